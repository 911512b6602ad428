//! Decoding (not verifying) JSON Web Tokens, to read `exp` and show the claims.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeZone as _, Utc};
use serde_json::{Map, Value};

/// The decoded header and payload of a JWT.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JwtParts {
    /// The JOSE header (`alg`, `kid`, …).
    pub header: Map<String, Value>,
    /// The claims.
    pub payload: Map<String, Value>,
}

impl JwtParts {
    /// The `exp` claim as a time.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.time_claim("exp")
    }

    /// A numeric date claim (`exp`, `iat`, `nbf`) as a time.
    pub fn time_claim(&self, name: &str) -> Option<DateTime<Utc>> {
        let secs = self.payload.get(name)?.as_f64()?;
        #[allow(clippy::cast_possible_truncation)]
        Utc.timestamp_opt(secs as i64, 0).single()
    }
}

/// Decodes a compact JWT without checking its signature; `None` if it is not one.
pub fn decode_jwt(token: &str) -> Option<JwtParts> {
    let mut parts = token.trim().split('.');
    let (header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let decode = |part: &str| -> Option<Map<String, Value>> {
        let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
        match serde_json::from_slice(&bytes).ok()? {
            Value::Object(map) => Some(map),
            _ => None,
        }
    };
    Some(JwtParts {
        header: decode(header)?,
        payload: decode(payload)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn reads_exp_and_claims() {
        let parts = decode_jwt(&jwt(r#"{"sub":"u1","exp":1700003600,"iat":1700000000}"#)).unwrap();
        assert_eq!(parts.header["alg"], "RS256");
        assert_eq!(parts.payload["sub"], "u1");
        assert_eq!(parts.expires_at().unwrap().timestamp(), 1_700_003_600);
        assert_eq!(parts.time_claim("iat").unwrap().timestamp(), 1_700_000_000);
    }

    #[test]
    fn opaque_tokens_are_not_jwts() {
        assert!(decode_jwt("abc123").is_none());
        assert!(decode_jwt("a.b").is_none());
        assert!(decode_jwt("a.b.c.d").is_none());
        assert!(decode_jwt(&format!("x.{}.s", URL_SAFE_NO_PAD.encode("[1]"))).is_none());
        assert!(decode_jwt(&jwt("not json")).is_none());
    }
}
