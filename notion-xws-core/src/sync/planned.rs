//! The plan as data: what a pair's plan would write, row by row ([`PlannedAction`]: a create, an
//! update with each changed property's value before and after, a trash, a restore) and column by
//! column ([`SchemaStep`]), with the fingerprint of what it was made from ([`Fingerprint`]); and
//! a saved plan ([`SavedPlan`], the file `plan --out` writes), which `sync --execute --plan`
//! applies exactly, or refuses when the world moved since ([`SavedPlan::stale`]).
//!
//! Values are in the canonical form the planners compare ([`values`](super::values)), so a
//! value reads the same whichever side it comes from. A saved plan is plain JSON, versioned
//! ([`PLAN_FORMAT`], [`PLAN_VERSION`]); it holds IDs, names, values and hashes, never a token.
//!
//! Applying a saved plan is as terraform applies its saved plans: the pairs are read and planned
//! again first (a dry run), and each pair's fresh plan is compared with the saved one. Every
//! saved action must be planned again, the same; every row it names must be as it was (its
//! `last_edited_time` and a hash of its values, on both sides); the schema of both sides must
//! be as it was; the registry's pairs must be those planned. Anything else refuses the whole
//! plan before a write, with [`Error::PlanStale`](crate::Error::PlanStale) naming what changed.
//! A plan that holds is applied with the executors, limited to the saved actions: a row made
//! after the plan is not created (it is the next plan's).

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::columns::hash_text;
use super::one_way::plan::{PairPlan, PairSnapshot, RowAction};
use super::rows::RowContent;
use super::two_way::{TwoWayAction, TwoWayPlan, TwoWayRow, TwoWaySnapshot};
use crate::ids::PageId;
use crate::model::PropertyConfig;

/// The `format` of a saved plan file.
pub const PLAN_FORMAT: &str = "notion-xws-plan";

/// The version of the saved plan's shape; a file of another version is refused.
pub const PLAN_VERSION: u32 = 1;

/// What a planned row write does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Creates a row.
    Create,
    /// Writes the properties that differ.
    Update,
    /// Moves a row to the trash.
    Trash,
    /// Takes a row out of the trash.
    Restore,
    /// Writes a two-way row's link or key to its row of the other side (after a create).
    Link,
    /// Writes only a two-way pair's base (both sides already agree).
    Base,
}

/// The database a row or a schema step is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// A one-way pair's copy.
    Target,
    /// A two-way pair's control database.
    Control,
    /// A two-way pair's environment database.
    Environment,
}

/// One property an update changes: its value before (the row written) and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueChange {
    /// The property, by its name on the side written.
    pub property: String,
    /// Its value now, canonical (`null`: not known, a column the plan makes).
    pub before: Value,
    /// The value written, canonical.
    pub after: Value,
}

/// One row write of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedAction {
    /// What it does.
    pub action: ActionKind,
    /// The database written.
    pub side: Side,
    /// The row written (`None`: the row a create makes).
    pub row: Option<PageId>,
    /// The row its values come from (the source row; the other side's row), if any.
    pub from: Option<PageId>,
    /// The row's title (`(untitled)` when empty).
    pub title: String,
    /// For an update: each property changed, with both values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<ValueChange>,
    /// For a trash: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What a schema step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchemaStepKind {
    /// Creates the copy, with these columns.
    CreateDatabase,
    /// Changes the columns (one `PATCH` of the data source: new columns, renames, type
    /// changes, options, formulas; `null` removes one).
    ChangeColumns,
    /// Moves the copy under the pair's parent page.
    MoveDatabase,
    /// Gives the copy the source's title, description, icon or cover.
    UpdateDatabase,
}

/// One schema change of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaStep {
    /// What it does.
    pub step: SchemaStepKind,
    /// The database changed.
    pub side: Side,
    /// The columns, by name: their configuration as request JSON (`null`: removed); for a
    /// move, `parent`; for a database update, the fields written.
    pub columns: Map<String, Value>,
}

/// A row as it was when planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowPrint {
    /// The side the row is on (`source` for a one-way pair's source).
    pub side: String,
    /// Its title.
    pub title: String,
    /// When it was last edited.
    pub last_edited_time: String,
    /// A hash of its values (canonical), in hex.
    pub content: String,
}

