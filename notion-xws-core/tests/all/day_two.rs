//! Day two on the fake Notion: what follows the copies when things change after the first sync.
//! An environment's parent page changed in the registry (the copies move there, or the pair
//! needs a person), rows a person added to a one-way copy (named, and trashed with `prune`
//! within the max-delete guard), a rotated token (a refreshed secret, or another integration of
//! the same workspace, which sees the copies or not), and the source database's title,
//! description and icon (carried to the copy, its marker kept). Each case ends with a re-run
//! that writes nothing.

use notion_xws_core::client::NotionClient;
use notion_xws_core::fake::FakeWorkspace;
use notion_xws_core::ids::{DataSourceId, DatabaseId, PageId};
use notion_xws_core::model::ParentKind;
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::sync::links::LinksTable;
use notion_xws_core::sync::report::{Cause, PairClass};
use notion_xws_core::sync::{RunReport, SyncOptions, sync};
use notion_xws_core::transport::Method;
use serde_json::{Value, json};

use crate::support::fake::{id, ok, text};
use crate::support::sync::{acme_client, execute, pair, rows, set_environment, small_world_in};
use crate::support::world::{World, page};

/// The one copy the links table records: (database, data source).
async fn copy_of(control: &NotionClient) -> (DatabaseId, DataSourceId) {
    let links = LinksTable::find(control).await.unwrap().unwrap();
    assert_eq!(links.links.len(), 1, "{:?}", links.links);
    let link = &links.links[0];
    (
        link.target_database.unwrap(),
        link.target_data_source.unwrap(),
    )
}

/// The databases listed under `page`.
async fn databases_under(client: &NotionClient, page: PageId) -> Vec<DatabaseId> {
    use futures::TryStreamExt;
    let children: Vec<notion_xws_core::model::Block> = client
        .block_children(page.into())
        .try_collect()
        .await
        .unwrap();
    children
        .iter()
        .filter(|b| b.block_type == "child_database")
        .map(|b| DatabaseId::from_u128(b.id.as_u128()))
        .collect()
}

/// The page a database lies under.
async fn parent_page(client: &NotionClient, database: DatabaseId) -> PageId {
    match client.database(database).await.unwrap().parent.kind {
        ParentKind::Page(page) => page,
        other => panic!("the copy lies under {other:?}"),
    }
}

/// Points Acme's `Database-Parent-Page-ID` at `page`.
async fn set_parent_page(world: &World, page: &str) {
    let link = format!("https://www.notion.so/{}", page.replace('-', ""));
    set_environment(world, json!({"Database-Parent-Page-ID": {"url": link}})).await;
}

/// A page made under `parent` with `token`; its ID.
async fn new_page(world: &World, token: &notion_xws_core::NotionToken, parent: &str) -> PageId {
    let made = page(&world.fake, token, parent, "Client databases").await;
    PageId::parse(&id(&made)).unwrap()
}

/// The writes the fake received since its `skip`-th request that reached another workspace than
/// the control's (whose link rows record each pair's status).
fn copy_writes(world: &World, skip: usize) -> usize {
    world.fake.request_log()[skip..]
        .iter()
        .filter(|r| r.method != Method::Get)
        .filter(|r| r.path != "/v1/search" && !r.path.ends_with("/query"))
        .filter(|r| r.workspace.as_deref() != Some(world.control.name.as_str()))
        .count()
}

async fn run(control: &NotionClient, options: &SyncOptions) -> RunReport {
    sync(control, &RegistryConfig::default(), options, None)
        .await
        .unwrap()
}

/// A small world synced once: the world, Acme, the control client, Acme's client and the copy.
async fn synced(
    rows: usize,
) -> (
    World,
    FakeWorkspace,
    NotionClient,
    NotionClient,
    (DatabaseId, DataSourceId),
    String,
) {
    let (world, acme, source, _rows) = small_world_in(rows).await;
    let control = world.client();
    let first = run(&control, &execute()).await;
    assert_eq!(first.exit_status(), 0, "{first:#?}");
    let acme_client = acme_client(&world).await;
    let copy = copy_of(&control).await;
    (world, acme, control, acme_client, copy, source)
}

