//! `tokenwallet exec NAME… [--var VAR=NAME[:what]]… -- COMMAND [ARGS…]`: runs a command with
//! fresh tokens in its environment, never in its arguments. Each account's access token is
//! made fresh first (through the agent when one runs, else here, under the same rotation
//! rules as `token`). On Unix the command then replaces this process: it keeps the process
//! id, so every signal reaches it as it is, and its exit code is the one the caller sees.
//! On Windows it runs as a child whose exit code is passed on.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use zeroize::Zeroizing;

use super::output::{Shape, render};
use super::served::answered;
use super::{ExecArgs, Failure, open_wallet, usage};
use crate::agent;
use crate::export::{ExportFormat, TokenChoice, env_prefix};
use crate::model::ProviderKind;
use crate::providers::spec;
use crate::wallet::Wallet;

/// What a `--var` carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum What {
    Access,
    Header,
    Refresh,
}

/// One `--var VAR=NAME[:what]`.
#[derive(Debug, PartialEq, Eq)]
struct Var {
    name: String,
    account: String,
    what: What,
}

fn parse_var(text: &str) -> Result<Var, Failure> {
    let bad = || {
        usage(format!(
            "--var {text}: write VAR=NAME, VAR=NAME:header or VAR=NAME:refresh"
        ))
    };
    let (name, rest) = text.split_once('=').ok_or_else(bad)?;
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(usage(format!(
            "--var {text}: '{name}' is not a variable name (letters, digits and _)"
        )));
    }
    let (account, what) = match rest.rsplit_once(':') {
        Some((account, "access")) => (account, What::Access),
        Some((account, "header")) => (account, What::Header),
        Some((account, "refresh")) => (account, What::Refresh),
        Some(_) => return Err(bad()),
        None => (rest, What::Access),
    };
    if account.is_empty() {
        return Err(bad());
    }
    Ok(Var {
        name: name.to_owned(),
        account: account.to_owned(),
        what,
    })
}

/// Variables a command must not inherit from this process: the wallet's own secret
/// inputs. It gets the tokens it asked for, nothing more.
const WITHHELD: [&str; 4] = [
    "TOKENWALLET_PASSPHRASE",
    "TOKENWALLET_CLIENT_SECRET",
    "TOKENWALLET_PASSWORD",
    "TOKENWALLET_REFRESH_TOKEN",
];

pub(super) async fn exec(home: &Path, args: &ExecArgs) -> Result<(), Failure> {
    let vars = args
        .vars
        .iter()
        .map(|text| parse_var(text))
        .collect::<Result<Vec<_>, _>>()?;
    if args.names.is_empty() && vars.is_empty() {
        return Err(usage(
            "name at least one account, or a --var, before `--` and the command",
        ));
    }
    let mut accounts: BTreeMap<&str, bool> = BTreeMap::new();
    for name in &args.names {
        accounts.entry(name).or_default();
    }
    for var in &vars {
        *accounts.entry(&var.account).or_default() |= var.what == What::Refresh;
    }
    let mut source = Source { home, wallet: None };
    let mut fresh = BTreeMap::new();
    for (&name, &refresh) in &accounts {
        fresh.insert(name, source.fresh(name, refresh).await?);
    }
    let mut env: Vec<(String, Zeroizing<String>)> = Vec::new();
    for name in &args.names {
        let tokens = &fresh[name.as_str()];
        let prefix = env_prefix(name);
        env.push((format!("{prefix}_ACCESS_TOKEN"), tokens.access.clone()));
        env.push((format!("{prefix}_AUTH_HEADER"), tokens.header.clone()));
        env.push((format!("{prefix}_EXPIRES_AT"), tokens.expires_at.clone()));
    }
    for var in &vars {
        let tokens = &fresh[var.account.as_str()];
        let value = match var.what {
            What::Access => tokens.access.clone(),
            What::Header => tokens.header.clone(),
            What::Refresh => tokens.refresh.clone().ok_or_else(|| Failure {
                code: 1,
                message: format!("account '{}' has no refresh token", var.account),
            })?,
        };
        env.push((var.name.clone(), value));
    }
    run(&args.command, &env)
}

