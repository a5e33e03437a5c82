//! Two-way pairs, read: the I/O before the pure [`plan_two_way`].
//!
//! Reading: the control database's rows (with their link column for this environment), the
//! environment's rows (with their key and base), and every row a link or key names that is not
//! live — fetched by ID, since Notion answers for a page in the trash — so that the planner can
//! tell a row trashed on one side from a row never synced. The two sides are read at once (each
//! with its own token and rate budget), and the rows fetched by ID at most
//! [`ExecuteOptions::concurrency`] at once per side: reading writes nothing, so its order does
//! not matter, and the planner sorts what it gets.
//!
//! Read incrementally (a pair synced cleanly, with a [`Watermark`]), each side lists only the rows
//! edited since its watermark (less [`MARGIN`](crate::sync::watermark::MARGIN)) and those
//! trashed since; then each row pair is completed with its other side: the control rows whose
//! link names an environment row read (by their link column, 100 to a query), and the
//! environment rows whose key names a control row read (by their key, 100 to a query; not for a
//! row pair whose two rows were both read), and, by ID, the rows those name in turn (a row
//! duplicated in Notion names its original's other side), so that every row pair the planner
//! sees is as complete as a full read would give it. A row pair edited on neither side is as the
//! last run left it, in step, and is not read at all.

use std::collections::{HashMap, HashSet};

use futures::stream::{self, StreamExt, TryStreamExt};

use super::{ConflictPolicy, TwoWayPlan, TwoWayRow, TwoWaySnapshot, plan_two_way};
use crate::client::NotionClient;
use crate::error::{Error, Result};
use crate::ids::{DataSourceId, PageId};
use crate::model::Page;
use crate::model::ParentKind;
use crate::progress::{PairProgress, RowTally, Side};
use crate::sync::columns::{IDS_PER_QUERY, SOURCE_KEY, holding_any};
use crate::sync::links::marker;
use crate::sync::metadata::{DatabaseLook, changed_fields, plan_look};
use crate::sync::refs::reads::complete_truncated;
use crate::sync::refs::{PairRefs, RefSide, has_references};
use crate::sync::rows::SyncPair;
use crate::sync::target::{MoveTarget, outside_of};
use crate::sync::watermark::{Watermark, read_mark};

use super::link_column;

/// What was read of a two-way pair.
#[derive(Debug)]
pub(crate) struct TwoWayRead {
    /// The planner's input.
    pub(crate) snapshot: TwoWaySnapshot,
    /// The control database's title.
    pub(crate) title: String,
    /// Whether the control database is in the trash (then nothing may be written).
    pub(crate) control_in_trash: bool,
    /// Whether the environment's copy is in the trash (then it is read as empty).
    pub(crate) environment_in_trash: bool,
    /// Where the environment database lies (its data source's `database_parent`), when it
    /// exists.
    pub(crate) environment_parent: Option<crate::model::Parent>,
    /// The environment database, when it lies outside the pair's parent page: its move there
    /// ([`place`]).
    pub(crate) move_environment: Option<MoveTarget>,
    /// The control database's title, description, icon and cover.
    pub(crate) control_look: Option<DatabaseLook>,
    /// The environment database's, when it exists.
    pub(crate) environment_look: Option<DatabaseLook>,
    /// Where the next read of each side may start (the control's, the environment's:
    /// [`read_mark`]).
    pub(crate) seen: (String, String),
}

/// Whether the environment database of a pair that was read lies under `parent`, the pair's
/// parent page: else its move there, for the plan.
pub(crate) async fn place(
    read: &mut TwoWayRead,
    environment: &NotionClient,
    parent: PageId,
) -> Result<()> {
    let outside = outside_of(environment, read.environment_parent.as_ref(), parent).await?;
    read.move_environment = outside.map(|from| MoveTarget { from, to: parent });
    Ok(())
}

/// A side's rows, converted as they are read: every live row, or, `since` a `last_edited_time`,
/// the live rows edited since and the rows trashed since. The live rows read are reported to
/// `tally`.
async fn side_rows(
    client: &NotionClient,
    data_source: DataSourceId,
    since: Option<&str>,
    tally: RowTally,
    convert: impl Fn(&Page) -> TwoWayRow + Copy,
) -> Result<(Vec<TwoWayRow>, Vec<TwoWayRow>)> {
    let (live, trashed) = client
        .rows_since(
            data_source,
            since,
            |page| {
                tally.row();
                convert(page)
            },
            convert,
        )
        .await?;
    tally.end();
    Ok((live, trashed))
}

