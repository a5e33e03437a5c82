//! A target body brought to the source's block by block: the target's blocks as read are
//! aligned with the converted source body by a hash per block (its content and everything under
//! it, `similar`'s Myers diff), and only what differs is written. A block found the same is not
//! touched; a block whose content changed but not its type is updated in place
//! (`PATCH /v1/blocks/{id}` with its type's fields, when the update can say everything the new
//! block says) and its children compared the same way; other blocks are inserted where they
//! belong (an append with a `position`) and the blocks that are no longer there removed, last,
//! after every insert and update, so that a copy stopped half-way never leaves the target body
//! emptier than it was or than the source's.
//!
//! The hosted files of the blocks written are re-imported just before they are written
//! ([`Media`]); an unchanged image costs nothing.

use futures::future::{BoxFuture, FutureExt};
use serde_json::{Map, Value, json};
use similar::{Algorithm, DiffOp, capture_diff_slices};
use tokio::time::Instant;

use crate::client::NotionClient;
use crate::error::Result;
use crate::ids::{BlockId, PageId};
use crate::sync::files::{HostedMedia, reimport_media};
use crate::sync::options::ExecuteOptions;
use crate::sync::values::HOSTED_FILE_PLACEHOLDER;

use super::apply::{MediaOutcome, fill_one, is_media_placeholder};
use super::body::{Position, append_nodes};
use super::convert::{BlockNode, Losses, SourceBlock, canonical_json, canonical_node, convert_one};
use super::mentions::MentionMap;
use super::request::FILE_BLOCKS;

/// A block of the target's body as read: its ID, its content as the sync writes it (`None`
/// when it is not a block the sync writes as it is: a child page, a column layout, … put
/// there by someone else), and its children.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetBlock {
    /// The block's ID.
    pub id: BlockId,
    /// The block in its request form, children left out.
    pub node: Option<Value>,
    /// Its children.
    pub children: Vec<TargetBlock>,
}

/// The target's body, as read, in the form it is compared in.
pub fn target_tree(read: &[SourceBlock]) -> Vec<TargetBlock> {
    read.iter()
        .map(|block| {
            let alone = SourceBlock {
                block: block.block.clone(),
                children: Vec::new(),
                unreadable: block.unreadable,
            };
            let mut out = Vec::new();
            convert_one(
                &alone,
                &MentionMap::target(),
                &mut Losses::default(),
                &mut Vec::new(),
                &mut out,
            );
            let node = match out.as_slice() {
                [one] if one.block["type"] == block.block.block_type.as_str() => {
                    Some(one.block.clone())
                }
                _ => None,
            };
            TargetBlock {
                id: block.block.id,
                node,
                children: target_tree(&block.children),
            }
        })
        .collect()
}

/// The canonical text of a target block and everything under it (as [`canonical_node`] writes
/// a converted one), or `None` when it or a block under it is not one the sync writes.
fn target_text(block: &TargetBlock, out: &mut String) -> bool {
    let Some(node) = &block.node else {
        return false;
    };
    out.push('(');
    canonical_json(node, out);
    for child in &block.children {
        if !target_text(child, out) {
            return false;
        }
    }
    out.push(')');
    true
}

/// What a block is compared by: a hash of its content and everything under it; a block the
/// sync does not write gets its own ID, so that it equals nothing.
fn deep_key(block: &TargetBlock) -> String {
    let mut text = String::new();
    if target_text(block, &mut text) {
        format!("{:016x}", crate::sync::columns::hash_text(&text))
    } else {
        format!("foreign {}", block.id)
    }
}

/// [`deep_key`] of a converted block.
fn node_key(node: &BlockNode) -> String {
    let mut text = String::new();
    canonical_node(node, &mut text);
    format!("{:016x}", crate::sync::columns::hash_text(&text))
}

/// The type of a block's request JSON.
fn kind_of(block: &Value) -> Option<&str> {
    block.get("type").and_then(Value::as_str)
}

