//! The types of the registry's columns: every column the tool reads, the types it can read it
//! as, and the type it should be.
//!
//! A column of another type is read as empty (a `Sync` made a multi-select, a `Primary-Token`
//! made a number), so [`COLUMNS`] is the one list the audit checks each column against (a
//! finding, `registry.column-type`, that says what type it must be) and the repair asks before
//! it writes into one ([`writable`]): it never writes into a column of the wrong type.

use super::{PropertyNames, Registry, RegistryTable};
use crate::model::PropertyConfig;

/// Which registry table a column belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Table {
    /// `system-environments`.
    Environments,
    /// `system-databases`.
    Databases,
    /// `Clients` (optional: read when it exists).
    Clients,
}

impl Table {
    /// The table's exact title.
    pub fn title(self) -> &'static str {
        match self {
            Self::Environments => super::ENVIRONMENTS_TITLE,
            Self::Databases => super::DATABASES_TITLE,
            Self::Clients => super::CLIENTS_TITLE,
        }
    }
}

/// One column the tool reads.
#[derive(Debug, Clone, Copy)]
pub struct ColumnRule {
    /// Its table.
    pub table: Table,
    /// Its name, from the configured names.
    pub name: fn(&PropertyNames) -> &str,
    /// The types it is read as (Notion's type names); the first is the one to choose.
    pub types: &'static [&'static str],
    /// What it must be, in words.
    pub wanted: &'static str,
    /// Whether a wrong type blocks everything (P0) rather than what the column serves (P1).
    pub blocking: bool,
}

/// Every column the tool reads, with the types it reads it as. The title (`Name`) is always a
/// title, which Notion requires, and the relation to `system-databases` is checked apart (its
/// count). The columns the repair writes (`Database-Parent-Page-ID`, `Data Source ID`,
/// `Token-Status`, `Token-Checked`) list only types it can write.
pub const COLUMNS: &[ColumnRule] = &[
    ColumnRule {
        table: Table::Environments,
        name: |n| &n.primary_token,
        types: &["rich_text", "formula", "rollup"],
        wanted: "text (rich text)",
        blocking: true,
    },
    ColumnRule {
        table: Table::Environments,
        name: |n| &n.environment_type,
        types: &["select", "status", "rich_text"],
        wanted: "select (Primary, Client)",
        blocking: false,
    },
    ColumnRule {
        table: Table::Environments,
        name: |n| &n.parent_page,
        types: &["url", "rich_text"],
        wanted: "URL (or text)",
        blocking: true,
    },
    ColumnRule {
        table: Table::Environments,
        name: |n| &n.token_status,
        types: &["select"],
        wanted: "select",
        blocking: false,
    },
    ColumnRule {
        table: Table::Environments,
        name: |n| &n.token_checked,
        types: &["date"],
        wanted: "date",
        blocking: false,
    },
    ColumnRule {
        table: Table::Databases,
        name: |n| &n.sync,
        types: &["select", "status", "rich_text", "formula"],
        wanted: "select or status (No Sync, Push, Pull, Two-Way)",
        blocking: true,
    },
    ColumnRule {
        table: Table::Databases,
        name: |n| &n.data_source_id,
        types: &["rich_text", "url"],
        wanted: "text (rich text) or URL",
        blocking: true,
    },
    ColumnRule {
        table: Table::Databases,
        name: |n| &n.database_id,
        types: &["rich_text", "url", "formula", "rollup"],
        wanted: "text (rich text) or URL",
        blocking: false,
    },
    ColumnRule {
        table: Table::Databases,
        name: |n| &n.nid,
        types: &["rich_text", "url", "formula", "rollup"],
        wanted: "text (rich text) or URL",
        blocking: false,
    },
    ColumnRule {
        table: Table::Databases,
        name: |n| &n.database_url,
        types: &["url", "rich_text", "formula", "rollup"],
        wanted: "URL",
        blocking: false,
    },
    ColumnRule {
        table: Table::Databases,
        name: |n| &n.sync_content,
        types: &["checkbox"],
        wanted: "checkbox",
        blocking: false,
    },
    ColumnRule {
        table: Table::Clients,
        name: |n| &n.client_workspace,
        types: &["relation"],
        wanted: "relation to system-environments",
        blocking: false,
    },
    ColumnRule {
        table: Table::Clients,
        name: |n| &n.client_token,
        types: &["rollup", "rich_text", "formula"],
        wanted: "rollup of the environment's Primary-Token (or text)",
        blocking: false,
    },
];

