//! The registry's columns in one place: for each column of `system-environments` and
//! `system-databases`, its name (from [`PropertyNames`]), its type in Notion, what it means and
//! who writes it. `init` creates the two tables with these columns and adds the ones an existing
//! registry lacks; `repair` adds the ones marked [`RegistryColumn::repair_adds`]; the README's
//! table of the registry's columns says the same (a test holds it to this list).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::PropertyNames;
use crate::error::{Error, Result};
use crate::ids::DataSourceId;
use crate::model::{PropertyConfig, PropertyConfigKind};

/// The options `init` gives `Sync`: the words [`SyncSetting::parse`](super::SyncSetting::parse)
/// reads (it also takes the aliases `One-Way` and `Bidirectional`).
pub const SYNC_OPTIONS: [&str; 4] = ["No Sync", "Push", "Pull", "Two-Way"];

/// The options `init` gives `Environment-Type`: `Primary` marks the control workspace's own
/// environment when no token tells it.
pub const ENVIRONMENT_TYPE_OPTIONS: [&str; 2] = ["Primary", "Client"];

/// The options the repair gives `Token-Status`.
pub const TOKEN_STATUS_OPTIONS: [&str; 5] =
    ["valid", "invalid", "unreachable", "unreadable", "missing"];

/// The name `init` gives the relation from `system-environments` to `system-databases` (an
/// existing registry's relation is found by its target, whatever its name).
pub const RELATION_TO_DATABASES: &str = "Databases";

/// The name of the relation's other side, in `system-databases`.
pub const RELATION_TO_ENVIRONMENTS: &str = "Environments";

/// The type of a registry column, as `init` and `repair` create it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    /// `title`.
    Title,
    /// `rich_text`.
    RichText,
    /// `url`.
    Url,
    /// `select`, with the token statuses as options ([`TOKEN_STATUS_OPTIONS`]).
    Select,
    /// `select`, with the sync directions as options ([`SYNC_OPTIONS`]).
    SyncSelect,
    /// `select`, with the environment types as options ([`ENVIRONMENT_TYPE_OPTIONS`]).
    EnvironmentTypeSelect,
    /// `date`.
    Date,
    /// `checkbox`.
    Checkbox,
    /// `relation` to `system-databases`, both ways.
    Relation,
}

impl ColumnType {
    /// The type's name in Notion's schema: `title`, `rich_text`, `url`, `select`, `date`,
    /// `checkbox` or `relation`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Title => "title",
            Self::RichText => "rich_text",
            Self::Url => "url",
            Self::Select | Self::SyncSelect | Self::EnvironmentTypeSelect => "select",
            Self::Date => "date",
            Self::Checkbox => "checkbox",
            Self::Relation => "relation",
        }
    }

    /// The column's schema in a request. A relation needs the data source of `system-databases`
    /// (`databases`): without it, an error.
    pub fn schema(self, databases: Option<DataSourceId>) -> Result<PropertyConfigKind> {
        let options = |names: &[&str]| names.iter().map(|n| json!({"name": n})).collect::<Vec<_>>();
        let json = match self {
            Self::Title => json!({"type": "title", "title": {}}),
            Self::RichText => json!({"type": "rich_text", "rich_text": {}}),
            Self::Url => json!({"type": "url", "url": {}}),
            Self::Date => json!({"type": "date", "date": {}}),
            Self::Checkbox => json!({"type": "checkbox", "checkbox": {}}),
            Self::Select => {
                json!({"type": "select", "select": {"options": options(&TOKEN_STATUS_OPTIONS)}})
            }
            Self::SyncSelect => {
                json!({"type": "select", "select": {"options": options(&SYNC_OPTIONS)}})
            }
            Self::EnvironmentTypeSelect => {
                json!({"type": "select", "select": {"options": options(&ENVIRONMENT_TYPE_OPTIONS)}})
            }
            Self::Relation => {
                let target = databases.ok_or_else(|| {
                    Error::Registry(
                        "the relation to system-databases needs that table's data source".into(),
                    )
                })?;
                json!({"type": "relation", "relation": {
                    "data_source_id": target.to_string(),
                    "type": "dual_property",
                    "dual_property": {"synced_property_name": RELATION_TO_ENVIRONMENTS},
                }})
            }
        };
        serde_json::from_value::<PropertyConfig>(json)
            .map(|config| config.config)
            .map_err(|e| Error::Decode {
                what: "a column schema".into(),
                message: e.to_string(),
            })
    }
}

