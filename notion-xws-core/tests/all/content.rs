//! Page content on the fake Notion: bodies copied (nested, over 100 blocks) when a database asks
//! for it, a second run that reads no body and writes nothing, an edited body replaced, an
//! unchanged body behind an edited row left alone, nothing copied when the option is off, and a
//! crash at every step of a body copy finished by the next run with no block twice.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use notion_xws_core::client::NotionClient;
use notion_xws_core::fake::LoggedRequest;
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::sync::content::{
    BlockNode, CONTENT_KEY, Losses, body_hash, convert, read_body, write_body,
};
use notion_xws_core::sync::plan::source_key;
use notion_xws_core::sync::{PairState, RunReport, sync};
use notion_xws_core::transport::{DynTransport, Method};
use notion_xws_core::{BlockId, PageId};
use serde_json::{Value, json};

use crate::audit::World;
use crate::fake_support::{ok, send, text};
use crate::sync::{Crash, acme_client, execute, small_world, target_of};

/// The small world with `rows` rows, its `system-databases` given a `Sync Content` checkbox,
/// checked for Tasks when `on`.
async fn world(rows: usize, on: bool) -> (World, Vec<PageId>) {
    let (world, _, made) = small_world(rows).await;
    let t = world.token();
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/data_sources/{}", world.databases),
        t,
        Some(json!({"properties": {"Sync Content": {"checkbox": {}}}})),
    )
    .await;
    let registry =
        notion_xws_core::registry::Registry::read(&world.client(), &RegistryConfig::default())
            .await
            .unwrap();
    let tasks = registry
        .databases
        .iter()
        .find(|d| d.name == "Tasks")
        .unwrap();
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{}", tasks.row),
        t,
        Some(json!({"properties": {"Sync Content": {"checkbox": on}}})),
    )
    .await;
    let rows = made.iter().map(|id| PageId::parse(id).unwrap()).collect();
    (world, rows)
}

fn paragraph(content: &str) -> BlockNode {
    BlockNode {
        block: json!({"type": "paragraph", "paragraph": {"rich_text": text(content)}}),
        children: Vec::new(),
    }
}

fn toggle(content: &str, children: Vec<BlockNode>) -> BlockNode {
    BlockNode {
        block: json!({"type": "toggle", "toggle": {"rich_text": text(content)}}),
        children,
    }
}

/// 250 top-level blocks, every tenth a toggle of two toggles of one paragraph: three levels.
fn big_body() -> Vec<BlockNode> {
    (0..250)
        .map(|i| {
            if i % 10 == 0 {
                toggle(
                    &format!("toggle {i}"),
                    vec![
                        toggle("a", vec![paragraph(&format!("deep a {i}"))]),
                        toggle("b", vec![paragraph(&format!("deep b {i}"))]),
                    ],
                )
            } else {
                paragraph(&format!("line {i}"))
            }
        })
        .collect()
}

/// The body of a page as the sync sees it: converted, and its hash.
async fn body_of(client: &NotionClient, page: PageId) -> (Vec<BlockNode>, String) {
    let read = read_body(client, BlockId::from(page)).await.unwrap();
    let body = convert(&read, &mut Losses::default());
    let hash = body_hash(&body);
    (body, hash)
}

/// The target row of each source row, with the environment's client.
async fn targets(world: &World, sources: &[PageId]) -> (NotionClient, Vec<PageId>) {
    let acme = acme_client(world).await;
    let target = target_of(&world.client(), "Tasks", "Acme").await.unwrap();
    let rows: Vec<notion_xws_core::model::Page> =
        futures::TryStreamExt::try_collect(acme.query_all(target, None, &[]))
            .await
            .unwrap();
    let found = sources
        .iter()
        .map(|source| {
            rows.iter()
                .find(|row| source_key(row) == Some(*source))
                .map(|row| row.id)
                .unwrap_or_else(|| panic!("no target row for {source}"))
        })
        .collect();
    (acme, found)
}

fn tasks(report: &RunReport) -> &notion_xws_core::sync::PairReport {
    report
        .pairs
        .iter()
        .find(|p| p.pair.database == "Tasks")
        .unwrap_or_else(|| panic!("no Tasks pair: {report:#?}"))
}

fn count(log: &[LoggedRequest], method: Method, suffix: &str) -> usize {
    log.iter()
        .filter(|r| r.method == method && r.path.ends_with(suffix))
        .count()
}

fn reads_of_blocks(log: &[LoggedRequest]) -> usize {
    log.iter()
        .filter(|r| r.path.starts_with("/v1/blocks/") && r.path.ends_with("/children"))
        .filter(|r| r.method == Method::Get)
        .count()
}

