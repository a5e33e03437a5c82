//! Property values as Notion checks them on write.
//!
//! A page write names properties by name (or ID) with a typed value; each is checked against the
//! data source's schema the way Notion does: an unknown name, a value of the wrong type, rich text
//! over 2,000 characters, an array over 100 items, a read-only property (formula, rollup,
//! created/edited time and by, unique ID, button) are all 400 `validation_error` with a message
//! that says which property and why. Select and multi-select options are created by name on
//! write; relation targets must be rows of the related data source. The stored value is the
//! full, read-shaped payload (rich text gets its `annotations`, `plain_text` and `href`).

use serde_json::{Map, Value, json};

use super::clock::parse_iso;
use super::reply::{Fail, Reply, describe, only_keys};
use super::state::{IdStyle, Parent, PropDef, State, uuid};
use crate::ids::ObjectId;

/// The most items of an array in a request.
pub(crate) const MAX_ITEMS: usize = 100;

/// Property types whose values are computed, never written.
pub(crate) const READ_ONLY: [&str; 9] = [
    "formula",
    "rollup",
    "created_time",
    "created_by",
    "last_edited_time",
    "last_edited_by",
    "unique_id",
    "button",
    "verification",
];

/// Every property type the fake knows.
pub(crate) const KINDS: [&str; 24] = [
    "title",
    "rich_text",
    "number",
    "select",
    "multi_select",
    "status",
    "date",
    "people",
    "files",
    "checkbox",
    "url",
    "email",
    "phone_number",
    "relation",
    "place",
    "formula",
    "rollup",
    "created_time",
    "created_by",
    "last_edited_time",
    "last_edited_by",
    "unique_id",
    "button",
    "verification",
];

/// Colors of select options, in Notion's order.
pub(crate) const COLORS: [&str; 10] = [
    "default", "gray", "brown", "orange", "yellow", "green", "blue", "purple", "pink", "red",
];

/// Parses an ID given in a body, or a 400 naming the field.
pub(crate) fn parse_id(path: &str, value: &Value) -> Reply<u128> {
    value
        .as_str()
        .and_then(|text| ObjectId::parse(text).ok())
        .map(ObjectId::as_u128)
        .ok_or_else(|| Fail::body(path, "a valid uuid", value))
}

/// An array of at most 100 items, or a 400.
pub(crate) fn array<'a>(path: &str, value: &'a Value) -> Reply<&'a Vec<Value>> {
    let items = value
        .as_array()
        .ok_or_else(|| Fail::body(path, "an array", value))?;
    if items.len() > MAX_ITEMS {
        return Err(Fail::validation(format!(
            "body failed validation: {path}.length should be ≤ `{MAX_ITEMS}`, instead was `{}`.",
            items.len()
        )));
    }
    Ok(items)
}

/// The value a property has when nothing was written.
pub(crate) fn empty_value(def: &PropDef) -> Value {
    match def.kind.as_str() {
        "title" | "rich_text" | "multi_select" | "people" | "files" | "relation" => json!([]),
        "checkbox" => json!(false),
        "status" => def
            .config
            .get("options")
            .and_then(Value::as_array)
            .and_then(|o| o.first())
            .map_or(
                Value::Null,
                |o| json!({"id": o["id"], "name": o["name"], "color": o["color"]}),
            ),
        _ => Value::Null,
    }
}

/// Finds a property by name, or else by ID.
pub(crate) fn find_prop<'a>(schema: &'a [PropDef], key: &str) -> Option<&'a PropDef> {
    schema
        .iter()
        .find(|p| p.name == key)
        .or_else(|| schema.iter().find(|p| p.id == key))
}

pub(crate) fn max_len(path: &str, text: &str, max: usize) -> Reply<()> {
    let len = text.chars().count();
    if len > max {
        return Err(Fail::validation(format!(
            "body failed validation: {path}.length should be ≤ `{max}`, instead was `{len}`."
        )));
    }
    Ok(())
}