pub use super::shape::Table;

/// One column of the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistryColumn {
    /// Its table.
    pub table: Table,
    /// Its name.
    pub name: String,
    /// Its type.
    pub column_type: ColumnType,
    /// What it holds.
    pub meaning: &'static str,
    /// Who writes it: a person, `repair`, or both.
    pub written_by: &'static str,
    /// Whether `repair` adds it when it is missing (`init` adds every column).
    pub repair_adds: bool,
}

/// Every column of the registry, with the names of `names`, in the README's order. The relation
/// between the two tables is the environments' column [`RELATION_TO_DATABASES`] (its other side,
/// [`RELATION_TO_ENVIRONMENTS`], Notion makes).
pub fn registry_columns(names: &PropertyNames) -> Vec<RegistryColumn> {
    use ColumnType as T;
    use Table::{Databases, Environments};
    let column =
        |table, name: &str, column_type, meaning, written_by, repair_adds| RegistryColumn {
            table,
            name: name.to_owned(),
            column_type,
            meaning,
            written_by,
            repair_adds,
        };
    vec![
        column(
            Environments,
            &names.name,
            T::Title,
            "the environment's name (one Notion workspace)",
            "a person",
            false,
        ),
        column(
            Environments,
            &names.primary_token,
            T::RichText,
            "the workspace integration's token, or better `env:NAME`: the environment variable that holds it",
            "a person",
            false,
        ),
        column(
            Environments,
            &names.environment_type,
            T::EnvironmentTypeSelect,
            "`Primary` marks the control workspace's own environment (when no token tells it), `Client` the others",
            "a person",
            false,
        ),
        column(
            Environments,
            &names.parent_page,
            T::Url,
            "the page of that workspace under which copies are created",
            "a person, or `repair` (the one page titled `database-parent-page`)",
            true,
        ),
        column(
            Environments,
            &names.token_status,
            T::Select,
            "the token's health at the last repair: valid, invalid, unreachable, unreadable, missing",
            "`repair`",
            true,
        ),
        column(
            Environments,
            &names.token_checked,
            T::Date,
            "the day of that check",
            "`repair`",
            true,
        ),
        column(
            Environments,
            RELATION_TO_DATABASES,
            T::Relation,
            "the databases synced with this environment (relation to `system-databases`, whose side is `Environments`)",
            "a person",
            false,
        ),
        column(
            Databases,
            &names.name,
            T::Title,
            "the database's name",
            "a person",
            false,
        ),
        column(
            Databases,
            &names.sync,
            T::SyncSelect,
            "which way rows flow: `No Sync`, `Push` (alias `One-Way`), `Pull`, `Two-Way` (alias `Bidirectional`)",
            "a person",
            false,
        ),
        column(
            Databases,
            &names.data_source_id,
            T::Url,
            "the database's data source, by ID or link: the source of truth",
            "a person, or `repair` (where every ID column agrees)",
            true,
        ),
        column(
            Databases,
            &names.database_id,
            T::RichText,
            "the database's ID",
            "a person",
            false,
        ),
        column(
            Databases,
            &names.nid,
            T::RichText,
            "another database ID column, read as a fallback",
            "a person",
            false,
        ),
        column(
            Databases,
            &names.database_url,
            T::Url,
            "the database's link",
            "a person",
            false,
        ),
        column(
            Databases,
            &names.sync_content,
            T::Checkbox,
            "also copy each row's page content (its blocks)",
            "a person",
            false,
        ),
    ]
}
