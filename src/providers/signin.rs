//! Signing a person in at an OAuth 2.0 server: the authorization code grant with PKCE
//! through the system browser and a loopback listener (RFC 6749 §4.1, RFC 7636, RFC 8252,
//! RFC 9207's `iss`), and the device authorization grant (RFC 8628).

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::header::ACCEPT;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

use super::token_endpoint::{authed, token_request};
use super::{Call, Issued, ProviderError, checked_url};
use crate::model::{Field, decode_jwt};

/// How long a sign-in waits for the person, by default.
pub const SIGN_IN_TIMEOUT: Duration = Duration::from_mins(5);

/// The front's side of a sign-in: it opens the browser, shows the device code, and says
/// when the person cancelled.
pub trait SignIn: Send + Sync {
    /// Opens `url` in the person's browser, and shows it so they can open it themselves.
    fn open(&self, url: &str);
    /// Shows the code to enter at the verification address.
    fn device_code(&self, code: &DeviceCode);
    /// Whether the person cancelled the sign-in.
    fn cancelled(&self) -> bool;
    /// How long to wait for the person.
    fn timeout(&self) -> Duration {
        SIGN_IN_TIMEOUT
    }
}

/// What the person needs to sign in on another device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceCode {
    /// The code to type.
    pub user_code: String,
    /// Where to type it.
    pub verification_uri: String,
    /// The same address with the code filled in, if the server gives one.
    pub verification_uri_complete: Option<String>,
    /// How long the code is good for.
    pub expires_in_secs: u64,
}

fn random_text(bytes: usize) -> Result<String, ProviderError> {
    let mut buf = vec![0; bytes];
    getrandom::fill(&mut buf)
        .map_err(|err| ProviderError::SignIn(format!("no randomness for the sign-in ({err})")))?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

/// Signs in through the browser and trades the code for tokens.
pub async fn browser(call: Call<'_>) -> Result<Issued, ProviderError> {
    let sign_in = call.sign_in.ok_or(ProviderError::SignInRequired)?;
    let client_id = call.field(Field::ClientId)?;
    let mut url = checked_url(call.field(Field::AuthUrl)?)?;
    let listener = Listener::bind(call.account.redirect_uri.as_deref()).await?;
    let redirect_uri = listener.redirect_uri.clone();
    let verifier = random_text(32)?;
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let state = random_text(16)?;
    let scope = call.account.scope.clone().unwrap_or_default();
    let openid = scope.split_whitespace().any(|s| s == "openid");
    let nonce = random_text(16)?;
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("state", &state)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        if !scope.is_empty() {
            query.append_pair("scope", &scope);
        }
        if openid {
            query.append_pair("nonce", &nonce);
        }
        // OpenID Connect grants offline_access (a refresh token) only after consent.
        if scope.split_whitespace().any(|s| s == "offline_access") {
            query.append_pair("prompt", "consent");
        }
    }
    sign_in.open(url.as_str());
    let expected = Expected {
        path: listener.path.clone(),
        state: state.clone(),
        issuer: call.account.issuer.clone(),
        issuer_required: call.account.issuer_in_response,
        account: call.account.name.clone(),
    };
    let code = listener.wait(expected, sign_in).await?;
    let params = vec![
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect_uri.as_str()),
        ("code_verifier", verifier.as_str()),
    ];
    let issued = token_request(call, params).await?;
    if openid {
        check_id_token(call, &issued, Some(&nonce))?;
    }
    Ok(issued)
}

/// Basic ID token checks (issuer, audience, expiry, and the nonce where the flow sent one);
/// the signature is not verified: the token came straight from the token endpoint over the
/// checked connection.
fn check_id_token(
    call: Call<'_>,
    issued: &Issued,
    nonce: Option<&str>,
) -> Result<(), ProviderError> {
    let Some(id_token) = issued.id_token.as_ref() else {
        return Ok(());
    };
    let client_id = call.field(Field::ClientId)?;
    id_token_claims(
        id_token.expose(),
        call.account.issuer.as_deref(),
        client_id,
        call.now,
        nonce,
    )
}

