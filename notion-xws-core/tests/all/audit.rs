//! The audit, on small registries built in the fake Notion: one test per finding, the counts,
//! and that the audit writes nothing and prints no token.

use std::sync::Arc;

use notion_xws_core::Error;
use notion_xws_core::audit::{ParentPageStatus, Severity, TokenHealth, audit};
use notion_xws_core::client::NotionClient;
use notion_xws_core::fake::{FakeConfig, FakeNotion, FakeWorkspace};
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::transport::{DynTransport, Method};
use serde_json::json;

use crate::support::fake::{id, ok, text};
use crate::support::world::{World, create_database, page};
use notion_xws_core::demo::DemoWorld;
use notion_xws_core::fake::Fault;

fn link(id: &str) -> String {
    format!(
        "https://www.notion.so/acme/Some-Title-{}",
        id.replace('-', "")
    )
}

/// A client workspace with a `database-parent-page`; returns it and the page.
async fn client_workspace(fake: &FakeNotion, name: &str) -> (FakeWorkspace, String) {
    let workspace = fake.add_workspace(name);
    let root = workspace.root_page_id.to_string();
    let parent = id(&page(fake, &workspace.token, &root, "database-parent-page").await);
    (workspace, parent)
}

fn codes(report: &notion_xws_core::audit::AuditReport, subject: &str) -> Vec<&'static str> {
    report
        .findings
        .iter()
        .filter(|f| f.subject == subject)
        .map(|f| f.code)
        .collect()
}

#[tokio::test]
async fn a_clean_registry_resolves_everything_and_writes_nothing() {
    let world = World::new(true).await;
    let (db, ds) = world.source("Tasks").await;
    let row = world
        .database_row("Tasks", "Push", [&ds, "", "", &link(&db)])
        .await;
    let (acme, parent) = client_workspace(&world.fake, "Acme").await;
    // SAFETY of the test: the variable name is unique to this test.
    unsafe { std::env::set_var("NOTION_XWS_TEST_ACME_TOKEN", acme.token.expose()) };
    world
        .environment(
            "Acme",
            "env:NOTION_XWS_TEST_ACME_TOKEN",
            Some(&link(&parent)),
            &[&row],
        )
        .await;
    world.fake.clear_request_log();

    let (registry, report) = audit(&world.client(), &RegistryConfig::default())
        .await
        .unwrap();
    assert_eq!(registry.environments.len(), 1);
    let s = &report.summary;
    assert_eq!(
        (
            s.environments,
            s.environments_with_token,
            s.environments_without_token
        ),
        (1, 1, 0)
    );
    assert_eq!(
        (s.databases, s.databases_resolvable, s.databases_unreachable),
        (1, 1, 0)
    );
    assert_eq!(s.environments_without_parent_page, 0);
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    let env = &report.environments[0];
    assert!(matches!(env.token, TokenHealth::Valid { .. }));
    assert!(matches!(env.parent_page, ParentPageStatus::Recorded { .. }));
    assert_eq!(
        report.databases[0]
            .resolved
            .unwrap()
            .data_source
            .to_string(),
        ds
    );
    assert!(report.databases[0].data_source_id_recorded);
    let log = world.fake.request_log();
    assert!(!log.is_empty());
    for request in &log {
        let read = request.method == Method::Get
            || request.path == "/v1/search"
            || request.path.ends_with("/query");
        assert!(read, "the audit wrote: {} {}", request.method, request.path);
    }
}

#[tokio::test]
async fn token_findings() {
    let world = World::new(true).await;
    let (revoked, _) = client_workspace(&world.fake, "Revoked").await;
    world.fake.revoke_token(&revoked.token);
    let (valid, parent) = client_workspace(&world.fake, "Plain").await;
    world
        .environment("Revoked", revoked.token.expose(), None, &[])
        .await;
    world
        .environment(
            "Plain",
            &format!("  \"{}\" ", valid.token.expose()),
            Some(&link(&parent)),
            &[],
        )
        .await;
    world.environment("Nothing", "", None, &[]).await;
    world
        .environment("Unset", "env:NOTION_XWS_TEST_SURELY_UNSET", None, &[])
        .await;
    world
        .environment("Garbage", "ntn_with space", None, &[])
        .await;
    let (_, report) = audit(&world.client(), &RegistryConfig::default())
        .await
        .unwrap();
    assert!(codes(&report, "Revoked").contains(&"token.invalid"));
    assert!(codes(&report, "Revoked").contains(&"token.plain-text"));
    let plain = codes(&report, "Plain");
    assert!(
        plain.contains(&"token.plain-text") && plain.contains(&"token.needs-cleaning"),
        "{plain:?}"
    );
    assert!(!plain.contains(&"token.invalid"));
    assert_eq!(codes(&report, "Nothing"), vec!["token.missing"]);
    assert_eq!(codes(&report, "Unset"), vec!["token.unreadable"]);
    assert_eq!(codes(&report, "Garbage"), vec!["token.unreadable"]);
    let s = &report.summary;
    assert_eq!(
        (s.environments_with_token, s.environments_without_token),
        (4, 1)
    );
    assert_eq!(s.environments_with_invalid_token, 3);
    assert!(report.has_blocking_findings());
    let invalid = report.findings_of("token.invalid").next().unwrap();
    assert_eq!(invalid.severity, Severity::P0);
    // No token anywhere in what the audit returns.
    for output in [
        report.to_json(),
        report.to_markdown(),
        format!("{report:?}"),
    ] {
        assert!(!output.contains(revoked.token.expose()));
        assert!(!output.contains(valid.token.expose()));
    }
}

