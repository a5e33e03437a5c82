//! The one request handler: checks, faults, routing and every endpoint.
//!
//! Both ways into the fake (the in-memory [`Transport`](crate::transport::Transport) and the HTTP
//! server) turn their request into an [`Incoming`] and call [`State::process`], which answers an
//! [`Outgoing`]. The order of checks is Notion's: `Notion-Version` (400 `missing_version` or
//! `validation_error`), the route (400 `invalid_request_url`, before the token: see `route`),
//! the token (401), the rate limits (429), injected faults, the body (400 `invalid_json`), then
//! the endpoint's own checks
//! (404 when the object is missing or not shared, 400 `validation_error`). Every answer gets a
//! `request_id` and a line in the request log.
//!
//! The checks and the routing are here; the endpoints are in one file per area of the API:
//! `users`, `search`, `databases` (databases and data sources, and the query), `pages`,
//! `blocks` (and the checks of block payloads), `file_uploads`, `comments`, `custom_emojis` and
//! `page_moves` (moving pages, and data-source templates), `views` (and view queries),
//! `page_markdown` (and async tasks), `meeting_notes`, and `oauth` (a public integration's
//! token exchange, introspection and revocation, which authenticate with HTTP Basic auth, not a
//! bearer token: [`Auth`]).

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::faults::{Fault, is_create};
use super::log::LoggedRequest;
use super::render::Ctx;
use super::reply::{Fail, Reply, additional, describe};
use super::request_bodies::check_keys;
use super::state::{IdStyle, Kind, Object, State, uuid};
use super::validate::object;
use super::versions::{ApiVersion, VERSIONS};
use crate::ids::ObjectId;
use crate::transport::Method;
pub(crate) use page_markdown::AsyncTask;
pub(crate) use route::Route;

mod blocks;
mod comments;
mod custom_emojis;
mod databases;
mod file_uploads;
mod meeting_notes;
mod oauth;
mod page_markdown;
mod page_moves;
mod pages;
mod route;
mod search;
mod users;
mod views;

/// A request body as it arrived.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    /// No body.
    Absent,
    /// A JSON body.
    Json(Value),
    /// A `multipart/form-data` body.
    Form(crate::transport::FormData),
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
    /// The `Authorization` header, read.
    pub(crate) auth: Auth,
    pub(crate) version: Option<String>,
}

/// How a request authenticates: its `Authorization` header, read once for both ways in.
#[derive(Debug, Clone)]
pub(crate) enum Auth {
    /// No usable header.
    None,
    /// `Bearer <token>`: an integration's token.
    Bearer(crate::secret::NotionToken),
    /// `Basic <base64 of client_id:client_secret>`: an OAuth client's credentials.
    Basic {
        client_id: String,
        secret: crate::secret::NotionToken,
    },
}

impl Auth {
    /// The credentials of an `Authorization` header's value; [`Auth::None`] for a missing or
    /// unreadable one (a Basic value that is not base64 of `id:secret`).
    pub(crate) fn from_header(value: Option<&str>) -> Self {
        use base64::Engine as _;
        let Some(value) = value else {
            return Self::None;
        };
        if let Some(token) = value.strip_prefix("Bearer ") {
            return crate::secret::NotionToken::new(token).map_or(Self::None, Self::Bearer);
        }
        let basic = value
            .strip_prefix("Basic ")
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .ok()
            })
            .and_then(|bytes| String::from_utf8(bytes).ok());
        let Some(pair) = basic else {
            return Self::None;
        };
        let Some((id, secret)) = pair.split_once(':') else {
            return Self::None;
        };
        crate::secret::NotionToken::new(secret).map_or(Self::None, |secret| Self::Basic {
            client_id: id.to_owned(),
            secret,
        })
    }

    /// The bearer token, if that is how the request authenticates.
    fn bearer(&self) -> Option<&crate::secret::NotionToken> {
        match self {
            Self::Bearer(token) => Some(token),
            Self::None | Self::Basic { .. } => None,
        }
    }
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
    /// The answer has no `request_id` (as Notion answers the templates list).
    bare: bool,
    /// The HTTP status (200; 202 for an accepted async task).
    status: u16,
}

impl Done {
    fn new(body: Value) -> Self {
        Self {
            body,
            created: None,
            children: Vec::new(),
            bare: false,
            status: 200,
        }
    }

