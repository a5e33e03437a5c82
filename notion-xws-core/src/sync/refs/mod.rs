//! References that cross workspaces: relation values (pages) and people values (users).
//!
//! Both name objects by IDs that exist only in their own workspace, so the sync compares and
//! writes them in a *portable* form:
//!
//! - a related page is named by its row on the **source** side (the control, for a two-way
//!   pair); a target row is known by the key it carries ([`SOURCE_KEY`](super::columns::SOURCE_KEY)),
//!   and a [`RowMap`], read from the related database's copy in the same environment, holds both
//!   directions;
//! - a person is named by their email, read from each workspace's users list (a
//!   [`Directory`]; Notion shows emails to integrations with the "read user information including
//!   email" capability).
//!
//! A reference the other side cannot name (a related row not synced yet, a person with no email
//! or not in the other workspace) is neither compared nor written there: it is **kept** on its
//! own side ([`RowContent::kept`]), so that writing the other side's value never removes it, and
//! it is counted for the report. A value thus converges to what both sides can name, nothing is
//! dropped on either side, and a reference that becomes nameable (its row synced since) is
//! written by the next pass.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::{Value, json};

pub(crate) mod reads;

use super::rows::RowContent;
use super::values::{empty, write_form};
use crate::ids::{DataSourceId, PageId, UserId};
use crate::model::{PropertyConfig, PropertyConfigKind, User, UserKind};

/// Which side of a pair a row is on: the side copied from (the control, for two-way pairs), or
/// the side copied to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefSide {
    /// The source (the control of a two-way pair).
    Source,
    /// The target (the environment of a two-way pair).
    Target,
}

/// The people of one workspace, by ID and by email.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Directory {
    email_of: HashMap<UserId, String>,
    id_of: HashMap<String, UserId>,
    name_of: HashMap<UserId, String>,
}

/// What a one-way sync does with people of the source it cannot match in the target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeopleFallback {
    /// They are left out of the target's value (and counted in the report).
    #[default]
    Leave,
    /// Their names (and emails) are written into a text column of the target next to the
    /// people column, `<name> (unmatched)`.
    Names,
}

impl std::str::FromStr for PeopleFallback {
    type Err = crate::error::Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "leave" | "leave-empty" | "empty" => Ok(Self::Leave),
            "names" | "text" => Ok(Self::Names),
            other => Err(crate::error::Error::Config(format!(
                "{other:?} is not a people fallback (leave, names)"
            ))),
        }
    }
}

/// The target's text column that holds the unmatched people of the people column `property`.
pub fn fallback_column(property: &str) -> String {
    format!("{property} (unmatched)")
}

impl Directory {
    /// The directory of a users list (bots and people without a visible email have no entry).
    pub fn new(users: impl IntoIterator<Item = User>) -> Self {
        let mut directory = Self::default();
        for user in users {
            if let Some(name) = user.name.clone().flatten() {
                directory.name_of.insert(user.id, name);
            }
            let email = match &user.kind {
                Some(UserKind::Person(Some(person))) => person.email.clone().flatten(),
                _ => None,
            };
            if let Some(email) = email
                .map(|e| e.trim().to_lowercase())
                .filter(|e| !e.is_empty())
            {
                directory.id_of.entry(email.clone()).or_insert(user.id);
                directory.email_of.insert(user.id, email);
            }
        }
        directory
    }

    /// How many people have an email here.
    pub fn len(&self) -> usize {
        self.email_of.len()
    }

    /// Whether nobody has an email here.
    pub fn is_empty(&self) -> bool {
        self.email_of.is_empty()
    }

    /// A person's email (lower case).
    pub fn email(&self, id: UserId) -> Option<&str> {
        self.email_of.get(&id).map(String::as_str)
    }

    /// The person with this email (lower case).
    pub fn user(&self, email: &str) -> Option<UserId> {
        self.id_of.get(email).copied()
    }

    /// A person as words: `Name <email>`, or what is known of them.
    pub fn describe(&self, id: UserId) -> String {
        match (self.name_of.get(&id), self.email_of.get(&id)) {
            (Some(name), Some(email)) => format!("{name} <{email}>"),
            (Some(name), None) => name.clone(),
            (None, Some(email)) => email.clone(),
            (None, None) => format!("user {id}"),
        }
    }
}

/// The rows of a related database on both sides: source row ↔ target row, from the keys the
/// target rows carry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowMap {
    to_target: HashMap<PageId, PageId>,
    to_source: HashMap<PageId, PageId>,
}

