//! Kept files (`export --out PATH --keep-fresh`): the agent keeps them holding a token the
//! server accepts, with nobody asking; a reader never sees one empty or half-written; a
//! symlink, a removed folder, a restart and a crash lose nothing; `--list`, `--stop` and
//! `remove` say what they did. Against the demo server's seconds-long tokens.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
#[cfg(unix)]
use std::path::PathBuf;
#[cfg(unix)]
use std::sync::atomic::{AtomicBool, Ordering};
#[cfg(unix)]
use std::sync::{Arc, Mutex};
#[cfg(unix)]
use std::time::{Duration, Instant};

use support::{Agent, Home, wait_until};
use tokenwallet::demo::oauth::{Config, OAuthServer};

/// A vault home whose agent socket is in the data dir, with a generated demo account whose
/// tokens live `access` and `refresh` seconds.
fn demo(access: i64, refresh: i64) -> (OAuthServer, Home) {
    let server = OAuthServer::start(Config {
        access_ttl_secs: access,
        refresh_ttl_secs: refresh,
        ..Config::default()
    })
    .unwrap();
    let mut home = Home::new();
    home.set_env("XDG_RUNTIME_DIR", "");
    home.add_demo_account(&server, "demo");
    home.run(&["generate", "demo"]).ok();
    (server, home)
}

fn keep(home: &Home, path: &Path, format: &str) -> String {
    let path = path.to_str().unwrap();
    let args = ["export", "demo", "--format", format, "--out", path];
    said(&home.run(&[&args[..], &["--keep-fresh"]].concat()))
}

/// What a run that succeeded said on stderr.
fn said(run: &support::Run) -> String {
    run.ok();
    run.stderr()
}

fn read_token(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap().trim().to_owned()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

// With no caller at all, the agent keeps the chain alive across three refresh-token
// lifetimes, and the kept file always holds a token the server accepts; a reader in a
// tight loop never sees it empty or half-written, and it stays owner-only.
// Unix only: wine's rename removes the file it replaces before it renames (real Windows
// replaces in one step), so under wine a reader can miss the file for an instant; and wine
// refuses to replace a file another program holds open, so the tight reader would hold the
// writer off. Windows' side is `store::fs`'s test of a reader holding the file.
#[cfg(unix)]
#[test]
fn an_agent_keeps_a_file_holding_a_token_the_server_accepts() {
    let (server, home) = demo(3, 6);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token.txt");
    let said = keep(&home, &path, "text");
    assert!(said.contains("keeps it fresh"), "{said}");
    let _agent = Agent::start(&home);
    home.run(&["unlock"]).ok();
    let first = read_token(&path);
    let (stop, seen) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(Mutex::new(Vec::new())),
    );
    let reader = {
        let (stop, seen, path) = (stop.clone(), seen.clone(), path.clone());
        std::thread::spawn(move || {
            let mut reads = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(
                    text.len() > 1 && text.ends_with('\n') && text.lines().count() == 1,
                    "a reader saw {text:?}"
                );
                seen.lock().unwrap().push(text.trim().to_owned());
                reads += 1;
            }
            reads
        })
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut checks = 0;
    while Instant::now() < deadline {
        let token = read_token(&path);
        assert!(
            server.state().access_valid(&token),
            "the kept file holds a token the server refuses, {} s in",
            20 - (deadline - Instant::now()).as_secs()
        );
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
        checks += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, Ordering::Relaxed);
    let reads = reader.join().unwrap();
    let state = server.state();
    assert!(state.refreshes >= 3, "{} refreshes", state.refreshes);
    assert_eq!(state.reuse_detected, 0);
    let mut tokens = seen.lock().unwrap().clone();
    tokens.dedup();
    assert!(
        tokens.len() >= 4,
        "the file was rewritten: {} tokens seen",
        tokens.len()
    );
    assert_ne!(read_token(&path), first);
    assert!(
        reads > 100 && checks > 100,
        "{reads} reads, {checks} checks"
    );
    // No temporary file is left beside it.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

// A symlink planted at a kept path is refused, never written through; the refusal is the
// file's error, and the account's other file goes on.
#[cfg(unix)]
#[test]
fn a_symlink_planted_at_a_kept_path_is_refused() {
    let (_server, home) = demo(3600, 86_400);
    let dir = tempfile::tempdir().unwrap();
    let (kept, other) = (dir.path().join("kept.txt"), dir.path().join("other.env"));
    keep(&home, &kept, "text");
    keep(&home, &other, "env");
    let target = dir.path().join("target");
    std::fs::write(&target, "not yours\n").unwrap();
    std::fs::remove_file(&kept).unwrap();
    std::os::unix::fs::symlink(&target, &kept).unwrap();
    home.run(&["refresh", "demo"]).ok();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "not yours\n");
    assert!(std::fs::symlink_metadata(&kept).unwrap().is_symlink());
    let fresh = home.run(&["token", "demo"]).ok();
    assert!(
        std::fs::read_to_string(&other)
            .unwrap()
            .contains(fresh.trim())
    );
    let list = home.run(&["export", "--list"]).ok();
    let row = list.lines().find(|l| l.contains("kept.txt")).unwrap();
    assert!(row.contains("error:") && row.contains("symlink"), "{list}");
    // Creating one refuses a symlink too, unless told to replace it.
    let planted = dir.path().join("planted.txt");
    std::os::unix::fs::symlink(&target, &planted).unwrap();
    let planted_arg = planted.to_str().unwrap();
    let args = ["export", "demo", "--out", planted_arg, "--keep-fresh"];
    let said = home.run(&args).fails(1);
    assert!(said.contains("already exists"), "{said}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "not yours\n");
}

// A kept file whose folder is removed: an error on that file in `export --list` and
// `show`; the account's other file and its keep-alive go on.
#[test]
fn a_removed_folder_is_an_error_on_that_file_alone() {
    let (server, home) = demo(3, 3600);
    let gone = tempfile::tempdir().unwrap();
    let stays = tempfile::tempdir().unwrap();
    let (lost, fresh) = (gone.path().join("a.txt"), stays.path().join("b.json"));
    keep(&home, &lost, "text");
    keep(&home, &fresh, "json");
    let gone_path = gone.path().to_owned();
    drop(gone);
    assert!(!gone_path.exists());
    let _agent = Agent::start(&home);
    home.run(&["unlock"]).ok();
    let before = server.state().refreshes;
    let refreshed = || server.state().refreshes >= before + 2;
    assert!(
        wait_until(&mut (), |()| {}, |()| refreshed()),
        "two keep-alive refreshes"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&fresh).unwrap()).unwrap();
    assert!(
        server
            .state()
            .access_valid(json["access_token"].as_str().unwrap())
    );
    let listed = home.run(&["export", "--list"]).ok();
    let lost_row = listed.lines().find(|l| l.contains("a.txt")).unwrap();
    assert!(
        lost_row.contains("error:") && lost_row.contains("not written"),
        "{listed}"
    );
    let fresh_row = listed.lines().find(|l| l.contains("b.json")).unwrap();
    assert!(!fresh_row.contains("error:"), "{listed}");
    let shown = home.show("demo");
    let files = shown["kept_files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    let lost_json = files
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("a.txt"))
        .unwrap();
    assert!(
        lost_json["error"].is_string() && lost_json["written_at"].is_null(),
        "{lost_json}"
    );
    assert_eq!(shown["next_refresh_why"], "kept_files");
}

