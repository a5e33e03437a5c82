//! Data-source schemas: property definitions as Notion creates and changes them.
//!
//! A definition comes in as `{"Name": {"type": "select", "select": {"options": [...]}}}` (the
//! `type` may be left out) and is stored as `{id, name, description, type, <type>: config}` with
//! options given IDs and colors, relations resolved to both `database_id` and `data_source_id`,
//! and a dual relation given its synced property on the other data source. Updates follow
//! Notion's rules: keys by name or ID, `null` deletes, `{name}` renames, the title property can be
//! neither deleted nor retyped, and a data source has exactly one title.

use serde_json::{Map, Value, json};

use super::reply::{Fail, Reply};
use super::rich_text::plain_text;
use super::state::{PropDef, State, uuid};
use super::validate::{COLORS, KINDS, find_prop, parse_id};

const ID_PREFIXES: [&str; 5] = ["%3A", "%3D", "%40", "%5B", "%7B"];

/// The display formats of a number property (the SDK's `NumberFormat`).
const NUMBER_FORMATS: [&str; 41] = [
    "number",
    "number_with_commas",
    "percent",
    "dollar",
    "australian_dollar",
    "canadian_dollar",
    "singapore_dollar",
    "euro",
    "pound",
    "yen",
    "ruble",
    "rupee",
    "won",
    "yuan",
    "real",
    "lira",
    "rupiah",
    "franc",
    "hong_kong_dollar",
    "new_zealand_dollar",
    "krona",
    "norwegian_krone",
    "mexican_peso",
    "rand",
    "new_taiwan_dollar",
    "danish_krone",
    "zloty",
    "baht",
    "forint",
    "koruna",
    "shekel",
    "chilean_peso",
    "philippine_peso",
    "dirham",
    "colombian_peso",
    "riyal",
    "ringgit",
    "leu",
    "argentine_peso",
    "uruguayan_peso",
    "peruvian_sol",
];

impl State {
    /// A new property ID, unique in `schema`.
    pub(crate) fn new_prop_id(&mut self, schema: &[PropDef]) -> String {
        loop {
            let id = if self.random_below(2) == 0 {
                let prefix = ID_PREFIXES[self.random_below(ID_PREFIXES.len())];
                format!("{prefix}{}", self.random_text(3))
            } else {
                self.random_text(4)
            };
            if schema.iter().all(|p| p.id != id) {
                return id;
            }
        }
    }