impl ColumnRule {
    /// The table of this rule in `registry`, when it has one.
    pub fn table_of<'a>(&self, registry: &'a Registry) -> Option<&'a RegistryTable> {
        match self.table {
            Table::Environments => Some(&registry.environments_table),
            Table::Databases => Some(&registry.databases_table),
            Table::Clients => registry.clients_table.as_ref(),
        }
    }

    /// Whether `config` is of a type the tool reads this column as.
    pub fn reads(&self, config: &PropertyConfig) -> bool {
        self.types.contains(&config.type_name())
    }
}

/// A column of `registry` whose type the tool cannot read, with its rule and its actual type.
pub fn wrong_types(registry: &Registry) -> Vec<(&'static ColumnRule, &RegistryTable, &str, &str)> {
    let mut wrong = Vec::new();
    for rule in COLUMNS {
        let Some(table) = rule.table_of(registry) else {
            continue;
        };
        let name = (rule.name)(&registry.names);
        if let Some(config) = table.column(name)
            && !rule.reads(config)
        {
            wrong.push((rule, table, name, config.type_name()));
        }
    }
    wrong
}

/// Whether the repair may write into the column `name` of `table` (one of the registry's):
/// it is missing (the repair adds it), or of a type its rule reads (for the columns the repair
/// writes, a type it can write).
pub fn writable(registry: &Registry, table: Table, name: &str) -> bool {
    let Some(rule) = COLUMNS
        .iter()
        .find(|rule| rule.table == table && (rule.name)(&registry.names) == name)
    else {
        return false;
    };
    rule.table_of(registry)
        .is_some_and(|t| t.column(name).is_none_or(|config| rule.reads(config)))
}

/// The columns of `system-sync-links` the sync reads and writes, with their types (`Status`
/// and `Reason` are added to a table that lacks them, so only their type is checked).
pub const LINK_COLUMNS: [(&str, &str); 15] = [
    ("Name", "title"),
    ("Database", "relation"),
    ("Environment", "relation"),
    ("Direction", "select"),
    ("Target Database ID", "rich_text"),
    ("Target Data Source ID", "rich_text"),
    ("Target URL", "url"),
    ("State", "select"),
    ("Last Sync", "date"),
    ("Last Result", "rich_text"),
    ("Target Rows", "number"),
    ("Status", "select"),
    ("Reason", "rich_text"),
    ("Columns", "rich_text"),
    ("Watermark", "rich_text"),
];

/// The columns a table titled `system-sync-links` lacks of those the sync writes (or has with
/// another type), in words (`Database (relation)`, `State (select, not rich_text)`); empty when
/// it is the sync's own. `Status`, `Reason`, `Columns` and `Watermark` may be missing (a table
/// of an earlier version: the sync adds them).
pub fn foreign_link_columns(
    schema: &std::collections::BTreeMap<String, PropertyConfig>,
) -> Vec<String> {
    LINK_COLUMNS
        .iter()
        .filter_map(|(name, kind)| match schema.get(*name) {
            None if matches!(*name, "Status" | "Reason" | "Columns" | "Watermark") => None,
            None => Some(format!("{name} ({kind})")),
            Some(config) if config.type_name() != *kind => {
                Some(format!("{name} ({kind}, not {})", config.type_name()))
            }
            Some(_) => None,
        })
        .collect()
}

/// What is wrong with a foreign `system-sync-links` (the data source `table`, at `url`, lacking
/// `columns`), in words for an error and for the audit's finding.
pub fn foreign_links_message(
    table: crate::ids::DataSourceId,
    url: &str,
    columns: &[String],
) -> String {
    format!(
        "the table titled {:?} ({table}, {url}) is not the one notion-xws keeps: it lacks {}; \
         no pair's copy can be recorded in it",
        super::LINKS_TITLE,
        columns.join(", ")
    )
}
