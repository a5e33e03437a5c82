//! The fake Notion: a faithful, stateful, in-memory Notion of many workspaces, as a
//! [`Transport`] and as an HTTP server on 127.0.0.1.
//!
//! [`FakeNotion`] is to Notion what moto is to AWS: workspaces with integrations and tokens, pages,
//! databases with their data sources, rows with typed properties, blocks and file uploads,
//! comments and discussions, views and view queries, data-source templates, custom emojis, meeting
//! notes, public integrations (OAuth clients, installed by a person's consent:
//! [`FakeNotion::authorize`]), and the API over them (page moves, page markdown and the OAuth
//! token exchange included) with Notion's rules: the `Notion-Version` header, bearer tokens, sharing (an
//! integration sees only what is under a page shared with it), property validation, block and
//! rich-text validation (`block_requests`, `rich_text`: the SDK's request types, refused with
//! Notion's messages), pagination, the 10,000-result cap of queries, timestamps rounded down to
//! the minute, `archived` before 2026-03-11. It answers with the same JSON keys as the real API
//! (checked against recorded responses in the tests), in the shapes of the `Notion-Version` asked
//! for: [`SUPPORTED_VERSIONS`] (2022-06-28, with databases queried and holding their schema;
//! 2025-09-03 and 2026-03-11, with data sources; `versions` says how they differ).
//!
//! It implements [`Transport`] directly, and [`FakeNotion::serve`] serves the same API over HTTP
//! for [`HttpTransport`](crate::transport::http::HttpTransport) and the official SDKs; both go
//! through one request handler. Rate limits, latency, faults (random by seed, or scripted) and
//! read-after-write lag are configuration ([`FakeConfig`]), so the same fake serves integration
//! tests, reliability soaks and the product's demo. Time is tokio's clock: under
//! `#[tokio::test(start_paused = true)]` everything, including rate limits, is deterministic.
//! Webhook subscriptions get Notion's events, signed, with retries (`webhooks`:
//! [`FakeNotion::subscribe_webhook`], [`FakeNotion::deliver_webhooks`]).
//!
//! ```
//! use notion_xws_core::fake::{FakeConfig, FakeNotion};
//! use notion_xws_core::transport::{ApiRequest, Method, Transport};
//! use serde_json::json;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let notion = FakeNotion::new(FakeConfig::default());
//! let acme = notion.add_workspace("Acme");
//! let request = ApiRequest::new(Method::Post, "/v1/pages", acme.token.clone(), "2025-09-03")
//!     .with_body(json!({
//!         "parent": {"page_id": acme.root_page_id.to_string()},
//!         "properties": {"title": [{"text": {"content": "Hello"}}]},
//!     }));
//! let response = notion.send(request).await?;
//! assert_eq!(response.status, 200);
//! assert_eq!(response.body["object"], "page");
//! # Ok::<(), notion_xws_core::Error>(())
//! # }).unwrap();
//! ```

mod block_requests;
mod clock;
mod faults;
mod files;
mod handlers;
mod limits;
mod log;
mod markdown;
mod oauth;
mod query;
mod render;
mod reply;
mod request_bodies;
mod rich_text;
mod schema;
mod server;
mod setup;
mod state;
mod urls;
mod validate;
mod versions;
mod webhooks;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

pub use faults::{Fault, FaultConfig};
pub use log::LoggedRequest;
pub use server::FakeServer;
pub use webhooks::{
    DEFAULT_RETRY_DELAY, FakeWebhook, MAX_ATTEMPTS, WebhookDelivery, signature as webhook_signature,
};

use handlers::{Auth, Body, Incoming, Outgoing};
use state::{State, uuid};

use crate::error::{Error, Result, TransportErrorKind};
use crate::ids::{ObjectId, PageId, UserId, WorkspaceId};
use crate::rate::RateBudget;
use crate::secret::NotionToken;
use crate::transport::{ApiRequest, ApiResponse, Method, Transport};

/// The API versions the fake serves (`Notion-Version`), oldest first; others are answered 400.
pub const SUPPORTED_VERSIONS: [&str; 3] = versions::VERSIONS;

