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
//! skipping the rows it already yielded: no row lost, none twice.
//!
//! More rows than the cap in one minute (a CSV import, Notion's "Duplicate") stop that: the
//! window would start where it started. That minute is then read apart, as the range
//! `[minute, minute + 1 min)` (robust whether Notion compares the rounded or the exact time),
//! by the next key, and the windows go on from the next minute. The keys, in turn:
//! `created_time`, `last_edited_time` (the same way), then the title, whose rows are halved by
//! `contains` a character and `does_not_contain` it — two conditions that together hold every
//! row, whatever Notion's rules for letter case — picked among the titles read so that both
//! halves hold rows, until each part is under the cap. Every split is a partition of its part,
//! so no row is lost; a row read twice (by a window restarting at its minute, or a part read
//! again once split) is yielded once. Only more than 10,000 rows with the same creation minute,
//! edit minute and title cannot be listed: an error says so.

use std::collections::HashSet;

use futures::stream::{self, Stream, StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use serde_json::json;

use super::NotionClient;
use crate::error::{Error, Result};
use crate::ids::{DataSourceId, PageId};
use crate::model::params::{
    DateCondition, Filter, PropertyFilter, QueryDataSource, Sort, SortDirection, TimestampFilter,
    TimestampKind,
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

/// The keys that split the rows of a query past Notion's cap, in the order they are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    /// `created_time`, in windows of `on_or_after` (an ordered key).
    Created,
    /// `last_edited_time`, the same way, within one minute of creation.
    Edited,
    /// The title, halved by `contains` / `does_not_contain` a character.
    Title,
}

const KEYS: [Key; 3] = [Key::Created, Key::Edited, Key::Title];

/// The most conditions a part of a query adds (Notion takes 100 filters in an `and`).
const MAX_CONDITIONS: usize = 40;

/// A part of a query's rows: its conditions, the key that reads it, and where the reading
/// stands. See [`query_all`].
#[derive(Debug, Clone, Default)]
struct Segment {
    /// The conditions of the part, besides the caller's filter.
    conditions: Vec<Filter>,
    /// Its key, an index in [`KEYS`].
    key: usize,
    /// An ordered key's window: from this value on (`None`: from the first row).
    since: Option<String>,
    /// The cursor in the window.
    cursor: Option<String>,
    /// The key's value in the first and the last row read of the window.
    first: Option<String>,
    last: Option<String>,
    /// The titles and the edit times of the rows of the window, and the title property's name.
    titles: Vec<String>,
    edited: HashSet<String>,
    title_property: Option<String>,
    /// The characters that split this part already.
    used: Vec<char>,
}

impl Segment {
    fn child(&self, key: usize, more: impl IntoIterator<Item = Filter>) -> Self {
        let mut conditions = self.conditions.clone();
        conditions.extend(more);
        Self {
            conditions,
            key,
            used: self.used.clone(),
            ..Self::default()
        }
    }

    /// The timestamp of an ordered key.
    fn timestamp(&self) -> TimestampKind {
        match KEYS[self.key] {
            Key::Edited => TimestampKind::LastEditedTime,
            _ => TimestampKind::CreatedTime,
        }
    }

    /// The body of the next request of this part (`in_trash`: the rows in the trash too).
    fn query(&self, filter: Option<&Filter>, in_trash: bool) -> QueryDataSource {
        let mut and: Vec<Filter> = filter.into_iter().cloned().collect();
        and.extend(self.conditions.iter().cloned());
        if let Some(since) = &self.since {
            and.push(timestamp(
                self.timestamp(),
                DateCondition::OnOrAfter(since.clone()),
            ));
        }
        QueryDataSource {
            filter: match and.len() {
                0 => None,
                1 => and.pop(),
                _ => Some(Filter::And { and }),
            },
            sorts: Some(vec![Sort::Timestamp {
                timestamp: self.timestamp(),
                direction: SortDirection::Ascending,
            }]),
            start_cursor: self.cursor.clone(),
            page_size: Some(PAGE_SIZE),
            in_trash: in_trash.then_some(true),
            ..QueryDataSource::default()
        }
    }

    /// Notes a row of the part's window.
    fn read(&mut self, row: &Page) {
        let value = match KEYS[self.key] {
            Key::Created => Some(&row.created_time),
            Key::Edited => Some(&row.last_edited_time),
            Key::Title => None,
        };
        if let Some(value) = value {
            if self.first.is_none() {
                self.first = Some(value.clone());
            }
            self.last = Some(value.clone());
        }
        if self.title_property.is_none() {
            self.title_property = row.title_property().map(|(name, _)| name.to_owned());
        }
        self.edited.insert(row.last_edited_time.clone());
        self.titles.push(row.title());
    }

    /// Starts a new window of an ordered key at `since`.
    fn restart(&mut self, since: String) {
        self.since = Some(since);
        self.cursor = None;
        self.first = None;
        self.last = None;
        self.titles.clear();
        self.edited.clear();
    }

    /// The part's rows halved by a character of their titles (picked from the window's), or
    /// `None` when no character halves them.
    fn halves(&self, key: usize) -> Option<[Segment; 2]> {
        let property = self.title_property.clone()?;
        if self.conditions.len() + 1 >= MAX_CONDITIONS {
            return None;
        }
        let c = halving(&self.titles, &self.used)?;
        let text = c.to_string();
        Some(["contains", "does_not_contain"].map(|condition| {
            let mut half = self.child(
                key,
                [Filter::Property(PropertyFilter::new(
                    property.clone(),
                    "title",
                    json!({ condition: text }),
                ))],
            );
            half.used.push(c);
            half.title_property = Some(property.clone());
            // The window's titles that fall in this half, to halve it again before reading it.
            let inside = condition == "contains";
            half.titles = self
                .titles
                .iter()
                .filter(|t| t.to_lowercase().contains(c) == inside)
                .cloned()
                .collect();
            half
        }))
    }

    /// The part's rows in quarters (halves halved, each by the window's titles that fall in
    /// it), or in halves where a half cannot be halved again; ready to be read.
    fn quarters(&self, key: usize) -> Option<Vec<Segment>> {
        let mut parts = Vec::new();
        for half in self.halves(key)? {
            match half.halves(key) {
                Some(quarters) => parts.extend(quarters),
                None => parts.push(half),
            }
        }
        for part in &mut parts {
            part.titles.clear();
        }
        Some(parts)
    }

    /// The error of a part that no key splits.
    fn unsplittable(&self) -> Error {
        Error::Decode {
            what: "a data-source query".into(),
            message: format!(
                "more than 10,000 rows share their creation minute, their last-edit minute and \
                 their title ({:?}); Notion cannot list them all: give some of them another \
                 title",
                self.titles
                    .first()
                    .map(|t| t.chars().take(80).collect::<String>())
                    .unwrap_or_default()
            ),
        }
    }
}

fn timestamp(kind: TimestampKind, condition: DateCondition) -> Filter {
    Filter::Timestamp(TimestampFilter {
        timestamp: kind,
        condition,
    })
}

/// The minute after the one `time` (ISO 8601) is in, Notion's timestamps being rounded down
/// to the minute.
fn next_minute(time: &str) -> Result<String> {
    let at =
        humantime::parse_rfc3339_weak(time.trim_end_matches('Z')).map_err(|e| Error::Decode {
            what: "a data-source query".into(),
            message: format!("a row's time {time:?} is not a time: {e}"),
        })?;
    let minute = at
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 60 * 60 + 60)
        .unwrap_or(0);
    Ok(humantime::format_rfc3339_millis(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(minute),
    )
    .to_string())
}

