//! The Secret Service (the desktop keyring: GNOME Keyring, `KWallet`, `KeePassXC`) over one
//! D-Bus connection and one encrypted session per process. `keyring`'s own backend connects
//! and negotiates a new Diffie-Hellman session at every call, so reading a JWT pair (an
//! index entry and its parts) paid it three times, and the window's start once per entry.
//! Items carry the attributes `keyring` gives them (`target` = `default`, `service`,
//! `username`, `application`), so each finds the other's.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use secret_service::EncryptionType;
use secret_service::blocking::{Item, SecretService};
use zeroize::Zeroizing;

use crate::store::StoreError;

/// The process's session, opened at the first call.
static SESSION: Mutex<Option<SecretService<'static>>> = Mutex::new(None);

/// The attributes an item is found by.
fn search<'a>(service: &'a str, name: &'a str) -> HashMap<&'a str, &'a str> {
    HashMap::from([
        ("target", "default"),
        ("service", service),
        ("username", name),
    ])
}

/// Runs `call` on the session, connecting first if there is none. A failed call drops the
/// session and runs once more on a new one (the keyring daemon restarted, the bus went
/// away): every call here can be repeated without harm.
fn with_session<T>(
    call: impl Fn(&SecretService<'static>) -> Result<T, String>,
) -> Result<T, StoreError> {
    let mut slot = SESSION.lock().unwrap_or_else(PoisonError::into_inner);
    let mut failure = String::new();
    for _ in 0..2 {
        let session = match slot.take() {
            Some(session) => session,
            None => SecretService::connect(EncryptionType::Dh)
                .map_err(|err| StoreError::Keyring(err.to_string()))?,
        };
        match call(&session) {
            Ok(value) => {
                *slot = Some(session);
                return Ok(value);
            }
            Err(err) => failure = err,
        }
    }
    Err(StoreError::Keyring(failure))
}

/// The one item named `name`, unlocked; `None` when there is none.
fn find<'s>(
    session: &'s SecretService<'static>,
    service: &str,
    name: &str,
) -> Result<Option<Item<'s>>, String> {
    let found = session
        .search_items(search(service, name))
        .map_err(|err| err.to_string())?;
    let count = found.unlocked.len() + found.locked.len();
    if count > 1 {
        return Err(format!(
            "the keyring holds {count} entries named {name}; keep one (Seahorse, KWallet or KeePassXC shows them)"
        ));
    }
    if let Some(item) = found.unlocked.into_iter().next() {
        return Ok(Some(item));
    }
    match found.locked.into_iter().next() {
        Some(item) => {
            item.unlock().map_err(|err| err.to_string())?;
            Ok(Some(item))
        }
        None => Ok(None),
    }
}

/// The text stored under `name`.
pub fn get(service: &str, name: &str) -> Result<Option<Zeroizing<String>>, StoreError> {
    with_session(|session| {
        let Some(item) = find(session, service, name)? else {
            return Ok(None);
        };
        let bytes = Zeroizing::new(item.get_secret().map_err(|err| err.to_string())?);
        std::str::from_utf8(&bytes)
            .map(|text| Some(Zeroizing::new(text.to_owned())))
            .map_err(|_| format!("the keyring entry {name} is not text"))
    })
}

/// Stores `value` under `name`, replacing what was there.
pub fn set(service: &str, name: &str, value: &str) -> Result<(), StoreError> {
    with_session(|session| {
        if let Some(item) = find(session, service, name)? {
            return item
                .set_secret(value.as_bytes(), "text/plain")
                .map_err(|err| err.to_string());
        }
        let collection = session
            .get_default_collection()
            .map_err(|err| err.to_string())?;
        if collection.is_locked().map_err(|err| err.to_string())? {
            collection.unlock().map_err(|err| err.to_string())?;
        }
        let mut attributes = search(service, name);
        attributes.insert("application", "rust-keyring");
        collection
            .create_item(
                &format!("{name}@{service}:default (tokenwallet)"),
                attributes,
                value.as_bytes(),
                true,
                "text/plain",
            )
            .map(drop)
            .map_err(|err| err.to_string())
    })
}

/// Removes `name`; a missing entry is not an error.
pub fn delete(service: &str, name: &str) -> Result<(), StoreError> {
    with_session(|session| match find(session, service, name)? {
        Some(item) => item.delete().map_err(|err| err.to_string()),
        None => Ok(()),
    })
}
