//! The fake Notion's behaviours beyond the contract: the 10,000-result cap, minute rounding,
//! sharing, revoked tokens, rate limits and latency on paused time, faults, read-after-write lag,
//! relations, schema changes, blocks, determinism and junk input.

use std::time::Duration;

use notion_xws_core::fake::{FakeConfig, FakeNotion, Fault, FaultConfig};
use notion_xws_core::rate::RateBudget;
use notion_xws_core::transport::http::{HttpConfig, HttpTransport};
use notion_xws_core::transport::{ApiRequest, Method, Transport};
use notion_xws_core::{Error, TransportErrorKind};
use serde_json::{Value, json};

use crate::support::fake::{V2025, id, ok, query, row, send, tasks_database, text, titles};

#[tokio::test]
async fn queries_stop_at_ten_thousand_results() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Big");
    let (_, ds) = tasks_database(&fake, &ws.token, &ws.root_page_id.to_string()).await;
    for i in 0..10_001 {
        let request = ApiRequest::new(Method::Post, "/v1/pages", ws.token.clone(), V2025).with_body(
            json!({"parent": {"data_source_id": ds}, "properties": {"Name": {"title": text(&format!("r{i}"))}}}),
        );
        assert_eq!(fake.send(request).await.unwrap().status, 200);
    }
    let mut seen = 0;
    let mut cursor: Option<String> = None;
    let last = loop {
        let mut body = json!({"page_size": 100});
        if let Some(c) = &cursor {
            body["start_cursor"] = json!(c);
        }
        let list = query(&fake, &ws.token, &ds, body).await;
        seen += list["results"].as_array().unwrap().len();
        if list["has_more"] == true {
            assert!(list.get("request_status").is_none());
            cursor = list["next_cursor"].as_str().map(str::to_owned);
        } else {
            break list;
        }
    };
    assert_eq!(seen, 10_000);
    assert!(last["next_cursor"].is_null());
    assert_eq!(
        last["request_status"],
        json!({"type": "incomplete", "incomplete_reason": "query_result_limit_reached"})
    );
    // A narrower query under the cap is complete.
    let few = query(
        &fake,
        &ws.token,
        &ds,
        json!({"filter": {"property": "Name", "title": {"equals": "r10000"}}}),
    )
    .await;
    assert_eq!(titles(&few), ["r10000"]);
    assert!(few.get("request_status").is_none());
}

#[tokio::test(start_paused = true)]
async fn timestamps_are_rounded_down_to_the_minute() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    tokio::time::advance(Duration::from_millis(90_500)).await;
    let page = ok(&fake, Method::Post, "/v1/pages", &ws.token,
        Some(json!({"parent": {"page_id": ws.root_page_id.to_string()}, "properties": {"title": text("t")}}))).await;
    assert_eq!(page["created_time"], "2026-07-04T09:01:00.000Z");
    assert_eq!(page["last_edited_time"], "2026-07-04T09:01:00.000Z");
    tokio::time::advance(Duration::from_secs(59)).await;
    let edited = ok(
        &fake,
        Method::Patch,
        &format!("/v1/pages/{}", id(&page)),
        &ws.token,
        Some(json!({"properties": {"title": text("t2")}})),
    )
    .await;
    assert_eq!(edited["created_time"], "2026-07-04T09:01:00.000Z");
    assert_eq!(edited["last_edited_time"], "2026-07-04T09:02:00.000Z");
}

