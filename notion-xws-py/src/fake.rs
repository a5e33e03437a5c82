//! `FakeNotion` and `FakeWorkspace`: the core's fake Notion, for Python tests (`notion_xws.testing`).
//!
//! The class holds a core [`FakeNotion`] and, once [`serve`](PyFakeNotion::serve) was called, its
//! HTTP server, which runs on the binding's one runtime until `stop()` or until the object is
//! dropped. Every method converts its arguments, calls the core and converts the answer; errors
//! go through `errors.rs`. The fake's tokens are given to Python on purpose (they are fake);
//! `repr` never shows them.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use notion_xws_core::demo::DemoWorld;
use notion_xws_core::fake::{
    FakeConfig, FakeNotion, FakeServer, FakeWorkspace, Fault, FaultConfig,
};
use notion_xws_core::rate::RateBudget;
use notion_xws_core::transport::Method;
use notion_xws_core::{Error, NotionLink, NotionToken, UserId, WorkspaceId};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::errors::PyXwsError;
use crate::runtime;

/// A workspace of the fake, with its first integration and a root page shared with it.
#[pyclass(name = "FakeWorkspace", module = "notion_xws.testing", frozen)]
pub(crate) struct PyFakeWorkspace {
    /// The workspace's name.
    #[pyo3(get)]
    name: String,
    /// The workspace's ID, lowercase and dashed.
    #[pyo3(get)]
    workspace_id: String,
    /// The token of the workspace's integration (a fake one).
    #[pyo3(get)]
    token: String,
    /// The name of the integration (the one Notion's 404s name).
    #[pyo3(get)]
    integration_name: String,
    /// The bot user of the integration, lowercase and dashed.
    #[pyo3(get)]
    integration_id: String,
    /// A page at the top of the workspace, shared with the integration, lowercase and dashed.
    #[pyo3(get)]
    root_page_id: String,
    /// The workspace's owner (a person), lowercase and dashed.
    #[pyo3(get)]
    owner_id: String,
}

impl From<FakeWorkspace> for PyFakeWorkspace {
    fn from(workspace: FakeWorkspace) -> Self {
        Self {
            name: workspace.name,
            workspace_id: workspace.workspace_id.to_string(),
            token: workspace.token.expose().to_owned(),
            integration_name: workspace.integration_name,
            integration_id: workspace.integration_id.to_string(),
            root_page_id: workspace.root_page_id.to_string(),
            owner_id: workspace.owner_id.to_string(),
        }
    }
}

impl std::fmt::Debug for PyFakeWorkspace {
    /// Everything but the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeWorkspace")
            .field("name", &self.name)
            .field("workspace_id", &self.workspace_id)
            .field("integration_name", &self.integration_name)
            .field("root_page_id", &self.root_page_id)
            .finish_non_exhaustive()
    }
}

#[pymethods]
impl PyFakeWorkspace {
    fn __repr__(&self) -> String {
        format!(
            "FakeWorkspace(name={:?}, workspace_id='{}', integration_name={:?}, root_page_id='{}')",
            self.name, self.workspace_id, self.integration_name, self.root_page_id
        )
    }
}

/// A fake Notion of many workspaces, in memory, served over HTTP on 127.0.0.1 on demand.
#[pyclass(name = "FakeNotion", module = "notion_xws.testing", frozen)]
#[derive(Debug)]
pub(crate) struct PyFakeNotion {
    fake: FakeNotion,
    server: Mutex<Option<FakeServer>>,
}

impl PyFakeNotion {
    /// The core's fake (what a `Client(fake=...)` sends to).
    pub(crate) fn inner(&self) -> &FakeNotion {
        &self.fake
    }

    fn server(&self) -> MutexGuard<'_, Option<FakeServer>> {
        self.server.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn token(text: &str) -> Result<NotionToken, PyXwsError> {
    NotionToken::new(text).map_err(|e| PyXwsError(e.into()))
}

fn rate(name: &str, value: f64) -> Result<f64, PyXwsError> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(PyXwsError(Error::Config(format!(
            "{name} must be a probability between 0 and 1, not {value}"
        ))))
    }
}

/// A duration in seconds: finite and not negative.
fn seconds(name: &str, value: f64) -> Result<Duration, PyXwsError> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        PyXwsError(Error::Config(format!(
            "{name} must be a number of seconds, 0 or more, not {value}"
        )))
    })
}

