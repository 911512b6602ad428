//! The passphrase-encrypted vault: one age file (scrypt recipient) holding every account's
//! secrets as JSON. Read-modify-write happens under a lock, so concurrent processes
//! updating different accounts never lose each other's changes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use age::secrecy::SecretString;
use zeroize::Zeroizing;

use serde::{Deserialize, Serialize};

use super::lock::FILE_LOCK_TIMEOUT;
use super::rescue::{RescueDir, decrypt, encrypt};
use super::{SecretStore, SecretStoreKind, StoreError, lock_blocking, write_atomic};
use crate::model::{Extra, Secret, Secrets};

/// The vault's file name in the data dir.
pub const VAULT_FILE: &str = "secrets.age";

/// scrypt work factor (log2 N) for new vaults. 2^16 costs about 0.1 s per open on a
/// laptop; `TOKENWALLET_VAULT_WORK_FACTOR` (10–22) changes it, tests use a low one.
const DEFAULT_WORK_FACTOR: u8 = 16;

/// Secrets in an age-encrypted file.
pub struct VaultStore {
    path: PathBuf,
    lock_path: PathBuf,
    passphrase: Secret,
    work_factor: u8,
    /// The vault file as this process last read or wrote it, and what it holds. A read
    /// whose bytes are identical reuses it instead of deriving the key again (scrypt is
    /// the whole cost); age encrypts with a fresh salt and nonce, so any write by another
    /// process changes the bytes and is decrypted.
    last: Mutex<Option<(Vec<u8>, Content)>>,
    /// How many times the file was decrypted (for tests of the reuse).
    decryptions: AtomicUsize,
    /// Where a set the vault refused is kept.
    rescue: RescueDir,
}

impl std::fmt::Debug for VaultStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

type Entries = BTreeMap<String, Secrets>;

/// The newest vault content format this version reads and writes.
pub const VAULT_FORMAT: u32 = 1;

/// What the vault decrypts to: `{"version": 1, "accounts": {…}}`. The first vaults held
/// the accounts map alone; they are read as version 0 and rewritten in this form.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Content {
    version: u32,
    accounts: Entries,
    /// Fields of a newer version, kept.
    #[serde(flatten)]
    extra: Extra,
}

impl VaultStore {
    /// The vault of the data dir `home`, opened with `passphrase`. Checks the passphrase
    /// at once when the vault exists.
    pub fn open(home: &Path, passphrase: Secret) -> Result<Self, StoreError> {
        if passphrase.is_empty() {
            return Err(StoreError::NoPassphrase);
        }
        let work_factor = std::env::var("TOKENWALLET_VAULT_WORK_FACTOR")
            .ok()
            .and_then(|v| v.parse::<u8>().ok())
            .filter(|n| (10..=22).contains(n))
            .unwrap_or(DEFAULT_WORK_FACTOR);
        let store = Self {
            path: home.join(VAULT_FILE),
            lock_path: home.join("locks").join("vault.lock"),
            passphrase,
            work_factor,
            last: Mutex::new(None),
            decryptions: AtomicUsize::new(0),
            rescue: RescueDir::new(home),
        };
        // Checks the passphrase now, not at the first use.
        store.read()?;
        Ok(store)
    }

    /// Whether the data dir already has a vault (so the passphrase is asked once, not twice).
    pub fn exists(home: &Path) -> bool {
        home.join(VAULT_FILE).exists()
    }

