//! `api spec|ops|call`: the OpenAPI engine through the command line, against the demo
//! server's spec and echo route (which want a valid bearer token), a recording loopback
//! server for Active IQ's raw header, and the synthetic vendor specs in `tests/specs/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::{Arc, Mutex};

use serde_json::Value;
use support::{Home, generated_demo};
use tokenwallet::demo::oauth::OAuthServer;
use tokenwallet::demo::server::{Request, Response, Server};

/// The demo with its spec kept as the API of `demo`.
fn demo_with_spec() -> (OAuthServer, Home) {
    let (server, home) = generated_demo();
    let spec = format!("{}/openapi.yaml", server.issuer());
    home.run(&["api", "spec", "demo", &spec]).ok_saying(&[
        "tokenwallet demo API 1.0",
        "4 operations",
        "api ops demo",
    ]);
    (server, home)
}

/// `api call NAME ARGS…`.
fn call(home: &Home, name: &str, args: &[&str]) -> support::Run {
    let mut all = vec!["api", "call", name];
    all.extend_from_slice(args);
    home.run(&all)
}

/// `api call NAME ARGS…` with each of `params` given as `-p PARAM`.
fn call_with(home: &Home, name: &str, args: &[&str], params: &[&str]) -> support::Run {
    let mut all = args.to_vec();
    for param in params {
        all.extend(["-p", param]);
    }
    call(home, name, &all)
}

/// Where the account's record says its spec was read from.
fn kept_spec(home: &Home, name: &str) -> Option<String> {
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(home.record_path(name)).unwrap()).unwrap();
    record["api_spec"].as_str().map(str::to_owned)
}

fn echoed(run: &support::Run) -> Value {
    serde_json::from_str(&run.ok()).unwrap()
}

#[test]
fn the_operations_are_listed_by_tag_and_filtered() {
    let (_server, home) = demo_with_spec();
    let all = home.run(&["api", "ops", "demo"]).ok();
    assert_eq!(
        all,
        "account\n  GET     /me  getMe  Who the token belongs to\n\
         echo\n  GET     /echo/{id}  echoGet  Sends back what it was sent\n\
         \x20 POST    /echo/{id}  echoPost  Sends back the note it was sent\n\
         \x20 DELETE  /echo/{id}  echoDelete  Pretends to delete\n"
    );
    // One operation alone comes with what it takes.
    let post = home.run(&["api", "ops", "demo", "echo", "post"]).ok();
    assert_eq!(
        post,
        "echo\n  POST    /echo/{id}  echoPost  Sends back the note it was sent\n\
         \x20   -p id=…  (path, string, required)\n\
         \x20   --data  (application/json, required), for example:\n\
         \x20     {\"priority\":\"low\",\"reply\":null,\"tags\":[\"\"],\"title\":\"hello\"}\n"
    );
    let get = home.run(&["api", "ops", "demo", "echoGet"]).ok();
    assert!(
        get.contains("    -p level=…  (query, string, one of info, warn, error, default info)\n"),
        "{get}"
    );
    home.run(&["api", "ops", "demo", "nothing"])
        .fails_saying(1, &["no operation"]);
    // A spec and its operations hold no secret: no passphrase is asked for them.
    let mut no_passphrase = home.sharing();
    no_passphrase.unset_env("TOKENWALLET_PASSPHRASE");
    assert_eq!(no_passphrase.run(&["api", "ops", "demo"]).ok(), all);
}

#[test]
fn a_spec_file_is_remembered_by_its_whole_path() {
    let (_server, home) = generated_demo();
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("api.yaml"), tokenwallet::demo::api::SPEC).unwrap();
    let mut command = home.command(&["api", "spec", "demo", "api.yaml"]);
    command.current_dir(folder.path());
    support::output(&mut command);
    let kept = kept_spec(&home, "demo").unwrap();
    let whole = std::fs::canonicalize(folder.path().join("api.yaml")).unwrap();
    assert_eq!(std::path::Path::new(&kept), whole);
    // The kept copy answers from anywhere, and without it the whole path still does.
    std::fs::remove_dir_all(home.path().join("specs")).unwrap();
    home.run(&["api", "ops", "demo", "me"]).ok_saying(&[]);
}

