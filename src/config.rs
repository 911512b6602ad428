//! What the fronts (the command line and the window) read from the environment, so the core
//! does not: the secret store chosen by `TOKENWALLET_SECRET_STORE`.

use crate::store::{SecretStoreKind, StoreError};

/// The secret store named by `TOKENWALLET_SECRET_STORE`, if it is set.
pub fn store_choice() -> Result<Option<SecretStoreKind>, StoreError> {
    match std::env::var("TOKENWALLET_SECRET_STORE") {
        Ok(value) if !value.trim().is_empty() => SecretStoreKind::from_id(&value)
            .map(Some)
            .ok_or(StoreError::UnknownStore(value)),
        _ => Ok(None),
    }
}
