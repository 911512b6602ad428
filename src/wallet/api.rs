//! API calls with an account's token: the *Try it* GET, and the operations of the account's
//! OpenAPI spec (kept per account: where it was read from in the record, a copy of its text
//! in the data dir). The token always comes from the account, never from the spec, and goes
//! only to the provider's hosts or one the user confirmed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use url::Url;

use crate::export::sh_quote;
use crate::model::{Account, Secret};
use crate::openapi::{ApiDoc, ApiRequest, MAX_SPEC_BYTES, build};
use crate::providers::{checked_url, spec};
use crate::store::{file_stem, write_atomic};

use super::{Wallet, WalletError};

/// The answer of an API call made with an account's token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiReply {
    /// HTTP status.
    pub status: u16,
    /// The start of the body (at most [`ApiReply::BODY_CHARS`] characters).
    pub body_start: String,
    /// How long the call took, token refresh included.
    pub elapsed: Duration,
}

impl ApiReply {
    /// How much of the body is kept.
    pub const BODY_CHARS: usize = 2000;
}

/// The largest answer of an operation kept (a long list is still shown whole).
const MAX_ANSWER_BYTES: usize = 8 << 20;

/// One operation of the account's spec to call, as a person or a script gave it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiCall {
    /// Its `operationId`, or `METHOD /path`.
    pub operation: String,
    /// Parameter values by name; a name given twice is a list.
    pub values: Vec<(String, String)>,
    /// The body, as typed.
    pub data: Option<String>,
    /// The API's base address, instead of the one drawn from the spec and the account.
    pub server: Option<String>,
}

/// The answer of an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiResponse {
    /// `GET https://…`: what was sent (no token).
    pub request_line: String,
    /// HTTP status.
    pub status: u16,
    /// How long the call took, token refresh included.
    pub elapsed: Duration,
    /// The rate-limit headers (`X-RateLimit-*`, `RateLimit-*`, `Retry-After`).
    pub limits: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
    /// The same request as a curl command, the token as `$TOKEN`.
    pub curl: String,
}

/// An operation's request, checked, waiting for a token.
#[derive(Debug, Clone)]
pub struct PreparedCall {
    account: Account,
    request: ApiRequest,
}

/// The hosts an account's token may go to without asking: its provider's (default URL,
/// presets, API), its own endpoints, and those the user confirmed.
fn known_hosts(account: &Account) -> Vec<String> {
    let spec = spec(account.provider);
    let own = [&account.url, &account.issuer, &account.revoke_url];
    let urls = own
        .into_iter()
        .flatten()
        .map(String::as_str)
        .chain(spec.default_url)
        .chain(spec.presets.iter().map(|(_, url)| *url))
        .chain(std::iter::once(spec.api_example));
    urls.filter_map(|url| url::Url::parse(url).ok())
        .filter_map(|url| url.host_str().map(str::to_ascii_lowercase))
        .chain(account.api_hosts.iter().cloned())
        .collect()
}

impl Wallet {
    /// Sends a GET to `url` with a valid access token of the account (refreshed first when
    /// due) in the provider's header, with the providers' HTTP rules: a timeout, no
    /// redirects, plain http only to loopback. The token goes only to the provider's hosts
    /// or one the user confirmed for this account; `confirm` confirms (and remembers) this
    /// URL's host.
    pub async fn call_api(
        &self,
        name: &str,
        url: &str,
        confirm: bool,
    ) -> Result<ApiReply, WalletError> {
        let started = Instant::now();
        let account = self.account(name)?;
        let url = checked_url(url).map_err(|source| bad_url(&account, source))?;
        let request = ApiRequest {
            method: "GET".to_owned(),
            url,
            headers: Vec::new(),
            body: None,
        };
        self.check_host(&account, &request.url, confirm)?;
        let token = self.token(name).await?.token;
        let reply = self.send_api(&account, &request, &token).await?;
        Ok(ApiReply {
            status: reply.status,
            body_start: reply.body.chars().take(ApiReply::BODY_CHARS).collect(),
            elapsed: started.elapsed(),
        })
    }