#[test]
fn each_parameter_kind_is_encoded_and_the_token_goes_as_bearer() {
    let (server, home) = demo_with_spec();
    let params = [
        "id=a b/c",
        "q=x&y",
        "q=z",
        "level=warn",
        "X-Trace=t-1",
        "session=s1",
    ];
    let run = call_with(&home, "demo", &["echoGet"], &params);
    assert!(
        run.stderr().contains("GET http://127.0.0.1:")
            && run
                .stderr()
                .contains("/api/echo/a%20b%2Fc?q=x%26y&q=z&level=warn → HTTP 200"),
        "{}",
        run.stderr()
    );
    let echo = echoed(&run);
    assert_eq!(echo["method"], "GET");
    assert_eq!(echo["path"], "/api/echo/a%20b%2Fc");
    assert_eq!(
        echo["query"],
        serde_json::json!([["q", "x&y"], ["q", "z"], ["level", "warn"]])
    );
    assert_eq!(echo["x_trace"], "t-1");
    assert_eq!(echo["cookie"], "session=s1");
    assert_eq!(server.state().api_calls, 1, "the bearer token was accepted");
}

#[test]
fn a_body_is_checked_and_sent_with_its_media_type() {
    let (_server, home) = demo_with_spec();
    let note = r#"{"title":"hi","priority":"high"}"#;
    let echo = echoed(&call(
        &home,
        "demo",
        &["POST /echo/{id}", "-p", "id=7", "--data", note],
    ));
    assert_eq!(echo["body"], note);
    assert_eq!(echo["content_type"], "application/json");
    let file = home.path().join("note.json");
    std::fs::write(&file, note).unwrap();
    let at_file = format!("@{}", file.display());
    let echo = echoed(&call(
        &home,
        "demo",
        &["echoPost", "-p", "id=7", "--data", &at_file],
    ));
    assert_eq!(echo["body"], note);
    call(
        &home,
        "demo",
        &["echoPost", "-p", "id=7", "--data", "{title"],
    )
    .fails_saying(2, &["account 'demo'", "not JSON"]);
    call(&home, "demo", &["echoPost", "-p", "id=7"])
        .fails_saying(2, &["needs a body (application/json)"]);
}

