//! The HTTP side every provider shares: URL rules, timeouts, and reading token replies.

use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde_json::Value;
use url::{Host, Url};

use super::ProviderError;
use crate::model::Secret;

/// The largest answer read from a server; token answers are a few kilobytes.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Parses a timeout in seconds: a finite number from 0.1 to 3600.
pub fn parse_timeout(value: &str) -> Result<Duration, ProviderError> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|secs| (0.1..=3600.0).contains(secs))
        .map(Duration::from_secs_f64)
        .ok_or_else(|| ProviderError::BadTimeout(value.trim().chars().take(20).collect()))
}

/// Default time limit on one request, connect included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// An HTTP client with the wallet's rules: a timeout on every request, no redirects,
/// rustls only, and loopback never through a proxy: `HTTPS_PROXY` / `HTTP_PROXY` /
/// `NO_PROXY` apply to remote hosts only, so a proxy never sees a loopback account's
/// secrets (which travel in clear text to `http://127.0.0.1`).
#[derive(Clone, Debug)]
pub struct Http {
    proxied: reqwest::Client,
    direct: reqwest::Client,
    timeout: Duration,
}

/// Trust: the operating system's store (which honours `SSL_CERT_FILE` and `SSL_CERT_DIR`)
/// and the Mozilla roots built in, plus any extra CA certificates of an account.
fn client_builder(timeout: Duration, extra: &[reqwest::Certificate]) -> reqwest::ClientBuilder {
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("tokenwallet/", env!("CARGO_PKG_VERSION")));
    for cert in extra {
        builder = builder.add_root_certificate(cert.clone());
    }
    builder
}

impl Http {
    /// A client whose every request gives up after `timeout`.
    pub fn new(timeout: Duration) -> Result<Self, ProviderError> {
        Self::with_roots(timeout, &[])
    }

    fn with_roots(
        timeout: Duration,
        extra: &[reqwest::Certificate],
    ) -> Result<Self, ProviderError> {
        let build = |builder: reqwest::ClientBuilder| {
            builder
                .build()
                .map_err(|err| ProviderError::Unreachable(err.without_url().to_string()))
        };
        Ok(Self {
            proxied: build(client_builder(timeout, extra))?,
            direct: build(client_builder(timeout, extra).no_proxy())?,
            timeout,
        })
    }

    /// The same client trusting the CA certificates of the PEM file at `path` too.
    pub fn with_ca_file(&self, path: &str) -> Result<Self, ProviderError> {
        let bytes = std::fs::read(path)
            .map_err(|err| ProviderError::BadCaFile(format!("{path} could not be read ({err})")))?;
        let certs = reqwest::Certificate::from_pem_bundle(&bytes)
            .ok()
            .filter(|certs| !certs.is_empty())
            .ok_or_else(|| ProviderError::BadCaFile(format!("{path} holds no PEM certificate")))?;
        Self::with_roots(self.timeout, &certs)
    }

    /// A GET to a URL already checked by [`checked_url`].
    pub fn get(&self, url: Url) -> reqwest::RequestBuilder {
        self.client_for(&url).get(url)
    }

    /// A POST to a URL already checked by [`checked_url`].
    pub fn post(&self, url: Url) -> reqwest::RequestBuilder {
        self.client_for(&url).post(url)
    }

    /// A request of `method` to a URL already checked by [`checked_url`].
    pub fn request(&self, method: reqwest::Method, url: Url) -> reqwest::RequestBuilder {
        self.client_for(&url).request(method, url)
    }

    /// The direct client for loopback hosts, else the one that honours proxy settings.
    fn client_for(&self, url: &Url) -> &reqwest::Client {
        if is_loopback(url) {
            &self.direct
        } else {
            &self.proxied
        }
    }

