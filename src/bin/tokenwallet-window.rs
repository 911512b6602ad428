//! `tokenwallet-window`: the desktop window. `cargo run --release` runs it, and
//! `tokenwallet` with no subcommand starts it: the command line is a program of its own that
//! does not link the window's toolkit. On Windows it is a GUI program (no console opens
//! behind the window) for the Start menu; `tokenwallet.exe` stays a console program so
//! scripts, pipes and passphrase prompts behave as on Linux. `tokenwallet-window agent` runs
//! the agent with no window and no console: the MSI starts it so at log-on. Any other
//! subcommand runs as `tokenwallet` would run it.

#![cfg_attr(windows, windows_subsystem = "windows")]

use clap::Parser as _;

fn main() -> std::process::ExitCode {
    let cli = match tokenwallet::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // On Windows there is no console to show this in: the window opens instead.
        Err(err) if cfg!(not(windows)) => {
            let code = if err.use_stderr() { 2 } else { 0 };
            err.print().ok();
            return std::process::ExitCode::from(code);
        }
        Err(_) => tokenwallet::cli::Cli::parse_from(["tokenwallet-window"]),
    };
    tokenwallet::logging::init();
    if cli.command.is_some() {
        let code = tokenwallet::cli::run(cli);
        return std::process::ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    let home = cli.home.unwrap_or_else(tokenwallet::store::default_home);
    match tokenwallet::ui::run(&home, std::sync::Arc::new(tokenwallet::cli::CliWording)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("tokenwallet: could not open the window: {err:#}");
            #[cfg(windows)]
            rfd::MessageDialog::new()
                .set_level(rfd::MessageLevel::Error)
                .set_title("tokenwallet")
                .set_description(format!("The window could not open: {err:#}"))
                .show();
            std::process::ExitCode::FAILURE
        }
    }
}
