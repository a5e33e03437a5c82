//! File uploads as Notion serves them, in memory and over HTTP: `send` takes
//! `multipart/form-data` (single part, and parts with `part_number`), `complete` ends a
//! multi-part upload, uploads expire after an hour unattached, list and retrieve; Notion's
//! limits and refusals. And the product side: a hosted file Notion will not import from its URL
//! is downloaded and sent, in parts when it is over 20 MiB.

use std::sync::Arc;
use std::time::Duration;

use notion_xws_core::client::NotionClient;
use notion_xws_core::fake::{FakeConfig, FakeNotion, FakeServer, FakeWorkspace};
use notion_xws_core::ids::FileUploadId;
use notion_xws_core::model::FileUploadStatus;
use notion_xws_core::model::params::CreateFileUpload;
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::sync::{PairState, sync};
use notion_xws_core::transport::http::HttpTransport;
use notion_xws_core::transport::{ApiRequest, DynTransport, FormData, Method, Transport};
use notion_xws_core::{Error, NotionToken};
use serde_json::{Value, json};

use crate::support::fake::{V2025, id, ok, send, text};
use crate::support::sync::execute;
use crate::support::world::World;

const MIB: usize = 1024 * 1024;

/// A fake with a workspace whose per-file limit is 100 MiB (a paid plan), and clients of it in
/// memory and over HTTP (with the server, kept alive).
async fn clients() -> (
    FakeNotion,
    FakeWorkspace,
    Vec<(NotionClient, DynTransport)>,
    FakeServer,
) {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    fake.set_file_upload_limit(ws.workspace_id, 100 * MIB as u64)
        .unwrap();
    let server = fake.serve().await.unwrap();
    let http: DynTransport = Arc::new(HttpTransport::with_base_url(&server.base_url()).unwrap());
    let memory: DynTransport = Arc::new(fake.clone());
    let clients = [memory, http]
        .into_iter()
        .map(|t| (NotionClient::new(Arc::clone(&t), ws.token.clone()), t))
        .collect();
    (fake, ws, clients, server)
}

/// The bytes of a file of `len` bytes (a repeating pattern, so that parts can be told apart).
fn bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// The status, `code` and message of a refused write.
fn refusal(error: &Error) -> String {
    error.to_string()
}

#[tokio::test]
async fn a_single_part_upload_is_sent_as_form_data_and_then_attached() {
    let (fake, ws, clients, _server) = clients().await;
    for (client, _) in &clients {
        let upload = client
            .create_file_upload(&CreateFileUpload::for_bytes("notes.txt", 25))
            .await
            .unwrap();
        assert_eq!(upload.status, FileUploadStatus::Pending);
        assert!(upload.upload_url.is_some());
        let sent = client
            .send_file_upload(upload.id, "notes.txt", Some("text/plain"), bytes(25), None)
            .await
            .unwrap();
        assert_eq!(sent.status, FileUploadStatus::Uploaded);
        assert_eq!(sent.content_length, Some(Some(25)));
        assert!(sent.upload_url.is_none());
        assert_eq!(
            client.file_upload(upload.id).await.unwrap().status,
            FileUploadStatus::Uploaded
        );
        // Sent once: a second send is refused.
        let again = client
            .send_file_upload(upload.id, "notes.txt", None, bytes(3), None)
            .await
            .unwrap_err();
        assert!(refusal(&again).contains("status `uploaded`"), "{again}");
        // Attached to a page, it is a hosted file whose bytes download back.
        let page = ok(
            &fake,
            Method::Post,
            "/v1/pages",
            &ws.token,
            Some(json!({"parent": {"page_id": ws.root_page_id.to_string()},
                        "properties": {"title": text("With a file")},
                        "children": [{"type": "file", "file": {"type": "file_upload",
                            "file_upload": {"id": upload.id.to_string()}}}]})),
        )
        .await;
        let children = ok(
            &fake,
            Method::Get,
            &format!("/v1/blocks/{}/children", id(&page)),
            &ws.token,
            None,
        )
        .await;
        let url = children["results"][0]["file"]["file"]["url"]
            .as_str()
            .unwrap();
        assert_eq!(fake.download(url).await.unwrap(), bytes(25));
    }
}

