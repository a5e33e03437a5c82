//! The executor: applies a [`PairPlan`], and only that, so that no row is written twice.
//!
//! Writes go out concurrently (each token's rate budget paces them). A write whose outcome is
//! unknown ([`Error::AmbiguousWrite`]: a timeout, a 5xx) is never sent again blindly:
//!
//! - a **create** is settled by looking its correlation key up in the target, after a settle
//!   delay for Notion's read-after-write lag, a few times; only when it is still not there is it
//!   sent again (and when Notion named the page it committed, that page is taken);
//! - an **update** or a **trash** sets values, so sending it again is harmless;
//! - the **target database** names its pair in its description, so it is found again among the
//!   parent page's children.
//!
//! A row write that copies a Notion-hosted file first re-imports it into the target
//! ([`files`](crate::sync::files)); a file that cannot be imported is left out of the write, which
//! goes ahead with the rest of the row, and is reported.
//!
//! The pair's link row is written before the first write (`creating` or `running`) and after the
//! last (`done`, with the counts), so that a run that stops half-way is known to the next one.
//! A run asked to stop ([`stop`](crate::sync::stop)) starts no further row write: the writes in
//! flight finish, the rest are left to the next run (not counted as failed), and the link row
//! stays `running`.

use std::sync::atomic::{AtomicUsize, Ordering};

use futures::stream::{self, StreamExt};
use serde_json::json;

use crate::error::{Error, Result};
use crate::ids::{DataSourceId, DatabaseId, PageId};
use crate::progress::PairProgress;
use crate::rate::with_precedence;
use crate::sync::columns::SOURCE_KEY;
use crate::sync::files::{FailedFile, OnFailure, resolve_hosted_files};
use crate::sync::links::{self};
use crate::sync::one_way::plan::{CreateBodies, PairPlan, RowAction};
use crate::sync::outcome::PairOutcome;
use crate::sync::schema::column_map;
use crate::sync::settle::create_settled;
use crate::sync::target::{PairContext, change_columns, ensure_target, move_copy, update_copy};
use crate::sync::watermark::{read_mark, with_copy};

/// What came of one row write.
enum RowResult {
    Created { row: PageId, settled: bool },
    Updated { settled: bool },
    Trashed { settled: bool },
}

/// What came of one row write, with its hosted files.
struct RowWrite {
    result: Result<RowResult>,
    files_reimported: usize,
    files_failed: Vec<FailedFile>,
}

async fn apply_row(
    action: &RowAction,
    bodies: &CreateBodies,
    ctx: &PairContext<'_>,
    data_source: DataSourceId,
) -> RowWrite {
    let target = &ctx.target;
    let options = &ctx.options;
    let made;
    let (source, properties) = match action {
        RowAction::Create { source } => {
            // Made now, dropped once written.
            made = bodies.body(*source).unwrap_or_default();
            (*source, &made)
        }
        RowAction::Update {
            source, properties, ..
        } => (*source, properties),
        RowAction::Trash { target: row, .. } => {
            // A trash without a mark sets one value: sent again when its outcome is unknown.
            let result = target
                .set_page(*row, json!({ "in_trash": true }))
                .await
                .map(|settled| RowResult::Trashed { settled });
            return RowWrite {
                result,
                files_reimported: 0,
                files_failed: Vec::new(),
            };
        }
    };
    let resolved = resolve_hosted_files(
        properties,
        &ctx.source,
        source,
        target,
        OnFailure::DropFile,
        options,
    )
    .await;
    let result = match action {
        RowAction::Update { target: row, .. } => target
            .set_page_properties(*row, json!(resolved.properties))
            .await
            .map(|settled| RowResult::Updated { settled }),
        _ => create_settled(
            target,
            data_source,
            &resolved.properties,
            SOURCE_KEY,
            source,
            options,
        )
        .await
        .map(|(row, settled)| RowResult::Created { row, settled }),
    };
    // A file counts as re-imported only once the write that attaches it went through.
    let files_reimported = if result.is_ok() { resolved.imported } else { 0 };
    RowWrite {
        result,
        files_reimported,
        files_failed: resolved.failed,
    }
}

/// One row write of a plan, unless the run is stopping (`None`), counted in `done` of
/// `planned` for `progress`.
async fn write_row<'a>(
    action: &'a RowAction,
    ctx: &PairContext<'_>,
    data_source: DataSourceId,
    bodies: &CreateBodies,
    (done, planned): (&AtomicUsize, usize),
    progress: &PairProgress,
) -> (&'a RowAction, Option<RowWrite>) {
    if ctx.stop.is_stopped() {
        return (action, None);
    }
    let result = apply_row(action, bodies, ctx, data_source).await;
    let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
    progress.writing(finished, planned);
    (action, Some(result))
}

/// Takes what came of one row write into the pair's outcome: its count, the row it made, its
/// files and errors.
fn take_in(outcome: &mut PairOutcome, action: &RowAction, write: RowWrite) {
    let row = match action {
        RowAction::Create { source, .. } => format!("create of source row {source}"),
        RowAction::Update { target, .. } => format!("update of target row {target}"),
        RowAction::Trash { target, .. } => format!("trash of target row {target}"),
    };
    outcome.files_reimported += write.files_reimported;
    outcome.files_not_copied += write.files_failed.len();
    for failed in &write.files_failed {
        outcome.errors.push(format!("{row}: {failed}"));
    }
    match write.result {
        Ok(RowResult::Created { row, settled }) => {
            if let RowAction::Create { source, .. } = action {
                outcome.created_rows.push((*source, row));
            }
            outcome.created += 1;
            outcome.settled += usize::from(settled);
        }
        Ok(RowResult::Updated { settled }) => {
            outcome.updated += 1;
            outcome.settled += usize::from(settled);
        }
        Ok(RowResult::Trashed { settled }) => {
            outcome.trashed += 1;
            outcome.settled += usize::from(settled);
        }
        Err(error) => {
            outcome.failed += 1;
            outcome.errors.push(format!("{row}: {error}"));
        }
    }
}

