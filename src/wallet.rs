//! The service both fronts call: add, import, generate, refresh, revoke, token, export.
//! It owns the refresh lock and the rotation rules:
//! - a new token set is written to the secret store before anything else happens with it;
//! - one refresher per account across processes: a per-account lock is held from reading
//!   the refresh token until the new one is stored, and a waiter re-reads and uses the
//!   fresh token instead of spending the dead one;
//! - a rejected refresh token marks the account *needs sign-in* and deletes nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::import::{self, Imported};
use crate::model::{
    Account, AccountState, Grant, ProviderKind, Secret, Secrets, decode_jwt, expiry_from_expires_in,
};
use crate::providers::{self, Call, Http, Issued, ProviderError, Revoked, checked_url, spec};
use crate::store::{
    AccountsData, AccountsFile, KeyringStore, MemoryStore, SecretStore, SecretStoreKind,
    StoreError, VaultStore, ensure_home, lock_async,
};

/// Aruba Central allows one new token per client id in this window.
pub const ARUBA_GENERATE_INTERVAL: chrono::Duration = chrono::Duration::minutes(30);

/// How long a caller waits for another process's refresh of the same account.
const REFRESH_LOCK_TIMEOUT: Duration = Duration::from_mins(2);

/// The longest back-off a server's `Retry-After` can impose.
const MAX_RETRY_AFTER_SECS: u64 = 86_400;

/// The wallet's source of time, injectable for tests.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// What went wrong, as one plain sentence naming the account and what to do.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// No such account.
    #[error("there is no account named '{0}'; `tokenwallet list` shows the accounts")]
    NotFound(String),
    /// The name is taken.
    #[error("an account named '{0}' already exists; pick another name or remove it first")]
    Exists(String),
    /// The request itself is wrong (missing field, bad URL, bad import file).
    #[error("{0}")]
    Invalid(String),
    /// The provider said no or could not be reached. The stored tokens were kept.
    #[error("account '{account}' ({provider}): {source}. {advice}")]
    Provider {
        /// The account.
        account: String,
        /// Its provider.
        provider: ProviderKind,
        /// What the provider did.
        source: ProviderError,
        /// What the user can do about it.
        advice: String,
    },
    /// The wallet will not do it (revoked account, Aruba's 30-minute limit, …).
    #[error("account '{account}' ({provider}): {message}")]
    Refused {
        /// The account.
        account: String,
        /// Its provider.
        provider: ProviderKind,
        /// Why, and what to do.
        message: String,
        /// Whether only a new sign-in helps.
        sign_in: bool,
    },
    /// Local storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl WalletError {
    /// The CLI exit code: 3 needs sign-in, 4 unreachable or 5xx, 2 bad input, 1 anything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Invalid(_) => 2,
            Self::Provider { source, .. } if source.needs_sign_in() => 3,
            Self::Provider { source, .. } if source.unreachable() => 4,
            Self::Refused { sign_in: true, .. } => 3,
            _ => 1,
        }
    }

    fn provider(account: &Account, source: ProviderError) -> Self {
        let advice = if source.needs_sign_in() {
            format!(
                "The stored tokens were kept. {}",
                spec(account.provider).sign_in_help
            )
        } else {
            match &source {
                ProviderError::Unreachable(_) | ProviderError::Timeout(_) => {
                    "Check the network and the account's URL, then try again; the stored tokens were kept.".to_owned()
                }
                ProviderError::Server { .. } => "The provider is having trouble; try again later; the stored tokens were kept.".to_owned(),
                ProviderError::RateLimited { retry_after_secs } => format!(
                    "Wait {} and try again; the stored tokens were kept.",
                    retry_after_secs.map_or("a while".to_owned(), |s| format!("{s} s"))
                ),
                ProviderError::BadResponse(_) => {
                    "The stored tokens were kept; try again later, and check that the account's URL points at the token API.".to_owned()
                }
                ProviderError::Rejected { .. } => format!(
                    "Check the account's settings (tokenwallet show {}); the stored tokens were kept.",
                    account.name
                ),
                ProviderError::BadUrl(_)
                | ProviderError::InsecureUrl(_)
                | ProviderError::Unsupported(_)
                | ProviderError::InvalidGrant { .. } => String::new(),
            }
        };
        Self::Provider {
            account: account.name.clone(),
            provider: account.provider,
            source,
            advice,
        }
    }
}

