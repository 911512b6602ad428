//! Widgets the window's panels share.

use crate::export::TokenChoice;

/// A labelled single-line text field in a two-column grid. Its id comes from its label,
/// not its position: fields appearing above must not move focus (and typing) elsewhere.
pub fn text_field(ui: &mut egui::Ui, label: &str, value: &mut String, hint: &str) {
    labelled_row(ui, label, egui::TextEdit::singleline(value).hint_text(hint));
}

/// A labelled password field in a two-column grid (same id rule as [`text_field`]).
pub fn secret_field(ui: &mut egui::Ui, label: &str, value: &mut String) {
    labelled_row(ui, label, egui::TextEdit::singleline(value).password(true));
}

fn labelled_row(ui: &mut egui::Ui, label: &str, edit: egui::TextEdit<'_>) {
    let id = ui.label(label).id;
    ui.add(edit.id_salt(label).desired_width(320.0))
        .labelled_by(id);
    ui.end_row();
}

/// What a token choice is called in headings.
pub fn choice_title(choice: TokenChoice) -> &'static str {
    match choice {
        TokenChoice::Access => "Access token",
        TokenChoice::Refresh => "Refresh token",
        TokenChoice::Both => "Access and refresh tokens",
    }
}

/// A labelled access / refresh / both picker.
pub fn token_choice_ui(ui: &mut egui::Ui, label: &str, choice: &mut TokenChoice) {
    let label_id = ui.label(label).id;
    egui::ComboBox::from_id_salt(label)
        .selected_text(choice_title(*choice))
        .show_ui(ui, |ui| {
            for option in TokenChoice::ALL {
                ui.selectable_value(choice, option, choice_title(option));
            }
        })
        .response
        .labelled_by(label_id);
}
