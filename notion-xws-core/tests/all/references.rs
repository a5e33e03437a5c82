//! Relations and people across workspaces, on the fake Notion: a relation column recreated in
//! the environment pointing at the related database's copy, its values remapped row by row (past
//! the 25 a page object shows), people matched by email, and what cannot be matched reported and
//! kept, never dropped. One-way and two-way.

use std::collections::{BTreeSet, HashMap};

use futures::TryStreamExt;
use notion_xws_core::client::NotionClient;
use notion_xws_core::fake::FakeWorkspace;
use notion_xws_core::model::{
    Page, PropertyConfigKind, PropertyItemKind, PropertyItemResponse, PropertyValueKind,
};
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::sync::one_way::plan::source_key;
use notion_xws_core::sync::sync;
use notion_xws_core::transport::Method;
use notion_xws_core::{DataSourceId, PageId, UserId};
use serde_json::{Value, json};

use crate::support::fake::{id, ok, text};
use crate::support::sync::Crash;
use crate::support::sync::{execute, pair, rows, sync_without_failures, target_of};
use crate::support::world::{World, create_database};
use notion_xws_core::fake::FaultConfig;
use notion_xws_core::transport::DynTransport;
use notion_xws_core::transport::retry::RetryConfig;
use notion_xws_core::transport::stack::{StackConfig, TransportStack};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// Projects and Tasks (a relation to Projects, one to an unsynced Archive, and people), both
/// synced to Acme; the control has Ann and Bob, Acme has Ann only (her email in other case).
pub(crate) struct RefWorld {
    pub(crate) world: World,
    acme: FakeWorkspace,
    pub(crate) tasks: DataSourceId,
    pub(crate) projects_source: DataSourceId,
    projects: Vec<PageId>,
    tasks_rows: Vec<PageId>,
    ann_control: UserId,
    bob_control: UserId,
    ann_acme: UserId,
}

/// How many projects (past the 25 references a page shows).
const PROJECTS: usize = 30;

pub(crate) async fn ref_world(tasks_sync: &str) -> RefWorld {
    ref_world_of(tasks_sync, PROJECTS, 10).await
}

/// The world with `projects` projects and `tasks` tasks: the first task names every project and
/// Ann and Bob, the last none and nobody, the others one project and Ann.
async fn ref_world_of(tasks_sync: &str, project_count: usize, task_count: usize) -> RefWorld {
    let world = World::new(true).await;
    let fake = &world.fake;
    let t = world.token();
    let ann_control = fake
        .add_user(world.control.workspace_id, "Ann", "ann@seren.media")
        .unwrap();
    let bob_control = fake
        .add_user(world.control.workspace_id, "Bob", "bob@seren.media")
        .unwrap();
    let (projects_db, projects_ds) = create_database(
        fake,
        t,
        &world.library,
        "Projects",
        json!({"Name": {"title": {}}}),
    )
    .await;
    let (_, archive_ds) = create_database(
        fake,
        t,
        &world.library,
        "Archive",
        json!({"Name": {"title": {}}}),
    )
    .await;
    let (tasks_db, tasks_ds) = create_database(
        fake,
        t,
        &world.library,
        "Tasks",
        json!({
            "Name": {"title": {}},
            "Project": {"relation": {"data_source_id": projects_ds, "type": "single_property", "single_property": {}}},
            "Archived in": {"relation": {"data_source_id": archive_ds, "type": "single_property", "single_property": {}}},
            "Owner": {"people": {}},
        }),
    )
    .await;
    let row = |ds: &str, properties: Value| {
        let body = json!({"parent": {"data_source_id": ds}, "properties": properties});
        async move { id(&ok(fake, Method::Post, "/v1/pages", t, Some(body)).await) }
    };
    let archived = row(&archive_ds, json!({"Name": {"title": text("Old")}})).await;
    let mut projects = Vec::new();
    for i in 0..project_count {
        projects.push(
            row(
                &projects_ds,
                json!({"Name": {"title": text(&format!("P{i}"))}}),
            )
            .await,
        );
    }
    let refs = |ids: &[&String]| ids.iter().map(|id| json!({"id": id})).collect::<Vec<_>>();
    let mut tasks_rows = Vec::new();
    for i in 0..task_count {
        let (project, owner) = match i {
            // Every project (past 25), and a person the environment does not have.
            0 => (
                refs(&projects.iter().collect::<Vec<_>>()),
                json!([{"id": ann_control}, {"id": bob_control}]),
            ),
            i if i + 1 == task_count => (Vec::new(), json!([])),
            _ => (
                refs(&[&projects[i % project_count]]),
                json!([{"id": ann_control}]),
            ),
        };
        tasks_rows.push(
            row(
                &tasks_ds,
                json!({
                    "Name": {"title": text(&format!("T{i}"))},
                    "Project": {"relation": project},
                    "Archived in": {"relation": [{"id": archived}]},
                    "Owner": {"people": owner},
                }),
            )
            .await,
        );
    }
    let acme = world
        .sync_to_new_workspace(
            "Acme",
            &[
                ("Projects", "Push", &projects_db, &projects_ds),
                ("Tasks", tasks_sync, &tasks_db, &tasks_ds),
            ],
        )
        .await;
    let ann_acme = fake
        .add_user(acme.workspace_id, "Ann A.", "ANN@seren.media")
        .unwrap();
    RefWorld {
        tasks: tasks_ds.parse().unwrap(),
        projects_source: projects_ds.parse().unwrap(),
        projects: projects.iter().map(|p| p.parse().unwrap()).collect(),
        tasks_rows: tasks_rows.iter().map(|p| p.parse().unwrap()).collect(),
        world,
        acme,
        ann_control,
        bob_control,
        ann_acme,
    }
}

