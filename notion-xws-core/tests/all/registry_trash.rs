//! Trashed databases and parent pages named for what they are (#20 item 6): a registry row
//! naming a database in the trash, and an environment whose parent page is in the trash, are
//! audit findings that say so (not "not shared"), and the sync makes no copy of either.

use futures::TryStreamExt;
use notion_xws_core::DataSourceId;
use notion_xws_core::audit::{ParentPageStatus, Severity, audit};
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::sync::report::Cause;
use notion_xws_core::sync::sync;
use notion_xws_core::transport::Method;
use serde_json::json;

use crate::support::fake::ok;
use crate::support::sync::{execute, small_world_in};

#[tokio::test(start_paused = true)]
async fn a_registry_row_naming_a_database_in_the_trash_is_a_finding_and_not_copied() {
    let (world, acme, source, _) = small_world_in(2).await;
    let control = world.client();
    let source: DataSourceId = source.parse().unwrap();
    let database = control
        .data_source(source)
        .await
        .unwrap()
        .database_id()
        .unwrap();
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/databases/{database}"),
        world.token(),
        Some(json!({"in_trash": true})),
    )
    .await;
    let config = RegistryConfig::default();
    let (_, report) = audit(&control, &config).await.unwrap();
    let found: Vec<_> = report.findings_of("database.in-trash").collect();
    assert_eq!(found.len(), 1, "{:#?}", report.findings);
    assert_eq!(
        (found[0].severity, found[0].subject.as_str()),
        (Severity::P1, "Tasks")
    );
    assert!(found[0].fix.contains("restore"), "{:?}", found[0]);
    assert!(report.databases[0].in_trash);
    let run = sync(&control, &config, &execute(), None).await.unwrap();
    let causes: Vec<Cause> = run.needs_person().iter().map(|n| n.cause).collect();
    assert_eq!(causes, [Cause::SourceInTrash], "{}", run.to_markdown());
    let copies: Vec<_> = control
        .for_token(acme.token.clone())
        .search_data_sources("")
        .try_collect()
        .await
        .unwrap();
    assert!(copies.is_empty(), "{copies:?}");
}

#[tokio::test(start_paused = true)]
async fn a_parent_page_in_the_trash_is_named_so_not_unshared() {
    let (world, acme, _, _) = small_world_in(2).await;
    let control = world.client();
    let config = RegistryConfig::default();
    let (registry, _) = audit(&control, &config).await.unwrap();
    let parent = registry.environments[0].parent_page.value().unwrap().id;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{parent}"),
        &acme.token,
        Some(json!({"in_trash": true})),
    )
    .await;
    let (_, report) = audit(&control, &config).await.unwrap();
    assert!(
        matches!(
            report.environments[0].parent_page,
            ParentPageStatus::InTrash { .. }
        ),
        "{:?}",
        report.environments[0]
    );
    let found: Vec<_> = report.findings_of("parent-page.in-trash").collect();
    assert_eq!(found.len(), 1, "{:#?}", report.findings);
    assert_eq!(found[0].severity, Severity::P0);
    assert_eq!(report.findings_of("parent-page.not-shared").count(), 0);
    let run = sync(&control, &config, &execute(), None).await.unwrap();
    let needs = run.needs_person();
    assert_eq!(needs.len(), 1, "{}", run.to_markdown());
    assert_eq!(needs[0].cause, Cause::ParentPage);
    assert!(
        needs[0]
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("in Notion's trash"),
        "{needs:?}"
    );
    assert!(needs[0].fix.contains("restore"), "{needs:?}");
}

/// The same through the command, over HTTP: the audit's JSON names the finding, and the sync
/// exits 3 (a person is needed) with the cause, making no copy.
#[cfg(feature = "cli")]
#[tokio::test]
async fn a_database_in_the_trash_through_the_command() {
    use crate::cli::{notion_xws, text};
    let (world, acme, source, _) = small_world_in(2).await;
    let control = world.client();
    let source: DataSourceId = source.parse().unwrap();
    let database = control
        .data_source(source)
        .await
        .unwrap()
        .database_id()
        .unwrap();
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/databases/{database}"),
        world.token(),
        Some(json!({"in_trash": true})),
    )
    .await;
    let server = world.fake.serve().await.unwrap();
    let base_url = server.base_url();
    let env = [
        ("NOTION_TOKEN", world.token().expose()),
        ("NOTION_BASE_URL", base_url.as_str()),
    ];
    let fast = ["--requests-per-minute", "60000"];
    let audit = notion_xws(&[&fast[..], &["audit", "--json"]].concat(), &env).await;
    let report: serde_json::Value = serde_json::from_slice(&audit.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&audit.stderr)));
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(codes.contains(&"database.in-trash"), "{codes:?}");
    let run = notion_xws(
        &[&fast[..], &["sync", "--execute", "--json"]].concat(),
        &env,
    )
    .await;
    assert_eq!(run.status.code(), Some(3), "{}", text(&run.stderr));
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let causes: Vec<&str> = report["needs_person"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["cause"].as_str())
        .collect();
    assert_eq!(causes, ["source-in-trash"]);
    let copies: Vec<_> = control
        .for_token(acme.token.clone())
        .search_data_sources("")
        .try_collect()
        .await
        .unwrap();
    assert!(copies.is_empty(), "{copies:?}");
}

/// An environment whose parent page is in the trash, through the command over HTTP: the audit's
/// JSON names `parent-page.in-trash` (P0, no `parent-page.not-shared`), and the sync exits 3 with
/// the cause `parent-page` and "restore" in its fix, making no copy.
#[cfg(feature = "cli")]
#[tokio::test]
async fn a_parent_page_in_the_trash_through_the_command() {
    use crate::cli::{notion_xws, text};
    let (world, acme, _, _) = small_world_in(2).await;
    let control = world.client();
    let (registry, _) = audit(&control, &RegistryConfig::default()).await.unwrap();
    let parent = registry.environments[0].parent_page.value().unwrap().id;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{parent}"),
        &acme.token,
        Some(json!({"in_trash": true})),
    )
    .await;
    let server = world.fake.serve().await.unwrap();
    let base_url = server.base_url();
    let env = [
        ("NOTION_TOKEN", world.token().expose()),
        ("NOTION_BASE_URL", base_url.as_str()),
    ];
    let fast = ["--requests-per-minute", "60000"];
    let audit = notion_xws(&[&fast[..], &["audit", "--json"]].concat(), &env).await;
    assert_eq!(audit.status.code(), Some(1), "{}", text(&audit.stderr));
    let report: serde_json::Value = serde_json::from_slice(&audit.stdout).unwrap();
    let findings: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"].as_str().unwrap().starts_with("parent-page."))
        .map(|f| (f["code"].as_str().unwrap(), f["severity"].as_str().unwrap()))
        .collect();
    assert_eq!(findings, [("parent-page.in-trash", "P0")]);
    let run = notion_xws(
        &[&fast[..], &["sync", "--execute", "--json"]].concat(),
        &env,
    )
    .await;
    assert_eq!(run.status.code(), Some(3), "{}", text(&run.stderr));
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let needs = report["needs_person"].as_array().unwrap();
    assert_eq!(needs.len(), 1, "{report:#}");
    assert_eq!(needs[0]["cause"], "parent-page");
    assert!(
        needs[0]["fix"].as_str().unwrap().contains("restore"),
        "{needs:?}"
    );
    let copies: Vec<_> = control
        .for_token(acme.token.clone())
        .search_data_sources("")
        .try_collect()
        .await
        .unwrap();
    assert!(copies.is_empty(), "{copies:?}");
}
