//! How the command line words the wallet's errors: with its own options, variables and
//! commands, which the core never names.

use crate::model::Field;
use crate::providers::ProviderError;
use crate::store::StoreError;
use crate::wallet::{ErrorKind, WalletError};

/// Where the command line takes a field: an option or an environment variable.
pub fn option(field: Field) -> &'static str {
    match field {
        Field::Url => "--url",
        Field::ClientId => "--client-id",
        Field::ClientSecret => "TOKENWALLET_CLIENT_SECRET",
        Field::Username => "--username",
        Field::Password => "TOKENWALLET_PASSWORD",
        Field::RefreshToken => "TOKENWALLET_REFRESH_TOKEN",
        Field::CustomerId => "--customer-id",
        Field::Scope => "--scope",
        Field::Audience => "--audience",
        Field::Issuer => "--issuer",
        Field::RevokeUrl => "--revoke-url",
        Field::ClientAuth => "--client-auth",
        Field::CaFile => "--ca-file",
        Field::AuthUrl => "--auth-url",
        Field::DeviceUrl => "--device-url",
        Field::RedirectUri => "--redirect-uri",
        Field::CatalogUrl => "--catalog-url",
    }
}

/// The exit code: 2 bad input, 3 needs sign-in, 4 unreachable or 5xx, 1 anything else.
pub fn exit_code(err: &WalletError) -> i32 {
    code(err.kind())
}

/// The exit code of a kind of failure.
pub fn code(kind: ErrorKind) -> i32 {
    match kind {
        ErrorKind::BadInput => 2,
        ErrorKind::NeedsSignIn => 3,
        ErrorKind::Unreachable => 4,
        ErrorKind::Other => 1,
    }
}

/// The error as the command line says it.
pub fn describe(err: &WalletError) -> String {
    match err {
        WalletError::NotFound(_) => format!("{err}; `tokenwallet list` shows the accounts"),
        WalletError::Missing { .. } => {
            err.with_field_names(&|field| format!("{field} ({})", option(field)))
        }
        WalletError::Provider {
            source: ProviderError::Missing(field),
            ..
        } => format!("{err} (add the account again with {})", option(*field)),
        WalletError::Provider {
            account,
            source: ProviderError::Rejected { .. },
            ..
        } => format!("{err} (`tokenwallet show {account}` shows them)"),
        WalletError::NoToken {
            account,
            what: "access token",
            ..
        } => {
            format!("{err}: run `tokenwallet generate {account}` or import a token file")
        }
        WalletError::Store(store) => describe_store(store),
        WalletError::HttpSetup(ProviderError::BadTimeout(_)) => {
            format!("TOKENWALLET_TIMEOUT_SECS: {err}")
        }
        _ => err.to_string(),
    }
}

/// A storage error as the command line says it.
pub fn describe_store(err: &StoreError) -> String {
    match err {
        StoreError::WrongPassphrase => {
            format!("{err} (set TOKENWALLET_PASSPHRASE or type it again)")
        }
        StoreError::NoPassphrase => format!(
            "{err}: set TOKENWALLET_PASSPHRASE, run in a terminal, or run `tokenwallet unlock` once so the agent holds the key"
        ),
        StoreError::Keyring(_) => {
            format!("{err}: set TOKENWALLET_SECRET_STORE=file")
        }
        StoreError::UnknownStore(_) => format!("TOKENWALLET_SECRET_STORE: {err}"),
        StoreError::Exists(_) => format!("{err}; add --force to replace it"),
        _ => err.to_string(),
    }
}
