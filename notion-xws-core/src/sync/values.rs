//! Property values in one canonical form, for comparing and for writing.
//!
//! Two workspaces never return byte-identical JSON for the same content (option IDs, default
//! annotations written or not, `3` against `3.0`, `Z` against `+00:00`, a long text split into
//! segments differently), and `last_edited_time` is rounded to the minute. So the sync compares
//! content: [`canonical`] turns a value read from either side into one normal form, two values
//! are the same when their forms are equal, and [`write_form`] turns a form into the JSON a
//! request writes. What cannot be written as it is (a page mention across workspaces) is written
//! as its text, and counted.
//!
//! A `files` value keeps every file in order: an external file as `{"name", "url"}`, a file
//! hosted by Notion as `{"name", "hosted": true}`. The hosted form leaves out the signed URL,
//! which expires after an hour and differs on every read, so that a hosted file of the source
//! and the copy re-imported into the target (hosted there too) compare equal by name and
//! position, and nothing is rewritten on the next run. The price: a hosted file replaced by
//! another of the same name, in the same position, is not noticed (neither is an edit to its
//! content); rename it, or clear the target's value, to have it copied again. A hosted file
//! cannot be written as a link, so [`write_form`] writes it as a placeholder
//! ([`HOSTED_FILE_PLACEHOLDER`]) that the executor replaces with a file upload made from a fresh
//! read of the source (see [`files`](super::files)); Notion refuses the placeholder if it were
//! ever sent as it is.

use serde_json::{Map, Value, json};

use crate::model::{
    Annotations, DateValue, FileObject, FileSource, PropertyValue, PropertyValueKind, RichText,
    RichTextContent,
};

/// The most UTF-16 code units Notion takes in one text segment.
pub(crate) use crate::model::TEXT_ITEM_LIMIT as SEGMENT_LIMIT;
pub(crate) use crate::model::split_utf16;

/// The `type` of the placeholder [`write_form`] writes for a Notion-hosted file: not a file type
/// Notion knows, so a request that still holds one is refused (400 `validation_error`). Its
/// payload is `{"position"}`, the file's index in the canonical form.
pub const HOSTED_FILE_PLACEHOLDER: &str = "notion_xws_hosted_file";

/// The property types whose values the sync copies.
pub const COPIED_TYPES: &[&str] = &[
    "title",
    "rich_text",
    "number",
    "select",
    "multi_select",
    "status",
    "date",
    "checkbox",
    "url",
    "email",
    "phone_number",
    "files",
];

/// A value in canonical form, with what was lost in getting there.
#[derive(Debug, Clone, PartialEq)]
pub struct Canonical {
    /// The property type.
    pub type_name: String,
    /// The normal form.
    pub value: Value,
    /// Mentions written as their text (a mention names objects of its own workspace).
    pub mentions_flattened: usize,
    /// Whether Notion cut the list at 25 references (a relation with `has_more`, or 25 people):
    /// the whole value is read as property items.
    pub truncated: bool,
}

/// The canonical form of a value, or `None` for a type the sync does not copy.
pub fn canonical(value: &PropertyValue) -> Option<Canonical> {
    let mut mentions = 0;
    let mut truncated = false;
    let form = match &value.value {
        PropertyValueKind::Title(text) | PropertyValueKind::RichText(text) => {
            rich_text(text, &mut mentions)
        }
        PropertyValueKind::Number(number) => match number.as_ref().and_then(|n| n.as_f64()) {
            Some(n) => json!(n),
            None => Value::Null,
        },
        PropertyValueKind::Select(option) | PropertyValueKind::Status(option) => option
            .as_ref()
            .and_then(|o| o.name.clone())
            .map_or(Value::Null, Value::String),
        PropertyValueKind::MultiSelect(options) => Value::Array(
            options
                .iter()
                .filter_map(|o| o.name.clone())
                .map(Value::String)
                .collect(),
        ),
        PropertyValueKind::Date(date) => date.as_ref().map_or(Value::Null, date_form),
        PropertyValueKind::Checkbox(checked) => Value::Bool(*checked),
        PropertyValueKind::Url(text)
        | PropertyValueKind::Email(text)
        | PropertyValueKind::PhoneNumber(text) => text
            .as_ref()
            .filter(|t| !t.is_empty())
            .map_or(Value::Null, |t| Value::String(t.clone())),
        PropertyValueKind::Files(files) => Value::Array(
            copied_files(files)
                .map(|file| {
                    let name = file.name.clone().unwrap_or_default();
                    match &file.source {
                        FileSource::External(external) => {
                            json!({"name": name, "url": external.url})
                        }
                        _ => json!({"name": name, "hosted": true}),
                    }
                })
                .collect(),
        ),
        // Relations and people hold IDs of their own workspace: read as they are, made
        // portable by `refs` once both workspaces are known.
        PropertyValueKind::Relation { pages, has_more } => {
            truncated = *has_more == Some(true);
            id_list(pages.iter().map(|page| page.id.to_string()))
        }
        PropertyValueKind::People(users) => {
            truncated = users.len() >= PAGE_REFERENCES;
            id_list(users.iter().map(|user| user.id.to_string()))
        }
        _ => return None,
    };
    Some(Canonical {
        type_name: value.type_name().to_owned(),
        value: form,
        mentions_flattened: mentions,
        truncated,
    })
}

