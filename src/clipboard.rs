//! Copy to the clipboard with auto-clear: after a delay the clipboard is emptied, but only
//! if it still holds what we put there. Copies are marked as secrets for clipboard managers
//! (`x-kde-passwordManagerHint` on Linux, the history exclusion on Windows and macOS).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use zeroize::Zeroizing;

/// A system clipboard, or a stand-in for tests.
pub trait Clipboard: Send + Sync {
    /// Puts `text` on the clipboard, marked as a secret where the platform allows.
    fn set_secret(&self, text: &str) -> Result<(), String>;
    /// What the clipboard holds now, if it is text.
    fn text(&self) -> Option<String>;
    /// Empties the clipboard.
    fn clear(&self) -> Result<(), String>;
}

/// The OS clipboard through `arboard`. Opened lazily: a missing display is an error at
/// copy time, not at start.
#[derive(Default)]
pub struct SystemClipboard {
    inner: Mutex<Option<arboard::Clipboard>>,
}

impl SystemClipboard {
    fn with<T>(
        &self,
        action: impl FnOnce(&mut arboard::Clipboard) -> Result<T, arboard::Error>,
    ) -> Result<T, String> {
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if guard.is_none() {
            *guard = Some(
                arboard::Clipboard::new()
                    .map_err(|err| format!("no clipboard is available ({err})"))?,
            );
        }
        match guard.as_mut() {
            Some(clipboard) => action(clipboard).map_err(|err| err.to_string()),
            None => Err("no clipboard is available".to_owned()),
        }
    }
}

impl Clipboard for SystemClipboard {
    fn set_secret(&self, text: &str) -> Result<(), String> {
        self.with(|clipboard| {
            let set = clipboard.set();
            #[cfg(all(unix, not(target_os = "macos")))]
            let set = arboard::SetExtLinux::exclude_from_history(set);
            #[cfg(target_os = "windows")]
            let set = arboard::SetExtWindows::exclude_from_history(set);
            #[cfg(target_os = "macos")]
            let set = arboard::SetExtApple::exclude_from_history(set);
            set.text(text)
        })
    }

    fn text(&self) -> Option<String> {
        self.with(arboard::Clipboard::get_text).ok()
    }

    fn clear(&self) -> Result<(), String> {
        self.with(arboard::Clipboard::clear)
    }
}

/// A clipboard in memory, for tests and headless runs.
#[derive(Debug, Default)]
pub struct MemoryClipboard {
    content: Mutex<Option<String>>,
    history: Mutex<Vec<String>>,
}

impl MemoryClipboard {
    /// Everything ever put on this clipboard, oldest first.
    pub fn history(&self) -> Vec<String> {
        self.history
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the content, as another program would.
    pub fn set_by_someone_else(&self, text: &str) {
        *self.content.lock().unwrap_or_else(PoisonError::into_inner) = Some(text.to_owned());
    }
}

impl Clipboard for MemoryClipboard {
    fn set_secret(&self, text: &str) -> Result<(), String> {
        *self.content.lock().unwrap_or_else(PoisonError::into_inner) = Some(text.to_owned());
        self.history
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(text.to_owned());
        Ok(())
    }

    fn text(&self) -> Option<String> {
        self.content
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn clear(&self) -> Result<(), String> {
        *self.content.lock().unwrap_or_else(PoisonError::into_inner) = None;
        Ok(())
    }
}

/// Copies `text`, then after `clear_after` (if any) clears the clipboard when it still
/// holds `text`. Returns once the copy is made; the clearing runs on the tokio runtime.
pub fn copy_with_auto_clear(
    clipboard: &Arc<dyn Clipboard>,
    text: Zeroizing<String>,
    clear_after: Option<Duration>,
) -> Result<(), String> {
    clipboard.set_secret(&text)?;
    if let Some(delay) = clear_after {
        let clipboard = Arc::clone(clipboard);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let still_ours = clipboard
                .text()
                .is_some_and(|now| now.as_str() == text.as_str());
            if still_ours {
                clipboard.clear().ok();
            }
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn clears_only_what_we_copied() {
        let memory = Arc::new(MemoryClipboard::default());
        let clipboard: Arc<dyn Clipboard> = memory.clone();
        copy_with_auto_clear(
            &clipboard,
            Zeroizing::new("token-1".into()),
            Some(Duration::from_mins(1)),
        )
        .unwrap();
        assert_eq!(clipboard.text().as_deref(), Some("token-1"));
        tokio::time::sleep(Duration::from_secs(59)).await;
        assert_eq!(clipboard.text().as_deref(), Some("token-1"));
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(clipboard.text(), None);

        copy_with_auto_clear(
            &clipboard,
            Zeroizing::new("token-2".into()),
            Some(Duration::from_mins(1)),
        )
        .unwrap();
        memory.set_by_someone_else("the user's own text");
        tokio::time::sleep(Duration::from_secs(61)).await;
        assert_eq!(clipboard.text().as_deref(), Some("the user's own text"));

        copy_with_auto_clear(&clipboard, Zeroizing::new("token-3".into()), None).unwrap();
        tokio::time::sleep(Duration::from_hours(1)).await;
        assert_eq!(clipboard.text().as_deref(), Some("token-3"));
    }
}
