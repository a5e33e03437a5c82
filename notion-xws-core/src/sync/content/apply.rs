//! The bodies of a pair copied: each source body read and, when it changed since its last copy,
//! the target's brought up to date block by block (`update`), the Notion-hosted files of the
//! blocks written re-imported; then its marker recorded.

use std::collections::HashMap;

use futures::stream::{self, StreamExt};
use serde::Serialize;
use serde_json::{Map, Value};

use tokio::time::Instant;

use crate::client::NotionClient;
use crate::error::{Error, Result};
use crate::ids::{BlockId, PageId};
use crate::rate::{Precedence, with_precedence};
use crate::sync::files::{FailedFile, FileImportError, HostedMedia};
use crate::sync::options::ExecuteOptions;
use crate::sync::stop::StopFlag;
use crate::sync::values::HOSTED_FILE_PLACEHOLDER;

use super::body::read_body;
use super::convert::{BlockNode, Losses, body_hash, convert_with_media, note};
use super::mentions::MentionMap;
use super::update::{Media, Update, target_tree};
use super::{BodyCheck, ContentMarker};

/// What looking at a pair's bodies did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BodyOutcome {
    /// Bodies read from the source.
    pub read: usize,
    /// Target bodies written (replaced, or written into a new row).
    pub copied: usize,
    /// Bodies read and found the same as last copied (only the marker written).
    pub unchanged: usize,
    /// Bodies that failed (not written, or written without some of their hosted files).
    pub failed: usize,
    /// Hosted files of media blocks re-imported into the target.
    pub files_reimported: usize,
    /// Hosted files of media blocks that could not be re-imported (a note stands in for each,
    /// and the next run tries again).
    pub files_not_copied: usize,
    /// Why they failed.
    pub errors: Vec<String>,
    /// What the copies could not keep.
    pub losses: Losses,
    /// Bodies not looked at because the run was asked to stop ([`StopFlag`]); the next run
    /// looks at them.
    pub stopped: usize,
}

impl BodyOutcome {
    /// The outcome in words, for a pair's notes.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = vec![format!(
            "page content: {} read, {} copied, {} unchanged",
            crate::words::count(self.read, "body", "bodies"),
            self.copied,
            self.unchanged
        )];
        if self.files_reimported > 0 {
            notes.push(format!(
                "page content: {} re-imported",
                crate::words::count(
                    self.files_reimported,
                    "Notion-hosted file",
                    "Notion-hosted files"
                )
            ));
        }
        if self.files_not_copied > 0 {
            notes.push(format!(
                "page content: {} could not be re-imported (a note stands in for each; the next \
                 run tries again; see the errors)",
                crate::words::count(
                    self.files_not_copied,
                    "Notion-hosted file",
                    "Notion-hosted files"
                )
            ));
        }
        notes.extend(self.losses.notes());
        notes
    }
}

/// What became of one body.
pub(super) enum BodyResult {
    Copied {
        losses: Losses,
        media: MediaOutcome,
    },
    Unchanged(Losses),
    /// Its target row does not exist (its create failed).
    NoTarget,
    /// Not looked at: the run was asked to stop.
    Stopped,
}

/// What re-importing the hosted files of a body did.
#[derive(Debug, Default)]
pub(super) struct MediaOutcome {
    /// Files re-imported.
    pub(super) imported: usize,
    /// Files left out (a note stands in for each).
    pub(super) failed: Vec<FailedFile>,
}

/// Whether a block is a media block standing for a hosted file ([`convert_with_media`]).
pub(super) fn is_media_placeholder(block: &Value) -> bool {
    block
        .get("type")
        .and_then(Value::as_str)
        .and_then(|kind| block.get(kind))
        .and_then(|payload| payload.get("type"))
        .and_then(Value::as_str)
        == Some(HOSTED_FILE_PLACEHOLDER)
}

/// Writes the outcome of re-importing `file` into its placeholder `node`: the upload it now
/// references, or a note naming the file when it could not be re-imported.
pub(super) fn fill_one(
    node: &mut BlockNode,
    file: &HostedMedia,
    result: std::result::Result<Map<String, Value>, FileImportError>,
    outcome: &mut MediaOutcome,
    losses: &mut Losses,
) {
    match result {
        Ok(reference) => {
            let kind = file.kind.as_str();
            if let Some(payload) = node.block.get_mut(kind).and_then(Value::as_object_mut) {
                payload.remove(HOSTED_FILE_PLACEHOLDER);
                payload.extend(reference);
            }
            outcome.imported += 1;
        }
        Err(error) => {
            *node = note(
                &format!("{} hosted by Notion", file.kind),
                Some(&file.name),
                losses,
            );
            outcome.failed.push(FailedFile {
                property: format!("page content ({} block)", file.kind),
                name: file.name.clone(),
                error,
            });
        }
    }
}

/// The `source_edited` of the marker of a body written without some of its hosted files: never
/// a `last_edited_time`, so that the next run reads the body again and retries them.
pub const INCOMPLETE: &str = "incomplete";

