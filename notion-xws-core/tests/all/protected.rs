//! The registry is never synced: its own tables (`system-environments`, `system-databases`,
//! `Clients`, `system-sync-links`) and any table holding a token column are refused as sources
//! and targets, with a P0 finding naming the row; copies of token columns anywhere the tool can
//! see are findings; no token ever lands in a client's workspace.

use futures::TryStreamExt;
use notion_xws_core::audit::{Severity, audit};
use notion_xws_core::client::NotionClient;
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::sync::{PairState, SyncOptions, sync, transfer};
use notion_xws_core::transport::Method;
use notion_xws_core::{DataSourceId, Error, PageId};
use serde_json::json;

use crate::support::fake::{id, ok, text};
use crate::support::sync::{execute, pair, rows, target_of};
use crate::support::world::{World, create_database, page};

const RELATION: &str = "Related to system-databases (system-environments)";

fn link(id: &str) -> String {
    format!("https://www.notion.so/{}", id.replace('-', ""))
}

/// Sets the environment row `env`'s relation to exactly the database rows `rows`.
async fn relate(world: &World, env: &str, rows: &[String]) {
    let related: Vec<_> = rows.iter().map(|row| json!({"id": row})).collect();
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{env}"),
        world.token(),
        Some(json!({"properties": {RELATION: {"relation": related}}})),
    )
    .await;
}

/// Everything a token can read in its workspace, as one text: every data source's schema and
/// every live row.
async fn everything(client: &NotionClient) -> String {
    let sources: Vec<_> = client.search_data_sources("").try_collect().await.unwrap();
    let mut all = String::new();
    for source in sources {
        all.push_str(&serde_json::to_string(&source.properties).unwrap());
        all.push_str(&source.title_text());
        for row in rows(client, source.id).await {
            all.push_str(&serde_json::to_string(&row).unwrap());
        }
    }
    all
}

