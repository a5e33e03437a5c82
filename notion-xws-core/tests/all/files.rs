//! Notion-hosted files on the fake Notion: re-imported into the other workspace through the File
//! Upload API (`external_url`), never copied as an expiring link; a second run writes nothing;
//! a two-way pair carries a file added in the environment to the control; a failed import
//! leaves the rest of the row and names the file.

use std::time::Duration;

use futures::TryStreamExt;
use notion_xws_core::client::NotionClient;
use notion_xws_core::model::{FileSource, Page, PropertyValueKind};
use notion_xws_core::registry::{Registry, RegistryConfig};
use notion_xws_core::sync::links::LinksTable;
use notion_xws_core::sync::{PairState, RunReport, SyncOptions, sync};
use notion_xws_core::transport::Method;
use notion_xws_core::{DataSourceId, NotionToken};
use serde_json::{Value, json};

use crate::support::fake::{id, ok, text};
use crate::support::sync::execute;
use crate::support::world::World;

fn tasks(report: &RunReport) -> &notion_xws_core::sync::PairReport {
    report
        .pairs
        .iter()
        .find(|p| p.pair.database == "Tasks")
        .unwrap_or_else(|| panic!("no Tasks pair: {report:#?}"))
}

/// A Notion-hosted file in the workspace of `token`: an `external_url` upload, imported, as a
/// files entry to attach.
pub(crate) async fn hosted_file(world: &World, token: &NotionToken, name: &str) -> Value {
    let upload = ok(
        &world.fake,
        Method::Post,
        "/v1/file_uploads",
        token,
        Some(json!({"mode": "external_url", "filename": name,
                    "external_url": format!("https://example.com/{name}")})),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    json!({"name": name, "type": "file_upload", "file_upload": {"id": id(&upload)}})
}

/// A control workspace whose `Tasks` database (a title and a files column) is synced to the
/// environment `Acme` in the given direction; its one row holds a hosted and an external file.
async fn files_world(sync_as: &str) -> (World, String, String) {
    let world = World::new(true).await;
    let (db, ds) = crate::support::world::create_database(
        &world.fake,
        world.token(),
        &world.library,
        "Tasks",
        json!({"Name": {"title": {}}, "Hours": {"number": {}}, "Attachments": {"files": {}}}),
    )
    .await;
    let brief = hosted_file(&world, world.token(), "brief.pdf").await;
    let launch = ok(
        &world.fake,
        Method::Post,
        "/v1/pages",
        world.token(),
        Some(json!({
            "parent": {"data_source_id": ds},
            "properties": {
                "Name": {"title": text("Launch")},
                "Hours": {"number": 3},
                "Attachments": {"files": [brief, {"name": "spec", "type": "external",
                    "external": {"url": "https://example.com/spec.pdf"}}]},
            },
        })),
    )
    .await;
    let launch = id(&launch);
    world
        .sync_to_new_workspace("Acme", &[("Tasks", sync_as, &db, &ds)])
        .await;
    (world, ds, launch)
}

/// The environment's copy of `Tasks`, from the links table.
async fn environment_rows(world: &World) -> (NotionClient, DataSourceId, Vec<Page>) {
    let control = world.client();
    let links = LinksTable::find(&control).await.unwrap().unwrap();
    let registry = Registry::read(&control, &RegistryConfig::default())
        .await
        .unwrap();
    let db = registry
        .databases
        .iter()
        .find(|d| d.name == "Tasks")
        .unwrap()
        .row;
    let target = links
        .links
        .iter()
        .find(|l| l.database_row == Some(db))
        .and_then(|l| l.target_data_source)
        .unwrap();
    let acme = crate::support::sync::acme_client(world).await;
    let rows = acme
        .query_all(target, None, &[])
        .try_collect()
        .await
        .unwrap();
    (acme, target, rows)
}

/// The `Attachments` of a row: (name, `file` or `external`, URL).
fn attachments(row: &Page) -> Vec<(String, &'static str, String)> {
    match &row.properties["Attachments"].value {
        PropertyValueKind::Files(files) => files
            .iter()
            .map(|f| {
                let name = f.name.clone().unwrap_or_default();
                match &f.source {
                    FileSource::File(hosted) => (name, "file", hosted.url.clone()),
                    FileSource::External(external) => (name, "external", external.url.clone()),
                    _ => (name, "other", String::new()),
                }
            })
            .collect(),
        other => panic!("not files: {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn files_hosted_in_the_source_are_reimported_and_a_second_run_writes_nothing() {
    let (world, _, launch) = files_world("Push").await;
    let control = world.client();
    let config = RegistryConfig::default();

    let dry = sync(&control, &config, &SyncOptions::default(), None)
        .await
        .unwrap();
    assert_eq!(tasks(&dry).files_reimported, 1, "planned in a dry run");
    assert!(
        tasks(&dry).notes.iter().all(|n| !n.contains("not copied")),
        "{:?}",
        tasks(&dry).notes
    );

    world.fake.clear_request_log();
    let first = sync(&control, &config, &execute(), None).await.unwrap();
    let pair = tasks(&first);
    assert_eq!(pair.state, PairState::Synced, "{}", first.to_markdown());
    assert_eq!((pair.created, pair.files_reimported), (1, 1));
    // What one hosted file costs: one read of its source row, one upload, one status check.
    let log = world.fake.request_log();
    let count = |method: Method, prefix: &str| {
        log.iter()
            .filter(|r| r.method == method && r.path.starts_with(prefix))
            .count()
    };
    assert_eq!(count(Method::Post, "/v1/file_uploads"), 1);
    assert_eq!(count(Method::Get, "/v1/file_uploads/"), 1);
    assert_eq!(
        count(Method::Get, &format!("/v1/pages/{launch}")),
        1,
        "the source row, read again"
    );

    let (_, _, rows) = environment_rows(&world).await;
    assert_eq!(rows.len(), 1);
    let files = attachments(&rows[0]);
    assert_eq!(files.len(), 2, "{files:?}");
    assert_eq!((files[0].0.as_str(), files[0].1), ("brief.pdf", "file"));
    assert!(files[0].2.contains("X-Amz-Expires=3600"), "{}", files[0].2);
    assert_eq!(
        files[1],
        (
            "spec".to_owned(),
            "external",
            "https://example.com/spec.pdf".to_owned()
        )
    );

    // An hour later every hosted URL has changed; nothing is written.
    tokio::time::sleep(Duration::from_secs(3_700)).await;
    let second = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(tasks(&second).writes, 0, "{}", second.to_markdown());
    assert_eq!(tasks(&second).files_reimported, 0);
}

#[tokio::test(start_paused = true)]
async fn a_failed_import_leaves_the_rest_of_the_row_and_names_the_file() {
    let (world, _, _) = files_world("Push").await;
    world.fake.fail_file_imports("brief.pdf");
    let control = world.client();
    let config = RegistryConfig::default();
    let first = sync(&control, &config, &execute(), None).await.unwrap();
    let pair = tasks(&first);
    assert_eq!((pair.created, pair.failed), (1, 0), "{pair:#?}");
    assert_eq!((pair.files_reimported, pair.files_not_copied), (0, 1));
    assert!(matches!(pair.state, PairState::Failed(_)), "{pair:#?}");
    assert!(
        pair.errors
            .iter()
            .any(|e| e.contains("\"brief.pdf\"") && e.contains("run again")),
        "{:?}",
        pair.errors
    );
    let (_, _, rows) = environment_rows(&world).await;
    assert_eq!(rows[0].title(), "Launch");
    assert_eq!(
        attachments(&rows[0])
            .into_iter()
            .map(|f| f.0)
            .collect::<Vec<_>>(),
        ["spec"],
        "the external file arrived, the hosted one was left out"
    );
    assert!(matches!(
        rows[0].properties["Hours"].value,
        PropertyValueKind::Number(Some(_))
    ));
}

#[tokio::test(start_paused = true)]
async fn a_hosted_file_added_in_the_environment_reaches_the_control() {
    let (world, source, _) = files_world("Two-Way").await;
    let control = world.client();
    let config = RegistryConfig::default();
    let first = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(
        tasks(&first).state,
        PairState::Synced,
        "{}",
        first.to_markdown()
    );
    assert_eq!(tasks(&first).files_reimported, 1);

    // The client adds a file of its own to the row.
    let (acme, _, rows) = environment_rows(&world).await;
    let answer = hosted_file(&world, acme.token(), "answer.pdf").await;
    let mut files: Vec<Value> = attachments(&rows[0])
        .iter()
        .map(|(name, kind, url)| match *kind {
            "file" => json!({"name": name, "type": "file", "file": {"url": url}}),
            _ => json!({"name": name, "type": "external", "external": {"url": url}}),
        })
        .collect();
    files.push(answer);
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{}", rows[0].id),
        acme.token(),
        Some(json!({"properties": {"Attachments": {"files": files}}})),
    )
    .await;

    let second = sync(&control, &config, &execute(), None).await.unwrap();
    let pair = tasks(&second);
    assert_eq!(pair.state, PairState::Synced, "{}", second.to_markdown());
    assert_eq!(
        pair.files_reimported, 2,
        "the whole value is written: both hosted files"
    );
    let control_rows: Vec<Page> = control
        .query_all(source.parse().unwrap(), None, &[])
        .try_collect()
        .await
        .unwrap();
    let names: Vec<(String, &str)> = attachments(&control_rows[0])
        .into_iter()
        .map(|(name, kind, _)| (name, kind))
        .collect();
    assert_eq!(
        names,
        [
            ("brief.pdf".to_owned(), "file"),
            ("spec".to_owned(), "external"),
            ("answer.pdf".to_owned(), "file")
        ]
    );

    let third = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(tasks(&third).writes, 0, "{}", third.to_markdown());
}

#[tokio::test(start_paused = true)]
async fn the_fake_attaches_only_an_uploaded_upload_of_its_own_workspace() {
    let (world, ds, _) = files_world("Push").await;
    let other = world.fake.add_workspace("Other");
    let attach = |token: NotionToken, entry: Value| {
        let fake = world.fake.clone();
        let ds = ds.clone();
        async move {
            crate::support::fake::send(
                &fake,
                Method::Post,
                "/v1/pages",
                &token,
                Some(json!({"parent": {"data_source_id": ds},
                            "properties": {"Attachments": {"files": [entry]}}})),
            )
            .await
        }
    };
    let fails_validation = |response: notion_xws_core::transport::ApiResponse| {
        assert_eq!(response.status, 400, "{}", response.body);
        assert_eq!(response.body["code"], "validation_error");
    };
    // Still importing.
    let pending = ok(
        &world.fake,
        Method::Post,
        "/v1/file_uploads",
        world.token(),
        Some(json!({"mode": "external_url", "filename": "late.pdf",
                    "external_url": "https://example.com/late.pdf"})),
    )
    .await;
    fails_validation(
        attach(
            world.token().clone(),
            json!({"type": "file_upload", "file_upload": {"id": id(&pending)}}),
        )
        .await,
    );
    // Another workspace's upload, imported.
    let theirs = hosted_file(&world, &other.token, "theirs.pdf").await;
    fails_validation(attach(world.token().clone(), theirs).await);
    // The sync's placeholder, had it leaked.
    fails_validation(
        attach(
            world.token().clone(),
            json!({"name": "a.pdf", "type": "notion_xws_hosted_file",
                   "notion_xws_hosted_file": {"position": 0}}),
        )
        .await,
    );
    // A hosted URL kept past its hour cannot be imported.
    let row: Vec<Page> = world
        .client()
        .query_all(ds.parse().unwrap(), None, &[])
        .try_collect()
        .await
        .unwrap();
    let (_, _, url) = attachments(&row[0]).remove(0);
    tokio::time::sleep(Duration::from_secs(3_601)).await;
    let stale = crate::support::fake::send(
        &world.fake,
        Method::Post,
        "/v1/file_uploads",
        &other.token,
        Some(json!({"mode": "external_url", "filename": "brief.pdf", "external_url": url})),
    )
    .await;
    fails_validation(stale);
    // Once imported, an upload attaches, and reads back hosted.
    let imported = hosted_file(&world, world.token(), "late.pdf").await;
    let done = attach(world.token().clone(), imported).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(
        done.body["properties"]["Attachments"]["files"][0]["type"],
        "file"
    );
}