/// The most references (related pages, people) a page object shows of one property.
pub const PAGE_REFERENCES: usize = 25;

/// IDs in their order, each once.
pub fn id_list(ids: impl Iterator<Item = String>) -> Value {
    let mut seen = std::collections::HashSet::new();
    Value::Array(
        ids.filter(|id| seen.insert(id.clone()))
            .map(Value::String)
            .collect(),
    )
}

/// The files of a `files` value that the sync copies, in order: external files and files hosted
/// by Notion (a read holds no other kind). A canonical form's positions index this sequence.
pub fn copied_files(files: &[FileObject]) -> impl Iterator<Item = &FileObject> {
    files
        .iter()
        .filter(|file| matches!(file.source, FileSource::File(_) | FileSource::External(_)))
}

/// The canonical form of an empty value of `type_name` (what a missing property reads as).
pub fn empty(type_name: &str) -> Value {
    match type_name {
        "title" | "rich_text" | "multi_select" | "files" | "relation" | "people" => json!([]),
        "checkbox" => json!(false),
        _ => Value::Null,
    }
}

/// The request JSON that writes `form` into a property of `type_name`.
pub fn write_form(type_name: &str, form: &Value) -> Value {
    let payload = match type_name {
        "title" | "rich_text" => Value::Array(write_rich_text(form)),
        "select" | "status" => match form {
            Value::String(name) => json!({ "name": name }),
            _ => Value::Null,
        },
        "multi_select" => Value::Array(
            form.as_array()
                .map(|names| names.iter().map(|name| json!({ "name": name })).collect())
                .unwrap_or_default(),
        ),
        "files" => Value::Array(
            form.as_array()
                .map(|files| {
                    files
                        .iter()
                        .enumerate()
                        .map(|(position, f)| match f.get("url") {
                            Some(url) => json!({"name": f["name"], "type": "external", "external": {"url": url}}),
                            None => json!({
                                "name": f["name"],
                                "type": HOSTED_FILE_PLACEHOLDER,
                                HOSTED_FILE_PLACEHOLDER: {"position": position},
                            }),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        ),
        _ => form.clone(),
    };
    let mut map = Map::new();
    map.insert(type_name.to_owned(), payload);
    Value::Object(map)
}

/// Rich text as a list of `{"text", "link", "annotations"}` (or `{"equation"}`), adjacent
/// segments of the same format merged, default annotations left out; one plain segment as a
/// bare string.
fn rich_text(segments: &[RichText], mentions: &mut usize) -> Value {
    let mut out: Vec<Value> = Vec::new();
    for segment in segments {
        let annotations = annotations(segment.annotations.as_ref());
        let (text, link) = match &segment.content {
            RichTextContent::Text(text) => (
                text.content.clone(),
                text.link
                    .as_ref()
                    .and_then(|l| l.as_ref())
                    .map(|l| l.url.clone()),
            ),
            RichTextContent::Equation(equation) => {
                out.push(json!({"equation": equation.expression, "annotations": annotations}));
                continue;
            }
            _ => {
                *mentions += 1;
                (segment.plain_text().to_owned(), None)
            }
        };
        if text.is_empty() {
            continue;
        }
        let link = link.map_or(Value::Null, Value::String);
        if let Some(last) = out.last_mut()
            && last.get("text").is_some()
            && last["link"] == link
            && last["annotations"] == annotations
            && let Some(Value::String(previous)) = last.get_mut("text")
        {
            previous.push_str(&text);
            continue;
        }
        out.push(json!({"text": text, "link": link, "annotations": annotations}));
    }
    // The common case, one plain segment, as a bare string: the same content, a fraction of the
    // memory in a snapshot of many rows.
    if let [only] = out.as_slice()
        && only["link"].is_null()
        && only["annotations"].as_object().is_some_and(Map::is_empty)
        && let Some(text) = only["text"].as_str()
    {
        return Value::String(text.to_owned());
    }
    Value::Array(out)
}

/// The annotations that differ from Notion's defaults.
fn annotations(annotations: Option<&Annotations>) -> Value {
    let mut map = Map::new();
    if let Some(a) = annotations {
        for (key, on) in [
            ("bold", a.bold),
            ("italic", a.italic),
            ("strikethrough", a.strikethrough),
            ("underline", a.underline),
            ("code", a.code),
        ] {
            if on == Some(true) {
                map.insert(key.to_owned(), Value::Bool(true));
            }
        }
        if let Some(color) = a.color.as_deref().filter(|c| *c != "default") {
            map.insert("color".to_owned(), json!(color));
        }
    }
    Value::Object(map)
}

/// Rich text request segments for a canonical form, long texts split at Notion's limit.
fn write_rich_text(form: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let plain;
    let segments = match form {
        Value::String(text) => {
            plain = [json!({"text": text, "link": null, "annotations": {}})];
            &plain[..]
        }
        _ => form.as_array().map(Vec::as_slice).unwrap_or_default(),
    };
    for segment in segments {
        let annotations = segment.get("annotations").cloned().unwrap_or(json!({}));
        if let Some(expression) = segment.get("equation") {
            out.push(json!({"type": "equation", "equation": {"expression": expression}, "annotations": annotations}));
            continue;
        }
        let text = segment["text"].as_str().unwrap_or_default();
        let link = match &segment["link"] {
            Value::String(url) => json!({ "url": url }),
            _ => Value::Null,
        };
        for chunk in split_utf16(text, SEGMENT_LIMIT) {
            out.push(json!({
                "type": "text",
                "text": {"content": chunk, "link": link},
                "annotations": annotations,
            }));
        }
    }
    out
}

/// A date with its date-times in one notation (`Z` for UTC, no `.000`).
fn date_form(date: &DateValue) -> Value {
    let end = date.end.clone().flatten();
    let zone = date.time_zone.clone().flatten();
    json!({
        "start": normal_time(&date.start),
        "end": end.as_deref().map(normal_time),
        "time_zone": zone,
    })
}

fn normal_time(text: &str) -> String {
    let text = text.trim();
    let text = text
        .strip_suffix("+00:00")
        .map_or_else(|| text.to_owned(), |utc| format!("{utc}Z"));
    match text.find(".000") {
        Some(at) => format!("{}{}", &text[..at], &text[at + 4..]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(json: Value) -> PropertyValue {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn the_same_content_in_two_notations_is_equal() {
        let read = value(json!({"id": "a", "type": "rich_text", "rich_text": [
            {"type": "text", "text": {"content": "Hello ", "link": null},
             "annotations": {"bold": false, "italic": false, "strikethrough": false, "underline": false, "code": false, "color": "default"},
             "plain_text": "Hello ", "href": null},
            {"type": "text", "text": {"content": "world", "link": null},
             "annotations": {"bold": false, "italic": false, "strikethrough": false, "underline": false, "code": false, "color": "default"},
             "plain_text": "world", "href": null}]}));
        let written = value(json!({"rich_text": [{"text": {"content": "Hello world"}}]}));
        assert_eq!(
            canonical(&read).unwrap().value,
            canonical(&written).unwrap().value
        );

        let three = value(json!({"number": 3}));
        let three_point_oh = value(json!({"number": 3.0}));
        assert_eq!(
            canonical(&three).unwrap().value,
            canonical(&three_point_oh).unwrap().value
        );

        let z = value(json!({"date": {"start": "2026-07-04T09:08:00Z"}}));
        let offset = value(
            json!({"date": {"start": "2026-07-04T09:08:00.000+00:00", "end": null, "time_zone": null}}),
        );
        assert_eq!(
            canonical(&z).unwrap().value,
            canonical(&offset).unwrap().value
        );

        let select = value(json!({"select": {"id": "x1", "name": "Done", "color": "green"}}));
        let by_name = value(json!({"select": {"name": "Done"}}));
        assert_eq!(
            canonical(&select).unwrap().value,
            canonical(&by_name).unwrap().value
        );
    }

    #[test]
    fn a_form_written_reads_back_the_same() {
        let long = "é".repeat(4500);
        let source = value(json!({"rich_text": [
            {"text": {"content": long}, "annotations": {"bold": true}},
            {"text": {"content": " see", "link": {"url": "https://example.com"}}}]}));
        let form = canonical(&source).unwrap();
        let written = write_form("rich_text", &form.value);
        let segments = written["rich_text"].as_array().unwrap();
        assert_eq!(
            segments.len(),
            4,
            "4500 characters in 3 segments, then the link"
        );
        assert!(segments.iter().all(|s| {
            s["text"]["content"]
                .as_str()
                .unwrap()
                .encode_utf16()
                .count()
                <= 2000
        }));
        let back = value(written);
        assert_eq!(canonical(&back).unwrap().value, form.value);
    }

    #[test]
    fn mentions_are_written_as_text_and_counted() {
        let source = value(json!({"id": "t", "type": "title", "title": [
            {"type": "mention", "mention": {"type": "page", "page": {"id": "393abc1e-edcd-8169-85ce-c64d3d3f20fd"}},
             "plain_text": "Roadmap", "href": "https://www.notion.so/393abc1eedcd816985cec64d3d3f20fd"}]}));
        let form = canonical(&source).unwrap();
        assert_eq!(form.mentions_flattened, 1);
        assert_eq!(
            form.value,
            json!("Roadmap"),
            "one plain segment reads as a string"
        );
    }

    #[test]
    fn computed_types_are_not_copied() {
        for json in [
            json!({"id": "f", "type": "formula", "formula": {"type": "number", "number": 2}}),
            json!({"id": "u", "type": "unique_id", "unique_id": {"prefix": "T", "number": 3}}),
        ] {
            assert!(canonical(&value(json.clone())).is_none(), "{json}");
        }
    }

    #[test]
    fn references_read_as_their_ids_and_a_cut_list_is_flagged() {
        let page = "393abc1e-edcd-8181-8d59-e30a27148c69";
        let relation = canonical(&value(
            json!({"id": "r", "type": "relation", "relation": [{"id": page}, {"id": page}], "has_more": true}),
        ))
        .unwrap();
        assert_eq!(relation.value, json!([page]), "each page once");
        assert!(relation.truncated);
        let user = "e79a0b74-3aba-4149-9f74-0bb5791a6ee6";
        let people: Vec<Value> = (0..PAGE_REFERENCES)
            .map(|_| json!({"object": "user", "id": user}))
            .collect();
        let people = canonical(&value(
            json!({"id": "p", "type": "people", "people": people}),
        ))
        .unwrap();
        assert_eq!(people.value, json!([user]));
        assert!(people.truncated, "25 people may be more");
        let few = canonical(&value(json!({"people": [{"object": "user", "id": user}]}))).unwrap();
        assert!(!few.truncated);
    }

    #[test]
    fn hosted_files_compare_by_name_and_position_and_write_as_placeholders() {
        let read = |url: &str, expiry: &str| {
            value(json!({"id": "f", "type": "files", "files": [
                {"name": "brief.pdf", "type": "file", "file": {"url": url, "expiry_time": expiry}},
                {"name": "spec", "type": "external", "external": {"url": "https://example.com/spec.pdf"}},
            ]}))
        };
        let source = canonical(&read("https://s3/a?sig=1", "2026-07-04T10:00:00.000Z")).unwrap();
        let target = canonical(&read("https://s3/b?sig=2", "2026-07-04T11:00:00.000Z")).unwrap();
        assert_eq!(
            source.value, target.value,
            "the expiring URL is not compared"
        );
        assert_eq!(
            source.value,
            json!([{"name": "brief.pdf", "hosted": true},
                   {"name": "spec", "url": "https://example.com/spec.pdf"}])
        );
        let written = write_form("files", &source.value);
        assert_eq!(
            written["files"][0],
            json!({"name": "brief.pdf", "type": HOSTED_FILE_PLACEHOLDER,
                   HOSTED_FILE_PLACEHOLDER: {"position": 0}})
        );
        assert_eq!(
            written["files"][1],
            json!({"name": "spec", "type": "external", "external": {"url": "https://example.com/spec.pdf"}})
        );
        assert!(
            !written.to_string().contains("s3/a"),
            "no hosted URL is ever written"
        );
    }

    #[test]
    fn empty_values_match_missing_ones() {
        assert_eq!(
            canonical(&value(json!({"rich_text": []}))).unwrap().value,
            empty("rich_text")
        );
        assert_eq!(
            canonical(&value(json!({"select": null}))).unwrap().value,
            empty("select")
        );
        assert_eq!(
            canonical(&value(json!({"url": ""}))).unwrap().value,
            empty("url")
        );
        assert_eq!(
            canonical(&value(json!({"checkbox": false}))).unwrap().value,
            empty("checkbox")
        );
    }
}
