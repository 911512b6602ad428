//! The window driven as a user would (`egui_kittest`: find by role and label, click, type),
//! against the strict loopback OAuth server, with the clock, the secret store, the clipboard
//! and the save dialog injected.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone as _, Utc};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use tokenwallet::clipboard::MemoryClipboard;
use tokenwallet::demo::oauth::{Config, Fault, OAuthServer};
use tokenwallet::model::{Account, Grant, ProviderKind, Secret, Secrets};
use tokenwallet::providers::Http;
use tokenwallet::store::MemoryStore;
use tokenwallet::ui::platform::{Notifier, Opener, SaveDialog};
use tokenwallet::ui::tray::TrayAction;
use tokenwallet::ui::worker::{Services, WalletSource};
use tokenwallet::ui::{App, Settings};
use tokenwallet::wallet::{Clock, NewAccount, Wallet};

mod support;
use support::{Home, wait_until};

/// A clock the test moves by hand.
struct TestClock(Mutex<DateTime<Utc>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

impl TestClock {
    fn advance(&self, secs: i64) {
        *self.0.lock().unwrap() += chrono::Duration::seconds(secs);
    }
}

/// A save dialog that answers what the test says.
struct TestDialog(Mutex<Result<Option<PathBuf>, String>>);

impl SaveDialog for TestDialog {
    fn save_path(&self, _suggested: &str) -> Result<Option<PathBuf>, String> {
        self.0.lock().unwrap().clone()
    }
}

/// Notifications, kept instead of shown.
#[derive(Default)]
struct TestNotifier(Mutex<Vec<(String, String)>>);

impl Notifier for TestNotifier {
    fn notify(&self, summary: &str, body: &str) -> Result<(), String> {
        self.0
            .lock()
            .unwrap()
            .push((summary.to_owned(), body.to_owned()));
        Ok(())
    }
}

/// A browser stand-in: records each address and, like a person already signed in, follows
/// the server's redirect to the loopback callback.
#[derive(Default)]
struct TestBrowser(Mutex<Vec<String>>);

impl Opener for TestBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        self.0.lock().unwrap().push(url.to_owned());
        let url = url.to_owned();
        std::thread::spawn(move || {
            let location = http_get(&url)
                .lines()
                .find_map(|l| l.strip_prefix("Location: ").map(str::to_owned));
            if let Some(callback) = location {
                http_get(&callback);
            }
        });
        Ok(())
    }
}

/// A plain HTTP/1.1 GET to a loopback URL; the whole answer as text.
fn http_get(url: &str) -> String {
    use std::io::{Read as _, Write as _};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok();
    answer
}

struct Window {
    harness: Harness<'static, App>,
    wallet: Arc<Wallet>,
    clock: Arc<TestClock>,
    clipboard: Arc<MemoryClipboard>,
    dialog: Arc<TestDialog>,
    notifier: Arc<TestNotifier>,
    browser: Arc<TestBrowser>,
    server: OAuthServer,
    home: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
}

fn window_with(setup: impl FnOnce(&Wallet, &OAuthServer, &tokio::runtime::Runtime)) -> Window {
    let runtime = support::runtime();
    let home = tempfile::tempdir().unwrap();
    // Whole seconds, so countdown texts are exact.
    let start = Utc.timestamp_opt(Utc::now().timestamp(), 0).unwrap();
    let clock = Arc::new(TestClock(Mutex::new(start)));
    let wallet = Arc::new(
        Wallet::new(
            home.path(),
            Arc::new(MemoryStore::default()),
            Http::new(Duration::from_secs(2)).unwrap(),
            clock.clone(),
        )
        .unwrap(),
    );
    let server = OAuthServer::start(Config::default()).unwrap();
    setup(&wallet, &server, &runtime);
    let clipboard = Arc::new(MemoryClipboard::default());
    let dialog = Arc::new(TestDialog(Mutex::new(Ok(None))));
    let notifier = Arc::new(TestNotifier::default());
    let browser = Arc::new(TestBrowser::default());
    let services = Services {
        clipboard: clipboard.clone(),
        dialog: dialog.clone(),
        notifier: notifier.clone(),
        opener: browser.clone(),
        clock: clock.clone(),
        auto_refresh_every: Duration::from_millis(50),
        wording: std::sync::Arc::new(tokenwallet::cli::CliWording),
        config: tokenwallet::config::Config::default(),
    };
    let harness = harness(WalletSource::Open(Arc::clone(&wallet)), services, &runtime);
    let mut window = Window {
        harness,
        wallet,
        clock,
        clipboard,
        dialog,
        notifier,
        browser,
        server,
        home,
        runtime,
    };
    window.wait("the first account list", |w| w.harness.state().loaded());
    window
}

/// The window over `source`, its worker on `runtime`.
fn harness(
    source: WalletSource,
    services: Services,
    runtime: &tokio::runtime::Runtime,
) -> Harness<'static, App> {
    let handle = runtime.handle().clone();
    Harness::builder()
        .with_size(egui::vec2(1280.0, 860.0))
        .with_max_steps(12)
        .build_eframe(move |cc| {
            App::new(
                cc.egui_ctx.clone(),
                &handle,
                source,
                services,
                Settings::default(),
            )
        })
}

fn window() -> Window {
    window_with(|_, _, _| {})
}

fn demo_account(server: &OAuthServer, name: &str) -> NewAccount {
    tokenwallet::demo::account(server, name)
}

/// An account with a live token, made through the wallet before the window opens.
fn with_generated(
    name: &'static str,
) -> impl FnOnce(&Wallet, &OAuthServer, &tokio::runtime::Runtime) {
    move |wallet, server, runtime| {
        runtime.block_on(async {
            wallet.add(demo_account(server, name)).await.unwrap();
            wallet.generate(name).await.unwrap();
        });
    }
}

impl Window {
    /// Runs frames until `done` holds (the worker answers on other threads).
    fn wait(&mut self, what: &str, done: impl Fn(&Self) -> bool) {
        if !wait_until(
            self,
            |w| {
                w.harness.run_ok();
            },
            done,
        ) {
            let labels: Vec<String> = self
                .harness
                .query_all_by_role(Role::Label)
                .filter_map(|n| n.value())
                .collect();
            panic!("timed out waiting for {what}; the window shows: {labels:?}");
        }
    }

    /// Waits until the window shows `text`.
    fn wait_text(&mut self, text: &str) {
        self.wait(&format!("{text:?} on screen"), |w| w.has_text(text));
    }

    /// Waits until the window no longer shows `text` (a dialog closed, a notice went).
    fn wait_gone(&mut self, text: &str) {
        self.wait(&format!("{text:?} to go"), |w| !w.has_text(text));
    }

