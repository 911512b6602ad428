//! The passphrase-encrypted vault, `vault/` in the data dir: `key.age` holds an age X25519
//! key, encrypted with the passphrase (scrypt); each account's secrets are one record,
//! `vault/<hex name>.age`, encrypted to that key. scrypt runs once, when the vault is opened
//! (or unlocked in the agent); after that, storing one account's secrets costs one X25519
//! encryption and one small file, whatever the number of accounts. The first format, one
//! `secrets.age` for every account, is migrated when first opened and kept as
//! `secrets.age.bak`.

use std::path::{Path, PathBuf};
use std::str::FromStr as _;

use age::secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::migrate::Migration;
use super::rescue::{RescueDir, decrypt, encrypt};
use super::{SecretStore, SecretStoreKind, StoreError, file_stem, write_atomic, write_new_private};
use crate::model::{Extra, Secret, Secrets};

/// The vault folder in the data dir.
pub const VAULT_DIR: &str = "vault";

/// The first format's single vault file, migrated when first opened.
pub const LEGACY_VAULT_FILE: &str = "secrets.age";

const KEY_FILE: &str = "key.age";

/// scrypt work factor (log2 N) for new vaults. 2^16 costs about 0.1 s per open on a
/// laptop; `TOKENWALLET_VAULT_WORK_FACTOR` (10–22) changes it, tests use a low one.
const DEFAULT_WORK_FACTOR: u8 = 16;

/// The newest record format this version reads and writes.
pub const VAULT_FORMAT: u32 = 2;

/// Secrets in age-encrypted records.
pub struct VaultStore {
    dir: PathBuf,
    /// The vault's key, for as long as the vault is open (the agent: until `lock`).
    identity: super::Locked<age::x25519::Identity>,
    recipient: age::x25519::Recipient,
    rescue: RescueDir,
}

impl std::fmt::Debug for VaultStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultStore")
            .field("dir", &self.dir)
            .field("key_locked_in_ram", &self.identity.is_locked())
            .finish_non_exhaustive()
    }
}

/// One account's record: `{"version": 2, "secrets": {…}}`.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    version: u32,
    secrets: Secrets,
    #[serde(flatten)]
    extra: Extra,
}

/// What the first format's `secrets.age` decrypts to: `{"version": 1, "accounts": {…}}`,
/// or, in the very first vaults, the accounts map alone.
#[derive(Debug, Default, Deserialize)]
struct Legacy {
    #[serde(default)]
    version: u32,
    #[serde(default)]
    accounts: std::collections::BTreeMap<String, Secrets>,
}

impl VaultStore {
    /// The vault of the data dir `home`, opened with `passphrase` (one scrypt): checks the
    /// passphrase at once, creates the vault if there is none, migrates a first-format one.
    pub fn open(home: &Path, passphrase: &Secret) -> Result<Self, StoreError> {
        if passphrase.is_empty() {
            return Err(StoreError::NoPassphrase);
        }
        let dir = home.join(VAULT_DIR);
        let key_path = dir.join(KEY_FILE);
        let mut migrated_key = None;
        Migration {
            home,
            legacy: LEGACY_VAULT_FILE,
            folder: VAULT_DIR,
        }
        .run(|bytes, staging| {
            migrated_key = Some(migrate(
                &home.join(LEGACY_VAULT_FILE),
                bytes,
                staging,
                passphrase,
            )?);
            Ok(())
        })?;
        let identity = match migrated_key {
            Some(identity) => identity,
            None => open_or_create_key(&dir, &key_path, passphrase)?,
        };
        Ok(Self {
            recipient: identity.to_public(),
            identity: super::Locked::new(identity),
            dir,
            rescue: RescueDir::new(home),
        })
    }

    /// Whether the data dir already has a vault (so the passphrase is asked once, not twice).
    pub fn exists(home: &Path) -> bool {
        home.join(VAULT_DIR).join(KEY_FILE).exists() || home.join(LEGACY_VAULT_FILE).exists()
    }

    fn record_path(&self, account: &str) -> PathBuf {
        self.dir.join(format!("{}.age", file_stem(account)))
    }
}

