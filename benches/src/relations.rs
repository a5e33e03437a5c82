//! The world of the relations-and-people scenario (e): a `Projects` database and a `Tasks`
//! database in the control workspace, both pushed to several environments.
//!
//! Each task names 1 to 3 projects (a relation column, `single_property`), and every
//! [`WIDE_EVERY`]-th task names [`WIDE`] projects, past the 25 a page object shows, so that its
//! value is read in full with the page property endpoint. Each task names people (a people
//! column): one of [`MEMBERS`] members, who are in the control workspace and, by the same email,
//! in every environment; every [`OUTSIDER_EVERY`]-th task also names one of [`OUTSIDERS`] people
//! of the control workspace only; every [`NOBODY_EVERY`]-th task names nobody. With
//! [`RefSpec::cycle`], `Projects` also relates back to `Tasks` (each project names a lead task),
//! a cycle of relations that the sync closes with a second pass.
//!
//! The world is built like [`World::build`]'s, through the fake's rate limits
//! ([`Builder`]); the users are added to the fake directly.

use std::collections::{BTreeSet, HashMap};

use futures::TryStreamExt;
use notion_xws_core::client::NotionClient;
use notion_xws_core::fake::FakeConfig;
use notion_xws_core::model::{Page, PropertyItemKind, PropertyItemResponse, PropertyValueKind};
use notion_xws_core::sync::one_way::plan::source_key;
use notion_xws_core::transport::Method;
use notion_xws_core::{DataSourceId, PageId, UserId};
use serde_json::{Value, json};

use crate::api::{ok, text};
use crate::world::{Builder, World};

/// The title of the related database.
pub const PROJECTS_TITLE: &str = "Projects";
/// The title of the database whose rows name projects and people.
pub const TASKS_TITLE: &str = "Tasks";
/// Every `WIDE_EVERY`-th task names [`WIDE`] projects.
pub const WIDE_EVERY: usize = 200;
/// How many projects a wide task names (more than the 25 a page object shows).
pub const WIDE: usize = 30;
/// Members: in the control workspace and in every environment (the same emails).
pub const MEMBERS: usize = 10;
/// People of the control workspace only.
pub const OUTSIDERS: usize = 2;
/// Every `OUTSIDER_EVERY`-th task also names an outsider.
pub const OUTSIDER_EVERY: usize = 50;
/// Every `NOBODY_EVERY`-th task (counting from its last) names nobody.
pub const NOBODY_EVERY: usize = 20;

/// What to build.
#[derive(Debug, Clone)]
pub struct RefSpec {
    /// Rows of `Projects`.
    pub projects: usize,
    /// Rows of `Tasks`.
    pub tasks: usize,
    /// Environments both databases are pushed to.
    pub environments: usize,
    /// The fake's configuration (its rate limits and latency).
    pub fake: FakeConfig,
    /// Whether `Projects` relates back to `Tasks` (a cycle).
    pub cycle: bool,
}

/// A built world of scenario (e). See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct RefWorld {
    /// The world; its `source_*` fields describe `Tasks`.
    pub world: World,
    /// `Projects`' data source.
    pub projects_data_source: String,
    /// `Projects`' rows, in creation order.
    pub projects: Vec<String>,
    /// The members' users in each environment, by email (in the order of
    /// [`World::environments`]).
    pub environment_members: Vec<HashMap<String, UserId>>,
    /// The control's people: email by user.
    pub control_people: HashMap<UserId, String>,
}

/// The email of member `m`.
fn member(m: usize) -> String {
    format!("member{m}@example.com")
}

/// The email of outsider `o`.
fn outsider(o: usize) -> String {
    format!("outsider{o}@example.com")
}

/// The projects task `i` names (indices into `projects` rows), of `count` projects.
pub fn task_projects(i: usize, count: usize) -> Vec<usize> {
    let mut named: Vec<usize> = if i.is_multiple_of(WIDE_EVERY) {
        (0..WIDE)
            .map(|k| (i / WIDE_EVERY * WIDE + k) % count)
            .collect()
    } else {
        (0..1 + i % 3)
            .map(|k| (i * 7 + k * (count / 3).max(1)) % count)
            .collect()
    };
    let mut seen = BTreeSet::new();
    named.retain(|p| seen.insert(*p));
    named
}

/// The emails task `i` names.
pub fn task_people(i: usize) -> Vec<String> {
    if i % NOBODY_EVERY == NOBODY_EVERY - 1 {
        return Vec::new();
    }
    let mut people = vec![member(i % MEMBERS)];
    if i.is_multiple_of(OUTSIDER_EVERY) {
        people.push(outsider(i / OUTSIDER_EVERY % OUTSIDERS));
    }
    people
}

