//! The agent (`tokenwallet agent`) with the real CLI binary: it serves `token` and friends
//! with the same output, is the one refresher when callers race, holds the vault key only
//! between `unlock` and `lock` (or the end of the time given), refuses other users and
//! unsafe sockets, and callers carry on by themselves when it is gone. The same tests run
//! on Windows (under wine in CI) against the named pipe, but for those about Unix users and
//! folder modes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Child;
use std::time::Duration;

use support::{Agent, Home, PASSPHRASE, wait_until};
use tokenwallet::demo::oauth::{Config, OAuthServer};

/// A vault home whose agent socket is in the data dir (no `$XDG_RUNTIME_DIR`), so these
/// tests can reach it and open its folders up.
fn home() -> Home {
    let mut home = Home::new();
    home.set_env("XDG_RUNTIME_DIR", "");
    home
}

/// Where the agent of `home` listens: its socket, or on Windows the file naming its pipe.
fn socket_path(home: &std::path::Path) -> std::path::PathBuf {
    home.join("agent")
        .join(if cfg!(windows) { "pipe" } else { "agent.sock" })
}

/// A vault home with a generated demo account, an agent, and the vault unlocked.
fn unlocked() -> (OAuthServer, Home, Agent) {
    let server = OAuthServer::start(Config::default()).unwrap();
    let home = home();
    home.add_demo_account(&server, "demo");
    home.run(&["generate", "demo"]).ok();
    let agent = Agent::start(&home);
    let said = home.run(&["unlock", "--for", "1h"]).ok();
    assert!(
        home.run(&["unlock"])
            .stderr()
            .contains("holds the vault key for 8 h"),
        "{said}"
    );
    (server, home, agent)
}

/// A kB figure of process `pid` from Linux's `/proc/PID/status` (`VmLck`, `VmHWM`, …).
#[cfg(target_os = "linux")]
fn status_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// The kB process `pid` has locked into RAM (Linux's count, `VmLck`).
#[cfg(target_os = "linux")]
fn locked_kb(pid: u32) -> u64 {
    status_kb(pid, "VmLck")
}

/// A vault home whose demo account's access token has just expired, served by the agent
/// `start` starts, unlocked: the next `token` refreshes.
fn expired_behind_an_agent(start: impl FnOnce(&Home) -> Agent) -> (OAuthServer, Home, Agent) {
    let server = OAuthServer::start(Config::default()).unwrap();
    let home = home();
    home.add_expiring_demo_account(&server, "demo");
    let agent = start(&home);
    home.run(&["unlock"]).ok();
    std::thread::sleep(Duration::from_millis(1100));
    (server, home, agent)
}

/// A home whose runs have no passphrase: only the agent can open the vault.
fn without_passphrase(home: &Home) -> Home {
    let mut other = home.sharing();
    other.unset_env("TOKENWALLET_PASSPHRASE");
    other
}

#[test]
fn served_output_is_the_same_as_direct_output() {
    let (_server, home, _agent) = unlocked();
    let locked_out = without_passphrase(&home);
    for args in [
        &["token", "demo"][..],
        &["export", "demo", "--token", "both", "--format", "json"],
        &["export", "demo", "--format", "header"],
        &["show", "demo", "--json"],
        &["list", "--json"],
    ] {
        let served = locked_out.run(args);
        let direct = home.run_env(args, &[("TOKENWALLET_NO_AGENT", "1")]);
        assert_eq!(served.code(), 0, "{args:?}: {}", served.stderr());
        assert_eq!(served.stdout(), direct.ok(), "{args:?}");
    }
    // Errors too: the same sentence and exit code.
    let served = locked_out.run(&["token", "nobody"]);
    let direct = home.run_env(&["token", "nobody"], &[("TOKENWALLET_NO_AGENT", "1")]);
    assert_eq!(served.code(), direct.code());
    assert_eq!(served.stderr(), direct.stderr());
    // And --out writes the file here, with what the agent sent.
    let out = home.path().join("token.txt");
    locked_out
        .run(&["export", "demo", "--out", out.to_str().unwrap()])
        .ok();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        home.run(&["export", "demo"]).ok()
    );
}

