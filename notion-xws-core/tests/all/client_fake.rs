//! The typed client against the fake Notion: queries past the 10,000-result cap (here a cap of
//! 50, so the test stays small), relations past the 25 references a page object shows, and the
//! operations the sync uses, end to end.

use std::collections::HashSet;
use std::sync::Arc;

use futures::TryStreamExt;
use notion_xws_core::client::NotionClient;
use notion_xws_core::fake::{FakeConfig, FakeNotion};
use notion_xws_core::model::params::{DateCondition, Filter, TimestampFilter, TimestampKind};
use notion_xws_core::model::{Page, PropertyItemKind, PropertyItemResponse};
use notion_xws_core::transport::{DynTransport, Method};
use notion_xws_core::{DataSourceId, PageId, PropertyId};
use serde_json::json;

use crate::support::fake::{id, ok, row, tasks_database, text};

#[tokio::test(start_paused = true)]
async fn query_all_goes_past_the_result_cap_with_no_row_lost_or_twice() {
    let fake = FakeNotion::new(FakeConfig {
        query_result_cap: 50,
        ..FakeConfig::default()
    });
    let ws = fake.add_workspace("Acme");
    let (_, ds) = tasks_database(&fake, &ws.token, &ws.root_page_id.to_string()).await;
    let mut made = HashSet::new();
    for i in 0..175 {
        made.insert(id(&row(&fake, &ws.token, &ds, &format!("r{i}"), i).await));
        if i % 40 == 39 {
            // Rows spread over minutes; many share one (created_time is rounded to the minute).
            tokio::time::advance(std::time::Duration::from_secs(60)).await;
        }
    }
    let client = NotionClient::new(Arc::new(fake.clone()) as DynTransport, ws.token.clone());
    let data_source: DataSourceId = ds.parse().unwrap();
    // A naive cursor loop stops at the cap.
    let capped = client
        .query_page(data_source, &Default::default(), &[])
        .await
        .unwrap();
    assert!(capped.results.len() <= 50);
    let rows: Vec<Page> = client
        .query_all(data_source, None, &[])
        .try_collect()
        .await
        .unwrap();
    let seen: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
    let unique: HashSet<String> = seen.iter().cloned().collect();
    assert_eq!(seen.len(), 175, "every row once");
    assert_eq!(unique, made);
    // With a filter of the caller's, windows combine with it.
    let recent = Filter::Timestamp(TimestampFilter {
        timestamp: TimestampKind::CreatedTime,
        condition: DateCondition::OnOrAfter("2026-07-04T09:02:00Z".into()),
    });
    let filtered: Vec<Page> = client
        .query_all(data_source, Some(recent), &["Name".into()])
        .try_collect()
        .await
        .unwrap();
    assert_eq!(filtered.len(), 175 - 80);
    assert!(
        filtered.iter().all(|p| p.properties.len() == 1),
        "filter_properties honoured"
    );
}

#[tokio::test]
async fn a_relation_is_read_whole_past_the_25_a_page_shows() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    let root = ws.root_page_id.to_string();
    let (_, people) = tasks_database(&fake, &ws.token, &root).await;
    let projects = ok(&fake, Method::Post, "/v1/databases", &ws.token, Some(json!({
        "parent": {"page_id": root}, "title": text("Projects"),
        "initial_data_source": {"properties": {
            "Name": {"title": {}},
            "Members": {"relation": {"data_source_id": people, "type": "single_property", "single_property": {}}},
        }},
    })))
    .await;
    let projects_ds = projects["data_sources"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut members = Vec::new();
    for i in 0..130 {
        members.push(id(
            &row(&fake, &ws.token, &people, &format!("p{i}"), i).await
        ));
    }
    // Notion takes at most 100 references per request: set 100, then the rest.
    let first: Vec<_> = members[..100].iter().map(|m| json!({"id": m})).collect();
    let project = ok(
        &fake,
        Method::Post,
        "/v1/pages",
        &ws.token,
        Some(json!({
            "parent": {"data_source_id": projects_ds},
            "properties": {"Name": {"title": text("Big")}, "Members": {"relation": first}},
        })),
    )
    .await;
    let all: Vec<_> = members.iter().map(|m| json!({"id": m})).collect();
    let too_many = crate::support::fake::send(
        &fake,
        Method::Patch,
        &format!("/v1/pages/{}", id(&project)),
        &ws.token,
        Some(json!({"properties": {"Members": {"relation": all}}})),
    )
    .await;
    assert_eq!(
        too_many.status, 400,
        "more than 100 references in one request"
    );

    let client = NotionClient::new(Arc::new(fake.clone()) as DynTransport, ws.token.clone());
    let page = client
        .page(PageId::parse(&id(&project)).unwrap())
        .await
        .unwrap();
    let members_value = &page.properties["Members"];
    let property: PropertyId = members_value.id.clone().unwrap();
    let answers: Vec<PropertyItemResponse> = client
        .page_property(page.id, &property)
        .try_collect()
        .await
        .unwrap();
    let mut related = Vec::new();
    for answer in answers {
        if let PropertyItemResponse::List(list) = answer {
            for item in list.list.results {
                if let PropertyItemKind::Relation(reference) = item.item {
                    related.push(reference.id.to_string());
                }
            }
        }
    }
    assert_eq!(related, members[..100].to_vec());
}
