//! A wallet written by the first format (one `accounts.json`, one `secrets.age`) is moved
//! to per-account records on first use, through the CLI binary: the tokens keep working and
//! rotating, the old files stay as backups, a crash at any step of the move loses nothing,
//! and a half-migrated state no move leaves is refused untouched.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Write as _;

use serde_json::{Value, json};
use support::{Home, PASSPHRASE};
use tokenwallet::demo::oauth::{Config, OAuthServer};
use tokenwallet::model::Secret;
use tokenwallet::store::{SecretStore as _, VaultStore};

/// A home holding the demo account in the first format, as the previous version wrote it.
fn first_format_home(server: &OAuthServer) -> Home {
    let home = Home::new();
    home.add_demo_account(server, "demo");
    home.run(&["generate", "demo"]).ok();
    // Read what the current format holds, then write it the old way and remove the new.
    let mut record: Value =
        serde_json::from_str(&std::fs::read_to_string(home.record_path("demo")).unwrap()).unwrap();
    record.as_object_mut().unwrap().remove("order");
    let accounts = json!({ "version": 1, "secret_store": "file", "accounts": [record] });
    std::fs::write(
        home.path().join("accounts.json"),
        serde_json::to_vec_pretty(&accounts).unwrap(),
    )
    .unwrap();
    let vault = VaultStore::open(home.path(), &Secret::new(PASSPHRASE)).unwrap();
    let secrets = vault.load("demo").unwrap().unwrap();
    let legacy = json!({ "version": 1, "accounts": { "demo": secrets } });
    let mut recipient = age::scrypt::Recipient::new(PASSPHRASE.to_owned().into());
    recipient.set_work_factor(10);
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .unwrap();
    let mut sealed = Vec::new();
    let mut writer = encryptor.wrap_output(&mut sealed).unwrap();
    writer.write_all(legacy.to_string().as_bytes()).unwrap();
    writer.finish().unwrap();
    std::fs::write(home.path().join("secrets.age"), sealed).unwrap();
    for folder in ["accounts", "vault"] {
        std::fs::remove_dir_all(home.path().join(folder)).unwrap();
    }
    home
}

fn stored_refresh_token(home: &Home) -> String {
    home.secret("demo", "refresh_token")
}

#[test]
fn a_first_format_wallet_is_migrated_with_backups_and_keeps_rotating() {
    let server = OAuthServer::start(Config::default()).unwrap();
    let home = first_format_home(&server);
    let old = (
        std::fs::read(home.path().join("accounts.json")).unwrap(),
        std::fs::read(home.path().join("secrets.age")).unwrap(),
    );
    let token = home.run(&["token", "demo"]).ok();
    assert!(server.state().access_valid(token.trim()));
    assert_eq!(
        std::fs::read(home.path().join("accounts.json.bak")).unwrap(),
        old.0
    );
    assert_eq!(
        std::fs::read(home.path().join("secrets.age.bak")).unwrap(),
        old.1
    );
    assert!(!home.path().join("accounts.json").exists());
    assert!(!home.path().join("secrets.age").exists());
    home.run(&["refresh", "demo"]).ok();
    assert!(server.state().refresh_valid(&stored_refresh_token(&home)));
    assert_eq!(server.state().reuse_detected, 0);
}

// The crash hook exists only where debug assertions are on (not under `--release`).
#[cfg(debug_assertions)]
#[test]
fn a_crash_at_any_step_of_the_move_loses_nothing() {
    for step in [
        "migrate-accounts-staged",
        "migrate-accounts-renamed",
        "migrate-vault-staged",
        "migrate-vault-renamed",
    ] {
        let server = OAuthServer::start(Config::default()).unwrap();
        let home = first_format_home(&server);
        let run = home.run_env(&["token", "demo"], &[("TOKENWALLET_CRASH_AT", step)]);
        assert_ne!(run.code(), 0, "{step}: the process was to die");
        let token = home.run(&["token", "demo"]).ok();
        assert!(server.state().access_valid(token.trim()), "{step}");
        home.run(&["refresh", "demo"]).ok();
        assert!(
            server.state().refresh_valid(&stored_refresh_token(&home)),
            "{step}"
        );
        assert!(home.path().join("secrets.age.bak").exists(), "{step}");
        assert!(home.path().join("accounts.json.bak").exists(), "{step}");
    }
}

#[test]
fn an_old_file_beside_the_records_that_is_not_the_migrated_one_is_refused() {
    let server = OAuthServer::start(Config::default()).unwrap();
    let home = first_format_home(&server);
    home.run(&["token", "demo"]).ok();
    // An older accounts.json copied back (another account list): which is right is the
    // person's call, not the program's.
    let foreign = r#"{"version": 1, "accounts": []}"#;
    std::fs::write(home.path().join("accounts.json"), foreign).unwrap();
    let before = home.files();
    home.run(&["token", "demo"])
        .fails_saying(1, &["accounts.json", "move", "aside"]);
    assert_eq!(home.files(), before, "nothing was changed");
}
