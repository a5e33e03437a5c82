//! The sync against the fake Notion on tokio's paused clock: how close it runs to Notion's rate
//! limit, and what a naive sync costs in the same world.
//!
//! The fake enforces Notion's budget per token ([`BUDGET`]: 180 requests a minute, bursts of 3)
//! and answers each request after [`LATENCY`]; the client's [`TransportStack`] keeps each token
//! within the same budget. The world ([`World`]): a control workspace with the registry and one
//! source database of [`ROWS`] rows in nine property types, pushed to [`ENVIRONMENTS`]
//! environments (one workspace and one token each). Scenarios, with the real
//! [`sync`](notion_xws_core::sync::sync) (`execute = true`): (a) the initial sync; (b) a re-sync
//! with nothing changed; (c) a re-sync after editing 1% of the source rows; (d0), (d), (d2) a
//! two-way pair (a fifth of the rows, one environment): its first sync, 1% edited on each side,
//! nothing changed. (e0)–(e3r) relations and people ([`RefWorld`]): `Projects` (a
//! [`TASKS_PER_PROJECT`]th of the rows) and `Tasks` ([`ROWS`] rows naming 1–3 projects, some more than 25, and people), pushed
//! to the same environments: (e0) the first sync, (e1) nothing changed, (e2) 1% of the tasks
//! pointed at other projects; then in a second world where `Projects` relates back to `Tasks`
//! (a cycle): (e3) its first sync, with its second pass, and (e3r) nothing changed.
//!
//! For each scenario: requests, writes and 429s per token (from the fake's request log, which
//! names each request's workspace and integration), simulated seconds (tokio's clock), and the
//! lower bound the rate limit sets (the most requests any one token had admitted, divided by
//! its rate), with their ratio. For (e), the requests by kind as well (query pages, page
//! property reads, users lists, other reads, creates, updates, other writes); with
//! `SIM_SYNC_PURPOSES` set, what the control token's and the first environment's requests went
//! to (by endpoint and data source); with `SIM_SYNC_TIMELINE` set to a part of scenarios' names
//! (`(b)`, or `(` for all), when each of their requests was admitted and answered, by token
//! ([`benches::timeline`]): the gaps in a token's line are what keeps a scenario from its bound.
//!
//! The naive baseline ([`naive_sync`]) is the old script's way, in a second world built the same
//! way on the same clock: sequential, one request at a time, sleeping `Retry-After` on a 429 and
//! nothing else, every source row created in the target on every run, targets found by title.
//! Runs (a) and (b); requests, simulated time, and duplicates (target rows after (b) minus
//! source rows).
//!
//! Everything runs on one paused current-thread runtime, so the figures are exact and repeatable.
//! The run is bounded by its counts, by [`SIMULATED_LIMIT`] per run and by [`WALL_LIMIT`] in all.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use benches::api::{VERSION, is_write};
use benches::relations::{PROJECTS_TITLE, RefSpec, RefWorld, TASKS_TITLE};
use benches::tally::{TokenCounts, per_token};
use benches::world::{World, WorldSpec};
use futures::TryStreamExt;
use notion_xws_core::NotionToken;
use notion_xws_core::client::NotionClient;
use notion_xws_core::fake::{FakeConfig, FakeNotion, LoggedRequest};
use notion_xws_core::rate::RateBudget;
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::sync::links::LinksTable;
use notion_xws_core::sync::one_way::plan::source_key;
use notion_xws_core::sync::{PairState, RunReport, SyncOptions, sync};
use notion_xws_core::transport::stack::{StackConfig, TransportStack};
use notion_xws_core::transport::{ApiRequest, DynTransport, Method, Transport};
use notion_xws_core::{DataSourceId, PageId};
use serde_json::{Map, Value, json};
use tokio::time::Instant;

/// Rows of the source database (`SIM_SYNC_ROWS` overrides it, for a quick try).
const ROWS: usize = 10_000;

