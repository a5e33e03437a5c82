//! Page content against the fake Notion on tokio's paused clock: what copying bodies costs, and
//! what a small edit of a large body costs.
//!
//! The world: the control workspace with the registry and one source database of [`ROWS`] rows,
//! pushed to one environment, with `Sync Content` ticked; each row's body is [`body`]: 120
//! paragraphs and a toggle of 10 (131 blocks). Same budget and latency as `sim_sync` (Notion's
//! 180 requests a minute per token, 300 ms per request). Scenarios, with the real
//! [`sync`](notion_xws_core::sync::sync) (`execute = true`), a few minutes apart: (f0) the first
//! sync, every body copied; (f1) a re-sync with nothing changed; (f2) one paragraph of one body
//! edited; (f3) one paragraph of every body edited; (f4) in one body, a paragraph inserted in the
//! middle and another removed. For each: requests (both workspaces), the writes to the copy's
//! workspace (and of them, the block writes: appends, block updates, block removals; the pair's
//! lease and link row, in the control workspace, are not counted), simulated seconds. After each, every copy is read
//! back and compared with its source.
//!
//! Everything runs on one paused current-thread runtime, so the figures are exact and repeatable.

use std::sync::Arc;
use std::time::Duration;

use benches::api::{is_write, ok, text};
use benches::world::{World, WorldSpec};
use futures::TryStreamExt;
use notion_xws_core::client::NotionClient;
use notion_xws_core::fake::{FakeConfig, LoggedRequest};
use notion_xws_core::rate::RateBudget;
use notion_xws_core::registry::{Registry, RegistryConfig};
use notion_xws_core::sync::content::{
    BlockNode, Losses, body_hash, convert, read_body, write_body,
};
use notion_xws_core::sync::one_way::plan::source_key;
use notion_xws_core::sync::{PairState, SyncOptions, sync};
use notion_xws_core::transport::stack::{StackConfig, TransportStack};
use notion_xws_core::transport::{DynTransport, Method};
use notion_xws_core::{BlockId, PageId};
use serde_json::json;
use tokio::time::Instant;

/// Rows of the source database, each with a body.
const ROWS: usize = 20;
/// Notion's budget per token.
const BUDGET: RateBudget = RateBudget::NOTION_DEFAULT;
/// How long the fake takes to answer each request.
const LATENCY: Duration = Duration::from_millis(300);
/// The most wall-clock time the whole benchmark may take.
const WALL_LIMIT: Duration = Duration::from_secs(300);

/// A paragraph.
fn paragraph(content: &str) -> BlockNode {
    BlockNode {
        block: json!({"type": "paragraph", "paragraph": {"rich_text": text(content)}}),
        children: Vec::new(),
    }
}

/// The body of row `row`: 120 paragraphs, the 61st place a toggle of 10 (131 blocks).
fn body(row: usize) -> Vec<BlockNode> {
    let mut body: Vec<BlockNode> = (0..120)
        .map(|i| paragraph(&format!("row {row}, line {i}")))
        .collect();
    body.insert(
        60,
        BlockNode {
            block: json!({"type": "toggle", "toggle": {"rich_text": text("details")}}),
            children: (0..10)
                .map(|i| paragraph(&format!("row {row}, detail {i}")))
                .collect(),
        },
    );
    body
}

/// What one run cost.
struct Measured {
    name: &'static str,
    requests: usize,
    writes: usize,
    block_writes: usize,
    simulated: Duration,
}

/// Whether a logged request writes a block (an append, an update, a removal).
fn is_block_write(line: &LoggedRequest) -> bool {
    line.path.starts_with("/v1/blocks/") && line.method != Method::Get
}

/// Runs the sync once, as `control`, and measures it.
async fn run(world: &World, control: &NotionClient, name: &'static str) -> Measured {
    world.fake.clear_request_log();
    let options = SyncOptions {
        execute: true,
        ..SyncOptions::default()
    };
    let start = Instant::now();
    let report = sync(control, &RegistryConfig::default(), &options, None)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let simulated = start.elapsed();
    for pair in &report.pairs {
        assert_eq!(
            pair.state,
            PairState::Synced,
            "{name}: {}",
            report.to_markdown()
        );
    }
    let log = world.fake.request_log();
    // The copy's writes: the pair's lease and link row are the control workspace's.
    let copy = world.environments[0].name.as_str();
    Measured {
        name,
        requests: log.len(),
        writes: log
            .iter()
            .filter(|l| is_write(l.method, &l.path) && l.workspace.as_deref() == Some(copy))
            .count(),
        block_writes: log.iter().filter(|l| is_block_write(l)).count(),
        simulated,
    }
}

/// The body of a page as the sync compares it: its hash.
async fn hash_of(client: &NotionClient, page: PageId) -> String {
    let read = read_body(client, BlockId::from(page))
        .await
        .expect("a body");
    body_hash(&convert(&read, &mut Losses::default()))
}

