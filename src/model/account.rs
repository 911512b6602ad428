//! An account: which provider, how to reach it, and what is known about its tokens (no secrets).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::expiry::{
    AccountState, Renewal, TokenMeta, keep_alive_at, kept_files_renew_at, refresh_due,
    refresh_token_expires_soon,
};
use super::kept::KeptFile;
use super::secrets::Extra;
pub use crate::providers::ProviderKind;

/// How an account obtains a new token set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    /// A long-lived refresh token (portal-issued) is exchanged for access tokens.
    RefreshToken,
    /// Username and password (OAuth password grant).
    Password,
    /// Client id and secret (service accounts).
    ClientCredentials,
    /// An authorization code: Aruba Central's three-step login (login → authorize → token
    /// exchange), or, for an OAuth 2.0 server, signing in through the browser with PKCE.
    AuthorizationCode,
    /// The device authorization grant (RFC 8628): sign in on another device with a code.
    DeviceCode,
}

impl Grant {
    /// The CLI / wire name.
    pub fn id(self) -> &'static str {
        match self {
            Self::RefreshToken => "refresh_token",
            Self::Password => "password",
            Self::ClientCredentials => "client_credentials",
            Self::AuthorizationCode => "authorization_code",
            Self::DeviceCode => "device_code",
        }
    }

    /// Whether the grant gets a new token from stored credentials alone (no refresh token).
    pub fn renews_with_credentials(self) -> bool {
        matches!(
            self,
            Self::ClientCredentials | Self::Password | Self::AuthorizationCode
        )
    }

    /// Every grant.
    pub const ALL: [Self; 5] = [
        Self::RefreshToken,
        Self::Password,
        Self::ClientCredentials,
        Self::AuthorizationCode,
        Self::DeviceCode,
    ];

    /// Parses a CLI name.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|grant| grant.id() == id)
    }
}

/// Where an OAuth client puts its credentials on the token endpoint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// HTTP Basic (`client_secret_basic`), the RFC 6749 default.
    #[default]
    Basic,
    /// In the form body (`client_secret_post`).
    Post,
}

/// One account in the wallet: metadata only; its secrets live in the secret store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The user's name for the account; unique in the wallet.
    pub name: String,
    /// Which provider it talks to.
    pub provider: ProviderKind,
    /// How it obtains a new token set.
    pub grant: Grant,
    /// Base URL override (for `oauth2`, the token endpoint itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// OAuth client id (BlueXP, Aruba, generic OAuth).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Username for password grants and Aruba's login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Requested scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Requested audience (Auth0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// Aruba Central customer id, for the three-step login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// RFC 7009 revocation endpoint (`oauth2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke_url: Option<String>,
    /// Issuer used for discovery (`oauth2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Authorization endpoint for signing in through the browser (`oauth2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_url: Option<String>,
    /// Device authorization endpoint (`oauth2`, RFC 8628).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_url: Option<String>,
    /// An exact loopback redirect URI to listen on (default: a random port, `/callback`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// A PEM file of extra CA certificates trusted for this account, beside the system's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// The API catalog's address, where it is not the provider's usual one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_url: Option<String>,
    /// Where the API's OpenAPI spec was read from (a file or a URL); a copy is kept in the
    /// data dir.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_spec: Option<String>,
    /// The server's metadata says every authorization response names its issuer (RFC 9207
    /// `authorization_response_iss_parameter_supported`): one that does not is refused.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub issuer_in_response: bool,
    /// Client authentication method (`oauth2`).
    #[serde(default)]
    pub client_auth: ClientAuth,
    /// Hosts, beside the provider's own, that the user confirmed for *Try it* calls.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api_hosts: Vec<String>,
    /// Refresh in the background before the access token expires.
    #[serde(default = "default_true")]
    pub auto_refresh: bool,
    /// What is known about the stored tokens.
    #[serde(default)]
    pub tokens: TokenMeta,
    /// Files kept fresh with this account's tokens.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept_files: Vec<KeptFile>,
    /// Shared through the team store: this record and the stored tokens are this machine's
    /// copy of the team's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<TeamMark>,
    /// Fields of a newer version, kept.
    #[serde(flatten)]
    pub extra: Extra,
}