/// What a pair's plan was made from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// A hash of both sides' schemas, in hex.
    pub schema: String,
    /// Each row a planned action reads or writes, as it was.
    pub rows: BTreeMap<PageId, RowPrint>,
}

/// One pair's plan as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedPair {
    /// The pair (`database → environment`).
    pub pair: String,
    /// The database's row in `system-databases`.
    pub database_row: PageId,
    /// The environment's row in `system-environments`.
    pub environment_row: PageId,
    /// The schema changes, in order.
    pub schema: Vec<SchemaStep>,
    /// The row writes, in order.
    pub actions: Vec<PlannedAction>,
    /// What the plan was made from.
    pub fingerprint: Fingerprint,
}

impl PlannedPair {
    /// Whether the plan writes nothing.
    pub fn is_empty(&self) -> bool {
        self.schema.is_empty() && self.actions.is_empty()
    }

    /// What changed since `self` was planned, as `fresh` (the same pair planned again) shows:
    /// empty when the saved plan holds.
    pub fn changes_since(&self, fresh: &PlannedPair) -> Vec<String> {
        let mut changed = Vec::new();
        let pair = &self.pair;
        if self.fingerprint.schema != fresh.fingerprint.schema || self.schema != fresh.schema {
            changed.push(format!(
                "{pair}: the schema of a side changed since the plan"
            ));
        }
        for (row, print) in &self.fingerprint.rows {
            match fresh.fingerprint.rows.get(row) {
                Some(now) if now == print => {}
                Some(now) => changed.push(format!(
                    "{pair}: the {} row {:?} ({row}) was edited since the plan (last edited \
                     {} when planned, {} now)",
                    print.side, print.title, print.last_edited_time, now.last_edited_time
                )),
                None => changed.push(format!(
                    "{pair}: the {} row {:?} ({row}) changed since the plan (it is no longer \
                     planned as it was)",
                    print.side, print.title
                )),
            }
        }
        let now: Vec<&PlannedAction> = fresh.actions.iter().collect();
        for action in &self.actions {
            if !now.contains(&action) {
                let row = action.row.or(action.from);
                let known = row
                    .is_some_and(|r| changed.iter().any(|c: &String| c.contains(&r.to_string())));
                if !known {
                    changed.push(format!(
                        "{pair}: the planned {:?} of {:?} ({}) is not planned the same any more",
                        action.action,
                        action.title,
                        row.map_or_else(|| "a new row".to_owned(), |r| r.to_string())
                    ));
                }
            }
        }
        changed
    }
}

/// The options a plan was made with, which its apply uses (the command's flags).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanFlags {
    /// `--client`.
    pub client: Option<String>,
    /// `--allow-mass-delete`.
    pub allow_mass_delete: bool,
    /// `--recreate`.
    pub recreate: bool,
    /// `--prune`.
    pub prune: bool,
    /// `--prune-columns`.
    pub prune_columns: bool,
    /// `--conflicts`.
    pub conflicts: String,
    /// `--people-fallback`.
    pub people_fallback: String,
    /// `--full`.
    pub full: bool,
}

impl PlanFlags {
    /// The sync's options for these flags, writing (`execute`) or not.
    pub fn options(&self, execute: bool) -> crate::error::Result<super::SyncOptions> {
        let mut options = super::SyncOptions::from_args(
            execute,
            self.client.clone(),
            self.allow_mass_delete,
            &self.conflicts,
            &self.people_fallback,
        )?;
        options.recreate = self.recreate;
        options.plan.prune = self.prune;
        options.plan.prune_columns = self.prune_columns;
        options.incremental.full = self.full;
        Ok(options)
    }
}

/// A saved plan: the file `plan --out` writes and `sync --execute --plan` applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedPlan {
    /// Always [`PLAN_FORMAT`].
    pub format: String,
    /// [`PLAN_VERSION`].
    pub version: u32,
    /// When the plan was made (RFC 3339, UTC).
    pub created_at: String,
    /// The options it was made with (its apply uses them).
    pub flags: PlanFlags,
    /// Each pair that was planned (pairs left out are not: the apply leaves them out too).
    pub pairs: Vec<PlannedPair>,
}

