//! The command line: a thin front over the wallet. Data goes to stdout, messages to
//! stderr; exit codes 0 ok, 2 usage, 3 needs sign-in, 4 unreachable or 5xx, 1 other.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use chrono::{DateTime, SecondsFormat, Utc};
use clap::{Args, Parser, Subcommand};
use serde_json::{Value, json};

use crate::export::{ExportFormat, render};
use crate::import::parse_date;
use crate::model::{
    Account, ClientAuth, Grant, ProviderKind, Secret, Secrets, decode_jwt, format_countdown,
};
use crate::providers::{Revoked, spec};
use crate::store::{SecretStoreKind, StoreError, default_home, write_private};
use crate::wallet::{NewAccount, Wallet, WalletError, required};

/// tokenwallet: a wallet for API access tokens. Without a command it opens the window.
#[derive(Debug, Parser)]
#[command(name = "tokenwallet", version, about, long_about = None)]
pub struct Cli {
    /// Data directory (default: the platform's data dir; env `TOKENWALLET_HOME`).
    #[arg(long, global = true, env = "TOKENWALLET_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// What to do; none opens the desktop window.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add an account (secrets from `TOKENWALLET_CLIENT_SECRET`, `_PASSWORD`, `_REFRESH_TOKEN` or a prompt).
    Add(AddArgs),
    /// Import a token file downloaded from a portal (`-` reads stdin).
    Import(ImportArgs),
    /// Obtain a brand new token set.
    Generate {
        /// Account name.
        name: String,
    },
    /// Renew the access token (one account, or --all).
    Refresh {
        /// Account name.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        name: Option<String>,
        /// Refresh every account that can be renewed without you.
        #[arg(long)]
        all: bool,
    },
    /// Revoke the tokens at the provider (where it has an API) and forget them.
    Revoke {
        /// Account name.
        name: String,
    },
    /// Delete the account and its secrets.
    Remove {
        /// Account name.
        name: String,
    },
    /// Print a valid access token (refreshed first when needed) and nothing else.
    Token {
        /// Account name.
        name: String,
    },
    /// List the accounts.
    List {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Show one account (never a secret).
    Show {
        /// Account name.
        name: String,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Write the token out as text, JSON, .env, a header line or a curl command.
    Export {
        /// Account name.
        name: String,
        /// Output format.
        #[arg(long, default_value = "text", value_parser = ["text", "json", "env", "header", "curl"])]
        format: String,
        /// Write to this file (created 0600) instead of stdout.
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
    },
}

/// Where and how to reach the provider.
#[derive(Debug, Args)]
pub struct EndpointArgs {
    /// Provider: active-iq, bluexp, apinizer, aruba-central, oauth2.
    #[arg(long, value_parser = ["active-iq", "bluexp", "apinizer", "aruba-central", "oauth2"])]
    pub provider: String,
    /// Base URL (oauth2: the token endpoint).
    #[arg(long)]
    pub url: Option<String>,
    /// Grant: `refresh_token`, `password`, `client_credentials`, `authorization_code`.
    #[arg(long, value_parser = ["refresh_token", "password", "client_credentials", "authorization_code"])]
    pub grant: Option<String>,
    /// OAuth client id.
    #[arg(long)]
    pub client_id: Option<String>,
    /// Username.
    #[arg(long)]
    pub username: Option<String>,
    /// Scope to request.
    #[arg(long)]
    pub scope: Option<String>,
    /// Audience to request.
    #[arg(long)]
    pub audience: Option<String>,
    /// Aruba Central customer id.
    #[arg(long)]
    pub customer_id: Option<String>,
    /// RFC 7009 revocation endpoint (oauth2).
    #[arg(long)]
    pub revoke_url: Option<String>,
    /// Issuer to discover the endpoints from (oauth2).
    #[arg(long)]
    pub issuer: Option<String>,
    /// Client authentication: basic or post.
    #[arg(long, value_parser = ["basic", "post"])]
    pub client_auth: Option<String>,
}

/// `add` arguments.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Account name.
    pub name: String,
    /// Endpoint options.
    #[command(flatten)]
    pub endpoint: EndpointArgs,
}

/// `import` arguments.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Account name.
    pub name: String,
    /// The downloaded file, or `-` for stdin.
    #[arg(long, value_name = "PATH")]
    pub file: String,
    /// Expiry of a token whose file does not say (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_name = "DATE")]
    pub expires_at: Option<String>,
    /// Endpoint options.
    #[command(flatten)]
    pub endpoint: EndpointArgs,
}

/// A failure with its exit code.
#[derive(Debug)]
struct Failure {
    code: i32,
    message: String,
}

impl From<WalletError> for Failure {
    fn from(err: WalletError) -> Self {
        Self {
            code: err.exit_code(),
            message: err.to_string(),
        }
    }
}

impl From<StoreError> for Failure {
    fn from(err: StoreError) -> Self {
        WalletError::from(err).into()
    }
}

