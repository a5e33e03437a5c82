//! One pair, run: both pair kinds go through the same steps, on one [`RunContext`].
//!
//! 1. **read**: the target located (its link row, or the marker of a database a stopped run
//!    made), both sides read at once (each within its own token's budget), what may never be
//!    synced refused, and the references made portable between the two workspaces;
//! 2. **plan**: the kind's pure planner, and the page bodies to check when the database copies
//!    its content;
//! 3. **preview** (a dry run, or a plan with nothing to write): the plan's counts in the report;
//!    or **apply**: the kind's executor, then **finish**: the page bodies copied (they need the
//!    rows' IDs), the outcome's counts and the pair's state.
//!
//! Whatever the outcome, the pair hands the rows of its copy over to the pairs that relate to
//! its source ([`publish`]), and its report says what went wrong; a failing pair never stops
//! the others.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::candidates::Candidate;
use super::context::RunContext;
use super::sides::{
    SharedSource, SideError, Trashed, assemble, complete_incremental, locate_target, read_copy,
    read_source, read_target, remade_copy, waiting,
};
use crate::error::{Error, Result};
use crate::ids::{DataSourceId, DatabaseId, PageId};
use crate::progress::Side;
use crate::registry::Direction;
use crate::sync::content::{self, BodyCheck, MentionMap};
use crate::sync::files::hosted_files_in;
use crate::sync::guard::PairStatus;
use crate::sync::lease::Taken;
use crate::sync::links::{self, LinksTable, StatusCells, SyncLink};
use crate::sync::one_way::apply::apply_pair;
use crate::sync::one_way::plan::{PairPlan, PairSnapshot, RowAction, plan_pair};
use crate::sync::outcome::PairOutcome;
use crate::sync::planned::{self, PlannedPair};
use crate::sync::refs::reads::{HandedRows, Publisher};
use crate::sync::refs::{PairRefs, RowMap};
use crate::sync::report::{Attention, Cause, PairReport, PairState};
use crate::sync::schema::column_map;
use crate::sync::target::{
    CreateTarget, PairContext, change_columns, ensure_target, move_copy, update_copy,
};
use crate::sync::two_way::read::TwoWayRead;
use crate::sync::two_way::{LINK_PREFIX, TwoWayAction, TwoWayPlan, TwoWaySnapshot};
use crate::sync::two_way::{apply as two_way_apply, read as two_way_read};
use crate::sync::watermark::{FullNext, MAX_RECHECK, Watermark, advance, read_mark, schema_key};

/// The link of a copy (its database).
fn copy_url(database: DatabaseId) -> String {
    format!("https://www.notion.so/{}", database.simple())
}

/// Reads, plans and (when executing) applies one pair; never fails as a whole: what went wrong
/// is in its report. `source` is the one-way source's shared read (two-way pairs read their
/// control rows themselves, with this environment's link column). With the report, whether the
/// pair finished: false when it took its lease (so may have written) and its link row does not
/// record how it ended (see [`PassLeases::done`](crate::sync::lease::PassLeases::done)).
pub(super) async fn run_pair(
    candidate: Candidate,
    source: SharedSource<'_>,
    run: &RunContext<'_>,
) -> (PairReport, bool) {
    let link = run
        .links
        .and_then(|l| l.link_for(&candidate.pair))
        .map(|l| (l.row, l.status.clone()));
    let mut pair = PairRun {
        report: PairReport::skipped(candidate.pair.clone(), String::new()),
        candidate,
        run,
        link,
        took_lease: false,
        own_claim: None,
        result_recorded: false,
    };
    // The plan is dropped once applied: a run keeps each pair's report, not its plan (whose
    // creates hold a request body a row).
    match pair.candidate.pair.direction {
        Direction::TwoWay => {
            if let Err(error) = pair.two_way().await {
                pair.fail(&error);
            }
        }
        _ => drop(pair.one_way(source).await),
    }
    let status_recorded = pair.record_status().await;
    // A pair that may have written finished when its row holds its result or the status it
    // ended with (one that is not `synced` sends the next run to a full reconcile); not when
    // it was stopped before that.
    let finished = !pair.took_lease || pair.result_recorded || status_recorded;
    let counter = &pair.candidate.counter;
    pair.report.requests = counter.requests.load(Ordering::Relaxed);
    pair.report.writes = counter.writes.load(Ordering::Relaxed);
    pair.candidate.progress.finished(&pair.report);
    (pair.report, finished)
}

/// One pair being run: the pair, the run it belongs to, and its report as the steps fill it.
struct PairRun<'a> {
    candidate: Candidate,
    run: &'a RunContext<'a>,
    report: PairReport,
    /// The pair's link row and the status it holds, as far as this run knows.
    link: Option<(PageId, StatusCells)>,
    /// The pair took its lease: it may write.
    took_lease: bool,
    /// The number of the claim it holds its lease by.
    own_claim: Option<u64>,
    /// Its result (`done`, `synced`) was recorded in its link row.
    result_recorded: bool,
}

