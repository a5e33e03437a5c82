//! Databases: the containers of one or more data sources (API 2025-09-03 and later).
//!
//! `GET /v1/databases/{id}` returns the container: its title, parent, icon, trash state and the
//! list of its data sources (`data_sources: [{id, name}]`), but no schema; the schema and the
//! rows belong to each [`DataSource`](super::DataSource).

use serde::{Deserialize, Serialize};

use super::file::{Cover, Icon};
use super::parent::Parent;
use super::rich_text::RichText;
use super::trash::TrashFlags;
use super::wire::{JsonMap, object_tag};
use crate::ids::{DataSourceId, DatabaseId};

object_tag!(
    /// The `object` of a database: `"database"`.
    DatabaseObject = "database"
);

/// A database object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Database {
    /// Always `"database"`.
    pub object: DatabaseObject,
    /// The database's ID (the ID in its link).
    pub id: DatabaseId,
    /// The title.
    #[serde(default)]
    pub title: Vec<RichText>,
    /// The description.
    #[serde(default)]
    pub description: Vec<RichText>,
    /// Where the database lives (a page, a block or the workspace).
    pub parent: Parent,
    /// Whether the database is shown inline in its parent page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_inline: Option<bool>,
    /// `in_trash` / `archived`.
    #[serde(flatten)]
    pub trash: TrashFlags,
    /// Whether the database is locked against edits in the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_locked: Option<bool>,
    /// When the database was created (ISO 8601).
    pub created_time: String,
    /// When the database was last edited (ISO 8601).
    pub last_edited_time: String,
    /// Its data sources (absent before API version 2025-09-03).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_sources: Option<Vec<DataSourceRef>>,
    /// The icon (`null` when none).
    #[serde(default)]
    pub icon: Option<Icon>,
    /// The cover (`null` when none).
    #[serde(default)]
    pub cover: Option<Cover>,
    /// The database's link.
    pub url: String,
    /// The public link, when published (`null` otherwise).
    #[serde(default)]
    pub public_url: Option<String>,
    /// Keys this library does not know (`request_id`, the `properties` of older versions, …).
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// A data source as a database lists it: `{"id", "name"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSourceRef {
    /// The data source's ID (not interchangeable with the database's).
    pub id: DataSourceId,
    /// The data source's name.
    pub name: String,
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

impl Database {
    /// The title as plain text.
    pub fn title_text(&self) -> String {
        RichText::concat_plain_text(&self.title)
    }

    /// The IDs of the data sources (empty before API version 2025-09-03).
    pub fn data_source_ids(&self) -> Vec<DataSourceId> {
        self.data_sources
            .iter()
            .flatten()
            .map(|source| source.id)
            .collect()
    }

    /// Whether the database is in the trash (`in_trash`, else `archived`).
    pub fn in_trash(&self) -> bool {
        self.trash.in_trash()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn database_lists_its_data_sources() {
        let value = json!({
            "object": "database", "id": "e234cdc8-4ad2-4371-a97e-999a238bf8f5",
            "title": [{"type": "text", "text": {"content": "Tasks", "link": null}, "plain_text": "Tasks", "href": null}],
            "description": [],
            "parent": {"type": "page_id", "page_id": "393abc1e-edcd-8104-9e45-de1cccb47ac5"},
            "is_inline": false, "in_trash": false, "is_locked": false,
            "created_time": "2026-07-04T09:08:57.778+00:00", "last_edited_time": "2026-07-04T09:08:57.778+00:00",
            "data_sources": [{"id": "b71e1213-3d03-46cb-b9c2-db9856a9f42d", "name": "Tasks"}],
            "icon": null, "cover": null,
            "url": "https://app.notion.com/p/e234cdc84ad24371a97e999a238bf8f5",
            "public_url": null, "archived": false
        });
        let database: Database = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(database.title_text(), "Tasks");
        assert_eq!(
            database.data_source_ids(),
            vec![DataSourceId::parse("b71e1213-3d03-46cb-b9c2-db9856a9f42d").unwrap()]
        );
        assert_eq!(serde_json::to_value(&database).unwrap(), value);
    }
}
