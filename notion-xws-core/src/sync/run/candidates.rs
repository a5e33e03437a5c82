//! The pairs of a run: each (database, environment) pair of the registry that a sync writes,
//! with its clients (counted per pair), or the reason it is left out; and their order, by the
//! relations between their sources.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use futures::stream::{self, StreamExt};

use crate::audit::AuditReport;
use crate::client::NotionClient;
use crate::error::{Error, Result};
use crate::ids::{DataSourceId, DatabaseId, PageId};
use crate::model::DataSource;
use crate::progress::PairProgress;
use crate::registry::{Direction, Protected, Registry};
use crate::sync::refs::reads::{PairSides, Published, Publisher, relation_order};
use crate::sync::report::{Attention, Cause, PairReport};
use crate::sync::rows::SyncPair;
use crate::transport::{ApiRequest, ApiResponse, Transport};

/// Counts a pair's requests, and those that write.
#[derive(Debug)]
pub(super) struct Counted {
    pub(super) inner: crate::transport::DynTransport,
    pub(super) requests: AtomicU64,
    pub(super) writes: AtomicU64,
}

impl Counted {
    /// A counter over the transport of `client`.
    pub(super) fn over(client: &NotionClient) -> Arc<Self> {
        Arc::new(Self {
            inner: Arc::clone(client.transport()),
            requests: AtomicU64::new(0),
            writes: AtomicU64::new(0),
        })
    }

    /// `client` (its token and version), counted here.
    pub(super) fn client(self: &Arc<Self>, client: &NotionClient) -> NotionClient {
        client.over(Arc::clone(self) as crate::transport::DynTransport)
    }
}

#[async_trait]
impl Transport for Counted {
    async fn download(&self, url: &str) -> Result<Vec<u8>> {
        self.inner.download(url).await
    }

    async fn send(&self, request: ApiRequest) -> Result<ApiResponse> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if !request.is_read_only() {
            self.writes.fetch_add(1, Ordering::Relaxed);
        }
        self.inner.send(request).await
    }
}

/// A pair, with what it needs to be read and written.
pub(super) struct Candidate {
    pub(super) pair: SyncPair,
    pub(super) source: NotionClient,
    pub(super) source_data_source: DataSourceId,
    /// The database that holds the source.
    pub(super) source_database: DatabaseId,
    pub(super) target: NotionClient,
    pub(super) target_parent: PageId,
    /// The control client, counted with the pair (its link row's writes).
    pub(super) links_client: NotionClient,
    pub(super) counter: Arc<Counted>,
    /// The pair as the reference reads see it.
    pub(super) sides: PairSides,
    /// Whether the page content of each row is copied too (the database's `Sync Content`).
    pub(super) copy_content: bool,
    /// The source's schema, read before the pairs start (to order them by their relations), or
    /// taken from the audit's read.
    pub(super) source_schema: Option<Arc<DataSource>>,
    /// The pair's watermark, when the pair may read only what changed since it
    /// ([`watermark`](crate::sync::watermark)); `None`: a full reconcile.
    pub(super) incremental: Option<crate::sync::watermark::Watermark>,
    /// Whether the pair can read incrementally at all (its source's schema was read): only
    /// such a pair records a watermark after a full reconcile that wrote nothing else.
    pub(super) may_be_incremental: bool,
    /// The highest claim that lapsed unreleased naming the pair, listed before it is read: the
    /// watermark its read records covers it ([`Watermark::claim`](crate::sync::watermark::Watermark::claim)).
    pub(super) covered_claim: Option<u64>,
    /// The rows of the copies of the related databases whose pairs run before this one, as
    /// those pairs hand them over, by related (source-side) data source.
    pub(super) handed_over: HashMap<DataSourceId, Published>,
    /// Hands this pair's copy rows over to the pairs that relate to its source.
    pub(super) publisher: Option<Publisher>,
    /// What may never be synced, checked on each side's schema as it is read.
    pub(super) protected: Arc<Protected>,
    /// Where the pair reports its progress (set by the pass that runs it).
    pub(super) progress: PairProgress,
}