impl PairRun<'_> {
    /// The pair's link row as read.
    fn saw_link(&mut self, link: Option<&SyncLink>) {
        if let Some(link) = link {
            self.link = Some((link.row, link.status.clone()));
        }
    }

    /// The link row the pair's writes were recorded in, and whether its result (the status
    /// `synced`) was recorded there.
    fn wrote_link(&mut self, written: Option<(PageId, bool)>) {
        let Some((row, recorded)) = written else {
            return;
        };
        if recorded {
            self.result_recorded = true;
            self.link = Some((row, StatusCells::synced()));
        } else if self.link.as_ref().is_none_or(|(known, _)| *known != row) {
            let empty = StatusCells {
                status: None,
                reason: None,
            };
            self.link = Some((row, empty));
        }
    }

    /// The status step, when the run writes and keeps records (see `status`), and was not
    /// stopped (a stopped run writes nothing more; the next run records the status). Whether
    /// the pair's row holds its status now.
    async fn record_status(&mut self) -> bool {
        let options = self.run.options;
        let (true, Some(links)) = (options.execute, self.run.links) else {
            return false;
        };
        if options.stop.is_stopped() {
            return false;
        }
        let control = &self.candidate.links_client;
        if self.link.is_none() && self.report.link_status().is_some() {
            // A pair that stopped before it knew its row: a row made by this run's first step
            // (before the step that failed) is its row.
            if let Ok(Some(fresh)) = links.fresh_link_for(control, &self.candidate.pair).await {
                self.link = Some((fresh.row, fresh.status));
            }
        }
        super::status::record_status(control, links, &mut self.report, self.link.take()).await
    }

    /// Notes in the watermark the pair is to record the claims its read covers: those that
    /// lapsed unreleased before it began, and the one this run holds the pair by (see
    /// [`Watermark::claim`](crate::sync::watermark::Watermark::claim)). A mark that covers a
    /// claim left unreleased that the one `link` holds does not is worth a write of its own
    /// (else every run would reconcile in full until one writes); this run's own claim is
    /// recorded with the pair's next write.
    fn cover_claims(
        &self,
        mark: &mut Option<(crate::sync::watermark::Watermark, bool)>,
        link: Option<&SyncLink>,
    ) {
        if let Some((mark, alone)) = mark {
            let recorded = link.and_then(|l| l.watermark.as_ref());
            *alone |= mark.cover_claims(self.candidate.covered_claim, recorded);
            mark.cover_claims(self.own_claim, recorded);
        }
    }

    /// The pair failed as a whole: `error` is its state and its error.
    fn fail(&mut self, error: &dyn std::fmt::Display) {
        self.report.state = PairState::Failed(error.to_string());
        self.report.errors.push(error.to_string());
    }

    /// The clients and records the pair is applied with.
    fn context<'s>(
        &'s self,
        links: Option<&'s LinksTable>,
        link: Option<SyncLink>,
    ) -> PairContext<'s> {
        PairContext {
            control: &self.candidate.links_client,
            source: self.candidate.source.clone(),
            target: self.candidate.target.clone(),
            links,
            link,
            options: self.run.options.execute_options,
            stop: self.run.options.stop.clone(),
            claimed: self.took_lease,
        }
    }

    /// A side of the pair is in the trash: nothing is written, and a person restores it (or,
    /// for a copy, has the next run make a new one).
    fn in_trash(&mut self, trashed: &Trashed) {
        let fix = match trashed {
            Trashed::Source => Attention::new(
                Cause::SourceInTrash,
                "restore the source database from Notion's trash (the next run catches its copy \
                 up), or set its row's Sync to No Sync in system-databases",
            ),
            Trashed::Copy(_) => Attention::new(
                Cause::CopyInTrash,
                "restore the copy from the trash of the environment's workspace (the next run \
                 catches it up), or run again with --recreate (Python: recreate=True) to make a \
                 new copy with every row and record it in system-sync-links",
            ),
        };
        self.report.state = PairState::Skipped(format!("{trashed}: nothing was written"));
        self.report.attention = Some(fix);
    }

    /// A plan's verdict on the max-delete guard: the reason it held, if it did.
    fn guard(status: &PairStatus) -> Option<String> {
        match status {
            PairStatus::DeleteGuard(reason) => Some(reason.clone()),
            PairStatus::Ready => None,
        }
    }

    /// The max-delete guard held: the pair's state, and what a person has to do.
    fn guarded(&mut self, reason: String) {
        self.report.state = PairState::Guarded(reason);
        self.report.attention = Some(Attention::new(
            Cause::DeleteGuard,
            "check the source: if it really lost those rows, run again with --allow-mass-delete \
             (Python: allow_mass_delete=True); else restore them in the source",
        ));
    }

    /// With a saved plan (`sync --execute --plan`): whether the pair goes ahead. `check` gets
    /// the pair's saved plan, says what changed since (limiting the plan to the saved actions
    /// when nothing did); a pair the saved plan does not hold is left out, and a pair whose
    /// plan no longer holds fails with what changed, writing nothing.
    fn keep_saved(&mut self, check: impl FnOnce(&PlannedPair) -> Vec<String>) -> bool {
        let Some(saved) = self.run.options.saved_plan.clone() else {
            return true;
        };
        let pair = &self.candidate.pair;
        let Some(planned) = saved.pair(pair.database_row, pair.environment_row) else {
            self.report.state =
                PairState::Skipped("not in the saved plan (the plan left it out)".to_owned());
            return false;
        };
        let changed = check(planned);
        if changed.is_empty() {
            return true;
        }
        self.fail(&crate::Error::PlanStale(changed));
        false
    }

    /// Two-way conflicts left open: what a person has to do, unless something else needs them.
    fn note_open_conflicts(&mut self, open: usize) {
        self.report.open_conflicts = open;
        if open > 0 && self.report.attention.is_none() {
            self.report.attention = Some(Attention::open_conflicts(open));
        }
    }

    /// The preview step: what the plan would write, in the report; the state says whether it
    /// was a dry run (`Planned`), a plan with nothing to write (`Synced`), or held by the guard.
    fn preview(&mut self, counts: [usize; 3], files: Option<usize>, guard: Option<String>) {
        [
            self.report.created,
            self.report.updated,
            self.report.trashed,
        ] = counts;
        if let Some(files) = files {
            self.report.files_reimported = files;
        }
        match (guard, self.run.options.execute) {
            (Some(reason), _) => self.guarded(reason),
            (None, false) => self.report.state = PairState::Planned,
            (None, true) => self.report.state = PairState::Synced,
        }
    }

    // ----- one-way pairs -----

    /// A one-way pair's steps; its plan, when it was read.
    async fn one_way(&mut self, source: SharedSource<'_>) -> Option<PairPlan> {
        let read_at = crate::sync::lease::lease_now();
        let stop = self.run.options.stop.clone();
        let (mut snapshot, mut link) =
            match stop.unless_stopped(self.read_one_way(source.clone())).await {
                None => {
                    self.report.state = PairState::Skipped(stop.skipped_reason());
                    return None;
                }
                Some(Ok(read)) => {
                    self.saw_link(read.1.as_ref());
                    read
                }
                Some(Err(SideError::InTrash(trashed))) => {
                    self.in_trash(&trashed);
                    return None;
                }
                Some(Err(error)) => {
                    self.fail(&error);
                    self.report.attention = unreadable(&error);
                    return None;
                }
            };
        let (mut plan, mut bodies) = self.plan_one_way(&snapshot, link.as_ref());
        let writes = |plan: &PairPlan, link: Option<&SyncLink>, bodies: Option<&Vec<BodyCheck>>| {
            let recorded = link.and_then(|l| l.target_database.zip(l.target_data_source));
            plan.needs_lease(recorded) || bodies.is_some_and(|b| !b.is_empty())
        };
        if self.run.options.execute && writes(&plan, link.as_ref(), bodies.as_ref()) {
            match self.take_lease(read_at).await {
                LeaseStep::Held(true) => {}
                LeaseStep::Stopped => return None,
                LeaseStep::Held(false) => {
                    match self.read_one_way(source).await {
                        Ok(read) => {
                            self.saw_link(read.1.as_ref());
                            (snapshot, link) = read;
                        }
                        Err(error) => {
                            self.fail(&error);
                            self.report.attention = unreadable(&error);
                            return None;
                        }
                    }
                    (plan, bodies) = self.plan_one_way(&snapshot, link.as_ref());
                }
            }
        }
        self.cover_claims(&mut plan.watermark, link.as_ref());
        if !self.keep_saved(|saved| {
            let changed = saved.changes_since(&planned::one_way(&plan, &snapshot));
            if changed.is_empty() {
                planned::keep_saved_one_way(&mut plan, &snapshot, saved);
            }
            changed
        }) {
            return None;
        }
        let guard = Self::guard(&plan.status);
        if self.run.options.execute {
            let ctx = self.context(self.run.links, link);
            let (outcome, target) = apply_pair(&plan, &ctx, &self.candidate.progress).await;
            if let (true, Some((database, _))) = (outcome.created_target, target) {
                self.report.created_url = Some(copy_url(database));
            }
            let publisher = self.candidate.publisher.take();
            publish_one_way(publisher, &snapshot, &plan, target, &outcome.created_rows);
            self.wrote_link(outcome.link_row);
            let own = snapshot
                .target
                .iter()
                .flat_map(|t| t.rows.iter())
                .filter_map(|row| row.key.map(|key| (key, row.id)))
                .chain(outcome.created_rows.iter().copied());
            // Read incrementally, the pair knows the copies of the rows it read only: a body's
            // mentions of other rows are looked up in the copy.
            let lookup = target.filter(|_| plan.incremental).map(|(_, copy)| copy);
            self.finish(
                &outcome,
                bodies.as_ref(),
                guard,
                (&snapshot.refs, own),
                lookup,
            )
            .await;
        } else {
            let target = snapshot
                .target
                .as_ref()
                .map(|t| (t.database, t.data_source));
            publish_one_way(
                self.candidate.publisher.take(),
                &snapshot,
                &plan,
                target,
                &[],
            );
            let files = plan
                .rows
                .iter()
                .map(|action| match action {
                    RowAction::Create { source } => plan
                        .create_bodies
                        .body(*source)
                        .map_or(0, |body| hosted_files_in(&body)),
                    RowAction::Update { properties, .. } => hosted_files_in(properties),
                    RowAction::Trash { .. } => 0,
                })
                .sum();
            if let Some(checks) = &bodies {
                self.report.notes.push(format!(
                    "page content: {} to read (source rows edited since their last copy)",
                    crate::words::count(checks.len(), "body", "bodies")
                ));
            }
            let c = &plan.counts;
            self.preview([c.create, c.update, c.trash], Some(files), guard);
        }
        Some(plan)
    }

    /// Reads a one-way pair: the source (its shared read) and the target at once, then the
    /// references made portable.
    async fn read_one_way(
        &mut self,
        source: SharedSource<'_>,
    ) -> std::result::Result<(PairSnapshot, Option<SyncLink>), SideError> {
        let (candidate, run) = (&self.candidate, self.run);
        candidate.progress.locating();
        let (source, target) = futures::join!(source, read_target(candidate, run));
        let source = source.map_err(SideError::Source)?;
        if source.in_trash {
            return Err(SideError::InTrash(Trashed::Source));
        }
        let (mut target, link) = target?;
        // An incremental read is completed (each side's counterparts of the rows read), or, when
        // it cannot serve (a schema changed, a side read in full), both sides are read in full.
        let mut source = source;
        let mut incremental = None;
        if let (Some(mark), Some(copy)) = (&candidate.incremental, target.as_mut())
            && schema_key(&source.schema, &copy.schema) == mark.key
            && !remade_related(candidate).await
        {
            incremental = complete_incremental(candidate, &source, copy)
                .await
                .map_err(SideError::Target)?;
        }
        if incremental.is_none() {
            if source.since.is_some() {
                let full = read_source(
                    &candidate.source,
                    candidate.source_data_source,
                    (candidate.source_schema.clone(), run.source_databases),
                    &candidate.protected,
                    None,
                    &candidate.progress.rows(Side::Source),
                )
                .await
                .map_err(|e| SideError::Source(Arc::new(e)))?;
                source = Arc::new(full);
            }
            if let Some(copy) = target.as_ref().filter(|t| t.read.since.is_some()) {
                let ids = (copy.database, copy.data_source);
                target = Some(
                    read_copy(candidate, ids, None, None)
                        .await
                        .map_err(SideError::Target)?
                        .ok_or(SideError::InTrash(Trashed::Copy(ids.0)))?,
                );
            }
        }
        // The rows whose references the plan compares: after an incremental read, the copy's
        // rows of the source rows read (not the others it read: this integration's writes).
        let compared = incremental
            .as_ref()
            .map(|(extra, _)| super::sides::compared(&source, extra));
        let rows = source
            .rows
            .iter()
            .chain(incremental.iter().flat_map(|(extra, _)| extra.iter()))
            .chain(target.iter().flat_map(|t| t.rows.iter()).filter(|row| {
                compared
                    .as_ref()
                    .is_none_or(|keys| row.key.is_some_and(|key| keys.contains(&key)))
            }));
        let (mut refs, notes) = run
            .reads
            .pair_refs(
                &candidate.sides,
                &source.schema,
                rows,
                &candidate.handed_over,
                candidate.copy_content,
            )
            .await;
        refs.people_fallback = run.options.people_fallback;
        self.report.notes = notes;
        let snapshot = assemble(
            candidate,
            &source,
            target,
            refs,
            link.as_ref(),
            incremental,
            run.options.incremental.full_every,
        );
        Ok((snapshot, link))
    }

    /// Plans a one-way pair, and the page bodies to check.
    fn plan_one_way(
        &mut self,
        snapshot: &PairSnapshot,
        link: Option<&SyncLink>,
    ) -> (PairPlan, Option<Vec<BodyCheck>>) {
        self.candidate.progress.planning();
        let mut plan = plan_pair(snapshot, self.run.options.plan);
        let bodies = self
            .candidate
            .copy_content
            .then(|| content::plan_bodies(snapshot, &mut plan));
        let report = &mut self.report;
        report.incremental = plan.incremental;
        report.notes.extend(plan.notes.iter().cloned());
        report.waiting = waiting(
            &snapshot.refs,
            snapshot.source_rows.iter(),
            &snapshot.source_schema,
        );
        // Rows whose relations wait are not read again by an incremental run unless they
        // change: the next run reconciles in full, and writes what this one could not.
        let recorded = link
            .and_then(|l| l.watermark.as_ref())
            .and_then(|w| w.full_next);
        if let Some((mark, alone)) = plan.watermark.as_mut() {
            mark.full_next = (report.waiting > 0).then_some(FullNext::Waiting);
            *alone |= mark.full_next != recorded;
        }
        report.unchanged = plan.counts.unchanged;
        report.skipped = plan.counts.foreign;
        report.added_by_hand = plan.added_by_hand.clone();
        if let (Some(planned), false) = (&plan.move_target, self.run.options.execute) {
            report.notes.push(planned.planned_note());
        }
        report.creates_target = plan.create_target.is_some();
        if !self.run.options.execute {
            report.plan = Some(planned::one_way(&plan, snapshot));
        }
        (plan, bodies)
    }

    // ----- two-way pairs -----

    /// A two-way pair's steps; an error fails the pair.
    async fn two_way(&mut self) -> std::result::Result<(), StepFailed> {
        let read_at = crate::sync::lease::lease_now();
        let stop = self.run.options.stop.clone();
        // Boxed, as the read again below: a read's state machine is large (both sides, their
        // completion), and the stack that polls the pair need not hold it.
        let read = Box::pin(self.locate_and_read_two_way());
        let Some(first_read) = stop.unless_stopped(read).await else {
            self.report.state = PairState::Skipped(stop.skipped_reason());
            return Ok(());
        };
        let Some((mut target, mut link, mut read)) = first_read? else {
            return Ok(());
        };
        let (mut plan, mut bodies) = self.plan_two_way(&read);
        if self.run.options.execute && two_way_writes(&plan, target, link.as_ref(), bodies.as_ref())
        {
            match self.take_lease(read_at).await {
                LeaseStep::Held(true) => {}
                LeaseStep::Stopped => return Ok(()),
                LeaseStep::Held(false) => {
                    match Box::pin(self.locate_and_read_two_way()).await? {
                        Some(again) => (target, link, read) = again,
                        None => return Ok(()),
                    }
                    (plan, bodies) = self.plan_two_way(&read);
                }
            }
        }
        if !self.keep_saved(|saved| {
            let changed = saved.changes_since(&planned::two_way(&plan, &read.snapshot));
            if changed.is_empty() {
                planned::keep_saved_two_way(&mut plan, &read.snapshot, saved);
            }
            changed
        }) {
            return Ok(());
        }
        let guard = Self::guard(&plan.status);
        let mut mark = two_way_watermark(
            &self.candidate,
            &read,
            &plan,
            link.as_ref(),
            (
                self.run.options.incremental.full_every,
                self.report.waiting > 0,
            ),
        );
        self.cover_claims(&mut mark, link.as_ref());
        if !self.run.options.execute
            || !two_way_writes(&plan, target, link.as_ref(), bodies.as_ref())
        {
            let execute = self.run.options.execute;
            // Nothing to write but, when it is worth it, how far the pair read.
            if let (true, Some((mark, true)), Some(link)) = (execute, &mark, &link)
                && let Err(error) =
                    links::record_watermark(&self.candidate.links_client, link.row, mark).await
            {
                self.report
                    .notes
                    .push(format!("recording the watermark in the link: {error}"));
            }
            publish_two_way(
                self.candidate.publisher.take(),
                &read.snapshot,
                &plan,
                target.map(|t| t.1),
                &[],
            );
            let c = &plan.counts;
            let counts = [
                c.create_in_environment + c.create_in_control,
                c.update_environment + c.update_control + c.restore,
                c.trash_environment + c.trash_control,
            ];
            let files = (!execute).then(|| two_way_apply::hosted_files_planned(&plan));
            self.preview(counts, files, guard);
            return Ok(());
        }
        let mark = mark.map(|(mark, _)| mark);
        self.apply_two_way(&read, &plan, target, (link, mark), bodies, guard)
            .await
    }

    /// Locates a two-way pair's copy and reads both sides; `None` when a side is in the trash
    /// (the report says which, and what to do). A recorded copy in the trash is read as the
    /// copy a run made again in its place, when there is one; else, when this run recreates
    /// such copies, the pair is read as having no copy (every control row is then made in the
    /// new one).
    async fn locate_and_read_two_way(
        &mut self,
    ) -> std::result::Result<Option<TwoWayLocated>, StepFailed> {
        self.candidate.progress.locating();
        let (mut target, link) = locate_target(&self.candidate, self.run)
            .await
            .map_err(step("locating the copy"))?;
        self.saw_link(link.as_ref());
        let mut read = self
            .read_two_way(target)
            .await
            .map_err(step("reading both sides"))?;
        if read.control_in_trash {
            self.in_trash(&Trashed::Source);
            return Ok(None);
        }
        if let (true, Some((database, _))) = (read.environment_in_trash, target) {
            target = remade_copy(&self.candidate)
                .await
                .map_err(step("looking for a copy made again"))?;
            if target.is_none() && !self.run.options.recreate {
                self.in_trash(&Trashed::Copy(database));
                return Ok(None);
            }
            read = self
                .read_two_way(target)
                .await
                .map_err(step("reading both sides"))?;
        }
        read.snapshot.columns = link.as_ref().map(|l| l.columns.clone()).unwrap_or_default();
        if read.snapshot.incremental.is_some() {
            read.snapshot.incremental =
                Some(link.as_ref().and_then(|l| l.target_rows).unwrap_or(0));
        }
        Ok(Some((target, link, read)))
    }

    /// Reads a two-way pair: both sides (the rows a link names fetched by ID), what may never
    /// be synced refused, and the references made portable.
    async fn read_two_way(
        &mut self,
        target: Option<(DatabaseId, DataSourceId)>,
    ) -> Result<TwoWayRead> {
        let (candidate, run) = (&self.candidate, self.run);
        // The control database, shared by the pairs that sync it with other environments.
        let control_database = match candidate.source_schema.as_deref().map(|s| &s.parent.kind) {
            Some(crate::model::ParentKind::Database(id)) => {
                Some(run.source_databases.get(&candidate.source, *id).await?)
            }
            _ => None,
        };
        // The copy's schema and database, when they were read early (the first read only).
        let read_sides = |since, copy| {
            Box::pin(two_way_read::read_two_way(
                &candidate.pair,
                &candidate.source,
                candidate.source_data_source,
                &candidate.target,
                target,
                (
                    candidate.source_schema.as_deref().cloned(),
                    control_database.clone(),
                    copy,
                ),
                (run.options.execute_options.concurrency, &candidate.progress),
                since,
            ))
        };
        let copy = target.and_then(|ids| run.copy_reads.take(ids));
        let mut read = read_sides(candidate.incremental.as_ref(), copy).await?;
        // A watermark recorded under other schemas (or another version) is not trusted, and a
        // related pair that made a row's copy again may be named by rows that did not change:
        // both sides are read again, in full.
        if let Some(mark) = &candidate.incremental
            && read.snapshot.incremental.is_some()
            && (read_key(&read) != Some(mark.key.clone()) || remade_related(candidate).await)
        {
            read = read_sides(None, None).await?;
        }
        two_way_read::place(&mut read, &candidate.target, candidate.target_parent).await?;
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
        let (refs, notes) = run
            .reads
            .pair_refs(
                &candidate.sides,
                &snapshot.control_schema,
                rows,
                &candidate.handed_over,
                candidate.copy_content,
            )
            .await;
        self.report.notes = notes;
        two_way_read::make_portable(&mut read, refs, &candidate.source, &candidate.target).await?;
        let snapshot = &read.snapshot;
        self.report.waiting = waiting(
            &snapshot.refs,
            snapshot.control_rows.iter().map(|r| &r.content),
            &snapshot.control_schema,
        );
        Ok(read)
    }

    /// Plans a two-way pair, and the page bodies to check (content goes one way only, control
    /// → environment).
    fn plan_two_way(&mut self, read: &TwoWayRead) -> (TwoWayPlan, Option<Vec<BodyCheck>>) {
        self.candidate.progress.planning();
        let options = self.run.options;
        let mut plan = two_way_read::plan(read, options.conflict_policy, options.plan);
        let bodies = self.candidate.copy_content.then(|| {
            content::add_marker_column(
                read.snapshot.environment_schema.as_ref(),
                plan.create_environment.as_mut(),
                &mut plan.environment_columns,
            );
            content::bodies_to_check(
                read.snapshot.control_rows.iter().map(|row| &row.content),
                read.snapshot
                    .environment_rows
                    .iter()
                    .map(|row| &row.content),
            )
        });
        let report = &mut self.report;
        report.notes.extend(plan.notes.iter().cloned());
        report.notes.extend(two_way_apply::conflict_lines(&plan));
        report.conflicts.clone_from(&plan.conflicts);
        if !options.execute {
            report.plan = Some(planned::two_way(&plan, &read.snapshot));
        }
        if let Some(checks) = &bodies {
            report.notes.push(format!(
                "page content is copied one way only, control → environment ({} to read)",
                crate::words::count(checks.len(), "body", "bodies")
            ));
        }
        report.unchanged = plan.counts.unchanged;
        report.incremental = read.snapshot.incremental.is_some();
        report.creates_target = plan.create_environment.is_some();
        if let (Some(planned), false) = (&plan.move_environment, options.execute) {
            report.notes.push(planned.planned_note());
        }
        self.note_open_conflicts(plan.open_conflicts().count());
        (plan, bodies)
    }

    /// Applies a two-way plan: the environment's copy made or recorded, the columns each side
    /// lacks added, the row actions, then the finish and the link row's result.
    async fn apply_two_way(
        &mut self,
        read: &TwoWayRead,
        plan: &TwoWayPlan,
        target: Option<(DatabaseId, DataSourceId)>,
        (link, mark): (Option<SyncLink>, Option<Watermark>),
        bodies: Option<Vec<BodyCheck>>,
        guard: Option<String>,
    ) -> std::result::Result<(), StepFailed> {
        let Some(links) = self.run.links else {
            let error = Error::Config("two-way pairs need the links table".into());
            return Err(step("recording the pair")(error));
        };
        let candidate = &self.candidate;
        candidate.progress.writing(0, plan.actions.len());
        let ctx = self.context(Some(links), link);
        let create = plan
            .create_environment
            .as_ref()
            .map(|properties| CreateTarget {
                parent: candidate.target_parent,
                title: read
                    .control_look
                    .as_ref()
                    .map_or_else(|| read.title.clone(), |l| l.title.clone()),
                description: read
                    .control_look
                    .as_ref()
                    .map(|l| l.description.clone())
                    .unwrap_or_default(),
                icon: read
                    .control_look
                    .as_ref()
                    .and_then(|l| l.portable_icon().cloned()),
                cover: read
                    .control_look
                    .as_ref()
                    .and_then(|l| l.portable_cover().cloned()),
                properties: properties.clone(),
            });
        let (target, link_row) = ensure_target(&candidate.pair, create.as_ref(), target, &ctx)
            .await
            .map_err(step("creating or recording the copy"))?;
        let recorded_in = link_row.map(|row| (row, false));
        let created_url = create.is_some().then(|| copy_url(target.0));
        let control_schema = two_way_apply::add_columns(
            &candidate.source,
            candidate.source_data_source,
            &plan.control_add_properties,
        )
        .await
        .map_err(step("adding the sync's columns to the control database"))?;
        let mut notes = Vec::new();
        // The map of a new copy, or of columns changed now, is read from the copy's schema.
        let created = plan.create_environment.is_some();
        let schema = change_columns(
            &candidate.target,
            target.1,
            &plan.environment_columns,
            created,
            &mut notes,
        )
        .await
        .map_err(step("changing (or reading) the copy's columns"))?;
        // The watermark's key is that of both schemas as this run leaves them.
        let mut mark = mark;
        if let Some(mark) = &mut mark {
            let snapshot = &read.snapshot;
            let control = control_schema.as_ref().unwrap_or(&snapshot.control_schema);
            if let Some(environment) = schema.as_ref().or(snapshot.environment_schema.as_ref()) {
                mark.key = two_way_key(&snapshot.pair, control, environment);
            }
        }
        let columns = schema
            .map(|schema| column_map(&plan.follow, &schema))
            .or_else(|| plan.record_columns.clone());
        let mut outcome = two_way_apply::apply_actions(
            plan,
            &candidate.source,
            candidate.source_data_source,
            &candidate.target,
            target.1,
            (&ctx.options, &ctx.stop),
            &candidate.progress,
        )
        .await;
        outcome.notes.extend(notes);
        if let Some(planned) = &plan.move_environment {
            move_copy(&candidate.target, target.0, planned, &mut outcome).await;
        }
        if let Some(update) = &plan.update_environment {
            update_copy(&candidate.target, target.0, update, &mut outcome).await;
        }
        let control = ctx.control.clone();
        self.report.created_url = created_url;
        publish_two_way(
            self.candidate.publisher.take(),
            &read.snapshot,
            plan,
            Some(target.1),
            &outcome.created_rows,
        );
        self.wrote_link(recorded_in);
        let own = read
            .snapshot
            .environment_rows
            .iter()
            .filter_map(|row| row.link.map(|key| (key, row.content.id)))
            .chain(outcome.created_rows.iter().copied());
        // Read incrementally, the pair knows the environment rows of the rows it read only:
        // a body's mentions of other rows are looked up in the copy (whose rows carry their
        // control row's ID in the same key column as a one-way copy's).
        let lookup = read.snapshot.incremental.is_some().then_some(target.1);
        self.finish(
            &outcome,
            bodies.as_ref(),
            guard,
            (&read.snapshot.refs, own),
            lookup,
        )
        .await;
        if let (0, None, Some(link_row)) = (outcome.failed, &outcome.stopped, link_row) {
            let result = format!(
                "created {}, updated {}, trashed {}, conflicts {}",
                outcome.created, outcome.updated, outcome.trashed, plan.counts.conflicts
            );
            let c = &plan.counts;
            // The control's rows now: those read (read incrementally, those of the last run and
            // the new ones), and those made from the environment's.
            let rows = match read.snapshot.incremental {
                None => read.snapshot.control_rows.len(),
                Some(all) => (all + c.create_in_environment).saturating_sub(c.trash_control),
            } + c.create_in_control;
            // A copy made by this run is read next from Notion's clock after its writes (a
            // person had no copy to edit before this run).
            if let (Some(mark), true) = (&mut mark, created) {
                mark.copy = read_mark(self.candidate.target.server_time(), &mark.copy);
            }
            links::record_result(
                &control,
                link_row,
                &result,
                rows,
                columns.as_ref(),
                mark.as_ref(),
            )
            .await
            .map_err(step("recording the result in system-sync-links"))?;
            self.wrote_link(Some((link_row, true)));
        }
        Ok(())
    }

    // ----- both -----

    /// The lease step, before a pair that has something to write writes it: the pair's lease
    /// taken for this run (when the run keeps leases), or the pair left to the run that holds it.
    /// `read_at` is when the pair's read began: `Held(_, false)` says another run held the pair
    /// since, so the pair must be read and planned again (after Notion's read-after-write lag,
    /// waited here) before it writes.
    async fn take_lease(&mut self, read_at: std::time::SystemTime) -> LeaseStep {
        let stop = &self.run.options.stop;
        if stop.is_stopped() {
            self.report.state = PairState::Skipped(stop.skipped_reason());
            return LeaseStep::Stopped;
        }
        let Some(leases) = self.run.leases else {
            return LeaseStep::Held(true);
        };
        match leases
            .take(&self.candidate.links_client, &self.candidate.pair, stop)
            .await
        {
            Ok(Taken::Held(_)) if stop.is_stopped() => {
                // Stopped while the claim settled: nothing written (the claim is released
                // with the environment's last pair).
                self.report.state = PairState::Skipped(stop.skipped_reason());
                LeaseStep::Stopped
            }
            Ok(Taken::Held(lease)) => {
                self.took_lease = true;
                self.own_claim = lease.number();
                // A pair another run may have left half-written since its watermark was read
                // is read again, in full.
                let interrupted = self
                    .candidate
                    .incremental
                    .as_ref()
                    .is_some_and(|mark| lease.interrupted(mark));
                if interrupted {
                    self.candidate.incremental = None;
                }
                let fresh = !interrupted && !lease.stale_since(read_at);
                if !fresh {
                    // The pair is read again first, which may take long: the claim made sure
                    // to hold for it.
                    if let Err(error) = lease.renew().await {
                        self.fail(&step("renewing the pair's lease in system-sync-leases")(
                            error,
                        ));
                        return LeaseStep::Stopped;
                    }
                    tokio::time::sleep(lease.lag_left()).await;
                }
                LeaseStep::Held(fresh)
            }
            Ok(Taken::Busy(holder)) => {
                self.report.state =
                    PairState::Busy(format!("another run is writing this pair: {holder}"));
                self.report.busy = Some(holder);
                LeaseStep::Stopped
            }
            Err(error) => {
                self.fail(&step("taking the pair's lease in system-sync-leases")(
                    error,
                ));
                LeaseStep::Stopped
            }
        }
    }

    /// The finish step, after a pair's rows were applied: its outcome in the report, the page
    /// bodies copied (they need the rows' IDs; `lookup`: the copy where rows a body mentions
    /// and the read did not list are looked up), and the pair's state.
    async fn finish(
        &mut self,
        outcome: &PairOutcome,
        bodies: Option<&Vec<BodyCheck>>,
        guard: Option<String>,
        (refs, own): (&PairRefs, impl Iterator<Item = (PageId, PageId)>),
        lookup: Option<DataSourceId>,
    ) {
        let report = &mut self.report;
        report.fill(outcome);
        let mut cut_short = None;
        if let Some(checks) = bodies {
            let created = outcome.created_rows.iter().copied().collect();
            let people = self.run.reads.people(&self.candidate.sides).await;
            let databases = self.run.copies.for_pair(&self.candidate.pair);
            let mut mentions = MentionMap::of_pair(people, refs, own, databases);
            if let Some(copy) = lookup {
                mentions = mentions.with_copy_lookup(self.candidate.target.clone(), copy);
            }
            let bodies = content::apply_bodies(
                checks,
                &self.candidate.source,
                &self.candidate.target,
                &created,
                &mentions,
                &self.run.options.execute_options,
                &self.run.options.stop,
            )
            .await;
            if bodies.stopped > 0 {
                let stop = &self.run.options.stop;
                cut_short = Some(stop.cut_short(bodies.stopped, checks.len(), "page body(ies)"));
            }
            // A body that failed only for its files counts as files not copied, not as a write.
            let files_only = bodies.failed.min(bodies.files_not_copied);
            report.failed += bodies.failed - files_only;
            report.files_reimported += bodies.files_reimported;
            report.files_not_copied += bodies.files_not_copied;
            report.errors.extend(bodies.errors.iter().cloned());
            report.notes.extend(bodies.notes());
        }
        if let Some(failure) = report.failure(outcome).or(cut_short) {
            report.state = PairState::Failed(failure);
        } else if let Some(reason) = guard {
            self.guarded(reason);
        } else {
            report.state = PairState::Synced;
        }
    }
}

