//! Notion-flavored Markdown, as the fake reads and writes it.
//!
//! Inline: `**bold**`, `*italic*` or `_italic_`, `~~strikethrough~~`, `` `code` `` and
//! `[text](url)` links, each a rich text item with those annotations (the SDK's
//! `CreateCommentBodyParameters`: "Supports inline formatting (bold, italic, strikethrough,
//! code, links)"); anything else is plain text. The items are request-shaped, to be checked and
//! made read-shaped like any rich text; [`rich_text_markdown`] writes read-shaped rich text back.
//!
//! Blocks (the page markdown endpoints): one block a line — `#`, `##`, `###` headings, `- `
//! bullets, `1. ` numbered items, `- [ ] ` and `- [x] ` to-dos, `> ` quotes, `---` dividers,
//! fenced code with its language, `<empty-block/>` for an empty paragraph, `<page url="…">` and
//! `<database url="…">` for child pages and databases, and paragraphs; a tab more than the line
//! above makes a block a child of it. Blank lines separate blocks and are not blocks. Other
//! block types have no Markdown form here: a page's markdown leaves them out and names them in
//! `unknown_block_ids`.

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

/// Read-shaped rich text written back as inline Markdown.
pub(crate) fn rich_text_markdown(items: &Value) -> String {
    let mut out = String::new();
    for item in items.as_array().into_iter().flatten() {
        let text = item
            .get("plain_text")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let a = &item["annotations"];
        let mut piece = text.to_owned();
        if a["code"] == true {
            piece = format!("`{piece}`");
        }
        if a["bold"] == true {
            piece = format!("**{piece}**");
        }
        if a["italic"] == true {
            piece = format!("*{piece}*");
        }
        if a["strikethrough"] == true {
            piece = format!("~~{piece}~~");
        }
        if let Some(href) = item.get("href").and_then(Value::as_str) {
            piece = format!("[{piece}]({href})");
        }
        out.push_str(&piece);
    }
    out
}

/// One top-level item of parsed block Markdown.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum MdItem {
    /// A block, request-shaped (`{"<type>": {...}}`, with `children` inside when nested).
    Block(Value),
    /// A child page or database, by the ID at the end of its URL.
    Child(String),
}

/// The 32 hex digits at the end of a URL attribute, if any.
fn url_id(line: &str) -> Option<String> {
    let start = line.find("url=\"")? + 5;
    let end = line[start..].find('"')? + start;
    let url = &line[start..end];
    let hex: String = url
        .chars()
        .rev()
        .take_while(char::is_ascii_hexdigit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    (hex.len() >= 32).then(|| hex[hex.len() - 32..].to_owned())
}

/// A block of one Markdown line (without its indentation).
fn line_block(line: &str) -> Value {
    let text = |t: &str| inline_rich_text(t);
    let numbered = line
        .find(". ")
        .filter(|&i| i > 0 && line[..i].chars().all(|c| c.is_ascii_digit()));
    if let Some(rest) = line.strip_prefix("### ") {
        json!({"heading_3": {"rich_text": text(rest)}})
    } else if let Some(rest) = line.strip_prefix("## ") {
        json!({"heading_2": {"rich_text": text(rest)}})
    } else if let Some(rest) = line.strip_prefix("# ") {
        json!({"heading_1": {"rich_text": text(rest)}})
    } else if let Some(rest) = line.strip_prefix("- [ ] ") {
        json!({"to_do": {"rich_text": text(rest), "checked": false}})
    } else if let Some(rest) = line
        .strip_prefix("- [x] ")
        .or_else(|| line.strip_prefix("- [X] "))
    {
        json!({"to_do": {"rich_text": text(rest), "checked": true}})
    } else if let Some(rest) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
        json!({"bulleted_list_item": {"rich_text": text(rest)}})
    } else if let Some(i) = numbered {
        json!({"numbered_list_item": {"rich_text": text(&line[i + 2..])}})
    } else if let Some(rest) = line.strip_prefix("> ") {
        json!({"quote": {"rich_text": text(rest)}})
    } else if line == "---" {
        json!({"divider": {}})
    } else if line == "<empty-block/>" {
        json!({"paragraph": {"rich_text": []}})
    } else {
        json!({"paragraph": {"rich_text": text(line)}})
    }
}

