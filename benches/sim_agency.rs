//! Scenario (f), an agency: [`ENVIRONMENTS`] client workspaces, each with a copy of every one of
//! [`DATABASES`] databases of [`ROWS`] rows (every [`TWO_WAY_EVERY`]th database two-way, the
//! others pushed), synced by the real [`sync`] against the fake Notion on tokio's paused clock,
//! under Notion's budget per token ([`BUDGET`], kept by the client's [`TransportStack`] and
//! enforced by the fake) and a latency of [`LATENCY`] per request.
//!
//! Cycles, as `watch` runs them: (f0) the first sync; (f1) nothing changed; (f2) 0.1% of the
//! rows edited (in the sources, and, for the two-way databases, as many in the copies); (f3) 1%
//! edited the same way; (f4) a full reconcile (`--full`) with nothing changed. For each: the
//! requests of the control token and of each client token (the busiest and the median), the
//! writes, the 429s, the simulated time against the rate limit's lower bound (the most
//! requests one token had admitted, over its rate), and, for (f2) and (f3), the **freshness**:
//! for each edited row, the simulated time from its edit to the last write of it into every
//! other copy (the control's row included, for an edit in a copy), over as many cycles as it
//! takes (an edit made in a client's copy reaches the others through the control, on the next
//! cycle when their pair ran first), each cycle starting when the one before ends.
//!
//! Sizes (`AGENCY_ENVIRONMENTS`, `AGENCY_DATABASES`, `AGENCY_ROWS` override them, for a quick
//! try; `AGENCY_CONCURRENCY` the pairs run at once, `AGENCY_PURPOSES` prints what the
//! control token's requests went to, and `AGENCY_BUSY` how much of its budget it used in each
//! tenth of the first sync) and the run are bounded; it prints a few lines a cycle. Everything
//! runs on one paused current-thread runtime, so the figures are exact and repeatable.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use benches::api::{ok, text};
use benches::tally::{TokenCounts, by_purpose, per_token};
use benches::world::{Builder, World, row_properties, source_schema};
use futures::TryStreamExt;
use notion_xws_core::PageId;
use notion_xws_core::client::NotionClient;
use notion_xws_core::fake::{FakeConfig, FakeNotion};
use notion_xws_core::rate::RateBudget;
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::sync::links::LinksTable;
use notion_xws_core::sync::one_way::plan::source_key;
use notion_xws_core::sync::watermark::IncrementalOptions;
use notion_xws_core::sync::{RunReport, SyncOptions, sync};
use notion_xws_core::transport::stack::{StackConfig, TransportStack};
use notion_xws_core::transport::{ApiRequest, ApiResponse, DynTransport, Method, Transport};
use serde_json::json;
use tokio::time::Instant;

/// Client workspaces.
const ENVIRONMENTS: usize = 10;
/// Databases of the agency's workspace, each copied into every client workspace.
const DATABASES: usize = 20;
/// Rows of each database.
const ROWS: usize = 1_000;
/// Every `TWO_WAY_EVERY`th database is synced both ways; the others are pushed.
const TWO_WAY_EVERY: usize = 5;
/// Notion's budget per integration.
const BUDGET: RateBudget = RateBudget::NOTION_DEFAULT;
/// How long the fake takes to answer each request.
const LATENCY: Duration = Duration::from_millis(300);
/// The most cycles an edit may take to reach every copy.
const MOST_CYCLES: usize = 4;