#[tokio::test]
async fn sharing_and_unsharing() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    let other = fake.add_integration(ws.workspace_id, "Reports").unwrap();
    let root = ws.root_page_id.to_string();
    let projects = ok(
        &fake,
        Method::Post,
        "/v1/pages",
        &ws.token,
        Some(json!({"parent": {"page_id": root}, "properties": {"title": text("Projects")}})),
    )
    .await;
    let secret = ok(
        &fake,
        Method::Post,
        "/v1/pages",
        &ws.token,
        Some(json!({"parent": {"page_id": root}, "properties": {"title": text("Secret")}})),
    )
    .await;
    let (db, ds) = tasks_database(&fake, &ws.token, &id(&projects)).await;
    let r = row(&fake, &ws.token, &ds, "a row", 1).await;

    for path in [
        format!("/v1/databases/{db}"),
        format!("/v1/data_sources/{ds}"),
        format!("/v1/pages/{}", id(&r)),
    ] {
        assert_eq!(
            send(&fake, Method::Get, &path, &other.token, None)
                .await
                .status,
            404,
            "{path}"
        );
    }
    let nothing = ok(
        &fake,
        Method::Post,
        "/v1/search",
        &other.token,
        Some(json!({})),
    )
    .await;
    assert!(nothing["results"].as_array().unwrap().is_empty());

    fake.share(
        &other.token,
        notion_xws_core::PageId::parse(&id(&projects)).unwrap(),
    )
    .unwrap();
    ok(
        &fake,
        Method::Get,
        &format!("/v1/databases/{db}"),
        &other.token,
        None,
    )
    .await;
    assert_eq!(
        titles(&query(&fake, &other.token, &ds, json!({})).await),
        ["a row"]
    );
    let found = ok(
        &fake,
        Method::Post,
        "/v1/search",
        &other.token,
        Some(json!({"filter": {"property": "object", "value": "page"}})),
    )
    .await;
    let ids: Vec<&str> = found["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&id(&projects).as_str()) && ids.contains(&id(&r).as_str()));
    assert!(!ids.contains(&id(&secret).as_str()));
    let sources = ok(
        &fake,
        Method::Post,
        "/v1/search",
        &other.token,
        Some(json!({"filter": {"property": "object", "value": "data_source"}})),
    )
    .await;
    assert_eq!(sources["results"][0]["id"], ds);
    assert_eq!(
        send(
            &fake,
            Method::Get,
            &format!("/v1/pages/{}", id(&secret)),
            &other.token,
            None
        )
        .await
        .status,
        404
    );

    fake.unshare(
        &other.token,
        notion_xws_core::PageId::parse(&id(&projects)).unwrap(),
    )
    .unwrap();
    assert_eq!(
        send(
            &fake,
            Method::Get,
            &format!("/v1/data_sources/{ds}"),
            &other.token,
            None
        )
        .await
        .status,
        404
    );
    // Another workspace never sees this one's objects, whatever is shared.
    let beta = fake.add_workspace("Beta");
    assert_eq!(
        send(
            &fake,
            Method::Get,
            &format!("/v1/pages/{root}"),
            &beta.token,
            None
        )
        .await
        .status,
        404
    );
    assert!(fake.share(&beta.token, ws.root_page_id).is_err());
}

#[tokio::test]
async fn a_revoked_token_is_refused() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    let beta = fake.add_workspace("Beta");
    assert!(ws.token.expose().starts_with("ntn_"));
    assert_ne!(ws.token, beta.token);
    ok(&fake, Method::Get, "/v1/users/me", &ws.token, None).await;
    assert!(fake.revoke_token(&ws.token));
    let refused = send(&fake, Method::Get, "/v1/users/me", &ws.token, None).await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.body["code"], "unauthorized");
    ok(&fake, Method::Get, "/v1/users/me", &beta.token, None).await;
    let log = fake.request_log();
    assert_eq!(log[1].status, 401);
    assert_eq!(log[1].integration, None);
    assert_eq!(log[2].workspace.as_deref(), Some("Beta"));
    let printed = format!("{log:?}{fake:?}");
    assert!(!printed.contains(ws.token.expose()) && !printed.contains(beta.token.expose()));
}

#[tokio::test(start_paused = true)]
async fn rate_limits_per_token_and_per_workspace_on_paused_time() {
    let fake = FakeNotion::new(FakeConfig {
        per_token: Some(RateBudget::NOTION_DEFAULT),
        per_workspace: Some(RateBudget::new(60, 5)),
        ..FakeConfig::default()
    });
    let ws = fake.add_workspace("Acme");
    for _ in 0..3 {
        ok(&fake, Method::Get, "/v1/users/me", &ws.token, None).await;
    }
    let limited = send(&fake, Method::Get, "/v1/users/me", &ws.token, None).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.retry_after, Some(Duration::from_secs(1)));
    assert_eq!(
        limited.body["additional_data"]["rate_limit_reason"],
        "public_api_request_rate_limit"
    );
    tokio::time::advance(Duration::from_millis(334)).await;
    ok(&fake, Method::Get, "/v1/users/me", &ws.token, None).await;

    // The workspace's budget is shared: a second integration runs into it.
    let other = fake.add_integration(ws.workspace_id, "Second").unwrap();
    ok(&fake, Method::Get, "/v1/users/me", &other.token, None).await;
    let shared = send(&fake, Method::Get, "/v1/users/me", &other.token, None).await;
    assert_eq!(shared.status, 429);
    assert_eq!(
        shared.body["additional_data"]["rate_limit_reason"],
        "public_api_space_request_rate_limit"
    );

    // A minute of paused time refills everything.
    tokio::time::advance(Duration::from_secs(60)).await;
    ok(&fake, Method::Get, "/v1/users/me", &other.token, None).await;
}

