//! The window's state and its frame: events in, panels, shortcuts, toasts.

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{Key, KeyboardShortcut, Modifiers};

use super::add::{AddAction, AddForm};
pub(super) use super::dialogs::{Confirm, DownloadPath};
use super::listing::Listing;
pub use super::settings::{Settings, Sort};
use super::theme;
use super::worker::{Command, Event, Services, Toast, WalletSource, Worker};
use crate::export::TokenChoice;
use crate::model::{Account, JwtParts, Secret};
use crate::providers::signin::DeviceCode;
use crate::wallet::{Clock, ExportRequest, SecretStoreKind};

const NEW: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::N);
const FIND: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::F);
const COPY: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::C);
const REFRESH: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::R);

/// The vault passphrase screen.
#[derive(Default)]
pub(super) struct Unlock {
    pub new_vault: bool,
    pub error: Option<String>,
    pub passphrase: zeroize::Zeroizing<String>,
    pub repeat: zeroize::Zeroizing<String>,
    pub waiting: bool,
}

/// How much of the selected account's token is on screen.
#[derive(Default)]
pub(super) struct Reveal {
    /// The Show toggle: the token field shows the token instead of dots.
    pub shown: bool,
    /// The "View" window with the full token is open.
    pub viewing: bool,
    /// Which token the View window shows: access until the user picks another.
    pub view_choice: TokenChoice,
}

/// The whole window.
pub struct App {
    pub(super) worker: Worker,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) settings: Settings,
    pub(super) unlock: Option<Unlock>,
    pub(super) store: Option<SecretStoreKind>,
    pub(super) listing: Listing,
    pub(super) toasts: Vec<(Toast, Instant)>,
    pub(super) revealed: Option<(String, TokenChoice, Secret)>,
    pub(super) reveal: Reveal,
    pub(super) claims: Option<(String, u64, Option<JwtParts>)>,
    pub(super) add: Option<AddForm>,
    pub(super) confirm: Option<Confirm>,
    pub(super) download: ExportRequest,
    pub(super) download_path: Option<DownloadPath>,
    pub(super) api: super::api_pane::ApiPane,
    pub(super) focus_filter: bool,
    frames: u64,
    stats: Option<(Instant, u64)>,
    /// Whether the worker delivered the account list at least once.
    loaded: bool,
    /// The user closed the window while new tokens were being saved: close when done.
    closing: bool,
    /// A sign-in waiting for the person: its address or device code.
    pub(super) sign_in: Option<SignInView>,
    pub(super) docked: super::tray::Docked,
    /// When each kept file was last written, as the worker last read it.
    pub(super) kept_written:
        std::collections::HashMap<std::path::PathBuf, chrono::DateTime<chrono::Utc>>,
}

/// What the sign-in dialog shows.
pub(super) struct SignInView {
    /// The account.
    pub name: String,
    /// The address the browser was opened at.
    pub url: Option<String>,
    /// The device code, for a device sign-in.
    pub device: Option<DeviceCode>,
}

impl App {
    /// The window over a worker started on `runtime`.
    pub fn new(
        ctx: egui::Context,
        runtime: &tokio::runtime::Handle,
        source: WalletSource,
        services: Services,
        settings: Settings,
    ) -> Self {
        let clock = Arc::clone(&services.clock);
        let unlock = matches!(source, WalletSource::Vault(_)).then(|| Unlock {
            waiting: true,
            ..Unlock::default()
        });
        Self {
            worker: Worker::start(runtime, ctx, source, services),
            clock,
            settings,
            unlock,
            store: None,
            listing: Listing::default(),
            toasts: Vec::new(),
            revealed: None,
            reveal: Reveal::default(),
            claims: None,
            add: None,
            confirm: None,
            download: ExportRequest::default(),
            download_path: None,
            api: super::api_pane::ApiPane::default(),
            focus_filter: false,
            frames: 0,
            stats: std::env::var_os("TOKENWALLET_FRAME_STATS").map(|_| (Instant::now(), 0)),
            loaded: false,
            closing: false,
            sign_in: None,
            docked: super::tray::Docked::default(),
            kept_written: std::collections::HashMap::new(),
        }
    }

