//! The fake Notion under `Notion-Version: 2022-06-28`, as Notion serves that version: databases
//! with their schema and their query, rows under `database_id`, search by database, `archived`,
//! the data-source routes and views refused, and a database of several data sources refused with
//! `multiple_data_sources_for_database`. Each scenario runs in memory and over HTTP.

use notion_xws_core::fake::{FakeConfig, FakeNotion, FakeServer, FakeWorkspace};
use notion_xws_core::transport::http::HttpTransport;
use notion_xws_core::transport::{ApiResponse, Method, Transport};
use serde_json::{Value, json};

use crate::support::fake::{V2025, contract, id, send_as, text, titles};

const V2022: &str = "2022-06-28";

/// A fake, a workspace, and the transport a scenario talks through.
struct Harness {
    ws: FakeWorkspace,
    transport: Box<dyn Transport>,
    _server: Option<FakeServer>,
}

impl Harness {
    async fn new(http: bool) -> Self {
        let fake = FakeNotion::new(FakeConfig::default());
        let ws = fake.add_workspace("Acme");
        if http {
            let server = fake.serve().await.expect("serve");
            let transport = HttpTransport::with_base_url(&server.base_url()).expect("transport");
            Self {
                ws,
                transport: Box::new(transport),
                _server: Some(server),
            }
        } else {
            Self {
                ws,
                transport: Box::new(fake),
                _server: None,
            }
        }
    }

    /// One request under `version`.
    async fn send(
        &self,
        version: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> ApiResponse {
        let t = self.transport.as_ref();
        send_as(t, version, method, path, &self.ws.token, body).await
    }

    /// One request under 2022-06-28 that must succeed; its body.
    async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let response = self.send(V2022, method, path, body).await;
        assert_eq!(response.status, 200, "{method} {path}: {}", response.body);
        response.body
    }

    /// A page under the workspace's root, made under 2022-06-28; its ID.
    async fn page(&self, title: &str) -> String {
        let root = self.ws.root_page_id.to_string();
        let body = json!({"parent": {"page_id": root}, "properties": {"title": text(title)}});
        id(&self.ok(Method::Post, "/v1/pages", Some(body)).await)
    }

    /// A database made under 2022-06-28 (its schema at the top level); its body.
    async fn database(&self, parent: &str, title: &str) -> Value {
        let body = json!({
            "parent": {"type": "page_id", "page_id": parent},
            "title": text(title),
            "properties": {
                "Name": {"title": {}},
                "Count": {"number": {}},
                "Stage": {"select": {"options": [{"name": "New"}]}},
            },
        });
        self.ok(Method::Post, "/v1/databases", Some(body)).await
    }

    /// A row of database `db`, made with a `database_id` parent; its body.
    async fn row(&self, db: &str, name: &str, count: i64) -> Value {
        let body = json!({
            "parent": {"database_id": db},
            "properties": {"Name": {"title": text(name)}, "Count": {"number": count}},
        });
        self.ok(Method::Post, "/v1/pages", Some(body)).await
    }

    /// A second data source in database `db`, added under 2025-09-03; its ID.
    async fn second_source(&self, db: &str) -> String {
        let body = json!({
            "parent": {"type": "database_id", "database_id": db},
            "title": text("Archive"),
            "properties": {"Name": {"title": {}}},
        });
        let response = self
            .send(V2025, Method::Post, "/v1/data_sources", Some(body))
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        id(&response.body)
    }
}

/// Asserts Notion's 400 `invalid_request_url`.
fn assert_invalid_url(response: &ApiResponse, what: &str) {
    assert_eq!(response.status, 400, "{what}: {}", response.body);
    assert_eq!(response.body["code"], "invalid_request_url", "{what}");
    assert_eq!(response.body["message"], "Invalid request URL.", "{what}");
}

/// Asserts Notion's refusal of a database of several data sources, naming them.
fn assert_multiple_sources(response: &ApiResponse, db: &str, sources: &[&str], what: &str) {
    assert_eq!(response.status, 400, "{what}: {}", response.body);
    assert_eq!(response.body["code"], "validation_error", "{what}");
    assert_eq!(
        response.body["message"],
        "Databases with multiple data sources are not supported in this API version.",
        "{what}"
    );
    let data = &response.body["additional_data"];
    assert_eq!(
        data["error_type"], "multiple_data_sources_for_database",
        "{what}"
    );
    assert_eq!(data["database_id"], db, "{what}");
    assert_eq!(data["child_data_source_ids"], json!(sources), "{what}");
    assert_eq!(data["minimum_api_version"], "2025-09-03", "{what}");
}

