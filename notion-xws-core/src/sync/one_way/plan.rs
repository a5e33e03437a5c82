//! The sync plan, and the pure planner that makes it.
//!
//! [`plan_pair`] turns what was read of one (database, environment) pair — the source's schema
//! and rows, the target's if it exists — into a [`PairPlan`]: the target database to create or
//! the columns to add, then one [`RowAction`] per row that needs a write. It reads nothing and
//! writes nothing, so every rule is tested on plain data.
//!
//! Rows are matched by the correlation column [`SOURCE_KEY`] of the target, which holds the ID of
//! the source row; a row is updated only when its content differs (compared in canonical form,
//! never by `last_edited_time`), created when no target row carries its key, and the target rows
//! whose source row is gone are trashed — unless that would trash more than the allowed share of
//! the target (the max-delete guard), in which case the pair trashes nothing and says why. Target
//! rows with the same key twice (a crash of an older tool, say) are trashed but the oldest.
//!
//! Target rows without a key were added by hand to the copy: they are named in the plan
//! ([`PairPlan::added_by_hand`]) and kept, or trashed with [`PlanOptions::prune`] (`--prune`),
//! counted by the max-delete guard with the rest. A copy that lies outside the pair's parent
//! page (the registry names another page since it was made) is moved there
//! ([`PairPlan::move_target`]).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::ids::{DataSourceId, DatabaseId, PageId};
use crate::model::PropertyConfig;
use crate::model::params::UpdateDatabase;
use crate::sync::column_map::ColumnMap;
use crate::sync::columns::SOURCE_KEY;
pub use crate::sync::columns::{key_value, source_key};
use crate::sync::guard::{self, PairStatus, PlanOptions};
use crate::sync::links::marker;
use crate::sync::metadata::{DatabaseLook, changed_fields, plan_look};
use crate::sync::refs::{PairRefs, RefSide, count_kept, fallback_column, kept_notes};
pub use crate::sync::rows::{RowContent, SyncPair, TargetSnapshot};
use crate::sync::schema::{ColumnChanges, Follow, SchemaPlan, column_map, plan_schema};
use crate::sync::target::{CreateTarget, MoveTarget};
use crate::sync::watermark::Watermark;

/// Everything the planner needs for one pair.
#[derive(Debug, Clone, PartialEq)]
pub struct PairSnapshot {
    /// The pair.
    pub pair: SyncPair,
    /// The source data source.
    pub source: DataSourceId,
    /// The source database's title.
    pub source_title: String,
    /// The source database's title, description, icon and cover, when they were read.
    pub source_look: Option<DatabaseLook>,
    /// The source's schema.
    pub source_schema: BTreeMap<String, PropertyConfig>,
    /// The source's live rows (shared by the pairs that copy one source).
    pub source_rows: std::sync::Arc<Vec<RowContent>>,
    /// The target, when it exists.
    pub target: Option<TargetSnapshot>,
    /// Where the target is created when it does not exist.
    pub target_parent: PageId,
    /// The references between the two workspaces (relations, people); the rows' values are
    /// already portable ([`PairRefs::make_portable`]).
    pub refs: std::sync::Arc<PairRefs>,
    /// How the target's columns follow the source's, as the pair's link row records it.
    pub columns: ColumnMap,
    /// For a pair read incrementally: what the planner needs besides the rows read; `None` for
    /// a full reconcile (every row of both sides read).
    pub incremental: Option<Incremental>,
    /// The watermark to record once the plan is applied cleanly, and whether it is recorded
    /// even when nothing else is written (after a full reconcile).
    pub watermark: Option<(Watermark, bool)>,
}

/// What a pair read incrementally knows besides its rows (see
/// [`watermark`](crate::sync::watermark)): only the rows edited since the watermark, on either
/// side, and their counterparts were read, so a copy row whose source row was not read is left
/// as it is, unless its source row is known gone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Incremental {
    /// Source rows trashed (or deleted) since the watermark: their copy rows are trashed.
    pub gone: std::collections::HashSet<PageId>,
    /// The copy's synced rows after the last run (its link row's `Target Rows`): what the
    /// max-delete guard weighs the rows to trash against.
    pub synced_rows: usize,
}

/// Why a target row is trashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrashReason {
    /// Its source row is trashed or gone.
    SourceGone,
    /// Another target row carries the same source key and is older.
    Duplicate,
    /// A person added it to the copy (it has no source key), and the run prunes such rows.
    AddedByHand,
}