    fn options(&mut self, path: &str, given: Option<&Value>) -> Reply<Vec<Value>> {
        let mut out = Vec::new();
        let Some(given) = given else {
            return Ok(out);
        };
        let items = super::validate::array(path, given)?;
        for (i, item) in items.iter().enumerate() {
            let name = item
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| Fail::missing(&format!("{path}[{i}].name")))?;
            if name.contains(',') {
                return Err(Fail::validation(format!(
                    "Invalid select option, commas not allowed: {name}"
                )));
            }
            // An option's colour is one of Notion's (`SelectColor`), or left to Notion.
            let color = match item.get("color") {
                None => COLORS[self.random_below(COLORS.len())].to_owned(),
                Some(Value::String(c)) if COLORS.contains(&c.as_str()) => c.clone(),
                Some(other) => {
                    return Err(Fail::enumeration(
                        &format!("{path}[{i}].color"),
                        &COLORS,
                        other,
                    ));
                }
            };
            let id = item
                .get("id")
                .and_then(Value::as_str)
                .map_or_else(|| self.random_text(8), str::to_owned);
            out.push(json!({"id": id, "name": name, "color": color, "description": item.get("description").cloned().unwrap_or(Value::Null)}));
        }
        Ok(out)
    }

    /// The configuration of an existing select, multi-select or status property `def` after an
    /// update gives `given` as its options (the SDK's `UpdateDataSourceBodyParameters`): each
    /// option names an existing one by `id` (which must exist) or by `name`, and may change its
    /// name, colour and description; an option named anew is created. Select and multi-select
    /// options left out are removed; status options are only added or updated (the SDK's
    /// `StatusPropertyConfigUpdateRequest`), new ones joining the To-do group. Two options may
    /// not end with the same name.
    fn merge_options(&mut self, def: &PropDef, given: &Value, path: &str) -> Reply<Value> {
        let items = super::validate::array(path, given)?;
        let existing: Vec<Value> = def
            .config
            .get("options")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut chosen: Vec<Value> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let ipath = format!("{path}[{i}]");
            let map = item
                .as_object()
                .ok_or_else(|| Fail::body(&ipath, "an object", item))?;
            super::reply::only_keys(&ipath, map, &["id", "name", "color", "description"])?;
            let name = match map.get("name") {
                None => None,
                Some(Value::String(name)) => Some(name.as_str()),
                Some(other) => return Err(Fail::body(&format!("{ipath}.name"), "a string", other)),
            };
            let mut option = match (map.get("id").and_then(Value::as_str), name) {
                (Some(id), _) => existing.iter().find(|o| o["id"] == id).cloned().ok_or_else(|| {
                    Fail::validation(format!("{ipath}.id: no option with ID {id:?} exists."))
                })?,
                (None, Some(name)) => existing
                    .iter()
                    .find(|o| o["name"] == name)
                    .cloned()
                    .unwrap_or_else(|| json!({"id": self.random_text(8), "name": name, "color": COLORS[self.random_below(COLORS.len())], "description": null})),
                (None, None) => return Err(Fail::missing(&format!("{ipath}.name"))),
            };
            if let Some(name) = name {
                if name.contains(',') {
                    return Err(Fail::validation(format!(
                        "Invalid select option, commas not allowed: {name}"
                    )));
                }
                super::validate::max_len(&format!("{ipath}.name"), name, 100)?;
                option["name"] = json!(name);
            }
            match map.get("color") {
                None => {}
                Some(Value::String(c)) if COLORS.contains(&c.as_str()) => {
                    option["color"] = json!(c)
                }
                Some(other) => {
                    return Err(Fail::enumeration(&format!("{ipath}.color"), &COLORS, other));
                }
            }
            if let Some(description) = map.get("description") {
                option["description"] = description.clone();
            }
            chosen.retain(|o: &Value| o["id"] != option["id"]);
            chosen.push(option);
        }
        let mut config = def.config.clone();
        let options = if def.kind == "status" {
            let mut all = existing.clone();
            for option in &chosen {
                match all.iter_mut().find(|o| o["id"] == option["id"]) {
                    Some(slot) => *slot = option.clone(),
                    None => {
                        all.push(option.clone());
                        if let Some(to_do) = config
                            .get_mut("groups")
                            .and_then(Value::as_array_mut)
                            .and_then(|groups| groups.first_mut())
                            .and_then(|group| group.get_mut("option_ids"))
                            .and_then(Value::as_array_mut)
                        {
                            to_do.push(option["id"].clone());
                        }
                    }
                }
            }
            all
        } else {
            chosen
        };
        let mut names = std::collections::BTreeSet::new();
        for option in &options {
            let name = option["name"].as_str().unwrap_or_default();
            if !names.insert(name.to_owned()) {
                return Err(Fail::validation(format!(
                    "{path}: the option name {name:?} is used more than once."
                )));
            }
        }
        config["options"] = Value::Array(options);
        Ok(config)
    }

    /// A property definition from its request form. `id` is the ID to give it.
    pub(crate) fn build_prop(
        &mut self,
        workspace: usize,
        name: &str,
        id: String,
        input: &Value,
        path: &str,
        schema: &[PropDef],
    ) -> Reply<PropDef> {
        let object = input
            .as_object()
            .ok_or_else(|| Fail::body(path, "an object", input))?;
        let kind = match object.get("type") {
            Some(Value::String(kind)) => kind.clone(),
            Some(other) => return Err(Fail::body(&format!("{path}.type"), "a string", other)),
            None => object
                .keys()
                .find(|k| KINDS.contains(&k.as_str()))
                .cloned()
                .ok_or_else(|| Fail::missing(&format!("{path}.type")))?,
        };
        if !KINDS.contains(&kind.as_str()) || kind == "verification" {
            return Err(Fail::validation(format!(
                "body failed validation: {path}.type should be a property type, instead was `{kind:?}`."
            )));
        }
        let given = object.get(&kind).cloned().unwrap_or_else(|| json!({}));
        let cpath = format!("{path}.{kind}");
        let config = match kind.as_str() {
            "select" | "multi_select" => {
                json!({"options": self.options(&format!("{cpath}.options"), given.get("options"))?})
            }
            "status" => {
                let mut options =
                    self.options(&format!("{cpath}.options"), given.get("options"))?;
                if options.is_empty() {
                    for (name, color) in [
                        ("Not started", "default"),
                        ("In progress", "blue"),
                        ("Done", "green"),
                    ] {
                        options.push(json!({"id": self.random_text(8), "name": name, "color": color, "description": null}));
                    }
                }
                let ids = |range: std::ops::Range<usize>| -> Vec<Value> {
                    options
                        .get(range)
                        .unwrap_or(&[])
                        .iter()
                        .map(|o| o["id"].clone())
                        .collect()
                };
                let n = options.len();
                let groups = json!([
                    {"id": self.random_text(8), "name": "To-do", "color": "gray", "option_ids": ids(0..1.min(n))},
                    {"id": self.random_text(8), "name": "In progress", "color": "blue", "option_ids": ids(1.min(n)..n.saturating_sub(1).max(1.min(n)))},
                    {"id": self.random_text(8), "name": "Complete", "color": "green", "option_ids": ids(n.saturating_sub(1).max(1.min(n))..n)},
                ]);
                json!({"options": options, "groups": groups})
            }
            "number" => {
                let format = match given.get("format") {
                    None => "number",
                    Some(Value::String(f)) if NUMBER_FORMATS.contains(&f.as_str()) => f.as_str(),
                    Some(other) => {
                        return Err(Fail::enumeration(
                            &format!("{cpath}.format"),
                            &NUMBER_FORMATS,
                            other,
                        ));
                    }
                };
                json!({ "format": format })
            }
            "formula" => {
                let expression = given
                    .get("expression")
                    .and_then(Value::as_str)
                    .ok_or_else(|| Fail::missing(&format!("{cpath}.expression")))?;
                let owner = self.workspaces.get(workspace).map_or(0, |w| w.id);
                json!({"expression": encode_formula(expression, schema, owner)})
            }
            "unique_id" => json!({"prefix": given.get("prefix").cloned().unwrap_or(Value::Null)}),
            "relation" => self.relation_config(workspace, &cpath, &given)?,
            "rollup" => {
                let function = given
                    .get("function")
                    .and_then(Value::as_str)
                    .unwrap_or("show_original");
                let relation = given
                    .get("relation_property_name")
                    .or_else(|| given.get("relation_property_id"))
                    .and_then(Value::as_str)
                    .and_then(|k| find_prop(schema, k))
                    .filter(|p| p.kind == "relation")
                    .ok_or_else(|| {
                        Fail::validation(format!(
                            "{cpath}: the rollup's relation property does not exist."
                        ))
                    })?;
                let target = relation
                    .config
                    .get("data_source_id")
                    .and_then(Value::as_str)
                    .and_then(|s| crate::ids::ObjectId::parse(s).ok())
                    .map_or(0, crate::ids::ObjectId::as_u128);
                let target_schema = self
                    .objects
                    .get(&target)
                    .and_then(|o| o.data_source())
                    .map(|d| d.props.clone())
                    .unwrap_or_default();
                let rolled = given
                    .get("rollup_property_name")
                    .or_else(|| given.get("rollup_property_id"))
                    .and_then(Value::as_str)
                    .and_then(|k| find_prop(&target_schema, k))
                    .ok_or_else(|| {
                        Fail::validation(format!(
                            "{cpath}: the rollup property does not exist in the related data source."
                        ))
                    })?;
                json!({
                    "function": function,
                    "relation_property_name": relation.name,
                    "relation_property_id": relation.id,
                    "rollup_property_name": rolled.name,
                    "rollup_property_id": rolled.id,
                })
            }
            _ => json!({}),
        };
        let description = object.get("description").cloned().unwrap_or(Value::Null);
        Ok(PropDef {
            id,
            name: name.to_owned(),
            kind,
            config,
            description,
        })
    }

    fn relation_config(&mut self, workspace: usize, path: &str, given: &Value) -> Reply<Value> {
        let ds = if let Some(ds) = given.get("data_source_id") {
            parse_id(&format!("{path}.data_source_id"), ds)?
        } else if let Some(db) = given.get("database_id") {
            // A relation given a database (as 2022-06-28 gives it) points to its one data
            // source; a database with several is refused, as Notion refuses it.
            let db = parse_id(&format!("{path}.database_id"), db)?;
            let sources: Vec<u128> = self
                .objects
                .get(&db)
                .map(|o| self.live_sources(o).iter().map(|s| s.id).collect())
                .unwrap_or_default();
            match sources.as_slice() {
                [] => 0,
                [one] => *one,
                several => {
                    return Err(Fail::multiple_sources(
                        &uuid(db),
                        several.iter().map(|s| uuid(*s)).collect(),
                    ));
                }
            }
        } else {
            return Err(Fail::missing(&format!("{path}.data_source_id")));
        };
        if !self
            .objects
            .get(&ds)
            .is_some_and(|o| o.workspace == workspace && o.data_source().is_some())
        {
            return Err(Fail::validation(format!(
                "{path}.data_source_id: could not find data source with ID: {}.",
                uuid(ds)
            )));
        }
        let db = self.database_of(ds);
        let kind = given.get("type").and_then(Value::as_str).unwrap_or(
            if given.get("dual_property").is_some() {
                "dual_property"
            } else {
                "single_property"
            },
        );
        match kind {
            "single_property" => Ok(json!({
                "database_id": uuid(db), "data_source_id": uuid(ds),
                "type": "single_property", "single_property": {},
            })),
            "dual_property" => {
                let synced = given
                    .get("dual_property")
                    .and_then(|d| d.get("synced_property_name"))
                    .cloned()
                    .unwrap_or(Value::Null);
                Ok(json!({
                    "database_id": uuid(db), "data_source_id": uuid(ds),
                    "type": "dual_property",
                    "dual_property": {"synced_property_name": synced, "synced_property_id": null},
                }))
            }
            other => Err(Fail::body(
                &format!("{path}.type"),
                "`single_property` or `dual_property`",
                &json!(other),
            )),
        }
    }

    /// Gives the dual relation `prop_id` of `ds` its synced property on the other side.
    pub(crate) fn link_dual(&mut self, ds: u128, prop_id: &str) {
        let Some(source) = self.objects.get(&ds).and_then(|o| o.data_source()) else {
            return;
        };
        let Some(def) = source.props.iter().find(|p| p.id == prop_id).cloned() else {
            return;
        };
        if def.config.get("type").and_then(Value::as_str) != Some("dual_property") {
            return;
        }
        let source_title = plain_text(&source.title);
        let target = def
            .config
            .get("data_source_id")
            .and_then(Value::as_str)
            .and_then(|s| crate::ids::ObjectId::parse(s).ok())
            .map_or(0, crate::ids::ObjectId::as_u128);
        let Some(target_schema) = self
            .objects
            .get(&target)
            .and_then(|o| o.data_source())
            .map(|d| d.props.clone())
        else {
            return;
        };
        let wanted = def
            .config
            .pointer("/dual_property/synced_property_name")
            .and_then(Value::as_str)
            .map_or_else(
                || format!("Related to {source_title} ({})", def.name),
                str::to_owned,
            );
        let mut name = wanted.clone();
        let mut n = 1;
        while target_schema.iter().any(|p| p.name == name) {
            n += 1;
            name = format!("{wanted} {n}");
        }
        let back_id = self.new_prop_id(&target_schema);
        let db = self.database_of(ds);
        let back = PropDef {
            id: back_id.clone(),
            name: name.clone(),
            kind: "relation".into(),
            config: json!({
                "database_id": uuid(db), "data_source_id": uuid(ds), "type": "dual_property",
                "dual_property": {"synced_property_name": def.name, "synced_property_id": def.id},
            }),
            description: Value::Null,
        };
        if let Some(target) = self
            .objects
            .get_mut(&target)
            .and_then(|o| o.data_source_mut())
        {
            target.props.push(back);
        }
        if let Some(source) = self.objects.get_mut(&ds).and_then(|o| o.data_source_mut())
            && let Some(def) = source.props.iter_mut().find(|p| p.id == prop_id)
        {
            def.config["dual_property"] =
                json!({"synced_property_name": name, "synced_property_id": back_id});
        }
    }

    /// A schema from the `properties` of a create request (a title `Name` is added if none).
    pub(crate) fn build_schema(
        &mut self,
        workspace: usize,
        input: Option<&Value>,
        path: &str,
    ) -> Reply<Vec<PropDef>> {
        let mut schema: Vec<PropDef> = Vec::new();
        if let Some(input) = input {
            let map = input
                .as_object()
                .ok_or_else(|| Fail::body(path, "an object", input))?;
            // Rollups last: a rollup may name a relation defined anywhere in the same request
            // (a JSON object has no order).
            let is_rollup = |def: &Value| {
                def.get("type").and_then(Value::as_str) == Some("rollup")
                    || def.get("rollup").is_some()
            };
            // Formulas after the other properties, so that they may name any of them.
            let is_formula = |def: &Value| {
                def.get("type").and_then(Value::as_str) == Some("formula")
                    || def.get("formula").is_some()
            };
            let ordered = map
                .iter()
                .filter(|(_, def)| !is_rollup(def) && !is_formula(def))
                .chain(map.iter().filter(|(_, def)| is_formula(def)))
                .chain(map.iter().filter(|(_, def)| is_rollup(def)));
            for (name, def) in ordered {
                let id = if def.get("type").and_then(Value::as_str) == Some("title")
                    || def.get("title").is_some()
                {
                    "title".to_owned()
                } else {
                    self.new_prop_id(&schema)
                };
                let prop =
                    self.build_prop(workspace, name, id, def, &format!("{path}.{name}"), &schema)?;
                if prop.kind == "title" && schema.iter().any(|p| p.kind == "title") {
                    return Err(Fail::validation(
                        "Multiple title properties provided. A data source has exactly one title property.",
                    ));
                }
                schema.push(prop);
            }
        }
        if !schema.iter().any(|p| p.kind == "title") {
            schema.insert(
                0,
                PropDef {
                    id: "title".into(),
                    name: "Name".into(),
                    kind: "title".into(),
                    config: json!({}),
                    description: Value::Null,
                },
            );
        }
        Ok(schema)
    }

    /// Applies `PATCH /v1/data_sources/{id}` `properties` to data source `ds`.
    pub(crate) fn update_schema(&mut self, ds: u128, input: &Value) -> Reply<()> {
        let map: &Map<String, Value> = input
            .as_object()
            .ok_or_else(|| Fail::body("body.properties", "an object", input))?;
        let Some(object) = self.objects.get(&ds) else {
            return Ok(());
        };
        let workspace = object.workspace;
        let mut schema = object
            .data_source()
            .map(|d| d.props.clone())
            .unwrap_or_default();
        let mut new_duals = Vec::new();
        let mut retyped = Vec::new();
        for (key, change) in map {
            let path = format!("body.properties.{key}");
            let existing = schema
                .iter()
                .position(|p| p.name == *key)
                .or_else(|| schema.iter().position(|p| p.id == *key));
            match (existing, change) {
                (Some(i), Value::Null) => {
                    if schema[i].kind == "title" {
                        return Err(Fail::validation("Cannot delete the title property."));
                    }
                    schema.remove(i);
                }
                (None, Value::Null) => {
                    return Err(Fail::validation(format!(
                        "{key} is not a property that exists."
                    )));
                }
                (Some(i), Value::Object(o)) => {
                    let kind_given = o
                        .get("type")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                        .or_else(|| o.keys().find(|k| KINDS.contains(&k.as_str())).cloned());
                    if let Some(kind) = kind_given {
                        // The SDK's update body offers no button or verification configuration.
                        if kind != schema[i].kind
                            && matches!(kind.as_str(), "button" | "verification")
                        {
                            return Err(Fail::validation(format!(
                                "body failed validation: {path}.type should be a property type a data source update can set, instead was `{kind:?}`."
                            )));
                        }
                        if schema[i].kind == "title" && kind != "title" {
                            return Err(Fail::validation(
                                "Cannot change the type of the title property.",
                            ));
                        }
                        if kind != schema[i].kind && kind == "title" {
                            return Err(Fail::validation(
                                "A data source has exactly one title property.",
                            ));
                        }
                        let id = schema[i].id.clone();
                        let name = schema[i].name.clone();
                        let given_options =
                            o.get(&kind).and_then(|c| c.get("options")).filter(|_| {
                                kind == schema[i].kind && SELECT_KINDS.contains(&kind.as_str())
                            });
                        if let Some(given) = given_options {
                            // Options of an existing select, multi-select or status: by ID or name.
                            let path = format!("{path}.{kind}.options");
                            let merged = self.merge_options(&schema[i], given, &path)?;
                            schema[i].config = merged;
                            if let Some(name) = o.get("name") {
                                let name = new_name(&schema, i, name, &format!("{path}.name"))?;
                                schema[i].name = name;
                            }
                            if let Some(description) = o.get("description") {
                                schema[i].description = description.clone();
                            }
                            continue;
                        }
                        let mut rebuilt =
                            self.build_prop(workspace, &name, id.clone(), change, &path, &schema)?;
                        if rebuilt.kind == schema[i].kind
                            && o.get(&rebuilt.kind)
                                .and_then(|c| c.get("options"))
                                .is_none()
                            && let Some(options) = schema[i].config.get("options")
                        {
                            rebuilt.config["options"] = options.clone();
                        }
                        if rebuilt.kind != schema[i].kind {
                            retyped.push(id.clone());
                        }
                        if rebuilt.config.get("type").and_then(Value::as_str)
                            == Some("dual_property")
                            && schema[i].config.get("type").and_then(Value::as_str)
                                != Some("dual_property")
                        {
                            new_duals.push(id);
                        }
                        rebuilt.description = schema[i].description.clone();
                        schema[i] = rebuilt;
                    }
                    if let Some(name) = o.get("name") {
                        schema[i].name = new_name(&schema, i, name, &format!("{path}.name"))?;
                    }
                    if let Some(description) = o.get("description") {
                        schema[i].description = description.clone();
                    }
                }
                (None, Value::Object(_)) => {
                    let id = self.new_prop_id(&schema);
                    let prop =
                        self.build_prop(workspace, key, id.clone(), change, &path, &schema)?;
                    if prop.kind == "title" {
                        return Err(Fail::validation(
                            "A data source has exactly one title property.",
                        ));
                    }
                    if prop.config.get("type").and_then(Value::as_str) == Some("dual_property") {
                        new_duals.push(id);
                    }
                    schema.push(prop);
                }
                (_, other) => return Err(Fail::body(&path, "an object or null", other)),
            }
        }
        let rows = match self.objects.get_mut(&ds).and_then(|o| o.data_source_mut()) {
            Some(source) => {
                source.props = schema.clone();
                source.rows.clone()
            }
            None => Vec::new(),
        };
        // Values of deleted or retyped properties are gone.
        for row in rows {
            if let Some(page) = self.objects.get_mut(&row).and_then(|o| o.page_mut()) {
                page.values
                    .retain(|id, _| schema.iter().any(|p| p.id == *id) && !retyped.contains(id));
            }
        }
        for id in new_duals {
            self.link_dual(ds, &id);
        }
        Ok(())
    }
}