/// The rows of this run: [`ROWS`], or `SIM_SYNC_ROWS`.
fn rows() -> usize {
    std::env::var("SIM_SYNC_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(ROWS)
}
/// Tasks per project in scenario (e): `Projects` has a tenth of the rows of `Tasks`.
const TASKS_PER_PROJECT: usize = 10;
/// Every `REPOINT_EVERY`-th task is pointed at another project before (e2): 1%.
const REPOINT_EVERY: usize = 100;

/// Environments the source is pushed to.
const ENVIRONMENTS: usize = 4;
/// Every `EDIT_EVERY`-th source row is edited before scenario (c): 1%.
const EDIT_EVERY: usize = 100;
/// Notion's budget per integration, enforced by the fake and kept by the client.
const BUDGET: RateBudget = RateBudget::NOTION_DEFAULT;
/// How long the fake takes to answer each request.
const LATENCY: Duration = Duration::from_millis(300);
/// The most simulated time one run may take.
const SIMULATED_LIMIT: Duration = Duration::from_secs(24 * 3600);
/// The most wall-clock time the whole benchmark may take.
const WALL_LIMIT: Duration = Duration::from_secs(1800);

/// The fake's configuration: Notion's budget per token, and a latency.
fn fake_config() -> FakeConfig {
    FakeConfig {
        per_token: Some(BUDGET),
        latency: LATENCY,
        ..FakeConfig::default()
    }
}

/// Requests per second of [`BUDGET`].
fn rate() -> f64 {
    f64::from(BUDGET.per_minute.get()) / 60.0
}

/// The kinds of request [`kinds`] counts, in the order they are printed.
const KINDS: [&str; 7] = [
    "query pages",
    "page property reads",
    "users lists",
    "other reads",
    "creates",
    "updates",
    "other writes",
];

/// The kind of a logged request (one of [`KINDS`]).
fn kind(line: &LoggedRequest) -> &'static str {
    let segments: Vec<&str> = line.path.trim_matches('/').split('/').collect();
    match (line.method, segments.as_slice()) {
        (_, [.., "query"]) => KINDS[0],
        (Method::Get, ["v1", "pages", _, "properties", _]) => KINDS[1],
        (Method::Get, ["v1", "users"]) => KINDS[2],
        _ if !is_write(line.method, &line.path) => KINDS[3],
        (Method::Post, ["v1", "pages"]) => KINDS[4],
        (Method::Patch, ["v1", "pages", _]) => KINDS[5],
        _ => KINDS[6],
    }
}

/// The requests of a log by [`kind`].
fn kinds(log: &[LoggedRequest]) -> BTreeMap<&'static str, u64> {
    let mut kinds = BTreeMap::new();
    for line in log {
        *kinds.entry(kind(line)).or_default() += 1;
    }
    kinds
}

/// One measured run.
#[derive(Debug)]
struct Measured {
    /// `a`, `b` or `c`, with a few words.
    name: String,
    /// Requests per token.
    tokens: BTreeMap<String, TokenCounts>,
    /// Requests by kind (see [`KINDS`]).
    kinds: BTreeMap<&'static str, u64>,
    /// Simulated time.
    simulated: Duration,
    /// Wall-clock time.
    wall: Duration,
}

impl Measured {
    fn total(&self) -> TokenCounts {
        self.tokens
            .values()
            .fold(TokenCounts::default(), |acc, t| TokenCounts {
                requests: acc.requests + t.requests,
                writes: acc.writes + t.writes,
                limited: acc.limited + t.limited,
            })
    }

    /// The rate limit's lower bound: the most admitted requests of one token over its rate.
    fn bound(&self) -> f64 {
        self.tokens
            .values()
            .map(|t| t.admitted() as f64 / rate())
            .fold(0.0, f64::max)
    }
}

/// The timeline of the scenarios named in `SIM_SYNC_TIMELINE` (a part of their name, as `(b)`):
/// every request's start and end, printed after the scenario.
static TIMELINE: std::sync::Mutex<Option<benches::timeline::Timeline>> =
    std::sync::Mutex::new(None);

/// The fake as a world's client stack sends to it: through the [`TIMELINE`] when asked for.
fn fake_transport(fake: &FakeNotion) -> DynTransport {
    let fake = Arc::new(fake.clone()) as DynTransport;
    if std::env::var_os("SIM_SYNC_TIMELINE").is_none() {
        return fake;
    }
    let timeline = benches::timeline::Timeline::new(fake);
    *TIMELINE.lock().expect("the timeline") = Some(timeline.clone());
    Arc::new(timeline)
}

/// Prints the requests of scenario `name` the [`TIMELINE`] recorded, when it was asked for.
fn print_timeline(world: &World, name: &str) {
    let Some(timeline) = TIMELINE.lock().expect("the timeline").clone() else {
        return;
    };
    let mut lines = timeline.take();
    let wanted = std::env::var("SIM_SYNC_TIMELINE").unwrap_or_default();
    if !name.contains(wanted.as_str()) {
        return;
    }
    lines.sort_by_key(|l| l.began);
    for line in lines {
        let label = if line.token == world.control.token {
            "control".to_owned()
        } else {
            world
                .environments
                .iter()
                .find(|e| e.workspace.token == line.token)
                .map_or_else(|| "other".to_owned(), |e| e.name.clone())
        };
        println!(
            "sim_sync: {name}: {:>8.3} {:>8.3} {label:<10} {:?} {} {}",
            line.began.as_secs_f64(),
            line.ended.as_secs_f64(),
            line.method,
            line.path,
            line.searched
        );
    }
}

