//! `GET /v1/custom_emojis`: the workspace's custom emojis, oldest first, paged, filtered by
//! exact `name` (the SDK's `custom-emojis.ts`). The list is `{object: "list", type:
//! "custom_emoji", results, has_more, next_cursor}`, as recorded (`test_custom_emojis_list`);
//! each emoji is `{id, name, url}`. Emojis are made with `FakeNotion::add_custom_emoji`.

use serde_json::json;

use super::{Done, paging, window};
use crate::fake::render::Ctx;
use crate::fake::reply::Reply;
use crate::fake::state::{State, uuid};

impl State {
    pub(super) fn custom_emojis_list(&self, ctx: Ctx, q: &[(String, String)]) -> Reply<Done> {
        let (size, cursor) = paging(None, q)?;
        let ws = self.workspace_of(ctx);
        let name = q.iter().find(|(k, _)| k == "name").map(|(_, v)| v.as_str());
        let emojis: Vec<_> = self
            .custom_emojis
            .iter()
            .filter(|e| e.workspace == ws && name.is_none_or(|n| e.name == n))
            .collect();
        let ids: Vec<u128> = emojis.iter().map(|e| e.id).collect();
        let w = window(&ids, cursor.as_deref(), size, usize::MAX)?;
        let results: Vec<_> = w
            .ids
            .iter()
            .filter_map(|id| emojis.iter().find(|e| e.id == *id))
            .map(|e| json!({"id": uuid(e.id), "name": e.name, "url": e.url}))
            .collect();
        Ok(Done::new(json!({
            "object": "list",
            "type": "custom_emoji",
            "results": results,
            "has_more": w.has_more,
            "next_cursor": w.next,
        })))
    }
}
