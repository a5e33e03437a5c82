//! `Client`: the core's [`NotionClient`] over the standard [`TransportStack`], and the audit and
//! the repair as its methods.
//!
//! The client is built once (HTTP to a base URL, or a `notion_xws.testing.FakeNotion`'s in-memory
//! transport) and every method converts its arguments into a [`RegistryConfig`], runs the core's
//! [`audit`], [`plan_repair`] or [`apply_repair`] on the binding's runtime with the GIL released,
//! and wraps the result in the typed classes of `report.rs`. The token goes into the core's
//! [`NotionToken`] at once: it never prints, and the client's `repr` does not name it. The
//! client is the core's [`connect`], as the command's is.

use std::sync::Arc;

use notion_xws_core::audit::audit_with_progress;
use notion_xws_core::audit::notion::write_report_page;
use notion_xws_core::client::NotionClient;
use notion_xws_core::client::connect::{Endpoint, connect};
use notion_xws_core::init::init;
use notion_xws_core::rate::RateBudget;
use notion_xws_core::registry::find_data_source;
use notion_xws_core::registry::{Registry, RegistryConfig};
use notion_xws_core::repair::{apply_repair, audit_and_plan, today_utc};
use notion_xws_core::sync::notify::Notifier;
use notion_xws_core::sync::options::{Progress, ProgressFn};
use notion_xws_core::sync::planned::{PlanFlags, SavedPlan};
use notion_xws_core::sync::watch::{Cycle, WatchOptions, watch, watch_with_alerts};
use notion_xws_core::sync::{SyncOptions, apply_saved_plan, sync, transfer};
use notion_xws_core::{Error, NotionLink, NotionToken, PageId};
use pyo3::prelude::*;

use crate::errors::{PyOptionError, PyXwsError};
use crate::fake::PyFakeNotion;
use crate::report::{PyAuditReport, PyRepairPlan, PyRepairReport, PyRunReport, to_python};
use crate::runtime;

/// A progress callback that calls a Python callable with each report as a dict (the core's
/// JSON form: `notion_xws.types.ProgressEvent`); its errors are logged, not raised (a progress
/// bar must not stop a sync).
fn progress_callback(callable: Py<PyAny>) -> ProgressFn {
    std::sync::Arc::new(move |progress: &Progress| {
        Python::attach(|py| {
            let call = || -> PyResult<()> {
                callable.call1(py, (to_python(py, progress)?,))?;
                Ok(())
            };
            if let Err(error) = call() {
                tracing::warn!(%error, "the progress callback failed");
            }
        });
    })
}

/// `value` seconds as a duration; a negative or non-finite number is an `InvalidOptionError`
/// naming `what`.
fn seconds(value: f64, what: &str) -> PyResult<std::time::Duration> {
    std::time::Duration::try_from_secs_f64(value).map_err(|_| {
        PyOptionError(Error::Config(format!(
            "{what} must be a number of seconds, 0 or more"
        )))
        .into()
    })
}

/// The webhook of `notify=`, checked before the run (a URL it cannot take is an
/// `InvalidOptionError`).
fn notifier(url: Option<&str>) -> PyResult<Option<Notifier>> {
    Ok(url.map(Notifier::new).transpose().map_err(PyOptionError)?)
}

/// The keyword arguments `sync` and `watch` share, turned into the core's options in one place.
struct SyncArgs<'a> {
    only: Option<String>,
    allow_mass_delete: bool,
    conflict_policy: &'a str,
    people_fallback: &'a str,
    wait: Option<f64>,
    recreate: bool,
    prune: bool,
    prune_columns: bool,
    full: bool,
    full_every: f64,
}

impl SyncArgs<'_> {
    /// The sync's options, writing (`execute`) or not; words and numbers it cannot take are an
    /// `InvalidOptionError` (a `ValueError`).
    fn options(self, execute: bool) -> PyResult<SyncOptions> {
        let mut options = SyncOptions::from_args(
            execute,
            self.only,
            self.allow_mass_delete,
            self.conflict_policy,
            self.people_fallback,
        )
        .map_err(PyOptionError)?;
        options.lease.wait = self.wait.map(|w| seconds(w, "wait")).transpose()?;
        options.recreate = self.recreate;
        options.plan.prune = self.prune;
        options.plan.prune_columns = self.prune_columns;
        let full_every = seconds(self.full_every, "full_every")?;
        if full_every.is_zero() {
            return Err(PyOptionError(Error::Config(
                "full_every must be more than 0 seconds".into(),
            ))
            .into());
        }
        options.incremental = notion_xws_core::sync::watermark::IncrementalOptions {
            full: self.full,
            full_every,
        };
        Ok(options)
    }
}

