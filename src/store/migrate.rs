//! Moving a whole-wallet file (format 1: `accounts.json`, `secrets.age`) to a folder of
//! per-account records (format 2), once, crash-safe:
//! 1. the records are built in `<folder>.migrating/` with a `migrated-from` file naming the
//!    old file's SHA-256;
//! 2. that folder is renamed to `<folder>/` (atomic: the new layout is all there or absent);
//! 3. the old file is renamed to `<file>.bak`, the backup.
//!
//! A crash before 2 leaves the old file in charge (the staging folder is rebuilt). A crash
//! between 2 and 3 leaves both: the old file's hash matches `migrated-from`, so step 3 is
//! finished. Both present with another hash is a state no migration leaves (an old file
//! copied back, a half-restored backup): it is refused, and nothing is touched.

use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::lock::FILE_LOCK_TIMEOUT;
use super::{StoreError, lock_blocking, write_new_private};

/// The file in a migrated folder that names the old file it came from.
const MIGRATED_FROM: &str = "migrated-from";

/// One old file and the folder that replaces it.
pub(crate) struct Migration<'a> {
    /// The data dir.
    pub home: &'a Path,
    /// The old file's name (`accounts.json`).
    pub legacy: &'a str,
    /// The new folder's name (`accounts`).
    pub folder: &'a str,
}

impl Migration<'_> {
    fn legacy_path(&self) -> PathBuf {
        self.home.join(self.legacy)
    }

    /// Migrates if the old file is there: `build` writes the new records into the staging
    /// folder it is given, from the old file's bytes. Returns whether anything was done.
    pub(crate) fn run(
        &self,
        build: impl FnOnce(&[u8], &Path) -> Result<(), StoreError>,
    ) -> Result<bool, StoreError> {
        let legacy = self.legacy_path();
        if !legacy.exists() {
            return Ok(false);
        }
        let lock = self
            .home
            .join("locks")
            .join(format!("migrate-{}.lock", self.folder));
        let _lock = lock_blocking(&lock, FILE_LOCK_TIMEOUT)?;
        let bytes = match std::fs::read(&legacy) {
            Ok(bytes) => bytes,
            // Another process finished it while this one waited.
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(err) => return Err(StoreError::io("read", &legacy, err)),
        };
        let digest = hex_sha256(&bytes);
        let folder = self.home.join(self.folder);
        if folder.exists() {
            let recorded = std::fs::read_to_string(folder.join(MIGRATED_FROM)).unwrap_or_default();
            if recorded.trim() != digest {
                return Err(StoreError::HalfMigrated {
                    old: legacy,
                    new: folder,
                });
            }
            self.back_up()?;
            return Ok(true);
        }
        let staging = self.home.join(format!("{}.migrating", self.folder));
        if staging.exists() {
            std::fs::remove_dir_all(&staging)
                .map_err(|err| StoreError::io("remove", &staging, err))?;
        }
        std::fs::create_dir_all(&staging).map_err(|err| StoreError::io("create", &staging, err))?;
        build(&bytes, &staging)?;
        write_new_private(&staging.join(MIGRATED_FROM), digest.as_bytes())?;
        sync_dir(&staging);
        crate::crash_point(&format!("migrate-{}-staged", self.folder));
        std::fs::rename(&staging, &folder).map_err(|err| StoreError::io("create", &folder, err))?;
        sync_dir(self.home);
        crate::crash_point(&format!("migrate-{}-renamed", self.folder));
        self.back_up()?;
        tracing::info!(
            from = %legacy.display(),
            to = %folder.display(),
            "migrated to per-account records; the old file is kept as a backup"
        );
        Ok(true)
    }

    /// Renames the old file to `<file>.bak` (or `.bak.N` when a backup is already there).
    fn back_up(&self) -> Result<(), StoreError> {
        let legacy = self.legacy_path();
        let mut backup = self.home.join(format!("{}.bak", self.legacy));
        let mut n = 1;
        while backup.exists() {
            n += 1;
            backup = self.home.join(format!("{}.bak.{n}", self.legacy));
        }
        std::fs::rename(&legacy, &backup).map_err(|err| StoreError::io("rename", &legacy, err))?;
        sync_dir(self.home);
        Ok(())
    }
}

/// Makes a folder's entries durable (a no-op where folders cannot be opened, on Windows).
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(dir) = std::fs::File::open(dir) {
        dir.sync_all().ok();
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    super::hex(&Sha256::digest(bytes))
}
