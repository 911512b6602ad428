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
        let status = Command::new("npm")
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
    fn start() -> Self {
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
        Self { child, info }
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
    let mut args = vec![
        "add",
        name,
        "--provider",
        "oauth2",
        "--grant",
        "refresh_token",
        "--issuer",
        oidc.issuer(),
        "--client-id",
        client,
    ];
    args.extend_from_slice(extra);
    home.run_env(
        &args,
        &[
            ("TOKENWALLET_CLIENT_SECRET", &secret),
            ("TOKENWALLET_REFRESH_TOKEN", refresh_token),
        ],
    )
}

#[test]
fn basic_client_refreshes_with_rotation_and_reuse_is_caught_by_the_server() {
    let oidc = Oidc::start();
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
    let err = home.run(&["token", "replay"]).fails(3);
    assert!(
        err.contains("'replay'") && err.contains("invalid_grant"),
        "{err}"
    );
    let err = home.run(&["refresh", "idp"]).fails(3);
    assert!(err.contains("'idp'"), "{err}");
    assert_eq!(home.stored("idp"), second);
    assert_eq!(home.show("idp")["state"], "needs-sign-in");
}

#[test]
fn post_client_refresh_and_rfc7009_revoke() {
    let oidc = Oidc::start();
    let home = Home::new();
    let (_, rt) = oidc.client("tw-post");
    // Discovery lists both methods, so Basic is the default; the server's client is
    // registered for client_secret_post and refuses Basic.
    add_refresh_account(&home, &oidc, "wrong-auth", "tw-post", &rt, &[]).ok();
    let err = home.run(&["refresh", "wrong-auth"]).fails(3);
    assert!(err.contains("invalid_client"), "{err}");

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
    let err = home.run(&["refresh", "after-revoke"]).fails(3);
    assert!(err.contains("invalid_grant"), "{err}");
}

#[test]
fn client_credentials_grant() {
    let oidc = Oidc::start();
    let home = Home::new();
    let (secret, _) = oidc.client("tw-basic");
    home.run_env(
        &[
            "add",
            "svc",
            "--provider",
            "oauth2",
            "--grant",
            "client_credentials",
            "--issuer",
            oidc.issuer(),
            "--client-id",
            "tw-basic",
            "--scope",
            "api:read",
        ],
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
