//! `team connect` and `team status`: the team store (OpenBao / Vault) this wallet shares
//! chains through.

use std::path::Path;

use super::{Failure, config};
use crate::team::{Kv, TeamError, TeamSettings};

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