/// Checks every copy's body against its source's.
async fn check_bodies(world: &World, name: &str) {
    let setup = world.setup_client(world.setup_token.clone());
    let environment = world.setup_client(world.environments[0].workspace.token.clone());
    let copies: Vec<_> = environment
        .search_data_sources("Tasks")
        .try_collect()
        .await
        .expect("the copy");
    let copy = copies.first().expect("one copy").id;
    let rows: Vec<_> = environment
        .query_all(copy, None, &[])
        .try_collect()
        .await
        .expect("the copy's rows");
    for source in &world.source_rows {
        let source: PageId = source.parse().expect("an ID");
        let target = rows
            .iter()
            .find(|row| source_key(row) == Some(source))
            .unwrap_or_else(|| panic!("{name}: no copy of {source}"));
        assert_eq!(
            hash_of(&environment, target.id).await,
            hash_of(&setup, source).await,
            "{name}: the copy of {source} differs"
        );
    }
}

/// The ID of the `index`-th top-level block of a page.
async fn block_at(client: &NotionClient, page: &str, index: usize) -> String {
    let page: PageId = page.parse().expect("an ID");
    let blocks: Vec<_> = client
        .block_children(BlockId::from(page))
        .try_collect()
        .await
        .expect("the body");
    blocks[index].id.to_string()
}

fn main() {
    std::thread::spawn(|| {
        std::thread::sleep(WALL_LIMIT);
        eprintln!("sim_content: stopped after {WALL_LIMIT:?} of wall clock");
        std::process::exit(2);
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let world = World::build(&WorldSpec {
            rows: ROWS,
            environments: 1,
            fake: FakeConfig {
                per_token: Some(BUDGET),
                latency: LATENCY,
                ..FakeConfig::default()
            },
            sync: "Push",
        })
        .await;
        let (setup, t) = (world.setup.as_ref(), &world.setup_token);
        // `Sync Content` on the registry, ticked for the source.
        ok(
            setup,
            Method::Patch,
            &format!("/v1/data_sources/{}", world.databases_data_source),
            t,
            Some(json!({"properties": {"Sync Content": {"checkbox": {}}}})),
        )
        .await;
        let registry_client = world.setup_client(t.clone());
        let registry = Registry::read(&registry_client, &RegistryConfig::default())
            .await
            .expect("the registry");
        for database in &registry.databases {
            ok(
                setup,
                Method::Patch,
                &format!("/v1/pages/{}", database.row),
                t,
                Some(json!({"properties": {"Sync Content": {"checkbox": true}}})),
            )
            .await;
        }
        let writer = world.setup_client(t.clone());
        for (i, row) in world.source_rows.iter().enumerate() {
            write_body(&writer, row.parse().expect("an ID"), &body(i))
                .await
                .expect("a body written");
        }

        let stack = TransportStack::new(
            Arc::new(world.fake.clone()) as DynTransport,
            StackConfig {
                budget: BUDGET,
                ..StackConfig::default()
            },
        );
        let control = NotionClient::new(stack.transport(), world.control.token.clone());
        let pause = || tokio::time::sleep(Duration::from_secs(120));
        let edit = |row: &str, index: usize, content: String| {
            let (writer, setup, t) = (&writer, setup, t);
            let row = row.to_owned();
            async move {
                let block = block_at(writer, &row, index).await;
                ok(
                    setup,
                    Method::Patch,
                    &format!("/v1/blocks/{block}"),
                    t,
                    Some(json!({"paragraph": {"rich_text": text(&content)}})),
                )
                .await;
            }
        };
        let mut measured = Vec::new();
        pause().await;
        measured.push(run(&world, &control, "(f0) first sync, every body copied").await);
        check_bodies(&world, "(f0)").await;
        pause().await;
        measured.push(run(&world, &control, "(f1) unchanged").await);
        pause().await;
        edit(&world.source_rows[0], 100, "edited once".to_owned()).await;
        pause().await;
        measured.push(run(&world, &control, "(f2) one paragraph of one body edited").await);
        check_bodies(&world, "(f2)").await;
        pause().await;
        for (i, row) in world.source_rows.iter().enumerate() {
            edit(row, 10 + i, format!("edited in row {i}")).await;
        }
        pause().await;
        measured.push(run(&world, &control, "(f3) one paragraph of every body edited").await);
        check_bodies(&world, "(f3)").await;
        pause().await;
        let row = &world.source_rows[1];
        let removed = block_at(&writer, row, 30).await;
        ok(setup, Method::Delete, &format!("/v1/blocks/{removed}"), t, None).await;
        let after = block_at(&writer, row, 80).await;
        ok(
            setup,
            Method::Patch,
            &format!("/v1/blocks/{row}/children"),
            t,
            Some(json!({"children": [{"paragraph": {"rich_text": text("inserted")}}], "after": after})),
        )
        .await;
        pause().await;
        measured.push(
            run(&world, &control, "(f4) one body: a paragraph inserted, another removed").await,
        );
        check_bodies(&world, "(f4)").await;

        println!("### `sim_content`: page content, {ROWS} rows with bodies of 131 blocks, one environment\n");
        println!("| scenario | requests | writes | of them block writes | simulated (s) |");
        println!("|---|---:|---:|---:|---:|");
        for m in &measured {
            println!(
                "| {} | {} | {} | {} | {:.1} |",
                m.name,
                m.requests,
                m.writes,
                m.block_writes,
                m.simulated.as_secs_f64()
            );
        }
    });
}
