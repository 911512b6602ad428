//! Opening and closing the wallet: unlock, the memory store, lock, and the window serving
//! as the agent.

use std::sync::{Arc, PoisonError};

use crate::model::Secret;
use crate::ui::words::describe;
use crate::wallet::{SecretStoreKind, Wallet};

use super::{Event, Inner};

/// The Lock button: the window and the agent it serves forget the vault's key.
pub(super) fn lock(inner: &Inner) {
    if let Some(agent) = inner.agent() {
        agent.lock();
    }
    inner.close_vault();
}

/// Serves the window's wallet on the agent socket until the window closes. Another agent
/// already serving this wallet keeps doing so.
pub(super) fn serve_agent(inner: &Arc<Inner>) {
    let state = Arc::new(
        crate::agent::State::new(
            &inner.home,
            inner.wallet(),
            Arc::clone(&inner.services.wording),
        )
        .configured(inner.services.config.clone()),
    );
    // `tokenwallet unlock` and `lock` open and close the window too. Weak: the agent's
    // state must not keep the worker alive.
    let window = Arc::downgrade(inner);
    state.watch(move |wallet| {
        let Some(inner) = window.upgrade() else {
            return;
        };
        match wallet {
            Some(wallet) if inner.wallet().is_none() => inner.show(wallet),
            Some(_) => {}
            None => inner.close_vault(),
        }
    });
    *inner.agent.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&state));
    tokio::spawn(crate::agent::keep_alive(Arc::clone(&state)));
    let home = inner.home.clone();
    tokio::spawn(async move {
        let ready = || tracing::info!(home = %home.display(), "the window serves as the agent");
        if let Err(err) = crate::agent::serve(&home, state, ready).await {
            tracing::info!(error = %err, "the window does not serve as the agent");
        }
    });
}

pub(super) async fn unlock(inner: &Arc<Inner>, passphrase: Secret) {
    let home = inner.home.clone();
    let config = inner.services.config.using(SecretStoreKind::File);
    let opened = tokio::task::spawn_blocking(move || {
        Wallet::open(&home, &config, &|_| Ok(passphrase.clone()))
    })
    .await;
    match opened {
        Ok(Ok(wallet)) => inner.open(wallet),
        Ok(Err(err)) => inner.emit(Event::Locked {
            new_vault: !Wallet::has_vault(&inner.home),
            error: Some(describe(&err)),
        }),
        Err(err) => inner.toast(false, err.to_string()),
    }
}

/// "Try without saving": a scratch data dir, so trying things out never touches the real
/// accounts file, whose entries would then point at secrets that are gone.
pub(super) fn use_memory_store(inner: &Arc<Inner>) {
    let opened = tempfile::Builder::new()
        .prefix("tokenwallet-try-")
        .tempdir()
        .map_err(|err| format!("Could not make a scratch folder: {err}"))
        .and_then(|scratch| {
            let config = inner.services.config.using(SecretStoreKind::Memory);
            let wallet = Wallet::open(scratch.path(), &config, &|_| Ok(Secret::new("unused")))
                .map_err(|err| describe(&err))?;
            *inner.scratch.lock().unwrap_or_else(PoisonError::into_inner) = Some(scratch);
            Ok(wallet)
        });
    match opened {
        Ok(wallet) => inner.open(wallet),
        Err(err) => inner.toast(false, err),
    }
}
