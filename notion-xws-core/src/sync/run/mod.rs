//! The orchestrator: reads the registry, checks it, plans every pair, and applies the plans when
//! asked — the missing orchestrator of the gap report.
//!
//! [`sync`] audits the registry (read only), turns each (database, environment) pair whose
//! direction writes somewhere into a [`PairPlan`] from a fresh read of both sides, and explains
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

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use futures::future::{BoxFuture, FutureExt};
use futures::stream::{self, StreamExt, TryStreamExt};
use serde::Serialize;

use super::guard::{PairStatus, PlanOptions};
use super::links::{LinkState, LinksTable};
use super::one_way::apply::apply_pair;
use super::one_way::plan::{PairPlan, PairSnapshot, RowAction, plan_pair};
use super::options::{ExecuteOptions, ProgressFn};
use super::refs::RowMap;
use super::refs::reads::{
    PairSides, Published, Publisher, RefReads, complete_truncated, relation_order,
};
use super::refs::{PairRefs, PeopleFallback, RefSide, RelationCopy, count_kept, has_references};
use super::report::{PairOutcome, PairReport, PairState, RunReport};
use super::rows::{RowContent, SyncPair, TargetSnapshot};
use super::target::{CreateTarget, PairContext, ensure_target, find_marked_target};
use super::two_way::ConflictPolicy;
use crate::audit::{AuditReport, audit_registry};
use crate::client::NotionClient;
use crate::error::{Error, Result};
use crate::ids::{DataSourceId, PageId};
use crate::model::DataSource;
use crate::registry::{Direction, LINKS_TITLE, PropertyNames, Protected, Registry, RegistryConfig};
use crate::transport::{ApiRequest, ApiResponse, Transport};

/// How a sync runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SyncOptions {
    /// Write (else plan only: a dry run).
    pub execute: bool,
    /// Only the environment of this name (or of the `Clients` row of this name).
    pub only: Option<String>,
    /// The planner's knobs (the max-delete guard).
    pub plan: PlanOptions,
    /// The executor's knobs.
    pub execute_options: ExecuteOptions,
    /// Pairs processed at once (default 0: 16).
    pub concurrency: usize,
    /// How two-way pairs settle different changes to one property on both sides (default:
    /// report them and overwrite nothing).
    pub conflict_policy: ConflictPolicy,
    /// What one-way pairs do with people they cannot match in the target (default: leave them
    /// out, and say so).
    pub people_fallback: PeopleFallback,
}

impl SyncOptions {
    /// The options a person gives (the command's flags, the Python keyword arguments):
    /// `conflict_policy` is `report`, `control-wins`, `environment-wins` or `newer-wins`;
    /// `people_fallback` is `leave` or `names`. Other words are refused with
    /// [`Error::Config`].
    pub fn from_args(
        execute: bool,
        only: Option<String>,
        allow_mass_delete: bool,
        conflict_policy: &str,
        people_fallback: &str,
    ) -> Result<Self> {
        let mut options = Self {
            execute,
            only,
            conflict_policy: conflict_policy.parse()?,
            people_fallback: people_fallback.parse()?,
            ..Self::default()
        };
        options.plan.allow_mass_delete = allow_mass_delete;
        Ok(options)
    }
}

/// Counts a pair's requests, and those that write.
#[derive(Debug)]
struct Counted {
    inner: crate::transport::DynTransport,
    requests: AtomicU64,
    writes: AtomicU64,
}

impl Counted {
    /// A counter over the transport of `client`.
    fn over(client: &NotionClient) -> Arc<Self> {
        Arc::new(Self {
            inner: Arc::clone(client.transport()),
            requests: AtomicU64::new(0),
            writes: AtomicU64::new(0),
        })
    }

    /// `client` (its token and version), counted here.
    fn client(self: &Arc<Self>, client: &NotionClient) -> NotionClient {
        NotionClient::new(
            Arc::clone(self) as crate::transport::DynTransport,
            client.token().clone(),
        )
        .with_version(client.version().clone())
    }
}

#[async_trait]
impl Transport for Counted {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if !request.is_read_only() {
            self.writes.fetch_add(1, Ordering::Relaxed);
        }
        self.inner.send(request).await
    }
}

/// A pair, with what it needs to be read and written.
struct Candidate {
    pair: SyncPair,
    source: NotionClient,
    source_data_source: DataSourceId,
    target: NotionClient,
    target_parent: PageId,
    /// The control client, counted with the pair (its link row's writes).
    links_client: NotionClient,
    counter: Arc<Counted>,
    /// The pair as the reference reads see it.
    sides: PairSides,
    /// Whether the page content of each row is copied too (the database's `Sync Content`).
    copy_content: bool,
    /// The source's schema, read before the pairs start (to order them by their relations).
    source_schema: Option<Arc<DataSource>>,
    /// The rows of the copies of the related databases whose pairs run before this one, as
    /// those pairs hand them over, by related (source-side) data source.
    handed_over: HashMap<DataSourceId, Published>,
    /// Hands this pair's copy rows over to the pairs that relate to its source.
    publisher: Option<Publisher>,
    /// What may never be synced, checked on each side's schema as it is read.
    protected: Arc<Protected>,
}

