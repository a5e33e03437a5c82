//! `PATCH /v1/databases/{id}` with a new `parent` moves the database, as in Notion, through the
//! typed client: the new page lists it, the old one no longer does, its `parent` (and its data
//! source's `database_parent`) read the new page; an invalid parent is refused with Notion's
//! answer.

use std::sync::Arc;

use notion_xws_core::Error;
use notion_xws_core::client::NotionClient;
use notion_xws_core::fake::{FakeConfig, FakeNotion};
use notion_xws_core::ids::{DatabaseId, PageId};
use notion_xws_core::transport::http::HttpTransport;
use notion_xws_core::transport::{DynTransport, Method};
use serde_json::{Value, json};

use crate::support::fake::{id, ok, send, tasks_database, text};

/// The IDs of the child pages and databases listed under `page`.
async fn children(
    fake: &FakeNotion,
    token: &notion_xws_core::NotionToken,
    page: &str,
) -> Vec<String> {
    let list = ok(
        fake,
        Method::Get,
        &format!("/v1/blocks/{page}/children"),
        token,
        None,
    )
    .await;
    list["results"].as_array().unwrap().iter().map(id).collect()
}

#[tokio::test]
async fn a_database_moves_to_its_new_parent_page() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    let server = fake.serve().await.unwrap();
    let http: DynTransport = Arc::new(HttpTransport::with_base_url(&server.base_url()).unwrap());
    let memory: DynTransport = Arc::new(fake.clone());
    let root = ws.root_page_id.to_string();
    for transport in [memory, http] {
        let client = NotionClient::new(transport, ws.token.clone());
        let (db, ds) = tasks_database(&fake, &ws.token, &root).await;
        let new_home = ok(
            &fake,
            Method::Post,
            "/v1/pages",
            &ws.token,
            Some(json!({"parent": {"page_id": root}, "properties": {"title": text("Archive")}})),
        )
        .await;
        let new_home = id(&new_home);
        assert!(children(&fake, &ws.token, &root).await.contains(&db));
        let moved = client
            .move_database(
                DatabaseId::parse(&db).unwrap(),
                PageId::parse(&new_home).unwrap(),
            )
            .await
            .unwrap();
        let parent = serde_json::to_value(&moved.parent).unwrap();
        assert_eq!(parent, json!({"type": "page_id", "page_id": new_home}));
        assert!(!children(&fake, &ws.token, &root).await.contains(&db));
        assert_eq!(
            children(&fake, &ws.token, &new_home).await,
            vec![db.clone()]
        );
        let read = ok(
            &fake,
            Method::Get,
            &format!("/v1/databases/{db}"),
            &ws.token,
            None,
        )
        .await;
        assert_eq!(read["parent"]["page_id"], new_home.as_str());
        let source = ok(
            &fake,
            Method::Get,
            &format!("/v1/data_sources/{ds}"),
            &ws.token,
            None,
        )
        .await;
        assert_eq!(source["database_parent"]["page_id"], new_home.as_str());
        // Moving it where it already is changes nothing.
        client
            .move_database(
                DatabaseId::parse(&db).unwrap(),
                PageId::parse(&new_home).unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(
            children(&fake, &ws.token, &new_home).await,
            vec![db.clone()]
        );
        // A page the integration cannot see: Notion's 404, and nothing moves.
        let other = fake.add_workspace("Other");
        let error = client
            .move_database(DatabaseId::parse(&db).unwrap(), other.root_page_id)
            .await
            .unwrap_err();
        assert!(matches!(error, Error::NotFound(_)), "{error:?}");
        assert_eq!(
            children(&fake, &ws.token, &new_home).await,
            vec![db.clone()]
        );
    }
}

#[tokio::test]
async fn an_invalid_parent_is_refused_with_notions_answer() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    let root = ws.root_page_id.to_string();
    let (db, ds) = tasks_database(&fake, &ws.token, &root).await;
    let row = ok(
        &fake,
        Method::Post,
        "/v1/pages",
        &ws.token,
        Some(
            json!({"parent": {"data_source_id": ds}, "properties": {"Name": {"title": text("r")}}}),
        ),
    )
    .await;
    let trashed = ok(
        &fake,
        Method::Post,
        "/v1/pages",
        &ws.token,
        Some(json!({"parent": {"page_id": root}, "properties": {"title": text("Bin")}})),
    )
    .await;
    ok(
        &fake,
        Method::Patch,
        &format!("/v1/pages/{}", id(&trashed)),
        &ws.token,
        Some(json!({"in_trash": true})),
    )
    .await;
    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (
            json!("x"),
            400,
            "validation_error",
            "body.parent should be an object, instead was `\"x\"`.",
        ),
        (
            json!(null),
            400,
            "validation_error",
            "body.parent should be an object, instead was `null`.",
        ),
        (
            json!({"type": "database_id", "database_id": db}),
            400,
            "validation_error",
            "body.parent.type should be `page_id` or `workspace`",
        ),
        (
            json!({"type": "page_id"}),
            400,
            "validation_error",
            "body.parent.page_id should be defined",
        ),
        (
            json!({"page_id": "nope"}),
            400,
            "validation_error",
            "body.parent.page_id should be a valid uuid",
        ),
        (
            json!({"type": "workspace", "workspace": true}),
            400,
            "validation_error",
            "top of a workspace",
        ),
        (
            json!({"page_id": id(&trashed)}),
            400,
            "validation_error",
            "archived",
        ),
        (
            json!({"page_id": id(&row)}),
            400,
            "validation_error",
            "inside it",
        ),
        (
            json!({"page_id": "00000000-0000-4000-8000-000000000001"}),
            404,
            "object_not_found",
            "Could not find page",
        ),
    ];
    for (parent, status, code, message) in cases {
        let response = send(
            &fake,
            Method::Patch,
            &format!("/v1/databases/{db}"),
            &ws.token,
            Some(json!({"parent": parent, "title": text("Renamed")})),
        )
        .await;
        assert_eq!(response.status, status, "{parent}: {}", response.body);
        assert_eq!(response.body["code"], code, "{parent}");
        let text = response.body["message"].as_str().unwrap();
        assert!(text.contains(message), "{parent}: {text}");
        // A refused move changes nothing, not even the title sent with it.
        let read = ok(
            &fake,
            Method::Get,
            &format!("/v1/databases/{db}"),
            &ws.token,
            None,
        )
        .await;
        assert_eq!(read["parent"]["page_id"], root.as_str());
        assert_eq!(read["title"][0]["plain_text"], "Tasks");
    }
}
