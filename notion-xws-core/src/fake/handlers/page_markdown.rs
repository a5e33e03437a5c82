//! A page's content as Markdown: `GET /v1/pages/{id}/markdown`, `PATCH
//! /v1/pages/{id}/markdown` (inline, or as an async task with `allow_async`), and `GET
//! /v1/async_tasks/{id}`.
//!
//! The rules are the SDK's `pages.ts` (`UpdatePageMarkdownBodyParameters`) and
//! `async-tasks.ts`; the Markdown is the fake's subset of Notion-flavored Markdown (see
//! `markdown`). The answer is `{object: "page_markdown", id, markdown, truncated,
//! unknown_block_ids}`, as recorded (`test_pages_retrieve_markdown`,
//! `test_pages_update_markdown`): blocks one a line, blocks without a Markdown form left out and
//! named in `unknown_block_ids`. An update is one of `insert_content` (at the end, at the
//! `start`, or `after` a selection), `replace_content_range` (the blocks a selection covers),
//! `update_content` (search-and-replace on the Markdown: each `old_str` must match once, or
//! `replace_all_matches`) and `replace_content` (everything). A selection is
//! `"start text...end text"` (or a text without `...`): the blocks from the first whose Markdown
//! contains the start to the first from there that contains the end. Child pages and databases
//! are `<page>` and `<database>` lines; an update that would drop one is refused unless
//! `allow_deleting_content`. With `allow_async: true` the update is answered 202 with an
//! `async_task` (as recorded in `test_async_tasks_retrieve`) whose result the task endpoint
//! gives; the fake applies the change when it answers.

use serde_json::{Map, Value, json};

use super::{Done, is_page};
use crate::fake::clock::format_iso;
use crate::fake::markdown::{MdItem, parse_blocks, rich_text_markdown};
use crate::fake::render::Ctx;
use crate::fake::reply::{Fail, Reply, only_keys};
use crate::fake::state::{IdStyle, Kind, Object, Parent, State, uuid};
use crate::fake::validate::{array, object, opt_bool};
use crate::ids::ObjectId;

/// The update types of `PATCH /v1/pages/{id}/markdown`.
const UPDATE_TYPES: [&str; 4] = [
    "insert_content",
    "replace_content_range",
    "update_content",
    "replace_content",
];

/// An async task of the fake: what it did, and its result.
#[derive(Debug, Clone)]
pub(crate) struct AsyncTask {
    pub(crate) id: String,
    pub(crate) workspace: usize,
    pub(crate) created_ms: i64,
    pub(crate) operation: &'static str,
    pub(crate) result: Value,
}

/// One top-level block of a page, as Markdown.
struct Segment {
    text: String,
    id: u128,
    /// A child page or database.
    child: bool,
}

fn text_of<'a>(map: &'a Map<String, Value>, path: &str, key: &str) -> Reply<&'a str> {
    let value = map
        .get(key)
        .ok_or_else(|| Fail::missing(&format!("{path}.{key}")))?;
    value
        .as_str()
        .ok_or_else(|| Fail::body(&format!("{path}.{key}"), "a string", value))
}

/// The range of segments a selection covers (`"start...end"`, or one text).
fn select(segments: &[Segment], selection: &str, path: &str) -> Reply<(usize, usize)> {
    let (start, end) = selection
        .split_once("...")
        .unwrap_or((selection, selection));
    let first = segments
        .iter()
        .position(|s| s.text.contains(start))
        .ok_or_else(|| Fail::validation(format!("{path} does not match the page's content.")))?;
    let last = segments[first..]
        .iter()
        .position(|s| s.text.contains(end))
        .map(|i| i + first)
        .ok_or_else(|| Fail::validation(format!("{path} does not match the page's content.")))?;
    Ok((first, last))
}

