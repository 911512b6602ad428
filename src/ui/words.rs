//! How the window words things: field labels, and the wallet's errors with the form's
//! labels and the window's buttons (never a command-line option).

use crate::model::{Field, ProviderKind};
use crate::providers::{ProviderError, UrlMeaning, spec};
use crate::wallet::StoreError;
use crate::wallet::WalletError;

/// The form label of a field for a provider.
pub fn label(field: Field, provider: ProviderKind) -> &'static str {
    match field {
        Field::Url => match spec(provider).url_meaning {
            UrlMeaning::TokenEndpoint => "Token endpoint",
            UrlMeaning::BaseUrl => "Base URL",
        },
        Field::ClientId => "Client id",
        Field::ClientSecret => "Client secret",
        Field::Username => "Username",
        Field::Password => "Password",
        Field::RefreshToken => "Refresh token",
        Field::CustomerId => "Customer id",
        Field::Scope => "Scope",
        Field::Audience => "Audience",
        Field::Issuer => "Issuer",
        Field::RevokeUrl => "Revoke URL",
        Field::ClientAuth => "Client auth",
        Field::CaFile => "Extra CA file",
        Field::AuthUrl => "Authorization endpoint",
        Field::DeviceUrl => "Device endpoint",
        Field::RedirectUri => "Redirect URI",
        Field::CatalogUrl => "API catalog address",
    }
}

/// How a sentence names a field in the window ("a client id", "the Base URL").
fn noun(field: Field, provider: ProviderKind) -> String {
    match field {
        Field::Url => format!("the {}", label(field, provider)),
        other => other.noun().to_owned(),
    }
}

/// The error as the window says it.
pub fn describe(err: &WalletError) -> String {
    match err {
        WalletError::Missing { provider, .. } => {
            err.with_field_names(&|field| noun(field, *provider))
        }
        WalletError::Provider {
            source: ProviderError::Missing(field),
            provider,
            ..
        } => format!(
            "{err} (remove the account and add it again with {})",
            noun(*field, *provider)
        ),
        WalletError::NoToken { .. } => format!("{err}: press Generate, or Import a token file"),
        WalletError::Store(StoreError::Keyring(_)) => {
            format!("{err}: choose the encrypted vault in the first-run screen")
        }
        _ => err.to_string(),
    }
}
