//! One module per provider, each with one function per flow (generate / refresh / revoke),
//! and the registry that picks a provider by kind.

mod active_iq;
mod apinizer;
mod aruba_central;
mod bluexp;
mod http;
pub mod oauth2;

use chrono::{DateTime, Utc};

pub use http::{Http, Issued, Reply, checked_url, issued_from_json, join};

use crate::model::{Account, Grant, ProviderKind, Secrets};

/// What went wrong talking to a provider. Messages never contain a secret or a URL query.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The configured URL cannot be used.
    #[error("the URL is not valid: {0}")]
    BadUrl(String),
    /// Plain `http://` to a host that is not loopback.
    #[error("plain http:// is only allowed to loopback hosts, and {0} is not one; use https://")]
    InsecureUrl(String),
    /// No connection could be made.
    #[error("the server could not be reached ({0})")]
    Unreachable(String),
    /// The server did not answer in time.
    #[error("the server did not answer within {0} s")]
    Timeout(u64),
    /// The server failed (5xx).
    #[error("the server failed with HTTP {status}: {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The server's own words.
        message: String,
    },
    /// The refresh token, code or credentials grant was refused (`invalid_grant`).
    #[error(
        "the server no longer accepts the refresh token or grant (HTTP {status} invalid_grant: {message})"
    )]
    InvalidGrant {
        /// HTTP status.
        status: u16,
        /// The server's own words.
        message: String,
    },
    /// The server refused the request for another reason.
    #[error("the server refused the request with HTTP {status}{}: {message}", code.as_deref().map(|c| format!(" {c}")).unwrap_or_default())]
    Rejected {
        /// HTTP status.
        status: u16,
        /// OAuth error code, when the server sent one.
        code: Option<String>,
        /// The server's own words.
        message: String,
    },
    /// 429 Too Many Requests.
    #[error("the server is rate limiting requests{}", retry_after_secs.map(|s| format!(" (retry after {s} s)")).unwrap_or_default())]
    RateLimited {
        /// Seconds to wait, from `Retry-After`.
        retry_after_secs: Option<u64>,
    },
    /// A 2xx answer that is not a usable token response.
    #[error("the server's answer could not be used: {0}")]
    BadResponse(String),
    /// The account lacks something this flow needs, or the provider cannot do it.
    #[error("{0}")]
    Unsupported(String),
}

impl ProviderError {
    /// Whether only the user can fix this by signing in again (exit code 3).
    pub fn needs_sign_in(&self) -> bool {
        match self {
            Self::InvalidGrant { .. } => true,
            Self::Rejected { status, code, .. } => {
                matches!(
                    code.as_deref(),
                    Some(
                        "invalid_token"
                            | "access_denied"
                            | "invalid_client"
                            | "unauthorized_client"
                    )
                ) || (*status == 401 && code.is_none())
            }
            _ => false,
        }
    }

    /// Whether the server could not be reached or failed itself (exit code 4).
    pub fn unreachable(&self) -> bool {
        matches!(
            self,
            Self::Unreachable(_) | Self::Timeout(_) | Self::Server { .. }
        )
    }
}

/// Whether a provider has an API to revoke tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevokeSupport {
    /// Revoked through the provider's API.
    Api,
    /// No public API: the wallet discards its copy and the user revokes in the portal,
    /// as this text says.
    PortalOnly(&'static str),
}

/// What the wallet and the UI need to know about a provider.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// The vendor's public base URL, if there is one.
    pub default_url: Option<&'static str>,
    /// Other well-known base URLs to offer (regional gateways, alternate endpoints).
    pub presets: &'static [(&'static str, &'static str)],
    /// Grants this provider supports; the first is the default.
    pub grants: &'static [Grant],
    /// How tokens are revoked.
    pub revoke: RevokeSupport,
    /// What the user does to get a first token, or a new one after the refresh token died.
    /// Shown by both fronts, so it names portal steps, not command-line options.
    pub sign_in_help: &'static str,
    /// The header that carries the token on API calls.
    pub header_name: &'static str,
    /// Whether the header value is prefixed by `Bearer `.
    pub bearer: bool,
    /// A base URL for API calls, used in the curl export.
    pub api_example: &'static str,
}

