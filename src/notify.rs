//! Desktop notifications, behind a trait so tests can stand in for them: the window's, and
//! the agent's when an account's chain can no longer be kept alive.

/// Shows a desktop notification.
pub trait Notifier: Send + Sync {
    /// Shows `body` under `summary`; `Err(reason)` when the desktop has no notifications.
    fn notify(&self, summary: &str, body: &str) -> Result<(), String>;
}

/// The desktop's notifications through `notify-rust` (the freedesktop D-Bus service on
/// Linux, Notification Center on macOS).
#[derive(Debug, Default)]
pub struct DesktopNotifier;

impl Notifier for DesktopNotifier {
    fn notify(&self, summary: &str, body: &str) -> Result<(), String> {
        #[cfg(all(unix, not(target_os = "macos")))]
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
            return Err("no desktop session bus, so no notifications".to_owned());
        }
        notify_rust::Notification::new()
            .appname("tokenwallet")
            .summary(summary)
            .body(body)
            .show()
            .map(drop)
            .map_err(|err| err.to_string())
    }
}