/// [`check_id_token`] on the token's claims.
fn id_token_claims(
    id_token: &str,
    issuer: Option<&str>,
    client_id: &str,
    now: chrono::DateTime<chrono::Utc>,
    nonce: Option<&str>,
) -> Result<(), ProviderError> {
    let bad = |what: &str| ProviderError::BadResponse(format!("the ID token {what}"));
    let jwt = decode_jwt(id_token).ok_or_else(|| bad("is not a JWT"))?;
    let claim = |name: &str| jwt.payload.get(name).and_then(Value::as_str);
    if let Some(issuer) = issuer
        && claim("iss").map(|i| i.trim_end_matches('/')) != Some(issuer.trim_end_matches('/'))
    {
        return Err(bad("names another issuer"));
    }
    let audience_ok = match jwt.payload.get("aud") {
        Some(Value::String(aud)) => aud == client_id,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(client_id)),
        _ => false,
    };
    if !audience_ok {
        return Err(bad("is for another client"));
    }
    if jwt.expires_at().is_some_and(|exp| exp <= now) {
        return Err(bad("has expired"));
    }
    if let Some(nonce) = nonce
        && claim("nonce") != Some(nonce)
    {
        return Err(bad("does not carry this sign-in's nonce"));
    }
    Ok(())
}

/// What a callback must match.
struct Expected {
    path: String,
    state: String,
    issuer: Option<String>,
    /// The server always names itself in the answer (RFC 9207): an answer without `iss`
    /// did not come from it.
    issuer_required: bool,
    account: String,
}

/// The most callback connections answered at once: the browser needs one (two with a
/// favicon request); more only come from someone else, and are closed unanswered.
const MAX_CALLBACK_CONNECTIONS: usize = 16;

/// How long a connection may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// The loopback listener for the redirect: one path, on 127.0.0.1 only.
struct Listener {
    socket: TcpListener,
    path: String,
    redirect_uri: String,
}

impl Listener {
    /// Binds 127.0.0.1 on the port of `redirect_uri` (or a free one), path `/callback`
    /// unless the URI gives another.
    async fn bind(redirect_uri: Option<&str>) -> Result<Self, ProviderError> {
        let wanted =
            match redirect_uri {
                Some(uri) => Some(Url::parse(uri).map_err(|err| {
                    ProviderError::BadUrl(format!("the redirect URI {uri}: {err}"))
                })?),
                None => None,
            };
        if let Some(url) = &wanted
            && (url.scheme() != "http" || url.host_str() != Some("127.0.0.1"))
        {
            return Err(ProviderError::BadUrl(
                "the redirect URI must be http://127.0.0.1:PORT/path".to_owned(),
            ));
        }
        let port = wanted.as_ref().and_then(Url::port).unwrap_or(0);
        let path = wanted
            .as_ref()
            .map_or("/callback".to_owned(), |url| url.path().to_owned());
        let listener = TcpListener::bind(("127.0.0.1", port)).await.map_err(|err| {
            ProviderError::SignIn(format!(
                "port {port} on 127.0.0.1 could not be opened for the sign-in ({err}); close what uses it or choose another redirect URI"
            ))
        })?;
        let port = listener
            .local_addr()
            .map_err(|err| ProviderError::SignIn(err.to_string()))?
            .port();
        Ok(Self {
            socket: listener,
            redirect_uri: format!("http://127.0.0.1:{port}{path}"),
            path,
        })
    }

    /// Answers requests until a valid callback, a failure, the deadline or a cancel;
    /// returns the authorization code. Connections are answered side by side, so an idle
    /// or slow one (any local user can connect) delays nobody, and the deadline and the
    /// cancel are checked at every turn. The listener and every open connection close when
    /// this returns.
    async fn wait(self, expected: Expected, sign_in: &dyn SignIn) -> Result<String, ProviderError> {
        let expected = std::sync::Arc::new(expected);
        let deadline = tokio::time::Instant::now() + sign_in.timeout();
        let mut answering = tokio::task::JoinSet::new();
        loop {
            if sign_in.cancelled() {
                return Err(ProviderError::SignIn(
                    "the sign-in was cancelled".to_owned(),
                ));
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ProviderError::SignIn(format!(
                    "no answer from the browser within {} minutes; try again",
                    sign_in.timeout().as_secs().div_ceil(60)
                )));
            }
            tokio::select! {
                accepted = self.socket.accept() => {
                    if let Ok((stream, _)) = accepted
                        && answering.len() < MAX_CALLBACK_CONNECTIONS
                    {
                        answering.spawn(answer(stream, std::sync::Arc::clone(&expected)));
                    }
                }
                Some(answered) = answering.join_next() => {
                    if let Ok(Some(outcome)) = answered {
                        return outcome;
                    }
                }
                () = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
        }
    }
}