fn relation(ids: impl IntoIterator<Item = impl AsRef<str>>) -> Value {
    Value::Array(
        ids.into_iter()
            .map(|id| json!({"id": id.as_ref()}))
            .collect(),
    )
}

impl RefWorld {
    /// Builds the world of `spec` (on tokio's clock: run it on a paused runtime).
    pub async fn build(spec: &RefSpec) -> Self {
        let builder = Builder::start(&spec.fake).await;
        let control_ws = builder.control.workspace_id;
        let mut control_people = HashMap::new();
        let mut user_of = HashMap::new();
        for (name, email) in (0..MEMBERS)
            .map(|m| (format!("Member {m}"), member(m)))
            .chain((0..OUTSIDERS).map(|o| (format!("Outsider {o}"), outsider(o))))
        {
            let user = builder
                .fake
                .add_user(control_ws, &name, &email)
                .expect("the control workspace exists");
            control_people.insert(user, email.clone());
            user_of.insert(email, user);
        }
        let (projects_db, projects_ds) = builder
            .database(
                PROJECTS_TITLE,
                json!({"Name": {"title": {}}, "Code": {"rich_text": {}}}),
            )
            .await;
        let (tasks_db, tasks_ds) = builder
            .database(
                TASKS_TITLE,
                json!({
                    "Name": {"title": {}},
                    "Project": {"relation": {"data_source_id": projects_ds, "type": "single_property", "single_property": {}}},
                    "Owner": {"people": {}},
                    "Hours": {"number": {"format": "number"}},
                }),
            )
            .await;
        if spec.cycle {
            builder
                .request(
                    Method::Patch,
                    &format!("/v1/data_sources/{projects_ds}"),
                    json!({"properties": {"Lead task": {"relation": {"data_source_id": tasks_ds, "type": "single_property", "single_property": {}}}}}),
                )
                .await;
        }
        let mut projects = Vec::with_capacity(spec.projects);
        for p in 0..spec.projects {
            projects.push(
                builder
                    .row(
                        &projects_ds,
                        json!({
                            "Name": {"title": text(&format!("Project {p}"))},
                            "Code": {"rich_text": text(&format!("P-{p:04}"))},
                        }),
                    )
                    .await,
            );
        }
        let mut tasks = Vec::with_capacity(spec.tasks);
        for i in 0..spec.tasks {
            let named = task_projects(i, spec.projects)
                .into_iter()
                .map(|p| &projects[p]);
            let people = task_people(i)
                .iter()
                .map(|e| user_of[e].to_string())
                .collect::<Vec<_>>();
            tasks.push(
                builder
                    .row(
                        &tasks_ds,
                        json!({
                            "Name": {"title": text(&format!("Task {i}"))},
                            "Project": {"relation": relation(named)},
                            "Owner": {"people": relation(people)},
                            "Hours": {"number": (i % 40) as f64 * 0.5},
                        }),
                    )
                    .await,
            );
        }
        if spec.cycle {
            // Each project names a lead task.
            let step = (spec.tasks / spec.projects.max(1)).max(1);
            for (p, project) in projects.iter().enumerate() {
                let lead = &tasks[(p * step) % tasks.len().max(1)];
                builder
                    .request(
                        Method::Patch,
                        &format!("/v1/pages/{project}"),
                        json!({"properties": {"Lead task": {"relation": [{"id": lead}]}}}),
                    )
                    .await;
            }
        }
        let world = builder
            .finish(
                &[
                    (PROJECTS_TITLE, &projects_db, &projects_ds),
                    (TASKS_TITLE, &tasks_db, &tasks_ds),
                ],
                "Push",
                spec.environments,
                (&tasks_db, &tasks_ds, tasks),
            )
            .await;
        let environment_members = world
            .environments
            .iter()
            .map(|env| {
                (0..MEMBERS)
                    .map(|m| {
                        let user = world
                            .fake
                            .add_user(env.workspace.workspace_id, &format!("M. {m}"), &member(m))
                            .expect("the environment exists");
                        (member(m), user)
                    })
                    .collect()
            })
            .collect();
        Self {
            world,
            projects_data_source: projects_ds,
            projects,
            environment_members,
            control_people,
        }
    }