#[test]
fn a_token_changed_behind_the_agents_back_is_seen_at_once() {
    let (server, home, _agent) = unlocked();
    let locked_out = without_passphrase(&home);
    let first = locked_out.run(&["token", "demo"]).ok();
    // Another process refreshes on its own: the agent's cached token is stale.
    home.run_env(&["refresh", "demo"], &[("TOKENWALLET_NO_AGENT", "1")])
        .ok();
    let second = locked_out.run(&["token", "demo"]).ok();
    assert_ne!(first, second);
    assert_eq!(
        second,
        home.run_env(&["token", "demo"], &[("TOKENWALLET_NO_AGENT", "1")])
            .ok()
    );
    assert!(server.state().access_valid(second.trim()));
    // The fast path takes --home before the command, as the full parser does.
    let output = support::output(
        std::process::Command::new(env!("CARGO_BIN_EXE_tokenwallet"))
            .arg(format!("--home={}", home.path().display()))
            .args(["token", "demo"])
            .env("XDG_RUNTIME_DIR", "")
            .env_remove("TOKENWALLET_PASSPHRASE")
            .env("TOKENWALLET_SECRET_STORE", "file"),
    );
    assert_eq!(String::from_utf8(output.stdout).unwrap(), second);
}

#[test]
fn the_agent_and_direct_callers_racing_on_an_expired_token_refresh_once() {
    let server = OAuthServer::start(Config::default()).unwrap();
    let home = home();
    home.add_expiring_demo_account(&server, "demo");
    let _agent = Agent::start(&home);
    home.run(&["unlock"]).ok();
    std::thread::sleep(Duration::from_millis(1100));
    let refreshes = server.state().refreshes;
    // Six callers through the agent, two opening the wallet themselves, all at once.
    let children: Vec<Child> = (0..8)
        .map(|i| {
            let mut command = home.command(&["token", "demo"]);
            if i % 4 == 3 {
                command.env("TOKENWALLET_NO_AGENT", "1");
            }
            support::spawn(command)
        })
        .collect();
    let tokens: Vec<String> = children.into_iter().map(support::finish).collect();
    support::assert_one_refresh(&server, refreshes, &tokens);
}

#[test]
fn unlock_lock_and_the_end_of_the_unlock() {
    let server = OAuthServer::start(Config::default()).unwrap();
    let home = home();
    home.add_demo_account(&server, "demo");
    home.run(&["generate", "demo"]).ok();
    let locked_out = without_passphrase(&home);
    // No agent: unlock says how to start one.
    assert!(home.run(&["unlock"]).fails(2).contains("tokenwallet agent"));
    let agent = Agent::start(&home);
    // Locked: the caller has no passphrase, and is told how to give the agent one.
    locked_out
        .run(&["token", "demo"])
        .fails_saying(1, &["tokenwallet unlock"]);
    // A wrong passphrase unlocks nothing.
    home.run_env(&["unlock"], &[("TOKENWALLET_PASSPHRASE", "wrong")])
        .fails_saying(1, &["passphrase is wrong"]);
    locked_out.run(&["token", "demo"]).fails(1);

    home.run(&["unlock", "--for", "1h"]).ok();
    let token = locked_out.run(&["token", "demo"]).ok();
    assert!(server.state().access_valid(token.trim()));
    #[cfg(target_os = "linux")]
    assert!(
        locked_kb(agent.0.id()) >= 4,
        "the vault key is locked into RAM"
    );
    assert!(
        home.run(&["lock"])
            .stderr()
            .contains("forgot the vault key")
    );
    locked_out.run(&["token", "demo"]).fails(1);
    #[cfg(target_os = "linux")]
    assert_eq!(locked_kb(agent.0.id()), 0, "the key's memory is let go");

    home.run(&["unlock", "--for", "1s"]).ok();
    locked_out.run(&["token", "demo"]).ok();
    let mut code = 0;
    assert!(
        wait_until(
            &mut code,
            |code| *code = locked_out.run(&["token", "demo"]).code(),
            |code| *code == 1
        ),
        "the key is forgotten when the time is up"
    );
    #[cfg(target_os = "linux")]
    assert_eq!(locked_kb(agent.0.id()), 0);
    // Nothing secret was written by the agent: no file holds the passphrase or the key.
    for (path, bytes) in home.files() {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(PASSPHRASE), "{}", path.display());
        assert!(!text.contains("AGE-SECRET-KEY"), "{}", path.display());
    }
    drop(agent);
}

