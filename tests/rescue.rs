//! A failed save never loses a rotated refresh token: the set goes to memory and to an
//! encrypted rescue file, the account says so, and the next run stores it and uses it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokenwallet::demo::oauth::{Config, OAuthServer};
use tokenwallet::model::{Secret, Secrets};
use tokenwallet::providers::Http;
use tokenwallet::store::{SecretStore, SecretStoreKind, StoreError, VaultStore};
use tokenwallet::wallet::{NewAccount, SystemClock, Wallet, WalletError};

/// A vault whose saves fail on demand, like a keyring that locked itself.
struct Flaky {
    inner: VaultStore,
    failing: AtomicBool,
}

impl SecretStore for Flaky {
    fn kind(&self) -> SecretStoreKind {
        self.inner.kind()
    }
    fn load(&self, account: &str) -> Result<Option<Secrets>, StoreError> {
        self.inner.load(account)
    }
    fn save(&self, account: &str, secrets: &Secrets) -> Result<(), StoreError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(StoreError::Keyring("the keyring is locked".into()));
        }
        self.inner.save(account, secrets)
    }
    fn delete(&self, account: &str) -> Result<(), StoreError> {
        self.inner.delete(account)
    }
    fn save_rescue(&self, account: &str, secrets: &Secrets) -> Result<(), StoreError> {
        self.inner.save_rescue(account, secrets)
    }
    fn load_rescue(&self, account: &str) -> Result<Option<Secrets>, StoreError> {
        self.inner.load_rescue(account)
    }
    fn clear_rescue(&self, account: &str) -> Result<(), StoreError> {
        self.inner.clear_rescue(account)
    }
}

fn wallet(home: &std::path::Path, store: Arc<dyn SecretStore>) -> Wallet {
    Wallet::new(
        home,
        store,
        Http::new(Duration::from_secs(5)).unwrap(),
        Arc::new(SystemClock),
    )
    .unwrap()
}

fn demo(server: &OAuthServer) -> NewAccount {
    tokenwallet::demo::account(server, "demo")
}

/// The passphrase of the tests' vaults.
const PASSPHRASE: &str = "rescue test passphrase";

/// A runtime, the demo server, a vault home, its store that fails on demand, and a wallet
/// over that store with the demo account generated.
fn generated() -> (
    tokio::runtime::Runtime,
    OAuthServer,
    tempfile::TempDir,
    Arc<Flaky>,
    Wallet,
) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = OAuthServer::start(Config::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let flaky = Arc::new(Flaky {
        inner: VaultStore::open(home.path(), &Secret::new(PASSPHRASE)).unwrap(),
        failing: AtomicBool::new(false),
    });
    let wallet = wallet(home.path(), flaky.clone());
    runtime.block_on(wallet.add(demo(&server))).unwrap();
    runtime.block_on(wallet.generate("demo")).unwrap();
    (runtime, server, home, flaky, wallet)
}

#[test]
fn a_refused_save_keeps_the_rotated_refresh_token_for_the_next_run() {
    let (runtime, server, home, flaky, first) = generated();
    let passphrase = Secret::new(PASSPHRASE);
    let old_rt = first.secrets("demo").unwrap().1.refresh_token.unwrap();

    // The store refuses the rotated set: the refresh is reported, not silently lost.
    flaky.failing.store(true, Ordering::SeqCst);
    let err = runtime.block_on(first.refresh("demo")).unwrap_err();
    assert!(
        matches!(err, WalletError::Rescued { on_disk: true, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("rescue file"), "{err}");
    assert!(
        !server.state().refresh_valid(old_rt.expose()),
        "the server rotated"
    );
    let account = first.account("demo").unwrap();
    assert!(account.tokens.rescued);
    assert!(
        account
            .tokens
            .last_error
            .unwrap()
            .contains("could not be saved")
    );
    // This process still uses the new chain.
    let token = runtime.block_on(first.token("demo")).unwrap().token;
    assert!(server.state().access_valid(token.expose()));

    // The rescue file is encrypted: no secret in any file of the data dir.
    let new_rt = first.secrets("demo").unwrap().1.refresh_token.unwrap();
    assert_ne!(new_rt, old_rt);
    for entry in walk(home.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(new_rt.expose()),
            "{} holds the token",
            entry.display()
        );
    }
    drop(first);

    // A restart with a store that works: the rescued refresh token is the one used.
    let second = wallet(
        home.path(),
        Arc::new(VaultStore::open(home.path(), &passphrase).unwrap()),
    );
    runtime.block_on(second.refresh("demo")).unwrap();
    assert_eq!(server.state().reuse_detected, 0, "no dead token was sent");
    assert_eq!(server.state().refreshes, 2);
    let account = second.account("demo").unwrap();
    assert!(!account.tokens.rescued);
    assert_eq!(account.tokens.last_error, None);
    let rescue_dir = home.path().join("rescue");
    assert_eq!(
        std::fs::read_dir(rescue_dir).unwrap().count(),
        0,
        "the rescue is gone"
    );
}

// Issue 16, item 13: a long-lived process kept its rescued set in memory after another
// process had stored it and refreshed on: its next load wrote the spent refresh token back
// over the new one, and the chain was lost.
#[test]
fn a_stale_rescue_in_memory_never_overwrites_a_newer_set() {
    let (runtime, server, home, flaky, agent) = generated();
    let passphrase = Secret::new(PASSPHRASE);
    flaky.failing.store(true, Ordering::SeqCst);
    runtime.block_on(agent.refresh("demo")).unwrap_err();
    flaky.failing.store(false, Ordering::SeqCst);

    // Another process stores the rescue and refreshes on.
    let other = wallet(
        home.path(),
        Arc::new(VaultStore::open(home.path(), &passphrase).unwrap()),
    );
    runtime.block_on(other.refresh("demo")).unwrap();
    let newest = other.secrets("demo").unwrap().1.refresh_token.unwrap();

    // The long-lived process goes on with the newest chain, not its stale copy.
    runtime.block_on(agent.refresh("demo")).unwrap();
    assert_eq!(server.state().reuse_detected, 0, "a spent token was sent");
    assert_eq!(server.state().refreshes, 3);
    let now = agent.secrets("demo").unwrap().1.refresh_token.unwrap();
    assert_ne!(now, newest, "the newest token was the one spent");
    assert!(server.state().refresh_valid(now.expose()));
}

// Two refreshes in a row whose saves the store refuses: the second rescue replaces the
// same stored set as the first, so a later run still takes the newest chain.
#[test]
fn rescues_in_a_row_keep_the_newest_chain() {
    let (runtime, server, home, flaky, first) = generated();
    flaky.failing.store(true, Ordering::SeqCst);
    runtime.block_on(first.refresh("demo")).unwrap_err();
    runtime.block_on(first.refresh("demo")).unwrap_err();
    let newest = first.secrets("demo").unwrap().1.refresh_token.unwrap();
    assert!(server.state().refresh_valid(newest.expose()));
    drop(first);
    let second = wallet(
        home.path(),
        Arc::new(VaultStore::open(home.path(), &Secret::new(PASSPHRASE)).unwrap()),
    );
    runtime.block_on(second.refresh("demo")).unwrap();
    assert_eq!(server.state().reuse_detected, 0, "a spent token was sent");
    assert_eq!(server.state().refreshes, 3);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
