//! The tray: a `StatusNotifierItem` on Linux (through D-Bus, no GTK), an icon in the
//! notification area on Windows. Closing the window can leave tokenwallet running there,
//! serving as the agent and keeping tokens fresh, with **Open**, **Lock** and **Quit** in its
//! menu (a setting, asked the first time the window is closed).

use std::sync::mpsc::{Receiver, channel};

/// What the tray's menu asks of the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrayAction {
    /// Show the window again.
    Open,
    /// Lock the vault (the window and the agent it serves forget the key).
    Lock,
    /// Quit for good.
    Quit,
}

/// The tray icon (alive while this lives) and its menu's clicks.
pub struct Tray {
    #[cfg(any(target_os = "linux", windows))]
    _icon: Option<tray_icon::TrayIcon>,
    actions: Receiver<TrayAction>,
}

impl std::fmt::Debug for Tray {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tray").finish_non_exhaustive()
    }
}

/// The menu's labels, in order.
pub const MENU: [(&str, TrayAction); 3] = [
    ("Open tokenwallet", TrayAction::Open),
    ("Lock", TrayAction::Lock),
    ("Quit", TrayAction::Quit),
];

impl Tray {
    /// A tray driven by `actions` alone, with no icon (the window's tests).
    pub fn from_actions(actions: Receiver<TrayAction>) -> Self {
        Self {
            #[cfg(any(target_os = "linux", windows))]
            _icon: None,
            actions,
        }
    }

    /// The next click on the menu, if there was one.
    pub fn next_action(&self) -> Option<TrayAction> {
        self.actions.try_recv().ok()
    }

    /// The desktop's tray icon with its menu; each click is passed on and `wake` is called
    /// (the window asks for a frame). `Err(reason)` where the desktop shows no tray.
    #[cfg(any(target_os = "linux", windows))]
    pub fn new(wake: impl Fn() + Send + Sync + 'static) -> Result<Self, String> {
        use tray_icon::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
        use tray_icon::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
        if !available() {
            return Err("the desktop shows no tray".to_owned());
        }
        let menu = Menu::new();
        let items: Vec<(MenuItem, TrayAction)> = MENU
            .iter()
            .map(|(label, action)| (MenuItem::new(*label, true, None), *action))
            .collect();
        for (index, (item, _)) in items.iter().enumerate() {
            if index == MENU.len() - 1 {
                menu.append(&PredefinedMenuItem::separator())
                    .map_err(|err| err.to_string())?;
            }
            menu.append(item).map_err(|err| err.to_string())?;
        }
        let ids: Vec<_> = items
            .iter()
            .map(|(item, action)| (item.id().clone(), *action))
            .collect();
        let (tx, actions) = channel();
        let wake = std::sync::Arc::new(wake);
        let (clicks, woken) = (tx.clone(), std::sync::Arc::clone(&wake));
        MenuEvent::set_event_handler(Some(move |event: MenuEvent| {
            if let Some((_, action)) = ids.iter().find(|(id, _)| *id == event.id) {
                clicks.send(*action).ok();
                woken();
            }
        }));
        // A left click on the icon opens the window, as people expect.
        TrayIconEvent::set_event_handler(Some(move |event: TrayIconEvent| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                tx.send(TrayAction::Open).ok();
                wake();
            }
        }));
        let icon = eframe::icon_data::from_png_bytes(include_bytes!(
            "../../packaging/icons/hicolor/64x64/apps/io.github.tokenwallet.png"
        ))
        .map_err(|err| err.to_string())?;
        let icon = tray_icon::Icon::from_rgba(icon.rgba, icon.width, icon.height)
            .map_err(|err| err.to_string())?;
        let icon = TrayIconBuilder::new()
            .with_id(super::APP_ID)
            .with_title("tokenwallet")
            .with_tooltip("tokenwallet: keeping your tokens fresh")
            .with_menu(Box::new(menu))
            .with_icon(icon)
            .build()
            .map_err(|err| err.to_string())?;
        Ok(Self {
            _icon: Some(icon),
            actions,
        })
    }

    /// No tray on this platform.
    #[cfg(not(any(target_os = "linux", windows)))]
    pub fn new(_wake: impl Fn() + Send + Sync + 'static) -> Result<Self, String> {
        Err("no tray on this platform".to_owned())
    }
}

