//! `POST /v1/search`: the pages and data sources shared with the integration, filtered by object
//! and title, sorted by last edit, paged.

use serde_json::Value;

use super::{Done, list_json, paging, window};
use crate::fake::render::Ctx;
use crate::fake::reply::{Fail, Reply};
use crate::fake::rich_text::plain_text;
use crate::fake::state::{Kind, Object, State};
use crate::fake::validate::object;

impl State {
    pub(super) fn search(&self, ctx: Ctx, body: &Value) -> Reply<Done> {
        let body = object("body", body)?;
        let (size, cursor) = paging(Some(body), &[])?;
        let text = match body.get("query") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.to_lowercase(),
            Some(other) => return Err(Fail::body("body.query", "a string", other)),
        };
        let mut want: Option<&str> = None;
        if let Some(filter) = body.get("filter").filter(|f| !f.is_null()) {
            let value = filter.get("value").and_then(Value::as_str);
            match (filter.get("property").and_then(Value::as_str), value) {
                (Some("object"), Some(v @ ("page" | "data_source"))) => want = Some(v),
                (Some("object"), _) => {
                    return Err(Fail::body(
                        "body.filter.value",
                        "`page` or `data_source`",
                        filter.get("value").unwrap_or(&Value::Null),
                    ));
                }
                _ => return Err(Fail::body("body.filter.property", "`object`", filter)),
            }
        }
        let mut descending = true;
        if let Some(sort) = body.get("sort").filter(|s| !s.is_null()) {
            match sort.get("direction").and_then(Value::as_str) {
                Some("ascending") => descending = false,
                Some("descending") | None => {}
                Some(_) => {
                    return Err(Fail::body(
                        "body.sort.direction",
                        "`ascending` or `descending`",
                        sort,
                    ));
                }
            }
        }
        let ws = self.workspace_of(ctx);
        let lag = self.config.search_lag;
        let mut hits: Vec<&Object> = self
            .objects
            .values()
            .filter(|o| o.workspace == ws)
            .filter(|o| {
                matches!(
                    (&o.kind, want),
                    (Kind::Page(_), None | Some("page"))
                        | (Kind::DataSource(_), None | Some("data_source"))
                )
            })
            .filter(|o| !self.trashed(o.id) && !self.lagging(o, lag))
            .filter(|o| self.visible(ctx.integration, o.id))
            .filter(|o| {
                if text.is_empty() {
                    return true;
                }
                let title = match &o.kind {
                    Kind::Page(_) => self.page_title(o),
                    Kind::DataSource(d) => {
                        let db = self
                            .objects
                            .get(&self.database_of(o.id))
                            .and_then(|d| d.database())
                            .map(|d| plain_text(&d.title))
                            .unwrap_or_default();
                        format!("{}\n{db}", plain_text(&d.title))
                    }
                    _ => String::new(),
                };
                title.to_lowercase().contains(&text)
            })
            .collect();
        hits.sort_by_key(|o| (o.edited_ms, o.seq));
        if descending {
            hits.reverse();
        }
        let ids: Vec<u128> = hits.iter().map(|o| o.id).collect();
        let w = window(&ids, cursor.as_deref(), size, usize::MAX)?;
        let results = w
            .ids
            .iter()
            .filter_map(|id| self.objects.get(id))
            .map(|o| match o.kind {
                Kind::DataSource(_) => self.data_source_json(o, ctx),
                _ => self.page_json(o, ctx, None),
            })
            .collect();
        Ok(Done::new(list_json(
            results,
            w.next,
            w.has_more,
            "page_or_data_source",
        )))
    }
}
