//! What the agent serves: the open wallet (none while the vault is locked), until when,
//! and the `unlock` and `lock` it answers itself; every other request goes to its host.

use std::path::{Path, PathBuf};
use std::time::Duration;

use zeroize::Zeroizing;

use super::{Reply, Request, Wording, human};
use crate::wallet::ErrorKind;

/// Told when an `unlock` opens the wallet (`Some`) or a `lock` or the unlock's time closes
/// it (`None`): the window follows the agent it serves.
type Watcher = Box<dyn Fn(Option<std::sync::Arc<crate::wallet::Wallet>>) + Send + Sync>;

/// The wallet the agent serves, and until when (wall-clock time, which goes on while the
/// machine sleeps) for a vault that `unlock` opened.
struct Served {
    wallet: std::sync::Arc<crate::wallet::Wallet>,
    until: Option<std::time::SystemTime>,
}

/// What the agent serves: the open wallet, or none while the vault is locked.
pub struct State {
    home: PathBuf,
    served: std::sync::RwLock<Option<Served>>,
    /// Bumped at each unlock (the window's too) and lock: a timer only locks the unlock it
    /// was set for.
    epoch: std::sync::atomic::AtomicU64,
    watcher: std::sync::Mutex<Option<Watcher>>,
    /// Room for callers served at once.
    pub(super) callers: std::sync::Arc<tokio::sync::Semaphore>,
    /// Words the errors for the callers.
    wording: std::sync::Arc<dyn Wording>,
    /// One passphrase checked at a time: each key derivation takes 64 MiB and a core.
    unlocking: tokio::sync::Semaphore,
    /// Told when a wallet is opened: the keep-alive wakes to plan its timers.
    pub(super) opened: tokio::sync::Notify,
    /// Where the keep-alive says that an account needs sign-in (the desktop's
    /// notifications for `tokenwallet agent`; none for the window, which says it itself).
    notifier: std::sync::Mutex<Option<std::sync::Arc<dyn crate::notify::Notifier>>>,
    /// How `unlock` opens the vault (timeouts, minimum validity): the front's settings.
    config: crate::config::Config,
}

/// How often the unlock's timer looks at the wall clock: the monotonic clock behind a timer
/// stops while the machine sleeps. Every request checks the wall clock as well, so this only
/// bounds how late the key is wiped when nobody asks.
const WALL_CLOCK_CHECK: Duration = Duration::from_mins(5);

/// How long an `unlock` waits while another one is being checked before it gives up.
const UNLOCK_QUEUE: Duration = Duration::from_secs(30);

impl State {
    /// A state serving `wallet` (`None`: a vault that waits for `unlock`), whose errors
    /// `wording` words for the callers.
    pub fn new(
        home: &Path,
        wallet: Option<std::sync::Arc<crate::wallet::Wallet>>,
        wording: std::sync::Arc<dyn Wording>,
    ) -> Self {
        Self {
            home: home.to_owned(),
            served: std::sync::RwLock::new(wallet.map(|wallet| Served {
                wallet,
                until: None,
            })),
            epoch: std::sync::atomic::AtomicU64::new(0),
            watcher: std::sync::Mutex::new(None),
            #[cfg(any(unix, windows))]
            callers: std::sync::Arc::new(tokio::sync::Semaphore::new(
                super::link::max_connections(),
            )),
            #[cfg(not(any(unix, windows)))]
            callers: std::sync::Arc::new(tokio::sync::Semaphore::new(1)),
            unlocking: tokio::sync::Semaphore::new(1),
            opened: tokio::sync::Notify::new(),
            notifier: std::sync::Mutex::new(None),
            config: crate::config::Config::default(),
            wording,
        }
    }

