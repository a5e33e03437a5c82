//! The request form of each block type the content sync writes, and of rich text, taken from
//! Notion's request types (the official JS SDK's `BlockObjectRequest`, `RichTextItemRequest`,
//! `PageIconRequest` in `src/api-endpoints/common.ts`), never from a read payload: a block is
//! rebuilt from an allow-list of its type's request fields ([`block_request`]), so response-only
//! fields (`plain_text`, `href`, `expiry_time`, a numbered list's `list_start_index`, …) and
//! `null`s where the request has no null (`"icon": null`) are never sent.
//!
//! Notion's limits on what one block may hold are checked here: a text segment over
//! [`MAX_TEXT`] characters is split into segments of the same style; more than
//! [`MAX_RICH_TEXT_ITEMS`] segments in one array, an equation over [`MAX_EXPRESSION`]
//! characters, a URL over [`MAX_URL`] characters or a required field missing make the block
//! [`Unsendable`], and the caller writes a note in its place.

use serde_json::{Map, Value, json};

use super::convert::Losses;
use super::mentions::MentionMap;
use crate::ids::{DatabaseId, PageId, UserId};

/// The most characters in one text segment's `content` (Notion counts UTF-16 code units).
pub const MAX_TEXT: usize = 2000;

/// The most rich-text items in one array.
pub const MAX_RICH_TEXT_ITEMS: usize = 100;

/// The most characters in an equation's `expression`.
pub const MAX_EXPRESSION: usize = 1000;

/// The most characters in a URL.
pub const MAX_URL: usize = 2000;

/// Why a block read from the source cannot be sent as it is: what of Notion's limits or
/// request form it breaks, in words for a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsendable(pub String);

/// What a field of a block's request holds, to rebuild it from the read payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    /// An array of rich-text items.
    RichText,
    /// A string (a colour, a code language).
    Text,
    /// A boolean.
    Bool,
    /// A whole number (a table's width).
    Count,
    /// A URL (at most [`MAX_URL`] characters, not empty).
    Url,
    /// An equation's expression (at most [`MAX_EXPRESSION`] characters).
    Expression,
    /// A page icon request: an emoji or an external URL.
    Icon,
    /// A table row's cells: an array of arrays of rich-text items.
    Cells,
}

/// Whether a request field must be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// Sent only when the read payload has a usable value.
    Optional,
    /// Sent always; a missing value makes the block unsendable.
    Required,
    /// Sent always; a missing value is sent as no rich text (`[]`).
    Empty,
    /// Sent always; a missing value is sent as this string.
    Default(&'static str),
}

use Field::*;
use Need::*;

/// The fields of the request of a block type that carries no file, as `BlockObjectRequest`
/// lists them (children aside); `None` for a type this module does not write.
fn request_fields(kind: &str) -> Option<&'static [(&'static str, Field, Need)]> {
    const RICH: (&str, Field, Need) = ("rich_text", RichText, Empty);
    const COLOR: (&str, Field, Need) = ("color", Text, Optional);
    Some(match kind {
        "paragraph" | "callout" => &[RICH, COLOR, ("icon", Icon, Optional)],
        "heading_1" | "heading_2" | "heading_3" => {
            &[RICH, COLOR, ("is_toggleable", Bool, Optional)]
        }
        "bulleted_list_item" | "numbered_list_item" | "quote" | "toggle" => &[RICH, COLOR],
        "to_do" => &[RICH, COLOR, ("checked", Bool, Optional)],
        "code" => &[
            RICH,
            ("language", Text, Default("plain text")),
            ("caption", RichText, Optional),
        ],
        "equation" => &[("expression", Expression, Required)],
        "divider" | "breadcrumb" => &[],
        "table_of_contents" => &[COLOR],
        "bookmark" | "embed" => &[("url", Url, Required), ("caption", RichText, Optional)],
        "table" => &[
            ("table_width", Count, Required),
            ("has_column_header", Bool, Optional),
            ("has_row_header", Bool, Optional),
        ],
        "table_row" => &[("cells", Cells, Required)],
        _ => return None,
    })
}

