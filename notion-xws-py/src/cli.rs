//! The `notion-xws` command: argument parsing and output, over the core's public API.
//!
//! Python's `notion_xws.__main__` hands `sys.argv` to [`main`]. The control token is read from
//! the environment variable `NOTION_TOKEN` (or the one `--token-env` names), never from the
//! command line. The client is the one `notion_xws.Client` builds ([`connect`]), and the audit
//! and the repair are the core's; this module only prints. The exit status is 0 when all went
//! well, 1 when the audit has blocking (P0) findings, a repair change failed or the run failed,
//! and 2 for usage or configuration errors (a missing token variable, a bad base URL, a registry
//! that cannot be found, a token Notion refuses).

use std::io::Write as _;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use notion_xws_core::audit::{AuditReport, ParentPageStatus, audit};
use notion_xws_core::client::{NotionClient, NotionVersion};
use notion_xws_core::demo::{ASSET_RELATION, CONTACT_RELATION, DemoReferences, DemoWorld};
use notion_xws_core::fake::{FakeConfig, FakeNotion};
use notion_xws_core::rate::RateBudget;
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::repair::{RepairAction, RepairPlan, RepairReport, apply_repair, plan_repair};
use notion_xws_core::sync::execute::{Progress, ProgressFn};
use notion_xws_core::sync::{RunReport, SyncOptions, sync};
use notion_xws_core::{Error, NotionLink, NotionToken};
use pyo3::prelude::*;

use crate::client::{Target, budget, connect, registry_config, sync_options, today_utc};
use crate::report::repair_json;
use crate::runtime;