/// The body of `PATCH /v1/blocks/{id}` that turns the block `old` into `new`, when one can:
/// the same type, every field of the old payload still in the new one (an update cannot remove
/// an icon or a colour), a table of the same width. Its type's updatable fields: the payload
/// without `children`, a table's `table_width` or a media block's `type`.
fn update_body(old: &Value, new: &Value) -> Option<Value> {
    let kind = kind_of(new)?;
    if kind_of(old) != Some(kind) {
        return None;
    }
    let (old_payload, new_payload) = (old.get(kind)?.as_object()?, new.get(kind)?.as_object()?);
    let media = FILE_BLOCKS.contains(&kind);
    // A media block changes its file by naming the new one; the old one's keys need not stay.
    let kept = |key: &String| {
        let file_key = matches!(key.as_str(), "type" | "external" | "file_upload")
            || key == HOSTED_FILE_PLACEHOLDER;
        media && file_key || new_payload.contains_key(key)
    };
    if !old_payload.keys().all(kept) {
        return None;
    }
    if kind == "table" && old_payload.get("table_width") != new_payload.get("table_width") {
        return None;
    }
    let mut payload: Map<String, Value> = new_payload.clone();
    payload.remove("children");
    if kind == "table" {
        payload.remove("table_width");
    }
    if media {
        payload.remove("type");
    }
    Some(json!({ kind: payload }))
}

/// The hosted files of a converted body, found by the place of their placeholder, re-imported
/// when a block holding one is written.
pub(super) struct Media<'a> {
    /// The body's hosted files, in body order (as [`convert_with_media`](super::convert_with_media)
    /// lists them).
    pub(super) files: &'a [HostedMedia],
    /// The path (index at each level) of each file's placeholder, in the same order.
    pub(super) paths: Vec<Vec<usize>>,
    /// When the source body was read (a signed URL older than its life is read again).
    pub(super) read_at: Instant,
    /// The source row.
    pub(super) row: PageId,
    /// What the re-imports did.
    pub(super) outcome: MediaOutcome,
}

impl<'a> Media<'a> {
    /// The hosted files of `body`, listed in `files`.
    pub(super) fn new(
        body: &[BlockNode],
        files: &'a [HostedMedia],
        read_at: Instant,
        row: PageId,
    ) -> Self {
        fn walk(nodes: &[BlockNode], at: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
            for (i, node) in nodes.iter().enumerate() {
                at.push(i);
                if is_media_placeholder(&node.block) {
                    out.push(at.clone());
                } else {
                    walk(&node.children, at, out);
                }
                at.pop();
            }
        }
        let mut paths = Vec::new();
        walk(body, &mut Vec::new(), &mut paths);
        Self {
            files,
            paths,
            read_at,
            row,
            outcome: MediaOutcome::default(),
        }
    }

    /// `node` (at `path` in the body) ready to be written: each hosted file under it
    /// re-imported into the target, or replaced by a note when it cannot be.
    async fn ready(
        &mut self,
        node: &BlockNode,
        path: &[usize],
        clients: (&NotionClient, &NotionClient),
        options: &ExecuteOptions,
        losses: &mut Losses,
    ) -> BlockNode {
        let mut node = node.clone();
        let inside: Vec<usize> = (0..self.paths.len())
            .filter(|&i| self.paths[i].starts_with(path))
            .collect();
        for i in inside {
            let Some(file) = self.files.get(i) else {
                continue;
            };
            let (source, target) = clients;
            let result =
                reimport_media(file, self.read_at, source, self.row, target, options).await;
            if let Some(placeholder) = descend(&mut node, &self.paths[i][path.len()..]) {
                fill_one(placeholder, file, result, &mut self.outcome, losses);
            }
        }
        node
    }
}

/// The node at `path` under `node` (itself when `path` is empty).
fn descend<'n>(node: &'n mut BlockNode, path: &[usize]) -> Option<&'n mut BlockNode> {
    match path.split_first() {
        None => Some(node),
        Some((&i, rest)) => descend(node.children.get_mut(i)?, rest),
    }
}

/// What bringing a body up to date needs: the clients, the options, the files, the losses, the
/// blocks to remove at the end.
pub(super) struct Update<'a, 'm> {
    /// The source's client (a hosted file's fresh URL) and the target's.
    pub(super) clients: (&'a NotionClient, &'a NotionClient),
    /// The executor's options.
    pub(super) options: &'a ExecuteOptions,
    /// The hosted files of the new body.
    pub(super) media: &'a mut Media<'m>,
    /// What the copy could not keep (files that could not be re-imported).
    pub(super) losses: &'a mut Losses,
    /// Blocks no longer in the body, removed once everything else is written.
    pub(super) removed: Vec<BlockId>,
}

