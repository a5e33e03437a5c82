//! Reports people read and the plan as data (#18 items 3 and 4), through the command over HTTP
//! against a served fake: the audit's repeated findings grouped, untitled names, plurals, the
//! start, duration and totals of every report, `--format text` within the terminal's width,
//! two-way conflicts as data, the link of a created copy; `plan --json` with every row action
//! and its values before and after, `plan` taking every option of `sync`, the dry-run hint
//! repeating the options given, and a saved plan applied exactly or refused.

use clap::{CommandFactory, Parser};
use notion_xws_core::cli::Cli;
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::sync::sync;
use notion_xws_core::transport::Method;
use serde_json::{Value, json};

use crate::cli::{notion_xws, text};
use crate::support::fake::{ok, text as rich};
use crate::support::sync::{acme_client, execute, rows, small_world, target_of, two_way_world};
use crate::support::world::World;

/// The command's environment for `world` served at `base_url`.
fn env<'a>(world: &'a World, base_url: &'a str) -> [(&'a str, &'a str); 2] {
    [
        ("NOTION_TOKEN", world.token().expose()),
        ("NOTION_BASE_URL", base_url),
    ]
}

const FAST: [&str; 2] = ["--requests-per-minute", "60000"];

/// Runs the command with the fast budget; its output.
async fn run(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    notion_xws(&[&FAST[..], args].concat(), env).await
}

/// Sets a source row's `Notes`, as a person would.
async fn note(world: &World, row: &str, note: &str) {
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{row}"),
        world.token(),
        Some(json!({"properties": {"Notes": {"rich_text": rich(note)}}})),
    )
    .await;
}

/// The notes of the copy's rows, by title.
async fn copy_notes(world: &World) -> std::collections::BTreeMap<String, Value> {
    let control = world.client();
    let copy = target_of(&control, "Tasks", "Acme").await.unwrap();
    rows(&acme_client(world).await, copy)
        .await
        .iter()
        .map(|page| {
            let notes = notion_xws_core::sync::values::canonical(&page.properties["Notes"])
                .map(|c| c.value)
                .unwrap_or(Value::Null);
            (page.title(), notes)
        })
        .collect()
}

#[tokio::test]
async fn the_audit_groups_repeated_findings_and_names_untitled_rows_with_plurals() {
    let world = World::new(true).await;
    let mut names = Vec::new();
    for name in ["Alpha", "Beta", "Gamma"] {
        let (db, _) = world.source(name).await;
        let url = format!("https://www.notion.so/{}", db.replace('-', ""));
        world.database_row(name, "", ["", "", "", &url]).await;
        names.push(name);
    }
    // A row with an empty name.
    ok(
        &world.fake,
        Method::Post,
        "/v1/pages",
        world.token(),
        Some(json!({"parent": {"data_source_id": world.databases}, "properties": {"Name": {"title": []}}})),
    )
    .await;
    let server = world.fake.serve().await.unwrap();
    let base_url = server.base_url();
    let env = env(&world, &base_url);

    let audit = run(&["audit", "--format", "markdown"], &env).await;
    let markdown = text(&audit.stdout);
    let grouped: Vec<&str> = markdown
        .lines()
        .filter(|l| l.contains("`database.data-source-id-missing`"))
        .collect();
    assert_eq!(
        grouped.len(),
        1,
        "one line for the three findings: {markdown}"
    );
    assert!(
        grouped[0].starts_with("- **3 findings** `database.data-source-id-missing`"),
        "{markdown}"
    );
    let names_line = markdown
        .lines()
        .find(|l| l.trim_start().starts_with("Names: Alpha"))
        .unwrap_or_else(|| panic!("{markdown}"));
    assert!(names_line.contains("Alpha, Beta, Gamma"), "{names_line}");
    assert!(
        !markdown.contains("****"),
        "an empty name in bold: {markdown}"
    );
    assert!(markdown.contains("(untitled)"), "{markdown}");
    assert!(!markdown.contains("(s)"), "{markdown}");
    // When it ran, how long, and the findings' total.
    assert!(markdown.contains("Started 20"), "{markdown}");
    assert!(markdown.contains(", took "), "{markdown}");
    assert!(markdown.contains("| Total |"), "{markdown}");
    // The JSON keeps each finding, with the audit's start and duration.
    let json = run(&["audit", "--json"], &env).await;
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    let missing = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "database.data-source-id-missing")
        .count();
    assert_eq!(missing, 3);
    assert!(report["started_at"].is_string() && report["duration_ms"].is_u64());
    // `--format json` is `--json`.
    let same = run(&["audit", "--format", "json"], &env).await;
    let again: Value = serde_json::from_slice(&same.stdout).unwrap();
    assert_eq!(again["findings"], report["findings"]);
}