impl SavedPlan {
    /// The plan of `report` (a dry run), made with `flags`.
    pub fn new(report: &super::RunReport, flags: PlanFlags) -> Self {
        Self {
            format: PLAN_FORMAT.to_owned(),
            version: PLAN_VERSION,
            created_at: report.started_at.clone(),
            flags,
            pairs: report.pairs.iter().filter_map(|p| p.plan.clone()).collect(),
        }
    }

    /// The plan as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// Reads a saved plan; another format or version is a configuration error.
    pub fn from_json(text: &str) -> crate::error::Result<Self> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| crate::Error::Config(format!("the plan file is not JSON: {e}")))?;
        if value.get("format").and_then(Value::as_str) != Some(PLAN_FORMAT) {
            return Err(crate::Error::Config(
                "the file is not a notion-xws plan (write one with `notion-xws plan --out FILE`)"
                    .to_owned(),
            ));
        }
        let version = value.get("version").and_then(Value::as_u64);
        if version != Some(u64::from(PLAN_VERSION)) {
            return Err(crate::Error::Config(format!(
                "the plan is of version {}, this notion-xws reads version {PLAN_VERSION}: make \
                 the plan again with this version",
                version.map_or_else(|| "unknown".to_owned(), |v| v.to_string())
            )));
        }
        serde_json::from_value(value)
            .map_err(|e| crate::Error::Config(format!("the plan file is damaged: {e}")))
    }

    /// What changed since the plan, as the pairs `fresh` (the same pairs planned again, a dry
    /// run with the plan's options) show: empty when the plan holds.
    pub fn stale(&self, fresh: &[PlannedPair]) -> Vec<String> {
        let mut changed = Vec::new();
        let key = |p: &PlannedPair| (p.database_row, p.environment_row);
        for saved in &self.pairs {
            match fresh.iter().find(|f| key(f) == key(saved)) {
                Some(now) => changed.extend(saved.changes_since(now)),
                None if saved.is_empty() => {}
                None => changed.push(format!(
                    "{}: the pair is no longer planned (the registry changed, or a side cannot \
                     be read)",
                    saved.pair
                )),
            }
        }
        let planned: HashSet<_> = self.pairs.iter().map(key).collect();
        for now in fresh {
            if !planned.contains(&key(now)) && !now.is_empty() {
                changed.push(format!(
                    "{}: the pair is new since the plan (the registry changed)",
                    now.pair
                ));
            }
        }
        changed
    }

    /// The saved plan of one pair.
    pub fn pair(&self, database_row: PageId, environment_row: PageId) -> Option<&PlannedPair> {
        self.pairs
            .iter()
            .find(|p| p.database_row == database_row && p.environment_row == environment_row)
    }
}

/// A hash of `text` in hex.
fn hex(text: &str) -> String {
    format!("{:016x}", hash_text(text))
}

/// A canonical text as JSON (`null` when it is none).
fn parsed(text: Option<&str>) -> Value {
    text.and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or(Value::Null)
}

/// The name of a schema's title column.
fn title_column(schema: &BTreeMap<String, PropertyConfig>) -> Option<&str> {
    schema
        .iter()
        .find(|(_, config)| config.type_name() == "title")
        .map(|(name, _)| name.as_str())
}

/// A row's title, or `(untitled)`.
fn title_of(row: &RowContent, title: Option<&str>) -> String {
    crate::words::or_untitled(&title.map(|t| row.plain_text(t)).unwrap_or_default()).to_owned()
}

/// A row's print.
fn print(row: &RowContent, side: &str, title: Option<&str>) -> RowPrint {
    let values = serde_json::to_string(&row.values).unwrap_or_default();
    RowPrint {
        side: side.to_owned(),
        title: title_of(row, title),
        last_edited_time: row.last_edited_time.to_string(),
        content: hex(&values),
    }
}

/// A hash of schemas.
fn schema_hash<'a>(
    schemas: impl IntoIterator<Item = Option<&'a BTreeMap<String, PropertyConfig>>>,
) -> String {
    let text: Vec<String> = schemas
        .into_iter()
        .map(|s| {
            s.map_or_else(String::new, |s| {
                serde_json::to_string(s).unwrap_or_default()
            })
        })
        .collect();
    hex(&text.join("\n"))
}

