//! What is known about an account's tokens ([`TokenMeta`]) and its math: reading
//! `expires_in`, default lifetimes, account states and countdown text.

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use serde::{Deserialize, Serialize};

/// What is known about an account's tokens, without the tokens themselves.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[allow(clippy::struct_excessive_bools)]
pub struct TokenMeta {
    /// Whether an access token is stored.
    pub has_access_token: bool,
    /// Whether a refresh token is stored.
    pub has_refresh_token: bool,
    /// When the current access token was issued.
    pub issued_at: Option<DateTime<Utc>>,
    /// When the access token expires; `None` when unknown or never.
    pub access_expires_at: Option<DateTime<Utc>>,
    /// When the refresh token expires; `None` when unknown or never.
    pub refresh_expires_at: Option<DateTime<Utc>>,
    /// Granted scopes, as the server sent them.
    pub scope: Option<String>,
    /// The token type (`Bearer`).
    pub token_type: Option<String>,
    /// When the last successful refresh happened.
    pub last_refreshed_at: Option<DateTime<Utc>>,
    /// When a brand new token was last obtained (Aruba allows one per 30 minutes).
    pub last_generated_at: Option<DateTime<Utc>>,
    /// The refresh token was rejected or expired: the user must sign in again.
    pub needs_sign_in: bool,
    /// The tokens were revoked or discarded on purpose.
    pub revoked: bool,
    /// The last failure, in plain words, with what to do next.
    pub last_error: Option<String>,
    /// The server asked us to wait until then (429 Retry-After).
    pub retry_after: Option<DateTime<Utc>>,
    /// Bumped on every stored token change, so a waiter can tell someone else refreshed.
    pub generation: u64,
    /// The newest tokens are in a rescue (the secret store refused them) until a save works.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub rescued: bool,
    /// Fields of a newer version, kept.
    #[serde(flatten)]
    pub extra: super::secrets::Extra,
}

/// What a token set in the secret store holds, as its metadata says it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Held {
    /// An access token.
    pub access: bool,
    /// A refresh token.
    pub refresh: bool,
    /// When the access token expires.
    pub access_expires_at: Option<DateTime<Utc>>,
    /// When the refresh token expires.
    pub refresh_expires_at: Option<DateTime<Utc>>,
}

impl TokenMeta {
    /// The stored tokens were replaced by `held` (a set from another machine, or none
    /// after a revoke): the failure notes of the old set go, and the generation moves on.
    pub fn replaced_by(&mut self, held: Held) {
        self.has_access_token = held.access;
        self.has_refresh_token = held.refresh;
        self.access_expires_at = held.access_expires_at;
        self.refresh_expires_at = held.refresh_expires_at;
        self.needs_sign_in = false;
        self.last_error = None;
        self.generation += 1;
    }
}

/// An hour, in seconds.
pub const HOUR: i64 = 3600;

/// A day, in seconds.
pub const DAY: i64 = 24 * HOUR;

/// Above this, an `expires_in` is an epoch time in milliseconds (Apinizer), not seconds.
const EPOCH_MS_THRESHOLD: i64 = 100_000_000_000;

/// The least warning before expiry: a token this close to its end is `expiring`.
const MIN_EXPIRING_WINDOW_SECS: i64 = 5 * 60;

/// Documented lifetimes of a provider's tokens, used when neither server nor token says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lifetimes {
    /// Access token lifetime.
    pub access: Option<Duration>,
    /// Refresh token lifetime.
    pub refresh: Option<Duration>,
}

impl Lifetimes {
    /// Lifetimes from seconds.
    pub const fn secs(access: Option<i64>, refresh: Option<i64>) -> Self {
        const fn duration(secs: Option<i64>) -> Option<Duration> {
            match secs {
                Some(secs) => Some(Duration::seconds(secs)),
                None => None,
            }
        }
        Self {
            access: duration(access),
            refresh: duration(refresh),
        }
    }
}