impl Update<'_, '_> {
    /// Brings the children of `parent` (`old`, as read) to `new` (at `path` in the body):
    /// inserts and updates now, removals queued in [`removed`](Self::removed).
    pub(super) fn level<'s>(
        &'s mut self,
        parent: BlockId,
        old: &'s [TargetBlock],
        new: &'s [BlockNode],
        path: Vec<usize>,
    ) -> BoxFuture<'s, Result<()>> {
        async move {
            let old_keys: Vec<String> = old.iter().map(deep_key).collect();
            let new_keys: Vec<String> = new.iter().map(node_key).collect();
            let ops = capture_diff_slices(Algorithm::Myers, &old_keys, &new_keys);
            // The last block of this level known to be in place: inserts go after it.
            let mut after: Option<BlockId> = None;
            let mut pending: Vec<usize> = Vec::new();
            for op in ops {
                match op {
                    DiffOp::Equal { old_index, len, .. } => {
                        self.flush(parent, after, &mut pending, new, &path).await?;
                        after = Some(old[old_index + len - 1].id);
                    }
                    DiffOp::Delete {
                        old_index, old_len, ..
                    } => {
                        self.removed
                            .extend(old[old_index..old_index + old_len].iter().map(|b| b.id));
                    }
                    DiffOp::Insert {
                        new_index, new_len, ..
                    } => pending.extend(new_index..new_index + new_len),
                    DiffOp::Replace {
                        old_index,
                        old_len,
                        new_index,
                        new_len,
                    } => {
                        for i in 0..old_len.max(new_len) {
                            let o = (i < old_len).then(|| &old[old_index + i]);
                            let n = new_index + i;
                            let (o, n) = match (o, i < new_len) {
                                (Some(o), true) => (o, n),
                                (Some(o), false) => {
                                    self.removed.push(o.id);
                                    continue;
                                }
                                (None, _) => {
                                    pending.push(n);
                                    continue;
                                }
                            };
                            let updatable = o
                                .node
                                .as_ref()
                                .and_then(|old_block| update_body(old_block, &new[n].block));
                            if updatable.is_none() {
                                self.removed.push(o.id);
                                pending.push(n);
                                continue;
                            }
                            self.flush(parent, after, &mut pending, new, &path).await?;
                            let placed = self
                                .update_in_place(parent, o, &new[n], child_path(&path, n))
                                .await?;
                            after = Some(placed);
                        }
                    }
                }
            }
            self.flush(parent, after, &mut pending, new, &path).await?;
            Ok(())
        }
        .boxed()
    }

    /// Updates `old` to `new` in place (when its own content differs) and brings its children
    /// up to date; returns the block now in its place (another, when a hosted file could not be
    /// re-imported and a note stands for it).
    async fn update_in_place(
        &mut self,
        parent: BlockId,
        old: &TargetBlock,
        new: &BlockNode,
        path: Vec<usize>,
    ) -> Result<BlockId> {
        if old.node.as_ref() != Some(&new.block) {
            let shallow = BlockNode {
                block: new.block.clone(),
                children: Vec::new(),
            };
            let ready = self
                .media
                .ready(&shallow, &path, self.clients, self.options, self.losses)
                .await;
            match update_body(old.node.as_ref().unwrap_or(&Value::Null), &ready.block) {
                Some(body) => {
                    self.clients.1.set_block(old.id, body).await?;
                }
                None => {
                    // (Only a media block, with no children, can turn into a note here.)
                    let placed = Some(Position::After(old.id));
                    let made = append_nodes(self.clients.1, parent, placed, &[ready]).await?;
                    self.removed.push(old.id);
                    return Ok(made.last().copied().unwrap_or(old.id));
                }
            }
        }
        self.level(old.id, &old.children, &new.children, path)
            .await?;
        Ok(old.id)
    }

    /// Appends the blocks of `new` listed in `pending` (consecutive ones of one level) after
    /// `after` (`None`: first), and returns the last block now in place.
    async fn flush(
        &mut self,
        parent: BlockId,
        after: Option<BlockId>,
        pending: &mut Vec<usize>,
        new: &[BlockNode],
        path: &[usize],
    ) -> Result<Option<BlockId>> {
        if pending.is_empty() {
            return Ok(after);
        }
        let mut nodes = Vec::with_capacity(pending.len());
        for &i in pending.iter() {
            nodes.push(
                self.media
                    .ready(
                        &new[i],
                        &child_path(path, i),
                        self.clients,
                        self.options,
                        self.losses,
                    )
                    .await,
            );
        }
        pending.clear();
        let position = Some(after.map_or(Position::Start, Position::After));
        let made = append_nodes(self.clients.1, parent, position, &nodes).await?;
        Ok(made.last().copied().or(after))
    }
}

/// `path` and `i` after it.
fn child_path(path: &[usize], i: usize) -> Vec<usize> {
    let mut out = path.to_vec();
    out.push(i);
    out
}