/// Where a read that began at `clock` (Notion's) may start next time ([`read_mark`]).
fn seen<'a>(
    clock: Option<std::time::SystemTime>,
    rows: impl Iterator<Item = &'a TwoWayRow>,
) -> String {
    let latest = rows
        .map(|r| r.last_edited_time.as_str())
        .max()
        .unwrap_or_default();
    read_mark(clock, latest)
}

/// The rows of the other side that a side's rows (live, trashed) name and that are neither among
/// `other` (live, trashed) nor in `asked`, each once; they are added to `asked`.
fn unknown(
    (rows, rows_trashed): (&[TwoWayRow], &[TwoWayRow]),
    (live, trashed): (&[TwoWayRow], &[TwoWayRow]),
    asked: &mut HashSet<PageId>,
) -> Vec<PageId> {
    let known: HashSet<PageId> = live.iter().chain(trashed).map(|r| r.content.id).collect();
    rows.iter()
        .chain(rows_trashed)
        .filter_map(|r| r.link)
        .filter(|id| !known.contains(id) && asked.insert(*id))
        .collect()
}

/// The rows of `data_source` whose rich-text `column` holds any of `ids`, 100 IDs to a query,
/// but those already in `have`.
async fn rows_holding(
    client: &NotionClient,
    data_source: DataSourceId,
    (column, exact): (&str, bool),
    ids: &[PageId],
    have: &HashSet<PageId>,
    convert: impl Fn(&Page) -> TwoWayRow + Copy,
) -> Result<Vec<TwoWayRow>> {
    let mut found = Vec::new();
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let rows: Vec<TwoWayRow> = client
            .query_all(data_source, Some(holding_any(column, exact, chunk)), &[])
            .map_ok(|page| convert(&page))
            .try_collect()
            .await?;
        found.extend(rows.into_iter().filter(|r| !have.contains(&r.content.id)));
    }
    Ok(found)
}

/// The rows named by `wanted` that are not live, fetched by ID, at most `concurrency` at once:
/// those in the trash are returned, those live after all (read-after-write lag) are added to
/// `live`, and the IDs of those that are rows of another data source than `data_source` (a copy
/// made before this one, say) are returned apart: they are no rows of this pair.
async fn named_rows(
    client: &NotionClient,
    data_source: DataSourceId,
    wanted: Vec<PageId>,
    live: &mut Vec<TwoWayRow>,
    concurrency: usize,
    convert: impl Fn(&Page) -> TwoWayRow,
) -> Result<(Vec<TwoWayRow>, HashSet<PageId>)> {
    let pages: Vec<Option<Page>> = stream::iter(wanted)
        .map(|id| async move {
            match client.page(id).await {
                Ok(page) => Ok(Some(page)),
                Err(Error::NotFound(_)) => Ok(None),
                Err(error) => Err(error),
            }
        })
        .buffered(concurrency.max(1))
        .try_collect()
        .await?;
    let mut trashed = Vec::new();
    let mut foreign = HashSet::new();
    for page in pages.iter().flatten() {
        if page
            .data_source_id()
            .is_some_and(|parent| parent != data_source)
        {
            foreign.insert(page.id);
        } else if page.in_trash() {
            trashed.push(convert(page));
        } else {
            live.push(convert(page));
        }
    }
    Ok((trashed, foreign))
}