/// The block types that take children in a request.
const PARENTS: [&str; 6] = [
    "paragraph",
    "bulleted_list_item",
    "numbered_list_item",
    "to_do",
    "quote",
    "toggle",
];

/// Adds `block` as the last child at `depth` under the last of `items` (a top-level block when
/// depth is 0 or there is no block to nest under).
fn push_nested(items: &mut Vec<MdItem>, block: Value, depth: usize) {
    fn nest(parent: &mut Value, block: Value, depth: usize) -> Result<(), Value> {
        let Some((kind, body)) = parent.as_object_mut().and_then(|m| m.iter_mut().next()) else {
            return Err(block);
        };
        if !PARENTS.contains(&kind.as_str()) {
            return Err(block);
        }
        let children = body
            .as_object_mut()
            .map(|b| b.entry("children").or_insert_with(|| json!([])));
        let Some(Value::Array(children)) = children else {
            return Err(block);
        };
        if depth <= 1 {
            children.push(block);
            return Ok(());
        }
        match children.last_mut() {
            Some(last) => nest(last, block, depth - 1),
            None => {
                children.push(block);
                Ok(())
            }
        }
    }
    if depth > 0
        && let Some(MdItem::Block(last)) = items.last_mut()
    {
        match nest(last, block, depth) {
            Ok(()) => return,
            Err(block) => {
                items.push(MdItem::Block(block));
                return;
            }
        }
    }
    items.push(MdItem::Block(block));
}

/// Block Markdown parsed into top-level items (see the [module documentation](self)).
pub(crate) fn parse_blocks(text: &str) -> Vec<MdItem> {
    let mut items = Vec::new();
    let mut lines = text.lines();
    while let Some(raw) = lines.next() {
        let depth = raw.chars().take_while(|c| *c == '\t').count();
        let line = raw.trim_start_matches('\t').trim_end();
        if line.is_empty() {
            continue;
        }
        if let Some(language) = line.strip_prefix("```") {
            let mut code = Vec::new();
            for inner in lines.by_ref() {
                if inner.trim_start_matches('\t').trim_end() == "```" {
                    break;
                }
                code.push(inner.trim_start_matches('\t'));
            }
            let language = if language.is_empty() {
                "plain text"
            } else {
                language
            };
            let content = code.join("\n");
            push_nested(
                &mut items,
                json!({"code": {"rich_text": [{"text": {"content": content}}], "language": language}}),
                depth,
            );
            continue;
        }
        if (line.starts_with("<page ") || line.starts_with("<database "))
            && let Some(id) = url_id(line)
        {
            items.push(MdItem::Child(id));
            continue;
        }
        push_nested(&mut items, line_block(line), depth);
    }
    items
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

    #[test]
    fn block_lines_become_blocks_nested_by_tabs() {
        let items = parse_blocks(
            "# Title\n\nSome *text*\n- one\n\t- inner\n1. first\n- [x] done\n> said\n---\n```rust\nfn x() {}\n```\n<page url=\"https://app.notion.com/p/Child-0123456789abcdef0123456789abcdef\">Child</page>",
        );
        let kinds: Vec<String> = items
            .iter()
            .map(|i| match i {
                MdItem::Block(b) => b.as_object().unwrap().keys().next().unwrap().clone(),
                MdItem::Child(id) => format!("child {id}"),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "heading_1",
                "paragraph",
                "bulleted_list_item",
                "numbered_list_item",
                "to_do",
                "quote",
                "divider",
                "code",
                "child 0123456789abcdef0123456789abcdef"
            ]
        );
        let MdItem::Block(bullet) = &items[2] else {
            panic!()
        };
        assert_eq!(
            bullet["bulleted_list_item"]["children"][0]["bulleted_list_item"]["rich_text"][0]["text"]
                ["content"],
            "inner"
        );
        let MdItem::Block(code) = &items[7] else {
            panic!()
        };
        assert_eq!(code["code"]["language"], "rust");
    }

    #[test]
    fn rich_text_is_written_back_as_inline_markdown() {
        let items = json!([
            {"plain_text": "a", "annotations": {"bold": true}, "href": null},
            {"plain_text": "b", "annotations": {"code": true}, "href": "https://x.example"},
        ]);
        assert_eq!(rich_text_markdown(&items), "**a**[`b`](https://x.example)");
    }
}
