//! The two-way planner: both databases of a pair edited, every change copied to the other side
//! once, and no change lost without a conflict saying so.
//!
//! The model is that of Unison and rclone's bisync: a three-way comparison against a **base**.
//! For each linked pair of rows (a control row and its environment row), the base records, per
//! synced property, a hash of what both sides held at the last sync ([`Base`], kept on the
//! environment row in [`BASE_COLUMN`], so that it survives the loss of any local file). A side
//! whose value differs from the base changed it; a change on one side is copied to the other; the
//! same change on both sides is a "false conflict" (nothing to write but the base); different
//! changes to the same property are a [`Conflict`], settled by the [`ConflictPolicy`] (by default
//! nothing is overwritten and the conflict is reported, again on every run until someone settles
//! it). Changes to different properties of one row merge. Changes are found by content (the
//! canonical form of [`values`](super::values)), never by `last_edited_time`, which Notion rounds
//! to the minute; so a row this planner wrote last run has a base equal to both sides and nothing
//! is echoed back.
//!
//! Rows are linked both ways: the environment row carries the control row's ID in
//! [`SOURCE_KEY`], as in the one-way sync, and the control row carries the environment row's ID in
//! its [`link_column`] (one column per environment, so that the pairs of one database never write
//! the same cell). A row new on either side is created on the other, its link written with it; a
//! row trashed on one side is trashed on the other, unless the other side changed it since the
//! base: then modify beats delete (as in Syncthing and bisync), the trashed row is restored with
//! the live values, and the conflict is reported. Without a base (a new link, or one unreadable)
//! nothing is trashed and every difference is a conflict, as Unison does with a lost archive.
//!
//! A row the sync trashes is **marked** as such ([`TRASHED_BY_SYNC`]) in the very request that
//! trashes it (Notion edits no page in the trash, but takes properties with `in_trash: true`):
//! an environment row's base gets a last entry `;trashed-by-sync` (its hashes stay those of the
//! last sync), a control row's link becomes `<environment row ID>;trashed-by-sync`. So a row in
//! the trash either carries the mark or was not trashed by the sync, with no state in between.
//! When a person later restores either row of such a pair (the one they trashed, or the one the
//! sync trashed: the mark is on one of the two, live or in the trash), the restore propagates:
//! the other row is restored, the same page, with the live row's values (edited or not: a
//! restore is no edit against a delete, so no conflict), and the marks are cleared: the
//! restored environment row's base is written unmarked, and a live control row's link is
//! written unmarked after the restore (a run stopped between the two still sees the mark, and
//! finishes). Should the other row be gone for good (a 404), it is made again, once. A pair
//! restored by hand on both sides only loses its marks. Without a mark, a restored unchanged
//! row is trashed again, as before the marks: it follows a trash made by hand on the other
//! side. Text without the mark (all text written before it existed) reads unmarked, and a row
//! written unmarked holds exactly the text earlier versions wrote. Two cases cannot be told
//! apart: a control row the sync trashed and that was then deleted for good takes its mark
//! with it, so an environment row restored by hand afterwards is trashed again (as after a
//! control row deleted by hand) unless it was edited; and a mark stays on a row a person
//! restores and trashes again between two runs.
//!
//! [`plan_two_way`] is pure: it reads a [`TwoWaySnapshot`] and returns a [`TwoWayPlan`], whose
//! actions are applied in order within each row pair (a control row and its environment row: a
//! link after the create it names, the base last). Each row pair is planned from its own rows
//! and no action touches another pair's rows, so different row pairs may be applied in any
//! order or at once. Within a pair, the base is the last write (but for a control row's mark,
//! cleared after the restore that writes the base), so that a run cut short anywhere (in any
//! number of row pairs at once) is finished by the next: what was written is then equal on both
//! sides and settles as a false conflict. The max-delete guard counts the rows whose other side
//! was trashed; a restore by hand is no delete: not counted, and planned even when the guard
//! holds the deletes back.
//!
//! - `base`: the base of a row pair, its encoding, and the trashed-by-sync mark.
//! - `io`: the reader of both sides and the executor of a [`TwoWayPlan`] (everything two-way
//!   that talks to Notion).

pub(crate) mod apply;
mod base;
pub(crate) mod read;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use serde_json::{Map, Value};

pub use base::{
    BASE_COLUMN, Base, TRASHED_BY_SYNC, UNSETTLED, decode_base, encode_base, hash_text,
};

use super::column_map::ColumnMap;
use super::columns::key_value;
use super::guard::{self, PairStatus, PlanOptions};
use super::refs::{PairRefs, RefSide, count_kept, kept_notes};
use super::rows::{RowContent, SyncPair};
use super::schema::{ColumnChanges, Follow, SOURCE_KEY, column_map, plan_schema};
use super::target::MoveTarget;
use super::values::empty;
use crate::ids::PageId;
use crate::model::{Page, PropertyConfig, PropertyValueKind, RichText};

/// The start of every column name this library owns.
const OWN_PREFIX: &str = "notion-xws:";

pub use super::columns::LINK_PREFIX;

/// The control's column that holds, in each control row, the ID of its row in one environment:
/// `notion-xws:link:` and the environment's registry row ID in 32 hex digits.
pub fn link_column(environment_row: PageId) -> String {
    format!("{LINK_PREFIX}{}", environment_row.simple())
}

/// The text of a control row's link: the environment row's ID, and `;trashed-by-sync` when the
/// sync trashed the control row ([`TRASHED_BY_SYNC`]). Unmarked, it is the text every version
/// wrote.
pub fn encode_link(environment_row: PageId, trashed_by_sync: bool) -> String {
    if trashed_by_sync {
        format!("{environment_row};{TRASHED_BY_SYNC}")
    } else {
        environment_row.to_string()
    }
}

/// Reads [`encode_link`]'s text: the environment row's ID, and whether the mark is there; `None`
/// when it is anything else.
pub fn decode_link(text: &str) -> Option<(PageId, bool)> {
    let text = text.trim();
    let (id, marked) = match text.split_once(';') {
        Some((id, mark)) if mark.trim() == TRASHED_BY_SYNC => (id, true),
        Some(_) => return None,
        None => (text, false),
    };
    PageId::parse(id).ok().map(|id| (id, marked))
}

