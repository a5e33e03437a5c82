//! Request bodies: what the library sends to create and update pages, databases and data
//! sources, to query, to search, to append blocks and to create file uploads.
//!
//! Fields left `None` are not sent. Every body keeps an `extra` map for fields this library does
//! not model yet (`template`, `markdown`, …), sent as they are. `filter_properties` of a query is
//! a query-string parameter (repeated `filter_properties=<id>`), not part of the body.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::file::{Cover, Icon};
use super::parent::Parent;
use super::property::{PropertyConfig, PropertyConfigKind};
use super::reference::Reference;
use super::rich_text::RichText;
use super::value::PropertyValue;
use super::wire::{
    self, JsonMap, JsonObject, Nullable, kind_object, nullable, open_string_enum,
    serde_via_json_object,
};
use crate::ids::BlockId;

/// A property value to write: a typed value, or the title shorthand (`"title": [rich text…]`)
/// that pages under a page use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PropertyInput {
    /// `[rich text…]`: the title, written without `{"title": …}` around it.
    TitleShorthand(Vec<RichText>),
    /// A typed value (`{"select": {"name": "Done"}}`, …).
    Value(Box<PropertyValue>),
}

/// `POST /v1/pages`: create a page or a row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatePage {
    /// Where to create it: a page, a data source (a row) or the workspace.
    pub parent: Parent,
    /// The values, keyed by property name or ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<BTreeMap<String, PropertyInput>>,
    /// The content, as block objects (at most 100, two levels deep).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<Value>>,
    /// The icon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<Icon>,
    /// The cover.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover: Option<Cover>,
    /// Other body fields (`template`, `position`, `markdown`, …), sent as they are.
    #[serde(flatten)]
    pub extra: JsonMap,
}

impl CreatePage {
    /// A body that creates an empty page under `parent`.
    pub fn new(parent: Parent) -> Self {
        Self {
            parent,
            properties: None,
            children: None,
            icon: None,
            cover: None,
            extra: JsonMap::new(),
        }
    }
}

/// `PATCH /v1/pages/{id}`: change a page's values, icon, cover or trash state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdatePage {
    /// The values to change, keyed by property name or ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<BTreeMap<String, PropertyInput>>,
    /// Move the page to the trash (`true`) or restore it (`false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_trash: Option<bool>,
    /// Lock or unlock the page in the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_locked: Option<bool>,
    /// The icon; `Some(None)` (`null`) removes it.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub icon: Nullable<Icon>,
    /// The cover; `Some(None)` (`null`) removes it.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub cover: Nullable<Cover>,
    /// Other body fields (`archived` of older versions, `template`, …), sent as they are.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// `POST /v1/databases`: create a database and its first data source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateDatabase {
    /// Where to create it: a page or the workspace.
    pub parent: Parent,
    /// The title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Vec<RichText>>,
    /// The description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Vec<RichText>>,
    /// Whether to show it inline in the parent page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_inline: Option<bool>,
    /// The icon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<Icon>,
    /// The cover.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover: Option<Cover>,
    /// The schema of the first data source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_data_source: Option<InitialDataSource>,
    /// Other body fields, sent as they are.
    #[serde(flatten)]
    pub extra: JsonMap,
}

impl CreateDatabase {
    /// A body that creates a database under `parent`, with Notion's default schema.
    pub fn new(parent: Parent) -> Self {
        Self {
            parent,
            title: None,
            description: None,
            is_inline: None,
            icon: None,
            cover: None,
            initial_data_source: None,
            extra: JsonMap::new(),
        }
    }
}

