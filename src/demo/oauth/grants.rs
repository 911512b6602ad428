//! The demo server's endpoints: client authentication, the token endpoint's grants
//! (client credentials, password, authorization code with PKCE, device code, refresh with
//! rotation and reuse detection), the authorization and device endpoints, and revocation.

use super::*;

/// Authenticates the client by its registered method only; `Err` is the response to send.
fn authenticate(
    state: &State,
    request: &Request,
    form: &[(String, String)],
) -> Result<Client, Response> {
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let basic = request
        .header("authorization")
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| {
            let decoded = String::from_utf8(STANDARD.decode(b.trim()).ok()?).ok()?;
            let (id, secret) = decoded.split_once(':')?;
            let unescape = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
            };
            Some((unescape(id)?, unescape(secret)?))
        });
    let posted =
        field("client_secret").map(|secret| (field("client_id").unwrap_or_default(), secret));
    let (presented, method) = match (basic, posted) {
        (Some(_), Some(_)) => {
            return Err(error(
                400,
                "invalid_request",
                "more than one client authentication method",
            ));
        }
        (Some(pair), None) => (pair, ClientAuth::Basic),
        (None, Some(pair)) => (pair, ClientAuth::Post),
        (None, None) => {
            return Err(error(
                401,
                "invalid_client",
                "client authentication is required",
            ));
        }
    };
    let client = state
        .config
        .clients
        .iter()
        .find(|c| c.id == presented.0 && c.secret == presented.1);
    match client {
        Some(client) if client.auth == method => Ok(client.clone()),
        Some(_) => Err(error(
            401,
            "invalid_client",
            "this client must use its registered authentication method",
        )),
        None => Err(error(
            401,
            "invalid_client",
            "unknown client or wrong secret",
        )),
    }
}

pub(super) fn token(state: &mut State, issuer: &str, request: &Request) -> Response {
    let Some(form) = request.form() else {
        return error(
            400,
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        );
    };
    let client = match authenticate(state, request, &form) {
        Ok(client) => client,
        Err(response) => return response,
    };
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let scope = field("scope").unwrap_or("api:read").to_owned();
    let (subject, family, with_refresh) = match field("grant_type") {
        Some("client_credentials") => (client.id.clone(), state.new_family(), false),
        Some("password") => match password_grant(state, field("username"), field("password")) {
            Ok(grant) => grant,
            Err(response) => return response,
        },
        Some("authorization_code") => match code_grant(state, &client.id, &form) {
            Ok(grant) => grant,
            Err(response) => return response,
        },
        Some("urn:ietf:params:oauth:grant-type:device_code") => {
            match device_grant(state, &client.id, field("device_code").unwrap_or("")) {
                Ok(grant) => grant,
                Err(response) => return response,
            }
        }
        Some("refresh_token") => {
            let presented = field("refresh_token").unwrap_or("");
            match refresh_grant(state, &client.id, presented) {
                Ok(grant) => grant,
                Err(response) => return response,
            }
        }
        Some(other) => {
            return error(
                400,
                "unsupported_grant_type",
                &format!("grant_type {other} is not supported"),
            );
        }
        None => return error(400, "invalid_request", "grant_type is required"),
    };
    let now = Utc::now().timestamp();
    let ttl = state.config.access_ttl_secs;
    let access = jwt(&json!({
        "iss": issuer, "sub": subject, "aud": "demo-api", "client_id": client.id,
        "scope": scope, "iat": now, "exp": now + ttl, "jti": random_hex(),
    }));
    state
        .access
        .insert(access.clone(), (subject.clone(), now + ttl, family));
    let mut body = json!({ "access_token": access, "token_type": "Bearer", "expires_in": ttl, "scope": scope });
    if state.omit_token_type {
        body.as_object_mut()
            .map(|fields| fields.remove("token_type"));
    }
    if with_refresh {
        let refresh = state.new_refresh(&client.id, &subject, family);
        body["refresh_token"] = Value::String(refresh);
        body["refresh_expires_in"] = json!(state.config.refresh_ttl_secs);
    }
    Response::json(200, &body).with_header("Cache-Control", "no-store")
}

/// The `password` grant: one of the configured users.
fn password_grant(
    state: &mut State,
    user: Option<&str>,
    pass: Option<&str>,
) -> Result<(String, u64, bool), Response> {
    let (Some(user), Some(pass)) = (user, pass) else {
        return Err(error(
            400,
            "invalid_request",
            "username and password are required",
        ));
    };
    if !state
        .config
        .users
        .iter()
        .any(|(u, p)| u == user && p == pass)
    {
        return Err(error(400, "invalid_grant", "wrong username or password"));
    }
    Ok((user.to_owned(), state.new_family(), true))
}

