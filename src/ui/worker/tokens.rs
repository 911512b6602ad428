//! Token jobs: copy, reveal, claims, download, and the Try it call.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::clipboard::copy_with_auto_clear;
use crate::export::{ExportFormat, TokenChoice};
use crate::model::{Secret, decode_jwt};
use crate::ui::words::describe;
use crate::wallet::StoreError;
use crate::wallet::{ExportRequest, Wallet, WalletError};

use super::{CopyWhat, Event, Inner};

/// Copies with the clipboard rules (auto-clear, secret hints). A refresh token never
/// appears in a toast or a log: the toast names only what was copied.
pub(super) fn copy(
    inner: &Arc<Inner>,
    wallet: &Wallet,
    name: &str,
    what: CopyWhat,
    clear_after: Option<Duration>,
) {
    let text = match wallet.export(name, what.request()) {
        Ok(text) => Zeroizing::new(text.trim_end_matches('\n').to_owned()),
        Err(err) => {
            inner.toast(false, describe(&err));
            return;
        }
    };
    let copied = if what == CopyWhat::RefreshToken {
        "Copied the refresh token"
    } else {
        "Copied"
    };
    match copy_with_auto_clear(&inner.services.clipboard, text, clear_after) {
        Ok(()) => inner.toast(
            true,
            match clear_after {
                Some(delay) => format!("{copied}; the clipboard clears in {} s.", delay.as_secs()),
                None => format!("{copied}."),
            },
        ),
        Err(err) => inner.toast(false, format!("Could not copy: {err}")),
    }
}

/// The API catalog hand-off: the access token (renewed first when due) to the clipboard,
/// with its auto-clear, then the catalog in the browser; a toast says what to paste where.
pub(super) async fn open_catalog(
    inner: &Arc<Inner>,
    wallet: &Wallet,
    name: &str,
    clear_after: Option<Duration>,
) {
    let handoff = match wallet.catalog(name).await {
        Ok(Some(handoff)) => handoff,
        Ok(None) => {
            inner.toast(
                false,
                format!("'{name}' has no known API catalog: Try it below calls its API from its OpenAPI spec; or give the account its catalog's address."),
            );
            return;
        }
        Err(err) => {
            inner.toast(false, describe(&err));
            return;
        }
    };
    let text = Zeroizing::new(handoff.token.expose().to_owned());
    if let Err(err) = copy_with_auto_clear(&inner.services.clipboard, text, clear_after) {
        inner.toast(false, format!("Could not copy: {err}"));
        return;
    }
    let clears = clear_after.map_or_else(String::new, |delay| {
        format!(" The clipboard clears in {} s.", delay.as_secs())
    });
    let told = match inner.services.opener.open(&handoff.url) {
        Ok(()) => format!(
            "Copied the access token of '{name}'. In the catalog, press Authorize and paste it as {}.{clears}",
            handoff.paste_as
        ),
        Err(reason) => format!(
            "Copied the access token of '{name}', but no browser opened ({reason}): open {} and paste it as {} under Authorize.{clears}",
            handoff.url, handoff.paste_as
        ),
    };
    inner.toast(true, told);
}

pub(super) fn reveal(inner: &Arc<Inner>, wallet: &Wallet, name: String, choice: TokenChoice) {
    let request = ExportRequest {
        token: choice,
        format: ExportFormat::Text,
        keep_fresh: false,
    };
    match wallet.export(&name, request) {
        Ok(text) => inner.emit(Event::Revealed(
            name,
            choice,
            Secret::new(text.trim_end_matches('\n')),
        )),
        Err(err) => inner.toast(false, describe(&err)),
    }
}

pub(super) fn claims(inner: &Arc<Inner>, wallet: &Wallet, name: String) {
    if let Ok((_, secrets)) = wallet.secrets(&name) {
        let claims = secrets
            .access_token
            .as_ref()
            .and_then(|t| decode_jwt(t.expose()));
        inner.emit(Event::Claims(name, claims));
    }
}

/// The file name offered for a download.
pub(super) fn suggested_file(name: &str, request: ExportRequest) -> String {
    let what = match request.token {
        TokenChoice::Access => "token",
        TokenChoice::Refresh => "refresh-token",
        TokenChoice::Both => "tokens",
    };
    format!("{name}-{what}.{}", request.format.extension())
}

/// Asks the native dialog for a path; `None` when cancelled or when the window must ask.
pub(super) async fn ask_path(
    inner: &Arc<Inner>,
    name: &str,
    request: ExportRequest,
) -> Option<PathBuf> {
    let dialog = Arc::clone(&inner.services.dialog);
    let suggested = suggested_file(name, request);
    let file = suggested.clone();
    match tokio::task::spawn_blocking(move || dialog.save_path(&file)).await {
        Ok(Ok(path)) => path,
        Ok(Err(reason)) => {
            let suggested = dirs::download_dir()
                .or_else(dirs::home_dir)
                .map(|dir| dir.join(&suggested).display().to_string())
                .unwrap_or_default();
            inner.emit(Event::DownloadNeedsPath {
                name: name.to_owned(),
                request,
                reason,
                suggested,
            });
            None
        }
        Err(err) => {
            inner.toast(false, err.to_string());
            None
        }
    }
}

/// Saves the export. A path from the native dialog may replace a file (the dialog asked);
/// a typed path that exists is asked about first.
pub(super) async fn download(
    inner: &Arc<Inner>,
    wallet: &Wallet,
    name: String,
    request: ExportRequest,
    path: Option<PathBuf>,
    replace: bool,
) {
    let (path, replace) = match path {
        Some(path) => (path, replace),
        None => match ask_path(inner, &name, request).await {
            Some(path) => (path, true),
            None => return,
        },
    };
    let written = if request.keep_fresh {
        wallet.export(&name, request).and_then(|text| {
            wallet
                .keep_file(&name, &path, request, &text, replace)
                .map(|_| ())
        })
    } else {
        wallet.export_to_file(&name, request, &path, replace)
    };
    match written {
        Ok(()) => {
            let kept = if request.keep_fresh {
                if let Some(agent) = inner.agent() {
                    agent.replan();
                }
                inner.reload();
                " It is written again after every refresh."
            } else {
                ""
            };
            inner.toast(
                true,
                format!(
                    "Saved the {} {} of '{name}' to {} (owner-only).{kept}",
                    request.format.id(),
                    match request.token {
                        TokenChoice::Access => "access token",
                        TokenChoice::Refresh => "refresh token",
                        TokenChoice::Both => "tokens",
                    },
                    path.display()
                ),
            );
        }
        Err(WalletError::Store(StoreError::Exists(_))) => inner.emit(Event::ConfirmReplace {
            name,
            request,
            path,
        }),
        Err(err) => inner.toast(false, format!("Could not save: {}", describe(&err))),
    }
}

/// Stops keeping a file fresh; the file stays.
pub(super) fn stop_keeping(inner: &Inner, wallet: &Wallet, name: &str, path: &std::path::Path) {
    match wallet.stop_keeping(name, path) {
        Ok(_) => {
            inner.reload();
            inner.toast(
                true,
                format!(
                    "{} is no longer kept fresh; it stays on disk as it is.",
                    path.display()
                ),
            );
        }
        Err(err) => inner.toast(false, describe(&err)),
    }
}
