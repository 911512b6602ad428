//! A strict, stateful OAuth 2.0 authorization server on loopback: `client_credentials`,
//! `password` and `refresh_token` grants with rotation and reuse detection (RFC 9700: reusing
//! a rotated-out refresh token revokes the whole grant), RFC 7009 revocation, RFC 8414
//! metadata, and a protected `/api/me`. It backs the demo account and the tests.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher as _, Hasher as _};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::Utc;
use serde_json::{Value, json};

use super::server::{Request, Response, Server};
use crate::model::ClientAuth;

mod grants;
use grants::{authorize, device_authorization, revoke, token};

/// A registered client.
#[derive(Debug, Clone)]
pub struct Client {
    /// `client_id`.
    pub id: String,
    /// `client_secret`.
    pub secret: String,
    /// The one authentication method this client may use.
    pub auth: ClientAuth,
}

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct Config {
    /// Access token lifetime.
    pub access_ttl_secs: i64,
    /// Refresh token lifetime.
    pub refresh_ttl_secs: i64,
    /// Registered clients.
    pub clients: Vec<Client>,
    /// `(username, password)` pairs for the password grant.
    pub users: Vec<(String, String)>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            access_ttl_secs: 3600,
            refresh_ttl_secs: 86_400,
            clients: vec![Client {
                id: "demo-client".into(),
                secret: "demo-secret".into(),
                auth: ClientAuth::Basic,
            }],
            users: vec![("demo".into(), "demo-password".into())],
        }
    }
}

/// A fault to inject into the next token request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// A JSON `server_error` with this status.
    Status(u16),
    /// An HTML error page (a proxy's 502).
    Html(u16),
    /// A 200 whose JSON is cut off.
    TruncatedJson,
    /// A 200 without `access_token`.
    MissingAccessToken,
    /// 429 with `Retry-After`.
    RateLimited(u64),
    /// No answer for this long.
    Hang(Duration),
    /// An error page that echoes the request's query and body back, as some gateways do.
    Echo(u16),
    /// A 200 with a body of this many bytes (a misbehaving server).
    Huge(usize),
    /// Process the request normally (a refresh rotates), then answer after this long.
    SlowAfterRotate(Duration),
    /// A plain-text error with this status that quotes the request's refresh token this
    /// many characters in, as a careless gateway's log line would.
    QuoteRefreshTokenAt(u16, usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefreshStatus {
    Active,
    RotatedOut,
    Revoked,
}

#[derive(Debug, Clone)]
struct RefreshEntry {
    client: String,
    subject: String,
    family: u64,
    expires_at: i64,
    status: RefreshStatus,
}

/// Counters and state the tests read.
#[derive(Debug, Default)]
pub struct State {
    config: Config,
    pub(super) access: HashMap<String, (String, i64, u64)>,
    refresh: HashMap<String, RefreshEntry>,
    revoked_families: HashSet<u64>,
    next_family: u64,
    faults: VecDeque<Fault>,
    /// Successful `refresh_token` grants.
    pub refreshes: u32,
    /// Every request to the token endpoint.
    pub token_requests: u32,
    /// Revocation requests.
    pub revocations: u32,
    /// Calls to the API (`/api/…`) with a valid token.
    pub api_calls: u32,
    /// Refresh tokens presented after rotation (each revoked a grant).
    pub reuse_detected: u32,
    /// Leave `token_type` out of token answers (a server breaking RFC 6749 §5.1).
    pub omit_token_type: bool,
    /// Refuse to revoke access tokens, quoting the token back (a server that revokes only
    /// refresh tokens and says so carelessly).
    pub refuse_access_revocation: bool,
    /// Leave RFC 9207's `iss` out of authorization responses, though the metadata says
    /// they carry it (what a response from another server looks like).
    pub omit_iss_in_response: bool,
    /// Authorization codes issued: code → (client, PKCE challenge, redirect URI).
    codes: HashMap<String, (String, String, String)>,
    /// Device codes issued: device code → (client, user code, approved).
    devices: HashMap<String, (String, String, bool)>,
}

/// The running server.
pub struct OAuthServer {
    server: Server,
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for OAuthServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthServer")
            .field("url", &self.server.url())
            .finish_non_exhaustive()
    }
}

