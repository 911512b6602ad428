//! One frame of the real window's UI code with 10, 1 000 and 10 000 accounts, measured side
//! by side in one run (`cargo bench --bench frame`). Only visible rows are laid out, so the
//! frame time should barely grow with the number of accounts.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokenwallet::clipboard::MemoryClipboard;
use tokenwallet::model::{Account, Grant, ProviderKind};
use tokenwallet::providers::Http;
use tokenwallet::store::MemoryStore;
use tokenwallet::ui::platform::{DesktopNotifier, NativeDialog, SystemBrowser};
use tokenwallet::ui::worker::{Services, WalletSource};
use tokenwallet::ui::{App, Settings};
use tokenwallet::wallet::{SystemClock, Wallet};

fn main() {
    divan::main();
}

fn accounts(count: usize) -> Vec<Account> {
    let now = Utc::now();
    (0..count)
        .map(|i| {
            let kind = ProviderKind::all()
                .nth(i % ProviderKind::all().len())
                .unwrap();
            let mut account = Account::new(format!("account-{i:05}"), kind, Grant::RefreshToken);
            let secs = i64::try_from(i % 7200).unwrap();
            account.tokens.has_access_token = true;
            account.tokens.has_refresh_token = true;
            account.tokens.issued_at = Some(now - chrono::Duration::seconds(secs));
            account.tokens.access_expires_at = Some(now + chrono::Duration::seconds(7200 - secs));
            account.tokens.refresh_expires_at = Some(now + chrono::Duration::days(14));
            account
        })
        .collect()
}

#[divan::bench(args = [10, 1_000, 10_000], sample_count = 200)]
fn frame(bencher: divan::Bencher, count: usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let wallet = Wallet::new(
        home.path(),
        Arc::new(MemoryStore::default()),
        Http::new(Duration::from_secs(5)).unwrap(),
        Arc::new(SystemClock),
    )
    .unwrap();
    let ctx = egui::Context::default();
    let services = Services {
        clipboard: Arc::new(MemoryClipboard::default()),
        dialog: Arc::new(NativeDialog),
        notifier: Arc::new(DesktopNotifier),
        opener: Arc::new(SystemBrowser),
        clock: Arc::new(SystemClock),
        auto_refresh_every: Duration::from_hours(1),
        wording: std::sync::Arc::new(tokenwallet::cli::CliWording),
        config: tokenwallet::config::Config::default(),
    };
    let mut app = App::new(
        ctx.clone(),
        runtime.handle(),
        WalletSource::Open(Arc::new(wallet)),
        services,
        Settings::default(),
    );
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1280.0, 860.0),
        )),
        ..Default::default()
    };
    // Let the worker deliver its first (empty) list, then load the accounts.
    while !app.loaded() {
        divan::black_box(ctx.run_ui(input(), |ui| app.ui_main(ui)));
        std::thread::sleep(Duration::from_millis(5));
    }
    app.set_accounts(accounts(count));
    divan::black_box(ctx.run_ui(input(), |ui| app.ui_main(ui)));
    assert_eq!(app.accounts().len(), count);
    bencher.bench_local(|| {
        let output = ctx.run_ui(input(), |ui| app.ui_main(ui));
        divan::black_box(output);
    });
}
