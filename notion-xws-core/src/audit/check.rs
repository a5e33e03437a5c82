//! The checks of the audit, run against Notion.

use std::collections::{BTreeMap, HashMap, HashSet};

use futures::stream::{self, StreamExt, TryStreamExt};

use super::{
    AuditReads, AuditReport, AuditSummary, ControlIdentity, DatabaseAudit, EnvironmentAudit,
    Finding, ParentPageStatus, ResolvedDatabase, Severity, TokenHealth, synced,
};
use crate::client::NotionClient;
use crate::error::{Error, Result};
use crate::ids::{DataSourceId, DatabaseId, ObjectId, PageId, WorkspaceId};
use crate::progress::{Progress, Reporter};
use crate::registry::cells::Cell;
use crate::registry::{
    DatabaseEntry, Direction, Environment, PARENT_PAGE_TITLE, Protected, Registry, SyncSetting,
    TokenSource,
};
use crate::secret::NotionToken;

/// How many checks run at once per workspace (each token's rate budget paces them anyway).
const CONCURRENCY: usize = 16;

pub(super) fn finding(
    severity: Severity,
    code: &'static str,
    subject: &str,
    message: impl Into<String>,
    fix: impl Into<String>,
) -> Finding {
    debug_assert!(
        super::FINDING_CODES.contains(&code),
        "the finding code {code} is not in FINDING_CODES"
    );
    Finding {
        severity,
        code,
        subject: subject.to_owned(),
        message: message.into(),
        fix: fix.into(),
    }
}

/// An environment's token, resolved and checked.
struct TokenCheck {
    token: Option<NotionToken>,
    health: TokenHealth,
}

/// Audits a registry already read, reporting each phase to `progress` (tokens, parent pages,
/// databases). Read only.
pub async fn audit_registry(
    control: &NotionClient,
    registry: &Registry,
    progress: &Reporter,
) -> Result<AuditReport> {
    audit_keeping_reads(control, registry, progress)
        .await
        .map(|(report, _)| report)
}

/// [`audit_registry`], and the data sources and databases it read to resolve the registry's
/// rows ([`AuditReads`]): a sync that follows at once need not read them again.
pub(crate) async fn audit_keeping_reads(
    control: &NotionClient,
    registry: &Registry,
    progress: &Reporter,
) -> Result<(AuditReport, AuditReads)> {
    let reads = AuditReads::default();
    let started_at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let clock = std::time::Instant::now();
    // 1. Tokens: each distinct token once, all at once, while the control's own is asked who
    // it is. (The futures are made first, then run: a closure that makes them inside the
    // stream would keep the audit's future from being `Send`.)
    let environments = registry.environments.len();
    let tokens = progress.counter(|done, total| Progress::Tokens { done, total }, environments);
    let token_checks: Vec<_> = registry
        .environments
        .iter()
        .map(|env| tokens.count(check_token(control, env)))
        .collect();
    let (me, checks) = futures::future::join(
        control.me(),
        stream::iter(token_checks)
            .buffered(CONCURRENCY)
            .collect::<Vec<TokenCheck>>(),
    )
    .await;
    let me = me?;
    let bot = me.bot();
    let control_identity = ControlIdentity {
        bot: me.name().unwrap_or("integration").to_owned(),
        workspace_id: bot.and_then(|b| b.workspace_id),
        workspace_name: bot.and_then(|b| b.workspace_name.clone().flatten()),
    };
    let mut findings = Vec::new();
    registry_findings(registry, &mut findings);
    let protected = Protected::of(registry);

    let primary_row = primary_environment(registry, &checks, &control_identity, &mut findings);
    for (env, check) in registry.environments.iter().zip(&checks) {
        token_findings(registry, env, check, &mut findings);
    }

    // 2. Parent pages, each with its environment's token (the control token for the primary).
    let clients: Vec<Option<NotionClient>> = registry
        .environments
        .iter()
        .zip(&checks)
        .map(|(env, check)| {
            if Some(env.row) == primary_row {
                Some(control.clone())
            } else {
                check
                    .token
                    .clone()
                    .filter(|_| check.health.is_valid())
                    .map(|token| control.for_token(token))
            }
        })
        .collect();
    let pages = progress.counter(
        |done, total| Progress::ParentPages { done, total },
        environments,
    );
    let parent_checks: Vec<_> = registry
        .environments
        .iter()
        .zip(&clients)
        .map(|(env, client)| pages.count(check_parent_page(env, client.as_ref())))
        .collect();

    // 3. Databases, each with the token of the workspace it lives in (at the same time as the
    // parent pages, and as 5.).
    let env_index: HashMap<PageId, usize> = registry
        .environments
        .iter()
        .enumerate()
        .map(|(i, env)| (env.row, i))
        .collect();
    let rows = progress.counter(
        |done, total| Progress::Databases { done, total },
        registry.databases.len(),
    );
    let database_checks: Vec<_> = registry
        .databases
        .iter()
        .map(|entry| {
            let (reader, read_with) =
                database_reader(entry, control, &clients, &env_index, primary_row);
            rows.count(check_database(
                registry,
                &protected,
                entry,
                (reader, read_with),
                &reads,
            ))
        })
        .collect();
    // 5. A table titled system-sync-links that is not the sync's own, or several.
    let mut links_found = Vec::new();
    let (parent_pages, resolutions, ()) = futures::future::try_join3(
        stream::iter(parent_checks)
            .buffered(CONCURRENCY)
            .try_collect::<Vec<ParentPageStatus>>(),
        stream::iter(database_checks)
            .buffered(CONCURRENCY)
            .try_collect::<Vec<(DatabaseAudit, Vec<Finding>)>>(),
        links_findings(control, registry, &mut links_found, &reads),
    )
    .await?;
    findings.append(&mut links_found);
    for (env, status) in registry.environments.iter().zip(&parent_pages) {
        parent_page_findings(registry, env, status, &mut findings);
    }
    let mut databases = Vec::with_capacity(resolutions.len());
    for (audit, mut found) in resolutions {
        findings.append(&mut found);
        databases.push(audit);
    }

    // 4. The Clients' copy of each token.
    client_findings(registry, &checks, &env_index, &mut findings);

    let environments: Vec<EnvironmentAudit> = registry
        .environments
        .iter()
        .zip(checks)
        .zip(parent_pages)
        .map(|((env, check), parent_page)| EnvironmentAudit {
            row: env.row,
            name: env.name.clone(),
            token_source: env.token.describe(),
            token: check.health,
            primary: Some(env.row) == primary_row,
            parent_page,
        })
        .collect();
    // 6. One copy per (database, environment): rows of one workspace or one data source.
    let found = super::duplicates(
        registry,
        control_identity.workspace_id,
        &environments,
        &databases,
    );
    super::duplicates::duplicate_findings(
        registry,
        &environments,
        &databases,
        &found,
        &mut findings,
    );
    findings
        .sort_by(|a, b| (a.severity, a.code, &a.subject).cmp(&(b.severity, b.code, &b.subject)));
    let summary = summarize(registry, &environments, &databases, &findings);
    let report = AuditReport {
        started_at,
        duration_ms: u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX),
        summary,
        control: control_identity,
        environments,
        databases,
        findings,
    };
    Ok((report, reads))
}

