//! The real system clipboard (`arboard`'s backend for the platform: X11 on Linux, the
//! Windows clipboard under wine): a copy lands there, is cleared after the delay, and is
//! left alone when someone else copied meanwhile. It needs a desktop session, so plain
//! `cargo test` skips it; CI runs it under Xvfb on Linux and under wine + Xvfb for the
//! Windows build (`.ci/run`, `scripts/windows-tests.sh`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokenwallet::clipboard::{Clipboard, SystemClipboard, copy_with_auto_clear};
use zeroize::Zeroizing;

/// What another program sees: a second handle on the system clipboard, not ours.
fn seen_by_another_program() -> Option<String> {
    arboard::Clipboard::new()
        .expect("a clipboard")
        .get_text()
        .ok()
        .filter(|text| !text.is_empty())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a desktop clipboard: CI runs it under Xvfb, and under wine for Windows"]
async fn a_copy_reaches_the_system_clipboard_and_only_ours_is_cleared() {
    let clipboard: Arc<dyn Clipboard> = Arc::new(SystemClipboard::default());
    let delay = Duration::from_millis(500);

    copy_with_auto_clear(&clipboard, Zeroizing::new("tw-token-1".into()), Some(delay)).unwrap();
    assert_eq!(seen_by_another_program().as_deref(), Some("tw-token-1"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen_by_another_program().is_some() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        seen_by_another_program(),
        None,
        "the token is cleared after the delay"
    );

    // Someone else copies before the delay is up: their text stays.
    copy_with_auto_clear(&clipboard, Zeroizing::new("tw-token-2".into()), Some(delay)).unwrap();
    arboard::Clipboard::new()
        .unwrap()
        .set_text("someone else's text")
        .unwrap();
    tokio::time::sleep(delay * 3).await;
    assert_eq!(
        seen_by_another_program().as_deref(),
        Some("someone else's text")
    );
}