/// When a token expires given the server's `expires_in`, counted from `issued_at`.
///
/// Values above 10^11 are epoch milliseconds (an older Apinizer answer), others seconds.
/// Returns `None` for a value that cannot be a time (negative, or out of range).
pub fn expiry_from_expires_in(expires_in: i64, issued_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if expires_in > EPOCH_MS_THRESHOLD {
        Utc.timestamp_millis_opt(expires_in).single()
    } else if expires_in >= 0 {
        issued_at.checked_add_signed(Duration::seconds(expires_in))
    } else {
        None
    }
}

/// What the user sees about an account at a glance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccountState {
    /// The access token is good for a while.
    Valid,
    /// The access token expires soon (within 10 % of its lifetime or 5 minutes).
    Expiring,
    /// The access token has expired, but a new one can be had without the user.
    Expired,
    /// Only the user can get a new token (refresh token expired, revoked or rejected).
    NeedsSignIn,
    /// The tokens were revoked or discarded.
    Revoked,
    /// No token yet.
    Empty,
}

impl AccountState {
    /// The state of tokens described by `meta`; `renewable` says whether a new access token
    /// can be had without the user.
    pub fn of(meta: &TokenMeta, renewable: bool, now: DateTime<Utc>) -> Self {
        if meta.revoked {
            return Self::Revoked;
        }
        if meta.needs_sign_in {
            return Self::NeedsSignIn;
        }
        let refresh_dead =
            meta.has_refresh_token && meta.refresh_expires_at.is_some_and(|at| at <= now);
        let access_dead =
            !meta.has_access_token || meta.access_expires_at.is_some_and(|at| at <= now);
        if !meta.has_access_token {
            let renewable_now = if meta.has_refresh_token {
                !refresh_dead
            } else {
                renewable
            };
            return if renewable_now {
                Self::Empty
            } else {
                Self::NeedsSignIn
            };
        }
        if access_dead {
            let renewable_now = if meta.has_refresh_token {
                !refresh_dead
            } else {
                renewable
            };
            return if renewable_now {
                Self::Expired
            } else {
                Self::NeedsSignIn
            };
        }
        if expiring(meta, now) {
            Self::Expiring
        } else {
            Self::Valid
        }
    }

    /// The word used in `--json` output and the UI.
    pub fn id(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Expiring => "expiring",
            Self::Expired => "expired",
            Self::NeedsSignIn => "needs-sign-in",
            Self::Revoked => "revoked",
            Self::Empty => "empty",
        }
    }
}

impl std::fmt::Display for AccountState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// Whether the access token is within 10 % of its lifetime or 5 minutes of expiry (capped at
/// half its lifetime, so a fresh short-lived token is not "expiring").
fn expiring(meta: &TokenMeta, now: DateTime<Utc>) -> bool {
    expiring_at(meta).is_some_and(|at| now >= at)
}

/// When the access token starts expiring (see [`expiring`]); `None` with no known expiry.
pub fn expiring_at(meta: &TokenMeta) -> Option<DateTime<Utc>> {
    let expires_at = meta.access_expires_at?;
    let lifetime = meta
        .issued_at
        .map_or(Duration::zero(), |issued| expires_at - issued)
        .num_seconds();
    // A fresh token is never "expiring": for short lifetimes the window is half the lifetime.
    let mut window = (lifetime / 10).max(MIN_EXPIRING_WINDOW_SECS);
    if lifetime > 0 {
        window = window.min(lifetime / 2);
    }
    Some(expires_at - Duration::seconds(window))
}

/// Whether a background refresh is due: the access token is expiring or gone, a refresh
/// token is stored, and the server's back-off (if any) has passed.
pub fn refresh_due(meta: &TokenMeta, now: DateTime<Utc>) -> bool {
    if meta.revoked || meta.needs_sign_in || !meta.has_refresh_token {
        return false;
    }
    if meta.retry_after.is_some_and(|at| at > now) {
        return false;
    }
    let gone = !meta.has_access_token || meta.access_expires_at.is_some_and(|at| at <= now);
    gone || expiring(meta, now)
}

