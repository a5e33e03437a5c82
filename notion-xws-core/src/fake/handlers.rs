//! The one request handler: checks, faults, routing and every endpoint.
//!
//! Both ways into the fake (the in-memory [`Transport`](crate::transport::Transport) and the HTTP
//! server) turn their request into an [`Incoming`] and call [`State::process`], which answers an
//! [`Outgoing`]. The order of checks is Notion's: `Notion-Version` (400 `missing_version` or
//! `validation_error`), the token (401), the rate limits (429), injected faults, the body (400
//! `invalid_json`), then the route (400 `invalid_request_url`) and the endpoint's own checks
//! (404 when the object is missing or not shared, 400 `validation_error`). Every answer gets a
//! `request_id` and a line in the request log.

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::faults::{Fault, is_create};
use super::log::LoggedRequest;
use super::query::{Filter, compile, compile_sorts, sort_rows};
use super::render::{Ctx, decode};
use super::reply::{Fail, Reply, additional, describe};
use super::state::{
    Block, DataSource, Database, IdStyle, Kind, Object, Page, Parent, PropDef, State, uuid,
};
use super::validate::{array, object, opt_bool, parse_id, plain_text, rich_text};
use crate::ids::ObjectId;
use crate::transport::Method;

/// The API versions the fake accepts.
pub(crate) const VERSIONS: [&str; 2] = ["2025-09-03", "2026-03-11"];

/// A request body as it arrived.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    /// No body.
    Absent,
    /// A JSON body.
    Json(Value),
    /// Bytes that are not JSON (HTTP only).
    Invalid,
}

/// A request, from either way in.
#[derive(Debug, Clone)]
pub(crate) struct Incoming {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body: Body,
    /// The bearer token; `None` when there was no usable `Authorization` header.
    pub(crate) token: Option<crate::secret::NotionToken>,
    pub(crate) version: Option<String>,
}

/// The fake's answer.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub(crate) status: u16,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) body: Value,
    /// No answer: the client must see a timeout.
    pub(crate) timeout: bool,
}

/// What the route gave: the body and, for creates, what was created.
struct Done {
    body: Value,
    created: Option<u128>,
    children: Vec<u128>,
}

impl Done {
    fn new(body: Value) -> Self {
        Self {
            body,
            created: None,
            children: Vec::new(),
        }
    }
}

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

fn is_page(o: &Object) -> bool {
    matches!(o.kind, Kind::Page(_))
}
fn is_database(o: &Object) -> bool {
    matches!(o.kind, Kind::Database(_))
}
fn is_data_source(o: &Object) -> bool {
    matches!(o.kind, Kind::DataSource(_))
}
fn is_block_like(o: &Object) -> bool {
    !matches!(o.kind, Kind::DataSource(_))
}

fn path_id(name: &str, text: &str) -> Reply<u128> {
    ObjectId::parse(text).map(ObjectId::as_u128).map_err(|_| {
        Fail::validation(format!(
            "path failed validation: path.{name} should be a valid uuid, instead was `{}`.",
            describe(&json!(text))
        ))
    })
}

/// `{object:"list", results, next_cursor, has_more, type, <type>:{}}`.
fn list_json(results: Vec<Value>, next: Option<String>, has_more: bool, kind: &str) -> Value {
    json!({
        "object": "list",
        "results": results,
        "next_cursor": next,
        "has_more": has_more,
        "type": kind,
        kind: {},
    })
}

/// `page_size` (1..=100, default 100) and `start_cursor`, from a body or a query string.
fn paging(
    body: Option<&Map<String, Value>>,
    query: &[(String, String)],
) -> Reply<(usize, Option<String>)> {
    let (size, cursor) = match body {
        Some(b) => (b.get("page_size").cloned(), b.get("start_cursor").cloned()),
        None => (
            query
                .iter()
                .find(|(k, _)| k == "page_size")
                .map(|(_, v)| v.parse::<i64>().map_or_else(|_| json!(v), |n| json!(n))),
            query
                .iter()
                .find(|(k, _)| k == "start_cursor")
                .map(|(_, v)| json!(v)),
        ),
    };
    let where_ = if body.is_some() { "body" } else { "query" };
    let size = match size {
        None | Some(Value::Null) => 100,
        Some(v) => {
            let n = v
                .as_i64()
                .ok_or_else(|| Fail::body(&format!("{where_}.page_size"), "a number", &v))?;
            if n > 100 {
                return Err(Fail::validation(format!(
                    "body failed validation: {where_}.page_size should be ≤ `100`, instead was `{n}`."
                )));
            }
            if n < 1 {
                return Err(Fail::validation(format!(
                    "body failed validation: {where_}.page_size should be ≥ `1`, instead was `{n}`."
                )));
            }
            usize::try_from(n).unwrap_or(100)
        }
    };
    let cursor = match cursor {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => {
            return Err(Fail::body(
                &format!("{where_}.start_cursor"),
                "a string",
                &other,
            ));
        }
    };
    Ok((size, cursor))
}

/// One page of `ids` from `cursor` (the ID of the first item to show).
struct Window {
    ids: Vec<u128>,
    next: Option<String>,
    has_more: bool,
    capped: bool,
}

