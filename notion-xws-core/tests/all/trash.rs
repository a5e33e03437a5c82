//! Sources and copies in Notion's trash: found before anything is written, and named with the
//! fix (exit 3); a copy restored from the trash is caught up with no duplicate; `--recreate`
//! makes a new copy with every row (both pair kinds), and a stopped recreate is finished by the
//! next run, with or without the flag.

use std::collections::HashSet;

use notion_xws_core::client::NotionClient;
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::sync::links::LinksTable;
use notion_xws_core::sync::report::{Cause, PairClass};
use notion_xws_core::sync::{PairState, RunReport, SyncOptions, sync};
use notion_xws_core::transport::Method;
use notion_xws_core::{DataSourceId, DatabaseId};
use serde_json::json;

use crate::support::fake::{ok, text};
use crate::support::sync::{
    acme_client, execute, pair, rows, small_world, target_of, two_way_world,
};
use crate::support::world::World;

/// Puts the database that holds `data_source` in the trash (`true`) or takes it out, with
/// `client`'s token, as a person does in Notion.
async fn set_trashed(world: &World, client: &NotionClient, data_source: DataSourceId, trash: bool) {
    let database = database_of(client, data_source).await;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/databases/{database}"),
        client.token(),
        Some(json!({"in_trash": trash})),
    )
    .await;
}

async fn database_of(client: &NotionClient, data_source: DataSourceId) -> DatabaseId {
    client
        .data_source(data_source)
        .await
        .unwrap()
        .database_id()
        .unwrap()
}

/// Edits the notes of a source row, with the control token.
async fn edit_notes(world: &World, row: &str, notes: &str) {
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{row}"),
        world.token(),
        Some(json!({"properties": {"Notes": {"rich_text": text(notes)}}})),
    )
    .await;
}

/// The one pair that needs a person: its cause, with its fix named in the Markdown.
fn cause(report: &RunReport) -> Cause {
    let needs = report.needs_person();
    assert_eq!(needs.len(), 1, "{}", report.to_markdown());
    assert!(report.to_markdown().contains(&needs[0].fix));
    needs[0].cause
}

/// The source keys of a copy's live rows: each once.
async fn keys(client: &NotionClient, data_source: DataSourceId) -> Vec<String> {
    let rows = rows(client, data_source).await;
    let keys: Vec<String> = rows
        .iter()
        .map(|row| {
            notion_xws_core::sync::values::canonical(&row.properties["notion-xws:source"])
                .unwrap()
                .value
                .to_string()
        })
        .collect();
    let distinct: HashSet<&String> = keys.iter().collect();
    assert_eq!(distinct.len(), keys.len(), "a row twice: {keys:?}");
    keys
}

#[tokio::test(start_paused = true)]
async fn a_push_copy_in_the_trash_is_named_and_nothing_is_written_until_it_is_restored() {
    let (world, _, made) = small_world(4).await;
    let control = world.client();
    let config = RegistryConfig::default();
    sync(&control, &config, &execute(), None).await.unwrap();
    let acme = acme_client(&world).await;
    let copy = target_of(&control, "Tasks", "Acme").await.unwrap();
    set_trashed(&world, &acme, copy, true).await;
    edit_notes(&world, &made[0], "edited while the copy was in the trash").await;

    for options in [SyncOptions::default(), execute()] {
        let skip = world.fake.request_log().len();
        let report = sync(&control, &config, &options, None).await.unwrap();
        assert_eq!(report.exit_status(), 3, "{}", report.to_markdown());
        assert_eq!(cause(&report), Cause::CopyInTrash);
        let tasks = pair(&report, "Tasks");
        assert_eq!(tasks.class(), PairClass::NeedsPerson);
        assert!(
            matches!(&tasks.state, PairState::Skipped(reason) if reason.contains("in Notion's trash")),
            "{:?}",
            tasks.state
        );
        assert!(report.needs_person()[0].fix.contains("--recreate"));
        assert_eq!((tasks.created, tasks.updated, tasks.trashed), (0, 0, 0));
        // Nothing was sent to the environment's workspace but reads.
        let acme_writes = world.fake.request_log()[skip..]
            .iter()
            .filter(|r| r.method != Method::Get && !r.path.ends_with("/query"))
            .filter(|r| r.path.contains(&copy.to_string()))
            .count();
        assert_eq!(acme_writes, 0);
    }

    // Restored: the next run catches the copy up, with no duplicate and no second copy.
    set_trashed(&world, &acme, copy, false).await;
    let report = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(report.exit_status(), 0, "{}", report.to_markdown());
    let tasks = pair(&report, "Tasks");
    assert_eq!((tasks.created, tasks.updated, tasks.trashed), (0, 1, 0));
    assert_eq!(target_of(&control, "Tasks", "Acme").await, Some(copy));
    assert_eq!(keys(&acme, copy).await.len(), 4);
}