/// The pairs of the registry, and why the others are left out.
pub(super) fn candidates(
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
    let duplicates = report.duplicates(registry);
    let name_of = |db: PageId, env: PageId| {
        let db = registry.database(db).map_or("?", |d| d.name.as_str());
        let env = registry.environment(env).map_or("?", |e| e.name.as_str());
        format!("{db} → {env}")
    };
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
            let needs = |reason: String, cause, fix: &str| {
                PairReport::needs_person(pair.clone(), reason, Attention::new(cause, fix))
            };
            let Some(resolved) = db_audit.resolved else {
                skipped.push(needs(
                    "the database's IDs do not resolve to one data source (see the audit)".into(),
                    Cause::DatabaseUnresolved,
                    "make the row's Data Source ID, Database ID or Database URL name one database \
                     the control integration can read (the audit's findings for the row say \
                     which), or set its Sync to No Sync",
                ));
                continue;
            };
            if let Some(reason) = &db_audit.refused {
                skipped.push(needs(
                    Error::Protected(reason.clone()).to_string(),
                    Cause::Protected,
                    "set the row's Sync to No Sync: the registry's own tables and tables that \
                     hold tokens are never copied",
                ));
                continue;
            }
            if duplicates.control_workspace.contains(&env.row) {
                skipped.push(needs(
                    "the environment's token belongs to the control workspace: the copy would \
                     land in the control workspace itself"
                        .into(),
                    Cause::ControlWorkspace,
                    "put the token of the client's own workspace in the environment's \
                     Primary-Token, or remove the row from system-environments",
                ));
                continue;
            }
            if let Some((db, env)) = duplicates.pairs.get(&(entry.row, env.row)) {
                skipped.push(needs(
                    format!(
                        "the pair {} makes this copy (the same data source, the same workspace): \
                         it is made once",
                        name_of(*db, *env)
                    ),
                    Cause::Duplicate,
                    "keep one system-environments row per workspace and one system-databases row \
                     per database (the audit's environment.same-workspace and database.duplicate \
                     findings name them)",
                ));
                continue;
            }
            let env_client = match (
                &env_audit.token,
                registry.environment(env.row).map(|e| e.token.resolve()),
            ) {
                (crate::audit::TokenHealth::Valid { bot_id, .. }, Some(Ok(Some(token)))) => {
                    // The audit asked who the token is: the sync need not ask again.
                    control.for_token(token).knowing_bot(*bot_id)
                }
                (health, _) => {
                    // Why, when the audit knows (an unset variable, no answer): never the token.
                    let why = match health {
                        crate::audit::TokenHealth::Unreadable { reason }
                        | crate::audit::TokenHealth::Unreachable { reason } => {
                            format!(": {reason}")
                        }
                        _ => String::new(),
                    };
                    skipped.push(needs(
                        format!("the environment's token is {}{why}", health.status_word()),
                        Cause::Token,
                        "give the environment a valid integration token (its Primary-Token, or \
                         the variable its env: reference names), then run again; the audit's \
                         findings for the environment say what is wrong",
                    ));
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
                let (reason, status) = match direction {
                    Direction::Push | Direction::TwoWay => (
                        "the environment has no parent page (see the audit)",
                        Some(&env_audit.parent_page),
                    ),
                    Direction::Pull => (
                        "the control workspace has no parent page (see the audit)",
                        primary.map(|p| &p.parent_page),
                    ),
                };
                let reason = match status {
                    Some(crate::audit::ParentPageStatus::InTrash { page }) => {
                        format!("the parent page {page} is in Notion's trash (see the audit)")
                    }
                    _ => reason.to_owned(),
                };
                let fix = match status {
                    Some(crate::audit::ParentPageStatus::InTrash { .. }) => {
                        "restore the page its Database-Parent-Page-ID names from Notion's trash, \
                         or name another page, then run again"
                    }
                    Some(crate::audit::ParentPageStatus::NotShared { .. }) => {
                        "share the page its Database-Parent-Page-ID names with the environment's \
                         integration (after a change of Primary-Token to another integration: \
                         with that one), or name another page, then run again"
                    }
                    _ => {
                        "record the environment's Database-Parent-Page-ID (`notion-xws repair \
                         --execute` fills it when one page titled database-parent-page is shared \
                         with the integration), then run again"
                    }
                };
                skipped.push(needs(reason, Cause::ParentPage, fix));
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
                source_database: resolved.database,
                target: counted(target),
                target_parent,
                links_client: counted(control),
                counter,
                sides,
                copy_content: entry.copy_content,
                source_schema: None,
                incremental: None,
                may_be_incremental: false,
                covered_claim: None,
                handed_over: HashMap::new(),
                publisher: None,
                protected: Arc::clone(protected),
                progress: PairProgress::default(),
            });
        }
    }
    (ready, skipped)
}

