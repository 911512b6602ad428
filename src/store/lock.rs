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

/// How long a short critical section (a file update) may keep others waiting: far more
/// than any update takes, so reaching it means a stuck process, reported instead of hanging.
pub const FILE_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// Takes the lock for a short critical section (a file update), giving up after `timeout`.
pub fn lock_blocking(path: &Path, timeout: Duration) -> Result<FileLock, StoreError> {
    let file = open(path)?;
    let deadline = Instant::now() + timeout;
    while !try_lock(&file, path, deadline)? {
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(FileLock {
        _file: file,
        path: path.to_owned(),
    })
}

/// One try: `true` locked, `false` to wait and try again, or the error (a timeout past
/// `deadline`).
fn try_lock(file: &File, path: &Path, deadline: Instant) -> Result<bool, StoreError> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(TryLockError::WouldBlock) if Instant::now() < deadline => Ok(false),
        Err(TryLockError::WouldBlock) => Err(StoreError::LockTimeout(path.to_owned())),
        Err(TryLockError::Error(err)) => Err(StoreError::io("lock", path, err)),
    }
}

/// Takes the lock without blocking the async runtime, giving up after `timeout`.
pub async fn lock_async(path: &Path, timeout: Duration) -> Result<FileLock, StoreError> {
    let file = open(path)?;
    let deadline = Instant::now() + timeout;
    while !try_lock(&file, path, deadline)? {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(FileLock {
        _file: file,
        path: path.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_handle_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let first = lock_blocking(&path, FILE_LOCK_TIMEOUT).unwrap();
        let err = lock_async(&path, Duration::from_millis(100))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::LockTimeout(_)));
        drop(first);
        assert!(lock_async(&path, Duration::from_millis(100)).await.is_ok());
    }

    #[test]
    fn a_held_file_lock_times_out_instead_of_hanging() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.lock");
        let held = lock_blocking(&path, FILE_LOCK_TIMEOUT).unwrap();
        let started = Instant::now();
        let err = lock_blocking(&path, Duration::from_millis(150)).unwrap_err();
        assert!(matches!(err, StoreError::LockTimeout(_)), "{err}");
        assert!(started.elapsed() >= Duration::from_millis(150));
        drop(held);
        assert!(lock_blocking(&path, Duration::from_millis(150)).is_ok());
    }
}
