//! The comments endpoints: create (`POST /v1/comments`, on a page, a block or an existing
//! discussion), list (`GET /v1/comments?block_id=`), retrieve, update and delete
//! (`GET`/`PATCH`/`DELETE /v1/comments/{id}`).
//!
//! The rules are the SDK's `comments.ts`: the content is `rich_text` or `markdown` (inline
//! Markdown), exactly one of them; the place is a `parent` (`page_id` or `block_id`) or a
//! `discussion_id`, exactly one of them; at most three `attachments`, each a file upload whose
//! status is `uploaded`; `display_name` is `integration` (the default: the integration's name),
//! `user` (the workspace's owner, who installed it) or `custom` with a `name`. A new comment on a
//! page or block opens a discussion; one given a `discussion_id` joins it. Answers have the keys
//! of the recorded cassettes (`test_comments_*`): a comment's `parent` is the page or block it is
//! on; lists are `{object: "list", results, next_cursor, has_more, type: "comment", comment: {}}`
//! in creation order.

use serde_json::{Map, Value, json};

use super::{Done, list_json, paging, window};
use crate::fake::clock::format_iso;
use crate::fake::markdown::inline_rich_text;
use crate::fake::render::Ctx;
use crate::fake::reply::{Fail, Reply, only_keys};
use crate::fake::state::{Comment, IdStyle, Parent, State, uuid};
use crate::fake::validate::{array, object, parse_id};

/// The most attachments a comment takes.
const MAX_ATTACHMENTS: usize = 3;

/// The category of an attachment, from its content type.
fn category(content_type: &str) -> &'static str {
    match content_type.split('/').next().unwrap_or_default() {
        "image" => "image",
        "audio" => "audio",
        "video" => "video",
        _ if content_type == "application/pdf" => "pdf",
        _ => "productivity",
    }
}

impl State {
    /// The content of a create or update body: its rich text, read-shaped.
    fn comment_content(&self, body: &Map<String, Value>) -> Reply<Value> {
        match (body.get("rich_text"), body.get("markdown")) {
            (Some(_), Some(_)) => Err(Fail::validation(
                "body failed validation: body.markdown should be not present when body.rich_text is present, instead was present.",
            )),
            (Some(rich), None) => self.rich_text("body.rich_text", rich),
            (None, Some(Value::String(md))) => {
                self.rich_text("body.markdown", &inline_rich_text(md))
            }
            (None, Some(other)) => Err(Fail::body("body.markdown", "a string", other)),
            (None, None) => Err(Fail::one_of(vec![
                Fail::missing("body.rich_text"),
                Fail::missing("body.markdown"),
            ])),
        }
    }

    /// Where a new comment goes: its parent and its discussion (`None`: a new one).
    fn comment_place(&self, ctx: Ctx, body: &Map<String, Value>) -> Reply<(Parent, Option<u128>)> {
        match (body.get("parent"), body.get("discussion_id")) {
            (Some(_), Some(_)) => Err(Fail::not_present(
                "body.discussion_id",
                body.get("discussion_id").unwrap_or(&Value::Null),
            )),
            (Some(parent), None) => {
                let parent = object("body.parent", parent)?;
                if let Some(id) = parent.get("page_id") {
                    only_keys("body.parent", parent, &["page_id", "type"])?;
                    let id = parse_id("body.parent.page_id", id)?;
                    self.get_visible(ctx.integration, id, "page", super::is_page)?;
                    Ok((Parent::Page(id), None))
                } else if let Some(id) = parent.get("block_id") {
                    only_keys("body.parent", parent, &["block_id", "type"])?;
                    let id = parse_id("body.parent.block_id", id)?;
                    self.get_visible(ctx.integration, id, "block", super::is_block_like)?;
                    Ok((Parent::Block(id), None))
                } else {
                    Err(Fail::one_of(vec![
                        Fail::missing("body.parent.page_id"),
                        Fail::missing("body.parent.block_id"),
                    ]))
                }
            }
            (None, Some(discussion)) => {
                let id = parse_id("body.discussion_id", discussion)?;
                let ws = self.workspace_of(ctx);
                let first = self
                    .comments
                    .iter()
                    .find(|c| c.discussion == id && c.workspace == ws)
                    .filter(|c| self.visible(ctx.integration, parent_id(c.parent)));
                match first {
                    Some(c) => Ok((c.parent, Some(id))),
                    None => Err(self.not_found(ctx.integration, "discussion", id)),
                }
            }
            (None, None) => Err(Fail::one_of(vec![
                Fail::missing("body.parent"),
                Fail::missing("body.discussion_id"),
            ])),
        }
    }

