//! Modal dialogs (confirm revoke/remove, view token, save path), the vault unlock screen
//! and the toasts.

use std::time::{Duration, Instant};

use egui::{Align2, RichText, vec2};

use super::app::App;
use super::theme;
use super::widgets::{choice_title, token_choice_ui};
use super::worker::{ApiCommand, Command};
use crate::export::TokenChoice;
use crate::model::Secret;
use crate::providers::{RevokeSupport, spec};
use crate::wallet::ExportRequest;

/// A confirmation the user must give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Confirm {
    /// Revoke the account's tokens.
    Revoke(String),
    /// Delete the account.
    Remove(String),
    /// Send the account's token to a host that is not its provider's.
    SendToken {
        /// Account.
        name: String,
        /// Its host.
        host: String,
        /// What to send once confirmed.
        retry: ApiCommand,
    },
    /// Send an operation that may change something at the API.
    SendOperation {
        /// Account.
        name: String,
        /// `POST /path`.
        label: String,
        /// What to send once confirmed.
        command: ApiCommand,
    },
    /// Replace an existing file with a download.
    Replace {
        /// Account.
        name: String,
        /// Which tokens, in which format.
        request: ExportRequest,
        /// The existing file.
        path: std::path::PathBuf,
    },
}

/// The path field shown when no native save dialog exists.
pub(super) struct DownloadPath {
    pub name: String,
    pub request: ExportRequest,
    pub reason: String,
    pub path: String,
}

impl App {
    pub(super) fn dialogs_ui(&mut self, ctx: &egui::Context) {
        self.add_dialog_ui(ctx);
        self.tray_question_ui(ctx);
        if let Some(confirm) = self.confirm.clone() {
            self.confirm_ui(ctx, &confirm);
        }
        if self.reveal.viewing {
            self.view_ui(ctx);
        }
        if self.download_path.is_some() {
            self.download_path_ui(ctx);
        }
        if self.sign_in.is_some() {
            self.sign_in_ui(ctx);
        }
    }

