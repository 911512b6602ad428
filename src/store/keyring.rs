//! The OS keyring (macOS Keychain, Windows Credential Manager, Secret Service on Linux).
//!
//! No entry may exceed the smallest platform limit: Windows Credential Manager takes at most
//! 2 560 bytes of UTF-16, 1 280 characters, less than one real JWT. An account's secrets that
//! fit stay in one entry (one call to read them); bigger ones get entries of their own per
//! secret, cut into parts of at most [`MAX_PART_UTF16`] UTF-16 units, and the account's entry
//! becomes a small index that names them. A save writes the parts of a new generation first, then
//! switches the index, then deletes the old parts: a crash at any point leaves the old or
//! the new secrets whole, never a mix.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::rescue::RescueDir;
use super::{SecretStore, SecretStoreKind, StoreError};
use crate::model::{Secret, Secrets};

#[cfg(any(target_os = "linux", target_os = "freebsd"))]
mod secret_service;

const SERVICE: &str = "tokenwallet";

/// The most UTF-16 units one entry holds: under Windows' 1 280, with room to spare.
pub const MAX_PART_UTF16: usize = 1200;

/// Where entries are kept: the OS keyring, or a stand-in in tests.
pub trait KeyringBackend: Send + Sync {
    /// The value of entry `name`, if there is one.
    fn get(&self, name: &str) -> Result<Option<Zeroizing<String>>, StoreError>;
    /// Sets entry `name`.
    fn set(&self, name: &str, value: &str) -> Result<(), StoreError>;
    /// Deletes entry `name` (no error if there is none).
    fn delete(&self, name: &str) -> Result<(), StoreError>;
}

/// The platform's keyring through the `keyring` crate.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsKeyring;

impl OsKeyring {
    /// Runs a keyring call on a plain thread: the Secret Service backend blocks on its own
    /// executor, which must not happen inside the wallet's tokio runtime.
    fn off_runtime<T: Send>(
        call: impl FnOnce() -> Result<T, StoreError> + Send,
    ) -> Result<T, StoreError> {
        std::thread::scope(|scope| {
            scope
                .spawn(call)
                .join()
                .unwrap_or_else(|_| Err(StoreError::Keyring("the keyring call failed".to_owned())))
        })
    }

    #[cfg(not(any(target_os = "linux", target_os = "freebsd")))]
    fn entry(name: &str) -> Result<keyring::Entry, StoreError> {
        keyring::Entry::new(SERVICE, name).map_err(|err| StoreError::Keyring(err.to_string()))
    }
}

/// On Linux and FreeBSD: one Secret Service session per process (see `secret_service.rs`).
#[cfg(any(target_os = "linux", target_os = "freebsd"))]
impl KeyringBackend for OsKeyring {
    fn get(&self, name: &str) -> Result<Option<Zeroizing<String>>, StoreError> {
        Self::off_runtime(|| secret_service::get(SERVICE, name))
    }

    fn set(&self, name: &str, value: &str) -> Result<(), StoreError> {
        Self::off_runtime(|| secret_service::set(SERVICE, name, value))
    }

    fn delete(&self, name: &str) -> Result<(), StoreError> {
        Self::off_runtime(|| secret_service::delete(SERVICE, name))
    }
}

