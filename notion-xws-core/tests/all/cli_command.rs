//! The command's own options and small commands, run as a user runs them: `-v`, `--log-level`
//! and `--log-format json` on stderr (a retry said in words), `me`, `transfer`, `parse-link
//! --json` and `completions`.

use notion_xws_core::fake::{FakeNotion, Fault};
use notion_xws_core::transport::Method;
use serde_json::Value;

use crate::cli::{notion_xws, text};
use crate::support::fake::{row, tasks_database};

#[tokio::test]
async fn a_retry_is_said_in_words_and_the_log_options_choose_level_and_format() {
    let fake = FakeNotion::default();
    let control = fake.add_workspace("Seren Media");
    let server = fake.serve().await.unwrap();
    let base_url = server.base_url();
    let env = [
        ("NOTION_TOKEN", control.token.expose()),
        ("NOTION_BASE_URL", base_url.as_str()),
    ];

    // By default, the retry's warning in words.
    fake.fail_next(
        Some(Method::Get),
        "/v1/users/me",
        Fault::InternalServerError,
    );
    let me = notion_xws(&["me"], &env).await;
    assert_eq!(me.status.code(), Some(0), "{}", text(&me.stderr));
    let stderr = text(&me.stderr);
    assert!(
        stderr.contains("GET /v1/users/me: Notion failed (500) on a read; trying again in")
            && stderr.contains("(attempt 2 of at most"),
        "{stderr}"
    );
    assert!(text(&me.stdout).contains("in the workspace Seren Media"));

    // --log-level error hides it.
    fake.fail_next(
        Some(Method::Get),
        "/v1/users/me",
        Fault::InternalServerError,
    );
    let quiet = notion_xws(&["--log-level", "error", "me"], &env).await;
    assert_eq!(quiet.status.code(), Some(0));
    assert_eq!(text(&quiet.stderr), "");

    // -v says a 429's wait too; --log-format json makes each line a JSON object.
    fake.fail_next(
        Some(Method::Get),
        "/v1/users/me",
        Fault::RateLimited { retry_after: 1 },
    );
    let json = notion_xws(&["-v", "--log-format", "json", "me", "--json"], &env).await;
    assert_eq!(json.status.code(), Some(0), "{}", text(&json.stderr));
    let lines: Vec<Value> = text(&json.stderr)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let messages: Vec<&str> = lines
        .iter()
        .filter_map(|l| l["fields"]["message"].as_str())
        .collect();
    assert!(
        messages.iter().any(
            |m| m.starts_with("Notion asked to slow down (429): this token's requests wait 1s")
        ),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("Notion rate-limited the token (429)")
                && m.contains("trying again in")),
        "{messages:?}"
    );
    assert!(lines.iter().all(|l| l["level"].is_string()));
    let identity: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(identity["workspace_name"], "Seren Media");
    assert_eq!(identity["workspace_id"], control.workspace_id.to_string());
    for output in [&me, &quiet, &json] {
        for stream in [&output.stdout, &output.stderr] {
            assert!(!text(stream).contains(control.token.expose()));
        }
    }
}

#[tokio::test]
async fn transfer_copies_a_database_into_another_workspace_once() {
    let fake = FakeNotion::default();
    let control = fake.add_workspace("Seren Media");
    let other = fake.add_workspace("Acme");
    let parent = control.root_page_id.to_string();
    let (database, data_source) = tasks_database(&fake, &control.token, &parent).await;
    for (i, name) in ["one", "two", "three"].iter().enumerate() {
        row(&fake, &control.token, &data_source, name, i as i64).await;
    }
    let server = fake.serve().await.unwrap();
    let base_url = server.base_url();
    let env = [
        ("NOTION_TOKEN", control.token.expose()),
        ("ACME_TOKEN", other.token.expose()),
        ("NOTION_BASE_URL", base_url.as_str()),
    ];
    let target = other.root_page_id.to_string();
    let args = [
        "--requests-per-minute",
        "60000",
        "transfer",
        &database,
        "--target-parent",
        &target,
        "--target-token-env",
        "ACME_TOKEN",
        "--json",
    ];
    let dry = notion_xws(&args, &env).await;
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry.stderr));
    let planned: Value = serde_json::from_slice(&dry.stdout).unwrap();
    assert_eq!(planned["dry_run"], true, "{planned}");

    let first = notion_xws(&[&args[..], &["--execute"]].concat(), &env).await;
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let done: Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(done["pairs"][0]["created"], 3, "{done}");

    let again = notion_xws(&[&args[..], &["--execute"]].concat(), &env).await;
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    let second: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(second["pairs"][0]["created"], 0, "{second}");

    // The other workspace's token comes only from the variable named.
    let missing = notion_xws(&args, &env[..1]).await;
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("ACME_TOKEN"));
}

#[tokio::test]
async fn parse_link_json_gives_each_links_parts_or_its_error() {
    let link = "https://www.notion.so/acme/Tasks-0123456789abcdef0123456789abcdef?v=fedcba9876543210fedcba9876543210";
    let output = notion_xws(&["parse-link", "--json", link, "not a link"], &[]).await;
    assert_eq!(output.status.code(), Some(1));
    let parsed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(parsed[0]["input"], link);
    assert_eq!(parsed[0]["id"], "01234567-89ab-cdef-0123-456789abcdef");
    assert_eq!(parsed[0]["view_id"], "fedcba98-7654-3210-fedc-ba9876543210");
    assert_eq!(parsed[1]["input"], "not a link");
    assert!(parsed[1]["error"].is_string());
    assert_eq!(text(&output.stderr), "");
}

#[tokio::test]
async fn completions_for_bash_zsh_and_fish_name_every_subcommand() {
    for shell in ["bash", "zsh", "fish"] {
        let output = notion_xws(&["completions", shell], &[]).await;
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = text(&output.stdout);
        for name in [
            "init",
            "transfer",
            "parse-link",
            "log-format",
            "conflicts",
            "control-wins",
        ] {
            assert!(script.contains(name), "{shell} lacks {name}");
        }
    }
    let output = notion_xws(&["completions", "tcsh"], &[]).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("[possible values: bash"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn python_s_option_names_are_aliases_on_the_command_line() {
    use notion_xws_core::cli::{Cli, Command};
    for argv in [
        [
            "notion-xws",
            "plan",
            "--only",
            "Acme",
            "--conflict-policy",
            "control-wins",
        ],
        [
            "notion-xws",
            "plan",
            "--client",
            "Acme",
            "--conflicts",
            "control-wins",
        ],
    ] {
        let cli = Cli::from_argv(argv).unwrap();
        let Command::Plan { sync, .. } = cli.command else {
            panic!("{argv:?} is not a plan");
        };
        assert_eq!(sync.client.as_deref(), Some("Acme"));
        assert_eq!(sync.conflicts, "control-wins");
    }
}
