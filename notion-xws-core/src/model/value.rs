//! Property values: what a page (a row) holds in each property.
//!
//! A value is `{"id": "…", "type": "<type>", "<type>": <payload>}`, keyed by the property's name
//! in `page.properties`. [`PropertyValue`] dispatches on `type` by hand (an internally tagged
//! serde enum cannot keep unknown types), so that every type of the API is typed and a type this
//! library does not know yet is kept raw and written back unchanged. Request bodies may leave out
//! `id` and `type` (`{"select": {"name": "Done"}}`); such values are read by their payload key.
//!
//! Numbers are kept as [`serde_json::Number`], so `3` stays `3` and `3.5` stays `3.5`. Values
//! that Notion computes (formula, rollup, created/edited time and user, unique ID, button) cannot
//! be written; see the API notes.

use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

use super::file::FileObject;
use super::reference::Reference;
use super::rich_text::RichText;
use super::user::User;
use super::wire::{
    self, JsonMap, JsonObject, Nullable, kind_object, nullable, put_some, serde_via_json_object,
    typed_payload,
};
use crate::ids::{PageId, PropertyId};

/// The value of one property of a page.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyValue {
    /// The property's ID (absent in request bodies and in rollup arrays).
    pub id: Option<PropertyId>,
    /// The typed value.
    pub value: PropertyValueKind,
    /// Whether the `type` key is written.
    pub explicit_type: bool,
    /// Keys this library does not know, kept as they came.
    pub extra: JsonMap,
}

/// The typed value of a property, one variant per property type.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PropertyValueKind {
    /// `title`: rich text (at most 25 mentions are returned; see property items).
    Title(Vec<RichText>),
    /// `rich_text`.
    RichText(Vec<RichText>),
    /// `number`: `None` is `null`.
    Number(Option<Number>),
    /// `select`: `None` is `null`.
    Select(Option<SelectValue>),
    /// `multi_select`.
    MultiSelect(Vec<SelectValue>),
    /// `status`: `None` is `null`.
    Status(Option<SelectValue>),
    /// `date`: `None` is `null`.
    Date(Option<DateValue>),
    /// `people`: users and groups of the page's workspace.
    People(Vec<User>),
    /// `files`.
    Files(Vec<FileObject>),
    /// `checkbox`.
    Checkbox(bool),
    /// `url`: `None` is `null`.
    Url(Option<String>),
    /// `email`: `None` is `null`.
    Email(Option<String>),
    /// `phone_number`: `None` is `null`.
    PhoneNumber(Option<String>),
    /// `relation`: related pages, and `has_more` when Notion cut the list at 25.
    Relation {
        /// The related pages.
        pages: Vec<Reference<PageId>>,
        /// `true` when the list was truncated: read the rest as property items.
        has_more: Option<bool>,
    },
    /// `place`: `None` is `null` (Notion returns `null` where it does not support it).
    Place(Option<PlaceValue>),
    /// `verification` (wiki databases): `None` is `null`.
    Verification(Option<Box<VerificationValue>>),
    /// `formula`: computed, read only.
    Formula(FormulaValue),
    /// `rollup`: computed, read only.
    Rollup(RollupValue),
    /// `created_time` (ISO 8601), read only.
    CreatedTime(String),
    /// `created_by`, read only.
    CreatedBy(Box<User>),
    /// `last_edited_time` (ISO 8601, rounded to the minute), read only.
    LastEditedTime(String),
    /// `last_edited_by`, read only.
    LastEditedBy(Box<User>),
    /// `unique_id`, read only (numbers differ between workspaces).
    UniqueId(UniqueIdValue),
    /// `button`: an empty object, read only.
    Button(JsonMap),
    /// A property type this library does not know, kept raw.
    Unknown {
        /// The `type` as Notion wrote it.
        type_name: String,
        /// The value under the key named by `type`, if present.
        payload: Option<Value>,
    },
}