fn window(ids: &[u128], cursor: Option<&str>, size: usize, cap: usize) -> Reply<Window> {
    let start = match cursor {
        None => 0,
        Some(c) => {
            let id = ObjectId::parse(c).map(ObjectId::as_u128).ok();
            id.and_then(|id| ids.iter().position(|x| *x == id))
                .filter(|&i| i < cap)
                .ok_or_else(|| {
                    Fail::validation(format!(
                        "body failed validation: start_cursor should be a cursor this endpoint returned, instead was `{}`.",
                        describe(&json!(c))
                    ))
                })?
        }
    };
    let end = (start + size).min(ids.len()).min(cap);
    let has_more = end < ids.len() && end < cap;
    Ok(Window {
        ids: ids[start..end].to_vec(),
        next: has_more.then(|| uuid(ids[end])),
        has_more,
        capped: end == cap && ids.len() > cap,
    })
}

/// The `filter_properties` of a query string (repeated, or `filter_properties[]`).
fn filter_properties(query: &[(String, String)]) -> Option<Vec<String>> {
    let keys: Vec<String> = query
        .iter()
        .filter(|(k, _)| k == "filter_properties" || k == "filter_properties[]")
        .map(|(_, v)| v.clone())
        .collect();
    (!keys.is_empty()).then_some(keys)
}

const ARCHIVED_BLOCK: &str =
    "Can't edit block that is archived. You must unarchive the block before editing.";

impl State {
    /// Answers one request. See the [module documentation](self).
    pub(crate) fn process(&mut self, req: Incoming) -> Outgoing {
        self.requests += 1;
        let n = self.requests;
        let request_id = uuid(self.new_id(IdStyle::V4));
        let mut line = LoggedRequest {
            method: req.method,
            path: req.path.clone(),
            status: 0,
            workspace: None,
            integration: None,
            fault: None,
        };
        let outcome = self.checked(&req, n, &mut line);
        let out = match outcome {
            Ok(Some(mut done)) => {
                if let Some(map) = done.body.as_object_mut() {
                    map.insert("request_id".into(), json!(request_id));
                }
                Outgoing {
                    status: 200,
                    retry_after: None,
                    body: done.body,
                    timeout: false,
                }
            }
            Ok(None) => Outgoing {
                status: 0,
                retry_after: None,
                body: Value::Null,
                timeout: true,
            },
            Err(fail) => Outgoing {
                status: fail.status,
                retry_after: fail.retry_after.map(Duration::from_secs),
                body: fail.into_body(&request_id),
                timeout: false,
            },
        };
        line.status = out.status;
        self.log.push(line);
        out
    }

    /// The checks in order; `Ok(None)` is a timeout.
    fn checked(&mut self, req: &Incoming, n: u64, line: &mut LoggedRequest) -> Reply<Option<Done>> {
        let legacy = match req.version.as_deref() {
            None => {
                return Err(Fail::new(
                    400,
                    "missing_version",
                    "Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.",
                ));
            }
            Some(v) if VERSIONS.contains(&v) => v == VERSIONS[0],
            Some(v) => {
                return Err(Fail::validation(format!(
                    "Notion-Version header failed validation: Notion-Version header should be one of `2025-09-03` or `2026-03-11`, instead was `{}`.",
                    describe(&json!(v))
                )));
            }
        };
        let integration = req
            .token
            .as_ref()
            .and_then(|t| self.integration_for(t))
            .ok_or_else(Fail::unauthorized)?;
        let workspace = self.integrations[integration].workspace;
        line.integration = Some(self.integrations[integration].name.clone());
        line.workspace = self.workspaces.get(workspace).map(|w| w.name.clone());
        let (per_token, per_workspace) = (self.config.per_token, self.config.per_workspace);
        self.limits
            .check(integration, workspace, per_token, per_workspace)?;
        let fault = self.faults.decide(n, req.method, &req.path);
        line.fault = fault.as_ref().map(|f| f.name().to_owned());
        let ctx = Ctx {
            integration,
            legacy,
        };
        match fault {
            None => {}
            Some(Fault::RateLimited { retry_after }) => {
                return Err(Fail::rate_limited(
                    retry_after,
                    "public_api_request_rate_limit",
                ));
            }
            Some(Fault::ServiceOverload { retry_after }) => {
                let mut fail = Fail::new(
                    529,
                    "service_overload",
                    "Notion is currently overloaded. Please try again later.",
                );
                fail.retry_after = Some(retry_after);
                return Err(fail);
            }
            Some(Fault::InternalServerError) => {
                return Err(Fail::new(
                    500,
                    "internal_server_error",
                    "Unexpected error occurred.",
                ));
            }
            Some(Fault::ServiceUnavailable) => {
                return Err(Fail::new(
                    503,
                    "service_unavailable",
                    "Notion is unavailable, please try again later.",
                ));
            }
            Some(Fault::GatewayTimeout) => {
                return Err(Fail::new(504, "gateway_timeout", "Gateway Timeout"));
            }
            Some(Fault::Conflict) => {
                return Err(Fail::new(
                    409,
                    "conflict_error",
                    "Conflict occurred while saving. Please try again.",
                ));
            }
            Some(Fault::TimeoutBeforeWrite) => return Ok(None),
            Some(Fault::TimeoutAfterWrite) => {
                let _ = self.route(req, ctx);
                return Ok(None);
            }
            Some(Fault::CommittedUnavailable) => {
                let done = self.route(req, ctx)?;
                let mut fail = Fail::new(
                    503,
                    "service_unavailable",
                    "The change was saved, but the response could not be built in time. Read the resource back instead of retrying.",
                );
                if is_create(req.method, &req.path) {
                    let mut extra = additional([(
                        "retry_guidance",
                        json!("Do not retry; read the committed resource back."),
                    )]);
                    if let Some(id) = done.created {
                        extra.insert("committed_resource_id".into(), json!(uuid(id)));
                    }
                    if !done.children.is_empty() {
                        extra.insert(
                            "committed_child_ids".into(),
                            json!(done.children.iter().map(|c| uuid(*c)).collect::<Vec<_>>()),
                        );
                    }
                    fail.additional = Some(extra);
                }
                return Err(fail);
            }
        }
        self.route(req, ctx).map(Some)
    }

