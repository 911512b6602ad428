//! Export formats for a token: text, JSON, .env, the provider's header line, and curl.

use std::fmt::Write as _;

use chrono::SecondsFormat;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::model::{Account, Secrets};
use crate::providers::spec;

/// How to write a token out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExportFormat {
    #[default]
    /// The token and a newline; both tokens as `Access Token:` / `Refresh Token:` lines.
    Text,
    /// A JSON object with the chosen tokens and their expiry (importable again).
    Json,
    /// `.env` lines prefixed by the account name.
    Env,
    /// The provider's header line (`authorizationToken:` for Active IQ, else `Authorization: Bearer`).
    Header,
    /// A ready curl command against the provider's API.
    Curl,
}

impl ExportFormat {
    /// Every format, in menu order.
    pub const ALL: [Self; 5] = [Self::Text, Self::Json, Self::Env, Self::Header, Self::Curl];

    /// The `--format` name.
    pub fn id(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Json => "json",
            Self::Env => "env",
            Self::Header => "header",
            Self::Curl => "curl",
        }
    }

    /// Parses a `--format` name.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|format| format.id() == id)
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Text | Self::Header => "txt",
            Self::Json => "json",
            Self::Env => "env",
            Self::Curl => "sh",
        }
    }
}

/// Which of an account's tokens to write out, as the portals offer it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TokenChoice {
    /// The access token (the default everywhere).
    #[default]
    Access,
    /// The refresh token: more powerful, so only ever on a deliberate request.
    Refresh,
    /// Both tokens.
    Both,
}

impl TokenChoice {
    /// Every choice, in menu order.
    pub const ALL: [Self; 3] = [Self::Access, Self::Refresh, Self::Both];

    /// The `--token` name.
    pub fn id(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
            Self::Both => "both",
        }
    }

    /// Parses a `--token` name.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|choice| choice.id() == id)
    }

    fn access(self) -> bool {
        self != Self::Refresh
    }

    fn refresh(self) -> bool {
        self != Self::Access
    }
}

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
    format!(
        "curl -H {} {}",
        sh_quote(&spec.header_line(token)),
        sh_quote(spec.api_base(account))
    )
}

/// `text` as one word for a POSIX shell: between single quotes, each single quote written
/// as `'\''`. Nothing inside single quotes is special to the shell, so a token or address
/// holding `$(…)`, backquotes or quotes stays data when the line is run or sourced.
pub fn sh_quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
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

fn rfc3339(at: Option<chrono::DateTime<chrono::Utc>>) -> Value {
    at.map_or(Value::Null, |at| {
        Value::String(at.to_rfc3339_opts(SecondsFormat::Secs, true))
    })
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
    let text = match format {
        ExportFormat::Text => text(access, refresh),
        ExportFormat::Json => json_text(account, access, refresh),
        ExportFormat::Env => env_text(account, access, refresh),
        ExportFormat::Header => format!("{}\n", header_line(account, access.unwrap_or_default())),
        ExportFormat::Curl => format!("{}\n", curl_command(account, access.unwrap_or_default())),
    };
    Ok(Zeroizing::new(text))
}

/// One token alone, or both in the labelled layout the importer reads.
fn text(access: Option<&str>, refresh: Option<&str>) -> String {
    match (access, refresh) {
        (Some(access), Some(refresh)) => {
            format!("Access Token: {access}\nRefresh Token: {refresh}\n")
        }
        (Some(token), None) | (None, Some(token)) => format!("{token}\n"),
        (None, None) => String::new(),
    }
}

fn json_text(account: &Account, access: Option<&str>, refresh: Option<&str>) -> String {
    let tokens = &account.tokens;
    let mut object = json!({
        "name": account.name,
        "provider": account.provider.id(),
    });
    if let Some(access) = access {
        object["access_token"] = json!(access);
        object["token_type"] = json!(tokens.token_type.as_deref().unwrap_or("Bearer"));
        object["scope"] = json!(tokens.scope);
        object["issued_at"] = rfc3339(tokens.issued_at);
        object["expires_at"] = rfc3339(tokens.access_expires_at);
    }
    if let Some(refresh) = refresh {
        object["refresh_token"] = json!(refresh);
        object["refresh_expires_at"] = rfc3339(tokens.refresh_expires_at);
    }
    format!("{object:#}\n")
}

fn env_text(account: &Account, access: Option<&str>, refresh: Option<&str>) -> String {
    let prefix = env_prefix(&account.name);
    let time = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_default()
    };
    let mut out = String::new();
    if let Some(token) = access {
        writeln!(out, "{prefix}_ACCESS_TOKEN={}", sh_quote(token)).ok();
        let header = header_line(account, token);
        writeln!(out, "{prefix}_AUTH_HEADER={}", sh_quote(&header)).ok();
        let expires = time(account.tokens.access_expires_at);
        writeln!(out, "{prefix}_EXPIRES_AT='{expires}'").ok();
    }
    if let Some(token) = refresh {
        writeln!(out, "{prefix}_REFRESH_TOKEN={}", sh_quote(token)).ok();
        let expires = time(account.tokens.refresh_expires_at);
        writeln!(out, "{prefix}_REFRESH_EXPIRES_AT='{expires}'").ok();
    }
    out
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
    fn active_iq_uses_its_own_header() {
        let account = Account::new("aiq", ProviderKind::ActiveIq, Grant::RefreshToken);
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
            ProviderKind::ArubaCentral,
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
        let account = Account::new("b", ProviderKind::Bluexp, Grant::RefreshToken);
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
        let account = Account::new("b", ProviderKind::Bluexp, Grant::RefreshToken);
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
        let account = Account::new("b", ProviderKind::Bluexp, Grant::RefreshToken);
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
