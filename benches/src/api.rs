//! Plain requests to the fake Notion (or any [`Transport`]): send one, insist on a 200, and the
//! small JSON helpers the world builders use.

use notion_xws_core::NotionToken;
use notion_xws_core::transport::{ApiRequest, ApiResponse, Method, Transport};
use serde_json::{Value, json};

/// The API version every benchmark request speaks.
pub const VERSION: &str = "2025-09-03";

/// Sends one request and returns the answer (panics on a transport error: a bench has no
/// faults configured).
pub async fn send(
    transport: &dyn Transport,
    method: Method,
    path: &str,
    token: &NotionToken,
    body: Option<Value>,
) -> ApiResponse {
    let mut request = ApiRequest::new(method, path, token.clone(), VERSION);
    request.body = body;
    transport
        .send(request)
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// Sends one request that must be answered 200, and returns the body.
pub async fn ok(
    transport: &dyn Transport,
    method: Method,
    path: &str,
    token: &NotionToken,
    body: Option<Value>,
) -> Value {
    let response = send(transport, method, path, token, body).await;
    assert_eq!(response.status, 200, "{method} {path}: {}", response.body);
    response.body
}

/// Rich text as a request writes it.
pub fn text(content: &str) -> Value {
    json!([{"text": {"content": content}}])
}

/// The `id` of a body.
pub fn id(body: &Value) -> String {
    body["id"].as_str().unwrap_or_default().to_owned()
}

/// Whether a request of this method and path may change something (the fake's request log
/// has no body, so this is the same rule as [`ApiRequest::is_read_only`] on what the log keeps).
pub fn is_write(method: Method, path: &str) -> bool {
    !(method == Method::Get || path == "/v1/search" || path.ends_with("/query"))
}
