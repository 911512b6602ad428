//! The API pane of the selected account: a GET to any URL (Try it), or the operations of
//! the account's OpenAPI spec: a filter, the operations by tag (only the visible rows laid
//! out), a form for the chosen one (choices for enums, a JSON body prefilled from the
//! schema), Send, and the answer with its rate-limit headers and *Copy as curl*.

use std::collections::BTreeMap;
use std::sync::Arc;

use egui::RichText;

use super::theme;
use super::worker::{ApiCommand, ApiEvent, TryItResult};
use crate::model::Account;
use crate::openapi::{ApiDoc, Operation, Param};
use crate::wallet::{ApiCall, ApiResponse};

/// What the pane asks the window to do.
pub(super) enum PaneAction {
    /// Give the worker this command.
    Send(ApiCommand),
    /// Ask before sending an operation that may change something.
    Ask {
        /// `POST /path`.
        label: String,
        /// The command to send once confirmed.
        command: ApiCommand,
    },
}

/// One row of the operation list.
#[derive(Clone, Copy)]
enum Row {
    /// A tag's heading (index of an operation in that group, for the tag's text).
    Tag(usize),
    /// An operation, by index.
    Op(usize),
}

/// The pane's state, for one account at a time.
#[derive(Default)]
pub(super) struct ApiPane {
    account: String,
    /// The spec field: a file or a URL.
    source: String,
    doc: Option<Arc<ApiDoc>>,
    /// Where the spec shown was read from.
    doc_source: Option<String>,
    /// The account record's spec as last seen: another part of the wallet may set it.
    record_spec: Option<String>,
    loading: bool,
    error: Option<String>,
    filter: String,
    /// The rows for the filter they were drawn for.
    rows: Option<(String, Vec<Row>)>,
    chosen: Option<usize>,
    values: BTreeMap<String, String>,
    body: String,
    sending: bool,
    response: Option<Result<ApiResponse, String>>,
    url: String,
    /// The API's address, when the spec's does not serve (empty: the spec's).
    server: String,
    try_result: Option<TryItResult>,
    /// Open the pane (and show it) at the next frame.
    open_now: bool,
}

const ROW_HEIGHT: f32 = 20.0;
/// How tall the answer's box is before it scrolls.
const RESPONSE_HEIGHT: f32 = 260.0;
/// How much of an answer is laid out.
const SHOWN_BODY_CHARS: usize = 200_000;

impl ApiPane {
    /// Takes a worker's answer meant for the pane; the host question goes back to the caller.
    pub(super) fn event(&mut self, event: ApiEvent) -> Option<(String, String, ApiCommand)> {
        match event {
            ApiEvent::ConfirmHost { name, host, retry } => {
                self.sending = false;
                return Some((name, host, retry));
            }
            ApiEvent::TryIt(result) => self.try_result = Some(result),
            ApiEvent::Spec { name, result } if name == self.account => {
                self.loading = false;
                match result {
                    Ok((doc, source)) => {
                        self.source.clone_from(&source);
                        self.doc_source = Some(source);
                        self.doc = Some(doc);
                        self.rows = None;
                        self.chosen = None;
                        self.error = None;
                    }
                    Err(err) => self.error = Some(err),
                }
            }
            ApiEvent::Response { name, result } if name == self.account => {
                self.sending = false;
                self.response = Some(result);
            }
            ApiEvent::Spec { .. } | ApiEvent::Response { .. } => {}
        }
        None
    }

    /// Opens the pane and scrolls to it (the catalog button, for a provider with none).
    pub(super) fn open(&mut self) {
        self.open_now = true;
    }

