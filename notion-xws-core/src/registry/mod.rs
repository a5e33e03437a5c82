//! The registry in Notion: `system-environments`, `system-databases` and, when present, `Clients`,
//! read with the control token into typed rows.
//!
//! Nothing here is configured in code: the two registry databases are taken by ID or link when
//! given, else found by their exact titles (exactly one of each, else an error that lists the
//! candidates), and every column is found by the name people already use (see
//! [`PropertyNames`], all configurable). Cells are read for what they should hold without
//! guessing ([`cells`]): a token or an `env:NAME` reference ([`TokenSource`]), a sync direction
//! ([`SyncSetting`]), up to four places a database may be named ([`IdSources`]). What does not
//! make sense is kept as it is, for the audit to report; reading never writes.

pub mod cells;
pub mod columns;
mod located;
pub mod protected;
pub mod shape;

use std::collections::BTreeMap;

use futures::TryStreamExt;
use serde::{Deserialize, Serialize};

use crate::client::NotionClient;
use crate::error::{Error, Result};
use crate::ids::{DataSourceId, DatabaseId, ObjectId, PageId};
use crate::link::NotionLink;
use crate::model::{DataSource, Page, PropertyConfig, PropertyConfigKind};
use crate::secret::NotionToken;
use cells::Cell;
pub(crate) use located::{Located, titled_exactly};
pub use protected::Protected;

/// The exact title of the environments registry.
pub const ENVIRONMENTS_TITLE: &str = "system-environments";
/// The exact title of the databases registry.
pub const DATABASES_TITLE: &str = "system-databases";
/// The exact title of the links database, `system-sync-links`, which the sync keeps next to
/// `system-databases` (one row per synced pair).
pub const LINKS_TITLE: &str = "system-sync-links";
/// The exact title of the optional clients database.
pub const CLIENTS_TITLE: &str = "Clients";
/// The exact title of the page under which databases belong in a workspace, when an environment
/// does not name one.
pub const PARENT_PAGE_TITLE: &str = "database-parent-page";
/// The prefix of a token reference: `env:NAME` reads the token from the environment variable NAME.
pub const TOKEN_REFERENCE_PREFIX: &str = "env:";

/// The names of the registry's columns. The defaults are the names the registry already has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PropertyNames {
    /// The title of an environment or database row (`Name`).
    pub name: String,
    /// The environment's token, or an `env:NAME` reference (`Primary-Token`).
    pub primary_token: String,
    /// The environment's type (`Environment-Type`).
    pub environment_type: String,
    /// The page under which databases belong in that workspace (`Database-Parent-Page-ID`).
    pub parent_page: String,
    /// Where the repair records whether the token works (`Token-Status`).
    pub token_status: String,
    /// The day the token was last checked (`Token-Checked`).
    pub token_checked: String,
    /// The sync direction of a database (`Sync`).
    pub sync: String,
    /// The data source ID of a database (`Data Source ID`), the source of truth.
    pub data_source_id: String,
    /// The database ID (`Database ID`).
    pub database_id: String,
    /// Another database ID column (`NID`).
    pub nid: String,
    /// The database's link (`Database URL`).
    pub database_url: String,
    /// The clients' relation to their environment (`Workspace`).
    pub client_workspace: String,
    /// The clients' copy of the token (`Notion-Token`), a second source the audit checks.
    pub client_token: String,
    /// The optional checkbox of a database that asks for the page content (the blocks of each
    /// row) to be copied too (`Sync Content`); a missing column means no.
    pub sync_content: String,
}

impl Default for PropertyNames {
    fn default() -> Self {
        Self {
            name: "Name".into(),
            primary_token: "Primary-Token".into(),
            environment_type: "Environment-Type".into(),
            parent_page: "Database-Parent-Page-ID".into(),
            token_status: "Token-Status".into(),
            token_checked: "Token-Checked".into(),
            sync: "Sync".into(),
            data_source_id: "Data Source ID".into(),
            database_id: "Database ID".into(),
            nid: "NID".into(),
            database_url: "Database URL".into(),
            client_workspace: "Workspace".into(),
            client_token: "Notion-Token".into(),
            sync_content: "Sync Content".into(),
        }
    }
}

