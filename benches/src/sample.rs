//! Rows as Notion answers them, for the CPU benchmarks: 100 source rows and their 100 target
//! rows, made by the real sync in the fake Notion (no limits), then copied as many times as a
//! benchmark wants with fresh IDs.
//!
//! [`Sample::make`] builds a world of [`TEMPLATES`] rows and one environment
//! ([`World`]), syncs it, and keeps the JSON the fake answered: the source's
//! and the target's schemas, a 100-row query response of each side. [`Sample::snapshot`] then
//! makes a [`PairSnapshot`] of any size from those templates, one row at a time (JSON made,
//! parsed into a [`Page`], turned into its [`RowContent`] and dropped, as the sync reads), with a chosen share of the target rows differing from
//! their source rows.

use std::collections::BTreeMap;
use std::sync::Arc;

use notion_xws_core::client::NotionClient;
use notion_xws_core::fake::FakeConfig;
use notion_xws_core::model::{Page, PropertyConfig};
use notion_xws_core::registry::{Direction, RegistryConfig};
use notion_xws_core::sync::links::LinksTable;
use notion_xws_core::sync::one_way::plan::{PairSnapshot, RowContent, SyncPair, TargetSnapshot};
use notion_xws_core::sync::schema::SOURCE_KEY;
use notion_xws_core::sync::{SyncOptions, sync};
use notion_xws_core::transport::{DynTransport, Method};
use notion_xws_core::{DataSourceId, DatabaseId, PageId};
use serde_json::{Value, json};

use crate::api::ok;
use crate::world::{World, WorldSpec};

/// Rows made by the real sync, then copied.
pub const TEMPLATES: usize = 100;

/// What the fake answered for one synced pair. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct Sample {
    /// The source data source (`GET /v1/data_sources/{id}`).
    pub source_schema: Value,
    /// The target data source.
    pub target_schema: Value,
    /// A 100-row query response of the source.
    pub source_page: Value,
    /// The target rows, in the order of their source rows in `source_page`.
    pub target_rows: Vec<Value>,
}

/// Sets the text of a title or rich-text value (its first segment's content and plain text).
fn set_text(value: &mut Value, kind: &str, text: &str) {
    if let Some(segment) = value[kind].get_mut(0) {
        segment["plain_text"] = json!(text);
        segment["text"]["content"] = json!(text);
    }
}

/// An ID for row `n` of a copy: the same `n` gives the same ID.
fn row_id(n: u128) -> PageId {
    PageId::from_u128(0x5eed_0000_0000_4000_8000_0000_0000_0000 | n)
}

impl Sample {
    /// Syncs a world of [`TEMPLATES`] rows into one environment and keeps what the fake
    /// answered (run it on a runtime with the time driver).
    pub async fn make() -> Self {
        let world = World::build(&WorldSpec {
            rows: TEMPLATES,
            environments: 1,
            fake: FakeConfig::default(),
            sync: "Push",
        })
        .await;
        let control = NotionClient::new(
            Arc::new(world.fake.clone()) as DynTransport,
            world.control.token.clone(),
        );
        let options = SyncOptions {
            execute: true,
            ..SyncOptions::default()
        };
        let report = sync(&control, &RegistryConfig::default(), &options, None)
            .await
            .expect("the sample world syncs");
        assert_eq!(
            report.pairs[0].created,
            TEMPLATES,
            "{}",
            report.to_markdown()
        );
        let links = LinksTable::find(&control)
            .await
            .expect("the links table")
            .expect("a links table after a run");
        let target = links.links[0]
            .target_data_source
            .expect("the target is recorded")
            .to_string();
        let env_token = &world.environments[0].workspace.token;
        let control_token = &world.control.token;
        let fake = &world.fake;
        let get =
            |path: String, token| async move { ok(fake, Method::Get, &path, token, None).await };
        let query = |data_source: String, token| async move {
            ok(
                fake,
                Method::Post,
                &format!("/v1/data_sources/{data_source}/query"),
                token,
                Some(json!({"page_size": 100})),
            )
            .await
        };
        let source_schema = get(
            format!("/v1/data_sources/{}", world.source_data_source),
            control_token,
        )
        .await;
        let target_schema = get(format!("/v1/data_sources/{target}"), env_token).await;
        let source_page = query(world.source_data_source.clone(), control_token).await;
        let targets = query(target.clone(), env_token).await;
        let by_key: BTreeMap<String, Value> = targets["results"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|row| (plain_key(row), row.clone()))
            .collect();
        let target_rows = source_page["results"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|row| by_key[row["id"].as_str().unwrap_or_default()].clone())
            .collect();
        Self {
            source_schema,
            target_schema,
            source_page,
            target_rows,
        }
    }

