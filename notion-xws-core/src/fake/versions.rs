//! The API versions the fake serves, and every way in which their answers differ: the one place
//! where a version decides a shape, a route or a rule.
//!
//! - **2022-06-28**: a database is the queryable object. `GET /v1/databases/{id}` answers its
//!   schema (`properties`, no `data_sources`), `PATCH` changes it, `POST /v1/databases` takes
//!   `properties` at the top level, rows are read with `POST /v1/databases/{id}/query`, and a
//!   row's parent is `{type: "database_id"}`. Search filters by `"page" | "database"`, lists
//!   database objects and answers `type: "page_or_database"`. The data-source routes and the
//!   views (which Notion's views guide says need 2025-09-03 or later) are answered 400
//!   `invalid_request_url`, as Notion answers `/v1/data_sources/*` under that version
//!   (`makenotion/notion-mcp-server` #178, #179, #185). A database with several data sources
//!   cannot be shown in this version: reading, changing or querying it is refused (see
//!   `State::single_source`), and search leaves it out (the fake's choice: Notion does not say
//!   what its search does with one). Objects carry `archived` beside `in_trash`, and
//!   `archived: true` in an update trashes.
//! - **2025-09-03**: databases hold data sources; the data source is what is queried and what
//!   has a schema. `archived` is still shown and taken.
//! - **2026-03-11**: as 2025-09-03 but `archived` is gone (neither shown nor taken), a block
//!   append places its children with `position` instead of `after`, and the `transcription`
//!   block is named `meeting_notes`.
//!
//! Endpoints added since (file uploads, comments, page moves, page markdown, custom emojis) are
//! served in every version: Notion versions only its breaking changes, and new endpoints come to
//! every version ("Versioning", developers.notion.com).

use super::handlers::Route;

/// A `Notion-Version` the fake serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ApiVersion {
    /// `2022-06-28`: databases with one schema each.
    V2022_06_28,
    /// `2025-09-03`: databases of data sources.
    V2025_09_03,
    /// `2026-03-11`: `archived` removed, `position` on block appends.
    V2026_03_11,
}

/// The versions the fake serves, oldest first, as the header spells them.
pub(crate) const VERSIONS: [&str; 3] = ["2022-06-28", "2025-09-03", "2026-03-11"];

impl ApiVersion {
    /// The version a `Notion-Version` header names, if the fake serves it.
    pub(crate) fn parse(header: &str) -> Option<Self> {
        match header {
            "2022-06-28" => Some(Self::V2022_06_28),
            "2025-09-03" => Some(Self::V2025_09_03),
            "2026-03-11" => Some(Self::V2026_03_11),
            _ => None,
        }
    }

    /// Whether databases are the queryable objects (2022-06-28), rather than containers of data
    /// sources.
    pub(crate) fn databases_hold_schema(self) -> bool {
        self == Self::V2022_06_28
    }

    /// Whether objects show `archived` and updates take it (every version before 2026-03-11).
    pub(crate) fn has_archived(self) -> bool {
        self < Self::V2026_03_11
    }

    /// The type a meeting-notes block shows: `transcription` before 2026-03-11, which renamed
    /// it `meeting_notes`.
    pub(crate) fn meeting_notes_type(self) -> &'static str {
        if self < Self::V2026_03_11 {
            "transcription"
        } else {
            "meeting_notes"
        }
    }

    /// Whether a block append takes `after` (before 2026-03-11; `position` from then on).
    pub(crate) fn takes_after(self) -> bool {
        self < Self::V2026_03_11
    }

    /// Whether this version has the endpoint: the data-source routes, views and templates come
    /// with 2025-09-03; the database query goes with it.
    pub(crate) fn serves(self, route: Route<'_>) -> bool {
        let data_source_era = matches!(
            route,
            Route::DataSourceCreate
                | Route::DataSourceGet(_)
                | Route::DataSourcePatch(_)
                | Route::Query(_)
                | Route::Templates(_)
                | Route::ViewList
                | Route::ViewCreate
                | Route::ViewGet(_)
                | Route::ViewPatch(_)
                | Route::ViewDelete(_)
                | Route::ViewQueryCreate(_)
                | Route::ViewQueryResults(..)
                | Route::ViewQueryDelete(..)
        );
        if self.databases_hold_schema() {
            !data_source_era
        } else {
            !matches!(route, Route::DatabaseQuery(_))
        }
    }

    /// The `value`s a search's `filter` takes besides `"page"`: `"database"` or `"data_source"`.
    pub(crate) fn search_object(self) -> &'static str {
        if self.databases_hold_schema() {
            "database"
        } else {
            "data_source"
        }
    }

    /// The `type` of a search's or a query's list: `page_or_database` or `page_or_data_source`.
    pub(crate) fn list_type(self) -> &'static str {
        if self.databases_hold_schema() {
            "page_or_database"
        } else {
            "page_or_data_source"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_version_parses_and_the_rest_do_not() {
        for header in VERSIONS {
            assert!(ApiVersion::parse(header).is_some(), "{header}");
        }
        for header in ["2021-08-16", "2022-02-22", "latest", ""] {
            assert_eq!(ApiVersion::parse(header), None, "{header}");
        }
    }

    #[test]
    fn routes_follow_the_version() {
        let old = ApiVersion::V2022_06_28;
        let new = ApiVersion::V2025_09_03;
        assert!(old.serves(Route::DatabaseQuery("x")));
        assert!(!new.serves(Route::DatabaseQuery("x")));
        for route in [
            Route::DataSourceGet("x"),
            Route::Query("x"),
            Route::ViewList,
        ] {
            assert!(!old.serves(route), "{route:?}");
            assert!(new.serves(route), "{route:?}");
        }
        for route in [
            Route::PageCreate,
            Route::Search,
            Route::PageMarkdownGet("x"),
        ] {
            assert!(old.serves(route) && new.serves(route), "{route:?}");
        }
        assert!(old.has_archived() && new.has_archived());
        assert!(!ApiVersion::V2026_03_11.has_archived());
        assert!(!ApiVersion::V2026_03_11.takes_after());
    }
}
