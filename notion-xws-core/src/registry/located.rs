//! The tool's tables found by their exact titles, with as few searches as Notion allows.
//!
//! `system-environments`, `system-databases`, `system-sync-links` and `system-sync-leases` all
//! begin with [`SYSTEM_PREFIX`], so one search for it lists them together: a run's registry read
//! makes it ([`Located::search`]) and the audit and the sync's first pass take their tables from
//! it, one request a run instead of one a table ([`titled_exactly`]). A table the search did not
//! list is searched for by its own title, as is every table when the search listed more than a
//! page of data sources, or was made more than [`Located::FRESH_FOR`] ago: an answer that names
//! no table is never taken from it (a missing links or leases table is made next, and Notion's
//! search need not match a title's first word the way it matches the whole title).

use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};

use crate::client::NotionClient;
use crate::error::Result;
use crate::model::DataSource;

/// What the titles of the tool's own tables begin with.
pub(crate) const SYSTEM_PREFIX: &str = "system-";

/// The most data sources the search for [`SYSTEM_PREFIX`] is read for: one page of Notion's
/// search (a second is asked for only to learn that there are more). A workspace with more such
/// data sources has each table searched for by its title.
const MOST: usize = 100;

/// The data sources one search for [`SYSTEM_PREFIX`] listed, and when (see the
/// [module documentation](self)). The default found nothing and answers for no table.
#[derive(Debug, Clone, Default)]
pub(crate) struct Located {
    found: Option<(Arc<Vec<DataSource>>, tokio::time::Instant)>,
}

impl Located {
    /// How long the search answers for a table: a run's registry read, its audit and the start
    /// of its sync take a few seconds.
    pub(crate) const FRESH_FOR: Duration = Duration::from_secs(60);

    /// Searches the control workspace for the data sources whose titles contain
    /// [`SYSTEM_PREFIX`]'s word: one request when they fit a page.
    pub(crate) async fn search(control: &NotionClient) -> Result<Self> {
        let word = SYSTEM_PREFIX.trim_end_matches('-');
        let found: Vec<DataSource> = control
            .search_data_sources(word)
            .take(MOST + 1)
            .try_collect()
            .await?;
        if found.len() > MOST {
            return Ok(Self::default());
        }
        Ok(Self {
            found: Some((Arc::new(found), tokio::time::Instant::now())),
        })
    }

    /// The live data sources titled exactly `title` that the search listed, when it answers for
    /// that title: one beginning with [`SYSTEM_PREFIX`], a search made within
    /// [`FRESH_FOR`](Self::FRESH_FOR) that listed all it found, and at least one such source.
    pub(crate) fn titled(&self, title: &str) -> Option<Vec<DataSource>> {
        let (found, at) = self.found.as_ref()?;
        if !title.starts_with(SYSTEM_PREFIX) || at.elapsed() > Self::FRESH_FOR {
            return None;
        }
        let titled: Vec<DataSource> = found
            .iter()
            .filter(|source| exactly(source, title))
            .cloned()
            .collect();
        (!titled.is_empty()).then_some(titled)
    }
}

/// The live data sources shared with `control` titled exactly `title` (none, one, or several
/// that the caller must choose between): from `located` when it answers for that title, else
/// from a search for the title.
pub(crate) async fn titled_exactly(
    control: &NotionClient,
    title: &str,
    located: Option<&Located>,
) -> Result<Vec<DataSource>> {
    if let Some(found) = located.and_then(|located| located.titled(title)) {
        return Ok(found);
    }
    control
        .search_data_sources(title)
        .try_filter(|source| std::future::ready(exactly(source, title)))
        .try_collect()
        .await
}

/// Whether `source` is live and titled exactly `title` (but for spaces around it).
fn exactly(source: &DataSource, title: &str) -> bool {
    source.title_text().trim() == title && !source.in_trash()
}