/// The scrypt work factor for passphrases sealed from now on in this process (0: the
/// default); set once by the front (`TOKENWALLET_VAULT_WORK_FACTOR`, a test knob).
static WORK_FACTOR: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Seals passphrases with scrypt work factor `factor` (10 to 22) from now on in this
/// process; another value is ignored.
pub fn set_vault_work_factor(factor: u8) {
    if (10..=22).contains(&factor) {
        WORK_FACTOR.store(factor, std::sync::atomic::Ordering::Relaxed);
    }
}

fn work_factor() -> u8 {
    match WORK_FACTOR.load(std::sync::atomic::Ordering::Relaxed) {
        0 => DEFAULT_WORK_FACTOR,
        factor => factor,
    }
}

fn scrypt_recipient(passphrase: &Secret) -> age::scrypt::Recipient {
    let mut recipient =
        age::scrypt::Recipient::new(SecretString::from(passphrase.expose().to_owned()));
    recipient.set_work_factor(work_factor());
    recipient
}

fn scrypt_identity(passphrase: &Secret) -> age::scrypt::Identity {
    let mut identity =
        age::scrypt::Identity::new(SecretString::from(passphrase.expose().to_owned()));
    identity.set_max_work_factor(22);
    identity
}

fn corrupt(path: &Path) -> impl Fn(String) -> StoreError + '_ {
    move |detail| StoreError::Corrupt {
        path: path.to_owned(),
        detail,
    }
}

/// The key file's bytes for `identity`, sealed with the passphrase.
fn seal_key(
    key_path: &Path,
    identity: &age::x25519::Identity,
    passphrase: &Secret,
) -> Result<Vec<u8>, StoreError> {
    let plain = Zeroizing::new(identity.to_string().expose_secret().as_bytes().to_vec());
    encrypt(&plain, &scrypt_recipient(passphrase)).map_err(corrupt(key_path))
}

/// Reads and unseals the key, or creates a new vault's key (a racing creator's key wins).
fn open_or_create_key(
    dir: &Path,
    key_path: &Path,
    passphrase: &Secret,
) -> Result<age::x25519::Identity, StoreError> {
    match std::fs::read(key_path) {
        Ok(sealed) => return unseal_key(key_path, &sealed, passphrase),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(StoreError::io("read", key_path, err)),
    }
    std::fs::create_dir_all(dir).map_err(|err| StoreError::io("create", dir, err))?;
    let identity = age::x25519::Identity::generate();
    match write_new_private(key_path, &seal_key(key_path, &identity, passphrase)?) {
        Ok(()) => Ok(identity),
        Err(StoreError::Exists(_)) => {
            let sealed =
                std::fs::read(key_path).map_err(|err| StoreError::io("read", key_path, err))?;
            unseal_key(key_path, &sealed, passphrase)
        }
        Err(err) => Err(err),
    }
}

/// Decrypts the passphrase-sealed file `path` (its `bytes`): a passphrase that does not
/// open it is [`StoreError::WrongPassphrase`], anything else a damaged file.
fn unseal(
    bytes: &[u8],
    passphrase: &Secret,
    path: &Path,
) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    decrypt(bytes, &scrypt_identity(passphrase)).map_err(|err| match err {
        age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys => {
            StoreError::WrongPassphrase
        }
        other => corrupt(path)(other.to_string()),
    })
}

fn unseal_key(
    key_path: &Path,
    sealed: &[u8],
    passphrase: &Secret,
) -> Result<age::x25519::Identity, StoreError> {
    let plain = unseal(sealed, passphrase, key_path)?;
    let text = std::str::from_utf8(&plain).map_err(|err| corrupt(key_path)(err.to_string()))?;
    age::x25519::Identity::from_str(text.trim()).map_err(|err| corrupt(key_path)(err.to_owned()))
}

/// Writes a first-format vault's accounts as records into `staging`; returns the new key.
fn migrate(
    legacy: &Path,
    bytes: &[u8],
    staging: &Path,
    passphrase: &Secret,
) -> Result<age::x25519::Identity, StoreError> {
    let plain = unseal(bytes, passphrase, legacy)?;
    let value: serde_json::Value =
        serde_json::from_slice(&plain).map_err(|err| corrupt(legacy)(err.to_string()))?;
    let old = if value.get("version").is_some_and(serde_json::Value::is_u64) {
        serde_json::from_value::<Legacy>(value).map_err(|err| corrupt(legacy)(err.to_string()))?
    } else {
        Legacy {
            accounts: serde_json::from_value(value)
                .map_err(|err| corrupt(legacy)(err.to_string()))?,
            ..Legacy::default()
        }
    };
    StoreError::check_format(legacy, old.version, 1)?;
    let identity = age::x25519::Identity::generate();
    let key_path = staging.join(KEY_FILE);
    write_new_private(&key_path, &seal_key(&key_path, &identity, passphrase)?)?;
    let recipient = identity.to_public();
    for (account, secrets) in old.accounts {
        let path = staging.join(format!("{}.age", file_stem(&account)));
        write_new_private(&path, &seal_record(&path, &secrets, &recipient)?)?;
    }
    Ok(identity)
}