/// A size of this run: its default, or the environment variable's.
fn size(variable: &str, default: usize) -> usize {
    std::env::var(variable)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Requests per second of [`BUDGET`].
fn rate() -> f64 {
    f64::from(BUDGET.per_minute.get()) / 60.0
}

/// Writes of rows (`PATCH /v1/pages/{id}`), by page, at the simulated time they were sent: the
/// sync's transport, under its rate limits and retries, so that each write is timed as the
/// fake receives it.
#[derive(Debug)]
struct WriteTimes {
    inner: FakeNotion,
    writes: Mutex<HashMap<PageId, Instant>>,
}

#[async_trait]
impl Transport for WriteTimes {
    async fn send(&self, request: ApiRequest) -> notion_xws_core::Result<ApiResponse> {
        let page = match (request.method, request.path.strip_prefix("/v1/pages/")) {
            (Method::Patch, Some(id)) if !id.contains('/') => PageId::parse(id).ok(),
            _ => None,
        };
        let response = self.inner.send(request).await?;
        if let (Some(page), true) = (page, response.is_success()) {
            let mut writes = self.writes.lock().unwrap_or_else(|e| e.into_inner());
            writes.insert(page, Instant::now());
        }
        Ok(response)
    }
}

/// One database of the agency: its title, whether it is synced both ways, and its rows.
struct Database {
    title: String,
    two_way: bool,
    rows: Vec<String>,
}

/// The rows of every copy: for each source row, its copies (environment, copy row).
type Families = HashMap<PageId, Vec<(usize, PageId)>>;

/// A measured cycle.
struct Cycle {
    tokens: BTreeMap<String, TokenCounts>,
    simulated: Duration,
    report: RunReport,
}

impl Cycle {
    fn bound(&self) -> f64 {
        self.tokens
            .values()
            .map(|t| t.admitted() as f64 / rate())
            .fold(0.0, f64::max)
    }

    /// The control token's requests, and the client tokens' (the busiest, the median).
    fn line(&self, name: &str) -> String {
        let control = self.tokens.get("control").cloned().unwrap_or_default();
        let mut clients: Vec<u64> = self
            .tokens
            .iter()
            .filter(|(label, _)| !label.starts_with("control"))
            .map(|(_, t)| t.requests)
            .collect();
        clients.sort_unstable();
        let busiest = clients.last().copied().unwrap_or(0);
        let median = clients.get(clients.len() / 2).copied().unwrap_or(0);
        let total: u64 = self.tokens.values().map(|t| t.requests).sum();
        let writes: u64 = self.tokens.values().map(|t| t.writes).sum();
        let limited: u64 = self.tokens.values().map(|t| t.limited).sum();
        let bound = self.bound();
        format!(
            "| {name} | {total} | {} | {busiest} / {median} | {writes} | {limited} | {:.1} | {bound:.1} | {:.3} |",
            control.requests,
            self.simulated.as_secs_f64(),
            self.simulated.as_secs_f64() / bound.max(f64::MIN_POSITIVE),
        )
    }
}

/// Rows a run created, updated or trashed (its link rows' writes, such as a watermark moved
/// on, left out).
fn row_writes(report: &RunReport) -> usize {
    report
        .pairs
        .iter()
        .map(|p| p.created + p.updated + p.trashed)
        .sum()
}

/// A cycle's options: executing, with the sync's default concurrency unless
/// `AGENCY_CONCURRENCY` sets it.
fn executing() -> SyncOptions {
    SyncOptions {
        execute: true,
        concurrency: size("AGENCY_CONCURRENCY", 0),
        ..SyncOptions::default()
    }
}

/// With `AGENCY_BUSY`, prints how busy the control token was in each tenth of the cycle just
/// run (requests admitted against what its budget allows), and starts the timeline again.
fn print_busy(busy: Option<&benches::timeline::Timeline>, world: &World, name: &str) {
    let Some(timeline) = busy else {
        return;
    };
    let lines = timeline.take();
    let end = lines.iter().map(|l| l.ended).max().unwrap_or_default();
    let tenth = end.as_secs_f64() / 10.0;
    let mut tenths = [0usize; 10];
    for line in lines.iter().filter(|l| l.token == world.control.token) {
        let at = (line.began.as_secs_f64() / tenth.max(f64::MIN_POSITIVE)) as usize;
        tenths[at.min(9)] += 1;
    }
    let shares: Vec<String> = tenths
        .iter()
        .map(|n| format!("{:.0}%", 100.0 * *n as f64 / (tenth * rate())))
        .collect();
    println!(
        "sim_agency: {name}: the control token's use of its budget, by tenth of {:.0} s: {}",
        end.as_secs_f64(),
        shares.join(" ")
    );
}

/// Runs one cycle of the sync and measures it.
async fn cycle(world: &World, control: &NotionClient, options: &SyncOptions, name: &str) -> Cycle {
    world.fake.clear_request_log();
    let start = Instant::now();
    let report = sync(control, &RegistryConfig::default(), options, None)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(!report.has_failures(), "{name}: {}", report.to_markdown());
    assert_eq!(report.exit_status(), 0, "{name}: {}", report.to_markdown());
    let log = world.fake.request_log();
    if std::env::var_os("AGENCY_PURPOSES").is_some() {
        // A diagnostic: the lookups of titles move the simulated clock, so freshness figures
        // taken with it are not comparable.
        for (purpose, count) in by_purpose(world, &log, "control").await {
            println!("sim_agency: {name}: control: {count:>6} {purpose}");
        }
    }
    Cycle {
        tokens: per_token(world, &log),
        simulated: start.elapsed(),
        report,
    }
}

/// Every copy's rows, by their source row (read with each client's token over the setup
/// transport, after the request log of the cycles is taken).
async fn families(world: &World, control: &NotionClient, report: &RunReport) -> Families {
    let links = LinksTable::find(control)
        .await
        .expect("the links table")
        .expect("a links table after the first sync");
    let mut families: Families = HashMap::new();
    for pair in &report.pairs {
        let environment = world
            .environments
            .iter()
            .position(|e| e.name == pair.pair.environment)
            .expect("a pair of a known environment");
        let copy = links
            .link_for(&pair.pair)
            .and_then(|l| l.target_data_source)
            .expect("every pair has its copy recorded");
        let client = world.setup_client(world.environments[environment].workspace.token.clone());
        let rows: Vec<_> = client
            .query_all(copy, None, &[])
            .try_collect()
            .await
            .expect("the copy's rows");
        for row in rows {
            let key = source_key(&row).expect("every copy row has its key");
            families.entry(key).or_default().push((environment, row.id));
        }
    }
    families
}

/// Edits every `every`-th row of each database (its `Notes`), and, for the two-way databases,
/// as many rows of each copy (their `Hours`, other rows than the sources' edits): each edit as
/// (the page edited, the other pages of its family, when).
async fn edit(
    world: &World,
    databases: &[Database],
    families: &Families,
    every: usize,
    round: usize,
) -> Vec<(PageId, Vec<PageId>, Instant)> {
    let mut edits = Vec::new();
    for database in databases {
        for (i, row) in database.rows.iter().enumerate().step_by(every) {
            let id = PageId::parse(row).expect("a row ID");
            ok(
                world.setup.as_ref(),
                Method::Patch,
                &format!("/v1/pages/{row}"),
                &world.setup_token,
                Some(json!({"properties": {"Notes": {"rich_text": text(&format!("round {round}, row {i}"))}}})),
            )
            .await;
            let copies = families[&id].iter().map(|(_, copy)| *copy).collect();
            edits.push((id, copies, Instant::now()));
        }
        if !database.two_way {
            continue;
        }
        for (environment, env) in world.environments.iter().enumerate() {
            for (i, row) in database
                .rows
                .iter()
                .enumerate()
                .skip(every / 2)
                .step_by(every)
            {
                let source = PageId::parse(row).expect("a row ID");
                let family = &families[&source];
                let Some((_, copy)) = family.iter().find(|(e, _)| *e == environment) else {
                    continue;
                };
                ok(
                    world.setup.as_ref(),
                    Method::Patch,
                    &format!("/v1/pages/{copy}"),
                    &env.workspace.token,
                    Some(json!({"properties": {"Hours": {"number": (round * 1000 + i) as f64}}})),
                )
                .await;
                let others = family
                    .iter()
                    .map(|(_, c)| *c)
                    .filter(|c| c != copy)
                    .chain([source])
                    .collect();
                edits.push((*copy, others, Instant::now()));
            }
        }
    }
    edits
}

/// Runs cycles after `edits`, back to back, until every edit reached every other page of its
/// family: the cycles (the first is measured as `name`) and each edit's freshness.
async fn until_fresh(
    world: &World,
    control: &NotionClient,
    writes: &WriteTimes,
    edits: &[(PageId, Vec<PageId>, Instant)],
    name: &str,
) -> (Cycle, Vec<Duration>, usize) {
    writes
        .writes
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clear();
    let options = executing();
    let first = cycle(world, control, &options, name).await;
    let mut cycles = 1;
    loop {
        let arrived = {
            let times = writes.writes.lock().unwrap_or_else(|e| e.into_inner());
            edits
                .iter()
                .all(|(_, others, _)| others.iter().all(|p| times.contains_key(p)))
        };
        if arrived {
            break;
        }
        assert!(
            cycles < MOST_CYCLES,
            "{name}: an edit took more than {MOST_CYCLES} cycles"
        );
        cycle(world, control, &options, name).await;
        cycles += 1;
    }
    let times = writes.writes.lock().unwrap_or_else(|e| e.into_inner());
    let mut freshness: Vec<Duration> = edits
        .iter()
        .map(|(_, others, at)| {
            others
                .iter()
                .map(|p| times[p].duration_since(*at))
                .max()
                .unwrap_or_default()
        })
        .collect();
    freshness.sort();
    (first, freshness, cycles)
}

/// Prints a cycle's freshness: the median and the worst.
fn freshness_line(name: &str, freshness: &[Duration], cycles: usize) -> String {
    let median = freshness
        .get(freshness.len() / 2)
        .copied()
        .unwrap_or_default();
    let worst = freshness.last().copied().unwrap_or_default();
    format!(
        "sim_agency: {name}: {} edits; freshness median {:.1} s, worst {:.1} s ({cycles} cycle(s) back to back)",
        freshness.len(),
        median.as_secs_f64(),
        worst.as_secs_f64()
    )
}

async fn agency() {
    let environments = size("AGENCY_ENVIRONMENTS", ENVIRONMENTS);
    let count = size("AGENCY_DATABASES", DATABASES);
    let rows = size("AGENCY_ROWS", ROWS);
    let fake_config = FakeConfig {
        per_token: Some(BUDGET),
        latency: LATENCY,
        ..FakeConfig::default()
    };
    let wall = std::time::Instant::now();
    let builder = Builder::start(&fake_config).await;
    let mut databases = Vec::with_capacity(count);
    let mut registered = Vec::with_capacity(count);
    for d in 0..count {
        let title = format!("Database {d:02}");
        let (database, data_source) = builder.database(&title, source_schema()).await;
        let mut made = Vec::with_capacity(rows);
        for i in 0..rows {
            made.push(builder.row(&data_source, row_properties(i)).await);
        }
        let two_way = d % TWO_WAY_EVERY == TWO_WAY_EVERY - 1;
        registered.push((title.clone(), database, data_source.clone(), two_way));
        databases.push(Database {
            title,
            two_way,
            rows: made,
        });
    }
    let sources: Vec<(&str, &str, &str, &str)> = registered
        .iter()
        .map(|(title, database, data_source, two_way)| {
            let sync = if *two_way { "Two-Way" } else { "Push" };
            (
                title.as_str(),
                database.as_str(),
                data_source.as_str(),
                sync,
            )
        })
        .collect();
    let main = (sources[0].1, sources[0].2, databases[0].rows.clone());
    let world = builder.finish_each(&sources, environments, main).await;
    println!(
        "sim_agency: {environments} environments × {count} databases ({} two-way) × {rows} rows built in {:.1} s of wall clock",
        databases.iter().filter(|d| d.two_way).count(),
        wall.elapsed().as_secs_f64()
    );

    let writes = Arc::new(WriteTimes {
        inner: world.fake.clone(),
        writes: Mutex::new(HashMap::new()),
    });
    // `AGENCY_BUSY`: the control token's requests per tenth of the first sync, against its budget.
    let busy = std::env::var_os("AGENCY_BUSY")
        .map(|_| benches::timeline::Timeline::new(Arc::clone(&writes) as DynTransport));
    let sent = busy.clone().map_or_else(
        || Arc::clone(&writes) as DynTransport,
        |timeline| Arc::new(timeline) as DynTransport,
    );
    let stack = TransportStack::new(
        sent,
        StackConfig {
            budget: BUDGET,
            ..StackConfig::default()
        },
    );
    let control = NotionClient::new(stack.transport(), world.control.token.clone());
    let execute = executing();
    tokio::time::sleep(Duration::from_secs(600)).await;
    if let Some(timeline) = &busy {
        timeline.take();
    }
    let f0 = cycle(&world, &control, &execute, "(f0) first sync").await;
    print_busy(busy.as_ref(), &world, "(f0) first sync");
    let copies: usize = f0.report.pairs.iter().map(|p| p.created).sum();
    assert_eq!(
        copies,
        environments * count * rows,
        "{}",
        f0.report.to_markdown()
    );
    let families = families(&world, &control, &f0.report).await;
    assert!(
        families.values().all(|f| f.len() == environments),
        "one copy row per source row and environment"
    );
    tokio::time::sleep(Duration::from_secs(300)).await;
    let f1 = cycle(&world, &control, &execute, "(f1) unchanged").await;
    assert_eq!(row_writes(&f1.report), 0, "{}", f1.report.to_markdown());
    let incremental = f1.report.pairs.iter().filter(|p| p.incremental).count();

    let mut lines = vec![
        "| cycle | requests | control | each client token (busiest / median) | writes | 429s | simulated s | bound s | ratio |".to_owned(),
        "|---|---|---|---|---|---|---|---|---|".to_owned(),
        f0.line("(f0) first sync"),
        f1.line("(f1) unchanged"),
    ];
    let mut fresh = Vec::new();
    for (round, (every, name)) in [(1000, "(f2) 0.1% edited"), (100, "(f3) 1% edited")]
        .into_iter()
        .enumerate()
    {
        tokio::time::sleep(Duration::from_secs(300)).await;
        let edits = edit(&world, &databases, &families, every, round + 1).await;
        let (first, freshness, cycles) = until_fresh(&world, &control, &writes, &edits, name).await;
        lines.push(first.line(name));
        fresh.push(freshness_line(name, &freshness, cycles));
    }
    tokio::time::sleep(Duration::from_secs(300)).await;
    let full = SyncOptions {
        incremental: IncrementalOptions {
            full: true,
            ..IncrementalOptions::default()
        },
        ..executing()
    };
    let f4 = cycle(&world, &control, &full, "(f4) full reconcile").await;
    assert_eq!(row_writes(&f4.report), 0, "{}", f4.report.to_markdown());
    lines.push(f4.line("(f4) full reconcile, nothing changed"));
    for line in &lines {
        println!("{line}");
    }
    println!(
        "sim_agency: (f1) {incremental} of {} pairs read incrementally",
        f1.report.pairs.len()
    );
    for line in &fresh {
        println!("{line}");
    }
    println!(
        "sim_agency: wall clock {:.1} s; databases {}",
        wall.elapsed().as_secs_f64(),
        databases
            .iter()
            .map(|d| format!(
                "{} ({})",
                d.title,
                if d.two_way { "two-way" } else { "push" }
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

fn main() {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a runtime")
        .block_on(agency());
}