    /// Lets the background refresher finish `n` more rounds: enough to see that it did not
    /// act, with no sleep.
    fn wait_rounds(&mut self, n: u64) {
        let target = self.harness.state().refresher_rounds() + n;
        self.wait("the refresher's rounds", |w| {
            w.harness.state().refresher_rounds() >= target
        });
    }

    /// Clicks through AccessKit, as a screen reader would: independent of where the button
    /// is this frame (results arriving from the worker move things around).
    fn click(&mut self, role: Role, label: &str) {
        self.harness
            .get_by_role_and_label(role, label)
            .click_accesskit();
        self.harness.run_ok();
    }

    fn type_into(&mut self, role: Role, label: &str, text: &str) {
        self.harness.get_by_role_and_label(role, label).focus();
        self.harness.run_ok();
        self.harness
            .get_by_role_and_label(role, label)
            .type_text(text);
        self.harness.run_ok();
    }

    /// Types `path` over the suggested one in the "Save to" field, then presses Save.
    fn save_to(&mut self, path: &std::path::Path) {
        self.harness
            .get_by_role_and_label(Role::TextInput, "Save to")
            .focus();
        self.harness.run_ok();
        self.harness
            .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        self.harness.run_ok();
        self.harness
            .get_by_role_and_label(Role::TextInput, "Save to")
            .type_text(path.to_str().unwrap());
        self.harness.run_ok();
        self.click(Role::Button, "Save");
    }

    /// What the multi-line text fields hold (answers, bodies).
    fn multiline_texts(&self) -> Vec<String> {
        self.harness
            .query_all_by_role(Role::MultilineTextInput)
            .filter_map(|n| n.value())
            .collect()
    }

    /// Opens the selected account's Try it pane.
    fn open_try_it(&mut self) {
        self.harness.get_by_label("Try it").click_accesskit();
        self.harness.run_ok();
    }

    /// Whether a widget of `role` labelled `label` is on screen.
    fn shows(&self, role: Role, label: &str) -> bool {
        self.harness.query_by_role_and_label(role, label).is_some()
    }

    fn has_text(&self, text: &str) -> bool {
        self.harness
            .query_all_by_label_contains(text)
            .next()
            .is_some()
    }

    fn account(&self, name: &str) -> Account {
        self.wallet.account(name).unwrap()
    }

    fn access_token(&self, name: &str) -> String {
        self.wallet
            .secrets(name)
            .unwrap()
            .1
            .access_token
            .unwrap()
            .expose()
            .to_owned()
    }
}

#[test]
fn add_generate_countdown_copy_download_revoke() {
    let mut w = window();
    assert!(w.has_text("No accounts yet"));

    // Add an account through the form (Ctrl+N).
    w.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::N);
    w.harness.run_ok();
    w.type_into(Role::TextInput, "Name", "svc");
    w.type_into(Role::TextInput, "Token endpoint", &w.server.token_url());
    w.type_into(Role::TextInput, "Client id", "demo-client");
    w.type_into(Role::PasswordInput, "Client secret", "demo-secret");
    w.type_into(Role::TextInput, "Revoke URL", &w.server.revoke_url());
    w.click(Role::Button, "Add");
    w.wait("the account to be added", |w| {
        w.harness.state().accounts().len() == 1
    });
    w.wait("the form to close", |w| !w.shows(Role::Button, "Cancel"));
    assert_eq!(w.harness.state().selected(), Some("svc"));
    assert_eq!(
        w.server.state().token_requests,
        0,
        "adding makes no token request"
    );

    // Generate, then watch the countdown follow the (injected) clock.
    w.click(Role::Button, "Generate");
    w.wait("a token", |w| {
        w.account("svc").tokens.has_access_token && !w.harness.state().is_busy("svc")
    });
    w.wait_text("1 h 00 m");
    w.clock.advance(61);
    w.wait_text("58:59");
    let token = w.access_token("svc");
    assert!(w.server.state().access_valid(&token));
    assert!(!w.has_text(&token), "the token is masked by default");

    // Copy: raw token, then the header line; the clipboard adapter gets exactly that.
    w.click(Role::Button, "Copy token");
    w.wait("the copy", |w| w.clipboard.history().len() == 1);
    assert_eq!(w.clipboard.history()[0], token);
    w.click(Role::Button, "Copy Authorization header");
    w.wait("the header copy", |w| w.clipboard.history().len() == 2);
    assert_eq!(
        w.clipboard.history()[1],
        format!("Authorization: Bearer {token}")
    );
    w.wait_text("clipboard clears in 60 s");

    // Show reveals the token in the window.
    w.click(Role::Button, "Show");
    w.wait("the revealed token", |w| {
        w.harness.query_by_value(&token).is_some()
    });
    w.click(Role::Button, "Hide");
    w.wait("the mask", |w| w.harness.query_by_value(&token).is_none());

    // Download through the (injected) native dialog.
    let path = w.home.path().join("svc-token.txt");
    *w.dialog.0.lock().unwrap() = Ok(Some(path.clone()));
    w.click(Role::Button, "Download…");
    w.wait("the file", |_| path.exists());
    w.wait("the file content", |_| {
        std::fs::read_to_string(&path).unwrap_or_default() == format!("{token}\n")
    });
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    // Revoke asks first; Cancel does nothing, Revoke revokes at the server.
    w.click(Role::Button, "Revoke…");
    assert!(w.has_text("Revoke the tokens of 'svc' at the provider?"));
    w.click(Role::Button, "Cancel");
    assert_eq!(w.server.state().revocations, 0);
    w.click(Role::Button, "Revoke…");
    w.click(Role::Button, "Revoke");
    w.wait("the revocation", |w| w.account("svc").tokens.revoked);
    assert_eq!(w.server.state().revocations, 1);
    assert!(!w.server.state().access_valid(&token));
    w.wait_text("Revoked the tokens of 'svc'");
}

#[test]
fn a_server_error_is_a_toast_with_the_servers_words_and_the_tokens_stay() {
    let mut w = window_with(with_generated("demo"));
    let before = w.wallet.secrets("demo").unwrap().1;
    w.server.inject(Fault::Html(502));
    w.click(Role::Button, "Refresh");
    w.wait_text("502 Bad Gateway");
    assert!(w.has_text("the stored tokens were kept"));
    assert_eq!(w.wallet.secrets("demo").unwrap().1, before);
    // The account panel shows the error once the reloaded account arrives.
    w.wait_text("Last error:");
}

