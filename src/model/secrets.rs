//! The secret half of an account: credentials and tokens, redacted in `Debug` and wiped on drop.

use serde::{Deserialize, Serialize};
use zeroize::Zeroize as _;

/// A secret string (token, password, client secret). `Debug` prints `[redacted]`, and the
/// memory is zeroed when the value is dropped.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that must send or show it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is an empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

/// Fields a newer version wrote that this one does not know: kept as they were and written
/// back, so a downgrade followed by an upgrade loses nothing. `Debug` shows only the names.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Extra(pub serde_json::Map<String, serde_json::Value>);

impl std::fmt::Debug for Extra {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// Everything secret about one account, stored as one entry in the secret store.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secrets {
    /// OAuth client secret (Aruba, BlueXP service accounts, generic OAuth clients).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<Secret>,
    /// Password for password grants and Aruba's login step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    /// The current access token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<Secret>,
    /// The current refresh token; the only copy of a rotated one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// The OpenID Connect id token, when the server sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<Secret>,
    /// Fields of a newer version, kept.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Secrets {
    /// Every secret value held, for checks that none of them leaked somewhere.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        [
            &self.client_secret,
            &self.password,
            &self.access_token,
            &self.refresh_token,
            &self.id_token,
        ]
        .into_iter()
        .flatten()
        .map(Secret::expose)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_secret() {
        let secrets = Secrets {
            access_token: Some(Secret::new("at-very-secret")),
            password: Some(Secret::new("pw-very-secret")),
            ..Secrets::default()
        };
        let printed = format!("{secrets:?}");
        assert!(!printed.contains("very-secret"), "{printed}");
        assert!(printed.contains("[redacted]"));
    }

    #[test]
    fn serializes_as_plain_strings_and_round_trips() {
        let secrets = Secrets {
            refresh_token: Some(Secret::new("rt-1")),
            ..Secrets::default()
        };
        let json = serde_json::to_string(&secrets).unwrap();
        assert_eq!(json, r#"{"refresh_token":"rt-1"}"#);
        assert_eq!(serde_json::from_str::<Secrets>(&json).unwrap(), secrets);
    }
}
