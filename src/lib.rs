//! tokenwallet: a wallet for API access tokens. The core (model, providers, store, wallet,
//! export) knows nothing of the window or the command line; `ui` and `cli` sit on top.

pub mod browser;
pub mod cli;
pub mod clipboard;
pub mod demo;
pub mod export;
pub mod import;
pub mod logging;
pub mod model;
pub mod providers;
pub mod store;
pub mod ui;
pub mod wallet;
