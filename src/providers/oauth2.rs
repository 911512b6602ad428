//! Any RFC 6749 server: `client_credentials`, `password` and `refresh_token` grants with
//! form bodies, client authentication by HTTP Basic or in the body, RFC 8414 / OpenID
//! Connect discovery, and RFC 7009 revocation.

use reqwest::header::ACCEPT;
use serde_json::Value;

use super::signin;
use super::token_endpoint::{authed, token_request};
use super::{Catalog, 
    Call, Http, Issued, O, ProviderError, R, RevokeSupport, Revoked, Spec, UrlMeaning, checked_url,
    flows,
};
use crate::model::{Account, ClientAuth, Field, FieldRule, Grant, Lifetimes, Need};

/// The fields each grant takes; `r` required, `o` optional.
#[rustfmt::skip]
fn fields(grant: Grant) -> &'static [FieldRule] {
    use Field::{Audience, AuthUrl, ClientAuth, ClientId, ClientSecret, DeviceUrl, Issuer, Password, RedirectUri, RefreshToken, RevokeUrl, Scope, Url, Username};
    const URL: Need = Need::RequiredUnless(Issuer);
    const AUTH: Need = Need::RequiredUnless(Issuer);
    const DEVICE: Need = Need::RequiredUnless(Issuer);
    match grant {
        Grant::ClientCredentials => &[(ClientId, R), (ClientSecret, R), (Url, URL), (Scope, O), (Audience, O), (Issuer, O), (RevokeUrl, O), (ClientAuth, O)],
        Grant::Password => &[(ClientId, R), (ClientSecret, O), (Username, R), (Password, R), (Url, URL), (Scope, O), (Audience, O), (Issuer, O), (RevokeUrl, O), (ClientAuth, O)],
        Grant::AuthorizationCode => &[(ClientId, R), (ClientSecret, O), (Url, URL), (AuthUrl, AUTH), (Scope, O), (Audience, O), (Issuer, O), (RevokeUrl, O), (RedirectUri, O), (ClientAuth, O)],
        Grant::DeviceCode => &[(ClientId, R), (ClientSecret, O), (Url, URL), (DeviceUrl, DEVICE), (Scope, O), (Audience, O), (Issuer, O), (RevokeUrl, O), (ClientAuth, O)],
        Grant::RefreshToken => &[(ClientId, R), (ClientSecret, O), (RefreshToken, R), (Url, URL), (Scope, O), (Audience, O), (Issuer, O), (RevokeUrl, O), (ClientAuth, O)],
    }
}

/// The generic provider's facts.
pub static SPEC: Spec = Spec {
    id: "oauth2",
    label: "OAuth 2.0",
    long_label: "any OAuth 2.0 server",
    palette: 4,
    default_url: None,
    url_meaning: UrlMeaning::TokenEndpoint,
    presets: &[],
    grants: &[
        Grant::ClientCredentials,
        Grant::AuthorizationCode,
        Grant::DeviceCode,
        Grant::Password,
        Grant::RefreshToken,
    ],
    fields,
    import_fields: &[Field::ClientId, Field::ClientSecret],
    person_grants: &[Grant::AuthorizationCode, Grant::DeviceCode],
    lifetimes: Lifetimes::secs(None, None),
    generate_limit: None,
    revoke: RevokeSupport::Api,
    sign_in_help: "Sign in again: Generate (Sign in) opens the sign-in in the browser or shows a code for another device; for other grants, add the account again with a new refresh token, or use client credentials.",
    header_name: "Authorization",
    bearer: true,
    api_example: "https://api.example.com/",
    api_at_account_url: false,
    catalog: Catalog::None,
    flows: flows!(revoke: Some(|call| Box::pin(revoke(call))), complete: Some(|http, account| Box::pin(complete(http, account)))),
};

