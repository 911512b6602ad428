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
        let due = due_for_refresh(&accounts, now);
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

/// The accounts the background refresher renews at `now`: auto-refresh on, and due.
fn due_for_refresh(accounts: &[Account], now: DateTime<Utc>) -> Vec<String> {
    accounts
        .iter()
        .filter(|a| a.auto_refresh && a.refresh_due(now))
        .map(|a| a.name.clone())
        .collect()
}

/// The notifications owed at `now` (summary, body): one per refresh token that dies within
/// a day, never twice for the same account and expiry (`warned` remembers them).
fn dying_refresh_tokens(
    accounts: &[Account],
    now: DateTime<Utc>,
    warned: &mut HashSet<(String, DateTime<Utc>)>,
) -> Vec<(String, String)> {
    let mut owed = Vec::new();
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
        owed.push((summary, body));
    }
    owed
}

/// Tells the desktop once per refresh token that it dies within a day.
pub(super) fn warn_of_dying_refresh_tokens(
    inner: &Inner,
    accounts: &[Account],
    now: DateTime<Utc>,
    warned: &mut HashSet<(String, DateTime<Utc>)>,
) {
    for (summary, body) in dying_refresh_tokens(accounts, now, warned) {
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

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::model::{Grant, ProviderKind};

    /// An account with a refresh token, whose access token expires `access` from `now` and
    /// its refresh token `refresh` from `now`.
    fn account(name: &str, now: DateTime<Utc>, access: Duration, refresh: Duration) -> Account {
        let mut account = Account::new(name, ProviderKind::ACTIVE_IQ, Grant::RefreshToken);
        let tokens = &mut account.tokens;
        tokens.has_access_token = true;
        tokens.has_refresh_token = true;
        tokens.issued_at = Some(now - Duration::minutes(50));
        tokens.access_expires_at = Some(now + access);
        tokens.refresh_expires_at = Some(now + refresh);
        account
    }

    #[test]
    fn only_due_accounts_with_auto_refresh_on_and_a_chain_alive_are_renewed() {
        let now = Utc::now();
        let fresh = account("fresh", now, Duration::minutes(50), Duration::days(6));
        let due = account("due", now, Duration::seconds(20), Duration::days(6));
        let mut off = account("off", now, Duration::seconds(20), Duration::days(6));
        off.auto_refresh = false;
        let mut dead = account("dead", now, Duration::seconds(-5), Duration::days(6));
        dead.tokens.needs_sign_in = true;
        let mut backing_off = account("backing-off", now, Duration::seconds(-5), Duration::days(6));
        backing_off.tokens.retry_after = Some(now + Duration::minutes(1));
        let mut expired = account("expired", now, Duration::seconds(-5), Duration::days(6));
        expired.tokens.revoked = true;
        let accounts = [fresh, due, off, dead, backing_off, expired];
        assert_eq!(due_for_refresh(&accounts, now), ["due"]);
        // Once the back-off is over, that account is due too.
        let later = now + Duration::minutes(2);
        assert_eq!(due_for_refresh(&accounts, later), ["due", "backing-off"]);
    }

    #[test]
    fn a_dying_refresh_token_is_announced_once_per_expiry() {
        let now = Utc::now();
        // A 7-day chain issued 6 days and 21 hours ago.
        let mut dying = account("aiq", now, Duration::minutes(50), Duration::hours(3));
        dying.tokens.issued_at = Some(now - Duration::hours(6 * 24 + 21));
        let healthy = account("other", now, Duration::minutes(50), Duration::days(3));
        let mut warned = HashSet::new();
        let owed = dying_refresh_tokens(&[dying.clone(), healthy], now, &mut warned);
        assert_eq!(owed.len(), 1);
        assert!(owed[0].0.contains("'aiq'"), "{owed:?}");
        assert!(owed[0].1.contains("Active IQ"), "{owed:?}");
        assert!(dying_refresh_tokens(std::slice::from_ref(&dying), now, &mut warned).is_empty());
        // A new chain (another expiry) that dies too is announced again.
        let mut renewed = account("aiq", now, Duration::minutes(50), Duration::hours(2));
        renewed.tokens.issued_at = dying.tokens.issued_at;
        assert_eq!(dying_refresh_tokens(&[renewed], now, &mut warned).len(), 1);
    }
}