/// When the keep-alive (the agent, or the window serving as it) renews the account's chain
/// with nobody asking: once its refresh token has passed half its life (so a laptop asleep
/// for a day still catches a 7-day chain), never sooner than one access-token lifetime after
/// the last issue, and not before the server's back-off ends. `None`: there is no chain to
/// keep (no refresh token, or an unknown expiry), or only a person can renew it.
pub fn keep_alive_at(meta: &TokenMeta) -> Option<DateTime<Utc>> {
    if meta.revoked || meta.needs_sign_in || !meta.has_refresh_token {
        return None;
    }
    let issued = meta.issued_at?;
    let dies = meta.refresh_expires_at?;
    if dies <= issued {
        return None;
    }
    let half = issued + (dies - issued) / 2;
    let access_life = meta
        .access_expires_at
        .filter(|at| *at > issued)
        .map_or(Duration::zero(), |at| at - issued);
    let at = half.max(issued + access_life);
    Some(meta.retry_after.map_or(at, |after| at.max(after)))
}

/// Why the keep-alive renews an account next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Renewal {
    /// The refresh token passes half its life: the chain is kept alive.
    Chain,
    /// A kept file holds the access token, which starts expiring.
    KeptFiles,
}

impl Renewal {
    /// The reason, for `show` and the window.
    pub fn why(self) -> &'static str {
        match self {
            Self::Chain => "the refresh token passes half its life",
            Self::KeptFiles => "a kept file's access token starts expiring",
        }
    }

    /// The reason's id, for `--json`.
    pub fn id(self) -> &'static str {
        match self {
            Self::Chain => "chain",
            Self::KeptFiles => "kept_files",
        }
    }
}

/// When kept files holding the access token need it renewed: as it starts expiring (so a
/// file always holds one with at least that margin left), at once when there is none,
/// never before the server's back-off ends. `None` when no file holds it, or the account
/// cannot be renewed unattended.
pub fn kept_files_renew_at(
    meta: &TokenMeta,
    renewable: bool,
    files_hold_access: bool,
) -> Option<DateTime<Utc>> {
    if !files_hold_access || !renewable || meta.revoked || meta.needs_sign_in {
        return None;
    }
    let at = if meta.has_access_token {
        expiring_at(meta)?
    } else {
        DateTime::<Utc>::MIN_UTC
    };
    Some(meta.retry_after.map_or(at, |after| at.max(after)))
}

/// How long before a refresh token dies the user is warned (badge and notification).
pub const REFRESH_WARNING_SECS: i64 = 86_400;

/// Whether the stored refresh token dies within [`REFRESH_WARNING_SECS`], or within a
/// quarter of its life when that is shorter (a 15-minute token is not "expiring" from its
/// first second): after that the user must sign in at the portal again, so they are told
/// while a refresh still works. Its life is counted from the last issue.
pub fn refresh_token_expires_soon(meta: &TokenMeta, now: DateTime<Utc>) -> bool {
    let Some(at) = meta.refresh_expires_at else {
        return false;
    };
    let window = meta
        .issued_at
        .filter(|issued| *issued < at)
        .map_or(REFRESH_WARNING_SECS, |issued| {
            REFRESH_WARNING_SECS.min((at - issued).num_seconds() / 4)
        });
    meta.has_refresh_token
        && !meta.revoked
        && !meta.needs_sign_in
        && at > now
        && at - now < Duration::seconds(window)
}

