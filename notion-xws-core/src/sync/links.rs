//! `system-sync-links`: the record, in Notion, of where each pair's target database is.
//!
//! The registry's single "Target Database ID" cannot say where one database is copied to in
//! several workspaces, and targets must never be found by title. So the sync keeps one row per
//! (database, environment) pair in a registry database of its own, `system-sync-links`, created
//! next to `system-databases` on the first run that writes:
//!
//! | column | type | holds |
//! |---|---|---|
//! | `Name` | title | `database → environment`, for people |
//! | `Database` | relation → `system-databases` | the pair's database row |
//! | `Environment` | relation → `system-environments` | the pair's environment row |
//! | `Direction` | select | `Push`, `Pull` or `Two-Way` |
//! | `Target Database ID` | rich text | the target database |
//! | `Target Data Source ID` | rich text | its data source |
//! | `Target URL` | url | a link to it |
//! | `State` | select | `creating` (the target is being made), `running` (a run is writing), `done` |
//! | `Last Sync` | date | when the last run that wrote finished |
//! | `Last Result` | rich text | that run's counts |
//! | `Target Rows` | number | the target's synced rows after it |
//!
//! A pair's row is found by its two relations. It is written before the target database is
//! created (`creating`), and the database's description names the pair (its database and
//! environment rows), so that a run that stops in between — or whose link row Notion does not
//! list yet — finds the database among the parent page's children instead of making another.
//! `running` is set before a run's first row write and `done` after its last: a later run that
//! finds `running` knows the previous one stopped half-way, and waits for Notion's
//! read-after-write lag before it lists the target.

use futures::TryStreamExt;
use serde_json::{Value, json};

use super::rows::SyncPair;
use crate::client::NotionClient;
use crate::error::{Error, Result};
use crate::ids::{DataSourceId, DatabaseId, PageId};
use crate::model::params::{CreateDatabase, InitialDataSource};
use crate::model::params::{Filter, PropertyFilter, rich_text_value};
use crate::model::{Page, Parent, ParentKind, PropertyValueKind, RichText};
use crate::registry::Registry;
use crate::registry::cells;

pub use crate::registry::LINKS_TITLE;

/// The marker a target database's description carries: this text, then the pair's database row
/// and environment row.
pub const TARGET_MARKER: &str = "notion-xws target of";

/// Where a pair stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// The target database is being created.
    Creating,
    /// A run is writing rows.
    Running,
    /// The last run finished.
    Done,
}

impl LinkState {
    fn word(self) -> &'static str {
        match self {
            Self::Creating => "creating",
            Self::Running => "running",
            Self::Done => "done",
        }
    }

    fn parse(word: Option<&str>) -> Self {
        match word {
            Some("creating") => Self::Creating,
            Some("running") => Self::Running,
            _ => Self::Done,
        }
    }
}

/// One row of `system-sync-links`.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncLink {
    /// The row.
    pub row: PageId,
    /// The pair's database row.
    pub database_row: Option<PageId>,
    /// The pair's environment row.
    pub environment_row: Option<PageId>,
    /// The target database, once created.
    pub target_database: Option<DatabaseId>,
    /// Its data source.
    pub target_data_source: Option<DataSourceId>,
    /// Where the pair stands.
    pub state: LinkState,
}

/// The links database and its rows.
#[derive(Debug, Clone)]
pub struct LinksTable {
    /// Its data source.
    pub data_source: DataSourceId,
    /// Its rows, oldest first.
    pub links: Vec<SyncLink>,
}

fn text_cell(page: &Page, column: &str) -> Option<String> {
    page.properties.get(column).and_then(cells::text)
}

fn relation_cell(page: &Page, column: &str) -> Option<PageId> {
    page.properties
        .get(column)
        .and_then(|v| cells::relation(v).first().copied())
}

