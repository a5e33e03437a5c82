//! Columns followed by their property ID: a source column renamed, retyped, deleted, its
//! options renamed, recoloured, added and removed, its formula changed — each followed by the
//! copies (one-way and two-way), each followed by a re-run that writes nothing.

use std::collections::BTreeMap;

use notion_xws_core::client::NotionClient;
use notion_xws_core::fake::Fault;
use notion_xws_core::ids::DataSourceId;
use notion_xws_core::model::{Page, PropertyConfig, PropertyConfigKind};
use notion_xws_core::registry::{RegistryConfig, cells};
use notion_xws_core::sync::links::LinksTable;
use notion_xws_core::sync::{RunReport, SyncOptions, sync};
use notion_xws_core::transport::Method;
use serde_json::{Value, json};

use crate::support::fake::{ok, text};
use crate::support::sync::{acme_client, execute, pair, rows, small_world_in};
use crate::support::world::World;

/// A small world of `n` rows synced once (two-way when `two_way`): the world, the control's and
/// Acme's clients, the source and its copy.
async fn synced(
    n: usize,
    two_way: bool,
) -> (
    World,
    NotionClient,
    NotionClient,
    DataSourceId,
    DataSourceId,
) {
    let (world, _acme, source, _rows) = small_world_in(n).await;
    if two_way {
        world.set_sync("Tasks", "Two-Way").await;
    }
    let control = world.client();
    let first = run(&control, &execute()).await;
    assert_eq!(first.exit_status(), 0, "{first:#?}");
    let acme = acme_client(&world).await;
    let links = LinksTable::find(&control).await.unwrap().unwrap();
    let copy = links.links[0].target_data_source.unwrap();
    assert!(
        !links.links[0].columns.is_empty(),
        "the first run records the column map"
    );
    (world, control, acme, source.parse().unwrap(), copy)
}

async fn run(control: &NotionClient, options: &SyncOptions) -> RunReport {
    sync(control, &RegistryConfig::default(), options, None)
        .await
        .unwrap()
}

/// Changes the source's schema as a person would (`PATCH /v1/data_sources/{id}`).
async fn change_source(world: &World, source: DataSourceId, properties: Value) {
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/data_sources/{source}"),
        world.token(),
        Some(json!({ "properties": properties })),
    )
    .await;
}

/// Sets a source row's properties.
async fn edit_row(world: &World, row: &Page, properties: Value) {
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{}", row.id),
        world.token(),
        Some(json!({ "properties": properties })),
    )
    .await;
}

async fn schema(client: &NotionClient, ds: DataSourceId) -> BTreeMap<String, PropertyConfig> {
    client.data_source(ds).await.unwrap().properties
}

/// Each row's text in `column`, by title, sorted.
fn texts(rows: &[Page], column: &str) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = rows
        .iter()
        .map(|row| {
            let value = row.properties.get(column).and_then(cells::text);
            (row.title(), value.unwrap_or_default())
        })
        .collect();
    all.sort();
    all
}

/// The writes (any workspace) the fake received since its `skip`-th request.
fn writes_since(world: &World, skip: usize) -> Vec<String> {
    world.fake.request_log()[skip..]
        .iter()
        .filter(|r| r.method != Method::Get)
        .filter(|r| r.path != "/v1/search" && !r.path.ends_with("/query"))
        .map(|r| format!("{:?} {}", r.method, r.path))
        .collect()
}

/// A run, then a re-run that must write nothing; the first run's report.
async fn run_then_nothing(
    world: &World,
    control: &NotionClient,
    options: &SyncOptions,
) -> RunReport {
    let report = run(control, options).await;
    let skip = world.fake.request_log().len();
    let again = run(control, options).await;
    assert_eq!(again.exit_status(), 0, "{again:#?}");
    assert_eq!(
        writes_since(world, skip),
        Vec::<String>::new(),
        "the re-run writes nothing"
    );
    report
}