/// Elsewhere (Credential Manager, Keychain): the `keyring` crate's own calls.
#[cfg(not(any(target_os = "linux", target_os = "freebsd")))]
impl KeyringBackend for OsKeyring {
    fn get(&self, name: &str) -> Result<Option<Zeroizing<String>>, StoreError> {
        let entry = Self::entry(name)?;
        match Self::off_runtime(|| Ok(entry.get_password()))? {
            Ok(value) => Ok(Some(Zeroizing::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(StoreError::Keyring(err.to_string())),
        }
    }

    fn set(&self, name: &str, value: &str) -> Result<(), StoreError> {
        let entry = Self::entry(name)?;
        Self::off_runtime(|| {
            entry
                .set_password(value)
                .map_err(|err| StoreError::Keyring(err.to_string()))
        })
    }

    fn delete(&self, name: &str) -> Result<(), StoreError> {
        let entry = Self::entry(name)?;
        match Self::off_runtime(|| Ok(entry.delete_credential()))? {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(StoreError::Keyring(err.to_string())),
        }
    }
}

/// The index entry of an account: which generation of parts is current, and how many
/// parts each secret has.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Index {
    /// Layout version: 2 (version 1 kept all secrets as one JSON entry).
    v: u32,
    /// The current generation of parts.
    generation: u64,
    /// Parts per secret, by the secret's JSON name.
    parts: BTreeMap<String, usize>,
    /// The names whose value is JSON (fields of a newer version); the others are text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    json: Vec<String>,
}

/// Secrets in the OS keyring, namespaced by data dir so two wallets never mix.
#[derive(Clone)]
pub struct KeyringStore {
    namespace: String,
    backend: Arc<dyn KeyringBackend>,
    rescue: RescueDir,
}

impl std::fmt::Debug for KeyringStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringStore")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl KeyringStore {
    /// The keyring entries of the wallet in `home`.
    pub fn new(home: &Path) -> Self {
        Self::with_backend(home, Arc::new(OsKeyring))
    }

    /// The same layout over another backend (tests with a platform's limits).
    pub fn with_backend(home: &Path, backend: Arc<dyn KeyringBackend>) -> Self {
        let canonical = home.canonicalize().unwrap_or_else(|_| home.to_owned());
        Self {
            namespace: format!("{:016x}", fnv1a(canonical.to_string_lossy().as_bytes())),
            backend,
            rescue: RescueDir::new(home),
        }
    }

    /// Whether an OS keyring answers at all (a missing entry counts as an answer).
    pub fn reachable() -> bool {
        match OsKeyring.get("reachability-probe") {
            Ok(_) => true,
            Err(err) => {
                tracing::debug!(error = %err, "OS keyring not reachable");
                false
            }
        }
    }

    fn index_name(&self, account: &str) -> String {
        format!("{}/{account}", self.namespace)
    }

    fn part_name(&self, account: &str, generation: u64, secret: &str, part: usize) -> String {
        format!("{}/{account}/{generation}/{secret}/{part}", self.namespace)
    }

    /// The index, or the secrets of the first layout (one JSON entry), if any.
    fn read_index(&self, account: &str) -> Result<Option<Result<Index, Secrets>>, StoreError> {
        let Some(text) = self.backend.get(&self.index_name(account))? else {
            return Ok(None);
        };
        let damaged = |err: serde_json::Error| {
            StoreError::Keyring(format!("the keyring entry of {account} is damaged: {err}"))
        };
        let value: serde_json::Value = serde_json::from_str(&text).map_err(damaged)?;
        if value.get("v").is_some() {
            Ok(Some(Ok(serde_json::from_value(value).map_err(damaged)?)))
        } else {
            Ok(Some(Err(serde_json::from_value(value).map_err(damaged)?)))
        }
    }

    /// The key of this wallet's rescue files: an age X25519 identity in a small keyring
    /// entry of its own, made on first need. A keyring that refuses the big entries of a
    /// save usually still takes this one; one that takes nothing leaves the rescue in memory.
    fn rescue_identity(&self, create: bool) -> Result<Option<age::x25519::Identity>, StoreError> {
        use age::secrecy::ExposeSecret as _;
        let name = format!("{}/rescue-key", self.namespace);
        if let Some(text) = self.backend.get(&name)? {
            return text.parse().map(Some).map_err(|err: &str| {
                StoreError::Keyring(format!("the rescue key is damaged: {err}"))
            });
        }
        if !create {
            return Ok(None);
        }
        let identity = age::x25519::Identity::generate();
        self.backend
            .set(&name, identity.to_string().expose_secret())?;
        Ok(Some(identity))
    }

