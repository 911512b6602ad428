//! The background refresher: the auto-refresh policy's ticks, and the warning of a refresh
//! token about to die.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};

use crate::model::{Account, format_countdown};
use crate::ui::words::describe;

use super::{Event, Inner};

pub(super) async fn auto_refresh(inner: Arc<Inner>) {
    let mut ticker = tokio::time::interval(inner.services.auto_refresh_every);
    // Refresh tokens already announced, by account and expiry: one notification each.
    let mut warned: HashSet<(String, DateTime<Utc>)> = HashSet::new();
    loop {
        ticker.tick().await;
        let Some(wallet) = inner.wallet() else {
            continue;
        };
        let now = inner.services.clock.now();
        let Ok(mut accounts) = wallet.list() else {
            continue;
        };
        let due: Vec<String> = accounts
            .iter()
            .filter(|a| a.auto_refresh && a.refresh_due(now))
            .map(|a| a.name.clone())
            .collect();
        for name in &due {
            inner.emit(Event::Busy(name.clone(), true));
            let result = wallet.refresh_if_due(name).await;
            inner.emit(Event::Busy(name.clone(), false));
            if let Err(err) = result {
                inner.toast(false, format!("Auto-refresh: {}", describe(&err)));
            }
            inner.reload();
        }
        // Read again only if refreshes changed it.
        if !due.is_empty() {
            let Ok(fresh) = wallet.list() else {
                continue;
            };
            accounts = fresh;
        }
        warn_of_dying_refresh_tokens(&inner, &accounts, now, &mut warned);
        inner.publish(accounts, false);
        inner.rounds.fetch_add(1, Ordering::SeqCst);
    }
}

/// Tells the desktop once per refresh token that it dies within a day.
pub(super) fn warn_of_dying_refresh_tokens(
    inner: &Inner,
    accounts: &[Account],
    now: DateTime<Utc>,
    warned: &mut HashSet<(String, DateTime<Utc>)>,
) {
    for account in accounts
        .iter()
        .filter(|a| a.refresh_token_expires_soon(now))
    {
        let Some(at) = account.tokens.refresh_expires_at else {
            continue;
        };
        if !warned.insert((account.name.clone(), at)) {
            continue;
        }
        let summary = format!(
            "The refresh token of '{}' expires in {}",
            account.name,
            format_countdown(at - now)
        );
        let body = format!(
            "Refresh it now, or sign in again at the {} portal before it does.",
            account.provider.label()
        );
        let notifier = Arc::clone(&inner.services.notifier);
        // Not awaited: a slow notification service must not hold up the refresher.
        tokio::task::spawn_blocking(move || {
            if let Err(reason) = notifier.notify(&summary, &body) {
                // The badge in the window still says it; no notification service is no error.
                tracing::debug!("no desktop notification: {reason}");
            }
        });
    }
}
