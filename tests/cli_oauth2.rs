//! The generic `oauth2` provider through the CLI binary, against the strict loopback
//! OAuth server: every grant, both client auth methods, discovery, rotation, revocation,
//! export formats, and secret hygiene.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::Value;
use support::Home;
use tokenwallet::demo::oauth::{Client, Config, OAuthServer};
use tokenwallet::model::ClientAuth;

fn server() -> OAuthServer {
    OAuthServer::start(Config {
        clients: vec![
            Client {
                id: "basic-client".into(),
                secret: "basic secret/with+chars".into(),
                auth: ClientAuth::Basic,
            },
            Client {
                id: "post-client".into(),
                secret: "post-secret".into(),
                auth: ClientAuth::Post,
            },
        ],
        ..Config::default()
    })
    .unwrap()
}

/// The server and an empty home: where each test here starts.
fn fresh() -> (OAuthServer, Home) {
    (server(), Home::new())
}

/// `add svc …`: the client registered for `client_secret_post`, with `extra` words and
/// `values` known at run time.
fn add_post_client(home: &Home, extra: &str, values: &[&str]) -> support::Run {
    let line = format!("svc --provider oauth2 --client-id post-client {extra}");
    home.add(
        &line,
        values,
        &[("TOKENWALLET_CLIENT_SECRET", "post-secret")],
    )
}

fn add_password_account(home: &Home, server: &OAuthServer, name: &str) {
    home.add(
        "--provider oauth2 --grant password --client-id basic-client --username demo",
        &[
            name,
            "--url",
            &server.token_url(),
            "--revoke-url",
            &server.revoke_url(),
        ],
        &[
            ("TOKENWALLET_CLIENT_SECRET", "basic secret/with+chars"),
            ("TOKENWALLET_PASSWORD", "demo-password"),
        ],
    )
    .ok();
}

#[test]
fn password_grant_generate_token_refresh_rotate_revoke() {
    let (server, home) = fresh();
    add_password_account(&home, &server, "demo");
    assert_eq!(home.show("demo")["state"], "empty");

    home.run(&["generate", "demo"]).ok();
    let first = home.stored("demo");
    let first_rt = first["refresh_token"].as_str().unwrap().to_owned();
    assert!(server.state().refresh_valid(&first_rt));
    assert_eq!(home.show("demo")["state"], "valid");

    // A valid cached token is printed as is: no request reaches the server.
    let requests = server.state().token_requests;
    let token = home.run(&["token", "demo"]).ok();
    assert_eq!(
        token,
        format!("{}\n", first["access_token"].as_str().unwrap())
    );
    assert_eq!(server.state().token_requests, requests);

    // Refresh rotates: the old refresh token is dead at the server, the new one is stored.
    home.run(&["refresh", "demo"]).ok();
    let second = home.stored("demo");
    let second_rt = second["refresh_token"].as_str().unwrap();
    assert_ne!(second_rt, first_rt);
    assert!(!server.state().refresh_valid(&first_rt));
    assert!(server.state().refresh_valid(second_rt));
    assert_ne!(second["access_token"], first["access_token"]);
    let shown = home.show("demo");
    assert_eq!(shown["scope"], "api:read");
    assert_eq!(shown["token_type"], "Bearer");
    assert!(shown["last_refreshed_at"].is_string());
    assert_eq!(shown["claims"]["payload"]["sub"], "demo");

    // Revoke: the server revokes the grant; the wallet forgets the tokens.
    let note = home.run(&["revoke", "demo"]).ok();
    assert!(note.is_empty());
    assert!(!server.state().refresh_valid(second_rt));
    assert!(
        !server
            .state()
            .access_valid(second["access_token"].as_str().unwrap())
    );
    assert_eq!(home.show("demo")["state"], "revoked");
    home.run(&["token", "demo"])
        .fails_saying(3, &["'demo'", "revoked"]);

    // Credentials were kept: a new token can be generated after a revoke.
    home.run(&["generate", "demo"]).ok();
    assert_eq!(home.show("demo")["state"], "valid");
}

