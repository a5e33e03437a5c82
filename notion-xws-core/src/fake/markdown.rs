//! Inline Markdown as Notion reads it where an endpoint takes `markdown` in place of rich text
//! (a comment's content): `**bold**`, `*italic*` or `_italic_`, `~~strikethrough~~`,
//! `` `code` `` and `[text](url)` links, each becoming a rich text item with those annotations
//! (the SDK's `CreateCommentBodyParameters`: "Supports inline formatting (bold, italic,
//! strikethrough, code, links)"). Anything else is plain text. The items are request-shaped,
//! to be checked and made read-shaped like any rich text.

use serde_json::{Value, json};

/// The annotations in force while scanning.
#[derive(Debug, Clone, Copy, Default)]
struct Marks {
    bold: bool,
    italic: bool,
    strikethrough: bool,
}

/// Request-shaped rich text items of inline Markdown `text`.
pub(crate) fn inline_rich_text(text: &str) -> Value {
    let mut items = Vec::new();
    let mut marks = Marks::default();
    let mut run = String::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let flush = |run: &mut String, marks: Marks, items: &mut Vec<Value>| {
        if !run.is_empty() {
            items.push(item(run, marks, false, None));
            run.clear();
        }
    };
    while i < chars.len() {
        let rest: String = chars[i..].iter().take(2).collect();
        if rest == "**" || rest == "~~" {
            flush(&mut run, marks, &mut items);
            if rest == "**" {
                marks.bold = !marks.bold;
            } else {
                marks.strikethrough = !marks.strikethrough;
            }
            i += 2;
            continue;
        }
        match chars[i] {
            '*' | '_' => {
                flush(&mut run, marks, &mut items);
                marks.italic = !marks.italic;
                i += 1;
            }
            '`' => {
                if let Some(end) = chars[i + 1..].iter().position(|c| *c == '`') {
                    flush(&mut run, marks, &mut items);
                    let code: String = chars[i + 1..i + 1 + end].iter().collect();
                    items.push(item(&code, marks, true, None));
                    i += end + 2;
                } else {
                    run.push('`');
                    i += 1;
                }
            }
            '[' => match link_at(&chars[i..]) {
                Some((label, url, used)) => {
                    flush(&mut run, marks, &mut items);
                    items.push(item(&label, marks, false, Some(&url)));
                    i += used;
                }
                None => {
                    run.push('[');
                    i += 1;
                }
            },
            c => {
                run.push(c);
                i += 1;
            }
        }
    }
    flush(&mut run, marks, &mut items);
    Value::Array(items)
}

/// `[label](url)` at the start of `chars`: the label, the URL and how many characters it took.
fn link_at(chars: &[char]) -> Option<(String, String, usize)> {
    let close = chars.iter().position(|c| *c == ']')?;
    if chars.get(close + 1) != Some(&'(') {
        return None;
    }
    let end = chars[close + 2..].iter().position(|c| *c == ')')? + close + 2;
    let label: String = chars[1..close].iter().collect();
    let url: String = chars[close + 2..end].iter().collect();
    Some((label, url, end + 1))
}

fn item(content: &str, marks: Marks, code: bool, link: Option<&str>) -> Value {
    json!({
        "type": "text",
        "text": {"content": content, "link": link.map(|url| json!({"url": url}))},
        "annotations": {
            "bold": marks.bold,
            "italic": marks.italic,
            "strikethrough": marks.strikethrough,
            "underline": false,
            "code": code,
            "color": "default",
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_marks_become_annotations_and_links() {
        let items = inline_rich_text("Hi **bold** and `x` [docs](https://e.example) ~~no~~");
        let items = items.as_array().unwrap();
        let texts: Vec<&str> = items
            .iter()
            .map(|i| i["text"]["content"].as_str().unwrap())
            .collect();
        assert_eq!(texts, ["Hi ", "bold", " and ", "x", " ", "docs", " ", "no"]);
        assert_eq!(items[1]["annotations"]["bold"], true);
        assert_eq!(items[2]["annotations"]["bold"], false);
        assert_eq!(items[3]["annotations"]["code"], true);
        assert_eq!(items[5]["text"]["link"]["url"], "https://e.example");
        assert_eq!(items[7]["annotations"]["strikethrough"], true);
        assert_eq!(
            inline_rich_text("plain [not a link")[0]["text"]["content"],
            "plain [not a link"
        );
    }
}
