//! What each subcommand does: build the control client, run the library's audit, repair, sync
//! or demo, print the result and say the exit status.

use std::path::Path;

use super::output::{err, out, print_link, print_repair, print_run, print_text, terminal_width};
use super::progress::progress_bars;
use super::signals::stop_on_signals;
use super::{Cli, Command, Format, SyncArgs};
use crate::audit::audit_with_progress;
use crate::audit::notion::write_report_page;
use crate::client::connect::{Endpoint, connect};
use crate::client::{NotionClient, NotionVersion};
use crate::demo::run_demo;
use crate::error::{Error, Result};
use crate::init::init;
use crate::link::NotionLink;
use crate::rate::RateBudget;
use crate::registry::RegistryConfig;
use crate::repair::{RepairSummary, apply_repair, audit_and_plan, today_utc};
use crate::secret::NotionToken;
use crate::sync::notify::Notifier;
use crate::sync::planned::{PlanFlags, SavedPlan};
use crate::sync::watch::{Cycle, WatchEnded, WatchOptions, watch, watch_with_alerts};
use crate::sync::{SyncOptions, apply_saved_plan, sync};

/// Runs `cli`'s subcommand; the exit status, or the error that stopped it.
pub(super) async fn run(cli: &Cli) -> Result<i32> {
    let config = RegistryConfig::new(cli.environments.clone(), cli.databases.clone());
    match &cli.command {
        Command::ParseLink { links, json } => Ok(parse_links(links, *json)),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut command, "notion-xws", &mut std::io::stdout());
            Ok(0)
        }
        Command::Me { json } => {
            let me = control_client(cli)?.identity().await?;
            if *json {
                out!("{}", serde_json::to_string_pretty(&me).unwrap_or_default());
            } else {
                out!(
                    "{} ({}) in the workspace {} ({})",
                    me.name.as_deref().unwrap_or("(unnamed bot)"),
                    me.id,
                    me.workspace_name.as_deref().unwrap_or("(unnamed)"),
                    me.workspace_id.as_deref().unwrap_or("unknown")
                );
            }
            Ok(0)
        }
        Command::Transfer {
            source,
            target_parent,
            target_token_env,
            execute,
            json,
            format,
        } => {
            let format = Format::chosen(*json, *format);
            let json = &(format == Format::Json);
            let client = control_client(cli)?;
            let target = client.for_token(NotionToken::from_env(target_token_env)?);
            let parent = crate::ids::PageId::from(NotionLink::parse(target_parent)?.id);
            let options = SyncOptions::from_args(*execute, None, false, "report", "leave")?;
            let progress = (!json).then(progress_bars).flatten();
            let source = crate::registry::find_data_source(&client, source).await?;
            let report =
                crate::sync::transfer(&client, source.id, &target, parent, &options, progress)
                    .await?;
            print_run(&report, format, None);
            Ok(report.exit_status())
        }
        Command::Demo => {
            let report = run_demo().await?;
            print_text(&report.to_markdown());
            Ok(i32::from(!report.succeeded()))
        }
        Command::Audit {
            json,
            format,
            markdown,
            to_notion,
        } => {
            let client = control_client(cli)?;
            let format = Format::chosen(*json, *format);
            run_audit(&client, &config, format, markdown.as_deref(), *to_notion).await
        }
        Command::Plan { out, sync } => {
            let options = sync.options(false)?;
            let notifier = notifier(sync.notify.as_deref())?;
            let how = SyncRun {
                format: sync.format(),
                apply: Some(apply_command(cli, sync)),
                saved: None,
                out: out.as_deref().map(|path| (path, sync.flags())),
            };
            run_sync(&control_client(cli)?, &config, options, how, notifier).await
        }
        Command::Sync {
            execute,
            plan,
            sync,
        } => {
            let options = sync.options(*execute)?;
            let notifier = notifier(sync.notify.as_deref())?;
            let saved = plan
                .as_deref()
                .map(|path| read_plan(path, sync))
                .transpose()?;
            let how = SyncRun {
                format: sync.format(),
                apply: Some(apply_command(cli, sync)),
                saved,
                out: None,
            };
            run_sync(&control_client(cli)?, &config, options, how, notifier).await
        }
        Command::Watch {
            every,
            cycles,
            sync,
        } => {
            let watch = WatchOptions::new(*every, *cycles)?;
            let json = sync.json || sync.format == Some(Format::Json) || cli.json_logs();
            let notifier = notifier(sync.notify.as_deref())?;
            let options = sync.options(true)?;
            run_watch(
                &control_client(cli)?,
                &config,
                options,
                watch,
                json,
                notifier,
            )
            .await
        }
        Command::Init { parent, json } => {
            let report = init(&control_client(cli)?, &config, parent).await?;
            if *json {
                out!("{}", report.to_json());
            } else {
                print_text(&report.to_string());
            }
            Ok(i32::from(report.failed() > 0))
        }
        Command::Repair {
            execute,
            json,
            format,
            despite_shape_findings,
        } => {
            let client = control_client(cli)?;
            let format = Format::chosen(*json, *format);
            let options = (*execute, format, *despite_shape_findings);
            run_repair(&client, &config, options).await
        }
    }
}

