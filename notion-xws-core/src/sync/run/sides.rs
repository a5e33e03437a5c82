//! Reading a pair's two sides: each source once, shared by every pair that copies it; the
//! target located by its link row or its marker, and read; and the two put together into the
//! planner's snapshot.

use super::candidates::Candidate;
use super::context::RunContext;
use std::collections::HashMap;
use std::sync::Arc;

use futures::future::{BoxFuture, FutureExt};
use futures::stream::TryStreamExt;

use crate::client::NotionClient;
use crate::error::{Error, Result};
use crate::ids::DataSourceId;
use crate::model::{DataSource, ParentKind};
use crate::registry::{Direction, Protected};
use crate::sync::links::LinkState;
use crate::sync::metadata::DatabaseLook;
use crate::sync::one_way::plan::PairSnapshot;
use crate::sync::refs::reads::complete_truncated;
use crate::sync::refs::{PairRefs, RefSide, RelationCopy, count_kept, has_references};
use crate::sync::rows::{RowContent, TargetSnapshot};
use crate::sync::target::{find_marked_target, outside_of};

/// What was read of a source, shared by every pair that copies it.
#[derive(Debug)]
pub(super) struct SourceSnapshot {
    pub(super) title: String,
    pub(super) schema: std::collections::BTreeMap<String, crate::model::PropertyConfig>,
    pub(super) rows: Arc<Vec<RowContent>>,
    /// Whether the source (its data source, or the database that holds it) is in the trash.
    pub(super) in_trash: bool,
    /// The source database's title, description, icon and cover.
    pub(super) look: Option<DatabaseLook>,
}

/// A side of a pair found in Notion's trash: never synced as if it were live.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum Trashed {
    /// The source database (for a two-way pair, the control database).
    #[error("the source database is in Notion's trash")]
    Source,
    /// The copy recorded in `system-sync-links`.
    #[error("the copy {0} (recorded in system-sync-links) is in Notion's trash")]
    Copy(crate::ids::DatabaseId),
}

/// Reads a source's schema and rows (turned into [`RowContent`] as they come).
pub(super) async fn read_source(
    client: &NotionClient,
    data_source: DataSourceId,
    schema: Option<Arc<DataSource>>,
    protected: &Protected,
) -> Result<SourceSnapshot> {
    let schema = match schema {
        Some(schema) => DataSource::clone(&schema),
        None => client.data_source(data_source).await?,
    };
    protected.refuse(data_source, Some(&schema.title_text()), &schema.properties)?;
    let rows = client
        .query_all(data_source, None, &[])
        .map_ok(|page| RowContent::from(&page))
        .try_collect::<Vec<RowContent>>();
    // The database that holds the source, read at once with the rows: whether it is in the
    // trash (Notion answers for a trashed database's rows as if they were live), and its look.
    let database = async {
        match &schema.parent.kind {
            ParentKind::Database(database) => client.database(*database).await.map(Some),
            _ => Ok(None),
        }
    };
    let (database, mut rows) = futures::try_join!(database, rows)?;
    let in_trash = schema.in_trash() || database.as_ref().is_some_and(|d| d.in_trash());
    let look = database.as_ref().map(DatabaseLook::of);
    complete_truncated(client, &schema.properties, &mut rows).await?;
    Ok(SourceSnapshot {
        title: schema.title_text(),
        schema: schema.properties,
        rows: Arc::new(rows),
        in_trash,
        look,
    })
}

