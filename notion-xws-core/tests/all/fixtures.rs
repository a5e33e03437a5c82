//! Every response recorded in the notion-sdk-py cassettes (`tests/fixtures/cassettes`) reads
//! into the typed model of its object and writes back to exactly the same JSON; every recorded
//! request body of an endpoint with a typed body reads into its `params` type and writes back
//! the same (IDs compared in canonical dashed form).

use std::fs;
use std::path::{Path, PathBuf};

use notion_xws_core::ObjectId;
use notion_xws_core::client::NotionClient;
use notion_xws_core::model::params::{
    AppendBlockChildren, CreateDataSource, CreateDatabase, CreateFileUpload, CreatePage,
    QueryDataSource, Search, UpdateDataSource, UpdateDatabase, UpdatePage,
};
use notion_xws_core::model::{NotionObject, PropertyItemResponse};
use notion_xws_core::transport::recording::RecordingTransport;
use notion_xws_core::{BlockId, DataSourceId, NotionToken, PageId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// One recorded request and its response, as `extract.py` writes it.
#[derive(Debug, Deserialize)]
struct Interaction {
    method: String,
    uri: String,
    status: u16,
    request_body: Option<String>,
    response_body: Option<String>,
}

/// A cassette: its name and its interactions.
struct Cassette {
    name: String,
    interactions: Vec<Interaction>,
}

fn cassette_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cassettes/json")
}

fn cassettes() -> Vec<Cassette> {
    let mut paths: Vec<PathBuf> = fs::read_dir(cassette_dir())
        .expect("the cassette directory exists")
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| Cassette {
            name: path
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_default(),
            interactions: serde_json::from_str(
                &fs::read_to_string(&path).expect("a readable cassette"),
            )
            .unwrap_or_else(|error| panic!("{}: {error}", path.display())),
        })
        .collect()
}

/// The JSON path and description of the first difference between two values, if any.
fn first_difference(expected: &Value, actual: &Value, path: &str) -> Option<String> {
    match (expected, actual) {
        (Value::Object(expected), Value::Object(actual)) => {
            for (key, value) in expected {
                let here = format!("{path}.{key}");
                match actual.get(key) {
                    None => return Some(format!("{here}: missing (expected {value})")),
                    Some(other) => {
                        if let Some(difference) = first_difference(value, other, &here) {
                            return Some(difference);
                        }
                    }
                }
            }
            actual
                .iter()
                .find(|(key, _)| !expected.contains_key(*key))
                .map(|(key, value)| format!("{path}.{key}: unexpected {value}"))
        }
        (Value::Array(expected), Value::Array(actual)) => {
            if expected.len() != actual.len() {
                return Some(format!(
                    "{path}: {} elements expected, {} found",
                    expected.len(),
                    actual.len()
                ));
            }
            expected
                .iter()
                .zip(actual)
                .enumerate()
                .find_map(|(index, (expected, actual))| {
                    first_difference(expected, actual, &format!("{path}[{index}]"))
                })
        }
        _ if expected == actual => None,
        _ => Some(format!("{path}: expected {expected}, found {actual}")),
    }
}

/// Reads `body` as `T`, writes it back, and describes the first difference (or the read error).
fn round_trip<T: Serialize + DeserializeOwned>(body: &Value) -> Result<T, String> {
    let model: T = serde_json::from_value(body.clone()).map_err(|error| error.to_string())?;
    let written = serde_json::to_value(&model).map_err(|error| error.to_string())?;
    match first_difference(body, &written, "$") {
        None => Ok(model),
        Some(difference) => Err(difference),
    }
}

/// The `object` types this library models; anything else may be kept raw.
const MODELLED_OBJECTS: [&str; 8] = [
    "page",
    "database",
    "data_source",
    "block",
    "user",
    "file_upload",
    "property_item",
    "error",
];

/// The list `type`s this library models.
const MODELLED_LISTS: [&str; 6] = [
    "page_or_data_source",
    "page",
    "block",
    "user",
    "file_upload",
    "property_item",
];

