//! The UI's background side: commands in, events out. Every wallet call, file, clipboard,
//! dialog and network action runs here on the tokio runtime; each event wakes the UI with
//! `request_repaint`. Also runs the auto-refresher.

use std::collections::HashMap;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use zeroize::Zeroizing;

use super::platform::{Notifier, Opener, SaveDialog};
use super::words::describe;
use crate::clipboard::{Clipboard, copy_with_auto_clear};
use crate::demo::oauth::OAuthServer;
use crate::export::{ExportFormat, TokenChoice};
use crate::import::read_bounded;
use crate::model::{Account, JwtParts, Secret, decode_jwt, format_countdown};
use crate::providers::Revoked;
use crate::providers::signin::{DeviceCode, SignIn};
use crate::store::{SecretStoreKind, StoreError, VaultStore};
use crate::wallet::{Clock, ExportRequest, NewAccount, Wallet, WalletError};

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
        ExportRequest { token, format }
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
    /// Send a GET with the token and report the answer.
    TryIt {
        /// Account.
        name: String,
        /// The URL to call.
        url: String,
        /// The user confirmed sending the token to this URL's host.
        confirm: bool,
    },
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
    /// The accounts as stored now.
    Accounts(Vec<Account>),
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
    /// Try it would send the token to a host that is not the provider's: ask first.
    ConfirmTryIt {
        /// Account.
        name: String,
        /// The URL.
        url: String,
        /// Its host.
        host: String,
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
    /// A Try it answer.
    TryIt(TryItResult),
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
        self.emit(Event::Accounts(accounts));
    }

    fn agent(&self) -> Option<Arc<crate::agent::State>> {
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

/// The Lock button: the window and the agent it serves forget the vault's key.
fn lock(inner: &Inner) {
    if let Some(agent) = inner.agent() {
        agent.lock();
    }
    inner.close_vault();
}

/// Serves the window's wallet on the agent socket until the window closes. Another agent
/// already serving this wallet keeps doing so.
fn serve_agent(inner: &Arc<Inner>) {
    let state = Arc::new(crate::agent::State::new(
        &inner.home,
        inner.wallet(),
        Arc::new(crate::cli::AgentHost),
    ));
    // `tokenwallet unlock` and `lock` open and close the window too. Weak: the agent's
    // state must not keep the worker alive.
    let window = Arc::downgrade(inner);
    state.watch(move |wallet| {
        let Some(inner) = window.upgrade() else {
            return;
        };
        match wallet {
            Some(wallet) if inner.wallet().is_none() => inner.show(wallet),
            Some(_) => {}
            None => inner.close_vault(),
        }
    });
    *inner.agent.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&state));
    let home = inner.home.clone();
    tokio::spawn(async move {
        let ready = || tracing::info!(home = %home.display(), "the window serves as the agent");
        if let Err(err) = crate::agent::serve(&home, state, ready).await {
            tracing::info!(error = %err, "the window does not serve as the agent");
        }
    });
}

async fn run(inner: Arc<Inner>, mut commands: UnboundedReceiver<Command>) {
    if inner.wallet().is_some() {
        inner.reload();
    } else {
        inner.emit(Event::Locked {
            new_vault: !VaultStore::exists(&inner.home),
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
        Command::Reveal(name, choice) => reveal(inner, &wallet, name, choice),
        Command::Download {
            name,
            request,
            path,
            replace,
        } => download(inner, &wallet, name, request, path, replace).await,
        Command::TryIt { name, url, confirm } => try_it(inner, &wallet, name, url, confirm).await,
        Command::StartDemo { generate } => start_demo(inner, &wallet, generate).await,
        Command::Claims(name) => claims(inner, &wallet, name),
        Command::SaveSettings(json) => {
            if let Err(err) =
                crate::store::write_atomic(&inner.home.join(super::SETTINGS_FILE), json.as_bytes())
            {
                inner.toast(false, format!("Could not save the settings: {err}"));
            }
        }
    }
}

/// The person at the window, for a sign-in: the browser opens, and the window shows the
/// address or the device code until the sign-in ends.
struct WindowSignIn<'a> {
    inner: &'a Inner,
    name: String,
    cancelled: Arc<AtomicBool>,
}

impl SignIn for WindowSignIn<'_> {
    fn open(&self, url: &str) {
        self.inner.emit(Event::SignInUrl {
            name: self.name.clone(),
            url: url.to_owned(),
        });
        if let Err(reason) = self.inner.services.opener.open(url) {
            tracing::info!("no browser opened: {reason}");
        }
    }

    fn device_code(&self, code: &DeviceCode) {
        self.inner.emit(Event::DeviceCode {
            name: self.name.clone(),
            code: code.clone(),
        });
    }

    fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }
}

