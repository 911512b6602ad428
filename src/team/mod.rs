//! The team store: OpenBao or HashiCorp Vault (the same HTTP API) as the place a team keeps
//! one refresh-token chain that several machines share. The wallet stays the one that knows
//! how each provider refreshes; Vault keeps the secrets, replicated and audited, and its
//! check-and-set writes let one machine at a time spend a refresh token.
//!
//! - `mod.rs`: the settings saved by `team connect` (never a Vault token), the credentials
//!   the front reads (as the `vault` and `bao` command lines do), the errors;
//! - `kv.rs`: the KV v2 engine and the token endpoints over HTTP;
//! - `lease.rs`: the refresh lease, one holder at a time across machines.
//!
//! Layout under `MOUNT/data/PATH/`, one secret per concern so policies can split readers
//! from refreshers: `accounts/NAME` (the record, no secret), `access/NAME` (the access
//! token and its expiry), `chain/NAME` (the refresh token and credentials), `locks/NAME`
//! (the refresh lease).

mod kv;
mod lease;

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use kv::{Identity, Kv, Versioned};
pub use lease::{Holder, LEASE_TIME, Lease};

use crate::model::Secret;

/// The file in the data dir that names the team store.
pub const TEAM_FILE: &str = "team.json";

/// Where the team store is: saved by `team connect`. Holds no secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamSettings {
    /// Vault's address (`https://vault.example:8200`, or `http://` to loopback).
    pub address: String,
    /// The KV v2 engine's mount (`secret`).
    pub mount: String,
    /// The wallet's folder in it (`tokenwallet`).
    pub path: String,
}

impl TeamSettings {
    /// The team store the data dir `home` is connected to, if any.
    pub fn load(home: &Path) -> Result<Option<Self>, TeamError> {
        let file = home.join(TEAM_FILE);
        match std::fs::read(&file) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|err| TeamError::BadSettings(format!("{}: {err}", file.display()))),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(TeamError::BadSettings(format!("{}: {err}", file.display()))),
        }
    }

    /// Saves these settings in `home`, atomically.
    pub fn save(&self, home: &Path) -> Result<(), TeamError> {
        let json = serde_json::to_vec_pretty(self)
            .map_err(|err| TeamError::BadSettings(err.to_string()))?;
        std::fs::create_dir_all(home)
            .and_then(|()| {
                crate::store::write_atomic(&home.join(TEAM_FILE), &json)
                    .map_err(std::io::Error::other)
            })
            .map_err(|err| TeamError::BadSettings(format!("{}: {err}", home.display())))
    }
}

/// How the wallet proves itself to Vault, read by the front from the environment as the
/// `vault` and `bao` command lines read it: a token (`VAULT_TOKEN` / `BAO_TOKEN`, else
/// `~/.vault-token`), else AppRole (`VAULT_ROLE_ID` + `VAULT_SECRET_ID`); `VAULT_CACERT`
/// and `VAULT_NAMESPACE` (or their `BAO_` forms).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    /// A Vault token.
    pub token: Option<Secret>,
    /// An AppRole's role id and secret id, for machines.
    pub approle: Option<(Secret, Secret)>,
    /// A PEM file of CA certificates Vault's certificate chains to.
    pub ca_file: Option<String>,
    /// The Vault Enterprise / OpenBao namespace.
    pub namespace: Option<String>,
}

