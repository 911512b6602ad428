//! Team accounts: the wallet's side of the team store ([`crate::team`]). On each machine a
//! team account is a local account whose record names the version of the team's chain it
//! holds ([`TeamMark`]); the local store keeps a copy, so `token` costs what it costs for
//! a local account while the access token is fresh.
//!
//! A refresh keeps the local rules first (the per-account lock: one Vault round trip per
//! machine, not one per process), then takes the team's lease. Under it, a chain newer than
//! this machine's is pulled and used instead of spending anything; else the provider is
//! asked, the new set is stored locally (its rescue rules apply), then written to the team
//! store with check-and-set on the version read: chain, then access token, then the lease
//! is released. Vault failing after the provider rotated leaves the new set in the local
//! store, marked *pending*, and the next use writes it. A machine whose policy reads only
//! `accounts/` and `access/` takes the access token from the team store, and says so when
//! no refresher has renewed it.

use std::time::Duration;

use serde_json::Value;

mod layout;

use layout::{access_data, chain_data, date, readable, record_data, refused};

use super::rotation::RefreshMode;
use super::storing::Renewed;
use super::{REFRESH_LOCK_TIMEOUT, Wallet, WalletError};
use crate::model::{Account, Held, Secret, Secrets, TeamMark, TokenMeta};
use crate::providers::Http;
use crate::team::{Credentials, Holder, Kv, Lease, TeamError, TeamSettings, Versioned};

/// How often a machine waiting for another's lease looks again.
const LEASE_POLL: Duration = Duration::from_millis(200);

/// The wallet's tie to its team store: where it is, how to log in, who this process is.
/// The connection is made at first use and kept. Its secrets (the Vault token, AppRole's
/// ids) are [`Secret`]s, which `Debug` shows redacted.
#[derive(Debug)]
pub struct TeamLink {
    settings: TeamSettings,
    credentials: Credentials,
    http: Http,
    holder: Holder,
    lease_time: Duration,
    /// How often the agent looks for another machine's newer access token.
    check_every: Duration,
    /// When it last looked, by account.
    checked: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
    kv: tokio::sync::OnceCell<Kv>,
}

impl TeamLink {
    /// A tie of the wallet in `home` to the team store of `settings`, logging in with
    /// `credentials` at first use; its refresh leases last `lease_time` unless extended,
    /// and the agent looks for another machine's newer access token every `check_every`.
    pub fn new(
        home: &std::path::Path,
        settings: TeamSettings,
        credentials: Credentials,
        http: Http,
        (lease_time, check_every): (Duration, Duration),
    ) -> Self {
        Self {
            settings,
            credentials,
            http,
            lease_time,
            check_every,
            checked: std::sync::Mutex::default(),
            holder: Holder::for_wallet(home),
            kv: tokio::sync::OnceCell::new(),
        }
    }

    async fn kv(&self) -> Result<&Kv, TeamError> {
        self.kv
            .get_or_try_init(|| Kv::connect(&self.settings, &self.credentials, &self.http))
            .await
    }
}

/// Releases `lease`; a release that fails is only logged: the lease runs out by itself.
async fn let_go(kv: &Kv, lease: Lease, name: &str) {
    if let Err(err) = lease.release(kv).await {
        tracing::warn!(account = name, error = %err, "the team lease was not released; it runs out by itself");
    }
}

/// `FOLDER/NAME`, a secret of the account in the team store.
fn rel(folder: &str, name: &str) -> String {
    format!("{folder}/{name}")
}

impl Wallet {
    fn team_link(&self) -> Result<&TeamLink, WalletError> {
        self.team
            .as_deref()
            .ok_or(WalletError::Team(TeamError::NotConnected))
    }

    /// Moves the account `name` into the team store (`to_team`: `move NAME --to team`,
    /// `add --team`) or out of it into this wallet alone (`move NAME --to local`), under
    /// its refresh lock. An account already where it goes is returned as it is.
    pub async fn move_account(&self, name: &str, to_team: bool) -> Result<Account, WalletError> {
        let _lock = self.refresh_lock(name).await?;
        let account = self.account(name)?;
        if account.team.is_some() == to_team {
            return Ok(account);
        }
        let link = self.team_link()?;
        let kv = link.kv().await?;
        if to_team {
            return self.share(kv, link, &account).await;
        }
        // Out of the team store: under the lease, the newest chain comes along, then the
        // team's copies are deleted, the lease with the rest (nobody refreshes a chain that
        // is no longer there).
        let _lease = self.take_lease(kv, link, name).await?;
        self.catch_up(kv, link, account).await?;
        for folder in ["accounts", "access", "chain", "locks"] {
            kv.destroy(&rel(folder, name)).await?;
        }
        self.update_account(name, |stored| stored.team = None)
    }