/// Writes a line to stdout, ignoring a closed pipe (`notion-xws audit | head`).
macro_rules! out {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Audit, repair and sync Notion databases across workspaces.
///
/// The control token is read from the environment variable NOTION_TOKEN (or the one named by
/// --token-env), never from the command line.
#[derive(Debug, Parser)]
#[command(name = "notion-xws", version, about)]
struct Cli {
    /// The Notion API's base URL (a fake served on 127.0.0.1, say).
    #[arg(
        long,
        global = true,
        env = "NOTION_BASE_URL",
        default_value = "https://api.notion.com",
        value_name = "URL"
    )]
    base_url: String,
    /// The environment variable that holds the control token.
    #[arg(
        long,
        global = true,
        default_value = "NOTION_TOKEN",
        value_name = "NAME"
    )]
    token_env: String,
    /// The `system-environments` database, by ID or link (default: found by title).
    #[arg(long, global = true, value_name = "ID_OR_LINK")]
    environments: Option<String>,
    /// The `system-databases` database, by ID or link (default: found by title).
    #[arg(long, global = true, value_name = "ID_OR_LINK")]
    databases: Option<String>,
    /// Requests per minute for each token (Notion allows 180 on most plans).
    #[arg(long, global = true, default_value_t = 180, value_name = "N")]
    requests_per_minute: u32,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Audits the registry (read only) and prints the report (Markdown, or JSON).
    Audit {
        /// Print only the JSON report on stdout.
        #[arg(long)]
        json: bool,
        /// Also write the Markdown report to FILE.
        #[arg(long, value_name = "FILE")]
        markdown: Option<PathBuf>,
    },
    /// Plans the repair of what the audit found; applies it with --execute.
    Repair {
        /// Apply the changes (without it: a dry run, nothing is written).
        #[arg(long)]
        execute: bool,
        /// Print only the JSON report on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Plans the sync of every pair (or of one environment or client): writes nothing.
    Plan {
        /// Only the environment, or the `Clients` row, of this name.
        #[arg(long, value_name = "NAME")]
        client: Option<String>,
        /// Print only the JSON report on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Syncs the databases of the registry: a dry run unless --execute.
    Sync {
        /// Only the environment, or the `Clients` row, of this name.
        #[arg(long, value_name = "NAME")]
        client: Option<String>,
        /// Write (without it: a dry run, nothing is written).
        #[arg(long)]
        execute: bool,
        /// Trash past the max-delete guard (more than half of a target's rows).
        #[arg(long)]
        allow_mass_delete: bool,
        /// How two-way pairs settle different changes to one property on both sides: report
        /// (overwrite nothing), control-wins, environment-wins or newer-wins.
        #[arg(long, default_value = "report", value_name = "POLICY")]
        conflicts: String,
        /// What one-way pairs do with people they cannot match by email in the target: leave
        /// (them out, reported) or names (written into a "<column> (unmatched)" text column).
        #[arg(long, default_value = "leave", value_name = "FALLBACK")]
        people_fallback: String,
        /// Print only the JSON report on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Runs the whole flow on an embedded demo world (no network, no token): audit, repair,
    /// sync, a second sync that writes nothing, and what became of the relations and people.
    Demo,
    /// Reads Notion links (or IDs) and prints what each names.
    ParseLink {
        /// The links to read.
        #[arg(required = true)]
        links: Vec<String>,
    },
}

/// Runs the command line `argv` (program name first) and returns the exit status.
#[pyfunction]
pub(crate) fn main(py: Python<'_>, argv: Vec<String>) -> PyResult<i32> {
    // The program is `notion-xws` however it was started (`python -m notion_xws` names
    // `__main__.py`).
    let args = std::iter::once("notion-xws".to_owned()).chain(argv.into_iter().skip(1));
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return Ok(if error.use_stderr() { 2 } else { 0 });
        }
    };
    let config = registry_config(cli.environments.clone(), cli.databases.clone());
    match &cli.command {
        Command::ParseLink { links } => Ok(parse_links(links)),
        Command::Demo => runtime::run(py, demo).map(|status| status.unwrap_or_else(failed)),
        Command::Audit { json, markdown } => {
            let client = match control_client(&cli) {
                Ok(client) => client,
                Err(error) => return Ok(failed(error)),
            };
            let run = || run_audit(&client, &config, *json, markdown.as_ref());
            runtime::run(py, run).map(|status| status.unwrap_or_else(failed))
        }
        Command::Plan { client: only, json } => {
            let client = match control_client(&cli) {
                Ok(client) => client,
                Err(error) => return Ok(failed(error)),
            };
            let options = match sync_options(false, only.clone(), false, "report", "leave") {
                Ok(options) => options,
                Err(error) => return Ok(failed(error)),
            };
            let run = || run_sync(&client, &config, options, *json);
            runtime::run(py, run).map(|status| status.unwrap_or_else(failed))
        }
        Command::Sync {
            client: only,
            execute,
            allow_mass_delete,
            conflicts,
            people_fallback,
            json,
        } => {
            let client = match control_client(&cli) {
                Ok(client) => client,
                Err(error) => return Ok(failed(error)),
            };
            let options = match sync_options(
                *execute,
                only.clone(),
                *allow_mass_delete,
                conflicts,
                people_fallback,
            ) {
                Ok(options) => options,
                Err(error) => return Ok(failed(error)),
            };
            let run = || run_sync(&client, &config, options, *json);
            runtime::run(py, run).map(|status| status.unwrap_or_else(failed))
        }
        Command::Repair { execute, json } => {
            let client = match control_client(&cli) {
                Ok(client) => client,
                Err(error) => return Ok(failed(error)),
            };
            let run = || run_repair(&client, &config, *execute, *json);
            runtime::run(py, run).map(|status| status.unwrap_or_else(failed))
        }
    }
}

/// The control client: the token from the environment, the stack to `--base-url`.
fn control_client(cli: &Cli) -> Result<NotionClient, Error> {
    let token = NotionToken::from_env(&cli.token_env)?;
    let budget = budget(
        cli.requests_per_minute,
        RateBudget::NOTION_DEFAULT.burst.get(),
    )?;
    connect(
        Target::Http(&cli.base_url),
        token,
        NotionVersion::LATEST,
        budget,
    )
}

/// Prints an error that stopped the run and returns its exit status: 2 for configuration
/// (the token, the base URL, the registry, bad input), else 1. Errors never hold a token.
fn failed(error: Error) -> i32 {
    eprintln!("notion-xws: {error}");
    match error {
        Error::Config(_)
        | Error::Registry(_)
        | Error::Protected(_)
        | Error::InvalidToken(_)
        | Error::InvalidId(_)
        | Error::InvalidLink(_)
        | Error::Unauthorized(_) => 2,
        _ => 1,
    }
}

