//! Search results and the rows of queries: a page or a data source.
//!
//! `POST /v1/search` (2025-09-03 and later) returns pages and data sources (one per source; the
//! query matches the database's title); `POST /v1/data_sources/{id}/query` returns pages, or
//! data sources for wikis. The `object` key says which.

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
}

impl SearchResult {
    /// The page, if this is one.
    pub fn as_page(&self) -> Option<&Page> {
        match self {
            Self::Page(page) => Some(page),
            Self::DataSource(_) => None,
        }
    }

    /// The data source, if this is one.
    pub fn as_data_source(&self) -> Option<&DataSource> {
        match self {
            Self::DataSource(source) => Some(source),
            Self::Page(_) => None,
        }
    }
}

impl JsonObject for SearchResult {
    fn from_map(map: JsonMap) -> Result<Self, serde_json::Error> {
        let object = map.get("object").and_then(Value::as_str).map(str::to_owned);
        match object.as_deref() {
            Some("page") => Ok(Self::Page(wire::from_map(map)?)),
            Some("data_source") => Ok(Self::DataSource(wire::from_map(map)?)),
            other => Err(wire::shape_error(format!(
                "a search result is a page or a data source, found object {other:?}"
            ))),
        }
    }

    fn to_map(&self) -> Result<JsonMap, serde_json::Error> {
        match self {
            Self::Page(page) => wire::to_map(page),
            Self::DataSource(source) => wire::to_map(source),
        }
    }
}

serde_via_json_object!(SearchResult);
