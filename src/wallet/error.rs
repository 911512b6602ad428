//! The wallet's errors: structured, so each front words them with its own options, fields
//! and buttons. Their `Display` is a plain sentence that names no front at all.

use chrono::{DateTime, Utc};

use crate::export::ExportFormat;
use crate::import::ImportError;
use crate::model::{Field, Grant, MissingField, ProviderKind};
use crate::providers::{ProviderError, spec};
use crate::store::StoreError;

/// What went wrong, as one plain sentence naming the account and what to do.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// No such account.
    #[error("there is no account named '{0}'")]
    NotFound(String),
    /// The name is taken.
    #[error("an account named '{0}' already exists; pick another name or remove it first")]
    Exists(String),
    /// The name cannot be used.
    #[error(
        "'{0}' is not a usable account name: use 1–64 letters, digits, '-', '_', '.', '@', not starting with '-'"
    )]
    BadName(String),
    /// Required fields are missing.
    #[error("{}", self.with_field_names(&|field| field.noun().to_owned()))]
    Missing {
        /// The account.
        account: String,
        /// Its provider.
        provider: ProviderKind,
        /// Its grant.
        grant: Grant,
        /// What is missing.
        missing: Vec<MissingField>,
    },
    /// The provider does not offer this grant.
    #[error("account '{account}' ({provider}): the {} grant is not available; use one of {}", grant.id(), grant_list(*.provider))]
    GrantUnavailable {
        /// The account.
        account: String,
        /// Its provider.
        provider: ProviderKind,
        /// The grant asked for.
        grant: Grant,
    },
    /// A URL of the account cannot be used.
    #[error("account '{account}' ({provider}): {source}")]
    BadUrl {
        /// The account.
        account: String,
        /// Its provider.
        provider: ProviderKind,
        /// Why.
        source: ProviderError,
    },
    /// A token file could not be read; nothing was stored.
    #[error("account '{account}' ({provider}): {source}; nothing was stored")]
    BadImport {
        /// The account.
        account: String,
        /// Its provider.
        provider: ProviderKind,
        /// Why.
        source: ImportError,
    },
    /// The provider said no or could not be reached. The stored tokens were kept.
    #[error("account '{account}' ({provider}): {source}. {}", advice(.source, *.provider))]
    Provider {
        /// The account.
        account: String,
        /// Its provider.
        provider: ProviderKind,
        /// What the provider did.
        source: ProviderError,
    },
    /// Only a new sign-in helps (the refresh token was refused or expired earlier).
    #[error("account '{account}' ({provider}): it needs a new sign-in{}. {}", last_error.as_deref().map(|e| format!(" (last error: {e})")).unwrap_or_default(), spec(*.provider).sign_in_help)]
    NeedsSignIn {
        /// The account.
        account: String,
        /// Its provider.
        provider: ProviderKind,
        /// The failure that showed it, if recorded.
        last_error: Option<String>,
    },
    /// The tokens were revoked: a new token must be generated or imported.
    #[error(
        "account '{account}' ({provider}): its tokens were revoked; generate or import a new token first"
    )]
    Revoked {
        /// The account.
        account: String,
        /// Its provider.
        provider: ProviderKind,
    },
    /// The provider allows a new token only so often (Aruba Central).
    #[error("account '{account}' ({provider}): {provider} allows a new token for this client id only every {} minutes; the next is allowed at {} UTC. Use refresh instead.", interval_secs / 60, next_at.format("%H:%M"))]
    GenerateLimited {
        /// The account.
        account: String,
        /// Its provider.
        provider: ProviderKind,
        /// The provider's interval.
        interval_secs: i64,
        /// When a new token is allowed again.
        next_at: DateTime<Utc>,
    },
    /// The server asked to wait (429) and the wait is not over.
    #[error("account '{account}' ({provider}): the server asked to wait before the next request (until {} UTC); try again then", until.format("%H:%M:%S"))]
    BackedOff {
        /// The account.
        account: String,
        /// Its provider.
        provider: ProviderKind,
        /// Until when.
        until: DateTime<Utc>,
    },
    /// The account has no token of the kind asked for.
    #[error("account '{account}' ({provider}) has no {what} yet; generate or import one first")]
    NoToken {
        /// The account.
        account: String,
        /// Its provider.
        provider: ProviderKind,
        /// "access token" or "refresh token".
        what: &'static str,
    },
    /// The secret store refused the new tokens; they are kept in a rescue.
    #[error("account '{account}' ({provider}): the new tokens could not be saved ({reason}); {}", if *on_disk { "they are kept in an encrypted rescue file and are saved at the next use" } else { "they are kept in memory only, until this program exits: fix the secret store and use the account again before then" })]
    Rescued {
        /// The account.
        account: String,
        /// Its provider.
        provider: ProviderKind,
        /// Why the store refused.
        reason: String,
        /// Whether a rescue file holds them (else memory only).
        on_disk: bool,
    },
    /// An API call would send the token to a host that is not the provider's, and the user
    /// has not confirmed it for this account.
    #[error(
        "account '{account}' ({provider}): {host} is not a host of this provider; confirm it before the token is sent there"
    )]
    UnconfirmedHost {
        /// The account.
        account: String,
        /// Its provider.
        provider: ProviderKind,
        /// The host asked for.
        host: String,
    },
    /// The account has no API spec yet.
    #[error("account '{0}' has no API spec yet; load one from a file or a URL first")]
    NoApiSpec(String),
    /// A spec could not be read or used.
    #[error("account '{account}': the API spec from {source_name} cannot be used: {reason}")]
    ApiSpec {
        /// The account.
        account: String,
        /// Where it was read from.
        source_name: String,
        /// Why.
        reason: String,
    },
    /// An operation of the spec, or a value given for it, cannot be used.
    #[error("account '{account}': {reason}")]
    BadApiCall {
        /// The account.
        account: String,
        /// What is wrong, and what to do.
        reason: String,
    },
    /// The export format carries only the access token (a header line, a curl command).
    #[error("the {} format carries only the access token", .0.id())]
    AccessOnly(ExportFormat),
    /// The path is already kept fresh for another account.
    #[error("{} is already kept fresh for '{account}'; stop keeping it for '{account}' first", .path.display())]
    KeptElsewhere {
        /// The file.
        path: std::path::PathBuf,
        /// The account keeping it.
        account: String,
    },
    /// The HTTP client could not be set up.
    #[error("could not start the HTTP client: {0}")]
    HttpSetup(ProviderError),
    /// Local storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The team store (OpenBao / Vault) failed.
    #[error(transparent)]
    Team(#[from] crate::team::TeamError),
    /// The team store failed for one account.
    #[error("account '{account}': {source}")]
    TeamAccount {
        /// The account.
        account: String,
        /// What the team store did.
        source: crate::team::TeamError,
    },
}

