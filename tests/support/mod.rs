//! Shared test support: a wallet home driven through the real CLI binary, and strict,
//! stateful fakes of the vendor token APIs on 127.0.0.1.

#![allow(dead_code)]

pub mod fakes;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Steps `subject` until `done` holds, with a generous deadline (CI machines are shared and
/// slow; a passing wait returns at once); `false` when the deadline passed. The one wait
/// loop of the tests.
pub fn wait_until<T>(
    subject: &mut T,
    mut step: impl FnMut(&mut T),
    done: impl Fn(&T) -> bool,
) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_mins(1);
    while std::time::Instant::now() < deadline {
        step(subject);
        if done(subject) {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    false
}

/// A fresh home with the demo server's account `demo`, generated: where most tests start.
pub fn generated_demo() -> (tokenwallet::demo::oauth::OAuthServer, Home) {
    generated_demo_with(tokenwallet::demo::oauth::Config::default())
}

/// [`generated_demo`] with the server configured (lifetimes, clients).
pub fn generated_demo_with(
    config: tokenwallet::demo::oauth::Config,
) -> (tokenwallet::demo::oauth::OAuthServer, Home) {
    let server = tokenwallet::demo::oauth::OAuthServer::start(config).unwrap();
    let home = Home::new();
    home.add_demo_account(&server, "demo");
    home.run(&["generate", "demo"]).ok();
    (server, home)
}

/// The vault passphrase the tests use.
pub const PASSPHRASE: &str = "test passphrase 1";

/// A temporary wallet home and the environment every CLI run gets.
pub struct Home {
    /// The folder, removed when the home that made it is dropped (`None`: a view of it).
    dir: Option<std::sync::Arc<tempfile::TempDir>>,
    path: PathBuf,
    env: Vec<(String, String)>,
}

impl Home {
    /// A fresh home using the encrypted vault (shared across processes, like real use).
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self {
            path: dir.path().to_owned(),
            dir: Some(std::sync::Arc::new(dir)),
            env: vec![
                ("TOKENWALLET_SECRET_STORE".into(), "file".into()),
                ("TOKENWALLET_PASSPHRASE".into(), PASSPHRASE.into()),
                ("TOKENWALLET_VAULT_WORK_FACTOR".into(), "10".into()),
                ("TOKENWALLET_TIMEOUT_SECS".into(), "2".into()),
            ],
        }
    }

    /// A view of a data dir someone else made (the window's), with no environment of its
    /// own: runs get only what they are given.
    pub fn at(path: &Path) -> Self {
        Self {
            dir: None,
            path: path.to_owned(),
            env: Vec::new(),
        }
    }

    /// The data dir.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The same data dir, with the same environment to change on its own.
    pub fn sharing(&self) -> Self {
        Self {
            dir: self.dir.clone(),
            path: self.path.clone(),
            env: self.env.clone(),
        }
    }

    /// Sets an environment variable for later runs.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
    }

    /// Removes an environment variable from later runs.
    pub fn unset_env(&mut self, key: &str) {
        self.env.retain(|(k, _)| k != key);
    }

    /// A command for the CLI binary with this home and a clean environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tokenwallet"));
        command.arg("--home").arg(self.path()).args(args);
        for (key, _) in std::env::vars() {
            if key.starts_with("TOKENWALLET_") {
                command.env_remove(key);
            }
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        command.stdin(std::process::Stdio::null());
        command
    }

    /// Runs the CLI.
    pub fn run(&self, args: &[&str]) -> Run {
        Run(output(&mut self.command(args)))
    }

    /// `add` with the words of `line` (`NAME --provider P …`), then `values` (addresses and
    /// other words known only at run time), with `secrets` in the environment.
    pub fn add(&self, line: &str, values: &[&str], secrets: &[(&str, &str)]) -> Run {
        self.run_words(&format!("add {line}"), values, secrets)
    }

    /// The CLI with the words of `line`, then `values`, with `env` in the environment.
    pub fn run_words(&self, line: &str, values: &[&str], env: &[(&str, &str)]) -> Run {
        let args: Vec<&str> = line
            .split_whitespace()
            .chain(values.iter().copied())
            .collect();
        self.run_env(&args, env)
    }

    /// Runs the CLI with extra environment variables (secrets for `add`).
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = self.command(args);
        command.envs(env.iter().copied());
        Run(output(&mut command))
    }

    /// `add NAME`: a `password` account on the loopback demo OAuth server, as its default
    /// client (`demo-client`) and user (`demo`), with the server's revocation endpoint.
    pub fn add_demo_account(&self, server: &tokenwallet::demo::oauth::OAuthServer, name: &str) {
        self.add(
            "--provider oauth2 --grant password --client-id demo-client --username demo",
            &[
                name,
                "--url",
                &server.token_url(),
                "--revoke-url",
                &server.revoke_url(),
            ],
            &[
                ("TOKENWALLET_CLIENT_SECRET", "demo-secret"),
                ("TOKENWALLET_PASSWORD", "demo-password"),
            ],
        )
        .ok();
    }

    /// [`Home::add_demo_account`], then `generate` while the server issues access tokens
    /// that last one second (its later ones last an hour): once that second has passed,
    /// the next call must refresh.
    pub fn add_expiring_demo_account(
        &self,
        server: &tokenwallet::demo::oauth::OAuthServer,
        name: &str,
    ) {
        server.set_access_ttl(1);
        self.add_demo_account(server, name);
        self.run(&["generate", name]).ok();
        server.set_access_ttl(3600);
    }

    /// `add NAME` as [`Home::add_demo_account`], expecting it to fail; returns stderr.
    pub fn add_demo_account_fails(
        &self,
        server: &tokenwallet::demo::oauth::OAuthServer,
        name: &str,
    ) -> String {
        let run = self.add(
            "--provider oauth2 --client-id demo-client",
            &[name, "--url", &server.token_url()],
            &[("TOKENWALLET_CLIENT_SECRET", "demo-secret")],
        );
        assert_ne!(run.code(), 0, "{}", run.stderr());
        run.stderr()
    }

    /// `import` with `args`, from a file holding `content` (removed afterwards).
    pub fn import_text(&self, args: &[&str], content: &str) -> Run {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("import.txt");
        std::fs::write(&file, content).unwrap();
        let mut all = vec!["import"];
        all.extend_from_slice(args);
        all.extend(["--file", file.to_str().unwrap()]);
        self.run(&all)
    }

    /// `add NAME`: an `authorization_code` account on the demo OAuth server, its endpoints
    /// found by discovery, as the server's default client.
    pub fn add_browser_account(&self, server: &tokenwallet::demo::oauth::OAuthServer, name: &str) {
        self.add_code_account(name, &["--issuer", &server.issuer()]);
    }

    /// `add NAME`: an `authorization_code` account as the demo server's default client,
    /// with `endpoints` (`--issuer …`, or `--url … --auth-url …`, and any more options).
    pub fn add_code_account(&self, name: &str, endpoints: &[&str]) {
        let line = "--provider oauth2 --grant authorization_code --client-id demo-client";
        let secret = [("TOKENWALLET_CLIENT_SECRET", "demo-secret")];
        self.add(line, &[&[name][..], endpoints].concat(), &secret)
            .ok();
    }

    /// `show NAME --json`.
    pub fn show(&self, name: &str) -> Value {
        let run = self.run(&["show", name, "--json"]);
        run.ok();
        serde_json::from_str(&run.stdout()).unwrap()
    }

    /// The stored tokens, through `export --format json`.
    pub fn stored(&self, name: &str) -> Value {
        let run = self.run(&["export", name, "--token", "both", "--format", "json"]);
        run.ok();
        serde_json::from_str(&run.stdout()).unwrap()
    }

    /// One stored secret of `name` (`access_token`, `refresh_token`), which must be there.
    pub fn secret(&self, name: &str, key: &str) -> String {
        let stored = self.stored(name);
        stored[key]
            .as_str()
            .unwrap_or_else(|| panic!("{name} has no {key}: {stored}"))
            .to_owned()
    }

    /// Whether the refresh token stored for `name` is live at `server`: the chain holds.
    pub fn chain_holds(&self, server: &tokenwallet::demo::oauth::OAuthServer, name: &str) -> bool {
        server
            .state()
            .refresh_valid(&self.secret(name, "refresh_token"))
    }

    /// Whether the access token stored for `name` is live at `server`.
    pub fn access_holds(&self, server: &tokenwallet::demo::oauth::OAuthServer, name: &str) -> bool {
        server
            .state()
            .access_valid(&self.secret(name, "access_token"))
    }

    /// Whether `token NAME` succeeds and prints a token `server` takes.
    pub fn token_works(&self, server: &tokenwallet::demo::oauth::OAuthServer, name: &str) -> bool {
        server
            .state()
            .access_valid(self.run(&["token", name]).ok().trim())
    }

    /// The metadata record of the account `name`.
    pub fn record_path(&self, name: &str) -> PathBuf {
        tokenwallet::store::AccountsFile::new(self.path()).record_path(name)
    }

    /// The wallet-wide metadata (format, secret store).
    pub fn wallet_json(&self) -> PathBuf {
        self.path().join("accounts").join("wallet.json")
    }

    /// Every regular file under the data dir, with its bytes.
    pub fn files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![self.path().to_owned()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.is_file() {
                    // (not the agent's socket)
                    out.push((path.clone(), std::fs::read(&path).unwrap()));
                }
            }
        }
        out
    }
}

