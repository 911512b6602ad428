//! The rotation rules:
//! - a new token set is written to the secret store before anything else happens with it;
//! - one refresher per account across processes: a per-account lock is held from reading
//!   the refresh token until the new one is stored, and a waiter re-reads and uses the
//!   fresh token instead of spending the dead one;
//! - a rejected refresh token marks the account *needs sign-in* and deletes nothing.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;

use crate::model::{Account, AccountState, Secrets};
use crate::providers::signin::SignIn;
use crate::providers::{self, Call, Http, Issued, ProviderError, Revoked, spec};

use super::storing::Renewed;
use super::{REFRESH_LOCK_TIMEOUT, TokenOutcome, Wallet, WalletError};
use crate::store::{Stamp, Stamped, lock_async};

tokio::task_local! {
    /// The provider host's turn, when `refresh_all` leaves it to the refresh itself.
    static HOST_TURN: Arc<Semaphore>;
}

/// Whether a refresh must happen or may be skipped when another caller already did it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RefreshMode {
    /// The user asked: refresh unless another process refreshed while we waited.
    Requested,
    /// Only if still due once we hold the lock (`token`, auto-refresh).
    IfDue,
}

/// Token requests of this process from the moment they are sent until their answer is
/// stored: once sent, the server may have rotated, and only storing the answer keeps the
/// chain. An interrupt or a closing window waits while this is above zero.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// How many token requests of this process are between sending and storing.
pub fn requests_in_flight() -> usize {
    IN_FLIGHT.load(Ordering::SeqCst)
}

/// Waits until no token request is between sending and storing, or `limit` passed;
/// `true` when none is left.
pub fn wait_for_requests_in_flight(limit: Duration) -> bool {
    let deadline = std::time::Instant::now() + limit;
    while requests_in_flight() > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    requests_in_flight() == 0
}

/// Counts one request in flight for as long as it lives.
struct InFlight;