/// The request JSON of a control row's link.
fn link_value(environment_row: PageId, trashed_by_sync: bool) -> Value {
    crate::model::params::rich_text_value(&encode_link(environment_row, trashed_by_sync))
}

/// A row of either side as the two-way planner sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct TwoWayRow {
    /// Its content (values of the columns this library owns left out).
    pub content: RowContent,
    /// The row of the other side it names: a control row's [`link_column`], an environment
    /// row's [`SOURCE_KEY`].
    pub link: Option<PageId>,
    /// The base of its pair (environment rows only; `None` when missing or malformed).
    pub base: Option<Base>,
    /// Whether it carries the [`TRASHED_BY_SYNC`] mark: the sync trashed it because its linked
    /// row was trashed (a control row's link, an environment row's base). A live row that
    /// carries it was restored by a person since.
    pub trashed_by_sync: bool,
    /// When it was last edited (for [`ConflictPolicy::NewerWins`] only).
    pub last_edited_time: String,
}

impl TwoWayRow {
    /// A control row, with its link to its row in the environment whose registry row is given.
    pub fn control(page: &Page, environment_row: PageId) -> Self {
        let link =
            plain_text(page, &link_column(environment_row)).and_then(|text| decode_link(&text));
        Self {
            content: own_columns_removed(RowContent::from(page)),
            link: link.map(|(id, _)| id),
            base: None,
            trashed_by_sync: link.is_some_and(|(_, marked)| marked),
            last_edited_time: page.last_edited_time.clone(),
        }
    }

    /// An environment row, with its key and its base.
    pub fn environment(page: &Page) -> Self {
        let content = own_columns_removed(RowContent::from(page));
        let base = plain_text(page, BASE_COLUMN).and_then(|text| decode_base(&text));
        Self {
            link: content.key,
            content,
            trashed_by_sync: base.as_ref().is_some_and(|b| b.trashed_by_sync),
            base,
            last_edited_time: page.last_edited_time.clone(),
        }
    }

    fn id(&self) -> PageId {
        self.content.id
    }

    /// The canonical text of a property (the empty form when the row lacks it).
    fn text(&self, name: &str, type_name: &str) -> Cow<'_, str> {
        self.content.text(name, type_name)
    }
}

/// Drops the values of the columns this library owns (keys, links, bases).
fn own_columns_removed(mut content: RowContent) -> RowContent {
    content
        .values
        .retain(|name, _| !name.starts_with(OWN_PREFIX));
    content
}

/// The plain text of a rich-text property, if the page has it.
fn plain_text(page: &Page, name: &str) -> Option<String> {
    match &page.properties.get(name)?.value {
        PropertyValueKind::RichText(text) => Some(RichText::concat_plain_text(text)),
        _ => None,
    }
}

/// Everything the two-way planner needs for one pair.
#[derive(Debug, Clone, PartialEq)]
pub struct TwoWaySnapshot {
    /// The pair.
    pub pair: SyncPair,
    /// The control database's schema.
    pub control_schema: BTreeMap<String, PropertyConfig>,
    /// The environment database's schema, when it exists.
    pub environment_schema: Option<BTreeMap<String, PropertyConfig>>,
    /// The control's live rows.
    pub control_rows: Vec<TwoWayRow>,
    /// The environment's live rows.
    pub environment_rows: Vec<TwoWayRow>,
    /// Control rows that an environment row's key names but that are in the trash.
    pub control_trashed: Vec<TwoWayRow>,
    /// Environment rows that a control row's link names but that are in the trash.
    pub environment_trashed: Vec<TwoWayRow>,
    /// The references between the two workspaces (relations, people); the rows' values are
    /// already portable ([`PairRefs::make_portable`]).
    pub refs: std::sync::Arc<PairRefs>,
    /// How the environment database's columns follow the control's, as the pair's link row
    /// records it.
    pub columns: ColumnMap,
    /// For a pair read incrementally (only the row pairs edited on either side since its
    /// watermark, each with its other side): how many row pairs it had at its last run; every
    /// row pair not read is as that run left it. `None` for a full read.
    pub incremental: Option<usize>,
}

/// How a conflict (different changes to one property on both sides) is settled. Read from
/// `report`, `control-wins`, `environment-wins` or `newer-wins`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictPolicy {
    /// Nothing is overwritten; the conflict is reported with both values, on every run.
    #[default]
    Report,
    /// The control's value is written to the environment.
    ControlWins,
    /// The environment's value is written to the control.
    EnvironmentWins,
    /// The value of the row edited last wins; a tie (the same minute) is reported.
    NewerWins,
}

/// A row of the plan's actions: an existing page, or one this plan creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "row", content = "id", rename_all = "snake_case")]
pub enum RowRef {
    /// An existing page.
    Page(PageId),
    /// The row this plan creates for the given row of the other side.
    CreatedFor(PageId),
}

/// Why a row is trashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TwoWayTrashReason {
    /// Its linked row on the other side was trashed (or deleted) and it was not changed since.
    OtherSideTrashed,
}

