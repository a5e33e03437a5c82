//! Progress reports on the fake Notion: a sync reports every phase — the audit's tokens, parent
//! pages and databases, the pass's pairs, and for each pair, one-way and two-way alike, locating,
//! reading (the rows of each side), planning, writing and its finish, in that order — and the
//! audit reports its own phases.

use std::sync::{Arc, Mutex};

use notion_xws_core::audit::audit_with_progress;
use notion_xws_core::progress::{Progress, ProgressFn, Side};
use notion_xws_core::registry::{Direction, RegistryConfig};
use notion_xws_core::sync::report::PairClass;
use notion_xws_core::sync::{RunReport, SyncOptions, sync};
use serde_json::json;

use crate::support::fake::{ok, text};
use crate::support::sync::{acme_client, execute, small_world, target_of, two_way_world};
use crate::support::world::World;

/// A callback that records every report, and what it recorded.
fn recorder() -> (ProgressFn, Arc<Mutex<Vec<Progress>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let callback: ProgressFn = Arc::new(move |p: &Progress| sink.lock().unwrap().push(p.clone()));
    (callback, seen)
}

/// A sync of the world with `options`, and every report it made.
async fn run(world: &World, options: &SyncOptions) -> (RunReport, Vec<Progress>) {
    let (callback, seen) = recorder();
    let report = sync(
        &world.client(),
        &RegistryConfig::default(),
        options,
        Some(callback),
    )
    .await
    .unwrap();
    let seen = seen.lock().unwrap().clone();
    (report, seen)
}