    /// Serves the wallet to this user's command lines while the window is open.
    pub fn serve_agent(&self) {
        self.send(Command::ServeAgent);
    }

    /// Starts the demo account (and its first token), as the empty state's button does.
    pub fn start_demo(&self) {
        self.send(Command::StartDemo { generate: true });
    }

    /// The accounts the window shows.
    pub fn accounts(&self) -> &[Account] {
        self.listing.accounts()
    }

    /// The rows after filter and sort, as indices into [`App::accounts`].
    pub fn visible_rows(&self) -> &[usize] {
        self.listing.rows()
    }

    /// Whether a background action on `name` is running.
    pub fn is_busy(&self, name: &str) -> bool {
        self.listing.is_busy(name)
    }

    /// Whether the account list has arrived from the worker.
    pub fn loaded(&self) -> bool {
        self.loaded
    }

    /// Rounds the background refresher has finished.
    pub fn refresher_rounds(&self) -> u64 {
        self.worker.refresher_rounds()
    }

    /// Frames drawn so far (for the idle measurement).
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// The selected account's name.
    pub fn selected(&self) -> Option<&str> {
        self.listing.selected()
    }

    /// Replaces the account list (used by benchmarks; the worker does it in the app).
    pub fn set_accounts(&mut self, accounts: Vec<Account>) {
        self.listing.replace(accounts, self.settings.sort);
    }

    pub(super) fn send(&self, command: Command) {
        self.worker.send(command);
    }

    pub(super) fn selected_account(&self) -> Option<&Account> {
        self.listing.selected_account()
    }

    /// Draws the add / import form while it is open.
    pub(super) fn add_dialog_ui(&mut self, ctx: &egui::Context) {
        let Some(form) = self.add.as_mut() else {
            return;
        };
        match form.ui(ctx) {
            Some(AddAction::Submit(command)) => self.send(*command),
            Some(AddAction::Close) => self.add = None,
            None => {}
        }
    }

    /// The vault was locked: nothing read from it stays on screen or in this struct.
    fn forget_secrets(&mut self) {
        self.revealed = None;
        self.reveal = Reveal::default();
        self.claims = None;
        self.api = super::api_pane::ApiPane::default();
        self.confirm = None;
        self.add = None;
        self.download_path = None;
        self.sign_in = None;
    }

    pub(super) fn save_settings(&self) {
        if let Ok(json) = serde_json::to_string_pretty(&self.settings) {
            self.send(Command::SaveSettings(json));
        }
    }

