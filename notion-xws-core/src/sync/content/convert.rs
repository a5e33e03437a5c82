//! A body converted for writing: the blocks as read ([`SourceBlock`]) turned into the request
//! JSON of an append ([`BlockNode`], each block in its type's request form, see `request`),
//! what could not be copied named ([`Losses`]), and the hash of a converted body.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::ids::{DatabaseId, PageId};
use crate::model::Block;
use crate::sync::files::{HostedMedia, hosted_url};
use crate::sync::values::HOSTED_FILE_PLACEHOLDER;

use super::mentions::MentionMap;

use super::request::{
    FILE_BLOCKS, Unsendable, WRITTEN_BLOCKS, block_request, external_media_request, media_extras,
    takes_children,
};

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
    pub(super) fn leaf(block: Value) -> Self {
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
    /// Mentions of pages, databases and links written as their text linked to the original.
    pub mentions_linked: usize,
    /// Mentions of people and rows pointed at their counterpart in the target (no loss: counted
    /// for the report).
    pub mentions_kept: usize,
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
        self.mentions_linked += other.mentions_linked;
        self.mentions_kept += other.mentions_kept;
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
                "page content: {} written as plain text",
                crate::words::count(self.mentions_flattened, "mention", "mentions")
            ));
        }
        if self.mentions_linked > 0 {
            notes.push(format!(
                "page content: {} of pages, databases or links written as a link to the \
                 original",
                crate::words::count(self.mentions_linked, "mention", "mentions")
            ));
        }
        if self.mentions_kept > 0 {
            notes.push(format!(
                "page content: {} of people or rows pointed at their counterpart in the target \
                 workspace",
                crate::words::count(self.mentions_kept, "mention", "mentions")
            ));
        }
        if self.unwrapped > 0 {
            notes.push(format!(
                "page content: {} (column layouts or synced blocks) written as their content",
                crate::words::count(self.unwrapped, "block", "blocks")
            ));
        }
        notes
    }
}

/// The most characters of a detail quoted in a note (a title, a URL, a reason).
const NOTE_DETAIL: usize = 500;

/// A grey paragraph that says what was not copied, counted in `losses` under `what`.
pub(super) fn note(what: &str, detail: Option<&str>, losses: &mut Losses) -> BlockNode {
    *losses.not_copied.entry(what.to_owned()).or_default() += 1;
    let text = match detail.map(str::trim).filter(|d| !d.is_empty()) {
        Some(detail) => {
            let mut short: String = detail.chars().take(NOTE_DETAIL).collect();
            if short.len() < detail.len() {
                short.push('…');
            }
            format!("[not copied by notion-xws: {what} “{short}”]")
        }
        None => format!("[not copied by notion-xws: {what}]"),
    };
    BlockNode::leaf(json!({
        "type": "paragraph",
        "paragraph": {"rich_text": [{
            "type": "text",
            "text": {"content": text},
            "annotations": {"italic": true, "color": "gray"},
        }]},
    }))
}

/// The name of a file payload, for a note: its `name`, else the last part of its URL's path.
pub(super) fn file_name(content: &Value) -> Option<String> {
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

/// Turns a body read from the source into the blocks to write. See the
/// [module documentation](crate::sync::content).
pub fn convert(blocks: &[SourceBlock], losses: &mut Losses) -> Vec<BlockNode> {
    convert_with_media(blocks, &MentionMap::default(), losses, &mut Vec::new())
}

/// [`convert`], and the hosted files of its media blocks: one [`HostedMedia`] per placeholder
/// of the body, in the order of the body (each block before its children, then the next).
pub fn convert_with_media(
    blocks: &[SourceBlock],
    mentions: &MentionMap,
    losses: &mut Losses,
    media: &mut Vec<HostedMedia>,
) -> Vec<BlockNode> {
    let mut out = Vec::with_capacity(blocks.len());
    for source in blocks {
        convert_one(source, mentions, losses, media, &mut out);
    }
    out
}

/// The payload of a media block that stands for a hosted file until it is re-imported: its
/// caption (and a file block's name) in their request form, and the file's name, never its
/// signed URL, so that the body's hash does not change with the URL.
pub(super) fn media_placeholder(
    kind: &str,
    content: &Value,
    name: &str,
    mentions: &MentionMap,
    losses: &mut Losses,
) -> Result<Value, Unsendable> {
    let mut payload = Map::new();
    payload.insert("type".into(), json!(HOSTED_FILE_PLACEHOLDER));
    payload.insert(HOSTED_FILE_PLACEHOLDER.into(), json!({ "name": name }));
    media_extras(kind, content, mentions, losses, &mut payload)?;
    Ok(Value::Object(payload))
}

/// A `link_to_page` of the source workspace: a `link_to_page` of the copy of the page (or
/// database) it points at when the target has one (`mentions`), else a paragraph linking to the
/// original; a note when it names neither.
fn link_to_page(content: Option<&Value>, mentions: &MentionMap, losses: &mut Losses) -> BlockNode {
    let named = |key: &str| content.and_then(|c| c.get(key)).and_then(Value::as_str);
    let copy = match (named("page_id"), named("database_id")) {
        (Some(page), _) => PageId::parse(page)
            .ok()
            .and_then(|page| mentions.page(page))
            .map(|copy| json!({"type": "page_id", "page_id": copy.to_string()})),
        (None, Some(database)) => DatabaseId::parse(database)
            .ok()
            .and_then(|database| mentions.database(database))
            .map(|copy| json!({"type": "database_id", "database_id": copy.to_string()})),
        (None, None) => None,
    };
    if let Some(copy) = copy {
        losses.mentions_kept += 1;
        return BlockNode::leaf(json!({"type": "link_to_page", "link_to_page": copy}));
    }
    let id = ["page_id", "database_id"]
        .iter()
        .find_map(|key| named(key))
        .map(|id| id.replace('-', ""))
        .filter(|id| id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()));
    let Some(id) = id else {
        return note("link to a page of the source workspace", None, losses);
    };
    *losses
        .not_copied
        .entry("link to a page (written as a link to the original)".to_owned())
        .or_default() += 1;
    BlockNode::leaf(json!({
        "type": "paragraph",
        "paragraph": {"rich_text": [{
            "type": "text",
            "text": {"content": "↗ a page of the source workspace", "link": {"url": format!("https://www.notion.so/{id}")}},
        }]},
    }))
}

