//! Reading a pair's two sides: each source once, shared by every pair that copies it; the
//! target located by its link row or its marker, and read; and the two put together into the
//! planner's snapshot.

use super::candidates::Candidate;
use super::context::{RunContext, SourceDatabases};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use futures::future::{BoxFuture, FutureExt};
use futures::stream::TryStreamExt;

use crate::client::NotionClient;
use crate::error::{Error, Result};
use crate::ids::DataSourceId;
use crate::model::{DataSource, ParentKind};
use crate::progress::{RowTally, Side};
use crate::registry::{Direction, Protected};
use crate::sync::columns::{IDS_PER_QUERY, SOURCE_KEY, holding_any};
use crate::sync::links::LinkState;
use crate::sync::metadata::DatabaseLook;
use crate::sync::one_way::plan::PairSnapshot;
use crate::sync::refs::reads::complete_truncated;
use crate::sync::refs::{PairRefs, RefSide, RelationCopy, count_kept, has_references};
use crate::sync::rows::{RowContent, TargetSnapshot};
use crate::sync::target::{find_marked_target, outside_of};
use crate::sync::watermark::{Watermark, later, read_mark, schema_key};

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
    /// For an incremental read, the `last_edited_time` it read from (only the rows edited since
    /// are in `rows`); `None` for a full read.
    pub(super) since: Option<String>,
    /// The rows trashed since `since` (incremental reads only).
    pub(super) trashed: Vec<crate::ids::PageId>,
    /// Where the next read may start ([`read_mark`]).
    pub(super) seen: String,
}

