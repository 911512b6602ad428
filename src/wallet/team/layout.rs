//! The team store's layout, as this wallet writes and reads it: `chain/NAME` (the refresh
//! token and credentials), `access/NAME` (the access token, its expiry, who renewed it
//! when), `accounts/NAME` (the record, with nothing of one machine's).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::model::{Account, Secret, Secrets, TokenMeta};
use crate::team::{TeamError, Versioned};
use crate::wallet::WalletError;

/// A local failure met while writing to the team store, as the team store's error.
pub(super) fn refused(name: &str, err: &WalletError) -> TeamError {
    TeamError::Refused {
        what: format!("this machine's copy of '{name}'"),
        detail: err.to_string(),
    }
}

/// A read this machine's policy may refuse: `None` then.
pub(super) fn readable(
    read: Result<Option<Versioned>, TeamError>,
) -> Result<Option<Versioned>, TeamError> {
    match read {
        Err(TeamError::Forbidden(_)) => Ok(None),
        other => other,
    }
}

/// The date at `key` of a team secret's data (RFC 3339), if there is one.
pub(super) fn date(data: &Map<String, Value>, key: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(data.get(key)?.as_str()?)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

fn rfc3339(at: DateTime<Utc>) -> Value {
    Value::from(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// `chain/NAME`: the refresh token and the credentials, and when the refresh token expires.
pub(super) fn chain_data(account: &Account, secrets: &Secrets) -> Map<String, Value> {
    let chain = Secrets {
        access_token: None,
        id_token: None,
        ..secrets.clone()
    };
    let mut data = match serde_json::to_value(&chain) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    if let Some(at) = account.tokens.refresh_expires_at {
        data.insert("refresh_expires_at".into(), rfc3339(at));
    }
    data
}

/// `access/NAME`: the access token, its expiry, and who renewed it when.
pub(super) fn access_data(
    account: &Account,
    token: &Secret,
    by: &str,
    now: DateTime<Utc>,
) -> Map<String, Value> {
    let mut data = Map::new();
    data.insert("access_token".into(), Value::from(token.expose()));
    if let Some(at) = account.tokens.access_expires_at {
        data.insert("expires_at".into(), rfc3339(at));
    }
    data.insert("refreshed_by".into(), Value::from(by));
    data.insert("refreshed_at".into(), rfc3339(now));
    data
}

/// `accounts/NAME`: the account's settings, without what belongs to one machine (its token
/// state, its kept files, its team mark).
pub(super) fn record_data(account: &Account) -> Map<String, Value> {
    let record = Account {
        tokens: TokenMeta::default(),
        kept_files: Vec::new(),
        team: None,
        ..account.clone()
    };
    match serde_json::to_value(&record) {
        Ok(Value::Object(mut map)) => {
            map.remove("tokens");
            map
        }
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Grant, ProviderKind, TeamMark};

    #[test]
    fn the_chain_holds_no_access_token_and_the_record_no_secret_or_machine_state() {
        let mut account = Account::new("a", ProviderKind::OAUTH2, Grant::RefreshToken);
        account.tokens.refresh_expires_at = Some(DateTime::UNIX_EPOCH);
        account.team = Some(TeamMark::default());
        let secrets = Secrets {
            access_token: Some(Secret::new("at-1")),
            refresh_token: Some(Secret::new("rt-1")),
            client_secret: Some(Secret::new("cs-1")),
            ..Secrets::default()
        };
        let chain = chain_data(&account, &secrets);
        assert_eq!(chain["refresh_token"], "rt-1");
        assert_eq!(chain["client_secret"], "cs-1");
        assert!(!chain.contains_key("access_token"));
        assert_eq!(chain["refresh_expires_at"], "1970-01-01T00:00:00Z");
        let record = record_data(&account);
        let text = Value::Object(record.clone()).to_string();
        assert!(!text.contains("rt-1") && !text.contains("at-1"), "{text}");
        assert!(!record.contains_key("tokens") && !record.contains_key("team"));
        let back: Account = serde_json::from_value(Value::Object(record)).unwrap();
        assert_eq!(back.name, "a");
    }
}
