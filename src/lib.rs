//! tokenwallet: a wallet for API access tokens. The core (model, providers, store, wallet,
//! export) knows nothing of the window or the command line; `ui` and `cli` sit on top.

pub mod agent;
pub mod browser;
pub mod cli;
pub mod clipboard;
pub mod config;
pub mod demo;
pub mod export;
pub mod import;
pub mod logging;
pub mod model;
pub mod notify;
pub mod openapi;
pub mod providers;
pub mod store;
pub mod team;
pub mod ui;
pub mod wallet;
#[cfg(windows)]
pub mod windows_acl;

/// A test-only fault hook: aborts the process at `step` when `TOKENWALLET_CRASH_AT` names
/// it, as a crash or a kill would. Compiled into debug builds only (the tests' builds),
/// never into a release.
pub(crate) fn crash_point(step: &str) {
    #[cfg(debug_assertions)]
    if std::env::var("TOKENWALLET_CRASH_AT").is_ok_and(|at| at == step) {
        std::process::abort();
    }
    #[cfg(not(debug_assertions))]
    let _ = step;
}