/// One write of a two-way plan. Values are request JSON (`values::write_form`) by the property's
/// name on the side written; `properties` hold every column the request writes, the key, link
/// and base included.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum TwoWayAction {
    /// Creates the environment row of a control row, with its key and base.
    CreateInEnvironment {
        /// The control row.
        control: PageId,
        /// The values, key and base.
        properties: Map<String, Value>,
        /// The base written.
        base: Base,
    },
    /// Writes a control row's link column (after a create, the row created for it).
    LinkControlRow {
        /// The control row.
        control: PageId,
        /// Its environment row.
        environment: RowRef,
    },
    /// Creates the control row of an environment row, with its link column.
    CreateInControl {
        /// The environment row.
        environment: PageId,
        /// The values and link.
        properties: Map<String, Value>,
    },
    /// Writes an environment row's key and base (after a [`TwoWayAction::CreateInControl`]).
    LinkEnvironmentRow {
        /// The environment row.
        environment: PageId,
        /// Its control row.
        control: RowRef,
        /// The key and base, as request JSON.
        properties: Map<String, Value>,
        /// The base written.
        base: Base,
    },
    /// Writes changed values into a control row.
    UpdateControl {
        /// The control row.
        row: PageId,
        /// Its environment row.
        environment: PageId,
        /// The values.
        properties: Map<String, Value>,
    },
    /// Writes changed values into an environment row, with the new base.
    UpdateEnvironment {
        /// The environment row.
        row: PageId,
        /// Its control row.
        control: PageId,
        /// The values and the base (and the key, when it was missing).
        properties: Map<String, Value>,
        /// The base written.
        base: Base,
    },
    /// Writes only the base of a pair (both sides already agree).
    WriteBase {
        /// The environment row.
        row: PageId,
        /// Its control row.
        control: PageId,
        /// The base, as request JSON.
        properties: Map<String, Value>,
        /// The base written.
        base: Base,
    },
    /// Moves an environment row to the trash, its base marked [`TRASHED_BY_SYNC`] in the same
    /// request.
    TrashEnvironment {
        /// The environment row.
        row: PageId,
        /// Its control row (trashed or gone).
        control: PageId,
        /// Why.
        reason: TwoWayTrashReason,
        /// The marked base, as request JSON.
        properties: Map<String, Value>,
        /// The base written (its hashes those of the last sync, marked).
        base: Base,
    },
    /// Moves a control row to the trash, its link marked [`TRASHED_BY_SYNC`] in the same request.
    TrashControl {
        /// The control row.
        row: PageId,
        /// Its environment row (trashed or gone).
        environment: PageId,
        /// Why.
        reason: TwoWayTrashReason,
        /// The marked link, as request JSON.
        properties: Map<String, Value>,
    },
    /// Takes a trashed control row out of the trash, with the environment row's values (the
    /// environment row changed since the control row was trashed, or a person restored one
    /// row of a pair the sync had trashed half of).
    RestoreControl {
        /// The trashed control row.
        row: PageId,
        /// The live environment row.
        environment: PageId,
        /// The values and link.
        properties: Map<String, Value>,
    },
    /// Takes a trashed environment row out of the trash, with the control row's values (the
    /// control row changed since the environment row was trashed, or a person restored one row
    /// of a pair the sync had trashed half of).
    RestoreEnvironment {
        /// The trashed environment row.
        row: PageId,
        /// The live control row.
        control: PageId,
        /// The values, key and base.
        properties: Map<String, Value>,
        /// The base written.
        base: Base,
    },
}

/// The row pair an action belongs to: its environment row, or, for a control row that has none
/// yet, the control row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum RowPair {
    /// A pair with an environment row (linked, orphaned, or a row new in the environment).
    Environment(PageId),
    /// A control row with no environment row yet.
    Control(PageId),
}

impl TwoWayAction {
    /// The row pair this action belongs to. Each row pair's actions are planned from that pair's
    /// rows alone; no action writes a row of another row pair or names a row another one
    /// creates; so the actions of different row pairs may be applied in any order, or at once,
    /// and only the order within one row pair matters.
    pub(crate) fn row_pair(&self) -> RowPair {
        match self {
            Self::CreateInEnvironment { control, .. } | Self::LinkControlRow { control, .. } => {
                RowPair::Control(*control)
            }
            Self::CreateInControl { environment, .. }
            | Self::LinkEnvironmentRow { environment, .. }
            | Self::UpdateControl { environment, .. }
            | Self::TrashControl { environment, .. }
            | Self::RestoreControl { environment, .. } => RowPair::Environment(*environment),
            Self::UpdateEnvironment { row, .. }
            | Self::WriteBase { row, .. }
            | Self::TrashEnvironment { row, .. }
            | Self::RestoreEnvironment { row, .. } => RowPair::Environment(*row),
        }
    }
}

/// A plan's actions grouped by [`TwoWayAction::row_pair`], each group in the plan's order, the
/// groups in the order of their first action.
pub(crate) fn by_row_pair(actions: &[TwoWayAction]) -> Vec<Vec<&TwoWayAction>> {
    let mut index: HashMap<RowPair, usize> = HashMap::new();
    let mut groups: Vec<Vec<&TwoWayAction>> = Vec::new();
    for action in actions {
        let slot = *index.entry(action.row_pair()).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[slot].push(action);
    }
    groups
}

impl std::str::FromStr for ConflictPolicy {
    type Err = crate::error::Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "report" => Ok(Self::Report),
            "control-wins" => Ok(Self::ControlWins),
            "environment-wins" => Ok(Self::EnvironmentWins),
            "newer-wins" => Ok(Self::NewerWins),
            other => Err(crate::error::Error::Config(format!(
                "{other:?} is not a conflict policy (report, control-wins, environment-wins, newer-wins)"
            ))),
        }
    }
}

/// What happened to both sides of a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// Both sides changed the property, differently.
    EditEdit,
    /// The control changed the row; the environment trashed it.
    ControlEditedEnvironmentTrashed,
    /// The control trashed the row; the environment changed it.
    ControlTrashedEnvironmentEdited,
}

/// How a conflict was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Nothing was written; it is reported again until settled by hand.
    Reported,
    /// The control's value was written to the environment.
    ControlWon,
    /// The environment's value was written to the control.
    EnvironmentWon,
    /// The trashed row is restored with the live row's values (modify beats delete).
    Restored,
}

/// A conflict, with both values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// The control row.
    pub control_row: PageId,
    /// The environment row.
    pub environment_row: PageId,
    /// What happened.
    pub kind: ConflictKind,
    /// The property (its control name); `None` for a trashed row.
    pub property: Option<String>,
    /// The control's canonical value (`None` when trashed or for a whole row).
    pub control_value: Option<Value>,
    /// The environment's canonical value (`None` when trashed or for a whole row).
    pub environment_value: Option<Value>,
    /// How it was settled.
    pub resolution: Resolution,
    /// Since when it holds: the later of the two rows' last edits (`None` for a trashed row).
    pub since: Option<String>,
}

