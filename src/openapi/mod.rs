//! An OpenAPI engine, without any front: reads a spec (Swagger 2.0, OpenAPI 3.0 or 3.1, JSON
//! or YAML), lists its operations, and builds a request for one of them.
//!
//! Real vendor specs carry quirks the typed OpenAPI crates reject, so the reader is lenient
//! and works over [`serde_json::Value`]: servers such as `localhost:8061`, a Go template
//! `{{.Server}}` or a relative path (the account's API base is used instead); the 3.1 form
//! `type: [string, "null"]` in 3.0 files; vendor media types (`…+json`); string defaults on
//! booleans; no security scheme at all, or an `authorization` header parameter on every
//! operation (filled from the account and hidden). Authentication always comes from the
//! account, never from the spec. Only local `$ref`s are followed, and cycles end.
//! - [`read`]: text to a value, bounded;
//! - [`schema`]: `$ref`s and example bodies;
//! - [`ops`]: the operations;
//! - [`request`]: an operation and the user's values to a request.

mod ops;
mod read;
mod request;
mod schema;

use serde_json::Value;
use url::Url;

pub use ops::{Body, Location, Operation, Param};
pub use read::MAX_SPEC_BYTES;
pub use request::{ApiRequest, Values, build};

/// Why a spec cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// The text is neither JSON nor YAML that can be read.
    #[error("the spec cannot be read: {0}")]
    Syntax(String),
    /// The text is too large.
    #[error("the spec is {0} bytes, over the 16 MiB a spec may have")]
    TooLarge(usize),
    /// Read, but not an OpenAPI or Swagger document.
    #[error(
        "this is not an OpenAPI or Swagger document (it has no 'openapi' or 'swagger' version)"
    )]
    NotOpenApi,
}

/// A spec, read.
#[derive(Debug, Clone)]
pub struct ApiDoc {
    root: Value,
    swagger2: bool,
    operations: Vec<Operation>,
}

/// Where a spec says its API is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Server {
    /// An absolute address that can be used as it is.
    Absolute(Url),
    /// A path relative to where the spec was read from (`/api/v1`, or no server at all).
    Relative(String),
    /// A path to put after the account's API base: the spec's server was a local address
    /// (`localhost:8061`) or a template (`{{.Server}}`).
    OnAccountBase(String),
}

impl ApiDoc {
    /// Reads a spec from its text.
    pub fn parse(text: &str) -> Result<Self, SpecError> {
        let root = read::parse(text)?;
        let version = |key: &str| root.get(key).and_then(schema::text_of);
        let swagger2 = match (version("swagger"), version("openapi")) {
            (_, Some(v)) if v.starts_with('3') => false,
            (Some(v), _) if v.starts_with('2') => true,
            _ => return Err(SpecError::NotOpenApi),
        };
        let operations = ops::operations(&root, swagger2);
        Ok(Self {
            root,
            swagger2,
            operations,
        })
    }

    /// The API's title and version, as the spec gives them.
    pub fn title(&self) -> String {
        let info = self.root.get("info");
        let field = |key| {
            info.and_then(|i| i.get(key))
                .and_then(schema::text_of)
                .unwrap_or_default()
        };
        format!("{} {}", field("title"), field("version"))
            .trim()
            .to_owned()
    }

    /// Every operation, by path then method.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The operations matching `filter`, grouped by their first tag (groups in name order).
    pub fn by_tag(&self, filter: &str) -> Vec<(&str, Vec<&Operation>)> {
        let mut groups: std::collections::BTreeMap<&str, Vec<&Operation>> =
            std::collections::BTreeMap::new();
        for op in self.operations.iter().filter(|op| op.matches(filter)) {
            groups.entry(op.group()).or_default().push(op);
        }
        groups.into_iter().collect()
    }

    /// The operation named by its `operationId` or as `METHOD /path`.
    pub fn find(&self, wanted: &str) -> Option<&Operation> {
        let wanted = wanted.trim();
        if let Some((method, path)) = wanted.split_once(char::is_whitespace) {
            let path = path.trim();
            if let Some(op) = self
                .operations
                .iter()
                .find(|op| op.method.eq_ignore_ascii_case(method) && op.path == path)
            {
                return Some(op);
            }
        }
        self.operations
            .iter()
            .find(|op| op.id.as_deref() == Some(wanted))
            .or_else(|| {
                self.operations.iter().find(|op| {
                    op.id
                        .as_deref()
                        .is_some_and(|id| id.eq_ignore_ascii_case(wanted))
                })
            })
    }

    /// Where the spec says the API is.
    pub fn server(&self) -> Server {
        let raw = if self.swagger2 {
            self.swagger_server()
        } else {
            self.openapi_server()
        };
        classify(&raw)
    }

    /// Swagger 2: `schemes`, `host` and `basePath`.
    fn swagger_server(&self) -> String {
        let base_path = self
            .root
            .get("basePath")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some(host) = self.root.get("host").and_then(Value::as_str) else {
            return base_path.to_owned();
        };
        let schemes: Vec<&str> = self
            .root
            .get("schemes")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let scheme = if schemes.is_empty() || schemes.contains(&"https") {
            "https"
        } else {
            schemes[0]
        };
        format!("{scheme}://{host}{base_path}")
    }

    /// OpenAPI 3: the first server, its variables replaced by their defaults.
    fn openapi_server(&self) -> String {
        let Some(server) = self.root.pointer("/servers/0") else {
            return String::new();
        };
        let mut url = server
            .get("url")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if let Some(variables) = server.get("variables").and_then(Value::as_object) {
            for (name, variable) in variables {
                if let Some(default) = variable.get("default").and_then(schema::text_of) {
                    url = url.replace(&format!("{{{name}}}"), &default);
                }
            }
        }
        url
    }
}

/// An absolute, usable address, or the path to put on the account's base.
fn classify(raw: &str) -> Server {
    let raw = raw.trim();
    // A template (`{{.Server}}/api`, an unset `{host}`): keep what follows its last brace.
    if let Some(end) = raw.rfind('}') {
        return Server::OnAccountBase(path_only(&raw[end + 1..]));
    }
    match Url::parse(raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            if is_local(&url) {
                Server::OnAccountBase(path_only(url.path()))
            } else {
                Server::Absolute(url)
            }
        }
        // `localhost:8061/api` parses with `localhost` as the scheme; a bare host has none.
        _ if raw.starts_with('/') || raw.is_empty() => Server::Relative(path_only(raw)),
        _ => {
            let after_host = raw.find('/').map_or("", |at| &raw[at..]);
            Server::OnAccountBase(path_only(after_host))
        }
    }
}

fn is_local(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => {
            domain.eq_ignore_ascii_case("localhost") || !domain.contains('.')
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => true,
    }
}

fn path_only(raw: &str) -> String {
    let path = raw.split(['?', '#']).next().unwrap_or_default();
    path.trim_end_matches('/').to_owned()
}

#[cfg(test)]
mod tests;
