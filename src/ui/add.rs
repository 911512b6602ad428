//! Add account / Import: one form per provider asking only what its spec says it takes,
//! with the portal's steps as help, and inline validation before any request. The form
//! owns its state and returns what the user asked for; it knows nothing of the window.

use egui::RichText;
use zeroize::Zeroizing;

use super::theme;
use super::widgets::{secret_field, text_field};
use super::words::{describe, label};
use super::worker::{Command, ImportSource};
use crate::import::parse_date;
use crate::model::{ClientAuth, Field, Need, ProviderKind};
use crate::providers::spec;
use crate::wallet::{AccountFields, NewAccount, validate, validate_name};

/// What the form asks of the window.
pub enum AddAction {
    /// Send this command and keep the form open until the account is added.
    Submit(Box<Command>),
    /// Close the form.
    Close,
}

/// The form's state. Secrets are wiped when the form is dropped.
pub struct AddForm {
    /// Import a file instead of adding credentials.
    pub import: bool,
    /// The account as typed.
    fields: AccountFields,
    /// The file to import.
    pub import_path: String,
    import_text: Zeroizing<String>,
    expires_at: String,
}

impl Default for AddForm {
    fn default() -> Self {
        Self {
            import: false,
            fields: AccountFields::new("", ProviderKind::OAUTH2),
            import_path: String::new(),
            import_text: Zeroizing::default(),
            expires_at: String::new(),
        }
    }
}

