//! The rotation rules across processes: several CLI processes racing to refresh one
//! account spend its refresh token once; processes refreshing different accounts at once
//! lose neither update. The server revokes the whole grant if a rotated-out refresh token
//! is ever presented again (RFC 9700), so a lost race would show.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Child;
use std::time::Duration;

use support::{Home, finish};
use tokenwallet::demo::oauth::{Config, OAuthServer};

/// A demo account with a generated token set.
fn add(home: &Home, server: &OAuthServer, name: &str) {
    home.add_demo_account(server, name);
    home.run(&["generate", name]).ok();
}

/// Whether `name`'s stored refresh token is one the server still honours: the chain holds.
fn spawn(home: &Home, args: &[&str]) -> Child {
    support::spawn(home.command(args))
}

/// Runs `n` processes with `args` at once; each must succeed; their outputs.
fn race(home: &Home, n: usize, args: &[&str]) -> Vec<String> {
    let children: Vec<Child> = (0..n).map(|_| spawn(home, args)).collect();
    children.into_iter().map(finish).collect()
}

#[test]
fn six_token_calls_on_an_expired_token_refresh_once() {
    let server = OAuthServer::start(Config::default()).unwrap();
    let home = Home::new();
    home.add_expiring_demo_account(&server, "demo");
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(home.show("demo")["state"], "expired");
    let refreshes = server.state().refreshes;

    let tokens = race(&home, 6, &["token", "demo"]);

    support::assert_one_refresh(&server, refreshes, &tokens);
    assert!(home.chain_holds(&server, "demo"));
}

#[test]
fn racing_explicit_refreshes_never_spend_a_dead_refresh_token() {
    let server = OAuthServer::start(Config::default()).unwrap();
    let home = Home::new();
    add(&home, &server, "demo");
    race(&home, 4, &["refresh", "demo"]);
    assert_eq!(server.state().reuse_detected, 0);
    assert!((1..=4).contains(&server.state().refreshes));
    assert!(home.chain_holds(&server, "demo"));
}

#[test]
fn two_processes_refreshing_two_accounts_lose_neither_update() {
    let server = OAuthServer::start(Config::default()).unwrap();
    let home = Home::new();
    add(&home, &server, "a");
    add(&home, &server, "b");
    for _ in 0..5 {
        let (a, b) = (
            spawn(&home, &["refresh", "a"]),
            spawn(&home, &["refresh", "b"]),
        );
        finish(a);
        finish(b);
    }
    assert_eq!(server.state().refreshes, 10);
    assert_eq!(server.state().reuse_detected, 0);
    for name in ["a", "b"] {
        assert!(
            home.chain_holds(&server, name),
            "{name} lost its rotated refresh token"
        );
        assert!(home.access_holds(&server, name));
    }
}

#[test]
fn refresh_all_in_parallel_rotates_every_account_once_and_reports_in_order() {
    let server = OAuthServer::start(Config::default()).unwrap();
    let home = Home::new();
    let names: Vec<String> = (0..12).map(|i| format!("acct{i:02}")).collect();
    for name in &names {
        add(&home, &server, name);
    }
    let before = server.state().refreshes;
    // While it runs, a direct refresh of one of them races it: the locks keep the chain.
    let all = spawn(&home, &["refresh", "--all", "--jobs", "8"]);
    let racer = spawn(&home, &["refresh", "acct05"]);
    finish(racer);
    let output = all.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{said}");
    assert!(
        (before + 12..=before + 13).contains(&server.state().refreshes),
        "each account once (acct05 maybe twice: the racer asked too)"
    );
    assert_eq!(server.state().reuse_detected, 0);
    let reported: Vec<&str> = said
        .lines()
        .filter_map(|line| line.split('\'').nth(1))
        .collect();
    assert_eq!(reported, names, "one line per account, in the list's order");
    for name in &names {
        assert!(
            home.chain_holds(&server, name),
            "{name} lost its rotated refresh token"
        );
    }
    home.run(&["refresh", "--all", "--jobs", "0"]).fails(2);
}
