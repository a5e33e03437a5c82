//! The orchestrator: reads the registry, checks it, plans every pair, and applies the plans when
//! asked — the missing orchestrator of the gap report.
//!
//! [`sync`] audits the registry (read only), turns each (database, environment) pair whose
//! direction writes somewhere into a [`PairPlan`](super::one_way::plan::PairPlan) from a fresh read of both sides, and explains
//! every pair it leaves out (an invalid token, no parent page, a database it cannot resolve).
//! Then it applies the plans when [`SyncOptions::execute`] is set (else it is a dry run); pairs
//! run concurrently, each token within its own rate budget, and one failing pair never stops
//! the others. Either way the result is a [`RunReport`].
//!
//! Pairs start in the order of their relations: a pair whose source relates to another synced
//! database runs after that database's pair in the same environment, which hands over the rows
//! of its copy once applied, so relation values are written with their rows. A relation that
//! still waits for a row or a database made in the pass (a cycle of relations) is written by a
//! second pass, run at once after Notion's read-after-write lag.
//!
//! The parts: `context` ([`SyncOptions`], and what the pairs of a pass share), `candidates`
//! (the pairs of the registry, their clients, their order), `lanes` (the order the pairs
//! start in: those that write every row into the control workspace ahead), `early` (the copies read
//! while the audit runs), `sides` (each source read once,
//! the target located and read), `pair` (one pair through its steps, both kinds alike),
//! `status` (each pair's status in its `system-sync-links` row, skipped pairs included) and
//! `transfer` ([`transfer`]).

mod candidates;
mod context;
mod early;
mod lanes;
mod pair;
mod sides;
mod status;
mod transfer;

use self::candidates::{any_watermark, candidates, in_relation_order, mark_incremental};
pub use self::context::SyncOptions;
use self::context::{DatabaseCopies, RunContext, SourceDatabases};
use self::early::EarlyReads;
use self::lanes::{Lane, run_in_lanes};
use self::pair::run_pair;
use self::sides::read_sources;
pub use self::transfer::transfer;

use std::sync::Arc;

use futures::future::FutureExt;

use super::lease::{LEASES_TITLE, LeasesTable, PassLeases, Unfinished};
use super::links::LinksTable;
use super::options::ProgressFn;
use super::planned::SavedPlan;
use super::refs::reads::{PairSides, RefReads};
use super::report::{PairReport, RunReport};
use crate::audit::{AuditReads, AuditReport, audit_keeping_reads};
use crate::client::NotionClient;
use crate::error::{Error, Result};
use crate::ids::PageId;
use crate::progress::{Progress, Reporter};
use crate::registry::{LINKS_TITLE, Protected, Registry, RegistryConfig};

/// Audits, reads and plans every pair; with `options.execute`, applies the plans. See the
/// [module documentation](self).
pub async fn sync(
    control: &NotionClient,
    config: &RegistryConfig,
    options: &SyncOptions,
    progress: Option<ProgressFn>,
) -> Result<RunReport> {
    let before = control.skipped().counts();
    let started = RunReport::started(!options.execute);
    let clock = std::time::Instant::now();
    // Boxed: the run's state machine is large, and a caller's stack need not hold it.
    let mut report = Box::pin(passes(control, config, options, Reporter::new(progress))).await?;
    report.skipped_unknown = control.skipped().since(&before);
    report.started_at = started.started_at;
    report.duration_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(report)
}

/// Applies a saved plan exactly ([`SavedPlan`], `sync --execute --plan FILE`), with the options
/// it was made with (the run's own knobs, the lease, the stop flag, the executor's, taken from
/// `options`): the pairs are read and planned again first, without writing; when anything the
/// plan was made from changed since, nothing is written and the error
/// [`Error::PlanStale`] names what changed (exit status 3). Else each pair writes the saved
/// actions, and only them (a row made since the plan is the next plan's). See
/// [`planned`](crate::sync::planned).
pub async fn apply_saved_plan(
    control: &NotionClient,
    config: &RegistryConfig,
    saved: &SavedPlan,
    options: &SyncOptions,
    progress: Option<ProgressFn>,
) -> Result<RunReport> {
    let mut exact = saved.flags.options(false)?;
    exact.execute_options = options.execute_options;
    exact.concurrency = options.concurrency;
    exact.lease = options.lease.clone();
    exact.stop = options.stop.clone();
    exact.incremental.full_every = options.incremental.full_every;
    let fresh = sync(control, config, &exact, None).await?;
    let planned: Vec<_> = fresh.planned().into_iter().cloned().collect();
    let changed = saved.stale(&planned);
    if !changed.is_empty() {
        return Err(Error::PlanStale(changed));
    }
    exact.execute = true;
    exact.saved_plan = Some(Arc::new(saved.clone()));
    sync(control, config, &exact, progress).await
}

