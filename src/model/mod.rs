//! Pure data and time math: accounts, token sets, expiry and state. No I/O lives here.

mod account;
mod expiry;
mod field;
mod jwt;
mod kept;
mod secrets;

pub use account::{Account, ClientAuth, Grant, ProviderKind, TeamMark};
pub use expiry::{
    AccountState, DAY, HOUR, Held, Lifetimes, REFRESH_WARNING_SECS, Renewal, TokenMeta,
    expiry_from_expires_in, format_countdown, keep_alive_at, kept_files_renew_at, refresh_due,
    refresh_token_expires_soon,
};
pub use field::{Field, FieldRule, MissingField, Need, missing_fields};
pub use jwt::{JwtParts, decode_jwt};
pub use kept::{ExportFormat, KeptFile, TokenChoice, left_behind, written_ago};
pub use secrets::{Extra, Secret, Secrets};
