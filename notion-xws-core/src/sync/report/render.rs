//! The run report as Markdown.

use std::fmt::Write;

use super::{PairState, RunReport};

/// The report as Markdown: one table row per pair, then errors and notes.
pub(super) fn markdown(report: &RunReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Sync {}\n",
        if report.dry_run {
            "plan (dry run: nothing written)"
        } else {
            "run"
        }
    );
    let _ = writeln!(
        out,
        "| Pair | State | Created | Updated | Trashed | Unchanged | Failed | Requests | Writes |\n|---|---|---|---|---|---|---|---|---|"
    );
    for pair in &report.pairs {
        let state = match &pair.state {
            PairState::Planned => "planned".to_owned(),
            PairState::Synced => "synced".to_owned(),
            PairState::Failed(_) => "FAILED".to_owned(),
            PairState::Skipped(_) => "skipped".to_owned(),
            PairState::Guarded(_) => "delete guard".to_owned(),
            PairState::Busy(_) => "busy".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            pair.pair.label().replace('|', "\\|"),
            state,
            pair.created,
            pair.updated,
            pair.trashed,
            pair.unchanged,
            pair.failed,
            pair.requests,
            pair.writes
        );
    }
    for pair in &report.pairs {
        let reason = pair.reason();
        if reason.is_none() && pair.errors.is_empty() && pair.notes.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n## {}\n", pair.pair.label());
        if let Some(reason) = reason {
            let _ = writeln!(out, "- {reason}");
        }
        for error in &pair.errors {
            let _ = writeln!(out, "- error: {error}");
        }
        for note in &pair.notes {
            let _ = writeln!(out, "- note: {note}");
        }
    }
    if !report.skipped_unknown.is_empty() {
        let _ = writeln!(out, "\n## Answers of kinds not known yet (skipped)\n");
        for (what, n) in &report.skipped_unknown {
            let _ = writeln!(out, "- note: {n} × {}", what.replace('|', "\\|"));
        }
    }
    let needs = report.needs_person();
    if !needs.is_empty() {
        let _ = writeln!(out, "\n## Needs a person\n");
        for need in needs {
            let _ = writeln!(out, "- {}: {}", need.pair.replace('|', "\\|"), need.fix);
        }
    }
    out
}
