//! Overlapping runs: two `sync --execute` started a random moment apart, each with its own client
//! (its own rate budget, as two processes have) and run ID, settle on one writer per pair
//! through the pair's lease: no row twice, every source row once, the link row true; a run that
//! finds the pair held says who holds it; a lease left by a run that died lapses by itself.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use notion_xws_core::client::NotionClient;
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::registry::cells;
use notion_xws_core::sync::lease::{LeaseOptions, LeasesTable, PassLeases, Taken, lease_now};
use notion_xws_core::sync::links::LinksTable;
use notion_xws_core::sync::report::{PairClass, PairState};
use notion_xws_core::sync::stop::StopFlag;
use notion_xws_core::sync::{SyncOptions, columns::source_key, sync};
use notion_xws_core::transport::{DynTransport, Method};
use notion_xws_core::{DataSourceId, PageId};
use rand::{RngExt, SeedableRng, rngs::StdRng};
use serde_json::json;

use crate::support::fake::{id, ok, text};
use crate::support::sync::{acme_client, pair, process, rows, small_world, target_of};
use crate::support::world::World;

/// A run's options: executing, with its own run ID.
fn run(run_id: &str) -> SyncOptions {
    SyncOptions {
        execute: true,
        lease: LeaseOptions {
            run_id: run_id.to_owned(),
            ..LeaseOptions::default()
        },
        ..SyncOptions::default()
    }
}

/// Adds `count` rows to the source, numbered from `from`.
async fn add_rows(world: &World, source: &str, from: usize, count: usize) -> Vec<String> {
    let mut made = Vec::new();
    for i in from..from + count {
        let row = ok(
            &world.fake,
            Method::Post,
            "/v1/pages",
            world.token(),
            Some(json!({"parent": {"data_source_id": source},
                        "properties": {"Name": {"title": text(&format!("Row {i}"))}}})),
        )
        .await;
        made.push(id(&row));
    }
    made
}

/// The copy's rows by source key (how many rows carry each), and the rows without a key.
async fn copy_keys(world: &World) -> (BTreeMap<PageId, usize>, usize) {
    let control = world.client();
    let copy: DataSourceId = target_of(&control, "Tasks", "Acme")
        .await
        .expect("the pair has a copy");
    let acme = acme_client(world).await;
    let mut keys = BTreeMap::new();
    let mut keyless = 0;
    for row in rows(&acme, copy).await {
        match source_key(&row) {
            Some(key) => *keys.entry(key).or_insert(0) += 1,
            None => keyless += 1,
        }
    }
    (keys, keyless)
}

