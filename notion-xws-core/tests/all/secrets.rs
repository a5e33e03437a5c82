//! A canary token planted in a failing run never shows in any output: errors (Display and
//! Debug), logs at every level, the request record, the client's Debug, a panic message.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notion_xws_core::NotionToken;
use notion_xws_core::client::NotionClient;
use notion_xws_core::transport::http::{HttpConfig, HttpTransport};
use notion_xws_core::transport::retry::RetryConfig;
use notion_xws_core::transport::stack::{StackConfig, TransportStack};
use notion_xws_core::transport::{DynTransport, Method};
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Built at run time so that no token-shaped string sits in the source.
fn canary() -> String {
    format!("ntn_{}", "CANARY".repeat(8))
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_canary_token_never_shows() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "object": "error", "status": 401, "code": "unauthorized",
            "message": "API token is invalid.", "request_id": "2f3f62ed-c8e9-4523-9202-094a910f7132"})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_raw("<html>oops</html>", "text/html"))
        .mount(&server)
        .await;
    let http = HttpTransport::with_config(HttpConfig {
        base_url: server.uri(),
        timeout: Duration::from_secs(5),
        ..HttpConfig::default()
    })
    .unwrap();
    let stack = TransportStack::new(
        Arc::new(http) as DynTransport,
        StackConfig {
            retry: RetryConfig {
                initial_backoff: Duration::from_millis(1),
                max_attempts: 3,
                ..RetryConfig::default()
            },
            ..StackConfig::default()
        },
    );
    let token = NotionToken::new(&canary()).unwrap();
    stack.recorder().label_token(&token, "acme");
    let client = NotionClient::new(stack.transport(), token.clone());

    let mut outputs = Vec::new();
    let unauthorized = client
        .send::<Value>(client.request(Method::Get, "/v1/users/me"))
        .await
        .unwrap_err();
    let query = client
        .send::<Value>(
            client
                .request(Method::Post, "/v1/data_sources/x/query")
                .with_body(json!({})),
        )
        .await
        .unwrap_err();
    let write = client
        .send::<Value>(
            client
                .request(Method::Post, "/v1/pages")
                .with_body(json!({})),
        )
        .await
        .unwrap_err();
    for error in [&unauthorized, &query, &write] {
        outputs.push(format!("{error}"));
        outputs.push(format!("{error:?}"));
    }
    outputs.push(format!("{client:?}"));
    outputs.push(format!("{token:?}"));
    outputs.push(format!("{:?}", stack.recorder().requests()));
    outputs.push(serde_json::to_string(&stack.recorder().requests()).unwrap());
    let panic = std::panic::catch_unwind(|| panic!("failed with {token:?}")).unwrap_err();
    outputs.push(panic.downcast_ref::<String>().cloned().unwrap_or_default());
    outputs.push(String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned());

    assert!(
        outputs
            .last()
            .is_some_and(|logs| logs.contains("trying again in")),
        "the logs were captured"
    );
    for output in &outputs {
        assert!(
            !output.contains(&canary()),
            "the token leaked into: {output}"
        );
        assert!(
            !output.contains("CANARYCANARY"),
            "part of the token leaked into: {output}"
        );
    }
}
