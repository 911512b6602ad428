//! The key/value version 2 engine of OpenBao or HashiCorp Vault (the same HTTP API), and
//! the token endpoints the wallet uses: read a secret with its version, write one with
//! check-and-set, ask who we are and what we may do, log in with AppRole.
//!
//! Every request carries `X-Vault-Token` (and `X-Vault-Namespace` when set), goes to the
//! address checked at connect time (https, or http to loopback only), is bounded in time
//! and size by [`Http`], and never follows a redirect.

use serde_json::{Value, json};
use url::Url;

use super::{Credentials, TeamError, TeamSettings};
use crate::model::Secret;
use crate::providers::{Http, ProviderError};

/// A secret as read: its data and the version it is at.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned {
    /// The `data` object written.
    pub data: serde_json::Map<String, Value>,
    /// Its version (1 for the first write; check-and-set writes name it).
    pub version: u64,
}

/// Who the token is, as Vault says (`auth/token/lookup-self`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The token's accessor (names it in audit logs without being it).
    pub accessor: String,
    /// Its display name.
    pub display_name: String,
    /// Its policies.
    pub policies: Vec<String>,
    /// Seconds left (0: no expiry, a root token).
    pub ttl: u64,
    /// Whether it can be renewed.
    pub renewable: bool,
}

/// A connection to the team store: the address, the mount, the wallet's folder, a token
/// (a [`Secret`], so `Debug` shows it redacted).
#[derive(Debug)]
pub struct Kv {
    http: Http,
    base: Url,
    settings: TeamSettings,
    token: Secret,
    namespace: Option<String>,
}

impl Kv {
    /// Connects with `credentials`: a token is used as is; AppRole logs in first.
    pub async fn connect(
        settings: &TeamSettings,
        credentials: &Credentials,
        http: &Http,
    ) -> Result<Self, TeamError> {
        let base = crate::providers::checked_url(&settings.address).map_err(TeamError::Address)?;
        let http = match &credentials.ca_file {
            Some(path) => http.with_ca_file(path).map_err(TeamError::Address)?,
            None => http.clone(),
        };
        let mut kv = Self {
            http,
            base,
            settings: settings.clone(),
            token: Secret::new(""),
            namespace: credentials.namespace.clone(),
        };
        kv.token = match (&credentials.token, &credentials.approle) {
            (Some(token), _) => token.clone(),
            (None, Some((role_id, secret_id))) => kv.approle_login(role_id, secret_id).await?,
            (None, None) => return Err(TeamError::NoCredentials),
        };
        Ok(kv)
    }

    /// The settings this connection uses.
    pub fn settings(&self) -> &TeamSettings {
        &self.settings
    }

    /// Where `rel` (`chain/NAME`) lives, as Vault names it in policies and messages.
    pub fn logical(&self, rel: &str) -> String {
        format!(
            "{}/data/{}/{rel}",
            self.settings.mount,
            self.settings.path.trim_matches('/')
        )
    }

    fn url(&self, api: &str) -> Url {
        let mut url = self.base.clone();
        let prefix = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{prefix}/v1/{api}"));
        url
    }

    fn request(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let request = request.header("X-Vault-Token", self.token.expose());
        match &self.namespace {
            Some(namespace) => request.header("X-Vault-Namespace", namespace),
            None => request,
        }
    }