// The agent killed between storing a refresh and rewriting the kept file, then started
// again: the file is caught up with the stored token, and the chain holds.
#[cfg(debug_assertions)] // the crash hook is compiled into test builds only
#[test]
fn an_agent_killed_mid_refresh_catches_its_kept_files_up() {
    let (server, home) = demo(3, 3600);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token.txt");
    keep(&home, &path, "text");
    let first = read_token(&path);
    let mut crashing = Agent::start_env(&home, &[("TOKENWALLET_CRASH_AT", "after-metadata")]);
    home.run(&["unlock"]).ok();
    assert!(
        wait_until(
            &mut (&mut crashing, false),
            |(agent, exited)| *exited = agent.0.try_wait().unwrap().is_some(),
            |(_, exited)| *exited
        ),
        "the agent's crash"
    );
    let stored = home.secret("demo", "access_token");
    assert_ne!(stored, first, "the refresh was stored before the crash");
    assert_eq!(
        read_token(&path),
        first,
        "the crash came before the rewrite"
    );
    let _agent = Agent::start(&home);
    home.run(&["unlock"]).ok();
    assert!(
        wait_until(&mut (), |()| {}, |()| read_token(&path) != first),
        "the kept file caught up"
    );
    // A live token of the chain: the stored one, or (on a slow machine, where 3 s of access
    // token passed meanwhile) the one the agent renewed it with.
    assert!(
        wait_until(
            &mut (),
            |()| {},
            |()| server.state().access_valid(&read_token(&path))
        ),
        "the kept file holds a live token"
    );
    assert_eq!(server.state().reuse_detected, 0);
}

