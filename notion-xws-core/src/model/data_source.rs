//! Data sources: the tables inside a database, each with its own schema and rows.
//!
//! A data source's `parent` is its database (`{"type": "database_id", …}`) and its
//! `database_parent` is where that database lives. `properties` maps each property name to its
//! [`PropertyConfig`]. Its `url` is the database's URL: links never name data sources.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::file::{Cover, Icon};
use super::parent::{Parent, ParentKind};
use super::property::PropertyConfig;
use super::rich_text::RichText;
use super::trash::TrashFlags;
use super::user::User;
use super::wire::{JsonMap, object_tag};
use crate::ids::{DataSourceId, DatabaseId};

object_tag!(
    /// The `object` of a data source: `"data_source"`.
    DataSourceObject = "data_source"
);

/// A data source object (`GET /v1/data_sources/{id}`, search results).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSource {
    /// Always `"data_source"`.
    pub object: DataSourceObject,
    /// The data source's ID.
    pub id: DataSourceId,
    /// The title.
    #[serde(default)]
    pub title: Vec<RichText>,
    /// The description.
    #[serde(default)]
    pub description: Vec<RichText>,
    /// The database that holds the data source.
    pub parent: Parent,
    /// Where that database lives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_parent: Option<Parent>,
    /// Whether the database is shown inline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_inline: Option<bool>,
    /// `in_trash` / `archived`.
    #[serde(flatten)]
    pub trash: TrashFlags,
    /// When the data source was created (ISO 8601).
    pub created_time: String,
    /// When the data source was last edited (ISO 8601).
    pub last_edited_time: String,
    /// Who created it (a partial user).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<User>,
    /// Who last edited it (a partial user).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_edited_by: Option<User>,
    /// The schema, keyed by property name.
    pub properties: BTreeMap<String, PropertyConfig>,
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
    /// Keys this library does not know (`request_id`, …), kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

impl DataSource {
    /// The title as plain text.
    pub fn title_text(&self) -> String {
        RichText::concat_plain_text(&self.title)
    }

    /// The database that holds this data source, from its parent.
    pub fn database_id(&self) -> Option<DatabaseId> {
        match self.parent.kind {
            ParentKind::Database(id) => Some(id),
            _ => None,
        }
    }

    /// Whether the data source is in the trash (`in_trash`, else `archived`).
    pub fn in_trash(&self) -> bool {
        self.trash.in_trash()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn data_source_with_schema_round_trips() {
        let value = json!({
            "object": "data_source", "id": "393abc1e-edcd-8179-9372-000bd163e729",
            "cover": null, "icon": {"type": "emoji", "emoji": "⚙️"},
            "created_time": "2026-07-04T09:09:00.000Z",
            "created_by": {"object": "user", "id": "7775f3a3-893f-43fa-b625-460c61094c78"},
            "last_edited_by": {"object": "user", "id": "7775f3a3-893f-43fa-b625-460c61094c78"},
            "last_edited_time": "2026-07-04T09:09:00.000Z",
            "title": [], "description": [], "is_inline": false,
            "properties": {
                "Name": {"id": "title", "name": "Name", "description": null, "type": "title", "title": {}},
                "Tags": {"id": "a%3Ab", "name": "Tags", "description": null, "type": "multi_select",
                         "multi_select": {"options": [{"id": "o", "name": "x", "color": "red", "description": null}]}}
            },
            "parent": {"type": "database_id", "database_id": "3e631832-5efa-4702-8171-8b8a0e6651ba"},
            "database_parent": {"type": "page_id", "page_id": "393abc1e-edcd-81e9-afca-e7cba9d39cff"},
            "url": "https://app.notion.com/p/3e6318325efa470281718b8a0e6651ba",
            "public_url": null, "in_trash": false, "archived": false
        });
        let source: DataSource = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(
            source.database_id(),
            Some(DatabaseId::parse("3e631832-5efa-4702-8171-8b8a0e6651ba").unwrap())
        );
        assert_eq!(source.properties.len(), 2);
        assert_eq!(serde_json::to_value(&source).unwrap(), value);
    }
}
