//! The audit: which tokens work, which databases can be reached, which IDs are missing or
//! disagree — the gap report, produced from the registry at any time.
//!
//! [`audit`] reads the registry with the control token, then checks, concurrently across
//! workspaces and each token within its own rate budget:
//!
//! 1. every environment's token, once, with `GET /v1/users/me` (valid, refused, unreachable);
//! 2. every environment's parent page: the recorded `Database-Parent-Page-ID`, retrieved with
//!    that environment's token, else the one page titled exactly `database-parent-page` (a
//!    reported fallback); none or several is a blocking finding for that environment;
//! 3. every database row: each of its ID sources read with the link parser and resolved through
//!    the API to one database and one data source, with the token of the workspace it lives in;
//!    sources that disagree are a finding, never settled silently;
//! 4. the `Clients` copy of each token against the environment's;
//! 5. a table titled `system-sync-links` that is not the sync's own (another schema, or
//!    several);
//! 6. one copy per (database, environment): environments are told apart by their workspace,
//!    databases by their data source, and the rows that name one twice are findings
//!    ([`duplicates()`]);
//! 7. (with [`audit`], not the sync's own check) every workspace the tool can read, searched
//!    for a copy of a token column outside the registry ([`scan_token_copies`]).
//!
//! A database row naming a registry table or a table of tokens is a P0 finding
//! (`database.protected`, see [`Protected`](crate::registry::Protected)) and is never synced.
//!
//! The audit itself is strictly read-only. Its [`AuditReport`] holds the counts of the gap report, one
//! [`Finding`] per problem (severity, stable code, subject, message and fix), and the per-row
//! results that the repair acts on. It renders as JSON and as Markdown, and [`notion`] writes it
//! as a page in Notion (`audit --to-notion`), the one thing of the audit that writes.

mod check;
pub mod duplicates;
pub mod notion;
mod render;

use serde::Serialize;

use crate::client::NotionClient;
use crate::error::Result;
use crate::ids::{DataSourceId, DatabaseId, PageId, WorkspaceId};
use crate::progress::{ProgressFn, Reporter};
use crate::registry::{Direction, Registry, RegistryConfig, SyncSetting};

pub(crate) use check::audit_keeping_reads;
pub use check::{audit_registry, scan_token_copies};
pub use duplicates::{Duplicates, duplicates};

/// How urgent a finding is, as the gap report ranks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Severity {
    /// Blocking: nothing can sync where this holds.
    P0,
    /// Required for the sync of what it names.
    P1,
    /// Worth fixing; nothing is blocked.
    P2,
}

/// Every code a [`Finding`] can have, the one list of them: the audit makes no finding of a code
/// not listed here (a debug assertion holds it), and the README's table of findings lists each
/// (a test holds it to this list). Grouped by what they are about, as the README's table is.
pub const FINDING_CODES: [&str; 46] = [
    // The registry's tables and columns.
    "registry.wrong-table",
    "registry.column-type",
    "registry.relation-ambiguous",
    "registry.relation-missing",
    "registry.token-property-missing",
    "registry.parent-page-property-missing",
    "registry.sync-property-missing",
    "registry.relation-to-missing-row",
    "registry.unnamed-row",
    "registry.duplicate-name",
    // Tokens.
    "token.missing",
    "token.unreadable",
    "token.invalid",
    "token.unreachable",
    "token.plain-text",
    "token.needs-cleaning",
    "token.clients-disagree",
    "token.copy",
    "token.copies-unchecked",
    // Environments.
    "environment.same-workspace",
    "environment.control-workspace",
    "environment.primary-by-type",
    "environment.primary-unknown",
    // Parent pages.
    "parent-page.not-found",
    "parent-page.ambiguous",
    "parent-page.not-shared",
    "parent-page.in-trash",
    "parent-page.invalid",
    "parent-page.fallback",
    // Databases.
    "database.protected",
    "database.duplicate",
    "database.in-trash",
    "database.sync-unknown",
    "database.pull-from-several",
    "database.synced-nowhere",
    "database.no-id",
    "database.bad-id",
    "database.no-reader",
    "database.unreachable",
    "database.not-a-database",
    "database.wrong-kind",
    "database.multiple-data-sources",
    "database.ids-disagree",
    "database.data-source-id-missing",
    // `system-sync-links`.
    "links.foreign-schema",
    "links.ambiguous",
];

/// One problem found, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// How urgent.
    pub severity: Severity,
    /// A stable code (`token.invalid`, `database.ids-disagree`, …), for scripts.
    pub code: &'static str,
    /// What it is about: an environment's or a database's name, or a registry table.
    pub subject: String,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub fix: String,
}

