//! The client over real HTTP on 127.0.0.1 (wiremock): what only a wire can show. Retry timing and
//! rate limits are tested on tokio's paused clock elsewhere; these use the real clock with short
//! delays.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use notion_xws_core::client::NotionClient;
use notion_xws_core::transport::DynTransport;
use notion_xws_core::transport::Method;
use notion_xws_core::transport::http::{HttpConfig, HttpTransport};
use notion_xws_core::transport::retry::RetryConfig;
use notion_xws_core::transport::stack::{StackConfig, TransportStack};
use notion_xws_core::{Error, NotionToken, TransportErrorKind};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "ntn_wire_test_token_0001";

fn stack(server: &MockServer, timeout: Duration) -> TransportStack {
    let http = HttpTransport::with_config(HttpConfig {
        base_url: server.uri(),
        timeout,
        ..HttpConfig::default()
    })
    .unwrap();
    TransportStack::new(
        Arc::new(http) as DynTransport,
        StackConfig {
            budget: notion_xws_core::rate::RateBudget::new(6000, 100),
            retry: RetryConfig {
                initial_backoff: Duration::from_millis(5),
                max_backoff: Duration::from_millis(20),
                ..RetryConfig::default()
            },
            ..StackConfig::default()
        },
    )
}

fn client(stack: &TransportStack) -> NotionClient {
    NotionClient::new(stack.transport(), NotionToken::new(TOKEN).unwrap())
}

fn error_json(status: u16, code: &str) -> Value {
    json!({"object": "error", "status": status, "code": code, "message": "m",
           "request_id": "2f3f62ed-c8e9-4523-9202-094a910f7132"})
}

#[tokio::test]
async fn sends_the_token_and_the_version_headers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/users/me"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("notion-version", "2026-03-11"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"object": "user"})))
        .expect(1)
        .mount(&server)
        .await;
    let stack = stack(&server, Duration::from_secs(5));
    let me: Value = client(&stack)
        .send(client(&stack).request(Method::Get, "/v1/users/me"))
        .await
        .unwrap();
    assert_eq!(me["object"], "user");
}

#[tokio::test]
async fn a_5xx_on_a_read_is_retried_until_it_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/pages/p"))
        .respond_with(ResponseTemplate::new(502).set_body_json(error_json(502, "bad_gateway")))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/pages/p"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"object": "page"})))
        .expect(1)
        .mount(&server)
        .await;
    let stack = stack(&server, Duration::from_secs(5));
    let c = client(&stack);
    let page: Value = c.send(c.request(Method::Get, "/v1/pages/p")).await.unwrap();
    assert_eq!(page["object"], "page");
    assert_eq!(stack.recorder().count(), 3);
}