    /// Sends a request and reads the whole reply (at most [`MAX_BODY_BYTES`]). Connection failures and timeouts become
    /// [`ProviderError::Unreachable`] / [`ProviderError::Timeout`]; no URL (which may carry a
    /// secret in its query) ever reaches the message.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Result<Reply, ProviderError> {
        match self.send_up_to(request, MAX_BODY_BYTES).await {
            Err(ProviderError::TooLarge(mib)) => Err(ProviderError::BadResponse(format!(
                "the answer is larger than {mib} MiB, which no token answer is"
            ))),
            reply => reply,
        }
    }

    /// [`Http::send`] for answers that may be larger than a token answer: an API's, a spec.
    /// An answer over `limit` bytes is [`ProviderError::TooLarge`].
    pub async fn send_up_to(
        &self,
        request: reqwest::RequestBuilder,
        limit: usize,
    ) -> Result<Reply, ProviderError> {
        let response = request
            .send()
            .await
            .map_err(|err| self.transport_error(&err))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let mut response = response;
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|err| self.transport_error(&err))?
        {
            if bytes.len() + chunk.len() > limit {
                return Err(ProviderError::TooLarge(limit >> 20));
            }
            bytes.extend_from_slice(&chunk);
        }
        let body = String::from_utf8_lossy(&bytes).into_owned();
        tracing::debug!(status, body_len = body.len(), "reply received");
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    fn transport_error(&self, err: &reqwest::Error) -> ProviderError {
        if err.is_timeout() {
            ProviderError::Timeout(
                self.timeout.as_secs() + u64::from(self.timeout.subsec_nanos() > 0),
            )
        } else {
            let mut source: Option<&dyn std::error::Error> = Some(err);
            let mut root = String::new();
            while let Some(inner) = source {
                root = inner.to_string();
                source = inner.source();
            }
            if err.is_body() || err.is_decode() {
                ProviderError::BadResponse(format!(
                    "the connection broke while reading the answer ({root})"
                ))
            } else {
                ProviderError::Unreachable(root)
            }
        }
    }
}