/// A two-way pair located and read: its copy (when it has one), its link row, what was read.
type TwoWayLocated = (
    Option<(DatabaseId, DataSourceId)>,
    Option<SyncLink>,
    TwoWayRead,
);

/// What the lease step came to.
enum LeaseStep {
    /// This run holds the lease, or keeps none (a one-shot copy); `false`: read and plan
    /// again first.
    Held(bool),
    /// The pair goes no further (stopped, busy or failed; the report says which).
    Stopped,
}

/// The key ([`schema_key`]) of a two-way pair's schemas as read; `None` when it has no copy.
fn read_key(read: &TwoWayRead) -> Option<String> {
    let snapshot = &read.snapshot;
    let environment = snapshot.environment_schema.as_ref()?;
    Some(two_way_key(
        &snapshot.pair,
        &snapshot.control_schema,
        environment,
    ))
}

/// The key ([`schema_key`]) of a two-way pair's schemas: the control's without the link columns
/// of its other environments (which their own pairs add), so that adding an environment does
/// not send the others to a full reconcile.
fn two_way_key(
    pair: &crate::sync::rows::SyncPair,
    control: &std::collections::BTreeMap<String, crate::model::PropertyConfig>,
    environment: &std::collections::BTreeMap<String, crate::model::PropertyConfig>,
) -> String {
    let own = crate::sync::two_way::link_column(pair.environment_row);
    let control: std::collections::BTreeMap<String, crate::model::PropertyConfig> = control
        .iter()
        .filter(|(name, _)| !name.starts_with(LINK_PREFIX) || **name == own)
        .map(|(name, config)| (name.clone(), config.clone()))
        .collect();
    schema_key(&control, environment)
}