#[tokio::test(start_paused = true)]
async fn latency_is_slept_on_tokio_time() {
    let fake = FakeNotion::new(FakeConfig {
        latency: Duration::from_millis(250),
        ..FakeConfig::default()
    });
    let ws = fake.add_workspace("Acme");
    let start = tokio::time::Instant::now();
    ok(&fake, Method::Get, "/v1/users/me", &ws.token, None).await;
    assert_eq!(start.elapsed(), Duration::from_millis(250));
}

#[tokio::test]
async fn scripted_faults() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    let (_, ds) = tasks_database(&fake, &ws.token, &ws.root_page_id.to_string()).await;
    let n = fake.requests_received();
    fake.fail_request(n + 1, Fault::ServiceUnavailable);
    let unavailable = send(&fake, Method::Get, "/v1/users/me", &ws.token, None).await;
    assert_eq!(unavailable.status, 503);
    assert_eq!(unavailable.body["code"], "service_unavailable");
    fake.fail_next(None, "/v1/users", Fault::ServiceOverload { retry_after: 7 });
    let overload = send(&fake, Method::Get, "/v1/users/me", &ws.token, None).await;
    assert_eq!(
        (overload.status, overload.retry_after),
        (529, Some(Duration::from_secs(7)))
    );
    fake.fail_next(None, "/v1/users", Fault::RateLimited { retry_after: 3 });
    let limited = send(&fake, Method::Get, "/v1/users/me", &ws.token, None).await;
    assert_eq!(
        (limited.status, limited.retry_after),
        (429, Some(Duration::from_secs(3)))
    );

    let create = |name: &str| {
        ApiRequest::new(Method::Post, "/v1/pages", ws.token.clone(), V2025)
            .with_body(json!({"parent": {"data_source_id": ds}, "properties": {"Name": {"title": text(name)}}}))
    };
    fake.fail_next(Some(Method::Post), "/v1/pages", Fault::TimeoutBeforeWrite);
    let before = fake.send(create("before")).await;
    assert!(matches!(
        before,
        Err(Error::Transport {
            kind: TransportErrorKind::Timeout,
            ..
        })
    ));
    fake.fail_next(Some(Method::Post), "/v1/pages", Fault::TimeoutAfterWrite);
    let after = fake.send(create("after")).await;
    assert!(matches!(
        after,
        Err(Error::Transport {
            kind: TransportErrorKind::Timeout,
            ..
        })
    ));
    fake.fail_next(Some(Method::Post), "/v1/pages", Fault::CommittedUnavailable);
    let committed = fake.send(create("committed")).await.unwrap();
    assert_eq!(committed.status, 503);
    let saved = committed.body["additional_data"]["committed_resource_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = ok(
        &fake,
        Method::Get,
        &format!("/v1/pages/{saved}"),
        &ws.token,
        None,
    )
    .await;
    assert_eq!(
        page["properties"]["Name"]["title"][0]["plain_text"],
        "committed"
    );
    assert_eq!(
        titles(&query(&fake, &ws.token, &ds, json!({})).await),
        ["after", "committed"]
    );
    let faults: Vec<Option<String>> = fake
        .request_log()
        .iter()
        .map(|l| l.fault.clone())
        .filter(Option::is_some)
        .collect();
    assert_eq!(faults.len(), 6);
    assert_eq!(
        fake.request_log().iter().filter(|l| l.status == 0).count(),
        2
    );
}

