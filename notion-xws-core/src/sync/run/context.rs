//! What a run is given and what its pairs share: [`SyncOptions`] (how a sync runs, as the
//! command and the Python API set it) and the `RunContext` every pair of a pass runs on.

use serde::Serialize;

use std::collections::HashMap;
use std::sync::Arc;

use crate::client::NotionClient;
use crate::error::Result;
use crate::ids::{DatabaseId, PageId};
use crate::model::Database;
use crate::registry::Direction;
use crate::sync::guard::PlanOptions;
use crate::sync::lease::{LeaseOptions, PassLeases};
use crate::sync::links::LinksTable;
use crate::sync::options::ExecuteOptions;
use crate::sync::refs::PeopleFallback;
use crate::sync::refs::reads::RefReads;
use crate::sync::rows::SyncPair;
use crate::sync::stop::StopFlag;
use crate::sync::two_way::ConflictPolicy;

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
    /// How the run takes the lease of each pair it writes (its run ID, how long a lease holds,
    /// whether to wait for another run's).
    pub lease: LeaseOptions,
    /// Make a new copy of a pair whose recorded copy is in Notion's trash (with every row, and
    /// recorded in `system-sync-links`), instead of leaving the pair to a person
    /// (`--recreate`). A copy restored from the trash needs none of this: it is caught up.
    pub recreate: bool,
    /// When pairs read only what changed since their watermark, and when they reconcile in
    /// full (`--full`, `--full-every`).
    pub incremental: crate::sync::watermark::IncrementalOptions,
    /// A saved plan to apply exactly (`sync --execute --plan FILE`): each pair writes only the
    /// actions it holds, and refuses when they no longer hold (see
    /// [`planned`](crate::sync::planned)); `None`: whatever the fresh plan says.
    #[serde(skip)]
    pub saved_plan: Option<Arc<crate::sync::planned::SavedPlan>>,
    /// Raised to stop the run between writes ([`StopFlag`]; never raised by default).
    #[serde(skip)]
    pub stop: StopFlag,
}

impl SyncOptions {
    /// The options a person gives (the command's flags, the Python keyword arguments):
    /// `conflict_policy` is `report`, `control-wins`, `environment-wins` or `newer-wins`;
    /// `people_fallback` is `leave` or `names`. Other words are refused with
    /// [`Error::Config`](crate::Error::Config).
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

/// What every pair of a pass shares: the run's options, the links table and the leases (`None`: a
/// one-shot copy that keeps no record, or a dry run) and the reference reads (each pair reports
/// its progress itself, through its candidate).
pub(super) struct RunContext<'a> {
    /// How the sync runs.
    pub(super) options: &'a SyncOptions,
    /// `system-sync-links`, when the run keeps records.
    pub(super) links: Option<&'a LinksTable>,
    /// The pass's leases in `system-sync-leases`, when the run writes and keeps records.
    pub(super) leases: Option<&'a PassLeases>,
    /// The reads that make references portable, shared by the pairs.
    pub(super) reads: &'a RefReads,
    /// The copies each workspace has of the databases of another, for the mentions of page
    /// content ([`DatabaseCopies`]).
    pub(super) copies: &'a DatabaseCopies,
    /// The databases that hold the pass's sources, read once a pass ([`SourceDatabases`]).
    pub(super) source_databases: &'a SourceDatabases,
    /// The copies' schemas and databases read before the pass's pairs started (the first
    /// pass's, while the audit ran), each taken once.
    pub(super) copy_reads: &'a super::early::CopyReads,
}

/// The databases that hold the pass's sources (whether each is in the trash, and its look), each
/// read once a pass however many pairs copy it, or taken from what the audit read a moment
/// before ([`from_audit`](Self::from_audit)); a read that fails is tried again by the next pair
/// that asks.
#[derive(Debug, Default)]
pub(super) struct SourceDatabases(
    std::sync::Mutex<HashMap<DatabaseId, Arc<tokio::sync::OnceCell<Database>>>>,
);

impl SourceDatabases {
    /// The databases the audit read (the first pass's; `None`: none known yet).
    pub(super) fn from_audit(audited: Option<&crate::audit::AuditReads>) -> Self {
        let known = audited
            .map(crate::audit::AuditReads::databases)
            .unwrap_or_default()
            .into_iter()
            .map(|db| (db.id, Arc::new(tokio::sync::OnceCell::new_with(Some(db)))))
            .collect();
        Self(std::sync::Mutex::new(known))
    }

    /// The database `id`, read with `client` unless the pass knows it already.
    pub(super) async fn get(&self, client: &NotionClient, id: DatabaseId) -> Result<Database> {
        let cell = Arc::clone(
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(id)
                .or_default(),
        );
        cell.get_or_try_init(|| client.database(id)).await.cloned()
    }
}

/// The recorded copies of the run's pairs, by the workspace they were copied into and the
/// way round (`true`: pulled into the control workspace from the environment): source
/// database → copy. Every pair of the registry is here, also when a pass runs only some, so
/// that a body converts the same on every pass.
#[derive(Debug, Default)]
pub(super) struct DatabaseCopies(HashMap<(PageId, bool), Arc<HashMap<DatabaseId, DatabaseId>>>);

impl DatabaseCopies {
    /// The copies of `(environment, pulled, source database, copy)` entries.
    pub(super) fn new(
        entries: impl IntoIterator<Item = (PageId, bool, DatabaseId, DatabaseId)>,
    ) -> Self {
        let mut by_side: HashMap<(PageId, bool), HashMap<DatabaseId, DatabaseId>> = HashMap::new();
        for (environment, pulled, source, copy) in entries {
            by_side
                .entry((environment, pulled))
                .or_default()
                .insert(source, copy);
        }
        Self(by_side.into_iter().map(|(k, v)| (k, Arc::new(v))).collect())
    }

    /// The copies a pair's target workspace has of its source workspace's databases.
    pub(super) fn for_pair(&self, pair: &SyncPair) -> Arc<HashMap<DatabaseId, DatabaseId>> {
        let side = (pair.environment_row, pair.direction == Direction::Pull);
        self.0.get(&side).cloned().unwrap_or_default()
    }
}
