//! Export formats for a token: text, JSON, .env, the provider's header line, and curl.

use std::fmt::Write as _;

use chrono::SecondsFormat;
use serde_json::Value;
use zeroize::Zeroizing;

use crate::model::{Account, Secrets};
pub use crate::model::{ExportFormat, TokenChoice};
use crate::providers::spec;

/// Why an export could not be rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The token asked for is not stored.
    #[error("no {0} is stored")]
    NoToken(&'static str),
    /// The format carries the access token only (a header line, a curl command).
    #[error("the {0} format carries only the access token")]
    AccessOnly(&'static str),
}

/// The header line that carries `token` on the provider's API calls.
pub fn header_line(account: &Account, token: &str) -> String {
    spec(account.provider).header_line(token)
}

/// A curl command that calls the provider's API with `token`.
pub fn curl_command(account: &Account, token: &str) -> String {
    let spec = spec(account.provider);
    let header = Zeroizing::new(sh_quote(&Zeroizing::new(spec.header_line(token))));
    let base = sh_quote(spec.api_base(account));
    // Sized once: no copy of the token is left behind in freed memory.
    let mut line = String::with_capacity(9 + header.len() + base.len());
    for piece in ["curl -H ", header.as_str(), " ", base.as_str()] {
        line.push_str(piece);
    }
    line
}

/// `text` as one word for a POSIX shell: between single quotes, each single quote written
/// as `'\''`. Nothing inside single quotes is special to the shell, so a token or address
/// holding `$(…)`, backquotes or quotes stays data when the line is run or sourced.
pub fn sh_quote(text: &str) -> String {
    let escapes = 3 * text.matches('\'').count();
    let mut quoted = String::with_capacity(text.len() + escapes + 2);
    quoted.push('\'');
    for c in text.chars() {
        if c == '\'' {
            quoted.push_str("'\\''");
        } else {
            quoted.push(c);
        }
    }
    quoted.push('\'');
    quoted
}

/// `at` in RFC 3339 (UTC, whole seconds) as JSON, or `null`: the JSON exports' and the
/// command line's `--json` form.
pub fn rfc3339(at: Option<chrono::DateTime<chrono::Utc>>) -> Value {
    at.map_or(Value::Null, |at| {
        Value::String(at.to_rfc3339_opts(SecondsFormat::Secs, true))
    })
}

/// `at` in RFC 3339 (UTC, whole seconds), or nothing: the env and Postman exports' form.
fn rfc3339_text(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// The account name as a shell variable prefix (`prod-central` → `PROD_CENTRAL`).
pub fn env_prefix(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Renders the chosen tokens of the account in `format`.
pub fn render(
    account: &Account,
    secrets: &Secrets,
    format: ExportFormat,
    choice: TokenChoice,
) -> Result<Zeroizing<String>, RenderError> {
    if choice.refresh() && matches!(format, ExportFormat::Header | ExportFormat::Curl) {
        return Err(RenderError::AccessOnly(format.id()));
    }
    let access = if choice.access() {
        let token = secrets.access_token.as_ref();
        Some(token.ok_or(RenderError::NoToken("access token"))?.expose())
    } else {
        None
    };
    let refresh = if choice.refresh() {
        let token = secrets.refresh_token.as_ref();
        Some(token.ok_or(RenderError::NoToken("refresh token"))?.expose())
    } else {
        None
    };
    // One buffer, big enough from the start: a growing one would leave copies of the tokens
    // behind in freed memory (the agent renders exports for its callers).
    let tokens = access.map_or(0, str::len) + refresh.map_or(0, str::len);
    let mut out = Zeroizing::new(String::with_capacity(4 * tokens + 1024));
    match format {
        ExportFormat::Text => text(&mut out, access, refresh),
        ExportFormat::Json => json_text(&mut out, account, access, refresh),
        ExportFormat::Env => env_text(&mut out, account, access, refresh),
        ExportFormat::Header => {
            let line = Zeroizing::new(header_line(account, access.unwrap_or_default()));
            writeln!(out, "{}", *line).ok();
        }
        ExportFormat::Curl => {
            let line = Zeroizing::new(curl_command(account, access.unwrap_or_default()));
            writeln!(out, "{}", *line).ok();
        }
        ExportFormat::Postman => postman_text(&mut out, account, access, refresh),
    }
    Ok(out)
}

/// One token alone, or both in the labelled layout the importer reads.
fn text(out: &mut String, access: Option<&str>, refresh: Option<&str>) {
    match (access, refresh) {
        (Some(access), Some(refresh)) => {
            write!(out, "Access Token: {access}\nRefresh Token: {refresh}\n").ok();
        }
        (Some(token), None) | (None, Some(token)) => {
            writeln!(out, "{token}").ok();
        }
        (None, None) => {}
    }
}

/// The JSON export, borrowing the tokens (no copy of them is made on the way). The fields
/// come in name order, as they always have.
#[derive(serde::Serialize)]
struct JsonExport<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    access_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    issued_at: Option<Value>,
    name: &'a str,
    provider: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_expires_at: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_type: Option<&'a str>,
}

fn json_text(out: &mut String, account: &Account, access: Option<&str>, refresh: Option<&str>) {
    let tokens = &account.tokens;
    let with_access = |value| access.map(|_| value);
    let export = JsonExport {
        access_token: access,
        expires_at: with_access(rfc3339(tokens.access_expires_at)),
        issued_at: with_access(rfc3339(tokens.issued_at)),
        name: &account.name,
        provider: account.provider.id(),
        refresh_expires_at: refresh.map(|_| rfc3339(tokens.refresh_expires_at)),
        refresh_token: refresh,
        scope: with_access(tokens.scope.as_deref().map_or(Value::Null, Value::from)),
        token_type: access.map(|_| tokens.token_type.as_deref().unwrap_or("Bearer")),
    };
    write_json(out, &export);
}

/// Writes `value` as pretty JSON and a newline into `out`'s own buffer, which has room for
/// it: a growing buffer would leave copies of the tokens behind in freed memory.
fn write_json(out: &mut String, value: &impl serde::Serialize) {
    let mut bytes = Zeroizing::new(std::mem::take(out).into_bytes());
    if serde_json::to_writer_pretty(&mut *bytes, value).is_ok() {
        bytes.push(b'\n');
    }
    *out = String::from_utf8(std::mem::take(&mut *bytes)).unwrap_or_default();
}

/// One variable of a Postman environment.
#[derive(serde::Serialize)]
struct PostmanValue<'a> {
    key: &'static str,
    value: &'a str,
    /// `secret` hides the value in Postman's window; `default` shows it.
    #[serde(rename = "type")]
    kind: &'static str,
    enabled: bool,
}

/// A Postman environment file, as Postman exports one and newman reads with `-e`.
#[derive(serde::Serialize)]
struct PostmanEnvironment<'a> {
    name: String,
    values: Vec<PostmanValue<'a>>,
    #[serde(rename = "_postman_variable_scope")]
    scope: &'static str,
}

