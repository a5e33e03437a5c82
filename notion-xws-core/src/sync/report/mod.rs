//! The report of a sync: what became of each pair ([`PairReport`], [`PairState`]: its counts,
//! its two-way conflicts as data, the link of a copy it created, in a dry run its plan as data)
//! and of the run ([`RunReport`]: when it started, how long it took, its [`Totals`]), as data,
//! as JSON, as Markdown and as text that fits a terminal; and what a scheduler acts on: each
//! pair's class ([`PairClass`]), what needs a person and how to fix it ([`Attention`]), and the
//! run's exit status ([`RunReport::exit_status`]).
//!
//! | exit status | when |
//! |---|---|
//! | 0 | every pair synced (or planned, in a dry run), or left out by the registry's design |
//! | 1 | something failed: a refused write, a pair that could not be read or applied |
//! | 3 | nothing failed, but a person is needed: a max-delete guard held, a two-way conflict left open, a pair left out for its token, its parent page, its registry row, a protected table, a source or copy that cannot be read or is in the trash, a copy Notion refuses to move under its new parent page |
//!
//! (2 is for usage and configuration errors, which stop a run before it has a report; a saved
//! plan that no longer holds also exits 3, before a write: see
//! [`planned`](crate::sync::planned).)

mod render;

use serde::Serialize;

use super::lease::Holder;
use super::links::{LinkStatus, StatusCells};
use super::one_way::plan::HandRow;
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
    /// Another run holds the pair's lease (this one wrote nothing): who, and since when.
    Busy(String),
}

/// What needs a person, as a stable word (the JSON's `cause`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// The max-delete guard held: the run would trash more of the copy than it may.
    DeleteGuard,
    /// A two-way property changed on both sides, left as it is on both (`--conflicts report`).
    OpenConflicts,
    /// The environment's token is missing, unreadable, refused or could not be checked.
    Token,
    /// There is no page to create the copy under.
    ParentPage,
    /// The registry row's IDs do not resolve to one data source.
    DatabaseUnresolved,
    /// The database is one of the registry's own tables, or holds tokens: never synced.
    Protected,
    /// The source cannot be read: unshared from the integration, or deleted.
    SourceUnreadable,
    /// The copy recorded in `system-sync-links` cannot be read.
    TargetUnreadable,
    /// The source database is in Notion's trash.
    SourceInTrash,
    /// The copy recorded in `system-sync-links` is in Notion's trash.
    CopyInTrash,
    /// The copy lies outside the pair's parent page and Notion refused to move it there.
    TargetMisplaced,
    /// Another pair makes the same copy (the same data source, an environment of the same
    /// workspace): the registry names it twice.
    Duplicate,
    /// The environment's token belongs to the control workspace: never a sync target.
    ControlWorkspace,
}

impl Cause {
    /// Every cause, in the order of the README's table of them.
    pub const ALL: [Self; 13] = [
        Self::DeleteGuard,
        Self::OpenConflicts,
        Self::Token,
        Self::ParentPage,
        Self::DatabaseUnresolved,
        Self::Protected,
        Self::SourceUnreadable,
        Self::TargetUnreadable,
        Self::SourceInTrash,
        Self::CopyInTrash,
        Self::TargetMisplaced,
        Self::Duplicate,
        Self::ControlWorkspace,
    ];
}

/// Why a pair needs a person, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attention {
    /// What is wrong.
    pub cause: Cause,
    /// What to do.
    pub fix: String,
}

impl Attention {
    /// `cause`, fixed by `fix`.
    pub fn new(cause: Cause, fix: impl Into<String>) -> Self {
        Self {
            cause,
            fix: fix.into(),
        }
    }

    /// `open` conflicts of a two-way pair left as they are on both sides (`--conflicts
    /// report`), and what settles them.
    pub fn open_conflicts(open: usize) -> Self {
        Self::new(
            Cause::OpenConflicts,
            format!(
                "{} named in the notes (and the JSON's `conflicts`): make the two sides agree, \
                 or run with --conflicts control-wins, environment-wins or newer-wins",
                crate::words::count(open, "conflict", "conflicts")
            ),
        )
    }
}