/// The first data source of a new database.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InitialDataSource {
    /// The schema, keyed by property name.
    pub properties: BTreeMap<String, PropertyConfig>,
    /// Other fields, sent as they are.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// `PATCH /v1/databases/{id}`: change the container (title, icon, parent, trash state, …).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateDatabase {
    /// The title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Vec<RichText>>,
    /// The description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Vec<RichText>>,
    /// Whether to show it inline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_inline: Option<bool>,
    /// The icon (Notion's request type has no `null` here: a database's icon is replaced, not
    /// removed, through the API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<Icon>,
    /// The cover (replaced, not removed, as the icon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover: Option<Cover>,
    /// Move it to the trash or restore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_trash: Option<bool>,
    /// Lock or unlock it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_locked: Option<bool>,
    /// Move it under another parent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Parent>,
    /// Other body fields, sent as they are.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// `POST /v1/data_sources`: add a data source to an existing database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateDataSource {
    /// The database (`{"type": "database_id", …}`).
    pub parent: Parent,
    /// The schema, keyed by property name.
    pub properties: BTreeMap<String, PropertyConfig>,
    /// The title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Vec<RichText>>,
    /// The icon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<Icon>,
    /// Other body fields, sent as they are.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// `PATCH /v1/data_sources/{id}`: change the schema, title or trash state of a data source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateDataSource {
    /// Schema changes keyed by property name or ID: `None` (`null`) deletes the property.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<BTreeMap<String, Option<PropertyChange>>>,
    /// The title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Vec<RichText>>,
    /// The description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Vec<RichText>>,
    /// The icon; `Some(None)` removes it.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub icon: Nullable<Icon>,
    /// Move it to the trash or restore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_trash: Option<bool>,
    /// Other body fields (`archived` of older versions, …), sent as they are.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// A change to one property of a schema: rename it, change its description, or set its type and
/// configuration (the title type cannot change).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PropertyChange {
    /// The new name.
    pub name: Option<String>,
    /// The new description; `Some(None)` clears it.
    pub description: Nullable<String>,
    /// The new type and configuration.
    pub config: Option<PropertyConfigKind>,
    /// Whether the `type` key is written.
    pub explicit_type: bool,
    /// Other fields, sent as they are.
    pub extra: JsonMap,
}

impl PropertyChange {
    /// A change that only renames the property.
    pub fn rename(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            ..Self::default()
        }
    }

    /// A change that sets the type and configuration (or adds the property).
    pub fn set(config: PropertyConfigKind) -> Self {
        Self {
            config: Some(config),
            ..Self::default()
        }
    }
}

kind_object!(PropertyChange { name, description, @config? });

/// `POST /v1/data_sources/{id}/query`: one page of rows.
///
/// Notion stops at 10,000 results per filter and sort; check
/// [`List::is_incomplete`](super::List::is_incomplete) on the answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QueryDataSource {
    /// Which rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<Filter>,
    /// In which order (no sort means no guaranteed order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sorts: Option<Vec<Sort>>,
    /// The cursor of the page to read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_cursor: Option<String>,
    /// Rows per page (at most 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    /// Read the rows in the trash: with the live ones, or alone (Notion does not say which;
    /// see [`query_changed_since`](crate::client::pagination::query_changed_since)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_trash: Option<bool>,
    /// Pages or data sources (wikis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<QueryResultType>,
    /// Other body fields, sent as they are.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// What a query returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueryResultType {
    /// Pages (rows).
    Page,
    /// Data sources (wikis).
    DataSource,
}

/// A query filter: a property condition, a timestamp condition, or `and`/`or` of filters (at most
/// two levels deep).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Filter {
    /// Every filter must match.
    And {
        /// The filters.
        and: Vec<Filter>,
    },
    /// Any filter must match.
    Or {
        /// The filters.
        or: Vec<Filter>,
    },
    /// A condition on `created_time` or `last_edited_time`.
    Timestamp(TimestampFilter),
    /// A condition on a property.
    Property(PropertyFilter),
}

/// A condition on a property: `{"property": "Status", "status": {"equals": "Done"}}`.
///
/// The condition is kept as JSON under the key of its type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyFilter {
    /// The property's name or ID.
    pub property: String,
    /// The type key and its condition (`{"status": {"equals": "Done"}}`).
    #[serde(flatten)]
    pub condition: JsonMap,
}

impl PropertyFilter {
    /// A condition of the given property type: `new("Status", "status", json!({"equals": "Done"}))`.
    pub fn new(property: impl Into<String>, type_name: &str, condition: Value) -> Self {
        let mut map = JsonMap::new();
        map.insert(type_name.to_owned(), condition);
        Self {
            property: property.into(),
            condition: map,
        }
    }
}

/// The two timestamps every row has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimestampKind {
    /// `created_time`.
    CreatedTime,
    /// `last_edited_time` (rounded to the minute).
    LastEditedTime,
}

impl TimestampKind {
    /// The key as Notion writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreatedTime => "created_time",
            Self::LastEditedTime => "last_edited_time",
        }
    }
}

/// A condition on a timestamp:
/// `{"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": "…"}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct TimestampFilter {
    /// Which timestamp.
    pub timestamp: TimestampKind,
    /// The condition.
    pub condition: DateCondition,
}

