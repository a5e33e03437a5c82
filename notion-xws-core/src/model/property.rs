//! Property schemas: the configuration of each property of a data source.
//!
//! A data source's `properties` map names to `{"id", "name", "description", "type", "<type>":
//! {config}}`. Most types have an empty config (`{}`); select, multi-select and status carry
//! their options, number its format, formula its expression, relation its target data source,
//! rollup its relation and function, unique ID its prefix. Types this library does not know are
//! kept raw. Option IDs and property IDs are per data source: match them by name across
//! workspaces.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::wire::{JsonMap, Nullable, kind_object, nullable, serde_via_json_object, typed_payload};
use crate::ids::{DataSourceId, DatabaseId, PropertyId};

/// The schema of one property of a data source.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyConfig {
    /// The property's ID (absent in request bodies).
    pub id: Option<PropertyId>,
    /// The property's name (responses repeat the key of the map here).
    pub name: Option<String>,
    /// The property's description.
    pub description: Nullable<String>,
    /// The type and its configuration.
    pub config: PropertyConfigKind,
    /// Whether the `type` key is written.
    pub explicit_type: bool,
    /// Keys this library does not know, kept as they came.
    pub extra: JsonMap,
}

/// The type of a property and its configuration.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PropertyConfigKind {
    /// `title` (exactly one per data source).
    Title(EmptyConfig),
    /// `rich_text`.
    RichText(EmptyConfig),
    /// `number`, with its display format.
    Number(NumberConfig),
    /// `select`, with its options.
    Select(SelectConfig),
    /// `multi_select`, with its options.
    MultiSelect(SelectConfig),
    /// `status`, with its options and groups.
    Status(StatusConfig),
    /// `date`.
    Date(EmptyConfig),
    /// `people`.
    People(EmptyConfig),
    /// `files`.
    Files(EmptyConfig),
    /// `checkbox`.
    Checkbox(EmptyConfig),
    /// `url`.
    Url(EmptyConfig),
    /// `email`.
    Email(EmptyConfig),
    /// `phone_number`.
    PhoneNumber(EmptyConfig),
    /// `formula`, with its expression.
    Formula(FormulaConfig),
    /// `relation`, with its target data source.
    Relation(RelationConfig),
    /// `rollup`, with its relation, property and function.
    Rollup(RollupConfig),
    /// `created_time`.
    CreatedTime(EmptyConfig),
    /// `created_by`.
    CreatedBy(EmptyConfig),
    /// `last_edited_time`.
    LastEditedTime(EmptyConfig),
    /// `last_edited_by`.
    LastEditedBy(EmptyConfig),
    /// `unique_id`, with its prefix.
    UniqueId(UniqueIdConfig),
    /// `button`.
    Button(EmptyConfig),
    /// `place`.
    Place(EmptyConfig),
    /// `verification` (wiki data sources).
    Verification(EmptyConfig),
    /// A property type this library does not know, kept raw.
    Unknown {
        /// The `type` as Notion wrote it.
        type_name: String,
        /// The value under the key named by `type`, if present.
        payload: Option<Value>,
    },
}

/// The configuration of a type that has none: `{}` (any keys Notion adds are kept).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmptyConfig {
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// The configuration of a number property.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NumberConfig {
    /// The display format (`number`, `percent`, `euro`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// The configuration of a select or multi-select property.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SelectConfig {
    /// The options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<SelectOption>>,
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// An option of a select, multi-select or status property.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectOption {
    /// The option's ID (per data source; absent when creating an option).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The option's name (no commas).
    pub name: String,
    /// The option's colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// The option's description.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub description: Nullable<String>,
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// The configuration of a status property.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatusConfig {
    /// The options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<SelectOption>>,
    /// The groups (To-do, In progress, Complete) and the options in each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<StatusGroup>>,
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// A group of status options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusGroup {
    /// The group's ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The group's name.
    pub name: String,
    /// The group's colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// The IDs of the options in the group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub option_ids: Option<Vec<String>>,
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// The configuration of a formula property.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FormulaConfig {
    /// The expression (copy it, not the computed values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// The configuration of a relation property.
#[derive(Debug, Clone, PartialEq)]
pub struct RelationConfig {
    /// The related database (responses carry it in every version).
    pub database_id: Option<DatabaseId>,
    /// The related data source (requests in 2025-09-03 and later use only this).
    pub data_source_id: Option<DataSourceId>,
    /// One-way or two-way, if Notion said.
    pub relation_kind: Option<RelationKind>,
    /// Whether the `type` key is written.
    pub explicit_type: bool,
    /// Keys this library does not know, kept as they came.
    pub extra: JsonMap,
}

/// Whether a relation is one-way or two-way.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RelationKind {
    /// `single_property`: one-way.
    SingleProperty(EmptyConfig),
    /// `dual_property`: two-way, with the synced property on the other side.
    DualProperty(DualPropertyRelation),
    /// A kind this library does not know, kept raw.
    Unknown {
        /// The `type` as Notion wrote it.
        type_name: String,
        /// The value under the key named by `type`, if present.
        payload: Option<Value>,
    },
}

/// The other side of a two-way relation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DualPropertyRelation {
    /// The name of the synced property in the related data source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synced_property_name: Option<String>,
    /// The ID of the synced property in the related data source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synced_property_id: Option<PropertyId>,
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// The configuration of a rollup property.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RollupConfig {
    /// The aggregation (`count`, `sum`, `show_original`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// The relation property rolled up, by ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation_property_id: Option<PropertyId>,
    /// The relation property rolled up, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation_property_name: Option<String>,
    /// The property of the related pages rolled up, by ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollup_property_id: Option<PropertyId>,
    /// The property of the related pages rolled up, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollup_property_name: Option<String>,
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// The configuration of a unique-ID property.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UniqueIdConfig {
    /// The prefix (`"TASK"` in `TASK-42`), `null` when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub prefix: Nullable<String>,
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

