//! The demo world's data: the registry's rows, the environments, the clients and the databases
//! a [`DemoWorld`] holds, and the builder that lays them out in a [`FakeNotion`] through the API.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::api::DemoApi;
use super::bodies;
use super::content::{
    DemoRng, MEMBERS, PLAIN_COLUMNS, RowRefs, SECOND_SOURCE_COLUMNS, related_titles, text,
};
use super::plan::{
    DataSourceCell, DatabaseCell, ENVIRONMENTS, IdForm, Location, RowPlan, TokenPlan, UrlShape,
};
use super::{content, plan};
use crate::error::{Error, Result};
use crate::fake::{FakeNotion, FakeWorkspace};
use crate::ids::{DataSourceId, DatabaseId, PageId, UserId};
use crate::secret::NotionToken;

/// The control workspace's name.
pub const CONTROL_WORKSPACE: &str = "Seren Media";
/// The title of the registry of environments.
pub const ENVIRONMENTS_TITLE: &str = "system-environments";
/// The title of the registry of databases.
pub const DATABASES_TITLE: &str = "system-databases";
/// The title of the clients database.
pub const CLIENTS_TITLE: &str = "Clients";
/// The relation of `system-environments` to `system-databases`.
pub const RELATION_TO_DATABASES: &str = "Related to system-databases (system-environments)";
/// Its back-relation in `system-databases`.
pub const RELATION_TO_ENVIRONMENTS: &str = "Related to system-environments (system-databases)";
/// The title of the page under which a client workspace's databases belong.
pub const DATABASE_PARENT_PAGE: &str = "database-parent-page";
/// The options of `Sync` (a status property), in order.
pub const SYNC_OPTIONS: [&str; 6] = ["No Sync", "Push", "Pull", "Two-Way", "One-Way", "Sometimes"];
/// Tasks' relation to Contacts (both synced to VibeVessel with `Push`).
pub const CONTACT_RELATION: &str = "Contact";
/// Tasks' relation to Brand Assets (whose `Sync`, `Sometimes`, names no direction: not synced).
pub const ASSET_RELATION: &str = "Asset";
/// The options of `Environment-Type`.
pub const ENVIRONMENT_TYPES: [&str; 4] = ["Primary", "Client", "Archive", "Legacy"];

/// A database and its first data source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DemoDatabase {
    /// The database (the container).
    pub database_id: DatabaseId,
    /// Its first data source (the one with the rows).
    pub data_source_id: DataSourceId,
}

/// What an environment's `Primary-Token` cell holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenState {
    /// A token that answers `GET /v1/users/me` with 200.
    Valid,
    /// A token of a real integration, revoked: answered 401.
    Revoked,
    /// Nothing: the cell is empty.
    Absent,
}

/// One row of `system-environments`.
#[derive(Debug, Clone)]
pub struct DemoEnvironment {
    /// `Name`.
    pub name: String,
    /// The row.
    pub page_id: PageId,
    /// `Environment-Type` (`Primary`, `Client`, `Archive` or `Legacy`).
    pub environment_type: String,
    /// The workspace the token opens, if the environment has one. For "Primary (Seren Media)"
    /// this is the control workspace, whose first integration's token is not this row's token.
    pub workspace: Option<FakeWorkspace>,
    /// The token stored in `Primary-Token` (cleaned of the quotes and spaces it is stored with).
    pub token: Option<NotionToken>,
    /// Whether that token works.
    pub token_state: TokenState,
    /// The pages titled exactly `database-parent-page` in its workspace (none, one or two).
    pub database_parent_page_ids: Vec<PageId>,
    /// The `system-databases` rows it relates to.
    pub related_rows: Vec<PageId>,
}

/// A defect of a `system-databases` row, put there for an audit to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegistryDefect {
    /// `Data Source ID` names the data source of another database than `Database URL`.
    ConflictingDataSourceId,
    /// `Database URL` has 31 hex digits.
    MalformedUrl,
    /// `Database URL` is the link of a page, not of a database.
    UrlIsAPage,
    /// `Database ID` holds a data-source ID.
    DatabaseIdIsADataSource,
    /// No cell holds an ID.
    NoIdSource,
    /// The database has two data sources and the row only a link.
    TwoDataSources,
    /// The database is not shared with the control integration (404).
    Unshared,
    /// Another row has the same `Name`.
    DuplicateName,
    /// `Name` is empty.
    EmptyName,
}