#[test]
fn every_recorded_response_round_trips_through_its_typed_model() {
    let mut failures = Vec::new();
    let (mut typed, mut raw, mut not_json) = (0, 0, 0);
    for cassette in cassettes() {
        for (index, interaction) in cassette.interactions.iter().enumerate() {
            let place = format!(
                "{} #{index} {} {} ({})",
                cassette.name, interaction.method, interaction.uri, interaction.status
            );
            let Some(text) = &interaction.response_body else {
                continue;
            };
            let Ok(body) = serde_json::from_str::<Value>(text) else {
                not_json += 1; // "400 Bad Request" from the test client, not from Notion
                continue;
            };
            let object = body["object"].as_str().unwrap_or_default();
            let list_type = body["type"].as_str().unwrap_or_default();
            let must_be_typed = MODELLED_OBJECTS.contains(&object)
                || (object == "list" && MODELLED_LISTS.contains(&list_type));
            match round_trip::<NotionObject>(&body) {
                Ok(model) if model.is_typed() => typed += 1,
                Ok(_) if must_be_typed => {
                    failures.push(format!("{place}: {object}/{list_type} was kept raw"));
                }
                Ok(_) => raw += 1,
                Err(difference) => failures.push(format!("{place}: {difference}")),
            }
            if interaction.uri.contains("/properties/")
                && let Err(difference) = round_trip::<PropertyItemResponse>(&body)
            {
                failures.push(format!("{place} as a property item: {difference}"));
            }
        }
    }
    eprintln!(
        "recorded responses: {typed} typed, {raw} kept raw (not modelled), {not_json} not JSON"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        typed >= 290,
        "only {typed} typed responses: are all the fixtures there?"
    );
}

