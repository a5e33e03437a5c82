//! `notion-xws init`, run as a user runs it against a served fake: the registry made on an empty
//! workspace (then audit, repair and sync run clean), completed on one that lacks columns, and a
//! second run that writes nothing. The README's table of the registry's columns is held to the
//! one list of them.

use notion_xws_core::fake::{FakeNotion, LoggedRequest};
use notion_xws_core::registry::columns::registry_columns;
use notion_xws_core::registry::{PropertyNames, Registry, RegistryConfig};
use notion_xws_core::transport::Method;

use crate::cli::{notion_xws, text};
use crate::support::world::World;

/// The writes sent to Notion among `log`, whatever it answered: every request but a read (a
/// search and a query are POSTs that read).
fn writes(log: &[LoggedRequest]) -> Vec<String> {
    log.iter()
        .filter(|r| r.method != Method::Get)
        .filter(|r| r.path != "/v1/search" && !r.path.ends_with("/query"))
        .map(|r| format!("{:?} {} ({})", r.method, r.path, r.status))
        .collect()
}

#[tokio::test]
async fn init_on_an_empty_workspace_then_audit_repair_and_sync_run_clean() {
    let fake = FakeNotion::default();
    let control = fake.add_workspace("Seren Media");
    let server = fake.serve().await.unwrap();
    let base_url = server.base_url();
    let token = control.token.expose();
    let env = [
        ("NOTION_TOKEN", token),
        ("NOTION_BASE_URL", base_url.as_str()),
    ];
    let fast = ["--requests-per-minute", "60000"];
    let parent = format!(
        "https://www.notion.so/Registry-{}",
        control.root_page_id.simple()
    );

    // Before: every command says there is no registry (exit 2).
    let audit = notion_xws(&[&fast[..], &["audit"]].concat(), &env).await;
    assert_eq!(audit.status.code(), Some(2), "{}", text(&audit.stderr));

    let init = notion_xws(
        &[&fast[..], &["init", "--parent", &parent, "--json"]].concat(),
        &env,
    )
    .await;
    assert_eq!(init.status.code(), Some(0), "{}", text(&init.stderr));
    let report: serde_json::Value = serde_json::from_slice(&init.stdout).unwrap();
    let created: Vec<&str> = report["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(created, ["system-databases", "system-environments"]);
    assert_eq!(report["writes"], 2);
    assert_eq!(report["columns"], serde_json::json!([]));

    // Every column of the list, with its type, and the relation between the two tables.
    let client = notion_xws_core::client::NotionClient::new(
        std::sync::Arc::new(fake.clone()) as notion_xws_core::transport::DynTransport,
        control.token.clone(),
    );
    let registry = Registry::read(&client, &RegistryConfig::default())
        .await
        .unwrap();
    // Every column of the two tables (`Clients` is read when it exists, never created).
    for column in registry_columns(&PropertyNames::default()) {
        let table = match column.table {
            notion_xws_core::registry::columns::Table::Environments => &registry.environments_table,
            notion_xws_core::registry::columns::Table::Databases => &registry.databases_table,
            notion_xws_core::registry::columns::Table::Clients => continue,
        };
        let schema = table
            .column(&column.name)
            .unwrap_or_else(|| panic!("{} lacks {}", table.title, column.name));
        assert_eq!(
            schema.type_name(),
            column.column_type.name(),
            "{}",
            column.name
        );
    }
    assert_eq!(registry.relation.as_deref(), Some("Databases"));
    let sync = serde_json::to_value(registry.databases_table.column("Sync").unwrap()).unwrap();
    let options: Vec<&str> = sync["select"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(options, ["No Sync", "Push", "Pull", "Two-Way"]);

    // Then the other commands run clean on the new, empty registry.
    for args in [
        &["audit"][..],
        &["repair", "--execute"],
        &["sync", "--execute"],
    ] {
        let output = notion_xws(&[&fast[..], args].concat(), &env).await;
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}{}",
            text(&output.stdout),
            text(&output.stderr)
        );
    }

    // A second init writes nothing.
    fake.clear_request_log();
    let again = notion_xws(&[&fast[..], &["init", "--parent", &parent]].concat(), &env).await;
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert!(
        text(&again.stdout).contains("the registry is complete: nothing to do"),
        "{}",
        text(&again.stdout)
    );
    assert_eq!(writes(&fake.request_log()), Vec::<String>::new());
    for output in [&init, &again] {
        for stream in [&output.stdout, &output.stderr] {
            assert!(!text(stream).contains(token), "the token was printed");
        }
    }
}

