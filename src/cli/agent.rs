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
        passphrase: Zeroizing<String>,
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

/// How long the agent waits for a caller's request line: an idle caller is let go.
#[cfg(any(unix, windows))]
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the agent waits for a caller to take its answer.
#[cfg(any(unix, windows))]
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest request line read (an unlock with a long passphrase fits many times). The
/// buffer is this big from the start: a growing one would leave copies of the passphrase
/// behind in freed memory.
#[cfg(any(unix, windows))]
const MAX_REQUEST: usize = 16 * 1024;

/// The most callers served at once; more are turned away at once (they do the work
/// themselves). Bounded by the descriptors the agent may open, so that a flood of callers
/// never leaves a refresh unable to store its answer.
#[cfg(any(unix, windows))]
fn max_connections() -> usize {
    /// Descriptors the agent needs for itself: runtime, store files, HTTP connections.
    const RESERVED: u64 = 48;
    #[cfg(unix)]
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(1024);
    #[cfg(not(unix))]
    let limit: u64 = 1024;
    usize::try_from(limit.saturating_sub(RESERVED) / 2)
        .unwrap_or(usize::MAX)
        .clamp(2, 64)
}

/// Serialises `value` as one JSON line into a buffer sized once and wiped when dropped.
#[cfg(any(unix, windows))]
fn json_line<T: Serialize>(value: &T, size_hint: usize) -> Result<Zeroizing<Vec<u8>>, String> {
    let mut line = Zeroizing::new(Vec::with_capacity(2 * size_hint + 256));
    serde_json::to_writer(&mut *line, value).map_err(|e| e.to_string())?;
    line.push(b'\n');
    Ok(line)
}

/// The caller's side of one exchange on a connected `stream`: the request line out, the
/// answer line in. `Ok(None)`: the agent went away meanwhile (or turned the caller away),
/// so the caller does the work itself, under the same per-account lock.
#[cfg(any(unix, windows))]
fn exchange<S>(stream: &S, request: &Request) -> Result<Option<Reply>, String>
where
    for<'a> &'a S: std::io::Read + std::io::Write,
{
    use std::io::{BufRead as _, Write as _};
    let line = json_line(request, 64)?;
    let mut writer = stream;
    if writer.write_all(&line).is_err() {
        return Ok(None);
    }
    // Sized for any token answer at once: a growing buffer would leave copies behind.
    let mut answer = Zeroizing::new(String::with_capacity(MAX_REQUEST * 4));
    // No read timeout: a refresh through the agent takes as long as the provider does.
    match std::io::BufReader::new(stream).read_line(&mut answer) {
        Ok(0) | Err(_) => Ok(None),
        Ok(_) => serde_json::from_str(&answer)
            .map(Some)
            .map_err(|err| format!("the agent's answer was not understood ({err})")),
    }
}

/// Reads one request line of at most [`MAX_REQUEST`] bytes, within [`REQUEST_TIMEOUT`].
#[cfg(any(unix, windows))]
async fn read_request<R>(read: &mut R) -> std::io::Result<Zeroizing<Vec<u8>>>
where
    R: tokio::io::AsyncRead + Unpin,
{
    use tokio::io::AsyncReadExt as _;
    let mut line = Zeroizing::new(Vec::with_capacity(MAX_REQUEST));
    let reading = async {
        while !line.contains(&b'\n') {
            if line.len() >= MAX_REQUEST {
                return Err(std::io::Error::other("the request line is too long"));
            }
            let room = MAX_REQUEST - line.len();
            if (&mut *read).take(room as u64).read_buf(&mut *line).await? == 0 {
                break;
            }
        }
        Ok(())
    };
    tokio::time::timeout(REQUEST_TIMEOUT, reading)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no request in time"))??;
    Ok(line)
}

/// The agent's side of one exchange, with a caller the platform's code has let in: reads
/// the request line, answers it. Every buffer that held the request or the answer is
/// wiped.
#[cfg(any(unix, windows))]
async fn answer<S>(stream: S, state: std::sync::Arc<State>) -> std::io::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite,
{
    use tokio::io::AsyncWriteExt as _;
    let (mut read, mut write) = tokio::io::split(stream);
    let line = read_request(&mut read).await?;
    let reply = match serde_json::from_slice::<Request>(&line) {
        Ok(request) => state.handle(request).await,
        Err(err) => Reply::message(
            2,
            format!("the agent did not understand the request ({err})"),
        ),
    };
    drop(line);
    let size = match &reply {
        Reply::Done { stdout, stderr, .. } => stdout.len() + stderr.len(),
        Reply::Locked => 0,
    };
    let out = json_line(&reply, size).map_err(std::io::Error::other)?;
    drop(reply);
    let sending = async {
        write.write_all(&out).await?;
        write.flush().await
    };
    tokio::time::timeout(REPLY_TIMEOUT, sending)
        .await
        .map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::TimedOut, "the caller took no answer")
        })?
}