    /// Puts a local account in the team store, its chain as it is (no refresh is spent).
    /// A name the team already has is refused.
    async fn share(
        &self,
        kv: &Kv,
        link: &TeamLink,
        account: &Account,
    ) -> Result<Account, WalletError> {
        let name = account.name.as_str();
        let secrets = self.load_secrets(name)?;
        let chain = rel("chain", name);
        let version = match kv
            .write(&chain, &chain_data(account, &secrets), Some(0))
            .await
        {
            Ok(version) => version,
            Err(TeamError::Changed(path)) => return Err(TeamError::Taken(path).into()),
            Err(err) => return Err(err.into()),
        };
        let written = self.publish(kv, link, account, &secrets).await;
        if let Err(err) = written {
            // Half a team account is none: the chain written first is taken back.
            if let Err(undo) = kv.destroy(&chain).await {
                tracing::warn!(account = name, error = %undo, "could not take back the chain");
            }
            return Err(err.into());
        }
        let chain_fingerprint = super::fingerprint(secrets.refresh_token.as_ref());
        self.update_account(name, |stored| {
            stored.team = Some(TeamMark {
                chain_version: version,
                chain_fingerprint,
                ..TeamMark::default()
            });
        })
    }

    /// Writes the access token (when there is one) and then the record, which makes the
    /// account visible to `team sync`.
    async fn publish(
        &self,
        kv: &Kv,
        link: &TeamLink,
        account: &Account,
        secrets: &Secrets,
    ) -> Result<(), TeamError> {
        let name = &account.name;
        if let Some(token) = &secrets.access_token {
            let data = access_data(account, token, link.holder.as_str(), self.now());
            kv.write(&rel("access", name), &data, None).await?;
        }
        kv.write(&rel("accounts", name), &record_data(account), None)
            .await?;
        Ok(())
    }

    /// Copies every team account this wallet does not have yet (`team sync`): the record,
    /// the chain where this machine's policy lets it read one, the access token. Returns
    /// the names copied.
    pub async fn team_sync(&self) -> Result<Vec<String>, WalletError> {
        let kv = self.team_link()?.kv().await?;
        let mut copied = Vec::new();
        for name in kv.list("accounts").await? {
            if super::validate_name(&name).is_err() || self.accounts.get(&name)?.is_some() {
                continue;
            }
            let Some(record) = kv.read(&rel("accounts", &name)).await? else {
                continue;
            };
            let mut account: Account =
                serde_json::from_value(Value::Object(record.data)).map_err(|err| {
                    TeamError::Refused {
                        what: kv.logical(&rel("accounts", &name)),
                        detail: format!("it is not an account record ({err})"),
                    }
                })?;
            account.name.clone_from(&name);
            account.tokens = TokenMeta::default();
            account.kept_files.clear();
            account.team = Some(TeamMark::default());
            let chain = readable(kv.read(&rel("chain", &name)).await)?;
            let access = kv.read(&rel("access", &name)).await?;
            let inserted = self.accounts.insert(&account, || {
                self.secrets.save(&name, &Secrets::default())?;
                Ok::<_, WalletError>(())
            })?;
            if inserted {
                self.take_pulled(&account, chain.as_ref(), access.as_ref())?;
                copied.push(name);
            }
        }
        self.record_store()?;
        Ok(copied)
    }

    /// A refresh of the team account `account` (its local lock held): see the module's
    /// comment.
    pub(super) async fn team_refresh(
        &self,
        account: Account,
        mode: RefreshMode,
    ) -> Result<Renewed, WalletError> {
        let link = self.team_link()?;
        let kv = link.kv().await?;
        let lease = match self.take_lease(kv, link, &account.name).await {
            Ok(lease) => lease,
            Err(WalletError::Team(TeamError::Forbidden(_))) => {
                return self.consume(kv, &account).await;
            }
            Err(err) => return Err(err),
        };
        let name = account.name.clone();
        let result = self.refresh_leased(kv, link, account, mode).await;
        let_go(kv, lease, &name).await;
        result
    }

