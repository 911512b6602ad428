//! The API pane's jobs: a GET to any URL (Try it), an account's OpenAPI spec read and kept,
//! and an operation of it called, each with the account's token.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Event, Inner, describe};
use crate::openapi::ApiDoc;
use crate::wallet::{ApiCall, ApiResponse, Wallet, WalletError};

/// What the API pane asks of the worker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiCommand {
    /// Send a GET with the token and report the answer.
    TryIt {
        /// Account.
        name: String,
        /// The URL to call.
        url: String,
        /// The user confirmed sending the token to this URL's host.
        confirm: bool,
    },
    /// Read a spec and keep it as the account's (`None`: the one kept already).
    LoadSpec {
        /// Account.
        name: String,
        /// A file or a URL.
        source: Option<String>,
    },
    /// Call an operation of the account's spec.
    Call {
        /// Account.
        name: String,
        /// The operation and its values.
        call: ApiCall,
        /// The user confirmed sending the token to the API's host.
        confirm: bool,
    },
    /// Copy text that holds no secret (a curl command with `$TOKEN`).
    CopyText(String),
}

/// The answer of a Try it request.
#[derive(Clone, Debug)]
pub struct TryItResult {
    /// The account used.
    pub name: String,
    /// HTTP status, or the error.
    pub status: Result<u16, String>,
    /// How long the request took.
    pub elapsed: Duration,
    /// The start of the body.
    pub body_start: String,
}

/// What the worker reports to the API pane.
#[derive(Debug)]
pub enum ApiEvent {
    /// The token would go to a host that is not the provider's: ask, then send `retry`.
    ConfirmHost {
        /// Account.
        name: String,
        /// The host.
        host: String,
        /// The same command, confirmed.
        retry: ApiCommand,
    },
    /// A Try it answer.
    TryIt(TryItResult),
    /// The account's spec, read (or why not).
    Spec {
        /// Account.
        name: String,
        /// The spec and where it came from, or the error.
        result: Result<(Arc<ApiDoc>, String), String>,
    },
    /// An operation's answer (or why there is none).
    Response {
        /// Account.
        name: String,
        /// The answer, or the error.
        result: Result<ApiResponse, String>,
    },
}

pub(super) async fn run(inner: &Arc<Inner>, wallet: &Wallet, command: ApiCommand) {
    let retry = command.clone();
    match command {
        ApiCommand::TryIt { name, url, confirm } => {
            let started = Instant::now();
            let result = match wallet.call_api(&name, &url, confirm).await {
                Err(WalletError::UnconfirmedHost { host, .. }) => {
                    return ask(inner, name, host, retry);
                }
                Ok(reply) => TryItResult {
                    name,
                    status: Ok(reply.status),
                    elapsed: reply.elapsed,
                    body_start: reply.body_start,
                },
                Err(err) => TryItResult {
                    name,
                    status: Err(describe(&err)),
                    elapsed: started.elapsed(),
                    body_start: String::new(),
                },
            };
            inner.emit(Event::Api(ApiEvent::TryIt(result)));
        }
        ApiCommand::LoadSpec { name, source } => {
            let result = match source {
                Some(source) => wallet.remember_spec(&name, &source).await,
                None => wallet.api_spec(&name).await,
            };
            let result = result
                .map(|(doc, source)| (Arc::new(doc), source))
                .map_err(|err| describe(&err));
            inner.emit(Event::Api(ApiEvent::Spec { name, result }));
        }
        ApiCommand::Call {
            name,
            call,
            confirm,
        } => {
            let result = match wallet.call_operation(&name, &call, confirm).await {
                Err(WalletError::UnconfirmedHost { host, .. }) => {
                    return ask(inner, name, host, retry);
                }
                other => other.map_err(|err| describe(&err)),
            };
            inner.emit(Event::Api(ApiEvent::Response { name, result }));
        }
        ApiCommand::CopyText(text) => {
            let text = zeroize::Zeroizing::new(text);
            match crate::clipboard::copy_with_auto_clear(&inner.services.clipboard, text, None) {
                Ok(()) => inner.toast(
                    true,
                    "Copied the curl command; it reads the token from $TOKEN.".to_owned(),
                ),
                Err(err) => inner.toast(false, format!("Could not copy: {err}")),
            }
        }
    }
}

fn ask(inner: &Inner, name: String, host: String, retry: ApiCommand) {
    let retry = match retry {
        ApiCommand::TryIt { name, url, .. } => ApiCommand::TryIt {
            name,
            url,
            confirm: true,
        },
        ApiCommand::Call { name, call, .. } => ApiCommand::Call {
            name,
            call,
            confirm: true,
        },
        other @ (ApiCommand::LoadSpec { .. } | ApiCommand::CopyText(_)) => other,
    };
    inner.emit(Event::Api(ApiEvent::ConfirmHost { name, host, retry }));
}