/// Where the registry is and what its columns are called.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RegistryConfig {
    /// The environments registry, by ID or link (database or data source); else found by title.
    pub environments: Option<String>,
    /// The databases registry, by ID or link; else found by title.
    pub databases: Option<String>,
    /// The clients database, by ID or link; else found by title if there is one.
    pub clients: Option<String>,
    /// The column names.
    pub names: PropertyNames,
}

impl RegistryConfig {
    /// The registry at `environments` and `databases` (each an ID or link, or `None`: found by
    /// title), with the default column names and `Clients` found by title.
    pub fn new(environments: Option<String>, databases: Option<String>) -> Self {
        Self {
            environments,
            databases,
            ..Self::default()
        }
    }
}

/// One registry database, as found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegistryTable {
    /// Its title.
    pub title: String,
    /// Its database.
    pub database: Option<DatabaseId>,
    /// Its data source (what is queried).
    pub data_source: DataSourceId,
    /// Its link.
    pub url: String,
    /// Its schema, by column name.
    #[serde(skip)]
    pub schema: BTreeMap<String, PropertyConfig>,
}

impl RegistryTable {
    /// The column `name`'s schema, if the table has it.
    pub fn column(&self, name: &str) -> Option<&PropertyConfig> {
        self.schema.get(name)
    }

    /// The names of the relation columns that point at `target`, in name order.
    pub fn relations_to(&self, target: DataSourceId) -> Vec<&str> {
        self.schema
            .iter()
            .filter_map(|(name, config)| match &config.config {
                PropertyConfigKind::Relation(relation)
                    if relation.data_source_id == Some(target) =>
                {
                    Some(name.as_str())
                }
                _ => None,
            })
            .collect()
    }
}

/// Where an environment's token comes from. A token read from a cell never prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// No token.
    Missing,
    /// The token itself, in plain text in Notion (a finding: a secret stored in the clear).
    Inline {
        /// The token, cleaned of stray whitespace and quotes.
        token: NotionToken,
        /// Whether the cell needed that cleaning.
        needed_cleaning: bool,
    },
    /// A reference `env:NAME`: the token is in the environment variable NAME.
    Reference {
        /// The variable's name.
        variable: String,
    },
    /// Something that is neither a token nor a reference.
    Invalid {
        /// What is wrong (never the cell's text).
        reason: String,
    },
}

impl TokenSource {
    /// Reads a `Primary-Token` cell.
    pub fn parse(text: Option<&str>) -> Self {
        let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
            return Self::Missing;
        };
        if let Some(variable) = text.strip_prefix(TOKEN_REFERENCE_PREFIX) {
            let variable = variable.trim();
            let valid = !variable.is_empty()
                && variable
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            return if valid {
                Self::Reference {
                    variable: variable.to_owned(),
                }
            } else {
                Self::Invalid {
                    reason: "an env: reference must name a variable (letters, digits, _)".into(),
                }
            };
        }
        match NotionToken::new(text) {
            Ok(token) => Self::Inline {
                needed_cleaning: NotionToken::needed_cleaning(text),
                token,
            },
            Err(error) => Self::Invalid {
                reason: error.to_string(),
            },
        }
    }

    /// The token, reading a reference from the process environment.
    pub fn resolve(&self) -> std::result::Result<Option<NotionToken>, String> {
        match self {
            Self::Missing => Ok(None),
            Self::Inline { token, .. } => Ok(Some(token.clone())),
            Self::Reference { variable } => NotionToken::from_env(variable)
                .map(Some)
                .map_err(|e| e.to_string()),
            Self::Invalid { reason } => Err(reason.clone()),
        }
    }

    /// How the token is kept, in words that never include it.
    pub fn describe(&self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Inline { .. } => "plain text in Notion",
            Self::Reference { .. } => "environment variable",
            Self::Invalid { .. } => "invalid",
        }
    }
}

/// Which way rows flow for a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// From the control workspace to the environment (`Push`, alias `One-Way`).
    Push,
    /// From the environment to the control workspace (`Pull`).
    Pull,
    /// Both ways (`Two-Way`, alias `Bidirectional`).
    TwoWay,
}

