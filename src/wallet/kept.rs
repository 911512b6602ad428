//! Kept files: exports the wallet keeps fresh. The account's record lists them, so whoever
//! stores a new token set for the account (the agent's keep-alive, the window, a command
//! line that refreshed by itself) rewrites them at once, from the set in hand.
//!
//! Each write is atomic (a temporary file in the same folder, then a rename): a reader sees
//! the old token or the new one, never an empty or half-written file. The file is
//! owner-only, and a symlink found at the path is refused, never written through. An error
//! stays on the file (in `export --list`, `show` and the window) until a write succeeds;
//! the account's other files and its keep-alive go on.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::{ExportRequest, Wallet, WalletError};
use crate::export::render;
use crate::model::{Account, KeptFile, Secrets};
use crate::store::{StoreError, write_atomic, write_new_private};

/// One kept file as `export --list` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptStatus {
    /// The account it belongs to.
    pub account: String,
    /// The file and its last error.
    pub file: KeptFile,
    /// When it was last written (its modification time), if it is there.
    pub written: Option<DateTime<Utc>>,
}

impl Wallet {
    /// Writes `text`, the account's export as `request` renders it now, to `path` and keeps
    /// the file fresh from then on. The path is made absolute (the agent's working folder
    /// is not the caller's). Something already at the path is refused unless `replace` or
    /// the path is already kept for this account; a path kept for another account is
    /// refused. Only the record is written here: a caller without the secret store (the
    /// text came from the agent) can keep a file too.
    pub fn keep_file(
        &self,
        name: &str,
        path: &Path,
        request: ExportRequest,
        text: &str,
        replace: bool,
    ) -> Result<KeptFile, WalletError> {
        let path = std::path::absolute(path).map_err(|err| StoreError::io("resolve", path, err))?;
        let mut already = None;
        for account in self.list()? {
            let keeps = account.kept_files.iter().any(|f| f.path == path);
            if account.name == name {
                already = Some(keeps);
            } else if keeps {
                return Err(WalletError::KeptElsewhere {
                    path,
                    account: account.name,
                });
            }
        }
        let already = already.ok_or_else(|| WalletError::NotFound(name.to_owned()))?;
        if replace || already {
            refuse_symlink(&path)?;
            write_atomic(&path, text.as_bytes())?;
        } else {
            write_new_private(&path, text.as_bytes())?;
        }
        let kept = KeptFile {
            path,
            format: request.format,
            token: request.token,
            error: None,
        };
        self.update_account(name, |account| {
            account.kept_files.retain(|f| f.path != kept.path);
            account.kept_files.push(kept.clone());
        })?;
        Ok(kept)
    }

    /// Stops keeping `path` fresh for the account (the file stays as it is). Whether it was
    /// kept.
    pub fn stop_keeping(&self, name: &str, path: &Path) -> Result<bool, WalletError> {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
        let mut found = false;
        self.update_account(name, |account| {
            let before = account.kept_files.len();
            account.kept_files.retain(|f| f.path != path);
            found = account.kept_files.len() != before;
        })?;
        Ok(found)
    }

    /// Every kept file of every account, with its last write.
    pub fn kept_files(&self) -> Result<Vec<KeptStatus>, WalletError> {
        Ok(self
            .list()?
            .into_iter()
            .flat_map(|account| {
                let name = account.name;
                account.kept_files.into_iter().map(move |file| KeptStatus {
                    account: name.clone(),
                    written: last_written(&file.path),
                    file,
                })
            })
            .collect())
    }

    /// Rewrites the account's kept files from `secrets`, the set just stored; records each
    /// file's error, or clears it, in one write of the record when any changed. Returns
    /// the account as stored.
    pub(super) fn rewrite_kept(&self, account: Account, secrets: &Secrets) -> Account {
        if account.kept_files.is_empty() {
            return account;
        }
        let started = std::time::Instant::now();
        let errors: Vec<(PathBuf, Option<String>)> = account
            .kept_files
            .iter()
            .map(|file| (file.path.clone(), write_kept(&account, secrets, file).err()))
            .collect();
        tracing::debug!(
            account = %account.name,
            files = errors.len(),
            micros = started.elapsed().as_micros(),
            "rewrote the kept files"
        );
        let changed = account
            .kept_files
            .iter()
            .zip(&errors)
            .any(|(file, (_, error))| file.error != *error);
        for (path, error) in &errors {
            if let Some(error) = error {
                tracing::warn!(account = %account.name, path = %path.display(), %error, "a kept file could not be written");
            }
        }
        if !changed {
            return account;
        }
        let name = account.name.clone();
        self.update_account(&name, |stored| {
            for file in &mut stored.kept_files {
                if let Some((_, error)) = errors.iter().find(|(path, _)| *path == file.path) {
                    file.error.clone_from(error);
                }
            }
        })
        .unwrap_or(account)
    }

    /// Rewrites the kept files of the account that are older than its tokens, missing, or
    /// failed last time (after a restart, a crash between storing and writing, or a folder
    /// that came back); nothing when all are current. The keep-alive calls it.
    pub fn catch_up_kept(&self, account: &Account) -> Result<(), WalletError> {
        let issued = account.tokens.issued_at;
        let stale = account.kept_files.iter().any(|file| {
            file.error.is_some()
                || match (last_written(&file.path), issued) {
                    (None, _) => true,
                    (Some(written), Some(issued)) => written < issued,
                    (Some(_), None) => false,
                }
        });
        if !stale || !account.tokens.has_access_token && !account.tokens.has_refresh_token {
            return Ok(());
        }
        let secrets = self.load_secrets(&account.name)?;
        self.rewrite_kept(account.clone(), &secrets);
        Ok(())
    }
}

/// One file's rewrite; the error as the file's status says it.
fn write_kept(account: &Account, secrets: &Secrets, file: &KeptFile) -> Result<(), String> {
    let text = render(account, secrets, file.format, file.token).map_err(|err| err.to_string())?;
    refuse_symlink(&file.path).map_err(|err| err.to_string())?;
    write_atomic(&file.path, text.as_bytes()).map_err(|err| err.to_string())
}

/// A symlink at a kept path is refused: the wallet writes only files it made.
fn refuse_symlink(path: &Path) -> Result<(), StoreError> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(StoreError::Symlink(path.to_owned())),
        _ => Ok(()),
    }
}

/// When the kept file at `path` was last written (its modification time; a symlink's own,
/// never its target's); `None` when nothing is there.
pub fn last_written(path: &Path) -> Option<DateTime<Utc>> {
    let modified = std::fs::symlink_metadata(path).ok()?.modified().ok()?;
    Some(modified.into())
}