/// One pair that needs a person, in the run's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeedsPerson {
    /// The pair (`database → environment`).
    pub pair: String,
    /// What is wrong.
    pub cause: Cause,
    /// The reason the pair's state gives, if any.
    pub reason: Option<String>,
    /// What to do.
    pub fix: String,
}

/// A pair's outcome as a scheduler sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PairClass {
    /// Synced: the copy is up to date.
    Synced,
    /// Planned (a dry run) with nothing that needs a person.
    Planned,
    /// Left out by the registry's design (a database pulled from another environment).
    Skipped,
    /// Another run is writing it (it holds the pair's lease); that run syncs it.
    Busy,
    /// Something failed; a later run may finish it.
    Failed,
    /// A person is needed ([`PairReport::attention`] says what to do).
    NeedsPerson,
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
    /// Those rows, each named (a one-way copy's rows a person added by hand), whether they were
    /// kept or pruned (`--prune`).
    pub added_by_hand: Vec<HandRow>,
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
    /// Two-way conflicts left open (`--conflicts report`), each named in the notes.
    pub open_conflicts: usize,
    /// What needs a person, if anything.
    pub attention: Option<Attention>,
    /// The run that held the pair's lease, when this run left the pair to it.
    pub busy: Option<Holder>,
    /// Whether the pair read only what changed since its watermark (else every row of both
    /// sides: a full reconcile; see [`watermark`](crate::sync::watermark)).
    pub incremental: bool,
    /// A two-way pair's conflicts, each with its rows, property, both values, how it was
    /// settled and since when (also named in the notes).
    pub conflicts: Vec<crate::sync::two_way::Conflict>,
    /// The link of the copy this run created (`None`: no copy was created).
    pub created_url: Option<String>,
    /// In a dry run: the plan as data, every row action and schema change (see
    /// [`planned`](crate::sync::planned)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<crate::sync::planned::PlannedPair>,
}

/// The totals of a run, all pairs together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Pairs in the report.
    pub pairs: usize,
    /// Target rows created (planned, in a dry run).
    pub created: usize,
    /// Target rows updated (planned, in a dry run).
    pub updated: usize,
    /// Target rows trashed (planned, in a dry run).
    pub trashed: usize,
    /// Rows already the same.
    pub unchanged: usize,
    /// Two-way conflicts.
    pub conflicts: usize,
    /// Writes that failed.
    pub failed: usize,
    /// Requests of the pairs.
    pub requests: u64,
    /// Writes of the pairs.
    pub writes: u64,
    /// Copies created.
    pub copies_created: usize,
}