#[tokio::test]
async fn parent_page_findings() {
    let world = World::new(true).await;
    let fake = &world.fake;
    // One page titled exactly database-parent-page, and decoys: the fallback.
    let (one, _) = client_workspace(fake, "One").await;
    let root = one.root_page_id.to_string();
    page(fake, &one.token, &root, "database-parent-page copy").await;
    page(fake, &one.token, &root, "Database Parent Page (old)").await;
    // None.
    let none = fake.add_workspace("None");
    // Two.
    let (two, _) = client_workspace(fake, "Two").await;
    page(
        fake,
        &two.token,
        &two.root_page_id.to_string(),
        "database-parent-page",
    )
    .await;
    // Recorded, but not shared.
    let (hidden, hidden_parent) = client_workspace(fake, "Hidden").await;
    fake.unshare(
        &hidden.token,
        notion_xws_core::PageId::parse(&hidden_parent).unwrap(),
    )
    .unwrap();
    for (name, workspace, cell) in [
        ("One", &one, None),
        ("None", &none, None),
        ("Two", &two, None),
        ("Hidden", &hidden, Some(link(&hidden_parent))),
        ("Bad", &one, Some("https://example.com/nope".to_owned())),
    ] {
        world
            .environment(name, workspace.token.expose(), cell.as_deref(), &[])
            .await;
    }
    let (_, report) = audit(&world.client(), &RegistryConfig::default())
        .await
        .unwrap();
    let status = |name: &str| {
        report
            .environments
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.parent_page.clone())
            .unwrap()
    };
    assert!(matches!(status("One"), ParentPageStatus::Fallback { .. }));
    assert!(codes(&report, "One").contains(&"parent-page.fallback"));
    assert_eq!(status("None"), ParentPageStatus::NotFound);
    assert!(codes(&report, "None").contains(&"parent-page.not-found"));
    assert!(matches!(status("Two"), ParentPageStatus::Ambiguous { pages } if pages.len() == 2));
    assert!(codes(&report, "Two").contains(&"parent-page.ambiguous"));
    assert!(matches!(
        status("Hidden"),
        ParentPageStatus::NotShared { .. }
    ));
    assert!(codes(&report, "Hidden").contains(&"parent-page.not-shared"));
    assert!(matches!(status("Bad"), ParentPageStatus::Invalid { .. }));
    assert!(codes(&report, "Bad").contains(&"parent-page.invalid"));
    assert_eq!(report.summary.environments_without_parent_page, 4);
}

