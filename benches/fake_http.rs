//! The fake Notion's throughput over HTTP: requests per second, wall clock.
//!
//! The fake serves on 127.0.0.1; [`CLIENTS`] concurrent clients, each an [`HttpTransport`] of its
//! own (its own connection pool) with the token of one of [`WORKSPACES`] workspaces, send
//! [`REQUESTS`] requests between them: one in five creates a row in a data source, one in five
//! queries 100 rows of it, the rest retrieve a row. Each workspace starts with a database of
//! [`SEED_ROWS`] rows, made in memory before the clock starts. Every answer must be a 200. The
//! run is bounded by the count and by [`TIME_LIMIT`]; it prints one line.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use notion_xws_core::NotionToken;
use notion_xws_core::fake::{FakeConfig, FakeNotion};
use notion_xws_core::transport::http::HttpTransport;
use notion_xws_core::transport::{ApiRequest, Method, Transport};
use serde_json::{Value, json};

/// How many requests the run sends in all.
const REQUESTS: usize = 5_000;
/// How many clients send them concurrently.
const CLIENTS: usize = 12;
/// How many workspaces the clients share (client `i` uses workspace `i % WORKSPACES`).
const WORKSPACES: usize = 4;
/// Rows in each workspace's data source before the run.
const SEED_ROWS: usize = 200;
/// The run stops sending after this long, whatever the count.
const TIME_LIMIT: Duration = Duration::from_secs(120);
/// The API version sent.
const VERSION: &str = "2025-09-03";

/// A workspace ready for the run: its token, its data source, and the rows to retrieve.
struct Workspace {
    token: NotionToken,
    data_source: String,
    rows: Vec<String>,
}

fn row(data_source: &str, n: usize) -> Value {
    json!({
        "parent": {"type": "data_source_id", "data_source_id": data_source},
        "properties": {
            "Name": {"title": [{"text": {"content": format!("Task {n}")}}]},
            "Points": {"number": n},
        },
    })
}

async fn send_ok(transport: &dyn Transport, request: ApiRequest) -> Value {
    let operation = request.operation();
    let response = transport
        .send(request)
        .await
        .unwrap_or_else(|e| panic!("{operation}: {e}"));
    assert_eq!(response.status, 200, "{operation}: {}", response.body);
    response.body
}

/// Makes a workspace with a database of [`SEED_ROWS`] rows, in memory.
async fn prepare(fake: &FakeNotion, name: &str) -> Workspace {
    let workspace = fake.add_workspace(name);
    let token = workspace.token;
    let database = send_ok(
        fake,
        ApiRequest::new(Method::Post, "/v1/databases", token.clone(), VERSION).with_body(json!({
            "parent": {"type": "page_id", "page_id": workspace.root_page_id.to_string()},
            "title": [{"text": {"content": "Tasks"}}],
            "initial_data_source": {"properties": {
                "Name": {"title": {}},
                "Points": {"number": {}},
            }},
        })),
    )
    .await;
    let data_source = database["data_sources"][0]["id"]
        .as_str()
        .expect("a data source ID")
        .to_owned();
    let mut rows = Vec::with_capacity(SEED_ROWS);
    for n in 0..SEED_ROWS {
        let request = ApiRequest::new(Method::Post, "/v1/pages", token.clone(), VERSION)
            .with_body(row(&data_source, n));
        let page = send_ok(fake, request).await;
        rows.push(page["id"].as_str().expect("a page ID").to_owned());
    }
    Workspace {
        token,
        data_source,
        rows,
    }
}

/// Request number `i` of the mix, for this workspace.
fn request(workspace: &Workspace, i: usize) -> ApiRequest {
    let token = workspace.token.clone();
    match i % 5 {
        0 => ApiRequest::new(Method::Post, "/v1/pages", token, VERSION)
            .with_body(row(&workspace.data_source, SEED_ROWS + i)),
        1 => ApiRequest::new(
            Method::Post,
            format!("/v1/data_sources/{}/query", workspace.data_source),
            token,
            VERSION,
        )
        .with_body(json!({"page_size": 100})),
        _ => {
            // A spread of the seeded rows (7919 is prime).
            let id = &workspace.rows[(i * 7919) % workspace.rows.len()];
            ApiRequest::new(Method::Get, format!("/v1/pages/{id}"), token, VERSION)
        }
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let fake = FakeNotion::new(FakeConfig::default());
    let mut workspaces = Vec::with_capacity(WORKSPACES);
    for w in 0..WORKSPACES {
        workspaces.push(Arc::new(prepare(&fake, &format!("Workspace {w}")).await));
    }
    let server = fake.serve().await.expect("the fake serves");
    let base_url = server.base_url();

    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut clients = Vec::with_capacity(CLIENTS);
    for c in 0..CLIENTS {
        let workspace = Arc::clone(&workspaces[c % WORKSPACES]);
        let next = Arc::clone(&next);
        let transport = HttpTransport::with_base_url(&base_url).expect("a loopback base URL");
        clients.push(tokio::spawn(async move {
            let mut sent = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= REQUESTS || started.elapsed() > TIME_LIMIT {
                    return sent;
                }
                let body = send_ok(&transport, request(&workspace, i)).await;
                if i % 5 == 1 {
                    let results = body["results"].as_array().map_or(0, Vec::len);
                    assert_eq!(results, 100, "a query answers 100 rows");
                }
                sent += 1;
            }
        }));
    }
    let mut sent = 0;
    for client in clients {
        sent += client.await.expect("a client finished");
    }
    let elapsed = started.elapsed();
    server.shutdown().await;

    let seconds = elapsed.as_secs_f64();
    println!(
        "fake_http: {sent} requests (creates, retrieves, 100-row queries: 1:3:1) from {CLIENTS} \
         clients over HTTP in {seconds:.2} s: {:.0} requests/s",
        sent as f64 / seconds
    );
    assert_eq!(
        sent, REQUESTS,
        "the time limit stopped the run before the count"
    );
}
