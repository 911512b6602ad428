//! How the command line names the account fields (its options and variables, with their
//! help) and words the wallet's errors with them and its commands, which the core never
//! names.

use crate::model::Field;
use crate::providers::ProviderError;
use crate::store::StoreError;
use crate::wallet::{ErrorKind, WalletError};

/// How the command line takes a field: its option (a secret: its environment variable),
/// the name of its value, and what it is for. Options and help text come from here.
pub fn taken(field: Field) -> (&'static str, &'static str, &'static str) {
    match field {
        Field::Url => ("--url", "URL", "Base URL (oauth2: the token endpoint)"),
        Field::ClientId => ("--client-id", "CLIENT_ID", "OAuth client id"),
        Field::ClientSecret => ("TOKENWALLET_CLIENT_SECRET", "SECRET", "OAuth client secret"),
        Field::Username => ("--username", "USERNAME", "Username"),
        Field::Password => ("TOKENWALLET_PASSWORD", "SECRET", "Password"),
        Field::RefreshToken => ("TOKENWALLET_REFRESH_TOKEN", "SECRET", "Refresh token"),
        Field::CustomerId => ("--customer-id", "CUSTOMER_ID", "Aruba Central customer id"),
        Field::Scope => ("--scope", "SCOPE", "Scope to request"),
        Field::Audience => ("--audience", "AUDIENCE", "Audience to request"),
        Field::Issuer => (
            "--issuer",
            "URL",
            "Issuer to discover the endpoints from (oauth2)",
        ),
        Field::RevokeUrl => (
            "--revoke-url",
            "URL",
            "RFC 7009 revocation endpoint (oauth2)",
        ),
        Field::ClientAuth => (
            "--client-auth",
            "METHOD",
            "Client authentication: basic or post",
        ),
        Field::CaFile => (
            "--ca-file",
            "PATH",
            "A PEM file of extra CA certificates to trust for this account (behind TLS \
             inspection), beside the system's store",
        ),
        Field::AuthUrl => (
            "--auth-url",
            "URL",
            "Authorization endpoint for `--grant authorization_code` (oauth2; else discovered)",
        ),
        Field::DeviceUrl => (
            "--device-url",
            "URL",
            "Device authorization endpoint for `--grant device_code` (oauth2; else discovered)",
        ),
        Field::RedirectUri => (
            "--redirect-uri",
            "URI",
            "An exact redirect URI `http://127.0.0.1:PORT/path`, for servers that need a \
             registered one (default: a random port and `/callback`)",
        ),
        Field::CatalogUrl => (
            "--catalog-url",
            "URL",
            "The API catalog's address, where it is not the provider's usual one",
        ),
    }
}

/// Where the command line takes a field: an option or an environment variable.
pub fn option(field: Field) -> &'static str {
    taken(field).0
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
