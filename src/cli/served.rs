//! The command line and the agent: asking it first (`token` before anything else starts,
//! and every command it serves), hosting it (`tokenwallet agent`; the window hosts it with
//! [`CliWording`]), and handing it the vault's passphrase (`unlock`). Whether the agent
//! answers or this process does, the reply is printed by one function,
//! [`super::output::render`].

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use zeroize::Zeroizing;

use super::output::{Shape, render};
use super::{Failure, default_home, open_wallet, passphrase, usage, words};
use crate::agent::{self, Reply, Request};
use crate::store::SecretStoreKind;
use crate::wallet::{Wallet, WalletError};

/// Set once the agent was asked and none served (none runs, its vault is locked, or its
/// socket was unsafe): the command does the rest of its work itself without asking again.
/// At most one agent round trip that leads nowhere per command.
static NO_AGENT_SERVES: AtomicBool = AtomicBool::new(false);

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
    let reply = asked(agent::ask(&home, &Request::Token { name }))?;
    Some(match render(reply, Shape::default()) {
        Ok(printed) => {
            printed.show();
            0
        }
        Err(failure) => {
            eprintln!("tokenwallet: {}", failure.message);
            failure.code
        }
    })
}

/// Said when `unlock` or `lock` finds no agent.
pub(super) const NO_AGENT: &str = "no agent is running for this wallet: start one with `tokenwallet agent` (or open the window), then unlock";

/// Asks the agent of `home`, unless the settings say never to (`TOKENWALLET_NO_AGENT`) or
/// it did not serve this command before: `Ok(None)` then, as when no agent runs.
pub(super) fn ask(
    home: &Path,
    request: &Request,
) -> Result<Result<Option<Reply>, String>, Failure> {
    Ok(
        if super::config()?.use_agent && !NO_AGENT_SERVES.load(Ordering::Relaxed) {
            agent::ask(home, request)
        } else {
            Ok(None)
        },
    )
}

/// The agent's reply when it served the request; else `None`, said once (an unsafe socket)
/// and remembered: the rest of the command asks no more.
fn asked(outcome: Result<Option<Reply>, String>) -> Option<Reply> {
    match outcome {
        Ok(Some(Reply::Locked) | None) => {}
        Ok(Some(reply)) => return Some(reply),
        Err(warning) => eprintln!("tokenwallet: warning: {warning}; opening the wallet here"),
    }
    NO_AGENT_SERVES.store(true, Ordering::Relaxed);
    None
}

/// The reply to `request`: the agent's when one serves it, else the same answer computed
/// here with the wallet `open` gives.
pub(super) async fn answered<W: std::borrow::Borrow<Wallet>>(
    home: &Path,
    request: Request,
    open: impl FnOnce() -> Result<W, Failure>,
) -> Result<Reply, Failure> {
    if let Some(reply) = asked(ask(home, &request)?) {
        return Ok(reply);
    }
    Ok(agent::answer(open()?.borrow(), request, &CliWording).await)
}

/// Prints the reply to `request` (see [`answered`]).
pub(super) async fn served(
    home: &Path,
    request: Request,
    shape: Shape,
    open: impl FnOnce() -> Result<Wallet, Failure>,
) -> Result<(), Failure> {
    render(answered(home, request, open).await?, shape)?.show();
    Ok(())
}

/// The command line's words for the agent's errors: the same sentences a direct call says.
pub struct CliWording;

impl agent::Wording for CliWording {
    fn describe(&self, err: &WalletError) -> String {
        words::describe(err)
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
        agent::State::new(home, wallet, std::sync::Arc::new(CliWording))
            .configured(super::config()?.clone()),
    );
    let ready = format!(
        "tokenwallet: the agent serves {} on {}{}",
        home.display(),
        agent::socket_path(home).display(),
        if kind == SecretStoreKind::File {
            "; the vault is locked: run `tokenwallet unlock`"
        } else {
            ""
        }
    );
    state.notify_with(std::sync::Arc::new(crate::notify::DesktopNotifier));
    tokio::spawn(agent::keep_alive(std::sync::Arc::clone(&state)));
    // The socket is served from a worker thread, not from this one, which only waits: a
    // caller's task then starts on the thread that accepted it, with no thread to wake.
    let mut serving = tokio::spawn({
        let home = home.to_owned();
        async move { agent::serve(&home, state, move || eprintln!("{ready}")).await }
    });
    let result = tokio::select! {
        served = &mut serving => match served {
            Ok(served) => served.map_err(|message| Failure { code: 1, message }),
            Err(err) => Err(Failure { code: 1, message: format!("the agent stopped: {err}") }),
        },
        () = stop_requested() => {
            // Stopping the task drops the listener, which removes the socket.
            serving.abort();
            serving.await.ok();
            Ok(())
        }
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
    let request = Request::Unlock {
        passphrase: Zeroizing::new(secret.expose().to_owned()),
        seconds,
    };
    match ask(home, &request)? {
        Ok(Some(Reply::Locked) | None) => Err(usage(NO_AGENT)),
        Ok(Some(reply)) => {
            render(reply, Shape::default())?.show();
            Ok(())
        }
        Err(message) => Err(Failure { code: 1, message }),
    }
}
