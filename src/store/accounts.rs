//! Account metadata (never a secret): one record per account, `accounts/<hex name>.json`,
//! beside `accounts/wallet.json` (the format and the chosen secret store). Reading or
//! changing one account touches its record alone, replaced atomically under a lock of its
//! own: the cost of storing a refresh does not grow with the number of accounts. The first
//! format, one `accounts.json` for every account, is migrated on first use and kept as
//! `accounts.json.bak`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::lock::FILE_LOCK_TIMEOUT;
use super::migrate::Migration;
use super::{SecretStoreKind, StoreError, file_stem, lock_blocking, write_atomic};
use crate::model::{Account, Extra};

/// The newest metadata format this version reads and writes (1 was `accounts.json`).
pub const ACCOUNTS_FORMAT: u32 = 2;

/// The folder of account records in the data dir.
pub const ACCOUNTS_DIR: &str = "accounts";

/// The first format's single file, migrated on first use.
pub const LEGACY_ACCOUNTS_FILE: &str = "accounts.json";

const WALLET_FILE: &str = "wallet.json";

/// Every account's metadata, as `list` shows it.
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

fn version() -> u32 {
    1
}

impl AccountsData {
    /// The account named `name`.
    pub fn get(&self, name: &str) -> Option<&Account> {
        self.accounts.iter().find(|account| account.name == name)
    }
}

/// `wallet.json`: what holds for the whole wallet.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct WalletInfo {
    #[serde(default = "version")]
    version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret_store: Option<SecretStoreKind>,
    #[serde(flatten)]
    extra: Extra,
}

/// One account's record: the account and when it was added (the list's order).
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    #[serde(default)]
    order: i64,
    #[serde(flatten)]
    account: Account,
}

/// The account records of a data dir.
#[derive(Clone, Debug)]
pub struct AccountsFile {
    home: PathBuf,
    dir: PathBuf,
    /// Set once the migration and format check passed: they are not repeated per record.
    ready: Arc<std::sync::OnceLock<()>>,
    /// Records read and written, for the tests that count them.
    io: Arc<(AtomicU64, AtomicU64)>,
}

/// One version of an account's record, told apart without reading it: every write
/// replaces the file (a new file, renamed over the old), so any write changes its identity,
/// size or time. Holds the record's place in the list, to write it back in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    order: i64,
    len: u64,
    modified: Option<SystemTime>,
    created: Option<SystemTime>,
    #[cfg(unix)]
    inode: u64,
}

impl Stamp {
    fn of(order: i64, meta: &std::fs::Metadata) -> Self {
        Self {
            order,
            len: meta.len(),
            modified: meta.modified().ok(),
            created: meta.created().ok(),
            #[cfg(unix)]
            inode: std::os::unix::fs::MetadataExt::ino(meta),
        }
    }
}

/// An account as read from its record, with the record's [`Stamp`].
#[derive(Clone, Debug)]
pub struct Stamped {
    /// The account.
    pub account: Account,
    /// The version of its record.
    pub stamp: Stamp,
}

impl AccountsFile {
    /// The account records of the data dir `home`.
    pub fn new(home: &Path) -> Self {
        Self {
            home: home.to_owned(),
            dir: home.join(ACCOUNTS_DIR),
            ready: Arc::default(),
            io: Arc::default(),
        }
    }

    /// How many records this handle has read and written (the tests count them).
    pub fn record_io(&self) -> (u64, u64) {
        (
            self.io.0.load(Ordering::Relaxed),
            self.io.1.load(Ordering::Relaxed),
        )
    }

    fn read_record(&self, path: &Path) -> Result<Option<Record>, StoreError> {
        self.io.0.fetch_add(1, Ordering::Relaxed);
        read_json(path)
    }