/// Problems of the registry itself: columns, names, relations, sync values.
fn registry_findings(registry: &Registry, findings: &mut Vec<Finding>) {
    let names = &registry.names;
    let envs = &registry.environments_table;
    let dbs = &registry.databases_table;
    if envs.column(&names.parent_page).is_none() {
        findings.push(finding(
            Severity::P0,
            "registry.parent-page-property-missing",
            &envs.title,
            format!("{} has no {} property: nothing says under which page databases belong in each workspace", envs.title, names.parent_page),
            format!("run `repair --execute` to add {} (url), or add it by hand", names.parent_page),
        ));
    }
    if envs.column(&names.primary_token).is_none() {
        findings.push(finding(
            Severity::P0,
            "registry.token-property-missing",
            &envs.title,
            format!("{} has no {} property", envs.title, names.primary_token),
            format!(
                "add {} (rich text) with each workspace's token or an env:NAME reference",
                names.primary_token
            ),
        ));
    }
    if registry.relations.len() > 1 {
        findings.push(finding(
            Severity::P0,
            "registry.relation-ambiguous",
            &envs.title,
            format!(
                "{} has {} relations to {} ({}): which one names each environment's databases \
                 would be a guess, so none is read and nothing is synced",
                envs.title,
                registry.relations.len(),
                dbs.title,
                registry
                    .relations
                    .iter()
                    .map(|name| format!("{name:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!(
                "keep one relation from {} to {}: delete the others, or point them at another \
                 database",
                envs.title, dbs.title
            ),
        ));
    }
    shape_findings(registry, findings);
    if registry.relations.is_empty() {
        findings.push(finding(
            Severity::P0,
            "registry.relation-missing",
            &envs.title,
            format!(
                "{} has no relation to {}: no environment names its databases",
                envs.title, dbs.title
            ),
            format!("add a relation from {} to {}", envs.title, dbs.title),
        ));
    }
    if dbs.column(&names.sync).is_none() {
        findings.push(finding(
            Severity::P1,
            "registry.sync-property-missing",
            &dbs.title,
            format!(
                "{} has no {} property: no database is synced",
                dbs.title, names.sync
            ),
            format!(
                "add {} (status or select: No Sync, Push, Pull, Two-Way)",
                names.sync
            ),
        ));
    }
    duplicate_names(
        registry.environments.iter().map(|e| e.name.as_str()),
        &envs.title,
        findings,
    );
    duplicate_names(
        registry.databases.iter().map(|d| d.name.as_str()),
        &dbs.title,
        findings,
    );
    let known: HashSet<PageId> = registry.databases.iter().map(|d| d.row).collect();
    for env in &registry.environments {
        let missing = env
            .databases
            .iter()
            .filter(|row| !known.contains(row))
            .count();
        if missing > 0 {
            findings.push(finding(
                Severity::P2,
                "registry.relation-to-missing-row",
                &env.name,
                format!(
                    "{} related {} {} in the trash or not shared with the control integration",
                    missing,
                    dbs.title,
                    if missing == 1 { "row is" } else { "rows are" }
                ),
                "restore the rows, or remove them from the relation",
            ));
        }
    }
    for db in &registry.databases {
        match &db.sync {
            SyncSetting::Unknown(value) => findings.push(finding(
                Severity::P1,
                "database.sync-unknown",
                &db.name,
                format!(
                    "{} is {value:?}, which names no direction; the database is not synced",
                    names.sync
                ),
                "set it to No Sync, Push (One-Way), Pull or Two-Way (Bidirectional)",
            )),
            SyncSetting::On(Direction::Pull) if db.environments.len() > 1 => {
                findings.push(finding(
                    Severity::P1,
                    "database.pull-from-several",
                    &db.name,
                    format!(
                        "it pulls from {} environments, but one registry row names one database",
                        db.environments.len()
                    ),
                    "make one row per environment's database",
                ))
            }
            SyncSetting::On(_) if db.environments.is_empty() => findings.push(finding(
                Severity::P2,
                "database.synced-nowhere",
                &db.name,
                "it has a sync direction but no environment relates to it",
                format!("relate it to an environment in {}", envs.title),
            )),
            _ => {}
        }
    }
}

/// A table titled `system-sync-links` that the sync cannot keep its records in: another schema
/// (`links.foreign-schema`, naming the table and the columns it lacks), or several such tables
/// (`links.ambiguous`). Both P0: no pair's copy can be recorded, so none is made. The one table
/// found is kept in `reads` (found among the tables the registry's read listed, when it listed it).
async fn links_findings(
    control: &NotionClient,
    registry: &Registry,
    findings: &mut Vec<Finding>,
    reads: &AuditReads,
) -> Result<()> {
    use crate::registry::LINKS_TITLE;
    use crate::registry::shape::{foreign_link_columns, foreign_links_message};
    let located = Some(&registry.located);
    let source = match crate::sync::links::find_table_source(control, LINKS_TITLE, located).await {
        Ok(Some(source)) => source,
        Ok(None) => return Ok(()),
        Err(Error::Registry(message)) => {
            findings.push(finding(
                Severity::P0,
                "links.ambiguous",
                LINKS_TITLE,
                message,
                format!(
                    "keep the {LINKS_TITLE} that the copies are recorded in (the one with rows), \
                     and delete or rename the others"
                ),
            ));
            return Ok(());
        }
        Err(error) => return Err(error),
    };
    let source = if source.properties.is_empty() {
        control.data_source(source.id).await?
    } else {
        source
    };
    let foreign = foreign_link_columns(&source.properties);
    if !foreign.is_empty() {
        findings.push(finding(
            Severity::P0,
            "links.foreign-schema",
            LINKS_TITLE,
            foreign_links_message(source.id, &source.url, &foreign),
            format!(
                "rename or move that table (notion-xws then makes its own {LINKS_TITLE} next to \
                 system-databases), or give it those columns"
            ),
        ));
    }
    reads.keep_links(source);
    Ok(())
}

/// Registry tables that are not what they are named for (`--environments` and `--databases`
/// swapped, one table named for both), and columns of a type the tool cannot read.
fn shape_findings(registry: &Registry, findings: &mut Vec<Finding>) {
    use crate::registry::shape::wrong_types;
    use crate::registry::{DATABASES_TITLE, ENVIRONMENTS_TITLE, LINKS_TITLE};
    let envs = &registry.environments_table;
    let dbs = &registry.databases_table;
    let registry_titles = [ENVIRONMENTS_TITLE, DATABASES_TITLE, LINKS_TITLE];
    for (table, meant, option) in [
        (envs, ENVIRONMENTS_TITLE, "--environments"),
        (dbs, DATABASES_TITLE, "--databases"),
    ] {
        let title = table.title.trim();
        let other = registry_titles
            .iter()
            .find(|t| **t != meant && t.eq_ignore_ascii_case(title));
        if let Some(other) = other {
            findings.push(finding(
                Severity::P0,
                "registry.wrong-table",
                meant,
                format!(
                    "the table taken as {meant} ({}) is titled {other:?}: the registry's tables \
                     are swapped or mistaken, and nothing is read or written as it should be",
                    table.data_source
                ),
                format!("name {meant} itself with {option} (or leave {option} out to find it by its title)"),
            ));
        }
    }
    if envs.data_source == dbs.data_source {
        findings.push(finding(
            Severity::P0,
            "registry.wrong-table",
            &envs.title,
            format!(
                "one table ({}) is taken as both {ENVIRONMENTS_TITLE} and {DATABASES_TITLE}",
                envs.data_source
            ),
            "name each registry table by its own ID or link (--environments, --databases)",
        ));
    }
    for (rule, table, actual) in wrong_types(registry) {
        let column = &rule.name;
        findings.push(finding(
            if rule.blocking {
                Severity::P0
            } else {
                Severity::P1
            },
            "registry.column-type",
            &table.title,
            format!(
                "{}'s column {column:?} is of type {actual}: notion-xws cannot read its cells \
                 (each row reads as if it were empty), and the repair never writes into it",
                table.title
            ),
            format!(
                "make {column:?} a {} column (its menu → Edit property → Type), or rename it \
                 and add a {} column named {column:?}",
                rule.wanted, rule.wanted
            ),
        ));
    }
}

fn duplicate_names<'a>(
    names: impl Iterator<Item = &'a str>,
    table: &str,
    findings: &mut Vec<Finding>,
) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for name in names {
        *counts.entry(name).or_default() += 1;
    }
    for (name, count) in counts {
        if name.is_empty() {
            findings.push(finding(
                Severity::P2,
                "registry.unnamed-row",
                table,
                format!(
                    "{} an empty Name",
                    crate::words::count(count, "row has", "rows have")
                ),
                "name them: reports and plans refer to rows by name",
            ));
        } else if count > 1 {
            findings.push(finding(
                Severity::P1,
                "registry.duplicate-name",
                name,
                format!("{count} rows of {table} are named {name:?}"),
                "give each row its own name",
            ));
        }
    }
}

