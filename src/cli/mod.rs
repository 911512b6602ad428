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

use crate::agent;
use crate::export::{ExportFormat, TokenChoice};
use crate::import::{parse_date, read_bounded};
use crate::model::{ClientAuth, Field, Grant, ProviderKind, Secret, decode_jwt};
use crate::providers::{Revoked, spec};
use crate::store::{SecretStoreKind, StoreError, default_home, store_choice_from_env};
use crate::wallet::{AccountFields, ExportRequest, NewAccount, Wallet, WalletError};
use output::{account_json, show_text, summary, table};
pub use words::option as field_option;
use zeroize::Zeroizing;

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
        /// With --all: how many refreshes run at once (at most 4 against one provider host).
        #[arg(long, requires = "all", default_value_t = crate::wallet::DEFAULT_JOBS, value_parser = parse_jobs)]
        jobs: usize,
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
    /// Serve the wallet to this user's other tokenwallet commands until stopped (Ctrl-C):
    /// `token` answers in milliseconds, and one process refreshes.
    Agent,
    /// Give the vault passphrase to the running agent, which keeps the key in memory for
    /// the time given (`TOKENWALLET_PASSPHRASE` or a prompt).
    Unlock {
        /// How long: 90s, 30m, 8h, 2d.
        #[arg(long = "for", value_name = "DURATION", default_value = "8h", value_parser = parse_for)]
        duration: u64,
    },
    /// Make the running agent forget the vault key.
    Lock,
}

fn parse_jobs(text: &str) -> Result<usize, String> {
    text.parse::<usize>()
        .ok()
        .filter(|n| (1..=256).contains(n))
        .ok_or_else(|| format!("'{text}' is not a number of jobs from 1 to 256"))
}

fn parse_for(text: &str) -> Result<u64, String> {
    agent::parse_duration(text)
        .ok_or_else(|| format!("'{text}' is not a duration such as 90s, 30m, 8h or 2d"))
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

/// A failure with its exit code (an empty message: already said).
#[derive(Debug)]
struct Failure {
    code: i32,
    message: String,
}

/// What a command prints: data for stdout (wiped when dropped: it may be a token), whole
/// message lines for stderr.
#[derive(Debug, Default)]
struct Printed {
    stdout: Zeroizing<String>,
    stderr: String,
}

impl Printed {
    fn data(stdout: impl Into<Zeroizing<String>>) -> Self {
        Self {
            stdout: stdout.into(),
            stderr: String::new(),
        }
    }

    fn show(self) {
        print_data(&self.stdout);
        eprint!("{}", self.stderr);
    }
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

/// `token NAME` answered by the agent before anything else starts (the argument parser,
/// logging, a runtime): for scripts that call it in a loop, the agent's answer is the whole
/// work. `None`: no agent answered, or the arguments are anything else; go the full way.
pub fn token_through_agent() -> Option<i32> {
    let mut args = std::env::args_os().skip(1);
    let mut home = None;
    let mut first = args.next()?;
    if first == "--home" {
        home = Some(PathBuf::from(args.next()?));
        first = args.next()?;
    } else if let Some(dir) = first.to_str()?.strip_prefix("--home=") {
        home = Some(PathBuf::from(dir));
        first = args.next()?;
    }
    let name = args.next()?.into_string().ok()?;
    if first != "token" || name.starts_with('-') || args.next().is_some() {
        return None;
    }
    let home = home
        .or_else(|| std::env::var_os("TOKENWALLET_HOME").map(PathBuf::from))
        .filter(|home| !home.as_os_str().is_empty())
        .unwrap_or_else(default_home);
    match agent::ask(&home, &agent::Request::Token { name }) {
        Ok(Some(agent::Reply::Done {
            stdout,
            stderr,
            code,
        })) => {
            Printed { stdout, stderr }.show();
            Some(code)
        }
        _ => None,
    }
}

/// Runs the command line and returns the exit code.
pub fn run(cli: Cli) -> i32 {
    let Some(command) = cli.command else {
        return 0;
    };
    let home = cli.home.unwrap_or_else(default_home);
    // The agent and `refresh --all` run many requests at once, each with its own blocking
    // file writes: they get threads. Everything else is one request on one thread.
    let threaded = matches!(command, Command::Agent | Command::Refresh { all: true, .. });
    let mut builder = if threaded {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("tokenwallet: could not start: {err}");
            return 1;
        }
    };
    match runtime.block_on(interruptible(execute(&home, command))) {
        Ok(()) => 0,
        Err(failure) => {
            if !failure.message.is_empty() {
                eprintln!("tokenwallet: {}", failure.message);
            }
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
            ..
        } => refresh(home, &name).await,
        Command::Refresh { jobs, .. } => refresh_all(home, jobs).await,
        Command::Revoke { name } => revoke(home, &name).await,
        Command::Remove { name } => remove(home, &name).await,
        Command::Token { name } => {
            let request = agent::Request::Token { name: name.clone() };
            served(home, request, async || {
                token(&open_wallet(home)?, &name).await
            })
            .await
        }
        Command::List { json } => {
            let direct = async || {
                // The list reads metadata only: no secret store is opened.
                let store = Some(SecretStoreKind::Memory);
                list(&Wallet::open(home, store, &passphrase)?, json)
            };
            served(home, agent::Request::List { json }, direct).await
        }
        Command::Show { name, json } => {
            let request = agent::Request::Show {
                name: name.clone(),
                json,
            };
            served(home, request, async || {
                show(&open_wallet(home)?, &name, json)
            })
            .await
        }
        Command::Export(args) => export(home, &args).await,
        Command::Agent => run_agent(home).await,
        Command::Unlock { duration } => unlock(home, duration),
        Command::Lock => {
            let request = agent::Request::Lock;
            served(home, request, async || Err(usage(NO_AGENT))).await
        }
    }
}

/// Said when `unlock` or `lock` finds no agent.
const NO_AGENT: &str = "no agent is running for this wallet: start one with `tokenwallet agent` (or open the window), then unlock";

/// Prints what a command run by the agent printed, and ends with its exit code (its
/// message is already in `stderr`).
fn replay(stdout: Zeroizing<String>, stderr: String, code: i32) -> Result<(), Failure> {
    Printed { stdout, stderr }.show();
    if code == 0 {
        Ok(())
    } else {
        Err(Failure {
            code,
            message: String::new(),
        })
    }
}

/// Runs a command through the agent when one answers (same output, same exit code), else
/// with `direct`, which opens the wallet here.
async fn served(
    home: &Path,
    request: agent::Request,
    direct: impl AsyncFnOnce() -> Result<Printed, Failure>,
) -> Result<(), Failure> {
    match agent::ask(home, &request) {
        Ok(Some(agent::Reply::Done {
            stdout,
            stderr,
            code,
        })) => return replay(stdout, stderr, code),
        // A locked vault: this process may still have the passphrase (or a terminal).
        Ok(Some(agent::Reply::Locked) | None) => {}
        Err(warning) => eprintln!("tokenwallet: warning: {warning}; opening the wallet here"),
    }
    direct().await?.show();
    Ok(())
}

/// The command line as the agent's host: the agent (`tokenwallet agent`, or the window)
/// answers its callers with the code and the words of a direct call.
pub struct AgentHost;

impl agent::Host for AgentHost {
    fn serve<'a>(
        &'a self,
        wallet: &'a Wallet,
        request: agent::Request,
    ) -> std::pin::Pin<Box<dyn Future<Output = agent::Reply> + Send + 'a>> {
        Box::pin(serve_command(wallet, request))
    }

    fn describe(&self, err: &WalletError) -> (i32, String) {
        (words::exit_code(err), words::describe(err))
    }
}