#[test]
fn when_the_agent_is_gone_callers_carry_on_by_themselves() {
    let (server, home, mut agent) = unlocked();
    agent.kill();
    assert!(
        socket_path(home.path()).exists(),
        "a killed agent leaves its socket"
    );
    let token = home.run(&["token", "demo"]).ok();
    assert!(server.state().access_valid(token.trim()));
    // A new agent replaces the stale socket.
    let _again = Agent::start(&home);
    home.run(&["unlock"]).ok();
    assert_eq!(
        without_passphrase(&home).run(&["token", "demo"]).ok(),
        token
    );
}

/// What a service manager does to stop the agent (the systemd user unit in `packaging/`).
#[cfg(unix)]
#[test]
fn sigterm_stops_the_agent_cleanly() {
    let (server, home, mut agent) = unlocked();
    let pid = rustix::process::Pid::from_child(&agent.0);
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let status = agent.0.wait().unwrap();
    assert_eq!(status.code(), Some(0), "a clean stop, not death by signal");
    let mut said = String::new();
    std::io::Read::read_to_string(agent.0.stderr.as_mut().unwrap(), &mut said).unwrap();
    assert!(said.contains("the agent stopped"), "{said}");
    assert!(
        !socket_path(home.path()).exists(),
        "the socket is removed on the way out"
    );
    let token = home.run(&["token", "demo"]).ok();
    assert!(server.state().access_valid(token.trim()));
}

// The crash hook exists only where debug assertions are on (not under `--release`).
#[cfg(debug_assertions)]
#[test]
fn an_agent_killed_mid_refresh_loses_nothing() {
    // The agent dies after storing the new secrets, before the metadata.
    let (server, home, _agent) = expired_behind_an_agent(|home| {
        Agent::start_env(home, &[("TOKENWALLET_CRASH_AT", "after-secrets")])
    });
    let run = without_passphrase(&home).run(&["token", "demo"]);
    assert_ne!(
        run.code(),
        0,
        "the agent died: the caller had no passphrase to go on"
    );
    // The rotated refresh token was stored before the crash: the chain goes on.
    let token = home.run(&["token", "demo"]).ok();
    assert!(server.state().access_valid(token.trim()));
    assert_eq!(server.state().reuse_detected, 0);
    home.run(&["refresh", "demo"]).ok();
    assert_eq!(server.state().reuse_detected, 0);
}

#[cfg(unix)]
#[test]
fn an_unsafe_agent_folder_is_refused_by_both_sides() {
    use std::os::unix::fs::PermissionsExt as _;
    let (server, home, _agent) = unlocked();
    let socket = socket_path(home.path());
    let dir = socket.parent().unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    // The caller does not talk to it, says why, and does the work itself.
    let run = home.run(&["token", "demo"]);
    assert!(server.state().access_valid(run.ok().trim()));
    assert!(run.stderr().contains("not yours alone"), "{}", run.stderr());
    without_passphrase(&home)
        .run(&["token", "demo"])
        .fails_saying(1, &["not yours alone"]);
    // And no second agent starts there.
    let output = support::output(&mut home.command(&["agent"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not yours alone"));
}

/// Runs `perl -e CODE SOCKET` as the user `nobody` (needs root and setpriv).
#[cfg(unix)]
fn as_nobody(code: &str, socket: &std::path::Path) -> Option<std::process::Output> {
    if !rustix::process::getuid().is_root() {
        eprintln!("skipped: another user can only be tried as root");
        return None;
    }
    std::process::Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "/usr/bin/perl",
            "-e",
            code,
        ])
        .arg(socket)
        .output()
        .ok()
}

#[cfg(unix)]
#[test]
fn another_user_cannot_talk_to_the_agent() {
    use std::os::unix::fs::PermissionsExt as _;
    let (_server, home, _agent) = unlocked();
    let socket = socket_path(home.path());
    // A refused caller may find the socket closed before it writes: no SIGPIPE death.
    let ask = r#"
use IO::Socket::UNIX;
$SIG{PIPE} = 'IGNORE';
my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or do { print "refused: $!\n"; exit 3 };
print $s "{\"op\":\"token\",\"name\":\"demo\"}\n";
my $answer = <$s> // "";
print "answer: $answer\n";
exit 0;
"#;
    // The folder keeps another user from even reaching the socket.
    let Some(output) = as_nobody(ask, &socket) else {
        return;
    };
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    // With the folder and the socket opened up by mistake, the agent still checks the
    // caller's user id: it answers nothing.
    let dir = socket.parent().unwrap();
    for folder in [home.path(), dir] {
        std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o711)).unwrap();
    }
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    let output = as_nobody(ask, &socket).unwrap();
    let said = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(said.trim(), "answer:", "no token for another user: {said}");
}

