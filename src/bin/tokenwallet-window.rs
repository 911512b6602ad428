//! `tokenwallet-window`: the desktop window alone, for the Windows Start menu. On Windows it
//! is a GUI program (no console opens behind the window); `tokenwallet.exe` stays a console
//! program so scripts, pipes and passphrase prompts behave as on Linux. Elsewhere it is the
//! same as running `tokenwallet` with no command. `tokenwallet-window agent` runs the agent
//! with no window and no console: the MSI starts it so at log-on.

#![cfg_attr(windows, windows_subsystem = "windows")]

use clap::Parser as _;

fn main() -> std::process::ExitCode {
    // Only `--home` and `agent` are meant here; anything else is ignored rather than shown
    // in a console this program does not have.
    let cli = tokenwallet::cli::Cli::try_parse().ok();
    tokenwallet::logging::init();
    let home = match cli {
        Some(cli) if matches!(cli.command, Some(tokenwallet::cli::Command::Agent)) => {
            let code = tokenwallet::cli::run(cli);
            return std::process::ExitCode::from(u8::try_from(code).unwrap_or(1));
        }
        cli => cli
            .and_then(|cli| cli.home)
            .unwrap_or_else(tokenwallet::store::default_home),
    };
    match tokenwallet::ui::run(&home, std::sync::Arc::new(tokenwallet::cli::CliWording)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            rfd::MessageDialog::new()
                .set_level(rfd::MessageLevel::Error)
                .set_title("tokenwallet")
                .set_description(format!("The window could not open: {err:#}"))
                .show();
            std::process::ExitCode::FAILURE
        }
    }
}