/// The pairs of the registry, and why the others are left out.
fn candidates(
    control: &NotionClient,
    registry: &Registry,
    report: &AuditReport,
    protected: &Arc<Protected>,
    only: Option<&str>,
) -> (Vec<Candidate>, Vec<PairReport>) {
    let mut ready = Vec::new();
    let mut skipped = Vec::new();
    let env_audit: HashMap<PageId, &crate::audit::EnvironmentAudit> =
        report.environments.iter().map(|e| (e.row, e)).collect();
    let primary = report.environments.iter().find(|e| e.primary);
    let wanted = |env: &crate::registry::Environment| match only {
        None => true,
        Some(name) => {
            env.name.eq_ignore_ascii_case(name)
                || registry.clients.iter().any(|client| {
                    client.name.eq_ignore_ascii_case(name) && client.environments.contains(&env.row)
                })
        }
    };
    for (entry, db_audit) in registry.databases.iter().zip(&report.databases) {
        let Some(direction) = entry.sync.direction() else {
            continue;
        };
        for env_row in &entry.environments {
            let (Some(env), Some(env_audit)) =
                (registry.environment(*env_row), env_audit.get(env_row))
            else {
                continue;
            };
            if !wanted(env) || env_audit.primary {
                continue;
            }
            let pair = SyncPair {
                database_row: entry.row,
                database: entry.name.clone(),
                environment_row: env.row,
                environment: env.name.clone(),
                direction,
            };
            let skip = |reason: String| PairReport::skipped(pair.clone(), reason);
            let Some(resolved) = db_audit.resolved else {
                skipped.push(skip(
                    "the database's IDs do not resolve to one data source (see the audit)".into(),
                ));
                continue;
            };
            if let Some(reason) = &db_audit.refused {
                skipped.push(skip(Error::Protected(reason.clone()).to_string()));
                continue;
            }
            let env_client = match (
                &env_audit.token,
                registry.environment(env.row).map(|e| e.token.resolve()),
            ) {
                (crate::audit::TokenHealth::Valid { .. }, Some(Ok(Some(token)))) => {
                    control.for_token(token)
                }
                (health, _) => {
                    skipped.push(skip(format!(
                        "the environment's token is {}",
                        health.status_word()
                    )));
                    continue;
                }
            };
            let counter = Counted::over(control);
            let counted = |client: &NotionClient| counter.client(client);
            let (source, target, parent) = match direction {
                Direction::Push | Direction::TwoWay => {
                    (control, &env_client, env_audit.parent_page.page())
                }
                _ => {
                    if db_audit.read_with != Some(env.row) {
                        skipped.push(skip(
                            "the database is pulled from another environment".into(),
                        ));
                        continue;
                    }
                    (
                        &env_client,
                        control,
                        primary.and_then(|p| p.parent_page.page()),
                    )
                }
            };
            let Some(target_parent) = parent else {
                skipped.push(skip(match direction {
                    Direction::Push => "the environment has no parent page (see the audit)".into(),
                    _ => "the control workspace has no parent page (see the audit)".into(),
                }));
                continue;
            };
            let sides = PairSides {
                environment: env.row,
                direction,
                source_data_source: resolved.data_source,
                source: counted(source),
                target: counted(target),
                target_data_source: None,
            };
            ready.push(Candidate {
                pair,
                source: counted(source),
                source_data_source: resolved.data_source,
                target: counted(target),
                target_parent,
                links_client: counted(control),
                counter,
                sides,
                copy_content: entry.copy_content,
                source_schema: None,
                handed_over: HashMap::new(),
                publisher: None,
                protected: Arc::clone(protected),
            });
        }
    }
    (ready, skipped)
}

/// What was read of a source, shared by every pair that copies it.
#[derive(Debug)]
struct SourceSnapshot {
    title: String,
    schema: std::collections::BTreeMap<String, crate::model::PropertyConfig>,
    rows: Arc<Vec<RowContent>>,
}

