//! Each vendor provider through the CLI binary against a strict, stateful fake of its
//! token API: Active IQ, BlueXP, Apinizer and Aruba Central.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{DateTime, Utc};
use serde_json::Value;
use support::Home;
use support::fakes::{
    ARUBA_CLIENT, ExpiresMode, Fake, add_aruba_code_account, aruba_download, import_aruba_download,
};
use tokenwallet::demo::oauth::Fault;

fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

fn secs_from_now(value: &Value) -> i64 {
    (time(value) - Utc::now()).num_seconds()
}

fn write(dir: &tempfile::TempDir, name: &str, content: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn active_iq_import_refresh_rotates_and_uses_its_header() {
    let fake = Fake::active_iq();
    let home = Home::new();
    let dir = tempfile::tempdir().unwrap();
    // The portal's pair, as the downloaded text file.
    let portal_rt = fake.seed_refresh_token();
    let file = write(
        &dir,
        "tokens.txt",
        &format!("Access Token: portal-access-0001\nRefresh Token: {portal_rt}\n"),
    );
    home.run_words(
        "import aiq --provider active-iq",
        &["--url", &fake.url(), "--file", &file],
        &[],
    )
    .ok();
    let shown = home.show("aiq");
    // Opaque tokens: the documented lifetimes (1 h / 7 days) from the import time.
    assert!((3590..=3600).contains(&secs_from_now(&shown["access_expires_at"])));
    assert!((7 * 86_400 - 10..=7 * 86_400).contains(&secs_from_now(&shown["refresh_expires_at"])));

    home.run(&["refresh", "aiq"]).ok();
    let stored = home.stored("aiq");
    let new_rt = stored["refresh_token"].as_str().unwrap();
    assert!(
        !fake.state().refresh_tokens.contains(&portal_rt),
        "the used refresh token is invalidated"
    );
    assert!(fake.state().refresh_tokens.contains(new_rt));
    assert_eq!(
        fake.state().access_tokens.last().unwrap(),
        stored["access_token"].as_str().unwrap()
    );
    // The new tokens are JWTs: expiry comes from their exp claims.
    let shown = home.show("aiq");
    assert!((3590..=3600).contains(&secs_from_now(&shown["access_expires_at"])));
    assert!(shown["claims"]["payload"]["exp"].is_number());
    let header = home.run(&["export", "aiq", "--format", "header"]).ok();
    assert_eq!(
        header,
        format!(
            "authorizationToken: {}\n",
            stored["access_token"].as_str().unwrap()
        )
    );

    // Generate with a stored refresh token gives a fresh pair too.
    home.run(&["generate", "aiq"]).ok();
    assert_eq!(fake.state().refreshes, 2);

    // Revoke: no API; the wallet forgets its copy and says so.
    let note = home.run(&["revoke", "aiq"]).ok();
    assert!(note.is_empty());
    home.run(&["revoke", "aiq"])
        .ok_saying(&["no public revoke API"]);
    assert_eq!(home.show("aiq")["state"], "revoked");
}

#[test]
fn active_iq_dead_refresh_token_needs_sign_in() {
    let fake = Fake::active_iq();
    let home = Home::new();
    fake.add(
        &home,
        "aiq --provider active-iq",
        ("TOKENWALLET_REFRESH_TOKEN", "rt-the-server-never-issued"),
    )
    .ok();
    let err = home.run(&["token", "aiq"]).fails(3);
    assert!(
        err.contains("'aiq' (Active IQ)") && err.contains("Generate Token"),
        "{err}"
    );
    assert_eq!(home.show("aiq")["state"], "needs-sign-in");
}

#[test]
fn bluexp_refresh_token_grant_sends_json_with_the_constant_client_id() {
    let fake = Fake::bluexp();
    let home = Home::new();
    let rt = fake.seed_refresh_token();
    fake.add(
        &home,
        "bx --provider bluexp",
        ("TOKENWALLET_REFRESH_TOKEN", &rt),
    )
    .ok();
    let token = home.run(&["token", "bx"]).ok();
    assert_eq!(fake.state().access_tokens.last().unwrap(), token.trim());
    let shown = home.show("bx");
    assert!((86_390..=86_400).contains(&secs_from_now(&shown["access_expires_at"])));
    assert_eq!(shown["scope"], "openid profile cc:update-password");
    // No refresh token comes back: the portal's one is kept and reused.
    assert_eq!(home.stored("bx")["refresh_token"], rt.as_str());
    home.run(&["refresh", "bx"]).ok();
    assert_eq!(fake.state().refreshes, 2);

    // Revoke goes to Auth0's /oauth/revoke; afterwards the server refuses the token.
    home.run(&["revoke", "bx"]).ok();
    assert_eq!(fake.state().revoked, vec![rt.clone()]);
    fake.add(
        &home,
        "bx2 --provider bluexp",
        ("TOKENWALLET_REFRESH_TOKEN", &rt),
    )
    .ok();
    home.run(&["generate", "bx2"]).fails_saying(
        3,
        &[
            "Unknown or invalid refresh token",
            "Refresh Token Generator",
        ],
    );
}

#[test]
fn bluexp_password_and_service_account_grants() {
    let fake = Fake::bluexp();
    let home = Home::new();
    fake.add(
        &home,
        "user --provider bluexp --grant password --username user@example.com",
        ("TOKENWALLET_PASSWORD", "hunter2-password"),
    )
    .ok();
    home.run(&["generate", "user"]).ok();
    fake.add(
        &home,
        "svc --provider bluexp --grant client_credentials --client-id svc-client",
        ("TOKENWALLET_CLIENT_SECRET", "svc-secret"),
    )
    .ok();
    home.run(&["generate", "svc"]).ok();
    assert_eq!(fake.state().generates, 2);
    fake.add(
        &home,
        "bad --provider bluexp --grant client_credentials --client-id svc-client",
        ("TOKENWALLET_CLIENT_SECRET", "wrong"),
    )
    .ok();
    home.run(&["generate", "bad"])
        .fails_saying(3, &["access_denied"]);
    // A service account has no refresh token: revoke says the token simply expires.
    home.run(&["revoke", "svc"])
        .ok_saying(&["no refresh token to revoke"]);
}

#[test]
fn apinizer_form_grant_and_its_three_expiry_shapes() {
    let fake = Fake::apinizer();
    let home = Home::new();
    // A password with characters that must be URL-encoded in the form.
    fake.add(
        &home,
        "apz --provider apinizer --username admin",
        ("TOKENWALLET_PASSWORD", "p@ss w&rd=1"),
    )
    .ok();
    home.run(&["generate", "apz"]).ok();
    assert!((3590..=3600).contains(&secs_from_now(&home.show("apz")["access_expires_at"])));

    fake.state().expires_mode = ExpiresMode::EpochMs;
    home.run(&["refresh", "apz"]).ok();
    let expires = secs_from_now(&home.show("apz")["access_expires_at"]);
    assert!(
        (3590..=3600).contains(&expires),
        "epoch-ms expires_in read as a time: {expires}"
    );

    fake.state().expires_mode = ExpiresMode::JwtOnly;
    home.run(&["refresh", "apz"]).ok();
    assert!((7190..=7200).contains(&secs_from_now(&home.show("apz")["access_expires_at"])));
    assert_eq!(fake.state().generates, 3);

    fake.add(
        &home,
        "bad --provider apinizer --username admin",
        ("TOKENWALLET_PASSWORD", "nope"),
    )
    .ok();
    home.run(&["generate", "bad"])
        .fails_saying(3, &["Bad credentials", "unauthorized_client"]);
}

#[test]
fn apinizer_personal_token_import_with_its_date() {
    let home = Home::new();
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "pat.txt", "apinizer-personal-token-0123456789\n");
    home.run_words(
        "import pat --provider apinizer --url https://apinizer.example.com --expires-at 2099-12-31",
        &["--file", &file],
        &[],
    )
    .ok();
    let shown = home.show("pat");
    assert_eq!(shown["access_expires_at"], "2099-12-31T23:59:59Z");
    assert_eq!(shown["state"], "valid");
    assert_eq!(
        home.run(&["token", "pat"]).ok(),
        "apinizer-personal-token-0123456789\n"
    );
}