/// A database's `Sync` cell, read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum SyncSetting {
    /// Empty or `No Sync`: not synced.
    Off,
    /// A direction.
    On(Direction),
    /// A value that names no direction (a finding, never a guess).
    Unknown(String),
}

impl SyncSetting {
    /// Reads a `Sync` cell, case-insensitively.
    pub fn parse(text: Option<&str>) -> Self {
        let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
            return Self::Off;
        };
        let normal: String = text
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_lowercase();
        match normal.as_str() {
            "nosync" | "none" => Self::Off,
            "push" | "oneway" => Self::On(Direction::Push),
            "pull" => Self::On(Direction::Pull),
            "twoway" | "bidirectional" => Self::On(Direction::TwoWay),
            _ => Self::Unknown(text.to_owned()),
        }
    }

    /// The direction, when the database is synced.
    pub fn direction(&self) -> Option<Direction> {
        match self {
            Self::On(direction) => Some(*direction),
            _ => None,
        }
    }
}

/// The places a database row may name its database, each read with the link parser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdSources {
    /// `Data Source ID`: the source of truth.
    pub data_source_id: Cell<NotionLink>,
    /// `Database ID`.
    pub database_id: Cell<NotionLink>,
    /// `NID`.
    pub nid: Cell<NotionLink>,
    /// `Database URL`.
    pub database_url: Cell<NotionLink>,
}

impl IdSources {
    /// Each source with its column name, in the order of trust.
    pub fn named<'a>(&'a self, names: &'a PropertyNames) -> [(&'a str, &'a Cell<NotionLink>); 4] {
        [
            (&names.data_source_id, &self.data_source_id),
            (&names.database_id, &self.database_id),
            (&names.nid, &self.nid),
            (&names.database_url, &self.database_url),
        ]
    }
}

/// How a token is kept, for serialisation: never the token.
fn token_kept<S: serde::Serializer>(token: &TokenSource, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(token.describe())
}

/// A row of `system-environments`. Serialised, its token shows only how it is kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Environment {
    /// The row.
    pub row: PageId,
    /// When the row was made (as Notion gives it): of two rows naming the same workspace, the
    /// older one is synced.
    pub created_time: String,
    /// `Name`.
    pub name: String,
    /// `Primary-Token`.
    #[serde(serialize_with = "token_kept")]
    pub token: TokenSource,
    /// `Environment-Type`.
    pub environment_type: Option<String>,
    /// `Database-Parent-Page-ID`.
    pub parent_page: Cell<NotionLink>,
    /// `Token-Status`, as last recorded by a repair.
    pub token_status: Option<String>,
    /// `Token-Checked`, as last recorded by a repair.
    pub token_checked: Option<String>,
    /// The `system-databases` rows related to this environment.
    pub databases: Vec<PageId>,
    /// Whether Notion cut the relation at 25 and the rest was read separately.
    pub databases_truncated: bool,
}

/// A row of `system-databases`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatabaseEntry {
    /// The row.
    pub row: PageId,
    /// When the row was made (as Notion gives it): of two rows naming the same database, the
    /// older one is synced.
    pub created_time: String,
    /// `Name`.
    pub name: String,
    /// `Sync`.
    pub sync: SyncSetting,
    /// Where the row names its database.
    pub ids: IdSources,
    /// The environments whose relation points at this row.
    pub environments: Vec<PageId>,
    /// `Sync Content`: whether the page content of each row is copied too (off when the column
    /// is missing or the box unchecked).
    pub copy_content: bool,
}

/// A row of `Clients`. Serialised, its token shows only how it is kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientEntry {
    /// The row.
    pub row: PageId,
    /// `Name`.
    pub name: String,
    /// The environments of `Workspace`.
    pub environments: Vec<PageId>,
    /// `Notion-Token` (a rollup of the environment's token, in practice).
    #[serde(serialize_with = "token_kept")]
    pub token: TokenSource,
}