/// The latest `last_edited_time` of `rows` (empty when there is none).
pub(super) fn latest<'a>(rows: impl IntoIterator<Item = &'a str>) -> String {
    rows.into_iter().max().unwrap_or_default().to_owned()
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

/// Reads a source's schema and rows (turned into [`RowContent`] as they come, and counted in
/// `tally`): every row, or, `since` a `last_edited_time`, the rows edited since and those
/// trashed since. The schema is read unless `schema` holds it already, the database that holds
/// the source through the pass's `databases`.
pub(super) async fn read_source(
    client: &NotionClient,
    data_source: DataSourceId,
    (schema, databases): (Option<Arc<DataSource>>, &SourceDatabases),
    protected: &Protected,
    since: Option<String>,
    tally: &RowTally,
) -> Result<SourceSnapshot> {
    let schema = match schema {
        Some(schema) => DataSource::clone(&schema),
        None => client.data_source(data_source).await?,
    };
    protected.refuse(data_source, Some(&schema.title_text()), &schema.properties)?;
    let clock = client.server_time();
    let rows = client.rows_since(
        data_source,
        since.as_deref(),
        |page| {
            tally.row();
            RowContent::from(page)
        },
        |page| (page.id, page.last_edited_time.clone()),
    );
    // The database that holds the source, read at once with the rows: whether it is in the
    // trash (Notion answers for a trashed database's rows as if they were live), and its look.
    let database = async {
        match &schema.parent.kind {
            ParentKind::Database(id) => databases.get(client, *id).await.map(Some),
            _ => Ok(None),
        }
    };
    let (database, (mut rows, trashed)) = futures::try_join!(database, rows)?;
    tally.end();
    let in_trash = schema.in_trash() || database.as_ref().is_some_and(|d| d.in_trash());
    let look = database.as_ref().map(DatabaseLook::of);
    complete_truncated(client, &schema.properties, &mut rows).await?;
    let seen = read_mark(
        clock,
        &latest(
            rows.iter()
                .map(|r| &*r.last_edited_time)
                .chain(trashed.iter().map(|(_, time)| time.as_str())),
        ),
    );
    Ok(SourceSnapshot {
        title: schema.title_text(),
        schema: schema.properties,
        rows: Arc::new(rows),
        in_trash,
        look,
        since,
        trashed: trashed.into_iter().map(|(id, _)| id).collect(),
        seen,
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
    let since = candidate
        .incremental
        .as_ref()
        .and_then(|w| crate::sync::watermark::since(&w.copy));
    if let Some(target) = read_copy(candidate, ids, since, run.copy_reads.take(ids))
        .await
        .map_err(SideError::Target)?
    {
        return Ok((Some(target), link));
    }
    let remade = match remade_copy(candidate).await.map_err(SideError::Target)? {
        Some(remade) => read_copy(candidate, remade, None, None)
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
/// `since` a `last_edited_time`, only the rows edited since are read, and the keys of those
/// trashed since. The schema and the database are taken from `known` when they were read
/// already this run ([`CopyReads`](super::early::CopyReads)).
pub(super) async fn read_copy(
    candidate: &Candidate,
    (database_id, data_source): (crate::ids::DatabaseId, DataSourceId),
    since: Option<String>,
    known: Option<(DataSource, crate::model::Database)>,
) -> Result<Option<TargetSnapshot>> {
    let client = &candidate.target;
    let clock = client.server_time();
    let tally = candidate.progress.rows(Side::Target);
    let rows = async {
        let rows = client
            .rows_since(
                data_source,
                since.as_deref(),
                |page| {
                    tally.row();
                    RowContent::from(page)
                },
                |page: &crate::model::Page| RowContent::from(page),
            )
            .await?;
        tally.end();
        Ok::<_, Error>(rows)
    };
    // Read at once; their errors are taken in this order, so that a copy deleted or unshared
    // is said as such, and a copy in the trash is that whatever its rows' read answered.
    let (known_schema, known_database) = known.unzip();
    let (schema, database, rows) = futures::join!(
        async {
            match known_schema {
                Some(schema) => Ok(schema),
                None => client.data_source(data_source).await,
            }
        },
        async {
            match known_database {
                Some(database) => Ok(database),
                None => client.database(database_id).await,
            }
        },
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
    let (mut rows, trashed) = rows?;
    let read = crate::sync::rows::CopyRead {
        seen: read_mark(
            clock,
            &latest(rows.iter().chain(&trashed).map(|r| &*r.last_edited_time)),
        ),
        trashed_keys: trashed
            .iter()
            .filter_map(|r| r.key.map(|key| (key, r.last_edited_by)))
            .collect(),
        since,
    };
    candidate
        .protected
        .refuse(data_source, Some(&schema.title_text()), &schema.properties)?;
    // After an incremental read, only the rows compared with a source row are completed, once
    // they are known (`complete_incremental`).
    if read.since.is_none() {
        complete_truncated(client, &schema.properties, &mut rows).await?;
    }
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
        read,
    }))
}

/// What an incremental read of a pair adds to its two partial reads, so that the planner sees
/// every row a full read would have it compare: the copy's rows of the source rows read, and
/// every copy row holding the key of a row someone else than the sync's integration made in the
/// copy since (a row duplicated in Notion; its original was not listed), found by their key,
/// 100 to a query; and the source rows of the copy's rows read (each read by its ID: a person's
/// edit or trash in the copy is undone, as a full run would). `Ok(None)` when
/// either read was a full one (the pair is then reconciled in full).
pub(super) async fn complete_incremental(
    candidate: &Candidate,
    source: &SourceSnapshot,
    target: &mut TargetSnapshot,
) -> Result<Option<(Vec<RowContent>, crate::sync::one_way::plan::Incremental)>> {
    if source.since.is_none() || target.read.since.is_none() {
        return Ok(None);
    }
    let read: HashSet<crate::ids::PageId> = source
        .rows
        .iter()
        .map(|r| r.id)
        .chain(source.trashed.iter().copied())
        .collect();
    // The copy's rows read whose source row was not: made or edited since by this integration
    // (its own writes need no second look), or by someone else.
    let unread: Vec<(crate::ids::PageId, Option<crate::ids::UserId>)> = target
        .rows
        .iter()
        .filter_map(|r| r.key.map(|key| (key, r.last_edited_by)))
        .chain(target.read.trashed_keys.iter().copied())
        .filter(|(key, _)| !read.contains(key))
        .collect();
    // The copy's rows made since its watermark: by this run's integration, or duplicated in
    // Notion by someone else (a duplicate copies the key).
    let since = target.read.since.as_deref().unwrap_or_default();
    let made: Vec<(crate::ids::PageId, Option<crate::ids::UserId>)> = target
        .rows
        .iter()
        .filter(|r| *r.created_time >= *since)
        .filter_map(|r| r.key.map(|key| (key, r.last_edited_by)))
        .collect();
    let own = if unread.is_empty() && made.is_empty() {
        None
    } else {
        Some(candidate.target.bot_id().await?)
    };
    let by_others =
        |(_, by): &(crate::ids::PageId, Option<crate::ids::UserId>)| by.is_none() || *by != own;
    // The copy's rows of the source rows read, and every row that holds the key of a row
    // someone else made since (its original, not edited since, is not among those read), as a
    // full read would see them.
    let duplicated: HashSet<crate::ids::PageId> = made
        .iter()
        .filter(|k| by_others(k))
        .map(|(key, _)| *key)
        .collect();
    let have: HashSet<crate::ids::PageId> = target.rows.iter().filter_map(|r| r.key).collect();
    let mut wanted: Vec<crate::ids::PageId> = read
        .iter()
        .copied()
        .filter(|key| !have.contains(key))
        .chain(duplicated)
        .collect();
    wanted.sort();
    wanted.dedup();
    let mut found = Vec::new();
    for keys in wanted.chunks(IDS_PER_QUERY) {
        let rows: Vec<RowContent> = candidate
            .target
            .query_all(
                target.data_source,
                Some(holding_any(SOURCE_KEY, true, keys)),
                &[],
            )
            .map_ok(|page| RowContent::from(&page))
            .try_collect()
            .await?;
        found.extend(rows);
    }
    let known: HashSet<crate::ids::PageId> = target.rows.iter().map(|r| r.id).collect();
    target
        .rows
        .extend(found.into_iter().filter(|r| !known.contains(&r.id)));
    // The source rows of the copy's rows that someone else than this integration edited or
    // trashed since (a person's edit is undone, as a full run would), when the source's read
    // did not list them.
    let mut missing: Vec<crate::ids::PageId> = unread
        .into_iter()
        .filter(by_others)
        .map(|(key, _)| key)
        .collect();
    missing.sort();
    missing.dedup();
    let mut extra = Vec::new();
    let mut gone: HashSet<crate::ids::PageId> = source.trashed.iter().copied().collect();
    for key in missing {
        match candidate.source.page(key).await {
            Ok(page)
                if !page.in_trash()
                    && page.data_source_id() == Some(candidate.source_data_source) =>
            {
                extra.push(RowContent::from(&page));
            }
            Ok(_) | Err(Error::NotFound(_)) => {
                gone.insert(key);
            }
            Err(error) => return Err(error),
        }
    }
    complete_truncated(&candidate.source, &source.schema, &mut extra).await?;
    let compared = compared(source, &extra);
    complete_truncated(
        &candidate.target,
        &target.schema,
        target
            .rows
            .iter_mut()
            .filter(|row| row.key.is_some_and(|key| compared.contains(&key))),
    )
    .await?;
    Ok(Some((
        extra,
        crate::sync::one_way::plan::Incremental {
            gone,
            synced_rows: 0,
        },
    )))
}

/// The source rows an incremental read compares with their copies: those read (edited or
/// trashed since), and those read for a copy's row someone else edited (`extra`). The other
/// copy rows it read (this integration's own writes) are left as they are.
pub(super) fn compared(
    source: &SourceSnapshot,
    extra: &[RowContent],
) -> HashSet<crate::ids::PageId> {
    source
        .rows
        .iter()
        .chain(extra)
        .map(|r| r.id)
        .chain(source.trashed.iter().copied())
        .collect()
}

/// The snapshot of a pair: its source (shared, unless its references are made portable for
/// this pair) and its target.
pub(super) fn assemble(
    candidate: &Candidate,
    source: &SourceSnapshot,
    mut target: Option<TargetSnapshot>,
    refs: PairRefs,
    link: Option<&crate::sync::links::SyncLink>,
    incremental: Option<(Vec<RowContent>, crate::sync::one_way::plan::Incremental)>,
    full_every: std::time::Duration,
) -> PairSnapshot {
    let mut source_rows = Arc::clone(&source.rows);
    let recorded = link.and_then(|l| l.watermark.as_ref());
    let extra_seen = incremental
        .as_ref()
        .map(|(extra, _)| latest(extra.iter().map(|r| &*r.last_edited_time)))
        .unwrap_or_default();
    // The watermark to record once the plan is applied cleanly (a new copy's own part is taken
    // once it is made and written).
    let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let new_copy = (
        Watermark {
            source: later(&source.seen, &extra_seen),
            // The copy is made after the source's read began: read from there next time.
            copy: source.seen.clone(),
            full: now,
            key: schema_key(&source.schema, &std::collections::BTreeMap::new()),
            recheck: Vec::new(),
            open: 0,
            full_next: None,
            claim: None,
        },
        candidate.may_be_incremental,
    );
    let watermark = target
        .as_ref()
        .map(|copy| {
            let full = incremental.is_none();
            let (next, alone) = crate::sync::watermark::advance(
                recorded,
                (&later(&source.seen, &extra_seen), &copy.read.seen),
                full,
                schema_key(&source.schema, &copy.schema),
                (
                    source.rows.iter().map(|r| &*r.last_edited_time),
                    copy.rows.iter().map(|r| &*r.last_edited_time),
                ),
                // The rows this integration wrote are read again, not compared.
                (full_every, crate::client::pagination::PAGE_SIZE as usize),
            );
            (next, alone && candidate.may_be_incremental)
        })
        .or(Some(new_copy));
    let (extra, incremental) = match incremental {
        Some((extra, mut incremental)) => {
            incremental.synced_rows = link.and_then(|l| l.target_rows).unwrap_or_default();
            (extra, Some(incremental))
        }
        None => (Vec::new(), None),
    };
    if !extra.is_empty() {
        let mut rows = source_rows.as_ref().clone();
        rows.extend(extra);
        source_rows = Arc::new(rows);
    }
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
        columns: link.map(|l| l.columns.clone()).unwrap_or_default(),
        incremental,
        watermark,
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
    databases: &Arc<SourceDatabases>,
) -> HashMap<DataSourceId, SharedSource<'static>> {
    // Two-way pairs read their control rows themselves (with this environment's link column).
    let one_way: Vec<&Candidate> = candidates
        .into_iter()
        .filter(|c| c.pair.direction != Direction::TwoWay)
        .collect();
    // A source is read incrementally when every pair that copies it may be: from the earliest
    // of their watermarks.
    let mut since: HashMap<DataSourceId, Option<String>> = HashMap::new();
    for candidate in &one_way {
        let from = candidate
            .incremental
            .as_ref()
            .and_then(|w| crate::sync::watermark::since(&w.source));
        since
            .entry(candidate.source_data_source)
            .and_modify(|all| {
                *all = match (all.take(), &from) {
                    (Some(a), Some(b)) => Some(if a <= *b { a } else { b.clone() }),
                    _ => None,
                }
            })
            .or_insert(from);
    }
    // Each read's rows are reported to every pair that copies its source.
    let mut tallies: HashMap<DataSourceId, Vec<RowTally>> = HashMap::new();
    for candidate in &one_way {
        tallies
            .entry(candidate.source_data_source)
            .or_default()
            .push(candidate.progress.rows(Side::Source));
    }
    let mut sources = HashMap::new();
    for candidate in one_way {
        sources
            .entry(candidate.source_data_source)
            .or_insert_with(|| {
                let tally = tallies
                    .remove(&candidate.source_data_source)
                    .unwrap_or_default();
                shared_source(
                    candidate.source.clone(),
                    candidate.source_data_source,
                    (candidate.source_schema.clone(), Arc::clone(databases)),
                    Arc::clone(&candidate.protected),
                    since.get(&candidate.source_data_source).cloned().flatten(),
                    RowTally::all(tally),
                )
            });
    }
    sources
}

/// One read of a source ([`read_source`]), shared by every pair that awaits it; `tally` counts
/// its rows.
pub(super) fn shared_source(
    client: NotionClient,
    data_source: DataSourceId,
    (schema, databases): (Option<Arc<DataSource>>, Arc<SourceDatabases>),
    protected: Arc<Protected>,
    since: Option<String>,
    tally: RowTally,
) -> SharedSource<'static> {
    async move {
        read_source(
            &client,
            data_source,
            (schema, &databases),
            &protected,
            since,
            &tally,
        )
        .await
        .map(Arc::new)
        .map_err(Arc::new)
    }
    .boxed()
    .shared()
}