impl State {
    /// The Markdown of the blocks `ids` at indentation `depth`, and the blocks left out.
    fn blocks_markdown(
        &self,
        ids: &[u128],
        depth: usize,
        lines: &mut Vec<String>,
        unknown: &mut Vec<u128>,
    ) {
        for id in ids {
            let Some(object) = self.objects.get(id).filter(|o| !o.in_trash) else {
                continue;
            };
            let indent = "\t".repeat(depth);
            match &object.kind {
                Kind::Page(_) => lines.push(format!(
                    "{indent}<page url=\"{}\">{}</page>",
                    crate::fake::urls::object_url(*id, &self.page_title(object)),
                    self.page_title(object)
                )),
                Kind::Database(d) => lines.push(format!(
                    "{indent}<database url=\"{}\">{}</database>",
                    crate::fake::urls::object_url(*id, ""),
                    crate::fake::rich_text::plain_text(&d.title)
                )),
                Kind::Block(b) => {
                    let rich = || rich_text_markdown(&b.content["rich_text"]);
                    let line = match b.kind.as_str() {
                        "paragraph" if rich().is_empty() => "<empty-block/>".to_owned(),
                        "paragraph" => rich(),
                        "heading_1" => format!("# {}", rich()),
                        "heading_2" => format!("## {}", rich()),
                        "heading_3" => format!("### {}", rich()),
                        "bulleted_list_item" => format!("- {}", rich()),
                        "numbered_list_item" => format!("1. {}", rich()),
                        "to_do" if b.content["checked"] == true => format!("- [x] {}", rich()),
                        "to_do" => format!("- [ ] {}", rich()),
                        "quote" => format!("> {}", rich()),
                        "divider" => "---".to_owned(),
                        "code" => {
                            let language = b.content["language"].as_str().unwrap_or("plain text");
                            let code = crate::fake::rich_text::plain_text(&b.content["rich_text"]);
                            let body = code
                                .lines()
                                .map(|l| format!("{indent}{l}"))
                                .collect::<Vec<_>>()
                                .join("\n");
                            format!("```{language}\n{body}\n{indent}```")
                        }
                        _ => {
                            unknown.push(*id);
                            continue;
                        }
                    };
                    lines.push(format!("{indent}{line}"));
                    self.blocks_markdown(&b.children, depth + 1, lines, unknown);
                }
                Kind::DataSource(_) => {}
            }
        }
    }

    /// The page's top-level blocks as Markdown segments, and the blocks left out.
    fn segments(&self, page: u128) -> (Vec<Segment>, Vec<u128>) {
        let children = self
            .objects
            .get(&page)
            .map(|o| o.children().to_vec())
            .unwrap_or_default();
        let mut segments = Vec::new();
        let mut unknown = Vec::new();
        for id in children {
            let mut lines = Vec::new();
            self.blocks_markdown(&[id], 0, &mut lines, &mut unknown);
            if lines.is_empty() {
                continue;
            }
            let child = self
                .objects
                .get(&id)
                .is_some_and(|o| !matches!(o.kind, Kind::Block(_)));
            segments.push(Segment {
                text: lines.join("\n"),
                id,
                child,
            });
        }
        (segments, unknown)
    }

    fn page_markdown_json(&self, page: u128) -> Value {
        let (segments, unknown) = self.segments(page);
        let markdown: Vec<&str> = segments.iter().map(|s| s.text.as_str()).collect();
        json!({
            "object": "page_markdown",
            "id": uuid(page),
            "markdown": markdown.join("\n"),
            "truncated": false,
            "unknown_block_ids": unknown.iter().map(|u| uuid(*u)).collect::<Vec<_>>(),
        })
    }

    pub(super) fn page_markdown_get(&self, ctx: Ctx, id: u128, q: &[(String, String)]) -> Reply {
        self.get_visible(ctx.integration, id, "page", is_page)?;
        if let Some((_, v)) = q.iter().find(|(k, _)| k == "include_transcript")
            && v != "true"
            && v != "false"
        {
            return Err(Fail::validation(format!(
                "query failed validation: query.include_transcript should be a boolean, instead was `\"{v}\"`."
            )));
        }
        Ok(self.page_markdown_json(id))
    }