impl OAuthServer {
    /// Starts the server on a free loopback port.
    pub fn start(config: Config) -> std::io::Result<Self> {
        let state = Arc::new(Mutex::new(State {
            config,
            ..State::default()
        }));
        let shared = Arc::clone(&state);
        let issuer = Arc::new(Mutex::new(String::new()));
        let issuer_for_handler = Arc::clone(&issuer);
        let server = Server::start(move |request| {
            let issuer = issuer_for_handler
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            handle(&shared, &issuer, request)
        })?;
        *issuer.lock().unwrap_or_else(PoisonError::into_inner) = server.url();
        Ok(Self { server, state })
    }

    /// The issuer, `http://127.0.0.1:PORT`.
    pub fn issuer(&self) -> String {
        self.server.url()
    }

    /// The token endpoint.
    pub fn token_url(&self) -> String {
        format!("{}/token", self.server.url())
    }

    /// The RFC 7009 revocation endpoint.
    pub fn revoke_url(&self) -> String {
        format!("{}/revoke", self.server.url())
    }

    /// The server's state, to inspect or change.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a fault for the next token request.
    pub fn inject(&self, fault: Fault) {
        self.state().faults.push_back(fault);
    }

    /// Changes the lifetime of access tokens issued from now on.
    pub fn set_access_ttl(&self, secs: i64) {
        self.state().config.access_ttl_secs = secs;
    }

    /// Revokes every grant, as a user or admin would in the server's console.
    pub fn revoke_all_grants(&self) {
        let mut state = self.state();
        let families: Vec<u64> = state.refresh.values().map(|entry| entry.family).collect();
        state.revoked_families.extend(families);
    }

    /// Issues a refresh token for `subject` as if the user had signed in elsewhere.
    pub fn issue_refresh_token(&self, client: &str, subject: &str) -> String {
        let mut state = self.state();
        let family = state.new_family();
        state.new_refresh(client, subject, family)
    }
}

impl State {
    fn new_family(&mut self) -> u64 {
        self.next_family += 1;
        self.next_family
    }

    fn new_refresh(&mut self, client: &str, subject: &str, family: u64) -> String {
        let token = format!("rt-{}", random_hex());
        let expires_at = Utc::now().timestamp() + self.config.refresh_ttl_secs;
        self.refresh.insert(
            token.clone(),
            RefreshEntry {
                client: client.to_owned(),
                subject: subject.to_owned(),
                family,
                expires_at,
                status: RefreshStatus::Active,
            },
        );
        token
    }

    /// Whether `token` is a live access token.
    /// Approves the device sign-in with this user code, as the person would on the
    /// verification page; `false` if no such code is pending.
    pub fn approve_device(&mut self, user_code: &str) -> bool {
        self.devices
            .values_mut()
            .find(|(_, code, _)| code == user_code)
            .map(|(_, _, approved)| *approved = true)
            .is_some()
    }

    pub fn access_valid(&self, token: &str) -> bool {
        self.access
            .get(token)
            .is_some_and(|(_, expires_at, family)| {
                *expires_at > Utc::now().timestamp() && !self.revoked_families.contains(family)
            })
    }

    /// Ends an access token's life now, as its expiry would.
    pub fn expire_access(&mut self, token: &str) {
        self.access.remove(token);
    }

    /// Whether `token` is a refresh token the server would still accept.
    pub fn refresh_valid(&self, token: &str) -> bool {
        self.refresh.get(token).is_some_and(|entry| {
            entry.status == RefreshStatus::Active
                && entry.expires_at > Utc::now().timestamp()
                && !self.revoked_families.contains(&entry.family)
        })
    }
}

/// 64 random bits as hex, from the OS-seeded hasher keys (enough for test and demo tokens).
pub fn random_hex() -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("{:016x}", hasher.finish())
}

/// A JWT-shaped token (unsigned: the wallet only reads its claims).
pub fn jwt(claims: &Value) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        random_hex()
    )
}