/// The result of a sync (or of its dry run).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    /// Whether nothing was written.
    pub dry_run: bool,
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
    /// Each pair, in the registry's order.
    pub pairs: Vec<PairReport>,
    /// Answers of kinds this library does not know yet (an `object` Notion added), skipped
    /// without failing the run: how many, by what they were
    /// ([`Skipped`](crate::client::Skipped)).
    pub skipped_unknown: std::collections::BTreeMap<String, u64>,
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

    /// The totals, all pairs together.
    pub fn totals(&self) -> Totals {
        Totals {
            pairs: self.pairs.len(),
            created: self.created(),
            updated: self.updated(),
            trashed: self.trashed(),
            unchanged: self.unchanged(),
            conflicts: self.pairs.iter().map(|p| p.conflicts.len()).sum(),
            failed: self.failed(),
            requests: self.requests(),
            writes: self.writes(),
            copies_created: self
                .pairs
                .iter()
                .filter(|p| p.created_url.is_some())
                .count(),
        }
    }

    /// Every row action and schema change of the pairs planned (in a dry run), pair by pair.
    pub fn planned(&self) -> Vec<&crate::sync::planned::PlannedPair> {
        self.pairs.iter().filter_map(|p| p.plan.as_ref()).collect()
    }

    /// A report of a run that started now, with nothing in it yet.
    pub(crate) fn started(dry_run: bool) -> Self {
        Self {
            dry_run,
            started_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            duration_ms: 0,
            pairs: Vec::new(),
            skipped_unknown: Default::default(),
        }
    }

    /// This pass's report followed by `next`'s: the counts of both added up, the next pass's
    /// state, notes and plans as data.
    pub(crate) fn then(mut self, next: RunReport) -> RunReport {
        for pair in next.pairs {
            match self.pairs.iter_mut().find(|p| p.pair == pair.pair) {
                Some(first) => first.absorb(pair),
                None => self.pairs.push(pair),
            }
        }
        self.duration_ms += next.duration_ms;
        for (what, n) in next.skipped_unknown {
            *self.skipped_unknown.entry(what).or_default() += n;
        }
        self
    }

    /// The pairs that need a person, each with what to do, in the registry's order.
    pub fn needs_person(&self) -> Vec<NeedsPerson> {
        self.pairs
            .iter()
            .filter_map(|p| {
                p.attention.as_ref().map(|a| NeedsPerson {
                    pair: p.pair.label(),
                    cause: a.cause,
                    reason: p.reason().map(str::to_owned),
                    fix: a.fix.clone(),
                })
            })
            .collect()
    }

    /// The run's exit status (see the [module documentation](self)): 1 if a pair failed, else 3
    /// if one needs a person, else 0.
    pub fn exit_status(&self) -> i32 {
        let classes: Vec<PairClass> = self.pairs.iter().map(PairReport::class).collect();
        if classes.contains(&PairClass::Failed) {
            1
        } else if classes.contains(&PairClass::NeedsPerson) {
            3
        } else {
            0
        }
    }

    /// The report as pretty JSON: `exit_status`, `needs_person` (each pair that needs a person:
    /// `pair`, `cause`, `reason`, `fix`), `dry_run`, `started_at`, `duration_ms`, `totals` and
    /// the pairs, each with its `class`, its `conflicts` and (in a dry run) its `plan`.
    pub fn to_json(&self) -> String {
        let render = || -> serde_json::Result<String> {
            let mut value = serde_json::to_value(self)?;
            if let Some(pairs) = value.get_mut("pairs").and_then(|p| p.as_array_mut()) {
                for (json, pair) in pairs.iter_mut().zip(&self.pairs) {
                    json["class"] = serde_json::to_value(pair.class())?;
                }
            }
            value["needs_person"] = serde_json::to_value(self.needs_person())?;
            value["totals"] = serde_json::to_value(self.totals())?;
            value["exit_status"] = self.exit_status().into();
            serde_json::to_string_pretty(&value)
        };
        render().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// The report as Markdown.
    pub fn to_markdown(&self) -> String {
        render::render(self, crate::words::Style::Markdown)
    }

    /// The report as plain text, no line wider than `width` (for a terminal).
    pub fn to_text(&self, width: usize) -> String {
        render::render(self, crate::words::Style::Text { width })
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
        self.notes.extend(outcome.notes.iter().cloned());
        match &outcome.moved {
            None => {}
            Some((from, to, None)) => self.notes.push(format!(
                "moved the copy from {from} under the parent page {to}"
            )),
            Some((from, to, Some(error))) => self.misplaced(from, *to, error),
        }
    }

    /// The copy lies outside the pair's parent page and Notion refused to move it there: a
    /// note, and what a person has to do.
    fn misplaced(&mut self, from: &str, to: crate::ids::PageId, error: &str) {
        self.notes.push(format!(
            "the copy lies under {from}, not under the parent page {to}, and Notion refused to \
             move it there: {error}"
        ));
        self.attention.get_or_insert_with(|| {
            Attention::new(
                Cause::TargetMisplaced,
                format!(
                    "make the environment's Database-Parent-Page-ID name a page the copy can \
                     move to (Notion refused page {to}, see the notes: share it with the \
                     environment's integration, or name another page), or move the copy there \
                     by hand; until then the copy stays under {from}"
                ),
            )
        });
    }

    /// Why a pair that was applied failed, if it did: the step before its writes, writes that
    /// failed, or hosted files not copied.
    pub(crate) fn failure(&self, outcome: &PairOutcome) -> Option<String> {
        if let Some(stopped) = &outcome.stopped {
            return Some(stopped.clone());
        }
        match (self.failed, self.files_not_copied) {
            (0, 0) => None,
            (0, files) => Some(format!(
                "{} could not be re-imported (see the errors)",
                crate::words::count(files, "Notion-hosted file", "Notion-hosted files")
            )),
            (writes, _) => Some(format!(
                "{} failed",
                crate::words::count(writes, "write", "writes")
            )),
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
        self.added_by_hand = next.added_by_hand;
        self.notes = next.notes;
        self.waiting = next.waiting;
        self.open_conflicts = next.open_conflicts;
        self.conflicts = next.conflicts;
        self.created_url = self.created_url.take().or(next.created_url);
        self.plan = next.plan.or(self.plan.take());
        self.attention = next.attention.or(self.attention.take());
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
            added_by_hand: Vec::new(),
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
            open_conflicts: 0,
            attention: None,
            busy: None,
            incremental: false,
            conflicts: Vec::new(),
            created_url: None,
            plan: None,
        }
    }

    /// A pair left out for `reason`, which a person has to fix as `attention` says.
    pub(crate) fn needs_person(pair: SyncPair, reason: String, attention: Attention) -> Self {
        Self {
            attention: Some(attention),
            ..Self::skipped(pair, reason)
        }
    }

    /// The pair's outcome as a scheduler sees it: a pair that needs a person is
    /// [`PairClass::NeedsPerson`] whatever its state.
    pub fn class(&self) -> PairClass {
        if self.attention.is_some() {
            return PairClass::NeedsPerson;
        }
        match self.state {
            PairState::Synced => PairClass::Synced,
            PairState::Planned => PairClass::Planned,
            PairState::Skipped(_) => PairClass::Skipped,
            PairState::Failed(_) => PairClass::Failed,
            PairState::Guarded(_) => PairClass::NeedsPerson,
            PairState::Busy(_) => PairClass::Busy,
        }
    }

    /// The status its `system-sync-links` row shows ([`StatusCells`]): from its class (`busy`
    /// and `planned` have none: another run records a busy pair, and a dry run writes
    /// nothing), with the reason its state gives and, when a person is needed, what to do.
    pub fn link_status(&self) -> Option<StatusCells> {
        let status = match self.class() {
            PairClass::Synced => LinkStatus::Synced,
            PairClass::NeedsPerson => LinkStatus::NeedsAttention,
            PairClass::Failed => LinkStatus::Failed,
            PairClass::Skipped => LinkStatus::Skipped,
            PairClass::Busy | PairClass::Planned => return None,
        };
        Some(status_cells(status, self.reason(), self.attention.as_ref()))
    }

    /// The status a two-way pair's link row holds after a run that synced it and left `open`
    /// conflicts (`open` > 0) as they are, and nothing else for a person to do: the status
    /// under which its next run may still read incrementally (see
    /// [`Watermark::open`](crate::sync::watermark::Watermark::open)).
    pub fn open_conflicts_status(open: usize) -> StatusCells {
        status_cells(
            LinkStatus::NeedsAttention,
            None,
            Some(&Attention::open_conflicts(open)),
        )
    }

    /// The reason the pair's state gives, if it gives one.
    pub fn reason(&self) -> Option<&str> {
        match &self.state {
            PairState::Failed(reason)
            | PairState::Skipped(reason)
            | PairState::Guarded(reason)
            | PairState::Busy(reason) => Some(reason),
            PairState::Planned | PairState::Synced => None,
        }
    }
}

/// A link row's status cells: `status`, for the reason a pair's state gives and, when a person
/// is needed, what to do.
fn status_cells(
    status: LinkStatus,
    reason: Option<&str>,
    attention: Option<&Attention>,
) -> StatusCells {
    let reason = match (attention, reason) {
        (Some(attention), Some(reason)) => Some(format!("{reason}\nFix: {}", attention.fix)),
        (Some(attention), None) => Some(format!("Fix: {}", attention.fix)),
        (None, reason) => reason.map(str::to_owned),
    };
    StatusCells::new(status, reason.as_deref())
}
