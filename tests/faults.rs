//! Every server fault and every bad input: a clear error naming the account, the right
//! exit code, and the stored tokens exactly as they were.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use serde_json::Value;
use support::Home;
use tokenwallet::demo::oauth::{Fault, OAuthServer};

use support::generated_demo as setup;

/// Injects `fault`, refreshes, and checks the exit code, the message and that nothing changed.
fn refresh_fails_cleanly(fault: Fault, code: i32, needle: &str) -> (OAuthServer, Home, Value) {
    let (server, home) = setup();
    let before = home.stored("demo");
    server.inject(fault);
    let err = home.run(&["refresh", "demo"]).fails(code);
    assert!(
        err.contains("'demo'") && err.contains("OAuth 2.0"),
        "names the account and provider: {err}"
    );
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
    assert!(err.contains("kept"), "says the tokens were kept: {err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert_eq!(home.stored("demo"), before, "stored tokens changed");
    assert!(
        server
            .state()
            .refresh_valid(before["refresh_token"].as_str().unwrap())
    );
    let shown = home.show("demo");
    assert!(shown["last_error"].as_str().unwrap().contains(needle));
    (server, home, before)
}

#[test]
fn server_error_500_exits_4() {
    refresh_fails_cleanly(Fault::Status(500), 4, "HTTP 500");
}

#[test]
fn html_502_page_exits_4_and_quotes_the_page_title() {
    refresh_fails_cleanly(Fault::Html(502), 4, "502 Bad Gateway");
}

#[test]
fn truncated_json_exits_1() {
    refresh_fails_cleanly(Fault::TruncatedJson, 1, "answer");
}

#[test]
fn missing_access_token_exits_1() {
    refresh_fails_cleanly(Fault::MissingAccessToken, 1, "no access_token");
}

#[test]
fn hung_server_times_out_and_exits_4() {
    // The server answers after 6 s: had the 2 s timeout not fired, the refresh would have
    // succeeded (exit 0) instead of naming the timeout. No wall-clock assertion: slow
    // machines (and wine) stretch it.
    refresh_fails_cleanly(
        Fault::Hang(Duration::from_secs(6)),
        4,
        "did not answer within 2 s",
    );
}

/// After a 429 with `Retry-After: retry_after` (the refresh says `needle`), `token` wants a
/// refresh (min validity above the lifetime) but asks the server nothing before the
/// back-off ends: the current token, still valid, is printed. The run, for its words.
fn token_during_back_off(retry_after: u64, needle: &str) -> support::Run {
    let (server, mut home, before) =
        refresh_fails_cleanly(Fault::RateLimited(retry_after), 1, needle);
    home.set_env("TOKENWALLET_MIN_VALID_SECS", "999999");
    let requests = server.state().token_requests;
    let run = home.run(&["token", "demo"]);
    assert_eq!(
        run.ok(),
        format!("{}\n", before["access_token"].as_str().unwrap())
    );
    assert_eq!(
        server.state().token_requests,
        requests,
        "the back-off holds"
    );
    run
}

#[test]
fn rate_limit_is_respected_by_token() {
    let run = token_during_back_off(120, "retry after 120 s");
    assert!(run.stderr().contains("wait"), "{}", run.stderr());
}

#[test]
fn an_absurd_retry_after_is_capped_not_a_crash() {
    // 10^15 s overflows any date: the back-off is capped at a day instead of panicking.
    token_during_back_off(1_000_000_000_000_000, "retry after");
}

#[test]
fn dead_refresh_token_needs_sign_in_exits_3_and_deletes_nothing() {
    let (server, home) = setup();
    let before = home.stored("demo");
    server.revoke_all_grants();
    let err = home.run(&["refresh", "demo"]).fails(3);
    assert!(
        err.contains("'demo'") && err.contains("invalid_grant") || err.contains("revoked"),
        "{err}"
    );
    assert!(err.contains("Sign in again"), "says what to do: {err}");
    assert_eq!(home.stored("demo"), before);
    assert_eq!(home.show("demo")["state"], "needs-sign-in");
    // `token` asks the server nothing more: it prints the still-valid access token with a
    // warning (a dead refresh token with an expired access token exits 3: see hardening.rs).
    let requests = server.state().token_requests;
    let run = home.run(&["token", "demo"]);
    assert_eq!(
        run.ok(),
        format!("{}\n", before["access_token"].as_str().unwrap())
    );
    assert!(run.stderr().contains("needs a new sign-in"));
    assert_eq!(server.state().token_requests, requests);
}

#[test]
fn wrong_passphrase_exits_1_and_changes_no_file() {
    let (_server, mut home) = setup();
    let files = home.files();
    home.set_env("TOKENWALLET_PASSPHRASE", "not the passphrase");
    home.run(&["token", "demo"])
        .fails_saying(1, &["passphrase is wrong"]);
    home.run(&["refresh", "demo"]).fails(1);
    assert_eq!(home.files(), files);
}

#[test]
fn no_passphrase_and_no_terminal_is_a_clear_error() {
    let (_server, home) = setup();
    let mut command = home.command(&["token", "demo"]);
    command.env_remove("TOKENWALLET_PASSPHRASE");
    let output = support::output(&mut command);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("TOKENWALLET_PASSPHRASE"));
}

#[test]
fn malformed_import_files_store_nothing() {
    let (_server, home) = setup();
    let files = home.files();
    let dir = tempfile::tempdir().unwrap();
    for (content, needle) in [
        ("{\"access_token\": \"abc", "not valid JSON"),
        ("", "empty"),
        ("{\"refresh_token\":\"rt-123456789\"}", "no access_token"),
        ("Dear user, here is your token", "could not read"),
    ] {
        let path = dir.path().join("bad.txt");
        std::fs::write(&path, content).unwrap();
        home.run_words(
            "import aiq --provider active-iq",
            &["--file", path.to_str().unwrap()],
            &[],
        )
        .fails_saying(2, &["'aiq'", needle, "nothing was stored"]);
    }
    home.run_words(
        "import aiq --provider active-iq --file /nonexistent/file",
        &[],
        &[],
    )
    .fails_saying(2, &["/nonexistent/file"]);
    assert_eq!(home.files(), files);
}

#[test]
fn damaged_account_record_is_reported_and_left_alone() {
    let (_server, home) = setup();
    let path = home.record_path("demo");
    std::fs::write(&path, "{\"accounts\": [").unwrap();
    let err = home.run(&["list"]).fails(1);
    assert!(
        err.contains(path.to_str().unwrap()) && err.contains("damaged"),
        "{err}"
    );
    home.run(&["refresh", "demo"]).fails(1);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"accounts\": [");
}
