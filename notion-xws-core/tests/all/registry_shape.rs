//! The registry's shape (#20 item 3): every column the tool reads is checked for its type, an
//! ambiguous relation for its count, the registry's tables for being what they are named for;
//! a wrong-typed column is a finding that says what type it must be, never read as empty in
//! silence; the repair never writes into a column of the wrong type or into the wrong table,
//! and applies nothing while P0 findings about the registry's shape stand, unless told.

use notion_xws_core::audit::{Severity, audit};
use notion_xws_core::registry::{Registry, RegistryConfig};
use notion_xws_core::repair::{RepairAction, apply_repair, plan_repair};
use notion_xws_core::sync::sync;
use notion_xws_core::transport::Method;
use serde_json::{Value, json};

use crate::duplicates::command;
use crate::support::fake::ok;
use crate::support::sync::{execute, small_world_in};
use crate::support::world::World;

/// Changes (or adds) the columns `properties` of the data source `data_source`.
async fn retype(world: &World, data_source: &str, properties: Value) {
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/data_sources/{data_source}"),
        world.token(),
        Some(json!({ "properties": properties })),
    )
    .await;
}

/// The `(severity, column)` of each `registry.column-type` finding, sorted.
fn column_types(report: &notion_xws_core::audit::AuditReport) -> Vec<(Severity, String)> {
    let mut found: Vec<(Severity, String)> = report
        .findings_of("registry.column-type")
        .map(|f| {
            let column = f.message.split('"').nth(1).unwrap_or_default().to_owned();
            (f.severity, column)
        })
        .collect();
    found.sort();
    found
}

/// The writes the fake received after its first `skip` requests.
fn writes_since(world: &World, skip: usize) -> Vec<String> {
    world
        .fake
        .request_log()
        .iter()
        .skip(skip)
        .filter(|r| {
            r.method != Method::Get && !r.path.ends_with("/query") && r.path != "/v1/search"
        })
        .map(|r| format!("{:?} {}", r.method, r.path))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn wrong_typed_columns_are_findings_and_the_repair_never_writes_into_them() {
    let (world, _acme, _, _) = small_world_in(2).await;
    let control = world.client();
    let config = RegistryConfig::default();
    // Sync as a multi-select with Push chosen, Data Source ID as a number, Token-Checked as text.
    retype(
        &world,
        &world.databases,
        json!({
            "Sync": {"multi_select": {"options": [{"name": "Push"}]}},
            "Data Source ID": {"number": {}},
        }),
    )
    .await;
    retype(
        &world,
        &world.environments,
        json!({"Token-Checked": {"rich_text": {}}}),
    )
    .await;
    let registry = Registry::read(&control, &config).await.unwrap();
    let tasks = registry.databases[0].row;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{tasks}"),
        world.token(),
        Some(json!({"properties": {"Sync": {"multi_select": [{"name": "Push"}]}}})),
    )
    .await;

    let (registry, report) = audit(&control, &config).await.unwrap();
    assert_eq!(
        column_types(&report),
        [
            (Severity::P0, "Data Source ID".to_owned()),
            (Severity::P0, "Sync".to_owned()),
            (Severity::P1, "Token-Checked".to_owned()),
        ],
        "{:#?}",
        report.findings
    );
    let sync_finding = report
        .findings_of("registry.column-type")
        .find(|f| f.message.contains("\"Sync\""))
        .unwrap();
    assert!(
        sync_finding.message.contains("multi_select"),
        "{sync_finding:?}"
    );
    assert!(
        sync_finding.fix.contains("select or status"),
        "{sync_finding:?}"
    );

    // The repair plans nothing into those columns, and applies nothing while they stand.
    let mut plan = plan_repair(&registry, &report, "2026-12-06");
    assert!(
        !plan.actions.iter().any(|a| matches!(
            a,
            RepairAction::SetDataSourceId { .. } | RepairAction::SetTokenHealth { .. }
        )),
        "{plan:#?}"
    );
    assert_eq!(plan.blocked.len(), 2, "{:?}", plan.blocked);
    assert!(!plan.is_empty(), "Token-Status is still to add: {plan:#?}");
    let before = world.fake.request_log().len();
    let refused = apply_repair(&control, &registry, &plan).await;
    assert_eq!(refused.applied(), 0);
    assert!(refused.outcomes.iter().all(|o| {
        o.error
            .as_deref()
            .is_some_and(|e| e.contains("--despite-shape-findings"))
    }));
    assert_eq!(writes_since(&world, before), Vec::<String>::new());
    // Told: what it plans applies, with no write refused by Notion.
    plan.allow_shape_findings();
    let applied = apply_repair(&control, &registry, &plan).await;
    assert_eq!(applied.failed(), 0, "{applied:#?}");
    assert!(applied.applied() > 0);

    // The sync reads Sync as no direction: nothing is synced, and the audit said why.
    let run = sync(&control, &config, &execute(), None).await.unwrap();
    assert!(run.pairs.is_empty(), "{}", run.to_markdown());
}

