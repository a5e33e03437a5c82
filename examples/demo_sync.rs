//! The whole flow in Rust, on the fake Notion's demo world: audit, repair, sync, sync again.
//!
//! `cargo run -p examples --example demo_sync`

use std::sync::Arc;

use notion_xws_core::client::NotionClient;
use notion_xws_core::demo::DemoWorld;
use notion_xws_core::fake::{FakeConfig, FakeNotion};
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::sync::{SyncOptions, sync};
use notion_xws_core::transport::stack::{StackConfig, TransportStack};
use notion_xws_core::{audit, repair};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), notion_xws_core::Error> {
    let fake = FakeNotion::new(FakeConfig::default());
    let world = DemoWorld::build(&fake).await?;
    let stack = TransportStack::new(Arc::new(fake), StackConfig::default());
    let control = NotionClient::new(stack.transport(), world.control_token.clone());
    let config = RegistryConfig::default();

    let (registry, report) = audit::audit(&control, &config).await?;
    println!(
        "audit: {} environments ({} with an invalid token), {} databases ({} without a Data Source ID), {} findings",
        report.summary.environments,
        report.summary.environments_with_invalid_token,
        report.summary.databases,
        report.summary.databases_without_data_source_id,
        report.summary.findings
    );
    let plan = repair::plan_repair(&registry, &report, &repair::today_utc());
    let repaired = repair::apply_repair(&control, &registry, &plan).await;
    println!(
        "repair: {} changes applied, {} failed",
        repaired.applied(),
        repaired.failed()
    );

    let options = SyncOptions {
        execute: true,
        ..SyncOptions::default()
    };
    for run in ["first", "second"] {
        let report = sync(&control, &config, &options, None).await?;
        let created: usize = report.pairs.iter().map(|p| p.created).sum();
        println!(
            "{run} sync: {created} rows created, {} writes",
            report.writes()
        );
    }
    println!(
        "requests that reached the fake: {}",
        stack.recorder().count()
    );
    Ok(())
}
