//! Add account / Import: one form per provider asking only what it needs, with the
//! portal's steps as help, and inline validation before any request.

use egui::RichText;
use zeroize::Zeroizing;

use super::app::App;
use super::theme;
use super::worker::{Command, ImportSource};
use crate::import::parse_date;
use crate::model::{Account, ClientAuth, Grant, ProviderKind, Secret, Secrets};
use crate::providers::spec;
use crate::wallet::{Front, NewAccount, required, validate_for, validate_name};

/// The form's fields. Secrets are wiped when the form is dropped.
#[allow(clippy::struct_excessive_bools)]
pub struct AddForm {
    /// Import a file instead of adding credentials.
    pub import: bool,
    pub(super) name: String,
    pub(super) provider: ProviderKind,
    pub(super) grant: Grant,
    pub(super) url: String,
    pub(super) client_id: String,
    pub(super) username: String,
    pub(super) scope: String,
    pub(super) audience: String,
    pub(super) customer_id: String,
    pub(super) revoke_url: String,
    pub(super) issuer: String,
    pub(super) post_auth: bool,
    pub(super) client_secret: Zeroizing<String>,
    pub(super) password: Zeroizing<String>,
    pub(super) refresh_token: Zeroizing<String>,
    /// The file to import.
    pub import_path: String,
    pub(super) import_text: Zeroizing<String>,
    pub(super) expires_at: String,
}

impl Default for AddForm {
    fn default() -> Self {
        Self {
            import: false,
            name: String::new(),
            provider: ProviderKind::Oauth2,
            grant: spec(ProviderKind::Oauth2).grants[0],
            url: String::new(),
            client_id: String::new(),
            username: String::new(),
            scope: String::new(),
            audience: String::new(),
            customer_id: String::new(),
            revoke_url: String::new(),
            issuer: String::new(),
            post_auth: false,
            client_secret: Zeroizing::default(),
            password: Zeroizing::default(),
            refresh_token: Zeroizing::default(),
            import_path: String::new(),
            import_text: Zeroizing::default(),
            expires_at: String::new(),
        }
    }
}