/// The counts of a two-way plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TwoWayCounts {
    /// Control rows created in the environment.
    pub create_in_environment: usize,
    /// Environment rows created in the control.
    pub create_in_control: usize,
    /// Environment rows updated.
    pub update_environment: usize,
    /// Control rows updated.
    pub update_control: usize,
    /// Pairs whose base alone is written.
    pub base_only: usize,
    /// Environment rows trashed.
    pub trash_environment: usize,
    /// Control rows trashed.
    pub trash_control: usize,
    /// Rows restored from the trash (either side).
    pub restore: usize,
    /// Linked pairs with nothing to write.
    pub unchanged: usize,
    /// Conflicts (each property of an edit/edit conflict, each edit/trash row).
    pub conflicts: usize,
}

/// The plan of one two-way pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TwoWayPlan {
    /// The pair.
    pub pair: SyncPair,
    /// The policy it was planned with.
    pub policy: ConflictPolicy,
    /// Whether it can go ahead (the max-delete guard).
    pub status: PairStatus,
    /// The environment database to create, with these properties, when there is none.
    pub create_environment: Option<BTreeMap<String, Value>>,
    /// The changes to the existing environment database's columns (new ones, and those that
    /// follow the control's renames, type changes, options and formulas).
    pub environment_columns: ColumnChanges,
    /// The control columns the environment database follows, for the map its link row records.
    pub follow: Vec<Follow>,
    /// The column map to record in the link row when it differs from the recorded one and no
    /// column changes.
    pub record_columns: Option<ColumnMap>,
    /// The environment database to move under the pair's parent page, when it lies elsewhere.
    pub move_environment: Option<MoveTarget>,
    /// The title, description, icon or cover the environment database lacks of the control
    /// database's (one `PATCH /v1/databases/{id}`).
    pub update_environment: Option<crate::model::params::UpdateDatabase>,
    /// Columns to add to the control database (its link column), as request JSON.
    pub control_add_properties: BTreeMap<String, Value>,
    /// The row writes; those of one row pair in the order they must be applied.
    pub actions: Vec<TwoWayAction>,
    /// The conflicts.
    pub conflicts: Vec<Conflict>,
    /// The counts.
    pub counts: TwoWayCounts,
    /// What is not synced, and why.
    pub notes: Vec<String>,
}

impl TwoWayPlan {
    /// Whether applying the plan writes nothing.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
            && self.create_environment.is_none()
            && self.move_environment.is_none()
            && self.update_environment.is_none()
            && self.environment_columns.is_empty()
            && self.record_columns.is_none()
            && self.control_add_properties.is_empty()
    }

    /// The conflicts left as they are on both sides (`--conflicts report`): reported on every
    /// run until a person settles them.
    pub fn open_conflicts(&self) -> impl Iterator<Item = &Conflict> {
        self.conflicts
            .iter()
            .filter(|c| c.resolution == Resolution::Reported)
    }
}

/// A synced property: its names on both sides and its type.
#[derive(Debug)]
struct Synced {
    control: String,
    /// The environment's name once the plan's column changes are made (values are written
    /// and bases recorded under it).
    environment: String,
    /// The environment's name as read (values and bases are read under it).
    read: String,
    type_name: String,
}

/// A canonical text as a JSON value (for reports).
fn parsed(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// Which side a row is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Control,
    Environment,
}

impl Synced {
    fn name(&self, side: Side) -> &str {
        match side {
            Side::Control => &self.control,
            Side::Environment => &self.read,
        }
    }
}

/// The base that records a row's current values (which both sides hold after the write), unmarked.
fn base_of(row: &TwoWayRow, side: Side, synced: &[Synced]) -> Base {
    Base {
        hashes: synced
            .iter()
            .map(|p| {
                let text = row.text(p.name(side), &p.type_name);
                (p.environment.clone(), hash_text(&text))
            })
            .collect(),
        trashed_by_sync: false,
    }
}

impl Side {
    fn refs(self) -> RefSide {
        match self {
            Side::Control => RefSide::Source,
            Side::Environment => RefSide::Target,
        }
    }
}

/// Whether a row differs from its base in any synced property (no base: it may have).
fn changed_since(row: &TwoWayRow, side: Side, base: Option<&Base>, synced: &[Synced]) -> bool {
    let Some(base) = base else {
        return true;
    };
    synced.iter().any(|p| {
        let hash = hash_text(&row.text(p.name(side), &p.type_name));
        base_hash(base, p) != hash
    })
}

/// What a base records of a property; a property it does not name was not synced at the last
/// sync (its column was added since, or a run stopped between adding it and filling it), so its
/// value then was the empty one.
fn base_hash(base: &Base, p: &Synced) -> u64 {
    base.hashes
        .get(&p.read)
        .copied()
        .unwrap_or_else(|| hash_text(&empty(&p.type_name).to_string()))
}

/// Whether a live control row whose environment row is trashed (`Some`) or gone (`None`) is one
/// row of a pair the sync trashed half of, restored by a person since: it carries the mark
/// itself (the sync trashed it), or its environment row in the trash does (the sync trashed
/// that one, and a person restored this one).
fn control_restored(control: &TwoWayRow, trashed: Option<&TwoWayRow>) -> bool {
    control.trashed_by_sync || trashed.is_some_and(|row| row.trashed_by_sync)
}

/// [`control_restored`]'s mirror: a live environment row, its control row trashed or gone. A
/// trashed control row's mark counts when its link names this row.
fn environment_restored(environment: &TwoWayRow, trashed: Option<&TwoWayRow>) -> bool {
    environment.trashed_by_sync
        || trashed.is_some_and(|row| row.trashed_by_sync && row.link == Some(environment.id()))
}

/// The rows of both sides, sorted into what happens to them.
#[derive(Debug, Default)]
struct Pairing<'a> {
    /// Both rows live: (control, environment).
    linked: Vec<(&'a TwoWayRow, &'a TwoWayRow)>,
    /// A live control row whose environment row is trashed (`Some`) or gone (`None`).
    control_orphans: Vec<(&'a TwoWayRow, PageId, Option<&'a TwoWayRow>)>,
    /// A live environment row whose control row is trashed (`Some`) or gone (`None`).
    environment_orphans: Vec<(&'a TwoWayRow, PageId, Option<&'a TwoWayRow>)>,
    /// Live control rows with no environment row.
    new_control: Vec<&'a TwoWayRow>,
    /// Live environment rows with no control row.
    new_environment: Vec<&'a TwoWayRow>,
}