async fn check_token(control: &NotionClient, env: &Environment) -> TokenCheck {
    let token = match env.token.resolve() {
        Ok(None) => {
            return TokenCheck {
                token: None,
                health: TokenHealth::Missing,
            };
        }
        Err(reason) => {
            return TokenCheck {
                token: None,
                health: TokenHealth::Unreadable { reason },
            };
        }
        Ok(Some(token)) => token,
    };
    let client = control.for_token(token.clone());
    let health = match client.me().await {
        Ok(user) => TokenHealth::Valid {
            bot: user.name().unwrap_or("integration").to_owned(),
            bot_id: user.id,
            workspace_id: user.bot().and_then(|b| b.workspace_id),
            workspace_name: user.bot().and_then(|b| b.workspace_name.clone().flatten()),
        },
        Err(Error::Unauthorized(_)) => TokenHealth::Invalid,
        Err(error) => TokenHealth::Unreachable {
            reason: error.to_string(),
        },
    };
    TokenCheck {
        token: Some(token),
        health,
    }
}

/// The environment of the control workspace: the one whose token is in the control token's
/// workspace, else the one typed `Primary` (reported).
fn primary_environment(
    registry: &Registry,
    checks: &[TokenCheck],
    control: &ControlIdentity,
    findings: &mut Vec<Finding>,
) -> Option<PageId> {
    // Of several rows of the control workspace (a finding: environment.control-workspace), the
    // one typed Primary, else the oldest, so that the choice holds from run to run.
    let by_workspace = registry
        .environments
        .iter()
        .zip(checks)
        .filter(|(_, check)| {
            matches!(&check.health, TokenHealth::Valid { workspace_id: Some(id), .. }
                if Some(*id) == control.workspace_id)
        })
        .min_by_key(|(env, _)| {
            let typed = env
                .environment_type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("primary"));
            (!typed, env.created_time.clone(), env.row)
        });
    if let Some((env, _)) = by_workspace {
        return Some(env.row);
    }
    let typed: Vec<&Environment> = registry
        .environments
        .iter()
        .filter(|env| {
            env.environment_type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("primary"))
        })
        .collect();
    match typed.as_slice() {
        [env] => {
            findings.push(finding(
                Severity::P2,
                "environment.primary-by-type",
                &env.name,
                "no environment's token belongs to the control workspace; the environment typed Primary is taken as the control workspace's",
                "give this environment a valid token of the control workspace",
            ));
            Some(env.row)
        }
        _ if registry
            .databases
            .iter()
            .any(|db| db.sync.direction() == Some(Direction::Pull)) =>
        {
            findings.push(finding(
                Severity::P1,
                "environment.primary-unknown",
                &registry.environments_table.title,
                format!(
                    "no environment is the control workspace's ({}): Pull databases have nowhere to go",
                    control.workspace_name.as_deref().unwrap_or("unnamed")
                ),
                "add an environment for the control workspace with Environment-Type Primary",
            ));
            None
        }
        _ => None,
    }
}

