//! The fake Notion's contract: one suite of scenarios, run against the fake directly (as a
//! `Transport`) and over HTTP through `HttpTransport`, which must agree.

use std::time::Duration;

use notion_xws_core::fake::{FakeConfig, FakeNotion, FakeServer, FakeWorkspace};
use notion_xws_core::rate::RateBudget;
use notion_xws_core::transport::http::HttpTransport;
use notion_xws_core::transport::{ApiRequest, Method, Transport};
use notion_xws_core::{Error, NotionToken};
use serde_json::{Value, json};

use crate::support::fake::{V2025, id, ok, query, row, send, tasks_database, text, titles};

/// A fake, a workspace, and the transport a scenario talks through.
struct Harness {
    fake: FakeNotion,
    ws: FakeWorkspace,
    transport: Box<dyn Transport>,
    _server: Option<FakeServer>,
}

impl Harness {
    async fn new(http: bool, config: FakeConfig) -> Self {
        let fake = FakeNotion::new(config);
        let ws = fake.add_workspace("Acme");
        if http {
            let server = fake.serve().await.expect("serve");
            let transport = HttpTransport::with_base_url(&server.base_url()).expect("transport");
            Self {
                fake,
                ws,
                transport: Box::new(transport),
                _server: Some(server),
            }
        } else {
            Self {
                transport: Box::new(fake.clone()),
                fake,
                ws,
                _server: None,
            }
        }
    }

    fn t(&self) -> &dyn Transport {
        self.transport.as_ref()
    }

    fn root(&self) -> String {
        self.ws.root_page_id.to_string()
    }
}