#[test]
fn client_credentials_with_post_auth_and_discovery() {
    let (server, home) = fresh();
    add_post_client(
        &home,
        "--grant client_credentials --client-auth post --scope api:write",
        &["--issuer", &server.issuer()],
    )
    .ok();
    // `token` on an empty client-credentials account obtains one.
    let token = home.run(&["token", "svc"]).ok();
    assert!(server.state().access_valid(token.trim()));
    let shown = home.show("svc");
    assert_eq!(shown["scope"], "api:write");
    assert_eq!(shown["refresh_expires_at"], Value::Null);
    // Discovery found the revocation endpoint.
    home.run(&["revoke", "svc"]).ok();
    assert_eq!(server.state().revocations, 1);
    assert!(!server.state().access_valid(token.trim()));
}

#[test]
fn wrong_client_auth_method_is_rejected_by_the_server_and_reported() {
    let (server, home) = fresh();
    // post-client is registered for client_secret_post; Basic (the default) must fail.
    add_post_client(
        &home,
        "--grant client_credentials",
        &["--url", &server.token_url()],
    )
    .ok();
    home.run(&["generate", "svc"])
        .fails_saying(3, &["'svc'", "invalid_client"]);
}

#[test]
fn refresh_token_account_from_elsewhere() {
    let (server, home) = fresh();
    let rt = server.issue_refresh_token("basic-client", "alice");
    home.add(
        "ext --provider oauth2 --grant refresh_token --client-id basic-client",
        &["--url", &server.token_url()],
        &[
            ("TOKENWALLET_CLIENT_SECRET", "basic secret/with+chars"),
            ("TOKENWALLET_REFRESH_TOKEN", &rt),
        ],
    )
    .ok();
    let token = home.run(&["token", "ext"]).ok();
    assert!(server.state().access_valid(token.trim()));
    assert!(
        !server.state().refresh_valid(&rt),
        "the spent refresh token must be rotated out"
    );
    assert!(home.chain_holds(&server, "ext"));
}