/// The block types written with their own request form (rich text and the like), in the order
/// of `BlockObjectRequest`; media blocks ([`FILE_BLOCKS`]) are written with their file.
pub const WRITTEN_BLOCKS: &[&str] = &[
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

/// The block types that hold a file (`MediaContentWith…Request`).
pub const FILE_BLOCKS: &[&str] = &["image", "video", "file", "pdf", "audio"];

/// Whether a block of this type may be sent with `children` (the text blocks, and a table with
/// its rows).
pub fn takes_children(kind: &str) -> bool {
    matches!(
        kind,
        "paragraph"
            | "heading_1"
            | "heading_2"
            | "heading_3"
            | "bulleted_list_item"
            | "numbered_list_item"
            | "to_do"
            | "toggle"
            | "quote"
            | "callout"
            | "table"
    )
}

/// The request payload (`{…}` under the type's key) of a block of type `kind` read as
/// `content`, children left out. Mentions are written as their text (counted in `losses`).
pub fn block_request(
    kind: &str,
    content: Option<&Value>,
    mentions: &MentionMap,
    losses: &mut Losses,
) -> Result<Map<String, Value>, Unsendable> {
    let fields = request_fields(kind)
        .ok_or_else(|| Unsendable(format!("no request form for {kind} blocks")))?;
    let mut out = Map::new();
    for &(key, field, need) in fields {
        let read = content.and_then(|c| c.get(key)).filter(|v| !v.is_null());
        let value = match read {
            Some(read) => field_request(key, field, read, mentions, losses)?,
            None => None,
        };
        match (value, need) {
            (Some(value), _) => {
                out.insert(key.to_owned(), value);
            }
            (None, Optional) => {}
            (None, Required) => return Err(Unsendable(format!("no usable {key}"))),
            (None, Empty) => {
                out.insert(key.to_owned(), json!([]));
            }
            (None, Default(text)) => {
                out.insert(key.to_owned(), json!(text));
            }
        }
    }
    Ok(out)
}

/// One field of a request rebuilt from its read value: `None` when the value is not of the
/// field's kind (or is an icon the target cannot show).
fn field_request(
    key: &str,
    field: Field,
    read: &Value,
    mentions: &MentionMap,
    losses: &mut Losses,
) -> Result<Option<Value>, Unsendable> {
    Ok(match field {
        RichText => Some(Value::Array(rich_text_request(read, mentions, losses)?)),
        Text => read.as_str().map(|s| json!(s)),
        Bool => read.as_bool().map(Value::Bool),
        Count => read.as_u64().map(|n| json!(n)),
        Url => match read.as_str() {
            Some("") | None => None,
            Some(url) if utf16_len(url) > MAX_URL => {
                return Err(Unsendable(format!(
                    "its {key} is over {MAX_URL} characters"
                )));
            }
            Some(url) => Some(json!(url)),
        },
        Expression => match read.as_str() {
            Some(expression) if utf16_len(expression) > MAX_EXPRESSION => {
                return Err(Unsendable(format!(
                    "its equation is over {MAX_EXPRESSION} characters"
                )));
            }
            other => other.map(|s| json!(s)),
        },
        Icon => icon_request(read),
        Cells => match read.as_array() {
            Some(cells) => Some(Value::Array(
                cells
                    .iter()
                    .map(|cell| rich_text_request(cell, mentions, losses).map(Value::Array))
                    .collect::<Result<_, _>>()?,
            )),
            None => None,
        },
    })
}

/// A `PageIconRequest` from a read icon: an emoji or an external image as they are; `None`
/// for a file hosted by Notion or a custom emoji (objects of the source workspace) and for
/// `null`.
pub(super) fn icon_request(read: &Value) -> Option<Value> {
    match read.get("type").and_then(Value::as_str)? {
        "emoji" => {
            let emoji = read.get("emoji")?.as_str()?;
            Some(json!({"type": "emoji", "emoji": emoji}))
        }
        "external" => {
            let url = read.pointer("/external/url")?.as_str()?;
            (!url.is_empty() && utf16_len(url) <= MAX_URL)
                .then(|| json!({"type": "external", "external": {"url": url}}))
        }
        _ => None,
    }
}

/// The request payload of a media block holding an external file (`MediaContentWithFile…`:
/// `{"type": "external", "external": {"url"}, "caption", "name"}`, the name on file blocks
/// only); unsendable without a URL.
pub(super) fn external_media_request(
    kind: &str,
    content: &Value,
    mentions: &MentionMap,
    losses: &mut Losses,
) -> Result<Map<String, Value>, Unsendable> {
    let url = content
        .pointer("/external/url")
        .and_then(Value::as_str)
        .filter(|url| !url.is_empty())
        .ok_or_else(|| Unsendable("no external URL".to_owned()))?;
    if utf16_len(url) > MAX_URL {
        return Err(Unsendable(format!("its URL is over {MAX_URL} characters")));
    }
    let mut out = Map::new();
    out.insert("type".into(), json!("external"));
    out.insert("external".into(), json!({ "url": url }));
    media_extras(kind, content, mentions, losses, &mut out)?;
    Ok(out)
}

/// Adds what a media request carries besides its file: the caption, and a file block's name.
pub(super) fn media_extras(
    kind: &str,
    content: &Value,
    mentions: &MentionMap,
    losses: &mut Losses,
    out: &mut Map<String, Value>,
) -> Result<(), Unsendable> {
    if let Some(caption) = content.get("caption").filter(|c| !c.is_null()) {
        out.insert(
            "caption".into(),
            Value::Array(rich_text_request(caption, mentions, losses)?),
        );
    }
    if kind == "file"
        && let Some(name) = content.get("name").and_then(Value::as_str)
    {
        out.insert("name".into(), json!(name));
    }
    Ok(())
}

/// Rich text in its request form (`RichTextItemRequest`): text (`content`, `link` when there is
/// one) and equations with their annotations; date mentions kept, mentions of pages, databases
/// and links as their text linked to the original, other mentions and item types not known yet
/// as their `plain_text`, counted in `losses`. No `plain_text` or
/// `href`. A text over [`MAX_TEXT`]
/// characters becomes several segments of the same style; more than [`MAX_RICH_TEXT_ITEMS`]
/// items, or an equation over [`MAX_EXPRESSION`] characters, is [`Unsendable`].
pub fn rich_text_request(
    read: &Value,
    mentions: &MentionMap,
    losses: &mut Losses,
) -> Result<Vec<Value>, Unsendable> {
    let Some(items) = read.as_array() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let annotations = item.get("annotations").and_then(annotations_request);
        match item.get("type").and_then(Value::as_str) {
            Some("text") => {
                let content = item
                    .pointer("/text/content")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let link = item
                    .pointer("/text/link/url")
                    .and_then(Value::as_str)
                    .filter(|url| !url.is_empty());
                if link.is_some_and(|url| utf16_len(url) > MAX_URL) {
                    return Err(Unsendable(format!(
                        "a link in its text is over {MAX_URL} characters"
                    )));
                }
                push_text(&mut out, content, link, annotations.as_ref());
            }
            Some("equation") => {
                let expression = item
                    .pointer("/equation/expression")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if utf16_len(expression) > MAX_EXPRESSION {
                    return Err(Unsendable(format!(
                        "an inline equation is over {MAX_EXPRESSION} characters"
                    )));
                }
                let mut segment = Map::new();
                segment.insert("type".into(), json!("equation"));
                segment.insert("equation".into(), json!({ "expression": expression }));
                if let Some(annotations) = &annotations {
                    segment.insert("annotations".into(), annotations.clone());
                }
                out.push(Value::Object(segment));
            }
            Some("mention") => {
                mention_request(item, annotations.as_ref(), mentions, losses, &mut out)
            }
            _ => {
                losses.mentions_flattened += 1;
                push_text(&mut out, plain_text(item), None, annotations.as_ref());
            }
        }
    }
    if out.len() > MAX_RICH_TEXT_ITEMS {
        return Err(Unsendable(format!(
            "its text has {} segments, over Notion's {MAX_RICH_TEXT_ITEMS}",
            out.len()
        )));
    }
    Ok(out)
}