fn opt(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

fn secret(text: &str) -> Option<Secret> {
    opt(text).map(Secret::new)
}

impl AddForm {
    /// The account and secrets the form describes, or what is wrong with it.
    pub fn build(&self) -> Result<NewAccount, String> {
        let mut account = Account::new(self.name.trim(), self.provider, self.grant);
        account.url = opt(&self.url);
        account.client_id = opt(&self.client_id);
        account.username = opt(&self.username);
        account.scope = opt(&self.scope);
        account.audience = opt(&self.audience);
        account.customer_id = opt(&self.customer_id);
        account.revoke_url = opt(&self.revoke_url);
        account.issuer = opt(&self.issuer);
        if self.post_auth {
            account.client_auth = ClientAuth::Post;
        }
        let secrets = Secrets {
            client_secret: secret(&self.client_secret),
            password: secret(&self.password),
            refresh_token: if self.import {
                None
            } else {
                secret(&self.refresh_token)
            },
            ..Secrets::default()
        };
        if self.import {
            validate_name(&account.name).map_err(|err| err.to_string())?;
            if self.import_path.trim().is_empty() && self.import_text.trim().is_empty() {
                return Err(
                    "choose the downloaded file, drop it on the window, or paste its content"
                        .to_owned(),
                );
            }
            if let Some(date) = opt(&self.expires_at) {
                parse_date(&date).map_err(|err| err.to_string())?;
            }
        } else {
            validate_for(&account, &secrets, Front::Window).map_err(|err| err.to_string())?;
            if account.provider == ProviderKind::Oauth2
                && account.url.is_none()
                && account.issuer.is_none()
            {
                return Err("give the token endpoint URL or the issuer to discover it".to_owned());
            }
        }
        Ok(NewAccount { account, secrets })
    }
}

// Fields carry ids from their labels, not from their position: choosing another grant
// adds or removes fields above, and focus (and typing) must stay where the user is.
fn field(ui: &mut egui::Ui, label: &str, value: &mut String, hint: &str) {
    let id = ui.label(label).id;
    ui.add(
        egui::TextEdit::singleline(value)
            .id_salt(label)
            .hint_text(hint)
            .desired_width(320.0),
    )
    .labelled_by(id);
    ui.end_row();
}

fn secret_field(ui: &mut egui::Ui, label: &str, value: &mut Zeroizing<String>) {
    let id = ui.label(label).id;
    ui.add(
        egui::TextEdit::singleline(&mut **value)
            .id_salt(label)
            .password(true)
            .desired_width(320.0),
    )
    .labelled_by(id);
    ui.end_row();
}

impl App {
    pub(super) fn add_dialog_ui(&mut self, ctx: &egui::Context) {
        let Some(form) = self.add.as_mut() else {
            return;
        };
        let mut submit = None;
        let mut cancel = false;
        let dark = ctx.global_style().visuals.dark_mode;
        let response = egui::Modal::new(egui::Id::unique("add-account")).show(ctx, |ui| {
            ui.set_width(560.0);
            ui.horizontal(|ui| {
                ui.selectable_value(&mut form.import, false, "New account");
                ui.selectable_value(&mut form.import, true, "Import token file");
            });
            ui.separator();
            egui::Grid::new("add-form")
                .num_columns(2)
                .spacing([12.0, 6.0])
                .show(ui, |ui| {
                    field(ui, "Name", &mut form.name, "e.g. prod-central");
                    let label = ui.label("Provider");
                    let before = form.provider;
                    egui::ComboBox::from_id_salt("provider")
                        .selected_text(form.provider.label())
                        .show_ui(ui, |ui| {
                            for kind in ProviderKind::ALL {
                                ui.selectable_value(&mut form.provider, kind, kind.label());
                            }
                        })
                        .response
                        .labelled_by(label.id);
                    ui.end_row();
                    if before != form.provider {
                        form.grant = spec(form.provider).grants[0];
                        form.url.clear();
                    }
                    let spec = spec(form.provider);
                    if !form.import && spec.grants.len() > 1 {
                        let label = ui.label("Grant");
                        egui::ComboBox::from_id_salt("grant")
                            .selected_text(form.grant.id())
                            .show_ui(ui, |ui| {
                                for grant in spec.grants {
                                    ui.selectable_value(&mut form.grant, *grant, grant.id());
                                }
                            })
                            .response
                            .labelled_by(label.id);
                        ui.end_row();
                    }
                    let url_label = if form.provider == ProviderKind::Oauth2 {
                        "Token endpoint"
                    } else {
                        "Base URL"
                    };
                    field(
                        ui,
                        url_label,
                        &mut form.url,
                        spec.default_url.unwrap_or("https://…"),
                    );
                    if !spec.presets.is_empty() {
                        let label = ui.label("Presets");
                        egui::ComboBox::from_id_salt("preset")
                            .selected_text("choose…")
                            .show_ui(ui, |ui| {
                                for (name, url) in spec.presets {
                                    if ui.selectable_label(form.url == *url, *name).clicked() {
                                        (*url).clone_into(&mut form.url);
                                    }
                                }
                            })
                            .response
                            .labelled_by(label.id);
                        ui.end_row();
                    }
                    let needs = required(form.provider, form.grant);
                    let oauth2 = form.provider == ProviderKind::Oauth2;
                    if form.import {
                        field(
                            ui,
                            "File",
                            &mut form.import_path,
                            "path of the downloaded file (or drop it here)",
                        );
                        let label = ui.label("…or paste");
                        ui.add(
                            egui::TextEdit::multiline(&mut *form.import_text)
                                .id_salt("import-text")
                                .desired_rows(3)
                                .desired_width(320.0),
                        )
                        .labelled_by(label.id);
                        ui.end_row();
                        field(
                            ui,
                            "Expires on",
                            &mut form.expires_at,
                            "YYYY-MM-DD, if the file does not say",
                        );
                        if needs.client_id || form.provider == ProviderKind::ArubaCentral {
                            field(ui, "Client id", &mut form.client_id, "for refreshing");
                            secret_field(ui, "Client secret", &mut form.client_secret);
                        }
                    } else {
                        if needs.client_id || oauth2 || form.provider == ProviderKind::Bluexp {
                            field(
                                ui,
                                "Client id",
                                &mut form.client_id,
                                if needs.client_id {
                                    "required"
                                } else {
                                    "optional"
                                },
                            );
                        }
                        if needs.client_secret || oauth2 {
                            secret_field(ui, "Client secret", &mut form.client_secret);
                        }
                        if needs.username {
                            field(ui, "Username", &mut form.username, "");
                        }
                        if needs.password {
                            secret_field(ui, "Password", &mut form.password);
                        }
                        if needs.refresh_token {
                            secret_field(ui, "Refresh token", &mut form.refresh_token);
                        }
                        if needs.customer_id {
                            field(ui, "Customer id", &mut form.customer_id, "");
                        }
                        if oauth2 || form.provider == ProviderKind::Bluexp {
                            field(ui, "Scope", &mut form.scope, "optional");
                            field(ui, "Audience", &mut form.audience, "optional");
                        }
                        if oauth2 {
                            field(
                                ui,
                                "Issuer",
                                &mut form.issuer,
                                "discovers the endpoints (optional)",
                            );
                            field(
                                ui,
                                "Revoke URL",
                                &mut form.revoke_url,
                                "RFC 7009 endpoint (optional)",
                            );
                            let label = ui.label("Client auth");
                            ui.checkbox(
                                &mut form.post_auth,
                                "secret in the body (client_secret_post)",
                            )
                            .labelled_by(label.id);
                            ui.end_row();
                        }
                    }
                });
            ui.add_space(6.0);
            ui.label(
                RichText::new(spec(form.provider).sign_in_help)
                    .small()
                    .weak(),
            );
            ui.add_space(6.0);
            let built = form.build();
            if let Err(problem) = &built {
                ui.label(RichText::new(problem).color(theme::warn_color(dark)));
            }
            ui.horizontal(|ui| {
                let action = if form.import { "Import" } else { "Add" };
                if ui
                    .add_enabled(built.is_ok(), egui::Button::new(action))
                    .clicked()
                {
                    submit = built.ok();
                }
                if ui.button("Cancel").clicked() {
                    cancel = true;
                }
            });
        });
        if let Some(new) = submit {
            if form.import {
                let source = if form.import_text.trim().is_empty() {
                    ImportSource::Path(form.import_path.trim().into())
                } else {
                    ImportSource::Text(form.import_text.clone())
                };
                let expires_at = opt(&form.expires_at).and_then(|d| parse_date(&d).ok());
                self.send(Command::Import {
                    new,
                    source,
                    expires_at,
                });
            } else {
                self.send(Command::Add(new));
            }
        } else if cancel || response.should_close() {
            self.add = None;
        }
    }
}