#[test]
fn the_filter_narrows_the_list_and_only_visible_rows_are_laid_out() {
    let mut w = window_with(|wallet, server, runtime| {
        runtime.block_on(async {
            for name in ["prod-central", "lab-oauth", "eu-oauth"] {
                wallet.add(demo_account(server, name)).await.unwrap();
            }
        });
    });
    assert_eq!(w.harness.state().visible_rows().len(), 3);
    w.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    w.harness.run_ok();
    assert!(
        w.harness
            .get_by_role_and_label(Role::TextInput, "Filter")
            .accesskit_node()
            .is_focused(),
        "Ctrl+F focuses the filter"
    );
    w.harness
        .get_by_role_and_label(Role::TextInput, "Filter")
        .type_text("-oauth");
    w.harness.run_ok();
    assert_eq!(w.harness.state().visible_rows().len(), 2);
    assert!(w.shows(Role::Button, "lab-oauth"));
    assert!(!w.shows(Role::Button, "prod-central"));
}

#[test]
fn many_accounts_lay_out_only_the_visible_rows() {
    let mut w = window();
    let accounts: Vec<Account> = (0..10_000)
        .map(|i| {
            Account::new(
                format!("acct-{i:05}"),
                ProviderKind::OAUTH2,
                Grant::ClientCredentials,
            )
        })
        .collect();
    w.harness.state_mut().set_accounts(accounts);
    w.harness.run_ok();
    let rows = w
        .harness
        .query_all_by_role(Role::Button)
        .filter(|n| {
            n.accesskit_node()
                .label()
                .is_some_and(|l| l.starts_with("acct-"))
        })
        .count();
    assert!(rows > 5 && rows < 100, "laid out {rows} rows of 10 000");
}

#[test]
fn the_demo_account_from_the_empty_state_works_end_to_end() {
    let mut w = window();
    w.click(Role::Button, "Try the demo account");
    w.wait("the demo account", |w| {
        w.harness.state().accounts().len() == 1
    });
    w.click(Role::Button, "Generate");
    // Until the window hears back, the account is busy and Ctrl+R is ignored.
    w.wait("a token", |w| {
        w.account("demo").tokens.has_access_token && !w.harness.state().is_busy("demo")
    });
    assert_eq!(w.account("demo").state(w.clock.now()).id(), "valid");
    // Ctrl+R refreshes and Ctrl+C copies the selected account's token.
    let before = w.access_token("demo");
    w.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::R);
    w.wait("the refresh", |w| w.access_token("demo") != before);
    w.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::C);
    w.wait("the copy", |w| w.clipboard.history().len() == 1);
    assert_eq!(w.clipboard.history()[0], w.access_token("demo"));
    // The demo's API comes with its spec, for the Try it pane.
    w.wait("the demo's API spec", |w| {
        w.account("demo")
            .api_spec
            .is_some_and(|spec| spec.ends_with("/openapi.yaml"))
    });
}

#[test]
fn without_a_save_dialog_download_asks_for_a_path() {
    let mut w = window_with(with_generated("demo"));
    *w.dialog.0.lock().unwrap() =
        Err("no desktop portal is running, so there is no save dialog".into());
    w.click(Role::Button, "Download…");
    w.wait_text("no desktop portal is running");
    let path = w.home.path().join("typed.txt");
    w.save_to(&path);
    w.wait("the file", |_| path.exists());
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("{}\n", w.access_token("demo"))
    );
}

#[test]
fn revoke_on_a_provider_without_an_api_says_so_before_asking() {
    let mut w = window_with(|wallet, _, runtime| {
        let mut account = Account::new("aiq", ProviderKind::ACTIVE_IQ, Grant::RefreshToken);
        account.url = Some("https://api.activeiq.netapp.com".into());
        runtime
            .block_on(wallet.import(
                NewAccount {
                    account,
                    secrets: Secrets::default(),
                },
                "Access Token: aiq-access-123456\nRefresh Token: aiq-refresh-123456\n",
                None,
            ))
            .unwrap();
    });
    assert!(
        w.has_text("authorizationToken"),
        "Active IQ copies its own header"
    );
    w.click(Role::Button, "Revoke…");
    assert!(w.has_text("no public revoke API"));
    w.click(Role::Button, "Revoke");
    w.wait("the local discard", |w| w.account("aiq").tokens.revoked);
}

#[test]
fn the_add_form_validates_inline_before_any_request() {
    let mut w = window();
    w.click(Role::Button, "Add account");
    // Nothing typed yet: no complaint about an empty name, just what comes first.
    assert!(w.has_text("Name the account first."));
    assert!(!w.has_text("'' is not a usable account name"));
    w.type_into(Role::TextInput, "Name", "svc");
    assert!(w.has_text("needs a client id"));
    assert!(!w.has_text("Name the account first."));
    let cli: Vec<String> = w
        .harness
        .query_all_by_label_contains("--")
        .chain(w.harness.query_all_by_label_contains("TOKENWALLET_"))
        .map(|n| {
            let node = n.accesskit_node();
            node.label().or_else(|| node.value()).unwrap_or_default()
        })
        .collect();
    assert!(
        cli.is_empty(),
        "the form names its own fields, not command-line options: {cli:?}"
    );
    assert!(
        w.harness
            .get_by_role_and_label(Role::Button, "Add")
            .accesskit_node()
            .is_disabled()
    );
    w.type_into(
        Role::TextInput,
        "Token endpoint",
        "http://tokens.example.com/token",
    );
    w.type_into(Role::TextInput, "Client id", "c");
    w.type_into(Role::PasswordInput, "Client secret", "s");
    assert!(
        w.has_text("loopback"),
        "plain http to a remote host is refused in the form"
    );
    assert!(
        w.harness
            .get_by_role_and_label(Role::Button, "Add")
            .accesskit_node()
            .is_disabled()
    );
    assert_eq!(w.server.state().token_requests, 0);
}

#[test]
fn auto_refresh_renews_due_accounts_and_respects_the_toggle() {
    let mut w = window_with(|wallet, server, runtime| {
        with_generated("auto")(wallet, server, runtime);
        with_generated("manual")(wallet, server, runtime);
        wallet.set_auto_refresh("manual", false).unwrap();
    });
    let (auto, manual) = (w.access_token("auto"), w.access_token("manual"));
    // Two minutes before expiry: inside the 6-minute (10 %) window.
    w.clock.advance(3600 - 120);
    w.wait("the auto-refresh", |w| w.access_token("auto") != auto);
    assert!(w.server.state().access_valid(&w.access_token("auto")));
    // A few more rounds of the refresher: the manual account stays as it was.
    w.wait_rounds(3);
    assert_eq!(
        w.access_token("manual"),
        manual,
        "auto-refresh is off for this account"
    );
    assert_eq!(w.account("manual").state(w.clock.now()).id(), "expiring");
    assert_eq!(w.account("auto").state(w.clock.now()).id(), "valid");
}