    /// Points every `every`-th task, from task `offset`, at one other project (with the `Setup`
    /// integration); returns how many tasks were changed.
    pub async fn repoint_tasks(&self, every: usize, offset: usize) -> usize {
        let mut changed = 0;
        for (i, task) in self
            .world
            .source_rows
            .iter()
            .enumerate()
            .skip(offset)
            .step_by(every.max(1))
        {
            let other = &self.projects[(i * 7 + self.projects.len() / 2 + 1) % self.projects.len()];
            ok(
                self.world.setup.as_ref(),
                Method::Patch,
                &format!("/v1/pages/{task}"),
                &self.world.setup_token,
                Some(json!({"properties": {"Project": {"relation": [{"id": other}]}}})),
            )
            .await;
            changed += 1;
        }
        changed
    }

    /// Checks that every environment holds one copy of each project and task, each task's copy
    /// naming the copies of its source's projects (read in full past 25) and the matched people
    /// (the members; outsiders left out). Returns the relation values checked.
    pub async fn check_mirrored(&self, targets: &[(DataSourceId, DataSourceId)]) -> usize {
        let world = &self.world;
        let control = world.setup_client(world.setup_token.clone());
        let tasks_ds: DataSourceId = world.source_data_source.parse().expect("an ID");
        let sources = rows(&control, tasks_ds).await;
        let mut wanted = HashMap::with_capacity(sources.len());
        for source in &sources {
            let projects = related(&control, source, "Project").await;
            let people: BTreeSet<String> = people(source, "Owner")
                .iter()
                .map(|u| self.control_people[u].clone())
                .collect();
            wanted.insert(source.id, (projects, people));
        }
        let mut checked = 0;
        for ((env, members), (projects_copy, tasks_copy)) in world
            .environments
            .iter()
            .zip(&self.environment_members)
            .zip(targets)
        {
            let client = world.setup_client(env.workspace.token.clone());
            let project_copies = rows(&client, *projects_copy).await;
            assert_eq!(project_copies.len(), self.projects.len(), "{}", env.name);
            let source_of: HashMap<PageId, PageId> = project_copies
                .iter()
                .map(|p| (p.id, source_key(p).expect("a key")))
                .collect();
            let task_copies = rows(&client, *tasks_copy).await;
            assert_eq!(
                task_copies.len(),
                sources.len(),
                "{}: no duplicate",
                env.name
            );
            let email_of: HashMap<UserId, &String> =
                members.iter().map(|(email, user)| (*user, email)).collect();
            for copy in &task_copies {
                let key = source_key(copy).expect("a key");
                let (projects, people_named) = &wanted[&key];
                let got: BTreeSet<PageId> = related(&client, copy, "Project")
                    .await
                    .iter()
                    .map(|p| source_of[p])
                    .collect();
                assert_eq!(&got, projects, "{}: {}", env.name, copy.title());
                let matched: BTreeSet<String> = people_named
                    .iter()
                    .filter(|e| members.contains_key(*e))
                    .cloned()
                    .collect();
                let got: BTreeSet<String> = people(copy, "Owner")
                    .iter()
                    .map(|u| email_of[u].clone())
                    .collect();
                assert_eq!(got, matched, "{}: {}", env.name, copy.title());
                checked += 1;
            }
        }
        checked
    }
}

/// Every live row of a data source.
async fn rows(client: &NotionClient, data_source: DataSourceId) -> Vec<Page> {
    client
        .query_all(data_source, None, &[])
        .try_collect()
        .await
        .expect("the rows can be read")
}

/// The pages a relation value names: from the page, or read in full when Notion cut it at 25.
async fn related(client: &NotionClient, row: &Page, property: &str) -> BTreeSet<PageId> {
    let value = &row.properties[property];
    if let PropertyValueKind::Relation { pages, has_more } = &value.value
        && !has_more.unwrap_or(false)
    {
        return pages.iter().map(|p| p.id).collect();
    }
    let id = value.id.clone().expect("a property ID");
    let items: Vec<PropertyItemResponse> = client
        .page_property(row.id, &id)
        .try_collect()
        .await
        .expect("the property can be read");
    items
        .into_iter()
        .flat_map(|response| match response {
            PropertyItemResponse::Item(item) => vec![*item],
            PropertyItemResponse::List(list) => list.list.results,
        })
        .filter_map(|item| match item.item {
            PropertyItemKind::Relation(page) => Some(page.id),
            _ => None,
        })
        .collect()
}

/// The users a people value names.
fn people(row: &Page, property: &str) -> Vec<UserId> {
    match &row.properties[property].value {
        PropertyValueKind::People(users) => users.iter().map(|u| u.id).collect(),
        other => panic!("not people: {other:?}"),
    }
}