/// Where a pair's target is: its link row, and the target it records or (when a run made it and
/// stopped before recording it, or its link row is not listed yet) the one its marker names.
/// When the last run stopped half-way, waits for Notion's read-after-write lag to pass first.
pub(super) async fn locate_target(
    candidate: &Candidate,
    run: &RunContext<'_>,
) -> Result<(
    Option<(crate::ids::DatabaseId, DataSourceId)>,
    Option<crate::sync::links::SyncLink>,
)> {
    let mut link = run.links.and_then(|l| l.link_for(&candidate.pair)).cloned();
    let mut target = link
        .as_ref()
        .and_then(|l| l.target_database.zip(l.target_data_source));
    if target.is_none() {
        target =
            find_marked_target(&candidate.target, candidate.target_parent, &candidate.pair).await?;
        // A copy the pass's read of the links table knew nothing of: another run made it (and
        // its link row) since; its row is the pair's link.
        if let (Some(_), Some(links)) = (target, run.links) {
            let fresh = links
                .fresh_link_for(&candidate.links_client, &candidate.pair)
                .await?;
            link = fresh.or(link);
        }
    }
    if link.as_ref().is_some_and(|l| l.state != LinkState::Done) {
        tokio::time::sleep(run.options.execute_options.read_after_write_lag()).await;
    }
    Ok((target, link))
}

/// Reads the target side of a pair: its link row and, when it exists, the target.
///
/// A recorded copy in the trash is read as the copy a run made again in its place, when there
/// is one (a run with `--recreate` that stopped before recording it); else it is
/// [`Trashed::Copy`], unless this run recreates such copies: then the pair is read as having no
/// copy (the plan makes a new one, with every row, and records it).
pub(super) async fn read_target(
    candidate: &Candidate,
    run: &RunContext<'_>,
) -> std::result::Result<(Option<TargetSnapshot>, Option<crate::sync::links::SyncLink>), SideError>
{
    let (target_ids, link) = locate_target(candidate, run)
        .await
        .map_err(SideError::Target)?;
    let Some(ids) = target_ids else {
        return Ok((None, link));
    };
    if let Some(target) = read_copy(candidate, ids).await.map_err(SideError::Target)? {
        return Ok((Some(target), link));
    }
    let remade = match remade_copy(candidate).await.map_err(SideError::Target)? {
        Some(remade) => read_copy(candidate, remade)
            .await
            .map_err(SideError::Target)?,
        None => None,
    };
    match remade {
        Some(target) => Ok((Some(target), link)),
        None if run.options.recreate => Ok((None, link)),
        None => Err(SideError::InTrash(Trashed::Copy(ids.0))),
    }
}

/// The live copy marked as the pair's under the environment's parent page, made in place of a
/// recorded copy that is in the trash (a copy in the trash is never one).
pub(super) async fn remade_copy(
    candidate: &Candidate,
) -> Result<Option<(crate::ids::DatabaseId, DataSourceId)>> {
    find_marked_target(&candidate.target, candidate.target_parent, &candidate.pair).await
}

/// Reads a pair's copy: its schema, rows, place and look, or `None` when it is in the trash.
async fn read_copy(
    candidate: &Candidate,
    (database_id, data_source): (crate::ids::DatabaseId, DataSourceId),
) -> Result<Option<TargetSnapshot>> {
    let client = &candidate.target;
    let rows = client
        .query_all(data_source, None, &[])
        .map_ok(|page| RowContent::from(&page))
        .try_collect::<Vec<RowContent>>();
    // Read at once; their errors are taken in this order, so that a copy deleted or unshared
    // is said as such, and a copy in the trash is that whatever its rows' read answered.
    let (schema, database, rows) = futures::join!(
        client.data_source(data_source),
        client.database(database_id),
        rows
    );
    let schema = schema.map_err(|error| match error {
        Error::NotFound(_) => Error::Registry(format!(
            "the target data source {data_source} recorded in system-sync-links cannot be read: \
             it was deleted, or unshared from the environment's integration; share it again, or \
             clear the link row to create a new target"
        )),
        other => other,
    })?;
    let database = database?;
    if database.in_trash() || schema.in_trash() {
        return Ok(None);
    }
    let mut rows = rows?;
    candidate
        .protected
        .refuse(data_source, Some(&schema.title_text()), &schema.properties)?;
    complete_truncated(client, &schema.properties, &mut rows).await?;
    let outside_parent = outside_of(
        client,
        schema.database_parent.as_ref(),
        candidate.target_parent,
    )
    .await?;
    Ok(Some(TargetSnapshot {
        database: database_id,
        data_source,
        schema: schema.properties,
        rows,
        outside_parent,
        look: Some(DatabaseLook::of(&database)),
    }))
}

