//! What the fronts do with a token: export it (text, file) and hand it to a catalog.

use std::path::Path;

use zeroize::Zeroizing;

use crate::export::{ExportFormat, RenderError, TokenChoice, render};
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
}