/// A target row a person added to a one-way copy (it has no source key): named in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandRow {
    /// The row.
    pub id: PageId,
    /// Its title, as plain text.
    pub title: String,
    /// A link to it.
    pub url: String,
}

/// One row write.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum RowAction {
    /// Creates the target row of a source row; its request body (its key included) is made
    /// when it is written ([`PairPlan::create_bodies`]).
    Create {
        /// The source row.
        source: PageId,
    },
    /// Writes the properties that differ.
    Update {
        /// The source row.
        source: PageId,
        /// The target row.
        target: PageId,
        /// The values that differ, as request JSON.
        properties: Map<String, Value>,
        /// Each property that differs, with its value in the target now and the value
        /// written, in canonical form (for the plan as data: [`planned`](crate::sync::planned)).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        changes: Vec<crate::sync::planned::ValueChange>,
    },
    /// Moves a target row to the trash.
    Trash {
        /// The target row.
        target: PageId,
        /// Why.
        reason: TrashReason,
    },
}

/// How the request body of each row a plan creates is made, when it is written: from its source
/// row, the columns copied and the pair's references. A plan holds this rather than a body a
/// row (a body is kilobytes of JSON: a first sync of 100,000 rows would hold them all at once);
/// the source rows are shared with the pair's snapshot.
#[derive(Clone, Default)]
pub struct CreateBodies {
    /// The columns copied.
    copied: Vec<crate::sync::schema::CopiedProperty>,
    /// The people columns whose unmatched people are written as names into a fallback column.
    people_fallback: Vec<String>,
    /// The references between the two workspaces.
    refs: std::sync::Arc<PairRefs>,
    /// The source rows.
    rows: std::sync::Arc<Vec<RowContent>>,
    /// Where each source row created is in `rows`.
    at: HashMap<PageId, usize>,
}

impl CreateBodies {
    /// The request body that creates the copy of source row `source`, by target property name
    /// (its key included); `None` when the plan does not create it.
    pub fn body(&self, source: PageId) -> Option<Map<String, Value>> {
        let row = self.rows.get(*self.at.get(&source)?)?;
        let refs = &self.refs;
        let mut body: Map<String, Value> = self
            .copied
            .iter()
            .map(|copied| {
                let text = row.text(&copied.source, &copied.type_name);
                let value = refs.write(
                    RefSide::Target,
                    &copied.type_name,
                    &copied.source,
                    &text,
                    None,
                );
                (copied.target.clone(), value)
            })
            .collect();
        for people in &self.people_fallback {
            let names = refs.unmatched_names(row.kept.get(people).map(|k| &**k));
            if names != "[]" {
                let write = refs.write(RefSide::Target, "rich_text", people, &names, None);
                body.insert(fallback_column(people), write);
            }
        }
        body.insert(SOURCE_KEY.to_owned(), key_value(row.id));
        Some(body)
    }

    /// How many rows it makes bodies for.
    pub fn len(&self) -> usize {
        self.at.len()
    }

    /// Whether it makes none.
    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }
}

impl std::fmt::Debug for CreateBodies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateBodies")
            .field("copied", &self.copied)
            .field("people_fallback", &self.people_fallback)
            .field("rows", &self.at.len())
            .finish()
    }
}

impl PartialEq for CreateBodies {
    /// The same bodies: the same columns and fallbacks, references, and rows created.
    fn eq(&self, other: &Self) -> bool {
        self.copied == other.copied
            && self.people_fallback == other.people_fallback
            && self.refs == other.refs
            && self.at.len() == other.at.len()
            && self.at.iter().all(|(source, &at)| {
                other
                    .at
                    .get(source)
                    .is_some_and(|&there| self.rows.get(at) == other.rows.get(there))
            })
    }
}

/// The counts of a plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PlannedCounts {
    /// Rows to create.
    pub create: usize,
    /// Rows to update.
    pub update: usize,
    /// Rows to trash.
    pub trash: usize,
    /// Rows already the same.
    pub unchanged: usize,
    /// Target rows without a key (made in the target): left alone.
    pub foreign: usize,
}

