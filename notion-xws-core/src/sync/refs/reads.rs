//! The reads behind [`refs`](crate::sync::refs): each workspace's users list, and the rows of each
//! related database's copy in an environment, read once per run by whichever pair needs them
//! first and shared by the others; and the whole of values Notion cut at 25 references.
//!
//! Pairs run in the order of their relations (a related database's pair before the pairs whose
//! relations point at it, see [`relation_order`]), and each pair hands the rows of its copy, as
//! they are once it has been applied, to the pairs that wait for them ([`Publisher`]): so a
//! relation value is written with its row in one pass, and the copy's rows are not read twice.
//! Only a relation whose related pair comes later (a cycle) reads the copy's keys itself, and
//! waits for the second pass for rows that pass makes.
//!
//! A pair read incrementally hands over only the rows it read and made; a pair that needs the
//! rest (a row it compares names a related page) lays them over one read of the copy's keys,
//! made after the related pair's writes.
//!
//! A pair reads a users list only when a row it compares names someone, and a related copy's
//! rows only when such a row names a related page (or the pair copies page bodies, whose
//! mentions may name any row): only what a pair needs is read. A users list that cannot be read (the
//! integration lacks the "read user information" capability) leaves people unmatched, with a
//! note; a related copy that cannot be read leaves the relation waiting, with a note.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures::future::{BoxFuture, FutureExt, Shared};
use futures::{StreamExt, TryStreamExt};

use crate::client::NotionClient;
use crate::error::Result;
use crate::ids::{DataSourceId, PageId};
use crate::model::{PropertyConfig, PropertyConfigKind, PropertyItemKind, PropertyItemResponse};
use crate::registry::Direction;
use crate::sync::columns::SOURCE_KEY;
use crate::sync::refs::{Directory, PairRefs, RelationCopy, RowMap};
use crate::sync::rows::RowContent;

/// A read shared by the pairs that need it; its error as text (shared futures need `Clone`).
type SharedRead<T> = Shared<BoxFuture<'static, std::result::Result<Arc<T>, String>>>;

/// Which workspace: the control's, or an environment's (by its registry row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Workspace {
    /// The control workspace.
    Control,
    /// An environment.
    Environment(PageId),
}

/// A pair as the reference reads see it.
#[derive(Debug, Clone)]
pub(crate) struct PairSides {
    /// The pair's environment row.
    pub(crate) environment: PageId,
    /// Its direction.
    pub(crate) direction: Direction,
    /// Its source data source.
    pub(crate) source_data_source: DataSourceId,
    /// The client of the source's workspace.
    pub(crate) source: NotionClient,
    /// The client of the target's workspace.
    pub(crate) target: NotionClient,
    /// The target it records, when it has one.
    pub(crate) target_data_source: Option<DataSourceId>,
}

impl PairSides {
    fn workspaces(&self) -> (Workspace, Workspace) {
        let environment = Workspace::Environment(self.environment);
        match self.direction {
            Direction::Pull => (environment, Workspace::Control),
            Direction::Push | Direction::TwoWay => (Workspace::Control, environment),
        }
    }
}

/// A related database synced to an environment: its copy there, and that copy's rows.
#[derive(Debug, Clone)]
struct Related {
    target: Option<DataSourceId>,
    rows: Option<SharedRead<RowMap>>,
}

/// The rows of a pair's copy after the pair was applied.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HandedRows {
    /// The copy's data source.
    pub(crate) data_source: DataSourceId,
    /// Source row ↔ copy row: every row of the copy, after a full read; only those the pair
    /// read and made, after an incremental read (`complete` false).
    pub(crate) rows: Arc<RowMap>,
    /// Whether `rows` holds every row of the copy.
    pub(crate) complete: bool,
    /// The copy rows the pair trashed (a read of the copy made just after may still list them).
    pub(crate) trashed: Arc<[PageId]>,
    /// Whether the pair may have made again a copy of a row whose copy was in the trash or gone:
    /// relation values in other copies that named the old one name nothing now, and the pairs
    /// that relate to this one then reconcile in full, so that they name the new one.
    pub(crate) remade: bool,
}