/// The watermark a two-way pair records once its plan is applied cleanly, and whether it is
/// worth a write of its own ([`advance`]): the rows of conflicts left open to read again next
/// time, and a full reconcile next when relation values wait for rows not copied yet
/// (`waiting`: rows that do not change are not read again). `None` when the pair cannot read
/// incrementally, or the delete guard held its deletes back (the rows trashed since are then
/// read again).
fn two_way_watermark(
    candidate: &Candidate,
    read: &TwoWayRead,
    plan: &TwoWayPlan,
    link: Option<&SyncLink>,
    (full_every, waiting): (std::time::Duration, bool),
) -> Option<(Watermark, bool)> {
    if !candidate.may_be_incremental || plan.status != PairStatus::Ready {
        return None;
    }
    let snapshot = &read.snapshot;
    // A copy this run makes: its key is taken once it is made (see `apply_two_way`), and it
    // is read next from where the control's read began, or later.
    let key = read_key(read).unwrap_or_default();
    let copy_seen = match &snapshot.environment_schema {
        Some(_) => &read.seen.1,
        None => &read.seen.0,
    };
    let recorded = link.and_then(|l| l.watermark.as_ref());
    let (mut next, mut alone) = advance(
        recorded,
        (&read.seen.0, copy_seen),
        snapshot.incremental.is_none(),
        key,
        (
            snapshot
                .control_rows
                .iter()
                .map(|r| &*r.content.last_edited_time),
            snapshot
                .environment_rows
                .iter()
                .map(|r| &*r.content.last_edited_time),
        ),
        // Every row read is compared: where rows name people or related rows, reading one
        // again costs the users lists and its values past 25.
        (
            full_every,
            if crate::sync::refs::has_references(&snapshot.control_schema) {
                0
            } else {
                crate::client::pagination::PAGE_SIZE as usize
            },
        ),
    );
    let mut recheck: Vec<String> = plan
        .open_conflicts()
        .map(|c| c.control_row.to_string())
        .collect();
    recheck.sort();
    recheck.dedup();
    if recheck.len() > MAX_RECHECK {
        recheck.clear();
        next.full_next = Some(FullNext::Conflicts);
    } else if waiting {
        next.full_next = Some(FullNext::Waiting);
    }
    next.recheck = recheck;
    next.open = plan.open_conflicts().count();
    alone |= recorded.is_some_and(|r| {
        r.recheck != next.recheck || r.open != next.open || r.full_next != next.full_next
    });
    Some((next, alone))
}

