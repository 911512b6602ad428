//! The agent: one long-lived process (`tokenwallet agent`, or the open window) serves the
//! wallet to this user's command lines over a local socket, so `token`, `list`, `show` and
//! `export` answer without opening the secret store again, and the agent is the one
//! refresher for the accounts it serves. It runs the same command code as a direct call and
//! sends back what that would print and its exit code: the output is the same either way.
//!
//! On Unix the socket is `agent.sock` in a folder only this user may enter (0700, owned by
//! this user, checked by both sides), under `$XDG_RUNTIME_DIR` (named after the data dir)
//! or else in the data dir; the agent also checks each caller's user id. On Windows it is a
//! named pipe with a random name, written to `agent\pipe` in the data dir (see
//! `windows.rs`). A vault's key is given to the agent by `tokenwallet unlock` and kept in
//! its memory only, until the time given is up or `tokenwallet lock`; no request but
//! `unlock` carries a passphrase, and the agent writes nothing secret to disk.

use std::path::{Path, PathBuf};
use std::time::Duration;

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
        passphrase: String,
        /// How long the key is kept.
        seconds: u64,
    },
    /// Forgets the vault key.
    Lock,
}

/// The agent's answer, one JSON line.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    /// The command ran: what it printed and its exit code.
    Done {
        /// Its standard output.
        stdout: String,
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
            stdout: String::new(),
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

/// How long a caller waits to hand its request over before doing the work itself. A
/// refresh through the agent can take as long as the provider does: only sending is
/// bounded.
#[cfg(any(unix, windows))]
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The longest request line read (an unlock with a long passphrase fits many times).
#[cfg(any(unix, windows))]
const MAX_REQUEST: u64 = 64 * 1024;

/// The caller's side of one exchange on a connected `stream`: the request line out, the
/// answer line in. `Ok(None)`: the agent went away meanwhile, so the caller does the work
/// itself, under the same per-account lock.
#[cfg(any(unix, windows))]
fn exchange<S>(stream: &S, request: &Request) -> Result<Option<Reply>, String>
where
    for<'a> &'a S: std::io::Read + std::io::Write,
{
    use std::io::{BufRead as _, Write as _};
    let mut line = Zeroizing::new(serde_json::to_string(request).map_err(|e| e.to_string())?);
    line.push('\n');
    let mut writer = stream;
    if writer.write_all(line.as_bytes()).is_err() {
        return Ok(None);
    }
    let mut answer = String::new();
    // No read timeout: a refresh through the agent takes as long as the provider does.
    match std::io::BufReader::new(stream).read_line(&mut answer) {
        Ok(0) | Err(_) => Ok(None),
        Ok(_) => serde_json::from_str(&answer)
            .map(Some)
            .map_err(|err| format!("the agent's answer was not understood ({err})")),
    }
}

/// The agent's side of one exchange, with a caller the platform's code has let in: reads
/// the request line, answers it.
#[cfg(any(unix, windows))]
async fn answer<S>(stream: S, state: std::sync::Arc<State>) -> std::io::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite,
{
    use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _};
    let (read, mut write) = tokio::io::split(stream);
    let mut line = Zeroizing::new(String::new());
    tokio::io::BufReader::new(read.take(MAX_REQUEST))
        .read_line(&mut line)
        .await?;
    let reply = match serde_json::from_str::<Request>(&line) {
        Ok(request) => state.handle(request).await,
        Err(err) => Reply::message(
            2,
            format!("the agent did not understand the request ({err})"),
        ),
    };
    let mut out = serde_json::to_string(&reply).map_err(std::io::Error::other)?;
    out.push('\n');
    write.write_all(out.as_bytes()).await?;
    write.flush().await
}

/// Told when an `unlock` opens the wallet (`Some`) or a `lock` or the unlock's time closes
/// it (`None`): the window follows the agent it serves.
type Watcher = Box<dyn Fn(Option<std::sync::Arc<crate::wallet::Wallet>>) + Send + Sync>;

/// What the agent serves: the open wallet, or none while the vault is locked.
pub struct State {
    home: PathBuf,
    wallet: std::sync::RwLock<Option<std::sync::Arc<crate::wallet::Wallet>>>,
    /// Bumped at each unlock (the window's too) and lock: a timer only locks the unlock it
    /// was set for.
    epoch: std::sync::atomic::AtomicU64,
    watcher: std::sync::Mutex<Option<Watcher>>,
}

impl State {
    /// A state serving `wallet` (`None`: a vault that waits for `unlock`).
    pub fn new(home: &Path, wallet: Option<std::sync::Arc<crate::wallet::Wallet>>) -> Self {
        Self {
            home: home.to_owned(),
            wallet: std::sync::RwLock::new(wallet),
            epoch: std::sync::atomic::AtomicU64::new(0),
            watcher: std::sync::Mutex::new(None),
        }
    }