    /// Sends `request`; the JSON answer of a 2xx (`Null` for 204), else the error Vault
    /// gave, named after `what` (a path).
    async fn send(&self, request: reqwest::RequestBuilder, what: &str) -> Result<Value, TeamError> {
        let reply = self
            .http
            .send(self.request(request))
            .await
            .map_err(|err| match err {
                ProviderError::Timeout(_) | ProviderError::Unreachable(_) => {
                    TeamError::Unreachable {
                        address: self.settings.address.clone(),
                        detail: err.to_string(),
                    }
                }
                other => TeamError::Refused {
                    what: what.to_owned(),
                    detail: other.to_string(),
                },
            })?;
        let body: Value = if reply.body.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&reply.body).map_err(|_| TeamError::Refused {
                what: what.to_owned(),
                detail: format!("the answer (HTTP {}) is not Vault's JSON", reply.status),
            })?
        };
        if (200..300).contains(&reply.status) {
            return Ok(body);
        }
        let errors = body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        Err(TeamError::from_status(reply.status, what, &errors))
    }

    async fn approle_login(
        &self,
        role_id: &Secret,
        secret_id: &Secret,
    ) -> Result<Secret, TeamError> {
        let body = json!({ "role_id": role_id.expose(), "secret_id": secret_id.expose() });
        let url = self.url("auth/approle/login");
        let answer = self
            .send(self.http.post(url).json(&body), "auth/approle/login")
            .await?;
        answer["auth"]["client_token"]
            .as_str()
            .map(Secret::new)
            .ok_or_else(|| TeamError::Refused {
                what: "auth/approle/login".to_owned(),
                detail: "the answer holds no client token".to_owned(),
            })
    }

    /// The secret at `rel` (`accounts/NAME`, `chain/NAME`, …) and its version; `None` when
    /// there is none (never written, or its last version deleted).
    pub async fn read(&self, rel: &str) -> Result<Option<Versioned>, TeamError> {
        let what = self.logical(rel);
        let url = self.url(&what);
        match self.send(self.http.get(url), &what).await {
            Ok(answer) => Ok(versioned(&answer["data"])),
            Err(TeamError::Missing(_)) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Writes `data` at `rel`. With `cas`, only if the secret is at that version now (0:
    /// only if there is none); else [`TeamError::Changed`]. The version written.
    pub async fn write(
        &self,
        rel: &str,
        data: &serde_json::Map<String, Value>,
        cas: Option<u64>,
    ) -> Result<u64, TeamError> {
        let what = self.logical(rel);
        let url = self.url(&what);
        let mut body = json!({ "data": data });
        if let Some(version) = cas {
            body["options"] = json!({ "cas": version });
        }
        let answer = self.send(self.http.post(url).json(&body), &what).await?;
        answer["data"]["version"]
            .as_u64()
            .ok_or_else(|| TeamError::Refused {
                what,
                detail: "the answer holds no version".to_owned(),
            })
    }

    /// Where `rel` keeps its versions and metadata (`MOUNT/metadata/PATH/rel`): listing
    /// and deleting for good go there.
    fn metadata(&self, rel: &str) -> String {
        format!(
            "{}/metadata/{}/{rel}",
            self.settings.mount,
            self.settings.path.trim_matches('/')
        )
    }

    /// The names under the folder `rel` (`accounts`); none when it is empty or missing.
    pub async fn list(&self, rel: &str) -> Result<Vec<String>, TeamError> {
        let what = self.metadata(rel);
        let mut url = self.url(&what);
        url.query_pairs_mut().append_pair("list", "true");
        match self.send(self.http.get(url), &what).await {
            Ok(answer) => Ok(answer["data"]["keys"]
                .as_array()
                .map(|keys| {
                    keys.iter()
                        .filter_map(Value::as_str)
                        .filter(|key| !key.ends_with('/'))
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()),
            Err(TeamError::Missing(_)) => Ok(Vec::new()),
            Err(err) => Err(err),
        }
    }

    /// Deletes `rel` with every version it had (nothing to undelete).
    pub async fn destroy(&self, rel: &str) -> Result<(), TeamError> {
        let what = self.metadata(rel);
        let url = self.url(&what);
        match self
            .send(self.http.request(reqwest::Method::DELETE, url), &what)
            .await
        {
            Ok(_) | Err(TeamError::Missing(_)) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// Who this token is.
    pub async fn identity(&self) -> Result<Identity, TeamError> {
        let url = self.url("auth/token/lookup-self");
        let answer = self
            .send(self.http.get(url), "auth/token/lookup-self")
            .await?;
        let data = &answer["data"];
        let text = |key: &str| data[key].as_str().unwrap_or_default().to_owned();
        Ok(Identity {
            accessor: text("accessor"),
            display_name: text("display_name"),
            policies: data["policies"]
                .as_array()
                .map(|p| {
                    p.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            ttl: data["ttl"].as_u64().unwrap_or_default(),
            renewable: data["renewable"].as_bool().unwrap_or_default(),
        })
    }

    /// What this token may do at `rel` (`read`, `create`, `update`, … or `deny`).
    pub async fn capabilities(&self, rel: &str) -> Result<Vec<String>, TeamError> {
        let url = self.url("sys/capabilities-self");
        let path = self.logical(rel);
        let answer = self
            .send(
                self.http.post(url).json(&json!({ "paths": [path] })),
                "sys/capabilities-self",
            )
            .await?;
        Ok(answer[&path]
            .as_array()
            .or_else(|| answer["capabilities"].as_array())
            .map(|c| {
                c.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default())
    }
}

/// A KV v2 read's `data` (`{data, metadata}`) as a [`Versioned`]; `None` for a deleted one.
fn versioned(data: &Value) -> Option<Versioned> {
    let version = data["metadata"]["version"].as_u64()?;
    let data = data["data"].as_object()?.clone();
    Some(Versioned { data, version })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deleted_version_reads_as_none() {
        let live = json!({ "data": { "a": "1" }, "metadata": { "version": 3 } });
        assert_eq!(versioned(&live).map(|v| v.version), Some(3));
        let deleted = json!({ "data": null, "metadata": { "version": 4, "deletion_time": "x" } });
        assert_eq!(versioned(&deleted), None);
    }

    #[test]
    fn debug_shows_the_connection_and_never_its_token() {
        let settings = TeamSettings {
            address: "http://127.0.0.1:8200".into(),
            mount: "secret".into(),
            path: "tokenwallet".into(),
        };
        let credentials = Credentials {
            token: Some(Secret::new("s.vault-token-0123")),
            ..Credentials::default()
        };
        let http = Http::new(std::time::Duration::from_secs(5)).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let kv = runtime
            .block_on(Kv::connect(&settings, &credentials, &http))
            .unwrap();
        let shown = format!("{kv:?} {credentials:?}");
        assert!(shown.contains("127.0.0.1:8200"), "{shown}");
        assert!(!shown.contains("vault-token"), "{shown}");
    }
}
