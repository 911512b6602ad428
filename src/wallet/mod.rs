//! The service both fronts call: add, import, generate, refresh, revoke, token, export and
//! the *Try it* call. Its parts:
//! - [`rotation`]: the rotation rules and the refresh lock;
//! - [`validation`]: checks made before any request;
//! - [`error`]: structured errors, worded by each front;
//! - [`fields`]: user input to a new account;
//! - [`deliver`]: export of tokens and the API catalog hand-off;
//! - [`api`]: API calls with an account's token, and its OpenAPI spec;
//! - [`storing`]: what a provider issued, stored (secrets first), and failures noted;
//! - [`kept`]: files kept fresh after every refresh;
//! - [`team`]: team accounts, shared through the team store (OpenBao / Vault).

mod api;
mod deliver;
mod error;
mod fields;
mod kept;
mod rotation;
mod storing;
mod team;
#[cfg(test)]
mod tests;
mod validation;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Which store holds the secrets, and what goes wrong there: the fronts name them.
pub use crate::store::{SecretStoreKind, StoreError};
pub use api::{ApiCall, ApiReply, ApiResponse, PreparedCall};
pub use deliver::{CatalogHandoff, ExportRequest};
pub use error::{ErrorKind, WalletError};
pub use fields::AccountFields;
pub use kept::{KeptStatus, last_written};
pub use rotation::{DEFAULT_JOBS, PER_HOST, requests_in_flight, wait_for_requests_in_flight};
pub use team::TeamLink;
pub use validation::{validate, validate_endpoints, validate_name};

use crate::config::Config;
use crate::import::{self, Imported};
use crate::model::{Account, Secret, Secrets, TokenMeta, decode_jwt};
use crate::providers::{self, Http};
use crate::store::{
    AccountsFile, SecretStore, VaultStore, ensure_home, file_stem, lock_async, open_secret_store,
    store_kind,
};

/// How long a caller waits for another process's refresh of the same account.
const REFRESH_LOCK_TIMEOUT: Duration = Duration::from_mins(2);

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
    pub warning: Option<WalletError>,
}

/// The wallet: accounts file, secret store, HTTP client and clock.
pub struct Wallet {
    home: PathBuf,
    accounts: AccountsFile,
    secrets: Arc<dyn SecretStore>,
    http: Http,
    clock: Arc<dyn Clock>,
    /// Token sets the store refused to save, by account: the only copy of a rotated
    /// refresh token until a save succeeds (also in a rescue file where the store can).
    rescued: Mutex<HashMap<String, Secrets>>,
    /// The access tokens `token` last handed out, by account, with the metadata they went
    /// with (`None`: no cache, the default). The agent keeps one: a keyring read costs
    /// milliseconds, a metadata read microseconds, and any stored change to the account's
    /// tokens changes its metadata.
    access_cache: Option<Mutex<HashMap<String, (TokenStamp, Secret)>>>,
    /// `token` refreshes when less validity than this remains; `None`: when expiring.
    min_valid_secs: Option<i64>,
    /// The team store this wallet is connected to, if any.
    team: Option<Arc<TeamLink>>,
}