/// What a `system-databases` row names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowTarget {
    /// A database.
    Database(DemoDatabase),
    /// A page that is not a database.
    Page(PageId),
}

/// One row of `system-databases`.
#[derive(Debug, Clone)]
pub struct DemoRegistryRow {
    /// The row.
    pub page_id: PageId,
    /// `Name` (empty for one row).
    pub name: String,
    /// The object it names (whatever its cells say).
    pub target: RowTarget,
    /// The database's second data source, when it has one.
    pub second_data_source_id: Option<DataSourceId>,
    /// `Sync` (`None`: empty).
    pub sync: Option<String>,
    /// The defect it shows, if any.
    pub defect: Option<RegistryDefect>,
}

/// The control workspace's registry.
#[derive(Debug, Clone)]
pub struct DemoRegistry {
    /// The page `Registry`, shared with the control integration.
    pub registry_page_id: PageId,
    /// The page `Databases`, shared with the control integration.
    pub databases_page_id: PageId,
    /// The page `Private`, not shared with the control integration.
    pub private_page_id: PageId,
    /// `system-environments`.
    pub environments: DemoDatabase,
    /// `system-databases`.
    pub databases: DemoDatabase,
    /// `Clients`.
    pub clients: DemoDatabase,
}

/// One row of `Clients`.
#[derive(Debug, Clone)]
pub struct DemoClient {
    /// `Name`.
    pub name: String,
    /// The row.
    pub page_id: PageId,
    /// The environment its `Workspace` relation names.
    pub environment: String,
}

/// A database the VibeVessel environment relates to.
#[derive(Debug, Clone)]
pub struct SyncedDatabase {
    /// Its title (and its registry row's `Name`).
    pub name: String,
    /// Its registry row's `Sync`.
    pub sync: String,
    /// The database.
    pub database: DemoDatabase,
    /// Whether it lives in the control workspace (else in VibeVessel's).
    pub in_control_workspace: bool,
    /// How many rows it has.
    pub rows: usize,
    /// Its registry row.
    pub registry_page_id: PageId,
}

/// A member of the agency: a person of the control workspace whom the synced databases name, and
/// the same person in VibeVessel's workspace (same email, maybe in other letter case), if a member
/// there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPerson {
    /// The name.
    pub name: String,
    /// The email in the control workspace.
    pub email: String,
    /// The person in the control workspace.
    pub control_user: UserId,
    /// The same person in VibeVessel's workspace, when they are a member there.
    pub vibevessel_user: Option<UserId>,
    /// Their email there (the same address, maybe in other letter case).
    pub vibevessel_email: Option<String>,
}

/// The objects of a VibeVessel sync: where databases go, the decoys, and the sources.
///
/// VibeVessel's root page holds `database-parent-page`, the two decoys and `Client Archive`; its
/// integration sees all but `Client Archive`, which is unshared from it.
#[derive(Debug, Clone)]
pub struct VibeVesselObjects {
    /// The one page titled exactly `database-parent-page`, shared with VibeVessel's integration.
    pub database_parent_page_id: PageId,
    /// Shared pages with near titles: `Database Parent Page (old)`, `database-parent-page copy`.
    pub decoy_page_ids: Vec<PageId>,
    /// The page `Client Archive`, not shared with VibeVessel's integration.
    pub client_archive_page_id: PageId,
    /// The databases its environment relates to, in the registry's order.
    pub synced: Vec<SyncedDatabase>,
}

