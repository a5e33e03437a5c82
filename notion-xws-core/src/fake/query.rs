//! Data-source queries: filters and sorts as Notion evaluates them.
//!
//! A filter is compiled once against the schema ([`compile`]), so that an unknown property, a
//! filter type that does not fit the property, an unknown condition or nesting deeper than two
//! compound levels is a 400 before any row is read; then [`Filter::matches`] runs per row.
//! Supported: property filters for text (title, rich text, URL, email, phone), number, checkbox,
//! select, status, multi-select, date, people, relation, files, unique ID and the
//! created/edited time and by properties; timestamp filters on `created_time` and
//! `last_edited_time`; `and`/`or`. Dates compare at millisecond precision; a date without a time
//! covers its whole UTC day, and relative values (`today`, `one_week_ago`, …) read the fake's
//! clock. Sorts take properties or timestamps; empty values sort last either way.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::clock::{DAY_MS, ParsedDate, parse_iso};
use super::reply::{Fail, Reply, describe};
use super::rich_text::plain_text;
use super::state::{Object, PropDef, State};
use super::validate::find_prop;

/// The most members of an `and`/`or`.
const MAX_GROUP: usize = 100;

/// A compiled filter.
#[derive(Debug, Clone)]
pub(crate) enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Prop {
        def: Box<PropDef>,
        op: String,
        arg: Value,
    },
    Timestamp {
        created: bool,
        op: String,
        arg: Value,
        /// The argument as a range, worked out once per query (not once per row).
        range: std::sync::OnceLock<Option<(i64, i64)>>,
    },
}

const TEXT_OPS: [&str; 8] = [
    "equals",
    "does_not_equal",
    "contains",
    "does_not_contain",
    "starts_with",
    "ends_with",
    "is_empty",
    "is_not_empty",
];
const NUMBER_OPS: [&str; 8] = [
    "equals",
    "does_not_equal",
    "greater_than",
    "less_than",
    "greater_than_or_equal_to",
    "less_than_or_equal_to",
    "is_empty",
    "is_not_empty",
];
const DATE_OPS: [&str; 14] = [
    "equals",
    "before",
    "after",
    "on_or_before",
    "on_or_after",
    "is_empty",
    "is_not_empty",
    "past_week",
    "past_month",
    "past_year",
    "this_week",
    "next_week",
    "next_month",
    "next_year",
];
const SELECT_OPS: [&str; 4] = ["equals", "does_not_equal", "is_empty", "is_not_empty"];
const LIST_OPS: [&str; 4] = ["contains", "does_not_contain", "is_empty", "is_not_empty"];
const EMPTY_OPS: [&str; 2] = ["is_empty", "is_not_empty"];
const CHECKBOX_OPS: [&str; 2] = ["equals", "does_not_equal"];

/// The filter keys a property of `kind` accepts, and their conditions.
fn accepted(kind: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match kind {
        "title" => (&["title", "rich_text"], &TEXT_OPS),
        "rich_text" => (&["rich_text"], &TEXT_OPS),
        "url" => (&["url", "rich_text"], &TEXT_OPS),
        "email" => (&["email", "rich_text"], &TEXT_OPS),
        "phone_number" => (&["phone_number", "rich_text"], &TEXT_OPS),
        "number" => (&["number"], &NUMBER_OPS),
        "unique_id" => (&["unique_id"], &NUMBER_OPS),
        "checkbox" => (&["checkbox"], &CHECKBOX_OPS),
        "select" => (&["select"], &SELECT_OPS),
        "status" => (&["status"], &SELECT_OPS),
        "multi_select" => (&["multi_select"], &LIST_OPS),
        "people" => (&["people"], &LIST_OPS),
        "created_by" => (&["created_by", "people"], &LIST_OPS),
        "last_edited_by" => (&["last_edited_by", "people"], &LIST_OPS),
        "relation" => (&["relation"], &LIST_OPS),
        "files" => (&["files"], &EMPTY_OPS),
        "date" => (&["date"], &DATE_OPS),
        "created_time" => (&["created_time", "date"], &DATE_OPS),
        "last_edited_time" => (&["last_edited_time", "date"], &DATE_OPS),
        _ => (&[], &[]),
    }
}

