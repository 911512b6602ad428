//! Strict, stateful fakes of the vendor token APIs. Each one checks the wire format its
//! vendor documents (JSON vs form vs query string, header names), issues and rotates
//! tokens, invalidates spent refresh tokens, and can inject one fault per request.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::Utc;
use serde_json::{Value, json};
use tokenwallet::demo::oauth::{Fault, echo, fault_response, jwt, random_hex};
use tokenwallet::demo::server::{Request, Response, Server};

/// What every fake keeps.
#[derive(Debug, Default)]
pub struct State {
    /// Refresh tokens the server accepts.
    pub refresh_tokens: HashSet<String>,
    /// Access tokens it issued.
    pub access_tokens: Vec<String>,
    /// Successful refreshes.
    pub refreshes: u32,
    /// Successful new-token grants (not refreshes).
    pub generates: u32,
    /// Revoked tokens.
    pub revoked: Vec<String>,
    /// Requests that reached a token endpoint.
    pub requests: u32,
    /// Faults for the next requests.
    pub faults: VecDeque<Fault>,
    /// Apinizer: how to send `expires_in`.
    pub expires_mode: ExpiresMode,
    /// Aruba: live authorization codes.
    pub codes: HashSet<String>,
}

/// How the Apinizer fake reports expiry.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum ExpiresMode {
    /// `expires_in` in seconds (3600).
    #[default]
    Seconds,
    /// `expires_in` as an epoch time in milliseconds (older Apinizer).
    EpochMs,
    /// No `expires_in`; the access token is a JWT with `exp` (2 h).
    JwtOnly,
}

/// A running fake.
pub struct Fake {
    server: Server,
    state: Arc<Mutex<State>>,
}

impl Fake {
    /// `add` with the words of `line`, this fake's address as `--url`, and one secret in
    /// the environment.
    pub fn add(&self, home: &super::Home, line: &str, secret: (&str, &str)) -> super::Run {
        home.add(line, &["--url", &self.url()], &[secret])
    }

    fn start(handler: fn(&mut State, &Request) -> Response) -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        let server = Server::start(move |request| {
            let mut state = shared.lock().unwrap();
            state.requests += 1;
            match state.faults.pop_front() {
                Some(Fault::Echo(status)) => return echo(status, request),
                Some(fault) => return fault_response(&fault),
                None => {}
            }
            handler(&mut state, request)
        })
        .unwrap();
        Self { server, state }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The fake's state.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    /// Queues a fault for the next request.
    pub fn inject(&self, fault: Fault) {
        self.state().faults.push_back(fault);
    }

    /// Issues a refresh token the server accepts (as the portal would).
    pub fn seed_refresh_token(&self) -> String {
        let token = format!("rt-{}-{}", random_hex(), random_hex());
        self.state().refresh_tokens.insert(token.clone());
        token
    }

    /// A pair as the Active IQ portal's Generate Token gives it, real size: the refresh
    /// token is accepted once.
    pub fn seed_real_size_pair(&self) -> (String, String) {
        let refresh = real_size_jwt("refresh", 7 * 86_400);
        self.state().refresh_tokens.insert(refresh.clone());
        (real_size_jwt("access", 3600), refresh)
    }

    /// Active IQ: the portal's Generate Token pair.
    pub fn active_iq() -> Self {
        Self::start(active_iq)
    }

    /// BlueXP (Auth0).
    pub fn bluexp() -> Self {
        Self::start(bluexp)
    }

    /// Apinizer.
    pub fn apinizer() -> Self {
        Self::start(apinizer)
    }

    /// Aruba Central.
    pub fn aruba() -> Self {
        Self::start(aruba)
    }
}

/// A 400 `invalid_request` error: the request broke the wire format.
fn invalid_request(description: &str) -> Response {
    json_error(400, "invalid_request", description)
}

fn json_error(status: u16, code: &str, description: &str) -> Response {
    Response::json(
        status,
        &json!({ "error": code, "error_description": description }),
    )
}

