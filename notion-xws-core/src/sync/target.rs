//! A pair's target database: found by the marker in its description among the parent page's
//! children ([`find_marked_target`]), or created there with the link row written first
//! (`ensure_target`), and recorded in `system-sync-links`; where an existing copy lies, and its
//! move under the pair's parent page when the registry names another one ([`outside_of`],
//! [`MoveTarget`]); and the clients and records a pair is applied with
//! ([`PairContext`]). Both pair kinds go through here.

use std::collections::BTreeMap;

use futures::stream::TryStreamExt;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::client::NotionClient;
use crate::error::{Error, Result};
use crate::ids::{BlockId, DataSourceId, DatabaseId, PageId};
use crate::model::params::{CreateDatabase, InitialDataSource};
use crate::model::{Block, Parent, ParentKind, PropertyConfig, RichText};
use crate::sync::links::{self, LinkState, LinksTable, SyncLink, marker};
use crate::sync::metadata::{copy_description, plain_rich_text};
use crate::sync::options::ExecuteOptions;
use crate::sync::rows::SyncPair;
use crate::sync::schema::{ColumnChanges, Retype};
use crate::sync::settle::settle;
use crate::sync::stop::StopFlag;

/// The target database to create.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreateTarget {
    /// The page it is created under.
    pub parent: PageId,
    /// Its title (the source's).
    pub title: String,
    /// The source's description (the sync's marker is added after it).
    pub description: String,
    /// The source's icon, when another workspace can show it.
    pub icon: Option<crate::model::Icon>,
    /// The source's cover, when another workspace can show it.
    pub cover: Option<crate::model::Cover>,
    /// Its properties, as request JSON.
    pub properties: BTreeMap<String, Value>,
}

/// An existing copy to move under its pair's parent page (the registry's
/// `Database-Parent-Page-ID` changed since the copy was made): `PATCH /v1/databases/{id}` with
/// the new `parent`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MoveTarget {
    /// Where the copy lies now (outside the parent page).
    pub from: Parent,
    /// The page it is moved under.
    pub to: PageId,
}

impl MoveTarget {
    /// The dry run's note: the move this plan would make.
    pub fn planned_note(&self) -> String {
        format!(
            "would move the copy from {} under the parent page {}",
            self.from_text(),
            self.to
        )
    }

    /// `page <id>` (or `block <id>`, `the top of the workspace`): where the copy lies now.
    pub fn from_text(&self) -> String {
        match &self.from.kind {
            ParentKind::Page(page) => format!("page {page}"),
            ParentKind::Block(block) => format!("block {block}"),
            ParentKind::Workspace => "the top of the workspace".to_owned(),
            other => format!("{other:?}"),
        }
    }
}

/// How many parents up [`outside_of`] looks for the pair's parent page.
const PLACEMENT_DEPTH: usize = 16;

/// Where a copy lies, when that is not under `page`: `None` when its parent
/// (`database_parent`, as its data source reads) is `page`, or lies under it (a person may have
/// put the copy in a sub-page or a column of the page), found by walking the parents up (no
/// request when the parent is `page` itself); `Some(parent)` when it lies elsewhere. A parent
/// the integration cannot read is not under `page` (everything under a shared page is readable).
/// `None` as well when Notion did not say where the copy lies.
pub async fn outside_of(
    client: &NotionClient,
    database_parent: Option<&Parent>,
    page: PageId,
) -> Result<Option<Parent>> {
    let Some(parent) = database_parent else {
        return Ok(None);
    };
    let mut current = parent.clone();
    for _ in 0..PLACEMENT_DEPTH {
        let up = match &current.kind {
            ParentKind::Page(p) if *p == page => return Ok(None),
            ParentKind::Page(p) => BlockId::from(*p),
            ParentKind::Block(b) => *b,
            _ => return Ok(Some(parent.clone())),
        };
        current = match client.block(up).await {
            Ok(block) => match block.parent {
                Some(next) => next,
                None => return Ok(Some(parent.clone())),
            },
            Err(Error::NotFound(_)) => return Ok(Some(parent.clone())),
            Err(error) => return Err(error),
        };
    }
    Ok(Some(parent.clone()))
}

/// Moves the copy under the pair's parent page (one `PATCH /v1/databases/{id}`, which sets a
/// value: sent again when its outcome is unknown). A move Notion refuses (the page is not
/// shared with the integration, say) leaves the copy where it is, for a person: the rows are
/// written all the same. Both pair kinds go through here.
pub(crate) async fn move_copy(
    client: &NotionClient,
    database: DatabaseId,
    planned: &MoveTarget,
    outcome: &mut crate::sync::outcome::PairOutcome,
) {
    match client.move_database(database, planned.to).await {
        Ok(_) => outcome.moved = Some((planned.from_text(), planned.to, None)),
        Err(error @ (Error::NotFound(_) | Error::Validation(_) | Error::Forbidden(_))) => {
            let refused = Some(error.to_string());
            outcome.moved = Some((planned.from_text(), planned.to, refused));
        }
        Err(error) => {
            outcome.failed += 1;
            outcome.errors.push(format!(
                "moving the copy from {} under page {}: {error}",
                planned.from_text(),
                planned.to
            ));
        }
    }
}