    /// `display_name` as answered.
    fn display_name(&self, ctx: Ctx, given: Option<&Value>) -> Reply<Value> {
        let integration_name = self
            .integrations
            .get(ctx.integration)
            .map(|i| i.name.clone());
        let Some(given) = given else {
            return Ok(json!({"type": "integration", "resolved_name": integration_name}));
        };
        let map = object("body.display_name", given)?;
        let kind = map.get("type").cloned().unwrap_or(Value::Null);
        match kind.as_str() {
            Some("integration") => {
                only_keys("body.display_name", map, &["type"])?;
                Ok(json!({"type": "integration", "resolved_name": integration_name}))
            }
            Some("user") => {
                only_keys("body.display_name", map, &["type"])?;
                let ws = self.workspace_of(ctx);
                let owner = self
                    .users
                    .values()
                    .find(|u| u.workspace == ws && u.integration.is_none())
                    .map(|u| u.name.clone());
                Ok(json!({"type": "user", "resolved_name": owner}))
            }
            Some("custom") => {
                only_keys("body.display_name", map, &["type", "custom"])?;
                let name = map
                    .get("custom")
                    .and_then(|c| c.get("name"))
                    .ok_or_else(|| Fail::missing("body.display_name.custom.name"))?;
                let name = name
                    .as_str()
                    .ok_or_else(|| Fail::body("body.display_name.custom.name", "a string", name))?;
                Ok(json!({"type": "custom", "resolved_name": name}))
            }
            _ => Err(Fail::enumeration(
                "body.display_name.type",
                &["integration", "user", "custom"],
                &kind,
            )),
        }
    }