/// One condition object `{op: arg}`.
fn condition(path: &str, value: &Value, ops: &[&str]) -> Reply<(String, Value)> {
    let map = value
        .as_object()
        .ok_or_else(|| Fail::body(path, "an object", value))?;
    if map.len() != 1 {
        return Err(Fail::validation(format!(
            "body failed validation: {path} should have exactly one condition, instead was `{}`.",
            describe(value)
        )));
    }
    let (op, arg) = map
        .iter()
        .next()
        .map(|(k, v)| (k.clone(), v.clone()))
        .unwrap_or_default();
    if !ops.contains(&op.as_str()) {
        return Err(Fail::validation(format!(
            "body failed validation: {path}.{op} is not a condition; use one of {}.",
            ops.join(", ")
        )));
    }
    Ok((op, arg))
}

/// Compiles `filter` against `schema`; `depth` is the compound nesting so far.
pub(crate) fn compile(
    filter: &Value,
    schema: &[PropDef],
    path: &str,
    depth: usize,
) -> Reply<Filter> {
    let map: &Map<String, Value> = filter
        .as_object()
        .ok_or_else(|| Fail::body(path, "an object", filter))?;
    for (key, is_and) in [("and", true), ("or", false)] {
        if let Some(group) = map.get(key) {
            if depth >= 2 {
                return Err(Fail::validation(format!(
                    "body failed validation: {path}.{key} is nested too deep; filters allow two levels of `and`/`or`."
                )));
            }
            let items = group
                .as_array()
                .ok_or_else(|| Fail::body(&format!("{path}.{key}"), "an array", group))?;
            if items.len() > MAX_GROUP {
                return Err(Fail::validation(format!(
                    "body failed validation: {path}.{key}.length should be ≤ `{MAX_GROUP}`, instead was `{}`.",
                    items.len()
                )));
            }
            let compiled = items
                .iter()
                .enumerate()
                .map(|(i, f)| compile(f, schema, &format!("{path}.{key}[{i}]"), depth + 1))
                .collect::<Reply<Vec<_>>>()?;
            return Ok(if is_and {
                Filter::And(compiled)
            } else {
                Filter::Or(compiled)
            });
        }
    }
    if let Some(timestamp) = map.get("timestamp") {
        let created = match timestamp.as_str() {
            Some("created_time") => true,
            Some("last_edited_time") => false,
            _ => {
                return Err(Fail::body(
                    &format!("{path}.timestamp"),
                    "`created_time` or `last_edited_time`",
                    timestamp,
                ));
            }
        };
        let key = if created {
            "created_time"
        } else {
            "last_edited_time"
        };
        let cond = map
            .get(key)
            .ok_or_else(|| Fail::missing(&format!("{path}.{key}")))?;
        let (op, arg) = condition(&format!("{path}.{key}"), cond, &DATE_OPS)?;
        check_date_arg(&format!("{path}.{key}.{op}"), &op, &arg)?;
        return Ok(Filter::Timestamp {
            created,
            op,
            arg,
            range: std::sync::OnceLock::new(),
        });
    }
    let Some(property) = map.get("property") else {
        return Err(Fail::validation(format!(
            "body failed validation: {path} should be a property filter, a timestamp filter, `and` or `or`, instead was `{}`.",
            describe(filter)
        )));
    };
    let name = property
        .as_str()
        .ok_or_else(|| Fail::body(&format!("{path}.property"), "a string", property))?;
    let def = find_prop(schema, name)
        .or_else(|| {
            schema
                .iter()
                .find(|p| super::render::decode(&p.id) == super::render::decode(name))
        })
        .ok_or_else(|| {
            Fail::validation(format!("Could not find property with name or id: {name}"))
        })?
        .clone();
    let (keys, ops) = accepted(&def.kind);
    let Some((key, cond)) = map.iter().find(|(k, _)| *k != "property" && *k != "type") else {
        return Err(Fail::missing(&format!("{path}.{}", def.kind)));
    };
    if !keys.contains(&key.as_str()) {
        return Err(Fail::validation(format!(
            "body failed validation: {path}: the filter type `{key}` does not match the property \"{}\" of type {}.",
            def.name, def.kind
        )));
    }
    let (op, arg) = condition(&format!("{path}.{key}"), cond, ops)?;
    let at = format!("{path}.{key}.{op}");
    if EMPTY_OPS.contains(&op.as_str()) {
        if arg != Value::Bool(true) {
            return Err(Fail::body(&at, "`true`", &arg));
        }
    } else if ops == DATE_OPS.as_slice() {
        check_date_arg(&at, &op, &arg)?;
    } else if ops == NUMBER_OPS.as_slice() {
        if !arg.is_number() {
            return Err(Fail::body(&at, "a number", &arg));
        }
    } else if ops == CHECKBOX_OPS.as_slice() {
        if !arg.is_boolean() {
            return Err(Fail::body(&at, "a boolean", &arg));
        }
    } else if !arg.is_string() {
        return Err(Fail::body(&at, "a string", &arg));
    }
    Ok(Filter::Prop {
        def: Box::new(def),
        op,
        arg,
    })
}