/// `audit`: the Markdown report (or the JSON one) on stdout; 1 when a finding blocks.
async fn run_audit(
    client: &NotionClient,
    config: &RegistryConfig,
    json: bool,
    markdown: Option<&PathBuf>,
) -> Result<i32, Error> {
    let (_, report) = audit(client, config).await?;
    if let Some(path) = markdown {
        std::fs::write(path, report.to_markdown()).map_err(|e| {
            Error::Config(format!(
                "cannot write the report to {}: {e}",
                path.display()
            ))
        })?;
    }
    if json {
        out!("{}", report.to_json());
    } else if let Some(path) = markdown {
        let s = &report.summary;
        out!(
            "audit: {} environments, {} databases, {} findings ({} blocking); the report is in {}",
            s.environments,
            s.databases,
            s.findings,
            s.blocking_findings,
            path.display()
        );
    } else {
        out!("{}", report.to_markdown());
    }
    Ok(i32::from(report.has_blocking_findings()))
}

/// A progress bar per pair on stderr, drawn only on a terminal.
fn progress_bars() -> ProgressFn {
    let bars = indicatif::MultiProgress::new();
    let by_pair =
        std::sync::Mutex::new(std::collections::HashMap::<String, indicatif::ProgressBar>::new());
    let style = indicatif::ProgressStyle::with_template("{prefix:>40} [{bar:30}] {pos}/{len} rows")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ");
    std::sync::Arc::new(move |progress: &Progress| {
        let mut by_pair = by_pair.lock().unwrap_or_else(|e| e.into_inner());
        let bar = by_pair.entry(progress.pair.clone()).or_insert_with(|| {
            let bar = bars.add(indicatif::ProgressBar::new(progress.planned as u64));
            bar.set_style(style.clone());
            bar.set_prefix(progress.pair.clone());
            bar
        });
        bar.set_position(progress.done as u64);
        if progress.done >= progress.planned {
            bar.finish();
        }
    })
}

/// `plan` and `sync`: the Markdown report (or the JSON one) on stdout; 1 when a pair failed.
async fn run_sync(
    client: &NotionClient,
    config: &RegistryConfig,
    options: SyncOptions,
    json: bool,
) -> Result<i32, Error> {
    let progress = (!json && options.execute).then(progress_bars);
    let report = sync(client, config, &options, progress).await?;
    print_run(&report, json);
    Ok(i32::from(report.has_failures()))
}

fn print_run(report: &RunReport, json: bool) {
    if json {
        out!("{}", report.to_json());
        return;
    }
    out!("{}", report.to_markdown());
    if report.dry_run {
        out!("dry run: nothing written; run `sync --execute` to apply");
    }
}

/// `repair`: one line per change (or the JSON report); 1 when a change failed.
async fn run_repair(
    client: &NotionClient,
    config: &RegistryConfig,
    execute: bool,
    json: bool,
) -> Result<i32, Error> {
    let (registry, report) = audit(client, config).await?;
    let plan = plan_repair(&registry, &report, &today_utc());
    let applied = if execute {
        Some(apply_repair(client, &registry, &plan).await)
    } else {
        None
    };
    if json {
        out!("{}", repair_json(&plan, applied.as_ref()));
    } else {
        print_repair(&plan, applied.as_ref());
    }
    Ok(i32::from(applied.is_some_and(|r| r.failed() > 0)))
}

/// One line per change, then what happened.
fn print_repair(plan: &RepairPlan, applied: Option<&RepairReport>) {
    if plan.is_empty() {
        out!("nothing to repair");
        return;
    }
    match applied {
        None => {
            for action in &plan.actions {
                out!("{}", describe(action));
            }
            out!(
                "{} changes planned; dry run: nothing written; run with --execute to apply",
                plan.actions.len()
            );
        }
        Some(report) => {
            for outcome in &report.outcomes {
                match &outcome.error {
                    None => out!("done    {}", describe(&outcome.action)),
                    Some(error) => out!("FAILED  {}: {error}", describe(&outcome.action)),
                }
            }
            out!("{} applied, {} failed", report.applied(), report.failed());
        }
    }
}

