//! The repair: what the audit found that can be fixed without a guess, planned, then applied only
//! when asked.
//!
//! [`plan_repair`] is pure: from the registry and its [`AuditReport`] it lists the
//! [`RepairAction`]s, in a stable order:
//!
//! 1. add the registry columns that are missing: `Database-Parent-Page-ID` (url), the token
//!    health columns `Token-Status` (select) and `Token-Checked` (date), and `Data Source ID`
//!    (url), as [`crate::registry::columns`] lists them ([`missing_columns`], [`add_columns`]:
//!    `init` adds the other columns with the same code);
//! 2. fill `Data Source ID` where all the row's sources agree on one data source and the cell is
//!    empty or holds something else (a database ID);
//! 3. fill `Database-Parent-Page-ID` from the one page titled exactly `database-parent-page`;
//! 4. record each environment's token health (`valid`, `invalid`, …) and the day it was checked,
//!    when either differs from what is recorded.
//!
//! Nothing is planned where the audit found a disagreement or an ambiguity: those need a person;
//! nor into a column of a type the repair cannot write (see
//! [`registry::shape`](crate::registry::shape)). While the audit has P0 findings about the
//! registry's shape ([`SHAPE_CODES`]: its tables swapped or mistaken, a column of the wrong
//! type, an ambiguous relation, no token column, no relation), the plan is `blocked` and
//! [`apply_repair`] applies nothing, unless told ([`RepairPlan::allow_shape_findings`], the
//! command's `--despite-shape-findings`). [`apply_repair`] applies a plan with the control
//! token, schema changes first. A repair is idempotent: run again on the same day, it plans
//! nothing.

use std::collections::BTreeMap;
use std::fmt;

use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::audit::{AuditReport, ParentPageStatus, Severity};
use crate::client::NotionClient;
use crate::error::Result;
use crate::ids::{DataSourceId, PageId};
use crate::model::PropertyConfig;
use crate::model::params::{PropertyChange, UpdateDataSource};
use crate::registry::columns::registry_columns;
use crate::registry::shape::{self, Table};
use crate::registry::{Registry, RegistryTable};

pub use crate::registry::columns::{ColumnType, TOKEN_STATUS_OPTIONS};

/// One change the repair makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum RepairAction {
    /// Adds a column to a registry table.
    AddColumn {
        /// The table's title.
        table: String,
        /// Its data source.
        data_source: DataSourceId,
        /// The column.
        column: String,
        /// Its type.
        column_type: ColumnType,
    },
    /// Writes a database row's `Data Source ID`.
    SetDataSourceId {
        /// The row.
        row: PageId,
        /// The database's name.
        database: String,
        /// The data source all its sources agree on.
        data_source: DataSourceId,
    },
    /// Writes an environment's `Database-Parent-Page-ID`.
    SetParentPage {
        /// The row.
        row: PageId,
        /// The environment's name.
        environment: String,
        /// The one page titled exactly `database-parent-page`.
        page: PageId,
    },
    /// Writes an environment's token health.
    SetTokenHealth {
        /// The row.
        row: PageId,
        /// The environment's name.
        environment: String,
        /// `valid`, `invalid`, `unreachable`, `unreadable` or `missing`.
        status: String,
        /// The day of the check, `YYYY-MM-DD`.
        checked: String,
    },
}

impl RepairAction {
    /// The change's kind, as its JSON's `action` says it: `add_column`, `set_data_source_id`,
    /// `set_parent_page` or `set_token_health`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::AddColumn { .. } => "add_column",
            Self::SetDataSourceId { .. } => "set_data_source_id",
            Self::SetParentPage { .. } => "set_parent_page",
            Self::SetTokenHealth { .. } => "set_token_health",
        }
    }
}

