//! One pair, run: read, plan, and (when executing) apply and finish; and the copy rows it hands
//! over to the pairs that relate to it.

use super::SyncOptions;
use super::candidates::Candidate;
use super::sides::{SharedSource, SideError, assemble, locate_target, read_target, waiting};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::error::{Error, Result};
use crate::ids::{DataSourceId, PageId};
use crate::registry::Direction;
use crate::sync::guard::PairStatus;
use crate::sync::links::LinksTable;
use crate::sync::one_way::apply::apply_pair;
use crate::sync::one_way::plan::{PairPlan, PairSnapshot, RowAction, plan_pair};
use crate::sync::options::ProgressFn;
use crate::sync::refs::RowMap;
use crate::sync::refs::reads::{Publisher, RefReads};
use crate::sync::report::{PairOutcome, PairReport, PairState};
use crate::sync::target::{CreateTarget, PairContext, ensure_target};

/// Hands a pair's copy rows over to the pairs that relate to its source: those read (key, row),
/// but the ones the plan trashed, and those created; nothing when the pair has no copy.
pub(super) fn publish(
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
pub(super) fn publish_one_way(
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
pub(super) fn publish_two_way(
    publisher: Option<Publisher>,
    snapshot: &crate::sync::two_way::TwoWaySnapshot,
    plan: &crate::sync::two_way::TwoWayPlan,
    target: Option<DataSourceId>,
    created: &[(PageId, PageId)],
) {
    let read = snapshot
        .environment_rows
        .iter()
        .filter_map(|row| row.link.map(|key| (key, row.content.id)));
    let trashed = plan.actions.iter().filter_map(|action| match action {
        crate::sync::two_way::TwoWayAction::TrashEnvironment { row, .. } => Some(*row),
        _ => None,
    });
    publish(publisher, target, read, trashed, created);
}

/// Reads, plans and (when executing) applies one pair; never fails as a whole: what went wrong
/// is in its report. `links` is the links table (`None`: a one-shot copy that keeps no record).
pub(super) async fn run_pair(
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
                .then(|| crate::sync::content::plan_bodies(&snapshot, &mut plan));
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
                            crate::sync::files::hosted_files_in(properties)
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

/// Reads, plans and (when executing) applies a two-way pair; what went wrong is in its report.
pub(super) async fn run_two_way_pair(
    mut candidate: Candidate,
    links: Option<&LinksTable>,
    reads: &RefReads,
    options: &SyncOptions,
) -> PairReport {
    use crate::sync::two_way::{apply as two_way_apply, read as two_way_read};
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
            crate::sync::content::add_marker_column(
                read.snapshot.environment_schema.as_ref(),
                plan.create_environment.as_mut(),
                &mut plan.environment_add_properties,
            );
            crate::sync::content::bodies_to_check(
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
            crate::sync::links::record_result(ctx.control, link_row, &finished, &result, rows)
                .await?;
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
pub(super) async fn finish(
    report: &mut PairReport,
    outcome: &PairOutcome,
    bodies: Option<&Vec<crate::sync::content::BodyCheck>>,
    candidate: &Candidate,
    options: &SyncOptions,
    guard: Option<String>,
) {
    fill(report, outcome);
    if let Some(checks) = bodies {
        let created = outcome.created_rows.iter().copied().collect();
        let bodies = crate::sync::content::apply_bodies(
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
pub(super) fn failure_of(report: &PairReport) -> Option<String> {
    match (report.failed, report.files_not_copied) {
        (0, 0) => None,
        (0, files) => Some(format!(
            "{files} Notion-hosted file(s) could not be re-imported (see the errors)"
        )),
        (writes, _) => Some(format!("{writes} write(s) failed")),
    }
}

pub(super) fn fill(report: &mut PairReport, outcome: &PairOutcome) {
    report.files_reimported = outcome.files_reimported;
    report.files_not_copied = outcome.files_not_copied;
    report.created = outcome.created;
    report.updated = outcome.updated;
    report.trashed = outcome.trashed;
    report.failed = outcome.failed;
    report.settled = outcome.settled;
    report.errors.extend(outcome.errors.iter().cloned());
}
