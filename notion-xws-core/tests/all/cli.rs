//! The `notion-xws` binary, run as a user runs it: the demo, the audit and the repair over HTTP
//! against a served fake, and the exit statuses a scheduler acts on.

use std::process::Output;

use notion_xws_core::demo::{DemoWorld, run_demo};
use notion_xws_core::fake::FakeNotion;

/// Runs the binary with `args` and exactly the environment variables `env` (besides `PATH`).
pub(crate) async fn notion_xws(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_notion-xws"));
    command
        .args(args)
        .env_clear()
        .stdin(std::process::Stdio::null());
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().await.expect("the binary runs")
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn demo_prints_the_demo_report_and_exits_0() {
    let output = notion_xws(&["demo"], &[]).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let expected = run_demo().await.unwrap();
    assert!(expected.succeeded());
    // The same report but for when each part ran and how long it took, and the IDs of the
    // copies made (pairs run at once, and the fake numbers databases in the order they come).
    let timeless = |report: &str| -> String {
        report
            .lines()
            .filter(|l| !l.contains("Started 20"))
            .map(
                |l| match l.split_once("copy created: https://www.notion.so/") {
                    Some((before, _)) => format!("{before}copy created: (a link)"),
                    None => l.to_owned(),
                },
            )
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        timeless(&text(&output.stdout)),
        timeless(&expected.to_markdown())
    );
    let stdout = text(&output.stdout);
    for section in [
        "## 1. audit (read only)",
        "## 2. repair --execute",
        "## 7. relations and people",
    ] {
        assert!(stdout.contains(section), "{section} missing");
    }
}

#[tokio::test]
async fn audit_and_repair_over_http_against_a_served_fake() {
    let fake = FakeNotion::default();
    let world = DemoWorld::build(&fake).await.unwrap();
    let server = fake.serve().await.unwrap();
    let base_url = server.base_url();
    let token = world.control_token.expose();
    let env = [
        ("NOTION_TOKEN", token),
        ("NOTION_BASE_URL", base_url.as_str()),
    ];
    let dir = std::env::temp_dir().join(format!("notion-xws-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let report = dir.join("audit.md");
    let report_arg = report.to_string_lossy().into_owned();
    let fast = ["--requests-per-minute", "60000"];

    let audit = notion_xws(
        &[&fast[..], &["audit", "--markdown", &report_arg]].concat(),
        &env,
    )
    .await;
    // The demo world's registry has blocking findings: exit status 1.
    assert_eq!(audit.status.code(), Some(1), "{}", text(&audit.stderr));
    let summary = text(&audit.stdout);
    assert!(
        summary.starts_with("audit: 18 environments, 100 databases"),
        "{summary}"
    );
    let markdown = std::fs::read_to_string(&report).unwrap();
    assert!(markdown.contains("system-environments"));

    let repair = notion_xws(&[&fast[..], &["repair", "--json"]].concat(), &env).await;
    assert_eq!(repair.status.code(), Some(0), "{}", text(&repair.stderr));
    let json: serde_json::Value = serde_json::from_slice(&repair.stdout).unwrap();
    assert_eq!(json["executed"], false);
    assert_eq!(json["applied"], 0);
    assert!(!json["actions"].as_array().unwrap().is_empty());
    assert_eq!(json["outcomes"].as_array().unwrap().len(), 0);

    // The plan of the whole registry: the pairs of the revoked tokens need a person (exit 3).
    // `plan` takes `sync`'s options, to show what that sync would do.
    let plan_args = [
        "plan",
        "--json",
        "--conflicts",
        "control-wins",
        "--allow-mass-delete",
        "--prune",
    ];
    let plan = notion_xws(&[&fast[..], &plan_args].concat(), &env).await;
    assert_eq!(plan.status.code(), Some(3), "{}", text(&plan.stderr));
    let planned: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    assert_eq!(planned["exit_status"], 3);
    let needs = planned["needs_person"].as_array().unwrap();
    assert_eq!(needs.len(), 7, "{needs:?}");
    assert!(needs.iter().all(|n| n["cause"] == "token"), "{needs:?}");
    // Each pair names the rows added by hand to its copy (none here: no copy yet).
    let pairs = planned["pairs"].as_array().unwrap();
    assert!(
        pairs
            .iter()
            .all(|p| p["added_by_hand"] == serde_json::json!([]))
    );

    for output in [&audit, &repair, &plan] {
        for stream in [&output.stdout, &output.stderr] {
            assert!(!text(stream).contains(token), "the token was printed");
        }
    }
    assert!(!markdown.contains(token), "the token was written");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A command line, its environment, and what its error must say.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

#[tokio::test]
async fn usage_and_configuration_errors_exit_2_and_say_why() {
    let cases: [Case<'_>; 5] = [
        (&["audit"], &[], "NOTION_TOKEN"),
        (
            &["--requests-per-minute", "0", "audit"],
            &[("NOTION_TOKEN", "secret_abc")],
            "at least 1 request a minute",
        ),
        (
            &["sync", "--conflicts", "coin-toss"],
            &[("NOTION_TOKEN", "secret_abc")],
            "invalid value 'coin-toss' for '--conflicts <POLICY>'",
        ),
        (&["frobnicate"], &[], "unrecognized subcommand"),
        (
            &["audit"],
            &[
                ("NOTION_TOKEN", "secret_abc"),
                ("NOTION_BASE_URL", "not a url"),
            ],
            "not a url",
        ),
    ];
    for (args, env, says) in cases {
        let output = notion_xws(args, env).await;
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("secret_abc"),
            "{args:?}: the token was printed"
        );
    }
    let help = notion_xws(&["--help"], &[]).await;
    assert_eq!(help.status.code(), Some(0));
    assert!(text(&help.stdout).contains("never from the command line"));
}

#[tokio::test]
async fn parse_link_names_each_part_and_exits_1_on_a_bad_one() {
    let link = "https://www.notion.so/acme/Roadmap-5b8f0c1de2a34f6789abcdef01234567?v=0123456789abcdef0123456789abcdef";
    let output = notion_xws(&["parse-link", link, "bad"], &[]).await;
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("object (page or database): 5b8f0c1d-e2a3-4f67-89ab-cdef01234567"));
    assert!(stdout.contains("view (v=):                 01234567-89ab-cdef-0123-456789abcdef"));
    assert!(text(&output.stderr).starts_with("bad: "));
}

#[test]
fn a_closed_stdout_or_stderr_is_never_a_panic() {
    let link = "5b8f0c1de2a34f6789abcdef01234567";
    let cases: [(&[&str], i32); 3] = [
        (&["parse-link", link, "bad"], 1),
        (&["audit"], 2),
        (&["--help"], 0),
    ];
    for (args, status) in cases {
        let (out_reader, out_writer) = std::io::pipe().unwrap();
        let (err_reader, err_writer) = std::io::pipe().unwrap();
        // Both pipes are closed before the command writes a byte.
        drop((out_reader, err_reader));
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_notion-xws"));
        command
            .args(args)
            .env_clear()
            .stdout(out_writer)
            .stderr(err_writer);
        let code = command.status().unwrap().code();
        assert_eq!(code, Some(status), "{args:?}: a panic exits 101");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn an_argument_that_is_not_utf8_is_a_usage_error() {
    use std::os::unix::ffi::OsStrExt;
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_notion-xws"))
        .arg("parse-link")
        .arg(std::ffi::OsStr::from_bytes(b"\xff\xfe"))
        .env_clear()
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("UTF-8"),
        "{}",
        text(&output.stderr)
    );
}

#[tokio::test]
async fn a_token_typed_on_the_command_line_is_never_echoed() {
    let secret = "ntn_5upersecret0123456789abcdef";
    for (args, status) in [
        (vec![secret], 2),
        (vec!["sync", "--client", "x", secret], 2),
        (vec!["parse-link", secret], 1),
        (vec!["parse-link", "https://me:ntn_pa55@www.notion.so/x"], 1),
        (
            vec![
                "parse-link",
                "https://me:ntn_pa55@www.notion.so/Roadmap-5b8f0c1de2a34f6789abcdef01234567",
            ],
            0,
        ),
        (vec!["--token-env", secret, "audit"], 2),
        (vec!["--base-url", secret, "audit"], 2),
        (
            vec!["--base-url", "https://me:ntn_pa55@127.0.0.1:9", "audit"],
            2,
        ),
    ] {
        let output = notion_xws(&args, &[("NOTION_TOKEN", "ntn_notused")]).await;
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(status), "{args:?}: {stderr}");
        assert!(!stderr.contains("5upersecret"), "{args:?}: {stderr}");
        assert!(!stderr.contains("pa55"), "{args:?}: {stderr}");
        assert!(!text(&output.stdout).contains("5upersecret"), "{args:?}");
        assert!(!text(&output.stdout).contains("pa55"), "{args:?}");
    }
}

#[tokio::test]
async fn a_refused_control_token_is_named_by_its_variable() {
    let fake = FakeNotion::default();
    let server = fake.serve().await.unwrap();
    let base_url = server.base_url();
    for (variable, args) in [
        ("NOTION_TOKEN", vec!["audit"]),
        (
            "MY_AGENCY_TOKEN",
            vec!["--token-env", "MY_AGENCY_TOKEN", "audit"],
        ),
    ] {
        let env = [
            (variable, "ntn_notaknowntoken000000000000"),
            ("NOTION_BASE_URL", base_url.as_str()),
        ];
        let output = notion_xws(&args, &env).await;
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!("refused the control token in {variable}")),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!("set {variable} to it")),
            "{stderr}"
        );
        assert!(!stderr.contains("notaknowntoken"), "{stderr}");
    }
}