#[tokio::test(start_paused = true)]
async fn a_token_column_of_the_wrong_type_is_not_an_empty_token() {
    let (world, _acme, _, _) = small_world_in(1).await;
    let control = world.client();
    retype(
        &world,
        &world.environments,
        json!({"Primary-Token": {"number": {}}}),
    )
    .await;
    let (_, report) = audit(&control, &RegistryConfig::default()).await.unwrap();
    assert_eq!(
        column_types(&report),
        [(Severity::P0, "Primary-Token".to_owned())]
    );
    assert_eq!(report.findings_of("token.missing").count(), 0);
    let unreadable: Vec<_> = report.findings_of("token.unreadable").collect();
    assert_eq!(unreadable.len(), 1, "{:#?}", report.findings);
    assert!(
        unreadable[0].message.contains("of type number"),
        "{:?}",
        unreadable[0]
    );
}

#[tokio::test(start_paused = true)]
async fn two_relations_to_the_databases_are_ambiguous_and_none_is_read() {
    let (world, _acme, _, _) = small_world_in(1).await;
    let control = world.client();
    retype(
        &world,
        &world.environments,
        json!({"Archive": {"relation": {"data_source_id": world.databases, "type": "single_property", "single_property": {}}}}),
    )
    .await;
    let (registry, report) = audit(&control, &RegistryConfig::default()).await.unwrap();
    assert_eq!(registry.relation, None);
    assert_eq!(registry.relations.len(), 2);
    let found: Vec<_> = report.findings_of("registry.relation-ambiguous").collect();
    assert_eq!(found.len(), 1, "{:#?}", report.findings);
    assert_eq!(found[0].severity, Severity::P0);
    assert!(found[0].message.contains("\"Archive\""), "{:?}", found[0]);
    assert_eq!(report.findings_of("registry.relation-missing").count(), 0);
    let run = sync(&control, &RegistryConfig::default(), &execute(), None)
        .await
        .unwrap();
    assert!(run.pairs.is_empty(), "no guess: {}", run.to_markdown());
}

#[tokio::test]
async fn swapped_registry_tables_are_found_and_the_command_repairs_nothing() {
    let (world, _acme, _, _) = small_world_in(1).await;
    let control = world.client();
    let swapped = RegistryConfig::new(
        Some(world.databases.clone()),
        Some(world.environments.clone()),
    );
    let (registry, report) = audit(&control, &swapped).await.unwrap();
    let wrong: Vec<_> = report.findings_of("registry.wrong-table").collect();
    assert_eq!(wrong.len(), 2, "{:#?}", report.findings);
    assert!(wrong.iter().all(|f| f.severity == Severity::P0));
    let plan = plan_repair(&registry, &report, "2026-12-06");
    assert!(!plan.is_empty() && !plan.blocked.is_empty(), "{plan:#?}");

    let server = world.fake.serve().await.unwrap();
    let base_url = server.base_url();
    let env = [
        ("NOTION_TOKEN", world.token().expose()),
        ("NOTION_BASE_URL", base_url.as_str()),
    ];
    let before = world.fake.request_log().len();
    let args = [
        "--requests-per-minute",
        "60000",
        "--environments",
        &world.databases,
        "--databases",
        &world.environments,
        "repair",
        "--execute",
    ];
    let output = command(&args, &env).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("registry.wrong-table"), "{stderr}");
    assert!(stderr.contains("--despite-shape-findings"), "{stderr}");
    assert_eq!(writes_since(&world, before), Vec::<String>::new());
    // The dry run shows the plan and what blocks it.
    let dry = command(&args[..args.len() - 1], &env).await;
    assert_eq!(dry.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&dry.stderr).contains("blocked by registry.wrong-table"));
    // The right tables: the repair applies.
    let right = command(
        &["--requests-per-minute", "60000", "repair", "--execute"],
        &env,
    )
    .await;
    assert_eq!(
        right.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&right.stderr)
    );
}