#[tokio::test(start_paused = true)]
async fn recreate_makes_a_new_push_copy_with_every_row_and_records_it() {
    let (world, _, _) = small_world(4).await;
    let control = world.client();
    let config = RegistryConfig::default();
    sync(&control, &config, &execute(), None).await.unwrap();
    let acme = acme_client(&world).await;
    let old = target_of(&control, "Tasks", "Acme").await.unwrap();
    set_trashed(&world, &acme, old, true).await;

    let recreate = SyncOptions {
        recreate: true,
        ..execute()
    };
    // A dry run says what the recreate would do.
    let plan = sync(
        &control,
        &config,
        &SyncOptions {
            recreate: true,
            ..SyncOptions::default()
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!(plan.exit_status(), 0, "{}", plan.to_markdown());
    let planned = pair(&plan, "Tasks");
    assert!(planned.creates_target);
    assert_eq!(planned.created, 4);

    let report = sync(&control, &config, &recreate, None).await.unwrap();
    assert_eq!(report.exit_status(), 0, "{}", report.to_markdown());
    assert_eq!(pair(&report, "Tasks").created, 4);
    let new = target_of(&control, "Tasks", "Acme").await.unwrap();
    assert_ne!(new, old, "the link row records the new copy");
    assert_eq!(keys(&acme, new).await.len(), 4);
    // The old copy stays in the trash, untouched.
    assert_eq!(keys(&acme, old).await.len(), 4);

    // Later runs, with or without the flag, sync the new copy and write nothing.
    for options in [execute(), recreate] {
        let again = sync(&control, &config, &options, None).await.unwrap();
        assert_eq!(again.exit_status(), 0, "{}", again.to_markdown());
        assert_eq!(again.writes(), 0, "{}", again.to_markdown());
    }
}

/// A small world of 3 rows synced to Acme, its copy then put in the trash: the world, and the
/// number of requests it has received.
async fn synced_then_copy_trashed() -> (World, DataSourceId, usize) {
    let (world, _, _) = small_world(3).await;
    let control = world.client();
    sync(&control, &RegistryConfig::default(), &execute(), None)
        .await
        .unwrap();
    let acme = acme_client(&world).await;
    let old = target_of(&control, "Tasks", "Acme").await.unwrap();
    set_trashed(&world, &acme, old, true).await;
    let seen = world.fake.request_log().len();
    (world, old, seen)
}

#[tokio::test(start_paused = true)]
async fn a_recreate_that_stopped_before_recording_its_copy_is_finished_without_the_flag() {
    let config = RegistryConfig::default();
    let recreate = SyncOptions {
        recreate: true,
        ..execute()
    };
    // On a twin world: the number of the request that records the new copy in the link row
    // (the first page write after the copy is created).
    let (probe, _, skip) = synced_then_copy_trashed().await;
    sync(&probe.client(), &config, &recreate, None)
        .await
        .unwrap();
    let log = probe.fake.request_log();
    let created = (skip..log.len())
        .find(|&i| log[i].method == Method::Post && log[i].path == "/v1/databases")
        .expect("the recreate creates a database");
    let recording = (created..log.len())
        .find(|&i| log[i].method == Method::Patch && log[i].path.starts_with("/v1/pages/"))
        .expect("the new copy is recorded");

    let (world, old, _) = synced_then_copy_trashed().await;
    let control = world.client();
    world.fake.fail_request(
        recording as u64 + 1,
        notion_xws_core::fake::Fault::InternalServerError,
    );
    let stopped = sync(&control, &config, &recreate, None).await.unwrap();
    assert_eq!(stopped.exit_status(), 1, "{}", stopped.to_markdown());
    assert_eq!(target_of(&control, "Tasks", "Acme").await, Some(old));
    // The next run, without the flag, finds the new copy by its marker: no third copy, every
    // row once, and the link row records it.
    let report = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(report.exit_status(), 0, "{}", report.to_markdown());
    assert_eq!(pair(&report, "Tasks").created, 3);
    let new = target_of(&control, "Tasks", "Acme").await.unwrap();
    assert_ne!(new, old);
    let acme = acme_client(&world).await;
    assert_eq!(keys(&acme, new).await.len(), 3);
    let again = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(again.writes(), 0, "{}", again.to_markdown());
}

#[tokio::test(start_paused = true)]
async fn a_source_in_the_trash_is_named_and_its_copy_is_left_as_it_is() {
    let (world, source, _) = small_world(4).await;
    let control = world.client();
    let config = RegistryConfig::default();
    sync(&control, &config, &execute(), None).await.unwrap();
    set_trashed(&world, &control, source.parse().unwrap(), true).await;
    for options in [SyncOptions::default(), execute()] {
        let report = sync(&control, &config, &options, None).await.unwrap();
        assert_eq!(report.exit_status(), 3, "{}", report.to_markdown());
        assert_eq!(cause(&report), Cause::SourceInTrash);
        assert_eq!(pair(&report, "Tasks").trashed, 0);
    }
    let acme = acme_client(&world).await;
    let copy = target_of(&control, "Tasks", "Acme").await.unwrap();
    assert_eq!(
        keys(&acme, copy).await.len(),
        4,
        "no row of the copy trashed"
    );
}

/// A two-way pair of `n` rows synced once, then its copy put in the trash by a person: the
/// world, the source, the source rows and the trashed copy.
async fn two_way_copy_trashed(n: usize) -> (World, String, Vec<String>, DataSourceId) {
    let (world, source, made) = two_way_world(n).await;
    let control = world.client();
    sync(&control, &RegistryConfig::default(), &execute(), None)
        .await
        .unwrap();
    let acme = acme_client(&world).await;
    let old = target_of(&control, "Tasks", "Acme").await.unwrap();
    assert_eq!(rows(&acme, old).await.len(), n);
    set_trashed(&world, &acme, old, true).await;
    (world, source, made, old)
}

/// A two-way pair's copy made again in place of `old` by the run of `report`: its `n` control
/// rows all there, none trashed on either side, recorded, and a next run that writes nothing.
async fn made_again(world: &World, report: &RunReport, old: DataSourceId, source: &str, n: usize) {
    let control = world.client();
    assert_eq!(report.exit_status(), 0, "{}", report.to_markdown());
    let tasks = pair(report, "Tasks");
    assert_eq!((tasks.created, tasks.trashed), (n, 0), "{tasks:#?}");
    let new = target_of(&control, "Tasks", "Acme").await.unwrap();
    assert_ne!(new, old);
    assert_eq!(rows(&acme_client(world).await, new).await.len(), n);
    assert_eq!(rows(&control, source.parse().unwrap()).await.len(), n);
    let again = sync(&control, &RegistryConfig::default(), &execute(), None)
        .await
        .unwrap();
    assert_eq!(again.exit_status(), 0, "{}", again.to_markdown());
    assert_eq!(again.writes(), 0, "{}", again.to_markdown());
}

#[tokio::test(start_paused = true)]
async fn a_two_way_copy_in_the_trash_is_named_and_recreate_brings_every_control_row() {
    let (world, source, _, old) = two_way_copy_trashed(5).await;
    let control = world.client();
    let config = RegistryConfig::default();

    let report = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(report.exit_status(), 3, "{}", report.to_markdown());
    assert_eq!(cause(&report), Cause::CopyInTrash);

    let recreate = SyncOptions {
        recreate: true,
        ..execute()
    };
    let report = sync(&control, &config, &recreate, None).await.unwrap();
    made_again(&world, &report, old, &source, 5).await;
}

#[tokio::test(start_paused = true)]
async fn a_restored_two_way_copy_catches_up_both_ways_with_no_duplicate() {
    let (world, source, made, copy) = two_way_copy_trashed(4).await;
    let control = world.client();
    let config = RegistryConfig::default();
    let acme = acme_client(&world).await;
    edit_notes(&world, &made[0], "edited while the copy was in the trash").await;
    let report = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(cause(&report), Cause::CopyInTrash);

    set_trashed(&world, &acme, copy, false).await;
    let report = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(report.exit_status(), 0, "{}", report.to_markdown());
    let tasks = pair(&report, "Tasks");
    assert_eq!((tasks.created, tasks.updated, tasks.trashed), (0, 1, 0));
    assert_eq!(target_of(&control, "Tasks", "Acme").await, Some(copy));
    assert_eq!(rows(&acme, copy).await.len(), 4);
    assert_eq!(rows(&control, source.parse().unwrap()).await.len(), 4);
    let again = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(again.writes(), 0, "{}", again.to_markdown());
}

#[tokio::test(start_paused = true)]
async fn a_two_way_copy_trashed_with_its_link_row_deleted_is_made_again_with_every_row() {
    let (world, source, _, old) = two_way_copy_trashed(6).await;
    let control = world.client();
    let config = RegistryConfig::default();
    let links = LinksTable::find(&control).await.unwrap().unwrap();
    for link in &links.links {
        ok(
            &world.fake,
            Method::Patch,
            &format!("/v1/pages/{}", link.row),
            world.token(),
            Some(json!({"in_trash": true})),
        )
        .await;
    }
    let report = sync(&control, &config, &execute(), None).await.unwrap();
    made_again(&world, &report, old, &source, 6).await;
}

#[tokio::test(start_paused = true)]
async fn a_two_way_control_database_in_the_trash_is_named() {
    let (world, source, _) = two_way_world(3).await;
    let control = world.client();
    let config = RegistryConfig::default();
    sync(&control, &config, &execute(), None).await.unwrap();
    set_trashed(&world, &control, source.parse().unwrap(), true).await;
    let report = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(report.exit_status(), 3, "{}", report.to_markdown());
    assert_eq!(cause(&report), Cause::SourceInTrash);
    let acme = acme_client(&world).await;
    let copy = target_of(&control, "Tasks", "Acme").await.unwrap();
    assert_eq!(
        rows(&acme, copy).await.len(),
        3,
        "no row of the copy trashed"
    );
}

#[tokio::test(start_paused = true)]
async fn a_row_of_a_database_in_the_trash_cannot_be_edited() {
    let (world, source, made) = small_world(1).await;
    let control = world.client();
    set_trashed(&world, &control, source.parse().unwrap(), true).await;
    let response = crate::support::fake::send(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{}", made[0]),
        world.token(),
        Some(json!({"properties": {"Notes": {"rich_text": text("x")}}})),
    )
    .await;
    assert_eq!(response.status, 400, "{}", response.body);
    assert_eq!(response.body["code"], "validation_error");
    assert!(
        response.body["message"]
            .as_str()
            .unwrap()
            .starts_with("Can't edit block that is archived."),
        "{}",
        response.body
    );
}