fn option_names(config: &PropertyConfig) -> Vec<(String, Option<String>)> {
    let options = match &config.config {
        PropertyConfigKind::Select(s) | PropertyConfigKind::MultiSelect(s) => {
            s.options.clone().unwrap_or_default()
        }
        PropertyConfigKind::Status(s) => s.options.clone().unwrap_or_default(),
        other => panic!("not a select: {other:?}"),
    };
    let mut names: Vec<_> = options.into_iter().map(|o| (o.name, o.color)).collect();
    names.sort();
    names
}

#[tokio::test(start_paused = true)]
async fn a_renamed_column_renames_the_copys_keeping_its_values() {
    let (world, control, acme, source, copy) = synced(3, false).await;
    change_source(&world, source, json!({"Notes": {"name": "Remarks"}})).await;
    let skip = world.fake.request_log().len();
    let report = run_then_nothing(&world, &control, &execute()).await;
    assert_eq!(report.exit_status(), 0, "{report:#?}");
    let columns = schema(&acme, copy).await;
    assert!(
        columns.contains_key("Remarks") && !columns.contains_key("Notes"),
        "{columns:?}"
    );
    assert_eq!(
        texts(&rows(&acme, copy).await, "Remarks"),
        texts(&rows(&control, source).await, "Remarks"),
        "the values are kept"
    );
    let first_run: Vec<String> = writes_since(&world, skip);
    let copy_writes = first_run
        .iter()
        .filter(|w| w.contains(&copy.to_string()))
        .count();
    assert_eq!(
        copy_writes, 1,
        "one schema change, no row write: {first_run:?}"
    );
    assert_eq!(pair(&report, "Tasks").updated, 0);
}

#[tokio::test(start_paused = true)]
async fn a_two_way_copy_follows_the_controls_rename_and_type_change() {
    let (world, control, acme, source, copy) = synced(3, true).await;
    change_source(
        &world,
        source,
        json!({"Notes": {"name": "Remarks"}, "Done": {"name": "Finished", "rich_text": {}}}),
    )
    .await;
    let report = run_then_nothing(&world, &control, &execute()).await;
    assert_eq!(report.exit_status(), 0, "{report:#?}");
    let columns = schema(&acme, copy).await;
    assert!(
        columns.contains_key("Remarks") && !columns.contains_key("Notes"),
        "{columns:?}"
    );
    assert_eq!(columns["Finished"].type_name(), "rich_text");
    assert!(!columns.contains_key("Done"));
    assert_eq!(
        texts(&rows(&acme, copy).await, "Remarks"),
        texts(&rows(&control, source).await, "Remarks")
    );
    // An edit on the environment side still reaches the control under the new name.
    let environment_rows = rows(&acme, copy).await;
    let token = acme.token().clone();
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{}", environment_rows[0].id),
        &token,
        Some(json!({"properties": {"Remarks": {"rich_text": text("edited in Acme")}}})),
    )
    .await;
    let report = run_then_nothing(&world, &control, &execute()).await;
    assert_eq!(report.exit_status(), 0, "{report:#?}");
    assert!(
        texts(&rows(&control, source).await, "Remarks")
            .iter()
            .any(|(_, t)| t == "edited in Acme")
    );
}

#[tokio::test(start_paused = true)]
async fn a_type_change_retypes_the_copys_column_and_later_edits_arrive() {
    let (world, control, acme, source, copy) = synced(3, false).await;
    change_source(
        &world,
        source,
        json!({"Notes": {"select": {"options": [{"name": "Hardware", "color": "red"}, {"name": "Other", "color": "gray"}]}}}),
    )
    .await;
    let source_rows = rows(&control, source).await;
    edit_row(
        &world,
        &source_rows[0],
        json!({"Notes": {"select": {"name": "Hardware"}}}),
    )
    .await;
    let report = run_then_nothing(&world, &control, &execute()).await;
    assert_eq!(report.exit_status(), 0, "{report:#?}");
    let columns = schema(&acme, copy).await;
    assert_eq!(columns["Notes"].type_name(), "select");
    assert!(
        pair(&report, "Tasks")
            .notes
            .iter()
            .any(|n| n.contains("\"Notes\" is a select in the source and was a rich_text"))
    );
    let before = texts(&rows(&acme, copy).await, "Notes");
    assert_eq!(before, texts(&rows(&control, source).await, "Notes"));
    // A later edit arrives.
    edit_row(
        &world,
        &source_rows[0],
        json!({"Notes": {"select": {"name": "Other"}}}),
    )
    .await;
    run_then_nothing(&world, &control, &execute()).await;
    assert_eq!(
        texts(&rows(&acme, copy).await, "Notes"),
        texts(&rows(&control, source).await, "Notes")
    );
    assert!(
        texts(&rows(&acme, copy).await, "Notes")
            .iter()
            .any(|(_, t)| t == "Other")
    );
}

