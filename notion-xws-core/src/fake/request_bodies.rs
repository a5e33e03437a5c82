//! The top-level keys each JSON endpoint takes, and their JSON types, from the SDK's generated
//! request types (`makenotion/notion-sdk-js` `src/api-endpoints/pages.ts`, `databases.ts`,
//! `data-sources.ts`, `search.ts`, `file-uploads.ts`, `oauth.ts`, `meeting-notes.ts`): one table
//! per body, checked before the endpoint reads it.
//!
//! A key the type does not have — a response-only field sent back (`object`, `id`, `created_time`,
//! `url`, `data_sources`, …) or a misspelling — is refused as Notion refuses it, `body failed
//! validation: body.X should be not present, instead was …` (the form of the live answers quoted in
//! `makenotion/notion-mcp-server` #235 and `ramnes/notion-sdk-py` #111). A key of the wrong JSON
//! type is refused naming its path and the type it should be; `null` is taken only where the type
//! says `| null` (a page's `icon` and `cover`, a data source's `icon`), as Notion's validator
//! refuses a `null` where its schema wants an object or nothing. What is inside each key (parents,
//! property values, schemas, rich text) is the endpoint's to check.

use serde_json::{Map, Value};

use super::reply::{Fail, Reply};

/// The JSON type a top-level key takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// An object.
    Object,
    /// An object, or `null` (which clears it).
    ObjectOrNull,
    /// An array.
    Array,
    /// A string.
    String,
    /// A boolean.
    Bool,
    /// A number.
    Number,
}

impl Shape {
    /// Whether `value` has this shape.
    fn holds(self, value: &Value) -> bool {
        match self {
            Self::Object => value.is_object(),
            Self::ObjectOrNull => value.is_object() || value.is_null(),
            Self::Array => value.is_array(),
            Self::String => value.is_string(),
            Self::Bool => value.is_boolean(),
            Self::Number => value.is_number(),
        }
    }

    /// What Notion says the key should be.
    fn should(self) -> &'static str {
        match self {
            Self::Object => "an object",
            Self::ObjectOrNull => "an object or `null`",
            Self::Array => "an array",
            Self::String => "a string",
            Self::Bool => "a boolean",
            Self::Number => "a number",
        }
    }
}

/// `POST /v1/pages` (`CreatePageBodyParameters`).
pub(crate) const CREATE_PAGE: &[(&str, Shape)] = &[
    ("parent", Shape::Object),
    ("properties", Shape::Object),
    ("icon", Shape::ObjectOrNull),
    ("cover", Shape::ObjectOrNull),
    ("content", Shape::Array),
    ("children", Shape::Array),
    ("markdown", Shape::String),
    ("template", Shape::Object),
    ("position", Shape::Object),
];

/// `PATCH /v1/pages/{id}` (`UpdatePageBodyParameters`).
pub(crate) const UPDATE_PAGE: &[(&str, Shape)] = &[
    ("properties", Shape::Object),
    ("icon", Shape::ObjectOrNull),
    ("cover", Shape::ObjectOrNull),
    ("is_locked", Shape::Bool),
    ("template", Shape::Object),
    ("erase_content", Shape::Bool),
    ("archived", Shape::Bool),
    ("in_trash", Shape::Bool),
];

/// `POST /v1/databases` (`CreateDatabaseBodyParameters`).
pub(crate) const CREATE_DATABASE: &[(&str, Shape)] = &[
    ("parent", Shape::Object),
    ("title", Shape::Array),
    ("description", Shape::Array),
    ("is_inline", Shape::Bool),
    ("initial_data_source", Shape::Object),
    ("database_type", Shape::String),
    ("icon", Shape::Object),
    ("cover", Shape::Object),
];

/// `PATCH /v1/databases/{id}` (`UpdateDatabaseBodyParameters`; `archived` is the deprecated
/// name of `in_trash`, taken before 2026-03-11).
pub(crate) const UPDATE_DATABASE: &[(&str, Shape)] = &[
    ("parent", Shape::Object),
    ("title", Shape::Array),
    ("description", Shape::Array),
    ("is_inline", Shape::Bool),
    ("icon", Shape::Object),
    ("cover", Shape::Object),
    ("in_trash", Shape::Bool),
    ("archived", Shape::Bool),
    ("is_locked", Shape::Bool),
];

/// `POST /v1/databases` under 2022-06-28 (that version's `CreateDatabaseBodyParameters`: the
/// schema is `properties`, at the top level).
pub(crate) const CREATE_DATABASE_2022: &[(&str, Shape)] = &[
    ("parent", Shape::Object),
    ("properties", Shape::Object),
    ("title", Shape::Array),
    ("description", Shape::Array),
    ("is_inline", Shape::Bool),
    ("icon", Shape::Object),
    ("cover", Shape::Object),
];

/// `PATCH /v1/databases/{id}` under 2022-06-28 (that version's `UpdateDatabaseBodyParameters`,
/// with `properties`; and what was added to every version since: `in_trash`, `is_locked`, a
/// new `parent`).
pub(crate) const UPDATE_DATABASE_2022: &[(&str, Shape)] = &[
    ("title", Shape::Array),
    ("description", Shape::Array),
    ("properties", Shape::Object),
    ("is_inline", Shape::Bool),
    ("icon", Shape::Object),
    ("cover", Shape::Object),
    ("archived", Shape::Bool),
    ("in_trash", Shape::Bool),
    ("is_locked", Shape::Bool),
    ("parent", Shape::Object),
];