#[tokio::test(start_paused = true)]
async fn the_registry_and_tables_of_tokens_are_never_synced() {
    let mut world = World::new(true).await;
    let control = world.client();
    let (_, tasks_ds) = world.source("Tasks").await;
    // A table of tokens outside the registry, as an earlier script left it; its row is named only
    // by its link, so the audit sees its title but not its schema: the sync's own check refuses it.
    let (backup_db, backup_ds) = create_database(
        &world.fake,
        world.token(),
        &world.library,
        "Environments backup",
        json!({"Name": {"title": {}}, "primary-token": {"rich_text": {}}}),
    )
    .await;
    ok(
        &world.fake,
        Method::Post,
        "/v1/pages",
        world.token(),
        Some(
            json!({"parent": {"data_source_id": backup_ds}, "properties": {
                "Name": {"title": text("Seren Media")},
                "primary-token": {"rich_text": text(world.token().expose())},
            }}),
        ),
    )
    .await;

    let tasks = world
        .database_row("Tasks", "Push", [&tasks_ds, "", "", ""])
        .await;
    let environments = world
        .database_row("Environments", "Push", [&world.environments, "", "", ""])
        .await;
    let databases = world
        .database_row("Databases", "Two-Way", [&world.databases, "", "", ""])
        .await;
    let backup = world
        .database_row("Backup", "Push", ["", "", "", &link(&backup_db)])
        .await;

    let acme = world.fake.add_workspace("Acme");
    let root = acme.root_page_id.to_string();
    let parent = id(&page(&world.fake, &acme.token, &root, "database-parent-page").await);
    // A database of Acme's that holds a token column, pulled into the control workspace.
    let (acme_keys_db, acme_keys_ds) = create_database(
        &world.fake,
        &acme.token,
        &parent,
        "Keys",
        json!({"Name": {"title": {}}, "Notion-Token": {"rich_text": {}}}),
    )
    .await;
    let keys = world
        .database_row("Keys", "Pull", [&acme_keys_ds, &acme_keys_db, "", ""])
        .await;
    let env = world
        .environment(
            "Acme",
            acme.token.expose(),
            Some(&link(&parent)),
            &[&tasks, &environments, &databases, &backup, &keys],
        )
        .await;
    // `Clients`, also named as a database to push.
    world.add_client("Acme", &env, "env:ACME_TOKEN").await;
    let clients_ds = world.clients.clone().unwrap();
    let clients = world
        .database_row("Clients", "Push", [&clients_ds, "", "", ""])
        .await;
    let mut related = vec![tasks, environments, databases, backup, keys, clients];
    relate(&world, &env, &related).await;

    // The audit: a P0 finding naming each registry row, a token copy in each workspace.
    let config = RegistryConfig::default();
    let (_, report) = audit(&control, &config).await.unwrap();
    let protected: Vec<&str> = report
        .findings_of("database.protected")
        .inspect(|f| assert_eq!(f.severity, Severity::P0, "{f:?}"))
        .map(|f| f.subject.as_str())
        .collect();
    for name in ["Environments", "Databases", "Clients", "Keys"] {
        assert!(protected.contains(&name), "{name}: {protected:?}");
    }
    assert!(!protected.contains(&"Tasks"), "{protected:?}");
    let copies: Vec<(Severity, &str)> = report
        .findings_of("token.copy")
        .map(|f| (f.severity, f.subject.as_str()))
        .collect();
    assert!(
        copies.contains(&(Severity::P1, "Environments backup")),
        "{copies:?}"
    );
    assert!(copies.contains(&(Severity::P0, "Keys")), "{copies:?}");
    assert!(
        !copies.iter().any(|(_, s)| *s == "system-environments"),
        "the registry's own table is not a copy: {copies:?}"
    );
    assert!(!report.to_json().contains(world.token().expose()));

    // The sync: Tasks is copied; every other pair is refused, by the audit or by its schema.
    let run = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(pair(&run, "Tasks").state, PairState::Synced, "{run:#?}");
    for name in ["Environments", "Databases", "Clients", "Keys"] {
        match &pair(&run, name).state {
            PairState::Skipped(reason) => assert!(reason.contains("refused"), "{name}: {reason}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    match &pair(&run, "Backup").state {
        PairState::Failed(reason) => assert!(reason.contains("token column"), "{reason}"),
        other => panic!("Backup: {other:?}"),
    }
    assert!(target_of(&control, "Backup", "Acme").await.is_none());

    // `system-sync-links`, which that run made, named as a database: refused too.
    let links = notion_xws_core::sync::links::LinksTable::find(&control)
        .await
        .unwrap()
        .unwrap();
    let links_row = world
        .database_row(
            "Links",
            "Push",
            [&links.data_source.to_string(), "", "", ""],
        )
        .await;
    related.push(links_row);
    relate(&world, &env, &related).await;
    let (_, report) = audit(&control, &config).await.unwrap();
    assert!(
        report
            .findings_of("database.protected")
            .any(|f| f.subject == "Links"),
        "{:#?}",
        report.findings
    );
    let again = sync(&control, &config, &execute(), None).await.unwrap();
    assert!(
        matches!(&pair(&again, "Links").state, PairState::Skipped(r) if r.contains("refused")),
        "{again:#?}"
    );
    assert_eq!(pair(&again, "Tasks").writes, 0, "{again:#?}");

    // Acme's workspace holds Tasks and its own Keys, and no token of any workspace.
    let acme_client = control.for_token(acme.token.clone());
    let titles: Vec<String> = acme_client
        .search_data_sources("")
        .map_ok(|s| s.title_text())
        .try_collect()
        .await
        .unwrap();
    let mut titles = titles;
    titles.sort();
    assert_eq!(titles, ["Keys", "Tasks"]);
    let seen = everything(&acme_client).await;
    assert!(!seen.contains(world.token().expose()));
    assert!(!seen.contains("Primary-Token") && !seen.contains("primary-token"));
    // And the control workspace got no copy of Keys.
    assert!(target_of(&control, "Keys", "Acme").await.is_none());
}

#[tokio::test(start_paused = true)]
async fn a_transfer_of_a_table_of_tokens_is_refused() {
    let world = World::new(true).await;
    let control = world.client();
    let acme = world.fake.add_workspace("Acme");
    let root = acme.root_page_id.to_string();
    let target_parent = id(&page(&world.fake, &acme.token, &root, "Copies").await);
    let acme_client = control.for_token(acme.token.clone());
    for source in [world.environments.clone(), world.databases.clone()] {
        let source: DataSourceId = source.parse().unwrap();
        let parent: PageId = target_parent.parse().unwrap();
        let options = SyncOptions {
            execute: true,
            ..SyncOptions::default()
        };
        let error = transfer(&control, source, &acme_client, parent, &options, None)
            .await
            .unwrap_err();
        assert!(matches!(error, Error::Protected(_)), "{error}");
        assert!(error.to_string().contains("refused"), "{error}");
    }
    let titles: Vec<String> = acme_client
        .search_data_sources("")
        .map_ok(|s| s.title_text())
        .try_collect()
        .await
        .unwrap();
    assert!(titles.is_empty(), "{titles:?}");
}

/// The same through the command, over HTTP: registry rows naming `system-environments` and
/// `system-databases` (Push, Two-Way) beside Tasks. `audit --json` names each in a P0
/// `database.protected` (exit 1); `sync --execute --json` copies Tasks only, refuses the two
/// (needing a person, cause `protected`: exit 3), and again on a re-run; the client's workspace
/// holds no token and no token column.
#[cfg(all(feature = "cli", feature = "http"))]
#[tokio::test]
async fn the_command_never_syncs_the_registry() {
    use crate::cli::{notion_xws, text};
    let world = World::new(true).await;
    let control = world.client();
    let (_, tasks_ds) = world.source("Tasks").await;
    let rows = [
        world
            .database_row("Tasks", "Push", [&tasks_ds, "", "", ""])
            .await,
        world
            .database_row("Environments", "Push", [&world.environments, "", "", ""])
            .await,
        world
            .database_row("Databases", "Two-Way", [&world.databases, "", "", ""])
            .await,
    ];
    let acme = world.fake.add_workspace("Acme");
    let root = acme.root_page_id.to_string();
    let parent = id(&page(&world.fake, &acme.token, &root, "database-parent-page").await);
    let related: Vec<&str> = rows.iter().map(String::as_str).collect();
    world
        .environment("Acme", acme.token.expose(), Some(&link(&parent)), &related)
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
    let mut protected: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "database.protected")
        .map(|f| {
            (
                f["severity"].as_str().unwrap(),
                f["subject"].as_str().unwrap(),
            )
        })
        .collect();
    protected.sort();
    assert_eq!(protected, [("P0", "Databases"), ("P0", "Environments")]);

    for run in 0..2 {
        let sync = notion_xws(
            &[&fast[..], &["sync", "--execute", "--json"]].concat(),
            &env,
        )
        .await;
        assert_eq!(sync.status.code(), Some(3), "{}", text(&sync.stderr));
        let report: serde_json::Value = serde_json::from_slice(&sync.stdout).unwrap();
        let mut classes: Vec<(&str, &str)> = report["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["pair"]["database"].as_str().unwrap(),
                    p["class"].as_str().unwrap(),
                )
            })
            .collect();
        classes.sort();
        assert_eq!(
            classes,
            [
                ("Databases", "needs-person"),
                ("Environments", "needs-person"),
                ("Tasks", "synced")
            ],
            "run {run}: {report:#}"
        );
        let causes: Vec<&str> = report["needs_person"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["cause"].as_str().unwrap())
            .collect();
        assert_eq!(causes, ["protected", "protected"], "run {run}: {report:#}");
        for stream in [&sync.stdout, &sync.stderr] {
            assert!(!text(stream).contains(world.token().expose()));
            assert!(!text(stream).contains(acme.token.expose()));
        }
    }
    let acme_client = control.for_token(acme.token.clone());
    let mut titles: Vec<String> = acme_client
        .search_data_sources("")
        .map_ok(|s| s.title_text())
        .try_collect()
        .await
        .unwrap();
    titles.sort();
    assert_eq!(titles, ["Tasks"]);
    let seen = everything(&acme_client).await;
    assert!(!seen.contains(world.token().expose()));
    assert!(!seen.contains(acme.token.expose()));
    assert!(!seen.contains("Primary-Token"));
}
