//! The tool's tables found by title: one search a run lists `system-environments`,
//! `system-databases`, `system-sync-links` and `system-sync-leases` together; a table it cannot
//! answer for (past a page of such tables, or a search made long before) is searched for by its
//! own title, and never made twice.

use std::time::Duration;

use notion_xws_core::audit::audit_registry;
use notion_xws_core::client::NotionClient;
use notion_xws_core::progress::Reporter;
use notion_xws_core::registry::{Registry, RegistryConfig};
use notion_xws_core::sync::RunReport;
use notion_xws_core::transport::Method;
use serde_json::json;

use crate::support::sync::{execute, pair, small_world, sync_without_failures};
use crate::support::world::{World, create_database};

async fn run(control: &NotionClient) -> RunReport {
    sync_without_failures(control, &execute()).await
}

/// The searches of the control workspace the fake answered since its `skip`-th request.
fn searches_since(world: &World, skip: usize) -> usize {
    world.fake.request_log()[skip..]
        .iter()
        .filter(|r| r.method == Method::Post && r.path == "/v1/search")
        .filter(|r| r.workspace.as_deref() == Some(world.control.name.as_str()))
        .count()
}

/// The live data sources of the control workspace titled exactly `title`.
async fn titled(control: &NotionClient, title: &str) -> usize {
    use futures::TryStreamExt;
    control
        .search_data_sources(title)
        .try_filter(|s| std::future::ready(s.title_text() == title && !s.in_trash()))
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .len()
}

#[tokio::test(start_paused = true)]
async fn a_run_finds_the_tool_s_tables_with_one_search() {
    let (world, _source, _made) = small_world(20).await;
    let control = world.client();
    run(&control).await;
    tokio::time::sleep(Duration::from_secs(600)).await;
    // The tables exist now: a run searches for them once, and for `Clients` once.
    let skip = world.fake.request_log().len();
    let report = run(&control).await;
    assert!(pair(&report, "Tasks").incremental, "{report:#?}");
    assert_eq!(searches_since(&world, skip), 2);
    // The audit alone: the same two, and its look for copies of tokens among every data source
    // of the workspace.
    let skip = world.fake.request_log().len();
    notion_xws_core::audit::audit(&control, &RegistryConfig::default())
        .await
        .unwrap();
    assert_eq!(searches_since(&world, skip), 3);
    for title in ["system-sync-links", "system-sync-leases"] {
        assert_eq!(titled(&control, title).await, 1, "{title}");
    }
}

#[tokio::test(start_paused = true)]
async fn past_a_page_of_system_tables_each_table_is_searched_for_by_its_title() {
    let (world, _source, _made) = small_world(20).await;
    let control = world.client();
    run(&control).await;
    // 101 more data sources whose titles begin like the tool's: one page of search cannot list
    // them all.
    for n in 0..101 {
        create_database(
            &world.fake,
            world.token(),
            &world.library,
            &format!("system-notes {n}"),
            json!({"Name": {"title": {}}}),
        )
        .await;
    }
    tokio::time::sleep(Duration::from_secs(600)).await;
    let skip = world.fake.request_log().len();
    let report = run(&control).await;
    let tasks = pair(&report, "Tasks");
    assert!(tasks.incremental, "{report:#?}");
    assert_eq!(tasks.created, 0, "{report:#?}");
    // Two pages of the search that could not answer, then each table by its title (the
    // registry's two, the links table for the audit, the leases table for the sync), and
    // `Clients`.
    assert_eq!(searches_since(&world, skip), 2 + 4 + 1);
    // Nothing made twice.
    for title in ["system-sync-links", "system-sync-leases"] {
        assert_eq!(titled(&control, title).await, 1, "{title}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_registry_read_long_ago_has_its_tables_searched_for_again() {
    let (world, _source, _made) = small_world(20).await;
    let control = world.client();
    run(&control).await;
    let registry = Registry::read(&control, &RegistryConfig::default())
        .await
        .unwrap();
    // Audited at once, the registry's search serves the audit: no search.
    let skip = world.fake.request_log().len();
    let fresh = audit_registry(&control, &registry, &Reporter::new(None))
        .await
        .unwrap();
    assert_eq!(searches_since(&world, skip), 0);
    // Audited after a while (a caller that kept the registry), the links table is searched for
    // again (it may have been trashed or made meanwhile), and found the same.
    tokio::time::sleep(Duration::from_secs(61)).await;
    let skip = world.fake.request_log().len();
    let later = audit_registry(&control, &registry, &Reporter::new(None))
        .await
        .unwrap();
    assert_eq!(searches_since(&world, skip), 1);
    assert_eq!(
        format!("{:?}", later.findings),
        format!("{:?}", fresh.findings)
    );
}
