//! What a run is given and what its pairs share: [`SyncOptions`] (how a sync runs, as the
//! command and the Python API set it) and the `RunContext` every pair of a pass runs on.

use serde::Serialize;

use crate::error::Result;
use crate::sync::guard::PlanOptions;
use crate::sync::lease::{LeaseOptions, LeasesTable};
use crate::sync::links::LinksTable;
use crate::sync::options::{ExecuteOptions, ProgressFn};
use crate::sync::refs::PeopleFallback;
use crate::sync::refs::reads::RefReads;
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

/// What every pair of a pass shares: the run's options, the links and leases tables (`None`: a
/// one-shot copy that keeps no record, or a dry run), the reference reads and the progress
/// callback.
pub(super) struct RunContext<'a> {
    /// How the sync runs.
    pub(super) options: &'a SyncOptions,
    /// `system-sync-links`, when the run keeps records.
    pub(super) links: Option<&'a LinksTable>,
    /// `system-sync-leases`, when the run writes and keeps records.
    pub(super) leases: Option<&'a LeasesTable>,
    /// The reads that make references portable, shared by the pairs.
    pub(super) reads: &'a RefReads,
    /// Called as row writes finish.
    pub(super) progress: Option<ProgressFn>,
}