// Issue 16, item 11: the pipe had Windows' default security (everyone could open it for
// reading, each open holding an instance), and callers sent requests to whatever pipe the
// file named.
#[cfg(windows)]
#[test]
fn the_pipe_is_this_users_alone() {
    let (server, home, _agent) = unlocked();
    let name = std::fs::read_to_string(socket_path(home.path())).unwrap();
    let pipe = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(name.trim())
        .unwrap();
    let dacl = tokenwallet::windows_acl::pipe_dacl(&pipe).unwrap();
    assert!(
        tokenwallet::windows_acl::grants_this_user_alone(&dacl),
        "{dacl}"
    );
    assert!(tokenwallet::windows_acl::pipe_is_mine(&pipe).unwrap());
    drop(pipe);
    let token = without_passphrase(&home).run(&["token", "demo"]).ok();
    assert!(server.state().access_valid(token.trim()));
}

#[cfg(windows)]
#[test]
fn the_pipe_name_is_drawn_anew_and_a_foreign_name_is_refused() {
    let (server, home, mut agent) = unlocked();
    let file = socket_path(home.path());
    let first = std::fs::read_to_string(&file).unwrap();
    assert!(first.starts_with(r"\\.\pipe\tokenwallet-"), "{first}");
    agent.kill();
    let _again = Agent::start(&home);
    let second = std::fs::read_to_string(&file).unwrap();
    assert_ne!(first, second, "each agent draws a new random name");
    // A file naming a pipe that is not ours (planted, or damaged) is not followed: the
    // caller says so and does the work itself.
    std::fs::write(&file, r"\\.\pipe\someone-else").unwrap();
    let run = home.run(&["token", "demo"]);
    assert!(server.state().access_valid(run.ok().trim()));
    assert!(
        run.stderr()
            .contains("does not name a tokenwallet agent's pipe"),
        "{}",
        run.stderr()
    );
}

// Issue 16, item 1: a flood of idle callers ran the agent out of descriptors; `accept`
// failed, the agent exited mid-refresh and the rotated refresh token was lost.
#[cfg(unix)]
#[test]
fn a_flood_of_idle_and_garbage_callers_neither_stops_the_agent_nor_loses_the_chain() {
    use std::io::Write as _;
    use std::os::unix::net::UnixStream;
    use tokenwallet::demo::oauth::Fault;
    // Few descriptors, as a flood would leave them; time enough for a slow answer on a
    // busy machine.
    let (server, home, mut agent) = expired_behind_an_agent(|home| {
        let mut patient = home.sharing();
        patient.set_env("TOKENWALLET_TIMEOUT_SECS", "20");
        Agent::start_limited(&patient, 40)
    });
    // Answered after 2 s, while the flood comes in.
    server.inject(Fault::SlowAfterRotate(Duration::from_secs(2)));
    let requests = server.state().token_requests;
    let first = support::spawn(without_passphrase(&home).command(&["token", "demo"]));
    assert!(
        wait_until(
            &mut (),
            |()| {},
            |()| server.state().token_requests > requests
        ),
        "the agent sent its refresh"
    );
    // The server has rotated; the agent's answer is on its way. Now the flood.
    let socket = socket_path(home.path());
    let mut flood = Vec::new();
    for n in 0..60 {
        let Ok(mut stream) = UnixStream::connect(&socket) else {
            continue;
        };
        if n % 3 == 0 {
            stream.write_all(b"\x00\xffnot json at all\n").ok();
        }
        flood.push(stream);
    }
    let token = support::finish(first);
    assert!(server.state().access_valid(token.trim()), "{token}");
    assert!(
        agent.0.try_wait().unwrap().is_none(),
        "the agent is still running"
    );
    // The chain holds: the next caller (served, or turned away and on its own) gets a
    // valid token with no refresh token spent twice.
    let again = home.run(&["token", "demo"]).ok();
    assert!(server.state().access_valid(again.trim()));
    home.run(&["refresh", "demo"]).ok();
    assert_eq!(server.state().reuse_detected, 0);
    assert_eq!(server.state().refreshes, 2);
    // Once the idle callers time out, the agent answers again (lock has no fallback).
    drop(flood);
    let said = home.run(&["lock"]).ok();
    assert!(agent.0.try_wait().unwrap().is_none(), "{said}");
    assert!(
        home.run(&["lock"]).stderr().contains("held no vault key"),
        "the agent answered"
    );
}

