//! Moving pages and the templates of data sources: `POST /v1/pages/{id}/move`,
//! `GET /v1/data_sources/{id}/templates`, and the `template` of `POST /v1/pages`.
//!
//! The rules are the SDK's `pages.ts` and `data-sources.ts`. A page moves under a page or into a
//! data source (`parent.page_id` or `parent.data_source_id`), never under itself or a page below
//! it; it keeps its ID, its content and its title (a row moved out of a data source keeps only
//! its title; a page moved into one takes the data source's schema, its title in the title
//! property). A template is a page of a data source that is not one of its rows (so queries do
//! not list it); the list is `{templates: [{id, name, is_default}], has_more, next_cursor}` with
//! no `object` and no `request_id`, as recorded (`test_data_sources_list_templates`), filtered
//! by `name` (a case-insensitive substring). A page made with `template` `{type: "template_id"}`
//! or `{type: "default"}` starts with the template's property values (those the request does not
//! set) and a copy of its content; `{type: "none"}` (the default) is a blank page.

use serde_json::{Map, Value, json};

use super::{Done, is_data_source, is_page, paging, window};
use crate::fake::block_requests::CheckedBlock;
use crate::fake::render::Ctx;
use crate::fake::reply::{Fail, Reply, only_keys};
use crate::fake::state::{Kind, Object, Parent, State, Template, uuid};
use crate::fake::validate::{object, parse_id};

/// What `template` of a page create asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TemplateChoice {
    /// A blank page.
    None,
    /// The data source's default template (blank when it has none).
    Default,
    /// This template.
    Id(u128),
}

impl State {
    pub(super) fn page_move(&mut self, ctx: Ctx, id: u128, body: &Value) -> Reply {
        self.get_visible(ctx.integration, id, "page", is_page)?;
        let body = object("body", body)?;
        let parent = body
            .get("parent")
            .ok_or_else(|| Fail::missing("body.parent"))?;
        let parent = object("body.parent", parent)?;
        let target = if let Some(v) = parent.get("page_id") {
            only_keys("body.parent", parent, &["page_id", "type"])?;
            let to = parse_id("body.parent.page_id", v)?;
            self.get_visible(ctx.integration, to, "page", is_page)?;
            Parent::Page(to)
        } else if let Some(v) = parent.get("data_source_id") {
            only_keys("body.parent", parent, &["data_source_id", "type"])?;
            let to = parse_id("body.parent.data_source_id", v)?;
            self.get_visible(ctx.integration, to, "data source", is_data_source)?;
            Parent::DataSource(to)
        } else {
            return Err(Fail::one_of(vec![
                Fail::missing("body.parent.page_id"),
                Fail::missing("body.parent.data_source_id"),
            ]));
        };
        let to = match target {
            Parent::Page(p) | Parent::DataSource(p) => p,
            _ => 0,
        };
        if self.is_under(to, id) {
            return Err(Fail::validation(
                "A page cannot be moved into itself or into a page inside it.",
            ));
        }
        if self.trashed(to) {
            return Err(Fail::validation(super::ARCHIVED_BLOCK));
        }
        let old = self.objects.get(&id).map(|o| o.parent);
        match old {
            Some(Parent::Page(p) | Parent::Block(p)) => {
                if let Some(children) = self.objects.get_mut(&p).and_then(Object::children_mut) {
                    children.retain(|c| *c != id);
                }
            }
            Some(Parent::DataSource(ds)) => {
                if let Some(source) = self.objects.get_mut(&ds).and_then(Object::data_source_mut) {
                    source.rows.retain(|r| *r != id);
                }
            }
            _ => {}
        }
        let title_key = match target {
            Parent::DataSource(ds) => self
                .objects
                .get(&ds)
                .and_then(Object::data_source)
                .and_then(|d| d.props.iter().find(|p| p.kind == "title"))
                .map_or_else(|| "title".to_owned(), |p| p.id.clone()),
            _ => "title".to_owned(),
        };
        let old_title = self.objects.get(&id).and_then(|o| {
            let schema = self.schema_of(o);
            let key = schema.iter().find(|p| p.kind == "title")?.id.clone();
            o.page()?.values.get(&key).cloned()
        });
        match target {
            Parent::Page(p) => {
                if let Some(children) = self.objects.get_mut(&p).and_then(Object::children_mut) {
                    children.push(id);
                }
            }
            Parent::DataSource(ds) => {
                if let Some(source) = self.objects.get_mut(&ds).and_then(Object::data_source_mut) {
                    source.rows.push(id);
                }
            }
            _ => {}
        }
        let by = self.bot(ctx.integration);
        if let Some(object) = self.objects.get_mut(&id) {
            let crossed = matches!(old, Some(Parent::DataSource(_)))
                || matches!(target, Parent::DataSource(_));
            object.parent = target;
            if crossed && let Some(page) = object.page_mut() {
                page.values = Map::new();
                if let Some(title) = old_title {
                    page.values.insert(title_key, title);
                }
            }
        }
        self.touch(id, by);
        let parent = json!({"parent": self.event_parent(id)});
        self.emit(
            "page.moved",
            id,
            json!({"id": uuid(id), "type": "page"}),
            parent,
            by,
        );
        self.page_get(ctx, id, &[])
    }