fn token_findings(
    registry: &Registry,
    env: &Environment,
    check: &TokenCheck,
    findings: &mut Vec<Finding>,
) {
    let column = &registry.names.primary_token;
    let syncs = env
        .databases
        .iter()
        .any(|row| registry.database(*row).is_some_and(|db| synced(&db.sync)));
    if let TokenSource::Inline {
        needed_cleaning, ..
    } = &env.token
    {
        findings.push(finding(
            Severity::P2,
            "token.plain-text",
            &env.name,
            format!("the token is stored in plain text in {column}, readable by anyone who can read the registry"),
            format!("move it to an environment variable and write env:VARIABLE_NAME in {column}"),
        ));
        if *needed_cleaning {
            findings.push(finding(
                Severity::P2,
                "token.needs-cleaning",
                &env.name,
                format!(
                    "{column} has stray whitespace, quotes or invisible characters (a zero-width \
                     space, a byte-order mark, a soft hyphen) with the token; they were ignored"
                ),
                format!("type the token into {column} again, without them"),
            ));
        }
    }
    match &check.health {
        TokenHealth::Missing => findings.push(finding(
            if syncs { Severity::P1 } else { Severity::P2 },
            "token.missing",
            &env.name,
            format!("{column} is empty: the workspace cannot be read or written"),
            format!("create an internal integration in that workspace and put its token (or env:NAME) in {column}"),
        )),
        TokenHealth::Unreadable { reason } => findings.push(finding(
            Severity::P0,
            "token.unreadable",
            &env.name,
            format!("the token cannot be read: {reason}"),
            format!("fix {column} (a token, or env:NAME with NAME set in the environment)"),
        )),
        TokenHealth::Invalid => findings.push(finding(
            Severity::P0,
            "token.invalid",
            &env.name,
            "Notion refused the token (401): it is wrong or was revoked",
            format!("regenerate the integration's token in that workspace and update {column}"),
        )),
        TokenHealth::Unreachable { reason } => findings.push(finding(
            Severity::P1,
            "token.unreachable",
            &env.name,
            format!("the token could not be checked: {reason}"),
            "run the audit again; if it persists, check the network and Notion's status",
        )),
        TokenHealth::Valid { .. } => {}
    }
}

