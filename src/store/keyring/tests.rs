//! The keyring layout's tests, over stand-in backends with a platform's limits.

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

/// A store over `backend`: the backend, the home (kept alive), the store.
fn store_over<B: KeyringBackend + 'static>(
    backend: B,
) -> (Arc<B>, tempfile::TempDir, KeyringStore) {
    let backend = Arc::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let store = KeyringStore::with_backend(dir.path(), backend.clone());
    (backend, dir, store)
}

/// A JWT-sized token of `len` characters (RS512 pairs are about 1 350 each).
fn token(tag: &str, len: usize) -> Secret {
    Secret::new(format!("{tag}.{}", "x".repeat(len)))
}

/// A set holding a short refresh token and nothing else.
fn refresh_only(token: &str) -> Secrets {
    Secrets {
        refresh_token: Some(Secret::new(token)),
        ..Secrets::default()
    }
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
    let (backend, _dir, store) = store_over(WindowsLimit::default());
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
    let (backend, _dir, store) = store_over(Counting(WindowsLimit::default(), 0.into()));
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
    let (backend, _dir, store) = store_over(WindowsLimit::default());
    let small = refresh_only("rt-opaque-123");
    store.save("a", &realistic()).unwrap();
    store.save("a", &small).unwrap();
    assert_eq!(store.load("a").unwrap(), Some(small));
    assert_eq!(backend.0.lock().unwrap().len(), 1, "the old parts are gone");
}

#[test]
fn the_first_layout_still_loads_and_is_rewritten_on_save() {
    let (backend, _dir, store) = store_over(WindowsLimit::default());
    let small = refresh_only("rt-old-layout");
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
    let (backend, _dir, store) = store_over(Failing::default());
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
    let (backend, _dir, store) = store_over(Failing::default());
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
