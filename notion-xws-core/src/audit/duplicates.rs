//! One copy per (database, environment), whatever the registry says.
//!
//! An environment is told apart by its workspace (the `bot.workspace_id` of its token, from
//! `GET /v1/users/me`), not by its row or its name; a database by its data source, not by its
//! row. Two environment rows of the same workspace (the same token and page twice, two names,
//! names differing by an invisible character) or two database rows naming the same data source
//! would otherwise make two copies that no later run removes. [`duplicates()`] is the one place
//! that decides which pair makes each copy: of the pairs with the same data source and the same
//! workspace, the one whose environment row, then database row, was made first (by
//! `created_time`, then row ID, so that the choice holds from run to run). The others are
//! findings (P0 where they would duplicate a copy) and the sync leaves them out. An environment
//! whose token belongs to the control workspace (and that is not the control workspace's own
//! row) is never a target: its copies would land in the control workspace itself.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{DatabaseAudit, EnvironmentAudit, Finding, Severity, TokenHealth, check::finding};
use crate::ids::{DataSourceId, PageId, WorkspaceId};
use crate::registry::Registry;

/// What [`duplicates()`] decided.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Duplicates {
    /// Each pair left out, as (database row, environment row), with the pair that makes its
    /// copy instead.
    pub pairs: BTreeMap<(PageId, PageId), (PageId, PageId)>,
    /// The environments whose token belongs to the control workspace (the control workspace's
    /// own row apart): never a sync target.
    pub control_workspace: BTreeSet<PageId>,
}

/// Who an environment is: its workspace, when its token says it; else only its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Place {
    Workspace(WorkspaceId),
    Row(PageId),
}

fn place(env: &EnvironmentAudit) -> Place {
    match &env.token {
        TokenHealth::Valid {
            workspace_id: Some(workspace),
            ..
        } => Place::Workspace(*workspace),
        _ => Place::Row(env.row),
    }
}

/// Decides which pair makes each copy (see the [module documentation](self)). Pure.
pub fn duplicates(
    registry: &Registry,
    control_workspace: Option<WorkspaceId>,
    environments: &[EnvironmentAudit],
    databases: &[DatabaseAudit],
) -> Duplicates {
    let mut result = Duplicates::default();
    let env_rank: HashMap<PageId, (&str, PageId)> = registry
        .environments
        .iter()
        .map(|env| (env.row, (env.created_time.as_str(), env.row)))
        .collect();
    let db_rank: HashMap<PageId, (&str, PageId)> = registry
        .databases
        .iter()
        .map(|db| (db.row, (db.created_time.as_str(), db.row)))
        .collect();
    let audits: HashMap<PageId, &EnvironmentAudit> =
        environments.iter().map(|env| (env.row, env)).collect();
    for env in environments {
        if !env.primary && matches!(place(env), Place::Workspace(w) if Some(w) == control_workspace)
        {
            result.control_workspace.insert(env.row);
        }
    }
    // Every pair a sync would write, by the copy it makes.
    let mut by_copy: BTreeMap<(DataSourceId, Place), Vec<(PageId, PageId)>> = BTreeMap::new();
    for (entry, audit) in registry.databases.iter().zip(databases) {
        let (Some(_), Some(resolved)) = (entry.sync.direction(), audit.resolved) else {
            continue;
        };
        for env_row in &entry.environments {
            let Some(env) = audits.get(env_row) else {
                continue;
            };
            if env.primary || result.control_workspace.contains(env_row) {
                continue;
            }
            by_copy
                .entry((resolved.data_source, place(env)))
                .or_default()
                .push((entry.row, *env_row));
        }
    }
    for mut pairs in by_copy.into_values() {
        pairs.sort_by_key(|(db, env)| (env_rank.get(env), db_rank.get(db)));
        pairs.dedup();
        let kept = pairs[0];
        for pair in &pairs[1..] {
            result.pairs.insert(*pair, kept);
        }
    }
    result
}