/// The demo world. See the [module documentation](crate::demo).
///
/// Its `Debug` prints no token: tokens are [`NotionToken`]s.
#[derive(Debug, Clone)]
pub struct DemoWorld {
    /// The fake it lives in.
    pub fake: FakeNotion,
    /// The control integration's token (what a user exports as `NOTION_TOKEN`).
    pub control_token: NotionToken,
    /// The control workspace, "Seren Media". Its root page holds `Registry`, `Databases`,
    /// `database-parent-page` and `Private`; `Private` (and the databases under it) is unshared
    /// from the control integration.
    pub control: FakeWorkspace,
    /// The control workspace's `database-parent-page`, where pulled databases are created.
    pub control_parent_page_id: PageId,
    /// The registry's pages and databases.
    pub registry: DemoRegistry,
    /// The rows of `system-environments`, in order.
    pub environments: Vec<DemoEnvironment>,
    /// The rows of `system-databases`, in order.
    pub registry_rows: Vec<DemoRegistryRow>,
    /// The rows of `Clients`.
    pub clients: Vec<DemoClient>,
    /// The VibeVessel objects.
    pub vibevessel: VibeVesselObjects,
    /// The agency's members whom the synced databases name (`Assignee`, `Owner`), in order.
    pub people: Vec<DemoPerson>,
    /// The rows that have page content (tasks; see [`BODY_EVERY`](super::BODY_EVERY)), in order.
    pub rows_with_bodies: Vec<PageId>,
}

/// A slug of a title for a link (`Content Calendar` → `Content-Calendar`).
fn slug(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// The text of an ID in a cell.
fn id_text(id: impl Into<crate::ids::ObjectId>, form: IdForm) -> String {
    let id = id.into();
    match form {
        IdForm::Dashed => id.to_string(),
        IdForm::Simple => id.simple(),
    }
}

fn relation(ids: &[PageId]) -> Value {
    Value::Array(ids.iter().map(|id| json!({"id": id.to_string()})).collect())
}

fn plan_error(message: String) -> Error {
    Error::Config(format!("the demo's plan is inconsistent: {message}"))
}

impl DemoWorld {
    /// Environments (rows of `system-environments`).
    pub const ENVIRONMENTS: usize = 18;
    /// Environments with a token.
    pub const WITH_TOKEN: usize = 7;
    /// Environments without a token.
    pub const WITHOUT_TOKEN: usize = 11;
    /// Environments whose token is revoked.
    pub const INVALID_TOKENS: usize = 6;
    /// Rows of `system-databases`.
    pub const DATABASES: usize = 100;
    /// Rows of `system-databases` with a `Data Source ID`.
    pub const WITH_DATA_SOURCE_ID: usize = 29;
    /// Rows of `system-databases` with a `Database URL`.
    pub const WITH_URL: usize = 93;
    /// The agency's members whom the synced databases name.
    pub const PEOPLE: usize = 4;
    /// Of them, members of VibeVessel's workspace too.
    pub const PEOPLE_IN_VIBEVESSEL: usize = 3;

    /// The environment named `name`.
    pub fn environment(&self, name: &str) -> Option<&DemoEnvironment> {
        self.environments.iter().find(|e| e.name == name)
    }

    /// The synced database named `name`.
    pub fn synced(&self, name: &str) -> Option<&SyncedDatabase> {
        self.vibevessel.synced.iter().find(|s| s.name == name)
    }

    /// The first `system-databases` row named `name`.
    pub fn registry_row(&self, name: &str) -> Option<&DemoRegistryRow> {
        self.registry_rows.iter().find(|r| r.name == name)
    }

    /// Lays out the demo world in `fake` (best a fresh one: the IDs then depend only on the
    /// seed). See the [module documentation](crate::demo).
    pub async fn build(fake: &FakeNotion) -> Result<DemoWorld> {
        let rows = plan::registry_rows();
        check_plan(&rows)?;
        Builder::new(fake).build(rows).await
    }
}

/// Checks the plan against the report's numbers before anything is sent.
fn check_plan(rows: &[RowPlan]) -> Result<()> {
    let count = |f: &dyn Fn(&RowPlan) -> bool| rows.iter().filter(|r| f(r)).count();
    let checks = [
        ("rows", rows.len(), DemoWorld::DATABASES),
        (
            "rows with a Data Source ID",
            count(&|r| r.data_source_cell != DataSourceCell::Empty),
            DemoWorld::WITH_DATA_SOURCE_ID,
        ),
        (
            "rows with a Database URL",
            count(&|r| r.url != UrlShape::Empty),
            DemoWorld::WITH_URL,
        ),
        ("environments", ENVIRONMENTS.len(), DemoWorld::ENVIRONMENTS),
        (
            "environments with a token",
            ENVIRONMENTS
                .iter()
                .filter(|e| e.token != TokenPlan::Absent)
                .count(),
            DemoWorld::WITH_TOKEN,
        ),
        (
            "environments with a revoked token",
            ENVIRONMENTS
                .iter()
                .filter(|e| {
                    matches!(
                        e.token,
                        TokenPlan::SecondControlIntegration
                            | TokenPlan::OwnWorkspace { valid: false }
                    )
                })
                .count(),
            DemoWorld::INVALID_TOKENS,
        ),
        ("members", MEMBERS.len(), DemoWorld::PEOPLE),
        (
            "members of VibeVessel's workspace",
            MEMBERS
                .iter()
                .filter(|m| m.vibevessel_email.is_some())
                .count(),
            DemoWorld::PEOPLE_IN_VIBEVESSEL,
        ),
    ];
    for (what, got, wanted) in checks {
        if got != wanted {
            return Err(plan_error(format!("{got} {what}, not {wanted}")));
        }
    }
    Ok(())
}

/// One environment while the world is being built.
struct EnvironmentDraft {
    workspace: Option<FakeWorkspace>,
    token: Option<NotionToken>,
    parent_pages: Vec<PageId>,
}

/// The builder: the fake, the control integration's calls and the content generator.
struct Builder<'a> {
    fake: &'a FakeNotion,
    rng: DemoRng,
}