/// Serves one caller on `stream` if the agent has room for one more, else closes it at
/// once (the caller then does the work itself). Errors end only this caller.
#[cfg(any(unix, windows))]
fn spawn_caller<S>(stream: S, state: &std::sync::Arc<State>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + 'static,
{
    let Ok(permit) = std::sync::Arc::clone(&state.callers).try_acquire_owned() else {
        tracing::warn!("the agent is serving as many callers as it may; turned one away");
        return;
    };
    let state = std::sync::Arc::clone(state);
    tokio::spawn(async move {
        if let Err(err) = answer(stream, state).await {
            tracing::debug!(error = %err, "an agent connection ended early");
        }
        drop(permit);
    });
}

/// Waits after a failure to take a caller (out of descriptors, say), doubling from 10 ms to
/// a second: the agent never stops for it.
#[cfg(any(unix, windows))]
async fn back_off(pause: &mut Duration, err: &(dyn std::fmt::Display + Sync)) {
    tracing::warn!(error = %err, "the agent could not take a caller; it goes on");
    tokio::time::sleep(*pause).await;
    *pause = (*pause * 2).min(Duration::from_secs(1));
}

/// The first pause of [`back_off`].
#[cfg(any(unix, windows))]
const FIRST_PAUSE: Duration = Duration::from_millis(10);

/// Makes this process's memory unreadable to other processes of the same user (no
/// `/proc/PID/mem`, no ptrace, no core dump) on Linux: it holds the vault key and tokens.
pub fn protect_memory() {
    #[cfg(target_os = "linux")]
    if let Err(err) =
        rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
    {
        tracing::warn!(error = %err, "could not make the agent's memory private");
    }
}

/// Told when an `unlock` opens the wallet (`Some`) or a `lock` or the unlock's time closes
/// it (`None`): the window follows the agent it serves.
type Watcher = Box<dyn Fn(Option<std::sync::Arc<crate::wallet::Wallet>>) + Send + Sync>;

/// The wallet the agent serves, and until when (wall-clock time, which goes on while the
/// machine sleeps) for a vault that `unlock` opened.
struct Served {
    wallet: std::sync::Arc<crate::wallet::Wallet>,
    until: Option<std::time::SystemTime>,
}

/// What the agent serves: the open wallet, or none while the vault is locked.
pub struct State {
    home: PathBuf,
    served: std::sync::RwLock<Option<Served>>,
    /// Bumped at each unlock (the window's too) and lock: a timer only locks the unlock it
    /// was set for.
    epoch: std::sync::atomic::AtomicU64,
    watcher: std::sync::Mutex<Option<Watcher>>,
    /// Room for callers served at once.
    callers: std::sync::Arc<tokio::sync::Semaphore>,
    /// One passphrase checked at a time: each key derivation takes 64 MiB and a core.
    unlocking: tokio::sync::Semaphore,
}

/// How long an `unlock` waits while another one is being checked before it gives up.
const UNLOCK_QUEUE: Duration = Duration::from_secs(30);

impl State {
    /// A state serving `wallet` (`None`: a vault that waits for `unlock`).
    pub fn new(home: &Path, wallet: Option<std::sync::Arc<crate::wallet::Wallet>>) -> Self {
        Self {
            home: home.to_owned(),
            served: std::sync::RwLock::new(wallet.map(|wallet| Served {
                wallet,
                until: None,
            })),
            epoch: std::sync::atomic::AtomicU64::new(0),
            watcher: std::sync::Mutex::new(None),
            #[cfg(any(unix, windows))]
            callers: std::sync::Arc::new(tokio::sync::Semaphore::new(max_connections())),
            #[cfg(not(any(unix, windows)))]
            callers: std::sync::Arc::new(tokio::sync::Semaphore::new(1)),
            unlocking: tokio::sync::Semaphore::new(1),
        }
    }

    /// Serves `wallet` from now on, with no time limit (the window was unlocked); a wallet
    /// of another data dir (the window's "Try without saving") is not served.
    pub fn set_wallet(&self, wallet: &std::sync::Arc<crate::wallet::Wallet>) {
        if wallet.home() == self.home {
            self.epoch.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            *self.slot() = Some(Served {
                wallet: std::sync::Arc::clone(wallet),
                until: None,
            });
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
        let vault = slot.as_ref().is_some_and(|s| s.wallet.is_vault());
        if vault {
            self.epoch.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            *slot = None;
        }
        vault
    }

    fn slot(&self) -> std::sync::RwLockWriteGuard<'_, Option<Served>> {
        self.served
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The wallet served now: none while the vault is locked, or once the unlock's time is
    /// up by the wall clock (the timer that locks it may be late after a sleep).
    fn current(&self) -> Option<std::sync::Arc<crate::wallet::Wallet>> {
        let expired = {
            let served = self
                .served
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let served = served.as_ref()?;
            match served.until {
                Some(until) if std::time::SystemTime::now() >= until => served.wallet.is_vault(),
                _ => return Some(std::sync::Arc::clone(&served.wallet)),
            }
        };
        if expired {
            self.expire(None);
        }
        None
    }

    /// Forgets the vault key if the unlock of `epoch` (any, if `None`) is still the one
    /// served and its time is up.
    fn expire(&self, epoch: Option<u64>) {
        use std::sync::atomic::Ordering;
        let mut slot = self.slot();
        let due = slot
            .as_ref()
            .and_then(|s| s.until)
            .is_some_and(|until| std::time::SystemTime::now() >= until);
        let same = epoch.is_none_or(|epoch| self.epoch.load(Ordering::SeqCst) == epoch);
        if due && same {
            self.epoch.fetch_add(1, Ordering::SeqCst);
            *slot = None;
            drop(slot);
            tracing::info!("the unlock expired: the vault key is forgotten");
            self.tell(None);
        }
    }

    /// Answers one request.
    pub async fn handle(self: &std::sync::Arc<Self>, request: Request) -> Reply {
        match request {
            Request::Unlock {
                passphrase,
                seconds,
            } => self.unlock(passphrase, seconds).await,
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
                let Some(wallet) = self.current() else {
                    return Reply::Locked;
                };
                super::serve_command(&wallet, command).await
            }
        }
    }

    /// `unlock`: opens the wallet's existing vault with `passphrase` and serves it for
    /// `seconds` of wall-clock time. An agent that serves the OS keyring (or memory) has
    /// nothing to unlock; a data dir without a vault gets none: only an explicit choice
    /// (`add` with the vault store, the window's first screen) creates one.
    async fn unlock(
        self: &std::sync::Arc<Self>,
        passphrase: Zeroizing<String>,
        seconds: u64,
    ) -> Reply {
        use std::sync::atomic::Ordering;
        if let Some(wallet) = self.current()
            && !wallet.is_vault()
        {
            return Reply::message(
                0,
                format!(
                    "the agent serves the {} store, which needs no passphrase: there is nothing to unlock",
                    wallet.secret_store_kind().id()
                ),
            );
        }
        if !crate::store::VaultStore::exists(&self.home) {
            return Reply::message(
                2,
                format!(
                    "{} has no vault to unlock; nothing was created",
                    self.home.display()
                ),
            );
        }
        let Ok(Ok(_turn)) = tokio::time::timeout(UNLOCK_QUEUE, self.unlocking.acquire()).await
        else {
            return Reply::message(1, "another unlock is being checked; try again in a moment");
        };
        let home = self.home.clone();
        let passphrase = crate::model::Secret::new(passphrase.as_str());
        let opened = tokio::task::spawn_blocking(move || {
            crate::wallet::Wallet::open(
                &home,
                Some(crate::store::SecretStoreKind::File),
                &|new_vault| {
                    if new_vault {
                        Err(crate::store::StoreError::NoPassphrase)
                    } else {
                        Ok(passphrase.clone())
                    }
                },
            )
        })
        .await;
        let wallet = match opened {
            Ok(Ok(wallet)) => std::sync::Arc::new(wallet.with_access_cache()),
            Ok(Err(err)) => {
                return Reply::message(super::words::exit_code(&err), super::words::describe(&err));
            }
            Err(err) => return Reply::message(1, format!("the unlock failed: {err}")),
        };
        let Some(until) = std::time::SystemTime::now().checked_add(Duration::from_secs(seconds))
        else {
            return Reply::message(2, "that unlock time is too long");
        };
        let epoch = {
            let mut slot = self.slot();
            *slot = Some(Served {
                wallet: std::sync::Arc::clone(&wallet),
                until: Some(until),
            });
            self.epoch.fetch_add(1, Ordering::SeqCst) + 1
        };
        self.tell(Some(wallet));
        let state = std::sync::Arc::clone(self);
        tokio::spawn(async move {
            // Wakes at least every minute: the monotonic clock behind the timer stops while
            // the machine sleeps, the wall clock does not.
            loop {
                let left = until
                    .duration_since(std::time::SystemTime::now())
                    .unwrap_or_default();
                if left.is_zero() || state.epoch.load(Ordering::SeqCst) != epoch {
                    break;
                }
                tokio::time::sleep(left.min(Duration::from_mins(1))).await;
            }
            state.expire(Some(epoch));
        });
        Reply::message(
            0,
            format!("the agent holds the vault key for {}", human(seconds)),
        )
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
    number
        .checked_mul(scale)
        .filter(|&s| s > 0 && s <= MAX_UNLOCK_SECS)
}

/// The longest unlock: a year.
const MAX_UNLOCK_SECS: u64 = 366 * 86_400;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

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
            Some(crate::store::SecretStoreKind::File),
            &|_| Ok(passphrase()),
        )
        .unwrap();
        let state = std::sync::Arc::new(State::new(dir.path(), None));
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
        protect_memory();
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
