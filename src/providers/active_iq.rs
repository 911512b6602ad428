//! NetApp Active IQ Digital Advisor: token pairs come from the portal; refresh is a JSON POST
//! to `/v1/tokens/accessToken` that rotates the refresh token; there is no revoke API.

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::json;

use super::{Catalog, Call, Issued, O, ProviderError, R, RevokeSupport, Spec, UrlMeaning, flows, join};
use crate::model::{DAY, Field, FieldRule, Grant, HOUR, Lifetimes};

/// What the user does to get a new pair.
const SIGN_IN_HELP: &str = "In Active IQ Digital Advisor open Quick Links > API Services, click Generate Token, download the pair as a text file and import it into this account.";

/// The fields each grant takes; `r` required, `o` optional.
#[rustfmt::skip]
fn fields(_: Grant) -> &'static [FieldRule] {
    &[(Field::Url, O), (Field::RefreshToken, R)]
}

/// Active IQ's facts.
pub static SPEC: Spec = Spec {
    id: "active-iq",
    label: "Active IQ",
    long_label: "NetApp Active IQ",
    palette: 0,
    default_url: Some("https://api.activeiq.netapp.com"),
    presets: &[("Active IQ", "https://api.activeiq.netapp.com")],
    url_meaning: UrlMeaning::BaseUrl,
    grants: &[Grant::RefreshToken],
    fields,
    import_fields: &[],
    person_grants: &[],
    lifetimes: Lifetimes::secs(Some(HOUR), Some(7 * DAY)),
    generate_limit: None,
    revoke: RevokeSupport::PortalOnly(
        "Active IQ has no public revoke API: the wallet forgot its copy; the token stays valid until it expires (access 1 h, refresh 7 days).",
    ),
    sign_in_help: SIGN_IN_HELP,
    header_name: "authorizationToken",
    bearer: false,
    api_example: "https://api.activeiq.netapp.com/v1/",
    api_at_account_url: false,
    catalog: Catalog::At("https://activeiq.netapp.com/api", "authorizationToken"),
    flows: flows!(revoke: None, complete: None),
};

const TOKEN_PATH: &str = "/v1/tokens/accessToken";

/// A new pair needs the portal; with a stored refresh token, a refresh gives a fresh pair.
pub async fn generate(call: Call<'_>) -> Result<Issued, ProviderError> {
    if call.secrets.refresh_token.is_none() {
        return Err(ProviderError::Unsupported(format!(
            "Active IQ tokens are generated in the portal, not by API. {SIGN_IN_HELP}"
        )));
    }
    refresh(call).await
}

/// `POST /v1/tokens/accessToken` with `{"refresh_token"}`; the answer carries the new pair.
pub async fn refresh(call: Call<'_>) -> Result<Issued, ProviderError> {
    let refresh_token = call.secret(Field::RefreshToken)?;
    let url = join(call.base_url()?, TOKEN_PATH)?;
    let request = call
        .http
        .post(url)
        .header(ACCEPT, "application/json")
        .header(CONTENT_TYPE, "application/json")
        .body(json!({ "refresh_token": refresh_token }).to_string());
    call.http.send(request).await?.into_issued(call.now)
}