/// `NOTION_TOKEN` as it comes pasted: invisible characters (a byte-order mark, a zero-width space,
/// joiner, a soft hyphen) are left out and the command says so, naming the variable; an empty or
/// malformed one is exit 2, naming it too. The token is never printed.
#[tokio::test]
async fn notion_token_is_read_as_pasted_and_named_in_every_message() {
    let fake = FakeNotion::default();
    let control = fake.add_workspace("Seren Media");
    let server = fake.serve().await.unwrap();
    let base_url = server.base_url();
    let token = control.token.expose();
    let (head, tail) = token.split_at(8);
    for pasted in [
        format!("\u{feff}{token}"),
        format!("{head}\u{200b}{tail}"),
        format!("{head}\u{200d}{tail}\n"),
        format!("\"{head}\u{ad}{tail}\""),
    ] {
        let env = [
            ("NOTION_TOKEN", pasted.as_str()),
            ("NOTION_BASE_URL", base_url.as_str()),
        ];
        let me = notion_xws(&["me"], &env).await;
        let stderr = text(&me.stderr);
        assert_eq!(me.status.code(), Some(0), "{pasted:?}: {stderr}");
        assert!(text(&me.stdout).contains("in the workspace Seren Media"));
        assert!(
            stderr.contains("NOTION_TOKEN holds stray whitespace, quotes or invisible characters"),
            "{pasted:?}: {stderr}"
        );
        assert!(!stderr.contains(tail), "{pasted:?}: the token was printed");
    }
    for (value, says) in [
        ("", "the token is empty"),
        ("  ", "the token is empty"),
        ("ntn_a b", "whitespace"),
    ] {
        let env = [
            ("NOTION_TOKEN", value),
            ("NOTION_BASE_URL", base_url.as_str()),
        ];
        let me = notion_xws(&["me"], &env).await;
        let stderr = text(&me.stderr);
        assert_eq!(me.status.code(), Some(2), "{value:?}: {stderr}");
        assert!(stderr.contains("NOTION_TOKEN"), "{value:?}: {stderr}");
        assert!(stderr.contains(says), "{value:?}: {stderr}");
    }
}

