//! The views endpoints: list (`GET /v1/views?database_id=|data_source_id=`), create, retrieve,
//! update and delete (`/v1/views`, `/v1/views/{id}`), and view queries (`POST
//! /v1/views/{id}/queries`, `GET` and `DELETE /v1/views/{id}/queries/{query_id}`).
//!
//! The rules are the SDK's `views.ts` and `common.ts` (`CreateViewRequest`,
//! `UpdateViewRequest`, `CreateViewQueryRequest`): a view is made in a database
//! (`database_id`) for one of its data sources (`data_source_id`), with a `name` and a `type`
//! (`table`, `board`, `list`, `calendar`, `timeline`, `gallery`, `form`, `chart` or `map`); its
//! `filter` and `sorts` are a data-source query's, checked against the data source's schema; its
//! `configuration`, when given, is of the view's type, with the keys each type requires
//! (`group_by` for a board, `date_property_id` for a calendar or timeline, `chart_type` for a
//! chart). A new database has one view, `Default view`, a table. Answers have the keys of the
//! recorded cassettes (`test_views_*`): the full view on create, retrieve and update; the partial
//! `{object, id, parent, type}` on delete; `{object, id}` items in lists. A query runs the view's
//! filter and sorts over the data source now and keeps the row IDs for 15 minutes
//! ([`QUERY_LIFETIME_MS`]); its results are `{object: "page", id}` references, paged.

use serde_json::{Map, Value, json};

use super::comments::query_id;
use super::{Done, is_data_source, is_database, list_json, paging, window};
use crate::fake::clock::format_iso;
use crate::fake::query::{compile, compile_sorts};
use crate::fake::render::Ctx;
use crate::fake::reply::{Fail, Reply, only_keys};
use crate::fake::state::{IdStyle, Object, State, View, ViewQuery, uuid};
use crate::fake::validate::{object, parse_id};

/// How long a view query's results are kept (Notion: `expires_at`, 15 minutes on).
pub(crate) const QUERY_LIFETIME_MS: i64 = 15 * 60_000;

/// The view types a request may create.
const VIEW_TYPES: [&str; 9] = [
    "table", "board", "list", "calendar", "timeline", "gallery", "form", "chart", "map",
];

/// The keys of a `POST /v1/views` body.
const CREATE_KEYS: [&str; 12] = [
    "data_source_id",
    "name",
    "type",
    "database_id",
    "view_id",
    "filter",
    "sorts",
    "quick_filters",
    "create_database",
    "configuration",
    "position",
    "placement",
];

/// The keys of a `PATCH /v1/views/{id}` body.
const UPDATE_KEYS: [&str; 5] = ["name", "filter", "sorts", "quick_filters", "configuration"];

fn required_str<'a>(body: &'a Map<String, Value>, key: &str) -> Reply<&'a str> {
    let value = body
        .get(key)
        .ok_or_else(|| Fail::missing(&format!("body.{key}")))?;
    value
        .as_str()
        .ok_or_else(|| Fail::body(&format!("body.{key}"), "a string", value))
}

impl State {
    /// Makes the view every new database starts with: `Default view`, a table of `ds`.
    pub(super) fn add_default_view(&mut self, db: u128, ds: u128, by: u128) {
        let id = self.new_id(IdStyle::V8);
        let now = self.clock.now_ms();
        self.views.push(View {
            id,
            database: db,
            data_source: ds,
            name: "Default view".to_owned(),
            kind: "table".to_owned(),
            created_ms: now,
            edited_ms: now,
            created_by: by,
            edited_by: by,
            filter: Value::Null,
            sorts: Value::Null,
            quick_filters: Value::Null,
            configuration: json!({"type": "table"}),
        });
    }