impl RefWorld {
    fn acme_client(&self) -> NotionClient {
        self.world.client().for_token(self.acme.token.clone())
    }
}

/// Every page a relation value names, past the 25 a page object shows.
pub(crate) async fn related(client: &NotionClient, row: &Page, property: &str) -> BTreeSet<PageId> {
    let id = row.properties[property].id.clone().unwrap();
    let items: Vec<PropertyItemResponse> = client
        .page_property(row.id, &id)
        .try_collect()
        .await
        .unwrap();
    items
        .into_iter()
        .flat_map(|response| match response {
            PropertyItemResponse::Item(item) => vec![*item],
            PropertyItemResponse::List(list) => list.list.results,
        })
        .filter_map(|item| match item.item {
            PropertyItemKind::Relation(page) => Some(page.id),
            _ => None,
        })
        .collect()
}

pub(crate) fn people(row: &Page, property: &str) -> Vec<UserId> {
    match &row.properties[property].value {
        PropertyValueKind::People(users) => users.iter().map(|u| u.id).collect(),
        other => panic!("not people: {other:?}"),
    }
}

/// The rows of a copy by the source row each mirrors.
fn by_key(rows: &[Page]) -> HashMap<PageId, &Page> {
    rows.iter()
        .map(|row| (source_key(row).expect("a key"), row))
        .collect()
}

/// Writes no request on a run (reads only).
async fn assert_next_run_writes_nothing(world: &World) {
    world.fake.clear_request_log();
    let again = sync(
        &world.client(),
        &RegistryConfig::default(),
        &execute(),
        None,
    )
    .await
    .unwrap();
    let writes: Vec<_> = world
        .fake
        .request_log()
        .into_iter()
        .filter(|r| {
            !(r.method == Method::Get || r.path == "/v1/search" || r.path.ends_with("/query"))
        })
        .collect();
    assert!(writes.is_empty(), "{writes:#?}\n{}", again.to_markdown());
}