/// Whether curl, which stands in for a browser in the sign-in tests, is here (says so when
/// it is not).
pub fn has_curl() -> bool {
    let here = Command::new("curl").arg("--version").output().is_ok();
    if !here {
        eprintln!("skipped: curl is not installed");
    }
    here
}

/// Starts `command` with its output captured (to run several at once).
pub fn spawn(mut command: Command) -> std::process::Child {
    command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    start(&mut command)
}

/// Starts `command`. Under wine, `CreateProcess` now and then fails with
/// `ERROR_INTERNAL_ERROR` (1359) while other test processes start and stop (seen once in
/// CI, four `token` calls started at once): no process exists then, so it is tried again
/// after a pause. Any other error, and that one after five tries, fails the test.
pub fn start(command: &mut Command) -> std::process::Child {
    launch(|| command.spawn())
}

/// Runs `command` to its end (started as [`start`] does); its output.
pub fn output(command: &mut Command) -> Output {
    launch(|| command.output())
}

fn launch<T>(mut run: impl FnMut() -> std::io::Result<T>) -> T {
    const WINE_CREATE_PROCESS_FLAKE: i32 = 1359;
    for _ in 0..4 {
        match run() {
            Err(e) if cfg!(windows) && e.raw_os_error() == Some(WINE_CREATE_PROCESS_FLAKE) => {
                eprintln!("starting a process failed ({e}); trying again");
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            result => return result.unwrap(),
        }
    }
    run().unwrap()
}

/// Waits for a spawned run, which must succeed; its stdout.
pub fn finish(child: std::process::Child) -> String {
    Run(child.wait_with_output().unwrap()).ok()
}

/// A finished CLI run.
pub struct Run(pub Output);

impl Run {
    /// Stdout as text.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }

    /// Stderr as text.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }

    /// The exit code.
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }

    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> String {
        assert_eq!(
            self.code(),
            0,
            "expected success\nstdout: {}\nstderr: {}",
            self.stdout(),
            self.stderr()
        );
        self.stdout()
    }

    /// Asserts the exit code and returns stderr.
    #[track_caller]
    pub fn fails(&self, code: i32) -> String {
        assert_eq!(
            self.code(),
            code,
            "wrong exit code\nstdout: {}\nstderr: {}",
            self.stdout(),
            self.stderr()
        );
        self.stderr()
    }

    /// Asserts success and that stderr (the notes beside the output) says each of `words`;
    /// returns stdout.
    #[track_caller]
    pub fn ok_saying(&self, words: &[&str]) -> String {
        let out = self.ok();
        let err = self.stderr();
        for word in words {
            assert!(err.contains(word), "{word:?} not in: {err}");
        }
        out
    }

    /// Asserts the exit code and that stderr says each of `words`; returns stderr.
    #[track_caller]
    pub fn fails_saying(&self, code: i32, words: &[&str]) -> String {
        let err = self.fails(code);
        for word in words {
            assert!(err.contains(word), "{word:?} not in: {err}");
        }
        err
    }
}

