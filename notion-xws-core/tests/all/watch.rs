//! `watch`: the sync in cycles on the fake, on tokio's paused clock (so `--every 5m` costs no
//! wall time): three cycles of which only the first writes; a failing cycle makes the next wait
//! longer, and a good one brings it back; a stop raised in the middle of a cycle's writes lets
//! the writes in flight finish, releases the lease and leaves nothing that a re-run has to
//! repair (no duplicate, every row once).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use notion_xws_core::PageId;
use notion_xws_core::client::NotionClient;
use notion_xws_core::fake::{FakeNotion, FaultConfig};
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::sync::columns::source_key;
use notion_xws_core::sync::links::{LinkState, LinksTable};
use notion_xws_core::sync::report::{PairClass, PairState};
use notion_xws_core::sync::stop::{StopFlag, StopReason};
use notion_xws_core::sync::watch::{CycleClass, WatchEnded, WatchOptions, watch};
use notion_xws_core::sync::{SyncOptions, sync};
use notion_xws_core::transport::{ApiRequest, ApiResponse, DynTransport, Method, Transport};

use crate::support::sync::{
    acme_client, execute, pair, rows, small_world, target_of, two_way_world,
};
use crate::support::world::World;

const FIVE_MINUTES: Duration = Duration::from_secs(300);

/// What the tests keep of a cycle: its number, class, counts, next wait and when it ended.
#[derive(Debug, Clone)]
struct Seen {
    class: CycleClass,
    created: usize,
    writes: u64,
    next: Option<Duration>,
    ended: tokio::time::Instant,
    stopped: Option<StopReason>,
}

fn recorder(seen: &mut Vec<Seen>) -> impl FnMut(&notion_xws_core::sync::watch::Cycle) + '_ {
    |cycle| {
        assert_eq!(cycle.cycle as usize, seen.len() + 1);
        seen.push(Seen {
            class: cycle.class,
            created: cycle.created,
            writes: cycle.writes,
            next: cycle.next_in_secs.map(Duration::from_secs_f64),
            ended: tokio::time::Instant::now(),
            stopped: cycle.stopped,
        });
    }
}

/// The copy's rows by source key (how many rows carry each), and the rows without a key.
async fn copy_keys(world: &World) -> (BTreeMap<PageId, usize>, usize) {
    let copy = target_of(&world.client(), "Tasks", "Acme")
        .await
        .expect("the pair has a copy");
    let mut keys = BTreeMap::new();
    let mut keyless = 0;
    for row in rows(&acme_client(world).await, copy).await {
        match source_key(&row) {
            Some(key) => *keys.entry(key).or_insert(0) += 1,
            None => keyless += 1,
        }
    }
    (keys, keyless)
}

#[tokio::test(start_paused = true)]
async fn three_cycles_every_five_minutes_and_only_the_first_writes() {
    let (world, _source, made) = small_world(5).await;
    let config = RegistryConfig::default();
    let options = WatchOptions::new(FIVE_MINUTES, Some(3)).unwrap();
    let began = tokio::time::Instant::now();
    let mut seen = Vec::new();
    let end = watch(
        &world.client(),
        &config,
        &SyncOptions::default(),
        &options,
        recorder(&mut seen),
    )
    .await;
    assert_eq!(
        (end.cycles, end.ended, end.exit_status),
        (3, WatchEnded::Cycles, 0)
    );
    assert_eq!(end.stop, None);
    assert_eq!(seen.len(), 3, "{seen:?}");
    // A watch writes, whatever the options said: the first cycle copies the 5 rows.
    assert_eq!(seen[0].created, 5);
    assert!(seen[0].writes > 0);
    for later in &seen[1..] {
        assert_eq!(later.writes, 0, "{seen:?}");
        assert_eq!(later.class, CycleClass::Ok);
    }
    assert_eq!(
        seen.iter().map(|s| s.next).collect::<Vec<_>>(),
        [Some(FIVE_MINUTES), Some(FIVE_MINUTES), None]
    );
    // Each wait is counted from the end of the cycle before.
    for pair in seen.windows(2) {
        assert!(pair[1].ended - pair[0].ended >= FIVE_MINUTES, "{seen:?}");
    }
    assert!(began.elapsed() >= 2 * FIVE_MINUTES);
    let (keys, keyless) = copy_keys(&world).await;
    assert_eq!((keys.len(), keyless), (made.len(), 0));
    assert!(keys.values().all(|n| *n == 1));
    let report = end
        .last
        .and_then(|c| c.report)
        .expect("the last cycle's report");
    assert_eq!(pair(&report, "Tasks").class(), PairClass::Synced);
}

