//! The typed results of the audit and the repair: `AuditReport`, `AuditSummary`, `Finding`,
//! `RepairPlan` and `RepairReport`.
//!
//! Each is a frozen class holding the core's value. Counts and findings are attributes; the
//! nested per-row results (environments, databases, actions, outcomes) come out as plain Python
//! lists of dicts, converted from the core's serde form with `json.loads`; `to_json()` and
//! `to_markdown()` are the core's renderings. Nothing here decides anything.

use std::sync::Arc;

use notion_xws_core::Error;
use notion_xws_core::audit::{AuditReport, AuditSummary, Finding, Severity};
use notion_xws_core::repair::{RepairPlan, RepairReport, RepairSummary};
use notion_xws_core::sync::planned::{PlanFlags, SavedPlan};
use pyo3::prelude::*;
use serde::Serialize;

use crate::errors::PyXwsError;

/// A serializable value as a Python object (dicts, lists, strings, numbers, None).
pub(crate) fn to_python<'py, T: Serialize>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    py.import("json")?.call_method1("loads", (text,))
}

/// Pretty JSON of a serializable value.
fn pretty<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// The severity's name: `"P0"`, `"P1"` or `"P2"`.
fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::P0 => "P0",
        Severity::P1 => "P1",
        Severity::P2 => "P2",
    }
}

/// The counts of the gap report.
#[pyclass(name = "AuditSummary", module = "notion_xws", frozen, get_all, eq)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PyAuditSummary {
    /// Rows of `system-environments`.
    environments: usize,
    /// Environments whose `Primary-Token` is not empty.
    environments_with_token: usize,
    /// Environments whose `Primary-Token` is empty.
    environments_without_token: usize,
    /// Environments whose token Notion refused, or that cannot be read.
    environments_with_invalid_token: usize,
    /// Environments for which no parent page is known.
    environments_without_parent_page: usize,
    /// Rows of `system-databases`.
    databases: usize,
    /// Database rows whose `Data Source ID` is not empty.
    databases_with_data_source_id: usize,
    /// Database rows whose `Data Source ID` is empty.
    databases_without_data_source_id: usize,
    /// Database rows whose `Database URL` is not empty.
    databases_with_url: usize,
    /// Database rows resolved to one database and data source, all sources agreeing.
    databases_resolvable: usize,
    /// Database rows none of whose sources could be retrieved.
    databases_unreachable: usize,
    /// Findings, all severities.
    findings: usize,
    /// Blocking findings (P0).
    blocking_findings: usize,
}

impl From<&AuditSummary> for PyAuditSummary {
    fn from(s: &AuditSummary) -> Self {
        // Destructured so that a count added to the core fails to compile here until exposed.
        let AuditSummary {
            environments,
            environments_with_token,
            environments_without_token,
            environments_with_invalid_token,
            environments_without_parent_page,
            databases,
            databases_with_data_source_id,
            databases_without_data_source_id,
            databases_with_url,
            databases_resolvable,
            databases_unreachable,
            findings,
            blocking_findings,
        } = *s;
        Self {
            environments,
            environments_with_token,
            environments_without_token,
            environments_with_invalid_token,
            environments_without_parent_page,
            databases,
            databases_with_data_source_id,
            databases_without_data_source_id,
            databases_with_url,
            databases_resolvable,
            databases_unreachable,
            findings,
            blocking_findings,
        }
    }
}

#[pymethods]
impl PyAuditSummary {
    /// The counts as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &AuditSummary::from(self))
    }

    fn __repr__(&self) -> String {
        format!(
            "AuditSummary(environments={}, environments_with_token={}, \
             environments_with_invalid_token={}, databases={}, \
             databases_with_data_source_id={}, findings={}, blocking_findings={})",
            self.environments,
            self.environments_with_token,
            self.environments_with_invalid_token,
            self.databases,
            self.databases_with_data_source_id,
            self.findings,
            self.blocking_findings
        )
    }
}