/// The steps of a copy's database on `side`: its move, its title and look, its columns.
fn copy_steps(
    side: Side,
    moved: Option<&crate::sync::target::MoveTarget>,
    update: Option<&crate::model::params::UpdateDatabase>,
    columns: &super::schema::ColumnChanges,
) -> Vec<SchemaStep> {
    let mut steps = Vec::new();
    if let Some(moved) = moved {
        steps.push(SchemaStep {
            step: SchemaStepKind::MoveDatabase,
            side,
            columns: as_map(moved),
        });
    }
    if let Some(update) = update {
        steps.push(SchemaStep {
            step: SchemaStepKind::UpdateDatabase,
            side,
            columns: as_map(update),
        });
    }
    steps.extend(column_steps(columns, side));
    steps
}

/// The column changes as schema steps.
fn column_steps(changes: &super::schema::ColumnChanges, side: Side) -> Vec<SchemaStep> {
    changes
        .steps
        .iter()
        .map(|step| SchemaStep {
            step: SchemaStepKind::ChangeColumns,
            side,
            columns: step.clone(),
        })
        .collect()
}

/// A serialisable value as a map (for a schema step).
fn as_map(value: &impl Serialize) -> Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// A one-way pair's plan as data. Pure.
pub fn one_way(plan: &PairPlan, snapshot: &PairSnapshot) -> PlannedPair {
    let mut schema = Vec::new();
    if let Some(create) = &plan.create_target {
        schema.push(SchemaStep {
            step: SchemaStepKind::CreateDatabase,
            side: Side::Target,
            columns: create
                .properties
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        });
    }
    schema.extend(copy_steps(
        Side::Target,
        plan.move_target.as_ref(),
        plan.update_target.as_ref(),
        &plan.columns,
    ));
    let target_rows = snapshot
        .target
        .as_ref()
        .map(|t| t.rows.as_slice())
        .unwrap_or_default();
    let source_title = title_column(&snapshot.source_schema);
    let target_title = snapshot
        .target
        .as_ref()
        .and_then(|t| title_column(&t.schema));
    let source = |id: PageId| snapshot.source_rows.iter().find(|r| r.id == id);
    let target = |id: PageId| target_rows.iter().find(|r| r.id == id);
    let mut rows = BTreeMap::new();
    let mut actions = Vec::with_capacity(plan.rows.len());
    for action in &plan.rows {
        let planned = match action {
            RowAction::Create { source: from, .. } => {
                let row = source(*from);
                if let Some(row) = row {
                    rows.insert(row.id, print(row, "source", source_title));
                }
                PlannedAction {
                    action: ActionKind::Create,
                    side: Side::Target,
                    row: None,
                    from: Some(*from),
                    title: row.map_or_else(String::new, |r| title_of(r, source_title)),
                    changes: Vec::new(),
                    reason: None,
                }
            }
            RowAction::Update {
                source: from,
                target: written,
                changes,
                ..
            } => {
                if let Some(row) = source(*from) {
                    rows.insert(row.id, print(row, "source", source_title));
                }
                let row = target(*written);
                if let Some(row) = row {
                    rows.insert(row.id, print(row, "target", target_title));
                }
                PlannedAction {
                    action: ActionKind::Update,
                    side: Side::Target,
                    row: Some(*written),
                    from: Some(*from),
                    title: source(*from).map_or_else(String::new, |r| title_of(r, source_title)),
                    changes: changes.clone(),
                    reason: None,
                }
            }
            RowAction::Trash {
                target: written,
                reason,
            } => {
                let row = target(*written);
                if let Some(row) = row {
                    rows.insert(row.id, print(row, "target", target_title));
                }
                PlannedAction {
                    action: ActionKind::Trash,
                    side: Side::Target,
                    row: Some(*written),
                    from: None,
                    title: row.map_or_else(String::new, |r| title_of(r, target_title)),
                    changes: Vec::new(),
                    reason: serde_json::to_value(reason)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned)),
                }
            }
        };
        actions.push(planned);
    }
    PlannedPair {
        pair: snapshot.pair.label(),
        database_row: snapshot.pair.database_row,
        environment_row: snapshot.pair.environment_row,
        schema,
        actions,
        fingerprint: Fingerprint {
            schema: schema_hash([
                Some(&snapshot.source_schema),
                snapshot.target.as_ref().map(|t| &t.schema),
            ]),
            rows,
        },
    }
}

