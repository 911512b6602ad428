//! Property tests over every parser of outside input: portal downloads, JWTs, provider
//! answers (tokens and errors), the accounts file and the vault file. No input may panic,
//! and a parse error names the input's kind without echoing its text (it may be a token).
//!
//! A short run is part of `cargo test`; a long one:
//! `PROPTEST_CASES=200000 cargo test --release --test fuzz`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use proptest::prelude::*;
use tokenwallet::import;
use tokenwallet::model::{Secret, decode_jwt};
use tokenwallet::providers::Reply;
use tokenwallet::store::{AccountsFile, SecretStore as _, VaultStore};

/// Text shaped like the inputs: token-ish words, separators, JSON punctuation and noise.
fn token_ish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[A-Za-z0-9_.-]{8,40}",
        Just("Access Token: ".to_owned()),
        Just("Refresh Token: ".to_owned()),
        Just("refresh_token=".to_owned()),
        Just("{\"access_token\":\"".to_owned()),
        Just("\",\"refresh_token\":\"".to_owned()),
        Just("\",\"expires_in\":".to_owned()),
        Just("\",\"created_at\":".to_owned()),
        Just("\"}".to_owned()),
        Just("\n".to_owned()),
        Just(" ".to_owned()),
        "[0-9]{1,20}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

/// The longest run of the input's non-space text an error message may repeat.
fn echoes_input(message: &str, input: &str) -> bool {
    input
        .split_whitespace()
        .filter(|word| word.len() >= 12)
        .any(|word| message.contains(word))
}

proptest! {
    #[test]
    fn imports_never_panic_nor_echo_the_file(text in token_ish()) {
        if let Err(err) = import::parse(&text, Utc::now()) {
            let message = err.to_string();
            prop_assert!(!echoes_input(&message, &text), "{message}");
        }
    }

    #[test]
    fn jwt_decoding_never_panics(
        header in "[A-Za-z0-9_-]{0,60}",
        payload in "[A-Za-z0-9_=-]{0,200}",
        raw in any::<String>(),
    ) {
        let _ = decode_jwt(&format!("{header}.{payload}.sig"));
        if let Some(jwt) = decode_jwt(&raw) {
            let _ = jwt.expires_at();
            let _ = jwt.time_claim("iat");
        }
    }

    #[test]
    fn token_answers_never_panic_nor_echo_the_body(
        status in prop_oneof![Just(200u16), Just(400), Just(401), Just(429), Just(502), 100u16..600],
        body in token_ish(),
    ) {
        let reply = || Reply { status, headers: reqwest::header::HeaderMap::new(), body: body.clone() };
        if let Err(err) = reply().into_issued(Utc::now()) {
            // Error bodies are the server's words and are shown; only 2xx answers are
            // token material that must not be quoted back.
            if (200..300).contains(&status) {
                prop_assert!(!echoes_input(&err.to_string(), &body), "{err}");
            }
        }
        let _ = reply().into_error().to_string();
    }

    #[test]
    fn the_accounts_file_never_panics_on_any_content(bytes in prop::collection::vec(any::<u8>(), 0..2048), json in token_ish()) {
        let dir = tempfile::tempdir().unwrap();
        let file = AccountsFile::new(dir.path());
        let record = file.record_path("a");
        std::fs::create_dir_all(record.parent().unwrap()).unwrap();
        for content in [bytes, json.into_bytes()] {
            std::fs::write(&record, &content).unwrap();
            if let Err(err) = file.load() {
                prop_assert!(err.to_string().contains(record.to_str().unwrap()), "{err}");
            }
            if let Err(err) = file.get("a") {
                prop_assert!(err.to_string().contains(record.to_str().unwrap()), "{err}");
            }
        }
    }
}

proptest! {
    // Each case derives an scrypt key: fewer cases, still every shape of damage.
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_damaged_vault_file_is_an_error_never_a_panic(
        cut in 0usize..400,
        flip in 0usize..400,
        garbage in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let store = VaultStore::open(dir.path(), &Secret::new("fuzz")).unwrap();
        store.save("a", &tokenwallet::model::Secrets {
            refresh_token: Some(Secret::new("rt-fuzz-0123456789")),
            ..Default::default()
        }).unwrap();
        // The record, then the key: each damaged its own way.
        let vault = dir.path().join(tokenwallet::store::VAULT_DIR);
        for path in [vault.join("61.age"), vault.join("key.age")] {
            let mut bytes = std::fs::read(&path).unwrap();
            if flip < bytes.len() {
                bytes[flip] ^= 0x55;
            }
            bytes.truncate(cut.max(1).min(bytes.len()));
            bytes.extend_from_slice(&garbage);
            std::fs::write(&path, &bytes).unwrap();
            match VaultStore::open(dir.path(), &Secret::new("fuzz")) {
                Err(err) => prop_assert!(!err.to_string().contains("rt-fuzz"), "{err}"),
                Ok(store) => {
                    if let Err(err) = store.load("a") {
                        prop_assert!(!err.to_string().contains("rt-fuzz"), "{err}");
                    }
                }
            }
        }
    }
}
