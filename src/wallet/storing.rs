//! Storing what a provider issued, and what went wrong: the new set goes to the secret
//! store before anything else happens with it (retried, then rescued, never dropped), then
//! the metadata, then the kept files; a failure is noted on the account without touching
//! its tokens.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::rotation::provider_error;
use super::{Wallet, WalletError};
use crate::model::{Account, Secrets, decode_jwt, expiry_from_expires_in};
use crate::providers::{Issued, ProviderError, spec};
use crate::store::Stamp;

/// The longest back-off a server's `Retry-After` can impose.
const MAX_RETRY_AFTER_SECS: u64 = 86_400;

/// What a refresh stored: the account as stored, and its new access token (`None` when
/// nothing was stored because another caller had refreshed).
pub(super) struct Renewed {
    pub(super) account: Account,
    pub(super) access: Option<crate::model::Secret>,
}

impl Wallet {
    /// Writes a new token set: secrets first (the rotated refresh token is durable before
    /// anything else), then the metadata: over the record `stamp` names when it is still
    /// the current one (no second read), else changed in the record as it is now.
    pub(super) fn store_issued(
        &self,
        account: &Account,
        stamp: Option<Stamp>,
        mut secrets: Secrets,
        issued: Issued,
        expires_at: Option<DateTime<Utc>>,
        generated: bool,
    ) -> Result<Renewed, WalletError> {
        let now = self.now();
        let rotated = issued.refresh_token.is_some();
        let replaced = super::fingerprint(secrets.refresh_token.as_ref());
        let (access_expires_at, refresh_expires_at) = expiries(account, &issued, expires_at);
        secrets.access_token = Some(issued.access_token);
        if let Some(refresh_token) = issued.refresh_token {
            secrets.refresh_token = Some(refresh_token);
        }
        if issued.id_token.is_some() {
            secrets.id_token = issued.id_token;
        }
        let rescued = match self.save_issued(&account.name, &secrets, rotated) {
            Ok(()) => None,
            Err(err) if rotated => Some(self.rescue(account, &secrets, replaced, &err)),
            Err(err) => return Err(err),
        };
        crate::crash_point("after-secrets");
        let has_refresh = secrets.refresh_token.is_some();
        let note = rescued.as_ref().map(ToString::to_string);
        let (scope, token_type) = (issued.scope, issued.token_type);
        let change = |stored: &mut Account| {
            let tokens = &mut stored.tokens;
            tokens.has_access_token = true;
            tokens.has_refresh_token = has_refresh;
            tokens.issued_at = Some(issued.issued_at);
            tokens.access_expires_at = access_expires_at;
            if rotated {
                tokens.refresh_expires_at = refresh_expires_at;
            }
            tokens.scope = scope.clone().or_else(|| tokens.scope.take());
            tokens.token_type = token_type.clone().or_else(|| tokens.token_type.take());
            if generated {
                tokens.last_generated_at = Some(now);
            } else {
                tokens.last_refreshed_at = Some(now);
            }
            tokens.needs_sign_in = false;
            tokens.revoked = false;
            tokens.rescued = note.is_some();
            tokens.last_error.clone_from(&note);
            tokens.retry_after = None;
            tokens.generation += 1;
        };
        let mut changed = account.clone();
        change(&mut changed);
        let in_place = match stamp {
            Some(stamp) => self.accounts.replace_if_unchanged(&changed, &stamp)?,
            None => false,
        };
        let stored = if in_place {
            changed
        } else {
            self.update_account(&account.name, change)?
        };
        crate::crash_point("after-metadata");
        if let Some(err) = rescued {
            return Err(err);
        }
        let access = secrets.access_token.clone();
        Ok(Renewed {
            account: self.rewrite_kept(stored, &secrets),
            access,
        })
    }

