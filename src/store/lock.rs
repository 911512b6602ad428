//! Advisory file locks across processes (and across handles in one process).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::StoreError;

/// An exclusive lock on a file; released when dropped.
#[derive(Debug)]
pub struct FileLock {
    _file: File,
    path: PathBuf,
}

impl FileLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn open(path: &Path) -> Result<File, StoreError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|err| StoreError::io("create", dir, err))?;
    }
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
        .open(path)
        .map_err(|err| StoreError::io("open", path, err))
}

/// Takes the lock, waiting as long as it takes. For short critical sections (file updates).
pub fn lock_blocking(path: &Path) -> Result<FileLock, StoreError> {
    let file = open(path)?;
    file.lock()
        .map_err(|err| StoreError::io("lock", path, err))?;
    Ok(FileLock {
        _file: file,
        path: path.to_owned(),
    })
}

/// Takes the lock without blocking the async runtime, giving up after `timeout`.
pub async fn lock_async(path: &Path, timeout: Duration) -> Result<FileLock, StoreError> {
    let file = open(path)?;
    let deadline = Instant::now() + timeout;
    loop {
        match file.try_lock() {
            Ok(()) => {
                return Ok(FileLock {
                    _file: file,
                    path: path.to_owned(),
                });
            }
            Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(TryLockError::WouldBlock) => return Err(StoreError::LockTimeout(path.to_owned())),
            Err(TryLockError::Error(err)) => return Err(StoreError::io("lock", path, err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_handle_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let first = lock_blocking(&path).unwrap();
        let err = lock_async(&path, Duration::from_millis(100))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::LockTimeout(_)));
        drop(first);
        assert!(lock_async(&path, Duration::from_millis(100)).await.is_ok());
    }
}
