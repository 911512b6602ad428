//! The selected account: state, actions, the (masked) token, copy / download / view,
//! decoded claims, times, last error, auto-refresh, and the Try it pane.

use chrono::{DateTime, SecondsFormat, TimeZone as _, Utc};
use egui::RichText;
use serde_json::Value;

use super::api_pane::PaneAction;
use super::app::{App, Confirm};
use super::list::{badge_ui, countdown};
use super::theme;
use super::widgets::token_choice_ui;
use super::worker::{Command, CopyWhat};
use crate::export::{ExportFormat, TokenChoice};
use crate::model::{Account, AccountState};
use crate::providers::{RevokeSupport, spec};

/// When the account is next refreshed with nobody asking, and why.
fn next_refresh(
    account: &Account,
    now: DateTime<Utc>,
    when: &dyn Fn(Option<DateTime<Utc>>) -> String,
) -> String {
    match account.next_background_refresh() {
        Some((at, why)) if at <= now => format!("due now: {}", why.why()),
        Some((at, why)) => format!(
            "{}  (in {}): {}",
            when(Some(at)),
            crate::model::format_countdown(at - now),
            why.why()
        ),
        None => "— (nothing to keep fresh, or auto-refresh is off)".to_owned(),
    }
}

const MASK: &str = "••••••••••••••••••••••••";

