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

/// The shared [`Name`] of `text`: the one some row holds already, when one does (names are
/// pooled while rows hold them), else a new one.
pub fn name(text: &str) -> Name {
    static NAMES: Pool<str> = Pool::new();
    NAMES.share(text)
}

/// A time of Notion's (`created_time`, `last_edited_time`) as rows hold it, shared by every row
/// that has it ([`stamp`]): Notion rounds them to the minute, so the rows made or edited in one
/// minute (a copy's, written by a run) hold one.
pub type Stamp = std::sync::Arc<str>;

/// The shared [`Stamp`] of `time`: the one some row holds already, when one does (times are
/// pooled while rows hold them), else a new one.
pub fn stamp(time: &str) -> Stamp {
    static STAMPS: Pool<str> = Pool::new();
    STAMPS.share(time)
}

/// Values held once for every row that holds them, so that rows with the same names (every row
/// of a data source), and a copy's row with the same values as its source row, share them.
/// Each value held here is also held by a row, but those no row holds any longer, which are
/// dropped whenever the pool has doubled since it last dropped them: its size follows what the
/// process holds, not what it has read.
#[derive(Debug)]
struct Pool<T: ?Sized> {
    /// The values, and how many it may hold before it drops those no row holds.
    held: std::sync::Mutex<Option<(std::collections::HashSet<std::sync::Arc<T>>, usize)>>,
}

/// The fewest values a [`Pool`] holds before it drops those no row holds.
const POOL_FLOOR: usize = 4_096;

impl<T: ?Sized + std::hash::Hash + Eq> Pool<T> {
    /// An empty pool.
    const fn new() -> Self {
        Self {
            held: std::sync::Mutex::new(None),
        }
    }

    /// The held value equal to `value`, else `value`, held from now on.
    fn share<V>(&self, value: V) -> std::sync::Arc<T>
    where
        V: std::borrow::Borrow<T> + Into<std::sync::Arc<T>>,
    {
        let mut held = self
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (set, limit) = held.get_or_insert_with(|| (Default::default(), POOL_FLOOR));
        if let Some(shared) = set.get(value.borrow()) {
            return std::sync::Arc::clone(shared);
        }
        let made: std::sync::Arc<T> = value.into();
        set.insert(std::sync::Arc::clone(&made));
        if set.len() > *limit {
            // Only the pool holds a value whose count is 1, and no one can clone it but
            // through the pool, which is locked.
            set.retain(|value| std::sync::Arc::strong_count(value) > 1);
            *limit = (2 * set.len()).max(POOL_FLOOR);
        }
        made
    }
}

/// A row as the planner sees it: who it is, and the canonical form of every value the sync can
/// copy. Pages are turned into this as they are read, so that a snapshot of 100,000 rows holds
/// their content, not every field of every page.
#[derive(Debug, Clone, PartialEq)]
pub struct RowContent {
    /// The page.
    pub id: PageId,
    /// When it was created (rounded to the minute by Notion; shared, see [`stamp`]).
    pub created_time: Stamp,
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
    /// When it was last edited (rounded to the minute; shared, see [`stamp`]): whether its body
    /// may have changed.
    pub last_edited_time: Stamp,
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
            created_time: stamp(&page.created_time),
            key: source_key(page),
            values: Values::default(),
            mentions_flattened: 0,
            truncated: Vec::new(),
            kept: BTreeMap::new(),
            last_edited_time: stamp(&page.last_edited_time),
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
/// by name. The names are held once for all the rows that have the same ones, and the texts
/// (end to end, with where each ends) once for all the rows whose texts are the same (both
/// pooled while rows hold them): a copy's row that matches its source row costs a few pointers.
/// A snapshot of 100,000 rows is mostly these. Changed rarely (references made portable, values read in full), and
/// then rebuilt whole.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Values {
    /// The names, in order.
    names: std::sync::Arc<[Name]>,
    /// Their texts.
    texts: std::sync::Arc<Texts>,
}

/// The texts of a row's values, end to end, with the end of each (its start is the previous
/// end).
#[derive(Debug, Default, PartialEq, Eq, Hash)]
struct Texts {
    /// Where each text ends in `text`.
    ends: Box<[u32]>,
    /// The texts, end to end.
    text: Box<str>,
}

