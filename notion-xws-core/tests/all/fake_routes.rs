//! The fake's routing as Notion's: the route is checked before the token, in memory and over
//! HTTP alike.

use notion_xws_core::NotionToken;
use notion_xws_core::fake::{FakeConfig, FakeNotion, FakeServer};
use notion_xws_core::transport::http::HttpTransport;
use notion_xws_core::transport::{Method, Transport};

use crate::support::fake::send;

/// The fake in memory, and over HTTP (with its server, kept alive).
async fn transports(fake: &FakeNotion) -> Vec<(Box<dyn Transport>, Option<FakeServer>)> {
    let server = fake.serve().await.expect("serve");
    let http = HttpTransport::with_base_url(&server.base_url()).expect("transport");
    vec![
        (Box::new(fake.clone()), None),
        (Box::new(http), Some(server)),
    ]
}

#[tokio::test]
async fn an_invalid_url_is_refused_before_the_token_is_read() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    // A token of the right shape that no integration holds (built here, not written out).
    let invalid = NotionToken::new(&format!("ntn_{}", "0".repeat(46))).unwrap();
    for (transport, _server) in transports(&fake).await {
        let t = transport.as_ref();
        for token in [&invalid, &ws.token] {
            for (method, path) in [
                (Method::Get, "/v1/invalid"),
                (Method::Post, "/v1/users/me"),
                (Method::Delete, "/v1/pages/x"),
                (Method::Get, "/v2/users"),
            ] {
                let response = send(t, method, path, token, None).await;
                assert_eq!(response.status, 400, "{method} {path}: {}", response.body);
                assert_eq!(response.body["code"], "invalid_request_url");
                assert_eq!(response.body["message"], "Invalid request URL.");
                assert!(response.body["request_id"].is_string());
            }
        }
        // A route that exists, with the invalid token: 401, as recorded.
        let response = send(t, Method::Get, "/v1/users", &invalid, None).await;
        assert_eq!(response.status, 401, "{}", response.body);
        assert_eq!(response.body["code"], "unauthorized");
        assert_eq!(response.body["message"], "API token is invalid.");
        // A route that exists with a malformed ID and an invalid token: the token first.
        let response = send(t, Method::Get, "/v1/pages/not-an-id", &invalid, None).await;
        assert_eq!(response.status, 401, "{}", response.body);
    }
}