/// The counts of the gap report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuditSummary {
    /// Rows of `system-environments`.
    pub environments: usize,
    /// Environments whose `Primary-Token` is not empty.
    pub environments_with_token: usize,
    /// Environments whose `Primary-Token` is empty.
    pub environments_without_token: usize,
    /// Environments whose token Notion refused (401), or that cannot be read at all.
    pub environments_with_invalid_token: usize,
    /// Environments for which no parent page is known (none recorded and none found, or not
    /// checkable because the token does not work).
    pub environments_without_parent_page: usize,
    /// Rows of `system-databases`.
    pub databases: usize,
    /// Database rows whose `Data Source ID` is not empty.
    pub databases_with_data_source_id: usize,
    /// Database rows whose `Data Source ID` is empty.
    pub databases_without_data_source_id: usize,
    /// Database rows whose `Database URL` is not empty.
    pub databases_with_url: usize,
    /// Database rows resolved to exactly one database and data source, all sources agreeing.
    pub databases_resolvable: usize,
    /// Database rows none of whose sources could be retrieved (not shared, or not there).
    pub databases_unreachable: usize,
    /// Findings, all severities.
    pub findings: usize,
    /// Blocking findings (P0).
    pub blocking_findings: usize,
}

/// What `GET /v1/users/me` said of a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TokenHealth {
    /// No token.
    Missing,
    /// The token could not be read (an unset variable, a malformed cell).
    Unreadable {
        /// Why.
        reason: String,
    },
    /// Notion refused it (401).
    Invalid,
    /// No answer (network, 5xx, rate limits past the retry budget).
    Unreachable {
        /// Why.
        reason: String,
    },
    /// It works.
    Valid {
        /// The integration's bot.
        bot: String,
        /// The bot's user ID (not in the report: a sync tells its own writes by it).
        #[serde(skip)]
        bot_id: crate::ids::UserId,
        /// The workspace it belongs to.
        workspace_id: Option<WorkspaceId>,
        /// The workspace's name.
        workspace_name: Option<String>,
    },
}

impl TokenHealth {
    /// Whether the token works.
    pub fn is_valid(&self) -> bool {
        matches!(self, Self::Valid { .. })
    }

    /// The word the repair records in `Token-Status`.
    pub fn status_word(&self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Unreadable { .. } => "unreadable",
            Self::Invalid => "invalid",
            Self::Unreachable { .. } => "unreachable",
            Self::Valid { .. } => "valid",
        }
    }
}

/// What is known of an environment's parent page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ParentPageStatus {
    /// `Database-Parent-Page-ID` names it, and the environment's token can read it.
    Recorded {
        /// The page.
        page: PageId,
    },
    /// `Database-Parent-Page-ID` names a page the environment's token cannot read.
    NotShared {
        /// The page.
        page: PageId,
    },
    /// `Database-Parent-Page-ID` names a page in Notion's trash.
    InTrash {
        /// The page.
        page: PageId,
    },
    /// `Database-Parent-Page-ID` holds something that is not a page link.
    Invalid {
        /// What is wrong.
        reason: String,
    },
    /// Not recorded; the one page titled exactly `database-parent-page` (the repair records it).
    Fallback {
        /// The page.
        page: PageId,
    },
    /// Not recorded, and no page titled exactly `database-parent-page` is shared.
    NotFound,
    /// Not recorded, and several pages are titled exactly `database-parent-page`.
    Ambiguous {
        /// The candidates.
        pages: Vec<PageId>,
    },
    /// Not checked: the environment's token does not work.
    Unchecked,
}

impl ParentPageStatus {
    /// The page databases are created under, when it is known and reachable.
    pub fn page(&self) -> Option<PageId> {
        match self {
            Self::Recorded { page } | Self::Fallback { page } => Some(*page),
            _ => None,
        }
    }
}

/// The audit of one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvironmentAudit {
    /// Its row in `system-environments`.
    pub row: PageId,
    /// Its name.
    pub name: String,
    /// How its token is kept (never the token).
    pub token_source: &'static str,
    /// What Notion said of its token.
    pub token: TokenHealth,
    /// Whether it is the control workspace's environment.
    pub primary: bool,
    /// Its parent page.
    pub parent_page: ParentPageStatus,
}

/// A database resolved through the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct ResolvedDatabase {
    /// The database.
    pub database: DatabaseId,
    /// Its data source.
    pub data_source: DataSourceId,
}

/// The data sources and databases the audit read to resolve the registry's rows, by ID, and the
/// one `system-sync-links` table it found: a sync that runs right after it takes the schemas
/// and databases of its sources, and the links table, from here instead of reading them again
/// (two requests a source database a run, and a search).
#[derive(Debug, Default)]
pub(crate) struct AuditReads {
    sources: std::sync::Mutex<std::collections::HashMap<DataSourceId, crate::model::DataSource>>,
    databases: std::sync::Mutex<std::collections::HashMap<DatabaseId, crate::model::Database>>,
    links: std::sync::Mutex<Option<crate::model::DataSource>>,
}

impl AuditReads {
    /// Keeps a data source read.
    fn keep_source(&self, source: crate::model::DataSource) {
        self.sources
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(source.id, source);
    }

    /// Keeps a database read.
    fn keep_database(&self, database: crate::model::Database) {
        self.databases
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(database.id, database);
    }

    /// Keeps the one `system-sync-links` table found.
    fn keep_links(&self, source: crate::model::DataSource) {
        *self.links.lock().unwrap_or_else(|e| e.into_inner()) = Some(source);
    }