/// Rows by ID, sorted by ID.
fn sorted(rows: &[TwoWayRow]) -> Vec<&TwoWayRow> {
    let mut rows: Vec<&TwoWayRow> = rows.iter().collect();
    rows.sort_by_key(|row| row.id());
    rows.dedup_by_key(|row| row.id());
    rows
}

/// Links the rows of both sides. An environment row's key decides its pair; of several
/// environment rows with one key (a row duplicated in Notion copies its key), the one the
/// control row links to, or else the oldest, is the pair and the others are new rows. A control
/// row linked to an environment row that carries no key, or whose key names a control row gone
/// for good (not even in the trash), is its pair (a create cut short before the key was written).
fn pair_rows(snapshot: &TwoWaySnapshot) -> Pairing<'_> {
    let control = sorted(&snapshot.control_rows);
    let environment = sorted(&snapshot.environment_rows);
    let control_live: HashMap<PageId, &TwoWayRow> = control.iter().map(|r| (r.id(), *r)).collect();
    let control_trashed: HashMap<PageId, &TwoWayRow> = snapshot
        .control_trashed
        .iter()
        .map(|r| (r.id(), r))
        .collect();
    let environment_live: HashMap<PageId, &TwoWayRow> =
        environment.iter().map(|r| (r.id(), *r)).collect();
    let environment_trashed: HashMap<PageId, &TwoWayRow> = snapshot
        .environment_trashed
        .iter()
        .map(|r| (r.id(), r))
        .collect();

    let mut pairing = Pairing::default();
    let mut by_key: BTreeMap<PageId, Vec<&TwoWayRow>> = BTreeMap::new();
    for row in &environment {
        if let Some(key) = row.link {
            by_key.entry(key).or_default().push(row);
        }
    }
    // The live control rows that no environment row's key names, by the row their link names
    // (the lowest ID first, the rows being sorted).
    let mut linking: HashMap<PageId, &TwoWayRow> = HashMap::new();
    for row in &control {
        if let Some(link) = row.link
            && !by_key.contains_key(&row.id())
        {
            linking.entry(link).or_insert(row);
        }
    }
    let mut paired_control: HashSet<PageId> = HashSet::new();
    let mut paired_environment: HashSet<PageId> = HashSet::new();
    for (key, mut rows) in by_key {
        let live = control_live.get(&key).copied();
        let linked_to = live.and_then(|c| c.link);
        rows.sort_by(|a, b| {
            let a_unlinked = Some(a.id()) != linked_to;
            let b_unlinked = Some(b.id()) != linked_to;
            (a_unlinked, &a.content.created_time, a.id()).cmp(&(
                b_unlinked,
                &b.content.created_time,
                b.id(),
            ))
        });
        let Some((first, others)) = rows.split_first() else {
            continue;
        };
        let trashed = control_trashed.get(&key).copied();
        match (live, trashed, linking.get(&first.id())) {
            (Some(control), _, _) => {
                pairing.linked.push((control, first));
                paired_control.insert(key);
            }
            // Its control row is gone for good, and a live one links to it: the control row
            // made for it by a run that stopped before writing its key.
            (None, None, Some(control)) => {
                pairing.linked.push((control, first));
                paired_control.insert(control.id());
            }
            (None, _, _) => pairing.environment_orphans.push((first, key, trashed)),
        }
        paired_environment.insert(first.id());
        pairing.new_environment.extend(others.iter().copied());
        paired_environment.extend(others.iter().map(|r| r.id()));
    }
    for row in &control {
        if paired_control.contains(&row.id()) {
            continue;
        }
        let Some(link) = row.link else {
            pairing.new_control.push(row);
            continue;
        };
        match (environment_live.get(&link), environment_trashed.get(&link)) {
            (Some(other), _) => {
                if other.link.is_none() && paired_environment.insert(link) {
                    pairing.linked.push((row, other));
                } else {
                    pairing.new_control.push(row);
                }
            }
            (None, Some(trashed)) if trashed.link.is_none_or(|key| key == row.id()) => {
                pairing.control_orphans.push((row, link, Some(trashed)));
            }
            (None, Some(_)) => pairing.new_control.push(row),
            (None, None) => pairing.control_orphans.push((row, link, None)),
        }
    }
    for row in &environment {
        if row.link.is_none() && !paired_environment.contains(&row.id()) {
            pairing.new_environment.push(row);
        }
    }
    pairing.linked.sort_by_key(|(c, _)| c.id());
    pairing.new_environment.sort_by_key(|r| r.id());
    pairing
}

/// The plan being built.
#[derive(Debug, Default)]
struct Builder {
    refs: std::sync::Arc<PairRefs>,
    /// The environment's columns this plan creates: empty on every row, so their base is the
    /// empty value (the control's values are copied, not reported as conflicts).
    new_columns: HashSet<String>,
    actions: Vec<TwoWayAction>,
    conflicts: Vec<Conflict>,
    counts: TwoWayCounts,
}

/// The key column's and base column's request JSON for an environment row.
fn key_and_base(control: Option<PageId>, base: &Base) -> Map<String, Value> {
    let mut properties = Map::new();
    if let Some(control) = control {
        properties.insert(SOURCE_KEY.to_owned(), key_value(control));
    }
    properties.insert(BASE_COLUMN.to_owned(), base.property_value());
    properties
}

impl Builder {
    /// The request JSON that writes `text` (canonical, portable) of `p` into a row of side
    /// `to` that keeps `kept` (references only it can name).
    fn write(&self, to: Side, p: &Synced, text: &str, kept: Option<&TwoWayRow>) -> Value {
        let kept = kept.and_then(|row| row.content.kept.get(p.name(to)).map(|k| &**k));
        self.refs
            .write(to.refs(), &p.type_name, &p.control, text, kept)
    }

