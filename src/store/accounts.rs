//! `accounts.json`: every account's metadata (never a secret), replaced atomically and
//! updated under a lock so concurrent processes never lose each other's changes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::lock::FILE_LOCK_TIMEOUT;
use super::{SecretStoreKind, StoreError, lock_blocking, write_atomic};
use crate::model::{Account, Extra};

/// The accounts file's content.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountsData {
    /// Format version.
    #[serde(default = "version")]
    pub version: u32,
    /// The secret store this wallet's secrets live in, once chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_store: Option<SecretStoreKind>,
    /// The accounts, in the order they were added.
    #[serde(default)]
    pub accounts: Vec<Account>,
    /// Fields of a newer version, kept.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The newest `accounts.json` format this version reads and writes.
pub const ACCOUNTS_FORMAT: u32 = 1;

fn version() -> u32 {
    ACCOUNTS_FORMAT
}

impl AccountsData {
    /// The account named `name`.
    pub fn get(&self, name: &str) -> Option<&Account> {
        self.accounts.iter().find(|account| account.name == name)
    }

    /// The account named `name`, to change it.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Account> {
        self.accounts
            .iter_mut()
            .find(|account| account.name == name)
    }
}

/// The accounts file in a data dir.
#[derive(Clone, Debug)]
pub struct AccountsFile {
    path: PathBuf,
    lock_path: PathBuf,
}

impl AccountsFile {
    /// The accounts file of the data dir `home`.
    pub fn new(home: &Path) -> Self {
        Self {
            path: home.join("accounts.json"),
            lock_path: home.join("locks").join("accounts.lock"),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the file; a missing file is an empty wallet. Needs no lock: writes are atomic.
    pub fn load(&self) -> Result<AccountsData, StoreError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(AccountsData {
                    version: 1,
                    ..AccountsData::default()
                });
            }
            Err(err) => return Err(StoreError::io("read", &self.path, err)),
        };
        let data: AccountsData =
            serde_json::from_slice(&bytes).map_err(|err| StoreError::Corrupt {
                path: self.path.clone(),
                detail: err.to_string(),
            })?;
        StoreError::check_format(&self.path, data.version, ACCOUNTS_FORMAT)?;
        Ok(data)
    }

    /// Locks the file, reads it, applies `change`, and writes it back if `change` succeeded.
    pub fn update<T, E: From<StoreError>>(
        &self,
        change: impl FnOnce(&mut AccountsData) -> Result<T, E>,
    ) -> Result<T, E> {
        let _lock = lock_blocking(&self.lock_path, FILE_LOCK_TIMEOUT)?;
        let mut data = self.load()?;
        let result = change(&mut data)?;
        let json = serde_json::to_vec_pretty(&data).map_err(|err| StoreError::Corrupt {
            path: self.path.clone(),
            detail: err.to_string(),
        })?;
        write_atomic(&self.path, &json)?;
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Grant, ProviderKind};

    #[test]
    fn concurrent_updates_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let file = AccountsFile::new(dir.path());
        std::thread::scope(|scope| {
            for thread in 0..4 {
                let file = file.clone();
                scope.spawn(move || {
                    for i in 0..10 {
                        file.update(|data| {
                            data.accounts.push(Account::new(
                                format!("t{thread}-{i}"),
                                ProviderKind::Oauth2,
                                Grant::ClientCredentials,
                            ));
                            Ok::<_, StoreError>(())
                        })
                        .unwrap();
                    }
                });
            }
        });
        assert_eq!(file.load().unwrap().accounts.len(), 40);
    }

    #[test]
    fn a_damaged_file_is_reported_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let file = AccountsFile::new(dir.path());
        std::fs::write(file.path(), "{ not json").unwrap();
        assert!(matches!(file.load(), Err(StoreError::Corrupt { .. })));
        let result = file.update(|_| Ok::<_, StoreError>(()));
        assert!(result.is_err());
        assert_eq!(std::fs::read_to_string(file.path()).unwrap(), "{ not json");
    }
}