#[tokio::test]
async fn database_findings() {
    let world = World::new(true).await;
    let (tasks_db, tasks_ds) = world.source("Tasks").await;
    let (crm_db, crm_ds) = world.source("CRM").await;
    let (notes_db, _) = world.source("Notes").await;
    let (multi_db, multi_ds) = world.source("Multi").await;
    let second = ok(
        &world.fake,
        Method::Post,
        "/v1/data_sources",
        world.token(),
        Some(
            json!({"parent": {"type": "database_id", "database_id": multi_db},
                    "title": text("Second"), "properties": {"Name": {"title": {}}}}),
        ),
    )
    .await;
    let hidden = id(&page(
        &world.fake,
        world.token(),
        &world.control.root_page_id.to_string(),
        "Private",
    )
    .await);
    let (private_db, _) = create_database(
        &world.fake,
        world.token(),
        &hidden,
        "Secret",
        json!({"Name": {"title": {}}}),
    )
    .await;
    world
        .fake
        .unshare(
            world.token(),
            notion_xws_core::PageId::parse(&hidden).unwrap(),
        )
        .unwrap();
    let plain_page = id(&page(&world.fake, world.token(), &world.library, "Just a page").await);

    world
        .database_row("Fillable", "Push", ["", "", "", &link(&tasks_db)])
        .await;
    world
        .database_row("Only NID", "", ["", "", &notes_db, ""])
        .await;
    world
        .database_row("Conflict", "Push", [&crm_ds, "", "", &link(&tasks_db)])
        .await;
    world
        .database_row("Wrong kind", "", ["", &tasks_ds, "", ""])
        .await;
    world
        .database_row("Database in DSID", "", [&crm_db, "", "", ""])
        .await;
    world
        .database_row("Page", "Push", ["", "", "", &link(&plain_page)])
        .await;
    world
        .database_row("Two sources", "Push", ["", "", "", &link(&multi_db)])
        .await;
    world
        .database_row("Private", "Push", ["", "", "", &link(&private_db)])
        .await;
    world
        .database_row("Nothing", "Push", ["", "", "", ""])
        .await;
    world
        .database_row(
            "Malformed",
            "Push",
            [
                "",
                "",
                "",
                "https://www.notion.so/Tasks-0123456789abcdef0123456789abcde",
            ],
        )
        .await;
    world
        .database_row("Odd sync", "Sometimes", [&tasks_ds, "", "", ""])
        .await;
    world
        .database_row(
            "Chosen source",
            "Push",
            [&multi_ds, "", "", &link(&multi_db)],
        )
        .await;
    let _ = second;

    let (_, report) = audit(&world.client(), &RegistryConfig::default())
        .await
        .unwrap();
    let resolved = |name: &str| {
        report
            .databases
            .iter()
            .find(|d| d.name == name)
            .and_then(|d| d.resolved)
    };
    assert_eq!(
        resolved("Fillable").unwrap().data_source.to_string(),
        tasks_ds
    );
    assert!(codes(&report, "Fillable").contains(&"database.data-source-id-missing"));
    assert!(resolved("Only NID").is_some());
    assert!(codes(&report, "Conflict").contains(&"database.ids-disagree"));
    assert!(
        resolved("Conflict").is_none(),
        "a conflict is never settled silently"
    );
    assert!(codes(&report, "Wrong kind").contains(&"database.wrong-kind"));
    assert_eq!(
        resolved("Wrong kind").unwrap().data_source.to_string(),
        tasks_ds
    );
    assert!(codes(&report, "Database in DSID").contains(&"database.wrong-kind"));
    assert!(codes(&report, "Page").contains(&"database.not-a-database"));
    let two = codes(&report, "Two sources");
    assert!(two.contains(&"database.multiple-data-sources"), "{two:?}");
    assert!(resolved("Two sources").is_none());
    assert_eq!(
        resolved("Chosen source").unwrap().data_source.to_string(),
        multi_ds
    );
    assert!(codes(&report, "Private").contains(&"database.unreachable"));
    assert!(codes(&report, "Nothing").contains(&"database.no-id"));
    assert!(codes(&report, "Malformed").contains(&"database.bad-id"));
    assert!(codes(&report, "Odd sync").contains(&"database.sync-unknown"));
    let s = &report.summary;
    assert_eq!(s.databases, 12);
    assert_eq!(s.databases_with_data_source_id, 4);
    assert_eq!(s.databases_without_data_source_id, 8);
    assert_eq!(s.databases_with_url, 7);
    assert_eq!(s.databases_unreachable, 1);
    assert_eq!(s.databases_resolvable, 6, "{:#?}", report.databases);
}