pub(super) fn error(status: u16, code: &str, description: &str) -> Response {
    Response::json(
        status,
        &json!({ "error": code, "error_description": description }),
    )
}

/// Applies a queued fault, if any.
pub fn fault_response(fault: &Fault) -> Response {
    match *fault {
        Fault::Echo(status) => Response::html(status, "<html><body>request echoed</body></html>"),
        Fault::Huge(bytes) => Response::Full {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: vec![b' '; bytes],
        },
        Fault::SlowAfterRotate(_) | Fault::QuoteRefreshTokenAt(..) => {
            error(500, "server_error", "not a stand-alone fault")
        }
        Fault::Status(status) => error(status, "server_error", "the server had an internal error"),
        Fault::Html(status) => Response::html(
            status,
            "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>",
        ),
        Fault::TruncatedJson => {
            let body = br#"{"access_token":"half-a-tok"#.to_vec();
            Response::Truncated {
                status: 200,
                declared: body.len() + 40,
                body,
            }
        }
        Fault::MissingAccessToken => {
            Response::json(200, &json!({ "token_type": "Bearer", "expires_in": 3600 }))
        }
        Fault::RateLimited(secs) => error(429, "slow_down", "too many requests")
            .with_header("Retry-After", &secs.to_string()),
        Fault::Hang(duration) => Response::Hang(duration),
    }
}

/// An error page quoting the request, as a gateway that echoes it would.
pub fn echo(status: u16, request: &Request) -> Response {
    let query: Vec<String> = request
        .query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let text = format!(
        "<html><head><title>{status} request rejected: {} {} ?{} body: {}</title></head></html>",
        request.method,
        request.path,
        query.join("&"),
        String::from_utf8_lossy(&request.body)
    );
    Response::html(status, &text)
}

/// A plain-text error quoting the request's `refresh_token` `at` characters in.
fn quote_at(status: u16, at: usize, request: &Request) -> Response {
    let form = request.form().unwrap_or_default();
    let refresh = form
        .iter()
        .find(|(key, _)| key == "refresh_token")
        .map_or("", |(_, value)| value.as_str());
    let text = format!(
        "{}{refresh} was refused by the upstream gateway",
        "x".repeat(at)
    );
    Response::Full {
        status,
        headers: vec![("Content-Type".into(), "text/plain".into())],
        body: text.into_bytes(),
    }
}

fn handle(state: &Mutex<State>, issuer: &str, request: &Request) -> Response {
    let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
    match (request.method.as_str(), request.path.as_str()) {
        (
            "GET",
            "/.well-known/oauth-authorization-server" | "/.well-known/openid-configuration",
        ) => Response::json(
            200,
            &json!({
                "issuer": issuer,
                "token_endpoint": format!("{issuer}/token"),
                "revocation_endpoint": format!("{issuer}/revoke"),
                "authorization_endpoint": format!("{issuer}/authorize"),
                "device_authorization_endpoint": format!("{issuer}/device_authorization"),
                "grant_types_supported": ["client_credentials", "password", "refresh_token"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "authorization_response_iss_parameter_supported": true,
            }),
        ),
        ("POST", "/token") => {
            state.token_requests += 1;
            match state.faults.pop_front() {
                Some(Fault::SlowAfterRotate(delay)) => {
                    Response::Delayed(delay, Box::new(token(&mut state, issuer, request)))
                }
                Some(Fault::Echo(status)) => echo(status, request),
                Some(Fault::QuoteRefreshTokenAt(status, at)) => quote_at(status, at, request),
                Some(fault) => fault_response(&fault),
                None => token(&mut state, issuer, request),
            }
        }
        ("POST", "/revoke") => revoke(&mut state, request),
        ("GET", "/authorize") => authorize(&mut state, issuer, request),
        ("POST", "/device_authorization") => device_authorization(&mut state, issuer, request),
        ("GET", "/openapi.yaml") => super::api::spec(),
        (_, "/token" | "/revoke") => error(405, "invalid_request", "use POST"),
        _ => super::api::handle(&mut state, request)
            .unwrap_or_else(|| error(404, "not_found", "no such endpoint")),
    }
}