/// Runs a command the agent serves, with the agent's open wallet: what it would print
/// here, and its exit code.
async fn serve_command(wallet: &Wallet, request: agent::Request) -> agent::Reply {
    let result = match request {
        agent::Request::Token { name } => token(wallet, &name).await,
        agent::Request::List { json } => list(wallet, json),
        agent::Request::Show { name, json } => show(wallet, &name, json),
        agent::Request::Export {
            name,
            token,
            format,
        } => export_request(&format, &token)
            .and_then(|request| Ok(Printed::data(wallet.export(&name, request)?))),
        agent::Request::Unlock { .. } | agent::Request::Lock => {
            Err(usage("the agent answers unlock and lock itself"))
        }
    };
    match result {
        Ok(Printed { stdout, stderr }) => agent::Reply::Done {
            stdout,
            stderr,
            code: 0,
        },
        Err(failure) => agent::Reply::message(failure.code, failure.message),
    }
}

/// `tokenwallet agent`: serves until Ctrl-C, then waits for a refresh in flight.
async fn run_agent(home: &Path) -> Result<(), Failure> {
    let kind = crate::store::store_kind(home, store_choice_from_env()?)?;
    // A vault waits for `unlock`; the other stores need no passphrase.
    let wallet = match kind {
        SecretStoreKind::File => None,
        _ => Some(std::sync::Arc::new(open_wallet(home)?.with_access_cache())),
    };
    let state = std::sync::Arc::new(agent::State::new(
        home,
        wallet,
        std::sync::Arc::new(AgentHost),
    ));
    let socket = agent::socket_path(home);
    let ready = || {
        eprintln!(
            "tokenwallet: the agent serves {} on {}{}",
            home.display(),
            socket.display(),
            if kind == SecretStoreKind::File {
                "; the vault is locked: run `tokenwallet unlock`"
            } else {
                ""
            }
        );
    };
    let result = tokio::select! {
        served = agent::serve(home, state, ready) => served.map_err(|message| Failure { code: 1, message }),
        () = stop_requested() => Ok(()),
    };
    // However the agent stops, a refresh in flight stores its answer first: the server may
    // already have rotated.
    let waited = tokio::task::spawn_blocking(|| {
        crate::wallet::wait_for_requests_in_flight(std::time::Duration::from_mins(1))
    });
    waited.await.ok();
    if result.is_ok() {
        eprintln!("tokenwallet: the agent stopped");
    }
    result
}