    /// Draws the pane for `account`.
    pub(super) fn ui(&mut self, ui: &mut egui::Ui, account: &Account) -> Option<PaneAction> {
        let mut action = None;
        if self.account != account.name {
            let url = std::mem::take(&mut self.url);
            *self = Self {
                account: account.name.clone(),
                url,
                open_now: self.open_now,
                ..Self::default()
            };
        }
        // A spec given to the account elsewhere (the command line, the demo) is read.
        if self.record_spec != account.api_spec {
            self.record_spec.clone_from(&account.api_spec);
            if account.api_spec.is_some() && account.api_spec != self.doc_source && !self.loading {
                self.source = account.api_spec.clone().unwrap_or_default();
                self.loading = true;
                action = Some(PaneAction::Send(ApiCommand::LoadSpec {
                    name: account.name.clone(),
                    source: None,
                }));
            }
        }
        let open_now = std::mem::take(&mut self.open_now);
        let shown = egui::CollapsingHeader::new("Try it")
            .open(open_now.then_some(true))
            .show(ui, |ui| {
                if let Some(loaded) = self.spec_row_ui(ui) {
                    action = Some(loaded);
                }
                if let Some(error) = &self.error {
                    ui.colored_label(theme::error_color(ui.visuals().dark_mode), error);
                }
                if let Some(doc) = self.doc.clone()
                    && let Some(sent) = self.operations_ui(ui, &doc)
                {
                    action = Some(sent);
                }
                ui.separator();
                if let Some(sent) = self.url_ui(ui) {
                    action = Some(sent);
                }
            });
        if open_now {
            shown.header_response.scroll_to_me(Some(egui::Align::Min));
        }
        action
    }

    fn spec_row_ui(&mut self, ui: &mut egui::Ui) -> Option<PaneAction> {
        let mut action = None;
        ui.horizontal(|ui| {
            let field = labelled_field(
                ui,
                ("API spec", "api-spec"),
                &mut self.source,
                "an OpenAPI / Swagger file or https:// URL",
                300.0,
            );
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let ready = !self.source.trim().is_empty() && !self.loading;
            if (ui
                .add_enabled(ready, egui::Button::new("Load spec"))
                .clicked()
                || enter)
                && ready
            {
                self.loading = true;
                self.error = None;
                action = Some(PaneAction::Send(ApiCommand::LoadSpec {
                    name: self.account.clone(),
                    source: Some(self.source.trim().to_owned()),
                }));
            }
            if self.loading {
                ui.spinner();
            }
        });
        if let Some(doc) = &self.doc {
            ui.label(
                RichText::new(format!(
                    "{} — {} operations",
                    doc.title(),
                    doc.operations().len()
                ))
                .weak(),
            );
            ui.horizontal(|ui| {
                labelled_field(
                    ui,
                    ("Server", "api-server"),
                    &mut self.server,
                    "optional: https://… instead of the spec's",
                    300.0,
                );
            });
        }
        action
    }

    fn rows(&mut self, doc: &ApiDoc) -> &[Row] {
        if self
            .rows
            .as_ref()
            .is_none_or(|(filter, _)| *filter != self.filter)
        {
            let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            for (index, op) in doc.operations().iter().enumerate() {
                if op.matches(&self.filter) {
                    groups.entry(op.group()).or_default().push(index);
                }
            }
            let mut rows = Vec::new();
            for ops in groups.values() {
                rows.push(Row::Tag(ops[0]));
                rows.extend(ops.iter().map(|&index| Row::Op(index)));
            }
            self.rows = Some((self.filter.clone(), rows));
        }
        self.rows.as_ref().map_or(&[], |(_, rows)| rows)
    }

    fn operations_ui(&mut self, ui: &mut egui::Ui, doc: &ApiDoc) -> Option<PaneAction> {
        ui.horizontal(|ui| {
            labelled_field(
                ui,
                ("Filter operations", "api-filter"),
                &mut self.filter,
                "words of a path, id, summary or tag",
                260.0,
            );
        });
        let rows = self.rows(doc).to_vec();
        let operations = doc.operations();
        let mut picked = None;
        egui::ScrollArea::vertical()
            .id_salt("api-operations")
            .max_height(ROW_HEIGHT * 10.0)
            .auto_shrink([false, true])
            .show_rows(ui, ROW_HEIGHT, rows.len(), |ui, range| {
                for row in &rows[range] {
                    match *row {
                        Row::Tag(index) => {
                            ui.label(RichText::new(operations[index].group()).strong());
                        }
                        Row::Op(index) => {
                            let op = &operations[index];
                            let text = format!(
                                "{:<6} {}  {}",
                                op.method,
                                op.path,
                                op.summary.as_deref().unwrap_or_default()
                            );
                            let chosen = self.chosen == Some(index);
                            if ui
                                .selectable_label(chosen, RichText::new(text).monospace())
                                .clicked()
                            {
                                picked = Some(index);
                            }
                        }
                    }
                }
            });
        if rows.is_empty() {
            ui.label(RichText::new("No operation matches.").weak());
        }
        if let Some(index) = picked {
            self.choose(&operations[index], index);
        }
        let op = operations.get(self.chosen?)?;
        self.form_ui(ui, op)
    }