/// The pairs, each with its registry index, in the order of their relations (see
/// [`relation_order`]): each source's schema is read first (once; the pairs use it), unless
/// `audited` holds it; and each pair is given what the pairs it relates to, run before it, will
/// hand over.
pub(super) async fn in_relation_order(
    mut candidates: Vec<Candidate>,
    audited: Option<&crate::audit::AuditReads>,
) -> Vec<(usize, Candidate)> {
    let mut sources: Vec<(DataSourceId, NotionClient)> = Vec::new();
    for c in &candidates {
        if !sources.iter().any(|(ds, _)| *ds == c.source_data_source) {
            sources.push((c.source_data_source, c.source.clone()));
        }
    }
    let schemas: HashMap<DataSourceId, Arc<DataSource>> = stream::iter(sources)
        .map(|(ds, client)| async move {
            match audited.and_then(|reads| reads.source(ds)) {
                Some(schema) => (ds, Ok(schema)),
                None => (ds, client.data_source(ds).await),
            }
        })
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
pub(super) fn related_sources(
    schema: &std::collections::BTreeMap<String, crate::model::PropertyConfig>,
) -> impl Iterator<Item = DataSourceId> + '_ {
    schema.values().filter_map(|config| match &config.config {
        crate::model::PropertyConfigKind::Relation(relation) => relation.data_source_id,
        _ => None,
    })
}

/// Whether any of `candidates` has a watermark recorded (so that it may read incrementally).
pub(super) fn any_watermark(
    candidates: &[(usize, Candidate)],
    links: Option<&crate::sync::links::LinksTable>,
) -> bool {
    candidates.iter().any(|(_, c)| {
        links
            .and_then(|l| l.link_for(&c.pair))
            .is_some_and(|l| l.watermark.is_some())
    })
}

/// Marks the pairs that may read only what changed since their watermark: pairs whose last run
/// finished clean (`synced`, or with only the conflicts its watermark names left open; and that
/// no claim lapsed unreleased since, in `unfinished`) and that are not
/// due a full reconcile (see [`watermark`](crate::sync::watermark)).
pub(super) fn mark_incremental(
    candidates: &mut [(usize, Candidate)],
    links: Option<&crate::sync::links::LinksTable>,
    unfinished: &crate::sync::lease::Unfinished,
    options: crate::sync::watermark::IncrementalOptions,
    now: std::time::SystemTime,
) {
    use crate::sync::links::{LinkState, LinkStatus};
    for (_, candidate) in candidates.iter_mut() {
        if candidate.source_schema.is_none() {
            continue;
        }
        candidate.may_be_incremental = true;
        candidate.covered_claim = unfinished.covered(&candidate.pair);
        let Some(link) = links.and_then(|l| l.link_for(&candidate.pair)) else {
            continue;
        };
        // A status that asks a person to settle conflicts left open, and nothing else, is
        // clean when the watermark was recorded with them: their rows are read again.
        let settled = |mark: &crate::sync::watermark::Watermark| {
            mark.open > 0 && link.status == PairReport::open_conflicts_status(mark.open)
        };
        let clean = link.state == LinkState::Done
            && (link.status.status == Some(LinkStatus::Synced)
                || link.watermark.as_ref().is_some_and(settled))
            && !link
                .watermark
                .as_ref()
                .is_some_and(|mark| unfinished.may_have_left(&candidate.pair, mark));
        if crate::sync::watermark::full_reason(link.watermark.as_ref(), clean, options, now)
            .is_none()
        {
            candidate.incremental = link.watermark.clone();
        }
    }
}