/// A JWT the size of a real Active IQ token (about 1.35 KB): an RS512 header, the claims a
/// real one carries, and a 4096-bit signature's 512 bytes. One alone is over the 1 280
/// characters one Windows Credential Manager entry holds.
pub fn real_size_jwt(kind: &str, ttl_secs: i64) -> String {
    use base64::Engine as _;
    let now = Utc::now().timestamp();
    let claims = json!({
        "typ": kind, "iat": now, "nbf": now, "exp": now + ttl_secs, "jti": random_hex(),
        "iss": "https://api.activeiq.netapp.com/oauth2/aus1rm5ybumFAMzcS357",
        "aud": "https://api.activeiq.netapp.com",
        "sub": "firstname.lastname@customer.example.com",
        "cid": "0oa1rm5ybumFAMzcS357", "uid": "00u1rm5ybumFAMzcS357",
        "scp": ["openid", "profile", "email", "offline_access", "aiq.api.read"],
        "user_type": "customer", "company_id": "1234567", "sso_id": random_hex(),
    });
    let signature: Vec<u8> = (0..64)
        .flat_map(|_| random_hex().into_bytes())
        .take(512)
        .collect();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.{}",
        b64.encode(r#"{"alg":"RS512","typ":"JWT","kid":"aiq-signing-key-2026"}"#),
        b64.encode(claims.to_string()),
        b64.encode(signature)
    )
}

fn jwt_token(kind: &str, ttl_secs: i64) -> String {
    let now = Utc::now().timestamp();
    jwt(&json!({ "typ": kind, "iat": now, "exp": now + ttl_secs, "jti": random_hex() }))
}

/// The Active IQ refresh path.
pub const AIQ_PATH: &str = "/v1/tokens/accessToken";

fn active_iq(state: &mut State, request: &Request) -> Response {
    if (request.method.as_str(), request.path.as_str()) != ("POST", AIQ_PATH) {
        return Response::json(404, &json!({ "message": "Not Found" }));
    }
    if request.content_type().as_deref() != Some("application/json")
        || request.header("accept") != Some("application/json")
    {
        return Response::json(
            415,
            &json!({ "message": "Content-Type and Accept must be application/json" }),
        );
    }
    let Some(body) = request.json() else {
        return Response::json(400, &json!({ "message": "Malformed JSON body" }));
    };
    let Some(presented) = body
        .get("refresh_token")
        .and_then(Value::as_str)
        .filter(|_| body.len() == 1)
    else {
        return Response::json(
            400,
            &json!({ "message": "Body must be {\"refresh_token\": ...}" }),
        );
    };
    if !state.refresh_tokens.remove(presented) {
        return Response::json(401, &json!({ "message": "Unauthorized" }));
    }
    let access = real_size_jwt("access", 3600);
    let refresh = real_size_jwt("refresh", 7 * 86_400);
    state.refresh_tokens.insert(refresh.clone());
    state.access_tokens.push(access.clone());
    state.refreshes += 1;
    // The documented answer: no expires_in, no token_type.
    Response::json(
        200,
        &json!({ "refresh_token": refresh, "access_token": access }),
    )
}

/// The BlueXP refresh-token client id.
pub const BLUEXP_CLIENT: &str = "Mu0V1ywgYteI6w1MbD15fKfVIUrNXGWC";

