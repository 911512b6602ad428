//! The loopback OAuth 2.0 server behind the window's demo account, on its own, for trying
//! the command line: `cargo run --example demo_server`. It prints its issuer and the
//! commands of the README walkthrough with the real port filled in, then serves until Ctrl+C.

use tokenwallet::demo::oauth::{Config, OAuthServer};

fn main() -> std::io::Result<()> {
    let server = OAuthServer::start(Config::default())?;
    let issuer = server.issuer();
    println!("Demo OAuth 2.0 server on {issuer} (Ctrl+C stops it).");
    println!("  client: demo-client / demo-secret (HTTP Basic)   user: demo / demo-password");
    println!("  discovery: {issuer}/.well-known/oauth-authorization-server");
    println!("  a protected API: GET {issuer}/api/me");
    println!();
    println!("In another terminal:");
    println!(
        "  export TOKENWALLET_HOME=$(mktemp -d) TOKENWALLET_SECRET_STORE=file TOKENWALLET_PASSPHRASE='my vault passphrase'"
    );
    println!(
        "  TOKENWALLET_CLIENT_SECRET=demo-secret tokenwallet add svc --provider oauth2 --grant client_credentials --issuer {issuer} --client-id demo-client --scope api:read"
    );
    println!("  tokenwallet generate svc");
    println!("  tokenwallet token svc");
    println!("  curl -H \"$(tokenwallet export svc --format header)\" {issuer}/api/me");
    println!("  tokenwallet export svc --format env --out svc.env");
    println!("  tokenwallet revoke svc");
    loop {
        std::thread::park();
    }
}
