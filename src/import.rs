//! Reading the files the portals download: Aruba Central's token JSON, an Active IQ pair
//! (JSON or text), an Apinizer personal token, or any OAuth token response.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use crate::model::{Secret, decode_jwt};
use crate::providers::{Issued, issued_from_json};

/// A token set read from a file.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The tokens, with `issued_at` from the file's `created_at` when it has one.
    pub issued: Issued,
    /// An explicit expiry date in the file (`expires_at` / `expiration`), if any.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Why a file could not be imported; nothing is stored in that case.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ImportError(String);

/// The largest token file read: real downloads are a few kilobytes.
pub const MAX_IMPORT_BYTES: usize = 1 << 20;

/// Parses a downloaded token file. The issue time is the file's `created_at`, else the
/// access token's JWT `iat`, else now: a token issued an hour ago is not an hour younger
/// for being imported now.
pub fn parse(text: &str, now: DateTime<Utc>) -> Result<Imported, ImportError> {
    if text.len() > MAX_IMPORT_BYTES {
        return Err(ImportError::too_large());
    }
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return Err(ImportError("the file is empty".to_owned()));
    }
    let mut imported = if text.starts_with('{') {
        parse_json(text, now)?
    } else {
        parse_text(text, now)?
    };
    if imported.issued.issued_at == now
        && let Some(iat) = decode_jwt(imported.issued.access_token.expose())
            .and_then(|jwt| jwt.time_claim("iat"))
            .filter(|iat| *iat <= now)
    {
        imported.issued.issued_at = iat;
    }
    Ok(imported)
}

/// Reads at most [`MAX_IMPORT_BYTES`] from `reader` (a file or stdin).
pub fn read_bounded(reader: impl std::io::Read) -> Result<String, ImportError> {
    crate::store::read_text_up_to(reader, MAX_IMPORT_BYTES)
        .map_err(|err| ImportError(format!("the file could not be read as text ({err})")))?
        .ok_or_else(ImportError::too_large)
}

impl ImportError {
    fn too_large() -> Self {
        Self("the file is larger than 1 MiB, which no token download is".to_owned())
    }
}

fn parse_json(text: &str, now: DateTime<Utc>) -> Result<Imported, ImportError> {
    let mut json: Value = serde_json::from_str(text)
        .map_err(|err| ImportError(format!("the file is not valid JSON ({err})")))?;
    let Some(map) = json.as_object_mut() else {
        return Err(ImportError("the file's JSON is not an object".to_owned()));
    };
    // Other spellings seen in portal downloads and our own export.
    for (canonical, alias) in [
        ("access_token", "accessToken"),
        ("access_token", "token"),
        ("refresh_token", "refreshToken"),
    ] {
        if !map.contains_key(canonical)
            && let Some(value) = map.remove(alias)
        {
            map.insert(canonical.to_owned(), value);
        }
    }
    let expires_at = ["expires_at", "expiration", "expiration_date"]
        .iter()
        .find_map(|key| map.get(*key).and_then(Value::as_str))
        .map(parse_date)
        .transpose()?;
    let issued = issued_from_json(&json, now)
        .map_err(|_| ImportError("the file has no access_token".to_owned()))?;
    check_token(issued.access_token.expose(), "access token")?;
    if let Some(refresh) = &issued.refresh_token {
        check_token(refresh.expose(), "refresh token")?;
    }
    Ok(Imported { issued, expires_at })
}

