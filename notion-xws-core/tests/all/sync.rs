//! The one-way sync on the fake Notion: the demo world end to end (its relations remapped and its
//! people matched), a second run that writes nothing, edits that arrive with one write each, the
//! delete guard, and a crash at every step.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use notion_xws_core::audit::audit;
use notion_xws_core::client::NotionClient;
use notion_xws_core::demo::DemoWorld;
use notion_xws_core::fake::{FakeConfig, FakeNotion};
use notion_xws_core::model::Page;
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::repair::{apply_repair, plan_repair};
use notion_xws_core::sync::one_way::plan::source_key;
use notion_xws_core::sync::{PairState, SyncOptions, sync};
use notion_xws_core::transport::{DynTransport, Method};
use notion_xws_core::{DataSourceId, PageId};
use serde_json::json;

use crate::support::fake::{id, ok, text};
use crate::support::sync::{
    acme_client, count_where, crash_sync, execute, fail_every_query_of, live_titles, pair, rows,
    small_world, synced_then_mostly_trashed, target_of, two_way_world,
};
use crate::support::world::{World, page};
use notion_xws_core::fake::FaultConfig;
use notion_xws_core::sync::transfer;
use notion_xws_core::transport::retry::RetryConfig;
use notion_xws_core::transport::stack::{StackConfig, TransportStack};

/// Asserts each source row has exactly one target row with its key, and no other.
fn assert_mirrored(source: &[Page], target: &[Page]) {
    let mut keys: HashMap<PageId, usize> = HashMap::new();
    for row in target {
        *keys
            .entry(source_key(row).expect("every target row has a key"))
            .or_default() += 1;
    }
    assert_eq!(keys.len(), source.len(), "one target row per source row");
    for row in source {
        assert_eq!(
            keys.get(&row.id),
            Some(&1),
            "source row {} mirrored once",
            row.id
        );
    }
    let titles = |rows: &[Page]| {
        let mut t: Vec<String> = rows.iter().map(Page::title).collect();
        t.sort();
        t
    };
    assert_eq!(titles(source), titles(target));
}

