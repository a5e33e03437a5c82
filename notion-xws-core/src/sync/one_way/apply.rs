//! The executor: applies a [`PairPlan`], and only that, so that no row is written twice.
//!
//! Writes go out concurrently (each token's rate budget paces them). A write whose outcome is
//! unknown ([`Error::AmbiguousWrite`]: a timeout, a 5xx) is never sent again blindly:
//!
//! - a **create** is settled by looking its correlation key up in the target, after a settle
//!   delay for Notion's read-after-write lag, a few times; only when it is still not there is it
//!   sent again (and when Notion named the page it committed, that page is taken);
//! - an **update** or a **trash** sets values, so sending it again is harmless;
//! - the **target database** names its pair in its description, so it is found again among the
//!   parent page's children.
//!
//! A row write that copies a Notion-hosted file first re-imports it into the target
//! ([`files`](crate::sync::files)); a file that cannot be imported is left out of the write, which
//! goes ahead with the rest of the row, and is reported.
//!
//! The pair's link row is written before the first write (`creating` or `running`) and after the
//! last (`done`, with the counts), so that a run that stops half-way is known to the next one.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::stream::{self, StreamExt, TryStreamExt};
use serde::Serialize;
use serde_json::{Value, json};

use crate::client::NotionClient;
use crate::error::{Error, Result};
use crate::ids::{BlockId, DataSourceId, DatabaseId, PageId};
use crate::model::params::{Filter, PropertyFilter};
use crate::model::{Block, Page, RichText};
use crate::sync::columns::SOURCE_KEY;
use crate::sync::files::{FailedFile, OnFailure, resolve_hosted_files};
use crate::sync::links::{self, LinkState, LinksTable, SyncLink, marker};
use crate::sync::one_way::plan::{CreateTarget, PairPlan, RowAction};
pub use crate::sync::options::ExecuteOptions;
use crate::sync::rows::SyncPair;

/// What applying one pair's plan did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PairOutcome {
    /// Target rows created (those settled after an unknown outcome included).
    pub created: usize,
    /// Target rows updated.
    pub updated: usize,
    /// Target rows trashed.
    pub trashed: usize,
    /// Writes whose outcome was unknown and that were settled without a duplicate.
    pub settled: usize,
    /// Writes that failed.
    pub failed: usize,
    /// Why they failed.
    pub errors: Vec<String>,
    /// Whether the target database was created.
    pub created_target: bool,
    /// Notion-hosted files re-imported into the side written.
    pub files_reimported: usize,
    /// Notion-hosted files that could not be re-imported (each named in the errors).
    pub files_not_copied: usize,
    /// The target rows created, by their source row.
    #[serde(skip)]
    pub created_rows: Vec<(PageId, PageId)>,
}

/// A progress report of the executor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// The pair (`database → environment`).
    pub pair: String,
    /// Row writes done.
    pub done: usize,
    /// Row writes planned.
    pub planned: usize,
}

/// Receives progress reports.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// The clients and records one pair is applied with.
#[derive(Debug, Clone)]
pub struct PairContext<'a> {
    /// The control client (the links table).
    pub control: &'a NotionClient,
    /// The client of the source's workspace (Notion-hosted files are read again from it).
    pub source: NotionClient,
    /// The client of the target's workspace.
    pub target: NotionClient,
    /// The links table; `None` for a one-shot copy that keeps no record.
    pub links: Option<&'a LinksTable>,
    /// The pair's link row, if it has one.
    pub link: Option<SyncLink>,
}

/// The row of `data_source` whose rich-text link `column` holds `value` (the oldest, when a
/// crash made two), if any: how a create whose outcome is unknown is settled.
pub(crate) async fn find_by_link(
    client: &NotionClient,
    data_source: DataSourceId,
    column: &str,
    value: PageId,
) -> Result<Option<PageId>> {
    let filter = Filter::Property(PropertyFilter::new(
        column,
        "rich_text",
        json!({"equals": value.to_string()}),
    ));
    let found: Vec<Page> = client
        .query_all(data_source, Some(filter), &[])
        .try_collect()
        .await?;
    Ok(found.iter().map(|page| page.id).min())
}

