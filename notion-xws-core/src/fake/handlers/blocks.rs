//! The blocks endpoints: the children of a page or block (list and append, with Notion's limits on
//! count and nesting), retrieve, update and delete a block, and the checks every block payload goes
//! through.

use serde_json::{Value, json};

use super::{
    ARCHIVED_BLOCK, Done, is_block_like, is_database, is_page, list_json, object_of, paging, window,
};
use crate::fake::render::Ctx;
use crate::fake::reply::{Fail, Reply};
use crate::fake::rich_text::rich_text;
use crate::fake::state::{Block, IdStyle, Kind, Object, Parent, State};
use crate::fake::validate::{array, object, parse_id};

/// The most block elements one request may hold, nested ones included.
const MAX_BLOCKS_PER_REQUEST: usize = 1000;

/// The block elements of a `children` array, nested ones included (under the type's key or
/// beside it).
fn count_blocks(value: &Value) -> usize {
    value.as_array().map_or(0, |items| {
        items
            .iter()
            .map(|item| {
                let kind = item.get("type").and_then(Value::as_str);
                let nested = kind
                    .and_then(|k| item.get(k))
                    .and_then(|content| content.get("children"))
                    .or_else(|| item.get("children"))
                    .or_else(|| {
                        item.as_object().and_then(|map| {
                            map.values().find_map(|content| content.get("children"))
                        })
                    });
                1 + nested.map_or(0, count_blocks)
            })
            .sum()
    })
}

