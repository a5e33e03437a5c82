//! How the command prints: results on stdout, errors on stderr; a closed pipe on either (as in
//! `notion-xws audit | head`) is not an error and never a panic. One line per repair change or
//! link part.

use std::io::Write as _;

use super::Format;
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

/// A sync's report in `format`, and, after a dry run, the command that applies it (`apply`:
/// the options given, repeated).
pub(super) fn print_run(report: &RunReport, format: Format, apply: Option<&str>) {
    match format {
        Format::Json => {
            out!("{}", report.to_json());
            return;
        }
        Format::Markdown => out!("{}", report.to_markdown()),
        Format::Text => out!("{}", report.to_text(terminal_width())),
    }
    if report.dry_run {
        let apply = apply.unwrap_or("notion-xws sync --execute");
        match format {
            // The command on a line of its own, never cut: it is copied as it is.
            Format::Text => out!("dry run: nothing written; to apply, run:\n  {apply}"),
            _ => out!("dry run: nothing written; run `{apply}` to apply"),
        }
    }
}

/// One line per change, then what happened, then when it ran and how long it took.
pub(super) fn print_repair(
    plan: &RepairPlan,
    applied: Option<&RepairReport>,
    format: Format,
    (started_at, duration_ms): (&str, u64),
) {
    let mut lines = Vec::new();
    if plan.is_empty() {
        lines.push("nothing to repair".to_owned());
    } else {
        match applied {
            None => {
                lines.extend(plan.actions.iter().map(ToString::to_string));
                lines.push(format!(
                    "Total: {} planned; dry run: nothing written; run with --execute to apply",
                    crate::words::count(plan.actions.len(), "change", "changes")
                ));
            }
            Some(report) => {
                for outcome in &report.outcomes {
                    match &outcome.error {
                        None => lines.push(format!("done    {}", outcome.action)),
                        Some(error) => lines.push(format!("FAILED  {}: {error}", outcome.action)),
                    }
                }
                lines.push(format!(
                    "Total: {} applied, {} failed",
                    report.applied(),
                    report.failed()
                ));
            }
        }
    }
    lines.push(format!(
        "Started {started_at}, took {}.",
        crate::words::duration(duration_ms)
    ));
    let text = lines.join("\n") + "\n";
    match format {
        Format::Text => print_text(&crate::words::wrap(&text, terminal_width())),
        _ => print_text(&text),
    }
}

/// The width text is written for.
pub(super) fn terminal_width() -> usize {
    crate::words::terminal_width()
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
