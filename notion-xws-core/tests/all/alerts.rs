//! Alerts and status in Notion: every pair's `Status` and reason in its `system-sync-links` row
//! (skipped pairs included, written only when they change), the `--notify` summary posted to a
//! server on 127.0.0.1, and the audit report written as a Notion page.

use std::sync::Arc;

use notion_xws_core::client::NotionClient;
use notion_xws_core::demo::DemoWorld;
use notion_xws_core::fake::{FakeConfig, FakeNotion};
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::repair::{apply_repair, plan_repair};
use notion_xws_core::sync::links::{LinkStatus, LinksTable};
use notion_xws_core::sync::report::PairClass;
use notion_xws_core::sync::{RunReport, sync};
use notion_xws_core::transport::{DynTransport, Method};
use serde_json::json;

use notion_xws_core::sync::notify::{Delivered, Notifier, NotifyOptions};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::fake::ok;
use crate::support::sync::{
    acme_client, execute, fail_every_query_of, small_world, synced_then_mostly_trashed,
};

/// The writes `fake` received since its log was cleared.
fn writes_logged(fake: &FakeNotion) -> Vec<String> {
    fake.request_log()
        .into_iter()
        .filter(|r| {
            !(r.method == Method::Get || r.path == "/v1/search" || r.path.ends_with("/query"))
        })
        .map(|r| format!("{:?} {}", r.method, r.path))
        .collect()
}

/// Every pair of `report` (but a busy one) has a link row whose status is the pair's; a pair
/// that has no copy names none. Returns the statuses seen.
async fn assert_statuses(control: &NotionClient, report: &RunReport) -> Vec<LinkStatus> {
    let links = LinksTable::find(control)
        .await
        .unwrap()
        .expect("a links table");
    assert!(
        links.missing_columns.is_empty(),
        "{:?}",
        links.missing_columns
    );
    let mut seen = Vec::new();
    for pair in &report.pairs {
        if pair.class() == PairClass::Busy {
            continue;
        }
        let link = links
            .link_for(&pair.pair)
            .unwrap_or_else(|| panic!("no link row for {}", pair.pair.label()));
        let wanted = pair.link_status().expect("a status");
        assert_eq!(link.status, wanted, "{}", pair.pair.label());
        if pair.class() == PairClass::Skipped || (pair.attention.is_some() && pair.requests == 0) {
            assert_eq!(link.target_database, None, "{}", pair.pair.label());
        }
        seen.extend(wanted.status);
    }
    seen
}