/// Whether the desktop shows tray icons: on Linux, a `StatusNotifierWatcher` on the session
/// bus with a host registered (a panel that draws the icons); on Windows, always.
pub fn available() -> bool {
    #[cfg(target_os = "linux")]
    {
        watcher_has_host().unwrap_or(false)
    }
    #[cfg(not(target_os = "linux"))]
    {
        cfg!(windows)
    }
}

#[cfg(target_os = "linux")]
fn watcher_has_host() -> zbus::Result<bool> {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        return Ok(false);
    }
    let bus = zbus::blocking::Connection::session()?;
    let watcher = zbus::blocking::Proxy::new(
        &bus,
        "org.kde.StatusNotifierWatcher",
        "/StatusNotifierWatcher",
        "org.kde.StatusNotifierWatcher",
    )?;
    watcher.get_property("IsStatusNotifierHostRegistered")
}

/// The window's side of the tray: the tray, if the desktop has one, and whether the window
/// is hidden in it, asks whether to stay there, or quits for good.
#[derive(Debug, Default)]
pub(super) struct Docked {
    tray: Option<Tray>,
    hidden: bool,
    asking: bool,
    quitting: bool,
}

impl super::App {
    /// Gives the window a tray: closing it can then leave tokenwallet running there.
    pub fn set_tray(&mut self, tray: Tray) {
        self.docked.tray = Some(tray);
    }

    /// Whether the window is hidden in the tray.
    pub fn is_hidden(&self) -> bool {
        self.docked.hidden
    }

    /// Whether the tray's Quit (or the question's) is closing the window for good.
    pub fn is_quitting(&self) -> bool {
        self.docked.quitting
    }

    /// Whether a close was turned into a hide (or a question): the close is not to be
    /// carried out.
    pub(super) fn close_held_by_tray(&self) -> bool {
        self.docked.hidden || self.docked.asking
    }

    /// Whether a tray is there to stay in.
    pub(super) fn has_tray(&self) -> bool {
        self.docked.tray.is_some()
    }

    /// The tray's clicks, and a close turned into a hide: runs every frame, hidden or not.
    pub(super) fn tray_pass(&mut self, ctx: &egui::Context) {
        let Some(tray) = &self.docked.tray else {
            return;
        };
        while let Some(action) = tray.next_action() {
            match action {
                TrayAction::Open => {
                    self.docked.hidden = false;
                    ctx.send_viewport_cmd(egui::ViewportCommand::Visible(true));
                    ctx.send_viewport_cmd(egui::ViewportCommand::Focus);
                }
                TrayAction::Lock => self.send(super::worker::Command::Lock),
                TrayAction::Quit => {
                    self.docked.quitting = true;
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            }
        }
        if !ctx.input(|i| i.viewport().close_requested()) || self.docked.quitting {
            return;
        }
        match self.settings.keep_in_tray {
            Some(true) => self.hide(ctx),
            Some(false) => {}
            None => {
                ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
                self.docked.asking = true;
            }
        }
    }

    fn hide(&mut self, ctx: &egui::Context) {
        ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
        ctx.send_viewport_cmd(egui::ViewportCommand::Visible(false));
        self.docked.hidden = true;
    }

    /// The question asked the first time the window is closed with a tray there.
    pub(super) fn tray_question_ui(&mut self, ctx: &egui::Context) {
        if !self.docked.asking {
            return;
        }
        let mut choice = None;
        egui::Modal::new(egui::Id::unique("keep-in-tray")).show(ctx, |ui| {
            ui.set_width(460.0);
            ui.heading("Keep tokenwallet running in the tray?");
            ui.label(
                "In the tray it goes on serving `tokenwallet token` and keeping your chains and kept files fresh. Open, Lock and Quit are in the tray icon's menu. You can change this beside the list's settings.",
            );
            ui.horizontal(|ui| {
                if ui.button("Keep running in the tray").clicked() {
                    choice = Some(true);
                }
                if ui.button("Quit").clicked() {
                    choice = Some(false);
                }
            });
        });
        let Some(keep) = choice else {
            return;
        };
        self.docked.asking = false;
        self.settings.keep_in_tray = Some(keep);
        self.save_settings();
        if keep {
            self.hide(ctx);
        } else {
            self.docked.quitting = true;
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }
}
