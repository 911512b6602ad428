//! The refresh lease: before spending a shared refresh token, a machine writes
//! `locks/NAME` with check-and-set on the version it read. Of two machines that read the
//! same version, Vault lets one write; the other sees [`TeamError::Changed`], reads again and
//! finds the lease held. A lease names its holder (host, process, a random id) and ends by
//! itself after [`LEASE_TIME`] unless extended, so a holder that dies blocks nobody for long.
//! Releasing it is one more check-and-set write: a lease that ran out and was taken by
//! another is left alone.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value};

use super::{Kv, TeamError};

/// How long a lease lasts unless extended: about two minutes, longer than any token request
/// the wallet lets run (its timeout is 30 s by default).
pub const LEASE_TIME: Duration = Duration::from_mins(2);

/// Who holds a lease: this host, this process, and an id: random for a process on its
/// own, or the wallet's (its data dir's) for a wallet's processes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder(String);

impl Holder {
    /// This process on its own, as a lease holder.
    pub fn this_process() -> Self {
        let mut random = [0u8; 6];
        getrandom::fill(&mut random).ok();
        Self::with_id(&crate::store::hex(&random))
    }

    /// This process of the wallet in `home`. The wallet's processes take a lease only
    /// under the account's local lock, so a lease that names this wallet and another
    /// process is one a process left behind (killed, or cut off from Vault while releasing
    /// it): it is taken over at once rather than waited out.
    pub fn for_wallet(home: &std::path::Path) -> Self {
        use sha2::{Digest as _, Sha256};
        let digest = Sha256::digest(format!("{}\n{}", host_name(), home.display()));
        Self::with_id(&format!("wallet {}", crate::store::hex(&digest[..6])))
    }

    fn with_id(id: &str) -> Self {
        Self(format!("{} pid {} ({id})", host_name(), std::process::id()))
    }

    /// Whether `other` (a holder as stored) is another process of the same wallet.
    fn same_wallet(&self, other: &str) -> bool {
        let id = |holder: &str| holder.rsplit_once(" (").map(|(_, id)| id.to_owned());
        self.0.contains("(wallet ") && id(&self.0) == id(other)
    }

    /// As Vault stores it and messages say it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn host_name() -> String {
    #[cfg(unix)]
    {
        rustix::system::uname()
            .nodename()
            .to_string_lossy()
            .into_owned()
    }
    #[cfg(not(unix))]
    {
        "this machine".to_owned()
    }
}

/// A lease this process holds on `locks/NAME`.
#[derive(Debug)]
pub struct Lease {
    name: String,
    holder: Holder,
    /// The version of `locks/NAME` this holder wrote last.
    version: u64,
    /// Until when it holds.
    until: DateTime<Utc>,
    /// How long it lasts from a take or an extension.
    time: TimeDelta,
}

/// How many times a lost check-and-set race is looked at again before giving up.
const RACES: usize = 5;

impl Lease {
    /// Takes the lease on account `name` for `holder` for [`LEASE_TIME`], or says who
    /// holds it.
    pub async fn take(kv: &Kv, name: &str, holder: &Holder) -> Result<Self, TeamError> {
        Self::take_for(kv, name, holder, LEASE_TIME).await
    }

    /// [`Lease::take`] for `time` (and as long again at each extension).
    pub async fn take_for(
        kv: &Kv,
        name: &str,
        holder: &Holder,
        time: Duration,
    ) -> Result<Self, TeamError> {
        let time = TimeDelta::from_std(time).unwrap_or(TimeDelta::MAX);
        let rel = format!("locks/{name}");
        for _ in 0..RACES {
            let current = kv.read(&rel).await?;
            let now = Utc::now();
            if let Some(current) = &current
                && let Some((other, until)) = held(&current.data)
                && until > now
                && other != holder.as_str()
                && !holder.same_wallet(other)
            {
                return Err(TeamError::Held {
                    name: name.to_owned(),
                    holder: other.to_owned(),
                    secs: (until - now).num_seconds().max(1),
                });
            }
            let until = now + time;
            let cas = current.as_ref().map_or(0, |c| c.version);
            match kv
                .write(&rel, &record(holder.as_str(), until), Some(cas))
                .await
            {
                Ok(version) => {
                    return Ok(Self {
                        name: name.to_owned(),
                        holder: holder.clone(),
                        version,
                        until,
                        time,
                    });
                }
                Err(TeamError::Changed(_)) => {}
                Err(err) => return Err(err),
            }
        }
        Err(TeamError::Changed(kv.logical(&rel)))
    }

    /// Extends the lease by its time from now, if it is still this holder's: a
    /// refresh that runs long keeps it. [`TeamError::Changed`] when it was lost (it ran out
    /// and another took it).
    pub async fn extend(&mut self, kv: &Kv) -> Result<(), TeamError> {
        let until = Utc::now() + self.time;
        let rel = format!("locks/{}", self.name);
        self.version = kv
            .write(
                &rel,
                &record(self.holder.as_str(), until),
                Some(self.version),
            )
            .await?;
        self.until = until;
        Ok(())
    }

    /// Ends the lease, unless it ran out and another holder took it (left alone then).
    pub async fn release(self, kv: &Kv) -> Result<(), TeamError> {
        let rel = format!("locks/{}", self.name);
        match kv
            .write(&rel, &record("", DateTime::UNIX_EPOCH), Some(self.version))
            .await
        {
            Ok(_) | Err(TeamError::Changed(_)) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// Until when it holds, unless extended.
    pub fn until(&self) -> DateTime<Utc> {
        self.until
    }

    /// The version of `locks/NAME` it wrote last.
    pub fn version(&self) -> u64 {
        self.version
    }
}

/// The lease record: its holder and until when (RFC 3339).
fn record(holder: &str, until: DateTime<Utc>) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("holder".into(), Value::from(holder));
    map.insert(
        "expires_at".into(),
        Value::from(until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    );
    map
}

/// The holder and end of a lease record; `None` for a released one or one not understood
/// (which no holder then owns).
fn held(data: &Map<String, Value>) -> Option<(&str, DateTime<Utc>)> {
    let holder = data.get("holder")?.as_str().filter(|h| !h.is_empty())?;
    let until = DateTime::parse_from_rfc3339(data.get("expires_at")?.as_str()?).ok()?;
    Some((holder, until.with_timezone(&Utc)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_released_or_garbled_lease_has_no_holder() {
        let now = Utc::now();
        let taken = record("host pid 1 (ab)", now);
        assert_eq!(held(&taken).map(|(h, _)| h), Some("host pid 1 (ab)"));
        assert_eq!(held(&record("", now)), None);
        let mut garbled = taken.clone();
        garbled.insert("expires_at".into(), json!(12));
        assert_eq!(held(&garbled), None);
    }

    #[test]
    fn two_holders_of_one_process_differ() {
        assert_ne!(Holder::this_process(), Holder::this_process());
    }

    #[test]
    fn a_wallets_processes_know_each_other_and_no_other_wallet() {
        let home = std::path::Path::new("/home/a/.local/share/tokenwallet");
        let mine = Holder::for_wallet(home);
        let left_behind = mine
            .as_str()
            .replace(&format!("pid {}", std::process::id()), "pid 1");
        assert!(mine.same_wallet(&left_behind));
        let other = Holder::for_wallet(std::path::Path::new("/home/b/.local/share/tokenwallet"));
        assert!(!mine.same_wallet(other.as_str()));
        assert!(!Holder::this_process().same_wallet(Holder::this_process().as_str()));
    }
}