/// A client of the Notion API, for one (control) token.
#[pyclass(name = "Client", module = "notion_xws", frozen)]
#[derive(Debug)]
pub(crate) struct PyClient {
    client: NotionClient,
    /// The base URL, or `"fake"`; for `repr`.
    target: String,
}

#[pymethods]
impl PyClient {
    /// A client of `token` (never shown) to the API at `base_url`, each token paced at
    /// `requests_per_minute` with bursts of `burst`, each request waiting at most `max_wait`
    /// seconds in all for Notion (a longer `Retry-After` raises `RateLimitedError` with
    /// `retry_after`, as `--max-wait` does); or, when `fake` (a
    /// `notion_xws.testing.FakeNotion`) is given, to that fake in memory, with the same retries
    /// but paced only by the fake's own limits (`base_url` and the budget are then unused).
    #[new]
    #[pyo3(signature = (
        token,
        *,
        base_url = "https://api.notion.com",
        api_version = "2026-03-11",
        requests_per_minute = 180,
        burst = 3,
        max_wait = 300.0,
        fake = None,
    ))]
    fn new(
        token: &str,
        base_url: &str,
        api_version: &str,
        requests_per_minute: u32,
        burst: u32,
        max_wait: f64,
        fake: Option<PyRef<'_, PyFakeNotion>>,
    ) -> PyResult<Self> {
        let token = NotionToken::new(token).map_err(|e| PyXwsError(e.into()))?;
        let max_wait = seconds(max_wait, "max_wait")?;
        let budget = RateBudget::checked(requests_per_minute, burst).map_err(PyOptionError)?;
        let (endpoint, label) = match &fake {
            Some(fake) => (
                Endpoint::InMemory(Arc::new(fake.inner().clone())),
                "fake".to_owned(),
            ),
            None => (
                Endpoint::Http(base_url.to_owned()),
                base_url.trim().to_owned(),
            ),
        };
        let client =
            connect(endpoint, token, api_version, budget, max_wait).map_err(PyOptionError)?;
        Ok(Self {
            client,
            target: label,
        })
    }

    /// Reads the registry and audits it (read only); with `to_notion`, also writes the report
    /// as the page "notion-xws audit report" under the registry's page, replacing the previous
    /// one (its link in `notion_page`). `progress`, if given, is called with each phase's
    /// progress (`tokens`, `parent_pages`, `databases`, `token_copies`) as a dict.
    #[pyo3(signature = (environments = None, databases = None, to_notion = false, progress = None))]
    fn audit(
        &self,
        py: Python<'_>,
        environments: Option<String>,
        databases: Option<String>,
        to_notion: bool,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<PyAuditReport> {
        let config = RegistryConfig::new(environments, databases);
        let progress = progress.map(progress_callback);
        let (report, page) = runtime::run(py, || async {
            let (registry, report) =
                audit_with_progress(&self.client, &config, progress.clone()).await?;
            let page = if to_notion {
                Some(
                    write_report_page(&self.client, &registry, &report)
                        .await?
                        .url,
                )
            } else {
                None
            };
            Ok::<_, Error>((report, page))
        })?
        .map_err(PyXwsError)?;
        Ok(PyAuditReport::new(report, page))
    }

    /// Reads the registry (read only): a dict with `environments`, `databases` and `clients`
    /// (each a list of dicts, tokens shown only as how they are kept), the registry tables and
    /// the column names.
    #[pyo3(signature = (environments = None, databases = None))]
    fn registry<'py>(
        &self,
        py: Python<'py>,
        environments: Option<String>,
        databases: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let config = RegistryConfig::new(environments, databases);
        let registry =
            runtime::run(py, || Registry::read(&self.client, &config))?.map_err(PyXwsError)?;
        crate::report::to_python(py, &registry)
    }

    /// Creates the registry (`system-environments` and `system-databases`, with every column
    /// and the relation between them) under the page `parent` (a link or ID), or adds the
    /// columns an existing registry lacks (the repair's code); a second run writes nothing. A
    /// dict: `created`, `found`, `columns` (each added column's `action` and `error`), `writes`,
    /// `failed`.
    #[pyo3(signature = (parent, environments = None, databases = None))]
    fn init<'py>(
        &self,
        py: Python<'py>,
        parent: String,
        environments: Option<String>,
        databases: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let config = RegistryConfig::new(environments, databases);
        let report =
            runtime::run(py, || init(&self.client, &config, &parent))?.map_err(PyXwsError)?;
        py.import("json")?
            .call_method1("loads", (report.to_json(),))
    }

    /// Audits the registry and plans its repair; writes nothing.
    #[pyo3(signature = (environments = None, databases = None, today = None))]
    fn plan_repair(
        &self,
        py: Python<'_>,
        environments: Option<String>,
        databases: Option<String>,
        today: Option<String>,
    ) -> PyResult<PyRepairPlan> {
        let config = RegistryConfig::new(environments, databases);
        let today = today.unwrap_or_else(today_utc);
        let (_, plan) = runtime::run(py, || audit_and_plan(&self.client, &config, &today))?
            .map_err(PyXwsError)?;
        Ok(PyRepairPlan::new(plan))
    }

    /// Audits the registry, plans its repair and, with `execute=True`, applies it. While the
    /// audit has P0 findings about the registry's shape, nothing is applied (each change says
    /// why) unless `despite_shape_findings=True` (a person has read them).
    #[pyo3(signature = (
        execute = false,
        environments = None,
        databases = None,
        today = None,
        despite_shape_findings = false,
    ))]
    fn repair(
        &self,
        py: Python<'_>,
        execute: bool,
        environments: Option<String>,
        databases: Option<String>,
        today: Option<String>,
        despite_shape_findings: bool,
    ) -> PyResult<PyRepairReport> {
        let config = RegistryConfig::new(environments, databases);
        let today = today.unwrap_or_else(today_utc);
        let client = &self.client;
        let (plan, report) = runtime::run(py, || async {
            let (registry, mut plan) = audit_and_plan(client, &config, &today).await?;
            if despite_shape_findings {
                plan.allow_shape_findings();
            }
            let report = if execute {
                Some(apply_repair(client, &registry, &plan).await)
            } else {
                None
            };
            Ok::<_, Error>((plan, report))
        })?
        .map_err(PyXwsError)?;
        Ok(PyRepairReport::new(plan, report))
    }

    /// Audits the registry and plans the sync of every pair (or of the environment or client
    /// `only`); writes nothing. The report's counts are what a sync would do. `progress` is
    /// `sync`'s.
    #[pyo3(signature = (
        only = None,
        environments = None,
        databases = None,
        allow_mass_delete = false,
        conflict_policy = "report",
        people_fallback = "leave",
        recreate = false,
        prune = false,
        prune_columns = false,
        full = false,
        full_every = 86400.0,
        progress = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn plan(
        &self,
        py: Python<'_>,
        only: Option<String>,
        environments: Option<String>,
        databases: Option<String>,
        allow_mass_delete: bool,
        conflict_policy: &str,
        people_fallback: &str,
        recreate: bool,
        prune: bool,
        prune_columns: bool,
        full: bool,
        full_every: f64,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<PyRunReport> {
        self.sync(
            py,
            false,
            only,
            environments,
            databases,
            allow_mass_delete,
            conflict_policy,
            people_fallback,
            progress,
            None,
            recreate,
            prune,
            prune_columns,
            full,
            full_every,
            None,
        )
    }

    /// Audits the registry, plans the sync and, with `execute=True`, applies it: every row
    /// exactly once, within each token's rate budget. `conflict_policy` settles two-way
    /// conflicts (`report`, `control-wins`, `environment-wins`, `newer-wins`);
    /// `people_fallback` says what one-way pairs do with people they cannot match by email
    /// (`leave` them out, or write their `names` into a `<column> (unmatched)` text column).
    /// `progress`, if given, is called with a dict for each step of the run (`phase`: the
    /// audit's `tokens`, `parent_pages`, `databases`; `pairs`; and each pair's `locating`,
    /// `reading`, `planning`, `writing`, `finished`), one-way and two-way pairs alike. `wait` (seconds) waits that long for a pair another run is writing, instead of
    /// leaving it to that run (its class is then `busy`). `recreate=True` makes a new copy, with
    /// every row, of a pair whose copy is in Notion's trash (else such a pair needs a person).
    /// `prune=True` trashes the rows a person added to a one-way copy (else kept, and named in
    /// each pair's `added_by_hand`), counted by the max-delete guard. `prune_columns=True`
    /// removes a copy's columns whose source column was deleted (else kept, and named in the
    /// notes). A pair that synced cleanly reads only what changed since its watermark;
    /// `full=True` compares every row instead, as each pair does at least every `full_every`
    /// seconds (default a day). `notify` (a webhook URL:
    /// `https://`, or `http://` to 127.0.0.1) is posted a JSON summary when the run needs a
    /// person or failed, as the command's `--notify` posts it; an alert that cannot be posted is
    /// a warning in the log, and the report stays the run's.
    #[pyo3(signature = (
        execute = false,
        only = None,
        environments = None,
        databases = None,
        allow_mass_delete = false,
        conflict_policy = "report",
        people_fallback = "leave",
        progress = None,
        wait = None,
        recreate = false,
        prune = false,
        prune_columns = false,
        full = false,
        full_every = 86400.0,
        notify = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn sync(
        &self,
        py: Python<'_>,
        execute: bool,
        only: Option<String>,
        environments: Option<String>,
        databases: Option<String>,
        allow_mass_delete: bool,
        conflict_policy: &str,
        people_fallback: &str,
        progress: Option<Py<PyAny>>,
        wait: Option<f64>,
        recreate: bool,
        prune: bool,
        prune_columns: bool,
        full: bool,
        full_every: f64,
        notify: Option<String>,
    ) -> PyResult<PyRunReport> {
        let notifier = notifier(notify.as_deref())?;
        let config = RegistryConfig::new(environments, databases);
        let flags = PlanFlags {
            client: only.clone(),
            allow_mass_delete,
            recreate,
            prune,
            prune_columns,
            conflicts: conflict_policy.to_owned(),
            people_fallback: people_fallback.to_owned(),
            full,
        };
        let options = SyncArgs {
            only,
            allow_mass_delete,
            conflict_policy,
            people_fallback,
            wait,
            recreate,
            prune,
            prune_columns,
            full,
            full_every,
        }
        .options(execute)?;
        let progress = progress.map(progress_callback);
        let client = &self.client;
        let (config, options) = (&config, &options);
        let report = runtime::run(py, || async move {
            let report = sync(client, config, options, progress).await?;
            if let Some(notifier) = &notifier {
                let lease = &options.lease;
                if let Err(error) = notifier.notify(&report, &lease.run_id, &lease.host).await {
                    tracing::warn!(%error, "the alert was not posted; the report is the run's");
                }
            }
            Ok::<_, Error>(report)
        })?
        .map_err(PyXwsError)?;
        Ok(match execute {
            true => PyRunReport::new(report),
            false => PyRunReport::planned(report, flags),
        })
    }

    /// Applies exactly the plan saved in `path` (`RunReport.save_plan`, or `notion-xws plan
    /// --out`), with the options it was made with: the pairs are planned again first, and when
    /// anything the plan was made from changed since (a row edited on either side, a schema,
    /// the registry's pairs), nothing is written and `PlanStaleError` names what changed. Else
    /// each pair writes the saved actions, and only them. `progress` is as for `sync`.
    #[pyo3(signature = (path, *, environments = None, databases = None, progress = None))]
    fn apply_plan(
        &self,
        py: Python<'_>,
        path: std::path::PathBuf,
        environments: Option<String>,
        databases: Option<String>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<PyRunReport> {
        let text = std::fs::read_to_string(&path).map_err(|e| {
            PyXwsError(Error::Config(format!(
                "cannot read the plan {}: {e}",
                path.display()
            )))
        })?;
        let saved = SavedPlan::from_json(&text).map_err(PyXwsError)?;
        let config = RegistryConfig::new(environments, databases);
        let options = SyncOptions::default();
        let progress = progress.map(progress_callback);
        let client = &self.client;
        let (config, options, saved) = (&config, &options, &saved);
        let report = runtime::run(py, || async move {
            apply_saved_plan(client, config, saved, options, progress).await
        })?
        .map_err(PyXwsError)?;
        Ok(PyRunReport::new(report))
    }

    /// Runs `sync(execute=True)` in cycles, `every` seconds (more than 0) between the end of one
    /// and the start of the next, longer after a failing cycle (doubling, up to six times
    /// `every` and at most an hour), until `cycles` cycles (`None`: until interrupted) or a
    /// configuration error. The other arguments are `sync`'s. `on_cycle`, if given, is called
    /// with a dict as each cycle ends (`cycle`, `start`, `end`, `duration_secs`, `exit_status`,
    /// `class`, the counts, `needs_person`, `error`, `stopped`, `next_in_secs`). Returns how it
    /// ended: a dict with `cycles`, `ended` (`cycles`, `configuration`), `exit_status` and
    /// `last` (the last cycle's dict). Ctrl-C stops the cycle between two writes (its leases
    /// released) and then raises `KeyboardInterrupt`; a second Ctrl-C stops at once. With
    /// `notify`, each cycle that needs a person or failed is posted there, as `sync` posts a run.
    #[pyo3(signature = (
        every,
        *,
        cycles = None,
        only = None,
        environments = None,
        databases = None,
        allow_mass_delete = false,
        conflict_policy = "report",
        people_fallback = "leave",
        wait = None,
        recreate = false,
        prune = false,
        prune_columns = false,
        full = false,
        full_every = 86400.0,
        notify = None,
        on_cycle = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn watch<'py>(
        &self,
        py: Python<'py>,
        every: f64,
        cycles: Option<u64>,
        only: Option<String>,
        environments: Option<String>,
        databases: Option<String>,
        allow_mass_delete: bool,
        conflict_policy: &str,
        people_fallback: &str,
        wait: Option<f64>,
        recreate: bool,
        prune: bool,
        prune_columns: bool,
        full: bool,
        full_every: f64,
        notify: Option<String>,
        on_cycle: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let notifier = notifier(notify.as_deref())?;
        let config = RegistryConfig::new(environments, databases);
        let options = SyncArgs {
            only,
            allow_mass_delete,
            conflict_policy,
            people_fallback,
            wait,
            recreate,
            prune,
            prune_columns,
            full,
            full_every,
        }
        .options(true)?;
        let every = WatchOptions::new(seconds(every, "every")?, cycles).map_err(PyOptionError)?;
        let client = &self.client;
        let stop = options.stop.clone();
        let heard = move |cycle: &Cycle| {
            if let Some(callable) = &on_cycle {
                Python::attach(|py| {
                    let call = || -> PyResult<()> {
                        callable.call1(py, (to_python(py, cycle)?,))?;
                        Ok(())
                    };
                    if let Err(error) = call() {
                        tracing::warn!(%error, "the on_cycle callback failed");
                    }
                });
            }
        };
        let (config, options, every) = (&config, &options, &every);
        let end = runtime::run_stopping(py, &stop, || async move {
            match &notifier {
                Some(notifier) => {
                    watch_with_alerts(client, config, options, every, notifier, heard).await
                }
                None => watch(client, config, options, every, heard).await,
            }
        })?;
        to_python(py, &end)
    }

    /// Copies the database `source` (an ID or link of a database or data source this client's
    /// token reads) into the page `target_parent` of another workspace, whose token is
    /// `target_token` (never shown): the old script's transfer mode. Running it again brings the
    /// copy up to date instead of making another. A dry run unless `execute=True`.
    #[pyo3(signature = (source, target_token, target_parent, *, execute = false, progress = None))]
    fn transfer(
        &self,
        py: Python<'_>,
        source: &str,
        target_token: &str,
        target_parent: &str,
        execute: bool,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<PyRunReport> {
        let target = self
            .client
            .for_token(NotionToken::new(target_token).map_err(|e| PyXwsError(e.into()))?);
        let parent = PageId::from(
            NotionLink::parse(target_parent)
                .map_err(|e| PyXwsError(e.into()))?
                .id,
        );
        let options =
            SyncOptions::from_args(execute, None, false, "report", "leave").map_err(PyXwsError)?;
        let progress = progress.map(progress_callback);
        let client = &self.client;
        let report = runtime::run(py, || async {
            let source = find_data_source(client, source).await?;
            transfer(client, source.id, &target, parent, &options, progress).await
        })?
        .map_err(PyXwsError)?;
        Ok(PyRunReport::new(report))
    }

    /// Who the token is: a dict with `id`, `name`, `workspace_id` and `workspace_name`.
    fn me<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let identity = runtime::run(py, || self.client.identity())?.map_err(PyXwsError)?;
        to_python(py, &identity)
    }

    /// The API version spoken.
    #[getter]
    fn api_version(&self) -> String {
        self.client.version().to_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "Client(target={:?}, api_version='{}')",
            self.target,
            self.client.version()
        )
    }
}