impl<'a> Builder<'a> {
    fn new(fake: &'a FakeNotion) -> Self {
        Self {
            fake,
            rng: DemoRng::new(fake.config().seed),
        }
    }

    async fn build(mut self, plans: Vec<RowPlan>) -> Result<DemoWorld> {
        let fake = self.fake;
        // What a person does in the UI: the workspaces and their integrations.
        let control = fake.add_workspace(CONTROL_WORKSPACE);
        let control_api = DemoApi::new(fake, &control.token);
        let mut drafts = Vec::with_capacity(ENVIRONMENTS.len());
        for env in &ENVIRONMENTS {
            let (workspace, token) = match env.token {
                TokenPlan::OwnWorkspace { .. } => {
                    let workspace = fake.add_workspace(env.name);
                    let token = workspace.token.clone();
                    (Some(workspace), Some(token))
                }
                TokenPlan::SecondControlIntegration => {
                    let integration = fake.add_integration(
                        control.workspace_id,
                        &format!("{CONTROL_WORKSPACE} primary"),
                    )?;
                    (Some(control.clone()), Some(integration.token))
                }
                TokenPlan::Absent => (None, None),
            };
            drafts.push(EnvironmentDraft {
                workspace,
                token,
                parent_pages: Vec::new(),
            });
        }

        // The control workspace's pages and the registry's three databases.
        let root = control.root_page_id;
        let registry_page_id = control_api.page(root, "Registry").await?;
        let databases_page_id = control_api.page(root, "Databases").await?;
        let private_page_id = control_api.page(root, "Private").await?;
        // Where databases pulled from the environments are created.
        let control_parent_page_id = control_api.page(root, DATABASE_PARENT_PAGE).await?;
        let registry = self
            .registry(
                &control_api,
                registry_page_id,
                databases_page_id,
                private_page_id,
            )
            .await?;

        // The client workspaces' pages.
        let mut vibevessel_pages = None;
        for (env, draft) in ENVIRONMENTS.iter().zip(&mut drafts) {
            let Some(workspace) = draft
                .workspace
                .as_ref()
                .filter(|_| matches!(env.token, TokenPlan::OwnWorkspace { .. }))
            else {
                continue;
            };
            let api = DemoApi::new(fake, &workspace.token);
            for _ in 0..env.database_parent_pages {
                let page = api
                    .page(workspace.root_page_id, DATABASE_PARENT_PAGE)
                    .await?;
                draft.parent_pages.push(page);
            }
            if env.name == plan::VIBEVESSEL {
                let decoys = vec![
                    api.page(workspace.root_page_id, "Database Parent Page (old)")
                        .await?,
                    api.page(workspace.root_page_id, "database-parent-page copy")
                        .await?,
                ];
                let archive = api.page(workspace.root_page_id, "Client Archive").await?;
                let parent = draft.parent_pages.first().copied().ok_or_else(|| {
                    plan_error("VibeVessel has no database-parent-page".to_owned())
                })?;
                vibevessel_pages = Some((workspace.clone(), api, parent, decoys, archive));
            }
        }
        let Some((vibevessel_workspace, vibevessel_api, vv_parent, vv_decoys, vv_archive)) =
            vibevessel_pages
        else {
            return Err(plan_error("no VibeVessel workspace".to_owned()));
        };

        // What a person does in the UI: the agency's members join the control workspace, and
        // VibeVessel's where they work with the client.
        let people = self.people(&control, &vibevessel_workspace)?;
        let people_ids: Vec<UserId> = people.iter().map(|p| p.control_user).collect();

        // The databases the registry names, then their relation columns, then their rows (a
        // database's rows after those of the databases it relates to).
        let mut targets = Vec::with_capacity(plans.len());
        let mut second_sources = Vec::with_capacity(plans.len());
        let mut apis = Vec::with_capacity(plans.len());
        for plan in &plans {
            let (api, parent) = match plan.location {
                Location::Control | Location::Page => (&control_api, databases_page_id),
                Location::Private => (&control_api, private_page_id),
                Location::VibeVessel => (&vibevessel_api, vv_parent),
            };
            apis.push(api);
            if let Location::Page = plan.location {
                targets.push(RowTarget::Page(api.page(parent, &plan.object_title).await?));
                second_sources.push(None);
                continue;
            }
            let columns = plan.spec.map_or(PLAIN_COLUMNS, |s| s.columns);
            let database = api
                .database(parent, &plan.object_title, content::schema(columns))
                .await?;
            let second = if plan.second_data_source {
                let title = format!("{} (2025)", plan.object_title);
                let properties = content::schema(SECOND_SOURCE_COLUMNS);
                Some(
                    api.data_source(database.database_id, &title, properties)
                        .await?,
                )
            } else {
                None
            };
            targets.push(RowTarget::Database(database));
            second_sources.push(second);
        }
        let sources: BTreeMap<&str, DataSourceId> = plans
            .iter()
            .zip(&targets)
            .filter_map(|(plan, target)| match (plan.spec, target) {
                (Some(spec), RowTarget::Database(d)) => Some((spec.title, d.data_source_id)),
                _ => None,
            })
            .collect();
        let mut first_rows = vec![None; plans.len()];
        let mut rows_with_bodies = Vec::new();
        let mut rows_by_title: BTreeMap<&'static str, Vec<PageId>> = BTreeMap::new();
        let mut order: Vec<usize> = (0..plans.len()).collect();
        // Those with relations last (the related databases have none).
        order.sort_by_key(|&i| {
            plans[i]
                .spec
                .is_some_and(|s| !related_titles(s.columns).is_empty())
        });
        for i in order {
            let (Some(spec), RowTarget::Database(database)) = (plans[i].spec, targets[i]) else {
                continue;
            };
            let api = apis[i];
            if let Some(columns) =
                content::relation_schema(spec.columns, &sources).map_err(plan_error)?
            {
                api.add_columns(database.data_source_id, columns).await?;
            }
            let mut made = Vec::with_capacity(spec.rows);
            for n in 0..spec.rows {
                let refs = RowRefs {
                    people: &people_ids,
                    rows: &rows_by_title,
                };
                let values =
                    content::row(spec.columns, n, &mut self.rng, refs).map_err(plan_error)?;
                made.push(api.row(database.data_source_id, values).await?);
            }
            if plans[i].sync_content {
                let with_bodies = self.bodies(api, &made, &people_ids, &rows_by_title).await?;
                rows_with_bodies.extend(with_bodies);
            }
            first_rows[i] = made.first().copied();
            rows_by_title.insert(spec.title, made);
        }

        // The rows of system-databases.
        let mut registry_rows = Vec::with_capacity(plans.len());
        for (i, plan) in plans.iter().enumerate() {
            let properties = self.registry_row_values(&plans, &targets, &first_rows, i)?;
            let page_id = control_api
                .row(registry.databases.data_source_id, properties)
                .await?;
            registry_rows.push(DemoRegistryRow {
                page_id,
                name: plan.name.clone(),
                target: targets[i],
                second_data_source_id: second_sources[i],
                sync: plan.sync.map(str::to_owned),
                defect: plan.defect,
            });
        }

        // The rows of system-environments.
        let mut environments = Vec::with_capacity(ENVIRONMENTS.len());
        for (env, draft) in ENVIRONMENTS.iter().zip(drafts) {
            let related: Vec<PageId> = env
                .related
                .iter()
                .map(|name| {
                    registry_rows
                        .iter()
                        .find(|r| r.name == *name)
                        .map(|r| r.page_id)
                        .ok_or_else(|| plan_error(format!("no registry row named {name:?}")))
                })
                .collect::<Result<_>>()?;
            let mut properties = Map::new();
            properties.insert("Name".into(), json!({"title": text(env.name)}));
            properties.insert(
                "Environment-Type".into(),
                json!({"select": {"name": env.environment_type}}),
            );
            if let Some(token) = &draft.token {
                // Stored as plain text; VibeVessel's as it was pasted, with quotes and spaces.
                let stored = if env.name == plan::VIBEVESSEL {
                    format!("  \"{}\"  ", token.expose())
                } else {
                    token.expose().to_owned()
                };
                properties.insert("Primary-Token".into(), json!({"rich_text": text(&stored)}));
            }
            if !related.is_empty() {
                properties.insert(
                    RELATION_TO_DATABASES.into(),
                    json!({"relation": relation(&related)}),
                );
            }
            let page_id = control_api
                .row(
                    registry.environments.data_source_id,
                    Value::Object(properties),
                )
                .await?;
            let token_state = match env.token {
                TokenPlan::Absent => TokenState::Absent,
                TokenPlan::OwnWorkspace { valid: true } => TokenState::Valid,
                _ => TokenState::Revoked,
            };
            environments.push(DemoEnvironment {
                name: env.name.to_owned(),
                page_id,
                environment_type: env.environment_type.to_owned(),
                workspace: draft.workspace,
                token: draft.token,
                token_state,
                database_parent_page_ids: draft.parent_pages,
                related_rows: related,
            });
        }

        // The rows of Clients.
        let mut clients = Vec::new();
        for (name, environment) in [
            ("VibeVessel", plan::VIBEVESSEL),
            ("Ocean Frontiers", plan::OCEAN_FRONTIERS),
        ] {
            let env = environments
                .iter()
                .find(|e| e.name == environment)
                .ok_or_else(|| plan_error(format!("no environment {environment:?}")))?;
            let properties = json!({
                "Name": {"title": text(name)},
                "Workspace": {"relation": relation(&[env.page_id])},
            });
            let page_id = control_api
                .row(registry.clients.data_source_id, properties)
                .await?;
            clients.push(DemoClient {
                name: name.to_owned(),
                page_id,
                environment: environment.to_owned(),
            });
        }

        // What a person does in the UI: share only some pages, revoke old tokens.
        fake.unshare(&control.token, private_page_id)?;
        fake.unshare(&vibevessel_workspace.token, vv_archive)?;
        for env in &environments {
            if let (TokenState::Revoked, Some(token)) = (env.token_state, &env.token) {
                fake.revoke_token(token);
            }
        }

        let vibevessel = VibeVesselObjects {
            database_parent_page_id: vv_parent,
            decoy_page_ids: vv_decoys,
            client_archive_page_id: vv_archive,
            synced: synced_databases(&plans, &registry_rows, &environments)?,
        };
        Ok(DemoWorld {
            fake: fake.clone(),
            control_token: control.token.clone(),
            control,
            control_parent_page_id,
            registry,
            environments,
            registry_rows,
            clients,
            vibevessel,
            people,
            rows_with_bodies,
        })
    }