// Issue 16, item 1: idle callers are let go, so they do not hold the agent's room.
#[cfg(unix)]
#[test]
fn an_idle_caller_is_let_go() {
    use std::io::Read as _;
    let (_server, home, _agent) = unlocked();
    let mut idle = std::os::unix::net::UnixStream::connect(socket_path(home.path())).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut rest = Vec::new();
    // The agent closes it (end of file) well before the test's own bound.
    assert_eq!(idle.read_to_end(&mut rest).unwrap(), 0);
}

// Issue 16, item 1: twelve wrong unlocks at once took the agent from 9 MB to 807 MB: one
// key derivation (64 MiB) each, all at once. Now one at a time.
#[cfg(target_os = "linux")]
#[test]
fn wrong_unlocks_at_once_derive_one_key_at_a_time() {
    let server = OAuthServer::start(Config::default()).unwrap();
    // A vault at the real work factor (2^16: 64 MiB per derivation).
    let mut home = home();
    home.unset_env("TOKENWALLET_VAULT_WORK_FACTOR");
    home.add_demo_account(&server, "demo");
    let agent = Agent::start(&home);
    let before = peak_rss_kb(agent.0.id());
    let tries: Vec<_> = (0..4)
        .map(|_| {
            let mut wrong = home.sharing();
            wrong.set_env("TOKENWALLET_PASSPHRASE", "wrong");
            support::spawn(wrong.command(&["unlock"]))
        })
        .collect();
    for child in tries {
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(1));
    }
    let grown = peak_rss_kb(agent.0.id()) - before;
    // One derivation at a time: 64 MiB and change; four at once would be 256 MiB.
    assert!(grown < 160 * 1024, "the agent's peak grew by {grown} kB");
}

/// The most RAM process `pid` has used, in kB (Linux's `VmHWM`).
#[cfg(target_os = "linux")]
fn peak_rss_kb(pid: u32) -> u64 {
    status_kb(pid, "VmHWM")
}

// Issue 16, item 2: unlock on an agent serving another store created a vault and switched
// to it, and every token through the agent failed until lock.
#[test]
fn unlock_without_a_vault_creates_none() {
    let server = OAuthServer::start(Config::default()).unwrap();
    // An agent on the memory store: nothing to unlock.
    let mut memory = home();
    memory.set_env("TOKENWALLET_SECRET_STORE", "memory");
    let _agent = Agent::start(&memory);
    let said = memory.run(&["unlock"]).ok();
    assert!(said.is_empty());
    let err = memory.run(&["unlock"]).stderr();
    assert!(err.contains("nothing to unlock"), "{err}");
    assert!(!memory.path().join("vault").exists(), "a vault was created");
    assert!(
        memory.run(&["list"]).ok().contains("no accounts") || memory.run(&["list"]).code() == 0
    );
    // An agent on a data dir with no vault yet: none is made from a passphrase typed once.
    let empty = home();
    let _waiting = Agent::start(&empty);
    empty
        .run(&["unlock"])
        .fails_saying(2, &["no vault to unlock"]);
    assert!(!empty.path().join("vault").exists(), "a vault was created");
    // A vault that exists still unlocks.
    empty.add_demo_account(&server, "demo");
    empty.run(&["unlock"]).ok();
}

// Issue 16, item 3: tokens the agent had sent were still in its memory after lock.
#[cfg(target_os = "linux")]
#[test]
fn after_lock_no_token_is_left_in_the_agents_memory() {
    let (_server, home, agent) = unlocked();
    let locked_out = without_passphrase(&home);
    let token = locked_out.run(&["token", "demo"]).ok().trim().to_owned();
    let refresh = home.secret("demo", "refresh_token");
    locked_out.run(&["show", "demo"]).ok();
    home.run(&["lock"]).ok();
    let pid = agent.0.id();
    match memory_of(pid) {
        Ok(memory) => {
            for secret in [&token, &refresh] {
                let found = memory
                    .windows(secret.len())
                    .filter(|w| *w == secret.as_bytes())
                    .count();
                assert_eq!(found, 0, "{secret} is still in the agent's memory");
            }
        }
        // Not root: the agent's memory is closed to the same user (non-dumpable).
        Err(err) => assert!(
            !rustix::process::getuid().is_root(),
            "root could not read the agent's memory: {err}"
        ),
    }
}