/// What went wrong with the team store: one sentence, naming the path and what to do.
#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    /// No team store is connected.
    #[error("this wallet has no team store: connect one with `tokenwallet team connect ADDRESS`")]
    NotConnected,
    /// The address cannot be used.
    #[error("the team store's address cannot be used: {0}")]
    Address(crate::providers::ProviderError),
    /// No credentials were found.
    #[error(
        "no Vault token: set VAULT_TOKEN (or BAO_TOKEN), log in with `vault login` / `bao login`, or set VAULT_ROLE_ID and VAULT_SECRET_ID for AppRole"
    )]
    NoCredentials,
    /// Vault cannot be reached.
    #[error("the team store at {address} cannot be reached ({detail}); try again when it answers")]
    Unreachable {
        /// Its address.
        address: String,
        /// What failed.
        detail: String,
    },
    /// Vault is sealed.
    #[error(
        "the team store is sealed: an operator must unseal it (`bao operator unseal`); nothing was changed"
    )]
    Sealed,
    /// The token may not do this.
    #[error(
        "the team store refused access to {0}: your Vault policy does not allow it; ask its administrator, nothing was changed"
    )]
    Forbidden(String),
    /// The token is not valid (expired, revoked).
    #[error(
        "the team store does not accept the Vault token (expired or revoked): log in again, nothing was changed"
    )]
    BadToken,
    /// The secret changed since it was read (a check-and-set write lost).
    #[error("{0} changed since it was read: another machine wrote it first")]
    Changed(String),
    /// Nothing is there.
    #[error("{0} does not exist in the team store")]
    Missing(String),
    /// Vault refused in another way.
    #[error("the team store refused {what}: {detail}")]
    Refused {
        /// The path or endpoint.
        what: String,
        /// Vault's words.
        detail: String,
    },
    /// The lease is held by another machine or process.
    #[error("{name} is being refreshed by {holder} (its lease ends in {secs} s); try again then")]
    Held {
        /// The account.
        name: String,
        /// Who holds it.
        holder: String,
        /// Seconds until it ends.
        secs: i64,
    },
    /// The team store already has an account by this name.
    #[error(
        "the team store already has an account by this name ({0}): rename this one, or take the team's with `tokenwallet team sync`; nothing was changed"
    )]
    Taken(String),
    /// Another machine wrote a chain while this machine's newer one waited to be written.
    #[error(
        "another machine wrote {path} while this machine's newest tokens waited to be written there; both chains cannot be kept: this machine's stay here; move the account out of the team store (`tokenwallet move NAME --to local`) and back, or sign in again"
    )]
    Forked {
        /// The chain's path.
        path: String,
    },
    /// The team's access token has expired and this machine may not refresh it.
    #[error(
        "the team's access token ({path}) has expired and no refresher has renewed it ({last}); this machine's policy only reads access tokens: ask a refresher to run `tokenwallet refresh`, or use a Vault token with the refresher policy"
    )]
    Stale {
        /// The access token's path.
        path: String,
        /// Who renewed it last, and when.
        last: String,
    },
    /// The settings file cannot be read or written.
    #[error("the team settings cannot be used: {0}")]
    BadSettings(String),
}

impl TeamError {
    /// The error for an HTTP `status` Vault answered about `what`, with its `errors`.
    fn from_status(status: u16, what: &str, errors: &str) -> Self {
        let what = what.to_owned();
        match status {
            404 => Self::Missing(what),
            403 if errors.contains("permission denied") && what.starts_with("auth/token") => {
                Self::BadToken
            }
            403 => Self::Forbidden(what),
            400 if errors.contains("check-and-set") => Self::Changed(what),
            503 if errors.contains("sealed") => Self::Sealed,
            // A standby node with no active node to forward to answers with a redirect,
            // which the wallet never follows: the cluster is electing a leader.
            300..=399 => Self::Unreachable {
                address: what,
                detail: format!("HTTP {status}: this node has no leader to forward to"),
            },
            500..=599 => Self::Unreachable {
                address: what,
                detail: format!("HTTP {status}: {errors}"),
            },
            _ => Self::Refused {
                what,
                detail: format!("HTTP {status}: {errors}"),
            },
        }
    }

    /// Whether Vault could not be reached (or failed itself): the cached access token may
    /// still be served, and a rotated chain waits in the local rescue.
    pub fn unreachable(&self) -> bool {
        matches!(self, Self::Unreachable { .. } | Self::Stale { .. })
    }
}