/// Reads both sides of a two-way pair. `target` is the environment's database and data source,
/// when it exists; the control's schema and database, and the copy's, are read here unless
/// given (as read already this pass); `since` is the pair's watermark when it may be read
/// incrementally.
///
/// The two sides are read at once (each has its own token and rate budget): first each side's
/// schema and rows (all of them, or those edited and trashed since the watermark, each row pair
/// then completed with its other side), then the rows each side's links name that were not
/// among them, by ID, at most `concurrency` at once per side. The live rows read are reported
/// to `progress`, side by side.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn read_two_way(
    pair: &SyncPair,
    control: &NotionClient,
    control_source: DataSourceId,
    environment: &NotionClient,
    target: Option<(crate::ids::DatabaseId, DataSourceId)>,
    (control_schema, control_database, copy): (
        Option<crate::model::DataSource>,
        Option<crate::model::Database>,
        Option<(crate::model::DataSource, crate::model::Database)>,
    ),
    (concurrency, progress): (usize, &PairProgress),
    since: Option<&Watermark>,
) -> Result<TwoWayRead> {
    let env_row = pair.environment_row;
    let as_control = move |p: &Page| TwoWayRow::control(p, env_row);
    // Incremental only with a copy to read, from both sides' marks.
    let since = since.filter(|_| target.is_some()).and_then(|mark| {
        let control = crate::sync::watermark::since(&mark.source)?;
        let environment = crate::sync::watermark::since(&mark.copy)?;
        Some((control, environment, &mark.recheck))
    });
    let clocks = (control.server_time(), environment.server_time());
    let schema = async {
        let schema = match control_schema {
            Some(schema) => schema,
            None => control.data_source(control_source).await?,
        };
        // The database that holds it: whether it is in the trash, and its look.
        let database = match (&schema.parent.kind, control_database) {
            (ParentKind::Database(id), Some(database)) if database.id == *id => Some(database),
            (ParentKind::Database(id), _) => Some(control.database(*id).await?),
            _ => None,
        };
        let in_trash = schema.in_trash() || database.as_ref().is_some_and(|d| d.in_trash());
        Ok((schema, database.as_ref().map(DatabaseLook::of), in_trash))
    };
    let control_since = since.as_ref().map(|(c, _, _)| c.as_str());
    let control_side = async {
        futures::try_join!(
            schema,
            side_rows(
                control,
                control_source,
                control_since,
                progress.rows(Side::Control),
                as_control
            ),
        )
    };
    let environment_since = since.as_ref().map(|(_, e, _)| e.as_str());
    let environment_side = async {
        match target {
            None => Ok((None, false, (Vec::new(), Vec::new()), None, None)),
            Some((database, data_source)) => {
                let (known_schema, known_database) = copy.unzip();
                let (schema, rows, copy) = futures::try_join!(
                    async {
                        match known_schema {
                            Some(schema) => Ok(schema),
                            None => environment.data_source(data_source).await,
                        }
                    },
                    side_rows(
                        environment,
                        data_source,
                        environment_since,
                        progress.rows(Side::Environment),
                        TwoWayRow::environment
                    ),
                    async {
                        match known_database {
                            Some(known) => Ok(known),
                            None => environment.database(database).await,
                        }
                    },
                )?;
                let in_trash = schema.in_trash() || copy.in_trash();
                let look = Some(DatabaseLook::of(&copy));
                let parent = schema.database_parent;
                Ok((Some(schema.properties), in_trash, rows, parent, look))
            }
        }
    };
    let (
        ((control_schema, control_look, control_in_trash), (mut control_rows, mut control_trashed)),
        (
            environment_schema,
            environment_in_trash,
            (mut environment_rows, mut environment_trashed),
            environment_parent,
            environment_look,
        ),
    ) = futures::try_join!(control_side, environment_side)?;
    let seen = (
        seen(clocks.0, control_rows.iter().chain(&control_trashed)),
        seen(
            clocks.1,
            environment_rows.iter().chain(&environment_trashed),
        ),
    );
    if let (Some((_, _, recheck)), Some((_, data_source))) = (&since, target) {
        Box::pin(complete(
            (control, control_source, env_row),
            (environment, data_source),
            recheck,
            (&mut control_rows, &mut control_trashed),
            (&mut environment_rows, &mut environment_trashed),
        ))
        .await?;
    }
    // The rows a link or key names that were not read (in the trash, or live but hidden by the
    // read-after-write lag or not edited since the watermark), fetched by ID; then those the
    // rows fetched name in turn (a control row duplicated in Notion links its original's
    // environment row, keyed to the original), until every row named was asked for once. The
    // rows in the trash name theirs too: a control row duplicated in Notion, then its
    // environment row trashed, leaves the original to be trashed as well.
    let mut asked_environment: HashSet<PageId> = HashSet::new();
    let mut asked_control: HashSet<PageId> = HashSet::new();
    let mut environment_foreign = HashSet::new();
    loop {
        let missing_environment = match target {
            Some(_) => unknown(
                (&control_rows, &control_trashed),
                (&environment_rows, &environment_trashed),
                &mut asked_environment,
            ),
            None => Vec::new(),
        };
        let missing_control = unknown(
            (&environment_rows, &environment_trashed),
            (&control_rows, &control_trashed),
            &mut asked_control,
        );
        if missing_environment.is_empty() && missing_control.is_empty() {
            break;
        }
        let environment_named = async {
            match target {
                Some((_, data_source)) => {
                    named_rows(
                        environment,
                        data_source,
                        missing_environment,
                        &mut environment_rows,
                        concurrency,
                        TwoWayRow::environment,
                    )
                    .await
                }
                None => Ok((Vec::new(), HashSet::new())),
            }
        };
        let control_named = named_rows(
            control,
            control_source,
            missing_control,
            &mut control_rows,
            concurrency,
            as_control,
        );
        let ((named_environment, foreign), (named_control, _)) =
            futures::try_join!(environment_named, control_named)?;
        environment_trashed.extend(named_environment);
        control_trashed.extend(named_control);
        environment_foreign.extend(foreign);
    }
    // A control row's link to a row of no copy of this pair (there is no copy, or the row is one
    // of a copy made before this one) links nothing: the row is new to this copy, and made there
    // with every other row.
    for row in &mut control_rows {
        if target.is_none()
            || row
                .link
                .is_some_and(|link| environment_foreign.contains(&link))
        {
            row.link = None;
        }
    }
    Ok(TwoWayRead {
        title: control_schema.title_text(),
        control_in_trash,
        environment_in_trash,
        environment_parent,
        move_environment: None,
        control_look,
        environment_look,
        seen,
        snapshot: TwoWaySnapshot {
            pair: pair.clone(),
            control_schema: control_schema.properties,
            environment_schema,
            control_rows,
            environment_rows,
            control_trashed,
            environment_trashed,
            refs: std::sync::Arc::default(),
            columns: crate::sync::column_map::ColumnMap::default(),
            incremental: since.map(|_| 0),
        },
    })
}