/// Reads a source's schema and rows (turned into [`RowContent`] as they come).
async fn read_source(
    client: &NotionClient,
    data_source: DataSourceId,
    schema: Option<Arc<DataSource>>,
    protected: &Protected,
) -> Result<SourceSnapshot> {
    let schema = match schema {
        Some(schema) => DataSource::clone(&schema),
        None => client.data_source(data_source).await?,
    };
    protected.refuse(data_source, Some(&schema.title_text()), &schema.properties)?;
    let mut rows: Vec<RowContent> = client
        .query_all(data_source, None, &[])
        .map_ok(|page| RowContent::from(&page))
        .try_collect()
        .await?;
    complete_truncated(client, &schema.properties, &mut rows).await?;
    Ok(SourceSnapshot {
        title: schema.title_text(),
        schema: schema.properties,
        rows: Arc::new(rows),
    })
}

/// Where a pair's target is: its link row, and the target it records or (when a run made it and
/// stopped before recording it, or its link row is not listed yet) the one its marker names.
/// When the last run stopped half-way, waits for Notion's read-after-write lag to pass first.
async fn locate_target(
    candidate: &Candidate,
    links: Option<&LinksTable>,
    options: &SyncOptions,
) -> Result<(
    Option<(crate::ids::DatabaseId, DataSourceId)>,
    Option<crate::sync::links::SyncLink>,
)> {
    let link = links.and_then(|l| l.link_for(&candidate.pair)).cloned();
    let mut target = link
        .as_ref()
        .and_then(|l| l.target_database.zip(l.target_data_source));
    if target.is_none() {
        target =
            find_marked_target(&candidate.target, candidate.target_parent, &candidate.pair).await?;
    }
    if link.as_ref().is_some_and(|l| l.state != LinkState::Done) {
        let settle = &options.execute_options;
        tokio::time::sleep(settle.settle_delay * settle.settle_attempts.max(1)).await;
    }
    Ok((target, link))
}

/// Reads the target side of a pair: its link row and, when it exists, the target.
async fn read_target(
    candidate: &Candidate,
    links: Option<&LinksTable>,
    options: &SyncOptions,
) -> Result<(Option<TargetSnapshot>, Option<crate::sync::links::SyncLink>)> {
    let (target_ids, link) = locate_target(candidate, links, options).await?;
    let target = match target_ids {
        None => None,
        Some((database, data_source)) => {
            let schema = match candidate.target.data_source(data_source).await {
                Ok(schema) => schema,
                Err(Error::NotFound(_)) => {
                    return Err(Error::Registry(format!(
                        "the target data source {data_source} recorded in system-sync-links cannot be read: \
                         it was deleted, or unshared from the environment's integration; share it again, or \
                         clear the link row to create a new target"
                    )));
                }
                Err(error) => return Err(error),
            };
            candidate.protected.refuse(
                data_source,
                Some(&schema.title_text()),
                &schema.properties,
            )?;
            let mut rows: Vec<RowContent> = candidate
                .target
                .query_all(data_source, None, &[])
                .map_ok(|page| RowContent::from(&page))
                .try_collect()
                .await?;
            complete_truncated(&candidate.target, &schema.properties, &mut rows).await?;
            Some(TargetSnapshot {
                database,
                data_source,
                schema: schema.properties,
                rows,
            })
        }
    };
    Ok((target, link))
}

/// The snapshot of a pair: its source (shared, unless its references are made portable for
/// this pair) and its target.
fn assemble(
    candidate: &Candidate,
    source: &SourceSnapshot,
    mut target: Option<TargetSnapshot>,
    refs: PairRefs,
) -> PairSnapshot {
    let mut source_rows = Arc::clone(&source.rows);
    if has_references(&source.schema) {
        let mut rows = source_rows.as_ref().clone();
        for row in &mut rows {
            refs.make_portable(row, RefSide::Source, &source.schema);
        }
        source_rows = Arc::new(rows);
        if let Some(target) = &mut target {
            for row in &mut target.rows {
                refs.make_portable(row, RefSide::Target, &target.schema);
            }
        }
    }
    PairSnapshot {
        pair: candidate.pair.clone(),
        source: candidate.source_data_source,
        source_title: source.title.clone(),
        source_schema: source.schema.clone(),
        source_rows,
        target,
        target_parent: candidate.target_parent,
        refs: Arc::new(refs),
    }
}

/// Relation values and columns of a pair that wait for rows or a database this pass makes.
fn waiting<'a>(
    refs: &PairRefs,
    rows: impl IntoIterator<Item = &'a RowContent>,
    schema: &std::collections::BTreeMap<String, crate::model::PropertyConfig>,
) -> usize {
    let columns = refs
        .relations
        .values()
        .filter(|r| matches!(r, RelationCopy::Waiting))
        .count();
    columns + count_kept(rows, schema).relations
}

/// Why a pair could not be read: its source (whose one read is shared by every pair that copies
/// it, so its error is shared too) or its target. Each keeps its type until the report.
#[derive(Debug, thiserror::Error)]
enum SideError {
    /// The source could not be read.
    #[error("the source could not be read: {0}")]
    Source(Arc<Error>),
    /// The target could not be read.
    #[error("{0}")]
    Target(Error),
}

