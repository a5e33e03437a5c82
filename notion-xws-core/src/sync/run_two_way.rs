//! Two-way pairs, read and applied: the I/O around the pure [`plan_two_way`].
//!
//! Reading: the control database's rows (with their link column for this environment), the
//! environment's rows (with their key and base), and every row a link or key names that is not
//! live — fetched by ID, since Notion answers for a page in the trash — so that the planner can
//! tell a row trashed on one side from a row never synced. Applying: the plan's actions in order
//! (the control side, then the environment, the base last), one at a time so that a row created
//! on one side is known before the other side's link to it is written. A create whose outcome is
//! unknown is settled by looking its link up (its key on the environment side, its link column on
//! the control side) before it is sent again, as in the one-way executor. Notion-hosted files are
//! re-imported from the row of the side copied from just before the write that copies them.

use std::collections::{HashMap, HashSet};

use futures::TryStreamExt;
use serde_json::{Map, Value, json};

use super::execute::{ExecuteOptions, PairOutcome, create_settled, send_idempotent};
use super::files::{OnFailure, hosted_files_in, resolve_hosted_files};
use super::plan::{SyncPair, key_value};
use super::refs::{PairRefs, RefSide};
use super::run_refs::complete_truncated;
use super::schema::SOURCE_KEY;
use super::two_way::{
    BASE_COLUMN, Base, ConflictPolicy, Resolution, RowRef, TwoWayAction, TwoWayPlan, TwoWayRow,
    TwoWaySnapshot, hash_text, link_column, plan_two_way,
};
use crate::client::NotionClient;
use crate::error::{Error, Result};
use crate::ids::{DataSourceId, PageId};
use crate::model::Page;
use crate::transport::Method;

/// What was read of a two-way pair.
#[derive(Debug)]
pub(crate) struct TwoWayRead {
    /// The planner's input.
    pub(crate) snapshot: TwoWaySnapshot,
    /// The control database's title.
    pub(crate) title: String,
}

/// Every live row of a data source, converted as it is read.
async fn live_rows(
    client: &NotionClient,
    data_source: DataSourceId,
    convert: impl Fn(&Page) -> TwoWayRow,
) -> Result<Vec<TwoWayRow>> {
    client
        .query_all(data_source, None, &[])
        .map_ok(|page| convert(&page))
        .try_collect()
        .await
}