/// The registry, read. Serialised, no token shows.
#[derive(Debug, Clone, Serialize)]
pub struct Registry {
    /// The names of the columns.
    pub names: PropertyNames,
    /// `system-environments`.
    pub environments_table: RegistryTable,
    /// `system-databases`.
    pub databases_table: RegistryTable,
    /// `Clients`, when there is one.
    pub clients_table: Option<RegistryTable>,
    /// The name of the environments' relation to the databases (found by its target), when
    /// there is exactly one: of several, none is read (which one is meant is a guess; the audit
    /// says so).
    pub relation: Option<String>,
    /// Every relation column of the environments to the databases.
    pub relations: Vec<String>,
    /// The environments.
    pub environments: Vec<Environment>,
    /// The databases.
    pub databases: Vec<DatabaseEntry>,
    /// The clients.
    pub clients: Vec<ClientEntry>,
    /// The tool's tables, as the read's search for them listed them: the audit and the sync's
    /// first pass find `system-sync-links` and `system-sync-leases` there.
    #[serde(skip)]
    pub(crate) located: Located,
}

impl Registry {
    /// Reads the registry with the control client. Read only.
    pub async fn read(control: &NotionClient, config: &RegistryConfig) -> Result<Self> {
        let names = config.names.clone();
        // The tool's tables are listed by one search, while `Clients` is looked for; then the
        // rows of the three tables are read at once: each step waits on Notion, not on the others.
        let (located, clients_table) = futures::future::try_join(
            Located::search(control),
            locate(
                control,
                config.clients.as_deref(),
                CLIENTS_TITLE,
                false,
                None,
            ),
        )
        .await?;
        let (environments_table, databases_table) = futures::future::try_join(
            locate(
                control,
                config.environments.as_deref(),
                ENVIRONMENTS_TITLE,
                true,
                Some(&located),
            ),
            locate(
                control,
                config.databases.as_deref(),
                DATABASES_TITLE,
                true,
                Some(&located),
            ),
        )
        .await?;
        let environments_table = environments_table.ok_or_else(|| missing(ENVIRONMENTS_TITLE))?;
        let databases_table = databases_table.ok_or_else(|| missing(DATABASES_TITLE))?;
        let (environment_rows, database_rows, client_rows) = futures::future::try_join3(
            rows(control, &environments_table),
            rows(control, &databases_table),
            async {
                match &clients_table {
                    Some(table) => rows(control, table).await,
                    None => Ok(Vec::new()),
                }
            },
        )
        .await?;
        let relations: Vec<String> = environments_table
            .relations_to(databases_table.data_source)
            .into_iter()
            .map(str::to_owned)
            .collect();
        let relation = match relations.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        };

        let mut environments = Vec::with_capacity(environment_rows.len());
        for page in &environment_rows {
            environments.push(
                read_environment(
                    control,
                    page,
                    &names,
                    relation.as_deref(),
                    &environments_table,
                )
                .await?,
            );
        }
        let databases = database_rows
            .iter()
            .map(|page| {
                let row = page.id;
                DatabaseEntry {
                    row,
                    created_time: page.created_time.clone(),
                    name: page.title().trim().to_owned(),
                    sync: SyncSetting::parse(text_of(page, &names.sync).as_deref()),
                    ids: IdSources {
                        data_source_id: cells::link_cell(
                            text_of(page, &names.data_source_id).as_deref(),
                        ),
                        database_id: cells::link_cell(text_of(page, &names.database_id).as_deref()),
                        nid: cells::link_cell(text_of(page, &names.nid).as_deref()),
                        database_url: cells::link_cell(
                            text_of(page, &names.database_url).as_deref(),
                        ),
                    },
                    environments: environments
                        .iter()
                        .filter(|env| env.databases.contains(&row))
                        .map(|env| env.row)
                        .collect(),
                    copy_content: checked(page, &names.sync_content),
                }
            })
            .collect();
        let clients = client_rows
            .iter()
            .map(|page| ClientEntry {
                row: page.id,
                name: page.title().trim().to_owned(),
                environments: page
                    .properties
                    .get(&names.client_workspace)
                    .map(cells::relation)
                    .unwrap_or_default(),
                token: TokenSource::parse(text_of(page, &names.client_token).as_deref()),
            })
            .collect();
        Ok(Self {
            names,
            environments_table,
            databases_table,
            clients_table,
            relation,
            relations,
            environments,
            databases,
            clients,
            located,
        })
    }

    /// The environment of a row.
    pub fn environment(&self, row: PageId) -> Option<&Environment> {
        self.environments.iter().find(|env| env.row == row)
    }

    /// The database of a row.
    pub fn database(&self, row: PageId) -> Option<&DatabaseEntry> {
        self.databases.iter().find(|db| db.row == row)
    }

    /// The registry's page: the page `system-databases` is under, where the sync's own tables
    /// and the audit's report page go. `what` (what is to go there) names it in the error when
    /// `system-databases` is not under a page.
    pub async fn page(&self, control: &NotionClient, what: &str) -> Result<PageId> {
        let database = self
            .databases_table
            .database
            .ok_or_else(|| Error::Registry("the database of system-databases is unknown".into()))?;
        match control.database(database).await?.parent.kind {
            crate::model::ParentKind::Page(page) => Ok(page),
            _ => Err(Error::Registry(format!(
                "system-databases is not under a page, so {what} has nowhere to go"
            ))),
        }
    }
}