    /// The source rows of [`source_page`](Self::source_page).
    pub fn source_rows(&self) -> &[Value] {
        self.source_page["results"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// A snapshot of `rows` source rows against `rows` target rows, every `differ_every`-th
    /// target row with other `Notes` than its source row.
    pub fn snapshot(&self, rows: usize, differ_every: usize) -> PairSnapshot {
        let templates = self.source_rows();
        let mut source_rows = Vec::with_capacity(rows);
        let mut target_rows = Vec::with_capacity(rows);
        for i in 0..rows {
            let t = i % templates.len();
            let title = format!("Task {i}");
            let source_id = row_id(i as u128);
            let mut source = templates[t].clone();
            source["id"] = json!(source_id.to_string());
            set_text(&mut source["properties"]["Name"], "title", &title);
            let mut target = self.target_rows[t].clone();
            target["id"] = json!(row_id((1 << 40) | i as u128).to_string());
            set_text(&mut target["properties"]["Name"], "title", &title);
            set_text(
                &mut target["properties"][SOURCE_KEY],
                "rich_text",
                &source_id.to_string(),
            );
            if differ_every > 0 && i % differ_every == differ_every / 2 {
                set_text(
                    &mut target["properties"]["Notes"],
                    "rich_text",
                    "changed in the target",
                );
            }
            // As the sync does: each page turned into its content as it is read, then dropped.
            source_rows.push(RowContent::from(&parse_page(source)));
            target_rows.push(RowContent::from(&parse_page(target)));
        }
        let schema = |value: &Value| -> BTreeMap<String, PropertyConfig> {
            serde_json::from_value(value["properties"].clone()).expect("a schema")
        };
        let id = |value: &Value| -> u128 {
            PageId::parse(value["id"].as_str().unwrap_or_default())
                .map(PageId::as_u128)
                .unwrap_or_default()
        };
        let target_database = self.target_schema["parent"]["database_id"]
            .as_str()
            .and_then(|d| DatabaseId::parse(d).ok())
            .unwrap_or(DatabaseId::from_u128(2));
        PairSnapshot {
            pair: SyncPair {
                database_row: PageId::from_u128(1),
                database: "Tasks".to_owned(),
                environment_row: PageId::from_u128(2),
                environment: "Client 1".to_owned(),
                direction: Direction::Push,
            },
            source: DataSourceId::from_u128(id(&self.source_schema)),
            source_title: "Tasks".to_owned(),
            source_look: None,
            source_schema: schema(&self.source_schema),
            source_rows: std::sync::Arc::new(source_rows),
            target: Some(TargetSnapshot {
                database: target_database,
                data_source: DataSourceId::from_u128(id(&self.target_schema)),
                schema: schema(&self.target_schema),
                rows: target_rows,
                outside_parent: None,
                look: None,
                read: Default::default(),
            }),
            target_parent: PageId::from_u128(3),
            refs: std::sync::Arc::default(),
            columns: Default::default(),
            incremental: None,
            watermark: None,
        }
    }
}

/// The source key of a target row, as text.
fn plain_key(row: &Value) -> String {
    row["properties"][SOURCE_KEY]["rich_text"][0]["plain_text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A row as the core reads it.
pub fn parse_page(value: Value) -> Page {
    serde_json::from_value(value).expect("a page")
}