#[tokio::test(start_paused = true)]
async fn every_pair_of_the_demo_has_its_status_and_a_second_run_writes_nothing() {
    let fake = FakeNotion::new(FakeConfig::default());
    let world = DemoWorld::build(&fake).await.unwrap();
    let control = NotionClient::new(
        Arc::new(fake.clone()) as DynTransport,
        world.control_token.clone(),
    );
    let config = RegistryConfig::default();
    let (registry, audit) = notion_xws_core::audit::audit(&control, &config)
        .await
        .unwrap();
    apply_repair(
        &control,
        &registry,
        &plan_repair(&registry, &audit, "2026-11-25"),
    )
    .await;

    let first = sync(&control, &config, &execute(), None).await.unwrap();
    let seen = assert_statuses(&control, &first).await;
    assert!(seen.contains(&LinkStatus::Synced), "{seen:?}");
    // The revoked environments' pairs: skipped, with the reason and the fix.
    assert!(seen.contains(&LinkStatus::NeedsAttention), "{seen:?}");
    let links = LinksTable::find(&control).await.unwrap().unwrap();
    let revoked = first
        .pairs
        .iter()
        .find(|p| p.reason().is_some_and(|r| r.contains("token")))
        .expect("a pair skipped for its token");
    let row = links.link_for(&revoked.pair).unwrap();
    let reason = row.status.reason.as_deref().unwrap();
    assert!(
        reason.contains("token") && reason.contains("Fix: "),
        "{reason}"
    );

    // Nothing changed: no write, statuses included.
    fake.clear_request_log();
    let second = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(writes_logged(&fake), Vec::<String>::new());
    assert_eq!(second.writes(), 0);
    assert_statuses(&control, &second).await;

    // A links table made before `Status` and `Reason` existed gets them, and every row its
    // status once; then nothing again.
    ok(
        &fake,
        Method::Patch,
        &format!("/v1/data_sources/{}", links.data_source),
        &world.control_token,
        Some(json!({"properties": {"Status": null, "Reason": null}})),
    )
    .await;
    let old = LinksTable::find(&control).await.unwrap().unwrap();
    assert_eq!(old.missing_columns, ["Status", "Reason"]);
    let upgraded = sync(&control, &config, &execute(), None).await.unwrap();
    assert_statuses(&control, &upgraded).await;
    let statused = upgraded
        .pairs
        .iter()
        .filter(|p| p.class() != PairClass::Busy)
        .count();
    assert_eq!(
        upgraded.writes(),
        statused as u64,
        "{}",
        upgraded.to_markdown()
    );
    fake.clear_request_log();
    let again = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(writes_logged(&fake), Vec::<String>::new());
    assert_eq!(again.writes(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_status_is_written_when_it_changes_and_only_then() {
    let (world, control, config) = synced_then_mostly_trashed().await;
    let status = |report: &RunReport| report.pairs[0].link_status().unwrap();
    let guarded = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(
        status(&guarded).status,
        Some(LinkStatus::NeedsAttention),
        "{}",
        guarded.to_markdown()
    );
    assert!(
        status(&guarded)
            .reason
            .unwrap()
            .contains("--allow-mass-delete")
    );
    assert_statuses(&control, &guarded).await;
    assert_eq!(
        guarded.writes(),
        1,
        "the status only: {}",
        guarded.to_markdown()
    );
    // The guard holds again: the row already says so.
    let again = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(again.writes(), 0, "{}", again.to_markdown());

    // The token revoked: skipped, needs attention, the row says why; the copy stays recorded.
    let acme = acme_client(&world).await;
    assert!(world.fake.revoke_token(acme.token()));
    let revoked = sync(&control, &config, &execute(), None).await.unwrap();
    let cells = status(&revoked);
    assert!(
        cells.reason.as_deref().unwrap().contains("token"),
        "{cells:?}"
    );
    assert_statuses(&control, &revoked).await;
    let links = LinksTable::find(&control).await.unwrap().unwrap();
    assert!(
        links
            .link_for(&revoked.pairs[0].pair)
            .unwrap()
            .target_database
            .is_some()
    );
}

/// Sets the Acme environment's `Primary-Token` cell to `token` (empty: none).
async fn set_acme_token(world: &crate::support::world::World, token: &str) {
    let registry =
        notion_xws_core::registry::Registry::read(&world.client(), &RegistryConfig::default())
            .await
            .unwrap();
    let row = registry
        .environments
        .iter()
        .find(|e| e.name == "Acme")
        .unwrap()
        .row;
    let cell = if token.is_empty() {
        json!({"rich_text": []})
    } else {
        json!({"rich_text": crate::support::fake::text(token)})
    };
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{row}"),
        world.token(),
        Some(json!({"properties": {"Primary-Token": cell}})),
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_skipped_pairs_row_becomes_its_copys_row_once_it_can_run() {
    let (world, _, _) = small_world(3).await;
    let control = world.client();
    let config = RegistryConfig::default();
    let token = acme_client(&world).await.token().expose().to_owned();
    set_acme_token(&world, "").await;
    let skipped = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(skipped.exit_status(), 3, "{}", skipped.to_markdown());
    assert_eq!(
        assert_statuses(&control, &skipped).await,
        [LinkStatus::NeedsAttention]
    );
    let links = LinksTable::find(&control).await.unwrap().unwrap();
    assert_eq!(links.links.len(), 1);
    assert_eq!(links.links[0].target_database, None);

    // The token given back: the copy is made and recorded in the same row.
    set_acme_token(&world, &token).await;
    let synced = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(synced.exit_status(), 0, "{}", synced.to_markdown());
    assert_eq!(synced.pairs[0].created, 3);
    assert_eq!(
        assert_statuses(&control, &synced).await,
        [LinkStatus::Synced]
    );
    let links = LinksTable::find(&control).await.unwrap().unwrap();
    assert_eq!(links.links.len(), 1, "{:#?}", links.links);
    assert!(links.links[0].target_data_source.is_some());
    assert_eq!(links.links[0].status.reason, None);
    let again = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(again.writes(), 0, "{}", again.to_markdown());
}

#[tokio::test(start_paused = true)]
async fn a_dry_run_writes_no_status() {
    let (world, _, _) = small_world(2).await;
    let control = world.client();
    world.fake.clear_request_log();
    let plan = sync(
        &control,
        &RegistryConfig::default(),
        &notion_xws_core::sync::SyncOptions::default(),
        None,
    )
    .await
    .unwrap();
    assert!(plan.dry_run);
    assert_eq!(writes_logged(&world.fake), Vec::<String>::new());
    assert!(LinksTable::find(&control).await.unwrap().is_none());
}

/// Quick attempts, for a webhook on 127.0.0.1.
fn quick() -> NotifyOptions {
    NotifyOptions {
        attempts: 3,
        timeout: Duration::from_millis(500),
        backoff: Duration::from_millis(20),
    }
}

/// The JSON bodies `server` received.
async fn bodies(server: &MockServer) -> Vec<serde_json::Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn alerts_go_out_for_a_run_that_needs_a_person_or_failed_and_none_for_a_clean_one() {
    // Three runs on the fake (on tokio's paused clock): clean, held by the delete guard, failed
    // (its source cannot be read); and one whose environment's token was revoked.
    let (clean_world, _, _) = small_world(2).await;
    let clean = sync(
        &clean_world.client(),
        &RegistryConfig::default(),
        &execute(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(clean.exit_status(), 0, "{}", clean.to_markdown());
    let (_world, control, config) = synced_then_mostly_trashed().await;
    let guarded = sync(&control, &config, &execute(), None).await.unwrap();
    assert_eq!(guarded.exit_status(), 3);
    let (failing_world, source, _) = small_world(2).await;
    fail_every_query_of(&failing_world.fake, &source);
    let failed = sync(
        &failing_world.client(),
        &RegistryConfig::default(),
        &execute(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(failed.exit_status(), 1, "{}", failed.to_markdown());
    // Its link row says so (a new row: the pair never had one), and names no copy.
    let seen = assert_statuses(&failing_world.client(), &failed).await;
    assert_eq!(seen, [LinkStatus::Failed]);
    let (revoked_world, _, _) = small_world(2).await;
    let acme = acme_client(&revoked_world).await;
    let token = acme.token().expose().to_owned();
    assert!(revoked_world.fake.revoke_token(acme.token()));
    let revoked = sync(
        &revoked_world.client(),
        &RegistryConfig::default(),
        &execute(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(revoked.exit_status(), 3);

    // The webhook, on 127.0.0.1 (on the wall clock).
    tokio::time::resume();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hooks/T0/B0/secret-path"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&server)
        .await;
    let url = format!("{}/hooks/T0/B0/secret-path", server.uri());
    let notifier = Notifier::with_options(&url, quick()).unwrap();
    assert!(!notifier.shown().contains("secret-path"));

    assert_eq!(
        notifier.notify(&clean, "run-0", "host-a").await.unwrap(),
        None
    );
    assert!(
        bodies(&server).await.is_empty(),
        "a clean run posts nothing"
    );
    for report in [&guarded, &failed, &revoked] {
        let delivered = notifier.notify(report, "run-1", "host-a").await.unwrap();
        assert_eq!(
            delivered,
            Some(Delivered {
                status: 200,
                attempts: 1
            })
        );
    }
    let posted = bodies(&server).await;
    assert_eq!(posted.len(), 3);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests[0].headers.get("content-type").unwrap(),
        "application/json"
    );

    // A person is needed: the fix in the text, the list as the report's JSON has it.
    let [guard_alert, failed_alert, revoked_alert] = &posted[..] else {
        unreachable!()
    };
    let report_json: serde_json::Value = serde_json::from_str(&guarded.to_json()).unwrap();
    assert_eq!(guard_alert["exit_status"], 3);
    assert_eq!(guard_alert["needs_person"], report_json["needs_person"]);
    assert_eq!(guard_alert["counts"]["needs_person"], 1);
    assert_eq!(
        (guard_alert["host"].as_str(), guard_alert["run_id"].as_str()),
        (Some("host-a"), Some("run-1"))
    );
    let text = guard_alert["text"].as_str().unwrap();
    assert!(
        text.contains("need a person") && text.contains("--allow-mass-delete"),
        "{text}"
    );
    assert!(text.contains("Tasks → Acme"), "{text}");
    // A failure: the pair and its reason.
    assert_eq!(failed_alert["exit_status"], 1);
    assert_eq!(failed_alert["counts"]["failed"], 1);
    let failure = &failed_alert["failed"][0];
    assert_eq!(failure["pair"], "Tasks → Acme");
    assert_eq!(failure["reason"].as_str(), failed.pairs[0].reason());
    assert!(failed_alert["text"].as_str().unwrap().contains("failed"));
    // The revoked token: named as the cause, never shown.
    assert_eq!(revoked_alert["needs_person"][0]["cause"], "token");
    for body in &requests {
        assert!(
            !String::from_utf8_lossy(&body.body).contains(&token),
            "the token was posted"
        );
    }
}

#[tokio::test]
async fn a_webhook_that_answers_500_is_tried_again_and_one_that_hangs_is_bounded() {
    let (world, _, _) = small_world(2).await;
    let acme = acme_client(&world).await;
    assert!(world.fake.revoke_token(acme.token()));
    let report = sync(
        &world.client(),
        &RegistryConfig::default(),
        &execute(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(report.exit_status(), 3);

    // 500, then 200: delivered on the second attempt.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .with_priority(2)
        .mount(&server)
        .await;
    let notifier = Notifier::with_options(&format!("{}/hook", server.uri()), quick()).unwrap();
    let delivered = notifier.notify(&report, "run", "host").await.unwrap();
    assert_eq!(
        delivered,
        Some(Delivered {
            status: 200,
            attempts: 2
        })
    );
    assert_eq!(bodies(&server).await.len(), 2);

    // Always 500, or a 429: three attempts, then an error that says so.
    let busy = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&busy)
        .await;
    let notifier = Notifier::with_options(&format!("{}/hook-secret", busy.uri()), quick()).unwrap();
    let error = notifier
        .notify(&report, "run", "host")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("3 attempt(s)") && error.contains("503"),
        "{error}"
    );
    assert!(!error.contains("hook-secret"), "{error}");
    assert_eq!(bodies(&busy).await.len(), 3);

    // A webhook that never answers: bounded by the attempts and their timeout.
    let hanging = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(600)))
        .mount(&hanging)
        .await;
    let notifier =
        Notifier::with_options(&format!("{}/hook-secret", hanging.uri()), quick()).unwrap();
    let started = std::time::Instant::now();
    let error = notifier
        .notify(&report, "run", "host")
        .await
        .unwrap_err()
        .to_string();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(took >= Duration::from_millis(3 * 500), "{took:?}");
    assert!(error.contains("no answer in time"), "{error}");
    assert!(!error.contains("hook-secret"), "{error}");

    // Another status is an answer: not tried again.
    let gone = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&gone)
        .await;
    let notifier = Notifier::with_options(&format!("{}/hook", gone.uri()), quick()).unwrap();
    let error = notifier
        .notify(&report, "run", "host")
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("404"), "{error}");
    assert_eq!(bodies(&gone).await.len(), 1);
}

#[test]
fn a_notify_url_is_https_or_http_to_loopback() {
    for good in [
        "https://hooks.slack.com/services/T0/B0/x",
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
    ] {
        assert!(Notifier::new(good).is_ok(), "{good}");
    }
    for bad in [
        "http://hooks.example.com/secret-path",
        "ftp://127.0.0.1/secret-path",
        "https://user:pw@hooks.example.com/secret-path",
        "not a url",
    ] {
        let error = Notifier::new(bad).unwrap_err();
        assert!(matches!(error, notion_xws_core::Error::Config(_)), "{bad}");
        assert!(!error.to_string().contains("secret-path"), "{error}");
    }
}

/// `plan --notify` as a scheduler runs it: the alert posted, or a warning when the webhook
/// keeps answering 500, and the exit status the run's either way.
#[cfg(feature = "cli")]
#[tokio::test]
async fn the_command_posts_its_alert_and_keeps_its_exit_status() {
    let (world, _, _) = small_world(2).await;
    let acme = acme_client(&world).await;
    assert!(world.fake.revoke_token(acme.token()));
    let served = world.fake.serve().await.unwrap();
    let base_url = served.base_url();
    let run = |notify: String| {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_notion-xws"));
        command
            .args(["--requests-per-minute", "60000", "plan", "--json"])
            .env_clear()
            .env("NOTION_TOKEN", world.token().expose())
            .env("NOTION_BASE_URL", base_url.as_str())
            .env("NOTION_XWS_NOTIFY", notify)
            .stdin(std::process::Stdio::null());
        command.output()
    };
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/secret-path"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let posted = run(format!("{}/secret-path", server.uri())).await.unwrap();
    assert_eq!(posted.status.code(), Some(3), "{}", text(&posted.stderr));
    assert!(text(&posted.stderr).contains("alert posted to http://127.0.0.1/"));
    let alert = &bodies(&server).await[0];
    assert_eq!(alert["exit_status"], 3);
    assert_eq!(alert["dry_run"], true);
    // stdout holds only the report.
    let report: serde_json::Value = serde_json::from_slice(&posted.stdout).unwrap();
    assert_eq!(alert["needs_person"], report["needs_person"]);

    let failing = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&failing)
        .await;
    let kept = run(format!("{}/secret-path", failing.uri())).await.unwrap();
    assert_eq!(kept.status.code(), Some(3), "{}", text(&kept.stderr));
    let stderr = text(&kept.stderr);
    assert!(
        stderr.contains("warning") && stderr.contains("3 attempt(s)") && stderr.contains("(3)"),
        "{stderr}"
    );
    assert_eq!(bodies(&failing).await.len(), 3);

    // A URL that is not https (nor http to loopback) is a usage error, before the run.
    let refused = run("http://hooks.example.com/secret-path".into())
        .await
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    for output in [&posted, &kept, &refused] {
        let all = text(&output.stdout) + &text(&output.stderr);
        assert!(!all.contains("secret-path"), "{all}");
        assert!(
            !all.contains(world.token().expose()),
            "the token was printed"
        );
    }
}

/// A block as (type, its text), its children after it: the request form (what was written)…
fn written(node: &notion_xws_core::sync::content::BlockNode, out: &mut Vec<(String, String)>) {
    let kind = node.block["type"].as_str().unwrap().to_owned();
    out.push((kind.clone(), request_text(&node.block[&kind])));
    for child in &node.children {
        written(child, out);
    }
}

/// …and as read back.
fn read_back(node: &notion_xws_core::sync::content::SourceBlock, out: &mut Vec<(String, String)>) {
    let kind = node.block.block_type.clone();
    let content = node.block.content.clone().unwrap_or_default();
    out.push((kind, response_text(&content)));
    for child in &node.children {
        read_back(child, out);
    }
}

fn request_text(payload: &serde_json::Value) -> String {
    let items = |v: &serde_json::Value| -> String {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|i| i["text"]["content"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    match payload.get("cells") {
        Some(cells) => cells
            .as_array()
            .unwrap()
            .iter()
            .map(items)
            .collect::<Vec<_>>()
            .join(" | "),
        None => items(&payload["rich_text"]),
    }
}

fn response_text(payload: &serde_json::Value) -> String {
    let items = |v: &serde_json::Value| -> String {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|i| i["plain_text"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    match payload.get("cells") {
        Some(cells) => cells
            .as_array()
            .unwrap()
            .iter()
            .map(items)
            .collect::<Vec<_>>()
            .join(" | "),
        None => items(&payload["rich_text"]),
    }
}

#[tokio::test(start_paused = true)]
async fn the_audit_report_in_notion_replaces_the_previous_one() {
    use notion_xws_core::audit::notion::{REPORT_TITLE, markdown_blocks, write_report_page};
    use notion_xws_core::sync::content::read_body;

    let fake = FakeNotion::new(FakeConfig::default());
    let world = DemoWorld::build(&fake).await.unwrap();
    // More environments than the demo's (without a token: their findings are grouped), so that
    // the report takes more blocks than one append holds.
    for n in 0..40 {
        ok(
            &fake,
            Method::Post,
            "/v1/pages",
            &world.control_token,
            Some(json!({
                "parent": {"data_source_id": world.registry.environments.data_source_id.to_string()},
                "properties": {"Name": {"title": [{"text": {"content": format!("Extra {n}")}}]}},
            })),
        )
        .await;
    }
    let control = NotionClient::new(
        Arc::new(fake.clone()) as DynTransport,
        world.control_token.clone(),
    );
    let (registry, report) = notion_xws_core::audit::audit(&control, &RegistryConfig::default())
        .await
        .unwrap();
    let first = write_report_page(&control, &registry, &report)
        .await
        .unwrap();
    assert_eq!(first.replaced, 0);
    let second = write_report_page(&control, &registry, &report)
        .await
        .unwrap();
    assert_eq!(second.replaced, 1);
    assert_ne!(first.page, second.page);

    // One report page under the registry's page: the second; the first in the trash.
    let parent = registry.page(&control, "the report").await.unwrap();
    let children: Vec<notion_xws_core::model::Block> = futures::TryStreamExt::try_collect(
        control.block_children(notion_xws_core::BlockId::from(parent)),
    )
    .await
    .unwrap();
    let reports: Vec<_> = children
        .iter()
        .filter(|b| {
            b.block_type == "child_page"
                && !b.in_trash()
                && b.content.as_ref().unwrap()["title"] == REPORT_TITLE
        })
        .collect();
    assert_eq!(reports.len(), 1, "{reports:#?}");
    assert_eq!(reports[0].id.as_u128(), second.page.as_u128());
    assert!(control.page(first.page).await.unwrap().in_trash());

    // Its content is the report: a line saying when, then every block of the Markdown.
    let body = read_body(&control, notion_xws_core::BlockId::from(second.page))
        .await
        .unwrap();
    let mut got = Vec::new();
    for block in &body {
        read_back(block, &mut got);
    }
    let mut expected = Vec::new();
    for node in markdown_blocks(&report.to_markdown()) {
        written(&node, &mut expected);
    }
    assert!(
        got[0].1.contains("notion-xws audit --to-notion"),
        "{:?}",
        got[0]
    );
    assert_eq!(got[1..], expected[..]);
    assert!(
        expected.len() > 100,
        "more blocks than one append holds: {}",
        expected.len()
    );
    for finding in &report.findings {
        // (`code` is an annotation in Notion.)
        let fix = finding.fix.replace('`', "");
        assert!(got.iter().any(|(_, text)| text.contains(&fix)), "{fix}");
    }
}

/// `audit --to-notion`, twice: the link on stderr, the earlier page replaced, stdout and the exit
/// status the audit's.
#[cfg(feature = "cli")]
#[tokio::test]
async fn the_command_writes_the_audit_to_notion() {
    let (world, _, _) = small_world(1).await;
    let served = world.fake.serve().await.unwrap();
    let base_url = served.base_url();
    let audit = || {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_notion-xws"))
            .args([
                "--requests-per-minute",
                "60000",
                "audit",
                "--json",
                "--to-notion",
            ])
            .env_clear()
            .env("NOTION_TOKEN", world.token().expose())
            .env("NOTION_BASE_URL", base_url.as_str())
            .stdin(std::process::Stdio::null())
            .output()
    };
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    for earlier in [0, 1] {
        let done = audit().await.unwrap();
        let stderr = text(&done.stderr);
        assert!(matches!(done.status.code(), Some(0 | 1)), "{stderr}");
        assert!(
            stderr.contains("the audit report is in Notion: https://"),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!("({earlier} earlier report page(s)")),
            "{stderr}"
        );
        let report: serde_json::Value = serde_json::from_slice(&done.stdout).unwrap();
        assert!(report["summary"].is_object());
        assert!(!(text(&done.stdout) + &stderr).contains(world.token().expose()));
    }
}

#[tokio::test]
async fn watch_posts_each_cycle_that_needs_a_person() {
    use notion_xws_core::sync::watch::{WatchOptions, watch_with_alerts};
    let (world, _, _) = small_world(2).await;
    let acme = acme_client(&world).await;
    assert!(world.fake.revoke_token(acme.token()));
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let notifier = Notifier::with_options(&format!("{}/hook", server.uri()), quick()).unwrap();
    let every = WatchOptions::new(Duration::from_millis(10), Some(2)).unwrap();
    let mut alerts = Vec::new();
    let end = watch_with_alerts(
        &world.client(),
        &RegistryConfig::default(),
        &notion_xws_core::sync::SyncOptions::default(),
        &every,
        &notifier,
        |cycle| alerts.push((cycle.exit_status, cycle.alert.clone())),
    )
    .await;
    assert_eq!((end.cycles, end.exit_status), (2, 3));
    let posted = format!("posted to {}", notifier.shown());
    assert_eq!(alerts, [(3, Some(posted.clone())), (3, Some(posted))]);
    let bodies = bodies(&server).await;
    assert_eq!(bodies.len(), 2);
    assert!(
        bodies
            .iter()
            .all(|b| b["needs_person"][0]["cause"] == "token")
    );
    assert!(
        bodies[0]["run_id"] != bodies[1]["run_id"],
        "each cycle is its own run"
    );
}