    /// Every synced value of a row, as request JSON by the other side's names.
    fn all_values(
        &self,
        row: &TwoWayRow,
        from: Side,
        to: Side,
        synced: &[Synced],
    ) -> Map<String, Value> {
        synced
            .iter()
            .map(|p| {
                let text = row.text(p.name(from), &p.type_name);
                (p.name(to).to_owned(), self.write(to, p, &text, None))
            })
            .collect()
    }

    /// A control row with no environment row: created there, then linked.
    fn create_in_environment(&mut self, row: &TwoWayRow, synced: &[Synced]) {
        let base = base_of(row, Side::Control, synced);
        let mut properties = self.all_values(row, Side::Control, Side::Environment, synced);
        properties.extend(key_and_base(Some(row.id()), &base));
        self.counts.create_in_environment += 1;
        self.actions.push(TwoWayAction::CreateInEnvironment {
            control: row.id(),
            properties,
            base,
        });
        self.actions.push(TwoWayAction::LinkControlRow {
            control: row.id(),
            environment: RowRef::CreatedFor(row.id()),
        });
    }

    /// An environment row with no control row: created there (with its link), then keyed.
    fn create_in_control(&mut self, row: &TwoWayRow, link: &str, synced: &[Synced]) {
        let base = base_of(row, Side::Environment, synced);
        let mut properties = self.all_values(row, Side::Environment, Side::Control, synced);
        properties.insert(link.to_owned(), key_value(row.id()));
        self.counts.create_in_control += 1;
        self.actions.push(TwoWayAction::CreateInControl {
            environment: row.id(),
            properties,
        });
        self.actions.push(TwoWayAction::LinkEnvironmentRow {
            environment: row.id(),
            control: RowRef::CreatedFor(row.id()),
            properties: key_and_base(None, &base),
            base,
        });
    }

    /// Both rows live: each property compared with the base, changes copied, conflicts settled.
    fn linked(
        &mut self,
        control: &TwoWayRow,
        environment: &TwoWayRow,
        link: &str,
        synced: &[Synced],
        policy: ConflictPolicy,
    ) {
        let mut to_control = Map::new();
        let mut to_environment = Map::new();
        let mut new_base = Base::default();
        for p in synced {
            let a = control.text(&p.control, &p.type_name);
            let b = environment.text(&p.read, &p.type_name);
            let (ha, hb) = (hash_text(&a), hash_text(&b));
            let h0 = if self.new_columns.contains(&p.environment) {
                Some(hash_text(&empty(&p.type_name).to_string()))
            } else {
                environment.base.as_ref().map(|base| base_hash(base, p))
            };
            let winner = if ha == hb || h0 == Some(hb) {
                Some(Side::Control)
            } else if h0 == Some(ha) {
                Some(Side::Environment)
            } else {
                let resolution = settle(policy, control, environment);
                self.conflicts.push(Conflict {
                    control_row: control.id(),
                    environment_row: environment.id(),
                    kind: ConflictKind::EditEdit,
                    property: Some(p.control.clone()),
                    control_value: Some(parsed(&a)),
                    environment_value: Some(parsed(&b)),
                    resolution,
                    since: Some(
                        control
                            .last_edited_time
                            .clone()
                            .max(environment.last_edited_time.clone()),
                    ),
                });
                match resolution {
                    Resolution::ControlWon => Some(Side::Control),
                    Resolution::EnvironmentWon => Some(Side::Environment),
                    Resolution::Reported | Resolution::Restored => None,
                }
            };
            match winner {
                Some(Side::Control) => {
                    if ha != hb {
                        let value = self.write(Side::Environment, p, &a, Some(environment));
                        to_environment.insert(p.environment.clone(), value);
                    }
                    new_base.hashes.insert(p.environment.clone(), ha);
                }
                Some(Side::Environment) => {
                    let value = self.write(Side::Control, p, &b, Some(control));
                    to_control.insert(p.control.clone(), value);
                    new_base.hashes.insert(p.environment.clone(), hb);
                }
                // Unsettled: the old entry stays (or, without one, a mark that matches no value),
                // so the conflict is seen again.
                None => {
                    let recorded = environment
                        .base
                        .as_ref()
                        .and_then(|base| base.hashes.get(&p.read).copied());
                    new_base
                        .hashes
                        .insert(p.environment.clone(), recorded.unwrap_or(UNSETTLED));
                }
            }
        }
        let key_missing = environment.link != Some(control.id());
        // A mark left by a trash (both rows restored by hand since) is cleared: the link is
        // written again, and the base differs from the new one, which is unmarked.
        let link_wrong = control.link != Some(environment.id()) || control.trashed_by_sync;
        let base_differs = environment.base.as_ref() != Some(&new_base);
        let control_written = !to_control.is_empty() || link_wrong;
        if control_written {
            if link_wrong {
                to_control.insert(link.to_owned(), key_value(environment.id()));
            }
            self.counts.update_control += 1;
            self.actions.push(TwoWayAction::UpdateControl {
                row: control.id(),
                environment: environment.id(),
                properties: to_control,
            });
        }
        if !to_environment.is_empty() || key_missing {
            self.counts.update_environment += 1;
            to_environment.extend(key_and_base(key_missing.then_some(control.id()), &new_base));
            self.actions.push(TwoWayAction::UpdateEnvironment {
                row: environment.id(),
                control: control.id(),
                properties: to_environment,
                base: new_base,
            });
        } else if base_differs {
            if !control_written {
                self.counts.base_only += 1;
            }
            self.actions.push(TwoWayAction::WriteBase {
                row: environment.id(),
                control: control.id(),
                properties: key_and_base(None, &new_base),
                base: new_base,
            });
        } else if !control_written {
            self.counts.unchanged += 1;
        }
    }

