//! The world the sync benchmarks run in, built in the fake Notion: a control workspace with the
//! registry (`system-databases`, `system-environments` with `Database-Parent-Page-ID`) and one
//! source database of many rows, pushed to several environments (one workspace and one token
//! each, each with a `database-parent-page`).
//!
//! The fake's rate limits belong to its [`FakeConfig`] and cannot change after it is made, so the
//! world is built through the same limits it is measured under: every setup request goes through
//! a [`TransportStack`] (rate-limited, retrying), with a second integration of the control
//! workspace (`Setup`), so that the control integration the sync runs with starts with its whole
//! budget and the request log of a run holds only the run's requests. On tokio's paused clock the
//! hour of simulated time this takes costs a few seconds of wall clock.
//!
//! The registry's columns are the ones the core's tests use (`tests/all/audit.rs`, `World`); the
//! source's rows carry nine property types.

use std::sync::Arc;

use notion_xws_core::NotionToken;
use notion_xws_core::client::NotionClient;
use notion_xws_core::fake::{FakeConfig, FakeNotion, FakeWorkspace};
use notion_xws_core::rate::RateBudget;
use notion_xws_core::transport::stack::{StackConfig, TransportStack};
use notion_xws_core::transport::{DynTransport, Method};
use serde_json::{Value, json};

use crate::api::{id, ok, text};

/// What to build.
#[derive(Debug, Clone)]
pub struct WorldSpec {
    /// Rows of the source database.
    pub rows: usize,
    /// Environments the source is pushed to.
    pub environments: usize,
    /// The fake's configuration (its rate limits and latency).
    pub fake: FakeConfig,
    /// The source's `Sync` value (`Push`, `Two-Way`).
    pub sync: &'static str,
}

/// One environment of the world.
#[derive(Debug, Clone)]
pub struct Environment {
    /// Its name (also its workspace's).
    pub name: String,
    /// Its workspace, with the token the registry holds.
    pub workspace: FakeWorkspace,
    /// Its `database-parent-page`.
    pub parent_page: String,
}

/// A built world. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct World {
    /// The fake.
    pub fake: FakeNotion,
    /// The control workspace and the integration the sync runs with.
    pub control: FakeWorkspace,
    /// The token of the control workspace's `Setup` integration (setup and edits only).
    pub setup_token: NotionToken,
    /// The transport setup requests go through (rate-limited like the fake).
    pub setup: DynTransport,
    /// `system-environments`' data source.
    pub environments_data_source: String,
    /// `system-databases`' data source.
    pub databases_data_source: String,
    /// The source database.
    pub source_database: String,
    /// Its data source.
    pub source_data_source: String,
    /// Its rows, in creation order.
    pub source_rows: Vec<String>,
    /// The environments.
    pub environments: Vec<Environment>,
}

/// The name of the source database.
pub const SOURCE_TITLE: &str = "Tasks";

/// The source database's schema.
pub fn source_schema() -> Value {
    json!({
        "Name": {"title": {}},
        "Notes": {"rich_text": {}},
        "Stage": {"select": {"options": [{"name": "New", "color": "blue"}, {"name": "Doing", "color": "yellow"}, {"name": "Done", "color": "green"}]}},
        "Tags": {"multi_select": {"options": [{"name": "alpha"}, {"name": "beta"}, {"name": "gamma"}]}},
        "Hours": {"number": {"format": "number"}},
        "Due": {"date": {}},
        "Done": {"checkbox": {}},
        "Link": {"url": {}},
        "Owner": {"email": {}},
    })
}

