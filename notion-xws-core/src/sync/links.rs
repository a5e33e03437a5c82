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
//! | `State` | select | `creating` (the target is being made), `running` (a run is writing, where no lease claim says so), `done` |
//! | `Last Sync` | date | when the last run that wrote finished |
//! | `Last Result` | rich text | that run's counts |
//! | `Target Rows` | number | the target's synced rows after it |
//! | `Status` | select | what became of the pair on the last run that wrote records: `synced`, `needs attention`, `failed` or `skipped` ([`LinkStatus`]) |
//! | `Reason` | rich text | why, when it is not `synced` (and, when a person is needed, what to do) |
//! | `Columns` | rich text | which column (and option) of the copy follows which of the source, by ID ([`ColumnMap`]) |
//! | `Watermark` | rich text | how far the pair has read each side, for incremental reads ([`Watermark`]) |
//!
//! Every pair of a run that writes has its row, skipped pairs included: a skipped pair's row
//! names no target (and no `State`). `Status` and `Reason` are written only when they change
//! (a run that finishes a pair's writes records `synced` with its result, in the same request),
//! so that a re-run where nothing changed writes nothing; a pair that another run is writing
//! (`busy`) is left to that run. A links table made before these two columns existed gets them
//! on the first run that writes (and `Columns` likewise).
//!
//! A pair's row is found by its two relations. It is written before the target database is
//! created (`creating`), and the database's description names the pair (its database and
//! environment rows), so that a run that stops in between — or whose link row Notion does not
//! list yet — finds the database among the parent page's children instead of making another.
//! `done` is set after a run's last row write. `running` is set before its first one only where
//! nothing else says that a run is writing: when the row is not `done` (the copy was just
//! made), or the run keeps no lease. Otherwise the environment's claim in `system-sync-leases`
//! says it, for one write per environment instead of one per pair: a claim that lapsed
//! unreleased names the pairs its run may have left half-written
//! ([`Unfinished`](super::lease::Unfinished)). A later run that finds `running` (or such a
//! claim) knows the previous one stopped half-way, and reconciles the pair in full; after
//! `running` it also waits for Notion's read-after-write lag before it lists the target (a
//! claim has lapsed long after its run's last write).

use futures::TryStreamExt;
use serde_json::{Value, json};

use super::column_map::{COLUMNS_COLUMN, ColumnMap};
use super::rows::SyncPair;
use super::watermark::{WATERMARK_COLUMN, Watermark};
use crate::client::NotionClient;
use crate::error::{Error, Result};
use crate::ids::{DataSourceId, DatabaseId, PageId};
use crate::model::params::{CreateDatabase, InitialDataSource};
use crate::model::params::{Filter, PropertyFilter, rich_text_value, title_value};
use crate::model::{Page, Parent, PropertyValueKind, RichText};
use crate::registry::cells;
use crate::registry::columns::LINK_COLUMNS;
use crate::registry::{Located, Registry, titled_exactly};

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
    const fn word(self) -> &'static str {
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

/// The options of the `State` column: each [`LinkState`]'s word.
pub const STATE_OPTIONS: [&str; 3] = [
    LinkState::Creating.word(),
    LinkState::Running.word(),
    LinkState::Done.word(),
];

/// The options of the `Status` column: each [`LinkStatus`]'s word, in [`LinkStatus::ALL`]'s order.
pub const STATUS_OPTIONS: [&str; 4] = [
    LinkStatus::ALL[0].word(),
    LinkStatus::ALL[1].word(),
    LinkStatus::ALL[2].word(),
    LinkStatus::ALL[3].word(),
];

/// What became of a pair on the last run that recorded it: its link row's `Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkStatus {
    /// The copy is up to date.
    Synced,
    /// A person is needed (the reason says what to do).
    NeedsAttention,
    /// Something failed; a later run may finish it.
    Failed,
    /// Left out (the reason says why).
    Skipped,
}

impl LinkStatus {
    /// Every status, in the order of the column's options.
    pub const ALL: [Self; 4] = [
        Self::Synced,
        Self::NeedsAttention,
        Self::Failed,
        Self::Skipped,
    ];

    /// The option's name in the `Status` column.
    pub const fn word(self) -> &'static str {
        match self {
            Self::Synced => "synced",
            Self::NeedsAttention => "needs attention",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }

    fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.word() == word)
    }
}

/// A pair's status as a link row holds it (or is to hold it): [`LinkStatus`] and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCells {
    /// The `Status` column (`None`: empty, or a word that is not a status).
    pub status: Option<LinkStatus>,
    /// The `Reason` column (`None`: empty), as plain text without surrounding whitespace.
    pub reason: Option<String>,
}

