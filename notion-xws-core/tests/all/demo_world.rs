//! The demo world read back through the API: the gap report's counts come from the cells, the
//! tokens answer as the report says, the parent pages and the unshared objects are where a sync
//! will trip on them, and the same seed builds the same world.

use std::collections::{BTreeMap, BTreeSet};

use notion_xws_core::demo::{
    ASSET_RELATION, CONTACT_RELATION, DATABASE_PARENT_PAGE, DemoWorld, RELATION_TO_DATABASES,
    RELATION_TO_ENVIRONMENTS, RegistryDefect, RowTarget, TokenState,
};
use notion_xws_core::fake::{FakeConfig, FakeNotion};
use notion_xws_core::transport::Method;
use notion_xws_core::{DataSourceId, NotionLink, NotionToken};
use serde_json::{Value, json};

use crate::support::fake::{ok, send};

async fn world(seed: u64) -> DemoWorld {
    let fake = FakeNotion::new(FakeConfig {
        seed,
        ..FakeConfig::default()
    });
    DemoWorld::build(&fake)
        .await
        .unwrap_or_else(|e| panic!("the demo world does not build: {e}"))
}

/// Every row of a data source, page by page (100 a page); also returns how many pages it took.
async fn all_rows(
    fake: &FakeNotion,
    token: &NotionToken,
    source: DataSourceId,
) -> (Vec<Value>, usize) {
    rows_by_pages(fake, token, source, 100).await
}

/// Every row of a data source, `page_size` a page; also returns how many pages it took.
async fn rows_by_pages(
    fake: &FakeNotion,
    token: &NotionToken,
    source: DataSourceId,
    page_size: u32,
) -> (Vec<Value>, usize) {
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut body = json!({ "page_size": page_size });
        if let Some(cursor) = &cursor {
            body["start_cursor"] = json!(cursor);
        }
        let page = ok(
            fake,
            Method::Post,
            &format!("/v1/data_sources/{source}/query"),
            token,
            Some(body),
        )
        .await;
        pages += 1;
        rows.extend(page["results"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(next) if page["has_more"] == json!(true) => cursor = Some(next.to_owned()),
            _ => return (rows, pages),
        }
    }
}

/// The plain text of a title or rich-text cell, or the string of a URL cell.
fn cell(row: &Value, property: &str) -> String {
    let value = &row["properties"][property];
    match value["type"].as_str() {
        Some(kind @ ("title" | "rich_text")) => value[kind]
            .as_array()
            .map(|parts| {
                parts
                    .iter()
                    .filter_map(|p| p["plain_text"].as_str())
                    .collect::<String>()
            })
            .unwrap_or_default(),
        Some("url") => value["url"].as_str().unwrap_or_default().to_owned(),
        Some("select" | "status") => {
            let kind = value["type"].as_str().unwrap_or_default();
            value[kind]["name"].as_str().unwrap_or_default().to_owned()
        }
        _ => String::new(),
    }
}