/// Fills in the endpoints of an account with an issuer (RFC 8414 / OpenID Connect
/// discovery); the account's own values win.
pub async fn complete(http: &Http, account: &mut Account) -> Result<(), ProviderError> {
    let Some(issuer) = account.issuer.clone() else {
        return Ok(());
    };
    let found = discover(http, &issuer).await?;
    account.url.get_or_insert(found.token_endpoint);
    if account.revoke_url.is_none() {
        account.revoke_url = found.revocation_endpoint;
    }
    if let Some(auth) = found.client_auth {
        account.client_auth = auth;
    }
    if account.auth_url.is_none() {
        account.auth_url = found.authorization_endpoint;
    }
    if account.device_url.is_none() {
        account.device_url = found.device_authorization_endpoint;
    }
    account.issuer_in_response = found.issuer_in_response;
    Ok(())
}

/// Endpoints learnt from an issuer's metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discovered {
    /// `token_endpoint`.
    pub token_endpoint: String,
    /// `revocation_endpoint`, if the server has one.
    pub revocation_endpoint: Option<String>,
    /// `client_secret_post` when the server lists it and not `client_secret_basic`.
    pub client_auth: Option<ClientAuth>,
    /// `authorization_endpoint`, for signing in through the browser.
    pub authorization_endpoint: Option<String>,
    /// `device_authorization_endpoint` (RFC 8628).
    pub device_authorization_endpoint: Option<String>,
    /// `authorization_response_iss_parameter_supported` (RFC 9207).
    pub issuer_in_response: bool,
}

/// Reads RFC 8414 metadata, then OpenID Connect discovery, from `issuer`.
pub async fn discover(http: &Http, issuer: &str) -> Result<Discovered, ProviderError> {
    let issuer_url = checked_url(issuer)?;
    let trimmed = issuer_url.as_str().trim_end_matches('/');
    let mut last_error = None;
    for well_known in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let url = checked_url(&format!("{trimmed}{well_known}"))?;
        let reply = http
            .send(http.get(url).header(ACCEPT, "application/json"))
            .await?;
        match reply.ok_json() {
            Ok(json) => {
                check_issuer(&json, trimmed)?;
                return discovered_from(&json);
            }
            Err(err) => last_error = Some(err),
        }
    }
    Err(last_error.unwrap_or_else(|| ProviderError::BadResponse("no metadata".to_owned())))
}

/// RFC 8414 §3.3 / OIDC Discovery §4.3: the metadata's `issuer` must be the issuer asked
/// for, or the metadata may be an impostor's.
fn check_issuer(json: &Value, asked: &str) -> Result<(), ProviderError> {
    let found = json
        .get("issuer")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if found.trim_end_matches('/') == asked.trim_end_matches('/') {
        Ok(())
    } else {
        Err(ProviderError::BadResponse(format!(
            "the server's metadata names the issuer '{found}', not '{asked}' as configured"
        )))
    }
}

fn discovered_from(json: &Value) -> Result<Discovered, ProviderError> {
    let text = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_owned);
    let token_endpoint = text("token_endpoint").ok_or_else(|| {
        ProviderError::BadResponse("the server metadata has no token_endpoint".to_owned())
    })?;
    checked_url(&token_endpoint)?;
    let revocation_endpoint = text("revocation_endpoint");
    if let Some(url) = &revocation_endpoint {
        checked_url(url)?;
    }
    let methods: Vec<&str> = json
        .get("token_endpoint_auth_methods_supported")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let client_auth = (methods.contains(&"client_secret_post")
        && !methods.contains(&"client_secret_basic"))
    .then_some(ClientAuth::Post);
    Ok(Discovered {
        token_endpoint,
        revocation_endpoint,
        client_auth,
        authorization_endpoint: checked_text(json, "authorization_endpoint")?,
        device_authorization_endpoint: checked_text(json, "device_authorization_endpoint")?,
        issuer_in_response: json
            .get("authorization_response_iss_parameter_supported")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

/// An endpoint of the metadata, checked like every URL (https, or http to loopback).
fn checked_text(json: &Value, key: &str) -> Result<Option<String>, ProviderError> {
    match json.get(key).and_then(Value::as_str) {
        Some(url) => {
            checked_url(url)?;
            Ok(Some(url.to_owned()))
        }
        None => Ok(None),
    }
}

/// Obtains a token with the account's grant.
pub async fn generate(call: Call<'_>) -> Result<Issued, ProviderError> {
    let account = call.account;
    let mut params: Vec<(&str, &str)> = vec![("grant_type", account.grant.id())];
    match account.grant {
        Grant::ClientCredentials => {}
        Grant::Password => {
            params.push(("username", call.field(Field::Username)?));
            params.push(("password", call.secret(Field::Password)?));
        }
        Grant::RefreshToken => return refresh(call).await,
        Grant::AuthorizationCode => return signin::browser(call).await,
        Grant::DeviceCode => return signin::device(call).await,
    }
    if let Some(scope) = &account.scope {
        params.push(("scope", scope));
    }
    if let Some(audience) = &account.audience {
        params.push(("audience", audience));
    }
    token_request(call, params).await
}

/// The `refresh_token` grant. With no refresh token stored, a client-credentials or
/// password account simply asks again.
pub async fn refresh(call: Call<'_>) -> Result<Issued, ProviderError> {
    let Some(refresh_token) = call.secrets.refresh_token.as_ref() else {
        if matches!(
            call.account.grant,
            Grant::ClientCredentials | Grant::Password
        ) {
            return Box::pin(generate(call)).await;
        }
        return Err(ProviderError::Unsupported(
            "no refresh token is stored for this account".to_owned(),
        ));
    };
    let params = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.expose()),
    ];
    token_request(call, params).await
}

