//! The UI's background side: commands in, events out. Every wallet call, file, clipboard,
//! dialog and network action runs here on the tokio runtime; each event wakes the UI with
//! `request_repaint`. Also runs the auto-refresher.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use zeroize::Zeroizing;

mod accounts;
mod api;
mod refresh;
mod tokens;
mod vault;

use accounts::{add, generate, import, remove, revoke, start_demo};
pub use api::{ApiCommand, ApiEvent, TryItResult};
use refresh::auto_refresh;
use tokens::{claims, copy, download, reveal, stop_keeping};
use vault::{lock, serve_agent, unlock, use_memory_store};

use super::platform::{Notifier, Opener, SaveDialog};
use super::words::describe;
use crate::clipboard::Clipboard;
use crate::demo::oauth::OAuthServer;
use crate::export::{ExportFormat, TokenChoice};
use crate::model::{Account, JwtParts, Secret};
use crate::providers::signin::DeviceCode;
use crate::wallet::{
    Clock, ExportRequest, NewAccount, SecretStoreKind, Wallet, WalletError, last_written,
};

/// How often the auto-refresher looks for due accounts, by default.
pub const AUTO_REFRESH_PERIOD: Duration = Duration::from_secs(15);

/// What to copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyWhat {
    /// The raw access token.
    Token,
    /// The provider's header line.
    Header,
    /// A curl command.
    Curl,
    /// The raw refresh token (a deliberate action: it is more powerful).
    RefreshToken,
}

impl CopyWhat {
    fn request(self) -> ExportRequest {
        let (token, format) = match self {
            Self::Token => (TokenChoice::Access, ExportFormat::Text),
            Self::Header => (TokenChoice::Access, ExportFormat::Header),
            Self::Curl => (TokenChoice::Access, ExportFormat::Curl),
            Self::RefreshToken => (TokenChoice::Refresh, ExportFormat::Text),
        };
        ExportRequest {
            token,
            format,
            keep_fresh: false,
        }
    }
}

/// Where an import comes from.
#[derive(Clone, Debug)]
pub enum ImportSource {
    /// A file to read.
    Path(PathBuf),
    /// Text pasted by the user.
    Text(Zeroizing<String>),
}

/// What the UI asks for.
#[derive(Debug)]
pub enum Command {
    /// Open (or create) the encrypted vault.
    Unlock(Secret),
    /// Close the vault: forget its key here and in the agent the window serves.
    Lock,
    /// Run with secrets in memory only (nothing saved).
    UseMemoryStore,
    /// Re-read the accounts.
    Reload,
    /// Serve the wallet to this user's command lines while the window is open (the agent).
    ServeAgent,
    /// Add an account.
    Add(NewAccount),
    /// Import a token file into an account.
    Import {
        /// The account's settings.
        new: NewAccount,
        /// The file or pasted text.
        source: ImportSource,
        /// Expiry for a token whose file does not say.
        expires_at: Option<DateTime<Utc>>,
    },
    /// Obtain a new token set (signing in through the browser or a device code where the
    /// account's grant needs a person).
    Generate(String),
    /// Stop waiting for the sign-in of this account.
    CancelSignIn(String),
    /// Open an address in the browser (the device code's verification address).
    OpenBrowser(String),
    /// Refresh the access token.
    Refresh(String),
    /// Revoke and forget the tokens.
    Revoke(String),
    /// Delete the account.
    Remove(String),
    /// Turn auto-refresh on or off.
    SetAutoRefresh(String, bool),
    /// Copy to the clipboard, clearing it after the delay.
    Copy {
        /// Account.
        name: String,
        /// What to copy.
        what: CopyWhat,
        /// Clear after this long (`None`: never).
        clear_after: Option<Duration>,
    },
    /// Copy the access token (renewed first when due) and open the API catalog.
    OpenCatalog {
        /// Account.
        name: String,
        /// Clear the clipboard after this long (`None`: never).
        clear_after: Option<Duration>,
    },
    /// Read a token (or both) to show it.
    Reveal(String, TokenChoice),
    /// Save tokens to a file; `path: None` asks the native dialog first.
    Download {
        /// Account.
        name: String,
        /// Which tokens, in which format.
        request: ExportRequest,
        /// Where to write, once known.
        path: Option<PathBuf>,
        /// Replace what is there (the user confirmed it).
        replace: bool,
    },
    /// Stop keeping a file fresh (the file stays).
    StopKeeping {
        /// Account.
        name: String,
        /// The kept file.
        path: PathBuf,
    },
    /// The API pane: Try it, a spec, an operation.
    Api(ApiCommand),
    /// Start the built-in demo server and add its account (and get its first token).
    StartDemo {
        /// Also generate the first token.
        generate: bool,
    },
    /// Decode the account's JWT claims (the token itself stays here).
    Claims(String),
    /// Save the window settings.
    SaveSettings(String),
}