#[test]
fn try_it_sends_the_token_and_shows_status_and_body() {
    let mut w = window_with(with_generated("demo"));
    w.open_try_it();
    let url = format!("{}/api/me", w.server.issuer());
    w.type_into(Role::TextInput, "URL", &url);
    w.click(Role::Button, "Send GET");
    w.wait_text("HTTP 200 in");
    let body = w.multiline_texts();
    assert!(
        body.iter().any(|b| b.contains("hello from the demo API")),
        "{body:?}"
    );
}

/// A file dropped on the window.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &std::path::Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn dropping_an_aruba_download_imports_it() {
    let mut w = window();
    let created = w.clock.now() - chrono::Duration::minutes(30);
    let file = w.home.path().join("token.json");
    std::fs::write(
        &file,
        serde_json::json!({
            "access_token": "aruba-access-dropped-1", "appname": "app", "authenticated_userid": "ops@example.com",
            "created_at": created.timestamp_millis(), "credential_id": "c", "expires_in": 7200, "id": "i",
            "refresh_token": "aruba-refresh-dropped-1", "scope": "all", "token_type": "bearer"
        })
        .to_string(),
    )
    .unwrap();
    w.harness
        .input_mut()
        .dropped_files
        .push(Arc::new(Dropped(file.clone())));
    w.harness.run_ok();
    assert_eq!(
        w.harness
            .get_by_role_and_label(Role::TextInput, "File")
            .value()
            .as_deref(),
        Some(file.to_str().unwrap()),
        "the drop opens Import with the file"
    );
    w.type_into(Role::TextInput, "Name", "central");
    w.click(Role::ComboBox, "Provider");
    w.click(Role::Button, "Aruba Central");
    w.click(Role::Button, "Import");
    w.wait("the import", |w| w.harness.state().accounts().len() == 1);
    let account = w.account("central");
    assert_eq!(account.provider, ProviderKind::ARUBA_CENTRAL);
    // Counted from the download's created_at: 90 of the 120 minutes are left.
    assert_eq!(
        account.tokens.access_expires_at,
        Some(created + chrono::Duration::seconds(7200))
    );
    assert_eq!(w.access_token("central"), "aruba-access-dropped-1");
    w.wait_text("1 h 30 m");
}

#[test]
fn a_refresh_token_dying_within_a_day_is_announced_once() {
    let mut w = window_with(|wallet, server, runtime| {
        with_generated("soon")(wallet, server, runtime);
        with_generated("later")(wallet, server, runtime);
        // Auto-refresh would rotate the refresh token and move its expiry away.
        wallet.set_auto_refresh("soon", false).unwrap();
        wallet.set_auto_refresh("later", false).unwrap();
    });
    // Both refresh tokens last a day, so the warning comes in the last quarter of that
    // life (6 h); refreshing "later" moves its expiry, not "soon"'s.
    w.wait_rounds(2);
    assert!(w.notifier.0.lock().unwrap().is_empty(), "nothing dies yet");
    w.clock.advance(17 * 3600);
    w.wait_rounds(2);
    assert!(
        w.notifier.0.lock().unwrap().is_empty(),
        "7 h left of 24: not yet"
    );
    w.clock.advance(2 * 3600);
    w.runtime.block_on(w.wallet.refresh("later")).unwrap();
    w.wait("the notification", |w| {
        !w.notifier.0.lock().unwrap().is_empty()
    });
    // A few more rounds of the refresher must not repeat it.
    w.wait_rounds(3);
    let shown = w.notifier.0.lock().unwrap().clone();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(
        shown[0].0,
        "The refresh token of 'soon' expires in 5 h 00 m"
    );
    assert!(shown[0].1.contains("OAuth 2.0"), "{}", shown[0].1);
    w.wait_text("1 refresh token expires within a day");
}

/// A window over a data dir with no keyring: the first-run vault screen.
fn first_run_window(
    home: &std::path::Path,
    runtime: &tokio::runtime::Runtime,
) -> Harness<'static, App> {
    let services = Services {
        clipboard: Arc::new(MemoryClipboard::default()),
        dialog: Arc::new(TestDialog(Mutex::new(Ok(None)))),
        notifier: Arc::new(TestNotifier::default()),
        opener: Arc::new(TestBrowser::default()),
        clock: Arc::new(tokenwallet::wallet::SystemClock),
        auto_refresh_every: Duration::from_hours(1),
        wording: std::sync::Arc::new(tokenwallet::cli::CliWording),
        config: tokenwallet::config::Config::default(),
    };
    harness(WalletSource::Vault(home.to_owned()), services, runtime)
}

