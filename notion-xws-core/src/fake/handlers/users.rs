//! The users endpoints: `GET /v1/users/me`, `GET /v1/users` and `GET /v1/users/{id}`, each
//! answering only the users of the token's workspace.

use serde_json::Value;

use super::{Done, list_json, paging, window};
use crate::fake::render::Ctx;
use crate::fake::reply::Reply;
use crate::fake::state::State;

impl State {
    pub(super) fn users_me(&self, ctx: Ctx) -> Value {
        let bot = self.bot(ctx.integration);
        self.users
            .get(&bot)
            .map_or(Value::Null, |u| self.user_json(u, true))
    }

    pub(super) fn users_list(&self, ctx: Ctx, q: &[(String, String)]) -> Reply<Done> {
        let (size, cursor) = paging(None, q)?;
        let ws = self.workspace_of(ctx);
        let ids: Vec<u128> = self
            .users
            .values()
            .filter(|u| u.workspace == ws)
            .map(|u| u.id)
            .collect();
        let w = window(&ids, cursor.as_deref(), size, usize::MAX)?;
        let bot = self.bot(ctx.integration);
        let results = w
            .ids
            .iter()
            .filter_map(|id| self.users.get(id))
            .map(|u| self.user_json(u, u.id == bot))
            .collect();
        Ok(Done::new(list_json(results, w.next, w.has_more, "user")))
    }

    pub(super) fn user_get(&self, ctx: Ctx, id: u128) -> Reply {
        let ws = self.workspace_of(ctx);
        match self.users.get(&id) {
            Some(u) if u.workspace == ws => Ok(self.user_json(u, id == self.bot(ctx.integration))),
            _ => Err(self.not_found(ctx.integration, "user", id)),
        }
    }
}