/// A toast: the outcome of an action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toast {
    /// Success (true) or failure.
    pub ok: bool,
    /// The message, with the server's own words on failure.
    pub text: String,
}

/// What the worker reports.
#[derive(Debug)]
pub enum Event {
    /// The wallet is open.
    Ready(SecretStoreKind),
    /// The vault needs a passphrase (`new_vault`: it does not exist yet).
    Locked {
        /// Whether the vault will be created.
        new_vault: bool,
        /// Why the last attempt failed, if it did.
        error: Option<String>,
    },
    /// The accounts as stored now, and when each of their kept files was last written
    /// (read here, not on the window's thread).
    Accounts(Vec<Account>, HashMap<PathBuf, DateTime<Utc>>),
    /// An action on an account started or ended.
    Busy(String, bool),
    /// The outcome of an action.
    Toast(Toast),
    /// An account was added (select it).
    Added(String),
    /// A token (or both, one per line), to show.
    Revealed(String, TokenChoice, Secret),
    /// No native save dialog: ask for a path in the window.
    DownloadNeedsPath {
        /// Account.
        name: String,
        /// Which tokens, in which format.
        request: ExportRequest,
        /// Why there is no dialog.
        reason: String,
        /// A path to start from (in the downloads folder).
        suggested: String,
    },
    /// The chosen file exists: ask before replacing it.
    ConfirmReplace {
        /// Account.
        name: String,
        /// Which tokens, in which format.
        request: ExportRequest,
        /// The existing file.
        path: PathBuf,
    },
    /// A sign-in opened the browser at this address (shown with Copy, for odd desktops).
    SignInUrl {
        /// Account.
        name: String,
        /// The address.
        url: String,
    },
    /// A device sign-in: the code to enter, and where.
    DeviceCode {
        /// Account.
        name: String,
        /// The code and its address.
        code: DeviceCode,
    },
    /// The sign-in of this account ended (signed in, failed or cancelled).
    SignInEnded(String),
    /// What the API pane asked for.
    Api(ApiEvent),
    /// The decoded claims of an account's access token (`None`: not a JWT).
    Claims(String, Option<JwtParts>),
}

/// The platform services the worker uses, injectable for tests.
pub struct Services {
    /// The clipboard.
    pub clipboard: Arc<dyn Clipboard>,
    /// The save dialog.
    pub dialog: Arc<dyn SaveDialog>,
    /// Desktop notifications (refresh tokens about to die).
    pub notifier: Arc<dyn Notifier>,
    /// The browser, for signing in.
    pub opener: Arc<dyn Opener>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// How often the auto-refresher looks for due accounts.
    pub auto_refresh_every: Duration,
    /// Words errors for the command lines the window serves as their agent; given by the
    /// program that puts the window and the command line together.
    pub wording: Arc<dyn crate::agent::Wording>,
    /// The settings read from the environment (timeouts, minimum validity), for the
    /// wallets the worker opens.
    pub config: crate::config::Config,
}

/// How the wallet is had.
pub enum WalletSource {
    /// Already open (keyring or memory store, tests).
    Open(Arc<Wallet>),
    /// The encrypted vault in this data dir needs a passphrase.
    Vault(PathBuf),
}

struct Inner {
    wallet: RwLock<Option<Arc<Wallet>>>,
    home: PathBuf,
    ctx: egui::Context,
    events: Mutex<Sender<Event>>,
    services: Services,
    demo: Mutex<Vec<OAuthServer>>,
    /// The account list the window was last sent.
    shown: Mutex<Vec<Account>>,
    /// The throwaway data dir of "Try without saving", removed with the worker.
    scratch: Mutex<Option<tempfile::TempDir>>,
    /// Rounds the auto-refresher has finished.
    rounds: Arc<AtomicU64>,
    /// Sign-ins in progress, by account, with their cancel flags.
    sign_ins: Mutex<HashMap<String, Arc<AtomicBool>>>,
    /// What the window serves as the agent, once asked to.
    agent: Mutex<Option<Arc<crate::agent::State>>>,
}