#[tokio::test(start_paused = true)]
async fn a_new_parent_page_moves_the_copy_there_and_a_rerun_writes_nothing() {
    let (world, acme, control, acme_client, (db, ds), _) = synced(3).await;
    let old = parent_page(&acme_client, db).await;
    let new_home = new_page(&world, &acme.token, &acme.root_page_id.to_string()).await;
    set_parent_page(&world, &new_home.to_string()).await;

    // A dry run says it would move the copy, and writes nothing.
    let dry = run(&control, &SyncOptions::default()).await;
    let planned = pair(&dry, "Tasks");
    assert!(
        planned
            .notes
            .iter()
            .any(|n| n.contains("would move the copy") && n.contains(&new_home.to_string())),
        "{planned:#?}"
    );
    assert_eq!((dry.writes(), planned.class()), (0, PairClass::Planned));
    assert_eq!(databases_under(&acme_client, old).await, vec![db]);

    // The run moves it, with one PATCH of the database: the same copy, its rows, no other.
    world.fake.clear_request_log();
    let moved = run(&control, &execute()).await;
    let report = pair(&moved, "Tasks");
    assert_eq!(
        (moved.exit_status(), report.class()),
        (0, PairClass::Synced),
        "{report:#?}"
    );
    assert!(
        report.notes.iter().any(|n| n.starts_with("moved the copy")),
        "{report:#?}"
    );
    let patches = world
        .fake
        .request_log()
        .into_iter()
        .filter(|r| r.method == Method::Patch && r.path == format!("/v1/databases/{db}"))
        .count();
    assert_eq!(patches, 1);
    assert_eq!(parent_page(&acme_client, db).await, new_home);
    assert!(databases_under(&acme_client, old).await.is_empty());
    assert_eq!(databases_under(&acme_client, new_home).await, vec![db]);
    assert_eq!(copy_of(&control).await, (db, ds));
    assert_eq!(rows(&acme_client, ds).await.len(), 3);

    // A re-run writes nothing.
    let again = run(&control, &execute()).await;
    assert_eq!(again.writes(), 0, "{again:#?}");
    assert_eq!(pair(&again, "Tasks").class(), PairClass::Synced);

    // A person files the copy in a sub-page of the parent page: it is left there.
    let shelf = new_page(&world, &acme.token, &new_home.to_string()).await;
    acme_client.move_database(db, shelf).await.unwrap();
    let filed = run(&control, &execute()).await;
    assert_eq!(filed.writes(), 0, "{filed:#?}");
    assert_eq!(parent_page(&acme_client, db).await, shelf);
}

#[tokio::test(start_paused = true)]
async fn a_parent_page_the_copy_cannot_move_to_needs_a_person_and_nothing_is_split() {
    let (world, acme, control, acme_client, (db, ds), _) = synced(2).await;
    let old = parent_page(&acme_client, db).await;
    let root = acme.root_page_id.to_string();

    // A page the environment's integration cannot see: the pair waits for a person, the copy
    // stays where it is, and no second copy is made.
    let hidden = new_page(&world, &acme.token, &root).await;
    world.fake.unshare(&acme.token, hidden).unwrap();
    set_parent_page(&world, &hidden.to_string()).await;
    let skip = world.fake.request_log().len();
    let unshared = run(&control, &execute()).await;
    let report = pair(&unshared, "Tasks");
    assert_eq!(unshared.exit_status(), 3, "{unshared:#?}");
    assert_eq!(
        report.attention.as_ref().map(|a| a.cause),
        Some(Cause::ParentPage)
    );
    // Nothing written but the pair's status in the control workspace.
    assert_eq!(copy_writes(&world, skip), 0);
    assert_eq!(databases_under(&acme_client, old).await, vec![db]);

    // A page inside the copy (a link to one of its rows pasted by mistake): Notion refuses
    // the move; the pair needs a person (the fix says what to do), its rows are synced all the
    // same, and nothing is created anywhere.
    let inside = rows(&acme_client, ds).await[0].id;
    set_parent_page(&world, &inside.to_string()).await;
    let refused = run(&control, &execute()).await;
    let report = pair(&refused, "Tasks");
    assert_eq!(refused.exit_status(), 3, "{refused:#?}");
    let attention = report.attention.as_ref().expect("a person is needed");
    assert_eq!(attention.cause, Cause::TargetMisplaced);
    assert!(
        attention.fix.contains(&inside.to_string())
            && attention.fix.contains("Database-Parent-Page-ID"),
        "{attention:?}"
    );
    let needs = refused.needs_person();
    assert_eq!(needs.len(), 1);
    assert!(refused.to_json().contains("\"target-misplaced\""));
    assert_eq!(parent_page(&acme_client, db).await, old);
    assert_eq!(databases_under(&acme_client, old).await, vec![db]);
    assert_eq!(copy_of(&control).await, (db, ds));
    assert_eq!(rows(&acme_client, ds).await.len(), 2);
}

