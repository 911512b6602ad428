//! Keeping tokens fresh with nobody watching: whatever serves as the agent renews each
//! account whose refresh token has passed half its life, or whose kept files' access token
//! starts expiring ([`Account::next_background_refresh`]), on a timer set for the next one
//! due, not by polling. Each round also rewrites kept files that are older than their
//! account's tokens (after a restart or a crash). Failures back off (1 minute, doubling to
//! an hour); an account that needs sign-in drops out (its state says so in `list` and
//! `show`, and the agent's log says it once).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::State;
use crate::model::Account;

/// The longest sleep: the accounts are read again at least this often, to see what other
/// processes changed, and a machine back from sleep catches up within it.
const LONGEST_SLEEP: Duration = Duration::from_mins(10);

/// The first pause after a failed keep-alive refresh; it doubles up to [`LONGEST_BACK_OFF`].
const FIRST_BACK_OFF: i64 = 60;

/// The longest pause after failures.
const LONGEST_BACK_OFF: i64 = 3600;

/// Runs for as long as the agent does.
pub async fn keep_alive(state: Arc<State>) {
    let mut backing_off: HashMap<String, (u32, DateTime<Utc>)> = HashMap::new();
    let mut told: HashSet<String> = HashSet::new();
    loop {
        let sleep = match state.current() {
            Some(wallet) => round(&wallet, &mut backing_off, &mut told).await,
            // Locked: nothing can be refreshed until `unlock`.
            None => LONGEST_SLEEP,
        };
        tokio::select! {
            () = tokio::time::sleep(sleep.min(LONGEST_SLEEP)) => {}
            () = state.opened.notified() => {}
        }
    }
}

/// When an account is due next, given its back-off.
fn due_at(
    account: &Account,
    backing_off: &HashMap<String, (u32, DateTime<Utc>)>,
) -> Option<DateTime<Utc>> {
    let (at, _) = account.next_background_refresh()?;
    Some(match backing_off.get(&account.name) {
        Some((_, until)) => at.max(*until),
        None => at,
    })
}

/// Refreshes every account due now; how long until the next one is.
async fn round(
    wallet: &crate::wallet::Wallet,
    backing_off: &mut HashMap<String, (u32, DateTime<Utc>)>,
    told: &mut HashSet<String>,
) -> Duration {
    let Ok(accounts) = wallet.list() else {
        return LONGEST_SLEEP;
    };
    let now = wallet.now();
    let mut next = LONGEST_SLEEP;
    for account in &accounts {
        if account.tokens.needs_sign_in && told.insert(account.name.clone()) {
            tracing::warn!(account = %account.name, "needs sign-in: its chain is no longer kept alive");
        }
        if !account.kept_files.is_empty()
            && let Err(err) = wallet.catch_up_kept(account)
        {
            tracing::warn!(account = %account.name, error = %err, "its kept files could not be caught up");
        }
        let Some(at) = due_at(account, backing_off) else {
            continue;
        };
        if at > now {
            let wait = (at - now).to_std().unwrap_or_default();
            next = next.min(wait);
            continue;
        }
        match wallet.refresh(&account.name).await {
            Ok(_) => {
                backing_off.remove(&account.name);
                told.remove(&account.name);
                tracing::info!(account = %account.name, "renewed with nobody asking");
            }
            Err(err) => {
                let failures = backing_off.get(&account.name).map_or(0, |(n, _)| *n) + 1;
                let pause = (FIRST_BACK_OFF << (failures - 1).min(6)).min(LONGEST_BACK_OFF);
                let until = wallet.now() + chrono::Duration::seconds(pause);
                backing_off.insert(account.name.clone(), (failures, until));
                tracing::warn!(account = %account.name, error = %err, failures, "keeping the chain alive failed; trying again later");
            }
        }
        // Read again soon after any refresh: the next due time moved.
        next = next.min(Duration::from_secs(1));
    }
    next
}
