//! `tokenwallet exec`: a command gets fresh tokens in its environment (never in its
//! arguments), the refresh token only when asked, the command's exit code and signals as
//! its own, and nothing runs when no valid token can be had. The commands are shell scripts
//! (`cmd` on Windows, under wine).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

#[cfg(unix)]
use std::io::{BufRead as _, BufReader};
#[cfg(unix)]
use std::process::Stdio;
use std::time::Duration;

use support::Home;
use tokenwallet::demo::oauth::{Config, OAuthServer};

/// A vault home with a demo account whose access token has just expired.
fn expired() -> (OAuthServer, Home) {
    let server = OAuthServer::start(Config::default()).unwrap();
    let home = Home::new();
    home.add_expiring_demo_account(&server, "demo");
    std::thread::sleep(Duration::from_millis(1100));
    (server, home)
}

#[cfg(unix)]
#[test]
fn the_command_gets_fresh_tokens_and_its_exit_code_is_the_answer() {
    let (server, home) = expired();
    let script = r#"printf '%s\n%s\n%s\n%s\n' "$DEMO_ACCESS_TOKEN" "$DEMO_AUTH_HEADER" "$HDR" "$DEMO_EXPIRES_AT"
env | grep -c -e TOKENWALLET_PASSPHRASE -e REFRESH_TOKEN
exit 7"#;
    let run = home.run(&[
        "exec",
        "demo",
        "--var",
        "HDR=demo:header",
        "--",
        "sh",
        "-c",
        script,
    ]);
    assert_eq!(run.code(), 7, "{}", run.stderr());
    let out = run.stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        server.state().refreshes,
        1,
        "the expired token was renewed first"
    );
    assert!(server.state().access_valid(lines[0]), "{out}");
    assert_eq!(lines[1], format!("Authorization: Bearer {}", lines[0]));
    assert_eq!(lines[2], lines[1]);
    assert!(lines[3].ends_with('Z'), "an RFC 3339 expiry: {out}");
    assert_eq!(lines[4], "0", "no passphrase and no refresh token: {out}");
}

#[cfg(unix)]
#[test]
fn the_refresh_token_goes_in_only_when_asked() {
    let (_server, home) = expired();
    let refresh = home.secret("demo", "refresh_token");
    let plain = home.run(&["exec", "demo", "--", "env"]).ok();
    assert!(!plain.contains(&refresh));
    let asked = home
        .run(&["exec", "--var", "RT=demo:refresh", "--", "env"])
        .ok();
    // The token that refresh rotated in: the stored one, now.
    let now = home.secret("demo", "refresh_token");
    assert!(asked.lines().any(|l| l == format!("RT={now}")), "{asked}");
}

#[cfg(unix)]
#[test]
fn signals_reach_the_command_and_no_token_is_in_its_arguments() {
    let (server, home) = expired();
    let mut command = home.command(&[
        "exec",
        "demo",
        "--",
        "sh",
        "-c",
        "trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done",
    ]);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = support::start(&mut command);
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "ready\n");
    let token = home.secret("demo", "access_token");
    assert!(server.state().access_valid(&token));
    let argv = std::fs::read(format!("/proc/{}/cmdline", child.id())).unwrap_or_default();
    assert!(
        !String::from_utf8_lossy(&argv).contains(&token),
        "the token is in the arguments"
    );
    let pid = rustix::process::Pid::from_child(&child);
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(42));
}

#[cfg(unix)]
#[test]
fn nothing_runs_without_a_valid_token() {
    let (_server, home) = expired();
    // The refresh token dies at the server: no valid token can be had.
    home.run(&["revoke", "demo"]).ok();
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let err = home
        .run(&["exec", "demo", "--", "touch", marker.to_str().unwrap()])
        .stderr();
    assert!(!marker.exists(), "the command ran");
    assert!(err.contains("demo"), "{err}");
    // Usage errors say how to write it.
    home.run(&["exec", "--var", "1X=demo", "--", "true"])
        .fails_saying(2, &["not a variable name"]);
    home.run(&["exec", "--", "true"])
        .fails_saying(2, &["at least one account"]);
}

#[cfg(unix)]
#[test]
fn through_the_agent_the_caller_needs_no_passphrase() {
    let (server, mut home) = expired();
    home.set_env("XDG_RUNTIME_DIR", "");
    let _agent = support::Agent::start(&home);
    home.run(&["unlock"]).ok();
    let mut caller = home.sharing();
    caller.unset_env("TOKENWALLET_PASSPHRASE");
    let token = caller
        .run(&[
            "exec",
            "demo",
            "--",
            "sh",
            "-c",
            "echo \"$DEMO_ACCESS_TOKEN\"",
        ])
        .ok();
    assert!(server.state().access_valid(token.trim()));
    assert_eq!(server.state().refreshes, 1);
}

#[cfg(windows)]
#[test]
fn on_windows_the_command_gets_fresh_tokens_and_its_exit_code_is_passed_on() {
    let (server, home) = expired();
    let run = home.run(&[
        "exec",
        "demo",
        "--",
        "cmd",
        "/c",
        "echo %DEMO_ACCESS_TOKEN%& exit 7",
    ]);
    assert_eq!(run.code(), 7, "{}", run.stderr());
    assert!(
        server.state().access_valid(run.stdout().trim()),
        "{}",
        run.stdout()
    );
    assert_eq!(server.state().refreshes, 1);
}
