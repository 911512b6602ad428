//! Trust behind TLS inspection: a token endpoint on 127.0.0.1 with a certificate from a
//! CA made in the test is refused until the CA is trusted, through each of the three
//! ways: `SSL_CERT_FILE`, `SSL_CERT_DIR`, and the account's own `--ca-file`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{BufRead as _, BufReader, Read as _};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use support::{Home, Run};

/// A one-endpoint HTTPS token server and the PEM of the CA that signed its certificate.
struct TlsServer {
    url: String,
    ca_pem: String,
}

fn start() -> TlsServer {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "https://127.0.0.1:{}/token",
        listener.local_addr().unwrap().port()
    );
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let conn = rustls::ServerConnection::new(Arc::clone(&config)).unwrap();
            let stream = rustls::StreamOwned::new(conn, tcp);
            answer(stream);
        }
    });
    TlsServer {
        url,
        ca_pem: ca.as_ref().pem(),
    }
}

/// Answers one client-credentials token request; anything else is a 400.
fn answer(stream: impl std::io::Read + std::io::Write) {
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return; // the client refused the certificate
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok();
    let ok = head.starts_with("POST /token ")
        && String::from_utf8_lossy(&body).contains("grant_type=client_credentials");
    let (status, json) = if ok {
        (
            "200 OK",
            r#"{"access_token":"tls-access-token-1","token_type":"Bearer","expires_in":3600}"#,
        )
    } else {
        ("400 Bad Request", r#"{"error":"invalid_request"}"#)
    };
    let mut stream = reader.into_inner();
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
        json.len()
    )
    .ok();
    stream.flush().ok();
}

fn add(home: &Home, name: &str, url: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "add",
        name,
        "--provider",
        "oauth2",
        "--url",
        url,
        "--client-id",
        "c",
    ];
    args.extend_from_slice(extra);
    home.run_env(&args, &[("TOKENWALLET_CLIENT_SECRET", "s")])
}

/// `generate NAME` with only the given TLS variables set.
fn generate(home: &Home, name: &str, env: &[(&str, &str)]) -> Run {
    let mut command = home.command(&["generate", name]);
    command
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR");
    command.envs(env.iter().copied());
    Run(support::output(&mut command))
}

fn ca_file(server: &TlsServer) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("company-ca.pem");
    std::fs::write(&path, &server.ca_pem).unwrap();
    (dir, path)
}

#[test]
fn an_unknown_ca_is_refused_and_trusted_through_ssl_cert_file_or_dir() {
    let server = start();
    let home = Home::new();
    add(&home, "svc", &server.url, &[]).ok();
    let err = generate(&home, "svc", &[]).fails(4);
    assert!(
        err.contains("certificate") || err.contains("issuer"),
        "{err}"
    );
    assert_eq!(home.show("svc")["state"], "empty");

    let (dir, path) = ca_file(&server);
    generate(&home, "svc", &[("SSL_CERT_FILE", path.to_str().unwrap())]).ok();
    assert_eq!(home.run(&["export", "svc"]).ok(), "tls-access-token-1\n");
    generate(
        &home,
        "svc",
        &[("SSL_CERT_DIR", dir.path().to_str().unwrap())],
    )
    .ok();
    generate(&home, "svc", &[]).fails(4);
}

#[test]
fn an_accounts_own_ca_file_is_trusted_for_that_account_only() {
    let server = start();
    let home = Home::new();
    let (_dir, path) = ca_file(&server);
    add(
        &home,
        "with-ca",
        &server.url,
        &["--ca-file", path.to_str().unwrap()],
    )
    .ok();
    add(&home, "without", &server.url, &[]).ok();
    generate(&home, "with-ca", &[]).ok();
    assert_eq!(
        home.run(&["export", "with-ca"]).ok(),
        "tls-access-token-1\n"
    );
    generate(&home, "without", &[]).fails(4);

    let bad = path.with_file_name("not-a-ca.pem");
    std::fs::write(&bad, "no certificate here").unwrap();
    add(
        &home,
        "bad",
        &server.url,
        &["--ca-file", bad.to_str().unwrap()],
    )
    .fails_saying(2, &["holds no PEM certificate"]);
}
