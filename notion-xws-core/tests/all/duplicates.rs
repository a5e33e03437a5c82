//! One copy per (database, environment), whatever the registry says (#20 item 2): environment
//! rows of one workspace (the same token and page twice, names differing by a zero-width space)
//! and database rows naming one data source are findings and are synced once; an environment
//! holding the control workspace's token is never a target; two first runs at once on a fresh
//! registry make one `system-sync-links` (and one `system-sync-leases`). On the fake, and
//! through the command.

use std::time::Duration;

use futures::TryStreamExt;
use notion_xws_core::audit::{Severity, audit};
use notion_xws_core::client::NotionClient;
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::sync::SyncOptions;
use notion_xws_core::sync::lease::LeaseOptions;
use notion_xws_core::sync::report::{Cause, PairClass};
use notion_xws_core::sync::sync;
use notion_xws_core::transport::Method;
use serde_json::json;

use crate::support::fake::{id, ok};
use crate::support::sync::{execute, small_world_in};
use crate::support::world::{World, page};

fn link(id: &str) -> String {
    format!("https://www.notion.so/{}", id.replace('-', ""))
}

/// The titles of the data sources `client` can read, sorted.
async fn titles(client: &NotionClient) -> Vec<String> {
    let mut titles: Vec<String> = client
        .search_data_sources("")
        .map_ok(|s| s.title_text())
        .try_collect()
        .await
        .unwrap();
    titles.sort();
    titles
}

/// The small world (Tasks pushed to Acme), plus a second row for Acme's workspace with the same
/// token and page, named "Acme" with a zero-width space, and a second row for Tasks: (world,
/// Acme's client). With `later`, the second rows are made two minutes after the first (on a
/// paused clock), so that they are the newer ones by `created_time`.
async fn doubled_world(later: bool) -> (World, NotionClient) {
    let (world, acme, source, _) = small_world_in(3).await;
    if later {
        tokio::time::advance(std::time::Duration::from_secs(120)).await;
    }
    let control = world.client();
    let registry = notion_xws_core::registry::Registry::read(&control, &RegistryConfig::default())
        .await
        .unwrap();
    let tasks = registry.databases[0].row.to_string();
    let parent = registry.environments[0]
        .parent_page
        .value()
        .unwrap()
        .id
        .to_string();
    let again = world
        .database_row("Tasks again", "Push", [&source, "", "", ""])
        .await;
    world
        .environment(
            "Ac\u{200b}me",
            acme.token.expose(),
            Some(&link(&parent)),
            &[&tasks, &again],
        )
        .await;
    (world, control.for_token(acme.token.clone()))
}

#[tokio::test(start_paused = true)]
async fn rows_of_one_workspace_or_one_database_make_one_copy() {
    let (world, acme) = doubled_world(true).await;
    let control = world.client();
    let config = RegistryConfig::default();
    let (_, report) = audit(&control, &config).await.unwrap();
    let same: Vec<_> = report.findings_of("environment.same-workspace").collect();
    assert_eq!(same.len(), 1, "{:#?}", report.findings);
    assert_eq!(same[0].severity, Severity::P0);
    assert_eq!(same[0].subject, "Ac\u{200b}me");
    assert!(same[0].message.contains("\"Acme\""), "{}", same[0].message);
    let duplicate: Vec<_> = report.findings_of("database.duplicate").collect();
    assert_eq!(duplicate.len(), 1, "{:#?}", report.findings);
    assert_eq!(duplicate[0].subject, "Tasks again");
    // Tasks again is related to the second Acme row only, whose copy Tasks → Acme makes.
    assert_eq!(duplicate[0].severity, Severity::P0, "{:?}", duplicate[0]);

    let run = sync(&control, &config, &execute(), None).await.unwrap();
    let synced: Vec<_> = run
        .pairs
        .iter()
        .filter(|p| p.class() == PairClass::Synced)
        .map(|p| (p.pair.database.as_str(), p.pair.environment.as_str()))
        .collect();
    assert_eq!(synced, [("Tasks", "Acme")], "{}", run.to_markdown());
    let needs: Vec<Cause> = run.needs_person().iter().map(|n| n.cause).collect();
    assert_eq!(needs, [Cause::Duplicate, Cause::Duplicate], "{needs:?}");
    assert_eq!(run.exit_status(), 3);
    assert!(run.to_markdown().contains("Tasks → Acme makes this copy"));
    assert_eq!(titles(&acme).await, ["Tasks"]);
    // A clean re-run: still one copy, nothing written to it.
    let again = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(titles(&acme).await, ["Tasks"]);
    assert_eq!(again.created(), 0, "{}", again.to_markdown());
}