/// A source being read, awaited by every pair that copies it.
type SharedSource<'a> =
    futures::future::Shared<BoxFuture<'a, std::result::Result<Arc<SourceSnapshot>, Arc<Error>>>>;

/// One read of each distinct source of `candidates` (several pairs may copy one source into
/// several workspaces), started by the first pair that awaits it, while the pairs read their
/// targets.
fn read_sources<'a>(
    candidates: impl IntoIterator<Item = &'a Candidate>,
) -> HashMap<DataSourceId, SharedSource<'static>> {
    let mut sources = HashMap::new();
    // Two-way pairs read their control rows themselves (with this environment's link column).
    for candidate in candidates
        .into_iter()
        .filter(|c| c.pair.direction != Direction::TwoWay)
    {
        sources
            .entry(candidate.source_data_source)
            .or_insert_with(|| {
                shared_source(
                    candidate.source.clone(),
                    candidate.source_data_source,
                    candidate.source_schema.clone(),
                    Arc::clone(&candidate.protected),
                )
            });
    }
    sources
}

fn shared_source(
    client: NotionClient,
    data_source: DataSourceId,
    schema: Option<Arc<DataSource>>,
    protected: Arc<Protected>,
) -> SharedSource<'static> {
    async move {
        read_source(&client, data_source, schema, &protected)
            .await
            .map(Arc::new)
            .map_err(Arc::new)
    }
    .boxed()
    .shared()
}

/// Audits, reads and plans every pair; with `options.execute`, applies the plans. See the
/// [module documentation](self).
pub async fn sync(
    control: &NotionClient,
    config: &RegistryConfig,
    options: &SyncOptions,
    progress: Option<ProgressFn>,
) -> Result<RunReport> {
    let registry = Registry::read(control, config).await?;
    let report = audit_registry(control, &registry).await?;
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
    let first = run_pass(control, &registry, &report, options, progress.clone(), None).await?;
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
    if !(options.execute && !waiting.is_empty() && made) {
        return Ok(first);
    }
    // Relations that point at rows or databases this pass made: a second pass writes them,
    // once Notion's read-after-write lag has passed (the lookups' total wait).
    let settle = &options.execute_options;
    tokio::time::sleep(settle.settle_delay * settle.settle_attempts.max(1)).await;
    // Only the pairs that wait run again.
    let second = run_pass(
        control,
        &registry,
        &report,
        options,
        progress,
        Some(&waiting),
    )
    .await?;
    Ok(first.then(second))
}

/// One pass over the pairs (or over `only_pairs`, by database row and environment row): each
/// read, planned and (when executing) applied.
async fn run_pass(
    control: &NotionClient,
    registry: &Registry,
    report: &AuditReport,
    options: &SyncOptions,
    progress: Option<ProgressFn>,
    only_pairs: Option<&std::collections::HashSet<(PageId, PageId)>>,
) -> Result<RunReport> {
    let mut links = LinksTable::find(control).await?;
    let mut protected = Protected::of(registry);
    if let Some(table) = &links {
        protected = protected.with_table(table.data_source, LINKS_TITLE);
    }
    let protected = Arc::new(protected);
    let (mut candidates, mut skipped) = candidates(
        control,
        registry,
        report,
        &protected,
        options.only.as_deref(),
    );
    if options.execute && links.is_none() && !candidates.is_empty() {
        links = Some(LinksTable::create(control, registry).await?);
    }
    let links = links;
    for candidate in &mut candidates {
        candidate.sides.target_data_source = links
            .as_ref()
            .and_then(|l| l.link_for(&candidate.pair))
            .and_then(|l| l.target_data_source);
    }
    // Every pair's copy is known to the reference reads, also when only some pairs run.
    let sides: Vec<PairSides> = candidates.iter().map(|c| c.sides.clone()).collect();
    let reads = RefReads::new(&sides);
    if let Some(only) = only_pairs {
        candidates.retain(|c| only.contains(&(c.pair.database_row, c.pair.environment_row)));
        skipped.clear();
    }
    let candidates = in_relation_order(candidates).await;
    let sources = read_sources(candidates.iter().map(|(_, c)| c));
    let concurrency = if options.concurrency == 0 {
        16
    } else {
        options.concurrency
    };
    // (The futures are made first, then run, so that the sync's future stays `Send`.)
    let runs: Vec<_> = candidates
        .into_iter()
        .map(|(index, candidate)| {
            let links = links.as_ref();
            let reads = &reads;
            let progress = progress.clone();
            let source = sources.get(&candidate.source_data_source).cloned();
            async move {
                let source = source.unwrap_or_else(|| {
                    async {
                        Err(Arc::new(Error::Config(
                            "the source was not read".to_owned(),
                        )))
                    }
                    .boxed()
                    .shared()
                });
                (
                    index,
                    run_pair(candidate, source, links, reads, options, progress).await,
                )
            }
        })
        .collect();
    let mut results: Vec<(usize, (PairReport, Option<PairPlan>))> =
        stream::iter(runs).buffered(concurrency).collect().await;
    // Back in the registry's order.
    results.sort_by_key(|(index, _)| *index);
    let mut pairs = Vec::with_capacity(results.len() + skipped.len());
    let mut plans = Vec::new();
    for (_, (report, plan)) in results {
        pairs.push(report);
        plans.extend(plan);
    }
    pairs.append(&mut skipped);
    Ok(RunReport {
        dry_run: !options.execute,
        pairs,
        plans,
    })
}

