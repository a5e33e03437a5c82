//! Every object the fake returns carries every key that the real API's recorded responses carry
//! for that object type (`tests/fixtures/fake-shapes/`, from notion-sdk-py's cassettes, MIT).

use notion_xws_core::NotionToken;
use notion_xws_core::fake::{FakeConfig, FakeNotion};
use notion_xws_core::transport::{ApiRequest, Method, Transport};
use serde_json::{Value, json};

use crate::support::fake::{id, ok, send, tasks_database, text};

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/fake-shapes/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["body"].clone()
}

/// The keys of `expected` (recursively) that `actual` lacks.
fn missing(expected: &Value, actual: &Value, path: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, value) in e {
                match a.get(key) {
                    None => out.push(format!("{path}.{key}")),
                    Some(found) => missing(value, found, &format!("{path}.{key}"), out),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            for item in e {
                let kind = item.get("type");
                let twin = a
                    .iter()
                    .find(|x| kind.is_none() || x.get("type") == kind)
                    .or_else(|| a.first());
                if let Some(twin) = twin {
                    missing(item, twin, &format!("{path}[]"), out);
                }
            }
        }
        _ => {}
    }
}

fn assert_shape(name: &str, actual: &Value) {
    let mut out = Vec::new();
    missing(&fixture(name), actual, name, &mut out);
    assert!(
        out.is_empty(),
        "the fake's {name} lacks {out:?}:\n{actual:#}"
    );
}

#[tokio::test]
async fn every_object_has_the_recorded_keys() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("notion-sdk-py");
    let t: &dyn Transport = &fake;
    let token = &ws.token;
    let root = ws.root_page_id.to_string();

    let page = ok(
        t,
        Method::Post,
        "/v1/pages",
        token,
        Some(json!({"parent": {"page_id": root}, "properties": {"title": text("Test Page")}})),
    )
    .await;
    assert_shape("page", &page);
    let (db, ds) = tasks_database(t, token, &id(&page)).await;
    let database = ok(t, Method::Get, &format!("/v1/databases/{db}"), token, None).await;
    assert_shape("database", &database);
    let source = ok(
        t,
        Method::Get,
        &format!("/v1/data_sources/{ds}"),
        token,
        None,
    )
    .await;
    assert_shape("data_source", &source);

    let appended = ok(t, Method::Patch, &format!("/v1/blocks/{}/children", id(&page)), token,
        Some(json!({"children": [{"paragraph": {"rich_text": [{"text": {"content": "I'm a paragraph."}}]}}]}))).await;
    assert_shape("block_children_append", &appended);
    let block = ok(
        t,
        Method::Get,
        &format!("/v1/blocks/{}", id(&appended["results"][0])),
        token,
        None,
    )
    .await;
    assert_shape("block_paragraph", &block);
    let children = ok(
        t,
        Method::Get,
        &format!("/v1/blocks/{}/children", id(&page)),
        token,
        None,
    )
    .await;
    assert_shape("block_children_list", &children);

    assert_shape(
        "users_me",
        &ok(t, Method::Get, "/v1/users/me", token, None).await,
    );
    assert_shape(
        "users_list",
        &ok(t, Method::Get, "/v1/users", token, None).await,
    );
    let rows = ok(
        t,
        Method::Post,
        &format!("/v1/data_sources/{ds}/query"),
        token,
        Some(json!({})),
    )
    .await;
    assert_shape("data_source_query", &rows);
    let found = ok(
        t,
        Method::Post,
        "/v1/search",
        token,
        Some(json!({"query": "Test"})),
    )
    .await;
    assert_shape("search", &found);
    assert_eq!(found["results"][0]["object"], "page");
    let item = ok(
        t,
        Method::Get,
        &format!("/v1/pages/{}/properties/title", id(&page)),
        token,
        None,
    )
    .await;
    assert_shape("property_item_title", &item);
    let upload = ok(t, Method::Post, "/v1/file_uploads", token, Some(json!({
        "mode": "external_url", "filename": "test_file.pdf",
        "external_url": "https://www.w3.org/WAI/ER/tests/xhtml/testfiles/resources/pdf/dummy.pdf",
    }))).await;
    assert_shape("file_upload_external", &upload);
    let upload_path = format!("/v1/file_uploads/{}", id(&upload));
    let read_upload = || ok(t, Method::Get, &upload_path, token, None);
    // An external import takes time: pending at first, then uploaded with its import result.
    assert_eq!(read_upload().await["status"], "pending");
    tokio::time::sleep(std::time::Duration::from_millis(1_000)).await;
    let got = read_upload().await;
    assert_eq!(got["status"], "uploaded");
    assert_eq!(got["file_import_result"]["type"], "success");
    assert!(got.get("upload_url").is_none(), "{got}");

    let deleted = ok(
        t,
        Method::Delete,
        &format!("/v1/blocks/{}", id(&page)),
        token,
        None,
    )
    .await;
    assert_shape("block_child_page_deleted", &deleted);
    assert_eq!(deleted["in_trash"], true);

    let missing_page = send(
        t,
        Method::Get,
        "/v1/pages/00000000-0000-0000-0000-000000000000",
        token,
        None,
    )
    .await;
    assert_shape("error_object_not_found", &missing_page.body);
    let bad = NotionToken::new("ntn_nope").unwrap();
    assert_shape(
        "error_unauthorized",
        &send(t, Method::Get, "/v1/users", &bad, None).await.body,
    );
    assert_shape(
        "error_invalid_request_url",
        &send(t, Method::Get, "/v1/invalid", token, None).await.body,
    );
}

#[tokio::test]
async fn archived_only_before_2026_03_11() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    let body = json!({"parent": {"page_id": ws.root_page_id.to_string()}, "properties": {"title": text("x")}});
    let old = ok(
        &fake,
        Method::Post,
        "/v1/pages",
        &ws.token,
        Some(body.clone()),
    )
    .await;
    assert_eq!(old["archived"], false);
    let request =
        ApiRequest::new(Method::Post, "/v1/pages", ws.token.clone(), "2026-03-11").with_body(body);
    let new = fake.send(request).await.unwrap().body;
    assert!(new.get("archived").is_none(), "{new}");
    assert_eq!(new["in_trash"], false);
    let patch = ApiRequest::new(
        Method::Patch,
        format!("/v1/pages/{}", id(&new)),
        ws.token.clone(),
        "2026-03-11",
    )
    .with_body(json!({"archived": true}));
    let refused = fake.send(patch).await.unwrap();
    assert_eq!(refused.status, 400);
    // Under 2025-09-03 `archived` is an alias of `in_trash`.
    let trashed = ok(
        &fake,
        Method::Patch,
        &format!("/v1/pages/{}", id(&new)),
        &ws.token,
        Some(json!({"archived": true})),
    )
    .await;
    assert_eq!(trashed["in_trash"], true);
}

#[test]
fn the_check_catches_a_missing_key() {
    let mut page = fixture("page");
    page["properties"]["title"]
        .as_object_mut()
        .unwrap()
        .remove("id");
    let mut out = Vec::new();
    missing(&fixture("page"), &page, "page", &mut out);
    assert_eq!(out, ["page.properties.title.id"]);
}