/// The phase of a report (its `phase` in JSON).
fn phase(progress: &Progress) -> String {
    serde_json::to_value(progress).unwrap()["phase"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The audit's phases were reported from nothing done to their totals.
fn audit_phases_done(seen: &[Progress], environments: usize, databases: usize) {
    let ends = |name: &str, total: usize| {
        let steps: Vec<(usize, usize)> = seen
            .iter()
            .filter_map(|p| match (p, name) {
                (Progress::Tokens { done, total }, "tokens")
                | (Progress::ParentPages { done, total }, "parent_pages")
                | (Progress::Databases { done, total }, "databases") => Some((*done, *total)),
                _ => None,
            })
            .collect();
        assert_eq!(steps.first(), Some(&(0, total)), "{name}: {steps:?}");
        assert_eq!(steps.last(), Some(&(total, total)), "{name}: {steps:?}");
        assert_eq!(steps.len(), total + 1, "{name}: {steps:?}");
    };
    ends("tokens", environments);
    ends("parent_pages", environments);
    ends("databases", databases);
}

/// The phases the reports of one pair name, in order, each once in a row; a pair read and
/// planned again (its lease taken after another run held it, or its table made, since its
/// read) reads and plans once more before it writes: that is said once.
fn pair_phases(seen: &[Progress], label: &str) -> Vec<String> {
    let mut phases: Vec<String> = Vec::new();
    for p in seen {
        let pair = match p {
            Progress::Locating { pair, .. }
            | Progress::Reading { pair, .. }
            | Progress::Planning { pair, .. }
            | Progress::Writing { pair, .. }
            | Progress::Finished { pair, .. } => pair,
            _ => continue,
        };
        if pair == label && phases.last() != Some(&phase(p)) {
            phases.push(phase(p));
        }
    }
    let again = ["locating", "reading", "planning", "locating"];
    while phases.len() > 4 && phases[..4] == again {
        phases.drain(..3);
    }
    phases
}

/// The last count of rows read of `side` of the pair.
fn rows_read(seen: &[Progress], label: &str, side: Side) -> Option<usize> {
    seen.iter().rev().find_map(|p| match p {
        Progress::Reading {
            pair,
            side: s,
            rows,
            ..
        } if pair == label && *s == side => Some(*rows),
        _ => None,
    })
}

/// The pair's writes as reported: every (done, planned).
fn writes(seen: &[Progress], label: &str) -> Vec<(usize, usize)> {
    seen.iter()
        .filter_map(|p| match p {
            Progress::Writing {
                pair,
                done,
                planned,
                ..
            } if pair == label => Some((*done, *planned)),
            _ => None,
        })
        .collect()
}

/// The pair's finish as reported: its direction, class and created count.
fn finished(seen: &[Progress], label: &str) -> (Direction, PairClass, usize) {
    let ends: Vec<_> = seen
        .iter()
        .filter_map(|p| match p {
            Progress::Finished {
                pair,
                direction,
                class,
                created,
                ..
            } if pair == label => Some((*direction, *class, *created)),
            _ => None,
        })
        .collect();
    assert_eq!(ends.len(), 1, "{ends:?}");
    ends[0]
}

#[tokio::test(start_paused = true)]
async fn a_one_way_pair_reports_every_phase_with_its_rows_and_writes() {
    let (world, _source, _rows) = small_world(150).await;
    let (report, seen) = run(&world, &execute()).await;
    assert!(!report.has_failures(), "{report:#?}");
    let label = report.pairs[0].pair.label();
    assert_eq!(label, "Tasks → Acme");
    let registry =
        notion_xws_core::registry::Registry::read(&world.client(), &RegistryConfig::default())
            .await
            .unwrap();
    audit_phases_done(&seen, registry.environments.len(), registry.databases.len());
    assert!(seen.contains(&Progress::Pairs {
        pass: 1,
        done: 1,
        total: 1
    }));
    // The first run: no copy to read yet, every row written.
    assert_eq!(
        pair_phases(&seen, &label),
        ["locating", "reading", "planning", "writing", "finished"]
    );
    // Read page by page: 100, then all 150.
    let source: Vec<usize> = seen
        .iter()
        .filter_map(|p| match p {
            Progress::Reading {
                side: Side::Source,
                rows,
                ..
            } => Some(*rows),
            _ => None,
        })
        .collect();
    assert_eq!(source, [100, 150]);
    let written = writes(&seen, &label);
    assert_eq!(written.first(), Some(&(0, 150)));
    assert_eq!(written.last(), Some(&(150, 150)));
    assert_eq!(written.len(), 151, "one report per write");
    assert_eq!(
        finished(&seen, &label),
        (Direction::Push, PairClass::Synced, 150)
    );
    // The audit phases came first, the pair's last.
    let first_pair = seen.iter().position(|p| phase(p) == "locating").unwrap();
    let last_audit = seen.iter().rposition(|p| phase(p) == "databases").unwrap();
    assert!(last_audit < first_pair);

    // Again: both sides read, nothing to write; a dry run reports the same phases.
    let (_, again) = run(&world, &execute()).await;
    assert_eq!(rows_read(&again, &label, Side::Source), Some(150));
    assert_eq!(rows_read(&again, &label, Side::Target), Some(150));
    let (_, dry) = run(&world, &SyncOptions::default()).await;
    assert_eq!(
        pair_phases(&dry, &label),
        ["locating", "reading", "planning", "finished"]
    );
    assert_eq!(
        finished(&dry, &label),
        (Direction::Push, PairClass::Planned, 0)
    );
}

#[tokio::test(start_paused = true)]
async fn a_two_way_pair_reports_every_phase_with_both_sides_and_its_writes() {
    let (world, _source, _rows) = two_way_world(6).await;
    let (report, seen) = run(&world, &execute()).await;
    assert!(!report.has_failures(), "{report:#?}");
    let label = report.pairs[0].pair.label();
    assert_eq!(label, "Tasks ↔ Acme");
    assert_eq!(
        pair_phases(&seen, &label),
        ["locating", "reading", "planning", "writing", "finished"]
    );
    assert_eq!(rows_read(&seen, &label, Side::Control), Some(6));
    let written = writes(&seen, &label);
    let planned = written[0].1;
    assert!(planned >= 6, "6 creates and their links: {written:?}");
    assert_eq!(written.first(), Some(&(0, planned)));
    assert_eq!(written.last(), Some(&(planned, planned)));
    assert_eq!(
        finished(&seen, &label),
        (Direction::TwoWay, PairClass::Synced, 6)
    );

    // A row added in the environment: both sides read, the row made in the control database.
    let copy = target_of(&world.client(), "Tasks", "Acme").await.unwrap();
    let acme = acme_client(&world).await;
    ok(
        &world.fake,
        notion_xws_core::transport::Method::Post,
        "/v1/pages",
        acme.token(),
        Some(json!({
            "parent": {"data_source_id": copy.to_string()},
            "properties": {"Name": {"title": text("Added in Acme")}},
        })),
    )
    .await;
    let (report, again) = run(&world, &execute()).await;
    assert_eq!(report.created(), 1, "{report:#?}");
    assert_eq!(rows_read(&again, &label, Side::Control), Some(6));
    assert_eq!(rows_read(&again, &label, Side::Environment), Some(7));
    assert_eq!(
        pair_phases(&again, &label),
        ["locating", "reading", "planning", "writing", "finished"]
    );
    assert_eq!(
        finished(&again, &label),
        (Direction::TwoWay, PairClass::Synced, 1)
    );
}

#[tokio::test(start_paused = true)]
async fn the_audit_reports_its_phases() {
    let (world, _source, _rows) = small_world(3).await;
    let (callback, seen) = recorder();
    let (registry, _) =
        audit_with_progress(&world.client(), &RegistryConfig::default(), Some(callback))
            .await
            .unwrap();
    let seen = seen.lock().unwrap().clone();
    audit_phases_done(&seen, registry.environments.len(), registry.databases.len());
    // The control workspace and Acme's, searched for copies of tokens.
    assert_eq!(
        seen.last(),
        Some(&Progress::TokenCopies { done: 2, total: 2 })
    );
}