#[tokio::test]
async fn text_reports_fit_the_terminal_width() {
    let (world, _source, _rows) = small_world(3).await;
    let server = world.fake.serve().await.unwrap();
    let base_url = server.base_url();
    let [token, base] = env(&world, &base_url);
    let env = [token, base, ("COLUMNS", "80")];
    for args in [
        &["audit", "--format", "text"][..],
        &["plan", "--format", "text"][..],
        &["repair", "--format", "text"][..],
        &["sync", "--format", "text", "--client", "Acme"][..],
    ] {
        let output = run(args, &env).await;
        let stdout = text(&output.stdout);
        assert!(!stdout.is_empty(), "{args:?}: {}", text(&output.stderr));
        for line in stdout.lines() {
            assert!(
                line.chars().count() <= 80,
                "{args:?}: a line of {} columns: {line:?}\n{stdout}",
                line.chars().count()
            );
        }
        assert!(
            !stdout.contains("|---"),
            "{args:?}: a Markdown table: {stdout}"
        );
        if args[0] == "sync" {
            // The command that applies it on a line of its own, as it is typed.
            assert!(
                stdout.contains("to apply, run:\n  notion-xws sync --execute --client Acme\n"),
                "{stdout}"
            );
        }
    }
    let narrow = [token, base, ("COLUMNS", "40")];
    let plan = run(&["plan", "--format", "text"], &narrow).await;
    let stdout = text(&plan.stdout);
    assert!(stdout.lines().all(|l| l.chars().count() <= 40), "{stdout}");
    assert!(stdout.contains("Total"), "{stdout}");
}