/// Now, RFC 3339 to the second, UTC.
fn today_utc_time() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// The control client: the token from the environment, the stack to `--base-url`.
fn control_client(cli: &Cli) -> Result<NotionClient> {
    let token = NotionToken::from_env(&cli.token_env)?;
    if std::env::var(&cli.token_env).is_ok_and(|text| NotionToken::needed_cleaning(&text)) {
        // As the audit's `token.needs-cleaning` says of a registry cell.
        tracing::warn!(
            "{} holds stray whitespace, quotes or invisible characters (a zero-width space, a \
             byte-order mark, a soft hyphen…); they were left out: store the token alone",
            cli.token_env
        );
    }
    let budget = RateBudget::checked(
        cli.requests_per_minute,
        RateBudget::NOTION_DEFAULT.burst.get(),
    )?;
    connect(
        Endpoint::Http(cli.base_url.clone()),
        token,
        NotionVersion::LATEST,
        budget,
        cli.max_wait,
    )
}

/// `audit`: the Markdown report (or the JSON one) on stdout, and in Notion with `to_notion`
/// (its link on stderr); 1 when a finding blocks.
async fn run_audit(
    client: &NotionClient,
    config: &RegistryConfig,
    format: Format,
    markdown: Option<&Path>,
    to_notion: bool,
) -> Result<i32> {
    let json = format == Format::Json;
    let progress = (!json).then(progress_bars).flatten();
    let (registry, report) = audit_with_progress(client, config, progress).await?;
    if to_notion {
        let page = write_report_page(client, &registry, &report).await?;
        err!(
            "notion-xws: the audit report is in Notion: {} ({} earlier report page(s) moved to \
             the trash)",
            page.url,
            page.replaced
        );
    }
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
    } else if format == Format::Text {
        out!("{}", report.to_text(terminal_width()));
    } else {
        out!("{}", report.to_markdown());
    }
    Ok(i32::from(report.has_blocking_findings()))
}

/// The notifier of `--notify`, checked before the run (a URL that is not https, or http to
/// loopback, is a usage error).
fn notifier(url: Option<&str>) -> Result<Option<Notifier>> {
    url.map(Notifier::new).transpose()
}

/// How `plan` or `sync` runs and prints: the report's format, the command that applies a dry
/// run, the saved plan to apply (`sync --plan`), the file to save the plan in (`plan --out`)
/// and the options it records.
struct SyncRun<'a> {
    format: Format,
    apply: Option<String>,
    saved: Option<SavedPlan>,
    out: Option<(&'a Path, PlanFlags)>,
}

/// The command that applies what `plan` (or a dry-run `sync`) previewed: `sync --execute` with
/// the options given, repeated.
fn apply_command(cli: &Cli, sync: &SyncArgs) -> String {
    let mut words = vec!["notion-xws".to_owned()];
    words.extend(cli.given());
    words.extend(["sync".to_owned(), "--execute".to_owned()]);
    words.extend(sync.given());
    words.join(" ")
}

/// The plan saved in `path`, which `sync`'s own options (when any is given) must match.
fn read_plan(path: &Path, sync: &SyncArgs) -> Result<SavedPlan> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Config(format!("cannot read the plan {}: {e}", path.display())))?;
    let saved = SavedPlan::from_json(&text)?;
    let given = sync.flags();
    let defaults = PlanFlags {
        conflicts: "report".to_owned(),
        people_fallback: "leave".to_owned(),
        ..PlanFlags::default()
    };
    if given != defaults && given != saved.flags {
        return Err(Error::Config(format!(
            "the plan {} was made with other options than those given; a saved plan is applied \
             with its own: drop the options (or make a new plan with them)",
            path.display()
        )));
    }
    Ok(saved)
}