#[tokio::test(start_paused = true)]
async fn a_conversion_notion_refuses_makes_the_column_again_with_a_note() {
    let (world, control, acme, source, copy) = synced(3, false).await;
    change_source(&world, source, json!({"Hours": {"rich_text": {}}})).await;
    let source_rows = rows(&control, source).await;
    edit_row(
        &world,
        &source_rows[1],
        json!({"Hours": {"rich_text": text("about two")}}),
    )
    .await;
    world.fake.fail_next(
        Some(Method::Patch),
        &format!("/v1/data_sources/{copy}"),
        Fault::ValidationError,
    );
    let report = run_then_nothing(&world, &control, &execute()).await;
    assert_eq!(report.exit_status(), 0, "{report:#?}");
    assert!(
        pair(&report, "Tasks")
            .notes
            .iter()
            .any(|n| n.contains("removed and made again")),
        "{:?}",
        pair(&report, "Tasks").notes
    );
    let columns = schema(&acme, copy).await;
    assert_eq!(columns["Hours"].type_name(), "rich_text");
    assert_eq!(
        texts(&rows(&acme, copy).await, "Hours"),
        texts(&rows(&control, source).await, "Hours")
    );
}

#[tokio::test(start_paused = true)]
async fn a_column_deleted_in_the_source_is_kept_then_pruned() {
    let (world, control, acme, source, copy) = synced(3, false).await;
    let kept_values = texts(&rows(&acme, copy).await, "Done");
    change_source(&world, source, json!({"Done": null})).await;
    let report = run_then_nothing(&world, &control, &execute()).await;
    assert_eq!(report.exit_status(), 0, "{report:#?}");
    assert!(
        pair(&report, "Tasks")
            .notes
            .iter()
            .any(|n| n.contains("\"Done\" was deleted in the source")
                && n.contains("--prune-columns"))
    );
    assert_eq!(
        texts(&rows(&acme, copy).await, "Done"),
        kept_values,
        "kept with its values"
    );
    let prune = SyncOptions {
        plan: notion_xws_core::sync::guard::PlanOptions {
            prune_columns: true,
            ..Default::default()
        },
        ..execute()
    };
    run_then_nothing(&world, &control, &prune).await;
    assert!(!schema(&acme, copy).await.contains_key("Done"));
    // A new source column of the old name is made anew, not matched to anything gone.
    change_source(&world, source, json!({"Done": {"number": {}}})).await;
    run_then_nothing(&world, &control, &execute()).await;
    assert_eq!(schema(&acme, copy).await["Done"].type_name(), "number");
}