#[tokio::test]
async fn init_adds_only_the_columns_an_existing_registry_lacks() {
    // The test world's registry lacks Database-Parent-Page-ID, the token health columns and
    // Sync Content.
    let world = World::new(false).await;
    let server = world.fake.serve().await.unwrap();
    let base_url = server.base_url();
    let env = [
        ("NOTION_TOKEN", world.token().expose()),
        ("NOTION_BASE_URL", base_url.as_str()),
    ];
    let args = [
        "--requests-per-minute",
        "60000",
        "init",
        "--parent",
        &world.library,
    ];
    let output = notion_xws(&[&args[..], &["--json"]].concat(), &env).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["created"], serde_json::json!([]));
    let added: Vec<(&str, &str)> = report["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            assert_eq!(o["error"], serde_json::Value::Null);
            (
                o["action"]["column"].as_str().unwrap(),
                o["action"]["column_type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        added,
        [
            ("Database-Parent-Page-ID", "url"),
            ("Token-Status", "select"),
            ("Token-Checked", "date"),
            ("Sync Content", "checkbox"),
        ]
    );
    // The existing relation (another name) is kept: no second one.
    let registry = Registry::read(&world.client(), &RegistryConfig::default())
        .await
        .unwrap();
    assert_eq!(
        registry.relation.as_deref(),
        Some("Related to system-databases (system-environments)")
    );
    assert!(registry.environments_table.column("Databases").is_none());

    // The repair has no column left to add; a second init writes nothing.
    let repair = notion_xws(
        &["--requests-per-minute", "60000", "repair", "--json"],
        &env,
    )
    .await;
    let plan: serde_json::Value = serde_json::from_slice(&repair.stdout).unwrap();
    assert!(
        plan["actions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["action"] != "add_column"),
        "{plan}"
    );
    world.fake.clear_request_log();
    let again = notion_xws(&args, &env).await;
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert_eq!(writes(&world.fake.request_log()), Vec::<String>::new());
}

#[tokio::test]
async fn init_under_a_page_the_integration_cannot_edit_exits_2_and_says_so() {
    let fake = FakeNotion::default();
    let control = fake.add_workspace("Seren Media");
    let other = fake.add_workspace("Elsewhere");
    let server = fake.serve().await.unwrap();
    let base_url = server.base_url();
    let env = [
        ("NOTION_TOKEN", control.token.expose()),
        ("NOTION_BASE_URL", base_url.as_str()),
    ];
    let parent = other.root_page_id.to_string();
    let output = notion_xws(&["init", "--parent", &parent], &env).await;
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("cannot create system-databases under")
            && stderr.contains("share the page with the integration"),
        "{stderr}"
    );
    assert_eq!(writes(&fake.request_log()), Vec::<String>::new());
    // The page's children cannot be read: nothing is tried.
    let log = fake.request_log();
    assert!(
        log.iter()
            .any(|r| r.path.ends_with("/children") && r.status == 404),
        "{log:?}"
    );
    assert!(!log.iter().any(|r| r.path == "/v1/databases"), "{log:?}");
}

/// The README's table of the registry's columns is the one list of them: the same rows, in the
/// same order, each with its type, table, meaning and who writes it.
#[test]
fn the_readme_lists_every_registry_column_with_its_type() {
    let readme = include_str!("../../../README.md");
    let table = readme
        .split("| column | type | table | what it holds | who writes it |\n")
        .nth(1)
        .expect("the README has a table of the registry's columns");
    let rows: Vec<&str> = table
        .lines()
        .skip(1)
        .take_while(|line| line.starts_with('|'))
        .collect();
    let expected: Vec<String> = registry_columns(&PropertyNames::default())
        .iter()
        .map(|column| {
            format!(
                "| `{}` | `{}` | {} | {} | {} |",
                column.name,
                column.column_type.name(),
                column.table.title(),
                column.meaning,
                column.written_by
            )
        })
        .collect();
    assert_eq!(rows, expected);
}

#[tokio::test]
async fn a_second_init_finds_the_tables_notion_s_search_does_not_list_yet() {
    use std::sync::Arc;

    use notion_xws_core::client::NotionClient;
    use notion_xws_core::fake::FakeConfig;
    use notion_xws_core::init::init;
    use notion_xws_core::transport::DynTransport;

    // Search lists a new database only an hour later; a page's children list it at once.
    let fake = FakeNotion::new(FakeConfig {
        search_lag: std::time::Duration::from_secs(3600),
        ..FakeConfig::default()
    });
    let control = fake.add_workspace("Seren Media");
    let client = NotionClient::new(
        Arc::new(fake.clone()) as DynTransport,
        control.token.clone(),
    );
    let parent = control.root_page_id.to_string();
    let config = RegistryConfig::default();
    let first = init(&client, &config, &parent).await.unwrap();
    assert_eq!(first.created.len(), 2);
    fake.clear_request_log();
    let second = init(&client, &config, &parent).await.unwrap();
    assert_eq!((second.writes(), second.failed()), (0, 0), "{second}");
    let found: Vec<&str> = second.found.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(found, ["system-databases", "system-environments"]);
    assert_eq!(writes(&fake.request_log()), Vec::<String>::new());
}

/// The README's table of `system-sync-links` names every column of the one list of them, in its
/// order.
#[test]
fn the_readme_lists_every_links_column() {
    use notion_xws_core::registry::columns::LINK_COLUMNS;
    let readme = include_str!("../../../README.md");
    let section = readme
        .split("### `system-sync-links`")
        .nth(1)
        .expect("the README has a section on system-sync-links");
    let table = section
        .split("| column | type | holds |\n")
        .nth(1)
        .expect("the section has a table of the columns");
    let listed: Vec<&str> = table
        .lines()
        .skip(1)
        .take_while(|line| line.starts_with('|'))
        .flat_map(|line| line.split('|').nth(1).unwrap().split(','))
        .map(|name| name.trim().trim_matches('`'))
        .collect();
    let names: Vec<&str> = LINK_COLUMNS.iter().map(|c| c.name).collect();
    assert_eq!(listed, names);
}