/// An account's fresh tokens as the environment gets them.
struct Fresh {
    access: Zeroizing<String>,
    header: Zeroizing<String>,
    expires_at: Zeroizing<String>,
    refresh: Option<Zeroizing<String>>,
}

/// Where tokens come from: the agent while it answers, else the wallet opened here once.
struct Source<'a> {
    home: &'a Path,
    wallet: Option<Wallet>,
}

impl Source<'_> {
    /// The account's tokens, its access token made fresh first (as `token` does).
    async fn fresh(&mut self, name: &str, refresh: bool) -> Result<Fresh, Failure> {
        let choice = if refresh {
            TokenChoice::Both
        } else {
            TokenChoice::Access
        };
        let request = agent::Request::Export {
            name: name.to_owned(),
            token: choice,
            format: ExportFormat::Json,
            fresh: true,
        };
        let home = self.home;
        let reply = answered(home, request, || self.wallet()).await?;
        let text = render(reply, Shape::default())?.stdout;
        let json: Value = serde_json::from_str(&text).map_err(|err| Failure {
            code: 1,
            message: format!("the tokens of '{name}' were not understood ({err})"),
        })?;
        let field = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_owned);
        let access = Zeroizing::new(field("access_token").unwrap_or_default());
        let provider = field("provider")
            .as_deref()
            .and_then(ProviderKind::from_id)
            .unwrap_or(ProviderKind::OAUTH2);
        Ok(Fresh {
            header: Zeroizing::new(spec(provider).header_line(&access)),
            access,
            expires_at: Zeroizing::new(field("expires_at").unwrap_or_default()),
            refresh: field("refresh_token").map(Zeroizing::new),
        })
    }

    /// The wallet, opened the first time an account is not served by the agent.
    fn wallet(&mut self) -> Result<&Wallet, Failure> {
        let wallet = match self.wallet.take() {
            Some(wallet) => wallet,
            None => open_wallet(self.home)?,
        };
        Ok(self.wallet.insert(wallet))
    }
}

/// Runs `command` with `env` added (and the wallet's secret inputs withheld); returns only
/// on failure on Unix, where the command replaces this process.
fn run(command: &[String], env: &[(String, Zeroizing<String>)]) -> Result<(), Failure> {
    let Some((program, args)) = command.split_first() else {
        return Err(usage("no command after `--`"));
    };
    let mut child = std::process::Command::new(program);
    child.args(args);
    for key in WITHHELD {
        child.env_remove(key);
    }
    for (key, value) in env {
        child.env(key, value.as_str());
    }
    let failed = |err: std::io::Error| Failure {
        code: if err.kind() == std::io::ErrorKind::NotFound {
            127
        } else {
            126
        },
        message: format!("could not run {program}: {err}"),
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        Err(failed(child.exec()))
    }
    #[cfg(not(unix))]
    {
        let status = child.status().map_err(failed)?;
        match status.code() {
            Some(0) => Ok(()),
            code => Err(Failure {
                code: code.unwrap_or(1),
                message: String::new(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vars_read_as_written() {
        let var = parse_var("TF_VAR_token=aiq").unwrap();
        assert_eq!(
            (var.name.as_str(), var.account.as_str(), var.what),
            ("TF_VAR_token", "aiq", What::Access)
        );
        assert_eq!(parse_var("H=a:b:header").unwrap().account, "a:b");
        assert_eq!(parse_var("R=aiq:refresh").unwrap().what, What::Refresh);
        for bad in [
            "",
            "aiq",
            "=aiq",
            "1X=aiq",
            "X-Y=aiq",
            "X=",
            "X=aiq:password",
        ] {
            assert!(parse_var(bad).is_err(), "{bad}");
        }
    }
}
