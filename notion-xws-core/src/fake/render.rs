//! Objects as JSON, in the shapes Notion answers with.
//!
//! Pages, databases, data sources, blocks, users and file uploads are written here with the same
//! keys, in the same order, as the recorded responses of Notion-Version 2025-09-03 (see
//! `tests/fixtures/fake-shapes/`), in the shape of the request's version (`versions`): before
//! 2026-03-11 every object also carries `archived` (equal to `in_trash`); under 2022-06-28 a
//! database shows its schema and a row's parent is its database. Page properties are computed here: read-only values
//! (created and edited time and by, formula, rollup), and relation and people lists cut to 25
//! references with `has_more`.

use serde_json::{Map, Value, json};

use super::clock::format_iso;
use super::rich_text::plain_text;
use super::state::{FileUpload, Kind, Object, Parent, PropDef, State, uuid};
use super::urls::object_url;
use super::validate::empty_value;
use super::versions::ApiVersion;
use crate::ids::ObjectId;

/// The most references a page object shows per relation or people property.
pub(crate) const MAX_REFS: usize = 25;

/// Who asks, and in which API version.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    pub(crate) integration: usize,
    /// The `Notion-Version` of the request: what shapes the answer takes (see `versions`).
    pub(crate) version: ApiVersion,
}

fn user_ref(id: u128) -> Value {
    json!({"object": "user", "id": uuid(id)})
}

fn finish(mut value: Value, object: &Object, ctx: Ctx) -> Value {
    if ctx.version.has_archived()
        && let Some(map) = value.as_object_mut()
    {
        map.insert("archived".into(), json!(object.in_trash));
    }
    value
}

impl State {
    /// The `parent` of an object, as `version` shows it: a row's parent is its data source and
    /// the database from 2025-09-03, the database alone before.
    pub(crate) fn parent_json(&self, parent: Parent, version: ApiVersion) -> Value {
        match parent {
            Parent::Workspace => json!({"type": "workspace", "workspace": true}),
            Parent::Page(p) => json!({"type": "page_id", "page_id": uuid(p)}),
            Parent::Database(d) => json!({"type": "database_id", "database_id": uuid(d)}),
            Parent::DataSource(ds) if version.databases_hold_schema() => {
                json!({"type": "database_id", "database_id": uuid(self.database_of(ds))})
            }
            Parent::DataSource(ds) => json!({
                "type": "data_source_id", "data_source_id": uuid(ds),
                "database_id": uuid(self.database_of(ds)),
            }),
            Parent::Block(b) => json!({"type": "block_id", "block_id": uuid(b)}),
        }
    }

    /// The schema a page's properties follow (a page outside a data source has only `title`).
    pub(crate) fn schema_of(&self, page: &Object) -> Vec<PropDef> {
        match page.parent {
            Parent::DataSource(ds) => self
                .objects
                .get(&ds)
                .and_then(|o| o.data_source())
                .map(|d| d.props.clone())
                .unwrap_or_default(),
            _ => vec![PropDef {
                id: "title".into(),
                name: "title".into(),
                kind: "title".into(),
                config: json!({}),
                description: Value::Null,
            }],
        }
    }

    /// The title of a page, as plain text.
    pub(crate) fn page_title(&self, page: &Object) -> String {
        page.page()
            .and_then(|p| p.values.get("title"))
            .map(plain_text)
            .unwrap_or_default()
    }