/// The pairs, each with its registry index, in the order of their relations (see
/// [`relation_order`]): each source's schema is read first (once; the pairs use it), and each pair
/// is given what the pairs it relates to, run before it, will hand over.
async fn in_relation_order(mut candidates: Vec<Candidate>) -> Vec<(usize, Candidate)> {
    let mut sources: Vec<(DataSourceId, NotionClient)> = Vec::new();
    for c in &candidates {
        if !sources.iter().any(|(ds, _)| *ds == c.source_data_source) {
            sources.push((c.source_data_source, c.source.clone()));
        }
    }
    let schemas: HashMap<DataSourceId, Arc<DataSource>> = stream::iter(sources)
        .map(|(ds, client)| async move { (ds, client.data_source(ds).await) })
        .buffer_unordered(8)
        .filter_map(|(ds, read)| async move { read.ok().map(|schema| (ds, Arc::new(schema))) })
        .collect()
        .await;
    let relates: Vec<Vec<usize>> = candidates
        .iter()
        .map(|c| {
            let Some(schema) = schemas.get(&c.source_data_source) else {
                return Vec::new();
            };
            related_sources(&schema.properties)
                .filter_map(|ds| {
                    candidates.iter().position(|other| {
                        other.source_data_source == ds
                            && other.sides.environment == c.sides.environment
                    })
                })
                .collect()
        })
        .collect();
    let order = relation_order(candidates.len(), |i| relates[i].clone());
    let mut position = vec![0; candidates.len()];
    for (at, &index) in order.iter().enumerate() {
        position[index] = at;
    }
    let (publishers, handed): (Vec<Publisher>, Vec<Published>) =
        (0..candidates.len()).map(|_| Publisher::new()).unzip();
    for (candidate, publisher) in candidates.iter_mut().zip(publishers) {
        candidate.source_schema = schemas.get(&candidate.source_data_source).cloned();
        candidate.publisher = Some(publisher);
    }
    for (i, related) in relates.iter().enumerate() {
        for &j in related {
            if j != i && position[j] < position[i] {
                let ds = candidates[j].source_data_source;
                candidates[i].handed_over.insert(ds, handed[j].clone());
            }
        }
    }
    let mut slots: Vec<Option<Candidate>> = candidates.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|index| slots[index].take().map(|c| (index, c)))
        .collect()
}

/// The related data sources of a schema's relation properties.
fn related_sources(
    schema: &std::collections::BTreeMap<String, crate::model::PropertyConfig>,
) -> impl Iterator<Item = DataSourceId> + '_ {
    schema.values().filter_map(|config| match &config.config {
        crate::model::PropertyConfigKind::Relation(relation) => relation.data_source_id,
        _ => None,
    })
}

/// Hands a pair's copy rows over to the pairs that relate to its source: those read (key, row),
/// but the ones the plan trashed, and those created; nothing when the pair has no copy.
fn publish(
    publisher: Option<Publisher>,
    data_source: Option<DataSourceId>,
    read: impl Iterator<Item = (PageId, PageId)>,
    trashed: impl Iterator<Item = PageId>,
    created: &[(PageId, PageId)],
) {
    let Some(publisher) = publisher else {
        return;
    };
    let trashed: std::collections::HashSet<PageId> = trashed.collect();
    publisher.publish(data_source.map(|data_source| {
        let rows = read
            .filter(|(_, target)| !trashed.contains(target))
            .chain(created.iter().copied());
        (data_source, Arc::new(RowMap::new(rows)))
    }));
}

