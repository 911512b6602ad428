//! The UI's background side: commands in, events out. Every wallet call, file, clipboard,
//! dialog and network action runs here on the tokio runtime; each event wakes the UI with
//! `request_repaint`. Also runs the auto-refresher.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use zeroize::Zeroizing;

use super::platform::{Notifier, SaveDialog};
use crate::clipboard::{Clipboard, copy_with_auto_clear};
use crate::demo::oauth::OAuthServer;
use crate::export::{ExportFormat, curl_command, header_line, render};
use crate::model::{Account, JwtParts, Secret, decode_jwt, format_countdown};
use crate::providers::{Http, Revoked, checked_url, spec};
use crate::store::{SecretStoreKind, VaultStore, write_private};
use crate::wallet::{Clock, NewAccount, Wallet, WalletError};

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
    /// Run with secrets in memory only (nothing saved).
    UseMemoryStore,
    /// Re-read the accounts.
    Reload,
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
    /// Obtain a new token set.
    Generate(String),
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
    /// Read the access token to show it.
    Reveal(String),
    /// Save the token to a file; `path: None` asks the native dialog first.
    Download {
        /// Account.
        name: String,
        /// File format.
        format: ExportFormat,
        /// Where to write, once known.
        path: Option<PathBuf>,
    },
    /// Send a GET with the token and report the answer.
    TryIt {
        /// Account.
        name: String,
        /// The URL to call.
        url: String,
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
    /// The access token, to show.
    Revealed(String, Secret),
    /// No native save dialog: ask for a path in the window.
    DownloadNeedsPath {
        /// Account.
        name: String,
        /// File format.
        format: ExportFormat,
        /// Why there is no dialog.
        reason: String,
        /// A path to start from (in the downloads folder).
        suggested: String,
    },
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
    http: Option<Http>,
    demo: Mutex<Vec<OAuthServer>>,
    /// The account list the window was last sent.
    shown: Mutex<Vec<Account>>,
    /// The throwaway data dir of "Try without saving", removed with the worker.
    scratch: Mutex<Option<tempfile::TempDir>>,
}

/// The UI's handle on the worker.
pub struct Worker {
    commands: UnboundedSender<Command>,
    events: Receiver<Event>,
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
            http: Http::from_env().ok(),
            demo: Mutex::new(Vec::new()),
            shown: Mutex::new(Vec::new()),
            scratch: Mutex::new(None),
        });
        runtime.spawn(run(Arc::clone(&inner), receiver));
        runtime.spawn(auto_refresh(inner));
        Self { commands, events }
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
                Err(err) => self.toast(false, err.to_string()),
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

    fn open(&self, wallet: Wallet) {
        let kind = wallet.secret_store_kind();
        *self.wallet.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(wallet));
        self.emit(Event::Ready(kind));
        self.reload();
    }
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
        Err(err) => inner.toast(false, err.to_string()),
    }
    inner.reload();
}