/// Creates a row of `data_source` whose link `column` holds `link`, never twice: a create whose
/// outcome is unknown is looked up by its link after a settle delay, a few times, and sent again
/// only when it is still not there. Returns the row, and whether its outcome had to be settled.
pub(crate) async fn create_settled(
    client: &NotionClient,
    data_source: DataSourceId,
    properties: &serde_json::Map<String, Value>,
    column: &str,
    link: PageId,
    options: &ExecuteOptions,
) -> Result<(PageId, bool)> {
    let body = json!({
        "parent": {"type": "data_source_id", "data_source_id": data_source},
        "properties": properties,
    });
    // Write::CreatePage: read back (look the key up) when the outcome is unknown.
    match client.create_page_json(body.clone()).await {
        Ok(page) => Ok((page.id, false)),
        Err(Error::AmbiguousWrite {
            committed_resource_id: Some(id),
            ..
        }) => Ok((PageId::from(id), true)),
        Err(Error::AmbiguousWrite { .. }) => {
            for attempt in 1..=options.settle_attempts.max(1) {
                tokio::time::sleep(options.settle_delay * attempt).await;
                if let Some(id) = find_by_link(client, data_source, column, link).await? {
                    return Ok((id, true));
                }
            }
            // Not there after the settle window: it was not applied.
            client
                .create_page_json(body)
                .await
                .map(|page| (page.id, true))
        }
        Err(error) => Err(error),
    }
}

/// The target database marked as `pair`'s among `parent`'s children, if any.
pub async fn find_marked_target(
    target: &NotionClient,
    parent: PageId,
    pair: &SyncPair,
) -> Result<Option<(DatabaseId, DataSourceId)>> {
    let children: Vec<Block> = target
        .block_children(BlockId::from(parent))
        .try_collect()
        .await?;
    let expected = marker(pair);
    for child in children.iter().filter(|b| b.block_type == "child_database") {
        let database = match target
            .database(DatabaseId::from_u128(child.id.as_u128()))
            .await
        {
            Ok(database) => database,
            Err(Error::NotFound(_)) => continue,
            Err(error) => return Err(error),
        };
        if database.in_trash() {
            continue;
        }
        let description = RichText::concat_plain_text(&database.description);
        if description.contains(&expected)
            && let Some(source) = database.data_source_ids().first()
        {
            return Ok(Some((database.id, *source)));
        }
    }
    Ok(None)
}

/// Records an existing target in the pair's link row (a new row if none is listed), and marks
/// the pair `running`.
async fn record_existing(
    pair: &SyncPair,
    ctx: &PairContext<'_>,
    links: &LinksTable,
    target: (DatabaseId, DataSourceId),
) -> Result<PageId> {
    let link = match &ctx.link {
        Some(link) => link.clone(),
        None => {
            // Found by its marker while its link row is not listed (yet): record it anew.
            let row = links.add(ctx.control, pair).await?;
            SyncLink {
                row,
                database_row: Some(pair.database_row),
                environment_row: Some(pair.environment_row),
                target_database: None,
                target_data_source: None,
                state: LinkState::Creating,
            }
        }
    };
    if link.target_database.zip(link.target_data_source) == Some(target) {
        links::set_state(ctx.control, link.row, LinkState::Running).await?;
    } else {
        links::record_target(
            ctx.control,
            link.row,
            target.0,
            target.1,
            LinkState::Running,
        )
        .await?;
    }
    Ok(link.row)
}

