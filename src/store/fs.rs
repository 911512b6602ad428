//! Safe file writes: atomic replace (temp + fsync + rename) and owner-only (0600) files;
//! bounded reads.

use std::fs::File;
#[cfg(not(windows))]
use std::fs::OpenOptions;
use std::io::{Read, Write as _};
use std::path::Path;

use super::StoreError;

/// Reads `reader` to its end as UTF-8 text, or `None` when it holds more than `limit`
/// bytes: no more than `limit` and one byte is read, whatever the source (a file that
/// grows, a pipe, `/dev/zero`).
pub fn read_text_up_to(reader: impl Read, limit: usize) -> std::io::Result<Option<String>> {
    let mut text = String::new();
    let most = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    reader.take(most).read_to_string(&mut text)?;
    Ok((text.len() <= limit).then_some(text))
}

/// Creates `path` owner-only (0600; on Windows a DACL for this user alone, whatever the
/// folder's); fails if anything, a symlink included, is there.
fn create_new_private(path: &Path) -> std::io::Result<File> {
    #[cfg(windows)]
    {
        crate::windows_acl::create_new_owner_only(path)
    }
    #[cfg(not(windows))]
    {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        options.open(path)
    }
}

/// Writes `bytes` to a new owner-only (0600) file at `path`. An existing file or symlink
/// there is refused ([`StoreError::Exists`]), never followed or overwritten.
pub fn write_new_private(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut file = create_new_private(path).map_err(|err| match err.kind() {
        std::io::ErrorKind::AlreadyExists => StoreError::Exists(path.to_owned()),
        _ => StoreError::io("create", path, err),
    })?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|err| StoreError::io("write", path, err))
}

/// Replaces `path` with `bytes` atomically: a reader sees the old file or the new one,
/// never a half-written one, and a crash leaves one of the two. The new file is owner-only
/// (0600); a symlink at `path` is replaced itself, its target is never written.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let mut attempt = 0;
    let temp = loop {
        let temp = dir.join(format!(".{name}.{}-{attempt}.tmp", std::process::id()));
        match write_new_private(&temp, bytes) {
            Err(StoreError::Exists(_)) if attempt < 16 => attempt += 1,
            Err(err) => return Err(err),
            Ok(()) => break temp,
        }
    };
    if let Err(err) = replace(&temp, path) {
        std::fs::remove_file(&temp).ok();
        return Err(StoreError::io("replace", path, err));
    }
    // Make the rename itself durable.
    if let Ok(dir) = File::open(dir) {
        dir.sync_all().ok();
    }
    Ok(())
}

/// How long a replace waits for another program to let go of the file (Windows).
#[cfg(windows)]
const REPLACE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(15);

/// Renames `temp` over `path`. Windows refuses while any program holds `path` open without
/// delete sharing (an editor, a backup tool, a virus scanner): wait for it, a while.
fn replace(temp: &Path, path: &Path) -> std::io::Result<()> {
    #[cfg(windows)]
    {
        let deadline = std::time::Instant::now() + REPLACE_PATIENCE;
        loop {
            match std::fs::rename(temp, path) {
                Err(err)
                    if err.kind() == std::io::ErrorKind::PermissionDenied
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                result => return result,
            }
        }
    }
    #[cfg(not(windows))]
    std::fs::rename(temp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_stops_one_byte_past_its_bound() {
        let read = |text: &str, limit| read_text_up_to(text.as_bytes(), limit).unwrap();
        assert_eq!(read("four", 4).as_deref(), Some("four"));
        assert_eq!(read("four", 3), None);
        assert_eq!(read("", 0).as_deref(), Some(""));
        let endless = std::io::repeat(b'a');
        assert_eq!(read_text_up_to(endless, 1 << 20).unwrap(), None);
        let not_text = read_text_up_to(&[0xff, 0xfe][..], 8).unwrap_err();
        assert_eq!(not_text.kind(), std::io::ErrorKind::InvalidData);
    }

    #[test]
    fn atomic_write_replaces_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        // No temp file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    // Issue 18: a kept file is replaced while a reader holds it open, sharing it as Rust's
    // and most programs' readers do, or not (FILE_SHARE_READ alone). The write does not
    // fail: it goes through, or (wine; Windows with a reader that does not share delete)
    // waits for the reader to let go; the reader reads the file it opened, whole.
    #[cfg(windows)]
    #[test]
    fn a_file_held_open_by_a_reader_is_still_replaced() {
        use std::io::Read as _;
        use std::os::windows::fs::OpenOptionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kept.txt");
        write_atomic(&path, b"one").unwrap();
        for (share, next) in [(7, "two"), (1, "three")] {
            let mut reader = std::fs::OpenOptions::new()
                .read(true)
                .share_mode(share)
                .open(&path)
                .unwrap();
            let reading = std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(500));
                let mut old = String::new();
                reader.read_to_string(&mut old).unwrap();
                old
            });
            write_atomic(&path, next.as_bytes()).unwrap();
            let old = reading.join().unwrap();
            assert!(old == "one" || old == "two", "{old}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), next);
        }
    }

    // Issue 16, item 12: on Windows a new file took its folder's ACL, so an export to a
    // shared folder was readable by every user there.
    #[cfg(windows)]
    #[test]
    fn a_private_file_grants_this_user_alone_whatever_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.txt");
        write_new_private(&path, b"secret").unwrap();
        write_atomic(&dir.path().join("record.json"), b"{}").unwrap();
        for name in ["export.txt", "record.json"] {
            let file = File::open(dir.path().join(name)).unwrap();
            let dacl = crate::windows_acl::file_dacl(&file).unwrap();
            assert!(crate::windows_acl::grants_this_user_alone(&dacl), "{dacl}");
        }
        assert_eq!(std::fs::read(&path).unwrap(), b"secret");
        assert!(matches!(
            write_new_private(&path, b"again"),
            Err(StoreError::Exists(_))
        ));
    }

    #[cfg(unix)]
    #[test]
    fn a_new_private_file_never_replaces_or_follows_what_is_there() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.txt");
        std::fs::write(&path, "old").unwrap();
        assert!(matches!(
            write_new_private(&path, b"new"),
            Err(StoreError::Exists(_))
        ));
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        assert!(write_new_private(&link, b"new").is_err());
        write_atomic(&link, b"new").unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"old",
            "the target is untouched"
        );
        assert_eq!(std::fs::read(&link).unwrap(), b"new");
    }
}
