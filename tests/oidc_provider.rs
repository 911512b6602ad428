//! The generic `oauth2` provider against a real OAuth 2.0 server nobody here wrote:
//! panva's `oidc-provider` (npm), started on loopback. Needs `npm ci --prefix tests/oidc`
//! (done by `.ci/run`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use serde_json::Value;
use support::Home;

/// npm is a batch file on Windows.
const NPM: &str = if cfg!(windows) { "npm.cmd" } else { "npm" };

/// Whether Node.js can run here. Always on Linux and macOS (a missing `node` fails the
/// test); on Windows, a wine prefix usually has no Windows Node: those tests say so and
/// pass without running.
fn node_available() -> bool {
    if !cfg!(windows) {
        return true;
    }
    let found = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        eprintln!("skipped: no Windows Node.js (node.exe) on PATH to run oidc-provider");
    }
    found
}

/// Installs oidc-provider from the lock file once per test run, if it is missing.
fn install(dir: &str) {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        if std::path::Path::new(dir)
            .join("node_modules/oidc-provider")
            .exists()
        {
            return;
        }
        let status = Command::new(NPM)
            .args(["ci", "--no-audit", "--no-fund", "--prefix", dir])
            .stdout(Stdio::null())
            .status()
            .expect("npm (Node.js 20+) is needed for the oidc-provider tests");
        assert!(status.success(), "`npm ci --prefix tests/oidc` failed");
    });
}

/// A running oidc-provider; stops when its stdin pipe is dropped.
struct Oidc {
    child: Child,
    info: Value,
}

impl Oidc {
    fn start() -> Option<Self> {
        if !node_available() {
            return None;
        }
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc");
        install(dir);
        let mut child = Command::new("node")
            .arg("server.mjs")
            .current_dir(dir)
            .env("ACCESS_TTL_SECS", "3600")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node is needed for this test");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let info: Value = serde_json::from_str(&line)
            .unwrap_or_else(|err| panic!("bad startup line {line:?}: {err}"));
        Some(Self { child, info })
    }

    fn issuer(&self) -> &str {
        self.info["issuer"].as_str().unwrap()
    }

    fn client(&self, id: &str) -> (String, String) {
        let client = &self.info["clients"][id];
        (
            client["client_secret"].as_str().unwrap().to_owned(),
            client["refresh_token"].as_str().unwrap().to_owned(),
        )
    }
}