    /// The filter, sorts and quick filters of a body, checked against data source `ds`.
    fn view_query_parts(&self, ds: u128, body: &Map<String, Value>) -> Reply<()> {
        let schema = self
            .objects
            .get(&ds)
            .and_then(Object::data_source)
            .map(|d| d.props.clone())
            .unwrap_or_default();
        if let Some(filter) = body.get("filter").filter(|f| !f.is_null()) {
            compile(filter, &schema, "body.filter", 0)?;
        }
        if let Some(sorts) = body.get("sorts").filter(|s| !s.is_null()) {
            compile_sorts(sorts, &schema)?;
        }
        if let Some(quick) = body.get("quick_filters").filter(|q| !q.is_null()) {
            let quick = object("body.quick_filters", quick)?;
            for (key, condition) in quick {
                if condition.is_null() {
                    continue;
                }
                let mut filter = object(&format!("body.quick_filters.{key}"), condition)?.clone();
                filter.insert("property".into(), json!(key));
                compile(
                    &Value::Object(filter),
                    &schema,
                    &format!("body.quick_filters.{key}"),
                    1,
                )?;
            }
        }
        Ok(())
    }

    /// A `configuration`, checked against the view's type; stored with its `type`.
    fn view_configuration(kind: &str, given: Option<&Value>) -> Reply<Value> {
        let Some(given) = given.filter(|g| !g.is_null()) else {
            return Ok(json!({"type": kind}));
        };
        let map = object("body.configuration", given)?;
        let their = map.get("type").cloned().unwrap_or(Value::Null);
        if their != json!(kind) {
            return Err(Fail::enumeration(
                "body.configuration.type",
                &[kind],
                &their,
            ));
        }
        let required: &[&str] = match kind {
            "board" => &["group_by"],
            "calendar" | "timeline" => &["date_property_id"],
            "chart" => &["chart_type"],
            _ => &[],
        };
        if let Some(key) = required.iter().find(|k| !map.contains_key(**k)) {
            return Err(Fail::missing(&format!("body.configuration.{key}")));
        }
        Ok(given.clone())
    }

    pub(super) fn view_create(&mut self, ctx: Ctx, body: &Value) -> Reply<Done> {
        let body = object("body", body)?;
        only_keys("body", body, &CREATE_KEYS)?;
        let ds = parse_id(
            "body.data_source_id",
            body.get("data_source_id")
                .ok_or_else(|| Fail::missing("body.data_source_id"))?,
        )?;
        let name = required_str(body, "name")?.to_owned();
        let kind_value = body.get("type").ok_or_else(|| Fail::missing("body.type"))?;
        let kind = kind_value
            .as_str()
            .filter(|k| VIEW_TYPES.contains(k))
            .ok_or_else(|| Fail::enumeration("body.type", &VIEW_TYPES, kind_value))?
            .to_owned();
        let places = ["database_id", "view_id", "create_database"]
            .iter()
            .filter(|k| body.contains_key(**k))
            .count();
        if places != 1 {
            return Err(Fail::validation(
                "body failed validation: exactly one of body.database_id, body.view_id or body.create_database should be defined.",
            ));
        }
        if let Some(dashboard) = body.get("view_id") {
            // Dashboards are made in Notion's UI, not through the API; the fake has none.
            let id = parse_id("body.view_id", dashboard)?;
            return Err(self.not_found(ctx.integration, "view", id));
        }
        if body.contains_key("create_database") {
            return Err(Fail::validation(
                "The fake Notion does not create linked databases (body.create_database); create the view in the database itself with body.database_id.",
            ));
        }
        let db = parse_id(
            "body.database_id",
            body.get("database_id").unwrap_or(&Value::Null),
        )?;
        let database = self.get_visible(ctx.integration, db, "database", is_database)?;
        let sources = database
            .database()
            .map(|d| d.data_sources.clone())
            .unwrap_or_default();
        self.get_visible(ctx.integration, ds, "data source", is_data_source)?;
        if !sources.contains(&ds) {
            return Err(Fail::validation(format!(
                "Data source {} is not a data source of database {}.",
                uuid(ds),
                uuid(db)
            )));
        }
        self.view_query_parts(ds, body)?;
        let configuration = Self::view_configuration(&kind, body.get("configuration"))?;
        let at = self.view_position(db, body.get("position"))?;
        let by = self.bot(ctx.integration);
        let id = self.new_id(IdStyle::V8);
        let now = self.clock.now_ms();
        let view = View {
            id,
            database: db,
            data_source: ds,
            name,
            kind,
            created_ms: now,
            edited_ms: now,
            created_by: by,
            edited_by: by,
            filter: body.get("filter").cloned().unwrap_or(Value::Null),
            sorts: body.get("sorts").cloned().unwrap_or(Value::Null),
            quick_filters: body.get("quick_filters").cloned().unwrap_or(Value::Null),
            configuration,
        };
        let answer = self.view_json(&view);
        let data = json!({"parent": view_parent(&view), "view_type": view.kind});
        self.emit_view("view.created", &view, data, by);
        self.views.insert(at, view);
        Ok(Done::created(answer, id))
    }