/// Runs the sync once and measures it.
async fn run_ours(world: &World, control: &NotionClient, name: &str) -> (Measured, RunReport) {
    world.fake.clear_request_log();
    if let Some(timeline) = TIMELINE.lock().expect("the timeline").as_ref() {
        timeline.take();
    }
    let options = SyncOptions {
        execute: true,
        ..SyncOptions::default()
    };
    let wall = std::time::Instant::now();
    let start = Instant::now();
    let report = tokio::time::timeout(
        SIMULATED_LIMIT,
        sync(control, &RegistryConfig::default(), &options, None),
    )
    .await
    .unwrap_or_else(|_| panic!("{name}: the sync ran past {SIMULATED_LIMIT:?} of simulated time"))
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    let simulated = start.elapsed();
    let wall = wall.elapsed();
    for pair in &report.pairs {
        assert_eq!(
            pair.state,
            PairState::Synced,
            "{name}: {}",
            report.to_markdown()
        );
    }
    print_timeline(world, name);
    let log = world.fake.request_log();
    if std::env::var_os("SIM_SYNC_PURPOSES").is_some() {
        for label in ["control", "Client 1"] {
            for (purpose, count) in benches::tally::by_purpose(world, &log, label).await {
                println!("sim_sync: {name}: {label}: {count:>6} {purpose}");
            }
        }
    }
    (
        Measured {
            name: name.to_owned(),
            tokens: per_token(world, &log),
            kinds: kinds(&log),
            simulated,
            wall,
        },
        report,
    )
}

/// Every live row of a data source (past the 10,000-result cap), read with `client`.
async fn all_rows(
    client: &NotionClient,
    data_source: DataSourceId,
) -> Vec<notion_xws_core::model::Page> {
    client
        .query_all(data_source, None, &[])
        .try_collect()
        .await
        .expect("the rows can be read")
}

/// Checks that every environment holds one target row per source row, and returns the
/// duplicates (target rows beyond one per source row); each environment's copy is found by its
/// pair in `report` (link rows are made in the order the pairs finish, not the registry's).
async fn check_mirrored(world: &World, control: &NotionClient, report: &RunReport) -> usize {
    let links = LinksTable::find(control)
        .await
        .expect("the links table")
        .expect("a links table after a run");
    let mut duplicates = 0;
    for env in &world.environments {
        let pair = report
            .pairs
            .iter()
            .find(|p| p.pair.environment == env.name)
            .expect("a pair per environment");
        let target = links
            .link_for(&pair.pair)
            .and_then(|l| l.target_data_source)
            .expect("every pair has its target recorded");
        let client = world.setup_client(env.workspace.token.clone());
        let rows = all_rows(&client, target).await;
        let mut keys: HashMap<PageId, usize> = HashMap::new();
        for row in &rows {
            *keys
                .entry(source_key(row).expect("every target row has a key"))
                .or_default() += 1;
        }
        assert_eq!(keys.len(), world.source_rows.len(), "{}", env.name);
        duplicates += rows.len() - keys.len();
    }
    duplicates
}

/// The naive sync's tally.
#[derive(Debug, Default)]
struct NaiveCounts {
    /// Requests sent (429s included).
    requests: u64,
    /// Requests answered 429.
    limited: u64,
    /// Rows created.
    created: u64,
}

/// The naive sync: one request at a time, sleeping `Retry-After` on a 429. See the
/// [module documentation](self).
#[derive(Debug)]
struct Naive<'a> {
    transport: &'a FakeNotion,
    counts: NaiveCounts,
}

impl Naive<'_> {
    /// Sends until the answer is not a 429, and insists on a 200.
    async fn call(
        &mut self,
        method: Method,
        path: &str,
        token: &NotionToken,
        body: Option<Value>,
    ) -> Value {
        loop {
            let mut request = ApiRequest::new(method, path, token.clone(), VERSION);
            request.body = body.clone();
            let response = self
                .transport
                .send(request)
                .await
                .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
            self.counts.requests += 1;
            if response.status == 429 {
                self.counts.limited += 1;
                tokio::time::sleep(response.retry_after.unwrap_or(Duration::from_secs(1))).await;
                continue;
            }
            assert_eq!(response.status, 200, "{method} {path}: {}", response.body);
            return response.body;
        }
    }
}