#[test]
fn export_formats_and_private_out_file() {
    let (server, home) = fresh();
    add_password_account(&home, &server, "demo");
    home.run(&["generate", "demo"]).ok();
    let token = home.run(&["token", "demo"]).ok().trim().to_owned();
    assert_eq!(home.run(&["export", "demo"]).ok(), format!("{token}\n"));
    assert_eq!(
        home.run(&["export", "demo", "--format", "header"]).ok(),
        format!("Authorization: Bearer {token}\n")
    );
    assert!(
        home.run(&["export", "demo", "--format", "env"])
            .ok()
            .contains(&format!("DEMO_ACCESS_TOKEN='{token}'"))
    );
    assert!(
        home.run(&["export", "demo", "--format", "curl"])
            .ok()
            .starts_with(&format!("curl -H 'Authorization: Bearer {token}'"))
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("token.json");
    assert!(
        home.run_words(
            "export demo --token both --format json --out",
            &[out.to_str().unwrap()],
            &[]
        )
        .ok()
        .is_empty()
    );
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(json["access_token"], token.as_str());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // The JSON export imports back as another account with the same tokens.
    home.run_words(
        "import copy --provider oauth2",
        &[
            "--url",
            &server.token_url(),
            "--file",
            out.to_str().unwrap(),
        ],
        &[],
    )
    .ok();
    assert_eq!(home.stored("copy")["access_token"], token.as_str());
    assert_eq!(
        home.show("copy")["access_expires_at"],
        home.show("demo")["access_expires_at"]
    );
}

#[test]
fn secrets_never_reach_stdout_logs_or_plain_files() {
    let server = server();
    let mut home = Home::new();
    home.set_env("TOKENWALLET_LOG", "trace");
    add_password_account(&home, &server, "demo");
    home.run(&["generate", "demo"]).ok();
    home.run(&["refresh", "demo"]).ok();
    let stored = home.stored("demo");
    let secrets = [
        stored["access_token"].as_str().unwrap(),
        stored["refresh_token"].as_str().unwrap(),
        "basic secret/with+chars",
        "demo-password",
        support::PASSPHRASE,
    ];
    let mut outputs = Vec::new();
    for args in [
        &["list"][..],
        &["list", "--json"],
        &["show", "demo"],
        &["show", "demo", "--json"],
        &["refresh", "demo"],
    ] {
        let run = home.run(args);
        run.ok();
        outputs.push(run.stdout());
        outputs.push(run.stderr());
    }
    // Trace logging was really on, or this proves nothing.
    assert!(
        outputs
            .iter()
            .any(|o| o.contains("TRACE") || o.contains("DEBUG")),
        "no log output at trace level"
    );
    let stored = home.stored("demo");
    let fresh = [
        stored["access_token"].as_str().unwrap(),
        stored["refresh_token"].as_str().unwrap(),
    ];
    for secret in secrets.iter().chain(&fresh) {
        for output in &outputs {
            assert!(
                !output.contains(secret),
                "secret leaked into output:\n{output}"
            );
        }
        for (path, bytes) in home.files() {
            assert!(
                !String::from_utf8_lossy(&bytes).contains(secret),
                "secret in plain file {}",
                path.display()
            );
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        for (path, _) in home.files() {
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", path.display());
        }
    }
}

#[test]
fn usage_errors_exit_2_and_insecure_urls_are_refused_before_any_request() {
    let home = Home::new();
    assert_eq!(home.run(&["frobnicate"]).code(), 2);
    assert_eq!(home.add("x --provider nope", &[], &[]).code(), 2);
    // No server exists at this address: the refusal must come from validation alone.
    home
        .add("x --provider oauth2 --grant client_credentials --url http://tokens.example.com/token --client-id c", &[], &[("TOKENWALLET_CLIENT_SECRET", "s")])
        .fails_saying(2, &["loopback", "https"]);
    home.add(
        "x --provider oauth2 --grant client_credentials --url https://as.example/token",
        &[],
        &[],
    )
    .fails_saying(2, &["--client-id", "TOKENWALLET_CLIENT_SECRET"]);
    home.run(&["token", "missing"])
        .fails_saying(1, &["'missing'"]);
    assert!(home.run(&["list"]).ok().starts_with("NAME"));
    assert_eq!(home.run(&["list", "--json"]).ok().trim(), "[]");
}

#[test]
fn list_json_has_the_contract_fields() {
    let (server, home) = fresh();
    add_password_account(&home, &server, "demo");
    home.run(&["generate", "demo"]).ok();
    let list: Value = serde_json::from_str(&home.run(&["list", "--json"]).ok()).unwrap();
    let entry = list[0].as_object().unwrap();
    let mut keys: Vec<&str> = entry.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "access_expires_at",
            "kept_files",
            "last_error",
            "last_refreshed_at",
            "name",
            "next_refresh_at",
            "next_refresh_why",
            "provider",
            "refresh_expires_at",
            "scope",
            "state",
            "token_type"
        ]
    );
    assert_eq!(entry["provider"], "oauth2");
    assert_eq!(entry["kept_files"], serde_json::json!([]));
    let expires =
        chrono::DateTime::parse_from_rfc3339(entry["access_expires_at"].as_str().unwrap()).unwrap();
    let in_secs = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds();
    assert!((3500..=3600).contains(&in_secs), "{in_secs}");
    assert!(entry["access_expires_at"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn the_memory_store_is_never_recorded_as_the_wallets_store() {
    let server = server();
    let mut home = Home::new();
    home.set_env("TOKENWALLET_SECRET_STORE", "memory");
    add_password_account(&home, &server, "scratch");
    let data: Value = std::fs::read(home.wallet_json())
        .map_or(Value::Null, |bytes| serde_json::from_slice(&bytes).unwrap());
    assert!(
        data.get("secret_store").is_none_or(Value::is_null),
        "a later run would be led to a store that kept nothing: {data}"
    );
    // The next run, with the vault, is not refused or misled by the memory run.
    home.set_env("TOKENWALLET_SECRET_STORE", "file");
    add_password_account(&home, &server, "kept");
    home.run(&["generate", "kept"]).ok();
    assert!(home.path().join("vault").join("key.age").exists());
}

#[test]
fn an_answer_without_token_type_still_keeps_the_rotated_refresh_token() {
    let (server, home) = fresh();
    add_password_account(&home, &server, "demo");
    home.run(&["generate", "demo"]).ok();
    let old = home.secret("demo", "refresh_token");
    // The server rotates the refresh token but breaks RFC 6749 §5.1 in its answer.
    server.state().omit_token_type = true;
    home.run(&["refresh", "demo"]).ok();
    let new = home.secret("demo", "refresh_token");
    assert_ne!(new, old);
    assert!(server.state().refresh_valid(&new), "the new one was stored");
    assert!(!server.state().refresh_valid(&old));
    assert_eq!(home.show("demo")["token_type"], "Bearer");
    // And it keeps working: the next refresh presents the stored (rotated) token.
    home.run(&["refresh", "demo"]).ok();
    assert_eq!(server.state().reuse_detected, 0);
}

#[test]
fn export_of_one_or_both_tokens_and_the_round_trip_through_import() {
    let (server, home) = fresh();
    add_password_account(&home, &server, "demo");
    home.run(&["generate", "demo"]).ok();
    let stored = home.stored("demo");
    let access = stored["access_token"].as_str().unwrap().to_owned();
    let refresh = stored["refresh_token"].as_str().unwrap().to_owned();

    // The default is the access token alone, in every format.
    for format in ["text", "json", "env"] {
        let out = home.run(&["export", "demo", "--format", format]).ok();
        assert!(
            out.contains(&access) && !out.contains(&refresh),
            "{format}: {out}"
        );
    }
    assert_eq!(
        home.run(&["export", "demo", "--token", "refresh"]).ok(),
        format!("{refresh}\n")
    );
    let env = home
        .run(&["export", "demo", "--token", "refresh", "--format", "env"])
        .ok();
    assert!(env.contains(&format!("DEMO_REFRESH_TOKEN='{refresh}'")) && !env.contains(&access));

    // Header and curl carry only the access token: asking for more is a usage error.
    for format in ["header", "curl"] {
        for token in ["refresh", "both"] {
            home.run(&["export", "demo", "--token", token, "--format", format])
                .fails_saying(2, &["only the access token"]);
        }
    }

    // Both, as text and as JSON, import back as the same pair.
    for format in ["text", "json"] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pair");
        home.run_words(
            "export demo --token both --out",
            &[file.to_str().unwrap(), "--format", format],
            &[],
        )
        .ok();
        let copy = format!("copy-{format}");
        home.run_words(
            "import --provider oauth2",
            &[
                &copy,
                "--url",
                &server.token_url(),
                "--file",
                file.to_str().unwrap(),
            ],
            &[],
        )
        .ok();
        let imported = home.stored(&copy);
        assert_eq!(imported["access_token"], access.as_str(), "{format}");
        assert_eq!(imported["refresh_token"], refresh.as_str(), "{format}");
    }
}

#[test]
fn exporting_a_refresh_token_that_is_not_there_says_so() {
    let (server, home) = fresh();
    add_post_client(&home, "--client-auth post", &["--url", &server.token_url()]).ok();
    home.run(&["export", "svc"])
        .fails_saying(1, &["'svc'", "no access token", "tokenwallet generate svc"]);
    home.run(&["generate", "svc"]).ok();
    home.run(&["export", "svc", "--token", "both"])
        .fails_saying(1, &["no refresh token"]);
}

#[test]
fn a_sign_in_whose_port_is_taken_says_so_and_stores_nothing() {
    let server = OAuthServer::start(Config::default()).unwrap();
    let home = Home::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    home.add_code_account(
        "me",
        &["--issuer", &server.issuer(), "--redirect-uri", &redirect],
    );
    let err = home.run(&["generate", "me"]).fails(1);
    assert!(
        err.contains(&format!("port {port}")) && err.contains("'me'"),
        "{err}"
    );
    assert_eq!(home.show("me")["state"], "empty");
    assert_eq!(server.state().token_requests, 0);
}

#[test]
fn the_demo_server_signs_in_through_the_browser_flow() {
    // curl stands in for the browser: it follows the demo server's redirect to the callback.
    if !support::has_curl() {
        return;
    }
    let server = OAuthServer::start(Config::default()).unwrap();
    let home = Home::new();
    home.add_browser_account(&server, "me");
    home.run_env(
        &["generate", "me"],
        &[("BROWSER", "curl --silent --location --output /dev/null")],
    )
    .ok();
    let token = home.run(&["token", "me"]).ok();
    assert!(server.state().access_valid(token.trim()));
    home.run(&["refresh", "me"]).ok();
    assert_eq!(server.state().refreshes, 1);
}