fn bluexp(state: &mut State, request: &Request) -> Response {
    let Some(body) = request.json() else {
        return invalid_request("expected a JSON body with Content-Type: application/json");
    };
    let field = |key: &str| {
        body.get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/oauth/token") => {}
        ("POST", "/oauth/revoke") => {
            if field("client_id").is_empty() || field("token").is_empty() {
                return invalid_request("client_id and token are required");
            }
            let token = field("token");
            state.refresh_tokens.remove(&token);
            state.revoked.push(token);
            return Response::json(200, &json!({}));
        }
        _ => return json_error(404, "not_found", "no such endpoint"),
    }
    let audience_ok = field("audience") == "https://api.cloud.netapp.com";
    match field("grant_type").as_str() {
        "refresh_token" => {
            if field("client_id") != BLUEXP_CLIENT {
                return json_error(401, "access_denied", "Unauthorized client");
            }
            if !state.refresh_tokens.contains(&field("refresh_token")) {
                return json_error(403, "invalid_grant", "Unknown or invalid refresh token.");
            }
            state.refreshes += 1;
        }
        "password" => {
            // Everything the seed's JSON input example sends, Realm included.
            if !audience_ok
                || field("client_id").is_empty()
                || field("scope").is_empty()
                || field("Realm") != "Username-Password-Authentication"
            {
                return invalid_request("audience, client_id, scope and Realm are required");
            }
            if (field("username").as_str(), field("password").as_str())
                != ("user@example.com", "hunter2-password")
            {
                return json_error(403, "invalid_grant", "Wrong email or password.");
            }
            state.generates += 1;
        }
        "client_credentials" => {
            if !audience_ok {
                return invalid_request("audience is required");
            }
            if (field("client_id").as_str(), field("client_secret").as_str())
                != ("svc-client", "svc-secret")
            {
                return json_error(401, "access_denied", "Unauthorized");
            }
            state.generates += 1;
        }
        _ => return json_error(403, "unsupported_grant_type", "Unsupported grant type"),
    }
    let access = jwt_token("access", 86_400);
    state.access_tokens.push(access.clone());
    let mut answer = json!({ "access_token": access, "scope": "openid profile cc:update-password", "expires_in": 86400, "token_type": "Bearer" });
    if field("grant_type") != "client_credentials" {
        answer["id_token"] = Value::String(jwt_token("id", 86_400));
    }
    Response::json(200, &answer)
}

fn apinizer(state: &mut State, request: &Request) -> Response {
    if (request.method.as_str(), request.path.as_str()) != ("POST", "/apiops/auth/token") {
        return json_error(404, "not_found", "no such endpoint");
    }
    if request.header("accept") != Some("application/json") {
        return invalid_request("Accept must be application/json");
    }
    let Some(form) = request.form() else {
        return invalid_request("the body must be application/x-www-form-urlencoded");
    };
    let field = |key: &str| {
        form.iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    };
    if field("grant_type") != "client_credentials" {
        return json_error(400, "unsupported_grant_type", "Unsupported grant type");
    }
    if (field("client_id"), field("client_secret")) != ("admin", "p@ss w&rd=1") {
        return json_error(401, "unauthorized_client", "Bad credentials");
    }
    state.generates += 1;
    let now = Utc::now();
    let (token, answer) = match state.expires_mode {
        ExpiresMode::Seconds => {
            let token = format!("apz-{}", random_hex());
            (
                token.clone(),
                json!({ "access_token": token, "token_type": "Bearer", "expires_in": 3600 }),
            )
        }
        ExpiresMode::EpochMs => {
            let token = format!("apz-{}", random_hex());
            (
                token.clone(),
                json!({ "access_token": token, "expires_in": now.timestamp_millis() + 3_600_000 }),
            )
        }
        ExpiresMode::JwtOnly => {
            let token = jwt_token("access", 7200);
            (token.clone(), json!({ "access_token": token }))
        }
    };
    state.access_tokens.push(token);
    Response::json(200, &answer)
}

/// Aruba fake credentials.
pub const ARUBA_CLIENT: (&str, &str) = ("aruba-client", "aruba-secret");

/// `add central`: an Aruba Central account that signs in with the three-step login (the
/// `authorization_code` grant) on `fake`, as the registered client and user.
pub fn add_aruba_code_account(home: &super::Home, fake: &Fake) {
    home.add(
        "central --provider aruba-central --grant authorization_code --customer-id cust-789",
        &[
            "--url",
            &fake.url(),
            "--client-id",
            ARUBA_CLIENT.0,
            "--username",
            "netops@example.com",
        ],
        &[
            ("TOKENWALLET_CLIENT_SECRET", ARUBA_CLIENT.1),
            ("TOKENWALLET_PASSWORD", "central-pw"),
        ],
    )
    .ok();
}