/// A select, multi-select or status option as a value: `{"id", "name", "color"}`.
///
/// Option IDs are per data source: write options by `name` when copying across workspaces.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SelectValue {
    /// The option's ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The option's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The option's colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// A date or date range: `{"start", "end", "time_zone"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DateValue {
    /// The start: an ISO 8601 date or date-time.
    pub start: String,
    /// The end of a range, `null` for a single date.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub end: Nullable<String>,
    /// The IANA time zone, `null` when the times carry an offset or there are none.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub time_zone: Nullable<String>,
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// A place: `{"lat", "lon", "name", "address", …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaceValue {
    /// Latitude.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<Number>,
    /// Longitude.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<Number>,
    /// The place's name.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub name: Nullable<String>,
    /// The place's address.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub address: Nullable<String>,
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// A verification (wiki pages): `{"state", "date", "verified_by"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerificationValue {
    /// `verified`, `expired` or `unverified`.
    pub state: String,
    /// When the verification runs out.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub date: Nullable<DateValue>,
    /// Who verified the page.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub verified_by: Nullable<User>,
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// A unique ID: `{"prefix", "number"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UniqueIdValue {
    /// The prefix (`"TASK"` in `TASK-42`), `null` when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub prefix: Nullable<String>,
    /// The number.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub number: Nullable<Number>,
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// The result of a formula.
#[derive(Debug, Clone, PartialEq)]
pub struct FormulaValue {
    /// The typed result.
    pub result: FormulaResult,
    /// Whether the `type` key is written.
    pub explicit_type: bool,
    /// Keys this library does not know, kept as they came.
    pub extra: JsonMap,
}

/// The typed result of a formula.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FormulaResult {
    /// `string`: `None` is `null`.
    String(Option<String>),
    /// `number`: `None` is `null`.
    Number(Option<Number>),
    /// `boolean`: `None` is `null`.
    Boolean(Option<bool>),
    /// `date`: `None` is `null`.
    Date(Option<DateValue>),
    /// A result type this library does not know (`unsupported`, …), kept raw.
    Unknown {
        /// The `type` as Notion wrote it.
        type_name: String,
        /// The value under the key named by `type`, if present.
        payload: Option<Value>,
    },
}

/// The result of a rollup, with its aggregation `function`.
#[derive(Debug, Clone, PartialEq)]
pub struct RollupValue {
    /// The typed result.
    pub result: RollupResult,
    /// The aggregation (`count`, `sum`, `show_original`, …).
    pub function: Option<String>,
    /// Whether the `type` key is written.
    pub explicit_type: bool,
    /// Keys this library does not know, kept as they came.
    pub extra: JsonMap,
}

/// The typed result of a rollup.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RollupResult {
    /// `number`: `None` is `null`.
    Number(Option<Number>),
    /// `date`: `None` is `null`.
    Date(Option<DateValue>),
    /// `array`: the rolled-up values (without `id`).
    Array(Vec<PropertyValue>),
    /// A result type this library does not know (`incomplete`, `unsupported`, …), kept raw.
    Unknown {
        /// The `type` as Notion wrote it.
        type_name: String,
        /// The value under the key named by `type`, if present.
        payload: Option<Value>,
    },
}

impl PropertyValue {
    /// A value in request form (no `id`, no `type`).
    pub fn new(value: PropertyValueKind) -> Self {
        Self {
            id: None,
            value,
            explicit_type: false,
            extra: JsonMap::new(),
        }
    }

    /// The property type as Notion writes it (`title`, `select`, …).
    pub fn type_name(&self) -> &str {
        self.value.type_name()
    }
}

impl PropertyValueKind {
    /// The property type as Notion writes it (`title`, `select`, …).
    pub fn type_name(&self) -> &str {
        match self {
            Self::Title(_) => "title",
            Self::RichText(_) => "rich_text",
            Self::Number(_) => "number",
            Self::Select(_) => "select",
            Self::MultiSelect(_) => "multi_select",
            Self::Status(_) => "status",
            Self::Date(_) => "date",
            Self::People(_) => "people",
            Self::Files(_) => "files",
            Self::Checkbox(_) => "checkbox",
            Self::Url(_) => "url",
            Self::Email(_) => "email",
            Self::PhoneNumber(_) => "phone_number",
            Self::Relation { .. } => "relation",
            Self::Place(_) => "place",
            Self::Verification(_) => "verification",
            Self::Formula(_) => "formula",
            Self::Rollup(_) => "rollup",
            Self::CreatedTime(_) => "created_time",
            Self::CreatedBy(_) => "created_by",
            Self::LastEditedTime(_) => "last_edited_time",
            Self::LastEditedBy(_) => "last_edited_by",
            Self::UniqueId(_) => "unique_id",
            Self::Button(_) => "button",
            Self::Unknown { type_name, .. } => type_name,
        }
    }