#[tokio::test(start_paused = true)]
async fn the_demo_world_syncs_and_a_second_run_writes_nothing() {
    let fake = FakeNotion::new(FakeConfig::default());
    let world = DemoWorld::build(&fake).await.unwrap();
    let control = NotionClient::new(
        Arc::new(fake.clone()) as DynTransport,
        world.control_token.clone(),
    );
    let config = RegistryConfig::default();
    let (registry, report) = audit(&control, &config).await.unwrap();
    let plan = plan_repair(&registry, &report, "2026-11-25");
    assert_eq!(apply_repair(&control, &registry, &plan).await.failed(), 0);

    // A dry run writes nothing.
    fake.clear_request_log();
    let dry = sync(&control, &config, &SyncOptions::default(), None)
        .await
        .unwrap();
    assert!(dry.dry_run);
    assert!(
        fake.request_log().iter().all(|r| r.method == Method::Get
            || r.path == "/v1/search"
            || r.path.ends_with("/query"))
    );
    assert_eq!(pair(&dry, "Tasks").created, 120);
    assert!(pair(&dry, "Tasks").creates_target);
    assert_eq!(pair(&dry, "Tasks").state, PairState::Planned);

    let first = sync(&control, &config, &execute(), None).await.unwrap();
    assert!(!first.has_failures(), "{}", first.to_markdown());
    for (database, rows_expected) in [
        ("Tasks", 120),
        ("Content Calendar", 30),
        ("Contacts", 30),
        ("Client Feedback", 8),
    ] {
        let p = pair(&first, database);
        assert_eq!(p.state, PairState::Synced, "{database}: {p:#?}");
        assert_eq!(p.created, rows_expected, "{database}");
    }
    let roadmap = pair(&first, "Shared Roadmap");
    assert_eq!(
        (roadmap.state.clone(), roadmap.created),
        (PairState::Synced, 6),
        "two-way"
    );
    // Revoked environments' pairs are skipped with the reason.
    assert!(
        first
            .pairs
            .iter()
            .any(|p| matches!(&p.state, PairState::Skipped(r) if r.contains("invalid")))
    );
    println!("{}", first.to_markdown());

    // Every row once, under the right parent page.
    let vv = world.environment("VibeVessel Client Workspace").unwrap();
    let vv_token = vv.token.clone().unwrap();
    let vv_client = control.for_token(vv_token);
    let tasks_target = target_of(&control, "Tasks", "VibeVessel Client Workspace")
        .await
        .unwrap();
    let tasks_source = registry
        .databases
        .iter()
        .find(|d| d.name == "Tasks")
        .unwrap();
    let tasks_source = report
        .databases
        .iter()
        .find(|d| d.row == tasks_source.row)
        .unwrap()
        .resolved
        .unwrap()
        .data_source;
    let target_rows = rows(&vv_client, tasks_target).await;
    assert_mirrored(&rows(&control, tasks_source).await, &target_rows);
    let target_source = vv_client.data_source(tasks_target).await.unwrap();
    let target_database = vv_client
        .database(target_source.database_id().unwrap())
        .await
        .unwrap();
    assert_eq!(
        target_database.parent.kind,
        notion_xws_core::model::ParentKind::Page(world.vibevessel.database_parent_page_id)
    );
    let pulled = target_of(&control, "Client Feedback", "VibeVessel Client Workspace")
        .await
        .unwrap();
    let pulled_db = control.data_source(pulled).await.unwrap();
    let pulled_parent = control
        .database(pulled_db.database_id().unwrap())
        .await
        .unwrap()
        .parent;
    assert_eq!(
        pulled_parent.kind,
        notion_xws_core::model::ParentKind::Page(world.control_parent_page_id)
    );
    assert_eq!(rows(&control, pulled).await.len(), 8);

    // Relations and people: Contacts' pair runs before Tasks' (Tasks relates to it) and hands
    // over its copy's rows, so each task is created with its Contact values, in one write; the
    // relation to Brand Assets (not synced) is reported, and so are the people VibeVessel's
    // workspace does not have.
    let tasks = pair(&first, "Tasks");
    assert_eq!(tasks.waiting, 0, "{tasks:#?}");
    assert_eq!(
        tasks.updated, 0,
        "relation values are written with their rows: {tasks:#?}"
    );
    let notes = tasks.notes.join("\n");
    assert!(notes.contains("\"Asset\" not synced"), "{notes}");
    assert!(notes.contains("cannot be matched"), "{notes}");
    assert_relations_and_people_arrived(&world, &control, &vv_client, tasks_source).await;
    let check = world.references(&control).await.unwrap();
    assert!(check.all_right(), "{check:#?}");
    assert!(check.relation.most_on_a_row > 25, "{check:#?}");
    assert!(
        check.people.unmatched > 0 && check.people.matched > 0,
        "{check:#?}"
    );

    // A second run writes nothing, and reads ⌈rows/100⌉ per side plus a small constant.
    fake.clear_request_log();
    let second = sync(&control, &config, &execute(), None).await.unwrap();
    let writes: Vec<_> = fake
        .request_log()
        .into_iter()
        .filter(|r| {
            !(r.method == Method::Get || r.path == "/v1/search" || r.path.ends_with("/query"))
        })
        .collect();
    assert!(writes.is_empty(), "{writes:#?}");
    assert_eq!(second.writes(), 0);
    let tasks = pair(&second, "Tasks");
    assert_eq!(
        (tasks.created, tasks.updated, tasks.trashed, tasks.unchanged),
        (0, 0, 0, 120)
    );
    assert_eq!(tasks.writes, 0);
    // Read incrementally: on each side the rows edited since the first run began and those
    // trashed since (the copy's: the first run's own writes, 2 pages, told apart from rows
    // someone duplicated in Notion by the integration's own user, which the run's audit of the
    // token asked already), the schemas, the database and the link row; no users list, no
    // related keys, no value past 25 (no row compared names anything).
    assert!(tasks.incremental);
    assert!(
        tasks.requests <= 2 + 3 + 1 + 2 + 2 + 6,
        "{} requests for 120 rows on each side",
        tasks.requests
    );
    // Minutes later, the first run's writes are read once more, and how far the run read is
    // recorded (its link row, one write: it saves reading them again); then they are not read.
    tokio::time::sleep(std::time::Duration::from_secs(300)).await;
    let third = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(pair(&third, "Tasks").writes, 1, "{third:#?}");
    let fourth = sync(&control, &config, &execute(), None).await.unwrap();
    let tasks = pair(&fourth, "Tasks");
    assert_eq!((fourth.writes(), tasks.unchanged), (0, 120));
    // One query a side (the rows edited or trashed since, `in_trash: true` having been seen to
    // list live rows too), whatever the size; the schemas, the databases and the link row.
    assert!(tasks.requests <= 8, "{} requests", tasks.requests);
}