/// RFC 7009: revokes the refresh token (which ends the grant), then the access token.
/// 200 means done, even for unknown tokens; 503 means the token is still valid.
pub async fn revoke(call: Call<'_>) -> Result<Revoked, ProviderError> {
    let Some(endpoint) = call.account.revoke_url.as_deref() else {
        return Ok(Revoked::PortalOnly(
            "This OAuth server has no revocation endpoint configured (set the account's revocation endpoint or issuer): the wallet forgot its copy; revoke the grant at the server.",
        ));
    };
    let url = checked_url(endpoint)?;
    let tokens = [
        (call.secrets.refresh_token.as_ref(), "refresh_token"),
        (call.secrets.access_token.as_ref(), "access_token"),
    ];
    let mut grant_ended = false;
    for (token, hint) in tokens {
        let Some(token) = token else { continue };
        let params = vec![("token", token.expose()), ("token_type_hint", hint)];
        let request = authed(call, call.http.post(url.clone()), params)?;
        let result = match call.http.send(request).await {
            Ok(reply) if (200..300).contains(&reply.status) => Ok(()),
            Ok(reply) => Err(reply.into_error()),
            Err(err) => Err(err),
        }
        // The server's words may quote the token it refused: never log or show it.
        .map_err(|err| err.redacted(call.secrets.values()));
        match result {
            Ok(()) => grant_ended |= hint == "refresh_token",
            // The refresh token is revoked, so the stored tokens are dead either way: forget
            // them rather than keep a token that no longer works; the access token expires.
            Err(err) if grant_ended => {
                tracing::warn!(error = %err, "revoking the access token failed after the refresh token was revoked");
            }
            Err(err) => return Err(err),
        }
    }
    Ok(Revoked::AtServer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_prefers_basic_unless_only_post_is_listed() {
        let json: Value = serde_json::from_str(
            r#"{"token_endpoint":"https://as/token","revocation_endpoint":"https://as/revoke","token_endpoint_auth_methods_supported":["client_secret_post"]}"#,
        )
        .unwrap();
        let found = discovered_from(&json).unwrap();
        assert_eq!(found.token_endpoint, "https://as/token");
        assert_eq!(
            found.revocation_endpoint.as_deref(),
            Some("https://as/revoke")
        );
        assert_eq!(found.client_auth, Some(ClientAuth::Post));
        let both: Value = serde_json::from_str(
            r#"{"token_endpoint":"https://as/token","token_endpoint_auth_methods_supported":["client_secret_basic","client_secret_post"]}"#,
        )
        .unwrap();
        assert_eq!(discovered_from(&both).unwrap().client_auth, None);
    }

    #[test]
    fn discovery_refuses_insecure_endpoints() {
        let json: Value =
            serde_json::from_str(r#"{"token_endpoint":"http://as.example/token"}"#).unwrap();
        assert!(matches!(
            discovered_from(&json),
            Err(ProviderError::InsecureUrl(_))
        ));
    }
}