fn wait_for(
    harness: &mut Harness<'static, App>,
    what: &str,
    done: impl Fn(&Harness<'static, App>) -> bool,
) {
    assert!(
        wait_until(
            harness,
            |h| {
                h.run_ok();
            },
            done
        ),
        "timed out waiting for {what}"
    );
}

#[test]
fn first_run_without_a_keyring_creates_an_encrypted_vault() {
    let runtime = support::runtime();
    let home = tempfile::tempdir().unwrap();
    let mut h = first_run_window(home.path(), &runtime);
    wait_for(&mut h, "the vault offer", vault_offer);
    type_passphrase(&mut h, "Passphrase", "correct horse");
    type_passphrase(&mut h, "Repeat passphrase", "correct hors");
    assert!(h.query_by_label_contains("differ").is_some());
    assert!(
        h.get_by_role_and_label(Role::Button, "Create vault")
            .accesskit_node()
            .is_disabled()
    );
    h.get_by_role_and_label(Role::PasswordInput, "Repeat passphrase")
        .type_text("e");
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "Create vault")
        .click_accesskit();
    wait_for(&mut h, "the unlocked, empty wallet", unlocked);
    h.get_by_role_and_label(Role::Button, "Try the demo account")
        .click_accesskit();
    wait_for(&mut h, "the demo account", |h| {
        h.state().accounts().len() == 1
    });
    // The secrets went to the vault, encrypted; the accounts file says so.
    let record = home.path().join("vault").join("64656d6f.age");
    let vault = std::fs::read(record).unwrap();
    assert!(vault.starts_with(b"age-encryption.org/v1"));
    assert!(!String::from_utf8_lossy(&vault).contains("demo-secret"));
    let accounts = std::fs::read_to_string(home.path().join("accounts/wallet.json")).unwrap();
    assert!(accounts.contains(r#""secret_store": "file""#), "{accounts}");
    // And the CLI opens the same vault with the same passphrase.
    let wallet = Wallet::open(
        home.path(),
        &tokenwallet::config::Config::default(),
        &|_| Ok(Secret::new("correct horse")),
    )
    .unwrap();
    assert_eq!(
        wallet
            .secrets("demo")
            .unwrap()
            .1
            .client_secret
            .unwrap()
            .expose(),
        "demo-secret"
    );
}

#[test]
fn try_without_saving_leaves_the_data_dir_untouched() {
    let runtime = support::runtime();
    let home = tempfile::tempdir().unwrap();
    let mut h = first_run_window(home.path(), &runtime);
    wait_for(&mut h, "the vault offer", |h| {
        h.query_by_role_and_label(Role::Button, "Try without saving")
            .is_some()
    });
    h.get_by_role_and_label(Role::Button, "Try without saving")
        .click_accesskit();
    wait_for(&mut h, "the empty wallet", unlocked);
    h.get_by_role_and_label(Role::Button, "Try the demo account")
        .click_accesskit();
    wait_for(&mut h, "the demo account", |h| {
        h.state().accounts().len() == 1
    });
    let left: Vec<_> = std::fs::read_dir(home.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "the real data dir was written: {left:?}");
}

#[test]
fn the_refresh_token_is_copied_viewed_and_saved_only_when_asked() {
    let mut w = window_with(with_generated("demo"));
    let secrets = w.wallet.secrets("demo").unwrap().1;
    let access = secrets.access_token.unwrap().expose().to_owned();
    let refresh = secrets.refresh_token.unwrap().expose().to_owned();
    assert!(
        !w.has_text(&refresh),
        "nothing shows the refresh token unasked"
    );

    // Copy: its own button, the clipboard rules, and a toast that names but never shows it.
    w.click(Role::Button, "Copy refresh token");
    w.wait("the copy", |w| w.clipboard.history().len() == 1);
    assert_eq!(w.clipboard.history()[0], refresh);
    w.wait_text("Copied the refresh token; the clipboard clears in 60 s");
    assert!(!w.has_text(&refresh), "the refresh token is not in a toast");

    // View: access by default, the refresh token once picked; closing forgets it.
    w.click(Role::Button, "View");
    w.wait("the access token", |w| {
        w.harness.query_all_by_value(&access).next().is_some()
    });
    assert!(w.harness.query_all_by_value(&refresh).next().is_none());
    w.click(Role::ComboBox, "Which token");
    w.click(Role::Button, "Refresh token");
    w.wait("the refresh token", |w| {
        w.harness.query_all_by_value(&refresh).next().is_some()
    });
    w.click(Role::Button, "Close");
    w.wait("the view to close", |w| {
        w.harness.query_all_by_value(&refresh).next().is_none()
    });

    // Download both: the labelled layout the importer reads, owner-only.
    w.click(Role::ComboBox, "Tokens to save");
    w.click(Role::Button, "Access and refresh tokens");
    let path = w.home.path().join("both.txt");
    *w.dialog.0.lock().unwrap() = Ok(Some(path.clone()));
    w.click(Role::Button, "Download…");
    w.wait("the file", |_| {
        std::fs::read_to_string(&path).unwrap_or_default()
            == format!("Access Token: {access}\nRefresh Token: {refresh}\n")
    });
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    w.wait_text("Saved the text tokens of 'demo'");
    assert!(!w.has_text(&refresh));
}

#[test]
fn a_typed_path_that_exists_is_replaced_only_after_asking() {
    let mut w = window_with(with_generated("demo"));
    *w.dialog.0.lock().unwrap() = Err("no desktop portal is running".into());
    let path = w.home.path().join("exists.txt");
    std::fs::write(&path, "keep me").unwrap();
    w.click(Role::Button, "Download…");
    w.wait_text("no desktop portal");
    w.save_to(&path);
    w.wait_text("already exists. Replace it?");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");
    w.click(Role::Button, "Cancel");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");
    w.click(Role::Button, "Download…");
    w.wait_text("no desktop portal");
    w.save_to(&path);
    w.wait_text("already exists. Replace it?");
    w.click(Role::Button, "Replace");
    let token = w.access_token("demo");
    w.wait("the replaced file", |_| {
        std::fs::read_to_string(&path).unwrap_or_default() == format!("{token}\n")
    });
}

#[test]
fn closing_during_a_refresh_waits_until_the_new_tokens_are_saved() {
    let mut w = window_with(with_generated("demo"));
    w.server
        .inject(Fault::SlowAfterRotate(Duration::from_millis(1200)));
    let refreshes = w.server.state().refreshes;
    w.click(Role::Button, "Refresh");
    w.wait("the server to rotate", |w| {
        w.server.state().refreshes > refreshes
    });
    request_close(&mut w);
    assert!(
        w.has_text("Saving the new tokens before closing"),
        "the close waits"
    );
    w.wait("the new tokens", |w| {
        let rt = w.wallet.secrets("demo").unwrap().1.refresh_token.unwrap();
        w.server.state().refresh_valid(rt.expose())
    });
    w.wait_gone("Saving the new tokens before closing");
}

#[test]
fn try_it_asks_before_sending_the_token_to_another_host() {
    let mut w = window_with(with_generated("demo"));
    w.open_try_it();
    // The same server by another name: not a host this account knows.
    let url = format!("{}/api/me", w.server.issuer()).replace("127.0.0.1", "localhost");
    w.type_into(Role::TextInput, "URL", &url);
    w.click(Role::Button, "Send GET");
    w.wait_text("localhost is not a host of the provider of 'demo'");
    w.click(Role::Button, "Cancel");
    assert!(!w.has_text("HTTP 200 in"), "nothing was sent");
    assert!(w.account("demo").api_hosts.is_empty());

    w.click(Role::Button, "Send GET");
    w.wait_text("Send its access token there?");
    w.click(Role::Button, "Send");
    w.wait_text("HTTP 200 in");
    assert_eq!(w.account("demo").api_hosts, ["localhost"]);

    // Confirmed once for this account: no second question.
    w.click(Role::Button, "Send GET");
    w.wait_text("HTTP 200 in");
    assert!(!w.has_text("Send its access token there?"));
}

/// An account of the demo server signing a person in with `grant`.
fn person_account(grant: Grant) -> impl FnOnce(&Wallet, &OAuthServer, &tokio::runtime::Runtime) {
    move |wallet, server, runtime| {
        let mut new = demo_account(server, "me");
        new.account.grant = grant;
        new.account.username = None;
        new.secrets.password = None;
        new.account.issuer = Some(server.issuer());
        runtime.block_on(wallet.add(new)).unwrap();
    }
}

#[test]
fn sign_in_through_the_browser_from_the_window() {
    let mut w = window_with(person_account(Grant::AuthorizationCode));
    w.click(Role::Button, "Sign in…");
    w.wait("the signed-in account", |w| {
        w.account("me").tokens.has_refresh_token && !w.harness.state().is_busy("me")
    });
    let opened = w.browser.0.lock().unwrap().clone();
    assert_eq!(opened.len(), 1, "the browser was opened once");
    assert!(
        opened[0].contains("code_challenge_method=S256"),
        "{}",
        opened[0]
    );
    assert!(w.server.state().access_valid(&w.access_token("me")));
    w.wait_gone("Waiting for the sign-in");
}

#[test]
fn the_device_code_dialog_shows_the_code_until_the_person_approves() {
    let mut w = window_with(person_account(Grant::DeviceCode));
    w.click(Role::Button, "Sign in…");
    w.wait_text("and enter this code");
    let code = w
        .harness
        .query_all_by_role(Role::Label)
        .filter_map(|n| n.value())
        .find(|text| {
            text.len() == 8
                && text
                    .chars()
                    .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        })
        .expect("the code is shown");
    assert!(w.has_text("Copy code") && w.has_text("Open browser"));
    w.click(Role::Button, "Open browser");
    w.wait("the browser", |w| !w.browser.0.lock().unwrap().is_empty());
    assert!(w.browser.0.lock().unwrap()[0].contains(&code));
    assert!(w.server.state().approve_device(&code));
    w.wait("the signed-in account", |w| {
        w.account("me").tokens.has_refresh_token
    });
    w.wait_gone("and enter this code");
}

#[test]
fn a_cancelled_device_sign_in_stores_nothing() {
    let mut w = window_with(person_account(Grant::DeviceCode));
    w.click(Role::Button, "Sign in…");
    w.wait_text("and enter this code");
    w.click(Role::Button, "Cancel");
    w.wait_gone("and enter this code");
    w.wait_text("cancelled");
    assert!(!w.account("me").tokens.has_access_token);
}

#[test]
fn the_open_window_serves_the_command_line_as_the_agent() {
    let mut w = window_with(with_generated("svc"));
    w.harness.state().serve_agent();
    let socket = tokenwallet::agent::socket_path(w.home.path());
    w.wait("the agent's socket", |_| socket.exists());
    // The wallet holds its secrets in this process's memory: only the window can answer.
    let cli = Home::at(w.home.path());
    let memory = [("TOKENWALLET_SECRET_STORE", "memory")];
    let token = cli.run_env(&["token", "svc"], &memory).ok();
    assert_eq!(token.trim(), w.access_token("svc"));
    // `lock` has no vault key to forget here, and must not stop the agent serving: its
    // secrets live nowhere else.
    assert_eq!(
        said(&cli.run(&["lock"])),
        "tokenwallet: the agent held no vault key"
    );
    let token = cli.run_env(&["token", "svc"], &memory).ok();
    assert_eq!(token.trim(), w.access_token("svc"));
}

/// What a successful `lock` or `unlock` said.
fn said(run: &support::Run) -> String {
    run.ok();
    run.stderr().trim().to_owned()
}

fn type_passphrase(h: &mut Harness<'static, App>, label: &str, passphrase: &str) {
    h.get_by_role_and_label(Role::PasswordInput, label).focus();
    h.run_ok();
    h.get_by_role_and_label(Role::PasswordInput, label)
        .type_text(passphrase);
    h.run_ok();
}

fn vault_offer(h: &Harness<'static, App>) -> bool {
    h.query_by_role_and_label(Role::Button, "Create vault")
        .is_some()
}

fn unlock_screen(h: &Harness<'static, App>) -> bool {
    h.query_by_role_and_label(Role::Button, "Unlock").is_some()
}

fn unlocked(h: &Harness<'static, App>) -> bool {
    h.query_by_role_and_label(Role::Button, "Try the demo account")
        .is_some()
}

#[test]
fn the_window_and_its_agent_lock_and_unlock_together() {
    let runtime = support::runtime();
    let home = tempfile::tempdir().unwrap();
    let mut h = first_run_window(home.path(), &runtime);
    wait_for(&mut h, "the vault offer", vault_offer);
    type_passphrase(&mut h, "Passphrase", "correct horse");
    type_passphrase(&mut h, "Repeat passphrase", "correct horse");
    h.get_by_role_and_label(Role::Button, "Create vault")
        .click_accesskit();
    wait_for(&mut h, "the unlocked wallet", unlocked);
    h.state().serve_agent();
    let socket = tokenwallet::agent::socket_path(home.path());
    wait_for(&mut h, "the agent's socket", |_| socket.exists());
    let cli = Home::at(home.path());
    let passphrase = [("TOKENWALLET_PASSPHRASE", "correct horse")];

    // `tokenwallet lock` locks the window it reaches.
    assert_eq!(
        said(&cli.run(&["lock"])),
        "tokenwallet: the agent forgot the vault key"
    );
    wait_for(&mut h, "the unlock screen", unlock_screen);

    // `tokenwallet unlock` opens it again.
    let unlocked_by_cli = cli.run_env(&["unlock", "--for", "1h"], &passphrase);
    assert!(said(&unlocked_by_cli).contains("holds the vault key"));
    wait_for(&mut h, "the wallet the command line unlocked", unlocked);

    // The window's Lock button locks the agent too.
    h.get_by_role_and_label(Role::Button, "Lock")
        .click_accesskit();
    wait_for(&mut h, "the unlock screen after Lock", unlock_screen);
    assert_eq!(
        said(&cli.run(&["lock"])),
        "tokenwallet: the agent held no vault key"
    );

    // Unlocked in the window, then for two seconds from the command line: when those end,
    // both forget the key.
    type_passphrase(&mut h, "Passphrase", "correct horse");
    h.get_by_role_and_label(Role::Button, "Unlock")
        .click_accesskit();
    wait_for(&mut h, "the wallet unlocked in the window", unlocked);
    said(&cli.run_env(&["unlock", "--for", "2s"], &passphrase));
    wait_for(
        &mut h,
        "the unlock screen when the unlock ends",
        unlock_screen,
    );
    assert_eq!(
        said(&cli.run(&["lock"])),
        "tokenwallet: the agent held no vault key"
    );
}

// Issue 18: "Keep this file fresh" in the Download row keeps the file; the panel lists it
// with its last write and a Stop button; a refresh rewrites it, Stop leaves it as it is.
#[test]
fn a_downloaded_file_kept_fresh_follows_refreshes_until_stopped() {
    let mut w = window_with(with_generated("demo"));
    let path = w.home.path().join("kept.txt");
    *w.dialog.0.lock().unwrap() = Ok(Some(path.clone()));
    w.click(Role::CheckBox, "Keep this file fresh");
    w.click(Role::Button, "Download…");
    w.wait("the kept file", |w| {
        w.account("demo").kept_files.len() == 1 && path.exists()
    });
    w.wait_text("It is written again after every refresh.");
    w.wait("the panel's list", |w| {
        w.has_text(&path.display().to_string())
    });
    assert!(w.has_text("text, written just now"));
    let first = w.access_token("demo");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("{first}\n")
    );
    w.click(Role::Button, "Refresh");
    w.wait("the rewrite", |w| {
        let token = w.access_token("demo");
        token != first && std::fs::read_to_string(&path).unwrap() == format!("{token}\n")
    });
    w.click(Role::Button, "Stop");
    w.wait("the file forgotten", |w| {
        w.account("demo").kept_files.is_empty()
    });
    w.wait_text("is no longer kept fresh");
    let kept = std::fs::read_to_string(&path).unwrap();
    let before = w.access_token("demo");
    w.click(Role::Button, "Refresh");
    w.wait("another refresh", |w| w.access_token("demo") != before);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        kept,
        "a stopped file stays"
    );
}

