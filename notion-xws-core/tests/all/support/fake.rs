//! Helpers shared by the fake Notion's tests: sending requests, building bodies.

use notion_xws_core::NotionToken;
use notion_xws_core::transport::{ApiRequest, ApiResponse, Method, Transport};
use serde_json::{Value, json};

/// The API version most tests speak.
pub(crate) const V2025: &str = "2025-09-03";

/// Sends one request and returns Notion's answer (panics on a transport error).
pub(crate) async fn send(
    transport: &dyn Transport,
    method: Method,
    path: &str,
    token: &NotionToken,
    body: Option<Value>,
) -> ApiResponse {
    send_as(transport, V2025, method, path, token, body).await
}

/// Sends one request under API `version` and returns Notion's answer (panics on a transport
/// error).
pub(crate) async fn send_as(
    transport: &dyn Transport,
    version: &str,
    method: Method,
    path: &str,
    token: &NotionToken,
    body: Option<Value>,
) -> ApiResponse {
    let mut request = ApiRequest::new(method, path, token.clone(), version);
    request.body = body;
    transport
        .send(request)
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// Sends one request that must succeed, and returns its body.
pub(crate) async fn ok(
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
pub(crate) fn text(content: &str) -> Value {
    json!([{"text": {"content": content}}])
}

/// The `id` of a body.
pub(crate) fn id(body: &Value) -> String {
    body["id"].as_str().unwrap_or_default().to_owned()
}

/// Creates a database with a typical schema under `parent`; returns (database, data source).
pub(crate) async fn tasks_database(
    transport: &dyn Transport,
    token: &NotionToken,
    parent: &str,
) -> (String, String) {
    let db = ok(
        transport,
        Method::Post,
        "/v1/databases",
        token,
        Some(json!({
            "parent": {"type": "page_id", "page_id": parent},
            "title": text("Tasks"),
            "initial_data_source": {"properties": {
                "Name": {"type": "title", "title": {}},
                "Count": {"type": "number", "number": {}},
                "Done": {"checkbox": {}},
                "Stage": {"type": "select", "select": {"options": [{"name": "New"}]}},
                "Tags": {"type": "multi_select", "multi_select": {}},
                "Due": {"type": "date", "date": {}},
                "Notes": {"type": "rich_text", "rich_text": {}},
                "Key": {"type": "unique_id", "unique_id": {"prefix": "T"}},
                "Created": {"type": "created_time", "created_time": {}},
            }},
        })),
    )
    .await;
    let ds = db["data_sources"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (id(&db), ds)
}

/// Creates one row; returns its body.
pub(crate) async fn row(
    transport: &dyn Transport,
    token: &NotionToken,
    ds: &str,
    name: &str,
    count: i64,
) -> Value {
    ok(
        transport,
        Method::Post,
        "/v1/pages",
        token,
        Some(json!({
            "parent": {"type": "data_source_id", "data_source_id": ds},
            "properties": {
                "Name": {"title": text(name)},
                "Count": {"number": count},
                "Done": {"checkbox": count % 2 == 0},
            },
        })),
    )
    .await
}

/// Queries a data source with `body`; returns the answer's body.
pub(crate) async fn query(
    transport: &dyn Transport,
    token: &NotionToken,
    ds: &str,
    body: Value,
) -> Value {
    ok(
        transport,
        Method::Post,
        &format!("/v1/data_sources/{ds}/query"),
        token,
        Some(body),
    )
    .await
}

/// The titles of a list of pages.
pub(crate) fn titles(list: &Value) -> Vec<String> {
    list["results"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|p| {
                    p["properties"]["Name"]["title"][0]["plain_text"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Runs each scenario `async fn name(h: Harness)` of the calling module twice, as
/// `in_memory::name` and `over_http::name`, with `Harness::new(false)` and `Harness::new(true)`:
/// the fake as a `Transport`, and served over HTTP.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod in_memory {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::Harness::new(false).await).await;
                }
            )*
        }
        mod over_http {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::Harness::new(true).await).await;
                }
            )*
        }
    };
}
pub(crate) use contract;