async fn check_parent_page(
    env: &Environment,
    client: Option<&NotionClient>,
) -> Result<ParentPageStatus> {
    let Some(client) = client else {
        return Ok(match &env.parent_page {
            Cell::Invalid(reason) => ParentPageStatus::Invalid {
                reason: reason.clone(),
            },
            _ => ParentPageStatus::Unchecked,
        });
    };
    match &env.parent_page {
        Cell::Invalid(reason) => Ok(ParentPageStatus::Invalid {
            reason: reason.clone(),
        }),
        Cell::Value(link) => {
            let page = PageId::from(link.id);
            match client.page(page).await {
                Ok(found) if !found.in_trash() => Ok(ParentPageStatus::Recorded { page }),
                Ok(_) => Ok(ParentPageStatus::InTrash { page }),
                Err(Error::NotFound(_)) => Ok(ParentPageStatus::NotShared { page }),
                Err(error) => Err(error),
            }
        }
        Cell::Empty => {
            let pages: Vec<PageId> = client
                .search_pages(PARENT_PAGE_TITLE)
                .try_filter_map(|page| async move {
                    Ok(
                        (page.title().trim() == PARENT_PAGE_TITLE && !page.in_trash())
                            .then_some(page.id),
                    )
                })
                .try_collect()
                .await?;
            Ok(match pages.as_slice() {
                [] => ParentPageStatus::NotFound,
                [page] => ParentPageStatus::Fallback { page: *page },
                _ => ParentPageStatus::Ambiguous { pages },
            })
        }
    }
}

fn parent_page_findings(
    registry: &Registry,
    env: &Environment,
    status: &ParentPageStatus,
    findings: &mut Vec<Finding>,
) {
    let column = &registry.names.parent_page;
    let writes_here = env.databases.iter().any(|row| {
        registry
            .database(*row)
            .and_then(|db| db.sync.direction())
            .is_some()
    });
    let blocking = if writes_here {
        Severity::P0
    } else {
        Severity::P1
    };
    match status {
        ParentPageStatus::Recorded { .. } | ParentPageStatus::Unchecked => {}
        ParentPageStatus::NotShared { page } => findings.push(finding(
            Severity::P1,
            "parent-page.not-shared",
            &env.name,
            format!("the parent page {page} of {column} cannot be read with this environment's token: not shared with its integration, or in another workspace"),
            format!("share the page {page} with the integration (… menu → Connections)"),
        )),
        ParentPageStatus::InTrash { page } => findings.push(finding(
            blocking,
            "parent-page.in-trash",
            &env.name,
            format!("the parent page {page} of {column} is in Notion's trash: databases cannot be created under it, and the copies under it are in the trash with it"),
            format!("restore the page {page} from Notion's trash (Settings → Trash), or record another page in {column}"),
        )),
        ParentPageStatus::Invalid { reason } => findings.push(finding(
            Severity::P1,
            "parent-page.invalid",
            &env.name,
            format!("{column} is not a page link: {reason}"),
            format!("put the link of the workspace's {PARENT_PAGE_TITLE} page in {column}"),
        )),
        ParentPageStatus::Fallback { page } => findings.push(finding(
            Severity::P2,
            "parent-page.fallback",
            &env.name,
            format!("{column} is empty; the one page titled exactly {PARENT_PAGE_TITLE:?} ({page}) is used"),
            format!("run `repair --execute` to record it in {column}"),
        )),
        ParentPageStatus::NotFound => findings.push(finding(
            blocking,
            "parent-page.not-found",
            &env.name,
            format!("{column} is empty and no page titled exactly {PARENT_PAGE_TITLE:?} is shared with the integration: databases cannot be created there"),
            format!("create a page titled {PARENT_PAGE_TITLE}, share it with the integration, and record it in {column}"),
        )),
        ParentPageStatus::Ambiguous { pages } => findings.push(finding(
            blocking,
            "parent-page.ambiguous",
            &env.name,
            format!(
                "{column} is empty and {} pages are titled exactly {PARENT_PAGE_TITLE:?} ({}): none is chosen",
                pages.len(),
                pages.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            ),
            format!("record the right one in {column}, or rename the others"),
        )),
    }
}

/// Which client reads a database: the control token, except for Pull, whose source lives in
/// the environment.
fn database_reader<'a>(
    entry: &DatabaseEntry,
    control: &'a NotionClient,
    clients: &'a [Option<NotionClient>],
    env_index: &HashMap<PageId, usize>,
    primary: Option<PageId>,
) -> (Option<&'a NotionClient>, Option<PageId>) {
    if entry.sync.direction() != Some(Direction::Pull) {
        return (Some(control), None);
    }
    let env = entry
        .environments
        .iter()
        .find(|row| Some(**row) != primary)
        .copied();
    match env {
        Some(row) => (
            env_index.get(&row).and_then(|i| clients[*i].as_ref()),
            Some(row),
        ),
        None => (None, None),
    }
}

/// What one ID source resolved to.
#[derive(Debug, Clone, PartialEq)]
enum Resolution {
    /// A database with exactly these data sources.
    Database(DatabaseId, Vec<DataSourceId>),
    /// A data source of this database.
    DataSource(DataSourceId, Option<DatabaseId>),
    /// A page that is not a database.
    Page,
    /// Nothing the token can read.
    NotFound,
}