/// Text: `Access Token: …` / `refresh_token=…` lines, or one or two bare token lines
/// (access first, then refresh).
fn parse_text(text: &str, now: DateTime<Utc>) -> Result<Imported, ImportError> {
    let mut access = None;
    let mut refresh = None;
    let mut bare = Vec::new();
    for (number, line) in text
        .lines()
        .map(str::trim)
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
    {
        let split = line
            .split_once(':')
            .filter(|(k, _)| !k.contains(' ') || k.to_ascii_lowercase().contains("token"));
        let split = split.or_else(|| line.split_once('='));
        match split.map(|(k, v)| {
            (
                k.trim().to_ascii_lowercase().replace([' ', '-'], "_"),
                v.trim(),
            )
        }) {
            Some((key, value)) if key.contains("refresh") => refresh = Some(value.to_owned()),
            Some((key, value)) if key.contains("access") || key == "token" => {
                access = Some(value.to_owned());
            }
            Some((key, _)) if key.contains("token") || key.contains("expir") => {}
            // The line is not quoted back: it may hold a token.
            _ if line.contains(char::is_whitespace) => {
                return Err(ImportError(format!(
                    "could not read line {}: it is neither `name: value` nor a bare token",
                    number + 1
                )));
            }
            _ => bare.push(line.to_owned()),
        }
    }
    let mut bare = bare.into_iter();
    let access = access
        .or_else(|| bare.next())
        .ok_or_else(|| ImportError("the file has no access token".to_owned()))?;
    let refresh = refresh.or_else(|| bare.next());
    if bare.next().is_some() {
        return Err(ImportError(
            "the file has more than two tokens; expected an access token and a refresh token"
                .to_owned(),
        ));
    }
    check_token(&access, "access token")?;
    if let Some(refresh) = &refresh {
        check_token(refresh, "refresh token")?;
    }
    Ok(Imported {
        issued: Issued {
            access_token: Secret::new(access),
            refresh_token: refresh.map(Secret::new),
            id_token: None,
            expires_in: None,
            refresh_expires_in: None,
            token_type: None,
            scope: None,
            issued_at: now,
        },
        expires_at: None,
    })
}

fn check_token(token: &str, what: &str) -> Result<(), ImportError> {
    if token.len() < 8 || !token.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ImportError(format!(
            "the {what} in the file does not look like a token"
        )));
    }
    Ok(())
}

/// An RFC 3339 time or a plain `YYYY-MM-DD` date (end of that day, UTC).
pub fn parse_date(text: &str) -> Result<DateTime<Utc>, ImportError> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(23, 59, 59))
        .map(|at| at.and_utc())
        .ok_or_else(|| {
            ImportError(format!(
                "'{text}' is not a date (use YYYY-MM-DD or RFC 3339)"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn aruba_download_keeps_created_at() {
        let file = r#"{"access_token":"aruba-access-1","appname":"app","authenticated_userid":"u@x","created_at":1795000000000,
            "credential_id":"c","expires_in":7200,"id":"i","refresh_token":"aruba-refresh-1","scope":"all","token_type":"bearer"}"#;
        let imported = parse(file, now()).unwrap();
        assert_eq!(
            imported.issued.issued_at.timestamp_millis(),
            1_795_000_000_000
        );
        assert_eq!(imported.issued.expires_in, Some(7200));
        assert_eq!(
            imported.issued.refresh_token.unwrap().expose(),
            "aruba-refresh-1"
        );
    }

    #[test]
    fn active_iq_text_in_two_shapes() {
        let labelled = "Access Token: eyJaccess.aaa.bbb\nRefresh Token: eyJrefresh.ccc.ddd\n";
        let imported = parse(labelled, now()).unwrap();
        assert_eq!(imported.issued.access_token.expose(), "eyJaccess.aaa.bbb");
        assert_eq!(
            imported.issued.refresh_token.unwrap().expose(),
            "eyJrefresh.ccc.ddd"
        );
        let bare = parse("\u{feff}accesstoken123\r\nrefreshtoken456\r\n", now()).unwrap();
        assert_eq!(bare.issued.access_token.expose(), "accesstoken123");
        assert_eq!(
            bare.issued.refresh_token.unwrap().expose(),
            "refreshtoken456"
        );
    }

    #[test]
    fn apinizer_personal_token_with_date() {
        let imported = parse(
            r#"{"name":"ci","token":"apinizer-pat-123","expiration":"2026-12-31"}"#,
            now(),
        )
        .unwrap();
        assert_eq!(imported.issued.access_token.expose(), "apinizer-pat-123");
        assert_eq!(
            imported.expires_at.unwrap().to_rfc3339(),
            "2026-12-31T23:59:59+00:00"
        );
    }

    #[test]
    fn malformed_files_are_refused_with_a_reason() {
        for (file, needle) in [
            ("", "empty"),
            ("{\"access_token\": \"abc", "not valid JSON"),
            ("[1,2]", "does not look like"),
            ("{\"refresh_token\":\"abcdefghij\"}", "no access_token"),
            ("{\"access_token\":\"short\"}", "does not look like a token"),
            ("one\ntwo", "does not look like"),
            ("tokentoken1\ntokentoken2\ntokentoken3", "more than two"),
            ("hello world this is prose", "could not read"),
            (
                r#"{"access_token":"abcdefghij","expires_at":"soon"}"#,
                "not a date",
            ),
        ] {
            let err = parse(file, now()).unwrap_err().to_string();
            assert!(err.contains(needle), "{file:?}: {err}");
        }
    }
}