/// What a pair hands over: [`HandedRows`]; `None` when the pair has no copy (it failed, or a
/// dry run found none).
pub(crate) type CopyRows = Option<HandedRows>;

/// The rows of a pair's copy, as the pair hands them over (awaited by the pairs that relate to
/// its source; a pair that stops without handing them over hands over `None`).
pub(crate) type Published = Shared<BoxFuture<'static, CopyRows>>;

/// Hands over the rows of a pair's copy once, when the pair is done with them.
#[derive(Debug)]
pub(crate) struct Publisher(Option<futures::channel::oneshot::Sender<CopyRows>>);

impl Publisher {
    /// A publisher and what its pair's dependents await.
    pub(crate) fn new() -> (Self, Published) {
        let (sender, receiver) = futures::channel::oneshot::channel();
        let published = receiver.map(|rows| rows.unwrap_or(None)).boxed().shared();
        (Self(Some(sender)), published)
    }

    /// Hands the rows over (dropping a publisher hands over `None`).
    pub(crate) fn publish(mut self, rows: CopyRows) {
        if let Some(sender) = self.0.take() {
            let _ = sender.send(rows);
        }
    }
}

/// The order to run pairs in, as indices: a pair after the pairs its source's relations point at
/// (in the same environment); of pairs in a cycle, the registry's order. `relates(i)` names the
/// pairs pair `i` relates to.
pub(crate) fn relation_order(count: usize, relates: impl Fn(usize) -> Vec<usize>) -> Vec<usize> {
    let edges: Vec<Vec<usize>> = (0..count)
        .map(|i| {
            relates(i)
                .into_iter()
                .filter(|&j| j != i && j < count)
                .collect()
        })
        .collect();
    let mut order = Vec::with_capacity(count);
    let mut placed = vec![false; count];
    while order.len() < count {
        // The first pair (in registry order) whose dependencies are all placed; in a cycle, the
        // first pair not placed.
        let next = (0..count)
            .find(|&i| !placed[i] && edges[i].iter().all(|&j| placed[j]))
            .or_else(|| (0..count).find(|&i| !placed[i]));
        let Some(next) = next else { break };
        placed[next] = true;
        order.push(next);
    }
    order
}

/// The shared reads of one run.
#[derive(Debug, Default)]
pub(crate) struct RefReads {
    directories: HashMap<Workspace, SharedRead<Directory>>,
    /// By (source-side data source, environment row).
    related: HashMap<(DataSourceId, PageId), Related>,
}

impl RefReads {
    /// The reads of a run whose pairs are `pairs` (none is made until a pair awaits it).
    pub(crate) fn new(pairs: &[PairSides]) -> Self {
        let mut reads = Self::default();
        for pair in pairs {
            let (source, target) = pair.workspaces();
            for (workspace, client) in [(source, &pair.source), (target, &pair.target)] {
                reads
                    .directories
                    .entry(workspace)
                    .or_insert_with(|| read_directory(client.clone()));
            }
            reads
                .related
                .entry((pair.source_data_source, pair.environment))
                .or_insert_with(|| Related {
                    target: pair.target_data_source,
                    rows: pair
                        .target_data_source
                        .map(|ds| read_row_map(pair.target.clone(), ds)),
                });
        }
        reads
    }