async fn create_page_database_and_rows(h: Harness) {
    let page = ok(
        h.t(),
        Method::Post,
        "/v1/pages",
        &h.ws.token,
        Some(json!({"parent": {"page_id": h.root()}, "properties": {"title": text("Projects")}})),
    )
    .await;
    assert_eq!(page["object"], "page");
    assert_eq!(page["parent"]["page_id"], h.root());
    assert_eq!(
        page["properties"]["title"]["title"][0]["plain_text"],
        "Projects"
    );
    let (db, ds) = tasks_database(h.t(), &h.ws.token, &id(&page)).await;
    assert_ne!(db, ds, "a database and its data source have different IDs");
    let got = ok(
        h.t(),
        Method::Get,
        &format!("/v1/databases/{db}"),
        &h.ws.token,
        None,
    )
    .await;
    assert_eq!(got["data_sources"][0]["id"], ds);
    assert!(got.get("properties").is_none());
    let source = ok(
        h.t(),
        Method::Get,
        &format!("/v1/data_sources/{ds}"),
        &h.ws.token,
        None,
    )
    .await;
    assert_eq!(source["parent"]["database_id"], db);
    assert_eq!(source["properties"]["Name"]["id"], "title");
    assert_eq!(
        source["properties"]["Stage"]["select"]["options"][0]["name"],
        "New"
    );
    // A database ID is not a data source ID.
    let wrong = send(
        h.t(),
        Method::Get,
        &format!("/v1/data_sources/{db}"),
        &h.ws.token,
        None,
    )
    .await;
    assert_eq!(wrong.status, 404);

    let first = row(h.t(), &h.ws.token, &ds, "Write the fake", 3).await;
    assert_eq!(first["parent"]["type"], "data_source_id");
    assert_eq!(first["parent"]["database_id"], db);
    assert_eq!(first["properties"]["Count"]["number"], 3);
    assert_eq!(first["properties"]["Key"]["unique_id"]["number"], 1);
    assert_eq!(first["properties"]["Key"]["unique_id"]["prefix"], "T");
    let second = ok(
        h.t(),
        Method::Post,
        "/v1/pages",
        &h.ws.token,
        Some(json!({
            "parent": {"database_id": db},
            "properties": {"Name": {"title": text("Test it")}, "Stage": {"select": {"name": "Doing"}},
                           "Tags": {"multi_select": [{"name": "a"}, {"name": "b"}]}},
        })),
    )
    .await;
    assert_eq!(second["properties"]["Key"]["unique_id"]["number"], 2);
    assert_eq!(second["properties"]["Stage"]["select"]["name"], "Doing");
    // The new option was added to the schema.
    let source = ok(
        h.t(),
        Method::Get,
        &format!("/v1/data_sources/{ds}"),
        &h.ws.token,
        None,
    )
    .await;
    let options: Vec<&str> = source["properties"]["Stage"]["select"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(options, ["New", "Doing"]);

    let updated = ok(
        h.t(),
        Method::Patch,
        &format!("/v1/pages/{}", id(&first)),
        &h.ws.token,
        Some(json!({"properties": {"Count": 7, "Notes": {"rich_text": text("edited")}}})),
    )
    .await;
    assert_eq!(updated["properties"]["Count"]["number"], 7);
    assert_eq!(
        updated["properties"]["Notes"]["rich_text"][0]["plain_text"],
        "edited"
    );

    let list = query(h.t(), &h.ws.token, &ds, json!({})).await;
    assert_eq!(list["object"], "list");
    assert_eq!(list["type"], "page_or_data_source");
    assert_eq!(titles(&list), ["Write the fake", "Test it"]);
    assert!(list["request_id"].is_string());

    // Trash a row: it leaves queries, and comes back.
    let trashed = ok(
        h.t(),
        Method::Patch,
        &format!("/v1/pages/{}", id(&second)),
        &h.ws.token,
        Some(json!({"in_trash": true})),
    )
    .await;
    assert_eq!(trashed["in_trash"], true);
    assert_eq!(trashed["archived"], true);
    assert_eq!(
        titles(&query(h.t(), &h.ws.token, &ds, json!({})).await),
        ["Write the fake"]
    );
}

async fn query_with_paging_filters_and_sorts(h: Harness) {
    let (_, ds) = tasks_database(h.t(), &h.ws.token, &h.root()).await;
    for i in 0..7 {
        row(h.t(), &h.ws.token, &ds, &format!("row {i}"), i).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut body =
            json!({"page_size": 3, "sorts": [{"property": "Count", "direction": "descending"}]});
        if let Some(c) = &cursor {
            body["start_cursor"] = json!(c);
        }
        let list = query(h.t(), &h.ws.token, &ds, body).await;
        pages += 1;
        seen.extend(titles(&list));
        if list["has_more"] == true {
            cursor = Some(list["next_cursor"].as_str().unwrap().to_owned());
        } else {
            assert!(list["next_cursor"].is_null());
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen,
        [
            "row 6", "row 5", "row 4", "row 3", "row 2", "row 1", "row 0"
        ]
    );

    let filtered = query(
        h.t(),
        &h.ws.token,
        &ds,
        json!({"filter": {"or": [
            {"property": "Count", "number": {"greater_than": 4}},
            {"and": [{"property": "Name", "title": {"contains": "ROW 1"}}, {"property": "Done", "checkbox": {"equals": false}}]},
        ]}, "sorts": [{"property": "Name", "direction": "ascending"}]}),
    )
    .await;
    assert_eq!(titles(&filtered), ["row 1", "row 5", "row 6"]);

    let recent = query(
        h.t(),
        &h.ws.token,
        &ds,
        json!({"filter": {"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": "2026-07-04T09:00:00Z"}}}),
    )
    .await;
    assert_eq!(titles(&recent).len(), 7);
    let none = query(
        h.t(),
        &h.ws.token,
        &ds,
        json!({"filter": {"timestamp": "created_time", "created_time": {"before": "2026-07-04"}}}),
    )
    .await;
    assert!(titles(&none).is_empty());

    let request = ApiRequest::new(
        Method::Post,
        format!("/v1/data_sources/{ds}/query"),
        h.ws.token.clone(),
        V2025,
    )
    .with_query("filter_properties", "title")
    .with_body(json!({"page_size": 1}));
    let only = h.t().send(request).await.unwrap().body;
    let keys: Vec<&String> = only["results"][0]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(keys, ["Name"]);

    let too_big = send(
        h.t(),
        Method::Post,
        &format!("/v1/data_sources/{ds}/query"),
        &h.ws.token,
        Some(json!({"page_size": 101})),
    )
    .await;
    assert_eq!(too_big.status, 400);
    assert_eq!(too_big.body["code"], "validation_error");
}

async fn unknown_token_is_401(h: Harness) {
    let token = NotionToken::new("ntn_not_a_real_token").unwrap();
    let response = send(h.t(), Method::Get, "/v1/users/me", &token, None).await;
    assert_eq!(response.status, 401);
    assert_eq!(response.body["code"], "unauthorized");
    assert_eq!(response.body["message"], "API token is invalid.");
    assert!(response.body["request_id"].is_string());
    let me = ok(h.t(), Method::Get, "/v1/users/me", &h.ws.token, None).await;
    assert_eq!(me["type"], "bot");
    assert_eq!(me["bot"]["workspace_name"], "Acme");
    assert_eq!(me["bot"]["workspace_id"], h.ws.workspace_id.to_string());
}

async fn not_shared_is_404_naming_the_integration(h: Harness) {
    let other = h
        .fake
        .add_integration(h.ws.workspace_id, "Reporting")
        .unwrap();
    let path = format!("/v1/pages/{}", h.root());
    let response = send(h.t(), Method::Get, &path, &other.token, None).await;
    assert_eq!(response.status, 404);
    assert_eq!(response.body["code"], "object_not_found");
    assert_eq!(
        response.body["message"],
        format!(
            "Could not find page with ID: {}. Make sure the relevant pages and databases are shared with your integration \"Reporting\".",
            h.root()
        )
    );
    assert_eq!(
        response.body["additional_data"]["integration_id"],
        other.integration_id.to_string()
    );
    h.fake.share(&other.token, h.ws.root_page_id).unwrap();
    ok(h.t(), Method::Get, &path, &other.token, None).await;
}

async fn invalid_values_are_400(h: Harness) {
    let (_, ds) = tasks_database(h.t(), &h.ws.token, &h.root()).await;
    let cases = [
        (
            json!({"Nope": {"rich_text": text("x")}}),
            "Nope is not a property that exists.",
        ),
        (
            json!({"Count": {"rich_text": text("x")}}),
            "Count is expected to be number.",
        ),
        (json!({"Count": "seven"}), "Count is expected to be number."),
        (json!({"Created": "2026-01-01"}), "read-only"),
        (
            json!({"Notes": {"rich_text": text(&"x".repeat(2001))}}),
            "should be ≤ `2000`, instead was `2001`",
        ),
        (
            json!({"Tags": {"multi_select": (0..101).map(|i| json!({"name": format!("t{i}")})).collect::<Vec<_>>()}}),
            "should be ≤ `100`, instead was `101`",
        ),
    ];
    for (properties, message) in cases {
        let response = send(
            h.t(),
            Method::Post,
            "/v1/pages",
            &h.ws.token,
            Some(json!({"parent": {"data_source_id": ds}, "properties": properties})),
        )
        .await;
        assert_eq!(response.status, 400, "{properties}");
        assert_eq!(response.body["code"], "validation_error");
        let text = response.body["message"].as_str().unwrap();
        assert!(
            text.contains(message),
            "{text:?} should contain {message:?}"
        );
    }
    // Nothing was written by the refused requests.
    assert!(titles(&query(h.t(), &h.ws.token, &ds, json!({})).await).is_empty());
    // A body of the wrong shape is a 400 too, not a panic.
    for body in [
        json!([1, 2]),
        json!({"parent": 5}),
        json!({"parent": {"page_id": "nope"}}),
    ] {
        let response = send(h.t(), Method::Post, "/v1/pages", &h.ws.token, Some(body)).await;
        assert_eq!(response.status, 400);
        assert_eq!(response.body["code"], "validation_error");
    }
}

async fn missing_version_is_400(h: Harness) {
    let mut request = ApiRequest::new(Method::Get, "/v1/users/me", h.ws.token.clone(), V2025);
    request.notion_version = None;
    let response = h.t().send(request).await.unwrap();
    assert_eq!(response.status, 400);
    assert_eq!(response.body["code"], "missing_version");
    assert_eq!(
        response.body["message"],
        "Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`."
    );
    let old = ApiRequest::new(
        Method::Get,
        "/v1/users/me",
        h.ws.token.clone(),
        "2022-02-22",
    );
    let response = h.t().send(old).await.unwrap();
    assert_eq!(response.status, 400);
    assert_eq!(response.body["code"], "validation_error");
    assert_eq!(
        response.body["message"],
        "Notion-Version header failed validation: Notion-Version header should be one of `2022-06-28`, `2025-09-03`, or `2026-03-11`, instead was `\"2022-02-22\"`."
    );
    let new = ApiRequest::new(
        Method::Get,
        "/v1/users/me",
        h.ws.token.clone(),
        "2026-03-11",
    );
    assert_eq!(h.t().send(new).await.unwrap().status, 200);
}

async fn unknown_route_is_invalid_request_url(h: Harness) {
    let response = send(h.t(), Method::Get, "/v1/invalid", &h.ws.token, None).await;
    assert_eq!(response.status, 400);
    assert_eq!(response.body["code"], "invalid_request_url");
    assert_eq!(response.body["message"], "Invalid request URL.");
}

async fn rate_limited_is_429_with_retry_after(h: Harness) {
    let first = send(h.t(), Method::Get, "/v1/users/me", &h.ws.token, None).await;
    assert_eq!(first.status, 200);
    let second = send(h.t(), Method::Get, "/v1/users/me", &h.ws.token, None).await;
    assert_eq!(second.status, 429);
    assert_eq!(second.body["code"], "rate_limited");
    let wait = second.retry_after.expect("a Retry-After");
    assert!(
        wait >= Duration::from_secs(1) && wait <= Duration::from_secs(2),
        "{wait:?}"
    );
    assert_eq!(
        second.body["additional_data"]["retry_after"],
        wait.as_secs().to_string()
    );
    assert_eq!(
        second.body["additional_data"]["rate_limit_reason"],
        "public_api_request_rate_limit"
    );
    let log = h.fake.request_log();
    assert_eq!(log.iter().map(|l| l.status).collect::<Vec<_>>(), [200, 429]);
    assert_eq!(
        log[1].integration.as_deref(),
        Some(h.ws.integration_name.as_str())
    );
    assert_eq!(log[1].workspace.as_deref(), Some("Acme"));
    let printed = format!("{log:?}");
    assert!(!printed.contains(h.ws.token.expose()));
}

fn limited() -> FakeConfig {
    FakeConfig {
        per_token: Some(RateBudget::new(60, 1)),
        ..FakeConfig::default()
    }
}

macro_rules! contract {
    ($($name:ident $(with $config:expr)?),* $(,)?) => {
        mod in_memory {
            $(
                #[tokio::test]
                async fn $name() {
                    #[allow(unused_mut, unused_assignments)]
                    let mut config = notion_xws_core::fake::FakeConfig::default();
                    $(config = $config;)?
                    super::$name(super::Harness::new(false, config).await).await;
                }
            )*
        }
        mod over_http {
            $(
                #[tokio::test]
                async fn $name() {
                    #[allow(unused_mut, unused_assignments)]
                    let mut config = notion_xws_core::fake::FakeConfig::default();
                    $(config = $config;)?
                    super::$name(super::Harness::new(true, config).await).await;
                }
            )*
        }
    };
}

contract!(
    create_page_database_and_rows,
    query_with_paging_filters_and_sorts,
    unknown_token_is_401,
    not_shared_is_404_naming_the_integration,
    invalid_values_are_400,
    missing_version_is_400,
    unknown_route_is_invalid_request_url,
    rate_limited_is_429_with_retry_after with super::limited(),
);

/// Over HTTP only: a body that is not JSON.
#[tokio::test]
async fn invalid_json_over_http_is_400() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    let server = fake.serve().await.unwrap();
    // Builds the transport first: it installs the TLS provider reqwest needs.
    let _ = HttpTransport::with_base_url(&server.base_url()).unwrap();
    let client = reqwest::Client::new();
    let response = client
        .post(format!("{}/v1/pages", server.base_url()))
        .header("Authorization", format!("Bearer {}", ws.token.expose()))
        .header("Notion-Version", V2025)
        .header("Content-Type", "application/json")
        .body("{\"parent\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "invalid_json");
    assert_eq!(body["message"], "Error parsing JSON body.");
    assert!(body["request_id"].is_string());
    // No Authorization header at all: 401.
    let response = client
        .get(format!("{}/v1/users/me", server.base_url()))
        .header("Notion-Version", V2025)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    // A method Notion does not have.
    let response = client
        .put(format!("{}/v1/pages", server.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    server.shutdown().await;
}

/// The server stops on shutdown.
#[tokio::test]
async fn server_stops_on_shutdown() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    let server = fake.serve().await.unwrap();
    let transport = HttpTransport::with_base_url(&server.base_url()).unwrap();
    let request = ApiRequest::new(Method::Get, "/v1/users/me", ws.token.clone(), V2025);
    assert_eq!(transport.send(request.clone()).await.unwrap().status, 200);
    server.shutdown().await;
    let fresh = HttpTransport::with_base_url(transport.base_url().as_ref()).unwrap();
    assert!(matches!(
        fresh.send(request).await,
        Err(Error::Transport { .. })
    ));
}
