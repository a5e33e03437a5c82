//! The fake holds the bodies of pages, databases, data sources, queries and searches to the
//! SDK's request types, at their top level: an unknown key or a response-only field sent back,
//! a `null` where the type has none, a wrong JSON type, each refused with Notion's 400 and a
//! message naming the key; and nothing is written.

use notion_xws_core::fake::{FakeConfig, FakeNotion};
use notion_xws_core::transport::{ApiRequest, Method, Transport};
use serde_json::{Value, json};

use crate::support::fake::{id, ok, row, send, tasks_database, text};

#[tokio::test]
async fn each_body_is_held_to_its_request_type() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    let root = ws.root_page_id.to_string();
    let (db, ds) = tasks_database(&fake, &ws.token, &root).await;
    let page = row(&fake, &ws.token, &ds, "a", 1).await;
    let page = id(&page);
    let create_page = json!({"parent": {"page_id": root}, "properties": {"title": text("x")}});
    let create_database =
        json!({"parent": {"type": "page_id", "page_id": root}, "title": text("D")});
    let create_source = json!({"parent": {"type": "database_id", "database_id": db}, "properties": {"N": {"title": {}}}});
    let endpoints: Vec<(Method, String, Value)> = vec![
        (Method::Post, "/v1/pages".into(), create_page),
        (Method::Patch, format!("/v1/pages/{page}"), json!({})),
        (Method::Post, "/v1/databases".into(), create_database),
        (Method::Patch, format!("/v1/databases/{db}"), json!({})),
        (Method::Post, "/v1/data_sources".into(), create_source),
        (Method::Patch, format!("/v1/data_sources/{ds}"), json!({})),
        (
            Method::Post,
            format!("/v1/data_sources/{ds}/query"),
            json!({}),
        ),
        (Method::Post, "/v1/search".into(), json!({})),
    ];
    // Keys no request type has: response-only fields sent back, and a misspelling.
    for (method, path, base) in &endpoints {
        for (key, value) in [
            ("object", json!("page")),
            ("id", json!(page)),
            ("created_time", json!("2026-07-04T09:00:00.000Z")),
            ("url", json!("https://www.notion.so/x")),
            ("request_id", json!("r")),
            ("propertie", json!({})),
        ] {
            let mut body = base.clone();
            body[key] = value.clone();
            let response = send(&fake, *method, path, &ws.token, Some(body)).await;
            assert_eq!(
                response.status, 400,
                "{method} {path} {key}: {}",
                response.body
            );
            assert_eq!(response.body["code"], "validation_error");
            assert_eq!(
                response.body["message"],
                format!(
                    "body failed validation: body.{key} should be not present, instead was `{}`.",
                    value
                ),
                "{method} {path}"
            );
        }
    }
    // A `null` where only an object or absence is allowed, and wrong JSON types.
    let wrong: Vec<(Method, String, Value, &str)> = vec![
        (
            Method::Post,
            "/v1/databases".into(),
            json!({"parent": {"page_id": root}, "icon": null}),
            "body.icon should be an object, instead was `null`.",
        ),
        (
            Method::Patch,
            format!("/v1/databases/{db}"),
            json!({"cover": null}),
            "body.cover should be an object, instead was `null`.",
        ),
        (
            Method::Patch,
            format!("/v1/databases/{db}"),
            json!({"title": "Tasks"}),
            "body.title should be an array, instead was `\"Tasks\"`.",
        ),
        (
            Method::Patch,
            format!("/v1/databases/{db}"),
            json!({"is_inline": "yes"}),
            "body.is_inline should be a boolean",
        ),
        (
            Method::Patch,
            format!("/v1/pages/{page}"),
            json!({"properties": null}),
            "body.properties should be an object, instead was `null`.",
        ),
        (
            Method::Patch,
            format!("/v1/pages/{page}"),
            json!({"in_trash": 1}),
            "body.in_trash should be a boolean, instead was `1`.",
        ),
        (
            Method::Post,
            "/v1/pages".into(),
            json!({"parent": {"page_id": root}, "children": {}}),
            "body.children should be an array",
        ),
        (
            Method::Patch,
            format!("/v1/data_sources/{ds}"),
            json!({"properties": []}),
            "body.properties should be an object",
        ),
        (
            Method::Post,
            format!("/v1/data_sources/{ds}/query"),
            json!({"page_size": "10"}),
            "body.page_size should be a number",
        ),
        (
            Method::Post,
            format!("/v1/data_sources/{ds}/query"),
            json!({"sorts": {}}),
            "body.sorts should be an array",
        ),
        (
            Method::Post,
            "/v1/search".into(),
            json!({"query": 5}),
            "body.query should be a string, instead was `5`.",
        ),
    ];
    for (method, path, body, message) in wrong {
        let response = send(&fake, method, &path, &ws.token, Some(body.clone())).await;
        assert_eq!(
            response.status, 400,
            "{method} {path} {body}: {}",
            response.body
        );
        let text = response.body["message"].as_str().unwrap();
        assert!(text.contains(message), "{method} {path} {body}: {text}");
    }
    // A page's icon and cover may be `null` (which clears them); nothing above was written.
    ok(
        &fake,
        Method::Patch,
        &format!("/v1/pages/{page}"),
        &ws.token,
        Some(json!({"icon": null, "cover": null})),
    )
    .await;
    let read = ok(
        &fake,
        Method::Get,
        &format!("/v1/databases/{db}"),
        &ws.token,
        None,
    )
    .await;
    assert_eq!(read["title"][0]["plain_text"], "Tasks");
    assert_eq!(read["is_inline"], false);
}