#[tokio::test]
async fn random_faults_replay_by_seed() {
    async fn run(seed: u64) -> Vec<u16> {
        let fake = FakeNotion::new(FakeConfig {
            faults: FaultConfig {
                seed,
                rate_limited: 0.2,
                server_error: 0.2,
                ..FaultConfig::default()
            },
            ..FakeConfig::default()
        });
        let ws = fake.add_workspace("Acme");
        let mut statuses = Vec::new();
        for _ in 0..50 {
            statuses.push(
                send(&fake, Method::Get, "/v1/users/me", &ws.token, None)
                    .await
                    .status,
            );
        }
        statuses
    }
    let a = run(7).await;
    assert_eq!(a, run(7).await);
    assert_ne!(a, run(8).await);
    assert!(a.contains(&429) && a.contains(&200));
    assert!(a.iter().any(|s| [500, 503, 504].contains(s)));
}

#[tokio::test]
async fn a_timeout_over_http_holds_the_request_past_the_client_timeout() {
    let fake = FakeNotion::new(FakeConfig {
        faults: FaultConfig {
            hang: Duration::from_secs(3),
            ..FaultConfig::default()
        },
        ..FakeConfig::default()
    });
    let ws = fake.add_workspace("Acme");
    let server = fake.serve().await.unwrap();
    let transport = HttpTransport::with_config(HttpConfig {
        base_url: server.base_url(),
        timeout: Duration::from_millis(300),
        ..HttpConfig::default()
    })
    .unwrap();
    fake.fail_next(None, "/v1/pages", Fault::TimeoutAfterWrite);
    let request = ApiRequest::new(Method::Post, "/v1/pages", ws.token.clone(), V2025)
        .with_body(json!({"parent": {"page_id": ws.root_page_id.to_string()}, "properties": {"title": text("late")}}));
    let result = transport.send(request).await;
    assert!(
        matches!(
            result,
            Err(Error::Transport {
                kind: TransportErrorKind::Timeout,
                ..
            })
        ),
        "{result:?}"
    );
    // The write was applied.
    let children = ok(
        &fake,
        Method::Get,
        &format!("/v1/blocks/{}/children", ws.root_page_id),
        &ws.token,
        None,
    )
    .await;
    assert_eq!(children["results"][0]["child_page"]["title"], "late");
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn new_rows_lag_behind_queries() {
    let fake = FakeNotion::new(FakeConfig {
        query_lag: Duration::from_secs(10),
        ..FakeConfig::default()
    });
    let ws = fake.add_workspace("Acme");
    let (_, ds) = tasks_database(&fake, &ws.token, &ws.root_page_id.to_string()).await;
    let r = row(&fake, &ws.token, &ds, "fresh", 1).await;
    assert!(titles(&query(&fake, &ws.token, &ds, json!({})).await).is_empty());
    ok(
        &fake,
        Method::Get,
        &format!("/v1/pages/{}", id(&r)),
        &ws.token,
        None,
    )
    .await;
    tokio::time::advance(Duration::from_secs(10)).await;
    assert_eq!(
        titles(&query(&fake, &ws.token, &ds, json!({})).await),
        ["fresh"]
    );
}

#[tokio::test]
async fn dual_relations_and_long_reference_lists() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    let root = ws.root_page_id.to_string();
    let (_, people) = tasks_database(&fake, &ws.token, &root).await;
    let projects = ok(&fake, Method::Post, "/v1/databases", &ws.token, Some(json!({
        "parent": {"page_id": root}, "title": text("Projects"),
        "initial_data_source": {"properties": {
            "Name": {"title": {}},
            "Members": {"relation": {"data_source_id": people, "type": "dual_property", "dual_property": {"synced_property_name": "Projects"}}},
            "Size": {"rollup": {"relation_property_name": "Members", "rollup_property_name": "Count", "function": "count"}},
        }},
    }))).await;
    let projects_ds = projects["data_sources"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let people_schema = ok(
        &fake,
        Method::Get,
        &format!("/v1/data_sources/{people}"),
        &ws.token,
        None,
    )
    .await;
    assert_eq!(
        people_schema["properties"]["Projects"]["relation"]["data_source_id"],
        projects_ds
    );
    let mut members = Vec::new();
    for i in 0..30 {
        members.push(json!({"id": id(&row(&fake, &ws.token, &people, &format!("p{i}"), i).await)}));
    }
    let project = ok(
        &fake,
        Method::Post,
        "/v1/pages",
        &ws.token,
        Some(json!({
            "parent": {"data_source_id": projects_ds},
            "properties": {"Name": {"title": text("Big")}, "Members": {"relation": members}},
        })),
    )
    .await;
    assert_eq!(
        project["properties"]["Members"]["relation"]
            .as_array()
            .unwrap()
            .len(),
        25
    );
    assert_eq!(project["properties"]["Members"]["has_more"], true);
    assert_eq!(project["properties"]["Size"]["rollup"]["number"], 30);
    let prop = project["properties"]["Members"]["id"].as_str().unwrap();
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut request = ApiRequest::new(
            Method::Get,
            format!("/v1/pages/{}/properties/{prop}", id(&project)),
            ws.token.clone(),
            V2025,
        )
        .with_query("page_size", "10");
        if let Some(c) = &cursor {
            request = request.with_query("start_cursor", c.clone());
        }
        let list = fake.send(request).await.unwrap().body;
        assert_eq!(list["type"], "property_item", "{list}");
        all.extend(
            list["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["relation"]["id"].clone()),
        );
        match list["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(all.len(), 30);
    // The other side got the back-relation.
    let first = ok(
        &fake,
        Method::Get,
        &format!("/v1/pages/{}", members[0]["id"].as_str().unwrap()),
        &ws.token,
        None,
    )
    .await;
    assert_eq!(
        first["properties"]["Projects"]["relation"][0]["id"],
        id(&project)
    );
    // Relations are checked: a page that is not a row of the related data source is refused.
    let refused = send(
        &fake,
        Method::Patch,
        &format!("/v1/pages/{}", id(&project)),
        &ws.token,
        Some(json!({"properties": {"Members": {"relation": [{"id": root}]}}})),
    )
    .await;
    assert_eq!(refused.status, 400);
    // Removing the relation removes the back-relation.
    ok(
        &fake,
        Method::Patch,
        &format!("/v1/pages/{}", id(&project)),
        &ws.token,
        Some(json!({"properties": {"Members": {"relation": []}}})),
    )
    .await;
    let first = ok(
        &fake,
        Method::Get,
        &format!("/v1/pages/{}", members[0]["id"].as_str().unwrap()),
        &ws.token,
        None,
    )
    .await;
    assert_eq!(first["properties"]["Projects"]["relation"], json!([]));
}

#[tokio::test]
async fn schema_changes() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    let (_, ds) = tasks_database(&fake, &ws.token, &ws.root_page_id.to_string()).await;
    let r = row(&fake, &ws.token, &ds, "a", 5).await;
    let count_id = r["properties"]["Count"]["id"].as_str().unwrap().to_owned();
    let changed = ok(
        &fake,
        Method::Patch,
        &format!("/v1/data_sources/{ds}"),
        &ws.token,
        Some(json!({"properties": {
            count_id.clone(): {"name": "Points"},
            "Notes": null,
            "Owner": {"people": {}},
        }})),
    )
    .await;
    let props = changed["properties"].as_object().unwrap();
    assert_eq!(props["Points"]["id"], count_id);
    assert!(!props.contains_key("Count") && !props.contains_key("Notes"));
    assert_eq!(props["Owner"]["type"], "people");
    let page = ok(
        &fake,
        Method::Get,
        &format!("/v1/pages/{}", id(&r)),
        &ws.token,
        None,
    )
    .await;
    assert_eq!(page["properties"]["Points"]["number"], 5);
    for bad in [
        json!({"Name": null}),
        json!({"Name": {"type": "rich_text", "rich_text": {}}}),
        json!({"Nope": null}),
    ] {
        let refused = send(
            &fake,
            Method::Patch,
            &format!("/v1/data_sources/{ds}"),
            &ws.token,
            Some(json!({"properties": bad})),
        )
        .await;
        assert_eq!(refused.status, 400, "{bad}");
    }
    let people = ok(&fake, Method::Get, "/v1/users", &ws.token, None).await;
    let person = people["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["type"] == "person")
        .unwrap();
    assert!(person["person"]["email"].as_str().unwrap().contains('@'));
    let owned = ok(
        &fake,
        Method::Patch,
        &format!("/v1/pages/{}", id(&r)),
        &ws.token,
        Some(json!({"properties": {"Owner": {"people": [{"id": person["id"]}]}}})),
    )
    .await;
    assert_eq!(
        owned["properties"]["Owner"]["people"][0]["name"],
        person["name"]
    );
}

/// Options, formulas and type changes of a data source update, as the SDK's
/// `UpdateDataSourceBodyParameters` and Notion store them.
#[tokio::test]
async fn schema_updates_keep_options_by_id_and_formulas_by_property_id() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    let (_, ds) = tasks_database(&fake, &ws.token, &ws.root_page_id.to_string()).await;
    let path = format!("/v1/data_sources/{ds}");
    let r = row(&fake, &ws.token, &ds, "a", 2).await;
    let patch = |properties: Value| {
        let (fake, token, path) = (&fake, &ws.token, path.clone());
        async move {
            send(
                fake,
                Method::Patch,
                &path,
                token,
                Some(json!({"properties": properties})),
            )
            .await
        }
    };
    ok(
        &fake,
        Method::Patch,
        &format!("/v1/pages/{}", id(&r)),
        &ws.token,
        Some(json!({"properties": {"Stage": {"select": {"name": "New"}}}})),
    )
    .await;
    let schema = ok(&fake, Method::Get, &path, &ws.token, None).await;
    let new_id = schema["properties"]["Stage"]["select"]["options"][0]["id"].clone();
    // Renamed and recoloured by ID: the row's value reads renamed; an option named anew is made.
    let changed = patch(json!({"Stage": {"select": {"options": [
        {"id": new_id, "name": "Fresh", "color": "red"}, {"name": "Later"}]}}}))
    .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    let page = ok(
        &fake,
        Method::Get,
        &format!("/v1/pages/{}", id(&r)),
        &ws.token,
        None,
    )
    .await;
    assert_eq!(page["properties"]["Stage"]["select"]["name"], "Fresh");
    assert_eq!(page["properties"]["Stage"]["select"]["color"], "red");
    // An unknown option ID, and two options of one name, are refused.
    for bad in [
        json!({"Stage": {"select": {"options": [{"id": "nope", "name": "X"}]}}}),
        json!({"Stage": {"select": {"options": [{"name": "A"}, {"name": "A"}]}}}),
        json!({"Notes": {"type": "button", "button": {}}}),
    ] {
        let refused = patch(bad.clone()).await;
        assert_eq!(
            (refused.status, refused.body["code"].clone()),
            (400, json!("validation_error")),
            "{bad}"
        );
    }
    // An option left out is removed, and the value holding it is empty.
    assert_eq!(
        patch(json!({"Stage": {"select": {"options": [{"name": "Later"}]}}}))
            .await
            .status,
        200
    );
    let page = ok(
        &fake,
        Method::Get,
        &format!("/v1/pages/{}", id(&r)),
        &ws.token,
        None,
    )
    .await;
    assert_eq!(page["properties"]["Stage"]["select"], Value::Null);
    // A formula is kept by property ID, so it survives a rename of what it names.
    let count_id = schema["properties"]["Count"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let made = patch(json!({"Twice": {"formula": {"expression": "prop(\"Count\") * 2"}}})).await;
    let expression = made.body["properties"]["Twice"]["formula"]["expression"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        expression.starts_with(&format!(
            "{{{{notion:block_property:{count_id}:00000000-0000-0000-0000-000000000000:"
        )) && expression.ends_with("}} * 2"),
        "{expression}"
    );
    let renamed = patch(json!({"Count": {"name": "Points"}})).await;
    assert_eq!(
        renamed.body["properties"]["Twice"]["formula"]["expression"],
        json!(expression)
    );
}

#[tokio::test]
async fn block_limits() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    let path = format!("/v1/blocks/{}/children", ws.root_page_id);
    let para = |t: &str| json!({"paragraph": {"rich_text": text(t)}});
    let too_many: Vec<Value> = (0..101).map(|i| para(&i.to_string())).collect();
    let refused = send(
        &fake,
        Method::Patch,
        &path,
        &ws.token,
        Some(json!({"children": too_many})),
    )
    .await;
    assert_eq!(refused.status, 400);
    // Two levels of nesting pass, a third is refused.
    let toggle = |t: &str, children: Vec<Value>| json!({"toggle": {"rich_text": text(t), "children": children}});
    let three = json!({"children": [toggle("1", vec![toggle("2", vec![para("3")])])]});
    ok(&fake, Method::Patch, &path, &ws.token, Some(three)).await;
    let four =
        json!({"children": [toggle("1", vec![toggle("2", vec![toggle("3", vec![para("4")])])])]});
    let refused = send(&fake, Method::Patch, &path, &ws.token, Some(four)).await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .starts_with("body failed validation: body.children[0].toggle.children[0].toggle.children[0].toggle.children should be not present"),
        "{}",
        refused.body
    );
    let two = json!({"children": [{"toggle": {"rich_text": text("1"), "children": [para("2")]}}, para("after")]});
    let made = ok(&fake, Method::Patch, &path, &ws.token, Some(two)).await;
    assert_eq!(made["results"].as_array().unwrap().len(), 2);
    assert_eq!(made["results"][0]["has_children"], true);
    let nested = ok(
        &fake,
        Method::Get,
        &format!("/v1/blocks/{}/children", id(&made["results"][0])),
        &ws.token,
        None,
    )
    .await;
    assert_eq!(
        nested["results"][0]["paragraph"]["rich_text"][0]["plain_text"],
        "2"
    );
    let first = ok(
        &fake,
        Method::Patch,
        &path,
        &ws.token,
        Some(json!({"children": [para("first")], "position": {"type": "start"}})),
    )
    .await;
    let listed = ok(&fake, Method::Get, &path, &ws.token, None).await;
    assert_eq!(listed["results"][0]["id"], first["results"][0]["id"]);
    ok(
        &fake,
        Method::Delete,
        &format!("/v1/blocks/{}", id(&first["results"][0])),
        &ws.token,
        None,
    )
    .await;
    let listed = ok(&fake, Method::Get, &path, &ws.token, None).await;
    assert_eq!(listed["results"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn the_same_seed_gives_the_same_ids_and_tokens() {
    async fn run(seed: u64) -> (String, String) {
        let fake = FakeNotion::new(FakeConfig {
            seed,
            ..FakeConfig::default()
        });
        let ws = fake.add_workspace("Acme");
        let (db, ds) = tasks_database(&fake, &ws.token, &ws.root_page_id.to_string()).await;
        (
            format!("{}{}", ws.token.expose(), ws.root_page_id),
            format!("{db}{ds}"),
        )
    }
    assert_eq!(run(1).await, run(1).await);
    assert_ne!(run(1).await, run(2).await);
}

#[tokio::test]
async fn junk_input_gets_400s_not_panics() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    let (db, ds) = tasks_database(&fake, &ws.token, &ws.root_page_id.to_string()).await;
    let r = row(&fake, &ws.token, &ds, "a", 1).await;
    let paths = [
        (Method::Post, "/v1/pages".to_owned()),
        (Method::Patch, format!("/v1/pages/{}", id(&r))),
        (Method::Post, "/v1/databases".to_owned()),
        (Method::Patch, format!("/v1/databases/{db}")),
        (Method::Patch, format!("/v1/data_sources/{ds}")),
        (Method::Post, format!("/v1/data_sources/{ds}/query")),
        (Method::Post, "/v1/search".to_owned()),
        (
            Method::Patch,
            format!("/v1/blocks/{}/children", ws.root_page_id),
        ),
        (Method::Post, "/v1/file_uploads".to_owned()),
        (Method::Get, "/v1/pages/not-an-id".to_owned()),
        (
            Method::Get,
            format!("/v1/pages/{}/properties/%3Anope", id(&r)),
        ),
    ];
    let junk = [
        json!(null),
        json!(1),
        json!("x"),
        json!([]),
        json!({}),
        json!({"parent": []}),
        json!({"properties": {"Name": 5}}),
        json!({"properties": {"Count": {"number": "x"}}}),
        json!({"filter": {"and": [{"or": [{"and": []}]}]}}),
        json!({"filter": {"property": "Count", "number": {"equals": "x"}}}),
        json!({"filter": {"property": "Count", "title": {"equals": "x"}}}),
        json!({"sorts": [{"property": 5}]}),
        json!({"page_size": -1}),
        json!({"start_cursor": "nope"}),
        json!({"children": [{"paragraph": 5}]}),
        json!({"properties": {"X": {"type": "nope"}}}),
        json!({"mode": "external_url"}),
        json!({"initial_data_source": {"properties": {"A": {"title": {}}, "B": {"title": {}}}}, "parent": {"page_id": ws.root_page_id.to_string()}}),
    ];
    for (method, path) in &paths {
        for body in &junk {
            let response = send(&fake, *method, path, &ws.token, Some(body.clone())).await;
            assert!(
                [200, 400, 404].contains(&response.status),
                "{method} {path} {body}: {} {}",
                response.status,
                response.body
            );
            assert!(response.body["request_id"].is_string());
        }
    }
}
