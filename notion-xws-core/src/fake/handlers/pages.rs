//! The pages endpoints: create (in a data source or under a page, with children), retrieve, update
//! (properties, trash, icon and cover) and the property items of
//! `GET /v1/pages/{id}/properties/{id}`, with dual relations kept in step.

use serde_json::{Map, Value, json};

use super::{ARCHIVED_BLOCK, Done, filter_properties, is_data_source, is_page, list_json, paging};
use crate::fake::render::{Ctx, decode};
use crate::fake::reply::{Fail, Reply, describe};
use crate::fake::state::{IdStyle, Kind, Object, Page, Parent, PropDef, State, uuid};
use crate::fake::validate::{object, opt_bool, parse_id};
use crate::ids::ObjectId;

impl State {
    /// The schema of a page that is not a row: its title alone.
    pub(super) fn title_schema() -> Vec<PropDef> {
        vec![PropDef {
            id: "title".into(),
            name: "title".into(),
            kind: "title".into(),
            config: json!({}),
            description: Value::Null,
        }]
    }

    /// The page IDs a relation value holds.
    pub(super) fn relation_ids(value: Option<&Value>) -> Vec<u128> {
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
    pub(super) fn sync_dual(
        &mut self,
        page: u128,
        def: &PropDef,
        old: &[u128],
        new: &[u128],
        by: u128,
    ) {
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
    pub(super) fn store_values(
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

    pub(super) fn page_create(
        &mut self,
        ctx: Ctx,
        body: &Value,
        q: &[(String, String)],
    ) -> Reply<Done> {
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
            let ds = self.single_source(ctx.integration, id)?;
            (Parent::DataSource(ds), Some(ds))
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
        let template = self.template_choice(ds, body.get("template"))?;
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
        if let Some(template) = self.chosen_template(ds, template) {
            self.apply_template(id, template, by);
        }
        let parent = self.event_parent(id);
        self.emit(
            "page.created",
            id,
            json!({"id": uuid(id), "type": "page"}),
            json!({"parent": parent}),
            by,
        );
        let only = filter_properties(q);
        let object = self.objects.get(&id).ok_or_else(Fail::invalid_url)?;
        Ok(Done {
            body: self.page_json(object, ctx, only.as_deref()),
            created: Some(id),
            children: Vec::new(),
            bare: false,
            status: 200,
        })
    }

    pub(super) fn page_get(&self, ctx: Ctx, id: u128, q: &[(String, String)]) -> Reply {
        let page = self.get_visible(ctx.integration, id, "page", is_page)?;
        let only = filter_properties(q);
        Ok(self.page_json(page, ctx, only.as_deref()))
    }

    pub(super) fn page_patch(
        &mut self,
        ctx: Ctx,
        id: u128,
        body: &Value,
        q: &[(String, String)],
    ) -> Reply {
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
        // A row of a database in the trash (or any page under a trashed one) is in the trash
        // with it: Notion refuses to edit it, or to trash or restore it on its own.
        if !trashed && !body.is_empty() && self.trashed(id) {
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
        let updated: Vec<String> = values.iter().map(|(key, _)| key.clone()).collect();
        let was_locked = self
            .objects
            .get(&id)
            .and_then(Object::page)
            .is_some_and(|p| p.is_locked);
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
        let entity = json!({"id": uuid(id), "type": "page"});
        let parent = json!({"parent": self.event_parent(id)});
        if !updated.is_empty() {
            let mut data = parent.clone();
            data["updated_properties"] = json!(updated);
            self.emit("page.properties_updated", id, entity.clone(), data, by);
        }
        match trash {
            Some(true) if !trashed => {
                self.emit("page.deleted", id, entity.clone(), parent.clone(), by);
            }
            Some(false) if trashed => {
                self.emit("page.undeleted", id, entity.clone(), parent.clone(), by);
            }
            _ => {}
        }
        match is_locked {
            Some(true) if !was_locked => self.emit("page.locked", id, entity, parent, by),
            Some(false) if was_locked => self.emit("page.unlocked", id, entity, parent, by),
            _ => {}
        }
        self.page_get(ctx, id, q)
    }

    pub(super) fn property_item(
        &self,
        ctx: Ctx,
        id: u128,
        prop: &str,
        q: &[(String, String)],
    ) -> Reply {
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
}