#[tokio::test]
async fn an_option_colour_is_one_of_notions() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    let (db, _) = tasks_database(&fake, &ws.token, &ws.root_page_id.to_string()).await;
    let body = json!({"parent": {"type": "database_id", "database_id": db},
                      "properties": {"N": {"title": {}},
                                     "S": {"select": {"options": [{"name": "a", "color": "blue"},
                                                                  {"name": "b", "color": "grey"}]}}}});
    let response = send(
        &fake,
        Method::Post,
        "/v1/data_sources",
        &ws.token,
        Some(body),
    )
    .await;
    assert_eq!(response.status, 400, "{}", response.body);
    assert_eq!(
        response.body["message"],
        "body failed validation: body.properties.S.select.options[1].color should be `\"default\"`, `\"gray\"`, `\"brown\"`, `\"orange\"`, `\"yellow\"`, `\"green\"`, `\"blue\"`, `\"purple\"`, `\"pink\"`, or `\"red\"`, instead was `\"grey\"`."
    );
}

#[tokio::test]
async fn a_number_format_is_one_of_notions() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    let (_, ds) = tasks_database(&fake, &ws.token, &ws.root_page_id.to_string()).await;
    let path = format!("/v1/data_sources/{ds}");
    let set = |format: &str| json!({"properties": {"Price": {"number": {"format": format}}}});
    ok(
        &fake,
        Method::Patch,
        &path,
        &ws.token,
        Some(set("peruvian_sol")),
    )
    .await;
    let response = send(&fake, Method::Patch, &path, &ws.token, Some(set("bitcoin"))).await;
    assert_eq!(response.status, 400, "{}", response.body);
    let text = response.body["message"].as_str().unwrap();
    assert!(
        text.starts_with(
            "body failed validation: body.properties.Price.number.format should be `\"number\"`, "
        ) && text.ends_with("instead was `\"bitcoin\"`."),
        "{text}"
    );
}

#[tokio::test]
async fn archived_is_refused_from_2026_03_11_as_a_key_the_type_lacks() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    let root = ws.root_page_id.to_string();
    let (db, ds) = tasks_database(&fake, &ws.token, &root).await;
    let page = id(&row(&fake, &ws.token, &ds, "a", 1).await);
    for path in [format!("/v1/pages/{page}"), format!("/v1/databases/{db}")] {
        let request = ApiRequest::new(Method::Patch, &path, ws.token.clone(), "2026-03-11")
            .with_body(json!({"archived": true}));
        let response = fake.send(request).await.unwrap();
        assert_eq!(response.status, 400, "{path}: {}", response.body);
        assert_eq!(
            response.body["message"],
            "body failed validation: body.archived should be not present, instead was `true`.",
            "{path}"
        );
        // Under 2025-09-03 it is the deprecated name of in_trash, and taken.
        let body = Some(json!({"archived": true}));
        let trashed = send(&fake, Method::Patch, &path, &ws.token, body).await;
        assert_eq!(trashed.status, 200, "{path}: {}", trashed.body);
        assert_eq!(trashed.body["in_trash"], true, "{path}");
    }
}

#[tokio::test]
async fn property_values_are_held_to_their_request_types() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    let root = ws.root_page_id.to_string();
    let (_, ds) = tasks_database(&fake, &ws.token, &root).await;
    let page = id(&row(&fake, &ws.token, &ds, "a", 1).await);
    // A value read back and sent as it was read (its `id`), and keys no request type has.
    let refused = [
        (
            json!({"Count": {"id": "abc", "type": "number", "number": 2}}),
            "body.properties.Count.id should be not present, instead was `\"abc\"`.",
        ),
        (
            json!({"Due": {"date": {"start": "2026-12-24", "end": null, "time_zone": null, "is_datetime": false}}}),
            "body.properties.Due.date.is_datetime should be not present, instead was `false`.",
        ),
        (
            json!({"Stage": {"select": {"name": "New", "colour": "red"}}}),
            "body.properties.Stage.select.colour should be not present, instead was `\"red\"`.",
        ),
        (
            json!({"Tags": {"multi_select": [{"name": "a", "object": "option"}]}}),
            "body.properties.Tags.multi_select[0].object should be not present, instead was `\"option\"`.",
        ),
    ];
    for (properties, message) in refused {
        let response = send(
            &fake,
            Method::Patch,
            &format!("/v1/pages/{page}"),
            &ws.token,
            Some(json!({"properties": properties})),
        )
        .await;
        assert_eq!(response.status, 400, "{properties}: {}", response.body);
        assert_eq!(response.body["code"], "validation_error");
        assert_eq!(
            response.body["message"],
            format!("body failed validation: {message}")
        );
    }
    // What the request types allow is taken.
    ok(
        &fake,
        Method::Patch,
        &format!("/v1/pages/{page}"),
        &ws.token,
        Some(json!({"properties": {
            "Count": {"type": "number", "number": 3},
            "Due": {"date": {"start": "2026-12-24", "end": null, "time_zone": null}},
            "Stage": {"select": {"name": "New", "color": "blue"}},
            "Tags": {"multi_select": [{"name": "a"}]},
        }})),
    )
    .await;
}