/// The plan of one pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairPlan {
    /// The pair.
    pub pair: SyncPair,
    /// The source data source.
    pub source: DataSourceId,
    /// The target, when it exists.
    pub target: Option<(DatabaseId, DataSourceId)>,
    /// Whether it can go ahead.
    pub status: PairStatus,
    /// The target database to create, when there is none.
    pub create_target: Option<CreateTarget>,
    /// The existing copy to move under the pair's parent page, when it lies elsewhere.
    pub move_target: Option<MoveTarget>,
    /// The title, description, icon or cover the existing copy lacks of its source's (one
    /// `PATCH /v1/databases/{id}`).
    pub update_target: Option<UpdateDatabase>,
    /// Target rows a person added to the copy (without a source key), in the target's order:
    /// kept, unless the run prunes them ([`PlanOptions::prune`]).
    pub added_by_hand: Vec<HandRow>,
    /// The changes to an existing target's columns: new ones, and those that follow a rename,
    /// a type change, new options or formula of the source's.
    pub columns: ColumnChanges,
    /// The source columns the copy follows, for the map its link row records.
    pub follow: Vec<Follow>,
    /// The column map to record in the link row when it differs from the recorded one and no
    /// column changes (a changed column's map is known once the change is made).
    pub record_columns: Option<ColumnMap>,
    /// The watermark to record once the plan is applied cleanly, and whether it is recorded
    /// even when nothing else is written (after a full reconcile).
    pub watermark: Option<(Watermark, bool)>,
    /// Whether the pair was read incrementally (only what changed since its watermark).
    pub incremental: bool,

    /// The row writes, in a stable order: creates and updates in source order, then trashes.
    pub rows: Vec<RowAction>,
    /// The request body of each row created, made when it is written.
    #[serde(skip)]
    pub create_bodies: CreateBodies,
    /// The counts.
    pub counts: PlannedCounts,
    /// What is not synced, and why (lossy schema differences, values written as text, …).
    pub notes: Vec<String>,
}

impl PairPlan {
    /// How many writes applying the plan takes (row writes, the target, its move, its columns).
    pub fn writes(&self) -> usize {
        self.rows.len()
            + usize::from(self.create_target.is_some())
            + usize::from(self.move_target.is_some())
            + usize::from(self.update_target.is_some())
            + self.columns.writes()
    }

    /// Whether applying the plan writes anything, the copy's link row included: rows, the
    /// target, its columns, or a target that `recorded` (the link row's copy) does not name yet.
    pub fn writes_anything(&self, recorded: Option<(DatabaseId, DataSourceId)>) -> bool {
        self.needs_lease(recorded) || self.watermark.as_ref().is_some_and(|(_, alone)| *alone)
    }

    /// Whether applying the plan writes the copy or records it ([`writes_anything`] but a
    /// watermark recorded alone, which needs no lease: it writes only the pair's link row).
    ///
    /// [`writes_anything`]: Self::writes_anything
    pub fn needs_lease(&self, recorded: Option<(DatabaseId, DataSourceId)>) -> bool {
        self.writes() > 0
            || self.record_columns.is_some()
            || (self.target.is_some() && recorded != self.target)
    }
}