const RELATIVE: [&str; 7] = [
    "today",
    "tomorrow",
    "yesterday",
    "one_week_ago",
    "one_week_from_now",
    "one_month_ago",
    "one_month_from_now",
];

fn check_date_arg(path: &str, op: &str, arg: &Value) -> Reply<()> {
    match op {
        "is_empty" | "is_not_empty" => {
            if arg != &Value::Bool(true) {
                return Err(Fail::body(path, "`true`", arg));
            }
        }
        "past_week" | "past_month" | "past_year" | "this_week" | "next_week" | "next_month"
        | "next_year" => {
            if !arg.is_object() {
                return Err(Fail::body(path, "an empty object", arg));
            }
        }
        _ => {
            let ok = arg
                .as_str()
                .is_some_and(|s| RELATIVE.contains(&s) || parse_iso(s).is_some());
            if !ok {
                return Err(Fail::body(path, "an ISO 8601 date string", arg));
            }
        }
    }
    Ok(())
}

/// A date argument as a range `[start, end)` of milliseconds (a day for a date alone).
fn date_range(arg: &Value, now: i64) -> Option<(i64, i64)> {
    let text = arg.as_str()?;
    let today = now.div_euclid(DAY_MS) * DAY_MS;
    let day = |start: i64| Some((start, start + DAY_MS));
    match text {
        "today" => day(today),
        "tomorrow" => day(today + DAY_MS),
        "yesterday" => day(today - DAY_MS),
        "one_week_ago" => day(today - 7 * DAY_MS),
        "one_week_from_now" => day(today + 7 * DAY_MS),
        "one_month_ago" => day(today - 30 * DAY_MS),
        "one_month_from_now" => day(today + 30 * DAY_MS),
        _ => {
            let ParsedDate { ms, date_only } = parse_iso(text)?;
            if date_only {
                day(ms)
            } else {
                Some((ms, ms + 1))
            }
        }
    }
}

fn compare_date(op: &str, arg: &Value, value: Option<i64>, now: i64) -> bool {
    compare_date_in(op, value, now, || date_range(arg, now))
}

/// [`compare_date`], with the argument's range given (worked out only when the operator needs
/// one).
fn compare_date_in(
    op: &str,
    value: Option<i64>,
    now: i64,
    range: impl FnOnce() -> Option<(i64, i64)>,
) -> bool {
    match op {
        "is_empty" => return value.is_none(),
        "is_not_empty" => return value.is_some(),
        _ => {}
    }
    let Some(v) = value else {
        return false;
    };
    let window = |from: i64, to: i64| v >= from && v < to;
    match op {
        "past_week" => window(now - 7 * DAY_MS, now + 1),
        "past_month" => window(now - 30 * DAY_MS, now + 1),
        "past_year" => window(now - 365 * DAY_MS, now + 1),
        "next_week" => window(now, now + 7 * DAY_MS),
        "next_month" => window(now, now + 30 * DAY_MS),
        "next_year" => window(now, now + 365 * DAY_MS),
        "this_week" => {
            // Weeks start on Sunday; 1970-01-01 was a Thursday.
            let days = now.div_euclid(DAY_MS);
            let start = (days - (days + 4).rem_euclid(7)) * DAY_MS;
            window(start, start + 7 * DAY_MS)
        }
        _ => {
            let Some((start, end)) = range() else {
                return false;
            };
            match op {
                "equals" => v >= start && v < end,
                "before" => v < start,
                "after" => v >= end,
                "on_or_before" => v < end,
                "on_or_after" => v >= start,
                _ => false,
            }
        }
    }
}

