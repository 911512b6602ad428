//! NetApp BlueXP / Cloud Manager: Auth0 `/oauth/token` with JSON bodies for the
//! `refresh_token`, `password` and `client_credentials` grants; Auth0 `/oauth/revoke`.

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Map, Value, json};

use super::{Catalog, 
    Call, Issued, O, ProviderError, R, RevokeSupport, Revoked, Spec, UrlMeaning, flows, join,
};
use crate::model::{Field, FieldRule, Grant, Lifetimes};

/// The constant client id of the BlueXP refresh-token flow (same for all customers).
pub const REFRESH_CLIENT_ID: &str = "Mu0V1ywgYteI6w1MbD15fKfVIUrNXGWC";
/// The client id in NetApp's password-grant example.
pub const PASSWORD_CLIENT_ID: &str = "QC3AgHk6qdbmC7Yyr82ApBwaaJLwRrNO";
/// The API audience.
pub const AUDIENCE: &str = "https://api.cloud.netapp.com";

/// The fields each grant takes; `r` required, `o` optional.
#[rustfmt::skip]
fn fields(grant: Grant) -> &'static [FieldRule] {
    use Field::{Audience, ClientId, ClientSecret, Password, RefreshToken, Scope, Url, Username};
    match grant {
        Grant::Password => &[(Url, O), (ClientId, O), (Username, R), (Password, R), (Scope, O), (Audience, O)],
        Grant::ClientCredentials => &[(Url, O), (ClientId, R), (ClientSecret, R), (Scope, O), (Audience, O)],
        _ => &[(Url, O), (ClientId, O), (RefreshToken, R), (Scope, O), (Audience, O)],
    }
}

/// BlueXP's facts.
pub static SPEC: Spec = Spec {
    id: "bluexp",
    label: "BlueXP",
    long_label: "NetApp BlueXP",
    palette: 1,
    default_url: Some("https://netapp-cloud-account.auth0.com"),
    presets: &[
        (
            "Auth0 (netapp-cloud-account)",
            "https://netapp-cloud-account.auth0.com",
        ),
        (
            "BlueXP API (api.bluexp.netapp.com/auth)",
            "https://api.bluexp.netapp.com/auth",
        ),
    ],
    url_meaning: UrlMeaning::BaseUrl,
    grants: &[
        Grant::RefreshToken,
        Grant::Password,
        Grant::ClientCredentials,
    ],
    fields,
    import_fields: &[],
    person_grants: &[],
    lifetimes: Lifetimes::secs(None, None),
    generate_limit: None,
    revoke: RevokeSupport::Api,
    sign_in_help: "Generate a new refresh token with the BlueXP Refresh Token Generator and add the account again with it, or use a service account's client id and secret.",
    header_name: "Authorization",
    bearer: true,
    api_example: "https://api.bluexp.netapp.com/",
    api_at_account_url: false,
    catalog: Catalog::None,
    flows: flows!(revoke: Some(|call| Box::pin(revoke(call))), complete: None),
};

/// Asks Auth0 for a user or service token with the account's grant.
pub async fn generate(call: Call<'_>) -> Result<Issued, ProviderError> {
    let account = call.account;
    let mut body = Map::new();
    let mut put = |key: &str, value: &str| {
        body.insert(key.to_owned(), Value::String(value.to_owned()));
    };
    put("grant_type", account.grant.id());
    match account.grant {
        Grant::RefreshToken => {
            put("refresh_token", call.secret(Field::RefreshToken)?);
            put(
                "client_id",
                account.client_id.as_deref().unwrap_or(REFRESH_CLIENT_ID),
            );
            if let Some(audience) = &account.audience {
                put("audience", audience);
            }
        }
        Grant::Password => {
            put("username", call.field(Field::Username)?);
            put("password", call.secret(Field::Password)?);
            put("audience", account.audience.as_deref().unwrap_or(AUDIENCE));
            put(
                "client_id",
                account.client_id.as_deref().unwrap_or(PASSWORD_CLIENT_ID),
            );
            put(
                "scope",
                account.scope.as_deref().unwrap_or("openid profile"),
            );
            // As in NetApp's documented example (capital R: Auth0 ignores it when it does
            // not need it, and the example is what NetApp tested).
            put("Realm", "Username-Password-Authentication");
        }
        Grant::ClientCredentials => {
            put("client_id", call.field(Field::ClientId)?);
            put("client_secret", call.secret(Field::ClientSecret)?);
            put("audience", account.audience.as_deref().unwrap_or(AUDIENCE));
        }
        Grant::AuthorizationCode | Grant::DeviceCode => {
            return Err(ProviderError::Unsupported(
                "BlueXP accounts use the refresh_token, password or client_credentials grant"
                    .to_owned(),
            ));
        }
    }
    let request = call
        .http
        .post(join(call.base_url()?, "/oauth/token")?)
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT, "application/json")
        .body(Value::Object(body).to_string());
    call.http.send(request).await?.into_issued(call.now)
}

/// The same request again: the portal refresh token is long-lived and reused, and service
/// accounts simply ask for a new token.
pub async fn refresh(call: Call<'_>) -> Result<Issued, ProviderError> {
    generate(call).await
}

/// Auth0 `POST /oauth/revoke` of the refresh token. A service account has no refresh token:
/// its access token simply expires.
pub async fn revoke(call: Call<'_>) -> Result<Revoked, ProviderError> {
    let Some(refresh_token) = call.secrets.refresh_token.as_ref() else {
        return Ok(Revoked::PortalOnly(
            "This BlueXP account has no refresh token to revoke; the wallet forgot its access token, which stays valid until it expires.",
        ));
    };
    let client_id = call
        .account
        .client_id
        .as_deref()
        .unwrap_or(REFRESH_CLIENT_ID);
    let mut body = json!({ "client_id": client_id, "token": refresh_token.expose() });
    if let Some(secret) = &call.secrets.client_secret {
        body["client_secret"] = Value::String(secret.expose().to_owned());
    }
    let request = call
        .http
        .post(join(call.base_url()?, "/oauth/revoke")?)
        .header(CONTENT_TYPE, "application/json")
        .body(body.to_string());
    let reply = call.http.send(request).await?;
    if (200..300).contains(&reply.status) {
        Ok(Revoked::AtServer)
    } else {
        Err(reply.into_error())
    }
}