    fn route(&mut self, req: &Incoming, ctx: Ctx) -> Reply<Done> {
        let body = match &req.body {
            Body::Invalid => return Err(Fail::invalid_json()),
            Body::Absent => None,
            Body::Json(v) => Some(v),
        };
        let empty = json!({});
        let path = req.path.split('?').next().unwrap_or("");
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let Some((&"v1", rest)) = segments.split_first() else {
            return Err(Fail::invalid_url());
        };
        let q = req.query.as_slice();
        let b = || body.unwrap_or(&empty);
        use Method::{Delete, Get, Patch, Post};
        let done = match (req.method, rest) {
            (Get, ["users", "me"]) => Done::new(self.users_me(ctx)),
            (Get, ["users"]) => self.users_list(ctx, q)?,
            (Get, ["users", id]) => Done::new(self.user_get(ctx, path_id("user_id", id)?)?),
            (Post, ["search"]) => self.search(ctx, b())?,
            (Post, ["databases"]) => self.database_create(ctx, b())?,
            (Get, ["databases", id]) => {
                Done::new(self.database_get(ctx, path_id("database_id", id)?)?)
            }
            (Patch, ["databases", id]) => {
                Done::new(self.database_patch(ctx, path_id("database_id", id)?, b())?)
            }
            (Post, ["data_sources"]) => self.data_source_create(ctx, b())?,
            (Get, ["data_sources", id]) => {
                Done::new(self.data_source_get(ctx, path_id("data_source_id", id)?)?)
            }
            (Patch, ["data_sources", id]) => {
                Done::new(self.data_source_patch(ctx, path_id("data_source_id", id)?, b())?)
            }
            (Post, ["data_sources", id, "query"]) => {
                self.query(ctx, path_id("data_source_id", id)?, b(), q)?
            }
            (Post, ["pages"]) => self.page_create(ctx, b(), q)?,
            (Get, ["pages", id]) => Done::new(self.page_get(ctx, path_id("page_id", id)?, q)?),
            (Patch, ["pages", id]) => {
                Done::new(self.page_patch(ctx, path_id("page_id", id)?, b(), q)?)
            }
            (Get, ["pages", id, "properties", prop]) => {
                Done::new(self.property_item(ctx, path_id("page_id", id)?, prop, q)?)
            }
            (Get, ["blocks", id, "children"]) => {
                Done::new(self.children_list(ctx, path_id("block_id", id)?, q)?)
            }
            (Patch, ["blocks", id, "children"]) => {
                self.children_append(ctx, path_id("block_id", id)?, b())?
            }
            (Get, ["blocks", id]) => Done::new(self.block_get(ctx, path_id("block_id", id)?)?),
            (Patch, ["blocks", id]) => {
                Done::new(self.block_patch(ctx, path_id("block_id", id)?, b())?)
            }
            (Delete, ["blocks", id]) => {
                Done::new(self.block_delete(ctx, path_id("block_id", id)?)?)
            }
            (Post, ["file_uploads"]) => self.file_upload_create(ctx, b())?,
            (Get, ["file_uploads", id]) => {
                Done::new(self.file_upload_get(ctx, path_id("file_upload_id", id)?)?)
            }
            _ => return Err(Fail::invalid_url()),
        };
        Ok(done)
    }

    fn workspace_of(&self, ctx: Ctx) -> usize {
        self.integrations
            .get(ctx.integration)
            .map_or(0, |i| i.workspace)
    }

    // ----- users -----

    fn users_me(&self, ctx: Ctx) -> Value {
        let bot = self.bot(ctx.integration);
        self.users
            .get(&bot)
            .map_or(Value::Null, |u| self.user_json(u, true))
    }

