//! Every row of any database: a source whose rows share a `created_time` minute beyond Notion's
//! 10,000-result cap of a query (a CSV import, Notion's "Duplicate") is read in full, the minute
//! split by `last_edited_time`, then halved by title; only rows identical in all three are
//! beyond reach, and that is a typed error that says so.

use std::collections::HashSet;
use std::sync::Arc;

use futures::TryStreamExt;
use notion_xws_core::DataSourceId;
use notion_xws_core::client::NotionClient;
use notion_xws_core::fake::{FakeConfig, FakeNotion, FakeWorkspace};
use notion_xws_core::model::Page;
use notion_xws_core::model::params::QueryDataSource;
use notion_xws_core::transport::{DynTransport, Method};
use serde_json::json;

use crate::support::fake::{id, ok, row, tasks_database};

/// A fake with a query cap of `cap`, a workspace, its Tasks data source and a client of it.
async fn source(cap: usize) -> (FakeNotion, FakeWorkspace, DataSourceId, NotionClient) {
    let fake = FakeNotion::new(FakeConfig {
        query_result_cap: cap,
        ..FakeConfig::default()
    });
    let ws = fake.add_workspace("Acme");
    let (_, ds) = tasks_database(&fake, &ws.token, &ws.root_page_id.to_string()).await;
    let client = NotionClient::new(Arc::new(fake.clone()) as DynTransport, ws.token.clone());
    (fake, ws, ds.parse().unwrap(), client)
}

async fn read_all(client: &NotionClient, data_source: DataSourceId) -> Vec<Page> {
    client
        .query_all(data_source, None, &[])
        .try_collect()
        .await
        .unwrap()
}

fn ids(rows: &[Page]) -> HashSet<String> {
    rows.iter().map(|r| r.id.to_string()).collect()
}

/// 30,000 rows made in one minute (the clock is paused while they are made), in a database of
/// the control workspace pushed to a client: the library reads each once; then, through the
/// command over HTTP (the clock running again for the server and the command), `plan --json`
/// reads them all and plans a copy of each. One world for both: making 30,000 rows is most of
/// the test's time.
#[tokio::test(start_paused = true)]
async fn thirty_thousand_rows_created_in_one_minute_are_all_read_once() {
    let world = crate::support::world::World::new(true).await;
    let (fake, token) = (world.fake.clone(), world.token().clone());
    let (db, ds) = tasks_database(&fake, &token, &world.library).await;
    let data_source: DataSourceId = ds.parse().unwrap();
    let client = world.client();
    let mut made = HashSet::new();
    for i in 0..30_000 {
        made.insert(id(&row(&fake, &token, &ds, &format!("Row {i}"), i).await));
    }
    world
        .sync_to_new_workspace("Acme", &[("Tasks", "Push", &db, &ds)])
        .await;
    // One minute (the clock is paused), and the fake stops a query at Notion's cap.
    let capped = client
        .query_page(data_source, &QueryDataSource::default(), &[])
        .await
        .unwrap();
    assert!(
        capped
            .results
            .iter()
            .all(|r| r.created_time == capped.results[0].created_time)
    );
    let mut count = capped.results.len();
    let mut page = capped;
    while let Some(cursor) = page.next_page_cursor().map(str::to_owned) {
        let query = QueryDataSource {
            start_cursor: Some(cursor),
            ..QueryDataSource::default()
        };
        page = client.query_page(data_source, &query, &[]).await.unwrap();
        count += page.results.len();
    }
    assert_eq!(count, 10_000, "a cursor loop stops at the cap");
    assert!(page.is_incomplete());
    let before = fake.requests_received();
    let rows = read_all(&client, data_source).await;
    let requests = fake.requests_received() - before;
    assert_eq!(rows.len(), 30_000, "every row once");
    assert_eq!(ids(&rows), made);
    // 300 pages of 100 at the least; the splits read some rows twice, not many (403 when
    // written: the first 10,000, then the minute in quarters by two characters of the titles).
    assert!(requests < 500, "{requests} requests");

    #[cfg(all(feature = "cli", feature = "http"))]
    {
        use crate::cli::{notion_xws, text};
        tokio::time::resume();
        let server = fake.serve().await.unwrap();
        let base_url = server.base_url();
        let env = [
            ("NOTION_TOKEN", token.expose()),
            ("NOTION_BASE_URL", base_url.as_str()),
        ];
        let before = fake.requests_received();
        let plan = notion_xws(&["--requests-per-minute", "60000", "plan", "--json"], &env).await;
        assert_eq!(plan.status.code(), Some(0), "{}", text(&plan.stderr));
        let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
        let tasks = &plan["pairs"][0];
        assert_eq!(tasks["pair"]["database"], "Tasks", "{plan:#}");
        assert_eq!(tasks["class"], "planned", "{tasks:#}");
        assert_eq!(tasks["created"], 30_000, "{tasks:#}");
        let requests = fake.requests_received() - before;
        assert!(requests < 600, "{requests} requests");
    }
}