    /// A live control row whose environment row is trashed or gone.
    fn control_orphan(
        &mut self,
        control: &TwoWayRow,
        environment: PageId,
        trashed: Option<&TwoWayRow>,
        synced: &[Synced],
        link: &str,
    ) {
        if control_restored(control, trashed) {
            self.control_restored(control, environment, trashed, synced, link);
            return;
        }
        let base = trashed.and_then(|row| row.base.as_ref());
        if !changed_since(control, Side::Control, base, synced) {
            self.counts.trash_control += 1;
            let mut properties = Map::new();
            properties.insert(link.to_owned(), link_value(environment, true));
            self.actions.push(TwoWayAction::TrashControl {
                row: control.id(),
                environment,
                reason: TwoWayTrashReason::OtherSideTrashed,
                properties,
            });
            return;
        }
        self.edit_trash_conflict(
            control.id(),
            environment,
            ConflictKind::ControlEditedEnvironmentTrashed,
        );
        match trashed {
            Some(_) => self.restore_environment(control, environment, synced),
            None => self.create_in_environment(control, synced),
        }
    }

    /// The environment row in the trash, restored with the control row's values, key and base.
    fn restore_environment(&mut self, control: &TwoWayRow, environment: PageId, synced: &[Synced]) {
        let base = base_of(control, Side::Control, synced);
        let mut properties = self.all_values(control, Side::Control, Side::Environment, synced);
        properties.extend(key_and_base(Some(control.id()), &base));
        self.counts.restore += 1;
        self.actions.push(TwoWayAction::RestoreEnvironment {
            row: environment,
            control: control.id(),
            properties,
            base,
        });
    }

    /// A live control row of a pair the sync trashed half of, restored by a person (the row the
    /// sync trashed, or the row a person trashed): its environment row is restored with its
    /// values (or, gone for good, made again, once), then its own mark cleared. No conflict: a
    /// restore is no edit against a delete.
    fn control_restored(
        &mut self,
        control: &TwoWayRow,
        environment: PageId,
        trashed: Option<&TwoWayRow>,
        synced: &[Synced],
        link: &str,
    ) {
        if trashed.is_none() {
            // The create's link write clears the control row's mark.
            self.create_in_environment(control, synced);
            return;
        }
        self.restore_environment(control, environment, synced);
        if control.trashed_by_sync {
            // After the restore: a run stopped between the two still sees the mark and
            // restores the environment row (a live row then: the pair is linked, and the mark
            // is cleared as that of a linked pair).
            let mut properties = Map::new();
            properties.insert(link.to_owned(), link_value(environment, false));
            self.counts.update_control += 1;
            self.actions.push(TwoWayAction::UpdateControl {
                row: control.id(),
                environment,
                properties,
            });
        }
    }

    /// A live environment row whose control row is trashed or gone.
    fn environment_orphan(
        &mut self,
        environment: &TwoWayRow,
        control: PageId,
        trashed: Option<&TwoWayRow>,
        link: &str,
        synced: &[Synced],
    ) {
        if environment_restored(environment, trashed) {
            // A person restored one row of a pair the sync trashed half of: the control row is
            // restored with this row's values (or, gone for good, made again, once), and the
            // base, written last, clears the environment row's mark. No conflict.
            match trashed {
                Some(_) => self.restore_control(environment, control, link, synced),
                None => self.create_in_control(environment, link, synced),
            }
            return;
        }
        if !changed_since(
            environment,
            Side::Environment,
            environment.base.as_ref(),
            synced,
        ) {
            self.counts.trash_environment += 1;
            // Unchanged since the base, so it has one: kept, marked.
            let base = environment
                .base
                .as_ref()
                .map(Base::marked_trashed_by_sync)
                .unwrap_or_default();
            self.actions.push(TwoWayAction::TrashEnvironment {
                row: environment.id(),
                control,
                reason: TwoWayTrashReason::OtherSideTrashed,
                properties: key_and_base(None, &base),
                base,
            });
            return;
        }
        self.edit_trash_conflict(
            control,
            environment.id(),
            ConflictKind::ControlTrashedEnvironmentEdited,
        );
        match trashed {
            Some(_) => self.restore_control(environment, control, link, synced),
            None => self.create_in_control(environment, link, synced),
        }
    }

    /// The control row in the trash, restored with the environment row's values and link, then
    /// the base written.
    fn restore_control(
        &mut self,
        environment: &TwoWayRow,
        control: PageId,
        link: &str,
        synced: &[Synced],
    ) {
        let base = base_of(environment, Side::Environment, synced);
        let mut properties = self.all_values(environment, Side::Environment, Side::Control, synced);
        properties.insert(link.to_owned(), link_value(environment.id(), false));
        self.counts.restore += 1;
        self.actions.push(TwoWayAction::RestoreControl {
            row: control,
            environment: environment.id(),
            properties,
        });
        self.actions.push(TwoWayAction::WriteBase {
            row: environment.id(),
            control,
            properties: key_and_base(None, &base),
            base,
        });
    }

    fn edit_trash_conflict(&mut self, control: PageId, environment: PageId, kind: ConflictKind) {
        self.conflicts.push(Conflict {
            control_row: control,
            environment_row: environment,
            kind,
            property: None,
            control_value: None,
            environment_value: None,
            resolution: Resolution::Restored,
            since: None,
        });
    }
}

/// How the policy settles an edit/edit conflict.
fn settle(policy: ConflictPolicy, control: &TwoWayRow, environment: &TwoWayRow) -> Resolution {
    match policy {
        ConflictPolicy::Report => Resolution::Reported,
        ConflictPolicy::ControlWins => Resolution::ControlWon,
        ConflictPolicy::EnvironmentWins => Resolution::EnvironmentWon,
        ConflictPolicy::NewerWins => {
            match control.last_edited_time.cmp(&environment.last_edited_time) {
                std::cmp::Ordering::Greater => Resolution::ControlWon,
                std::cmp::Ordering::Less => Resolution::EnvironmentWon,
                std::cmp::Ordering::Equal => Resolution::Reported,
            }
        }
    }
}

/// A schema without the columns this library owns (the key kept if asked).
fn without_own_columns(
    schema: &BTreeMap<String, PropertyConfig>,
    keep_key: bool,
) -> BTreeMap<String, PropertyConfig> {
    schema
        .iter()
        .filter(|(name, _)| (keep_key && *name == SOURCE_KEY) || !name.starts_with(OWN_PREFIX))
        .map(|(name, config)| (name.clone(), config.clone()))
        .collect()
}