/// Whether a two-way plan writes anything: rows, bodies, or the copy to record.
fn two_way_writes(
    plan: &TwoWayPlan,
    target: Option<(DatabaseId, DataSourceId)>,
    link: Option<&SyncLink>,
    bodies: Option<&Vec<BodyCheck>>,
) -> bool {
    let recorded = link.and_then(|l| l.target_database.zip(l.target_data_source));
    !plan.is_empty()
        || bodies.is_some_and(|b| !b.is_empty())
        || (target.is_some() && recorded != target)
}

/// A step of a pair that failed, and why (Notion's error, in its words).
#[derive(Debug, thiserror::Error)]
#[error("{step} failed: {error}")]
struct StepFailed {
    step: &'static str,
    #[source]
    error: Error,
}

/// Names the step an error stopped.
fn step(step: &'static str) -> impl FnOnce(Error) -> StepFailed {
    move |error| StepFailed { step, error }
}

/// What a person has to do about a side that could not be read, when it is theirs to fix: a
/// source unshared or deleted, a recorded copy that cannot be read.
fn unreadable(error: &SideError) -> Option<Attention> {
    match error {
        SideError::Source(error) if matches!(**error, Error::NotFound(_)) => Some(Attention::new(
            Cause::SourceUnreadable,
            "share the source database with the control integration again (or restore it), \
             or set its row's Sync to No Sync",
        )),
        SideError::Target(Error::Registry(_)) => Some(Attention::new(
            Cause::TargetUnreadable,
            "share the copy with the environment's integration again (after a change of \
             Primary-Token to another integration: with that integration), or clear its row in \
             system-sync-links so that the next run makes a new copy; no second copy is made \
             until then",
        )),
        _ => None,
    }
}

