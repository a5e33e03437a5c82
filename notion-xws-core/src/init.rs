//! `init`: makes the registry on an empty workspace, or completes one that lacks columns.
//!
//! [`init`] finds `system-databases` and `system-environments` as every command does (by the ID or
//! link given, else by exact title), or among the children of the page given (Notion's search
//! lags behind a database just made); a table that is not there is created under that page,
//! with every column of [`registry_columns`] (the `Sync` options, the environments' relation to
//! the databases). Then the columns an existing table lacks are added with the repair's own code
//! ([`missing_columns`], [`add_columns`]). Run again, it finds both tables complete and writes
//! nothing. Rows are never written: the registry's rows are a person's.

use std::fmt;

use futures::TryStreamExt;
use serde::Serialize;
use serde_json::Value;

use crate::client::NotionClient;
use crate::error::{Error, Result};
use crate::ids::{BlockId, DataSourceId, DatabaseId, PageId};
use crate::link::NotionLink;
use crate::model::{Block, RichText};
use crate::registry::columns::{Table, registry_columns};
use crate::registry::{DATABASES_TITLE, ENVIRONMENTS_TITLE, RegistryConfig, RegistryTable, locate};
use crate::repair::{RepairAction, RepairOutcome, add_columns, missing_columns};

/// A registry table `init` created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreatedTable {
    /// Its title.
    pub title: String,
    /// Its data source.
    pub data_source: DataSourceId,
    /// Its link.
    pub url: String,
}

/// What `init` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InitReport {
    /// The tables it created (none when both were there).
    pub created: Vec<CreatedTable>,
    /// The tables it found, by title, with their links.
    pub found: Vec<CreatedTable>,
    /// Each column it added to a table it found, and the outcome.
    pub columns: Vec<RepairOutcome>,
}

impl InitReport {
    /// How many writes it made (tables created and columns added).
    pub fn writes(&self) -> usize {
        self.created.len() + self.columns.iter().filter(|o| o.error.is_none()).count()
    }

    /// How many columns it could not add.
    pub fn failed(&self) -> usize {
        self.columns.iter().filter(|o| o.error.is_some()).count()
    }

    /// The report as pretty JSON: `created`, `found`, `columns` (each `action` and `error`),
    /// `writes`, `failed`.
    pub fn to_json(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut value {
            map.insert("writes".into(), self.writes().into());
            map.insert("failed".into(), self.failed().into());
        }
        serde_json::to_string_pretty(&value).unwrap_or_default()
    }
}

/// What `init` did, in lines, as the command prints it.
impl fmt::Display for InitReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for table in &self.created {
            writeln!(f, "created {}: {}", table.title, table.url)?;
        }
        for table in &self.found {
            writeln!(f, "found {}: {}", table.title, table.url)?;
        }
        for outcome in &self.columns {
            match &outcome.error {
                None => writeln!(f, "{}", outcome.action)?,
                Some(error) => writeln!(f, "failed: {}: {error}", outcome.action)?,
            }
        }
        if self.writes() == 0 && self.failed() == 0 {
            writeln!(f, "the registry is complete: nothing to do")?;
        }
        Ok(())
    }
}

/// Makes or completes the registry of `config` with the control client: a table that is missing
/// is created under `parent` (a page's link or ID, which the control integration must be able
/// to edit), a column that is missing is added. Idempotent.
pub async fn init(
    control: &NotionClient,
    config: &RegistryConfig,
    parent: &str,
) -> Result<InitReport> {
    let parent_page = PageId::from(NotionLink::parse(parent)?.id);
    let names = &config.names;
    let mut report = InitReport::default();
    let databases = find(
        control,
        config.databases.as_deref(),
        DATABASES_TITLE,
        parent_page,
        parent,
    );
    let databases = match databases.await? {
        Some(table) => found(&mut report, table),
        None => {
            let table =
                create(control, parent_page, parent, Table::Databases, config, None).await?;
            created(&mut report, table)
        }
    };
    let environments = find(
        control,
        config.environments.as_deref(),
        ENVIRONMENTS_TITLE,
        parent_page,
        parent,
    );
    let environments = match environments.await? {
        Some(table) => found(&mut report, table),
        None => {
            let table = create(
                control,
                parent_page,
                parent,
                Table::Environments,
                config,
                Some(databases.data_source),
            )
            .await?;
            created(&mut report, table)
        }
    };
    let actions: Vec<RepairAction> = missing_columns(&environments, &databases, names, true);
    let (outcomes, _) = add_columns(control, &actions, databases.data_source).await;
    report.columns = outcomes;
    Ok(report)
}

