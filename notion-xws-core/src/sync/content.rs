//! Page content: the blocks of each row copied into its target row, when a database asks for it.
//!
//! A database's `Sync Content` checkbox in the registry turns this on (it is off by default). The
//! body of a source row is read as a tree ([`read_body`]), turned into the request JSON of an
//! append ([`convert`]: ids, times and authors dropped; mentions of the source workspace written
//! as their text; blocks the API cannot create — child pages and databases, link previews, links
//! to pages, unsupported blocks — replaced by a paragraph saying what was not copied; column
//! layouts and synced blocks replaced by their content), and written under the
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
//! of the body as just read ([`reimport_media`]: one upload, its status checks; a fresh read of
//! the block first if the URL has expired since), and the block
//! is written as `{"type": "image", "image": {"type": "file_upload", "file_upload": {"id"},
//! "caption"}}`. A file that cannot be re-imported is replaced by a note naming it and reported;
//! the rest of the body is written, and the marker says the copy is incomplete ([`INCOMPLETE`]),
//! so the next run reads the body again and retries. External media are copied as they are.
//!
//! Notion rounds `last_edited_time` to the minute: an edit made in the same minute as a copy,
//! after the body was read, is only seen when the row is edited again.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use futures::future::{BoxFuture, FutureExt};
use futures::stream::{self, StreamExt, TryStreamExt};
use serde::Serialize;
use serde_json::{Map, Value, json};

use tokio::time::Instant;

use super::files::{FailedFile, FileImportError, HostedMedia, hosted_url, reimport_media};
use super::one_way::plan::{PairPlan, PairSnapshot};
use super::options::ExecuteOptions;
use super::rows::RowContent;
use super::values::HOSTED_FILE_PLACEHOLDER;
use crate::client::NotionClient;
use crate::error::{Error, Result};
use crate::ids::{BlockId, PageId};
use crate::model::{Block, PropertyConfig};

pub use super::columns::CONTENT_KEY;

/// The most blocks in one array of a request.
pub const MAX_CHILDREN: usize = crate::model::params::AppendBlockChildren::MAX_CHILDREN;

/// The most block elements in one request, nested ones included.
pub const MAX_BLOCKS_PER_REQUEST: usize = 1000;

/// How deep a body is read at most (a guard against a cycle, never reached by real pages).
const MAX_READ_DEPTH: usize = 64;

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

/// A block of a source body as read: the block, and its children when it has any.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceBlock {
    /// The block.
    pub block: Block,
    /// Its children (empty when it has none, or when they are not read: child pages and
    /// databases, blocks that are not copied).
    pub children: Vec<SourceBlock>,
    /// Whether its children could not be read (a synced block whose original is not shared).
    pub unreadable: bool,
}

/// A block to write: its request JSON (`{"type": t, t: {…}}`, without children) and its
/// children.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BlockNode {
    /// The block as request JSON, children left out.
    pub block: Value,
    /// Its children, to be written under it.
    pub children: Vec<BlockNode>,
}

impl BlockNode {
    fn leaf(block: Value) -> Self {
        Self {
            block,
            children: Vec::new(),
        }
    }

    /// This block and every block under it.
    pub fn count(&self) -> usize {
        1 + self.children.iter().map(Self::count).sum::<usize>()
    }
}

/// What a conversion could not copy as it was.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Losses {
    /// Blocks replaced by a note, by what they were (`child page`, `link preview`, …).
    pub not_copied: BTreeMap<String, usize>,
    /// Mentions written as their text.
    pub mentions_flattened: usize,
    /// Column layouts and synced blocks replaced by their content.
    pub unwrapped: usize,
}

impl Losses {
    /// Adds another conversion's losses.
    pub fn add(&mut self, other: &Self) {
        for (what, n) in &other.not_copied {
            *self.not_copied.entry(what.clone()).or_default() += n;
        }
        self.mentions_flattened += other.mentions_flattened;
        self.unwrapped += other.unwrapped;
    }

    /// The losses in words, for a pair's notes (empty when nothing was lost).
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if !self.not_copied.is_empty() {
            let what: Vec<String> = self
                .not_copied
                .iter()
                .map(|(what, n)| format!("{n} {what}"))
                .collect();
            notes.push(format!(
                "page content: not copied (a note stands in for each): {}",
                what.join(", ")
            ));
        }
        if self.mentions_flattened > 0 {
            notes.push(format!(
                "page content: {} mention(s) written as plain text",
                self.mentions_flattened
            ));
        }
        if self.unwrapped > 0 {
            notes.push(format!(
                "page content: {} column layout(s) or synced block(s) written as their content",
                self.unwrapped
            ));
        }
        notes
    }
}

