//! The row model the planners, the executors and the reference remapping share: a pair
//! ([`SyncPair`]), a row as the planner sees it ([`RowContent`]), and what was read of a target
//! ([`TargetSnapshot`]).

use std::collections::BTreeMap;

use serde::Serialize;

use super::columns::{CONTENT_KEY, SOURCE_KEY, source_key};
use super::values::{canonical, empty};
use crate::ids::{DataSourceId, DatabaseId, PageId};
use crate::model::{Page, PropertyConfig, PropertyValueKind, RichText};
use crate::registry::Direction;

/// One (database, environment) pair and the way its rows go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncPair {
    /// The database's row in `system-databases`.
    pub database_row: PageId,
    /// The database's name.
    pub database: String,
    /// The environment's row in `system-environments`.
    pub environment_row: PageId,
    /// The environment's name.
    pub environment: String,
    /// Which way.
    pub direction: Direction,
}

impl SyncPair {
    /// `database → environment` (or `←` for a pull), for reports.
    /// An empty name is `(untitled)`.
    pub fn label(&self) -> String {
        let (database, environment) = (
            crate::words::or_untitled(&self.database),
            crate::words::or_untitled(&self.environment),
        );
        match self.direction {
            Direction::Pull => format!("{database} ← {environment}"),
            Direction::Push => format!("{database} → {environment}"),
            Direction::TwoWay => format!("{database} ↔ {environment}"),
        }
    }
}

/// What was read of the target database of a pair.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetSnapshot {
    /// The database.
    pub database: DatabaseId,
    /// Its data source.
    pub data_source: DataSourceId,
    /// Its schema.
    pub schema: BTreeMap<String, PropertyConfig>,
    /// Its live rows.
    pub rows: Vec<RowContent>,
    /// Where the copy lies when that is not under the pair's parent page (the registry's
    /// `Database-Parent-Page-ID` changed since it was made): the plan moves it there.
    pub outside_parent: Option<crate::model::Parent>,
    /// Its title, description, icon and cover, when they were read.
    pub look: Option<super::metadata::DatabaseLook>,
    /// How its rows were read: all of them, or only what changed.
    pub read: CopyRead,
}

/// How a copy's rows were read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CopyRead {
    /// For an incremental read, the `last_edited_time` it read from: the rows are those edited
    /// since, and those of the source rows read; `None`: every row.
    pub since: Option<String>,
    /// The source keys of the copy's rows trashed since `since`, and who trashed each (their
    /// source rows, when live, get a row again, as a full read would give them).
    pub trashed_keys: Vec<(PageId, Option<crate::ids::UserId>)>,
    /// Where the next read may start ([`read_mark`](crate::sync::watermark::read_mark)).
    pub seen: String,
}

/// A property name as rows hold it, shared by every row that has it ([`name`]): a snapshot of
/// 100,000 rows holds each name once, not once a row.
pub type Name = std::sync::Arc<str>;

/// The shared [`Name`] of `text`. Names go through one table, kept for the life of the process
/// (its size is the number of distinct property names read, a few hundred at most).
pub fn name(text: &str) -> Name {
    static NAMES: std::sync::LazyLock<std::sync::Mutex<std::collections::HashSet<Name>>> =
        std::sync::LazyLock::new(Default::default);
    let mut names = NAMES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(shared) = names.get(text) {
        return std::sync::Arc::clone(shared);
    }
    let shared: Name = std::sync::Arc::from(text);
    names.insert(std::sync::Arc::clone(&shared));
    shared
}

/// A row as the planner sees it: who it is, and the canonical form of every value the sync can
/// copy. Pages are turned into this as they are read, so that a snapshot of 100,000 rows holds
/// their content, not every field of every page.
#[derive(Debug, Clone, PartialEq)]
pub struct RowContent {
    /// The page.
    pub id: PageId,
    /// When it was created (rounded to the minute by Notion).
    pub created_time: String,
    /// The source row it mirrors (the target's [`SOURCE_KEY`]), if it carries one.
    pub key: Option<PageId>,
    /// The canonical form of each value the sync can copy, as compact JSON, by property name
    /// (text is a fraction of the memory of a parsed value, and compares just as well; each
    /// name is held once for all rows, see [`name`]; all of a row's texts in one allocation,
    /// see [`Values`]).
    pub values: Values,
    /// Mentions that would be written as text.
    pub mentions_flattened: usize,
    /// Properties whose value Notion cut at 25 references (read in full before planning).
    pub truncated: Vec<String>,
    /// By property name, the references (relations, people) that only this side can name,
    /// as a JSON list of its own IDs: kept when the other side's value is written here (see
    /// [`refs`](super::refs)).
    pub kept: BTreeMap<String, Box<str>>,
    /// When it was last edited (rounded to the minute): whether its body may have changed.
    pub last_edited_time: Box<str>,
    /// The marker of its last body copy (a target row's [`CONTENT_KEY`]), if it carries one.
    pub content_marker: Option<Box<str>>,
    /// Who edited it last (a person, or an integration's bot: this one's own writes included).
    pub last_edited_by: Option<crate::ids::UserId>,
}

impl RowContent {
    /// The canonical form of a property as JSON text (the empty form when the row lacks it).
    pub(crate) fn text<'a>(&'a self, name: &str, type_name: &str) -> std::borrow::Cow<'a, str> {
        match self.values.get(name) {
            Some(text) => std::borrow::Cow::Borrowed(text),
            None => std::borrow::Cow::Owned(empty(type_name).to_string()),
        }
    }
}

