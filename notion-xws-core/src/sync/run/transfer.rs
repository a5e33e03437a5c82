//! The one-shot copy of a database into a page of another workspace (the old script's
//! "transfer" mode), run as a pair without a registry.

use super::candidates::{Candidate, Counted};
use super::context::{DatabaseCopies, RunContext, SourceDatabases, SyncOptions};
use super::pair::run_pair;
use super::sides::shared_source;
use std::collections::HashMap;
use std::sync::Arc;

use crate::client::NotionClient;
use crate::error::{Error, Result};
use crate::ids::{DataSourceId, PageId};
use crate::progress::{PairProgress, Reporter, Side};
use crate::registry::{Direction, PropertyNames, Protected};
use crate::sync::options::ProgressFn;
use crate::sync::refs::reads::{PairSides, RefReads};
use crate::sync::report::RunReport;
use crate::sync::rows::SyncPair;

/// Copies one database into a page of another workspace, once (the old script's "transfer"
/// mode): the target database is created under `target_parent` with the source's schema, and
/// every row is copied. No registry and no links table are involved; the target carries a
/// marker naming the source database and the parent page, so running the same transfer again
/// finds it and brings it up to date instead of making another copy. A dry run unless
/// `options.execute`.
pub async fn transfer(
    source: &NotionClient,
    source_data_source: DataSourceId,
    target: &NotionClient,
    target_parent: PageId,
    options: &SyncOptions,
    progress: Option<ProgressFn>,
) -> Result<RunReport> {
    let tallies = [source.skipped().clone(), target.skipped().clone()];
    let before = tallies.clone().map(|tally| tally.counts());
    let schema = source.data_source(source_data_source).await?;
    let database = schema.database_id().ok_or_else(|| Error::Decode {
        what: "the source data source".into(),
        message: "it names no database".into(),
    })?;
    let protected = Arc::new(Protected::for_names(&PropertyNames::default()));
    protected.refuse(
        source_data_source,
        Some(&schema.title_text()),
        &schema.properties,
    )?;
    // The target's parent must be readable before anything is written.
    target.page(target_parent).await?;
    let counter = Counted::over(source);
    let counted = |client: &NotionClient| counter.client(client);
    let candidate = Candidate {
        pair: SyncPair {
            database_row: PageId::from_u128(database.as_u128()),
            database: schema.title_text(),
            environment_row: target_parent,
            environment: format!("page {target_parent}"),
            direction: Direction::Push,
        },
        source: counted(source),
        source_data_source,
        source_database: database,
        target: counted(target),
        target_parent,
        links_client: counted(target),
        counter: Arc::clone(&counter),
        sides: PairSides {
            environment: target_parent,
            direction: Direction::Push,
            source_data_source,
            source: counted(source),
            target: counted(target),
            target_data_source: None,
        },
        copy_content: false,
        source_schema: None,
        incremental: None,
        may_be_incremental: false,
        covered_claim: None,
        handed_over: HashMap::new(),
        publisher: None,
        protected: Arc::clone(&protected),
        progress: PairProgress::default(),
    };
    let progress = Reporter::new(progress);
    let mut candidate = candidate;
    candidate.progress = progress.pair(&candidate.pair);
    let reads = RefReads::new(std::slice::from_ref(&candidate.sides));
    let databases = Arc::new(SourceDatabases::default());
    let source = shared_source(
        candidate.source.clone(),
        source_data_source,
        (None, Arc::clone(&databases)),
        protected,
        None,
        candidate.progress.rows(Side::Source),
    );
    let run = RunContext {
        options,
        links: None,
        leases: None,
        reads: &reads,
        copies: &DatabaseCopies::default(),
        source_databases: &databases,
        copy_reads: &super::early::CopyReads::default(),
    };
    let started = std::time::Instant::now();
    let (report, _) = run_pair(candidate, source, &run).await;
    Ok(RunReport {
        pairs: vec![report],
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        skipped_unknown: {
            let [source_tally, target_tally] = &tallies;
            let mut skipped = source_tally.since(&before[0]);
            if !Arc::ptr_eq(source_tally.shared(), target_tally.shared()) {
                for (what, n) in target_tally.since(&before[1]) {
                    *skipped.entry(what).or_default() += n;
                }
            }
            skipped
        },
        ..RunReport::started(!options.execute)
    })
}
