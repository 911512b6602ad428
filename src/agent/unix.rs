//! The agent's Unix socket: both sides check the folder is this user's alone, and the agent
//! checks each caller's user id.

use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, PermissionsExt as _};
use std::path::Path;
use std::sync::Arc;

use super::link::{CONNECT_TIMEOUT, FIRST_PAUSE, back_off, exchange, spawn_caller};
use super::{Reply, Request, State, socket_path};

fn my_uid() -> u32 {
    rustix::process::getuid().as_raw()
}

/// Refuses a folder another user could have put a socket in or could reach.
fn check_private(dir: &Path) -> Result<(), String> {
    let meta = std::fs::symlink_metadata(dir)
        .map_err(|err| format!("the agent's folder {} cannot be read: {err}", dir.display()))?;
    if !meta.is_dir() || meta.uid() != my_uid() || meta.mode() & 0o077 != 0 {
        return Err(format!(
            "the agent's folder {} is not yours alone (it must be a folder you own with mode 0700); it was not used",
            dir.display()
        ));
    }
    Ok(())
}

/// Asks the agent of `home`. `Ok(None)`: no agent answers (none runs, or it stopped), so
/// the caller does the work itself. `Err`: a socket is
/// there but unsafe to use.
pub fn ask(home: &Path, request: &Request) -> Result<Option<Reply>, String> {
    let path = socket_path(home);
    if std::fs::symlink_metadata(&path).is_err() {
        return Ok(None);
    }
    if let Some(dir) = path.parent() {
        check_private(dir)?;
    }
    let Ok(stream) = std::os::unix::net::UnixStream::connect(&path) else {
        return Ok(None);
    };
    stream.set_write_timeout(Some(CONNECT_TIMEOUT)).ok();
    exchange(&stream, request)
}

/// Serves `state` on the socket of `home` until the task is dropped; `ready` runs once the
/// socket listens. Refuses to start beside a running agent, or in a folder that is not
/// this user's alone.
pub async fn serve(home: &Path, state: Arc<State>, ready: impl FnOnce()) -> Result<(), String> {
    super::link::protect_memory();
    let path = socket_path(home);
    let Some(dir) = path.parent() else {
        return Err(format!("{} has no folder", path.display()));
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|err| format!("could not create {}: {err}", dir.display()))?;
    check_private(dir)?;
    if std::fs::symlink_metadata(&path).is_ok() {
        if std::os::unix::net::UnixStream::connect(&path).is_ok() {
            return Err(format!(
                "an agent already serves this wallet on {}",
                path.display()
            ));
        }
        // A socket left by an agent that was killed.
        std::fs::remove_file(&path)
            .map_err(|err| format!("could not remove {}: {err}", path.display()))?;
    }
    let listener = tokio::net::UnixListener::bind(&path)
        .map_err(|err| format!("could not listen on {}: {err}", path.display()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).ok();
    let _remove = RemoveOnDrop(path.clone());
    ready();
    // Nothing a caller does stops the agent: a failed accept (out of descriptors, say) is
    // logged and tried again after a pause, while the callers served finish and free theirs.
    let mut pause = FIRST_PAUSE;
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                pause = FIRST_PAUSE;
                match stream.peer_cred() {
                    Ok(peer) if peer.uid() == my_uid() => spawn_caller(stream, &state),
                    // A caller of another user gets no answer at all.
                    Ok(peer) => {
                        tracing::warn!(uid = peer.uid(), "refused an agent caller of another user");
                    }
                    Err(err) => tracing::debug!(error = %err, "an agent caller went away"),
                }
            }
            Err(err) => back_off(&mut pause, &err).await,
        }
    }
}

/// Removes the socket when the agent stops (a killed agent leaves it: the next one
/// replaces it).
struct RemoveOnDrop(std::path::PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        std::fs::remove_file(&self.0).ok();
    }
}
