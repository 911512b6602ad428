//! The command line and the agent: asking it first (`token` before anything else starts,
//! and every command it serves), hosting it (`tokenwallet agent`, and the window through
//! [`AgentHost`]), and handing it the vault's passphrase (`unlock`).

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::{
    Failure, Printed, default_home, export::export_request, list, open_wallet, passphrase, show,
    token, usage, words,
};
use crate::agent;
use crate::store::SecretStoreKind;
use crate::wallet::{Wallet, WalletError};

/// `token NAME` answered by the agent before anything else starts (the argument parser,
/// logging, a runtime): for scripts that call it in a loop, the agent's answer is the whole
/// work. `None`: no agent answered, or the arguments are anything else; go the full way.
pub fn token_through_agent() -> Option<i32> {
    let mut args = std::env::args_os().skip(1);
    let mut home = None;
    let mut first = args.next()?;
    if first == "--home" {
        home = Some(PathBuf::from(args.next()?));
        first = args.next()?;
    } else if let Some(dir) = first.to_str()?.strip_prefix("--home=") {
        home = Some(PathBuf::from(dir));
        first = args.next()?;
    }
    let name = args.next()?.into_string().ok()?;
    if first != "token"
        || name.starts_with('-')
        || args.next().is_some()
        || crate::config::no_agent().is_some()
    {
        return None;
    }
    let home = home
        .or_else(|| std::env::var_os("TOKENWALLET_HOME").map(PathBuf::from))
        .filter(|home| !home.as_os_str().is_empty())
        .unwrap_or_else(default_home);
    match agent::ask(&home, &agent::Request::Token { name }) {
        Ok(Some(agent::Reply::Done {
            stdout,
            stderr,
            code,
        })) => {
            Printed { stdout, stderr }.show();
            Some(code)
        }
        _ => None,
    }
}

/// Said when `unlock` or `lock` finds no agent.
pub(super) const NO_AGENT: &str = "no agent is running for this wallet: start one with `tokenwallet agent` (or open the window), then unlock";

/// Prints what a command run by the agent printed, and ends with its exit code (its
/// message is already in `stderr`).
pub(super) fn replay(stdout: Zeroizing<String>, stderr: String, code: i32) -> Result<(), Failure> {
    Printed { stdout, stderr }.show();
    if code == 0 {
        Ok(())
    } else {
        Err(Failure {
            code,
            message: String::new(),
        })
    }
}

/// What the agent made of a request.
pub(super) enum Asked {
    /// It ran the command: what it printed.
    Served(Printed),
    /// No agent serves it (none runs, or its vault is locked: this process may still have
    /// the passphrase or a terminal), or its socket was unsafe to use (the warning): the
    /// caller does the work itself.
    Direct(Option<String>),
}

impl Asked {
    /// Says why the work is done here, when there is something to say.
    pub(super) fn warn(&self) {
        if let Self::Direct(Some(warning)) = self {
            eprintln!("tokenwallet: warning: {warning}; opening the wallet here");
        }
    }
}

/// Asks the agent of `home`, unless the settings say never to (`TOKENWALLET_NO_AGENT`):
/// `Ok(None)` then, as when no agent runs.
pub(super) fn ask(
    home: &Path,
    request: &agent::Request,
) -> Result<Result<Option<agent::Reply>, String>, Failure> {
    Ok(if super::config()?.use_agent {
        agent::ask(home, request)
    } else {
        Ok(None)
    })
}

/// Asks the agent of `home`. A failure it reports is printed and becomes the caller's
/// (same words, same exit code).
pub(super) fn ask_agent(home: &Path, request: &agent::Request) -> Result<Asked, Failure> {
    match ask(home, request)? {
        Ok(Some(agent::Reply::Done {
            stdout,
            stderr,
            code: 0,
        })) => Ok(Asked::Served(Printed { stdout, stderr })),
        Ok(Some(agent::Reply::Done {
            stdout,
            stderr,
            code,
        })) => replay(stdout, stderr, code).map(|()| Asked::Direct(None)),
        Ok(Some(agent::Reply::Locked) | None) => Ok(Asked::Direct(None)),
        Err(warning) => Ok(Asked::Direct(Some(warning))),
    }
}

/// Runs a command through the agent when one answers (same output, same exit code), else
/// with `direct`, which opens the wallet here.
pub(super) async fn served(
    home: &Path,
    request: agent::Request,
    direct: impl AsyncFnOnce() -> Result<Printed, Failure>,
) -> Result<(), Failure> {
    match ask_agent(home, &request)? {
        Asked::Served(printed) => printed.show(),
        asked @ Asked::Direct(_) => {
            asked.warn();
            direct().await?.show();
        }
    }
    Ok(())
}