/// `import central`: the Aruba Central token file at `file` (downloaded from the portal),
/// imported as the registered client of `fake`.
pub fn import_aruba_download(home: &super::Home, fake: &Fake, file: &str) {
    home.run_words(
        "import central --provider aruba-central --file",
        &[file, "--url", &fake.url(), "--client-id", ARUBA_CLIENT.0],
        &[("TOKENWALLET_CLIENT_SECRET", ARUBA_CLIENT.1)],
    )
    .ok();
}

fn aruba(state: &mut State, request: &Request) -> Response {
    let client_ok = request.query_param("client_id") == Some(ARUBA_CLIENT.0);
    match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/oauth2/authorize/central/api/login") => {
            let body = request.json().unwrap_or_default();
            let ok = client_ok
                && body.get("username").and_then(Value::as_str) == Some("netops@example.com")
                && body.get("password").and_then(Value::as_str) == Some("central-pw");
            if !ok {
                return json_error(401, "invalid_credentials", "Invalid username or password");
            }
            Response::json(200, &json!({ "status": true }))
                .with_header("Set-Cookie", "csrftoken=csrf-123; Path=/; Secure")
                .with_header("Set-Cookie", "session=sess-456; Path=/; HttpOnly")
        }
        ("POST", "/oauth2/authorize/central/api") => {
            let body = request.json().unwrap_or_default();
            let ok = client_ok
                && request.query_param("response_type") == Some("code")
                && request.query_param("scope") == Some("all")
                && request.header("x-csrf-token") == Some("csrf-123")
                && request
                    .header("cookie")
                    .is_some_and(|c| c.split(';').any(|p| p.trim() == "session=sess-456"))
                && body.get("customer_id").and_then(Value::as_str) == Some("cust-789");
            if !ok {
                return json_error(
                    401,
                    "invalid_request",
                    "login session, CSRF token or customer id missing",
                );
            }
            let code = format!("code-{}", random_hex());
            state.codes.insert(code.clone());
            Response::json(200, &json!({ "auth_code": code }))
        }
        ("POST", "/oauth2/token") => {
            if !request.body.is_empty() {
                return invalid_request("parameters go in the query string, not the body");
            }
            if !client_ok || request.query_param("client_secret") != Some(ARUBA_CLIENT.1) {
                return json_error(401, "invalid_client", "Invalid client credentials");
            }
            match request.query_param("grant_type") {
                Some("refresh_token") => {
                    let presented = request.query_param("refresh_token").unwrap_or("");
                    if !state.refresh_tokens.remove(presented) {
                        return json_error(400, "invalid_grant", "Invalid refresh token");
                    }
                    state.refreshes += 1;
                }
                Some("authorization_code") => {
                    if !state
                        .codes
                        .remove(request.query_param("code").unwrap_or(""))
                    {
                        return json_error(400, "invalid_grant", "Invalid authorization code");
                    }
                    state.generates += 1;
                }
                _ => return json_error(400, "unsupported_grant_type", "Unsupported grant type"),
            }
            let access = format!("aruba-at-{}", random_hex());
            let refresh = format!("aruba-rt-{}", random_hex());
            state.refresh_tokens.insert(refresh.clone());
            state.access_tokens.push(access.clone());
            Response::json(
                200,
                &json!({ "refresh_token": refresh, "token_type": "bearer", "access_token": access, "expires_in": 7200 }),
            )
        }
        _ => json_error(404, "not_found", "no such endpoint"),
    }
}

/// The token JSON the Aruba API Gateway page downloads.
pub fn aruba_download(access: &str, refresh: &str, created_at_ms: i64) -> String {
    json!({
        "access_token": access, "appname": "wallet-test", "authenticated_userid": "netops@example.com",
        "created_at": created_at_ms, "credential_id": "cred-1", "expires_in": 7200, "id": "tok-1",
        "refresh_token": refresh, "scope": "all", "token_type": "bearer"
    })
    .to_string()
}
