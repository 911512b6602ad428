//! Apinizer: `POST /apiops/auth/token` with a form-urlencoded `client_credentials` grant
//! (username and password as client id and secret). No refresh token: refresh asks again.
//! Personal API access tokens are imported; they are revoked in the console only.

use reqwest::header::{ACCEPT, CONTENT_TYPE};

use super::{Catalog, Call, Issued, ProviderError, R, RevokeSupport, Spec, UrlMeaning, flows, join};
use crate::model::{Field, FieldRule, Grant, Lifetimes};

/// The fields each grant takes; `r` required, `o` optional.
#[rustfmt::skip]
fn fields(_: Grant) -> &'static [FieldRule] {
    &[(Field::Url, R), (Field::Username, R), (Field::Password, R)]
}

/// Apinizer's facts.
pub static SPEC: Spec = Spec {
    id: "apinizer",
    label: "Apinizer",
    long_label: "Apinizer",
    palette: 2,
    default_url: None,
    presets: &[],
    url_meaning: UrlMeaning::BaseUrl,
    grants: &[Grant::ClientCredentials],
    fields,
    import_fields: &[],
    person_grants: &[],
    lifetimes: Lifetimes::secs(None, None),
    generate_limit: None,
    revoke: RevokeSupport::PortalOnly(
        "Apinizer has no revoke API: the wallet forgot its copy; revoke the token under My Profile > Personal API Access Tokens in the Apinizer console.",
    ),
    sign_in_help: "Give the wallet your Apinizer username and password, or create a Personal API Access Token under My Profile in the Apinizer console and import it.",
    header_name: "Authorization",
    bearer: true,
    api_example: "https://apinizer.example.com/apiops/",
    api_at_account_url: true,
    catalog: Catalog::None,
    flows: flows!(revoke: None, complete: None),
};

const TOKEN_PATH: &str = "/apiops/auth/token";

/// Asks the management API for a token with the stored username and password.
pub async fn generate(call: Call<'_>) -> Result<Issued, ProviderError> {
    let username = call.field(Field::Username)?;
    // An imported personal token has no password: a new one is made in the console.
    let password = call.secret(Field::Password)?;
    let url = join(call.base_url()?, TOKEN_PATH)?;
    let body = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", username),
        ("client_secret", password),
    ]);
    let request = call
        .http
        .post(url)
        .header(ACCEPT, "application/json")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body);
    call.http.send(request).await?.into_issued(call.now)
}

/// Apinizer has no refresh token: a refresh is a new request with the stored credentials.
pub async fn refresh(call: Call<'_>) -> Result<Issued, ProviderError> {
    generate(call).await
}

/// URL-encodes a form body.
pub(super) fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}
