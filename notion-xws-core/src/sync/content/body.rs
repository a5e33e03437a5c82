//! Bodies read and written: a page's blocks read as a tree, a converted body appended in calls
//! within Notion's limits ([`append_calls`]), and a body cleared.

use futures::future::{BoxFuture, FutureExt};
use futures::stream::TryStreamExt;
use serde_json::{Value, json};

use crate::client::NotionClient;
use crate::error::{Error, Result};
use crate::ids::{BlockId, PageId};
use crate::model::params::BlockPosition;
use crate::model::{Block, List, Reference};

use super::convert::{BlockNode, SourceBlock};
use super::request::takes_children;

/// The most blocks in one array of a request.
pub const MAX_CHILDREN: usize = crate::model::params::AppendBlockChildren::MAX_CHILDREN;

/// The most block elements in one request, nested ones included.
pub const MAX_BLOCKS_PER_REQUEST: usize = 1000;

/// How deep a body is read at most (a guard against a cycle, never reached by real pages).
pub(super) const MAX_READ_DEPTH: usize = 64;

/// Whether the children of a block are read: for a block written with its children, and for
/// layouts written as their content; not for what is replaced by a note (a child page's
/// children are another page's content).
pub(super) fn reads_children(block: &Block) -> bool {
    takes_children(&block.block_type)
        || matches!(
            block.block_type.as_str(),
            "column_list" | "column" | "synced_block"
        )
}

/// Reads the body of a page (or the children of a block) as a tree: one request per block that
/// has children (and per 100 blocks).
pub fn read_body(client: &NotionClient, id: BlockId) -> BoxFuture<'_, Result<Vec<SourceBlock>>> {
    read_level(client, id, 0)
}

pub(super) fn read_level(
    client: &NotionClient,
    id: BlockId,
    depth: usize,
) -> BoxFuture<'_, Result<Vec<SourceBlock>>> {
    async move {
        let blocks: Vec<Block> = client.block_children(id).try_collect().await?;
        let mut out = Vec::with_capacity(blocks.len());
        for block in blocks {
            let mut unreadable = false;
            let children = if block.has_children && reads_children(&block) && depth < MAX_READ_DEPTH
            {
                match read_level(client, block.id, depth + 1).await {
                    Ok(children) => children,
                    // A synced block's original may not be shared with the integration.
                    Err(Error::NotFound(_) | Error::Forbidden(_))
                        if block.block_type == "synced_block" =>
                    {
                        unreadable = true;
                        Vec::new()
                    }
                    Err(error) => return Err(error),
                }
            } else {
                Vec::new()
            };
            out.push(SourceBlock {
                block,
                children,
                unreadable,
            });
        }
        Ok(out)
    }
    .boxed()
}

/// One append call for one parent's children: the blocks as request JSON (with the children
/// that fit in this request), and, for blocks whose children (or some of them) go in later
/// calls, their index in this call and those children.
#[derive(Debug, Clone, PartialEq)]
pub struct AppendCall<'a> {
    /// The blocks to append, as request JSON.
    pub children: Vec<Value>,
    /// Children appended later under the block at this index of the call's answer.
    pub later: Vec<(usize, &'a [BlockNode])>,
}

/// The calls that append `nodes` under one parent, in order: at most [`MAX_CHILDREN`] per
/// array and [`MAX_BLOCKS_PER_REQUEST`] per request; a block's children are sent with it when
/// none of them has children of its own (the first [`MAX_CHILDREN`] of them; the rest later),
/// else later, under the ID the append returns for it.
pub fn append_calls(nodes: &[BlockNode]) -> Vec<AppendCall<'_>> {
    let mut calls = Vec::new();
    let mut current = AppendCall {
        children: Vec::new(),
        later: Vec::new(),
    };
    let mut size = 0;
    for node in nodes {
        let inline =
            !node.children.is_empty() && node.children.iter().all(|c| c.children.is_empty());
        let (sent, rest): (&[BlockNode], &[BlockNode]) = if inline {
            node.children
                .split_at(node.children.len().min(MAX_CHILDREN))
        } else {
            (&[], &node.children)
        };
        let weight = 1 + sent.len();
        if current.children.len() == MAX_CHILDREN || size + weight > MAX_BLOCKS_PER_REQUEST {
            calls.push(std::mem::replace(
                &mut current,
                AppendCall {
                    children: Vec::new(),
                    later: Vec::new(),
                },
            ));
            size = 0;
        }
        let mut block = node.block.clone();
        if !sent.is_empty()
            && let Some(kind) = block.get("type").and_then(Value::as_str).map(str::to_owned)
            && let Some(payload) = block.get_mut(&kind).and_then(Value::as_object_mut)
        {
            payload.insert(
                "children".into(),
                Value::Array(sent.iter().map(|c| c.block.clone()).collect()),
            );
        }
        if !rest.is_empty() {
            current.later.push((current.children.len(), rest));
        }
        current.children.push(block);
        size += weight;
    }
    if !current.children.is_empty() {
        calls.push(current);
    }
    calls
}