    /// Where in `views` a new view of database `db` goes, by `position`.
    fn view_position(&self, db: u128, position: Option<&Value>) -> Reply<usize> {
        let last_of_db = self
            .views
            .iter()
            .rposition(|v| v.database == db)
            .map_or(self.views.len(), |i| i + 1);
        let Some(position) = position else {
            return Ok(last_of_db);
        };
        let map = object("body.position", position)?;
        let kind = map.get("type").cloned().unwrap_or(Value::Null);
        match kind.as_str() {
            Some("end") => Ok(last_of_db),
            Some("start") => Ok(self
                .views
                .iter()
                .position(|v| v.database == db)
                .unwrap_or(self.views.len())),
            Some("after_view") => {
                let after = parse_id(
                    "body.position.view_id",
                    map.get("view_id").unwrap_or(&Value::Null),
                )?;
                self.views
                    .iter()
                    .position(|v| v.id == after && v.database == db)
                    .map(|i| i + 1)
                    .ok_or_else(|| {
                        Fail::validation(format!(
                            "View {} is not a view of database {}.",
                            uuid(after),
                            uuid(db)
                        ))
                    })
            }
            _ => Err(Fail::enumeration(
                "body.position.type",
                &["start", "end", "after_view"],
                &kind,
            )),
        }
    }

    /// The index of view `id` if the integration sees its database, else Notion's 404.
    fn visible_view(&self, ctx: Ctx, id: u128) -> Reply<usize> {
        self.views
            .iter()
            .position(|v| v.id == id && self.visible(ctx.integration, v.database))
            .ok_or_else(|| self.not_found(ctx.integration, "view", id))
    }

    pub(super) fn view_list(&self, ctx: Ctx, q: &[(String, String)]) -> Reply<Done> {
        let get = |k: &str| q.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        let (db, ds) = match (get("database_id"), get("data_source_id")) {
            (None, None) => {
                return Err(Fail::validation(
                    "query failed validation: one of query.database_id or query.data_source_id should be defined.",
                ));
            }
            (db, ds) => (
                db.map(|d| query_id("query.database_id", d)).transpose()?,
                ds.map(|d| query_id("query.data_source_id", d))
                    .transpose()?,
            ),
        };
        if let Some(db) = db {
            self.get_visible(ctx.integration, db, "database", is_database)?;
        }
        if let Some(ds) = ds {
            self.get_visible(ctx.integration, ds, "data source", is_data_source)?;
        }
        let (size, cursor) = paging(None, q)?;
        let ids: Vec<u128> = self
            .views
            .iter()
            .filter(|v| db.is_none_or(|d| v.database == d))
            .filter(|v| ds.is_none_or(|d| v.data_source == d))
            .filter(|v| self.visible(ctx.integration, v.database))
            .map(|v| v.id)
            .collect();
        let w = window(&ids, cursor.as_deref(), size, usize::MAX)?;
        let results = w
            .ids
            .iter()
            .map(|id| json!({"object": "view", "id": uuid(*id)}))
            .collect();
        Ok(Done::new(list_json(results, w.next, w.has_more, "view")))
    }

