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

use std::collections::HashMap;
use std::sync::Arc;

use crate::ids::{DatabaseId, PageId, UserId};
use crate::sync::refs::{Directory, PairRefs, RelationCopy, RowMap};

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
        self.rows.iter().find_map(|rows| rows.target(page))
    }

    /// The target's database a mention of the source's `database` names: its copy.
    pub fn database(&self, database: DatabaseId) -> Option<DatabaseId> {
        if self.keep_all {
            return Some(database);
        }
        self.databases.get(&database).copied()
    }
}
