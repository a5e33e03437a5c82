//! The source's schema, translated for the target.
//!
//! Each source property is copied (its values too), created only (Notion computes its values in
//! the target: formulas, timestamps, `unique_id`), or left out with a note saying why (a relation
//! whose related database is not synced to the same environment, rollups, buttons and types the
//! API cannot create). A relation whose related database has a copy in the environment is
//! created pointing at that copy, one-way; people are copied (matched by email, see
//! [`refs`](super::refs)). Options of selects and statuses are copied by name and colour; formulas are copied
//! as expressions, with references to properties rewritten by name, when every property they
//! refer to exists in the target. The target also gets the correlation column
//! [`SOURCE_KEY`], which holds, in each target row, the ID of its source row.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::column_map::{ColumnMap, FollowedColumn};
use super::refs::{PairRefs, PeopleFallback, RelationCopy, fallback_column, relation_config};
use super::values::COPIED_TYPES;
use crate::model::{PropertyConfig, PropertyConfigKind};

pub use super::columns::SOURCE_KEY;

/// What happens to one source property.
#[derive(Debug, Clone, PartialEq)]
enum Translation {
    /// Created in the target and its values copied.
    Copy(Value),
    /// Created in the target; Notion computes its values there.
    CreateOnly(Value),
    /// Left out, for this reason.
    Skip(String),
}

/// A property whose values are copied: its name in the source and in the target, and its type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CopiedProperty {
    /// The name in the source.
    pub source: String,
    /// The name in the target once the plan's changes are made (the source's, but where a
    /// column of the copy that is not synced holds it).
    pub target: String,
    /// The name under which the target's rows, as read, hold its values (the target's name
    /// before a rename the plan makes).
    pub read: String,
    /// The copy's options the plan renames (old name → new name): a value read under an old
    /// name is the option's value once renamed, so it is compared under the new one.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub renamed_options: BTreeMap<String, String>,
    /// The type.
    pub type_name: String,
}

/// The schema side of a pair's plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SchemaPlan {
    /// The properties whose values are copied.
    pub copied: Vec<CopiedProperty>,
    /// The properties to create in the target, as request JSON, by name.
    pub create: BTreeMap<String, Value>,
    /// What is not copied, and why.
    pub notes: Vec<String>,
    /// People properties (source names) whose unmatched people are written as names into
    /// their [`fallback_column`] (one-way, with [`PeopleFallback::Names`]).
    pub people_fallback: Vec<String>,
    /// The changes to an existing target's columns (nothing for a target to create, whose
    /// columns are [`create`](Self::create)).
    pub changes: ColumnChanges,
    /// The source columns the copy follows, for its [`ColumnMap`].
    pub follow: Vec<Follow>,
    #[serde(skip)]
    retyped: Vec<Retype>,
}

fn options(options: &[crate::model::SelectOption]) -> Value {
    Value::Array(
        options
            .iter()
            .map(|o| match &o.color {
                Some(color) => json!({"name": o.name, "color": color}),
                None => json!({"name": o.name}),
            })
            .collect(),
    )
}

/// Rewrites `{{notion:block_property:ID:…}}` references as `prop("Name")`; `None` when a
/// reference names a property that is not in `names` (by ID) or not in `present` (by name).
fn rewrite_formula(
    expression: &str,
    ids: &BTreeMap<String, String>,
    present: &dyn Fn(&str) -> bool,
) -> Option<String> {
    let mut out = String::with_capacity(expression.len());
    let mut rest = expression;
    while let Some(start) = rest.find("{{notion:block_property:") {
        out.push_str(&rest[..start]);
        let after = &rest[start + "{{notion:block_property:".len()..];
        let end = after.find("}}")?;
        let id = after[..end].split(':').next()?;
        let decoded = percent_encoding::percent_decode_str(id).decode_utf8_lossy();
        let name = ids.get(id).or_else(|| ids.get(decoded.as_ref()))?;
        if !present(name) {
            return None;
        }
        out.push_str(&format!("prop(\"{}\")", name.replace('"', "\\\"")));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    // References by name must also exist.
    let mut scan = out.as_str();
    while let Some(start) = scan.find("prop(\"") {
        let after = &scan[start + 6..];
        let end = after.find("\")")?;
        if !present(&after[..end]) {
            return None;
        }
        scan = &after[end..];
    }
    Some(out)
}

fn translate(config: &PropertyConfig, refs: &PairRefs) -> Translation {
    let type_name = config.type_name().to_owned();
    let empty = || json!({ type_name.clone(): {} });
    match &config.config {
        PropertyConfigKind::Select(select) => Translation::Copy(
            json!({"select": {"options": options(select.options.as_deref().unwrap_or_default())}}),
        ),
        PropertyConfigKind::MultiSelect(select) => Translation::Copy(
            json!({"multi_select": {"options": options(select.options.as_deref().unwrap_or_default())}}),
        ),
        PropertyConfigKind::Status(status) => Translation::Copy(
            json!({"status": {"options": options(status.options.as_deref().unwrap_or_default())}}),
        ),
        PropertyConfigKind::Number(number) => Translation::Copy(match &number.format {
            Some(format) => json!({"number": {"format": format}}),
            None => json!({"number": {}}),
        }),
        PropertyConfigKind::UniqueId(unique) => Translation::CreateOnly(match &unique.prefix {
            Some(Some(prefix)) => json!({"unique_id": {"prefix": prefix}}),
            _ => json!({"unique_id": {}}),
        }),
        PropertyConfigKind::CreatedTime(_)
        | PropertyConfigKind::CreatedBy(_)
        | PropertyConfigKind::LastEditedTime(_)
        | PropertyConfigKind::LastEditedBy(_) => Translation::CreateOnly(empty()),
        // People are matched by email (see `refs`).
        PropertyConfigKind::People(_) => Translation::Copy(empty()),
        PropertyConfigKind::Relation(relation) => {
            match relation.data_source_id.and_then(|ds| refs.relation(ds)) {
                Some(RelationCopy::Copied { target, .. }) => Translation::Copy(relation_config(*target)),
                Some(RelationCopy::Waiting) => Translation::Skip(
                    "relation: its related database has no copy in this environment yet; the column and its values follow on the next pass".into(),
                ),
                None => Translation::Skip(
                    "relation: its related database is not synced to this environment (the same way round); its values would name pages the environment cannot see".into(),
                ),
            }
        }
        PropertyConfigKind::Rollup(_) => {
            Translation::Skip(
                "rollup: not recreated (Notion computes it from a relation and a property of the related database, which the copy may lack)".into(),
            )
        }
        PropertyConfigKind::Formula(_) => Translation::Skip(String::new()),
        _ if COPIED_TYPES.contains(&type_name.as_str()) => Translation::Copy(empty()),
        _ => Translation::Skip(format!("{type_name}: the API cannot create this type")),
    }
}

/// Whether an existing relation column points elsewhere than the relation to create.
fn relation_elsewhere(create: &Value, existing: &PropertyConfig) -> bool {
    let PropertyConfigKind::Relation(relation) = &existing.config else {
        return false;
    };
    let wanted = create["relation"]["data_source_id"].as_str();
    wanted.is_some() && relation.data_source_id.map(|d| d.to_string()).as_deref() != wanted
}

/// The changes to an existing target's columns, as the bodies of the `PATCH
/// /v1/data_sources/{id}` requests that make them, in order: removals (and, when a rename takes
/// a name another column holds now, temporary names) first, then renames, type changes, option
/// changes and new columns, then formulas (which name the columns by their new names).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ColumnChanges {
    /// The request bodies' `properties`, in order; none is empty.
    pub steps: Vec<Map<String, Value>>,
    /// The columns whose type changes: should Notion refuse to convert one, it is removed and
    /// made again with its new type (its values are then written again from the source).
    pub retyped: Vec<Retype>,
}