/// Asks the window to close, as its close button does.
fn request_close(w: &mut Window) {
    w.harness
        .input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(egui::ViewportEvent::Close);
    w.harness.run_ok();
}

// Issue 18: with a tray, the first close asks (and the answer is remembered); "Keep running
// in the tray" hides the window instead of closing it; the tray's Open brings it back, and
// its Quit closes for good. Without a tray, closing closes.
#[test]
fn closing_with_a_tray_asks_once_then_hides_and_the_tray_brings_it_back() {
    let mut w = window_with(with_generated("demo"));
    let (tray, clicks) = {
        let (tx, rx) = std::sync::mpsc::channel();
        (tokenwallet::ui::tray::Tray::from_actions(rx), tx)
    };
    w.harness.state_mut().set_tray(tray);
    request_close(&mut w);
    assert!(w.has_text("Keep tokenwallet running in the tray?"));
    assert!(!w.harness.state().is_hidden() && !w.harness.state().is_quitting());
    w.click(Role::Button, "Keep running in the tray");
    assert!(w.harness.state().is_hidden());
    let settings = w.home.path().join(tokenwallet::ui::SETTINGS_FILE);
    w.wait("the answer saved", |_| {
        std::fs::read_to_string(&settings).is_ok_and(|s| s.contains("\"keep_in_tray\": true"))
    });
    clicks.send(TrayAction::Open).unwrap();
    w.harness.run_ok();
    assert!(!w.harness.state().is_hidden());
    // The second close hides at once: asked once.
    request_close(&mut w);
    assert!(w.harness.state().is_hidden());
    assert!(!w.has_text("Keep tokenwallet running in the tray?"));
    clicks.send(TrayAction::Quit).unwrap();
    w.harness.run_ok();
    assert!(w.harness.state().is_quitting());
}