impl App {
    pub(super) fn details_ui(&mut self, ui: &mut egui::Ui) {
        let Some(account) = self.selected_account().cloned() else {
            ui.label("Select an account on the left.");
            return;
        };
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                self.header_ui(ui, &account);
                ui.add_space(theme::SECTION_GAP);
                self.actions_ui(ui, &account);
                ui.add_space(theme::SECTION_GAP);
                self.token_ui(ui, &account);
                ui.add_space(theme::SECTION_GAP);
                self.info_ui(ui, &account);
                ui.add_space(theme::SECTION_GAP);
                self.claims_ui(ui, &account);
                self.try_it_ui(ui, &account);
            });
    }

    fn header_ui(&self, ui: &mut egui::Ui, account: &Account) {
        let now = self.clock.now();
        let state = account.state(now);
        let dark = ui.visuals().dark_mode;
        ui.horizontal(|ui| {
            ui.heading(&account.name);
            badge_ui(ui, account.provider);
            ui.label(
                RichText::new(state.id())
                    .color(theme::state_color(state, dark))
                    .strong(),
            );
            if self.is_busy(&account.name) {
                ui.spinner();
            }
        });
        if let Some(error) = &account.tokens.last_error {
            ui.label(RichText::new(format!("Last error: {error}")).color(theme::error_color(dark)));
        }
        if state == AccountState::NeedsSignIn {
            ui.label(
                RichText::new(format!(
                    "What to do: {}",
                    spec(account.provider).sign_in_help
                ))
                .color(theme::warn_color(dark)),
            );
        }
        if account.refresh_token_expires_soon(now) {
            ui.label(
                RichText::new(
                    "The refresh token expires within a day: refresh now, or sign in again soon.",
                )
                .color(theme::warn_color(dark)),
            );
        }
    }

    fn actions_ui(&mut self, ui: &mut egui::Ui, account: &Account) {
        let busy = self.is_busy(&account.name);
        let name = account.name.clone();
        ui.horizontal(|ui| {
            let person = spec(account.provider)
                .person_grants
                .contains(&account.grant);
            let (label, hint) = if person {
                (
                    "Sign in…",
                    "Sign in through the browser or on another device",
                )
            } else {
                ("Generate", "Obtain a brand new token set")
            };
            if ui
                .add_enabled(!busy, egui::Button::new(label))
                .on_hover_text(hint)
                .clicked()
            {
                self.send(Command::Generate(name.clone()));
            }
            if ui
                .add_enabled(!busy, egui::Button::new("Refresh"))
                .on_hover_text("Renew the access token (Ctrl+R)")
                .clicked()
            {
                self.send(Command::Refresh(name.clone()));
            }
            if ui
                .add_enabled(!busy, egui::Button::new("Revoke…"))
                .clicked()
            {
                self.confirm = Some(Confirm::Revoke(name.clone()));
            }
            if ui
                .add_enabled(!busy, egui::Button::new("Remove…"))
                .clicked()
            {
                self.confirm = Some(Confirm::Remove(name.clone()));
            }
        });
    }

    fn token_ui(&mut self, ui: &mut egui::Ui, account: &Account) {
        ui.label(RichText::new("Access token").strong());
        if !account.tokens.has_access_token {
            let person = spec(account.provider)
                .person_grants
                .contains(&account.grant);
            ui.label(if person {
                "No access token yet: press Sign in…"
            } else {
                "No access token yet: press Generate (or Import a downloaded token)."
            });
            return;
        }
        self.masked_token_ui(ui, &account.name);
        self.copy_buttons_ui(ui, account);
        self.download_ui(ui, account);
    }

    /// The access token, masked until Show; View opens the full text.
    fn masked_token_ui(&mut self, ui: &mut egui::Ui, name: &str) {
        ui.horizontal(|ui| {
            let revealed = self
                .revealed
                .as_ref()
                .filter(|(n, choice, _)| n == name && *choice == TokenChoice::Access)
                .map(|(_, _, t)| t.expose().to_owned());
            let mut shown: &str = match (&revealed, self.reveal.shown) {
                (Some(token), true) => token.as_str(),
                _ => MASK,
            };
            let label = ui.label("Token");
            ui.add(
                egui::TextEdit::singleline(&mut shown)
                    .desired_width(360.0)
                    .font(egui::TextStyle::Monospace),
            )
            .labelled_by(label.id);
            let toggle = if self.reveal.shown { "Hide" } else { "Show" };
            if ui.button(toggle).clicked() {
                self.reveal.shown = !self.reveal.shown;
                if self.reveal.shown {
                    self.send(Command::Reveal(name.to_owned(), TokenChoice::Access));
                } else {
                    self.revealed = None;
                }
            }
            if ui
                .button("View")
                .on_hover_text(
                    "The full token as plain text; the refresh token too, if you pick it",
                )
                .clicked()
            {
                self.reveal.viewing = true;
                self.reveal.view_choice = TokenChoice::Access;
                self.send(Command::Reveal(name.to_owned(), TokenChoice::Access));
            }
        });
    }

    fn copy_buttons_ui(&mut self, ui: &mut egui::Ui, account: &Account) {
        ui.horizontal(|ui| {
            let header = if spec(account.provider).bearer {
                "Copy Authorization header"
            } else {
                "Copy authorizationToken header"
            };
            let mut buttons = vec![
                ("Copy token", CopyWhat::Token),
                (header, CopyWhat::Header),
                ("Copy curl", CopyWhat::Curl),
            ];
            if account.tokens.has_refresh_token {
                buttons.push(("Copy refresh token", CopyWhat::RefreshToken));
            }
            for (label, what) in buttons {
                let button = ui.button(label);
                let button = if what == CopyWhat::RefreshToken {
                    button.on_hover_text(
                        "The refresh token gets new access tokens for a long time: paste it only where you must",
                    )
                } else {
                    button
                };
                if button.clicked() {
                    self.send(Command::Copy {
                        name: account.name.clone(),
                        what,
                        clear_after: self.clear_after(),
                    });
                }
            }
            let catalog = ui.button("Open API catalog").on_hover_text(
                "Copies the access token (renewed first when due) and opens the provider's API catalog, to paste it into Authorize",
            );
            if catalog.clicked() {
                if spec(account.provider).catalog_for(account).is_none() {
                    // No catalog to open: the wallet's own Try it is the way in.
                    self.api.open();
                }
                self.send(Command::OpenCatalog {
                    name: account.name.clone(),
                    clear_after: self.clear_after(),
                });
            }
        });
    }

    fn download_ui(&mut self, ui: &mut egui::Ui, account: &Account) {
        ui.horizontal(|ui| {
            if account.tokens.has_refresh_token {
                token_choice_ui(ui, "Tokens to save", &mut self.download.token);
            } else {
                self.download.token = TokenChoice::Access;
            }
            // The label before its control, as on every other row.
            let label = ui.label("Format").id;
            egui::ComboBox::from_id_salt("download-format")
                .selected_text(self.download.format.id())
                .show_ui(ui, |ui| {
                    for format in [
                        ExportFormat::Text,
                        ExportFormat::Json,
                        ExportFormat::Env,
                        ExportFormat::Postman,
                    ] {
                        ui.selectable_value(&mut self.download.format, format, format.id());
                    }
                })
                .response
                .labelled_by(label);
            ui.checkbox(&mut self.download.keep_fresh, "Keep this file fresh")
                .on_hover_text(
                    "Write the file again after every refresh; the wallet renews the token before it gets short while the window or an agent runs.",
                );
            if ui.button("Download…").clicked() {
                self.send(Command::Download {
                    name: account.name.clone(),
                    request: self.download,
                    path: None,
                    replace: false,
                });
            }
        });
        self.kept_files_ui(ui, account);
    }

    /// The files kept fresh with this account's tokens: where, when last written, any
    /// error, and Stop.
    fn kept_files_ui(&mut self, ui: &mut egui::Ui, account: &Account) {
        if account.kept_files.is_empty() {
            return;
        }
        ui.label(RichText::new("Kept fresh").strong());
        let now = self.clock.now();
        let dark = ui.visuals().dark_mode;
        for file in &account.kept_files {
            ui.horizontal(|ui| {
                ui.label(file.path.display().to_string());
                let written = self.kept_written.get(&file.path).copied();
                ui.label(
                    RichText::new(format!(
                        "{}, {}",
                        file.format.id(),
                        crate::model::written_ago(written, now)
                    ))
                    .weak(),
                );
                if ui
                    .button("Stop")
                    .on_hover_text("Stop keeping this file fresh; it stays on disk")
                    .clicked()
                {
                    self.send(Command::StopKeeping {
                        name: account.name.clone(),
                        path: file.path.clone(),
                    });
                }
            });
            if let Some(error) = &file.error {
                ui.label(RichText::new(error).color(theme::error_color(dark)));
            }
        }
    }

    fn info_ui(&mut self, ui: &mut egui::Ui, account: &Account) {
        let now = self.clock.now();
        let tokens = &account.tokens;
        let when = |at: Option<DateTime<Utc>>| {
            at.map_or_else(
                || "—".to_owned(),
                |at| {
                    at.with_timezone(&chrono::Local)
                        .format("%Y-%m-%d %H:%M:%S")
                        .to_string()
                },
            )
        };
        egui::Grid::new("account-info")
            .num_columns(2)
            .spacing([16.0, 4.0])
            .show(ui, |ui| {
                let mut row = |key: &str, value: String| {
                    ui.label(RichText::new(key).weak());
                    ui.label(value);
                    ui.end_row();
                };
                row("Provider", account.provider.label().to_owned());
                row("Grant", account.grant.id().to_owned());
                if let Some(url) = &account.url {
                    row("Endpoint", url.clone());
                }
                if let Some(client_id) = &account.client_id {
                    row("Client id", client_id.clone());
                }
                if let Some(username) = &account.username {
                    row("Username", username.clone());
                }
                row(
                    "Scope",
                    tokens.scope.clone().unwrap_or_else(|| "—".to_owned()),
                );
                row(
                    "Token type",
                    tokens.token_type.clone().unwrap_or_else(|| "—".to_owned()),
                );
                row("Issued", when(tokens.issued_at));
                let expiry = |at: Option<DateTime<Utc>>, has: bool| {
                    format!("{}  ({})", when(at), countdown(at, has, now))
                };
                let (access, refresh) = (tokens.access_expires_at, tokens.refresh_expires_at);
                row("Access expires", expiry(access, tokens.has_access_token));
                row("Refresh expires", expiry(refresh, tokens.has_refresh_token));
                row("Last refreshed", when(tokens.last_refreshed_at));
                if let Some(mark) = &account.team {
                    row("Team store", team_text(mark));
                }
                row("Next refresh", next_refresh(account, now, &when));
            });
        let mut auto = account.auto_refresh;
        if ui
            .checkbox(&mut auto, "Auto-refresh before expiry")
            .changed()
        {
            self.send(Command::SetAutoRefresh(account.name.clone(), auto));
        }
        if let RevokeSupport::PortalOnly(how) = spec(account.provider).revoke {
            ui.label(RichText::new(how).small().weak());
        }
    }

    fn claims_ui(&self, ui: &mut egui::Ui, account: &Account) {
        let Some((_, _, Some(jwt))) = self
            .claims
            .as_ref()
            .filter(|(name, _, _)| *name == account.name)
        else {
            return;
        };
        egui::CollapsingHeader::new("Token claims (decoded JWT)")
            .default_open(true)
            .show(ui, |ui| {
                for (title, map) in [("Header", &jwt.header), ("Payload", &jwt.payload)] {
                    ui.label(RichText::new(title).strong());
                    egui::Grid::new(format!("claims-{title}"))
                        .num_columns(2)
                        .spacing([16.0, 2.0])
                        .show(ui, |ui| {
                            for (key, value) in map {
                                ui.label(RichText::new(key).monospace().weak());
                                ui.label(claim_text(key, value));
                                ui.end_row();
                            }
                        });
                }
            });
    }

    fn try_it_ui(&mut self, ui: &mut egui::Ui, account: &Account) {
        match self.api.ui(ui, account) {
            Some(PaneAction::Send(command)) => self.send(Command::Api(command)),
            Some(PaneAction::Ask { label, command }) => {
                self.confirm = Some(Confirm::SendOperation {
                    name: account.name.clone(),
                    label,
                    command,
                });
            }
            None => {}
        }
    }
}

/// A claim for people: numeric dates (`exp`, `iat`, `nbf`, `auth_time`) as dates.
fn claim_text(key: &str, value: &Value) -> String {
    if matches!(key, "exp" | "iat" | "nbf" | "auth_time")
        && let Some(time) = value
            .as_i64()
            .and_then(|secs| Utc.timestamp_opt(secs, 0).single())
    {
        return format!(
            "{} ({value})",
            time.to_rfc3339_opts(SecondsFormat::Secs, true)
        );
    }
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Where a team account stands in the team store, for the details' grid.
fn team_text(mark: &crate::model::TeamMark) -> String {
    let by = mark
        .refreshed_by
        .as_deref()
        .map(|by| format!(", last renewed by {by}"))
        .unwrap_or_default();
    let pending = if mark.pending {
        ", this machine's newest tokens wait to be written there"
    } else {
        ""
    };
    format!("chain version {}{by}{pending}", mark.chain_version)
}