/// The UI's handle on the worker.
pub struct Worker {
    commands: UnboundedSender<Command>,
    events: Receiver<Event>,
    rounds: Arc<AtomicU64>,
}

impl Worker {
    /// Starts the worker on `runtime`; events wake `ctx`.
    pub fn start(
        runtime: &tokio::runtime::Handle,
        ctx: egui::Context,
        source: WalletSource,
        services: Services,
    ) -> Self {
        let (commands, receiver) = unbounded_channel();
        let rounds = Arc::new(AtomicU64::new(0));
        let (sender, events) = std::sync::mpsc::channel();
        let (wallet, home) = match source {
            WalletSource::Open(wallet) => {
                let home = wallet.home().to_owned();
                (Some(wallet), home)
            }
            WalletSource::Vault(home) => (None, home),
        };
        let inner = Arc::new(Inner {
            wallet: RwLock::new(wallet),
            home,
            ctx,
            events: Mutex::new(sender),
            services,
            demo: Mutex::new(Vec::new()),
            shown: Mutex::new(Vec::new()),
            scratch: Mutex::new(None),
            rounds: Arc::clone(&rounds),
            sign_ins: Mutex::new(HashMap::new()),
            agent: Mutex::new(None),
        });
        runtime.spawn(run(Arc::clone(&inner), receiver));
        runtime.spawn(auto_refresh(inner));
        Self {
            commands,
            events,
            rounds,
        }
    }

    /// How many rounds the auto-refresher has finished: tests wait for rounds to see that
    /// nothing happened, instead of sleeping.
    pub fn refresher_rounds(&self) -> u64 {
        self.rounds.load(Ordering::SeqCst)
    }

    /// Sends a command.
    pub fn send(&self, command: Command) {
        self.commands.send(command).ok();
    }

    /// The events that arrived since the last call.
    pub fn poll(&self) -> Vec<Event> {
        self.events.try_iter().collect()
    }
}

impl Inner {
    fn emit(&self, event: Event) {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(event)
            .ok();
        self.ctx.request_repaint();
    }

    fn toast(&self, ok: bool, text: impl Into<String>) {
        self.emit(Event::Toast(Toast {
            ok,
            text: text.into(),
        }));
    }