/// The text of a value of a text-like property.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(_) => plain_text(value),
        _ => String::new(),
    }
}

/// The start of a date value, in milliseconds.
fn date_of(kind: &str, value: &Value) -> Option<i64> {
    match kind {
        "date" => value
            .get("start")
            .and_then(Value::as_str)
            .and_then(parse_iso)
            .map(|d| d.ms),
        _ => value.as_str().and_then(parse_iso).map(|d| d.ms),
    }
}

/// The IDs (or names) held by a list-like value.
fn members(kind: &str, value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| {
                    let key = if kind == "multi_select" { "name" } else { "id" };
                    i.get(key).and_then(Value::as_str).map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_else(|| {
            value
                .get("id")
                .and_then(Value::as_str)
                .map(|s| vec![s.to_owned()])
                .unwrap_or_default()
        })
}

fn normalise_id(text: &str) -> String {
    crate::ids::ObjectId::parse(text).map_or_else(|_| text.to_owned(), |id| id.to_string())
}

impl Filter {
    /// Whether `page` passes.
    pub(crate) fn matches(&self, state: &State, page: &Object, now: i64) -> bool {
        match self {
            Self::And(all) => all.iter().all(|f| f.matches(state, page, now)),
            Self::Or(any) => any.iter().any(|f| f.matches(state, page, now)),
            Self::Timestamp {
                created,
                op,
                arg,
                range,
            } => {
                let value = if *created {
                    page.created_ms
                } else {
                    page.edited_ms
                };
                compare_date_in(op, Some(value), now, || {
                    *range.get_or_init(|| date_range(arg, now))
                })
            }
            Self::Prop { def, op, arg } => {
                let kind = def.kind.as_str();
                // A text value is read where it is stored (as `full_value` would give it), not
                // copied once per row.
                let stored = page.page().and_then(|p| p.values.get(&def.id));
                let value = match (kind, stored) {
                    ("title" | "rich_text" | "url" | "email" | "phone_number", Some(stored)) => {
                        std::borrow::Cow::Borrowed(stored)
                    }
                    _ => std::borrow::Cow::Owned(state.full_value(page, def)),
                };
                match kind {
                    "title" | "rich_text" | "url" | "email" | "phone_number" => {
                        let text = text_of(&value);
                        let needle = arg.as_str().unwrap_or("");
                        let (t, n) = (text.to_lowercase(), needle.to_lowercase());
                        match op.as_str() {
                            "equals" => text == needle,
                            "does_not_equal" => text != needle,
                            "contains" => t.contains(&n),
                            "does_not_contain" => !t.contains(&n),
                            "starts_with" => t.starts_with(&n),
                            "ends_with" => t.ends_with(&n),
                            "is_empty" => text.is_empty(),
                            _ => !text.is_empty(),
                        }
                    }
                    "number" | "unique_id" => {
                        let v = if kind == "unique_id" {
                            value.get("number").and_then(Value::as_f64)
                        } else {
                            value.as_f64()
                        };
                        let a = arg.as_f64().unwrap_or(f64::NAN);
                        match (op.as_str(), v) {
                            ("is_empty", v) => v.is_none(),
                            ("is_not_empty", v) => v.is_some(),
                            ("does_not_equal", None) => true,
                            (_, None) => false,
                            ("equals", Some(v)) => v == a,
                            ("does_not_equal", Some(v)) => v != a,
                            ("greater_than", Some(v)) => v > a,
                            ("less_than", Some(v)) => v < a,
                            ("greater_than_or_equal_to", Some(v)) => v >= a,
                            ("less_than_or_equal_to", Some(v)) => v <= a,
                            _ => false,
                        }
                    }
                    "checkbox" => {
                        let v = value.as_bool().unwrap_or(false);
                        let a = arg.as_bool().unwrap_or(false);
                        if op == "equals" { v == a } else { v != a }
                    }
                    "select" | "status" => {
                        let name = value.get("name").and_then(Value::as_str);
                        match op.as_str() {
                            "equals" => name == arg.as_str(),
                            "does_not_equal" => name != arg.as_str(),
                            "is_empty" => name.is_none(),
                            _ => name.is_some(),
                        }
                    }
                    "date" | "created_time" | "last_edited_time" => {
                        compare_date(op, arg, date_of(kind, &value), now)
                    }
                    _ => {
                        let items = members(kind, &value);
                        let wanted = if kind == "multi_select" {
                            arg.as_str().unwrap_or("").to_owned()
                        } else {
                            normalise_id(arg.as_str().unwrap_or(""))
                        };
                        match op.as_str() {
                            "contains" => items.contains(&wanted),
                            "does_not_contain" => !items.contains(&wanted),
                            "is_empty" => items.is_empty(),
                            _ => !items.is_empty(),
                        }
                    }
                }
            }
        }
    }
}

/// A compiled sort.
#[derive(Debug, Clone)]
pub(crate) struct Sort {
    key: SortKey,
    descending: bool,
}

#[derive(Debug, Clone)]
enum SortKey {
    Created,
    Edited,
    Prop(Box<PropDef>),
}

/// Compiles `sorts` against `schema`.
pub(crate) fn compile_sorts(sorts: &Value, schema: &[PropDef]) -> Reply<Vec<Sort>> {
    let items = super::validate::array("body.sorts", sorts)?;
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("body.sorts[{i}]");
        let descending = match item.get("direction").and_then(Value::as_str) {
            Some("ascending") | None => false,
            Some("descending") => true,
            Some(other) => {
                return Err(Fail::body(
                    &format!("{path}.direction"),
                    "`ascending` or `descending`",
                    &Value::from(other),
                ));
            }
        };
        let key = if let Some(ts) = item.get("timestamp") {
            match ts.as_str() {
                Some("created_time") => SortKey::Created,
                Some("last_edited_time") => SortKey::Edited,
                _ => {
                    return Err(Fail::body(
                        &format!("{path}.timestamp"),
                        "`created_time` or `last_edited_time`",
                        ts,
                    ));
                }
            }
        } else if let Some(name) = item.get("property").and_then(Value::as_str) {
            SortKey::Prop(Box::new(
                find_prop(schema, name)
                    .ok_or_else(|| {
                        Fail::validation(format!(
                            "Could not find sort property with name or id: {name}"
                        ))
                    })?
                    .clone(),
            ))
        } else {
            return Err(Fail::missing(&format!("{path}.property")));
        };
        out.push(Sort { key, descending });
    }
    Ok(out)
}