/// `POST /v1/data_sources` (`CreateDataSourceBodyParameters`).
pub(crate) const CREATE_DATA_SOURCE: &[(&str, Shape)] = &[
    ("parent", Shape::Object),
    ("properties", Shape::Object),
    ("title", Shape::Array),
    ("icon", Shape::ObjectOrNull),
];

/// `PATCH /v1/data_sources/{id}` (`UpdateDataSourceBodyParameters`).
pub(crate) const UPDATE_DATA_SOURCE: &[(&str, Shape)] = &[
    ("title", Shape::Array),
    ("icon", Shape::ObjectOrNull),
    ("properties", Shape::Object),
    ("in_trash", Shape::Bool),
    ("archived", Shape::Bool),
    ("parent", Shape::Object),
];

/// `POST /v1/data_sources/{id}/query` (`QueryDataSourceBodyParameters`).
pub(crate) const QUERY_DATA_SOURCE: &[(&str, Shape)] = &[
    ("sorts", Shape::Array),
    ("filter", Shape::Object),
    ("start_cursor", Shape::String),
    ("page_size", Shape::Number),
    ("archived", Shape::Bool),
    ("in_trash", Shape::Bool),
    ("result_type", Shape::String),
];

/// `POST /v1/search` (`SearchBodyParameters`).
pub(crate) const SEARCH: &[(&str, Shape)] = &[
    ("sort", Shape::Object),
    ("query", Shape::String),
    ("start_cursor", Shape::String),
    ("page_size", Shape::Number),
    ("filter", Shape::Object),
];

/// `POST /v1/file_uploads` (`CreateFileUploadBodyParameters`).
pub(crate) const CREATE_FILE_UPLOAD: &[(&str, Shape)] = &[
    ("mode", Shape::String),
    ("filename", Shape::String),
    ("content_type", Shape::String),
    ("number_of_parts", Shape::Number),
    ("external_url", Shape::String),
];

/// `POST /v1/comments` (`CreateCommentBodyParameters`).
pub(crate) const CREATE_COMMENT: &[(&str, Shape)] = &[
    ("rich_text", Shape::Array),
    ("markdown", Shape::String),
    ("attachments", Shape::Array),
    ("display_name", Shape::Object),
    ("parent", Shape::Object),
    ("discussion_id", Shape::String),
];

/// `PATCH /v1/comments/{id}`: the comment's new content, as rich text or Markdown.
pub(crate) const UPDATE_COMMENT: &[(&str, Shape)] =
    &[("rich_text", Shape::Array), ("markdown", Shape::String)];

/// `POST /v1/pages/{id}/move` (`MovePageBodyParameters`).
pub(crate) const MOVE_PAGE: &[(&str, Shape)] = &[("parent", Shape::Object)];

/// `POST /v1/oauth/token` (`OauthTokenBodyParameters`, both grants' keys).
pub(crate) const OAUTH_TOKEN: &[(&str, Shape)] = &[
    ("grant_type", Shape::String),
    ("code", Shape::String),
    ("redirect_uri", Shape::String),
    ("external_account", Shape::Object),
    ("refresh_token", Shape::String),
];

/// `POST /v1/oauth/introspect` and `POST /v1/oauth/revoke` (`OauthIntrospectBodyParameters`,
/// `OauthRevokeBodyParameters`).
pub(crate) const OAUTH_TOKEN_OF: &[(&str, Shape)] = &[("token", Shape::String)];

/// `POST /v1/blocks/meeting_notes/query` (`QueryMeetingNotesBodyParameters`).
pub(crate) const QUERY_MEETING_NOTES: &[(&str, Shape)] = &[
    ("filter", Shape::Object),
    ("sort", Shape::Array),
    ("limit", Shape::Number),
];

/// Checks a body's top-level keys against its table: each key known, each of its shape.
pub(crate) fn check_keys(body: &Map<String, Value>, table: &[(&str, Shape)]) -> Reply<()> {
    for (key, value) in body {
        let path = format!("body.{key}");
        match table.iter().find(|(name, _)| name == key) {
            None => return Err(Fail::not_present(&path, value)),
            Some((_, shape)) if !shape.holds(value) => {
                return Err(Fail::body(&path, shape.should(), value));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(body: Value, table: &[(&str, Shape)]) -> Result<(), String> {
        check_keys(body.as_object().unwrap(), table).map_err(|fail| fail.message.clone())
    }

    #[test]
    fn unknown_response_only_and_mistyped_keys_are_refused_in_notions_words() {
        assert!(
            check(
                json!({"parent": {}, "icon": null, "children": []}),
                CREATE_PAGE
            )
            .is_ok()
        );
        assert_eq!(
            check(json!({"parent": {}, "id": "x"}), CREATE_PAGE).unwrap_err(),
            "body failed validation: body.id should be not present, instead was `\"x\"`."
        );
        assert_eq!(
            check(json!({"icon": null}), CREATE_DATABASE).unwrap_err(),
            "body failed validation: body.icon should be an object, instead was `null`."
        );
        assert_eq!(
            check(json!({"properties": []}), UPDATE_PAGE).unwrap_err(),
            "body failed validation: body.properties should be an object, instead was `[]`."
        );
        assert_eq!(
            check(json!({"in_trash": "yes"}), UPDATE_DATA_SOURCE).unwrap_err(),
            "body failed validation: body.in_trash should be a boolean, instead was `\"yes\"`."
        );
        for key in [
            "object",
            "created_time",
            "url",
            "data_sources",
            "last_edited_by",
        ] {
            assert!(check(json!({key: 1}), UPDATE_DATABASE).is_err(), "{key}");
        }
    }
}
