//! Bounded waits, said out loud: a `Retry-After` longer than the bound (`--max-wait`) ends the
//! pair with a rate-limit failure that says when to try again, instead of a silent hour; one
//! within the bound is waited out and the pair syncs.

use std::sync::Arc;
use std::time::Duration;

use notion_xws_core::client::NotionClient;
use notion_xws_core::client::NotionVersion;
use notion_xws_core::client::connect::{Endpoint, connect};
use notion_xws_core::fake::Fault;
use notion_xws_core::rate::RateBudget;
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::sync::report::PairClass;
use notion_xws_core::sync::sync;
use notion_xws_core::transport::{DynTransport, Method};

use crate::support::sync::{execute, pair, small_world};
use crate::support::world::World;

/// The control client over the standard stack (retries, waits bounded by `max_wait`).
fn stacked(world: &World, max_wait: Duration) -> NotionClient {
    connect(
        Endpoint::InMemory(Arc::new(world.fake.clone()) as DynTransport),
        world.token().clone(),
        NotionVersion::LATEST,
        RateBudget::NOTION_DEFAULT,
        max_wait,
    )
    .unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_of_an_hour_fails_the_pair_at_once_and_says_when() {
    let (world, source, _) = small_world(3).await;
    let control = stacked(&world, Duration::from_secs(300));
    world.fake.fail_next(
        Some(Method::Post),
        &format!("/v1/data_sources/{source}/query"),
        Fault::RateLimited { retry_after: 3600 },
    );
    let start = tokio::time::Instant::now();
    let report = sync(&control, &RegistryConfig::default(), &execute(), None)
        .await
        .unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(300),
        "waited {:?}",
        start.elapsed()
    );
    assert_eq!(report.exit_status(), 1, "{}", report.to_markdown());
    let tasks = pair(&report, "Tasks");
    assert_eq!(tasks.class(), PairClass::Failed);
    let errors = tasks.errors.join("\n");
    assert!(errors.contains("rate-limited by Notion"), "{errors}");
    assert!(errors.contains("Notion asks to wait 1h"), "{errors}");
    assert!(errors.contains("try again after that"), "{errors}");
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_within_the_bound_is_waited_out() {
    let (world, source, _) = small_world(3).await;
    let control = stacked(&world, Duration::from_secs(300));
    world.fake.fail_next(
        Some(Method::Post),
        &format!("/v1/data_sources/{source}/query"),
        Fault::RateLimited { retry_after: 120 },
    );
    let start = tokio::time::Instant::now();
    let report = sync(&control, &RegistryConfig::default(), &execute(), None)
        .await
        .unwrap();
    assert!(start.elapsed() >= Duration::from_secs(120));
    assert_eq!(report.exit_status(), 0, "{}", report.to_markdown());
    assert_eq!(pair(&report, "Tasks").created, 3);
    // With a bound of one minute, the same answer fails the pair.
    let (world, source, _) = small_world(3).await;
    let control = stacked(&world, Duration::from_secs(60));
    world.fake.fail_next(
        Some(Method::Post),
        &format!("/v1/data_sources/{source}/query"),
        Fault::RateLimited { retry_after: 120 },
    );
    let report = sync(&control, &RegistryConfig::default(), &execute(), None)
        .await
        .unwrap();
    assert_eq!(report.exit_status(), 1, "{}", report.to_markdown());
    assert!(
        pair(&report, "Tasks")
            .errors
            .join("\n")
            .contains("Notion asks to wait 2m"),
        "{}",
        report.to_markdown()
    );
}

/// The command, over HTTP to a served fake: `--max-wait` bounds the wait, and the error on
/// stderr says when to try again (the time is Notion's `Retry-After`, not the test's clock).
#[cfg(all(feature = "cli", feature = "http"))]
#[tokio::test]
async fn the_command_fails_at_once_on_a_retry_after_past_max_wait() {
    use notion_xws_core::demo::DemoWorld;
    use notion_xws_core::fake::FakeNotion;

    let fake = FakeNotion::default();
    let world = DemoWorld::build(&fake).await.unwrap();
    let server = fake.serve().await.unwrap();
    fake.fail_next(None, "/v1/", Fault::RateLimited { retry_after: 3600 });
    let started = std::time::Instant::now();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_notion-xws"))
        .args(["--max-wait", "90s", "audit"])
        .env_clear()
        .env("NOTION_TOKEN", world.control_token.expose())
        .env("NOTION_BASE_URL", server.base_url())
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Notion asks to wait 1h"), "{stderr}");
    assert!(
        stderr.contains("not waiting 1h"),
        "the log says why: {stderr}"
    );
    assert!(!stderr.contains(world.control_token.expose()));
    // A duration that is not one is a usage error.
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_notion-xws"))
        .args(["--max-wait", "soon", "audit"])
        .env_clear()
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

/// A read that keeps failing, through the command over HTTP: each retry is said on stderr with
/// its wait and reason, and the command gives up within `--max-wait` (here 5 s) of waiting,
/// saying so, with exit status 1 and no token printed.
#[cfg(all(feature = "cli", feature = "http"))]
#[tokio::test]
async fn the_command_gives_up_on_a_persistent_failure_within_max_wait() {
    use notion_xws_core::fake::FakeNotion;

    use crate::cli::{notion_xws, text};
    let fake = FakeNotion::default();
    let control = fake.add_workspace("Seren Media");
    let server = fake.serve().await.unwrap();
    let base_url = server.base_url();
    for _ in 0..20 {
        fake.fail_next(
            Some(Method::Get),
            "/v1/users/me",
            Fault::InternalServerError,
        );
    }
    let started = std::time::Instant::now();
    let output = notion_xws(
        &["--max-wait", "5s", "me"],
        &[
            ("NOTION_TOKEN", control.token.expose()),
            ("NOTION_BASE_URL", base_url.as_str()),
        ],
    )
    .await;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("GET /v1/users/me: Notion failed (500) on a read; trying again in"),
        "{stderr}"
    );
    assert!(
        stderr.contains("giving up")
            && (stderr.contains("a request waits at most 5s in all")
                || stderr.contains("of waiting")),
        "{stderr}"
    );
    // Given up: the fake got fewer requests than the faults it holds.
    assert!(
        fake.requests_received() < 20,
        "{}",
        fake.requests_received()
    );
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(!stderr.contains(control.token.expose()));
}