#[tokio::test(start_paused = true)]
async fn fifty_pairs_of_overlapping_runs_write_every_row_once() {
    let mut rng = StdRng::seed_from_u64(0x1ea5e);
    let mut busy = 0;
    for seed in 0..50_u64 {
        // Half the time the first run of all (no copy yet), else a re-sync of 4 new rows.
        let first_ever = seed % 2 == 0;
        let (world, source, mut made) = small_world(if first_ever { 6 } else { 3 }).await;
        // Notion's read-after-write lag (the registry's rows, just made, are listed after it).
        world.fake.set_query_lag(Duration::from_millis(1500));
        tokio::time::sleep(Duration::from_secs(2)).await;
        if !first_ever {
            let report = sync(
                &world.client(),
                &RegistryConfig::default(),
                &run("setup"),
                None,
            )
            .await
            .unwrap();
            assert_eq!(pair(&report, "Tasks").created, 3);
            made.extend(add_rows(&world, &source, 3, 4).await);
            // The setup run's lease is released; its lag has passed by the time the two start.
            tokio::time::sleep(Duration::from_secs(10)).await;
        }
        let offset = Duration::from_millis(rng.random_range(0..20_000));
        let (a, b) = (process(&world), process(&world));
        let config = RegistryConfig::default();
        let (options_a, options_b) = (run(&format!("a{seed}")), run(&format!("b{seed}")));
        let (first, second) = tokio::join!(sync(&a, &config, &options_a, None), async {
            tokio::time::sleep(offset).await;
            sync(&b, &config, &options_b, None).await
        });
        let (first, second) = (first.unwrap(), second.unwrap());
        let (pa, pb) = (pair(&first, "Tasks"), pair(&second, "Tasks"));
        let context = format!(
            "seed {seed} ({}; b {offset:?} later): a {:?} created {}, b {:?} created {}",
            if first_ever { "first run" } else { "re-sync" },
            pa.state,
            pa.created,
            pb.state,
            pb.created
        );
        assert!(!first.has_failures(), "{context}: {}", first.to_markdown());
        assert!(
            !second.has_failures(),
            "{context}: {}",
            second.to_markdown()
        );
        let expected = if first_ever { 6 } else { 4 };
        assert_eq!(pa.created + pb.created, expected, "{context}");
        // A run that left the pair to the other says who holds it.
        for (report, other) in [(pa, format!("b{seed}")), (pb, format!("a{seed}"))] {
            if let PairState::Busy(reason) = &report.state {
                busy += 1;
                assert_eq!(report.class(), PairClass::Busy);
                assert!(
                    reason.contains(&format!("run {other}")),
                    "{context}: {reason}"
                );
            }
        }
        // A later run finds nothing to do; every source row is in the copy once.
        tokio::time::sleep(Duration::from_secs(10)).await;
        let again = sync(&world.client(), &config, &run("after"), None)
            .await
            .unwrap();
        assert_eq!(again.writes(), 0, "{context}: {}", again.to_markdown());
        let (keys, keyless) = copy_keys(&world).await;
        assert_eq!(keyless, 0, "{context}");
        assert!(
            keys.values().all(|n| *n == 1),
            "{context}: a row twice: {keys:?}"
        );
        let wanted: Vec<PageId> = made.iter().map(|m| m.parse().unwrap()).collect();
        assert_eq!(
            keys.keys().copied().collect::<Vec<_>>().len(),
            wanted.len(),
            "{context}"
        );
        assert!(wanted.iter().all(|w| keys.contains_key(w)), "{context}");
        // The link row: one for the pair, recording the copy and its rows.
        let links = LinksTable::find(&world.client()).await.unwrap().unwrap();
        assert_eq!(links.links.len(), 1, "{context}: {:?}", links.links);
        let copies = world
            .fake
            .request_log()
            .iter()
            .filter(|r| r.method == Method::Post && r.path == "/v1/databases")
            .filter(|r| r.workspace != world.fake.request_log()[0].workspace)
            .count();
        assert_eq!(copies, 1, "{context}: the copy was created {copies} times");
    }
    println!("50 overlapping pairs of runs: {busy} runs found the pair held and left it");
}