    /// Serves `wallet` from now on, with no time limit (the window was unlocked); a wallet
    /// of another data dir (the window's "Try without saving") is not served.
    pub fn set_wallet(&self, wallet: &std::sync::Arc<crate::wallet::Wallet>) {
        if wallet.home() == self.home {
            self.epoch.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            *self.slot() = Some(Served {
                wallet: std::sync::Arc::clone(wallet),
                until: None,
            });
            self.opened.notify_one();
        }
    }

    /// Calls `watcher` whenever a request or the unlock's time opens or closes the vault.
    pub fn watch(
        &self,
        watcher: impl Fn(Option<std::sync::Arc<crate::wallet::Wallet>>) + Send + Sync + 'static,
    ) {
        *self
            .watcher
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Box::new(watcher));
    }

    fn tell(&self, wallet: Option<std::sync::Arc<crate::wallet::Wallet>>) {
        if let Some(watcher) = self
            .watcher
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
        {
            watcher(wallet);
        }
    }

    /// Forgets the vault key, if the agent holds one; whether it did. A wallet on the OS
    /// keyring (or in memory) has no key to forget and stays served: forgetting it would
    /// leave an agent that no `unlock` can open again.
    pub fn lock(&self) -> bool {
        let mut slot = self.slot();
        let vault = slot.as_ref().is_some_and(|s| s.wallet.is_vault());
        if vault {
            self.epoch.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            *slot = None;
        }
        vault
    }

    fn slot(&self) -> std::sync::RwLockWriteGuard<'_, Option<Served>> {
        self.served
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The wallet served now: none while the vault is locked, or once the unlock's time is
    /// up by the wall clock (the timer that locks it may be late after a sleep).
    pub(super) fn current(&self) -> Option<std::sync::Arc<crate::wallet::Wallet>> {
        let expired = {
            let served = self
                .served
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let served = served.as_ref()?;
            match served.until {
                Some(until) if std::time::SystemTime::now() >= until => served.wallet.is_vault(),
                _ => return Some(std::sync::Arc::clone(&served.wallet)),
            }
        };
        if expired {
            self.expire(None);
        }
        None
    }

    /// Forgets the vault key if the unlock of `epoch` (any, if `None`) is still the one
    /// served and its time is up.
    fn expire(&self, epoch: Option<u64>) {
        use std::sync::atomic::Ordering;
        let mut slot = self.slot();
        let due = slot
            .as_ref()
            .and_then(|s| s.until)
            .is_some_and(|until| std::time::SystemTime::now() >= until);
        let same = epoch.is_none_or(|epoch| self.epoch.load(Ordering::SeqCst) == epoch);
        if due && same {
            self.epoch.fetch_add(1, Ordering::SeqCst);
            *slot = None;
            drop(slot);
            tracing::info!("the unlock expired: the vault key is forgotten");
            self.tell(None);
        }
    }

    /// Opens the vault at `unlock` with the front's settings.
    #[must_use]
    pub fn configured(mut self, config: crate::config::Config) -> Self {
        self.config = config;
        self
    }

    /// Tells the person through `notifier` when an account's chain can no longer be kept
    /// alive.
    pub fn notify_with(&self, notifier: std::sync::Arc<dyn crate::notify::Notifier>) {
        *self
            .notifier
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(notifier);
    }

    /// Shows a notification, where there is a notifier; a failure is logged.
    pub(super) fn notify(&self, summary: &str, body: &str) {
        let notifier = self
            .notifier
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if let Some(notifier) = notifier
            && let Err(err) = notifier.notify(summary, body)
        {
            tracing::info!(error = %err, "no desktop notification");
        }
    }

    /// The kept files changed: the keep-alive plans its timers again.
    pub fn replan(&self) {
        self.opened.notify_one();
    }

    /// Answers one request.
    pub async fn handle(self: &std::sync::Arc<Self>, request: Request) -> Reply {
        match request {
            Request::Unlock {
                passphrase,
                seconds,
            } => self.unlock(passphrase, seconds).await,
            Request::Lock => {
                let had = self.lock();
                if had {
                    self.tell(None);
                }
                Reply::said(if had {
                    "the agent forgot the vault key"
                } else {
                    "the agent held no vault key"
                })
            }
            Request::Replan => {
                self.replan();
                Reply::said("")
            }
            request => {
                let Some(wallet) = self.current() else {
                    return Reply::Locked;
                };
                super::answer(&wallet, request, self.wording.as_ref()).await
            }
        }
    }

    /// `unlock`: opens the wallet's existing vault with `passphrase` and serves it for
    /// `seconds` of wall-clock time. An agent that serves the OS keyring (or memory) has
    /// nothing to unlock; a data dir without a vault gets none: only an explicit choice
    /// (`add` with the vault store, the window's first screen) creates one.
    async fn unlock(
        self: &std::sync::Arc<Self>,
        passphrase: Zeroizing<String>,
        seconds: u64,
    ) -> Reply {
        use std::sync::atomic::Ordering;
        if let Some(wallet) = self.current()
            && !wallet.is_vault()
        {
            return Reply::said(format!(
                "the agent serves the {} store, which needs no passphrase: there is nothing to unlock",
                wallet.secret_store_kind().id()
            ));
        }
        if !crate::store::VaultStore::exists(&self.home) {
            return Reply::failed(
                ErrorKind::BadInput,
                format!(
                    "{} has no vault to unlock; nothing was created",
                    self.home.display()
                ),
            );
        }
        let Ok(Ok(_turn)) = tokio::time::timeout(UNLOCK_QUEUE, self.unlocking.acquire()).await
        else {
            return Reply::failed(
                ErrorKind::Other,
                "another unlock is being checked; try again in a moment",
            );
        };
        let home = self.home.clone();
        let passphrase = crate::model::Secret::new(passphrase.as_str());
        let config = self.config.using(crate::store::SecretStoreKind::File);
        let opened = tokio::task::spawn_blocking(move || {
            crate::wallet::Wallet::open(&home, &config, &|new_vault| {
                if new_vault {
                    Err(crate::store::StoreError::NoPassphrase)
                } else {
                    Ok(passphrase.clone())
                }
            })
        })
        .await;
        let wallet = match opened {
            Ok(Ok(wallet)) => std::sync::Arc::new(wallet.with_access_cache()),
            Ok(Err(err)) => return Reply::failed(err.kind(), self.wording.describe(&err)),
            Err(err) => {
                return Reply::failed(ErrorKind::Other, format!("the unlock failed: {err}"));
            }
        };
        let Some(until) = std::time::SystemTime::now().checked_add(Duration::from_secs(seconds))
        else {
            return Reply::failed(ErrorKind::BadInput, "that unlock time is too long");
        };
        let epoch = {
            let mut slot = self.slot();
            *slot = Some(Served {
                wallet: std::sync::Arc::clone(&wallet),
                until: Some(until),
            });
            self.epoch.fetch_add(1, Ordering::SeqCst) + 1
        };
        self.tell(Some(wallet));
        self.opened.notify_one();
        self.expire_at(until, epoch);
        Reply::said(format!(
            "the agent holds the vault key for {}",
            human(seconds)
        ))
    }

    /// Forgets the key of the unlock of `epoch` at `until`, looking at the wall clock at
    /// least every [`WALL_CLOCK_CHECK`].
    fn expire_at(self: &std::sync::Arc<Self>, until: std::time::SystemTime, epoch: u64) {
        use std::sync::atomic::Ordering;
        let state = std::sync::Arc::clone(self);
        tokio::spawn(async move {
            loop {
                let left = until
                    .duration_since(std::time::SystemTime::now())
                    .unwrap_or_default();
                if left.is_zero() || state.epoch.load(Ordering::SeqCst) != epoch {
                    break;
                }
                tokio::time::sleep(left.min(WALL_CLOCK_CHECK)).await;
            }
            state.expire(Some(epoch));
        });
    }
}