    /// The one `system-sync-links` table the audit found, when it found one.
    pub(crate) fn links(&self) -> Option<crate::model::DataSource> {
        self.links.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The data source `id`, when the audit read it.
    pub(crate) fn source(&self, id: DataSourceId) -> Option<crate::model::DataSource> {
        let sources = self.sources.lock().unwrap_or_else(|e| e.into_inner());
        sources.get(&id).cloned()
    }

    /// Every database the audit read.
    pub(crate) fn databases(&self) -> Vec<crate::model::Database> {
        let databases = self.databases.lock().unwrap_or_else(|e| e.into_inner());
        databases.values().cloned().collect()
    }
}

/// The audit of one database row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabaseAudit {
    /// Its row in `system-databases`.
    pub row: PageId,
    /// Its name.
    pub name: String,
    /// Its sync direction, if it is synced.
    pub direction: Option<Direction>,
    /// The environment whose token read it (`None`: the control token).
    pub read_with: Option<PageId>,
    /// The database and data source all its sources agree on, if any.
    pub resolved: Option<ResolvedDatabase>,
    /// Whether no source could be retrieved at all.
    pub unreachable: bool,
    /// Whether its `Data Source ID` holds the resolved data source already.
    pub data_source_id_recorded: bool,
    /// Why the database may never be synced (a registry table, or a table of tokens; see
    /// [`Protected`](crate::registry::Protected)), when that is so.
    pub refused: Option<String>,
    /// Whether the database it names is in Notion's trash (checked for the rows that are
    /// synced, and for any whose answers said so).
    pub in_trash: bool,
}

/// The identity of the control token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlIdentity {
    /// The integration's bot.
    pub bot: String,
    /// Its workspace.
    pub workspace_id: Option<WorkspaceId>,
    /// Its workspace's name.
    pub workspace_name: Option<String>,
}

/// What the audit found. See the [module documentation](self).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    /// When the audit started (RFC 3339, UTC).
    pub started_at: String,
    /// How long it took, in milliseconds (the search for copies of token columns included,
    /// with [`audit`]).
    pub duration_ms: u64,
    /// The counts.
    pub summary: AuditSummary,
    /// Who the control token is.
    pub control: ControlIdentity,
    /// Each environment.
    pub environments: Vec<EnvironmentAudit>,
    /// Each database row.
    pub databases: Vec<DatabaseAudit>,
    /// Every finding, most urgent first.
    pub findings: Vec<Finding>,
}

impl AuditReport {
    /// Whether a finding blocks (P0).
    pub fn has_blocking_findings(&self) -> bool {
        self.summary.blocking_findings > 0
    }

    /// The findings of one code.
    pub fn findings_of(&self, code: &str) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.code == code)
    }

    /// Which pairs of `registry` (the registry this report audited) make no copy of their own,
    /// and which environments are never a target (see [`duplicates()`]).
    pub fn duplicates(&self, registry: &Registry) -> Duplicates {
        duplicates(
            registry,
            self.control.workspace_id,
            &self.environments,
            &self.databases,
        )
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// The report as Markdown, in the gap report's style.
    pub fn to_markdown(&self) -> String {
        render::render(self, crate::words::Style::Markdown)
    }

    /// The report as plain text, no line wider than `width` (for a terminal).
    pub fn to_text(&self, width: usize) -> String {
        render::render(self, crate::words::Style::Text { width })
    }
}

/// Reads the registry with `control` and audits it, including a search of every workspace the
/// tool can read for copies of token columns ([`scan_token_copies`]). Read only: no request it
/// makes writes.
pub async fn audit(
    control: &NotionClient,
    config: &RegistryConfig,
) -> Result<(Registry, AuditReport)> {
    audit_with_progress(control, config, None).await
}

/// [`audit`], reporting each phase as it goes to `progress` ([`Progress`](crate::progress::Progress):
/// `tokens`, `parent_pages`, `databases`, `token_copies`).
pub async fn audit_with_progress(
    control: &NotionClient,
    config: &RegistryConfig,
    progress: Option<ProgressFn>,
) -> Result<(Registry, AuditReport)> {
    let progress = Reporter::new(progress);
    let clock = std::time::Instant::now();
    let registry = Registry::read(control, config).await?;
    let mut report = audit_registry(control, &registry, &progress).await?;
    scan_token_copies(control, &registry, &mut report, &progress).await?;
    report.duration_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok((registry, report))
}

/// Whether a database row is synced into or out of an environment.
fn synced(sync: &SyncSetting) -> bool {
    sync.direction().is_some()
}

#[cfg(test)]
mod send_check {
    /// The audit's future can be spawned on a multi-threaded runtime.
    #[allow(dead_code)]
    fn audit_is_send(
        control: &crate::client::NotionClient,
        config: &crate::registry::RegistryConfig,
    ) {
        fn send<T: Send>(_: T) {}
        send(super::audit(control, config));
        send(crate::sync::sync(
            control,
            config,
            &crate::sync::SyncOptions::default(),
            None,
        ));
    }
}