/// The character (lower case) that halves `titles` most evenly, among those in some titles but
/// not all, and not `used`.
fn halving(titles: &[String], used: &[char]) -> Option<char> {
    let mut counts: std::collections::BTreeMap<char, usize> = Default::default();
    for title in titles {
        let chars: std::collections::BTreeSet<char> = title.to_lowercase().chars().collect();
        for c in chars {
            *counts.entry(c).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .filter(|(c, n)| *n < titles.len() && !used.contains(c))
        .min_by_key(|(_, n)| n.abs_diff(titles.len() / 2))
        .map(|(c, _)| c)
}

/// What [`query_all`] keeps between two requests: the parts still to read (the last first) and
/// every row yielded.
#[derive(Debug)]
struct Reading {
    parts: Vec<Segment>,
    seen: HashSet<PageId>,
}

impl Reading {
    /// The part on top reached the cap: its next window, or its parts.
    fn split(&mut self) -> Result<()> {
        let Some(part) = self.parts.last_mut() else {
            return Ok(());
        };
        if KEYS[part.key] == Key::Title {
            // A part read whole up to the cap: halved by title.
            let parts = part.quarters(part.key).ok_or_else(|| part.unsplittable())?;
            self.parts.pop();
            self.parts.extend(parts);
            return Ok(());
        }
        let Some(last) = part.last.clone() else {
            return Err(Error::Decode {
                what: "a data-source query".into(),
                message: "Notion stopped at its cap without a row".into(),
            });
        };
        if part.first.as_deref() != Some(last.as_str()) {
            // The next window starts at the last row's time (the rows of that time already
            // yielded are skipped).
            part.restart(last);
            return Ok(());
        }
        // A window of one minute only (rows before it were read by earlier windows): more rows
        // than the cap at that minute. It is read apart, then this part goes on from the minute
        // after. The minute's rows are split by the next key that tells the
        // window's rows apart: their edit times, else their titles.
        let next = next_minute(&last)?;
        let kind = part.timestamp();
        let minute = [
            timestamp(kind, DateCondition::OnOrAfter(last.clone())),
            timestamp(kind, DateCondition::Before(next.clone())),
        ];
        let edited = KEYS[part.key] == Key::Created && part.edited.len() > 1;
        let children = if edited {
            vec![part.child(part.key + 1, minute)]
        } else {
            let title = KEYS
                .iter()
                .position(|k| *k == Key::Title)
                .unwrap_or(KEYS.len() - 1);
            let mut within = part.child(title, minute);
            within.titles = std::mem::take(&mut part.titles);
            within.title_property = part.title_property.clone();
            within
                .quarters(title)
                .ok_or_else(|| within.unsplittable())?
        };
        part.restart(next);
        self.parts.extend(children);
        Ok(())
    }
}

/// Every row of a data source that matches `filter`, past Notion's 10,000-result cap; each row
/// once. `filter_properties` (names or IDs) limits the properties each row carries (keep the
/// title among them for a source with more than 10,000 rows made in one minute). See the
/// [module documentation](self).
pub fn query_all(
    client: &NotionClient,
    data_source: DataSourceId,
    filter: Option<Filter>,
    filter_properties: &[String],
) -> impl Stream<Item = Result<Page>> + Send + 'static {
    query_each(client, data_source, filter, filter_properties, false)
}

/// [`query_all`], and with `in_trash` the rows in the trash as well (Notion's `in_trash: true`),
/// past the cap the same way.
pub fn query_each(
    client: &NotionClient,
    data_source: DataSourceId,
    filter: Option<Filter>,
    filter_properties: &[String],
    in_trash: bool,
) -> impl Stream<Item = Result<Page>> + Send + 'static {
    let client = client.clone();
    let path = format!("/v1/data_sources/{data_source}/query");
    let filter_properties = filter_properties.to_vec();
    let reading = Reading {
        parts: vec![Segment::default()],
        seen: HashSet::new(),
    };
    stream::try_unfold(reading, move |mut reading| {
        let client = client.clone();
        let path = path.clone();
        let filter = filter.clone();
        let filter_properties = filter_properties.clone();
        async move {
            let Some(part) = reading.parts.last_mut() else {
                return Ok::<_, Error>(None);
            };
            let body =
                serde_json::to_value(part.query(filter.as_ref(), in_trash)).map_err(|e| {
                    Error::Decode {
                        what: "a data-source query".into(),
                        message: e.to_string(),
                    }
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
            let mut rows = Vec::new();
            for result in page.results {
                match result {
                    SearchResult::Page(row) => {
                        part.read(&row);
                        if reading.seen.insert(row.id) {
                            rows.push(*row);
                        }
                    }
                    other => client.skipped().note(other.object(), &operation),
                }
            }
            if let Some(cursor) = next_cursor {
                part.cursor = Some(cursor);
            } else if incomplete {
                reading.split()?;
            } else {
                reading.parts.pop();
            }
            Ok(Some((rows, reading)))
        }
    })
    .map_ok(|rows| stream::iter(rows.into_iter().map(Ok)))
    .try_flatten()
    .boxed()
}

/// Every row of a data source edited at or after `since` (trashing is an edit), live or in the
/// trash, past the cap as [`query_all`] reads, each once (but a row trashed while it was being
/// read, which two reads may see live and trashed): the caller tells them apart by
/// [`Page::in_trash`].
///
/// Notion does not document whether a query with `in_trash: true` lists the trashed rows alone
/// or the live ones with them. Until such a query is seen to list a live row, two are made at
/// once: the live rows edited since, and those with `in_trash: true`, whose trashed rows are
/// taken. The moment the second lists a live row, it is known to list every row edited since:
/// the first is dropped where it stands (the rows it gave are not given again), and this client
/// and every client made from it (they share the fact) make that one query from then on, one
/// request in two saved.
pub fn query_changed_since(
    client: &NotionClient,
    data_source: DataSourceId,
    since: &str,
) -> impl Stream<Item = Result<Page>> + Send + 'static {
    let filter = Filter::Timestamp(TimestampFilter::edited_since(since));
    let lists_live = std::sync::Arc::clone(&client.trash_lists_live);
    let known = lists_live.load(std::sync::atomic::Ordering::Relaxed);
    let live =
        (!known).then(|| query_each(client, data_source, Some(filter.clone()), &[], false).boxed());
    Changed {
        with_trash: Some(query_each(client, data_source, Some(filter), &[], true).boxed()),
        live,
        given: HashSet::new(),
        lists_live,
    }
}

/// Learns, with one query of `data_source` with `in_trash: true` (a page of its rows), whether
/// such a query lists live rows too ([`query_changed_since`]), unless that is known already. A
/// run asks it while its environments' tokens wait for the audit, so that a run in which nothing
/// changed makes one query a side from its first pair on. A data source with no live row in that
/// page teaches nothing, and neither does a failed query: its error is the pair's to meet.
pub async fn learn_trash_listing(client: &NotionClient, data_source: DataSourceId) {
    if client
        .trash_lists_live
        .load(std::sync::atomic::Ordering::Relaxed)
    {
        return;
    }
    let query = QueryDataSource {
        page_size: Some(PAGE_SIZE),
        in_trash: Some(true),
        ..QueryDataSource::default()
    };
    if let Ok(rows) = client.query_page(data_source, &query, &[]).await
        && rows.results.iter().any(|row| !row.in_trash())
    {
        client
            .trash_lists_live
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The stream of [`query_changed_since`].
struct Changed {
    /// The query with `in_trash: true`, until it ends.
    with_trash: Option<futures::stream::BoxStream<'static, Result<Page>>>,
    /// The query of the live rows, until it ends or the other is seen to list live rows.
    live: Option<futures::stream::BoxStream<'static, Result<Page>>>,
    /// The rows the live query gave.
    given: HashSet<PageId>,
    /// Whether queries with `in_trash: true` list live rows, shared by the clients.
    lists_live: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Stream for Changed {
    type Item = Result<Page>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        let this = self.get_mut();
        loop {
            let mut pending = true;
            if let Some(with_trash) = &mut this.with_trash {
                match with_trash.poll_next_unpin(cx) {
                    Poll::Ready(Some(Ok(row))) if !row.in_trash() => {
                        // This listing holds the live rows too: the other is not needed.
                        this.lists_live
                            .store(true, std::sync::atomic::Ordering::Relaxed);
                        this.live = None;
                        if !this.given.contains(&row.id) {
                            return Poll::Ready(Some(Ok(row)));
                        }
                        pending = false;
                    }
                    Poll::Ready(Some(item)) => return Poll::Ready(Some(item)),
                    Poll::Ready(None) => {
                        this.with_trash = None;
                        pending = false;
                    }
                    Poll::Pending => {}
                }
            }
            if let Some(live) = &mut this.live {
                match live.poll_next_unpin(cx) {
                    Poll::Ready(Some(Ok(row))) => {
                        this.given.insert(row.id);
                        return Poll::Ready(Some(Ok(row)));
                    }
                    Poll::Ready(Some(error)) => return Poll::Ready(Some(error)),
                    Poll::Ready(None) => {
                        this.live = None;
                        pending = false;
                    }
                    Poll::Pending => {}
                }
            }
            if this.with_trash.is_none() && this.live.is_none() {
                return Poll::Ready(None);
            }
            if pending {
                return Poll::Pending;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_minute_of_a_notion_time() {
        assert_eq!(
            next_minute("2026-07-04T09:00:00.000Z").unwrap(),
            "2026-07-04T09:01:00.000Z"
        );
        assert_eq!(
            next_minute("2026-07-04T23:59:30.250Z").unwrap(),
            "2026-07-05T00:00:00.000Z"
        );
        assert!(matches!(next_minute("soon"), Err(Error::Decode { .. })));
    }

    #[test]
    fn halving_picks_a_character_in_some_titles_but_not_all() {
        let titles: Vec<String> = ["Row 1", "Row 2", "row 3", "Row 4"]
            .map(str::to_owned)
            .into();
        // "r", "o", "w" and " " are in every title; the digits in one each.
        let c = halving(&titles, &[]).unwrap();
        assert!(c.is_ascii_digit(), "{c:?}");
        assert_eq!(halving(&titles, &['1', '2', '3', '4']), None);
        assert_eq!(halving(&["Same".to_owned(), "same".to_owned()], &[]), None);
        assert_eq!(halving(&[], &[]), None);
    }
}
