//! Page content: the blocks of each row copied into its target row, when a database asks for it.
//!
//! A database's `Sync Content` checkbox in the registry turns this on (it is off by default). The
//! body of a source row is read as a tree ([`read_body`]), turned into the request JSON of an
//! append ([`convert`]: each block rebuilt in its type's request form as Notion's request types
//! define it ([`block_request`], [`rich_text_request`]), so ids, times, authors, `plain_text`,
//! `href` and `null`s where a request takes none are never sent; mentions of the source workspace
//! written as their text; text over Notion's 2,000 characters split; blocks the API cannot
//! create — child pages and databases, link previews, links to pages, unsupported blocks, types
//! not known yet — and blocks over Notion's limits replaced by a grey paragraph saying what was
//! not copied, and counted in the pair's notes; column layouts and synced blocks replaced by
//! their content), and written under the
//! target row in calls that stay within Notion's limits ([`append_calls`]: at most 100 blocks per
//! array, two levels per request, 1000 blocks per request; deeper blocks go in later calls under
//! the IDs the append returned).
//!
//! Reading every body on every run would cost a request per row at least, so the target row
//! carries a marker, [`CONTENT_KEY`]: the source row's `last_edited_time` and a hash of the
//! converted body at the last copy ([`ContentMarker`]). A body is read only when the source row's
//! `last_edited_time` differs from the recorded one ([`plan_bodies`]), and the target's body is
//! replaced only when the hash differs; an unchanged body costs nothing. The replacement deletes
//! every top-level block of the target row first and writes the marker last, so a run stopped
//! half-way leaves no marker and the next run replaces the half-written body instead of adding
//! to it. Two-way pairs copy content one way only, control to environment.
//!
//! A media block (image, file, pdf, video, audio) holding a file hosted by Notion is converted
//! to a placeholder that names the file but not its signed URL ([`convert_with_media`]), so the
//! hash does not change with the URL, which changes on every read. When the body is written, each
//! such file is re-imported into the target workspace through the File Upload API, from the URL
//! of the body as just read ([`reimport_media`](crate::sync::files::reimport_media): one upload, its status checks; a fresh read of
//! the block first if the URL has expired since), and the block
//! is written as `{"type": "image", "image": {"type": "file_upload", "file_upload": {"id"},
//! "caption"}}`. A file that cannot be re-imported is replaced by a note naming it and reported;
//! the rest of the body is written, and the marker says the copy is incomplete ([`INCOMPLETE`]),
//! so the next run reads the body again and retries. External media are copied as they are.
//!
//! Notion rounds `last_edited_time` to the minute: an edit made in the same minute as a copy,
//! after the body was read, is only seen when the row is edited again.
//!
//! Here: which bodies to look at ([`plan_bodies`], [`bodies_to_check`]) and the marker. The
//! parts: `request` (each block type's request form, rich text's, Notion's limits on a block),
//! `convert` (blocks as read → request JSON, the losses, the hash), `body` (bodies read,
//! appended within Notion's limits, cleared) and `apply` (each body copied, its files
//! re-imported, its marker recorded).

mod apply;
mod body;
mod convert;
mod request;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::{Value, json};

use crate::ids::PageId;
use crate::model::PropertyConfig;
use crate::sync::one_way::plan::{PairPlan, PairSnapshot};
use crate::sync::rows::RowContent;

pub use self::apply::{BodyOutcome, INCOMPLETE, apply_bodies};
pub use self::body::{
    AppendCall, MAX_BLOCKS_PER_REQUEST, MAX_CHILDREN, append_call_count, append_calls, clear_body,
    read_body, write_body,
};
pub use self::convert::{BlockNode, Losses, SourceBlock, body_hash, convert, convert_with_media};
pub use self::request::{
    FILE_BLOCKS, MAX_EXPRESSION, MAX_RICH_TEXT_ITEMS, MAX_TEXT, MAX_URL, Unsendable,
    WRITTEN_BLOCKS, block_request, rich_text_request, split_text, takes_children,
};

pub use crate::sync::columns::CONTENT_KEY;

