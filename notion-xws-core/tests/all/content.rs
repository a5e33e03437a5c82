//! Page content on the fake Notion: bodies copied (nested, over 100 blocks) when a database asks
//! for it, a second run that reads no body and writes nothing, an edited body replaced, an
//! unchanged body behind an edited row left alone, nothing copied when the option is off, and a
//! crash at every step of a body copy finished by the next run with no block twice; hosted
//! images and files re-imported into the target (a note for one that cannot be, a fresh read of
//! a block whose URL expired), the fake's media blocks that attach uploads, and every block type
//! the sync writes sent in its request form and read back the same.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use notion_xws_core::client::NotionClient;
use notion_xws_core::fake::LoggedRequest;
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::sync::content::{
    BlockNode, CONTENT_KEY, Losses, body_hash, convert, read_body, write_body,
};
use notion_xws_core::sync::one_way::plan::source_key;
use notion_xws_core::sync::{PairState, RunReport, sync};
use notion_xws_core::transport::{DynTransport, Method};
use notion_xws_core::{BlockId, PageId};
use serde_json::{Value, json};

use crate::files::hosted_file;
use crate::support::fake::{id, ok, send, text};
use crate::support::sync::{
    Crash, acme_client, execute, small_world, sync_without_failures, target_of,
};
use crate::support::world::World;

/// The small world with `rows` rows, its `system-databases` given a `Sync Content` checkbox,
/// checked for Tasks when `on`.
pub(crate) async fn world(rows: usize, on: bool) -> (World, Vec<PageId>) {
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
            .any(|n| n.contains("2 bodies read, 1 copied, 1 unchanged")),
        "{:?}",
        tasks(&report).notes
    );
    let (acme, target_rows) = targets(&world, &rows).await;
    // Only row 0's body was written, and only where it changed: its first block removed, one
    // block added at the end.
    assert_eq!(count(&log, Method::Delete, ""), 1);
    assert_eq!(count(&log, Method::Patch, "/children"), 1);
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
            "rich_text": [{"type": "text", "text": {"content": content},
                "annotations": {"bold": false, "italic": false, "strikethrough": false, "underline": false, "code": false, "color": "default"}}],
            "color": "default"}}),
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
    // Four levels in one request (three, two levels of nesting, pass).
    let deep = with(vec![with(vec![with(vec![leaf.clone()])])]);
    let message = refused(json!({"children": [deep]})).await;
    assert!(
        message.starts_with(
            "body failed validation: body.children[0].toggle.children[0].toggle.children[0].toggle.children should be not present, instead was `["
        ),
        "{message}"
    );
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
    world.set_sync("Tasks", "Two-Way").await;
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

/// A body of `rows[0]` with a hosted image (captioned), a hosted file under a toggle, an external
/// image and two paragraphs; the uploads are made in the control workspace.
async fn body_with_hosted_media(world: &World, row: PageId) {
    let image = hosted_file(world, world.token(), "diagram.png").await;
    let spec = hosted_file(world, world.token(), "spec.pdf").await;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/blocks/{row}/children"),
        world.token(),
        Some(json!({"children": [
            {"paragraph": {"rich_text": text("before")}},
            {"image": {"type": "file_upload", "file_upload": image["file_upload"],
                       "caption": text("the diagram")}},
            {"toggle": {"rich_text": text("inside"), "children": [
                {"file": {"type": "file_upload", "file_upload": spec["file_upload"]}},
            ]}},
            {"image": {"type": "external", "external": {"url": "https://example.com/a.png"}}},
            {"paragraph": {"rich_text": text("after")}},
        ]})),
    )
    .await;
}

/// The media blocks of a page's body as read (nested ones included), in order.
async fn media_of(client: &NotionClient, page: PageId) -> Vec<Value> {
    fn walk(blocks: &[notion_xws_core::sync::content::SourceBlock], out: &mut Vec<Value>) {
        for source in blocks {
            if ["image", "file", "pdf", "video", "audio"]
                .contains(&source.block.block_type.as_str())
            {
                let mut content = source.block.content.clone().unwrap_or_default();
                content["block_type"] = json!(source.block.block_type);
                out.push(content);
            }
            walk(&source.children, out);
        }
    }
    let mut out = Vec::new();
    walk(
        &read_body(client, BlockId::from(page)).await.unwrap(),
        &mut out,
    );
    out
}

fn single_block_reads(log: &[LoggedRequest]) -> usize {
    log.iter()
        .filter(|r| r.method == Method::Get && r.path.starts_with("/v1/blocks/"))
        .filter(|r| !r.path.ends_with("/children"))
        .count()
}

