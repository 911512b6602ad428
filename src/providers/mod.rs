//! One module per provider, each with one function per flow (generate / refresh / revoke)
//! and one [`Spec`] holding every fact about it, its name and badge included; the registry
//! ([`ALL`]) lists them, and an account's [`ProviderKind`] is a handle on its entry.
//! Nothing outside this folder decides behaviour by provider kind: it asks the spec.

mod http;
mod kind;
pub mod signin;
mod token_endpoint;

/// The registry: one line per provider module, each with a `pub static SPEC: Spec`. The
/// order is the order the window and the help list them in.
macro_rules! registry {
    ($($provider:ident),+ $(,)?) => {
        $(mod $provider;)+
        /// Every provider, in the order the window and the help list them.
        pub static ALL: &[&Spec] = &[$(&$provider::SPEC),+];
    };
}

registry! {
    active_iq,
    bluexp,
    apinizer,
    aruba_central,
    oauth2,
}

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};

pub use http::{
    DEFAULT_TIMEOUT, Http, Issued, MAX_BODY_BYTES, Reply, checked_url, issued_from_json, join,
    parse_timeout,
};
pub use kind::ProviderKind;

use crate::model::{Account, Field, FieldRule, Grant, Lifetimes, Need, Secret, Secrets};

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
    /// An answer over the size the caller reads, in MiB.
    #[error("the server's answer could not be used: the answer is larger than {0} MiB")]
    TooLarge(usize),
    /// The account's CA file cannot be used.
    #[error("the CA file {0}")]
    BadCaFile(String),
    /// The configured request timeout is not a usable number of seconds.
    #[error("the request timeout must be a number of seconds from 0.1 to 3600, not '{0}'")]
    BadTimeout(String),
    /// The grant needs a person at a browser or another device, and none is here (a
    /// background refresh): only signing in again helps.
    #[error("the account signs in through the browser or another device; sign in again")]
    SignInRequired,
    /// A sign-in could not be finished (cancelled, timed out, the port is in use).
    #[error("{0}")]
    SignIn(String),
    /// The account lacks something this flow needs.
    #[error("the account lacks {0}; add it to the account")]
    Missing(Field),
    /// The provider cannot do this by API, as the text says.
    #[error("{0}")]
    Unsupported(String),
}

impl ProviderError {
    /// Whether only the user can fix this by signing in again (exit code 3).
    pub fn needs_sign_in(&self) -> bool {
        match self {
            Self::InvalidGrant { .. } | Self::SignInRequired => true,
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

    /// The same error with each of `secrets` (and its URL-encoded forms) replaced by
    /// `[redacted]` wherever the server's words quote it, then cut to [`SHOWN_CHARS`]. The
    /// cut comes after the redaction, so a secret that straddles it is matched whole; and a
    /// start of a secret left at the cut is redacted too.
    #[must_use]
    pub fn redacted<'s>(self, secrets: impl Iterator<Item = &'s str>) -> Self {
        let mut forms = Vec::new();
        for secret in secrets.filter(|s| s.len() >= MIN_REDACTED) {
            let encoded =
                url::form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>();
            forms.extend([secret.to_owned(), encoded.replace('+', "%20"), encoded]);
        }
        let clean = |text: String| redact_then_cut(text, &forms);
        match self {
            Self::Server { status, message } => Self::Server {
                status,
                message: clean(message),
            },
            Self::InvalidGrant { status, message } => Self::InvalidGrant {
                status,
                message: clean(message),
            },
            Self::Rejected {
                status,
                code,
                message,
            } => Self::Rejected {
                status,
                code: code.map(clean),
                message: clean(message),
            },
            Self::BadResponse(message) => Self::BadResponse(clean(message)),
            Self::Unreachable(message) => Self::Unreachable(clean(message)),
            Self::Unsupported(message) => Self::Unsupported(clean(message)),
            other => other,
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

/// How much of a server's words an error shows.
pub const SHOWN_CHARS: usize = 200;

/// Secrets shorter than this are not looked for (they would match ordinary words).
const MIN_REDACTED: usize = 4;

/// Replaces every form of a secret in `text`, then cuts it to [`SHOWN_CHARS`] (an ellipsis
/// included); a tail of the cut text that starts one of the forms is redacted as well.
/// Running it again changes nothing.
fn redact_then_cut(mut text: String, forms: &[String]) -> String {
    const MARK: &str = "[redacted]";
    for form in forms {
        text = text.replace(form.as_str(), MARK);
    }
    if text.chars().count() <= SHOWN_CHARS {
        return text;
    }
    let room = SHOWN_CHARS - 1;
    if let Some((cut, _)) = text.char_indices().nth(room) {
        text.truncate(cut);
    }
    let tail = forms
        .iter()
        .filter_map(|form| {
            (MIN_REDACTED..form.len().min(text.len() + 1))
                .rev()
                .find(|&k| form.is_char_boundary(k) && text.ends_with(&form[..k]))
        })
        .max();
    if let Some(k) = tail {
        text.truncate(text.len() - k);
        while text.chars().count() + MARK.len() > room {
            text.pop();
        }
        text.push_str(MARK);
    }
    text.push('…');
    text
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

/// A boxed flow future: what every provider's generate, refresh and revoke return.
pub type Flow<'a, T> = Pin<Box<dyn Future<Output = Result<T, ProviderError>> + Send + 'a>>;

/// The flows a provider implements, as plain function pointers.
#[derive(Clone, Copy)]
pub struct Flows {
    /// Obtains a brand new token set with the account's grant.
    pub generate: for<'a> fn(Call<'a>) -> Flow<'a, Issued>,
    /// Renews the access token (with the refresh token where the provider has one).
    pub refresh: for<'a> fn(Call<'a>) -> Flow<'a, Issued>,
    /// Revokes at the provider; `None` when [`Spec::revoke`] says the portal does it.
    pub revoke: Option<for<'a> fn(Call<'a>) -> Flow<'a, Revoked>>,
    /// Completes a new account before it is stored (endpoint discovery); `None`: nothing to do.
    pub complete: Option<for<'a> fn(&'a Http, &'a mut Account) -> Flow<'a, ()>>,
}

impl std::fmt::Debug for Flows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flows").finish_non_exhaustive()
    }
}