impl Drop for Oidc {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn add_refresh_account(
    home: &Home,
    oidc: &Oidc,
    name: &str,
    client: &str,
    refresh_token: &str,
    extra: &[&str],
) -> support::Run {
    let (secret, _) = oidc.client(client);
    let values = [name, "--issuer", oidc.issuer(), "--client-id", client];
    home.add(
        "--provider oauth2 --grant refresh_token",
        &[&values[..], extra].concat(),
        &[
            ("TOKENWALLET_CLIENT_SECRET", &secret),
            ("TOKENWALLET_REFRESH_TOKEN", refresh_token),
        ],
    )
}

#[test]
fn basic_client_refreshes_with_rotation_and_reuse_is_caught_by_the_server() {
    let Some(oidc) = Oidc::start() else { return };
    let home = Home::new();
    let (_, original_rt) = oidc.client("tw-basic");
    add_refresh_account(&home, &oidc, "idp", "tw-basic", &original_rt, &[]).ok();

    let token = home.run(&["token", "idp"]).ok();
    assert!(token.trim().len() > 20);
    let first = home.stored("idp");
    assert_ne!(
        first["refresh_token"],
        original_rt.as_str(),
        "the server rotated the refresh token"
    );
    let shown = home.show("idp");
    assert_eq!(shown["state"], "valid");
    assert_eq!(shown["token_type"], "Bearer");
    assert!(shown["scope"].as_str().unwrap().contains("offline_access"));

    home.run(&["refresh", "idp"]).ok();
    let second = home.stored("idp");
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_ne!(second["access_token"], first["access_token"]);

    // Spending the rotated-out original again is refused, and (RFC 9700) the server
    // revokes the whole grant: the wallet's account then needs a new sign-in, keeping its tokens.
    add_refresh_account(&home, &oidc, "replay", "tw-basic", &original_rt, &[]).ok();
    home.run(&["token", "replay"])
        .fails_saying(3, &["'replay'", "invalid_grant"]);
    home.run(&["refresh", "idp"]).fails_saying(3, &["'idp'"]);
    assert_eq!(home.stored("idp"), second);
    assert_eq!(home.show("idp")["state"], "needs-sign-in");
}

#[test]
fn post_client_refresh_and_rfc7009_revoke() {
    let Some(oidc) = Oidc::start() else { return };
    let home = Home::new();
    let (_, rt) = oidc.client("tw-post");
    // Discovery lists both methods, so Basic is the default; the server's client is
    // registered for client_secret_post and refuses Basic.
    add_refresh_account(&home, &oidc, "wrong-auth", "tw-post", &rt, &[]).ok();
    home.run(&["refresh", "wrong-auth"])
        .fails_saying(3, &["invalid_client"]);

    add_refresh_account(
        &home,
        &oidc,
        "post",
        "tw-post",
        &rt,
        &["--client-auth", "post"],
    )
    .ok();
    home.run(&["refresh", "post"]).ok();
    let stored = home.stored("post");
    let live_rt = stored["refresh_token"].as_str().unwrap().to_owned();

    home.run(&["revoke", "post"]).ok();
    assert_eq!(home.show("post")["state"], "revoked");
    // The revoked refresh token is dead at the server.
    add_refresh_account(
        &home,
        &oidc,
        "after-revoke",
        "tw-post",
        &live_rt,
        &["--client-auth", "post"],
    )
    .ok();
    home.run(&["refresh", "after-revoke"])
        .fails_saying(3, &["invalid_grant"]);
}

#[test]
fn client_credentials_grant() {
    let Some(oidc) = Oidc::start() else { return };
    let home = Home::new();
    let (secret, _) = oidc.client("tw-basic");
    home.add(
        "svc --provider oauth2 --grant client_credentials --client-id tw-basic --scope api:read",
        &["--issuer", oidc.issuer()],
        &[("TOKENWALLET_CLIENT_SECRET", &secret)],
    )
    .ok();
    home.run(&["generate", "svc"]).ok();
    let shown = home.show("svc");
    assert_eq!(shown["scope"], "api:read");
    let expires =
        chrono::DateTime::parse_from_rfc3339(shown["access_expires_at"].as_str().unwrap()).unwrap();
    let in_secs = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds();
    assert!((3500..=3600).contains(&in_secs), "{in_secs}");
    assert_eq!(shown["refresh_expires_at"], Value::Null);
}

const OIDC_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc");

/// A new home with one account NAME for the public native client, endpoints discovered.
fn native_home(oidc: &Oidc, name: &str, grant: &str) -> Home {
    let home = Home::new();
    home.add(
        "--provider oauth2 --client-id tw-native",
        &[
            name,
            "--grant",
            grant,
            "--issuer",
            oidc.issuer(),
            "--scope",
            "openid offline_access",
        ],
        &[],
    )
    .ok();
    home
}

/// A new home whose account `me` signs in through the browser, the scripted browser doing
/// `action`: the home, the run and the browser's log lines.
fn browser_sign_in(oidc: &Oidc, action: &str) -> (Home, support::Run, Vec<Value>) {
    let home = native_home(oidc, "me", "authorization_code");
    let (run, log) = sign_in(&home, "me", action);
    (home, run, log)
}

/// `generate NAME` with the scripted browser doing `action`; returns the run and the
/// browser's log lines.
fn sign_in(home: &Home, name: &str, action: &str) -> (support::Run, Vec<Value>) {
    let log = tempfile::NamedTempFile::new().unwrap();
    let browser = format!("node {OIDC_DIR}/browser.mjs");
    let run = home.run_env(
        &["generate", name],
        &[
            ("BROWSER", browser.as_str()),
            ("BROWSER_ACTION", action),
            ("BROWSER_LOG", log.path().to_str().unwrap()),
        ],
    );
    let lines = std::fs::read_to_string(log.path())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    (run, lines)
}

#[test]
fn sign_in_through_the_browser_with_pkce_then_refresh_with_rotation() {
    let Some(oidc) = Oidc::start() else { return };
    let (home, run, log) = browser_sign_in(&oidc, "login");
    run.ok();
    assert!(
        run.stderr().contains("open this address"),
        "{}",
        run.stderr()
    );
    let auth_url = log[0]["auth_url"].as_str().unwrap();
    assert!(
        auth_url.contains("code_challenge_method=S256"),
        "{auth_url}"
    );
    assert!(
        auth_url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"),
        "{auth_url}"
    );
    let done = log.iter().find(|l| l.get("callback").is_some()).unwrap();
    assert_eq!(done["status"], 200);
    assert!(done["page"].as_str().unwrap().contains("Signed in to me."));

    let token = home.run(&["token", "me"]).ok();
    assert!(token.trim().len() > 20);
    let first = home.stored("me");
    assert!(
        home.show("me")["scope"]
            .as_str()
            .unwrap()
            .contains("offline_access")
    );
    home.run(&["refresh", "me"]).ok();
    assert_ne!(home.stored("me")["refresh_token"], first["refresh_token"]);

    // The listener is gone once the sign-in is over.
    let callback = done["callback"].as_str().unwrap();
    let port = callback
        .rsplit(':')
        .next()
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    assert!(std::net::TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).is_err());
}