/// Adds a row by hand to the copy; its ID.
async fn hand_row(world: &World, acme: &FakeWorkspace, ds: DataSourceId, title: &str) -> PageId {
    let made = ok(
        &world.fake,
        Method::Post,
        "/v1/pages",
        &acme.token,
        Some(json!({
            "parent": {"data_source_id": ds.to_string()},
            "properties": {"Name": {"title": text(title)}},
        })),
    )
    .await;
    PageId::parse(&id(&made)).unwrap()
}

#[tokio::test(start_paused = true)]
async fn rows_added_by_hand_are_named_and_pruned_within_the_guard() {
    let (world, acme, control, acme_client, (_db, ds), _) = synced(3).await;
    let by_hand = hand_row(&world, &acme, ds, "Call the printer").await;

    // Named in the report (title and link), kept, and nothing written.
    let kept = run(&control, &execute()).await;
    let report = pair(&kept, "Tasks");
    assert_eq!(kept.writes(), 0, "{kept:#?}");
    assert_eq!(report.skipped, 1);
    assert_eq!(report.added_by_hand.len(), 1);
    assert_eq!(report.added_by_hand[0].id, by_hand);
    assert_eq!(report.added_by_hand[0].title, "Call the printer");
    assert!(report.added_by_hand[0].url.contains(&by_hand.simple()));
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("\"Call the printer\"") && n.contains("--prune")),
        "{report:#?}"
    );
    let json: Value = serde_json::from_str(&kept.to_json()).unwrap();
    assert_eq!(
        json["pairs"][0]["added_by_hand"][0]["title"],
        "Call the printer"
    );
    assert_eq!(rows(&acme_client, ds).await.len(), 4);

    // `prune` trashes it: planned in a dry run, then done; a re-run writes nothing.
    let mut prune = execute();
    prune.plan.prune = true;
    let dry = run(
        &control,
        &SyncOptions {
            execute: false,
            ..prune.clone()
        },
    )
    .await;
    assert_eq!((dry.trashed(), dry.writes()), (1, 0));
    let pruned = run(&control, &prune).await;
    assert_eq!(pruned.trashed(), 1, "{pruned:#?}");
    let left = rows(&acme_client, ds).await;
    assert_eq!(left.len(), 3);
    assert!(left.iter().all(|row| row.id != by_hand));
    let again = run(&control, &prune).await;
    assert_eq!(again.writes(), 0, "{again:#?}");

    // The max-delete guard counts them: 4 of the copy's 7 rows would go, so none does.
    for n in 0..4 {
        hand_row(&world, &acme, ds, &format!("Scribble {n}")).await;
    }
    let guarded = run(&control, &prune).await;
    let report = pair(&guarded, "Tasks");
    assert_eq!(report.class(), PairClass::NeedsPerson, "{report:#?}");
    assert_eq!(guarded.exit_status(), 3);
    assert_eq!(guarded.trashed(), 0);
    assert_eq!(report.added_by_hand.len(), 4);
    assert_eq!(rows(&acme_client, ds).await.len(), 7);
}