#[tokio::test(start_paused = true)]
async fn hosted_media_arrive_as_files_hosted_by_the_target_and_a_second_run_writes_nothing() {
    let (world, rows) = world(2, true).await;
    let control = world.client();
    body_with_hosted_media(&world, rows[0]).await;

    world.fake.clear_request_log();
    let first = run(&world).await;
    let log = world.fake.request_log();
    let uploads: Vec<&LoggedRequest> = log
        .iter()
        .filter(|r| r.path.starts_with("/v1/file_uploads"))
        .collect();
    let created = uploads.iter().filter(|r| r.method == Method::Post).count();
    println!(
        "hosted media: {} file-upload requests for 2 media blocks ({created} created), {} block re-reads",
        uploads.len(),
        single_block_reads(&log)
    );
    assert_eq!(created, 2);
    // One creation and one status check each: the import takes 1 s, the first check is at 2 s.
    assert_eq!(uploads.len(), 4);
    assert_eq!(single_block_reads(&log), 0, "the URLs as read were fresh");
    // Made in the workspace written to: the one of the appends.
    let target_workspace = log
        .iter()
        .find(|r| r.method == Method::Patch && r.path.ends_with("/children"))
        .and_then(|r| r.workspace.clone());
    assert!(target_workspace.is_some());
    assert!(uploads.iter().all(|r| r.workspace == target_workspace));
    assert!(
        tasks(&first)
            .notes
            .iter()
            .any(|n| n.contains("2 Notion-hosted files re-imported")),
        "{:?}",
        tasks(&first).notes
    );

    let (acme, target_rows) = targets(&world, &rows).await;
    let (source_media, target_media) = (
        media_of(&control, rows[0]).await,
        media_of(&acme, target_rows[0]).await,
    );
    assert_eq!(target_media.len(), 3, "{target_media:#?}");
    for (source, target) in source_media.iter().zip(&target_media) {
        assert_eq!(source["block_type"], target["block_type"]);
        assert_eq!(source["type"], target["type"]);
        assert_eq!(source["caption"], target["caption"]);
    }
    let (image, file) = (&target_media[0], &target_media[1]);
    assert_eq!(image["type"], "file", "hosted by the target: {image}");
    let url = image["file"]["url"].as_str().unwrap();
    assert!(url.contains("/diagram.png?X-Amz-"), "{url}");
    assert_ne!(
        url.split('?').next(),
        source_media[0]["file"]["url"]
            .as_str()
            .unwrap()
            .split('?')
            .next(),
        "a file of its own, not a link to the source's"
    );
    assert_eq!(image["caption"][0]["text"]["content"], "the diagram");
    assert_eq!(
        (file["type"].as_str(), file["name"].as_str()),
        (Some("file"), Some("spec.pdf"))
    );
    assert_eq!(
        target_media[2]["external"]["url"],
        "https://example.com/a.png"
    );
    assert_eq!(
        body_of(&acme, target_rows[0]).await.1,
        body_of(&control, rows[0]).await.1,
        "the same body, whatever the signed URLs"
    );

    world.fake.clear_request_log();
    let second = run(&world).await;
    assert_eq!(tasks(&second).writes, 0);
    assert_eq!(reads_of_blocks(&world.fake.request_log()), 0);

    // A minute and a half later every URL is signed anew; an edit of the row makes the sync read
    // the body again, and find it unchanged.
    tokio::time::advance(Duration::from_secs(90)).await;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{}", rows[0]),
        world.token(),
        Some(json!({"properties": {"Notes": {"rich_text": text("edited")}}})),
    )
    .await;
    world.fake.clear_request_log();
    let third = run(&world).await;
    let log = world.fake.request_log();
    assert!(reads_of_blocks(&log) > 0, "the body was read again");
    assert!(!log.iter().any(|r| r.path.starts_with("/v1/file_uploads")));
    assert_eq!(count(&log, Method::Patch, "/children"), 0);
    assert_eq!(count(&log, Method::Delete, ""), 0);
    assert!(
        tasks(&third)
            .notes
            .iter()
            .any(|n| n.contains("1 body read, 0 copied, 1 unchanged")),
        "{:?}",
        tasks(&third).notes
    );
}

#[tokio::test(start_paused = true)]
async fn a_file_that_cannot_be_reimported_leaves_a_note_and_the_rest_of_the_body() {
    let (world, rows) = world(1, true).await;
    body_with_hosted_media(&world, rows[0]).await;
    world.fake.fail_file_imports("diagram.png");

    let config = RegistryConfig::default();
    let report = sync(&world.client(), &config, &execute(), None)
        .await
        .unwrap();
    let pair = tasks(&report);
    assert!(
        matches!(pair.state, PairState::Failed(_)),
        "{:?}",
        pair.state
    );
    assert!(
        pair.errors
            .iter()
            .any(|e| e.contains("\"diagram.png\"") && e.contains("Notion could not import it")),
        "{:?}",
        pair.errors
    );
    assert!(
        pair.notes
            .iter()
            .any(|n| n.contains("1 Notion-hosted file could not be re-imported")),
        "{:?}",
        pair.notes
    );
    let (acme, target_rows) = targets(&world, &rows).await;
    let (body, _) = body_of(&acme, target_rows[0]).await;
    let texts: Vec<String> = body.iter().map(|n| n.block.to_string()).collect();
    assert_eq!(body.len(), 5, "{texts:#?}");
    assert!(
        texts[0].contains("before") && texts[4].contains("after"),
        "{texts:?}"
    );
    assert!(
        texts[1].contains("not copied by notion-xws: image hosted by Notion “diagram.png”"),
        "{texts:?}"
    );
    let media = media_of(&acme, target_rows[0]).await;
    assert_eq!(
        media.len(),
        2,
        "the file and the external image: {media:#?}"
    );
    assert_eq!(media[0]["name"], "spec.pdf");

    // The body is incomplete: the next run reads it again and tries the file again.
    world.fake.clear_request_log();
    let again = sync(&world.client(), &config, &execute(), None)
        .await
        .unwrap();
    let log = world.fake.request_log();
    assert!(reads_of_blocks(&log) > 0);
    assert_eq!(
        log.iter()
            .filter(|r| r.method == Method::Post && r.path == "/v1/file_uploads")
            .count(),
        1,
        "the file that failed tried again, not the one already there"
    );
    assert!(matches!(tasks(&again).state, PairState::Failed(_)));
    assert_eq!(
        body_of(&acme, target_rows[0]).await.0.len(),
        5,
        "replaced, not added to"
    );
}

