//! "Nothing lost, nothing leaked": each test here failed on the code before its fix.
//! The still-valid token after a dead refresh token, lifetimes from `iat`, export files
//! that never follow a symlink or overwrite silently, secrets redacted from stored and
//! shown errors, and bounded input.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::Utc;
use serde_json::{Value, json};
use support::Home;
use support::fakes::{ARUBA_CLIENT, Fake, aruba_download, import_aruba_download};
use tokenwallet::demo::oauth::{Config, Fault, OAuthServer, jwt, random_hex};

use support::generated_demo as setup;

// Item 6: a valid token is a valid token.
#[test]
fn a_dead_refresh_token_still_leaves_the_valid_access_token_usable() {
    let (server, home) = setup();
    let access = home.secret("demo", "access_token");
    server.revoke_all_grants();
    home.run(&["refresh", "demo"]).fails(3);
    assert_eq!(home.show("demo")["state"], "needs-sign-in");
    let requests = server.state().token_requests;
    let run = home.run(&["token", "demo"]);
    assert_eq!(
        run.ok(),
        format!("{access}\n"),
        "the still-valid token is printed"
    );
    let warning = run.stderr();
    assert!(
        warning.contains("warning") && warning.contains("needs a new sign-in"),
        "{warning}"
    );
    assert_eq!(warning.trim().lines().count(), 1, "{warning}");
    assert_eq!(
        server.state().token_requests,
        requests,
        "no request was made"
    );
}

#[test]
fn with_a_dead_refresh_token_and_an_expired_access_token_token_exits_3() {
    let server = OAuthServer::start(Config::default()).unwrap();
    let home = Home::new();
    home.add_demo_account(&server, "demo");
    server.set_access_ttl(1);
    home.run(&["generate", "demo"]).ok();
    server.revoke_all_grants();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    home.run(&["refresh", "demo"]).fails(3);
    home.run(&["token", "demo"])
        .fails_saying(3, &["needs a new sign-in"]);
}

// Item 5: lifetime from `iat`.
#[test]
fn an_imported_jwt_counts_its_lifetime_from_iat_and_token_refreshes_it() {
    let fake = Fake::active_iq();
    let home = Home::new();
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now().timestamp();
    // Issued 59½ minutes ago, 30 s left: expiring, not valid.
    let access =
        jwt(&json!({ "typ": "access", "iat": now - 3570, "exp": now + 30, "jti": random_hex() }));
    let rt = fake.seed_refresh_token();
    let file = dir.path().join("pair.txt");
    std::fs::write(
        &file,
        format!("Access Token: {access}\nRefresh Token: {rt}\n"),
    )
    .unwrap();
    home.run_words(
        "import aiq --provider active-iq",
        &["--url", &fake.url(), "--file", file.to_str().unwrap()],
        &[],
    )
    .ok();
    assert_eq!(home.show("aiq")["state"], "expiring");
    let printed = home.run(&["token", "aiq"]).ok();
    assert_ne!(
        printed.trim(),
        access,
        "a token with 30 s left is refreshed first"
    );
    assert_eq!(
        fake.state().access_tokens.last().unwrap(),
        printed.trim(),
        "the printed token is the fresh one"
    );
}

// Item 9: export files.
#[test]
fn export_refuses_an_existing_file_or_symlink_and_force_replaces_without_following() {
    let (_server, home) = setup();
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("existing.txt");
    std::fs::write(&existing, "keep me").unwrap();
    let out = existing.to_str().unwrap();
    home.run(&["export", "demo", "--out", out])
        .fails_saying(1, &["already exists", "--force"]);
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "keep me");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let target = dir.path().join("target.txt");
        std::fs::write(&target, "the link's target").unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let link_str = link.to_str().unwrap();
        home.run(&["export", "demo", "--out", link_str]).fails(1);
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "the link's target"
        );
        home.run(&["export", "demo", "--out", link_str, "--force"])
            .ok();
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "the link's target",
            "the symlink's target is never written"
        );
        let meta = std::fs::symlink_metadata(&link).unwrap();
        assert!(
            meta.file_type().is_file(),
            "the link was replaced by a file"
        );
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let token = home.secret("demo", "access_token");
        assert_eq!(
            std::fs::read_to_string(&link).unwrap(),
            format!("{token}\n")
        );
    }
}

