//! Where an object lives: its `parent` (a page, a database, a data source, a block or the
//! workspace).
//!
//! Responses write `{"type": "page_id", "page_id": "…"}`; request bodies may leave `type` out
//! (`{"page_id": "…"}`). A page in a data source has `{"type": "data_source_id",
//! "data_source_id": "…", "database_id": "…"}`. Parent kinds this library does not know are kept
//! raw.

use serde_json::Value;

use super::wire::{self, JsonMap, kind_object, put_some, serde_via_json_object, typed_payload};
use crate::ids::{BlockId, DataSourceId, DatabaseId, PageId};

/// The parent of a page, database, data source or block.
#[derive(Debug, Clone, PartialEq)]
pub struct Parent {
    /// What the parent is.
    pub kind: ParentKind,
    /// Whether the `type` key is written (responses have it; request bodies may omit it).
    pub explicit_type: bool,
    /// Keys this library does not know, kept as they came.
    pub extra: JsonMap,
}

/// What a [`Parent`] is.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ParentKind {
    /// A page (`page_id`).
    Page(PageId),
    /// A database (`database_id`): the parent of a data source, or of a page before 2025-09-03.
    Database(DatabaseId),
    /// A data source (`data_source_id`), with its database when Notion sends it.
    DataSource {
        /// The data source.
        data_source_id: DataSourceId,
        /// The database that holds the data source (responses carry it).
        database_id: Option<DatabaseId>,
    },
    /// The workspace itself (`workspace: true`).
    Workspace,
    /// A block (`block_id`): a page or database nested in a block.
    Block(BlockId),
    /// A parent kind this library does not know, kept raw.
    Unknown {
        /// The `type` as Notion wrote it.
        type_name: String,
        /// The value under the key named by `type`, if present.
        payload: Option<Value>,
    },
}

impl Parent {
    /// A parent of the given kind, written with `type` (as responses are).
    pub fn new(kind: ParentKind) -> Self {
        Self {
            kind,
            explicit_type: true,
            extra: JsonMap::new(),
        }
    }

    /// A page parent.
    pub fn page(id: PageId) -> Self {
        Self::new(ParentKind::Page(id))
    }

    /// A data-source parent (the parent of a row).
    pub fn data_source(id: DataSourceId) -> Self {
        Self::new(ParentKind::DataSource {
            data_source_id: id,
            database_id: None,
        })
    }

    /// A database parent (the parent of a data source).
    pub fn database(id: DatabaseId) -> Self {
        Self::new(ParentKind::Database(id))
    }

    /// The workspace parent.
    pub fn workspace() -> Self {
        Self::new(ParentKind::Workspace)
    }
}

typed_payload! {
    ParentKind {
        "data_source_id",
        Page = "page_id",
        Database = "database_id",
        Block = "block_id",
        "workspace",
    }
    read(type_name, payload, rest) {
        "data_source_id" => Self::DataSource {
            data_source_id: wire::payload(type_name, payload)?,
            database_id: wire::take(rest, "database_id")?,
        },
        "workspace" => match payload {
            Some(Value::Bool(true)) => Self::Workspace,
            payload => Self::Unknown {
                type_name: type_name.to_owned(),
                payload,
            },
        },
    }
    write(out) {
        Self::DataSource {
            data_source_id,
            database_id,
        } => {
            put_some(out, "database_id", database_id)?;
            wire::write_payload(out, "data_source_id", &Some(data_source_id))
        }
        Self::Workspace => wire::write_payload(out, "workspace", &Some(true)),
    }
}

kind_object!(Parent { @kind: "a parent" });

serde_via_json_object!(Parent);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(value: Value) -> Parent {
        let parent: Parent = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&parent).unwrap(), value);
        parent
    }

    #[test]
    fn data_source_parent_keeps_its_database() {
        let parent = round_trip(json!({
            "type": "data_source_id",
            "data_source_id": "393abc1e-edcd-8179-9372-000bd163e729",
            "database_id": "3e631832-5efa-4702-8171-8b8a0e6651ba"
        }));
        assert!(matches!(
            parent.kind,
            ParentKind::DataSource {
                database_id: Some(_),
                ..
            }
        ));
    }

    #[test]
    fn request_parent_without_type_is_inferred_and_written_without_type() {
        let parent = round_trip(json!({"page_id": "393abc1e-edcd-80f3-813b-e205934558c6"}));
        assert!(matches!(parent.kind, ParentKind::Page(_)));
        assert!(!parent.explicit_type);
    }

    #[test]
    fn workspace_and_unknown_kinds() {
        let parent = round_trip(json!({"type": "workspace", "workspace": true}));
        assert_eq!(parent.kind, ParentKind::Workspace);
        let parent = round_trip(json!({"type": "agent_id", "agent_id": "x", "more": 1}));
        assert!(matches!(parent.kind, ParentKind::Unknown { .. }));
    }
}
