//! `tokenwallet`: no subcommand opens the desktop window; a subcommand runs the CLI.

use clap::Parser as _;

fn main() -> std::process::ExitCode {
    if let Some(code) = tokenwallet::cli::token_through_agent() {
        return std::process::ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    let cli = match tokenwallet::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { 2 } else { 0 };
            err.print().ok();
            return std::process::ExitCode::from(code);
        }
    };
    tokenwallet::logging::init();
    if cli.command.is_none() {
        let home = cli.home.unwrap_or_else(tokenwallet::store::default_home);
        let wording = std::sync::Arc::new(tokenwallet::cli::CliWording);
        return match tokenwallet::ui::run(&home, wording) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("tokenwallet: could not open the window: {err:#}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let code = tokenwallet::cli::run(cli);
    std::process::ExitCode::from(u8::try_from(code).unwrap_or(1))
}