#[tokio::test]
async fn plan_json_lists_each_row_action_with_its_values_and_the_copy_link_is_reported() {
    let (world, _source, rows_made) = small_world(3).await;
    let server = world.fake.serve().await.unwrap();
    let base_url = server.base_url();
    let env = env(&world, &base_url);

    // No copy yet: the database to create, with its columns, and a create per row.
    let first = run(&["plan", "--json"], &env).await;
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let planned: Value = serde_json::from_slice(&first.stdout).unwrap();
    let plan = &planned["pairs"][0]["plan"];
    assert_eq!(plan["schema"][0]["step"], "create_database", "{plan}");
    assert!(plan["schema"][0]["columns"]["Notes"].is_object(), "{plan}");
    let actions = plan["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 3, "{plan}");
    assert!(actions.iter().all(|a| a["action"] == "create"));
    assert_eq!(actions[0]["title"], "Row 0");
    assert!(planned["started_at"].is_string() && planned["duration_ms"].is_u64());
    assert_eq!(planned["totals"]["created"], 3, "{planned}");

    // The run that makes the copy names its link.
    let synced = run(&["sync", "--execute", "--json"], &env).await;
    assert_eq!(synced.status.code(), Some(0), "{}", text(&synced.stderr));
    let report: Value = serde_json::from_slice(&synced.stdout).unwrap();
    let control = world.client();
    let copy = notion_xws_core::sync::links::LinksTable::find(&control)
        .await
        .unwrap()
        .unwrap()
        .links[0]
        .target_database
        .unwrap();
    let link = format!("https://www.notion.so/{}", copy.simple());
    assert_eq!(report["pairs"][0]["created_url"], link.as_str(), "{report}");
    assert_eq!(report["totals"]["copies_created"], 1, "{report}");
    assert!(
        report["pairs"][0].get("plan").is_none(),
        "a run that writes has no plan"
    );

    // An edit: the update, with the value before and after.
    note(&world, &rows_made[1], "edited").await;
    let second = run(&["plan", "--json"], &env).await;
    let planned: Value = serde_json::from_slice(&second.stdout).unwrap();
    let actions = planned["pairs"][0]["plan"]["actions"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(actions.len(), 1, "{planned}");
    let update = &actions[0];
    assert_eq!(update["action"], "update");
    assert_eq!(update["title"], "Row 1");
    assert_eq!(update["from"], rows_made[1].as_str());
    assert_eq!(
        update["changes"],
        json!([{"property": "Notes", "before": "note 1", "after": "edited"}]),
        "{update}"
    );
    assert!(
        planned["pairs"][0]["plan"]["schema"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // In Markdown, the link of the copy the run made.
    let (world, _source, _rows) = small_world(1).await;
    let server = world.fake.serve().await.unwrap();
    let base_url = server.base_url();
    let env = crate::reports::env(&world, &base_url);
    let made = run(&["sync", "--execute", "--format", "markdown"], &env).await;
    let markdown = text(&made.stdout);
    assert!(
        markdown.contains("- copy created: https://www.notion.so/"),
        "{markdown}"
    );
    assert!(markdown.contains("| Total |"), "{markdown}");
}

#[tokio::test]
async fn a_two_way_conflict_is_data_in_the_json_and_counted_in_the_table() {
    let (world, _source, made) = two_way_world(2).await;
    let control = world.client();
    sync(&control, &RegistryConfig::default(), &execute(), None)
        .await
        .unwrap();
    let copy = target_of(&control, "Tasks", "Acme").await.unwrap();
    let acme = acme_client(&world).await;
    let environment_row = rows(&acme, copy)
        .await
        .into_iter()
        .find(|p| p.title() == "Row 0")
        .unwrap()
        .id;
    note(&world, &made[0], "control says").await;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{environment_row}"),
        acme.token(),
        Some(json!({"properties": {"Notes": {"rich_text": rich("environment says")}}})),
    )
    .await;
    let server = world.fake.serve().await.unwrap();
    let base_url = server.base_url();
    let env = env(&world, &base_url);
    let plan = run(&["plan", "--json"], &env).await;
    assert_eq!(plan.status.code(), Some(3), "{}", text(&plan.stderr));
    let report: Value = serde_json::from_slice(&plan.stdout).unwrap();
    let conflicts = report["pairs"][0]["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 1, "{report}");
    let conflict = &conflicts[0];
    assert_eq!(conflict["property"], "Notes");
    assert_eq!(conflict["control_value"], "control says");
    assert_eq!(conflict["environment_value"], "environment says");
    assert_eq!(conflict["control_row"], made[0].as_str());
    assert_eq!(conflict["environment_row"], environment_row.to_string());
    assert_eq!(conflict["resolution"], "reported");
    assert!(
        conflict["since"]
            .as_str()
            .is_some_and(|s| s.starts_with("20"))
    );
    assert_eq!(report["totals"]["conflicts"], 1);
    let markdown = text(&run(&["plan", "--format", "markdown"], &env).await.stdout);
    assert!(
        markdown.contains("| Pair | State | Created | Updated | Trashed | Unchanged | Conflicts |"),
        "{markdown}"
    );
    let row = markdown
        .lines()
        .find(|l| l.starts_with("| Tasks ↔ Acme |"))
        .unwrap();
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    assert_eq!(cells[7], "1", "{row}");
    assert!(
        markdown.contains("1 conflict named in the notes"),
        "{markdown}"
    );
}

#[test]
fn plan_takes_every_option_sync_takes() {
    let command = Cli::command();
    let sync = command.find_subcommand("sync").unwrap();
    let plan = command.find_subcommand("plan").unwrap();
    let mut checked = 0;
    for arg in sync.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        // `--execute` and `--plan` are what makes `sync` apply: not options of a plan.
        if matches!(long, "execute" | "plan" | "help") || arg.is_global_set() {
            continue;
        }
        assert!(
            plan.get_arguments().any(|a| a.get_long() == Some(long)),
            "plan lacks --{long}"
        );
        let mut argv = vec![
            "notion-xws".to_owned(),
            "plan".to_owned(),
            format!("--{long}"),
        ];
        if arg.get_action().takes_values() {
            let possible = arg.get_possible_values();
            let value = match possible.first() {
                Some(value) => value.get_name().to_owned(),
                None => match arg
                    .get_value_names()
                    .and_then(|n| n.first())
                    .map(|n| n.as_str())
                {
                    Some("DURATION") => "1h".to_owned(),
                    Some("URL") => "https://hooks.example.com/notion-xws".to_owned(),
                    _ => "Acme".to_owned(),
                },
            };
            argv.push(value);
        }
        Cli::try_parse_from(&argv).unwrap_or_else(|e| panic!("{argv:?}: {e}"));
        checked += 1;
    }
    assert!(checked >= 12, "only {checked} options of sync");
    // `--plan` needs `--execute`.
    assert!(Cli::try_parse_from(["notion-xws", "sync", "--plan", "plan.json"]).is_err());
}

#[tokio::test]
async fn the_dry_run_hint_repeats_the_options_given() {
    let (world, _source, _rows) = small_world(1).await;
    let server = world.fake.serve().await.unwrap();
    let base_url = server.base_url();
    let env = env(&world, &base_url);
    let plan = run(
        &[
            "plan",
            "--format",
            "markdown",
            "--client",
            "Acme",
            "--conflicts",
            "control-wins",
            "--allow-mass-delete",
            "--people-fallback",
            "names",
        ],
        &env,
    )
    .await;
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan.stderr));
    let stdout = text(&plan.stdout);
    assert!(
        stdout.contains(
            "run `notion-xws sync --execute --client Acme --allow-mass-delete --conflicts \
             control-wins --people-fallback names` to apply"
        ),
        "{stdout}"
    );
    let bare = run(&["plan", "--format", "markdown"], &env).await;
    assert!(text(&bare.stdout).contains("run `notion-xws sync --execute` to apply"));
}

#[tokio::test]
async fn a_saved_plan_is_applied_exactly_or_refused_when_a_planned_row_changed() {
    let (world, source, made) = small_world(3).await;
    let control = world.client();
    sync(&control, &RegistryConfig::default(), &execute(), None)
        .await
        .unwrap();
    let server = world.fake.serve().await.unwrap();
    let base_url = server.base_url();
    let env = env(&world, &base_url);
    let dir = std::env::temp_dir().join(format!("notion-xws-plans-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("plan.json");
    let file_arg = file.to_string_lossy().into_owned();

    note(&world, &made[1], "planned edit").await;
    let plan = run(&["plan", "--json", "--out", &file_arg], &env).await;
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan.stderr));
    assert!(text(&plan.stderr).contains("sync --execute --plan"));
    let saved = std::fs::read_to_string(&file).unwrap();
    let json: Value = serde_json::from_str(&saved).unwrap();
    assert_eq!(
        (json["format"].as_str(), json["version"].as_u64()),
        (Some("notion-xws-plan"), Some(1))
    );
    assert_eq!(json["pairs"][0]["actions"][0]["action"], "update");
    assert!(
        !saved.contains(world.token().expose()),
        "the plan holds a token"
    );
    let registry = notion_xws_core::registry::Registry::read(&control, &RegistryConfig::default())
        .await
        .unwrap();
    for environment in &registry.environments {
        if let Ok(Some(token)) = environment.token.resolve() {
            assert!(!saved.contains(token.expose()), "the plan holds a token");
        }
    }

    // A row made after the plan is not the plan's: the apply leaves it to the next plan.
    ok(
        &world.fake,
        Method::Post,
        "/v1/pages",
        world.token(),
        Some(json!({"parent": {"data_source_id": source}, "properties": {"Name": {"title": rich("Made later")}}})),
    )
    .await;
    let apply = run(&["sync", "--execute", "--json", "--plan", &file_arg], &env).await;
    assert_eq!(apply.status.code(), Some(0), "{}", text(&apply.stderr));
    let report: Value = serde_json::from_slice(&apply.stdout).unwrap();
    assert_eq!(
        (
            report["pairs"][0]["updated"].as_u64(),
            report["pairs"][0]["created"].as_u64()
        ),
        (Some(1), Some(0)),
        "{report}"
    );
    let notes = copy_notes(&world).await;
    assert_eq!(notes["Row 1"], "planned edit");
    assert!(!notes.contains_key("Made later"), "{notes:?}");

    // A planned row edited after the plan: refused, nothing written, the row named.
    note(&world, &made[2], "second edit").await;
    let stale_file = dir.join("stale.json");
    let stale_arg = stale_file.to_string_lossy().into_owned();
    let plan = run(&["plan", "--json", "--out", &stale_arg], &env).await;
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan.stderr));
    note(&world, &made[2], "edited again").await;
    let writes_before = world
        .fake
        .request_log()
        .iter()
        .filter(|r| {
            r.method != Method::Get && !r.path.ends_with("/query") && r.path != "/v1/search"
        })
        .count();
    let refused = run(&["sync", "--execute", "--plan", &stale_arg], &env).await;
    assert_eq!(refused.status.code(), Some(3), "{}", text(&refused.stderr));
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains("the saved plan no longer holds"),
        "{stderr}"
    );
    assert!(stderr.contains("\"Row 2\""), "{stderr}");
    assert!(stderr.contains("edited since the plan"), "{stderr}");
    let writes_after = world
        .fake
        .request_log()
        .iter()
        .filter(|r| {
            r.method != Method::Get && !r.path.ends_with("/query") && r.path != "/v1/search"
        })
        .count();
    assert_eq!(writes_before, writes_after, "the refused apply wrote");
    assert_eq!(copy_notes(&world).await["Row 2"], "note 2");

    // Other options than the plan's are refused; a file that is not a plan too.
    let other = run(
        &[
            "sync",
            "--execute",
            "--plan",
            &file_arg,
            "--conflicts",
            "control-wins",
        ],
        &env,
    )
    .await;
    assert_eq!(other.status.code(), Some(2), "{}", text(&other.stderr));
    std::fs::write(dir.join("junk.json"), "{\"format\": \"other\"}").unwrap();
    let junk_arg = dir.join("junk.json").to_string_lossy().into_owned();
    let junk = run(&["sync", "--execute", "--plan", &junk_arg], &env).await;
    assert_eq!(junk.status.code(), Some(2), "{}", text(&junk.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}