    pub(super) fn view_get(&self, ctx: Ctx, id: u128) -> Reply {
        let at = self.visible_view(ctx, id)?;
        Ok(self.view_json(&self.views[at]))
    }

    pub(super) fn view_patch(&mut self, ctx: Ctx, id: u128, body: &Value) -> Reply {
        let at = self.visible_view(ctx, id)?;
        let body = object("body", body)?;
        only_keys("body", body, &UPDATE_KEYS)?;
        let (ds, kind) = (self.views[at].data_source, self.views[at].kind.clone());
        self.view_query_parts(ds, body)?;
        let name = match body.get("name") {
            None => None,
            Some(Value::String(n)) => Some(n.clone()),
            Some(other) => return Err(Fail::body("body.name", "a string", other)),
        };
        let configuration = match body.get("configuration") {
            None => None,
            Some(c) => Some(Self::view_configuration(&kind, Some(c))?),
        };
        let by = self.bot(ctx.integration);
        let now = self.clock.now_ms();
        let view = &mut self.views[at];
        if let Some(name) = name {
            view.name = name;
        }
        for (key, slot) in [("filter", &mut view.filter), ("sorts", &mut view.sorts)] {
            if let Some(value) = body.get(key) {
                *slot = value.clone();
            }
        }
        if let Some(quick) = body.get("quick_filters") {
            view.quick_filters = match (quick, &view.quick_filters) {
                (Value::Object(changes), Value::Object(current)) => {
                    let mut merged = current.clone();
                    for (k, v) in changes {
                        if v.is_null() {
                            merged.remove(k);
                        } else {
                            merged.insert(k.clone(), v.clone());
                        }
                    }
                    if merged.is_empty() {
                        Value::Null
                    } else {
                        Value::Object(merged)
                    }
                }
                _ => quick.clone(),
            };
        }
        if let Some(configuration) = configuration {
            view.configuration = configuration;
        }
        view.edited_ms = now;
        view.edited_by = by;
        let view = view.clone();
        // The fields `view.updated` names (the SDK's `updated_fields`): quick filters are none.
        let updated: Vec<&str> = ["name", "filter", "sorts", "configuration"]
            .into_iter()
            .filter(|k| body.contains_key(*k))
            .collect();
        if !updated.is_empty() {
            let data = json!({"parent": view_parent(&view), "updated_fields": updated});
            self.emit_view("view.updated", &view, data, by);
        }
        Ok(self.view_json(&view))
    }

    pub(super) fn view_delete(&mut self, ctx: Ctx, id: u128) -> Reply {
        let at = self.visible_view(ctx, id)?;
        let view = self.views.remove(at);
        self.view_queries.retain(|q| q.view != id);
        let by = self.bot(ctx.integration);
        self.emit_view(
            "view.deleted",
            &view,
            json!({"parent": view_parent(&view)}),
            by,
        );
        Ok(json!({
            "object": "view",
            "id": uuid(view.id),
            "parent": {"type": "database_id", "database_id": uuid(view.database)},
            "type": view.kind,
        }))
    }