impl RowContent {
    /// A text property's value as plain text (its segments' text and equations, joined; see
    /// [`canonical`]).
    pub(crate) fn plain_text(&self, name: &str) -> String {
        let Some(text) = self.values.get(name) else {
            return String::new();
        };
        // One plain segment is a bare string; else a list of segments.
        match serde_json::from_str(text) {
            Ok(serde_json::Value::String(text)) => text,
            Ok(serde_json::Value::Array(segments)) => segments
                .iter()
                .filter_map(|s| s.get("text").or_else(|| s.get("equation")))
                .filter_map(serde_json::Value::as_str)
                .collect(),
            _ => String::new(),
        }
    }
}

impl From<&Page> for RowContent {
    fn from(page: &Page) -> Self {
        let mut row = Self {
            id: page.id,
            created_time: page.created_time.clone(),
            key: source_key(page),
            values: Values::default(),
            mentions_flattened: 0,
            truncated: Vec::new(),
            kept: BTreeMap::new(),
            last_edited_time: page.last_edited_time.as_str().into(),
            last_edited_by: page.last_edited_by.as_ref().map(|user| user.id),
            content_marker: page
                .properties
                .get(CONTENT_KEY)
                .and_then(|value| match &value.value {
                    PropertyValueKind::RichText(text) => {
                        Some(RichText::concat_plain_text(text).into_boxed_str())
                    }
                    _ => None,
                }),
        };
        let mut values = Vec::with_capacity(page.properties.len());
        for (name, value) in &page.properties {
            if name == SOURCE_KEY || name == CONTENT_KEY {
                continue;
            }
            if let Some(form) = canonical(value) {
                row.mentions_flattened += form.mentions_flattened;
                if form.truncated {
                    row.truncated.push(name.clone());
                }
                values.push((self::name(name), form.value.to_string()));
            }
        }
        row.values = values.into_iter().collect();
        row
    }
}

/// A row's values: each property's name and its canonical form as compact JSON text, sorted
/// by name, held in two allocations (the names with where each text ends, and the texts end
/// to end) rather than a map node and one allocation a value: a snapshot of 100,000 rows is
/// mostly these. Changed rarely (references made portable, values read in full), and then
/// rebuilt whole.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Values {
    /// Each name, with the end of its text in `text` (its start is the previous end).
    index: Box<[(Name, u32)]>,
    /// The texts, end to end.
    text: Box<str>,
}

impl Values {
    /// The text of `name`, if the row has it.
    pub fn get(&self, name: &str) -> Option<&str> {
        let at = self
            .index
            .binary_search_by(|(held, _)| (**held).cmp(name))
            .ok()?;
        Some(self.text_at(at))
    }

    /// The text of the `at`-th name.
    fn text_at(&self, at: usize) -> &str {
        let start = at
            .checked_sub(1)
            .map_or(0, |before| self.index[before].1 as usize);
        &self.text[start..self.index[at].1 as usize]
    }

    /// Each name and its text, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&Name, &str)> {
        self.index
            .iter()
            .enumerate()
            .map(|(at, (name, _))| (name, self.text_at(at)))
    }

    /// How many values the row has.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the row has no value.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Sets the text of `name` (its value replaced, or added).
    pub fn insert(&mut self, name: Name, text: impl AsRef<str>) {
        let text = text.as_ref();
        let replaced = std::sync::Arc::clone(&name);
        *self = self
            .iter()
            .filter(|(held, _)| **held != replaced)
            .map(|(held, t)| (std::sync::Arc::clone(held), t))
            .chain(std::iter::once((name, text)))
            .collect();
    }

    /// Removes the value of `name`; its text, if the row had it.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        let removed = self.get(name).map(str::to_owned);
        if removed.is_some() {
            self.retain(|held, _| &**held != name);
        }
        removed
    }

    /// Keeps only the values for which `keep` says so.
    pub fn retain(&mut self, mut keep: impl FnMut(&Name, &str) -> bool) {
        *self = self
            .iter()
            .filter(|(name, text)| keep(name, text))
            .map(|(name, text)| (std::sync::Arc::clone(name), text))
            .collect();
    }
}

impl<T: AsRef<str>> FromIterator<(Name, T)> for Values {
    /// The values of the pairs; of a name given twice, the last.
    fn from_iter<I: IntoIterator<Item = (Name, T)>>(pairs: I) -> Self {
        let mut pairs: Vec<(Name, T)> = pairs.into_iter().collect();
        // Stable: of equal names, the last given is the last; keep it.
        pairs.sort_by(|(a, _), (b, _)| a.cmp(b));
        let mut kept: Vec<(Name, T)> = Vec::with_capacity(pairs.len());
        for pair in pairs {
            match kept.last_mut() {
                Some(last) if last.0 == pair.0 => *last = pair,
                _ => kept.push(pair),
            }
        }
        let mut text = String::with_capacity(kept.iter().map(|(_, t)| t.as_ref().len()).sum());
        let index = kept
            .into_iter()
            .map(|(name, t)| {
                text.push_str(t.as_ref());
                // A row's values are far under 4 GiB (Notion caps a value at 2,000 characters a
                // text segment, 100 segments).
                (name, u32::try_from(text.len()).unwrap_or(u32::MAX))
            })
            .collect();
        Self {
            index,
            text: text.into_boxed_str(),
        }
    }
}

impl std::ops::Index<&str> for Values {
    type Output = str;

    /// The text of `name`; panics when the row lacks it (as a map's index does).
    fn index(&self, name: &str) -> &str {
        match self.get(name) {
            Some(text) => text,
            None => panic!("no value {name:?}"),
        }
    }
}

impl std::fmt::Debug for Values {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for Values {
    /// As a map of name to text, in name order (as a `BTreeMap` of them serializes).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}