    pub(super) fn page_markdown_patch(&mut self, ctx: Ctx, id: u128, body: &Value) -> Reply<Done> {
        self.get_visible(ctx.integration, id, "page", is_page)?;
        if self.trashed(id) {
            return Err(Fail::validation(super::ARCHIVED_BLOCK));
        }
        let body = object("body", body)?;
        let is_async = opt_bool(body, "allow_async")?.unwrap_or(false);
        let kind_value = body.get("type").ok_or_else(|| Fail::missing("body.type"))?;
        let kind = kind_value
            .as_str()
            .filter(|k| UPDATE_TYPES.contains(k))
            .ok_or_else(|| Fail::enumeration("body.type", &UPDATE_TYPES, kind_value))?;
        let mut allowed = vec!["type", "allow_async", kind];
        allowed.dedup();
        only_keys("body", body, &allowed)?;
        let path = format!("body.{kind}");
        let op = object(&path, body.get(kind).ok_or_else(|| Fail::missing(&path))?)?;
        let (segments, _) = self.segments(id);
        let texts: Vec<String> = segments.iter().map(|s| s.text.clone()).collect();
        let (new_texts, allow_deleting) = match kind {
            "insert_content" => {
                only_keys(&path, op, &["content", "after", "position"])?;
                let content = text_of(op, &path, "content")?.to_owned();
                let at = match (op.get("after"), op.get("position")) {
                    (Some(_), Some(_)) => {
                        return Err(Fail::validation(format!(
                            "body failed validation: {path}.position should be not present when {path}.after is present."
                        )));
                    }
                    (Some(after), None) => {
                        let after = after.as_str().ok_or_else(|| {
                            Fail::body(&format!("{path}.after"), "a string", after)
                        })?;
                        select(&segments, after, &format!("{path}.after"))?.1 + 1
                    }
                    (None, Some(position)) => {
                        let position = object(&format!("{path}.position"), position)?;
                        match position.get("type").and_then(Value::as_str) {
                            Some("start") => 0,
                            Some("end") => texts.len(),
                            _ => {
                                return Err(Fail::enumeration(
                                    &format!("{path}.position.type"),
                                    &["start", "end"],
                                    position.get("type").unwrap_or(&Value::Null),
                                ));
                            }
                        }
                    }
                    (None, None) => texts.len(),
                };
                let mut new = texts.clone();
                new.insert(at, content);
                (new, false)
            }
            "replace_content_range" => {
                only_keys(
                    &path,
                    op,
                    &["content", "content_range", "allow_deleting_content"],
                )?;
                let content = text_of(op, &path, "content")?.to_owned();
                let range = text_of(op, &path, "content_range")?;
                let (first, last) = select(&segments, range, &format!("{path}.content_range"))?;
                let mut new = texts.clone();
                new.splice(first..=last, [content]);
                (
                    new,
                    opt_bool(op, "allow_deleting_content")?.unwrap_or(false),
                )
            }
            "update_content" => {
                only_keys(&path, op, &["content_updates", "allow_deleting_content"])?;
                let updates = array(
                    &format!("{path}.content_updates"),
                    op.get("content_updates")
                        .ok_or_else(|| Fail::missing(&format!("{path}.content_updates")))?,
                )?;
                let mut markdown = texts.join("\n");
                for (i, update) in updates.iter().enumerate() {
                    let at = format!("{path}.content_updates[{i}]");
                    let update = object(&at, update)?;
                    only_keys(&at, update, &["old_str", "new_str", "replace_all_matches"])?;
                    let old = text_of(update, &at, "old_str")?;
                    let new = text_of(update, &at, "new_str")?;
                    let all = opt_bool(update, "replace_all_matches")?.unwrap_or(false);
                    match markdown.matches(old).count() {
                        0 => {
                            return Err(Fail::validation(format!(
                                "{at}.old_str does not match the page's content."
                            )));
                        }
                        1 => markdown = markdown.replacen(old, new, 1),
                        _ if all => markdown = markdown.replace(old, new),
                        n => {
                            return Err(Fail::validation(format!(
                                "{at}.old_str matches the page's content {n} times; set replace_all_matches to replace them all."
                            )));
                        }
                    }
                }
                (
                    vec![markdown],
                    opt_bool(op, "allow_deleting_content")?.unwrap_or(false),
                )
            }
            _ => {
                only_keys(&path, op, &["new_str", "allow_deleting_content"])?;
                let new = text_of(op, &path, "new_str")?.to_owned();
                (
                    vec![new],
                    opt_bool(op, "allow_deleting_content")?.unwrap_or(false),
                )
            }
        };
        let items = parse_blocks(&new_texts.join("\n\n"));
        let kept: Vec<u128> = items
            .iter()
            .filter_map(|i| match i {
                MdItem::Child(hex) => ObjectId::parse(hex).ok().map(ObjectId::as_u128),
                MdItem::Block(_) => None,
            })
            .collect();
        let dropped: Vec<u128> = segments
            .iter()
            .filter(|s| s.child && !kept.contains(&s.id))
            .map(|s| s.id)
            .collect();
        if !dropped.is_empty() && !allow_deleting {
            return Err(Fail::validation(format!(
                "The update would delete child pages or databases ({}); set allow_deleting_content to true to allow it.",
                dropped
                    .iter()
                    .map(|d| uuid(*d))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let ws = self.workspace_of(ctx);
        let mut plan = Vec::new();
        for item in items {
            match item {
                MdItem::Block(block) => {
                    let checked = self.check_blocks(ws, "body.markdown", &json!([block]), 1)?;
                    plan.push(Ok(checked));
                }
                MdItem::Child(hex) => {
                    let child = ObjectId::parse(&hex).map(ObjectId::as_u128).ok();
                    match child.filter(|c| segments.iter().any(|s| s.child && s.id == *c)) {
                        Some(c) => plan.push(Err(c)),
                        None => {
                            return Err(Fail::validation(format!(
                                "A <page> or <database> line names {hex}, which is not a child of this page; move pages with POST /v1/pages/{{id}}/move."
                            )));
                        }
                    }
                }
            }
        }
        // Apply: trash the old blocks and dropped children, then lay the new content out.
        let by = self.bot(ctx.integration);
        for segment in &segments {
            if (!segment.child || dropped.contains(&segment.id))
                && let Some(o) = self.objects.get_mut(&segment.id)
            {
                o.in_trash = true;
            }
        }
        let unknown: Vec<u128> = self
            .objects
            .get(&id)
            .map(|o| o.children().to_vec())
            .unwrap_or_default()
            .into_iter()
            .filter(|c| !segments.iter().any(|s| s.id == *c))
            .collect();
        if let Some(children) = self.objects.get_mut(&id).and_then(Object::children_mut) {
            children.clear();
        }
        for step in plan {
            match step {
                Ok(blocks) => {
                    self.create_blocks(ws, id, Parent::Page(id), blocks, by, None);
                }
                Err(child) => {
                    if let Some(children) = self.objects.get_mut(&id).and_then(Object::children_mut)
                    {
                        children.push(child);
                    }
                }
            }
        }
        // Blocks without a Markdown form stay, after the new content.
        if let Some(children) = self.objects.get_mut(&id).and_then(Object::children_mut) {
            children.extend(unknown);
        }
        self.touch(id, by);
        let blocks = self
            .objects
            .get(&id)
            .map(|o| o.children().to_vec())
            .unwrap_or_default();
        if blocks.is_empty() {
            let parent = json!({"parent": self.event_parent(id), "updated_blocks": []});
            self.emit(
                "page.content_updated",
                id,
                json!({"id": uuid(id), "type": "page"}),
                parent,
                by,
            );
        } else {
            self.emit_content_updated(&blocks, by);
        }
        let result = self.page_markdown_json(id);
        if !is_async {
            return Ok(Done::new(result));
        }
        let task = format!(
            "task_{}",
            ObjectId::from_u128(self.new_id(IdStyle::V4)).simple()
        );
        let now = self.clock.now_ms();
        let mut answer = self.async_task_json(&task, now, "PATCH /v1/pages/:page_id/markdown");
        answer["status"] = json!("queued");
        answer["poll_after_seconds"] = json!(2);
        self.async_tasks.push(AsyncTask {
            id: task,
            workspace: ws,
            created_ms: now,
            operation: "PATCH /v1/pages/:page_id/markdown",
            result,
        });
        Ok(Done {
            status: 202,
            ..Done::new(answer)
        })
    }

    fn async_task_json(&self, id: &str, created_ms: i64, operation: &str) -> Value {
        json!({
            "object": "async_task",
            "id": id,
            "status": "succeeded",
            "status_url": format!("https://api.notion.com/v1/async_tasks/{id}"),
            "created_time": format_iso(created_ms),
            "operation": {"surface": "rest", "name": operation},
        })
    }

    pub(super) fn async_task_get(&self, ctx: Ctx, id: &str) -> Reply {
        let ws = self.workspace_of(ctx);
        let task = self
            .async_tasks
            .iter()
            .find(|t| t.id == id && t.workspace == ws)
            .ok_or_else(|| {
                Fail::new(
                    404,
                    "object_not_found",
                    format!("Could not find async task with ID: {id}."),
                )
            })?;
        let mut answer = self.async_task_json(&task.id, task.created_ms, task.operation);
        answer["result"] = task.result.clone();
        Ok(answer)
    }
}