fn read_link(page: &Page) -> SyncLink {
    SyncLink {
        row: page.id,
        database_row: relation_cell(page, "Database"),
        environment_row: relation_cell(page, "Environment"),
        target_database: text_cell(page, "Target Database ID").and_then(|t| t.parse().ok()),
        target_data_source: text_cell(page, "Target Data Source ID").and_then(|t| t.parse().ok()),
        state: LinkState::parse(page.properties.get("State").and_then(|v| match &v.value {
            PropertyValueKind::Select(Some(option)) => option.name.as_deref(),
            _ => None,
        })),
    }
}

impl LinksTable {
    /// Finds the links database by its exact title; `None` when there is none yet.
    pub async fn find(control: &NotionClient) -> Result<Option<Self>> {
        match find_table(control, LINKS_TITLE).await? {
            Some(data_source) => Self::read(control, data_source).await.map(Some),
            None => Ok(None),
        }
    }

    async fn read(control: &NotionClient, data_source: DataSourceId) -> Result<Self> {
        let links = control
            .query_all(data_source, None, &[])
            .map_ok(|page| read_link(&page))
            .try_collect()
            .await?;
        Ok(Self { data_source, links })
    }

    /// Creates the links database next to `system-databases`.
    pub async fn create(control: &NotionClient, registry: &Registry) -> Result<Self> {
        let properties = json!({
            "Name": {"title": {}},
            "Database": {"relation": {"data_source_id": registry.databases_table.data_source, "type": "single_property", "single_property": {}}},
            "Environment": {"relation": {"data_source_id": registry.environments_table.data_source, "type": "single_property", "single_property": {}}},
            "Direction": {"select": {"options": [{"name": "Push"}, {"name": "Pull"}, {"name": "Two-Way"}]}},
            "Target Database ID": {"rich_text": {}},
            "Target Data Source ID": {"rich_text": {}},
            "Target URL": {"url": {}},
            "State": {"select": {"options": [{"name": "creating"}, {"name": "running"}, {"name": "done"}]}},
            "Last Sync": {"date": {}},
            "Last Result": {"rich_text": {}},
            "Target Rows": {"number": {}},
        });
        let data_source = create_table(control, registry, LINKS_TITLE, properties).await?;
        Ok(Self {
            data_source,
            links: Vec::new(),
        })
    }

    /// The pair's link: of the rows relating to both its database and its environment, the
    /// oldest that records a target, else the oldest.
    pub fn link_for(&self, pair: &SyncPair) -> Option<&SyncLink> {
        let mut rows = self.links.iter().filter(|link| {
            link.database_row == Some(pair.database_row)
                && link.environment_row == Some(pair.environment_row)
        });
        let first = rows.next()?;
        if first.target_data_source.is_some() {
            return Some(first);
        }
        rows.find(|link| link.target_data_source.is_some())
            .or(Some(first))
    }

    /// The pair's link as Notion lists it now (see [`link_for`](Self::link_for)), for a pair
    /// whose link row may have been written after this table was read (by another run).
    pub async fn fresh_link_for(
        &self,
        control: &NotionClient,
        pair: &SyncPair,
    ) -> Result<Option<SyncLink>> {
        let filter = Filter::Property(PropertyFilter::new(
            "Database",
            "relation",
            json!({ "contains": pair.database_row }),
        ));
        let links = control
            .query_all(self.data_source, Some(filter), &[])
            .map_ok(|page| read_link(&page))
            .try_collect()
            .await?;
        let table = Self {
            data_source: self.data_source,
            links,
        };
        Ok(table.link_for(pair).cloned())
    }

    /// Writes a new link row for `pair`, in state `creating`.
    pub async fn add(&self, control: &NotionClient, pair: &SyncPair) -> Result<PageId> {
        let direction = match pair.direction {
            crate::registry::Direction::Push => "Push",
            crate::registry::Direction::Pull => "Pull",
            crate::registry::Direction::TwoWay => "Two-Way",
        };
        let body = json!({
            "parent": {"type": "data_source_id", "data_source_id": self.data_source},
            "properties": {
                "Name": {"title": [{"type": "text", "text": {"content": pair.label()}}]},
                "Database": {"relation": [{"id": pair.database_row}]},
                "Environment": {"relation": [{"id": pair.environment_row}]},
                "Direction": {"select": {"name": direction}},
                "State": {"select": {"name": LinkState::Creating.word()}},
            },
        });
        let page = control.create_page_json(body).await?;
        Ok(page.id)
    }
}

