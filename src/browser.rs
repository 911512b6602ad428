//! Opening the person's browser, for both fronts.
//!
//! The address usually comes from a server (an authorization endpoint, a device flow's
//! verification address), so it is checked first: only `https://`, or `http://` to this
//! machine, with no credentials in it. It is handed over as one argument and no shell ever
//! reads it: on Windows through `rundll32 url.dll,FileProtocolHandler` (what `start` would
//! end in, without `cmd.exe`, where `&` separates commands). The browser does not inherit
//! the wallet's secrets from the environment.

/// Variables a browser must not inherit: every `TOKENWALLET_*` setting (the vault
/// passphrase, client secrets and passwords among them), and the team store's credentials.
const SECRET_VARIABLES: [&str; 6] = [
    "VAULT_TOKEN",
    "BAO_TOKEN",
    "VAULT_SECRET_ID",
    "BAO_SECRET_ID",
    "VAULT_ROLE_ID",
    "BAO_ROLE_ID",
];

/// Opens `url` with `$BROWSER` (the address as its last argument), else the platform's
/// opener. Does not wait for the browser.
pub fn open(url: &str) -> Result<(), String> {
    let url = crate::providers::checked_url(url)
        .map_err(|err| format!("the address was not opened: {err}"))?;
    let (program, mut args) = match std::env::var("BROWSER") {
        Ok(browser) if !browser.trim().is_empty() => {
            let mut words = browser.split_whitespace().map(str::to_owned);
            let program = words.next().unwrap_or_default();
            (program, words.collect::<Vec<_>>())
        }
        _ if cfg!(target_os = "macos") => ("open".to_owned(), Vec::new()),
        _ if cfg!(windows) => (
            "rundll32.exe".to_owned(),
            vec!["url.dll,FileProtocolHandler".to_owned()],
        ),
        _ => ("xdg-open".to_owned(), Vec::new()),
    };
    // The parsed address: spaces and quotes are percent-encoded, so it stays one word
    // even where the receiving program splits its command line itself.
    args.push(url.as_str().to_owned());
    let mut command = std::process::Command::new(&program);
    command
        .args(&args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null());
    without_secrets(&mut command);
    command
        .spawn()
        .map(drop)
        .map_err(|err| format!("{program}: {err}"))
}

/// Removes from `command`'s environment every variable that may hold a secret of the
/// wallet's.
pub fn without_secrets(command: &mut std::process::Command) {
    for (key, _) in std::env::vars_os() {
        let secret = key
            .to_str()
            .is_none_or(|key| key.starts_with("TOKENWALLET_") || SECRET_VARIABLES.contains(&key));
        if secret {
            command.env_remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_and_loopback_http_are_opened() {
        // Refused before any program starts (no BROWSER is consulted for these).
        for bad in [
            "http://idp.example.com/authorize",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "ms-settings:",
            "https://user:pass@idp.example.com/",
            "not a url",
        ] {
            let err = open(bad).expect_err(bad);
            assert!(
                err.starts_with("the address was not opened"),
                "{bad}: {err}"
            );
        }
    }
}