/// Every `Contact` value in VibeVessel's copy of Tasks points at VibeVessel's copy of a contact the
/// source task names, and all of them are there (past 25); every person in the copies of Tasks and
/// Contacts is the VibeVessel member with the email of a person the source row names, and only
/// the people VibeVessel's workspace lacks are left out.
async fn assert_relations_and_people_arrived(
    world: &DemoWorld,
    control: &NotionClient,
    vv_client: &NotionClient,
    tasks_source: DataSourceId,
) {
    use crate::references::{people, related};
    let environment = "VibeVessel Client Workspace";
    let tasks_copy = target_of(control, "Tasks", environment).await.unwrap();
    let contacts_copy = target_of(control, "Contacts", environment).await.unwrap();
    let contacts_source = world.synced("Contacts").unwrap().database.data_source_id;
    let contact_of: HashMap<PageId, PageId> = rows(vv_client, contacts_copy)
        .await
        .iter()
        .map(|row| (row.id, source_key(row).expect("a key")))
        .collect();
    let copy_rows = rows(vv_client, tasks_copy).await;
    let copies: HashMap<PageId, &Page> = copy_rows
        .iter()
        .map(|row| (source_key(row).expect("a key"), row))
        .collect();
    let schema = vv_client.data_source(tasks_copy).await.unwrap().properties;
    match &schema["Contact"].config {
        notion_xws_core::model::PropertyConfigKind::Relation(relation) => {
            assert_eq!(relation.data_source_id, Some(contacts_copy));
        }
        other => panic!("not a relation: {other:?}"),
    }
    assert!(!schema.contains_key("Asset"), "Brand Assets is not synced");

    // People are matched by email, read from each workspace's users list.
    let emails = |client: &NotionClient| {
        let client = client.clone();
        async move {
            let users: Vec<notion_xws_core::model::User> =
                client.users().try_collect().await.unwrap();
            users
                .into_iter()
                .filter_map(|u| match u.kind {
                    Some(notion_xws_core::model::UserKind::Person(Some(person))) => {
                        Some((u.id, person.email.flatten()?.to_lowercase()))
                    }
                    _ => None,
                })
                .collect::<HashMap<_, _>>()
        }
    };
    let control_emails = emails(control).await;
    let vv_by_email: HashMap<String, notion_xws_core::UserId> = emails(vv_client)
        .await
        .into_iter()
        .map(|(id, email)| (email, id))
        .collect();
    let expected_people = |source: &Page, column: &str| -> (Vec<_>, usize) {
        let named = people(source, column);
        let mut matched: Vec<_> = named
            .iter()
            .filter_map(|u| vv_by_email.get(control_emails.get(u)?).copied())
            .collect();
        matched.sort();
        let unmatched = named.len() - matched.len();
        (matched, unmatched)
    };
    let (mut relation_values, mut most, mut unmatched, mut matched) = (0, 0, 0, 0);
    for source in rows(control, tasks_source).await {
        let copy = copies[&source.id];
        let wanted = related(control, &source, "Contact").await;
        let got = related(vv_client, copy, "Contact").await;
        let got_sources: std::collections::BTreeSet<PageId> = got
            .iter()
            .map(|target| {
                *contact_of
                    .get(target)
                    .unwrap_or_else(|| panic!("{target} is not a row of VibeVessel's Contacts"))
            })
            .collect();
        assert_eq!(got_sources, wanted, "{}", source.title());
        assert_eq!(got.len(), wanted.len());
        relation_values += got.len();
        most = most.max(got.len());
        let (want, left_out) = expected_people(&source, "Assignee");
        let mut have = people(copy, "Assignee");
        have.sort();
        assert_eq!(have, want, "{}", source.title());
        matched += have.len();
        unmatched += left_out;
    }
    let contact_copies = rows(vv_client, contacts_copy).await;
    let contact_copies: HashMap<PageId, &Page> = contact_copies
        .iter()
        .map(|row| (source_key(row).expect("a key"), row))
        .collect();
    for source in rows(control, contacts_source).await {
        let (want, left_out) = expected_people(&source, "Owner");
        let mut have = people(contact_copies[&source.id], "Owner");
        have.sort();
        assert_eq!(have, want, "{}", source.title());
        matched += have.len();
        unmatched += left_out;
    }
    assert!(most > 25, "one task names {most} contacts");
    assert!(
        matched > 0 && unmatched > 0,
        "{matched} matched, {unmatched} left out"
    );
    let check = world.references(control).await.unwrap();
    assert_eq!(check.relation.remapped, relation_values);
    assert_eq!(check.relation.most_on_a_row, most);
    assert_eq!(
        (check.people.matched, check.people.unmatched),
        (matched, unmatched)
    );
}