    /// The value of one property of a page, computed if read-only, uncut.
    pub(crate) fn full_value(&self, page: &Object, def: &PropDef) -> Value {
        let stored = page.page().and_then(|p| p.values.get(&def.id));
        match def.kind.as_str() {
            "created_time" => json!(format_iso(page.created_ms)),
            "last_edited_time" => json!(format_iso(page.edited_ms)),
            "created_by" => user_ref(page.created_by),
            "last_edited_by" => user_ref(page.edited_by),
            "button" => json!({}),
            "formula" => stored
                .cloned()
                .unwrap_or_else(|| json!({"type": "string", "string": null})),
            "rollup" => self.rollup(page, def),
            // A select, multi-select or status value names its option by ID: its name and
            // colour are the option's now (a renamed option shows its new name), and an
            // option since removed is no longer a value.
            "select" | "status" => stored
                .and_then(|value| current_option(def, value))
                .unwrap_or(Value::Null),
            "multi_select" => Value::Array(
                stored
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|value| current_option(def, value))
                    .collect(),
            ),
            "people" => {
                let ids = stored
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                Value::Array(
                    ids.iter()
                        .map(|r| {
                            r.get("id")
                                .and_then(Value::as_str)
                                .and_then(|s| ObjectId::parse(s).ok())
                                .and_then(|id| self.users.get(&id.as_u128()))
                                .map_or_else(|| r.clone(), |u| self.user_json(u, false))
                        })
                        .collect(),
                )
            }
            // Hosted files are signed anew on every read.
            "files" => {
                let now = self.clock.now_ms();
                let mut files = stored.cloned().unwrap_or_else(|| json!([]));
                for file in files.as_array_mut().into_iter().flatten() {
                    if file["type"] == "file"
                        && let Some(hosted) = file.get_mut("file")
                    {
                        *hosted = super::files::signed(hosted, now);
                    }
                }
                files
            }
            _ => stored.cloned().unwrap_or_else(|| empty_value(def)),
        }
    }

    fn rollup(&self, page: &Object, def: &PropDef) -> Value {
        let function = def
            .config
            .get("function")
            .and_then(Value::as_str)
            .unwrap_or("show_original");
        let relation_id = def
            .config
            .get("relation_property_id")
            .and_then(Value::as_str)
            .unwrap_or("");
        let related: Vec<u128> = page
            .page()
            .and_then(|p| p.values.get(relation_id))
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.get("id").and_then(Value::as_str))
                    .filter_map(|s| ObjectId::parse(s).ok())
                    .map(ObjectId::as_u128)
                    .collect()
            })
            .unwrap_or_default();
        if matches!(function, "count" | "count_all" | "count_values") {
            return json!({"type": "number", "number": related.len(), "function": function});
        }
        let rolled_id = def
            .config
            .get("rollup_property_id")
            .and_then(Value::as_str)
            .unwrap_or("");
        let mut values = Vec::new();
        for id in related {
            if let Some(target) = self.objects.get(&id) {
                let schema = self.schema_of(target);
                if let Some(rdef) = schema.iter().find(|p| p.id == rolled_id)
                    && rdef.kind != "rollup"
                {
                    values.push(json!({"type": rdef.kind, rdef.kind.clone(): self.full_value(target, rdef)}));
                }
            }
        }
        json!({"type": "array", "array": values, "function": function})
    }

    /// A page's `properties`, limited to `only` (names or IDs) when given.
    fn page_properties(&self, page: &Object, only: Option<&[String]>) -> Value {
        let mut out = Map::new();
        for def in self.schema_of(page) {
            if let Some(only) = only
                && !only
                    .iter()
                    .any(|k| *k == def.name || *k == def.id || decode(k) == decode(&def.id))
            {
                continue;
            }
            let mut value = self.full_value(page, &def);
            let mut entry = json!({"id": def.id, "type": def.kind});
            if matches!(def.kind.as_str(), "relation" | "people")
                && let Some(items) = value.as_array_mut()
            {
                let more = items.len() > MAX_REFS;
                items.truncate(MAX_REFS);
                if def.kind == "relation" {
                    entry["has_more"] = json!(more);
                }
            }
            entry[def.kind.as_str()] = value;
            out.insert(def.name.clone(), entry);
        }
        Value::Object(out)
    }

    /// A page object.
    pub(crate) fn page_json(&self, page: &Object, ctx: Ctx, only: Option<&[String]>) -> Value {
        let Some(p) = page.page() else {
            return Value::Null;
        };
        let title = self.page_title(page);
        finish(
            json!({
                "object": "page",
                "id": uuid(page.id),
                "created_time": format_iso(page.created_ms),
                "last_edited_time": format_iso(page.edited_ms),
                "created_by": user_ref(page.created_by),
                "last_edited_by": user_ref(page.edited_by),
                "cover": p.cover,
                "icon": p.icon,
                "parent": self.parent_json(page.parent, ctx.version),
                "in_trash": page.in_trash,
                "is_archived": false,
                "is_locked": p.is_locked,
                "properties": self.page_properties(page, only),
                "url": object_url(page.id, &title),
                "public_url": null,
            }),
            page,
            ctx,
        )
    }

    /// A database object: from 2025-09-03 a container that names its `data_sources`; in
    /// 2022-06-28 the one schema of its data source (`properties`, with `created_by` and
    /// `last_edited_by`), as the SDK's `DatabaseObjectResponse` of that version has it. The
    /// caller has made sure that such a database has one data source (`single_source`).
    pub(crate) fn database_json(&self, db: &Object, ctx: Ctx) -> Value {
        let Some(d) = db.database() else {
            return Value::Null;
        };
        let sources: Vec<&Object> = self.live_sources(db);
        let mut value = json!({
            "object": "database",
            "id": uuid(db.id),
            "title": d.title,
            "description": d.description,
            "parent": self.parent_json(db.parent, ctx.version),
            "is_inline": d.is_inline,
            "in_trash": db.in_trash,
            "is_locked": d.is_locked,
            "created_time": format_iso(db.created_ms),
            "last_edited_time": format_iso(db.edited_ms),
        });
        if ctx.version.databases_hold_schema() {
            let props = sources
                .first()
                .and_then(|o| o.data_source())
                .map(|s| Self::properties_json(&s.props))
                .unwrap_or_default();
            value["created_by"] = user_ref(db.created_by);
            value["last_edited_by"] = user_ref(db.edited_by);
            value["properties"] = Value::Object(props);
        } else {
            value["data_sources"] = sources
                .iter()
                .map(|o| {
                    json!({"id": uuid(o.id), "name": o.data_source().map(|s| plain_text(&s.title)).unwrap_or_default()})
                })
                .collect();
        }
        value["icon"] = d.icon.clone();
        value["cover"] = d.cover.clone();
        value["url"] = json!(object_url(db.id, ""));
        value["public_url"] = Value::Null;
        finish(value, db, ctx)
    }

    /// The data sources of database `db` not in the trash, in order.
    pub(crate) fn live_sources(&self, db: &Object) -> Vec<&Object> {
        db.database()
            .map(|d| d.data_sources.as_slice())
            .unwrap_or(&[])
            .iter()
            .filter_map(|id| self.objects.get(id))
            .filter(|o| !o.in_trash)
            .collect()
    }

    /// A schema as `properties`: each definition by name.
    fn properties_json(props: &[PropDef]) -> Map<String, Value> {
        props
            .iter()
            .map(|p| (p.name.clone(), Self::prop_json(p)))
            .collect()
    }

    /// A property definition as a data source shows it.
    pub(crate) fn prop_json(def: &PropDef) -> Value {
        json!({
            "id": def.id, "name": def.name, "description": def.description,
            "type": def.kind, def.kind.clone(): def.config,
        })
    }

    /// A data source object.
    pub(crate) fn data_source_json(&self, ds: &Object, ctx: Ctx) -> Value {
        let Some(d) = ds.data_source() else {
            return Value::Null;
        };
        let db = self.database_of(ds.id);
        let db_object = self.objects.get(&db);
        let properties = Self::properties_json(&d.props);
        finish(
            json!({
                "object": "data_source",
                "id": uuid(ds.id),
                "cover": d.cover,
                "icon": d.icon,
                "created_time": format_iso(ds.created_ms),
                "created_by": user_ref(ds.created_by),
                "last_edited_by": user_ref(ds.edited_by),
                "last_edited_time": format_iso(ds.edited_ms),
                "title": d.title,
                "description": d.description,
                "is_inline": db_object.and_then(|o| o.database()).is_some_and(|d| d.is_inline),
                "properties": properties,
                "parent": self.parent_json(ds.parent, ctx.version),
                "database_parent": db_object.map_or(Value::Null, |o| self.parent_json(o.parent, ctx.version)),
                "url": object_url(db, ""),
                "public_url": null,
                "in_trash": ds.in_trash,
            }),
            ds,
            ctx,
        )
    }

    /// Any object of the block tree as a block (a page is a `child_page`, a database a
    /// `child_database`).
    pub(crate) fn block_json(&self, object: &Object, ctx: Ctx) -> Value {
        let (kind, content) = match &object.kind {
            Kind::Page(_) => (
                "child_page".to_owned(),
                json!({"title": self.page_title(object)}),
            ),
            Kind::Database(d) => (
                "child_database".to_owned(),
                json!({"title": plain_text(&d.title)}),
            ),
            Kind::Block(b) => {
                let mut content = b.content.clone();
                for key in ["rich_text", "caption"] {
                    if let Some(text) = content.get_mut(key) {
                        self.read_rich_text(ctx.integration, text);
                    }
                }
                if let Some(cells) = content.get_mut("cells").and_then(Value::as_array_mut) {
                    for cell in cells {
                        self.read_rich_text(ctx.integration, cell);
                    }
                }
                // A hosted icon, like a media block's hosted file, is signed anew on every read.
                if let Some(icon) = content.get_mut("icon")
                    && icon.get("type").and_then(Value::as_str) == Some("file")
                    && let Some(hosted) = icon.get_mut("file")
                {
                    *hosted = super::files::signed(hosted, self.clock.now_ms());
                }
                // A media block's hosted file is signed anew on every read.
                if super::files::MEDIA_BLOCKS.contains(&b.kind.as_str())
                    && content.get("type").and_then(Value::as_str) == Some("file")
                    && let Some(hosted) = content.get_mut("file")
                {
                    *hosted = super::files::signed(hosted, self.clock.now_ms());
                }
                // Meeting notes are `transcription` blocks before 2026-03-11.
                let kind = if b.kind == "meeting_notes" {
                    ctx.version.meeting_notes_type().to_owned()
                } else {
                    b.kind.clone()
                };
                (kind, content)
            }
            Kind::DataSource(_) => return Value::Null,
        };
        let has_children = object
            .children()
            .iter()
            .any(|c| self.objects.get(c).is_some_and(|o| !o.in_trash));
        finish(
            json!({
                "object": "block",
                "id": uuid(object.id),
                "parent": self.parent_json(object.parent, ctx.version),
                "created_time": format_iso(object.created_ms),
                "last_edited_time": format_iso(object.edited_ms),
                "created_by": user_ref(object.created_by),
                "last_edited_by": user_ref(object.edited_by),
                "has_children": has_children,
                "in_trash": object.in_trash,
                "type": kind,
                kind.clone(): content,
            }),
            object,
            ctx,
        )
    }

    /// A user; `full_bot` shows a bot's workspace (as `users/me` and the bot itself see it).
    pub(crate) fn user_json(&self, user: &super::state::User, full_bot: bool) -> Value {
        match (&user.email, user.integration) {
            (_, Some(integration)) => {
                let bot = if full_bot {
                    let ws = self.workspaces.get(user.workspace);
                    // A public integration's bot is owned by the person who authorized it.
                    let owner = self
                        .integrations
                        .get(integration)
                        .and_then(|i| i.grant.as_ref())
                        .and_then(|g| self.users.get(&g.owner))
                        .map_or_else(
                            || json!({"type": "workspace", "workspace": true}),
                            |person| json!({"type": "user", "user": self.user_json(person, false)}),
                        );
                    json!({
                        "owner": owner,
                        "workspace_name": ws.map(|w| w.name.clone()),
                        "workspace_id": ws.map(|w| uuid(w.id)),
                        "workspace_limits": {"max_file_upload_size_in_bytes": ws.map(|w| w.upload_limit)},
                    })
                } else {
                    json!({})
                };
                json!({"object": "user", "id": uuid(user.id), "name": user.name, "avatar_url": null, "type": "bot", "bot": bot})
            }
            (email, None) => json!({
                "object": "user", "id": uuid(user.id), "name": user.name, "avatar_url": null,
                "type": "person", "person": {"email": email, "email_verified": true},
            }),
        }
    }

    /// The status of a file upload now: an `external_url` upload as its import stands, any
    /// other `uploaded` once its content is whole (sent, or completed), else `pending`; and
    /// `expired` when it was not attached within its hour.
    pub(crate) fn file_upload_status(&self, file: &FileUpload) -> &'static str {
        let now = self.clock.now_ms();
        let status = match (&file.import, &file.content) {
            (Some(import), _) => import.status(now),
            (None, Some(_)) => "uploaded",
            (None, None) => "pending",
        };
        let late = now >= file.created_ms + super::files::UPLOAD_LIFETIME_MS;
        if late && !file.attached && matches!(status, "pending" | "uploaded") {
            "expired"
        } else {
            status
        }
    }

    /// A file upload object.
    pub(crate) fn file_upload_json(&self, file: &FileUpload, ctx: Ctx) -> Value {
        let status = self.file_upload_status(file);
        let mut value = json!({
            "object": "file_upload",
            "id": uuid(file.id),
            "created_time": format_iso(file.created_ms),
            "created_by": {"id": uuid(file.created_by), "type": "bot"},
            "last_edited_time": format_iso(file.created_ms),
            // `null` once attached: an attached upload no longer expires (Notion's "File Upload").
            "expiry_time": (!file.attached)
                .then(|| format_iso(file.created_ms + super::files::UPLOAD_LIFETIME_MS)),
            "in_trash": false,
            "status": status,
            "filename": file.filename,
            "content_type": file.content_type,
            "content_length": file.content.as_ref().map(Vec::len),
        });
        let Some(map) = value.as_object_mut() else {
            return value;
        };
        if status == "pending" {
            // Notion puts `upload_url` right after `expiry_time`; key order is cosmetic.
            map.insert(
                "upload_url".into(),
                json!(format!(
                    "https://api.notion.com/v1/file_uploads/{}/send",
                    uuid(file.id)
                )),
            );
        }
        if let super::files::UploadMode::MultiPart { total } = file.mode {
            if status == "pending" {
                map.insert(
                    "complete_url".into(),
                    json!(format!(
                        "https://api.notion.com/v1/file_uploads/{}/complete",
                        uuid(file.id)
                    )),
                );
            }
            let sent = if file.content.is_some() {
                total as usize
            } else {
                file.parts.len()
            };
            map.insert(
                "number_of_parts".into(),
                json!({"total": total, "sent": sent}),
            );
        }
        if let Some(result) = file
            .import
            .as_ref()
            .and_then(|import| import.result(self.clock.now_ms()))
        {
            map.insert("file_import_result".into(), result);
        }
        if ctx.version.has_archived() {
            map.insert("archived".into(), json!(false));
        }
        value
    }
}

/// Percent-decodes a property ID (`%3A` → `:`) so that encoded and decoded forms compare equal.
pub(crate) fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// The option a stored select value names (by ID), as the schema `def` holds it now.
fn current_option(def: &PropDef, value: &Value) -> Option<Value> {
    let id = value.get("id")?;
    def.config
        .get("options")
        .and_then(Value::as_array)?
        .iter()
        .find(|o| o.get("id") == Some(id))
        .map(|o| json!({"id": o["id"], "name": o["name"], "color": o["color"]}))
}