#[tokio::test(start_paused = true)]
async fn options_follow_by_id_renamed_recoloured_added_removed_and_swapped() {
    let (world, control, acme, source, copy) = synced(4, false).await;
    // The source's options: New (blue) and Later (made by a row's value).
    let stage = schema(&control, source).await["Stage"].clone();
    let PropertyConfigKind::Select(select) = &stage.config else {
        panic!()
    };
    let options = select.options.clone().unwrap();
    let id_of = |name: &str| {
        options
            .iter()
            .find(|o| o.name == name)
            .unwrap()
            .id
            .clone()
            .unwrap()
    };
    // New and Later swap names, Later turns red, Blocked is added.
    change_source(
        &world,
        source,
        json!({"Stage": {"select": {"options": [
            {"id": id_of("New"), "name": "Later"},
            {"id": id_of("Later"), "name": "New", "color": "red"},
            {"name": "Blocked", "color": "green"},
        ]}}}),
    )
    .await;
    let report = run_then_nothing(&world, &control, &execute()).await;
    assert_eq!(report.exit_status(), 0, "{report:#?}");
    let source_schema = schema(&control, source).await;
    let copy_schema = schema(&acme, copy).await;
    assert_eq!(
        option_names(&copy_schema["Stage"]),
        option_names(&source_schema["Stage"])
    );
    assert_eq!(
        texts(&rows(&acme, copy).await, "Stage"),
        texts(&rows(&control, source).await, "Stage"),
        "values follow their options"
    );
    assert_eq!(
        pair(&report, "Tasks").updated,
        0,
        "no row is written for a renamed option"
    );
    // An option removed in the source is removed from the copy.
    change_source(
        &world,
        source,
        json!({"Stage": {"select": {"options": [{"name": "Later"}, {"name": "New"}]}}}),
    )
    .await;
    run_then_nothing(&world, &control, &execute()).await;
    let copy_schema = schema(&acme, copy).await;
    assert!(
        !option_names(&copy_schema["Stage"])
            .iter()
            .any(|(n, _)| n == "Blocked")
    );
}

#[tokio::test(start_paused = true)]
async fn a_formula_follows_its_expression_and_its_columns_renames() {
    let (world, control, acme, source, copy) = synced(2, false).await;
    change_source(
        &world,
        source,
        json!({"Double": {"formula": {"expression": "prop(\"Hours\") * 2"}}}),
    )
    .await;
    run_then_nothing(&world, &control, &execute()).await;
    let expression = |schema: &BTreeMap<String, PropertyConfig>| match &schema["Double"].config {
        PropertyConfigKind::Formula(f) => f.expression.clone().unwrap(),
        other => panic!("{other:?}"),
    };
    let copy_schema = schema(&acme, copy).await;
    let hours = copy_schema["Hours"].id.clone().unwrap();
    assert!(
        expression(&copy_schema)
            .starts_with(&format!("{{{{notion:block_property:{}:", hours.as_str())),
        "Notion keeps a formula by property ID: {}",
        expression(&copy_schema)
    );
    change_source(
        &world,
        source,
        json!({"Double": {"formula": {"expression": "prop(\"Hours\") * 3"}}, "Hours": {"name": "Effort"}}),
    )
    .await;
    run_then_nothing(&world, &control, &execute()).await;
    let copy_schema = schema(&acme, copy).await;
    assert!(copy_schema.contains_key("Effort"));
    assert!(
        expression(&copy_schema).ends_with("* 3"),
        "{}",
        expression(&copy_schema)
    );
}

#[tokio::test(start_paused = true)]
async fn two_columns_swapping_names_keep_their_values() {
    let (world, control, acme, source, copy) = synced(3, false).await;
    let notes = texts(&rows(&acme, copy).await, "Notes");
    change_source(&world, source, json!({"Notes": {"name": "Swap"}})).await;
    change_source(&world, source, json!({"Due": {"name": "Notes"}})).await;
    change_source(&world, source, json!({"Swap": {"name": "Due"}})).await;
    let report = run_then_nothing(&world, &control, &execute()).await;
    assert_eq!(report.exit_status(), 0, "{report:#?}");
    let columns = schema(&acme, copy).await;
    assert_eq!(columns["Due"].type_name(), "rich_text");
    assert_eq!(columns["Notes"].type_name(), "date");
    assert_eq!(texts(&rows(&acme, copy).await, "Due"), notes, "values kept");
    assert_eq!(columns.len(), schema(&acme, copy).await.len());
    assert!(
        !columns.keys().any(|k| k.contains("renaming")),
        "{columns:?}"
    );
}