#[tokio::test(start_paused = true)]
async fn edits_additions_and_trashing_arrive_with_one_write_each() {
    let (world, source, rows_made) = small_world(5).await;
    let control = world.client();
    let config = RegistryConfig::default();
    let first = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(pair(&first, "Tasks").created, 5, "{}", first.to_markdown());

    // Edit one, add one, trash one.
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{}", rows_made[0]),
        world.token(),
        Some(json!({"properties": {"Notes": {"rich_text": text("changed")}}})),
    )
    .await;
    ok(&world.fake, Method::Post, "/v1/pages", world.token(),
        Some(json!({"parent": {"data_source_id": source}, "properties": {"Name": {"title": text("new row")}}}))).await;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{}", rows_made[1]),
        world.token(),
        Some(json!({"in_trash": true})),
    )
    .await;
    world.fake.clear_request_log();
    let second = sync(&control, &config, &execute(), None).await.unwrap();
    let tasks = pair(&second, "Tasks");
    assert_eq!(
        (tasks.created, tasks.updated, tasks.trashed, tasks.unchanged),
        (1, 1, 1, 3)
    );
    let row_writes = world
        .fake
        .request_log()
        .iter()
        .filter(|r| {
            r.method != Method::Get && !r.path.ends_with("/query") && r.path != "/v1/search"
        })
        .count();
    // One write per change, plus the link row marked done (not `running` first: the
    // environment's claim says a run is writing), and the environment's lease (claimed,
    // confirmed, released; the first run released its claim moments before, so the pair is
    // read again under the lease before it writes, which the confirmed claim covers).
    assert_eq!(row_writes, 3 + 1 + 3);
    let third = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(pair(&third, "Tasks").writes, 0);
}

#[tokio::test(start_paused = true)]
async fn an_emptied_source_trips_the_delete_guard() {
    let (_world, control, config) = synced_then_mostly_trashed().await;
    let guarded = sync(&control, &config, &execute(), None).await.unwrap();
    let tasks = pair(&guarded, "Tasks");
    assert!(matches!(tasks.state, PairState::Guarded(_)), "{tasks:#?}");
    assert_eq!(tasks.trashed, 0);
    let mut options = execute();
    options.plan.allow_mass_delete = true;
    let allowed = sync(&control, &config, &options, None).await.unwrap();
    assert_eq!(pair(&allowed, "Tasks").trashed, 3);
}

