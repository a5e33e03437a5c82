//! Which column of a copy follows which column of its source, by property ID.
//!
//! A column's name is what people change; its property ID is what Notion keeps (a rename keeps
//! it, and so does a change of type). So a pair remembers, in its `system-sync-links` row
//! (column `Columns`), the copy's property ID of each source property it follows, and, for
//! select, multi-select and status columns, the copy's option ID of each source option. The
//! planner matches the copy's columns and options by this map first, by name only for what it
//! does not name yet (a pair synced by an older version, a column added since), so that a
//! rename in the source renames the copy's column instead of adding a second one.
//!
//! The map is stored as compact JSON, `{"source ID": {"id": "copy ID", "options": {…}}}`, in
//! plain rich-text segments within Notion's limit per segment. A cell that does not parse is
//! read as an empty map: the columns are then matched by name, as on a pair's first run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::sync::metadata::plain_rich_text;

/// The column of `system-sync-links` that holds a pair's [`ColumnMap`].
pub const COLUMNS_COLUMN: &str = "Columns";

/// The copy's column that follows one source column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowedColumn {
    /// The copy's property ID.
    pub id: String,
    /// For options: the copy's option ID of each source option ID.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

/// A pair's map from each followed source property ID to its column in the copy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ColumnMap(pub BTreeMap<String, FollowedColumn>);

impl ColumnMap {
    /// The map a `Columns` cell holds; empty when the cell is empty or does not parse.
    pub fn parse(text: &str) -> Self {
        serde_json::from_str(text.trim()).unwrap_or_default()
    }

    /// The map as the `Columns` cell's text.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The `Columns` cell that holds the map, as a property value to write.
    pub fn cell(&self) -> Value {
        json!({ "rich_text": plain_rich_text(&self.to_text()) })
    }

    /// The copy's column that follows source property `source`, if the map names one.
    pub fn get(&self, source: &str) -> Option<&FollowedColumn> {
        self.0.get(source)
    }

    /// Whether the map names copy property `copy` for a source property other than `source`.
    pub fn claims_for_another(&self, copy: &str, source: &str) -> bool {
        self.0.iter().any(|(s, f)| f.id == copy && s != source)
    }

    /// Whether the map follows no column.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_map_round_trips_through_its_cell_text_and_long_maps_are_split() {
        let mut map = ColumnMap::default();
        for i in 0..200 {
            map.0.insert(
                format!("s%3A{i}"),
                FollowedColumn {
                    id: format!("c{i}"),
                    options: [(format!("o{i}"), format!("p{i}"))].into_iter().collect(),
                },
            );
        }
        assert_eq!(ColumnMap::parse(&map.to_text()), map);
        let cell = map.cell();
        let segments = cell["rich_text"].as_array().unwrap();
        assert!(segments.len() > 1, "{} chars", map.to_text().len());
        let joined: String = segments
            .iter()
            .map(|s| s["text"]["content"].as_str().unwrap())
            .collect();
        assert_eq!(ColumnMap::parse(&joined), map);
        assert!(ColumnMap::parse("not json").is_empty());
        assert!(ColumnMap::parse("").is_empty());
    }
}
