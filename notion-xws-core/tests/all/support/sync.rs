//! What the sync's tests share: the options of a run that writes, a small world with one
//! database pushed to one client, the pair and target of a run, a transport that crashes
//! after a number of writes, and row helpers.

use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use futures::TryStreamExt;
use notion_xws_core::DataSourceId;
use notion_xws_core::client::NotionClient;
use notion_xws_core::fake::FakeNotion;
use notion_xws_core::model::Page;
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::sync::{RunReport, SyncOptions, sync};
use notion_xws_core::transport::{ApiRequest, ApiResponse, Method, Transport};
use serde_json::json;

use super::fake::{id, ok, text};
use super::world::World;

/// Runs the sync with `client` and `options` (the default registry), and asserts that no pair
/// failed.
pub(crate) async fn sync_without_failures(
    client: &NotionClient,
    options: &SyncOptions,
) -> RunReport {
    let report = sync(client, &RegistryConfig::default(), options, None)
        .await
        .unwrap();
    assert!(!report.has_failures(), "{}", report.to_markdown());
    report
}

pub(crate) fn execute() -> SyncOptions {
    SyncOptions {
        execute: true,
        ..SyncOptions::default()
    }
}

pub(crate) fn pair<'a>(
    report: &'a RunReport,
    database: &str,
) -> &'a notion_xws_core::sync::PairReport {
    report
        .pairs
        .iter()
        .find(|p| p.pair.database == database)
        .unwrap_or_else(|| panic!("no pair for {database}: {report:#?}"))
}

/// Every live row of a data source, read with `client`.
pub(crate) async fn rows(client: &NotionClient, data_source: DataSourceId) -> Vec<Page> {
    client
        .query_all(data_source, None, &[])
        .try_collect()
        .await
        .unwrap()
}

/// The target data source of a pair, from the links table.
pub(crate) async fn target_of(
    control: &NotionClient,
    database: &str,
    environment: &str,
) -> Option<DataSourceId> {
    let links = notion_xws_core::sync::links::LinksTable::find(control)
        .await
        .unwrap()?;
    let registry = notion_xws_core::registry::Registry::read(control, &RegistryConfig::default())
        .await
        .unwrap();
    let db = registry.databases.iter().find(|d| d.name == database)?.row;
    let env = registry
        .environments
        .iter()
        .find(|e| e.name == environment)?
        .row;
    links
        .links
        .iter()
        .find(|l| l.database_row == Some(db) && l.environment_row == Some(env))
        .and_then(|l| l.target_data_source)
}

/// A control workspace with one source database of `rows` rows, pushed to one environment.
pub(crate) async fn small_world(rows: usize) -> (World, String, Vec<String>) {
    let (world, _acme, source, made) = small_world_in(rows).await;
    (world, source, made)
}

/// [`small_world`], with the environment's workspace (`Acme`).
pub(crate) async fn small_world_in(
    rows: usize,
) -> (
    World,
    notion_xws_core::fake::FakeWorkspace,
    String,
    Vec<String>,
) {
    let world = World::new(true).await;
    let (db, ds) = crate::support::world::create_database(
        &world.fake,
        world.token(),
        &world.library,
        "Tasks",
        json!({
            "Name": {"title": {}},
            "Notes": {"rich_text": {}},
            "Stage": {"select": {"options": [{"name": "New", "color": "blue"}]}},
            "Hours": {"number": {}},
            "Due": {"date": {}},
            "Done": {"checkbox": {}},
        }),
    )
    .await;
    let mut made = Vec::new();
    for i in 0..rows {
        let row = ok(
            &world.fake,
            Method::Post,
            "/v1/pages",
            world.token(),
            Some(json!({
                "parent": {"data_source_id": ds},
                "properties": {
                    "Name": {"title": text(&format!("Row {i}"))},
                    "Notes": {"rich_text": text(&format!("note {i}"))},
                    "Stage": {"select": {"name": if i % 2 == 0 { "New" } else { "Later" }}},
                    "Hours": {"number": i as f64 * 1.5},
                    "Due": {"date": {"start": format!("2026-12-{:02}", i % 28 + 1)}},
                    "Done": {"checkbox": i % 3 == 0},
                },
            })),
        )
        .await;
        made.push(id(&row));
    }
    let acme = world
        .sync_to_new_workspace("Acme", &[("Tasks", "Push", &db, &ds)])
        .await;
    (world, acme, ds, made)
}

/// A transport that stops answering at its `at`-th request, before or after passing it on: the
/// process dies there. Requests sent after it (by writes running at once) never reach Notion;
/// those sent before it may still land, as they would when a process dies.
#[derive(Debug)]
pub(crate) struct Crash {
    pub(crate) inner: FakeNotion,
    pub(crate) at: u64,
    pub(crate) after_applying: bool,
    pub(crate) seen: AtomicU64,
}

#[async_trait]
impl Transport for Crash {
    async fn send(&self, request: ApiRequest) -> notion_xws_core::Result<ApiResponse> {
        let n = self.seen.fetch_add(1, Ordering::SeqCst) + 1;
        if n >= self.at {
            if n == self.at && self.after_applying {
                let _ = self.inner.send(request.clone()).await;
            }
            std::future::pending::<()>().await;
        }
        self.inner.send(request).await
    }
}

/// The client of the small world's environment (its token from the registry).
pub(crate) async fn acme_client(world: &World) -> NotionClient {
    let control = world.client();
    let registry = notion_xws_core::registry::Registry::read(&control, &RegistryConfig::default())
        .await
        .unwrap();
    let env = registry
        .environments
        .iter()
        .find(|e| e.name == "Acme")
        .unwrap();
    let token = env.token.resolve().unwrap().unwrap();
    control.for_token(token)
}

