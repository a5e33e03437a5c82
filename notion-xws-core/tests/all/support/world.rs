//! The world most integration tests start from: a fake Notion with a control workspace, its
//! registry, and helpers to make pages and databases in it.

use std::sync::Arc;

use notion_xws_core::NotionToken;
use notion_xws_core::client::NotionClient;
use notion_xws_core::fake::{FakeConfig, FakeNotion, FakeWorkspace};
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::transport::{DynTransport, Method};
use serde_json::{Value, json};

use super::fake::{id, ok, text};

/// A control workspace with an empty registry, and helpers to fill it.
pub(crate) struct World {
    pub(crate) fake: FakeNotion,
    pub(crate) control: FakeWorkspace,
    pub(crate) environments: String,
    pub(crate) databases: String,
    pub(crate) clients: Option<String>,
    pub(crate) library: String,
}

impl World {
    /// The registry, with or without the `Database-Parent-Page-ID` column.
    pub(crate) async fn new(parent_page_column: bool) -> Self {
        let fake = FakeNotion::new(FakeConfig::default());
        let control = fake.add_workspace("Seren Media");
        let t = &control.token;
        let root = control.root_page_id.to_string();
        let registry = id(&page(&fake, t, &root, "Registry").await);
        let library = id(&page(&fake, t, &root, "Databases").await);
        let databases = create_database(
            &fake,
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
        let mut env_schema = json!({
            "Name": {"title": {}},
            "Primary-Token": {"rich_text": {}},
            "Environment-Type": {"select": {"options": [{"name": "Primary"}, {"name": "Client"}]}},
            "Related to system-databases (system-environments)": {"relation": {"data_source_id": databases, "type": "dual_property", "dual_property": {}}},
        });
        if parent_page_column {
            env_schema["Database-Parent-Page-ID"] = json!({"url": {}});
        }
        let environments = create_database(&fake, t, &registry, "system-environments", env_schema)
            .await
            .1;
        Self {
            fake,
            control,
            environments,
            databases,
            clients: None,
            library,
        }
    }

    pub(crate) fn token(&self) -> &NotionToken {
        &self.control.token
    }

    /// A `system-environments` row.
    pub(crate) async fn environment(
        &self,
        name: &str,
        token_cell: &str,
        parent_page: Option<&str>,
        databases: &[&str],
    ) -> String {
        let mut properties = json!({
            "Name": {"title": text(name)},
            "Primary-Token": {"rich_text": text(token_cell)},
            "Environment-Type": {"select": {"name": "Client"}},
            "Related to system-databases (system-environments)": {"relation": databases.iter().map(|id| json!({"id": id})).collect::<Vec<_>>()},
        });
        if token_cell.is_empty() {
            properties["Primary-Token"] = json!({"rich_text": []});
        }
        if let Some(link) = parent_page {
            properties["Database-Parent-Page-ID"] = json!({"url": link});
        }
        self.row(&self.environments, properties).await
    }

    /// A `system-databases` row; each ID source given as text (or empty).
    pub(crate) async fn database_row(
        &self,
        name: &str,
        sync: &str,
        [dsid, dbid, nid, url]: [&str; 4],
    ) -> String {
        let rich = |t: &str| {
            if t.is_empty() {
                json!({"rich_text": []})
            } else {
                json!({"rich_text": text(t)})
            }
        };
        let mut properties = json!({
            "Name": {"title": text(name)},
            "Data Source ID": rich(dsid),
            "Database ID": rich(dbid),
            "NID": rich(nid),
            "Database URL": {"url": if url.is_empty() { Value::Null } else { json!(url) }},
        });
        if !sync.is_empty() {
            properties["Sync"] = json!({"select": {"name": sync}});
        }
        self.row(&self.databases, properties).await
    }

    async fn row(&self, data_source: &str, properties: Value) -> String {
        id(&ok(
            &self.fake,
            Method::Post,
            "/v1/pages",
            self.token(),
            Some(json!({"parent": {"data_source_id": data_source}, "properties": properties})),
        )
        .await)
    }

    /// A database with one data source in the control workspace's library: (database, data source).
    pub(crate) async fn source(&self, title: &str) -> (String, String) {
        create_database(
            &self.fake,
            self.token(),
            &self.library,
            title,
            json!({"Name": {"title": {}}, "Notes": {"rich_text": {}}}),
        )
        .await
    }

    /// A `Clients` database with one client whose token cell is `token_cell`.
    pub(crate) async fn add_client(&mut self, name: &str, environment: &str, token_cell: &str) {
        if self.clients.is_none() {
            let root = self.control.root_page_id.to_string();
            let ds = create_database(
                &self.fake,
                self.token(),
                &root,
                "Clients",
                json!({
                    "Name": {"title": {}},
                    "Workspace": {"relation": {"data_source_id": self.environments, "type": "single_property", "single_property": {}}},
                    "Notion-Token": {"rich_text": {}},
                }),
            )
            .await
            .1;
            self.clients = Some(ds);
        }
        let ds = self.clients.clone().unwrap_or_default();
        self.row(
            &ds,
            json!({
                "Name": {"title": text(name)},
                "Workspace": {"relation": [{"id": environment}]},
                "Notion-Token": {"rich_text": text(token_cell)},
            }),
        )
        .await;
    }

    /// Registers each database `(name, Sync, database, data source)` and an environment `name`
    /// in a new workspace (its parent page made there) that they are synced to.
    pub(crate) async fn sync_to_new_workspace(
        &self,
        name: &str,
        databases: &[(&str, &str, &str, &str)],
    ) -> FakeWorkspace {
        let link = |id: &str| format!("https://www.notion.so/{}", id.replace('-', ""));
        let mut rows = Vec::new();
        for (database, sync, db, ds) in databases {
            rows.push(
                self.database_row(database, sync, [ds, "", "", &link(db)])
                    .await,
            );
        }
        let workspace = self.fake.add_workspace(name);
        let root = workspace.root_page_id.to_string();
        let parent = id(&page(&self.fake, &workspace.token, &root, "database-parent-page").await);
        let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
        self.environment(name, workspace.token.expose(), Some(&link(&parent)), &rows)
            .await;
        workspace
    }

    /// Sets the `Sync` cell of the database row `database`.
    pub(crate) async fn set_sync(&self, database: &str, sync: &str) {
        let registry =
            notion_xws_core::registry::Registry::read(&self.client(), &RegistryConfig::default())
                .await
                .unwrap();
        let row = registry
            .databases
            .iter()
            .find(|d| d.name == database)
            .unwrap()
            .row;
        ok(
            &self.fake,
            Method::Patch,
            &format!("/v1/pages/{row}"),
            self.token(),
            Some(json!({"properties": {"Sync": {"select": {"name": sync}}}})),
        )
        .await;
    }

    pub(crate) fn client(&self) -> NotionClient {
        NotionClient::new(
            Arc::new(self.fake.clone()) as DynTransport,
            self.control.token.clone(),
        )
    }
}

pub(crate) async fn page(
    fake: &FakeNotion,
    token: &NotionToken,
    parent: &str,
    title: &str,
) -> Value {
    ok(
        fake,
        Method::Post,
        "/v1/pages",
        token,
        Some(
            json!({"parent": {"page_id": parent}, "properties": {"title": {"title": text(title)}}}),
        ),
    )
    .await
}

pub(crate) async fn create_database(
    fake: &FakeNotion,
    token: &NotionToken,
    parent: &str,
    title: &str,
    properties: Value,
) -> (String, String) {
    let body = ok(
        fake,
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