    fn wallet(&self) -> Option<Arc<Wallet>> {
        self.wallet
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn reload(&self) {
        if let Some(wallet) = self.wallet() {
            match wallet.list() {
                Ok(accounts) => self.publish(accounts, true),
                Err(err) => self.toast(false, describe(&err)),
            }
        }
    }

    /// Sends the account list to the window: always when `force`, else only when it differs
    /// from what the window has (changes made by `tokenwallet` commands in other processes).
    fn publish(&self, accounts: Vec<Account>, force: bool) {
        let mut shown = self.shown.lock().unwrap_or_else(PoisonError::into_inner);
        if !force && *shown == accounts {
            return;
        }
        shown.clone_from(&accounts);
        drop(shown);
        let written = accounts
            .iter()
            .flat_map(|account| &account.kept_files)
            .filter_map(|file| Some((file.path.clone(), last_written(&file.path)?)))
            .collect();
        self.emit(Event::Accounts(accounts, written));
    }

    pub(super) fn agent(&self) -> Option<Arc<crate::agent::State>> {
        self.agent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn open(&self, wallet: Wallet) {
        let wallet = Arc::new(wallet);
        if let Some(agent) = self.agent() {
            agent.set_wallet(&wallet);
        }
        self.show(wallet);
    }

    /// Shows `wallet`'s accounts.
    fn show(&self, wallet: Arc<Wallet>) {
        let kind = wallet.secret_store_kind();
        *self.wallet.write().unwrap_or_else(PoisonError::into_inner) = Some(wallet);
        self.emit(Event::Ready(kind));
        self.reload();
    }

    /// Forgets the vault's key and shows the unlock screen; a wallet on the keyring, or the
    /// scratch wallet of "Try without saving", has no key and stays.
    fn close_vault(&self) {
        let mut slot = self.wallet.write().unwrap_or_else(PoisonError::into_inner);
        let vault = slot
            .as_ref()
            .is_some_and(|w| w.is_vault() && w.home() == self.home);
        if vault {
            *slot = None;
            drop(slot);
            self.shown
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clear();
            self.emit(Event::Locked {
                new_vault: false,
                error: None,
            });
        }
    }
}

async fn run(inner: Arc<Inner>, mut commands: UnboundedReceiver<Command>) {
    if inner.wallet().is_some() {
        inner.reload();
    } else {
        inner.emit(Event::Locked {
            new_vault: !Wallet::has_vault(&inner.home),
            error: None,
        });
    }
    while let Some(command) = commands.recv().await {
        let inner = Arc::clone(&inner);
        tokio::spawn(async move { handle(&inner, command).await });
    }
}

/// Runs an account action with a spinner, a toast, and a reload of the list.
async fn account_action<F, T>(inner: &Inner, name: &str, action: F, done: impl FnOnce(T) -> String)
where
    F: Future<Output = Result<T, WalletError>>,
{
    inner.emit(Event::Busy(name.to_owned(), true));
    let result = action.await;
    inner.emit(Event::Busy(name.to_owned(), false));
    match result {
        Ok(value) => inner.toast(true, done(value)),
        Err(err) => inner.toast(false, describe(&err)),
    }
    inner.reload();
}

/// Runs one command: only dispatches.
async fn handle(inner: &Arc<Inner>, command: Command) {
    let command = match command {
        Command::Unlock(passphrase) => return unlock(inner, passphrase).await,
        Command::UseMemoryStore => return use_memory_store(inner),
        Command::ServeAgent => return serve_agent(inner),
        Command::Lock => return lock(inner),
        other => other,
    };
    let Some(wallet) = inner.wallet() else {
        inner.toast(false, "Unlock the wallet first.");
        return;
    };
    match command {
        Command::Unlock(_) | Command::UseMemoryStore | Command::ServeAgent | Command::Lock => {}
        Command::Reload => inner.reload(),
        Command::Add(new) => add(inner, &wallet, new).await,
        Command::Import {
            new,
            source,
            expires_at,
        } => import(inner, &wallet, new, source, expires_at).await,
        Command::Generate(name) => generate(inner, &wallet, name).await,
        Command::CancelSignIn(name) => {
            if let Some(flag) = inner
                .sign_ins
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&name)
            {
                flag.store(true, Ordering::SeqCst);
            }
        }
        Command::OpenBrowser(url) => {
            if let Err(reason) = inner.services.opener.open(&url) {
                inner.toast(
                    false,
                    format!("No browser could be opened ({reason}); copy the address instead."),
                );
            }
        }
        Command::Refresh(name) => {
            let done = |a: Account| format!("Refreshed '{}'.", a.name);
            account_action(inner, &name, wallet.refresh(&name), done).await;
        }
        Command::Revoke(name) => revoke(inner, &wallet, name).await,
        Command::Remove(name) => remove(inner, &wallet, &name).await,
        Command::SetAutoRefresh(name, on) => {
            if let Err(err) = wallet.set_auto_refresh(&name, on) {
                inner.toast(false, describe(&err));
            }
            inner.reload();
        }
        Command::Copy {
            name,
            what,
            clear_after,
        } => copy(inner, &wallet, &name, what, clear_after),
        Command::OpenCatalog { name, clear_after } => {
            tokens::open_catalog(inner, &wallet, &name, clear_after).await;
        }
        Command::Reveal(name, choice) => reveal(inner, &wallet, name, choice),
        Command::Download {
            name,
            request,
            path,
            replace,
        } => download(inner, &wallet, name, request, path, replace).await,
        Command::StopKeeping { name, path } => stop_keeping(inner, &wallet, &name, &path),
        Command::Api(command) => api::run(inner, &wallet, command).await,
        Command::StartDemo { generate } => start_demo(inner, &wallet, generate).await,
        Command::Claims(name) => claims(inner, &wallet, name),
        Command::SaveSettings(json) => {
            if let Err(err) = super::settings::save(&inner.home, &json) {
                inner.toast(false, format!("Could not save the settings: {err}"));
            }
        }
    }
}
