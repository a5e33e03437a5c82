//! The fake's webhooks: a subscribed endpoint on 127.0.0.1 gets the verification request, then
//! Notion's events signed with `X-Notion-Signature`, and failed deliveries again later, with
//! a growing `attempt_number`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notion_xws_core::NotionToken;
use notion_xws_core::fake::{FakeConfig, FakeNotion, MAX_ATTEMPTS, webhook_signature};
use notion_xws_core::transport::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::fake::{V2025, id, ok, text};

/// One request the endpoint received: its headers (names in lower case) and body.
#[derive(Debug, Clone)]
struct Received {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// A webhook endpoint on 127.0.0.1: it records each request and answers the next scripted
/// status (200 once the script is used up).
struct Endpoint {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
    statuses: Arc<Mutex<VecDeque<u16>>>,
}

impl Endpoint {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/notion/hook", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let statuses = Arc::new(Mutex::new(VecDeque::new()));
        let (log, script) = (Arc::clone(&received), Arc::clone(&statuses));
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut data = Vec::new();
                let mut buf = [0u8; 4096];
                let (head_end, length) = loop {
                    let n = stream.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        break (data.len(), 0);
                    }
                    data.extend_from_slice(&buf[..n]);
                    if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&data[..end]).to_lowercase();
                        let length = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        break (end + 4, length);
                    }
                };
                while data.len() < head_end + length {
                    let n = stream.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    data.extend_from_slice(&buf[..n]);
                }
                let head =
                    String::from_utf8_lossy(&data[..head_end.saturating_sub(4)]).into_owned();
                let headers = head
                    .lines()
                    .skip(1)
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_owned()))
                    .collect();
                log.lock().unwrap().push(Received {
                    headers,
                    body: data[head_end..].to_vec(),
                });
                let status = script.lock().unwrap().pop_front().unwrap_or(200);
                let answer = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            }
        });
        Self {
            url,
            received,
            statuses,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

#[tokio::test]
async fn events_arrive_signed_after_the_verification_request() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    let endpoint = Endpoint::start().await;
    let hook = fake
        .subscribe_webhook(&ws.token, &endpoint.url, V2025)
        .unwrap();
    assert!(!format!("{hook:?}").contains(hook.verification_token()));
    let root = ws.root_page_id.to_string();
    let page = ok(
        &fake,
        Method::Post,
        "/v1/pages",
        &ws.token,
        Some(json!({"parent": {"page_id": root}, "properties": {"title": text("Hello")}})),
    )
    .await;
    ok(
        &fake,
        Method::Patch,
        &format!("/v1/pages/{}", id(&page)),
        &ws.token,
        Some(json!({"properties": {"title": text("Hello again")}})),
    )
    .await;
    let report = fake.deliver_webhooks().await;
    let kinds: Vec<&str> = report.iter().map(|d| d.event_type.as_str()).collect();
    assert_eq!(
        kinds,
        ["verification", "page.created", "page.properties_updated"]
    );
    assert!(report.iter().all(|d| d.delivered && d.status == Some(200)));
    let got = endpoint.received();
    assert_eq!(got.len(), 3);
    // The verification request: the token, unsigned.
    assert_eq!(
        got[0].json(),
        json!({"verification_token": hook.verification_token()})
    );
    assert_eq!(got[0].header("x-notion-signature"), None);
    // Events: signed with the token, in Notion's shape.
    for received in &got[1..] {
        let signature = received.header("x-notion-signature").expect("signed");
        assert_eq!(
            signature,
            webhook_signature(hook.verification_token(), &received.body)
        );
        assert_eq!(received.header("content-type"), Some("application/json"));
    }
    let created = got[1].json();
    assert_eq!(created["type"], "page.created");
    assert_eq!(created["entity"], json!({"id": id(&page), "type": "page"}));
    assert_eq!(
        created["data"]["parent"],
        json!({"id": root, "type": "page"})
    );
    assert_eq!(created["subscription_id"], hook.subscription_id.to_string());
    assert_eq!(created["workspace_id"], ws.workspace_id.to_string());
    assert_eq!(created["workspace_name"], "Acme");
    assert_eq!(created["attempt_number"], 1);
    assert_eq!(created["api_version"], V2025);
    assert_eq!(
        created["authors"],
        json!([{"id": ws.integration_id.to_string(), "type": "bot"}])
    );
    let mut keys: Vec<&String> = created.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "api_version",
            "attempt_number",
            "authors",
            "data",
            "entity",
            "id",
            "integration_id",
            "subscription_id",
            "timestamp",
            "type",
            "workspace_id",
            "workspace_name"
        ]
    );
    assert_eq!(
        got[2].json()["data"]["updated_properties"],
        json!(["title"])
    );
    // A tampered body does not match the signature.
    assert_ne!(
        webhook_signature(hook.verification_token(), b"{}"),
        got[1].header("x-notion-signature").unwrap()
    );
    assert!(fake.deliver_webhooks().await.is_empty());
}

