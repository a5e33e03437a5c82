//! Names and limits (#20 item 7): a link row's name past Notion's 2,000 characters per
//! rich-text item is written in items within the limits (and a text past 100 items is cut with a
//! marker that keeps it unique), so such a pair syncs and a re-run writes nothing; a table titled
//! `system-sync-links` of another schema is a finding, and an error, that names the table and the
//! columns it lacks.

use notion_xws_core::Error;
use notion_xws_core::audit::{Severity, audit};
use notion_xws_core::registry::{Registry, RegistryConfig};
use notion_xws_core::sync::{PairState, sync};
use notion_xws_core::transport::Method;
use serde_json::json;

use crate::duplicates::command;
use crate::support::fake::{ok, text};
use crate::support::sync::{execute, pair, small_world_in};
use crate::support::world::create_database;

#[tokio::test(start_paused = true)]
async fn a_database_named_with_2000_characters_syncs_and_a_rerun_writes_nothing() {
    let (world, _acme, _, _) = small_world_in(3).await;
    let control = world.client();
    let config = RegistryConfig::default();
    let registry = Registry::read(&control, &config).await.unwrap();
    let row = registry.databases[0].row;
    let name = "T".repeat(2000);
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{row}"),
        world.token(),
        Some(json!({"properties": {"Name": {"title": text(&name)}}})),
    )
    .await;
    let run = sync(&control, &config, &execute(), None).await.unwrap();
    let first = pair(&run, &name);
    assert_eq!(first.state, PairState::Synced, "{:?}", first.errors);
    assert_eq!(first.created, 3);
    let links = notion_xws_core::sync::links::LinksTable::find(&control)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(links.links.len(), 1);
    let again = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(pair(&again, &name).state, PairState::Synced);
    assert_eq!(pair(&again, &name).writes, 0, "{}", again.to_markdown());
}

#[tokio::test]
async fn a_foreign_links_table_is_a_finding_and_an_error_that_name_it() {
    let (world, _acme, _, _) = small_world_in(1).await;
    let control = world.client();
    let (_, foreign) = create_database(
        &world.fake,
        world.token(),
        &world.library,
        "system-sync-links",
        json!({"Name": {"title": {}}, "Notes": {"rich_text": {}}, "State": {"rich_text": {}}}),
    )
    .await;
    let config = RegistryConfig::default();
    let (_, report) = audit(&control, &config).await.unwrap();
    let found: Vec<_> = report.findings_of("links.foreign-schema").collect();
    assert_eq!(found.len(), 1, "{:#?}", report.findings);
    assert_eq!(found[0].severity, Severity::P0);
    for said in [
        foreign.as_str(),
        "Database (relation)",
        "Environment (relation)",
        "State (select, not rich_text)",
    ] {
        assert!(
            found[0].message.contains(said),
            "{said}: {}",
            found[0].message
        );
    }
    assert!(!found[0].message.contains("Status"), "{}", found[0].message);
    let error = sync(&control, &config, &execute(), None).await.unwrap_err();
    assert!(matches!(error, Error::Registry(_)), "{error}");
    assert!(error.to_string().contains(&foreign), "{error}");

    let server = world.fake.serve().await.unwrap();
    let base_url = server.base_url();
    let env = [
        ("NOTION_TOKEN", world.token().expose()),
        ("NOTION_BASE_URL", base_url.as_str()),
    ];
    let output = command(
        &["--requests-per-minute", "60000", "sync", "--execute"],
        &env,
    )
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("system-sync-links"), "{stderr}");
    assert!(stderr.contains("Database (relation)"), "{stderr}");
}

/// The same name through the command over HTTP: `sync --execute` copies the pair, and a second
/// run writes nothing.
#[tokio::test]
async fn a_2000_character_name_through_the_command() {
    let (world, _acme, _, _) = small_world_in(3).await;
    let control = world.client();
    let registry = Registry::read(&control, &RegistryConfig::default())
        .await
        .unwrap();
    let row = registry.databases[0].row;
    let name = "T".repeat(2000);
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{row}"),
        world.token(),
        Some(json!({"properties": {"Name": {"title": text(&name)}}})),
    )
    .await;
    let server = world.fake.serve().await.unwrap();
    let base_url = server.base_url();
    let env = [
        ("NOTION_TOKEN", world.token().expose()),
        ("NOTION_BASE_URL", base_url.as_str()),
    ];
    let args = [
        "--requests-per-minute",
        "60000",
        "sync",
        "--execute",
        "--json",
    ];
    for (run, writes) in [(0, None), (1, Some(0))] {
        let output = command(&args, &env).await;
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(0),
            "run {run}: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let pair = &report["pairs"][0];
        assert_eq!(pair["pair"]["database"], name.as_str());
        assert_eq!(pair["class"], "synced", "run {run}: {pair:#}");
        match writes {
            None => assert_eq!(pair["created"], 3, "{pair:#}"),
            Some(n) => assert_eq!(pair["writes"], n, "{pair:#}"),
        }
    }
}