#[tokio::test(start_paused = true)]
async fn a_minute_over_the_cap_is_split_by_edit_time_then_title() {
    let (fake, ws, data_source, client) = source(50).await;
    let ds = data_source.to_string();
    let mut made = Vec::new();
    // Rows in two minutes before and after, 180 in the minute between.
    for i in 0..20 {
        made.push(id(
            &row(&fake, &ws.token, &ds, &format!("early {i}"), i).await
        ));
    }
    tokio::time::advance(std::time::Duration::from_secs(60)).await;
    for i in 0..180 {
        made.push(id(&row(&fake, &ws.token, &ds, &format!("Row {i}"), i).await));
    }
    tokio::time::advance(std::time::Duration::from_secs(60)).await;
    // 70 of the minute's rows edited a minute later: more than the cap in that edit minute too.
    for row in &made[20..90] {
        ok(
            &fake,
            Method::Patch,
            &format!("/v1/pages/{row}"),
            &ws.token,
            Some(json!({"properties": {"Done": {"checkbox": true}}})),
        )
        .await;
    }
    for i in 0..20 {
        made.push(id(
            &row(&fake, &ws.token, &ds, &format!("late {i}"), i).await
        ));
    }
    let rows = read_all(&client, data_source).await;
    assert_eq!(rows.len(), 220, "every row once");
    assert_eq!(ids(&rows), made.into_iter().collect());
    // The caller's filter still holds in every part.
    let done = notion_xws_core::model::params::Filter::Property(
        notion_xws_core::model::params::PropertyFilter::new(
            "Done",
            "checkbox",
            json!({"equals": true}),
        ),
    );
    let rows: Vec<Page> = client
        .query_all(data_source, Some(done), &[])
        .try_collect()
        .await
        .unwrap();
    // 70 edited, and the even rows of the rest (the helper's Done is `count % 2 == 0`).
    assert_eq!(rows.len(), 70 + 10 + 55 + 10, "{}", rows.len());
}

#[tokio::test(start_paused = true)]
async fn rows_alike_in_minute_and_title_past_the_cap_are_a_typed_error() {
    let (fake, ws, data_source, client) = source(50).await;
    let ds = data_source.to_string();
    for i in 0..60 {
        row(&fake, &ws.token, &ds, "Untitled", i).await;
    }
    let error = client
        .query_all(data_source, None, &[])
        .try_collect::<Vec<Page>>()
        .await
        .unwrap_err();
    assert!(
        matches!(error, notion_xws_core::Error::Decode { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("share their creation minute"), "{message}");
    assert!(message.contains("\"Untitled\""), "{message}");
    assert!(
        message.contains("give some of them another title"),
        "{message}"
    );
}

/// The rows edited since a time (an incremental read), live and trashed, are all read past the
/// cap, each once, whatever a query with `in_trash: true` lists (Notion does not say): with the
/// live rows too (the fake's default; then the cap can be met with few rows in the trash, and a
/// loop that stopped there would never see the rest), or the trashed rows alone. Once such a
/// query has listed a live row, the client makes that query alone.
#[tokio::test(start_paused = true)]
async fn rows_edited_since_a_time_are_all_read_past_the_cap() {
    let mut counts = Vec::new();
    for lists_live in [true, false] {
        let (fake, ws, data_source, client) = source(50).await;
        fake.set_trash_query_lists_live(lists_live);
        let ds = data_source.to_string();
        let since = humantime::format_rfc3339_millis(fake.now()).to_string();
        let mut made = Vec::new();
        for minute in 0..4 {
            for i in 0..40 {
                made.push(id(&row(
                    &fake,
                    &ws.token,
                    &ds,
                    &format!("Row {minute}.{i}"),
                    i,
                )
                .await));
            }
            tokio::time::advance(std::time::Duration::from_secs(60)).await;
        }
        // Every fourth row trashed: 40, in every creation minute.
        let trashed: HashSet<String> = made.iter().step_by(4).cloned().collect();
        for row in &trashed {
            ok(
                &fake,
                Method::Patch,
                &format!("/v1/pages/{row}"),
                &ws.token,
                Some(json!({"in_trash": true})),
            )
            .await;
        }
        let live: HashSet<String> = made
            .iter()
            .filter(|row| !trashed.contains(*row))
            .cloned()
            .collect();
        let mut queries = Vec::new();
        for _ in 0..2 {
            let skip = fake.request_log().len();
            let (read_live, read_trashed) = client
                .rows_since(
                    data_source,
                    Some(&since),
                    |page| page.id.to_string(),
                    |page| page.id.to_string(),
                )
                .await
                .unwrap();
            assert_eq!(read_trashed.len(), 40, "each trashed row once");
            assert_eq!(read_trashed.into_iter().collect::<HashSet<_>>(), trashed);
            assert_eq!(read_live.len(), 120, "each live row once");
            assert_eq!(read_live.into_iter().collect::<HashSet<_>>(), live);
            queries.push(fake.request_log().len() - skip);
        }
        assert_eq!(queries[1], queries[0]);
        counts.push(queries[0]);
    }
    // A query with `in_trash: true` that lists live rows serves alone: fewer requests.
    assert!(counts[0] < counts[1], "{counts:?}");
}
