//! A crash at each step of a refresh (the test-only hook `TOKENWALLET_CRASH_AT`, compiled
//! into debug builds only, aborts the process there): the next run must find a working
//! chain and consistent metadata, or, where no client can help, a clear needs-sign-in.

// The hook exists only where debug assertions are on: `cargo test --release` skips the file.
#![cfg(debug_assertions)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::Home;
use support::fakes::{Fake, add_aruba_code_account};

use support::generated_demo as setup;

/// Runs `args` with the crash hook at `step` and checks the process died there.
fn crash(home: &Home, args: &[&str], step: &str) {
    let run = home.run_env(args, &[("TOKENWALLET_CRASH_AT", step)]);
    assert_ne!(
        run.code(),
        0,
        "the process died at {step}: {}",
        run.stderr()
    );
}

#[test]
fn a_crash_after_the_secret_write_or_after_the_metadata_leaves_a_working_chain() {
    for step in ["after-secrets", "after-metadata"] {
        let (server, home) = setup();
        crash(&home, &["refresh", "demo"], step);
        let stored = home.stored("demo");
        let rt = stored["refresh_token"].as_str().unwrap();
        assert!(
            server.state().refresh_valid(rt),
            "{step}: the stored token is the new one"
        );
        // `token` hands out the stored (new) access token, which the server accepts.
        let token = home.run(&["token", "demo"]).ok();
        assert!(server.state().access_valid(token.trim()), "{step}");
        // The next refresh uses the stored chain, and the metadata follows.
        home.run(&["refresh", "demo"]).ok();
        assert_eq!(
            server.state().reuse_detected,
            0,
            "{step}: no dead token sent"
        );
        assert_eq!(home.show("demo")["state"], "valid", "{step}");
        assert_eq!(
            home.show("demo")["last_error"],
            serde_json::Value::Null,
            "{step}"
        );
    }
}

#[test]
fn a_crash_between_the_answer_and_the_first_write_is_a_clear_needs_sign_in() {
    // The one window no client can close: the server rotated, and the process died
    // before anything reached the disk. The next run must say so and change nothing else.
    let (server, home) = setup();
    let before = home.stored("demo");
    crash(&home, &["refresh", "demo"], "after-response");
    assert_eq!(home.stored("demo"), before, "nothing was half-written");
    home.run(&["refresh", "demo"])
        .fails_saying(3, &["Sign in again"]);
    assert_eq!(home.show("demo")["state"], "needs-sign-in");
    assert_eq!(home.stored("demo"), before);
    assert_eq!(server.state().reuse_detected, 1);
}

#[test]
fn a_crash_after_aruba_issued_a_new_token_still_counts_toward_the_30_minutes() {
    for step in ["after-response", "after-secrets"] {
        let fake = Fake::aruba();
        let home = Home::new();
        add_aruba_code_account(&home, &fake);
        crash(&home, &["generate", "central"], step);
        assert_eq!(fake.state().generates, 1, "{step}: Aruba issued a token");
        let requests = fake.state().requests;
        let err = home.run(&["generate", "central"]).fails(1);
        assert!(err.contains("30 minutes"), "{step}: {err}");
        assert_eq!(
            fake.state().requests,
            requests,
            "{step}: refused before any request"
        );
    }
}