/// Plans one two-way pair. Pure: see the [module documentation](self).
pub fn plan_two_way(
    snapshot: &TwoWaySnapshot,
    policy: ConflictPolicy,
    options: PlanOptions,
) -> TwoWayPlan {
    let control_schema = without_own_columns(&snapshot.control_schema, false);
    let environment_schema = snapshot
        .environment_schema
        .as_ref()
        .map(|schema| without_own_columns(schema, true));
    let schema = plan_schema(
        &control_schema,
        environment_schema.as_ref(),
        &snapshot.refs,
        &snapshot.columns,
        options.prune_columns,
    );
    let synced: Vec<Synced> = schema
        .copied
        .iter()
        .map(|c| Synced {
            control: c.source.clone(),
            environment: c.target.clone(),
            read: c.read.clone(),
            type_name: c.type_name.clone(),
        })
        .collect();
    let link = link_column(snapshot.pair.environment_row);
    let mut notes = schema.notes.clone();
    if synced
        .iter()
        .any(|p| matches!(p.type_name.as_str(), "relation" | "people"))
    {
        let control_kept = count_kept(
            snapshot.control_rows.iter().map(|r| &r.content),
            &control_schema,
        );
        notes.extend(kept_notes(control_kept, "control", "environment", false));
        if let Some(schema) = &environment_schema {
            let environment_kept =
                count_kept(snapshot.environment_rows.iter().map(|r| &r.content), schema);
            notes.extend(kept_notes(
                environment_kept,
                "environment",
                "control",
                false,
            ));
        }
    }

    let record_columns = environment_schema.as_ref().and_then(|environment| {
        let map = column_map(&schema.follow, environment);
        (schema.changes.is_empty() && map != snapshot.columns).then_some(map)
    });
    let follow = schema.follow.clone();
    let new_columns: HashSet<String> = schema
        .create
        .keys()
        .filter(|name| {
            environment_schema
                .as_ref()
                .is_none_or(|schema| !schema.contains_key(*name))
        })
        .cloned()
        .collect();
    let mut environment_properties = schema.create;
    let mut environment_columns = schema.changes;
    let has_base = snapshot
        .environment_schema
        .as_ref()
        .is_some_and(|s| s.contains_key(BASE_COLUMN));
    if !has_base {
        environment_properties.insert(BASE_COLUMN.to_owned(), serde_json::json!({"rich_text": {}}));
        if snapshot.environment_schema.is_some() {
            environment_columns
                .add_column(BASE_COLUMN.to_owned(), serde_json::json!({"rich_text": {}}));
        }
    }
    let mut control_add_properties = BTreeMap::new();
    if !snapshot.control_schema.contains_key(&link) {
        control_add_properties.insert(link.clone(), serde_json::json!({"rich_text": {}}));
    }
    let create_environment = snapshot
        .environment_schema
        .is_none()
        .then_some(environment_properties);

    let pairing = pair_rows(snapshot);
    let mut plan = Builder {
        refs: std::sync::Arc::clone(&snapshot.refs),
        new_columns,
        ..Builder::default()
    };
    for row in &pairing.new_control {
        plan.create_in_environment(row, &synced);
    }
    for row in &pairing.new_environment {
        plan.create_in_control(row, &link, &synced);
    }
    for (control, environment) in &pairing.linked {
        plan.linked(control, environment, &link, &synced, policy);
    }

    // The max-delete guard: a listing that failed must not read as "the other side deleted
    // everything". Past the share, rows whose other side is gone are left as they are. A row
    // restored by hand from a pair the sync trashed half of is a restore, not a delete: not
    // counted, and restored whatever the guard says.
    let orphans = pairing.control_orphans.len() + pairing.environment_orphans.len();
    let restored_by_hand = pairing
        .control_orphans
        .iter()
        .filter(|(row, _, trashed)| control_restored(row, *trashed))
        .count()
        + pairing
            .environment_orphans
            .iter()
            .filter(|(row, _, trashed)| environment_restored(row, *trashed))
            .count();
    let gone = orphans - restored_by_hand;
    let read_pairs = pairing.linked.len() + orphans;
    // Read incrementally, the row pairs not read are as the last run left them: in step.
    let synced_rows = snapshot
        .incremental
        .map_or(read_pairs, |all| all.max(read_pairs));
    plan.counts.unchanged += synced_rows - read_pairs;
    let mut status = PairStatus::Ready;
    if guard::holds(gone, synced_rows, options) {
        status = PairStatus::DeleteGuard(format!(
            "{gone} of the pair's {synced_rows} linked rows were trashed on one side (more than {:.0}%); \
             nothing is trashed or restored but the rows restored by hand. If they really were, \
             run again with --allow-mass-delete",
            options.max_delete_fraction * 100.0
        ));
    }
    let guarded = status != PairStatus::Ready;
    for (control, environment, trashed) in &pairing.control_orphans {
        if !guarded || control_restored(control, *trashed) {
            plan.control_orphan(control, *environment, *trashed, &synced, &link);
        }
    }
    for (environment, control, trashed) in &pairing.environment_orphans {
        if !guarded || environment_restored(environment, *trashed) {
            plan.environment_orphan(environment, *control, *trashed, &link, &synced);
        }
    }
    plan.counts.conflicts = plan.conflicts.len();
    let unsettled = plan
        .conflicts
        .iter()
        .filter(|c| c.resolution == Resolution::Reported)
        .count();
    if unsettled > 0 {
        notes.push(format!(
            "{} left as {} (policy {policy:?}); each is reported until settled",
            crate::words::count(unsettled, "conflict", "conflicts"),
            if unsettled == 1 { "it is" } else { "they are" }
        ));
    }
    TwoWayPlan {
        pair: snapshot.pair.clone(),
        policy,
        status,
        create_environment,
        environment_columns,
        follow,
        record_columns,
        move_environment: None,
        update_environment: None,
        control_add_properties,
        actions: plan.actions,
        conflicts: plan.conflicts,
        counts: plan.counts,
        notes,
    }
}