/// How the fake behaves: its seed, its clock, its limits and its faults.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeConfig {
    /// The seed of IDs and tokens: the same seed and the same calls give the same IDs.
    pub seed: u64,
    /// The wall time when the fake is made, in milliseconds since the Unix epoch (default
    /// 2026-07-04T09:00:00Z). Time then runs on tokio's clock.
    pub base_time_ms: i64,
    /// Each integration's budget (Notion's is [`RateBudget::NOTION_DEFAULT`]); `None`: unlimited.
    pub per_token: Option<RateBudget>,
    /// Each workspace's budget, shared by its integrations; `None`: unlimited.
    pub per_workspace: Option<RateBudget>,
    /// How long each request takes (slept on tokio's clock before it is handled).
    pub latency: Duration,
    /// Random faults.
    pub faults: FaultConfig,
    /// How long a new page stays out of data-source query results (read-after-write lag).
    pub query_lag: Duration,
    /// How long a new page or data source stays out of search results.
    pub search_lag: Duration,
    /// The most results one query can page through (Notion: 10,000).
    pub query_result_cap: usize,
    /// What a query with `in_trash: true` lists, which Notion does not document: the live rows
    /// with the trashed ones (`true`, the default), or the trashed rows alone. The sync must be
    /// right either way.
    pub trash_query_lists_live: bool,
}

impl Default for FakeConfig {
    /// Seed 0, 2026-07-04T09:00:00Z, no rate limits, no latency, no faults, no lag, the
    /// 10,000-result cap, and a query with `in_trash: true` listing live rows too.
    fn default() -> Self {
        Self {
            seed: 0,
            base_time_ms: 1_783_155_600_000,
            per_token: None,
            per_workspace: None,
            latency: Duration::ZERO,
            faults: FaultConfig::default(),
            query_lag: Duration::ZERO,
            search_lag: Duration::ZERO,
            query_result_cap: 10_000,
            trash_query_lists_live: true,
        }
    }
}

/// A workspace of the fake, with its first integration.
#[derive(Debug, Clone)]
pub struct FakeWorkspace {
    /// The workspace's name (`bot.workspace_name` of `GET /v1/users/me`).
    pub name: String,
    /// The workspace's ID.
    pub workspace_id: WorkspaceId,
    /// The token of the workspace's first integration.
    pub token: NotionToken,
    /// The name of that integration (the one Notion's 404s name).
    pub integration_name: String,
    /// The bot user of that integration.
    pub integration_id: UserId,
    /// A page at the top of the workspace, shared with that integration.
    pub root_page_id: PageId,
    /// The workspace's owner, a person.
    pub owner_id: UserId,
}

/// A further integration of a workspace.
#[derive(Debug, Clone)]
pub struct FakeIntegration {
    /// Its name.
    pub name: String,
    /// Its token.
    pub token: NotionToken,
    /// Its bot user.
    pub integration_id: UserId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
}

/// A public integration (an OAuth client) registered with the fake: what its settings page in
/// Notion shows. Its secret never prints.
#[derive(Debug, Clone)]
pub struct FakePublicIntegration {
    /// Its name (its bot's, in each workspace that installs it).
    pub name: String,
    /// The OAuth client ID (HTTP Basic auth's user).
    pub client_id: String,
    /// The OAuth client secret (HTTP Basic auth's password).
    pub client_secret: NotionToken,
    /// The redirect URIs of its settings.
    pub redirect_uris: Vec<String>,
}

/// The fake Notion. Cheap to clone: clones share one state. See the [module documentation](self).
#[derive(Clone)]
pub struct FakeNotion {
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for FakeNotion {
    /// Counts only: the state holds tokens, which never print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("FakeNotion")
            .field("workspaces", &state.workspaces.len())
            .field("integrations", &state.integrations.len())
            .field("objects", &state.objects.len())
            .field("requests", &state.requests)
            .finish()
    }
}

impl Default for FakeNotion {
    fn default() -> Self {
        Self::new(FakeConfig::default())
    }
}

