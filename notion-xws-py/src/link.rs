//! `parse_notion_url` and the `NotionLink` it returns.

use notion_xws_core::NotionLink;
use pyo3::prelude::*;

use crate::errors::PyXwsError;

/// What a Notion link names: the object of its path, its view, the row opened in peek, the block.
#[pyclass(name = "NotionLink", module = "notion_xws", frozen, eq, hash)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PyNotionLink(NotionLink);

#[pymethods]
impl PyNotionLink {
    /// The page or database of the path (for a peek link, the database), lowercase and dashed.
    #[getter]
    fn id(&self) -> String {
        self.0.id.to_string()
    }

    /// The view (`v=`), or None.
    #[getter]
    fn view_id(&self) -> Option<String> {
        self.0.view_id.map(|id| id.to_string())
    }

    /// The row opened in peek (`p=`), or None.
    #[getter]
    fn peek_id(&self) -> Option<String> {
        self.0.peek_id.map(|id| id.to_string())
    }

    /// The block anchor (`#block-…`), or None.
    #[getter]
    fn block_id(&self) -> Option<String> {
        self.0.block_id.map(|id| id.to_string())
    }

    /// The canonical `https://www.notion.so/…` form of the link.
    fn __str__(&self) -> String {
        self.0.to_string()
    }

    fn __repr__(&self) -> String {
        let show =
            |value: Option<String>| value.map_or_else(|| "None".to_owned(), |v| format!("'{v}'"));
        format!(
            "NotionLink(id='{}', view_id={}, peek_id={}, block_id={})",
            self.id(),
            show(self.view_id()),
            show(self.peek_id()),
            show(self.block_id())
        )
    }
}

/// Reads a Notion link (or a bare ID) and returns what it names.
///
/// Raises `InvalidLinkError` (a `ValueError`) that says what is wrong with anything else.
#[pyfunction]
pub(crate) fn parse_notion_url(text: &str) -> Result<PyNotionLink, PyXwsError> {
    NotionLink::parse(text)
        .map(PyNotionLink)
        .map_err(|e| PyXwsError(e.into()))
}
