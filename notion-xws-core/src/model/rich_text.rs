//! Rich text: the segments of titles, `rich_text` values, block text and comments.
//!
//! A segment is text (`{"type": "text", "text": {"content", "link"}}`), a mention (of a user, a
//! page, a database, a date, a link preview, …) or an equation, with its `annotations`,
//! `plain_text` and `href`. Request bodies usually send only `{"text": {"content": "…"}}`; such
//! segments are read and written back in that short form. Mentions carry workspace-specific IDs.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::reference::Reference;
use super::user::User;
use super::value::DateValue;
use super::wire::{JsonMap, Nullable, kind_object, nullable, serde_via_json_object, typed_payload};
use crate::ids::{DataSourceId, DatabaseId, PageId};

/// One segment of rich text.
#[derive(Debug, Clone, PartialEq)]
pub struct RichText {
    /// What the segment is: text, a mention or an equation.
    pub content: RichTextContent,
    /// Bold, italic, colour, … (responses always have them; requests may omit them).
    pub annotations: Option<Annotations>,
    /// The text without formatting (responses only).
    pub plain_text: Option<String>,
    /// The link of the segment, if any (responses write `null` when there is none).
    pub href: Nullable<String>,
    /// Whether the `type` key is written.
    pub explicit_type: bool,
    /// Keys this library does not know, kept as they came.
    pub extra: JsonMap,
}

/// What a [`RichText`] segment is.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RichTextContent {
    /// Plain text, possibly linked.
    Text(TextContent),
    /// A mention of a user, page, database, date, …
    Mention(Box<Mention>),
    /// A KaTeX equation.
    Equation(Equation),
    /// A segment kind this library does not know, kept raw.
    Unknown {
        /// The `type` as Notion wrote it.
        type_name: String,
        /// The value under the key named by `type`, if present.
        payload: Option<Value>,
    },
}

/// The payload of a text segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextContent {
    /// The text (at most 2000 characters per segment).
    pub content: String,
    /// The link, if any (`null` in responses when there is none).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub link: Nullable<Link>,
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// A link: `{"url": "…"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// The URL.
    pub url: String,
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// The payload of an equation segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Equation {
    /// The KaTeX expression (at most 1000 characters).
    pub expression: String,
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// The formatting of a segment; each key is kept only if it was present.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Annotations {
    /// Bold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bold: Option<bool>,
    /// Italic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub italic: Option<bool>,
    /// Struck through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strikethrough: Option<bool>,
    /// Underlined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub underline: Option<bool>,
    /// Inline code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<bool>,
    /// The colour (`default`, `red`, `red_background`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// A mention inside rich text.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    /// What is mentioned.
    pub kind: MentionKind,
    /// Whether the `type` key is written.
    pub explicit_type: bool,
    /// Keys this library does not know, kept as they came.
    pub extra: JsonMap,
}

/// What a [`Mention`] mentions.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MentionKind {
    /// A user (an ID of the mentioning workspace).
    User(Box<User>),
    /// A page.
    Page(Reference<PageId>),
    /// A database.
    Database(Reference<DatabaseId>),
    /// A data source.
    DataSource(Reference<DataSourceId>),
    /// A date or date range.
    Date(DateValue),
    /// A link preview (`{"url": …}`).
    LinkPreview(Link),
    /// A mention kind this library does not know (template mentions, custom emoji, …), kept raw.
    Unknown {
        /// The `type` as Notion wrote it.
        type_name: String,
        /// The value under the key named by `type`, if present.
        payload: Option<Value>,
    },
}

/// The most UTF-16 code units Notion takes in one rich-text item's content.
pub const TEXT_ITEM_LIMIT: usize = 2000;

/// The most items Notion takes in one rich-text array.
pub const TEXT_ITEMS_LIMIT: usize = 100;

/// Splits `text` into pieces of at most `limit` UTF-16 code units, never inside a character.
pub fn split_utf16(text: &str, limit: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut units = 0;
    for (index, c) in text.char_indices() {
        let width = c.len_utf16();
        if units + width > limit {
            pieces.push(&text[start..index]);
            start = index;
            units = 0;
        }
        units += width;
    }
    if start < text.len() {
        pieces.push(&text[start..]);
    }
    pieces
}