#[tokio::test]
async fn a_multi_part_upload_takes_its_parts_in_any_order_then_completes() {
    let (_fake, _ws, clients, _server) = clients().await;
    for (client, _) in &clients {
        let file = bytes(2 * 10 * MIB + 7);
        let request = CreateFileUpload::for_bytes("movie.mp4", file.len() as u64);
        assert_eq!(request.number_of_parts, Some(3));
        let upload = client.create_file_upload(&request).await.unwrap();
        assert_eq!(
            upload.extra["number_of_parts"],
            json!({"total": 3, "sent": 0})
        );
        assert!(
            upload.extra["complete_url"]
                .as_str()
                .unwrap()
                .ends_with("/complete")
        );
        let part = |n: usize| file[(n - 1) * 10 * MIB..(n * 10 * MIB).min(file.len())].to_vec();
        let send = |n: u32, data: Vec<u8>| {
            client.send_file_upload(upload.id, "movie.mp4", None, data, Some(n))
        };
        // A part but the last under 5 MiB, or a part number out of range: refused.
        let small = send(1, bytes(MIB)).await.unwrap_err();
        assert!(refusal(&small).contains("should be ≥ `5242880`"), "{small}");
        let out = send(4, part(3)).await.unwrap_err();
        assert!(refusal(&out).contains("body.part_number"), "{out}");
        let sent = send(3, part(3)).await.unwrap();
        assert_eq!(sent.status, FileUploadStatus::Pending);
        assert_eq!(
            sent.extra["number_of_parts"],
            json!({"total": 3, "sent": 1})
        );
        send(1, part(1)).await.unwrap();
        // Not every part yet: `complete` is refused.
        let early = client.complete_file_upload(upload.id).await.unwrap_err();
        assert!(refusal(&early).contains("2 of its 3 parts"), "{early}");
        send(2, part(2)).await.unwrap();
        let done = client.complete_file_upload(upload.id).await.unwrap();
        assert_eq!(done.status, FileUploadStatus::Uploaded);
        assert_eq!(done.content_length, Some(Some(file.len() as u64)));
        assert_eq!(
            done.extra["number_of_parts"],
            json!({"total": 3, "sent": 3})
        );
        // A single-part upload has nothing to complete.
        let single = client
            .create_file_upload(&CreateFileUpload::for_bytes("a.txt", 1))
            .await
            .unwrap();
        let wrong = client.complete_file_upload(single.id).await.unwrap_err();
        assert!(
            refusal(&wrong).contains("not a multi_part upload"),
            "{wrong}"
        );
    }
}

