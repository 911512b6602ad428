//! The tray through D-Bus, on a private session bus (`dbus-daemon`): with no tray host the
//! window offers none; with a `StatusNotifierWatcher` and a host, tokenwallet's item registers
//! with the watcher, and a click on its menu's **Open** (`com.canonical.dbusmenu.Event`, as
//! a panel sends it) reaches the window as [`TrayAction::Open`].

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::BufRead as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokenwallet::ui::tray::{MENU, Tray, TrayAction, available};
use zbus::zvariant::{OwnedValue, Value};

/// Set in the child process that runs on the private bus.
const ON_PRIVATE_BUS: &str = "TOKENWALLET_TEST_PRIVATE_BUS";

/// A `StatusNotifierWatcher` with a host, as a desktop panel provides: it keeps the items
/// that register.
struct Watcher {
    items: Arc<Mutex<Vec<String>>>,
}

// The D-Bus interface's shape, not this file's choice: zbus hands the header by value, and
// every member takes `self`.
#[allow(clippy::needless_pass_by_value, clippy::unused_self)]
#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    fn register_status_notifier_item(
        &self,
        service: String,
        #[zbus(header)] header: zbus::message::Header<'_>,
    ) {
        let sender = header.sender().map(ToString::to_string).unwrap_or_default();
        // An item names itself by bus name or by object path; keep where to reach it.
        let name = if service.starts_with('/') {
            sender
        } else {
            service
        };
        self.items.lock().unwrap().push(name);
    }

    fn register_status_notifier_host(&self, service: String) {
        drop(service);
    }

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        self.items.lock().unwrap().clone()
    }
}

fn eventually<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(found) = probe() {
            return found;
        }
        assert!(Instant::now() < deadline, "{what} did not happen");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `test` again in a child process on a private session bus (the bus is the
/// process's environment); `true` when this is that child, which goes on with the test.
fn on_a_private_bus(test: &str) -> bool {
    if std::env::var_os(ON_PRIVATE_BUS).is_some() {
        return true;
    }
    let Ok(mut daemon) = std::process::Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address=1"])
        .stdout(std::process::Stdio::piped())
        .spawn()
    else {
        assert!(std::env::var_os("CI").is_none(), "dbus-daemon is missing");
        eprintln!("skipped: no dbus-daemon");
        return false;
    };
    let mut address = String::new();
    std::io::BufReader::new(daemon.stdout.take().unwrap())
        .read_line(&mut address)
        .unwrap();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture"])
        .env("DBUS_SESSION_BUS_ADDRESS", address.trim())
        .env(ON_PRIVATE_BUS, "1")
        .status()
        .unwrap();
    daemon.kill().ok();
    daemon.wait().ok();
    assert!(status.success(), "the test on the private bus failed");
    false
}

/// Clicks the menu item labelled `text` of the tray item at the bus name `item`, as a
/// panel does: the item's `Menu` property names its dbusmenu, whose items are found by
/// their labels.
fn click(item: &str, text: &str) {
    let bus = zbus::blocking::Connection::session().unwrap();
    let menu_path: zbus::zvariant::OwnedObjectPath = zbus::blocking::Proxy::new(
        &bus,
        item,
        "/StatusNotifierItem",
        "org.kde.StatusNotifierItem",
    )
    .unwrap()
    .get_property("Menu")
    .unwrap();
    let menu = zbus::blocking::Proxy::new(&bus, item, menu_path.as_str(), "com.canonical.dbusmenu")
        .unwrap();
    let label = |id: i32| -> Option<String> {
        let value: OwnedValue = menu.call("GetProperty", &(id, "label")).ok()?;
        String::try_from(value).ok().map(|l| l.replace('_', ""))
    };
    let labels: Vec<(i32, String)> = (1..=12).filter_map(|id| Some((id, label(id)?))).collect();
    for (wanted, _) in MENU {
        assert!(
            labels.iter().any(|(_, l)| l == wanted),
            "{wanted} in {labels:?}"
        );
    }
    let id = labels.iter().find(|(_, l)| l == text).unwrap().0;
    let () = menu
        .call("Event", &(id, "clicked", Value::I32(0), 0_u32))
        .unwrap();
}

#[test]
fn the_tray_registers_on_d_bus_and_its_menu_reaches_the_window() {
    if !on_a_private_bus("the_tray_registers_on_d_bus_and_its_menu_reaches_the_window") {
        return;
    }
    assert!(!available(), "no panel draws tray icons yet");
    assert!(Tray::new(|| ()).is_err());
    let items = Arc::new(Mutex::new(Vec::new()));
    let _panel = zbus::blocking::connection::Builder::session()
        .unwrap()
        .name("org.kde.StatusNotifierWatcher")
        .unwrap()
        .serve_at(
            "/StatusNotifierWatcher",
            Watcher {
                items: Arc::clone(&items),
            },
        )
        .unwrap()
        .build()
        .unwrap();
    assert!(available(), "a watcher with a host: the desktop has a tray");
    let woken = Arc::new(Mutex::new(0));
    let tray = {
        let woken = Arc::clone(&woken);
        Tray::new(move || *woken.lock().unwrap() += 1).unwrap()
    };
    let item = eventually("the item's registration", || {
        items.lock().unwrap().first().cloned()
    });
    click(&item, MENU[0].0);
    let action = eventually("the click", || tray.next_action());
    assert_eq!(action, TrayAction::Open);
    assert!(
        *woken.lock().unwrap() >= 1,
        "the window was asked for a frame"
    );
}
