//! Every page of every list, as streams.
//!
//! Notion's lists come 100 at a time with an opaque `next_cursor`. [`paginate`] follows the cursor
//! to the end and yields the items one by one; the cursor travels in the query string of a `GET`
//! and in the body of a `POST`, as Notion wants.
//!
//! A data-source query stops at 10,000 results per filter and sort: `has_more` turns false and
//! `request_status.type` is `"incomplete"`, so that a naive loop loses every row past the cap.
//! [`query_all`] sorts by `created_time` ascending and, at the cap, starts a new window at the
//! `created_time` of the last row it saw (`on_or_after`, since Notion rounds it to the minute),
//! skipping the rows of that minute it already yielded: no row lost, none twice.

use std::collections::HashSet;

use futures::stream::{self, Stream, StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use serde_json::json;

use super::NotionClient;
use crate::error::{Error, Result};
use crate::ids::{DataSourceId, PageId};
use crate::model::params::{
    DateCondition, Filter, QueryDataSource, Sort, SortDirection, TimestampFilter, TimestampKind,
};
use crate::model::{List, Page, SearchResult};
use crate::transport::{ApiRequest, Method};

/// Items per request: Notion's maximum.
pub const PAGE_SIZE: u32 = 100;

/// Puts the cursor (and the page size) where Notion wants it for this request.
fn with_cursor(mut request: ApiRequest, cursor: Option<&str>) -> ApiRequest {
    if request.method == Method::Get {
        request
            .query
            .push(("page_size".into(), PAGE_SIZE.to_string()));
        if let Some(cursor) = cursor {
            request.query.push(("start_cursor".into(), cursor.into()));
        }
    } else {
        let body = request.body.get_or_insert_with(|| json!({}));
        if let Some(body) = body.as_object_mut() {
            body.insert("page_size".into(), json!(PAGE_SIZE));
            if let Some(cursor) = cursor {
                body.insert("start_cursor".into(), json!(cursor));
            }
        }
    }
    request
}

/// Every item of the list that `request` starts, following `next_cursor` to the end.
pub fn paginate<T>(
    client: &NotionClient,
    request: ApiRequest,
) -> impl Stream<Item = Result<T>> + Send + 'static
where
    T: DeserializeOwned + Send + 'static,
{
    let client = client.clone();
    stream::try_unfold(Some(None::<String>), move |cursor| {
        let client = client.clone();
        let request = request.clone();
        async move {
            let Some(cursor) = cursor else {
                return Ok::<_, Error>(None);
            };
            let page: List<T> = client.send(with_cursor(request, cursor.as_deref())).await?;
            let next = page.next_page_cursor().map(|next| Some(next.to_owned()));
            Ok(Some((page.results, next)))
        }
    })
    .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
}

/// State of [`query_all`] between two requests.
#[derive(Debug, Default)]
struct Window {
    /// `on_or_after` of the current window (`None`: the first window).
    since: Option<String>,
    cursor: Option<String>,
    /// The latest `created_time` yielded, and the rows of that minute yielded so far (to skip
    /// when a window restarts at that minute).
    last_time: Option<String>,
    seen_at_last_time: HashSet<PageId>,
    /// Whether the current window has yielded a new row yet.
    progressed: bool,
}

impl Window {
    /// The body of the next request of this window.
    fn query(&self, filter: Option<&Filter>) -> QueryDataSource {
        let since = self.since.as_ref().map(|since| {
            Filter::Timestamp(TimestampFilter {
                timestamp: TimestampKind::CreatedTime,
                condition: DateCondition::OnOrAfter(since.clone()),
            })
        });
        QueryDataSource {
            filter: match (filter.cloned(), since) {
                (Some(filter), Some(since)) => Some(Filter::And {
                    and: vec![filter, since],
                }),
                (filter, since) => filter.or(since),
            },
            sorts: Some(vec![Sort::Timestamp {
                timestamp: TimestampKind::CreatedTime,
                direction: SortDirection::Ascending,
            }]),
            start_cursor: self.cursor.clone(),
            page_size: Some(PAGE_SIZE),
            ..QueryDataSource::default()
        }
    }

    /// Whether `row` is new to this query (not yielded by an earlier window of the same minute).
    fn admit(&mut self, row: &Page) -> bool {
        if self.last_time.as_deref() == Some(row.created_time.as_str()) {
            if !self.seen_at_last_time.insert(row.id) {
                return false;
            }
        } else {
            self.last_time = Some(row.created_time.clone());
            self.seen_at_last_time = HashSet::from([row.id]);
        }
        self.progressed = true;
        true
    }
}

/// Every row of a data source that matches `filter`, past Notion's 10,000-result cap. Rows come
/// in `created_time` order; `filter_properties` (names or IDs) limits the properties each row
/// carries. See the [module documentation](self).
pub fn query_all(
    client: &NotionClient,
    data_source: DataSourceId,
    filter: Option<Filter>,
    filter_properties: &[String],
) -> impl Stream<Item = Result<Page>> + Send + 'static {
    let client = client.clone();
    let path = format!("/v1/data_sources/{data_source}/query");
    let filter_properties = filter_properties.to_vec();
    stream::try_unfold(Some(Window::default()), move |window| {
        let client = client.clone();
        let path = path.clone();
        let filter = filter.clone();
        let filter_properties = filter_properties.clone();
        async move {
            let Some(mut window) = window else {
                return Ok::<_, Error>(None);
            };
            let body =
                serde_json::to_value(window.query(filter.as_ref())).map_err(|e| Error::Decode {
                    what: "a data-source query".into(),
                    message: e.to_string(),
                })?;
            let mut request = client.request(Method::Post, path).with_body(body);
            for property in &filter_properties {
                request = request.with_query("filter_properties", property.clone());
            }
            let operation = request.operation();
            // A row is a page; a result of another object (a wiki's data source, a kind Notion
            // added since) is skipped and counted, never failing the read.
            let page: List<SearchResult> = client.send(request).await?;
            let incomplete = page.is_incomplete();
            let next_cursor = page.next_page_cursor().map(str::to_owned);
            let rows: Vec<Page> = page
                .results
                .into_iter()
                .filter_map(|result| match result {
                    SearchResult::Page(row) => Some(*row),
                    other => {
                        client.skipped().note(other.object(), &operation);
                        None
                    }
                })
                .filter(|row| window.admit(row))
                .collect();
            let next = if let Some(cursor) = next_cursor {
                window.cursor = Some(cursor);
                Some(window)
            } else if incomplete {
                if !window.progressed {
                    return Err(Error::Decode {
                        what: "a data-source query".into(),
                        message: format!(
                            "more than 10,000 rows were created in the minute {}; Notion cannot \
                             list them all with one filter",
                            window.last_time.unwrap_or_default()
                        ),
                    });
                }
                window.since = window.last_time.clone();
                window.cursor = None;
                window.progressed = false;
                Some(window)
            } else {
                None
            };
            Ok(Some((rows, next)))
        }
    })
    .map_ok(|rows| stream::iter(rows.into_iter().map(Ok)))
    .try_flatten()
    .boxed()
}