    /// Whether `id` is `ancestor` or under it (a page, a database or a block moved under
    /// itself is refused).
    pub(super) fn is_under(&self, id: u128, ancestor: u128) -> bool {
        let mut current = id;
        for _ in 0..10_000 {
            if current == ancestor {
                return true;
            }
            current = match self.objects.get(&current).map(|o| o.parent) {
                Some(
                    Parent::Page(p)
                    | Parent::Block(p)
                    | Parent::DataSource(p)
                    | Parent::Database(p),
                ) => p,
                _ => return false,
            };
        }
        false
    }

    pub(super) fn templates_list(&self, ctx: Ctx, ds: u128, q: &[(String, String)]) -> Reply<Done> {
        self.get_visible(ctx.integration, ds, "data source", is_data_source)?;
        let (size, cursor) = paging(None, q)?;
        let name = q
            .iter()
            .find(|(k, _)| k == "name")
            .map(|(_, v)| v.to_lowercase());
        let templates: Vec<Template> = self
            .templates
            .get(&ds)
            .into_iter()
            .flatten()
            .copied()
            .filter(|t| self.objects.get(&t.page).is_some_and(|o| !o.in_trash))
            .filter(|t| {
                name.as_ref()
                    .is_none_or(|n| self.template_name(t.page).to_lowercase().contains(n))
            })
            .collect();
        let ids: Vec<u128> = templates.iter().map(|t| t.page).collect();
        let w = window(&ids, cursor.as_deref(), size, usize::MAX)?;
        let listed: Vec<Value> = w
            .ids
            .iter()
            .filter_map(|id| templates.iter().find(|t| t.page == *id))
            .map(|t| json!({"id": uuid(t.page), "name": self.template_name(t.page), "is_default": t.is_default}))
            .collect();
        Ok(Done {
            bare: true,
            ..Done::new(json!({
                "templates": listed,
                "has_more": w.has_more,
                "next_cursor": w.next,
            }))
        })
    }

    fn template_name(&self, page: u128) -> String {
        self.objects
            .get(&page)
            .map(|o| self.page_title(o))
            .unwrap_or_default()
    }

    /// The `template` of a page create, checked; `ds` is the data source the page goes into.
    pub(super) fn template_choice(
        &self,
        ds: Option<u128>,
        given: Option<&Value>,
    ) -> Reply<TemplateChoice> {
        let Some(given) = given else {
            return Ok(TemplateChoice::None);
        };
        let map = object("body.template", given)?;
        let kind = map.get("type").cloned().unwrap_or(Value::Null);
        let choice = match kind.as_str() {
            Some("none") => {
                only_keys("body.template", map, &["type"])?;
                TemplateChoice::None
            }
            Some("default") => {
                only_keys("body.template", map, &["type", "timezone"])?;
                TemplateChoice::Default
            }
            Some("template_id") => {
                only_keys("body.template", map, &["type", "template_id", "timezone"])?;
                let id = map
                    .get("template_id")
                    .ok_or_else(|| Fail::missing("body.template.template_id"))?;
                TemplateChoice::Id(parse_id("body.template.template_id", id)?)
            }
            _ => {
                return Err(Fail::enumeration(
                    "body.template.type",
                    &["none", "default", "template_id"],
                    &kind,
                ));
            }
        };
        if choice != TemplateChoice::None && ds.is_none() {
            return Err(Fail::validation(
                "Templates can only be applied to pages created in a data source.",
            ));
        }
        if let (TemplateChoice::Id(id), Some(ds)) = (choice, ds) {
            let known = self
                .templates
                .get(&ds)
                .is_some_and(|list| list.iter().any(|t| t.page == id));
            if !known {
                return Err(Fail::validation(format!(
                    "Template with ID {} is not a template of data source {}.",
                    uuid(id),
                    uuid(ds)
                )));
            }
        }
        Ok(choice)
    }

    /// The template page a choice names for data source `ds`, if any.
    pub(super) fn chosen_template(&self, ds: Option<u128>, choice: TemplateChoice) -> Option<u128> {
        let list = self.templates.get(&ds?)?;
        match choice {
            TemplateChoice::None => None,
            TemplateChoice::Default => list.iter().find(|t| t.is_default).map(|t| t.page),
            TemplateChoice::Id(id) => Some(id),
        }
    }

    /// Gives page `id` the template's values it does not have yet, and a copy of its content.
    pub(super) fn apply_template(&mut self, id: u128, template: u128, by: u128) {
        let Some(source) = self.objects.get(&template).and_then(Object::page).cloned() else {
            return;
        };
        if let Some(page) = self.objects.get_mut(&id).and_then(Object::page_mut) {
            for (key, value) in &source.values {
                page.values
                    .entry(key.clone())
                    .or_insert_with(|| value.clone());
            }
        }
        let blocks = self.copy_blocks(&source.children);
        if !blocks.is_empty() {
            let ws = self.objects.get(&id).map_or(0, |o| o.workspace);
            self.create_blocks(ws, id, Parent::Page(id), blocks, by, None);
        }
    }

    /// Blocks to recreate: the content blocks among `ids`, with their children.
    fn copy_blocks(&self, ids: &[u128]) -> Vec<CheckedBlock> {
        ids.iter()
            .filter_map(|id| self.objects.get(id))
            .filter_map(|o| match &o.kind {
                Kind::Block(b) if !o.in_trash => Some(CheckedBlock {
                    kind: b.kind.clone(),
                    content: b.content.clone(),
                    children: self.copy_blocks(&b.children),
                }),
                _ => None,
            })
            .collect()
    }
}
