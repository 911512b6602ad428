//! `team connect`, `team status`, `team sync` and `move`: the team store (OpenBao / Vault)
//! this wallet shares chains through.

use std::path::Path;

use super::args::Place;
use super::{Failure, config, open_wallet};
use crate::team::{Kv, TeamError, TeamSettings};
use crate::wallet::Wallet;

/// What this token may do with each of the wallet's folders, as `team status` says it.
const FOLDERS: [(&str, &str); 4] = [
    ("accounts", "records"),
    ("access", "access tokens"),
    ("chain", "refresh tokens (refreshers only)"),
    ("locks", "refresh leases"),
];

/// Connects to the team store of `settings` with the environment's credentials.
async fn connect(settings: &TeamSettings) -> Result<Kv, Failure> {
    let http = crate::providers::Http::new(config()?.timeout)
        .map_err(crate::wallet::WalletError::HttpSetup)?;
    Ok(Kv::connect(settings, &crate::config::team_credentials(), &http).await?)
}

/// `team connect ADDRESS`: checks that Vault answers to this token, then saves where it is
/// (never the token).
pub(super) async fn team_connect(home: &Path, settings: TeamSettings) -> Result<(), Failure> {
    let kv = connect(&settings).await?;
    let identity = kv.identity().await?;
    crate::store::ensure_home(home)?;
    settings.save(home)?;
    eprintln!(
        "tokenwallet: connected to the team store {} ({}/data/{}), as {} (token accessor {})",
        settings.address, settings.mount, settings.path, identity.display_name, identity.accessor
    );
    Ok(())
}

/// `team status`: who we are to Vault and what we may do with each folder.
pub(super) async fn team_status(home: &Path) -> Result<(), Failure> {
    let settings =
        TeamSettings::load(home).and_then(|settings| settings.ok_or(TeamError::NotConnected))?;
    let kv = connect(&settings).await?;
    let identity = kv.identity().await?;
    let mut out = String::new();
    let mut line = |key: &str, value: &str| {
        use std::fmt::Write as _;
        writeln!(out, "{key:<18} {value}").ok();
    };
    line("address", &settings.address);
    line("folder", kv.logical("").trim_end_matches('/'));
    line("token", &identity.display_name);
    line("accessor", &identity.accessor);
    line("policies", &identity.policies.join(", "));
    line(
        "ttl",
        &if identity.ttl == 0 {
            "never expires".to_owned()
        } else {
            format!(
                "{} s{}",
                identity.ttl,
                if identity.renewable {
                    ", renewable"
                } else {
                    ""
                }
            )
        },
    );
    for (folder, what) in FOLDERS {
        let capabilities = kv.capabilities(&format!("{folder}/*")).await?;
        line(
            &format!("{folder}/"),
            &format!("{} ({what})", capabilities.join(", ")),
        );
    }
    super::print_data(&out);
    Ok(())
}

/// `move NAME --to team|local`.
pub(super) async fn move_account(home: &Path, name: &str, to: Place) -> Result<(), Failure> {
    let wallet = open_wallet(home)?;
    match to {
        Place::Team => {
            let account = wallet
                .move_account(name, true)
                .await
                .map_err(|err| err.for_account(name))?;
            let version = account.team.map_or(0, |mark| mark.chain_version);
            eprintln!(
                "tokenwallet: '{name}' is in the team store now (chain version {version}); no refresh token was spent. The team's other machines take it with `tokenwallet team sync`"
            );
        }
        Place::Local => {
            wallet
                .move_account(name, false)
                .await
                .map_err(|err| err.for_account(name))?;
            eprintln!(
                "tokenwallet: '{name}' is in this wallet alone now, with the team's newest tokens; the team store no longer has it"
            );
        }
    }
    Ok(())
}

/// `add --team` / `import --team`: the account just stored here goes to the team store. A
/// new account the team store refuses is removed again (`remove_on_failure`); an import
/// into an existing one stays here.
pub(super) async fn shared_new(
    wallet: &Wallet,
    name: &str,
    remove_on_failure: bool,
) -> Result<(), Failure> {
    let Err(err) = wallet.move_account(name, true).await else {
        return Ok(());
    };
    let err = err.for_account(name);
    if remove_on_failure {
        if let Err(undo) = wallet.remove(name).await {
            tracing::warn!(account = name, error = %undo, "could not remove the new account");
        }
    } else {
        eprintln!("tokenwallet: '{name}' stays in this wallet alone");
    }
    Err(err.into())
}

/// `team sync`: takes the team accounts this wallet does not have yet.
pub(super) async fn team_sync(home: &Path) -> Result<(), Failure> {
    let wallet = open_wallet(home)?;
    let names = wallet.team_sync().await?;
    if names.is_empty() {
        eprintln!("tokenwallet: this wallet already has every account of the team store");
    } else {
        eprintln!(
            "tokenwallet: took {} account(s) from the team store: {}",
            names.len(),
            names.join(", ")
        );
    }
    Ok(())
}