/// The change in words, as the `repair` command prints it.
impl fmt::Display for RepairAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AddColumn {
                table,
                column,
                column_type,
                ..
            } => write!(
                f,
                "add column {column:?} ({}) to {table}",
                column_type.name()
            ),
            Self::SetDataSourceId {
                database,
                data_source,
                ..
            } => write!(f, "set Data Source ID of {database:?} to {data_source}"),
            Self::SetParentPage {
                environment, page, ..
            } => write!(
                f,
                "set Database-Parent-Page-ID of {environment:?} to {page}"
            ),
            Self::SetTokenHealth {
                environment,
                status,
                checked,
                ..
            } => write!(
                f,
                "record token status {status} (checked {checked}) of {environment:?}"
            ),
        }
    }
}

/// The codes of the audit's findings about the registry's shape: at P0, the repair applies
/// nothing unless told (it would write into the wrong table, or guess).
pub const SHAPE_CODES: [&str; 5] = [
    "registry.wrong-table",
    "registry.column-type",
    "registry.relation-ambiguous",
    "registry.token-property-missing",
    "registry.relation-missing",
];

/// The changes a repair would make, in the order it makes them. It reads back from its JSON, so
/// that a plan reviewed by a person is the one applied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairPlan {
    /// The changes.
    pub actions: Vec<RepairAction>,
    /// The audit's P0 findings about the registry's shape (`code: subject: message`): while
    /// there is one, [`apply_repair`] applies nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked: Vec<String>,
}

impl RepairPlan {
    /// Lets the plan be applied despite P0 findings about the registry's shape (the command's
    /// `--despite-shape-findings`): a person has read them.
    pub fn allow_shape_findings(&mut self) {
        self.blocked.clear();
    }

    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }
}

/// What came of one change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepairOutcome {
    /// The change.
    pub action: RepairAction,
    /// `None` when it was applied; else why not.
    pub error: Option<String>,
}

/// What a repair did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RepairReport {
    /// Each change and its outcome, in order.
    pub outcomes: Vec<RepairOutcome>,
}

impl RepairReport {
    /// How many changes were applied.
    pub fn applied(&self) -> usize {
        self.outcomes.iter().filter(|o| o.error.is_none()).count()
    }

    /// How many changes failed.
    pub fn failed(&self) -> usize {
        self.outcomes.len() - self.applied()
    }
}

/// What a repair did, as its JSON report says it (`notion-xws repair --json`, Python's
/// `RepairReport.to_json()`): the plan's changes and, when it was executed, each one's outcome.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RepairSummary<'a> {
    /// Whether the changes were applied (false: a dry run, nothing written).
    pub executed: bool,
    /// How many changes were applied (0 in a dry run).
    pub applied: usize,
    /// How many changes failed (0 in a dry run).
    pub failed: usize,
    /// The planned changes.
    pub actions: &'a [RepairAction],
    /// Each applied change and its outcome (empty in a dry run).
    pub outcomes: &'a [RepairOutcome],
    /// The audit's P0 findings about the registry's shape that keep the plan from being applied.
    pub blocked: &'a [String],
    /// When the run started (RFC 3339, UTC), when it is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<&'a str>,
    /// How long the run took (the audit, the plan and the writes), in milliseconds, when it is
    /// known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

impl<'a> RepairSummary<'a> {
    /// The summary of `plan` and, when it was applied, of what applying it did (`None`: a dry
    /// run).
    pub fn new(plan: &'a RepairPlan, report: Option<&'a RepairReport>) -> Self {
        Self {
            executed: report.is_some(),
            applied: report.map_or(0, RepairReport::applied),
            failed: report.map_or(0, RepairReport::failed),
            actions: &plan.actions,
            outcomes: report.map_or(&[], |r| &r.outcomes),
            blocked: &plan.blocked,
            started_at: None,
            duration_ms: None,
        }
    }

    /// The summary, with when the run started and how long it took.
    pub fn timed(self, started_at: &'a str, duration_ms: u64) -> Self {
        Self {
            started_at: Some(started_at),
            duration_ms: Some(duration_ms),
            ..self
        }
    }

    /// The summary as pretty JSON: `executed`, `applied`, `failed`, `actions`, `outcomes`,
    /// `blocked` (and `started_at`, `duration_ms` when [`timed`](Self::timed)).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

/// Today's date in UTC, `YYYY-MM-DD`, as [`plan_repair`] takes it.
pub fn today_utc() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now())
        .to_string()
        .chars()
        .take(10)
        .collect()
}