#[test]
fn without_a_tray_closing_asks_nothing() {
    let mut w = window_with(with_generated("demo"));
    request_close(&mut w);
    assert!(!w.has_text("Keep tokenwallet running in the tray?"));
    assert!(!w.harness.state().is_hidden());
    assert!(!w.has_text("Run in the tray when closed"));
}

// Issue 18: the panel says when the account is next refreshed with nobody asking, and why;
// a kept file brings it forward to when the access token starts expiring.
#[test]
fn the_panel_says_when_and_why_the_next_refresh_comes() {
    let mut w = window_with(with_generated("demo"));
    w.wait_text("the refresh token passes half its life");
    let path = w.home.path().join("kept.txt");
    *w.dialog.0.lock().unwrap() = Ok(Some(path.clone()));
    w.click(Role::CheckBox, "Keep this file fresh");
    w.click(Role::Button, "Download…");
    w.wait_text("a kept file's access token starts expiring");
    // The demo's hour-long token starts expiring 6 minutes before its end.
    assert!(w.has_text("(in 54:00)"), "the countdown to the refresh");
}

// Issue 20, item 1: one click from an account to its API catalog. The token is renewed
// first when due, copied raw (the Authorize dialog adds any prefix itself), with the
// clipboard's auto-clear, and the catalog opens in the (injected) browser.
#[test]
fn open_api_catalog_renews_a_due_token_copies_it_raw_and_opens_the_catalog() {
    let mut w = window_with(|wallet, server, runtime| {
        let mut new = demo_account(server, "demo");
        new.account.catalog_url = Some("https://catalog.example/api/".into());
        runtime.block_on(async {
            wallet.add(new).await.unwrap();
            wallet.generate("demo").await.unwrap();
        });
    });
    let first = w.access_token("demo");
    w.wallet.set_auto_refresh("demo", false).unwrap();
    w.clock.advance(3600);
    w.click(Role::Button, "Open API catalog");
    w.wait("the catalog", |w| !w.browser.0.lock().unwrap().is_empty());
    assert_eq!(
        w.browser.0.lock().unwrap().as_slice(),
        ["https://catalog.example/api/"]
    );
    let copied = w.clipboard.history().last().cloned().unwrap();
    assert_ne!(copied, first, "the due token was renewed first");
    assert_eq!(copied, w.access_token("demo"), "the raw token, no prefix");
    assert!(w.server.state().access_valid(&copied));
    w.wait_text("press Authorize and paste it as Authorization");
    assert!(w.has_text("clipboard clears in 60 s"));
}

#[test]
fn an_account_with_no_known_catalog_is_told_to_use_try_it() {
    let mut w = window_with(with_generated("demo"));
    w.click(Role::Button, "Open API catalog");
    w.wait_text("has no known API catalog");
    assert!(w.browser.0.lock().unwrap().is_empty());
    assert!(w.clipboard.history().is_empty(), "nothing copied");
    // The wallet's own Try it opens instead, at its spec field.
    assert!(w.shows(Role::TextInput, "API spec"));
}

// Issue 19: a team account is marked in the list, and its details say where it stands in
// the team store and who renewed it last.
#[test]
fn a_team_account_wears_a_team_badge_and_says_who_renewed_it() {
    let mut w = window_with(|wallet, server, runtime| {
        with_generated("shared")(wallet, server, runtime);
        with_generated("mine")(wallet, server, runtime);
        tokenwallet::store::AccountsFile::new(wallet.home())
            .update("shared", |account| {
                account.team = Some(tokenwallet::model::TeamMark {
                    chain_version: 3,
                    refreshed_by: Some("laptop pid 7 (wallet ab)".into()),
                    ..Default::default()
                });
                Ok::<_, tokenwallet::store::StoreError>(())
            })
            .unwrap();
    });
    w.wait("the badge", |w| w.harness.query_by_label("team").is_some());
    assert_eq!(
        w.harness.query_all_by_label("team").count(),
        1,
        "only the team account wears it"
    );
    w.click(Role::Button, "shared");
    w.wait_text("chain version 3, last renewed by laptop pid 7 (wallet ab)");
}