    /// Serves `wallet` from now on, with no time limit (the window was unlocked); a wallet
    /// of another data dir (the window's "Try without saving") is not served.
    pub fn set_wallet(&self, wallet: &std::sync::Arc<crate::wallet::Wallet>) {
        if wallet.home() == self.home {
            self.epoch.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            *self.slot() = Some(std::sync::Arc::clone(wallet));
        }
    }

    /// Calls `watcher` whenever a request or the unlock's time opens or closes the vault.
    pub fn watch(
        &self,
        watcher: impl Fn(Option<std::sync::Arc<crate::wallet::Wallet>>) + Send + Sync + 'static,
    ) {
        *self
            .watcher
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Box::new(watcher));
    }

    fn tell(&self, wallet: Option<std::sync::Arc<crate::wallet::Wallet>>) {
        if let Some(watcher) = self
            .watcher
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
        {
            watcher(wallet);
        }
    }

    /// Forgets the vault key, if the agent holds one; whether it did. A wallet on the OS
    /// keyring (or in memory) has no key to forget and stays served: forgetting it would
    /// leave an agent that no `unlock` can open again.
    pub fn lock(&self) -> bool {
        let mut slot = self.slot();
        let vault = slot.as_ref().is_some_and(|w| w.is_vault());
        if vault {
            self.epoch.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            *slot = None;
        }
        vault
    }

    fn slot(
        &self,
    ) -> std::sync::RwLockWriteGuard<'_, Option<std::sync::Arc<crate::wallet::Wallet>>> {
        self.wallet
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Answers one request.
    pub async fn handle(self: &std::sync::Arc<Self>, request: Request) -> Reply {
        use std::sync::atomic::Ordering;
        match request {
            Request::Unlock {
                passphrase,
                seconds,
            } => {
                let home = self.home.clone();
                let passphrase = crate::model::Secret::new(passphrase);
                let opened = tokio::task::spawn_blocking(move || {
                    crate::wallet::Wallet::open(
                        &home,
                        Some(crate::store::SecretStoreKind::File),
                        &|_| Ok(passphrase.clone()),
                    )
                })
                .await;
                let wallet = match opened {
                    Ok(Ok(wallet)) => std::sync::Arc::new(wallet.with_access_cache()),
                    Ok(Err(err)) => {
                        return Reply::message(
                            super::words::exit_code(&err),
                            super::words::describe(&err),
                        );
                    }
                    Err(err) => return Reply::message(1, format!("the unlock failed: {err}")),
                };
                *self.slot() = Some(std::sync::Arc::clone(&wallet));
                let epoch = self.epoch.fetch_add(1, Ordering::SeqCst) + 1;
                self.tell(Some(wallet));
                let state = std::sync::Arc::clone(self);
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_secs(seconds)).await;
                    let mut slot = state.slot();
                    if state.epoch.load(Ordering::SeqCst) == epoch {
                        *slot = None;
                        drop(slot);
                        tracing::info!("the unlock expired: the vault key is forgotten");
                        state.tell(None);
                    }
                });
                Reply::message(
                    0,
                    format!("the agent holds the vault key for {}", human(seconds)),
                )
            }
            Request::Lock => {
                let had = self.lock();
                if had {
                    self.tell(None);
                }
                Reply::message(
                    0,
                    if had {
                        "the agent forgot the vault key"
                    } else {
                        "the agent held no vault key"
                    },
                )
            }
            command => {
                let served = self
                    .wallet
                    .read()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .clone();
                let Some(wallet) = served else {
                    return Reply::Locked;
                };
                super::serve_command(&wallet, command).await
            }
        }
    }
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
    number.checked_mul(scale).filter(|&s| s > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_duration("90"), Some(90));
        assert_eq!(parse_duration("30m"), Some(1800));
        assert_eq!(parse_duration("8h"), Some(28_800));
        assert_eq!(parse_duration("2d"), Some(172_800));
        for bad in ["", "h", "0", "5w", "-3h", "1.5h"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        assert_eq!(human(28_800), "8 h");
        assert_eq!(human(90), "90 s");
    }

    #[test]
    fn requests_and_replies_are_one_json_line() {
        let line = serde_json::to_string(&Request::Token { name: "a b".into() }).unwrap();
        assert_eq!(line, r#"{"op":"token","name":"a b"}"#);
        let reply: Reply = serde_json::from_str(r#"{"reply":"locked"}"#).unwrap();
        assert!(matches!(reply, Reply::Locked));
    }
}