/// Reads and audits the registry at `config` (read only), then plans its repair: the registry
/// (to apply the plan to) and the plan.
pub async fn audit_and_plan(
    client: &NotionClient,
    config: &crate::registry::RegistryConfig,
    today: &str,
) -> Result<(Registry, RepairPlan)> {
    let (registry, report) = crate::audit::audit(client, config).await?;
    let plan = plan_repair(&registry, &report, today);
    Ok((registry, plan))
}

/// Plans the repair of `registry` from its audit. Pure; `today` is `YYYY-MM-DD`.
pub fn plan_repair(registry: &Registry, report: &AuditReport, today: &str) -> RepairPlan {
    let names = &registry.names;
    let envs = &registry.environments_table;
    let dbs = &registry.databases_table;
    let mut actions = missing_columns(envs, dbs, names, false);
    let writable = |table, column: &str| shape::writable(registry, table, column);
    for database in &report.databases {
        if let Some(resolved) = database.resolved
            && !database.data_source_id_recorded
            && writable(Table::Databases, &names.data_source_id)
        {
            actions.push(RepairAction::SetDataSourceId {
                row: database.row,
                database: database.name.clone(),
                data_source: resolved.data_source,
            });
        }
    }
    for env in &report.environments {
        if let ParentPageStatus::Fallback { page } = env.parent_page
            && writable(Table::Environments, &names.parent_page)
        {
            actions.push(RepairAction::SetParentPage {
                row: env.row,
                environment: env.name.clone(),
                page,
            });
        }
    }
    for env in &report.environments {
        let status = env.token.status_word();
        let recorded = registry.environment(env.row);
        let same_status = recorded.and_then(|e| e.token_status.as_deref()) == Some(status);
        let same_day = recorded
            .and_then(|e| e.token_checked.as_deref())
            .is_some_and(|day| day.starts_with(today));
        let health_writable = writable(Table::Environments, &names.token_status)
            && writable(Table::Environments, &names.token_checked);
        if !(same_status && same_day) && health_writable {
            actions.push(RepairAction::SetTokenHealth {
                row: env.row,
                environment: env.name.clone(),
                status: status.to_owned(),
                checked: today.to_owned(),
            });
        }
    }
    let blocked = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::P0 && SHAPE_CODES.contains(&f.code))
        .map(|f| format!("{}: {}: {}", f.code, f.subject, f.message))
        .collect();
    RepairPlan { actions, blocked }
}

/// The columns of the registry ([`registry_columns`]) that `envs` (`system-environments`) and
/// `dbs` (`system-databases`) lack, as changes that add them: every one (`init`), or only those the
/// repair adds (`all` false). A table's title column, whatever its name, is never missing; the
/// relation is missing when no column of `envs` relates to `dbs`. Pure.
pub fn missing_columns(
    envs: &RegistryTable,
    dbs: &RegistryTable,
    names: &crate::registry::PropertyNames,
    all: bool,
) -> Vec<RepairAction> {
    registry_columns(names)
        .into_iter()
        .filter(|column| all || column.repair_adds)
        .filter_map(|column| {
            let table = match column.table {
                Table::Environments => envs,
                Table::Databases => dbs,
                // The registry's columns are those of its two tables (`Clients` is read only).
                Table::Clients => return None,
            };
            let present = match column.column_type {
                ColumnType::Title => true,
                ColumnType::Relation => !envs.relations_to(dbs.data_source).is_empty(),
                _ => table.column(&column.name).is_some(),
            };
            (!present).then(|| RepairAction::AddColumn {
                table: table.title.clone(),
                data_source: table.data_source,
                column: column.name,
                column_type: column.column_type,
            })
        })
        .collect()
}

/// A cell value for a column of `config`'s type holding `text` (a URL column gets a URL).
fn text_value(config: Option<&PropertyConfig>, text: &str) -> Value {
    match config.map(|c| c.type_name()) {
        Some("url") => json!({"url": text}),
        _ => crate::model::params::rich_text_value(text),
    }
}

