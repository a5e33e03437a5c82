//! Two-way pairs, applied: the I/O after the pure [`plan_two_way`](super::plan_two_way).
//!
//! Applying: the plan's actions are grouped by **row pair** (a control row and its environment
//! row). Within a row pair they run in the plan's order — a link after the create it names, the
//! base last — and the first failure stops the rest of that row pair. Different row pairs run at
//! once, at most [`ExecuteOptions::concurrency`] at a time, and a failure in one does not stop
//! the others. That is still safe because the planner decides each row pair from that pair's
//! rows alone, and no action names a row of another pair: a run cut short anywhere leaves each
//! row pair with a prefix of its own actions written, which is what the next run finishes (what
//! was written is then equal on both sides and settles as a false conflict). A create whose
//! outcome is unknown is settled by looking its link up (its key on the environment side, its
//! link column on the control side) before it is sent again, as in the one-way executor.
//! Notion-hosted files are re-imported from the row of the side copied from just before the
//! write that copies them; what that leaves for later (a base fix) stays within the row pair.
//! A trash and its mark ([`TRASHED_BY_SYNC`](super::TRASHED_BY_SYNC)) are one request;
//! its outcome unknown, the row is read before the request is sent again.

use std::collections::HashMap;

use futures::stream::{self, StreamExt};
use serde_json::{Map, Value, json};

use super::{
    BASE_COLUMN, Base, Resolution, RowRef, TwoWayAction, TwoWayPlan, by_row_pair, hash_text,
    link_column,
};
use crate::client::NotionClient;
use crate::error::{Error, Result};
use crate::ids::{DataSourceId, PageId};
use crate::model::params::rich_text_value;
use crate::progress::PairProgress;
use crate::rate::with_precedence;
use crate::sync::columns::SOURCE_KEY;
use crate::sync::columns::key_value;
use crate::sync::files::{OnFailure, hosted_files_in, resolve_hosted_files};
use crate::sync::options::ExecuteOptions;
use crate::sync::outcome::PairOutcome;
use crate::sync::settle::create_settled;
use crate::sync::stop::StopFlag;

/// Adds columns to a data source (sent once more if its outcome is unknown: harmless): its
/// schema after, as Notion answers it; `None` when there was nothing to add.
pub(crate) async fn add_columns(
    client: &NotionClient,
    data_source: DataSourceId,
    columns: &std::collections::BTreeMap<String, Value>,
) -> Result<Option<std::collections::BTreeMap<String, crate::model::PropertyConfig>>> {
    if columns.is_empty() {
        return Ok(None);
    }
    let properties: Map<String, Value> = columns
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let (schema, _) = client
        .change_columns(data_source, json!(properties))
        .await?;
    Ok(Some(schema.properties))
}

/// Trashes a row and writes its mark ([`TRASHED_BY_SYNC`](super::TRASHED_BY_SYNC)) in
/// one request, so that no run leaves the row trashed without its mark, or marked but live. Its
/// outcome unknown, the row is read first: in the trash, it is done (the mark with it, or, had a
/// person trashed it meanwhile, without: as they left it); live, the request is sent again (to a
/// page in the trash, it would be refused, since Notion edits no page in the trash).
async fn trash_marked(
    client: &NotionClient,
    row: PageId,
    properties: &Map<String, Value>,
) -> Result<()> {
    let body = json!({"in_trash": true, "properties": properties});
    // Write::TrashPage: read back when the outcome is unknown.
    match client.update_page_json(row, body.clone()).await {
        Ok(_) => Ok(()),
        Err(Error::AmbiguousWrite { .. }) => {
            if client.page(row).await?.in_trash() {
                return Ok(());
            }
            client.update_page_json(row, body).await.map(drop)
        }
        Err(error) => Err(error),
    }
}

/// How the base of a pair is written after a hosted file could not be copied into one of its
/// rows (the property then keeps, on the side written, the value it had).
#[derive(Debug, Clone, PartialEq)]
enum BaseFix {
    /// The row existed: the pair keeps the base it had, so that the next run sees the property
    /// changed on the side copied from only, and copies it again.
    KeepOld,
    /// The row was just created without these properties: the base records them empty.
    Empty(Vec<String>),
}