/// Rewrites every 32-hex-digit string as the canonical dashed ID, as the models write IDs.
fn canonical_ids(value: &Value) -> Value {
    match value {
        Value::String(text) if text.len() == 32 => match ObjectId::parse(text) {
            Ok(id) => Value::String(id.to_string()),
            Err(_) => value.clone(),
        },
        Value::Array(values) => Value::Array(values.iter().map(canonical_ids).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), canonical_ids(value)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The `params` type of a recorded request, by method and path.
fn request_round_trip(
    method: &str,
    path: &str,
    body: &Value,
) -> Option<(&'static str, Result<(), String>)> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let checked = match (method, segments.as_slice()) {
        ("POST", ["v1", "pages"]) => ("CreatePage", round_trip::<CreatePage>(body).map(drop)),
        ("PATCH", ["v1", "pages", _]) => ("UpdatePage", round_trip::<UpdatePage>(body).map(drop)),
        ("POST", ["v1", "databases"]) => (
            "CreateDatabase",
            round_trip::<CreateDatabase>(body).map(drop),
        ),
        ("PATCH", ["v1", "databases", _]) => (
            "UpdateDatabase",
            round_trip::<UpdateDatabase>(body).map(drop),
        ),
        ("POST", ["v1", "data_sources"]) => (
            "CreateDataSource",
            round_trip::<CreateDataSource>(body).map(drop),
        ),
        ("PATCH", ["v1", "data_sources", _]) => (
            "UpdateDataSource",
            round_trip::<UpdateDataSource>(body).map(drop),
        ),
        ("POST", ["v1", "data_sources", _, "query"]) => (
            "QueryDataSource",
            round_trip::<QueryDataSource>(body).map(drop),
        ),
        ("POST", ["v1", "search"]) => ("Search", round_trip::<Search>(body).map(drop)),
        ("PATCH", ["v1", "blocks", _, "children"]) => (
            "AppendBlockChildren",
            round_trip::<AppendBlockChildren>(body).map(drop),
        ),
        ("POST", ["v1", "file_uploads"]) => (
            "CreateFileUpload",
            round_trip::<CreateFileUpload>(body).map(drop),
        ),
        _ => return None,
    };
    Some(checked)
}

#[test]
fn every_recorded_request_body_round_trips_through_its_params_type() {
    let mut failures = Vec::new();
    let mut checked: std::collections::BTreeMap<&str, usize> = Default::default();
    for cassette in cassettes() {
        for (index, interaction) in cassette.interactions.iter().enumerate() {
            let Some(text) = &interaction.request_body else {
                continue;
            };
            let Ok(body) = serde_json::from_str::<Value>(text) else {
                continue; // multipart file content
            };
            let path = interaction
                .uri
                .trim_start_matches("https://api.notion.com")
                .split('?')
                .next()
                .unwrap_or_default();
            let body = canonical_ids(&body);
            if let Some((params, result)) = request_round_trip(&interaction.method, path, &body) {
                *checked.entry(params).or_default() += 1;
                if let Err(difference) = result {
                    failures.push(format!(
                        "{} #{index} {} {path} as {params}: {difference}",
                        cassette.name, interaction.method
                    ));
                }
            }
        }
    }
    eprintln!("recorded request bodies checked: {checked:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for params in [
        "CreatePage",
        "CreateDatabase",
        "UpdateDataSource",
        "QueryDataSource",
        "Search",
        "AppendBlockChildren",
        "CreateFileUpload",
    ] {
        assert!(
            checked.contains_key(params),
            "no recorded body for {params}"
        );
    }
}

#[test]
fn first_difference_names_the_json_path() {
    let expected = serde_json::json!({"a": {"b": [1, {"c": 2}]}});
    let actual = serde_json::json!({"a": {"b": [1, {"c": 3}]}});
    assert_eq!(
        first_difference(&expected, &actual, "$").as_deref(),
        Some("$.a.b[1].c: expected 2, found 3")
    );
    assert_eq!(first_difference(&expected, &expected, "$"), None);
}

/// A transport that answers every request with one recorded answer.
#[derive(Debug)]
struct Replay(u16, Value);

#[async_trait::async_trait]
impl notion_xws_core::transport::Transport for Replay {
    async fn send(
        &self,
        _request: notion_xws_core::transport::ApiRequest,
    ) -> notion_xws_core::Result<notion_xws_core::transport::ApiResponse> {
        Ok(notion_xws_core::transport::ApiResponse {
            status: self.0,
            retry_after: None,
            date: None,
            body: self.1.clone(),
        })
    }
}

#[tokio::test]
async fn the_client_sends_the_recorded_request_bodies() {
    let mut compared = 0;
    for cassette in cassettes() {
        for (index, interaction) in cassette.interactions.iter().enumerate() {
            let (Some(request), Some(response)) =
                (&interaction.request_body, &interaction.response_body)
            else {
                continue;
            };
            let (Ok(request), Ok(response)) = (
                serde_json::from_str::<Value>(request),
                serde_json::from_str::<Value>(response),
            ) else {
                continue;
            };
            if interaction.status != 200 {
                continue;
            }
            let path = interaction
                .uri
                .split_once("api.notion.com")
                .map_or(interaction.uri.as_str(), |(_, path)| path);
            let path = path.split('?').next().unwrap_or(path);
            let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
            let recorder = Arc::new(RecordingTransport::new(Replay(200, response)));
            let client = NotionClient::new(
                Arc::clone(&recorder) as notion_xws_core::transport::DynTransport,
                NotionToken::new("ntn_replay").unwrap(),
            );
            let sent = match (interaction.method.as_str(), segments.as_slice()) {
                ("POST", ["v1", "pages"]) => client
                    .create_page(&serde_json::from_value(request.clone()).unwrap())
                    .await
                    .map(drop),
                ("PATCH", ["v1", "pages", id]) => client
                    .update_page(
                        PageId::parse(id).unwrap(),
                        &serde_json::from_value(request.clone()).unwrap(),
                    )
                    .await
                    .map(drop),
                ("POST", ["v1", "databases"]) => client
                    .create_database(&serde_json::from_value(request.clone()).unwrap())
                    .await
                    .map(drop),
                ("PATCH", ["v1", "data_sources", id]) => client
                    .update_data_source(
                        DataSourceId::parse(id).unwrap(),
                        &serde_json::from_value(request.clone()).unwrap(),
                    )
                    .await
                    .map(drop),
                ("POST", ["v1", "data_sources", id, "query"]) => client
                    .query_page(
                        DataSourceId::parse(id).unwrap(),
                        &serde_json::from_value(request.clone()).unwrap(),
                        &[],
                    )
                    .await
                    .map(drop),
                ("PATCH", ["v1", "blocks", id, "children"]) => client
                    .append_block_children(
                        BlockId::parse(id).unwrap(),
                        &serde_json::from_value(request.clone()).unwrap(),
                    )
                    .await
                    .map(drop),
                ("POST", ["v1", "file_uploads"]) => client
                    .create_file_upload(&serde_json::from_value(request.clone()).unwrap())
                    .await
                    .map(drop),
                _ => continue,
            };
            let place = format!("{} #{index}", cassette.name);
            sent.unwrap_or_else(|error| panic!("{place}: {error}"));
            let record = recorder.requests().pop().expect("one request sent");
            assert_eq!(record.method.as_str(), interaction.method, "{place}");
            let recorded_path: Vec<String> = segments
                .iter()
                .map(|s| ObjectId::parse(s).map_or_else(|_| s.to_string(), |id| id.to_string()))
                .collect();
            assert_eq!(
                record.path,
                format!("/{}", recorded_path.join("/")),
                "{place}"
            );
            let expected = canonical_ids(&request);
            let actual = record.body.unwrap_or(Value::Null);
            if let Some(difference) = first_difference(&expected, &actual, "$") {
                panic!("{place}: the client's body differs from the recorded one: {difference}");
            }
            compared += 1;
        }
    }
    assert!(
        compared >= 100,
        "only {compared} recorded requests compared"
    );
}