impl From<&PyAuditSummary> for AuditSummary {
    fn from(s: &PyAuditSummary) -> Self {
        Self {
            environments: s.environments,
            environments_with_token: s.environments_with_token,
            environments_without_token: s.environments_without_token,
            environments_with_invalid_token: s.environments_with_invalid_token,
            environments_without_parent_page: s.environments_without_parent_page,
            databases: s.databases,
            databases_with_data_source_id: s.databases_with_data_source_id,
            databases_without_data_source_id: s.databases_without_data_source_id,
            databases_with_url: s.databases_with_url,
            databases_resolvable: s.databases_resolvable,
            databases_unreachable: s.databases_unreachable,
            findings: s.findings,
            blocking_findings: s.blocking_findings,
        }
    }
}

/// One problem the audit found, and what to do about it.
#[pyclass(name = "Finding", module = "notion_xws", frozen)]
#[derive(Debug, Clone)]
pub(crate) struct PyFinding(Finding);

#[pymethods]
impl PyFinding {
    /// `"P0"` (blocking), `"P1"` (required for the sync of what it names) or `"P2"`.
    #[getter]
    fn severity(&self) -> &'static str {
        severity_name(self.0.severity)
    }

    /// A stable code (`"token.invalid"`, `"database.ids-disagree"`, ...), for scripts.
    #[getter]
    fn code(&self) -> &'static str {
        self.0.code
    }

    /// What it is about: an environment's or a database's name, or a registry table.
    #[getter]
    fn subject(&self) -> &str {
        &self.0.subject
    }

    /// What is wrong.
    #[getter]
    fn message(&self) -> &str {
        &self.0.message
    }

    /// What to do.
    #[getter]
    fn fix(&self) -> &str {
        &self.0.fix
    }

    fn __repr__(&self) -> String {
        format!(
            "Finding(severity='{}', code='{}', subject={:?})",
            self.severity(),
            self.0.code,
            self.0.subject
        )
    }
}

/// What the audit found: the counts, the findings, and each environment and database.
#[pyclass(name = "AuditReport", module = "notion_xws", frozen)]
#[derive(Debug, Clone)]
pub(crate) struct PyAuditReport(Arc<AuditReport>, Option<String>);

impl PyAuditReport {
    /// Wraps the core's report, and the link of the page it was written to in Notion, if it was.
    pub(crate) fn new(report: AuditReport, notion_page: Option<String>) -> Self {
        Self(Arc::new(report), notion_page)
    }
}

#[pymethods]
impl PyAuditReport {
    /// The link of the Notion page the report was written to (`audit(to_notion=True)`), else
    /// `None`.
    #[getter]
    fn notion_page(&self) -> Option<&str> {
        self.1.as_deref()
    }

    /// The counts.
    #[getter]
    fn summary(&self) -> PyAuditSummary {
        PyAuditSummary::from(&self.0.summary)
    }

    /// Every finding, most urgent first.
    #[getter]
    fn findings(&self) -> Vec<PyFinding> {
        self.0.findings.iter().cloned().map(PyFinding).collect()
    }

    /// Each environment, as a dict (name, token health, parent page, ...; never a token).
    #[getter]
    fn environments<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.0.environments)
    }

    /// Each database row, as a dict (name, direction, resolved IDs, ...).
    #[getter]
    fn databases<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.0.databases)
    }

    /// Who the control token is, as a dict (bot, workspace_id, workspace_name).
    #[getter]
    fn control<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.0.control)
    }

    /// Whether a finding blocks (P0).
    #[getter]
    fn has_blocking_findings(&self) -> bool {
        self.0.has_blocking_findings()
    }

    /// The report as pretty JSON.
    fn to_json(&self) -> String {
        self.0.to_json()
    }

    /// The report as Markdown, in the gap report's style.
    fn to_markdown(&self) -> String {
        self.0.to_markdown()
    }

    fn __repr__(&self) -> String {
        let s = &self.0.summary;
        format!(
            "AuditReport(environments={}, databases={}, findings={}, blocking_findings={})",
            s.environments, s.databases, s.findings, s.blocking_findings
        )
    }
}