/// What a block over Notion's limits (or lacking a field its request needs) is noted as.
fn over_limits(kind: &str) -> String {
    format!("{kind} block over Notion's limits")
}

/// Converts one source block into `out`: its request form (with its children when its type
/// takes them), a placeholder for a hosted file, its content for a layout, or a note.
pub(super) fn convert_one(
    source: &SourceBlock,
    mentions: &MentionMap,
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
        _ if WRITTEN_BLOCKS.contains(&kind) => match block_request(kind, content, mentions, losses)
        {
            Ok(payload) => {
                let children = if takes_children(kind) {
                    convert_with_media(&source.children, mentions, losses, media)
                } else {
                    Vec::new()
                };
                if kind == "table" && children.iter().any(|c| c.block["type"] != "table_row") {
                    // A table holds only rows: one that could not be sent breaks it.
                    out.push(note(&over_limits(kind), Some("one of its rows"), losses));
                    return;
                }
                out.push(BlockNode {
                    block: json!({"type": kind, kind: payload}),
                    children,
                });
            }
            Err(Unsendable(why)) => {
                out.push(note(&over_limits(kind), Some(&why), losses));
                // What it held is still copied, after the note.
                if kind != "table" {
                    out.extend(convert_with_media(
                        &source.children,
                        mentions,
                        losses,
                        media,
                    ));
                }
            }
        },
        _ if FILE_BLOCKS.contains(&kind) => {
            let empty = Value::Null;
            let content = content.unwrap_or(&empty);
            let hosted = content.get("type").and_then(Value::as_str);
            if hosted == Some("external") {
                match external_media_request(kind, content, mentions, losses) {
                    Ok(payload) => out.push(BlockNode::leaf(json!({"type": kind, kind: payload}))),
                    Err(Unsendable(why)) => out.push(note(&over_limits(kind), Some(&why), losses)),
                }
            } else if let Some(url) = hosted_url(content) {
                let name = file_name(content).unwrap_or_else(|| kind.to_owned());
                match media_placeholder(kind, content, &name, mentions, losses) {
                    Ok(payload) => {
                        out.push(BlockNode::leaf(json!({"type": kind, kind: payload})));
                        media.push(HostedMedia {
                            block: block.id,
                            kind: kind.to_owned(),
                            name,
                            url: url.to_owned(),
                        });
                    }
                    Err(Unsendable(why)) => out.push(note(&over_limits(kind), Some(&why), losses)),
                }
            } else {
                let name = file_name(content);
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
                convert_one(child, mentions, losses, media, out);
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
                convert_one(child, mentions, losses, media, out);
            }
        }
        "child_page" => out.push(note("child page", text_of("title").as_deref(), losses)),
        "child_database" => out.push(note("child database", text_of("title").as_deref(), losses)),
        "link_preview" => out.push(note("link preview", text_of("url").as_deref(), losses)),
        "link_to_page" => out.push(link_to_page(content, mentions, losses)),
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
    format!("fnv1a64:{:016x}", crate::sync::columns::hash_text(&text))
}

pub(super) fn canonical_node(node: &BlockNode, out: &mut String) {
    out.push('(');
    canonical_json(&node.block, out);
    for child in &node.children {
        canonical_node(child, out);
    }
    out.push(')');
}

pub(super) fn canonical_json(value: &Value, out: &mut String) {
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