impl RichText {
    /// A plain text segment in the short request form (`{"text": {"content": …}}`).
    pub fn text(content: impl Into<String>) -> Self {
        Self {
            content: RichTextContent::Text(TextContent {
                content: content.into(),
                link: None,
                extra: JsonMap::new(),
            }),
            annotations: None,
            plain_text: None,
            href: None,
            explicit_type: false,
            extra: JsonMap::new(),
        }
    }

    /// The text of the segment: `plain_text` if present, else the text content or equation.
    pub fn plain_text(&self) -> &str {
        if let Some(text) = &self.plain_text {
            return text;
        }
        match &self.content {
            RichTextContent::Text(text) => &text.content,
            RichTextContent::Equation(equation) => &equation.expression,
            _ => "",
        }
    }

    /// The mention, if this segment is one.
    pub fn mention(&self) -> Option<&Mention> {
        match &self.content {
            RichTextContent::Mention(mention) => Some(mention),
            _ => None,
        }
    }

    /// The concatenated plain text of a list of segments (a title, a `rich_text` value).
    pub fn concat_plain_text(segments: &[RichText]) -> String {
        segments.iter().map(Self::plain_text).collect()
    }
}

typed_payload! {
    RichTextContent {
        Text = "text",
        Mention = "mention",
        Equation = "equation",
    }
}

kind_object!(RichText { @content: "a rich text segment", annotations, plain_text, href });

typed_payload! {
    MentionKind {
        User = "user",
        Page = "page",
        Database = "database",
        DataSource = "data_source",
        Date = "date",
        LinkPreview = "link_preview",
    }
}

kind_object!(Mention { @kind: "a mention" });

serde_via_json_object!(RichText, Mention);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(value: Value) -> RichText {
        let text: RichText = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&text).unwrap(), value);
        text
    }

    #[test]
    fn response_text_segment() {
        let text = round_trip(json!({
            "type": "text", "text": {"content": "Test Page", "link": null},
            "annotations": {"bold": false, "italic": false, "strikethrough": false,
                            "underline": false, "code": false, "color": "default"},
            "plain_text": "Test Page", "href": null
        }));
        assert_eq!(text.plain_text(), "Test Page");
        assert_eq!(text.href, Some(None));
    }

    #[test]
    fn request_short_form_stays_short() {
        let text = round_trip(json!({"text": {"content": "Test Page"}}));
        assert_eq!(text, RichText::text("Test Page"));
        round_trip(
            json!({"text": {"content": "x"}, "annotations": {"bold": true, "color": "red_background"}}),
        );
    }

    #[test]
    fn date_mention() {
        let text = round_trip(json!({
            "type": "mention",
            "mention": {"type": "date", "date": {"start": "2022-12-16", "end": null, "time_zone": null}},
            "annotations": {"bold": false, "italic": false, "strikethrough": false,
                            "underline": false, "code": false, "color": "default"},
            "plain_text": "2022-12-16", "href": null
        }));
        let RichTextContent::Mention(mention) = &text.content else {
            panic!("not a mention: {text:?}");
        };
        let MentionKind::Date(date) = &mention.kind else {
            panic!("not a date mention: {mention:?}");
        };
        assert_eq!(date.start, "2022-12-16");
    }

    #[test]
    fn page_user_and_unknown_mentions() {
        let page = round_trip(json!({
            "type": "mention",
            "mention": {"type": "page", "page": {"id": "393abc1e-edcd-8181-8d59-e30a27148c69"}},
            "plain_text": "Page", "href": "https://app.notion.com/p/393abc1eedcd81818d59e30a27148c69"
        }));
        assert!(matches!(
            page.mention().map(|mention| &mention.kind),
            Some(MentionKind::Page(_))
        ));
        round_trip(json!({
            "type": "mention",
            "mention": {"type": "user", "user": {"object": "user", "id": "7775f3a3-893f-43fa-b625-460c61094c78"}}
        }));
        let unknown = round_trip(json!({
            "type": "mention",
            "mention": {"type": "template_mention", "template_mention": {"type": "template_mention_date", "template_mention_date": "today"}}
        }));
        assert!(matches!(
            unknown.mention().map(|mention| &mention.kind),
            Some(MentionKind::Unknown { .. })
        ));
    }

    #[test]
    fn equation_segment() {
        let text = round_trip(json!({"equation": {"expression": "E = mc^2"}}));
        assert_eq!(text.plain_text(), "E = mc^2");
    }
}