/// Hands a one-way pair's copy rows over (see [`publish`]).
fn publish_one_way(
    publisher: Option<Publisher>,
    snapshot: &PairSnapshot,
    plan: &PairPlan,
    target: Option<(crate::ids::DatabaseId, DataSourceId)>,
    created: &[(PageId, PageId)],
) {
    let read = snapshot
        .target
        .iter()
        .flat_map(|t| t.rows.iter())
        .filter_map(|row| row.key.map(|key| (key, row.id)));
    let trashed = plan.rows.iter().filter_map(|action| match action {
        RowAction::Trash { target, .. } => Some(*target),
        _ => None,
    });
    publish(publisher, target.map(|t| t.1), read, trashed, created);
}

/// Hands a two-way pair's environment rows over (see [`publish`]).
fn publish_two_way(
    publisher: Option<Publisher>,
    snapshot: &super::two_way::TwoWaySnapshot,
    plan: &super::two_way::TwoWayPlan,
    target: Option<DataSourceId>,
    created: &[(PageId, PageId)],
) {
    let read = snapshot
        .environment_rows
        .iter()
        .filter_map(|row| row.link.map(|key| (key, row.content.id)));
    let trashed = plan.actions.iter().filter_map(|action| match action {
        super::two_way::TwoWayAction::TrashEnvironment { row, .. } => Some(*row),
        _ => None,
    });
    publish(publisher, target, read, trashed, created);
}

/// Reads, plans and (when executing) applies one pair; never fails as a whole: what went wrong
/// is in its report. `links` is the links table (`None`: a one-shot copy that keeps no record).
async fn run_pair(
    mut candidate: Candidate,
    source: SharedSource<'_>,
    links: Option<&LinksTable>,
    reads: &RefReads,
    options: &SyncOptions,
    progress: Option<ProgressFn>,
) -> (PairReport, Option<PairPlan>) {
    if candidate.pair.direction == Direction::TwoWay {
        return (
            run_two_way_pair(candidate, links, reads, options).await,
            None,
        );
    }
    let mut report = PairReport::skipped(candidate.pair.clone(), String::new());
    // The source and the target are read at once (each within its own token's budget).
    let (source, target) = futures::join!(source, read_target(&candidate, links, options));
    let snapshot = match (source, target) {
        (Ok(source), Ok((target, link))) => {
            let rows = source
                .rows
                .iter()
                .chain(target.iter().flat_map(|t| t.rows.iter()));
            let (mut refs, notes) = reads
                .pair_refs(
                    &candidate.sides,
                    &source.schema,
                    rows,
                    &candidate.handed_over,
                )
                .await;
            refs.people_fallback = options.people_fallback;
            report.notes = notes;
            Ok((assemble(&candidate, &source, target, refs), link))
        }
        (Err(error), _) => Err(SideError::Source(error)),
        (_, Err(error)) => Err(SideError::Target(error)),
    };
    let plan = match snapshot {
        Err(error) => {
            report.state = PairState::Failed(error.to_string());
            report.errors.push(error.to_string());
            None
        }
        Ok((snapshot, link)) => {
            let mut plan = plan_pair(&snapshot, options.plan);
            let bodies = candidate
                .copy_content
                .then(|| super::content::plan_bodies(&snapshot, &mut plan));
            report.notes.extend(plan.notes.iter().cloned());
            report.waiting = waiting(
                &snapshot.refs,
                snapshot.source_rows.iter(),
                &snapshot.source_schema,
            );
            report.unchanged = plan.counts.unchanged;
            report.skipped = plan.counts.foreign;
            report.creates_target = plan.create_target.is_some();
            let guard = match &plan.status {
                PairStatus::DeleteGuard(reason) => Some(reason.clone()),
                PairStatus::Ready => None,
            };
            if options.execute {
                let ctx = PairContext {
                    control: &candidate.links_client,
                    source: candidate.source.clone(),
                    target: candidate.target.clone(),
                    links,
                    link,
                };
                let (outcome, target) =
                    apply_pair(&plan, &ctx, &options.execute_options, progress.as_ref()).await;
                publish_one_way(
                    candidate.publisher.take(),
                    &snapshot,
                    &plan,
                    target,
                    &outcome.created_rows,
                );
                finish(
                    &mut report,
                    &outcome,
                    bodies.as_ref(),
                    &candidate,
                    options,
                    guard,
                )
                .await;
            } else {
                let target = snapshot
                    .target
                    .as_ref()
                    .map(|t| (t.database, t.data_source));
                publish_one_way(candidate.publisher.take(), &snapshot, &plan, target, &[]);
                report.created = plan.counts.create;
                report.updated = plan.counts.update;
                report.trashed = plan.counts.trash;
                report.files_reimported = plan
                    .rows
                    .iter()
                    .map(|action| match action {
                        RowAction::Create { properties, .. }
                        | RowAction::Update { properties, .. } => {
                            super::files::hosted_files_in(properties)
                        }
                        RowAction::Trash { .. } => 0,
                    })
                    .sum();
                if let Some(checks) = &bodies {
                    report.notes.push(format!(
                        "page content: {} body(ies) to read (source rows edited since their last copy)",
                        checks.len()
                    ));
                }
                report.state = match guard {
                    Some(reason) => PairState::Guarded(reason),
                    None => PairState::Planned,
                };
            }
            Some(plan)
        }
    };
    report.requests = candidate.counter.requests.load(Ordering::Relaxed);
    report.writes = candidate.counter.writes.load(Ordering::Relaxed);
    (report, plan)
}

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
        handed_over: HashMap::new(),
        publisher: None,
        protected: Arc::clone(&protected),
    };
    let reads = RefReads::new(std::slice::from_ref(&candidate.sides));
    let source = shared_source(
        candidate.source.clone(),
        source_data_source,
        None,
        protected,
    );
    let (report, plan) = run_pair(candidate, source, None, &reads, options, progress).await;
    Ok(RunReport {
        dry_run: !options.execute,
        pairs: vec![report],
        plans: plan.into_iter().collect(),
    })
}