/// A new account and its secrets, as the user gave them.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Metadata: name, provider, grant, endpoints.
    pub account: Account,
    /// Credentials and, for portal-issued refresh tokens, the refresh token.
    pub secrets: Secrets,
}

/// The result of `token`: a usable access token, and a warning when it could not be renewed.
#[derive(Debug)]
pub struct TokenOutcome {
    /// The access token.
    pub token: Secret,
    /// Set when a due refresh failed but the current token is still valid.
    pub warning: Option<String>,
}

/// Whether a refresh must happen or may be skipped when another caller already did it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RefreshMode {
    /// The user asked: refresh unless another process refreshed while we waited.
    Requested,
    /// Only if still due once we hold the lock (`token`, auto-refresh).
    IfDue,
}

/// The wallet: accounts file, secret store, HTTP client and clock.
pub struct Wallet {
    home: PathBuf,
    accounts: AccountsFile,
    secrets: Arc<dyn SecretStore>,
    http: Http,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet")
            .field("home", &self.home)
            .field("store", &self.secrets.kind())
            .finish_non_exhaustive()
    }
}

impl Wallet {
    /// A wallet over explicit parts (tests, the demo, the UI with injected stores).
    pub fn new(
        home: &Path,
        secrets: Arc<dyn SecretStore>,
        http: Http,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, WalletError> {
        ensure_home(home)?;
        Ok(Self {
            home: home.to_owned(),
            accounts: AccountsFile::new(home),
            secrets,
            http,
            clock,
        })
    }

    /// Opens the wallet in `home` with the secret store chosen by `choice`, else the one the
    /// wallet already uses, else the OS keyring when reachable, else the encrypted vault.
    /// `passphrase` is asked for only if the vault is used; its argument says whether the
    /// vault is new (so the front can ask twice).
    pub fn open(
        home: &Path,
        choice: Option<SecretStoreKind>,
        passphrase: &dyn Fn(bool) -> Result<Secret, StoreError>,
    ) -> Result<Self, WalletError> {
        ensure_home(home)?;
        let recorded = AccountsFile::new(home).load()?.secret_store;
        let kind = choice.or(recorded).unwrap_or_else(|| {
            if KeyringStore::reachable() {
                SecretStoreKind::Keyring
            } else {
                SecretStoreKind::File
            }
        });
        let store: Arc<dyn SecretStore> = match kind {
            SecretStoreKind::Keyring => Arc::new(KeyringStore::new(home)),
            SecretStoreKind::File => Arc::new(VaultStore::open(
                home,
                passphrase(!VaultStore::exists(home))?,
            )?),
            SecretStoreKind::Memory => Arc::new(MemoryStore::default()),
        };
        let http = Http::from_env().map_err(|err| WalletError::Invalid(err.to_string()))?;
        Self::new(home, store, http, Arc::new(SystemClock))
    }

    /// The data dir.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// Which secret store is in use.
    pub fn secret_store_kind(&self) -> SecretStoreKind {
        self.secrets.kind()
    }

    /// The wallet's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Every account's metadata (no secret is read).
    pub fn list(&self) -> Result<Vec<Account>, WalletError> {
        Ok(self.accounts.load()?.accounts)
    }

    /// One account's metadata.
    pub fn account(&self, name: &str) -> Result<Account, WalletError> {
        self.accounts
            .load()?
            .get(name)
            .cloned()
            .ok_or_else(|| WalletError::NotFound(name.to_owned()))
    }

    /// Adds an account after checking it has what its provider and grant need. Only an
    /// `oauth2` account with an issuer talks to the network (discovery).
    pub async fn add(&self, new: NewAccount) -> Result<Account, WalletError> {
        let NewAccount {
            mut account,
            secrets,
        } = new;
        validate(&account, &secrets)?;
        if self.accounts.load()?.get(&account.name).is_some() {
            return Err(WalletError::Exists(account.name));
        }
        if let (ProviderKind::Oauth2, Some(issuer)) = (account.provider, account.issuer.clone()) {
            let found = providers::oauth2::discover(&self.http, &issuer)
                .await
                .map_err(|source| WalletError::provider(&account, source))?;
            account.url.get_or_insert(found.token_endpoint);
            if account.revoke_url.is_none() {
                account.revoke_url = found.revocation_endpoint;
            }
            if let Some(auth) = found.client_auth {
                account.client_auth = auth;
            }
        }
        if account.provider == ProviderKind::Oauth2 && account.url.is_none() {
            return Err(WalletError::Invalid("an oauth2 account needs its token endpoint (--url) or an issuer to discover it (--issuer)".to_owned()));
        }
        account.tokens = crate::model::TokenMeta {
            has_refresh_token: secrets.refresh_token.is_some(),
            refresh_expires_at: secrets
                .refresh_token
                .as_ref()
                .and_then(|rt| decode_jwt(rt.expose())?.expires_at()),
            ..crate::model::TokenMeta::default()
        };
        let kind = self.secrets.kind();
        self.accounts.update(|data| {
            if data.get(&account.name).is_some() {
                return Err(WalletError::Exists(account.name.clone()));
            }
            // Under the accounts lock: a racing `add` of the same name cannot overwrite these.
            self.secrets.save(&account.name, &secrets)?;
            record_store(data, kind);
            data.accounts.push(account.clone());
            Ok(())
        })?;
        Ok(account)
    }

    /// Imports a downloaded token file into a new account, or into an existing account of
    /// the same provider (a fresh pair after a new sign-in). A bad file stores nothing.
    pub async fn import(
        &self,
        new: NewAccount,
        file: &str,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<Account, WalletError> {
        let NewAccount {
            account,
            secrets: extra,
        } = new;
        let now = self.now();
        let Imported {
            issued,
            expires_at: file_expiry,
        } = import::parse(file, now).map_err(|err| {
            WalletError::Invalid(format!(
                "account '{}' ({}): {err}; nothing was stored",
                account.name, account.provider
            ))
        })?;
        // Held until the imported tokens are stored: a refresh racing in another process
        // must neither overwrite them nor have its rotated refresh token overwritten.
        let _lock = lock_async(&self.lock_path(&account.name), REFRESH_LOCK_TIMEOUT).await?;
        let existing = self.accounts.load()?.get(&account.name).cloned();
        let (account, mut secrets) = match existing {
            Some(old) if old.provider != account.provider => {
                return Err(WalletError::Exists(account.name));
            }
            Some(old) => {
                let secrets = self.secrets.load(&old.name)?.unwrap_or_default();
                (old, secrets)
            }
            None => {
                validate_endpoints(&account)?;
                (account, Secrets::default())
            }
        };
        for (slot, value) in [
            (&mut secrets.client_secret, extra.client_secret),
            (&mut secrets.password, extra.password),
        ] {
            if value.is_some() {
                *slot = value;
            }
        }
        let kind = self.secrets.kind();
        let created = account.clone();
        self.accounts.update(|data| {
            record_store(data, kind);
            if data.get(&created.name).is_none() {
                data.accounts.push(created.clone());
            }
            Ok::<_, WalletError>(())
        })?;
        self.store_issued(&account, secrets, issued, expires_at.or(file_expiry), true)
    }

    /// Obtains a brand new token set with the account's grant.
    pub async fn generate(&self, name: &str) -> Result<Account, WalletError> {
        let _lock = self.refresh_lock(name).await?;
        let account = self.account(name)?;
        if let Some(at) = self.aruba_next_generate(&account)? {
            return Err(aruba_limit(&account, at));
        }
        let secrets = self.secrets.load(name)?.unwrap_or_default();
        let call = Call {
            http: &self.http,
            account: &account,
            secrets: &secrets,
            now: self.now(),
        };
        match providers::generate(call).await {
            Ok(issued) => self.store_issued(&account, secrets, issued, None, true),
            Err(err) => Err(self.record_failure(&account, err)),
        }
    }

    /// When Aruba's 30-minute limit next allows a new token for this account's client id,
    /// if it does not now. `None` for other providers.
    pub fn aruba_next_generate(
        &self,
        account: &Account,
    ) -> Result<Option<DateTime<Utc>>, WalletError> {
        if account.provider != ProviderKind::ArubaCentral
            || account.grant != Grant::AuthorizationCode
        {
            return Ok(None);
        }
        let now = self.now();
        let last = self
            .list()?
            .iter()
            .filter(|other| {
                other.provider == ProviderKind::ArubaCentral && other.client_id == account.client_id
            })
            .filter_map(|other| other.tokens.last_generated_at)
            .max();
        Ok(last
            .map(|at| at + ARUBA_GENERATE_INTERVAL)
            .filter(|next| *next > now))
    }

    /// Renews the access token now (unless another process did so while we waited).
    pub async fn refresh(&self, name: &str) -> Result<Account, WalletError> {
        self.refresh_with(name, RefreshMode::Requested).await
    }

    /// Refreshes every account that can be renewed without the user; one result per account.
    pub async fn refresh_all(
        &self,
    ) -> Result<Vec<(String, Result<Account, WalletError>)>, WalletError> {
        let mut results = Vec::new();
        for account in self.list()? {
            if account.tokens.revoked || !account.can_renew_unattended() {
                continue;
            }
            let result = self.refresh(&account.name).await;
            results.push((account.name, result));
        }
        Ok(results)
    }

    /// Refreshes the account if its access token is due (the background refresher's call).
    pub async fn refresh_if_due(&self, name: &str) -> Result<Account, WalletError> {
        self.refresh_with(name, RefreshMode::IfDue).await
    }

    async fn refresh_with(&self, name: &str, mode: RefreshMode) -> Result<Account, WalletError> {
        let seen = self.account(name)?.tokens.generation;
        let _lock = self.refresh_lock(name).await?;
        // Re-read under the lock: another process may have refreshed while we waited.
        let account = self.account(name)?;
        let fresh = match mode {
            RefreshMode::Requested => account.tokens.generation != seen,
            RefreshMode::IfDue => !self.due(&account),
        };
        if fresh {
            tracing::debug!(
                account = name,
                "another caller refreshed meanwhile; using its tokens"
            );
            return Ok(account);
        }
        if account.tokens.revoked {
            return Err(WalletError::Refused {
                account: account.name.clone(),
                provider: account.provider,
                message: "its tokens were revoked; generate or import a new token first".to_owned(),
                sign_in: true,
            });
        }
        if let Some(until) = account
            .tokens
            .retry_after
            .filter(|at| mode == RefreshMode::IfDue && *at > self.now())
        {
            return Err(WalletError::Refused {
                account: account.name.clone(),
                provider: account.provider,
                message: format!(
                    "the server asked to wait before the next request (until {} UTC); try again then",
                    until.format("%H:%M:%S")
                ),
                sign_in: false,
            });
        }
        let secrets = self.secrets.load(name)?.unwrap_or_default();
        let call = Call {
            http: &self.http,
            account: &account,
            secrets: &secrets,
            now: self.now(),
        };
        // With no refresh token, "refresh" asks for a new token with the stored credentials:
        // that is a generate, and Aruba's 30-minute limit applies to it.
        let generating = secrets.refresh_token.is_none() && account.grant != Grant::RefreshToken;
        if generating && let Some(at) = self.aruba_next_generate(&account)? {
            return Err(aruba_limit(&account, at));
        }
        let result = if generating {
            providers::generate(call).await
        } else {
            providers::refresh(call).await
        };
        match result {
            Ok(issued) => self.store_issued(&account, secrets, issued, None, generating),
            Err(err) => Err(self.record_failure(&account, err)),
        }
    }

    fn due(&self, account: &Account) -> bool {
        let now = self.now();
        if let Some(min_valid) = min_valid_secs()
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
    pub async fn token(&self, name: &str) -> Result<TokenOutcome, WalletError> {
        let account = self.account(name)?;
        let now = self.now();
        match account.state(now) {
            AccountState::Revoked => {
                return Err(WalletError::Refused {
                    account: account.name.clone(),
                    provider: account.provider,
                    message: "its tokens were revoked; generate or import a new token first"
                        .to_owned(),
                    sign_in: true,
                });
            }
            AccountState::NeedsSignIn => {
                return Err(WalletError::Refused {
                    account: account.name.clone(),
                    provider: account.provider,
                    message: format!(
                        "it needs a new sign-in{}. {}",
                        account
                            .tokens
                            .last_error
                            .as_deref()
                            .map(|e| format!(" (last error: {e})"))
                            .unwrap_or_default(),
                        spec(account.provider).sign_in_help
                    ),
                    sign_in: true,
                });
            }
            _ => {}
        }
        if !self.due(&account)
            && let Some(token) = self.secrets.load(name)?.and_then(|s| s.access_token)
        {
            return Ok(TokenOutcome {
                token,
                warning: None,
            });
        }
        let still_valid = account.tokens.has_access_token
            && account.tokens.access_expires_at.is_none_or(|at| at > now);
        let refreshed = if account.tokens.has_access_token
            || account.tokens.has_refresh_token
            || account.grant == Grant::RefreshToken
        {
            self.refresh_if_due(name).await
        } else {
            self.generate(name).await
        };
        match refreshed {
            Ok(_) => {
                let token = self
                    .secrets
                    .load(name)?
                    .and_then(|s| s.access_token)
                    .ok_or_else(|| WalletError::Refused {
                        account: name.to_owned(),
                        provider: account.provider,
                        message: "no access token is stored; run generate".to_owned(),
                        sign_in: false,
                    })?;
                Ok(TokenOutcome {
                    token,
                    warning: None,
                })
            }
            Err(err) if still_valid => {
                let token = self.secrets.load(name)?.and_then(|s| s.access_token);
                match token {
                    Some(token) => Ok(TokenOutcome {
                        token,
                        warning: Some(format!("{err} (printed the current token, still valid)")),
                    }),
                    None => Err(err),
                }
            }
            Err(err) => Err(err),
        }
    }

    /// Revokes the account's tokens at the provider where it has an API, then forgets them.
    /// Credentials (client secret, password) are kept so a new token can be generated.
    pub async fn revoke(&self, name: &str) -> Result<Revoked, WalletError> {
        let _lock = self.refresh_lock(name).await?;
        let account = self.account(name)?;
        let mut secrets = self.secrets.load(name)?.unwrap_or_default();
        let call = Call {
            http: &self.http,
            account: &account,
            secrets: &secrets,
            now: self.now(),
        };
        let outcome = providers::revoke(call)
            .await
            .map_err(|err| self.record_failure(&account, err))?;
        secrets.access_token = None;
        secrets.refresh_token = None;
        secrets.id_token = None;
        self.secrets.save(name, &secrets)?;
        self.update_account(name, |account| {
            let tokens = &mut account.tokens;
            tokens.has_access_token = false;
            tokens.has_refresh_token = false;
            tokens.access_expires_at = None;
            tokens.refresh_expires_at = None;
            tokens.revoked = true;
            tokens.needs_sign_in = false;
            tokens.last_error = None;
            tokens.generation += 1;
        })?;
        Ok(outcome)
    }

    /// Deletes the account and its secrets. Waits for a refresh in flight, which would
    /// otherwise write the secrets back after they were deleted. The lock file stays: a
    /// process waiting on it must lock the same file as the next one.
    pub async fn remove(&self, name: &str) -> Result<(), WalletError> {
        let _lock = self.refresh_lock(name).await?;
        self.account(name)?;
        self.secrets.delete(name)?;
        self.accounts.update(|data| {
            data.accounts.retain(|account| account.name != name);
            Ok::<_, WalletError>(())
        })?;
        Ok(())
    }

    /// Turns background refresh on or off for the account.
    pub fn set_auto_refresh(&self, name: &str, on: bool) -> Result<Account, WalletError> {
        self.update_account(name, |account| account.auto_refresh = on)
    }

    /// The account and its secrets, for export, copy and view. Read only when asked.
    pub fn secrets(&self, name: &str) -> Result<(Account, Secrets), WalletError> {
        let account = self.account(name)?;
        let secrets = self.secrets.load(name)?.unwrap_or_default();
        Ok((account, secrets))
    }

    /// Writes a new token set: secrets first (the rotated refresh token is durable before
    /// anything else), then the metadata.
    fn store_issued(
        &self,
        account: &Account,
        mut secrets: Secrets,
        issued: Issued,
        expires_at: Option<DateTime<Utc>>,
        generated: bool,
    ) -> Result<Account, WalletError> {
        let now = self.now();
        let lifetimes = account.provider.default_lifetimes();
        let rotated = issued.refresh_token.is_some();
        let access_expires_at = expires_at
            .or_else(|| {
                issued
                    .expires_in
                    .and_then(|secs| expiry_from_expires_in(secs, issued.issued_at))
            })
            .or_else(|| decode_jwt(issued.access_token.expose())?.expires_at())
            .or_else(|| lifetimes.access.map(|life| issued.issued_at + life));
        let refresh_expires_at = issued.refresh_token.as_ref().and_then(|rt| {
            issued
                .refresh_expires_in
                .and_then(|secs| expiry_from_expires_in(secs, issued.issued_at))
                .or_else(|| decode_jwt(rt.expose())?.expires_at())
                .or_else(|| lifetimes.refresh.map(|life| issued.issued_at + life))
        });
        secrets.access_token = Some(issued.access_token);
        if let Some(refresh_token) = issued.refresh_token {
            secrets.refresh_token = Some(refresh_token);
        }
        if issued.id_token.is_some() {
            secrets.id_token = issued.id_token;
        }
        self.save_issued(&account.name, &secrets, rotated)?;
        let has_refresh = secrets.refresh_token.is_some();
        self.update_account(&account.name, |stored| {
            let tokens = &mut stored.tokens;
            tokens.has_access_token = true;
            tokens.has_refresh_token = has_refresh;
            tokens.issued_at = Some(issued.issued_at);
            tokens.access_expires_at = access_expires_at;
            if rotated {
                tokens.refresh_expires_at = refresh_expires_at;
            }
            tokens.scope = issued.scope.or_else(|| tokens.scope.take());
            tokens.token_type = issued.token_type.or_else(|| tokens.token_type.take());
            if generated {
                tokens.last_generated_at = Some(now);
            } else {
                tokens.last_refreshed_at = Some(now);
            }
            tokens.needs_sign_in = false;
            tokens.revoked = false;
            tokens.last_error = None;
            tokens.retry_after = None;
            tokens.generation += 1;
        })
    }

    /// Saves new tokens. A rotated refresh token exists nowhere else once the server has
    /// retired the old one, so a failed save is retried before giving up.
    fn save_issued(&self, name: &str, secrets: &Secrets, rotated: bool) -> Result<(), WalletError> {
        let mut attempt = 0;
        loop {
            match self.secrets.save(name, secrets) {
                Ok(()) => return Ok(()),
                Err(err) if rotated && attempt < 3 => {
                    attempt += 1;
                    tracing::warn!(account = name, error = %err, attempt, "saving the new tokens failed; retrying");
                    std::thread::sleep(Duration::from_millis(100 * attempt));
                }
                Err(err) => return Err(err.into()),
            }
        }
    }

    /// Notes a failure on the account (last error, needs sign-in, back-off) and returns the
    /// error to show. The tokens are not touched.
    fn record_failure(&self, account: &Account, err: ProviderError) -> WalletError {
        let sign_in = err.needs_sign_in();
        let retry_after = match &err {
            // The server's number, capped at a day: a huge value must neither overflow
            // nor lock the account out for good.
            ProviderError::RateLimited { retry_after_secs } => {
                let secs = retry_after_secs.unwrap_or(60).min(MAX_RETRY_AFTER_SECS);
                self.now().checked_add_signed(chrono::Duration::seconds(
                    i64::try_from(secs).unwrap_or(60),
                ))
            }
            _ => None,
        };
        let error = WalletError::provider(account, err);
        let message = error.to_string();
        let recorded = self.update_account(&account.name, |stored| {
            stored.tokens.last_error = Some(message.clone());
            stored.tokens.needs_sign_in |= sign_in;
            if retry_after.is_some() {
                stored.tokens.retry_after = retry_after;
            }
        });
        if let Err(store_err) = recorded {
            tracing::warn!(error = %store_err, "could not record the failure");
        }
        error
    }

    fn update_account(
        &self,
        name: &str,
        change: impl FnOnce(&mut Account),
    ) -> Result<Account, WalletError> {
        self.accounts.update(|data: &mut AccountsData| {
            let account = data
                .get_mut(name)
                .ok_or_else(|| WalletError::NotFound(name.to_owned()))?;
            change(account);
            Ok(account.clone())
        })
    }

    fn lock_path(&self, name: &str) -> PathBuf {
        let safe: String = name.bytes().fold(String::new(), |mut out, b| {
            use std::fmt::Write as _;
            write!(out, "{b:02x}").ok();
            out
        });
        self.home.join("locks").join(format!("account-{safe}.lock"))
    }

    async fn refresh_lock(&self, name: &str) -> Result<crate::store::FileLock, WalletError> {
        self.account(name)?;
        Ok(lock_async(&self.lock_path(name), REFRESH_LOCK_TIMEOUT).await?)
    }
}

/// The refusal when Aruba's 30-minute limit forbids a new token until `at`.
fn aruba_limit(account: &Account, at: DateTime<Utc>) -> WalletError {
    WalletError::Refused {
        account: account.name.clone(),
        provider: account.provider,
        message: format!(
            "Aruba Central allows a new token for this client id only every 30 minutes; the next is allowed at {} UTC. Use refresh instead.",
            at.format("%H:%M")
        ),
        sign_in: false,
    }
}

/// Records which store holds the secrets, the first time. `memory` is never recorded: it
/// keeps nothing, so a later run must not be led to it.
fn record_store(data: &mut AccountsData, kind: SecretStoreKind) {
    if kind != SecretStoreKind::Memory {
        data.secret_store.get_or_insert(kind);
    }
}

/// `TOKENWALLET_MIN_VALID_SECS`: refresh in `token` when less validity remains.
fn min_valid_secs() -> Option<i64> {
    std::env::var("TOKENWALLET_MIN_VALID_SECS")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Checks an account name: what a user can type and a file system can hold.
pub fn validate_name(name: &str) -> Result<(), WalletError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "-_.@".contains(c));
    if ok {
        Ok(())
    } else {
        Err(WalletError::Invalid(format!(
            "'{name}' is not a usable account name: use 1–64 letters, digits, '-', '_', '.', '@', not starting with '-'"
        )))
    }
}

fn validate_endpoints(account: &Account) -> Result<(), WalletError> {
    validate_endpoints_for(account, Front::Cli)
}

fn validate_endpoints_for(account: &Account, front: Front) -> Result<(), WalletError> {
    validate_name(&account.name)?;
    let invalid = |err: ProviderError| {
        WalletError::Invalid(format!(
            "account '{}' ({}): {err}",
            account.name, account.provider
        ))
    };
    for url in [&account.url, &account.revoke_url, &account.issuer]
        .into_iter()
        .flatten()
    {
        checked_url(url).map_err(invalid)?;
    }
    if account.provider == ProviderKind::Apinizer && account.url.is_none() {
        return Err(WalletError::Invalid(format!(
            "account '{}' (Apinizer): Apinizer has no public endpoint; give your manager's address {}",
            account.name,
            match front {
                Front::Cli => "with --url",
                Front::Window => "as the Base URL",
            }
        )));
    }
    Ok(())
}

/// What an account of a provider and grant must be given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)]
pub struct Required {
    /// `--client-id`.
    pub client_id: bool,
    /// `TOKENWALLET_CLIENT_SECRET`.
    pub client_secret: bool,
    /// `--username`.
    pub username: bool,
    /// `TOKENWALLET_PASSWORD`.
    pub password: bool,
    /// `TOKENWALLET_REFRESH_TOKEN`.
    pub refresh_token: bool,
    /// `--customer-id`.
    pub customer_id: bool,
}

/// What `add` needs for this provider and grant.
pub fn required(provider: ProviderKind, grant: Grant) -> Required {
    let aruba = provider == ProviderKind::ArubaCentral;
    let apinizer = provider == ProviderKind::Apinizer;
    let user_login = apinizer || matches!(grant, Grant::Password | Grant::AuthorizationCode);
    Required {
        client_id: aruba
            || provider == ProviderKind::Oauth2
            || (provider == ProviderKind::Bluexp && grant == Grant::ClientCredentials),
        client_secret: aruba || (grant == Grant::ClientCredentials && !apinizer),
        username: user_login,
        password: user_login,
        refresh_token: grant == Grant::RefreshToken,
        customer_id: grant == Grant::AuthorizationCode,
    }
}

/// Checks that an account has what its provider and grant need, before any request.
pub fn validate(account: &Account, secrets: &Secrets) -> Result<(), WalletError> {
    validate_for(account, secrets, Front::Cli)
}

/// Where the user gives an account's fields; messages name them the way that front does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Front {
    /// Command-line options and `TOKENWALLET_*` variables.
    Cli,
    /// The window's form fields.
    Window,
}

/// [`validate`], with the missing fields named for `front`.
pub fn validate_for(account: &Account, secrets: &Secrets, front: Front) -> Result<(), WalletError> {
    validate_endpoints_for(account, front)?;
    let spec = spec(account.provider);
    if !spec.grants.contains(&account.grant) {
        let grants: Vec<&str> = spec.grants.iter().map(|g| g.id()).collect();
        return Err(WalletError::Invalid(format!(
            "account '{}' ({}): the {} grant is not available; use one of {}",
            account.name,
            account.provider,
            account.grant.id(),
            grants.join(", ")
        )));
    }
    let field = |value: &Option<String>| value.as_deref().is_some_and(|v| !v.trim().is_empty());
    let secret = |value: &Option<Secret>| value.as_ref().is_some_and(|v| !v.is_empty());
    let needs = required(account.provider, account.grant);
    // What is needed, whether it is there, and where the command line takes it.
    let checks = [
        (
            needs.client_id,
            field(&account.client_id),
            "a client id",
            "--client-id",
        ),
        (
            needs.client_secret,
            secret(&secrets.client_secret),
            "a client secret",
            "TOKENWALLET_CLIENT_SECRET",
        ),
        (
            needs.refresh_token,
            secret(&secrets.refresh_token),
            "a refresh token",
            "TOKENWALLET_REFRESH_TOKEN",
        ),
        (
            needs.username,
            field(&account.username),
            "a username",
            "--username",
        ),
        (
            needs.password,
            secret(&secrets.password),
            "a password",
            "TOKENWALLET_PASSWORD",
        ),
        (
            needs.customer_id,
            field(&account.customer_id),
            "a customer id",
            "--customer-id",
        ),
    ];
    let missing: Vec<String> = checks
        .iter()
        .filter(|(needed, given, _, _)| *needed && !*given)
        .map(|(_, _, what, option)| match front {
            Front::Cli => format!("{what} ({option})"),
            Front::Window => (*what).to_owned(),
        })
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(WalletError::Invalid(format!(
            "account '{}' ({}, {} grant) needs {}",
            account.name,
            account.provider,
            account.grant.id(),
            missing.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_what_is_missing() {
        let account = Account::new("c", ProviderKind::ArubaCentral, Grant::AuthorizationCode);
        let err = validate(&account, &Secrets::default())
            .unwrap_err()
            .to_string();
        for needle in [
            "--client-id",
            "TOKENWALLET_CLIENT_SECRET",
            "--username",
            "TOKENWALLET_PASSWORD",
            "--customer-id",
        ] {
            assert!(err.contains(needle), "{err}");
        }
        let mut bluexp = Account::new("b", ProviderKind::Bluexp, Grant::RefreshToken);
        assert!(
            validate(&bluexp, &Secrets::default())
                .unwrap_err()
                .to_string()
                .contains("TOKENWALLET_REFRESH_TOKEN")
        );
        let with_rt = Secrets {
            refresh_token: Some(Secret::new("rt")),
            ..Secrets::default()
        };
        assert!(validate(&bluexp, &with_rt).is_ok());
        bluexp.grant = Grant::AuthorizationCode;
        assert!(
            validate(&bluexp, &with_rt)
                .unwrap_err()
                .to_string()
                .contains("not available")
        );
    }

    #[test]
    fn validation_refuses_insecure_urls_and_bad_names() {
        let mut account = Account::new("ok", ProviderKind::Apinizer, Grant::ClientCredentials);
        let secrets = Secrets {
            password: Some(Secret::new("pw")),
            ..Secrets::default()
        };
        account.username = Some("u".into());
        assert!(
            validate(&account, &secrets)
                .unwrap_err()
                .to_string()
                .contains("--url")
        );
        account.url = Some("http://apinizer.example.com".into());
        assert!(
            validate(&account, &secrets)
                .unwrap_err()
                .to_string()
                .contains("loopback")
        );
        account.url = Some("https://apinizer.example.com".into());
        assert!(validate(&account, &secrets).is_ok());
        for bad in ["", "-x", "a/b", "a b", &"x".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
        assert!(validate_name("prod-central.eu_1@acme").is_ok());
    }
}
