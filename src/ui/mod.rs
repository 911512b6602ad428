//! The desktop window: a thin front over the wallet. It never calls a provider or a store
//! itself and never blocks on I/O: commands go to the [`worker::Worker`] on a tokio runtime
//! beside eframe, and events come back with a repaint.

mod add;
mod api_pane;
mod app;
mod details;
mod dialogs;
mod list;
mod listing;
pub mod platform;
mod settings;
pub mod theme;
pub mod tray;
mod widgets;
mod words;
pub mod worker;

use std::path::Path;
use std::sync::Arc;

pub use app::{App, Settings};

use crate::clipboard::SystemClipboard;
use crate::wallet::{SecretStoreKind, StoreError, SystemClock, Wallet};
use worker::{Services, WalletSource};

/// The app id: the desktop entry's name, the metainfo id, the icon name and the window's
/// app id (Wayland ties the window to its menu entry and icon by it).
pub const APP_ID: &str = "io.github.tokenwallet";

/// The window settings file in the data dir.
pub const SETTINGS_FILE: &str = "settings.json";

/// Opens the window on the wallet in `home` and runs until it is closed; the command lines'
/// requests are served while it is open, their errors worded by `wording` (the command
/// line's words, given by the program that puts the window and the command line together).
pub fn run(home: &Path, wording: Arc<dyn crate::agent::Wording>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("tokenwallet-worker")
        .build()?;
    let config = crate::config::Config::from_env()?;
    let kind = Wallet::store_in(home, config.store)?;
    let opening = config.using(kind);
    let source = match kind {
        SecretStoreKind::File => match std::env::var("TOKENWALLET_PASSPHRASE") {
            Ok(passphrase) => WalletSource::Open(Arc::new(Wallet::open(home, &opening, &|_| {
                Ok(crate::model::Secret::new(passphrase.clone()))
            })?)),
            Err(_) => WalletSource::Vault(home.to_owned()),
        },
        _ => WalletSource::Open(Arc::new(Wallet::open(home, &opening, &|_| {
            Err(StoreError::NoPassphrase)
        })?)),
    };
    let settings = Settings::load(home);
    let handle = runtime.handle().clone();
    let icon = eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icon.png"))
        .unwrap_or_default();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("tokenwallet")
            .with_app_id(APP_ID)
            .with_inner_size([1100.0, 680.0])
            .with_min_inner_size([760.0, 420.0])
            .with_drag_and_drop(true)
            .with_icon(icon),
        ..Default::default()
    };
    let result = eframe::run_native(
        "tokenwallet",
        options,
        Box::new(move |cc| {
            let services = Services {
                clipboard: Arc::new(SystemClipboard::default()),
                dialog: Arc::new(platform::NativeDialog),
                notifier: Arc::new(platform::DesktopNotifier),
                opener: Arc::new(platform::SystemBrowser),
                clock: Arc::new(SystemClock),
                auto_refresh_every: worker::AUTO_REFRESH_PERIOD,
                wording,
                config,
            };
            let mut app = App::new(cc.egui_ctx.clone(), &handle, source, services, settings);
            let ctx = cc.egui_ctx.clone();
            match tray::Tray::new(move || ctx.request_repaint()) {
                Ok(tray) => app.set_tray(tray),
                Err(reason) => tracing::info!(%reason, "no tray icon"),
            }
            app.serve_agent();
            if std::env::var_os("TOKENWALLET_DEMO").is_some() {
                app.start_demo();
            }
            Ok(Box::new(app))
        }),
    );
    // A refresh the server may already have rotated is stored before the runtime stops.
    if !crate::wallet::wait_for_requests_in_flight(SAVE_ON_EXIT_LIMIT) {
        tracing::warn!("a token request was still unanswered when the window closed");
    }
    drop(runtime);
    result.map_err(|err| anyhow::anyhow!("{err}"))
}

/// How long closing waits for token requests between sending and storing.
const SAVE_ON_EXIT_LIMIT: std::time::Duration = std::time::Duration::from_secs(45);
