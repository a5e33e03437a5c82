//! The status step: each pair's [`StatusCells`] in its `system-sync-links` row, after the pair
//! ran (or was left out), written only when it differs from what the row holds, so that a re-run
//! where nothing changed writes nothing. A pair with no row gets one that names no target.

use crate::client::NotionClient;
use crate::ids::PageId;
use crate::sync::links::{self, LinksTable, StatusCells};
use crate::sync::report::PairReport;

/// Records `report`'s status (see [`PairReport::link_status`]) with `control` (the pair's
/// counted client) in the pair's link row `known` (its row, and the status it holds as far as
/// this run knows), or in a new row when it has none. A status that cannot be written is a note:
/// the pair's outcome stays what it was. Whether the row holds the status now.
pub(super) async fn record_status(
    control: &NotionClient,
    links: &LinksTable,
    report: &mut PairReport,
    known: Option<(PageId, StatusCells)>,
) -> bool {
    let Some(wanted) = report.link_status() else {
        return false;
    };
    let written = match known {
        Some((_, holds)) if holds == wanted => return true,
        Some((row, _)) => links::record_status(control, row, &wanted).await,
        None => links
            .add_status(control, &report.pair, &wanted)
            .await
            .map(drop),
    };
    match written {
        Ok(()) => true,
        Err(error) => {
            report.notes.push(format!(
                "the pair's status could not be recorded in system-sync-links: {error}"
            ));
            false
        }
    }
}
