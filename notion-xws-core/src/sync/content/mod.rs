//! Page content: the blocks of each row copied into its target row, when a database asks for it.
//!
//! A database's `Sync Content` checkbox in the registry turns this on (it is off by default). The
//! body of a source row is read as a tree ([`read_body`]), turned into the request JSON of an
//! append ([`convert`]: each block rebuilt in its type's request form as Notion's request types
//! define it ([`block_request`], [`rich_text_request`]), so ids, times, authors, `plain_text`,
//! `href` and `null`s where a request takes none are never sent; date mentions kept, mentions of
//! people and rows pointed at their counterparts in the target ([`MentionMap`]: the member with
//! the same email, the row's copy), other mentions of pages, databases and links of the source
//! workspace written as their text linked to the original (and a `link_to_page` as a paragraph
//! linking to it), other mentions (people the target lacks) as their text; text over Notion's
//! 2,000 characters split; blocks the API cannot
//! create — child pages and databases, link previews, unsupported blocks, types not known
//! yet — and blocks over Notion's limits replaced by a grey paragraph saying what was
//! not copied, and counted in the pair's notes; column layouts and synced blocks replaced by
//! their content), and written under the target row block by block ([`target_tree`] and the
//! `update` part): the target's body is read, its blocks aligned with the source's by a hash per
//! block and everything under it, and only the differences written — an unchanged block is not
//! touched, a changed block of the same type is updated in place (`PATCH /v1/blocks/{id}`),
//! children are compared the same way, and blocks are inserted (an append with a `position`
//! after the block they follow, in calls within Notion's limits: [`append_calls`], at most 100
//! blocks per array, two levels and 1000 blocks per request) or removed only where the structure
//! changed. Removals come last, after every insert and update, so a refused or stopped copy
//! never leaves the target body emptier than it was or than the source's; the marker is written
//! only once the body is complete, and the next run finishes from what the target then holds,
//! with nothing twice. A write whose outcome is unknown is not sent again: the target is read
//! afresh and brought up to date once more.
//!
//! Reading every body on every run would cost a request per row at least, so the target row
//! carries a marker, [`CONTENT_KEY`]: the source row's `last_edited_time`, a hash of the
//! converted body and when the body was read, at the last copy ([`ContentMarker`]). A body is
//! read only when the source row's `last_edited_time` differs from the recorded one, or when the
//! recorded read was made within the minute of that time ([`ContentMarker::settled`]): Notion
//! rounds `last_edited_time` down to the minute, so an edit made in the same minute as a copy,
//! after its read, leaves the time unchanged, and only a read after that minute is known to hold
//! it. Such a body is read once more and its hash compared; the target is written only when the
//! hash differs, and the marker once the read is settled. The read is dated on the sync's
//! [`WallClock`] (the system's; [`CLOCK_MARGIN`] allows for it being a little behind Notion's).
//! An unchanged body costs nothing. Two-way pairs copy content one way only, control to
//! environment.
//!
//! A media block (image, file, pdf, video, audio) holding a file hosted by Notion is converted
//! to a placeholder that names the file but not its signed URL ([`convert_with_media`]), so the
//! hash does not change with the URL, which changes on every read. When such a block is written, its
//! file is re-imported into the target workspace through the File Upload API, from the URL
//! of the body as just read ([`reimport_media`](crate::sync::files::reimport_media): one upload, its status checks; a fresh read of
//! the block first if the URL has expired since), and the block
//! is written as `{"type": "image", "image": {"type": "file_upload", "file_upload": {"id"},
//! "caption"}}`; only the files of the blocks written are re-imported. A file that cannot be
//! re-imported is replaced by a note naming it and reported; the rest of the body is written,
//! and the marker says the copy is incomplete ([`INCOMPLETE`]), so the next run reads the body
//! again and retries. External media are copied as they are.
//!
//! Here: which bodies to look at ([`plan_bodies`], [`bodies_to_check`]) and the marker. The
//! parts: `request` (each block type's request form, rich text's, Notion's limits on a block),
//! `convert` (blocks as read → request JSON, the losses, the hash), `body` (bodies read,
//! appended within Notion's limits, cleared), `update` (a target body brought to the source's
//! block by block, the files of the blocks written re-imported) and `apply` (each body copied,
//! its marker recorded).

mod apply;
mod body;
mod convert;
mod mentions;
mod request;
#[cfg(test)]
mod tests;
mod update;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

use crate::ids::PageId;
use crate::model::PropertyConfig;
use crate::sync::one_way::plan::{PairPlan, PairSnapshot};
use crate::sync::options::WallClock;
use crate::sync::rows::RowContent;