#[tokio::test(start_paused = true)]
async fn an_environment_with_the_control_token_is_never_a_target() {
    let (world, _acme, _, _) = small_world_in(2).await;
    let control = world.client();
    let config = RegistryConfig::default();
    let registry = notion_xws_core::registry::Registry::read(&control, &config)
        .await
        .unwrap();
    let tasks = registry.databases[0].row.to_string();
    let root = world.control.root_page_id.to_string();
    let parent = id(&page(&world.fake, world.token(), &root, "Internal copies").await);
    // The control workspace's own row (typed Primary), then a second one holding its token.
    let own = world
        .environment("Seren Media", world.token().expose(), None, &[])
        .await;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{own}"),
        world.token(),
        Some(json!({"properties": {"Environment-Type": {"select": {"name": "Primary"}}}})),
    )
    .await;
    world
        .environment(
            "Internal",
            world.token().expose(),
            Some(&link(&parent)),
            &[&tasks],
        )
        .await;
    let (_, report) = audit(&control, &config).await.unwrap();
    let found: Vec<_> = report
        .findings_of("environment.control-workspace")
        .collect();
    assert_eq!(found.len(), 1, "{:#?}", report.findings);
    assert_eq!(
        (found[0].severity, found[0].subject.as_str()),
        (Severity::P0, "Internal")
    );
    assert!(
        report
            .environments
            .iter()
            .any(|e| e.primary && e.name == "Seren Media")
    );
    let run = sync(&control, &config, &execute(), None).await.unwrap();
    let needs: Vec<(String, Cause)> = run
        .needs_person()
        .iter()
        .map(|n| (n.pair.clone(), n.cause))
        .collect();
    assert_eq!(
        needs,
        [("Tasks → Internal".to_owned(), Cause::ControlWorkspace)]
    );
    // One Tasks in the control workspace: the source; Acme's copy made as before.
    let control_titles = titles(&control).await;
    assert_eq!(
        control_titles.iter().filter(|t| *t == "Tasks").count(),
        1,
        "{control_titles:?}"
    );
}

#[tokio::test]
async fn the_command_syncs_a_doubled_registry_once_and_exits_3() {
    let (world, acme) = doubled_world(false).await;
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
    for _ in 0..2 {
        let output = command(&args, &env).await;
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(3), "{stdout}");
        let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let causes: Vec<&str> = json["needs_person"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["cause"].as_str().unwrap())
            .collect();
        assert_eq!(causes, ["duplicate", "duplicate"], "{stdout}");
        assert_eq!(titles(&acme).await, ["Tasks"]);
    }
    let audit = command(&["--requests-per-minute", "60000", "audit", "--json"], &env).await;
    assert_eq!(audit.status.code(), Some(1));
    let audit = String::from_utf8_lossy(&audit.stdout);
    assert!(audit.contains("environment.same-workspace"), "{audit}");
    assert!(audit.contains("database.duplicate"), "{audit}");
}