/// Resolves one ID source; with it, why what it names may never be synced, when it is a
/// registry table or a table of tokens (see [`Protected`]).
async fn resolve(
    client: &NotionClient,
    protected: &Protected,
    id: ObjectId,
    data_source_first: bool,
    reads: &AuditReads,
) -> Result<(Resolution, Option<String>, bool)> {
    let as_source = || async {
        match client.data_source(DataSourceId::from(id)).await {
            Ok(source) => {
                let found = (
                    Resolution::DataSource(source.id, source.database_id()),
                    protected.refusal(
                        source.id,
                        Some(&source.title_text()),
                        Some(&source.properties),
                    ),
                    source.in_trash(),
                );
                reads.keep_source(source);
                Ok(Some(found))
            }
            Err(Error::NotFound(_)) => Ok(None),
            Err(error) => Err(error),
        }
    };
    let as_database = || async {
        match client.database(DatabaseId::from(id)).await {
            Ok(database) => {
                let sources = database.data_source_ids();
                let refusal = match sources.as_slice() {
                    [one] => protected.refusal(*one, Some(&database.title_text()), None),
                    _ => None,
                };
                let found = (
                    Resolution::Database(database.id, sources),
                    refusal,
                    database.in_trash(),
                );
                reads.keep_database(database);
                Ok(Some(found))
            }
            Err(Error::NotFound(_)) => Ok(None),
            Err(error) => Err(error),
        }
    };
    let first = if data_source_first {
        as_source().await?
    } else {
        as_database().await?
    };
    if let Some(found) = first {
        return Ok(found);
    }
    let second = if data_source_first {
        as_database().await?
    } else {
        as_source().await?
    };
    if let Some(found) = second {
        return Ok(found);
    }
    match client.page(PageId::from(id)).await {
        Ok(_) => Ok((Resolution::Page, None, false)),
        Err(Error::NotFound(_)) => Ok((Resolution::NotFound, None, false)),
        Err(error) => Err(error),
    }
}