/// A Postman environment holding the chosen tokens: `access_token`, `auth_header` (the
/// header's value, `Bearer …` where the provider wants it), `auth_header_name` and
/// `expires_at`; `refresh_token` and `refresh_expires_at` when asked for.
fn postman_text(out: &mut String, account: &Account, access: Option<&str>, refresh: Option<&str>) {
    let (access_expires, refresh_expires) = (
        rfc3339_text(account.tokens.access_expires_at),
        rfc3339_text(account.tokens.refresh_expires_at),
    );
    let value = |key, value, kind| PostmanValue {
        key,
        value,
        kind,
        enabled: true,
    };
    let header = access.map(|token| {
        let (name, value) = spec(account.provider).header(token);
        (name, Zeroizing::new(value))
    });
    let mut values = Vec::with_capacity(6);
    if let (Some(token), Some((name, header))) = (access, &header) {
        values.push(value("access_token", token, "secret"));
        values.push(value("auth_header", header.as_str(), "secret"));
        values.push(value("auth_header_name", name, "default"));
        values.push(value("expires_at", &access_expires, "default"));
    }
    if let Some(token) = refresh {
        values.push(value("refresh_token", token, "secret"));
        values.push(value("refresh_expires_at", &refresh_expires, "default"));
    }
    let environment = PostmanEnvironment {
        name: format!("{} (tokenwallet)", account.name),
        values,
        scope: "environment",
    };
    write_json(out, &environment);
}

