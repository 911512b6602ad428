//! The OS keyring (macOS Keychain, Windows Credential Manager, Secret Service on Linux):
//! one entry per account, holding that account's secrets as JSON.

use std::path::Path;

use super::{SecretStore, SecretStoreKind, StoreError};
use crate::model::Secrets;

const SERVICE: &str = "tokenwallet";

/// Secrets in the OS keyring, namespaced by data dir so two wallets never mix.
#[derive(Debug, Clone)]
pub struct KeyringStore {
    namespace: String,
}

impl KeyringStore {
    /// The keyring entries of the wallet in `home`.
    pub fn new(home: &Path) -> Self {
        let canonical = home.canonicalize().unwrap_or_else(|_| home.to_owned());
        Self {
            namespace: format!("{:016x}", fnv1a(canonical.to_string_lossy().as_bytes())),
        }
    }

    /// Whether an OS keyring answers at all (a missing entry counts as an answer).
    pub fn reachable() -> bool {
        let probe = Self::off_runtime(|| {
            keyring::Entry::new(SERVICE, "reachability-probe")
                .and_then(|entry| entry.get_password())
                .map(drop)
                .or_else(|err| match err {
                    keyring::Error::NoEntry => Ok(()),
                    err => Err(StoreError::Keyring(err.to_string())),
                })
        });
        match probe {
            Ok(()) => true,
            Err(err) => {
                tracing::debug!(error = %err, "OS keyring not reachable");
                false
            }
        }
    }

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

    fn entry(&self, account: &str) -> Result<keyring::Entry, StoreError> {
        keyring::Entry::new(SERVICE, &format!("{}/{account}", self.namespace))
            .map_err(|err| StoreError::Keyring(err.to_string()))
    }
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
        let entry = self.entry(account)?;
        match Self::off_runtime(|| Ok(entry.get_password()))? {
            Ok(json) => serde_json::from_str(&json).map(Some).map_err(|err| {
                StoreError::Keyring(format!("the keyring entry of {account} is damaged: {err}"))
            }),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(StoreError::Keyring(err.to_string())),
        }
    }

    fn save(&self, account: &str, secrets: &Secrets) -> Result<(), StoreError> {
        let json = zeroize::Zeroizing::new(
            serde_json::to_string(secrets).map_err(|err| StoreError::Keyring(err.to_string()))?,
        );
        let entry = self.entry(account)?;
        Self::off_runtime(|| {
            entry
                .set_password(&json)
                .map_err(|err| StoreError::Keyring(err.to_string()))
        })
    }

    fn delete(&self, account: &str) -> Result<(), StoreError> {
        let entry = self.entry(account)?;
        match Self::off_runtime(|| Ok(entry.delete_credential()))? {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(StoreError::Keyring(err.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_stable_and_distinct() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        let a = KeyringStore::new(Path::new("/nonexistent/a"));
        let b = KeyringStore::new(Path::new("/nonexistent/b"));
        assert_ne!(a.namespace, b.namespace);
    }
}