/// The findings of [`duplicates()`]: environments of the same workspace, environments of the
/// control workspace, database rows naming the same data source.
pub(super) fn duplicate_findings(
    registry: &Registry,
    environments: &[EnvironmentAudit],
    databases: &[DatabaseAudit],
    found: &Duplicates,
    findings: &mut Vec<Finding>,
) {
    let envs = &registry.environments_table.title;
    let dbs = &registry.databases_table.title;
    let name_of_env = |row: PageId| {
        registry
            .environment(row)
            .map_or_else(|| row.to_string(), |env| format!("{:?}", env.name))
    };
    let name_of_db = |row: PageId| {
        registry
            .database(row)
            .map_or_else(|| row.to_string(), |db| format!("{:?}", db.name))
    };
    let synced_here = |env: PageId| {
        registry
            .databases
            .iter()
            .any(|db| db.sync.direction().is_some() && db.environments.contains(&env))
    };
    for env in environments
        .iter()
        .filter(|e| found.control_workspace.contains(&e.row))
    {
        let control = environments.iter().find(|e| e.primary);
        findings.push(finding(
            if synced_here(env.row) {
                Severity::P0
            } else {
                Severity::P1
            },
            "environment.control-workspace",
            &env.name,
            format!(
                "its token belongs to the control workspace{}: its databases would be copied \
                 into the control workspace itself; it is never a sync target",
                control.map_or_else(String::new, |c| format!(" (as {:?}'s does)", c.name))
            ),
            format!(
                "put the token of the client's own workspace in its {}, or remove the row from {envs}",
                registry.names.primary_token
            ),
        ));
    }
    // Environments of one workspace: each after the first, with whether it duplicates a copy.
    let mut by_place: BTreeMap<Place, Vec<&EnvironmentAudit>> = BTreeMap::new();
    for env in environments
        .iter()
        .filter(|e| !e.primary && !found.control_workspace.contains(&e.row))
    {
        if let Place::Workspace(_) = place(env) {
            by_place.entry(place(env)).or_default().push(env);
        }
    }
    let rank = |row: PageId| {
        registry
            .environment(row)
            .map(|e| (e.created_time.clone(), e.row))
    };
    for mut group in by_place.into_values().filter(|g| g.len() > 1) {
        group.sort_by_key(|env| rank(env.row));
        let first = group[0];
        let workspace = match &first.token {
            TokenHealth::Valid {
                workspace_name: Some(name),
                ..
            } => format!(" ({name})"),
            _ => String::new(),
        };
        for env in &group[1..] {
            let duplicated: Vec<String> = found
                .pairs
                .iter()
                .filter(|((_, e), (_, kept))| *e == env.row && *kept != env.row)
                .map(|((db, _), _)| name_of_db(*db))
                .collect();
            let message = format!(
                "its token belongs to the same workspace{workspace} as {}'s: environments are \
                 told apart by their workspace, so {}",
                name_of_env(first.row),
                if duplicated.is_empty() {
                    "a database related to both would be copied once, for the older row".into()
                } else {
                    format!(
                        "{} would be copied there twice; each is copied once, for the older row",
                        duplicated.join(", ")
                    )
                }
            );
            findings.push(finding(
                if duplicated.is_empty() {
                    Severity::P1
                } else {
                    Severity::P0
                },
                "environment.same-workspace",
                &env.name,
                message,
                format!(
                    "keep one row per workspace in {envs}: remove this one (after moving its \
                     databases to {}'s relation)",
                    name_of_env(first.row)
                ),
            ));
        }
    }
    // Database rows naming one data source.
    let mut by_source: BTreeMap<DataSourceId, Vec<&DatabaseAudit>> = BTreeMap::new();
    for db in databases {
        if let Some(resolved) = db.resolved {
            by_source.entry(resolved.data_source).or_default().push(db);
        }
    }
    let rank = |row: PageId| {
        registry
            .database(row)
            .map(|d| (d.created_time.clone(), d.row))
    };
    for (source, mut group) in by_source.into_iter().filter(|(_, g)| g.len() > 1) {
        group.sort_by_key(|db| rank(db.row));
        let first = group[0];
        for db in &group[1..] {
            let duplicated: Vec<String> = found
                .pairs
                .iter()
                .filter(|((d, _), (kept, _))| *d == db.row && *kept != db.row)
                .map(|((_, env), _)| name_of_env(*env))
                .collect();
            findings.push(finding(
                if duplicated.is_empty() {
                    Severity::P2
                } else {
                    Severity::P0
                },
                "database.duplicate",
                &db.name,
                if duplicated.is_empty() {
                    format!(
                        "it names the same data source ({source}) as {}",
                        name_of_db(first.row)
                    )
                } else {
                    format!(
                        "it names the same data source ({source}) as {}: {} would get it twice; \
                         it is copied once, for the older row",
                        name_of_db(first.row),
                        duplicated.join(", ")
                    )
                },
                format!(
                    "keep one row per database in {dbs}: remove this one (after relating its \
                     environments to {})",
                    name_of_db(first.row)
                ),
            ));
        }
    }
}