/// The row a write copies values from (`true`: a control row), and the values, for the writes
/// that copy values.
fn copied_from(action: &TwoWayAction) -> Option<(bool, PageId, &Map<String, Value>)> {
    match action {
        TwoWayAction::CreateInEnvironment {
            control,
            properties,
            ..
        }
        | TwoWayAction::UpdateEnvironment {
            control,
            properties,
            ..
        }
        | TwoWayAction::RestoreEnvironment {
            control,
            properties,
            ..
        } => Some((true, *control, properties)),
        TwoWayAction::CreateInControl {
            environment,
            properties,
        }
        | TwoWayAction::UpdateControl {
            environment,
            properties,
            ..
        }
        | TwoWayAction::RestoreControl {
            environment,
            properties,
            ..
        } => Some((false, *environment, properties)),
        _ => None,
    }
}

/// `properties` with the base of the pair written as `fix` says: `None` when the write has
/// nothing left to write.
fn with_fixed_base(
    properties: &Map<String, Value>,
    base: &Base,
    fix: Option<&BaseFix>,
) -> Option<Map<String, Value>> {
    let mut properties = properties.clone();
    match fix {
        None => {}
        Some(BaseFix::KeepOld) => {
            properties.remove(BASE_COLUMN);
        }
        Some(BaseFix::Empty(names)) => {
            let mut base = base.clone();
            let empty = hash_text(&crate::sync::values::empty("files").to_string());
            for name in names {
                base.hashes.insert(name.clone(), empty);
            }
            properties.insert(BASE_COLUMN.to_owned(), base.property_value());
        }
    }
    (!properties.is_empty()).then_some(properties)
}

/// Both sides of a pair, as the writes need them.
#[derive(Debug, Clone, Copy)]
struct Sides<'a> {
    control: &'a NotionClient,
    control_source: DataSourceId,
    environment: &'a NotionClient,
    environment_source: DataSourceId,
    link: &'a str,
    options: &'a ExecuteOptions,
    stop: &'a StopFlag,
}

/// What the writes of one row pair pass on to the later ones.
#[derive(Debug, Default)]
struct RowPairState {
    /// The rows this row pair's creates made, by the row of the other side they were made for.
    created: HashMap<PageId, PageId>,
    /// Base fixes still to apply, by environment row.
    fixes: HashMap<PageId, BaseFix>,
}

