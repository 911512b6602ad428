//! Where the wallet keeps things: the accounts file (metadata, no secrets) and the secret
//! stores (OS keyring, passphrase-encrypted vault, memory), plus file locks and safe writes.

mod accounts;
mod fs;
mod keyring;
mod lock;
mod locked;
mod memory;
mod migrate;
mod rescue;
mod vault;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use accounts::{
    ACCOUNTS_DIR, ACCOUNTS_FORMAT, AccountsData, AccountsFile, LEGACY_ACCOUNTS_FILE, Stamp, Stamped,
};
pub use fs::{read_text_up_to, write_atomic, write_new_private};
pub use keyring::{KeyringBackend, KeyringStore, MAX_PART_UTF16, OsKeyring};
pub use lock::{FILE_LOCK_TIMEOUT, FileLock, lock_async, lock_blocking};
use locked::Locked;
pub use memory::MemoryStore;
pub use vault::{LEGACY_VAULT_FILE, VAULT_DIR, VaultStore, set_vault_work_factor};

use crate::model::{Secret, Secrets};

/// What went wrong with local storage.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file could not be read or written.
    #[error("could not {action} {path}: {source}")]
    Io {
        /// What was being done (`read`, `write`, …).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file exists but cannot be understood.
    #[error("{path} is damaged ({detail}); it was left untouched")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// The vault passphrase does not open the vault.
    #[error("the vault passphrase is wrong; nothing was changed")]
    WrongPassphrase,
    /// The vault needs a passphrase and none could be had.
    #[error("the encrypted vault needs a passphrase")]
    NoPassphrase,
    /// The OS keyring failed.
    #[error("the OS keyring failed ({0}); the encrypted vault file can be used instead")]
    Keyring(String),
    /// A file was written by a newer version, in a format this one does not know.
    #[error(
        "{path} was written by a newer version of this program (format {found}; this one reads up to {supported}); nothing was changed: update to the newer version"
    )]
    NewerFormat {
        /// The file.
        path: PathBuf,
        /// Its format version.
        found: u32,
        /// The newest this version reads.
        supported: u32,
    },
    /// A file is already there and was not to be replaced.
    #[error("{0} already exists; nothing was written")]
    Exists(PathBuf),
    /// A symlink is where a file the wallet keeps should be; it is never written through.
    #[error(
        "{0} is a symlink, which the wallet does not write through; nothing was written: remove it"
    )]
    Symlink(PathBuf),
    /// Another process held a lock too long.
    #[error("another process of this wallet has held {0} for too long; try again")]
    LockTimeout(PathBuf),
    /// An old whole-wallet file sits beside the folder of records that replaced it, and it
    /// is not the file that was migrated: no migration leaves that state.
    #[error(
        "{old} and {new} both exist, and {old} is not the file that was migrated; nothing was changed: move {old} aside (the records in {new} are the wallet)"
    )]
    HalfMigrated {
        /// The old file.
        old: PathBuf,
        /// The folder of records.
        new: PathBuf,
    },
    /// The secret store asked for by name does not exist.
    #[error("the secret store must be keyring, file or memory, not '{0}'")]
    UnknownStore(String),
}

impl StoreError {
    /// Refuses a file whose format version is newer than `supported`.
    pub(crate) fn check_format(path: &Path, found: u32, supported: u32) -> Result<(), Self> {
        if found > supported {
            return Err(Self::NewerFormat {
                path: path.to_owned(),
                found,
                supported,
            });
        }
        Ok(())
    }

    pub(crate) fn io(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.to_owned(),
            source,
        }
    }
}

/// `bytes` in lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, b| {
        use std::fmt::Write as _;
        write!(out, "{b:02x}").ok();
        out
    })
}

/// A file name for the account `name` (any characters): its bytes in hex.
pub(crate) fn file_stem(name: &str) -> String {
    hex(name.as_bytes())
}

/// Which secret store holds an account's secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretStoreKind {
    /// The OS keyring (Keychain, Credential Manager, Secret Service).
    Keyring,
    /// The passphrase-encrypted vault file in the data dir.
    File,
    /// Process memory only.
    Memory,
}