async fn run(world: &World) -> RunReport {
    let report = sync(
        &world.client(),
        &RegistryConfig::default(),
        &execute(),
        None,
    )
    .await
    .unwrap();
    assert!(!report.has_failures(), "{}", report.to_markdown());
    report
}

#[tokio::test(start_paused = true)]
async fn bodies_are_copied_and_a_second_run_reads_none_and_writes_nothing() {
    let (world, rows) = world(3, true).await;
    let control = world.client();
    write_body(&control, rows[0], &big_body()).await.unwrap();
    // A child page, a mention and a hosted file cannot be copied as they are.
    ok(
        &world.fake,
        Method::Post,
        "/v1/pages",
        world.token(),
        Some(json!({"parent": {"page_id": rows[1]}, "properties": {"title": {"title": text("Specs")}}})),
    )
    .await;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/blocks/{}/children", rows[1]),
        world.token(),
        Some(json!({"children": [
            {"paragraph": {"rich_text": [
                {"type": "text", "text": {"content": "see "}},
                {"type": "mention", "mention": {"page": {"id": rows[2]}}},
            ]}},
            {"image": {"type": "external", "external": {"url": "https://example.com/a.png"}}},
        ]})),
    )
    .await;

    world.fake.clear_request_log();
    let first = run(&world).await;
    assert_eq!(tasks(&first).state, PairState::Synced);
    let log = world.fake.request_log();
    println!(
        "first run: {} requests, {} block reads, {} appends",
        log.len(),
        reads_of_blocks(&log),
        count(&log, Method::Patch, "/children")
    );
    // The 250-block body in 28 appends, the small one in 1; nothing deleted in new rows.
    assert_eq!(count(&log, Method::Patch, "/children"), 28 + 1);
    assert_eq!(count(&log, Method::Delete, ""), 0);

    let (acme, target_rows) = targets(&world, &rows).await;
    let (source_body, source_hash) = body_of(&control, rows[0]).await;
    let (target_body, target_hash) = body_of(&acme, target_rows[0]).await;
    assert_eq!(target_body.len(), 250);
    assert_eq!(target_body.iter().map(BlockNode::count).sum::<usize>(), 350);
    assert_eq!((target_body, target_hash), (source_body, source_hash));
    let (small, _) = body_of(&acme, target_rows[1]).await;
    let texts: Vec<String> = small.iter().map(|n| n.block.to_string()).collect();
    assert!(
        texts[0].contains("not copied by notion-xws: child page") && texts[0].contains("Specs"),
        "{texts:?}"
    );
    assert!(
        !texts[1].contains("mention") && texts[1].contains("see "),
        "{texts:?}"
    );
    assert!(texts[2].contains("https://example.com/a.png"), "{texts:?}");
    assert!(
        tasks(&first).notes.iter().any(|n| n.contains("child page")),
        "{:?}",
        tasks(&first).notes
    );
    let (empty, _) = body_of(&acme, target_rows[2]).await;
    assert!(empty.is_empty());

    world.fake.clear_request_log();
    let second = run(&world).await;
    let log = world.fake.request_log();
    println!("second run: {} requests", log.len());
    assert_eq!(reads_of_blocks(&log), 0, "no body read: {log:#?}");
    assert_eq!(tasks(&second).writes, 0);
}

#[tokio::test(start_paused = true)]
async fn an_edited_body_is_replaced_and_an_edited_row_with_the_same_body_is_not() {
    let (world, rows) = world(2, true).await;
    let control = world.client();
    write_body(&control, rows[0], &big_body()[..30])
        .await
        .unwrap();
    write_body(&control, rows[1], &[paragraph("stays")])
        .await
        .unwrap();
    run(&world).await;

    // A minute later (Notion dates edits to the minute): the body of row 0 changes, only a
    // property of row 1 does.
    tokio::time::advance(Duration::from_secs(90)).await;
    let first_block = first_block(&control, rows[0]).await;
    ok(
        &world.fake,
        Method::Delete,
        &format!("/v1/blocks/{first_block}"),
        world.token(),
        None,
    )
    .await;
    write_body(&control, rows[0], &[paragraph("added at the end")])
        .await
        .unwrap();
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{}", rows[1]),
        world.token(),
        Some(json!({"properties": {"Notes": {"rich_text": text("edited")}}})),
    )
    .await;

    world.fake.clear_request_log();
    let report = run(&world).await;
    let log = world.fake.request_log();
    assert!(
        tasks(&report)
            .notes
            .iter()
            .any(|n| n.contains("2 body(ies) read, 1 copied, 1 unchanged")),
        "{:?}",
        tasks(&report).notes
    );
    let (acme, target_rows) = targets(&world, &rows).await;
    // Only row 0's body was rewritten: its 30 top-level blocks deleted, 30 written.
    assert_eq!(count(&log, Method::Delete, ""), 30);
    let (source_body, source_hash) = body_of(&control, rows[0]).await;
    let (target_body, target_hash) = body_of(&acme, target_rows[0]).await;
    assert_eq!(target_body.len(), 30);
    assert_eq!((target_body, target_hash), (source_body, source_hash));
    let (kept, _) = body_of(&acme, target_rows[1]).await;
    assert_eq!(kept, vec![paragraph_read("stays")]);

    world.fake.clear_request_log();
    let again = run(&world).await;
    assert_eq!(tasks(&again).writes, 0);
    assert_eq!(reads_of_blocks(&world.fake.request_log()), 0);
}