/// Handles one request: `Some` ends the sign-in, `None` waits for another.
async fn answer(
    mut stream: TcpStream,
    expected: std::sync::Arc<Expected>,
) -> Option<Result<String, ProviderError>> {
    let head = read_head(&mut stream).await?;
    let target = head
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("GET "))
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_default();
    let url = Url::parse(&format!("http://127.0.0.1{target}")).ok()?;
    if url.path() != expected.path {
        respond(&mut stream, 404, "Not found.").await;
        return None;
    }
    let param = |name: &str| {
        url.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    if param("state").as_deref() != Some(expected.state.as_str()) {
        respond(
            &mut stream,
            400,
            "This answer does not belong to the sign-in in progress; nothing was stored.",
        )
        .await;
        return None;
    }
    if expected.issuer_required && param("iss").is_none() {
        respond(
            &mut stream,
            400,
            "The answer does not name the server it came from; nothing was stored.",
        )
        .await;
        return Some(Err(ProviderError::BadResponse(
            "the sign-in answer does not name its issuer, which this server always does (RFC 9207): it may come from another server; nothing was stored".to_owned(),
        )));
    }
    if let (Some(iss), Some(issuer)) = (param("iss"), expected.issuer.as_deref())
        && iss.trim_end_matches('/') != issuer.trim_end_matches('/')
    {
        respond(
            &mut stream,
            400,
            "The answer came from another server; nothing was stored.",
        )
        .await;
        return Some(Err(ProviderError::BadResponse(format!(
            "the sign-in answer names the issuer '{iss}', not '{issuer}'"
        ))));
    }
    if let Some(error) = param("error") {
        let description = param("error_description").unwrap_or_else(|| error.clone());
        respond(
            &mut stream,
            200,
            &format!("Sign-in failed: {description}. Nothing was stored; you can close this tab."),
        )
        .await;
        return Some(Err(ProviderError::Rejected {
            status: 400,
            code: Some(error),
            message: description,
        }));
    }
    let code = param("code")?;
    respond(
        &mut stream,
        200,
        &format!("Signed in to {}. You can close this tab.", expected.account),
    )
    .await;
    Some(Ok(code))
}

/// Reads a request's head (up to the blank line, at most 8 KiB, within [`HEAD_TIMEOUT`]).
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0; 1024];
    let deadline = tokio::time::Instant::now() + HEAD_TIMEOUT;
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
        let read = tokio::time::timeout_at(deadline, stream.read(&mut buf))
            .await
            .ok()?
            .ok()?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&buf[..read]);
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

/// A small page for the browser.
async fn respond(stream: &mut TcpStream, status: u16, text: &str) {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let body = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>tokenwallet</title></head><body><p>{escaped}</p></body></html>"
    );
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let reply = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(reply.as_bytes()).await.ok();
    stream.shutdown().await.ok();
}

/// Signs in on another device: shows a code, then polls the token endpoint.
pub async fn device(call: Call<'_>) -> Result<Issued, ProviderError> {
    let sign_in = call.sign_in.ok_or(ProviderError::SignInRequired)?;
    let code = authorize_device(call).await?;
    sign_in.device_code(&code.shown);
    let deadline = tokio::time::Instant::now()
        + Duration::from_secs(code.shown.expires_in_secs).min(sign_in.timeout());
    let mut interval = code.interval;
    loop {
        wait(interval, sign_in).await?;
        if tokio::time::Instant::now() >= deadline {
            return Err(ProviderError::SignIn(
                "the device code expired before the sign-in was finished; try again".to_owned(),
            ));
        }
        let params = vec![
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", code.device_code.as_str()),
        ];
        match token_request(call, params).await {
            // The device flow has no nonce; the rest of the ID token is checked as in the
            // browser flow.
            Ok(issued) => return check_id_token(call, &issued, None).map(|()| issued),
            Err(ProviderError::Rejected { code: Some(c), .. }) if c == "authorization_pending" => {}
            Err(ProviderError::Rejected { code: Some(c), .. }) if c == "slow_down" => {
                interval += Duration::from_secs(5);
            }
            Err(err) => return Err(err),
        }
    }
}