/// `plan` and `sync`: the report (text, Markdown or JSON) on stdout, its progress on a
/// terminal (unless JSON); the run's exit status (1 when a pair failed, 3 when one needs a
/// person: [`RunReport::exit_status`](crate::sync::RunReport::exit_status)), which an alert
/// that cannot be posted does not change (a warning on stderr says so). With a saved plan,
/// the plan applied exactly ([`apply_saved_plan`]); with `out`, the plan saved there.
async fn run_sync(
    client: &NotionClient,
    config: &RegistryConfig,
    options: SyncOptions,
    how: SyncRun<'_>,
    notifier: Option<Notifier>,
) -> Result<i32> {
    let json = how.format == Format::Json;
    let progress = (!json).then(progress_bars).flatten();
    let report = match &how.saved {
        Some(saved) => apply_saved_plan(client, config, saved, &options, progress).await?,
        None => sync(client, config, &options, progress).await?,
    };
    if let Some((path, flags)) = how.out {
        let saved = SavedPlan::new(&report, flags);
        std::fs::write(path, saved.to_json()).map_err(|e| {
            Error::Config(format!("cannot write the plan to {}: {e}", path.display()))
        })?;
        err!(
            "notion-xws: the plan is saved in {}; apply exactly it with `notion-xws sync \
             --execute --plan {}`",
            path.display(),
            super::args::quoted(&path.display().to_string())
        );
    }
    print_run(&report, how.format, how.apply.as_deref());
    let status = report.exit_status();
    if let Some(notifier) = notifier {
        let lease = &options.lease;
        match notifier.notify(&report, &lease.run_id, &lease.host).await {
            Ok(Some(_)) => err!("notion-xws: alert posted to {}", notifier.shown()),
            Ok(None) => {}
            Err(error) => {
                err!("notion-xws: warning: {error}; the exit status is still the run's ({status})")
            }
        }
    }
    Ok(status)
}

/// `watch`: the sync in cycles until a signal stops it (see [`crate::sync::watch`]); a line
/// per cycle on stdout (text, or JSON), what the signals do on stderr. The exit status: 130
/// after SIGINT, 143 after SIGTERM, 2 after a configuration error, else the last cycle's.
async fn run_watch(
    client: &NotionClient,
    config: &RegistryConfig,
    options: SyncOptions,
    watch_options: WatchOptions,
    json: bool,
    notifier: Option<Notifier>,
) -> Result<i32> {
    let listener = stop_on_signals(options.stop.clone())?;
    let print = |cycle: &Cycle| {
        if json {
            out!("{}", cycle.to_json_line());
        } else {
            out!("{}", cycle.to_line());
        }
    };
    let end = match &notifier {
        Some(notifier) => {
            watch_with_alerts(client, config, &options, &watch_options, notifier, print).await
        }
        None => watch(client, config, &options, &watch_options, print).await,
    };
    listener.abort();
    if end.ended == WatchEnded::Configuration
        && let Some(error) = end.last.as_ref().and_then(|c| c.error.as_deref())
    {
        err!("notion-xws: watch stopped: a person must fix this first: {error}");
    }
    Ok(end.exit_status)
}

/// `repair`: one line per change (or the JSON report); 1 when a change failed. With
/// `--execute`, a plan the registry's shape blocks is refused (exit 2) unless
/// `--despite-shape-findings`.
async fn run_repair(
    client: &NotionClient,
    config: &RegistryConfig,
    (execute, format, despite_shape_findings): (bool, Format, bool),
) -> Result<i32> {
    let json = format == Format::Json;
    let started_at = today_utc_time();
    let clock = std::time::Instant::now();
    let (registry, mut plan) = audit_and_plan(client, config, &today_utc()).await?;
    if despite_shape_findings {
        plan.allow_shape_findings();
    }
    if execute && !plan.blocked.is_empty() && !plan.is_empty() {
        return Err(Error::Registry(format!(
            "the repair is not applied: the registry's shape has {} P0 finding(s): {}; fix them \
             (`notion-xws audit` says how), or run with --despite-shape-findings",
            plan.blocked.len(),
            plan.blocked.join("; ")
        )));
    }
    if !json && !plan.blocked.is_empty() {
        for blocked in &plan.blocked {
            err!("blocked by {blocked}");
        }
    }
    let applied = if execute {
        Some(apply_repair(client, &registry, &plan).await)
    } else {
        None
    };
    let took = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
    if json {
        let summary = RepairSummary::new(&plan, applied.as_ref()).timed(&started_at, took);
        out!("{}", summary.to_json());
    } else {
        print_repair(&plan, applied.as_ref(), format, (&started_at, took));
    }
    Ok(i32::from(applied.is_some_and(|r| r.failed() > 0)))
}

/// `parse-link`: what each link names (or, with `json`, a JSON array of them); 1 when one is not
/// a link.
fn parse_links(links: &[String], json: bool) -> i32 {
    let mut status = 0;
    let mut parsed = Vec::with_capacity(links.len());
    for text in links {
        // The input as typed (a link with a view and a row in peek is about 150 characters),
        // bounded, with anything token-shaped hidden.
        let shown = crate::link::quote(text, 300);
        match NotionLink::parse(text) {
            Ok(link) if json => {
                let mut value = serde_json::to_value(link).unwrap_or_default();
                if let serde_json::Value::Object(map) = &mut value {
                    map.insert("input".into(), shown.into());
                }
                parsed.push(value);
            }
            Ok(link) => print_link(&shown, &link),
            Err(error) => {
                if json {
                    parsed.push(serde_json::json!({"input": shown, "error": error.to_string()}));
                } else {
                    err!("{shown}: {error}");
                }
                status = 1;
            }
        }
    }
    if json {
        out!(
            "{}",
            serde_json::to_string_pretty(&parsed).unwrap_or_default()
        );
    }
    status
}