    /// The agency's members, added to the control workspace and (most of them) to VibeVessel's.
    fn people(
        &self,
        control: &FakeWorkspace,
        vibevessel: &FakeWorkspace,
    ) -> Result<Vec<DemoPerson>> {
        MEMBERS
            .iter()
            .map(|member| {
                let control_user =
                    self.fake
                        .add_user(control.workspace_id, member.name, member.email)?;
                let vibevessel_user = member
                    .vibevessel_email
                    .map(|email| {
                        self.fake
                            .add_user(vibevessel.workspace_id, member.name, email)
                    })
                    .transpose()?;
                Ok(DemoPerson {
                    name: member.name.to_owned(),
                    email: member.email.to_owned(),
                    control_user,
                    vibevessel_user,
                    vibevessel_email: member.vibevessel_email.map(str::to_owned),
                })
            })
            .collect()
    }

    /// The bodies of the rows `made` of a database whose content is synced (see
    /// [`bodies`](super::bodies)): their hosted images uploaded first, all at once, then each
    /// body appended once the uploads are done. The rows given a body.
    async fn bodies(
        &self,
        api: &DemoApi,
        made: &[PageId],
        people: &[UserId],
        rows: &BTreeMap<&'static str, Vec<PageId>>,
    ) -> Result<Vec<PageId>> {
        let contacts = rows
            .get(content::CONTACTS.title)
            .filter(|rows| !rows.is_empty())
            .ok_or_else(|| plan_error("bodies mention contacts: none made yet".to_owned()))?;
        let mut images = BTreeMap::new();
        for n in (0..made.len()).step_by(bodies::IMAGE_EVERY) {
            let name = bodies::image_name(n);
            let url = format!("https://assets.example.com/{name}");
            images.insert(n, api.upload_from_url(&url, &name).await?);
        }
        for id in images.values() {
            api.wait_uploaded(*id).await?;
        }
        let mut rng = DemoRng::new(bodies::BODY_SEED);
        let mut with_bodies = Vec::new();
        for (n, row) in made.iter().enumerate() {
            let refs = bodies::BodyRefs {
                people,
                contacts,
                image: images.get(&n).copied(),
            };
            if let Some(children) = bodies::task_body(n, &mut rng, refs) {
                api.append(*row, children).await?;
                with_bodies.push(*row);
            }
        }
        Ok(with_bodies)
    }