/// Completes an incremental read's row pairs with their other side: the control rows to read
/// again whatever their edit time (`recheck`), those whose link names an environment row read,
/// then the environment rows whose key names a control row read (all of them, so that a row
/// duplicated in Notion since is told apart as a full read would), but where both rows of the
/// pair were read.
async fn complete(
    (control, control_source, env_row): (&NotionClient, DataSourceId, PageId),
    (environment, environment_source): (&NotionClient, DataSourceId),
    recheck: &[String],
    (control_rows, control_trashed): (&mut Vec<TwoWayRow>, &mut Vec<TwoWayRow>),
    (environment_rows, environment_trashed): (&mut Vec<TwoWayRow>, &mut Vec<TwoWayRow>),
) -> Result<()> {
    let as_control = move |p: &Page| TwoWayRow::control(p, env_row);
    let have = |rows: &[TwoWayRow], trashed: &[TwoWayRow]| -> HashSet<PageId> {
        rows.iter().chain(trashed).map(|r| r.content.id).collect()
    };
    // The control rows a left-open conflict names, read by ID.
    let known = have(control_rows, control_trashed);
    let recheck: Vec<PageId> = recheck
        .iter()
        .filter_map(|id| PageId::parse(id).ok())
        .filter(|id| !known.contains(id))
        .collect();
    let (trashed, _) = named_rows(
        control,
        control_source,
        recheck,
        control_rows,
        1,
        as_control,
    )
    .await?;
    control_trashed.extend(trashed);
    // The control rows linked to the environment rows read.
    let linked: HashSet<PageId> = control_rows.iter().filter_map(|r| r.link).collect();
    let unlinked: Vec<PageId> = environment_rows
        .iter()
        .chain(environment_trashed.iter())
        .map(|r| r.content.id)
        .filter(|id| !linked.contains(id))
        .collect();
    let known = have(control_rows, control_trashed);
    let found = rows_holding(
        control,
        control_source,
        (&link_column(env_row), false),
        &unlinked,
        &known,
        as_control,
    )
    .await?;
    control_rows.extend(found);
    // Every environment row keyed to a control row read, or named by an environment row's key,
    // but for row pairs read whole: a control row whose link names an environment row read that
    // is keyed back to it. An environment row keyed to it that this read did not list was made
    // before the watermark, and the run that listed it made it a row of its own (a row
    // duplicated in Notion becomes a new row).
    let keyed: HashMap<PageId, PageId> = environment_rows
        .iter()
        .chain(environment_trashed.iter())
        .filter_map(|r| Some((r.content.id, r.link?)))
        .collect();
    let whole: HashSet<PageId> = control_rows
        .iter()
        .chain(control_trashed.iter())
        .filter(|r| {
            r.link
                .is_some_and(|link| keyed.get(&link) == Some(&r.content.id))
        })
        .map(|r| r.content.id)
        .collect();
    let mut keys: Vec<PageId> = control_rows
        .iter()
        .chain(control_trashed.iter())
        .map(|r| r.content.id)
        .chain(environment_rows.iter().filter_map(|r| r.link))
        .filter(|key| !whole.contains(key))
        .collect();
    keys.sort();
    keys.dedup();
    let known = have(environment_rows, environment_trashed);
    let found = rows_holding(
        environment,
        environment_source,
        (SOURCE_KEY, true),
        &keys,
        &known,
        TwoWayRow::environment,
    )
    .await?;
    environment_rows.extend(found);
    Ok(())
}

