//! `POST /v1/search`: the pages and data sources (databases, in 2022-06-28) shared with the
//! integration, filtered by object and title, sorted by last edit or by relevance, paged.
//!
//! The body is the SDK's `SearchBodyParameters`: `filter` is `{property: "object", value:
//! "page" | "data_source"}` (`"page" | "database"` in 2022-06-28); `sort` is `{timestamp: "last_edited_time", direction}` or
//! `{timestamp: "relevance"}` (no direction). Without a sort, results are the most recently
//! edited first. By relevance, a title equal to the query comes first, then one that starts with
//! it, then one that contains it, each group by last edit.

use serde_json::Value;

use super::{Done, list_json, paging, window};
use crate::fake::render::Ctx;
use crate::fake::reply::{Fail, Reply, only_keys};
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
            let filter = object("body.filter", filter)?;
            only_keys("body.filter", filter, &["property", "value"])?;
            let property = filter.get("property").unwrap_or(&Value::Null);
            if property != "object" {
                return Err(Fail::enumeration(
                    "body.filter.property",
                    &["object"],
                    property,
                ));
            }
            let other_object = ctx.version.search_object();
            match filter.get("value") {
                Some(Value::String(v)) if v == "page" => want = Some("page"),
                Some(Value::String(v)) if v == other_object => want = Some(other_object),
                other => {
                    return Err(Fail::enumeration(
                        "body.filter.value",
                        &["page", other_object],
                        other.unwrap_or(&Value::Null),
                    ));
                }
            }
        }
        let mut descending = true;
        let mut relevance = false;
        if let Some(sort) = body.get("sort").filter(|s| !s.is_null()) {
            let sort = object("body.sort", sort)?;
            match sort.get("timestamp") {
                Some(Value::String(t)) if t == "relevance" => {
                    only_keys("body.sort", sort, &["timestamp"])?;
                    relevance = true;
                }
                Some(Value::String(t)) if t == "last_edited_time" => {
                    only_keys("body.sort", sort, &["timestamp", "direction"])?;
                    match sort.get("direction") {
                        Some(Value::String(d)) if d == "ascending" => descending = false,
                        Some(Value::String(d)) if d == "descending" => {}
                        other => {
                            return Err(Fail::enumeration(
                                "body.sort.direction",
                                &["ascending", "descending"],
                                other.unwrap_or(&Value::Null),
                            ));
                        }
                    }
                }
                other => {
                    return Err(Fail::enumeration(
                        "body.sort.timestamp",
                        &["last_edited_time", "relevance"],
                        other.unwrap_or(&Value::Null),
                    ));
                }
            }
        }
        let ws = self.workspace_of(ctx);
        let lag = self.config.search_lag;
        let old = ctx.version.databases_hold_schema();
        let mut hits: Vec<&Object> = self
            .objects
            .values()
            .filter(|o| o.workspace == ws)
            .filter(|o| match &o.kind {
                Kind::Page(_) => matches!(want, None | Some("page")),
                Kind::DataSource(_) => !old && matches!(want, None | Some("data_source")),
                // A database is found in 2022-06-28 when it is one data source (see `versions`).
                Kind::Database(_) => {
                    old && matches!(want, None | Some("database"))
                        && self.live_sources(o).len() == 1
                }
                Kind::Block(_) => false,
            })
            .filter(|o| !self.trashed(o.id) && !self.lagging(o, lag))
            .filter(|o| self.visible(ctx.integration, o.id))
            .filter(|o| text.is_empty() || self.search_title(o).contains(&text))
            .collect();
        hits.sort_by_key(|o| (o.edited_ms, o.seq));
        if descending {
            hits.reverse();
        }
        if relevance {
            // Stable: within a group, the most recently edited first.
            hits.sort_by_key(|o| {
                let title = self.search_title(o);
                let first_line = title.lines().next().unwrap_or_default().to_owned();
                if first_line == text {
                    0
                } else if first_line.starts_with(&text) {
                    1
                } else {
                    2
                }
            });
        }
        let ids: Vec<u128> = hits.iter().map(|o| o.id).collect();
        let w = window(&ids, cursor.as_deref(), size, usize::MAX)?;
        let results = w
            .ids
            .iter()
            .filter_map(|id| self.objects.get(id))
            .map(|o| match o.kind {
                Kind::DataSource(_) => self.data_source_json(o, ctx),
                Kind::Database(_) => self.database_json(o, ctx),
                _ => self.page_json(o, ctx, None),
            })
            .collect();
        Ok(Done::new(list_json(
            results,
            w.next,
            w.has_more,
            ctx.version.list_type(),
        )))
    }

    /// What a search matches the query against, in lower case: a page's title; a data
    /// source's title and its database's, one a line; a database's title.
    fn search_title(&self, o: &Object) -> String {
        let title = match &o.kind {
            Kind::Page(_) => self.page_title(o),
            Kind::Database(d) => plain_text(&d.title),
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
        title.to_lowercase()
    }
}