fn found(report: &mut InitReport, table: RegistryTable) -> RegistryTable {
    report.found.push(CreatedTable {
        title: table.title.clone(),
        data_source: table.data_source,
        url: table.url.clone(),
    });
    table
}

fn created(report: &mut InitReport, table: RegistryTable) -> RegistryTable {
    report.created.push(CreatedTable {
        title: table.title.clone(),
        data_source: table.data_source,
        url: table.url.clone(),
    });
    table
}

/// The registry table titled `title`: by the ID or link given, else by exact title in search, else
/// among the children of `page` (`parent`, as given): Notion's search may not list a database made
/// a moment ago (by a first `init` run just before), a page's children are listed at once.
async fn find(
    control: &NotionClient,
    given: Option<&str>,
    title: &str,
    page: PageId,
    parent: &str,
) -> Result<Option<RegistryTable>> {
    if let Some(table) = locate(control, given, title, false, None).await? {
        return Ok(Some(table));
    }
    let children: Vec<Block> = control
        .block_children(BlockId::from(page))
        .try_collect()
        .await
        .map_err(|error| cannot_edit(error, title, parent))?;
    for child in children.iter().filter(|b| b.block_type == "child_database") {
        let database = match control
            .database(DatabaseId::from_u128(child.id.as_u128()))
            .await
        {
            Ok(database) => database,
            Err(Error::NotFound(_)) => continue,
            Err(error) => return Err(error),
        };
        if database.in_trash() || RichText::concat_plain_text(&database.title).trim() != title {
            continue;
        }
        if let [source] = database.data_source_ids().as_slice() {
            return read_table(control, *source).await.map(Some);
        }
    }
    Ok(None)
}

/// The error of a page the control integration cannot read or edit, with the advice.
fn cannot_edit(error: Error, title: &str, parent: &str) -> Error {
    match error {
        Error::NotFound(_) | Error::Forbidden(_) => Error::Config(format!(
            "cannot create {title} under {parent}: the control integration cannot edit that page \
             ({error}); share the page with the integration (its ••• menu, Connections), or name \
             another"
        )),
        other => other,
    }
}

/// A registry table read back from its data source.
async fn read_table(control: &NotionClient, data_source: DataSourceId) -> Result<RegistryTable> {
    let source = control.data_source(data_source).await?;
    Ok(RegistryTable {
        title: source.title_text(),
        database: source.database_id(),
        data_source: source.id,
        url: source.url.clone(),
        schema: source.properties,
    })
}

/// Creates the registry table `table` under `page` with every one of its columns (a relation to
/// `databases`), and reads it back.
async fn create(
    control: &NotionClient,
    page: PageId,
    parent: &str,
    table: Table,
    config: &RegistryConfig,
    databases: Option<DataSourceId>,
) -> Result<RegistryTable> {
    let mut properties = serde_json::Map::new();
    for column in registry_columns(&config.names)
        .into_iter()
        .filter(|column| column.table == table)
    {
        let schema = crate::model::PropertyConfig::new(column.column_type.schema(databases)?);
        let schema = serde_json::to_value(schema).map_err(|e| Error::Decode {
            what: "a column schema".into(),
            message: e.to_string(),
        })?;
        properties.insert(column.name, schema);
    }
    let title = table.title();
    let (_, data_source) =
        crate::sync::links::create_database_under(control, page, title, Value::Object(properties))
            .await
            .map_err(|error| cannot_edit(error, title, parent))?;
    read_table(control, data_source).await
}