    fn choose(&mut self, op: &Operation, index: usize) {
        self.chosen = Some(index);
        self.values.clear();
        self.response = None;
        self.body = op
            .body
            .as_ref()
            .filter(|body| !body.example.is_null())
            .and_then(|body| serde_json::to_string_pretty(&body.example).ok())
            .unwrap_or_default();
    }

    fn form_ui(&mut self, ui: &mut egui::Ui, op: &Operation) -> Option<PaneAction> {
        ui.add_space(4.0);
        ui.label(RichText::new(op.label()).monospace().strong());
        egui::Grid::new("api-params")
            .num_columns(2)
            .spacing([12.0, 4.0])
            .show(ui, |ui| {
                for param in op.visible_params() {
                    self.param_ui(ui, param);
                    ui.end_row();
                }
            });
        if let Some(body) = &op.body {
            let label = ui.label(format!("Body ({})", body.media_type));
            ui.add(
                egui::TextEdit::multiline(&mut self.body)
                    .id_salt("api-body")
                    .code_editor()
                    .desired_rows(6)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        }
        let mut action = None;
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!self.sending, egui::Button::new("Send request"))
                .clicked()
            {
                let command = ApiCommand::Call {
                    name: self.account.clone(),
                    call: self.call(op),
                    confirm: false,
                };
                if op.method == "GET" {
                    self.sending = true;
                    self.response = None;
                    action = Some(PaneAction::Send(command));
                } else {
                    action = Some(PaneAction::Ask {
                        label: op.label(),
                        command,
                    });
                }
            }
            if self.sending {
                ui.spinner();
            }
        });
        if let Some(copied) = self.response_ui(ui) {
            action = Some(copied);
        }
        action
    }

    /// The operation with the form's values: a list typed with commas is sent as a list.
    fn call(&self, op: &Operation) -> ApiCall {
        let mut values = Vec::new();
        for param in op.visible_params() {
            let Some(text) = self
                .values
                .get(&param.name)
                .filter(|t| !t.trim().is_empty())
            else {
                continue;
            };
            if param.kind.as_deref() == Some("array") {
                values.extend(
                    text.split(',')
                        .map(|item| (param.name.clone(), item.trim().to_owned())),
                );
            } else {
                values.push((param.name.clone(), text.clone()));
            }
        }
        let data = (op.body.is_some() && !self.body.trim().is_empty()).then(|| self.body.clone());
        ApiCall {
            operation: op.label(),
            values,
            data,
            server: Some(self.server.trim().to_owned()).filter(|server| !server.is_empty()),
        }
    }

    fn param_ui(&mut self, ui: &mut egui::Ui, param: &Param) {
        let star = if param.required { " *" } else { "" };
        let label = ui
            .label(format!("{}{star}", param.name))
            .on_hover_text(format!(
                "{} parameter{}",
                param.location.word(),
                param
                    .description
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            ));
        let value = self.values.entry(param.name.clone()).or_default();
        if param.choices.is_empty() {
            let hint = param
                .default
                .clone()
                .or_else(|| {
                    param.kind.clone().map(|kind| match kind.as_str() {
                        "array" => "a, b, c".to_owned(),
                        _ => kind,
                    })
                })
                .unwrap_or_default();
            ui.add(
                egui::TextEdit::singleline(value)
                    .id_salt(("api-param", &param.name))
                    .hint_text(hint)
                    .desired_width(240.0),
            )
            .labelled_by(label.id);
        } else {
            let shown = if value.is_empty() {
                param.default.clone().unwrap_or_else(|| "—".to_owned())
            } else {
                value.clone()
            };
            egui::ComboBox::from_id_salt(("api-choice", &param.name))
                .selected_text(shown)
                .show_ui(ui, |ui| {
                    ui.selectable_value(value, String::new(), "—");
                    for choice in &param.choices {
                        ui.selectable_value(value, choice.clone(), choice);
                    }
                })
                .response
                .labelled_by(label.id);
        }
    }

    fn response_ui(&self, ui: &mut egui::Ui) -> Option<PaneAction> {
        let response = match self.response.as_ref()? {
            Ok(response) => response,
            Err(err) => {
                ui.colored_label(
                    theme::error_color(ui.visuals().dark_mode),
                    format!("Failed: {err}"),
                );
                return None;
            }
        };
        ui.label(format!(
            "HTTP {} in {} ms",
            response.status,
            response.elapsed.as_millis()
        ));
        ui.label(RichText::new(&response.request_line).monospace().weak());
        for (name, value) in &response.limits {
            ui.label(RichText::new(format!("{name}: {value}")).monospace());
        }
        let pretty = serde_json::from_str::<serde_json::Value>(&response.body)
            .ok()
            .and_then(|json| serde_json::to_string_pretty(&json).ok());
        let whole = pretty.as_deref().unwrap_or(&response.body);
        // A long answer is laid out every frame: the first part is shown.
        let cut = whole
            .char_indices()
            .nth(SHOWN_BODY_CHARS)
            .map_or(whole.len(), |(at, _)| at);
        let mut body: &str = &whole[..cut];
        egui::ScrollArea::vertical()
            .id_salt("api-response")
            .max_height(RESPONSE_HEIGHT)
            .min_scrolled_height(RESPONSE_HEIGHT)
            .show(ui, |ui| {
                ui.add(
                    egui::TextEdit::multiline(&mut body)
                        .id_salt("api-response-body")
                        .code_editor()
                        .desired_width(f32::INFINITY),
                );
            });
        if cut < whole.len() {
            ui.label(
                RichText::new(format!(
                    "The first {SHOWN_BODY_CHARS} characters of {} are shown.",
                    whole.chars().count()
                ))
                .weak(),
            );
        }
        ui.button("Copy as curl")
            .on_hover_text("The request as a curl command; the token is written as $TOKEN")
            .clicked()
            .then(|| PaneAction::Send(ApiCommand::CopyText(response.curl.clone())))
    }

    fn url_ui(&mut self, ui: &mut egui::Ui) -> Option<PaneAction> {
        let mut action = None;
        ui.horizontal(|ui| {
            labelled_field(
                ui,
                ("URL", "try-url"),
                &mut self.url,
                "https://api.example.com/v1/…",
                360.0,
            );
            if ui
                .add_enabled(!self.url.trim().is_empty(), egui::Button::new("Send GET"))
                .clicked()
            {
                self.try_result = None;
                action = Some(PaneAction::Send(ApiCommand::TryIt {
                    name: self.account.clone(),
                    url: self.url.trim().to_owned(),
                    confirm: false,
                }));
            }
        });
        if let Some(result) = self.try_result.as_ref().filter(|r| r.name == self.account) {
            let status = match &result.status {
                Ok(status) => format!("HTTP {status}"),
                Err(err) => format!("Failed: {err}"),
            };
            ui.label(format!("{status} in {} ms", result.elapsed.as_millis()));
            let mut body: &str = &result.body_start;
            ui.add(
                egui::TextEdit::multiline(&mut body)
                    .desired_rows(6)
                    .desired_width(f32::INFINITY)
                    .font(egui::TextStyle::Monospace),
            );
        }
        action
    }
}

/// A labelled one-line field with a fixed id (results arriving from the worker must not
/// steal its focus): `(label, id)`.
fn labelled_field(
    ui: &mut egui::Ui,
    (label, id): (&str, &str),
    text: &mut String,
    hint: &str,
    width: f32,
) -> egui::Response {
    let label = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .id_salt(id)
            .hint_text(hint)
            .desired_width(width),
    )
    .labelled_by(label.id)
}