async fn check_database(
    registry: &Registry,
    protected: &Protected,
    entry: &DatabaseEntry,
    (reader, read_with): (Option<&NotionClient>, Option<PageId>),
    reads: &AuditReads,
) -> Result<(DatabaseAudit, Vec<Finding>)> {
    let names = &registry.names;
    let mut findings = Vec::new();
    let severity = if synced(&entry.sync) {
        Severity::P1
    } else {
        Severity::P2
    };
    let mut audit = DatabaseAudit {
        row: entry.row,
        name: entry.name.clone(),
        direction: entry.sync.direction(),
        read_with,
        resolved: None,
        unreachable: false,
        data_source_id_recorded: false,
        refused: None,
        in_trash: false,
    };
    let sources = entry.ids.named(names);
    for (column, cell) in &sources {
        if let Cell::Invalid(reason) = cell {
            findings.push(finding(
                severity,
                "database.bad-id",
                &entry.name,
                format!("{column} does not name a database: {reason}"),
                format!("correct {column} (a database link, or its ID)"),
            ));
        }
    }
    let ids: Vec<(&str, ObjectId)> = sources
        .iter()
        .filter_map(|(column, cell)| cell.value().map(|link| (*column, link.id)))
        .collect();
    if ids.is_empty() {
        if sources.iter().all(|(_, cell)| cell.is_empty()) {
            findings.push(finding(
                severity,
                "database.no-id",
                &entry.name,
                format!(
                    "none of {}, {}, {}, {} is filled",
                    names.data_source_id, names.database_id, names.nid, names.database_url
                ),
                format!("put the database's link in {}", names.database_url),
            ));
        }
        return Ok((audit, findings));
    }
    let Some(client) = reader else {
        findings.push(finding(
            severity,
            "database.no-reader",
            &entry.name,
            "it is pulled from an environment whose token does not work, so it cannot be read",
            "fix that environment's token",
        ));
        return Ok((audit, findings));
    };

    // Resolve each distinct ID once; IDs the first answer already explains need no request.
    let mut answers: Vec<(&str, ObjectId, Resolution)> = Vec::new();
    let mut refusals: Vec<String> = Vec::new();
    let mut trashed = false;
    for (column, id) in &ids {
        let known = answers.iter().find_map(|(_, _, answer)| match answer {
            Resolution::Database(db, sources) if ObjectId::from(*db) == *id => {
                Some(Resolution::Database(*db, sources.clone()))
            }
            Resolution::DataSource(ds, db) if ObjectId::from(*ds) == *id => {
                Some(Resolution::DataSource(*ds, *db))
            }
            Resolution::DataSource(ds, Some(db)) if ObjectId::from(*db) == *id => {
                // The database of a data source already read: they agree, and the data
                // source says which of the database's sources is meant.
                Some(Resolution::Database(*db, vec![*ds]))
            }
            _ => None,
        });
        let answer = match known {
            Some(answer) => answer,
            None => {
                let data_source_first = *column == names.data_source_id.as_str();
                let (answer, refusal, in_trash) =
                    resolve(client, protected, *id, data_source_first, reads).await?;
                refusals.extend(refusal);
                trashed |= in_trash;
                answer
            }
        };
        answers.push((column, *id, answer));
    }

    // What each source says, as (database, data source) when it says one.
    let mut claims: Vec<(&str, Option<DatabaseId>, Option<DataSourceId>)> = Vec::new();
    for (column, id, answer) in &answers {
        match answer {
            Resolution::Database(db, sources) => {
                if *column == names.data_source_id.as_str() {
                    findings.push(finding(
                        Severity::P2,
                        "database.wrong-kind",
                        &entry.name,
                        format!("{column} holds the database ID {id}, not a data source ID"),
                        format!("run `repair --execute` to put the data source ID in {column}"),
                    ));
                }
                if sources.len() > 1 {
                    findings.push(finding(
                        severity,
                        "database.multiple-data-sources",
                        &entry.name,
                        format!(
                            "the database {db} has {} data sources ({}); {} does not say which one is meant",
                            sources.len(),
                            sources.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
                            column
                        ),
                        format!("put the right data source ID in {}", names.data_source_id),
                    ));
                }
                let single = (sources.len() == 1).then(|| sources[0]);
                claims.push((column, Some(*db), single));
            }
            Resolution::DataSource(ds, db) => {
                if *column != names.data_source_id.as_str() {
                    findings.push(finding(
                        Severity::P2,
                        "database.wrong-kind",
                        &entry.name,
                        format!("{column} holds the data source ID {id}, not a database ID"),
                        format!("move it to {}", names.data_source_id),
                    ));
                }
                claims.push((column, *db, Some(*ds)));
            }
            Resolution::Page => {
                findings.push(finding(
                    severity,
                    "database.not-a-database",
                    &entry.name,
                    format!("{column} names the page {id}, which is not a database"),
                    format!("put the database's own link in {column}"),
                ));
                claims.push((column, None, None));
            }
            Resolution::NotFound => claims.push((column, None, None)),
        }
    }

    let reachable: Vec<_> = claims
        .iter()
        .filter(|(_, db, ds)| db.is_some() || ds.is_some())
        .collect();
    let not_found: Vec<&str> = answers
        .iter()
        .filter(|(_, _, a)| *a == Resolution::NotFound)
        .map(|(column, _, _)| *column)
        .collect();
    if reachable.is_empty() {
        if !not_found.is_empty() {
            audit.unreachable = true;
            let who = match read_with.and_then(|row| registry.environment(row)) {
                Some(env) => format!("the integration of {}", env.name),
                None => "the control integration".to_owned(),
            };
            findings.push(finding(
                severity,
                "database.unreachable",
                &entry.name,
                format!("{} names a database that {who} cannot read: it is not shared with it, or not in its workspace", not_found.join(", ")),
                format!("share the database with {who} (… menu → Connections), or correct the link"),
            ));
        }
        return Ok((audit, findings));
    }
    // Agreement: every source that names something names the same database, and the data
    // sources named (if any) are one.
    let databases: HashSet<DatabaseId> = reachable.iter().filter_map(|(_, db, _)| *db).collect();
    let data_sources: HashSet<DataSourceId> =
        reachable.iter().filter_map(|(_, _, ds)| *ds).collect();
    let disagree = databases.len() > 1
        || data_sources.len() > 1
        || !not_found.is_empty()
        || claims
            .iter()
            .any(|(_, db, ds)| db.is_none() && ds.is_none());
    if disagree {
        let said: Vec<String> = answers
            .iter()
            .map(|(column, id, answer)| {
                let what = match answer {
                    Resolution::Database(db, _) => format!("database {db}"),
                    Resolution::DataSource(ds, db) => match db {
                        Some(db) => format!("data source {ds} of database {db}"),
                        None => format!("data source {ds}"),
                    },
                    Resolution::Page => format!("page {id} (not a database)"),
                    Resolution::NotFound => format!("{id}, which cannot be read"),
                };
                format!("{column} → {what}")
            })
            .collect();
        findings.push(finding(
            severity,
            "database.ids-disagree",
            &entry.name,
            format!("its ID sources disagree: {}", said.join("; ")),
            format!(
                "correct the wrong ones; {} is the source of truth",
                names.data_source_id
            ),
        ));
        return Ok((audit, findings));
    }
    if let ([database], [data_source]) = (
        databases.iter().copied().collect::<Vec<_>>().as_slice(),
        data_sources.iter().copied().collect::<Vec<_>>().as_slice(),
    ) {
        let resolved = ResolvedDatabase {
            database: *database,
            data_source: *data_source,
        };
        audit.resolved = Some(resolved);
        let refusal = refusals
            .into_iter()
            .next()
            .or_else(|| protected.refusal(resolved.data_source, None, None));
        if let Some(reason) = refusal {
            findings.push(finding(
                Severity::P0,
                "database.protected",
                &entry.name,
                format!(
                    "{reason}: a copy would hand the registry (and its tokens) to another workspace"
                ),
                "remove the row from system-databases, or point it at the database meant; \
                 notion-xws never syncs it",
            ));
            audit.refused = Some(reason);
        }
        // A database in the trash: its data source may answer as live, so a synced row's
        // database is read when no answer said it already.
        if !trashed && synced(&entry.sync) {
            trashed = match client.database(resolved.database).await {
                Ok(database) => {
                    let in_trash = database.in_trash();
                    reads.keep_database(database);
                    in_trash
                }
                Err(Error::NotFound(_)) => false,
                Err(error) => return Err(error),
            };
        }
        if trashed {
            audit.in_trash = true;
            findings.push(finding(
                severity,
                "database.in-trash",
                &entry.name,
                format!(
                    "the database it names ({}) is in Notion's trash: it is not synced, and no \
                     copy of it is made",
                    resolved.database
                ),
                format!(
                    "restore the database from Notion's trash (Settings → Trash), or set its {} \
                     to No Sync (or remove the row)",
                    names.sync
                ),
            ));
        }
        audit.data_source_id_recorded = entry.ids.data_source_id.value().map(|l| l.id)
            == Some(ObjectId::from(resolved.data_source));
        if !audit.data_source_id_recorded && entry.ids.data_source_id.is_empty() {
            findings.push(finding(
                severity,
                "database.data-source-id-missing",
                &entry.name,
                format!(
                    "{} is empty; it resolves to {}",
                    names.data_source_id, resolved.data_source
                ),
                format!("run `repair --execute` to fill {}", names.data_source_id),
            ));
        }
    }
    Ok((audit, findings))
}