#[tokio::test]
async fn registry_findings_and_errors() {
    let mut world = World::new(false).await;
    let (acme, _) = client_workspace(&world.fake, "Acme").await;
    let env = world
        .environment("Acme", acme.token.expose(), None, &[])
        .await;
    world.environment("Acme", "", None, &[]).await;
    world.environment("", "", None, &[]).await;
    world
        .add_client("Acme Corp", &env, "ntn_not_the_same_token")
        .await;
    let (_, report) = audit(&world.client(), &RegistryConfig::default())
        .await
        .unwrap();
    assert!(
        codes(&report, "system-environments").contains(&"registry.parent-page-property-missing")
    );
    assert!(codes(&report, "Acme").contains(&"registry.duplicate-name"));
    assert!(codes(&report, "system-environments").contains(&"registry.unnamed-row"));
    assert!(codes(&report, "Acme Corp").contains(&"token.clients-disagree"));
    assert!(!report.to_json().contains("ntn_not_the_same_token"));

    // A second registry titled the same: an error that lists both.
    create_database(
        &world.fake,
        world.token(),
        &world.library,
        "system-environments",
        json!({"Name": {"title": {}}}),
    )
    .await;
    let error = audit(&world.client(), &RegistryConfig::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Registry(text) if text.contains("2 data sources")),
        "{error}"
    );
    // Named by ID, it is found.
    let config = RegistryConfig {
        environments: Some(world.environments.clone()),
        ..RegistryConfig::default()
    };
    let (registry, _) = audit(&world.client(), &config).await.unwrap();
    assert_eq!(registry.environments.len(), 3);
    // A registry that is not shared: a clear error.
    let stranger = world.fake.add_workspace("Stranger");
    let client = NotionClient::new(Arc::new(world.fake.clone()) as DynTransport, stranger.token);
    let error = audit(&client, &RegistryConfig::default())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("system-environments"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn the_audit_of_the_demo_world_reproduces_the_gap_report() {
    let fake = FakeNotion::new(FakeConfig::default());
    let world = DemoWorld::build(&fake).await.unwrap();
    fake.clear_request_log();
    let client = NotionClient::new(
        Arc::new(fake.clone()) as DynTransport,
        world.control_token.clone(),
    );
    let (_, report) = audit(&client, &RegistryConfig::default()).await.unwrap();
    let s = &report.summary;
    assert_eq!(s.environments, 18);
    assert_eq!(s.environments_with_token, 7);
    assert_eq!(s.environments_without_token, 11);
    assert_eq!(s.environments_with_invalid_token, 6);
    assert_eq!(s.databases, 100);
    assert_eq!(s.databases_with_data_source_id, 29);
    assert_eq!(s.databases_without_data_source_id, 71);
    assert_eq!(s.databases_with_url, 93);
    assert_eq!(s.databases_unreachable, 3);
    assert!(
        report
            .findings_of("registry.parent-page-property-missing")
            .next()
            .is_some()
    );
    let vibevessel = report
        .environments
        .iter()
        .find(|e| e.name == "VibeVessel Client Workspace")
        .unwrap();
    assert!(vibevessel.token.is_valid());
    assert_eq!(
        vibevessel.parent_page.page(),
        Some(world.vibevessel.database_parent_page_id)
    );
    for code in [
        "database.ids-disagree",
        "database.bad-id",
        "database.not-a-database",
        "database.wrong-kind",
        "database.no-id",
        "database.multiple-data-sources",
        "database.sync-unknown",
        "registry.duplicate-name",
        "registry.unnamed-row",
        "token.needs-cleaning",
    ] {
        assert!(
            report.findings_of(code).next().is_some(),
            "no {code} finding"
        );
    }
    // Read only, and no token in what it says.
    assert!(
        fake.request_log().iter().all(|r| r.method == Method::Get
            || r.path == "/v1/search"
            || r.path.ends_with("/query"))
    );
    let markdown = report.to_markdown();
    for env in &world.environments {
        if let Some(token) = &env.token {
            assert!(!markdown.contains(token.expose()));
            assert!(!report.to_json().contains(token.expose()));
        }
    }
    assert!(
        markdown.contains("| Environments with INVALID tokens | 6 |"),
        "{markdown}"
    );
    eprintln!("{markdown}");
    eprintln!("audit requests: {}", fake.request_log().len());
}

#[tokio::test]
async fn a_registry_without_its_columns_says_which_are_missing() {
    let fake = FakeNotion::new(FakeConfig::default());
    let control = fake.add_workspace("Seren Media");
    let root = control.root_page_id.to_string();
    create_database(
        &fake,
        &control.token,
        &root,
        "system-databases",
        json!({"Name": {"title": {}}}),
    )
    .await;
    create_database(
        &fake,
        &control.token,
        &root,
        "system-environments",
        json!({"Name": {"title": {}}}),
    )
    .await;
    let client = NotionClient::new(
        Arc::new(fake.clone()) as DynTransport,
        control.token.clone(),
    );
    let (_, report) = audit(&client, &RegistryConfig::default()).await.unwrap();
    for code in [
        "registry.parent-page-property-missing",
        "registry.token-property-missing",
        "registry.relation-missing",
        "registry.sync-property-missing",
    ] {
        assert!(
            report.findings_of(code).next().is_some(),
            "no {code}: {:#?}",
            report.findings
        );
    }
}

#[tokio::test]
async fn relation_direction_and_primary_findings() {
    let world = World::new(true).await;
    let (tasks_db, tasks_ds) = world.source("Tasks").await;
    let (_, crm_ds) = world.source("CRM").await;
    let link = |id: &str| format!("https://www.notion.so/{}", id.replace('-', ""));
    world
        .database_row("Nowhere", "Push", [&tasks_ds, "", "", ""])
        .await;
    let gone = world.database_row("Gone", "", [&crm_ds, "", "", ""]).await;
    let pulled = world
        .database_row("Pulled", "Pull", ["", "", "", &link(&tasks_db)])
        .await;
    let (a, _) = client_workspace(&world.fake, "A").await;
    let (b, _) = client_workspace(&world.fake, "B").await;
    let revoked = world.fake.add_workspace("Revoked");
    world.fake.revoke_token(&revoked.token);
    world
        .environment("A", a.token.expose(), None, &[&pulled, &gone])
        .await;
    world
        .environment("B", b.token.expose(), None, &[&pulled])
        .await;
    let only_revoked = world
        .database_row(
            "Pulled from revoked",
            "Pull",
            ["", "", "", &link(&tasks_db)],
        )
        .await;
    world
        .environment("Revoked", revoked.token.expose(), None, &[&only_revoked])
        .await;
    // The "Gone" row goes to the trash after the relation was made.
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{gone}"),
        world.token(),
        Some(json!({"in_trash": true})),
    )
    .await;

    let (_, report) = audit(&world.client(), &RegistryConfig::default())
        .await
        .unwrap();
    assert!(codes(&report, "Nowhere").contains(&"database.synced-nowhere"));
    assert!(codes(&report, "Pulled").contains(&"database.pull-from-several"));
    assert!(codes(&report, "Pulled from revoked").contains(&"database.no-reader"));
    assert!(codes(&report, "A").contains(&"registry.relation-to-missing-row"));
    // Pull databases exist and no environment is the control workspace's.
    assert!(
        report
            .findings_of("environment.primary-unknown")
            .next()
            .is_some()
    );

    // An environment typed Primary is taken as the control workspace's, and said so.
    let primary = world.fake.add_workspace("Old primary");
    world.fake.revoke_token(&primary.token);
    let row = world
        .environment("Primary (Seren Media)", primary.token.expose(), None, &[])
        .await;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{row}"),
        world.token(),
        Some(json!({"properties": {"Environment-Type": {"select": {"name": "Primary"}}}})),
    )
    .await;
    let (_, report) = audit(&world.client(), &RegistryConfig::default())
        .await
        .unwrap();
    assert!(codes(&report, "Primary (Seren Media)").contains(&"environment.primary-by-type"));
    assert!(
        report
            .environments
            .iter()
            .any(|e| e.primary && e.name == "Primary (Seren Media)")
    );
}

