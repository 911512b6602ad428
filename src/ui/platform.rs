//! Platform services behind traits, so tests can stand in for them: the native save dialog,
//! desktop notifications (shared with the agent, in `crate::notify`) and the browser.

use std::path::PathBuf;

/// Asks the user where to save a file.
pub trait SaveDialog: Send + Sync {
    /// `Ok(Some(path))` chosen, `Ok(None)` cancelled, `Err(reason)` no dialog is available.
    fn save_path(&self, suggested_name: &str) -> Result<Option<PathBuf>, String>;
}

/// The native dialog through `rfd` (the XDG desktop portal on Linux).
#[derive(Debug, Default)]
pub struct NativeDialog;

impl SaveDialog for NativeDialog {
    fn save_path(&self, suggested_name: &str) -> Result<Option<PathBuf>, String> {
        #[cfg(all(unix, not(target_os = "macos")))]
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
            return Err("no desktop portal is running, so there is no save dialog".to_owned());
        }
        Ok(rfd::FileDialog::new()
            .set_file_name(suggested_name)
            .save_file())
    }
}

pub use crate::notify::{DesktopNotifier, Notifier};

/// Opens an address in the person's browser.
pub trait Opener: Send + Sync {
    /// Opens `url`; `Err(reason)` when no browser could be started.
    fn open(&self, url: &str) -> Result<(), String>;
}

/// `$BROWSER`, else the platform's opener.
#[derive(Debug, Default)]
pub struct SystemBrowser;

impl Opener for SystemBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        crate::browser::open(url)
    }
}
