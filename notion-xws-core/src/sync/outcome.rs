//! What applying a pair's plan did ([`PairOutcome`]): the same counts for both pair kinds,
//! taken into the pair's report.

use serde::Serialize;

use crate::ids::PageId;

/// What applying one pair's plan did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PairOutcome {
    /// Target rows created (those settled after an unknown outcome included).
    pub created: usize,
    /// Target rows updated.
    pub updated: usize,
    /// Target rows trashed.
    pub trashed: usize,
    /// Writes whose outcome was unknown and that were settled without a duplicate.
    pub settled: usize,
    /// Writes that failed.
    pub failed: usize,
    /// Why they failed.
    pub errors: Vec<String>,
    /// Whether the target database was created.
    pub created_target: bool,
    /// Notion-hosted files re-imported into the side written.
    pub files_reimported: usize,
    /// Notion-hosted files that could not be re-imported (each named in the errors).
    pub files_not_copied: usize,
    /// Why no row write was attempted, when the step before them failed (the step and Notion's
    /// error); the writes are then not counted as failed.
    pub stopped: Option<String>,
    /// The copy's move under the pair's parent page, when it lay elsewhere: where it lay, the
    /// page, and Notion's answer when it refused the move (a person has to share the page or
    /// move the copy).
    pub moved: Option<(String, PageId, Option<String>)>,
    /// The target rows created, by their source row.
    #[serde(skip)]
    pub created_rows: Vec<(PageId, PageId)>,
    /// The pair's link row the writes were recorded in, and whether the run's result (with the
    /// status `synced`) was recorded there.
    #[serde(skip)]
    pub link_row: Option<(PageId, bool)>,
    /// What applying found that the report's notes should say (a column made again because
    /// Notion did not convert it).
    #[serde(skip)]
    pub notes: Vec<String>,
}
