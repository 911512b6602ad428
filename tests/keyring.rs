//! The OS keyring store for real: the Secret Service of gnome-keyring on a private D-Bus
//! session, driven through the CLI binary. These need a running, unlocked Secret Service,
//! so plain `cargo test` skips them; `scripts/keyring-tests.sh` (run by `.ci/run`) starts
//! one and runs them with `--ignored`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Child;
use std::time::Duration;

use support::Home;
use tokenwallet::demo::oauth::{Config, OAuthServer};
use tokenwallet::store::{KeyringStore, SecretStore as _};

/// The ignore reason: these need a real OS keyring.
const NEEDS: &str = "needs a Secret Service: run scripts/keyring-tests.sh";

/// A home with no store chosen: the wallet must pick the keyring because one answers.
fn keyring_home() -> Home {
    assert!(KeyringStore::reachable(), "{NEEDS}");
    let mut home = Home::new();
    home.unset_env("TOKENWALLET_SECRET_STORE");
    home.unset_env("TOKENWALLET_PASSPHRASE");
    home
}

/// A demo OAuth server and a keyring home.
fn keyring_demo() -> (OAuthServer, Home) {
    (
        OAuthServer::start(Config::default()).unwrap(),
        keyring_home(),
    )
}

#[test]
#[ignore = "needs a Secret Service: run scripts/keyring-tests.sh"]
fn the_keyring_is_the_default_and_holds_every_secret() {
    let (server, home) = keyring_demo();
    home.add_demo_account(&server, "demo");
    home.run(&["generate", "demo"]).ok();
    let token = home.run(&["token", "demo"]).ok();
    assert!(server.state().access_valid(token.trim()));

    // The secrets are in the keyring entry of this home, and in no file.
    let keyring = KeyringStore::new(home.path());
    let stored = keyring.load("demo").unwrap().expect("a keyring entry");
    assert_eq!(stored.access_token.as_ref().unwrap().expose(), token.trim());
    let refresh = stored.refresh_token.as_ref().unwrap().expose().to_owned();
    assert!(server.state().refresh_valid(&refresh));
    assert_eq!(
        stored.client_secret.as_ref().unwrap().expose(),
        "demo-secret"
    );
    assert_eq!(stored.password.as_ref().unwrap().expose(), "demo-password");
    let files = home.files();
    assert!(
        !files
            .iter()
            .any(|(path, _)| path.extension().is_some_and(|e| e == "age")),
        "no vault when the keyring answers"
    );
    for (path, bytes) in &files {
        let text = String::from_utf8_lossy(bytes);
        for secret in [token.trim(), &refresh, "demo-secret", "demo-password"] {
            assert!(!text.contains(secret), "{} holds a secret", path.display());
        }
    }

    // A refresh rotates the refresh token; the keyring holds the new one.
    home.run(&["refresh", "demo"]).ok();
    let rotated = keyring.load("demo").unwrap().unwrap();
    let new_refresh = rotated.refresh_token.as_ref().unwrap().expose();
    assert_ne!(new_refresh, refresh);
    assert!(server.state().refresh_valid(new_refresh));
    assert!(!server.state().refresh_valid(&refresh));

    // Remove deletes the entry.
    home.run(&["remove", "demo"]).ok();
    assert!(keyring.load("demo").unwrap().is_none());
}

#[test]
#[ignore = "needs a Secret Service: run scripts/keyring-tests.sh"]
fn two_wallets_with_the_same_account_name_do_not_share_keyring_entries() {
    let server = OAuthServer::start(Config::default()).unwrap();
    let (first, second) = (keyring_home(), keyring_home());
    first.add_demo_account(&server, "demo");
    second.add_demo_account(&server, "demo");
    first.run(&["generate", "demo"]).ok();
    second.run(&["generate", "demo"]).ok();
    let (a, b) = (
        first.run(&["token", "demo"]).ok(),
        second.run(&["token", "demo"]).ok(),
    );
    assert_ne!(a, b);
    second.run(&["remove", "demo"]).ok();
    assert_eq!(first.run(&["token", "demo"]).ok(), a);
    first.run(&["remove", "demo"]).ok();
}

