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
        if let Err(reason) = crate::browser::open(url) {
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
