//! What an export holds and how it is written, and the files the agent keeps fresh: the
//! account's record lists them, so every process that refreshes the account rewrites them.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// How to write a token out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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
    /// A Postman environment (`access_token`, `auth_header`, `expires_at`, …) that newman,
    /// Postman, Bruno and Insomnia import.
    Postman,
}

impl ExportFormat {
    /// Every format, in menu order.
    pub const ALL: [Self; 6] = [
        Self::Text,
        Self::Json,
        Self::Env,
        Self::Header,
        Self::Curl,
        Self::Postman,
    ];

    /// The `--format` name.
    pub fn id(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Json => "json",
            Self::Env => "env",
            Self::Header => "header",
            Self::Curl => "curl",
            Self::Postman => "postman",
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
            Self::Postman => "postman_environment.json",
            Self::Env => "env",
            Self::Curl => "sh",
        }
    }
}

/// Which of an account's tokens to write out, as the portals offer it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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

    /// Whether the access token is among them.
    pub fn access(self) -> bool {
        self != Self::Refresh
    }

    /// Whether the refresh token is among them.
    pub fn refresh(self) -> bool {
        self != Self::Access
    }
}

/// A file kept fresh: after every refresh of its account, whoever refreshed rewrites it
/// (atomically, owner-only), and the keep-alive renews the access token before it gets
/// short. The last write is the file's own modification time; an error stays here until a
/// write succeeds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptFile {
    /// Where, as an absolute path.
    pub path: PathBuf,
    /// The format written.
    pub format: ExportFormat,
    /// The tokens written.
    pub token: TokenChoice,
    /// Why the last write failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What removing an account does to its kept files, in a sentence: nothing is deleted, and
/// nothing keeps them fresh any more. `None` when it kept none.
pub fn left_behind(files: &[KeptFile]) -> Option<String> {
    let paths: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
    match paths.as_slice() {
        [] => None,
        [one] => Some(format!("{one} is no longer kept fresh; it stays on disk")),
        many => Some(format!(
            "{} are no longer kept fresh; they stay on disk",
            many.join(", ")
        )),
    }
}

/// When a file was written, for people: "written just now", "written 03:12 ago".
pub fn written_ago(
    written: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    match written {
        None => "not written".to_owned(),
        Some(at) if (now - at).num_seconds() < 1 => "written just now".to_owned(),
        Some(at) => format!("written {} ago", super::format_countdown(now - at)),
    }
}