    /// What a create answers: the body, and the ID of what it made.
    fn created(body: Value, id: u128) -> Self {
        Self {
            created: Some(id),
            ..Self::new(body)
        }
    }
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
                if !done.bare
                    && let Some(map) = done.body.as_object_mut()
                {
                    map.insert("request_id".into(), json!(request_id));
                }
                Outgoing {
                    status: done.status,
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
        self.file_upload_events();
        out
    }

    /// The checks in order; `Ok(None)` is a timeout.
    fn checked(&mut self, req: &Incoming, n: u64, line: &mut LoggedRequest) -> Reply<Option<Done>> {
        let version = match req.version.as_deref() {
            None => {
                return Err(Fail::new(
                    400,
                    "missing_version",
                    "Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.",
                ));
            }
            Some(v) => ApiVersion::parse(v).ok_or_else(|| {
                let served: Vec<String> = VERSIONS.iter().map(|v| format!("`{v}`")).collect();
                let listed = match served.split_last() {
                    Some((last, rest)) => format!("{}, or {last}", rest.join(", ")),
                    None => String::new(),
                };
                Fail::validation(format!(
                    "Notion-Version header failed validation: Notion-Version header should be one of {listed}, instead was `{}`.",
                    describe(&json!(v))
                ))
            })?,
        };
        let Some(route) = Route::parse(req.method, &req.path).filter(|r| version.serves(*r)) else {
            return Err(Fail::invalid_url());
        };
        if route.is_oauth() {
            return self.oauth(req, route, line).map(Some);
        }
        let integration = req
            .auth
            .bearer()
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
            version,
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
            Some(Fault::ValidationError) => {
                return Err(Fail::validation(
                    "The request was refused (a scripted validation_error).",
                ));
            }
            Some(Fault::TimeoutBeforeWrite) => return Ok(None),
            Some(Fault::TimeoutAfterWrite) => {
                let _ = self.route(req, route, ctx);
                return Ok(None);
            }
            Some(Fault::CommittedUnavailable) => {
                let done = self.route(req, route, ctx)?;
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
        self.route(req, route, ctx).map(Some)
    }

    fn route(&mut self, req: &Incoming, route: Route<'_>, ctx: Ctx) -> Reply<Done> {
        if let Route::FileUploadSend(id) = route {
            let id = path_id("file_upload_id", id)?;
            let Body::Form(form) = &req.body else {
                return Err(Fail::missing("body.file"));
            };
            return Ok(Done::new(self.file_upload_send(ctx, id, form)?));
        }
        let body = match &req.body {
            Body::Invalid | Body::Form(_) => return Err(Fail::invalid_json()),
            Body::Absent => None,
            Body::Json(v) => Some(v),
        };
        if let (Some(table), Some(Value::Object(map))) = (route.body_keys(ctx.version), body) {
            check_keys(map, table)?;
        }
        let empty = json!({});
        let q = req.query.as_slice();
        let b = || body.unwrap_or(&empty);
        let done = match route {
            Route::UsersMe => Done::new(self.users_me(ctx)),
            Route::UsersList => self.users_list(ctx, q)?,
            Route::User(id) => Done::new(self.user_get(ctx, path_id("user_id", id)?)?),
            Route::Search => self.search(ctx, b())?,
            Route::DatabaseCreate => self.database_create(ctx, b())?,
            Route::DatabaseGet(id) => {
                Done::new(self.database_get(ctx, path_id("database_id", id)?)?)
            }
            Route::DatabasePatch(id) => {
                Done::new(self.database_patch(ctx, path_id("database_id", id)?, b())?)
            }
            Route::DataSourceCreate => self.data_source_create(ctx, b())?,
            Route::DataSourceGet(id) => {
                Done::new(self.data_source_get(ctx, path_id("data_source_id", id)?)?)
            }
            Route::DataSourcePatch(id) => {
                Done::new(self.data_source_patch(ctx, path_id("data_source_id", id)?, b())?)
            }
            Route::Query(id) => self.query(ctx, path_id("data_source_id", id)?, b(), q)?,
            Route::DatabaseQuery(id) => {
                self.database_query(ctx, path_id("database_id", id)?, b(), q)?
            }
            Route::PageCreate => self.page_create(ctx, b(), q)?,
            Route::PageGet(id) => Done::new(self.page_get(ctx, path_id("page_id", id)?, q)?),
            Route::PagePatch(id) => {
                Done::new(self.page_patch(ctx, path_id("page_id", id)?, b(), q)?)
            }
            Route::PropertyItem(id, prop) => {
                Done::new(self.property_item(ctx, path_id("page_id", id)?, prop, q)?)
            }
            Route::ChildrenList(id) => {
                Done::new(self.children_list(ctx, path_id("block_id", id)?, q)?)
            }
            Route::ChildrenAppend(id) => {
                self.children_append(ctx, path_id("block_id", id)?, b())?
            }
            Route::BlockGet(id) => Done::new(self.block_get(ctx, path_id("block_id", id)?)?),
            Route::BlockPatch(id) => {
                Done::new(self.block_patch(ctx, path_id("block_id", id)?, b())?)
            }
            Route::BlockDelete(id) => Done::new(self.block_delete(ctx, path_id("block_id", id)?)?),
            Route::FileUploadCreate => self.file_upload_create(ctx, b())?,
            Route::FileUploadGet(id) => {
                Done::new(self.file_upload_get(ctx, path_id("file_upload_id", id)?)?)
            }
            Route::FileUploadList => self.file_upload_list(ctx, q)?,
            Route::FileUploadComplete(id) => {
                Done::new(self.file_upload_complete(ctx, path_id("file_upload_id", id)?)?)
            }
            Route::CommentCreate => self.comment_create(ctx, b())?,
            Route::CommentList => self.comment_list(ctx, q)?,
            Route::CommentGet(id) => Done::new(self.comment_get(ctx, path_id("comment_id", id)?)?),
            Route::CommentPatch(id) => {
                Done::new(self.comment_patch(ctx, path_id("comment_id", id)?, b())?)
            }
            Route::CommentDelete(id) => {
                Done::new(self.comment_delete(ctx, path_id("comment_id", id)?)?)
            }
            Route::CustomEmojis => self.custom_emojis_list(ctx, q)?,
            Route::PageMove(id) => Done::new(self.page_move(ctx, path_id("page_id", id)?, b())?),
            Route::Templates(id) => self.templates_list(ctx, path_id("data_source_id", id)?, q)?,
            Route::ViewList => self.view_list(ctx, q)?,
            Route::ViewCreate => self.view_create(ctx, b())?,
            Route::ViewGet(id) => Done::new(self.view_get(ctx, path_id("view_id", id)?)?),
            Route::ViewPatch(id) => {
                Done::new(self.view_patch(ctx, path_id("view_id", id)?, b())?)
            }
            Route::ViewDelete(id) => Done::new(self.view_delete(ctx, path_id("view_id", id)?)?),
            Route::ViewQueryCreate(id) => {
                self.view_query_create(ctx, path_id("view_id", id)?, b())?
            }
            Route::ViewQueryResults(id, query) => self.view_query_results(
                ctx,
                path_id("view_id", id)?,
                path_id("query_id", query)?,
                q,
            )?,
            Route::ViewQueryDelete(id, query) => Done::new(self.view_query_delete(
                ctx,
                path_id("view_id", id)?,
                path_id("query_id", query)?,
            )?),
            Route::PageMarkdownGet(id) => {
                Done::new(self.page_markdown_get(ctx, path_id("page_id", id)?, q)?)
            }
            Route::PageMarkdownPatch(id) => {
                self.page_markdown_patch(ctx, path_id("page_id", id)?, b())?
            }
            Route::AsyncTask(id) => Done::new(self.async_task_get(ctx, id)?),
            Route::MeetingNotesQuery => Done::new(self.meeting_notes_query(ctx, b())?),
            // Answered before the bearer token is read.
            Route::OauthToken | Route::OauthIntrospect | Route::OauthRevoke => {
                return Err(Fail::unauthorized());
            }
            // Answered above, with its form.
            Route::FileUploadSend(_) => return Err(Fail::missing("body.file")),
        };
        Ok(done)
    }

    fn workspace_of(&self, ctx: Ctx) -> usize {
        self.integrations
            .get(ctx.integration)
            .map_or(0, |i| i.workspace)
    }
}

fn object_of(body: &Value) -> Reply<&Map<String, Value>> {
    object("body", body)
}