/// Applies one action, counting it in `outcome`. A write that copies a Notion-hosted file
/// re-imports it first ([`files`](crate::sync::files)); a property whose file could not be imported
/// is left out of the write and the pair's base written so that the next run copies it again.
async fn apply_one(
    action: &TwoWayAction,
    sides: Sides<'_>,
    state: &mut RowPairState,
    outcome: &mut PairOutcome,
) -> Result<()> {
    let Sides {
        control,
        control_source,
        environment,
        environment_source,
        link,
        options,
        stop: _,
    } = sides;
    let resolve = |r: &RowRef, created: &HashMap<PageId, PageId>| match r {
        RowRef::Page(id) => Some(*id),
        RowRef::CreatedFor(id) => created.get(id).copied(),
    };
    let RowPairState { created, fixes } = state;
    let mut imported = 0;
    let mut dropped = Vec::new();
    let written: Option<Map<String, Value>> = match copied_from(action) {
        None => None,
        Some((from_control, row, properties)) => {
            let (from, to) = if from_control {
                (control, environment)
            } else {
                (environment, control)
            };
            let resolved =
                resolve_hosted_files(properties, from, row, to, OnFailure::DropProperty, options)
                    .await;
            imported = resolved.imported;
            outcome.files_not_copied += resolved.failed.len();
            for failed in &resolved.failed {
                outcome
                    .errors
                    .push(format!("{} of row {row}: {failed}", describe(action)));
            }
            dropped = resolved.dropped_properties;
            Some(resolved.properties.into_owned())
        }
    };
    let values =
        |fallback: &Map<String, Value>| written.clone().unwrap_or_else(|| fallback.clone());
    match action {
        TwoWayAction::CreateInEnvironment {
            control: row,
            properties,
            base,
        } => {
            let fix = (!dropped.is_empty()).then(|| BaseFix::Empty(dropped.clone()));
            let properties =
                with_fixed_base(&values(properties), base, fix.as_ref()).unwrap_or_default();
            let (id, settled) = create_settled(
                environment,
                environment_source,
                &properties,
                SOURCE_KEY,
                *row,
                options,
            )
            .await?;
            created.insert(*row, id);
            outcome.created_rows.push((*row, id));
            outcome.created += 1;
            outcome.settled += usize::from(settled);
        }
        TwoWayAction::CreateInControl {
            environment: row,
            properties,
        } => {
            if !dropped.is_empty() {
                fixes.insert(*row, BaseFix::Empty(dropped.clone()));
            }
            let (id, settled) = create_settled(
                control,
                control_source,
                &values(properties),
                link,
                *row,
                options,
            )
            .await?;
            created.insert(*row, id);
            outcome.created_rows.push((id, *row));
            outcome.created += 1;
            outcome.settled += usize::from(settled);
        }
        TwoWayAction::LinkControlRow {
            control: row,
            environment: other,
        } => {
            let other = resolve(other, created)
                .ok_or_else(|| Error::Config("the row to link was not created".into()))?;
            control
                .set_page(
                    *row,
                    json!({"properties": {link: rich_text_value(&other.to_string())}}),
                )
                .await?;
        }
        TwoWayAction::LinkEnvironmentRow {
            environment: row,
            control: other,
            properties,
            base,
        } => {
            let other = resolve(other, created)
                .ok_or_else(|| Error::Config("the row to link was not created".into()))?;
            let mut properties =
                with_fixed_base(properties, base, fixes.remove(row).as_ref()).unwrap_or_default();
            properties.insert(SOURCE_KEY.to_owned(), key_value(other));
            environment
                .set_page_properties(*row, json!(properties))
                .await?;
        }
        TwoWayAction::UpdateControl {
            row,
            environment: other,
            properties,
        } => {
            if !dropped.is_empty() {
                fixes.insert(*other, BaseFix::KeepOld);
            }
            let properties = values(properties);
            if !properties.is_empty() {
                control.set_page_properties(*row, json!(properties)).await?;
            }
            outcome.updated += 1;
        }
        TwoWayAction::UpdateEnvironment {
            row,
            properties,
            base,
            ..
        } => {
            let fix = fixes
                .remove(row)
                .or_else(|| (!dropped.is_empty()).then_some(BaseFix::KeepOld));
            if let Some(properties) = with_fixed_base(&values(properties), base, fix.as_ref()) {
                environment
                    .set_page_properties(*row, json!(properties))
                    .await?;
            }
            outcome.updated += 1;
        }
        TwoWayAction::WriteBase {
            row,
            properties,
            base,
            ..
        } => {
            if let Some(properties) = with_fixed_base(properties, base, fixes.remove(row).as_ref())
            {
                environment
                    .set_page_properties(*row, json!(properties))
                    .await?;
            }
        }
        TwoWayAction::TrashEnvironment {
            row, properties, ..
        } => {
            trash_marked(environment, *row, properties).await?;
            outcome.trashed += 1;
        }
        TwoWayAction::TrashControl {
            row, properties, ..
        } => {
            trash_marked(control, *row, properties).await?;
            outcome.trashed += 1;
        }
        TwoWayAction::RestoreControl {
            row,
            environment: other,
            properties,
        } => {
            if !dropped.is_empty() {
                fixes.insert(*other, BaseFix::KeepOld);
            }
            control
                .set_page(
                    *row,
                    json!({"in_trash": false, "properties": values(properties)}),
                )
                .await?;
            outcome.updated += 1;
        }
        TwoWayAction::RestoreEnvironment {
            row,
            properties,
            base,
            ..
        } => {
            let fix = (!dropped.is_empty()).then_some(BaseFix::KeepOld);
            let properties =
                with_fixed_base(&values(properties), base, fix.as_ref()).unwrap_or_default();
            environment
                .set_page(*row, json!({"in_trash": false, "properties": properties}))
                .await?;
            outcome.updated += 1;
        }
    }
    outcome.files_reimported += imported;
    Ok(())
}

/// Applies one row pair's actions in order, stopping at the first failure: a link is written
/// only after the row it names was created, and the base only after the values it records.
/// Once the run is asked to stop ([`StopFlag`]), no further action starts; the second number
/// is how many were not attempted. Each action done (and the rest of a row pair a failure
/// stops, given up for this run) is counted in `written`.
async fn apply_row_pair(
    actions: Vec<&TwoWayAction>,
    sides: Sides<'_>,
    written: &Written<'_>,
) -> (PairOutcome, usize) {
    let mut outcome = PairOutcome::default();
    let mut state = RowPairState::default();
    let count = actions.len();
    for (done, action) in actions.into_iter().enumerate() {
        if sides.stop.is_stopped() {
            // The row pair keeps a prefix of its actions, which the next run finishes.
            return (outcome, count - done);
        }
        if let Err(error) = apply_one(action, sides, &mut state, &mut outcome).await {
            outcome.failed += 1;
            outcome
                .errors
                .push(format!("{}: {error}", describe(action)));
            // The rest of this row pair waits for the next run, which plans what is left.
            written.add(count - done);
            break;
        }
        written.add(1);
    }
    (outcome, 0)
}