impl WalletError {
    /// Whether only a new sign-in can fix this.
    pub fn needs_sign_in(&self) -> bool {
        match self {
            Self::Provider { source, .. } => source.needs_sign_in(),
            Self::NeedsSignIn { .. } | Self::Revoked { .. } => true,
            _ => false,
        }
    }

    /// Whether the server could not be reached or failed itself.
    pub fn unreachable(&self) -> bool {
        match self {
            Self::Provider { source, .. } => source.unreachable(),
            Self::Team(err) | Self::TeamAccount { source: err, .. } => err.unreachable(),
            _ => false,
        }
    }

    /// Whether the request itself was wrong (a missing field, a bad URL, name or file).
    pub fn bad_input(&self) -> bool {
        matches!(
            self,
            Self::BadName(_)
                | Self::Missing { .. }
                | Self::GrantUnavailable { .. }
                | Self::BadUrl { .. }
                | Self::BadImport { .. }
                | Self::AccessOnly(_)
                | Self::KeptElsewhere { .. }
                | Self::NoApiSpec(_)
                | Self::UnconfirmedHost { .. }
                | Self::ApiSpec { .. }
                | Self::BadApiCall { .. }
                | Self::HttpSetup(ProviderError::BadTimeout(_))
                | Self::Store(StoreError::UnknownStore(_))
                | Self::Team(
                    crate::team::TeamError::Address(_)
                        | crate::team::TeamError::NotConnected
                        | crate::team::TeamError::NoCredentials
                )
                | Self::TeamAccount {
                    source: crate::team::TeamError::Address(_)
                        | crate::team::TeamError::NotConnected
                        | crate::team::TeamError::NoCredentials,
                    ..
                }
        )
    }