#[tokio::test(start_paused = true)]
async fn a_failing_cycle_doubles_the_wait_and_a_good_one_brings_it_back() {
    let (world, _source, made) = small_world(3).await;
    // Notion answers every request with a 500, 503 or 504 until the second cycle has ended.
    world.fake.set_faults(FaultConfig {
        seed: 7,
        server_error: 1.0,
        ..FaultConfig::default()
    });
    let options = WatchOptions::new(FIVE_MINUTES, Some(4)).unwrap();
    let fake = world.fake.clone();
    let mut seen = Vec::new();
    let mut record = recorder(&mut seen);
    let end = watch(
        &world.client(),
        &RegistryConfig::default(),
        &SyncOptions::default(),
        &options,
        |cycle| {
            record(cycle);
            if cycle.cycle == 2 {
                fake.set_faults(FaultConfig::default());
            }
        },
    )
    .await;
    drop(record);
    assert_eq!(end.exit_status, 0, "{:?}", end.last);
    let classes: Vec<CycleClass> = seen.iter().map(|s| s.class).collect();
    assert_eq!(
        classes,
        [
            CycleClass::Failed,
            CycleClass::Failed,
            CycleClass::Ok,
            CycleClass::Ok
        ]
    );
    let minutes = |m: u64| Some(Duration::from_secs(60 * m));
    assert_eq!(
        seen.iter().map(|s| s.next).collect::<Vec<_>>(),
        [minutes(10), minutes(20), minutes(5), None]
    );
    assert!(seen[2].ended - seen[1].ended >= Duration::from_secs(20 * 60));
    assert_eq!(seen[2].created, made.len());
}

#[tokio::test(start_paused = true)]
async fn a_configuration_error_stops_the_loop_with_status_2() {
    let (world, _source, _) = small_world(1).await;
    let config = RegistryConfig::new(None, Some("not-a-database-id".to_owned()));
    let mut seen = Vec::new();
    let end = watch(
        &world.client(),
        &config,
        &SyncOptions::default(),
        &WatchOptions::new(FIVE_MINUTES, None).unwrap(),
        recorder(&mut seen),
    )
    .await;
    assert_eq!(
        (end.cycles, end.ended, end.exit_status),
        (1, WatchEnded::Configuration, 2)
    );
    assert_eq!(seen[0].class, CycleClass::Configuration);
    assert_eq!(seen[0].next, None);
    assert!(end.last.unwrap().error.is_some());
}

/// Passes requests on to the fake, and raises the stop flag as the `at`-th row create (a
/// request that carries the sync's key column) goes out.
#[derive(Debug)]
pub(crate) struct StopAtRowCreate {
    pub(crate) inner: FakeNotion,
    pub(crate) stop: StopFlag,
    pub(crate) reason: StopReason,
    pub(crate) at: usize,
    pub(crate) creates: AtomicUsize,
}

#[async_trait::async_trait]
impl Transport for StopAtRowCreate {
    async fn send(&self, request: ApiRequest) -> notion_xws_core::Result<ApiResponse> {
        let row_create = request.method == Method::Post
            && request.path == "/v1/pages"
            && request
                .body
                .as_ref()
                .is_some_and(|b| b.pointer("/properties/notion-xws:source").is_some());
        if row_create && self.creates.fetch_add(1, Ordering::SeqCst) + 1 == self.at {
            self.stop.stop(self.reason);
        }
        self.inner.send(request).await
    }
}

