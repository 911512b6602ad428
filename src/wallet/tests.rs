//! The wallet against the demo server, counting what it reads and writes.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use super::Wallet;
use crate::store::{SecretStoreKind, StoreError};

/// A wallet with the memory store and a generated demo account whose access tokens live
/// `ttl` seconds.
async fn demo(
    ttl: i64,
) -> (
    crate::demo::oauth::OAuthServer,
    Arc<Wallet>,
    tempfile::TempDir,
) {
    let (server, new) = crate::demo::start("demo").unwrap();
    server.set_access_ttl(ttl);
    let dir = tempfile::tempdir().unwrap();
    let no_passphrase = |_| Err(StoreError::NoPassphrase);
    let config = crate::config::Config::default().using(SecretStoreKind::Memory);
    let wallet = Wallet::open(dir.path(), &config, &no_passphrase).unwrap();
    wallet.add(new).await.unwrap();
    wallet.generate("demo").await.unwrap();
    (server, Arc::new(wallet), dir)
}

/// What `work` read and wrote of the account records.
async fn counted<T>(wallet: &Wallet, work: impl AsyncFnOnce() -> T) -> (T, (u64, u64)) {
    let (reads, writes) = wallet.record_io();
    let result = work().await;
    let (after_reads, after_writes) = wallet.record_io();
    (result, (after_reads - reads, after_writes - writes))
}

// Issue 17: one refresh reads the account's record once and writes it once (it read it
// four or five times), and `token` hands out the token the refresh stored.
#[tokio::test(flavor = "multi_thread")]
async fn one_refresh_reads_the_record_once_and_writes_it_once() {
    let (server, wallet, _dir) = demo(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    server.set_access_ttl(3600);
    let (outcome, io) = counted(&wallet, async || wallet.token("demo").await.unwrap()).await;
    assert_eq!(
        io,
        (1, 1),
        "(record reads, record writes) of a token that refreshed"
    );
    assert!(server.state().access_valid(outcome.token.expose()));
    assert!(outcome.warning.is_none());
    let refreshes = server.state().refreshes;
    let (account, io) = counted(&wallet, async || wallet.refresh("demo").await.unwrap()).await;
    assert_eq!(io, (1, 1), "(record reads, record writes) of a refresh");
    assert_eq!(server.state().refreshes, refreshes + 1);
    assert_eq!(
        account,
        wallet.account("demo").unwrap(),
        "the account as stored"
    );
    let (_, io) = counted(&wallet, async || wallet.token("demo").await.unwrap()).await;
    assert_eq!(io, (1, 0), "a valid token: one read, no write");
}

// The stamp notices a writer that came in between: its change is kept, not overwritten.
#[tokio::test(flavor = "multi_thread")]
async fn a_change_made_during_a_refresh_is_kept() {
    let (server, wallet, _dir) = demo(3600).await;
    server.inject(crate::demo::oauth::Fault::SlowAfterRotate(
        std::time::Duration::from_millis(500),
    ));
    let refreshing = {
        let wallet = Arc::clone(&wallet);
        tokio::spawn(async move { wallet.refresh("demo").await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    wallet.set_auto_refresh("demo", false).unwrap();
    let stored = refreshing.await.unwrap().unwrap();
    assert!(!stored.auto_refresh, "the change made meanwhile is kept");
    let account = wallet.account("demo").unwrap();
    assert!(!account.auto_refresh);
    assert_eq!(account.tokens.generation, stored.tokens.generation);
}
