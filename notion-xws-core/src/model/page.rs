//! Pages, including the rows of data sources.
//!
//! A page has a [`Parent`], `properties` keyed by property name (each a [`PropertyValue`]),
//! an icon and a cover, its URLs, who created and last edited it and when, and whether it is in
//! the trash ([`TrashFlags`]: `in_trash`, or `archived` before 2026-03-11).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::file::{Cover, Icon};
use super::parent::{Parent, ParentKind};
use super::trash::TrashFlags;
use super::user::User;
use super::value::PropertyValue;
use super::wire::{JsonMap, object_tag};
use crate::ids::{DataSourceId, PageId};

object_tag!(
    /// The `object` of a page: `"page"`.
    PageObject = "page"
);

/// A page object (`GET /v1/pages/{id}`, rows of queries, search results).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// Always `"page"`.
    pub object: PageObject,
    /// The page's ID.
    pub id: PageId,
    /// When the page was created (ISO 8601).
    pub created_time: String,
    /// When the page was last edited (ISO 8601, rounded to the minute).
    pub last_edited_time: String,
    /// Who created the page (a partial user).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<User>,
    /// Who last edited the page (a partial user).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_edited_by: Option<User>,
    /// Where the page lives: a page, a data source, a block or the workspace.
    pub parent: Parent,
    /// The values, keyed by property name.
    pub properties: BTreeMap<String, PropertyValue>,
    /// The page's icon (`null` when none).
    #[serde(default)]
    pub icon: Option<Icon>,
    /// The page's cover (`null` when none).
    #[serde(default)]
    pub cover: Option<Cover>,
    /// The page's link.
    pub url: String,
    /// The page's public link, when published to the web (`null` otherwise).
    #[serde(default)]
    pub public_url: Option<String>,
    /// `in_trash` / `archived`.
    #[serde(flatten)]
    pub trash: TrashFlags,
    /// Whether the page is locked against edits in the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_locked: Option<bool>,
    /// Keys this library does not know (`request_id`, `is_archived`, …), kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

impl Page {
    /// The property whose schema type is `title`, with its name.
    pub fn title_property(&self) -> Option<(&str, &PropertyValue)> {
        self.properties
            .iter()
            .find(|(_, value)| value.type_name() == "title")
            .map(|(name, value)| (name.as_str(), value))
    }

    /// The page's title as plain text (empty when the page has no title property).
    pub fn title(&self) -> String {
        match self.title_property().map(|(_, value)| &value.value) {
            Some(super::value::PropertyValueKind::Title(segments)) => {
                super::rich_text::RichText::concat_plain_text(segments)
            }
            _ => String::new(),
        }
    }

    /// Whether the page is in the trash (`in_trash`, else `archived`).
    pub fn in_trash(&self) -> bool {
        self.trash.in_trash()
    }

    /// The data source the page is a row of, when its parent is one.
    pub fn data_source_id(&self) -> Option<DataSourceId> {
        match self.parent.kind {
            ParentKind::DataSource { data_source_id, .. } => Some(data_source_id),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn page_json() -> Value {
        json!({
            "object": "page", "id": "393abc1e-edcd-8181-8d59-e30a27148c69",
            "created_time": "2026-07-04T09:08:00.000Z", "last_edited_time": "2026-07-04T09:08:00.000Z",
            "created_by": {"object": "user", "id": "7775f3a3-893f-43fa-b625-460c61094c78"},
            "last_edited_by": {"object": "user", "id": "7775f3a3-893f-43fa-b625-460c61094c78"},
            "cover": null, "icon": null,
            "parent": {"type": "page_id", "page_id": "393abc1e-edcd-80f3-813b-e205934558c6"},
            "in_trash": false, "is_archived": false, "is_locked": false,
            "properties": {"title": {"id": "title", "type": "title", "title": [
                {"type": "text", "text": {"content": "Test Page", "link": null},
                 "annotations": {"bold": false, "italic": false, "strikethrough": false,
                                 "underline": false, "code": false, "color": "default"},
                 "plain_text": "Test Page", "href": null}]}},
            "url": "https://app.notion.com/p/Test-Page-393abc1eedcd81818d59e30a27148c69",
            "public_url": null, "archived": false,
            "request_id": "5c99c82e-cc3f-4141-917c-31eec94ec4b5"
        })
    }

    #[test]
    fn page_round_trips_with_both_trash_keys() {
        let value = page_json();
        let page: Page = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(page.title(), "Test Page");
        assert!(!page.in_trash());
        assert_eq!(page.trash.archived, Some(false));
        assert_eq!(serde_json::to_value(&page).unwrap(), value);
    }

    #[test]
    fn archived_alone_is_the_trash_flag() {
        let mut value = page_json();
        let object = value.as_object_mut().unwrap();
        object.remove("in_trash");
        object.insert("archived".into(), json!(true));
        let page: Page = serde_json::from_value(value.clone()).unwrap();
        assert!(page.in_trash());
        assert_eq!(page.trash.in_trash, None);
        assert_eq!(serde_json::to_value(&page).unwrap(), value);
    }

    #[test]
    fn wrong_object_is_refused() {
        let mut value = page_json();
        value["object"] = json!("database");
        assert!(serde_json::from_value::<Page>(value).is_err());
    }
}
