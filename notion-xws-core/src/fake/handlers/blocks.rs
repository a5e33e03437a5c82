//! The blocks endpoints: the children of a page or block (list and append, with Notion's limits on
//! count and nesting), retrieve, update and delete a block, and the checks every block payload goes
//! through.

use serde_json::{Value, json};

use super::{
    ARCHIVED_BLOCK, Done, is_block_like, is_database, is_page, list_json, object_of, paging, window,
};
use crate::fake::block_requests::CheckedBlock;
use crate::fake::render::Ctx;
use crate::fake::reply::only_keys;
use crate::fake::reply::{Fail, Reply};
use crate::fake::state::{Block, IdStyle, Kind, Object, Parent, State, uuid};
use crate::fake::validate::{object, parse_id};

impl State {
    /// Checks the blocks of a request's `children` (see [`crate::fake::block_requests`]) written
    /// in workspace `ws` (whose uploads its media blocks may attach), `level` 1 being the top.
    pub(super) fn check_blocks(
        &mut self,
        ws: usize,
        path: &str,
        value: &Value,
        level: u8,
    ) -> Reply<Vec<CheckedBlock>> {
        self.block_requests(ws, path, value, level)
    }

    /// Creates checked blocks under `under` (after `after`, or at the end), returning their IDs.
    pub(super) fn create_blocks(
        &mut self,
        ws: usize,
        under: u128,
        parent: Parent,
        blocks: Vec<CheckedBlock>,
        by: u128,
        after: Option<Option<u128>>,
    ) -> Vec<u128> {
        let mut ids = Vec::new();
        for block in blocks {
            let id = self.new_id(IdStyle::V8);
            self.insert(
                id,
                ws,
                parent,
                by,
                Kind::Block(Block {
                    kind: block.kind,
                    content: block.content,
                    children: Vec::new(),
                }),
            );
            if !block.children.is_empty() {
                self.create_blocks(ws, id, Parent::Block(id), block.children, by, None);
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
        only_keys("body", body, &["children", "position", "after"])?;
        if body.contains_key("position") && body.contains_key("after") {
            return Err(Fail::not_present("body.after", &body["after"]));
        }
        let children = body
            .get("children")
            .ok_or_else(|| Fail::missing("body.children"))?;
        let blocks = self.check_blocks(ws, "body.children", children, 1)?;
        let after = match (body.get("position"), body.get("after")) {
            (Some(position), _) => position_of(position)?,
            // `after` is gone from 2026-03-11 (replaced by `position`).
            (None, Some(after)) if !ctx.version.takes_after() => {
                return Err(Fail::not_present("body.after", after));
            }
            (None, Some(after)) => Some(Some(parse_id("body.after", after)?)),
            (None, None) => None,
        };
        let by = self.bot(ctx.integration);
        let ids = self.create_blocks(ws, id, parent, blocks, by, after);
        self.touch_content(id, by);
        self.emit_content_updated(&ids, by);
        let results = ids
            .iter()
            .filter_map(|c| self.objects.get(c))
            .map(|o| self.block_json(o, ctx))
            .collect();
        Ok(Done {
            body: list_json(results, None, false, "block"),
            created: Some(id),
            children: ids,
            bare: false,
            status: 200,
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
        // `archived` is gone from 2026-03-11: Notion answers "body.archived should be not
        // present, instead was `true`." (quoted by several scripts moving to `in_trash`).
        if !ctx.version.has_archived()
            && let Some(archived) = body.get("archived")
        {
            return Err(Fail::not_present("body.archived", archived));
        }
        let trash = Self::check_archived_field(ctx, body)?;
        let edits = body.keys().any(|k| k != "in_trash" && k != "archived");
        if trashed && trash != Some(false) && edits {
            return Err(Fail::validation(ARCHIVED_BLOCK));
        }
        let update = self.block_update(ws, kind.as_deref(), body)?;
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
        self.emit_content_updated(&[id], by);
        self.block_get(ctx, id)
    }

    pub(super) fn block_delete(&mut self, ctx: Ctx, id: u128) -> Reply {
        self.get_visible(ctx.integration, id, "block", is_block_like)?;
        let by = self.bot(ctx.integration);
        if self.objects.get(&id).is_some_and(is_database) {
            self.set_trash(id, true, "database", by);
            self.touch_content(id, by);
            return self.block_get(ctx, id);
        }
        if let Some(object) = self.objects.get_mut(&id) {
            object.in_trash = true;
        }
        self.touch_content(id, by);
        if self.objects.get(&id).is_some_and(is_page) {
            let parent = json!({"parent": self.event_parent(id)});
            self.emit(
                "page.deleted",
                id,
                json!({"id": uuid(id), "type": "page"}),
                parent,
                by,
            );
        } else {
            self.emit_content_updated(&[id], by);
        }
        self.block_get(ctx, id)
    }
}

/// Where an append's `position` (the SDK's `ContentPositionSchema`) puts the blocks: `None` at
/// the end, `Some(None)` at the start, `Some(Some(id))` after the block `id`.
fn position_of(position: &Value) -> Reply<Option<Option<u128>>> {
    let map = object("body.position", position)?;
    let kind = match map.get("type") {
        Some(Value::String(kind)) if ["after_block", "start", "end"].contains(&kind.as_str()) => {
            kind.as_str()
        }
        Some(other) => {
            return Err(Fail::enumeration(
                "body.position.type",
                &["after_block", "start", "end"],
                other,
            ));
        }
        None => return Err(Fail::missing("body.position.type")),
    };
    if kind != "after_block" {
        only_keys("body.position", map, &["type"])?;
        return Ok(if kind == "start" { Some(None) } else { None });
    }
    only_keys("body.position", map, &["type", "after_block"])?;
    let target = map
        .get("after_block")
        .ok_or_else(|| Fail::missing("body.position.after_block"))?;
    let target = object("body.position.after_block", target)?;
    only_keys("body.position.after_block", target, &["id"])?;
    let id = target
        .get("id")
        .ok_or_else(|| Fail::missing("body.position.after_block.id"))?;
    Ok(Some(Some(parse_id("body.position.after_block.id", id)?)))
}