#[test]
fn aruba_import_counts_from_created_at_and_refreshes_with_query_parameters() {
    let fake = Fake::aruba();
    let home = Home::new();
    let dir = tempfile::tempdir().unwrap();
    let rt = fake.seed_refresh_token();
    // Downloaded 30 minutes ago: 1 h 30 m of the 2 h are left.
    let created = Utc::now() - chrono::Duration::minutes(30);
    let file = write(
        &dir,
        "token.json",
        &aruba_download("aruba-at-downloaded", &rt, created.timestamp_millis()),
    );
    import_aruba_download(&home, &fake, &file);
    let shown = home.show("central");
    let left = secs_from_now(&shown["access_expires_at"]);
    assert!(
        (5390..=5400).contains(&left),
        "counted from created_at: {left}"
    );
    let refresh_left = secs_from_now(&shown["refresh_expires_at"]);
    assert!(
        (14 * 86_400 - 1810..=14 * 86_400 - 1790).contains(&refresh_left),
        "{refresh_left}"
    );
    assert_eq!(shown["scope"], "all");

    home.run(&["refresh", "central"]).ok();
    let stored = home.stored("central");
    assert!(!fake.state().refresh_tokens.contains(&rt));
    assert!(
        fake.state()
            .refresh_tokens
            .contains(stored["refresh_token"].as_str().unwrap())
    );
    assert!((7190..=7200).contains(&secs_from_now(&home.show("central")["access_expires_at"])));

    // A 429 from the gateway keeps the tokens.
    fake.inject(Fault::RateLimited(1));
    home.run(&["refresh", "central"])
        .fails_saying(1, &["rate limiting"]);
    assert_eq!(home.stored("central"), stored);
    home.run(&["revoke", "central"])
        .ok_saying(&["My Apps & Tokens"]);
}