/// A column whose type changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Retype {
    /// The copy's property ID.
    pub id: String,
    /// Its name once changed.
    pub name: String,
    /// Its new configuration, as request JSON (`{"select": {…}}`).
    pub config: Value,
}

impl ColumnChanges {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// How many requests the changes take.
    pub fn writes(&self) -> usize {
        self.steps.len()
    }

    /// Adds a new column (by name) to the step that adds columns.
    pub fn add_column(&mut self, name: String, config: Value) {
        match self.steps.iter_mut().find(|step| {
            step.values()
                .all(|v| v.get("formula").is_none() && !v.is_null())
        }) {
            Some(step) => {
                step.insert(name, config);
            }
            None => {
                let mut step = Map::new();
                step.insert(name, config);
                self.steps.push(step);
            }
        }
    }
}

/// A source column the copy follows: where the [`ColumnMap`] finds it once the changes are made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Follow {
    /// The source's property ID.
    pub source_id: String,
    /// The copy's column name once the changes are made.
    pub target: String,
    /// For options: each source option ID and the copy option's name once the changes are made.
    pub options: Vec<(String, String)>,
}

/// The map to record once a plan's column changes are made, given the columns it follows and
/// the target's schema then (the answer to the last change, or the target as read when nothing
/// changed). A column the schema lacks is left out (it was not made), as is an option it lacks.
pub fn column_map(follow: &[Follow], schema: &BTreeMap<String, PropertyConfig>) -> ColumnMap {
    {
        let mut map = ColumnMap::default();
        for follow in follow {
            let Some(column) = schema.get(&follow.target) else {
                continue;
            };
            let Some(id) = column.id.as_ref() else {
                continue;
            };
            let options = option_list(column);
            map.0.insert(
                follow.source_id.clone(),
                FollowedColumn {
                    id: id.as_str().to_owned(),
                    options: follow
                        .options
                        .iter()
                        .filter_map(|(source, name)| {
                            options
                                .iter()
                                .find(|o| &o.name == name)
                                .and_then(|o| o.id.clone())
                                .map(|id| (source.clone(), id))
                        })
                        .collect(),
                },
            );
        }
        map
    }
}

impl CopiedProperty {
    /// The canonical text of a value the target held as read (`text`), as it reads once the
    /// plan's option renames are made.
    pub fn as_renamed<'a>(&self, text: Cow<'a, str>) -> Cow<'a, str> {
        if self.renamed_options.is_empty() {
            return text;
        }
        let rename = |v: &mut Value| {
            if let Some(new) = v.as_str().and_then(|name| self.renamed_options.get(name)) {
                *v = Value::String(new.clone());
            }
        };
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Array(mut names)) => {
                names.iter_mut().for_each(rename);
                Cow::Owned(Value::Array(names).to_string())
            }
            Ok(mut one @ Value::String(_)) => {
                rename(&mut one);
                Cow::Owned(one.to_string())
            }
            _ => text,
        }
    }
}

/// A column's options (select, multi-select, status); none for other types.
fn option_list(config: &PropertyConfig) -> &[crate::model::SelectOption] {
    match &config.config {
        PropertyConfigKind::Select(s) | PropertyConfigKind::MultiSelect(s) => {
            s.options.as_deref().unwrap_or_default()
        }
        PropertyConfigKind::Status(s) => s.options.as_deref().unwrap_or_default(),
        _ => &[],
    }
}