/// Makes the relation and people values of a pair that was read portable (see
/// [`refs`](crate::sync::refs)), reading in full first the values Notion cut at 25 references.
pub(crate) async fn make_portable(
    read: &mut TwoWayRead,
    refs: PairRefs,
    control: &NotionClient,
    environment: &NotionClient,
) -> Result<()> {
    let TwoWaySnapshot {
        control_schema,
        environment_schema,
        control_rows,
        environment_rows,
        control_trashed,
        environment_trashed,
        ..
    } = &mut read.snapshot;
    if has_references(control_schema) {
        let control_side = portable_side(
            &refs,
            control,
            control_schema,
            RefSide::Source,
            control_rows.iter_mut().chain(control_trashed.iter_mut()),
        );
        let environment_side = async {
            match environment_schema {
                Some(schema) => {
                    let rows = environment_rows
                        .iter_mut()
                        .chain(environment_trashed.iter_mut());
                    portable_side(&refs, environment, schema, RefSide::Target, rows).await
                }
                None => Ok(()),
            }
        };
        let (control_side, environment_side) = futures::join!(control_side, environment_side);
        control_side?;
        environment_side?;
    }
    read.snapshot.refs = std::sync::Arc::new(refs);
    Ok(())
}

/// Reads in full the cut values of one side's rows, then makes their references portable.
async fn portable_side<'a>(
    refs: &PairRefs,
    client: &NotionClient,
    schema: &std::collections::BTreeMap<String, crate::model::PropertyConfig>,
    side: RefSide,
    rows: impl Iterator<Item = &'a mut TwoWayRow>,
) -> Result<()> {
    let mut rows: Vec<&mut TwoWayRow> = rows.collect();
    complete_truncated(client, schema, rows.iter_mut().map(|r| &mut r.content)).await?;
    for row in rows {
        refs.make_portable(&mut row.content, side, schema);
    }
    Ok(())
}

/// Plans a two-way pair that was read.
pub(crate) fn plan(
    read: &TwoWayRead,
    policy: ConflictPolicy,
    options: crate::sync::guard::PlanOptions,
) -> TwoWayPlan {
    let mut plan = plan_two_way(&read.snapshot, policy, options);
    plan.move_environment = read.move_environment.clone();
    if let (Some(control), Some(copy)) = (&read.control_look, &read.environment_look) {
        let (update, notes) = plan_look(control, copy, &marker(&read.snapshot.pair));
        if let Some(update) = &update {
            plan.notes.push(format!(
                "the control database's {} changed: the copy follows",
                changed_fields(update)
            ));
        }
        plan.notes.extend(notes);
        plan.update_environment = update;
    }
    plan
}