/// The small world, its one database synced both ways.
pub(crate) async fn two_way_world(rows: usize) -> (World, String, Vec<String>) {
    let (world, source, made) = small_world(rows).await;
    world.set_sync("Tasks", "Two-Way").await;
    (world, source, made)
}

/// How many rows hold `value` (in canonical form) in `property`.
pub(crate) fn count_where(rows: &[Page], property: &str, value: serde_json::Value) -> usize {
    rows.iter()
        .filter(|row| {
            row.properties
                .get(property)
                .and_then(notion_xws_core::sync::values::canonical)
                .is_some_and(|c| c.value == value)
        })
        .count()
}

pub(crate) fn live_titles(rows: &[Page]) -> Vec<String> {
    let mut titles: Vec<String> = rows.iter().map(Page::title).collect();
    titles.sort();
    titles
}

/// A small world of 4 rows synced to Acme, then 3 of its source rows trashed: a run past the
/// max-delete guard. The world, the control client and the registry's config.
pub(crate) async fn synced_then_mostly_trashed() -> (World, NotionClient, RegistryConfig) {
    let (world, _source, rows) = small_world(4).await;
    let control = world.client();
    let config = RegistryConfig::default();
    sync(&control, &config, &execute(), None).await.unwrap();
    for row in &rows[..3] {
        ok(
            &world.fake,
            Method::Patch,
            &format!("/v1/pages/{row}"),
            world.token(),
            Some(json!({"in_trash": true})),
        )
        .await;
    }
    (world, control, config)
}

/// Every query of `data_source`'s rows answers 503 from now on, past the retries of a read.
pub(crate) fn fail_every_query_of(fake: &FakeNotion, data_source: &str) {
    for _ in 0..20 {
        fake.fail_next(
            Some(Method::Post),
            &format!("/v1/data_sources/{data_source}/query"),
            notion_xws_core::fake::Fault::ServiceUnavailable,
        );
    }
}

/// The number (counting every request since the fake was made, from 1, as
/// [`FakeNotion::fail_request`] does) of the `k`-th request (from 1) with `method` to exactly
/// `path` among those `fake` received after its first `skip`.
pub(crate) fn nth_request(
    fake: &FakeNotion,
    skip: usize,
    method: Method,
    path: &str,
    k: usize,
) -> u64 {
    let log = fake.request_log();
    let index = log
        .iter()
        .enumerate()
        .skip(skip)
        .filter(|(_, r)| r.method == method && r.path == path)
        .nth(k - 1)
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("no {k}th {method:?} {path}"));
    index as u64 + 1
}

/// Writes `properties` into the small world's one `system-environments` row (Acme's).
pub(crate) async fn set_environment(world: &World, properties: serde_json::Value) {
    let registry =
        notion_xws_core::registry::Registry::read(&world.client(), &RegistryConfig::default())
            .await
            .unwrap();
    let row = registry.environments[0].row;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{row}"),
        world.token(),
        Some(json!({ "properties": properties })),
    )
    .await;
}

/// A sync of `world` whose process dies at its `at`-th request ([`Crash`]): it must stop there.
pub(crate) async fn crash_sync(world: &World, at: u64, after_applying: bool) {
    let crash = std::sync::Arc::new(Crash {
        inner: world.fake.clone(),
        at,
        after_applying,
        seen: AtomicU64::new(0),
    });
    let crashing = NotionClient::new(
        crash as notion_xws_core::transport::DynTransport,
        world.token().clone(),
    );
    let stopped = tokio::time::timeout(
        std::time::Duration::from_secs(3600),
        sync(&crashing, &RegistryConfig::default(), &execute(), None),
    )
    .await;
    assert!(stopped.is_err(), "the run at {at} did not stop");
}

/// The control client of one process: its own stack and rate budget over the world's fake (two
/// of them are two runs at once on two machines).
pub(crate) fn process(world: &World) -> NotionClient {
    notion_xws_core::client::connect::connect(
        notion_xws_core::client::connect::Endpoint::InMemory(
            std::sync::Arc::new(world.fake.clone()) as notion_xws_core::transport::DynTransport,
        ),
        world.token().clone(),
        notion_xws_core::client::NotionVersion::LATEST,
        notion_xws_core::rate::RateBudget::NOTION_DEFAULT,
        notion_xws_core::transport::retry::DEFAULT_MAX_WAIT,
    )
    .unwrap()
}

/// That a full reconcile of the registry (a dry run, conflicts reported) plans no write for the
/// pair of `database` and reports `open` conflicts left open (those the run before it reported):
/// the runs before it made what it would have made.
pub(crate) async fn assert_full_reconcile_plans_nothing(
    control: &NotionClient,
    database: &str,
    open: usize,
    context: &str,
) {
    let options = SyncOptions {
        incremental: notion_xws_core::sync::watermark::IncrementalOptions {
            full: true,
            ..Default::default()
        },
        conflict_policy: notion_xws_core::sync::two_way::ConflictPolicy::Report,
        ..SyncOptions::default()
    };
    let check = sync(control, &RegistryConfig::default(), &options, None)
        .await
        .unwrap();
    let planned = pair(&check, database);
    assert_eq!(
        (planned.created, planned.updated, planned.trashed),
        (0, 0, 0),
        "{context}: a full reconcile would write: {}",
        check.to_markdown()
    );
    assert_eq!(planned.open_conflicts, open, "{context}: {planned:#?}");
}