/// A change in words.
fn describe(action: &RepairAction) -> String {
    match action {
        RepairAction::AddColumn {
            table,
            column,
            column_type,
            ..
        } => {
            let kind = serde_json::to_value(column_type)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            format!("add column {column:?} ({kind}) to {table}")
        }
        RepairAction::SetDataSourceId {
            database,
            data_source,
            ..
        } => format!("set Data Source ID of {database:?} to {data_source}"),
        RepairAction::SetParentPage {
            environment, page, ..
        } => format!("set Database-Parent-Page-ID of {environment:?} to {page}"),
        RepairAction::SetTokenHealth {
            environment,
            status,
            checked,
            ..
        } => format!("record token status {status} (checked {checked}) of {environment:?}"),
    }
}

fn parse_links(links: &[String]) -> i32 {
    let mut status = 0;
    for text in links {
        match NotionLink::parse(text) {
            Ok(link) => print_link(text, &link),
            Err(error) => {
                eprintln!("{text}: {error}");
                status = 1;
            }
        }
    }
    status
}

fn print_link(text: &str, link: &NotionLink) {
    out!("{text}");
    out!("  object (page or database): {}", link.id);
    if let Some(view) = link.view_id {
        out!("  view (v=):                 {view}");
    }
    if let Some(peek) = link.peek_id {
        out!("  row opened in peek (p=):   {peek}");
    }
    if let Some(block) = link.block_id {
        out!("  block anchor:              {block}");
    }
}

/// The counts the demo compares before and after the repair.
#[derive(Debug, Clone, Copy)]
struct Snapshot {
    data_source_ids: usize,
    parent_pages_recorded: usize,
    resolvable: usize,
    findings: usize,
    blocking: usize,
}

impl From<&AuditReport> for Snapshot {
    fn from(report: &AuditReport) -> Self {
        Self {
            data_source_ids: report.summary.databases_with_data_source_id,
            parent_pages_recorded: report
                .environments
                .iter()
                .filter(|e| matches!(e.parent_page, ParentPageStatus::Recorded { .. }))
                .count(),
            resolvable: report.summary.databases_resolvable,
            findings: report.summary.findings,
            blocking: report.summary.blocking_findings,
        }
    }
}

