//! A secret store in process memory: nothing persisted. For tests and the demo.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{SecretStore, SecretStoreKind, StoreError};
use crate::model::Secrets;

/// Secrets kept in memory for the life of the process.
#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, Secrets>>,
}

impl SecretStore for MemoryStore {
    fn kind(&self) -> SecretStoreKind {
        SecretStoreKind::Memory
    }

    fn load(&self, account: &str) -> Result<Option<Secrets>, StoreError> {
        Ok(self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(account)
            .cloned())
    }

    fn save(&self, account: &str, secrets: &Secrets) -> Result<(), StoreError> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(account.to_owned(), secrets.clone());
        Ok(())
    }

    /// Memory is all this store has: the entry itself is the rescue.
    fn save_rescue(&self, account: &str, secrets: &Secrets) -> Result<(), StoreError> {
        self.save(account, secrets)
    }

    fn load_rescue(&self, _account: &str) -> Result<Option<Secrets>, StoreError> {
        Ok(None)
    }

    fn clear_rescue(&self, _account: &str) -> Result<(), StoreError> {
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<(), StoreError> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(account);
        Ok(())
    }
}