#[tokio::test]
async fn the_send_route_takes_form_data_only_and_the_limits_hold() {
    let (fake, ws, clients, _server) = clients().await;
    let token = &ws.token;
    for (client, transport) in &clients {
        let upload = client
            .create_file_upload(&CreateFileUpload::for_bytes("a.txt", 1))
            .await
            .unwrap();
        let path = format!("/v1/file_uploads/{}/send", upload.id);
        // A JSON body is not a file.
        let response = send(
            transport.as_ref(),
            Method::Post,
            &path,
            token,
            Some(json!({"file": "x"})),
        )
        .await;
        assert_eq!(response.status, 400, "{}", response.body);
        assert_eq!(response.body["code"], "validation_error");
        assert_eq!(
            response.body["message"],
            "body failed validation: body.file should be defined, instead was `undefined`."
        );
        // A form without a `file` part.
        let request = ApiRequest::new(Method::Post, &path, token.clone(), V2025)
            .with_form(FormData::new().with_text("other", "x"));
        let response = transport.send(request).await.unwrap();
        assert_eq!(response.status, 400);
        assert!(
            response.body["message"]
                .as_str()
                .unwrap()
                .contains("body.file")
        );
        // A part number on a single-part upload.
        let numbered = client
            .send_file_upload(upload.id, "a.txt", None, bytes(1), Some(1))
            .await
            .unwrap_err();
        assert!(
            refusal(&numbered).contains("body.part_number"),
            "{numbered}"
        );
        // Over 20 MiB in one part.
        let big = client
            .send_file_upload(upload.id, "a.txt", None, bytes(20 * MIB + 1), None)
            .await
            .unwrap_err();
        assert!(refusal(&big).contains("should be ≤ `20971520`"), "{big}");
        // A form to a JSON route is not JSON.
        let request = ApiRequest::new(Method::Post, "/v1/pages", token.clone(), V2025)
            .with_form(FormData::new().with_text("file", "x"));
        let response = transport.send(request).await.unwrap();
        assert_eq!(response.body["code"], "invalid_json", "{}", response.body);
    }
    // The workspace's own limit holds a single part too (a free plan's 5 MiB).
    let free = fake.add_workspace("Free");
    let client = NotionClient::new(Arc::new(fake.clone()), free.token.clone());
    let me = ok(&fake, Method::Get, "/v1/users/me", &free.token, None).await;
    assert_eq!(
        me["bot"]["workspace_limits"]["max_file_upload_size_in_bytes"],
        5_242_880
    );
    let upload = client
        .create_file_upload(&CreateFileUpload::for_bytes("a.bin", 6 * MIB as u64))
        .await
        .unwrap();
    let over = client
        .send_file_upload(upload.id, "a.bin", None, bytes(6 * MIB), None)
        .await
        .unwrap_err();
    assert!(refusal(&over).contains("should be ≤ `5242880`"), "{over}");
}

#[tokio::test]
async fn a_create_body_is_held_to_the_sdks_request_type() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    let long = "x".repeat(901);
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"mode": "chunked"}),
            "body.mode should be `\"single_part\"`, `\"multi_part\"`, or `\"external_url\"`",
        ),
        (
            json!({"mode": "multi_part", "filename": "a.mp4"}),
            "body.number_of_parts should be defined",
        ),
        (
            json!({"mode": "multi_part", "filename": "a.mp4", "number_of_parts": 0}),
            "body.number_of_parts should be an integer from `1` to `1000`",
        ),
        (
            json!({"mode": "multi_part", "filename": "a.mp4", "number_of_parts": 1001}),
            "body.number_of_parts should be an integer from `1` to `1000`",
        ),
        (
            json!({"mode": "multi_part", "number_of_parts": 2}),
            "body.filename should be defined",
        ),
        (
            json!({"number_of_parts": 2}),
            "body.number_of_parts should be not present",
        ),
        (
            json!({"external_url": "https://example.com/a.pdf"}),
            "body.external_url should be not present",
        ),
        (
            json!({"mode": "external_url", "filename": "a.pdf"}),
            "body.external_url should be defined",
        ),
        (
            json!({"filename": long}),
            "body.filename.length should be ≤ `900`",
        ),
        (json!({"filename": 5}), "body.filename should be a string"),
        (json!({"id": "x"}), "body.id should be not present"),
    ];
    for (body, message) in cases {
        let response = send(
            &fake,
            Method::Post,
            "/v1/file_uploads",
            &ws.token,
            Some(body.clone()),
        )
        .await;
        assert_eq!(response.status, 400, "{body}: {}", response.body);
        assert_eq!(response.body["code"], "validation_error", "{body}");
        let text = response.body["message"].as_str().unwrap();
        assert!(text.contains(message), "{body}: {text}");
    }
}

