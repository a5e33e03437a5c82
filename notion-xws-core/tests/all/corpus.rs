//! A seeded corpus of malformed input (#20's "Done when"): links, Notion answers, command lines
//! and registries, each run through what reads it. Whatever the input: no panic, no token in any output,
//! every failure a typed [`Error`] (or [`LinkError`]) with a message that says something, of a
//! bounded length. The seeds are fixed, so a failure replays.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use futures::TryStreamExt;
use notion_xws_core::client::NotionClient;
use notion_xws_core::fake::FakeNotion;
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::sync::sync;
use notion_xws_core::transport::{ApiRequest, ApiResponse, DynTransport, Transport};
use notion_xws_core::{Error, NotionLink};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};

use crate::support::sync::{execute, small_world};

/// Pieces malformed input is made of: link parts, IDs cut short, tokens, invisible characters.
const PIECES: [&str; 22] = [
    "https://",
    "http://",
    "notion://",
    "www.notion.so/",
    "acme/",
    "Tasks-",
    "0123456789abcdef0123456789abcdef",
    "0123456789abcdef",
    "01234567-89ab-cdef-0123-456789abcdef",
    "?v=",
    "&p=",
    "#",
    "%",
    "%zz",
    "\u{200b}",
    "\u{feff}",
    "é",
    " ",
    "\n",
    "user:pass@",
    "..",
    "\u{0}",
];

/// An obvious fake of a token of this shape (`ntn`, `secret`), built at run time.
fn fake_token(prefix: &str) -> String {
    format!("{prefix}_{}", "CORPUS".repeat(7))
}

fn garble(rng: &mut StdRng) -> String {
    let n = rng.random_range(0..8);
    // The pieces, and the two token shapes.
    let mut text: String = (0..n)
        .map(|_| match rng.random_range(0..PIECES.len() + 2) {
            i if i < PIECES.len() => PIECES[i].to_owned(),
            i if i == PIECES.len() => fake_token("ntn"),
            _ => fake_token("secret"),
        })
        .collect();
    if rng.random_range(0..10) == 0 {
        // A long input: a message quotes a bounded slice of it.
        text.push_str(&"x".repeat(100_000));
    }
    text
}

#[test]
fn links_never_panic_and_say_what_is_wrong_briefly() {
    let mut rng = StdRng::seed_from_u64(20);
    let mut refused = 0;
    for _ in 0..400 {
        let text = garble(&mut rng);
        let outcome = std::panic::catch_unwind(|| NotionLink::parse(&text));
        let Ok(outcome) = outcome else {
            panic!("a panic on {text:?}");
        };
        if let Err(error) = outcome {
            refused += 1;
            let message = error.to_string();
            assert!(!message.is_empty());
            assert!(message.len() < 1_000, "{} bytes", message.len());
            let typed: Error = error.into();
            assert!(matches!(typed, Error::InvalidLink(_)));
        }
    }
    assert!(refused > 200, "the corpus is mostly malformed: {refused}");
}

/// How an answer of the fake is spoiled.
#[derive(Debug, Clone, Copy)]
enum Spoil {
    /// A key of the body left out.
    DropKey,
    /// A value of the body turned into another type.
    WrongType,
    /// The body replaced by something that is not an object.
    NotAnObject,
    /// An error status with a body that is not Notion's.
    ForeignError,
    /// The `object` of each result changed to a kind nobody knows.
    UnknownObjects,
}

/// The fake, spoiling the answer of the `at`-th request (counted from 1) as `spoil` says.
#[derive(Debug)]
struct Spoiled {
    inner: FakeNotion,
    at: u64,
    spoil: Spoil,
    seed: u64,
    seen: AtomicU64,
}

fn spoil_value(rng: &mut StdRng) -> Value {
    match rng.random_range(0..6) {
        0 => Value::Null,
        1 => json!(42),
        2 => json!(fake_token("ntn")),
        3 => json!([]),
        4 => json!({}),
        _ => json!(true),
    }
}

