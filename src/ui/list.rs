//! The toolbar, the empty state and the account list (only visible rows are laid out).

use egui::{Align, Layout, RichText, Sense, vec2};

use super::add::AddForm;
use super::app::{App, Sort};
use super::theme;
use super::worker::Command;
use crate::model::{Account, AccountState, ProviderKind, format_countdown};
use crate::wallet::SecretStoreKind;

impl App {
    pub(super) fn toolbar_ui(&mut self, ui: &mut egui::Ui) {
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            if ui.button("Add account").on_hover_text("Ctrl+N").clicked() {
                self.add = Some(AddForm::default());
            }
            if ui
                .button("Import…")
                .on_hover_text(
                    "Import a token file downloaded from a portal (or drop it on the window)",
                )
                .clicked()
            {
                self.add = Some(AddForm::import(None));
            }
            ui.separator();
            let label = ui.label("Filter");
            let response = ui
                .add(
                    egui::TextEdit::singleline(self.listing.filter_mut())
                        .hint_text("name or provider (Ctrl+F)")
                        .desired_width(180.0),
                )
                .labelled_by(label.id);
            if self.focus_filter {
                response.request_focus();
                self.focus_filter = false;
            }
            if response.changed() {
                self.listing.refilter(self.settings.sort);
            }
            self.sort_ui(ui);
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                self.status_ui(ui);
            });
        });
        ui.add_space(4.0);
    }

    fn sort_ui(&mut self, ui: &mut egui::Ui) {
        let before = self.settings.sort;
        egui::ComboBox::from_label("Sort")
            .selected_text(match self.settings.sort {
                Sort::SoonestExpiry => "Soonest expiry",
                Sort::Name => "Name",
            })
            .show_ui(ui, |ui| {
                ui.selectable_value(
                    &mut self.settings.sort,
                    Sort::SoonestExpiry,
                    "Soonest expiry",
                );
                ui.selectable_value(&mut self.settings.sort, Sort::Name, "Name");
            });
        if before != self.settings.sort {
            self.listing.refilter(self.settings.sort);
            self.save_settings();
        }
    }

    /// The clipboard setting, the secret store and the dying-refresh-token badge.
    fn status_ui(&mut self, ui: &mut egui::Ui) {
        let before = self.settings.clipboard_clear_secs;
        egui::ComboBox::from_label("Clear clipboard")
            .selected_text(
                self.settings
                    .clipboard_clear_secs
                    .map_or("never".to_owned(), |s| format!("after {s} s")),
            )
            .show_ui(ui, |ui| {
                for choice in [Some(30), Some(60), Some(300), None] {
                    let text = choice.map_or("never".to_owned(), |s| format!("after {s} s"));
                    ui.selectable_value(&mut self.settings.clipboard_clear_secs, choice, text);
                }
            });
        if before != self.settings.clipboard_clear_secs {
            self.save_settings();
        }
        if self.has_tray() {
            let mut keep = self.settings.keep_in_tray.unwrap_or(false);
            if ui
                .checkbox(&mut keep, "Run in the tray when closed")
                .on_hover_text("Closing the window leaves tokenwallet in the tray, serving the command line and keeping tokens fresh")
                .changed()
            {
                self.settings.keep_in_tray = Some(keep);
                self.save_settings();
            }
        }
        if self.store == Some(SecretStoreKind::File)
            && ui
                .button("Lock")
                .on_hover_text("Forget the vault's key (here and for the command line) until its passphrase is entered again")
                .clicked()
        {
            self.send(Command::Lock);
        }
        if let Some(store) = self.store {
            ui.label(
                RichText::new(format!("secrets: {}", store.id()))
                    .small()
                    .weak(),
            );
        }
        let soon = self.listing.expiring_refresh_count(self.clock.now());
        if soon > 0 {
            let dark = ui.visuals().dark_mode;
            ui.label(
                RichText::new(if soon == 1 {
                    "1 refresh token expires within a day".to_owned()
                } else {
                    format!("{soon} refresh tokens expire within a day")
                })
                .color(theme::warn_color(dark)),
            );
        }
    }

    pub(super) fn empty_ui(&mut self, ui: &mut egui::Ui) {
        ui.vertical_centered(|ui| {
            ui.add_space(80.0);
            ui.heading("No accounts yet");
            ui.add_space(8.0);
            ui.label(format!("Add an account for {},", ProviderKind::sentence()));
            ui.label("or import a token file you downloaded from a portal.");
            ui.add_space(16.0);
            if ui.button("Add your first account").clicked() {
                self.add = Some(AddForm::default());
            }
            ui.add_space(8.0);
            if ui.button("Try the demo account").clicked() {
                self.send(Command::StartDemo { generate: false });
            }
            ui.label(RichText::new("A token server on this machine with 2-minute tokens: try every button without a vendor account.").small().weak());
        });
    }

    pub(super) fn list_ui(&mut self, ui: &mut egui::Ui) {
        let now = self.clock.now();
        let dark = ui.visuals().dark_mode;
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            for (width, title) in [
                (theme::NAME_WIDTH, "Account"),
                (theme::BADGE_WIDTH, "Provider"),
                (theme::COUNTDOWN_WIDTH, "Access"),
                (theme::COUNTDOWN_WIDTH, "Refresh"),
            ] {
                ui.add_sized(
                    vec2(width, 16.0),
                    egui::Label::new(RichText::new(title).strong()),
                );
            }
        });
        ui.separator();
        if self.listing.rows().is_empty() {
            ui.label(format!(
                "No account matches \"{}\".",
                self.listing.filter().trim()
            ));
            return;
        }
        let mut clicked = None;
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show_rows(
                ui,
                theme::ROW_HEIGHT,
                self.listing.rows().len(),
                |ui, range| {
                    for &index in &self.listing.rows()[range] {
                        let account = &self.listing.accounts()[index];
                        let selected = self.listing.selected() == Some(account.name.as_str());
                        if row_ui(
                            ui,
                            account,
                            selected,
                            self.listing.is_busy(&account.name),
                            now,
                            dark,
                        ) {
                            clicked = Some(account.name.clone());
                        }
                    }
                },
            );
        if clicked.is_some() {
            self.select(clicked);
        }
    }
}