/// Whether a pair this one relates to may have made again a copy of a row whose copy was in the
/// trash or gone ([`HandedRows::remade`](crate::sync::refs::reads::HandedRows)): this pair's
/// copy may still name the old one in rows that did not change, and is reconciled in full.
async fn remade_related(candidate: &Candidate) -> bool {
    for published in candidate.handed_over.values() {
        if published.clone().await.is_some_and(|handed| handed.remade) {
            return true;
        }
    }
    false
}

/// What a pair read of its copy, as [`publish`] hands it over.
struct CopyRead<R, T> {
    /// The copy's data source; `None` when the pair has no copy.
    data_source: Option<DataSourceId>,
    /// The rows read, (key, row).
    rows: R,
    /// Whether every row of the copy was read (a full reconcile).
    complete: bool,
    /// Whether the copy existed before this run.
    existed: bool,
    /// The rows the plan trashed.
    trashed: T,
}

/// Hands a pair's copy rows over to the pairs that relate to its source: those read (key, row),
/// but the ones the plan trashed, and those created (`created`, with `remade`: the keys of those
/// whose old copy the pair read as trashed); nothing when the pair has no copy.
fn publish<R, T>(
    publisher: Option<Publisher>,
    read: CopyRead<R, T>,
    created: &[(PageId, PageId)],
    remade: impl Fn(PageId) -> bool,
) where
    R: Iterator<Item = (PageId, PageId)>,
    T: Iterator<Item = PageId>,
{
    let Some(publisher) = publisher else {
        return;
    };
    let trashed: HashSet<PageId> = read.trashed.collect();
    // A full read lists no copy in the trash: any row it makes in a copy that existed may be
    // one made again.
    let remade = read.existed
        && match read.complete {
            true => !created.is_empty(),
            false => created.iter().any(|(key, _)| remade(*key)),
        };
    publisher.publish(read.data_source.map(|data_source| {
        let rows = read
            .rows
            .filter(|(_, target)| !trashed.contains(target))
            .chain(created.iter().copied());
        HandedRows {
            data_source,
            rows: Arc::new(RowMap::new(rows)),
            complete: read.complete,
            trashed: trashed.into_iter().collect(),
            remade,
        }
    }));
}

