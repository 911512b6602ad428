//! HPE Aruba Networking Central: tokens from the API Gateway page (imported) or the
//! three-step OAuth login; refresh is `POST oauth2/token` with every parameter in the
//! query string; revoke is in the web UI only.

use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE, SET_COOKIE};
use serde_json::{Value, json};
use url::Url;

use super::{Catalog, 
    Call, GenerateLimit, Issued, O, ProviderError, R, RevokeSupport, Spec, UrlMeaning, flows, join,
};
use crate::model::{DAY, Field, FieldRule, Grant, HOUR, Lifetimes};

/// The regional API gateways.
pub const GATEWAYS: &[(&str, &str)] = &[
    ("US-1", "https://app1-apigw.central.arubanetworks.com"),
    ("US-2", "https://apigw-prod2.central.arubanetworks.com"),
    (
        "US-East1",
        "https://apigw-us-east-1.central.arubanetworks.com",
    ),
    (
        "US-West4",
        "https://apigw-uswest4.central.arubanetworks.com",
    ),
    (
        "US-West5",
        "https://apigw-uswest5.central.arubanetworks.com",
    ),
    ("EU-1", "https://eu-apigw.central.arubanetworks.com"),
    (
        "EU-Central2",
        "https://apigw-eucentral2.central.arubanetworks.com",
    ),
    (
        "EU-Central3",
        "https://apigw-eucentral3.central.arubanetworks.com",
    ),
    ("UK", "https://apigw-ukwest2.central.arubanetworks.com"),
    ("Canada-1", "https://apigw-ca.central.arubanetworks.com"),
    ("China-1", "https://apigw.central.arubanetworks.com.cn"),
    ("APAC-1", "https://api-ap.central.arubanetworks.com"),
    (
        "APAC-East1",
        "https://apigw-apaceast.central.arubanetworks.com",
    ),
    (
        "APAC-South1",
        "https://apigw-apacsouth.central.arubanetworks.com",
    ),
    (
        "UAE-North1",
        "https://apigw-uaenorth1.central.arubanetworks.com",
    ),
];

/// What the user does to get a new pair.
const SIGN_IN_HELP: &str = "In Aruba Central open API Gateway > My Apps & Tokens, add a token (+ Add Apps & Token), click Download Token and import the JSON file; non-SSO users can instead store username, password, client secret and customer id for the OAuth login.";

/// The fields each grant takes; `r` required, `o` optional.
#[rustfmt::skip]
fn fields(grant: Grant) -> &'static [FieldRule] {
    use Field::{ClientId, ClientSecret, CustomerId, Password, RefreshToken, Username};
    match grant {
        Grant::AuthorizationCode => &[(Field::Url, O), (ClientId, R), (ClientSecret, R), (Username, R), (Password, R), (CustomerId, R)],
        _ => &[(Field::Url, O), (ClientId, R), (ClientSecret, R), (RefreshToken, R)],
    }
}

/// Aruba Central's facts.
pub static SPEC: Spec = Spec {
    id: "aruba-central",
    label: "Aruba Central",
    long_label: "HPE Aruba Networking Central",
    palette: 3,
    default_url: Some("https://apigw-prod2.central.arubanetworks.com"),
    url_meaning: UrlMeaning::BaseUrl,
    presets: GATEWAYS,
    grants: &[Grant::RefreshToken, Grant::AuthorizationCode],
    fields,
    import_fields: &[Field::ClientId, Field::ClientSecret],
    person_grants: &[],
    lifetimes: Lifetimes::secs(Some(2 * HOUR), Some(14 * DAY)),
    generate_limit: Some(GenerateLimit {
        grant: Grant::AuthorizationCode,
        interval_secs: 30 * 60,
    }),
    revoke: RevokeSupport::PortalOnly(
        "Aruba Central has no public revoke API: the wallet forgot its copy; an admin can revoke the token under API Gateway > My Apps & Tokens > Revoke Token.",
    ),
    sign_in_help: SIGN_IN_HELP,
    header_name: "Authorization",
    bearer: true,
    api_example: "https://apigw-prod2.central.arubanetworks.com/",
    api_at_account_url: true,
    catalog: Catalog::UnderAccountUrl("/swagger/central/", "Bearer token"),
    flows: flows!(revoke: None, complete: None),
};

