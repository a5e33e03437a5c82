//! How the command prints: results on stdout, errors on stderr; a closed pipe on either (as in
//! `notion-xws audit | head`) is not an error and never a panic. One line per repair change or
//! link part.

use std::io::Write as _;

use crate::link::NotionLink;
use crate::repair::{RepairPlan, RepairReport};
use crate::sync::RunReport;

/// Writes a line to stdout, ignoring a closed pipe.
macro_rules! out {
    ($($arg:tt)*) => {{
        let _ = std::io::Write::write_fmt(
            &mut std::io::stdout().lock(),
            format_args!("{}\n", format_args!($($arg)*)),
        );
    }};
}
pub(super) use out;

/// Writes a line to stderr, ignoring a closed pipe.
macro_rules! err {
    ($($arg:tt)*) => {{
        let _ = std::io::Write::write_fmt(
            &mut std::io::stderr().lock(),
            format_args!("{}\n", format_args!($($arg)*)),
        );
    }};
}
pub(super) use err;

/// Writes `text` to stdout as it is, ignoring a closed pipe.
pub(super) fn print_text(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// A sync's report (Markdown, or JSON), and what a dry run did not do.
pub(super) fn print_run(report: &RunReport, json: bool) {
    if json {
        out!("{}", report.to_json());
        return;
    }
    out!("{}", report.to_markdown());
    if report.dry_run {
        out!("dry run: nothing written; run `sync --execute` to apply");
    }
}

/// One line per change, then what happened.
pub(super) fn print_repair(plan: &RepairPlan, applied: Option<&RepairReport>) {
    if plan.is_empty() {
        out!("nothing to repair");
        return;
    }
    match applied {
        None => {
            for action in &plan.actions {
                out!("{action}");
            }
            out!(
                "{} changes planned; dry run: nothing written; run with --execute to apply",
                plan.actions.len()
            );
        }
        Some(report) => {
            for outcome in &report.outcomes {
                match &outcome.error {
                    None => out!("done    {}", outcome.action),
                    Some(error) => out!("FAILED  {}: {error}", outcome.action),
                }
            }
            out!("{} applied, {} failed", report.applied(), report.failed());
        }
    }
}

/// What a link names, one part a line.
pub(super) fn print_link(text: &str, link: &NotionLink) {
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