/// The property types whose configuration is a set of options.
const SELECT_KINDS: [&str; 3] = ["select", "multi_select", "status"];

/// A property's new name (`{name}` of an update), checked: a non-empty string that no other
/// property of `schema` has.
fn new_name(schema: &[PropDef], index: usize, name: &Value, path: &str) -> Reply<String> {
    let name = name
        .as_str()
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| Fail::body(path, "a non-empty string", name))?;
    if schema
        .iter()
        .enumerate()
        .any(|(j, p)| j != index && p.name == name)
    {
        return Err(Fail::validation(format!(
            "A property named {name} already exists."
        )));
    }
    Ok(name.to_owned())
}

/// The SDK's `{{notion:block_property:ID:…}}` form of `expression`, as Notion stores a formula:
/// each `prop("Name")` of a property in `schema` becomes a reference to its ID (the data source
/// is written as the nil UUID, its own; the last part names the workspace), so that a formula
/// follows its properties' renames. A name not in `schema` is left as written.
fn encode_formula(expression: &str, schema: &[PropDef], workspace: u128) -> String {
    let mut out = String::with_capacity(expression.len());
    let mut rest = expression;
    while let Some(start) = rest.find("prop(\"") {
        let after = &rest[start + 6..];
        let Some(end) = after.find("\")") else {
            break;
        };
        out.push_str(&rest[..start]);
        let name = after[..end].replace("\\\"", "\"");
        match schema.iter().find(|p| p.name == name) {
            Some(p) => out.push_str(&format!(
                "{{{{notion:block_property:{}:00000000-0000-0000-0000-000000000000:{}}}}}",
                p.id,
                uuid(workspace)
            )),
            None => out.push_str(&rest[start..start + 6 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}