    /// The registry's three databases under `Registry`.
    async fn registry(
        &self,
        api: &DemoApi,
        registry_page_id: PageId,
        databases_page_id: PageId,
        private_page_id: PageId,
    ) -> Result<DemoRegistry> {
        let options = |names: &[&str]| -> Value {
            Value::Array(names.iter().map(|n| json!({"name": n})).collect())
        };
        let databases = api
            .database(
                registry_page_id,
                DATABASES_TITLE,
                json!({
                    "Name": {"title": {}},
                    "Sync": {"status": {"options": options(&SYNC_OPTIONS)}},
                    "Data Source ID": {"rich_text": {}},
                    "Database ID": {"rich_text": {}},
                    "NID": {"rich_text": {}},
                    "Database URL": {"url": {}},
                    "Sync Content": {"checkbox": {}},
                }),
            )
            .await?;
        let environments = api
            .database(
                registry_page_id,
                ENVIRONMENTS_TITLE,
                json!({
                    "Name": {"title": {}},
                    "Primary-Token": {"rich_text": {}},
                    "Environment-Type": {"select": {"options": options(&ENVIRONMENT_TYPES)}},
                    RELATION_TO_DATABASES: {"relation": {
                        "data_source_id": databases.data_source_id.to_string(),
                        "type": "dual_property",
                        "dual_property": {"synced_property_name": RELATION_TO_ENVIRONMENTS},
                    }},
                }),
            )
            .await?;
        let clients = api
            .database(
                registry_page_id,
                CLIENTS_TITLE,
                json!({
                    "Name": {"title": {}},
                    "Workspace": {"relation": {
                        "data_source_id": environments.data_source_id.to_string(),
                        "type": "single_property",
                        "single_property": {},
                    }},
                    "Notion-Token": {"rollup": {
                        "relation_property_name": "Workspace",
                        "rollup_property_name": "Primary-Token",
                        "function": "show_original",
                    }},
                }),
            )
            .await?;
        Ok(DemoRegistry {
            registry_page_id,
            databases_page_id,
            private_page_id,
            environments,
            databases,
            clients,
        })
    }