/// Creates the target database of a plan (the link row first), or finds the one a stopped run
/// made. Returns the target and the link row (none without a links table).
pub(crate) async fn ensure_target(
    pair: &SyncPair,
    create: Option<&CreateTarget>,
    target: Option<(DatabaseId, DataSourceId)>,
    ctx: &PairContext<'_>,
    options: &ExecuteOptions,
) -> Result<((DatabaseId, DataSourceId), Option<PageId>)> {
    let Some(create) = create else {
        let target = target.ok_or_else(|| Error::Config("a plan without a target".into()))?;
        let link = match ctx.links {
            Some(links) => Some(record_existing(pair, ctx, links, target).await?),
            None => None,
        };
        return Ok((target, link));
    };
    let link = match (ctx.links, &ctx.link) {
        (None, _) => None,
        (Some(_), Some(link)) => Some(link.row),
        (Some(links), None) => Some(links.add(ctx.control, pair).await?),
    };
    let mut body =
        crate::model::params::CreateDatabase::new(crate::model::Parent::page(create.parent));
    body.title = Some(vec![RichText::text(create.title.clone())]);
    body.description = Some(vec![RichText::text(marker(pair))]);
    let mut properties = serde_json::Map::new();
    for (name, config) in &create.properties {
        properties.insert(name.clone(), config.clone());
    }
    let mut request = serde_json::to_value(&body).map_err(|e| Error::Decode {
        what: "a database".into(),
        message: e.to_string(),
    })?;
    request["initial_data_source"] = json!({ "properties": properties });
    // Write::CreateDatabase: read back (find it by its marker) when the outcome is unknown.
    let target = match ctx.target.create_database_json(request).await {
        Ok(database) => {
            let source =
                database
                    .data_source_ids()
                    .first()
                    .copied()
                    .ok_or_else(|| Error::Decode {
                        what: "the new target database".into(),
                        message: "it has no data source".into(),
                    })?;
            (database.id, source)
        }
        Err(Error::AmbiguousWrite { .. }) => {
            let mut found = None;
            for attempt in 1..=options.settle_attempts.max(1) {
                tokio::time::sleep(options.settle_delay * attempt).await;
                found = find_marked_target(&ctx.target, create.parent, pair).await?;
                if found.is_some() {
                    break;
                }
            }
            found.ok_or_else(|| Error::AmbiguousWrite {
                operation: "POST /v1/databases".into(),
                cause:
                    "the target database may or may not exist; the next run finds it by its marker"
                        .into(),
                committed_resource_id: None,
                api: None,
            })?
        }
        Err(error) => return Err(error),
    };
    if let Some(link) = link {
        links::record_target(ctx.control, link, target.0, target.1, LinkState::Running).await?;
    }
    Ok((target, link))
}

/// What came of one row write.
enum RowResult {
    Created { row: PageId, settled: bool },
    Updated { settled: bool },
    Trashed { settled: bool },
}

/// What came of one row write, with its hosted files.
struct RowWrite {
    result: Result<RowResult>,
    files_reimported: usize,
    files_failed: Vec<FailedFile>,
}

async fn apply_row(
    action: &RowAction,
    ctx: &PairContext<'_>,
    data_source: DataSourceId,
    options: &ExecuteOptions,
) -> RowWrite {
    let target = &ctx.target;
    let (source, properties) = match action {
        RowAction::Create { source, properties }
        | RowAction::Update {
            source, properties, ..
        } => (*source, properties),
        RowAction::Trash { target: row, .. } => {
            // A trash without a mark sets one value: sent again when its outcome is unknown.
            let result = target
                .set_page(*row, json!({ "in_trash": true }))
                .await
                .map(|settled| RowResult::Trashed { settled });
            return RowWrite {
                result,
                files_reimported: 0,
                files_failed: Vec::new(),
            };
        }
    };
    let resolved = resolve_hosted_files(
        properties,
        &ctx.source,
        source,
        target,
        OnFailure::DropFile,
        options,
    )
    .await;
    let result = match action {
        RowAction::Update { target: row, .. } => target
            .set_page_properties(*row, json!(resolved.properties))
            .await
            .map(|settled| RowResult::Updated { settled }),
        _ => create_settled(
            target,
            data_source,
            &resolved.properties,
            SOURCE_KEY,
            source,
            options,
        )
        .await
        .map(|(row, settled)| RowResult::Created { row, settled }),
    };
    // A file counts as re-imported only once the write that attaches it went through.
    let files_reimported = if result.is_ok() { resolved.imported } else { 0 };
    RowWrite {
        result,
        files_reimported,
        files_failed: resolved.failed,
    }
}