/// The options a copy's column should have to follow `source`'s: the list to send (`None` when
/// the copy's already agree), each source option's name (for the map), and notes. Options are
/// matched by the stored map first, then by name; the copy's other options are removed (a
/// status option cannot be: the API only adds and changes them, so it is named in a note).
fn plan_options(
    column: &str,
    kind: &str,
    source: &[crate::model::SelectOption],
    copy: &[crate::model::SelectOption],
    stored: Option<&BTreeMap<String, String>>,
) -> OptionPlan {
    let mut claimed: Vec<&str> = Vec::new();
    let mut renamed = BTreeMap::new();
    let mut list = Vec::new();
    let mut follow = Vec::new();
    let mut notes = Vec::new();
    let mut changed = false;
    let stored_for = |id: &str| stored.and_then(|s| s.get(id));
    let claimed_by_map = |copy_id: &str, source_id: &str| {
        stored.is_some_and(|s| s.iter().any(|(k, v)| v == copy_id && k != source_id))
    };
    for option in source {
        let source_id = option.id.clone().unwrap_or_else(|| option.name.clone());
        let found = stored_for(&source_id)
            .and_then(|id| copy.iter().find(|c| c.id.as_deref() == Some(id.as_str())))
            .or_else(|| {
                copy.iter().find(|c| {
                    c.name == option.name
                        && c.id.as_deref().is_none_or(|id| {
                            !claimed_by_map(id, &source_id) && !claimed.contains(&id)
                        })
                })
            })
            .filter(|c| c.id.as_deref().is_none_or(|id| !claimed.contains(&id)));
        let mut entry = Map::new();
        match found {
            Some(existing) => {
                if let Some(id) = existing.id.as_deref() {
                    claimed.push(id);
                    entry.insert("id".into(), json!(id));
                }
                if existing.name != option.name {
                    renamed.insert(existing.name.clone(), option.name.clone());
                }
                changed |= existing.name != option.name
                    || (option.color.is_some() && existing.color != option.color);
            }
            None => changed = true,
        }
        entry.insert("name".into(), json!(option.name));
        if let Some(color) = &option.color {
            entry.insert("color".into(), json!(color));
        }
        list.push(Value::Object(entry));
        follow.push((source_id, option.name.clone()));
    }
    let left: Vec<&crate::model::SelectOption> = copy
        .iter()
        .filter(|c| c.id.as_deref().is_none_or(|id| !claimed.contains(&id)))
        .collect();
    if kind == "status" {
        for option in &left {
            notes.push(format!(
                "{column:?}: the copy's status option {:?} is no longer in the source, and Notion's API cannot remove a status option; remove it by hand",
                option.name
            ));
        }
        if left.iter().any(|l| source.iter().any(|o| o.name == l.name)) {
            notes.push(format!(
                "{column:?}: a status option was renamed to the name of one the copy keeps; its options are left as they are"
            ));
            return OptionPlan {
                follow,
                notes,
                ..OptionPlan::default()
            };
        }
    } else {
        changed |= !left.is_empty();
    }
    OptionPlan {
        list: changed.then_some(list),
        follow,
        notes,
        renamed,
    }
}

/// What [`plan_options`] plans for one column.
#[derive(Debug, Default)]
struct OptionPlan {
    /// The options to send, when the copy's differ.
    list: Option<Vec<Value>>,
    /// Each source option ID and its name.
    follow: Vec<(String, String)>,
    /// Notes.
    notes: Vec<String>,
    /// The copy's options renamed (old name → new name).
    renamed: BTreeMap<String, String>,
}

/// What a matched copy column lacks of its source column, besides its name and type: options,
/// a number format, a formula's expression (compared by the names it refers to).
fn config_change(
    name: &str,
    source: &PropertyConfig,
    copy: &PropertyConfig,
    wanted: &Value,
    stored: Option<&FollowedColumn>,
    target_ids: &BTreeMap<String, String>,
) -> (Option<Value>, OptionPlan) {
    let kind = source.type_name();
    match (&source.config, &copy.config) {
        (
            PropertyConfigKind::Select(_)
            | PropertyConfigKind::MultiSelect(_)
            | PropertyConfigKind::Status(_),
            _,
        ) => {
            let mut options = plan_options(
                name,
                kind,
                option_list(source),
                option_list(copy),
                stored.map(|s| &s.options),
            );
            let change = options
                .list
                .take()
                .map(|list| json!({ kind: {"options": list} }));
            (change, options)
        }
        (PropertyConfigKind::Number(a), PropertyConfigKind::Number(b)) => {
            let differs = a.format.is_some() && a.format != b.format;
            (differs.then(|| wanted.clone()), OptionPlan::default())
        }
        (PropertyConfigKind::Formula(_), PropertyConfigKind::Formula(b)) => {
            let have = b
                .expression
                .as_deref()
                .and_then(|e| rewrite_formula(e, target_ids, &|_| true));
            let want = wanted["formula"]["expression"].as_str();
            let differs = want.is_some() && have.as_deref() != want;
            (differs.then(|| wanted.clone()), OptionPlan::default())
        }
        _ => (None, OptionPlan::default()),
    }
}

/// The key a change to copy column `id` (named `current`) is sent under: its ID, unless another
/// column is named that (Notion reads keys as names first), then its name.
fn change_key(id: &str, current: &str, target: &BTreeMap<String, PropertyConfig>) -> String {
    if id != current && target.contains_key(id) {
        current.to_owned()
    } else {
        id.to_owned()
    }
}