#[test]
fn a_denied_consent_stores_nothing_and_exits_3() {
    let Some(oidc) = Oidc::start() else { return };
    let (home, run, log) = browser_sign_in(&oidc, "deny");
    run.fails_saying(3, &["access_denied", "'me'"]);
    // Nothing stored: no token to export; the account asks for a new sign-in.
    assert!(
        home.run(&["export", "me"])
            .fails(1)
            .contains("no access token")
    );
    assert_eq!(home.show("me")["state"], "needs-sign-in");
    let done = log.iter().find(|l| l.get("callback").is_some()).unwrap();
    assert!(done["page"].as_str().unwrap().contains("Sign-in failed"));
}

#[test]
fn an_answer_with_another_state_is_refused_and_the_real_one_still_works() {
    let Some(oidc) = Oidc::start() else { return };
    let (home, run, log) = browser_sign_in(&oidc, "wrong-state");
    run.ok();
    let wrong = log
        .iter()
        .find(|l| l.get("wrong_state_status").is_some())
        .unwrap();
    assert_eq!(wrong["wrong_state_status"], 400);
    assert!(home.run(&["token", "me"]).ok().trim().len() > 20);
}

#[test]
fn sign_in_on_another_device_with_a_user_code() {
    let Some(oidc) = Oidc::start() else { return };
    let home = native_home(&oidc, "tv", "device_code");
    let mut child = home
        .command(&["generate", "tv"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("enter the code") {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "no code was shown"
        );
    }
    // "… open URI and enter the code CODE"
    let words: Vec<&str> = line.split_whitespace().collect();
    let uri = words[words.iter().position(|w| *w == "open").unwrap() + 1];
    let code = words.last().unwrap();
    let typed = Command::new("node")
        .arg(format!("{OIDC_DIR}/device.mjs"))
        .args([uri, code])
        .status()
        .unwrap();
    assert!(typed.success(), "the device page accepted the code");
    assert!(child.wait().unwrap().success());
    assert!(home.run(&["token", "tv"]).ok().trim().len() > 20);
    assert_eq!(home.show("tv")["state"], "valid");
}