/// The record of a copy: when the source row was last edited, and the hash of its body then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContentMarker {
    /// The source row's `last_edited_time` when its body was read.
    pub source_edited: String,
    /// The hash of the converted body ([`body_hash`]).
    pub hash: String,
}

impl ContentMarker {
    /// Reads a marker cell (`<last_edited_time> <hash>`); `None` when it is not one.
    pub fn parse(text: &str) -> Option<Self> {
        let mut words = text.split_whitespace();
        let (edited, hash) = (words.next()?, words.next()?);
        words.next().is_none().then(|| Self {
            source_edited: edited.to_owned(),
            hash: hash.to_owned(),
        })
    }

    /// The cell's text.
    pub fn text(&self) -> String {
        format!("{} {}", self.source_edited, self.hash)
    }

    /// The request JSON that writes the marker into [`CONTENT_KEY`].
    pub fn property_value(&self) -> Value {
        json!({ CONTENT_KEY: crate::model::params::rich_text_value(&self.text()) })
    }
}

/// One body to look at: a source row whose `last_edited_time` is not the one its target row
/// records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BodyCheck {
    /// The source row.
    pub source: PageId,
    /// Its `last_edited_time`.
    pub source_edited: String,
    /// Its target row (`None`: created by this run).
    pub target: Option<PageId>,
    /// The target row's marker, when it has one.
    pub recorded: Option<ContentMarker>,
}

/// The bodies a pair looks at this run, and the marker column added to its plan when the
/// target lacks it. Pure: a body whose source row was not edited since its last copy is not
/// looked at.
pub fn plan_bodies(snapshot: &PairSnapshot, plan: &mut PairPlan) -> Vec<BodyCheck> {
    add_marker_column(
        snapshot.target.as_ref().map(|t| &t.schema),
        plan.create_target.as_mut().map(|c| &mut c.properties),
        &mut plan.add_properties,
    );
    bodies_to_check(
        snapshot.source_rows.iter(),
        snapshot.target.iter().flat_map(|t| t.rows.iter()),
    )
}

/// Adds the marker column [`CONTENT_KEY`] to the columns of the target to create (`create`,
/// when there is no target yet), or to the columns to add to it (`add`) when its schema lacks it.
pub fn add_marker_column(
    target_schema: Option<&BTreeMap<String, PropertyConfig>>,
    create: Option<&mut BTreeMap<String, Value>>,
    add: &mut BTreeMap<String, Value>,
) {
    let column = json!({"rich_text": {}});
    match (target_schema, create) {
        (None, Some(create)) => {
            create.insert(CONTENT_KEY.to_owned(), column);
        }
        (Some(schema), _) if !schema.contains_key(CONTENT_KEY) => {
            add.insert(CONTENT_KEY.to_owned(), column);
        }
        _ => {}
    }
}

/// The bodies to look at: each source row whose target row (the oldest that carries its key, as
/// the planners keep) does not record the source row's `last_edited_time`, or that has no target
/// row yet.
pub fn bodies_to_check<'a>(
    sources: impl IntoIterator<Item = &'a RowContent>,
    targets: impl IntoIterator<Item = &'a RowContent>,
) -> Vec<BodyCheck> {
    let mut by_key: HashMap<PageId, &RowContent> = HashMap::new();
    for row in targets {
        if let Some(key) = row.key {
            by_key
                .entry(key)
                .and_modify(|kept| {
                    if (&row.created_time, row.id) < (&kept.created_time, kept.id) {
                        *kept = row;
                    }
                })
                .or_insert(row);
        }
    }
    sources
        .into_iter()
        .filter_map(|source| {
            let target = by_key.get(&source.id);
            let recorded = target
                .and_then(|t| t.content_marker.as_deref())
                .and_then(ContentMarker::parse);
            if recorded
                .as_ref()
                .is_some_and(|m| m.source_edited == *source.last_edited_time)
            {
                return None;
            }
            Some(BodyCheck {
                source: source.id,
                source_edited: source.last_edited_time.to_string(),
                target: target.map(|t| t.id),
                recorded,
            })
        })
        .collect()
}