// Issue 20: the API pane reads the account's spec, lists its operations by tag, fills a
// form, sends with the account's token and shows the answer; a non-GET asks first.

/// The window on a generated demo account, its Try it pane open with the demo's spec read.
fn window_with_demo_spec() -> Window {
    let mut w = window_with(with_generated("demo"));
    w.open_try_it();
    let spec = format!("{}/openapi.yaml", w.server.issuer());
    w.type_into(Role::TextInput, "API spec", &spec);
    w.click(Role::Button, "Load spec");
    w.wait_text("tokenwallet demo API 1.0 — 4 operations");
    assert_eq!(w.account("demo").api_spec.as_deref(), Some(spec.as_str()));
    w
}

#[test]
fn the_api_pane_filters_fills_sends_and_copies_curl_without_the_token() {
    let mut w = window_with_demo_spec();
    assert!(w.has_text("Who the token belongs to"));
    w.type_into(Role::TextInput, "Filter operations", "echo get");
    w.wait_gone("Who the token belongs to");
    assert!(
        !w.has_text("Pretends to delete"),
        "only GET /echo/{{id}} is left"
    );
    w.harness
        .get_by_label_contains("Sends back what it was sent")
        .click_accesskit();
    w.harness.run_ok();
    w.type_into(Role::TextInput, "id *", "a b");
    w.type_into(Role::TextInput, "q", "x, y");
    w.type_into(Role::TextInput, "X-Trace", "t-9");
    w.click(Role::Button, "Send request");
    w.wait_text("HTTP 200 in");
    assert_eq!(w.server.state().api_calls, 1);
    assert!(w.has_text("x-ratelimit-remaining: 999"));
    let body = w.multiline_texts();
    assert!(
        body.iter()
            .any(|b| b.contains("\"path\": \"/api/echo/a%20b\"")
                && b.contains("\"x_trace\": \"t-9\"")
                && b.contains(
                    "[\n    [\n      \"q\",\n      \"x\"\n    ],\n    [\n      \"q\",\n      \"y\""
                )),
        "pretty JSON of the echo: {body:?}"
    );
    w.click(Role::Button, "Copy as curl");
    w.wait_text("Copied the curl command");
    let curl = w.clipboard.history().last().cloned().unwrap();
    assert!(
        curl.starts_with("curl -X GET 'http://127.0.0.1:")
            && curl.contains("/api/echo/a%20b?q=x&q=y'")
            && curl.contains("-H \"Authorization: Bearer $TOKEN\"")
            && curl.contains("-H 'X-Trace: t-9'"),
        "{curl}"
    );
    assert!(
        !curl.contains(&w.access_token("demo")),
        "the token is a variable"
    );
}

#[test]
fn a_non_get_operation_asks_first_and_sends_the_body_drawn_from_the_schema() {
    let mut w = window_with_demo_spec();
    w.type_into(Role::TextInput, "Filter operations", "post");
    w.harness
        .get_by_label_contains("Sends back the note it was sent")
        .click_accesskit();
    w.harness.run_ok();
    w.type_into(Role::TextInput, "id *", "7");
    let prefilled = w
        .harness
        .get_by_role_and_label(Role::MultilineTextInput, "Body (application/json)")
        .value()
        .unwrap_or_default();
    assert!(prefilled.contains("\"title\": \"hello\""), "{prefilled}");
    w.click(Role::Button, "Send request");
    w.wait_text("POST /echo/{id} may change data at the API of 'demo'");
    w.click(Role::Button, "Cancel");
    assert_eq!(w.server.state().api_calls, 0, "nothing was sent");
    w.click(Role::Button, "Send request");
    w.wait_text("may change data");
    w.click(Role::Button, "Send");
    w.wait_text("HTTP 200 in");
    assert_eq!(w.server.state().api_calls, 1);
    assert!(w.has_text("POST http://127.0.0.1:"));
}

#[test]
fn a_spec_of_thousands_of_operations_lays_out_only_the_visible_rows() {
    let mut w = window_with(with_generated("demo"));
    let paths: serde_json::Map<String, serde_json::Value> = (0..3000)
        .map(|i| {
            let op = serde_json::json!({"get": {"tags": [format!("tag{}", i % 30)], "summary": format!("operation {i:04}")}});
            (format!("/items{i:04}"), op)
        })
        .collect();
    let spec = serde_json::json!({"openapi": "3.0.3", "info": {"title": "big", "version": "1"}, "paths": paths});
    let file = w.home.path().join("big.json");
    std::fs::write(&file, spec.to_string()).unwrap();
    w.open_try_it();
    w.type_into(Role::TextInput, "API spec", file.to_str().unwrap());
    w.click(Role::Button, "Load spec");
    w.wait_text("big 1 — 3000 operations");
    let rows = w.harness.query_all_by_label_contains("operation ").count();
    assert!(rows > 0 && rows < 100, "laid out {rows} rows of 3000");
    w.type_into(Role::TextInput, "Filter operations", "operation 2999");
    w.wait_text("/items2999");
    assert_eq!(
        w.harness.query_all_by_label_contains("operation ").count(),
        1
    );
}

#[test]
fn a_spec_read_from_a_file_with_no_server_of_its_own_takes_the_one_typed() {
    let mut w = window_with(with_generated("demo"));
    let file = w.home.path().join("demo-api.yaml");
    std::fs::write(&file, tokenwallet::demo::api::SPEC).unwrap();
    w.open_try_it();
    w.type_into(Role::TextInput, "API spec", file.to_str().unwrap());
    w.click(Role::Button, "Load spec");
    w.wait_text("4 operations");
    w.harness
        .get_by_label_contains("Who the token belongs to")
        .click_accesskit();
    w.harness.run_ok();
    // A relative server in a file, on an OAuth 2.0 account with no API address: asked for.
    w.click(Role::Button, "Send request");
    w.wait_text("give the server's address");
    assert_eq!(w.server.state().api_calls, 0);
    let server = format!("{}/api", w.server.issuer());
    w.type_into(Role::TextInput, "Server", &server);
    w.click(Role::Button, "Send request");
    w.wait_text("HTTP 200 in");
    assert_eq!(w.server.state().api_calls, 1);
}

#[test]
fn a_spec_given_to_the_account_elsewhere_shows_in_an_open_pane() {
    let mut w = window_with(with_generated("demo"));
    w.open_try_it();
    assert!(!w.has_text("4 operations"));
    // The command line (or the demo's start) keeps a spec while the pane is open.
    let spec = format!("{}/openapi.yaml", w.server.issuer());
    w.runtime
        .block_on(w.wallet.remember_spec("demo", &spec))
        .unwrap();
    w.wait_text("tokenwallet demo API 1.0 — 4 operations");
}