    /// The account's secrets, or only the one named `only` when the secrets are kept apart
    /// (a set in one entry comes whole).
    fn load_only(&self, account: &str, only: Option<&str>) -> Result<Option<Secrets>, StoreError> {
        let index = match self.read_index(account)? {
            None => return Ok(None),
            Some(Err(whole)) => return Ok(Some(whole)),
            Some(Ok(index)) => index,
        };
        let mut map = serde_json::Map::new();
        let wanted = index
            .parts
            .iter()
            .filter(|(secret, _)| only.is_none_or(|only| only == secret.as_str()));
        for (secret, count) in wanted {
            let mut value = Zeroizing::new(String::new());
            for part in 0..*count {
                let name = self.part_name(account, index.generation, secret, part);
                let text = self.backend.get(&name)?.ok_or_else(|| {
                    StoreError::Keyring(format!("a keyring entry of {account} is missing"))
                })?;
                value.push_str(&text);
            }
            let json = if index.json.contains(secret) {
                serde_json::from_str(&value).map_err(|err| {
                    StoreError::Keyring(format!("a keyring entry of {account} is damaged: {err}"))
                })?
            } else {
                serde_json::Value::String(value.to_string())
            };
            map.insert(secret.clone(), json);
        }
        serde_json::from_value(serde_json::Value::Object(map))
            .map(Some)
            .map_err(|err| {
                StoreError::Keyring(format!(
                    "the keyring entries of {account} are damaged: {err}"
                ))
            })
    }

    /// Removes the parts of the generation before `index`'s, which a crash between an
    /// index switch and its clean-up leaves behind: one read finds whether any are there.
    fn delete_orphans(&self, account: &str, index: &Index) {
        let Some(before) = index.generation.checked_sub(1).filter(|g| *g > 0) else {
            return;
        };
        let Some(probe) = index.parts.keys().next() else {
            return;
        };
        if !matches!(
            self.backend.get(&self.part_name(account, before, probe, 0)),
            Ok(Some(_))
        ) {
            return;
        }
        for secret in index.parts.keys() {
            for part in 0.. {
                let name = self.part_name(account, before, secret, part);
                if !matches!(self.backend.get(&name), Ok(Some(_))) {
                    break;
                }
                if let Err(err) = self.backend.delete(&name) {
                    tracing::debug!(error = %err, "an orphaned keyring part stays behind");
                    break;
                }
            }
        }
    }

    fn delete_parts(&self, account: &str, index: &Index) {
        for (secret, parts) in &index.parts {
            for part in 0..*parts {
                let name = self.part_name(account, index.generation, secret, part);
                if let Err(err) = self.backend.delete(&name) {
                    tracing::debug!(error = %err, "an old keyring part stays behind");
                }
            }
        }
    }
}

/// A generation no earlier save can have used: the time in nanoseconds, far above the
/// counts that saves reach one by one.
fn unused_generation() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    u64::try_from(nanos).unwrap_or(u64::MAX / 2)
}

/// Cuts `text` into parts of at most [`MAX_PART_UTF16`] UTF-16 units.
fn parts(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut units) = (0, 0);
    for (at, c) in text.char_indices() {
        if units + c.len_utf16() > MAX_PART_UTF16 {
            out.push(&text[start..at]);
            (start, units) = (at, 0);
        }
        units += c.len_utf16();
    }
    out.push(&text[start..]);
    out
}

/// Each secret's JSON name, its text, and whether that text is JSON (a newer version's
/// field that is not a string).
fn named_values(secrets: &Secrets) -> Result<Vec<(String, Zeroizing<String>, bool)>, StoreError> {
    let json = serde_json::to_value(secrets).map_err(|err| StoreError::Keyring(err.to_string()))?;
    let serde_json::Value::Object(map) = json else {
        return Ok(Vec::new());
    };
    Ok(map
        .into_iter()
        .map(|(name, value)| match value {
            serde_json::Value::String(text) => (name, Zeroizing::new(text), false),
            other => (name, Zeroizing::new(other.to_string()), true),
        })
        .collect())
}