/// The changes a repair would make, in the order it makes them.
#[pyclass(name = "RepairPlan", module = "notion_xws", frozen)]
#[derive(Debug, Clone)]
pub(crate) struct PyRepairPlan(Arc<RepairPlan>);

impl PyRepairPlan {
    /// Wraps the core's plan.
    pub(crate) fn new(plan: RepairPlan) -> Self {
        Self(Arc::new(plan))
    }
}

#[pymethods]
impl PyRepairPlan {
    /// The changes, as dicts with an `action` key (`add_column`, `set_data_source_id`,
    /// `set_parent_page`, `set_token_health`) and that change's fields.
    #[getter]
    fn actions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.0.actions)
    }

    /// The plan as pretty JSON.
    fn to_json(&self) -> String {
        pretty(&*self.0)
    }

    fn __len__(&self) -> usize {
        self.0.actions.len()
    }

    fn __bool__(&self) -> bool {
        !self.0.is_empty()
    }

    fn __repr__(&self) -> String {
        format!("RepairPlan(actions={})", self.0.actions.len())
    }
}

/// What a repair did. A dry run (`execute=False`) has the plan's actions and no outcomes.
#[pyclass(name = "RepairReport", module = "notion_xws", frozen)]
#[derive(Debug, Clone)]
pub(crate) struct PyRepairReport {
    plan: Arc<RepairPlan>,
    report: Option<Arc<RepairReport>>,
}

impl PyRepairReport {
    /// The plan, and what applying it did (`None`: a dry run).
    pub(crate) fn new(plan: RepairPlan, report: Option<RepairReport>) -> Self {
        Self {
            plan: Arc::new(plan),
            report: report.map(Arc::new),
        }
    }

    fn summary(&self) -> RepairSummary<'_> {
        RepairSummary::new(&self.plan, self.report.as_deref())
    }
}

#[pymethods]
impl PyRepairReport {
    /// Whether the changes were applied (False: a dry run, nothing written).
    #[getter]
    fn executed(&self) -> bool {
        self.report.is_some()
    }

    /// How many changes were applied (0 in a dry run).
    #[getter]
    fn applied(&self) -> usize {
        self.report.as_ref().map_or(0, |r| r.applied())
    }

    /// How many changes failed (0 in a dry run).
    #[getter]
    fn failed(&self) -> usize {
        self.report.as_ref().map_or(0, |r| r.failed())
    }

    /// The planned changes, as dicts (see `RepairPlan.actions`).
    #[getter]
    fn actions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.plan.actions)
    }

    /// Each applied change and its outcome, as dicts `{"action": {...}, "error": None | str}`
    /// (empty in a dry run).
    #[getter]
    fn outcomes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.summary().outcomes)
    }

    /// The report as pretty JSON: `executed`, `applied`, `failed`, `actions`, `outcomes`.
    fn to_json(&self) -> String {
        self.summary().to_json()
    }

    fn __repr__(&self) -> String {
        format!(
            "RepairReport(executed={}, actions={}, applied={}, failed={})",
            if self.executed() { "True" } else { "False" },
            self.plan.actions.len(),
            self.applied(),
            self.failed()
        )
    }
}

/// What a sync did, or would do (a dry run).
#[pyclass(name = "RunReport", module = "notion_xws", frozen)]
#[derive(Debug, Clone)]
pub(crate) struct PyRunReport(
    Arc<notion_xws_core::sync::RunReport>,
    /// The options of a plan (a dry run), which its saved plan records.
    Option<PlanFlags>,
);

impl PyRunReport {
    /// Wraps the core's report.
    pub(crate) fn new(report: notion_xws_core::sync::RunReport) -> Self {
        Self(Arc::new(report), None)
    }

    /// Wraps the core's report of a plan made with `flags`.
    pub(crate) fn planned(report: notion_xws_core::sync::RunReport, flags: PlanFlags) -> Self {
        Self(Arc::new(report), Some(flags))
    }
}

#[pymethods]
impl PyRunReport {
    /// Whether nothing was written (a plan).
    #[getter]
    fn dry_run(&self) -> bool {
        self.0.dry_run
    }