/// The block types copied with their payload as it is (rich text made writable).
const COPIED_BLOCKS: &[&str] = &[
    "paragraph",
    "heading_1",
    "heading_2",
    "heading_3",
    "bulleted_list_item",
    "numbered_list_item",
    "to_do",
    "toggle",
    "quote",
    "callout",
    "code",
    "equation",
    "divider",
    "table_of_contents",
    "breadcrumb",
    "bookmark",
    "embed",
    "table",
    "table_row",
];

/// The block types that hold a file.
const FILE_BLOCKS: &[&str] = &["image", "video", "file", "pdf", "audio"];

/// Whether the children of a block are read: not for what is replaced by a note (a child page's
/// children are another page's content).
fn reads_children(block: &Block) -> bool {
    COPIED_BLOCKS.contains(&block.block_type.as_str())
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

fn read_level(
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

/// Rich text made writable: text and equations as they are, mentions (of users, pages, dates
/// of the source workspace) as their text.
fn writable_rich_text(value: &Value, losses: &mut Losses) -> Value {
    let Some(segments) = value.as_array() else {
        return json!([]);
    };
    let out = segments
        .iter()
        .filter_map(|segment| {
            let annotations = segment
                .get("annotations")
                .cloned()
                .unwrap_or_else(|| json!({}));
            match segment.get("type").and_then(Value::as_str) {
                Some("text") => {
                    let text = segment.get("text")?;
                    Some(json!({
                        "type": "text",
                        "text": {
                            "content": text.get("content").cloned().unwrap_or_else(|| json!("")),
                            "link": text.get("link").cloned().unwrap_or(Value::Null),
                        },
                        "annotations": annotations,
                    }))
                }
                Some("equation") => Some(json!({
                    "type": "equation",
                    "equation": {"expression": segment.pointer("/equation/expression").cloned().unwrap_or_else(|| json!(""))},
                    "annotations": annotations,
                })),
                _ => {
                    losses.mentions_flattened += 1;
                    let text = segment
                        .get("plain_text")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    (!text.is_empty()).then(|| {
                        json!({
                            "type": "text",
                            "text": {"content": text, "link": Value::Null},
                            "annotations": annotations,
                        })
                    })
                }
            }
        })
        .collect();
    Value::Array(out)
}

/// A paragraph that says what was not copied.
fn note(what: &str, detail: Option<&str>, losses: &mut Losses) -> BlockNode {
    *losses.not_copied.entry(what.to_owned()).or_default() += 1;
    let text = match detail.filter(|d| !d.trim().is_empty()) {
        Some(detail) => format!("[not copied by notion-xws: {what} “{}”]", detail.trim()),
        None => format!("[not copied by notion-xws: {what}]"),
    };
    BlockNode::leaf(json!({
        "type": "paragraph",
        "paragraph": {"rich_text": [{
            "type": "text",
            "text": {"content": text, "link": Value::Null},
            "annotations": {"italic": true, "color": "gray"},
        }]},
    }))
}

/// The name of a file payload, for a note: its `name`, else the last part of its URL's path.
fn file_name(content: &Value) -> Option<String> {
    if let Some(name) = content.get("name").and_then(Value::as_str) {
        return Some(name.to_owned());
    }
    let kind = content.get("type").and_then(Value::as_str)?;
    let url = content.pointer(&format!("/{kind}/url"))?.as_str()?;
    let path = url.split(['?', '#']).next().unwrap_or(url);
    path.rsplit('/')
        .next()
        .filter(|name| !name.is_empty())
        .map(|name| {
            percent_encoding::percent_decode_str(name)
                .decode_utf8_lossy()
                .into_owned()
        })
}

/// The payload of a copied block, made writable: rich text and captions, no `children`, no
/// icon hosted by Notion.
fn writable_payload(content: Option<&Value>, losses: &mut Losses) -> Value {
    let mut payload = match content {
        Some(Value::Object(map)) => map.clone(),
        _ => Map::new(),
    };
    payload.remove("children");
    for key in ["rich_text", "caption"] {
        if let Some(text) = payload.get(key) {
            let text = writable_rich_text(text, losses);
            payload.insert(key.to_owned(), text);
        }
    }
    if let Some(Value::Array(cells)) = payload.get("cells") {
        let cells = cells
            .iter()
            .map(|cell| writable_rich_text(cell, losses))
            .collect();
        payload.insert("cells".to_owned(), Value::Array(cells));
    }
    // Icons hosted by Notion or custom emojis name objects of the source workspace.
    if payload
        .get("icon")
        .and_then(|icon| icon.get("type"))
        .and_then(Value::as_str)
        .is_some_and(|kind| kind != "emoji" && kind != "external")
    {
        payload.remove("icon");
    }
    Value::Object(payload)
}

/// Turns a body read from the source into the blocks to write. See the
/// [module documentation](self).
pub fn convert(blocks: &[SourceBlock], losses: &mut Losses) -> Vec<BlockNode> {
    convert_with_media(blocks, losses, &mut Vec::new())
}

/// [`convert`], and the hosted files of its media blocks: one [`HostedMedia`] per placeholder
/// of the body, in the order of the body (each block before its children, then the next).
pub fn convert_with_media(
    blocks: &[SourceBlock],
    losses: &mut Losses,
    media: &mut Vec<HostedMedia>,
) -> Vec<BlockNode> {
    let mut out = Vec::with_capacity(blocks.len());
    for source in blocks {
        convert_one(source, losses, media, &mut out);
    }
    out
}

/// The payload of a media block that stands for a hosted file until it is re-imported: its
/// caption (and a file block's name) as written, and the file's name, never its signed URL, so
/// that the body's hash does not change with the URL.
fn media_placeholder(content: Option<&Value>, name: &str, losses: &mut Losses) -> Value {
    let mut payload = Map::new();
    payload.insert("type".into(), json!(HOSTED_FILE_PLACEHOLDER));
    payload.insert(HOSTED_FILE_PLACEHOLDER.into(), json!({ "name": name }));
    if let Some(caption) = content.and_then(|c| c.get("caption")) {
        payload.insert("caption".into(), writable_rich_text(caption, losses));
    }
    if let Some(name) = content.and_then(|c| c.get("name")) {
        payload.insert("name".into(), name.clone());
    }
    Value::Object(payload)
}

fn convert_one(
    source: &SourceBlock,
    losses: &mut Losses,
    media: &mut Vec<HostedMedia>,
    out: &mut Vec<BlockNode>,
) {
    let block = &source.block;
    let kind = block.block_type.as_str();
    let content = block.content.as_ref();
    let text_of = |key: &str| {
        content
            .and_then(|c| c.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    match kind {
        _ if COPIED_BLOCKS.contains(&kind) => {
            let payload = writable_payload(content, losses);
            out.push(BlockNode {
                block: json!({"type": kind, kind: payload}),
                children: convert_with_media(&source.children, losses, media),
            });
        }
        _ if FILE_BLOCKS.contains(&kind) => {
            let hosted = content.and_then(|c| c.get("type")).and_then(Value::as_str);
            if hosted == Some("external") {
                let mut payload = Map::new();
                payload.insert("type".into(), json!("external"));
                payload.insert(
                    "external".into(),
                    json!({"url": content.and_then(|c| c.pointer("/external/url")).cloned().unwrap_or(Value::Null)}),
                );
                if let Some(caption) = content.and_then(|c| c.get("caption")) {
                    payload.insert("caption".into(), writable_rich_text(caption, losses));
                }
                if let Some(name) = content.and_then(|c| c.get("name")) {
                    payload.insert("name".into(), name.clone());
                }
                out.push(BlockNode::leaf(json!({"type": kind, kind: payload})));
            } else if let Some(url) = content.and_then(hosted_url) {
                let name = content
                    .and_then(file_name)
                    .unwrap_or_else(|| kind.to_owned());
                out.push(BlockNode::leaf(
                    json!({"type": kind, kind: media_placeholder(content, &name, losses)}),
                ));
                media.push(HostedMedia {
                    block: block.id,
                    kind: kind.to_owned(),
                    name,
                    url: url.to_owned(),
                });
            } else {
                let name = content.and_then(file_name);
                out.push(note(
                    &format!("{kind} hosted by Notion"),
                    name.as_deref(),
                    losses,
                ));
            }
        }
        "column_list" | "column" => {
            if kind == "column_list" {
                losses.unwrapped += 1;
            }
            for child in &source.children {
                convert_one(child, losses, media, out);
            }
        }
        "synced_block" if source.unreadable => {
            out.push(note(
                "synced block whose original is not shared",
                None,
                losses,
            ));
        }
        "synced_block" => {
            losses.unwrapped += 1;
            for child in &source.children {
                convert_one(child, losses, media, out);
            }
        }
        "child_page" => out.push(note("child page", text_of("title").as_deref(), losses)),
        "child_database" => out.push(note("child database", text_of("title").as_deref(), losses)),
        "link_preview" => out.push(note("link preview", text_of("url").as_deref(), losses)),
        "link_to_page" => out.push(note("link to a page of the source workspace", None, losses)),
        "unsupported" => out.push(note("block the API does not support", None, losses)),
        other => out.push(note(&format!("{other} block"), None, losses)),
    }
}

/// A stable hash of a converted body (64-bit FNV-1a of its JSON with sorted keys), as
/// `fnv1a64:` and 16 hex digits.
pub fn body_hash(body: &[BlockNode]) -> String {
    let mut text = String::new();
    for node in body {
        canonical_node(node, &mut text);
    }
    format!("fnv1a64:{:016x}", super::columns::hash_text(&text))
}

fn canonical_node(node: &BlockNode, out: &mut String) {
    out.push('(');
    canonical_json(&node.block, out);
    for child in &node.children {
        canonical_node(child, out);
    }
    out.push(')');
}

fn canonical_json(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for key in keys {
                let _ = write!(out, "{}:", Value::String(key.clone()));
                canonical_json(&map[key], out);
                out.push(',');
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for item in items {
                canonical_json(item, out);
                out.push(',');
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
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
    let mut pending: Vec<(BlockId, &[BlockNode])> = vec![(BlockId::from(page), body)];
    while let Some((parent, nodes)) = pending.pop() {
        for call in append_calls(nodes) {
            let made = client
                .append_block_children_json(parent, json!(call.children))
                .await?;
            for (index, children) in call.later {
                let made = made.results.get(index).ok_or_else(|| Error::Decode {
                    what: "an append's answer".into(),
                    message: format!("it lists {} blocks, fewer than sent", made.results.len()),
                })?;
                pending.push((made.id, children));
            }
        }
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
}

impl BodyOutcome {
    /// The outcome in words, for a pair's notes.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = vec![format!(
            "page content: {} body(ies) read, {} copied, {} unchanged",
            self.read, self.copied, self.unchanged
        )];
        if self.files_reimported > 0 {
            notes.push(format!(
                "page content: {} Notion-hosted file(s) re-imported",
                self.files_reimported
            ));
        }
        if self.files_not_copied > 0 {
            notes.push(format!(
                "page content: {} Notion-hosted file(s) could not be re-imported (a note stands \
                 in for each; the next run tries again; see the errors)",
                self.files_not_copied
            ));
        }
        notes.extend(self.losses.notes());
        notes
    }
}

/// What became of one body.
enum BodyResult {
    Copied {
        losses: Losses,
        media: MediaOutcome,
    },
    Unchanged(Losses),
    /// Its target row does not exist (its create failed).
    NoTarget,
}

/// What re-importing the hosted files of a body did.
#[derive(Debug, Default)]
struct MediaOutcome {
    /// Files re-imported.
    imported: usize,
    /// Files left out (a note stands in for each).
    failed: Vec<FailedFile>,
}

/// Whether a block is a media block standing for a hosted file ([`convert_with_media`]).
fn is_media_placeholder(block: &Value) -> bool {
    block
        .get("type")
        .and_then(Value::as_str)
        .and_then(|kind| block.get(kind))
        .and_then(|payload| payload.get("type"))
        .and_then(Value::as_str)
        == Some(HOSTED_FILE_PLACEHOLDER)
}

/// Re-imports the hosted files of a converted body (`media`, read from `source` at `read_at`)
/// into `target`, one after the other, and writes each in its placeholder's place; a file that
/// cannot be re-imported is replaced by a note naming it.
async fn resolve_media(
    body: &mut [BlockNode],
    media: &[HostedMedia],
    read_at: Instant,
    row: PageId,
    clients: (&NotionClient, &NotionClient),
    options: &ExecuteOptions,
    losses: &mut Losses,
) -> MediaOutcome {
    let (source, target) = clients;
    let mut references = Vec::with_capacity(media.len());
    for file in media {
        references.push(reimport_media(file, read_at, source, row, target, options).await);
    }
    let mut outcome = MediaOutcome::default();
    let mut results = media.iter().zip(references);
    fill_media(body, &mut results, &mut outcome, losses);
    outcome
}

/// Writes the outcomes of [`resolve_media`] into the placeholders of `nodes`, in body order.
fn fill_media<'m>(
    nodes: &mut [BlockNode],
    results: &mut impl Iterator<
        Item = (
            &'m HostedMedia,
            std::result::Result<Map<String, Value>, FileImportError>,
        ),
    >,
    outcome: &mut MediaOutcome,
    losses: &mut Losses,
) {
    for node in nodes {
        if !is_media_placeholder(&node.block) {
            fill_media(&mut node.children, results, outcome, losses);
            continue;
        }
        let Some((file, result)) = results.next() else {
            return;
        };
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
}

/// The `source_edited` of the marker of a body written without some of its hosted files: never
/// a `last_edited_time`, so that the next run reads the body again and retries them.
pub const INCOMPLETE: &str = "incomplete";

/// Reads one source body and, when it differs from the last copy, replaces the target's; then
/// records the marker. `fresh`: the target row was created by this run, so its body is empty.
async fn copy_body(
    check: &BodyCheck,
    target_row: PageId,
    fresh: bool,
    source: &NotionClient,
    target: &NotionClient,
    options: &ExecuteOptions,
) -> Result<BodyResult> {
    let read_at = Instant::now();
    let read = read_body(source, BlockId::from(check.source)).await?;
    let mut losses = Losses::default();
    let mut media = Vec::new();
    let mut body = convert_with_media(&read, &mut losses, &mut media);
    let mut marker = ContentMarker {
        source_edited: check.source_edited.clone(),
        hash: body_hash(&body),
    };
    let same = check
        .recorded
        .as_ref()
        .is_some_and(|m| m.hash == marker.hash);
    let mut resolved = MediaOutcome::default();
    if !same {
        if !media.is_empty() {
            resolved = resolve_media(
                &mut body,
                &media,
                read_at,
                check.source,
                (source, target),
                options,
                &mut losses,
            )
            .await;
        }
        if !resolved.failed.is_empty() {
            // What is written is not the source's body: the next run must look again.
            marker = ContentMarker {
                source_edited: INCOMPLETE.to_owned(),
                hash: body_hash(&body),
            };
        }
        // Whatever is there goes first: a body half-written by a stopped run is replaced.
        let mut clear = !fresh;
        let mut attempts = 0;
        loop {
            attempts += 1;
            if clear {
                clear_body(target, target_row).await?;
            }
            match write_body(target, target_row, &body).await {
                Ok(()) => break,
                // An append whose outcome is unknown is not sent again: the body is cleared and
                // written again, once.
                Err(Error::AmbiguousWrite { .. }) if attempts < 2 => clear = true,
                Err(error) => return Err(error),
            }
        }
    }
    target
        .set_page_properties(target_row, marker.property_value())
        .await?;
    Ok(if same {
        BodyResult::Unchanged(losses)
    } else {
        BodyResult::Copied {
            losses,
            media: resolved,
        }
    })
}

/// Looks at the bodies of `checks`: each read from `source`, and copied to `target` when it
/// changed. `created` maps source rows to the target rows this run created.
pub async fn apply_bodies(
    checks: &[BodyCheck],
    source: &NotionClient,
    target: &NotionClient,
    created: &HashMap<PageId, PageId>,
    options: &ExecuteOptions,
) -> BodyOutcome {
    let mut outcome = BodyOutcome::default();
    // (The futures are made first, then run, so that the caller's future stays `Send`.)
    let copies: Vec<_> = checks
        .iter()
        .map(|check| async move {
            let (row, fresh) = match (check.target, created.get(&check.source)) {
                (Some(row), _) => (row, false),
                (None, Some(row)) => (*row, true),
                (None, None) => return (check, Ok(BodyResult::NoTarget)),
            };
            (
                check,
                copy_body(check, row, fresh, source, target, options).await,
            )
        })
        .collect();
    let results: Vec<(&BodyCheck, Result<BodyResult>)> = stream::iter(copies)
        .buffer_unordered(options.concurrency.max(1))
        .collect()
        .await;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn block(kind: &str, content: Value, has_children: bool) -> Block {
        serde_json::from_value(json!({
            "object": "block", "id": "393abc1e-edcd-8181-8d59-e30a27148c69",
            "created_time": "2026-07-04T09:08:00.000Z", "last_edited_time": "2026-07-04T09:08:00.000Z",
            "created_by": {"object": "user", "id": "7775f3a3-893f-43fa-b625-460c61094c78"},
            "has_children": has_children, "in_trash": false, "type": kind, kind: content,
        }))
        .unwrap()
    }

    fn source(kind: &str, content: Value, children: Vec<SourceBlock>) -> SourceBlock {
        SourceBlock {
            block: block(kind, content, !children.is_empty()),
            children,
            unreadable: false,
        }
    }

    fn paragraph(text: &str) -> SourceBlock {
        source(
            "paragraph",
            json!({"rich_text": [{"type": "text", "text": {"content": text, "link": null},
                "annotations": {"bold": false, "color": "default"}, "plain_text": text, "href": null}],
                "color": "default"}),
            Vec::new(),
        )
    }

    fn node(children: Vec<BlockNode>) -> BlockNode {
        BlockNode {
            block: json!({"type": "toggle", "toggle": {"rich_text": []}}),
            children,
        }
    }

    #[test]
    fn blocks_keep_type_content_and_children_and_lose_ids() {
        let read = vec![source(
            "toggle",
            json!({"rich_text": [], "color": "red"}),
            vec![paragraph("inside")],
        )];
        let mut losses = Losses::default();
        let body = convert(&read, &mut losses);
        assert_eq!(body.len(), 1);
        assert_eq!(
            body[0].block,
            json!({"type": "toggle", "toggle": {"rich_text": [], "color": "red"}})
        );
        let child = &body[0].children[0].block;
        assert_eq!(
            child["paragraph"]["rich_text"][0]["text"]["content"],
            "inside"
        );
        assert!(
            child.get("id").is_none()
                && child["paragraph"]["rich_text"][0]
                    .get("plain_text")
                    .is_none()
        );
        assert_eq!(losses, Losses::default());
    }

    #[test]
    fn what_cannot_be_created_becomes_a_note() {
        let read = vec![
            source("child_page", json!({"title": "Specs"}), Vec::new()),
            source("child_database", json!({"title": "Bugs"}), Vec::new()),
            source(
                "link_preview",
                json!({"url": "https://github.com/x/y/pull/1"}),
                Vec::new(),
            ),
            source("unsupported", json!({}), Vec::new()),
            source(
                "link_to_page",
                json!({"type": "page_id", "page_id": "393abc1e-edcd-8181-8d59-e30a27148c69"}),
                Vec::new(),
            ),
            source(
                "image",
                json!({"type": "file", "file": {"url": "https://prod-files-secure.s3.us-west-2.amazonaws.com/a/b/diagram%201.png?X-Amz=1", "expiry_time": "2026-07-04T10:08:00.000Z"}, "caption": []}),
                Vec::new(),
            ),
            source(
                "image",
                json!({"type": "external", "external": {"url": "https://example.com/a.png"}, "caption": []}),
                Vec::new(),
            ),
            SourceBlock {
                unreadable: true,
                ..source(
                    "synced_block",
                    json!({"synced_from": {"type": "block_id", "block_id": "393abc1e-edcd-8181-8d59-e30a27148c69"}}),
                    Vec::new(),
                )
            },
        ];
        let mut losses = Losses::default();
        let body = convert(&read, &mut losses);
        let texts: Vec<String> = body
            .iter()
            .map(|n| {
                n.block["paragraph"]["rich_text"][0]["text"]["content"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned()
            })
            .collect();
        assert!(texts[0].contains("child page “Specs”"), "{texts:?}");
        assert!(texts[1].contains("child database “Bugs”"));
        assert!(texts[2].contains("https://github.com/x/y/pull/1"));
        assert_eq!(
            body[5].block,
            json!({"type": "image", "image": {"type": HOSTED_FILE_PLACEHOLDER,
                HOSTED_FILE_PLACEHOLDER: {"name": "diagram 1.png"}, "caption": []}}),
            "a hosted image waits for its re-import"
        );
        assert_eq!(
            body[6].block,
            json!({"type": "image", "image": {"type": "external", "external": {"url": "https://example.com/a.png"}, "caption": []}})
        );
        assert_eq!(losses.not_copied.values().sum::<usize>(), 6);
        assert_eq!(losses.notes().len(), 1);
    }

    fn hosted(kind: &str, name: &str, signed: &str) -> SourceBlock {
        let mut content = json!({"type": "file", "file": {
            "url": format!("https://prod-files-secure.s3.us-west-2.amazonaws.com/w/{name}?X-Amz-Date={signed}"),
            "expiry_time": "2026-07-04T10:08:00.000Z"}, "caption": []});
        if kind == "file" {
            content["name"] = json!(name);
        }
        source(kind, content, Vec::new())
    }

    #[test]
    fn hosted_media_hash_by_name_and_place_not_by_signed_url() {
        let read = |signed: &str| {
            vec![
                paragraph("intro"),
                source(
                    "toggle",
                    json!({"rich_text": []}),
                    vec![hosted("image", "a.png", signed)],
                ),
                source(
                    "column_list",
                    json!({}),
                    vec![source(
                        "column",
                        json!({}),
                        vec![hosted("file", "spec.pdf", signed)],
                    )],
                ),
            ]
        };
        let (mut first, mut again) = (Vec::new(), Vec::new());
        let body = convert_with_media(
            &read("20260704T090000Z"),
            &mut Losses::default(),
            &mut first,
        );
        let later = convert_with_media(
            &read("20260704T100000Z"),
            &mut Losses::default(),
            &mut again,
        );
        assert_eq!(body_hash(&body), body_hash(&later));
        assert!(
            !body_hash(&body).is_empty()
                && !body.iter().any(|n| n.block.to_string().contains("X-Amz"))
        );
        // One media per placeholder, in body order, with the URL as read.
        assert_eq!(
            first
                .iter()
                .map(|m| (m.kind.as_str(), m.name.as_str()))
                .collect::<Vec<_>>(),
            vec![("image", "a.png"), ("file", "spec.pdf")]
        );
        assert!(first[1].url.ends_with("20260704T090000Z"));
        assert_eq!(body[2].block["file"]["name"], "spec.pdf");
        // Another name, or another place, is another body.
        let renamed = convert(
            &[paragraph("intro"), hosted("image", "b.png", "x")],
            &mut Losses::default(),
        );
        let moved = convert(
            &[hosted("image", "a.png", "x"), paragraph("intro")],
            &mut Losses::default(),
        );
        let kept = convert(
            &[paragraph("intro"), hosted("image", "a.png", "y")],
            &mut Losses::default(),
        );
        assert_ne!(body_hash(&renamed), body_hash(&kept));
        assert_ne!(body_hash(&moved), body_hash(&kept));
    }

    #[test]
    fn re_imported_media_reference_their_upload_and_failed_ones_become_notes() {
        let mut media = Vec::new();
        let mut losses = Losses::default();
        let mut body = convert_with_media(
            &[
                source(
                    "toggle",
                    json!({"rich_text": []}),
                    vec![hosted("image", "a.png", "x")],
                ),
                hosted("pdf", "b.pdf", "x"),
                paragraph("kept"),
            ],
            &mut losses,
            &mut media,
        );
        let upload = json!("393abc1e-edcd-81c2-b028-00b21f81936b");
        let reference = json!({"type": "file_upload", "file_upload": {"id": upload}});
        let row: PageId = "393abc1e-edcd-81e9-afca-e7cba9d39cff".parse().unwrap();
        let results = vec![
            Ok(reference.as_object().unwrap().clone()),
            Err(FileImportError::FileGone { row }),
        ];
        let mut outcome = MediaOutcome::default();
        fill_media(
            &mut body,
            &mut media.iter().zip(results),
            &mut outcome,
            &mut losses,
        );
        assert_eq!(
            body[0].children[0].block,
            json!({"type": "image", "image": {"type": "file_upload", "file_upload": {"id": upload}, "caption": []}})
        );
        let note = body[1].block["paragraph"]["rich_text"][0]["text"]["content"].to_string();
        assert!(note.contains("pdf hosted by Notion “b.pdf”"), "{note}");
        assert_eq!(
            body[2].block["paragraph"]["rich_text"][0]["text"]["content"],
            "kept"
        );
        assert_eq!(outcome.imported, 1);
        assert_eq!(outcome.failed.len(), 1);
        assert!(outcome.failed[0].to_string().contains("b.pdf"));
        assert_eq!(losses.not_copied.get("pdf hosted by Notion"), Some(&1));
        assert!(!body.iter().any(|n| is_media_placeholder(&n.block)));
    }

    #[test]
    fn mentions_become_text_and_layouts_their_content() {
        let mention = source(
            "paragraph",
            json!({"rich_text": [
                {"type": "text", "text": {"content": "see ", "link": null}, "plain_text": "see "},
                {"type": "mention", "mention": {"type": "page", "page": {"id": "393abc1e-edcd-8169-85ce-c64d3d3f20fd"}}, "plain_text": "Roadmap", "annotations": {"bold": true}}
            ]}),
            Vec::new(),
        );
        let columns = source(
            "column_list",
            json!({}),
            vec![
                source("column", json!({}), vec![paragraph("left")]),
                source("column", json!({}), vec![paragraph("right")]),
            ],
        );
        let mut losses = Losses::default();
        let body = convert(&[mention, columns], &mut losses);
        assert_eq!(
            body[0].block["paragraph"]["rich_text"][1],
            json!({"type": "text", "text": {"content": "Roadmap", "link": null}, "annotations": {"bold": true}})
        );
        assert_eq!(body.len(), 3, "the columns' content in order");
        assert_eq!((losses.mentions_flattened, losses.unwrapped), (1, 1));
    }

    #[test]
    fn the_hash_follows_content_not_key_order() {
        let a = vec![BlockNode::leaf(
            json!({"type": "paragraph", "paragraph": {"rich_text": [], "color": "default"}}),
        )];
        let b = vec![BlockNode::leaf(
            json!({"paragraph": {"color": "default", "rich_text": []}, "type": "paragraph"}),
        )];
        let c = vec![BlockNode::leaf(
            json!({"type": "paragraph", "paragraph": {"rich_text": [], "color": "red"}}),
        )];
        assert_eq!(body_hash(&a), body_hash(&b));
        assert_ne!(body_hash(&a), body_hash(&c));
        assert_ne!(body_hash(&a), body_hash(&[node(a.clone())]));
        let marker = ContentMarker {
            source_edited: "2026-07-04T09:08:00.000Z".into(),
            hash: body_hash(&a),
        };
        assert_eq!(ContentMarker::parse(&marker.text()), Some(marker));
        assert_eq!(ContentMarker::parse("garbage"), None);
    }

    /// Every call within the limits: ≤ 100 per array, ≤ 2 levels, ≤ 1000 blocks.
    fn assert_within_limits(nodes: &[BlockNode]) {
        for call in append_calls(nodes) {
            assert!(call.children.len() <= MAX_CHILDREN);
            let mut total = 0;
            for block in &call.children {
                total += 1;
                let kind = block["type"].as_str().unwrap();
                if let Some(children) = block[kind].get("children").and_then(Value::as_array) {
                    assert!(children.len() <= MAX_CHILDREN);
                    total += children.len();
                    for child in children {
                        let kind = child["type"].as_str().unwrap();
                        assert!(
                            child[kind].get("children").is_none(),
                            "three levels in a request"
                        );
                    }
                }
            }
            assert!(
                total <= MAX_BLOCKS_PER_REQUEST,
                "{total} blocks in a request"
            );
            for (_, later) in call.later {
                assert_within_limits(later);
            }
        }
    }

    #[test]
    fn a_body_of_250_blocks_three_levels_deep_goes_out_in_28_calls() {
        let leaf = || BlockNode::leaf(json!({"type": "paragraph", "paragraph": {"rich_text": []}}));
        // 250 top-level blocks; every tenth a toggle holding two toggles of one paragraph each.
        let body: Vec<BlockNode> = (0..250)
            .map(|i| {
                if i % 10 == 0 {
                    node(vec![node(vec![leaf()]), node(vec![leaf()])])
                } else {
                    leaf()
                }
            })
            .collect();
        assert_eq!(body.iter().map(BlockNode::count).sum::<usize>(), 350);
        // 3 calls for the top level (100, 100, 50), then one per toggle of the top level, whose
        // two toggles go with their paragraphs.
        assert_eq!(append_call_count(&body), 3 + 25);
        let first = &append_calls(&body)[0];
        assert_eq!(first.children.len(), 100);
        assert_eq!(first.later.len(), 10);
        assert_within_limits(&body);
    }

    #[test]
    fn requests_stay_under_a_thousand_blocks_and_long_lists_are_split() {
        let leaf = || BlockNode::leaf(json!({"type": "paragraph", "paragraph": {"rich_text": []}}));
        // 20 toggles of 99 paragraphs each: 100 blocks per toggle, so 10 per request.
        let body: Vec<BlockNode> = (0..20)
            .map(|_| node((0..99).map(|_| leaf()).collect()))
            .collect();
        let calls = append_calls(&body);
        assert_eq!(
            calls.iter().map(|c| c.children.len()).collect::<Vec<_>>(),
            vec![10, 10]
        );
        assert_within_limits(&body);
        // A table of 150 rows: the first 100 rows with it, the other 50 appended under it.
        let table = BlockNode {
            block: json!({"type": "table", "table": {"table_width": 1}}),
            children: (0..150)
                .map(|_| {
                    BlockNode::leaf(json!({"type": "table_row", "table_row": {"cells": [[]]}}))
                })
                .collect(),
        };
        let calls = append_calls(std::slice::from_ref(&table));
        assert_eq!(
            calls[0].children[0]["table"]["children"]
                .as_array()
                .unwrap()
                .len(),
            100
        );
        assert_eq!(calls[0].later[0].1.len(), 50);
        assert_eq!(append_call_count(std::slice::from_ref(&table)), 2);
    }
}