/// Adds a row titled `name` to a data source.
async fn add_named(world: &World, source: DataSourceId, name: &str) {
    ok(
        &world.fake,
        Method::Post,
        "/v1/pages",
        world.token(),
        Some(json!({"parent": {"data_source_id": source},
                    "properties": {"Name": {"title": text(name)}}})),
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn one_claim_names_every_pair_of_an_environment_and_each_pair_is_held_apart() {
    let w = crate::references::ref_world("Push").await;
    let (world, control) = (&w.world, w.world.client());
    let config = RegistryConfig::default();
    let first = sync(&control, &config, &run("first"), None).await.unwrap();
    assert!(!first.has_failures(), "{}", first.to_markdown());
    // Projects and Tasks, both pushed to Acme, wrote under one claim, which names both pairs
    // and was released when the second was done.
    let leases = LeasesTable::find(&control).await.unwrap().unwrap();
    let claims = rows(&control, leases.data_source).await;
    assert_eq!(claims.len(), 1, "{claims:#?}");
    let named: Vec<String> = cells::text(&claims[0].properties["Pair"])
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let (projects, tasks) = (
        pair(&first, "Projects").pair.clone(),
        pair(&first, "Tasks").pair.clone(),
    );
    let key = |p: &notion_xws_core::sync::rows::SyncPair| {
        format!("{} {}", p.database_row, p.environment_row)
    };
    assert_eq!(named, vec![key(&projects), key(&tasks)]);
    let expires = match &claims[0].properties["Expires"].value {
        notion_xws_core::model::PropertyValueKind::Date(Some(date)) => date.start.clone(),
        other => panic!("{other:?}"),
    };
    let expires =
        humantime::parse_rfc3339_weak(expires.trim_end_matches('Z').split('+').next().unwrap())
            .unwrap();
    assert!(expires <= lease_now(), "released");

    // Another run holds Tasks alone (a run over that one database) and keeps it: a run of
    // both writes Projects and leaves Tasks to it, naming it.
    add_named(world, w.projects_source, "New project").await;
    add_named(world, w.tasks, "New task").await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let other = LeaseOptions {
        run_id: "other".to_owned(),
        ..LeaseOptions::default()
    };
    let lag = run("x").execute_options.read_after_write_lag();
    let other_pass = PassLeases::new(leases, &other, lag, [&tasks]);
    let taken = other_pass
        .take(&control, &tasks, &StopFlag::new())
        .await
        .unwrap();
    assert!(matches!(taken, Taken::Held(_)), "{taken:?}");
    let second = sync(&control, &config, &run("second"), None).await.unwrap();
    let (p, t) = (pair(&second, "Projects"), pair(&second, "Tasks"));
    assert_eq!(
        (p.class(), p.created),
        (PairClass::Synced, 1),
        "{}",
        second.to_markdown()
    );
    assert_eq!(
        (t.class(), t.created),
        (PairClass::Busy, 0),
        "{}",
        second.to_markdown()
    );
    assert!(
        t.reason().unwrap().contains("run other on "),
        "{:?}",
        t.reason()
    );
    // The other run dies (its pass's leases dropped, their renewals with them): its claim
    // lapses, and the next run writes Tasks.
    drop((taken, other_pass));
    tokio::time::sleep(LeaseOptions::default().ttl).await;
    let third = sync(&control, &config, &run("third"), None).await.unwrap();
    assert!(!third.has_failures(), "{}", third.to_markdown());
    assert_eq!(pair(&third, "Tasks").created, 1, "{}", third.to_markdown());
    assert_eq!(pair(&third, "Projects").created, 0);
}

#[tokio::test(start_paused = true)]
async fn a_lease_left_by_a_run_that_died_lapses_and_the_next_run_finishes() {
    let (world, source, _) = small_world(3).await;
    let config = RegistryConfig::default();
    sync(&world.client(), &config, &run("setup"), None)
        .await
        .unwrap();
    add_rows(&world, &source, 3, 2).await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    // A run that dies right after it took its lease, before any row (its claim not renewed
    // yet: it holds for a minute past the lag).
    let requests_before = world.fake.request_log().len();
    let dying = Arc::new(DieAfterLease {
        inner: world.fake.clone(),
        claimed: Default::default(),
        dead: Default::default(),
    });
    let client = NotionClient::new(dying as DynTransport, world.token().clone());
    let died = tokio::time::timeout(
        Duration::from_secs(20),
        sync(&client, &config, &run("dead"), None),
    )
    .await;
    assert!(died.is_err(), "the run did not stop");
    assert!(world.fake.request_log().len() > requests_before);
    // At once, the pair is held by the dead run: a next run skips it and says so, exit 0.
    let busy = sync(&world.client(), &config, &run("next"), None)
        .await
        .unwrap();
    let tasks = pair(&busy, "Tasks");
    assert_eq!(tasks.class(), PairClass::Busy, "{}", busy.to_markdown());
    assert!(
        tasks.reason().unwrap().contains("run dead on "),
        "{:?}",
        tasks.reason()
    );
    assert_eq!(tasks.created, 0);
    assert_eq!(busy.exit_status(), 0);
    // Once the lease has lapsed, a run finishes the pair: every row once.
    tokio::time::sleep(LeaseOptions::default().ttl).await;
    let finished = sync(&world.client(), &config, &run("later"), None)
        .await
        .unwrap();
    assert!(!finished.has_failures(), "{}", finished.to_markdown());
    assert_eq!(pair(&finished, "Tasks").created, 2);
    // The pair's link row says `done` (no run marks it `running` before writing under a
    // claim), but the dead run's claim lapsed unreleased: the pair was reconciled in full.
    assert!(!pair(&finished, "Tasks").incremental, "{finished:#?}");
    let (keys, keyless) = copy_keys(&world).await;
    assert_eq!((keys.len(), keyless), (5, 0));
    assert!(keys.values().all(|n| *n == 1));
    // The full reconcile's watermark covers that claim: the next run reads incrementally again.
    reads_one_more_row_incrementally(&world, &source, 5).await;
}

#[tokio::test(start_paused = true)]
async fn a_run_stopped_half_way_through_an_incremental_sync_sends_the_next_to_a_full_one() {
    use crate::watch::StopAtRowCreate;
    use notion_xws_core::sync::stop::StopReason;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let (world, source, _) = small_world(3).await;
    let config = RegistryConfig::default();
    sync(&world.client(), &config, &run("first"), None)
        .await
        .unwrap();
    add_rows(&world, &source, 3, 30).await;
    tokio::time::sleep(Duration::from_secs(90)).await;
    // An incremental run, stopped (SIGTERM) at its 10th row create.
    let stop = StopFlag::new();
    let transport = Arc::new(StopAtRowCreate {
        inner: world.fake.clone(),
        stop: stop.clone(),
        reason: StopReason::Terminate,
        at: 10,
        creates: AtomicUsize::new(0),
    });
    let client = NotionClient::new(
        Arc::clone(&transport) as DynTransport,
        world.token().clone(),
    );
    let stopped = sync(
        &client,
        &config,
        &SyncOptions {
            stop: stop.clone(),
            ..run("stopped")
        },
        None,
    )
    .await
    .unwrap();
    let tasks = pair(&stopped, "Tasks");
    assert!(tasks.incremental, "{stopped:#?}");
    let sent = transport.creates.load(Ordering::SeqCst);
    assert!((10..30).contains(&sent), "{sent} row creates sent");
    // Its link row was never marked `running`: it still says `done`, with the first run's
    // watermark. Its environment's claim lapsed at once, unreleased, and names the pair.
    let links = LinksTable::find(&world.client()).await.unwrap().unwrap();
    let link = &links.links[0];
    assert_eq!(link.state, notion_xws_core::sync::links::LinkState::Done);
    let mark = link.watermark.clone().expect("the first run's watermark");
    let leases = LeasesTable::find(&world.client()).await.unwrap().unwrap();
    let unfinished = leases.unfinished(&world.client()).await.unwrap();
    assert!(unfinished.may_have_left(&tasks.pair, &mark));
    // A run right after (Notion's lag) is not kept out, reconciles the pair in full and makes
    // the rest: every row once.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let rerun = sync(&world.client(), &config, &run("rerun"), None)
        .await
        .unwrap();
    let tasks = pair(&rerun, "Tasks");
    assert_eq!(tasks.class(), PairClass::Synced, "{}", rerun.to_markdown());
    assert!(!tasks.incremental, "{rerun:#?}");
    assert_eq!(tasks.created, 30 - sent);
    let (keys, keyless) = copy_keys(&world).await;
    assert_eq!((keys.len(), keyless), (33, 0));
    assert!(keys.values().all(|n| *n == 1), "a row twice: {keys:?}");
    // A run that finished released its claim: the one after reads incrementally.
    reads_one_more_row_incrementally(&world, &source, 33).await;
}

/// Adds row `number` to the source; a run a minute and a half later reads the pair
/// incrementally and copies that row.
async fn reads_one_more_row_incrementally(world: &World, source: &str, number: usize) {
    add_rows(world, source, number, 1).await;
    tokio::time::sleep(Duration::from_secs(90)).await;
    let after = sync(
        &world.client(),
        &RegistryConfig::default(),
        &run("after"),
        None,
    )
    .await
    .unwrap();
    let tasks = pair(&after, "Tasks");
    assert!(tasks.incremental, "{after:#?}");
    assert_eq!(tasks.created, 1);
}

/// A transport that stops answering at the first write after a lease's claim (its count
/// made), as when the process dies there, holding the lease.
#[derive(Debug)]
struct DieAfterLease {
    inner: notion_xws_core::fake::FakeNotion,
    claimed: std::sync::atomic::AtomicBool,
    dead: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl notion_xws_core::transport::Transport for DieAfterLease {
    async fn send(
        &self,
        request: notion_xws_core::transport::ApiRequest,
    ) -> notion_xws_core::Result<notion_xws_core::transport::ApiResponse> {
        use std::sync::atomic::Ordering;
        if self.dead.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        let lease = request
            .body
            .as_ref()
            .is_some_and(|b| b.pointer("/properties/Expires").is_some());
        let write = request.method != Method::Get && !request.path.ends_with("/query");
        if write && !lease && self.claimed.load(Ordering::SeqCst) {
            self.dead.store(true, Ordering::SeqCst);
            std::future::pending::<()>().await;
        }
        if lease && request.method == Method::Post {
            self.claimed.store(true, Ordering::SeqCst);
        }
        self.inner.send(request).await
    }
}