/// The [`Flows`] of a provider module with `generate` and `refresh` functions; `revoke` and
/// `complete` are given as their module's functions, or `None`.
macro_rules! flows {
    (revoke: $revoke:expr, complete: $complete:expr) => {
        $crate::providers::Flows {
            generate: |call| Box::pin(generate(call)),
            refresh: |call| Box::pin(refresh(call)),
            revoke: $revoke,
            complete: $complete,
        }
    };
}
pub(crate) use flows;

/// Short names for the field tables of the provider files.
pub(crate) const R: Need = Need::Required;
/// See [`R`].
pub(crate) const O: Need = Need::Optional;

/// A provider's API catalog: the page where its APIs are tried out with a pasted token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Catalog {
    /// None known: the wallet's own *Try it* serves instead.
    None,
    /// At a fixed address; the Authorize dialog takes the raw token under this name.
    At(&'static str, &'static str),
    /// Under the account's base URL at this path (a gateway's Swagger UI); the Authorize
    /// dialog takes the raw token under this name.
    UnderAccountUrl(&'static str, &'static str),
}

impl Spec {
    /// The catalog's address for `account` (its own address first), and the name its
    /// Authorize dialog gives the token; `None` when the provider has none.
    pub fn catalog_for(&self, account: &Account) -> Option<(String, &'static str)> {
        let name = match self.catalog {
            Catalog::At(_, name) | Catalog::UnderAccountUrl(_, name) => name,
            Catalog::None => self.header_name,
        };
        if let Some(url) = &account.catalog_url {
            return Some((url.clone(), name));
        }
        match self.catalog {
            Catalog::None => None,
            Catalog::At(url, _) => Some((url.to_owned(), name)),
            Catalog::UnderAccountUrl(path, _) => {
                let base = account.url.as_deref().or(self.default_url)?;
                Some((format!("{}{path}", base.trim_end_matches('/')), name))
            }
        }
    }
}

/// What the account's URL is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlMeaning {
    /// The provider's base URL; paths are appended.
    BaseUrl,
    /// The token endpoint itself.
    TokenEndpoint,
}

/// A limit on how often a brand new token may be had (Aruba Central: one per 30 minutes per
/// client id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenerateLimit {
    /// The grant the limit applies to.
    pub grant: Grant,
    /// The least time between two new tokens of accounts sharing a client id.
    pub interval_secs: i64,
}

/// Every fact about a provider: the wallet, both fronts, export and help read it here.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// The id on disk and on the command line (`active-iq`); never changes once released.
    pub id: &'static str,
    /// The name people know the product by ("Active IQ"), on badges and in messages.
    pub label: &'static str,
    /// The full name, for sentences that list the providers ("NetApp Active IQ").
    pub long_label: &'static str,
    /// The badge's colour: a place in the window's palette of provider colours.
    pub palette: usize,
    /// The vendor's public base URL, if there is one.
    pub default_url: Option<&'static str>,
    /// What the URL field holds.
    pub url_meaning: UrlMeaning,
    /// Other well-known base URLs to offer (regional gateways, alternate endpoints).
    pub presets: &'static [(&'static str, &'static str)],
    /// Grants this provider supports; the first is the default.
    pub grants: &'static [Grant],
    /// The fields an account of this provider takes with a grant, and which it requires.
    pub fields: fn(Grant) -> &'static [FieldRule],
    /// The fields a portal download needs beside it to be refreshed later.
    pub import_fields: &'static [Field],
    /// Grants that sign a person in (browser or device): the window calls them *Sign in*.
    pub person_grants: &'static [Grant],
    /// Lifetimes assumed when neither the server nor the token says.
    pub lifetimes: Lifetimes,
    /// How often a new token may be had, if the provider limits it.
    pub generate_limit: Option<GenerateLimit>,
    /// How tokens are revoked.
    pub revoke: RevokeSupport,
    /// What the user does to get a first token, or a new one after the refresh token died.
    /// Shown by both fronts, so it names portal steps, not command-line options.
    pub sign_in_help: &'static str,
    /// The header that carries the token on API calls.
    pub header_name: &'static str,
    /// Whether the header value is prefixed by `Bearer `.
    pub bearer: bool,
    /// A base URL for API calls, used in the curl export when the account's URL is not one.
    pub api_example: &'static str,
    /// Whether the account's URL is also the API's base (the curl export uses it).
    pub api_at_account_url: bool,
    /// Where the provider's API catalog is (its *Try it out* pages), and what its Authorize
    /// dialog takes.
    pub catalog: Catalog,
    /// The flows.
    pub flows: Flows,
}

