//! The command line: a thin front over the wallet. Data goes to stdout, messages to
//! stderr; exit codes 0 ok, 2 usage, 3 needs sign-in, 4 unreachable or 5xx, 1 other.

mod output;
mod signin;
mod words;

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};

use clap::builder::PossibleValuesParser;
use clap::{Args, Parser, Subcommand};
use serde_json::{Value, json};

use crate::export::{ExportFormat, TokenChoice};
use crate::import::{parse_date, read_bounded};
use crate::model::{ClientAuth, Field, Grant, ProviderKind, Secret, decode_jwt};
use crate::providers::{Revoked, spec};
use crate::store::{SecretStoreKind, StoreError, default_home, store_choice_from_env};
use crate::wallet::{AccountFields, ExportRequest, NewAccount, Wallet, WalletError};
use output::{account_json, show_text, summary, table};
pub use words::option as field_option;

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
    /// Write the access token, the refresh token or both out as text, JSON, .env, a header
    /// line or a curl command.
    Export(ExportArgs),
}

/// `export` arguments.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Account name.
    pub name: String,
    /// Which token: access, refresh or both (header and curl carry only the access token).
    #[arg(long, default_value = "access", value_parser = PossibleValuesParser::new(TokenChoice::ALL.map(TokenChoice::id)))]
    pub token: String,
    /// Output format.
    #[arg(long, default_value = "text", value_parser = PossibleValuesParser::new(ExportFormat::ALL.map(ExportFormat::id)))]
    pub format: String,
    /// Write to this file (created 0600) instead of stdout.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Replace what is at --out (atomically; a symlink is replaced, never followed).
    #[arg(long, requires = "out")]
    pub force: bool,
}

/// Where and how to reach the provider.
#[derive(Debug, Args)]
pub struct EndpointArgs {
    /// Provider: active-iq, bluexp, apinizer, aruba-central, oauth2.
    #[arg(long, value_parser = PossibleValuesParser::new(ProviderKind::ALL.map(ProviderKind::id)))]
    pub provider: String,
    /// Base URL (oauth2: the token endpoint).
    #[arg(long)]
    pub url: Option<String>,
    /// Grant: `refresh_token`, `password`, `client_credentials`, `authorization_code`.
    #[arg(long, value_parser = PossibleValuesParser::new(Grant::ALL.map(Grant::id)))]
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
    /// A PEM file of extra CA certificates to trust for this account (behind TLS
    /// inspection), beside the system's store.
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<String>,
    /// Authorization endpoint for `--grant authorization_code` (oauth2; else discovered).
    #[arg(long)]
    pub auth_url: Option<String>,
    /// Device authorization endpoint for `--grant device_code` (oauth2; else discovered).
    #[arg(long)]
    pub device_url: Option<String>,
    /// An exact redirect URI `http://127.0.0.1:PORT/path`, for servers that need a
    /// registered one (default: a random port and `/callback`).
    #[arg(long)]
    pub redirect_uri: Option<String>,
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
            code: words::exit_code(&err),
            message: words::describe(&err),
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
    match runtime.block_on(interruptible(execute(&home, command))) {
        Ok(()) => 0,
        Err(failure) => {
            eprintln!("tokenwallet: {}", failure.message);
            failure.code
        }
    }
}