fn usage(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

/// Runs the command line and returns the exit code.
pub fn run(cli: Cli) -> i32 {
    let Some(command) = cli.command else {
        return 0;
    };
    let home = cli.home.unwrap_or_else(default_home);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("tokenwallet: could not start: {err}");
            return 1;
        }
    };
    match runtime.block_on(execute(&home, command)) {
        Ok(()) => 0,
        Err(failure) => {
            eprintln!("tokenwallet: {}", failure.message);
            failure.code
        }
    }
}

/// The secret store from `TOKENWALLET_SECRET_STORE`, if set.
pub fn store_choice() -> Result<Option<SecretStoreKind>, String> {
    match std::env::var("TOKENWALLET_SECRET_STORE") {
        Ok(value) if !value.trim().is_empty() => {
            SecretStoreKind::from_id(&value).map(Some).ok_or_else(|| {
                format!("TOKENWALLET_SECRET_STORE must be keyring, file or memory, not '{value}'")
            })
        }
        _ => Ok(None),
    }
}

/// The vault passphrase from `TOKENWALLET_PASSPHRASE`, else a terminal prompt.
fn passphrase(new_vault: bool) -> Result<Secret, StoreError> {
    if let Ok(value) = std::env::var("TOKENWALLET_PASSPHRASE") {
        return Ok(Secret::new(value));
    }
    if !std::io::stdin().is_terminal() {
        return Err(StoreError::NoPassphrase);
    }
    let ask = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .map(Secret::new)
            .map_err(|_| StoreError::NoPassphrase)
    };
    let first = ask(if new_vault {
        "New vault passphrase: "
    } else {
        "Vault passphrase: "
    })?;
    if new_vault && ask("Repeat the passphrase: ")? != first {
        eprintln!("tokenwallet: the two passphrases differ");
        return Err(StoreError::NoPassphrase);
    }
    Ok(first)
}

fn open_wallet(home: &std::path::Path) -> Result<Wallet, Failure> {
    let choice = store_choice().map_err(usage)?;
    Ok(Wallet::open(home, choice, &passphrase)?)
}

async fn execute(home: &std::path::Path, command: Command) -> Result<(), Failure> {
    match command {
        Command::Add(args) => {
            let account = account_from(&args.name, &args.endpoint)?;
            let needs = required(account.provider, account.grant);
            let secrets = Secrets {
                client_secret: secret_input(
                    "TOKENWALLET_CLIENT_SECRET",
                    "Client secret",
                    needs.client_secret,
                )?,
                password: secret_input("TOKENWALLET_PASSWORD", "Password", needs.password)?,
                refresh_token: secret_input(
                    "TOKENWALLET_REFRESH_TOKEN",
                    "Refresh token",
                    needs.refresh_token,
                )?,
                ..Secrets::default()
            };
            crate::wallet::validate(&account, &secrets)?;
            let wallet = open_wallet(home)?;
            let account = wallet.add(NewAccount { account, secrets }).await?;
            eprintln!(
                "tokenwallet: added '{}' ({}); secrets are in the {} store. Next: tokenwallet generate {}",
                account.name,
                account.provider,
                wallet.secret_store_kind().id(),
                account.name
            );
        }
        Command::Import(args) => {
            let account = account_from(&args.name, &args.endpoint)?;
            let expires_at = args
                .expires_at
                .as_deref()
                .map(parse_date)
                .transpose()
                .map_err(|err| usage(err.to_string()))?;
            let content = if args.file == "-" {
                std::io::read_to_string(std::io::stdin())
                    .map_err(|err| usage(format!("could not read stdin: {err}")))?
            } else {
                std::fs::read_to_string(&args.file).map_err(|err| {
                    usage(format!(
                        "could not read the import file {}: {err}",
                        args.file
                    ))
                })?
            };
            let secrets = Secrets {
                client_secret: env_secret("TOKENWALLET_CLIENT_SECRET"),
                password: env_secret("TOKENWALLET_PASSWORD"),
                ..Secrets::default()
            };
            let wallet = open_wallet(home)?;
            let account = wallet
                .import(NewAccount { account, secrets }, &content, expires_at)
                .await?;
            eprintln!(
                "tokenwallet: imported '{}' ({}): {}",
                account.name,
                account.provider,
                summary(&account, wallet.now())
            );
        }
        Command::Generate { name } => {
            let wallet = open_wallet(home)?;
            let account = wallet.generate(&name).await?;
            eprintln!(
                "tokenwallet: '{}' has a new token: {}",
                account.name,
                summary(&account, wallet.now())
            );
        }
        Command::Refresh { name, all } => {
            let wallet = open_wallet(home)?;
            if all {
                let mut worst = 0;
                for (name, result) in wallet.refresh_all().await? {
                    match result {
                        Ok(account) => eprintln!(
                            "tokenwallet: refreshed '{name}': {}",
                            summary(&account, wallet.now())
                        ),
                        Err(err) => {
                            worst = worst.max(err.exit_code());
                            eprintln!("tokenwallet: {err}");
                        }
                    }
                }
                if worst != 0 {
                    return Err(Failure {
                        code: worst,
                        message: "some accounts could not be refreshed (see above)".to_owned(),
                    });
                }
            } else if let Some(name) = name {
                let account = wallet.refresh(&name).await?;
                eprintln!(
                    "tokenwallet: refreshed '{}': {}",
                    account.name,
                    summary(&account, wallet.now())
                );
            }
        }
        Command::Revoke { name } => {
            let wallet = open_wallet(home)?;
            match wallet.revoke(&name).await? {
                Revoked::AtServer => eprintln!(
                    "tokenwallet: revoked the tokens of '{name}' at the provider and forgot them"
                ),
                Revoked::PortalOnly(how) => eprintln!("tokenwallet: '{name}': {how}"),
            }
        }
        Command::Remove { name } => {
            let wallet = open_wallet(home)?;
            wallet.remove(&name).await?;
            eprintln!("tokenwallet: removed '{name}' and its secrets");
        }
        Command::Token { name } => {
            let wallet = open_wallet(home)?;
            let outcome = wallet.token(&name).await?;
            if let Some(warning) = outcome.warning {
                eprintln!("tokenwallet: warning: {warning}");
            }
            print_data(&format!("{}\n", outcome.token.expose()));
        }
        Command::List { json } => {
            let wallet = Wallet::open(home, Some(SecretStoreKind::Memory), &passphrase)?;
            let now = wallet.now();
            let accounts = wallet.list()?;
            if json {
                let list: Vec<Value> = accounts.iter().map(|a| account_json(a, now)).collect();
                print_data(&format!("{:#}\n", Value::Array(list)));
            } else {
                print_data(&table(&accounts, now));
            }
        }
        Command::Show { name, json } => {
            let wallet = open_wallet(home)?;
            let (account, secrets) = wallet.secrets(&name)?;
            let now = wallet.now();
            let mut object = account_json(&account, now);
            if let Some(jwt) = secrets
                .access_token
                .as_ref()
                .and_then(|t| decode_jwt(t.expose()))
            {
                object["claims"] = json!({ "header": jwt.header, "payload": jwt.payload });
            }
            drop(secrets);
            if json {
                print_data(&format!("{object:#}\n"));
            } else {
                print_data(&show_text(&account, &object, now));
            }
        }
        Command::Export { name, format, out } => {
            let format = ExportFormat::from_id(&format).ok_or_else(|| usage("unknown format"))?;
            let wallet = open_wallet(home)?;
            let (account, secrets) = wallet.secrets(&name)?;
            let text = render(&account, &secrets, format).ok_or_else(|| Failure {
                code: 1,
                message: format!("account '{name}' ({}) has no access token yet; run tokenwallet generate {name}", account.provider),
            })?;
            match out {
                Some(path) => {
                    write_private(&path, text.as_bytes())?;
                    eprintln!(
                        "tokenwallet: wrote the {} export of '{name}' to {} (mode 0600)",
                        format.id(),
                        path.display()
                    );
                }
                None => print_data(&text),
            }
        }
    }
    Ok(())
}