/// A paragraph as [`convert`] gives it back after a round trip through Notion.
fn paragraph_read(content: &str) -> BlockNode {
    BlockNode {
        block: json!({"type": "paragraph", "paragraph": {
            "rich_text": [{"type": "text", "text": {"content": content, "link": null},
                "annotations": {"bold": false, "italic": false, "strikethrough": false, "underline": false, "code": false, "color": "default"}}],
            "color": "default", "icon": null}}),
        children: Vec::new(),
    }
}

/// The first top-level block of a page.
async fn first_block(client: &NotionClient, page: PageId) -> BlockId {
    let blocks: Vec<notion_xws_core::model::Block> =
        futures::TryStreamExt::try_collect(client.block_children(BlockId::from(page)))
            .await
            .unwrap();
    blocks[0].id
}

#[tokio::test(start_paused = true)]
async fn with_the_option_off_no_body_is_read_or_copied() {
    for with_column in [true, false] {
        let (world, rows) = if with_column {
            world(1, false).await
        } else {
            let (world, _, made) = small_world(1).await;
            let rows = made.iter().map(|id| PageId::parse(id).unwrap()).collect();
            (world, rows)
        };
        write_body(&world.client(), rows[0], &big_body()[..5])
            .await
            .unwrap();
        let (_, report) =
            notion_xws_core::audit::audit(&world.client(), &RegistryConfig::default())
                .await
                .unwrap();
        assert!(
            !format!("{report:?}").contains("Sync Content"),
            "the audit says nothing of the optional column"
        );
        world.fake.clear_request_log();
        run(&world).await;
        let source_read = format!("/v1/blocks/{}/children", rows[0]);
        assert!(
            !world
                .fake
                .request_log()
                .iter()
                .any(|r| r.path == source_read),
            "{with_column}"
        );
        let (acme, target_rows) = targets(&world, &rows).await;
        assert!(body_of(&acme, target_rows[0]).await.0.is_empty());
        let target = target_of(&world.client(), "Tasks", "Acme").await.unwrap();
        let schema = acme.data_source(target).await.unwrap();
        assert!(!schema.properties.contains_key(CONTENT_KEY));
    }
}