impl State {
    /// Checks blocks of a request (≤ 100 per array, two levels of nesting at most) written in
    /// workspace `ws` (whose uploads its media blocks may attach).
    pub(super) fn check_blocks(
        &mut self,
        ws: usize,
        path: &str,
        value: &Value,
        level: usize,
    ) -> Reply<Vec<(String, Value, Vec<Value>)>> {
        let items = array(path, value)?;
        if level == 1 {
            let total = count_blocks(value);
            if total > MAX_BLOCKS_PER_REQUEST {
                return Err(Fail::validation(format!(
                    "body failed validation: {path} holds {total} block elements (nested ones included); a request may hold at most `{MAX_BLOCKS_PER_REQUEST}`."
                )));
            }
        }
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = format!("{path}[{i}]");
            let map = object(&at, item)?;
            let kind = match map.get("type") {
                Some(Value::String(k)) => k.clone(),
                Some(other) => return Err(Fail::body(&format!("{at}.type"), "a string", other)),
                None => map
                    .keys()
                    .find(|k| !matches!(k.as_str(), "object" | "type" | "children"))
                    .cloned()
                    .ok_or_else(|| Fail::missing(&format!("{at}.type")))?,
            };
            if matches!(kind.as_str(), "child_page" | "child_database") {
                return Err(Fail::validation(format!(
                    "body failed validation: {at}.type `{kind}` cannot be created by appending blocks; create a page or a database instead."
                )));
            }
            let mut content = map.get(&kind).cloned().unwrap_or_else(|| json!({}));
            let Some(fields) = content.as_object_mut() else {
                return Err(Fail::body(&format!("{at}.{kind}"), "an object", &content));
            };
            let nested = fields
                .remove("children")
                .or_else(|| map.get("children").cloned());
            for key in ["rich_text", "caption"] {
                if let Some(text) = fields.get(key).cloned() {
                    fields.insert(key.into(), rich_text(&format!("{at}.{kind}.{key}"), &text)?);
                }
            }
            if crate::fake::files::MEDIA_BLOCKS.contains(&kind.as_str()) {
                self.media_payload(ws, &format!("{at}.{kind}"), &kind, fields)?;
            }
            if matches!(
                kind.as_str(),
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
            ) {
                fields.entry("color").or_insert_with(|| json!("default"));
                if kind == "paragraph" {
                    fields.entry("icon").or_insert(Value::Null);
                }
                fields.entry("rich_text").or_insert_with(|| json!([]));
            }
            let children = match nested {
                None | Some(Value::Null) => Vec::new(),
                Some(nested) => {
                    if level >= 2 {
                        return Err(Fail::validation(format!(
                            "body failed validation: {at}.{kind}.children: a request may nest blocks two levels deep at most."
                        )));
                    }
                    array(&format!("{at}.{kind}.children"), &nested)?;
                    self.check_blocks(ws, &format!("{at}.{kind}.children"), &nested, level + 1)?;
                    nested.as_array().cloned().unwrap_or_default()
                }
            };
            out.push((kind, content, children));
        }
        Ok(out)
    }

    /// Creates checked blocks under `under` (after `after`, or at the end), returning their IDs.
    pub(super) fn create_blocks(
        &mut self,
        ws: usize,
        under: u128,
        parent: Parent,
        blocks: Vec<(String, Value, Vec<Value>)>,
        by: u128,
        after: Option<Option<u128>>,
    ) -> Vec<u128> {
        let mut ids = Vec::new();
        for (kind, content, nested) in blocks {
            let id = self.new_id(IdStyle::V8);
            self.insert(
                id,
                ws,
                parent,
                by,
                Kind::Block(Block {
                    kind,
                    content,
                    children: Vec::new(),
                }),
            );
            if !nested.is_empty()
                && let Ok(checked) = self.check_blocks(ws, "children", &Value::Array(nested), 2)
            {
                self.create_blocks(ws, id, Parent::Block(id), checked, by, None);
            }
            ids.push(id);
        }
        if let Some(children) = self.objects.get_mut(&under).and_then(Object::children_mut) {
            let at = match after {
                None => children.len(),
                Some(None) => 0,
                Some(Some(after)) => children
                    .iter()
                    .position(|c| *c == after)
                    .map_or(children.len(), |i| i + 1),
            };
            for (offset, id) in ids.iter().enumerate() {
                children.insert(at + offset, *id);
            }
        }
        ids
    }

    pub(super) fn children_list(&self, ctx: Ctx, id: u128, q: &[(String, String)]) -> Reply {
        let object = self.get_visible(ctx.integration, id, "block", is_block_like)?;
        let (size, cursor) = paging(None, q)?;
        let ids: Vec<u128> = object
            .children()
            .iter()
            .copied()
            .filter(|c| self.objects.get(c).is_some_and(|o| !o.in_trash))
            .collect();
        let w = window(&ids, cursor.as_deref(), size, usize::MAX)?;
        let results = w
            .ids
            .iter()
            .filter_map(|c| self.objects.get(c))
            .map(|o| self.block_json(o, ctx))
            .collect();
        Ok(list_json(results, w.next, w.has_more, "block"))
    }

    pub(super) fn children_append(&mut self, ctx: Ctx, id: u128, body: &Value) -> Reply<Done> {
        let object = self.get_visible(ctx.integration, id, "block", is_block_like)?;
        if is_database(object) {
            return Err(Fail::validation(
                "A database cannot have block children; create pages in its data source.",
            ));
        }
        let ws = object.workspace;
        let parent = if is_page(object) {
            Parent::Page(id)
        } else {
            Parent::Block(id)
        };
        if self.trashed(id) {
            return Err(Fail::validation(ARCHIVED_BLOCK));
        }
        let body = object_of(body)?;
        let children = body
            .get("children")
            .ok_or_else(|| Fail::missing("body.children"))?;
        let blocks = self.check_blocks(ws, "body.children", children, 1)?;
        let after = if let Some(position) = body.get("position") {
            match position.get("type").and_then(Value::as_str) {
                Some("start") => Some(None),
                Some("end") | None => None,
                Some("after_block") => Some(Some(parse_id(
                    "body.position.after_block.id",
                    position.pointer("/after_block/id").unwrap_or(&Value::Null),
                )?)),
                Some(other) => {
                    return Err(Fail::body(
                        "body.position.type",
                        "`start`, `end` or `after_block`",
                        &json!(other),
                    ));
                }
            }
        } else if let Some(after) = body.get("after") {
            Some(Some(parse_id("body.after", after)?))
        } else {
            None
        };
        let by = self.bot(ctx.integration);
        let ids = self.create_blocks(ws, id, parent, blocks, by, after);
        self.touch_content(id, by);
        let results = ids
            .iter()
            .filter_map(|c| self.objects.get(c))
            .map(|o| self.block_json(o, ctx))
            .collect();
        Ok(Done {
            body: list_json(results, None, false, "block"),
            created: Some(id),
            children: ids,
        })
    }

    pub(super) fn block_get(&self, ctx: Ctx, id: u128) -> Reply {
        let object = self.get_visible(ctx.integration, id, "block", is_block_like)?;
        Ok(self.block_json(object, ctx))
    }

    pub(super) fn block_patch(&mut self, ctx: Ctx, id: u128, body: &Value) -> Reply {
        let object = self.get_visible(ctx.integration, id, "block", is_block_like)?;
        let trashed = object.in_trash;
        let ws = object.workspace;
        let kind = match &object.kind {
            Kind::Block(b) => Some(b.kind.clone()),
            _ => None,
        };
        let body = object_of(body)?;
        let trash = Self::check_archived_field(ctx, body)?;
        let edits = body.keys().any(|k| k != "in_trash" && k != "archived");
        if trashed && trash != Some(false) && edits {
            return Err(Fail::validation(ARCHIVED_BLOCK));
        }
        let mut update = None;
        if let Some(kind) = &kind
            && let Some(content) = body.get(kind)
        {
            let fields = crate::fake::validate::object(&format!("body.{kind}"), content)?;
            let mut fields = fields.clone();
            for key in ["rich_text", "caption"] {
                if let Some(text) = fields.get(key).cloned() {
                    fields.insert(key.into(), rich_text(&format!("body.{kind}.{key}"), &text)?);
                }
            }
            let new_file = ["external", "file_upload", "file"]
                .iter()
                .any(|key| fields.contains_key(*key));
            if crate::fake::files::MEDIA_BLOCKS.contains(&kind.as_str()) && new_file {
                self.media_payload(ws, &format!("body.{kind}"), kind, &mut fields)?;
            }
            update = Some(fields);
        }
        let by = self.bot(ctx.integration);
        if let Some(object) = self.objects.get_mut(&id) {
            if let Some(t) = trash {
                object.in_trash = t;
            }
            if let (Kind::Block(b), Some(fields)) = (&mut object.kind, update)
                && let Some(content) = b.content.as_object_mut()
            {
                for (k, v) in fields {
                    content.insert(k, v);
                }
            }
        }
        self.touch_content(id, by);
        self.block_get(ctx, id)
    }

    pub(super) fn block_delete(&mut self, ctx: Ctx, id: u128) -> Reply {
        self.get_visible(ctx.integration, id, "block", is_block_like)?;
        let by = self.bot(ctx.integration);
        if let Some(object) = self.objects.get_mut(&id) {
            object.in_trash = true;
        }
        self.touch_content(id, by);
        self.block_get(ctx, id)
    }
}