/// Applies one pair's plan. Nothing is written when the plan has no write.
pub async fn apply_pair(
    plan: &PairPlan,
    ctx: &PairContext<'_>,
    options: &ExecuteOptions,
    progress: Option<&ProgressFn>,
) -> (PairOutcome, Option<(DatabaseId, DataSourceId)>) {
    let mut outcome = PairOutcome::default();
    let recorded = ctx
        .link
        .as_ref()
        .and_then(|link| link.target_database.zip(link.target_data_source));
    if plan.writes() == 0 && (plan.target.is_none() || recorded == plan.target) {
        return (outcome, plan.target);
    }
    let prepared = async {
        let (target, link) = ensure_target(
            &plan.pair,
            plan.create_target.as_ref(),
            plan.target,
            ctx,
            options,
        )
        .await?;
        if !plan.add_properties.is_empty() {
            let properties: serde_json::Map<String, Value> = plan
                .add_properties
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            ctx.target
                .set_data_source_properties(target.1, json!(properties))
                .await?;
        }
        Ok::<_, Error>((target, link))
    }
    .await;
    let (target, link) = match prepared {
        Ok(prepared) => prepared,
        Err(error) => {
            outcome.failed = plan.rows.len();
            outcome.errors.push(error.to_string());
            return (outcome, plan.target);
        }
    };
    outcome.created_target = plan.create_target.is_some();

    let done = AtomicUsize::new(0);
    let planned = plan.rows.len();
    let label = plan.pair.label();
    // (The futures are made first, then run, so that the executor's future stays `Send`.)
    let writes: Vec<_> = plan
        .rows
        .iter()
        .map(|action| {
            let (done, label) = (&done, &label);
            async move {
                let result = apply_row(action, ctx, target.1, options).await;
                let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                if let Some(report) = progress {
                    report(&Progress {
                        pair: label.clone(),
                        done: finished,
                        planned,
                    });
                }
                (action, result)
            }
        })
        .collect();
    let results: Vec<(&RowAction, RowWrite)> = stream::iter(writes)
        .buffer_unordered(options.concurrency.max(1))
        .collect()
        .await;
    for (action, write) in results {
        let row = match action {
            RowAction::Create { source, .. } => format!("create of source row {source}"),
            RowAction::Update { target, .. } => format!("update of target row {target}"),
            RowAction::Trash { target, .. } => format!("trash of target row {target}"),
        };
        outcome.files_reimported += write.files_reimported;
        outcome.files_not_copied += write.files_failed.len();
        for failed in &write.files_failed {
            outcome.errors.push(format!("{row}: {failed}"));
        }
        match write.result {
            Ok(RowResult::Created { row, settled }) => {
                if let RowAction::Create { source, .. } = action {
                    outcome.created_rows.push((*source, row));
                }
                outcome.created += 1;
                outcome.settled += usize::from(settled);
            }
            Ok(RowResult::Updated { settled }) => {
                outcome.updated += 1;
                outcome.settled += usize::from(settled);
            }
            Ok(RowResult::Trashed { settled }) => {
                outcome.trashed += 1;
                outcome.settled += usize::from(settled);
            }
            Err(error) => {
                outcome.failed += 1;
                outcome.errors.push(format!("{row}: {error}"));
            }
        }
    }
    if let (0, Some(link)) = (outcome.failed, link) {
        let finished = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
        let result = format!(
            "created {}, updated {}, trashed {}, unchanged {}",
            outcome.created, outcome.updated, outcome.trashed, plan.counts.unchanged
        );
        let rows = plan.counts.unchanged + plan.counts.update + outcome.created;
        if let Err(error) = links::record_result(ctx.control, link, &finished, &result, rows).await
        {
            outcome
                .errors
                .push(format!("recording the result in the link: {error}"));
        }
    }
    (outcome, Some(target))
}
