//! The audit report as a Notion page (`audit --to-notion`), for the operator to read in Notion.
//!
//! The page, titled exactly [`REPORT_TITLE`], goes under the registry's page (the page
//! `system-databases` is under) and replaces the previous one: the new page is made and written
//! first, then every earlier page of that title among the registry page's children is moved to
//! the trash, so that there is always a whole report to read and, after a run, one. (A run that
//! stops half-way leaves its page, which the next run trashes with the others.)
//!
//! The report's Markdown ([`AuditReport::to_markdown`]) becomes blocks ([`markdown_blocks`]):
//! headings, paragraphs, bulleted lists (a continuation line stays in its item), tables as
//! Notion tables (the first row a header), `**bold**` and `` `code` `` as annotations; text is
//! cut into segments of at most 2,000 characters, and the blocks are appended in calls within
//! Notion's limits by the content sync's writer ([`write_body`]).

use futures::TryStreamExt;
use serde_json::{Value, json};

use super::AuditReport;
use crate::client::NotionClient;
use crate::error::Result;
use crate::ids::{BlockId, PageId};
use crate::registry::Registry;
use crate::sync::content::{BlockNode, split_text, write_body};

/// The exact title of the report page.
pub const REPORT_TITLE: &str = "notion-xws audit report";

/// The most rich-text items in one array (Notion's limit).
const MAX_ITEMS: usize = 100;

/// The report page written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportPage {
    /// The new page.
    pub page: PageId,
    /// Its link.
    pub url: String,
    /// Earlier report pages moved to the trash.
    pub replaced: usize,
}

/// Writes `report` as the page [`REPORT_TITLE`] under the registry's page, replacing the
/// previous one (see the [module documentation](self)). Every write goes through the client:
/// the page (`POST /v1/pages`), its blocks (appends), the earlier pages' trashing.
pub async fn write_report_page(
    control: &NotionClient,
    registry: &Registry,
    report: &AuditReport,
) -> Result<ReportPage> {
    let parent = registry.page(control, "the audit report").await?;
    let previous: Vec<PageId> = control
        .block_children(BlockId::from(parent))
        .try_filter_map(|block| async move {
            let titled = block.block_type == "child_page"
                && !block.in_trash()
                && block
                    .content
                    .as_ref()
                    .and_then(|c| c.get("title"))
                    .and_then(Value::as_str)
                    .is_some_and(|title| title.trim() == REPORT_TITLE);
            Ok(titled.then(|| PageId::from_u128(block.id.as_u128())))
        })
        .try_collect()
        .await?;
    // Write::CreatePage: an unknown outcome is not sent again; a page made all the same is an
    // earlier report page to the next run.
    let page = control
        .create_page_json(json!({
            "parent": {"type": "page_id", "page_id": parent},
            "properties": {"title": {"title": [{"type": "text", "text": {"content": REPORT_TITLE}}]}},
        }))
        .await?;
    let written = humantime::format_rfc3339_seconds(std::time::SystemTime::now());
    let mut blocks = vec![block(
        "paragraph",
        rich_text(&format!(
            "Written by `notion-xws audit --to-notion` at {written} (UTC); each run replaces this \
             page."
        )),
    )];
    blocks.extend(markdown_blocks(&report.to_markdown()));
    write_body(control, page.id, &blocks).await?;
    let mut replaced = 0;
    for old in previous.into_iter().filter(|old| *old != page.id) {
        // Write::UpdatePage (`in_trash` without a mark): sent again when its outcome is unknown.
        control.set_page(old, json!({"in_trash": true})).await?;
        replaced += 1;
    }
    Ok(ReportPage {
        page: page.id,
        url: page.url,
        replaced,
    })
}

/// A block of `kind` holding `text`.
fn block(kind: &str, text: Vec<Value>) -> BlockNode {
    BlockNode {
        block: json!({"type": kind, kind: {"rich_text": text}}),
        children: Vec::new(),
    }
}