impl Spec {
    /// The rules for `grant`, with every field this provider does not take left out.
    pub fn rules(&self, grant: Grant) -> &'static [FieldRule] {
        (self.fields)(grant)
    }

    /// Whether `field` is required (or required unless another is given) with `grant`.
    pub fn requires(&self, grant: Grant, field: Field) -> bool {
        self.rules(grant)
            .iter()
            .any(|&(f, need)| f == field && need != Need::Optional)
    }

    /// Whether `field` is taken at all with `grant` (a URL and a CA file always are).
    pub fn takes(&self, grant: Grant, field: Field) -> bool {
        matches!(field, Field::Url | Field::CaFile | Field::CatalogUrl)
            || self.rules(grant).iter().any(|&(f, _)| f == field)
    }

    /// The header line that carries `token` on the provider's API calls.
    /// Sized once, so that no copy of the token is left behind in freed memory.
    pub fn header_line(&self, token: &str) -> String {
        let prefix = if self.bearer { "Bearer " } else { "" };
        let mut line =
            String::with_capacity(self.header_name.len() + 2 + prefix.len() + token.len());
        for piece in [self.header_name, ": ", prefix, token] {
            line.push_str(piece);
        }
        line
    }

    /// The header name and value that carry `token`.
    pub fn header(&self, token: &str) -> (&'static str, String) {
        let prefix = if self.bearer { "Bearer " } else { "" };
        let mut value = String::with_capacity(prefix.len() + token.len());
        value.push_str(prefix);
        value.push_str(token);
        (self.header_name, value)
    }

    /// The base URL of the provider's API for `account` (for examples such as curl).
    pub fn api_base<'a>(&'a self, account: &'a Account) -> &'a str {
        if self.api_at_account_url {
            account.url.as_deref().unwrap_or(self.api_example)
        } else {
            self.api_example
        }
    }
}

/// The provider's facts.
pub fn spec(kind: ProviderKind) -> &'static Spec {
    kind.spec()
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
    /// The person, for grants that sign in through a browser or another device.
    pub sign_in: Option<&'a dyn signin::SignIn>,
}

impl<'a> Call<'a> {
    /// The account's base URL, or the provider's default.
    pub fn base_url(&self) -> Result<&'a str, ProviderError> {
        let default = spec(self.account.provider).default_url;
        required(self.account.url.as_deref().or(default), Field::Url)
    }

    /// A required secret of the account, or an error naming it.
    pub fn secret(&self, field: Field) -> Result<&'a str, ProviderError> {
        required(field.secret_in(self.secrets).map(Secret::expose), field)
    }

    /// A required metadata field of the account, or an error naming it.
    pub fn field(&self, field: Field) -> Result<&'a str, ProviderError> {
        required(field.text(self.account), field)
    }
}

fn required(value: Option<&str>, field: Field) -> Result<&str, ProviderError> {
    value
        .filter(|s| !s.is_empty())
        .ok_or(ProviderError::Missing(field))
}

/// Obtains a brand new token set with the account's grant.
pub async fn generate(call: Call<'_>) -> Result<Issued, ProviderError> {
    (spec(call.account.provider).flows.generate)(call).await
}

/// Renews the access token (with the refresh token where the provider has one).
pub async fn refresh(call: Call<'_>) -> Result<Issued, ProviderError> {
    (spec(call.account.provider).flows.refresh)(call).await
}

/// Completes a new account before it is stored: for an OAuth server with an issuer, its
/// endpoints are discovered. Other providers need nothing.
pub async fn complete(http: &Http, account: &mut Account) -> Result<(), ProviderError> {
    match spec(account.provider).flows.complete {
        Some(complete) => complete(http, account).await,
        None => Ok(()),
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
    let spec = spec(call.account.provider);
    match (spec.flows.revoke, spec.revoke) {
        (Some(revoke), _) => revoke(call).await,
        (None, RevokeSupport::PortalOnly(how)) => Ok(Revoked::PortalOnly(how)),
        (None, RevokeSupport::Api) => Ok(Revoked::AtServer),
    }
}