#[tokio::test]
async fn a_5xx_on_page_create_is_ambiguous_and_sent_once() {
    let server = MockServer::start().await;
    let mut body = error_json(503, "service_unavailable");
    body["additional_data"] =
        json!({"committed_resource_id": "393abc1e-edcd-8169-85ce-c64d3d3f20fd"});
    Mock::given(method("POST"))
        .and(path("/v1/pages"))
        .and(body_json(json!({"parent": {"page_id": "x"}})))
        .respond_with(ResponseTemplate::new(503).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    let stack = stack(&server, Duration::from_secs(5));
    let c = client(&stack);
    let outcome = c
        .send::<Value>(
            c.request(Method::Post, "/v1/pages")
                .with_body(json!({"parent": {"page_id": "x"}})),
        )
        .await;
    match outcome {
        Err(Error::AmbiguousWrite {
            committed_resource_id: Some(id),
            ..
        }) => assert_eq!(id.to_string(), "393abc1e-edcd-8169-85ce-c64d3d3f20fd"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_429_waits_for_retry_after_then_succeeds() {
    let server = MockServer::start().await;
    let mut limited = error_json(429, "rate_limited");
    limited["additional_data"] =
        json!({"retry_after": "1", "rate_limit_reason": "public_api_request_rate_limit"});
    Mock::given(method("POST"))
        .and(path("/v1/search"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(limited),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"object": "list", "results": [], "next_cursor": null, "has_more": false}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let stack = stack(&server, Duration::from_secs(5));
    let c = client(&stack);
    let start = Instant::now();
    let list: Value = c
        .send(c.request(Method::Post, "/v1/search").with_body(json!({})))
        .await
        .unwrap();
    assert_eq!(list["object"], "list");
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn a_blocked_integration_is_not_retried() {
    let server = MockServer::start().await;
    let mut blocked = error_json(429, "rate_limited");
    blocked["additional_data"] = json!({"rate_limit_reason": "public_api_request_blocked"});
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).set_body_json(blocked))
        .expect(1)
        .mount(&server)
        .await;
    let stack = stack(&server, Duration::from_secs(5));
    let c = client(&stack);
    let outcome = c
        .send::<Value>(c.request(Method::Get, "/v1/users/me"))
        .await;
    assert!(
        matches!(outcome, Err(Error::RateLimited { .. })),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn an_html_page_from_a_proxy_is_a_clear_transport_error() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(403).set_body_raw(
            "<html><head><title>403 Forbidden</title></head><body>cloudflare</body></html>",
            "text/html",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let stack = stack(&server, Duration::from_secs(5));
    let c = client(&stack);
    let error = c
        .send::<Value>(c.request(Method::Patch, "/v1/pages/p").with_body(json!({})))
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(text.contains("not Notion's JSON"), "{text}");
    assert!(text.contains("403 Forbidden"), "{text}");
}

#[tokio::test]
async fn malformed_json_on_a_read_is_retried_then_reported() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("{\"object\": \"pa", "application/json"),
        )
        .expect(8)
        .mount(&server)
        .await;
    let stack = stack(&server, Duration::from_secs(5));
    let c = client(&stack);
    let error = c
        .send::<Value>(c.request(Method::Get, "/v1/pages/p"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Transport {
                kind: TransportErrorKind::InvalidResponse,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_timeout_is_retried_on_a_read_and_ambiguous_on_a_write() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"object": "page"}))
                .set_delay(Duration::from_millis(400)),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"object": "page"})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/pages"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"object": "page"}))
                .set_delay(Duration::from_millis(400)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let stack = stack(&server, Duration::from_millis(150));
    let c = client(&stack);
    let page: Value = c.send(c.request(Method::Get, "/v1/pages/p")).await.unwrap();
    assert_eq!(page["object"], "page");
    let outcome = c
        .send::<Value>(c.request(Method::Post, "/v1/pages").with_body(json!({})))
        .await;
    assert!(
        matches!(outcome, Err(Error::AmbiguousWrite { .. })),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn no_server_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let http = HttpTransport::with_base_url(&format!("http://127.0.0.1:{port}")).unwrap();
    let stack = TransportStack::new(
        Arc::new(http) as DynTransport,
        StackConfig {
            retry: RetryConfig {
                max_attempts: 2,
                initial_backoff: Duration::from_millis(1),
                ..RetryConfig::default()
            },
            ..StackConfig::default()
        },
    );
    let c = client(&stack);
    let error = c
        .send::<Value>(c.request(Method::Get, "/v1/users/me"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Transport {
                kind: TransportErrorKind::Connect,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(!format!("{error} {error:?}").contains(TOKEN));
}

#[tokio::test]
async fn pagination_follows_every_cursor() {
    let server = MockServer::start().await;
    let page = |ids: std::ops::Range<u32>, next: Option<&str>| {
        json!({"object": "list", "type": "user",
               "results": ids.map(|i| json!({"object": "user", "id": format!("{i:032x}")})).collect::<Vec<_>>(),
               "next_cursor": next, "has_more": next.is_some()})
    };
    Mock::given(method("GET"))
        .and(path("/v1/users"))
        .and(wiremock::matchers::query_param("start_cursor", "c2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(200..250, None)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/users"))
        .and(wiremock::matchers::query_param("start_cursor", "c1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(100..200, Some("c2"))))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/users"))
        .and(wiremock::matchers::query_param_is_missing("start_cursor"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(0..100, Some("c1"))))
        .expect(1)
        .mount(&server)
        .await;
    let stack = stack(&server, Duration::from_secs(5));
    let c = client(&stack);
    let users: Vec<Value> =
        notion_xws_core::client::pagination::paginate(&c, c.request(Method::Get, "/v1/users"))
            .try_collect()
            .await
            .unwrap();
    assert_eq!(users.len(), 250);
    assert_eq!(users[249]["id"], format!("{:032x}", 249));
}