fn seal_record(
    path: &Path,
    secrets: &Secrets,
    recipient: &age::x25519::Recipient,
) -> Result<Vec<u8>, StoreError> {
    let record = Record {
        version: VAULT_FORMAT,
        secrets: secrets.clone(),
        extra: Extra::default(),
    };
    let plain =
        Zeroizing::new(serde_json::to_vec(&record).map_err(|e| corrupt(path)(e.to_string()))?);
    encrypt(&plain, recipient).map_err(corrupt(path))
}

impl SecretStore for VaultStore {
    fn kind(&self) -> SecretStoreKind {
        SecretStoreKind::File
    }

    fn load(&self, account: &str) -> Result<Option<Secrets>, StoreError> {
        let path = self.record_path(account);
        let sealed = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(StoreError::io("read", &path, err)),
        };
        let plain = decrypt(&sealed, &*self.identity).map_err(|e| corrupt(&path)(e.to_string()))?;
        let record: Record =
            serde_json::from_slice(&plain).map_err(|e| corrupt(&path)(e.to_string()))?;
        StoreError::check_format(&path, record.version, VAULT_FORMAT)?;
        Ok(Some(record.secrets))
    }

    fn save(&self, account: &str, secrets: &Secrets) -> Result<(), StoreError> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|err| StoreError::io("create", &self.dir, err))?;
        let path = self.record_path(account);
        // A record from a newer version is not overwritten by this one.
        if let Err(err @ StoreError::NewerFormat { .. }) = self.load(account) {
            return Err(err);
        }
        write_atomic(&path, &seal_record(&path, secrets, &self.recipient)?)
    }

    fn delete(&self, account: &str) -> Result<(), StoreError> {
        let path = self.record_path(account);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(StoreError::io("remove", &path, err)),
        }
    }

    /// A rescue file encrypted to the vault's key.
    fn save_rescue(&self, account: &str, secrets: &Secrets) -> Result<(), StoreError> {
        self.rescue.write(account, secrets, &self.recipient)
    }

    fn load_rescue(&self, account: &str) -> Result<Option<Secrets>, StoreError> {
        self.rescue.read(account, &*self.identity)
    }

    fn clear_rescue(&self, account: &str) -> Result<(), StoreError> {
        self.rescue.clear(account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vault in `home`, opened with `passphrase`.
    fn open(home: &Path, passphrase: &str) -> Result<VaultStore, StoreError> {
        VaultStore::open(home, &Secret::new(passphrase))
    }

    /// A vault in `home` under `passphrase` holding one account `name`.
    fn saved(home: &Path, passphrase: &str, name: &str, refresh_token: &str) {
        open(home, passphrase)
            .unwrap()
            .save(name, &secrets(refresh_token))
            .unwrap();
    }

    fn secrets(token: &str) -> Secrets {
        Secrets {
            refresh_token: Some(Secret::new(token)),
            ..Secrets::default()
        }
    }

    #[test]
    fn round_trips_and_keeps_the_plain_text_out_of_every_file() {
        let dir = tempfile::tempdir().unwrap();
        let vault = open(dir.path(), "correct horse").unwrap();
        vault.save("a", &secrets("rt-super-secret-a")).unwrap();
        vault.save("b", &secrets("rt-super-secret-b")).unwrap();
        assert_eq!(vault.load("a").unwrap(), Some(secrets("rt-super-secret-a")));
        let other = open(dir.path(), "correct horse").unwrap();
        assert_eq!(other.load("b").unwrap(), Some(secrets("rt-super-secret-b")));
        for entry in std::fs::read_dir(dir.path().join(VAULT_DIR)).unwrap() {
            let raw = std::fs::read(entry.unwrap().path()).unwrap();
            assert!(!String::from_utf8_lossy(&raw).contains("super-secret"));
            assert!(!String::from_utf8_lossy(&raw).contains("AGE-SECRET-KEY"));
        }
        vault.delete("a").unwrap();
        assert_eq!(vault.load("a").unwrap(), None);
        assert!(vault.load("b").unwrap().is_some());
    }

    #[test]
    fn a_wrong_passphrase_is_refused_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        saved(dir.path(), "right", "a", "x");
        let key = dir.path().join(VAULT_DIR).join(KEY_FILE);
        let before = std::fs::read(&key).unwrap();
        assert!(matches!(
            open(dir.path(), "wrong"),
            Err(StoreError::WrongPassphrase)
        ));
        assert!(matches!(
            open(dir.path(), ""),
            Err(StoreError::NoPassphrase)
        ));
        assert_eq!(std::fs::read(&key).unwrap(), before);
    }

    #[test]
    fn a_damaged_vault_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(VAULT_DIR)).unwrap();
        std::fs::write(dir.path().join(VAULT_DIR).join(KEY_FILE), b"garbage").unwrap();
        assert!(matches!(
            open(dir.path(), "p"),
            Err(StoreError::Corrupt { .. })
        ));
        let other = tempfile::tempdir().unwrap();
        std::fs::write(other.path().join(LEGACY_VAULT_FILE), b"garbage").unwrap();
        assert!(matches!(
            open(other.path(), "p"),
            Err(StoreError::Corrupt { .. })
        ));
        assert!(other.path().join(LEGACY_VAULT_FILE).exists(), "left alone");
    }

    fn write_legacy(home: &Path, passphrase: &str, plain: &serde_json::Value) -> Vec<u8> {
        let bytes = encrypt(
            plain.to_string().as_bytes(),
            &scrypt_recipient(&Secret::new(passphrase)),
        )
        .unwrap();
        std::fs::write(home.join(LEGACY_VAULT_FILE), &bytes).unwrap();
        bytes
    }

    #[test]
    fn both_first_formats_are_migrated_with_a_backup_and_unknown_fields_kept() {
        for legacy in [
            serde_json::json!({ "a": { "refresh_token": "rt-a", "future": "kept" } }),
            serde_json::json!({ "version": 1, "accounts": { "a": { "refresh_token": "rt-a", "future": "kept" } } }),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let bytes = write_legacy(dir.path(), "pw", &legacy);
            assert!(matches!(
                open(dir.path(), "wrong"),
                Err(StoreError::WrongPassphrase)
            ));
            assert!(
                !dir.path().join(VAULT_DIR).exists(),
                "a wrong passphrase migrates nothing"
            );
            let store = open(dir.path(), "pw").unwrap();
            let a = store.load("a").unwrap().unwrap();
            assert_eq!(a.refresh_token, Some(Secret::new("rt-a")));
            assert_eq!(a.extra.0.get("future"), Some(&serde_json::json!("kept")));
            assert!(!dir.path().join(LEGACY_VAULT_FILE).exists());
            assert_eq!(
                std::fs::read(dir.path().join("secrets.age.bak")).unwrap(),
                bytes
            );
            let reopened = open(dir.path(), "pw").unwrap();
            assert!(reopened.load("a").unwrap().is_some());
        }
    }

    #[test]
    fn a_foreign_old_vault_beside_the_new_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        saved(dir.path(), "pw", "a", "rt-a");
        write_legacy(
            dir.path(),
            "pw",
            &serde_json::json!({ "version": 1, "accounts": {} }),
        );
        assert!(matches!(
            open(dir.path(), "pw"),
            Err(StoreError::HalfMigrated { .. })
        ));
        assert!(dir.path().join(LEGACY_VAULT_FILE).exists());
    }

    #[test]
    fn a_record_from_a_newer_version_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path(), "pw").unwrap();
        let path = store.record_path("x");
        let newer = serde_json::json!({ "version": VAULT_FORMAT + 1, "secrets": {} });
        let bytes = encrypt(newer.to_string().as_bytes(), &store.recipient).unwrap();
        std::fs::write(&path, &bytes).unwrap();
        assert!(matches!(
            store.load("x"),
            Err(StoreError::NewerFormat { found: 3, .. })
        ));
        assert!(store.save("x", &secrets("rt-x")).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
    }
}