/// A countdown for people: `59:12` under an hour, `1 h 04 m` under a day, `6 d 23 h` above,
/// `expired` at or past zero.
pub fn format_countdown(remaining: Duration) -> String {
    let secs = remaining.num_seconds();
    if secs <= 0 {
        return "expired".to_owned();
    }
    let (days, hours, minutes, seconds) =
        (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if secs < 3600 {
        format!("{minutes:02}:{seconds:02}")
    } else if secs < 86_400 {
        format!("{hours} h {minutes:02} m")
    } else {
        format!("{days} d {hours} h")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
    }

    fn meta(issued: i64, access_expires: i64) -> TokenMeta {
        TokenMeta {
            has_access_token: true,
            has_refresh_token: true,
            issued_at: Some(at(issued)),
            access_expires_at: Some(at(access_expires)),
            refresh_expires_at: Some(at(7 * 86_400)),
            ..TokenMeta::default()
        }
    }

    #[test]
    fn the_refresh_warning_starts_a_day_before_and_ends_at_expiry_or_sign_in() {
        let m = meta(0, 3600); // refresh token dies at day 7
        assert!(
            !refresh_token_expires_soon(&m, at(6 * 86_400)),
            "exactly a day left"
        );
        assert!(refresh_token_expires_soon(&m, at(6 * 86_400 + 1)));
        assert!(refresh_token_expires_soon(&m, at(7 * 86_400 - 1)));
        assert!(
            !refresh_token_expires_soon(&m, at(7 * 86_400)),
            "already dead"
        );
        let gone = TokenMeta {
            needs_sign_in: true,
            ..m.clone()
        };
        assert!(!refresh_token_expires_soon(&gone, at(6 * 86_400 + 1)));
        let none = TokenMeta {
            has_refresh_token: false,
            ..m
        };
        assert!(!refresh_token_expires_soon(&none, at(6 * 86_400 + 1)));
    }

    #[test]
    fn a_chain_is_kept_alive_at_half_its_life_never_sooner_than_an_access_lifetime() {
        // Active IQ: 1-hour access token, 7-day refresh token, issued at 0.
        let aiq = meta(0, 3600);
        assert_eq!(keep_alive_at(&aiq), Some(at(7 * 86_400 / 2)));
        // A refresh token that lives barely longer than the access token: not before the
        // access token's life is over.
        let short = TokenMeta {
            refresh_expires_at: Some(at(5400)),
            ..meta(0, 3600)
        };
        assert_eq!(keep_alive_at(&short), Some(at(3600)));
        // The server's back-off comes first.
        let backing_off = TokenMeta {
            retry_after: Some(at(4 * 86_400)),
            ..aiq.clone()
        };
        assert_eq!(keep_alive_at(&backing_off), Some(at(4 * 86_400)));
        for dead in [
            TokenMeta {
                needs_sign_in: true,
                ..aiq.clone()
            },
            TokenMeta {
                revoked: true,
                ..aiq.clone()
            },
            TokenMeta {
                has_refresh_token: false,
                ..aiq.clone()
            },
            TokenMeta {
                refresh_expires_at: None,
                ..aiq.clone()
            },
        ] {
            assert_eq!(keep_alive_at(&dead), None, "{dead:?}");
        }
    }

    #[test]
    fn a_short_lived_refresh_token_is_warned_of_in_the_last_quarter_of_its_life() {
        // The demo server's: 15 minutes, issued at 0.
        let m = TokenMeta {
            refresh_expires_at: Some(at(900)),
            ..meta(0, 120)
        };
        assert!(
            !refresh_token_expires_soon(&m, at(1)),
            "not from its first second"
        );
        assert!(!refresh_token_expires_soon(&m, at(675)));
        assert!(refresh_token_expires_soon(&m, at(676)));
        // Unknown issue time: a day, as before.
        let unknown = TokenMeta {
            issued_at: None,
            ..m
        };
        assert!(refresh_token_expires_soon(&unknown, at(1)));
    }

    #[test]
    fn expires_in_seconds_counts_from_issue_time() {
        assert_eq!(expiry_from_expires_in(3600, at(0)), Some(at(3600)));
        assert_eq!(expiry_from_expires_in(0, at(5)), Some(at(5)));
        assert_eq!(expiry_from_expires_in(-1, at(0)), None);
    }

    #[test]
    fn expires_in_above_1e11_is_epoch_milliseconds() {
        let expiry = expiry_from_expires_in(1_656_505_346_947, at(0)).unwrap();
        assert_eq!(expiry.timestamp_millis(), 1_656_505_346_947);
        // Just below the threshold it is still seconds (about 3170 years).
        assert!(expiry_from_expires_in(99_999_999_999, at(0)).unwrap() > at(0));
    }

    #[test]
    fn states_follow_the_clock() {
        let m = meta(0, 3600);
        assert_eq!(AccountState::of(&m, true, at(10)), AccountState::Valid);
        // 10 % of an hour is 6 minutes, more than the 5-minute floor.
        assert_eq!(
            AccountState::of(&m, true, at(3600 - 361)),
            AccountState::Valid
        );
        assert_eq!(
            AccountState::of(&m, true, at(3600 - 360)),
            AccountState::Expiring
        );
        assert_eq!(AccountState::of(&m, true, at(3600)), AccountState::Expired);
        // Refresh token dead too: only the user can help.
        assert_eq!(
            AccountState::of(&m, true, at(8 * 86_400)),
            AccountState::NeedsSignIn
        );
    }

    #[test]
    fn short_tokens_use_the_five_minute_floor_capped_at_half_the_lifetime() {
        let m = meta(0, 900);
        assert_eq!(AccountState::of(&m, true, at(599)), AccountState::Valid);
        assert_eq!(AccountState::of(&m, true, at(600)), AccountState::Expiring);
        // A two-minute token is valid for its first minute.
        let m = meta(0, 120);
        assert_eq!(AccountState::of(&m, true, at(0)), AccountState::Valid);
        assert_eq!(AccountState::of(&m, true, at(59)), AccountState::Valid);
        assert_eq!(AccountState::of(&m, true, at(60)), AccountState::Expiring);
    }

    #[test]
    fn flags_win_over_times() {
        let mut m = meta(0, 3600);
        m.needs_sign_in = true;
        assert_eq!(AccountState::of(&m, true, at(0)), AccountState::NeedsSignIn);
        m.revoked = true;
        assert_eq!(AccountState::of(&m, true, at(0)), AccountState::Revoked);
        assert_eq!(
            AccountState::of(&TokenMeta::default(), true, at(0)),
            AccountState::Empty
        );
        assert_eq!(
            AccountState::of(&TokenMeta::default(), false, at(0)),
            AccountState::NeedsSignIn
        );
    }

    #[test]
    fn access_only_token_without_credentials_needs_sign_in_when_expired() {
        let m = TokenMeta {
            has_access_token: true,
            access_expires_at: Some(at(1000)),
            ..TokenMeta::default()
        };
        assert_eq!(AccountState::of(&m, false, at(0)), AccountState::Valid);
        assert_eq!(
            AccountState::of(&m, false, at(1000)),
            AccountState::NeedsSignIn
        );
        assert_eq!(AccountState::of(&m, true, at(1000)), AccountState::Expired);
    }

    #[test]
    fn refresh_due_respects_back_off_and_flags() {
        let mut m = meta(0, 3600);
        assert!(!refresh_due(&m, at(0)));
        assert!(refresh_due(&m, at(3300)));
        m.retry_after = Some(at(3400));
        assert!(!refresh_due(&m, at(3300)));
        assert!(refresh_due(&m, at(3400)));
        m.needs_sign_in = true;
        assert!(!refresh_due(&m, at(4000)));
    }

    #[test]
    fn countdown_text() {
        assert_eq!(format_countdown(Duration::seconds(3552)), "59:12");
        assert_eq!(format_countdown(Duration::seconds(3840)), "1 h 04 m");
        assert_eq!(
            format_countdown(Duration::seconds(6 * 86_400 + 23 * 3600 + 59)),
            "6 d 23 h"
        );
        assert_eq!(format_countdown(Duration::seconds(0)), "expired");
        assert_eq!(format_countdown(Duration::seconds(-5)), "expired");
        assert_eq!(format_countdown(Duration::seconds(9)), "00:09");
    }
}
