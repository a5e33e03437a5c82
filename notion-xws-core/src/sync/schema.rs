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

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

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
    /// The name in the target (the same, except for a title named differently).
    pub target: String,
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

/// The status configuration that adds to `target`'s options those of `source` it lacks, if any.
fn missing_status_options(source: &PropertyConfig, target: &PropertyConfig) -> Option<Value> {
    let (PropertyConfigKind::Status(source), PropertyConfigKind::Status(target)) =
        (&source.config, &target.config)
    else {
        return None;
    };
    let have = target.options.as_deref().unwrap_or_default();
    let missing: Vec<&crate::model::SelectOption> = source
        .options
        .as_deref()
        .unwrap_or_default()
        .iter()
        .filter(|o| !have.iter().any(|h| h.name == o.name))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let all: Vec<crate::model::SelectOption> = have
        .iter()
        .cloned()
        .chain(missing.into_iter().cloned())
        .collect();
    Some(json!({"status": {"options": options(&all)}}))
}

/// Plans the target's schema from the source's, given the target's if it exists.
pub fn plan_schema(
    source: &BTreeMap<String, PropertyConfig>,
    target: Option<&BTreeMap<String, PropertyConfig>>,
    refs: &PairRefs,
) -> SchemaPlan {
    let mut plan = SchemaPlan::default();
    let target_title = target.and_then(|schema| {
        schema
            .iter()
            .find(|(_, c)| c.type_name() == "title")
            .map(|(name, _)| name.clone())
    });
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
    for (name, translation) in translations {
        let config = &source[name];
        let type_name = config.type_name().to_owned();
        let (create, copied) = match translation {
            Translation::Skip(reason) => {
                plan.notes.push(format!("{name:?} not synced ({reason})"));
                continue;
            }
            Translation::Copy(create) => (create, true),
            Translation::CreateOnly(create) => (create, false),
        };
        let target_name = if type_name == "title" {
            target_title.clone().unwrap_or_else(|| name.to_owned())
        } else {
            name.to_owned()
        };
        match target.map(|schema| schema.get(&target_name)) {
            Some(Some(existing)) if relation_elsewhere(&create, existing) => {
                plan.notes.push(format!(
                    "{name:?} in the target relates to another database than the copy of the source's; its values are not synced"
                ));
                continue;
            }
            Some(Some(existing)) if existing.type_name() != type_name => {
                plan.notes.push(format!(
                    "{name:?} is a {type_name} in the source but a {} in the target; its values are not synced",
                    existing.type_name()
                ));
                continue;
            }
            Some(Some(existing)) => {
                // Status options are not created by writing a value (select options are): the
                // ones added in the source since are added to the target's.
                if let Some(update) = missing_status_options(config, existing) {
                    plan.create.insert(target_name.clone(), update);
                }
            }
            Some(None) | None => {
                plan.create.insert(target_name.clone(), create);
            }
        }
        if copied {
            plan.copied.push(CopiedProperty {
                source: name.to_owned(),
                target: target_name,
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
                    plan.create.insert(column, json!({"rich_text": {}}));
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
        }
    }
    if let Some(target) = target {
        for name in target.keys() {
            let in_source = name.starts_with("notion-xws:")
                || plan.copied.iter().any(|c| &c.target == name)
                || plan
                    .people_fallback
                    .iter()
                    .any(|p| fallback_column(p) == *name)
                || source.contains_key(name);
            if !in_source {
                plan.notes.push(format!(
                    "{name:?} is in the target but not in the source; it is left as it is"
                ));
            }
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::refs::{RelationCopy, RowMap};

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
        let plan = plan_schema(&source(), None, &PairRefs::default());
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
        let plan = plan_schema(&source(), None, &refs);
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
        let plan = plan_schema(&source(), Some(&target), &refs);
        assert!(!plan.copied.iter().any(|c| c.source == "Link"));
        assert!(
            plan.notes
                .iter()
                .any(|n| n.contains("relates to another database"))
        );

        // Its related database synced but not copied yet: it follows on the next pass.
        refs.relations.insert(related, RelationCopy::Waiting);
        let plan = plan_schema(&source(), None, &refs);
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
        let plan = plan_schema(&source, Some(&target), &PairRefs::default());
        assert_eq!(
            plan.create["State"],
            json!({"status": {"options": [{"name": "Not started", "color": "default"}, {"name": "Blocked", "color": "red"}]}})
        );
        assert!(plan.copied.iter().any(|c| c.source == "State"));
        let same = plan_schema(
            &source,
            Some(&schema(json!({
                "Name": {"id": "title", "name": "Name", "type": "title", "title": {}},
                "State": {"id": "x", "name": "State", "type": "status", "status": {"options": [
                    {"name": "Blocked"}, {"name": "Not started"}], "groups": []}},
                SOURCE_KEY: {"id": "y", "name": SOURCE_KEY, "type": "rich_text", "rich_text": {}},
            }))),
            &PairRefs::default(),
        );
        assert!(same.create.is_empty(), "{:?}", same.create);
    }

    #[test]
    fn an_existing_target_gets_what_it_lacks_and_type_changes_are_noted() {
        let target = schema(json!({
            "Title": {"id": "title", "name": "Title", "type": "title", "title": {}},
            "Hours": {"id": "x", "name": "Hours", "type": "rich_text", "rich_text": {}},
            SOURCE_KEY: {"id": "y", "name": SOURCE_KEY, "type": "rich_text", "rich_text": {}},
            "Extra": {"id": "z", "name": "Extra", "type": "checkbox", "checkbox": {}},
        }));
        let plan = plan_schema(&source(), Some(&target), &PairRefs::default());
        let created: Vec<&str> = plan.create.keys().map(String::as_str).collect();
        assert_eq!(created, ["Double", "Key", "Owner", "Stage"]);
        let title = plan.copied.iter().find(|c| c.type_name == "title").unwrap();
        assert_eq!(
            (title.source.as_str(), title.target.as_str()),
            ("Name", "Title")
        );
        assert!(!plan.copied.iter().any(|c| c.source == "Hours"));
        assert!(
            plan.notes
                .iter()
                .any(|n| n.contains("\"Hours\" is a number in the source but a rich_text"))
        );
        assert!(
            plan.notes
                .iter()
                .any(|n| n.contains("\"Extra\" is in the target"))
        );
    }
}