impl InFlight {
    fn start() -> Self {
        IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
        Self
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A recorded attempt at a brand new token, with the time it replaced.
struct Attempt {
    previous: Option<DateTime<Utc>>,
}

/// How many refreshes `refresh --all` runs at once unless told otherwise.
pub const DEFAULT_JOBS: usize = 8;

/// The most refreshes that run at once against one provider host.
pub const PER_HOST: usize = 4;

/// The host (and port) an account's token requests go to: what [`PER_HOST`] counts by.
fn host_of(account: &Account) -> String {
    let url = account
        .url
        .as_deref()
        .or(spec(account.provider).default_url)
        .unwrap_or_default();
    url::Url::parse(url)
        .ok()
        .and_then(|url| {
            Some(format!(
                "{}:{}",
                url.host_str()?,
                url.port_or_known_default()?
            ))
        })
        .unwrap_or_else(|| url.to_owned())
}

/// The error for a provider's failure on `account`.
/// The server's words are cut to size here, whatever was redacted before.
pub(super) fn provider_error(account: &Account, source: ProviderError) -> WalletError {
    WalletError::Provider {
        account: account.name.clone(),
        provider: account.provider,
        source: source.redacted(std::iter::empty()),
    }
}

impl Wallet {
    /// Obtains a brand new token set with the account's grant, where no person is at hand.
    pub async fn generate(&self, name: &str) -> Result<Account, WalletError> {
        let account = self.generate_with(name, None).await?;
        self.shared_after_generate(account).await
    }

    /// Obtains a brand new token set, with a person who can sign in through the browser or
    /// on another device (`authorization_code` and `device_code` grants of an OAuth server).
    pub async fn sign_in(&self, name: &str, person: &dyn SignIn) -> Result<Account, WalletError> {
        let account = self.generate_with(name, Some(person)).await?;
        self.shared_after_generate(account).await
    }

    /// A brand new set of a team account goes to the team store (a new chain: what the
    /// team had is replaced, under the lease).
    async fn shared_after_generate(&self, account: Account) -> Result<Account, WalletError> {
        if account.team.is_none() {
            return Ok(account);
        }
        let name = account.name.clone();
        Box::pin(self.team_publish(&name))
            .await
            .map_err(|err| err.for_account(&name))
    }

    async fn generate_with(
        &self,
        name: &str,
        person: Option<&dyn SignIn>,
    ) -> Result<Account, WalletError> {
        let _lock = self.refresh_lock(name).await?;
        let account = self.account(name)?;
        self.check_generate_limit(&account)?;
        let secrets = self.load_secrets(name)?;
        let http = self.http_for(&account)?;
        let mut call = self.call(&http, &account, &secrets);
        call.sign_in = person;
        // A person's sign-in may wait minutes for them: an interrupt then stops at once.
        let _in_flight = person.is_none().then(InFlight::start);
        let previous = self.note_generate_attempt(&account)?;
        let result = providers::generate(call).await;
        self.finish(&account, None, secrets, result, previous, true)
            .map(|renewed| renewed.account)
    }

    /// Stores what a provider issued, or records why it did not; a failed attempt at a
    /// brand new token gives back the time it took from the provider's limit. `stamp`: the
    /// version of the account's record `account` was read from, if it was.
    fn finish(
        &self,
        account: &Account,
        stamp: Option<Stamp>,
        secrets: Secrets,
        result: Result<Issued, ProviderError>,
        attempt: Option<Attempt>,
        generated: bool,
    ) -> Result<Renewed, WalletError> {
        match result {
            Ok(issued) => {
                crate::crash_point("after-response");
                self.store_issued(account, stamp, secrets, issued, None, generated)
            }
            Err(err) => {
                self.undo_generate_attempt(account, attempt);
                Err(self.record_failure(account, &secrets, err))
            }
        }
    }

    /// Before asking for a brand new token where the provider limits them, records the
    /// attempt: a crash after the server issued one must not let the next run break the
    /// limit. Returns the time it replaced, to restore when the request fails cleanly.
    fn note_generate_attempt(&self, account: &Account) -> Result<Option<Attempt>, WalletError> {
        if spec(account.provider).generate_limit.is_none() {
            return Ok(None);
        }
        let now = self.now();
        self.update_account(&account.name, |stored| {
            stored.tokens.last_generated_at = Some(now);
        })?;
        Ok(Some(Attempt {
            previous: account.tokens.last_generated_at,
        }))
    }

    fn undo_generate_attempt(&self, account: &Account, attempt: Option<Attempt>) {
        if let Some(attempt) = attempt {
            self.update_account(&account.name, |stored| {
                stored.tokens.last_generated_at = attempt.previous;
            })
            .ok();
        }
    }

    fn call<'a>(&self, http: &'a Http, account: &'a Account, secrets: &'a Secrets) -> Call<'a> {
        Call {
            http,
            account,
            secrets,
            now: self.now(),
            sign_in: None,
        }
    }

    /// When the provider's limit on new tokens next allows one for this account (Aruba
    /// Central: 30 minutes per client id), if it does not now.
    pub fn next_generate_allowed(
        &self,
        account: &Account,
    ) -> Result<Option<DateTime<Utc>>, WalletError> {
        let Some(limit) = spec(account.provider)
            .generate_limit
            .filter(|limit| limit.grant == account.grant)
        else {
            return Ok(None);
        };
        let now = self.now();
        let last = self
            .list()?
            .iter()
            .filter(|other| {
                other.provider == account.provider && other.client_id == account.client_id
            })
            .filter_map(|other| other.tokens.last_generated_at)
            .max();
        Ok(last
            .map(|at| at + chrono::Duration::seconds(limit.interval_secs))
            .filter(|next| *next > now))
    }