/// Reads one source body and, when it differs from the last copy, brings the target's up to
/// date block by block ([`Update`]); then records the marker. `fresh`: the target row was
/// created by this run, so its body is empty.
pub(super) async fn copy_body(
    check: &BodyCheck,
    target_row: PageId,
    fresh: bool,
    (source, target): (&NotionClient, &NotionClient),
    mentions: &MentionMap,
    options: &ExecuteOptions,
) -> Result<BodyResult> {
    let read_at = Instant::now();
    let read_time = ContentMarker::read_time(&options.clock);
    let read = read_body(source, BlockId::from(check.source)).await?;
    let mut losses = Losses::default();
    let mut media = Vec::new();
    let mentions = mentions.for_one_body();
    let mut body = convert_with_media(&read, &mentions, &mut losses, &mut media);
    if mentions.look_up_missed().await? {
        // Rows the pair did not read, found in its copy: converted again with them.
        (losses, media) = (Losses::default(), Vec::new());
        body = convert_with_media(&read, &mentions, &mut losses, &mut media);
    }
    let mut marker = ContentMarker {
        source_edited: check.source_edited.clone(),
        hash: body_hash(&body),
        read_at: Some(read_time),
    };
    let recorded = check.recorded.as_ref();
    let same = recorded.is_some_and(|m| m.hash == marker.hash);
    if same {
        // Read again because the last read was in the minute of the edit it dates: the marker
        // changes only once a read is known to hold every edit of that minute.
        let again = recorded.is_some_and(|m| m.source_edited == marker.source_edited);
        if !again || marker.settled() {
            target
                .set_page_properties(target_row, marker.property_value())
                .await?;
        }
        return Ok(BodyResult::Unchanged(losses));
    }
    let mut files = Media::new(&body, &media, read_at, check.source);
    let page = BlockId::from(target_row);
    let mut attempts = 0;
    loop {
        attempts += 1;
        let old = if fresh && attempts == 1 {
            Vec::new()
        } else {
            target_tree(&read_body(target, page).await?)
        };
        let mut update = Update {
            clients: (source, target),
            options,
            media: &mut files,
            losses: &mut losses,
            removed: Vec::new(),
        };
        let result = match update.level(page, &old, &body, Vec::new()).await {
            Ok(()) => remove_blocks(target, &update.removed).await,
            Err(error) => Err(error),
        };
        match result {
            Ok(()) => break,
            // A write whose outcome is unknown is not sent again: the target is read afresh and
            // brought up to date from what it holds, once.
            Err(Error::AmbiguousWrite { .. }) if attempts < 2 => {}
            Err(error) => return Err(error),
        }
    }
    let resolved = files.outcome;
    if !resolved.failed.is_empty() {
        // What is written is not the source's body: the next run must look again.
        marker = ContentMarker {
            source_edited: INCOMPLETE.to_owned(),
            hash: INCOMPLETE.to_owned(),
            read_at: None,
        };
    }
    target
        .set_page_properties(target_row, marker.property_value())
        .await?;
    Ok(BodyResult::Copied {
        losses,
        media: resolved,
    })
}

/// Removes blocks no longer in a body (one already gone is no error).
async fn remove_blocks(target: &NotionClient, blocks: &[BlockId]) -> Result<()> {
    for block in blocks {
        match target.delete_block(*block).await {
            Ok(_) | Err(Error::NotFound(_)) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Looks at the bodies of `checks`: each read from `source`, and copied to `target` when it
/// changed. `created` maps source rows to the target rows this run created; `mentions` says
/// which mentions name people and rows the target has. Once `stop` is raised no further body is
/// started (a body's own writes are never cut).
pub async fn apply_bodies(
    checks: &[BodyCheck],
    source: &NotionClient,
    target: &NotionClient,
    created: &HashMap<PageId, PageId>,
    mentions: &MentionMap,
    options: &ExecuteOptions,
    stop: &StopFlag,
) -> BodyOutcome {
    let mut outcome = BodyOutcome::default();
    // (The futures are made first, then run, so that the caller's future stays `Send`.)
    let copies: Vec<_> = checks
        .iter()
        .map(|check| async move {
            if stop.is_stopped() {
                return (check, Ok(BodyResult::Stopped));
            }
            let (row, fresh) = match (check.target, created.get(&check.source)) {
                (Some(row), _) => (row, false),
                (None, Some(row)) => (*row, true),
                (None, None) => return (check, Ok(BodyResult::NoTarget)),
            };
            (
                check,
                copy_body(check, row, fresh, (source, target), mentions, options).await,
            )
        })
        .collect();
    // The bodies' reads and writes are bulk (each body is many requests: a read per level of
    // blocks, an append per 100): the run's other requests on the token go ahead of them.
    let mut results: Vec<(&BodyCheck, Result<BodyResult>)> = Vec::with_capacity(copies.len());
    let mut copies = stream::iter(copies)
        .buffer_unordered(options.concurrency.max(1))
        // Boxed, so that the executor's future is seen to be `Send`.
        .boxed();
    with_precedence(Precedence::Bulk, async {
        while let Some(result) = copies.next().await {
            results.push(result);
        }
    })
    .await;
    drop(copies);
    for (check, result) in results {
        match result {
            Ok(BodyResult::Copied { losses, media }) => {
                outcome.read += 1;
                outcome.copied += 1;
                outcome.losses.add(&losses);
                outcome.files_reimported += media.imported;
                outcome.files_not_copied += media.failed.len();
                // A body written without some of its files is not done: it counts as failed.
                outcome.failed += usize::from(!media.failed.is_empty());
                for failed in media.failed {
                    outcome.errors.push(format!(
                        "page content of source row {}: {failed}",
                        check.source
                    ));
                }
            }
            Ok(BodyResult::Unchanged(losses)) => {
                outcome.read += 1;
                outcome.unchanged += 1;
                outcome.losses.add(&losses);
            }
            Ok(BodyResult::NoTarget) => {}
            Ok(BodyResult::Stopped) => outcome.stopped += 1,
            Err(error) => {
                outcome.failed += 1;
                outcome.errors.push(format!(
                    "page content of source row {}: {error}",
                    check.source
                ));
            }
        }
    }
    outcome
}