    pub(super) fn clear_after(&self) -> Option<Duration> {
        self.settings.clipboard_clear_secs.map(Duration::from_secs)
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Ready(kind) => {
                self.unlock = None;
                self.store = Some(kind);
            }
            Event::Locked { new_vault, error } => {
                if self.unlock.is_none() {
                    self.forget_secrets();
                }
                let unlock = self.unlock.get_or_insert_with(Unlock::default);
                unlock.new_vault = new_vault;
                unlock.error = error;
                unlock.waiting = false;
            }
            Event::Accounts(accounts, written) => {
                self.kept_written = written;
                self.accounts_arrived(accounts);
            }
            Event::Busy(name, busy) => self.listing.set_busy(name, busy),
            Event::Toast(toast) => self.toasts.push((toast, Instant::now())),
            Event::Added(name) => {
                self.add = None;
                self.select(Some(name));
            }
            Event::Revealed(name, choice, token) => {
                if self.listing.selected() == Some(&name) {
                    self.revealed = Some((name, choice, token));
                }
            }
            Event::DownloadNeedsPath {
                name,
                request,
                reason,
                suggested,
            } => {
                self.download_path = Some(DownloadPath {
                    name,
                    request,
                    reason,
                    path: suggested,
                });
            }
            Event::ConfirmReplace {
                name,
                request,
                path,
            } => {
                self.confirm = Some(Confirm::Replace {
                    name,
                    request,
                    path,
                });
            }
            event
            @ (Event::SignInUrl { .. } | Event::DeviceCode { .. } | Event::SignInEnded(_)) => {
                self.sign_in_event(event);
            }
            Event::Api(event) => {
                if let Some((name, host, retry)) = self.api.event(event) {
                    self.confirm = Some(Confirm::SendToken { name, host, retry });
                }
            }
            Event::Claims(name, claims) => {
                let generation = self
                    .listing
                    .account(&name)
                    .map_or(0, |a| a.tokens.generation);
                self.claims = Some((name, generation, claims));
            }
        }
    }

    /// A sign-in showed an address or a code, or ended.
    fn sign_in_event(&mut self, event: Event) {
        let view = |name: &str, sign_in: &mut Option<SignInView>| {
            if sign_in.as_ref().is_none_or(|view| view.name != name) {
                *sign_in = Some(SignInView {
                    name: name.to_owned(),
                    url: None,
                    device: None,
                });
            }
        };
        match event {
            Event::SignInUrl { name, url } => {
                view(&name, &mut self.sign_in);
                if let Some(shown) = self.sign_in.as_mut() {
                    shown.url = Some(url);
                }
            }
            Event::DeviceCode { name, code } => {
                view(&name, &mut self.sign_in);
                if let Some(shown) = self.sign_in.as_mut() {
                    shown.device = Some(code);
                }
            }
            Event::SignInEnded(name)
                if self.sign_in.as_ref().is_some_and(|view| view.name == name) =>
            {
                self.sign_in = None;
            }
            _ => {}
        }
    }

    /// The worker sent the account list as stored now.
    fn accounts_arrived(&mut self, accounts: Vec<Account>) {
        self.loaded = true;
        self.listing.replace(accounts, self.settings.sort);
        self.request_claims();
    }

    /// Selects an account, dropping anything revealed of the previous one.
    pub(super) fn select(&mut self, name: Option<String>) {
        if self.listing.select(name) {
            self.revealed = None;
            self.reveal.shown = false;
            self.reveal.viewing = false;
            self.reveal.view_choice = TokenChoice::Access;
            self.request_claims();
        }
    }

    /// Asks for the selected account's claims when they are missing or stale.
    fn request_claims(&mut self) {
        let Some(account) = self.selected_account() else {
            return;
        };
        let fresh = self.claims.as_ref().is_some_and(|(name, generation, _)| {
            *name == account.name && *generation == account.tokens.generation
        });
        if !fresh && account.tokens.has_access_token {
            let name = account.name.clone();
            self.send(Command::Claims(name));
        }
        // A new token set makes a revealed token stale.
        if self
            .revealed
            .as_ref()
            .is_some_and(|(name, _, _)| name == &account.name)
            && !fresh
        {
            let name = account.name.clone();
            self.revealed = None;
            if self.reveal.viewing {
                self.send(Command::Reveal(name, self.reveal.view_choice));
            } else if self.reveal.shown {
                self.send(Command::Reveal(name, TokenChoice::Access));
            }
        }
    }

    fn shortcuts(&mut self, ui: &egui::Ui) {
        let (new, find, copy_key, refresh) = ui.input_mut(|i| {
            (
                i.consume_shortcut(&NEW),
                i.consume_shortcut(&FIND),
                i.consume_shortcut(&COPY),
                i.consume_shortcut(&REFRESH),
            )
        });
        // On desktops Ctrl+C arrives as a Copy event; it is ours only when no text field has focus.
        let copy_event = !ui.ctx().egui_wants_keyboard_input()
            && ui.input(|i| i.events.iter().any(|e| matches!(e, egui::Event::Copy)));
        if new && self.unlock.is_none() {
            self.add = Some(AddForm::default());
        }
        if find {
            self.focus_filter = true;
        }
        if let Some(name) = self.listing.selected().map(str::to_owned) {
            if copy_key || copy_event {
                self.send(Command::Copy {
                    name: name.clone(),
                    what: super::worker::CopyWhat::Token,
                    clear_after: self.clear_after(),
                });
            }
            if refresh && !self.listing.is_busy(&name) {
                self.send(Command::Refresh(name));
            }
        }
    }

    fn dropped_files_ui(&mut self, ui: &egui::Ui) {
        let dropped = ui.input(|i| i.raw.dropped_files.clone());
        if let Some(path) = dropped.iter().map(|file| file.path().to_owned()).next() {
            let mut form = self.add.take().unwrap_or_default();
            form.import = true;
            form.import_path = path.display().to_string();
            self.add = Some(form);
        }
    }

    /// Whether the window is closing but waits for new tokens to be saved: a refresh the
    /// server may already have rotated must be stored, so the close is held off (shown as
    /// "Saving…") until no token request is in flight.
    pub fn saving_before_close(&mut self, ui: &mut egui::Ui) -> bool {
        let ctx = ui.ctx().clone();
        let in_flight = crate::wallet::requests_in_flight() > 0;
        if ctx.input(|i| i.viewport().close_requested()) && in_flight && !self.close_held_by_tray()
        {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.closing = true;
        }
        if !self.closing {
            return false;
        }
        if !in_flight {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            return false;
        }
        egui::CentralPanel::default().show(ui, |ui| {
            ui.vertical_centered(|ui| {
                ui.add_space(120.0);
                ui.spinner();
                ui.label("Saving the new tokens before closing…");
            });
        });
        ctx.request_repaint_after(Duration::from_millis(100));
        true
    }

    /// Draws one frame. Needs no `eframe::Frame`, so benchmarks and tests can drive it.
    pub fn ui_main(&mut self, ui: &mut egui::Ui) {
        self.frames += 1;
        if let Some((since, frames)) = self.stats
            && since.elapsed() >= Duration::from_secs(10)
        {
            let secs = since.elapsed().as_secs_f64();
            #[allow(clippy::cast_precision_loss)]
            let rate = (self.frames - frames) as f64 / secs;
            eprintln!(
                "tokenwallet: {} frames in {secs:.1} s ({rate:.2} per second)",
                self.frames - frames
            );
            self.stats = Some((Instant::now(), self.frames));
        }
        for event in self.worker.poll() {
            self.on_event(event);
        }
        self.tray_pass(ui.ctx());
        if self.saving_before_close(ui) {
            return;
        }
        if self.unlock.is_some() {
            egui::CentralPanel::default().show(ui, |ui| self.unlock_ui(ui));
            self.toasts_ui(ui.ctx());
            return;
        }
        self.shortcuts(ui);
        self.dropped_files_ui(ui);
        egui::Panel::top("toolbar").show(ui, |ui| self.toolbar_ui(ui));
        if self.listing.accounts().is_empty() {
            egui::CentralPanel::default().show(ui, |ui| self.empty_ui(ui));
        } else {
            egui::Panel::left("accounts")
                .resizable(true)
                .default_size(theme::LIST_WIDTH)
                .min_size(320.0)
                .show(ui, |ui| self.list_ui(ui));
            egui::CentralPanel::default().show(ui, |ui| self.details_ui(ui));
            // Countdowns tick once a second; nothing repaints faster while idle.
            ui.ctx().request_repaint_after(Duration::from_secs(1));
        }
        self.dialogs_ui(ui.ctx());
        self.toasts_ui(ui.ctx());
    }
}

impl eframe::App for App {
    /// Runs hidden too: the tray's clicks reach the window while it is in the tray.
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.tray_pass(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.ui_main(ui);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        if std::env::var_os("TOKENWALLET_FRAME_STATS").is_some() {
            eprintln!("tokenwallet: frames drawn: {}", self.frames);
        }
    }
}
