//! The fake's routes: which method and path name which endpoint.
//!
//! Notion matches the route before it reads the token: a request to a path it does not serve is
//! answered 400 `invalid_request_url` whatever its `Authorization` header (the official Python
//! SDK's recorded suite sends `GET /v1/invalid` and `GET /v1/users` with the same invalid token
//! and gets 400 `invalid_request_url` for the first, 401 `unauthorized` for the second). So the
//! route is parsed first ([`Route::parse`]), and its path IDs are checked later, by the endpoint.

use crate::fake::request_bodies::{self, Shape};
use crate::fake::versions::ApiVersion;
use crate::transport::Method;

/// An endpoint of the fake, with the raw path segments it takes (IDs are checked by the
/// endpoint, after the token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route<'a> {
    /// `GET /v1/users/me`.
    UsersMe,
    /// `GET /v1/users`.
    UsersList,
    /// `GET /v1/users/{id}`.
    User(&'a str),
    /// `POST /v1/search`.
    Search,
    /// `POST /v1/databases`.
    DatabaseCreate,
    /// `GET /v1/databases/{id}`.
    DatabaseGet(&'a str),
    /// `PATCH /v1/databases/{id}`.
    DatabasePatch(&'a str),
    /// `POST /v1/databases/{id}/query` (2022-06-28).
    DatabaseQuery(&'a str),
    /// `POST /v1/data_sources`.
    DataSourceCreate,
    /// `GET /v1/data_sources/{id}`.
    DataSourceGet(&'a str),
    /// `PATCH /v1/data_sources/{id}`.
    DataSourcePatch(&'a str),
    /// `POST /v1/data_sources/{id}/query`.
    Query(&'a str),
    /// `POST /v1/pages`.
    PageCreate,
    /// `GET /v1/pages/{id}`.
    PageGet(&'a str),
    /// `PATCH /v1/pages/{id}`.
    PagePatch(&'a str),
    /// `GET /v1/pages/{id}/properties/{property}`.
    PropertyItem(&'a str, &'a str),
    /// `GET /v1/blocks/{id}/children`.
    ChildrenList(&'a str),
    /// `PATCH /v1/blocks/{id}/children`.
    ChildrenAppend(&'a str),
    /// `GET /v1/blocks/{id}`.
    BlockGet(&'a str),
    /// `PATCH /v1/blocks/{id}`.
    BlockPatch(&'a str),
    /// `DELETE /v1/blocks/{id}`.
    BlockDelete(&'a str),
    /// `POST /v1/file_uploads`.
    FileUploadCreate,
    /// `GET /v1/file_uploads`.
    FileUploadList,
    /// `GET /v1/file_uploads/{id}`.
    FileUploadGet(&'a str),
    /// `POST /v1/file_uploads/{id}/send` (a `multipart/form-data` body).
    FileUploadSend(&'a str),
    /// `POST /v1/file_uploads/{id}/complete`.
    FileUploadComplete(&'a str),
    /// `POST /v1/comments`.
    CommentCreate,
    /// `GET /v1/comments?block_id=`.
    CommentList,
    /// `GET /v1/comments/{id}`.
    CommentGet(&'a str),
    /// `PATCH /v1/comments/{id}`.
    CommentPatch(&'a str),
    /// `DELETE /v1/comments/{id}`.
    CommentDelete(&'a str),
    /// `GET /v1/custom_emojis`.
    CustomEmojis,
    /// `POST /v1/pages/{id}/move`.
    PageMove(&'a str),
    /// `GET /v1/data_sources/{id}/templates`.
    Templates(&'a str),
    /// `GET /v1/views?database_id=|data_source_id=`.
    ViewList,
    /// `POST /v1/views`.
    ViewCreate,
    /// `GET /v1/views/{id}`.
    ViewGet(&'a str),
    /// `PATCH /v1/views/{id}`.
    ViewPatch(&'a str),
    /// `DELETE /v1/views/{id}`.
    ViewDelete(&'a str),
    /// `POST /v1/views/{id}/queries`.
    ViewQueryCreate(&'a str),
    /// `GET /v1/views/{id}/queries/{query_id}`.
    ViewQueryResults(&'a str, &'a str),
    /// `DELETE /v1/views/{id}/queries/{query_id}`.
    ViewQueryDelete(&'a str, &'a str),
    /// `GET /v1/pages/{id}/markdown`.
    PageMarkdownGet(&'a str),
    /// `PATCH /v1/pages/{id}/markdown`.
    PageMarkdownPatch(&'a str),
    /// `GET /v1/async_tasks/{id}` (a task ID, `task_…`, not a UUID).
    AsyncTask(&'a str),
    /// `POST /v1/blocks/meeting_notes/query`.
    MeetingNotesQuery,
    /// `POST /v1/oauth/token` (HTTP Basic auth, an OAuth client's).
    OauthToken,
    /// `POST /v1/oauth/introspect` (HTTP Basic auth).
    OauthIntrospect,
    /// `POST /v1/oauth/revoke` (HTTP Basic auth).
    OauthRevoke,
}

impl<'a> Route<'a> {
    /// The endpoint of `method` and `path` (a query string, if any, is ignored); `None` for a
    /// path the fake does not serve.
    pub(crate) fn parse(method: Method, path: &'a str) -> Option<Self> {
        use Method::{Delete, Get, Patch, Post};
        let path = path.split('?').next().unwrap_or("");
        let segments: Vec<&'a str> = path.trim_matches('/').split('/').collect();
        let (&"v1", rest) = segments.split_first()? else {
            return None;
        };
        Some(match (method, rest) {
            (Get, ["users", "me"]) => Self::UsersMe,
            (Get, ["users"]) => Self::UsersList,
            (Get, ["users", id]) => Self::User(id),
            (Post, ["search"]) => Self::Search,
            (Post, ["blocks", "meeting_notes", "query"]) => Self::MeetingNotesQuery,
            (Post, ["oauth", "token"]) => Self::OauthToken,
            (Post, ["oauth", "introspect"]) => Self::OauthIntrospect,
            (Post, ["oauth", "revoke"]) => Self::OauthRevoke,
            (Post, ["databases"]) => Self::DatabaseCreate,
            (Get, ["databases", id]) => Self::DatabaseGet(id),
            (Patch, ["databases", id]) => Self::DatabasePatch(id),
            (Post, ["databases", id, "query"]) => Self::DatabaseQuery(id),
            (Post, ["data_sources"]) => Self::DataSourceCreate,
            (Get, ["data_sources", id]) => Self::DataSourceGet(id),
            (Patch, ["data_sources", id]) => Self::DataSourcePatch(id),
            (Post, ["data_sources", id, "query"]) => Self::Query(id),
            (Post, ["pages"]) => Self::PageCreate,
            (Get, ["pages", id]) => Self::PageGet(id),
            (Patch, ["pages", id]) => Self::PagePatch(id),
            (Get, ["pages", id, "properties", property]) => Self::PropertyItem(id, property),
            (Get, ["blocks", id, "children"]) => Self::ChildrenList(id),
            (Patch, ["blocks", id, "children"]) => Self::ChildrenAppend(id),
            (Get, ["blocks", id]) => Self::BlockGet(id),
            (Patch, ["blocks", id]) => Self::BlockPatch(id),
            (Delete, ["blocks", id]) => Self::BlockDelete(id),
            (Post, ["file_uploads"]) => Self::FileUploadCreate,
            (Get, ["file_uploads"]) => Self::FileUploadList,
            (Get, ["file_uploads", id]) => Self::FileUploadGet(id),
            (Post, ["file_uploads", id, "send"]) => Self::FileUploadSend(id),
            (Post, ["file_uploads", id, "complete"]) => Self::FileUploadComplete(id),
            (Post, ["comments"]) => Self::CommentCreate,
            (Get, ["comments"]) => Self::CommentList,
            (Get, ["comments", id]) => Self::CommentGet(id),
            (Patch, ["comments", id]) => Self::CommentPatch(id),
            (Delete, ["comments", id]) => Self::CommentDelete(id),
            (Get, ["custom_emojis"]) => Self::CustomEmojis,
            (Post, ["pages", id, "move"]) => Self::PageMove(id),
            (Get, ["data_sources", id, "templates"]) => Self::Templates(id),
            (Get, ["views"]) => Self::ViewList,
            (Post, ["views"]) => Self::ViewCreate,
            (Get, ["views", id]) => Self::ViewGet(id),
            (Patch, ["views", id]) => Self::ViewPatch(id),
            (Delete, ["views", id]) => Self::ViewDelete(id),
            (Post, ["views", id, "queries"]) => Self::ViewQueryCreate(id),
            (Get, ["views", id, "queries", query]) => Self::ViewQueryResults(id, query),
            (Delete, ["views", id, "queries", query]) => Self::ViewQueryDelete(id, query),
            (Get, ["pages", id, "markdown"]) => Self::PageMarkdownGet(id),
            (Patch, ["pages", id, "markdown"]) => Self::PageMarkdownPatch(id),
            (Get, ["async_tasks", id]) => Self::AsyncTask(id),
            _ => return None,
        })
    }
}

impl Route<'_> {
    /// Whether the endpoint is an OAuth client's (HTTP Basic auth, no bearer token).
    pub(crate) fn is_oauth(self) -> bool {
        matches!(
            self,
            Self::OauthToken | Self::OauthIntrospect | Self::OauthRevoke
        )
    }

    /// The top-level keys the endpoint's JSON body takes in `version`, and their types; `None`
    /// for an endpoint whose body is checked otherwise (block appends and updates, file
    /// uploads) or that takes none.
    pub(crate) fn body_keys(self, version: ApiVersion) -> Option<&'static [(&'static str, Shape)]> {
        let old = version.databases_hold_schema();
        Some(match self {
            Self::PageCreate => request_bodies::CREATE_PAGE,
            Self::PagePatch(_) => request_bodies::UPDATE_PAGE,
            Self::DatabaseCreate if old => request_bodies::CREATE_DATABASE_2022,
            Self::DatabaseCreate => request_bodies::CREATE_DATABASE,
            Self::DatabasePatch(_) if old => request_bodies::UPDATE_DATABASE_2022,
            Self::DatabasePatch(_) => request_bodies::UPDATE_DATABASE,
            Self::DatabaseQuery(_) => request_bodies::QUERY_DATA_SOURCE,
            Self::DataSourceCreate => request_bodies::CREATE_DATA_SOURCE,
            Self::DataSourcePatch(_) => request_bodies::UPDATE_DATA_SOURCE,
            Self::Query(_) => request_bodies::QUERY_DATA_SOURCE,
            Self::Search => request_bodies::SEARCH,
            Self::FileUploadCreate => request_bodies::CREATE_FILE_UPLOAD,
            Self::CommentCreate => request_bodies::CREATE_COMMENT,
            Self::CommentPatch(_) => request_bodies::UPDATE_COMMENT,
            Self::PageMove(_) => request_bodies::MOVE_PAGE,
            Self::OauthToken => request_bodies::OAUTH_TOKEN,
            Self::OauthIntrospect | Self::OauthRevoke => request_bodies::OAUTH_TOKEN_OF,
            Self::MeetingNotesQuery => request_bodies::QUERY_MEETING_NOTES,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_their_endpoint_and_others_none() {
        assert_eq!(
            Route::parse(Method::Get, "/v1/users/me"),
            Some(Route::UsersMe)
        );
        assert_eq!(
            Route::parse(Method::Get, "/v1/users/abc?x=1"),
            Some(Route::User("abc"))
        );
        assert_eq!(
            Route::parse(Method::Post, "/v1/file_uploads/f/send"),
            Some(Route::FileUploadSend("f"))
        );
        for (method, path) in [
            (Method::Get, "/v1/invalid"),
            (Method::Get, "/v2/users"),
            (Method::Delete, "/v1/pages/x"),
            (Method::Get, "/"),
            (Method::Post, "/v1/file_uploads/f/send/more"),
        ] {
            assert_eq!(Route::parse(method, path), None, "{method} {path}");
        }
    }
}