/// Plans one pair. Pure: see the [module documentation](self).
pub fn plan_pair(snapshot: &PairSnapshot, options: PlanOptions) -> PairPlan {
    let refs = &snapshot.refs;
    let schema: SchemaPlan = plan_schema(
        &snapshot.source_schema,
        snapshot.target.as_ref().map(|t| &t.schema),
        refs,
        &snapshot.columns,
        options.prune_columns,
    );
    let mut notes = schema.notes.clone();
    let mut counts = PlannedCounts::default();
    let mut rows = Vec::new();

    // Target rows by key; duplicates beyond the oldest are trashed.
    let mut by_key: HashMap<PageId, &RowContent> = HashMap::new();
    let mut trash = Vec::new();
    let target_rows = snapshot
        .target
        .as_ref()
        .map(|t| t.rows.as_slice())
        .unwrap_or_default();
    let mut keyed: Vec<(PageId, &RowContent)> = target_rows
        .iter()
        .filter_map(|row| row.key.map(|key| (key, row)))
        .collect();
    counts.foreign = target_rows.len() - keyed.len();
    let title = snapshot.target.as_ref().and_then(|t| {
        t.schema
            .iter()
            .find(|(_, config)| config.type_name() == "title")
            .map(|(name, _)| name.as_str())
    });
    let added_by_hand: Vec<HandRow> = target_rows
        .iter()
        .filter(|row| row.key.is_none())
        .map(|row| HandRow {
            id: row.id,
            title: title.map(|name| row.plain_text(name)).unwrap_or_default(),
            url: format!("https://www.notion.so/{}", row.id.simple()),
        })
        .collect();
    keyed.sort_by(|(ka, a), (kb, b)| (ka, &a.created_time, a.id).cmp(&(kb, &b.created_time, b.id)));
    for (key, row) in keyed {
        match by_key.entry(key) {
            std::collections::hash_map::Entry::Occupied(_) => trash.push(RowAction::Trash {
                target: row.id,
                reason: TrashReason::Duplicate,
            }),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(row);
            }
        }
    }
    let duplicates = trash.len();
    if duplicates > 0 {
        notes.push(format!(
            "{} carried the key of another; the oldest of each is kept",
            crate::words::count(duplicates, "target row", "target rows")
        ));
    }

    let mut mentions = 0;
    let mut created = HashMap::new();
    for (at, source) in snapshot.source_rows.iter().enumerate() {
        mentions += source.mentions_flattened;
        match by_key.get(&source.id) {
            None => {
                // Its request body is made when it is written (`CreateBodies`).
                counts.create += 1;
                created.insert(source.id, at);
                rows.push(RowAction::Create { source: source.id });
            }
            Some(target) => {
                let mut differs = Map::new();
                let mut changes = Vec::new();
                let parsed = |text: &str| serde_json::from_str(text).unwrap_or(Value::Null);
                for copied in &schema.copied {
                    let value = source.text(&copied.source, &copied.type_name);
                    let before = target.text(&copied.read, &copied.type_name);
                    if copied.as_renamed(before.clone()) != value {
                        changes.push(crate::sync::planned::ValueChange {
                            property: copied.target.clone(),
                            before: parsed(&before),
                            after: parsed(&value),
                        });
                        let kept = target.kept.get(&copied.read).map(|k| &**k);
                        let write = refs.write(
                            RefSide::Target,
                            &copied.type_name,
                            &copied.source,
                            &value,
                            kept,
                        );
                        differs.insert(copied.target.clone(), write);
                    }
                }
                for people in &schema.people_fallback {
                    let column = fallback_column(people);
                    let names = refs.unmatched_names(source.kept.get(people).map(|k| &**k));
                    let before = target.text(&column, "rich_text");
                    if before != names {
                        changes.push(crate::sync::planned::ValueChange {
                            property: column.clone(),
                            before: parsed(&before),
                            after: parsed(&names),
                        });
                        let write = refs.write(RefSide::Target, "rich_text", people, &names, None);
                        differs.insert(column, write);
                    }
                }
                if differs.is_empty() {
                    counts.unchanged += 1;
                } else {
                    counts.update += 1;
                    rows.push(RowAction::Update {
                        source: source.id,
                        target: target.id,
                        properties: differs,
                        changes,
                    });
                }
            }
        }
    }
    if mentions > 0 {
        notes.push(format!(
            "{} written as plain text (a mention names objects of its own workspace)",
            crate::words::count(mentions, "mention", "mentions")
        ));
    }
    if schema
        .copied
        .iter()
        .any(|c| matches!(c.type_name.as_str(), "relation" | "people"))
    {
        let kept = count_kept(snapshot.source_rows.iter(), &snapshot.source_schema);
        notes.extend(kept_notes(
            kept,
            "source",
            "target",
            !schema.people_fallback.is_empty(),
        ));
    }

    // Target rows whose source row is gone.
    let live: std::collections::HashSet<PageId> =
        snapshot.source_rows.iter().map(|row| row.id).collect();
    let incremental = snapshot.incremental.as_ref();
    let mut gone: Vec<PageId> = by_key
        .iter()
        .filter(|(key, _)| !live.contains(key))
        // Read incrementally, a copy row whose source row was not read is as it was.
        .filter(|(key, _)| incremental.is_none_or(|i| i.gone.contains(key)))
        .map(|(_, row)| row.id)
        .collect();
    gone.sort();
    let synced_rows = incremental.map_or(by_key.len(), |i| i.synced_rows.max(by_key.len()));
    // Pruned rows count with the rest: of all the target's rows, the share trashed.
    let pruned = if options.prune {
        added_by_hand.len()
    } else {
        0
    };
    let (trashed, of) = (gone.len() + pruned, synced_rows + pruned);
    let mut status = PairStatus::Ready;
    if guard::holds(trashed, of, options) {
        let what = if pruned > 0 {
            format!(
                "{trashed} of the target's {of} rows ({} gone from the source, {pruned} added by hand) \
                 would be trashed",
                gone.len()
            )
        } else {
            format!("{trashed} of the target's {of} synced rows would be trashed")
        };
        status = PairStatus::DeleteGuard(format!(
            "{what} (more than {:.0}%); nothing is trashed. \
             If the source really lost them, run again with --allow-mass-delete",
            options.max_delete_fraction * 100.0
        ));
    } else {
        trash.extend(gone.into_iter().map(|target| RowAction::Trash {
            target,
            reason: TrashReason::SourceGone,
        }));
        trash.extend(
            added_by_hand
                .iter()
                .take(pruned)
                .map(|row| RowAction::Trash {
                    target: row.id,
                    reason: TrashReason::AddedByHand,
                }),
        );
    }
    if !added_by_hand.is_empty() {
        notes.push(hand_rows_note(&added_by_hand, options.prune, &status));
    }
    counts.trash = trash.len();
    if let Some(incremental) = incremental {
        // The rows not read are unchanged.
        counts.unchanged = incremental
            .synced_rows
            .saturating_sub(counts.update + counts.trash)
            .max(counts.unchanged);
    }
    rows.extend(trash);

    let look = snapshot
        .source_look
        .clone()
        .unwrap_or_else(|| DatabaseLook {
            title: snapshot.source_title.clone(),
            ..DatabaseLook::default()
        });
    let record_columns = snapshot.target.as_ref().and_then(|target| {
        let map = column_map(&schema.follow, &target.schema);
        (schema.changes.is_empty() && map != snapshot.columns).then_some(map)
    });
    let follow = schema.follow.clone();
    let create_bodies = CreateBodies {
        copied: schema.copied.clone(),
        people_fallback: schema.people_fallback.clone(),
        refs: std::sync::Arc::clone(&snapshot.refs),
        rows: std::sync::Arc::clone(&snapshot.source_rows),
        at: created,
    };
    let (create_target, columns) = match &snapshot.target {
        None => (
            Some(CreateTarget {
                parent: snapshot.target_parent,
                title: look.title.clone(),
                description: look.description.clone(),
                icon: look.portable_icon().cloned(),
                cover: look.portable_cover().cloned(),
                properties: schema.create,
            }),
            ColumnChanges::default(),
        ),
        Some(_) => (None, schema.changes),
    };
    let mut update_target = None;
    if let (Some(source), Some(copy)) = (
        &snapshot.source_look,
        snapshot.target.as_ref().and_then(|t| t.look.as_ref()),
    ) {
        let (update, look_notes) = plan_look(source, copy, &marker(&snapshot.pair));
        if let Some(update) = &update {
            notes.push(format!(
                "the source database's {} changed: the copy follows",
                changed_fields(update)
            ));
        }
        notes.extend(look_notes);
        update_target = update;
    }
    let move_target = snapshot
        .target
        .as_ref()
        .and_then(|t| t.outside_parent.clone())
        .map(|from| MoveTarget {
            from,
            to: snapshot.target_parent,
        });
    PairPlan {
        pair: snapshot.pair.clone(),
        source: snapshot.source,
        target: snapshot
            .target
            .as_ref()
            .map(|t| (t.database, t.data_source)),
        status,
        create_target,
        move_target,
        update_target,
        added_by_hand,
        columns,
        follow,
        record_columns,
        watermark: snapshot.watermark.clone(),
        incremental: snapshot.incremental.is_some(),
        rows,
        create_bodies,
        counts,
        notes,
    }
}

