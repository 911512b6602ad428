//! The agent: one long-lived process (`tokenwallet agent`, or the open window) serves the
//! wallet to this user's command lines over a local socket, so `token`, `list`, `show` and
//! `export` answer without opening the secret store again, and the agent is the one
//! refresher for the accounts it serves. Its host (the command line's, for both) runs the
//! same command code as a direct call and sends back what that would print and its exit
//! code: the output is the same either way.
//!
//! - `mod.rs`: the protocol (one JSON line each way), where the agent listens, its host;
//! - `state.rs`: what it serves, `unlock` and `lock`;
//! - `link.rs`: one exchange, its bounds and the limits on callers;
//! - `keep_alive.rs`: renewing chains with nobody asking;
//! - `unix.rs`, `windows.rs`: the socket and the named pipe.
//!
//! On Unix the socket is `agent.sock` in a folder only this user may enter (0700, owned by
//! this user, checked by both sides), under `$XDG_RUNTIME_DIR` (named after the data dir)
//! or else in the data dir; the agent also checks each caller's user id. On Windows it is a
//! named pipe with a random name, written to `agent\pipe` in the data dir (see
//! `windows.rs`). A vault's key is given to the agent by `tokenwallet unlock` and kept in
//! its memory only, until the time given is up or `tokenwallet lock`; no request but
//! `unlock` carries a passphrase, and the agent writes nothing secret to disk.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// A request, one JSON line.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// `token NAME`.
    Token {
        /// Account name.
        name: String,
    },
    /// `list [--json]`.
    List {
        /// Machine-readable output.
        json: bool,
    },
    /// `show NAME [--json]`.
    Show {
        /// Account name.
        name: String,
        /// Machine-readable output.
        json: bool,
    },
    /// `export NAME` to stdout (the caller writes `--out` files itself).
    Export {
        /// Account name.
        name: String,
        /// `access`, `refresh` or `both`.
        token: String,
        /// The format id.
        format: String,
    },
    /// Opens the vault with this passphrase and keeps its key for `seconds`.
    Unlock {
        /// The vault passphrase.
        passphrase: Zeroizing<String>,
        /// How long the key is kept.
        seconds: u64,
    },
    /// Forgets the vault key.
    Lock,
    /// The kept files changed: the keep-alive plans its timers again.
    Replan,
}

/// The agent's answer, one JSON line.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    /// The command ran: what it printed and its exit code.
    Done {
        /// Its standard output (wiped when dropped: it may be a token).
        stdout: Zeroizing<String>,
        /// Its messages.
        stderr: String,
        /// Its exit code.
        code: i32,
    },
    /// The vault is locked: the caller opens the wallet itself (or runs `unlock`).
    Locked,
}

impl Reply {
    /// A reply with only a message (one line, as the command line words it) and a code.
    pub fn message(code: i32, message: impl std::fmt::Display) -> Self {
        Self::Done {
            stdout: Zeroizing::default(),
            stderr: format!("tokenwallet: {message}\n"),
            code,
        }
    }
}

/// Where the agent of the data dir `home` listens: its socket (Unix), or the file that
/// names its pipe (Windows).
pub fn socket_path(home: &Path) -> PathBuf {
    if cfg!(windows) {
        home.join("agent").join("pipe")
    } else {
        socket_dir(home).join("agent.sock")
    }
}

/// The agent's private folder: under `$XDG_RUNTIME_DIR`, named after the data dir's path
/// (several wallets, several agents), else inside the data dir.
fn socket_dir(home: &Path) -> PathBuf {
    use sha2::{Digest as _, Sha256};
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|dir| !dir.is_empty()) {
        Some(runtime) => {
            let home = std::path::absolute(home).unwrap_or_else(|_| home.to_owned());
            let digest = Sha256::digest(home.as_os_str().as_encoded_bytes());
            let short = crate::store::hex(&digest[..6]);
            PathBuf::from(runtime).join(format!("tokenwallet-{short}"))
        }
        None => home.join("agent"),
    }
}

mod keep_alive;
#[cfg(any(unix, windows))]
mod link;
mod state;
pub use keep_alive::keep_alive;
pub use state::State;

/// What hosts the agent: runs the commands it does not answer itself with the open wallet,
/// and words an error for the caller (exit code and sentence), as the command line would.
pub trait Host: Send + Sync {
    /// Answers `request` with `wallet`.
    fn serve<'a>(
        &'a self,
        wallet: &'a crate::wallet::Wallet,
        request: Request,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Reply> + Send + 'a>>;
    /// The exit code and sentence for `err`.
    fn describe(&self, err: &crate::wallet::WalletError) -> (i32, String);
}

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::{ask, serve};

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::{ask, serve};