/// The countdown text of a time, or a word when there is none.
pub(super) fn countdown(
    at: Option<chrono::DateTime<chrono::Utc>>,
    has_token: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    match (at, has_token) {
        (_, false) => "—".to_owned(),
        (Some(at), true) => format_countdown(at - now),
        (None, true) => "no expiry".to_owned(),
    }
}

/// One row; returns whether it was clicked.
fn row_ui(
    ui: &mut egui::Ui,
    account: &Account,
    selected: bool,
    busy: bool,
    now: chrono::DateTime<chrono::Utc>,
    dark: bool,
) -> bool {
    let state = account.state(now);
    let color = theme::state_color(state, dark);
    let mut clicked = false;
    ui.horizontal(|ui| {
        ui.set_height(theme::ROW_HEIGHT);
        let name = ui.add_sized(
            vec2(theme::NAME_WIDTH, theme::ROW_HEIGHT),
            egui::Button::selectable(selected, RichText::new(&account.name).color(color))
                .truncate(),
        );
        clicked = name.clicked();
        badge_ui(ui, account.provider);
        if let Some(mark) = &account.team {
            team_badge_ui(ui, mark);
        }
        let access = match state {
            AccountState::NeedsSignIn => "sign in".to_owned(),
            AccountState::Revoked => "revoked".to_owned(),
            _ => countdown(
                account.tokens.access_expires_at,
                account.tokens.has_access_token,
                now,
            ),
        };
        ui.add_sized(
            vec2(theme::COUNTDOWN_WIDTH, theme::ROW_HEIGHT),
            egui::Label::new(RichText::new(access).color(color).monospace()),
        );
        let refresh = countdown(
            account.tokens.refresh_expires_at,
            account.tokens.has_refresh_token,
            now,
        );
        let refresh_text = if account.refresh_token_expires_soon(now) {
            RichText::new(refresh)
                .color(theme::warn_color(dark))
                .monospace()
        } else {
            RichText::new(refresh).monospace()
        };
        ui.add_sized(
            vec2(theme::COUNTDOWN_WIDTH, theme::ROW_HEIGHT),
            egui::Label::new(refresh_text),
        );
        if busy {
            ui.spinner();
        }
    });
    clicked
}

/// The "team" mark of an account shared through the team store, saying on hover who
/// renewed it last.
fn team_badge_ui(ui: &mut egui::Ui, mark: &crate::model::TeamMark) {
    let text = if mark.pending { "team ⟳" } else { "team" };
    let hover = match (&mark.refreshed_by, mark.pending) {
        (_, true) => "Shared through the team store; this machine's newest tokens are written there at the next use".to_owned(),
        (Some(by), false) => format!("Shared through the team store; last renewed by {by}"),
        (None, false) => "Shared through the team store".to_owned(),
    };
    ui.label(RichText::new(text).small().strong())
        .on_hover_text(hover);
}

/// The provider's coloured badge.
pub(super) fn badge_ui(ui: &mut egui::Ui, kind: crate::model::ProviderKind) {
    let text = RichText::new(kind.label()).small().color(theme::BADGE_TEXT);
    let galley_width = theme::BADGE_WIDTH;
    let (rect, _) =
        ui.allocate_exact_size(vec2(galley_width, theme::ROW_HEIGHT - 4.0), Sense::hover());
    ui.painter().rect_filled(
        rect.shrink2(vec2(4.0, 1.0)),
        6.0,
        theme::provider_color(kind),
    );
    ui.put(rect, egui::Label::new(text));
}