    /// Reads an OpenAPI or Swagger spec from a file or an `https://` URL (no token is sent
    /// with it), and keeps it as the account's: a copy of its text in the data dir, where it
    /// came from in the record (returned: a file's whole path).
    pub async fn remember_spec(
        &self,
        name: &str,
        source: &str,
    ) -> Result<(ApiDoc, String), WalletError> {
        let account = self.account(name)?;
        let text = self.fetch_spec(&account, source).await?;
        let doc = ApiDoc::parse(&text).map_err(|err| spec_error(&account, source, &err))?;
        // A file is remembered by its whole path: a later read may start elsewhere.
        let source = if is_url(source) {
            source.to_owned()
        } else {
            std::fs::canonicalize(source)
                .map_or_else(|_| source.to_owned(), |path| path.display().to_string())
        };
        let path = self.spec_path(name);
        if let Some(folder) = path.parent() {
            crate::store::ensure_home(folder)?;
        }
        write_atomic(&path, text.as_bytes())?;
        self.update_account(name, |stored| stored.api_spec = Some(source.clone()))?;
        Ok((doc, source))
    }

    /// The account's spec, and where it was read from.
    pub async fn api_spec(&self, name: &str) -> Result<(ApiDoc, String), WalletError> {
        self.spec_of(&self.account(name)?).await
    }

    /// [`Wallet::api_spec`] of a record already read.
    async fn spec_of(&self, account: &Account) -> Result<(ApiDoc, String), WalletError> {
        let source = account
            .api_spec
            .clone()
            .ok_or_else(|| WalletError::NoApiSpec(account.name.clone()))?;
        let text = match std::fs::read_to_string(self.spec_path(&account.name)) {
            Ok(text) => text,
            Err(_) => self.fetch_spec(account, &source).await?,
        };
        let doc = ApiDoc::parse(&text).map_err(|err| spec_error(account, &source, &err))?;
        Ok((doc, source))
    }

    /// Calls an operation of the account's spec with a valid access token (refreshed first
    /// when due). The host rules of [`Wallet::call_api`] apply.
    pub async fn call_operation(
        &self,
        name: &str,
        call: &ApiCall,
        confirm: bool,
    ) -> Result<ApiResponse, WalletError> {
        let prepared = self.prepare_operation(name, call, confirm).await?;
        let token = self.token(name).await?.token;
        self.send_operation(&prepared, &token).await
    }

    /// An operation of the account's spec as a request, checked (operation, values,
    /// address, host: `confirm` confirms and remembers it) before any token is read.
    pub async fn prepare_operation(
        &self,
        name: &str,
        call: &ApiCall,
        confirm: bool,
    ) -> Result<PreparedCall, WalletError> {
        let account = self.account(name)?;
        let (doc, source) = self.spec_of(&account).await?;
        let bad_call = |reason: String| WalletError::BadApiCall {
            account: name.to_owned(),
            reason,
        };
        let op = doc.find(&call.operation).ok_or_else(|| {
            bad_call(format!(
                "its API spec has no operation '{}' (name one by its operationId or as 'GET /path')",
                call.operation
            ))
        })?;
        let base = Self::api_base(&account, &doc, &source, call.server.as_deref())?;
        let header = spec(account.provider).header_name;
        let request = build(op, &base, &call.values, call.data.as_deref(), header)
            .map_err(|err| bad_call(err.0))?;
        checked_url(request.url.as_str()).map_err(|source| bad_url(&account, source))?;
        self.check_host(&account, &request.url, confirm)?;
        Ok(PreparedCall { account, request })
    }

    /// Sends a prepared operation with `token` (a command line may have it from the agent).
    pub async fn send_operation(
        &self,
        prepared: &PreparedCall,
        token: &Secret,
    ) -> Result<ApiResponse, WalletError> {
        self.send_api(&prepared.account, &prepared.request, token)
            .await
    }

    /// Where the spec's paths go for this account.
    fn api_base(
        account: &Account,
        doc: &ApiDoc,
        source: &str,
        server: Option<&str>,
    ) -> Result<String, WalletError> {
        let origin = Url::parse(source)
            .ok()
            .filter(Url::has_host)
            .map(|url| url.origin().ascii_serialization());
        let account_base = spec(account.provider).api_base(account);
        let base = doc.base_url(account_base, origin.as_deref(), server);
        let placeholder = Url::parse(&base).ok().is_some_and(|url| {
            url.host_str()
                .is_some_and(|host| host == "example.com" || host.ends_with(".example.com"))
        });
        if placeholder && server.is_none() {
            return Err(WalletError::BadApiCall {
                account: account.name.clone(),
                reason: "its API spec names no server of its own and the account has no API address: give the server's address".to_owned(),
            });
        }
        Ok(base)
    }

    /// Refuses a host that is neither the provider's nor confirmed for the account;
    /// `confirm` confirms it (and remembers it).
    fn check_host(&self, account: &Account, url: &Url, confirm: bool) -> Result<(), WalletError> {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        if known_hosts(account).contains(&host) {
            return Ok(());
        }
        if !confirm {
            return Err(WalletError::UnconfirmedHost {
                account: account.name.clone(),
                provider: account.provider,
                host,
            });
        }
        self.update_account(&account.name, |stored| stored.api_hosts.push(host))?;
        Ok(())
    }