/// Waits `interval`, watching for a cancel.
async fn wait(interval: Duration, sign_in: &dyn SignIn) -> Result<(), ProviderError> {
    let until = tokio::time::Instant::now() + interval;
    while tokio::time::Instant::now() < until {
        if sign_in.cancelled() {
            return Err(ProviderError::SignIn(
                "the sign-in was cancelled".to_owned(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(100).min(interval)).await;
    }
    Ok(())
}

/// A device authorization answer.
struct DeviceAuthorization {
    device_code: String,
    interval: Duration,
    shown: DeviceCode,
}

async fn authorize_device(call: Call<'_>) -> Result<DeviceAuthorization, ProviderError> {
    let url = checked_url(call.field(Field::DeviceUrl)?)?;
    let mut params = Vec::new();
    if let Some(scope) = call.account.scope.as_deref() {
        params.push(("scope", scope));
    }
    let request = authed(call, call.http.post(url), params)?.header(ACCEPT, "application/json");
    let json = call.http.send(request).await?.ok_json()?;
    let text = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_owned);
    let missing = |key: &str| ProviderError::BadResponse(format!("the device answer has no {key}"));
    let verification_uri = text("verification_uri")
        .or_else(|| text("verification_url"))
        .ok_or_else(|| missing("verification_uri"))?;
    checked_url(&verification_uri)?;
    Ok(DeviceAuthorization {
        device_code: text("device_code").ok_or_else(|| missing("device_code"))?,
        interval: Duration::from_secs(
            json.get("interval")
                .and_then(Value::as_u64)
                .unwrap_or(5)
                .clamp(1, 60),
        ),
        shown: DeviceCode {
            user_code: text("user_code").ok_or_else(|| missing("user_code"))?,
            verification_uri,
            verification_uri_complete: text("verification_uri_complete"),
            expires_in_secs: json
                .get("expires_in")
                .and_then(Value::as_u64)
                .unwrap_or(600),
        },
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// A person who never cancels, with a deadline of our choosing.
    struct Patient(Duration);

    impl SignIn for Patient {
        fn open(&self, _url: &str) {}
        fn device_code(&self, _code: &DeviceCode) {}
        fn cancelled(&self) -> bool {
            false
        }
        fn timeout(&self) -> Duration {
            self.0
        }
    }

    /// A listener waiting for the state `s1`, and the address it listens on.
    async fn listening(
        timeout: Duration,
    ) -> (
        std::net::SocketAddr,
        tokio::task::JoinHandle<Result<String, ProviderError>>,
    ) {
        let listener = Listener::bind(None).await.unwrap();
        let addr = listener.socket.local_addr().unwrap();
        let expected = Expected {
            path: listener.path.clone(),
            state: "s1".to_owned(),
            issuer: None,
            issuer_required: false,
            account: "me".to_owned(),
        };
        let waiting = tokio::spawn(async move {
            let person = Patient(timeout);
            listener.wait(expected, &person).await
        });
        (addr, waiting)
    }

    // Issue 16, item 15: the device flow's ID token was not checked at all.
    #[test]
    fn an_id_token_is_checked_without_a_nonce_where_the_flow_has_none() {
        use crate::demo::oauth::jwt;
        let now = chrono::Utc::now();
        let token = |aud: &str, iss: &str, exp: i64| {
            jwt(
                &serde_json::json!({"iss": iss, "aud": aud, "exp": now.timestamp() + exp, "sub": "me"}),
            )
        };
        let check = |t: &str, nonce| id_token_claims(t, Some("https://idp"), "cli", now, nonce);
        check(&token("cli", "https://idp/", 60), None).unwrap();
        for bad in [
            token("other", "https://idp", 60),
            token("cli", "https://evil", 60),
            token("cli", "https://idp", -60),
        ] {
            assert!(check(&bad, None).is_err(), "{bad}");
        }
        // Where the flow sent a nonce, the token must carry it.
        assert!(check(&token("cli", "https://idp", 60), Some("n1")).is_err());
    }

    // Issue 16, item 7: one idle connection held the callback up for 5 s.
    #[tokio::test]
    async fn an_idle_connection_does_not_hold_up_the_callback() {
        let (addr, waiting) = listening(Duration::from_mins(1)).await;
        let _idle = TcpStream::connect(addr).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut callback = TcpStream::connect(addr).await.unwrap();
        callback
            .write_all(b"GET /callback?code=c1&state=s1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .unwrap();
        let mut reply = Vec::new();
        // Answered while the idle connection still has seconds left of its head timeout.
        tokio::time::timeout(
            HEAD_TIMEOUT.saturating_sub(Duration::from_secs(2)),
            callback.read_to_end(&mut reply),
        )
        .await
        .expect("the callback waited for the idle connection")
        .unwrap();
        assert!(reply.starts_with(b"HTTP/1.1 200"), "{reply:?}");
        assert_eq!(waiting.await.unwrap().unwrap(), "c1");
    }

    // Issue 16, item 7: a steady trickle of connections kept the sign-in open for good.
    #[tokio::test]
    async fn a_trickle_of_connections_does_not_outlive_the_deadline() {
        let (addr, waiting) = listening(Duration::from_secs(1)).await;
        let flood = tokio::spawn(async move {
            let mut held = Vec::new();
            loop {
                if let Ok(stream) = TcpStream::connect(addr).await {
                    held.push(stream);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        let outcome = tokio::time::timeout(Duration::from_secs(30), waiting)
            .await
            .expect("the sign-in outlived its deadline under a trickle of connections")
            .unwrap();
        flood.abort();
        assert!(
            matches!(&outcome, Err(ProviderError::SignIn(m)) if m.contains("no answer")),
            "{outcome:?}"
        );
    }
}
