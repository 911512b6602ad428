//! Keeping tokens fresh with nobody watching: whatever serves as the agent renews each
//! account whose refresh token has passed half its life, or whose kept files' access token
//! starts expiring ([`Account::next_background_refresh`]), on a timer set for the next one
//! due, not by polling. Each round also rewrites kept files that are older than their
//! account's tokens (after a restart or a crash). Failures back off (1 minute, doubling to
//! an hour); an account that needs sign-in drops out (its state says so in `list` and
//! `show`, and the agent's log and a desktop notification say it once).

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
            Some(wallet) => round(&state, &wallet, &mut backing_off, &mut told).await,
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
    state: &State,
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
            let spec = account.provider.spec();
            state.notify(
                &format!("'{}' needs sign-in", account.name),
                &format!(
                    "Its {} refresh token no longer works, so it is no longer kept fresh. {}",
                    spec.label, spec.sign_in_help
                ),
            );
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Mutex;

    use super::*;
    use crate::notify::Notifier;
    use crate::store::SecretStoreKind;
    use crate::wallet::Wallet;

    /// Keeps what it was asked to show.
    #[derive(Default)]
    struct Shown(Mutex<Vec<(String, String)>>);

    impl Notifier for Shown {
        fn notify(&self, summary: &str, body: &str) -> Result<(), String> {
            self.0.lock().unwrap().push((summary.into(), body.into()));
            Ok(())
        }
    }

    // Issue 18: an account whose chain died is told once, by notification, however many
    // rounds see it; and it is not refreshed again.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_chain_that_needs_sign_in_is_told_once() {
        let (server, new) = crate::demo::start("demo").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let no_passphrase = |_| Err(crate::store::StoreError::NoPassphrase);
        let wallet = Arc::new(
            Wallet::open(
                dir.path(),
                &crate::config::Config::default().using(SecretStoreKind::Memory),
                &no_passphrase,
            )
            .unwrap(),
        );
        wallet.add(new).await.unwrap();
        wallet.generate("demo").await.unwrap();
        server.revoke_all_grants();
        assert!(wallet.refresh("demo").await.is_err());
        assert!(wallet.account("demo").unwrap().tokens.needs_sign_in);
        let state = State::new(
            dir.path(),
            Some(Arc::clone(&wallet)),
            Arc::new(super::super::PlainWording),
        );
        let shown = Arc::new(Shown::default());
        state.notify_with(shown.clone());
        let (mut backing_off, mut told) = (HashMap::new(), HashSet::new());
        let requests = server.state().token_requests;
        for _ in 0..3 {
            round(&state, &wallet, &mut backing_off, &mut told).await;
        }
        let shown = shown.0.lock().unwrap().clone();
        assert_eq!(shown.len(), 1, "{shown:?}");
        assert_eq!(shown[0].0, "'demo' needs sign-in");
        assert!(
            shown[0]
                .1
                .contains("OAuth 2.0 refresh token no longer works"),
            "{}",
            shown[0].1
        );
        assert_eq!(
            server.state().token_requests,
            requests,
            "no refresh was tried"
        );
    }
}