/// An environment's token pasted with invisible characters into `Primary-Token`, through the
/// command: the audit's JSON says `token.needs-cleaning` (not `token.invalid`), and the sync
/// reads the token and copies the pair.
#[cfg(all(feature = "fake", feature = "http"))]
#[tokio::test]
async fn a_token_cell_with_invisible_characters_through_the_command() {
    use notion_xws_core::transport::Method;
    let (world, acme, _, _) = crate::support::sync::small_world_in(2).await;
    let registry = notion_xws_core::registry::Registry::read(
        &world.client(),
        &notion_xws_core::registry::RegistryConfig::default(),
    )
    .await
    .unwrap();
    let row = registry.environments[0].row;
    let (head, tail) = acme.token.expose().split_at(8);
    let pasted = format!("\u{feff}{head}\u{200b}{tail}\u{ad}");
    crate::support::fake::ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{row}"),
        world.token(),
        Some(serde_json::json!({"properties": {"Primary-Token": {"rich_text": crate::support::fake::text(&pasted)}}})),
    )
    .await;
    let server = world.fake.serve().await.unwrap();
    let base_url = server.base_url();
    let env = [
        ("NOTION_TOKEN", world.token().expose()),
        ("NOTION_BASE_URL", base_url.as_str()),
    ];
    let fast = ["--requests-per-minute", "60000"];
    let audit = notion_xws(&[&fast[..], &["audit", "--json"]].concat(), &env).await;
    let report: serde_json::Value = serde_json::from_slice(&audit.stdout).unwrap();
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["subject"] == "Acme")
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"token.needs-cleaning"), "{codes:?}");
    assert!(!codes.contains(&"token.invalid"), "{codes:?}");
    let sync = notion_xws(
        &[&fast[..], &["sync", "--execute", "--json"]].concat(),
        &env,
    )
    .await;
    assert_eq!(sync.status.code(), Some(0), "{}", text(&sync.stderr));
    let run: serde_json::Value = serde_json::from_slice(&sync.stdout).unwrap();
    assert_eq!(run["pairs"][0]["created"], 2, "{run:#}");
    for output in [&audit, &sync] {
        for stream in [&output.stdout, &output.stderr] {
            assert!(!text(stream).contains(tail), "the token was printed");
        }
    }
}

/// An input of 100,000 characters (near the longest one argument may be) is quoted in a bounded
/// slice: the error fits in a line.
#[tokio::test]
async fn a_huge_argument_is_quoted_in_a_bounded_slice() {
    let huge = format!("https://www.notion.so/{}", "x".repeat(100_000));
    let output = notion_xws(&["parse-link", &huge], &[]).await;
    let stderr = text(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        &stderr[..stderr.len().min(300)]
    );
    assert!(stderr.len() < 600, "{} bytes of error", stderr.len());
    let json = notion_xws(&["parse-link", "--json", &huge], &[]).await;
    assert_eq!(json.status.code(), Some(1));
    assert!(json.stdout.len() < 1_000, "{} bytes", json.stdout.len());
}
