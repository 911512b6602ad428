//! The command line's arguments, as clap reads them (the man page and the completions are
//! generated from these).

use std::path::PathBuf;

use clap::builder::PossibleValuesParser;
use clap::{Arg, ArgMatches, Args, FromArgMatches, Parser, Subcommand, ValueHint};

use crate::agent;
use crate::export::{ExportFormat, TokenChoice};
use crate::model::{Field, Grant, ProviderKind};

use super::words::{option, taken};

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
    /// Run a command with fresh tokens in its environment: `NAME_ACCESS_TOKEN`,
    /// `NAME_AUTH_HEADER` and `NAME_EXPIRES_AT` for each account (as `export --format env`
    /// names them), and each `--var`. Its exit code is the command's.
    Exec(ExecArgs),
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
    /// The team store (OpenBao / HashiCorp Vault) where a team shares refresh-token chains.
    #[command(subcommand)]
    Team(TeamCommand),
    /// The API behind an account, from its OpenAPI or Swagger spec, called with the
    /// account's token (refreshed first when due).
    #[command(subcommand)]
    Api(ApiCommand),
    /// Move an account into the team store, or out of it into this wallet alone; its
    /// refresh token comes along (none is spent).
    Move {
        /// Account name.
        name: String,
        /// Where to.
        #[arg(long, value_enum)]
        to: Place,
    },
}

/// `api` subcommands.
#[derive(Debug, Subcommand)]
pub enum ApiCommand {
    /// Read an OpenAPI (3.0, 3.1) or Swagger (2.0) spec, JSON or YAML, from a file or an
    /// https:// URL, and keep it as the account's.
    Spec {
        /// Account name.
        name: String,
        /// A file, or an https:// URL (sent without a token).
        source: String,
    },
    /// List the operations of the account's spec, by tag.
    Ops {
        /// Account name.
        name: String,
        /// Words an operation's method, path, id, summary or tag must all contain.
        filter: Vec<String>,
    },
    /// Call an operation: the response body on stdout, the status line on stderr. Exit 0
    /// for a 2xx status, 1 for another, 4 when the server cannot be reached, 2 for a bad
    /// operation or parameter.
    Call {
        /// Account name.
        name: String,
        /// Its operationId, or 'METHOD /path' as the spec writes it.
        operation: String,
        /// A parameter (path, query, header, cookie or form); give a name twice for a list.
        #[arg(long = "param", short = 'p', value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// The request body: JSON text, or @FILE (@- reads stdin).
        #[arg(long, value_name = "JSON|@FILE")]
        data: Option<String>,
        /// The API's base address, instead of the spec's server or the account's.
        #[arg(long, value_name = "URL")]
        server: Option<String>,
        /// Send the token to a host that is not the provider's, and remember it.
        #[arg(long)]
        confirm_host: bool,
    },
}

/// Where an account lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Place {
    /// The team store, shared with the team's other machines.
    Team,
    /// This wallet alone.
    Local,
}

/// `team` subcommands. The Vault token comes from `VAULT_TOKEN` / `BAO_TOKEN` or
/// `~/.vault-token`, or AppRole from `VAULT_ROLE_ID` and `VAULT_SECRET_ID`; never saved.
#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Connect this wallet to a team store (its address, mount and folder are saved; the
    /// token is not).
    Connect {
        /// Vault's address: https://…, or http:// to this machine only.
        address: String,
        /// The KV version 2 engine's mount.
        #[arg(long, default_value = "secret")]
        mount: String,
        /// The wallet's folder in it.
        #[arg(long, default_value = "tokenwallet")]
        path: String,
    },
    /// Who this wallet is to the team store, and what it may do there.
    Status,
    /// Take every team account this wallet does not have yet (with the refresh token where
    /// this machine's policy may read it).
    Sync,
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
#[allow(clippy::struct_excessive_bools)] // each is one command-line switch
pub struct ExportArgs {
    /// Account name.
    #[arg(required_unless_present = "list")]
    pub name: Option<String>,
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
    /// Keep --out fresh: rewritten after every refresh of the account, which the agent
    /// renews before the token gets short.
    #[arg(long, requires = "out", conflicts_with = "stop")]
    pub keep_fresh: bool,
    /// Stop keeping --out fresh (the file stays as it is).
    #[arg(long, requires = "out", conflicts_with_all = ["force", "token", "format"])]
    pub stop: bool,
    /// List the files kept fresh, with their last write and any error.
    #[arg(long, conflicts_with_all = ["name", "out", "keep_fresh", "stop", "force"])]
    pub list: bool,
}

/// `exec` arguments.
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Accounts whose access token, header line and expiry go into the environment.
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// One more variable: `VAR=NAME` (the access token), `VAR=NAME:header` (the header
    /// line) or `VAR=NAME:refresh` (the refresh token, only when asked so).
    #[arg(long = "var", value_name = "VAR=NAME[:access|refresh|header]")]
    pub vars: Vec<String>,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// Where and how to reach the provider.
#[derive(Debug, Args)]
pub struct EndpointArgs {
    /// The provider the account talks to.
    #[arg(long, value_parser = PossibleValuesParser::new(ProviderKind::ids()))]
    pub provider: String,
    /// Grant: `refresh_token`, `password`, `client_credentials`, `authorization_code`.
    #[arg(long, value_parser = PossibleValuesParser::new(Grant::ALL.map(Grant::id)))]
    pub grant: Option<String>,
    /// The account's fields, one option each (`--url`, `--client-id`, …).
    #[command(flatten)]
    pub fields: FieldOptions,
}

/// The account fields given as options, each once: every field the command line takes as
/// an option, named and described by `words::taken`.
#[derive(Clone, Debug, Default)]
pub struct FieldOptions(pub Vec<(Field, String)>);

impl FieldOptions {
    /// The fields taken as options: all but the secrets, which come from the environment
    /// or a prompt.
    fn fields() -> impl Iterator<Item = Field> {
        Field::ALL.into_iter().filter(|field| !field.secret())
    }

    /// The option's name without its dashes, which is also its id in clap's matches.
    fn long(field: Field) -> &'static str {
        option(field).trim_start_matches('-')
    }

    fn arg(field: Field) -> Arg {
        let (_, value, help) = taken(field);
        let long = Self::long(field);
        let arg = Arg::new(long).long(long).value_name(value).help(help);
        if field == Field::ClientAuth {
            return arg.value_parser(["basic", "post"]);
        }
        match value {
            "PATH" => arg.value_hint(ValueHint::FilePath),
            "URL" | "URI" => arg.value_hint(ValueHint::Url),
            _ => arg,
        }
    }
}

impl FromArgMatches for FieldOptions {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut options = Self::default();
        options.update_from_arg_matches(matches)?;
        Ok(options)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        for field in Self::fields() {
            if let Some(value) = matches.get_one::<String>(Self::long(field)) {
                self.0.retain(|(given, _)| *given != field);
                self.0.push((field, value.clone()));
            }
        }
        Ok(())
    }
}

impl Args for FieldOptions {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.args(Self::fields().map(Self::arg))
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

/// `add` arguments.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Account name.
    pub name: String,
    /// Create it in the team store, shared with the team (see `team connect`).
    #[arg(long)]
    pub team: bool,
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
    /// Put the account in the team store, shared with the team (see `team connect`).
    #[arg(long)]
    pub team: bool,
    /// Endpoint options.
    #[command(flatten)]
    pub endpoint: EndpointArgs,
}
