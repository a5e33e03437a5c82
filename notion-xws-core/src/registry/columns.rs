//! The registry's columns in one place: for each column of `system-environments`,
//! `system-databases` and the optional `Clients`, its name (from [`PropertyNames`]), the type
//! `init` gives it, the types the tool reads it as, what it means and who writes it; and the
//! columns of the sync's own `system-sync-links` ([`LINK_COLUMNS`]).
//!
//! Everything that deals with a registry column reads this list: `init` creates the two tables
//! with these columns and adds the ones an existing registry lacks; `repair` adds the ones marked
//! [`RegistryColumn::repair_adds`] and asks [`shape::writable`](super::shape::writable) before it
//! writes into one; the audit checks each column's type against [`RegistryColumn::reads`]
//! ([`shape::wrong_types`](super::shape::wrong_types)); the sync creates `system-sync-links`
//! from [`LINK_COLUMNS`] and checks a found table against it. The README's table of the
//! registry's columns says the same (a test holds it to this list).

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
    /// `relation` to `system-environments` (the optional `Clients` table's; never created).
    RelationToEnvironments,
    /// `rollup` (the optional `Clients` table's; never created).
    Rollup,
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
            Self::Relation | Self::RelationToEnvironments => "relation",
            Self::Rollup => "rollup",
        }
    }

    /// The column's schema in a request. A relation needs the data source of `system-databases`
    /// (`databases`): without it, an error; the `Clients` table's types (which notion-xws never
    /// creates) are an error too.
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
            Self::RelationToEnvironments | Self::Rollup => {
                return Err(Error::Registry(
                    "notion-xws does not create the Clients table's columns".into(),
                ));
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
    /// The type `init` (and `repair`) give it.
    pub column_type: ColumnType,
    /// The types the tool reads it as (Notion's type names): another is the audit's
    /// `registry.column-type`, and the repair never writes into it. Empty for the columns checked
    /// apart: a table's title (Notion requires one) and the relation (checked for its count).
    pub reads: &'static [&'static str],
    /// What it must be, in words (the audit's fix says it).
    pub wanted: &'static str,
    /// Whether a wrong type blocks everything (P0) rather than what the column serves (P1).
    pub blocking: bool,
    /// What it holds.
    pub meaning: &'static str,
    /// Who writes it: a person, `repair`, or both.
    pub written_by: &'static str,
    /// Whether `repair` adds it when it is missing (`init` adds every column).
    pub repair_adds: bool,
}

/// How the tool reads a column: the types it reads it as, what it must be in words, whether a
/// wrong type blocks everything ([`RegistryColumn::reads`], `wanted`, `blocking`).
type ReadRule = (&'static [&'static str], &'static str, bool);

/// A column checked apart (a title, the relation).
const APART: ReadRule = (&[], "", false);

