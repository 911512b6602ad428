//! The fields a user gives an account. Providers declare which they require and allow;
//! core errors name them with this type, and each front words them its own way.

use super::{Account, ClientAuth, Secret, Secrets};

/// One thing a user can give an account, stored in its metadata or in its secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// The base URL or, for a generic OAuth server, the token endpoint.
    Url,
    /// The OAuth client id.
    ClientId,
    /// The OAuth client secret (secret).
    ClientSecret,
    /// The user's login name.
    Username,
    /// The user's password (secret).
    Password,
    /// A refresh token obtained elsewhere (secret).
    RefreshToken,
    /// Aruba Central's customer id.
    CustomerId,
    /// The scope to request.
    Scope,
    /// The audience to request.
    Audience,
    /// The issuer whose metadata names the endpoints.
    Issuer,
    /// The RFC 7009 revocation endpoint.
    RevokeUrl,
    /// Where the client secret goes (HTTP Basic or the form body).
    ClientAuth,
    /// A PEM file of extra CA certificates to trust for this account (TLS inspection).
    CaFile,
    /// The authorization endpoint, for signing in through the browser.
    AuthUrl,
    /// The device authorization endpoint, for signing in on another device.
    DeviceUrl,
    /// An exact loopback redirect URI, for servers that require a registered one.
    RedirectUri,
    /// The address of the provider's API catalog, where it is not the usual one.
    CatalogUrl,
}

impl Field {
    /// Every field, in the order forms show them.
    pub const ALL: [Self; 17] = [
        Self::Url,
        Self::ClientId,
        Self::ClientSecret,
        Self::Username,
        Self::Password,
        Self::RefreshToken,
        Self::CustomerId,
        Self::Scope,
        Self::Audience,
        Self::Issuer,
        Self::RevokeUrl,
        Self::ClientAuth,
        Self::AuthUrl,
        Self::DeviceUrl,
        Self::RedirectUri,
        Self::CaFile,
        Self::CatalogUrl,
    ];

    /// How a sentence names it ("needs a client id").
    pub fn noun(self) -> &'static str {
        match self {
            Self::Url => "a URL",
            Self::ClientId => "a client id",
            Self::ClientSecret => "a client secret",
            Self::Username => "a username",
            Self::Password => "a password",
            Self::RefreshToken => "a refresh token",
            Self::CustomerId => "a customer id",
            Self::Scope => "a scope",
            Self::Audience => "an audience",
            Self::Issuer => "an issuer",
            Self::RevokeUrl => "a revocation endpoint",
            Self::ClientAuth => "a client authentication method",
            Self::CaFile => "a CA certificate file",
            Self::AuthUrl => "an authorization endpoint",
            Self::DeviceUrl => "a device authorization endpoint",
            Self::RedirectUri => "a redirect URI",
            Self::CatalogUrl => "an API catalog address",
        }
    }

    /// Whether its value is a secret (kept in the secret store, never shown).
    pub fn secret(self) -> bool {
        matches!(
            self,
            Self::ClientSecret | Self::Password | Self::RefreshToken
        )
    }

    /// Its value among the account's secrets (`None` for metadata fields).
    pub fn secret_in(self, secrets: &Secrets) -> Option<&Secret> {
        match self {
            Self::ClientSecret => secrets.client_secret.as_ref(),
            Self::Password => secrets.password.as_ref(),
            Self::RefreshToken => secrets.refresh_token.as_ref(),
            _ => None,
        }
    }

    /// Whether `account` and `secrets` hold a non-blank value for it.
    pub fn given(self, account: &Account, secrets: &Secrets) -> bool {
        if self == Self::ClientAuth {
            return account.client_auth != ClientAuth::default();
        }
        let value = self
            .text(account)
            .or(self.secret_in(secrets).map(Secret::expose));
        value.is_some_and(|v| !v.trim().is_empty())
    }
}

/// Writes `Field::text` and `Field::text_mut` from one list: the fields kept as text in an
/// account's metadata, each with its member, then the fields that are not.
macro_rules! text_fields {
    ($($field:ident => $member:ident),*; not: $($other:ident)|*) => {
        impl Field {
            /// Its text in the account's metadata (`None` for secrets and the client auth
            /// choice).
            pub fn text(self, account: &Account) -> Option<&str> {
                match self {
                    $(Self::$field => account.$member.as_deref(),)*
                    $(Self::$other)|* => None,
                }
            }

            /// Where its text lives in the account's metadata (`None` for secrets and the
            /// client auth choice).
            pub fn text_mut(self, account: &mut Account) -> Option<&mut Option<String>> {
                match self {
                    $(Self::$field => Some(&mut account.$member),)*
                    $(Self::$other)|* => None,
                }
            }
        }
    };
}

text_fields! {
    Url => url,
    ClientId => client_id,
    Username => username,
    CustomerId => customer_id,
    Scope => scope,
    Audience => audience,
    Issuer => issuer,
    RevokeUrl => revoke_url,
    CaFile => ca_file,
    AuthUrl => auth_url,
    DeviceUrl => device_url,
    RedirectUri => redirect_uri,
    CatalogUrl => catalog_url;
    not: ClientSecret | Password | RefreshToken | ClientAuth
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.noun())
    }
}

/// Whether a provider and grant need a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// It must be given.
    Required,
    /// It must be given unless the other field is.
    RequiredUnless(Field),
    /// It may be given.
    Optional,
}

/// One field a provider and grant take, and whether it must be given.
pub type FieldRule = (Field, Need);

/// A required field that is missing, with the field that would do instead, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MissingField {
    /// The field.
    pub field: Field,
    /// The field that may be given instead.
    pub or: Option<Field>,
}

/// The required fields of `rules` that `account` and `secrets` lack.
pub fn missing_fields(
    rules: &[FieldRule],
    account: &Account,
    secrets: &Secrets,
) -> Vec<MissingField> {
    rules
        .iter()
        .filter_map(|&(field, need)| {
            let or = match need {
                Need::Optional => return None,
                Need::Required => None,
                Need::RequiredUnless(other) => Some(other),
            };
            let given =
                field.given(account, secrets) || or.is_some_and(|o| o.given(account, secrets));
            (!given).then_some(MissingField { field, or })
        })
        .collect()
}