#[test]
fn bad_operations_and_parameters_exit_2_and_send_nothing() {
    let (server, home) = demo_with_spec();
    call(&home, "demo", &["echoGet", "-p", "id=1", "-p", "nope=1"]).fails_saying(
        2,
        &[
            "has no parameter 'nope'",
            "id, q, level, verbose, X-Trace, session",
        ],
    );
    call(
        &home,
        "demo",
        &["echoGet", "-p", "id=1", "-p", "level=loud"],
    )
    .fails_saying(2, &["use one of info, warn, error"]);
    call(&home, "demo", &["echoGet"]).fails_saying(2, &["needs the path parameter 'id'"]);
    call(
        &home,
        "demo",
        &["echoGet", "-p", "id=1", "-p", "Authorization=x"],
    )
    .fails_saying(2, &["carries the token"]);
    call(&home, "demo", &["listEverything"]).fails_saying(
        2,
        &["no operation 'listEverything'", "tokenwallet api ops demo"],
    );
    call(&home, "demo", &["getMe", "-p", "novalue"]).fails_saying(2, &["NAME=VALUE"]);
    assert_eq!(server.state().api_calls, 0);

    let bare = Home::new();
    bare.add_demo_account(&server, "plain");
    bare.run(&["api", "ops", "plain"])
        .fails_saying(2, &["has no API spec", "tokenwallet api spec plain"]);
    let junk = bare.path().join("junk.yaml");
    std::fs::write(&junk, "a: [1, 2\n").unwrap();
    bare.run(&["api", "spec", "plain", junk.to_str().unwrap()])
        .fails_saying(2, &["account 'plain'", "cannot be read"]);
    let not_api = bare.path().join("not.json");
    std::fs::write(&not_api, r#"{"name": "x"}"#).unwrap();
    bare.run(&["api", "spec", "plain", not_api.to_str().unwrap()])
        .fails_saying(2, &["not an OpenAPI or Swagger document"]);
    let missing = format!("{}/no-such-spec.yaml", server.issuer());
    bare.run(&["api", "spec", "plain", &missing])
        .fails_saying(2, &["HTTP 404", "downloaded"]);
    assert_eq!(kept_spec(&bare, "plain"), None, "nothing was kept");
}

// A spec file was read as far as its size said: a device or a pipe says 0 and never ends,
// so `api spec NAME /dev/zero` took memory until the system stopped it. It is read up to
// the bound now, whatever the file says of itself.
#[cfg(unix)]
#[test]
fn a_spec_source_that_never_ends_is_read_up_to_the_bound() {
    let server = OAuthServer::start(tokenwallet::demo::oauth::Config::default()).unwrap();
    let home = Home::new();
    home.add_demo_account(&server, "plain");
    home.run(&["api", "spec", "plain", "/dev/zero"])
        .fails_saying(2, &["account 'plain'", "over the 16 MiB a spec may have"]);
    assert_eq!(kept_spec(&home, "plain"), None, "nothing was kept");
}

// An API's answer is read up to 8 MiB (a token answer: 1 MiB); past that the call fails
// with the bound it hit.
#[test]
fn an_answer_over_the_bound_is_refused_with_its_size() {
    let (_server, home) = demo_with_spec();
    let huge = Server::start(|_| Response::html(200, &"x".repeat(9 << 20))).unwrap();
    call(
        &home,
        "demo",
        &["getMe", "--server", &huge.url(), "--confirm-host"],
    )
    .fails_saying(1, &["account 'demo'", "larger than 8 MiB"]);
}

#[test]
fn a_host_that_is_not_the_providers_is_refused_until_confirmed() {
    let (server, home) = demo_with_spec();
    // `localhost` is not the account's host (127.0.0.1): the token does not go there unasked.
    let port = server.issuer().rsplit(':').next().unwrap().to_owned();
    let elsewhere = format!("http://localhost:{port}/api");
    call(&home, "demo", &["getMe", "--server", &elsewhere]).fails_saying(
        2,
        &["localhost is not a host of this provider", "--confirm-host"],
    );
    assert_eq!(server.state().api_calls, 0);
    let me = echoed(&call(
        &home,
        "demo",
        &["getMe", "--server", &elsewhere, "--confirm-host"],
    ));
    assert_eq!(me["sub"], "demo");
    call(&home, "demo", &["getMe", "--server", &elsewhere]).ok_saying(&["HTTP 200"]);
    // A spec naming an unknown public server is refused before any connection is made.
    let spec = home.path().join("public.json");
    std::fs::write(
        &spec,
        r#"{"openapi": "3.0.0", "servers": [{"url": "https://api.unknown-vendor.test/v1"}], "paths": {"/me": {"get": {"operationId": "me"}}}}"#,
    )
    .unwrap();
    home.run(&["api", "spec", "demo", spec.to_str().unwrap()])
        .ok();
    call(&home, "demo", &["me"]).fails_saying(
        2,
        &["api.unknown-vendor.test is not a host of this provider"],
    );
}

#[test]
fn a_near_expiry_token_is_refreshed_before_the_send() {
    let server = OAuthServer::start(tokenwallet::demo::oauth::Config::default()).unwrap();
    let home = Home::new();
    home.add_expiring_demo_account(&server, "demo");
    let spec = format!("{}/openapi.yaml", server.issuer());
    home.run(&["api", "spec", "demo", &spec]).ok();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let refreshes = server.state().refreshes;
    let me = echoed(&call(&home, "demo", &["getMe"]));
    assert_eq!(me["sub"], "demo");
    assert_eq!(server.state().refreshes, refreshes + 1);
    assert_eq!(server.state().api_calls, 1);
}

#[test]
fn another_status_exits_1_with_the_body_and_no_server_exits_4() {
    let (server, home) = demo_with_spec();
    server.revoke_all_grants();
    let run = call(&home, "demo", &["getMe"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(run.stdout().contains("invalid_token"), "{}", run.stdout());
    assert!(run.stderr().contains("→ HTTP 401"), "{}", run.stderr());
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/api", closed.local_addr().unwrap());
    drop(closed);
    call(&home, "demo", &["getMe", "--server", &dead]).fails_saying(4, &["account 'demo'"]);
}

/// A loopback server that records every request and answers `{}`.
fn recorder() -> (Server, Arc<Mutex<Vec<Request>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = Arc::clone(&seen);
    let server = Server::start(move |request| {
        kept.lock().unwrap().push(request.clone());
        Response::json(200, &serde_json::json!({}))
    })
    .unwrap();
    (server, seen)
}

#[test]
fn active_iq_gets_its_raw_header_and_a_spec_on_localhost_goes_to_the_chosen_server() {
    let fake = support::fakes::Fake::active_iq();
    let home = Home::new();
    let (access, refresh) = fake.seed_real_size_pair();
    let pair = serde_json::json!({ "access_token": access, "refresh_token": refresh });
    home.import_text(
        &["aiq", "--provider", "active-iq", "--url", &fake.url()],
        &pair.to_string(),
    )
    .ok();
    let spec = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/specs/swagger2-localhost.json"
    );
    home.run(&["api", "spec", "aiq", spec])
        .ok_saying(&["3 operations"]);
    let (api, seen) = recorder();
    let params = [
        "workingEnvironmentId=vsa1",
        "fields=size",
        "fields=state",
        "tag=a",
        "tag=b",
    ];
    let run = call_with(
        &home,
        "aiq",
        &["listVolumes", "--server", &api.url()],
        &params,
    );
    run.ok();
    let seen = seen.lock().unwrap();
    let request = &seen[0];
    assert_eq!(request.path, "/working-environments/vsa1/volumes");
    assert_eq!(
        request.query,
        [
            ("fields".to_owned(), "size,state".to_owned()),
            ("tag".to_owned(), "a".to_owned()),
            ("tag".to_owned(), "b".to_owned())
        ]
    );
    assert_eq!(request.header("authorizationtoken"), Some(access.as_str()));
    assert_eq!(
        request.header("authorization"),
        None,
        "the spec's own auth header stays out"
    );
}

#[test]
fn aruba_calls_go_to_the_accounts_gateway_when_the_spec_names_a_template_server() {
    let (api, seen) = recorder();
    let home = Home::new();
    home.import_text(
        &[
            "central",
            "--provider",
            "aruba-central",
            "--url",
            &api.url(),
            "--client-id",
            "c",
        ],
        &support::fakes::aruba_download(
            "aruba-access-1",
            "aruba-refresh-1",
            chrono::Utc::now().timestamp_millis(),
        ),
    )
    .ok();
    let spec = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/specs/oas30-template.yaml"
    );
    home.run(&["api", "spec", "central", spec]).ok();
    call(
        &home,
        "central",
        &["ListDevices", "-p", "site_id=12", "-p", "status=Up"],
    )
    .ok_saying(&["/monitoring/v2/sites/12/devices?status=Up → HTTP 200"]);
    call(&home, "central", &["ListDevices", "-p", "site_id=twelve"])
        .fails_saying(2, &["'twelve' is not an integer for 'site_id'"]);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/monitoring/v2/sites/12/devices");
    assert_eq!(
        seen[0].header("authorization"),
        Some("Bearer aruba-access-1")
    );
}

#[test]
fn with_the_agent_unlocked_a_call_needs_no_passphrase() {
    let (server, home) = demo_with_spec();
    let mut caller = home.sharing();
    caller.unset_env("TOKENWALLET_PASSPHRASE");
    call(&caller, "demo", &["getMe"]).fails_saying(1, &["needs a passphrase", "unlock"]);
    let _agent = support::Agent::start(&home);
    home.run(&["unlock", "--for", "1h"]).ok();
    let me = echoed(&call(&caller, "demo", &["getMe"]));
    assert_eq!(me["sub"], "demo");
    assert_eq!(server.state().api_calls, 1);
}
