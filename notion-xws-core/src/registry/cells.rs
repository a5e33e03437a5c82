//! Reading registry cells: the text of a property value, whatever its type, and what it names.
//!
//! Registry databases are edited by hand, so the same column may be a rich text in one workspace
//! and a URL or a select in another; these functions read the text of any of them, and parse it
//! for what the column should hold (an ID, a link, a token, a sync direction) without guessing.

use serde::{Deserialize, Serialize};

use crate::ids::{ObjectId, PageId};
use crate::link::NotionLink;
use crate::model::{FormulaResult, PropertyValue, PropertyValueKind, RichText, RollupResult};

/// The text of a value: rich text and titles as plain text, URLs, emails, phone numbers, the name
/// of a select or status, a formula's string, the texts of a rolled-up array joined by spaces.
/// `None` when the value is empty (or of a kind that has no text).
pub fn text(value: &PropertyValue) -> Option<String> {
    let text = match &value.value {
        PropertyValueKind::Title(segments) | PropertyValueKind::RichText(segments) => {
            RichText::concat_plain_text(segments)
        }
        PropertyValueKind::Url(text)
        | PropertyValueKind::Email(text)
        | PropertyValueKind::PhoneNumber(text) => text.clone().unwrap_or_default(),
        PropertyValueKind::Select(option) | PropertyValueKind::Status(option) => option
            .as_ref()
            .and_then(|option| option.name.clone())
            .unwrap_or_default(),
        PropertyValueKind::Formula(formula) => match &formula.result {
            FormulaResult::String(text) => text.clone().unwrap_or_default(),
            _ => String::new(),
        },
        PropertyValueKind::Rollup(rollup) => match &rollup.result {
            RollupResult::Array(values) => {
                values.iter().filter_map(text).collect::<Vec<_>>().join(" ")
            }
            _ => String::new(),
        },
        _ => String::new(),
    };
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// The pages a relation value points at (as far as the page object shows them).
pub fn relation(value: &PropertyValue) -> Vec<PageId> {
    match &value.value {
        PropertyValueKind::Relation { pages, .. } => pages.iter().map(|page| page.id).collect(),
        _ => Vec::new(),
    }
}

/// Whether a relation value was cut at 25 references by Notion.
pub fn relation_truncated(value: &PropertyValue) -> bool {
    matches!(
        &value.value,
        PropertyValueKind::Relation {
            has_more: Some(true),
            ..
        }
    )
}

/// A registry cell read for what it should hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "value", rename_all = "snake_case")]
pub enum Cell<T> {
    /// The column is missing, or the cell is empty.
    Empty,
    /// The cell holds what it should.
    Value(T),
    /// The cell holds something else: the text says what is wrong.
    Invalid(String),
}

impl<T> Cell<T> {
    /// The value, when the cell holds one.
    pub fn value(&self) -> Option<&T> {
        match self {
            Self::Value(value) => Some(value),
            _ => None,
        }
    }

    /// Whether the cell is empty.
    pub fn is_empty(&self) -> bool {
        matches!(self, Self::Empty)
    }
}

/// Reads an ID cell with the link parser: a bare ID or a link, whose path ID is taken (never its
/// view or peeked row).
pub fn link_cell(text: Option<&str>) -> Cell<NotionLink> {
    match text {
        None => Cell::Empty,
        Some(text) => match NotionLink::parse(text) {
            Ok(link) => Cell::Value(link),
            Err(error) => Cell::Invalid(error.to_string()),
        },
    }
}

/// The object ID of a link cell.
pub fn id_of(cell: &Cell<NotionLink>) -> Option<ObjectId> {
    cell.value().map(|link| link.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn value(json: serde_json::Value) -> PropertyValue {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn text_of_every_kind_of_cell() {
        let rich = value(json!({"id": "a", "type": "rich_text", "rich_text": [
            {"type": "text", "text": {"content": " ntn_x", "link": null}, "plain_text": " ntn_x", "href": null},
            {"type": "text", "text": {"content": "y ", "link": null}, "plain_text": "y ", "href": null}]}));
        assert_eq!(text(&rich).as_deref(), Some("ntn_xy"));
        let url = value(json!({"id": "b", "type": "url", "url": "https://www.notion.so/x"}));
        assert_eq!(text(&url).as_deref(), Some("https://www.notion.so/x"));
        let status = value(
            json!({"id": "c", "type": "status", "status": {"id": "1", "name": "Push", "color": "blue"}}),
        );
        assert_eq!(text(&status).as_deref(), Some("Push"));
        let empty = value(json!({"id": "d", "type": "select", "select": null}));
        assert_eq!(text(&empty), None);
        let rollup = value(
            json!({"id": "e", "type": "rollup", "rollup": {"type": "array", "function": "show_original",
            "array": [{"type": "rich_text", "rich_text": [{"type": "text", "text": {"content": "tok", "link": null}, "plain_text": "tok", "href": null}]}]}}),
        );
        assert_eq!(text(&rollup).as_deref(), Some("tok"));
    }

    #[test]
    fn link_cells() {
        assert_eq!(link_cell(None), Cell::Empty);
        assert!(matches!(link_cell(Some("nope")), Cell::Invalid(_)));
        let cell = link_cell(Some(
            "https://www.notion.so/0123456789abcdef0123456789abcdef?v=fedcba9876543210fedcba9876543210",
        ));
        assert_eq!(
            id_of(&cell).unwrap().to_string(),
            "01234567-89ab-cdef-0123-456789abcdef"
        );
    }
}