async fn generate(inner: &Arc<Inner>, wallet: &Wallet, name: String) {
    let cancelled = Arc::new(AtomicBool::new(false));
    inner
        .sign_ins
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(name.clone(), Arc::clone(&cancelled));
    let person = WindowSignIn {
        inner,
        name: name.clone(),
        cancelled,
    };
    let done = |a: Account| format!("'{}' has a new token.", a.name);
    account_action(inner, &name, wallet.sign_in(&name, &person), done).await;
    inner
        .sign_ins
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&name);
    inner.emit(Event::SignInEnded(name));
}

async fn unlock(inner: &Arc<Inner>, passphrase: Secret) {
    let home = inner.home.clone();
    let opened = tokio::task::spawn_blocking(move || {
        Wallet::open(&home, Some(SecretStoreKind::File), &|_| {
            Ok(passphrase.clone())
        })
    })
    .await;
    match opened {
        Ok(Ok(wallet)) => inner.open(wallet),
        Ok(Err(err)) => inner.emit(Event::Locked {
            new_vault: !VaultStore::exists(&inner.home),
            error: Some(describe(&err)),
        }),
        Err(err) => inner.toast(false, err.to_string()),
    }
}

/// "Try without saving": a scratch data dir, so trying things out never touches the real
/// accounts file, whose entries would then point at secrets that are gone.
fn use_memory_store(inner: &Arc<Inner>) {
    let opened = tempfile::Builder::new()
        .prefix("tokenwallet-try-")
        .tempdir()
        .map_err(|err| format!("Could not make a scratch folder: {err}"))
        .and_then(|scratch| {
            let wallet = Wallet::open(scratch.path(), Some(SecretStoreKind::Memory), &|_| {
                Ok(Secret::new("unused"))
            })
            .map_err(|err| describe(&err))?;
            *inner.scratch.lock().unwrap_or_else(PoisonError::into_inner) = Some(scratch);
            Ok(wallet)
        });
    match opened {
        Ok(wallet) => inner.open(wallet),
        Err(err) => inner.toast(false, err),
    }
}

async fn add(inner: &Arc<Inner>, wallet: &Wallet, new: NewAccount) {
    let name = new.account.name.clone();
    match wallet.add(new).await {
        Ok(account) => {
            inner.reload();
            inner.emit(Event::Added(account.name.clone()));
            inner.toast(
                true,
                format!(
                    "Added '{}'. Press Generate to get its first token.",
                    account.name
                ),
            );
        }
        Err(err) => inner.toast(false, format!("Could not add '{name}': {}", describe(&err))),
    }
}

async fn import(
    inner: &Arc<Inner>,
    wallet: &Wallet,
    new: NewAccount,
    source: ImportSource,
    expires_at: Option<DateTime<Utc>>,
) {
    let name = new.account.name.clone();
    let content = match source {
        ImportSource::Text(text) => Ok(text),
        ImportSource::Path(path) => tokio::task::spawn_blocking(move || {
            std::fs::File::open(&path)
                .map_err(|err| err.to_string())
                .and_then(|file| read_bounded(file).map_err(|err| err.to_string()))
                .map(Zeroizing::new)
                .map_err(|err| format!("Could not read {}: {err}", path.display()))
        })
        .await
        .unwrap_or_else(|err| Err(err.to_string())),
    };
    let result = match content {
        Ok(content) => wallet
            .import(new, &content, expires_at)
            .await
            .map_err(|err| describe(&err)),
        Err(err) => Err(err),
    };
    match result {
        Ok(account) => {
            inner.reload();
            inner.emit(Event::Added(account.name.clone()));
            inner.toast(true, format!("Imported the tokens of '{}'.", account.name));
        }
        Err(err) => inner.toast(false, format!("Could not import '{name}': {err}")),
    }
}

async fn revoke(inner: &Arc<Inner>, wallet: &Wallet, name: String) {
    let label = name.clone();
    let done = move |revoked| match revoked {
        Revoked::AtServer => format!("Revoked the tokens of '{label}' at the provider."),
        Revoked::PortalOnly(how) => format!("'{label}': {how}"),
    };
    account_action(inner, &name, wallet.revoke(&name), done).await;
}