/// Whether a property is one of the library's own (keys, links, bases).
fn own(name: &str) -> bool {
    name.starts_with("notion-xws:")
}

/// The changes an update of `row` (on one side) with `properties`, taken from `from` (the other
/// side's row), makes.
fn two_way_changes(
    properties: &Map<String, Value>,
    row: Option<&TwoWayRow>,
    from: Option<&TwoWayRow>,
) -> Vec<ValueChange> {
    properties
        .keys()
        .filter(|name| !own(name))
        .map(|name| ValueChange {
            property: name.clone(),
            before: parsed(row.and_then(|r| r.content.values.get(name.as_str()))),
            after: parsed(from.and_then(|r| r.content.values.get(name.as_str()))),
        })
        .collect()
}

/// A two-way pair's plan as data. Pure.
pub fn two_way(plan: &TwoWayPlan, snapshot: &TwoWaySnapshot) -> PlannedPair {
    let mut schema = Vec::new();
    if let Some(create) = &plan.create_environment {
        schema.push(SchemaStep {
            step: SchemaStepKind::CreateDatabase,
            side: Side::Environment,
            columns: create.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        });
    }
    if !plan.control_add_properties.is_empty() {
        schema.push(SchemaStep {
            step: SchemaStepKind::ChangeColumns,
            side: Side::Control,
            columns: plan
                .control_add_properties
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        });
    }
    schema.extend(copy_steps(
        Side::Environment,
        plan.move_environment.as_ref(),
        plan.update_environment.as_ref(),
        &plan.environment_columns,
    ));
    let control_title = title_column(&snapshot.control_schema);
    let environment_title = snapshot.environment_schema.as_ref().and_then(title_column);
    let find = |rows: &[TwoWayRow], trashed: &[TwoWayRow], id: PageId| -> Option<TwoWayRow> {
        rows.iter()
            .chain(trashed)
            .find(|r| r.content.id == id)
            .cloned()
    };
    let control = |id| find(&snapshot.control_rows, &snapshot.control_trashed, id);
    let environment = |id| {
        find(
            &snapshot.environment_rows,
            &snapshot.environment_trashed,
            id,
        )
    };
    let mut rows = BTreeMap::new();
    let mut note = |row: &Option<TwoWayRow>, side: Side| {
        if let Some(row) = row {
            let (word, title) = match side {
                Side::Control => ("control", control_title),
                _ => ("environment", environment_title),
            };
            rows.insert(row.content.id, print(&row.content, word, title));
        }
    };
    let title = |row: &Option<TwoWayRow>, side: Side| {
        let column = if side == Side::Control {
            control_title
        } else {
            environment_title
        };
        row.as_ref()
            .map_or_else(String::new, |r| title_of(&r.content, column))
    };
    let mut actions = Vec::with_capacity(plan.actions.len());
    for action in &plan.actions {
        use ActionKind::*;
        let (kind, side, row, from, changes, reason) = match action {
            TwoWayAction::CreateInEnvironment { control: c, .. } => (
                Create,
                Side::Environment,
                None,
                Some((*c, Side::Control)),
                None,
                None,
            ),
            TwoWayAction::CreateInControl { environment: e, .. } => (
                Create,
                Side::Control,
                None,
                Some((*e, Side::Environment)),
                None,
                None,
            ),
            TwoWayAction::LinkControlRow { control: c, .. } => {
                (Link, Side::Control, Some(*c), None, None, None)
            }
            TwoWayAction::LinkEnvironmentRow { environment: e, .. } => {
                (Link, Side::Environment, Some(*e), None, None, None)
            }
            TwoWayAction::UpdateControl {
                row: r,
                environment: e,
                properties,
            } => (
                Update,
                Side::Control,
                Some(*r),
                Some((*e, Side::Environment)),
                Some(properties),
                None,
            ),
            TwoWayAction::UpdateEnvironment {
                row: r,
                control: c,
                properties,
                ..
            } => (
                Update,
                Side::Environment,
                Some(*r),
                Some((*c, Side::Control)),
                Some(properties),
                None,
            ),
            TwoWayAction::WriteBase { row: r, .. } => {
                (Base, Side::Environment, Some(*r), None, None, None)
            }
            TwoWayAction::TrashEnvironment {
                row: r,
                control: c,
                reason,
                ..
            } => (
                Trash,
                Side::Environment,
                Some(*r),
                Some((*c, Side::Control)),
                None,
                Some(reason),
            ),
            TwoWayAction::TrashControl {
                row: r,
                environment: e,
                reason,
                ..
            } => (
                Trash,
                Side::Control,
                Some(*r),
                Some((*e, Side::Environment)),
                None,
                Some(reason),
            ),
            TwoWayAction::RestoreControl {
                row: r,
                environment: e,
                ..
            } => (
                Restore,
                Side::Control,
                Some(*r),
                Some((*e, Side::Environment)),
                None,
                None,
            ),
            TwoWayAction::RestoreEnvironment {
                row: r, control: c, ..
            } => (
                Restore,
                Side::Environment,
                Some(*r),
                Some((*c, Side::Control)),
                None,
                None,
            ),
        };
        let lookup = |id: PageId, side: Side| match side {
            Side::Control => control(id),
            _ => environment(id),
        };
        let written = row.and_then(|r| lookup(r, side));
        let source = from.and_then(|(id, s)| lookup(id, s));
        note(&written, side);
        if let Some((_, from_side)) = from {
            note(&source, from_side);
        }
        let shown = match (&written, from) {
            (Some(_), _) => title(&written, side),
            (None, Some((_, from_side))) => title(&source, from_side),
            (None, None) => String::new(),
        };
        actions.push(PlannedAction {
            action: kind,
            side,
            row,
            from: from.map(|(id, _)| id),
            title: shown,
            changes: changes
                .map(|p| two_way_changes(p, written.as_ref(), source.as_ref()))
                .unwrap_or_default(),
            reason: reason.and_then(|r| {
                serde_json::to_value(r)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
            }),
        });
    }
    PlannedPair {
        pair: snapshot.pair.label(),
        database_row: snapshot.pair.database_row,
        environment_row: snapshot.pair.environment_row,
        schema,
        actions,
        fingerprint: Fingerprint {
            schema: schema_hash([
                Some(&snapshot.control_schema),
                snapshot.environment_schema.as_ref(),
            ]),
            rows,
        },
    }
}