/// The passes of [`sync`]: the first, and a second for relations that wait for what it made.
async fn passes(
    control: &NotionClient,
    config: &RegistryConfig,
    options: &SyncOptions,
    progress: Reporter,
) -> Result<RunReport> {
    // Only reads so far: a stop drops them where they stand. While the audit checks the
    // registry, the links table and the copies it records are read (the environments' tokens
    // are free meanwhile): the first pass takes them.
    let read = options.stop.unless_stopped(async {
        let registry = Registry::read(control, config).await?;
        let (early, audit) = futures::join!(
            EarlyReads::read(control, &registry, options),
            audit_keeping_reads(control, &registry, &progress)
        );
        let (report, audited) = audit?;
        Ok::<_, Error>((registry, report, audited, early))
    });
    let (registry, report, audited, early) = read.await.ok_or(Error::Cancelled)??;
    if let Some(name) = options.only.as_deref() {
        let known = registry
            .environments
            .iter()
            .any(|e| e.name.eq_ignore_ascii_case(name))
            || registry
                .clients
                .iter()
                .any(|c| c.name.eq_ignore_ascii_case(name));
        if !known {
            return Err(Error::Config(format!(
                "no environment and no Clients row is named {name:?}"
            )));
        }
    }
    // The first pass takes the sources' schemas and databases from the audit's reads, made a
    // moment before, and the links table and the copies' schemas and databases from the early
    // reads; the second reads them again (the first may have changed them).
    let first = run_pass(
        control,
        &registry,
        (&report, Some(&audited), early),
        options,
        &progress,
        (1, None),
    )
    .await?;
    let waiting: std::collections::HashSet<(PageId, PageId)> = first
        .pairs
        .iter()
        .filter(|p| p.waiting > 0)
        .map(|p| (p.pair.database_row, p.pair.environment_row))
        .collect();
    let made = first
        .pairs
        .iter()
        .any(|p| p.created > 0 || (p.creates_target && p.failed == 0));
    if !(options.execute && !waiting.is_empty() && made) || options.stop.is_stopped() {
        return Ok(first);
    }
    // Relations that point at rows or databases this pass made: a second pass writes them,
    // once Notion's read-after-write lag has passed (the lookups' total wait).
    tokio::time::sleep(options.execute_options.read_after_write_lag()).await;
    // Only the pairs that wait run again: they write the relations the first pass's rows wait
    // for (past a saved plan's actions, which the first pass applied).
    let options = &SyncOptions {
        saved_plan: None,
        ..options.clone()
    };
    let second = run_pass(
        control,
        &registry,
        (&report, None, EarlyReads::default()),
        options,
        &progress,
        (2, Some(&waiting)),
    )
    .await?;
    Ok(first.then(second))
}