#[tokio::test(start_paused = true)]
async fn a_stop_in_the_middle_of_the_writes_leaves_nothing_to_repair() {
    let (world, _source, made) = small_world(40).await;
    let stop = StopFlag::new();
    let transport = Arc::new(StopAtRowCreate {
        inner: world.fake.clone(),
        stop: stop.clone(),
        reason: StopReason::Terminate,
        at: 12,
        creates: AtomicUsize::new(0),
    });
    let client = NotionClient::new(
        Arc::clone(&transport) as DynTransport,
        world.token().clone(),
    );
    let options = SyncOptions {
        stop: stop.clone(),
        ..SyncOptions::default()
    };
    let mut seen = Vec::new();
    let end = watch(
        &client,
        &RegistryConfig::default(),
        &options,
        &WatchOptions::new(FIVE_MINUTES, None).unwrap(),
        recorder(&mut seen),
    )
    .await;
    // The loop ends after the cycle the stop cut short, with SIGTERM's status.
    assert_eq!(
        (end.cycles, end.ended, end.exit_status, end.forced),
        (1, WatchEnded::Stopped, 143, false)
    );
    assert_eq!(seen[0].stopped, Some(StopReason::Terminate));
    assert_eq!(seen[0].next, None);
    let report = end.last.and_then(|c| c.report).unwrap();
    let tasks = pair(&report, "Tasks");
    // The writes in flight finished (at most the executor's concurrency past the stop); the
    // rest were not attempted, and none counts as failed.
    let sent = transport.creates.load(Ordering::SeqCst);
    assert!((12..12 + 8).contains(&sent), "{sent} row creates sent");
    assert_eq!(tasks.created, sent);
    assert_eq!(tasks.failed, 0);
    let PairState::Failed(reason) = &tasks.state else {
        panic!("{:?}", tasks.state)
    };
    assert!(
        reason.contains("stopped (SIGTERM)")
            && reason.contains(&format!("{} of 40 row write(s) not attempted", 40 - sent)),
        "{reason}"
    );
    // The link row is left `running`, for the next run to finish.
    let links = LinksTable::find(&world.client()).await.unwrap().unwrap();
    assert_eq!(links.links.len(), 1);
    assert_eq!(links.links[0].state, LinkState::Running);
    // The lease was released: a run at once (after Notion's lag) is not kept out as `busy`,
    // and makes the rest, once each.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let rerun = sync(
        &world.client(),
        &RegistryConfig::default(),
        &execute(),
        None,
    )
    .await
    .unwrap();
    let tasks = pair(&rerun, "Tasks");
    assert_eq!(tasks.class(), PairClass::Synced, "{}", rerun.to_markdown());
    assert_eq!(tasks.created, 40 - sent);
    let (keys, keyless) = copy_keys(&world).await;
    assert_eq!((keys.len(), keyless), (made.len(), 0));
    assert!(keys.values().all(|n| *n == 1), "a row twice: {keys:?}");
    let links = LinksTable::find(&world.client()).await.unwrap().unwrap();
    assert_eq!(links.links[0].state, LinkState::Done);
    // And a third run has nothing to do.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let again = sync(
        &world.client(),
        &RegistryConfig::default(),
        &execute(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(again.writes(), 0, "{}", again.to_markdown());
}

#[tokio::test(start_paused = true)]
async fn a_stop_during_the_wait_ends_the_loop_at_once() {
    let (world, _source, _) = small_world(2).await;
    let stop = StopFlag::new();
    let options = SyncOptions {
        stop: stop.clone(),
        ..SyncOptions::default()
    };
    let client = world.client();
    let config = RegistryConfig::default();
    let every = WatchOptions::new(Duration::from_secs(3600), None).unwrap();
    let mut seen = Vec::new();
    let (end, ()) = tokio::join!(
        watch(&client, &config, &options, &every, recorder(&mut seen)),
        async {
            // Well after the first cycle, well before the second.
            tokio::time::sleep(Duration::from_secs(600)).await;
            stop.stop(StopReason::Interrupt);
        }
    );
    assert_eq!(
        (end.cycles, end.ended, end.exit_status),
        (1, WatchEnded::Stopped, 130)
    );
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].class, CycleClass::Ok);
    assert_eq!(seen[0].stopped, None);
}