/// The three-step login: credentials > session cookies > authorization code > token pair.
pub async fn generate(call: Call<'_>) -> Result<Issued, ProviderError> {
    if call.account.grant != Grant::AuthorizationCode {
        return Err(ProviderError::Unsupported(format!(
            "this account was imported, so a new token comes from the portal. {SIGN_IN_HELP}"
        )));
    }
    let client_id = call.field(Field::ClientId)?;
    let client_secret = call.secret(Field::ClientSecret)?;
    let base = call.base_url()?;
    let session = login(call, base, client_id).await?;
    let code = authorization_code(call, base, client_id, &session).await?;
    let url = token_url(
        base,
        &[
            ("client_id", client_id),
            ("client_secret", client_secret),
            ("grant_type", "authorization_code"),
            ("code", &code),
        ],
    )?;
    call.http
        .send(call.http.post(url))
        .await?
        .into_issued(call.now)
}

/// The cookies of a logged-in session.
struct Session {
    csrf: String,
    session: String,
}

/// Step 1: log in, collect the csrftoken and session cookies.
async fn login(call: Call<'_>, base: &str, client_id: &str) -> Result<Session, ProviderError> {
    let username = call.field(Field::Username)?;
    let password = call.secret(Field::Password)?;
    let mut login = join(base, "/oauth2/authorize/central/api/login")?;
    login.query_pairs_mut().append_pair("client_id", client_id);
    let request = call
        .http
        .post(login)
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT, "application/json")
        .body(json!({ "username": username, "password": password }).to_string());
    let reply = call.http.send(request).await?;
    if !(200..300).contains(&reply.status) {
        return Err(reply.into_error());
    }
    let cookie = |name: &str| {
        reply.headers.get_all(SET_COOKIE).iter().find_map(|value| {
            let pair = value.to_str().ok()?.split(';').next()?.trim();
            let (key, val) = pair.split_once('=')?;
            (key.trim() == name).then(|| val.trim().to_owned())
        })
    };
    match (cookie("csrftoken"), cookie("session")) {
        (Some(csrf), Some(session)) => Ok(Session { csrf, session }),
        _ => Err(ProviderError::BadResponse(
            "the login answer did not set the csrftoken and session cookies".to_owned(),
        )),
    }
}

/// Step 2: exchange the session for an authorization code.
async fn authorization_code(
    call: Call<'_>,
    base: &str,
    client_id: &str,
    session: &Session,
) -> Result<String, ProviderError> {
    let customer_id = call.field(Field::CustomerId)?;
    let mut authorize = join(base, "/oauth2/authorize/central/api")?;
    authorize
        .query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("response_type", "code")
        .append_pair("scope", "all");
    let request = call
        .http
        .post(authorize)
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT, "application/json")
        .header("X-CSRF-TOKEN", &session.csrf)
        .header(COOKIE, format!("session={}", session.session))
        .body(json!({ "customer_id": customer_id }).to_string());
    let answer = call.http.send(request).await?.ok_json()?;
    answer
        .get("auth_code")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            ProviderError::BadResponse("the authorize answer has no auth_code".to_owned())
        })
}

/// `POST {base}/oauth2/token?client_id&client_secret&grant_type=refresh_token&refresh_token`,
/// all in the query string and no body, as Aruba documents it.
pub async fn refresh(call: Call<'_>) -> Result<Issued, ProviderError> {
    let client_id = call.field(Field::ClientId)?;
    let client_secret = call.secret(Field::ClientSecret)?;
    let refresh_token = call.secret(Field::RefreshToken)?;
    let url = token_url(
        call.base_url()?,
        &[
            ("client_id", client_id),
            ("client_secret", client_secret),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )?;
    let request = call.http.post(url).header(ACCEPT, "application/json");
    call.http.send(request).await?.into_issued(call.now)
}

fn token_url(base: &str, query: &[(&str, &str)]) -> Result<Url, ProviderError> {
    let mut url = join(base, "/oauth2/token")?;
    url.query_pairs_mut().extend_pairs(query);
    Ok(url)
}
