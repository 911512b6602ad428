//! Hardening, round two (issue 16): each test here failed on the code before its fix.
//! Exports that a shell reads, secrets at the cut of a server's error, a refused revoke
//! that quoted the token, and what a browser inherits.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::Home;
use tokenwallet::demo::oauth::{Config, Fault, OAuthServer};

/// A token that runs a command where a shell reads it unquoted or badly quoted.
#[cfg(unix)]
const HOSTILE: &str = "at'$(touch${IFS}pwned)'`touch${IFS}pwned2`\"x";

/// An Active IQ account imported from a file holding `access` and a refresh token.
#[cfg(any(unix, windows))]
fn imported(home: &Home, access: &str) {
    let pair = format!("{access}\nrt-plain-refresh-token\n");
    home.import_text(&["aiq", "--provider", "active-iq"], &pair)
        .ok();
}

/// Asserts that no command hidden in [`HOSTILE`] ran in `dir`.
#[cfg(unix)]
fn no_command_ran(dir: &std::path::Path) {
    for marker in ["pwned", "pwned2"] {
        assert!(!dir.join(marker).exists(), "the token ran a command");
    }
}

/// Runs `script` in `sh` in `dir`; its stdout.
#[cfg(unix)]
fn sh(dir: &std::path::Path, script: &str, path: Option<&std::path::Path>) -> String {
    let mut command = std::process::Command::new("sh");
    command.current_dir(dir).arg("-c").arg(script);
    if let Some(path) = path {
        let old = std::env::var("PATH").unwrap_or_default();
        command.env("PATH", format!("{}:{old}", path.display()));
    }
    support::Run(command.output().unwrap()).ok()
}

// Item 8: a token holding a quote ran a command when the .env file was sourced.
#[cfg(unix)]
#[test]
fn a_sourced_env_export_keeps_a_hostile_token_as_data() {
    let home = Home::new();
    imported(&home, HOSTILE);
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join("aiq.env");
    home.run(&[
        "export",
        "aiq",
        "--token",
        "both",
        "--format",
        "env",
        "--out",
        env.to_str().unwrap(),
    ])
    .ok();
    let seen = sh(
        dir.path(),
        ". ./aiq.env; printf '%s\\n%s\\n%s' \"$AIQ_ACCESS_TOKEN\" \"$AIQ_AUTH_HEADER\" \"$AIQ_REFRESH_TOKEN\"",
        None,
    );
    assert_eq!(
        seen,
        format!("{HOSTILE}\nauthorizationToken: {HOSTILE}\nrt-plain-refresh-token")
    );
    no_command_ran(dir.path());
}

// Item 8: the curl line runs curl with the token as one argument, and nothing else.
#[cfg(unix)]
#[test]
fn the_curl_export_runs_only_curl_with_the_token_as_one_argument() {
    use std::os::unix::fs::PermissionsExt as _;
    let home = Home::new();
    imported(&home, HOSTILE);
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    // A stand-in curl: prints each argument on a line of its own.
    let curl = bin.join("curl");
    std::fs::write(
        &curl,
        "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]\\n' \"$a\"; done\n",
    )
    .unwrap();
    std::fs::set_permissions(&curl, std::fs::Permissions::from_mode(0o755)).unwrap();
    let line = home.run(&["export", "aiq", "--format", "curl"]).ok();
    let seen = sh(dir.path(), &line, Some(&bin));
    assert_eq!(
        seen,
        format!("[-H]\n[authorizationToken: {HOSTILE}]\n[https://api.activeiq.netapp.com/v1/]\n")
    );
    no_command_ran(dir.path());
}

// Item 12: on Windows an export took the folder's ACL: readable by every user of a shared
// folder. Read back from the file's security descriptor.
#[cfg(windows)]
#[test]
fn an_export_on_windows_grants_this_user_alone() {
    let home = Home::new();
    imported(&home, "at-plain-access-token");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("aiq.txt");
    home.run(&["export", "aiq", "--out", out.to_str().unwrap()])
        .ok();
    let file = std::fs::File::open(&out).unwrap();
    let dacl = tokenwallet::windows_acl::file_dacl(&file).unwrap();
    assert!(
        tokenwallet::windows_acl::grants_this_user_alone(&dacl),
        "{dacl}"
    );
}

/// A demo `password` account with a first token set; its refresh token.
fn demo(server: &OAuthServer, home: &Home) -> String {
    home.add_demo_account(server, "demo");
    home.run(&["generate", "demo"]).ok();
    home.run(&["export", "demo", "--token", "refresh"])
        .ok()
        .trim()
        .to_owned()
}

/// Every piece of `secret` at least 8 characters long found in `text`.
fn pieces_of(secret: &str, text: &str) -> Vec<String> {
    (0..secret.len().saturating_sub(7))
        .map(|start| &secret[start..start + 8])
        .filter(|piece| text.contains(piece))
        .map(str::to_owned)
        .collect()
}

// Item 9: a secret straddling the 200-character cut of an error was not redacted.
#[test]
fn a_refresh_token_at_the_cut_of_an_error_is_redacted_whole() {
    let server = OAuthServer::start(Config::default()).unwrap();
    let home = Home::new();
    let refresh = demo(&server, &home);
    // The refresh token starts 15, then 8 characters before the cut and runs past it.
    for at in [185, 192] {
        server.inject(Fault::QuoteRefreshTokenAt(502, at));
        let err = home.run(&["refresh", "demo"]).fails(4);
        let shown = serde_json::to_string(&home.show("demo")).unwrap();
        let listed = home.run(&["list", "--json"]).ok();
        let record = std::fs::read_to_string(home.record_path("demo")).unwrap();
        for (place, text) in [
            ("stderr", &err),
            ("show", &shown),
            ("list", &listed),
            ("the record", &record),
        ] {
            assert_eq!(
                pieces_of(&refresh, text),
                Vec::<String>::new(),
                "{place}: {text}"
            );
        }
        assert!(err.contains("xxxxxxxx"), "the server's words stay: {err}");
    }
    // The chain is whole: the next refresh spends the same refresh token.
    home.run(&["refresh", "demo"]).ok();
    assert_eq!(server.state().refreshes, 1);
}

