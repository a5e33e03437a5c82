//! The databases and data sources endpoints: create, retrieve and update each (title, schema,
//! parent, trash), and the data source's query with Notion's filters, sorts, `filter_properties`
//! and the 10,000-result cap.

use serde_json::{Map, Value, json};

use super::{
    ARCHIVED_BLOCK, Done, filter_properties, is_data_source, is_database, is_page, list_json,
    paging, window,
};
use crate::fake::query::{Filter, compile, compile_sorts, sort_rows};
use crate::fake::render::Ctx;
use crate::fake::reply::{Fail, Reply};
use crate::fake::state::{DataSource, Database, IdStyle, Kind, Object, Parent, State, uuid};
use crate::fake::validate::{object, opt_bool, parse_id};

impl State {
    pub(super) fn check_archived_field(ctx: Ctx, body: &Map<String, Value>) -> Reply<Option<bool>> {
        let in_trash = opt_bool(body, "in_trash")?;
        if body.contains_key("archived") {
            if !ctx.version.has_archived() {
                // From 2026-03-11 `archived` is gone from the request types: refused as any key
                // the type does not have.
                let found = body.get("archived").unwrap_or(&Value::Null);
                return Err(Fail::not_present("body.archived", found));
            }
            let archived = opt_bool(body, "archived")?;
            return Ok(in_trash.or(archived));
        }
        Ok(in_trash)
    }

