//! The command line: a thin front over the wallet. Data goes to stdout, messages to
//! stderr; exit codes 0 ok, 2 usage, 3 needs sign-in, 4 unreachable or 5xx, 1 other.

mod api;
mod args;
mod exec;
mod export;
mod output;
mod served;
mod signin;
mod team;
mod words;

use std::io::{IsTerminal as _, Write as _};
use std::path::Path;

use crate::agent;
use crate::config::Config;
use crate::import::{parse_date, read_bounded};
use crate::model::{ClientAuth, Field, Grant, ProviderKind, Secret};
use crate::providers::{Revoked, spec};
use crate::store::{SecretStoreKind, StoreError, default_home};
use crate::wallet::{AccountFields, NewAccount, Wallet, WalletError};
pub use args::{
    AddArgs, Cli, Command, EndpointArgs, ExecArgs, ExportArgs, ImportArgs, TeamCommand,
};
use output::{Shape, summary};
pub use served::{CliWording, token_through_agent};
use served::{NO_AGENT, run_agent, served, unlock};
pub use words::option as field_option;
use zeroize::Zeroizing;

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

impl From<crate::team::TeamError> for Failure {
    fn from(err: crate::team::TeamError) -> Self {
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

/// The settings from the environment, read once per process.
fn config() -> Result<&'static Config, Failure> {
    static CONFIG: std::sync::OnceLock<Config> = std::sync::OnceLock::new();
    if let Some(config) = CONFIG.get() {
        return Ok(config);
    }
    let config = Config::from_env()?;
    Ok(CONFIG.get_or_init(|| config))
}

fn open_wallet(home: &Path) -> Result<Wallet, Failure> {
    Ok(Wallet::open(home, config()?, &passphrase)?)
}

/// The wallet's records alone, for what needs no secret (the list, kept files, a spec): no
/// secret store is opened, no passphrase asked.
fn open_records(home: &Path) -> Result<Wallet, Failure> {
    let config = config()?.using(SecretStoreKind::Memory);
    Ok(Wallet::open(home, &config, &passphrase)?)
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
            let request = agent::Request::Token { name };
            served(home, request, Shape::default(), || open_wallet(home)).await
        }
        Command::List { json } => {
            // The list reads metadata only.
            let open = || open_records(home);
            served(home, agent::Request::List, Shape { json }, open).await
        }
        Command::Show { name, json } => {
            let request = agent::Request::Show { name };
            served(home, request, Shape { json }, || open_wallet(home)).await
        }
        Command::Export(args) => export::export(home, &args).await,
        Command::Exec(args) => exec::exec(home, &args).await,
        Command::Agent => run_agent(home).await,
        Command::Unlock { duration } => unlock(home, duration),
        Command::Team(TeamCommand::Connect {
            address,
            mount,
            path,
        }) => {
            let settings = crate::team::TeamSettings {
                address,
                mount: mount.trim_matches('/').to_owned(),
                path: path.trim_matches('/').to_owned(),
            };
            team::team_connect(home, settings).await
        }
        Command::Team(TeamCommand::Status) => team::team_status(home).await,
        Command::Team(TeamCommand::Sync) => team::team_sync(home).await,
        Command::Api(command) => api::api(home, command).await,
        Command::Move { name, to } => team::move_account(home, &name, to).await,
        Command::Lock => {
            let request = agent::Request::Lock;
            served(home, request, Shape::default(), || Err(usage(NO_AGENT))).await
        }
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
    if args.team {
        team::shared_new(&wallet, &account.name, true).await?;
    }
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
    if args.team {
        team::shared_new(&wallet, &account.name, false).await?;
    }
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
    let removed = wallet.remove(name).await?;
    eprintln!("tokenwallet: removed '{name}' and its secrets");
    if let Some(files) = crate::model::left_behind(&removed.kept_files) {
        eprintln!("tokenwallet: {files}");
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
    for (field, value) in &args.fields.0 {
        match field {
            Field::ClientAuth if value == "post" => fields.client_auth = ClientAuth::Post,
            Field::ClientAuth => {}
            _ => fields.set(*field, Some(value)),
        }
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
