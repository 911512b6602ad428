//! What the fronts (the command line and the window) read from the environment, once, and
//! pass down: the core reads no environment variable for its settings.

use std::time::Duration;

use crate::providers::{DEFAULT_TIMEOUT, parse_timeout};
use crate::store::{SecretStoreKind, StoreError};
use crate::wallet::WalletError;

/// How often the agent looks for another machine's newer access token of a team account.
const TEAM_CHECK: Duration = Duration::from_secs(10);

/// How the wallet is opened and talks to providers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The secret store (`TOKENWALLET_SECRET_STORE`); `None`: the one the wallet already
    /// uses, else the OS keyring when one answers, else the encrypted vault.
    pub store: Option<SecretStoreKind>,
    /// How long a provider may take to answer (`TOKENWALLET_TIMEOUT_SECS`, 30 s).
    pub timeout: Duration,
    /// `token` refreshes when less validity than this remains
    /// (`TOKENWALLET_MIN_VALID_SECS`); `None`: when the token is expiring.
    pub min_valid_secs: Option<i64>,
    /// Ask the running agent first (unset by `TOKENWALLET_NO_AGENT`).
    pub use_agent: bool,
    /// How to log in to the team store, if the wallet is connected to one
    /// ([`team_credentials`]).
    pub team: crate::team::Credentials,
    /// How long a team refresh lease lasts unless extended
    /// (`TOKENWALLET_TEAM_LEASE_SECS`, 120 s): what a machine that died holding one costs
    /// the others.
    pub team_lease: Duration,
    /// How often the agent looks for another machine's newer access token of a team
    /// account (`TOKENWALLET_TEAM_CHECK_SECS`, 10 s).
    pub team_check: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            store: None,
            timeout: DEFAULT_TIMEOUT,
            min_valid_secs: None,
            use_agent: true,
            team: crate::team::Credentials::default(),
            team_lease: crate::team::LEASE_TIME,
            team_check: TEAM_CHECK,
        }
    }
}

impl Config {
    /// The same settings with the secret store `store` (the vault for `unlock`, memory for
    /// work on the records alone).
    #[must_use]
    pub fn using(&self, store: SecretStoreKind) -> Self {
        Self {
            store: Some(store),
            ..self.clone()
        }
    }

    /// The settings from the environment. A value that cannot be used is refused, not
    /// guessed at. `TOKENWALLET_VAULT_WORK_FACTOR` (a test knob) is applied to the process.
    pub fn from_env() -> Result<Self, WalletError> {
        if let Some(factor) = var("TOKENWALLET_VAULT_WORK_FACTOR").and_then(|v| v.parse().ok()) {
            crate::store::set_vault_work_factor(factor);
        }
        let timeout = match var("TOKENWALLET_TIMEOUT_SECS") {
            Some(value) => parse_timeout(&value).map_err(WalletError::HttpSetup)?,
            None => DEFAULT_TIMEOUT,
        };
        Ok(Self {
            store: store_choice()?,
            timeout,
            min_valid_secs: var("TOKENWALLET_MIN_VALID_SECS").and_then(|v| v.trim().parse().ok()),
            use_agent: no_agent().is_none(),
            team: team_credentials(),
            team_lease: var("TOKENWALLET_TEAM_LEASE_SECS")
                .and_then(|v| v.trim().parse().ok())
                .filter(|secs| *secs > 0)
                .map_or(crate::team::LEASE_TIME, Duration::from_secs),
            team_check: var("TOKENWALLET_TEAM_CHECK_SECS")
                .and_then(|v| v.trim().parse().ok())
                .map_or(TEAM_CHECK, Duration::from_secs),
        })
    }
}

/// The secret store named by `TOKENWALLET_SECRET_STORE`, if it is set.
fn store_choice() -> Result<Option<SecretStoreKind>, StoreError> {
    match var("TOKENWALLET_SECRET_STORE") {
        Some(value) => SecretStoreKind::from_id(&value)
            .map(Some)
            .ok_or(StoreError::UnknownStore(value)),
        None => Ok(None),
    }
}

/// `TOKENWALLET_NO_AGENT`, when it is set: never ask the agent. Read on its own by the
/// command line's fast path, which runs before anything else is read.
pub fn no_agent() -> Option<String> {
    var("TOKENWALLET_NO_AGENT")
}

/// A variable that is set and not blank.
fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// The team store's credentials, read as the `vault` and `bao` command lines read them: a
/// token from `VAULT_TOKEN` or `BAO_TOKEN`, else the token helper's file `~/.vault-token`;
/// else AppRole from `VAULT_ROLE_ID` and `VAULT_SECRET_ID` (or `BAO_…`); `VAULT_CACERT`
/// and `VAULT_NAMESPACE` (or `BAO_…`).
pub fn team_credentials() -> crate::team::Credentials {
    use crate::model::Secret;
    let either = |name: &str| var(&format!("VAULT_{name}")).or_else(|| var(&format!("BAO_{name}")));
    let token = either("TOKEN").or_else(|| {
        let file = dirs::home_dir()?.join(".vault-token");
        std::fs::read_to_string(file)
            .ok()
            .map(|token| token.trim().to_owned())
            .filter(|token| !token.is_empty())
    });
    let approle = either("ROLE_ID")
        .zip(either("SECRET_ID"))
        .map(|(role, secret)| (Secret::new(role.trim()), Secret::new(secret.trim())));
    crate::team::Credentials {
        token: token.map(|token| Secret::new(token.trim())),
        approle,
        ca_file: either("CACERT"),
        namespace: either("NAMESPACE"),
    }
}