/// A sortable form of a value: `None` sorts last.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum SortValue {
    Number(f64),
    Text(String),
}

fn sort_value(state: &State, page: &Object, key: &SortKey) -> Option<SortValue> {
    match key {
        SortKey::Created => Some(SortValue::Number(page.created_ms as f64)),
        SortKey::Edited => Some(SortValue::Number(page.edited_ms as f64)),
        SortKey::Prop(def) => {
            let value = state.full_value(page, def);
            match def.kind.as_str() {
                "number" => value.as_f64().map(SortValue::Number),
                "checkbox" => Some(SortValue::Number(if value.as_bool() == Some(true) {
                    1.0
                } else {
                    0.0
                })),
                "unique_id" => value
                    .get("number")
                    .and_then(Value::as_f64)
                    .map(SortValue::Number),
                "date" | "created_time" | "last_edited_time" => {
                    date_of(&def.kind, &value).map(|ms| SortValue::Number(ms as f64))
                }
                "select" | "status" => value
                    .get("name")
                    .and_then(Value::as_str)
                    .map(|s| SortValue::Text(s.to_lowercase())),
                _ => {
                    let text = text_of(&value);
                    (!text.is_empty()).then(|| SortValue::Text(text.to_lowercase()))
                }
            }
        }
    }
}

/// Sorts `rows` (already in creation order) by `sorts`.
pub(crate) fn sort_rows(state: &State, rows: &mut [&Object], sorts: &[Sort]) {
    if sorts.is_empty() {
        return;
    }
    rows.sort_by(|a, b| {
        for sort in sorts {
            let (x, y) = (
                sort_value(state, a, &sort.key),
                sort_value(state, b, &sort.key),
            );
            let ordering = match (x, y) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(x), Some(y)) => {
                    let o = x.partial_cmp(&y).unwrap_or(Ordering::Equal);
                    if sort.descending { o.reverse() } else { o }
                }
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        Ordering::Equal
    });
}