    fn check_generate_limit(&self, account: &Account) -> Result<(), WalletError> {
        match self.next_generate_allowed(account)? {
            Some(next_at) => Err(WalletError::GenerateLimited {
                account: account.name.clone(),
                provider: account.provider,
                interval_secs: spec(account.provider)
                    .generate_limit
                    .map_or(0, |limit| limit.interval_secs),
                next_at,
            }),
            None => Ok(()),
        }
    }

    /// Renews the access token now (unless another process did so while we waited).
    pub async fn refresh(&self, name: &str) -> Result<Account, WalletError> {
        let renewed = self
            .refresh_with(name, RefreshMode::Requested, None)
            .await?;
        Ok(renewed.account)
    }

    /// Refreshes every account that can be renewed without the user, `jobs` at a time and
    /// at most [`PER_HOST`] at once against any one provider host; one result per account,
    /// in the list's order. Each refresh keeps every rule of a single one (its lock, the
    /// Aruba limit, back-off); storing it writes that account's records alone.
    pub async fn refresh_all(
        self: &Arc<Self>,
        jobs: usize,
    ) -> Result<Vec<(String, Result<Account, WalletError>)>, WalletError> {
        let accounts: Vec<Account> = self
            .list()?
            .into_iter()
            .filter(|account| !account.tokens.revoked && account.can_renew_unattended())
            .collect();
        let jobs = Arc::new(Semaphore::new(jobs.max(1)));
        let mut hosts: HashMap<String, Arc<Semaphore>> = HashMap::new();
        let mut tasks = tokio::task::JoinSet::new();
        for (index, account) in accounts.into_iter().enumerate() {
            let host = hosts
                .entry(host_of(&account))
                .or_insert_with(|| Arc::new(Semaphore::new(PER_HOST)))
                .clone();
            let (jobs, wallet) = (jobs.clone(), Arc::clone(self));
            tasks.spawn(async move {
                if account.team.is_some() {
                    // Most of a team refresh is the team store's: the host's turn is taken
                    // around the provider's request alone (see `spend`).
                    let _job = jobs.acquire_owned().await.ok();
                    let result = HOST_TURN.scope(host, wallet.refresh(&account.name)).await;
                    return (index, account.name, result);
                }
                // The host's turn first: waiting for it holds no job slot.
                let _host = host.acquire_owned().await.ok();
                let _job = jobs.acquire_owned().await.ok();
                let result = wallet.refresh(&account.name).await;
                (index, account.name, result)
            });
        }
        let mut results = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(result) => results.push(result),
                Err(err) => std::panic::resume_unwind(err.into_panic()),
            }
        }
        results.sort_by_key(|(index, _, _)| *index);
        Ok(results
            .into_iter()
            .map(|(_, name, result)| (name, result))
            .collect())
    }

    /// Refreshes the account if its access token is due (the background refresher's call).
    pub async fn refresh_if_due(&self, name: &str) -> Result<Account, WalletError> {
        let renewed = self.refresh_with(name, RefreshMode::IfDue, None).await?;
        Ok(renewed.account)
    }

    /// One refresh: one read of the account's record (none when `known` is still current)
    /// and one write. Another process may have refreshed while we waited for the lock: a
    /// record that changed meanwhile is read again, and its fresh tokens are used.
    async fn refresh_with(
        &self,
        name: &str,
        mode: RefreshMode,
        known: Option<Stamped>,
    ) -> Result<Renewed, WalletError> {
        let seen = match known {
            Some(known) => known,
            None => self.stamped(name)?,
        };
        let _lock = lock_async(&self.lock_path(name), REFRESH_LOCK_TIMEOUT).await?;
        let seen_generation = seen.account.tokens.generation;
        let current = if self.accounts.unchanged(name, &seen.stamp) {
            seen
        } else {
            self.stamped(name)?
        };
        let fresh = match mode {
            RefreshMode::Requested => current.account.tokens.generation != seen_generation,
            RefreshMode::IfDue => !self.due(&current.account),
        };
        if fresh {
            tracing::debug!(account = name, "no refresh due: using the stored tokens");
            return Ok(Renewed {
                account: current.account,
                access: None,
            });
        }
        let Stamped { account, stamp } = current;
        self.check_refresh_allowed(&account, mode)?;
        if account.team.is_some() {
            // Boxed: the team's path is long, and every refresh's future would carry it.
            return Box::pin(self.team_refresh(account, mode))
                .await
                .map_err(|err| err.for_account(name));
        }
        self.spend(account, Some(stamp)).await
    }

    /// Asks the provider for new tokens for `account` (its lock held) and stores them:
    /// over the record `stamp` names when it is still current.
    pub(super) async fn spend(
        &self,
        account: Account,
        stamp: Option<Stamp>,
    ) -> Result<Renewed, WalletError> {
        let secrets = self.load_secrets(&account.name)?;
        let http = self.http_for(&account)?;
        let call = self.call(&http, &account, &secrets);
        // With no refresh token, "refresh" asks for a new token with the stored credentials:
        // that is a generate, and the provider's limit on new tokens applies to it.
        let generating = secrets.refresh_token.is_none() && account.grant.renews_with_credentials();
        if generating {
            self.check_generate_limit(&account)?;
        }
        let _in_flight = InFlight::start();
        let previous = if generating {
            self.note_generate_attempt(&account)?
        } else {
            None
        };
        // In `refresh_all`, a team account takes its provider host's turn here, for the
        // provider's request alone: its team store round trips hold none.
        let _turn = match HOST_TURN.try_with(Arc::clone) {
            Ok(host) => host.acquire_owned().await.ok(),
            Err(_) => None,
        };
        let result = if generating {
            providers::generate(call).await
        } else {
            providers::refresh(call).await
        };
        self.finish(&account, stamp, secrets, result, previous, generating)
    }

    /// [`Self::stamped`], after writing to the team store the tokens of this machine's that
    /// wait to be written there, if any; in the agent, after taking another machine's newer
    /// access token of a team account.
    async fn stamped_flushed(&self, name: &str) -> Result<Stamped, WalletError> {
        let stamped = self.stamped(name)?;
        let Some(mark) = &stamped.account.team else {
            return Ok(stamped);
        };
        if mark.pending {
            Box::pin(self.team_flush(name)).await;
            return self.stamped(name);
        }
        // The agent: another machine's newer access token, looked for now and then.
        if self.access_cache.is_some() && Box::pin(self.team_access_check(&stamped.account)).await {
            return self.stamped(name);
        }
        Ok(stamped)
    }

    /// The account and the version of its record.
    fn stamped(&self, name: &str) -> Result<Stamped, WalletError> {
        self.accounts
            .get_stamped(name)?
            .ok_or_else(|| WalletError::NotFound(name.to_owned()))
    }

    fn check_refresh_allowed(
        &self,
        account: &Account,
        mode: RefreshMode,
    ) -> Result<(), WalletError> {
        if account.tokens.revoked {
            return Err(WalletError::Revoked {
                account: account.name.clone(),
                provider: account.provider,
            });
        }
        match account
            .tokens
            .retry_after
            .filter(|at| mode == RefreshMode::IfDue && *at > self.now())
        {
            Some(until) => Err(WalletError::BackedOff {
                account: account.name.clone(),
                provider: account.provider,
                until,
            }),
            None => Ok(()),
        }
    }

    pub(super) fn due(&self, account: &Account) -> bool {
        let now = self.now();
        if let Some(min_valid) = self.min_valid_secs
            && account
                .tokens
                .access_expires_at
                .is_some_and(|at| (at - now).num_seconds() < min_valid)
        {
            return true;
        }
        !matches!(account.state(now), AccountState::Valid)
    }

    /// A valid access token, refreshed first when under the minimum remaining validity.
    /// The account's record is read once; a refresh hands back the token it stored.
    pub async fn token(&self, name: &str) -> Result<TokenOutcome, WalletError> {
        let stamped = self.stamped_flushed(name).await?;
        let account = &stamped.account;
        let now = self.now();
        match account.state(now) {
            AccountState::Revoked => {
                return Err(WalletError::Revoked {
                    account: account.name.clone(),
                    provider: account.provider,
                });
            }
            AccountState::NeedsSignIn => {
                let err = WalletError::NeedsSignIn {
                    account: account.name.clone(),
                    provider: account.provider,
                    last_error: account.tokens.last_error.clone(),
                };
                // A valid token is a valid token: hand it out, and say it cannot be renewed.
                if access_still_valid(account, now) {
                    let token = self.stored_access_token(account)?;
                    return Ok(TokenOutcome {
                        token,
                        warning: Some(err),
                    });
                }
                return Err(err);
            }
            _ => {}
        }
        if !self.due(account) {
            if let Some(token) = self.cached_access(account) {
                return Ok(TokenOutcome {
                    token,
                    warning: None,
                });
            }
            if let Some(token) = self.load_access_token(name)? {
                self.cache_access(account, &token);
                return Ok(TokenOutcome {
                    token,
                    warning: None,
                });
            }
        }
        let still_valid = access_still_valid(account, now);
        let account = account.clone();
        let refreshed = if account.tokens.has_access_token
            || account.tokens.has_refresh_token
            || !account.grant.renews_with_credentials()
        {
            self.refresh_with(name, RefreshMode::IfDue, Some(stamped))
                .await
        } else {
            self.generate(name).await.map(|account| Renewed {
                account,
                access: None,
            })
        };
        let warning = match refreshed {
            Ok(Renewed {
                access: Some(token),
                ..
            }) => {
                return Ok(TokenOutcome {
                    token,
                    warning: None,
                });
            }
            Ok(_) => None,
            Err(err) if still_valid => Some(err),
            Err(err) => return Err(err),
        };
        let token = self.stored_access_token(&account)?;
        Ok(TokenOutcome { token, warning })
    }

    fn stored_access_token(&self, account: &Account) -> Result<crate::model::Secret, WalletError> {
        self.load_secrets(&account.name)?
            .access_token
            .ok_or_else(|| WalletError::NoToken {
                account: account.name.clone(),
                provider: account.provider,
                what: "access token",
            })
    }

    /// Revokes the account's tokens at the provider where it has an API, then forgets them.
    /// Credentials (client secret, password) are kept so a new token can be generated.
    pub async fn revoke(&self, name: &str) -> Result<Revoked, WalletError> {
        let revoked = self.revoke_here(name).await?;
        // A team account's revoked chain is the team's too: the others must not spend it.
        if self.account(name)?.team.is_some() {
            Box::pin(self.team_publish(name))
                .await
                .map_err(|err| err.for_account(name))?;
        }
        Ok(revoked)
    }

    async fn revoke_here(&self, name: &str) -> Result<Revoked, WalletError> {
        let _lock = self.refresh_lock(name).await?;
        let account = self.account(name)?;
        let mut secrets = self.load_secrets(name)?;
        let http = self.http_for(&account)?;
        let call = self.call(&http, &account, &secrets);
        let outcome = providers::revoke(call)
            .await
            .map_err(|err| self.record_failure(&account, &secrets, err))?;
        secrets.access_token = None;
        secrets.refresh_token = None;
        secrets.id_token = None;
        self.secrets.save(name, &secrets)?;
        self.update_account(name, |account| {
            account.tokens.replaced_by(crate::model::Held::default());
            account.tokens.revoked = true;
        })?;
        Ok(outcome)
    }
}

/// Whether the stored access token has not expired (or has no known expiry).
fn access_still_valid(account: &Account, now: DateTime<Utc>) -> bool {
    account.tokens.has_access_token && account.tokens.access_expires_at.is_none_or(|at| at > now)
}