// Item 10: secrets in stored errors.
#[test]
fn a_gateway_echoing_the_request_leaks_no_secret_into_errors_or_accounts_json() {
    let fake = Fake::aruba();
    let home = Home::new();
    let dir = tempfile::tempdir().unwrap();
    let rt = fake.seed_refresh_token();
    let file = dir.path().join("token.json");
    std::fs::write(
        &file,
        aruba_download("aruba-at-downloaded", &rt, Utc::now().timestamp_millis()),
    )
    .unwrap();
    import_aruba_download(&home, &fake, file.to_str().unwrap());
    fake.inject(Fault::Echo(502));
    let err = home.run(&["refresh", "central"]).fails(4);
    assert!(
        err.contains("request rejected"),
        "the server's words stay: {err}"
    );
    let accounts = std::fs::read_to_string(home.record_path("central")).unwrap();
    for secret in [ARUBA_CLIENT.1, rt.as_str()] {
        assert!(!err.contains(secret), "{secret} in: {err}");
        assert!(
            !accounts.contains(secret),
            "{secret} in the account's record"
        );
    }
    assert!(err.contains("[redacted]"), "{err}");
}

#[test]
fn a_bad_import_line_is_not_quoted_back() {
    let home = Home::new();
    let err = home
        .import_text(
            &["aiq", "--provider", "active-iq"],
            "secret-looking-token-value and more words\n",
        )
        .fails(2);
    assert!(!err.contains("secret-looking"), "{err}");
    assert!(err.contains("line 1"), "{err}");
}

// Item 12: bounded input.
#[test]
fn a_huge_answer_is_refused_and_the_tokens_stay() {
    let (server, home) = setup();
    let before = home.stored("demo");
    server.inject(Fault::Huge(3 << 20));
    home.run(&["refresh", "demo"])
        .fails_saying(1, &["larger than 1 MiB"]);
    assert_eq!(home.stored("demo"), before);
}

#[test]
fn a_huge_import_file_is_refused_before_it_is_parsed() {
    let home = Home::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("huge.txt");
    std::fs::write(&file, "x".repeat(3 << 20)).unwrap();
    home.run_words(
        "import aiq --provider active-iq",
        &["--file", file.to_str().unwrap()],
        &[],
    )
    .fails_saying(2, &["larger than 1 MiB"]);
}

