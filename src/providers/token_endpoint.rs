//! The RFC 6749 token endpoint as every OAuth flow here uses it: client authentication
//! (HTTP Basic or in the form body, or the client id alone for a public client) and reading
//! the token answer. Shared by the OAuth 2.0 provider and the sign-in flows.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};

use super::apinizer::form;
use super::{Call, Issued, ProviderError, checked_url};
use crate::model::{ClientAuth, Field};

/// Sends `params` to the account's token endpoint and reads the tokens.
pub async fn token_request(
    call: Call<'_>,
    params: Vec<(&str, &str)>,
) -> Result<Issued, ProviderError> {
    let url = checked_url(call.base_url()?)?;
    let request = authed(call, call.http.post(url), params)?.header(ACCEPT, "application/json");
    let mut issued = call.http.send(request).await?.into_issued(call.now)?;
    // RFC 6749 §5.1 requires token_type, but refusing the answer would throw away a
    // refresh token the server has already rotated: take it as Bearer and say so.
    if issued.token_type.is_none() {
        tracing::warn!(
            account = %call.account.name,
            "the token answer has no token_type (RFC 6749 §5.1); using Bearer"
        );
        issued.token_type = Some("Bearer".to_owned());
    }
    Ok(issued)
}

/// Adds client authentication (Basic header or body) and the form body.
pub fn authed<'a>(
    call: Call<'a>,
    request: reqwest::RequestBuilder,
    mut params: Vec<(&'a str, &'a str)>,
) -> Result<reqwest::RequestBuilder, ProviderError> {
    let client_id = call.field(Field::ClientId)?;
    let secret = call
        .secrets
        .client_secret
        .as_ref()
        .map(crate::model::Secret::expose);
    let mut request = request.header(CONTENT_TYPE, "application/x-www-form-urlencoded");
    match (call.account.client_auth, secret) {
        (ClientAuth::Basic, Some(secret)) => {
            // RFC 6749 §2.3.1: both parts are form-urlencoded before Base64.
            let encode = |s: &str| form(&[("", s)]).trim_start_matches('=').to_owned();
            let basic = STANDARD.encode(format!("{}:{}", encode(client_id), encode(secret)));
            request = request.header(AUTHORIZATION, format!("Basic {basic}"));
        }
        (ClientAuth::Post, Some(secret)) => {
            params.push(("client_id", client_id));
            params.push(("client_secret", secret));
        }
        (_, None) => params.push(("client_id", client_id)),
    }
    Ok(request.body(form(&params)))
}
