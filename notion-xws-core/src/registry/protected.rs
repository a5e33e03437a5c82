//! What is never synced: the registry's own tables, and any table of tokens.
//!
//! `system-environments` holds every workspace's token; a copy of it in a client's workspace
//! hands that client the keys to every other one. So a data source is refused as a sync source
//! and as a sync target when it is one of the registry's tables (by data source ID), when its
//! title is the exact title of one (`system-environments`, `system-databases`,
//! `system-sync-links`, wherever it lives), or when its schema holds a column named like a token
//! column the tool reads (`Primary-Token`, `Notion-Token`, or the names configured for them, in
//! any letter case). [`Protected::refusal`] is the one place this rule is decided; the audit
//! turns it into a P0 finding naming the `system-databases` row, the sync into a refused pair.

use std::collections::{BTreeMap, HashSet};

use super::{DATABASES_TITLE, ENVIRONMENTS_TITLE, LINKS_TITLE, PropertyNames, Registry};
use crate::error::{Error, Result};
use crate::ids::DataSourceId;
use crate::model::PropertyConfig;

/// The tables that are never synced, and how to recognise a table of tokens.
#[derive(Debug, Clone, Default)]
pub struct Protected {
    /// The registry's own data sources, by ID, each with its title.
    tables: Vec<(DataSourceId, String)>,
    /// The names of the token columns, trimmed and in lower case.
    token_columns: HashSet<String>,
}

impl Protected {
    /// The rule for a registry: its tables by ID, its token columns by their configured names
    /// (and the default names, which old copies of the registry still carry).
    pub fn of(registry: &Registry) -> Self {
        let mut protected = Self::for_names(&registry.names);
        let tables = [
            Some(&registry.environments_table),
            Some(&registry.databases_table),
            registry.clients_table.as_ref(),
        ];
        for table in tables.into_iter().flatten() {
            protected
                .tables
                .push((table.data_source, table.title.clone()));
        }
        protected
    }

    /// The rule without a registry (a one-shot transfer): titles and token columns only.
    pub fn for_names(names: &PropertyNames) -> Self {
        let defaults = PropertyNames::default();
        let token_columns = [
            &names.primary_token,
            &names.client_token,
            &defaults.primary_token,
            &defaults.client_token,
        ]
        .into_iter()
        .map(|name| name.trim().to_lowercase())
        .filter(|name| !name.is_empty())
        .collect();
        Self {
            tables: Vec::new(),
            token_columns,
        }
    }

    /// Adds a table the sync keeps (`system-sync-links`, once found or made).
    pub fn with_table(mut self, data_source: DataSourceId, title: &str) -> Self {
        self.tables.push((data_source, title.to_owned()));
        self
    }

    /// Whether `data_source` is one of the registry's tables.
    pub fn is_registry_table(&self, data_source: DataSourceId) -> bool {
        self.tables.iter().any(|(id, _)| *id == data_source)
    }

    /// Why a data source may not be synced, from what is known of it (its ID always; its title
    /// and schema when they have been read), or `None` when it may.
    pub fn refusal(
        &self,
        data_source: DataSourceId,
        title: Option<&str>,
        schema: Option<&BTreeMap<String, PropertyConfig>>,
    ) -> Option<String> {
        if let Some((_, table)) = self.tables.iter().find(|(id, _)| *id == data_source) {
            return Some(format!(
                "the data source {data_source} is the registry's own {table:?}, which is never synced"
            ));
        }
        if let Some(title) = title.map(str::trim)
            && let Some(registry_title) = [ENVIRONMENTS_TITLE, DATABASES_TITLE, LINKS_TITLE]
                .into_iter()
                .find(|t| t.eq_ignore_ascii_case(title))
        {
            return Some(format!(
                "the data source {data_source} is titled {registry_title:?}, a registry table, which \
                 is never synced"
            ));
        }
        let column = self.token_column(schema?)?;
        Some(format!(
            "the data source {data_source} has a token column ({column:?}); a table of tokens is \
             never synced"
        ))
    }

    /// [`refusal`](Self::refusal) as an error ([`Error::Protected`]), for a data source whose
    /// schema was just read.
    pub fn refuse(
        &self,
        data_source: DataSourceId,
        title: Option<&str>,
        schema: &BTreeMap<String, PropertyConfig>,
    ) -> Result<()> {
        match self.refusal(data_source, title, Some(schema)) {
            Some(reason) => Err(Error::Protected(reason)),
            None => Ok(()),
        }
    }

    /// Whether a schema holds a token column (a table of tokens, wherever it is).
    pub fn token_column<'a>(
        &self,
        schema: &'a BTreeMap<String, PropertyConfig>,
    ) -> Option<&'a str> {
        schema
            .keys()
            .find(|name| self.token_columns.contains(&name.trim().to_lowercase()))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PropertyConfigKind;

    fn schema(columns: &[&str]) -> BTreeMap<String, PropertyConfig> {
        columns
            .iter()
            .map(|name| {
                let config: PropertyConfig = serde_json::from_value(serde_json::json!({
                    "id": "x", "name": name, "type": "rich_text", "rich_text": {}
                }))
                .unwrap();
                assert!(matches!(config.config, PropertyConfigKind::RichText(_)));
                ((*name).to_owned(), config)
            })
            .collect()
    }

    #[test]
    fn refuses_registry_tables_by_id_title_and_token_column() {
        let registry_ds = DataSourceId::from_u128(1);
        let other = DataSourceId::from_u128(2);
        let protected = Protected::for_names(&PropertyNames::default())
            .with_table(registry_ds, "system-environments");
        assert!(protected.refusal(registry_ds, None, None).is_some());
        assert!(protected.is_registry_table(registry_ds));
        assert!(
            protected
                .refusal(other, Some(" System-Sync-Links "), None)
                .is_some()
        );
        for column in ["Primary-Token", "primary-token ", "Notion-Token"] {
            let refusal = protected.refusal(other, Some("Tasks"), Some(&schema(&["Name", column])));
            assert!(refusal.is_some(), "{column}");
        }
        assert_eq!(
            protected.refusal(
                other,
                Some("Clients"),
                Some(&schema(&["Name", "Token Count"]))
            ),
            None
        );
        let names = PropertyNames {
            primary_token: "Secret".into(),
            ..PropertyNames::default()
        };
        let custom = Protected::for_names(&names);
        assert!(custom.token_column(&schema(&["Secret"])).is_some());
        assert!(custom.token_column(&schema(&["Primary-Token"])).is_some());
    }
}