    /// The store refused a set holding a rotated refresh token: keep it in memory for the
    /// life of the process and, where the store can, in an encrypted rescue file that the
    /// next load picks up. Returns the error that says where it is.
    /// `replaced` names the refresh token the set replaces: a rescue is only ever stored
    /// over that one.
    fn rescue(
        &self,
        account: &Account,
        secrets: &Secrets,
        replaced: String,
        err: &WalletError,
    ) -> WalletError {
        let replaced = self.rescue_replaces(&account.name, replaced);
        let mut secrets = secrets.clone();
        secrets
            .extra
            .0
            .insert(super::RESCUE_REPLACES.to_owned(), replaced.into());
        self.rescued_sets()
            .insert(account.name.clone(), secrets.clone());
        let on_disk = match self.secrets.save_rescue(&account.name, &secrets) {
            Ok(()) => true,
            Err(rescue_err) => {
                tracing::warn!(account = %account.name, error = %rescue_err, "no rescue file either");
                false
            }
        };
        WalletError::Rescued {
            account: account.name.clone(),
            provider: account.provider,
            reason: err.to_string(),
            on_disk,
        }
    }

    /// Saves new tokens. A rotated refresh token exists nowhere else once the server has
    /// retired the old one, so a failed save is retried before giving up.
    fn save_issued(&self, name: &str, secrets: &Secrets, rotated: bool) -> Result<(), WalletError> {
        let mut attempt = 0;
        loop {
            match self.secrets.save(name, secrets) {
                Ok(()) => {
                    // The metadata written next clears the account's "rescued" note.
                    self.forget_rescue(name);
                    return Ok(());
                }
                Err(err) if rotated && attempt < 3 => {
                    attempt += 1;
                    tracing::warn!(account = name, error = %err, attempt, "saving the new tokens failed; retrying");
                    std::thread::sleep(Duration::from_millis(100 * attempt));
                }
                Err(err) => return Err(err.into()),
            }
        }
    }

    /// Notes a failure on the account (last error, needs sign-in, back-off) and returns the
    /// error to show, with every secret of the account redacted from the server's words (a
    /// gateway may echo the request). The tokens are not touched.
    pub(super) fn record_failure(
        &self,
        account: &Account,
        secrets: &Secrets,
        err: ProviderError,
    ) -> WalletError {
        let err = err.redacted(secrets.values());
        let sign_in = err.needs_sign_in();
        let retry_after = match &err {
            // The server's number, capped at a day: a huge value must neither overflow
            // nor lock the account out for good.
            ProviderError::RateLimited { retry_after_secs } => {
                let secs = retry_after_secs.unwrap_or(60).min(MAX_RETRY_AFTER_SECS);
                self.now().checked_add_signed(chrono::Duration::seconds(
                    i64::try_from(secs).unwrap_or(60),
                ))
            }
            _ => None,
        };
        let error = provider_error(account, err);
        let message = error.to_string();
        let recorded = self.update_account(&account.name, |stored| {
            stored.tokens.last_error = Some(message.clone());
            stored.tokens.needs_sign_in |= sign_in;
            if retry_after.is_some() {
                stored.tokens.retry_after = retry_after;
            }
        });
        if let Err(store_err) = recorded {
            tracing::warn!(error = %store_err, "could not record the failure");
        }
        error
    }
}

/// When the access and refresh tokens of `issued` expire: an explicit date, else the
/// server's `expires_in`, else the JWT `exp`, else the provider's documented lifetime.
fn expiries(
    account: &Account,
    issued: &Issued,
    expires_at: Option<DateTime<Utc>>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let lifetimes = spec(account.provider).lifetimes;
    let access = expires_at
        .or_else(|| {
            issued
                .expires_in
                .and_then(|secs| expiry_from_expires_in(secs, issued.issued_at))
        })
        .or_else(|| decode_jwt(issued.access_token.expose())?.expires_at())
        .or_else(|| lifetimes.access.map(|life| issued.issued_at + life));
    let refresh = issued.refresh_token.as_ref().and_then(|rt| {
        issued
            .refresh_expires_in
            .and_then(|secs| expiry_from_expires_in(secs, issued.issued_at))
            .or_else(|| decode_jwt(rt.expose())?.expires_at())
            .or_else(|| lifetimes.refresh.map(|life| issued.issued_at + life))
    });
    (access, refresh)
}