impl FakeNotion {
    /// A fake Notion with no workspaces.
    pub fn new(config: FakeConfig) -> Self {
        Self {
            state: Arc::new(Mutex::new(State::new(config))),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The configuration.
    pub fn config(&self) -> FakeConfig {
        self.lock().config.clone()
    }

    /// Replaces the random faults from now on (and forgets scripted faults still to fire), so
    /// that a test can build a world without faults, then run against a faulty Notion.
    pub fn set_faults(&self, faults: FaultConfig) {
        let mut state = self.lock();
        state.faults = faults::FaultState::new(&faults);
        state.config.faults = faults;
    }

    /// The fake's clock now (what its answers' `Date` says).
    pub fn now(&self) -> std::time::SystemTime {
        let ms = self.lock().clock.now_ms();
        std::time::UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or_default())
    }

    /// Sets the read-after-write lag of queries from now on.
    pub fn set_query_lag(&self, lag: Duration) {
        self.lock().config.query_lag = lag;
    }

    /// Sets what a query with `in_trash: true` lists from now on
    /// ([`FakeConfig::trash_query_lists_live`]).
    pub fn set_trash_query_lists_live(&self, lists_live: bool) {
        self.lock().config.trash_query_lists_live = lists_live;
    }

    /// Sets the lag after which search lists a new object, from now on.
    pub fn set_search_lag(&self, lag: Duration) {
        self.lock().config.search_lag = lag;
    }

    /// Makes a workspace with an owner, an internal integration (its token is random-looking,
    /// `ntn_…`, from the seed) and a root page shared with that integration.
    pub fn add_workspace(&self, name: &str) -> FakeWorkspace {
        let mut state = self.lock();
        let (ws, integration) = state.add_workspace(name);
        let workspace = &state.workspaces[ws];
        let integ = &state.integrations[integration];
        let owner = state.owner_of(ws).unwrap_or(0);
        FakeWorkspace {
            name: workspace.name.clone(),
            workspace_id: WorkspaceId::from_u128(workspace.id),
            token: integ.token.clone(),
            integration_name: integ.name.clone(),
            integration_id: UserId::from_u128(integ.bot_id),
            root_page_id: PageId::from_u128(workspace.root_page),
            owner_id: UserId::from_u128(owner),
        }
    }

    /// Adds another internal integration to a workspace. It sees nothing until something is
    /// [shared](Self::share) with it.
    pub fn add_integration(&self, workspace: WorkspaceId, name: &str) -> Result<FakeIntegration> {
        let mut state = self.lock();
        let ws = workspace_index(&state, workspace)?;
        let index = state.add_integration(ws, name);
        let integ = &state.integrations[index];
        Ok(FakeIntegration {
            name: integ.name.clone(),
            token: integ.token.clone(),
            integration_id: UserId::from_u128(integ.bot_id),
            workspace_id: workspace,
        })
    }

    /// Refreshes the secret of the token's integration, as its settings page in Notion does:
    /// the same integration (its bot, what is shared with it) under a new token, which is
    /// returned; the old token is refused (401) from now on.
    pub fn refresh_token(&self, token: &NotionToken) -> Result<NotionToken> {
        self.lock()
            .refresh_token(token)
            .ok_or_else(|| Error::Config("the fake knows no such token".to_owned()))
    }

    /// Registers a public integration (an OAuth client) named `name` with its redirect URIs, as
    /// its settings page in Notion does: a client ID and a client secret (from the seed), for
    /// `POST /v1/oauth/token`, `/introspect` and `/revoke`. Workspaces install it through a
    /// person's consent ([`authorize`](Self::authorize)).
    pub fn add_public_integration(
        &self,
        name: &str,
        redirect_uris: &[&str],
    ) -> FakePublicIntegration {
        let uris: Vec<String> = redirect_uris.iter().map(|u| (*u).to_owned()).collect();
        let mut state = self.lock();
        let index = state.add_client(name, &uris);
        let client = &state.clients[index];
        FakePublicIntegration {
            name: client.name.clone(),
            client_id: client.id.clone(),
            client_secret: client.secret.clone(),
            redirect_uris: uris,
        }
    }

    /// Plays a person's consent in the browser: in `workspace`, `user` (the workspace's owner
    /// when `None`) authorizes the public integration `client_id`, sharing `pages` with it
    /// (and everything under them), and Notion redirects with the authorization code returned
    /// here, for `POST /v1/oauth/token`. `redirect_uri` is the authorization URL's: one of the
    /// integration's, needed when it has several. The workspace gets the integration's bot
    /// (once; a later consent shares more with the same bot); its token works once the code is
    /// exchanged, like an internal integration's, on what the person shared.
    pub fn authorize(
        &self,
        client_id: &str,
        workspace: WorkspaceId,
        user: Option<UserId>,
        redirect_uri: Option<&str>,
        pages: &[ObjectId],
    ) -> Result<NotionToken> {
        let mut state = self.lock();
        let ws = workspace_index(&state, workspace)?;
        let ids: Vec<u128> = pages.iter().map(|p| p.as_u128()).collect();
        state
            .authorize(client_id, ws, user.map(UserId::as_u128), redirect_uri, &ids)
            .map_err(|e| {
                Error::Config(match e {
                    oauth::ConsentError::UnknownClient => {
                        format!("the fake has no public integration {client_id}")
                    }
                    oauth::ConsentError::UnknownWorkspace => {
                        format!("the fake has no workspace {workspace}")
                    }
                    oauth::ConsentError::UnknownUser => {
                        format!("no such person in the workspace {workspace}")
                    }
                    oauth::ConsentError::RedirectUri => format!(
                        "the redirect URI must be one of the integration's ({})",
                        if redirect_uri.is_some() {
                            "this one is not"
                        } else {
                            "it has several: name one"
                        }
                    ),
                    oauth::ConsentError::NotInWorkspace(id) => {
                        format!("the fake has no object {} in the workspace", uuid(id))
                    }
                })
            })
    }

    /// Adds a meeting note under a page, as a recording with Notion's AI meeting notes makes
    /// one: a `meeting_notes` block (`transcription` under 2025-09-03) titled `title`, listed
    /// by `POST /v1/blocks/meeting_notes/query` to the integrations that see the page.
    pub fn add_meeting_note(&self, page: impl Into<ObjectId>, title: &str) -> Result<ObjectId> {
        let page = page.into();
        self.lock()
            .add_meeting_note(page.as_u128(), title)
            .map(ObjectId::from_u128)
            .ok_or_else(|| Error::Config(format!("the fake has no page {page}")))
    }

    /// Adds a person (a member with an email) to a workspace.
    pub fn add_user(&self, workspace: WorkspaceId, name: &str, email: &str) -> Result<UserId> {
        let mut state = self.lock();
        let ws = workspace_index(&state, workspace)?;
        Ok(UserId::from_u128(state.add_person(ws, name, email)))
    }

    /// Revokes a token: from now on it is answered 401. Returns whether the token was known.
    pub fn revoke_token(&self, token: &NotionToken) -> bool {
        let mut state = self.lock();
        match state.integration_by_token(token) {
            Some(i) => {
                state.integrations[i].revoked = true;
                true
            }
            None => false,
        }
    }

    /// Shares an object (and everything under it) with the token's integration.
    pub fn share(&self, token: &NotionToken, object: impl Into<ObjectId>) -> Result<()> {
        self.set_shared(token, object.into(), true)
    }

    /// Stops sharing an object with the token's integration: it loses access to that object and
    /// everything under it, even when a parent stays shared (sharing it again undoes this).
    pub fn unshare(&self, token: &NotionToken, object: impl Into<ObjectId>) -> Result<()> {
        self.set_shared(token, object.into(), false)
    }

    fn set_shared(&self, token: &NotionToken, object: ObjectId, on: bool) -> Result<()> {
        let mut state = self.lock();
        let index = state
            .integration_by_token(token)
            .ok_or_else(|| Error::Config("the fake knows no such token".to_owned()))?;
        let id = object.as_u128();
        let same_workspace = state
            .objects
            .get(&id)
            .is_some_and(|o| o.workspace == state.integrations[index].workspace);
        if !same_workspace {
            return Err(Error::Config(format!(
                "the fake has no object {} in the integration's workspace",
                uuid(id)
            )));
        }
        let integration = &mut state.integrations[index];
        if on {
            integration.unshared.remove(&id);
            integration.shared.insert(id);
        } else {
            integration.shared.remove(&id);
            integration.unshared.insert(id);
        }
        Ok(())
    }

    /// Every request received so far, in order.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.lock().log.clone()
    }