/// Parses `raw` and refuses anything but `https://`, or `http://` to a loopback host.
/// Checked before any connection is made.
pub fn checked_url(raw: &str) -> Result<Url, ProviderError> {
    let url =
        Url::parse(raw.trim()).map_err(|err| ProviderError::BadUrl(format!("{err}: {raw}")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(ProviderError::InsecureUrl(
                url.host_str().unwrap_or_default().to_owned(),
            ));
        }
        other => {
            return Err(ProviderError::BadUrl(format!(
                "unsupported scheme {other}: {raw}"
            )));
        }
    }
    if url.host().is_none() {
        return Err(ProviderError::BadUrl(format!("no host in {raw}")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ProviderError::BadUrl(
            "credentials in the URL are not allowed".to_owned(),
        ));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Appends a documented path to a base URL (`https://host/prefix` + `/oauth/token`).
pub fn join(base: &str, path: &str) -> Result<Url, ProviderError> {
    let base = checked_url(base)?;
    let joined = format!("{}{}", base.as_str().trim_end_matches('/'), path);
    checked_url(&joined)
}

/// A whole HTTP reply.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body as text.
    pub body: String,
}

/// A token set as a provider handed it out, before the wallet stores it.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The new access token.
    pub access_token: Secret,
    /// A new refresh token, if the server rotated or issued one.
    pub refresh_token: Option<Secret>,
    /// An OpenID Connect id token.
    pub id_token: Option<Secret>,
    /// Raw `expires_in` (seconds, or epoch ms above 10^11).
    pub expires_in: Option<i64>,
    /// Raw `refresh_expires_in` (seconds), sent by some servers.
    pub refresh_expires_in: Option<i64>,
    /// Token type (`Bearer`).
    pub token_type: Option<String>,
    /// Granted scopes.
    pub scope: Option<String>,
    /// When the token was issued: now, or the `created_at` of an imported download.
    pub issued_at: DateTime<Utc>,
}

impl Reply {
    /// Reads a token answer: a 2xx JSON object with `access_token`, else the matching error.
    pub fn into_issued(self, now: DateTime<Utc>) -> Result<Issued, ProviderError> {
        self.ok_json().and_then(|json| issued_from_json(&json, now))
    }

    /// The JSON object of a 2xx reply, or the error the reply stands for.
    pub fn ok_json(self) -> Result<Value, ProviderError> {
        if !(200..300).contains(&self.status) {
            return Err(self.into_error());
        }
        match serde_json::from_str::<Value>(&self.body) {
            Ok(value @ Value::Object(_)) => Ok(value),
            Ok(_) => Err(ProviderError::BadResponse(
                "the answer was JSON but not an object".to_owned(),
            )),
            Err(err) if looks_like_html(&self.body) => Err(ProviderError::BadResponse(format!(
                "the server answered with an HTML page instead of JSON ({err})"
            ))),
            Err(err) => Err(ProviderError::BadResponse(format!(
                "the answer was not valid JSON ({err})"
            ))),
        }
    }

    /// The error a non-2xx reply stands for, with the server's own words when it gave any.
    pub fn into_error(self) -> ProviderError {
        let status = self.status;
        if status == 429 {
            return ProviderError::RateLimited {
                retry_after_secs: retry_after_secs(&self.headers),
            };
        }
        let (code, message) = error_text(&self.body);
        if status >= 500 {
            return ProviderError::Server { status, message };
        }
        if code.as_deref() == Some("invalid_grant") {
            return ProviderError::InvalidGrant { status, message };
        }
        ProviderError::Rejected {
            status,
            code,
            message,
        }
    }
}

/// Builds an [`Issued`] from a token JSON object (a reply or an imported download).
pub fn issued_from_json(json: &Value, now: DateTime<Utc>) -> Result<Issued, ProviderError> {
    let text = |key: &str| {
        json.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let number = |key: &str| match json.get(key) {
        #[allow(clippy::cast_possible_truncation)]
        Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|f| f.round() as i64)),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    let access_token = text("access_token")
        .ok_or_else(|| ProviderError::BadResponse("the answer has no access_token".to_owned()))?;
    let issued_at = number("created_at")
        .and_then(chrono::DateTime::from_timestamp_millis)
        .filter(|created| *created <= now)
        .unwrap_or(now);
    Ok(Issued {
        access_token: Secret::new(access_token),
        refresh_token: text("refresh_token").map(Secret::new),
        id_token: text("id_token").map(Secret::new),
        expires_in: number("expires_in"),
        refresh_expires_in: number("refresh_expires_in")
            .or_else(|| number("refresh_token_expires_in")),
        token_type: text("token_type").map(str::to_owned),
        scope: text("scope").map(str::to_owned),
        issued_at,
    })
}

fn looks_like_html(body: &str) -> bool {
    let start = body
        .trim_start()
        .get(..15)
        .unwrap_or(body.trim_start())
        .to_ascii_lowercase();
    start.starts_with("<!doctype") || start.starts_with("<html") || start.starts_with('<')
}

/// The most of a plain error body kept for redaction.
const SERVER_WORDS: usize = 4096;

/// `(error code, human message)` from an error body: OAuth `error`/`error_description`,
/// a `message` field, an HTML page's title, or the start of the text.
fn error_text(body: &str) -> (Option<String>, String) {
    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(body) {
        let field = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_owned);
        let code = field("error");
        let message = field("error_description")
            .or_else(|| field("message"))
            .or_else(|| field("detail"))
            .or_else(|| code.clone())
            .unwrap_or_else(|| "no error description".to_owned());
        return (code, message);
    }
    if looks_like_html(body) {
        let lower = body.to_ascii_lowercase();
        let title = lower
            .find("<title>")
            .and_then(|start| {
                lower[start + 7..]
                    .find("</title>")
                    .map(|len| body[start + 7..start + 7 + len].trim().to_owned())
            })
            .filter(|t| !t.is_empty());
        return (
            None,
            title.map_or_else(
                || "an HTML error page".to_owned(),
                |t| format!("an HTML page: {t}"),
            ),
        );
    }
    // Kept long enough to redact a secret the words quote before they are cut to size
    // (`ProviderError::redacted`).
    let text: String = body.trim().chars().take(SERVER_WORDS).collect();
    (
        None,
        if text.is_empty() {
            "an empty answer".to_owned()
        } else {
            text
        },
    )
}