/// Plans the target's schema from the source's, given the target's if it exists, the pair's
/// [`ColumnMap`] (how the copy's columns follow the source's, by ID) and whether columns whose
/// source column is gone are removed (`--prune-columns`).
pub fn plan_schema(
    source: &BTreeMap<String, PropertyConfig>,
    target: Option<&BTreeMap<String, PropertyConfig>>,
    refs: &PairRefs,
    map: &ColumnMap,
    prune_columns: bool,
) -> SchemaPlan {
    let mut plan = SchemaPlan::default();
    let mut translations: BTreeMap<&str, Translation> = source
        .iter()
        .map(|(name, config)| (name.as_str(), translate(config, refs)))
        .collect();
    // Which source names will exist in the target (formulas may refer only to those).
    let kept: Vec<&str> = translations
        .iter()
        .filter(|(_, t)| matches!(t, Translation::Copy(_) | Translation::CreateOnly(_)))
        .map(|(name, _)| *name)
        .collect();
    let ids: BTreeMap<String, String> = source
        .iter()
        .filter_map(|(name, config)| config.id.as_ref().map(|id| (id.to_string(), name.clone())))
        .collect();
    for (name, config) in source {
        if let PropertyConfigKind::Formula(formula) = &config.config {
            let expression = formula.expression.clone().unwrap_or_default();
            let present = |n: &str| kept.contains(&n);
            let translation = match rewrite_formula(&expression, &ids, &present) {
                Some(expression) => {
                    Translation::CreateOnly(json!({"formula": {"expression": expression}}))
                }
                None => {
                    Translation::Skip("formula: it refers to a property that is not copied".into())
                }
            };
            translations.insert(name.as_str(), translation);
        }
    }
    let empty = BTreeMap::new();
    let target_schema = target.unwrap_or(&empty);
    let target_ids: BTreeMap<String, String> = target_schema
        .iter()
        .filter_map(|(name, config)| config.id.as_ref().map(|id| (id.to_string(), name.clone())))
        .collect();
    let id_of = |config: &PropertyConfig| config.id.as_ref().map(|id| id.as_str().to_owned());
    let by_id = |id: &str| {
        target_schema
            .iter()
            .find(|(_, c)| c.id.as_ref().is_some_and(|i| i.as_str() == id))
    };
    let mut claimed: Vec<String> = Vec::new();
    let mut removals = Map::new();
    let mut renames: Vec<(String, String, String)> = Vec::new(); // (key, current, final)
    let mut main = Map::new();
    let mut formulas = Map::new();
    for (name, translation) in translations {
        let config = &source[name];
        let source_id = id_of(config).unwrap_or_else(|| name.to_owned());
        let type_name = config.type_name().to_owned();
        let stored = map.get(&source_id);
        // The copy's counterpart: by the map, else (the title) the copy's title, else by name
        // when no other source column claims that column.
        let counterpart = target.and_then(|t| {
            stored
                .and_then(|f| by_id(&f.id))
                .or_else(|| {
                    if type_name == "title" {
                        t.iter().find(|(_, c)| c.type_name() == "title")
                    } else {
                        t.get_key_value(name).filter(|(_, c)| {
                            id_of(c).is_none_or(|id| !map.claims_for_another(&id, &source_id))
                        })
                    }
                })
                .filter(|(_, c)| id_of(c).is_none_or(|id| !claimed.contains(&id)))
        });
        let (create, copied) = match translation {
            Translation::Skip(reason) => {
                match counterpart {
                    Some((current, c)) if stored.is_some() => {
                        claimed.extend(id_of(c));
                        plan.notes.push(format!(
                            "{name:?} not synced ({reason}); the copy's column {current:?} is kept as it was"
                        ));
                    }
                    _ => plan.notes.push(format!("{name:?} not synced ({reason})")),
                }
                continue;
            }
            Translation::Copy(create) => (create, true),
            Translation::CreateOnly(create) => (create, false),
        };
        let is_formula = type_name == "formula";
        let Some((current, existing)) = counterpart else {
            if target_schema.contains_key(name) {
                plan.notes.push(format!(
                    "{name:?} is new in the source, but the copy has another column of that name (one the source no longer has): it is not created; remove that column (or run with --prune-columns)"
                ));
                continue;
            }
            plan.create.insert(name.to_owned(), create.clone());
            if target.is_some() {
                if is_formula { &mut formulas } else { &mut main }.insert(name.to_owned(), create);
            }
            plan.follow.push(Follow {
                source_id,
                target: name.to_owned(),
                options: option_list(config)
                    .iter()
                    .map(|o| {
                        (
                            o.id.clone().unwrap_or_else(|| o.name.clone()),
                            o.name.clone(),
                        )
                    })
                    .collect(),
            });
            if copied {
                plan.copied.push(CopiedProperty {
                    source: name.to_owned(),
                    target: name.to_owned(),
                    read: name.to_owned(),
                    renamed_options: BTreeMap::new(),
                    type_name,
                });
            }
            continue;
        };
        let copy_id = id_of(existing).unwrap_or_else(|| current.clone());
        claimed.push(copy_id.clone());
        let key = change_key(&copy_id, current, target_schema);
        let mut change = Map::new();
        let option_names: Vec<(String, String)>;
        let mut renamed_options = BTreeMap::new();
        if existing.type_name() != type_name {
            if let Value::Object(config) = &create {
                change.extend(config.clone());
            }
            plan.notes.push(format!(
                "{name:?} is a {type_name} in the source and was a {} in the copy: the copy's column follows (its values are written again)",
                existing.type_name()
            ));
            plan.retyped.push(Retype {
                id: key.clone(),
                name: name.to_owned(),
                config: create.clone(),
            });
            option_names = option_list(config)
                .iter()
                .map(|o| {
                    (
                        o.id.clone().unwrap_or_else(|| o.name.clone()),
                        o.name.clone(),
                    )
                })
                .collect();
        } else if relation_elsewhere(&create, existing) {
            plan.notes.push(format!(
                "{name:?} in the target relates to another database than the copy of the source's; its values are not synced"
            ));
            continue;
        } else {
            let (update, options) =
                config_change(name, config, existing, &create, stored, &target_ids);
            plan.notes.extend(options.notes);
            option_names = options.follow;
            renamed_options = options.renamed;
            if let Some(Value::Object(update)) = update {
                change.extend(update);
            }
        }
        let mut final_name = name.to_owned();
        if current != name {
            let holder = target_schema
                .get(name)
                .and_then(&id_of)
                .filter(|id| *id != copy_id);
            let holder_moves = holder.as_ref().is_some_and(|holder| {
                source.values().any(|c| {
                    map.0
                        .iter()
                        .any(|(s, f)| &f.id == holder && id_of(c).as_deref() == Some(s.as_str()))
                }) || (prune_columns && map.0.values().any(|f| &f.id == holder))
            });
            if holder.is_some() && !holder_moves {
                plan.notes.push(format!(
                    "{name:?} was renamed in the source (the copy's column is {current:?}), but the copy has another column named {name:?} that is not synced: the copy's column keeps its name; rename or remove the other"
                ));
                final_name = current.clone();
            } else {
                change.insert("name".into(), json!(name));
                renames.push((key.clone(), current.clone(), name.to_owned()));
            }
        }
        if !change.is_empty() {
            if is_formula { &mut formulas } else { &mut main }.insert(key, Value::Object(change));
        }
        plan.follow.push(Follow {
            source_id,
            target: final_name.clone(),
            options: option_names,
        });
        if copied {
            plan.copied.push(CopiedProperty {
                source: name.to_owned(),
                target: final_name,
                read: current.clone(),
                renamed_options,
                type_name,
            });
        }
    }
    if refs.people_fallback == PeopleFallback::Names {
        for copied in plan.copied.iter().filter(|c| c.type_name == "people") {
            let column = fallback_column(&copied.target);
            match target.and_then(|schema| schema.get(&column)) {
                Some(existing) if existing.type_name() != "rich_text" => {
                    plan.notes.push(format!(
                        "{column:?} is not a text column in the target; unmatched people are left out"
                    ));
                    continue;
                }
                Some(_) => {}
                None => {
                    plan.create.insert(column.clone(), json!({"rich_text": {}}));
                    main.insert(column, json!({"rich_text": {}}));
                }
            }
            plan.people_fallback.push(copied.source.clone());
        }
    }
    match target.and_then(|schema| schema.get(SOURCE_KEY)) {
        Some(existing) if existing.type_name() != "rich_text" => plan.notes.push(format!(
            "the target's {SOURCE_KEY:?} is not a rich text: rows cannot be matched"
        )),
        Some(_) => {}
        None => {
            plan.create
                .insert(SOURCE_KEY.to_owned(), json!({"rich_text": {}}));
            main.insert(SOURCE_KEY.to_owned(), json!({"rich_text": {}}));
        }
    }
    if let Some(target) = target {
        // Columns the map follows whose source column is gone: kept (and still followed, so
        // that a later --prune-columns finds them), or removed.
        for (source_id, followed) in &map.0 {
            let Some((name, _)) = by_id(&followed.id) else {
                continue;
            };
            if claimed.contains(&followed.id) || ids.contains_key(source_id) {
                continue;
            }
            claimed.push(followed.id.clone());
            if prune_columns {
                removals.insert(change_key(&followed.id, name, target), Value::Null);
                plan.notes.push(format!(
                    "{name:?} was deleted in the source: the copy's column is removed (--prune-columns)"
                ));
            } else {
                plan.follow.push(Follow {
                    source_id: source_id.clone(),
                    target: name.clone(),
                    options: Vec::new(),
                });
                plan.notes.push(format!(
                    "{name:?} was deleted in the source: the copy's column is kept with its values (run with --prune-columns to remove it)"
                ));
            }
        }
        for (name, config) in target {
            let followed = id_of(config).is_some_and(|id| claimed.contains(&id));
            let own = name.starts_with("notion-xws:")
                || plan
                    .people_fallback
                    .iter()
                    .any(|p| fallback_column(p) == *name)
                || plan.copied.iter().any(|c| &c.target == name);
            if !followed && !own && !source.contains_key(name) {
                plan.notes.push(format!(
                    "{name:?} is in the target but not in the source; it is left as it is"
                ));
            }
        }
        // A rename onto a name another renamed column holds now goes through a temporary name.
        let finals: Vec<&str> = renames
            .iter()
            .map(|(_, _, f)| f.as_str())
            .chain(main.keys().map(String::as_str))
            .collect();
        let freed: Vec<&str> = renames.iter().map(|(_, c, _)| c.as_str()).collect();
        let mut first = removals;
        if finals.iter().any(|f| freed.contains(f)) {
            for (key, _, final_name) in &renames {
                first.insert(
                    key.clone(),
                    json!({"name": format!("{final_name} (notion-xws: renaming {key})")}),
                );
            }
        }
        let steps = &mut plan.changes.steps;
        for step in [first, main, formulas] {
            if !step.is_empty() {
                steps.push(step);
            }
        }
        plan.changes.retyped = std::mem::take(&mut plan.retyped);
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::refs::{RelationCopy, RowMap};

    /// A plan with no recorded column map, columns kept.
    fn plan_with(
        source: &BTreeMap<String, PropertyConfig>,
        target: Option<&BTreeMap<String, PropertyConfig>>,
        refs: &PairRefs,
    ) -> SchemaPlan {
        plan_schema(source, target, refs, &ColumnMap::default(), false)
    }

    fn schema(json: Value) -> BTreeMap<String, PropertyConfig> {
        serde_json::from_value(json).unwrap()
    }

    fn source() -> BTreeMap<String, PropertyConfig> {
        schema(json!({
            "Name": {"id": "title", "name": "Name", "type": "title", "title": {}},
            "Stage": {"id": "s%3A1", "name": "Stage", "type": "select", "select": {"options": [{"id": "o1", "name": "New", "color": "blue", "description": null}]}},
            "Hours": {"id": "h", "name": "Hours", "type": "number", "number": {"format": "number"}},
            "Owner": {"id": "o", "name": "Owner", "type": "people", "people": {}},
            "Double": {"id": "d", "name": "Double", "type": "formula", "formula": {"expression": "{{notion:block_property:h:00000000-0000-0000-0000-000000000000:8994905a-074a-415f-9bcf-d1f8b4fa38e4}} * 2"}},
            "Linked": {"id": "on", "name": "Linked", "type": "formula", "formula": {"expression": "prop(\"Link\")"}},
            "Key": {"id": "k", "name": "Key", "type": "unique_id", "unique_id": {"prefix": "TSK"}},
            "Link": {"id": "l", "name": "Link", "type": "relation", "relation": {"data_source_id": "393abc1e-edcd-8179-9372-000bd163e729", "type": "single_property", "single_property": {}}},
        }))
    }

    #[test]
    fn a_new_target_gets_every_property_it_can_have() {
        let plan = plan_with(&source(), None, &PairRefs::default());
        let created: Vec<&str> = plan.create.keys().map(String::as_str).collect();
        assert_eq!(
            created,
            [
                "Double", "Hours", "Key", "Name", "Owner", "Stage", SOURCE_KEY
            ]
        );
        assert_eq!(
            plan.create["Stage"],
            json!({"select": {"options": [{"name": "New", "color": "blue"}]}})
        );
        assert_eq!(
            plan.create["Double"],
            json!({"formula": {"expression": "prop(\"Hours\") * 2"}})
        );
        assert_eq!(plan.create["Key"], json!({"unique_id": {"prefix": "TSK"}}));
        let copied: Vec<&str> = plan.copied.iter().map(|c| c.source.as_str()).collect();
        assert_eq!(copied, ["Hours", "Name", "Owner", "Stage"]);
        assert_eq!(plan.notes.len(), 2, "{:?}", plan.notes);
        assert!(
            plan.notes
                .iter()
                .any(|n| n.contains("\"Linked\"") && n.contains("formula"))
        );
        assert!(
            plan.notes
                .iter()
                .any(|n| n.contains("\"Link\"") && n.contains("not synced to this environment"))
        );
    }

    #[test]
    fn a_relation_points_at_the_copy_of_its_related_database() {
        let related = "393abc1e-edcd-8179-9372-000bd163e729".parse().unwrap();
        let copy: crate::ids::DataSourceId =
            "22222222-2222-4222-8222-222222222222".parse().unwrap();
        let mut refs = PairRefs::default();
        refs.relations.insert(
            related,
            RelationCopy::Copied {
                target: copy,
                rows: std::sync::Arc::new(RowMap::default()),
            },
        );
        let plan = plan_with(&source(), None, &refs);
        assert_eq!(
            plan.create["Link"],
            json!({"relation": {"data_source_id": copy, "type": "single_property", "single_property": {}}})
        );
        assert_eq!(
            plan.create["Linked"],
            json!({"formula": {"expression": "prop(\"Link\")"}}),
            "a formula over the relation follows it"
        );
        assert!(plan.copied.iter().any(|c| c.source == "Link"));

        // An existing relation column that points elsewhere is left alone, and said so.
        let target = schema(json!({
            "Name": {"id": "title", "name": "Name", "type": "title", "title": {}},
            "Link": {"id": "l", "name": "Link", "type": "relation", "relation": {"data_source_id": "33333333-3333-4333-8333-333333333333", "type": "single_property", "single_property": {}}},
            SOURCE_KEY: {"id": "y", "name": SOURCE_KEY, "type": "rich_text", "rich_text": {}},
        }));
        let plan = plan_with(&source(), Some(&target), &refs);
        assert!(!plan.copied.iter().any(|c| c.source == "Link"));
        assert!(
            plan.notes
                .iter()
                .any(|n| n.contains("relates to another database"))
        );

        // Its related database synced but not copied yet: it follows on the next pass.
        refs.relations.insert(related, RelationCopy::Waiting);
        let plan = plan_with(&source(), None, &refs);
        assert!(!plan.create.contains_key("Link"));
        assert!(plan.notes.iter().any(|n| n.contains("next pass")));
    }

    #[test]
    fn status_options_added_in_the_source_are_added_to_the_target() {
        let source = schema(json!({
            "Name": {"id": "title", "name": "Name", "type": "title", "title": {}},
            "State": {"id": "s", "name": "State", "type": "status", "status": {"options": [
                {"id": "1", "name": "Not started", "color": "default"},
                {"id": "2", "name": "Blocked", "color": "red"}], "groups": []}},
        }));
        let target = schema(json!({
            "Name": {"id": "title", "name": "Name", "type": "title", "title": {}},
            "State": {"id": "x", "name": "State", "type": "status", "status": {"options": [
                {"id": "9", "name": "Not started", "color": "default"}], "groups": []}},
            SOURCE_KEY: {"id": "y", "name": SOURCE_KEY, "type": "rich_text", "rich_text": {}},
        }));
        let plan = plan_with(&source, Some(&target), &PairRefs::default());
        assert_eq!(plan.changes.steps.len(), 1, "{:?}", plan.changes);
        assert_eq!(
            plan.changes.steps[0]["x"],
            json!({"status": {"options": [{"id": "9", "name": "Not started", "color": "default"}, {"name": "Blocked", "color": "red"}]}})
        );
        assert!(plan.copied.iter().any(|c| c.source == "State"));
        let same = plan_with(
            &source,
            Some(&schema(json!({
                "Name": {"id": "title", "name": "Name", "type": "title", "title": {}},
                "State": {"id": "x", "name": "State", "type": "status", "status": {"options": [
                    {"id": "8", "name": "Blocked", "color": "red"}, {"id": "9", "name": "Not started", "color": "default"}], "groups": []}},
                SOURCE_KEY: {"id": "y", "name": SOURCE_KEY, "type": "rich_text", "rich_text": {}},
            }))),
            &PairRefs::default(),
        );
        assert!(same.changes.is_empty(), "{:?}", same.changes);
    }

    #[test]
    fn an_existing_target_gets_what_it_lacks_and_follows_renames_and_type_changes() {
        let target = schema(json!({
            "Title": {"id": "title", "name": "Title", "type": "title", "title": {}},
            "Hours": {"id": "x", "name": "Hours", "type": "rich_text", "rich_text": {}},
            SOURCE_KEY: {"id": "y", "name": SOURCE_KEY, "type": "rich_text", "rich_text": {}},
            "Extra": {"id": "z", "name": "Extra", "type": "checkbox", "checkbox": {}},
        }));
        let plan = plan_with(&source(), Some(&target), &PairRefs::default());
        let created: Vec<&str> = plan.create.keys().map(String::as_str).collect();
        assert_eq!(created, ["Double", "Key", "Owner", "Stage"]);
        let title = plan.copied.iter().find(|c| c.type_name == "title").unwrap();
        assert_eq!(
            (
                title.source.as_str(),
                title.target.as_str(),
                title.read.as_str()
            ),
            ("Name", "Name", "Title")
        );
        let hours = plan.copied.iter().find(|c| c.source == "Hours").unwrap();
        assert_eq!(hours.type_name, "number");
        // One request makes the columns and the changes; the formula follows in a second.
        assert_eq!(plan.changes.steps.len(), 2, "{:?}", plan.changes.steps);
        let main = &plan.changes.steps[0];
        assert_eq!(main["title"], json!({"name": "Name"}));
        assert_eq!(main["x"], json!({"number": {"format": "number"}}));
        assert!(main.contains_key("Stage") && main.contains_key("Owner"));
        assert!(plan.changes.steps[1].contains_key("Double"));
        assert_eq!(plan.changes.retyped.len(), 1);
        assert!(
            plan.notes
                .iter()
                .any(|n| n.contains("\"Hours\" is a number in the source and was a rich_text"))
        );
        assert!(
            plan.notes
                .iter()
                .any(|n| n.contains("\"Extra\" is in the target"))
        );
    }

    fn simple(json: Value) -> BTreeMap<String, PropertyConfig> {
        let mut all =
            json!({"Name": {"id": "title", "name": "Name", "type": "title", "title": {}}});
        for (name, config) in json.as_object().unwrap() {
            all[name] = config.clone();
        }
        all[SOURCE_KEY] =
            json!({"id": "key", "name": SOURCE_KEY, "type": "rich_text", "rich_text": {}});
        schema(all)
    }

    fn map(pairs: &[(&str, &str)]) -> ColumnMap {
        ColumnMap(
            pairs
                .iter()
                .map(|(s, t)| {
                    let followed = FollowedColumn {
                        id: (*t).to_owned(),
                        options: BTreeMap::new(),
                    };
                    ((*s).to_owned(), followed)
                })
                .collect(),
        )
    }

    #[test]
    fn a_rename_follows_by_id_and_a_swap_of_names_goes_through_temporary_names() {
        // The source renamed "Notes" (id n) to "Remarks".
        let source = schema(json!({
            "Name": {"id": "title", "name": "Name", "type": "title", "title": {}},
            "Remarks": {"id": "n", "name": "Remarks", "type": "rich_text", "rich_text": {}},
        }));
        let target = simple(
            json!({"Notes": {"id": "c1", "name": "Notes", "type": "rich_text", "rich_text": {}}}),
        );
        let known = map(&[("title", "title"), ("n", "c1")]);
        let plan = plan_schema(&source, Some(&target), &PairRefs::default(), &known, false);
        assert!(
            plan.create.is_empty(),
            "no second column: {:?}",
            plan.create
        );
        assert_eq!(
            plan.changes.steps,
            vec![
                json!({"c1": {"name": "Remarks"}})
                    .as_object()
                    .unwrap()
                    .clone()
            ]
        );
        let remarks = plan.copied.iter().find(|c| c.source == "Remarks").unwrap();
        assert_eq!(
            (remarks.target.as_str(), remarks.read.as_str()),
            ("Remarks", "Notes")
        );
        // Without the map, a renamed column cannot be told from a new one: it is created.
        let blind = plan_with(&source, Some(&target), &PairRefs::default());
        assert!(blind.create.contains_key("Remarks"));

        // Two columns swap their names.
        let source = schema(json!({
            "Name": {"id": "title", "name": "Name", "type": "title", "title": {}},
            "B": {"id": "a", "name": "B", "type": "rich_text", "rich_text": {}},
            "A": {"id": "b", "name": "A", "type": "rich_text", "rich_text": {}},
        }));
        let target = simple(json!({
            "A": {"id": "ca", "name": "A", "type": "rich_text", "rich_text": {}},
            "B": {"id": "cb", "name": "B", "type": "rich_text", "rich_text": {}},
        }));
        let known = map(&[("title", "title"), ("a", "ca"), ("b", "cb")]);
        let plan = plan_schema(&source, Some(&target), &PairRefs::default(), &known, false);
        assert_eq!(plan.changes.steps.len(), 2, "{:?}", plan.changes.steps);
        let first = &plan.changes.steps[0];
        assert!(
            first["ca"]["name"]
                .as_str()
                .unwrap()
                .starts_with("B (notion-xws: renaming")
        );
        assert_eq!(plan.changes.steps[1]["ca"], json!({"name": "B"}));
        assert_eq!(plan.changes.steps[1]["cb"], json!({"name": "A"}));
        // Once made, the map follows by ID and nothing changes.
        let after = simple(json!({
            "B": {"id": "ca", "name": "B", "type": "rich_text", "rich_text": {}},
            "A": {"id": "cb", "name": "A", "type": "rich_text", "rich_text": {}},
        }));
        assert_eq!(column_map(&plan.follow, &after), known);
        let again = plan_schema(&source, Some(&after), &PairRefs::default(), &known, false);
        assert!(again.changes.is_empty(), "{:?}", again.changes);
    }

    #[test]
    fn a_column_deleted_in_the_source_is_kept_or_pruned() {
        let source =
            schema(json!({"Name": {"id": "title", "name": "Name", "type": "title", "title": {}}}));
        let target = simple(
            json!({"Old": {"id": "c1", "name": "Old", "type": "rich_text", "rich_text": {}}}),
        );
        let known = map(&[("title", "title"), ("gone", "c1")]);
        let kept = plan_schema(&source, Some(&target), &PairRefs::default(), &known, false);
        assert!(kept.changes.is_empty());
        assert!(
            kept.notes
                .iter()
                .any(|n| n.contains("\"Old\" was deleted in the source")
                    && n.contains("--prune-columns"))
        );
        assert_eq!(
            column_map(&kept.follow, &target),
            known,
            "still followed, for a later prune"
        );
        let pruned = plan_schema(&source, Some(&target), &PairRefs::default(), &known, true);
        assert_eq!(
            pruned.changes.steps,
            vec![json!({"c1": null}).as_object().unwrap().clone()]
        );
    }

    #[test]
    fn options_follow_by_id_renamed_recoloured_added_removed_and_swapped() {
        let source = schema(json!({
            "Name": {"id": "title", "name": "Name", "type": "title", "title": {}},
            "Kind": {"id": "k", "name": "Kind", "type": "select", "select": {"options": [
                {"id": "o1", "name": "Defect", "color": "red"},
                {"id": "o2", "name": "Bug", "color": "blue"},
                {"id": "o4", "name": "New", "color": "green"}]}},
        }));
        // The copy: o1 was "Bug", o2 was "Defect" (swapped), o3 is gone from the source.
        let target = simple(
            json!({"Kind": {"id": "ck", "name": "Kind", "type": "select", "select": {"options": [
            {"id": "p1", "name": "Bug", "color": "red"},
            {"id": "p2", "name": "Defect", "color": "gray"},
            {"id": "p3", "name": "Old", "color": "gray"}]}}}),
        );
        let mut known = map(&[("title", "title"), ("k", "ck")]);
        known.0.get_mut("k").unwrap().options = [("o1", "p1"), ("o2", "p2"), ("o3", "p3")]
            .into_iter()
            .map(|(a, b)| (a.into(), b.into()))
            .collect();
        let plan = plan_schema(&source, Some(&target), &PairRefs::default(), &known, false);
        assert_eq!(
            plan.changes.steps[0]["ck"],
            json!({"select": {"options": [
                {"id": "p1", "name": "Defect", "color": "red"},
                {"id": "p2", "name": "Bug", "color": "blue"},
                {"name": "New", "color": "green"}]}})
        );
        let follow = &plan
            .follow
            .iter()
            .find(|f| f.source_id == "k")
            .unwrap()
            .options;
        assert_eq!(follow.len(), 3);
    }

    #[test]
    fn a_formula_follows_its_expression_compared_by_names() {
        let source = schema(json!({
            "Name": {"id": "title", "name": "Name", "type": "title", "title": {}},
            "Hours": {"id": "h", "name": "Hours", "type": "number", "number": {"format": "number"}},
            "Double": {"id": "d", "name": "Double", "type": "formula", "formula": {"expression": "{{notion:block_property:h:00000000-0000-0000-0000-000000000000:8994905a-074a-415f-9bcf-d1f8b4fa38e4}} * 3"}},
        }));
        let copy = |factor: &str| {
            simple(json!({
                "Hours": {"id": "ch", "name": "Hours", "type": "number", "number": {"format": "number"}},
                "Double": {"id": "cd", "name": "Double", "type": "formula", "formula": {"expression": format!("{{{{notion:block_property:ch:00000000-0000-0000-0000-000000000000:1111}}}} * {factor}")}},
            }))
        };
        let known = map(&[("title", "title"), ("h", "ch"), ("d", "cd")]);
        let plan = plan_schema(
            &source,
            Some(&copy("2")),
            &PairRefs::default(),
            &known,
            false,
        );
        assert_eq!(plan.changes.steps.len(), 1);
        assert_eq!(
            plan.changes.steps[0]["cd"],
            json!({"formula": {"expression": "prop(\"Hours\") * 3"}})
        );
        let same = plan_schema(
            &source,
            Some(&copy("3")),
            &PairRefs::default(),
            &known,
            false,
        );
        assert!(same.changes.is_empty(), "{:?}", same.changes);
    }

    #[test]
    fn a_column_turned_into_a_type_the_api_cannot_create_is_kept_as_it_was() {
        let source = schema(json!({
            "Name": {"id": "title", "name": "Name", "type": "title", "title": {}},
            "Notes": {"id": "n", "name": "Notes", "type": "button", "button": {}},
        }));
        let target = simple(
            json!({"Notes": {"id": "c1", "name": "Notes", "type": "rich_text", "rich_text": {}}}),
        );
        let known = map(&[("title", "title"), ("n", "c1")]);
        let plan = plan_schema(&source, Some(&target), &PairRefs::default(), &known, false);
        assert!(plan.changes.is_empty(), "{:?}", plan.changes);
        assert!(
            plan.notes
                .iter()
                .any(|n| n.contains("the API cannot create this type")
                    && n.contains("the copy's column \"Notes\" is kept as it was")),
            "{:?}",
            plan.notes
        );
        assert!(
            !plan
                .notes
                .iter()
                .any(|n| n.contains("is in the target but not in the source"))
        );
    }
}