/// Adds the columns of the [`RepairAction::AddColumn`]s among `actions`, one request each, in
/// order (the other actions are left alone); a relation goes to `databases` (the data source of
/// `system-databases`). Each change's outcome, and the columns added with their types. A change
/// that fails is reported and the others go on.
pub async fn add_columns(
    control: &NotionClient,
    actions: &[RepairAction],
    databases: DataSourceId,
) -> (
    Vec<RepairOutcome>,
    BTreeMap<(DataSourceId, String), ColumnType>,
) {
    let mut outcomes = Vec::new();
    let mut added = BTreeMap::new();
    for action in actions {
        if let RepairAction::AddColumn {
            data_source,
            column,
            column_type,
            ..
        } = action
        {
            let result = async {
                let change = PropertyChange::set(column_type.schema(Some(databases))?);
                let update = UpdateDataSource {
                    properties: Some(BTreeMap::from([(column.clone(), Some(change))])),
                    ..UpdateDataSource::default()
                };
                control.update_data_source(*data_source, &update).await
            }
            .await;
            if result.is_ok() {
                added.insert((*data_source, column.clone()), *column_type);
            }
            outcomes.push(RepairOutcome {
                action: action.clone(),
                error: result.err().map(|e| e.to_string()),
            });
        }
    }
    (outcomes, added)
}

/// Applies `plan` with the control client: columns first, then rows, each row change once.
/// Changes that fail are reported and the others go on.
pub async fn apply_repair(
    control: &NotionClient,
    registry: &Registry,
    plan: &RepairPlan,
) -> RepairReport {
    let names = &registry.names;
    if !plan.blocked.is_empty() {
        let why = format!(
            "not applied: the registry's shape has P0 findings ({}); fix them, or apply the plan \
             despite them (--despite-shape-findings)",
            plan.blocked.join("; ")
        );
        let outcomes = plan
            .actions
            .iter()
            .map(|action| RepairOutcome {
                action: action.clone(),
                error: Some(why.clone()),
            })
            .collect();
        return RepairReport { outcomes };
    }
    let databases = registry.databases_table.data_source;
    let (mut outcomes, added) = add_columns(control, &plan.actions, databases).await;
    // The type of a column, as the registry has it or as the repair just added it.
    let column_of = |table: &RegistryTable, column: &str| -> Option<PropertyConfig> {
        table.column(column).cloned().or_else(|| {
            added
                .get(&(table.data_source, column.to_owned()))
                .and_then(|t| t.schema(Some(databases)).ok())
                .map(PropertyConfig::new)
        })
    };
    let rows: Vec<(RepairAction, PageId, Value)> = plan
        .actions
        .iter()
        .filter_map(|action| {
            let (row, properties) = match action {
                RepairAction::AddColumn { .. } => return None,
                RepairAction::SetDataSourceId {
                    row, data_source, ..
                } => {
                    let config = column_of(&registry.databases_table, &names.data_source_id);
                    (
                        *row,
                        json!({ &names.data_source_id: text_value(config.as_ref(), &data_source.to_string()) }),
                    )
                }
                RepairAction::SetParentPage { row, page, .. } => {
                    let config = column_of(&registry.environments_table, &names.parent_page);
                    let link = format!("https://www.notion.so/{}", page.simple());
                    (
                        *row,
                        json!({ &names.parent_page: text_value(config.as_ref(), &link) }),
                    )
                }
                RepairAction::SetTokenHealth {
                    row,
                    status,
                    checked,
                    ..
                } => (
                    *row,
                    json!({
                        &names.token_status: {"select": {"name": status}},
                        &names.token_checked: {"date": {"start": checked}},
                    }),
                ),
            };
            Some((action.clone(), row, properties))
        })
        .collect();
    let results: Vec<RepairOutcome> = stream::iter(rows)
        .map(|(action, row, properties)| async move {
            let result = control
                .update_page_json(row, json!({ "properties": properties }))
                .await;
            RepairOutcome {
                action,
                error: result.err().map(|e| e.to_string()),
            }
        })
        .buffered(8)
        .collect()
        .await;
    outcomes.extend(results);
    RepairReport { outcomes }
}