    fn users_list(&self, ctx: Ctx, q: &[(String, String)]) -> Reply<Done> {
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

    fn user_get(&self, ctx: Ctx, id: u128) -> Reply {
        let ws = self.workspace_of(ctx);
        match self.users.get(&id) {
            Some(u) if u.workspace == ws => Ok(self.user_json(u, id == self.bot(ctx.integration))),
            _ => Err(self.not_found(ctx.integration, "user", id)),
        }
    }

    // ----- search -----

    fn search(&self, ctx: Ctx, body: &Value) -> Reply<Done> {
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

    // ----- databases and data sources -----

    fn check_archived_field(ctx: Ctx, body: &Map<String, Value>) -> Reply<Option<bool>> {
        let in_trash = opt_bool(body, "in_trash")?;
        if body.contains_key("archived") {
            if !ctx.legacy {
                return Err(Fail::validation(
                    "body failed validation: body.archived is not supported in this API version; use in_trash.",
                ));
            }
            let archived = opt_bool(body, "archived")?;
            return Ok(in_trash.or(archived));
        }
        Ok(in_trash)
    }

    fn database_create(&mut self, ctx: Ctx, body: &Value) -> Reply<Done> {
        let body = object("body", body)?;
        let ws = self.workspace_of(ctx);
        let parent = body
            .get("parent")
            .ok_or_else(|| Fail::missing("body.parent"))?;
        object("body.parent", parent)?;
        let Some(page_id) = parent.get("page_id") else {
            if parent.get("workspace").is_some() {
                return Err(Fail::validation(
                    "Internal integrations cannot create databases at the top of a workspace; use a page_id parent.",
                ));
            }
            return Err(Fail::missing("body.parent.page_id"));
        };
        let page = parse_id("body.parent.page_id", page_id)?;
        self.get_visible(ctx.integration, page, "page", is_page)?;
        if self.trashed(page) {
            return Err(Fail::validation(ARCHIVED_BLOCK));
        }
        let title = match body.get("title") {
            None | Some(Value::Null) => json!([]),
            Some(t) => rich_text("body.title", t)?,
        };
        let description = match body.get("description") {
            None | Some(Value::Null) => json!([]),
            Some(t) => rich_text("body.description", t)?,
        };
        let is_inline = opt_bool(body, "is_inline")?.unwrap_or(false);
        let props = body
            .get("initial_data_source")
            .and_then(|i| i.get("properties"))
            .or_else(|| body.get("properties"));
        let schema = self.build_schema(ws, props, "body.initial_data_source.properties")?;
        let by = self.bot(ctx.integration);
        let db = self.new_id(IdStyle::V4);
        let ds = self.new_id(IdStyle::V8);
        let icon = body.get("icon").cloned().unwrap_or(Value::Null);
        let cover = body.get("cover").cloned().unwrap_or(Value::Null);
        self.insert(
            db,
            ws,
            Parent::Page(page),
            by,
            Kind::Database(Database {
                title: title.clone(),
                description: description.clone(),
                is_inline,
                icon: icon.clone(),
                cover: cover.clone(),
                is_locked: false,
                data_sources: vec![ds],
            }),
        );
        let duals: Vec<String> = schema
            .iter()
            .filter(|p| p.config.get("type").and_then(Value::as_str) == Some("dual_property"))
            .map(|p| p.id.clone())
            .collect();
        self.insert(
            ds,
            ws,
            Parent::Database(db),
            by,
            Kind::DataSource(DataSource {
                title,
                description,
                icon,
                cover,
                props: schema,
                rows: Vec::new(),
                next_unique: 1,
            }),
        );
        for id in duals {
            self.link_dual(ds, &id);
        }
        if let Some(children) = self.objects.get_mut(&page).and_then(Object::children_mut) {
            children.push(db);
        }
        let object = self.objects.get(&db).ok_or_else(Fail::invalid_url)?;
        Ok(Done {
            body: self.database_json(object, ctx),
            created: Some(db),
            children: Vec::new(),
        })
    }

    fn database_get(&self, ctx: Ctx, id: u128) -> Reply {
        let db = self.get_visible(ctx.integration, id, "database", is_database)?;
        Ok(self.database_json(db, ctx))
    }

    fn database_patch(&mut self, ctx: Ctx, id: u128, body: &Value) -> Reply {
        self.get_visible(ctx.integration, id, "database", is_database)?;
        let body = object("body", body)?;
        let trash = Self::check_archived_field(ctx, body)?;
        let title = body
            .get("title")
            .map(|t| rich_text("body.title", t))
            .transpose()?;
        let description = body
            .get("description")
            .map(|t| rich_text("body.description", t))
            .transpose()?;
        let is_inline = opt_bool(body, "is_inline")?;
        let is_locked = opt_bool(body, "is_locked")?;
        let by = self.bot(ctx.integration);
        if let Some(object) = self.objects.get_mut(&id) {
            if let Some(t) = trash {
                object.in_trash = t;
            }
            if let Some(d) = object.database_mut() {
                if let Some(t) = title {
                    d.title = t;
                }
                if let Some(t) = description {
                    d.description = t;
                }
                if let Some(v) = is_inline {
                    d.is_inline = v;
                }
                if let Some(v) = is_locked {
                    d.is_locked = v;
                }
                if let Some(v) = body.get("icon") {
                    d.icon = v.clone();
                }
                if let Some(v) = body.get("cover") {
                    d.cover = v.clone();
                }
            }
        }
        self.touch(id, by);
        self.database_get(ctx, id)
    }

    fn data_source_create(&mut self, ctx: Ctx, body: &Value) -> Reply<Done> {
        let body = object("body", body)?;
        let ws = self.workspace_of(ctx);
        let parent = body
            .get("parent")
            .ok_or_else(|| Fail::missing("body.parent"))?;
        let db = parse_id(
            "body.parent.database_id",
            parent.get("database_id").unwrap_or(&Value::Null),
        )?;
        self.get_visible(ctx.integration, db, "database", is_database)?;
        let title = match body.get("title") {
            None | Some(Value::Null) => json!([]),
            Some(t) => rich_text("body.title", t)?,
        };
        let schema = self.build_schema(ws, body.get("properties"), "body.properties")?;
        let duals: Vec<String> = schema
            .iter()
            .filter(|p| p.config.get("type").and_then(Value::as_str) == Some("dual_property"))
            .map(|p| p.id.clone())
            .collect();
        let by = self.bot(ctx.integration);
        let ds = self.new_id(IdStyle::V8);
        self.insert(
            ds,
            ws,
            Parent::Database(db),
            by,
            Kind::DataSource(DataSource {
                title,
                description: json!([]),
                icon: body.get("icon").cloned().unwrap_or(Value::Null),
                cover: body.get("cover").cloned().unwrap_or(Value::Null),
                props: schema,
                rows: Vec::new(),
                next_unique: 1,
            }),
        );
        for id in duals {
            self.link_dual(ds, &id);
        }
        if let Some(d) = self.objects.get_mut(&db).and_then(Object::database_mut) {
            d.data_sources.push(ds);
        }
        let object = self.objects.get(&ds).ok_or_else(Fail::invalid_url)?;
        Ok(Done {
            body: self.data_source_json(object, ctx),
            created: Some(ds),
            children: Vec::new(),
        })
    }

    fn data_source_get(&self, ctx: Ctx, id: u128) -> Reply {
        let ds = self.get_visible(ctx.integration, id, "data source", is_data_source)?;
        Ok(self.data_source_json(ds, ctx))
    }

    fn data_source_patch(&mut self, ctx: Ctx, id: u128, body: &Value) -> Reply {
        self.get_visible(ctx.integration, id, "data source", is_data_source)?;
        let body = object("body", body)?;
        let trash = Self::check_archived_field(ctx, body)?;
        let title = body
            .get("title")
            .map(|t| rich_text("body.title", t))
            .transpose()?;
        let description = body
            .get("description")
            .map(|t| rich_text("body.description", t))
            .transpose()?;
        if let Some(props) = body.get("properties") {
            self.update_schema(id, props)?;
        }
        let by = self.bot(ctx.integration);
        if let Some(object) = self.objects.get_mut(&id) {
            if let Some(t) = trash {
                object.in_trash = t;
            }
            if let Some(d) = object.data_source_mut() {
                if let Some(t) = title {
                    d.title = t;
                }
                if let Some(t) = description {
                    d.description = t;
                }
                if let Some(v) = body.get("icon") {
                    d.icon = v.clone();
                }
                if let Some(v) = body.get("cover") {
                    d.cover = v.clone();
                }
            }
        }
        self.touch(id, by);
        self.data_source_get(ctx, id)
    }

    fn query(&self, ctx: Ctx, id: u128, body: &Value, q: &[(String, String)]) -> Reply<Done> {
        let ds = self.get_visible(ctx.integration, id, "data source", is_data_source)?;
        let body = object("body", body)?;
        let (size, cursor) = paging(Some(body), &[])?;
        let schema = ds
            .data_source()
            .map(|d| d.props.clone())
            .unwrap_or_default();
        let filter: Option<Filter> = match body.get("filter") {
            None | Some(Value::Null) => None,
            Some(f) => Some(compile(f, &schema, "body.filter", 0)?),
        };
        let sorts = match body.get("sorts") {
            None | Some(Value::Null) => Vec::new(),
            Some(s) => compile_sorts(s, &schema)?,
        };
        let in_trash = opt_bool(body, "in_trash")?.unwrap_or(false);
        let now = self.clock.now_ms();
        let lag = self.config.query_lag;
        let mut rows: Vec<&Object> = ds
            .data_source()
            .map(|d| d.rows.as_slice())
            .unwrap_or(&[])
            .iter()
            .filter_map(|r| self.objects.get(r))
            .filter(|o| in_trash || !o.in_trash)
            .filter(|o| !self.lagging(o, lag))
            .filter(|o| filter.as_ref().is_none_or(|f| f.matches(self, o, now)))
            .collect();
        sort_rows(self, &mut rows, &sorts);
        let ids: Vec<u128> = rows.iter().map(|o| o.id).collect();
        let w = window(&ids, cursor.as_deref(), size, self.config.query_result_cap)?;
        let only = filter_properties(q);
        let results = w
            .ids
            .iter()
            .filter_map(|id| self.objects.get(id))
            .map(|o| self.page_json(o, ctx, only.as_deref()))
            .collect();
        let mut out = list_json(results, w.next, w.has_more, "page_or_data_source");
        if w.capped {
            out["request_status"] =
                json!({"type": "incomplete", "incomplete_reason": "query_result_limit_reached"});
        }
        Ok(Done::new(out))
    }

    // ----- pages -----

    fn title_schema() -> Vec<PropDef> {
        vec![PropDef {
            id: "title".into(),
            name: "title".into(),
            kind: "title".into(),
            config: json!({}),
            description: Value::Null,
        }]
    }

    /// The page IDs a relation value holds.
    fn relation_ids(value: Option<&Value>) -> Vec<u128> {
        value
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.get("id").and_then(Value::as_str))
                    .filter_map(|s| ObjectId::parse(s).ok())
                    .map(ObjectId::as_u128)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Writes the other side of a dual relation after `page`'s `def` went from `old` to `new`.
    fn sync_dual(&mut self, page: u128, def: &PropDef, old: &[u128], new: &[u128], by: u128) {
        let Some(synced) = def
            .config
            .pointer("/dual_property/synced_property_id")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            return;
        };
        let me = json!({"id": uuid(page)});
        for target in new.iter().filter(|t| !old.contains(t)) {
            if let Some(p) = self.objects.get_mut(target).and_then(Object::page_mut) {
                let list = p.values.entry(synced.clone()).or_insert_with(|| json!([]));
                if let Some(items) = list.as_array_mut()
                    && !items.contains(&me)
                {
                    items.push(me.clone());
                }
            }
            self.touch(*target, by);
        }
        for target in old.iter().filter(|t| !new.contains(t)) {
            if let Some(items) = self
                .objects
                .get_mut(target)
                .and_then(Object::page_mut)
                .and_then(|p| p.values.get_mut(&synced))
                .and_then(Value::as_array_mut)
            {
                items.retain(|i| i != &me);
            }
            self.touch(*target, by);
        }
    }

    /// Stores `values` on `page` (written with `schema`), keeping dual relations in step.
    fn store_values(
        &mut self,
        page: u128,
        schema: &[PropDef],
        values: Vec<(String, Value)>,
        by: u128,
    ) {
        for (id, value) in values {
            let def = schema.iter().find(|p| p.id == id).cloned();
            let old = self
                .objects
                .get(&page)
                .and_then(Object::page)
                .map(|p| Self::relation_ids(p.values.get(&id)))
                .unwrap_or_default();
            let new = Self::relation_ids(Some(&value));
            if let Some(p) = self.objects.get_mut(&page).and_then(Object::page_mut) {
                p.values.insert(id, value);
            }
            if let Some(def) = def.filter(|d| d.kind == "relation") {
                self.sync_dual(page, &def, &old, &new, by);
            }
        }
    }

    fn page_create(&mut self, ctx: Ctx, body: &Value, q: &[(String, String)]) -> Reply<Done> {
        let body = object("body", body)?;
        let ws = self.workspace_of(ctx);
        let parent = body
            .get("parent")
            .ok_or_else(|| Fail::missing("body.parent"))?;
        object("body.parent", parent)?;
        let (parent, ds) = if let Some(v) = parent.get("page_id") {
            let id = parse_id("body.parent.page_id", v)?;
            self.get_visible(ctx.integration, id, "page", is_page)?;
            (Parent::Page(id), None)
        } else if let Some(v) = parent.get("data_source_id") {
            let id = parse_id("body.parent.data_source_id", v)?;
            self.get_visible(ctx.integration, id, "data source", is_data_source)?;
            (Parent::DataSource(id), Some(id))
        } else if let Some(v) = parent.get("database_id") {
            let id = parse_id("body.parent.database_id", v)?;
            let db = self.get_visible(ctx.integration, id, "database", is_database)?;
            let sources: Vec<u128> = db
                .database()
                .map(|d| d.data_sources.clone())
                .unwrap_or_default()
                .into_iter()
                .filter(|s| self.objects.get(s).is_some_and(|o| !o.in_trash))
                .collect();
            match sources.as_slice() {
                [one] => (Parent::DataSource(*one), Some(*one)),
                _ => {
                    let mut fail = Fail::validation(
                        "Databases with multiple data sources are not supported in this API version.",
                    );
                    fail.additional = Some(additional([
                        ("error_type", json!("multiple_data_sources_for_database")),
                        ("database_id", json!(uuid(id))),
                        (
                            "child_data_source_ids",
                            json!(sources.iter().map(|s| uuid(*s)).collect::<Vec<_>>()),
                        ),
                    ]));
                    return Err(fail);
                }
            }
        } else if parent.get("workspace").is_some() {
            return Err(Fail::validation(
                "Internal integrations cannot create pages at the top of a workspace; use a page_id parent.",
            ));
        } else {
            return Err(Fail::body(
                "body.parent",
                "an object with `page_id`, `data_source_id` or `database_id`",
                parent,
            ));
        };
        let parent_id = match parent {
            Parent::Page(p) | Parent::DataSource(p) => p,
            _ => 0,
        };
        if self.trashed(parent_id) {
            return Err(Fail::validation(ARCHIVED_BLOCK));
        }
        let mut schema = match ds {
            Some(ds) => self
                .objects
                .get(&ds)
                .and_then(Object::data_source)
                .map(|d| d.props.clone())
                .unwrap_or_default(),
            None => Self::title_schema(),
        };
        let values = match body.get("properties") {
            None | Some(Value::Null) => Vec::new(),
            Some(p) => self.write_values(ws, &mut schema, p)?,
        };
        let children = match body.get("children").or_else(|| body.get("content")) {
            None | Some(Value::Null) => None,
            Some(c) => Some(self.check_blocks(ws, "body.children", c, 1)?),
        };
        let by = self.bot(ctx.integration);
        let id = self.new_id(IdStyle::V8);
        let mut stored = Map::new();
        if let Some(ds) = ds
            && let Some(source) = self.objects.get_mut(&ds).and_then(Object::data_source_mut)
        {
            source.props = schema.clone();
            for def in schema.iter().filter(|p| p.kind == "unique_id") {
                stored.insert(
                    def.id.clone(),
                    json!({"prefix": def.config.get("prefix").cloned().unwrap_or(Value::Null), "number": source.next_unique}),
                );
            }
            if schema.iter().any(|p| p.kind == "unique_id") {
                source.next_unique += 1;
            }
            source.rows.push(id);
        }
        self.insert(
            id,
            ws,
            parent,
            by,
            Kind::Page(Page {
                values: stored,
                icon: body.get("icon").cloned().unwrap_or(Value::Null),
                cover: body.get("cover").cloned().unwrap_or(Value::Null),
                is_locked: false,
                children: Vec::new(),
            }),
        );
        if let Parent::Page(p) = parent
            && let Some(children) = self.objects.get_mut(&p).and_then(Object::children_mut)
        {
            children.push(id);
        }
        self.store_values(id, &schema, values, by);
        if let Some(blocks) = children {
            self.create_blocks(ws, id, Parent::Page(id), blocks, by, None);
        }
        let only = filter_properties(q);
        let object = self.objects.get(&id).ok_or_else(Fail::invalid_url)?;
        Ok(Done {
            body: self.page_json(object, ctx, only.as_deref()),
            created: Some(id),
            children: Vec::new(),
        })
    }

    fn page_get(&self, ctx: Ctx, id: u128, q: &[(String, String)]) -> Reply {
        let page = self.get_visible(ctx.integration, id, "page", is_page)?;
        let only = filter_properties(q);
        Ok(self.page_json(page, ctx, only.as_deref()))
    }

    fn page_patch(&mut self, ctx: Ctx, id: u128, body: &Value, q: &[(String, String)]) -> Reply {
        let page = self.get_visible(ctx.integration, id, "page", is_page)?;
        let ws = page.workspace;
        let trashed = page.in_trash;
        let mut schema = self.schema_of(page);
        let body = object("body", body)?;
        let trash = Self::check_archived_field(ctx, body)?;
        let edits = body.keys().any(|k| k != "in_trash" && k != "archived");
        if trashed && trash != Some(false) && edits {
            return Err(Fail::validation(ARCHIVED_BLOCK));
        }
        let values = match body.get("properties") {
            None | Some(Value::Null) => Vec::new(),
            Some(p) => self.write_values(ws, &mut schema, p)?,
        };
        let is_locked = opt_bool(body, "is_locked")?;
        let by = self.bot(ctx.integration);
        if let Some(ds) = self.row_source(id)
            && let Some(source) = self.objects.get_mut(&ds).and_then(Object::data_source_mut)
        {
            source.props = schema.clone();
        }
        self.store_values(id, &schema, values, by);
        if let Some(object) = self.objects.get_mut(&id) {
            if let Some(t) = trash {
                object.in_trash = t;
            }
            if let Some(p) = object.page_mut() {
                if let Some(v) = body.get("icon") {
                    p.icon = v.clone();
                }
                if let Some(v) = body.get("cover") {
                    p.cover = v.clone();
                }
                if let Some(v) = is_locked {
                    p.is_locked = v;
                }
            }
        }
        self.touch(id, by);
        self.page_get(ctx, id, q)
    }

    fn property_item(&self, ctx: Ctx, id: u128, prop: &str, q: &[(String, String)]) -> Reply {
        let page = self.get_visible(ctx.integration, id, "page", is_page)?;
        let schema = self.schema_of(page);
        let key = decode(prop);
        let def = schema
            .iter()
            .find(|p| p.id == prop || decode(&p.id) == key)
            .or_else(|| schema.iter().find(|p| p.name == key))
            .ok_or_else(|| {
                Fail::new(
                    404,
                    "object_not_found",
                    format!("Could not find property with ID: {prop}."),
                )
            })?;
        let value = self.full_value(page, def);
        if !matches!(
            def.kind.as_str(),
            "title" | "rich_text" | "relation" | "people"
        ) {
            return Ok(
                json!({"object": "property_item", "id": def.id, "type": def.kind, def.kind.clone(): value}),
            );
        }
        let (size, cursor) = paging(None, q)?;
        let items = value.as_array().cloned().unwrap_or_default();
        let start = match cursor {
            None => 0,
            Some(c) => c
                .strip_prefix("pi_")
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| *n <= items.len())
                .ok_or_else(|| {
                    Fail::validation(format!(
                        "body failed validation: start_cursor should be a cursor this endpoint returned, instead was `{}`.",
                        describe(&json!(c))
                    ))
                })?,
        };
        let end = (start + size).min(items.len());
        let has_more = end < items.len();
        let next = has_more.then(|| format!("pi_{end}"));
        let results = items[start..end]
            .iter()
            .map(|item| json!({"object": "property_item", "type": def.kind, "id": def.id, def.kind.clone(): item}))
            .collect();
        let next_url = next.as_ref().map(|n| {
            format!(
                "https://api.notion.com/v1/pages/{}/properties/{}?start_cursor={n}",
                uuid(id),
                def.id
            )
        });
        let mut out = list_json(results, next, has_more, "property_item");
        out["property_item"] =
            json!({"id": def.id, "next_url": next_url, "type": def.kind, def.kind.clone(): {}});
        Ok(out)
    }