fn account_from(name: &str, args: &EndpointArgs) -> Result<Account, Failure> {
    crate::wallet::validate_name(name)?;
    let provider =
        ProviderKind::from_id(&args.provider).ok_or_else(|| usage("unknown provider"))?;
    let grant = match &args.grant {
        Some(grant) => Grant::from_id(grant).ok_or_else(|| usage("unknown grant"))?,
        None => spec(provider).grants[0],
    };
    let mut account = Account::new(name, provider, grant);
    let clean = |value: &Option<String>| {
        value
            .as_ref()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    account.url = clean(&args.url);
    account.client_id = clean(&args.client_id);
    account.username = clean(&args.username);
    account.scope = clean(&args.scope);
    account.audience = clean(&args.audience);
    account.customer_id = clean(&args.customer_id);
    account.revoke_url = clean(&args.revoke_url);
    account.issuer = clean(&args.issuer);
    if args.client_auth.as_deref() == Some("post") {
        account.client_auth = ClientAuth::Post;
    }
    Ok(account)
}

fn env_secret(var: &str) -> Option<Secret> {
    std::env::var(var)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .map(Secret::new)
}

/// A secret from the environment, else (when needed and on a terminal) a hidden prompt.
fn secret_input(var: &str, prompt: &str, needed: bool) -> Result<Option<Secret>, Failure> {
    if let Some(secret) = env_secret(var) {
        return Ok(Some(secret));
    }
    if !needed || !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let value = rpassword::prompt_password(format!("{prompt}: "))
        .map_err(|err| usage(format!("could not read the {prompt}: {err}")))?;
    Ok(Some(Secret::new(value.trim())).filter(|s| !s.is_empty()))
}

/// Writes data to stdout; a closed pipe (`| head`) is a normal end.
fn print_data(text: &str) {
    let mut stdout = std::io::stdout().lock();
    if let Err(err) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        && err.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("tokenwallet: could not write to stdout: {err}");
    }
}

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
    })
}

fn countdown(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    at.map_or_else(|| "-".to_owned(), |at| format_countdown(at - now))
}

fn summary(account: &Account, now: DateTime<Utc>) -> String {
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

fn table(accounts: &[Account], now: DateTime<Utc>) -> String {
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

fn show_text(account: &Account, object: &Value, now: DateTime<Utc>) -> String {
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