    /// What `pair` needs to make its references portable, given its source's schema and its
    /// rows (`rows`: both sides'), with notes on what could not be read. Only what the rows name
    /// is read: the users lists when someone is named, a related copy's rows when a related
    /// page is, or (`mentions`: the pair copies page bodies, whose mentions may name any row)
    /// every related copy's rows.
    pub(crate) async fn pair_refs<'a>(
        &self,
        pair: &PairSides,
        source_schema: &BTreeMap<String, PropertyConfig>,
        rows: impl IntoIterator<Item = &'a RowContent>,
        handed_over: &HashMap<DataSourceId, Published>,
        mentions: bool,
    ) -> (PairRefs, Vec<String>) {
        let mut notes = Vec::new();
        let mut refs = PairRefs::default();
        let rows: Vec<&RowContent> = rows.into_iter().collect();
        let names_any = |name: &str| {
            rows.iter()
                .any(|row| row.values.get(name).is_some_and(|v| v != "[]"))
        };
        let named = source_schema
            .iter()
            .filter(|(_, c)| matches!(c.config, PropertyConfigKind::People(_)))
            .any(|(name, _)| names_any(name));
        if named {
            let (source, target) = pair.workspaces();
            let (source, target) = futures::join!(self.directory(source), self.directory(target));
            for (side, read) in [("source", &source), ("target", &target)] {
                if let Err(error) = read {
                    notes.push(format!(
                        "the {side}'s users could not be read ({error}); people are not matched: give the integration the \"read user information including email addresses\" capability"
                    ));
                }
            }
            refs.source_people = source.unwrap_or_default();
            refs.target_people = target.unwrap_or_default();
        }
        for (name, config) in source_schema {
            let PropertyConfigKind::Relation(relation) = &config.config else {
                continue;
            };
            let Some(related) = relation.data_source_id else {
                continue;
            };
            let needed = mentions || names_any(name);
            let handed = match handed_over.get(&related) {
                Some(published) => published.clone().await,
                None => None,
            };
            let entry = self.related.get(&(related, pair.environment));
            let copy = match handed {
                Some(handed) if handed.complete || !needed => RelationCopy::Copied {
                    target: handed.data_source,
                    rows: if needed { handed.rows } else { Arc::default() },
                },
                // A partial map over a read of the whole copy (made now, after its pair's writes).
                Some(handed) => match entry.and_then(|e| e.rows.clone()) {
                    Some(read) if entry.and_then(|e| e.target) == Some(handed.data_source) => {
                        match read.await {
                            Ok(all) => RelationCopy::Copied {
                                target: handed.data_source,
                                rows: Arc::new(all.overlaid(&handed.rows, &handed.trashed)),
                            },
                            Err(error) => {
                                notes.push(unread_related(related, &error));
                                RelationCopy::Waiting
                            }
                        }
                    }
                    _ => RelationCopy::Copied {
                        target: handed.data_source,
                        rows: handed.rows,
                    },
                },
                None => match entry.map(|e| (e.target, e.rows.clone())) {
                    Some((Some(target), _)) if !needed => RelationCopy::Copied {
                        target,
                        rows: Arc::default(),
                    },
                    Some((Some(target), Some(read))) => match read.await {
                        Ok(rows) => RelationCopy::Copied { target, rows },
                        Err(error) => {
                            notes.push(unread_related(related, &error));
                            RelationCopy::Waiting
                        }
                    },
                    Some(_) => RelationCopy::Waiting,
                    None => continue,
                },
            };
            refs.relations.insert(related, copy);
        }
        (refs.with_source_schema(source_schema), notes)
    }

    /// The people of a pair's source workspace and of its target's (each users list read once
    /// per run; one that cannot be read is empty, and people are then not matched).
    pub(crate) async fn people(&self, pair: &PairSides) -> (Arc<Directory>, Arc<Directory>) {
        let (source, target) = pair.workspaces();
        let (source, target) = futures::join!(self.directory(source), self.directory(target));
        (source.unwrap_or_default(), target.unwrap_or_default())
    }

    async fn directory(&self, workspace: Workspace) -> std::result::Result<Arc<Directory>, String> {
        match self.directories.get(&workspace) {
            Some(read) => read.clone().await,
            None => Ok(Arc::default()),
        }
    }
}

/// The note of a related copy that could not be read.
fn unread_related(related: DataSourceId, error: &str) -> String {
    format!(
        "the copy of the related database {related} could not be read ({error}); its relations wait for the next run"
    )
}

fn read_directory(client: NotionClient) -> SharedRead<Directory> {
    async move {
        let users: Vec<_> = client
            .users()
            .try_collect()
            .await
            .map_err(|e| e.to_string())?;
        Ok(Arc::new(Directory::new(users)))
    }
    .boxed()
    .shared()
}

