//! Search results and the rows of queries: a page or a data source.
//!
//! `POST /v1/search` (2025-09-03 and later) returns pages and data sources (one per source; the
//! query matches the database's title); `POST /v1/data_sources/{id}/query` returns pages, or
//! data sources for wikis. The `object` key says which. Notion adds object types (an
//! `ai_agent` in search, say): a result of another `object` is kept raw as
//! [`SearchResult::Other`], for the caller to skip and count, never failing the list.

use serde_json::Value;

use super::data_source::DataSource;
use super::page::Page;
use super::wire::{self, JsonMap, JsonObject, serde_via_json_object};

/// A page or a data source, as search and queries return them.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchResult {
    /// `"object": "page"`.
    Page(Box<Page>),
    /// `"object": "data_source"`.
    DataSource(Box<DataSource>),
    /// An object of a type this library does not know (or without `object`), as it came.
    Other(JsonMap),
}

impl SearchResult {
    /// The page, if this is one.
    pub fn as_page(&self) -> Option<&Page> {
        match self {
            Self::Page(page) => Some(page),
            _ => None,
        }
    }

    /// The data source, if this is one.
    pub fn as_data_source(&self) -> Option<&DataSource> {
        match self {
            Self::DataSource(source) => Some(source),
            _ => None,
        }
    }

    /// The `object` of the result, as Notion wrote it (`"page"`, `"data_source"`, …).
    pub fn object(&self) -> &str {
        match self {
            Self::Page(_) => "page",
            Self::DataSource(_) => "data_source",
            Self::Other(map) => map.get("object").and_then(Value::as_str).unwrap_or("?"),
        }
    }
}

impl JsonObject for SearchResult {
    fn from_map(map: JsonMap) -> Result<Self, serde_json::Error> {
        let object = map.get("object").and_then(Value::as_str).map(str::to_owned);
        match object.as_deref() {
            Some("page") => Ok(Self::Page(wire::from_map(map)?)),
            Some("data_source") => Ok(Self::DataSource(wire::from_map(map)?)),
            _ => Ok(Self::Other(map)),
        }
    }

    fn to_map(&self) -> Result<JsonMap, serde_json::Error> {
        match self {
            Self::Page(page) => wire::to_map(page),
            Self::DataSource(source) => wire::to_map(source),
            Self::Other(map) => Ok(map.clone()),
        }
    }
}

serde_via_json_object!(SearchResult);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_object_of_another_type_is_kept_raw() {
        let value = json!({"object": "ai_agent", "id": "393abc1e-edcd-8181-8d59-e30a27148c69"});
        let result: SearchResult = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(result.object(), "ai_agent");
        assert!(result.as_page().is_none() && result.as_data_source().is_none());
        assert_eq!(serde_json::to_value(&result).unwrap(), value);
        let result: SearchResult = serde_json::from_value(json!({"id": "x"})).unwrap();
        assert_eq!(result.object(), "?");
    }
}