    /// Each (database, environment) pair: a dict with `pair`, `state`, the counts, `requests`,
    /// `writes`, `errors` and `notes`.
    #[getter]
    fn pairs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.0.pairs)
    }

    /// Target rows created (planned, in a dry run), all pairs together.
    #[getter]
    fn created(&self) -> usize {
        self.0.created()
    }

    /// Target rows updated (planned, in a dry run).
    #[getter]
    fn updated(&self) -> usize {
        self.0.updated()
    }

    /// Target rows trashed (planned, in a dry run).
    #[getter]
    fn trashed(&self) -> usize {
        self.0.trashed()
    }

    /// Rows already the same on both sides.
    #[getter]
    fn unchanged(&self) -> usize {
        self.0.unchanged()
    }

    /// Writes that failed.
    #[getter]
    fn failed(&self) -> usize {
        self.0.failed()
    }

    /// Requests the pairs made.
    #[getter]
    fn requests(&self) -> u64 {
        self.0.requests()
    }

    /// Requests the pairs made that write.
    #[getter]
    fn writes(&self) -> u64 {
        self.0.writes()
    }

    /// Whether a pair failed.
    #[getter]
    fn has_failures(&self) -> bool {
        self.0.has_failures()
    }

    /// The run's exit status, as the command exits with it: 0 all synced, 1 something failed,
    /// 3 a person is needed (see `needs_person`).
    #[getter]
    fn exit_status(&self) -> i32 {
        self.0.exit_status()
    }

    /// The pairs that need a person: dicts with `pair`, `cause`, `reason` and `fix`.
    #[getter]
    fn needs_person<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.0.needs_person())
    }

    /// When the run started (RFC 3339, UTC).
    #[getter]
    fn started_at(&self) -> &str {
        &self.0.started_at
    }

    /// How long the run took, in milliseconds.
    #[getter]
    fn duration_ms(&self) -> u64 {
        self.0.duration_ms
    }

    /// The totals, all pairs together: a dict (`pairs`, `created`, `updated`, `trashed`,
    /// `unchanged`, `conflicts`, `failed`, `requests`, `writes`, `copies_created`).
    #[getter]
    fn totals<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.0.totals())
    }

    /// In a plan (a dry run): each pair's plan as data, a dict with `pair`, `schema` (the
    /// column steps), `actions` (each row write: `action`, `side`, `row`, `from`, `title`,
    /// `changes` with each property's `before` and `after`, `reason`) and `fingerprint`.
    #[getter]
    fn actions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.0.planned())
    }

    /// Saves the plan to `path` (JSON, versioned, no token), for `Client.apply_plan` (or
    /// `notion-xws sync --execute --plan`) to apply exactly. Only a plan (a dry run) can be
    /// saved.
    fn save_plan(&self, path: std::path::PathBuf) -> PyResult<()> {
        let Some(flags) = &self.1 else {
            return Err(PyXwsError(Error::Config(
                "only a plan (Client.plan, or sync without execute) can be saved".into(),
            ))
            .into());
        };
        let saved = SavedPlan::new(&self.0, flags.clone());
        std::fs::write(&path, saved.to_json()).map_err(|e| {
            PyXwsError(Error::Config(format!(
                "cannot write the plan to {}: {e}",
                path.display()
            )))
        })?;
        Ok(())
    }

    /// The report as JSON.
    fn to_json(&self) -> String {
        self.0.to_json()
    }

    /// The report as Markdown.
    fn to_markdown(&self) -> String {
        self.0.to_markdown()
    }

    /// The report as plain text, no line wider than `width`.
    #[pyo3(signature = (width = 80))]
    fn to_text(&self, width: usize) -> String {
        self.0.to_text(width)
    }

    fn __repr__(&self) -> String {
        format!(
            "RunReport(dry_run={}, pairs={}, created={}, updated={}, trashed={}, failed={})",
            if self.0.dry_run { "True" } else { "False" },
            self.0.pairs.len(),
            self.created(),
            self.updated(),
            self.trashed(),
            self.failed()
        )
    }
}