/// Carries the source's title, description, icon or cover to a copy (one
/// `PATCH /v1/databases/{id}`, which sets values: sent again when its outcome is unknown); a
/// failure is a failed write of the pair. Both pair kinds go through here.
pub(crate) async fn update_copy(
    client: &NotionClient,
    database: DatabaseId,
    update: &crate::model::params::UpdateDatabase,
    outcome: &mut crate::sync::outcome::PairOutcome,
) {
    if let Err(error) = client.update_database(database, update).await {
        outcome.failed += 1;
        outcome.errors.push(format!(
            "updating the copy's title, description, icon or cover: {error}"
        ));
    }
}

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
    /// The executor's knobs.
    pub options: ExecuteOptions,
    /// Raised, no further write starts (see [`stop`](crate::sync::stop)).
    pub stop: StopFlag,
    /// The pair is written under its environment's claim in `system-sync-leases`, which tells
    /// a later run, should this one stop half-way, what its link row's `running` would: a row
    /// left `done` is then not marked `running` first.
    pub claimed: bool,
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
/// the pair `running` (unless its row is `done` and it writes under a claim: see
/// [`PairContext::claimed`]).
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
                columns: Default::default(),
                watermark: None,
                target_rows: None,
                row,
                database_row: Some(pair.database_row),
                environment_row: Some(pair.environment_row),
                target_database: None,
                target_data_source: None,
                state: LinkState::Creating,
                status: links::StatusCells {
                    status: None,
                    reason: None,
                },
            }
        }
    };
    if link.target_database.zip(link.target_data_source) == Some(target) {
        // Under a claim, a row left `done` needs no mark: a claim that lapses unreleased tells
        // the next run that this one stopped half-way.
        if !(ctx.claimed && link.state == LinkState::Done) {
            links::set_state(ctx.control, link.row, LinkState::Running).await?;
        }
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
        (Some(_), Some(link)) => {
            // A row that records no copy (a pair skipped before, whose row holds only its
            // status): `creating` first, so that a run that stops before recording the copy
            // tells the next one to wait for Notion's lag before it looks for it.
            if link.state != LinkState::Creating && link.target_database.is_none() {
                links::set_state(ctx.control, link.row, LinkState::Creating).await?;
            }
            Some(link.row)
        }
        (Some(links), None) => Some(links.add(ctx.control, pair).await?),
    };
    let mut body = CreateDatabase::new(Parent::page(create.parent));
    body.title = Some(plain_rich_text(&create.title));
    body.description = Some(plain_rich_text(&copy_description(
        &create.description,
        &marker(pair),
    )));
    body.icon.clone_from(&create.icon);
    body.cover.clone_from(&create.cover);
    let mut initial = InitialDataSource::default();
    for (name, config) in &create.properties {
        let config = serde_json::from_value(config.clone()).map_err(|e| Error::Decode {
            what: format!("the planned schema of property {name:?}"),
            message: e.to_string(),
        })?;
        initial.properties.insert(name.clone(), config);
    }
    body.initial_data_source = Some(initial);
    // Write::CreateDatabase: read back (find it by its marker) when the outcome is unknown.
    let target = match ctx.target.create_database(&body).await {
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
            let found = settle(&ctx.options, || {
                find_marked_target(&ctx.target, create.parent, pair)
            })
            .await?;
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

/// Makes a plan's column changes ([`ColumnChanges`]) on the copy `data_source`, in order, and
/// returns its schema after them, or, for a copy this run `created` (whose columns no change
/// answered with), as read; `None` when neither (the schema as the plan read it stands). A
/// type change Notion refuses to convert is made by removing the column and creating it again
/// with its new type (its values are then written from the source with the rows), with a note
/// in `notes`.
pub(crate) async fn change_columns(
    client: &NotionClient,
    data_source: DataSourceId,
    changes: &ColumnChanges,
    created: bool,
    notes: &mut Vec<String>,
) -> Result<Option<BTreeMap<String, PropertyConfig>>> {
    let mut last = None;
    for step in &changes.steps {
        let retyped: Vec<&Retype> = changes
            .retyped
            .iter()
            .filter(|r| step.contains_key(&r.id))
            .collect();
        let answer = match client
            .change_columns(data_source, Value::Object(step.clone()))
            .await
        {
            Ok((answer, _)) => answer,
            Err(Error::Validation(refusal)) if !retyped.is_empty() => {
                let removal: Map<String, Value> = retyped
                    .iter()
                    .map(|r| (r.id.clone(), Value::Null))
                    .collect();
                client
                    .change_columns(data_source, Value::Object(removal))
                    .await?;
                let mut again = step.clone();
                for retype in &retyped {
                    again.remove(&retype.id);
                    again.insert(retype.name.clone(), retype.config.clone());
                    notes.push(format!(
                        "{:?}: Notion did not convert the copy's column to its new type ({}): it was removed and made again, its values written from the source",
                        retype.name, refusal.message
                    ));
                }
                client
                    .change_columns(data_source, Value::Object(again))
                    .await?
                    .0
            }
            Err(error) => return Err(error),
        };
        last = Some(answer.properties);
    }
    if last.is_none() && created {
        last = Some(client.data_source(data_source).await?.properties);
    }
    Ok(last)
}
