//! The window's saved settings (`settings.json` in the data dir; never a secret).

use std::path::Path;

use serde::{Deserialize, Serialize};

/// How the account list is ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sort {
    /// Soonest access-token expiry first.
    #[default]
    SoonestExpiry,
    /// By name.
    Name,
}

/// Saved window settings (no secret ever).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Clear the clipboard this long after a copy; `None` never.
    pub clipboard_clear_secs: Option<u64>,
    /// List order.
    pub sort: Sort,
    /// Closing the window leaves tokenwallet running in the tray (`None`: not asked yet).
    pub keep_in_tray: Option<bool>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            clipboard_clear_secs: Some(60),
            sort: Sort::default(),
            keep_in_tray: None,
        }
    }
}

impl Settings {
    /// The settings saved in `home`, or the defaults. Read once, before the window opens.
    pub fn load(home: &Path) -> Self {
        std::fs::read(home.join(super::SETTINGS_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }
}

/// Writes `json` as the settings file of `home`, atomically (a temporary file in the same
/// folder, then a rename): a crash leaves the old settings or the new ones.
pub(super) fn save(home: &Path, json: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut file = tempfile::NamedTempFile::new_in(home)?;
    file.write_all(json.as_bytes())?;
    file.as_file().sync_all()?;
    file.persist(home.join(super::SETTINGS_FILE))
        .map(drop)
        .map_err(|err| err.error)
}