#[tokio::test(start_paused = true)]
async fn a_rotated_token_keeps_the_same_copy() {
    let (world, acme, control, acme_client, (db, ds), source) = synced(3).await;
    let parent = parent_page(&acme_client, db).await;

    // The integration's secret refreshed: the old token is refused, the registry gets the
    // new one, and the run finds the same copy and writes nothing.
    let refreshed = world.fake.refresh_token(&acme.token).unwrap();
    assert!(acme_client.me().await.is_err());
    set_environment(
        &world,
        json!({"Primary-Token": {"rich_text": text(refreshed.expose())}}),
    )
    .await;
    let after_refresh = run(&control, &execute()).await;
    assert_eq!(
        (after_refresh.exit_status(), after_refresh.writes()),
        (0, 0),
        "{after_refresh:#?}"
    );
    assert_eq!(pair(&after_refresh, "Tasks").unchanged, 3);

    // Another integration of the same workspace, which sees nothing yet: the pair waits for a
    // person to share the parent page with it, and nothing is made.
    let second = world
        .fake
        .add_integration(acme.workspace_id, "Acme sync (new)")
        .unwrap();
    set_environment(
        &world,
        json!({"Primary-Token": {"rich_text": text(second.token.expose())}}),
    )
    .await;
    let skip = world.fake.request_log().len();
    let unshared = run(&control, &execute()).await;
    assert_eq!(
        (unshared.exit_status(), copy_writes(&world, skip)),
        (3, 0),
        "{unshared:#?}"
    );
    let attention = pair(&unshared, "Tasks").attention.clone().unwrap();
    assert_eq!(attention.cause, Cause::ParentPage);
    assert!(attention.fix.starts_with("share the page"), "{attention:?}");

    // Shared with it: the same copy, no duplicate row, no second database; an edit arrives
    // through it.
    world.fake.share(&second.token, parent).unwrap();
    let skip = world.fake.request_log().len();
    let moved_on = run(&control, &execute()).await;
    assert_eq!(
        (moved_on.exit_status(), copy_writes(&world, skip)),
        (0, 0),
        "{moved_on:#?}"
    );
    let recorded = crate::support::sync::target_of(&control, "Tasks", "Acme").await;
    assert_eq!(recorded, Some(ds));
    let source = DataSourceId::parse(&source).unwrap();
    let edited = rows(&world.client(), source).await[0].id;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{edited}"),
        world.token(),
        Some(json!({"properties": {"Notes": {"rich_text": text("edited after the rotation")}}})),
    )
    .await;
    world.fake.clear_request_log();
    let edit = run(&control, &execute()).await;
    assert_eq!((edit.updated(), edit.created()), (1, 0), "{edit:#?}");
    assert!(
        world
            .fake
            .request_log()
            .iter()
            .filter(|r| r.method == Method::Patch && r.path.starts_with("/v1/pages/"))
            .filter(|r| r.workspace.as_deref() == Some("Acme"))
            .all(|r| r.integration.as_deref() == Some("Acme sync (new)"))
    );
    let new_client = control.for_token(second.token.clone());
    assert_eq!(databases_under(&new_client, parent).await, vec![db]);
    assert_eq!(rows(&new_client, ds).await.len(), 3);
    assert_eq!(copy_of(&control).await, (db, ds));
    let again = run(&control, &execute()).await;
    assert_eq!(again.writes(), 0, "{again:#?}");
}

#[tokio::test(start_paused = true)]
async fn a_new_integration_that_cannot_see_the_copy_needs_a_person_not_a_second_copy() {
    let (world, acme, control, acme_client, (db, ds), _) = synced(3).await;
    let parent = parent_page(&acme_client, db).await;
    let second = world
        .fake
        .add_integration(acme.workspace_id, "Acme sync (new)")
        .unwrap();
    // The parent page is shared with the new integration, but the copy is not.
    world.fake.share(&second.token, parent).unwrap();
    world.fake.unshare(&second.token, db).unwrap();
    set_environment(
        &world,
        json!({"Primary-Token": {"rich_text": text(second.token.expose())}}),
    )
    .await;
    for _ in 0..2 {
        let skip = world.fake.request_log().len();
        let report = run(&control, &execute()).await;
        let tasks = pair(&report, "Tasks");
        assert_eq!(report.exit_status(), 3, "{report:#?}");
        let attention = tasks.attention.as_ref().expect("a person is needed");
        assert_eq!(attention.cause, Cause::TargetUnreadable);
        assert!(attention.fix.contains("share the copy"), "{attention:?}");
        assert_eq!(copy_writes(&world, skip), 0);
        assert_eq!(databases_under(&acme_client, parent).await, vec![db]);
        assert_eq!(copy_of(&control).await, (db, ds));
    }
    // Once the copy is shared with it, the same copy is synced, and nothing is written.
    world.fake.share(&second.token, db).unwrap();
    let skip = world.fake.request_log().len();
    let shared = run(&control, &execute()).await;
    assert_eq!(
        (shared.exit_status(), copy_writes(&world, skip)),
        (0, 0),
        "{shared:#?}"
    );
    let again = run(&control, &execute()).await;
    assert_eq!(again.writes(), 0, "{again:#?}");
    assert_eq!(pair(&shared, "Tasks").unchanged, 3);
}