async fn databases_hold_their_schema(h: Harness) {
    let parent = h.page("Projects").await;
    let db = h.database(&parent, "Tasks").await;
    let db_id = id(&db);
    assert_eq!(db["object"], "database");
    assert_eq!(db["properties"]["Name"]["type"], "title");
    assert_eq!(db["properties"]["Count"]["type"], "number");
    assert_eq!(
        db["properties"]["Stage"]["select"]["options"][0]["name"],
        "New"
    );
    assert!(db.get("data_sources").is_none(), "{db}");
    assert_eq!(db["archived"], false);
    assert_eq!(db["in_trash"], false);
    assert_eq!(db["created_by"]["object"], "user");
    assert_eq!(db["parent"]["page_id"], parent);
    let got = h
        .ok(Method::Get, &format!("/v1/databases/{db_id}"), None)
        .await;
    assert_eq!(got["properties"], db["properties"]);
    // The schema of 2025-09-03 is not taken in this version.
    let body = json!({
        "parent": {"page_id": parent},
        "initial_data_source": {"properties": {"Name": {"title": {}}}},
    });
    let refused = h
        .send(V2022, Method::Post, "/v1/databases", Some(body))
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.body["code"], "validation_error");
    assert!(
        refused.body["message"].as_str().is_some_and(|m| m
            .starts_with("body failed validation: body.initial_data_source should be not present")),
        "{}",
        refused.body
    );
    // The schema changes through the database: a property added, one renamed.
    let patch = json!({"properties": {"Notes": {"rich_text": {}}, "Count": {"name": "Points"}}});
    let changed = h
        .ok(
            Method::Patch,
            &format!("/v1/databases/{db_id}"),
            Some(patch),
        )
        .await;
    assert_eq!(changed["properties"]["Notes"]["type"], "rich_text");
    assert_eq!(changed["properties"]["Points"]["type"], "number");
    assert!(changed["properties"].get("Count").is_none());
    // The same database under 2025-09-03 is a container of one data source with that schema.
    let now = h
        .send(V2025, Method::Get, &format!("/v1/databases/{db_id}"), None)
        .await;
    assert_eq!(now.status, 200);
    assert!(now.body.get("properties").is_none());
    let ds = now.body["data_sources"][0]["id"]
        .as_str()
        .unwrap_or_default();
    let source = h
        .send(V2025, Method::Get, &format!("/v1/data_sources/{ds}"), None)
        .await;
    assert_eq!(source.body["properties"]["Points"]["type"], "number");
}