#[tokio::test(start_paused = true)]
async fn relations_point_at_the_related_copy_and_people_are_matched_by_email() {
    let w = ref_world("Push").await;
    let control = w.world.client();
    let acme = w.acme_client();
    let report = sync(&control, &RegistryConfig::default(), &execute(), None)
        .await
        .unwrap();
    assert!(!report.has_failures(), "{}", report.to_markdown());
    let tasks = pair(&report, "Tasks");
    assert_eq!(tasks.created, 10);
    assert_eq!(
        (tasks.updated, tasks.writes),
        (0, 10 + 1 + 3),
        "Projects runs first, so each task is created with its relations: one write per row, \
         the database and the link row (creating, running, done); the lease is the \
         environment's, claimed by Projects, the first of its pairs to write"
    );
    assert_eq!(tasks.waiting, 0, "{tasks:#?}");
    let notes = tasks.notes.join("\n");
    assert!(notes.contains("\"Archived in\" not synced"), "{notes}");
    assert!(
        notes.contains("1 person in the source cannot be matched")
            && notes.contains("left out there (run with --people-fallback names"),
        "{notes}"
    );

    let projects_copy = target_of(&control, "Projects", "Acme").await.unwrap();
    let tasks_copy = target_of(&control, "Tasks", "Acme").await.unwrap();
    let schema = acme.data_source(tasks_copy).await.unwrap().properties;
    match &schema["Project"].config {
        PropertyConfigKind::Relation(relation) => {
            assert_eq!(relation.data_source_id, Some(projects_copy));
            assert!(matches!(
                relation.relation_kind,
                Some(notion_xws_core::model::RelationKind::SingleProperty(_))
            ));
        }
        other => panic!("not a relation: {other:?}"),
    }
    assert!(!schema.contains_key("Archived in"));

    let project_copies = rows(&acme, projects_copy).await;
    let source_of: HashMap<PageId, PageId> = project_copies
        .iter()
        .map(|p| (p.id, source_key(p).unwrap()))
        .collect();
    let task_copies = rows(&acme, tasks_copy).await;
    let copies = by_key(&task_copies);
    for source in rows(&control, w.tasks).await {
        let copy = copies[&source.id];
        let wanted = related(&control, &source, "Project").await;
        let got: BTreeSet<PageId> = related(&acme, copy, "Project")
            .await
            .iter()
            .map(|target| source_of[target])
            .collect();
        assert_eq!(got, wanted, "{}", source.title());
        let owners = people(&source, "Owner");
        let expected: Vec<UserId> = if owners.is_empty() {
            Vec::new()
        } else {
            vec![w.ann_acme]
        };
        assert_eq!(people(copy, "Owner"), expected, "{}", source.title());
    }
    assert_eq!(
        related(&control, &rows(&control, w.tasks).await[0], "Project")
            .await
            .len(),
        PROJECTS
    );
    assert_next_run_writes_nothing(&w.world).await;

    // A project changed in the source moves in the copy; a person cleared is cleared.
    let t1 = w.tasks_rows[1];
    ok(
        &w.world.fake,
        Method::Patch,
        &format!("/v1/pages/{t1}"),
        w.world.token(),
        Some(json!({"properties": {
            "Project": {"relation": [{"id": w.projects[7]}, {"id": w.projects[8]}]},
            "Owner": {"people": []},
        }})),
    )
    .await;
    let report = sync(&control, &RegistryConfig::default(), &execute(), None)
        .await
        .unwrap();
    assert_eq!(pair(&report, "Tasks").updated, 1);
    let task_copies = rows(&acme, tasks_copy).await;
    let copy = by_key(&task_copies)[&t1];
    let got: BTreeSet<PageId> = related(&acme, copy, "Project")
        .await
        .iter()
        .map(|target| source_of[target])
        .collect();
    assert_eq!(got, BTreeSet::from([w.projects[7], w.projects[8]]));
    assert!(people(copy, "Owner").is_empty());
}

#[tokio::test(start_paused = true)]
async fn two_way_relations_and_people_come_back_mapped_and_keep_what_the_other_side_cannot_name() {
    let w = ref_world("Two-Way").await;
    let control = w.world.client();
    let acme = w.acme_client();
    let report = sync(&control, &RegistryConfig::default(), &execute(), None)
        .await
        .unwrap();
    assert!(!report.has_failures(), "{}", report.to_markdown());
    assert_next_run_writes_nothing(&w.world).await;

    let projects_copy = target_of(&control, "Projects", "Acme").await.unwrap();
    let tasks_copy = target_of(&control, "Tasks", "Acme").await.unwrap();
    let project_copies = rows(&acme, projects_copy).await;
    let copy_of: HashMap<PageId, PageId> = project_copies
        .iter()
        .map(|p| (source_key(p).unwrap(), p.id))
        .collect();
    let task_copies = rows(&acme, tasks_copy).await;
    let copies = by_key(&task_copies);

    // In Acme: T1 moves to P5's copy and loses its owner; T0 loses Ann (Bob, whom Acme cannot
    // name, stays in the control); a new task names P3's copy and Ann.
    let t0 = copies[&w.tasks_rows[0]].id;
    let t1 = copies[&w.tasks_rows[1]].id;
    let patch = |row: PageId, properties: Value| {
        let fake = &w.world.fake;
        let token = &w.acme.token;
        async move {
            ok(
                fake,
                Method::Patch,
                &format!("/v1/pages/{row}"),
                token,
                Some(json!({ "properties": properties })),
            )
            .await
        }
    };
    patch(
        t1,
        json!({"Project": {"relation": [{"id": copy_of[&w.projects[5]]}]}, "Owner": {"people": []}}),
    )
    .await;
    patch(t0, json!({"Owner": {"people": []}})).await;
    ok(
        &w.world.fake,
        Method::Post,
        "/v1/pages",
        &w.acme.token,
        Some(
            json!({"parent": {"data_source_id": tasks_copy}, "properties": {
                "Name": {"title": text("Made in Acme")},
                "Project": {"relation": [{"id": copy_of[&w.projects[3]]}]},
                "Owner": {"people": [{"id": w.ann_acme}]},
            }}),
        ),
    )
    .await;

    let report = sync(&control, &RegistryConfig::default(), &execute(), None)
        .await
        .unwrap();
    assert!(!report.has_failures(), "{}", report.to_markdown());
    let tasks = pair(&report, "Tasks");
    assert_eq!(tasks.created, 1, "{tasks:#?}");
    let control_rows = rows(&control, w.tasks).await;
    let find = |title: &str| control_rows.iter().find(|r| r.title() == title).unwrap();
    assert_eq!(
        related(&control, find("T1"), "Project").await,
        BTreeSet::from([w.projects[5]])
    );
    assert!(people(find("T1"), "Owner").is_empty());
    assert_eq!(people(find("T0"), "Owner"), vec![w.bob_control]);
    assert_eq!(
        related(&control, find("T0"), "Project").await.len(),
        PROJECTS,
        "untouched"
    );
    let made = find("Made in Acme");
    assert_eq!(
        related(&control, made, "Project").await,
        BTreeSet::from([w.projects[3]])
    );
    assert_eq!(people(made, "Owner"), vec![w.ann_control]);
    assert_next_run_writes_nothing(&w.world).await;
}