    /// Whether Notion computes this value (it cannot be written).
    pub fn is_computed(&self) -> bool {
        matches!(
            self,
            Self::Formula(_)
                | Self::Rollup(_)
                | Self::CreatedTime(_)
                | Self::CreatedBy(_)
                | Self::LastEditedTime(_)
                | Self::LastEditedBy(_)
                | Self::UniqueId(_)
                | Self::Button(_)
        )
    }
}

typed_payload! {
    PropertyValueKind {
        Title = "title",
        RichText = "rich_text",
        Number = "number",
        Select = "select",
        MultiSelect = "multi_select",
        Status = "status",
        Date = "date",
        People = "people",
        Files = "files",
        Checkbox = "checkbox",
        Url = "url",
        Email = "email",
        PhoneNumber = "phone_number",
        "relation",
        Place = "place",
        Verification = "verification",
        Formula = "formula",
        Rollup = "rollup",
        CreatedTime = "created_time",
        CreatedBy = "created_by",
        LastEditedTime = "last_edited_time",
        LastEditedBy = "last_edited_by",
        UniqueId = "unique_id",
        Button = "button",
    }
    read(type_name, payload, rest) {
        "relation" => Self::Relation {
            pages: wire::payload(type_name, payload)?,
            has_more: wire::take(rest, "has_more")?,
        },
    }
    write(out) {
        Self::Relation { pages, has_more } => {
            wire::put(out, "relation", pages)?;
            put_some(out, "has_more", has_more)?;
            Ok("relation".to_owned())
        }
    }
}

kind_object!(PropertyValue { id, @value: "a property value" });

typed_payload! {
    FormulaResult {
        String = "string",
        Number = "number",
        Boolean = "boolean",
        Date = "date",
    }
}

kind_object!(FormulaValue { @result: "a formula result" });

typed_payload! {
    RollupResult {
        Number = "number",
        Date = "date",
        Array = "array",
    }
}

impl JsonObject for RollupValue {
    fn from_map(mut map: JsonMap) -> Result<Self, serde_json::Error> {
        let function = wire::take(&mut map, "function")?;
        let (result, explicit_type) = wire::read_required_kind(&mut map, "a rollup result")?;
        Ok(Self {
            result,
            function,
            explicit_type,
            extra: map,
        })
    }

    fn to_map(&self) -> Result<JsonMap, serde_json::Error> {
        let mut map = self.extra.clone();
        wire::write_kind(&self.result, self.explicit_type, &mut map)?;
        put_some(&mut map, "function", &self.function)?;
        Ok(map)
    }
}