impl RowMap {
    /// The map of (key, target row) pairs; of several target rows with one key, the first.
    pub fn new(pairs: impl IntoIterator<Item = (PageId, PageId)>) -> Self {
        let mut map = Self::default();
        for (source, target) in pairs {
            if let std::collections::hash_map::Entry::Vacant(slot) = map.to_target.entry(source) {
                slot.insert(target);
                map.to_source.insert(target, source);
            }
        }
        map
    }

    /// The target row of a source row.
    pub fn target(&self, source: PageId) -> Option<PageId> {
        self.to_target.get(&source).copied()
    }

    /// The source row of a target row.
    pub fn source(&self, target: PageId) -> Option<PageId> {
        self.to_source.get(&target).copied()
    }

    /// `newer` laid over `self`: `newer`'s rows first, then those of `self` that `newer` does
    /// not map, but the target rows in `gone`. (A pair's partial map, made from the rows it
    /// read and wrote, over a later read of its whole copy that may not list yet what it made
    /// and may still list what it trashed.)
    pub fn overlaid(&self, newer: &RowMap, gone: &[PageId]) -> Self {
        let gone: std::collections::HashSet<&PageId> = gone.iter().collect();
        let older = self
            .to_target
            .iter()
            .filter(|(_, target)| !gone.contains(target) && newer.source(**target).is_none())
            .map(|(source, target)| (*source, *target));
        Self::new(
            newer
                .to_target
                .iter()
                .map(|(source, target)| (*source, *target))
                .chain(older),
        )
    }

    /// How many rows are mapped.
    pub fn len(&self) -> usize {
        self.to_target.len()
    }

    /// Whether no row is mapped.
    pub fn is_empty(&self) -> bool {
        self.to_target.is_empty()
    }
}

/// How a relation property whose related database is synced to the same environment is copied.
#[derive(Debug, Clone, PartialEq)]
pub enum RelationCopy {
    /// The related database has its copy in the environment: this data source, these rows.
    Copied {
        /// The copy's data source (what the target's relation points at).
        target: DataSourceId,
        /// The related rows, source ↔ target.
        rows: Arc<RowMap>,
    },
    /// The related database is synced to the environment but has no copy there yet (it is made
    /// by this pass): the relation follows on the next pass.
    Waiting,
}

/// What a pair knows of the references between its two workspaces.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PairRefs {
    /// The people of the source's workspace.
    pub source_people: Arc<Directory>,
    /// The people of the target's workspace.
    pub target_people: Arc<Directory>,
    /// Relations whose related database (a source-side data source) is synced to the same
    /// environment, the same way round; a relation to any other database is not copied.
    pub relations: HashMap<DataSourceId, RelationCopy>,
    /// What a one-way sync does with people it cannot match.
    pub people_fallback: PeopleFallback,
    /// The related data source of each relation property of the source, by name.
    related: BTreeMap<String, DataSourceId>,
}

/// What making a row's references portable left on its side only, for the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeptCounts {
    /// Related pages the other side has no row for (yet).
    pub relations: usize,
    /// People the other workspace has no match for.
    pub people: usize,
}

impl PairRefs {
    /// These references for a pair whose source has `schema` (its relation properties named).
    pub fn with_source_schema(mut self, schema: &BTreeMap<String, PropertyConfig>) -> Self {
        self.related = schema
            .iter()
            .filter_map(|(name, config)| match &config.config {
                PropertyConfigKind::Relation(relation) => {
                    relation.data_source_id.map(|ds| (name.clone(), ds))
                }
                _ => None,
            })
            .collect();
        self
    }

    /// How the relation to `related` (a source-side data source) is copied; `None`: it is not.
    pub fn relation(&self, related: DataSourceId) -> Option<&RelationCopy> {
        self.relations.get(&related)
    }

    /// The rows of the relation property `property` (by its source name), when its related
    /// database has a copy.
    fn rows(&self, property: &str) -> Option<&RowMap> {
        match self.relations.get(self.related.get(property)?)? {
            RelationCopy::Copied { rows, .. } => Some(rows),
            RelationCopy::Waiting => None,
        }
    }

    fn people(&self, side: RefSide) -> (&Directory, &Directory) {
        match side {
            RefSide::Source => (&self.source_people, &self.target_people),
            RefSide::Target => (&self.target_people, &self.source_people),
        }
    }

