//! Alerts and status in Notion: every pair's `Status` and reason in its `system-sync-links` row
//! (skipped pairs included, written only when they change), the `--notify` summary posted to a
//! server on 127.0.0.1, and the audit report written as a Notion page.

use std::sync::Arc;

use notion_xws_core::client::NotionClient;
use notion_xws_core::demo::DemoWorld;
use notion_xws_core::fake::{FakeConfig, FakeNotion};
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::repair::{apply_repair, plan_repair};
use notion_xws_core::sync::links::{LinkStatus, LinksTable};
use notion_xws_core::sync::report::PairClass;
use notion_xws_core::sync::{RunReport, sync};
use notion_xws_core::transport::{DynTransport, Method};
use serde_json::json;

use crate::support::fake::ok;
use crate::support::sync::{acme_client, execute, small_world, synced_then_mostly_trashed};

/// The writes `fake` received since its log was cleared.
fn writes_logged(fake: &FakeNotion) -> Vec<String> {
    fake.request_log()
        .into_iter()
        .filter(|r| {
            !(r.method == Method::Get || r.path == "/v1/search" || r.path.ends_with("/query"))
        })
        .map(|r| format!("{:?} {}", r.method, r.path))
        .collect()
}

/// Every pair of `report` (but a busy one) has a link row whose status is the pair's; a pair
/// that has no copy names none. Returns the statuses seen.
async fn assert_statuses(control: &NotionClient, report: &RunReport) -> Vec<LinkStatus> {
    let links = LinksTable::find(control)
        .await
        .unwrap()
        .expect("a links table");
    assert!(
        links.missing_columns.is_empty(),
        "{:?}",
        links.missing_columns
    );
    let mut seen = Vec::new();
    for pair in &report.pairs {
        if pair.class() == PairClass::Busy {
            continue;
        }
        let link = links
            .link_for(&pair.pair)
            .unwrap_or_else(|| panic!("no link row for {}", pair.pair.label()));
        let wanted = pair.link_status().expect("a status");
        assert_eq!(link.status, wanted, "{}", pair.pair.label());
        if pair.class() == PairClass::Skipped || (pair.attention.is_some() && pair.requests == 0) {
            assert_eq!(link.target_database, None, "{}", pair.pair.label());
        }
        seen.extend(wanted.status);
    }
    seen
}

#[tokio::test(start_paused = true)]
async fn every_pair_of_the_demo_has_its_status_and_a_second_run_writes_nothing() {
    let fake = FakeNotion::new(FakeConfig::default());
    let world = DemoWorld::build(&fake).await.unwrap();
    let control = NotionClient::new(
        Arc::new(fake.clone()) as DynTransport,
        world.control_token.clone(),
    );
    let config = RegistryConfig::default();
    let (registry, audit) = notion_xws_core::audit::audit(&control, &config)
        .await
        .unwrap();
    apply_repair(
        &control,
        &registry,
        &plan_repair(&registry, &audit, "2026-11-25"),
    )
    .await;

    let first = sync(&control, &config, &execute(), None).await.unwrap();
    let seen = assert_statuses(&control, &first).await;
    assert!(seen.contains(&LinkStatus::Synced), "{seen:?}");
    // The revoked environments' pairs: skipped, with the reason and the fix.
    assert!(seen.contains(&LinkStatus::NeedsAttention), "{seen:?}");
    let links = LinksTable::find(&control).await.unwrap().unwrap();
    let revoked = first
        .pairs
        .iter()
        .find(|p| p.reason().is_some_and(|r| r.contains("token")))
        .expect("a pair skipped for its token");
    let row = links.link_for(&revoked.pair).unwrap();
    let reason = row.status.reason.as_deref().unwrap();
    assert!(
        reason.contains("token") && reason.contains("Fix: "),
        "{reason}"
    );

    // Nothing changed: no write, statuses included.
    fake.clear_request_log();
    let second = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(writes_logged(&fake), Vec::<String>::new());
    assert_eq!(second.writes(), 0);
    assert_statuses(&control, &second).await;

    // A links table made before `Status` and `Reason` existed gets them, and every row its
    // status once; then nothing again.
    ok(
        &fake,
        Method::Patch,
        &format!("/v1/data_sources/{}", links.data_source),
        &world.control_token,
        Some(json!({"properties": {"Status": null, "Reason": null}})),
    )
    .await;
    let old = LinksTable::find(&control).await.unwrap().unwrap();
    assert_eq!(old.missing_columns, ["Status", "Reason"]);
    let upgraded = sync(&control, &config, &execute(), None).await.unwrap();
    assert_statuses(&control, &upgraded).await;
    let statused = upgraded
        .pairs
        .iter()
        .filter(|p| p.class() != PairClass::Busy)
        .count();
    assert_eq!(
        upgraded.writes(),
        statused as u64,
        "{}",
        upgraded.to_markdown()
    );
    fake.clear_request_log();
    let again = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(writes_logged(&fake), Vec::<String>::new());
    assert_eq!(again.writes(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_status_is_written_when_it_changes_and_only_then() {
    let (world, control, config) = synced_then_mostly_trashed().await;
    let status = |report: &RunReport| report.pairs[0].link_status().unwrap();
    let guarded = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(
        status(&guarded).status,
        Some(LinkStatus::NeedsAttention),
        "{}",
        guarded.to_markdown()
    );
    assert!(
        status(&guarded)
            .reason
            .unwrap()
            .contains("--allow-mass-delete")
    );
    assert_statuses(&control, &guarded).await;
    assert_eq!(
        guarded.writes(),
        1,
        "the status only: {}",
        guarded.to_markdown()
    );
    // The guard holds again: the row already says so.
    let again = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(again.writes(), 0, "{}", again.to_markdown());

    // The token revoked: skipped, needs attention, the row says why; the copy stays recorded.
    let acme = acme_client(&world).await;
    assert!(world.fake.revoke_token(acme.token()));
    let revoked = sync(&control, &config, &execute(), None).await.unwrap();
    let cells = status(&revoked);
    assert!(
        cells.reason.as_deref().unwrap().contains("token"),
        "{cells:?}"
    );
    assert_statuses(&control, &revoked).await;
    let links = LinksTable::find(&control).await.unwrap().unwrap();
    assert!(
        links
            .link_for(&revoked.pairs[0].pair)
            .unwrap()
            .target_database
            .is_some()
    );
}

#[tokio::test(start_paused = true)]
async fn a_dry_run_writes_no_status() {
    let (world, _, _) = small_world(2).await;
    let control = world.client();
    world.fake.clear_request_log();
    let plan = sync(
        &control,
        &RegistryConfig::default(),
        &notion_xws_core::sync::SyncOptions::default(),
        None,
    )
    .await
    .unwrap();
    assert!(plan.dry_run);
    assert_eq!(writes_logged(&world.fake), Vec::<String>::new());
    assert!(LinksTable::find(&control).await.unwrap().is_none());
}