impl TimestampFilter {
    /// Rows edited at or after `time` (ISO 8601): the incremental-sync filter. Use `on_or_after`
    /// (not `after`): edit times are rounded to the minute.
    pub fn edited_since(time: impl Into<String>) -> Self {
        Self {
            timestamp: TimestampKind::LastEditedTime,
            condition: DateCondition::OnOrAfter(time.into()),
        }
    }
}

impl JsonObject for TimestampFilter {
    fn from_map(mut map: JsonMap) -> Result<Self, serde_json::Error> {
        let timestamp: TimestampKind = wire::take_required(&mut map, "timestamp")?;
        let condition = wire::take_required(&mut map, timestamp.as_str())?;
        if let Some(key) = map.keys().next() {
            return Err(wire::shape_error(format!(
                "unexpected key `{key}` in a timestamp filter"
            )));
        }
        Ok(Self {
            timestamp,
            condition,
        })
    }

    fn to_map(&self) -> Result<JsonMap, serde_json::Error> {
        let mut map = JsonMap::new();
        wire::put(&mut map, "timestamp", &self.timestamp)?;
        wire::put(&mut map, self.timestamp.as_str(), &self.condition)?;
        Ok(map)
    }
}

/// A condition on a date: `{"on_or_after": "2026-01-01T00:00:00Z"}`, `{"past_week": {}}`, …
///
/// Dates are ISO 8601 strings; without a time zone Notion uses UTC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DateCondition {
    /// Equal to the date.
    Equals(String),
    /// Strictly before.
    Before(String),
    /// Strictly after.
    After(String),
    /// Before or equal.
    OnOrBefore(String),
    /// After or equal.
    OnOrAfter(String),
    /// Empty (`true`).
    IsEmpty(bool),
    /// Not empty (`true`).
    IsNotEmpty(bool),
    /// Within the past week (`{}`).
    PastWeek(JsonMap),
    /// Within the past month (`{}`).
    PastMonth(JsonMap),
    /// Within the past year (`{}`).
    PastYear(JsonMap),
    /// This week (`{}`).
    ThisWeek(JsonMap),
    /// Within the next week (`{}`).
    NextWeek(JsonMap),
    /// Within the next month (`{}`).
    NextMonth(JsonMap),
    /// Within the next year (`{}`).
    NextYear(JsonMap),
}

/// The order of a sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortDirection {
    /// Smallest, oldest first.
    Ascending,
    /// Largest, newest first.
    Descending,
}

/// A sort: by a property, or by a timestamp.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Sort {
    /// By a property: `{"property": "Name", "direction": "ascending"}`.
    Property {
        /// The property's name or ID.
        property: String,
        /// The order.
        direction: SortDirection,
    },
    /// By a timestamp: `{"timestamp": "created_time", "direction": "ascending"}`.
    Timestamp {
        /// Which timestamp.
        timestamp: TimestampKind,
        /// The order.
        direction: SortDirection,
    },
}

/// `POST /v1/search`: pages and data sources shared with the integration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Search {
    /// Text to match in titles (a data source matches by its database's title).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Only pages or only data sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<SearchFilter>,
    /// The order (only `last_edited_time`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<Sort>,
    /// The cursor of the page to read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_cursor: Option<String>,
    /// Results per page (at most 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    /// Other body fields, sent as they are.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// The filter of a search: `{"property": "object", "value": "page" | "data_source"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchFilter {
    /// Always `"object"`.
    pub property: String,
    /// Which kind of object.
    pub value: SearchObjectKind,
    /// Other fields (`in_trash`, …), sent as they are.
    #[serde(flatten)]
    pub extra: JsonMap,
}

impl SearchFilter {
    /// Only objects of the given kind.
    pub fn only(kind: SearchObjectKind) -> Self {
        Self {
            property: "object".to_owned(),
            value: kind,
            extra: JsonMap::new(),
        }
    }
}

/// The kinds of object a search can be limited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchObjectKind {
    /// Pages.
    Page,
    /// Data sources (API 2025-09-03 and later).
    DataSource,
    /// Databases (API versions before 2025-09-03).
    Database,
}

/// `PATCH /v1/blocks/{id}/children`: append blocks to a page or block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AppendBlockChildren {
    /// The blocks, as block objects (at most [`Self::MAX_CHILDREN`], two levels deep).
    pub children: Vec<Value>,
    /// Where to insert them (default: at the end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<BlockPosition>,
    /// Other body fields (`after` of older versions, …), sent as they are.
    #[serde(flatten)]
    pub extra: JsonMap,
}