    /// Makes the relation and people values of a row of `side` portable, in place: each value
    /// keeps the references both sides can name (as the source's page IDs, or emails), and the
    /// others go to [`RowContent::kept`]. `types` is that side's schema (relation and people
    /// properties have the same name on both sides).
    pub fn make_portable(
        &self,
        row: &mut RowContent,
        side: RefSide,
        types: &BTreeMap<String, PropertyConfig>,
    ) -> KeptCounts {
        let mut counts = KeptCounts::default();
        let mut made_portable = Vec::new();
        for (name, text) in row.values.iter() {
            let Some(config) = types.get(&**name) else {
                continue;
            };
            let ids: Vec<String> = match config.type_name() {
                "relation" | "people" => serde_json::from_str(text).unwrap_or_default(),
                _ => continue,
            };
            let mut portable = Vec::new();
            let mut kept = Vec::new();
            if config.type_name() == "relation" {
                // A relation that is not copied (its related database is not synced here) is
                // left as it is, and not counted.
                let copied = self
                    .related
                    .get(&**name)
                    .is_some_and(|ds| self.relations.contains_key(ds));
                if !copied {
                    continue;
                }
                let rows = self.rows(name);
                for id in ids {
                    let named = PageId::parse(&id).ok().and_then(|page| {
                        let rows = rows?;
                        match side {
                            RefSide::Source => rows.target(page).map(|_| page),
                            RefSide::Target => rows.source(page),
                        }
                    });
                    match named {
                        Some(source) => portable.push(source.to_string()),
                        None => kept.push(id),
                    }
                }
                counts.relations += kept.len();
            } else {
                let (own, other) = self.people(side);
                for id in ids {
                    let email = UserId::parse(&id)
                        .ok()
                        .and_then(|user| own.email(user))
                        .filter(|email| other.user(email).is_some());
                    match email {
                        Some(email) => portable.push(email.to_owned()),
                        None => kept.push(id),
                    }
                }
                counts.people += kept.len();
            }
            made_portable.push((
                std::sync::Arc::clone(name),
                Value::from(portable).to_string(),
            ));
            if !kept.is_empty() {
                row.kept.insert(
                    name.to_string(),
                    Value::from(kept).to_string().into_boxed_str(),
                );
            }
        }
        if !made_portable.is_empty() {
            // Rebuilt once (the portable texts given last take their names' places).
            row.values = row
                .values
                .iter()
                .map(|(name, text)| (std::sync::Arc::clone(name), text.to_owned()))
                .chain(made_portable)
                .collect();
        }
        counts
    }

    /// The canonical text of the fallback column for the source people `kept` (a JSON list of
    /// user IDs): their names, or empty.
    pub fn unmatched_names(&self, kept: Option<&str>) -> String {
        let ids: Vec<String> = kept
            .and_then(|k| serde_json::from_str(k).ok())
            .unwrap_or_default();
        let names: Vec<String> = ids
            .iter()
            .filter_map(|id| UserId::parse(id).ok())
            .map(|id| self.source_people.describe(id))
            .collect();
        if names.is_empty() {
            empty("rich_text").to_string()
        } else {
            Value::String(names.join(", ")).to_string()
        }
    }

