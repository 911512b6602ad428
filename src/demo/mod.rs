//! The demo: a built-in OAuth 2.0 server on loopback with short lifetimes, so a new user
//! can try every button without a vendor account. Its pieces also serve the tests.

pub mod api;
pub mod oauth;
pub mod server;

use crate::model::{Account, Grant, ProviderKind, Secret, Secrets};
use crate::wallet::NewAccount;

/// The demo's access token lifetime: short, to watch the countdown and auto-refresh work.
pub const DEMO_ACCESS_TTL_SECS: i64 = 120;
/// The demo's refresh token lifetime.
pub const DEMO_REFRESH_TTL_SECS: i64 = 900;

/// Starts the demo server and returns it with the account to add for it.
pub fn start(name: &str) -> std::io::Result<(oauth::OAuthServer, NewAccount)> {
    let server = oauth::OAuthServer::start(oauth::Config {
        access_ttl_secs: DEMO_ACCESS_TTL_SECS,
        refresh_ttl_secs: DEMO_REFRESH_TTL_SECS,
        ..oauth::Config::default()
    })?;
    let mut new = account(&server, name);
    new.account.scope = Some("api:read".into());
    Ok((server, new))
}

/// An account named `name` on `server`: the password grant, as its default client
/// (`demo-client`) and user (`demo`), with its revocation endpoint.
pub fn account(server: &oauth::OAuthServer, name: &str) -> NewAccount {
    let mut account = Account::new(name, ProviderKind::OAUTH2, Grant::Password);
    account.url = Some(server.token_url());
    account.revoke_url = Some(server.revoke_url());
    account.client_id = Some("demo-client".into());
    account.username = Some("demo".into());
    let secrets = Secrets {
        client_secret: Some(Secret::new("demo-secret")),
        password: Some(Secret::new("demo-password")),
        ..Secrets::default()
    };
    NewAccount { account, secrets }
}
