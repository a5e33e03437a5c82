//! A run's early reads: while the audit checks the registry on the control's token, each
//! environment's token reads the copies `system-sync-links` records (their schemas and
//! databases), and the pairs take those reads instead of making them again; a read that failed
//! is made by its pair.

use std::time::Duration;

use notion_xws_core::client::NotionClient;
use notion_xws_core::fake::Fault;
use notion_xws_core::sync::RunReport;
use notion_xws_core::sync::links::LinksTable;
use notion_xws_core::transport::Method;

use crate::support::sync::{execute, pair, small_world, sync_without_failures, two_way_world};
use crate::support::world::World;

async fn run(control: &NotionClient) -> RunReport {
    sync_without_failures(control, &execute()).await
}

/// The positions, in the fake's log past `skip`, of the requests `method path`.
fn positions(world: &World, skip: usize, method: Method, path: &str) -> Vec<usize> {
    world.fake.request_log()[skip..]
        .iter()
        .enumerate()
        .filter(|(_, r)| r.method == method && r.path == path)
        .map(|(i, _)| i)
        .collect()
}

/// Synced once, then a while later: the world, its control client, the copy's database and
/// data source, and the leases table's data source.
async fn synced(world: &World) -> (NotionClient, String, String, String) {
    let control = world.client();
    run(&control).await;
    tokio::time::sleep(Duration::from_secs(600)).await;
    let links = LinksTable::find(&control).await.unwrap().unwrap();
    let link = &links.links[0];
    let leases = notion_xws_core::sync::lease::LeasesTable::find(&control)
        .await
        .unwrap()
        .unwrap();
    (
        control,
        link.target_database.unwrap().to_string(),
        link.target_data_source.unwrap().to_string(),
        leases.data_source.to_string(),
    )
}

/// The copy's schema and database are read once, and before the pass starts (its first request
/// is the query of the claims left unreleased in `system-sync-leases`).
fn read_once_before_the_pass(world: &World, skip: usize, copy: (&str, &str), leases: &str) {
    let pass_starts = positions(
        world,
        skip,
        Method::Post,
        &format!("/v1/data_sources/{leases}/query"),
    )[0];
    let schema = positions(
        world,
        skip,
        Method::Get,
        &format!("/v1/data_sources/{}", copy.1),
    );
    let database = positions(
        world,
        skip,
        Method::Get,
        &format!("/v1/databases/{}", copy.0),
    );
    assert_eq!(schema.len(), 1, "{schema:?}");
    assert_eq!(database.len(), 1, "{database:?}");
    assert!(schema[0] < pass_starts && database[0] < pass_starts);
}

/// Synced once, then run again with nothing changed: the pair reads incrementally, and takes
/// its copy's schema and database from the early reads.
async fn reads_its_copy_early(world: World) {
    let (control, database, data_source, leases) = synced(&world).await;
    let skip = world.fake.request_log().len();
    let report = run(&control).await;
    assert!(pair(&report, "Tasks").incremental, "{report:#?}");
    read_once_before_the_pass(&world, skip, (&database, &data_source), &leases);
}

#[tokio::test(start_paused = true)]
async fn an_environment_reads_its_copy_while_the_control_checks_the_registry() {
    reads_its_copy_early(small_world(30).await.0).await;
}

#[tokio::test(start_paused = true)]
async fn a_two_way_pair_takes_its_copy_s_early_reads_too() {
    reads_its_copy_early(two_way_world(30).await.0).await;
}

#[tokio::test(start_paused = true)]
async fn a_copy_whose_early_read_failed_is_read_by_its_pair() {
    let (world, _source, _made) = small_world(30).await;
    let (control, _database, data_source, _leases) = synced(&world).await;
    let path = format!("/v1/data_sources/{data_source}");
    world
        .fake
        .fail_next(Some(Method::Get), &path, Fault::ValidationError);
    let skip = world.fake.request_log().len();
    let report = run(&control).await;
    let tasks = pair(&report, "Tasks");
    assert!(tasks.incremental, "{report:#?}");
    assert_eq!((tasks.created, tasks.updated, tasks.failed), (0, 0, 0));
    // The early read, refused, and the pair's own.
    let reads: Vec<u16> = world.fake.request_log()[skip..]
        .iter()
        .filter(|r| r.method == Method::Get && r.path == path)
        .map(|r| r.status)
        .collect();
    assert_eq!(reads, vec![400, 200]);
}
