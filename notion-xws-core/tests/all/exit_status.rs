//! The exit status a scheduler acts on, per cause: 0 when every pair synced, 1 when something
//! failed, 3 when a person is needed, with the cause and the fix in the report and its JSON.

use notion_xws_core::client::NotionClient;
use notion_xws_core::demo::DemoWorld;
use notion_xws_core::fake::{FakeConfig, FakeNotion, Fault};
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::repair::{apply_repair, audit_and_plan};
use notion_xws_core::sync::report::{Cause, PairClass};
use notion_xws_core::sync::{PairState, RunReport, SyncOptions, sync};
use notion_xws_core::transport::DynTransport;
use notion_xws_core::transport::Method;
use serde_json::Value;
use std::sync::Arc;

use crate::support::sync::{
    acme_client, execute, fail_every_query_of, nth_request, pair, set_environment, small_world,
    synced_then_mostly_trashed, target_of,
};

/// The causes of the pairs that need a person, in the report and in its JSON (which must agree).
fn causes(report: &RunReport) -> Vec<Cause> {
    let json: Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["exit_status"], report.exit_status());
    let listed = json["needs_person"].as_array().unwrap();
    let needs = report.needs_person();
    assert_eq!(listed.len(), needs.len());
    for (entry, need) in listed.iter().zip(&needs) {
        assert_eq!(entry["pair"], need.pair.as_str());
        assert!(!need.fix.is_empty(), "{need:?}");
        assert!(
            report.to_markdown().contains(&need.fix),
            "the Markdown names the fix"
        );
    }
    needs.iter().map(|n| n.cause).collect()
}

