//! The report of a sync: what became of each pair ([`PairReport`], [`PairState`]) and of the
//! run ([`RunReport`]), as data, as JSON and as Markdown.

mod render;

use serde::Serialize;

use super::one_way::plan::PairPlan;
use super::outcome::PairOutcome;
use super::rows::SyncPair;

/// What became of one pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "reason", rename_all = "snake_case")]
pub enum PairState {
    /// Planned, not applied (a dry run).
    Planned,
    /// Applied with no failure.
    Synced,
    /// Applied, with failures (see the errors).
    Failed(String),
    /// Left out, for this reason.
    Skipped(String),
    /// The max-delete guard tripped: nothing trashed.
    Guarded(String),
}

/// One pair in a [`RunReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PairReport {
    /// The pair.
    pub pair: SyncPair,
    /// What became of it.
    pub state: PairState,
    /// Target rows created (planned, in a dry run).
    pub created: usize,
    /// Target rows updated (planned, in a dry run).
    pub updated: usize,
    /// Target rows trashed (planned, in a dry run).
    pub trashed: usize,
    /// Rows already the same.
    pub unchanged: usize,
    /// Target rows made in the target (without a key), left alone.
    pub skipped: usize,
    /// Writes that failed.
    pub failed: usize,
    /// Writes whose outcome was unknown, settled without a duplicate.
    pub settled: usize,
    /// Notion-hosted files re-imported into the side written (to re-import, in a dry run).
    pub files_reimported: usize,
    /// Notion-hosted files that could not be re-imported (each named in the errors).
    pub files_not_copied: usize,
    /// Requests this pair made (reads and writes of both sides and of its link row, each
    /// counted once as the pair sent it: a retry of the transport's retry layer is not counted
    /// again; the audit that precedes the pairs is not counted here).
    pub requests: u64,
    /// Requests this pair made that write (its link row's included).
    pub writes: u64,
    /// Errors, with reasons.
    pub errors: Vec<String>,
    /// What is not synced and why.
    pub notes: Vec<String>,
    /// Whether the target database was (or would be) created.
    pub creates_target: bool,
    /// Relation values and columns that wait for a related row or database this pass makes
    /// (the sync runs a second pass for them).
    pub waiting: usize,
}

/// The result of a sync (or of its dry run).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    /// Whether nothing was written.
    pub dry_run: bool,
    /// Each pair, in the registry's order.
    pub pairs: Vec<PairReport>,
    /// The plans (in a dry run, what would be done).
    #[serde(skip)]
    pub plans: Vec<PairPlan>,
}

impl RunReport {
    /// Whether a pair failed.
    pub fn has_failures(&self) -> bool {
        self.pairs
            .iter()
            .any(|p| matches!(p.state, PairState::Failed(_)))
    }

    /// All requests of the run's pairs.
    pub fn requests(&self) -> u64 {
        self.pairs.iter().map(|p| p.requests).sum()
    }

    /// All writes of the run's pairs.
    pub fn writes(&self) -> u64 {
        self.pairs.iter().map(|p| p.writes).sum()
    }

    /// Target rows created (planned, in a dry run), all pairs together.
    pub fn created(&self) -> usize {
        self.pairs.iter().map(|p| p.created).sum()
    }

    /// Target rows updated (planned, in a dry run), all pairs together.
    pub fn updated(&self) -> usize {
        self.pairs.iter().map(|p| p.updated).sum()
    }

    /// Target rows trashed (planned, in a dry run), all pairs together.
    pub fn trashed(&self) -> usize {
        self.pairs.iter().map(|p| p.trashed).sum()
    }

    /// Rows already the same on both sides, all pairs together.
    pub fn unchanged(&self) -> usize {
        self.pairs.iter().map(|p| p.unchanged).sum()
    }

    /// Writes that failed, all pairs together.
    pub fn failed(&self) -> usize {
        self.pairs.iter().map(|p| p.failed).sum()
    }

    /// This pass's report followed by `next`'s: the counts of both added up, the next pass's
    /// state, notes and plans.
    pub(crate) fn then(mut self, next: RunReport) -> RunReport {
        for pair in next.pairs {
            match self.pairs.iter_mut().find(|p| p.pair == pair.pair) {
                Some(first) => first.absorb(pair),
                None => self.pairs.push(pair),
            }
        }
        self.plans = next.plans;
        self
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// The report as Markdown.
    pub fn to_markdown(&self) -> String {
        render::markdown(self)
    }
}

impl PairReport {
    /// Takes in what applying the pair's plan did: its counts and its errors.
    pub(crate) fn fill(&mut self, outcome: &PairOutcome) {
        self.files_reimported = outcome.files_reimported;
        self.files_not_copied = outcome.files_not_copied;
        self.created = outcome.created;
        self.updated = outcome.updated;
        self.trashed = outcome.trashed;
        self.failed = outcome.failed;
        self.settled = outcome.settled;
        self.errors.extend(outcome.errors.iter().cloned());
    }

    /// Why a pair that was applied failed, if it did: writes that failed, or hosted files not
    /// copied.
    pub(crate) fn failure(&self) -> Option<String> {
        match (self.failed, self.files_not_copied) {
            (0, 0) => None,
            (0, files) => Some(format!(
                "{files} Notion-hosted file(s) could not be re-imported (see the errors)"
            )),
            (writes, _) => Some(format!("{writes} write(s) failed")),
        }
    }

    /// Takes in the report of the same pair's next pass.
    pub(crate) fn absorb(&mut self, next: PairReport) {
        self.created += next.created;
        self.updated += next.updated;
        self.trashed += next.trashed;
        self.failed += next.failed;
        self.settled += next.settled;
        self.files_reimported += next.files_reimported;
        // The later pass tried the files the earlier one could not copy again.
        self.files_not_copied = next.files_not_copied;
        self.requests += next.requests;
        self.writes += next.writes;
        self.errors.extend(next.errors);
        self.unchanged = next.unchanged;
        self.skipped = next.skipped;
        self.notes = next.notes;
        self.waiting = next.waiting;
        if !matches!(self.state, PairState::Failed(_)) {
            self.state = next.state;
        }
    }

    /// A pair left out, for `reason`, with nothing counted.
    pub(crate) fn skipped(pair: SyncPair, reason: String) -> Self {
        Self {
            pair,
            state: PairState::Skipped(reason),
            created: 0,
            updated: 0,
            trashed: 0,
            unchanged: 0,
            skipped: 0,
            failed: 0,
            settled: 0,
            files_reimported: 0,
            files_not_copied: 0,
            requests: 0,
            writes: 0,
            errors: Vec::new(),
            notes: Vec::new(),
            creates_target: false,
            waiting: 0,
        }
    }
}