fn opt(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

impl AddForm {
    /// The import form, optionally with a file already chosen.
    pub fn import(path: Option<String>) -> Self {
        Self {
            import: true,
            import_path: path.unwrap_or_default(),
            ..Self::default()
        }
    }

    /// The account and secrets the form describes, or what is wrong with it.
    pub fn build(&self) -> Result<NewAccount, String> {
        let new = self.fields.build();
        if !self.import {
            validate(&new.account, &new.secrets).map_err(|err| describe(&err))?;
            return Ok(new);
        }
        validate_name(&new.account.name).map_err(|err| describe(&err))?;
        if self.import_path.trim().is_empty() && self.import_text.trim().is_empty() {
            return Err(
                "choose the downloaded file, drop it on the window, or paste its content"
                    .to_owned(),
            );
        }
        if let Some(date) = opt(&self.expires_at) {
            parse_date(&date).map_err(|err| err.to_string())?;
        }
        Ok(new)
    }

    /// Draws the form; returns what the user asked for, if anything.
    pub fn ui(&mut self, ctx: &egui::Context) -> Option<AddAction> {
        let mut action = None;
        let dark = ctx.global_style().visuals.dark_mode;
        let response = egui::Modal::new(egui::Id::unique("add-account")).show(ctx, |ui| {
            ui.set_width(560.0);
            ui.horizontal(|ui| {
                ui.selectable_value(&mut self.import, false, "New account");
                ui.selectable_value(&mut self.import, true, "Import token file");
            });
            ui.separator();
            egui::Grid::new("add-form")
                .num_columns(2)
                .spacing([12.0, 6.0])
                .show(ui, |ui| self.fields_ui(ui));
            ui.add_space(6.0);
            ui.label(
                RichText::new(spec(self.fields.provider).sign_in_help)
                    .small()
                    .weak(),
            );
            ui.add_space(6.0);
            action = self.buttons_ui(ui, dark);
        });
        if action.is_none() && response.should_close() {
            action = Some(AddAction::Close);
        }
        action
    }

    fn fields_ui(&mut self, ui: &mut egui::Ui) {
        text_field(ui, "Name", &mut self.fields.name, "e.g. prod-central");
        self.provider_ui(ui);
        self.url_ui(ui);
        if self.import {
            self.import_ui(ui);
        } else {
            self.credentials_ui(ui);
        }
    }

    fn provider_ui(&mut self, ui: &mut egui::Ui) {
        let fields = &mut self.fields;
        let before = fields.provider;
        let label = ui.label("Provider");
        egui::ComboBox::from_id_salt("provider")
            .selected_text(fields.provider.label())
            .show_ui(ui, |ui| {
                for kind in ProviderKind::all() {
                    ui.selectable_value(&mut fields.provider, kind, kind.label());
                }
            })
            .response
            .labelled_by(label.id);
        ui.end_row();
        if before != fields.provider {
            fields.grant = None;
            fields.value_mut(Field::Url).clear();
        }
        let spec = spec(fields.provider);
        if !self.import && spec.grants.len() > 1 {
            let label = ui.label("Grant");
            let mut grant = fields.grant();
            egui::ComboBox::from_id_salt("grant")
                .selected_text(grant.id())
                .show_ui(ui, |ui| {
                    for choice in spec.grants {
                        ui.selectable_value(&mut grant, *choice, choice.id());
                    }
                })
                .response
                .labelled_by(label.id);
            fields.grant = Some(grant);
            ui.end_row();
        }
    }

    fn url_ui(&mut self, ui: &mut egui::Ui) {
        let provider = self.fields.provider;
        let spec = spec(provider);
        let url = self.fields.value_mut(Field::Url);
        text_field(
            ui,
            label(Field::Url, provider),
            url,
            spec.default_url.unwrap_or("https://…"),
        );
        if spec.presets.is_empty() {
            return;
        }
        let label = ui.label("Presets");
        egui::ComboBox::from_id_salt("preset")
            .selected_text("choose…")
            .show_ui(ui, |ui| {
                for (name, preset) in spec.presets {
                    if ui.selectable_label(url == preset, *name).clicked() {
                        (*preset).clone_into(url);
                    }
                }
            })
            .response
            .labelled_by(label.id);
        ui.end_row();
    }

    fn import_ui(&mut self, ui: &mut egui::Ui) {
        text_field(
            ui,
            "File",
            &mut self.import_path,
            "path of the downloaded file (or drop it here)",
        );
        let label_id = ui.label("…or paste").id;
        ui.add(
            egui::TextEdit::multiline(&mut *self.import_text)
                .id_salt("import-text")
                .desired_rows(3)
                .desired_width(320.0),
        )
        .labelled_by(label_id);
        ui.end_row();
        text_field(
            ui,
            "Expires on",
            &mut self.expires_at,
            "YYYY-MM-DD, if the file does not say",
        );
        let provider = self.fields.provider;
        for &field in spec(provider).import_fields {
            self.field_ui(ui, field, "for refreshing");
        }
        self.field_ui(ui, Field::CaFile, "PEM file of a company CA (optional)");
    }

    fn credentials_ui(&mut self, ui: &mut egui::Ui) {
        let provider = self.fields.provider;
        let rules = spec(provider).rules(self.fields.grant());
        for field in Field::ALL {
            let Some(&(_, need)) = rules.iter().find(|(f, _)| *f == field) else {
                continue;
            };
            let hint = match (field, need) {
                (Field::Url, _) => continue,
                (Field::ClientAuth, _) => {
                    let label = ui.label(label(field, provider));
                    let mut post = self.fields.client_auth == ClientAuth::Post;
                    ui.checkbox(&mut post, "secret in the body (client_secret_post)")
                        .labelled_by(label.id);
                    ui.end_row();
                    self.fields.client_auth = if post {
                        ClientAuth::Post
                    } else {
                        ClientAuth::Basic
                    };
                    continue;
                }
                (Field::Issuer, _) => "discovers the endpoints (optional)",
                (Field::RevokeUrl, _) => "RFC 7009 endpoint (optional)",
                (_, Need::Optional) => "optional",
                _ => "required",
            };
            self.field_ui(ui, field, hint);
        }
        self.field_ui(ui, Field::CaFile, "PEM file of a company CA (optional)");
    }

    fn field_ui(&mut self, ui: &mut egui::Ui, field: Field, hint: &str) {
        let label = label(field, self.fields.provider);
        let value = self.fields.value_mut(field);
        if field.secret() {
            secret_field(ui, label, value);
        } else {
            text_field(ui, label, value, hint);
        }
    }

    fn buttons_ui(&self, ui: &mut egui::Ui, dark: bool) -> Option<AddAction> {
        let built = self.build();
        if self.fields.name.trim().is_empty() {
            // Nothing typed yet: no complaint, just what comes first.
            ui.label(RichText::new("Name the account first.").weak());
        } else if let Err(problem) = &built {
            ui.label(RichText::new(problem).color(theme::warn_color(dark)));
        }
        let mut action = None;
        ui.horizontal(|ui| {
            let label = if self.import { "Import" } else { "Add" };
            if ui
                .add_enabled(built.is_ok(), egui::Button::new(label))
                .clicked()
                && let Ok(new) = built
            {
                action = Some(AddAction::Submit(Box::new(self.command(new))));
            }
            if ui.button("Cancel").clicked() {
                action = Some(AddAction::Close);
            }
        });
        action
    }

    fn command(&self, new: NewAccount) -> Command {
        if !self.import {
            return Command::Add(new);
        }
        let source = if self.import_text.trim().is_empty() {
            ImportSource::Path(self.import_path.trim().into())
        } else {
            ImportSource::Text(self.import_text.clone())
        };
        let expires_at = opt(&self.expires_at).and_then(|d| parse_date(&d).ok());
        Command::Import {
            new,
            source,
            expires_at,
        }
    }
}
