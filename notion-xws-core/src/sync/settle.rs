//! Writes whose outcome is unknown, settled without a duplicate: a create that timed out or drew
//! a 5xx ([`Error::AmbiguousWrite`]) is looked up after Notion's read-after-write lag, a few
//! times ([`settle`]), and sent again only when it is still not there ([`create_settled`]).
//! Which writes are settled this way, and how the others are, is the table in
//! [`client::writes`](crate::client::writes).

use std::future::Future;

use futures::stream::TryStreamExt;
use serde_json::{Value, json};

use crate::client::NotionClient;
use crate::error::{Error, Result};
use crate::ids::{DataSourceId, PageId};
use crate::model::Page;
use crate::model::params::{Filter, PropertyFilter};
use crate::sync::options::ExecuteOptions;

/// Looks a write whose outcome is unknown up, after each settle delay (1, 2, 3 … times
/// [`ExecuteOptions::settle_delay`], [`ExecuteOptions::settle_attempts`] times): the first thing
/// `lookup` finds, or `None` when it found nothing in the whole window.
pub(crate) async fn settle<T, F, Fut>(options: &ExecuteOptions, mut lookup: F) -> Result<Option<T>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    for attempt in 1..=options.settle_attempts.max(1) {
        tokio::time::sleep(options.settle_delay * attempt).await;
        if let Some(found) = lookup().await? {
            return Ok(Some(found));
        }
    }
    Ok(None)
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
            let found = settle(options, || find_by_link(client, data_source, column, link)).await?;
            if let Some(id) = found {
                return Ok((id, true));
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