#[test]
fn aruba_three_step_login_and_the_30_minute_limit() {
    let fake = Fake::aruba();
    let home = Home::new();
    add_aruba_code_account(&home, &fake);
    home.run(&["generate", "central"]).ok();
    assert_eq!(fake.state().generates, 1);
    let stored = home.stored("central");
    assert!(
        fake.state()
            .refresh_tokens
            .contains(stored["refresh_token"].as_str().unwrap())
    );

    // A second new token within 30 minutes is refused before any request.
    let requests = fake.state().requests;
    home.run(&["generate", "central"])
        .fails_saying(1, &["30 minutes", "refresh instead"]);
    assert_eq!(fake.state().requests, requests);
    // Refresh is still allowed.
    home.run(&["refresh", "central"]).ok();
    assert_eq!(fake.state().refreshes, 1);
}

#[test]
fn fakes_are_strict_about_the_wire_format() {
    // The fakes must refuse the wrong encoding, or the tests above would prove nothing.
    let apinizer = Fake::apinizer();
    let aruba = Fake::aruba();
    let aiq = Fake::active_iq();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let json_to_form = client
            .post(format!("{}/apiops/auth/token", apinizer.url()))
            .header("Accept", "application/json")
            .json(&serde_json::json!({"grant_type": "client_credentials", "client_id": "admin", "client_secret": "p@ss w&rd=1"}))
            .send()
            .await
            .unwrap();
        assert_eq!(json_to_form.status(), 400);
        let body_to_query = client
            .post(format!("{}/oauth2/token?client_id={}&client_secret={}", aruba.url(), ARUBA_CLIENT.0, ARUBA_CLIENT.1))
            .body("grant_type=refresh_token&refresh_token=x")
            .send()
            .await
            .unwrap();
        assert_eq!(body_to_query.status(), 400);
        let form_to_json = client
            .post(format!("{}/v1/tokens/accessToken", aiq.url()))
            .header("Accept", "application/json")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("refresh_token=x")
            .send()
            .await
            .unwrap();
        assert_eq!(form_to_json.status(), 415);
    });
}
