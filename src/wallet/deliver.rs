//! What the fronts do with a token: export it (text, file) and call an API with it.

use std::path::Path;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::export::{ExportFormat, RenderError, TokenChoice, render};
use crate::model::Account;
use crate::providers::{checked_url, spec};
use crate::store::{write_atomic, write_new_private};

use super::{Wallet, WalletError};

/// Which tokens to export, and how.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExportRequest {
    /// Access, refresh or both.
    pub token: TokenChoice,
    /// The format.
    pub format: ExportFormat,
    /// For a file: keep it fresh, written again after every refresh.
    pub keep_fresh: bool,
}

/// The answer of an API call made with an account's token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiReply {
    /// HTTP status.
    pub status: u16,
    /// The start of the body (at most [`ApiReply::BODY_CHARS`] characters).
    pub body_start: String,
    /// How long the call took, token refresh included.
    pub elapsed: Duration,
}

impl ApiReply {
    /// How much of the body is kept.
    pub const BODY_CHARS: usize = 2000;
}

/// The hosts an account's token may go to without asking: its provider's (default URL,
/// presets, API), its own endpoints, and those the user confirmed.
fn known_hosts(account: &Account) -> Vec<String> {
    let spec = spec(account.provider);
    let own = [&account.url, &account.issuer, &account.revoke_url];
    let urls = own
        .into_iter()
        .flatten()
        .map(String::as_str)
        .chain(spec.default_url)
        .chain(spec.presets.iter().map(|(_, url)| *url))
        .chain(std::iter::once(spec.api_example));
    urls.filter_map(|url| url::Url::parse(url).ok())
        .filter_map(|url| url.host_str().map(str::to_ascii_lowercase))
        .chain(account.api_hosts.iter().cloned())
        .collect()
}

/// What the API catalog hand-off needs: where the catalog is, the name its Authorize dialog
/// gives the token, and a valid access token.
#[derive(Debug)]
pub struct CatalogHandoff {
    /// The catalog's address.
    pub url: String,
    /// What the Authorize dialog calls the token (`authorizationToken`, `Bearer token`).
    pub paste_as: &'static str,
    /// The access token, raw (Authorize dialogs add any `Bearer ` themselves).
    pub token: crate::model::Secret,
}

impl Wallet {
    /// The API catalog hand-off for `name`: its catalog's address and a valid access token,
    /// renewed first when due; `None` when its provider has no known catalog and the
    /// account names none.
    pub async fn catalog(&self, name: &str) -> Result<Option<CatalogHandoff>, WalletError> {
        let account = self.account(name)?;
        let Some((url, paste_as)) = crate::providers::spec(account.provider).catalog_for(&account)
        else {
            return Ok(None);
        };
        crate::providers::checked_url(&url).map_err(|source| WalletError::BadUrl {
            account: account.name.clone(),
            provider: account.provider,
            source,
        })?;
        let outcome = self.token(name).await?;
        if let Some(warning) = &outcome.warning {
            tracing::warn!(account = name, error = %warning, "handing over a token that could not be renewed");
        }
        Ok(Some(CatalogHandoff {
            url,
            paste_as,
            token: outcome.token,
        }))
    }

    /// The account's chosen tokens rendered in the chosen format. Reads the secrets only now.
    pub fn export(
        &self,
        name: &str,
        request: ExportRequest,
    ) -> Result<Zeroizing<String>, WalletError> {
        let (account, secrets) = self.secrets(name)?;
        render(&account, &secrets, request.format, request.token).map_err(|err| match err {
            RenderError::NoToken(what) => WalletError::NoToken {
                account: account.name.clone(),
                provider: account.provider,
                what,
            },
            RenderError::AccessOnly(_) => WalletError::AccessOnly(request.format),
        })
    }

    /// Writes the export to a new owner-only (0600) file at `path`. Something already there
    /// (a file or a symlink) is refused unless `replace`, and even then it is replaced
    /// atomically, never followed.
    pub fn export_to_file(
        &self,
        name: &str,
        request: ExportRequest,
        path: &Path,
        replace: bool,
    ) -> Result<(), WalletError> {
        let text = self.export(name, request)?;
        if replace {
            write_atomic(path, text.as_bytes())?;
        } else {
            write_new_private(path, text.as_bytes())?;
        }
        Ok(())
    }

    /// Sends a GET to `url` with a valid access token of the account (refreshed first when
    /// due) in the provider's header, with the providers' HTTP rules: a timeout, no
    /// redirects, plain http only to loopback. The token goes only to the provider's hosts
    /// or one the user confirmed for this account; `confirm` confirms (and remembers) this
    /// URL's host.
    pub async fn call_api(
        &self,
        name: &str,
        url: &str,
        confirm: bool,
    ) -> Result<ApiReply, WalletError> {
        let started = Instant::now();
        let account = self.account(name)?;
        let bad_url = |source| WalletError::BadUrl {
            account: account.name.clone(),
            provider: account.provider,
            source,
        };
        let url = checked_url(url).map_err(bad_url)?;
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        if !known_hosts(&account).contains(&host) {
            if !confirm {
                return Err(WalletError::UnconfirmedHost {
                    account: account.name.clone(),
                    provider: account.provider,
                    host,
                });
            }
            self.update_account(name, |stored| stored.api_hosts.push(host.clone()))?;
        }
        let token = self.token(name).await?.token;
        let (header, value) = spec(account.provider).header(token.expose());
        let http = self.http_for(&account)?;
        let request = http.get(url).header(header, value);
        let reply = http.send(request).await.map_err(|source| {
            let secrets = [token.expose()];
            super::rotation::provider_error(&account, source.redacted(secrets.into_iter()))
        })?;
        Ok(ApiReply {
            status: reply.status,
            body_start: reply.body.chars().take(ApiReply::BODY_CHARS).collect(),
            elapsed: started.elapsed(),
        })
    }
}
