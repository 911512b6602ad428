//! An operation and the values a person gave to a request, checked before anything is sent.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

use super::{ApiDoc, Location, Operation, Param, Server};

/// What a path segment keeps unescaped: RFC 3986's unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Parameter values by name, in the order given; a name given twice is a list.
pub type Values = [(String, String)];

/// A request ready to go, but for the account's authentication header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRequest {
    /// The method.
    pub method: String,
    /// The whole address, query included.
    pub url: Url,
    /// Header parameters (and `Cookie`), in order.
    pub headers: Vec<(String, String)>,
    /// The body and its media type.
    pub body: Option<(String, String)>,
}

/// Why a request cannot be built: a plain sentence about the operation or a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadCall(pub String);

impl ApiDoc {
    /// The base the operation paths go on: the spec's server when absolute; a relative one
    /// on the origin the spec was read from (`spec_origin`), else like a local or template
    /// one on `account_base`. `override_base` replaces them all.
    pub fn base_url(
        &self,
        account_base: &str,
        spec_origin: Option<&str>,
        override_base: Option<&str>,
    ) -> String {
        if let Some(base) = override_base {
            return base.trim_end_matches('/').to_owned();
        }
        let on = |base: &str, path: &str| format!("{}{path}", base.trim_end_matches('/'));
        match self.server() {
            Server::Absolute(url) => url.as_str().trim_end_matches('/').to_owned(),
            Server::Relative(path) => on(spec_origin.unwrap_or(account_base), &path),
            Server::OnAccountBase(path) => on(account_base, &path),
        }
    }
}

/// Builds the request for `op` on `base` with `values` and a body (`data`, as typed).
/// Header parameters named `auth_header` or that carry authentication are refused: the
/// account fills that header.
pub fn build(
    op: &Operation,
    base: &str,
    values: &Values,
    data: Option<&str>,
    auth_header: &str,
) -> Result<ApiRequest, BadCall> {
    for (name, _) in values {
        let Some(param) = op.params.iter().find(|p| &p.name == name) else {
            return Err(BadCall(unknown(op, name)));
        };
        if is_auth(param, auth_header) {
            return Err(BadCall(format!(
                "'{name}' carries the token: the account fills it in"
            )));
        }
    }
    let mut path = op.path.clone();
    let mut query: Vec<(String, String)> = Vec::new();
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut cookies: Vec<String> = Vec::new();
    let mut form: Vec<(String, String)> = Vec::new();
    for param in op.params.iter().filter(|p| !is_auth(p, auth_header)) {
        let given = given_values(op, param, values)?;
        if given.is_empty() {
            continue;
        }
        let joined = given.join(",");
        match param.location {
            Location::Path => {
                let encoded = utf8_percent_encode(&joined, SEGMENT).to_string();
                path = path.replace(&format!("{{{}}}", param.name), &encoded);
            }
            Location::Query | Location::Form => {
                let target = if param.location == Location::Query {
                    &mut query
                } else {
                    &mut form
                };
                if param.explode {
                    target.extend(given.iter().map(|v| (param.name.clone(), v.clone())));
                } else {
                    target.push((param.name.clone(), joined));
                }
            }
            Location::Header => {
                // What HTTP carries in a header: visible ASCII and spaces.
                if joined.chars().any(|c| c.is_control() || !c.is_ascii()) {
                    return Err(BadCall(format!(
                        "header '{}' takes plain ASCII text: no line break, control character or accent",
                        param.name
                    )));
                }
                headers.push((param.name.clone(), joined));
            }
            Location::Cookie => cookies.push(format!("{}={joined}", param.name)),
        }
    }
    if !cookies.is_empty() {
        headers.push(("Cookie".to_owned(), cookies.join("; ")));
    }
    let mut url = Url::parse(&format!("{}{path}", base.trim_end_matches('/')))
        .map_err(|err| BadCall(format!("the address {base}{path} is not usable: {err}")))?;
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    Ok(ApiRequest {
        method: op.method.clone(),
        url,
        headers,
        body: body(op, data, form)?,
    })
}

fn is_auth(param: &Param, auth_header: &str) -> bool {
    param.auth
        || (param.location == Location::Header && param.name.eq_ignore_ascii_case(auth_header))
}

fn unknown(op: &Operation, name: &str) -> String {
    let names: Vec<&str> = op.visible_params().map(|p| p.name.as_str()).collect();
    if names.is_empty() {
        format!(
            "{} takes no parameters, and '{name}' is not one",
            op.label()
        )
    } else {
        format!(
            "{} has no parameter '{name}'; it takes {}",
            op.label(),
            names.join(", ")
        )
    }
}

/// The values given for `param`, its default when none is, checked against its type and
/// choices; a required one without a value is refused.
fn given_values(op: &Operation, param: &Param, values: &Values) -> Result<Vec<String>, BadCall> {
    let mut given: Vec<String> = values
        .iter()
        .filter(|(name, _)| name == &param.name)
        .map(|(_, value)| value.clone())
        .collect();
    if given.is_empty() {
        match (&param.default, param.required) {
            (Some(default), true) => given.push(default.clone()),
            (None, true) => {
                return Err(BadCall(format!(
                    "{} needs the {} parameter '{}'",
                    op.label(),
                    param.location.word(),
                    param.name
                )));
            }
            _ => {}
        }
    }
    for value in &given {
        check_value(param, value)?;
    }
    Ok(given)
}

fn check_value(param: &Param, value: &str) -> Result<(), BadCall> {
    if !param.choices.is_empty() && !param.choices.iter().any(|c| c == value) {
        return Err(BadCall(format!(
            "'{value}' is not a value '{}' takes; use one of {}",
            param.name,
            param.choices.join(", ")
        )));
    }
    let fits = match param.kind.as_deref() {
        Some("integer") => value.parse::<i64>().is_ok(),
        Some("number") => value.parse::<f64>().is_ok_and(f64::is_finite),
        Some("boolean") => matches!(value, "true" | "false"),
        _ => true,
    };
    if fits {
        Ok(())
    } else {
        let kind = param.kind.as_deref().unwrap_or_default();
        let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        Err(BadCall(format!(
            "'{value}' is not {article} {kind} for '{}'",
            param.name
        )))
    }
}

/// The body: `data` as given (checked as JSON when the media type is JSON), else the form
/// fields; a required body that is missing is refused.
fn body(
    op: &Operation,
    data: Option<&str>,
    form: Vec<(String, String)>,
) -> Result<Option<(String, String)>, BadCall> {
    let media = op.body.as_ref().map(|b| b.media_type.as_str());
    if let Some(data) = data {
        let media = media.unwrap_or("application/json");
        if media.contains("json")
            && let Err(err) = serde_json::from_str::<serde_json::Value>(data)
        {
            return Err(BadCall(format!(
                "the body is not JSON, which {} takes ({media}): {err}",
                op.label()
            )));
        }
        return Ok(Some((media.to_owned(), data.to_owned())));
    }
    if !form.is_empty() {
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        return Ok(Some((
            "application/x-www-form-urlencoded".to_owned(),
            encoded,
        )));
    }
    match &op.body {
        Some(body) if body.required && body.media_type != "application/x-www-form-urlencoded" => {
            Err(BadCall(format!(
                "{} needs a body ({})",
                op.label(),
                body.media_type
            )))
        }
        _ => Ok(None),
    }
}