/// One pass (`pass`: 1 or 2) over the pairs (or over `only_pairs`, by database row and
/// environment row): each read, planned and (when executing) applied; what `audited` and
/// `early` read a moment before is not read again.
async fn run_pass(
    control: &NotionClient,
    registry: &Registry,
    (report, audited, early): (&AuditReport, Option<&AuditReads>, EarlyReads),
    options: &SyncOptions,
    progress: &Reporter,
    (pass, only_pairs): (usize, Option<&std::collections::HashSet<(PageId, PageId)>>),
) -> Result<RunReport> {
    // The links table the audit found is read (or was, early), not searched for again, and the
    // first pass takes the leases table from the registry read's search (the second searches
    // again: the first may have made it).
    let EarlyReads {
        links: early_links,
        copies: copy_reads,
    } = early;
    let links = async {
        match (early_links, audited.and_then(AuditReads::links)) {
            (Some(table), Some(source)) if table.data_source == source.id => Ok(Some(table)),
            (_, Some(source)) => LinksTable::read(control, source).await.map(Some),
            (_, None) => LinksTable::find(control).await,
        }
    };
    let located = audited.map(|_| &registry.located);
    let (mut links, mut leases) =
        futures::future::try_join(links, LeasesTable::find_in(control, located)).await?;
    let mut protected = Protected::of(registry);
    if let Some(table) = &links {
        protected = protected.with_table(table.data_source, LINKS_TITLE);
    }
    if let Some(table) = &leases {
        protected = protected.with_table(table.data_source, LEASES_TITLE);
    }
    let protected = Arc::new(protected);
    let (mut candidates, mut skipped) = candidates(
        control,
        registry,
        report,
        &protected,
        options.only.as_deref(),
    );
    if options.execute
        && !(candidates.is_empty() && skipped.is_empty())
        && !options.stop.is_stopped()
    {
        // Every pair gets its link row, with its status: skipped pairs too. The tables made
        // here are made at once, and each is settled against a table another run made at the
        // same time (both runs keep the oldest), after one read-after-write lag.
        let settle = options.execute_options.read_after_write_lag();
        if let Some(table) = &mut links {
            table.add_missing_columns(control).await?;
        }
        if let Some(table) = &mut leases {
            table.add_missing_columns(control).await?;
        }
        let (need_links, need_leases) =
            (links.is_none(), leases.is_none() && !candidates.is_empty());
        let (made_links, made_leases) = futures::future::try_join(
            async {
                match need_links {
                    true => LinksTable::create(control, registry, settle)
                        .await
                        .map(Some),
                    false => Ok(None),
                }
            },
            async {
                match need_leases {
                    true => LeasesTable::create(control, registry, settle)
                        .await
                        .map(Some),
                    false => Ok(None),
                }
            },
        )
        .await?;
        links = links.or(made_links);
        leases = leases.or(made_leases);
    }
    for candidate in &mut candidates {
        candidate.sides.target_data_source = links
            .as_ref()
            .and_then(|l| l.link_for(&candidate.pair))
            .and_then(|l| l.target_data_source);
    }
    // Every pair's copy is known to the reference reads, also when only some pairs run.
    let sides: Vec<PairSides> = candidates.iter().map(|c| c.sides.clone()).collect();
    let copies = DatabaseCopies::new(candidates.iter().filter_map(|c| {
        let copy = links.as_ref()?.link_for(&c.pair)?.target_database?;
        let pulled = c.pair.direction == crate::registry::Direction::Pull;
        Some((c.pair.environment_row, pulled, c.source_database, copy))
    }));
    let reads = RefReads::new(&sides);
    if let Some(only) = only_pairs {
        candidates.retain(|c| only.contains(&(c.pair.database_row, c.pair.environment_row)));
        skipped.clear();
    }
    let mut candidates = in_relation_order(candidates, audited).await;
    // The claims that lapsed unreleased, listed once a pass, and only when a pair may read
    // incrementally: a pair such a claim names may have been left half-written.
    let unfinished = match (&leases, any_watermark(&candidates, links.as_ref())) {
        (Some(table), true) => table.unfinished(control).await?,
        _ => Unfinished::default(),
    };
    mark_incremental(
        &mut candidates,
        links.as_ref(),
        &unfinished,
        options.incremental,
        std::time::SystemTime::now(),
    );
    for (_, candidate) in &mut candidates {
        candidate.progress = progress.pair(&candidate.pair);
    }
    let databases = Arc::new(SourceDatabases::from_audit(audited));
    let sources = read_sources(candidates.iter().map(|(_, c)| c), &databases);
    let concurrency = if options.concurrency == 0 {
        16
    } else {
        options.concurrency
    };
    let leases = leases.filter(|_| options.execute).map(|table| {
        PassLeases::new(
            table,
            &options.lease,
            options.execute_options.read_after_write_lag(),
            candidates.iter().map(|(_, c)| &c.pair),
        )
        .keeping_unfinished(options.incremental.full_every)
    });
    // (The futures are made first, then run, so that the sync's future stays `Send`.)
    let run = RunContext {
        options,
        links: links.as_ref(),
        leases: leases.as_ref(),
        reads: &reads,
        copies: &copies,
        source_databases: &databases,
        copy_reads: &copy_reads,
    };
    let pairs_done = progress.counter(
        move |done, total| Progress::Pairs { pass, done, total },
        candidates.len(),
    );
    let runs: Vec<_> = candidates
        .into_iter()
        .map(|(index, candidate)| {
            let (run, pairs_done) = (&run, &pairs_done);
            let source = sources.get(&candidate.source_data_source).cloned();
            let lane = Lane::of(candidate.pair.direction, candidate.incremental.is_some());
            // Boxed: a pair's future is large, and the lanes move it from queue to slot.
            let run = async move {
                let source = source.unwrap_or_else(|| {
                    async {
                        Err(Arc::new(Error::Config(
                            "the source was not read".to_owned(),
                        )))
                    }
                    .boxed()
                    .shared()
                });
                let pair = candidate.pair.clone();
                let (report, finished) = pairs_done.count(run_pair(candidate, source, run)).await;
                if let Some(leases) = run.leases {
                    leases.done(&pair, finished).await;
                }
                (index, report)
            };
            (lane, run.boxed())
        })
        .collect();
    let mut results: Vec<(usize, PairReport)> = run_in_lanes(runs, concurrency).await;
    // Back in the registry's order.
    results.sort_by_key(|(index, _)| *index);
    let mut pairs = Vec::with_capacity(results.len() + skipped.len());
    pairs.extend(results.into_iter().map(|(_, report)| report));
    if let (true, false, Some(links)) = (options.execute, options.stop.is_stopped(), &links) {
        for pair in &mut skipped {
            let counter = candidates::Counted::over(control);
            let known = links
                .link_for(&pair.pair)
                .map(|l| (l.row, l.status.clone()));
            status::record_status(&counter.client(control), links, pair, known).await;
            pair.requests = counter.requests.load(std::sync::atomic::Ordering::Relaxed);
            pair.writes = counter.writes.load(std::sync::atomic::Ordering::Relaxed);
        }
    }
    pairs.append(&mut skipped);
    Ok(RunReport {
        pairs,
        ..RunReport::started(!options.execute)
    })
}