#[async_trait]
impl Transport for Spoiled {
    async fn send(&self, request: ApiRequest) -> notion_xws_core::Result<ApiResponse> {
        let n = self.seen.fetch_add(1, Ordering::SeqCst) + 1;
        let mut response = self.inner.send(request).await?;
        if n != self.at {
            return Ok(response);
        }
        let mut rng = StdRng::seed_from_u64(self.seed);
        let body = &mut response.body;
        match self.spoil {
            Spoil::DropKey | Spoil::WrongType => {
                if let Some(map) = body.as_object_mut() {
                    let keys: Vec<String> = map.keys().cloned().collect();
                    if !keys.is_empty() {
                        let key = &keys[rng.random_range(0..keys.len())];
                        if matches!(self.spoil, Spoil::DropKey) {
                            map.remove(key);
                        } else {
                            map.insert(key.clone(), spoil_value(&mut rng));
                        }
                    }
                }
            }
            Spoil::NotAnObject => *body = spoil_value(&mut rng),
            Spoil::ForeignError => {
                response.status = [400, 401, 404, 409, 418, 500, 502, 599][rng.random_range(0..8)];
                *body = json!("<html>502 Bad Gateway</html>");
            }
            Spoil::UnknownObjects => {
                for result in body["results"].as_array_mut().into_iter().flatten() {
                    result["object"] = json!("corpus_kind");
                }
            }
        }
        Ok(response)
    }
}

#[tokio::test(start_paused = true)]
async fn spoiled_answers_never_panic_nor_leak_a_token() {
    let spoils = [
        Spoil::DropKey,
        Spoil::WrongType,
        Spoil::NotAnObject,
        Spoil::ForeignError,
        Spoil::UnknownObjects,
    ];
    let mut rng = StdRng::seed_from_u64(2020);
    let (mut failed, mut typed) = (0, 0);
    for case in 0..200u64 {
        let (world, _, _) = small_world(2).await;
        let spoil = spoils[(case % 5) as usize];
        let at = rng.random_range(1..60);
        let transport = Spoiled {
            inner: world.fake.clone(),
            at,
            spoil,
            seed: case,
            seen: AtomicU64::new(0),
        };
        let control = NotionClient::new(Arc::new(transport) as DynTransport, world.token().clone());
        let tokens = [world.token().expose().to_owned(), fake_token("ntn")];
        let run = tokio::spawn(async move {
            sync(&control, &RegistryConfig::default(), &execute(), None).await
        })
        .await;
        let outputs = match run {
            Err(panic) => panic!("case {case} ({spoil:?} at request {at}) panicked: {panic}"),
            Ok(Ok(report)) => {
                if report.has_failures() {
                    failed += 1;
                }
                vec![report.to_markdown(), report.to_json()]
            }
            Ok(Err(error)) => {
                typed += 1;
                let message = error.to_string();
                assert!(!message.is_empty(), "case {case}");
                assert!(
                    message.len() < 4_000,
                    "case {case}: {} bytes",
                    message.len()
                );
                vec![message, format!("{error:?}")]
            }
        };
        for output in &outputs {
            for token in &tokens {
                assert!(
                    !output.contains(token.as_str()),
                    "case {case} ({spoil:?} at request {at}): a token in {output}"
                );
            }
        }
    }
    // The corpus does spoil runs: some fail a pair, some the whole run (with a typed error).
    assert!(
        failed + typed > 20,
        "failed pairs {failed}, failed runs {typed}"
    );
}

#[cfg(feature = "cli")]
#[tokio::test]
async fn malformed_command_lines_never_panic_nor_echo_a_token() {
    let mut rng = StdRng::seed_from_u64(7);
    let words = [
        "sync",
        "plan",
        "audit",
        "repair",
        "watch",
        "--every",
        "--max-wait",
        "--requests-per-minute",
        "--base-url",
        "--token-env",
        "--conflicts",
        "--client",
        "-x",
        "0",
        "-5",
        "soon",
        "10m",
    ];
    for case in 0..60 {
        let n = rng.random_range(1..5);
        let mut args: Vec<String> = (0..n)
            .map(|_| {
                if rng.random_range(0..3) == 0 {
                    garble(&mut rng)
                        .chars()
                        .filter(|c| *c != '\u{0}')
                        .take(200)
                        .collect()
                } else {
                    words[rng.random_range(0..words.len())].to_owned()
                }
            })
            .collect();
        // Every command line carries a token-shaped word somewhere.
        let at = rng.random_range(0..=args.len());
        args.insert(at, fake_token("ntn"));
        let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_notion-xws"))
            .args(&args)
            .env_clear()
            .env("NOTION_BASE_URL", "http://127.0.0.1:9")
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        let status = output.status.code();
        assert!(
            matches!(status, Some(0..=3)),
            "case {case} {args:?}: {status:?} {stderr}"
        );
        assert!(
            !stderr.contains("panicked"),
            "case {case} {args:?}: {stderr}"
        );
        for text in [&stdout, &stderr] {
            assert!(
                !text.contains(&"CORPUS".repeat(3)),
                "case {case} {args:?}: the token echoed: {text}"
            );
        }
    }
}