#[tokio::test(start_paused = true)]
async fn a_crash_at_every_step_of_a_body_copy_converges_with_no_block_twice() {
    // 25 top-level blocks, three of them toggles of toggles: a few calls of each kind.
    let body: Vec<BlockNode> = big_body().into_iter().take(25).collect();
    let (probe, rows) = world(1, true).await;
    write_body(&probe.client(), rows[0], &body).await.unwrap();
    probe.fake.clear_request_log();
    run(&probe).await;
    let log = probe.fake.request_log();
    // The body's requests: from the first block read to the end of the run.
    let first = log
        .iter()
        .position(|r| r.path.starts_with("/v1/blocks/") && r.path.ends_with("/children"))
        .unwrap() as u64;
    let total = log.len() as u64;

    for at in (first + 1)..=total {
        for after_applying in [false, true] {
            let (world, rows) = world(1, true).await;
            let control = world.client();
            write_body(&control, rows[0], &body).await.unwrap();
            let crash = Arc::new(Crash {
                inner: world.fake.clone(),
                at,
                after_applying,
                seen: AtomicU64::new(0),
            });
            let crashing = NotionClient::new(crash as DynTransport, world.token().clone());
            let (config, options) = (RegistryConfig::default(), execute());
            let run_once = sync(&crashing, &config, &options, None);
            let stopped = tokio::time::timeout(Duration::from_secs(3600), run_once).await;
            assert!(stopped.is_err(), "the run at {at} did not stop");

            run(&world).await;
            let again = run(&world).await;
            assert_eq!(tasks(&again).writes, 0, "crash at {at} ({after_applying})");
            let (acme, target_rows) = targets(&world, &rows).await;
            let (source_body, source_hash) = body_of(&control, rows[0]).await;
            let (target_body, target_hash) = body_of(&acme, target_rows[0]).await;
            assert_eq!(
                (target_body.len(), target_hash),
                (source_body.len(), source_hash),
                "crash at {at} ({after_applying})"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn the_fake_holds_appends_to_notions_limits_and_dates_the_page() {
    let (world, rows) = world(1, true).await;
    let (fake, t) = (&world.fake, world.token());
    let path = format!("/v1/blocks/{}/children", rows[0]);
    let leaf = json!({"paragraph": {"rich_text": text("x")}});
    let with = |children: Vec<Value>| json!({"toggle": {"rich_text": [], "children": children}});
    let refused = |body: Value| {
        let path = path.clone();
        async move {
            let answer = send(fake, Method::Patch, &path, t, Some(body)).await;
            assert_eq!(answer.status, 400, "{}", answer.body);
            assert_eq!(answer.body["code"], "validation_error");
            answer.body["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        }
    };
    // 101 children in one array.
    let message = refused(json!({"children": vec![leaf.clone(); 101]})).await;
    assert!(message.contains("should be ≤ `100`"), "{message}");
    // Three levels in one request.
    let message = refused(json!({"children": [with(vec![with(vec![leaf.clone()])])]})).await;
    assert!(message.contains("two levels"), "{message}");
    // 11 toggles of 99 paragraphs: 1100 blocks in one request; 10 of them (1000) pass.
    let message = refused(json!({"children": vec![with(vec![leaf.clone(); 99]); 11]})).await;
    assert!(message.contains("`1000`"), "{message}");
    let page = ok(
        fake,
        Method::Get,
        &format!("/v1/pages/{}", rows[0]),
        t,
        None,
    )
    .await;
    let before = page["last_edited_time"].as_str().unwrap().to_owned();
    let made = ok(
        fake,
        Method::Patch,
        &path,
        t,
        Some(json!({"children": vec![with(vec![leaf.clone(); 99]); 10]})),
    )
    .await;
    assert_eq!(made["results"].as_array().unwrap().len(), 10);

    // An edit deep in the body dates the page.
    tokio::time::advance(Duration::from_secs(120)).await;
    let nested = made["results"][0]["id"].as_str().unwrap();
    ok(
        fake,
        Method::Patch,
        &format!("/v1/blocks/{nested}/children"),
        t,
        Some(json!({"children": [leaf]})),
    )
    .await;
    let page = ok(
        fake,
        Method::Get,
        &format!("/v1/pages/{}", rows[0]),
        t,
        None,
    )
    .await;
    let after = page["last_edited_time"].as_str().unwrap();
    assert!(after > before.as_str(), "{before} then {after}");
}

#[tokio::test(start_paused = true)]
async fn two_way_pairs_copy_content_from_control_to_environment_only() {
    let (world, rows) = world(2, true).await;
    let control = world.client();
    let registry = notion_xws_core::registry::Registry::read(&control, &RegistryConfig::default())
        .await
        .unwrap();
    let tasks_row = registry
        .databases
        .iter()
        .find(|d| d.name == "Tasks")
        .unwrap()
        .row;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{tasks_row}"),
        world.token(),
        Some(json!({"properties": {"Sync": {"select": {"name": "Two-Way"}}}})),
    )
    .await;
    write_body(&control, rows[0], &big_body()[..12])
        .await
        .unwrap();

    let first = run(&world).await;
    assert!(
        tasks(&first)
            .notes
            .iter()
            .any(|n| n.contains("one way only")),
        "{:?}",
        tasks(&first).notes
    );
    let (acme, target_rows) = targets(&world, &rows).await;
    assert_eq!(
        body_of(&acme, target_rows[0]).await.1,
        body_of(&control, rows[0]).await.1
    );
    let second = run(&world).await;
    assert_eq!(tasks(&second).writes, 0, "{}", second.to_markdown());

    // An edit of the environment's body stays there: content never goes back to control.
    tokio::time::advance(Duration::from_secs(90)).await;
    write_body(
        &acme,
        target_rows[1],
        &[paragraph("written in the environment")],
    )
    .await
    .unwrap();
    run(&world).await;
    assert!(body_of(&control, rows[1]).await.0.is_empty());
}