/// `demo`: the demo world in an embedded fake (no network, no token of anyone's), audited,
/// repaired, audited again, synced twice, and its relations and people read back.
async fn demo() -> Result<i32, Error> {
    let fake = FakeNotion::new(FakeConfig::default());
    let world = DemoWorld::build(&fake).await?;
    let client = connect(
        Target::Fake(&fake),
        world.control_token.clone(),
        NotionVersion::LATEST,
        RateBudget::NOTION_DEFAULT,
    )?;
    let config = RegistryConfig::default();
    let today = today_utc();

    out!("# notion-xws demo: the gap report's registry, in an embedded fake Notion\n");
    out!("## 1. audit (read only)\n");
    let (registry, before) = audit(&client, &config).await?;
    out!("{}", before.to_markdown());

    out!("## 2. repair --execute\n");
    let plan = plan_repair(&registry, &before, &today);
    let applied = apply_repair(&client, &registry, &plan).await;
    let count = |name: &str| {
        plan.actions
            .iter()
            .filter(|a| {
                serde_json::to_value(a)
                    .ok()
                    .is_some_and(|v| v["action"] == name)
            })
            .count()
    };
    out!(
        "{} changes: {} columns added, {} Data Source IDs, {} parent pages, {} token statuses; \
         {} applied, {} failed\n",
        plan.actions.len(),
        count("add_column"),
        count("set_data_source_id"),
        count("set_parent_page"),
        count("set_token_health"),
        applied.applied(),
        applied.failed()
    );

    out!("## 3. audit again\n");
    let (registry, after) = audit(&client, &config).await?;
    let again = plan_repair(&registry, &after, &today);
    let (b, a) = (Snapshot::from(&before), Snapshot::from(&after));
    out!("| | before | after |");
    out!("|---|---:|---:|");
    out!(
        "| Data Source IDs filled | {} | {} |",
        b.data_source_ids,
        a.data_source_ids
    );
    out!(
        "| databases resolvable | {} | {} |",
        b.resolvable,
        a.resolvable
    );
    out!(
        "| parent pages recorded | {} | {} |",
        b.parent_pages_recorded,
        a.parent_pages_recorded
    );
    out!("| findings | {} | {} |", b.findings, a.findings);
    out!(
        "| blocking findings (P0) | {} | {} |",
        b.blocking,
        a.blocking
    );
    out!(
        "\nData Source IDs filled: {} → {}; a second repair plans {} changes.",
        b.data_source_ids,
        a.data_source_ids,
        again.actions.len()
    );
    out!("What is left needs a person: see the findings above (tokens to renew, pages to share).");

    out!("\n## 4. sync (dry run: the plan)\n");
    let plan = sync(&client, &config, &SyncOptions::default(), None).await?;
    out!("{}", plan.to_markdown());

    out!("## 5. sync --execute\n");
    let options = SyncOptions {
        execute: true,
        ..SyncOptions::default()
    };
    let first = sync(&client, &config, &options, None).await?;
    out!("{}", first.to_markdown());

    out!("## 6. sync --execute, again\n");
    let second = sync(&client, &config, &options, None).await?;
    out!("{}", second.to_markdown());
    let created: usize = first.pairs.iter().map(|p| p.created).sum();
    out!(
        "The first sync created {created} rows with {} writes ({} requests); the second made {} \
         writes ({} requests, {} rows unchanged). Every row exists once in its target.",
        first.writes(),
        first.requests(),
        second.writes(),
        second.requests(),
        second.pairs.iter().map(|p| p.unchanged).sum::<usize>()
    );

    out!("\n## 7. relations and people, read back from both workspaces\n");
    let references = world.references(&client).await?;
    if let Some(tasks) = first.pairs.iter().find(|p| p.pair.database == "Tasks") {
        if tasks.updated == 0 {
            out!(
                "Contacts' pair ran before Tasks' (Tasks relates to Contacts) and handed over its \
                 copy's rows: each of the {} tasks was created with its {:?} values, in one write.",
                tasks.created,
                CONTACT_RELATION
            );
        } else {
            out!(
                "Tasks' {:?} values waited for rows the first pass made: a second pass of the same \
                 sync updated {} tasks.",
                CONTACT_RELATION,
                tasks.updated
            );
        }
    }
    print_references(&world, &references);

    let failed_runs = first.has_failures() || second.has_failures() || second.writes() > 0;
    Ok(i32::from(
        applied.failed() > 0 || failed_runs || !references.all_right(),
    ))
}

/// What the sync made of the demo's relations and people (section 7 of `demo`).
fn print_references(world: &DemoWorld, references: &DemoReferences) {
    let r = &references.relation;
    out!(
        "Tasks → Contacts ({CONTACT_RELATION:?}): {} relation values in {} tasks (up to {} on one \
         task, past the 25 a page shows), remapped to VibeVessel's copies of the contacts: {} \
         right, {} misdirected, {} missing.",
        r.source_values,
        r.rows,
        r.most_on_a_row,
        r.remapped,
        r.misdirected,
        r.missing
    );
    out!(
        "Tasks → Brand Assets ({ASSET_RELATION:?}): {} (Brand Assets is not synced; the note \
         above says so).",
        if references.unsynced_relation_copied {
            "copied, wrongly"
        } else {
            "not copied"
        }
    );
    let members: Vec<String> = world
        .people
        .iter()
        .map(|p| match &p.vibevessel_email {
            Some(email) if *email == p.email => format!("{} (in both)", p.name),
            Some(email) => format!("{} (in both, there as {email})", p.name),
            None => format!("{} (not in VibeVessel's workspace)", p.name),
        })
        .collect();
    out!("Members: {}.", members.join(", "));
    let p = &references.people;
    out!(
        "People (Tasks' Assignee, Contacts' Owner): {} named in the source; {} matched by email to \
         the VibeVessel member, {} left out and reported (not members there), {} wrong, {} \
         missing.",
        p.source_values,
        p.matched,
        p.unmatched,
        p.wrong,
        p.missing
    );
}