#[test]
#[ignore = "needs a Secret Service: run scripts/keyring-tests.sh"]
fn racing_token_calls_spend_the_refresh_token_once_with_the_keyring() {
    let (server, home) = keyring_demo();
    home.add_expiring_demo_account(&server, "demo");
    std::thread::sleep(Duration::from_millis(1100));
    let refreshes = server.state().refreshes;

    let children: Vec<Child> = (0..4)
        .map(|_| support::spawn(home.command(&["token", "demo"])))
        .collect();
    let tokens: Vec<String> = children.into_iter().map(support::finish).collect();
    support::assert_one_refresh(&server, refreshes, &tokens);
    let stored = KeyringStore::new(home.path())
        .load("demo")
        .unwrap()
        .unwrap();
    assert!(
        server
            .state()
            .refresh_valid(stored.refresh_token.as_ref().unwrap().expose())
    );
    home.run(&["remove", "demo"]).ok();
}

#[test]
#[ignore = "needs a Secret Service: run scripts/keyring-tests.sh"]
fn a_real_size_active_iq_pair_imports_refreshes_with_rotation_and_survives_a_restart() {
    let fake = support::fakes::Fake::active_iq();
    let home = keyring_home();
    let (access, refresh) = fake.seed_real_size_pair();
    assert!(
        access.len() > 1_300 && refresh.len() > 1_300,
        "{}",
        access.len()
    );
    let pair = serde_json::json!({ "access_token": access, "refresh_token": refresh });
    let file = home.path().join("pair.json");
    std::fs::write(&file, pair.to_string()).unwrap();
    home.run_words(
        "import aiq --provider active-iq",
        &["--url", &fake.url(), "--file", file.to_str().unwrap()],
        &[],
    )
    .ok();
    std::fs::remove_file(&file).unwrap();
    assert_eq!(home.run(&["token", "aiq"]).ok().trim(), access);

    home.run(&["refresh", "aiq"]).ok();
    let state = fake.state();
    assert!(
        !state.refresh_tokens.contains(&refresh),
        "the old one was spent"
    );
    let new_access = state.access_tokens.last().unwrap().clone();
    drop(state);
    // Every run is a new process: what the keyring gave back survived the restart.
    let stored = KeyringStore::new(home.path()).load("aiq").unwrap().unwrap();
    let new_refresh = stored.refresh_token.unwrap().expose().to_owned();
    assert!(new_refresh.len() > 1_300);
    assert!(fake.state().refresh_tokens.contains(&new_refresh));
    assert_eq!(home.run(&["token", "aiq"]).ok().trim(), new_access);
    home.run(&["refresh", "aiq"]).ok();
    assert_eq!(
        fake.state().refreshes,
        2,
        "the stored refresh token worked again"
    );
    home.run(&["remove", "aiq"]).ok();
    assert!(
        KeyringStore::new(home.path())
            .load("aiq")
            .unwrap()
            .is_none()
    );
}

/// Wallets stored before went through `keyring`'s own Secret Service calls; the backend that
/// keeps one session per process reads and updates their entries (no second copy), and
/// `keyring` finds the ones it creates.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "needs a Secret Service: run scripts/keyring-tests.sh"]
fn the_one_session_backend_and_the_keyring_crate_see_the_same_entries() {
    use tokenwallet::store::{KeyringBackend as _, OsKeyring};
    assert!(KeyringStore::reachable(), "{NEEDS}");
    let name = format!("compat-{}", std::process::id());
    let read = |name: &str| OsKeyring.get(name).unwrap().map(|text| text.to_string());
    let theirs = keyring::Entry::new("tokenwallet", &name).unwrap();
    theirs.set_password("written by keyring").unwrap();
    assert_eq!(read(&name).as_deref(), Some("written by keyring"));
    OsKeyring.set(&name, "updated by tokenwallet").unwrap();
    // keyring refuses to choose between two entries: one answer means one entry.
    assert_eq!(theirs.get_password().unwrap(), "updated by tokenwallet");
    OsKeyring.delete(&name).unwrap();
    assert!(matches!(
        theirs.get_password(),
        Err(keyring::Error::NoEntry)
    ));
    OsKeyring.set(&name, "created by tokenwallet").unwrap();
    assert_eq!(theirs.get_password().unwrap(), "created by tokenwallet");
    theirs.delete_credential().unwrap();
    assert_eq!(read(&name), None);
}