pub use self::apply::{BodyOutcome, INCOMPLETE, apply_bodies};
pub use self::body::{
    AppendCall, MAX_BLOCKS_PER_REQUEST, MAX_CHILDREN, Position, append_call_count, append_calls,
    append_nodes, clear_body, read_body, write_body,
};
pub use self::convert::{BlockNode, Losses, SourceBlock, body_hash, convert, convert_with_media};
pub use self::mentions::MentionMap;
pub use self::request::{
    FILE_BLOCKS, MAX_EXPRESSION, MAX_RICH_TEXT_ITEMS, MAX_TEXT, MAX_URL, Unsendable,
    WRITTEN_BLOCKS, block_request, rich_text_request, split_text, takes_children,
};
pub use self::update::{TargetBlock, target_tree};

pub use crate::sync::columns::CONTENT_KEY;

/// How far the local clock may be behind Notion's when a read is dated (see [`ContentMarker::settled`]).
pub const CLOCK_MARGIN: Duration = Duration::from_secs(5);

/// The record of a copy: when the source row was last edited, the hash of its body then, and
/// when that body was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContentMarker {
    /// The source row's `last_edited_time` when its body was read.
    pub source_edited: String,
    /// The hash of the converted body ([`body_hash`]).
    pub hash: String,
    /// When the body was read (RFC 3339, on the sync's [`WallClock`]); `None` in a marker of an
    /// older version, taken as read long after its edit.
    pub read_at: Option<String>,
}

impl ContentMarker {
    /// Reads a marker cell (`<last_edited_time> <hash> [<read at>]`); `None` when it is not one.
    pub fn parse(text: &str) -> Option<Self> {
        let mut words = text.split_whitespace();
        let (edited, hash) = (words.next()?, words.next()?);
        let read_at = words.next().map(str::to_owned);
        words.next().is_none().then(|| Self {
            source_edited: edited.to_owned(),
            hash: hash.to_owned(),
            read_at,
        })
    }

    /// The cell's text.
    pub fn text(&self) -> String {
        match &self.read_at {
            Some(read_at) => format!("{} {} {read_at}", self.source_edited, self.hash),
            None => format!("{} {}", self.source_edited, self.hash),
        }
    }

    /// The request JSON that writes the marker into [`CONTENT_KEY`].
    pub fn property_value(&self) -> Value {
        json!({ CONTENT_KEY: crate::model::params::rich_text_value(&self.text()) })
    }

    /// Whether the body was read after the minute of `source_edited` had ended (with
    /// [`CLOCK_MARGIN`]), so that no edit of that minute can have come after the read. Notion
    /// rounds `last_edited_time` down to the minute: an edit in the same minute as a read leaves
    /// it unchanged, and only a read after that minute is known to hold every edit it dates. A
    /// marker without a read time, or with a time that is not one, counts as settled (as markers
    /// did before read times were recorded).
    pub fn settled(&self) -> bool {
        let (Some(read_at), Ok(edited)) = (
            self.read_at.as_deref(),
            humantime::parse_rfc3339_weak(&self.source_edited),
        ) else {
            return true;
        };
        let Ok(read) = humantime::parse_rfc3339_weak(read_at) else {
            return true;
        };
        read >= edited + Duration::from_secs(60) + CLOCK_MARGIN
    }

    /// When a body is read now, on `clock`, as a marker writes it.
    pub fn read_time(clock: &WallClock) -> String {
        humantime::format_rfc3339_millis(clock.now()).to_string()
    }
}

/// One body to look at: a source row whose `last_edited_time` is not the one its target row
/// records, or was recorded by a read in the same minute as that time.
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
        &mut plan.columns,
    );
    bodies_to_check(
        snapshot.source_rows.iter(),
        snapshot.target.iter().flat_map(|t| t.rows.iter()),
    )
}

/// Adds the marker column [`CONTENT_KEY`] to the columns of the target to create (`create`,
/// when there is no target yet), or to the changes of its columns (`add`) when its schema lacks it.
pub fn add_marker_column(
    target_schema: Option<&BTreeMap<String, PropertyConfig>>,
    create: Option<&mut BTreeMap<String, Value>>,
    add: &mut crate::sync::schema::ColumnChanges,
) {
    let column = json!({"rich_text": {}});
    match (target_schema, create) {
        (None, Some(create)) => {
            create.insert(CONTENT_KEY.to_owned(), column);
        }
        (Some(schema), _) if !schema.contains_key(CONTENT_KEY) => {
            add.add_column(CONTENT_KEY.to_owned(), column);
        }
        _ => {}
    }
}

/// The bodies to look at: each source row whose target row (the oldest that carries its key, as
/// the planners keep) does not record the source row's `last_edited_time` in a
/// [settled](ContentMarker::settled) marker, or that has no target row yet.
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
            // Not edited since a read made after the minute it was edited in: nothing to see.
            if recorded
                .as_ref()
                .is_some_and(|m| m.source_edited == *source.last_edited_time && m.settled())
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