#[tokio::test(start_paused = true)]
async fn with_the_names_fallback_unmatched_people_are_written_as_text() {
    let w = ref_world("Push").await;
    let control = w.world.client();
    let acme = w.acme_client();
    let options = notion_xws_core::sync::SyncOptions {
        people_fallback: notion_xws_core::sync::refs::PeopleFallback::Names,
        ..execute()
    };
    let report = sync(&control, &RegistryConfig::default(), &options, None)
        .await
        .unwrap();
    assert!(!report.has_failures(), "{}", report.to_markdown());
    let tasks_copy = target_of(&control, "Tasks", "Acme").await.unwrap();
    let task_copies = rows(&acme, tasks_copy).await;
    let copies = by_key(&task_copies);
    let unmatched = |row: &Page| match &row.properties["Owner (unmatched)"].value {
        PropertyValueKind::RichText(text) => {
            notion_xws_core::model::RichText::concat_plain_text(text)
        }
        other => panic!("not text: {other:?}"),
    };
    assert_eq!(unmatched(copies[&w.tasks_rows[0]]), "Bob <bob@seren.media>");
    assert_eq!(people(copies[&w.tasks_rows[0]], "Owner"), vec![w.ann_acme]);
    assert_eq!(unmatched(copies[&w.tasks_rows[1]]), "");

    // Bob leaves the task in the source: the names column is cleared.
    ok(
        &w.world.fake,
        Method::Patch,
        &format!("/v1/pages/{}", w.tasks_rows[0]),
        w.world.token(),
        Some(json!({"properties": {"Owner": {"people": [{"id": w.ann_control}]}}})),
    )
    .await;
    let report = sync(&control, &RegistryConfig::default(), &options, None)
        .await
        .unwrap();
    assert_eq!(pair(&report, "Tasks").updated, 1);
    let task_copies = rows(&acme, tasks_copy).await;
    assert_eq!(unmatched(by_key(&task_copies)[&w.tasks_rows[0]]), "");
    w.world.fake.clear_request_log();
    let again = sync(&control, &RegistryConfig::default(), &options, None)
        .await
        .unwrap();
    assert_eq!(again.writes(), 0, "{}", again.to_markdown());
}