/// Applies one pair's plan, reporting its row writes to `progress` as they finish. Nothing is
/// written when the plan has no write.
pub async fn apply_pair(
    plan: &PairPlan,
    ctx: &PairContext<'_>,
    progress: &PairProgress,
) -> (PairOutcome, Option<(DatabaseId, DataSourceId)>) {
    let mut outcome = PairOutcome::default();
    let recorded = ctx
        .link
        .as_ref()
        .and_then(|link| link.target_database.zip(link.target_data_source));
    if !plan.writes_anything(recorded) {
        return (outcome, plan.target);
    }
    if !plan.needs_lease(recorded) {
        // Only how far the pair read: its link row, one write.
        if let (Some((mark, _)), Some(link)) = (&plan.watermark, &ctx.link)
            && let Err(error) = links::record_watermark(ctx.control, link.row, mark).await
        {
            outcome
                .errors
                .push(format!("recording the watermark in the link: {error}"));
        }
        return (outcome, plan.target);
    }
    progress.writing(0, plan.rows.len());
    let prepared = async {
        let (target, link) =
            ensure_target(&plan.pair, plan.create_target.as_ref(), plan.target, ctx).await?;
        let mut notes = Vec::new();
        // The map of a new copy, or of columns changed now, is read from the copy's schema.
        let created = plan.create_target.is_some();
        let schema =
            change_columns(&ctx.target, target.1, &plan.columns, created, &mut notes).await?;
        let mut watermark = plan.watermark.as_ref().map(|(mark, _)| mark.clone());
        if let (Some(mark), Some(schema)) = (&mut watermark, &schema) {
            mark.key = with_copy(&mark.key, schema);
        }
        let columns = schema
            .map(|schema| column_map(&plan.follow, &schema))
            .or_else(|| plan.record_columns.clone());
        Ok::<_, Error>((target, link, columns, notes, watermark))
    }
    .await;
    let (target, link, columns, watermark) = match prepared {
        Ok((target, link, columns, notes, watermark)) => {
            outcome.notes.extend(notes);
            (target, link, columns, watermark)
        }
        Err(error) => {
            let step = if plan.create_target.is_some() {
                "creating the copy (its link row, then the database)"
            } else if plan.columns.is_empty() {
                "recording the copy in system-sync-links"
            } else {
                "recording the copy and adding its new columns"
            };
            outcome.stopped = Some(format!(
                "{step} failed, so none of the {} row write(s) was attempted: {error}",
                plan.rows.len()
            ));
            outcome.errors.push(error.to_string());
            return (outcome, plan.target);
        }
    };
    outcome.created_target = plan.create_target.is_some();
    if let Some(planned) = &plan.move_target {
        move_copy(&ctx.target, target.0, planned, &mut outcome).await;
    }
    if let Some(update) = &plan.update_target {
        update_copy(&ctx.target, target.0, update, &mut outcome).await;
    }

    let done = AtomicUsize::new(0);
    let planned = plan.rows.len();
    // Each write's future is made when the stream gets to it, and each result taken in as it
    // comes: what the pair holds while writing does not grow with its rows.
    let mut writes = stream::iter(&plan.rows)
        .map(|action| {
            let bodies = &plan.create_bodies;
            write_row(action, ctx, target.1, bodies, (&done, planned), progress)
        })
        .buffer_unordered(ctx.options.concurrency.max(1))
        // Boxed, so that the executor's future is seen to be `Send` (a stream of a closure's
        // futures, held across an await, is not).
        .boxed();
    // Many row writes are bulk: the run's reads and bookkeeping on that token go ahead of them.
    let precedence = crate::sync::options::row_writes_precedence(planned, false);
    let left = with_precedence(precedence, async {
        let mut left = 0;
        while let Some((action, write)) = writes.next().await {
            match write {
                Some(write) => take_in(&mut outcome, action, write),
                None => left += 1,
            }
        }
        left
    })
    .await;
    drop(writes);
    if left > 0 {
        outcome.stopped = Some(ctx.stop.cut_short(left, planned, "row write(s)"));
    }
    outcome.link_row = link.map(|row| (row, false));
    if let (0, None, Some(link)) = (outcome.failed, &outcome.stopped, link) {
        let result = format!(
            "created {}, updated {}, trashed {}, unchanged {}",
            outcome.created, outcome.updated, outcome.trashed, plan.counts.unchanged
        );
        let rows = plan.counts.unchanged + plan.counts.update + outcome.created;
        // A copy made by this run is read next from Notion's clock after its writes: a person
        // had no copy to edit before this run (the next full reconcile is the net for an edit
        // made while it was being written).
        let mut watermark = watermark;
        if let (Some(mark), Some(_)) = (&mut watermark, &plan.create_target) {
            mark.copy = read_mark(ctx.target.server_time(), &mark.copy);
        }
        match links::record_result(
            ctx.control,
            link,
            &result,
            rows,
            columns.as_ref(),
            watermark.as_ref(),
        )
        .await
        {
            Ok(()) => outcome.link_row = Some((link, true)),
            Err(error) => outcome
                .errors
                .push(format!("recording the result in the link: {error}")),
        }
    }
    (outcome, Some(target))
}