/// The snapshot of a pair: its source (shared, unless its references are made portable for
/// this pair) and its target.
pub(super) fn assemble(
    candidate: &Candidate,
    source: &SourceSnapshot,
    mut target: Option<TargetSnapshot>,
    refs: PairRefs,
    columns: crate::sync::column_map::ColumnMap,
) -> PairSnapshot {
    let mut source_rows = Arc::clone(&source.rows);
    if has_references(&source.schema) {
        let mut rows = source_rows.as_ref().clone();
        for row in &mut rows {
            refs.make_portable(row, RefSide::Source, &source.schema);
        }
        source_rows = Arc::new(rows);
        if let Some(target) = &mut target {
            for row in &mut target.rows {
                refs.make_portable(row, RefSide::Target, &target.schema);
            }
        }
    }
    PairSnapshot {
        pair: candidate.pair.clone(),
        source: candidate.source_data_source,
        source_title: source.title.clone(),
        source_look: source.look.clone(),
        source_schema: source.schema.clone(),
        source_rows,
        target,
        target_parent: candidate.target_parent,
        refs: Arc::new(refs),
        columns,
    }
}

/// Relation values and columns of a pair that wait for rows or a database this pass makes.
pub(super) fn waiting<'a>(
    refs: &PairRefs,
    rows: impl IntoIterator<Item = &'a RowContent>,
    schema: &std::collections::BTreeMap<String, crate::model::PropertyConfig>,
) -> usize {
    let columns = refs
        .relations
        .values()
        .filter(|r| matches!(r, RelationCopy::Waiting))
        .count();
    columns + count_kept(rows, schema).relations
}

/// Why a pair could not be read: its source (whose one read is shared by every pair that copies
/// it, so its error is shared too) or its target. Each keeps its type until the report.
#[derive(Debug, thiserror::Error)]
pub(super) enum SideError {
    /// The source could not be read.
    #[error("the source could not be read: {0}")]
    Source(Arc<Error>),
    /// The target could not be read.
    #[error("the copy could not be read: {0}")]
    Target(Error),
    /// The source or the copy is in the trash.
    #[error("{0}")]
    InTrash(Trashed),
}

/// A source being read, awaited by every pair that copies it.
pub(super) type SharedSource<'a> =
    futures::future::Shared<BoxFuture<'a, std::result::Result<Arc<SourceSnapshot>, Arc<Error>>>>;

/// One read of each distinct source of `candidates` (several pairs may copy one source into
/// several workspaces), started by the first pair that awaits it, while the pairs read their
/// targets.
pub(super) fn read_sources<'a>(
    candidates: impl IntoIterator<Item = &'a Candidate>,
) -> HashMap<DataSourceId, SharedSource<'static>> {
    let mut sources = HashMap::new();
    // Two-way pairs read their control rows themselves (with this environment's link column).
    for candidate in candidates
        .into_iter()
        .filter(|c| c.pair.direction != Direction::TwoWay)
    {
        sources
            .entry(candidate.source_data_source)
            .or_insert_with(|| {
                shared_source(
                    candidate.source.clone(),
                    candidate.source_data_source,
                    candidate.source_schema.clone(),
                    Arc::clone(&candidate.protected),
                )
            });
    }
    sources
}

pub(super) fn shared_source(
    client: NotionClient,
    data_source: DataSourceId,
    schema: Option<Arc<DataSource>>,
    protected: Arc<Protected>,
) -> SharedSource<'static> {
    async move {
        read_source(&client, data_source, schema, &protected)
            .await
            .map(Arc::new)
            .map_err(Arc::new)
    }
    .boxed()
    .shared()
}
