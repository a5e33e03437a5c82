//! Any answer of the API, typed by its `object` key.
//!
//! [`NotionObject`] reads any JSON body Notion returns (page, database, data source, block, user,
//! file upload, property item, list, error) into its typed model, and keeps objects this library
//! does not model (comments, views, …) raw. It is what a transport can decode before it knows
//! which endpoint answered, and what the fixture tests use to check every recorded response.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::block::Block;
use super::data_source::DataSource;
use super::database::Database;
use super::file_upload::FileUpload;
use super::list::List;
use super::page::Page;
use super::property_item::{PropertyItem, PropertyItemList};
use super::search::SearchResult;
use super::user::User;
use super::wire::{self, JsonMap, JsonObject, object_tag, serde_via_json_object};
use crate::error::ApiError;

object_tag!(
    /// The `object` of an error body: `"error"`.
    ErrorObject = "error"
);

/// An error body: `{"object": "error", …}` around the library's [`ApiError`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// Always `"error"`.
    pub object: ErrorObject,
    /// Status, code, message, `request_id`, `additional_data`.
    #[serde(flatten)]
    pub error: ApiError,
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// Any JSON body of the API, typed by its `object` (and, for lists, its `type`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum NotionObject {
    /// `"object": "page"`.
    Page(Box<Page>),
    /// `"object": "database"`.
    Database(Box<Database>),
    /// `"object": "data_source"`.
    DataSource(Box<DataSource>),
    /// `"object": "block"`.
    Block(Box<Block>),
    /// `"object": "user"`.
    User(Box<User>),
    /// `"object": "file_upload"`.
    FileUpload(Box<FileUpload>),
    /// `"object": "property_item"`.
    PropertyItem(Box<PropertyItem>),
    /// `"object": "error"`.
    Error(Box<ErrorResponse>),
    /// A list of pages and data sources (`"type": "page_or_data_source"`).
    PageOrDataSourceList(Box<List<SearchResult>>),
    /// A list of pages (`"type": "page"`).
    PageList(Box<List<Page>>),
    /// A list of blocks (`"type": "block"`).
    BlockList(Box<List<Block>>),
    /// A list of users (`"type": "user"`).
    UserList(Box<List<User>>),
    /// A list of file uploads (`"type": "file_upload"`).
    FileUploadList(Box<List<FileUpload>>),
    /// A list of property items (`"type": "property_item"`).
    PropertyItemList(Box<PropertyItemList>),
    /// A list of objects this library does not model (comments, views, …), results kept raw.
    OtherList(Box<List<Value>>),
    /// An object this library does not model (comment, view, …), kept raw.
    Other(JsonMap),
}

impl NotionObject {
    /// Whether the body was read into a typed model (not [`Other`](Self::Other) or
    /// [`OtherList`](Self::OtherList)).
    pub fn is_typed(&self) -> bool {
        !matches!(self, Self::Other(_) | Self::OtherList(_))
    }
}

impl JsonObject for NotionObject {
    fn from_map(map: JsonMap) -> Result<Self, serde_json::Error> {
        let object = text_of(&map, "object");
        let list_type = text_of(&map, "type");
        Ok(match object.as_str() {
            "page" => Self::Page(wire::from_map(map)?),
            "database" => Self::Database(wire::from_map(map)?),
            "data_source" => Self::DataSource(wire::from_map(map)?),
            "block" => Self::Block(wire::from_map(map)?),
            "user" => Self::User(wire::from_map(map)?),
            "file_upload" => Self::FileUpload(wire::from_map(map)?),
            "property_item" => Self::PropertyItem(wire::from_map(map)?),
            "error" => Self::Error(wire::from_map(map)?),
            "list" => match list_type.as_str() {
                "page_or_data_source" => Self::PageOrDataSourceList(wire::from_map(map)?),
                "page" => Self::PageList(wire::from_map(map)?),
                "block" => Self::BlockList(wire::from_map(map)?),
                "user" => Self::UserList(wire::from_map(map)?),
                "file_upload" => Self::FileUploadList(wire::from_map(map)?),
                "property_item" => Self::PropertyItemList(wire::from_map(map)?),
                _ => Self::OtherList(wire::from_map(map)?),
            },
            _ => Self::Other(map),
        })
    }

    fn to_map(&self) -> Result<JsonMap, serde_json::Error> {
        match self {
            Self::Page(page) => wire::to_map(page),
            Self::Database(database) => wire::to_map(database),
            Self::DataSource(source) => wire::to_map(source),
            Self::Block(block) => wire::to_map(block),
            Self::User(user) => wire::to_map(user),
            Self::FileUpload(upload) => wire::to_map(upload),
            Self::PropertyItem(item) => wire::to_map(item),
            Self::Error(error) => wire::to_map(error),
            Self::PageOrDataSourceList(list) => wire::to_map(list),
            Self::PageList(list) => wire::to_map(list),
            Self::BlockList(list) => wire::to_map(list),
            Self::UserList(list) => wire::to_map(list),
            Self::FileUploadList(list) => wire::to_map(list),
            Self::PropertyItemList(list) => wire::to_map(list),
            Self::OtherList(list) => wire::to_map(list),
            Self::Other(map) => Ok(map.clone()),
        }
    }
}

serde_via_json_object!(NotionObject);

/// The string under `key`, or an empty string.
fn text_of(map: &JsonMap, key: &str) -> String {
    map.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiErrorCode;
    use serde_json::json;

    #[test]
    fn error_body_round_trips() {
        let value = json!({
            "object": "error", "status": 404, "code": "object_not_found",
            "message": "Could not find page with ID: 00000000-0000-0000-0000-000000000000.",
            "additional_data": {"integration_id": "x"},
            "request_id": "df3b87cf-ebaf-42d5-9903-7af8ea9fc5a3"
        });
        let object: NotionObject = serde_json::from_value(value.clone()).unwrap();
        let NotionObject::Error(error) = &object else {
            panic!("not an error: {object:?}");
        };
        assert_eq!(error.error.code, ApiErrorCode::ObjectNotFound);
        assert_eq!(serde_json::to_value(&object).unwrap(), value);
    }

    #[test]
    fn unmodelled_objects_are_kept_raw() {
        let value = json!({"object": "comment", "id": "1", "rich_text": []});
        let object: NotionObject = serde_json::from_value(value.clone()).unwrap();
        assert!(!object.is_typed());
        assert_eq!(serde_json::to_value(&object).unwrap(), value);
    }
}