impl StatusCells {
    /// `status`, for `reason` (cut to what one rich-text segment holds, without surrounding
    /// whitespace), as the row will read back.
    pub fn new(status: LinkStatus, reason: Option<&str>) -> Self {
        let reason = reason
            .map(|r| {
                let pieces = crate::sync::content::split_text(r.trim());
                match pieces.as_slice() {
                    [] => String::new(),
                    [one] => (*one).to_owned(),
                    [first, ..] => {
                        let mut cut: String = first.chars().collect();
                        cut.pop();
                        cut.push('…');
                        cut
                    }
                }
            })
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty());
        Self {
            status: Some(status),
            reason,
        }
    }

    /// What a run that finished a pair's writes records with its result: `synced`, no reason.
    pub fn synced() -> Self {
        Self::new(LinkStatus::Synced, None)
    }

    /// The two columns as request JSON.
    fn properties(&self) -> serde_json::Map<String, Value> {
        let mut properties = serde_json::Map::new();
        properties.insert(
            STATUS_COLUMN.into(),
            match self.status {
                Some(status) => json!({"select": {"name": status.word()}}),
                None => json!({"select": null}),
            },
        );
        properties.insert(
            REASON_COLUMN.into(),
            match &self.reason {
                Some(reason) => rich_text_value(reason),
                None => json!({"rich_text": []}),
            },
        );
        properties
    }
}

/// The column of a link row that holds its pair's [`LinkStatus`].
pub const STATUS_COLUMN: &str = "Status";

/// The column of a link row that holds why its pair has its status.
pub const REASON_COLUMN: &str = "Reason";

/// The columns added since the first version (`Status`, `Reason`, `Columns`, `Watermark`: those
/// of [`LINK_COLUMNS`] marked `added_later`), as request JSON.
fn status_columns() -> Value {
    Value::Object(
        LINK_COLUMNS
            .iter()
            .filter(|column| column.added_later)
            .filter_map(|column| Some((column.name.to_owned(), column.schema(None)?)))
            .collect(),
    )
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
    /// What became of the pair on the last run that recorded it.
    pub status: StatusCells,
    /// How the copy's columns follow the source's (empty before the first run that records it).
    pub columns: ColumnMap,
    /// How far the pair has read each side (`None` before the first clean run records it).
    pub watermark: Option<Watermark>,
    /// The copy's synced rows after the last run that wrote (`Target Rows`).
    pub target_rows: Option<usize>,
}

/// The links database and its rows.
#[derive(Debug, Clone)]
pub struct LinksTable {
    /// Its data source.
    pub data_source: DataSourceId,
    /// Its rows, oldest first.
    pub links: Vec<SyncLink>,
    /// The columns its schema lacks of those the sync writes now (`Status`, `Reason`: a table
    /// made by an earlier version), added by [`add_missing_columns`](Self::add_missing_columns).
    pub missing_columns: Vec<&'static str>,
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
        status: StatusCells {
            status: text_cell(page, STATUS_COLUMN).and_then(|word| LinkStatus::parse(&word)),
            reason: text_cell(page, REASON_COLUMN),
        },
        columns: text_cell(page, COLUMNS_COLUMN)
            .map(|text| ColumnMap::parse(&text))
            .unwrap_or_default(),
        watermark: text_cell(page, WATERMARK_COLUMN).and_then(|text| Watermark::parse(&text)),
        target_rows: match page.properties.get("Target Rows").map(|v| &v.value) {
            Some(PropertyValueKind::Number(Some(n))) => n.as_u64().map(|n| n as usize),
            _ => None,
        },
    }
}

impl LinksTable {
    /// Finds the links database by its exact title; `None` when there is none yet.
    pub async fn find(control: &NotionClient) -> Result<Option<Self>> {
        match find_table_source(control, LINKS_TITLE, None).await? {
            Some(source) => Self::read(control, source).await.map(Some),
            None => Ok(None),
        }
    }

    /// The table whose data source (with its schema) is `source`, found already: its rows read,
    /// its schema checked as [`find`](Self::find) checks it.
    pub async fn read(control: &NotionClient, source: crate::model::DataSource) -> Result<Self> {
        let foreign = crate::registry::shape::foreign_link_columns(&source.properties);
        if !foreign.is_empty() {
            return Err(Error::Registry(format!(
                "{}; rename or move that table (notion-xws then makes its own), or give it \
                 those columns",
                crate::registry::shape::foreign_links_message(source.id, &source.url, &foreign)
            )));
        }
        let missing_columns = LINK_COLUMNS
            .iter()
            .filter(|column| column.added_later && !source.properties.contains_key(column.name))
            .map(|column| column.name)
            .collect();
        let links = control
            .query_all(source.id, None, &[])
            .map_ok(|page| read_link(&page))
            .try_collect()
            .await?;
        Ok(Self {
            data_source: source.id,
            links,
            missing_columns,
        })
    }