/// No agent on this platform: every command opens the wallet itself.
#[cfg(not(any(unix, windows)))]
pub fn ask(_home: &Path, _request: &Request) -> Result<Option<Reply>, String> {
    Ok(None)
}

/// No agent on this platform.
#[cfg(not(any(unix, windows)))]
#[allow(clippy::unused_async)] // the same signature as the other agents'
pub async fn serve(
    _home: &Path,
    _state: std::sync::Arc<State>,
    _ready: impl FnOnce(),
) -> Result<(), String> {
    Err(
        "the agent is not available on this platform; every command opens the wallet itself"
            .to_owned(),
    )
}

/// `seconds` as people say it: `8 h`, `30 min`, `45 s`.
fn human(seconds: u64) -> String {
    match seconds {
        s if s >= 3600 && s % 3600 == 0 => format!("{} h", s / 3600),
        s if s >= 60 && s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// Parses `--for`: `90s`, `30m`, `8h`, `2d`, or plain seconds.
pub fn parse_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let scale = match unit.trim() {
        "" | "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    number
        .checked_mul(scale)
        .filter(|&s| s > 0 && s <= MAX_UNLOCK_SECS)
}

/// The longest unlock: a year.
const MAX_UNLOCK_SECS: u64 = 366 * 86_400;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::Duration;

    use super::*;

    /// A host that answers every command it is given.
    struct Answers;

    impl Host for Answers {
        fn serve<'a>(
            &'a self,
            _wallet: &'a crate::wallet::Wallet,
            _request: Request,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Reply> + Send + 'a>> {
            Box::pin(async { Reply::message(0, "served") })
        }
        fn describe(&self, err: &crate::wallet::WalletError) -> (i32, String) {
            (1, err.to_string())
        }
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_duration("90"), Some(90));
        assert_eq!(parse_duration("30m"), Some(1800));
        assert_eq!(parse_duration("8h"), Some(28_800));
        assert_eq!(parse_duration("2d"), Some(172_800));
        for bad in [
            "",
            "h",
            "0",
            "5w",
            "-3h",
            "1.5h",
            "367d",
            "18446744073709551615",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        assert_eq!(human(28_800), "8 h");
        assert_eq!(human(90), "90 s");
    }

    // Issue 16, item 4: the unlock's time was counted on tokio's (monotonic) clock, which
    // stands still while the machine sleeps. Here tokio's clock stands still (paused) while
    // the wall clock goes on, as it does across a sleep.
    #[tokio::test(start_paused = true)]
    async fn an_unlock_ends_by_the_wall_clock_when_the_monotonic_clock_stood_still() {
        let dir = tempfile::tempdir().unwrap();
        let passphrase = || crate::model::Secret::new("pw");
        crate::wallet::Wallet::open(
            dir.path(),
            &crate::config::Config::default().using(crate::store::SecretStoreKind::File),
            &|_| Ok(passphrase()),
        )
        .unwrap();
        let state = std::sync::Arc::new(State::new(dir.path(), None, std::sync::Arc::new(Answers)));
        let unlock = Request::Unlock {
            passphrase: Zeroizing::new("pw".to_owned()),
            seconds: 1,
        };
        let reply = state.handle(unlock).await;
        assert!(matches!(&reply, Reply::Done { code: 0, .. }), "{reply:?}");
        let list = || Request::List { json: true };
        assert!(matches!(
            state.handle(list()).await,
            Reply::Done { code: 0, .. }
        ));
        std::thread::sleep(Duration::from_millis(1100));
        assert!(
            matches!(state.handle(list()).await, Reply::Locked),
            "the vault stayed open past its time"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_agents_memory_is_closed_to_other_processes() {
        link::protect_memory();
        assert_eq!(
            rustix::process::dumpable_behavior().unwrap(),
            rustix::process::DumpableBehavior::NotDumpable
        );
    }

    #[test]
    fn requests_and_replies_are_one_json_line() {
        let line = serde_json::to_string(&Request::Token { name: "a b".into() }).unwrap();
        assert_eq!(line, r#"{"op":"token","name":"a b"}"#);
        let reply: Reply = serde_json::from_str(r#"{"reply":"locked"}"#).unwrap();
        assert!(matches!(reply, Reply::Locked));
    }
}