/// The writes of a plan done so far, reported as they finish.
struct Written<'a> {
    done: std::sync::atomic::AtomicUsize,
    planned: usize,
    progress: &'a PairProgress,
}

impl Written<'_> {
    fn add(&self, n: usize) {
        let done = self.done.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n;
        self.progress.writing(done, self.planned);
    }
}

/// Applies a two-way plan's row actions: each row pair's in order, different row pairs at once
/// (at most [`ExecuteOptions::concurrency`]). A failure stops the rest of its row pair only;
/// `stop`, raised, stops every row pair before its next action (the outcome's `stopped` says
/// how many were not attempted). The actions done are reported to `progress` as they finish.
pub(crate) async fn apply_actions(
    plan: &TwoWayPlan,
    control: &NotionClient,
    control_source: DataSourceId,
    environment: &NotionClient,
    environment_source: DataSourceId,
    (options, stop): (&ExecuteOptions, &StopFlag),
    progress: &PairProgress,
) -> PairOutcome {
    let link = link_column(plan.pair.environment_row);
    let sides = Sides {
        control,
        control_source,
        environment,
        environment_source,
        link: &link,
        options,
        stop,
    };
    let written = Written {
        done: Default::default(),
        planned: plan.actions.len(),
        progress,
    };
    // (The futures are made first, then run, so that the caller's future stays `Send`.)
    let row_pairs: Vec<_> = by_row_pair(&plan.actions)
        .into_iter()
        .map(|actions| apply_row_pair(actions, sides, &written))
        .collect();
    // Many row writes go behind the run's reads and bookkeeping, and ahead of the one-way pairs'
    // many writes: a row created in the environment is linked from the control's row, on the
    // control's token, the busiest of an agency's (see `crate::rate`).
    let outcomes: Vec<(PairOutcome, usize)> = with_precedence(
        crate::sync::options::row_writes_precedence(plan.actions.len(), true),
        stream::iter(row_pairs)
            .buffer_unordered(options.concurrency.max(1))
            // Boxed, so that the executor's future is seen to be `Send`.
            .boxed()
            .collect(),
    )
    .await;
    let mut outcome = PairOutcome::default();
    let left: usize = outcomes.iter().map(|(_, left)| left).sum();
    if left > 0 {
        outcome.stopped = Some(stop.cut_short(left, plan.actions.len(), "row write(s)"));
    }
    for (one, _) in outcomes {
        outcome.created += one.created;
        outcome.updated += one.updated;
        outcome.trashed += one.trashed;
        outcome.settled += one.settled;
        outcome.failed += one.failed;
        outcome.errors.extend(one.errors);
        outcome.files_reimported += one.files_reimported;
        outcome.files_not_copied += one.files_not_copied;
        outcome.created_rows.extend(one.created_rows);
    }
    outcome
}

/// How many Notion-hosted files applying a plan would re-import.
pub(crate) fn hosted_files_planned(plan: &TwoWayPlan) -> usize {
    plan.actions
        .iter()
        .filter_map(copied_from)
        .map(|(_, _, properties)| hosted_files_in(properties))
        .sum()
}

fn describe(action: &TwoWayAction) -> String {
    serde_json::to_value(action)
        .ok()
        .and_then(|v| v.get("action").and_then(|a| a.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "a write".to_owned())
}

/// The conflicts of a plan, in words, for the report.
pub(crate) fn conflict_lines(plan: &TwoWayPlan) -> Vec<String> {
    plan.conflicts
        .iter()
        .map(|c| {
            let what = c.property.as_deref().map_or_else(
                || "the row".to_owned(),
                |p| format!("{p:?}"),
            );
            let how = match c.resolution {
                Resolution::Reported => "left as it is on both sides (reported)",
                Resolution::ControlWon => "the control's value kept",
                Resolution::EnvironmentWon => "the environment's value kept",
                Resolution::Restored => "the trashed row restored with the edit",
            };
            format!(
                "conflict on control row {} / environment row {}: {what} changed on both sides (control: {}, environment: {}); {how}",
                c.control_row,
                c.environment_row,
                c.control_value.as_ref().map_or_else(|| "—".to_owned(), ToString::to_string),
                c.environment_value.as_ref().map_or_else(|| "—".to_owned(), ToString::to_string),
            )
        })
        .collect()
}