/// Every column of the registry, with the names of `names`, in the README's order: those of
/// `system-environments`, of `system-databases`, then of the optional `Clients` (which the tool
/// reads when it exists and never creates). The relation between the two tables is the
/// environments' column [`RELATION_TO_DATABASES`] (its other side, [`RELATION_TO_ENVIRONMENTS`],
/// Notion makes).
pub fn registry_columns(names: &PropertyNames) -> Vec<RegistryColumn> {
    use ColumnType as T;
    use Table::{Clients, Databases, Environments};
    let column = |table,
                  name: &str,
                  column_type,
                  (reads, wanted, blocking): ReadRule,
                  meaning,
                  written_by,
                  repair_adds| RegistryColumn {
        table,
        name: name.to_owned(),
        column_type,
        reads,
        wanted,
        blocking,
        meaning,
        written_by,
        repair_adds,
    };
    const ID: ReadRule = (
        &["rich_text", "url", "formula", "rollup"],
        "text (rich text) or URL",
        false,
    );
    vec![
        column(
            Environments,
            &names.name,
            T::Title,
            APART,
            "the environment's name (one Notion workspace)",
            "a person",
            false,
        ),
        column(
            Environments,
            &names.primary_token,
            T::RichText,
            (
                &["rich_text", "formula", "rollup"],
                "text (rich text)",
                true,
            ),
            "the workspace integration's token, or better `env:NAME`: the environment variable that holds it",
            "a person",
            false,
        ),
        column(
            Environments,
            &names.environment_type,
            T::EnvironmentTypeSelect,
            (
                &["select", "status", "rich_text"],
                "select (Primary, Client)",
                false,
            ),
            "`Primary` marks the control workspace's own environment (when no token tells it), `Client` the others",
            "a person",
            false,
        ),
        column(
            Environments,
            &names.parent_page,
            T::Url,
            (&["url", "rich_text"], "URL (or text)", true),
            "the page of that workspace under which copies are created",
            "a person, or `repair` (the one page titled `database-parent-page`)",
            true,
        ),
        column(
            Environments,
            &names.token_status,
            T::Select,
            (&["select"], "select", false),
            "the token's health at the last repair: valid, invalid, unreachable, unreadable, missing",
            "`repair`",
            true,
        ),
        column(
            Environments,
            &names.token_checked,
            T::Date,
            (&["date"], "date", false),
            "the day of that check",
            "`repair`",
            true,
        ),
        column(
            Environments,
            RELATION_TO_DATABASES,
            T::Relation,
            APART,
            "the databases synced with this environment (relation to `system-databases`, whose side is `Environments`; an existing relation is found by its target, whatever its name)",
            "a person",
            false,
        ),
        column(
            Databases,
            &names.name,
            T::Title,
            APART,
            "the database's name",
            "a person",
            false,
        ),
        column(
            Databases,
            &names.sync,
            T::SyncSelect,
            (
                &["select", "status", "rich_text", "formula"],
                "select or status (No Sync, Push, Pull, Two-Way)",
                true,
            ),
            "which way rows flow: `No Sync`, `Push` (alias `One-Way`), `Pull`, `Two-Way` (alias `Bidirectional`)",
            "a person",
            false,
        ),
        column(
            Databases,
            &names.data_source_id,
            T::Url,
            (&["rich_text", "url"], "text (rich text) or URL", true),
            "the database's data source, by ID or link: the source of truth",
            "a person, or `repair` (where every ID column agrees)",
            true,
        ),
        column(
            Databases,
            &names.database_id,
            T::RichText,
            ID,
            "the database's ID",
            "a person",
            false,
        ),
        column(
            Databases,
            &names.nid,
            T::RichText,
            ID,
            "another database ID column, read as a fallback",
            "a person",
            false,
        ),
        column(
            Databases,
            &names.database_url,
            T::Url,
            (&["url", "rich_text", "formula", "rollup"], "URL", false),
            "the database's link",
            "a person",
            false,
        ),
        column(
            Databases,
            &names.sync_content,
            T::Checkbox,
            (&["checkbox"], "checkbox", false),
            "also copy each row's page content (its blocks)",
            "a person",
            false,
        ),
        column(
            Clients,
            &names.client_workspace,
            T::RelationToEnvironments,
            (&["relation"], "relation to system-environments", false),
            "the client's environment (relation to `system-environments`)",
            "a person",
            false,
        ),
        column(
            Clients,
            &names.client_token,
            T::Rollup,
            (
                &["rollup", "rich_text", "formula"],
                "rollup of the environment's Primary-Token (or text)",
                false,
            ),
            "the environment's `Primary-Token`, rolled up (compared with it: `token.clients-disagree`)",
            "a person",
            false,
        ),
    ]
}