// Item 10: a refused revoke of the access token logged the token at the default level.
#[test]
fn a_refused_revoke_does_not_print_the_access_token() {
    let server = OAuthServer::start(Config::default()).unwrap();
    let home = Home::new();
    demo(&server, &home);
    let access = home.run(&["token", "demo"]).ok().trim().to_owned();
    server.state().refuse_access_revocation = true;
    let run = home.run(&["revoke", "demo"]);
    let err = run.stderr();
    assert!(err.contains("cannot revoke token"), "{err}");
    assert_eq!(pieces_of(&access, &err), Vec::<String>::new(), "{err}");
    assert_eq!(pieces_of(&access, &run.stdout()), Vec::<String>::new());
}

/// A demo server and an `authorization_code` account `me` on it, found by discovery.
fn browser_account() -> (OAuthServer, Home) {
    let server = OAuthServer::start(Config::default()).unwrap();
    let home = Home::new();
    home.add_browser_account(&server, "me");
    (server, home)
}

// Item 15: a server whose metadata promises `iss` in every authorization response (RFC
// 9207) had an answer without it accepted: the defence against mix-up was optional.
#[test]
fn an_answer_without_the_promised_issuer_is_refused() {
    if !support::has_curl() {
        return;
    }
    let (server, home) = browser_account();
    server.state().omit_iss_in_response = true;
    let browser = [("BROWSER", "curl --silent --location --output /dev/null")];
    home.run_env(&["generate", "me"], &browser)
        .fails_saying(1, &["does not name its issuer"]);
    assert_eq!(home.show("me")["state"], "empty");
    assert_eq!(server.state().token_requests, 0, "the code was not spent");
    // With the issuer named, the same sign-in goes through.
    server.state().omit_iss_in_response = false;
    home.run_env(&["generate", "me"], &browser).ok();
    assert!(home.token_works(&server, "me"));
}

// Item 5: on Windows the address went through `cmd /c start`, which cut it at the first `&`
// (browser sign-in never worked) and ran what followed. Under wine, `rundll32` hands the
// address to winebrowser, which starts the Unix `xdg-open`: `scripts/windows-tests.sh` puts
// a stand-in first on the PATH that logs the address and follows it with curl, as a
// browser would.
#[cfg(windows)]
#[test]
fn windows_hands_the_sign_in_address_to_the_browser_whole() {
    let Ok(log) = std::env::var("TOKENWALLET_TEST_BROWSER_LOG") else {
        eprintln!("skipped: no stand-in browser (scripts/windows-tests.sh sets one up)");
        return;
    };
    let server = OAuthServer::start(Config::default()).unwrap();
    let home = Home::new();
    // An authorization endpoint whose own query holds &, ^, % and ".
    let odd = format!(
        "{}/authorize?tenant=a^b&pct=100%25&q=\"x\"",
        server.issuer()
    );
    home.add_code_account("me", &["--url", &server.token_url(), "--auth-url", &odd]);
    std::fs::write(&log, "").unwrap();
    let mut command = home.command(&["generate", "me"]);
    command.env_remove("BROWSER");
    let run = support::Run(support::output(&mut command));
    let said = run.stderr();
    assert_eq!(run.code(), 0, "{said}");
    // The address the browser got is the one the wallet printed, whole.
    let printed = said
        .lines()
        .find(|line| line.trim_start().starts_with("http://"))
        .unwrap()
        .trim()
        .to_owned();
    let opened = std::fs::read_to_string(&log).unwrap();
    let decoded = |text: &str| {
        url::form_urlencoded::parse(text.split_once('?').unwrap().1.as_bytes())
            .into_owned()
            .collect::<Vec<_>>()
    };
    assert_eq!(decoded(opened.trim()), decoded(&printed), "{opened}");
    for (key, value) in [("tenant", "a^b"), ("pct", "100%"), ("q", "\"x\"")] {
        assert!(
            decoded(&printed).contains(&(key.to_owned(), value.to_owned())),
            "{printed}"
        );
    }
    assert!(home.token_works(&server, "me"));
}

// Item 6: the browser saw the vault passphrase in its environment.
#[cfg(unix)]
#[test]
fn the_browser_inherits_no_secret_from_the_environment() {
    use std::os::unix::fs::PermissionsExt as _;
    if !support::has_curl() {
        return;
    }
    let (_server, home) = browser_account();
    let dir = tempfile::tempdir().unwrap();
    let seen = dir.path().join("environment");
    let browser = dir.path().join("browser");
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\nenv > '{}'\nexec curl --silent --location --output /dev/null \"$1\"\n",
            seen.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    home.run_env(
        &["generate", "me"],
        &[
            ("BROWSER", browser.to_str().unwrap()),
            ("TOKENWALLET_CLIENT_SECRET", "demo-secret"),
            ("VAULT_TOKEN", "hvs.team-store-token"),
        ],
    )
    .ok();
    let environment = std::fs::read_to_string(&seen).unwrap();
    assert!(
        environment.contains("PATH="),
        "the browser got an environment"
    );
    for secret in [
        support::PASSPHRASE,
        "demo-secret",
        "hvs.team-store-token",
        "TOKENWALLET_",
    ] {
        assert!(
            !environment.contains(secret),
            "{secret} reached the browser"
        );
    }
    assert!(home.run(&["token", "me"]).ok().trim().len() > 8);
}