impl State {
    /// Checks `properties` of a page write against `schema` (options may be added to it) and
    /// returns the values to store, by property ID.
    pub(crate) fn write_values(
        &mut self,
        workspace: usize,
        schema: &mut [PropDef],
        input: &Value,
    ) -> Reply<Vec<(String, Value)>> {
        let map = input
            .as_object()
            .ok_or_else(|| Fail::body("body.properties", "an object", input))?;
        let mut out = Vec::new();
        for (key, raw) in map {
            let Some(index) = schema
                .iter()
                .position(|p| p.name == *key)
                .or_else(|| schema.iter().position(|p| p.id == *key))
            else {
                return Err(Fail::validation(format!(
                    "{key} is not a property that exists."
                )));
            };
            let def = schema[index].clone();
            let path = format!("body.properties.{key}");
            if READ_ONLY.contains(&def.kind.as_str()) {
                return Err(Fail::validation(format!(
                    "{key} is a {} property, which is read-only and cannot be written.",
                    def.kind
                )));
            }
            // `{"<kind>": v}`, `{"type": "<kind>", "<kind>": v}`, or the bare value.
            let inner = match raw.as_object() {
                Some(object) if object.contains_key(&def.kind) => {
                    // A response-only field sent back (`id`), or any other key, is refused.
                    only_keys(&path, object, &[def.kind.as_str(), "type"])?;
                    &object[&def.kind]
                }
                Some(object)
                    if object
                        .keys()
                        .any(|k| k != &def.kind && KINDS.contains(&k.as_str())) =>
                {
                    return Err(Fail::validation(format!(
                        "{key} is expected to be {}.",
                        def.kind
                    )));
                }
                _ => raw,
            };
            let path = format!("{path}.{}", def.kind);
            let value = self.write_value(workspace, schema, index, &path, inner)?;
            out.push((def.id, value));
        }
        Ok(out)
    }

