//! The audit report as Markdown, in the style of the gap report: tables of counts, then the
//! findings by priority.

use std::fmt::Write;

use super::{AuditReport, Severity, TokenHealth};

/// Escapes the characters that would break a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The report as Markdown.
pub(super) fn markdown(report: &AuditReport) -> String {
    let s = &report.summary;
    let mut out = String::new();
    let _ = writeln!(out, "# Registry audit\n");
    let _ = writeln!(
        out,
        "Control integration **{}** in workspace **{}**. {} finding(s), {} blocking.\n",
        cell(&report.control.bot),
        cell(
            report
                .control
                .workspace_name
                .as_deref()
                .unwrap_or("(unnamed)")
        ),
        s.findings,
        s.blocking_findings
    );
    let _ = writeln!(out, "## Tokens and parent pages\n");
    let _ = writeln!(out, "| Metric | Count |\n|--------|-------|");
    for (label, count) in [
        ("Environments", s.environments),
        ("Environments with tokens", s.environments_with_token),
        ("Environments WITHOUT tokens", s.environments_without_token),
        (
            "Environments with INVALID tokens",
            s.environments_with_invalid_token,
        ),
        (
            "Environments without a parent page",
            s.environments_without_parent_page,
        ),
    ] {
        let _ = writeln!(out, "| {label} | {count} |");
    }
    let _ = writeln!(out, "\n## Database IDs\n");
    let _ = writeln!(out, "| Metric | Count |\n|--------|-------|");
    for (label, count) in [
        ("system-databases rows", s.databases),
        ("WITH Data Source ID", s.databases_with_data_source_id),
        ("WITHOUT Data Source ID", s.databases_without_data_source_id),
        ("with Database URL", s.databases_with_url),
        ("resolvable to one data source", s.databases_resolvable),
        ("unreachable", s.databases_unreachable),
    ] {
        let _ = writeln!(out, "| {label} | {count} |");
    }
    let _ = writeln!(out, "\n## Environments\n");
    let _ = writeln!(
        out,
        "| Environment | Token kept as | Token | Parent page |\n|---|---|---|---|"
    );
    for env in &report.environments {
        let token = match &env.token {
            TokenHealth::Valid { workspace_name, .. } => format!(
                "valid ({})",
                workspace_name.as_deref().unwrap_or("unnamed workspace")
            ),
            other => other.status_word().to_owned(),
        };
        let parent = match env.parent_page.page() {
            Some(page) => page.to_string(),
            None => serde_json::to_value(&env.parent_page)
                .ok()
                .and_then(|v| v.get("state").and_then(|s| s.as_str()).map(str::to_owned))
                .unwrap_or_default()
                .replace('_', " "),
        };
        let _ = writeln!(
            out,
            "| {}{} | {} | {} | {} |",
            cell(&env.name),
            if env.primary { " (primary)" } else { "" },
            env.token_source,
            token,
            parent
        );
    }
    for (severity, title) in [
        (Severity::P0, "P0 - CRITICAL (blocking)"),
        (Severity::P1, "P1 - HIGH (required for sync)"),
        (Severity::P2, "P2 - MEDIUM"),
    ] {
        let findings: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .collect();
        if findings.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n## {title}\n");
        for f in findings {
            let _ = writeln!(
                out,
                "- **{}** `{}`: {}  \n  Fix: {}",
                cell(&f.subject),
                f.code,
                f.message,
                f.fix
            );
        }
    }
    out
}