/// Reads the keys of a copy's rows (only the key column of each row is asked for).
fn read_row_map(client: NotionClient, data_source: DataSourceId) -> SharedRead<RowMap> {
    async move {
        let read = async {
            let schema = client.data_source(data_source).await?;
            let key = schema
                .properties
                .get(SOURCE_KEY)
                .and_then(|c| c.id.as_ref())
                .map(|id| vec![id.to_string()])
                .unwrap_or_default();
            client
                .query_all(data_source, None, &key)
                .map_ok(|page| (crate::sync::columns::source_key(&page), page.id))
                .try_filter_map(|(key, id)| async move { Ok(key.map(|key| (key, id))) })
                .try_collect::<Vec<_>>()
                .await
        };
        let pairs: Vec<(PageId, PageId)> = read.await.map_err(|e| e.to_string())?;
        Ok(Arc::new(RowMap::new(pairs)))
    }
    .boxed()
    .shared()
}

/// Reads in full the values of `rows` that Notion cut at 25 references (a few requests per such
/// value, none for the others).
pub(crate) async fn complete_truncated<'a>(
    client: &NotionClient,
    schema: &BTreeMap<String, PropertyConfig>,
    rows: impl IntoIterator<Item = &'a mut RowContent>,
) -> Result<()> {
    let mut rows: Vec<&mut RowContent> = rows
        .into_iter()
        .filter(|row| !row.truncated.is_empty())
        .collect();
    let wanted: Vec<(usize, String)> = rows
        .iter()
        .enumerate()
        .flat_map(|(index, row)| row.truncated.iter().map(move |name| (index, name.clone())))
        .collect();
    let reads = futures::stream::iter(wanted.into_iter().filter_map(|(index, name)| {
        let property = schema.get(&name)?.id.clone()?;
        let page = rows[index].id;
        Some(async move {
            let ids = full_references(client, page, &property).await?;
            Ok::<_, crate::error::Error>((index, name, ids))
        })
    }))
    .buffer_unordered(8)
    .try_collect::<Vec<_>>()
    .await?;
    for (index, name, ids) in reads {
        let row = &mut *rows[index];
        row.values.insert(
            crate::sync::rows::name(&name),
            crate::sync::values::id_list(ids.into_iter())
                .to_string()
                .into_boxed_str(),
        );
        row.truncated.retain(|n| n != &name);
    }
    Ok(())
}

/// Every related page or person of one property of a page, as IDs.
async fn full_references(
    client: &NotionClient,
    page: PageId,
    property: &crate::ids::PropertyId,
) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    let mut responses = client.page_property(page, property);
    while let Some(response) = responses.try_next().await? {
        let items = match response {
            PropertyItemResponse::Item(item) => vec![*item],
            PropertyItemResponse::List(list) => list.list.results,
        };
        for item in items {
            match item.item {
                PropertyItemKind::Relation(page) => ids.push(page.id.to_string()),
                PropertyItemKind::People(user) => ids.push(user.id.to_string()),
                _ => {}
            }
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn related_pairs_run_first_and_a_cycle_keeps_the_registry_order() {
        // 0 → 2 → 1; 3 ↔ 4; 5 relates to itself.
        let relates = |i: usize| match i {
            0 => vec![2],
            2 => vec![1],
            3 => vec![4],
            4 => vec![3],
            5 => vec![5],
            _ => vec![],
        };
        assert_eq!(relation_order(6, relates), [1, 2, 0, 5, 3, 4]);
        assert_eq!(relation_order(0, relates), Vec::<usize>::new());
    }

    #[tokio::test]
    async fn a_pair_that_stops_without_handing_over_hands_over_nothing() {
        let (publisher, published) = Publisher::new();
        drop(publisher);
        assert!(published.await.is_none());
        let (publisher, published) = Publisher::new();
        let handed = HandedRows {
            data_source: DataSourceId::from_u128(3),
            rows: Arc::new(RowMap::new([(PageId::from_u128(1), PageId::from_u128(2))])),
            complete: true,
            trashed: Arc::new([]),
            remade: false,
        };
        publisher.publish(Some(handed.clone()));
        assert_eq!(published.clone().await, Some(handed));
    }
}
