//! Rich text as Notion takes it in a request and stores it.
//!
//! A request's rich-text array holds at most 100 items; each is a `text` (content ≤ 2,000
//! characters, an optional link whose URL is ≤ 2,000 characters), an `equation` (expression ≤
//! 1,000 characters) or a `mention`. What is stored is the full, read-shaped item: its
//! `annotations` completed with Notion's defaults, its `plain_text` and its `href`.

use serde_json::{Value, json};

use super::reply::{Fail, Reply};
use super::validate::array;

/// The most characters of one rich-text `content`.
pub(crate) const MAX_TEXT: usize = 2000;

/// The default annotations of rich text.
fn default_annotations() -> Value {
    json!({"bold": false, "italic": false, "strikethrough": false, "underline": false, "code": false, "color": "default"})
}

/// Rich text as written in a request, made read-shaped.
pub(crate) fn rich_text(path: &str, value: &Value) -> Reply<Value> {
    let items = array(path, value)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let object = item
            .as_object()
            .ok_or_else(|| Fail::body(&at, "an object", item))?;
        let kind = object.get("type").and_then(Value::as_str).unwrap_or(
            if object.contains_key("equation") {
                "equation"
            } else if object.contains_key("mention") {
                "mention"
            } else {
                "text"
            },
        );
        let mut annotations = default_annotations();
        if let (Some(given), Some(base)) = (
            object.get("annotations").and_then(Value::as_object),
            annotations.as_object_mut(),
        ) {
            for (k, v) in given {
                if base.contains_key(k) {
                    base.insert(k.clone(), v.clone());
                }
            }
        }
        match kind {
            "text" => {
                let text = object
                    .get("text")
                    .ok_or_else(|| Fail::missing(&format!("{at}.text")))?;
                let content = text.get("content").and_then(Value::as_str).ok_or_else(|| {
                    Fail::body(
                        &format!("{at}.text.content"),
                        "a string",
                        text.get("content").unwrap_or(&Value::Null),
                    )
                })?;
                let len = content.chars().count();
                if len > MAX_TEXT {
                    return Err(Fail::validation(format!(
                        "body failed validation: {at}.text.content.length should be ≤ `{MAX_TEXT}`, instead was `{len}`."
                    )));
                }
                let link = match text.get("link") {
                    None | Some(Value::Null) => Value::Null,
                    Some(link) => {
                        let url = link.get("url").and_then(Value::as_str).ok_or_else(|| {
                            Fail::body(&format!("{at}.text.link.url"), "a string", link)
                        })?;
                        if url.chars().count() > MAX_TEXT {
                            return Err(Fail::validation(format!(
                                "body failed validation: {at}.text.link.url.length should be ≤ `{MAX_TEXT}`."
                            )));
                        }
                        json!({"url": url})
                    }
                };
                let href = link.get("url").cloned().unwrap_or(Value::Null);
                out.push(json!({
                    "type": "text",
                    "text": {"content": content, "link": link},
                    "annotations": annotations,
                    "plain_text": content,
                    "href": href,
                }));
            }
            "equation" => {
                let expression = object
                    .get("equation")
                    .and_then(|e| e.get("expression"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| Fail::missing(&format!("{at}.equation.expression")))?;
                if expression.chars().count() > 1000 {
                    return Err(Fail::validation(format!(
                        "body failed validation: {at}.equation.expression.length should be ≤ `1000`."
                    )));
                }
                out.push(json!({
                    "type": "equation",
                    "equation": {"expression": expression},
                    "annotations": annotations,
                    "plain_text": expression,
                    "href": null,
                }));
            }
            "mention" => {
                let mention = object
                    .get("mention")
                    .filter(|m| m.is_object())
                    .ok_or_else(|| Fail::missing(&format!("{at}.mention")))?;
                let plain = object
                    .get("plain_text")
                    .and_then(Value::as_str)
                    .unwrap_or("Untitled");
                out.push(json!({
                    "type": "mention",
                    "mention": mention,
                    "annotations": annotations,
                    "plain_text": plain,
                    "href": null,
                }));
            }
            other => {
                return Err(Fail::body(
                    &format!("{at}.type"),
                    "`text`, `mention` or `equation`",
                    &json!(other),
                ));
            }
        }
    }
    Ok(Value::Array(out))
}

/// The plain text of read-shaped rich text.
pub(crate) fn plain_text(value: &Value) -> String {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.get("plain_text").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default()
}