/// The rows named by `wanted` that are not live: fetched by ID; those in the trash are
/// returned, those live after all (read-after-write lag) are added to `live`.
async fn named_rows(
    client: &NotionClient,
    wanted: Vec<PageId>,
    live: &mut Vec<TwoWayRow>,
    convert: impl Fn(&Page) -> TwoWayRow,
) -> Result<Vec<TwoWayRow>> {
    let mut trashed = Vec::new();
    for id in wanted {
        match client.page(id).await {
            Ok(page) if page.in_trash() => trashed.push(convert(&page)),
            Ok(page) => live.push(convert(&page)),
            Err(Error::NotFound(_)) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(trashed)
}

/// Reads both sides of a two-way pair. `target` is the environment's database and data source,
/// when it exists.
pub(crate) async fn read_two_way(
    pair: &SyncPair,
    control: &NotionClient,
    control_source: DataSourceId,
    environment: &NotionClient,
    target: Option<(crate::ids::DatabaseId, DataSourceId)>,
) -> Result<TwoWayRead> {
    let control_schema = control.data_source(control_source).await?;
    let env_row = pair.environment_row;
    let mut control_rows =
        live_rows(control, control_source, |p| TwoWayRow::control(p, env_row)).await?;
    let (environment_schema, mut environment_rows) = match target {
        None => (None, Vec::new()),
        Some((_, data_source)) => (
            Some(environment.data_source(data_source).await?.properties),
            live_rows(environment, data_source, TwoWayRow::environment).await?,
        ),
    };
    let live_control: HashSet<PageId> = control_rows.iter().map(|r| r.content.id).collect();
    let live_environment: HashSet<PageId> = environment_rows.iter().map(|r| r.content.id).collect();
    let missing_environment: Vec<PageId> = control_rows
        .iter()
        .filter_map(|r| r.link)
        .filter(|id| !live_environment.contains(id))
        .collect();
    let missing_control: Vec<PageId> = environment_rows
        .iter()
        .filter_map(|r| r.link)
        .filter(|id| !live_control.contains(id))
        .collect();
    let environment_trashed = if target.is_some() {
        named_rows(
            environment,
            missing_environment,
            &mut environment_rows,
            TwoWayRow::environment,
        )
        .await?
    } else {
        Vec::new()
    };
    let control_trashed = named_rows(control, missing_control, &mut control_rows, |p| {
        TwoWayRow::control(p, env_row)
    })
    .await?;
    Ok(TwoWayRead {
        title: control_schema.title_text(),
        snapshot: TwoWaySnapshot {
            pair: pair.clone(),
            control_schema: control_schema.properties,
            environment_schema,
            control_rows,
            environment_rows,
            control_trashed,
            environment_trashed,
            refs: std::sync::Arc::default(),
        },
    })
}

/// Makes the relation and people values of a pair that was read portable (see
/// [`refs`](super::refs)), reading in full first the values Notion cut at 25 references.
pub(crate) async fn make_portable(
    read: &mut TwoWayRead,
    refs: PairRefs,
    control: &NotionClient,
    environment: &NotionClient,
) -> Result<()> {
    let snapshot = &mut read.snapshot;
    let control_schema = &snapshot.control_schema;
    let references = |schema: &std::collections::BTreeMap<String, crate::model::PropertyConfig>| {
        schema
            .values()
            .any(|c| matches!(c.type_name(), "relation" | "people"))
    };
    if references(control_schema) {
        let rows = snapshot
            .control_rows
            .iter_mut()
            .chain(snapshot.control_trashed.iter_mut());
        complete_truncated(control, control_schema, rows.map(|r| &mut r.content)).await?;
        for row in snapshot
            .control_rows
            .iter_mut()
            .chain(snapshot.control_trashed.iter_mut())
        {
            refs.make_portable(&mut row.content, RefSide::Source, control_schema);
        }
        if let Some(schema) = &snapshot.environment_schema {
            let rows = snapshot
                .environment_rows
                .iter_mut()
                .chain(snapshot.environment_trashed.iter_mut());
            complete_truncated(environment, schema, rows.map(|r| &mut r.content)).await?;
            for row in snapshot
                .environment_rows
                .iter_mut()
                .chain(snapshot.environment_trashed.iter_mut())
            {
                refs.make_portable(&mut row.content, RefSide::Target, schema);
            }
        }
    }
    snapshot.refs = std::sync::Arc::new(refs);
    Ok(())
}

/// Plans a two-way pair that was read.
pub(crate) fn plan(
    read: &TwoWayRead,
    policy: ConflictPolicy,
    options: super::plan::PlanOptions,
) -> TwoWayPlan {
    plan_two_way(&read.snapshot, policy, options)
}

fn rich(text: &str) -> Value {
    json!({"rich_text": [{"type": "text", "text": {"content": text}}]})
}

/// Adds columns to a data source (sent once more if its outcome is unknown: harmless).
pub(crate) async fn add_columns(
    client: &NotionClient,
    data_source: DataSourceId,
    columns: &std::collections::BTreeMap<String, Value>,
) -> Result<()> {
    if columns.is_empty() {
        return Ok(());
    }
    let properties: Map<String, Value> = columns
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    send_idempotent(
        client,
        Method::Patch,
        format!("/v1/data_sources/{data_source}"),
        json!({ "properties": properties }),
    )
    .await
    .map(drop)
}

/// A write that sets values of a row (sent once more if its outcome is unknown: harmless).
async fn patch(client: &NotionClient, row: PageId, body: Value) -> Result<()> {
    send_idempotent(client, Method::Patch, format!("/v1/pages/{row}"), body)
        .await
        .map(drop)
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
            let empty = hash_text(&super::values::empty("files").to_string());
            for name in names {
                base.hashes.insert(name.clone(), empty);
            }
            properties.insert(BASE_COLUMN.to_owned(), base.property_value());
        }
    }
    (!properties.is_empty()).then_some(properties)
}