async fn rows_are_queried_through_the_database(h: Harness) {
    let parent = h.page("Projects").await;
    let db = id(&h.database(&parent, "Tasks").await);
    for (n, name) in ["a", "b", "c", "d", "e"].iter().enumerate() {
        let row = h.row(&db, name, i64::try_from(n).unwrap_or_default()).await;
        assert_eq!(
            row["parent"],
            json!({"type": "database_id", "database_id": db})
        );
        assert_eq!(row["archived"], false);
        assert_eq!(row["in_trash"], false);
    }
    let path = format!("/v1/databases/{db}/query");
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut body =
            json!({"page_size": 2, "sorts": [{"property": "Name", "direction": "ascending"}]});
        if let Some(c) = &cursor {
            body["start_cursor"] = json!(c);
        }
        let list = h.ok(Method::Post, &path, Some(body)).await;
        assert_eq!(list["object"], "list");
        assert_eq!(list["type"], "page_or_database");
        assert_eq!(list["page_or_database"], json!({}));
        assert_eq!(list["results"][0]["parent"]["type"], "database_id");
        seen.extend(titles(&list));
        pages += 1;
        if list["has_more"] != true {
            assert_eq!(list["next_cursor"], Value::Null);
            break;
        }
        cursor = list["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ["a", "b", "c", "d", "e"]);
    let filtered = h
        .ok(
            Method::Post,
            &path,
            Some(json!({
                "filter": {"property": "Count", "number": {"greater_than": 2}},
                "sorts": [{"property": "Count", "direction": "descending"}],
            })),
        )
        .await;
    assert_eq!(titles(&filtered), ["e", "d"]);
    // A filter on a property the database does not have is refused, as in a data-source query.
    let wrong = h
        .send(
            V2022,
            Method::Post,
            &path,
            Some(json!({"filter": {"property": "Nope", "number": {"equals": 1}}})),
        )
        .await;
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    assert_eq!(wrong.body["code"], "validation_error");
}

async fn search_finds_databases(h: Harness) {
    let parent = h.page("Projects").await;
    let db = id(&h.database(&parent, "Client registry").await);
    h.row(&db, "Acme", 1).await;
    let by_database =
        json!({"query": "client", "filter": {"property": "object", "value": "database"}});
    let found = h.ok(Method::Post, "/v1/search", Some(by_database)).await;
    assert_eq!(found["type"], "page_or_database");
    assert_eq!(found["page_or_database"], json!({}));
    let results = found["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), 1, "{found}");
    assert_eq!(results[0]["object"], "database");
    assert_eq!(results[0]["id"], db);
    assert_eq!(results[0]["properties"]["Name"]["type"], "title");
    // Unfiltered: pages and databases, never data sources.
    let all = h.ok(Method::Post, "/v1/search", Some(json!({}))).await;
    let objects: Vec<&str> = all["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["object"].as_str())
        .collect();
    assert!(objects.contains(&"database") && objects.contains(&"page"));
    assert!(!objects.contains(&"data_source"), "{objects:?}");
    // `data_source` is the filter of later versions.
    let later = json!({"filter": {"property": "object", "value": "data_source"}});
    let refused = h
        .send(V2022, Method::Post, "/v1/search", Some(later.clone()))
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.body["code"], "validation_error");
    assert!(
        refused.body["message"]
            .as_str()
            .is_some_and(|m| m.contains(r#"`"page"` or `"database"`"#)),
        "{}",
        refused.body
    );
    // And under 2025-09-03 the same search lists the data source instead.
    let now = h.send(V2025, Method::Post, "/v1/search", Some(later)).await;
    assert_eq!(now.body["type"], "page_or_data_source");
    assert_eq!(now.body["results"][0]["object"], "data_source");
}

async fn later_routes_are_invalid_urls(h: Harness) {
    let parent = h.page("Projects").await;
    let db = id(&h.database(&parent, "Tasks").await);
    let current = h
        .send(V2025, Method::Get, &format!("/v1/databases/{db}"), None)
        .await;
    let ds = current.body["data_sources"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for (method, path, body) in [
        (Method::Get, format!("/v1/data_sources/{ds}"), None),
        (
            Method::Patch,
            format!("/v1/data_sources/{ds}"),
            Some(json!({})),
        ),
        (
            Method::Post,
            format!("/v1/data_sources/{ds}/query"),
            Some(json!({})),
        ),
        (
            Method::Get,
            format!("/v1/data_sources/{ds}/templates"),
            None,
        ),
        (
            Method::Post,
            "/v1/data_sources".to_owned(),
            Some(json!({"parent": {"database_id": db}})),
        ),
        (Method::Get, format!("/v1/views?database_id={db}"), None),
    ] {
        let response = h.send(V2022, method, &path, body).await;
        assert_invalid_url(&response, &format!("{method} {path}"));
    }
    // The database query is gone from 2025-09-03 on.
    let path = format!("/v1/databases/{db}/query");
    let response = h.send(V2025, Method::Post, &path, Some(json!({}))).await;
    assert_invalid_url(&response, &path);
    // Endpoints added since are served: a data source as a page parent, page markdown.
    let row = h
        .ok(
            Method::Post,
            "/v1/pages",
            Some(json!({"parent": {"data_source_id": ds}, "properties": {"Name": {"title": text("x")}}})),
        )
        .await;
    assert_eq!(
        row["parent"],
        json!({"type": "database_id", "database_id": db})
    );
    let markdown = h
        .ok(
            Method::Get,
            &format!("/v1/pages/{}/markdown", id(&row)),
            None,
        )
        .await;
    assert_eq!(markdown["object"], "page_markdown");
}

async fn archived_trashes(h: Harness) {
    let parent = h.page("Projects").await;
    let db = id(&h.database(&parent, "Tasks").await);
    let keep = id(&h.row(&db, "keep", 1).await);
    let gone = id(&h.row(&db, "gone", 2).await);
    let trashed = h
        .ok(
            Method::Patch,
            &format!("/v1/pages/{gone}"),
            Some(json!({"archived": true})),
        )
        .await;
    assert_eq!(trashed["archived"], true);
    assert_eq!(trashed["in_trash"], true);
    let list = h
        .ok(
            Method::Post,
            &format!("/v1/databases/{db}/query"),
            Some(json!({})),
        )
        .await;
    assert_eq!(titles(&list), ["keep"]);
    // A block too.
    let appended = h
        .ok(
            Method::Patch,
            &format!("/v1/blocks/{keep}/children"),
            Some(json!({"children": [{"paragraph": {"rich_text": text("note")}}]})),
        )
        .await;
    let block = appended["results"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(appended["results"][0]["archived"], false);
    let block = h
        .ok(
            Method::Patch,
            &format!("/v1/blocks/{block}"),
            Some(json!({"archived": true})),
        )
        .await;
    assert_eq!(block["archived"], true);
    assert_eq!(block["in_trash"], true);
    // And the database.
    let database = h
        .ok(
            Method::Patch,
            &format!("/v1/databases/{db}"),
            Some(json!({"archived": true})),
        )
        .await;
    assert_eq!(database["archived"], true);
    assert_eq!(database["in_trash"], true);
    // 2026-03-11 neither shows nor takes `archived`.
    let page = h
        .send(
            "2026-03-11",
            Method::Patch,
            &format!("/v1/pages/{keep}"),
            Some(json!({"archived": false})),
        )
        .await;
    assert_eq!(page.status, 400, "{}", page.body);
    let page = h
        .send(
            "2026-03-11",
            Method::Get,
            &format!("/v1/pages/{keep}"),
            None,
        )
        .await;
    assert!(page.body.get("archived").is_none(), "{}", page.body);
}

async fn several_data_sources_are_refused(h: Harness) {
    let parent = h.page("Projects").await;
    let db = id(&h.database(&parent, "Tasks").await);
    let other = id(&h.database(&parent, "Clients").await);
    let first = h
        .send(V2025, Method::Get, &format!("/v1/databases/{db}"), None)
        .await
        .body["data_sources"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let second = h.second_source(&db).await;
    let sources = [first.as_str(), second.as_str()];
    let row = json!({"parent": {"database_id": db}, "properties": {"Name": {"title": text("x")}}});
    let relation =
        json!({"properties": {"Task": {"relation": {"database_id": db, "single_property": {}}}}});
    for (method, path, body) in [
        (Method::Get, format!("/v1/databases/{db}"), None),
        (
            Method::Patch,
            format!("/v1/databases/{db}"),
            Some(json!({"title": text("Renamed")})),
        ),
        (
            Method::Post,
            format!("/v1/databases/{db}/query"),
            Some(json!({})),
        ),
        (Method::Post, "/v1/pages".to_owned(), Some(row)),
        (
            Method::Patch,
            format!("/v1/databases/{other}"),
            Some(relation),
        ),
    ] {
        let response = h.send(V2022, method, &path, body).await;
        assert_multiple_sources(&response, &db, &sources, &format!("{method} {path}"));
    }
    // A row written into one of its data sources is taken (that parent works in every version).
    let into_source =
        json!({"parent": {"data_source_id": second}, "properties": {"Name": {"title": text("y")}}});
    let made = h.ok(Method::Post, "/v1/pages", Some(into_source)).await;
    assert_eq!(made["parent"]["database_id"], db);
    // Search leaves the database out; the one-source database is still found.
    let search = json!({"filter": {"property": "object", "value": "database"}});
    let found = h.ok(Method::Post, "/v1/search", Some(search)).await;
    let ids: Vec<&str> = found["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(ids, [other.as_str()]);
}

async fn relations_are_defined_by_database(h: Harness) {
    let parent = h.page("Projects").await;
    let tasks = id(&h.database(&parent, "Tasks").await);
    let clients = id(&h.database(&parent, "Clients").await);
    let acme = id(&h.row(&clients, "Acme", 1).await);
    let patch = json!({"properties": {"Client": {"relation": {"database_id": clients, "type": "single_property", "single_property": {}}}}});
    let changed = h
        .ok(
            Method::Patch,
            &format!("/v1/databases/{tasks}"),
            Some(patch),
        )
        .await;
    let config = &changed["properties"]["Client"]["relation"];
    assert_eq!(config["database_id"], clients);
    assert_eq!(config["type"], "single_property");
    assert!(config["data_source_id"].is_string(), "{config}");
    let body = json!({
        "parent": {"database_id": tasks},
        "properties": {"Name": {"title": text("Call")}, "Client": {"relation": [{"id": acme}]}},
    });
    let row = h.ok(Method::Post, "/v1/pages", Some(body)).await;
    assert_eq!(row["properties"]["Client"]["relation"][0]["id"], acme);
}

contract!(
    databases_hold_their_schema,
    rows_are_queried_through_the_database,
    search_finds_databases,
    later_routes_are_invalid_urls,
    archived_trashes,
    several_data_sources_are_refused,
    relations_are_defined_by_database,
);
