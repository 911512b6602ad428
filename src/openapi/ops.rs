//! The operations of a spec, read the same way from Swagger 2.0 and OpenAPI 3.x.

use serde_json::Value;

use super::schema::{enum_texts, example, resolve, text_of, type_of};

/// Where a parameter goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Location {
    /// A `{name}` in the path.
    Path,
    /// The query string.
    Query,
    /// A request header.
    Header,
    /// The `Cookie` header.
    Cookie,
    /// A field of a form body (Swagger's `formData`, or a form request body's property).
    Form,
}

impl Location {
    /// The word the specs use.
    pub fn word(self) -> &'static str {
        match self {
            Self::Path => "path",
            Self::Query => "query",
            Self::Header => "header",
            Self::Cookie => "cookie",
            Self::Form => "form",
        }
    }
}

/// One parameter of an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// Its name.
    pub name: String,
    /// Where it goes.
    pub location: Location,
    /// Whether the operation needs it.
    pub required: bool,
    /// Its type (`string`, `integer`, `array`, …), when the spec gives one.
    pub kind: Option<String>,
    /// The values it may take, when the spec lists them.
    pub choices: Vec<String>,
    /// Its default, as text.
    pub default: Option<String>,
    /// What the spec says of it.
    pub description: Option<String>,
    /// A list sent as repeated `name=value` pairs (else joined by commas).
    pub explode: bool,
    /// A header that carries authentication: the account fills it, and no one sees it.
    pub auth: bool,
}

/// The body an operation takes.
#[derive(Clone, Debug, PartialEq)]
pub struct Body {
    /// Its media type (`application/json`, a vendor's `…+json`, …).
    pub media_type: String,
    /// Whether the operation needs it.
    pub required: bool,
    /// An example drawn from its schema, to start from.
    pub example: Value,
}

/// One operation: a method on a path.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    /// The method, upper case.
    pub method: String,
    /// The path template (`/v1/clusters/{id}`).
    pub path: String,
    /// Its `operationId`.
    pub id: Option<String>,
    /// Its summary (or the start of its description).
    pub summary: Option<String>,
    /// Its tags; the first groups it.
    pub tags: Vec<String>,
    /// Path-level and operation-level parameters (the operation's win).
    pub params: Vec<Param>,
    /// The body, when it takes one.
    pub body: Option<Body>,
    /// Whether the spec marks it deprecated.
    pub deprecated: bool,
}

impl Operation {
    /// `GET /path`.
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The tag it is listed under.
    pub fn group(&self) -> &str {
        self.tags.first().map_or("(no tag)", String::as_str)
    }

    /// The parameters a person fills (those carrying authentication are left out).
    pub fn visible_params(&self) -> impl Iterator<Item = &Param> {
        self.params.iter().filter(|param| !param.auth)
    }