#[tokio::test]
async fn a_token_that_cannot_be_checked_is_unreachable_not_invalid() {
    let world = World::new(true).await;
    let (acme, _) = client_workspace(&world.fake, "Acme").await;
    world
        .environment("Acme", acme.token.expose(), None, &[])
        .await;
    // The audit's 6th request is the environment's token check (after the registry's two
    // searches and two queries, and the control's users/me).
    let next = world.fake.requests_received() + 6;
    world.fake.fail_request(next, Fault::ServiceUnavailable);
    let (_, report) = audit(&world.client(), &RegistryConfig::default())
        .await
        .unwrap();
    assert!(
        matches!(
            report.environments[0].token,
            TokenHealth::Unreachable { .. }
        ),
        "{:?}",
        report.environments[0].token
    );
    assert_eq!(
        codes(&report, "Acme"),
        vec!["token.unreachable", "token.plain-text"],
        "sorted by severity"
    );
    assert_eq!(report.summary.environments_with_invalid_token, 0);
}

/// The README's table of findings lists every code the audit can give, in the list's order, and
/// nothing else; the codes that block the repair are among them.
#[test]
fn the_readme_lists_every_finding_code() {
    use notion_xws_core::audit::FINDING_CODES;
    let readme = include_str!("../../../README.md");
    let table = readme
        .split("| code | severity | what it says |\n")
        .nth(1)
        .expect("the README has a table of findings");
    let listed: Vec<&str> = table
        .lines()
        .skip(1)
        .take_while(|line| line.starts_with('|'))
        .map(|line| line.split('|').nth(1).unwrap().trim().trim_matches('`'))
        .collect();
    assert_eq!(listed, FINDING_CODES);
    let distinct: std::collections::BTreeSet<_> = FINDING_CODES.iter().collect();
    assert_eq!(distinct.len(), FINDING_CODES.len(), "a code listed twice");
    for code in notion_xws_core::repair::SHAPE_CODES {
        assert!(FINDING_CODES.contains(&code), "{code}");
    }
}