/// An environment holding the control workspace's token, through the command over HTTP: the
/// audit's JSON names it (`environment.control-workspace`, P0), and the sync exits 3 with the
/// cause `control-workspace`, making no second Tasks in the control workspace.
#[tokio::test]
async fn the_command_never_targets_the_control_workspace() {
    let (world, _acme, _, _) = small_world_in(2).await;
    let control = world.client();
    let registry = notion_xws_core::registry::Registry::read(&control, &RegistryConfig::default())
        .await
        .unwrap();
    let tasks = registry.databases[0].row.to_string();
    let root = world.control.root_page_id.to_string();
    let parent = id(&page(&world.fake, world.token(), &root, "Internal copies").await);
    // The control workspace's own row (typed Primary), then a second one holding its token.
    let own = world
        .environment("Seren Media", world.token().expose(), None, &[])
        .await;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{own}"),
        world.token(),
        Some(json!({"properties": {"Environment-Type": {"select": {"name": "Primary"}}}})),
    )
    .await;
    world
        .environment(
            "Internal",
            world.token().expose(),
            Some(&link(&parent)),
            &[&tasks],
        )
        .await;
    let server = world.fake.serve().await.unwrap();
    let base_url = server.base_url();
    let env = [
        ("NOTION_TOKEN", world.token().expose()),
        ("NOTION_BASE_URL", base_url.as_str()),
    ];
    let fast = ["--requests-per-minute", "60000"];
    let audit = command(&[&fast[..], &["audit", "--json"]].concat(), &env).await;
    let report: serde_json::Value = serde_json::from_slice(&audit.stdout).unwrap();
    let found: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "environment.control-workspace")
        .map(|f| {
            (
                f["severity"].as_str().unwrap(),
                f["subject"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(found, [("P0", "Internal")], "{report:#}");
    let run = command(
        &[&fast[..], &["sync", "--execute", "--json"]].concat(),
        &env,
    )
    .await;
    assert_eq!(
        run.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let needs: Vec<(&str, &str)> = report["needs_person"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["pair"].as_str().unwrap(), n["cause"].as_str().unwrap()))
        .collect();
    assert_eq!(needs, [("Tasks → Internal", "control-workspace")]);
    let control_titles = titles(&control).await;
    assert_eq!(
        control_titles.iter().filter(|t| *t == "Tasks").count(),
        1,
        "{control_titles:?}"
    );
}

/// Runs the binary with `args` and exactly the variables `env` (besides `PATH`): the one
/// helper of the command's tests, [`crate::cli::notion_xws`].
pub(crate) use crate::cli::notion_xws as command;

#[tokio::test(start_paused = true)]
async fn two_first_runs_at_once_make_one_links_table_and_one_copy() {
    let (world, acme, _, _) = small_world_in(3).await;
    // Notion's read-after-write lag: queries list a new row, and search a new table, later.
    world.fake.set_query_lag(Duration::from_millis(1500));
    world.fake.set_search_lag(Duration::from_millis(1000));
    tokio::time::sleep(Duration::from_secs(2)).await;
    // Two processes, each with its own stack and run ID, started at the same instant.
    let process = || crate::support::sync::process(&world);
    let run = |id: &str| SyncOptions {
        execute: true,
        lease: LeaseOptions {
            run_id: id.to_owned(),
            ..LeaseOptions::default()
        },
        ..SyncOptions::default()
    };
    let (a, b) = (process(), process());
    let config = RegistryConfig::default();
    let (run_a, run_b) = (run("a"), run("b"));
    let (first, second) = tokio::join!(
        sync(&a, &config, &run_a, None),
        sync(&b, &config, &run_b, None)
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    let created: usize = [&first, &second].iter().map(|r| r.created()).sum();
    assert_eq!(
        created,
        3,
        "{}{}",
        first.to_markdown(),
        second.to_markdown()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let control = world.client();
    for table in ["system-sync-links", "system-sync-leases"] {
        let live = control
            .search_data_sources(table)
            .try_filter(|s| {
                let exact = s.title_text() == table && !s.in_trash();
                async move { exact }
            })
            .try_collect::<Vec<_>>()
            .await
            .unwrap();
        assert_eq!(live.len(), 1, "{table}");
    }
    let acme = control.for_token(acme.token.clone());
    assert_eq!(titles(&acme).await, ["Tasks"]);
    // A clean re-run finds one of each and makes nothing.
    let again = sync(&control, &config, &execute(), None).await.unwrap();
    assert!(!again.has_failures(), "{}", again.to_markdown());
    assert_eq!(again.created(), 0);
    assert_eq!(titles(&acme).await, ["Tasks"]);
}

/// Two first `sync --execute` at once, as two processes of the command over HTTP, on a fresh
/// registry with Notion's read-after-write lag: one `system-sync-links`, one copy of Tasks, every
/// row once; a clean re-run makes nothing.
#[tokio::test]
async fn two_first_runs_of_the_command_at_once_make_one_links_table_and_one_copy() {
    let (world, acme, _, _) = small_world_in(3).await;
    world.fake.set_query_lag(Duration::from_millis(1500));
    world.fake.set_search_lag(Duration::from_millis(1000));
    tokio::time::sleep(Duration::from_secs(2)).await;
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
    let (first, second) = tokio::join!(command(&args, &env), command(&args, &env));
    let mut created = 0;
    for run in [&first, &second] {
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert_eq!(
            run.status.code(),
            Some(0),
            "{stdout}{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        created += report["pairs"][0]["created"].as_u64().unwrap();
    }
    assert_eq!(created, 3);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let control = world.client();
    let live = control
        .search_data_sources("system-sync-links")
        .try_filter(|s| {
            let exact = s.title_text() == "system-sync-links" && !s.in_trash();
            async move { exact }
        })
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    assert_eq!(live.len(), 1);
    let acme = control.for_token(acme.token.clone());
    assert_eq!(titles(&acme).await, ["Tasks"]);
    let again = command(&args, &env).await;
    assert_eq!(again.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(report["pairs"][0]["created"], 0, "{report:#}");
    assert_eq!(titles(&acme).await, ["Tasks"]);
}