    // ----- blocks -----

    /// Checks blocks of a request (≤ 100 per array, two levels of nesting at most) written in
    /// workspace `ws` (whose uploads its media blocks may attach).
    fn check_blocks(
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
            if super::files::MEDIA_BLOCKS.contains(&kind.as_str()) {
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
    fn create_blocks(
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

    fn children_list(&self, ctx: Ctx, id: u128, q: &[(String, String)]) -> Reply {
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

    fn children_append(&mut self, ctx: Ctx, id: u128, body: &Value) -> Reply<Done> {
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

    fn block_get(&self, ctx: Ctx, id: u128) -> Reply {
        let object = self.get_visible(ctx.integration, id, "block", is_block_like)?;
        Ok(self.block_json(object, ctx))
    }

    fn block_patch(&mut self, ctx: Ctx, id: u128, body: &Value) -> Reply {
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
            let fields = super::validate::object(&format!("body.{kind}"), content)?;
            let mut fields = fields.clone();
            for key in ["rich_text", "caption"] {
                if let Some(text) = fields.get(key).cloned() {
                    fields.insert(key.into(), rich_text(&format!("body.{kind}.{key}"), &text)?);
                }
            }
            let new_file = ["external", "file_upload", "file"]
                .iter()
                .any(|key| fields.contains_key(*key));
            if super::files::MEDIA_BLOCKS.contains(&kind.as_str()) && new_file {
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

    fn block_delete(&mut self, ctx: Ctx, id: u128) -> Reply {
        self.get_visible(ctx.integration, id, "block", is_block_like)?;
        let by = self.bot(ctx.integration);
        if let Some(object) = self.objects.get_mut(&id) {
            object.in_trash = true;
        }
        self.touch_content(id, by);
        self.block_get(ctx, id)
    }

    // ----- file uploads -----

    fn file_upload_create(&mut self, ctx: Ctx, body: &Value) -> Reply<Done> {
        let body = object("body", body)?;
        let mode = body
            .get("mode")
            .and_then(Value::as_str)
            .unwrap_or("single_part");
        let filename = body.get("filename").and_then(Value::as_str);
        let external_url = match mode {
            "external_url" => {
                let url = body
                    .get("external_url")
                    .and_then(Value::as_str)
                    .ok_or_else(|| Fail::missing("body.external_url"))?;
                if !url.starts_with("https://") {
                    return Err(Fail::validation(
                        "body failed validation: body.external_url should be an https URL.",
                    ));
                }
                if super::files::expires_ms(url).is_some_and(|end| end <= self.clock.now_ms()) {
                    return Err(Fail::validation(
                        "The external_url is not publicly accessible (HTTP 403 on HEAD).",
                    ));
                }
                if filename.is_none() {
                    return Err(Fail::missing("body.filename"));
                }
                Some(url.to_owned())
            }
            "single_part" | "multi_part" => None,
            other => {
                return Err(Fail::body(
                    "body.mode",
                    "`single_part`, `multi_part` or `external_url`",
                    &json!(other),
                ));
            }
        };
        let filename = filename.unwrap_or("file").to_owned();
        let content_type = body.get("content_type").cloned().unwrap_or_else(|| {
            let ext = filename.rsplit('.').next().unwrap_or("").to_lowercase();
            match ext.as_str() {
                "pdf" => json!("application/pdf"),
                "txt" => json!("text/plain"),
                "png" => json!("image/png"),
                "jpg" | "jpeg" => json!("image/jpeg"),
                "csv" => json!("text/csv"),
                _ => Value::Null,
            }
        });
        let id = self.new_id(IdStyle::V8);
        let import_fails = self.failing_imports.contains(&filename);
        let file = super::state::FileUpload {
            id,
            workspace: self.workspace_of(ctx),
            created_by: self.bot(ctx.integration),
            created_ms: self.clock.now_minute_ms(),
            filename,
            content_type,
            import: external_url.as_ref().map(|_| super::files::Import {
                done_ms: self.clock.now_ms() + super::files::IMPORT_MS,
                end: if import_fails {
                    super::files::ImportEnd::Failed(
                        "Failed to download the file from the external URL.".to_owned(),
                    )
                } else {
                    super::files::ImportEnd::Success
                },
            }),
        };
        let body = self.file_upload_json(&file, ctx);
        self.file_uploads.insert(id, file);
        Ok(Done {
            body,
            created: Some(id),
            children: Vec::new(),
        })
    }

    fn file_upload_get(&mut self, ctx: Ctx, id: u128) -> Reply {
        let ws = self.workspace_of(ctx);
        let Some(file) = self.file_uploads.get(&id).filter(|f| f.workspace == ws) else {
            return Err(self.not_found(ctx.integration, "file upload", id));
        };
        Ok(self.file_upload_json(file, ctx))
    }
}

fn object_of(body: &Value) -> Reply<&Map<String, Value>> {
    object("body", body)
}