#[tokio::test(start_paused = true)]
async fn a_url_that_expired_during_the_copy_is_read_again() {
    let (world, rows) = world(1, true).await;
    body_with_hosted_media(&world, rows[0]).await;
    // The first import is checked only after 56 minutes: the second file's URL is then too
    // close to its hour for an import (sync::files::URL_FRESH_FOR), so its block is read again.
    let mut options = execute();
    options.execute_options.file_import_delay = Duration::from_secs(56 * 60);
    world.fake.clear_request_log();
    let report = sync(&world.client(), &RegistryConfig::default(), &options, None)
        .await
        .unwrap();
    let log = world.fake.request_log();
    assert_eq!(single_block_reads(&log), 1, "the second block read again");
    // By the append, 112 minutes on, the first upload has waited unattached past its hour and
    // expired, as Notion's do: the body is refused, and said so.
    assert!(report.has_failures(), "{}", report.to_markdown());
    assert!(
        tasks(&report)
            .errors
            .iter()
            .any(|e| e.contains("`expired`")),
        "{:?}",
        tasks(&report).errors
    );
    // The next run, with the usual waits, copies the body.
    let again = sync(
        &world.client(),
        &RegistryConfig::default(),
        &execute(),
        None,
    )
    .await
    .unwrap();
    assert!(!again.has_failures(), "{}", again.to_markdown());
    let (acme, target_rows) = targets(&world, &rows).await;
    let media = media_of(&acme, target_rows[0]).await;
    assert_eq!(
        media
            .iter()
            .map(|m| m["type"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec!["file", "file", "external"]
    );
}

#[tokio::test(start_paused = true)]
async fn the_fake_attaches_only_an_uploaded_upload_of_the_workspace_to_a_media_block() {
    let (world, rows) = world(1, true).await;
    let (fake, t) = (&world.fake, world.token());
    let path = format!("/v1/blocks/{}/children", rows[0]);
    let image = |upload: &str| {
        json!({"children": [{"type": "image", "image": {"type": "file_upload",
            "file_upload": {"id": upload}}}]})
    };
    // Pending: the import is not done yet.
    let pending = ok(
        fake,
        Method::Post,
        "/v1/file_uploads",
        t,
        Some(json!({"mode": "external_url", "filename": "late.png",
                    "external_url": "https://example.com/late.png"})),
    )
    .await;
    let answer = send(fake, Method::Patch, &path, t, Some(image(&id(&pending)))).await;
    assert_eq!(
        (answer.status, answer.body["code"].as_str()),
        (400, Some("validation_error"))
    );
    assert!(
        answer.body["message"].as_str().unwrap().contains("pending"),
        "{}",
        answer.body
    );
    // Another workspace's: not found from here.
    let acme = acme_client(&world).await;
    let theirs = hosted_file(&world, acme.token(), "theirs.png").await;
    let answer = send(
        fake,
        Method::Patch,
        &path,
        t,
        Some(image(theirs["file_upload"]["id"].as_str().unwrap())),
    )
    .await;
    assert_eq!(
        (answer.status, answer.body["code"].as_str()),
        (400, Some("validation_error"))
    );
    assert!(
        answer.body["message"]
            .as_str()
            .unwrap()
            .contains("Could not find file upload")
    );
    // Uploaded: a hosted file, signed anew on every read.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let made = ok(fake, Method::Patch, &path, t, Some(image(&id(&pending)))).await;
    let block = &made["results"][0];
    assert_eq!(block["image"]["type"], "file");
    assert_eq!(block["image"]["caption"], json!([]));
    let url = block["image"]["file"]["url"].as_str().unwrap().to_owned();
    assert!(
        url.contains("/late.png?X-Amz-") && url.contains("X-Amz-Date="),
        "{url}"
    );
    assert!(block["image"]["file"]["expiry_time"].is_string());
    tokio::time::advance(Duration::from_secs(60)).await;
    let read = ok(
        fake,
        Method::Get,
        &format!("/v1/blocks/{}", id(block)),
        t,
        None,
    )
    .await;
    let again = read["image"]["file"]["url"].as_str().unwrap();
    assert_ne!(again, url);
    assert_eq!(again.split('?').next(), url.split('?').next());
    // A file block takes the upload's name unless it is given one.
    let file = hosted_file(&world, t, "brief.pdf").await;
    let made = ok(
        fake,
        Method::Patch,
        &path,
        t,
        Some(json!({"children": [
            {"file": {"type": "file_upload", "file_upload": file["file_upload"]}},
            {"file": {"type": "file_upload", "file_upload": file["file_upload"], "name": "Brief"}},
        ]})),
    )
    .await;
    assert_eq!(made["results"][0]["file"]["name"], "brief.pdf");
    assert_eq!(made["results"][1]["file"]["name"], "Brief");
    // A media block with no file is refused.
    let answer = send(
        fake,
        Method::Patch,
        &path,
        t,
        Some(json!({"children": [{"image": {"caption": []}}]})),
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
}

/// A rich-text item as Notion answers it.
fn rich_read(content: &str, link: Option<&str>, bold: bool) -> Value {
    json!({"type": "text", "text": {"content": content, "link": link.map(|url| json!({"url": url}))},
        "annotations": {"bold": bold, "italic": false, "strikethrough": false, "underline": false,
            "code": false, "color": "default"},
        "plain_text": content, "href": link})
}

/// A block as Notion answers it (the keys of the recorded cassettes), with its children.
fn block_read(kind: &str, content: Value, children: Vec<Value>) -> Value {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    json!({"object": "block", "id": format!("393abc1e-edcd-8181-8d59-{n:012x}"),
        "parent": {"type": "page_id", "page_id": "393abc1e-edcd-80f3-813b-e205934558c6"},
        "created_time": "2026-07-04T09:08:00.000Z", "last_edited_time": "2026-07-04T09:08:00.000Z",
        "created_by": {"object": "user", "id": "7775f3a3-893f-43fa-b625-460c61094c78"},
        "last_edited_by": {"object": "user", "id": "7775f3a3-893f-43fa-b625-460c61094c78"},
        "has_children": !children.is_empty(), "archived": false, "in_trash": false,
        "type": kind, kind: content, "children": children})
}

/// The tree of [`block_read`]s as the sync reads it.
fn source_tree(blocks: &[Value]) -> Vec<notion_xws_core::sync::content::SourceBlock> {
    blocks
        .iter()
        .map(|b| {
            let mut b = b.clone();
            let children = b
                .as_object_mut()
                .and_then(|m| m.remove("children"))
                .unwrap_or_else(|| json!([]));
            notion_xws_core::sync::content::SourceBlock {
                block: serde_json::from_value(b).unwrap(),
                children: source_tree(children.as_array().unwrap()),
                unreadable: false,
            }
        })
        .collect()
}

/// Every block type the content sync writes, read-shaped as Notion answers them (`icon: null`
/// on paragraphs, response-only keys in rich text, a numbered list's format, …).
fn every_writable_block() -> Vec<Value> {
    let rich = |s: &str| {
        json!([
            rich_read(s, None, false),
            rich_read(" link", Some("https://example.com/"), true)
        ])
    };
    let caption = json!([rich_read("a caption", None, false)]);
    let color = |c: &str| json!(c);
    let external = |kind: &str, url: &str| {
        let mut payload = json!({"type": "external", "external": {"url": url}, "caption": caption});
        if kind == "file" {
            payload["name"] = json!("brief.pdf");
        }
        block_read(kind, payload, vec![])
    };
    vec![
        block_read(
            "paragraph",
            json!({"rich_text": rich("para"), "color": color("default"), "icon": null}),
            vec![block_read(
                "paragraph",
                json!({"rich_text": rich("nested"), "color": "red", "icon": null}),
                vec![],
            )],
        ),
        block_read(
            "paragraph",
            json!({"rich_text": rich("with an emoji"), "color": "default", "icon": {"type": "emoji", "emoji": "📌"}}),
            vec![],
        ),
        block_read(
            "heading_1",
            json!({"rich_text": rich("h1"), "color": "default", "is_toggleable": false}),
            vec![],
        ),
        block_read(
            "heading_2",
            json!({"rich_text": rich("h2"), "color": "blue", "is_toggleable": true}),
            vec![block_read(
                "bulleted_list_item",
                json!({"rich_text": rich("under h2"), "color": "default"}),
                vec![],
            )],
        ),
        block_read(
            "heading_3",
            json!({"rich_text": rich("h3"), "color": "default", "is_toggleable": false}),
            vec![],
        ),
        block_read(
            "bulleted_list_item",
            json!({"rich_text": rich("bullet"), "color": "default"}),
            vec![],
        ),
        block_read(
            "numbered_list_item",
            json!({"rich_text": rich("one"), "color": "default", "list_start_index": 1, "list_format": "numbers"}),
            vec![],
        ),
        block_read(
            "to_do",
            json!({"rich_text": rich("done"), "color": "default", "checked": true}),
            vec![],
        ),
        block_read(
            "to_do",
            json!({"rich_text": rich("open"), "color": "default", "checked": false}),
            vec![],
        ),
        block_read(
            "toggle",
            json!({"rich_text": rich("toggle"), "color": "default"}),
            vec![block_read(
                "quote",
                json!({"rich_text": rich("deep quote"), "color": "default"}),
                vec![block_read(
                    "paragraph",
                    json!({"rich_text": rich("three levels"), "color": "default", "icon": null}),
                    vec![],
                )],
            )],
        ),
        block_read(
            "quote",
            json!({"rich_text": rich("quote"), "color": "gray"}),
            vec![],
        ),
        block_read(
            "callout",
            json!({"rich_text": rich("callout"), "color": "gray_background", "icon": {"type": "emoji", "emoji": "💡"}}),
            vec![block_read(
                "paragraph",
                json!({"rich_text": rich("in the callout"), "color": "default", "icon": null}),
                vec![],
            )],
        ),
        block_read(
            "callout",
            json!({"rich_text": rich("hosted icon"), "color": "default",
            "icon": {"type": "file", "file": {"url": "https://prod-files-secure.s3.us-west-2.amazonaws.com/x/icon.png", "expiry_time": "2026-07-04T10:08:00.000Z"}}}),
            vec![],
        ),
        block_read(
            "code",
            json!({"rich_text": rich("fn main() {}"), "caption": caption, "language": "rust"}),
            vec![],
        ),
        block_read(
            "equation",
            json!({"expression": "e^{i\\pi} + 1 = 0"}),
            vec![],
        ),
        block_read("divider", json!({}), vec![]),
        block_read("breadcrumb", json!({}), vec![]),
        block_read("table_of_contents", json!({"color": "default"}), vec![]),
        block_read(
            "bookmark",
            json!({"url": "https://example.com/bookmark", "caption": caption}),
            vec![],
        ),
        block_read(
            "embed",
            json!({"url": "https://example.com/embed", "caption": []}),
            vec![],
        ),
        block_read(
            "table",
            json!({"table_width": 2, "has_column_header": true, "has_row_header": false}),
            vec![
                block_read(
                    "table_row",
                    json!({"cells": [rich("a1"), rich("b1")]}),
                    vec![],
                ),
                block_read("table_row", json!({"cells": [rich("a2"), []]}), vec![]),
            ],
        ),
        external("image", "https://example.com/a.png"),
        external("video", "https://example.com/a.mp4"),
        external("file", "https://example.com/brief.pdf"),
        external("pdf", "https://example.com/a.pdf"),
        external("audio", "https://example.com/a.mp3"),
    ]
}

#[tokio::test(start_paused = true)]
async fn every_block_type_written_reads_back_the_same() {
    let (world, rows) = world(1, false).await;
    let client = world.client();
    let read = source_tree(&every_writable_block());
    let mut losses = Losses::default();
    let body = convert(&read, &mut losses);
    assert_eq!(losses, Losses::default(), "nothing of these is lost");
    write_body(&client, rows[0], &body).await.unwrap();
    let (back, hash) = body_of(&client, rows[0]).await;
    assert_eq!(back, body);
    assert_eq!(hash, body_hash(&body));
    let mut kinds: Vec<&str> = Vec::new();
    fn walk<'a>(nodes: &'a [BlockNode], out: &mut Vec<&'a str>) {
        for node in nodes {
            out.push(node.block["type"].as_str().unwrap());
            walk(&node.children, out);
        }
    }
    walk(&back, &mut kinds);
    for kind in notion_xws_core::sync::content::WRITTEN_BLOCKS
        .iter()
        .chain(notion_xws_core::sync::content::FILE_BLOCKS)
    {
        assert!(kinds.contains(kind), "{kind} missing from {kinds:?}");
    }
    // What is sent holds no response-only key and no null where Notion takes none.
    let sent = serde_json::to_string(&body).unwrap();
    for forbidden in [
        "plain_text",
        "href",
        "\"icon\":null",
        "list_start_index",
        "expiry_time",
        "\"id\":\"393abc1e-edcd-8181",
        "null",
    ] {
        assert!(!sent.contains(forbidden), "{forbidden} sent: {sent}");
    }
}

/// The requests of a log that change something in the copy's workspace (not reads: `GET`,
/// searches, queries; not the pair's lease and link row, kept in the control workspace).
fn writes_in(log: &[LoggedRequest]) -> Vec<&LoggedRequest> {
    log.iter()
        .filter(|r| r.method != Method::Get)
        .filter(|r| r.workspace.as_deref() != Some("Seren Media"))
        .filter(|r| r.path != "/v1/search" && !r.path.ends_with("/query"))
        .collect()
}

/// `n` paragraphs, `line 0` … .
fn lines(n: usize) -> Vec<BlockNode> {
    (0..n).map(|i| paragraph(&format!("line {i}"))).collect()
}

/// The IDs of a page's top-level blocks.
async fn top_blocks(client: &NotionClient, page: PageId) -> Vec<BlockId> {
    let blocks: Vec<notion_xws_core::model::Block> =
        futures::TryStreamExt::try_collect(client.block_children(BlockId::from(page)))
            .await
            .unwrap();
    blocks.iter().map(|b| b.id).collect()
}

#[tokio::test(start_paused = true)]
async fn a_one_block_edit_of_a_130_block_body_costs_two_writes() {
    let (world, rows) = world(1, true).await;
    let control = world.client();
    let mut body = lines(120);
    body.insert(60, toggle("a toggle", lines(10)));
    write_body(&control, rows[0], &body).await.unwrap();
    assert_eq!(body.iter().map(BlockNode::count).sum::<usize>(), 131);
    run(&world).await;

    tokio::time::advance(Duration::from_secs(90)).await;
    let edited = top_blocks(&control, rows[0]).await[100];
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/blocks/{edited}"),
        world.token(),
        Some(json!({"paragraph": {"rich_text": text("line 99, edited")}})),
    )
    .await;

    world.fake.clear_request_log();
    run(&world).await;
    let log = world.fake.request_log();
    let writes = writes_in(&log);
    let paths: Vec<String> = writes
        .iter()
        .map(|r| format!("{:?} {}", r.method, r.path))
        .collect();
    assert!(writes.len() <= 3, "{paths:#?}");
    assert_eq!(
        writes.len(),
        2,
        "the block updated in place, the marker: {paths:#?}"
    );
    assert_eq!(count(&log, Method::Patch, "/children"), 0);
    assert_eq!(count(&log, Method::Delete, ""), 0);
    let (acme, target_rows) = targets(&world, &rows).await;
    assert_eq!(
        body_of(&acme, target_rows[0]).await,
        body_of(&control, rows[0]).await
    );
}

#[tokio::test(start_paused = true)]
async fn blocks_are_inserted_and_removed_where_the_structure_changed() {
    let (world, rows) = world(1, true).await;
    let control = world.client();
    let before = vec![
        paragraph("a"),
        toggle("t", vec![paragraph("t1"), paragraph("t2"), paragraph("t3")]),
        paragraph("b"),
        paragraph("c"),
        paragraph("d"),
    ];
    write_body(&control, rows[0], &before).await.unwrap();
    run(&world).await;
    let (acme, target_rows) = targets(&world, &rows).await;
    let kept_ids = top_blocks(&acme, target_rows[0]).await;

    // A minute later: a block first, one in the middle, one removed, one inside the toggle
    // changed and one added there, a code block in the place of a paragraph.
    tokio::time::advance(Duration::from_secs(90)).await;
    let after = vec![
        paragraph("first"),
        paragraph("a"),
        toggle(
            "t",
            vec![
                paragraph("t1"),
                paragraph("t2 edited"),
                paragraph("t2.5"),
                paragraph("t3"),
            ],
        ),
        paragraph("between"),
        paragraph("b"),
        BlockNode {
            block: json!({"type": "code", "code": {"rich_text": text("c"), "language": "rust"}}),
            children: Vec::new(),
        },
    ];
    notion_xws_core::sync::content::clear_body(&control, rows[0])
        .await
        .unwrap();
    write_body(&control, rows[0], &after).await.unwrap();

    world.fake.clear_request_log();
    run(&world).await;
    let log = world.fake.request_log();
    let paths: Vec<String> = writes_in(&log)
        .iter()
        .map(|r| format!("{:?} {}", r.method, r.path))
        .collect();
    // Appends: "first", "between", "t2.5", the code block; updates: "t2 edited"; removals: "c"
    // (replaced by the code block) and "d"; the marker.
    assert_eq!(
        body_of(&acme, target_rows[0]).await,
        body_of(&control, rows[0]).await
    );
    assert_eq!(count(&log, Method::Patch, "/children"), 4, "{paths:#?}");
    assert_eq!(count(&log, Method::Delete, ""), 2, "{paths:#?}");
    assert_eq!(writes_in(&log).len(), 8, "{paths:#?}");
    let now = top_blocks(&acme, target_rows[0]).await;
    assert_eq!(
        (now[1], now[2], now[4]),
        (kept_ids[0], kept_ids[1], kept_ids[2]),
        "kept blocks stay"
    );
}

#[tokio::test(start_paused = true)]
async fn a_body_edited_in_the_minute_of_its_copy_arrives_on_the_next_run() {
    use notion_xws_core::sync::options::WallClock;
    let start = tokio::time::Instant::now();
    let (world, rows) = world(1, true).await;
    let base = world.fake.config().base_time_ms;
    let mut options = execute();
    options.execute_options.clock = WallClock::Tokio {
        at: std::time::UNIX_EPOCH + Duration::from_millis(u64::try_from(base).unwrap()),
        since: start,
    };
    let run_with = |options: notion_xws_core::sync::SyncOptions| {
        let client = world.client();
        async move { sync_without_failures(&client, &options).await }
    };
    let control = world.client();
    write_body(&control, rows[0], &lines(3)).await.unwrap();
    let page_time = |fake: &notion_xws_core::fake::FakeNotion| {
        let fake = fake.clone();
        let token = world.token().clone();
        let row = rows[0];
        async move {
            ok(
                &fake,
                Method::Get,
                &format!("/v1/pages/{row}"),
                &token,
                None,
            )
            .await["last_edited_time"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let edited = page_time(&world.fake).await;
    run_with(options.clone()).await;
    // Within the same minute, after the copy: Notion's `last_edited_time` does not move.
    write_body(&control, rows[0], &[paragraph("added in the same minute")])
        .await
        .unwrap();
    assert_eq!(
        page_time(&world.fake).await,
        edited,
        "the edit is hidden by the rounding"
    );

    tokio::time::advance(Duration::from_secs(70)).await;
    run_with(options.clone()).await;
    let (acme, target_rows) = targets(&world, &rows).await;
    let (copy, _) = body_of(&acme, target_rows[0]).await;
    assert_eq!(copy.len(), 4, "the edit arrived");
    assert_eq!(copy, body_of(&control, rows[0]).await.0);

    // That read came after the minute ended: the next runs read no body and write nothing.
    tokio::time::advance(Duration::from_secs(70)).await;
    world.fake.clear_request_log();
    let again = run_with(options.clone()).await;
    assert_eq!(reads_of_blocks(&world.fake.request_log()), 0);
    assert_eq!(tasks(&again).writes, 0);
}

#[tokio::test(start_paused = true)]
async fn a_refused_write_at_any_point_of_a_body_update_never_empties_it_and_the_next_run_finishes()
{
    let before = lines(12);
    let mut after: Vec<BlockNode> = lines(12);
    after.drain(3..7);
    after.insert(1, paragraph("new 1"));
    after[8] = paragraph("line 10, edited");
    after.push(toggle("new toggle", lines(2)));
    let total = |body: &[BlockNode]| body.iter().map(BlockNode::count).sum::<usize>();
    let floor = total(&before).min(total(&after));

    // A world whose source body is `before`, copied, then edited into `after`.
    let setup = || async {
        let (world, rows) = world(1, true).await;
        let control = world.client();
        write_body(&control, rows[0], &before).await.unwrap();
        run(&world).await;
        tokio::time::advance(Duration::from_secs(90)).await;
        notion_xws_core::sync::content::clear_body(&control, rows[0])
            .await
            .unwrap();
        write_body(&control, rows[0], &after).await.unwrap();
        (world, rows)
    };
    let (probe, _) = setup().await;
    let first = probe.fake.requests_received();
    probe.fake.clear_request_log();
    run(&probe).await;
    let log = probe.fake.request_log();
    let write_numbers: Vec<u64> = log
        .iter()
        .enumerate()
        .filter(|(_, r)| r.method != Method::Get && r.path.starts_with("/v1/blocks/"))
        .map(|(i, _)| first + i as u64 + 1)
        .collect();
    assert!(write_numbers.len() >= 5, "{}", write_numbers.len());

    for (n, number) in write_numbers.iter().enumerate() {
        let (world, rows) = setup().await;
        assert_eq!(world.fake.requests_received(), first, "the same world");
        world
            .fake
            .fail_request(*number, notion_xws_core::fake::Fault::Conflict);
        let _ = sync(
            &world.client(),
            &RegistryConfig::default(),
            &execute(),
            None,
        )
        .await
        .unwrap();
        let (acme, target_rows) = targets(&world, &rows).await;
        let (partial, _) = body_of(&acme, target_rows[0]).await;
        assert!(
            total(&partial) >= floor,
            "write {n}: {} blocks, fewer than {floor}",
            total(&partial)
        );
        run(&world).await;
        let (copy, hash) = body_of(&acme, target_rows[0]).await;
        assert_eq!(
            (copy, hash),
            body_of(&world.client(), rows[0]).await,
            "write {n}"
        );
        world.fake.clear_request_log();
        let again = run(&world).await;
        assert_eq!(tasks(&again).writes, 0, "write {n}");
    }
}

/// The workspace of a client's token, from `GET /v1/users/me`.
async fn workspace_of(client: &NotionClient) -> notion_xws_core::WorkspaceId {
    match client.me().await.unwrap().kind {
        Some(notion_xws_core::model::UserKind::Bot(Some(bot))) => bot.workspace_id.unwrap(),
        other => panic!("not a bot: {other:?}"),
    }
}

/// The mentions of a converted body's rich text, as request JSON, in order.
fn mentions_in(body: &[BlockNode]) -> Vec<Value> {
    let mut out = Vec::new();
    for node in body {
        let kind = node.block["type"].as_str().unwrap_or_default();
        if let Some(items) = node.block[kind]["rich_text"].as_array() {
            out.extend(
                items
                    .iter()
                    .filter(|i| i["type"] == "mention")
                    .map(|i| i["mention"].clone()),
            );
        }
        out.extend(mentions_in(&node.children));
    }
    out
}

#[tokio::test(start_paused = true)]
async fn mentions_of_people_rows_and_databases_point_at_their_counterparts_and_stay_unchanged() {
    let (world, rows) = world(3, true).await;
    let control = world.client();
    let acme = acme_client(&world).await;
    let ann = world
        .fake
        .add_user(world.control.workspace_id, "Ann", "ann@seren.media")
        .unwrap();
    let bob = world
        .fake
        .add_user(world.control.workspace_id, "Bob", "bob@seren.media")
        .unwrap();
    let ann_acme = world
        .fake
        .add_user(workspace_of(&acme).await, "Ann A.", "ANN@seren.media")
        .unwrap();
    let outside = id(&ok(
        &world.fake,
        Method::Post,
        "/v1/pages",
        world.token(),
        Some(json!({"parent": {"page_id": world.library}, "properties": {"title": {"title": text("Brand book")}}})),
    )
    .await);
    // The copy exists before the body is written: its database is known to the run.
    run(&world).await;
    tokio::time::advance(Duration::from_secs(90)).await;
    let source = control
        .page(rows[0])
        .await
        .unwrap()
        .data_source_id()
        .unwrap();
    let tasks_database = control
        .data_source(source)
        .await
        .unwrap()
        .database_id()
        .unwrap();
    let mentions = json!([
        {"type": "mention", "mention": {"type": "user", "user": {"id": ann.to_string()}}},
        {"type": "text", "text": {"content": " and "}},
        {"type": "mention", "mention": {"type": "user", "user": {"id": bob.to_string()}}},
        {"type": "text", "text": {"content": " see "}},
        {"type": "mention", "mention": {"type": "page", "page": {"id": rows[1].to_string()}}, "annotations": {"bold": true}},
        {"type": "text", "text": {"content": " and "}},
        {"type": "mention", "mention": {"type": "page", "page": {"id": rows[2].to_string()}}},
        {"type": "text", "text": {"content": " by "}},
        {"type": "mention", "mention": {"type": "date", "date": {"start": "2026-12-24", "end": "2026-12-26"}}},
        {"type": "text", "text": {"content": ", after "}},
        {"type": "mention", "mention": {"type": "page", "page": {"id": outside}}},
        {"type": "text", "text": {"content": " in "}},
        {"type": "mention", "mention": {"type": "database", "database": {"id": tasks_database.to_string()}}},
    ]);
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/blocks/{}/children", rows[0]),
        world.token(),
        Some(json!({"children": [
            {"paragraph": {"rich_text": mentions}},
            {"paragraph": {"rich_text": text("a second block")}},
            {"link_to_page": {"type": "page_id", "page_id": rows[1].to_string()}},
        ]})),
    )
    .await;

    let first = run(&world).await;
    assert!(
        tasks(&first)
            .notes
            .iter()
            .any(|n| n.contains("5 mentions of people or rows pointed at their counterpart")),
        "{:?}",
        tasks(&first).notes
    );
    let (_, target_rows) = targets(&world, &rows).await;
    let read = read_body(&acme, BlockId::from(target_rows[0]))
        .await
        .unwrap();
    let paragraph = read[0].block.content.as_ref().unwrap()["rich_text"].clone();
    let kinds: Vec<(&str, &str)> = paragraph
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["type"].as_str().unwrap(),
                i["plain_text"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("mention", "@Ann A."),
            ("text", " and "),
            ("text", "@Bob"),
            ("text", " see "),
            ("mention", "Row 1"),
            ("text", " and "),
            ("mention", "Row 2"),
            ("text", " by "),
            ("mention", "2026-12-24 → 2026-12-26"),
            ("text", ", after "),
            ("text", "Brand book"),
            ("text", " in "),
            ("mention", "Tasks"),
        ],
        "{paragraph:#}"
    );
    let items = paragraph.as_array().unwrap();
    assert_eq!(items[0]["mention"]["user"]["id"], ann_acme.to_string());
    assert_eq!(
        items[4]["mention"]["page"]["id"],
        target_rows[1].to_string()
    );
    assert_eq!(items[4]["annotations"]["bold"], true);
    assert_eq!(
        items[6]["mention"]["page"]["id"],
        target_rows[2].to_string()
    );
    assert_eq!(items[8]["mention"]["date"]["end"], "2026-12-26");
    // The page the environment does not have links to the original.
    assert!(
        items[10]["text"]["link"]["url"]
            .as_str()
            .unwrap()
            .contains(&outside.replace('-', "")),
        "{:#}",
        items[10]
    );

    // A link to a row of the pair links to its copy.
    assert_eq!(read[2].block.block_type, "link_to_page");
    assert_eq!(
        read[2].block.content.as_ref().unwrap()["page_id"],
        target_rows[1].to_string()
    );
    let copy = target_of(&control, "Tasks", "Acme").await.unwrap();
    let copy_database = acme.data_source(copy).await.unwrap().database_id().unwrap();
    assert_eq!(
        items[12]["mention"]["database"]["id"],
        copy_database.to_string()
    );

    // A minute later the second block changes: the paragraph of mentions reads back as the
    // source's converts, so it is not written again.
    tokio::time::advance(Duration::from_secs(90)).await;
    let second_block = read_body(&control, BlockId::from(rows[0])).await.unwrap()[1]
        .block
        .id;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/blocks/{second_block}"),
        world.token(),
        Some(json!({"paragraph": {"rich_text": text("a second block, edited")}})),
    )
    .await;
    world.fake.clear_request_log();
    run(&world).await;
    let log = world.fake.request_log();
    let paths: Vec<String> = writes_in(&log)
        .iter()
        .map(|r| format!("{:?} {}", r.method, r.path))
        .collect();
    assert_eq!(paths.len(), 2, "the block and the marker: {paths:#?}");
    let block = read_body(&acme, BlockId::from(target_rows[0]))
        .await
        .unwrap()[1]
        .block
        .id;
    assert!(
        paths.contains(&format!("Patch /v1/blocks/{block}")),
        "{paths:#?}"
    );
    let source_converted = {
        let read = read_body(&control, BlockId::from(rows[0])).await.unwrap();
        mentions_in(&convert(&read, &mut Losses::default()))
    };
    assert_eq!(
        source_converted.len(),
        1,
        "only the date stays a mention unmapped"
    );
}

#[tokio::test(start_paused = true)]
async fn a_body_read_incrementally_maps_mentions_of_rows_that_run_did_not_read() {
    mentions_of_rows_not_read_name_their_copies(false).await;
}

#[tokio::test(start_paused = true)]
async fn a_two_way_body_read_incrementally_maps_mentions_of_rows_that_run_did_not_read() {
    mentions_of_rows_not_read_name_their_copies(true).await;
}

/// A body of the Tasks pair (`two_way` or not) edited to mention rows that no later run reads
/// again: its copy names their copies, then and two incremental runs later.
async fn mentions_of_rows_not_read_name_their_copies(two_way: bool) {
    let (world, rows) = world(3, true).await;
    let control = world.client();
    if two_way {
        world.set_sync("Tasks", "Two-Way").await;
    }
    run(&world).await;
    tokio::time::advance(Duration::from_secs(90)).await;
    // Row 0's body mentions rows 1 and 2, which no run after this one reads again.
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/blocks/{}/children", rows[0]),
        world.token(),
        Some(json!({"children": [
            {"paragraph": {"rich_text": [
                {"type": "text", "text": {"content": "see "}},
                {"type": "mention", "mention": {"type": "page", "page": {"id": rows[1].to_string()}}},
            ]}},
            {"link_to_page": {"type": "page_id", "page_id": rows[2].to_string()}},
        ]})),
    )
    .await;
    run(&world).await;
    let (acme, target_rows) = targets(&world, &rows).await;
    // What the copy of row 0's body names: its mention, and its link to a page.
    let named = || async {
        let read = read_body(&acme, BlockId::from(target_rows[0]))
            .await
            .unwrap();
        let paragraph = read[0].block.content.as_ref().unwrap()["rich_text"].clone();
        let link = read[1].block.content.as_ref().unwrap()["page_id"].clone();
        (paragraph[1]["mention"]["page"]["id"].clone(), link)
    };
    let copies = (
        json!(target_rows[1].to_string()),
        json!(target_rows[2].to_string()),
    );
    assert_eq!(named().await, copies);
    // Two runs later, each after an edit of row 0 only (its notes, then its body's first
    // paragraph): the watermark has moved past rows 1 and 2, and the body still names their
    // copies.
    for (step, edit) in [
        (
            format!("/v1/pages/{}", rows[0]),
            json!({"properties": {"Notes": {"rich_text": text("edited")}}}),
        ),
        (
            String::new(),
            json!({"paragraph": {"rich_text": [
                {"type": "text", "text": {"content": "now see "}},
                {"type": "mention", "mention": {"type": "page", "page": {"id": rows[1].to_string()}}},
            ]}}),
        ),
    ] {
        tokio::time::advance(Duration::from_secs(90)).await;
        let path = if step.is_empty() {
            let first = read_body(&control, BlockId::from(rows[0])).await.unwrap()[0]
                .block
                .id;
            format!("/v1/blocks/{first}")
        } else {
            step
        };
        ok(&world.fake, Method::Patch, &path, world.token(), Some(edit)).await;
        let report = run(&world).await;
        assert!(tasks(&report).incremental, "{report:#?}");
        assert_eq!(named().await, copies, "{:?}", tasks(&report).notes);
    }
}