    /// The sign-in in progress: the address the browser was opened at, with Copy, or the
    /// device code with Copy and *Open browser*; Cancel stops waiting.
    fn sign_in_ui(&mut self, ctx: &egui::Context) {
        let Some(view) = self.sign_in.as_ref() else {
            return;
        };
        let name = view.name.clone();
        let mut commands = Vec::new();
        egui::Modal::new(egui::Id::unique("sign-in")).show(ctx, |ui| {
            ui.set_width(520.0);
            ui.heading(format!("Sign in to '{name}'"));
            if let Some(code) = &view.device {
                ui.label(format!(
                    "On any device, open {} and enter this code:",
                    code.verification_uri
                ));
                ui.label(
                    RichText::new(&code.user_code)
                        .monospace()
                        .size(theme::DEVICE_CODE_SIZE)
                        .strong(),
                );
                ui.horizontal(|ui| {
                    if ui.button("Copy code").clicked() {
                        ui.ctx().copy_text(code.user_code.clone());
                    }
                    if ui.button("Open browser").clicked() {
                        let url = code
                            .verification_uri_complete
                            .clone()
                            .unwrap_or_else(|| code.verification_uri.clone());
                        commands.push(Command::OpenBrowser(url));
                    }
                });
            } else if let Some(url) = &view.url {
                ui.label(
                    "Your browser was opened to sign in. If it did not open, open this address:",
                );
                let mut text: &str = url;
                let label = ui.label("Sign-in address");
                ui.add(egui::TextEdit::singleline(&mut text).desired_width(f32::INFINITY))
                    .labelled_by(label.id);
                if ui.button("Copy address").clicked() {
                    ui.ctx().copy_text(url.clone());
                }
            } else {
                ui.spinner();
            }
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Waiting for the sign-in…");
                if ui.button("Cancel").clicked() {
                    commands.push(Command::CancelSignIn(name.clone()));
                }
            });
        });
        for command in commands {
            self.send(command);
        }
    }

    fn confirm_ui(&mut self, ctx: &egui::Context, confirm: &Confirm) {
        let (title, body, action) = match confirm {
            Confirm::Revoke(name) => {
                let provider = self.listing.account(name).map(|a| a.provider);
                let body = match provider.map(|p| spec(p).revoke) {
                    Some(RevokeSupport::PortalOnly(how)) => {
                        format!("{how}\n\nForget the tokens of '{name}'?")
                    }
                    _ => format!(
                        "Revoke the tokens of '{name}' at the provider? They stop working at once."
                    ),
                };
                ("Revoke tokens", body, "Revoke")
            }
            Confirm::Remove(name) => (
                "Remove account",
                format!("Remove '{name}' and delete its secrets from this wallet?"),
                "Remove",
            ),
            Confirm::SendToken { name, host, .. } => (
                "Send the token elsewhere?",
                format!(
                    "{host} is not a host of the provider of '{name}'. Send its access token there? Anyone who runs {host} could use it until it expires."
                ),
                "Send",
            ),
            Confirm::SendOperation { name, label, .. } => (
                "Send this request?",
                format!(
                    "{label} may change data at the API of '{name}'. Send it with the account's token?"
                ),
                "Send",
            ),
            Confirm::Replace { path, .. } => (
                "Replace file",
                format!("{} already exists. Replace it?", path.display()),
                "Replace",
            ),
        };
        let mut decided = None;
        let response = egui::Modal::new(egui::Id::unique("confirm")).show(ctx, |ui| {
            ui.set_max_width(420.0);
            ui.heading(title);
            ui.label(body);
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if ui.button(action).clicked() {
                    decided = Some(true);
                }
                if ui.button("Cancel").clicked() {
                    decided = Some(false);
                }
            });
        });
        if decided == Some(true) {
            self.send(match confirm.clone() {
                Confirm::Revoke(name) => Command::Revoke(name),
                Confirm::Remove(name) => Command::Remove(name),
                Confirm::SendToken { retry, .. } => Command::Api(retry),
                Confirm::SendOperation { command, .. } => Command::Api(command),
                Confirm::Replace {
                    name,
                    request,
                    path,
                } => Command::Download {
                    name,
                    request,
                    path: Some(path),
                    replace: true,
                },
            });
        }
        if decided.is_some() || response.should_close() {
            self.confirm = None;
        }
    }

    fn view_ui(&mut self, ctx: &egui::Context) {
        let name = self.selected().unwrap_or_default().to_owned();
        let choice = self.reveal.view_choice;
        let token = self
            .revealed
            .as_ref()
            .filter(|(n, c, _)| *n == name && *c == choice)
            .map(|(_, _, t)| t.expose().to_owned());
        let has_refresh = self
            .selected_account()
            .is_some_and(|a| a.tokens.has_refresh_token);
        let mut close = false;
        let mut picked = choice;
        let response = egui::Modal::new(egui::Id::unique("view-token")).show(ctx, |ui| {
            ui.set_width(560.0);
            ui.heading(format!("{} of '{name}'", choice_title(choice)));
            if has_refresh {
                token_choice_ui(ui, "Which token", &mut picked);
            }
            match &token {
                Some(token) => {
                    let mut text: &str = token;
                    let label = ui.label("Plain text (select to copy)");
                    ui.add(
                        egui::TextEdit::multiline(&mut text)
                            .desired_rows(6)
                            .desired_width(f32::INFINITY)
                            .font(egui::TextStyle::Monospace),
                    )
                    .labelled_by(label.id);
                }
                None => {
                    ui.spinner();
                }
            }
            if ui.button("Close").clicked() {
                close = true;
            }
        });
        if picked != choice {
            self.reveal.view_choice = picked;
            self.send(Command::Reveal(name, picked));
        }
        if close || response.should_close() {
            self.reveal.viewing = false;
            self.reveal.view_choice = TokenChoice::Access;
            // A refresh token is never left on screen: only a shown access token stays.
            if !self.reveal.shown
                || self
                    .revealed
                    .as_ref()
                    .is_some_and(|(_, c, _)| *c != TokenChoice::Access)
            {
                self.revealed = None;
            }
        }
    }

    fn download_path_ui(&mut self, ctx: &egui::Context) {
        let mut submit = false;
        let mut cancel = false;
        if let Some(pending) = self.download_path.as_mut() {
            egui::Modal::new(egui::Id::unique("download-path")).show(ctx, |ui| {
                ui.set_width(520.0);
                ui.heading("Save token");
                ui.label(format!(
                    "{} Type where to save the {} file:",
                    pending.reason,
                    pending.request.format.id()
                ));
                let label = ui.label("Save to");
                ui.add(egui::TextEdit::singleline(&mut pending.path).desired_width(f32::INFINITY))
                    .labelled_by(label.id);
                ui.horizontal(|ui| {
                    submit = ui
                        .add_enabled(!pending.path.trim().is_empty(), egui::Button::new("Save"))
                        .clicked();
                    cancel = ui.button("Cancel").clicked();
                });
            });
        }
        if submit {
            if let Some(pending) = self.download_path.take() {
                self.send(Command::Download {
                    name: pending.name,
                    request: pending.request,
                    path: Some(pending.path.trim().into()),
                    replace: false,
                });
            }
        } else if cancel {
            self.download_path = None;
        }
    }

    pub(super) fn unlock_ui(&mut self, ui: &mut egui::Ui) {
        let Some(unlock) = self.unlock.as_mut() else {
            return;
        };
        let mut submit = false;
        let mut memory = false;
        ui.vertical_centered(|ui| {
            ui.add_space(80.0);
            ui.heading("tokenwallet");
            ui.add_space(8.0);
            if unlock.waiting {
                ui.spinner();
                return;
            }
            if unlock.new_vault {
                ui.label("No OS keyring was found on this machine. Keep your tokens in an encrypted vault file:");
                ui.label(RichText::new("choose a passphrase; it is asked once each time tokenwallet starts.").weak());
            } else {
                ui.label("Enter the passphrase of your encrypted vault.");
            }
            ui.add_space(8.0);
            let label = ui.label("Passphrase");
            let field = ui.add(egui::TextEdit::singleline(&mut *unlock.passphrase).password(true).desired_width(280.0)).labelled_by(label.id);
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let matches = if unlock.new_vault {
                let label = ui.label("Repeat passphrase");
                ui.add(egui::TextEdit::singleline(&mut *unlock.repeat).password(true).desired_width(280.0)).labelled_by(label.id);
                *unlock.passphrase == *unlock.repeat
            } else {
                true
            };
            let ready = !unlock.passphrase.is_empty() && matches;
            if unlock.new_vault && !matches && !unlock.repeat.is_empty() {
                ui.label(RichText::new("The two passphrases differ.").color(theme::error_color(ui.visuals().dark_mode)));
            }
            if let Some(error) = &unlock.error {
                ui.label(RichText::new(error).color(theme::error_color(ui.visuals().dark_mode)));
            }
            let button = if unlock.new_vault { "Create vault" } else { "Unlock" };
            submit = ui.add_enabled(ready, egui::Button::new(button)).clicked() || (enter && ready);
            ui.add_space(16.0);
            memory = ui.button("Try without saving").on_hover_text("Accounts and secrets live in a scratch folder and in memory, and are gone when the window closes").clicked();
        });
        if submit {
            let passphrase = Secret::new(unlock.passphrase.as_str());
            unlock.waiting = true;
            unlock.error = None;
            self.send(Command::Unlock(passphrase));
        } else if memory {
            unlock.waiting = true;
            self.send(Command::UseMemoryStore);
        }
    }

    pub(super) fn toasts_ui(&mut self, ctx: &egui::Context) {
        let now = Instant::now();
        let life = |ok: bool| {
            Duration::from_secs(if ok {
                theme::TOAST_SECS
            } else {
                theme::ERROR_TOAST_SECS
            })
        };
        self.toasts
            .retain(|(toast, shown)| now.duration_since(*shown) < life(toast.ok));
        let Some(next) = self
            .toasts
            .iter()
            .map(|(toast, shown)| *shown + life(toast.ok))
            .min()
        else {
            return;
        };
        let dark = ctx.global_style().visuals.dark_mode;
        egui::Area::new(egui::Id::unique("toasts"))
            .anchor(Align2::RIGHT_BOTTOM, vec2(-12.0, -12.0))
            .order(egui::Order::Foreground)
            .interactable(false)
            .show(ctx, |ui| {
                ui.set_max_width(theme::TOAST_WIDTH);
                for (toast, _) in &self.toasts {
                    egui::Frame::popup(ui.style())
                        .fill(theme::toast_fill(toast.ok, dark))
                        .show(ui, |ui| {
                            ui.label(&toast.text);
                        });
                }
            });
        ctx.request_repaint_after(next.saturating_duration_since(now));
    }
}