    async fn refresh_leased(
        &self,
        kv: &Kv,
        link: &TeamLink,
        account: Account,
        mode: RefreshMode,
    ) -> Result<Renewed, WalletError> {
        let seen = account.team.as_ref().map_or(0, |mark| mark.chain_version);
        let account = self.catch_up(kv, link, account).await?;
        let mark = account.team.clone().unwrap_or_default();
        if mark.chain_version != seen && (mode == RefreshMode::Requested || !self.due(&account)) {
            // Another machine refreshed: its tokens serve, nothing is spent.
            let access = self.load_access_token(&account.name)?;
            return Ok(Renewed { account, access });
        }
        // Written ahead: should this process die between the provider's answer and the
        // team store's write, the next use on this machine writes what it stored.
        let name = account.name.clone();
        let account = self.set_pending(&name, true)?;
        let renewed = match self.spend(account, None).await {
            Ok(renewed) => renewed,
            Err(err) => {
                self.set_pending(&name, false)?;
                return Err(err);
            }
        };
        match self
            .push(kv, link, &renewed.account, mark.chain_version)
            .await
        {
            Ok(account) => Ok(Renewed {
                account,
                access: renewed.access,
            }),
            Err(err) if err.unreachable() => {
                tracing::warn!(account = %name, error = %err, "the new tokens are kept here and written to the team store at the next use");
                Ok(renewed)
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Marks this machine's tokens of `name` as waiting to be written to the team store,
    /// or not.
    fn set_pending(&self, name: &str, pending: bool) -> Result<Account, WalletError> {
        self.update_account(name, |stored| {
            if let Some(mark) = &mut stored.team {
                mark.pending = pending;
            }
        })
    }

    /// Brings this machine's copy up to the team store's, under the lease: a pending set
    /// of ours is written first; a newer chain of another machine's is taken.
    async fn catch_up(
        &self,
        kv: &Kv,
        link: &TeamLink,
        account: Account,
    ) -> Result<Account, WalletError> {
        let name = account.name.clone();
        let mark = account.team.clone().unwrap_or_default();
        let chain_rel = rel("chain", &name);
        let chain = kv
            .read(&chain_rel)
            .await?
            .ok_or_else(|| TeamError::Missing(kv.logical(&chain_rel)))?;
        if mark.pending {
            let secrets = self.load_secrets(&name)?;
            let ours = super::fingerprint(secrets.refresh_token.as_ref());
            let theirs = chain
                .data
                .get("refresh_token")
                .and_then(Value::as_str)
                .map(Secret::new);
            if ours == super::fingerprint(theirs.as_ref()) {
                // A write that timed out landed after all: the team's chain is ours.
                return Ok(self
                    .landed(kv, link, &account, chain.version, &secrets)
                    .await?);
            }
            if ours != mark.chain_fingerprint {
                if chain.version != mark.chain_version {
                    return Err(TeamError::Forked {
                        path: kv.logical(&chain_rel),
                    }
                    .into());
                }
                return Ok(self.push(kv, link, &account, chain.version).await?);
            }
            // Nothing of ours came of it (the process died before the provider answered).
            self.set_pending(&name, false)?;
        }
        if chain.version == mark.chain_version {
            return Ok(account);
        }
        let access = kv.read(&rel("access", &name)).await?;
        self.take_pulled(&account, Some(&chain), access.as_ref())
    }

    /// Writes this machine's set of `account` to the team store over chain version `base`:
    /// chain, then access token; the record's mark follows.
    async fn push(
        &self,
        kv: &Kv,
        link: &TeamLink,
        account: &Account,
        base: u64,
    ) -> Result<Account, TeamError> {
        let name = &account.name;
        let secrets = self.load_secrets(name).map_err(|err| refused(name, &err))?;
        let version = kv
            .write(
                &rel("chain", name),
                &chain_data(account, &secrets),
                Some(base),
            )
            .await?;
        self.landed(kv, link, account, version, &secrets).await
    }

    /// This machine's chain is the team's at `version`: the mark says so, then the access
    /// token is written beside it.
    async fn landed(
        &self,
        kv: &Kv,
        link: &TeamLink,
        account: &Account,
        version: u64,
        secrets: &Secrets,
    ) -> Result<Account, TeamError> {
        let name = &account.name;
        let by = link.holder.as_str().to_owned();
        let access_version = if let Some(token) = &secrets.access_token {
            let data = access_data(account, token, &by, self.now());
            kv.write(&rel("access", name), &data, None).await?
        } else {
            // Revoked: the team's copy goes too.
            kv.destroy(&rel("access", name)).await?;
            0
        };
        let chain_fingerprint = super::fingerprint(secrets.refresh_token.as_ref());
        self.update_account(name, |stored| {
            stored.team = Some(TeamMark {
                chain_version: version,
                chain_fingerprint,
                access_version,
                pending: false,
                refreshed_by: Some(by.clone()),
            });
        })
        .map_err(|err| refused(name, &err))
    }

    /// Stores what was read from the team store as this machine's copy: the chain's
    /// secrets (when this machine may read them) and the access token.
    fn take_pulled(
        &self,
        account: &Account,
        chain: Option<&Versioned>,
        access: Option<&Versioned>,
    ) -> Result<Account, WalletError> {
        let name = &account.name;
        let mut secrets = self.load_secrets(name)?;
        let mut refresh_expires_at = account.tokens.refresh_expires_at;
        if let Some(chain) = chain {
            let pulled: Secrets = serde_json::from_value(Value::Object(chain.data.clone()))
                .map_err(|err| TeamError::Refused {
                    what: format!("the team's chain of '{name}'"),
                    detail: format!("it does not read as a token set ({err}); nothing was changed"),
                })?;
            secrets.client_secret = pulled.client_secret;
            secrets.password = pulled.password;
            secrets.refresh_token = pulled.refresh_token;
            refresh_expires_at = date(&chain.data, "refresh_expires_at");
        }
        let access_version = access.map(|access| access.version);
        let access = access.map(|access| &access.data);
        let access_expires_at = access.and_then(|data| date(data, "expires_at"));
        let refreshed_by = access
            .and_then(|data| data.get("refreshed_by")?.as_str())
            .map(str::to_owned);
        let refreshed_at = access.and_then(|data| date(data, "refreshed_at"));
        if let Some(token) = access.and_then(|data| data.get("access_token")?.as_str()) {
            secrets.access_token = Some(Secret::new(token));
        }
        self.secrets.save(name, &secrets)?;
        let held = Held {
            access: secrets.access_token.is_some(),
            refresh: secrets.refresh_token.is_some(),
            access_expires_at,
            refresh_expires_at,
        };
        let chain_fingerprint = super::fingerprint(secrets.refresh_token.as_ref());
        self.update_account(name, |stored| {
            let tokens = &mut stored.tokens;
            tokens.replaced_by(held);
            tokens.last_refreshed_at = refreshed_at.or(tokens.last_refreshed_at);
            tokens.revoked = false;
            let mark = stored.team.get_or_insert_with(TeamMark::default);
            if let Some(chain) = chain {
                mark.chain_version = chain.version;
                mark.chain_fingerprint = chain_fingerprint;
            }
            if let Some(access) = access_version {
                mark.access_version = access;
            }
            mark.refreshed_by.clone_from(&refreshed_by);
        })
    }

    /// A machine that may not touch the chain: the team's access token when it is fresh,
    /// else a sentence that no refresher has renewed it.
    async fn consume(&self, kv: &Kv, account: &Account) -> Result<Renewed, WalletError> {
        let access_rel = rel("access", &account.name);
        let access = kv.read(&access_rel).await?;
        let last = access.as_ref().map(|access| {
            (
                access
                    .data
                    .get("refreshed_by")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_owned(),
                date(&access.data, "refreshed_at"),
            )
        });
        if access.is_some() {
            let account = self.take_pulled(account, None, access.as_ref())?;
            if !self.due(&account) {
                let access = self.load_access_token(&account.name)?;
                return Ok(Renewed { account, access });
            }
        }
        Err(TeamError::Stale {
            path: kv.logical(&access_rel),
            last: last.map_or_else(
                || "never".to_owned(),
                |(by, at)| match at {
                    Some(at) => format!("last by {by} at {} UTC", at.format("%Y-%m-%d %H:%M")),
                    None => format!("last by {by}"),
                },
            ),
        }
        .into())
    }

    /// Writes this machine's set of `name` (brand new: generated or signed in) to the team
    /// store over the chain it knows, under the lease; marked pending when Vault does not
    /// answer, to be written at the next use.
    pub(super) async fn team_publish(&self, name: &str) -> Result<Account, WalletError> {
        let _lock = self.refresh_lock(name).await?;
        let account = self.set_pending(name, true)?;
        let link = self.team_link()?;
        let kv = link.kv().await?;
        let lease = self.take_lease(kv, link, name).await?;
        let base = account.team.as_ref().map_or(0, |mark| mark.chain_version);
        let pushed = self.push(kv, link, &account, base).await;
        let_go(kv, lease, name).await;
        match pushed {
            Ok(account) => Ok(account),
            Err(TeamError::Changed(path)) => Err(TeamError::Forked { path }.into()),
            Err(err) if err.unreachable() => {
                tracing::warn!(account = name, error = %err, "the new tokens are kept here and written to the team store at the next use");
                self.account(name)
            }
            Err(err) => Err(err.into()),
        }
    }

    /// The agent's look, at most every `check_every` per account, for a newer access token
    /// of a team account than this machine's (another machine refreshed early): taken when
    /// there is one. Whether it was. A failure is only logged: this machine's copy serves.
    pub(super) async fn team_access_check(&self, account: &Account) -> bool {
        let (Some(link), Some(mark)) = (self.team.as_deref(), account.team.as_ref()) else {
            return false;
        };
        {
            let mut checked = link
                .checked
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = std::time::Instant::now();
            if checked
                .get(&account.name)
                .is_some_and(|at| now.duration_since(*at) < link.check_every)
            {
                return false;
            }
            checked.insert(account.name.clone(), now);
        }
        let looked = async {
            let kv = link.kv().await?;
            let Some(access) = kv.read(&rel("access", &account.name)).await? else {
                return Ok::<_, WalletError>(false);
            };
            if access.version == mark.access_version {
                return Ok(false);
            }
            let _lock = self.refresh_lock(&account.name).await?;
            // A refresh may have run while this waited for the lock: what it stored is
            // newer than what was read before, and stays.
            let current = self.account(&account.name)?;
            let known = current.team.as_ref().map_or(0, |mark| mark.access_version);
            if access.version <= known {
                return Ok(false);
            }
            self.take_pulled(&current, None, Some(&access))?;
            Ok(true)
        };
        looked.await.unwrap_or_else(|err| {
            tracing::warn!(account = %account.name, error = %err, "could not look at the team's access token");
            false
        })
    }

    /// Writes this machine's pending tokens of `name` to the team store if it answers now
    /// and no other machine holds the lease; else they stay here, pending, and this is
    /// only logged (`token` calls it before anything else).
    pub(super) async fn team_flush(&self, name: &str) {
        let flushed = async {
            let _lock = self.refresh_lock(name).await?;
            let account = self.account(name)?;
            let link = self.team_link()?;
            let kv = link.kv().await?;
            let lease = Lease::take_for(kv, name, &link.holder, link.lease_time).await?;
            let result = self.catch_up(kv, link, account).await;
            let_go(kv, lease, name).await;
            result.map(drop)
        };
        if let Err(err) = flushed.await {
            tracing::warn!(account = name, error = %err, "the pending tokens wait here for the team store");
        }
    }

    /// Takes the team's lease on `name`, waiting while another machine holds it (as long as
    /// for the local lock).
    async fn take_lease(&self, kv: &Kv, link: &TeamLink, name: &str) -> Result<Lease, WalletError> {
        let deadline = tokio::time::Instant::now() + REFRESH_LOCK_TIMEOUT;
        loop {
            match Lease::take_for(kv, name, &link.holder, link.lease_time).await {
                Err(TeamError::Held { .. } | TeamError::Changed(_))
                    if tokio::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(LEASE_POLL).await;
                }
                other => return Ok(other?),
            }
        }
    }
}