    /// The record file of the account `name`.
    pub fn record_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{}.json", file_stem(name)))
    }

    fn wallet_path(&self) -> PathBuf {
        self.dir.join(WALLET_FILE)
    }

    fn record_lock(&self, name: &str) -> PathBuf {
        self.home
            .join("locks")
            .join(format!("record-{}.lock", file_stem(name)))
    }

    fn list_lock(&self) -> PathBuf {
        self.home.join("locks").join("accounts.lock")
    }

    /// Migrates `accounts.json` if it is still there (one `stat` when it is not), and
    /// refuses a wallet written by a newer version: every read and write starts here.
    fn ready(&self) -> Result<WalletInfo, StoreError> {
        self.migrated()?;
        let info = self.info()?;
        self.ready.set(()).ok();
        Ok(info)
    }

    /// What reading or writing one record needs: the migration check every time (one
    /// `stat` when there is nothing to migrate), `wallet.json`'s format once per handle.
    fn checked(&self) -> Result<(), StoreError> {
        if self.ready.get().is_none() {
            self.ready()?;
        } else {
            self.migrated()?;
        }
        Ok(())
    }

    fn migrated(&self) -> Result<(), StoreError> {
        Migration {
            home: &self.home,
            legacy: LEGACY_ACCOUNTS_FILE,
            folder: ACCOUNTS_DIR,
        }
        .run(|bytes, staging| migrate(&self.home.join(LEGACY_ACCOUNTS_FILE), bytes, staging))
        .map(drop)
    }

    fn info(&self) -> Result<WalletInfo, StoreError> {
        let info: WalletInfo = read_json(&self.wallet_path())?.unwrap_or(WalletInfo {
            version: ACCOUNTS_FORMAT,
            ..WalletInfo::default()
        });
        StoreError::check_format(&self.wallet_path(), info.version, ACCOUNTS_FORMAT)?;
        Ok(info)
    }

    /// The secret store recorded for this wallet, if one was chosen.
    pub fn secret_store(&self) -> Result<Option<SecretStoreKind>, StoreError> {
        Ok(self.ready()?.secret_store)
    }

    /// Records which store holds the secrets, the first time.
    pub fn record_secret_store(&self, kind: SecretStoreKind) -> Result<(), StoreError> {
        if self.ready()?.secret_store.is_some() {
            return Ok(());
        }
        let _lock = lock_blocking(&self.list_lock(), FILE_LOCK_TIMEOUT)?;
        let mut info = self.info()?;
        if info.secret_store.is_none() {
            info.secret_store = Some(kind);
            info.version = ACCOUNTS_FORMAT;
            self.write(&self.wallet_path(), &info)?;
        }
        Ok(())
    }

    /// Every account, in the order they were added. Needs no lock: writes are atomic.
    pub fn load(&self) -> Result<AccountsData, StoreError> {
        let info = self.ready()?;
        let mut records = Vec::new();
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(AccountsData {
                    version: info.version,
                    secret_store: info.secret_store,
                    ..AccountsData::default()
                });
            }
            Err(err) => return Err(StoreError::io("read", &self.dir, err)),
        };
        for entry in entries {
            let path = entry
                .map_err(|err| StoreError::io("read", &self.dir, err))?
                .path();
            let is_record = path.extension().is_some_and(|e| e == "json")
                && path.file_name().is_some_and(|n| n != WALLET_FILE);
            if let Some(record) = is_record.then(|| self.read_record(&path)).transpose()? {
                records.extend(record);
            }
        }
        records.sort_by(|a, b| (a.order, &a.account.name).cmp(&(b.order, &b.account.name)));
        Ok(AccountsData {
            version: info.version,
            secret_store: info.secret_store,
            accounts: records.into_iter().map(|r| r.account).collect(),
            extra: info.extra,
        })
    }

    /// The account named `name`, read from its record alone.
    pub fn get(&self, name: &str) -> Result<Option<Account>, StoreError> {
        self.checked()?;
        Ok(self
            .read_record(&self.record_path(name))?
            .map(|r| r.account))
    }

    /// The account named `name` with the [`Stamp`] of the record it was read from (the
    /// file's, taken from the same open file as its content).
    pub fn get_stamped(&self, name: &str) -> Result<Option<Stamped>, StoreError> {
        use std::io::Read as _;
        self.checked()?;
        let path = self.record_path(name);
        let mut file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(StoreError::io("read", &path, err)),
        };
        self.io.0.fetch_add(1, Ordering::Relaxed);
        let meta = file
            .metadata()
            .map_err(|err| StoreError::io("read", &path, err))?;
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        file.read_to_end(&mut bytes)
            .map_err(|err| StoreError::io("read", &path, err))?;
        let record: Record = serde_json::from_slice(&bytes).map_err(|err| StoreError::Corrupt {
            path: path.clone(),
            detail: err.to_string(),
        })?;
        Ok(Some(Stamped {
            stamp: Stamp::of(record.order, &meta),
            account: record.account,
        }))
    }

    /// Whether the account's record is still the version `stamp` names (one `stat`).
    pub fn unchanged(&self, name: &str, stamp: &Stamp) -> bool {
        std::fs::metadata(self.record_path(name))
            .is_ok_and(|meta| Stamp::of(stamp.order, &meta) == *stamp)
    }

    /// Writes `account` over its record, under the record's lock, if the record is still
    /// the version `stamp` names: `Ok(true)`; `Ok(false)` when another writer came in
    /// between (nothing is written: read it again and change that).
    pub fn replace_if_unchanged(
        &self,
        account: &Account,
        stamp: &Stamp,
    ) -> Result<bool, StoreError> {
        self.checked()?;
        let _lock = lock_blocking(&self.record_lock(&account.name), FILE_LOCK_TIMEOUT)?;
        if !self.unchanged(&account.name, stamp) {
            return Ok(false);
        }
        let record = Record {
            order: stamp.order,
            account: account.clone(),
        };
        self.write(&self.record_path(&account.name), &record)?;
        Ok(true)
    }

    /// Adds `account` unless one of that name exists (`Ok(false)`); `before` runs first,
    /// under the lock, and a failure there adds nothing.
    pub fn insert<E: From<StoreError>>(
        &self,
        account: &Account,
        before: impl FnOnce() -> Result<(), E>,
    ) -> Result<bool, E> {
        self.checked()?;
        let _lock = lock_blocking(&self.list_lock(), FILE_LOCK_TIMEOUT)?;
        let path = self.record_path(&account.name);
        if path.exists() {
            return Ok(false);
        }
        before()?;
        let order = chrono::Utc::now().timestamp_micros();
        self.write(
            &path,
            &Record {
                order,
                account: account.clone(),
            },
        )?;
        Ok(true)
    }

    /// Locks the account's record, reads it, applies `change`, and writes it back if
    /// `change` succeeded; `Ok(None)` when there is no such account.
    pub fn update<T, E: From<StoreError>>(
        &self,
        name: &str,
        change: impl FnOnce(&mut Account) -> Result<T, E>,
    ) -> Result<Option<T>, E> {
        self.checked()?;
        let _lock = lock_blocking(&self.record_lock(name), FILE_LOCK_TIMEOUT)?;
        let path = self.record_path(name);
        let Some(mut record) = self.read_record(&path)? else {
            return Ok(None);
        };
        let result = change(&mut record.account)?;
        self.write(&path, &record)?;
        Ok(Some(result))
    }

    /// Deletes the account's record (no error if there is none).
    pub fn remove(&self, name: &str) -> Result<(), StoreError> {
        self.checked()?;
        let _list = lock_blocking(&self.list_lock(), FILE_LOCK_TIMEOUT)?;
        let _record = lock_blocking(&self.record_lock(name), FILE_LOCK_TIMEOUT)?;
        let path = self.record_path(name);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(StoreError::io("remove", &path, err)),
        }
    }

    fn write(&self, path: &Path, value: &impl Serialize) -> Result<(), StoreError> {
        if path != self.wallet_path() {
            self.io.1.fetch_add(1, Ordering::Relaxed);
        }
        std::fs::create_dir_all(&self.dir)
            .map_err(|err| StoreError::io("create", &self.dir, err))?;
        let json = serde_json::to_vec_pretty(value).map_err(|err| StoreError::Corrupt {
            path: path.to_owned(),
            detail: err.to_string(),
        })?;
        write_atomic(path, &json)
    }
}

