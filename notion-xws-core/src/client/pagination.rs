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
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::NotionClient;
use crate::error::{Error, Result};
use crate::ids::{DataSourceId, PageId};
use crate::transport::{ApiRequest, Method};

/// Items per request: Notion's maximum.
pub const PAGE_SIZE: u32 = 100;

/// One page of a list, as Notion sends it.
#[derive(Debug, Deserialize)]
struct ListPage<T> {
    results: Vec<T>,
    #[serde(default)]
    next_cursor: Option<String>,
    #[serde(default)]
    has_more: bool,
    #[serde(default)]
    request_status: Option<RequestStatus>,
}

#[derive(Debug, Deserialize)]
struct RequestStatus {
    #[serde(rename = "type")]
    kind: String,
}

impl<T> ListPage<T> {
    fn incomplete(&self) -> bool {
        self.request_status
            .as_ref()
            .is_some_and(|s| s.kind == "incomplete")
    }
}

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
            let page: ListPage<T> = client.send(with_cursor(request, cursor.as_deref())).await?;
            let next = match (page.has_more, page.next_cursor) {
                (true, Some(next)) => Some(Some(next)),
                _ => None,
            };
            Ok(Some((page.results, next)))
        }
    })
    .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
}

/// The fields of a row that windowing needs.
#[derive(Debug, Deserialize)]
struct RowStamp {
    id: PageId,
    created_time: String,
}

/// State of [`query_all`] between two requests.
#[derive(Debug)]
struct Window {
    /// `on_or_after` of the current window (`None`: the first window).
    since: Option<String>,
    cursor: Option<String>,
    /// Rows yielded whose `created_time` is the latest seen, to skip when a window restarts there.
    last_time: Option<String>,
    seen_at_last_time: HashSet<PageId>,
    /// Whether the current window has yielded a new row yet.
    progressed: bool,
}

/// Every row of a data source that matches `filter` (a Notion filter object, or `None`), past
/// Notion's 10,000-result cap. Rows come in `created_time` order; `filter_properties` (names or
/// IDs) limits the properties each row carries. See the [module documentation](self).
pub fn query_all<T>(
    client: &NotionClient,
    data_source: DataSourceId,
    filter: Option<Value>,
    filter_properties: &[String],
) -> impl Stream<Item = Result<T>> + Send + 'static
where
    T: DeserializeOwned + Send + 'static,
{
    let client = client.clone();
    let path = format!("/v1/data_sources/{data_source}/query");
    let filter_properties = filter_properties.to_vec();
    let start = Window {
        since: None,
        cursor: None,
        last_time: None,
        seen_at_last_time: HashSet::new(),
        progressed: false,
    };
    stream::try_unfold(Some(start), move |window| {
        let client = client.clone();
        let path = path.clone();
        let filter = filter.clone();
        let filter_properties = filter_properties.clone();
        async move {
            let Some(mut window) = window else {
                return Ok::<_, Error>(None);
            };
            let mut body = json!({
                "sorts": [{"timestamp": "created_time", "direction": "ascending"}],
            });
            let since = window.since.as_ref().map(|since| {
                json!({"timestamp": "created_time", "created_time": {"on_or_after": since}})
            });
            match (filter, since) {
                (Some(filter), Some(since)) => body["filter"] = json!({"and": [filter, since]}),
                (Some(filter), None) => body["filter"] = filter,
                (None, Some(since)) => body["filter"] = since,
                (None, None) => {}
            }
            let mut request = client.request(Method::Post, path).with_body(body);
            for property in &filter_properties {
                request = request.with_query("filter_properties", property.clone());
            }
            let page: ListPage<Value> = client
                .send(with_cursor(request, window.cursor.as_deref()))
                .await?;
            let incomplete = page.incomplete();
            let mut rows = Vec::with_capacity(page.results.len());
            for raw in page.results {
                let stamp: RowStamp =
                    serde_json::from_value(raw.clone()).map_err(|e| Error::Decode {
                        what: "a data-source query result".into(),
                        message: e.to_string(),
                    })?;
                if window.last_time.as_deref() == Some(stamp.created_time.as_str()) {
                    if !window.seen_at_last_time.insert(stamp.id) {
                        continue;
                    }
                } else {
                    window.last_time = Some(stamp.created_time);
                    window.seen_at_last_time = HashSet::from([stamp.id]);
                }
                window.progressed = true;
                rows.push(serde_json::from_value::<T>(raw).map_err(|e| Error::Decode {
                    what: "a data-source query result".into(),
                    message: e.to_string(),
                })?);
            }
            let next = if page.has_more {
                window.cursor = page.next_cursor;
                window.cursor.is_some().then_some(window)
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
