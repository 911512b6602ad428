//! `tokenwallet`: the command line. With no subcommand it starts the window, which is a
//! program of its own (`tokenwallet-window`, installed beside this one): this one does not
//! link the window's toolkit, so a script's `tokenwallet token NAME` starts as fast as a
//! small program does.

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
    if cli.command.is_none() {
        return open_window();
    }
    tokenwallet::logging::init();
    let code = tokenwallet::cli::run(cli);
    std::process::ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// Starts `tokenwallet-window` from this program's folder with the same arguments: in its
/// place on Unix (same process, so a desktop launcher or a terminal waits on the window), as
/// a process of its own on Windows.
fn open_window() -> std::process::ExitCode {
    let window = std::env::current_exe().ok().and_then(|exe| {
        let name = format!("tokenwallet-window{}", std::env::consts::EXE_SUFFIX);
        Some(exe.parent()?.join(name))
    });
    let Some(window) = window.filter(|path| path.is_file()) else {
        eprintln!(
            "tokenwallet: the window is a program of its own, tokenwallet-window, and it is not installed beside this one: reinstall tokenwallet, or run `cargo run --release` from the source"
        );
        return std::process::ExitCode::FAILURE;
    };
    let mut command = std::process::Command::new(&window);
    command.args(std::env::args_os().skip(1));
    #[cfg(unix)]
    let err = std::os::unix::process::CommandExt::exec(&mut command);
    #[cfg(not(unix))]
    let Err(err) = command.spawn() else {
        return std::process::ExitCode::SUCCESS;
    };
    eprintln!("tokenwallet: could not start {}: {err}", window.display());
    std::process::ExitCode::FAILURE
}