impl Values {
    /// The text of `name`, if the row has it.
    pub fn get(&self, name: &str) -> Option<&str> {
        let at = self
            .names
            .binary_search_by(|held| (**held).cmp(name))
            .ok()?;
        Some(self.text_at(at))
    }

    /// The text of the `at`-th name.
    fn text_at(&self, at: usize) -> &str {
        let ends = &self.texts.ends;
        let start = at.checked_sub(1).map_or(0, |before| ends[before] as usize);
        &self.texts.text[start..ends[at] as usize]
    }

    /// Each name and its text, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&Name, &str)> {
        self.names
            .iter()
            .enumerate()
            .map(|(at, name)| (name, self.text_at(at)))
    }

    /// Whether `other` holds the very same names and texts as these (the same shared ones): the
    /// same values, known without comparing them. (Values that are the same but were made
    /// apart may not be shared: `false` does not say they differ.)
    pub fn shares(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.names, &other.names)
            && std::sync::Arc::ptr_eq(&self.texts, &other.texts)
    }

    /// How many values the row has.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether the row has no value.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
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
        static NAME_LISTS: Pool<[Name]> = Pool::new();
        static TEXTS: Pool<Texts> = Pool::new();
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
        let mut names = Vec::with_capacity(kept.len());
        let ends = kept
            .into_iter()
            .map(|(name, t)| {
                text.push_str(t.as_ref());
                names.push(name);
                // A row's values are far under 4 GiB (Notion caps a value at 2,000 characters a
                // text segment, 100 segments).
                u32::try_from(text.len()).unwrap_or(u32::MAX)
            })
            .collect();
        let texts = Texts {
            ends,
            text: text.into_boxed_str(),
        };
        Self {
            names: NAME_LISTS.share(names),
            texts: TEXTS.share(texts),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> Values {
        pairs.iter().map(|(n, t)| (name(n), *t)).collect()
    }

    #[test]
    fn rows_with_the_same_values_share_them_and_read_them_back() {
        let a = values(&[("Name", r#""a""#), ("Hours", "1.0"), ("Done", "true")]);
        // Made apart, in another order: the same values, held once.
        let b = values(&[("Done", "true"), ("Name", r#""a""#), ("Hours", "1.0")]);
        assert!(a.shares(&b));
        assert_eq!(a, b);
        assert_eq!(a.get("Hours"), Some("1.0"));
        assert_eq!(a.get("Name"), Some(r#""a""#));
        assert_eq!(a.get("Missing"), None);
        assert_eq!(
            a.iter().map(|(n, t)| (&**n, t)).collect::<Vec<_>>(),
            [("Done", "true"), ("Hours", "1.0"), ("Name", r#""a""#)]
        );
        // Another text, or the same texts under other names: not shared, not equal.
        let c = values(&[("Name", r#""a""#), ("Hours", "2.0"), ("Done", "true")]);
        assert!(!a.shares(&c) && a != c);
        let d = values(&[("Title", r#""a""#), ("Hours", "1.0"), ("Done", "true")]);
        assert!(!a.shares(&d) && a != d);
        // A change makes the row's own values again; undone, it shares them again.
        let mut e = a.clone();
        e.insert(name("Hours"), "3.0");
        assert_eq!((e.get("Hours"), a.get("Hours")), (Some("3.0"), Some("1.0")));
        assert_eq!(e.remove("Hours").as_deref(), Some("3.0"));
        e.insert(name("Hours"), "1.0");
        assert!(e.shares(&a));
        // The same name given twice: the last.
        assert_eq!(values(&[("N", "1"), ("N", "2")]).get("N"), Some("2"));
    }

    #[test]
    fn a_pool_holds_what_rows_hold_not_all_it_was_given() {
        let pool: Pool<str> = Pool::new();
        let kept = pool.share("kept");
        for n in 0..10 * POOL_FLOOR {
            drop(pool.share(format!("dropped {n}").as_str()));
        }
        let held = pool.held.lock().unwrap().as_ref().map(|(set, _)| set.len());
        assert!(held.is_some_and(|n| n <= POOL_FLOOR + 1), "{held:?}");
        // What a row still holds is shared again.
        assert!(std::sync::Arc::ptr_eq(&kept, &pool.share("kept")));
    }
}
