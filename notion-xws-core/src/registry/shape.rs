//! The types of the registry's columns: every column the tool reads, the types it can read it
//! as, and the type it should be.
//!
//! A column of another type is read as empty (a `Sync` made a multi-select, a `Primary-Token`
//! made a number), so the audit checks each column of [`registry_columns`] against the types it
//! is read as ([`wrong_types`]: a finding, `registry.column-type`, that says what type it must
//! be), and the repair asks before it writes into one ([`writable`]): it never writes into a
//! column of the wrong type. A table titled `system-sync-links` is checked against
//! [`LINK_COLUMNS`] ([`foreign_link_columns`]).

use super::columns::{LINK_COLUMNS, RegistryColumn, registry_columns};
use super::{Registry, RegistryTable};
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

/// A column of `registry` whose type the tool cannot read: the column (of
/// [`registry_columns`]), its table, and its actual type.
pub fn wrong_types(registry: &Registry) -> Vec<(RegistryColumn, &RegistryTable, &str)> {
    let mut wrong = Vec::new();
    for column in registry_columns(&registry.names) {
        let Some(table) = column.table_of(registry) else {
            continue;
        };
        if let Some(config) = table.column(&column.name)
            && !column.reads_config(config)
        {
            wrong.push((column, table, config.type_name()));
        }
    }
    wrong
}

/// Whether the repair may write into the column `name` of `table` (one of the registry's):
/// it is missing (the repair adds it), or of a type the tool reads it as (for the columns the
/// repair writes, a type it can write).
pub fn writable(registry: &Registry, table: Table, name: &str) -> bool {
    let Some(column) = registry_columns(&registry.names)
        .into_iter()
        .find(|column| column.table == table && column.name == name)
    else {
        return false;
    };
    column.table_of(registry).is_some_and(|t| {
        t.column(name)
            .is_none_or(|config| column.reads_config(config))
    })
}

/// The columns a table titled `system-sync-links` lacks of those the sync writes (or has with
/// another type), in words (`Database (relation)`, `State (select, not rich_text)`); empty when
/// it is the sync's own. `Status`, `Reason`, `Columns` and `Watermark` may be missing (a table
/// of an earlier version: the sync adds them).
pub fn foreign_link_columns(
    schema: &std::collections::BTreeMap<String, PropertyConfig>,
) -> Vec<String> {
    LINK_COLUMNS
        .iter()
        .filter_map(|column| {
            let (name, kind) = (column.name, column.type_name);
            match schema.get(name) {
                None if column.added_later => None,
                None => Some(format!("{name} ({kind})")),
                Some(config) if config.type_name() != kind => {
                    Some(format!("{name} ({kind}, not {})", config.type_name()))
                }
                Some(_) => None,
            }
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