/// Wrong-typed columns and a second relation, through the command over HTTP: `audit --json`
/// names each (`registry.column-type` P0 for `Sync` and `Data Source ID`, saying the type it must
/// be; `registry.relation-ambiguous` P0), `repair --execute` writes nothing and exits 2 naming
/// them, and `sync --execute` syncs nothing (no guess) and writes nothing to the client.
#[tokio::test]
async fn wrong_types_and_two_relations_through_the_command() {
    let (world, acme, _, _) = small_world_in(2).await;
    retype(
        &world,
        &world.databases,
        json!({
            "Sync": {"multi_select": {"options": [{"name": "Push"}]}},
            "Data Source ID": {"number": {}},
        }),
    )
    .await;
    retype(
        &world,
        &world.environments,
        json!({"Archive": {"relation": {"data_source_id": world.databases, "type": "single_property", "single_property": {}}}}),
    )
    .await;
    let server = world.fake.serve().await.unwrap();
    let base_url = server.base_url();
    let env = [
        ("NOTION_TOKEN", world.token().expose()),
        ("NOTION_BASE_URL", base_url.as_str()),
    ];
    let fast = ["--requests-per-minute", "60000"];

    let audit = command(&[&fast[..], &["audit", "--json"]].concat(), &env).await;
    assert_eq!(audit.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&audit.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let of =
        |code: &str| -> Vec<&Value> { findings.iter().filter(|f| f["code"] == code).collect() };
    let mut retyped: Vec<(&str, &str)> = of("registry.column-type")
        .iter()
        .map(|f| {
            let message = f["message"].as_str().unwrap();
            (
                f["severity"].as_str().unwrap(),
                message.split('"').nth(1).unwrap(),
            )
        })
        .collect();
    retyped.sort();
    assert_eq!(
        retyped,
        [("P0", "Data Source ID"), ("P0", "Sync")],
        "{findings:#?}"
    );
    assert!(
        of("registry.column-type")
            .iter()
            .any(|f| f["fix"].as_str().unwrap().contains("select or status")),
        "{findings:#?}"
    );
    let ambiguous = of("registry.relation-ambiguous");
    assert_eq!(ambiguous.len(), 1, "{findings:#?}");
    assert_eq!(ambiguous[0]["severity"], "P0");
    assert!(
        ambiguous[0]["message"]
            .as_str()
            .unwrap()
            .contains("\"Archive\"")
    );

    let before = world.fake.request_log().len();
    let repair = command(&[&fast[..], &["repair", "--execute"]].concat(), &env).await;
    let stderr = String::from_utf8_lossy(&repair.stderr);
    assert_eq!(repair.status.code(), Some(2), "{stderr}");
    for code in ["registry.column-type", "registry.relation-ambiguous"] {
        assert!(stderr.contains(code), "{code}: {stderr}");
    }
    assert_eq!(writes_since(&world, before), Vec::<String>::new());

    let sync = command(
        &[&fast[..], &["sync", "--execute", "--json"]].concat(),
        &env,
    )
    .await;
    let run: Value = serde_json::from_slice(&sync.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&sync.stderr)));
    assert_eq!(run["pairs"], json!([]), "no guess: {run:#}");
    let acme_client = world.client().for_token(acme.token.clone());
    let copies: Vec<_> =
        futures::TryStreamExt::try_collect::<Vec<_>>(acme_client.search_data_sources(""))
            .await
            .unwrap();
    assert!(copies.is_empty(), "{copies:?}");
}
