//! `api spec`, `api ops` and `api call`: the API behind an account, from its OpenAPI spec.

use std::fmt::Write as _;
use std::path::Path;

use super::args::ApiCommand;
use super::output::{Shape, render};
use super::served::answered;
use super::{Failure, open_records, open_wallet, print_data, usage};
use crate::agent::{Reply, Request};
use crate::model::Secret;
use crate::openapi::ApiDoc;
use crate::wallet::{ApiCall, WalletError};

/// The largest body read from a file or stdin.
const MAX_DATA_BYTES: usize = 8 << 20;

pub(super) async fn api(home: &Path, command: ApiCommand) -> Result<(), Failure> {
    match command {
        ApiCommand::Spec { name, source } => {
            let wallet = open_records(home)?;
            let (doc, _) = wallet.remember_spec(&name, &source).await?;
            eprintln!(
                "tokenwallet: kept '{}' ({} operations) as the API of '{name}'. Next: tokenwallet api ops {name}",
                doc.title(),
                doc.operations().len()
            );
            Ok(())
        }
        ApiCommand::Ops { name, filter } => {
            let wallet = open_records(home)?;
            let (doc, _) = wallet
                .api_spec(&name)
                .await
                .map_err(|err| spec_hint(&name, err))?;
            let listing = listing(&doc, &filter.join(" "));
            if listing.is_empty() {
                return Err(Failure {
                    code: 1,
                    message: format!("no operation of the API of '{name}' matches that filter"),
                });
            }
            print_data(&listing);
            Ok(())
        }
        ApiCommand::Call {
            name,
            operation,
            params,
            data,
            server,
            confirm_host,
        } => {
            let call = ApiCall {
                operation,
                values: params
                    .iter()
                    .map(|pair| parse_param(pair))
                    .collect::<Result<_, _>>()?,
                data: data.as_deref().map(read_data).transpose()?,
                server,
            };
            // Checked with the records alone; the token from the agent when one serves.
            let wallet = open_records(home)?;
            let prepared = wallet
                .prepare_operation(&name, &call, confirm_host)
                .await
                .map_err(|err| call_hint(&name, err))?;
            let token = token(home, &name).await?;
            let reply = wallet
                .send_operation(&prepared, &token)
                .await
                .map_err(|err| call_hint(&name, err))?;
            print_data(&reply.body);
            eprintln!(
                "tokenwallet: {} → HTTP {} in {} ms",
                reply.request_line,
                reply.status,
                reply.elapsed.as_millis()
            );
            if (200..300).contains(&reply.status) {
                Ok(())
            } else {
                Err(Failure {
                    code: 1,
                    message: String::new(),
                })
            }
        }
    }
}

/// A valid access token of `name`: the agent's when one serves, else this process's.
async fn token(home: &Path, name: &str) -> Result<Secret, Failure> {
    let request = Request::Token {
        name: name.to_owned(),
    };
    match answered(home, request, || open_wallet(home)).await? {
        Reply::Token { token, warning } => {
            if let Some(warning) = warning {
                eprintln!(
                    "tokenwallet: warning: {warning} (calling with the current token, still valid)"
                );
            }
            Ok(Secret::new(token.as_str()))
        }
        // A failure (or a locked agent) as every command says it.
        other => {
            render(other, Shape::default())?;
            Err(Failure {
                code: 1,
                message: format!("no token could be had for '{name}'"),
            })
        }
    }
}

/// The operations by tag, one line each: method, path, id, summary.
/// One operation alone is shown with what it takes: its parameters and body.
fn listing(doc: &ApiDoc, filter: &str) -> String {
    let mut out = String::new();
    let groups = doc.by_tag(filter);
    let alone = match groups.as_slice() {
        [(_, ops)] if ops.len() == 1 => Some(ops[0]),
        _ => None,
    };
    for (tag, ops) in groups {
        writeln!(out, "{tag}").ok();
        for op in ops {
            let deprecated = if op.deprecated { " (deprecated)" } else { "" };
            writeln!(
                out,
                "  {:<7} {}  {}  {}{deprecated}",
                op.method,
                op.path,
                op.id.as_deref().unwrap_or("-"),
                op.summary.as_deref().unwrap_or_default()
            )
            .ok();
        }
    }
    if let Some(op) = alone {
        out.push_str(&takes(op));
    }
    out
}

/// What an operation takes, one line a parameter, then its body with an example.
fn takes(op: &crate::openapi::Operation) -> String {
    let mut out = String::new();
    for param in op.visible_params() {
        let mut facts = vec![param.location.word().to_owned()];
        facts.extend(param.kind.clone());
        if param.required {
            facts.push("required".to_owned());
        }
        if !param.choices.is_empty() {
            facts.push(format!("one of {}", param.choices.join(", ")));
        }
        if let Some(default) = &param.default {
            facts.push(format!("default {default}"));
        }
        writeln!(out, "    -p {}=…  ({})", param.name, facts.join(", ")).ok();
    }
    if let Some(body) = &op.body {
        let needed = if body.required { ", required" } else { "" };
        writeln!(
            out,
            "    --data  ({}{needed}), for example:",
            body.media_type
        )
        .ok();
        if let Ok(example) = serde_json::to_string(&body.example) {
            writeln!(out, "      {example}").ok();
        }
    }
    out
}

fn parse_param(pair: &str) -> Result<(String, String), Failure> {
    pair.split_once('=')
        .map(|(name, value)| (name.trim().to_owned(), value.to_owned()))
        .filter(|(name, _)| !name.is_empty())
        .ok_or_else(|| usage(format!("--param takes NAME=VALUE, not '{pair}'")))
}

/// `--data`: the text itself, or `@FILE` / `@-`, read up to 8 MiB.
fn read_data(data: &str) -> Result<String, Failure> {
    let Some(path) = data.strip_prefix('@') else {
        return Ok(data.to_owned());
    };
    let reader: Box<dyn std::io::Read> = if path == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(
            std::fs::File::open(path)
                .map_err(|err| usage(format!("--data: {path} cannot be read ({err})")))?,
        )
    };
    crate::store::read_text_up_to(reader, MAX_DATA_BYTES)
        .map_err(|err| usage(format!("--data: {path} cannot be read as text ({err})")))?
        .ok_or_else(|| usage(format!("--data: {path} is larger than 8 MiB")))
}

fn spec_hint(name: &str, err: WalletError) -> Failure {
    let hint = matches!(err, WalletError::NoApiSpec(_))
        .then(|| format!(" (`tokenwallet api spec {name} FILE|URL`)"));
    let mut failure = Failure::from(err);
    failure.message.push_str(&hint.unwrap_or_default());
    failure
}

fn call_hint(name: &str, err: WalletError) -> Failure {
    let hint = match &err {
        WalletError::UnconfirmedHost { .. } => {
            " (add --confirm-host to send it there and remember the host)".to_owned()
        }
        WalletError::BadApiCall { reason, .. } if reason.contains("no operation") => {
            format!(" (`tokenwallet api ops {name}` lists them)")
        }
        WalletError::BadApiCall { reason, .. } if reason.contains("server's address") => {
            " (with --server URL)".to_owned()
        }
        _ => return spec_hint(name, err),
    };
    let mut failure = Failure::from(err);
    failure.message.push_str(&hint);
    failure
}
