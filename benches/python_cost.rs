//! Python's cost: the same flow through `notion_xws` from Python against the Rust run.
//!
//! The flow is the demo's: on the demo world in an in-memory fake Notion (no rate limit, no
//! latency: what is left is the library's own work), audit, repair, sync, and sync again. It is
//! timed here in Rust (the fake's world built outside the timing, as in the Python script), then
//! `benches/python_cost.py` times the same through the Python package and this prints the ratio.
//! The Python run needs an interpreter with `notion_xws` installed: `NOTION_XWS_PYTHON`, else
//! `.venv/bin/python` of the README's main command, else `python3`; without one, it says so.

use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use notion_xws_core::client::NotionClient;
use notion_xws_core::demo::DemoWorld;
use notion_xws_core::fake::{FakeConfig, FakeNotion};
use notion_xws_core::rate::RateBudget;
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::sync::{SyncOptions, sync};
use notion_xws_core::transport::stack::{StackConfig, TransportStack};
use notion_xws_core::{audit, repair};

const RUNS: usize = 15;

/// One timed run of the flow, in seconds.
async fn flow() -> f64 {
    let fake = FakeNotion::new(FakeConfig::default());
    let world = DemoWorld::build(&fake).await.expect("the demo world");
    let start = Instant::now();
    // The stack the Python client builds over a fake in memory: retries, no pacing of its own.
    let stack = TransportStack::new(
        Arc::new(fake),
        StackConfig {
            budget: RateBudget::new(u32::MAX, u32::MAX),
            ..StackConfig::default()
        },
    );
    let control = NotionClient::new(stack.transport(), world.control_token.clone());
    let config = RegistryConfig::default();
    // Two audits, as in Python: `audit()`, then `repair()`, which audits before it plans.
    audit::audit(&control, &config).await.expect("an audit");
    let (registry, report) = audit::audit(&control, &config).await.expect("an audit");
    let plan = repair::plan_repair(&registry, &report, "2026-11-25");
    repair::apply_repair(&control, &registry, &plan).await;
    let options = SyncOptions {
        execute: true,
        ..SyncOptions::default()
    };
    let first = sync(&control, &config, &options, None)
        .await
        .expect("a sync");
    let second = sync(&control, &config, &options, None)
        .await
        .expect("a sync");
    assert_eq!(first.pairs.iter().map(|p| p.created).sum::<usize>(), 194);
    assert_eq!(second.writes(), 0);
    start.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn python() -> Option<String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let candidates = [
        std::env::var("NOTION_XWS_PYTHON").ok(),
        Some(format!("{root}/.venv/bin/python")),
        Some("python3".to_owned()),
    ];
    candidates.into_iter().flatten().find(|python| {
        Command::new(python)
            .args(["-c", "import notion_xws"])
            .output()
            .is_ok_and(|out| out.status.success())
    })
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let rust: Vec<f64> = (0..RUNS).map(|_| runtime.block_on(flow())).collect();
    let rust = median(rust);
    println!("python_cost: Rust, {RUNS} runs, median {rust:.4} s");
    let Some(python) = python() else {
        println!(
            "python_cost: no Python with notion_xws installed (set NOTION_XWS_PYTHON, or run the README's main command first): the ratio is not measured"
        );
        return;
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python_cost.py");
    let out = Command::new(&python)
        .args([script, &RUNS.to_string()])
        .output()
        .expect("the Python run");
    let text = String::from_utf8_lossy(&out.stdout);
    print!("{text}");
    let seconds = text
        .split("median ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|s| s.parse::<f64>().ok());
    match seconds {
        Some(py) => println!("python_cost: Python / Rust = {:.3} ({python})", py / rust),
        None => println!(
            "python_cost: the Python run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}