/// Runs `work`, honouring Ctrl-C at once unless a token request is between sending and
/// storing: the server may have rotated, so its answer is stored first. A second Ctrl-C
/// stops at once.
async fn interruptible(work: impl Future<Output = Result<(), Failure>>) -> Result<(), Failure> {
    let interrupted = || Failure {
        code: 130,
        message: "interrupted".to_owned(),
    };
    tokio::pin!(work);
    tokio::select! {
        result = &mut work => return result,
        _ = tokio::signal::ctrl_c() => {}
    }
    if crate::wallet::requests_in_flight() == 0 {
        return Err(interrupted());
    }
    eprintln!(
        "tokenwallet: saving the new tokens before stopping (Ctrl-C again stops now and may lose them)"
    );
    tokio::select! {
        result = &mut work => result.and(Err(Failure {
            code: 130,
            message: "interrupted; the new tokens were saved first".to_owned(),
        })),
        _ = tokio::signal::ctrl_c() => Err(interrupted()),
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

fn open_wallet(home: &Path) -> Result<Wallet, Failure> {
    let choice = store_choice_from_env()?;
    Ok(Wallet::open(home, choice, &passphrase)?)
}

async fn execute(home: &Path, command: Command) -> Result<(), Failure> {
    match command {
        Command::Add(args) => add(home, &args).await,
        Command::Import(args) => import(home, &args).await,
        Command::Generate { name } => generate(home, &name).await,
        Command::Refresh {
            name: Some(name),
            all: false,
        } => refresh(home, &name).await,
        Command::Refresh { .. } => refresh_all(home).await,
        Command::Revoke { name } => revoke(home, &name).await,
        Command::Remove { name } => remove(home, &name).await,
        Command::Token { name } => token(home, &name).await,
        Command::List { json } => list(home, json),
        Command::Show { name, json } => show(home, &name, json),
        Command::Export(args) => export(home, &args),
    }
}

async fn add(home: &Path, args: &AddArgs) -> Result<(), Failure> {
    let mut fields = fields_from(&args.name, &args.endpoint)?;
    let (provider, grant) = (fields.provider, fields.grant());
    for field in [Field::ClientSecret, Field::Password, Field::RefreshToken] {
        let needed = spec(provider).requires(grant, field);
        let value = secret_input(field, needed)?;
        fields.set(field, value.as_ref().map(Secret::expose));
    }
    let new = fields.build();
    crate::wallet::validate(&new.account, &new.secrets)?;
    let wallet = open_wallet(home)?;
    let account = wallet.add(new).await?;
    eprintln!(
        "tokenwallet: added '{}' ({}); secrets are in the {} store. Next: tokenwallet generate {}",
        account.name,
        account.provider,
        wallet.secret_store_kind().id(),
        account.name
    );
    Ok(())
}

async fn import(home: &Path, args: &ImportArgs) -> Result<(), Failure> {
    let mut fields = fields_from(&args.name, &args.endpoint)?;
    for field in [Field::ClientSecret, Field::Password] {
        fields.set(field, env_secret(field).as_ref().map(Secret::expose));
    }
    let expires_at = args
        .expires_at
        .as_deref()
        .map(parse_date)
        .transpose()
        .map_err(|err| usage(err.to_string()))?;
    let content = if args.file == "-" {
        read_bounded(std::io::stdin().lock())
            .map_err(|err| usage(format!("could not read stdin: {err}")))?
    } else {
        std::fs::File::open(&args.file)
            .map_err(|err| err.to_string())
            .and_then(|file| read_bounded(file).map_err(|err| err.to_string()))
            .map_err(|err| {
                usage(format!(
                    "could not read the import file {}: {err}",
                    args.file
                ))
            })?
    };
    let NewAccount { account, secrets } = fields.build();
    let wallet = open_wallet(home)?;
    let account = wallet
        .import(NewAccount { account, secrets }, &content, expires_at)
        .await?;
    let what = format!("imported '{}' ({})", account.name, account.provider);
    report(&wallet, &what, &account);
    Ok(())
}

/// Says what happened to an account and where its tokens stand now.
fn report(wallet: &Wallet, what: &str, account: &crate::model::Account) {
    eprintln!("tokenwallet: {what}: {}", summary(account, wallet.now()));
}

async fn generate(home: &Path, name: &str) -> Result<(), Failure> {
    let wallet = open_wallet(home)?;
    let account = wallet.sign_in(name, &signin::Terminal).await?;
    report(&wallet, &format!("'{name}' has a new token"), &account);
    Ok(())
}

async fn refresh(home: &Path, name: &str) -> Result<(), Failure> {
    let wallet = open_wallet(home)?;
    let account = wallet.refresh(name).await?;
    report(&wallet, &format!("refreshed '{name}'"), &account);
    Ok(())
}

async fn refresh_all(home: &Path) -> Result<(), Failure> {
    let wallet = open_wallet(home)?;
    let mut worst = 0;
    for (name, result) in wallet.refresh_all().await? {
        match result {
            Ok(account) => report(&wallet, &format!("refreshed '{name}'"), &account),
            Err(err) => {
                worst = worst.max(words::exit_code(&err));
                eprintln!("tokenwallet: {}", words::describe(&err));
            }
        }
    }
    if worst == 0 {
        Ok(())
    } else {
        Err(Failure {
            code: worst,
            message: "some accounts could not be refreshed (see above)".to_owned(),
        })
    }
}

async fn revoke(home: &Path, name: &str) -> Result<(), Failure> {
    let wallet = open_wallet(home)?;
    match wallet.revoke(name).await? {
        Revoked::AtServer => {
            eprintln!(
                "tokenwallet: revoked the tokens of '{name}' at the provider and forgot them"
            );
        }
        Revoked::PortalOnly(how) => eprintln!("tokenwallet: '{name}': {how}"),
    }
    Ok(())
}

async fn remove(home: &Path, name: &str) -> Result<(), Failure> {
    let wallet = open_wallet(home)?;
    wallet.remove(name).await?;
    eprintln!("tokenwallet: removed '{name}' and its secrets");
    Ok(())
}

async fn token(home: &Path, name: &str) -> Result<(), Failure> {
    let wallet = open_wallet(home)?;
    let outcome = wallet.token(name).await?;
    if let Some(warning) = outcome.warning {
        eprintln!(
            "tokenwallet: warning: {} (printed the current token, still valid)",
            words::describe(&warning)
        );
    }
    print_data(&format!("{}\n", outcome.token.expose()));
    Ok(())
}

fn list(home: &Path, json: bool) -> Result<(), Failure> {
    let wallet = Wallet::open(home, Some(SecretStoreKind::Memory), &passphrase)?;
    let now = wallet.now();
    let accounts = wallet.list()?;
    if json {
        let list: Vec<Value> = accounts.iter().map(|a| account_json(a, now)).collect();
        print_data(&format!("{:#}\n", Value::Array(list)));
    } else {
        print_data(&table(&accounts, now));
    }
    Ok(())
}

fn show(home: &Path, name: &str, json: bool) -> Result<(), Failure> {
    let wallet = open_wallet(home)?;
    let (account, secrets) = wallet.secrets(name)?;
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
    Ok(())
}

fn export(home: &Path, args: &ExportArgs) -> Result<(), Failure> {
    let request = ExportRequest {
        format: ExportFormat::from_id(&args.format).ok_or_else(|| usage("unknown format"))?,
        token: TokenChoice::from_id(&args.token).ok_or_else(|| usage("unknown token choice"))?,
    };
    if request.token != TokenChoice::Access
        && matches!(request.format, ExportFormat::Header | ExportFormat::Curl)
    {
        return Err(WalletError::AccessOnly(request.format).into());
    }
    let wallet = open_wallet(home)?;
    let name = &args.name;
    match &args.out {
        Some(path) => {
            wallet.export_to_file(name, request, path, args.force)?;
            eprintln!(
                "tokenwallet: wrote the {} export of '{name}' ({} token{}) to {} (mode 0600)",
                request.format.id(),
                request.token.id(),
                if request.token == TokenChoice::Both {
                    "s"
                } else {
                    ""
                },
                path.display()
            );
        }
        None => print_data(&wallet.export(name, request)?),
    }
    Ok(())
}

fn fields_from(name: &str, args: &EndpointArgs) -> Result<AccountFields, Failure> {
    crate::wallet::validate_name(name)?;
    let provider =
        ProviderKind::from_id(&args.provider).ok_or_else(|| usage("unknown provider"))?;
    let mut fields = AccountFields::new(name, provider);
    fields.grant = match &args.grant {
        Some(grant) => Some(Grant::from_id(grant).ok_or_else(|| usage("unknown grant"))?),
        None => None,
    };
    for (field, value) in [
        (Field::Url, &args.url),
        (Field::ClientId, &args.client_id),
        (Field::Username, &args.username),
        (Field::Scope, &args.scope),
        (Field::Audience, &args.audience),
        (Field::CustomerId, &args.customer_id),
        (Field::RevokeUrl, &args.revoke_url),
        (Field::Issuer, &args.issuer),
        (Field::CaFile, &args.ca_file),
        (Field::AuthUrl, &args.auth_url),
        (Field::DeviceUrl, &args.device_url),
        (Field::RedirectUri, &args.redirect_uri),
    ] {
        fields.set(field, value.as_deref());
    }
    if args.client_auth.as_deref() == Some("post") {
        fields.client_auth = ClientAuth::Post;
    }
    Ok(fields)
}

fn env_secret(field: Field) -> Option<Secret> {
    std::env::var(words::option(field))
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .map(Secret::new)
}

/// A secret from the environment, else (when needed and on a terminal) a hidden prompt.
fn secret_input(field: Field, needed: bool) -> Result<Option<Secret>, Failure> {
    if let Some(secret) = env_secret(field) {
        return Ok(Some(secret));
    }
    if !needed || !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let prompt = field.noun().trim_start_matches("a ");
    let value = rpassword::prompt_password(format!("{prompt}: "))
        .map_err(|err| usage(format!("could not read {field}: {err}")))?;
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