/// The `plain_text` of a read rich-text item (empty when it has none).
fn plain_text(item: &Value) -> &str {
    item.get("plain_text")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// A mention in its request form, into `out`: a date stays a date mention (`DateRequest`:
/// `start`, and `end` and `time_zone` when set); a person the target has (by email, through
/// `mentions`) stays a mention of that member, and a row or a database whose copy the target has
/// a mention of the copy, counted in `losses.mentions_kept`; another page, a database or a link (objects or
/// URLs of the source workspace) becomes its text linked to what it named (its `href`),
/// counted in `losses.mentions_linked`; anything else (a person the target lacks, a custom
/// emoji, a template mention, a kind not known yet) its text, counted in
/// `losses.mentions_flattened`.
fn mention_request(
    item: &Value,
    annotations: Option<&Value>,
    mentions: &MentionMap,
    losses: &mut Losses,
    out: &mut Vec<Value>,
) {
    let mention = item.get("mention");
    let kind = mention.and_then(|m| m.get("type")).and_then(Value::as_str);
    let named = |key: &str| {
        mention
            .and_then(|m| m.pointer(&format!("/{key}/id")))
            .and_then(Value::as_str)
    };
    let date = mention.and_then(|m| m.get("date"));
    let kept = match kind {
        Some("date") => date
            .and_then(|d| d.get("start"))
            .and_then(Value::as_str)
            .map(|start| {
                let mut request = Map::new();
                request.insert("start".into(), json!(start));
                for key in ["end", "time_zone"] {
                    if let Some(value) = date.and_then(|d| d.get(key)).and_then(Value::as_str) {
                        request.insert(key.into(), json!(value));
                    }
                }
                json!({"type": "date", "date": Value::Object(request)})
            }),
        Some("user") => named("user")
            .and_then(|id| UserId::parse(id).ok())
            .and_then(|user| mentions.user(user))
            .map(|user| json!({"type": "user", "user": {"id": user.to_string()}})),
        Some("page") => named("page")
            .and_then(|id| PageId::parse(id).ok())
            .and_then(|page| mentions.page(page))
            .map(|page| json!({"type": "page", "page": {"id": page.to_string()}})),
        Some("database") => named("database")
            .and_then(|id| DatabaseId::parse(id).ok())
            .and_then(|database| mentions.database(database))
            .map(|database| json!({"type": "database", "database": {"id": database.to_string()}})),
        _ => None,
    };
    if let Some(request) = kept {
        if kind != Some("date") {
            losses.mentions_kept += 1;
        }
        let mut segment = Map::new();
        segment.insert("type".into(), json!("mention"));
        segment.insert("mention".into(), request);
        if let Some(annotations) = annotations {
            segment.insert("annotations".into(), annotations.clone());
        }
        out.push(Value::Object(segment));
        return;
    }
    let href = item
        .get("href")
        .and_then(Value::as_str)
        .filter(|url| url.starts_with("https://") || url.starts_with("http://"))
        .filter(|url| utf16_len(url) <= MAX_URL);
    let linkable = matches!(
        kind,
        Some("page" | "database" | "link_mention" | "link_preview")
    );
    match href.filter(|_| linkable) {
        Some(url) => {
            losses.mentions_linked += 1;
            push_text(out, plain_text(item), Some(url), annotations);
        }
        None => {
            losses.mentions_flattened += 1;
            push_text(out, plain_text(item), None, annotations);
        }
    }
}

/// Text segments for `content` (none when it is empty), each at most [`MAX_TEXT`] characters.
fn push_text(out: &mut Vec<Value>, content: &str, link: Option<&str>, annotations: Option<&Value>) {
    for piece in split_text(content) {
        let mut text = Map::new();
        text.insert("content".into(), json!(piece));
        if let Some(url) = link {
            text.insert("link".into(), json!({ "url": url }));
        }
        let mut segment = Map::new();
        segment.insert("type".into(), json!("text"));
        segment.insert("text".into(), Value::Object(text));
        if let Some(annotations) = annotations {
            segment.insert("annotations".into(), annotations.clone());
        }
        out.push(Value::Object(segment));
    }
}

/// `text` cut into pieces of at most [`MAX_TEXT`] UTF-16 code units, never inside a character.
pub fn split_text(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let (mut start, mut units) = (0, 0);
    for (at, c) in text.char_indices() {
        if units + c.len_utf16() > MAX_TEXT {
            pieces.push(&text[start..at]);
            (start, units) = (at, 0);
        }
        units += c.len_utf16();
    }
    if start < text.len() {
        pieces.push(&text[start..]);
    }
    pieces
}

/// The request form of annotations (`AnnotationRequest`): the five styles and the colour, when
/// of the right JSON type; `None` when none is.
fn annotations_request(read: &Value) -> Option<Value> {
    let read = read.as_object()?;
    let mut out = Map::new();
    for key in ["bold", "italic", "strikethrough", "underline", "code"] {
        if let Some(flag) = read.get(key).and_then(Value::as_bool) {
            out.insert(key.to_owned(), Value::Bool(flag));
        }
    }
    if let Some(color) = read.get("color").and_then(Value::as_str) {
        out.insert("color".to_owned(), json!(color));
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// The length of a string as Notion counts it (UTF-16 code units).
fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}