    /// Sends `request` with `token` in the provider's header.
    async fn send_api(
        &self,
        account: &Account,
        request: &ApiRequest,
        token: &Secret,
    ) -> Result<ApiResponse, WalletError> {
        let started = Instant::now();
        let (header, value) = spec(account.provider).header(token.expose());
        let http = self.http_for(account)?;
        let method =
            reqwest::Method::from_bytes(request.method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut builder = http
            .request(method, request.url.clone())
            .header(header, value);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some((media, body)) = &request.body {
            builder = builder
                .header("Content-Type", media.as_str())
                .body(body.clone());
        }
        let reply = http
            .send_up_to(builder, MAX_ANSWER_BYTES)
            .await
            .map_err(|source| {
                let secrets = [token.expose()];
                super::rotation::provider_error(account, source.redacted(secrets.into_iter()))
            })?;
        Ok(ApiResponse {
            request_line: format!("{} {}", request.method, request.url),
            status: reply.status,
            elapsed: started.elapsed(),
            limits: reply
                .headers
                .iter()
                .filter(|(name, _)| is_rate_limit(name.as_str()))
                .filter_map(|(name, value)| {
                    Some((name.to_string(), value.to_str().ok()?.to_owned()))
                })
                .collect(),
            body: reply.body,
            curl: curl(account, request),
        })
    }

    pub(super) fn spec_path(&self, name: &str) -> PathBuf {
        self.home
            .join("specs")
            .join(format!("{}.spec", file_stem(name)))
    }

    /// The spec's text from a file or a URL, bounded.
    async fn fetch_spec(&self, account: &Account, source: &str) -> Result<String, WalletError> {
        let fail = |reason: String| WalletError::ApiSpec {
            account: account.name.clone(),
            source_name: source.to_owned(),
            reason,
        };
        if is_url(source) {
            let url = checked_url(source).map_err(|source| bad_url(account, source))?;
            let http = self.http_for(account)?;
            let reply = http
                .send_up_to(http.get(url), MAX_SPEC_BYTES)
                .await
                .map_err(|err| super::rotation::provider_error(account, err))?;
            if !(200..300).contains(&reply.status) {
                return Err(fail(format!(
                    "the server answered HTTP {} (a spec behind a sign-in can be downloaded and read from the file)",
                    reply.status
                )));
            }
            return Ok(reply.body);
        }
        // Read up to the bound, not as far as the file's size says: a device or a pipe
        // says 0 and never ends.
        let file = std::fs::File::open(source).map_err(|err| fail(err.to_string()))?;
        crate::store::read_text_up_to(file, MAX_SPEC_BYTES)
            .map_err(|err| fail(format!("it cannot be read as text ({err})")))?
            .ok_or_else(|| fail("it is over the 16 MiB a spec may have".to_owned()))
    }
}

fn bad_url(account: &Account, source: crate::providers::ProviderError) -> WalletError {
    WalletError::BadUrl {
        account: account.name.clone(),
        provider: account.provider,
        source,
    }
}

fn spec_error(account: &Account, source: &str, err: &crate::openapi::SpecError) -> WalletError {
    WalletError::ApiSpec {
        account: account.name.clone(),
        source_name: source.to_owned(),
        reason: err.to_string(),
    }
}

fn is_url(source: &str) -> bool {
    source.starts_with("https://") || source.starts_with("http://")
}

fn is_rate_limit(name: &str) -> bool {
    name.contains("ratelimit") || name.contains("rate-limit") || name == "retry-after"
}

/// The request as a curl command for a shell, with `$TOKEN` where the token goes.
fn curl(account: &Account, request: &ApiRequest) -> String {
    let auth = spec(account.provider).header_line("$TOKEN");
    let mut lines = vec![format!(
        "curl -X {} {}",
        request.method,
        sh_quote(request.url.as_str())
    )];
    lines.push(format!("-H \"{auth}\""));
    for (name, value) in &request.headers {
        lines.push(format!("-H {}", sh_quote(&format!("{name}: {value}"))));
    }
    if let Some((media, body)) = &request.body {
        lines.push(format!(
            "-H {}",
            sh_quote(&format!("Content-Type: {media}"))
        ));
        // curl's own option (the body as it is, an `@` included), not the command line's.
        lines.push(["--data-raw", &sh_quote(body)].join(" "));
    }
    lines.join(" \\\n  ")
}