/// The properties of source row `i`, as a create request writes them.
pub fn row_properties(i: usize) -> Value {
    let stages = ["New", "Doing", "Done"];
    let tags: Vec<Value> = ["alpha", "beta", "gamma"]
        .iter()
        .enumerate()
        .filter(|(t, _)| (i >> t) & 1 == 1)
        .map(|(_, name)| json!({"name": name}))
        .collect();
    let notes = if i.is_multiple_of(10) {
        json!([
            {"text": {"content": format!("Row {i}: ")}, "annotations": {"bold": true}},
            {"text": {"content": "see the brief", "link": {"url": format!("https://example.com/brief/{i}")}}},
        ])
    } else {
        text(&format!(
            "Note for row {i}: follow up with the client and update the plan."
        ))
    };
    json!({
        "Name": {"title": text(&format!("Task {i}"))},
        "Notes": {"rich_text": notes},
        "Stage": {"select": {"name": stages[i % 3]}},
        "Tags": {"multi_select": tags},
        "Hours": {"number": i as f64 * 0.5},
        "Due": {"date": {"start": format!("2026-{:02}-{:02}", i % 12 + 1, i % 28 + 1)}},
        "Done": {"checkbox": i.is_multiple_of(3)},
        "Link": {"url": format!("https://example.com/tasks/{i}")},
        "Owner": {"email": format!("owner{}@example.com", i % 50)},
    })
}

/// A budget no setup request ever waits for (the fake has no limit).
const UNLIMITED: RateBudget = RateBudget::new(600_000_000, 1_000_000);

async fn page(transport: &DynTransport, token: &NotionToken, parent: &str, title: &str) -> String {
    id(&ok(
        transport.as_ref(),
        Method::Post,
        "/v1/pages",
        token,
        Some(
            json!({"parent": {"page_id": parent}, "properties": {"title": {"title": text(title)}}}),
        ),
    )
    .await)
}