    fn write_value(
        &mut self,
        workspace: usize,
        schema: &mut [PropDef],
        index: usize,
        path: &str,
        v: &Value,
    ) -> Reply<Value> {
        let def = schema[index].clone();
        let wrong = || Fail::validation(format!("{} is expected to be {}.", def.name, def.kind));
        match def.kind.as_str() {
            "title" | "rich_text" => self.rich_text(path, v),
            "number" => match v {
                Value::Null => Ok(Value::Null),
                Value::Number(n) if n.as_f64().is_some_and(f64::is_finite) => Ok(v.clone()),
                _ => Err(wrong()),
            },
            "checkbox" => v.as_bool().map(Value::Bool).ok_or_else(wrong),
            "url" | "email" | "phone_number" => match v {
                Value::Null => Ok(Value::Null),
                Value::String(s) => {
                    max_len(path, s, if def.kind == "url" { 2000 } else { 200 })?;
                    Ok(v.clone())
                }
                _ => Err(wrong()),
            },
            "select" | "status" => match v {
                Value::Null => Ok(Value::Null),
                Value::Object(_) => self.option(schema, index, path, v),
                _ => Err(wrong()),
            },
            "multi_select" => {
                let items = array(path, v)?;
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let option = self.option(schema, index, &format!("{path}[{i}]"), item)?;
                    if !out.contains(&option) {
                        out.push(option);
                    }
                }
                Ok(Value::Array(out))
            }
            "date" => match v {
                Value::Null => Ok(Value::Null),
                Value::Object(o) => {
                    // `DateRequest`: start, end?, time_zone?.
                    only_keys(path, o, &["start", "end", "time_zone"])?;
                    let start = o.get("start").unwrap_or(&Value::Null);
                    if start.as_str().is_none_or(|s| parse_iso(s).is_none()) {
                        return Err(Fail::body(
                            &format!("{path}.start"),
                            "an ISO 8601 date string",
                            start,
                        ));
                    }
                    let end = o.get("end").cloned().unwrap_or(Value::Null);
                    if !end.is_null() && end.as_str().is_none_or(|s| parse_iso(s).is_none()) {
                        return Err(Fail::body(
                            &format!("{path}.end"),
                            "an ISO 8601 date string or null",
                            &end,
                        ));
                    }
                    let zone = o.get("time_zone").cloned().unwrap_or(Value::Null);
                    if !zone.is_null() && !zone.is_string() {
                        return Err(Fail::body(&format!("{path}.time_zone"), "a string", &zone));
                    }
                    Ok(json!({"start": start, "end": end, "time_zone": zone}))
                }
                _ => Err(wrong()),
            },
            "people" => {
                let items = array(path, v)?;
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    // `PartialUserObjectRequest`: id, object?.
                    if let Some(map) = item.as_object() {
                        only_keys(&format!("{path}[{i}]"), map, &["id", "object"])?;
                    }
                    let at = format!("{path}[{i}].id");
                    let id = parse_id(&at, item.get("id").unwrap_or(&Value::Null))?;
                    if self.users.get(&id).is_none_or(|u| u.workspace != workspace) {
                        return Err(Fail::validation(format!(
                            "Could not find user with ID: {}.",
                            uuid(id)
                        )));
                    }
                    let entry = json!({"object": "user", "id": uuid(id)});
                    if !out.contains(&entry) {
                        out.push(entry);
                    }
                }
                Ok(Value::Array(out))
            }
            "relation" => {
                let items = array(path, v)?;
                let target = def
                    .config
                    .get("data_source_id")
                    .and_then(Value::as_str)
                    .and_then(|s| ObjectId::parse(s).ok())
                    .map_or(0, ObjectId::as_u128);
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    // `RelationItemPropertyValueResponse` as a request: id only.
                    if let Some(map) = item.as_object() {
                        only_keys(&format!("{path}[{i}]"), map, &["id"])?;
                    }
                    let at = format!("{path}[{i}].id");
                    let id = parse_id(&at, item.get("id").unwrap_or(&Value::Null))?;
                    let ok = self
                        .objects
                        .get(&id)
                        .is_some_and(|o| o.parent == Parent::DataSource(target));
                    if !ok {
                        return Err(Fail::validation(format!(
                            "Relation page with ID: {} is not a row of the related data source {}.",
                            uuid(id),
                            uuid(target)
                        )));
                    }
                    let entry = json!({"id": uuid(id)});
                    if !out.contains(&entry) {
                        out.push(entry);
                    }
                }
                Ok(Value::Array(out))
            }
            "files" => {
                let items = array(path, v)?;
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    out.push(self.file_value(workspace, &format!("{path}[{i}]"), item)?);
                }
                Ok(Value::Array(out))
            }
            "place" => match v {
                Value::Null | Value::Object(_) => Ok(v.clone()),
                _ => Err(wrong()),
            },
            _ => Err(wrong()),
        }
    }

    /// A select, multi-select or status option by `name` or `id`; select and multi-select
    /// options unknown by name are added to the schema.
    fn option(
        &mut self,
        schema: &mut [PropDef],
        index: usize,
        path: &str,
        v: &Value,
    ) -> Reply<Value> {
        let kind = schema[index].kind.clone();
        // A select option request: id or name, color?, description?.
        if let Some(map) = v.as_object() {
            only_keys(path, map, &["id", "name", "color", "description"])?;
        }
        let name = v.get("name");
        let id = v.get("id");
        let options = schema[index]
            .config
            .get("options")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let pick = |o: &Value| json!({"id": o["id"], "name": o["name"], "color": o["color"]});
        if let Some(id) = id.and_then(Value::as_str) {
            return options
                .iter()
                .find(|o| o["id"] == id)
                .map(pick)
                .ok_or_else(|| {
                    Fail::validation(format!("{path}.id: no option with ID {id:?} exists."))
                });
        }
        let Some(name) = name.and_then(Value::as_str) else {
            return Err(Fail::body(path, "an object with `name` or `id`", v));
        };
        if let Some(found) = options.iter().find(|o| o["name"] == name) {
            return Ok(pick(found));
        }
        if kind == "status" {
            return Err(Fail::validation(format!(
                "Invalid status option. Status option \"{name}\" does not exist\"."
            )));
        }
        if name.contains(',') {
            return Err(Fail::validation(format!(
                "Invalid select option, commas not allowed: {name}"
            )));
        }
        max_len(&format!("{path}.name"), name, 100)?;
        let color = v
            .get("color")
            .and_then(Value::as_str)
            .filter(|c| COLORS.contains(c))
            .map_or_else(
                || COLORS[self.random_below(COLORS.len())].to_owned(),
                str::to_owned,
            );
        let option =
            json!({"id": self.random_text(8), "name": name, "color": color, "description": null});
        let picked = pick(&option);
        if let Some(list) = schema[index]
            .config
            .as_object_mut()
            .map(|c| c.entry("options").or_insert_with(|| json!([])))
            .and_then(Value::as_array_mut)
        {
            list.push(option);
        }
        Ok(picked)
    }

    /// The payload of a media block as stored (`fields`, its request payload, changed in place):
    /// its file as [`file_value`](Self::file_value) takes it (an upload stored as a hosted file),
    /// a caption (empty unless given), and, for a `file` block holding an upload, the upload's
    /// file name unless a name is given.
    pub(crate) fn media_payload(
        &mut self,
        workspace: usize,
        path: &str,
        kind: &str,
        fields: &mut Map<String, Value>,
    ) -> Reply<()> {
        let file = self.file_value(workspace, path, &Value::Object(fields.clone()))?;
        let file_type = file
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("external")
            .to_owned();
        for key in ["external", "file_upload", "file"] {
            fields.remove(key);
        }
        fields.insert("type".into(), json!(file_type));
        fields.insert(
            file_type.clone(),
            file.get(&file_type).cloned().unwrap_or(Value::Null),
        );
        fields.entry("caption").or_insert_with(|| json!([]));
        if kind == "file" && file_type == "file" && !fields.contains_key("name") {
            fields.insert(
                "name".into(),
                file.get("name").cloned().unwrap_or(Value::Null),
            );
        }
        Ok(())
    }

    /// A files entry: an external URL, a completed file upload, or a Notion-hosted file.
    pub(crate) fn file_value(
        &mut self,
        workspace: usize,
        path: &str,
        item: &Value,
    ) -> Reply<Value> {
        let object = item
            .as_object()
            .ok_or_else(|| Fail::body(path, "an object", item))?;
        let name = object.get("name").and_then(Value::as_str);
        if let Some(external) = object.get("external") {
            let url = external
                .get("url")
                .and_then(Value::as_str)
                .ok_or_else(|| Fail::missing(&format!("{path}.external.url")))?;
            max_len(&format!("{path}.external.url"), url, 2000)?;
            return Ok(
                json!({"name": name.unwrap_or(url), "type": "external", "external": {"url": url}}),
            );
        }
        if let Some(upload) = object.get("file_upload") {
            let id = parse_id(
                &format!("{path}.file_upload.id"),
                upload.get("id").unwrap_or(&Value::Null),
            )?;
            // Another workspace's upload is not found, as in Notion.
            let Some(file) = self
                .file_uploads
                .get(&id)
                .filter(|file| file.workspace == workspace)
            else {
                return Err(Fail::validation(format!(
                    "Could not find file upload with ID: {}.",
                    uuid(id)
                )));
            };
            let status = self.file_upload_status(file);
            if status != "uploaded" {
                return Err(Fail::validation(format!(
                    "File upload with ID: {} is in status `{status}` and cannot be attached; \
                     attach it once its status is `uploaded`.",
                    uuid(id)
                )));
            }
            let filename = file.filename.clone();
            let bytes = file
                .content
                .clone()
                .or_else(|| file.import.as_ref().and_then(|i| i.content.clone()));
            let expiry = super::clock::format_iso(self.clock.now_ms() + 3_600_000);
            let url = super::files::stable_address(
                &ObjectId::from_u128(self.new_id(IdStyle::V4)).simple(),
                &filename,
            );
            if let Some(file) = self.file_uploads.get_mut(&id) {
                file.attached = true;
            }
            if let Some(bytes) = bytes {
                self.hosted.insert(url.clone(), bytes);
            }
            return Ok(json!({
                "name": name.unwrap_or(&filename),
                "type": "file",
                "file": {"url": url, "expiry_time": expiry},
            }));
        }
        if let Some(file) = object.get("file") {
            let url = file
                .get("url")
                .and_then(Value::as_str)
                .ok_or_else(|| Fail::missing(&format!("{path}.file.url")))?;
            return Ok(json!({
                "name": name.unwrap_or(url),
                "type": "file",
                "file": {"url": url, "expiry_time": file.get("expiry_time").cloned().unwrap_or(Value::Null)},
            }));
        }
        Err(Fail::body(
            path,
            "an object with `external`, `file_upload` or `file`",
            &Value::Object(Map::clone(object)),
        ))
    }
}

/// Whether a value is a JSON object, else a 400 naming it.
pub(crate) fn object<'a>(path: &str, value: &'a Value) -> Reply<&'a Map<String, Value>> {
    value
        .as_object()
        .ok_or_else(|| Fail::body(path, "an object", value))
}

/// An optional boolean field of a body.
pub(crate) fn opt_bool(body: &Map<String, Value>, key: &str) -> Reply<Option<bool>> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(Fail::validation(format!(
            "body failed validation: body.{key} should be a boolean, instead was `{}`.",
            describe(other)
        ))),
    }
}
