//! Rescue files: when the secret store refuses a save right after a refresh (a locked
//! keyring, a cancelled unlock prompt, a full disk), the new token set is the only copy of a
//! rotated refresh token. It is written here, age-encrypted, as `rescue/<account>.age`, and
//! the next load picks it up and stores it properly. Each store says how it encrypts.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::{StoreError, write_atomic};
use crate::model::Secrets;

/// Age-encrypts `plain` to `recipient`.
pub(crate) fn encrypt(plain: &[u8], recipient: &dyn age::Recipient) -> Result<Vec<u8>, String> {
    let encryptor = age::Encryptor::with_recipients(std::iter::once(recipient))
        .map_err(|err| err.to_string())?;
    let mut out = Vec::new();
    let mut writer = encryptor
        .wrap_output(&mut out)
        .map_err(|err| err.to_string())?;
    writer.write_all(plain).map_err(|err| err.to_string())?;
    writer.finish().map_err(|err| err.to_string())?;
    Ok(out)
}

/// Decrypts an age file with `identity`.
pub(crate) fn decrypt(
    encrypted: &[u8],
    identity: &dyn age::Identity,
) -> Result<Zeroizing<Vec<u8>>, age::DecryptError> {
    let decryptor = age::Decryptor::new_buffered(encrypted)?;
    let mut reader = decryptor.decrypt(std::iter::once(identity))?;
    let mut plain = Zeroizing::new(Vec::new());
    reader.read_to_end(&mut plain)?;
    Ok(plain)
}

/// The rescue files of a data dir.
#[derive(Clone, Debug)]
pub(crate) struct RescueDir {
    dir: PathBuf,
}

impl RescueDir {
    /// The rescue folder of the data dir `home`.
    pub(crate) fn new(home: &Path) -> Self {
        Self {
            dir: home.join("rescue"),
        }
    }

    fn path(&self, account: &str) -> PathBuf {
        self.dir.join(format!("{}.age", super::file_stem(account)))
    }

    /// Whether the account has a rescue file (a cheap check before any key is fetched).
    pub(crate) fn exists(&self, account: &str) -> bool {
        self.path(account).exists()
    }

    /// Writes the account's secrets, encrypted to `recipient`.
    pub(crate) fn write(
        &self,
        account: &str,
        secrets: &Secrets,
        recipient: &dyn age::Recipient,
    ) -> Result<(), StoreError> {
        let failed = |detail: String| StoreError::Corrupt {
            path: self.path(account),
            detail,
        };
        std::fs::create_dir_all(&self.dir)
            .map_err(|err| StoreError::io("create", &self.dir, err))?;
        let plain =
            Zeroizing::new(serde_json::to_vec(secrets).map_err(|err| failed(err.to_string()))?);
        let encrypted = encrypt(&plain, recipient).map_err(failed)?;
        write_atomic(&self.path(account), &encrypted)
    }

    /// The account's rescued secrets, if a rescue file exists.
    pub(crate) fn read(
        &self,
        account: &str,
        identity: &dyn age::Identity,
    ) -> Result<Option<Secrets>, StoreError> {
        let path = self.path(account);
        let encrypted = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(StoreError::io("read", &path, err)),
        };
        let damaged = |detail: String| StoreError::Corrupt {
            path: path.clone(),
            detail,
        };
        let plain = decrypt(&encrypted, identity).map_err(|err| damaged(err.to_string()))?;
        serde_json::from_slice(&plain)
            .map(Some)
            .map_err(|err| damaged(err.to_string()))
    }

    /// Removes the account's rescue file (no error if there is none).
    pub(crate) fn clear(&self, account: &str) -> Result<(), StoreError> {
        let path = self.path(account);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(StoreError::io("remove", &path, err)),
        }
    }
}