    /// Empties the request log (the request count keeps running).
    pub fn clear_request_log(&self) {
        self.lock().log.clear();
    }

    /// How many requests the fake has received.
    pub fn requests_received(&self) -> u64 {
        self.lock().requests
    }

    /// Scripts a fault: request number `n` (counting every request since the fake was made,
    /// from 1) gets `fault`.
    pub fn fail_request(&self, n: u64, fault: Fault) {
        self.lock().faults.script_nth(n, fault);
    }

    /// Scripts a fault: the next request with this method (any, if `None`) whose path contains
    /// `path_contains` gets `fault`. Scripts fire once each, in the order given.
    pub fn fail_next(&self, method: Option<Method>, path_contains: &str, fault: Fault) {
        self.lock().faults.script_next(method, path_contains, fault);
    }

    /// Sets a workspace's per-file upload limit, in bytes (default 5 MiB, a free plan's; paid
    /// plans allow up to 5 GB): what `GET /v1/users/me` reports and what uploads are held to.
    pub fn set_file_upload_limit(&self, workspace: WorkspaceId, bytes: u64) -> Result<()> {
        let mut state = self.lock();
        let ws = state
            .workspaces
            .iter_mut()
            .find(|w| w.id == workspace.as_u128())
            .ok_or_else(|| Error::Config(format!("the fake has no workspace {workspace}")))?;
        ws.upload_limit = bytes;
        Ok(())
    }