#[tokio::test]
async fn a_failed_delivery_is_tried_again_later_up_to_eight_attempts() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    let endpoint = Endpoint::start().await;
    fake.set_webhook_retry_delay(Duration::from_millis(300));
    fake.subscribe_webhook(&ws.token, &endpoint.url, V2025)
        .unwrap();
    assert_eq!(fake.deliver_webhooks().await.len(), 1);
    endpoint.statuses.lock().unwrap().extend([500, 503]);
    let root = ws.root_page_id.to_string();
    ok(
        &fake,
        Method::Patch,
        &format!("/v1/blocks/{root}/children"),
        &ws.token,
        Some(json!({"children": [{"paragraph": {"rich_text": text("x")}}]})),
    )
    .await;
    let first = fake.deliver_webhooks().await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].event_type, "page.content_updated");
    assert_eq!(
        (first[0].status, first[0].delivered, first[0].will_retry),
        (Some(500), false, true)
    );
    // Not due yet; then due after the delay (300 ms), and again after twice that.
    assert!(fake.deliver_webhooks().await.is_empty());
    assert_eq!(fake.pending_webhooks(), 1);
    tokio::time::sleep(Duration::from_millis(350)).await;
    let second = fake.deliver_webhooks().await;
    assert_eq!((second[0].attempt_number, second[0].status), (2, Some(503)));
    tokio::time::sleep(Duration::from_millis(650)).await;
    let third = fake.deliver_webhooks().await;
    assert_eq!((third[0].attempt_number, third[0].delivered), (3, true));
    let got = endpoint.received();
    let attempts: Vec<Value> = got[1..]
        .iter()
        .map(|r| r.json()["attempt_number"].clone())
        .collect();
    assert_eq!(attempts, [json!(1), json!(2), json!(3)]);
    // The same event each time: the same ID.
    assert!(
        got[1..]
            .iter()
            .all(|r| r.json()["id"] == got[1].json()["id"])
    );
    // An endpoint that never answers: dropped after the last attempt.
    fake.set_webhook_retry_delay(Duration::ZERO);
    drop(endpoint);
    let gone = FakeNotion::new(FakeConfig::default());
    let other = gone.add_workspace("Gone");
    gone.set_webhook_retry_delay(Duration::ZERO);
    // A port nothing listens on: bound, then released.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    gone.subscribe_webhook(&other.token, &format!("http://127.0.0.1:{port}/x"), V2025)
        .unwrap();
    let mut attempts = Vec::new();
    for _ in 0..10 {
        for delivery in gone.deliver_webhooks().await {
            assert_eq!(delivery.status, None);
            attempts.push(delivery.attempt_number);
        }
    }
    assert_eq!(attempts, (1..=MAX_ATTEMPTS).collect::<Vec<_>>());
    assert_eq!(gone.pending_webhooks(), 0);
}

#[tokio::test]
async fn only_local_http_endpoints_and_known_tokens_are_subscribed() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    for url in ["https://127.0.0.1:9/x", "http://example.com/x"] {
        assert!(
            fake.subscribe_webhook(&ws.token, url, V2025).is_err(),
            "{url}"
        );
    }
}

