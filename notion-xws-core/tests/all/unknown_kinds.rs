//! Kinds Notion adds, carried on: an answer holding an object, a property, a block or a
//! rich-text segment of a type this library does not know is skipped with a note (counted in
//! the run's report), and the run goes on: objects are counted in the report's
//! `skipped_unknown`, properties left out with a note, blocks replaced by a note paragraph,
//! rich-text segments written as their text with a note. Notion newer than the library is played by a
//! transport that adds such kinds to the fake's answers.

use std::sync::Arc;

use async_trait::async_trait;
use notion_xws_core::client::NotionClient;
use notion_xws_core::fake::FakeNotion;
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::sync::report::PairClass;
use notion_xws_core::sync::sync;
use notion_xws_core::transport::{ApiRequest, ApiResponse, DynTransport, Method, Transport};
use serde_json::{Value, json};

use crate::support::fake::ok;
use crate::support::sync::{execute, pair, rows, small_world, target_of};
use crate::support::world::World;

/// What a newer Notion adds to an answer: given the request and the answer's body.
type Amend = fn(&ApiRequest, &mut Value);

/// The fake, with `amend` applied to every successful answer.
#[derive(Debug)]
struct Newer {
    inner: FakeNotion,
    amend: Amend,
}

#[async_trait]
impl Transport for Newer {
    async fn send(&self, request: ApiRequest) -> notion_xws_core::Result<ApiResponse> {
        let mut response = self.inner.send(request.clone()).await?;
        if response.is_success() {
            (self.amend)(&request, &mut response.body);
        }
        Ok(response)
    }
}

fn newer(world: &World, amend: Amend) -> NotionClient {
    NotionClient::new(
        Arc::new(Newer {
            inner: world.fake.clone(),
            amend,
        }) as DynTransport,
        world.token().clone(),
    )
}

fn is_query(request: &ApiRequest) -> bool {
    request.method == Method::Post && request.path.ends_with("/query")
}

/// One more result in a list's answer.
fn push_result(body: &mut Value, result: Value) {
    if let Some(results) = body["results"].as_array_mut() {
        results.push(result);
    }
}

const AGENT_ID: &str = "393abc1e-edcd-8181-8d59-e30a27148c69";

/// An `ai_agent` among the results of every search.
fn agent_in_search(request: &ApiRequest, body: &mut Value) {
    if request.path == "/v1/search" {
        push_result(
            body,
            json!({"object": "ai_agent", "id": AGENT_ID, "name": "Helper"}),
        );
    }
}

/// An `ai_agent` among the results of every query.
fn agent_in_queries(request: &ApiRequest, body: &mut Value) {
    if is_query(request) {
        push_result(body, json!({"object": "ai_agent", "id": AGENT_ID}));
    }
}

/// A property `Agent` of type `ai_agent` in the schema of Tasks and in its rows.
fn agent_property(request: &ApiRequest, body: &mut Value) {
    if request.method == Method::Get
        && request.path.starts_with("/v1/data_sources/")
        && let Some(properties) = body
            .pointer_mut("/properties")
            .and_then(Value::as_object_mut)
            .filter(|p| p.contains_key("Hours"))
    {
        properties.insert(
            "Agent".into(),
            json!({"id": "a%3Fb", "name": "Agent", "type": "ai_agent",
                   "description": null, "ai_agent": {}}),
        );
    }
    if is_query(request) {
        // The rows of Tasks (which have Hours), not the registry's.
        for row in body["results"].as_array_mut().into_iter().flatten() {
            if let Some(properties) = row
                .pointer_mut("/properties")
                .and_then(Value::as_object_mut)
                .filter(|p| p.contains_key("Hours"))
            {
                properties.insert(
                    "Agent".into(),
                    json!({"id": "a%3Fb", "type": "ai_agent", "ai_agent": {"state": "idle"}}),
                );
            }
        }
    }
}

/// A rich-text segment of type `ai_block_reference` in each row's `Notes`.
fn agent_segment(request: &ApiRequest, body: &mut Value) {
    if is_query(request) {
        for row in body["results"].as_array_mut().into_iter().flatten() {
            if let Some(notes) = row
                .pointer_mut("/properties/Notes/rich_text")
                .and_then(Value::as_array_mut)
            {
                notes.push(json!({
                    "type": "ai_block_reference", "ai_block_reference": {"id": AGENT_ID},
                    "annotations": {"bold": false, "italic": false, "strikethrough": false,
                                    "underline": false, "code": false, "color": "default"},
                    "plain_text": " (agent)", "href": null
                }));
            }
        }
    }
}

