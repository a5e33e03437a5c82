//! What a run's first pass reads while the audit runs: the `system-sync-links` table (as the
//! registry read's search found it) and, with each environment's token, the schema and the
//! database of every copy it records. An environment's token then reads its copies while the
//! control's still checks the registry, instead of idling until the pairs start.
//!
//! One of those tokens also learns, with one query of its copy, whether Notion lists live rows
//! under `in_trash: true` ([`learn_trash_listing`](crate::client::pagination::learn_trash_listing)),
//! so that each pair's incremental read is one query a side even in a run where nothing changed.
//!
//! Nothing here decides anything: a pair takes its copy's reads once ([`CopyReads::take`]) in
//! place of reading them itself, and a read that failed, a copy the audit then leaves out, or a
//! pair's second read (in full, or after another run wrote) is read by the pair as before.
//! Copies pulled into the control workspace are left to their pairs (the control's token is
//! the one a run's start waits on), as are the copies of a run limited to one environment.

use std::collections::HashMap;
use std::sync::Mutex;

use futures::stream::{self, StreamExt};

use super::context::SyncOptions;
use crate::client::NotionClient;
use crate::ids::{DataSourceId, DatabaseId};
use crate::model::{DataSource, Database};
use crate::registry::{Direction, LINKS_TITLE, Registry};
use crate::sync::links::LinksTable;

/// How many copies are read at once (each token keeps its own rate budget).
const AT_ONCE: usize = 16;

/// The copies' schemas and databases read before their pairs ran, by data source, each taken
/// once.
#[derive(Debug, Default)]
pub(super) struct CopyReads(Mutex<HashMap<DataSourceId, (DataSource, Database)>>);

impl CopyReads {
    /// The schema and database of the copy `(database, data_source)`, when they were read
    /// early and not taken yet.
    pub(super) fn take(
        &self,
        (database, data_source): (DatabaseId, DataSourceId),
    ) -> Option<(DataSource, Database)> {
        let mut reads = self.0.lock().unwrap_or_else(|e| e.into_inner());
        reads
            .remove(&data_source)
            .filter(|(_, read)| read.id == database)
    }
}

/// The reads of [the module documentation](self), for the first pass.
#[derive(Debug, Default)]
pub(super) struct EarlyReads {
    /// `system-sync-links`, read, when the registry's search found exactly one.
    pub(super) links: Option<LinksTable>,
    /// The copies it records, read with their environments' tokens.
    pub(super) copies: CopyReads,
}

impl EarlyReads {
    /// Reads the links table the registry's search found, then every copy it records of a pair
    /// the registry syncs into an environment. Errors are left to the pairs' own reads.
    pub(super) async fn read(
        control: &NotionClient,
        registry: &Registry,
        options: &SyncOptions,
    ) -> Self {
        let source = match registry.located.titled(LINKS_TITLE).as_deref() {
            Some([one]) if !one.properties.is_empty() => one.clone(),
            _ => return Self::default(),
        };
        let Ok(links) = LinksTable::read(control, source).await else {
            return Self::default();
        };
        let copies = if options.only.is_some() {
            Vec::new()
        } else {
            links
                .links
                .iter()
                .filter_map(|link| {
                    let copy = link.target_database.zip(link.target_data_source)?;
                    let database = registry.database(link.database_row?)?;
                    let environment = registry.environment(link.environment_row?)?;
                    let into_environment = matches!(
                        database.sync.direction(),
                        Some(Direction::Push | Direction::TwoWay)
                    );
                    if !into_environment || !database.environments.contains(&environment.row) {
                        return None;
                    }
                    let token = environment.token.resolve().ok()??;
                    Some((control.for_token(token), copy))
                })
                .collect()
        };
        // While the tokens wait: what Notion's `in_trash: true` lists, learned on one copy.
        let learn = async {
            if let Some((client, (_, data_source))) = copies.first() {
                crate::client::pagination::learn_trash_listing(client, *data_source).await;
            }
        };
        let read = stream::iter(copies.clone())
            .map(|(client, (database, data_source))| async move {
                let (schema, read) =
                    futures::join!(client.data_source(data_source), client.database(database));
                Some((data_source, (schema.ok()?, read.ok()?)))
            })
            .buffer_unordered(AT_ONCE)
            .filter_map(std::future::ready)
            .collect::<HashMap<_, _>>();
        let ((), read) = futures::join!(learn, read);
        Self {
            links: Some(links),
            copies: CopyReads(Mutex::new(read)),
        }
    }
}