fn missing(title: &str) -> Error {
    Error::Registry(format!(
        "no data source titled exactly {title:?} is shared with the control integration; share it, \
         or name it by ID or link"
    ))
}

/// The text of a row's column.
fn text_of(page: &Page, column: &str) -> Option<String> {
    page.properties.get(column).and_then(cells::text)
}

/// Whether a row's checkbox column is checked (`false` when the column is missing or is not a
/// checkbox).
fn checked(page: &Page, column: &str) -> bool {
    matches!(
        page.properties.get(column).map(|value| &value.value),
        Some(crate::model::PropertyValueKind::Checkbox(true))
    )
}

/// Every live row of a registry table.
async fn rows(control: &NotionClient, table: &RegistryTable) -> Result<Vec<Page>> {
    control
        .query_all(table.data_source, None, &[])
        .try_collect()
        .await
}

async fn read_environment(
    control: &NotionClient,
    page: &Page,
    names: &PropertyNames,
    relation: Option<&str>,
    table: &RegistryTable,
) -> Result<Environment> {
    // A token column of a type that holds no text (a number, say) is no token, not an empty one.
    let token = match table.column(&names.primary_token) {
        Some(config)
            if !columns::registry_columns(names)
                .iter()
                .find(|c| c.table == shape::Table::Environments && c.name == names.primary_token)
                .is_none_or(|c| c.reads_config(config)) =>
        {
            TokenSource::Invalid {
                reason: format!(
                    "the column {} is of type {}, which holds no token (see the audit's \
                     registry.column-type)",
                    names.primary_token,
                    config.type_name()
                ),
            }
        }
        _ => TokenSource::parse(text_of(page, &names.primary_token).as_deref()),
    };
    let relation_value = relation.and_then(|name| page.properties.get(name));
    let mut databases = relation_value.map(cells::relation).unwrap_or_default();
    let truncated = relation_value.is_some_and(cells::relation_truncated);
    if truncated && let Some(value) = relation_value.and_then(|v| v.id.clone()) {
        databases = related_pages(control, page.id, &value).await?;
    }
    Ok(Environment {
        row: page.id,
        created_time: page.created_time.clone(),
        name: page.title().trim().to_owned(),
        token,
        environment_type: text_of(page, &names.environment_type),
        parent_page: cells::link_cell(text_of(page, &names.parent_page).as_deref()),
        token_status: text_of(page, &names.token_status),
        token_checked: page.properties.get(&names.token_checked).and_then(|value| {
            match &value.value {
                crate::model::PropertyValueKind::Date(Some(date)) => Some(date.start.clone()),
                _ => None,
            }
        }),
        databases,
        databases_truncated: truncated,
    })
}

/// Every page of a relation, past the 25 a page object shows.
async fn related_pages(
    control: &NotionClient,
    page: PageId,
    property: &crate::ids::PropertyId,
) -> Result<Vec<PageId>> {
    use crate::model::{PropertyItemKind, PropertyItemResponse};
    let answers: Vec<PropertyItemResponse> =
        control.page_property(page, property).try_collect().await?;
    let mut pages = Vec::new();
    for answer in answers {
        if let PropertyItemResponse::List(list) = answer {
            for item in list.list.results {
                if let PropertyItemKind::Relation(reference) = item.item {
                    pages.push(reference.id);
                }
            }
        }
    }
    Ok(pages)
}