/// What a machine knows of a team account's place in the team store.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TeamMark {
    /// The version of the team's chain (`chain/NAME`) this machine's tokens come from or
    /// were written as.
    pub chain_version: u64,
    /// A one-way fingerprint of that chain's refresh token: a process that died while
    /// refreshing left the set it based its refresh on, or a newer one to write.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub chain_fingerprint: String,
    /// The version of the team's access token (`access/NAME`) this machine's copy is.
    #[serde(skip_serializing_if = "u64_is_zero")]
    pub access_version: u64,
    /// This machine's newest tokens could not be written to the team store yet: they are
    /// written at the next use, before anything else is done with the account.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub pending: bool,
    /// Who wrote the team's access token last (host, process).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refreshed_by: Option<String>,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn u64_is_zero(n: &u64) -> bool {
    *n == 0
}

fn default_true() -> bool {
    true
}

impl Account {
    /// A new account with no tokens yet.
    pub fn new(name: impl Into<String>, provider: ProviderKind, grant: Grant) -> Self {
        Self {
            name: name.into(),
            provider,
            grant,
            url: None,
            client_id: None,
            username: None,
            scope: None,
            audience: None,
            customer_id: None,
            revoke_url: None,
            issuer: None,
            auth_url: None,
            device_url: None,
            redirect_uri: None,
            ca_file: None,
            catalog_url: None,
            api_spec: None,
            issuer_in_response: false,
            client_auth: ClientAuth::default(),
            api_hosts: Vec::new(),
            auto_refresh: true,
            tokens: TokenMeta::default(),
            kept_files: Vec::new(),
            team: None,
            extra: Extra::default(),
        }
    }

    /// The account's state at `now`.
    pub fn state(&self, now: DateTime<Utc>) -> AccountState {
        AccountState::of(&self.tokens, self.can_renew_unattended(), now)
    }

    /// Whether a new access token can be had without the user (stored refresh token or credentials).
    pub fn can_renew_unattended(&self) -> bool {
        self.tokens.has_refresh_token || self.grant.renews_with_credentials()
    }

    /// Whether the background refresher should renew this account now.
    pub fn refresh_due(&self, now: DateTime<Utc>) -> bool {
        refresh_due(&self.tokens, now)
    }

    /// When the keep-alive renews the account with nobody asking, and why: the earlier of
    /// keeping its chain alive and keeping its files' access token fresh. `None` with
    /// auto-refresh off, or nothing to keep.
    pub fn next_background_refresh(&self) -> Option<(DateTime<Utc>, Renewal)> {
        if !self.auto_refresh {
            return None;
        }
        let files_hold_access = self.kept_files.iter().any(|file| file.token.access());
        let files =
            kept_files_renew_at(&self.tokens, self.can_renew_unattended(), files_hold_access)
                .map(|at| (at, Renewal::KeptFiles));
        let chain = keep_alive_at(&self.tokens).map(|at| (at, Renewal::Chain));
        match (chain, files) {
            (Some(chain), Some(files)) => Some(if files.0 < chain.0 { files } else { chain }),
            (one, other) => one.or(other),
        }
    }

    /// Whether the refresh token dies within a day (the user should be warned).
    pub fn refresh_token_expires_soon(&self, now: DateTime<Utc>) -> bool {
        refresh_token_expires_soon(&self.tokens, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_files_without_new_fields_still_load() {
        let json = r#"{"name":"a","provider":"bluexp","grant":"refresh_token"}"#;
        let account: Account = serde_json::from_str(json).unwrap();
        assert!(account.auto_refresh);
        assert_eq!(account.tokens, TokenMeta::default());
    }
}
