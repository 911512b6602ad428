//! What the command line prints about accounts: the table, `--json` objects, `show` text.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::model::{Account, format_countdown};

fn rfc3339(at: Option<DateTime<Utc>>) -> Value {
    at.map_or(Value::Null, |at| {
        Value::String(at.to_rfc3339_opts(SecondsFormat::Secs, true))
    })
}

/// The `list --json` / `show --json` fields.
pub fn account_json(account: &Account, now: DateTime<Utc>) -> Value {
    let tokens = &account.tokens;
    json!({
        "name": account.name,
        "provider": account.provider.id(),
        "state": account.state(now).id(),
        "access_expires_at": rfc3339(tokens.access_expires_at),
        "refresh_expires_at": rfc3339(tokens.refresh_expires_at),
        "scope": tokens.scope,
        "token_type": tokens.token_type,
        "last_refreshed_at": rfc3339(tokens.last_refreshed_at),
        "last_error": tokens.last_error,
        "next_refresh_at": rfc3339(next_refresh(account)),
    })
}

/// When an agent (or the window) renews the account's chain with nobody asking: `None` with
/// auto-refresh off, or no chain to keep.
fn next_refresh(account: &Account) -> Option<DateTime<Utc>> {
    account
        .auto_refresh
        .then(|| crate::model::keep_alive_at(&account.tokens))
        .flatten()
}

fn countdown(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    at.map_or_else(|| "-".to_owned(), |at| format_countdown(at - now))
}

pub(super) fn summary(account: &Account, now: DateTime<Utc>) -> String {
    format!(
        "state {}, access token {}, refresh token {}",
        account.state(now),
        account.tokens.access_expires_at.map_or_else(
            || "with no known expiry".to_owned(),
            |at| format!("expires in {}", format_countdown(at - now))
        ),
        account.tokens.refresh_expires_at.map_or_else(
            || if account.tokens.has_refresh_token {
                "with no known expiry".to_owned()
            } else {
                "none".to_owned()
            },
            |at| format!("expires in {}", format_countdown(at - now))
        ),
    )
}

pub(super) fn table(accounts: &[Account], now: DateTime<Utc>) -> String {
    let mut rows = vec![[
        "NAME".to_owned(),
        "PROVIDER".to_owned(),
        "STATE".to_owned(),
        "ACCESS".to_owned(),
        "REFRESH".to_owned(),
    ]];
    for account in accounts {
        rows.push([
            account.name.clone(),
            account.provider.id().to_owned(),
            account.state(now).id().to_owned(),
            countdown(account.tokens.access_expires_at, now),
            countdown(account.tokens.refresh_expires_at, now),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

pub(super) fn show_text(account: &Account, object: &Value, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut line = |key: &str, value: &str| {
        use std::fmt::Write as _;
        writeln!(out, "{key:<18} {value}").ok();
    };
    line("name", &account.name);
    line("provider", account.provider.label());
    line("grant", account.grant.id());
    line("state", account.state(now).id());
    for (key, value) in [
        ("url", &account.url),
        ("client id", &account.client_id),
        ("username", &account.username),
        ("customer id", &account.customer_id),
        ("revoke url", &account.revoke_url),
    ] {
        if let Some(value) = value {
            line(key, value);
        }
    }
    let time = |at: Option<DateTime<Utc>>| {
        at.map_or_else(
            || "-".to_owned(),
            |at| {
                format!(
                    "{} (in {})",
                    at.to_rfc3339_opts(SecondsFormat::Secs, true),
                    format_countdown(at - now)
                )
            },
        )
    };
    line("access expires", &time(account.tokens.access_expires_at));
    line("refresh expires", &time(account.tokens.refresh_expires_at));
    line(
        "next refresh",
        &next_refresh(account).map_or_else(
            || "- (no chain to keep alive, or auto-refresh is off)".to_owned(),
            |at| {
                let when = if at <= now {
                    "now (due: no agent or window has renewed it yet)".to_owned()
                } else {
                    time(Some(at))
                };
                format!("{when}: the refresh token passes half its life")
            },
        ),
    );
    line("scope", account.tokens.scope.as_deref().unwrap_or("-"));
    line(
        "token type",
        account.tokens.token_type.as_deref().unwrap_or("-"),
    );
    line(
        "last refreshed",
        &account.tokens.last_refreshed_at.map_or_else(
            || "-".to_owned(),
            |at| at.to_rfc3339_opts(SecondsFormat::Secs, true),
        ),
    );
    line(
        "auto-refresh",
        if account.auto_refresh { "on" } else { "off" },
    );
    if let Some(err) = &account.tokens.last_error {
        line("last error", err);
    }
    if let Some(claims) = object.get("claims") {
        line("jwt claims", &claims["payload"].to_string());
    }
    out
}