/// One way a person can break the registry.
#[derive(Debug, Clone, Copy)]
enum Break {
    /// `Sync` holds a word that is not a direction.
    SyncWord,
    /// `Sync` made a multi-select.
    SyncRetyped,
    /// `Data Source ID` holds garbage (token-shaped pieces among it).
    DataSourceGarbage,
    /// `Data Source ID` names the registry's own `system-environments`.
    DataSourceRegistry,
    /// A second environment row with the same token and parent page.
    EnvironmentTwice,
    /// `Primary-Token` holds garbage.
    TokenGarbage,
    /// `Primary-Token` holds the control workspace's own token.
    TokenControl,
    /// `Database-Parent-Page-ID` holds garbage.
    ParentGarbage,
    /// `Primary-Token` made a number.
    TokenRetyped,
    /// A second relation from `system-environments` to `system-databases`.
    RelationTwice,
}

const BREAKS: [Break; 10] = [
    Break::SyncWord,
    Break::SyncRetyped,
    Break::DataSourceGarbage,
    Break::DataSourceRegistry,
    Break::EnvironmentTwice,
    Break::TokenGarbage,
    Break::TokenControl,
    Break::ParentGarbage,
    Break::TokenRetyped,
    Break::RelationTwice,
];

/// Breaks the registry of `world` (one environment, Acme; one database, Tasks) in one way.
async fn break_registry(
    world: &crate::support::world::World,
    acme: &notion_xws_core::NotionToken,
    rng: &mut StdRng,
    how: Break,
) {
    use crate::support::fake::{ok, text};
    use notion_xws_core::transport::Method;
    let registry =
        notion_xws_core::registry::Registry::read(&world.client(), &RegistryConfig::default())
            .await
            .unwrap();
    let (env, db) = (&registry.environments[0], &registry.databases[0]);
    let patch_row = |row: String, properties: Value| async move {
        ok(
            &world.fake,
            Method::Patch,
            &format!("/v1/pages/{row}"),
            world.token(),
            Some(json!({ "properties": properties })),
        )
        .await;
    };
    let patch_schema = |ds: String, properties: Value| async move {
        ok(
            &world.fake,
            Method::Patch,
            &format!("/v1/data_sources/{ds}"),
            world.token(),
            Some(json!({ "properties": properties })),
        )
        .await;
    };
    match how {
        Break::SyncWord => {
            patch_row(
                db.row.to_string(),
                json!({"Sync": {"select": {"name": "Sideways"}}}),
            )
            .await
        }
        Break::SyncRetyped => {
            patch_schema(
                world.databases.clone(),
                json!({"Sync": {"multi_select": {}}}),
            )
            .await
        }
        Break::DataSourceGarbage => {
            let garbage: String = garble(rng)
                .chars()
                .filter(|c| *c != '\u{0}' && *c != ',')
                .take(1_900)
                .collect();
            patch_row(
                db.row.to_string(),
                json!({"Data Source ID": {"rich_text": text(&garbage)}}),
            )
            .await;
        }
        Break::DataSourceRegistry => {
            patch_row(
                db.row.to_string(),
                json!({"Data Source ID": {"rich_text": text(&world.environments)}}),
            )
            .await
        }
        Break::EnvironmentTwice => {
            let parent = notion_xws_core::registry::cells::id_of(&env.parent_page)
                .map(|p| format!("https://www.notion.so/{}", p.to_string().replace('-', "")));
            let name = if rng.random_bool(0.5) {
                "Acme\u{200b}"
            } else {
                "Acme again"
            };
            world
                .environment(
                    name,
                    acme.expose(),
                    parent.as_deref(),
                    &[&db.row.to_string()],
                )
                .await;
        }
        Break::TokenGarbage => {
            let garbage: String = garble(rng)
                .chars()
                .filter(|c| *c != '\u{0}')
                .take(1_900)
                .collect();
            patch_row(
                env.row.to_string(),
                json!({"Primary-Token": {"rich_text": text(&garbage)}}),
            )
            .await;
        }
        Break::TokenControl => {
            patch_row(
                env.row.to_string(),
                json!({"Primary-Token": {"rich_text": text(world.token().expose())}}),
            )
            .await
        }
        Break::ParentGarbage => {
            let garbage: String = garble(rng)
                .chars()
                .filter(|c| !c.is_control())
                .take(1_900)
                .collect();
            patch_row(
                env.row.to_string(),
                json!({"Database-Parent-Page-ID": {"url": garbage}}),
            )
            .await;
        }
        Break::TokenRetyped => {
            patch_schema(
                world.environments.clone(),
                json!({"Primary-Token": {"number": {}}}),
            )
            .await
        }
        Break::RelationTwice => {
            let relation = json!({"relation": {"data_source_id": world.databases, "type": "single_property", "single_property": {}}});
            patch_schema(world.environments.clone(), json!({ "Archive": relation })).await;
        }
    }
}