/// Resolves at Ctrl-C, or on Unix at SIGTERM: what a service manager (the systemd user
/// unit) and `kill` send. Either way the agent stops the same way: it lets a refresh in
/// flight finish, then removes its socket.
async fn stop_requested() {
    #[cfg(unix)]
    if let Ok(mut terminate) =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        return;
    }
    tokio::signal::ctrl_c().await.ok();
}

/// `tokenwallet unlock`: hands the passphrase to the agent, never to a file.
fn unlock(home: &Path, seconds: u64) -> Result<(), Failure> {
    let path = agent::socket_path(home);
    if std::fs::symlink_metadata(&path).is_err() {
        return Err(usage(NO_AGENT));
    }
    let secret = passphrase(false)?;
    let request = agent::Request::Unlock {
        passphrase: Zeroizing::new(secret.expose().to_owned()),
        seconds,
    };
    match agent::ask(home, &request) {
        Ok(Some(agent::Reply::Done {
            stdout,
            stderr,
            code,
        })) => replay(stdout, stderr, code),
        Ok(Some(agent::Reply::Locked) | None) => Err(usage(NO_AGENT)),
        Err(message) => Err(Failure { code: 1, message }),
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

async fn refresh_all(home: &Path, jobs: usize) -> Result<(), Failure> {
    let wallet = std::sync::Arc::new(open_wallet(home)?);
    let mut worst = 0;
    for (name, result) in wallet.refresh_all(jobs).await? {
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

async fn token(wallet: &Wallet, name: &str) -> Result<Printed, Failure> {
    let outcome = wallet.token(name).await?;
    let stderr = outcome.warning.map_or_else(String::new, |warning| {
        format!(
            "tokenwallet: warning: {} (printed the current token, still valid)\n",
            words::describe(&warning)
        )
    });
    let token = outcome.token.expose();
    // Sized once: a growing string would leave copies of the token behind in freed memory.
    let mut stdout = Zeroizing::new(String::with_capacity(token.len() + 1));
    stdout.push_str(token);
    stdout.push('\n');
    Ok(Printed { stdout, stderr })
}

fn list(wallet: &Wallet, json: bool) -> Result<Printed, Failure> {
    let now = wallet.now();
    let accounts = wallet.list()?;
    Ok(Printed::data(if json {
        let list: Vec<Value> = accounts.iter().map(|a| account_json(a, now)).collect();
        format!("{:#}\n", Value::Array(list))
    } else {
        table(&accounts, now)
    }))
}

fn show(wallet: &Wallet, name: &str, json: bool) -> Result<Printed, Failure> {
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
    Ok(Printed::data(if json {
        format!("{object:#}\n")
    } else {
        show_text(&account, &object, now)
    }))
}

fn export_request(format: &str, token: &str) -> Result<ExportRequest, Failure> {
    let request = ExportRequest {
        format: ExportFormat::from_id(format).ok_or_else(|| usage("unknown format"))?,
        token: TokenChoice::from_id(token).ok_or_else(|| usage("unknown token choice"))?,
    };
    if request.token != TokenChoice::Access
        && matches!(request.format, ExportFormat::Header | ExportFormat::Curl)
    {
        return Err(WalletError::AccessOnly(request.format).into());
    }
    Ok(request)
}

async fn export(home: &Path, args: &ExportArgs) -> Result<(), Failure> {
    let request = export_request(&args.format, &args.token)?;
    let name = &args.name;
    let ask = agent::Request::Export {
        name: name.clone(),
        token: args.token.clone(),
        format: args.format.clone(),
    };
    let Some(path) = &args.out else {
        let direct = async || Ok(Printed::data(open_wallet(home)?.export(name, request)?));
        return served(home, ask, direct).await;
    };
    // To a file: the text comes from the agent or the wallet; this process writes it, so
    // the path means what it means here.
    let text = match agent::ask(home, &ask) {
        Ok(Some(agent::Reply::Done {
            stdout, code: 0, ..
        })) => stdout,
        Ok(Some(agent::Reply::Done { stderr, code, .. })) => {
            return replay(Zeroizing::default(), stderr, code);
        }
        Ok(Some(agent::Reply::Locked) | None) | Err(_) => {
            open_wallet(home)?.export(name, request)?
        }
    };
    if args.force {
        crate::store::write_atomic(path, text.as_bytes())?;
    } else {
        crate::store::write_new_private(path, text.as_bytes())?;
    }
    let plural = if request.token == TokenChoice::Both {
        "s"
    } else {
        ""
    };
    eprintln!(
        "tokenwallet: wrote the {} export of '{name}' ({} token{plural}) to {} (mode 0600)",
        request.format.id(),
        request.token.id(),
        path.display()
    );
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