async fn remove(inner: &Arc<Inner>, wallet: &Wallet, name: &str) {
    match wallet.remove(name).await {
        Ok(()) => {
            inner.reload();
            inner.toast(true, format!("Removed '{name}' and its secrets."));
        }
        Err(err) => inner.toast(false, describe(&err)),
    }
}

/// Copies with the clipboard rules (auto-clear, secret hints). A refresh token never
/// appears in a toast or a log: the toast names only what was copied.
fn copy(
    inner: &Arc<Inner>,
    wallet: &Wallet,
    name: &str,
    what: CopyWhat,
    clear_after: Option<Duration>,
) {
    let text = match wallet.export(name, what.request()) {
        Ok(text) => Zeroizing::new(text.trim_end_matches('\n').to_owned()),
        Err(err) => {
            inner.toast(false, describe(&err));
            return;
        }
    };
    let copied = if what == CopyWhat::RefreshToken {
        "Copied the refresh token"
    } else {
        "Copied"
    };
    match copy_with_auto_clear(&inner.services.clipboard, text, clear_after) {
        Ok(()) => inner.toast(
            true,
            match clear_after {
                Some(delay) => format!("{copied}; the clipboard clears in {} s.", delay.as_secs()),
                None => format!("{copied}."),
            },
        ),
        Err(err) => inner.toast(false, format!("Could not copy: {err}")),
    }
}

fn reveal(inner: &Arc<Inner>, wallet: &Wallet, name: String, choice: TokenChoice) {
    let request = ExportRequest {
        token: choice,
        format: ExportFormat::Text,
    };
    match wallet.export(&name, request) {
        Ok(text) => inner.emit(Event::Revealed(
            name,
            choice,
            Secret::new(text.trim_end_matches('\n')),
        )),
        Err(err) => inner.toast(false, describe(&err)),
    }
}

fn claims(inner: &Arc<Inner>, wallet: &Wallet, name: String) {
    if let Ok((_, secrets)) = wallet.secrets(&name) {
        let claims = secrets
            .access_token
            .as_ref()
            .and_then(|t| decode_jwt(t.expose()));
        inner.emit(Event::Claims(name, claims));
    }
}

/// The file name offered for a download.
fn suggested_file(name: &str, request: ExportRequest) -> String {
    let what = match request.token {
        TokenChoice::Access => "token",
        TokenChoice::Refresh => "refresh-token",
        TokenChoice::Both => "tokens",
    };
    format!("{name}-{what}.{}", request.format.extension())
}

/// Asks the native dialog for a path; `None` when cancelled or when the window must ask.
async fn ask_path(inner: &Arc<Inner>, name: &str, request: ExportRequest) -> Option<PathBuf> {
    let dialog = Arc::clone(&inner.services.dialog);
    let suggested = suggested_file(name, request);
    let file = suggested.clone();
    match tokio::task::spawn_blocking(move || dialog.save_path(&file)).await {
        Ok(Ok(path)) => path,
        Ok(Err(reason)) => {
            let suggested = dirs::download_dir()
                .or_else(dirs::home_dir)
                .map(|dir| dir.join(&suggested).display().to_string())
                .unwrap_or_default();
            inner.emit(Event::DownloadNeedsPath {
                name: name.to_owned(),
                request,
                reason,
                suggested,
            });
            None
        }
        Err(err) => {
            inner.toast(false, err.to_string());
            None
        }
    }
}

/// Saves the export. A path from the native dialog may replace a file (the dialog asked);
/// a typed path that exists is asked about first.
async fn download(
    inner: &Arc<Inner>,
    wallet: &Wallet,
    name: String,
    request: ExportRequest,
    path: Option<PathBuf>,
    replace: bool,
) {
    let (path, replace) = match path {
        Some(path) => (path, replace),
        None => match ask_path(inner, &name, request).await {
            Some(path) => (path, true),
            None => return,
        },
    };
    match wallet.export_to_file(&name, request, &path, replace) {
        Ok(()) => inner.toast(
            true,
            format!(
                "Saved the {} {} of '{name}' to {} (owner-only).",
                request.format.id(),
                match request.token {
                    TokenChoice::Access => "access token",
                    TokenChoice::Refresh => "refresh token",
                    TokenChoice::Both => "tokens",
                },
                path.display()
            ),
        ),
        Err(WalletError::Store(StoreError::Exists(_))) => inner.emit(Event::ConfirmReplace {
            name,
            request,
            path,
        }),
        Err(err) => inner.toast(false, format!("Could not save: {}", describe(&err))),
    }
}