#[tokio::test(start_paused = true)]
async fn an_unattached_upload_expires_after_an_hour_and_lists_by_status() {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    let client = NotionClient::new(Arc::new(fake.clone()), ws.token.clone());
    let create = |name: &str| CreateFileUpload::for_bytes(name, 1);
    let old = client.create_file_upload(&create("old.txt")).await.unwrap();
    let sent = client
        .create_file_upload(&create("sent.txt"))
        .await
        .unwrap();
    client
        .send_file_upload(sent.id, "sent.txt", None, bytes(1), None)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3_601)).await;
    let new = client.create_file_upload(&create("new.txt")).await.unwrap();
    assert_eq!(
        client.file_upload(old.id).await.unwrap().status,
        FileUploadStatus::Expired
    );
    assert_eq!(
        client.file_upload(sent.id).await.unwrap().status,
        FileUploadStatus::Expired
    );
    let late = client
        .send_file_upload(old.id, "old.txt", None, bytes(1), None)
        .await
        .unwrap_err();
    assert!(refusal(&late).contains("status `expired`"), "{late}");
    let list = |query: &[(&str, &str)]| {
        let mut request = ApiRequest::new(Method::Get, "/v1/file_uploads", ws.token.clone(), V2025);
        for (name, value) in query {
            request = request.with_query(*name, *value);
        }
        let fake = fake.clone();
        async move { fake.send(request).await.unwrap() }
    };
    let ids = |list: &Value| -> Vec<String> {
        list["results"].as_array().unwrap().iter().map(id).collect()
    };
    let all = list(&[]).await.body;
    assert_eq!(all["type"], "file_upload");
    assert_eq!(all["file_upload"], json!({}));
    let id_of = |u: FileUploadId| u.to_string();
    assert_eq!(
        ids(&all),
        [id_of(new.id), id_of(sent.id), id_of(old.id)],
        "newest first"
    );
    assert_eq!(
        ids(&list(&[("status", "expired")]).await.body),
        [id_of(sent.id), id_of(old.id)]
    );
    assert_eq!(
        ids(&list(&[("status", "pending")]).await.body),
        [id_of(new.id)]
    );
    let first = list(&[("page_size", "2")]).await.body;
    assert_eq!(first["has_more"], true);
    let cursor = first["next_cursor"].as_str().unwrap();
    assert_eq!(
        ids(&list(&[("start_cursor", cursor)]).await.body),
        [id_of(old.id)]
    );
    let response = list(&[("status", "done")]).await;
    assert_eq!(response.status, 400, "{}", response.body);
    // Another integration's uploads are not listed.
    let other = fake.add_integration(ws.workspace_id, "Other").unwrap();
    assert_eq!(
        ids(&ok(&fake, Method::Get, "/v1/file_uploads", &other.token, None).await),
        Vec::<String>::new()
    );
}

/// A hosted file of `len` bytes in the workspace of `token`, sent by bytes (so that the fake
/// holds them), as a files entry to attach.
async fn sent_file(fake: &FakeNotion, token: &NotionToken, name: &str, len: usize) -> Value {
    let client = NotionClient::new(Arc::new(fake.clone()), token.clone());
    let request = CreateFileUpload::for_bytes(name, len as u64);
    let upload = client.create_file_upload(&request).await.unwrap();
    let file = bytes(len);
    let parts = request.number_of_parts.unwrap_or(1);
    if parts == 1 {
        client
            .send_file_upload(upload.id, name, None, file, None)
            .await
            .unwrap();
    } else {
        for (i, chunk) in file.chunks(10 * MIB).enumerate() {
            client
                .send_file_upload(upload.id, name, None, chunk.to_vec(), Some(i as u32 + 1))
                .await
                .unwrap();
        }
        client.complete_file_upload(upload.id).await.unwrap();
    }
    json!({"name": name, "type": "file_upload", "file_upload": {"id": upload.id.to_string()}})
}

