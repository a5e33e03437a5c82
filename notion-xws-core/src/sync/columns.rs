//! Every column this library adds to a user's database (`notion-xws:*`), and how its value is
//! encoded: one place for their names.
//!
//! - [`SOURCE_KEY`] (`notion-xws:source`): on a one-way target row, the ID of its source row.
//! - [`CONTENT_KEY`] (`notion-xws:content`): on a target row, the marker of its last body copy.
//! - [`BASE_COLUMN`] (`notion-xws:base`): on a two-way environment row, the pair's base.
//! - [`LINK_PREFIX`] (`notion-xws:link:<environment>`): on a two-way control row, its row in
//!   that environment.
//! - [`TRASHED_BY_SYNC`]: the mark, in a base or a link, of a row the sync trashed.

use serde_json::Value;

use crate::ids::PageId;
use crate::model::{Page, PropertyValueKind, RichText};

/// The target's correlation column: a rich-text column holding the source row's ID.
pub const SOURCE_KEY: &str = "notion-xws:source";

/// The target's column that holds the marker of each row's last body copy: the source row's
/// edit time and a hash of its blocks.
pub const CONTENT_KEY: &str = "notion-xws:content";

/// The environment's rich-text column that holds the base of its row pair.
pub const BASE_COLUMN: &str = "notion-xws:base";

/// The start of the control's link columns.
pub const LINK_PREFIX: &str = "notion-xws:link:";

/// The mark of a row the sync trashed because its linked row was trashed: the last entry of an
/// environment row's base (`v1;…;trashed-by-sync`), the end of a control row's link
/// (`<environment row ID>;trashed-by-sync`). It is written in the request that trashes the row
/// (a page in the trash cannot be edited), so that a row in the trash either carries it or was
/// not trashed by the sync; text without it (every text written before it existed) reads as
/// "not trashed by the sync".
pub const TRASHED_BY_SYNC: &str = "trashed-by-sync";

/// The source key a target row carries, if any.
pub fn source_key(row: &Page) -> Option<PageId> {
    match &row.properties.get(SOURCE_KEY)?.value {
        PropertyValueKind::RichText(text) => PageId::parse(&RichText::concat_plain_text(text)).ok(),
        _ => None,
    }
}

/// How many IDs one query looks for in a column ([`holding_any`]): Notion's compound filters
/// take at most 100 conditions.
pub const IDS_PER_QUERY: usize = 100;

/// The filter of a query for the rows whose rich-text `column` (a key or a link) holds any of
/// `ids` (at most [`IDS_PER_QUERY`]): `equals` the ID, or, for text that may carry a mark after
/// it, `contains` it.
pub fn holding_any(column: &str, exact: bool, ids: &[PageId]) -> crate::model::params::Filter {
    use crate::model::params::{Filter, PropertyFilter};
    let op = if exact { "equals" } else { "contains" };
    Filter::Or {
        or: ids
            .iter()
            .map(|id| {
                Filter::Property(PropertyFilter::new(
                    column,
                    "rich_text",
                    serde_json::json!({ op: id.to_string() }),
                ))
            })
            .collect(),
    }
}

/// The key column's value for a source row, as request JSON.
pub fn key_value(source: PageId) -> Value {
    crate::model::params::rich_text_value(&source.to_string())
}

/// The hash these columns hold (a base's per-property hashes, a body's marker): 64-bit FNV-1a,
/// fixed and stable (the same on every platform and in every version).
pub fn hash_text(text: &str) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    text.bytes().fold(OFFSET, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}