#[test]
fn an_impossible_timeout_is_a_usage_error_not_a_panic() {
    let (_server, mut home) = setup();
    for bad in ["inf", "NaN", "-3", "1e30"] {
        home.set_env("TOKENWALLET_TIMEOUT_SECS", bad);
        let err = home.run(&["refresh", "demo"]).fails(2);
        assert!(err.contains("TOKENWALLET_TIMEOUT_SECS"), "{bad}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn discovery_metadata_naming_another_issuer_is_refused() {
    let server = OAuthServer::start(Config::default()).unwrap();
    let home = Home::new();
    // The server calls itself http://127.0.0.1:PORT; ask it as http://localhost:PORT.
    let issuer = server.issuer().replace("127.0.0.1", "localhost");
    home.add(
        "svc --provider oauth2 --client-id demo-client",
        &["--issuer", &issuer],
        &[("TOKENWALLET_CLIENT_SECRET", "demo-secret")],
    )
    .fails_saying(1, &["issuer"]);
    let listed: Value = serde_json::from_str(&home.run(&["list", "--json"]).ok()).unwrap();
    assert_eq!(listed, json!([]), "nothing was added");
}

// Item 4: files from a newer version.
#[test]
fn an_accounts_file_from_a_newer_version_is_refused_and_left_alone() {
    let (server, home) = setup();
    let path = home.wallet_json();
    let mut data: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    data["version"] = json!(tokenwallet::store::ACCOUNTS_FORMAT + 1);
    let text = serde_json::to_string_pretty(&data).unwrap();
    std::fs::write(&path, &text).unwrap();
    for args in [
        &["list"][..],
        &["token", "demo"],
        &["refresh", "demo"],
        &["remove", "demo"],
    ] {
        let err = home.run(args).fails(1);
        assert!(err.contains("newer version"), "{args:?}: {err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "{args:?}");
    }
    home.add_demo_account_fails(&server, "other");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn unknown_fields_of_the_same_version_survive_a_rewrite() {
    let (server, home) = setup();
    let path = home.record_path("demo");
    let mut data: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    data["future_field"] = json!([1, 2, 3]);
    data["tokens"]["future_meta"] = json!("still here");
    std::fs::write(&path, serde_json::to_string_pretty(&data).unwrap()).unwrap();
    let wallet = home.wallet_json();
    let mut info: Value = serde_json::from_str(&std::fs::read_to_string(&wallet).unwrap()).unwrap();
    info["future_setting"] = json!({ "kept": true });
    std::fs::write(&wallet, serde_json::to_string_pretty(&info).unwrap()).unwrap();
    home.run(&["refresh", "demo"]).ok();
    home.add_demo_account(&server, "second");
    let after: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(after["future_field"], json!([1, 2, 3]));
    assert_eq!(after["tokens"]["future_meta"], "still here");
    assert_ne!(
        after["tokens"]["generation"], data["tokens"]["generation"],
        "the record was rewritten"
    );
    let info: Value = serde_json::from_str(&std::fs::read_to_string(&wallet).unwrap()).unwrap();
    assert_eq!(info["future_setting"], json!({ "kept": true }));
}

/// A proxy that records the first line of every connection and answers 502.
struct FakeProxy {
    url: String,
    seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl FakeProxy {
    fn start() -> Self {
        use std::io::{BufRead as _, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = std::sync::Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = std::io::BufReader::new(stream);
                let mut line = String::new();
                reader.read_line(&mut line).ok();
                record.lock().unwrap().push(line.trim().to_owned());
                let mut stream = reader.into_inner();
                stream
                    .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .ok();
            }
        });
        Self { url, seen }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

// Item 8: proxies.
#[test]
fn loopback_never_goes_through_a_proxy() {
    let server = OAuthServer::start(Config::default()).unwrap();
    let home = Home::new();
    home.add_demo_account(&server, "demo");
    let proxy = FakeProxy::start();
    let env = [
        ("HTTP_PROXY", proxy.url.as_str()),
        ("http_proxy", proxy.url.as_str()),
        ("HTTPS_PROXY", proxy.url.as_str()),
        ("ALL_PROXY", proxy.url.as_str()),
    ];
    home.run_env(&["generate", "demo"], &env).ok();
    home.run_env(&["refresh", "demo"], &env).ok();
    assert_eq!(
        proxy.seen(),
        Vec::<String>::new(),
        "the proxy saw the password"
    );
}

#[test]
fn a_remote_host_goes_through_https_proxy() {
    let home = Home::new();
    let proxy = FakeProxy::start();
    home.add(
        "remote --provider oauth2 --url https://tokens.example.invalid/token --client-id c",
        &[],
        &[("TOKENWALLET_CLIENT_SECRET", "s")],
    )
    .ok();
    // The proxy answers 502 to the CONNECT: nothing ever leaves this machine.
    home.run_env(
        &["generate", "remote"],
        &[("HTTPS_PROXY", proxy.url.as_str())],
    )
    .fails(4);
    assert_eq!(
        proxy.seen(),
        ["CONNECT tokens.example.invalid:443 HTTP/1.1"]
    );
}

// Item 2: a refresh in flight is not cut off.
#[cfg(unix)]
#[test]
fn ctrl_c_during_a_refresh_stores_the_rotated_token_before_stopping() {
    let (server, home) = setup();
    let before = home.secret("demo", "refresh_token");
    let refreshes = server.state().refreshes;
    // The server rotates at once and answers 1.2 s later (the timeout is 2 s); Ctrl-C comes
    // in between.
    server.inject(Fault::SlowAfterRotate(std::time::Duration::from_millis(
        1200,
    )));
    let child = support::start(
        home.command(&["refresh", "demo"])
            .stderr(std::process::Stdio::piped()),
    );
    let mut waited = 0;
    while server.state().refreshes == refreshes && waited < 500 {
        std::thread::sleep(std::time::Duration::from_millis(10));
        waited += 1;
    }
    assert!(!server.state().refresh_valid(&before), "the server rotated");
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("saving the new tokens"), "{stderr}");
    let after = home.secret("demo", "refresh_token");
    assert!(
        server.state().refresh_valid(&after),
        "the stored chain works"
    );
    home.run(&["refresh", "demo"]).ok();
}

/// Opens `path` to read as an editor or a backup tool may: on Windows without delete
/// sharing, so the file cannot be replaced while it is open.
fn hold_open(path: &std::path::Path) -> std::fs::File {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(windows)]
    {
        use std::os::windows::fs::OpenOptionsExt as _;
        options.share_mode(1); // FILE_SHARE_READ only
    }
    options.open(path).unwrap()
}

#[test]
fn a_refresh_waits_for_a_reader_holding_the_wallet_files_and_loses_nothing() {
    let (server, home) = setup();
    let before = home.secret("demo", "refresh_token");
    let held: Vec<std::fs::File> = home
        .files()
        .iter()
        .filter(|(path, _)| !path.components().any(|c| c.as_os_str() == "locks"))
        .map(|(path, _)| hold_open(path))
        .collect();
    assert!(held.len() >= 2, "the metadata and the vault are held");
    let reader = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        drop(held);
    });
    home.run(&["refresh", "demo"]).ok();
    reader.join().unwrap();
    let after = home.stored("demo");
    let rotated = after["refresh_token"].as_str().unwrap();
    assert_ne!(rotated, before);
    assert!(
        server.state().refresh_valid(rotated),
        "the new one is stored"
    );
}