/// Reads, plans and (when executing) applies a two-way pair; what went wrong is in its report.
async fn run_two_way_pair(
    mut candidate: Candidate,
    links: Option<&LinksTable>,
    reads: &RefReads,
    options: &SyncOptions,
) -> PairReport {
    use super::two_way::{apply as two_way_apply, read as two_way_read};
    let mut report = PairReport::skipped(candidate.pair.clone(), String::new());
    let mut publisher = candidate.publisher.take();
    let result: Result<()> = async {
        let pair = &candidate.pair;
        let (target, link) = locate_target(&candidate, links, options).await?;
        let mut read = two_way_read::read_two_way(
            pair,
            &candidate.source,
            candidate.source_data_source,
            &candidate.target,
            target,
            candidate.source_schema.as_deref().cloned(),
            options.execute_options.concurrency,
        )
        .await?;
        let snapshot = &read.snapshot;
        let control_title = candidate.source_schema.as_ref().map(|s| s.title_text());
        candidate.protected.refuse(
            candidate.source_data_source,
            control_title.as_deref(),
            &snapshot.control_schema,
        )?;
        if let (Some((_, data_source)), Some(schema)) = (target, &snapshot.environment_schema) {
            candidate.protected.refuse(data_source, None, schema)?;
        }
        let rows = [
            &snapshot.control_rows,
            &snapshot.environment_rows,
            &snapshot.control_trashed,
            &snapshot.environment_trashed,
        ]
        .into_iter()
        .flatten()
        .map(|r| &r.content);
        let (refs, notes) = reads
            .pair_refs(
                &candidate.sides,
                &snapshot.control_schema,
                rows,
                &candidate.handed_over,
            )
            .await;
        report.notes = notes;
        two_way_read::make_portable(&mut read, refs, &candidate.source, &candidate.target).await?;
        let snapshot = &read.snapshot;
        report.waiting = waiting(
            &snapshot.refs,
            snapshot.control_rows.iter().map(|r| &r.content),
            &snapshot.control_schema,
        );
        let mut plan = two_way_read::plan(&read, options.conflict_policy, options.plan);
        // Page content goes one way only, control → environment.
        let bodies = candidate.copy_content.then(|| {
            super::content::add_marker_column(
                read.snapshot.environment_schema.as_ref(),
                plan.create_environment.as_mut(),
                &mut plan.environment_add_properties,
            );
            super::content::bodies_to_check(
                read.snapshot.control_rows.iter().map(|row| &row.content),
                read.snapshot
                    .environment_rows
                    .iter()
                    .map(|row| &row.content),
            )
        });
        report.notes.extend(plan.notes.iter().cloned());
        report.notes.extend(two_way_apply::conflict_lines(&plan));
        if let Some(checks) = &bodies {
            report.notes.push(format!(
                "page content is copied one way only, control → environment ({} body(ies) to read)",
                checks.len()
            ));
        }
        report.unchanged = plan.counts.unchanged;
        report.creates_target = plan.create_environment.is_some();
        let guard = match &plan.status {
            PairStatus::DeleteGuard(reason) => Some(reason.clone()),
            PairStatus::Ready => None,
        };
        let recorded = link
            .as_ref()
            .and_then(|l| l.target_database.zip(l.target_data_source));
        let no_bodies = bodies.as_ref().is_none_or(Vec::is_empty);
        if !options.execute
            || (plan.is_empty() && no_bodies && (target.is_none() || recorded == target))
        {
            publish_two_way(
                publisher.take(),
                &read.snapshot,
                &plan,
                target.map(|t| t.1),
                &[],
            );
            let c = &plan.counts;
            report.created = c.create_in_environment + c.create_in_control;
            report.updated = c.update_environment + c.update_control + c.restore;
            report.trashed = c.trash_environment + c.trash_control;
            if !options.execute {
                report.files_reimported = two_way_apply::hosted_files_planned(&plan);
            }
            report.state = match (guard, options.execute) {
                (Some(reason), _) => PairState::Guarded(reason),
                (None, false) => PairState::Planned,
                (None, true) => PairState::Synced,
            };
            return Ok(());
        }
        let Some(links) = links else {
            return Err(Error::Config("two-way pairs need the links table".into()));
        };
        let ctx = PairContext {
            control: &candidate.links_client,
            source: candidate.source.clone(),
            target: candidate.target.clone(),
            links: Some(links),
            link,
        };
        let create = plan
            .create_environment
            .as_ref()
            .map(|properties| CreateTarget {
                parent: candidate.target_parent,
                title: read.title.clone(),
                properties: properties.clone(),
            });
        let (target, link_row) = ensure_target(
            pair,
            create.as_ref(),
            target,
            &ctx,
            &options.execute_options,
        )
        .await?;
        two_way_apply::add_columns(
            &candidate.source,
            candidate.source_data_source,
            &plan.control_add_properties,
        )
        .await?;
        two_way_apply::add_columns(
            &candidate.target,
            target.1,
            &plan.environment_add_properties,
        )
        .await?;
        let outcome = two_way_apply::apply_actions(
            &plan,
            &candidate.source,
            candidate.source_data_source,
            &candidate.target,
            target.1,
            &options.execute_options,
        )
        .await;
        publish_two_way(
            publisher.take(),
            &read.snapshot,
            &plan,
            Some(target.1),
            &outcome.created_rows,
        );
        finish(
            &mut report,
            &outcome,
            bodies.as_ref(),
            &candidate,
            options,
            guard,
        )
        .await;
        if let (0, Some(link_row)) = (outcome.failed, link_row) {
            let finished =
                humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
            let result = format!(
                "created {}, updated {}, trashed {}, conflicts {}",
                outcome.created, outcome.updated, outcome.trashed, plan.counts.conflicts
            );
            let rows = read.snapshot.control_rows.len() + plan.counts.create_in_control;
            super::links::record_result(ctx.control, link_row, &finished, &result, rows).await?;
        }
        Ok(())
    }
    .await;
    if let Err(error) = result {
        report.state = PairState::Failed(error.to_string());
        report.errors.push(error.to_string());
    }
    report.requests = candidate.counter.requests.load(Ordering::Relaxed);
    report.writes = candidate.counter.writes.load(Ordering::Relaxed);
    report
}