/// Finds a registry table: by the ID or link given, else by exact title among the data sources
/// shared with the control integration (as `located` listed them, when it answers for the title).
pub(crate) async fn locate(
    control: &NotionClient,
    given: Option<&str>,
    title: &str,
    required: bool,
    located: Option<&Located>,
) -> Result<Option<RegistryTable>> {
    let source = match given {
        Some(text) => Some(find_data_source(control, text).await?),
        None => {
            let mut found = titled_exactly(control, title, located).await?;
            match found.len() {
                0 if required => return Err(missing(title)),
                0 => None,
                1 => found.pop(),
                _ => {
                    let candidates: Vec<String> = found
                        .iter()
                        .map(|source| format!("{} ({})", source.id, source.url))
                        .collect();
                    return Err(Error::Registry(format!(
                        "{} data sources are titled exactly {title:?}: {}; name the right one by ID \
                         or link",
                        found.len(),
                        candidates.join(", ")
                    )));
                }
            }
        }
    };
    Ok(source.map(|source| RegistryTable {
        title: source.title_text(),
        database: source.database_id(),
        data_source: source.id,
        url: source.url.clone(),
        schema: source.properties,
    }))
}

/// The data source named by an ID or link: a database (with exactly one data source) or a data
/// source. A database with several data sources is an error that lists them.
pub async fn find_data_source(control: &NotionClient, text: &str) -> Result<DataSource> {
    let link = NotionLink::parse(text)?;
    let id: ObjectId = link.id;
    match control.database(DatabaseId::from(id)).await {
        Ok(database) => {
            let sources = database.data_source_ids();
            match sources.as_slice() {
                [one] => control.data_source(*one).await,
                [] => Err(Error::Registry(format!(
                    "the database {id} has no data source"
                ))),
                many => Err(Error::Registry(format!(
                    "the database {id} has {} data sources ({}); name one of them",
                    many.len(),
                    many.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))),
            }
        }
        Err(Error::NotFound(_)) => match control.data_source(DataSourceId::from(id)).await {
            Err(Error::NotFound(_)) => Err(Error::Registry(format!(
                "{text:?} names no database or data source that the control integration can read; \
                 share it with the integration, or check the ID"
            ))),
            other => other,
        },
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_case_insensitive_with_aliases() {
        for (text, expected) in [
            (None, SyncSetting::Off),
            (Some(""), SyncSetting::Off),
            (Some("No Sync"), SyncSetting::Off),
            (Some("no sync"), SyncSetting::Off),
            (Some("Push"), SyncSetting::On(Direction::Push)),
            (Some("ONE-WAY"), SyncSetting::On(Direction::Push)),
            (Some("pull"), SyncSetting::On(Direction::Pull)),
            (Some("Two-Way"), SyncSetting::On(Direction::TwoWay)),
            (Some("two way"), SyncSetting::On(Direction::TwoWay)),
            (Some("Bidirectional"), SyncSetting::On(Direction::TwoWay)),
            (Some("Sometimes"), SyncSetting::Unknown("Sometimes".into())),
        ] {
            assert_eq!(SyncSetting::parse(text), expected, "{text:?}");
        }
    }

    #[test]
    fn token_cells() {
        assert_eq!(TokenSource::parse(None), TokenSource::Missing);
        assert_eq!(TokenSource::parse(Some("  ")), TokenSource::Missing);
        assert_eq!(
            TokenSource::parse(Some("env:ACME_TOKEN")),
            TokenSource::Reference {
                variable: "ACME_TOKEN".into()
            }
        );
        assert!(matches!(
            TokenSource::parse(Some("env:")),
            TokenSource::Invalid { .. }
        ));
        match TokenSource::parse(Some(" \"ntn_abc\" ")) {
            TokenSource::Inline {
                token,
                needed_cleaning,
            } => {
                assert_eq!(token.expose(), "ntn_abc");
                assert!(needed_cleaning);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            TokenSource::parse(Some("ntn abc")),
            TokenSource::Invalid { .. }
        ));
        let invalid = format!("{:?}", TokenSource::parse(Some("ntn_x y")));
        assert!(!invalid.contains("ntn_x"), "{invalid}");
    }
}