/// A running agent; killed when dropped.
pub struct Agent(pub std::process::Child);

impl Agent {
    /// Starts the agent of `home` and waits until it listens.
    pub fn start(home: &Home) -> Self {
        Self::start_env(home, &[])
    }

    pub fn start_env(home: &Home, env: &[(&str, &str)]) -> Self {
        let mut command = home.command(&["agent"]);
        command.envs(env.iter().copied());
        Self::listening(command)
    }

    /// Starts `command` and waits until the agent says it listens.
    pub fn listening(mut command: std::process::Command) -> Self {
        command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        let mut child = start(&mut command);
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stderr.as_mut().unwrap()),
            &mut line,
        )
        .unwrap();
        assert!(line.contains("the agent serves"), "{line}");
        Self(child)
    }

    /// Starts the agent of `home` allowed at most `files` open descriptors.
    #[cfg(unix)]
    pub fn start_limited(home: &Home, files: u32) -> Self {
        let inner = home.command(&["agent"]);
        let mut command = std::process::Command::new("sh");
        command
            .arg("-c")
            .arg(format!("ulimit -n {files} && exec \"$0\" \"$@\""))
            .arg(inner.get_program())
            .args(inner.get_args());
        for (key, value) in inner.get_envs() {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        command.stdin(std::process::Stdio::null());
        Self::listening(command)
    }

    pub fn kill(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A two-thread tokio runtime, for tests that call the library's async API.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Racing callers all got the same valid token, from exactly one refresh since `before`
/// and no reuse of a spent refresh token.
pub fn assert_one_refresh(
    server: &tokenwallet::demo::oauth::OAuthServer,
    before: u32,
    tokens: &[String],
) {
    assert_eq!(server.state().refreshes, before + 1, "exactly one refresh");
    assert_eq!(server.state().reuse_detected, 0);
    assert!(tokens.iter().all(|t| t == &tokens[0]), "{tokens:?}");
    assert!(server.state().access_valid(tokens[0].trim()));
}
