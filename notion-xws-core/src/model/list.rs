//! Paginated lists: `{"object": "list", "results", "next_cursor", "has_more", "type", …}`.
//!
//! Every list endpoint answers with this shape; `type` says what the results are
//! (`page_or_data_source`, `block`, `user`, `property_item`, …). A query that reaches Notion's
//! cap of 10,000 results stops with `has_more: false` and a [`RequestStatus`] of type
//! `incomplete`: check [`List::is_incomplete`] rather than trusting `has_more` alone.

use serde::{Deserialize, Serialize};

use super::wire::{JsonMap, object_tag, open_string_enum};

object_tag!(
    /// The `object` of a list: `"list"`.
    ListObject = "list"
);

/// One page of a paginated list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct List<T> {
    /// Always `"list"`.
    pub object: ListObject,
    /// The results of this page.
    pub results: Vec<T>,
    /// The cursor of the next page (`null` on the last page).
    #[serde(default)]
    pub next_cursor: Option<String>,
    /// Whether there is a next page.
    pub has_more: bool,
    /// What the results are (`page_or_data_source`, `block`, `user`, …).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub list_type: Option<String>,
    /// Whether Notion stopped early (the 10,000-result cap of queries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_status: Option<RequestStatus>,
    /// Keys this library does not know (the empty `"<type>": {}`, `request_id`, …).
    #[serde(flatten)]
    pub extra: JsonMap,
}

open_string_enum! {
    /// Whether a list request completed.
    RequestStatusType {
        /// Every result was returned.
        Complete = "complete",
        /// Notion stopped early; see `incomplete_reason`.
        Incomplete = "incomplete",
    }
}

/// The `request_status` of a list: `{"type", "incomplete_reason"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestStatus {
    /// `complete` or `incomplete`.
    #[serde(rename = "type")]
    pub status: RequestStatusType,
    /// Why the request is incomplete (`query_result_limit_reached`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incomplete_reason: Option<String>,
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

impl<T> List<T> {
    /// Whether Notion stopped before the end (a query past 10,000 results): a cursor loop that
    /// stops on `has_more: false` would silently miss rows.
    pub fn is_incomplete(&self) -> bool {
        self.request_status
            .as_ref()
            .is_some_and(|status| status.status == RequestStatusType::Incomplete)
    }

    /// The cursor to ask for next, when there is a next page.
    pub fn next_page_cursor(&self) -> Option<&str> {
        if self.has_more {
            self.next_cursor.as_deref()
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn incomplete_query_is_detected() {
        let value = json!({
            "object": "list", "results": [], "next_cursor": null, "has_more": false,
            "type": "page_or_data_source", "page_or_data_source": {},
            "request_status": {"type": "incomplete", "incomplete_reason": "query_result_limit_reached"}
        });
        let list: List<Value> = serde_json::from_value(value.clone()).unwrap();
        assert!(list.is_incomplete());
        assert_eq!(list.next_page_cursor(), None);
        assert_eq!(serde_json::to_value(&list).unwrap(), value);
    }

    #[test]
    fn next_cursor_is_offered_only_with_has_more() {
        let list: List<Value> = serde_json::from_value(json!({
            "object": "list", "results": [1], "next_cursor": "abc", "has_more": true
        }))
        .unwrap();
        assert!(!list.is_incomplete());
        assert_eq!(list.next_page_cursor(), Some("abc"));
    }
}
