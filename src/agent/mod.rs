//! The agent: one long-lived process (`tokenwallet agent`, or the open window) serves the
//! wallet to this user's command lines over a local socket, so `token`, `list`, `show` and
//! `export` answer without opening the secret store again, and the agent is the one
//! refresher for the accounts it serves. Its replies are data (a token, accounts, an
//! export's text, an error with its kind), never printed text: the command line prints them
//! as it prints the same [`answer`] it computes itself when no agent runs, so the output is
//! the same either way, and the window hosting the agent runs no command-line code.
//!
//! - `mod.rs`: the protocol (one JSON line each way), where the agent listens;
//! - `answer.rs`: the answer to a request, from an open wallet;
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
    /// `list`: the accounts' records.
    List,
    /// `show NAME`: the account's record and its access token's claims.
    Show {
        /// Account name.
        name: String,
    },
    /// `export NAME`: the export's text (the caller writes `--out` files itself).
    Export {
        /// Account name.
        name: String,
        /// Which tokens.
        token: crate::model::TokenChoice,
        /// The format.
        format: crate::model::ExportFormat,
        /// Make the access token fresh first, as `token` does (`exec`).
        #[serde(default)]
        fresh: bool,
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

/// The agent's answer, one JSON line: data, not text.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    /// A valid access token, and why it was not renewed when it should have been.
    Token {
        /// The token (wiped when dropped).
        token: Zeroizing<String>,
        /// A renewal that failed while this token is still valid, worded for the caller.
        warning: Option<String>,
    },
    /// The accounts' records (no secret).
    Accounts {
        /// In the wallet's order.
        accounts: Vec<crate::model::Account>,
    },
    /// One account's record, and its access token's claims when that token is a JWT.
    Account {
        /// The record (no secret).
        account: Box<crate::model::Account>,
        /// The decoded JWT header and payload.
        claims: Option<crate::model::JwtParts>,
    },
    /// An export's text (wiped when dropped: it holds tokens).
    Exported {
        /// The text, as a file would hold it.
        text: Zeroizing<String>,
    },
    /// Done; a sentence for the person (`unlock`, `lock`), maybe empty.
    Said {
        /// What happened.
        message: String,
    },
    /// The request failed: the kind (the caller's exit code) and a sentence.
    Failed {
        /// What kind of failure.
        kind: crate::wallet::ErrorKind,
        /// The sentence, worded by the agent's host for its callers.
        message: String,
    },
    /// The vault is locked: the caller opens the wallet itself (or runs `unlock`).
    Locked,
}

impl Reply {
    /// A failure of `kind` said in `message`.
    pub fn failed(kind: crate::wallet::ErrorKind, message: impl std::fmt::Display) -> Self {
        Self::Failed {
            kind,
            message: message.to_string(),
        }
    }

    /// Done, with `message` for the person.
    pub fn said(message: impl std::fmt::Display) -> Self {
        Self::Said {
            message: message.to_string(),
        }
    }

    /// About how many bytes its text takes: the buffer its JSON line is written into.
    fn size(&self) -> usize {
        match self {
            Self::Token { token, warning } => token.len() + warning.as_ref().map_or(0, String::len),
            Self::Accounts { accounts } => accounts.len() * 512,
            Self::Account { .. } => 2048,
            Self::Exported { text } => text.len(),
            Self::Said { message } | Self::Failed { message, .. } => message.len(),
            Self::Locked => 0,
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

mod answer;
mod keep_alive;
#[cfg(any(unix, windows))]
mod link;
mod state;
pub use answer::answer;
pub use keep_alive::keep_alive;
pub use state::State;

/// How the agent's callers word an error: the command line names its own options and
/// commands, which the core never does. Given by whoever hosts the agent.
pub trait Wording: Send + Sync {
    /// The sentence for `err`.
    fn describe(&self, err: &crate::wallet::WalletError) -> String;
}

/// The core's own words, for a host with no better ones.
pub struct PlainWording;

impl Wording for PlainWording {
    fn describe(&self, err: &crate::wallet::WalletError) -> String {
        err.to_string()
    }
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
        let state = std::sync::Arc::new(State::new(
            dir.path(),
            None,
            std::sync::Arc::new(PlainWording),
        ));
        let unlock = Request::Unlock {
            passphrase: Zeroizing::new("pw".to_owned()),
            seconds: 1,
        };
        let reply = state.handle(unlock).await;
        assert!(matches!(&reply, Reply::Said { .. }), "{reply:?}");
        let list = || Request::List;
        assert!(matches!(state.handle(list()).await, Reply::Accounts { .. }));
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