    /// The request JSON that writes a value (canonical text; portable for relations and
    /// people) into `to`, with the references kept there (`kept`) written too.
    /// `source_property` is the property's source name.
    pub fn write(
        &self,
        to: RefSide,
        type_name: &str,
        source_property: &str,
        text: &str,
        kept: Option<&str>,
    ) -> Value {
        let form: Value = serde_json::from_str(text).unwrap_or_else(|_| empty(type_name));
        let local = |entry: &str| -> Option<String> {
            match type_name {
                "relation" => {
                    let page = PageId::parse(entry).ok()?;
                    match to {
                        RefSide::Source => Some(page.to_string()),
                        RefSide::Target => self
                            .rows(source_property)?
                            .target(page)
                            .map(|p| p.to_string()),
                    }
                }
                _ => {
                    let (own, _) = self.people(to);
                    own.user(entry).map(|u| u.to_string())
                }
            }
        };
        match type_name {
            "relation" | "people" => {
                let mut ids: Vec<String> = form
                    .as_array()
                    .map(|entries| {
                        entries
                            .iter()
                            .filter_map(Value::as_str)
                            .filter_map(local)
                            .collect()
                    })
                    .unwrap_or_default();
                let kept: Vec<String> = kept
                    .and_then(|k| serde_json::from_str(k).ok())
                    .unwrap_or_default();
                for id in kept {
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                let references: Vec<Value> =
                    ids.into_iter().map(|id| json!({ "id": id })).collect();
                let mut map = serde_json::Map::new();
                map.insert(type_name.to_owned(), Value::Array(references));
                Value::Object(map)
            }
            _ => write_form(type_name, &form),
        }
    }
}

/// Whether a schema has relation or people properties (whose values need making portable).
pub fn has_references(schema: &BTreeMap<String, PropertyConfig>) -> bool {
    schema
        .values()
        .any(|c| matches!(c.type_name(), "relation" | "people"))
}

/// The request JSON of a relation property in the target, pointing at the related database's
/// copy: one-way (`single_property`), so that no back-relation appears in the copy.
pub fn relation_config(target: DataSourceId) -> Value {
    json!({"relation": {"data_source_id": target, "type": "single_property", "single_property": {}}})
}

/// The references kept on their side in `rows`, by type (the types from `schema`).
pub fn count_kept<'a>(
    rows: impl IntoIterator<Item = &'a RowContent>,
    schema: &BTreeMap<String, PropertyConfig>,
) -> KeptCounts {
    let mut counts = KeptCounts::default();
    for row in rows {
        for (name, kept) in &row.kept {
            let n = serde_json::from_str::<Vec<Value>>(kept).map_or(0, |k| k.len());
            match schema.get(name).map(PropertyConfig::type_name) {
                Some("relation") => counts.relations += n,
                Some("people") => counts.people += n,
                _ => {}
            }
        }
    }
    counts
}

