//! What the command line prints about accounts: the table, `--json` objects, `show` text.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use zeroize::Zeroizing;

use super::{Failure, Printed};
use crate::agent::Reply;
use crate::export::rfc3339;
use crate::model::{Account, KeptFile, format_countdown};

/// The `list --json` / `show --json` fields.
pub fn account_json(account: &Account, now: DateTime<Utc>) -> Value {
    let tokens = &account.tokens;
    let next_refresh = account.next_background_refresh();
    let mut object = json!({
        "name": account.name,
        "provider": account.provider.id(),
        "state": account.state(now).id(),
        "access_expires_at": rfc3339(tokens.access_expires_at),
        "refresh_expires_at": rfc3339(tokens.refresh_expires_at),
        "scope": tokens.scope,
        "token_type": tokens.token_type,
        "last_refreshed_at": rfc3339(tokens.last_refreshed_at),
        "last_error": tokens.last_error,
        "next_refresh_at": rfc3339(next_refresh.map(|(at, _)| at)),
        "next_refresh_why": next_refresh.map(|(_, why)| why.id()),
        "kept_files": account.kept_files.iter().map(kept_json).collect::<Vec<_>>(),
    });
    // Team accounts only: the contract's fields stay as they are for the others.
    if let Some(mark) = &account.team {
        object["team"] = json!({
            "chain_version": mark.chain_version,
            "pending": mark.pending.then_some(true),
            "refreshed_by": mark.refreshed_by,
        });
    }
    object
}

/// A kept file in `--json`: where, what, its last write and error.
pub fn kept_json(file: &KeptFile) -> Value {
    json!({
        "path": file.path,
        "format": file.format.id(),
        "token": file.token.id(),
        "written_at": rfc3339(crate::wallet::last_written(&file.path)),
        "error": file.error,
    })
}

fn countdown(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    at.map_or_else(|| "-".to_owned(), |at| format_countdown(at - now))
}

pub(super) fn summary(account: &Account, now: DateTime<Utc>) -> String {
    let pending = if account.team.as_ref().is_some_and(|mark| mark.pending) {
        "; the team store did not answer: the new tokens are kept here and written to the team store at the next use"
    } else {
        ""
    };
    format!(
        "state {}, access token {}, refresh token {}{pending}",
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
            match account.team {
                Some(_) => format!("{} (team)", account.provider.id()),
                None => account.provider.id().to_owned(),
            },
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
        &account.next_background_refresh().map_or_else(
            || "- (nothing to keep fresh, or auto-refresh is off)".to_owned(),
            |(at, why)| {
                let when = if at <= now {
                    "now (due: no agent or window has renewed it yet)".to_owned()
                } else {
                    time(Some(at))
                };
                format!("{when}: {}", why.why())
            },
        ),
    );
    for file in &account.kept_files {
        let status = file.error.as_deref().map_or_else(
            || format!("{} {}", file.format.id(), file.token.id()),
            |error| format!("{} {}, failed: {error}", file.format.id(), file.token.id()),
        );
        line("kept file", &format!("{} ({status})", file.path.display()));
    }
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

/// How a reply is printed: `--json` or for people.
#[derive(Clone, Copy, Default)]
pub(super) struct Shape {
    pub json: bool,
}

/// What the command line prints for a reply: the agent's, or the same [`crate::agent::answer`]
/// computed here when no agent serves it. A failure is the caller's failure.
pub(super) fn render(reply: Reply, shape: Shape) -> Result<Printed, Failure> {
    let now = Utc::now();
    Ok(match reply {
        Reply::Token { token, warning } => {
            // Sized once: a growing string would leave copies of the token in freed memory.
            let mut stdout = Zeroizing::new(String::with_capacity(token.len() + 1));
            stdout.push_str(&token);
            stdout.push('\n');
            let stderr = warning.map_or_else(String::new, |warning| {
                format!(
                    "tokenwallet: warning: {warning} (printed the current token, still valid)\n"
                )
            });
            Printed { stdout, stderr }
        }
        Reply::Accounts { accounts } => Printed::data(if shape.json {
            let list: Vec<Value> = accounts.iter().map(|a| account_json(a, now)).collect();
            format!("{:#}\n", Value::Array(list))
        } else {
            table(&accounts, now)
        }),
        Reply::Account { account, claims } => {
            let mut object = account_json(&account, now);
            if let Some(jwt) = claims {
                object["claims"] = json!({ "header": jwt.header, "payload": jwt.payload });
            }
            Printed::data(if shape.json {
                format!("{object:#}\n")
            } else {
                show_text(&account, &object, now)
            })
        }
        Reply::Exported { text } => Printed::data(text),
        Reply::Said { message } if message.is_empty() => Printed::default(),
        Reply::Said { message } => Printed {
            stdout: Zeroizing::default(),
            stderr: format!("tokenwallet: {message}\n"),
        },
        Reply::Failed { kind, message } => {
            return Err(Failure {
                code: super::words::code(kind),
                message,
            });
        }
        Reply::Locked => {
            return Err(Failure {
                code: 1,
                message: "the agent's vault is locked: run `tokenwallet unlock`".to_owned(),
            });
        }
    })
}