/// The plain text of a title or rich-text array.
fn plain(segments: &Value) -> String {
    segments
        .as_array()
        .map(|s| s.iter().filter_map(|s| s["plain_text"].as_str()).collect())
        .unwrap_or_default()
}

/// A property value copied the naive way (plain text, names of options), or `None` for the
/// types the old script drops.
fn naive_value(value: &Value) -> Option<Value> {
    let kind = value["type"].as_str()?;
    let v = &value[kind];
    let copied = match kind {
        "title" | "rich_text" => Value::Array(
            v.as_array()?
                .iter()
                .map(|s| json!({"text": {"content": s["plain_text"]}}))
                .collect(),
        ),
        "select" if v.is_null() => Value::Null,
        "select" => json!({"name": v["name"]}),
        "multi_select" => Value::Array(
            v.as_array()?
                .iter()
                .map(|o| json!({"name": o["name"]}))
                .collect(),
        ),
        "date" if v.is_null() => Value::Null,
        "date" => json!({"start": v["start"], "end": v["end"]}),
        "number" | "checkbox" | "url" | "email" | "phone_number" => v.clone(),
        _ => return None,
    };
    let mut out = Map::new();
    out.insert(kind.to_owned(), copied);
    Some(Value::Object(out))
}

/// A schema copied the naive way: the types the old script keeps, options by name and colour.
fn naive_schema(properties: &Value) -> Value {
    let mut out = Map::new();
    for (name, config) in properties.as_object().into_iter().flatten() {
        let kind = config["type"].as_str().unwrap_or_default();
        let copied = match kind {
            "select" | "multi_select" => json!({"options": config[kind]["options"]
                .as_array()
                .map(|options| options.iter().map(|o| json!({"name": o["name"], "color": o["color"]})).collect::<Vec<_>>())
                .unwrap_or_default()}),
            "title" | "rich_text" | "number" | "date" | "checkbox" | "url" | "email"
            | "phone_number" => json!({}),
            _ => continue,
        };
        let mut property = Map::new();
        property.insert(kind.to_owned(), copied);
        out.insert(name.clone(), Value::Object(property));
    }
    Value::Object(out)
}