    fn read(&self) -> Result<Content, StoreError> {
        let encrypted = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Content::default()),
            Err(err) => return Err(StoreError::io("read", &self.path, err)),
        };
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((bytes, entries)) = last.as_ref()
            && *bytes == encrypted
        {
            return Ok(entries.clone());
        }
        let entries = self.decrypt(&encrypted)?;
        *last = Some((encrypted, entries.clone()));
        Ok(entries)
    }

    fn decrypt(&self, encrypted: &[u8]) -> Result<Content, StoreError> {
        self.decryptions.fetch_add(1, Ordering::Relaxed);
        let corrupt = |detail: String| StoreError::Corrupt {
            path: self.path.clone(),
            detail,
        };
        let plain = decrypt(encrypted, &self.identity()).map_err(|err| match err {
            age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys => {
                StoreError::WrongPassphrase
            }
            other => corrupt(other.to_string()),
        })?;
        let value: serde_json::Value =
            serde_json::from_slice(&plain).map_err(|err| corrupt(err.to_string()))?;
        let content = if value.get("version").is_some_and(serde_json::Value::is_u64) {
            serde_json::from_value::<Content>(value).map_err(|err| corrupt(err.to_string()))?
        } else {
            Content {
                accounts: serde_json::from_value(value).map_err(|err| corrupt(err.to_string()))?,
                ..Content::default()
            }
        };
        StoreError::check_format(&self.path, content.version, VAULT_FORMAT)?;
        Ok(content)
    }

    fn write(&self, content: &Content) -> Result<(), StoreError> {
        let corrupt = |detail: String| StoreError::Corrupt {
            path: self.path.clone(),
            detail,
        };
        let plain =
            Zeroizing::new(serde_json::to_vec(content).map_err(|err| corrupt(err.to_string()))?);
        let encrypted = encrypt(&plain, &self.recipient()).map_err(corrupt)?;
        write_atomic(&self.path, &encrypted)?;
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((encrypted, content.clone()));
        Ok(())
    }

    fn identity(&self) -> age::scrypt::Identity {
        let mut identity =
            age::scrypt::Identity::new(SecretString::from(self.passphrase.expose().to_owned()));
        identity.set_max_work_factor(22);
        identity
    }

    fn recipient(&self) -> age::scrypt::Recipient {
        let mut recipient =
            age::scrypt::Recipient::new(SecretString::from(self.passphrase.expose().to_owned()));
        recipient.set_work_factor(self.work_factor);
        recipient
    }

    fn modify(&self, change: impl FnOnce(&mut Entries)) -> Result<(), StoreError> {
        let _lock = lock_blocking(&self.lock_path, FILE_LOCK_TIMEOUT)?;
        let mut content = self.read()?;
        change(&mut content.accounts);
        content.version = VAULT_FORMAT;
        self.write(&content)
    }
}

impl SecretStore for VaultStore {
    fn kind(&self) -> SecretStoreKind {
        SecretStoreKind::File
    }

    fn load(&self, account: &str) -> Result<Option<Secrets>, StoreError> {
        Ok(self.read()?.accounts.remove(account))
    }

    fn save(&self, account: &str, secrets: &Secrets) -> Result<(), StoreError> {
        self.modify(|entries| {
            entries.insert(account.to_owned(), secrets.clone());
        })
    }

    fn delete(&self, account: &str) -> Result<(), StoreError> {
        self.modify(|entries| {
            entries.remove(account);
        })
    }

    /// A rescue file encrypted with the vault's passphrase.
    fn save_rescue(&self, account: &str, secrets: &Secrets) -> Result<(), StoreError> {
        self.rescue.write(account, secrets, &self.recipient())
    }

    fn load_rescue(&self, account: &str) -> Result<Option<Secrets>, StoreError> {
        self.rescue.read(account, &self.identity())
    }