fn retry_after_secs(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(secs);
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    u64::try_from((at.with_timezone(&Utc) - Utc::now()).num_seconds().max(0)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: HeaderMap::new(),
            body: body.to_owned(),
        }
    }

    #[test]
    fn plain_http_only_for_loopback() {
        assert!(checked_url("https://api.example.com/x").is_ok());
        assert!(checked_url("http://127.0.0.1:8080/x").is_ok());
        assert!(checked_url("http://127.9.9.9/x").is_ok());
        assert!(checked_url("http://localhost:1/x").is_ok());
        assert!(checked_url("http://[::1]:1/x").is_ok());
        for bad in [
            "http://api.example.com/",
            "http://10.0.0.1/",
            "http://localhost.evil.com/",
        ] {
            assert!(
                matches!(checked_url(bad), Err(ProviderError::InsecureUrl(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            checked_url("ftp://x/"),
            Err(ProviderError::BadUrl(_))
        ));
        assert!(matches!(
            checked_url("not a url"),
            Err(ProviderError::BadUrl(_))
        ));
        assert!(matches!(
            checked_url("https://u:p@host/"),
            Err(ProviderError::BadUrl(_))
        ));
    }

    #[test]
    fn join_appends_documented_paths() {
        assert_eq!(
            join("https://h/auth/", "/oauth/token").unwrap().as_str(),
            "https://h/auth/oauth/token"
        );
        assert_eq!(
            join("https://h", "/oauth/token").unwrap().as_str(),
            "https://h/oauth/token"
        );
    }

    #[test]
    fn errors_are_classified() {
        let now = Utc::now();
        assert!(matches!(
            reply(400, r#"{"error":"invalid_grant","error_description":"gone"}"#).into_issued(now),
            Err(ProviderError::InvalidGrant { message, .. }) if message == "gone"
        ));
        assert!(matches!(
            reply(401, r#"{"error":"unauthorized_client","error_description":"Bad credentials"}"#).into_issued(now),
            Err(ProviderError::Rejected { status: 401, message, .. }) if message == "Bad credentials"
        ));
        assert!(matches!(
            reply(502, "<html><head><title>502 Bad Gateway</title></head></html>").into_issued(now),
            Err(ProviderError::Server { status: 502, message }) if message.contains("502 Bad Gateway")
        ));
        assert!(matches!(
            reply(200, r#"{"access_token":"a"#).into_issued(now),
            Err(ProviderError::BadResponse(_))
        ));
        assert!(
            matches!(reply(200, "<!DOCTYPE html><p>login</p>").into_issued(now), Err(ProviderError::BadResponse(m)) if m.contains("HTML"))
        );
        assert!(
            matches!(reply(200, r#"{"token_type":"Bearer"}"#).into_issued(now), Err(ProviderError::BadResponse(m)) if m.contains("access_token"))
        );
        assert!(
            matches!(reply(403, r#"{"message":"Forbidden"}"#).into_issued(now), Err(ProviderError::Rejected { message, .. }) if message == "Forbidden")
        );
    }

    #[test]
    fn retry_after_is_read() {
        let mut r = reply(429, "");
        r.headers.insert(RETRY_AFTER, "17".parse().unwrap());
        assert!(matches!(
            r.into_error(),
            ProviderError::RateLimited {
                retry_after_secs: Some(17)
            }
        ));
    }

    #[test]
    fn token_json_fields_and_created_at() {
        let now = Utc::now();
        let json: Value = serde_json::from_str(
            r#"{"access_token":"a","refresh_token":"r","expires_in":"7200","created_at":1582847137105,"token_type":"bearer","scope":"all"}"#,
        )
        .unwrap();
        let issued = issued_from_json(&json, now).unwrap();
        assert_eq!(issued.access_token.expose(), "a");
        assert_eq!(issued.refresh_token.unwrap().expose(), "r");
        assert_eq!(issued.expires_in, Some(7200));
        assert_eq!(issued.issued_at.timestamp_millis(), 1_582_847_137_105);
        assert_eq!(issued.scope.as_deref(), Some("all"));
    }
}