#[tokio::test(start_paused = true)]
async fn a_crash_at_every_step_converges_with_no_duplicate_and_no_lost_row() {
    // Count the requests of a clean first run.
    let (probe, _, _) = small_world(3).await;
    probe.fake.clear_request_log();
    sync(
        &probe.client(),
        &RegistryConfig::default(),
        &execute(),
        None,
    )
    .await
    .unwrap();
    let total = probe.fake.request_log().len() as u64;
    assert!(total > 10);

    for at in 1..=total {
        for after_applying in [false, true] {
            let (world, source, _) = small_world(3).await;
            crash_sync(&world, at, after_applying).await;
            // Re-run until the fixpoint (the first re-run converges; the second must write nothing).
            let control = world.client();
            let rerun = sync(&control, &RegistryConfig::default(), &execute(), None)
                .await
                .unwrap();
            assert!(
                !rerun.has_failures(),
                "crash at {at} ({after_applying}): {}",
                rerun.to_markdown()
            );
            let again = sync(&control, &RegistryConfig::default(), &execute(), None)
                .await
                .unwrap();
            assert_eq!(
                pair(&again, "Tasks").writes,
                0,
                "crash at {at} ({after_applying}): {}",
                again.to_markdown()
            );
            let target = target_of(&control, "Tasks", "Acme")
                .await
                .unwrap_or_else(|| {
                    panic!(
                        "no target after a crash at {at} ({after_applying}): {}",
                        rerun.to_markdown()
                    )
                });
            let source_rows = rows(&control, source.parse().unwrap()).await;
            let acme = acme_client(&world).await;
            assert_mirrored(&source_rows, &rows(&acme, target).await);
            // One target database, no stray copy.
            let databases: Vec<_> = acme
                .search_data_sources("Tasks")
                .try_collect()
                .await
                .unwrap();
            assert_eq!(
                databases.len(),
                1,
                "crash at {at} ({after_applying}): {databases:#?}"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn under_random_faults_runs_converge_with_no_duplicate_and_no_lost_row() {
    for seed in 0..12 {
        let (world, source, _) = small_world(12).await;
        world.fake.set_query_lag(Duration::from_secs(3));
        world.fake.set_faults(FaultConfig {
            seed,
            rate_limited: 0.05,
            service_overload: 0.02,
            server_error: 0.05,
            conflict: 0.02,
            timeout_after_write: 0.05,
            timeout_before_write: 0.05,
            committed_unavailable: 0.05,
            retry_after_secs: (1, 90),
            ..FaultConfig::default()
        });
        let stack = TransportStack::new(
            Arc::new(world.fake.clone()) as DynTransport,
            StackConfig {
                retry: RetryConfig {
                    seed,
                    ..RetryConfig::default()
                },
                ..StackConfig::default()
            },
        );
        let control = NotionClient::new(stack.transport(), world.token().clone());
        let mut converged = false;
        // (Most seeds converge in 3 to 7 runs; the faults fall on other requests when a run's
        // requests change, such as its link row's status.)
        for _ in 0..12 {
            let report = match sync(&control, &RegistryConfig::default(), &execute(), None).await {
                Ok(report) => report,
                Err(error) => {
                    eprintln!("seed {seed}: run failed: {error}");
                    continue;
                }
            };
            eprintln!("seed {seed}: {}", report.to_markdown());
            if !report.has_failures() && report.writes() == 0 && !report.pairs.is_empty() {
                converged = true;
                break;
            }
            // As a scheduler runs it, every few minutes: a lease a fault kept from being
            // released has lapsed by the next run.
            tokio::time::sleep(notion_xws_core::sync::lease::LeaseOptions::default().ttl).await;
        }
        assert!(converged, "seed {seed} did not converge in 12 runs");
        world.fake.set_faults(FaultConfig::default());
        let control = world.client();
        let target = target_of(&control, "Tasks", "Acme")
            .await
            .expect("a target");
        let acme = acme_client(&world).await;
        assert_mirrored(
            &rows(&control, source.parse().unwrap()).await,
            &rows(&acme, target).await,
        );
        let databases: Vec<_> = acme
            .search_data_sources("Tasks")
            .try_collect()
            .await
            .unwrap();
        assert_eq!(databases.len(), 1, "seed {seed}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_property_added_to_the_source_follows_and_a_copy_retyped_by_hand_follows_again() {
    let (world, source, rows_made) = small_world(3).await;
    let control = world.client();
    let config = RegistryConfig::default();
    sync(&control, &config, &execute(), None).await.unwrap();
    ok(&world.fake, Method::Patch, &format!("/v1/data_sources/{source}"), world.token(),
        Some(json!({"properties": {"Priority": {"select": {"options": [{"name": "High", "color": "red"}]}}}}))).await;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{}", rows_made[2]),
        world.token(),
        Some(json!({"properties": {"Priority": {"select": {"name": "High"}}}})),
    )
    .await;
    let report = sync(&control, &config, &execute(), None).await.unwrap();
    let tasks = pair(&report, "Tasks");
    assert_eq!(
        (tasks.updated, tasks.unchanged),
        (1, 2),
        "{}",
        report.to_markdown()
    );
    let target = target_of(&control, "Tasks", "Acme").await.unwrap();
    let acme = acme_client(&world).await;
    let schema = acme.data_source(target).await.unwrap();
    assert_eq!(schema.properties["Priority"].type_name(), "select");
    assert_eq!(
        count_where(&rows(&acme, target).await, "Priority", json!("High")),
        1
    );

    // The target's Hours made a text by hand: the copy follows the source's schema again (the
    // column made a number, its values written), and says so.
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/data_sources/{target}"),
        &acme.token().clone(),
        Some(json!({"properties": {"Hours": {"rich_text": {}}}})),
    )
    .await;
    let report = sync(&control, &config, &execute(), None).await.unwrap();
    let tasks = pair(&report, "Tasks");
    assert!(
        tasks
            .notes
            .iter()
            .any(|n| n.contains("\"Hours\" is a number in the source and was a rich_text")),
        "{tasks:#?}"
    );
    let schema = acme.data_source(target).await.unwrap();
    assert_eq!(schema.properties["Hours"].type_name(), "number");
    assert_eq!(
        count_where(&rows(&acme, target).await, "Hours", json!(1.5)),
        1
    );
    let again = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(pair(&again, "Tasks").writes, 0);
}

#[tokio::test(start_paused = true)]
async fn a_transfer_copies_once_and_a_second_transfer_finds_its_copy() {
    let (world, source, _) = small_world(7).await;
    let control = world.client();
    let other = world.fake.add_workspace("Elsewhere");
    let parent = id(&page(
        &world.fake,
        &other.token,
        &other.root_page_id.to_string(),
        "Imports",
    )
    .await);
    let target = control.for_token(other.token.clone());
    let (source, parent): (DataSourceId, PageId) =
        (source.parse().unwrap(), parent.parse().unwrap());

    world.fake.clear_request_log();
    let dry = transfer(
        &control,
        source,
        &target,
        parent,
        &SyncOptions::default(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(dry.pairs[0].created, 7);
    assert!(
        world
            .fake
            .request_log()
            .iter()
            .all(|r| r.method == Method::Get
                || r.path.ends_with("/query")
                || r.path == "/v1/search")
    );

    let first = transfer(&control, source, &target, parent, &execute(), None)
        .await
        .unwrap();
    assert_eq!(
        (first.pairs[0].created, first.pairs[0].state.clone()),
        (7, PairState::Synced),
        "{}",
        first.to_markdown()
    );
    let second = transfer(&control, source, &target, parent, &execute(), None)
        .await
        .unwrap();
    assert_eq!(second.pairs[0].writes, 0);
    assert_eq!(second.pairs[0].unchanged, 7);
    let copies: Vec<_> = target
        .search_data_sources("Tasks")
        .try_collect()
        .await
        .unwrap();
    assert_eq!(copies.len(), 1);
    assert_mirrored(
        &rows(&control, source).await,
        &rows(&target, copies[0].id).await,
    );
    // A parent the target's token cannot read: an error before any write.
    let hidden = PageId::parse(&id(&page(
        &world.fake,
        world.token(),
        &world.library,
        "Not theirs",
    )
    .await))
    .unwrap();
    assert!(
        transfer(&control, source, &target, hidden, &execute(), None)
            .await
            .is_err()
    );
}

#[tokio::test(start_paused = true)]
async fn two_way_copies_each_side_to_the_other_and_settles() {
    let (world, source, made) = two_way_world(3).await;
    let control = world.client();
    let config = RegistryConfig::default();
    let first = sync(&control, &config, &execute(), None).await.unwrap();
    let tasks = pair(&first, "Tasks");
    assert_eq!(
        (tasks.state.clone(), tasks.created),
        (PairState::Synced, 3),
        "{}",
        first.to_markdown()
    );
    let second = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(pair(&second, "Tasks").writes, 0, "{}", second.to_markdown());

    let source_ds: DataSourceId = source.parse().unwrap();
    let target = target_of(&control, "Tasks", "Acme").await.unwrap();
    let acme = acme_client(&world).await;
    let env_rows = rows(&acme, target).await;
    let env_row = |title: &str| env_rows.iter().find(|r| r.title() == title).unwrap().id;

    // An edit on each side, to different properties of one row, and to other rows.
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{}", made[0]),
        world.token(),
        Some(json!({"properties": {"Hours": {"number": 99}}})),
    )
    .await;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{}", env_row("Row 0")),
        acme.token(),
        Some(json!({"properties": {"Notes": {"rich_text": text("from the client")}}})),
    )
    .await;
    // A new row in the environment, a row trashed in the control.
    ok(&world.fake, Method::Post, "/v1/pages", acme.token(),
        Some(json!({"parent": {"data_source_id": target.to_string()}, "properties": {"Name": {"title": text("made by the client")}}}))).await;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{}", made[2]),
        world.token(),
        Some(json!({"in_trash": true})),
    )
    .await;
    // The same property changed differently on both sides: a conflict, nothing overwritten.
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{}", made[1]),
        world.token(),
        Some(json!({"properties": {"Notes": {"rich_text": text("agency says")}}})),
    )
    .await;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{}", env_row("Row 1")),
        acme.token(),
        Some(json!({"properties": {"Notes": {"rich_text": text("client says")}}})),
    )
    .await;

    let third = sync(&control, &config, &execute(), None).await.unwrap();
    let tasks = pair(&third, "Tasks");
    assert_eq!(tasks.state, PairState::Synced, "{}", third.to_markdown());
    assert!(
        tasks.notes.iter().any(|n| n.contains("conflict")
            && n.contains("agency says")
            && n.contains("client says")),
        "{tasks:#?}"
    );
    let control_rows = rows(&control, source_ds).await;
    let env_rows = rows(&acme, target).await;
    assert_eq!(
        live_titles(&control_rows),
        ["Row 0", "Row 1", "made by the client"]
    );
    assert_eq!(
        live_titles(&env_rows),
        ["Row 0", "Row 1", "made by the client"]
    );
    let value = |rows: &[Page], title: &str, name: &str| {
        let row = rows.iter().find(|r| r.title() == title).unwrap();
        notion_xws_core::sync::values::canonical(&row.properties[name])
            .unwrap()
            .value
    };
    assert_eq!(
        value(&control_rows, "Row 0", "Notes"),
        json!("from the client")
    );
    assert_eq!(value(&env_rows, "Row 0", "Hours"), json!(99.0));
    assert_eq!(value(&control_rows, "Row 1", "Notes"), json!("agency says"));
    assert_eq!(value(&env_rows, "Row 1", "Notes"), json!("client says"));

    // Settled: the next run writes nothing but reports the conflict again.
    let fourth = sync(&control, &config, &execute(), None).await.unwrap();
    let tasks = pair(&fourth, "Tasks");
    assert_eq!(tasks.writes, 0, "{}", fourth.to_markdown());
    assert!(tasks.notes.iter().any(|n| n.contains("conflict")));
}

#[tokio::test(start_paused = true)]
async fn two_way_converges_after_a_crash_at_every_step() {
    let (probe, _, _) = two_way_world(2).await;
    probe.fake.clear_request_log();
    sync(
        &probe.client(),
        &RegistryConfig::default(),
        &execute(),
        None,
    )
    .await
    .unwrap();
    let total = probe.fake.request_log().len() as u64;
    for at in 1..=total {
        for after_applying in [false, true] {
            let (world, source, _) = two_way_world(2).await;
            crash_sync(&world, at, after_applying).await;
            let (config, options) = (RegistryConfig::default(), execute());
            let control = world.client();
            let rerun = sync(&control, &config, &options, None).await.unwrap();
            assert!(
                !rerun.has_failures(),
                "crash at {at} ({after_applying}): {}",
                rerun.to_markdown()
            );
            let again = sync(&control, &config, &options, None).await.unwrap();
            assert_eq!(
                pair(&again, "Tasks").writes,
                0,
                "crash at {at} ({after_applying}): {}",
                again.to_markdown()
            );
            let target = target_of(&control, "Tasks", "Acme")
                .await
                .expect("a target");
            let acme = acme_client(&world).await;
            let (control_rows, env_rows) = (
                rows(&control, source.parse().unwrap()).await,
                rows(&acme, target).await,
            );
            assert_eq!(
                live_titles(&control_rows),
                live_titles(&env_rows),
                "crash at {at} ({after_applying})"
            );
            assert_eq!(
                control_rows.len(),
                2,
                "crash at {at} ({after_applying}): no duplicate"
            );
            let copies: Vec<_> = acme
                .search_data_sources("Tasks")
                .try_collect()
                .await
                .unwrap();
            assert_eq!(copies.len(), 1, "crash at {at} ({after_applying})");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_status_option_added_in_the_source_reaches_the_target() {
    let (world, source, made) = small_world(2).await;
    let control = world.client();
    let config = RegistryConfig::default();
    ok(&world.fake, Method::Patch, &format!("/v1/data_sources/{source}"), world.token(),
        Some(json!({"properties": {"State": {"status": {"options": [{"name": "Todo", "color": "gray"}]}}}}))).await;
    let first = sync(&control, &config, &execute(), None).await.unwrap();
    assert!(!first.has_failures(), "{}", first.to_markdown());
    ok(&world.fake, Method::Patch, &format!("/v1/data_sources/{source}"), world.token(),
        Some(json!({"properties": {"State": {"status": {"options": [{"name": "Todo", "color": "gray"}, {"name": "Blocked", "color": "red"}]}}}}))).await;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{}", made[0]),
        world.token(),
        Some(json!({"properties": {"State": {"status": {"name": "Blocked"}}}})),
    )
    .await;
    let second = sync(&control, &config, &execute(), None).await.unwrap();
    let tasks = pair(&second, "Tasks");
    assert_eq!(
        (tasks.updated, tasks.failed),
        (1, 0),
        "{}",
        second.to_markdown()
    );
    let target = target_of(&control, "Tasks", "Acme").await.unwrap();
    let acme = acme_client(&world).await;
    assert_eq!(
        count_where(&rows(&acme, target).await, "State", json!("Blocked")),
        1
    );
}

#[tokio::test(start_paused = true)]
async fn a_source_that_cannot_be_read_fails_its_pair_with_its_own_error() {
    let world = World::new(true).await;
    let control = world.client();
    let (tasks_db, tasks_ds) = world.source("Tasks").await;
    world
        .sync_to_new_workspace("Acme", &[("Tasks", "Push", &tasks_db, &tasks_ds)])
        .await;
    fail_every_query_of(&world.fake, &tasks_ds);
    let run = sync(&control, &RegistryConfig::default(), &execute(), None)
        .await
        .unwrap();
    match &pair(&run, "Tasks").state {
        PairState::Failed(reason) => {
            assert!(
                reason.starts_with("the source could not be read: Notion is unavailable"),
                "{reason}"
            );
            assert!(!reason.contains("registry error"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}