#[tokio::test(start_paused = true)]
async fn a_two_way_pair_stopped_mid_way_is_finished_by_the_next_run() {
    let (world, _source, made) = two_way_world(30).await;
    let stop = StopFlag::new();
    let transport = Arc::new(StopAtRowCreate {
        inner: world.fake.clone(),
        stop: stop.clone(),
        reason: StopReason::Interrupt,
        at: 9,
        creates: AtomicUsize::new(0),
    });
    let client = NotionClient::new(
        Arc::clone(&transport) as DynTransport,
        world.token().clone(),
    );
    let options = SyncOptions {
        stop,
        ..SyncOptions::default()
    };
    let end = watch(
        &client,
        &RegistryConfig::default(),
        &options,
        &WatchOptions::new(FIVE_MINUTES, None).unwrap(),
        |_| {},
    )
    .await;
    assert_eq!((end.ended, end.exit_status), (WatchEnded::Stopped, 130));
    let report = end.last.and_then(|c| c.report).unwrap();
    let tasks = pair(&report, "Tasks");
    assert_eq!(tasks.failed, 0, "{}", report.to_markdown());
    assert!(tasks.created < 30, "{}", report.to_markdown());
    assert!(
        tasks
            .reason()
            .is_some_and(|r| r.contains("stopped (SIGINT)")),
        "{:?}",
        tasks.state
    );
    tokio::time::sleep(Duration::from_secs(10)).await;
    let rerun = sync(
        &world.client(),
        &RegistryConfig::default(),
        &execute(),
        None,
    )
    .await
    .unwrap();
    let finished = pair(&rerun, "Tasks");
    assert_eq!(
        finished.class(),
        PairClass::Synced,
        "{}",
        rerun.to_markdown()
    );
    assert_eq!(
        finished.created + tasks.created,
        30,
        "{}",
        rerun.to_markdown()
    );
    let (keys, keyless) = copy_keys(&world).await;
    assert_eq!((keys.len(), keyless), (made.len(), 0));
    assert!(keys.values().all(|n| *n == 1), "a row twice: {keys:?}");
    tokio::time::sleep(Duration::from_secs(10)).await;
    let again = sync(
        &world.client(),
        &RegistryConfig::default(),
        &execute(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(again.writes(), 0, "{}", again.to_markdown());
}

/// SIGTERM to the `notion-xws watch` binary while it writes (over HTTP to a served fake, paced
/// at 10 requests a second, in real time): it stops between two writes with status 143 and one
/// JSON line for the cycle; a re-run finds the pair free and makes the rest, once each.
#[cfg(all(unix, feature = "cli"))]
#[tokio::test]
async fn sigterm_stops_the_binary_between_writes() {
    use notion_xws_core::sync::options::ExecuteOptions;

    let (world, _source, made) = small_world(30).await;
    let server = world.fake.serve().await.unwrap();
    let base_url = server.base_url();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_notion-xws"));
    command
        .args([
            "watch",
            "--every",
            "1h",
            "--log-format",
            "json",
            "--requests-per-minute",
            "600",
        ])
        .env_clear()
        .env("NOTION_TOKEN", world.token().expose())
        .env("NOTION_BASE_URL", &base_url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = command.spawn().expect("the binary runs");
    let control = world.fake.request_log()[0].workspace.clone();
    let row_creates = || {
        world
            .fake
            .request_log()
            .iter()
            .filter(|r| r.method == Method::Post && r.path == "/v1/pages")
            .filter(|r| r.workspace != control)
            .count()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while row_creates() < 5 {
        assert!(tokio::time::Instant::now() < deadline, "no row written");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pid = child.id().expect("running").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("it stops")
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert_eq!(output.status.code(), Some(143), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("SIGTERM: stopping after the writes in flight"),
        "{stderr}"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let cycle: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(cycle["stopped"], "terminate");
    assert_eq!(cycle["failed"], 0);
    assert_eq!(cycle["next_in_secs"], serde_json::Value::Null);
    let created = cycle["created"].as_u64().unwrap() as usize;
    assert!(
        (5..30).contains(&created),
        "{created} rows made before the stop"
    );
    for text in [&stdout, &stderr] {
        assert!(!text.contains(world.token().expose()));
    }
    // A re-run (Notion's lag made short) is not kept out by a lease, and makes the rest.
    let quick = SyncOptions {
        execute: true,
        execute_options: ExecuteOptions {
            settle_delay: Duration::from_millis(100),
            ..ExecuteOptions::default()
        },
        ..SyncOptions::default()
    };
    let rerun = sync(&world.client(), &RegistryConfig::default(), &quick, None)
        .await
        .unwrap();
    let tasks = pair(&rerun, "Tasks");
    assert_eq!(tasks.class(), PairClass::Synced, "{}", rerun.to_markdown());
    assert_eq!(tasks.created, 30 - created);
    let (keys, keyless) = copy_keys(&world).await;
    assert_eq!((keys.len(), keyless), (made.len(), 0));
    assert!(keys.values().all(|n| *n == 1), "a row twice: {keys:?}");
}

#[tokio::test(start_paused = true)]
async fn a_stop_ends_the_wait_for_a_pair_another_run_holds() {
    use notion_xws_core::sync::lease::{LeaseOptions, LeasesTable, PassLeases, Taken};

    let (world, source, _) = small_world(2).await;
    let control = world.client();
    let config = RegistryConfig::default();
    let first = sync(&control, &config, &execute(), None).await.unwrap();
    let held = pair(&first, "Tasks").pair.clone();
    crate::support::fake::ok(
        &world.fake,
        Method::Post,
        "/v1/pages",
        world.token(),
        Some(serde_json::json!({"parent": {"data_source_id": source},
            "properties": {"Name": {"title": crate::support::fake::text("Row 2")}}})),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    // Another run holds the pair (and keeps it: it is never released here).
    let leases = LeasesTable::find(&control).await.unwrap().unwrap();
    let other = LeaseOptions {
        run_id: "other".to_owned(),
        ..LeaseOptions::default()
    };
    let lag = execute().execute_options.read_after_write_lag();
    // (Its claim is renewed for as long as its pass's leases are kept.)
    let other_pass = PassLeases::new(leases, &other, lag, [&held]);
    let taken = other_pass
        .take(&control, &held, &StopFlag::new())
        .await
        .unwrap();
    let Taken::Held(_) = taken else {
        panic!("not held: {taken:?}")
    };
    // A watch that would wait 10 minutes for it is stopped after one.
    let stop = StopFlag::new();
    let mut options = SyncOptions {
        stop: stop.clone(),
        ..SyncOptions::default()
    };
    options.lease.wait = Some(Duration::from_secs(600));
    let began = tokio::time::Instant::now();
    let every = WatchOptions::new(FIVE_MINUTES, None).unwrap();
    let (end, ()) = tokio::join!(watch(&control, &config, &options, &every, |_| {}), async {
        tokio::time::sleep(Duration::from_secs(60)).await;
        stop.stop(StopReason::Terminate);
    });
    assert!(
        began.elapsed() < Duration::from_secs(120),
        "{:?}",
        began.elapsed()
    );
    assert_eq!((end.ended, end.exit_status), (WatchEnded::Stopped, 143));
    let report = end.last.and_then(|c| c.report).unwrap();
    let tasks = pair(&report, "Tasks");
    assert_eq!(tasks.class(), PairClass::Busy, "{}", report.to_markdown());
    assert!(tasks.reason().unwrap().contains("run other on "));
    assert_eq!(tasks.created, 0);
}

/// Passes requests on to the fake, and raises the stop flag as the `at`-th request goes out.
#[derive(Debug)]
struct StopAtRequest {
    inner: FakeNotion,
    stop: StopFlag,
    at: usize,
    sent: AtomicUsize,
}

#[async_trait::async_trait]
impl Transport for StopAtRequest {
    async fn send(&self, request: ApiRequest) -> notion_xws_core::Result<ApiResponse> {
        if self.sent.fetch_add(1, Ordering::SeqCst) + 1 == self.at {
            self.stop.stop(StopReason::Interrupt);
        }
        self.inner.send(request).await
    }
}

#[tokio::test(start_paused = true)]
async fn a_stop_while_the_registry_is_read_writes_nothing() {
    let (world, _source, _) = small_world(3).await;
    let stop = StopFlag::new();
    let transport = Arc::new(StopAtRequest {
        inner: world.fake.clone(),
        stop: stop.clone(),
        at: 2,
        sent: AtomicUsize::new(0),
    });
    let client = NotionClient::new(
        Arc::clone(&transport) as DynTransport,
        world.token().clone(),
    );
    let options = SyncOptions {
        stop,
        ..SyncOptions::default()
    };
    let mut seen = Vec::new();
    let end = watch(
        &client,
        &RegistryConfig::default(),
        &options,
        &WatchOptions::new(FIVE_MINUTES, None).unwrap(),
        recorder(&mut seen),
    )
    .await;
    assert_eq!((end.ended, end.exit_status), (WatchEnded::Stopped, 130));
    // The reads end where they stand (the in-memory fake may answer them all before the run
    // looks at the flag again): the cycle ends there, or with every pair skipped.
    let last = end.last.unwrap();
    match &last.report {
        None => assert_eq!(
            last.error.as_deref(),
            Some("stopped before any pair was written")
        ),
        Some(report) => {
            let tasks = pair(report, "Tasks");
            assert!(
                matches!(&tasks.state, PairState::Skipped(r) if r.contains("stopped (SIGINT)")),
                "{:?}",
                tasks.state
            );
        }
    }
    assert_eq!(seen[0].writes, 0);
    // Nothing was written: not even the tables a first run makes.
    assert!(LinksTable::find(&world.client()).await.unwrap().is_none());
}