/// Keeps of a one-way plan only the row writes `saved` holds (the same, as planned); the
/// counts follow, and, when a write is left out, no watermark is recorded (so that the next
/// run reads the rows it was for). The schema steps were checked against the saved plan
/// before the run.
pub fn keep_saved_one_way(plan: &mut PairPlan, snapshot: &PairSnapshot, saved: &PlannedPair) {
    let described = one_way(plan, snapshot);
    let keep: Vec<bool> = described
        .actions
        .iter()
        .map(|a| saved.actions.contains(a))
        .collect();
    if keep.contains(&false) {
        // The rows left out are the next plan's: no watermark may say they were read.
        plan.watermark = None;
    }
    let mut keep = keep.into_iter();
    plan.rows.retain(|_| keep.next().unwrap_or(false));
    let counts = &mut plan.counts;
    counts.create = 0;
    counts.update = 0;
    counts.trash = 0;
    for action in &plan.rows {
        match action {
            RowAction::Create { .. } => counts.create += 1,
            RowAction::Update { .. } => counts.update += 1,
            RowAction::Trash { .. } => counts.trash += 1,
        }
    }
}

/// Keeps of a two-way plan only the row writes `saved` holds (the same, as planned).
pub fn keep_saved_two_way(plan: &mut TwoWayPlan, snapshot: &TwoWaySnapshot, saved: &PlannedPair) {
    let described = two_way(plan, snapshot);
    let mut keep = described
        .actions
        .iter()
        .map(|a| saved.actions.contains(a))
        .collect::<Vec<_>>()
        .into_iter();
    plan.actions.retain(|_| keep.next().unwrap_or(false));
}