/// Markdown (as the audit renders it) as Notion blocks: see the [module documentation](self).
pub fn markdown_blocks(markdown: &str) -> Vec<BlockNode> {
    let mut blocks = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let lines: Vec<&str> = markdown.lines().collect();
    let flush = |paragraph: &mut Vec<&str>, blocks: &mut Vec<BlockNode>| {
        if !paragraph.is_empty() {
            blocks.push(block("paragraph", rich_text(&joined(paragraph))));
            paragraph.clear();
        }
    };
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        if let Some((level, text)) = heading(line) {
            flush(&mut paragraph, &mut blocks);
            blocks.push(block(&format!("heading_{level}"), rich_text(text)));
        } else if let Some(item) = trimmed.strip_prefix("- ").filter(|_| line == trimmed) {
            flush(&mut paragraph, &mut blocks);
            // The item, and the lines indented under it.
            let mut item_lines = vec![item];
            while i + 1 < lines.len()
                && lines[i + 1].starts_with("  ")
                && !lines[i + 1].trim().is_empty()
            {
                i += 1;
                item_lines.push(lines[i].trim());
            }
            blocks.push(block("bulleted_list_item", rich_text(&joined(&item_lines))));
        } else if trimmed.starts_with('|') {
            flush(&mut paragraph, &mut blocks);
            let start = i;
            while i + 1 < lines.len() && lines[i + 1].trim_start().starts_with('|') {
                i += 1;
            }
            blocks.push(table(&lines[start..=i]));
        } else if trimmed.is_empty() {
            flush(&mut paragraph, &mut blocks);
        } else {
            paragraph.push(line);
        }
        i += 1;
    }
    flush(&mut paragraph, &mut blocks);
    blocks
}

/// A heading line's level (1 to 3) and text.
fn heading(line: &str) -> Option<(usize, &str)> {
    let hashes = line.len() - line.trim_start_matches('#').len();
    let text = line[hashes..].strip_prefix(' ')?;
    (1..=3).contains(&hashes).then_some((hashes, text.trim()))
}

/// Lines of one paragraph or item: a line that ends in two spaces (a Markdown line break)
/// breaks the text there, other lines are joined by a space.
fn joined(lines: &[&str]) -> String {
    let mut text = String::new();
    for (n, line) in lines.iter().enumerate() {
        if n > 0 {
            let hard = lines[n - 1].ends_with("  ");
            text.push(if hard { '\n' } else { ' ' });
        }
        text.push_str(line.trim());
    }
    text
}

/// A Markdown table as a Notion table, its first row the header when a separator row follows.
fn table(lines: &[&str]) -> BlockNode {
    let is_separator = |line: &str| {
        let inner = line.trim().trim_matches('|');
        !inner.is_empty() && inner.chars().all(|c| matches!(c, '-' | ':' | '|' | ' '))
    };
    let header = lines.get(1).is_some_and(|line| is_separator(line));
    let rows: Vec<Vec<String>> = lines
        .iter()
        .filter(|line| !is_separator(line))
        .map(|line| cells(line))
        .collect();
    let width = rows.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let children = rows
        .iter()
        .map(|row| {
            let cells: Vec<Value> = (0..width)
                .map(|n| Value::Array(rich_text(row.get(n).map_or("", String::as_str))))
                .collect();
            BlockNode {
                block: json!({"type": "table_row", "table_row": {"cells": cells}}),
                children: Vec::new(),
            }
        })
        .collect();
    BlockNode {
        block: json!({"type": "table", "table": {
            "table_width": width,
            "has_column_header": header,
            "has_row_header": false,
        }}),
        children,
    }
}

/// The cells of a Markdown table row (`\|` is a `|` inside a cell).
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim();
    let inner = inner.strip_prefix('|').unwrap_or(inner);
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut cells = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                chars.next();
                if let Some(cell) = cells.last_mut() {
                    cell.push('|');
                }
            }
            '|' => cells.push(String::new()),
            c => {
                if let Some(cell) = cells.last_mut() {
                    cell.push(c);
                }
            }
        }
    }
    cells
        .into_iter()
        .map(|cell| cell.trim().to_owned())
        .collect()
}