/// Sends a `PATCH` that must succeed.
async fn patch(fake: &FakeNotion, token: &NotionToken, path: &str, body: Value) -> Value {
    ok(fake, Method::Patch, path, token, Some(body)).await
}

/// The type and entity ID of each event the endpoint got (the verification request left out).
fn events(endpoint: &Endpoint) -> Vec<(String, String)> {
    endpoint
        .received()
        .iter()
        .map(Received::json)
        .filter(|e| e.get("type").is_some())
        .map(|e| {
            let kind = e["type"].as_str().unwrap_or_default().to_owned();
            (
                kind,
                e["entity"]["id"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn databases_data_sources_and_views_send_their_events() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    let endpoint = Endpoint::start().await;
    fake.subscribe_webhook(&ws.token, &endpoint.url, V2025)
        .unwrap();
    let root = ws.root_page_id.to_string();
    let t = &fake;
    let page = |title: &'static str| {
        ok(
            t,
            Method::Post,
            "/v1/pages",
            &ws.token,
            Some(json!({"parent": {"page_id": root}, "properties": {"title": text(title)}})),
        )
    };
    let elsewhere = id(&page("Elsewhere").await);
    let (db, ds) = crate::support::fake::tasks_database(t, &ws.token, &root).await;
    let (other_db, _) = crate::support::fake::tasks_database(t, &ws.token, &root).await;
    fake.deliver_webhooks().await;
    endpoint.received.lock().unwrap().clear();

    let extra = ok(
        t,
        Method::Post,
        "/v1/data_sources",
        &ws.token,
        Some(json!({"parent": {"type": "database_id", "database_id": db}, "title": text("Extra"), "properties": {"Name": {"title": {}}}})),
    )
    .await;
    let extra = id(&extra);
    let moved = patch(
        t,
        &ws.token,
        &format!("/v1/data_sources/{extra}"),
        json!({"parent": {"type": "database_id", "database_id": other_db}}),
    )
    .await;
    assert_eq!(moved["parent"]["database_id"], other_db);
    patch(
        t,
        &ws.token,
        &format!("/v1/data_sources/{extra}"),
        json!({"in_trash": true}),
    )
    .await;
    patch(
        t,
        &ws.token,
        &format!("/v1/data_sources/{extra}"),
        json!({"in_trash": true}),
    )
    .await;
    patch(
        t,
        &ws.token,
        &format!("/v1/data_sources/{extra}"),
        json!({"in_trash": false}),
    )
    .await;
    patch(
        t,
        &ws.token,
        &format!("/v1/databases/{db}"),
        json!({"parent": {"type": "page_id", "page_id": elsewhere}}),
    )
    .await;
    patch(
        t,
        &ws.token,
        &format!("/v1/databases/{db}"),
        json!({"in_trash": true}),
    )
    .await;
    patch(
        t,
        &ws.token,
        &format!("/v1/databases/{db}"),
        json!({"in_trash": false}),
    )
    .await;
    ok(
        t,
        Method::Delete,
        &format!("/v1/blocks/{other_db}"),
        &ws.token,
        None,
    )
    .await;
    let view = ok(
        t,
        Method::Post,
        "/v1/views",
        &ws.token,
        Some(json!({"database_id": db, "data_source_id": ds, "name": "Board", "type": "board"})),
    )
    .await;
    let view = id(&view);
    patch(
        t,
        &ws.token,
        &format!("/v1/views/{view}"),
        json!({"name": "Renamed", "sorts": []}),
    )
    .await;
    ok(
        t,
        Method::Delete,
        &format!("/v1/views/{view}"),
        &ws.token,
        None,
    )
    .await;

    let report = fake.deliver_webhooks().await;
    assert!(report.iter().all(|d| d.delivered));
    let expected = [
        ("data_source.created", &extra),
        ("data_source.moved", &extra),
        ("data_source.deleted", &extra),
        ("data_source.undeleted", &extra),
        ("database.moved", &db),
        ("database.deleted", &db),
        ("database.undeleted", &db),
        ("database.deleted", &other_db),
        ("view.created", &view),
        ("view.updated", &view),
        ("view.deleted", &view),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(k, id)| ((*k).to_owned(), (*id).clone()))
        .collect();
    assert_eq!(events(&endpoint), expected);
    let got: Vec<Value> = endpoint.received().iter().map(Received::json).collect();
    assert_eq!(got[0]["entity"]["type"], "data_source");
    assert_eq!(
        got[0]["data"]["parent"],
        json!({"id": db, "type": "database"})
    );
    assert_eq!(
        got[1]["data"]["parent"],
        json!({"id": other_db, "type": "database"})
    );
    assert_eq!(
        got[4]["data"]["parent"],
        json!({"id": elsewhere, "type": "page"})
    );
    assert_eq!(got[8]["entity"], json!({"id": view, "type": "view"}));
    assert_eq!(got[8]["data"]["view_type"], "board");
    assert_eq!(
        got[8]["data"]["parent"],
        json!({"id": db, "type": "database", "data_source_id": ds})
    );
    assert_eq!(got[9]["data"]["updated_fields"], json!(["name", "sorts"]));
}

#[tokio::test]
async fn file_uploads_send_their_events_to_their_uploader() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    let other = fake.add_integration(ws.workspace_id, "Other").unwrap();
    let (mine, theirs) = (Endpoint::start().await, Endpoint::start().await);
    fake.subscribe_webhook(&ws.token, &mine.url, V2025).unwrap();
    fake.subscribe_webhook(&other.token, &theirs.url, V2025)
        .unwrap();
    let create = |body: Value| {
        ok(
            &fake,
            Method::Post,
            "/v1/file_uploads",
            &ws.token,
            Some(body),
        )
    };
    let sent = id(&create(json!({"filename": "a.txt", "content_type": "text/plain"})).await);
    let form = notion_xws_core::transport::FormData::new().with_file(
        "file",
        "a.txt",
        Some("text/plain".to_owned()),
        b"hello".to_vec(),
    );
    let request = notion_xws_core::transport::ApiRequest::new(
        Method::Post,
        format!("/v1/file_uploads/{sent}/send"),
        ws.token.clone(),
        V2025,
    )
    .with_form(form);
    let answer = notion_xws_core::transport::Transport::send(&fake, request)
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
    fake.fail_file_imports("gone.pdf");
    let imported = json!({"mode": "external_url", "filename": "b.pdf", "external_url": "https://files.example/b.pdf"});
    let imported = id(&create(imported).await);
    let failing = json!({"mode": "external_url", "filename": "gone.pdf", "external_url": "https://files.example/gone.pdf"});
    let failing = id(&create(failing).await);
    let left = id(&create(json!({"filename": "left.txt"})).await);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    fake.deliver_webhooks().await;
    let expected: Vec<(String, String)> = [
        ("file_upload.created", &sent),
        ("file_upload.completed", &sent),
        ("file_upload.created", &imported),
        ("file_upload.created", &failing),
        ("file_upload.created", &left),
        ("file_upload.completed", &imported),
        ("file_upload.upload_failed", &failing),
    ]
    .iter()
    .map(|(k, id)| ((*k).to_owned(), (*id).clone()))
    .collect();
    assert_eq!(events(&mine), expected);
    assert!(events(&theirs).is_empty(), "another integration's uploads");
    let failed = mine.received().last().unwrap().json();
    assert_eq!(
        failed["entity"],
        json!({"id": failing, "type": "file_upload"})
    );
    assert_eq!(failed["data"]["file_import_result"]["type"], "error");

    // An hour on, the uploads never attached expire (an event each, once).
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(3_601)).await;
    tokio::time::resume();
    mine.received.lock().unwrap().clear();
    fake.deliver_webhooks().await;
    let mut expired: Vec<String> = events(&mine)
        .into_iter()
        .filter(|(k, _)| k == "file_upload.expired")
        .map(|(_, id)| id)
        .collect();
    expired.sort();
    let mut unattached = vec![sent.clone(), imported.clone(), left.clone()];
    unattached.sort();
    assert_eq!(expired, unattached);
    assert!(fake.deliver_webhooks().await.is_empty());
}