    /// Adds the columns the table lacks (`Status` and `Reason`, to a table an earlier version
    /// made), in one request; nothing when it lacks none.
    pub async fn add_missing_columns(&mut self, control: &NotionClient) -> Result<()> {
        if self.missing_columns.is_empty() {
            return Ok(());
        }
        let all = status_columns();
        let properties: serde_json::Map<String, Value> = self
            .missing_columns
            .iter()
            .filter_map(|column| all.get(*column).map(|c| ((*column).to_owned(), c.clone())))
            .collect();
        control
            .set_data_source_properties(self.data_source, Value::Object(properties))
            .await?;
        self.missing_columns.clear();
        Ok(())
    }

    /// Creates the links database next to `system-databases`; of two made at once by two runs,
    /// both keep the same one (see `create_table`), once `settle` has passed.
    pub async fn create(
        control: &NotionClient,
        registry: &Registry,
        settle: std::time::Duration,
    ) -> Result<Self> {
        // Every column of the one list, with its schema.
        let properties: serde_json::Map<String, Value> = LINK_COLUMNS
            .iter()
            .filter_map(|column| Some((column.name.to_owned(), column.schema(Some(registry))?)))
            .collect();
        let properties = Value::Object(properties);
        let data_source = create_table(control, registry, LINKS_TITLE, properties, settle).await?;
        Ok(Self {
            data_source,
            links: Vec::new(),
            missing_columns: Vec::new(),
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
            missing_columns: Vec::new(),
        };
        Ok(table.link_for(pair).cloned())
    }

    /// Writes a new link row for `pair`, in state `creating`.
    pub async fn add(&self, control: &NotionClient, pair: &SyncPair) -> Result<PageId> {
        let mut properties = self.pair_cells(pair);
        properties.insert(
            "State".into(),
            json!({"select": {"name": LinkState::Creating.word()}}),
        );
        self.create_row(control, properties).await
    }

    /// Writes a new link row for `pair` that records only its status: no target, no state (a
    /// pair that was skipped, or failed before it had a copy). A later run that makes the
    /// pair's copy records it in this row.
    pub async fn add_status(
        &self,
        control: &NotionClient,
        pair: &SyncPair,
        status: &StatusCells,
    ) -> Result<PageId> {
        let mut properties = self.pair_cells(pair);
        properties.extend(status.properties());
        self.create_row(control, properties).await
    }

    /// The cells that name a pair: its name, its two relations, its direction.
    fn pair_cells(&self, pair: &SyncPair) -> serde_json::Map<String, Value> {
        let direction = match pair.direction {
            crate::registry::Direction::Push => "Push",
            crate::registry::Direction::Pull => "Pull",
            crate::registry::Direction::TwoWay => "Two-Way",
        };
        let cells = json!({
            "Name": title_value(&pair.label()),
            "Database": {"relation": [{"id": pair.database_row}]},
            "Environment": {"relation": [{"id": pair.environment_row}]},
            "Direction": {"select": {"name": direction}},
        });
        match cells {
            Value::Object(cells) => cells,
            _ => serde_json::Map::new(),
        }
    }

    /// Creates a row of the table with `properties` (sent once: [`Write::CreatePage`]).
    ///
    /// [`Write::CreatePage`]: crate::client::writes::Write::CreatePage
    async fn create_row(
        &self,
        control: &NotionClient,
        properties: serde_json::Map<String, Value>,
    ) -> Result<PageId> {
        let body = json!({
            "parent": {"type": "data_source_id", "data_source_id": self.data_source},
            "properties": properties,
        });
        let page = control.create_page_json(body).await?;
        Ok(page.id)
    }
}

/// Records a pair's status in its link row (sent once more if its outcome is unknown: it sets
/// values).
pub async fn record_status(
    control: &NotionClient,
    link: PageId,
    status: &StatusCells,
) -> Result<()> {
    control
        .set_page_properties(link, Value::Object(status.properties()))
        .await
        .map(drop)
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

/// Records the end of a run that wrote: `done`, now, its counts and the target's rows, and the
/// status `synced` ([`StatusCells::synced`]).
pub async fn record_result(
    control: &NotionClient,
    link: PageId,
    result: &str,
    target_rows: usize,
    columns: Option<&ColumnMap>,
    watermark: Option<&Watermark>,
) -> Result<()> {
    let finished = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let mut properties = json!({
        "State": {"select": {"name": LinkState::Done.word()}},
        "Last Sync": {"date": {"start": finished}},
        "Last Result": rich_text_value(result),
        "Target Rows": {"number": target_rows},
    });
    if let Some(all) = properties.as_object_mut() {
        all.extend(StatusCells::synced().properties());
        if let Some(columns) = columns {
            all.insert(COLUMNS_COLUMN.to_owned(), columns.cell());
        }
        if let Some(watermark) = watermark {
            all.insert(WATERMARK_COLUMN.to_owned(), watermark.cell());
        }
    }
    update(control, link, properties).await
}

/// Records how far a pair has read each side ([`Watermark`]) in its link row.
pub async fn record_watermark(
    control: &NotionClient,
    link: PageId,
    watermark: &Watermark,
) -> Result<()> {
    update(control, link, json!({ WATERMARK_COLUMN: watermark.cell() })).await
}

/// Records how a pair's copy follows its source's columns ([`ColumnMap`]) in its link row.
pub async fn record_columns(
    control: &NotionClient,
    link: PageId,
    columns: &ColumnMap,
) -> Result<()> {
    update(control, link, json!({ COLUMNS_COLUMN: columns.cell() })).await
}

async fn update(control: &NotionClient, link: PageId, properties: Value) -> Result<()> {
    control
        .update_page_json(link, json!({ "properties": properties }))
        .await
        .map(drop)
}

/// Finds one of the sync's own tables (`system-sync-links`, `system-sync-leases`) by its exact
/// title (as `located` listed it, when it answers for the title): its data source with its
/// schema (read when search lists a partial object), `None` when there is none yet, an error
/// when there are several.
pub(crate) async fn find_table_source(
    control: &NotionClient,
    title: &str,
    located: Option<&Located>,
) -> Result<Option<crate::model::DataSource>> {
    let found = titled_exactly(control, title, located).await?;
    match found.as_slice() {
        [] => Ok(None),
        [one] if one.properties.is_empty() => control.data_source(one.id).await.map(Some),
        [one] => Ok(Some(one.clone())),
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
///
/// Two first runs at once each find no table and each make one. So, once `settle` (Notion's
/// read-after-write lag) has passed, the tables of that title are listed again, and every run
/// keeps the same one, the oldest (by `created_time`, then ID): a run whose table is not that
/// one moves its own (new and empty) to the trash and uses the other.
pub(crate) async fn create_table(
    control: &NotionClient,
    registry: &Registry,
    title: &str,
    properties: Value,
    settle: std::time::Duration,
) -> Result<DataSourceId> {
    let page = registry.page(control, title).await?;
    let (database, made) = create_database_under(control, page, title, properties).await?;
    tokio::time::sleep(settle).await;
    let mut listed: Vec<(String, DataSourceId)> = control
        .search_data_sources(title)
        .try_filter(|source| {
            let exact = source.title_text().trim() == title && !source.in_trash();
            async move { exact }
        })
        .map_ok(|source| (source.created_time, source.id))
        .try_collect()
        .await?;
    if !listed.iter().any(|(_, id)| *id == made) {
        listed.push((database.created_time.clone(), made));
    }
    let kept = listed.into_iter().min().map_or(made, |(_, id)| id);
    if kept != made {
        tracing::info!(%title, %kept, "another run made the same table at once: its table is kept");
        let trash = crate::model::params::UpdateDatabase {
            in_trash: Some(true),
            ..crate::model::params::UpdateDatabase::default()
        };
        control.update_database(database.id, &trash).await?;
    }
    Ok(kept)
}

/// Creates a database titled `title` with the columns `properties` under `page`: the database
/// and its data source (also how `init` creates the registry's tables).
pub(crate) async fn create_database_under(
    control: &NotionClient,
    page: crate::ids::PageId,
    title: &str,
    properties: Value,
) -> Result<(crate::model::Database, DataSourceId)> {
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
    let made = database
        .data_source_ids()
        .first()
        .copied()
        .ok_or_else(|| Error::Decode {
            what: format!("the new database {title}"),
            message: "it has no data source".into(),
        })?;
    Ok((database, made))
}

/// The description that marks a target database as the one of a pair.
pub fn marker(pair: &SyncPair) -> String {
    format!(
        "{TARGET_MARKER} {} {}",
        pair.database_row, pair.environment_row
    )
}