fn client_findings(
    registry: &Registry,
    checks: &[TokenCheck],
    env_index: &HashMap<PageId, usize>,
    findings: &mut Vec<Finding>,
) {
    for client in &registry.clients {
        let Ok(Some(client_token)) = client.token.resolve() else {
            continue;
        };
        for row in &client.environments {
            let Some(index) = env_index.get(row) else {
                continue;
            };
            let env = &registry.environments[*index];
            if checks[*index].token.as_ref() != Some(&client_token) {
                findings.push(finding(
                    Severity::P2,
                    "token.clients-disagree",
                    &client.name,
                    format!(
                        "the client's {} is not the token of its environment {} ({} is the source of truth)",
                        registry.names.client_token, env.name, registry.names.primary_token
                    ),
                    format!("make {} a rollup of the environment's {}", registry.names.client_token, registry.names.primary_token),
                ));
            }
        }
    }
}

fn summarize(
    registry: &Registry,
    environments: &[EnvironmentAudit],
    databases: &[DatabaseAudit],
    findings: &[Finding],
) -> AuditSummary {
    let count = |f: &dyn Fn(&&EnvironmentAudit) -> bool| environments.iter().filter(f).count();
    let with_token = registry
        .environments
        .iter()
        .filter(|env| env.token != TokenSource::Missing)
        .count();
    AuditSummary {
        environments: environments.len(),
        environments_with_token: with_token,
        environments_without_token: environments.len() - with_token,
        environments_with_invalid_token: count(&|e| {
            matches!(
                e.token,
                TokenHealth::Invalid | TokenHealth::Unreadable { .. }
            )
        }),
        environments_without_parent_page: count(&|e| e.parent_page.page().is_none()),
        databases: databases.len(),
        databases_with_data_source_id: registry
            .databases
            .iter()
            .filter(|db| !db.ids.data_source_id.is_empty())
            .count(),
        databases_without_data_source_id: registry
            .databases
            .iter()
            .filter(|db| db.ids.data_source_id.is_empty())
            .count(),
        databases_with_url: registry
            .databases
            .iter()
            .filter(|db| !db.ids.database_url.is_empty())
            .count(),
        databases_resolvable: databases.iter().filter(|d| d.resolved.is_some()).count(),
        databases_unreachable: databases.iter().filter(|d| d.unreachable).count(),
        findings: findings.len(),
        blocking_findings: findings
            .iter()
            .filter(|f| f.severity == Severity::P0)
            .count(),
    }
}

/// Looks, in every workspace the tool can read (the control's, and each environment's with a
/// working token, each workspace once), for a data source that holds a token column and is not
/// one of the registry's own tables: a readable copy of tokens (an earlier script's copy of
/// `system-environments`, say). P0 in an environment's workspace, whose people would read the
/// keys to every other workspace; P1 in the control workspace. Adds its findings to `report`;
/// reports each workspace searched to `progress`.
pub async fn scan_token_copies(
    control: &NotionClient,
    registry: &Registry,
    report: &mut AuditReport,
    progress: &Reporter,
) -> Result<()> {
    let protected = Protected::of(registry);
    let mut workspaces = vec![(None, control.clone())];
    let mut seen: HashSet<WorkspaceId> = report.control.workspace_id.into_iter().collect();
    for env in report.environments.iter().filter(|env| !env.primary) {
        let TokenHealth::Valid { workspace_id, .. } = &env.token else {
            continue;
        };
        if workspace_id.is_some_and(|id| !seen.insert(id)) {
            continue;
        }
        if let Some(Ok(Some(token))) = registry.environment(env.row).map(|e| e.token.resolve()) {
            workspaces.push((Some(env.name.clone()), control.for_token(token)));
        }
    }
    let searched = progress.counter(
        |done, total| Progress::TokenCopies { done, total },
        workspaces.len(),
    );
    let searches: Vec<_> = workspaces
        .iter()
        .map(|(_, client)| searched.count(client.search_data_sources("").try_collect::<Vec<_>>()))
        .collect();
    let results: Vec<Result<Vec<_>>> = stream::iter(searches).buffered(CONCURRENCY).collect().await;
    for ((environment, _), result) in workspaces.iter().zip(results) {
        let place = match environment {
            None => "the control workspace".to_owned(),
            Some(name) => format!("the workspace of {name}"),
        };
        let sources = match (result, environment) {
            (Ok(sources), _) => sources,
            (Err(error), None) => return Err(error),
            (Err(error), Some(name)) => {
                report.findings.push(finding(
                    Severity::P2,
                    "token.copies-unchecked",
                    name,
                    format!("{place} could not be searched for copies of tokens: {error}"),
                    "run the audit again",
                ));
                continue;
            }
        };
        for source in sources
            .iter()
            .filter(|source| !source.in_trash() && !protected.is_registry_table(source.id))
        {
            let Some(column) = protected.token_column(&source.properties) else {
                continue;
            };
            report.findings.push(finding(
                if environment.is_some() {
                    Severity::P0
                } else {
                    Severity::P1
                },
                "token.copy",
                &source.title_text(),
                format!(
                    "the data source {} ({}) in {place} has a token column ({column:?}): whoever \
                     can open it reads the tokens it holds",
                    source.id, source.url
                ),
                "delete it (and empty it from the trash), then rotate every token it held; \
                 notion-xws never syncs a table of tokens",
            ));
        }
    }
    report
        .findings
        .sort_by(|a, b| (a.severity, a.code, &a.subject).cmp(&(b.severity, b.code, &b.subject)));
    report.summary = summarize(
        registry,
        &report.environments,
        &report.databases,
        &report.findings,
    );
    Ok(())
}
