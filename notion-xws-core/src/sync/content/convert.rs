//! A body converted for writing: the blocks as read ([`SourceBlock`]) turned into the request
//! JSON of an append ([`BlockNode`]), what could not be copied named ([`Losses`]), and the hash
//! of a converted body.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::model::Block;
use crate::sync::files::{HostedMedia, hosted_url};
use crate::sync::values::HOSTED_FILE_PLACEHOLDER;

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
pub(super) const COPIED_BLOCKS: &[&str] = &[
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
pub(super) const FILE_BLOCKS: &[&str] = &["image", "video", "file", "pdf", "audio"];

/// Rich text made writable: text and equations as they are, mentions (of users, pages, dates
/// of the source workspace) as their text.
pub(super) fn writable_rich_text(value: &Value, losses: &mut Losses) -> Value {
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
pub(super) fn note(what: &str, detail: Option<&str>, losses: &mut Losses) -> BlockNode {
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

/// The payload of a copied block, made writable: rich text and captions, no `children`, no
/// icon hosted by Notion.
pub(super) fn writable_payload(content: Option<&Value>, losses: &mut Losses) -> Value {
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
/// [module documentation](crate::sync::content).
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
pub(super) fn media_placeholder(content: Option<&Value>, name: &str, losses: &mut Losses) -> Value {
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

pub(super) fn convert_one(
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
