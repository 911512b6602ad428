//! The agent's named pipe on Windows.
//!
//! Windows has no socket folder to lock down, and any local user can list the pipes' names
//! (`\\.\pipe\`), so the name is no secret. What keeps other users out:
//! - The pipe is created with a protected DACL that grants this user alone (Windows' default
//!   would let everyone open it for reading), as the first instance of its name: another
//!   user can neither open it nor add an instance to it. Remote clients are refused.
//! - A caller checks that the pipe it opened is owned by this user before it sends anything:
//!   a pipe another user made under a stale name (after an agent was killed) gets nothing,
//!   a passphrase least of all.
//! - Callers open it with identification-level impersonation only.
//! - The name is random (128 bits), drawn at each start and written to `agent\pipe` in the
//!   data dir.

use std::fs::OpenOptions;
use std::os::windows::fs::OpenOptionsExt as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use tokio::net::windows::named_pipe::ServerOptions;

use super::link::{CONNECT_TIMEOUT, FIRST_PAUSE, back_off, exchange, spawn_caller};
use super::{Reply, Request, State, socket_path};

/// Every pipe of ours starts so; the file naming anything else is not ours.
const PREFIX: &str = r"\\.\pipe\tokenwallet-";

/// `SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION`: the agent may learn who calls, never
/// act as them.
const IDENTIFICATION_ONLY: u32 = 0x0010_0000 | 0x0001_0000;

/// `ERROR_PIPE_BUSY`: every instance is serving someone; another is on its way.
const PIPE_BUSY: i32 = 231;

/// The pipe named in `file`, if it is one of ours.
fn pipe_name(file: &Path) -> Result<Option<String>, String> {
    let Ok(text) = std::fs::read_to_string(file) else {
        return Ok(None);
    };
    let name = text.trim();
    let random = name.strip_prefix(PREFIX).unwrap_or_default();
    if random.len() != 32 || !random.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "{} does not name a tokenwallet agent's pipe; it was not used (delete it, then start the agent again)",
            file.display()
        ));
    }
    Ok(Some(name.to_owned()))
}

/// Opens the pipe `name`, waiting a little while every instance is busy.
fn open(name: &str) -> Option<std::fs::File> {
    let deadline = Instant::now() + CONNECT_TIMEOUT;
    loop {
        match OpenOptions::new()
            .read(true)
            .write(true)
            .security_qos_flags(IDENTIFICATION_ONLY)
            .open(name)
        {
            Ok(pipe) => return Some(pipe),
            Err(err) if err.raw_os_error() == Some(PIPE_BUSY) && Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            // No such pipe: the agent stopped (a killed one leaves its file behind).
            Err(_) => return None,
        }
    }
}

/// Asks the agent of `home`. `Ok(None)`: no agent answers (none runs, or it stopped), so
/// the caller does the work itself. `Err`: the file
/// that names the pipe is not one the agent wrote.
pub fn ask(home: &Path, request: &Request) -> Result<Option<Reply>, String> {
    let Some(name) = pipe_name(&socket_path(home))? else {
        return Ok(None);
    };
    let Some(pipe) = open(&name) else {
        return Ok(None);
    };
    match crate::windows_acl::pipe_is_mine(&pipe) {
        Ok(true) => exchange(&pipe, request),
        Ok(false) => Err(format!(
            "the pipe {name} is not yours (another user may have made it after the agent stopped); nothing was sent to it"
        )),
        Err(err) => Err(format!(
            "the owner of the pipe {name} could not be checked ({err}); nothing was sent to it"
        )),
    }
}

/// Serves `state` on a new pipe for `home` until the task is dropped; `ready` runs once the
/// pipe listens. Refuses to start beside a running agent.
pub async fn serve(home: &Path, state: Arc<State>, ready: impl FnOnce()) -> Result<(), String> {
    let file = socket_path(home);
    if let Ok(Some(name)) = pipe_name(&file)
        && open(&name).is_some()
    {
        return Err(format!(
            "an agent already serves this wallet on {name} (named in {})",
            file.display()
        ));
    }
    let mut random = [0_u8; 16];
    getrandom::fill(&mut random).map_err(|err| format!("no randomness for a pipe name: {err}"))?;
    let name = format!("{PREFIX}{}", crate::store::hex(&random));
    let create = |first: bool| {
        let mut options = ServerOptions::new();
        options
            .first_pipe_instance(first)
            .reject_remote_clients(true);
        crate::windows_acl::create_pipe(&options, &name)
            .map_err(|err| format!("could not create the agent's pipe {name}: {err}"))
    };
    let mut listening = create(true)?;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|err| format!("could not create {}: {err}", dir.display()))?;
    }
    crate::store::write_atomic(&file, name.as_bytes()).map_err(|err| err.to_string())?;
    let _remove = RemoveOnDrop {
        file: file.clone(),
        name: name.clone(),
    };
    ready();
    // Nothing a caller does stops the agent: a failed connect or a failed new instance is
    // logged and tried again after a pause.
    let mut pause = FIRST_PAUSE;
    loop {
        if let Err(err) = listening.connect().await {
            back_off(&mut pause, &err).await;
            if let Ok(fresh) = create(false) {
                listening = fresh;
            }
            continue;
        }
        // The next caller connects to a new instance while this one is answered.
        let fresh = loop {
            match create(false) {
                Ok(fresh) => break fresh,
                Err(err) => back_off(&mut pause, &err).await,
            }
        };
        pause = FIRST_PAUSE;
        let caller = std::mem::replace(&mut listening, fresh);
        spawn_caller(caller, &state);
    }
}

/// Removes the pipe's file when the agent stops, unless a newer agent wrote it since.
struct RemoveOnDrop {
    file: std::path::PathBuf,
    name: String,
}

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if std::fs::read_to_string(&self.file).is_ok_and(|text| text.trim() == self.name) {
            std::fs::remove_file(&self.file).ok();
        }
    }
}
