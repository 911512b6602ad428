//! One exchange with the agent, whatever carries it (a Unix socket, a named pipe): a JSON
//! line each way, bounded in size and time, in buffers sized once and wiped; and the limits
//! that keep a flood of callers from stopping the agent or a refresh from storing its answer.

use std::time::Duration;

use serde::Serialize;
use zeroize::Zeroizing;

use super::{Reply, Request, State};

/// How long a caller waits to hand its request over before doing the work itself. A
/// refresh through the agent can take as long as the provider does: only sending is
/// bounded.
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long the agent waits for a caller's request line: an idle caller is let go.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the agent waits for a caller to take its answer.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest request line read (an unlock with a long passphrase fits many times). The
/// buffer is this big from the start: a growing one would leave copies of the passphrase
/// behind in freed memory.
const MAX_REQUEST: usize = 16 * 1024;

/// The most callers served at once; more are turned away at once (they do the work
/// themselves). Bounded by the descriptors the agent may open, so that a flood of callers
/// never leaves a refresh unable to store its answer.
pub(super) fn max_connections() -> usize {
    /// Descriptors the agent needs for itself: runtime, store files, HTTP connections.
    const RESERVED: u64 = 48;
    #[cfg(unix)]
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(1024);
    #[cfg(not(unix))]
    let limit: u64 = 1024;
    usize::try_from(limit.saturating_sub(RESERVED) / 2)
        .unwrap_or(usize::MAX)
        .clamp(2, 64)
}

/// Serialises `value` as one JSON line into a buffer sized once and wiped when dropped.
fn json_line<T: Serialize>(value: &T, size_hint: usize) -> Result<Zeroizing<Vec<u8>>, String> {
    let mut line = Zeroizing::new(Vec::with_capacity(2 * size_hint + 256));
    serde_json::to_writer(&mut *line, value).map_err(|e| e.to_string())?;
    line.push(b'\n');
    Ok(line)
}

/// The caller's side of one exchange on a connected `stream`: the request line out, the
/// answer line in. `Ok(None)`: the agent went away meanwhile (or turned the caller away),
/// so the caller does the work itself, under the same per-account lock.
pub(super) fn exchange<S>(stream: &S, request: &Request) -> Result<Option<Reply>, String>
where
    for<'a> &'a S: std::io::Read + std::io::Write,
{
    use std::io::{BufRead as _, Write as _};
    let line = json_line(request, 64)?;
    let mut writer = stream;
    if writer.write_all(&line).is_err() {
        return Ok(None);
    }
    // Sized for any token answer at once: a growing buffer would leave copies behind.
    let mut answer = Zeroizing::new(String::with_capacity(MAX_REQUEST * 4));
    // No read timeout: a refresh through the agent takes as long as the provider does.
    match std::io::BufReader::new(stream).read_line(&mut answer) {
        Ok(0) | Err(_) => Ok(None),
        Ok(_) => serde_json::from_str(&answer)
            .map(Some)
            .map_err(|err| format!("the agent's answer was not understood ({err})")),
    }
}

/// Reads one request line of at most [`MAX_REQUEST`] bytes, within [`REQUEST_TIMEOUT`].
async fn read_request<R>(read: &mut R) -> std::io::Result<Zeroizing<Vec<u8>>>
where
    R: tokio::io::AsyncRead + Unpin,
{
    use tokio::io::AsyncReadExt as _;
    let mut line = Zeroizing::new(Vec::with_capacity(MAX_REQUEST));
    let reading = async {
        while !line.contains(&b'\n') {
            if line.len() >= MAX_REQUEST {
                return Err(std::io::Error::other("the request line is too long"));
            }
            let room = MAX_REQUEST - line.len();
            if (&mut *read).take(room as u64).read_buf(&mut *line).await? == 0 {
                break;
            }
        }
        Ok(())
    };
    tokio::time::timeout(REQUEST_TIMEOUT, reading)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no request in time"))??;
    Ok(line)
}

/// The agent's side of one exchange, with a caller the platform's code has let in: reads
/// the request line, answers it. Every buffer that held the request or the answer is
/// wiped.
async fn answer<S>(stream: S, state: std::sync::Arc<State>) -> std::io::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite,
{
    use tokio::io::AsyncWriteExt as _;
    let (mut read, mut write) = tokio::io::split(stream);
    let line = read_request(&mut read).await?;
    let reply = match serde_json::from_slice::<Request>(&line) {
        Ok(request) => state.handle(request).await,
        Err(err) => Reply::failed(
            crate::wallet::ErrorKind::BadInput,
            format!("the agent did not understand the request ({err})"),
        ),
    };
    drop(line);
    let size = reply.size();
    let out = json_line(&reply, size).map_err(std::io::Error::other)?;
    drop(reply);
    let sending = async {
        write.write_all(&out).await?;
        write.flush().await
    };
    tokio::time::timeout(REPLY_TIMEOUT, sending)
        .await
        .map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::TimedOut, "the caller took no answer")
        })?
}

/// Serves one caller on `stream` if the agent has room for one more, else closes it at
/// once (the caller then does the work itself). Errors end only this caller.
pub(super) fn spawn_caller<S>(stream: S, state: &std::sync::Arc<State>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + 'static,
{
    let Ok(permit) = std::sync::Arc::clone(&state.callers).try_acquire_owned() else {
        tracing::warn!("the agent is serving as many callers as it may; turned one away");
        return;
    };
    let state = std::sync::Arc::clone(state);
    tokio::spawn(async move {
        if let Err(err) = answer(stream, state).await {
            tracing::debug!(error = %err, "an agent connection ended early");
        }
        drop(permit);
    });
}

/// Waits after a failure to take a caller (out of descriptors, say), doubling from 10 ms to
/// a second: the agent never stops for it.
pub(super) async fn back_off(pause: &mut Duration, err: &(dyn std::fmt::Display + Sync)) {
    tracing::warn!(error = %err, "the agent could not take a caller; it goes on");
    tokio::time::sleep(*pause).await;
    *pause = (*pause * 2).min(Duration::from_secs(1));
}

/// The first pause of [`back_off`].
pub(super) const FIRST_PAUSE: Duration = Duration::from_millis(10);

/// Makes this process's memory unreadable to other processes of the same user (no
/// `/proc/PID/mem`, no ptrace, no core dump) on Linux: it holds the vault key and tokens.
#[cfg(unix)]
pub(super) fn protect_memory() {
    #[cfg(target_os = "linux")]
    if let Err(err) =
        rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
    {
        tracing::warn!(error = %err, "could not make the agent's memory private");
    }
}