/// `GET /authorize`: the demo user is always signed in and consents at once, so this
/// answers with the redirect. Strict: a loopback redirect URI and a S256 PKCE challenge.
pub(super) fn authorize(state: &mut State, issuer: &str, request: &Request) -> Response {
    let param = |name: &str| {
        request
            .query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let (Some(client), Some(redirect), Some(challenge)) = (
        param("client_id"),
        param("redirect_uri"),
        param("code_challenge"),
    ) else {
        return error(
            400,
            "invalid_request",
            "client_id, redirect_uri and code_challenge are required",
        );
    };
    if param("response_type").as_deref() != Some("code")
        || param("code_challenge_method").as_deref() != Some("S256")
        || !redirect.starts_with("http://127.0.0.1:")
        || !state.config.clients.iter().any(|c| c.id == client)
    {
        return error(
            400,
            "invalid_request",
            "a code request with S256 PKCE to a loopback redirect",
        );
    }
    let code = random_hex();
    state
        .codes
        .insert(code.clone(), (client, challenge, redirect.clone()));
    let Ok(mut location) = url::Url::parse(&redirect) else {
        return error(400, "invalid_request", "the redirect URI is not a URL");
    };
    location
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &param("state").unwrap_or_default());
    if !state.omit_iss_in_response {
        location.query_pairs_mut().append_pair("iss", issuer);
    }
    Response::Full {
        status: 302,
        headers: vec![("Location".into(), location.to_string())],
        body: Vec::new(),
    }
}

/// The `authorization_code` grant: the code once, with its redirect URI and PKCE verifier.
fn code_grant(
    state: &mut State,
    client: &str,
    form: &[(String, String)],
) -> Result<(String, u64, bool), Response> {
    use sha2::Digest as _;
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let Some((owner, challenge, redirect)) = state.codes.remove(field("code")) else {
        return Err(error(
            400,
            "invalid_grant",
            "unknown or used authorization code",
        ));
    };
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(field("code_verifier").as_bytes()));
    if owner != client || redirect != field("redirect_uri") || computed != challenge {
        return Err(error(
            400,
            "invalid_grant",
            "the code, redirect URI or PKCE verifier does not match",
        ));
    }
    Ok(("demo".to_owned(), state.new_family(), true))
}

/// `POST /device_authorization` (RFC 8628 §3.1).
pub(super) fn device_authorization(state: &mut State, issuer: &str, request: &Request) -> Response {
    let Some(form) = request.form() else {
        return error(400, "invalid_request", "a form body is required");
    };
    let client = match authenticate(state, request, &form) {
        Ok(client) => client,
        Err(response) => return response,
    };
    let device_code = random_hex();
    let user_code = random_hex()[..8].to_ascii_uppercase();
    state
        .devices
        .insert(device_code.clone(), (client.id, user_code.clone(), false));
    Response::json(
        200,
        &json!({
            "device_code": device_code, "user_code": user_code,
            "verification_uri": format!("{issuer}/device"),
            "verification_uri_complete": format!("{issuer}/device?user_code={user_code}"),
            "expires_in": 600, "interval": 1,
        }),
    )
}

/// The device grant: pending until approved, then tokens once.
fn device_grant(
    state: &mut State,
    client: &str,
    device_code: &str,
) -> Result<(String, u64, bool), Response> {
    match state.devices.get(device_code) {
        Some((owner, _, _)) if owner != client => {
            Err(error(400, "invalid_grant", "another client's device code"))
        }
        Some((_, _, false)) => Err(error(
            400,
            "authorization_pending",
            "the person has not approved yet",
        )),
        Some((_, _, true)) => {
            state.devices.remove(device_code);
            Ok(("demo".to_owned(), state.new_family(), true))
        }
        None => Err(error(
            400,
            "expired_token",
            "unknown or expired device code",
        )),
    }
}

/// The `refresh_token` grant: rotates the presented token, and revokes the whole family
/// when a rotated-out token is presented again (reuse detection).
fn refresh_grant(
    state: &mut State,
    client_id: &str,
    presented: &str,
) -> Result<(String, u64, bool), Response> {
    let Some(entry) = state.refresh.get(presented).cloned() else {
        return Err(error(400, "invalid_grant", "unknown refresh token"));
    };
    if entry.client != client_id {
        return Err(error(
            400,
            "invalid_grant",
            "the refresh token belongs to another client",
        ));
    }
    if entry.status == RefreshStatus::RotatedOut {
        state.reuse_detected += 1;
        state.revoked_families.insert(entry.family);
        return Err(error(
            400,
            "invalid_grant",
            "refresh token reuse detected; the grant was revoked",
        ));
    }
    if entry.status == RefreshStatus::Revoked || state.revoked_families.contains(&entry.family) {
        return Err(error(400, "invalid_grant", "the refresh token was revoked"));
    }
    if entry.expires_at <= Utc::now().timestamp() {
        return Err(error(400, "invalid_grant", "the refresh token expired"));
    }
    if let Some(old) = state.refresh.get_mut(presented) {
        old.status = RefreshStatus::RotatedOut;
    }
    state.refreshes += 1;
    Ok((entry.subject, entry.family, true))
}

pub(super) fn revoke(state: &mut State, request: &Request) -> Response {
    let Some(form) = request.form() else {
        return error(
            400,
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        );
    };
    if let Err(response) = authenticate(state, request, &form) {
        return response;
    }
    state.revocations += 1;
    let token = form
        .iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    if state.refuse_access_revocation && state.access.contains_key(&token) {
        let description = format!("cannot revoke token {token}");
        return error(400, "unsupported_token_type", &description);
    }
    if let Some(entry) = state.refresh.get_mut(&token) {
        entry.status = RefreshStatus::Revoked;
        let family = entry.family;
        state.revoked_families.insert(family);
    }
    state.access.remove(&token);
    Response::Full {
        status: 200,
        headers: Vec::new(),
        body: Vec::new(),
    }
}