/// Applies a two-way plan's row actions, in order. `created` collects the rows created, by the
/// row of the other side they were created for. A write that copies a Notion-hosted file
/// re-imports it first ([`files`](super::files)); a property whose file could not be imported
/// is left out of the write and the pair's base written so that the next run copies it again.
pub(crate) async fn apply_actions(
    plan: &TwoWayPlan,
    control: &NotionClient,
    control_source: DataSourceId,
    environment: &NotionClient,
    environment_source: DataSourceId,
    options: &ExecuteOptions,
) -> PairOutcome {
    let mut outcome = PairOutcome::default();
    let mut created: HashMap<PageId, PageId> = HashMap::new();
    // Base fixes still to apply, by environment row.
    let mut fixes: HashMap<PageId, BaseFix> = HashMap::new();
    let link = link_column(plan.pair.environment_row);
    let resolve = |r: &RowRef, created: &HashMap<PageId, PageId>| match r {
        RowRef::Page(id) => Some(*id),
        RowRef::CreatedFor(id) => created.get(id).copied(),
    };
    for action in &plan.actions {
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
                let resolved = resolve_hosted_files(
                    properties,
                    from,
                    row,
                    to,
                    OnFailure::DropProperty,
                    options,
                )
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
        let result: Result<()> = async {
            match action {
                TwoWayAction::CreateInEnvironment {
                    control: row,
                    properties,
                    base,
                } => {
                    let fix = (!dropped.is_empty()).then(|| BaseFix::Empty(dropped.clone()));
                    let properties = with_fixed_base(&values(properties), base, fix.as_ref())
                        .unwrap_or_default();
                    let (id, _) = create_settled(
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
                }
                TwoWayAction::CreateInControl {
                    environment: row,
                    properties,
                } => {
                    if !dropped.is_empty() {
                        fixes.insert(*row, BaseFix::Empty(dropped.clone()));
                    }
                    let (id, _) = create_settled(
                        control,
                        control_source,
                        &values(properties),
                        &link,
                        *row,
                        options,
                    )
                    .await?;
                    created.insert(*row, id);
                    outcome.created += 1;
                }
                TwoWayAction::LinkControlRow {
                    control: row,
                    environment: other,
                } => {
                    let other = resolve(other, &created)
                        .ok_or_else(|| Error::Config("the row to link was not created".into()))?;
                    patch(
                        control,
                        *row,
                        json!({"properties": {link.clone(): rich(&other.to_string())}}),
                    )
                    .await?;
                }
                TwoWayAction::LinkEnvironmentRow {
                    environment: row,
                    control: other,
                    properties,
                    base,
                } => {
                    let other = resolve(other, &created)
                        .ok_or_else(|| Error::Config("the row to link was not created".into()))?;
                    let mut properties =
                        with_fixed_base(properties, base, fixes.remove(row).as_ref())
                            .unwrap_or_default();
                    properties.insert(SOURCE_KEY.to_owned(), key_value(other));
                    patch(environment, *row, json!({ "properties": properties })).await?;
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
                        patch(control, *row, json!({ "properties": properties })).await?;
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
                    if let Some(properties) =
                        with_fixed_base(&values(properties), base, fix.as_ref())
                    {
                        patch(environment, *row, json!({ "properties": properties })).await?;
                    }
                    outcome.updated += 1;
                }
                TwoWayAction::WriteBase {
                    row,
                    properties,
                    base,
                    ..
                } => {
                    if let Some(properties) =
                        with_fixed_base(properties, base, fixes.remove(row).as_ref())
                    {
                        patch(environment, *row, json!({ "properties": properties })).await?;
                    }
                }
                TwoWayAction::TrashEnvironment { row, .. } => {
                    patch(environment, *row, json!({"in_trash": true})).await?;
                    outcome.trashed += 1;
                }
                TwoWayAction::TrashControl { row, .. } => {
                    patch(control, *row, json!({"in_trash": true})).await?;
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
                    patch(
                        control,
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
                    let properties = with_fixed_base(&values(properties), base, fix.as_ref())
                        .unwrap_or_default();
                    patch(
                        environment,
                        *row,
                        json!({"in_trash": false, "properties": properties}),
                    )
                    .await?;
                    outcome.updated += 1;
                }
            }
            Ok(())
        }
        .await;
        if let Err(error) = result {
            outcome.failed += 1;
            outcome
                .errors
                .push(format!("{}: {error}", describe(action)));
            // The order matters within a pair (a link after its create): stop at the first
            // failure; the next run plans what is left.
            break;
        }
        outcome.files_reimported += imported;
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
