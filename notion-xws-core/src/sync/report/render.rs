//! The run report as Markdown, or as plain text that fits a terminal: when it ran and how long
//! it took, a table of the pairs with a totals row, then each pair's reason, errors, notes,
//! conflicts and the link of a copy it created.

use crate::words::{Style, Table, count, duration};

use super::{PairState, RunReport};

/// The report in `style`.
pub(super) fn render(report: &RunReport, style: Style) -> String {
    let mut out = style.heading(
        1,
        if report.dry_run {
            "Sync plan (dry run: nothing written)"
        } else {
            "Sync run"
        },
    );
    let totals = report.totals();
    out.push_str(&style.line(&format!(
        "Started {}, took {}; {}.",
        report.started_at,
        duration(report.duration_ms),
        count(totals.pairs, "pair", "pairs")
    )));
    out.push('\n');
    let mut table = Table::new(&[
        "Pair",
        "State",
        "Created",
        "Updated",
        "Trashed",
        "Unchanged",
        "Conflicts",
        "Failed",
        "Requests",
        "Writes",
    ]);
    for pair in &report.pairs {
        let state = match &pair.state {
            PairState::Planned => "planned",
            PairState::Synced => "synced",
            PairState::Failed(_) => "FAILED",
            PairState::Skipped(_) => "skipped",
            PairState::Guarded(_) => "delete guard",
            PairState::Busy(_) => "busy",
        };
        table.row(vec![
            pair.pair.label(),
            state.to_owned(),
            pair.created.to_string(),
            pair.updated.to_string(),
            pair.trashed.to_string(),
            pair.unchanged.to_string(),
            pair.conflicts.len().to_string(),
            pair.failed.to_string(),
            pair.requests.to_string(),
            pair.writes.to_string(),
        ]);
    }
    table.row(vec![
        "Total".to_owned(),
        String::new(),
        totals.created.to_string(),
        totals.updated.to_string(),
        totals.trashed.to_string(),
        totals.unchanged.to_string(),
        totals.conflicts.to_string(),
        totals.failed.to_string(),
        totals.requests.to_string(),
        totals.writes.to_string(),
    ]);
    out.push_str(&style.table(&table));
    for pair in &report.pairs {
        let reason = pair.reason();
        if reason.is_none()
            && pair.errors.is_empty()
            && pair.notes.is_empty()
            && pair.created_url.is_none()
        {
            continue;
        }
        out.push('\n');
        out.push_str(&style.heading(2, &pair.pair.label()));
        if let Some(url) = &pair.created_url {
            out.push_str(&style.line(&format!("- copy created: {url}")));
        }
        if let Some(reason) = reason {
            out.push_str(&style.line(&format!("- {reason}")));
        }
        for error in &pair.errors {
            out.push_str(&style.line(&format!("- error: {error}")));
        }
        for note in &pair.notes {
            out.push_str(&style.line(&format!("- note: {note}")));
        }
    }
    if !report.skipped_unknown.is_empty() {
        out.push('\n');
        out.push_str(&style.heading(2, "Answers of kinds not known yet (skipped)"));
        for (what, n) in &report.skipped_unknown {
            out.push_str(&style.line(&format!("- note: {n} × {}", what.replace('|', "\\|"))));
        }
    }
    let needs = report.needs_person();
    if !needs.is_empty() {
        out.push('\n');
        out.push_str(&style.heading(2, "Needs a person"));
        for need in needs {
            out.push_str(&style.line(&format!(
                "- {}: {}",
                need.pair.replace('|', "\\|"),
                need.fix
            )));
        }
    }
    out
}