serde_via_json_object!(PropertyValue, FormulaValue, RollupValue);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(value: Value) -> PropertyValue {
        let property: PropertyValue = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&property).unwrap(), value);
        property
    }

    #[test]
    fn number_three_stays_an_integer_and_three_and_a_half_a_float() {
        let three = round_trip(json!({"id": "n", "type": "number", "number": 3}));
        assert_eq!(
            serde_json::to_string(&three).unwrap(),
            r#"{"id":"n","number":3,"type":"number"}"#
        );
        let PropertyValueKind::Number(Some(number)) = &three.value else {
            panic!("not a number: {three:?}");
        };
        assert!(number.is_u64());
        let half = round_trip(json!({"id": "n", "type": "number", "number": 3.5}));
        assert_eq!(half.value, PropertyValueKind::Number(Number::from_f64(3.5)));
        let empty = round_trip(json!({"id": "n", "type": "number", "number": null}));
        assert_eq!(empty.value, PropertyValueKind::Number(None));
    }

    #[test]
    fn relation_keeps_has_more() {
        let relation = round_trip(json!({
            "id": "r", "type": "relation",
            "relation": [{"id": "393abc1e-edcd-8181-8d59-e30a27148c69"}],
            "has_more": true
        }));
        let PropertyValueKind::Relation { pages, has_more } = &relation.value else {
            panic!("not a relation: {relation:?}");
        };
        assert_eq!(pages.len(), 1);
        assert_eq!(*has_more, Some(true));
    }

    #[test]
    fn unknown_type_is_kept_raw() {
        let value = round_trip(json!({
            "id": "x", "type": "hologram", "hologram": {"frames": [1, 2.5, "a"]}, "new_key": null
        }));
        assert_eq!(value.type_name(), "hologram");
        assert!(matches!(value.value, PropertyValueKind::Unknown { .. }));
        assert_eq!(value.extra.get("new_key"), Some(&Value::Null));
    }

    #[test]
    fn every_documented_type_round_trips() {
        let user = json!({"object": "user", "id": "7775f3a3-893f-43fa-b625-460c61094c78"});
        let date = json!({"start": "2026-01-01", "end": null, "time_zone": null});
        let option = json!({"id": "abc", "name": "Done", "color": "green"});
        for value in [
            json!({"id": "title", "type": "title", "title": [{"type": "text", "text": {"content": "A", "link": null}, "plain_text": "A", "href": null}]}),
            json!({"id": "a", "type": "rich_text", "rich_text": []}),
            json!({"id": "a", "type": "select", "select": option}),
            json!({"id": "a", "type": "select", "select": null}),
            json!({"id": "a", "type": "multi_select", "multi_select": [option]}),
            json!({"id": "a", "type": "status", "status": option}),
            json!({"id": "a", "type": "date", "date": date}),
            json!({"id": "a", "type": "people", "people": [user, {"object": "group", "id": "7775f3a3-893f-43fa-b625-460c61094c78", "name": "G"}]}),
            json!({"id": "a", "type": "files", "files": [{"name": "x", "type": "external", "external": {"url": "https://e.com/x"}}]}),
            json!({"id": "a", "type": "checkbox", "checkbox": true}),
            json!({"id": "a", "type": "url", "url": "https://example.com"}),
            json!({"id": "a", "type": "email", "email": null}),
            json!({"id": "a", "type": "phone_number", "phone_number": "+33 1"}),
            json!({"id": "a", "type": "place", "place": {"lat": 48.85, "lon": 2, "name": "Paris", "address": null}}),
            json!({"id": "a", "type": "place", "place": null}),
            json!({"id": "a", "type": "verification", "verification": {"state": "verified", "date": date, "verified_by": user}}),
            json!({"id": "a", "type": "formula", "formula": {"type": "number", "number": 2}}),
            json!({"id": "a", "type": "formula", "formula": {"type": "string", "string": null}}),
            json!({"id": "a", "type": "formula", "formula": {"type": "boolean", "boolean": true}}),
            json!({"id": "a", "type": "formula", "formula": {"type": "date", "date": date}}),
            json!({"id": "a", "type": "rollup", "rollup": {"type": "number", "number": 7, "function": "sum"}}),
            json!({"id": "a", "type": "rollup", "rollup": {"type": "array", "array": [{"type": "title", "title": []}], "function": "show_original"}}),
            json!({"id": "a", "type": "rollup", "rollup": {"type": "incomplete", "incomplete": {}, "function": "count"}}),
            json!({"id": "a", "type": "created_time", "created_time": "2026-07-04T09:08:00.000Z"}),
            json!({"id": "a", "type": "created_by", "created_by": user}),
            json!({"id": "a", "type": "last_edited_time", "last_edited_time": "2026-07-04T09:08:00.000Z"}),
            json!({"id": "a", "type": "last_edited_by", "last_edited_by": user}),
            json!({"id": "a", "type": "unique_id", "unique_id": {"prefix": "TASK", "number": 42}}),
            json!({"id": "a", "type": "button", "button": {}}),
        ] {
            let property = round_trip(value.clone());
            assert_eq!(property.type_name(), value["type"].as_str().unwrap());
            assert!(
                !matches!(property.value, PropertyValueKind::Unknown { .. }),
                "{value}"
            );
        }
    }

    #[test]
    fn request_values_without_id_or_type() {
        let value = round_trip(json!({"select": {"name": "Done"}}));
        assert!(!value.explicit_type);
        assert!(matches!(value.value, PropertyValueKind::Select(Some(_))));
        round_trip(json!({"relation": [{"id": "393abc1e-edcd-8181-8d59-e30a27148c69"}]}));
        round_trip(
            json!({"files": [{"type": "file_upload", "file_upload": {"id": "393abc1e-edcd-81c2-b028-00b21f81936b"}}]}),
        );
    }
}