    /// `attachments` as answered: each a file upload of the workspace with status `uploaded`.
    fn attachments(&mut self, ws: usize, given: Option<&Value>) -> Reply<Vec<Value>> {
        let Some(given) = given else {
            return Ok(Vec::new());
        };
        let items = array("body.attachments", given)?;
        if items.len() > MAX_ATTACHMENTS {
            return Err(Fail::validation(format!(
                "body failed validation: body.attachments.length should be ≤ `{MAX_ATTACHMENTS}`, instead was `{}`.",
                items.len()
            )));
        }
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("body.attachments[{i}]");
            let map = object(&path, item)?;
            only_keys(&path, map, &["file_upload_id", "type"])?;
            if let Some(kind) = map.get("type")
                && kind != "file_upload"
            {
                return Err(Fail::enumeration(
                    &format!("{path}.type"),
                    &["file_upload"],
                    kind,
                ));
            }
            let id = map
                .get("file_upload_id")
                .ok_or_else(|| Fail::missing(&format!("{path}.file_upload_id")))?;
            let upload_id = parse_id(&format!("{path}.file_upload_id"), id)?;
            let content_type = self
                .file_uploads
                .get(&upload_id)
                .and_then(|f| f.content_type.as_str().map(str::to_owned))
                .unwrap_or_default();
            let file = self.file_value(ws, &path, &json!({"file_upload": {"id": id}}))?;
            out.push(json!({"category": category(&content_type), "file": file["file"]}));
        }
        Ok(out)
    }

    pub(super) fn comment_create(&mut self, ctx: Ctx, body: &Value) -> Reply<Done> {
        let body = object("body", body)?;
        let rich_text = self.comment_content(body)?;
        let (parent, discussion) = self.comment_place(ctx, body)?;
        let display_name = self.display_name(ctx, body.get("display_name"))?;
        let ws = self.workspace_of(ctx);
        let attachments = self.attachments(ws, body.get("attachments"))?;
        let id = self.new_id(IdStyle::V8);
        let discussion = match discussion {
            Some(d) => d,
            None => self.new_id(IdStyle::V8),
        };
        let now = self.clock.now_minute_ms();
        let comment = Comment {
            id,
            workspace: ws,
            parent,
            discussion,
            created_ms: now,
            edited_ms: now,
            created_by: self.bot(ctx.integration),
            rich_text,
            display_name,
            attachments,
        };
        let answer = self.comment_json(&comment, ctx);
        let event = self.comment_event(&comment);
        self.comments.push(comment);
        self.emit(
            "comment.created",
            id,
            json!({"id": uuid(id), "type": "comment"}),
            event,
            self.bot(ctx.integration),
        );
        Ok(Done::created(answer, id))
    }

    pub(super) fn comment_list(&self, ctx: Ctx, q: &[(String, String)]) -> Reply<Done> {
        let block = q
            .iter()
            .find(|(k, _)| k == "block_id")
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| {
                Fail::validation(
                    "query failed validation: query.block_id should be defined, instead was `undefined`.",
                )
            })?;
        let block = query_id("query.block_id", block)?;
        self.get_visible(ctx.integration, block, "block", super::is_block_like)?;
        let (size, cursor) = paging(None, q)?;
        let ids: Vec<u128> = self
            .comments
            .iter()
            .filter(|c| parent_id(c.parent) == block)
            .map(|c| c.id)
            .collect();
        let w = window(&ids, cursor.as_deref(), size, usize::MAX)?;
        let results = w
            .ids
            .iter()
            .filter_map(|id| self.comments.iter().find(|c| c.id == *id))
            .map(|c| self.comment_json(c, ctx))
            .collect();
        Ok(Done::new(list_json(results, w.next, w.has_more, "comment")))
    }

    /// The comment `id` if the integration sees what it is on, else Notion's 404.
    fn visible_comment(&self, ctx: Ctx, id: u128) -> Reply<usize> {
        let ws = self.workspace_of(ctx);
        self.comments
            .iter()
            .position(|c| {
                c.id == id
                    && c.workspace == ws
                    && self.visible(ctx.integration, parent_id(c.parent))
            })
            .ok_or_else(|| self.not_found(ctx.integration, "comment", id))
    }

    pub(super) fn comment_get(&self, ctx: Ctx, id: u128) -> Reply {
        let at = self.visible_comment(ctx, id)?;
        Ok(self.comment_json(&self.comments[at], ctx))
    }

    pub(super) fn comment_patch(&mut self, ctx: Ctx, id: u128, body: &Value) -> Reply {
        let at = self.visible_comment(ctx, id)?;
        let body = object("body", body)?;
        let rich_text = self.comment_content(body)?;
        let now = self.clock.now_minute_ms();
        let comment = &mut self.comments[at];
        comment.rich_text = rich_text;
        comment.edited_ms = now;
        let comment = comment.clone();
        let event = self.comment_event(&comment);
        let by = self.bot(ctx.integration);
        self.emit(
            "comment.updated",
            id,
            json!({"id": uuid(id), "type": "comment"}),
            event,
            by,
        );
        Ok(self.comment_json(&comment, ctx))
    }

    pub(super) fn comment_delete(&mut self, ctx: Ctx, id: u128) -> Reply {
        let at = self.visible_comment(ctx, id)?;
        let event = self.comment_event(&self.comments[at]);
        let by = self.bot(ctx.integration);
        self.emit(
            "comment.deleted",
            id,
            json!({"id": uuid(id), "type": "comment"}),
            event,
            by,
        );
        let comment = self.comments.remove(at);
        Ok(self.comment_json(&comment, ctx))
    }

    /// The `data` of a comment event: what it is on, and the page holding that.
    fn comment_event(&self, c: &Comment) -> Value {
        let on = parent_id(c.parent);
        let kind = if matches!(c.parent, Parent::Page(_)) {
            "page"
        } else {
            "block"
        };
        json!({"parent": {"id": uuid(on), "type": kind}, "page_id": uuid(self.content_page(on))})
    }

    /// A comment as Notion answers it.
    fn comment_json(&self, c: &Comment, ctx: Ctx) -> Value {
        let mut rich_text = c.rich_text.clone();
        self.read_rich_text(ctx.integration, &mut rich_text);
        let mut out = json!({
            "object": "comment",
            "id": uuid(c.id),
            "parent": self.parent_json(c.parent, ctx.version),
            "discussion_id": uuid(c.discussion),
            "created_time": format_iso(c.created_ms),
            "last_edited_time": format_iso(c.edited_ms),
            "created_by": {"object": "user", "id": uuid(c.created_by)},
            "rich_text": rich_text,
            "display_name": c.display_name,
        });
        if !c.attachments.is_empty()
            && let Some(map) = out.as_object_mut()
        {
            map.insert("attachments".into(), json!(c.attachments));
        }
        out
    }
}

/// The ID of what a comment is on.
fn parent_id(parent: Parent) -> u128 {
    match parent {
        Parent::Page(id) | Parent::Block(id) | Parent::Database(id) | Parent::DataSource(id) => id,
        Parent::Workspace => 0,
    }
}

/// An ID in a query string, else Notion's 400 naming it.
pub(super) fn query_id(path: &str, text: &str) -> Reply<u128> {
    crate::ids::ObjectId::parse(text)
        .map(crate::ids::ObjectId::as_u128)
        .map_err(|_| {
            Fail::validation(format!(
                "query failed validation: {path} should be a valid uuid, instead was `{}`.",
                crate::fake::reply::describe(&json!(text))
            ))
        })
}
