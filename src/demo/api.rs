//! The demo server's API beside its token endpoints: an OpenAPI spec of it, `/api/me`, and
//! an echo that sends back what it was sent, for the API pane and the tests. Every route
//! but the spec wants a valid access token as `Authorization: Bearer …`.

use serde_json::json;

use super::oauth::{State, error};
use super::server::{Request, Response};

/// The spec, served at `/openapi.yaml`.
pub const SPEC: &str = include_str!("openapi.yaml");

/// `GET /openapi.yaml`.
pub fn spec() -> Response {
    Response::Full {
        status: 200,
        headers: vec![("Content-Type".into(), "application/yaml".into())],
        body: SPEC.as_bytes().to_vec(),
    }
}

/// `/api/me` and `/api/echo/…`, or `None` for another path.
pub fn handle(state: &mut State, request: &Request) -> Option<Response> {
    let is_me = request.method == "GET" && request.path == "/api/me";
    if !is_me && !request.path.starts_with("/api/echo/") {
        return None;
    }
    let token = request
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or("");
    if !state.access_valid(token) {
        return Some(error(
            401,
            "invalid_token",
            "the access token is missing, expired or revoked",
        ));
    }
    state.api_calls += 1;
    if is_me {
        return Some(Response::json(
            200,
            &json!({ "message": "hello from the demo API", "sub": state.access[token].0 }),
        ));
    }
    let body = String::from_utf8_lossy(&request.body).into_owned();
    let remaining = 1000_u32.saturating_sub(state.api_calls);
    Some(
        Response::json(
            200,
            &json!({
                "method": request.method,
                "path": request.path,
                "query": request.query,
                "x_trace": request.header("x-trace"),
                "cookie": request.header("cookie"),
                "content_type": request.header("content-type"),
                "body": body,
            }),
        )
        .with_header("X-RateLimit-Limit", "1000")
        .with_header("X-RateLimit-Remaining", &remaining.to_string()),
    )
}