    /// The values of registry row `i`.
    fn registry_row_values(
        &mut self,
        plans: &[RowPlan],
        targets: &[RowTarget],
        first_rows: &[Option<PageId>],
        i: usize,
    ) -> Result<Value> {
        let plan = &plans[i];
        let target = targets[i];
        let database = || match target {
            RowTarget::Database(database) => Ok(database),
            RowTarget::Page(_) => Err(plan_error(format!(
                "row {:?} names a page but has database IDs",
                plan.name
            ))),
        };
        let mut properties = Map::new();
        properties.insert("Name".into(), json!({"title": text(&plan.name)}));
        if let Some(sync) = plan.sync {
            properties.insert("Sync".into(), json!({"status": {"name": sync}}));
        }
        let data_source = match plan.data_source_cell {
            DataSourceCell::Empty => None,
            DataSourceCell::Own(form) => Some(id_text(database()?.data_source_id, form)),
            DataSourceCell::OtherRow(name) => {
                let other = plans
                    .iter()
                    .position(|p| p.name == name)
                    .and_then(|j| match targets.get(j) {
                        Some(RowTarget::Database(d)) => Some(d.data_source_id),
                        _ => None,
                    })
                    .ok_or_else(|| plan_error(format!("no database row named {name:?}")))?;
                Some(id_text(other, IdForm::Simple))
            }
        };
        if let Some(id) = data_source {
            properties.insert("Data Source ID".into(), json!({"rich_text": text(&id)}));
        }
        let database_cell = match plan.database_cell {
            DatabaseCell::Empty => None,
            DatabaseCell::Own => Some(id_text(database()?.database_id, IdForm::Dashed)),
            DatabaseCell::OwnDataSource => {
                Some(id_text(database()?.data_source_id, IdForm::Dashed))
            }
        };
        if let Some(id) = database_cell {
            properties.insert("Database ID".into(), json!({"rich_text": text(&id)}));
        }
        if plan.nid {
            let nid = id_text(database()?.database_id, IdForm::Simple);
            properties.insert("NID".into(), json!({"rich_text": text(&nid)}));
        }
        if plan.sync_content {
            properties.insert("Sync Content".into(), json!({"checkbox": true}));
        }
        if let Some(url) = self.url(plan, target, first_rows[i])? {
            properties.insert("Database URL".into(), json!({"url": url}));
        }
        Ok(Value::Object(properties))
    }

