//! Account jobs: generate (with a person signing in), add, import, revoke, remove, and the
//! demo account.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError};

use chrono::{DateTime, Utc};
use zeroize::Zeroizing;

use crate::import::read_bounded;
use crate::model::Account;
use crate::providers::Revoked;
use crate::providers::signin::{DeviceCode, SignIn};
use crate::ui::words::describe;
use crate::wallet::{NewAccount, Wallet};

use super::{Event, ImportSource, Inner, account_action};

/// The person at the window, for a sign-in: the browser opens, and the window shows the
/// address or the device code until the sign-in ends.
pub(super) struct WindowSignIn<'a> {
    inner: &'a Inner,
    name: String,
    cancelled: Arc<AtomicBool>,
}

impl SignIn for WindowSignIn<'_> {
    fn open(&self, url: &str) {
        self.inner.emit(Event::SignInUrl {
            name: self.name.clone(),
            url: url.to_owned(),
        });
        if let Err(reason) = self.inner.services.opener.open(url) {
            tracing::info!("no browser opened: {reason}");
        }
    }

    fn device_code(&self, code: &DeviceCode) {
        self.inner.emit(Event::DeviceCode {
            name: self.name.clone(),
            code: code.clone(),
        });
    }

    fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }
}

pub(super) async fn generate(inner: &Arc<Inner>, wallet: &Wallet, name: String) {
    let cancelled = Arc::new(AtomicBool::new(false));
    inner
        .sign_ins
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(name.clone(), Arc::clone(&cancelled));
    let person = WindowSignIn {
        inner,
        name: name.clone(),
        cancelled,
    };
    let done = |a: Account| format!("'{}' has a new token.", a.name);
    account_action(inner, &name, wallet.sign_in(&name, &person), done).await;
    inner
        .sign_ins
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&name);
    inner.emit(Event::SignInEnded(name));
}

pub(super) async fn add(inner: &Arc<Inner>, wallet: &Wallet, new: NewAccount) {
    let name = new.account.name.clone();
    match wallet.add(new).await {
        Ok(account) => {
            inner.reload();
            inner.emit(Event::Added(account.name.clone()));
            inner.toast(
                true,
                format!(
                    "Added '{}'. Press Generate to get its first token.",
                    account.name
                ),
            );
        }
        Err(err) => inner.toast(false, format!("Could not add '{name}': {}", describe(&err))),
    }
}

pub(super) async fn import(
    inner: &Arc<Inner>,
    wallet: &Wallet,
    new: NewAccount,
    source: ImportSource,
    expires_at: Option<DateTime<Utc>>,
) {
    let name = new.account.name.clone();
    let content = match source {
        ImportSource::Text(text) => Ok(text),
        ImportSource::Path(path) => tokio::task::spawn_blocking(move || {
            std::fs::File::open(&path)
                .map_err(|err| err.to_string())
                .and_then(|file| read_bounded(file).map_err(|err| err.to_string()))
                .map(Zeroizing::new)
                .map_err(|err| format!("Could not read {}: {err}", path.display()))
        })
        .await
        .unwrap_or_else(|err| Err(err.to_string())),
    };
    let result = match content {
        Ok(content) => wallet
            .import(new, &content, expires_at)
            .await
            .map_err(|err| describe(&err)),
        Err(err) => Err(err),
    };
    match result {
        Ok(account) => {
            inner.reload();
            inner.emit(Event::Added(account.name.clone()));
            inner.toast(true, format!("Imported the tokens of '{}'.", account.name));
        }
        Err(err) => inner.toast(false, format!("Could not import '{name}': {err}")),
    }
}

pub(super) async fn revoke(inner: &Arc<Inner>, wallet: &Wallet, name: String) {
    let label = name.clone();
    let done = move |revoked| match revoked {
        Revoked::AtServer => format!("Revoked the tokens of '{label}' at the provider."),
        Revoked::PortalOnly(how) => format!("'{label}': {how}"),
    };
    account_action(inner, &name, wallet.revoke(&name), done).await;
}

pub(super) async fn remove(inner: &Arc<Inner>, wallet: &Wallet, name: &str) {
    match wallet.remove(name).await {
        Ok(removed) => {
            inner.reload();
            let files = crate::model::left_behind(&removed.kept_files)
                .map_or_else(String::new, |files| format!(" {files}."));
            inner.toast(true, format!("Removed '{name}' and its secrets.{files}"));
        }
        Err(err) => inner.toast(false, describe(&err)),
    }
}

pub(super) async fn start_demo(inner: &Arc<Inner>, wallet: &Wallet, generate: bool) {
    let existing: Vec<String> = wallet
        .list()
        .map(|list| list.into_iter().map(|a| a.name).collect())
        .unwrap_or_default();
    let name = std::iter::once("demo".to_owned())
        .chain((2..=existing.len() + 1).map(|i| format!("demo-{i}")))
        .find(|n| !existing.contains(n))
        .unwrap_or_default();
    let (server, new) = match crate::demo::start(&name) {
        Ok(started) => started,
        Err(err) => {
            inner.toast(false, format!("Could not start the demo server: {err}"));
            return;
        }
    };
    let spec = format!("{}/openapi.yaml", server.issuer());
    inner
        .demo
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(server);
    match wallet.add(new).await {
        Ok(account) => {
            inner.reload();
            inner.emit(Event::Added(account.name.clone()));
            if generate && let Err(err) = wallet.generate(&account.name).await {
                inner.toast(false, describe(&err));
            }
            // Its API's spec, for the Try it pane.
            if let Err(err) = wallet.remember_spec(&account.name, &spec).await {
                tracing::warn!(error = %err, "the demo's API spec could not be kept");
            }
            inner.reload();
            inner.toast(
                true,
                format!("Added the demo account '{}' (a token server on this machine; tokens last 2 minutes).", account.name),
            );
        }
        Err(err) => inner.toast(false, describe(&err)),
    }
}