/// The note that names the rows a person added to the copy, and what becomes of them.
fn hand_rows_note(rows: &[HandRow], prune: bool, status: &PairStatus) -> String {
    let named: Vec<String> = rows
        .iter()
        .map(|row| format!("{:?} ({})", crate::words::or_untitled(&row.title), row.url))
        .collect();
    let fate = match (prune, status) {
        (false, _) => "kept (run with --prune, Python prune=True, to trash them)",
        (true, PairStatus::Ready) => "trashed (--prune)",
        (true, PairStatus::DeleteGuard(_)) => "kept: the max-delete guard held",
    };
    format!(
        "{} added by hand to the copy (not from the source): {}; {fate}",
        crate::words::count(rows.len(), "row", "rows"),
        named.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Page;
    use crate::registry::Direction;
    use serde_json::json;

    const SOURCE_DS: &str = "11111111-1111-4111-8111-111111111111";
    const TARGET_DS: &str = "22222222-2222-4222-8222-222222222222";
    const TARGET_DB: &str = "33333333-3333-4333-8333-333333333333";

    fn id(n: u32) -> String {
        format!("{n:08x}-0000-4000-8000-000000000000")
    }

    fn schema(with_key: bool) -> BTreeMap<String, PropertyConfig> {
        let mut json = json!({
            "Name": {"id": "title", "name": "Name", "type": "title", "title": {}},
            "Hours": {"id": "h", "name": "Hours", "type": "number", "number": {}},
        });
        if with_key {
            json[SOURCE_KEY] =
                json!({"id": "k", "name": SOURCE_KEY, "type": "rich_text", "rich_text": {}});
        }
        serde_json::from_value(json).unwrap()
    }

    fn row(n: u32, title: &str, hours: f64, key: Option<u32>, created: &str) -> Page {
        let mut properties = json!({
            "Name": {"id": "title", "type": "title", "title": [{"type": "text", "text": {"content": title, "link": null}, "plain_text": title, "href": null}]},
            "Hours": {"id": "h", "type": "number", "number": hours},
        });
        if let Some(key) = key {
            let key = id(key);
            properties[SOURCE_KEY] = json!({"id": "k", "type": "rich_text", "rich_text": [{"type": "text", "text": {"content": key, "link": null}, "plain_text": key, "href": null}]});
        }
        serde_json::from_value(json!({
            "object": "page", "id": id(n), "created_time": created, "last_edited_time": created,
            "parent": {"type": "data_source_id", "data_source_id": SOURCE_DS},
            "properties": properties, "url": "https://www.notion.so/x", "in_trash": false,
        }))
        .unwrap()
    }

    fn snapshot(source: Vec<Page>, target: Option<Vec<Page>>) -> PairSnapshot {
        PairSnapshot {
            pair: SyncPair {
                database_row: PageId::parse(&id(900)).unwrap(),
                database: "Tasks".into(),
                environment_row: PageId::parse(&id(901)).unwrap(),
                environment: "Acme".into(),
                direction: Direction::Push,
            },
            source: SOURCE_DS.parse().unwrap(),
            source_title: "Tasks".into(),
            source_look: None,
            source_schema: schema(false),
            source_rows: std::sync::Arc::new(source.iter().map(RowContent::from).collect()),
            target: target.map(|rows| TargetSnapshot {
                database: TARGET_DB.parse().unwrap(),
                data_source: TARGET_DS.parse().unwrap(),
                schema: schema(true),
                rows: rows.iter().map(RowContent::from).collect(),
                outside_parent: None,
                look: None,
                read: Default::default(),
            }),
            target_parent: PageId::parse(&id(902)).unwrap(),
            refs: std::sync::Arc::default(),
            columns: ColumnMap::default(),
            incremental: None,
            watermark: None,
        }
    }

    const T: &str = "2026-07-04T09:00:00.000Z";

    #[test]
    fn no_target_creates_it_and_every_row_with_its_key() {
        let plan = plan_pair(
            &snapshot(
                vec![row(1, "a", 1.0, None, T), row(2, "b", 2.0, None, T)],
                None,
            ),
            PlanOptions::default(),
        );
        let create = plan.create_target.as_ref().unwrap();
        assert_eq!(create.title, "Tasks");
        assert!(create.properties.contains_key(SOURCE_KEY));
        assert_eq!(
            plan.counts,
            PlannedCounts {
                create: 2,
                ..PlannedCounts::default()
            }
        );
        match &plan.rows[0] {
            RowAction::Create { source } => {
                let properties = plan.create_bodies.body(*source).unwrap();
                assert_eq!(source.to_string(), id(1));
                assert_eq!(
                    properties[SOURCE_KEY]["rich_text"][0]["text"]["content"],
                    id(1)
                );
                assert_eq!(properties["Hours"], json!({"number": 1.0}));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(plan.writes(), 3);
    }

    #[test]
    fn only_what_differs_is_written() {
        let source = vec![row(1, "a", 1.0, None, T), row(2, "b", 2.0, None, T)];
        let target = vec![row(11, "a", 1.0, Some(1), T), row(12, "b", 3.0, Some(2), T)];
        let snapshot = snapshot(source, Some(target));
        // The copy row that matches its source row holds its source row's values (shared),
        // the other its own: the plan is the same either way.
        let copy = &snapshot.target.as_ref().unwrap().rows;
        assert!(copy[0].values.shares(&snapshot.source_rows[0].values));
        assert!(!copy[1].values.shares(&snapshot.source_rows[1].values));
        let plan = plan_pair(&snapshot, PlanOptions::default());
        assert_eq!(
            plan.counts,
            PlannedCounts {
                update: 1,
                unchanged: 1,
                ..PlannedCounts::default()
            }
        );
        assert_eq!(
            plan.rows,
            vec![RowAction::Update {
                source: PageId::parse(&id(2)).unwrap(),
                target: PageId::parse(&id(12)).unwrap(),
                properties: serde_json::from_value(json!({"Hours": {"number": 2.0}})).unwrap(),
                changes: vec![crate::sync::planned::ValueChange {
                    property: "Hours".to_owned(),
                    before: json!(3.0),
                    after: json!(2.0),
                }],
            }]
        );
        assert!(plan.create_target.is_none() && plan.columns.is_empty());
    }

    #[test]
    fn rows_gone_from_the_source_are_trashed_within_the_guard() {
        let source = vec![
            row(1, "a", 1.0, None, T),
            row(2, "b", 2.0, None, T),
            row(3, "c", 3.0, None, T),
        ];
        let target = vec![
            row(11, "a", 1.0, Some(1), T),
            row(12, "b", 2.0, Some(2), T),
            row(13, "c", 3.0, Some(3), T),
            row(14, "d", 4.0, Some(4), T),
            row(15, "made in the target", 0.0, None, T),
        ];
        let plan = plan_pair(
            &snapshot(source, Some(target.clone())),
            PlanOptions::default(),
        );
        assert_eq!(plan.counts.trash, 1);
        assert_eq!(plan.counts.foreign, 1);
        assert_eq!(plan.status, PairStatus::Ready);
        assert!(matches!(
            plan.rows[0],
            RowAction::Trash {
                reason: TrashReason::SourceGone,
                ..
            }
        ));

        // An empty listing is never read as "everything was deleted".
        let emptied = plan_pair(
            &snapshot(Vec::new(), Some(target.clone())),
            PlanOptions::default(),
        );
        assert!(matches!(emptied.status, PairStatus::DeleteGuard(_)));
        assert!(emptied.rows.is_empty());
        let allowed = plan_pair(
            &snapshot(Vec::new(), Some(target)),
            PlanOptions {
                allow_mass_delete: true,
                ..PlanOptions::default()
            },
        );
        assert_eq!(allowed.counts.trash, 4);
    }

    #[test]
    fn duplicate_keys_keep_the_oldest() {
        let source = vec![row(1, "a", 1.0, None, T)];
        let target = vec![
            row(12, "a", 1.0, Some(1), "2026-07-04T09:05:00.000Z"),
            row(11, "a", 1.0, Some(1), "2026-07-04T09:01:00.000Z"),
        ];
        let plan = plan_pair(&snapshot(source, Some(target)), PlanOptions::default());
        assert_eq!(
            plan.rows,
            vec![RowAction::Trash {
                target: PageId::parse(&id(12)).unwrap(),
                reason: TrashReason::Duplicate
            }]
        );
        assert_eq!(plan.counts.unchanged, 1);
    }

    #[test]
    fn the_same_input_gives_the_same_plan() {
        let make = || {
            let source = (0..50)
                .map(|n| row(n, &format!("r{n}"), f64::from(n), None, T))
                .collect();
            let target = (0..40)
                .map(|n| row(100 + n, &format!("r{n}"), f64::from(n % 7), Some(n + 5), T))
                .collect();
            plan_pair(&snapshot(source, Some(target)), PlanOptions::default())
        };
        assert_eq!(
            serde_json::to_string(&make()).unwrap(),
            serde_json::to_string(&make()).unwrap()
        );
    }
}