    /// Makes a template of a data source, titled `title`, as a person does in Notion's UI; with
    /// `is_default` it becomes the data source's default template. It is listed by
    /// `GET /v1/data_sources/{id}/templates` and used by `POST /v1/pages` with `template`; add
    /// content to it through the API (`PATCH /v1/blocks/{template}/children`).
    pub fn add_template(
        &self,
        data_source: impl Into<ObjectId>,
        title: &str,
        is_default: bool,
    ) -> Result<PageId> {
        let data_source = data_source.into();
        self.lock()
            .add_template(data_source.as_u128(), title, is_default)
            .map(PageId::from_u128)
            .ok_or_else(|| Error::Config(format!("the fake has no data source {data_source}")))
    }

    /// Adds a custom emoji to a workspace (listed by `GET /v1/custom_emojis`); returns its ID.
    pub fn add_custom_emoji(
        &self,
        workspace: WorkspaceId,
        name: &str,
        url: &str,
    ) -> Result<ObjectId> {
        let mut state = self.lock();
        let ws = workspace_index(&state, workspace)?;
        Ok(ObjectId::from_u128(state.add_custom_emoji(ws, name, url)))
    }

    /// Makes every `external_url` import of a file named `filename` end `failed` (after the
    /// usual wait), as when Notion cannot fetch the URL: a fault for tests of what a sync does
    /// with a file it cannot copy.
    pub fn fail_file_imports(&self, filename: &str) {
        self.lock().failing_imports.insert(filename.to_owned());
    }

    /// Serves the API over HTTP on 127.0.0.1 (a free port) until the server is shut down or
    /// dropped.
    pub async fn serve(&self) -> Result<FakeServer> {
        server::serve(self.clone()).await
    }

    /// Handles one request: the latency, then the shared handler.
    pub(crate) async fn handle(&self, incoming: Incoming) -> Outgoing {
        let latency = self.lock().config.latency;
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        self.lock().process(incoming)
    }

    /// How long the HTTP server holds a request that times out.
    pub(crate) fn hang(&self) -> Duration {
        self.lock().config.faults.hang
    }

    /// A fresh request ID (for answers outside the handler).
    pub(crate) fn request_id(&self) -> String {
        let mut state = self.lock();
        uuid(state.new_id(state::IdStyle::V4))
    }
}

/// The index of `workspace` in the fake's state; a configuration error when it has none.
fn workspace_index(state: &State, workspace: WorkspaceId) -> Result<usize> {
    state
        .workspaces
        .iter()
        .position(|w| w.id == workspace.as_u128())
        .ok_or_else(|| Error::Config(format!("the fake has no workspace {workspace}")))
}

#[async_trait]
impl Transport for FakeNotion {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse> {
        let operation = request.operation();
        let auth = Auth::from_header(Some(&request.authorization()));
        let incoming = Incoming {
            method: request.method,
            path: request.path,
            query: request.query,
            body: match (request.form, request.body) {
                (Some(form), _) => Body::Form(form),
                (None, Some(json)) => Body::Json(json),
                (None, None) => Body::Absent,
            },
            auth,
            version: request.notion_version,
        };
        let out = self.handle(incoming).await;
        if out.timeout {
            return Err(Error::Transport {
                kind: TransportErrorKind::Timeout,
                message: format!("{operation} timed out (fake Notion)"),
            });
        }
        Ok(ApiResponse {
            status: out.status,
            retry_after: out.retry_after,
            body: out.body,
            date: Some(self.now()),
        })
    }

    /// The bytes of a file the fake hosts, at a URL a read signed and that has not expired; a
    /// 403 (expired) or 404 (not hosted here, or no bytes held) otherwise, as S3 answers.
    async fn download(&self, url: &str) -> Result<Vec<u8>> {
        let state = self.lock();
        let address = url.split('?').next().unwrap_or_default();
        let refused = |status: u16| Error::Transport {
            kind: TransportErrorKind::InvalidResponse,
            message: format!("downloading {address} answered status {status}"),
        };
        if files::expires_ms(url).is_some_and(|end| end <= state.clock.now_ms()) {
            return Err(refused(403));
        }
        state
            .hosted
            .get(address)
            .cloned()
            .ok_or_else(|| refused(404))
    }
}