impl AppendBlockChildren {
    /// The most blocks one request may append (and one block's `children` may hold). How a
    /// longer body is split into appends within Notion's limits is
    /// [`sync::content::append_calls`](crate::sync::content::append_calls).
    pub const MAX_CHILDREN: usize = 100;
}

/// Where appended blocks go (API 2026-03-11; replaces `after`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BlockPosition {
    /// After the given block.
    AfterBlock {
        /// The block to insert after.
        after_block: Reference<BlockId>,
    },
    /// First.
    Start,
    /// Last.
    End,
}

open_string_enum! {
    /// How a file upload receives its content.
    FileUploadMode {
        /// One request (files up to 20 MB).
        SinglePart = "single_part",
        /// Several parts (larger files).
        MultiPart = "multi_part",
        /// Notion fetches a public URL itself.
        ExternalUrl = "external_url",
    }
}

/// The largest file sent in one part (Notion: 20 MiB; larger files go in parts).
pub const MAX_SINGLE_PART_BYTES: u64 = 20 * 1024 * 1024;

/// The size of each part of a multi-part upload but the last: 10 MiB, the size Notion
/// recommends (parts must be 5 to 20 MiB, the last may be smaller).
pub const PART_BYTES: u64 = 10 * 1024 * 1024;

/// `POST /v1/file_uploads`: start a file upload.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateFileUpload {
    /// How the content arrives (default: single part).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<FileUploadMode>,
    /// The file's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// The file's MIME type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The URL Notion fetches (mode `external_url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_url: Option<String>,
    /// How many parts (mode `multi_part`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_parts: Option<u32>,
    /// Other body fields, sent as they are.
    #[serde(flatten)]
    pub extra: JsonMap,
}

impl CreateFileUpload {
    /// An upload whose bytes are sent: in one part up to [`MAX_SINGLE_PART_BYTES`], else in
    /// parts of [`PART_BYTES`] (`multi_part`, with their count).
    pub fn for_bytes(filename: impl Into<String>, len: u64) -> Self {
        let parts = Self::parts_for(len);
        Self {
            mode: Some(if parts > 1 {
                FileUploadMode::MultiPart
            } else {
                FileUploadMode::SinglePart
            }),
            filename: Some(filename.into()),
            number_of_parts: (parts > 1).then_some(parts),
            ..Self::default()
        }
    }

    /// How many parts a file of `len` bytes is sent in: one up to [`MAX_SINGLE_PART_BYTES`],
    /// else as many parts of [`PART_BYTES`] as it takes (the last may be shorter).
    pub fn parts_for(len: u64) -> u32 {
        if len <= MAX_SINGLE_PART_BYTES {
            1
        } else {
            u32::try_from(len.div_ceil(PART_BYTES)).unwrap_or(u32::MAX)
        }
    }

    /// An upload that Notion fetches from a public URL: the way to copy a file whose
    /// Notion-hosted URL is about to expire into another workspace.
    pub fn from_external_url(url: impl Into<String>, filename: impl Into<String>) -> Self {
        Self {
            mode: Some(FileUploadMode::ExternalUrl),
            external_url: Some(url.into()),
            filename: Some(filename.into()),
            ..Self::default()
        }
    }
}

serde_via_json_object!(PropertyChange, TimestampFilter);

/// The request JSON of a rich-text property value holding `text` as one plain segment:
/// `{"rich_text": [{"type": "text", "text": {"content": text}}]}`.
pub fn rich_text_value(text: &str) -> Value {
    serde_json::json!({ "rich_text": text_items(text) })
}

/// A title cell holding `text`, within Notion's limits as [`text_items`] keeps them.
pub fn title_value(text: &str) -> Value {
    serde_json::json!({ "title": text_items(text) })
}

/// The marker that ends a text [`fit_text`] cut: this, then a hash of the whole text.
pub const CUT_MARKER: &str = "… [cut #";