impl SecretStoreKind {
    /// The `TOKENWALLET_SECRET_STORE` value.
    pub fn id(self) -> &'static str {
        match self {
            Self::Keyring => "keyring",
            Self::File => "file",
            Self::Memory => "memory",
        }
    }

    /// Parses a `TOKENWALLET_SECRET_STORE` value.
    pub fn from_id(id: &str) -> Option<Self> {
        [Self::Keyring, Self::File, Self::Memory]
            .into_iter()
            .find(|kind| kind.id() == id.trim())
    }
}

/// A place for account secrets: one entry per account.
pub trait SecretStore: Send + Sync {
    /// Which kind of store this is.
    fn kind(&self) -> SecretStoreKind;
    /// The account's secrets, or `None` if none are stored.
    fn load(&self, account: &str) -> Result<Option<Secrets>, StoreError>;
    /// The account's access token alone: what `token` needs. A store that keeps secrets
    /// apart (the OS keyring) reads only that one.
    fn load_access_token(&self, account: &str) -> Result<Option<Secret>, StoreError> {
        Ok(self.load(account)?.and_then(|secrets| secrets.access_token))
    }
    /// Replaces the account's secrets; durable when this returns.
    fn save(&self, account: &str, secrets: &Secrets) -> Result<(), StoreError>;
    /// Forgets the account's secrets (no error if there were none).
    fn delete(&self, account: &str) -> Result<(), StoreError>;
    /// Keeps `secrets` apart from the account's entry, encrypted, after [`SecretStore::save`]
    /// failed: the new refresh token must survive until a save succeeds. A store with
    /// nowhere else to keep them says so.
    fn save_rescue(&self, account: &str, secrets: &Secrets) -> Result<(), StoreError>;
    /// The account's rescued secrets, if any: newer than its entry.
    fn load_rescue(&self, account: &str) -> Result<Option<Secrets>, StoreError>;
    /// Forgets the rescue once the account's entry holds it.
    fn clear_rescue(&self, account: &str) -> Result<(), StoreError>;
}

/// The secret store to use in `home`: `choice`, else the one the wallet already uses, else
/// the OS keyring when one answers, else the encrypted vault.
pub fn store_kind(
    home: &Path,
    choice: Option<SecretStoreKind>,
) -> Result<SecretStoreKind, StoreError> {
    let recorded = AccountsFile::new(home).secret_store()?;
    Ok(choice.or(recorded).unwrap_or_else(|| {
        if KeyringStore::reachable() {
            SecretStoreKind::Keyring
        } else {
            SecretStoreKind::File
        }
    }))
}

/// Opens the secret store for `home` (see [`store_kind`]). `passphrase` is asked only for the
/// vault; its argument says whether the vault is new.
pub fn open_secret_store(
    home: &Path,
    choice: Option<SecretStoreKind>,
    passphrase: &dyn Fn(bool) -> Result<Secret, StoreError>,
) -> Result<Arc<dyn SecretStore>, StoreError> {
    ensure_home(home)?;
    Ok(match store_kind(home, choice)? {
        SecretStoreKind::Keyring => Arc::new(KeyringStore::new(home)),
        SecretStoreKind::File => Arc::new(VaultStore::open(
            home,
            &passphrase(!VaultStore::exists(home))?,
        )?),
        SecretStoreKind::Memory => Arc::new(MemoryStore::default()),
    })
}

/// The platform's data dir for tokenwallet (`~/.local/share/tokenwallet` on Linux).
pub fn default_home() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("tokenwallet")
}

/// Creates the data dir (mode 0700) if it is missing.
pub fn ensure_home(home: &Path) -> Result<(), StoreError> {
    std::fs::create_dir_all(home).map_err(|err| StoreError::io("create", home, err))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(home, std::fs::Permissions::from_mode(0o700))
            .map_err(|err| StoreError::io("protect", home, err))?;
    }
    Ok(())
}
