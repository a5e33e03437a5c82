//! The max-delete guard, one rule for both pair kinds: a run that would trash more than
//! [`PlanOptions::max_delete_fraction`] of a pair's synced rows trashes none of them, unless
//! [`PlanOptions::allow_mass_delete`] (`--allow-mass-delete`) says so, and its plan says why
//! ([`PairStatus::DeleteGuard`]).

use serde::Serialize;

/// Knobs of the planner.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PlanOptions {
    /// The largest share of a target's synced rows one run may trash (default 0.5).
    pub max_delete_fraction: f64,
    /// Trash past the guard anyway.
    pub allow_mass_delete: bool,
    /// Trash the rows a person added to a one-way copy (rows without a source key), counted by
    /// the guard with the rest (`--prune`); else they are kept and named in the report.
    pub prune: bool,
    /// Remove the copy's columns whose source column was deleted (`--prune-columns`); else they
    /// are kept with their values and named in the report.
    pub prune_columns: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self {
            max_delete_fraction: 0.5,
            allow_mass_delete: false,
            prune: false,
            prune_columns: false,
        }
    }
}

/// Whether a pair can go ahead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "reason", rename_all = "snake_case")]
pub enum PairStatus {
    /// The plan can be applied.
    Ready,
    /// The pair trashes nothing this run: the max-delete guard tripped.
    DeleteGuard(String),
}

/// Whether the guard holds for a plan that would trash `gone` of a pair's `synced` rows.
pub(crate) fn holds(gone: usize, synced: usize, options: PlanOptions) -> bool {
    synced > 0
        && gone as f64 > options.max_delete_fraction * synced as f64
        && !options.allow_mass_delete
}