    pub(super) fn database_create(&mut self, ctx: Ctx, body: &Value) -> Reply<Done> {
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
            Some(t) => self.rich_text("body.title", t)?,
        };
        let description = match body.get("description") {
            None | Some(Value::Null) => json!([]),
            Some(t) => self.rich_text("body.description", t)?,
        };
        let is_inline = opt_bool(body, "is_inline")?.unwrap_or(false);
        let (props, path) = if ctx.version.databases_hold_schema() {
            (body.get("properties"), "body.properties")
        } else {
            (
                body.get("initial_data_source")
                    .and_then(|i| i.get("properties")),
                "body.initial_data_source.properties",
            )
        };
        let schema = self.build_schema(ws, props, path)?;
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
        self.add_default_view(db, ds, by);
        let parent = json!({"parent": {"id": uuid(page), "type": "page"}});
        self.emit(
            "database.created",
            page,
            json!({"id": uuid(db), "type": "database"}),
            parent,
            by,
        );
        if let Some(children) = self.objects.get_mut(&page).and_then(Object::children_mut) {
            children.push(db);
        }
        let object = self.objects.get(&db).ok_or_else(Fail::invalid_url)?;
        Ok(Done {
            body: self.database_json(object, ctx),
            created: Some(db),
            children: Vec::new(),
            bare: false,
            status: 200,
        })
    }

    /// The one data source (not in the trash) of database `id`, which the integration must see:
    /// what a page given the database as its parent goes into, and what the database is in
    /// 2022-06-28. A database with several is refused with Notion's
    /// `multiple_data_sources_for_database`.
    pub(super) fn single_source(&self, integration: usize, id: u128) -> Reply<u128> {
        let db = self.get_visible(integration, id, "database", is_database)?;
        match self.live_sources(db).as_slice() {
            [one] => Ok(one.id),
            sources => Err(Fail::multiple_sources(
                &uuid(id),
                sources.iter().map(|s| uuid(s.id)).collect(),
            )),
        }
    }

    pub(super) fn database_get(&self, ctx: Ctx, id: u128) -> Reply {
        if ctx.version.databases_hold_schema() {
            self.single_source(ctx.integration, id)?;
        }
        let db = self.get_visible(ctx.integration, id, "database", is_database)?;
        Ok(self.database_json(db, ctx))
    }

    /// `POST /v1/databases/{id}/query` (2022-06-28): the query of the database's one data
    /// source, listed as that version lists it.
    pub(super) fn database_query(
        &self,
        ctx: Ctx,
        id: u128,
        body: &Value,
        q: &[(String, String)],
    ) -> Reply<Done> {
        let ds = self.single_source(ctx.integration, id)?;
        self.query(ctx, ds, body, q)
    }

    pub(super) fn database_patch(&mut self, ctx: Ctx, id: u128, body: &Value) -> Reply {
        self.get_visible(ctx.integration, id, "database", is_database)?;
        let body = object("body", body)?;
        // In 2022-06-28 the database is its data source: its schema changes here.
        let schema_of = if ctx.version.databases_hold_schema() {
            Some(self.single_source(ctx.integration, id)?)
        } else {
            None
        };
        let trash = Self::check_archived_field(ctx, body)?;
        let look = self.look_edit(body)?;
        let is_inline = opt_bool(body, "is_inline")?;
        let is_locked = opt_bool(body, "is_locked")?;
        let new_parent = body
            .get("parent")
            .map(|parent| self.database_move_target(ctx, id, parent))
            .transpose()?;
        let by = self.bot(ctx.integration);
        if let (Some(ds), Some(props)) = (schema_of, body.get("properties")) {
            self.change_schema(ds, props, by)?;
        }
        if let Some(page) = new_parent
            && self.move_database(id, page)
        {
            self.emit_about(id, "database.moved", "database", by);
        }
        if let Some(t) = trash {
            self.set_trash(id, t, "database", by);
        }
        if let Some(d) = self.objects.get_mut(&id).and_then(Object::database_mut) {
            look.apply([&mut d.title, &mut d.description, &mut d.icon, &mut d.cover]);
            if let Some(v) = is_inline {
                d.is_inline = v;
            }
            if let Some(v) = is_locked {
                d.is_locked = v;
            }
        }
        self.touch(id, by);
        self.database_get(ctx, id)
    }

    /// The page a database moves to (`PATCH /v1/databases/{id}` with a `parent`), checked as
    /// Notion checks it: an object whose `type`, when given, is `page_id` or `workspace` (the
    /// SDK's `UpdateDatabaseBodyParameters`); a page the integration sees (else Notion's 404),
    /// not in the trash, and not inside the database itself; the top of the workspace is refused
    /// to an internal integration, as at creation.
    fn database_move_target(&self, ctx: Ctx, database: u128, parent: &Value) -> Reply<u128> {
        let parent = object("body.parent", parent)?;
        let kind = match parent.get("type") {
            None => None,
            Some(Value::String(kind)) if kind == "page_id" || kind == "workspace" => {
                Some(kind.as_str())
            }
            Some(other) => {
                return Err(Fail::body(
                    "body.parent.type",
                    "`page_id` or `workspace`",
                    other,
                ));
            }
        };
        let to_workspace = kind == Some("workspace")
            || (kind.is_none()
                && parent.contains_key("workspace")
                && !parent.contains_key("page_id"));
        if to_workspace {
            return Err(Fail::validation(
                "Internal integrations cannot move databases to the top of a workspace; use a page_id parent.",
            ));
        }
        let page_id = parent
            .get("page_id")
            .ok_or_else(|| Fail::missing("body.parent.page_id"))?;
        let page = parse_id("body.parent.page_id", page_id)?;
        self.get_visible(ctx.integration, page, "page", is_page)?;
        if self.trashed(page) {
            return Err(Fail::validation(ARCHIVED_BLOCK));
        }
        if self.is_under(page, database) {
            return Err(Fail::validation(
                "body failed validation: body.parent.page_id should not be the database or a page inside it.",
            ));
        }
        Ok(page)
    }

    /// Moves database `id` under `page`: out of its old parent's children, into the page's.
    /// Moves a database under `page`; returns whether it moved (it was elsewhere).
    fn move_database(&mut self, id: u128, page: u128) -> bool {
        let Some(old) = self.objects.get(&id).map(|o| o.parent) else {
            return false;
        };
        if old == Parent::Page(page) {
            return false;
        }
        if let Parent::Page(p) | Parent::Block(p) = old
            && let Some(children) = self.objects.get_mut(&p).and_then(Object::children_mut)
        {
            children.retain(|child| *child != id);
        }
        if let Some(children) = self.objects.get_mut(&page).and_then(Object::children_mut) {
            children.push(id);
        }
        if let Some(object) = self.objects.get_mut(&id) {
            object.parent = Parent::Page(page);
        }
        true
    }

    /// The database a data source's `parent` names (`{"type": "database_id", "database_id"}`,
    /// the SDK's `ParentOfDataSourceRequest`), seen by the integration.
    fn parent_database(&self, ctx: Ctx, parent: &Value) -> Reply<u128> {
        let db = parse_id(
            "body.parent.database_id",
            parent.get("database_id").unwrap_or(&Value::Null),
        )?;
        self.get_visible(ctx.integration, db, "database", is_database)?;
        Ok(db)
    }

    /// Moves data source `ds` to database `db` (its rows with it); returns whether it moved.
    fn move_data_source(&mut self, ds: u128, db: u128) -> bool {
        let old = self.database_of(ds);
        if old == db {
            return false;
        }
        if let Some(d) = self.objects.get_mut(&old).and_then(Object::database_mut) {
            d.data_sources.retain(|x| *x != ds);
        }
        if let Some(d) = self.objects.get_mut(&db).and_then(Object::database_mut) {
            d.data_sources.push(ds);
        }
        if let Some(object) = self.objects.get_mut(&ds) {
            object.parent = Parent::Database(db);
        }
        true
    }

    pub(super) fn data_source_create(&mut self, ctx: Ctx, body: &Value) -> Reply<Done> {
        let body = object("body", body)?;
        let ws = self.workspace_of(ctx);
        let parent = body
            .get("parent")
            .ok_or_else(|| Fail::missing("body.parent"))?;
        let db = self.parent_database(ctx, parent)?;
        let title = match body.get("title") {
            None | Some(Value::Null) => json!([]),
            Some(t) => self.rich_text("body.title", t)?,
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
        self.emit_about(ds, "data_source.created", "data_source", by);
        let object = self.objects.get(&ds).ok_or_else(Fail::invalid_url)?;
        Ok(Done {
            body: self.data_source_json(object, ctx),
            created: Some(ds),
            children: Vec::new(),
            bare: false,
            status: 200,
        })
    }

    pub(super) fn data_source_get(&self, ctx: Ctx, id: u128) -> Reply {
        let ds = self.get_visible(ctx.integration, id, "data source", is_data_source)?;
        Ok(self.data_source_json(ds, ctx))
    }

    pub(super) fn data_source_patch(&mut self, ctx: Ctx, id: u128, body: &Value) -> Reply {
        self.get_visible(ctx.integration, id, "data source", is_data_source)?;
        let body = object("body", body)?;
        let trash = Self::check_archived_field(ctx, body)?;
        let look = self.look_edit(body)?;
        let new_database = body
            .get("parent")
            .map(|parent| self.parent_database(ctx, parent))
            .transpose()?;
        let by = self.bot(ctx.integration);
        if let Some(props) = body.get("properties") {
            self.change_schema(id, props, by)?;
        }
        if let Some(db) = new_database
            && self.move_data_source(id, db)
        {
            self.emit_about(id, "data_source.moved", "data_source", by);
        }
        if let Some(t) = trash {
            self.set_trash(id, t, "data_source", by);
        }
        if let Some(d) = self.objects.get_mut(&id).and_then(Object::data_source_mut) {
            look.apply([&mut d.title, &mut d.description, &mut d.icon, &mut d.cover]);
        }
        self.touch(id, by);
        self.data_source_get(ctx, id)
    }

    pub(super) fn query(
        &self,
        ctx: Ctx,
        id: u128,
        body: &Value,
        q: &[(String, String)],
    ) -> Reply<Done> {
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
        let ids = self.matching_rows(ctx.integration, ds, filter.as_ref(), &sorts, in_trash);
        let w = window(&ids, cursor.as_deref(), size, self.config.query_result_cap)?;
        let only = filter_properties(q);
        let results = w
            .ids
            .iter()
            .filter_map(|id| self.objects.get(id))
            .map(|o| self.page_json(o, ctx, only.as_deref()))
            .collect();
        let mut out = list_json(results, w.next, w.has_more, ctx.version.list_type());
        if w.capped {
            out["request_status"] =
                json!({"type": "incomplete", "incomplete_reason": "query_result_limit_reached"});
        }
        Ok(Done::new(out))
    }

    /// Changes the schema of data source `ds` as `props` asks, and tells the webhooks which
    /// properties were created, renamed and deleted (`data_source.schema_updated`).
    /// The title, description, icon and cover an update of a database or a data source sets
    /// (each checked; `None` where the body leaves it).
    fn look_edit(&self, body: &serde_json::Map<String, Value>) -> Reply<LookEdit> {
        Ok(LookEdit([
            body.get("title")
                .map(|t| self.rich_text("body.title", t))
                .transpose()?,
            body.get("description")
                .map(|t| self.rich_text("body.description", t))
                .transpose()?,
            body.get("icon").cloned(),
            body.get("cover").cloned(),
        ]))
    }

    fn change_schema(&mut self, ds: u128, props: &Value, by: u128) -> Reply<()> {
        let before = self.property_names(ds);
        self.update_schema(ds, props)?;
        let after = self.property_names(ds);
        let mut changes = Vec::new();
        for (pid, name) in &after {
            match before.iter().find(|(b, _)| b == pid) {
                None => changes.push(json!({"id": pid, "name": name, "action": "created"})),
                Some((_, old)) if old != name => {
                    changes.push(json!({"id": pid, "name": name, "action": "updated"}));
                }
                Some(_) => {}
            }
        }
        for (pid, _) in before
            .iter()
            .filter(|(b, _)| !after.iter().any(|(a, _)| a == b))
        {
            changes.push(json!({"id": pid, "name": null, "action": "deleted"}));
        }
        let data = json!({"parent": self.event_parent(ds), "updated_properties": changes});
        self.emit(
            "data_source.schema_updated",
            ds,
            json!({"id": uuid(ds), "type": "data_source"}),
            data,
            by,
        );
        Ok(())
    }

    /// The (ID, name) of each property of data source `id` (none when it is not one).
    fn property_names(&self, id: u128) -> Vec<(String, String)> {
        self.objects
            .get(&id)
            .and_then(Object::data_source)
            .map(|d| {
                d.props
                    .iter()
                    .map(|p| (p.id.clone(), p.name.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The rows of data source `ds` a query of `integration` with `filter` and `sorts` lists, in
    /// order (those in the trash only with `in_trash`; none still hidden by the read-after-write
    /// lag; none the integration cannot open).
    pub(super) fn matching_rows(
        &self,
        integration: usize,
        ds: &Object,
        filter: Option<&Filter>,
        sorts: &[crate::fake::query::Sort],
        in_trash: bool,
    ) -> Vec<u128> {
        let now = self.clock.now_ms();
        let lag = self.config.query_lag;
        // The data source is visible: so are its rows, unless something was unshared.
        let all_visible = self
            .integrations
            .get(integration)
            .is_none_or(|i| i.unshared.is_empty());
        let mut rows: Vec<&Object> = ds
            .data_source()
            .map(|d| d.rows.as_slice())
            .unwrap_or(&[])
            .iter()
            .filter_map(|r| self.objects.get(r))
            .filter(|o| match in_trash {
                false => !o.in_trash,
                true => o.in_trash || self.config.trash_query_lists_live,
            })
            // A row the integration cannot open (unshared from it, or deleted for good) is not
            // listed either.
            .filter(|o| all_visible || self.visible(integration, o.id))
            .filter(|o| !self.lagging(o, lag))
            .filter(|o| filter.is_none_or(|f| f.matches(self, o, now)))
            .collect();
        sort_rows(self, &mut rows, sorts);
        rows.iter().map(|o| o.id).collect()
    }
}

/// What an update sets of a database's or a data source's title, description, icon and cover,
/// in that order ([`State::look_edit`]).
struct LookEdit([Option<Value>; 4]);

impl LookEdit {
    /// Sets what the update gave on the object's title, description, icon and cover.
    fn apply(self, fields: [&mut Value; 4]) {
        for (field, value) in fields.into_iter().zip(self.0) {
            if let Some(value) = value {
                *field = value;
            }
        }
    }
}
