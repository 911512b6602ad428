//! Logging to stderr, filtered by `TOKENWALLET_LOG` (e.g. `debug`, `trace`). The HTTP
//! stack's own trace output is kept at `info`, so no request line (which may carry a
//! secret in its query) is ever written.

use tracing_subscriber::EnvFilter;

/// Starts logging; quiet (warnings only) unless `TOKENWALLET_LOG` says otherwise.
pub fn init() {
    let level = std::env::var("TOKENWALLET_LOG").unwrap_or_else(|_| "warn".to_owned());
    let filter = EnvFilter::try_new(format!(
        "{level},hyper=info,hyper_util=info,reqwest=info,h2=info,rustls=info,zbus=info"
    ))
    .unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init()
        .ok();
}