/// One run of the naive sync over the world's registry.
async fn naive_sync(world: &World) -> NaiveCounts {
    let mut naive = Naive {
        transport: &world.fake,
        counts: NaiveCounts::default(),
    };
    let control = world.control.token.clone();
    // 1. The environments: the first 100 rows only.
    let environments = naive
        .call(
            Method::Post,
            &format!("/v1/data_sources/{}/query", world.environments_data_source),
            &control,
            Some(json!({"page_size": 100})),
        )
        .await;
    for env in environments["results"].as_array().into_iter().flatten() {
        let p = &env["properties"];
        let token = plain(&p["Primary-Token"]["rich_text"]);
        let related: Vec<String> =
            p["Related to system-databases (system-environments)"]["relation"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .filter_map(|r| r["id"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
        if plain(&p["Name"]["title"]).is_empty() || token.is_empty() || related.is_empty() {
            continue;
        }
        let token = NotionToken::new(&token).expect("a token in the registry");
        // 2. The token works.
        naive.call(Method::Get, "/v1/users/me", &token, None).await;
        // 3. The target workspace's databases, by lower-cased title.
        let found = naive
            .call(
                Method::Post,
                "/v1/search",
                &token,
                Some(json!({"filter": {"property": "object", "value": "data_source"}, "page_size": 100})),
            )
            .await;
        let by_title: HashMap<String, String> = found["results"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|ds| {
                (
                    plain(&ds["title"]).to_lowercase(),
                    ds["id"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        for database_row in related {
            // 4. The database's row and its first ID.
            let row = naive
                .call(
                    Method::Get,
                    &format!("/v1/pages/{database_row}"),
                    &control,
                    None,
                )
                .await;
            let sync = row["properties"]["Sync"]["select"]["name"].as_str();
            if sync.is_none_or(|s| s == "No Sync") {
                continue;
            }
            let source = plain(&row["properties"]["Data Source ID"]["rich_text"]);
            let schema = naive
                .call(
                    Method::Get,
                    &format!("/v1/data_sources/{source}"),
                    &control,
                    None,
                )
                .await;
            let title = plain(&schema["title"]);
            // 5. The target, by title; else a new one under `database-parent-page`.
            let target = match by_title.get(&title.to_lowercase()) {
                Some(target) => {
                    // 6a. Missing columns would be added here (none are: same schema).
                    naive
                        .call(
                            Method::Get,
                            &format!("/v1/data_sources/{target}"),
                            &token,
                            None,
                        )
                        .await;
                    target.clone()
                }
                None => {
                    let pages = naive
                        .call(
                            Method::Post,
                            "/v1/search",
                            &token,
                            Some(json!({"query": "database-parent-page", "filter": {"property": "object", "value": "page"}})),
                        )
                        .await;
                    let parent = pages["results"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|page| {
                            page["properties"]["title"]["title"]
                                .as_array()
                                .is_some_and(|_| {
                                    plain(&page["properties"]["title"]["title"])
                                        == "database-parent-page"
                                })
                        })
                        .and_then(|page| page["id"].as_str())
                        .expect("a database-parent-page")
                        .to_owned();
                    let database = naive
                        .call(
                            Method::Post,
                            "/v1/databases",
                            &token,
                            Some(json!({
                                "parent": {"type": "page_id", "page_id": parent},
                                "title": [{"text": {"content": title}}],
                                "initial_data_source": {"properties": naive_schema(&schema["properties"])},
                            })),
                        )
                        .await;
                    database["data_sources"][0]["id"]
                        .as_str()
                        .expect("a data source")
                        .to_owned()
                }
            };
            // 6b. Every source row, created in the target: no matching.
            let mut cursor: Option<String> = None;
            loop {
                let mut body = json!({"page_size": 100});
                if let Some(cursor) = &cursor {
                    body["start_cursor"] = json!(cursor);
                }
                let page = naive
                    .call(
                        Method::Post,
                        &format!("/v1/data_sources/{source}/query"),
                        &control,
                        Some(body),
                    )
                    .await;
                for row in page["results"].as_array().into_iter().flatten() {
                    let properties: Map<String, Value> = row["properties"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .filter_map(|(name, value)| Some((name.clone(), naive_value(value)?)))
                        .collect();
                    naive
                        .call(
                            Method::Post,
                            "/v1/pages",
                            &token,
                            Some(json!({
                                "parent": {"type": "data_source_id", "data_source_id": target},
                                "properties": properties,
                            })),
                        )
                        .await;
                    naive.counts.created += 1;
                }
                cursor = page["next_cursor"].as_str().map(str::to_owned);
                if cursor.is_none() {
                    break;
                }
            }
        }
    }
    naive.counts
}

/// Rows in the data sources titled [`SOURCE_TITLE`](benches::world::SOURCE_TITLE) of every
/// environment (the naive sync's targets), read past the 10,000-result cap.
async fn naive_target_rows(world: &World) -> usize {
    let mut rows = 0;
    for env in &world.environments {
        let client = world.setup_client(env.workspace.token.clone());
        let targets: Vec<_> = client
            .search_data_sources(benches::world::SOURCE_TITLE)
            .try_collect()
            .await
            .expect("search");
        for target in targets {
            rows += all_rows(&client, target.id).await.len();
        }
    }
    rows
}

/// One measured naive run.
#[derive(Debug)]
struct NaiveMeasured {
    counts: NaiveCounts,
    simulated: Duration,
    wall: Duration,
}

async fn run_naive(world: &World) -> NaiveMeasured {
    world.fake.clear_request_log();
    let wall = std::time::Instant::now();
    let start = Instant::now();
    let counts = tokio::time::timeout(SIMULATED_LIMIT, naive_sync(world))
        .await
        .expect("the naive sync ends");
    NaiveMeasured {
        counts,
        simulated: start.elapsed(),
        wall: wall.elapsed(),
    }
}

/// Thousands separators.
fn n(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn print_ours(runs: &[Measured]) {
    println!("\n### sim_sync: ours, per token\n");
    println!(
        "| scenario | token | requests | writes | 429s | admitted / rate (s) |\n|---|---|---:|---:|---:|---:|"
    );
    for run in runs {
        for (token, t) in &run.tokens {
            println!(
                "| {} | {token} | {} | {} | {} | {:.1} |",
                run.name,
                n(t.requests),
                n(t.writes),
                t.limited,
                t.admitted() as f64 / rate()
            );
        }
    }
    println!("\n### sim_sync: ours, per scenario\n");
    println!(
        "| scenario | requests | writes | 429s | simulated (s) | rate-limit bound (s) | simulated / bound | wall (s) |\n|---|---:|---:|---:|---:|---:|---:|---:|"
    );
    for run in runs {
        let total = run.total();
        println!(
            "| {} | {} | {} | {} | {:.1} | {:.1} | {:.3} | {:.1} |",
            run.name,
            n(total.requests),
            n(total.writes),
            total.limited,
            run.simulated.as_secs_f64(),
            run.bound(),
            run.simulated.as_secs_f64() / run.bound().max(f64::MIN_POSITIVE),
            run.wall.as_secs_f64()
        );
    }
}

fn print_kinds(runs: &[&Measured]) {
    println!("\n### sim_sync: relations and people, requests by kind\n");
    println!(
        "| scenario | {} |\n|---|{}",
        KINDS.join(" | "),
        "---:|".repeat(KINDS.len())
    );
    for run in runs {
        let cells: Vec<String> = KINDS
            .iter()
            .map(|k| n(run.kinds.get(k).copied().unwrap_or(0)))
            .collect();
        println!("| {} | {} |", run.name, cells.join(" | "));
    }
}

/// The copies of `Projects` and `Tasks` in each environment of `world` (in its order), from the
/// links table and a run's pairs.
async fn ref_targets(
    world: &World,
    control: &NotionClient,
    report: &RunReport,
) -> Vec<(DataSourceId, DataSourceId)> {
    let links = LinksTable::find(control)
        .await
        .expect("the links table")
        .expect("a links table after a run");
    let target = |env: &str, database: &str| {
        let pair = report
            .pairs
            .iter()
            .find(|p| p.pair.environment == env && p.pair.database == database)
            .expect("a pair per database and environment");
        links
            .link_for(&pair.pair)
            .and_then(|l| l.target_data_source)
            .expect("a target recorded")
    };
    world
        .environments
        .iter()
        .map(|env| {
            (
                target(&env.name, PROJECTS_TITLE),
                target(&env.name, TASKS_TITLE),
            )
        })
        .collect()
}

/// The pairs of `database` in a report.
fn pairs_of<'a>(
    report: &'a RunReport,
    database: &'a str,
) -> impl Iterator<Item = &'a notion_xws_core::sync::PairReport> + 'a {
    report
        .pairs
        .iter()
        .filter(move |p| p.pair.database == database)
}

/// Scenario (e): relations and people, and (e3) a cycle. See the [module documentation](self).
/// That a run with nothing changed wrote no row, and no pair more than its watermark (its link
/// row: after a first sync, a pair that read back more than a query's worth of that sync's
/// writes records how far it read, so that the next run does not read them again).
fn assert_quiet(report: &RunReport) {
    assert_eq!(
        report.created() + report.updated() + report.trashed(),
        0,
        "{}",
        report.to_markdown()
    );
    assert!(
        report.pairs.iter().all(|p| p.writes <= 1),
        "{}",
        report.to_markdown()
    );
}

async fn relations_scenarios(rows: usize) -> Vec<(Measured, RunReport)> {
    let spec = RefSpec {
        projects: (rows / TASKS_PER_PROJECT).max(benches::relations::WIDE),
        tasks: rows,
        environments: ENVIRONMENTS,
        fake: fake_config(),
        cycle: false,
    };
    let ref_world = RefWorld::build(&spec).await;
    let world = &ref_world.world;
    let stack = TransportStack::new(
        fake_transport(&world.fake),
        StackConfig {
            budget: BUDGET,
            ..StackConfig::default()
        },
    );
    let control = NotionClient::new(stack.transport(), world.control.token.clone());
    tokio::time::sleep(Duration::from_secs(60)).await;
    let (e0, report_e0) = run_ours(world, &control, "(e0) relations, first sync").await;
    for pair in pairs_of(&report_e0, TASKS_TITLE) {
        assert!(
            pair.created == spec.tasks && pair.updated == 0 && pair.waiting == 0,
            "(e0): one write per task, no second pass: {}",
            report_e0.to_markdown()
        );
    }
    let (e1, report_e1) = run_ours(world, &control, "(e1) relations, unchanged").await;
    assert_quiet(&report_e1);
    let targets = ref_targets(world, &control, &report_e1).await;
    let checked = ref_world.check_mirrored(&targets).await;
    let repointed = ref_world.repoint_tasks(REPOINT_EVERY, 1).await;
    tokio::time::sleep(Duration::from_secs(60)).await;
    let (e2, report_e2) = run_ours(world, &control, "(e2) relations, 1% re-pointed").await;
    for pair in pairs_of(&report_e2, TASKS_TITLE) {
        assert_eq!(pair.updated, repointed, "{}", report_e2.to_markdown());
    }
    let checked_after = ref_world.check_mirrored(&targets).await;
    println!(
        "sim_sync: (e) {} task copies checked after (e1) and {} after (e2): every relation \
         names the copies of its source's projects, every people value the matched members",
        n(checked as u64),
        n(checked_after as u64)
    );
    drop((control, stack, ref_world));

    let cycle_world = RefWorld::build(&RefSpec {
        cycle: true,
        ..spec.clone()
    })
    .await;
    let world = &cycle_world.world;
    let stack = TransportStack::new(
        fake_transport(&world.fake),
        StackConfig {
            budget: BUDGET,
            ..StackConfig::default()
        },
    );
    let control = NotionClient::new(stack.transport(), world.control.token.clone());
    tokio::time::sleep(Duration::from_secs(60)).await;
    let (e3, report_e3) = run_ours(world, &control, "(e3) cycle, first sync").await;
    let (e3r, report_e3r) = run_ours(world, &control, "(e3r) cycle, unchanged").await;
    assert_quiet(&report_e3r);
    let targets = ref_targets(world, &control, &report_e3r).await;
    cycle_world.check_mirrored(&targets).await;
    vec![
        (e0, report_e0),
        (e1, report_e1),
        (e2, report_e2),
        (e3, report_e3),
        (e3r, report_e3r),
    ]
}

fn print_pairs(name: &str, report: &RunReport) {
    println!("\n{name}, per pair (the core's RunReport):\n");
    println!(
        "| pair | requests | writes | created | updated | unchanged |\n|---|---:|---:|---:|---:|---:|"
    );
    for pair in &report.pairs {
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            pair.pair.label(),
            n(pair.requests),
            n(pair.writes),
            n(pair.created as u64),
            n(pair.updated as u64),
            n(pair.unchanged as u64)
        );
    }
}

fn main() {
    std::thread::spawn(|| {
        std::thread::sleep(WALL_LIMIT);
        eprintln!("sim_sync: stopped after {WALL_LIMIT:?} of wall clock");
        std::process::exit(2);
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let rows = rows();
        let spec = WorldSpec {
            rows,
            environments: ENVIRONMENTS,
            fake: fake_config(),
            sync: "Push",
        };
        let wall = std::time::Instant::now();
        let simulated = Instant::now();
        let world = World::build(&spec).await;
        println!(
            "sim_sync: world of {rows} rows and {ENVIRONMENTS} environments built in {:.1} s of \
             wall clock ({:.0} s simulated, through the rate limit)",
            wall.elapsed().as_secs_f64(),
            simulated.elapsed().as_secs_f64()
        );

        let stack = TransportStack::new(
            fake_transport(&world.fake),
            StackConfig {
                budget: BUDGET,
                ..StackConfig::default()
            },
        );
        let control = NotionClient::new(stack.transport(), world.control.token.clone());
        // Let every token's budget refill after the setup.
        tokio::time::sleep(Duration::from_secs(60)).await;
        let (a, report_a) = run_ours(&world, &control, "(a) initial").await;
        let (b, report_b) = run_ours(&world, &control, "(b) unchanged").await;
        // Once more: (b) read the first sync's last minute of writes again (Notion stamps edits
        // to the minute) and recorded how far it read; a quiet run after it reads none of them.
        let (b2, _) = run_ours(&world, &control, "(b2) unchanged again").await;
        let ours_duplicates = check_mirrored(&world, &control, &report_b).await;
        let edited = world.edit_rows(EDIT_EVERY).await;
        tokio::time::sleep(Duration::from_secs(60)).await;
        let (c, report_c) = run_ours(&world, &control, "(c) 1% edited").await;
        assert!(
            report_c
                .pairs
                .iter()
                .all(|p| p.updated == edited && p.created == 0),
            "{}",
            report_c.to_markdown()
        );
        println!(
            "sim_sync: ours done, {:.1} s of wall clock so far; peak resident memory (VmHWM) \
             {:.0} MiB",
            wall.elapsed().as_secs_f64(),
            benches::resources::mib(benches::resources::peak_rss())
        );

        let naive_world = World::build(&spec).await;
        tokio::time::sleep(Duration::from_secs(60)).await;
        let naive_a = run_naive(&naive_world).await;
        let naive_b = run_naive(&naive_world).await;
        let naive_rows = naive_target_rows(&naive_world).await;
        let naive_duplicates = naive_rows.saturating_sub(rows * ENVIRONMENTS);

        // (d): a two-way pair (one environment, a fifth of the rows), after its first sync,
        // with 1% of the rows edited on each side.
        let two_way_rows = (rows / 5).max(100);
        let two_way_world = World::build(&WorldSpec {
            rows: two_way_rows,
            environments: 1,
            fake: fake_config(),
            sync: "Two-Way",
        })
        .await;
        let two_way_stack = TransportStack::new(
            fake_transport(&two_way_world.fake),
            StackConfig {
                budget: BUDGET,
                ..StackConfig::default()
            },
        );
        let two_way_control =
            NotionClient::new(two_way_stack.transport(), two_way_world.control.token.clone());
        tokio::time::sleep(Duration::from_secs(60)).await;
        let (d0, _) = run_ours(&two_way_world, &two_way_control, "(d0) two-way, first sync").await;
        let on_control = two_way_world.edit_rows(EDIT_EVERY).await;
        let on_environment = two_way_world
            .edit_environment_rows(EDIT_EVERY, EDIT_EVERY / 2)
            .await;
        tokio::time::sleep(Duration::from_secs(60)).await;
        let (d, report_d) = run_ours(
            &two_way_world,
            &two_way_control,
            "(d) two-way, 1% edited on each side",
        )
        .await;
        assert!(
            report_d.pairs.iter().all(|p| p.updated == on_control + on_environment),
            "{}",
            report_d.to_markdown()
        );
        let (d2, _) = run_ours(&two_way_world, &two_way_control, "(d2) two-way, unchanged").await;

        // The worlds of (a)–(d) are done with: their memory is given back before (e) builds its
        // two.
        drop((control, stack, world, naive_world));
        drop((two_way_control, two_way_stack, two_way_world));
        let wall_e = std::time::Instant::now();
        let relations = relations_scenarios(rows).await;
        println!(
            "sim_sync: (e) done in {:.1} s of wall clock (its two worlds' setup included)",
            wall_e.elapsed().as_secs_f64()
        );
        let (relation_runs, relation_reports): (Vec<Measured>, Vec<RunReport>) =
            relations.into_iter().unzip();

        let runs: Vec<Measured> = [a, b, b2, c, d0, d, d2]
            .into_iter()
            .chain(relation_runs)
            .collect();
        print_ours(&runs);
        print_kinds(&runs[1..3].iter().chain(&runs[7..]).collect::<Vec<_>>());
        print_pairs("(a) initial", &report_a);
        print_pairs("(b) unchanged", &report_b);
        print_pairs("(c) 1% edited", &report_c);
        print_pairs("(d) two-way, 1% edited on each side", &report_d);
        for (run, report) in runs[7..].iter().zip(&relation_reports) {
            print_pairs(&run.name, report);
        }
        println!(
            "\n(b): each pair reads at most ⌈{rows}/100⌉ = {} pages per side plus a small \
             constant (see the pairs' requests above); ours made {ours_duplicates} duplicate(s).",
            rows.div_ceil(100)
        );

        println!("\n### sim_sync: naive baseline against ours\n");
        println!(
            "| scenario | naive requests | ours requests | naive / ours | naive simulated (s) | ours simulated (s) | naive / ours | naive 429s | naive wall (s) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|"
        );
        for (naive, ours) in [(&naive_a, &runs[0]), (&naive_b, &runs[1])] {
            let total = ours.total();
            println!(
                "| {} | {} | {} | {:.1}× | {:.0} | {:.0} | {:.1}× | {} | {:.1} |",
                ours.name,
                n(naive.counts.requests),
                n(total.requests),
                naive.counts.requests as f64 / total.requests as f64,
                naive.simulated.as_secs_f64(),
                ours.simulated.as_secs_f64(),
                naive.simulated.as_secs_f64() / ours.simulated.as_secs_f64(),
                n(naive.counts.limited),
                naive.wall.as_secs_f64()
            );
        }
        println!(
            "\nnaive: {} rows created in (a), {} in (b); the targets hold {} rows for {} source \
             rows × {ENVIRONMENTS} environments: {} duplicates (ours: {ours_duplicates}).",
            n(naive_a.counts.created),
            n(naive_b.counts.created),
            n(naive_rows as u64),
            n(rows as u64),
            n(naive_duplicates as u64)
        );
        println!(
            "\nsim_sync: {:.1} s of wall clock in all; peak resident memory (VmHWM) {:.0} MiB",
            wall.elapsed().as_secs_f64(),
            benches::resources::mib(benches::resources::peak_rss())
        );
    });
}