/// Why an applied pair failed, if it did: writes that failed, or hosted files not copied.
/// After a pair's rows were applied: its outcome in the report, the page bodies copied (they
/// need the rows' IDs), and the pair's state.
async fn finish(
    report: &mut PairReport,
    outcome: &PairOutcome,
    bodies: Option<&Vec<super::content::BodyCheck>>,
    candidate: &Candidate,
    options: &SyncOptions,
    guard: Option<String>,
) {
    fill(report, outcome);
    if let Some(checks) = bodies {
        let created = outcome.created_rows.iter().copied().collect();
        let bodies = super::content::apply_bodies(
            checks,
            &candidate.source,
            &candidate.target,
            &created,
            &options.execute_options,
        )
        .await;
        // A body that failed only for its files counts as files not copied, not as a write.
        let files_only = bodies.failed.min(bodies.files_not_copied);
        report.failed += bodies.failed - files_only;
        report.files_reimported += bodies.files_reimported;
        report.files_not_copied += bodies.files_not_copied;
        report.errors.extend(bodies.errors.iter().cloned());
        report.notes.extend(bodies.notes());
    }
    report.state = if let Some(failure) = failure_of(report) {
        PairState::Failed(failure)
    } else if let Some(reason) = guard {
        PairState::Guarded(reason)
    } else {
        PairState::Synced
    };
}

/// Why a pair that was applied failed, if it did (its writes, its bodies, its files).
fn failure_of(report: &PairReport) -> Option<String> {
    match (report.failed, report.files_not_copied) {
        (0, 0) => None,
        (0, files) => Some(format!(
            "{files} Notion-hosted file(s) could not be re-imported (see the errors)"
        )),
        (writes, _) => Some(format!("{writes} write(s) failed")),
    }
}

fn fill(report: &mut PairReport, outcome: &PairOutcome) {
    report.files_reimported = outcome.files_reimported;
    report.files_not_copied = outcome.files_not_copied;
    report.created = outcome.created;
    report.updated = outcome.updated;
    report.trashed = outcome.trashed;
    report.failed = outcome.failed;
    report.settled = outcome.settled;
    report.errors.extend(outcome.errors.iter().cloned());
}