impl RegistryColumn {
    /// This column's table in `registry`, when it has one.
    pub fn table_of<'a>(&self, registry: &'a super::Registry) -> Option<&'a super::RegistryTable> {
        match self.table {
            Table::Environments => Some(&registry.environments_table),
            Table::Databases => Some(&registry.databases_table),
            Table::Clients => registry.clients_table.as_ref(),
        }
    }

    /// Whether `config` is of a type the tool reads this column as (always, for a column
    /// checked apart).
    pub fn reads_config(&self, config: &PropertyConfig) -> bool {
        self.reads.is_empty() || self.reads.contains(&config.type_name())
    }
}

/// One column of `system-sync-links`, the sync's own record of each pair's copy (see
/// [`crate::sync::links`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkColumn {
    /// Its name.
    pub name: &'static str,
    /// Its type in Notion's schema.
    pub type_name: &'static str,
    /// A select's options.
    pub options: &'static [&'static str],
    /// A relation's target.
    pub relation_to: Option<Table>,
    /// Added since the first version: a table an earlier version made may lack it, and the sync
    /// adds it (a table lacking another column is not the sync's own).
    pub added_later: bool,
}

impl LinkColumn {
    const fn of(name: &'static str, type_name: &'static str) -> Self {
        Self {
            name,
            type_name,
            options: &[],
            relation_to: None,
            added_later: false,
        }
    }

    /// The column's schema in a request; a relation's needs `registry` (without it, `None`).
    pub fn schema(&self, registry: Option<&super::Registry>) -> Option<serde_json::Value> {
        Some(match self.type_name {
            "relation" => {
                let registry = registry?;
                let target = match self.relation_to? {
                    Table::Environments => registry.environments_table.data_source,
                    Table::Databases => registry.databases_table.data_source,
                    Table::Clients => registry.clients_table.as_ref()?.data_source,
                };
                json!({"relation": {"data_source_id": target, "type": "single_property",
                                    "single_property": {}}})
            }
            "select" => {
                let options: Vec<_> = self.options.iter().map(|o| json!({"name": o})).collect();
                json!({"select": {"options": options}})
            }
            other => json!({ other: {} }),
        })
    }
}

/// `column`, marked [`added_later`](LinkColumn::added_later).
const fn later(mut column: LinkColumn) -> LinkColumn {
    column.added_later = true;
    column
}

/// Every column of `system-sync-links`, in the order the sync creates them: the one list the
/// sync creates the table from, adds the later columns from, and checks a table of that title
/// against (see [`crate::sync::links`] for what each holds).
pub const LINK_COLUMNS: [LinkColumn; 15] = {
    use crate::sync::links::{REASON_COLUMN, STATE_OPTIONS, STATUS_COLUMN, STATUS_OPTIONS};
    [
        LinkColumn::of("Name", "title"),
        LinkColumn {
            relation_to: Some(Table::Databases),
            ..LinkColumn::of("Database", "relation")
        },
        LinkColumn {
            relation_to: Some(Table::Environments),
            ..LinkColumn::of("Environment", "relation")
        },
        LinkColumn {
            options: &["Push", "Pull", "Two-Way"],
            ..LinkColumn::of("Direction", "select")
        },
        LinkColumn::of("Target Database ID", "rich_text"),
        LinkColumn::of("Target Data Source ID", "rich_text"),
        LinkColumn::of("Target URL", "url"),
        LinkColumn {
            options: &STATE_OPTIONS,
            ..LinkColumn::of("State", "select")
        },
        LinkColumn::of("Last Sync", "date"),
        LinkColumn::of("Last Result", "rich_text"),
        LinkColumn::of("Target Rows", "number"),
        later(LinkColumn {
            options: &STATUS_OPTIONS,
            ..LinkColumn::of(STATUS_COLUMN, "select")
        }),
        later(LinkColumn::of(REASON_COLUMN, "rich_text")),
        later(LinkColumn::of(
            crate::sync::column_map::COLUMNS_COLUMN,
            "rich_text",
        )),
        later(LinkColumn::of(
            crate::sync::watermark::WATERMARK_COLUMN,
            "rich_text",
        )),
    ]
};