#[allow(clippy::too_many_lines)]
async fn handle(inner: &Arc<Inner>, command: Command) {
    if let Command::Unlock(passphrase) = command {
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
                error: Some(err.to_string()),
            }),
            Err(err) => inner.toast(false, err.to_string()),
        }
        return;
    }
    if let Command::UseMemoryStore = command {
        // A scratch data dir: trying things out must not touch the real accounts file,
        // whose entries would then point at secrets that are gone.
        let opened = tempfile::Builder::new()
            .prefix("tokenwallet-try-")
            .tempdir()
            .map_err(|err| format!("Could not make a scratch folder: {err}"))
            .and_then(|scratch| {
                let wallet = Wallet::open(scratch.path(), Some(SecretStoreKind::Memory), &|_| {
                    Ok(Secret::new("unused"))
                })
                .map_err(|err| err.to_string())?;
                *inner.scratch.lock().unwrap_or_else(PoisonError::into_inner) = Some(scratch);
                Ok(wallet)
            });
        match opened {
            Ok(wallet) => inner.open(wallet),
            Err(err) => inner.toast(false, err),
        }
        return;
    }
    let Some(wallet) = inner.wallet() else {
        inner.toast(false, "Unlock the wallet first.");
        return;
    };
    match command {
        Command::Unlock(_) | Command::UseMemoryStore => {}
        Command::Reload => inner.reload(),
        Command::Add(new) => {
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
                Err(err) => inner.toast(false, format!("Could not add '{name}': {err}")),
            }
        }
        Command::Import {
            new,
            source,
            expires_at,
        } => {
            let name = new.account.name.clone();
            let content = match source {
                ImportSource::Text(text) => Ok(text),
                ImportSource::Path(path) => tokio::fs::read_to_string(&path)
                    .await
                    .map(Zeroizing::new)
                    .map_err(|err| format!("Could not read {}: {err}", path.display())),
            };
            let result = match content {
                Ok(content) => wallet
                    .import(new, &content, expires_at)
                    .await
                    .map_err(|err| err.to_string()),
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
        Command::Generate(name) => {
            account_action(inner, &name, wallet.generate(&name), |a| {
                format!("'{}' has a new token.", a.name)
            })
            .await;
        }
        Command::Refresh(name) => {
            account_action(inner, &name, wallet.refresh(&name), |a| {
                format!("Refreshed '{}'.", a.name)
            })
            .await;
        }
        Command::Revoke(name) => {
            let label = name.clone();
            account_action(
                inner,
                &name,
                wallet.revoke(&name),
                move |revoked| match revoked {
                    Revoked::AtServer => {
                        format!("Revoked the tokens of '{label}' at the provider.")
                    }
                    Revoked::PortalOnly(how) => format!("'{label}': {how}"),
                },
            )
            .await;
        }
        Command::Remove(name) => match wallet.remove(&name).await {
            Ok(()) => {
                inner.reload();
                inner.toast(true, format!("Removed '{name}' and its secrets."));
            }
            Err(err) => inner.toast(false, err.to_string()),
        },
        Command::SetAutoRefresh(name, on) => {
            if let Err(err) = wallet.set_auto_refresh(&name, on) {
                inner.toast(false, err.to_string());
            }
            inner.reload();
        }
        Command::Copy {
            name,
            what,
            clear_after,
        } => {
            let text = match wallet.secrets(&name) {
                Ok((account, secrets)) => secrets.access_token.as_ref().map(|token| {
                    Zeroizing::new(match what {
                        CopyWhat::Token => token.expose().to_owned(),
                        CopyWhat::Header => header_line(&account, token.expose()),
                        CopyWhat::Curl => curl_command(&account, token.expose()),
                    })
                }),
                Err(err) => {
                    inner.toast(false, err.to_string());
                    return;
                }
            };
            let Some(text) = text else {
                inner.toast(
                    false,
                    format!("'{name}' has no access token yet; press Generate first."),
                );
                return;
            };
            match copy_with_auto_clear(&inner.services.clipboard, text, clear_after) {
                Ok(()) => inner.toast(
                    true,
                    match clear_after {
                        Some(delay) => {
                            format!("Copied; the clipboard clears in {} s.", delay.as_secs())
                        }
                        None => "Copied.".to_owned(),
                    },
                ),
                Err(err) => inner.toast(false, format!("Could not copy: {err}")),
            }
        }
        Command::Reveal(name) => match wallet.secrets(&name) {
            Ok((_, secrets)) => {
                if let Some(token) = secrets.access_token.clone() {
                    inner.emit(Event::Revealed(name, token));
                }
            }
            Err(err) => inner.toast(false, err.to_string()),
        },
        Command::Download { name, format, path } => {
            download(inner, &wallet, name, format, path).await;
        }
        Command::TryIt { name, url } => try_it(inner, &wallet, name, url).await,
        Command::StartDemo { generate } => start_demo(inner, &wallet, generate).await,
        Command::Claims(name) => {
            if let Ok((_, secrets)) = wallet.secrets(&name) {
                let claims = secrets
                    .access_token
                    .as_ref()
                    .and_then(|t| decode_jwt(t.expose()));
                inner.emit(Event::Claims(name, claims));
            }
        }
        Command::SaveSettings(json) => {
            if let Err(err) =
                crate::store::write_atomic(&inner.home.join(super::SETTINGS_FILE), json.as_bytes())
            {
                inner.toast(false, format!("Could not save the settings: {err}"));
            }
        }
    }
}