fn env_text(out: &mut String, account: &Account, access: Option<&str>, refresh: Option<&str>) {
    let prefix = env_prefix(&account.name);
    if let Some(token) = access {
        let quoted = Zeroizing::new(sh_quote(token));
        writeln!(out, "{prefix}_ACCESS_TOKEN={}", *quoted).ok();
        let header = Zeroizing::new(sh_quote(&Zeroizing::new(header_line(account, token))));
        writeln!(out, "{prefix}_AUTH_HEADER={}", *header).ok();
        let expires = rfc3339_text(account.tokens.access_expires_at);
        writeln!(out, "{prefix}_EXPIRES_AT='{expires}'").ok();
    }
    if let Some(token) = refresh {
        let quoted = Zeroizing::new(sh_quote(token));
        writeln!(out, "{prefix}_REFRESH_TOKEN={}", *quoted).ok();
        let expires = rfc3339_text(account.tokens.refresh_expires_at);
        writeln!(out, "{prefix}_REFRESH_EXPIRES_AT='{expires}'").ok();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Grant, ProviderKind, Secret};

    fn secrets() -> Secrets {
        Secrets {
            access_token: Some(Secret::new("tok123")),
            refresh_token: Some(Secret::new("ref456")),
            ..Secrets::default()
        }
    }

    /// The access-token export of the test secrets.
    fn access(account: &Account, format: ExportFormat) -> String {
        render(account, &secrets(), format, TokenChoice::Access)
            .unwrap()
            .to_string()
    }

    #[test]
    fn the_json_export_keeps_its_layout() {
        let mut account = Account::new("b", ProviderKind::BLUEXP, Grant::RefreshToken);
        account.tokens.scope = Some("read".into());
        for choice in TokenChoice::ALL {
            let text = render(&account, &secrets(), ExportFormat::Json, choice).unwrap();
            // What it was built as before: a JSON object (keys in name order), pretty.
            let mut object = serde_json::json!({"name": "b", "provider": "bluexp"});
            if choice != TokenChoice::Refresh {
                object["access_token"] = "tok123".into();
                object["token_type"] = "Bearer".into();
                object["scope"] = "read".into();
                object["issued_at"] = Value::Null;
                object["expires_at"] = Value::Null;
            }
            if choice != TokenChoice::Access {
                object["refresh_token"] = "ref456".into();
                object["refresh_expires_at"] = Value::Null;
            }
            assert_eq!(*text, format!("{object:#}\n"), "{choice:?}");
        }
    }

    #[test]
    fn active_iq_uses_its_own_header() {
        let account = Account::new("aiq", ProviderKind::ACTIVE_IQ, Grant::RefreshToken);
        assert_eq!(
            access(&account, ExportFormat::Header),
            "authorizationToken: tok123\n"
        );
        let curl = access(&account, ExportFormat::Curl);
        assert!(
            curl.starts_with(
                "curl -H 'authorizationToken: tok123' 'https://api.activeiq.netapp.com/v1/'"
            ),
            "{curl}"
        );
    }

    #[test]
    fn others_use_bearer_and_env_is_prefixed() {
        let account = Account::new(
            "prod-central",
            ProviderKind::ARUBA_CENTRAL,
            Grant::RefreshToken,
        );
        assert_eq!(
            access(&account, ExportFormat::Header),
            "Authorization: Bearer tok123\n"
        );
        let env = access(&account, ExportFormat::Env);
        assert!(
            env.contains("PROD_CENTRAL_ACCESS_TOKEN='tok123'\n"),
            "{env}"
        );
        assert!(env.contains("PROD_CENTRAL_AUTH_HEADER='Authorization: Bearer tok123'"));
        assert_eq!(access(&account, ExportFormat::Text), "tok123\n");
    }

    #[test]
    fn json_carries_both_tokens_and_no_token_means_nothing() {
        let account = Account::new("b", ProviderKind::BLUEXP, Grant::RefreshToken);
        let json: Value = serde_json::from_str(
            &render(&account, &secrets(), ExportFormat::Json, TokenChoice::Both).unwrap(),
        )
        .unwrap();
        assert_eq!(json["access_token"], "tok123");
        assert_eq!(json["refresh_token"], "ref456");
        assert_eq!(json["provider"], "bluexp");
        assert_eq!(
            render(
                &account,
                &Secrets::default(),
                ExportFormat::Json,
                TokenChoice::Both
            ),
            Err(RenderError::NoToken("access token"))
        );
    }

    #[test]
    fn both_tokens_in_text_and_json_import_back_as_the_same_pair() {
        let account = Account::new("b", ProviderKind::BLUEXP, Grant::RefreshToken);
        let now = chrono::Utc::now();
        let pair = Secrets {
            access_token: Some(Secret::new("access-tok-123")),
            refresh_token: Some(Secret::new("refresh-tok-456")),
            ..Secrets::default()
        };
        for format in [ExportFormat::Text, ExportFormat::Json] {
            let text = render(&account, &pair, format, TokenChoice::Both).unwrap();
            let imported = crate::import::parse(&text, now).unwrap();
            let access = imported.issued.access_token.expose();
            assert_eq!(access, "access-tok-123", "{format:?}");
            let refresh = imported.issued.refresh_token.as_ref().map(Secret::expose);
            assert_eq!(refresh, Some("refresh-tok-456"), "{format:?}");
        }
    }

    #[test]
    fn refresh_only_exports_carry_no_access_token_and_header_formats_refuse_it() {
        let account = Account::new("b", ProviderKind::BLUEXP, Grant::RefreshToken);
        for format in [ExportFormat::Text, ExportFormat::Json, ExportFormat::Env] {
            let text = render(&account, &secrets(), format, TokenChoice::Refresh).unwrap();
            assert!(
                text.contains("ref456") && !text.contains("tok123"),
                "{}",
                *text
            );
            let access = render(&account, &secrets(), format, TokenChoice::Access).unwrap();
            assert!(
                access.contains("tok123") && !access.contains("ref456"),
                "{}",
                *access
            );
        }
        for format in [ExportFormat::Header, ExportFormat::Curl] {
            for choice in [TokenChoice::Refresh, TokenChoice::Both] {
                assert_eq!(
                    render(&account, &secrets(), format, choice),
                    Err(RenderError::AccessOnly(format.id()))
                );
            }
        }
        let no_refresh = Secrets {
            access_token: Some(Secret::new("tok123")),
            ..Secrets::default()
        };
        assert_eq!(
            render(&account, &no_refresh, ExportFormat::Text, TokenChoice::Both),
            Err(RenderError::NoToken("refresh token"))
        );
    }
}
