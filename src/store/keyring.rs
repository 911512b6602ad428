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
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::model::Secret;

    /// A keyring with Windows Credential Manager's limit: 2 560 bytes of UTF-16.
    #[derive(Default)]
    struct WindowsLimit(Mutex<BTreeMap<String, String>>);

    impl KeyringBackend for WindowsLimit {
        fn get(&self, name: &str) -> Result<Option<Zeroizing<String>>, StoreError> {
            Ok(self
                .0
                .lock()
                .unwrap()
                .get(name)
                .cloned()
                .map(Zeroizing::new))
        }

        fn set(&self, name: &str, value: &str) -> Result<(), StoreError> {
            let bytes = value.encode_utf16().count() * 2;
            if bytes > 2560 {
                return Err(StoreError::Keyring(format!(
                    "Attribute 'password encoded as UTF-16' is longer than platform limit of 2560 chars ({bytes})"
                )));
            }
            self.0
                .lock()
                .unwrap()
                .insert(name.to_owned(), value.to_owned());
            Ok(())
        }

        fn delete(&self, name: &str) -> Result<(), StoreError> {
            self.0.lock().unwrap().remove(name);
            Ok(())
        }
    }

    /// A JWT-sized token of `len` characters (RS512 pairs are about 1 350 each).
    fn token(tag: &str, len: usize) -> Secret {
        Secret::new(format!("{tag}.{}", "x".repeat(len)))
    }

    fn realistic() -> Secrets {
        let mut extra = serde_json::Map::new();
        extra.insert("future".into(), serde_json::json!({ "n": 1 }));
        Secrets {
            client_secret: Some(Secret::new("12345678")),
            extra: crate::model::Extra(extra),
            access_token: Some(token("access", 1350)),
            refresh_token: Some(token("refresh", 1350)),
            id_token: Some(token("id", 3000)),
            ..Secrets::default()
        }
    }

    #[test]
    fn realistic_jwts_fit_a_keyring_with_windows_limit() {
        let backend = Arc::new(WindowsLimit::default());
        let dir = tempfile::tempdir().unwrap();
        let store = KeyringStore::with_backend(dir.path(), backend.clone());
        // The first layout, one JSON entry, is refused by this limit.
        let blob = serde_json::to_string(&realistic()).unwrap();
        assert!(backend.set("one-blob", &blob).is_err());
        store.save("aiq", &realistic()).unwrap();
        assert_eq!(store.load("aiq").unwrap(), Some(realistic()));
        // A new save replaces the parts: the old generation's entries are gone.
        let mut rotated = realistic();
        rotated.refresh_token = Some(token("rotated", 1500));
        store.save("aiq", &rotated).unwrap();
        assert_eq!(store.load("aiq").unwrap(), Some(rotated));
        let names: Vec<String> = backend.0.lock().unwrap().keys().cloned().collect();
        assert!(names.iter().all(|n| !n.contains("/1/")), "{names:?}");
        store.delete("aiq").unwrap();
        assert_eq!(store.load("aiq").unwrap(), None);
        assert!(backend.0.lock().unwrap().is_empty());
    }

    /// Counts reads on the way to another backend.
    struct Counting(WindowsLimit, std::sync::atomic::AtomicUsize);

    impl KeyringBackend for Counting {
        fn get(&self, name: &str) -> Result<Option<Zeroizing<String>>, StoreError> {
            self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.0.get(name)
        }
        fn set(&self, name: &str, value: &str) -> Result<(), StoreError> {
            self.0.set(name, value)
        }
        fn delete(&self, name: &str) -> Result<(), StoreError> {
            self.0.delete(name)
        }
    }

    #[test]
    fn the_access_token_alone_costs_the_index_and_its_own_parts() {
        let backend = Arc::new(Counting(WindowsLimit::default(), 0.into()));
        let dir = tempfile::tempdir().unwrap();
        let store = KeyringStore::with_backend(dir.path(), backend.clone());
        store.save("aiq", &realistic()).unwrap();
        let reads = || backend.1.swap(0, std::sync::atomic::Ordering::SeqCst);
        reads();
        assert_eq!(
            store.load_access_token("aiq").unwrap(),
            realistic().access_token
        );
        assert_eq!(
            reads(),
            1 + parts(realistic().access_token.unwrap().expose()).len()
        );
        store.load("aiq").unwrap();
        assert!(reads() > 4, "the whole set reads every secret's parts");
        // A set that fits one entry is one read either way.
        let small = Secrets {
            access_token: Some(Secret::new("at")),
            ..Secrets::default()
        };
        store.save("small", &small).unwrap();
        reads();
        assert_eq!(
            store.load_access_token("small").unwrap(),
            small.access_token
        );
        assert_eq!(reads(), 1);
    }

    #[test]
    fn a_small_set_stays_in_one_entry_and_a_big_one_replaces_it_cleanly() {
        let backend = Arc::new(WindowsLimit::default());
        let dir = tempfile::tempdir().unwrap();
        let store = KeyringStore::with_backend(dir.path(), backend.clone());
        let small = Secrets {
            refresh_token: Some(Secret::new("rt-opaque-123")),
            ..Secrets::default()
        };
        store.save("a", &realistic()).unwrap();
        store.save("a", &small).unwrap();
        assert_eq!(store.load("a").unwrap(), Some(small));
        assert_eq!(backend.0.lock().unwrap().len(), 1, "the old parts are gone");
    }

    #[test]
    fn the_first_layout_still_loads_and_is_rewritten_on_save() {
        let backend = Arc::new(WindowsLimit::default());
        let dir = tempfile::tempdir().unwrap();
        let store = KeyringStore::with_backend(dir.path(), backend.clone());
        let small = Secrets {
            refresh_token: Some(Secret::new("rt-old-layout")),
            ..Secrets::default()
        };
        backend
            .set(
                &store.index_name("a"),
                &serde_json::to_string(&small).unwrap(),
            )
            .unwrap();
        assert_eq!(store.load("a").unwrap(), Some(small));
        store.save("a", &realistic()).unwrap();
        assert_eq!(store.load("a").unwrap(), Some(realistic()));
        assert!(
            backend.0.lock().unwrap().len() > 1,
            "now one entry per secret"
        );
    }

    /// A keyring that fails on demand: the next index reads, every write after a number
    /// of them (a crash mid-save), every delete (a crash before the clean-up).
    #[derive(Default)]
    struct Failing {
        inner: WindowsLimit,
        index_reads: std::sync::atomic::AtomicUsize,
        writes_left: std::sync::Mutex<Option<usize>>,
        no_deletes: std::sync::atomic::AtomicBool,
    }

    impl KeyringBackend for Failing {
        fn get(&self, name: &str) -> Result<Option<Zeroizing<String>>, StoreError> {
            use std::sync::atomic::Ordering;
            let index = name.matches('/').count() == 1;
            if index
                && self
                    .index_reads
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok()
            {
                return Err(StoreError::Keyring("the keyring did not answer".into()));
            }
            self.inner.get(name)
        }
        fn set(&self, name: &str, value: &str) -> Result<(), StoreError> {
            if let Some(left) = self.writes_left.lock().unwrap().as_mut() {
                if *left == 0 {
                    return Err(StoreError::Keyring("the process died".into()));
                }
                *left -= 1;
            }
            self.inner.set(name, value)
        }
        fn delete(&self, name: &str) -> Result<(), StoreError> {
            if self.no_deletes.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(StoreError::Keyring("the process died".into()));
            }
            self.inner.delete(name)
        }
    }

    // Issue 16, item 14: with the index unreadable, a save took generation 1 and overwrote
    // the live parts in place; cut short, it left neither set whole.
    #[test]
    fn an_unreadable_index_never_lets_a_save_overwrite_the_live_parts() {
        let backend = Arc::new(Failing::default());
        let dir = tempfile::tempdir().unwrap();
        let store = KeyringStore::with_backend(dir.path(), backend.clone());
        store.save("aiq", &realistic()).unwrap();
        let mut rotated = realistic();
        rotated.access_token = Some(token("rotated-access", 1350));
        rotated.refresh_token = Some(token("rotated", 1500));
        backend
            .index_reads
            .store(1, std::sync::atomic::Ordering::SeqCst);
        *backend.writes_left.lock().unwrap() = Some(2);
        store.save("aiq", &rotated).unwrap_err();
        *backend.writes_left.lock().unwrap() = None;
        assert_eq!(
            store.load("aiq").unwrap(),
            Some(realistic()),
            "the live set is whole"
        );
        store.save("aiq", &rotated).unwrap();
        assert_eq!(store.load("aiq").unwrap(), Some(rotated));
    }

    // Issue 16, item 14: parts left by a crash between the index switch and the clean-up
    // stayed in the keyring for good.
    #[test]
    fn parts_orphaned_by_a_crash_are_removed_by_the_next_save() {
        let backend = Arc::new(Failing::default());
        let dir = tempfile::tempdir().unwrap();
        let store = KeyringStore::with_backend(dir.path(), backend.clone());
        store.save("aiq", &realistic()).unwrap();
        let entries = backend.inner.0.lock().unwrap().len();
        backend
            .no_deletes
            .store(true, std::sync::atomic::Ordering::SeqCst);
        store.save("aiq", &realistic()).unwrap();
        assert!(backend.inner.0.lock().unwrap().len() > entries);
        backend
            .no_deletes
            .store(false, std::sync::atomic::Ordering::SeqCst);
        store.save("aiq", &realistic()).unwrap();
        assert_eq!(store.load("aiq").unwrap(), Some(realistic()));
        assert_eq!(
            backend.inner.0.lock().unwrap().len(),
            entries,
            "only the live generation is left"
        );
    }

    #[test]
    fn parts_respect_utf16_units() {
        let text = "é😀".repeat(500);
        let pieces = parts(&text);
        assert!(
            pieces
                .iter()
                .all(|p| p.encode_utf16().count() <= MAX_PART_UTF16)
        );
        assert_eq!(pieces.concat(), text);
    }

    #[test]
    fn namespaces_are_stable_and_distinct() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        let a = KeyringStore::new(Path::new("/nonexistent/a"));
        let b = KeyringStore::new(Path::new("/nonexistent/b"));
        assert_ne!(a.namespace, b.namespace);
    }
}