async fn try_it(inner: &Arc<Inner>, wallet: &Wallet, name: String, url: String, confirm: bool) {
    let started = Instant::now();
    let result = match wallet.call_api(&name, &url, confirm).await {
        Err(WalletError::UnconfirmedHost { host, .. }) => {
            inner.emit(Event::ConfirmTryIt { name, url, host });
            return;
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
    inner.emit(Event::TryIt(result));
}

async fn start_demo(inner: &Arc<Inner>, wallet: &Wallet, generate: bool) {
    let existing: Vec<String> = wallet
        .list()
        .map(|list| list.into_iter().map(|a| a.name).collect())
        .unwrap_or_default();
    let name = std::iter::once("demo".to_owned())
        .chain((2..=existing.len() + 1).map(|i| format!("demo-{i}")))
        .find(|n| !existing.contains(n))
        .unwrap_or_default();
    let (server, new) = match crate::demo::start(&name) {
        Ok(started) => started,
        Err(err) => {
            inner.toast(false, format!("Could not start the demo server: {err}"));
            return;
        }
    };
    inner
        .demo
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(server);
    match wallet.add(new).await {
        Ok(account) => {
            inner.reload();
            inner.emit(Event::Added(account.name.clone()));
            if generate && let Err(err) = wallet.generate(&account.name).await {
                inner.toast(false, describe(&err));
            }
            inner.reload();
            inner.toast(
                true,
                format!("Added the demo account '{}' (a token server on this machine; tokens last 2 minutes).", account.name),
            );
        }
        Err(err) => inner.toast(false, describe(&err)),
    }
}

async fn auto_refresh(inner: Arc<Inner>) {
    let mut ticker = tokio::time::interval(inner.services.auto_refresh_every);
    // Refresh tokens already announced, by account and expiry: one notification each.
    let mut warned: HashSet<(String, DateTime<Utc>)> = HashSet::new();
    loop {
        ticker.tick().await;
        let Some(wallet) = inner.wallet() else {
            continue;
        };
        let now = inner.services.clock.now();
        let Ok(mut accounts) = wallet.list() else {
            continue;
        };
        let due: Vec<String> = accounts
            .iter()
            .filter(|a| a.auto_refresh && a.refresh_due(now))
            .map(|a| a.name.clone())
            .collect();
        for name in &due {
            inner.emit(Event::Busy(name.clone(), true));
            let result = wallet.refresh_if_due(name).await;
            inner.emit(Event::Busy(name.clone(), false));
            if let Err(err) = result {
                inner.toast(false, format!("Auto-refresh: {}", describe(&err)));
            }
            inner.reload();
        }
        // Read again only if refreshes changed it.
        if !due.is_empty() {
            let Ok(fresh) = wallet.list() else {
                continue;
            };
            accounts = fresh;
        }
        warn_of_dying_refresh_tokens(&inner, &accounts, now, &mut warned);
        inner.publish(accounts, false);
        inner.rounds.fetch_add(1, Ordering::SeqCst);
    }
}

/// Tells the desktop once per refresh token that it dies within a day.
fn warn_of_dying_refresh_tokens(
    inner: &Inner,
    accounts: &[Account],
    now: DateTime<Utc>,
    warned: &mut HashSet<(String, DateTime<Utc>)>,
) {
    for account in accounts
        .iter()
        .filter(|a| a.refresh_token_expires_soon(now))
    {
        let Some(at) = account.tokens.refresh_expires_at else {
            continue;
        };
        if !warned.insert((account.name.clone(), at)) {
            continue;
        }
        let summary = format!(
            "The refresh token of '{}' expires in {}",
            account.name,
            format_countdown(at - now)
        );
        let body = format!(
            "Refresh it now, or sign in again at the {} portal before it does.",
            account.provider.label()
        );
        let notifier = Arc::clone(&inner.services.notifier);
        // Not awaited: a slow notification service must not hold up the refresher.
        tokio::task::spawn_blocking(move || {
            if let Err(reason) = notifier.notify(&summary, &body) {
                // The badge in the window still says it; no notification service is no error.
                tracing::debug!("no desktop notification: {reason}");
            }
        });
    }
}
