//! What the mentions of a body may name once it is written in the target workspace.
//!
//! A mention names an object of its own workspace by ID. When a body is copied, a mention of a
//! person is pointed at the target's member with the same email (as people values are, through
//! the pair's [`Directory`]s), and a mention of a row is pointed at that row's copy when it is a
//! row of the pair's own database or of a related database copied to the same environment (the
//! [`RowMap`]s the pair knows), and a mention of a database at its copy in the target's
//! workspace; a `link_to_page` block the same. A mention the target has no counterpart of is
//! written as before:
//! a page or database as its title linked to the original, a person as their name. A target
//! body read back is converted with [`MentionMap::target`]: its mentions already name objects
//! of its own workspace, so they are kept as they are, and a body copied with its mentions
//! pointed at the copies reads back the same as the source's converted body.
//!
//! A pair read incrementally knows the copies of the rows it read only: a mention of another
//! row of its database is looked up in its copy by key ([`MentionMap::with_copy_lookup`],
//! [`MentionMap::look_up_missed`]), once per row and run, 100 rows to a query.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use futures::TryStreamExt;

use crate::client::NotionClient;
use crate::error::Result;
use crate::ids::{DataSourceId, DatabaseId, PageId, UserId};
use crate::sync::columns::{IDS_PER_QUERY, SOURCE_KEY, holding_any, source_key};
use crate::sync::refs::{Directory, PairRefs, RelationCopy, RowMap};

/// The copy a pair read incrementally, where rows a body mentions and the read did not list
/// are looked up by key: what was found (`None`: no copy row has that key), shared by the
/// pair's bodies.
#[derive(Debug)]
struct CopyLookup {
    client: NotionClient,
    copy: DataSourceId,
    known: Mutex<HashMap<PageId, Option<PageId>>>,
}

/// Which mentions of a body are written as mentions in the target, and of what.
#[derive(Debug, Clone, Default)]
pub struct MentionMap {
    /// A target body read back: every mention is kept.
    keep_all: bool,
    /// The people of the source's workspace, and of the target's.
    people: Option<(Arc<Directory>, Arc<Directory>)>,
    /// Source rows and their copies.
    rows: Vec<Arc<RowMap>>,
    /// Source databases and their copies.
    databases: Arc<HashMap<DatabaseId, DatabaseId>>,
    /// Where rows the pair did not read are looked up (a pair read incrementally).
    lookup: Option<Arc<CopyLookup>>,
    /// The pages this map was asked for and could not tell, to look up.
    missed: Arc<Mutex<HashSet<PageId>>>,
}

impl MentionMap {
    /// The map of a pair's source bodies: people matched by email between `source_people` and
    /// `target_people`, rows by `rows` (the pair's own and those of related copies).
    pub fn new(
        source_people: Arc<Directory>,
        target_people: Arc<Directory>,
        rows: Vec<Arc<RowMap>>,
        databases: Arc<HashMap<DatabaseId, DatabaseId>>,
    ) -> Self {
        Self {
            keep_all: false,
            people: Some((source_people, target_people)),
            rows,
            databases,
            ..Self::default()
        }
    }

    /// The map of a pair's source bodies from what the pair knows: the people of both
    /// workspaces (`people`: source's, target's), the rows of its own copy (`own`: source row,
    /// target row) and those of the related copies its references hold (`refs`), and the
    /// copies the target's workspace has of the source's databases (`databases`).
    pub fn of_pair(
        (source_people, target_people): (Arc<Directory>, Arc<Directory>),
        refs: &PairRefs,
        own: impl IntoIterator<Item = (PageId, PageId)>,
        databases: Arc<HashMap<DatabaseId, DatabaseId>>,
    ) -> Self {
        let mut rows = vec![Arc::new(RowMap::new(own))];
        rows.extend(
            refs.relations
                .values()
                .filter_map(|relation| match relation {
                    RelationCopy::Copied { rows, .. } => Some(Arc::clone(rows)),
                    RelationCopy::Waiting => None,
                }),
        );
        Self::new(source_people, target_people, rows, databases)
    }

    /// This map, where a mention of a row it does not know is looked up in the pair's `copy`
    /// (through `client`) by [`look_up_missed`](Self::look_up_missed): for a pair read
    /// incrementally, whose read did not list every row.
    pub fn with_copy_lookup(mut self, client: NotionClient, copy: DataSourceId) -> Self {
        self.lookup = Some(Arc::new(CopyLookup {
            client,
            copy,
            known: Mutex::new(HashMap::new()),
        }));
        self
    }

    /// A map for one body: the same, noting apart the rows it is asked for and cannot tell.
    pub fn for_one_body(&self) -> Self {
        Self {
            missed: Arc::default(),
            ..self.clone()
        }
    }

    /// Looks up in the copy the rows this map was asked for and could not tell (none without
    /// [`with_copy_lookup`](Self::with_copy_lookup)); whether any was found (the body is then
    /// converted again).
    pub async fn look_up_missed(&self) -> Result<bool> {
        let Some(lookup) = &self.lookup else {
            return Ok(false);
        };
        let missed: Vec<PageId> = {
            let known = lookup.known.lock().unwrap_or_else(|e| e.into_inner());
            let mut missed = self.missed.lock().unwrap_or_else(|e| e.into_inner());
            missed.drain().filter(|p| !known.contains_key(p)).collect()
        };
        let mut found = false;
        for keys in missed.chunks(IDS_PER_QUERY) {
            let copies: Vec<(PageId, PageId)> = lookup
                .client
                .query_all(lookup.copy, Some(holding_any(SOURCE_KEY, true, keys)), &[])
                .try_filter_map(|page| async move { Ok(source_key(&page).map(|k| (k, page.id))) })
                .try_collect()
                .await?;
            let mut known = lookup.known.lock().unwrap_or_else(|e| e.into_inner());
            for key in keys {
                let copy = copies.iter().find(|(k, _)| k == key).map(|(_, c)| *c);
                found |= copy.is_some();
                known.insert(*key, copy);
            }
        }
        Ok(found)
    }

    /// The map of a target body read back: its mentions name its own workspace's objects.
    pub fn target() -> Self {
        Self {
            keep_all: true,
            ..Self::default()
        }
    }

    /// The target's member a mention of the source's `user` names: the one with the same email.
    pub fn user(&self, user: UserId) -> Option<UserId> {
        if self.keep_all {
            return Some(user);
        }
        let (source, target) = self.people.as_ref()?;
        target.user(source.email(user)?)
    }

    /// The target's row a mention of the source's `page` names: its copy.
    pub fn page(&self, page: PageId) -> Option<PageId> {
        if self.keep_all {
            return Some(page);
        }
        if let Some(copy) = self.rows.iter().find_map(|rows| rows.target(page)) {
            return Some(copy);
        }
        let lookup = self.lookup.as_ref()?;
        let known = lookup.known.lock().unwrap_or_else(|e| e.into_inner());
        match known.get(&page) {
            Some(copy) => *copy,
            None => {
                self.missed
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(page);
                None
            }
        }
    }

    /// The target's database a mention of the source's `database` names: its copy.
    pub fn database(&self, database: DatabaseId) -> Option<DatabaseId> {
        if self.keep_all {
            return Some(database);
        }
        self.databases.get(&database).copied()
    }
}