/// Checks every task copy in Acme names the copies of its source's projects and the matched
/// people, and that each source row has one copy.
async fn assert_references_mirrored(w: &RefWorld, context: &str) {
    let control = w.world.client();
    let acme = w.acme_client();
    let projects_copy = target_of(&control, "Projects", "Acme").await.unwrap();
    let tasks_copy = target_of(&control, "Tasks", "Acme").await.unwrap();
    let project_copies = rows(&acme, projects_copy).await;
    assert_eq!(project_copies.len(), w.projects.len(), "{context}");
    let source_of: HashMap<PageId, PageId> = project_copies
        .iter()
        .map(|p| (p.id, source_key(p).unwrap()))
        .collect();
    let task_copies = rows(&acme, tasks_copy).await;
    let sources = rows(&control, w.tasks).await;
    assert_eq!(task_copies.len(), sources.len(), "{context}: no duplicate");
    let copies = by_key(&task_copies);
    for source in &sources {
        let copy = copies[&source.id];
        let got: BTreeSet<PageId> = related(&acme, copy, "Project")
            .await
            .iter()
            .map(|target| source_of[target])
            .collect();
        assert_eq!(got, related(&control, source, "Project").await, "{context}");
        let named = !people(source, "Owner").is_empty();
        assert_eq!(
            people(copy, "Owner"),
            if named { vec![w.ann_acme] } else { vec![] },
            "{context}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn references_converge_after_a_crash_at_every_step() {
    for tasks_sync in ["Push", "Two-Way"] {
        let probe = ref_world_of(tasks_sync, 3, 3).await;
        probe.world.fake.clear_request_log();
        sync(
            &probe.world.client(),
            &RegistryConfig::default(),
            &execute(),
            None,
        )
        .await
        .unwrap();
        let total = probe.world.fake.request_log().len() as u64;
        for at in 1..=total {
            for after_applying in [false, true] {
                let w = ref_world_of(tasks_sync, 3, 3).await;
                let crash = Arc::new(Crash {
                    inner: w.world.fake.clone(),
                    at,
                    after_applying,
                    seen: AtomicU64::new(0),
                });
                let crashing = NotionClient::new(crash as DynTransport, w.world.token().clone());
                let stopped = tokio::time::timeout(
                    std::time::Duration::from_secs(3600),
                    sync(&crashing, &RegistryConfig::default(), &execute(), None),
                )
                .await;
                assert!(stopped.is_err(), "{tasks_sync}: the run stops at {at}");
                let context = format!("{tasks_sync}, crash at {at} ({after_applying})");
                let control = w.world.client();
                let rerun = sync(&control, &RegistryConfig::default(), &execute(), None)
                    .await
                    .unwrap();
                assert!(!rerun.has_failures(), "{context}: {}", rerun.to_markdown());
                // The next run writes no row (a two-way pair whose rows name people may record
                // how far it read, reading the rerun's writes again), and the one after nothing.
                for quiet in 0..2 {
                    let again = sync(&control, &RegistryConfig::default(), &execute(), None)
                        .await
                        .unwrap();
                    let rows: u64 = again
                        .pairs
                        .iter()
                        .map(|p| (p.created + p.updated + p.trashed) as u64)
                        .sum();
                    let writes = if quiet == 0 { rows } else { again.writes() };
                    assert_eq!(writes, 0, "{context}: {}", again.to_markdown());
                }
                assert_references_mirrored(&w, &context).await;
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn references_converge_under_random_faults() {
    for seed in 0..6 {
        let tasks_sync = if seed % 2 == 0 { "Push" } else { "Two-Way" };
        let w = ref_world_of(tasks_sync, 6, 8).await;
        w.world
            .fake
            .set_query_lag(std::time::Duration::from_secs(3));
        w.world.fake.set_faults(FaultConfig {
            seed,
            rate_limited: 0.05,
            server_error: 0.05,
            timeout_after_write: 0.05,
            timeout_before_write: 0.05,
            committed_unavailable: 0.05,
            retry_after_secs: (1, 30),
            ..FaultConfig::default()
        });
        let stack = TransportStack::new(
            Arc::new(w.world.fake.clone()) as DynTransport,
            StackConfig {
                retry: RetryConfig {
                    seed,
                    ..RetryConfig::default()
                },
                ..StackConfig::default()
            },
        );
        let control = NotionClient::new(stack.transport(), w.world.token().clone());
        let mut converged = false;
        for _ in 0..12 {
            let Ok(report) = sync(&control, &RegistryConfig::default(), &execute(), None).await
            else {
                continue;
            };
            if !report.has_failures() && report.writes() == 0 && !report.pairs.is_empty() {
                converged = true;
                break;
            }
            eprintln!("seed {seed}: {}", report.to_markdown());
            // As a scheduler runs it, every few minutes: a lease a fault kept from being
            // released has lapsed by the next run.
            tokio::time::sleep(notion_xws_core::sync::lease::LeaseOptions::default().ttl).await;
        }
        assert!(
            converged,
            "seed {seed} ({tasks_sync}) did not converge in 12 runs (each run a pair lease too: three more writes a fault can hit)"
        );
        w.world.fake.set_faults(FaultConfig::default());
        assert_references_mirrored(&w, &format!("seed {seed} ({tasks_sync})")).await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_cycle_of_relations_is_finished_by_a_second_pass_of_the_same_sync() {
    let w = ref_world_of("Push", 3, 3).await;
    let control = w.world.client();
    let acme = w.acme_client();
    // Projects relate back to Tasks: neither pair can run after the other.
    ok(
        &w.world.fake,
        Method::Patch,
        &format!("/v1/data_sources/{}", w.projects_source),
        w.world.token(),
        Some(json!({"properties": {"Lead task": {"relation": {
            "data_source_id": w.tasks, "type": "single_property", "single_property": {}}}}})),
    )
    .await;
    for (project, task) in w.projects.iter().zip(&w.tasks_rows) {
        ok(
            &w.world.fake,
            Method::Patch,
            &format!("/v1/pages/{project}"),
            w.world.token(),
            Some(json!({"properties": {"Lead task": {"relation": [{"id": task}]}}})),
        )
        .await;
    }
    let report = sync(&control, &RegistryConfig::default(), &execute(), None)
        .await
        .unwrap();
    assert!(!report.has_failures(), "{}", report.to_markdown());
    let projects = pair(&report, "Projects");
    assert_eq!(
        (projects.created, projects.updated, projects.waiting),
        (3, 3, 0),
        "the second pass writes the projects' lead tasks: {projects:#?}"
    );
    assert_eq!(
        pair(&report, "Tasks").updated,
        0,
        "Tasks ran after Projects"
    );

    let projects_copy = target_of(&control, "Projects", "Acme").await.unwrap();
    let tasks_copy = target_of(&control, "Tasks", "Acme").await.unwrap();
    let task_copies = rows(&acme, tasks_copy).await;
    let task_source: HashMap<PageId, PageId> = task_copies
        .iter()
        .map(|t| (t.id, source_key(t).unwrap()))
        .collect();
    for copy in rows(&acme, projects_copy).await {
        let source = source_key(&copy).unwrap();
        let at = w.projects.iter().position(|p| *p == source).unwrap();
        let lead: Vec<PageId> = related(&acme, &copy, "Lead task")
            .await
            .iter()
            .map(|t| task_source[t])
            .collect();
        assert_eq!(lead, vec![w.tasks_rows[at]]);
    }
    assert_references_mirrored(&w, "a cycle").await;
    assert_next_run_writes_nothing(&w.world).await;
}

/// The source rows the `Project` value of each task copy names (through the live copies of
/// Projects), by the task's source row.
async fn mapped_projects(w: &RefWorld) -> HashMap<PageId, BTreeSet<PageId>> {
    let control = w.world.client();
    let acme = w.acme_client();
    let projects_copy = target_of(&control, "Projects", "Acme").await.unwrap();
    let tasks_copy = target_of(&control, "Tasks", "Acme").await.unwrap();
    let source_of: HashMap<PageId, PageId> = rows(&acme, projects_copy)
        .await
        .iter()
        .map(|p| (p.id, source_key(p).unwrap()))
        .collect();
    let mut mapped = HashMap::new();
    for copy in rows(&acme, tasks_copy).await {
        let names = related(&acme, &copy, "Project")
            .await
            .iter()
            // A page in the trash the copy still names (the copy of a project a person
            // trashed) is kept, as any reference the sync cannot name: left out here.
            .filter_map(|target| source_of.get(target).copied())
            .collect();
        mapped.insert(source_key(&copy).unwrap(), names);
    }
    mapped
}

/// That every task copy names the copies of its source's projects (past 25).
async fn assert_projects_mirrored(w: &RefWorld, context: &str) {
    let control = w.world.client();
    let mapped = mapped_projects(w).await;
    let sources = rows(&control, w.tasks).await;
    assert_eq!(mapped.len(), sources.len(), "{context}: one copy per task");
    for source in sources {
        let wanted = related(&control, &source, "Project").await;
        assert_eq!(mapped[&source.id], wanted, "{context}: {}", source.title());
    }
}

/// The requests the fake answered since its `skip`-th one, as (method, path).
fn requests_since(world: &World, skip: usize) -> Vec<(Method, String)> {
    world.fake.request_log()[skip..]
        .iter()
        .map(|r| (r.method, r.path.clone()))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn relations_and_people_are_read_incrementally_and_remapped_as_a_full_run_would() {
    read_incrementally_and_remapped("Push").await;
}

#[tokio::test(start_paused = true)]
async fn two_way_relations_and_people_are_read_incrementally_and_remapped_as_a_full_run_would() {
    read_incrementally_and_remapped("Two-Way").await;
}

/// Tasks (`tasks_sync`: pushed or two-way) relate to pushed Projects: runs with nothing
/// changed, with relations re-pointed, with a related copy made again and with people cleared
/// read incrementally, and leave what a full reconcile would.
async fn read_incrementally_and_remapped(tasks_sync: &str) {
    let w = ref_world_of(tasks_sync, PROJECTS, 40).await;
    let control = w.world.client();
    let acme = w.acme_client();
    let run = || async {
        tokio::time::sleep(std::time::Duration::from_secs(600)).await;
        sync_without_failures(&control, &execute()).await
    };
    run().await;
    run().await;
    assert_projects_mirrored(&w, "after the first sync").await;

    // Nothing changed: both pairs read only what changed, and nothing else: no users list, no
    // read of the related copy's rows, no value past 25.
    tokio::time::sleep(std::time::Duration::from_secs(600)).await;
    let skip = w.world.fake.request_log().len();
    let quiet = run().await;
    for name in ["Projects", "Tasks"] {
        let report = pair(&quiet, name);
        assert!(report.incremental, "{name}: {quiet:#?}");
        assert_eq!(report.writes, 0, "{name}: {quiet:#?}");
    }
    let requests = requests_since(&w.world, skip);
    assert!(
        !requests
            .iter()
            .any(|(_, path)| path == "/v1/users" || path.contains("/properties/")),
        "{requests:#?}"
    );
    let queries = requests
        .iter()
        .filter(|(_, p)| p.ends_with("/query"))
        .count();
    assert!(
        queries <= 4 + 4,
        "one query a side per pair, the registry's three tables and the claims left \
         unreleased: {requests:#?}"
    );

    // A task pointed at other projects, another at a project made since, a project renamed:
    // read incrementally, remapped through the related copy.
    let fake = &w.world.fake;
    let t = w.world.token();
    let new_project = crate::support::fake::id(
        &ok(
            fake,
            Method::Post,
            "/v1/pages",
            t,
            Some(
                json!({"parent": {"data_source_id": w.projects_source.to_string()},
                        "properties": {"Name": {"title": text("P-new")}}}),
            ),
        )
        .await,
    );
    let patch = |row: PageId, body: Value| async move {
        ok(
            fake,
            Method::Patch,
            &format!("/v1/pages/{row}"),
            t,
            Some(body),
        )
        .await;
    };
    patch(
        w.tasks_rows[3],
        json!({"properties": {"Project": {"relation": [{"id": w.projects[7]}, {"id": w.projects[9]}]}}}),
    )
    .await;
    patch(
        w.tasks_rows[4],
        json!({"properties": {"Project": {"relation": [{"id": new_project}]}}}),
    )
    .await;
    patch(
        w.projects[2],
        json!({"properties": {"Name": {"title": text("P2 renamed")}}}),
    )
    .await;
    let report = run().await;
    let (projects, tasks) = (pair(&report, "Projects"), pair(&report, "Tasks"));
    assert!(projects.incremental && tasks.incremental, "{report:#?}");
    assert_eq!((projects.created, projects.updated), (1, 1), "{report:#?}");
    assert_eq!(
        (tasks.created, tasks.updated, tasks.waiting),
        (0, 2, 0),
        "{report:#?}"
    );
    assert_projects_mirrored(&w, "after edits read incrementally").await;

    // A person trashes the copy of a project a task names: the project's copy is made again,
    // and the tasks are reconciled in full, so that the task names the new copy. (The person:
    // another integration of Acme, to the sync.)
    let projects_copy = target_of(&control, "Projects", "Acme").await.unwrap();
    let person = fake
        .add_integration(w.acme.workspace_id, "A person")
        .unwrap()
        .token;
    let copy_database = acme.data_source(projects_copy).await.unwrap().database_id();
    fake.share(&person, copy_database.unwrap()).unwrap();
    let copy_of_7 = rows(&acme, projects_copy)
        .await
        .into_iter()
        .find(|p| source_key(p) == Some(w.projects[7]))
        .unwrap();
    ok(
        fake,
        Method::Patch,
        &format!("/v1/pages/{}", copy_of_7.id),
        &person,
        Some(json!({"in_trash": true})),
    )
    .await;
    let report = run().await;
    let (projects, tasks) = (pair(&report, "Projects"), pair(&report, "Tasks"));
    assert_eq!(projects.created, 1, "{report:#?}");
    assert!(!tasks.incremental, "{report:#?}");
    assert_eq!(
        tasks.updated, 4,
        "T0 (every project), T3, T7 and T37 named the old copy: {report:#?}"
    );
    assert_projects_mirrored(&w, "after a related copy was made again").await;

    // People: an owner cleared, read incrementally (the users lists read for it).
    patch(
        w.tasks_rows[5],
        json!({"properties": {"Owner": {"people": []}}}),
    )
    .await;
    let skip = w.world.fake.request_log().len();
    let report = run().await;
    assert!(pair(&report, "Tasks").incremental, "{report:#?}");
    assert_eq!(pair(&report, "Tasks").updated, 1, "{report:#?}");
    let users = requests_since(&w.world, skip)
        .into_iter()
        .filter(|(_, path)| path == "/v1/users")
        .count();
    assert_eq!(users, 2, "one users list a workspace");
    let tasks_copy = target_of(&control, "Tasks", "Acme").await.unwrap();
    let copy = by_key(&rows(&acme, tasks_copy).await)
        .get(&w.tasks_rows[5])
        .map(|p| people(p, "Owner"));
    assert_eq!(copy, Some(vec![]));

    // What the incremental runs made is what a full reconcile makes: it plans nothing.
    let check = sync(
        &control,
        &RegistryConfig::default(),
        &notion_xws_core::sync::SyncOptions {
            incremental: notion_xws_core::sync::watermark::IncrementalOptions {
                full: true,
                ..Default::default()
            },
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    for name in ["Projects", "Tasks"] {
        let report = pair(&check, name);
        assert_eq!(
            (report.created, report.updated, report.trashed),
            (0, 0, 0),
            "{name}: {check:#?}"
        );
    }
}

/// Seeded rounds of edits of a two-way Tasks pair's relations, people and titles on both sides
/// (tasks pointed at other projects, at a project made since, owners set and cleared), at and
/// across minute boundaries and with Notion's read-after-write lag, each followed by a run that
/// reads incrementally: after each, a full reconcile plans no write and reports the same open
/// conflicts.
#[tokio::test(start_paused = true)]
async fn two_way_relations_read_incrementally_equal_full_reconciles_under_random_edits() {
    use notion_xws_core::sync::two_way::ConflictPolicy;
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};
    for seed in 100_u64..104 {
        let policy = if seed % 2 == 0 {
            ConflictPolicy::Report
        } else {
            ConflictPolicy::ControlWins
        };
        let mut options = execute();
        options.conflict_policy = policy;
        let mut rng = StdRng::seed_from_u64(seed);
        let w = ref_world_of("Two-Way", 8, 10).await;
        let control = w.world.client();
        let acme = w.acme_client();
        let fake = &w.world.fake;
        let run = |options: notion_xws_core::sync::SyncOptions| {
            let control = control.clone();
            async move { sync_without_failures(&control, &options).await }
        };
        run(options.clone()).await;
        tokio::time::sleep(std::time::Duration::from_secs(600)).await;
        run(options.clone()).await;
        fake.set_query_lag(std::time::Duration::from_secs(5));
        let tasks_copy = target_of(&control, "Tasks", "Acme").await.unwrap();
        let projects_copy = target_of(&control, "Projects", "Acme").await.unwrap();
        let mut projects = w.projects.clone();
        let mut incremental_runs = 0;
        for round in 0..10 {
            for _ in 0..rng.random_range(1..4) {
                let in_control = rng.random_bool(0.5);
                let (client, tasks, token) = if in_control {
                    (&control, w.tasks, w.world.token().clone())
                } else {
                    (&acme, tasks_copy, w.acme.token.clone())
                };
                let live = rows(client, tasks).await;
                let task = live[rng.random_range(0..live.len())].id;
                let pool: Vec<PageId> = if in_control {
                    projects.clone()
                } else {
                    rows(&acme, projects_copy)
                        .await
                        .iter()
                        .map(|p| p.id)
                        .collect()
                };
                let properties = match rng.random_range(0..5) {
                    0 if in_control => {
                        // A project made since, named by the task.
                        let made = id(&ok(
                            fake,
                            Method::Post,
                            "/v1/pages",
                            &token,
                            Some(
                                json!({"parent": {"data_source_id": w.projects_source.to_string()},
                                "properties": {"Name": {"title": text(&format!("P-{round}"))}}}),
                            ),
                        )
                        .await);
                        projects.push(made.parse().unwrap());
                        json!({"Project": {"relation": [{"id": made}]}})
                    }
                    0 | 1 => {
                        let named: Vec<Value> = (0..rng.random_range(0..3))
                            .map(|_| json!({"id": pool[rng.random_range(0..pool.len())]}))
                            .collect();
                        json!({"Project": {"relation": named}})
                    }
                    2 => {
                        let owner = if in_control {
                            w.ann_control
                        } else {
                            w.ann_acme
                        };
                        let owners: Vec<Value> = if rng.random_bool(0.5) {
                            vec![json!({"id": owner})]
                        } else {
                            Vec::new()
                        };
                        json!({"Owner": {"people": owners}})
                    }
                    _ => json!({"Name": {"title": text(&format!("T {}", rng.random::<u8>() % 4))}}),
                };
                ok(
                    fake,
                    Method::Patch,
                    &format!("/v1/pages/{task}"),
                    &token,
                    Some(json!({ "properties": properties })),
                )
                .await;
                tokio::time::sleep(std::time::Duration::from_secs(rng.random_range(0..50))).await;
            }
            // Past the lag: a row made less than that before the run is hidden from its read,
            // and from a full reconcile's at the same moment.
            let lagged = 6 + rng.random_range(0..200);
            tokio::time::sleep(std::time::Duration::from_secs(lagged)).await;
            let report = run(options.clone()).await;
            let context = format!("seed {seed} ({policy:?}) round {round}");
            let tasks = pair(&report, "Tasks");
            incremental_runs += usize::from(tasks.incremental);
            let open = tasks.open_conflicts;
            tokio::time::sleep(std::time::Duration::from_secs(10)).await;
            crate::support::sync::assert_full_reconcile_plans_nothing(
                &control, "Tasks", open, &context,
            )
            .await;
        }
        // A conflict left open (`Report`) is read again incrementally until it is settled.
        assert!(
            incremental_runs >= 5,
            "seed {seed} ({policy:?}): {incremental_runs} of 10 runs read incrementally"
        );
    }
}