async fn download(
    inner: &Arc<Inner>,
    wallet: &Wallet,
    name: String,
    format: ExportFormat,
    path: Option<PathBuf>,
) {
    let path = if let Some(path) = path {
        path
    } else {
        let dialog = Arc::clone(&inner.services.dialog);
        let suggested = format!("{name}-token.{}", format.extension());
        match tokio::task::spawn_blocking(move || dialog.save_path(&suggested)).await {
            Ok(Ok(Some(path))) => path,
            Ok(Ok(None)) => return,
            Ok(Err(reason)) => {
                let suggested = dirs::download_dir()
                    .or_else(dirs::home_dir)
                    .map(|dir| {
                        dir.join(format!("{name}-token.{}", format.extension()))
                            .display()
                            .to_string()
                    })
                    .unwrap_or_default();
                inner.emit(Event::DownloadNeedsPath {
                    name,
                    format,
                    reason,
                    suggested,
                });
                return;
            }
            Err(err) => {
                inner.toast(false, err.to_string());
                return;
            }
        }
    };
    let written = wallet
        .secrets(&name)
        .map_err(|err| err.to_string())
        .and_then(|(account, secrets)| {
            let text = render(&account, &secrets, format).ok_or_else(|| {
                format!("'{name}' has no access token yet; press Generate first.")
            })?;
            write_private(&path, text.as_bytes()).map_err(|err| err.to_string())
        });
    match written {
        Ok(()) => inner.toast(
            true,
            format!(
                "Saved the {} token of '{name}' to {} (owner-only).",
                format.id(),
                path.display()
            ),
        ),
        Err(err) => inner.toast(false, format!("Could not save: {err}")),
    }
}

async fn try_it(inner: &Arc<Inner>, wallet: &Wallet, name: String, url: String) {
    let started = Instant::now();
    let result = async {
        let url = checked_url(&url).map_err(|err| err.to_string())?;
        let outcome = wallet.token(&name).await.map_err(|err| err.to_string())?;
        let account = wallet.account(&name).map_err(|err| err.to_string())?;
        let header = header_line(&account, outcome.token.expose());
        let (key, value) = header.split_once(": ").unwrap_or(("Authorization", ""));
        let http = inner.http.as_ref().ok_or("no HTTP client")?;
        let reply = http
            .send(http.client().get(url).header(key, value))
            .await
            .map_err(|err| err.to_string())?;
        Ok::<_, String>((
            reply.status,
            reply.body.chars().take(2000).collect::<String>(),
        ))
    }
    .await;
    let elapsed = started.elapsed();
    let result = match result {
        Ok((status, body)) => TryItResult {
            name,
            status: Ok(status),
            elapsed,
            body_start: body,
        },
        Err(err) => TryItResult {
            name,
            status: Err(err),
            elapsed,
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
                inner.toast(false, err.to_string());
            }
            inner.reload();
            inner.toast(
                true,
                format!("Added the demo account '{}' (a token server on this machine; tokens last 2 minutes).", account.name),
            );
        }
        Err(err) => inner.toast(false, err.to_string()),
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
                inner.toast(false, format!("Auto-refresh: {err}"));
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

/// The help text for an account that needs a new sign-in.
pub fn sign_in_help(account: &Account) -> &'static str {
    spec(account.provider).sign_in_help
}