fn budget(
    name: &str,
    per_minute: Option<u32>,
    burst: u32,
) -> Result<Option<RateBudget>, PyXwsError> {
    match per_minute {
        Some(0) => Err(PyXwsError(Error::Config(format!(
            "{name} must be at least 1 (None: unlimited)"
        )))),
        Some(n) => Ok(Some(RateBudget::new(n, burst))),
        None => Ok(None),
    }
}

#[pymethods]
impl PyFakeNotion {
    /// A fake Notion with no workspaces. Rates are `None` (unlimited) or requests per minute;
    /// `burst` (default 3, Notion's) applies to both budgets; fault rates are probabilities.
    #[new]
    #[pyo3(signature = (
        requests_per_minute = None,
        burst = None,
        workspace_requests_per_minute = None,
        latency_ms = 0,
        seed = 0,
        *,
        rate_limited = 0.0,
        service_overload = 0.0,
        server_error = 0.0,
        conflict = 0.0,
        timeout_after_write = 0.0,
        timeout_before_write = 0.0,
        committed_unavailable = 0.0,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        requests_per_minute: Option<u32>,
        burst: Option<u32>,
        workspace_requests_per_minute: Option<u32>,
        latency_ms: u64,
        seed: u64,
        rate_limited: f64,
        service_overload: f64,
        server_error: f64,
        conflict: f64,
        timeout_after_write: f64,
        timeout_before_write: f64,
        committed_unavailable: f64,
    ) -> Result<Self, PyXwsError> {
        if burst == Some(0) {
            return Err(PyXwsError(Error::Config("burst must be at least 1".into())));
        }
        if burst.is_some()
            && requests_per_minute.is_none()
            && workspace_requests_per_minute.is_none()
        {
            return Err(PyXwsError(Error::Config(
                "burst needs requests_per_minute or workspace_requests_per_minute".into(),
            )));
        }
        let burst = burst.unwrap_or(RateBudget::NOTION_DEFAULT.burst.get());
        let config = FakeConfig {
            seed,
            per_token: budget("requests_per_minute", requests_per_minute, burst)?,
            per_workspace: budget(
                "workspace_requests_per_minute",
                workspace_requests_per_minute,
                burst,
            )?,
            latency: Duration::from_millis(latency_ms),
            faults: FaultConfig {
                seed,
                rate_limited: rate("rate_limited", rate_limited)?,
                service_overload: rate("service_overload", service_overload)?,
                server_error: rate("server_error", server_error)?,
                conflict: rate("conflict", conflict)?,
                timeout_after_write: rate("timeout_after_write", timeout_after_write)?,
                timeout_before_write: rate("timeout_before_write", timeout_before_write)?,
                committed_unavailable: rate("committed_unavailable", committed_unavailable)?,
                ..FaultConfig::default()
            },
            ..FakeConfig::default()
        };
        Ok(Self {
            fake: FakeNotion::new(config),
            server: Mutex::new(None),
        })
    }

    /// Makes a workspace with an integration and a root page shared with it.
    fn add_workspace(&self, py: Python<'_>, name: &str) -> PyFakeWorkspace {
        py.detach(|| self.fake.add_workspace(name)).into()
    }

    /// Adds a person to a workspace; returns the user's ID.
    fn add_user(
        &self,
        py: Python<'_>,
        workspace_id: &str,
        name: &str,
        email: &str,
    ) -> Result<String, PyXwsError> {
        let workspace: WorkspaceId = workspace_id
            .parse()
            .map_err(|e| PyXwsError(Error::from(e)))?;
        let user = py.detach(|| self.fake.add_user(workspace, name, email))?;
        Ok(user.to_string())
    }

    /// Adds another internal integration to a workspace (it sees nothing until something is
    /// shared with it); returns a dict: `name`, `token`, `integration_id`, `workspace_id`.
    fn add_integration<'py>(
        &self,
        py: Python<'py>,
        workspace_id: &str,
        name: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        let workspace: WorkspaceId = workspace_id
            .parse()
            .map_err(|e| PyXwsError(Error::from(e)))?;
        let integration = py
            .detach(|| self.fake.add_integration(workspace, name))
            .map_err(PyXwsError)?;
        let dict = PyDict::new(py);
        dict.set_item("name", &integration.name)?;
        dict.set_item("token", integration.token.expose())?;
        dict.set_item("integration_id", integration.integration_id.to_string())?;
        dict.set_item("workspace_id", integration.workspace_id.to_string())?;
        Ok(dict)
    }

    /// Refreshes the secret of the token's integration (the same integration under a new
    /// token, which is returned; the old one is answered 401 from now on).
    fn refresh_token(&self, py: Python<'_>, token: &str) -> Result<String, PyXwsError> {
        let token = self::token(token)?;
        let fresh = py.detach(|| self.fake.refresh_token(&token))?;
        Ok(fresh.expose().to_owned())
    }

    /// Revokes a token (it is answered 401 from now on); returns whether the fake knew it.
    fn revoke_token(&self, py: Python<'_>, token: &str) -> Result<bool, PyXwsError> {
        let token = self::token(token)?;
        Ok(py.detach(|| self.fake.revoke_token(&token)))
    }

    /// Shares an object (an ID or a Notion link) with the token's integration.
    fn share(&self, py: Python<'_>, token: &str, object_id: &str) -> Result<(), PyXwsError> {
        let token = self::token(token)?;
        let link = NotionLink::parse(object_id).map_err(|e| PyXwsError(e.into()))?;
        Ok(py.detach(|| self.fake.share(&token, link.id))?)
    }

    /// Stops sharing an object (an ID or a Notion link) with the token's integration.
    fn unshare(&self, py: Python<'_>, token: &str, object_id: &str) -> Result<(), PyXwsError> {
        let token = self::token(token)?;
        let link = NotionLink::parse(object_id).map_err(|e| PyXwsError(e.into()))?;
        Ok(py.detach(|| self.fake.unshare(&token, link.id))?)
    }

    /// Serves the API over HTTP on 127.0.0.1 in the background; returns the base URL. Serving
    /// again returns the same URL.
    fn serve(&self, py: Python<'_>) -> Result<String, PyXwsError> {
        let mut server = self.server();
        if let Some(running) = server.as_ref() {
            return Ok(running.base_url());
        }
        let running = runtime::block_on(py, || self.fake.serve())?;
        let url = running.base_url();
        *server = Some(running);
        Ok(url)
    }

    /// Scripts a fault: the next request with `method` (any, if None) whose path contains
    /// `path_contains` gets `fault` (`"rate_limited"`, `"service_overload"`,
    /// `"internal_server_error"`, `"service_unavailable"`, `"gateway_timeout"`, `"conflict"`,
    /// `"timeout_before_write"`, `"timeout_after_write"`, `"committed_unavailable"`;
    /// `retry_after` in seconds for the first two). Scripts fire once each, in order.
    #[pyo3(signature = (path_contains, fault, *, method = None, retry_after = 0))]
    fn fail_next(
        &self,
        path_contains: &str,
        fault: &str,
        method: Option<&str>,
        retry_after: u64,
    ) -> Result<(), PyXwsError> {
        let fault = Fault::named(fault, retry_after)?;
        let method = method.map(str::parse::<Method>).transpose()?;
        self.fake.fail_next(method, path_contains, fault);
        Ok(())
    }

    /// Lays out the demo world (the gap report's registry and its workspaces) in this fake and
    /// returns what a test needs to point a client at it: `control_token` (what a user exports
    /// as `NOTION_TOKEN`), `control_workspace`, `environments` and `databases` (the registry
    /// rows' names, in order), and the registry's `environments_database` and
    /// `databases_database` IDs. Best called on a fresh fake.
    fn demo_world<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let world = runtime::run(py, || DemoWorld::build(&self.fake))?.map_err(PyXwsError)?;
        let dict = PyDict::new(py);
        dict.set_item("control_token", world.control_token.expose())?;
        dict.set_item("control_workspace", &world.control.name)?;
        let environments: Vec<&str> = world.environments.iter().map(|e| e.name.as_str()).collect();
        dict.set_item("environments", environments)?;
        let databases: Vec<&str> = world
            .registry_rows
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        dict.set_item("databases", databases)?;
        dict.set_item(
            "environments_database",
            world.registry.environments.database_id.to_string(),
        )?;
        dict.set_item(
            "databases_database",
            world.registry.databases.database_id.to_string(),
        )?;
        Ok(dict)
    }

    /// Sets a workspace's per-file upload limit in bytes (default 5 MiB, a free plan's; paid
    /// plans allow up to 5 GB).
    fn set_file_upload_limit(
        &self,
        py: Python<'_>,
        workspace_id: &str,
        bytes: u64,
    ) -> Result<(), PyXwsError> {
        let workspace: WorkspaceId = workspace_id
            .parse()
            .map_err(|e| PyXwsError(Error::from(e)))?;
        Ok(py.detach(|| self.fake.set_file_upload_limit(workspace, bytes))?)
    }

    /// Makes every `external_url` import of a file named `filename` end `failed`.
    fn fail_file_imports(&self, py: Python<'_>, filename: &str) {
        py.detach(|| self.fake.fail_file_imports(filename));
    }

    /// Makes a template of a data source titled `title` (the default template with
    /// `is_default`); returns the template page's ID.
    #[pyo3(signature = (data_source_id, title, *, is_default = false))]
    fn add_template(
        &self,
        py: Python<'_>,
        data_source_id: &str,
        title: &str,
        is_default: bool,
    ) -> Result<String, PyXwsError> {
        let link = NotionLink::parse(data_source_id).map_err(|e| PyXwsError(e.into()))?;
        let page = py.detach(|| self.fake.add_template(link.id, title, is_default))?;
        Ok(page.to_string())
    }

    /// Registers a public integration (an OAuth client) with its redirect URIs; returns a dict:
    /// `name`, `client_id`, `client_secret`, `redirect_uris`.
    fn add_public_integration<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        redirect_uris: Vec<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let uris: Vec<&str> = redirect_uris.iter().map(String::as_str).collect();
        let app = py.detach(|| self.fake.add_public_integration(name, &uris));
        let dict = PyDict::new(py);
        dict.set_item("name", &app.name)?;
        dict.set_item("client_id", &app.client_id)?;
        dict.set_item("client_secret", app.client_secret.expose())?;
        dict.set_item("redirect_uris", &app.redirect_uris)?;
        Ok(dict)
    }

    /// Plays a person's consent in the browser: in the workspace, `user_id` (its owner when
    /// None) authorizes the public integration `client_id`, sharing `pages` (IDs or links);
    /// returns the authorization code Notion redirects with, for `POST /v1/oauth/token`.
    #[pyo3(signature = (client_id, workspace_id, *, pages = Vec::new(), redirect_uri = None, user_id = None))]
    fn authorize(
        &self,
        py: Python<'_>,
        client_id: &str,
        workspace_id: &str,
        pages: Vec<String>,
        redirect_uri: Option<&str>,
        user_id: Option<&str>,
    ) -> Result<String, PyXwsError> {
        let workspace: WorkspaceId = workspace_id
            .parse()
            .map_err(|e| PyXwsError(Error::from(e)))?;
        let user: Option<UserId> = user_id
            .map(str::parse)
            .transpose()
            .map_err(|e| PyXwsError(Error::from(e)))?;
        let ids = pages
            .iter()
            .map(|p| NotionLink::parse(p).map(|link| link.id))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| PyXwsError(e.into()))?;
        let code = py.detach(|| {
            self.fake
                .authorize(client_id, workspace, user, redirect_uri, &ids)
        })?;
        Ok(code.expose().to_owned())
    }

    /// Adds a meeting note (a `meeting_notes` block) titled `title` under a page (an ID or a
    /// link); returns its ID.
    fn add_meeting_note(
        &self,
        py: Python<'_>,
        page_id: &str,
        title: &str,
    ) -> Result<String, PyXwsError> {
        let link = NotionLink::parse(page_id).map_err(|e| PyXwsError(e.into()))?;
        let note = py.detach(|| self.fake.add_meeting_note(link.id, title))?;
        Ok(note.to_string())
    }

    /// Adds a custom emoji to a workspace; returns its ID.
    fn add_custom_emoji(
        &self,
        py: Python<'_>,
        workspace_id: &str,
        name: &str,
        url: &str,
    ) -> Result<String, PyXwsError> {
        let workspace: WorkspaceId = workspace_id
            .parse()
            .map_err(|e| PyXwsError(Error::from(e)))?;
        let emoji = py.detach(|| self.fake.add_custom_emoji(workspace, name, url))?;
        Ok(emoji.to_string())
    }

    /// The fake's clock now, in seconds since the Unix epoch (what its `Date` headers say).
    fn now(&self, py: Python<'_>) -> f64 {
        let now = py.detach(|| self.fake.now());
        now.duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    }

    /// Sets how long a new page stays out of data-source queries, in seconds, from now on.
    fn set_query_lag(&self, py: Python<'_>, seconds: f64) -> Result<(), PyXwsError> {
        let lag = self::seconds("seconds", seconds)?;
        py.detach(|| self.fake.set_query_lag(lag));
        Ok(())
    }

    /// Sets how long a new page or data source stays out of search, in seconds, from now on.
    fn set_search_lag(&self, py: Python<'_>, seconds: f64) -> Result<(), PyXwsError> {
        let lag = self::seconds("seconds", seconds)?;
        py.detach(|| self.fake.set_search_lag(lag));
        Ok(())
    }

    /// Subscribes `url` (`http://` on 127.0.0.1 or localhost) to the webhook events of the
    /// token's integration; returns a dict: `subscription_id`, `verification_token`. The first
    /// delivery is the verification request; events are signed with the token
    /// (`X-Notion-Signature: sha256=<hex HMAC-SHA256 of the body>`).
    #[pyo3(signature = (token, url, *, api_version = "2025-09-03"))]
    fn subscribe_webhook<'py>(
        &self,
        py: Python<'py>,
        token: &str,
        url: &str,
        api_version: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        let token = self::token(token)?;
        let hook = py
            .detach(|| self.fake.subscribe_webhook(&token, url, api_version))
            .map_err(PyXwsError)?;
        let dict = PyDict::new(py);
        dict.set_item("subscription_id", hook.subscription_id.to_string())?;
        dict.set_item("verification_token", hook.verification_token())?;
        Ok(dict)
    }

    /// Sets the delay before a failed webhook delivery's second attempt, in seconds (each
    /// further attempt waits twice as long; 60 unless set).
    fn set_webhook_retry_delay(&self, py: Python<'_>, seconds: f64) -> Result<(), PyXwsError> {
        let delay = self::seconds("seconds", seconds)?;
        py.detach(|| self.fake.set_webhook_retry_delay(delay));
        Ok(())
    }

    /// How many webhook deliveries wait (due now or later).
    fn pending_webhooks(&self, py: Python<'_>) -> usize {
        py.detach(|| self.fake.pending_webhooks())
    }

    /// Sends the webhook deliveries due now; returns one dict per attempt:
    /// `subscription_id`, `event_type` (`"verification"` for the verification request),
    /// `event_id`, `attempt_number`, `status` (None when unreachable), `delivered`,
    /// `will_retry`.
    fn deliver_webhooks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let report = runtime::block_on(py, || self.fake.deliver_webhooks());
        let list = PyList::empty(py);
        for delivery in report {
            let dict = PyDict::new(py);
            dict.set_item("subscription_id", delivery.subscription_id.to_string())?;
            dict.set_item("event_type", delivery.event_type)?;
            dict.set_item("event_id", delivery.event_id.map(|e| e.to_string()))?;
            dict.set_item("attempt_number", delivery.attempt_number)?;
            dict.set_item("status", delivery.status)?;
            dict.set_item("delivered", delivery.delivered)?;
            dict.set_item("will_retry", delivery.will_retry)?;
            list.append(dict)?;
        }
        Ok(list)
    }

    /// Stops the HTTP server and waits until it has stopped (nothing happens if none runs).
    fn stop(&self, py: Python<'_>) {
        let running = self.server().take();
        if let Some(running) = running {
            runtime::block_on(py, || running.shutdown());
        }
    }

    /// The base URL while serving, else None.
    #[getter]
    fn base_url(&self) -> Option<String> {
        self.server().as_ref().map(FakeServer::base_url)
    }

    /// Every request received so far, in order, as dicts.
    fn request_log<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let log = py.detach(|| self.fake.request_log());
        let list = PyList::empty(py);
        for entry in log {
            let dict = PyDict::new(py);
            dict.set_item("method", entry.method.as_str())?;
            dict.set_item("path", entry.path)?;
            dict.set_item("status", entry.status)?;
            dict.set_item("workspace", entry.workspace)?;
            dict.set_item("integration", entry.integration)?;
            dict.set_item("fault", entry.fault)?;
            list.append(dict)?;
        }
        Ok(list)
    }

    /// Empties the request log.
    fn clear_request_log(&self, py: Python<'_>) {
        py.detach(|| self.fake.clear_request_log());
    }

    /// How many requests the fake has received (clearing the log does not reset it).
    fn requests_received(&self, py: Python<'_>) -> u64 {
        py.detach(|| self.fake.requests_received())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.stop(py);
        false
    }

    fn __repr__(&self) -> String {
        match self.base_url() {
            Some(url) => format!("FakeNotion(serving at {url})"),
            None => "FakeNotion(not serving)".to_owned(),
        }
    }
}
