//! The person at the terminal signing in: the address goes to stderr (for SSH sessions and
//! odd desktops) and to the browser (`$BROWSER`, else the platform's opener).

use crate::providers::signin::{DeviceCode, SignIn};

/// Signs in from the terminal.
pub struct Terminal;

impl SignIn for Terminal {
    fn open(&self, url: &str) {
        eprintln!(
            "tokenwallet: sign in with your browser; if none opens, open this address:\n  {url}"
        );
        if let Err(reason) = open_browser(url) {
            eprintln!("tokenwallet: no browser was opened ({reason})");
        }
    }

    fn device_code(&self, code: &DeviceCode) {
        eprintln!(
            "tokenwallet: on any device, open {} and enter the code {}",
            code.verification_uri, code.user_code
        );
        if let Some(complete) = &code.verification_uri_complete {
            eprintln!("tokenwallet: or open {complete}");
        }
        eprintln!(
            "tokenwallet: waiting for the sign-in (the code is good for {} minutes; Ctrl-C cancels)",
            code.expires_in_secs / 60
        );
    }

    fn cancelled(&self) -> bool {
        false
    }
}

/// Opens `url` with `$BROWSER` (the address as its last argument), else the platform's
/// opener. Does not wait for the browser.
pub fn open_browser(url: &str) -> Result<(), String> {
    let (program, mut args) = match std::env::var("BROWSER") {
        Ok(browser) if !browser.trim().is_empty() => {
            let mut words = browser.split_whitespace().map(str::to_owned);
            let program = words.next().unwrap_or_default();
            (program, words.collect::<Vec<_>>())
        }
        _ if cfg!(target_os = "macos") => ("open".to_owned(), Vec::new()),
        _ if cfg!(windows) => (
            "cmd".to_owned(),
            vec!["/c".to_owned(), "start".to_owned(), String::new()],
        ),
        _ => ("xdg-open".to_owned(), Vec::new()),
    };
    args.push(url.to_owned());
    std::process::Command::new(&program)
        .args(&args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|err| format!("{program}: {err}"))
}