/// A JSON file, `None` when it does not exist.
fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, StoreError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(StoreError::io("read", path, err)),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|err| StoreError::Corrupt {
            path: path.to_owned(),
            detail: err.to_string(),
        })
}

/// Writes the records of a format-1 `accounts.json` into `staging`.
fn migrate(legacy: &Path, bytes: &[u8], staging: &Path) -> Result<(), StoreError> {
    let old: AccountsData = serde_json::from_slice(bytes).map_err(|err| StoreError::Corrupt {
        path: legacy.to_owned(),
        detail: err.to_string(),
    })?;
    StoreError::check_format(legacy, old.version, 1)?;
    let info = WalletInfo {
        version: ACCOUNTS_FORMAT,
        secret_store: old.secret_store,
        extra: old.extra,
    };
    write_new_json(&staging.join(WALLET_FILE), &info)?;
    for (order, account) in (0_i64..).zip(old.accounts) {
        let path = staging.join(format!("{}.json", file_stem(&account.name)));
        write_new_json(&path, &Record { order, account })?;
    }
    Ok(())
}

/// Writes `value` as pretty JSON to a new owner-only file.
fn write_new_json(path: &Path, value: &impl Serialize) -> Result<(), StoreError> {
    let json = serde_json::to_vec_pretty(value).map_err(|err| StoreError::Corrupt {
        path: path.to_owned(),
        detail: err.to_string(),
    })?;
    super::write_new_private(path, &json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Grant, ProviderKind};

    fn account(name: &str) -> Account {
        Account::new(name, ProviderKind::OAUTH2, Grant::ClientCredentials)
    }

    /// Inserts a new account `name` with nothing else to write; whether it was new.
    fn insert(file: &AccountsFile, name: &str) -> bool {
        file.insert(&account(name), || Ok::<_, StoreError>(()))
            .unwrap()
    }

    #[test]
    fn concurrent_inserts_and_updates_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let file = AccountsFile::new(dir.path());
        insert(&file, "shared");
        std::thread::scope(|scope| {
            for thread in 0..4 {
                let file = file.clone();
                scope.spawn(move || {
                    for i in 0..10 {
                        let name = format!("t{thread}-{i}");
                        assert!(insert(&file, &name));
                        file.update("shared", |shared| {
                            shared.api_hosts.push(name);
                            Ok::<_, StoreError>(())
                        })
                        .unwrap();
                    }
                });
            }
        });
        let data = file.load().unwrap();
        assert_eq!(data.accounts.len(), 41);
        assert_eq!(data.get("shared").unwrap().api_hosts.len(), 40);
        assert_eq!(data.accounts[0].name, "shared", "the order they were added");
        assert!(!insert(&file, "shared"));
    }

    #[test]
    fn a_damaged_record_is_reported_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let file = AccountsFile::new(dir.path());
        insert(&file, "a");
        std::fs::write(file.record_path("a"), "{ not json").unwrap();
        assert!(matches!(file.load(), Err(StoreError::Corrupt { .. })));
        let result = file.update("a", |_| Ok::<_, StoreError>(()));
        assert!(result.is_err());
        assert_eq!(
            std::fs::read_to_string(file.record_path("a")).unwrap(),
            "{ not json"
        );
    }

    fn legacy(dir: &Path, names: &[&str]) -> Vec<u8> {
        let old = serde_json::json!({
            "version": 1,
            "secret_store": "file",
            "accounts": names.iter().map(|n| serde_json::to_value(account(n)).unwrap()).collect::<Vec<_>>(),
        });
        let bytes = serde_json::to_vec_pretty(&old).unwrap();
        std::fs::write(dir.join(LEGACY_ACCOUNTS_FILE), &bytes).unwrap();
        bytes
    }

    #[test]
    fn accounts_json_is_migrated_in_order_and_kept_as_a_backup() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = legacy(dir.path(), &["zeta", "alpha", "mid"]);
        let file = AccountsFile::new(dir.path());
        let names: Vec<String> = file
            .load()
            .unwrap()
            .accounts
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(names, ["zeta", "alpha", "mid"]);
        assert_eq!(file.secret_store().unwrap(), Some(SecretStoreKind::File));
        assert!(!dir.path().join(LEGACY_ACCOUNTS_FILE).exists());
        assert_eq!(
            std::fs::read(dir.path().join("accounts.json.bak")).unwrap(),
            bytes
        );
    }

    #[test]
    fn a_crash_after_the_rename_is_finished_and_a_foreign_old_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = legacy(dir.path(), &["a"]);
        let file = AccountsFile::new(dir.path());
        file.load().unwrap();
        // As if the process died between the rename and the backup.
        std::fs::rename(
            dir.path().join("accounts.json.bak"),
            dir.path().join(LEGACY_ACCOUNTS_FILE),
        )
        .unwrap();
        assert_eq!(file.load().unwrap().accounts.len(), 1);
        assert!(!dir.path().join(LEGACY_ACCOUNTS_FILE).exists());
        assert_eq!(
            std::fs::read(dir.path().join("accounts.json.bak")).unwrap(),
            bytes
        );
        // An accounts.json that is not the one migrated: both stay, nothing is chosen.
        legacy(dir.path(), &["other"]);
        assert!(matches!(file.load(), Err(StoreError::HalfMigrated { .. })));
        assert!(dir.path().join(LEGACY_ACCOUNTS_FILE).exists());
        assert!(file.get("a").is_err());
    }

    #[test]
    fn a_staging_folder_left_by_a_crash_is_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        legacy(dir.path(), &["a", "b"]);
        let staging = dir.path().join("accounts.migrating");
        std::fs::create_dir_all(&staging).unwrap();
        std::fs::write(staging.join("junk.json"), "half").unwrap();
        let file = AccountsFile::new(dir.path());
        assert_eq!(file.load().unwrap().accounts.len(), 2);
        assert!(!staging.exists());
    }

    #[test]
    fn a_newer_accounts_json_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LEGACY_ACCOUNTS_FILE);
        std::fs::write(&path, r#"{"version": 7, "accounts": []}"#).unwrap();
        let file = AccountsFile::new(dir.path());
        assert!(matches!(
            file.load(),
            Err(StoreError::NewerFormat { found: 7, .. })
        ));
        assert!(path.exists());
        assert!(!dir.path().join(ACCOUNTS_DIR).exists());
    }
}