/// Records the target database of a link, and its state.
pub async fn record_target(
    control: &NotionClient,
    link: PageId,
    database: DatabaseId,
    data_source: DataSourceId,
    state: LinkState,
) -> Result<()> {
    update(
        control,
        link,
        json!({
            "Target Database ID": rich_text_value(&database.to_string()),
            "Target Data Source ID": rich_text_value(&data_source.to_string()),
            "Target URL": {"url": format!("https://www.notion.so/{}", database.simple())},
            "State": {"select": {"name": state.word()}},
        }),
    )
    .await
}

/// Sets a link's state.
pub async fn set_state(control: &NotionClient, link: PageId, state: LinkState) -> Result<()> {
    update(
        control,
        link,
        json!({"State": {"select": {"name": state.word()}}}),
    )
    .await
}

/// Records the end of a run that wrote: `done`, now, its counts and the target's rows.
pub async fn record_result(
    control: &NotionClient,
    link: PageId,
    result: &str,
    target_rows: usize,
) -> Result<()> {
    let finished = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    update(
        control,
        link,
        json!({
            "State": {"select": {"name": LinkState::Done.word()}},
            "Last Sync": {"date": {"start": finished}},
            "Last Result": rich_text_value(result),
            "Target Rows": {"number": target_rows},
        }),
    )
    .await
}

async fn update(control: &NotionClient, link: PageId, properties: Value) -> Result<()> {
    control
        .update_page_json(link, json!({ "properties": properties }))
        .await
        .map(drop)
}

/// Finds one of the sync's own tables (`system-sync-links`, `system-sync-leases`) by its exact
/// title: its data source, `None` when there is none yet, an error when there are several.
pub(crate) async fn find_table(
    control: &NotionClient,
    title: &str,
) -> Result<Option<DataSourceId>> {
    let found: Vec<_> = control
        .search_data_sources(title)
        .try_filter(|source| {
            let exact = source.title_text().trim() == title && !source.in_trash();
            async move { exact }
        })
        .try_collect()
        .await?;
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.id)),
        several => Err(Error::Registry(format!(
            "{} data sources are titled exactly {title:?} ({}); keep one",
            several.len(),
            several
                .iter()
                .map(|s| s.id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Creates one of the sync's own tables, titled `title` with the columns `properties`, next to
/// `system-databases` (under the same page): its data source.
pub(crate) async fn create_table(
    control: &NotionClient,
    registry: &Registry,
    title: &str,
    properties: Value,
) -> Result<DataSourceId> {
    let registry_database = registry
        .databases_table
        .database
        .ok_or_else(|| Error::Registry("the database of system-databases is unknown".to_owned()))?;
    let parent = control.database(registry_database).await?.parent;
    let ParentKind::Page(page) = parent.kind else {
        return Err(Error::Registry(format!(
            "system-databases is not under a page, so {title} has nowhere to go"
        )));
    };
    let properties = serde_json::from_value(properties).map_err(|e| Error::Decode {
        what: format!("the schema of {title}"),
        message: e.to_string(),
    })?;
    let mut body = CreateDatabase::new(Parent::page(page));
    body.title = Some(vec![RichText::text(title)]);
    body.initial_data_source = Some(InitialDataSource {
        properties,
        ..InitialDataSource::default()
    });
    let database = control.create_database(&body).await?;
    database
        .data_source_ids()
        .first()
        .copied()
        .ok_or_else(|| Error::Decode {
            what: format!("the new database {title}"),
            message: "it has no data source".into(),
        })
}

/// The description that marks a target database as the one of a pair.
pub fn marker(pair: &SyncPair) -> String {
    format!(
        "{TARGET_MARKER} {} {}",
        pair.database_row, pair.environment_row
    )
}