/// Seeded registries broken one to three ways at once, each audited and synced twice: no panic,
/// no token in any output, every failure typed and saying something, and never a second copy of
/// the database in the client's workspace.
#[tokio::test(start_paused = true)]
async fn malformed_registries_never_panic_leak_nor_duplicate() {
    let mut rng = StdRng::seed_from_u64(2021);
    let mut cases_with_findings = 0;
    for case in 0..200u64 {
        let (world, acme, _, _) = crate::support::sync::small_world_in(2).await;
        let ways: Vec<Break> = (0..rng.random_range(1..4))
            .map(|_| BREAKS[rng.random_range(0..BREAKS.len())])
            .collect();
        // Cells first, then the columns' types (a cell is written as its column's type).
        let retypes = |how: &Break| {
            matches!(
                how,
                Break::SyncRetyped | Break::TokenRetyped | Break::RelationTwice
            )
        };
        let ordered = ways
            .iter()
            .filter(|how| !retypes(how))
            .chain(ways.iter().filter(|how| retypes(how)));
        for how in ordered {
            break_registry(&world, &acme.token, &mut rng, *how).await;
        }
        let control = world.client();
        let tokens = [
            world.token().expose().to_owned(),
            acme.token.expose().to_owned(),
        ];
        let mut outputs = Vec::new();
        match notion_xws_core::audit::audit(&control, &RegistryConfig::default()).await {
            Ok((_, report)) => {
                cases_with_findings += usize::from(!report.findings.is_empty());
                outputs.push(serde_json::to_string(&report).unwrap());
            }
            Err(error) => outputs.push(format!("{error} {error:?}")),
        }
        for _ in 0..2 {
            match sync(&control, &RegistryConfig::default(), &execute(), None).await {
                Ok(report) => outputs.extend([report.to_markdown(), report.to_json()]),
                Err(error) => {
                    let message = error.to_string();
                    assert!(
                        !message.is_empty() && message.len() < 4_000,
                        "case {case} {ways:?}"
                    );
                    outputs.push(format!("{message} {error:?}"));
                }
            }
        }
        for output in &outputs {
            for token in &tokens {
                assert!(
                    !output.contains(token.as_str()),
                    "case {case} {ways:?}: a token in {output}"
                );
            }
        }
        let acme_client = control.for_token(acme.token.clone());
        let copies = acme_client
            .search_data_sources("Tasks")
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .into_iter()
            .filter(|ds| ds.title_text() == "Tasks" && !ds.in_trash())
            .count();
        assert!(
            copies <= 1,
            "case {case} {ways:?}: {copies} copies of Tasks in the client's workspace"
        );
    }
    assert!(
        cases_with_findings >= 150,
        "{cases_with_findings} of 200 broken registries had findings"
    );
}