/// A block of type `ai_agent_card` among every page's children.
fn agent_card(request: &ApiRequest, body: &mut Value) {
    if request.method == Method::Get
        && request.path.starts_with("/v1/blocks/")
        && request.path.ends_with("/children")
    {
        let parent = request
            .path
            .split('/')
            .nth(3)
            .unwrap_or_default()
            .to_owned();
        push_result(
            body,
            json!({"object": "block", "id": AGENT_ID,
                   "parent": {"type": "page_id", "page_id": parent},
                   "created_time": "2026-07-04T09:08:00.000Z",
                   "last_edited_time": "2026-07-04T09:08:00.000Z",
                   "has_children": false, "in_trash": false, "archived": false,
                   "type": "ai_agent_card", "ai_agent_card": {"agent": AGENT_ID}}),
        );
    }
}

#[tokio::test(start_paused = true)]
async fn an_object_of_a_new_type_in_search_results_is_skipped_and_counted() {
    let (world, _, _) = small_world(3).await;
    let control = newer(&world, agent_in_search);
    let report = sync(&control, &RegistryConfig::default(), &execute(), None)
        .await
        .unwrap();
    assert_eq!(report.exit_status(), 0, "{}", report.to_markdown());
    assert_eq!(pair(&report, "Tasks").created, 3);
    let counted = report.skipped_unknown[r#"object "ai_agent" in POST /v1/search"#];
    assert!(counted >= 1, "{:?}", report.skipped_unknown);
    let markdown = report.to_markdown();
    assert!(markdown.contains("## Answers of kinds not known yet (skipped)"));
    assert!(markdown.contains(r#"× object "ai_agent" in POST /v1/search"#));
    let json: Value = serde_json::from_str(&report.to_json()).unwrap();
    assert!(json["skipped_unknown"][r#"object "ai_agent" in POST /v1/search"#].is_u64());
}

#[tokio::test(start_paused = true)]
async fn an_object_of_a_new_type_in_query_results_is_skipped_and_counted() {
    let (world, _, _) = small_world(3).await;
    let control = newer(&world, agent_in_queries);
    let report = sync(&control, &RegistryConfig::default(), &execute(), None)
        .await
        .unwrap();
    assert_eq!(report.exit_status(), 0, "{}", report.to_markdown());
    assert_eq!(pair(&report, "Tasks").created, 3, "the rows are all read");
    let counted =
        report.skipped_unknown[r#"object "ai_agent" in POST /v1/data_sources/{id}/query"#];
    assert!(counted >= 1, "{:?}", report.skipped_unknown);
    // A re-run: nothing to write, the agent still skipped.
    let again = sync(&control, &RegistryConfig::default(), &execute(), None)
        .await
        .unwrap();
    assert_eq!(again.writes(), 0, "{}", again.to_markdown());
    assert!(!again.skipped_unknown.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_property_of_a_new_type_is_left_out_with_a_note() {
    let (world, source, _) = small_world(3).await;
    let control = newer(&world, agent_property);
    let report = sync(&control, &RegistryConfig::default(), &execute(), None)
        .await
        .unwrap();
    assert_eq!(report.exit_status(), 0, "{}", report.to_markdown());
    let tasks = pair(&report, "Tasks");
    assert_eq!(tasks.created, 3);
    assert!(
        tasks.notes.iter().any(|n| n.contains("\"Agent\"")),
        "{:?}",
        tasks.notes
    );
    let target = target_of(&world.client(), "Tasks", "Acme").await.unwrap();
    let copied = rows(&crate::support::sync::acme_client(&world).await, target).await;
    assert_eq!(copied.len(), 3);
    assert!(
        copied
            .iter()
            .all(|row| !row.properties.contains_key("Agent"))
    );
    assert!(!source.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_rich_text_segment_of_a_new_type_does_not_fail_the_row() {
    let (world, _, _) = small_world(2).await;
    let control = newer(&world, agent_segment);
    let report = sync(&control, &RegistryConfig::default(), &execute(), None)
        .await
        .unwrap();
    assert_eq!(report.exit_status(), 0, "{}", report.to_markdown());
    let tasks = pair(&report, "Tasks");
    assert_eq!(tasks.created, 2);
    assert_eq!(tasks.class(), PairClass::Synced);
    // The segment is written as its text, and the note counts it.
    assert!(
        tasks
            .notes
            .iter()
            .any(|n| n.contains("written as plain text") && n.contains(" mention")),
        "{:?}",
        tasks.notes
    );
    let target = target_of(&world.client(), "Tasks", "Acme").await.unwrap();
    let copied = rows(&crate::support::sync::acme_client(&world).await, target).await;
    let notes: Vec<String> = copied
        .iter()
        .map(|row| {
            let value = notion_xws_core::sync::values::canonical(&row.properties["Notes"]).unwrap();
            value.value.to_string()
        })
        .collect();
    assert!(notes.iter().all(|n| n.contains(" (agent)")), "{notes:?}");
}

#[tokio::test(start_paused = true)]
async fn a_block_of_a_new_type_becomes_a_note_in_the_copy() {
    let (world, made) = crate::content::world(1, true).await;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/blocks/{}/children", made[0]),
        world.token(),
        Some(json!({"children": [{"paragraph": {"rich_text": [{"text": {"content": "Hello"}}]}}]})),
    )
    .await;
    let control = newer(&world, agent_card);
    let report = sync(&control, &RegistryConfig::default(), &execute(), None)
        .await
        .unwrap();
    assert_eq!(report.exit_status(), 0, "{}", report.to_markdown());
    let tasks = pair(&report, "Tasks");
    assert_eq!(tasks.class(), PairClass::Synced);
    assert!(
        tasks.notes.iter().any(|n| n.contains("ai_agent_card")),
        "{:?}",
        tasks.notes
    );
}

/// Every kind above at once: an object in searches and queries, a property, a rich-text
/// segment and a block.
fn every_new_kind(request: &ApiRequest, body: &mut Value) {
    for amend in [
        agent_in_search,
        agent_in_queries,
        agent_property,
        agent_segment,
        agent_card,
    ] {
        amend(request, body);
    }
}

/// The same kinds through the command, over HTTP: the fake, with every kind a newer Notion has
/// added to its answers, served on 127.0.0.1. `sync --execute --json` exits 0, every row copied,
/// each kind counted in `skipped_unknown` (objects) or noted on the pair (a property, rich-text
/// segments, a block), and a second run writes nothing. (One run for all kinds: each first run
/// on the real clock waits out Notion's read-after-write lag.)
#[cfg(all(feature = "cli", feature = "http"))]
#[tokio::test]
async fn every_new_kind_through_the_command_is_skipped_and_counted() {
    use crate::cli::{notion_xws, text};
    let (world, made) = crate::content::world(3, true).await;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/blocks/{}/children", made[0]),
        world.token(),
        Some(json!({"children": [{"paragraph": {"rich_text": [{"text": {"content": "Hello"}}]}}]})),
    )
    .await;
    let served = crate::support::served::serve(Arc::new(Newer {
        inner: world.fake.clone(),
        amend: every_new_kind,
    }) as DynTransport)
    .await;
    let env = [
        ("NOTION_TOKEN", world.token().expose()),
        ("NOTION_BASE_URL", served.base_url.as_str()),
    ];
    let args = [
        "--requests-per-minute",
        "60000",
        "sync",
        "--execute",
        "--json",
    ];
    let first = notion_xws(&args, &env).await;
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}{}",
        text(&first.stdout),
        text(&first.stderr)
    );
    let run: Value = serde_json::from_slice(&first.stdout).unwrap();
    let tasks = &run["pairs"][0];
    assert_eq!(run["pairs"].as_array().unwrap().len(), 1, "{run:#}");
    assert_eq!(
        (&tasks["class"], &tasks["created"]),
        (&json!("synced"), &json!(3)),
        "{run:#}"
    );
    for counted in [
        r#"object "ai_agent" in POST /v1/search"#,
        r#"object "ai_agent" in POST /v1/data_sources/{id}/query"#,
    ] {
        assert!(
            run["skipped_unknown"][counted]
                .as_u64()
                .is_some_and(|n| n >= 1),
            "{counted}: {run:#}"
        );
    }
    let notes: Vec<&str> = tasks["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    for (kind, noted) in [
        ("property", "\"Agent\""),
        ("rich-text segment", "written as plain text"),
        ("block", "ai_agent_card"),
    ] {
        assert!(notes.iter().any(|n| n.contains(noted)), "{kind}: {notes:?}");
    }
    let again = notion_xws(&args, &env).await;
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    let again: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(again["pairs"][0]["writes"], 0, "{again:#}");
    assert!(!again["skipped_unknown"].as_object().unwrap().is_empty());
}