impl PropertyConfig {
    /// A schema entry in request form (no `id`, no `type`).
    pub fn new(config: PropertyConfigKind) -> Self {
        Self {
            id: None,
            name: None,
            description: None,
            config,
            explicit_type: false,
            extra: JsonMap::new(),
        }
    }

    /// The property type as Notion writes it (`title`, `select`, …).
    pub fn type_name(&self) -> &str {
        self.config.type_name()
    }
}

impl PropertyConfigKind {
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
            Self::Formula(_) => "formula",
            Self::Relation(_) => "relation",
            Self::Rollup(_) => "rollup",
            Self::CreatedTime(_) => "created_time",
            Self::CreatedBy(_) => "created_by",
            Self::LastEditedTime(_) => "last_edited_time",
            Self::LastEditedBy(_) => "last_edited_by",
            Self::UniqueId(_) => "unique_id",
            Self::Button(_) => "button",
            Self::Place(_) => "place",
            Self::Verification(_) => "verification",
            Self::Unknown { type_name, .. } => type_name,
        }
    }
}

typed_payload! {
    PropertyConfigKind {
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
        Formula = "formula",
        Relation = "relation",
        Rollup = "rollup",
        CreatedTime = "created_time",
        CreatedBy = "created_by",
        LastEditedTime = "last_edited_time",
        LastEditedBy = "last_edited_by",
        UniqueId = "unique_id",
        Button = "button",
        Place = "place",
        Verification = "verification",
    }
}

kind_object!(PropertyConfig { id, name, description, @config: "a property schema" });

typed_payload! {
    RelationKind {
        SingleProperty = "single_property",
        DualProperty = "dual_property",
    }
}

kind_object!(RelationConfig { database_id, data_source_id, @relation_kind? });

serde_via_json_object!(PropertyConfig, RelationConfig);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(value: Value) -> PropertyConfig {
        let config: PropertyConfig = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&config).unwrap(), value);
        config
    }

    #[test]
    fn every_documented_type_round_trips() {
        let options = json!([{"id": "a", "name": "Done", "color": "green", "description": null}]);
        for (type_name, config) in [
            ("title", json!({})),
            ("rich_text", json!({})),
            ("number", json!({"format": "euro"})),
            ("select", json!({"options": options})),
            ("multi_select", json!({"options": []})),
            (
                "status",
                json!({"options": options, "groups": [{"id": "g", "name": "Complete", "color": "green", "option_ids": ["a"]}]}),
            ),
            ("date", json!({})),
            ("people", json!({})),
            ("files", json!({})),
            ("checkbox", json!({})),
            ("url", json!({})),
            ("email", json!({})),
            ("phone_number", json!({})),
            ("formula", json!({"expression": "prop(\"Price\") * 2"})),
            (
                "relation",
                json!({"database_id": "3e631832-5efa-4702-8171-8b8a0e6651ba", "data_source_id": "393abc1e-edcd-8179-9372-000bd163e729", "type": "single_property", "single_property": {}}),
            ),
            (
                "relation",
                json!({"data_source_id": "393abc1e-edcd-8179-9372-000bd163e729", "type": "dual_property", "dual_property": {"synced_property_name": "Tasks", "synced_property_id": "a%3Ab"}}),
            ),
            (
                "rollup",
                json!({"function": "sum", "relation_property_id": "r", "relation_property_name": "Tasks", "rollup_property_id": "p", "rollup_property_name": "Hours"}),
            ),
            ("created_time", json!({})),
            ("created_by", json!({})),
            ("last_edited_time", json!({})),
            ("last_edited_by", json!({})),
            ("unique_id", json!({"prefix": null})),
            ("button", json!({})),
            ("place", json!({})),
            ("verification", json!({})),
        ] {
            let config = round_trip(json!({
                "id": "x", "name": "P", "description": null, "type": type_name, type_name: config
            }));
            assert_eq!(config.type_name(), type_name);
            assert!(!matches!(config.config, PropertyConfigKind::Unknown { .. }));
        }
    }

    #[test]
    fn dual_relation_names_the_synced_property() {
        let config = round_trip(json!({
            "id": "r", "name": "Project", "type": "relation",
            "relation": {"data_source_id": "393abc1e-edcd-8179-9372-000bd163e729",
                         "type": "dual_property",
                         "dual_property": {"synced_property_name": "Tasks", "synced_property_id": "a%3Ab"}}
        }));
        let PropertyConfigKind::Relation(relation) = &config.config else {
            panic!("not a relation: {config:?}");
        };
        let Some(RelationKind::DualProperty(dual)) = &relation.relation_kind else {
            panic!("not two-way: {relation:?}");
        };
        assert_eq!(dual.synced_property_name.as_deref(), Some("Tasks"));
    }

    #[test]
    fn unknown_type_and_request_form() {
        let config = round_trip(
            json!({"id": "x", "name": "AI", "type": "ai_summary", "ai_summary": {"model": 2}}),
        );
        assert_eq!(config.type_name(), "ai_summary");
        let request = round_trip(json!({"title": {}}));
        assert_eq!(
            request,
            PropertyConfig::new(PropertyConfigKind::Title(EmptyConfig::default()))
        );
    }
}
