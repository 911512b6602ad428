//! The answer to a request, from an open wallet: what the agent sends back, and what the
//! command line computes itself when no agent serves it. One function, so the two agree.

use zeroize::Zeroizing;

use super::{Reply, Request, Wording};
use crate::wallet::{ExportRequest, Wallet, WalletError};

/// Answers `request` with `wallet`; an error comes back as [`Reply::Failed`], worded by
/// `wording`. `unlock`, `lock` and `replan` are the agent's own business: asked here, they
/// are refused.
pub async fn answer(wallet: &Wallet, request: Request, wording: &dyn Wording) -> Reply {
    match data(wallet, request, wording).await {
        Ok(reply) => reply,
        Err(err) => Reply::failed(err.kind(), wording.describe(&err)),
    }
}

async fn data(
    wallet: &Wallet,
    request: Request,
    wording: &dyn Wording,
) -> Result<Reply, WalletError> {
    Ok(match request {
        Request::Token { name } => {
            let outcome = wallet.token(&name).await?;
            Reply::Token {
                token: Zeroizing::new(outcome.token.expose().to_owned()),
                warning: outcome.warning.map(|warning| wording.describe(&warning)),
            }
        }
        Request::List => Reply::Accounts {
            accounts: wallet.list()?,
        },
        Request::Show { name } => {
            let (account, secrets) = wallet.secrets(&name)?;
            let claims = secrets
                .access_token
                .as_ref()
                .and_then(|token| crate::model::decode_jwt(token.expose()));
            Reply::Account {
                account: Box::new(account),
                claims,
            }
        }
        Request::Export {
            name,
            token,
            format,
            fresh,
        } => {
            if fresh {
                // A failed renewal of a token still valid is no failure here: the export
                // carries that token, as `token` prints it.
                wallet.token(&name).await?;
            }
            let request = ExportRequest {
                token,
                format,
                keep_fresh: false,
            };
            Reply::Exported {
                text: wallet.export(&name, request)?,
            }
        }
        Request::Unlock { .. } | Request::Lock | Request::Replan => Reply::failed(
            crate::wallet::ErrorKind::BadInput,
            "only a running agent answers unlock, lock and replan",
        ),
    })
}