/// What identifies an account's current token set in its metadata.
type TokenStamp = (u64, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

fn stamp(account: &Account) -> TokenStamp {
    let tokens = &account.tokens;
    (
        tokens.generation,
        tokens.issued_at,
        tokens.access_expires_at,
    )
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
            rescued: Mutex::new(HashMap::new()),
            access_cache: None,
            min_valid_secs: None,
            team: None,
        })
    }

    /// Keeps the access tokens `token` hands out in memory, checked against the account's
    /// metadata at every call (for the long-lived agent).
    #[must_use]
    pub fn with_access_cache(mut self) -> Self {
        self.access_cache = Some(Mutex::new(HashMap::new()));
        self
    }

    /// The cached access token of `account`, if it is the one its metadata describes.
    fn cached_access(&self, account: &Account) -> Option<Secret> {
        let cache = self.access_cache.as_ref()?;
        let cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
        let (seen, token) = cache.get(&account.name)?;
        (*seen == stamp(account)).then(|| token.clone())
    }

    fn cache_access(&self, account: &Account, token: &Secret) {
        if let Some(cache) = &self.access_cache {
            cache
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(account.name.clone(), (stamp(account), token.clone()));
        }
    }

    /// Opens the wallet in `home` as `config` says: with its secret store, else the one the
    /// wallet already uses, else the OS keyring when reachable, else the encrypted vault;
    /// tied to the team store `team connect` named, if any.
    /// `passphrase` is asked for only if the vault is used; its argument says whether the
    /// vault is new (so the front can ask twice).
    pub fn open(
        home: &Path,
        config: &Config,
        passphrase: &dyn Fn(bool) -> Result<Secret, StoreError>,
    ) -> Result<Self, WalletError> {
        let store = open_secret_store(home, config.store, passphrase)?;
        let http = Http::new(config.timeout).map_err(WalletError::HttpSetup)?;
        let team = crate::team::TeamSettings::load(home)?.map(|settings| {
            let credentials = config.team.clone();
            let times = (config.team_lease, config.team_check);
            TeamLink::new(home, settings, credentials, http.clone(), times)
        });
        let mut wallet = Self::new(home, store, http, Arc::new(SystemClock))?;
        wallet.min_valid_secs = config.min_valid_secs;
        wallet.team = team.map(Arc::new);
        Ok(wallet)
    }

    /// `token` refreshes when less than `secs` of validity remain (else when expiring).
    #[must_use]
    pub fn with_min_valid_secs(mut self, secs: Option<i64>) -> Self {
        self.min_valid_secs = secs;
        self
    }

    /// Creates the data dir `home` if it is missing and says which secret store its wallet
    /// uses: `choice`, else the one it already uses, else the OS keyring when one answers,
    /// else the encrypted vault.
    pub fn store_in(
        home: &Path,
        choice: Option<SecretStoreKind>,
    ) -> Result<SecretStoreKind, WalletError> {
        ensure_home(home)?;
        Ok(store_kind(home, choice)?)
    }

    /// Whether `home` holds an encrypted vault (opening one that does not creates it).
    pub fn has_vault(home: &Path) -> bool {
        VaultStore::exists(home)
    }

    /// The data dir.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// Which secret store is in use.
    pub fn secret_store_kind(&self) -> SecretStoreKind {
        self.secrets.kind()
    }

    /// Whether the secrets are in the vault, whose key a lock forgets (the keyring and
    /// memory have none).
    pub fn is_vault(&self) -> bool {
        self.secret_store_kind() == SecretStoreKind::File
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
            .get(name)?
            .ok_or_else(|| WalletError::NotFound(name.to_owned()))
    }

    /// Adds an account after checking it has what its provider and grant need. Only a
    /// provider that completes accounts (OAuth discovery) talks to the network.
    pub async fn add(&self, new: NewAccount) -> Result<Account, WalletError> {
        let NewAccount {
            mut account,
            secrets,
        } = new;
        validate(&account, &secrets)?;
        if self.accounts.get(&account.name)?.is_some() {
            return Err(WalletError::Exists(account.name));
        }
        let http = self.http_for(&account)?.into_owned();
        providers::complete(&http, &mut account)
            .await
            .map_err(|source| rotation::provider_error(&account, source))?;
        validate(&account, &secrets)?;
        account.tokens = TokenMeta {
            has_refresh_token: secrets.refresh_token.is_some(),
            refresh_expires_at: secrets
                .refresh_token
                .as_ref()
                .and_then(|rt| decode_jwt(rt.expose())?.expires_at()),
            ..TokenMeta::default()
        };
        // Under the accounts lock: a racing `add` of the same name cannot overwrite these.
        let added = self.accounts.insert(&account, || {
            self.secrets.save(&account.name, &secrets)?;
            Ok::<_, WalletError>(())
        })?;
        if !added {
            return Err(WalletError::Exists(account.name));
        }
        self.record_store()?;
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
        let Imported {
            issued,
            expires_at: file_expiry,
        } = import::parse(file, self.now()).map_err(|source| WalletError::BadImport {
            account: account.name.clone(),
            provider: account.provider,
            source,
        })?;
        // Held until the imported tokens are stored: a refresh racing in another process
        // must neither overwrite them nor have its rotated refresh token overwritten.
        let _lock = lock_async(&self.lock_path(&account.name), REFRESH_LOCK_TIMEOUT).await?;
        let existing = self.accounts.get(&account.name)?;
        let (account, mut secrets) = match existing {
            Some(old) if old.provider != account.provider => {
                return Err(WalletError::Exists(account.name));
            }
            Some(old) => {
                let secrets = self.load_secrets(&old.name)?;
                (old, secrets)
            }
            None => {
                validate_endpoints(&account)?;
                self.http_for(&account)?;
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
        self.record_store()?;
        self.accounts
            .insert(&account, || Ok::<_, WalletError>(()))?;
        self.store_issued(
            &account,
            None,
            secrets,
            issued,
            expires_at.or(file_expiry),
            true,
        )
        .map(|renewed| renewed.account)
    }

    /// Deletes the account and its secrets. Waits for a refresh in flight, which would
    /// otherwise write the secrets back after they were deleted. The lock file stays: a
    /// process waiting on it must lock the same file as the next one.
    /// Returns the account as it was: its kept files are forgotten, left on disk.
    pub async fn remove(&self, name: &str) -> Result<Account, WalletError> {
        let _lock = self.refresh_lock(name).await?;
        let account = self.account(name)?;
        self.secrets.delete(name)?;
        self.accounts.remove(name)?;
        std::fs::remove_file(self.spec_path(name)).ok();
        Ok(account)
    }

    /// Turns background refresh on or off for the account.
    pub fn set_auto_refresh(&self, name: &str, on: bool) -> Result<Account, WalletError> {
        self.update_account(name, |account| account.auto_refresh = on)
    }

    /// The account and its secrets, read only when asked.
    pub fn secrets(&self, name: &str) -> Result<(Account, Secrets), WalletError> {
        let account = self.account(name)?;
        let secrets = self.load_secrets(name)?;
        Ok((account, secrets))
    }

    /// The HTTP client for the account: the wallet's, or one that also trusts the account's
    /// extra CA file.
    fn http_for(&self, account: &Account) -> Result<std::borrow::Cow<'_, Http>, WalletError> {
        match &account.ca_file {
            None => Ok(std::borrow::Cow::Borrowed(&self.http)),
            Some(path) => self
                .http
                .with_ca_file(path)
                .map(std::borrow::Cow::Owned)
                .map_err(|source| WalletError::BadUrl {
                    account: account.name.clone(),
                    provider: account.provider,
                    source,
                }),
        }
    }

    /// The account's secrets. A rescued set (newer than the store's entry: this process's
    /// in memory, else a rescue file) comes first, and is stored properly now if the store
    /// takes it.
    fn load_secrets(&self, name: &str) -> Result<Secrets, WalletError> {
        let in_memory = self.rescued_sets().get(name).cloned();
        if let Some(set) = in_memory
            && let Some(secrets) = self.use_rescue(name, set, RescueFrom::Memory)
        {
            return Ok(secrets);
        }
        let on_disk = self.secrets.load_rescue(name).unwrap_or_else(|err| {
            tracing::warn!(account = name, error = %err, "a rescue file could not be read");
            None
        });
        if let Some(set) = on_disk
            && let Some(secrets) = self.use_rescue(name, set, RescueFrom::File)
        {
            return Ok(secrets);
        }
        Ok(self.secrets.load(name)?.unwrap_or_default())
    }

    /// A rescued set, stored now if the store takes it; `None` when it is stale. A rescue
    /// names the refresh token the store held when it was made: if the store holds another
    /// now, someone stored a newer set since (another process used the rescue file, or an
    /// import), and writing this one back would undo theirs: it is forgotten (from where
    /// it came only). A store that cannot be read leaves the rescue in use.
    fn use_rescue(&self, name: &str, mut set: Secrets, from: RescueFrom) -> Option<Secrets> {
        let replaced = set.extra.0.remove(RESCUE_REPLACES);
        if let Some(replaced) = replaced.as_ref().and_then(serde_json::Value::as_str) {
            match self.secrets.load(name) {
                Ok(current) => {
                    let current = current.unwrap_or_default();
                    if fingerprint(current.refresh_token.as_ref()) != replaced {
                        tracing::warn!(
                            account = name,
                            "a rescued token set is older than the stored one, which is used"
                        );
                        match from {
                            RescueFrom::Memory => drop(self.rescued_sets().remove(name)),
                            RescueFrom::File => {
                                if let Err(err) = self.secrets.clear_rescue(name) {
                                    tracing::warn!(account = name, error = %err, "a stale rescue file stays behind");
                                }
                            }
                        }
                        return None;
                    }
                }
                Err(err) => {
                    tracing::warn!(account = name, error = %err, "the store cannot be read; the rescued tokens are used");
                    return Some(set);
                }
            }
        }
        match self.secrets.save(name, &set) {
            Ok(()) => self.rescue_saved(name),
            Err(err) => {
                let message = "the rescued tokens still cannot be saved";
                tracing::warn!(account = name, error = %err, "{message}");
            }
        }
        Some(set)
    }

    /// What a new rescue of the account replaces: the set an earlier rescue still waiting
    /// to be stored replaced (the store holds that one still), else `spent`, the refresh
    /// token this refresh used.
    fn rescue_replaces(&self, name: &str, spent: String) -> String {
        let marker = |set: &Secrets| {
            set.extra
                .0
                .get(RESCUE_REPLACES)
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        let earlier = self.rescued_sets().get(name).and_then(marker);
        earlier
            .or_else(|| {
                let on_disk = self.secrets.load_rescue(name).ok().flatten();
                on_disk.as_ref().and_then(marker)
            })
            .unwrap_or(spent)
    }

    /// The account's access token, read alone where the store can (a rescued set, newer
    /// than the store's entry, is read whole).
    fn load_access_token(&self, name: &str) -> Result<Option<Secret>, WalletError> {
        let rescued = self.rescued_sets().contains_key(name)
            || self.secrets.load_rescue(name).ok().flatten().is_some();
        if rescued {
            return Ok(self.load_secrets(name)?.access_token);
        }
        Ok(self.secrets.load_access_token(name)?)
    }

    fn rescued_sets(&self) -> std::sync::MutexGuard<'_, HashMap<String, Secrets>> {
        self.rescued.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The store holds the account's newest set: the rescue is no longer needed. Whether
    /// this process held one.
    fn forget_rescue(&self, name: &str) -> bool {
        let had = self.rescued_sets().remove(name).is_some();
        if let Err(err) = self.secrets.clear_rescue(name) {
            tracing::warn!(account = name, error = %err, "a rescue file stays behind");
        }
        had
    }

    /// [`Self::forget_rescue`], and the account's "rescued" note cleared.
    fn rescue_saved(&self, name: &str) {
        let had = self.forget_rescue(name);
        let noted = self
            .account(name)
            .is_ok_and(|account| account.tokens.rescued);
        if had || noted {
            self.update_account(name, |account| {
                if account.tokens.rescued {
                    account.tokens.rescued = false;
                    account.tokens.last_error = None;
                }
            })
            .ok();
        }
    }

    /// Records which store holds the secrets, the first time. `memory` is never recorded: it
    /// keeps nothing, so a later run must not be led to it.
    fn record_store(&self) -> Result<(), StoreError> {
        match self.secrets.kind() {
            SecretStoreKind::Memory => Ok(()),
            kind => self.accounts.record_secret_store(kind),
        }
    }

    fn update_account(
        &self,
        name: &str,
        change: impl FnOnce(&mut Account),
    ) -> Result<Account, WalletError> {
        self.accounts
            .update(name, |account| {
                change(account);
                Ok::<_, WalletError>(account.clone())
            })?
            .ok_or_else(|| WalletError::NotFound(name.to_owned()))
    }

    fn lock_path(&self, name: &str) -> PathBuf {
        self.home
            .join("locks")
            .join(format!("account-{}.lock", file_stem(name)))
    }

    /// How many account records this wallet has read and written (the tests count them).
    pub fn record_io(&self) -> (u64, u64) {
        self.accounts.record_io()
    }

    async fn refresh_lock(&self, name: &str) -> Result<crate::store::FileLock, WalletError> {
        self.account(name)?;
        Ok(lock_async(&self.lock_path(name), REFRESH_LOCK_TIMEOUT).await?)
    }
}

/// Where a rescued set was found.
#[derive(Clone, Copy)]
enum RescueFrom {
    /// This process kept it.
    Memory,
    /// A rescue file.
    File,
}

/// The field of a rescued set naming (by [`fingerprint`]) the refresh token it replaced;
/// taken off before the set is stored.
const RESCUE_REPLACES: &str = "rescue_replaces";

/// A short, one-way name for a refresh token (or its absence), to tell whether the store
/// still holds the one a rescue replaced without keeping the token itself.
fn fingerprint(token: Option<&Secret>) -> String {
    use sha2::{Digest as _, Sha256};
    token.map_or_else(
        || "none".to_owned(),
        |token| crate::store::hex(&Sha256::digest(token.expose().as_bytes())[..16]),
    )
}