/// The provider's facts.
pub fn spec(kind: ProviderKind) -> &'static Spec {
    match kind {
        ProviderKind::ActiveIq => &active_iq::SPEC,
        ProviderKind::Bluexp => &bluexp::SPEC,
        ProviderKind::Apinizer => &apinizer::SPEC,
        ProviderKind::ArubaCentral => &aruba_central::SPEC,
        ProviderKind::Oauth2 => &oauth2::SPEC,
    }
}

/// Everything one flow needs: the HTTP client, the account and its secrets, and the time.
#[derive(Clone, Copy)]
pub struct Call<'a> {
    /// The HTTP client (timeouts, no redirects).
    pub http: &'a Http,
    /// The account's metadata.
    pub account: &'a Account,
    /// The account's secrets, read just for this call.
    pub secrets: &'a Secrets,
    /// The time to count lifetimes from.
    pub now: DateTime<Utc>,
}

impl Call<'_> {
    /// The account's base URL, or the provider's default.
    pub fn base_url(&self) -> Result<&str, ProviderError> {
        self.account
            .url
            .as_deref()
            .or(spec(self.account.provider).default_url)
            .ok_or_else(|| {
                ProviderError::Unsupported(format!("{} needs a URL (--url)", self.account.provider))
            })
    }

    /// A required secret, or an error naming it.
    pub fn secret<'s>(
        &self,
        value: Option<&'s crate::model::Secret>,
        what: &str,
    ) -> Result<&'s str, ProviderError> {
        value
            .map(crate::model::Secret::expose)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ProviderError::Unsupported(format!("no {what} is stored for this account"))
            })
    }

    /// A required metadata field, or an error naming its CLI option.
    pub fn field<'s>(
        &self,
        value: Option<&'s String>,
        option: &str,
    ) -> Result<&'s str, ProviderError> {
        value
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ProviderError::Unsupported(format!(
                    "this account has no {option}; add it again with {option}"
                ))
            })
    }
}

/// Obtains a brand new token set with the account's grant.
pub async fn generate(call: Call<'_>) -> Result<Issued, ProviderError> {
    match call.account.provider {
        ProviderKind::ActiveIq => active_iq::generate(call).await,
        ProviderKind::Bluexp => bluexp::generate(call).await,
        ProviderKind::Apinizer => apinizer::generate(call).await,
        ProviderKind::ArubaCentral => aruba_central::generate(call).await,
        ProviderKind::Oauth2 => oauth2::generate(call).await,
    }
}

/// Renews the access token (with the refresh token where the provider has one).
pub async fn refresh(call: Call<'_>) -> Result<Issued, ProviderError> {
    match call.account.provider {
        ProviderKind::ActiveIq => active_iq::refresh(call).await,
        ProviderKind::Bluexp => bluexp::refresh(call).await,
        ProviderKind::Apinizer => apinizer::refresh(call).await,
        ProviderKind::ArubaCentral => aruba_central::refresh(call).await,
        ProviderKind::Oauth2 => oauth2::refresh(call).await,
    }
}

/// What a revoke achieved at the provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revoked {
    /// The provider's API revoked the tokens.
    AtServer,
    /// There is no API for it: the user must revoke in the portal, as the text says.
    PortalOnly(&'static str),
}

/// Revokes the account's tokens at the provider, where it has an API for that.
pub async fn revoke(call: Call<'_>) -> Result<Revoked, ProviderError> {
    match call.account.provider {
        ProviderKind::Bluexp => bluexp::revoke(call).await,
        ProviderKind::Oauth2 => oauth2::revoke(call).await,
        kind => match spec(kind).revoke {
            RevokeSupport::PortalOnly(how) => Ok(Revoked::PortalOnly(how)),
            RevokeSupport::Api => Ok(Revoked::AtServer),
        },
    }
}