    /// Whether `filter` (words, any case) matches its method, path, id, summary or tag.
    pub fn matches(&self, filter: &str) -> bool {
        let haystack = format!(
            "{} {} {} {} {}",
            self.method,
            self.path,
            self.id.as_deref().unwrap_or_default(),
            self.summary.as_deref().unwrap_or_default(),
            self.tags.join(" ")
        )
        .to_lowercase();
        filter
            .split_whitespace()
            .all(|word| haystack.contains(&word.to_lowercase()))
    }
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Header names that carry authentication in vendor specs (Active IQ's, the usual one).
const AUTH_HEADERS: [&str; 3] = ["authorization", "authorizationtoken", "x-auth-token"];

/// Every operation of the document, by path then method.
pub fn operations(root: &Value, swagger2: bool) -> Vec<Operation> {
    let Some(paths) = root.get("paths").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (path, item) in paths {
        let Some(item) = resolve(root, item) else {
            continue;
        };
        let shared = item.get("parameters");
        for method in METHODS {
            let Some(op) = item.get(method).filter(|op| op.is_object()) else {
                continue;
            };
            found.push(operation(root, swagger2, path, method, op, shared));
        }
    }
    found
}

fn operation(
    root: &Value,
    swagger2: bool,
    path: &str,
    method: &str,
    op: &Value,
    shared: Option<&Value>,
) -> Operation {
    let mut params: Vec<Param> = Vec::new();
    let mut body = None;
    for list in [shared, op.get("parameters")].into_iter().flatten() {
        for raw in list.as_array().into_iter().flatten() {
            let Some(raw) = resolve(root, raw) else {
                continue;
            };
            if swagger2 && raw.get("in").and_then(Value::as_str) == Some("body") {
                body = Some(swagger_body(root, op, raw));
            } else if let Some(param) = param(root, swagger2, raw) {
                params.retain(|p| !(p.name == param.name && p.location == param.location));
                params.push(param);
            }
        }
    }
    if let Some(request_body) = op.get("requestBody").and_then(|b| resolve(root, b)) {
        body = openapi_body(root, request_body, &mut params);
    }
    let text = |key: &str| op.get(key).and_then(Value::as_str).map(str::to_owned);
    Operation {
        method: method.to_ascii_uppercase(),
        path: path.to_owned(),
        id: text("operationId"),
        summary: text("summary").or_else(|| {
            text("description").map(|d| d.lines().next().unwrap_or_default().to_owned())
        }),
        tags: op
            .get("tags")
            .and_then(Value::as_array)
            .map(|tags| tags.iter().filter_map(text_of).collect())
            .unwrap_or_default(),
        params,
        body,
        deprecated: op.get("deprecated").and_then(Value::as_bool) == Some(true),
    }
}

fn param(root: &Value, swagger2: bool, raw: &Value) -> Option<Param> {
    let name = raw.get("name").and_then(Value::as_str)?.to_owned();
    let location = match raw.get("in").and_then(Value::as_str)? {
        "path" => Location::Path,
        "query" => Location::Query,
        "header" => Location::Header,
        "cookie" => Location::Cookie,
        "formData" => Location::Form,
        _ => return None,
    };
    // Swagger 2 puts the type on the parameter, OpenAPI 3 in its schema.
    let schema = if swagger2 {
        raw
    } else {
        raw.get("schema")
            .and_then(|s| resolve(root, s))
            .unwrap_or(raw)
    };
    let kind = type_of(schema).map(str::to_owned);
    let mut choices = enum_texts(schema);
    if choices.is_empty()
        && let Some(items) = schema.get("items").and_then(|i| resolve(root, i))
    {
        choices = enum_texts(items);
    }
    let explode = if swagger2 {
        raw.get("collectionFormat").and_then(Value::as_str) == Some("multi")
    } else {
        raw.get("explode")
            .and_then(Value::as_bool)
            .unwrap_or(matches!(location, Location::Query | Location::Cookie))
    };
    let auth = location == Location::Header && AUTH_HEADERS.contains(&name.to_lowercase().as_str());
    Some(Param {
        required: raw.get("required").and_then(Value::as_bool) == Some(true)
            || location == Location::Path,
        kind,
        choices,
        default: schema.get("default").and_then(text_of),
        description: raw
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned),
        explode,
        auth,
        name,
        location,
    })
}

/// The media type a body is sent as: JSON first (a vendor's `+json` too), then a form.
fn pick_media(types: &[&str]) -> Option<String> {
    let find = |wanted: &dyn Fn(&str) -> bool| types.iter().copied().find(|t| wanted(t));
    find(&|t| t == "application/json")
        .or_else(|| find(&|t| t.contains("json")))
        .or_else(|| find(&|t| t == "application/x-www-form-urlencoded"))
        .or_else(|| types.first().copied())
        .map(str::to_owned)
}

fn swagger_body(root: &Value, op: &Value, raw: &Value) -> Body {
    let types = consumes(op).or_else(|| consumes(root)).unwrap_or_default();
    Body {
        media_type: pick_media(&types).unwrap_or_else(|| "application/json".to_owned()),
        required: raw.get("required").and_then(Value::as_bool) == Some(true),
        example: raw
            .get("schema")
            .map_or(Value::Null, |schema| example(root, schema)),
    }
}

fn consumes(at: &Value) -> Option<Vec<&str>> {
    at.get("consumes")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).collect())
}

/// A 3.x request body; a form's properties become form parameters.
fn openapi_body(root: &Value, request_body: &Value, params: &mut Vec<Param>) -> Option<Body> {
    let content = request_body.get("content").and_then(Value::as_object)?;
    let types: Vec<&str> = content.keys().map(String::as_str).collect();
    let media_type = pick_media(&types)?;
    let schema = content
        .get(&media_type)
        .and_then(|media| media.get("schema"))
        .unwrap_or(&Value::Null);
    let required = request_body.get("required").and_then(Value::as_bool) == Some(true);
    if media_type == "application/x-www-form-urlencoded" {
        let schema = resolve(root, schema).unwrap_or(&Value::Null);
        let needed: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (name, property) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let property = resolve(root, property).unwrap_or(&Value::Null);
            params.push(Param {
                name: name.clone(),
                location: Location::Form,
                required: needed.contains(&name.as_str()),
                kind: type_of(property).map(str::to_owned),
                choices: enum_texts(property),
                default: property.get("default").and_then(text_of),
                description: property
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                explode: true,
                auth: false,
            });
        }
    }
    Some(Body {
        example: example(root, schema),
        media_type,
        required,
    })
}