/// The notes of the references kept on their side; `names`: the people that cannot be matched
/// are written by name into each people column's text column (`--people-fallback names`).
pub fn kept_notes(counts: KeptCounts, side: &str, other: &str, names: bool) -> Vec<String> {
    use crate::words::count;
    let mut notes = Vec::new();
    if counts.relations > 0 {
        notes.push(format!(
            "{} in the {side} {} no row in the {other} yet; {} written once {} row is synced (the next pass)",
            count(counts.relations, "related page", "related pages"),
            if counts.relations == 1 { "has" } else { "have" },
            if counts.relations == 1 { "it is" } else { "they are" },
            if counts.relations == 1 { "its" } else { "their" },
        ));
    }
    if counts.people > 0 {
        let fate = if names {
            "written by name into the column's \"(unmatched)\" text column instead"
        } else {
            "left out there (run with --people-fallback names to write their names)"
        };
        notes.push(format!(
            "{} in the {side} cannot be matched in the {other} (no email visible to the integration, or no member with that email); {fate}",
            count(counts.people, "person", "people"),
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_people_note_counts_right_and_says_where_the_names_went() {
        let counts = KeptCounts {
            relations: 1,
            people: 34,
        };
        let left = kept_notes(counts, "source", "target", false).join("\n");
        assert!(
            left.contains("1 related page in the source has no row"),
            "{left}"
        );
        assert!(
            left.contains("34 people in the source cannot be matched"),
            "{left}"
        );
        assert!(left.contains("left out there"), "{left}");
        let named = kept_notes(counts, "source", "target", true).join("\n");
        assert!(!named.contains("left out"), "{named}");
        assert!(named.contains("written by name into the column's \"(unmatched)\""));
        let one = KeptCounts {
            relations: 0,
            people: 1,
        };
        assert!(kept_notes(one, "source", "target", false)[0].starts_with("1 person in"));
    }

    fn page(n: u128) -> PageId {
        PageId::from_u128(n)
    }

    fn users(list: &[(u128, Option<&str>)]) -> Directory {
        Directory::new(list.iter().map(|(id, email)| {
            let person = match email {
                Some(e) => json!({"email": e}),
                None => json!({}),
            };
            serde_json::from_value::<User>(json!({
                "object": "user", "id": UserId::from_u128(*id).to_string(), "type": "person",
                "name": "someone", "avatar_url": null, "person": person
            }))
            .unwrap()
        }))
    }

    fn schema(json: Value) -> BTreeMap<String, PropertyConfig> {
        serde_json::from_value(json).unwrap()
    }

    const RELATED: &str = "11111111-1111-4111-8111-111111111111";
    const COPY: &str = "22222222-2222-4222-8222-222222222222";

    fn refs() -> PairRefs {
        let related: DataSourceId = RELATED.parse().unwrap();
        let mut refs = PairRefs {
            source_people: Arc::new(users(&[
                (1, Some("Ann@Example.com")),
                (2, Some("bob@example.com")),
                (3, None),
            ])),
            target_people: Arc::new(users(&[
                (11, Some("ann@example.com")),
                (12, Some("eve@x.io")),
            ])),
            ..PairRefs::default()
        };
        refs.relations.insert(
            related,
            RelationCopy::Copied {
                target: COPY.parse().unwrap(),
                rows: Arc::new(RowMap::new([
                    (page(100), page(200)),
                    (page(101), page(201)),
                ])),
            },
        );
        refs.with_source_schema(&schema(json!({
            "Project": {"id": "p", "name": "Project", "type": "relation", "relation": {"data_source_id": RELATED, "type": "single_property", "single_property": {}}},
            "Owner": {"id": "o", "name": "Owner", "type": "people", "people": {}},
        })))
    }

    fn row(values: &[(&str, Value)]) -> RowContent {
        RowContent {
            id: page(1),
            created_time: "".into(),
            key: None,
            values: values
                .iter()
                .map(|(k, v)| (crate::sync::rows::name(k), v.to_string().into_boxed_str()))
                .collect(),
            mentions_flattened: 0,
            truncated: Vec::new(),
            kept: BTreeMap::new(),
            last_edited_time: "".into(),
            content_marker: None,
            last_edited_by: None,
        }
    }

    #[test]
    fn both_sides_read_the_same_portable_value_and_keep_what_the_other_cannot_name() {
        let refs = refs();
        let types = schema(json!({
            "Project": {"id": "p", "name": "Project", "type": "relation", "relation": {"data_source_id": COPY}},
            "Owner": {"id": "o", "name": "Owner", "type": "people", "people": {}},
        }));
        let mut source = row(&[
            (
                "Project",
                json!([page(101).to_string(), page(102).to_string()]),
            ),
            (
                "Owner",
                json!([
                    UserId::from_u128(1).to_string(),
                    UserId::from_u128(3).to_string()
                ]),
            ),
        ]);
        let kept = refs.make_portable(&mut source, RefSide::Source, &types);
        assert_eq!(
            kept,
            KeptCounts {
                relations: 1,
                people: 1
            }
        );
        assert_eq!(
            &source.values["Project"],
            json!([page(101).to_string()]).to_string()
        );
        assert_eq!(&source.values["Owner"], r#"["ann@example.com"]"#);

        let mut target = row(&[
            (
                "Project",
                json!([page(201).to_string(), page(999).to_string()]),
            ),
            (
                "Owner",
                json!([
                    UserId::from_u128(11).to_string(),
                    UserId::from_u128(12).to_string()
                ]),
            ),
        ]);
        let kept = refs.make_portable(&mut target, RefSide::Target, &types);
        assert_eq!(
            kept,
            KeptCounts {
                relations: 1,
                people: 1
            }
        );
        assert_eq!(
            source.values, target.values,
            "both name the same references"
        );

        // Written into the target: mapped to its IDs, what only the target names kept.
        let written = refs.write(
            RefSide::Target,
            "relation",
            "Project",
            &source.values["Project"],
            target.kept.get("Project").map(|k| &**k),
        );
        assert_eq!(
            written,
            json!({"relation": [{"id": page(201).to_string()}, {"id": page(999).to_string()}]})
        );
        let written = refs.write(
            RefSide::Source,
            "people",
            "Owner",
            &target.values["Owner"],
            source.kept.get("Owner").map(|k| &**k),
        );
        assert_eq!(
            written,
            json!({"people": [{"id": UserId::from_u128(1).to_string()}, {"id": UserId::from_u128(3).to_string()}]})
        );
    }

    #[test]
    fn a_relation_without_a_copy_names_nothing_and_other_types_are_written_as_they_are() {
        let mut refs = refs();
        refs.relations
            .insert(RELATED.parse().unwrap(), RelationCopy::Waiting);
        let types = schema(json!({
            "Project": {"id": "p", "name": "Project", "type": "relation", "relation": {"data_source_id": RELATED}},
        }));
        let mut source = row(&[("Project", json!([page(100).to_string()]))]);
        let kept = refs.make_portable(&mut source, RefSide::Source, &types);
        assert_eq!(kept.relations, 1);
        assert_eq!(&source.values["Project"], "[]");
        assert_eq!(
            refs.write(RefSide::Target, "number", "Hours", "3.0", None),
            json!({"number": 3.0})
        );
    }
}
