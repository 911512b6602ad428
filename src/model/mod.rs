//! Pure data and time math: accounts, token sets, expiry and state. No I/O lives here.

mod account;
mod expiry;
mod jwt;
mod secrets;

pub use account::{Account, ClientAuth, Grant, ProviderKind, TokenMeta};
pub use expiry::{
    AccountState, Lifetimes, REFRESH_WARNING_SECS, expiry_from_expires_in, format_countdown,
    refresh_due, refresh_token_expires_soon,
};
pub use jwt::{JwtParts, decode_jwt};
pub use secrets::{Secret, Secrets};