/// Hands a one-way pair's copy rows over (see [`publish`]).
fn publish_one_way(
    publisher: Option<Publisher>,
    snapshot: &PairSnapshot,
    plan: &PairPlan,
    target: Option<(DatabaseId, DataSourceId)>,
    created: &[(PageId, PageId)],
) {
    let copy = snapshot.target.as_ref();
    let read = CopyRead {
        data_source: target.map(|t| t.1),
        rows: copy
            .iter()
            .flat_map(|t| t.rows.iter())
            .filter_map(|row| row.key.map(|key| (key, row.id))),
        complete: snapshot.incremental.is_none(),
        existed: copy.is_some(),
        trashed: plan.rows.iter().filter_map(|action| match action {
            RowAction::Trash { target, .. } => Some(*target),
            _ => None,
        }),
    };
    let trashed_keys: HashSet<PageId> = copy
        .iter()
        .flat_map(|t| t.read.trashed_keys.iter().map(|(key, _)| *key))
        .collect();
    publish(publisher, read, created, |key| trashed_keys.contains(&key));
}

/// Hands a two-way pair's environment rows over (see [`publish`]); any row it makes in the
/// environment's copy after an incremental read counts as made again.
fn publish_two_way(
    publisher: Option<Publisher>,
    snapshot: &TwoWaySnapshot,
    plan: &TwoWayPlan,
    target: Option<DataSourceId>,
    created: &[(PageId, PageId)],
) {
    let read = CopyRead {
        data_source: target,
        rows: snapshot
            .environment_rows
            .iter()
            .filter_map(|row| row.link.map(|key| (key, row.content.id))),
        complete: snapshot.incremental.is_none(),
        existed: snapshot.environment_schema.is_some(),
        trashed: plan.actions.iter().filter_map(|action| match action {
            TwoWayAction::TrashEnvironment { row, .. } => Some(*row),
            _ => None,
        }),
    };
    publish(publisher, read, created, |_| true);
}