/// `text` as Notion takes it in one rich-text or title cell: whole when it fits in 100 items of
/// 2,000 UTF-16 code units; else cut there, ending with [`CUT_MARKER`], a hash of the whole text
/// and `]`, so that two long texts that begin alike stay apart (and the same text is cut the
/// same way on every run).
pub fn fit_text(text: &str) -> std::borrow::Cow<'_, str> {
    use super::{TEXT_ITEM_LIMIT, TEXT_ITEMS_LIMIT};
    let limit = TEXT_ITEM_LIMIT * TEXT_ITEMS_LIMIT;
    if text.encode_utf16().count() <= limit {
        return std::borrow::Cow::Borrowed(text);
    }
    let marker = format!(
        "{CUT_MARKER}{:016x}]",
        crate::sync::columns::hash_text(text)
    );
    let keep = limit - marker.encode_utf16().count();
    let head = super::split_utf16(text, keep)
        .into_iter()
        .next()
        .unwrap_or_default();
    std::borrow::Cow::Owned(format!("{head}{marker}"))
}

/// `text` as request rich-text items within Notion's limits: [`fit_text`], in items of at most
/// 2,000 UTF-16 code units (never inside a character); one empty item for an empty text.
pub fn text_items(text: &str) -> Vec<Value> {
    let fitted = fit_text(text);
    let mut items: Vec<Value> = super::split_utf16(&fitted, super::TEXT_ITEM_LIMIT)
        .into_iter()
        .map(|piece| serde_json::json!({"type": "text", "text": {"content": piece}}))
        .collect();
    if items.is_empty() {
        items.push(serde_json::json!({"type": "text", "text": {"content": ""}}));
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::PageId;
    use crate::model::{PropertyValueKind, SelectValue};
    use serde_json::json;

    #[test]
    fn texts_are_written_within_notions_limits_and_cut_ones_stay_apart() {
        let units = |items: &[Value]| -> Vec<usize> {
            items
                .iter()
                .map(|i| {
                    i["text"]["content"]
                        .as_str()
                        .unwrap()
                        .encode_utf16()
                        .count()
                })
                .collect()
        };
        // 2,007 characters: two items, the whole text.
        let label = format!("{} → Acme", "T".repeat(2000));
        let items = text_items(&label);
        assert_eq!(units(&items), [2000, 7]);
        assert_eq!(fit_text(&label), label.as_str());
        // A crab is two UTF-16 code units: never cut inside one.
        let crabs = "🦀".repeat(1001);
        assert_eq!(units(&text_items(&crabs)), [2000, 2]);
        // Past 100 items: cut, with a marker that tells two such texts apart.
        let long = "x".repeat(250_000);
        let (a, b) = (format!("{long}a"), format!("{long}b"));
        let (fit_a, fit_b) = (fit_text(&a), fit_text(&b));
        assert_ne!(fit_a, fit_b);
        assert_eq!(fit_a.encode_utf16().count(), 200_000);
        assert!(fit_a.contains(CUT_MARKER) && fit_a.ends_with(']'));
        assert_eq!(fit_text(&a), fit_a, "the same text is cut the same way");
        let items = text_items(&a);
        assert_eq!(items.len(), 100);
        assert!(units(&items).iter().all(|n| *n <= 2000));
        assert_eq!(
            text_items(""),
            [serde_json::json!({"type": "text", "text": {"content": ""}})]
        );
        assert_eq!(
            rich_text_value("ab")["rich_text"][0]["text"]["content"],
            "ab"
        );
        assert_eq!(title_value("ab")["title"][0]["text"]["content"], "ab");
    }

    fn round_trip<T>(value: Value) -> T
    where
        T: Serialize + serde::de::DeserializeOwned,
    {
        let body: T = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&body).unwrap(), value);
        body
    }

    #[test]
    fn create_page_with_title_shorthand_and_typed_values() {
        let body: CreatePage = round_trip(json!({
            "parent": {"page_id": "393abc1e-edcd-80f3-813b-e205934558c6"},
            "properties": {
                "title": [{"text": {"content": "Test Page"}}],
                "Status": {"select": {"name": "Done"}}
            },
            "children": []
        }));
        let properties = body.properties.unwrap();
        assert!(matches!(
            properties["title"],
            PropertyInput::TitleShorthand(_)
        ));
        assert!(matches!(properties["Status"], PropertyInput::Value(_)));
    }

    #[test]
    fn none_fields_are_not_sent() {
        let page = PageId::parse("393abc1e-edcd-80f3-813b-e205934558c6").unwrap();
        let mut body = CreatePage::new(Parent::page(page));
        let mut properties = BTreeMap::new();
        properties.insert(
            "Status".to_owned(),
            PropertyInput::Value(Box::new(PropertyValue::new(PropertyValueKind::Select(
                Some(SelectValue {
                    name: Some("Done".to_owned()),
                    ..SelectValue::default()
                }),
            )))),
        );
        body.properties = Some(properties);
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({
                "parent": {"type": "page_id", "page_id": "393abc1e-edcd-80f3-813b-e205934558c6"},
                "properties": {"Status": {"select": {"name": "Done"}}}
            })
        );
        assert_eq!(
            serde_json::to_value(UpdatePage::default()).unwrap(),
            json!({})
        );
    }

    #[test]
    fn update_page_can_remove_the_icon() {
        let body: UpdatePage = round_trip(json!({"icon": null}));
        assert_eq!(body.icon, Some(None));
        round_trip::<UpdatePage>(
            json!({"in_trash": true, "icon": {"type": "emoji", "emoji": "🛴"}}),
        );
    }

    #[test]
    fn update_data_source_deletes_renames_and_adds() {
        let body: UpdateDataSource = round_trip(json!({
            "properties": {
                "Old": null,
                "Name": {"name": "Title"},
                "Tags": {"multi_select": {"options": [{"name": "a", "color": "red"}]}}
            },
            "title": [{"type": "text", "text": {"content": "Updated"}}]
        }));
        let properties = body.properties.unwrap();
        assert_eq!(properties["Old"], None);
        assert_eq!(properties["Name"], Some(PropertyChange::rename("Title")));
        assert!(matches!(
            properties["Tags"],
            Some(PropertyChange {
                config: Some(PropertyConfigKind::MultiSelect(_)),
                ..
            })
        ));
    }

    #[test]
    fn create_database_with_initial_schema() {
        round_trip::<CreateDatabase>(json!({
            "parent": {"type": "page_id", "page_id": "393abc1e-edcd-81e8-95dc-ec52a3110c68"},
            "title": [{"type": "text", "text": {"content": "Tasks"}}],
            "is_inline": true,
            "initial_data_source": {"properties": {
                "Name": {"title": {}},
                "Project": {"relation": {"data_source_id": "393abc1e-edcd-8179-9372-000bd163e729",
                                         "type": "single_property", "single_property": {}}}
            }}
        }));
    }

    #[test]
    fn query_with_filters_and_sorts() {
        let body: QueryDataSource = round_trip(json!({
            "filter": {"and": [
                {"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": "2026-01-01T00:00:00Z"}},
                {"or": [
                    {"property": "Status", "status": {"equals": "Done"}},
                    {"timestamp": "created_time", "created_time": {"past_week": {}}}
                ]}
            ]},
            "sorts": [{"timestamp": "created_time", "direction": "ascending"},
                      {"property": "Name", "direction": "descending"}],
            "start_cursor": "abc", "page_size": 100, "in_trash": false, "result_type": "page"
        }));
        let Some(Filter::And { and }) = &body.filter else {
            panic!("not an and: {body:?}");
        };
        assert_eq!(
            and[0],
            Filter::Timestamp(TimestampFilter::edited_since("2026-01-01T00:00:00Z"))
        );
        assert!(matches!(&and[1], Filter::Or { or } if matches!(or[0], Filter::Property(_))));
    }

    #[test]
    fn search_with_filter_and_sort() {
        let body: Search = round_trip(json!({
            "query": "Tasks",
            "filter": {"property": "object", "value": "data_source"},
            "sort": {"direction": "descending", "timestamp": "last_edited_time"},
            "page_size": 10
        }));
        assert_eq!(
            body.filter,
            Some(SearchFilter::only(SearchObjectKind::DataSource))
        );
    }

    #[test]
    fn append_children_round_trips() {
        round_trip::<AppendBlockChildren>(json!({
            "children": [{"paragraph": {"rich_text": [{"text": {"content": "x"}}]}}],
            "position": {"type": "after_block", "after_block": {"id": "393abc1e-edcd-8181-8d59-e30a27148c69"}}
        }));
        round_trip::<AppendBlockChildren>(json!({"children": [], "position": {"type": "start"}}));
    }

    #[test]
    fn create_file_upload_from_an_external_url() {
        let body = CreateFileUpload::from_external_url("https://example.com/a.pdf", "a.pdf");
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"mode": "external_url", "filename": "a.pdf", "external_url": "https://example.com/a.pdf"})
        );
        round_trip::<CreateFileUpload>(
            json!({"mode": "single_part", "filename": "t.txt", "content_type": "text/plain"}),
        );
    }
}