    pub(super) fn view_query_create(&mut self, ctx: Ctx, id: u128, body: &Value) -> Reply<Done> {
        let at = self.visible_view(ctx, id)?;
        let body = object("body", body)?;
        only_keys("body", body, &["page_size"])?;
        let (size, _) = paging(Some(body), &[])?;
        let view = self.views[at].clone();
        let ds = self
            .objects
            .get(&view.data_source)
            .ok_or_else(|| self.not_found(ctx.integration, "data source", view.data_source))?;
        let schema = ds
            .data_source()
            .map(|d| d.props.clone())
            .unwrap_or_default();
        let filter = match &view.filter {
            Value::Null => None,
            f => Some(compile(f, &schema, "body.filter", 0)?),
        };
        let sorts = match &view.sorts {
            Value::Null => Vec::new(),
            s => compile_sorts(s, &schema)?,
        };
        let rows = self.matching_rows(ctx.integration, ds, filter.as_ref(), &sorts, false);
        let query = self.new_id(IdStyle::V4);
        let expires_ms = self.clock.now_ms() + QUERY_LIFETIME_MS;
        let w = window(&rows, None, size, usize::MAX)?;
        let answer = json!({
            "object": "view_query",
            "id": uuid(query),
            "view_id": uuid(id),
            "expires_at": format_iso(expires_ms).replace('Z', "+00:00"),
            "total_count": rows.len(),
            "results": w.ids.iter().map(|r| json!({"object": "page", "id": uuid(*r)})).collect::<Vec<_>>(),
            "next_cursor": w.next,
            "has_more": w.has_more,
        });
        self.view_queries.push(ViewQuery {
            id: query,
            view: id,
            rows,
            expires_ms,
        });
        Ok(Done::created(answer, query))
    }

    /// The index of query `query` of view `view`, unless expired; else Notion's 404.
    fn live_query(&self, ctx: Ctx, view: u128, query: u128) -> Reply<usize> {
        self.visible_view(ctx, view)?;
        let now = self.clock.now_ms();
        self.view_queries
            .iter()
            .position(|q| q.id == query && q.view == view && q.expires_ms > now)
            .ok_or_else(|| self.not_found(ctx.integration, "view query", query))
    }

    pub(super) fn view_query_results(
        &self,
        ctx: Ctx,
        view: u128,
        query: u128,
        q: &[(String, String)],
    ) -> Reply<Done> {
        let at = self.live_query(ctx, view, query)?;
        let (size, cursor) = paging(None, q)?;
        let rows = &self.view_queries[at].rows;
        let w = window(rows, cursor.as_deref(), size, usize::MAX)?;
        let results = w
            .ids
            .iter()
            .map(|r| json!({"object": "page", "id": uuid(*r)}))
            .collect();
        Ok(Done::new(list_json(results, w.next, w.has_more, "page")))
    }

    pub(super) fn view_query_delete(&mut self, ctx: Ctx, view: u128, query: u128) -> Reply {
        let at = self.live_query(ctx, view, query)?;
        self.view_queries.remove(at);
        Ok(json!({"object": "view_query", "id": uuid(query), "deleted": true}))
    }

    /// A view as Notion answers it (create, retrieve, update).
    /// Queues a `view.*` event, for the subscriptions that see the view's database.
    fn emit_view(&mut self, kind: &str, view: &View, data: Value, by: u128) {
        let entity = json!({"id": uuid(view.id), "type": "view"});
        self.emit(kind, view.database, entity, data, by);
    }

    fn view_json(&self, view: &View) -> Value {
        json!({
            "object": "view",
            "id": uuid(view.id),
            "parent": {"type": "database_id", "database_id": uuid(view.database)},
            "data_source_id": uuid(view.data_source),
            "name": view.name,
            "type": view.kind,
            "created_time": format_iso(view.created_ms).replace('Z', "+00:00"),
            "created_by": {"object": "user", "id": uuid(view.created_by)},
            "last_edited_time": format_iso(view.edited_ms).replace('Z', "+00:00"),
            "last_edited_by": {"object": "user", "id": uuid(view.edited_by)},
            "url": format!(
                "https://app.notion.com/p/{}?v={}",
                crate::ids::ObjectId::from_u128(view.database).simple(),
                crate::ids::ObjectId::from_u128(view.id).simple()
            ),
            "filter": view.filter,
            "sorts": view.sorts,
            "quick_filters": view.quick_filters,
            "configuration": view.configuration,
        })
    }
}

/// A view's `data.parent` in its events: its database, and the data source it shows.
fn view_parent(view: &View) -> Value {
    json!({"id": uuid(view.database), "type": "database", "data_source_id": uuid(view.data_source)})
}