#[tokio::test(start_paused = true)]
async fn a_two_way_copy_moves_to_the_new_parent_page_and_follows_the_control_title() {
    let (world, acme, source, _rows) = small_world_in(2).await;
    world.set_sync("Tasks", "Two-Way").await;
    let control = world.client();
    let first = run(&control, &execute()).await;
    assert_eq!(first.exit_status(), 0, "{first:#?}");
    let (db, ds) = copy_of(&control).await;
    let acme_client = acme_client(&world).await;
    let new_home = new_page(&world, &acme.token, &acme.root_page_id.to_string()).await;
    set_parent_page(&world, &new_home.to_string()).await;

    let dry = run(&control, &SyncOptions::default()).await;
    assert!(
        pair(&dry, "Tasks")
            .notes
            .iter()
            .any(|n| n.contains("would move the copy")),
        "{dry:#?}"
    );
    let moved = run(&control, &execute()).await;
    assert_eq!(moved.exit_status(), 0, "{moved:#?}");
    assert_eq!(databases_under(&acme_client, new_home).await, vec![db]);
    assert_eq!(copy_of(&control).await, (db, ds));
    let again = run(&control, &execute()).await;
    assert_eq!(again.writes(), 0, "{again:#?}");
    assert_eq!(rows(&acme_client, ds).await.len(), 2);

    // The control database renamed: the copy follows, with one PATCH; then nothing.
    let source_db = source_database(&control, &source).await;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/databases/{source_db}"),
        world.token(),
        Some(json!({"title": text("Jobs")})),
    )
    .await;
    world.fake.clear_request_log();
    let renamed = run(&control, &execute()).await;
    assert_eq!(renamed.exit_status(), 0, "{renamed:#?}");
    let patches = world
        .fake
        .request_log()
        .into_iter()
        .filter(|r| r.method == Method::Patch && r.path == format!("/v1/databases/{db}"))
        .count();
    assert_eq!(patches, 1);
    let title = acme_client.database(db).await.unwrap().title;
    assert_eq!(
        notion_xws_core::model::RichText::concat_plain_text(&title),
        "Jobs"
    );
    let again = run(&control, &execute()).await;
    assert_eq!(again.writes(), 0, "{again:#?}");
}

/// The database of the source data source `source`.
async fn source_database(control: &NotionClient, source: &str) -> DatabaseId {
    let source = DataSourceId::parse(source).unwrap();
    match control.data_source(source).await.unwrap().parent.kind {
        ParentKind::Database(database) => database,
        other => panic!("a data source lies in a database, not {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn the_source_database_title_description_and_icon_follow_to_the_copy() {
    let (world, _acme, control, acme_client, (db, _ds), source) = synced(2).await;
    let source_db = source_database(&control, &source).await;
    let marker = acme_client.database(db).await.unwrap().description;
    let marker = notion_xws_core::model::RichText::concat_plain_text(&marker);
    assert!(marker.starts_with("notion-xws target of"), "{marker}");
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/databases/{source_db}"),
        world.token(),
        Some(json!({
            "title": text("Jobs"),
            "description": text("What the studio does this week"),
            "icon": {"type": "emoji", "emoji": "🗂️"},
        })),
    )
    .await;

    let dry = run(&control, &SyncOptions::default()).await;
    assert!(
        pair(&dry, "Tasks")
            .notes
            .iter()
            .any(|n| n.contains("title, description, icon changed")),
        "{dry:#?}"
    );
    world.fake.clear_request_log();
    let followed = run(&control, &execute()).await;
    assert_eq!(followed.exit_status(), 0, "{followed:#?}");
    let patches = world
        .fake
        .request_log()
        .into_iter()
        .filter(|r| r.method == Method::Patch && r.path == format!("/v1/databases/{db}"))
        .count();
    assert_eq!(patches, 1);
    let copy = acme_client.database(db).await.unwrap();
    let plain = notion_xws_core::model::RichText::concat_plain_text;
    assert_eq!(plain(&copy.title), "Jobs");
    // The source's description, then the sync's marker, kept.
    assert_eq!(
        plain(&copy.description),
        format!("What the studio does this week\n{marker}")
    );
    let icon = serde_json::to_value(copy.icon.unwrap()).unwrap();
    assert_eq!(icon["emoji"], "🗂️");
    let again = run(&control, &execute()).await;
    assert_eq!(again.writes(), 0, "{again:#?}");
    assert_eq!(copy_of(&control).await.0, db);
}

#[tokio::test(start_paused = true)]
async fn a_new_copy_is_made_with_the_source_database_description_and_icon() {
    let (world, _acme, source, _rows) = small_world_in(1).await;
    let control = world.client();
    let source_db = source_database(&control, &source).await;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/databases/{source_db}"),
        world.token(),
        Some(json!({
            "description": text("Every task of the studio"),
            "icon": {"type": "external", "external": {"url": "https://example.com/tasks.png"}},
        })),
    )
    .await;
    let first = run(&control, &execute()).await;
    assert_eq!(first.exit_status(), 0, "{first:#?}");
    let (db, _) = copy_of(&control).await;
    let acme_client = acme_client(&world).await;
    let copy = acme_client.database(db).await.unwrap();
    let description = notion_xws_core::model::RichText::concat_plain_text(&copy.description);
    assert!(
        description.starts_with("Every task of the studio\nnotion-xws target of"),
        "{description}"
    );
    assert!(copy.icon.is_some());
    let again = run(&control, &execute()).await;
    assert_eq!(again.writes(), 0, "{again:#?}");
}