/// The command line as the agent's host: the agent (`tokenwallet agent`, or the window)
/// answers its callers with the code and the words of a direct call.
pub struct AgentHost;

impl agent::Host for AgentHost {
    fn serve<'a>(
        &'a self,
        wallet: &'a Wallet,
        request: agent::Request,
    ) -> std::pin::Pin<Box<dyn Future<Output = agent::Reply> + Send + 'a>> {
        Box::pin(serve_command(wallet, request))
    }

    fn describe(&self, err: &WalletError) -> (i32, String) {
        (words::exit_code(err), words::describe(err))
    }
}

/// Runs a command the agent serves, with the agent's open wallet: what it would print
/// here, and its exit code.
async fn serve_command(wallet: &Wallet, request: agent::Request) -> agent::Reply {
    let result = match request {
        agent::Request::Token { name } => token(wallet, &name).await,
        agent::Request::List { json } => list(wallet, json),
        agent::Request::Show { name, json } => show(wallet, &name, json),
        agent::Request::Export {
            name,
            token,
            format,
        } => export_request(&format, &token)
            .and_then(|request| Ok(Printed::data(wallet.export(&name, request)?))),
        agent::Request::Unlock { .. } | agent::Request::Lock | agent::Request::Replan => {
            Err(usage("the agent answers unlock and lock itself"))
        }
    };
    match result {
        Ok(Printed { stdout, stderr }) => agent::Reply::Done {
            stdout,
            stderr,
            code: 0,
        },
        Err(failure) => agent::Reply::message(failure.code, failure.message),
    }
}

/// `tokenwallet agent`: serves until Ctrl-C, then waits for a refresh in flight.
pub(super) async fn run_agent(home: &Path) -> Result<(), Failure> {
    let kind = crate::store::store_kind(home, super::config()?.store)?;
    // A vault waits for `unlock`; the other stores need no passphrase.
    let wallet = match kind {
        SecretStoreKind::File => None,
        _ => Some(std::sync::Arc::new(open_wallet(home)?.with_access_cache())),
    };
    let state = std::sync::Arc::new(
        agent::State::new(home, wallet, std::sync::Arc::new(AgentHost))
            .configured(super::config()?.clone()),
    );
    let socket = agent::socket_path(home);
    let ready = || {
        eprintln!(
            "tokenwallet: the agent serves {} on {}{}",
            home.display(),
            socket.display(),
            if kind == SecretStoreKind::File {
                "; the vault is locked: run `tokenwallet unlock`"
            } else {
                ""
            }
        );
    };
    state.notify_with(std::sync::Arc::new(crate::notify::DesktopNotifier));
    tokio::spawn(agent::keep_alive(std::sync::Arc::clone(&state)));
    let result = tokio::select! {
        served = agent::serve(home, state, ready) => served.map_err(|message| Failure { code: 1, message }),
        () = stop_requested() => Ok(()),
    };
    // However the agent stops, a refresh in flight stores its answer first: the server may
    // already have rotated.
    let waited = tokio::task::spawn_blocking(|| {
        crate::wallet::wait_for_requests_in_flight(std::time::Duration::from_mins(1))
    });
    waited.await.ok();
    if result.is_ok() {
        eprintln!("tokenwallet: the agent stopped");
    }
    result
}

/// Resolves at Ctrl-C, or on Unix at SIGTERM: what a service manager (the systemd user
/// unit) and `kill` send. Either way the agent stops the same way: it lets a refresh in
/// flight finish, then removes its socket.
async fn stop_requested() {
    #[cfg(unix)]
    if let Ok(mut terminate) =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        return;
    }
    tokio::signal::ctrl_c().await.ok();
}

/// `tokenwallet unlock`: hands the passphrase to the agent, never to a file.
pub(super) fn unlock(home: &Path, seconds: u64) -> Result<(), Failure> {
    let path = agent::socket_path(home);
    if std::fs::symlink_metadata(&path).is_err() {
        return Err(usage(NO_AGENT));
    }
    let secret = passphrase(false)?;
    let request = agent::Request::Unlock {
        passphrase: Zeroizing::new(secret.expose().to_owned()),
        seconds,
    };
    match ask(home, &request)? {
        Ok(Some(agent::Reply::Done {
            stdout,
            stderr,
            code,
        })) => replay(stdout, stderr, code),
        Ok(Some(agent::Reply::Locked) | None) => Err(usage(NO_AGENT)),
        Err(message) => Err(Failure { code: 1, message }),
    }
}