/// A stable 64-bit FNV-1a hash (std's hasher may change between Rust versions).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl SecretStore for KeyringStore {
    fn kind(&self) -> SecretStoreKind {
        SecretStoreKind::Keyring
    }

    fn load(&self, account: &str) -> Result<Option<Secrets>, StoreError> {
        self.load_only(account, None)
    }

    /// One keyring read (a set in one entry) or two (the index and the token's parts).
    fn load_access_token(&self, account: &str) -> Result<Option<Secret>, StoreError> {
        Ok(self
            .load_only(account, Some("access_token"))?
            .and_then(|secrets| secrets.access_token))
    }

    fn save(&self, account: &str, secrets: &Secrets) -> Result<(), StoreError> {
        // An index that cannot be read (a keyring hiccup, a damaged entry) names parts that
        // may still be live: the new parts get a generation of their own, never one that
        // would overwrite them in place.
        let (old, unknown) = match self.read_index(account) {
            Ok(found) => (found.and_then(Result::ok), false),
            Err(err) => {
                tracing::warn!(account, error = %err, "the keyring index could not be read; saving beside it");
                (None, true)
            }
        };
        // Small sets (opaque tokens) fit one entry: one keyring call to read them back.
        let blob = Zeroizing::new(
            serde_json::to_string(secrets).map_err(|err| StoreError::Keyring(err.to_string()))?,
        );
        if blob.encode_utf16().count() <= MAX_PART_UTF16 {
            self.backend.set(&self.index_name(account), &blob)?;
            if let Some(old) = old {
                self.delete_parts(account, &old);
            }
            return Ok(());
        }
        let generation = match &old {
            Some(index) => index.generation + 1,
            None if unknown => unused_generation(),
            None => 1,
        };
        let mut index = Index {
            v: 2,
            generation,
            ..Index::default()
        };
        for (secret, value, json) in named_values(secrets)? {
            if json {
                index.json.push(secret.clone());
            }
            let pieces = parts(&value);
            for (part, piece) in pieces.iter().enumerate() {
                self.backend
                    .set(&self.part_name(account, generation, &secret, part), piece)?;
            }
            index.parts.insert(secret, pieces.len());
        }
        let json =
            serde_json::to_string(&index).map_err(|err| StoreError::Keyring(err.to_string()))?;
        self.backend.set(&self.index_name(account), &json)?;
        if let Some(old) = old {
            self.delete_parts(account, &old);
            self.delete_orphans(account, &old);
        }
        Ok(())
    }

    fn save_rescue(&self, account: &str, secrets: &Secrets) -> Result<(), StoreError> {
        let identity = self
            .rescue_identity(true)?
            .ok_or_else(|| StoreError::Keyring("no rescue key".to_owned()))?;
        self.rescue.write(account, secrets, &identity.to_public())
    }

    fn load_rescue(&self, account: &str) -> Result<Option<Secrets>, StoreError> {
        // Every load asks: only a file on disk may cost a keyring call.
        if !self.rescue.exists(account) {
            return Ok(None);
        }
        match self.rescue_identity(false)? {
            Some(identity) => self.rescue.read(account, &identity),
            None => Ok(None),
        }
    }

    fn clear_rescue(&self, account: &str) -> Result<(), StoreError> {
        self.rescue.clear(account)
    }

    fn delete(&self, account: &str) -> Result<(), StoreError> {
        if let Some(Ok(index)) = self.read_index(account)? {
            self.delete_parts(account, &index);
        }
        self.backend.delete(&self.index_name(account))
    }
}

#[cfg(test)]
mod tests;