// `--stop` forgets a file and leaves it; `remove` forgets the account's files and says so;
// a path kept for one account is refused for another.
#[test]
fn stop_and_remove_forget_files_and_leave_them_on_disk() {
    let (server, home) = demo(3600, 86_400);
    home.add_demo_account(&server, "other");
    home.run(&["generate", "other"]).ok();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.txt"), dir.path().join("b.txt"));
    keep(&home, &a, "text");
    keep(&home, &b, "header");
    let b_arg = b.to_str().unwrap();
    let refused = home
        .run(&["export", "other", "--out", b_arg, "--keep-fresh", "--force"])
        .fails(2);
    assert!(
        refused.contains("already kept fresh for 'demo'"),
        "{refused}"
    );
    let stopped = said(&home.run(&["export", "demo", "--out", b_arg, "--stop"]));
    assert!(stopped.contains("no longer kept fresh"), "{stopped}");
    let again = home
        .run(&["export", "demo", "--out", b_arg, "--stop"])
        .fails(2);
    assert!(again.contains("keeps no file"), "{again}");
    let header = std::fs::read_to_string(&b).unwrap();
    home.run(&["refresh", "demo"]).ok();
    assert_eq!(
        std::fs::read_to_string(&b).unwrap(),
        header,
        "a stopped file is left alone"
    );
    let fresh = home.run(&["token", "demo"]).ok();
    assert_eq!(
        read_token(&a),
        fresh.trim(),
        "a kept file follows every refresh"
    );
    let removed = said(&home.run(&["remove", "demo"]));
    assert!(
        removed.contains(&format!(
            "{} is no longer kept fresh; it stays on disk",
            a.display()
        )),
        "{removed}"
    );
    assert!(a.exists() && b.exists());
    let list = home.run(&["export", "--list"]);
    assert!(list.stdout().is_empty() && list.stderr().contains("no file is kept fresh"));
}

/// newman, installed from `tests/newman`'s lock file by `npm ci` the first time; `None`
/// without npm.
#[cfg(unix)]
fn newman() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/newman");
    let bin = dir.join("node_modules/.bin/newman");
    if !bin.exists() {
        let installed = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !installed {
            return None;
        }
    }
    bin.exists().then_some(bin)
}

// The real newman runs a collection against the demo server with a kept Postman
// environment, before and after the token it holds is replaced by a refresh.
#[cfg(unix)]
#[test]
fn newman_calls_the_api_with_a_kept_postman_environment() {
    let Some(newman) = newman() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "newman could not be installed: npm ci --prefix tests/newman"
        );
        eprintln!("skipped: newman is not installed (npm ci --prefix tests/newman)");
        return;
    };
    let (server, home) = demo(3600, 86_400);
    let dir = tempfile::tempdir().unwrap();
    let environment = dir.path().join("demo.postman_environment.json");
    keep(&home, &environment, "postman");
    let collection = dir.path().join("collection.json");
    std::fs::write(&collection, collection_json(&server.issuer())).unwrap();
    let run = || {
        let out = std::process::Command::new(&newman)
            .arg("run")
            .arg(&collection)
            .arg("-e")
            .arg(&environment)
            .args(["--reporters", "cli", "--disable-unicode", "--color", "off"])
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "newman failed:\n{said}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        said
    };
    let first = run();
    assert!(first.contains("hello from the demo API"), "{first}");
    let old = home.secret("demo", "access_token");
    home.run(&["refresh", "demo"]).ok();
    let new = home.secret("demo", "access_token");
    assert_ne!(new, old);
    // The old token dies at the server: only the rewritten environment can pass now.
    server.state().expire_access(&old);
    let second = run();
    assert!(second.contains("hello from the demo API"), "{second}");
    let text = std::fs::read_to_string(&environment).unwrap();
    assert!(text.contains(&new) && !text.contains(&old));
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<&str> = value["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "access_token",
            "auth_header",
            "auth_header_name",
            "expires_at"
        ]
    );
}

/// A collection of one request to the demo server's API, authorised with the kept
/// environment's header, that fails unless the server accepts it.
#[cfg(unix)]
fn collection_json(base: &str) -> String {
    serde_json::json!({
        "info": {
            "name": "tokenwallet demo",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
        },
        "item": [{
            "name": "who am I",
            "request": {
                "method": "GET",
                "header": [{ "key": "{{auth_header_name}}", "value": "{{auth_header}}" }],
                "url": format!("{base}/api/me")
            },
            "event": [{
                "listen": "test",
                "script": { "exec": [
                    "pm.test('accepted', () => pm.response.to.have.status(200));",
                    "pm.test('not expired', () => pm.expect(Date.parse(pm.environment.get('expires_at'))).to.be.above(Date.now()));",
                    "console.log(pm.response.json().message);"
                ]}
            }]
        }]
    })
    .to_string()
}