    fn clear_rescue(&self, account: &str) -> Result<(), StoreError> {
        self.rescue.clear(account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(token: &str) -> Secrets {
        Secrets {
            refresh_token: Some(Secret::new(token)),
            ..Secrets::default()
        }
    }

    #[test]
    fn an_unchanged_file_is_decrypted_once_and_another_writer_is_always_seen() {
        let dir = tempfile::tempdir().unwrap();
        let first = VaultStore::open(dir.path(), Secret::new("pw")).unwrap();
        first.save("a", &secrets("rt-1")).unwrap();
        let second = VaultStore::open(dir.path(), Secret::new("pw")).unwrap();
        assert_eq!(second.decryptions.load(Ordering::Relaxed), 1);
        for _ in 0..3 {
            assert_eq!(second.load("a").unwrap(), Some(secrets("rt-1")));
        }
        assert_eq!(second.decryptions.load(Ordering::Relaxed), 1, "reused");
        // The other store rotates the token, even to one of the same length.
        first.save("a", &secrets("rt-2")).unwrap();
        assert_eq!(second.load("a").unwrap(), Some(secrets("rt-2")));
        assert_eq!(second.decryptions.load(Ordering::Relaxed), 2);
        // Neither its own save (the file is as it last read it) nor reading its own write
        // back needs a decryption.
        second.save("b", &secrets("rt-b")).unwrap();
        assert_eq!(second.load("b").unwrap(), Some(secrets("rt-b")));
        assert_eq!(second.decryptions.load(Ordering::Relaxed), 2);
        assert_eq!(first.load("b").unwrap(), Some(secrets("rt-b")));
        assert_eq!(first.load("a").unwrap(), Some(secrets("rt-2")));
    }

    #[test]
    fn round_trips_and_keeps_the_plain_text_out_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let vault = VaultStore::open(dir.path(), Secret::new("correct horse")).unwrap();
        vault.save("a", &secrets("rt-super-secret-a")).unwrap();
        vault.save("b", &secrets("rt-super-secret-b")).unwrap();
        assert_eq!(vault.load("a").unwrap(), Some(secrets("rt-super-secret-a")));
        let raw = std::fs::read(dir.path().join(VAULT_FILE)).unwrap();
        assert!(!String::from_utf8_lossy(&raw).contains("super-secret"));
        vault.delete("a").unwrap();
        assert_eq!(vault.load("a").unwrap(), None);
        assert!(vault.load("b").unwrap().is_some());
    }

    #[test]
    fn a_wrong_passphrase_is_refused_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        VaultStore::open(dir.path(), Secret::new("right"))
            .unwrap()
            .save("a", &secrets("x"))
            .unwrap();
        let before = std::fs::read(dir.path().join(VAULT_FILE)).unwrap();
        assert!(matches!(
            VaultStore::open(dir.path(), Secret::new("wrong")),
            Err(StoreError::WrongPassphrase)
        ));
        assert!(matches!(
            VaultStore::open(dir.path(), Secret::new("")),
            Err(StoreError::NoPassphrase)
        ));
        assert_eq!(std::fs::read(dir.path().join(VAULT_FILE)).unwrap(), before);
    }

    #[test]
    fn a_damaged_vault_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(VAULT_FILE), b"garbage").unwrap();
        assert!(matches!(
            VaultStore::open(dir.path(), Secret::new("p")),
            Err(StoreError::Corrupt { .. })
        ));
    }

    /// Encrypts `plain` as a vault file would be, with the test work factor.
    fn encrypted(store: &VaultStore, plain: &serde_json::Value) -> Vec<u8> {
        encrypt(plain.to_string().as_bytes(), &store.recipient()).unwrap()
    }

    #[test]
    fn unknown_fields_survive_and_a_first_format_vault_is_read_and_upgraded() {
        let dir = tempfile::tempdir().unwrap();
        let store = VaultStore::open(dir.path(), Secret::new("pw")).unwrap();
        // The first vaults held the accounts map alone; this entry has a field from the future.
        let legacy = serde_json::json!({ "a": { "refresh_token": "rt-a", "future": "kept" } });
        std::fs::write(dir.path().join(VAULT_FILE), encrypted(&store, &legacy)).unwrap();
        let a = store.load("a").unwrap().unwrap();
        assert_eq!(a.refresh_token, Some(Secret::new("rt-a")));
        store.save("b", &secrets("rt-b")).unwrap();
        let reopened = VaultStore::open(dir.path(), Secret::new("pw")).unwrap();
        let content = reopened.read().unwrap();
        assert_eq!(content.version, VAULT_FORMAT);
        assert_eq!(
            content.accounts["a"].extra.0.get("future"),
            Some(&serde_json::json!("kept"))
        );
        assert_eq!(content.accounts["b"], secrets("rt-b"));
    }

    #[test]
    fn a_vault_from_a_newer_version_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let store = VaultStore::open(dir.path(), Secret::new("pw")).unwrap();
        let newer = serde_json::json!({ "version": VAULT_FORMAT + 1, "accounts": {} });
        let bytes = encrypted(&store, &newer);
        std::fs::write(dir.path().join(VAULT_FILE), &bytes).unwrap();
        assert!(matches!(
            VaultStore::open(dir.path(), Secret::new("pw")),
            Err(StoreError::NewerFormat { found: 2, .. })
        ));
        assert!(store.save("x", &secrets("rt-x")).is_err());
        assert_eq!(std::fs::read(dir.path().join(VAULT_FILE)).unwrap(), bytes);
    }
}