    /// The same error, naming `account` when it is the team store's.
    #[must_use]
    pub fn for_account(self, account: &str) -> Self {
        match self {
            Self::Team(source) => Self::TeamAccount {
                account: account.to_owned(),
                source,
            },
            other => other,
        }
    }

    /// Its kind: what a caller does about it.
    pub fn kind(&self) -> ErrorKind {
        if self.bad_input() {
            ErrorKind::BadInput
        } else if self.needs_sign_in() {
            ErrorKind::NeedsSignIn
        } else if self.unreachable() {
            ErrorKind::Unreachable
        } else {
            ErrorKind::Other
        }
    }
}

/// What kind of failure an error is: the command line's exit code, the agent's reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The request itself was wrong (exit 2).
    BadInput,
    /// Only a new sign-in can fix it (exit 3).
    NeedsSignIn,
    /// The server could not be reached or failed itself (exit 4).
    Unreachable,
    /// Anything else (exit 1).
    Other,
}

impl WalletError {
    /// The message with missing fields named by `name`: each front passes its own words
    /// (an option, a form label). Other errors read as their `Display`.
    pub fn with_field_names(&self, name: &dyn Fn(Field) -> String) -> String {
        let Self::Missing {
            account,
            provider,
            grant,
            missing,
        } = self
        else {
            return self.to_string();
        };
        let words: Vec<String> = missing
            .iter()
            .map(|m| match m.or {
                Some(other) => format!("{} or {}", name(m.field), name(other)),
                None => name(m.field),
            })
            .collect();
        format!(
            "account '{account}' ({provider}, {} grant) needs {}",
            grant.id(),
            words.join(", ")
        )
    }
}

fn grant_list(provider: ProviderKind) -> String {
    let grants: Vec<&str> = spec(provider).grants.iter().map(|g| g.id()).collect();
    grants.join(", ")
}

/// What the user can do about a provider's answer.
fn advice(source: &ProviderError, provider: ProviderKind) -> String {
    const KEPT: &str = "the stored tokens were kept";
    if source.needs_sign_in() {
        return format!(
            "The stored tokens were kept. {}",
            spec(provider).sign_in_help
        );
    }
    match source {
        ProviderError::Unreachable(_) | ProviderError::Timeout(_) => {
            format!("Check the network and the account's URL, then try again; {KEPT}.")
        }
        ProviderError::Server { .. } => {
            format!("The provider is having trouble; try again later; {KEPT}.")
        }
        ProviderError::RateLimited { retry_after_secs } => format!(
            "Wait {} and try again; {KEPT}.",
            retry_after_secs.map_or("a while".to_owned(), |s| format!("{s} s"))
        ),
        ProviderError::BadResponse(_) | ProviderError::TooLarge(_) => "The stored tokens were kept; try again later, and check that the account's URL points at the token API.".to_owned(),
        ProviderError::Rejected { .. } => {
            format!("Check the account's settings; {KEPT}.")
        }
        ProviderError::BadUrl(_)
        | ProviderError::InsecureUrl(_)
        | ProviderError::Missing(_)
        | ProviderError::BadTimeout(_)
        | ProviderError::BadCaFile(_)
        | ProviderError::SignInRequired
        | ProviderError::SignIn(_)
        | ProviderError::Unsupported(_)
        | ProviderError::InvalidGrant { .. } => String::new(),
    }
}
