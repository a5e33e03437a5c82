//! A reference to another object by ID: `{"id": "…"}`, as relations, mentions and file uploads
//! write it.

use serde::{Deserialize, Serialize};

use super::wire::JsonMap;

/// `{"id": …}`, with any other keys Notion sent kept as they came.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference<I> {
    /// The ID of the object referred to.
    pub id: I,
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

impl<I> Reference<I> {
    /// A reference with only the ID.
    pub fn new(id: I) -> Self {
        Self {
            id,
            extra: JsonMap::new(),
        }
    }
}