    /// The `Database URL` of a row.
    fn url(
        &mut self,
        plan: &RowPlan,
        target: RowTarget,
        first_row: Option<PageId>,
    ) -> Result<Option<String>> {
        let hex = match target {
            RowTarget::Database(database) => database.database_id.simple(),
            RowTarget::Page(page) => page.simple(),
        };
        let slug = slug(&plan.object_title);
        let url = match plan.url {
            UrlShape::Empty => return Ok(None),
            UrlShape::Slug => format!("https://www.notion.so/{slug}-{hex}"),
            UrlShape::WorkspaceSlug => format!("https://www.notion.so/seren-media/{slug}-{hex}"),
            UrlShape::AppPath => format!("https://app.notion.com/p/{hex}"),
            UrlShape::WithView => {
                let view = self.rng.hex32();
                format!("https://www.notion.so/{slug}-{hex}?v={view}")
            }
            UrlShape::WithViewAndPeek => {
                let view = self.rng.hex32();
                let row = first_row.ok_or_else(|| {
                    plan_error(format!("{:?} has no row to open in peek", plan.name))
                })?;
                format!(
                    "https://www.notion.so/{slug}-{hex}?v={view}&p={}&pm=s",
                    row.simple()
                )
            }
            UrlShape::Malformed => {
                let short = &hex[..hex.len() - 1];
                format!("https://www.notion.so/{slug}-{short}")
            }
        };
        Ok(Some(url))
    }
}

/// The databases the VibeVessel environment relates to.
fn synced_databases(
    plans: &[RowPlan],
    rows: &[DemoRegistryRow],
    environments: &[DemoEnvironment],
) -> Result<Vec<SyncedDatabase>> {
    let env = environments
        .iter()
        .find(|e| e.name == plan::VIBEVESSEL)
        .ok_or_else(|| plan_error("no VibeVessel environment".to_owned()))?;
    let mut out = Vec::new();
    for (plan, row) in plans.iter().zip(rows) {
        if !env.related_rows.contains(&row.page_id) {
            continue;
        }
        let RowTarget::Database(database) = row.target else {
            return Err(plan_error(format!("{:?} is not a database", row.name)));
        };
        out.push(SyncedDatabase {
            name: row.name.clone(),
            sync: plan.sync.unwrap_or_default().to_owned(),
            database,
            in_control_workspace: !matches!(plan.location, Location::VibeVessel),
            rows: plan.spec.map_or(0, |s| s.rows),
            registry_page_id: row.page_id,
        });
    }
    Ok(out)
}