/// How many append calls writing `body` takes (what [`write_body`] sends).
pub fn append_call_count(body: &[BlockNode]) -> usize {
    append_calls(body)
        .iter()
        .map(|call| {
            1 + call
                .later
                .iter()
                .map(|(_, children)| append_call_count(children))
                .sum::<usize>()
        })
        .sum()
}

/// Appends a converted body under `page`, in the calls of [`append_calls`], each parent's
/// children in order.
pub async fn write_body(client: &NotionClient, page: PageId, body: &[BlockNode]) -> Result<()> {
    append_nodes(client, BlockId::from(page), None, body)
        .await
        .map(|_| ())
}

/// Appends `nodes` under `parent`, the first of them after `after` (`None`: at the end), in the
/// calls of [`append_calls`] (each next call of the top level after the last block of the one
/// before); returns the IDs of the top-level blocks made, in order.
pub async fn append_nodes(
    client: &NotionClient,
    parent: BlockId,
    after: Option<Position>,
    nodes: &[BlockNode],
) -> Result<Vec<BlockId>> {
    let mut made_ids = Vec::with_capacity(nodes.len());
    let mut position = after;
    let mut pending: Vec<(BlockId, &[BlockNode])> = Vec::new();
    for call in append_calls(nodes) {
        let made = client
            .append_block_children_at(
                parent,
                json!(call.children),
                position.map(Position::request),
            )
            .await?;
        later_calls(&made, call.later, &mut pending)?;
        made_ids.extend(made.results.iter().map(|b| b.id));
        if let Some(last) = made.results.last() {
            position = Some(Position::After(last.id));
        }
    }
    while let Some((under, nodes)) = pending.pop() {
        for call in append_calls(nodes) {
            let made = client
                .append_block_children_json(under, json!(call.children))
                .await?;
            later_calls(&made, call.later, &mut pending)?;
        }
    }
    Ok(made_ids)
}

/// Where appended blocks go among their siblings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// First.
    Start,
    /// Right after this block.
    After(BlockId),
}

impl Position {
    /// The request's `position`.
    fn request(self) -> BlockPosition {
        match self {
            Self::Start => BlockPosition::Start,
            Self::After(block) => BlockPosition::AfterBlock {
                after_block: Reference::new(block),
            },
        }
    }
}

/// Queues the children an append left for later calls, under the IDs its answer gives.
fn later_calls<'a>(
    made: &List<Block>,
    later: Vec<(usize, &'a [BlockNode])>,
    pending: &mut Vec<(BlockId, &'a [BlockNode])>,
) -> Result<()> {
    for (index, children) in later {
        let made = made.results.get(index).ok_or_else(|| Error::Decode {
            what: "an append's answer".into(),
            message: format!("it lists {} blocks, fewer than sent", made.results.len()),
        })?;
        pending.push((made.id, children));
    }
    Ok(())
}

/// Deletes every top-level block of a page's body (their children go with them).
pub async fn clear_body(client: &NotionClient, page: PageId) -> Result<usize> {
    let blocks: Vec<Block> = client
        .block_children(BlockId::from(page))
        .try_collect()
        .await?;
    for block in &blocks {
        match client.delete_block(block.id).await {
            Ok(_) | Err(Error::NotFound(_)) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(blocks.len())
}