#[tokio::test(start_paused = true)]
async fn a_sync_of_every_pair_exits_0() {
    let (world, _, _) = small_world(3).await;
    let control = world.client();
    let report = sync(&control, &RegistryConfig::default(), &execute(), None)
        .await
        .unwrap();
    assert_eq!(report.exit_status(), 0, "{}", report.to_markdown());
    assert_eq!(causes(&report), []);
    assert_eq!(pair(&report, "Tasks").class(), PairClass::Synced);
    let json: Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["pairs"][0]["class"], "synced");
    // A dry run of the same, now in step, also exits 0.
    let plan = sync(
        &control,
        &RegistryConfig::default(),
        &SyncOptions::default(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(plan.exit_status(), 0, "{}", plan.to_markdown());
}

#[tokio::test(start_paused = true)]
async fn a_source_that_cannot_be_read_exits_1() {
    let (world, source, _) = small_world(2).await;
    let control = world.client();
    fail_every_query_of(&world.fake, &source);
    let report = sync(&control, &RegistryConfig::default(), &execute(), None)
        .await
        .unwrap();
    assert_eq!(report.exit_status(), 1, "{}", report.to_markdown());
    assert_eq!(pair(&report, "Tasks").class(), PairClass::Failed);
    assert_eq!(causes(&report), []);
}

#[tokio::test(start_paused = true)]
async fn a_held_delete_guard_exits_3_and_names_the_flag() {
    let (_world, control, config) = synced_then_mostly_trashed().await;
    for options in [SyncOptions::default(), execute()] {
        let report = sync(&control, &config, &options, None).await.unwrap();
        assert_eq!(report.exit_status(), 3, "{}", report.to_markdown());
        assert_eq!(causes(&report), [Cause::DeleteGuard]);
        assert!(report.needs_person()[0].fix.contains("--allow-mass-delete"));
    }
    let mut allowed = execute();
    allowed.plan.allow_mass_delete = true;
    let report = sync(&control, &config, &allowed, None).await.unwrap();
    assert_eq!(report.exit_status(), 0, "{}", report.to_markdown());
}

#[tokio::test(start_paused = true)]
async fn a_revoked_environment_token_exits_3() {
    let (world, _, _) = small_world(2).await;
    let control = world.client();
    let acme = acme_client(&world).await;
    assert!(world.fake.revoke_token(acme.token()));
    let report = sync(&control, &RegistryConfig::default(), &execute(), None)
        .await
        .unwrap();
    assert_eq!(report.exit_status(), 3, "{}", report.to_markdown());
    assert_eq!(causes(&report), [Cause::Token]);
    assert_eq!(pair(&report, "Tasks").class(), PairClass::NeedsPerson);
}

#[tokio::test(start_paused = true)]
async fn a_source_unshared_from_the_control_integration_exits_3() {
    let (world, source, _) = small_world(2).await;
    let control = world.client();
    let config = RegistryConfig::default();
    sync(&control, &config, &execute(), None).await.unwrap();
    let database = control
        .data_source(source.parse().unwrap())
        .await
        .unwrap()
        .database_id()
        .unwrap();
    world.fake.unshare(world.token(), database).unwrap();
    let report = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(report.exit_status(), 3, "{}", report.to_markdown());
    let causes = causes(&report);
    assert!(
        causes == [Cause::SourceUnreadable] || causes == [Cause::DatabaseUnresolved],
        "{causes:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_copy_unshared_from_the_environment_exits_3() {
    let (world, _, _) = small_world(2).await;
    let control = world.client();
    let config = RegistryConfig::default();
    sync(&control, &config, &execute(), None).await.unwrap();
    let acme = acme_client(&world).await;
    let copy = target_of(&control, "Tasks", "Acme").await.unwrap();
    let database = acme.data_source(copy).await.unwrap().database_id().unwrap();
    world.fake.unshare(acme.token(), database).unwrap();
    let report = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(report.exit_status(), 3, "{}", report.to_markdown());
    assert_eq!(causes(&report), [Cause::TargetUnreadable]);
}

#[tokio::test(start_paused = true)]
async fn the_demo_registry_needs_a_person_for_each_pair_of_a_revoked_token() {
    let fake = FakeNotion::new(FakeConfig::default());
    let world = DemoWorld::build(&fake).await.unwrap();
    let control = NotionClient::new(
        Arc::new(fake.clone()) as DynTransport,
        world.control_token.clone(),
    );
    let config = RegistryConfig::default();
    let (registry, plan) = audit_and_plan(&control, &config, "2026-12-03")
        .await
        .unwrap();
    assert_eq!(apply_repair(&control, &registry, &plan).await.failed(), 0);
    let report = sync(&control, &config, &SyncOptions::default(), None)
        .await
        .unwrap();
    assert_eq!(report.exit_status(), 3, "{}", report.to_markdown());
    // The pairs of the environments whose tokens are revoked (7 of the demo's pairs).
    assert_eq!(causes(&report), [Cause::Token; 7]);
    // A pair pulled from another environment is left out by design: no person needed.
    for pair in report
        .pairs
        .iter()
        .filter(|p| p.class() == PairClass::Skipped)
    {
        assert!(pair.attention.is_none());
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_step_before_the_writes_names_the_step_and_counts_no_write_as_failed() {
    let config = RegistryConfig::default();
    // The second page the run creates (after the pair's lease claim) is its link row, before
    // any row: found on a twin of the world.
    let (probe, _, _) = small_world(3).await;
    let skip = probe.fake.request_log().len();
    sync(&probe.client(), &config, &execute(), None)
        .await
        .unwrap();
    let link_row = nth_request(&probe.fake, skip, Method::Post, "/v1/pages", 2);
    let (world, _, _) = small_world(3).await;
    let control = world.client();
    world
        .fake
        .fail_request(link_row, Fault::InternalServerError);
    let report = sync(&control, &config, &execute(), None).await.unwrap();
    let tasks = pair(&report, "Tasks");
    assert_eq!((tasks.created, tasks.failed), (0, 0), "{tasks:#?}");
    match &tasks.state {
        PairState::Failed(reason) => {
            assert!(
                reason.starts_with("creating the copy (its link row, then the database) failed, so none of the 3 row write(s) was attempted"),
                "{reason}"
            );
            assert!(!reason.contains("read the target back"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(report.exit_status(), 1);
    // The next run finishes: every row once.
    let again = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(again.exit_status(), 0, "{}", again.to_markdown());
    assert_eq!(pair(&again, "Tasks").created, 3);
    let copy = target_of(&control, "Tasks", "Acme").await.unwrap();
    let acme = acme_client(&world).await;
    assert_eq!(crate::support::sync::rows(&acme, copy).await.len(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_two_way_pair_names_the_step_that_failed() {
    let config = RegistryConfig::default();
    let (probe, _, _) = crate::support::sync::two_way_world(2).await;
    let skip = probe.fake.request_log().len();
    sync(&probe.client(), &config, &execute(), None)
        .await
        .unwrap();
    let link_row = nth_request(&probe.fake, skip, Method::Post, "/v1/pages", 2);
    let (world, _, _) = crate::support::sync::two_way_world(2).await;
    let control = world.client();
    world
        .fake
        .fail_request(link_row, Fault::InternalServerError);
    let report = sync(&control, &config, &execute(), None).await.unwrap();
    let tasks = pair(&report, "Tasks");
    match &tasks.state {
        PairState::Failed(reason) => {
            assert!(
                reason.starts_with("creating or recording the copy failed: "),
                "{reason}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!((tasks.created, tasks.failed), (0, 0), "{tasks:#?}");
    assert_eq!(report.exit_status(), 1);
    let again = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(again.exit_status(), 0, "{}", again.to_markdown());
    assert_eq!(pair(&again, "Tasks").created, 2);
}

#[tokio::test(start_paused = true)]
async fn an_environment_token_variable_that_is_not_set_exits_3_and_names_it() {
    let (world, _, _) = small_world(2).await;
    let variable = "NOTION_XWS_TEST_TOKEN_NEVER_SET";
    assert!(std::env::var_os(variable).is_none());
    set_environment(
        &world,
        serde_json::json!({"Primary-Token": {"rich_text": crate::support::fake::text(&format!("env:{variable}"))}}),
    )
    .await;
    let report = sync(
        &world.client(),
        &RegistryConfig::default(),
        &execute(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(report.exit_status(), 3, "{}", report.to_markdown());
    assert_eq!(causes(&report), [Cause::Token]);
    let tasks = pair(&report, "Tasks");
    assert!(
        tasks.reason().is_some_and(|r| r.contains(variable)),
        "{:?}",
        tasks.state
    );
}

#[tokio::test(start_paused = true)]
async fn an_environment_with_no_token_exits_3() {
    let (world, _, _) = small_world(2).await;
    set_environment(
        &world,
        serde_json::json!({"Primary-Token": {"rich_text": []}}),
    )
    .await;
    let report = sync(
        &world.client(),
        &RegistryConfig::default(),
        &execute(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(report.exit_status(), 3, "{}", report.to_markdown());
    assert_eq!(causes(&report), [Cause::Token]);
    assert_eq!(
        pair(&report, "Tasks").reason(),
        Some("the environment's token is missing")
    );
}

#[tokio::test(start_paused = true)]
async fn a_registry_table_named_as_a_source_exits_3() {
    let (world, _, _) = small_world(2).await;
    let registry =
        notion_xws_core::registry::Registry::read(&world.client(), &RegistryConfig::default())
            .await
            .unwrap();
    let row = registry.databases[0].row;
    let rich = |t: &str| serde_json::json!({"rich_text": crate::support::fake::text(t)});
    crate::support::fake::ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{row}"),
        world.token(),
        Some(serde_json::json!({"properties": {
            "Data Source ID": rich(&world.databases),
            "Database ID": {"rich_text": []},
            "NID": {"rich_text": []},
            "Database URL": {"url": null},
        }})),
    )
    .await;
    let report = sync(
        &world.client(),
        &RegistryConfig::default(),
        &execute(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(report.exit_status(), 3, "{}", report.to_markdown());
    assert_eq!(causes(&report), [Cause::Protected]);
}

/// The README's table of causes lists every cause a pair can need a person for, as the JSON
/// spells it, in [`Cause::ALL`]'s order; `ALL` holds every variant (the match below has no
/// wildcard, so a new cause fails to compile until it is placed).
#[test]
fn the_readme_lists_every_cause() {
    let place = |cause: Cause| match cause {
        Cause::DeleteGuard => 0,
        Cause::OpenConflicts => 1,
        Cause::Token => 2,
        Cause::ParentPage => 3,
        Cause::DatabaseUnresolved => 4,
        Cause::Protected => 5,
        Cause::SourceUnreadable => 6,
        Cause::TargetUnreadable => 7,
        Cause::SourceInTrash => 8,
        Cause::CopyInTrash => 9,
        Cause::TargetMisplaced => 10,
        Cause::Duplicate => 11,
        Cause::ControlWorkspace => 12,
    };
    let places: Vec<usize> = Cause::ALL.iter().map(|c| place(*c)).collect();
    assert_eq!(places, (0..13).collect::<Vec<_>>());
    let readme = include_str!("../../../README.md");
    let table = readme
        .split("| cause | the pair needs a person because |\n")
        .nth(1)
        .expect("the README has a table of causes");
    let listed: Vec<&str> = table
        .lines()
        .skip(1)
        .take_while(|line| line.starts_with('|'))
        .map(|line| line.split('|').nth(1).unwrap().trim().trim_matches('`'))
        .collect();
    let words: Vec<String> = Cause::ALL
        .iter()
        .map(|c| {
            serde_json::to_value(c)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(listed, words);
}