/// Creates a database under `parent`: (database, data source).
pub async fn create_database(
    transport: &DynTransport,
    token: &NotionToken,
    parent: &str,
    title: &str,
    properties: Value,
) -> (String, String) {
    let body = ok(
        transport.as_ref(),
        Method::Post,
        "/v1/databases",
        token,
        Some(json!({
            "parent": {"type": "page_id", "page_id": parent},
            "title": text(title),
            "initial_data_source": {"properties": properties},
        })),
    )
    .await;
    let ds = body["data_sources"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (id(&body), ds)
}

async fn row(
    transport: &DynTransport,
    token: &NotionToken,
    data_source: &str,
    properties: Value,
) -> String {
    id(&ok(
        transport.as_ref(),
        Method::Post,
        "/v1/pages",
        token,
        Some(json!({"parent": {"data_source_id": data_source}, "properties": properties})),
    )
    .await)
}

/// `https://www.notion.so/<32 hex>` of an ID.
fn link(id: &str) -> String {
    format!("https://www.notion.so/{}", id.replace('-', ""))
}

/// A world being built: the fake, the control workspace with its registry, and the library page
/// the source databases go under. [`World::build`] uses it for its one source; other worlds (see
/// [`relations`](crate::relations)) add several sources and their rows before
/// [`finish`](Self::finish).
#[derive(Debug)]
pub struct Builder {
    /// The fake.
    pub fake: FakeNotion,
    /// The transport setup requests go through (rate-limited like the fake).
    pub setup: DynTransport,
    /// The control workspace.
    pub control: FakeWorkspace,
    /// The token of the control workspace's `Setup` integration.
    pub setup_token: NotionToken,
    /// The page the source databases are made under.
    pub library: String,
    databases: String,
    environments: String,
}

impl Builder {
    /// The fake of `fake`, its control workspace and an empty registry (on tokio's clock).
    pub async fn start(fake_config: &FakeConfig) -> Self {
        let fake = FakeNotion::new(fake_config.clone());
        let budget = fake_config.per_token.unwrap_or(UNLIMITED);
        let setup = TransportStack::new(
            Arc::new(fake.clone()) as DynTransport,
            StackConfig {
                budget,
                ..StackConfig::default()
            },
        )
        .transport();
        let control = fake.add_workspace("Control");
        let helper = fake
            .add_integration(control.workspace_id, "Setup")
            .expect("the control workspace exists");
        fake.share(&helper.token, control.root_page_id)
            .expect("the root page is the control workspace's");
        let t = &helper.token;
        let root = control.root_page_id.to_string();
        let registry = page(&setup, t, &root, "Registry").await;
        let library = page(&setup, t, &root, "Databases").await;
        let databases = create_database(
            &setup,
            t,
            &registry,
            "system-databases",
            json!({
                "Name": {"title": {}},
                "Sync": {"select": {"options": [{"name": "No Sync"}, {"name": "Push"}, {"name": "Pull"}, {"name": "Two-Way"}]}},
                "Data Source ID": {"rich_text": {}},
                "Database ID": {"rich_text": {}},
                "NID": {"rich_text": {}},
                "Database URL": {"url": {}},
            }),
        )
        .await
        .1;
        let environments = create_database(
            &setup,
            t,
            &registry,
            "system-environments",
            json!({
                "Name": {"title": {}},
                "Primary-Token": {"rich_text": {}},
                "Environment-Type": {"select": {"options": [{"name": "Primary"}, {"name": "Client"}]}},
                "Related to system-databases (system-environments)": {"relation": {"data_source_id": databases, "type": "dual_property", "dual_property": {}}},
                "Database-Parent-Page-ID": {"url": {}},
            }),
        )
        .await
        .1;
        Self {
            fake,
            setup,
            control,
            setup_token: helper.token,
            library,
            databases,
            environments,
        }
    }

    /// Creates a database in the library: (database, data source).
    pub async fn database(&self, title: &str, properties: Value) -> (String, String) {
        create_database(
            &self.setup,
            &self.setup_token,
            &self.library,
            title,
            properties,
        )
        .await
    }

    /// Creates a row in `data_source`; returns its ID.
    pub async fn row(&self, data_source: &str, properties: Value) -> String {
        row(&self.setup, &self.setup_token, data_source, properties).await
    }

    /// Sends one request with the `Setup` integration, which must be answered 200.
    pub async fn request(&self, method: Method, path: &str, body: Value) -> Value {
        ok(
            self.setup.as_ref(),
            method,
            path,
            &self.setup_token,
            Some(body),
        )
        .await
    }

    /// Registers `sources` (title, database, data source; in this order in `system-databases`)
    /// with the `Sync` value `sync`, and pushes them all to `environments` new environments;
    /// `main` names the source the [`World`]'s `source_*` fields describe, with its rows.
    pub async fn finish(
        self,
        sources: &[(&str, &str, &str)],
        sync: &str,
        environments: usize,
        main: (&str, &str, Vec<String>),
    ) -> World {
        let sources: Vec<(&str, &str, &str, &str)> = sources
            .iter()
            .map(|(title, database, data_source)| (*title, *database, *data_source, sync))
            .collect();
        self.finish_each(&sources, environments, main).await
    }

    /// [`finish`](Self::finish), each source with its own `Sync` value: (title, database, data
    /// source, `Sync`).
    pub async fn finish_each(
        self,
        sources: &[(&str, &str, &str, &str)],
        environments: usize,
        main: (&str, &str, Vec<String>),
    ) -> World {
        let Self {
            fake,
            setup,
            control,
            setup_token,
            library: _,
            databases,
            environments: environments_data_source,
        } = self;
        let t = &setup_token;
        let mut registry_rows = Vec::with_capacity(sources.len());
        for (title, database, data_source, sync) in sources {
            registry_rows.push(json!({"id": row(
                &setup,
                t,
                &databases,
                json!({
                    "Name": {"title": text(title)},
                    "Sync": {"select": {"name": sync}},
                    "Data Source ID": {"rich_text": text(data_source)},
                    "Database ID": {"rich_text": []},
                    "NID": {"rich_text": []},
                    "Database URL": {"url": link(database)},
                }),
            )
            .await}));
        }
        let mut envs = Vec::with_capacity(environments);
        for e in 1..=environments {
            let name = format!("Client {e}");
            let workspace = fake.add_workspace(&name);
            let parent_page = page(
                &setup,
                &workspace.token,
                &workspace.root_page_id.to_string(),
                "database-parent-page",
            )
            .await;
            row(
                &setup,
                t,
                &environments_data_source,
                json!({
                    "Name": {"title": text(&name)},
                    "Primary-Token": {"rich_text": text(workspace.token.expose())},
                    "Environment-Type": {"select": {"name": "Client"}},
                    "Related to system-databases (system-environments)": {"relation": registry_rows},
                    "Database-Parent-Page-ID": {"url": link(&parent_page)},
                }),
            )
            .await;
            envs.push(Environment {
                name,
                workspace,
                parent_page,
            });
        }
        let (source_database, source_data_source, source_rows) = main;
        World {
            fake,
            control,
            setup_token,
            setup,
            environments_data_source,
            databases_data_source: databases,
            source_database: source_database.to_owned(),
            source_data_source: source_data_source.to_owned(),
            source_rows,
            environments: envs,
        }
    }
}

impl World {
    /// Builds the world of `spec` (on tokio's clock: run it on a paused runtime).
    pub async fn build(spec: &WorldSpec) -> Self {
        let builder = Builder::start(&spec.fake).await;
        let (database, data_source) = builder.database(SOURCE_TITLE, source_schema()).await;
        let mut rows = Vec::with_capacity(spec.rows);
        for i in 0..spec.rows {
            rows.push(builder.row(&data_source, row_properties(i)).await);
        }
        builder
            .finish(
                &[(SOURCE_TITLE, &database, &data_source)],
                spec.sync,
                spec.environments,
                (&database, &data_source, rows),
            )
            .await
    }

    /// Edits the `Notes` of every `every`-th source row (with the `Setup` integration); returns
    /// how many rows were edited.
    pub async fn edit_rows(&self, every: usize) -> usize {
        self.edit_rows_with(every, |i| format!("Edited note of row {i}"))
            .await
    }

    /// Edits the `Notes` of every `every`-th source row to `note(i)`, `i` the row's number
    /// (with the `Setup` integration); returns how many rows were edited.
    pub async fn edit_rows_with(&self, every: usize, note: impl Fn(usize) -> String) -> usize {
        let mut edited = 0;
        for (i, row) in self.source_rows.iter().enumerate().step_by(every.max(1)) {
            ok(
                self.setup.as_ref(),
                Method::Patch,
                &format!("/v1/pages/{row}"),
                &self.setup_token,
                Some(json!({"properties": {"Notes": {"rich_text": text(&note(i))}}})),
            )
            .await;
            edited += 1;
        }
        edited
    }

    /// Edits the `Notes` of every `every`-th row of the copy in the first environment, starting
    /// at row `offset` (as that workspace's people would); returns how many rows were edited.
    pub async fn edit_environment_rows(&self, every: usize, offset: usize) -> usize {
        use futures::TryStreamExt;
        let environment = &self.environments[0];
        let client = self.setup_client(environment.workspace.token.clone());
        let copies: Vec<_> = client
            .search_data_sources(SOURCE_TITLE)
            .try_collect()
            .await
            .expect("the copy of the source");
        let copy = copies.first().expect("one copy").id;
        let rows: Vec<_> = client
            .query_all(copy, None, &[])
            .try_collect()
            .await
            .expect("the copy's rows");
        let mut edited = 0;
        for (i, row) in rows.iter().enumerate().skip(offset).step_by(every.max(1)) {
            ok(
                self.setup.as_ref(),
                Method::Patch,
                &format!("/v1/pages/{}", row.id),
                &environment.workspace.token,
                Some(json!({"properties": {"Hours": {"number": 1000 + i}}})),
            )
            .await;
            edited += 1;
        }
        edited
    }

    /// A client of `token` over the setup transport (for counting rows after a run).
    pub fn setup_client(&self, token: NotionToken) -> NotionClient {
        NotionClient::new(Arc::clone(&self.setup), token)
    }

    /// The label of a request in the fake's log: `control`, or the environment's name.
    pub fn label(&self, workspace: Option<&str>, integration: Option<&str>) -> String {
        if workspace == Some(self.control.name.as_str()) {
            return match integration {
                Some(name) if name == self.control.integration_name => "control".to_owned(),
                Some(name) => format!("control ({name})"),
                None => "control (unknown integration)".to_owned(),
            };
        }
        workspace.unwrap_or("unknown token").to_owned()
    }
}