fn relation_ids(row: &Value, property: &str) -> Vec<String> {
    row["properties"][property]["relation"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(start_paused = true)]
async fn the_build_is_all_api_calls_and_is_counted() {
    let fake = FakeNotion::default();
    let started = std::time::Instant::now();
    let world = DemoWorld::build(&fake).await.expect("the demo builds");
    let elapsed = started.elapsed();
    let log = fake.request_log();
    assert_eq!(log.len() as u64, fake.requests_received());
    assert!(
        log.iter().all(|r| r.status == 200),
        "a request of the build failed: {:?}",
        log.iter().find(|r| r.status != 200)
    );
    let mut by_operation: BTreeMap<String, usize> = BTreeMap::new();
    for request in &log {
        let path = request.path.trim_start_matches("/v1/");
        let resource = path.split('/').next().unwrap_or_default();
        *by_operation
            .entry(format!("{} {resource}", request.method))
            .or_default() += 1;
    }
    println!(
        "demo world: {} API requests ({by_operation:?}) in {elapsed:?} wall time",
        log.len()
    );
    assert_eq!(by_operation.get("POST data_sources"), Some(&1));
    assert_eq!(world.registry_rows.len(), DemoWorld::DATABASES);
}

#[tokio::test(start_paused = true)]
async fn the_registry_has_the_gap_reports_numbers() {
    let world = world(0).await;
    let fake = &world.fake;
    let control = &world.control_token;

    // system-environments: 18 rows, 7 tokens (1 valid, 6 revoked), 11 empty.
    let (environments, _) =
        all_rows(fake, control, world.registry.environments.data_source_id).await;
    assert_eq!(environments.len(), DemoWorld::ENVIRONMENTS);
    let tokens: Vec<(String, String)> = environments
        .iter()
        .map(|row| (cell(row, "Name"), cell(row, "Primary-Token")))
        .filter(|(_, token)| !token.trim().is_empty())
        .collect();
    assert_eq!(tokens.len(), DemoWorld::WITH_TOKEN);
    assert_eq!(environments.len() - tokens.len(), DemoWorld::WITHOUT_TOKEN);
    let mut valid = Vec::new();
    let mut refused = Vec::new();
    for (name, stored) in &tokens {
        let token = NotionToken::new(stored).expect("a stored token reads");
        let me = send(fake, Method::Get, "/v1/users/me", &token, None).await;
        match me.status {
            200 => valid.push(name.clone()),
            401 => refused.push(name.clone()),
            other => panic!("{name}: {other}"),
        }
    }
    assert_eq!(valid, ["VibeVessel Client Workspace"]);
    assert_eq!(refused.len(), DemoWorld::INVALID_TOKENS);
    let expected_refused: BTreeSet<&str> = [
        "Ocean Frontiers + Compass Point Client Workspace",
        "Seren Legacy Workspace",
        "Primary (Seren Media)",
        "Ocean Frontiers / Compass Point",
        "Archive",
        "Notion Workspace Archive",
    ]
    .into();
    assert_eq!(
        refused.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        expected_refused
    );
    // VibeVessel's token is stored as pasted: quotes and spaces around it.
    let stored = &tokens
        .iter()
        .find(|(name, _)| name == "VibeVessel Client Workspace")
        .expect("VibeVessel has a token")
        .1;
    assert!(stored.starts_with("  \"ntn_") && stored.ends_with("\"  "));
    assert!(NotionToken::needed_cleaning(stored));
    // The revoked Primary token is not the control token.
    let primary = world.environment("Primary (Seren Media)").expect("Primary");
    assert_ne!(primary.token.as_ref(), Some(control));

    // The schema of system-environments: no Database-Parent-Page-ID yet (GAP-2).
    let schema = ok(
        fake,
        Method::Get,
        &format!(
            "/v1/data_sources/{}",
            world.registry.environments.data_source_id
        ),
        control,
        None,
    )
    .await;
    let properties = &schema["properties"];
    assert!(properties.get("Database-Parent-Page-ID").is_none());
    assert_eq!(properties["Primary-Token"]["type"], "rich_text");
    assert_eq!(properties["Environment-Type"]["type"], "select");
    assert_eq!(
        properties[RELATION_TO_DATABASES]["relation"]["type"],
        "dual_property"
    );
    let schema = ok(
        fake,
        Method::Get,
        &format!(
            "/v1/data_sources/{}",
            world.registry.databases.data_source_id
        ),
        control,
        None,
    )
    .await;
    let properties = &schema["properties"];
    assert_eq!(properties["Sync"]["type"], "status");
    let sync_options: Vec<&str> = properties["Sync"]["status"]["options"]
        .as_array()
        .map(|o| o.iter().filter_map(|o| o["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        sync_options,
        ["No Sync", "Push", "Pull", "Two-Way", "One-Way", "Sometimes"]
    );
    for (name, kind) in [
        ("Data Source ID", "rich_text"),
        ("Database ID", "rich_text"),
        ("NID", "rich_text"),
        ("Database URL", "url"),
        (RELATION_TO_ENVIRONMENTS, "relation"),
    ] {
        assert_eq!(properties[name]["type"], kind, "{name}");
    }

    // system-databases: 100 rows, 29 with a Data Source ID, 93 with a URL. Read whole, by pages
    // of 100 (one page, `has_more` false) and by pages of 40 (three pages): the same rows.
    let (rows, pages) = all_rows(fake, control, world.registry.databases.data_source_id).await;
    assert_eq!(rows.len(), DemoWorld::DATABASES);
    assert_eq!(pages, 1, "100 rows fit one page of 100");
    let (paged, pages) =
        rows_by_pages(fake, control, world.registry.databases.data_source_id, 40).await;
    assert_eq!((paged.len(), pages), (DemoWorld::DATABASES, 3));
    assert_eq!(paged, rows);
    let filled = |property: &str| {
        rows.iter()
            .filter(|r| !cell(r, property).is_empty())
            .count()
    };
    assert_eq!(filled("Data Source ID"), DemoWorld::WITH_DATA_SOURCE_ID);
    assert_eq!(rows.len() - filled("Data Source ID"), 71);
    assert_eq!(filled("Database URL"), DemoWorld::WITH_URL);
    assert!(filled("Database ID") >= 3 && filled("NID") >= 3);
    let sources = |row: &Value| {
        ["Data Source ID", "Database ID", "NID", "Database URL"].map(|p| !cell(row, p).is_empty())
    };
    let only = |i: usize| {
        rows.iter()
            .filter(|r| {
                let s = sources(r);
                s[i] && s.iter().filter(|x| **x).count() == 1
            })
            .count()
    };
    assert_eq!(only(1), 1, "one row whose only source is Database ID");
    assert_eq!(only(2), 1, "one row whose only source is NID");
    assert_eq!(
        rows.iter()
            .filter(|r| sources(r).iter().all(|x| !x))
            .count(),
        1,
        "one row with no ID source"
    );
    assert_eq!(
        rows.iter().filter(|r| cell(r, "Name").is_empty()).count(),
        1
    );
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for row in &rows {
        *names.entry(cell(row, "Name")).or_default() += 1;
    }
    names.remove("");
    assert_eq!(
        names.iter().filter(|(_, n)| **n > 1).collect::<Vec<_>>(),
        [(&"Invoices".to_owned(), &2)]
    );

    // Link shapes: app.notion.com, one view link, one peek link, one with 31 hex digits.
    let urls: Vec<String> = rows.iter().map(|r| cell(r, "Database URL")).collect();
    assert!(
        urls.iter()
            .filter(|u| u.starts_with("https://app.notion.com/p/"))
            .count()
            >= 5
    );
    let views: Vec<&String> = urls.iter().filter(|u| u.contains("?v=")).collect();
    assert_eq!(views.len(), 2);
    assert_eq!(
        views
            .iter()
            .filter(|u| u.contains("&p=") && u.ends_with("&pm=s"))
            .count(),
        1
    );
    let unreadable: Vec<&String> = urls
        .iter()
        .filter(|u| !u.is_empty() && NotionLink::parse(u).is_err())
        .collect();
    assert_eq!(unreadable.len(), 1, "{unreadable:?}");
    assert!(unreadable[0].contains("/Proposals-"));

    // The conflicting row: its Data Source ID is not its link's database's data source.
    let expenses = rows
        .iter()
        .find(|r| cell(r, "Name") == "Expenses")
        .expect("Expenses");
    let link = NotionLink::parse(&cell(expenses, "Database URL")).expect("a link");
    let database = ok(
        fake,
        Method::Get,
        &format!("/v1/databases/{}", link.id),
        control,
        None,
    )
    .await;
    let own = database["data_sources"][0]["id"]
        .as_str()
        .unwrap_or_default();
    let stated = DataSourceId::parse(&cell(expenses, "Data Source ID")).expect("an ID");
    assert_ne!(own, stated.to_string());
    let other = ok(
        fake,
        Method::Get,
        &format!("/v1/data_sources/{stated}"),
        control,
        None,
    )
    .await;
    assert_eq!(other["title"][0]["plain_text"], "Vendors");

    // The wrong kind: a Database ID cell that holds a data-source ID.
    let time_tracking = rows
        .iter()
        .find(|r| cell(r, "Name") == "Time Tracking")
        .expect("row");
    let id = cell(time_tracking, "Database ID");
    assert_eq!(
        send(
            fake,
            Method::Get,
            &format!("/v1/databases/{id}"),
            control,
            None
        )
        .await
        .status,
        404
    );
    assert_eq!(
        send(
            fake,
            Method::Get,
            &format!("/v1/data_sources/{id}"),
            control,
            None
        )
        .await
        .status,
        200
    );

    // A link to a page that is not a database.
    let style_guide = rows
        .iter()
        .find(|r| cell(r, "Name") == "Style Guide")
        .expect("row");
    let link = NotionLink::parse(&cell(style_guide, "Database URL")).expect("a link");
    assert_eq!(
        send(
            fake,
            Method::Get,
            &format!("/v1/databases/{}", link.id),
            control,
            None
        )
        .await
        .status,
        404
    );
    assert_eq!(
        send(
            fake,
            Method::Get,
            &format!("/v1/pages/{}", link.id),
            control,
            None
        )
        .await
        .status,
        200
    );

    // Sync: VibeVessel's six databases; the revoked environments' rows are Push.
    let by_id: BTreeMap<String, &Value> = rows
        .iter()
        .map(|r| (r["id"].as_str().unwrap_or_default().to_owned(), r))
        .collect();
    let vibevessel = environments
        .iter()
        .find(|r| cell(r, "Name") == "VibeVessel Client Workspace")
        .expect("VibeVessel");
    let related: BTreeMap<String, String> = relation_ids(vibevessel, RELATION_TO_DATABASES)
        .iter()
        .map(|id| (cell(by_id[id], "Name"), cell(by_id[id], "Sync")))
        .collect();
    let expected: BTreeMap<String, String> = [
        ("Tasks", "Push"),
        ("Content Calendar", "Push"),
        ("Contacts", "One-Way"),
        ("Client Feedback", "Pull"),
        ("Shared Roadmap", "Two-Way"),
        ("Brand Assets", "Sometimes"),
    ]
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .into();
    assert_eq!(related, expected);
    for row in &environments {
        let name = cell(row, "Name");
        if refused.contains(&name) {
            let related = relation_ids(row, RELATION_TO_DATABASES);
            assert!(!related.is_empty(), "{name}");
            assert!(
                related.iter().all(|id| cell(by_id[id], "Sync") == "Push"),
                "{name}"
            );
        }
    }
    // The back-relation is filled in system-databases.
    let tasks = rows
        .iter()
        .find(|r| cell(r, "Name") == "Tasks")
        .expect("Tasks");
    assert_eq!(
        relation_ids(tasks, RELATION_TO_ENVIRONMENTS),
        [vibevessel["id"].as_str().unwrap_or_default().to_owned()]
    );
    let no_sync = rows
        .iter()
        .filter(|r| matches!(cell(r, "Sync").as_str(), "" | "No Sync"))
        .count();
    assert!(no_sync > 80, "{no_sync}");

    // Clients: VibeVessel's rollup shows the same token.
    let (clients, _) = all_rows(fake, control, world.registry.clients.data_source_id).await;
    assert_eq!(clients.len(), 2);
    let client = clients
        .iter()
        .find(|r| cell(r, "Name") == "VibeVessel")
        .expect("VibeVessel");
    let rolled = &client["properties"]["Notion-Token"]["rollup"]["array"][0]["rich_text"];
    let rolled: String = rolled
        .as_array()
        .map(|p| p.iter().filter_map(|p| p["plain_text"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(&rolled, stored);
}

#[tokio::test(start_paused = true)]
async fn the_parent_pages_are_laid_out_for_the_sync_to_find() {
    let world = world(0).await;
    let fake = &world.fake;
    let vibevessel = world
        .environment("VibeVessel Client Workspace")
        .expect("VibeVessel");
    assert_eq!(vibevessel.token_state, TokenState::Valid);
    let token = vibevessel.token.as_ref().expect("a token");
    let found = ok(
        fake,
        Method::Post,
        "/v1/search",
        token,
        Some(json!({"query": "parent", "filter": {"property": "object", "value": "page"}})),
    )
    .await;
    let mut titles: Vec<(String, String)> = found["results"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|p| {
                    (
                        p["properties"]["title"]["title"][0]["plain_text"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                        p["id"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    titles.sort();
    let exact: Vec<&(String, String)> = titles
        .iter()
        .filter(|(t, _)| t == DATABASE_PARENT_PAGE)
        .collect();
    assert_eq!(exact.len(), 1, "{titles:?}");
    assert_eq!(
        exact[0].1,
        world.vibevessel.database_parent_page_id.to_string()
    );
    let search = ok(
        fake,
        Method::Post,
        "/v1/search",
        token,
        Some(json!({"query": "database-parent-page", "filter": {"property": "object", "value": "page"}})),
    )
    .await;
    assert_eq!(
        search["results"].as_array().map(Vec::len),
        Some(2),
        "the copy matches too"
    );
    assert_eq!(world.vibevessel.decoy_page_ids.len(), 2);
    for decoy in &world.vibevessel.decoy_page_ids {
        assert!(titles.iter().any(|(_, id)| *id == decoy.to_string()));
    }
    // Client Archive exists but is not shared with VibeVessel's integration.
    let archive = world.vibevessel.client_archive_page_id;
    assert_eq!(
        send(
            fake,
            Method::Get,
            &format!("/v1/pages/{archive}"),
            token,
            None
        )
        .await
        .status,
        404
    );
    let search = ok(
        fake,
        Method::Post,
        "/v1/search",
        token,
        Some(json!({"query": "Client Archive"})),
    )
    .await;
    assert_eq!(search["results"], json!([]));
    // Client Feedback lives under database-parent-page, with 8 rows.
    let feedback = world
        .vibevessel
        .synced
        .iter()
        .find(|s| s.name == "Client Feedback")
        .expect("Client Feedback");
    assert!(!feedback.in_control_workspace);
    let database = ok(
        fake,
        Method::Get,
        &format!("/v1/databases/{}", feedback.database.database_id),
        token,
        None,
    )
    .await;
    assert_eq!(
        database["parent"]["page_id"],
        world.vibevessel.database_parent_page_id.to_string()
    );
    let (rows, _) = all_rows(fake, token, feedback.database.data_source_id).await;
    assert_eq!(rows.len(), 8);

    // Ocean Frontiers / Compass Point: two pages with that title (made before its token was
    // revoked); Seren Legacy: none.
    let ocean = world
        .environment("Ocean Frontiers / Compass Point")
        .expect("Ocean");
    assert_eq!(ocean.database_parent_page_ids.len(), 2);
    assert_ne!(
        ocean.database_parent_page_ids[0],
        ocean.database_parent_page_ids[1]
    );
    let created_there = fake
        .request_log()
        .iter()
        .filter(|r| {
            r.workspace.as_deref() == Some("Ocean Frontiers / Compass Point")
                && r.method == Method::Post
                && r.path == "/v1/pages"
                && r.status == 200
        })
        .count();
    assert_eq!(created_there, 2);
    let legacy = world.environment("Seren Legacy Workspace").expect("Legacy");
    assert!(legacy.database_parent_page_ids.is_empty());
    assert_eq!(legacy.token_state, TokenState::Revoked);
}

#[tokio::test(start_paused = true)]
async fn unshared_and_two_source_databases_answer_as_notion_would() {
    let world = world(0).await;
    let fake = &world.fake;
    let control = &world.control_token;
    let unshared: Vec<_> = world
        .registry_rows
        .iter()
        .filter(|r| r.defect == Some(RegistryDefect::Unshared))
        .collect();
    assert_eq!(unshared.len(), 3);
    for row in unshared {
        let RowTarget::Database(database) = row.target else {
            panic!("{} is not a database", row.name);
        };
        for path in [
            format!("/v1/databases/{}", database.database_id),
            format!("/v1/data_sources/{}", database.data_source_id),
        ] {
            let answer = send(fake, Method::Get, &path, control, None).await;
            assert_eq!(answer.status, 404, "{}: {path}", row.name);
            assert_eq!(answer.body["code"], "object_not_found");
        }
    }
    let private = world.registry.private_page_id;
    assert_eq!(
        send(
            fake,
            Method::Get,
            &format!("/v1/pages/{private}"),
            control,
            None
        )
        .await
        .status,
        404
    );

    let campaigns = world.registry_row("Campaigns").expect("Campaigns");
    assert_eq!(campaigns.defect, Some(RegistryDefect::TwoDataSources));
    let RowTarget::Database(database) = campaigns.target else {
        panic!("Campaigns is not a database");
    };
    let answer = ok(
        fake,
        Method::Get,
        &format!("/v1/databases/{}", database.database_id),
        control,
        None,
    )
    .await;
    let sources: Vec<&str> = answer["data_sources"]
        .as_array()
        .map(|s| s.iter().filter_map(|s| s["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(sources.len(), 2);
    assert_eq!(
        Some(sources[1].to_owned()),
        campaigns.second_data_source_id.map(|d| d.to_string())
    );

    // Tasks: 120 rows, more than one page, with TSK unique IDs.
    let tasks = world
        .vibevessel
        .synced
        .iter()
        .find(|s| s.name == "Tasks")
        .expect("Tasks");
    let (rows, pages) = all_rows(fake, control, tasks.database.data_source_id).await;
    assert_eq!((rows.len(), pages), (120, 2));
    assert_eq!(
        rows[0]["properties"]["Task ID"]["unique_id"]["prefix"],
        "TSK"
    );
    let kinds: BTreeSet<&str> = rows[0]["properties"]
        .as_object()
        .map(|p| p.values().filter_map(|v| v["type"].as_str()).collect())
        .unwrap_or_default();
    for kind in [
        "title",
        "rich_text",
        "number",
        "select",
        "multi_select",
        "date",
        "checkbox",
        "url",
        "email",
        "people",
        "relation",
        "formula",
        "created_time",
        "unique_id",
    ] {
        assert!(kinds.contains(kind), "{kind}");
    }
    let counts: BTreeMap<&str, usize> = world
        .vibevessel
        .synced
        .iter()
        .map(|s| (s.name.as_str(), s.rows))
        .collect();
    assert_eq!(counts["Content Calendar"], 30);
    assert_eq!(counts["Contacts"], 30);
    assert_eq!(counts["Shared Roadmap"], 6);
}

/// The emails (lower case) of a workspace's people, by user ID, as its integration reads them.
async fn emails(fake: &FakeNotion, token: &NotionToken) -> BTreeMap<String, String> {
    let users = ok(fake, Method::Get, "/v1/users?page_size=100", token, None).await;
    users["results"]
        .as_array()
        .map(|users| {
            users
                .iter()
                .filter_map(|u| {
                    let email = u["person"]["email"].as_str()?;
                    Some((u["id"].as_str()?.to_owned(), email.to_owned()))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn people_ids(row: &Value, property: &str) -> Vec<String> {
    row["properties"][property]["people"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(start_paused = true)]
async fn people_and_relations_name_what_the_workspaces_hold() {
    let world = world(0).await;
    let fake = &world.fake;
    let control = &world.control_token;
    let vibevessel = world
        .environment("VibeVessel Client Workspace")
        .and_then(|e| e.token.clone())
        .expect("VibeVessel's token");

    // The members: all in the control workspace, all but one in VibeVessel's, by the same email
    // (one in other letter case).
    assert_eq!(world.people.len(), DemoWorld::PEOPLE);
    let in_control = emails(fake, control).await;
    let in_vibevessel = emails(fake, &vibevessel).await;
    let mut members_there = 0;
    let mut other_case = 0;
    for person in &world.people {
        assert_eq!(
            in_control.get(&person.control_user.to_string()),
            Some(&person.email)
        );
        match (person.vibevessel_user, &person.vibevessel_email) {
            (Some(user), Some(email)) => {
                members_there += 1;
                assert_eq!(in_vibevessel.get(&user.to_string()), Some(email));
                assert_eq!(email.to_lowercase(), person.email);
                other_case += usize::from(*email != person.email);
            }
            (None, None) => assert!(
                !in_vibevessel
                    .values()
                    .any(|e| e.eq_ignore_ascii_case(&person.email)),
                "{} is not a member there",
                person.name
            ),
            other => panic!("{}: {other:?}", person.name),
        }
    }
    assert_eq!(members_there, DemoWorld::PEOPLE_IN_VIBEVESSEL);
    assert_eq!(other_case, 1);
    let not_there = world
        .people
        .iter()
        .find(|p| p.vibevessel_user.is_none())
        .expect("one member is not in VibeVessel's workspace")
        .control_user
        .to_string();

    // Tasks names contacts (one task all of them, past the 25 a page shows; some tasks several)
    // and brand assets, and people: members only, the one not in VibeVessel's among them.
    let synced = |name: &str| world.synced(name).expect(name).database.data_source_id;
    let (tasks, _) = all_rows(fake, control, synced("Tasks")).await;
    let (contacts, _) = all_rows(fake, control, synced("Contacts")).await;
    let (assets, _) = all_rows(fake, control, synced("Brand Assets")).await;
    let ids = |rows: &[Value]| -> BTreeSet<String> {
        rows.iter()
            .filter_map(|r| r["id"].as_str().map(str::to_owned))
            .collect()
    };
    let (contact_ids, asset_ids) = (ids(&contacts), ids(&assets));
    assert!(contacts.len() > 25);
    let first = tasks
        .iter()
        .find(|t| cell(t, "Name").ends_with("#001"))
        .expect("the first task");
    assert_eq!(
        first["properties"][CONTACT_RELATION]["has_more"],
        json!(true)
    );
    assert_eq!(relation_ids(first, CONTACT_RELATION).len(), 25);
    let several = tasks
        .iter()
        .filter(|t| relation_ids(t, CONTACT_RELATION).len() > 1)
        .count();
    assert!(several > 10, "{several} tasks name several contacts");
    let members: BTreeSet<String> = world
        .people
        .iter()
        .map(|p| p.control_user.to_string())
        .collect();
    let mut named = BTreeSet::new();
    for task in &tasks {
        for contact in relation_ids(task, CONTACT_RELATION) {
            assert!(contact_ids.contains(&contact));
        }
        for asset in relation_ids(task, ASSET_RELATION) {
            assert!(asset_ids.contains(&asset));
        }
        named.extend(people_ids(task, "Assignee"));
    }
    for contact in &contacts {
        named.extend(people_ids(contact, "Owner"));
    }
    assert!(named.is_subset(&members), "{named:?}");
    assert!(named.contains(&not_there));
    assert!(tasks.iter().any(|t| people_ids(t, "Assignee").len() == 2));
    assert!(tasks.iter().any(|t| people_ids(t, "Assignee").is_empty()));

    // The relations are one-way, to the related databases' data sources.
    let schema = ok(
        fake,
        Method::Get,
        &format!("/v1/data_sources/{}", synced("Tasks")),
        control,
        None,
    )
    .await;
    for (column, related) in [
        (CONTACT_RELATION, "Contacts"),
        (ASSET_RELATION, "Brand Assets"),
    ] {
        let relation = &schema["properties"][column]["relation"];
        assert_eq!(relation["type"], "single_property");
        assert_eq!(relation["data_source_id"], synced(related).to_string());
    }
}

#[tokio::test(start_paused = true)]
async fn the_same_seed_builds_the_same_world_and_no_token_prints() {
    let a = world(7).await;
    let b = world(7).await;
    let c = world(8).await;
    let ids = |w: &DemoWorld| -> Vec<String> {
        let mut ids = vec![
            w.registry.registry_page_id.to_string(),
            w.registry.environments.data_source_id.to_string(),
            w.registry.databases.database_id.to_string(),
            w.registry.clients.data_source_id.to_string(),
            w.vibevessel.database_parent_page_id.to_string(),
            w.vibevessel.client_archive_page_id.to_string(),
        ];
        ids.extend(
            w.registry_rows
                .iter()
                .map(|r| format!("{} {:?}", r.page_id, r.target)),
        );
        ids.extend(w.environments.iter().map(|e| e.page_id.to_string()));
        ids.extend(w.clients.iter().map(|c| c.page_id.to_string()));
        ids.extend(w.people.iter().map(|p| format!("{p:?}")));
        ids
    };
    assert_eq!(ids(&a), ids(&b));
    assert_eq!(a.control_token, b.control_token);
    assert_ne!(ids(&a)[0], ids(&c)[0]);
    // The same content too: the rows of Tasks read the same.
    let tasks = |w: &DemoWorld| w.vibevessel.synced[0].database.data_source_id;
    let (rows_a, _) = all_rows(&a.fake, &a.control_token, tasks(&a)).await;
    let (rows_b, _) = all_rows(&b.fake, &b.control_token, tasks(&b)).await;
    assert_eq!(rows_a, rows_b);

    let debug = format!("{a:?}");
    let mut tokens = vec![a.control_token.clone()];
    tokens.extend(a.environments.iter().filter_map(|e| e.token.clone()));
    assert_eq!(tokens.len(), 1 + DemoWorld::WITH_TOKEN);
    for token in &tokens {
        assert!(!debug.contains(token.expose()));
    }
    assert!(debug.contains("[REDACTED]"));
}

/// The block types of a body read as the API answers it (each block before its children), and
/// the kinds of its mentions.
async fn body_kinds(
    fake: &FakeNotion,
    token: &NotionToken,
    block: &str,
) -> (Vec<String>, Vec<String>) {
    let mut kinds = Vec::new();
    let mut mentions = Vec::new();
    let list = ok(
        fake,
        Method::Get,
        &format!("/v1/blocks/{block}/children"),
        token,
        None,
    )
    .await;
    for item in list["results"].as_array().cloned().unwrap_or_default() {
        let kind = item["type"].as_str().unwrap_or_default().to_owned();
        let content = &item[&kind];
        let texts = content["rich_text"]
            .as_array()
            .into_iter()
            .chain(content["caption"].as_array())
            .flatten();
        for text in texts.filter(|t| t["type"] == "mention") {
            mentions.push(
                text["mention"]["type"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            );
        }
        if kind == "image" {
            kinds.push(format!(
                "image:{}",
                content["type"].as_str().unwrap_or_default()
            ));
        } else {
            kinds.push(kind.clone());
        }
        if item["has_children"] == true {
            let id = item["id"].as_str().unwrap_or_default().to_owned();
            let (nested, nested_mentions) = Box::pin(body_kinds(fake, token, &id)).await;
            kinds.extend(nested);
            mentions.extend(nested_mentions);
        }
    }
    (kinds, mentions)
}

#[tokio::test(start_paused = true)]
async fn tasks_have_bodies_of_every_kind_the_content_sync_copies() {
    let world = world(0).await;
    let token = &world.control_token;
    let expected = 120_usize.div_ceil(notion_xws_core::demo::BODY_EVERY);
    assert_eq!(world.rows_with_bodies.len(), expected);
    let mut all_kinds = BTreeSet::new();
    let mut all_mentions = BTreeMap::new();
    for row in &world.rows_with_bodies {
        let (kinds, mentions) = body_kinds(&world.fake, token, &row.to_string()).await;
        assert!(
            kinds.len() >= 12,
            "a body of {} blocks: {kinds:?}",
            kinds.len()
        );
        all_kinds.extend(kinds);
        for mention in mentions {
            *all_mentions.entry(mention).or_insert(0) += 1;
        }
    }
    for kind in [
        "heading_2",
        "paragraph",
        "bulleted_list_item",
        "numbered_list_item",
        "to_do",
        "toggle",
        "quote",
        "callout",
        "code",
        "equation",
        "table",
        "table_row",
        "divider",
        "image:file",
    ] {
        assert!(
            all_kinds.contains(kind),
            "no {kind} in the bodies: {all_kinds:?}"
        );
    }
    let each = world.rows_with_bodies.len();
    assert_eq!(
        all_mentions,
        BTreeMap::from([
            ("date".to_owned(), each),
            ("page".to_owned(), each),
            ("user".to_owned(), each)
        ])
    );
    // `Sync Content` is ticked on Tasks' registry row, and only there.
    let rows = ok(
        &world.fake,
        Method::Post,
        &format!(
            "/v1/data_sources/{}/query",
            world.registry.databases.data_source_id
        ),
        token,
        Some(json!({"filter": {"property": "Sync Content", "checkbox": {"equals": true}}})),
    )
    .await;
    let names: Vec<&str> = rows["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["properties"]["Name"]["title"][0]["plain_text"].as_str())
        .collect();
    assert_eq!(names, ["Tasks"]);
}
