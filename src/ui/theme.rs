//! Every colour and size the window uses. Nothing else builds a `Color32`.

use egui::Color32;

use crate::model::{AccountState, ProviderKind};

/// Height of one account row.
pub const ROW_HEIGHT: f32 = 22.0;
/// Default width of the account list.
pub const LIST_WIDTH: f32 = 470.0;
/// Width of the name column.
pub const NAME_WIDTH: f32 = 150.0;
/// Width of the provider badge column.
pub const BADGE_WIDTH: f32 = 96.0;
/// Width of a countdown column.
pub const COUNTDOWN_WIDTH: f32 = 74.0;
/// Space between sections of the account panel.
pub const SECTION_GAP: f32 = 10.0;
/// How long a success toast stays.
pub const TOAST_SECS: u64 = 6;
/// How long an error toast stays.
pub const ERROR_TOAST_SECS: u64 = 12;
/// Widest toast.
pub const TOAST_WIDTH: f32 = 420.0;

/// The colour of a state, readable on the current theme.
pub fn state_color(state: AccountState, dark: bool) -> Color32 {
    match (state, dark) {
        (AccountState::Valid, true) => Color32::from_rgb(110, 200, 120),
        (AccountState::Valid, false) => Color32::from_rgb(30, 120, 45),
        (AccountState::Expiring, true) => Color32::from_rgb(235, 190, 80),
        (AccountState::Expiring, false) => Color32::from_rgb(160, 110, 0),
        (AccountState::Expired, true) => Color32::from_rgb(240, 140, 90),
        (AccountState::Expired, false) => Color32::from_rgb(180, 80, 20),
        (AccountState::NeedsSignIn, true) => Color32::from_rgb(240, 100, 100),
        (AccountState::NeedsSignIn, false) => Color32::from_rgb(190, 30, 30),
        (AccountState::Revoked | AccountState::Empty, true) => Color32::from_gray(150),
        (AccountState::Revoked | AccountState::Empty, false) => Color32::from_gray(110),
    }
}

/// The badge colours of providers, by their place in the palette ([`ProviderKind::palette`]);
/// a place past the end wraps around.
const PROVIDER_PALETTE: [Color32; 8] = [
    Color32::from_rgb(0, 103, 197),
    Color32::from_rgb(0, 140, 160),
    Color32::from_rgb(120, 80, 180),
    Color32::from_rgb(230, 110, 20),
    Color32::from_rgb(90, 100, 115),
    Color32::from_rgb(40, 130, 70),
    Color32::from_rgb(180, 60, 110),
    Color32::from_rgb(150, 120, 30),
];

/// The badge colour of a provider.
pub fn provider_color(kind: ProviderKind) -> Color32 {
    PROVIDER_PALETTE[kind.palette() % PROVIDER_PALETTE.len()]
}

/// Text on a badge.
pub const BADGE_TEXT: Color32 = Color32::WHITE;

/// The warning colour (refresh token expiring within a day).
pub fn warn_color(dark: bool) -> Color32 {
    state_color(AccountState::Expiring, dark)
}

/// The error colour.
pub fn error_color(dark: bool) -> Color32 {
    state_color(AccountState::NeedsSignIn, dark)
}

/// A toast's background.
pub fn toast_fill(ok: bool, dark: bool) -> Color32 {
    match (ok, dark) {
        (true, true) => Color32::from_rgb(30, 60, 40),
        (true, false) => Color32::from_rgb(220, 240, 225),
        (false, true) => Color32::from_rgb(80, 30, 30),
        (false, false) => Color32::from_rgb(250, 225, 225),
    }
}

/// The size of a device code in the sign-in dialog: easy to read across a room.
pub const DEVICE_CODE_SIZE: f32 = 28.0;
