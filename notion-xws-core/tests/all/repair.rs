//! The repair: planned from the audit, applied when asked, idempotent.

use notion_xws_core::audit::{ParentPageStatus, audit};
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::repair::{RepairAction, apply_repair, plan_repair};
use notion_xws_core::transport::Method;

use crate::support::fake::id;
use crate::support::world::{World, page};
use notion_xws_core::client::NotionClient;
use notion_xws_core::demo::DemoWorld;
use notion_xws_core::fake::{FakeConfig, FakeNotion};
use notion_xws_core::transport::DynTransport;
use std::sync::Arc;

fn link(id: &str) -> String {
    format!("https://www.notion.so/{}", id.replace('-', ""))
}

#[tokio::test]
async fn repair_fills_what_resolves_and_a_second_repair_writes_nothing() {
    let world = World::new(false).await;
    let (tasks_db, tasks_ds) = world.source("Tasks").await;
    let (crm_db, crm_ds) = world.source("CRM").await;
    let (notes_db, notes_ds) = world.source("Notes").await;
    let fillable = world
        .database_row("Tasks", "Push", ["", "", "", &link(&tasks_db)])
        .await;
    let wrong = world.database_row("CRM", "", [&crm_db, "", "", ""]).await;
    world
        .database_row("Conflict", "Push", [&crm_ds, "", "", &link(&notes_db)])
        .await;
    world
        .database_row("Done already", "", [&notes_ds, "", "", &link(&notes_db)])
        .await;
    let acme = world.fake.add_workspace("Acme");
    let parent = id(&page(
        &world.fake,
        &acme.token,
        &acme.root_page_id.to_string(),
        "database-parent-page",
    )
    .await);
    world
        .environment("Acme", acme.token.expose(), None, &[&fillable])
        .await;
    world.fake.clear_request_log();

    let client = world.client();
    let config = RegistryConfig::default();
    let (registry, report) = audit(&client, &config).await.unwrap();
    let plan = plan_repair(&registry, &report, "2026-11-25");
    // Planning is pure: nothing was written.
    assert!(
        world
            .fake
            .request_log()
            .iter()
            .all(|r| r.method == Method::Get
                || r.path == "/v1/search"
                || r.path.ends_with("/query"))
    );
    let kinds: Vec<&str> = plan
        .actions
        .iter()
        .map(|a| match a {
            RepairAction::AddColumn { .. } => "column",
            RepairAction::SetDataSourceId { .. } => "dsid",
            RepairAction::SetParentPage { .. } => "parent",
            RepairAction::SetTokenHealth { .. } => "token",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "column", "column", "column", "dsid", "dsid", "parent", "token"
        ],
        "{plan:#?}"
    );
    assert!(plan.actions.contains(&RepairAction::SetDataSourceId {
        row: fillable.parse().unwrap(),
        database: "Tasks".into(),
        data_source: tasks_ds.parse().unwrap(),
    }));
    assert!(plan.actions.contains(&RepairAction::SetDataSourceId {
        row: wrong.parse().unwrap(),
        database: "CRM".into(),
        data_source: crm_ds.parse().unwrap(),
    }));

    let applied = apply_repair(&client, &registry, &plan).await;
    assert_eq!(applied.failed(), 0, "{applied:#?}");
    assert_eq!(applied.applied(), plan.actions.len());

    let (registry, report) = audit(&client, &config).await.unwrap();
    let env = &report.environments[0];
    assert_eq!(
        env.parent_page,
        ParentPageStatus::Recorded {
            page: parent.parse().unwrap()
        }
    );
    assert_eq!(
        registry.environments[0].token_status.as_deref(),
        Some("valid")
    );
    for database in &report.databases {
        if database.resolved.is_some() {
            assert!(database.data_source_id_recorded, "{}", database.name);
        }
    }
    assert_eq!(report.summary.databases_with_data_source_id, 4);
    assert!(
        report
            .findings_of("database.data-source-id-missing")
            .next()
            .is_none()
    );
    assert!(
        report
            .findings_of("registry.parent-page-property-missing")
            .next()
            .is_none()
    );
    // The conflict is left to a person.
    assert!(report.findings_of("database.ids-disagree").next().is_some());

    let again = plan_repair(&registry, &report, "2026-11-25");
    assert!(again.is_empty(), "{again:#?}");
    world.fake.clear_request_log();
    let nothing = apply_repair(&client, &registry, &again).await;
    assert_eq!(nothing.outcomes.len(), 0);
    assert_eq!(world.fake.request_log().len(), 0);
    // The next day, only the token check date is recorded again.
    let tomorrow = plan_repair(&registry, &report, "2026-11-26");
    assert_eq!(tomorrow.actions.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn on_the_demo_world_repair_fills_every_resolvable_id_and_a_third_writes_nothing() {
    let fake = FakeNotion::new(FakeConfig::default());
    let world = DemoWorld::build(&fake).await.unwrap();
    let client = NotionClient::new(
        Arc::new(fake.clone()) as DynTransport,
        world.control_token.clone(),
    );
    let config = RegistryConfig::default();
    let (registry, before) = audit(&client, &config).await.unwrap();
    let plan = plan_repair(&registry, &before, "2026-11-25");
    assert_eq!(apply_repair(&client, &registry, &plan).await.failed(), 0);
    let filled_empty = before
        .databases
        .iter()
        .filter(|d| {
            d.resolved.is_some()
                && registry
                    .database(d.row)
                    .unwrap()
                    .ids
                    .data_source_id
                    .is_empty()
        })
        .count();

    let (registry, after) = audit(&client, &config).await.unwrap();
    let resolvable = after
        .databases
        .iter()
        .filter(|d| d.resolved.is_some())
        .count();
    assert!(resolvable >= before.summary.databases_resolvable);
    assert!(
        after
            .databases
            .iter()
            .filter(|d| d.resolved.is_some())
            .all(|d| d.data_source_id_recorded)
    );
    assert_eq!(
        after.summary.databases_with_data_source_id,
        29 + filled_empty
    );
    assert_eq!(after.summary.databases_with_data_source_id, 94);
    assert!(
        after
            .findings_of("registry.parent-page-property-missing")
            .next()
            .is_none()
    );
    let third = plan_repair(&registry, &after, "2026-11-25");
    assert!(third.is_empty(), "{third:#?}");
    fake.clear_request_log();
    apply_repair(&client, &registry, &third).await;
    assert!(fake.request_log().is_empty());
}