#[tokio::test(start_paused = true)]
async fn a_file_notion_will_not_import_is_downloaded_and_sent_in_parts_when_large() {
    let world = World::new(true).await;
    world
        .fake
        .set_file_upload_limit(world.control.workspace_id, 100 * MIB as u64)
        .unwrap();
    let (db, ds) = crate::support::world::create_database(
        &world.fake,
        world.token(),
        &world.library,
        "Tasks",
        json!({"Name": {"title": {}}, "Attachments": {"files": {}}}),
    )
    .await;
    let small = sent_file(&world.fake, world.token(), "small.pdf", 1_000).await;
    let large = sent_file(&world.fake, world.token(), "large.mp4", 25 * MIB).await;
    ok(
        &world.fake,
        Method::Post,
        "/v1/pages",
        world.token(),
        Some(json!({"parent": {"data_source_id": ds},
                    "properties": {"Name": {"title": text("Launch")},
                                   "Attachments": {"files": [small, large]}}})),
    )
    .await;
    let acme = world
        .sync_to_new_workspace("Acme", &[("Tasks", "Push", &db, &ds)])
        .await;
    world
        .fake
        .set_file_upload_limit(acme.workspace_id, 100 * MIB as u64)
        .unwrap();
    world.fake.fail_file_imports("small.pdf");
    world.fake.fail_file_imports("large.mp4");
    world.fake.clear_request_log();
    let control = world.client();
    let report = sync(&control, &RegistryConfig::default(), &execute(), None)
        .await
        .unwrap();
    let pair = report
        .pairs
        .iter()
        .find(|p| p.pair.database == "Tasks")
        .unwrap();
    assert_eq!(pair.state, PairState::Synced, "{}", report.to_markdown());
    assert_eq!(
        (pair.files_reimported, pair.files_not_copied),
        (2, 0),
        "{pair:#?}"
    );
    let log = world.fake.request_log();
    let count = |suffix: &str| {
        log.iter()
            .filter(|r| r.method == Method::Post && r.path.ends_with(suffix))
            .count()
    };
    // Two imports tried and failed, then two uploads by bytes: one send, and three parts and
    // a completion.
    assert_eq!(count("/v1/file_uploads"), 4);
    assert_eq!(count("/send"), 1 + 3);
    assert_eq!(count("/complete"), 1);
    // The copies hold the same bytes.
    let (acme_client, target, rows) = {
        let acme_client = crate::support::sync::acme_client(&world).await;
        let search = ok(
            &world.fake,
            Method::Post,
            "/v1/search",
            &acme.token,
            Some(json!({"filter": {"property": "object", "value": "data_source"}})),
        )
        .await;
        let target = search["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["title"][0]["plain_text"] == "Tasks")
            .map(id)
            .unwrap();
        let rows = ok(
            &world.fake,
            Method::Post,
            &format!("/v1/data_sources/{target}/query"),
            &acme.token,
            Some(json!({})),
        )
        .await;
        (acme_client, target, rows)
    };
    let _ = (acme_client, target);
    let files = rows["results"][0]["properties"]["Attachments"]["files"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(files.len(), 2, "{files:?}");
    for (file, len) in files.iter().zip([1_000, 25 * MIB]) {
        let url = file["file"]["url"].as_str().unwrap();
        assert_eq!(
            world.fake.download(url).await.unwrap(),
            bytes(len),
            "{}",
            file["name"]
        );
    }
}

#[tokio::test]
async fn a_download_goes_to_the_signed_url_without_the_token() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let files = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/fake/d1/a.pdf"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"%PDF".to_vec()))
        .mount(&files)
        .await;
    let transport = HttpTransport::with_base_url(&files.uri()).unwrap();
    let url = format!("{}/fake/d1/a.pdf?X-Amz-Signature=0", files.uri());
    assert_eq!(transport.download(&url).await.unwrap(), b"%PDF");
    let missing = transport
        .download(&format!("{}/fake/gone.pdf", files.uri()))
        .await
        .unwrap_err();
    assert!(missing.to_string().contains("status 404"), "{missing}");
    for request in files.received_requests().await.unwrap() {
        assert!(request.headers.get("authorization").is_none());
    }
}