/// Inline Markdown as rich text: `**bold**` and `` `code` `` as annotations, each segment at most
/// 2,000 characters, at most 100 segments (the rest of the text in the last one's style).
fn rich_text(text: &str) -> Vec<Value> {
    let mut styled: Vec<(String, bool, bool)> = Vec::new();
    let (mut bold, mut code) = (false, false);
    let mut current = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        if !code && rest.starts_with("**") {
            styled.push((std::mem::take(&mut current), bold, code));
            bold = !bold;
            rest = &rest[2..];
        } else if rest.starts_with('`') {
            styled.push((std::mem::take(&mut current), bold, code));
            code = !code;
            rest = &rest[1..];
        } else {
            let c = rest.chars().next().unwrap_or_default();
            current.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    styled.push((current, bold, code));
    let mut items: Vec<Value> = Vec::new();
    for (text, bold, code) in styled.iter().filter(|(t, ..)| !t.is_empty()) {
        for piece in split_text(text) {
            let mut item = json!({"type": "text", "text": {"content": piece}});
            if *bold || *code {
                item["annotations"] = json!({"bold": bold, "code": code});
            }
            items.push(item);
        }
    }
    if items.len() > MAX_ITEMS {
        // Past Notion's limit: the rest as plain text in the last items.
        let rest: String = items[MAX_ITEMS - 1..]
            .iter()
            .filter_map(|i| i["text"]["content"].as_str())
            .collect();
        items.truncate(MAX_ITEMS - 1);
        let pieces = split_text(&rest);
        let room = MAX_ITEMS - items.len();
        items.extend(
            pieces
                .into_iter()
                .take(room)
                .map(|piece| json!({"type": "text", "text": {"content": piece}})),
        );
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(node: &BlockNode) -> String {
        let kind = node.block["type"].as_str().unwrap();
        node.block[kind]["rich_text"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["text"]["content"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn the_audits_markdown_becomes_blocks() {
        let markdown = "# Registry audit\n\nControl **bot** in workspace **W**. 2 finding(s).\n\n\
            ## Tokens\n\n| Metric | Count |\n|---|---|\n| A \\| B | 3 |\n| C | 4 |\n\n\
            - **Acme** `token.invalid`: refused  \n  Fix: give it a token\n- second\n";
        let blocks = markdown_blocks(markdown);
        let kinds: Vec<&str> = blocks
            .iter()
            .map(|b| b.block["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "heading_1",
                "paragraph",
                "heading_2",
                "table",
                "bulleted_list_item",
                "bulleted_list_item"
            ]
        );
        assert_eq!(
            texts(&blocks[1]),
            "Control bot in workspace W. 2 finding(s)."
        );
        let bold = &blocks[1].block["paragraph"]["rich_text"][1];
        assert_eq!(bold["annotations"]["bold"], true);
        let table = &blocks[3];
        assert_eq!(table.block["table"]["table_width"], 2);
        assert_eq!(table.block["table"]["has_column_header"], true);
        assert_eq!(table.children.len(), 3);
        assert_eq!(
            table.children[1].block["table_row"]["cells"][0][0]["text"]["content"],
            "A | B"
        );
        assert_eq!(
            texts(&blocks[4]),
            "Acme token.invalid: refused\nFix: give it a token"
        );
        let code = &blocks[4].block["bulleted_list_item"]["rich_text"][2];
        assert_eq!(code["annotations"]["code"], true);
    }

    #[test]
    fn long_text_is_cut_within_notions_limits() {
        let long = "x".repeat(4500);
        let blocks = markdown_blocks(&long);
        let items = blocks[0].block["paragraph"]["rich_text"]
            .as_array()
            .unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(texts(&blocks[0]), long);
        let many = "**a** ".repeat(150);
        let items = rich_text(&many);
        assert_eq!(items.len(), MAX_ITEMS);
    }
}
