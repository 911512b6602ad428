//! Export formats for a token: text, JSON, .env, the provider's header line, and curl.

use chrono::SecondsFormat;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::model::{Account, Secrets};
use crate::providers::spec;

/// How to write a token out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// The access token and a newline.
    Text,
    /// A JSON object with both tokens and their expiry (importable again).
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

/// The header line that carries `token` on the provider's API calls.
pub fn header_line(account: &Account, token: &str) -> String {
    let spec = spec(account.provider);
    if spec.bearer {
        format!("{}: Bearer {token}", spec.header_name)
    } else {
        format!("{}: {token}", spec.header_name)
    }
}

/// A curl command that calls the provider's API with `token`.
pub fn curl_command(account: &Account, token: &str) -> String {
    let base = match account.provider {
        crate::model::ProviderKind::ArubaCentral | crate::model::ProviderKind::Apinizer => account
            .url
            .as_deref()
            .unwrap_or(spec(account.provider).api_example),
        _ => spec(account.provider).api_example,
    };
    format!("curl -H '{}' '{}'", header_line(account, token), base)
}

/// Renders the account's current token in `format`. `None` when no access token is stored.
pub fn render(
    account: &Account,
    secrets: &Secrets,
    format: ExportFormat,
) -> Option<Zeroizing<String>> {
    let token = secrets.access_token.as_ref()?.expose();
    let time = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map_or(Value::Null, |at| {
            Value::String(at.to_rfc3339_opts(SecondsFormat::Secs, true))
        })
    };
    let text = match format {
        ExportFormat::Text => format!("{token}\n"),
        ExportFormat::Json => {
            let mut object = json!({
                "name": account.name,
                "provider": account.provider.id(),
                "access_token": token,
                "token_type": account.tokens.token_type.as_deref().unwrap_or("Bearer"),
                "scope": account.tokens.scope,
                "issued_at": time(account.tokens.issued_at),
                "expires_at": time(account.tokens.access_expires_at),
                "refresh_expires_at": time(account.tokens.refresh_expires_at),
            });
            if let Some(refresh) = &secrets.refresh_token {
                object["refresh_token"] = Value::String(refresh.expose().to_owned());
            }
            format!("{object:#}\n")
        }
        ExportFormat::Env => {
            let prefix: String = account
                .name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_uppercase()
                    } else {
                        '_'
                    }
                })
                .collect();
            let expires = account
                .tokens
                .access_expires_at
                .map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true))
                .unwrap_or_default();
            format!(
                "{prefix}_ACCESS_TOKEN='{token}'\n{prefix}_AUTH_HEADER='{}'\n{prefix}_EXPIRES_AT='{expires}'\n",
                header_line(account, token)
            )
        }
        ExportFormat::Header => format!("{}\n", header_line(account, token)),
        ExportFormat::Curl => format!("{}\n", curl_command(account, token)),
    };
    Some(Zeroizing::new(text))
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

    #[test]
    fn active_iq_uses_its_own_header() {
        let account = Account::new("aiq", ProviderKind::ActiveIq, Grant::RefreshToken);
        assert_eq!(
            render(&account, &secrets(), ExportFormat::Header)
                .unwrap()
                .as_str(),
            "authorizationToken: tok123\n"
        );
        let curl = render(&account, &secrets(), ExportFormat::Curl).unwrap();
        assert!(
            curl.starts_with(
                "curl -H 'authorizationToken: tok123' 'https://api.activeiq.netapp.com/v1/'"
            ),
            "{}",
            *curl
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
            render(&account, &secrets(), ExportFormat::Header)
                .unwrap()
                .as_str(),
            "Authorization: Bearer tok123\n"
        );
        let env = render(&account, &secrets(), ExportFormat::Env).unwrap();
        assert!(
            env.contains("PROD_CENTRAL_ACCESS_TOKEN='tok123'\n"),
            "{}",
            *env
        );
        assert!(env.contains("PROD_CENTRAL_AUTH_HEADER='Authorization: Bearer tok123'"));
        assert_eq!(
            render(&account, &secrets(), ExportFormat::Text)
                .unwrap()
                .as_str(),
            "tok123\n"
        );
    }

    #[test]
    fn json_carries_both_tokens_and_no_token_means_nothing() {
        let account = Account::new("b", ProviderKind::Bluexp, Grant::RefreshToken);
        let json: Value =
            serde_json::from_str(&render(&account, &secrets(), ExportFormat::Json).unwrap())
                .unwrap();
        assert_eq!(json["access_token"], "tok123");
        assert_eq!(json["refresh_token"], "ref456");
        assert_eq!(json["provider"], "bluexp");
        assert!(render(&account, &Secrets::default(), ExportFormat::Json).is_none());
    }
}