/// Every readable, writable mapping of process `pid`.
#[cfg(target_os = "linux")]
fn memory_of(pid: u32) -> std::io::Result<Vec<u8>> {
    use std::io::{Read as _, Seek as _};
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps"))?;
    let mut mem = std::fs::File::open(format!("/proc/{pid}/mem"))?;
    let mut all = Vec::new();
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            continue;
        };
        if !perms.starts_with("rw") {
            continue;
        }
        let (start, end) = range.split_once('-').unwrap();
        let start = u64::from_str_radix(start, 16).unwrap();
        let end = u64::from_str_radix(end, 16).unwrap();
        let mut chunk = vec![0; usize::try_from(end - start).unwrap()];
        mem.seek(std::io::SeekFrom::Start(start))?;
        if mem.read_exact(&mut chunk).is_ok() {
            all.extend_from_slice(&chunk);
        }
    }
    Ok(all)
}

// Issue 18: with nobody asking, the agent keeps a chain alive across several refresh-token
// lifetimes (2-second access tokens, 6-second refresh tokens here).
#[test]
fn the_agent_keeps_a_chain_alive_with_nobody_asking() {
    let server = OAuthServer::start(Config {
        access_ttl_secs: 2,
        refresh_ttl_secs: 6,
        ..Config::default()
    })
    .unwrap();
    let home = home();
    home.add_demo_account(&server, "demo");
    home.run(&["generate", "demo"]).ok();
    let next = home.show("demo")["next_refresh_at"].clone();
    assert!(next.is_string(), "a next refresh is planned: {next}");
    let _agent = Agent::start(&home);
    home.run(&["unlock"]).ok();
    // Three refresh-token lifetimes and a little more, with no caller at all.
    std::thread::sleep(Duration::from_secs(20));
    assert!(
        server.state().refreshes >= 3,
        "{} refreshes",
        server.state().refreshes
    );
    assert_eq!(server.state().reuse_detected, 0);
    let refresh = home.secret("demo", "refresh_token");
    assert!(server.state().refresh_valid(&refresh), "the chain is alive");
    let token = without_passphrase(&home).run(&["token", "demo"]).ok();
    assert!(server.state().access_valid(token.trim()));
}

// Issue 17: a command asks the agent once. `token` asked a locked agent twice (its fast
// path, then the command), and `exec` twice per account (a token, then an export).
#[cfg(unix)]
#[test]
fn a_command_asks_an_agent_that_does_not_serve_it_once() {
    use std::io::{BufRead as _, Write as _};
    use std::os::unix::fs::PermissionsExt as _;
    let server = OAuthServer::start(Config::default()).unwrap();
    let home = home();
    home.add_demo_account(&server, "demo");
    home.add_demo_account(&server, "other");
    home.run(&["generate", "demo"]).ok();
    home.run(&["generate", "other"]).ok();
    // A stand-in agent whose vault is locked: it counts its callers.
    let socket = socket_path(home.path());
    let dir = socket.parent().unwrap();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = std::sync::Arc::clone(&asked);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut line = String::new();
            std::io::BufReader::new(&stream)
                .read_line(&mut line)
                .unwrap();
            seen.lock().unwrap().push(line);
            stream.write_all(b"{\"reply\":\"locked\"}\n").unwrap();
        }
    });
    let token = home.run(&["token", "demo"]).ok();
    assert!(server.state().access_valid(token.trim()));
    assert_eq!(
        asked.lock().unwrap().len(),
        1,
        "{:?}",
        asked.lock().unwrap()
    );
    let exec = home
        .run(&[
            "exec",
            "demo",
            "other",
            "--",
            "sh",
            "-c",
            "echo $DEMO_ACCESS_TOKEN",
        ])
        .ok();
    assert!(server.state().access_valid(exec.trim()), "{exec}");
    let asked = asked.lock().unwrap();
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert!(asked[1].contains("\"fresh\":true"), "{asked:?}");
}
