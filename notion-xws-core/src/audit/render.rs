//! The audit report as Markdown, in the style of the gap report, or as plain text that fits a
//! terminal: when it ran, tables of counts (the findings by priority with their total), then
//! the findings by priority, those of one code and fix grouped on one line with their count
//! and the names they are about.

use crate::words::{Style, Table, count, duration, or_untitled};

use super::{AuditReport, Finding, Severity, TokenHealth};

/// Findings of one code, fix and priority, in the report's order.
fn grouped<'a>(findings: &[&'a Finding]) -> Vec<Vec<&'a Finding>> {
    let mut groups: Vec<Vec<&Finding>> = Vec::new();
    for finding in findings {
        match groups
            .iter_mut()
            .find(|g| g[0].code == finding.code && g[0].fix == finding.fix)
        {
            Some(group) => group.push(finding),
            None => groups.push(vec![finding]),
        }
    }
    groups
}

/// The report in `style`.
pub(super) fn render(report: &AuditReport, style: Style) -> String {
    let s = &report.summary;
    let mut out = style.heading(1, "Registry audit");
    out.push_str(&style.line(&format!(
        "Control integration {} in workspace {}. Started {}, took {}. {}, {} blocking.",
        style.bold(or_untitled(&report.control.bot)),
        style.bold(or_untitled(
            report
                .control
                .workspace_name
                .as_deref()
                .unwrap_or("(unnamed)")
        )),
        report.started_at,
        duration(report.duration_ms),
        count(s.findings, "finding", "findings"),
        s.blocking_findings
    )));
    out.push('\n');
    let counts = |rows: &[(&str, usize)]| {
        let mut table = Table::new(&["Metric", "Count"]);
        for (label, n) in rows {
            table.row(vec![(*label).to_owned(), n.to_string()]);
        }
        style.table(&table)
    };
    out.push_str(&style.heading(2, "Findings"));
    let by = |severity: Severity| {
        report
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    };
    out.push_str(&counts(&[
        ("P0 (blocking)", by(Severity::P0)),
        ("P1 (required for sync)", by(Severity::P1)),
        ("P2", by(Severity::P2)),
        ("Total", s.findings),
    ]));
    out.push('\n');
    out.push_str(&style.heading(2, "Tokens and parent pages"));
    out.push_str(&counts(&[
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
    ]));
    out.push('\n');
    out.push_str(&style.heading(2, "Database IDs"));
    out.push_str(&counts(&[
        ("system-databases rows", s.databases),
        ("WITH Data Source ID", s.databases_with_data_source_id),
        ("WITHOUT Data Source ID", s.databases_without_data_source_id),
        ("with Database URL", s.databases_with_url),
        ("resolvable to one data source", s.databases_resolvable),
        ("unreachable", s.databases_unreachable),
    ]));
    out.push('\n');
    out.push_str(&style.heading(2, "Environments"));
    let mut table = Table::new(&["Environment", "Token kept as", "Token", "Parent page"]);
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
        table.row(vec![
            format!(
                "{}{}",
                or_untitled(&env.name),
                if env.primary { " (primary)" } else { "" }
            ),
            env.token_source.to_owned(),
            token,
            parent,
        ]);
    }
    out.push_str(&style.table(&table));
    for (severity, title) in [
        (Severity::P0, "P0 - CRITICAL (blocking)"),
        (Severity::P1, "P1 - HIGH (required for sync)"),
        (Severity::P2, "P2 - MEDIUM"),
    ] {
        let findings: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .collect();
        if findings.is_empty() {
            continue;
        }
        out.push('\n');
        out.push_str(&style.heading(2, title));
        for group in grouped(&findings) {
            out.push_str(&finding_lines(&group, style));
        }
    }
    out
}

/// One finding, or a group of findings of one code and fix: the count, the message (the
/// first's, when they differ), the fix and the names.
fn finding_lines(group: &[&Finding], style: Style) -> String {
    let first = group[0];
    let subject = |f: &Finding| or_untitled(&f.subject).to_owned();
    let code = match style {
        Style::Markdown => format!("`{}`", first.code),
        Style::Text { .. } => first.code.to_owned(),
    };
    let (lead, fix) = match style {
        Style::Markdown => ("  \n  ", "Fix"),
        Style::Text { .. } => ("\n  ", "Fix"),
    };
    if group.len() == 1 {
        let text = format!(
            "- {} {code}: {}{lead}{fix}: {}",
            style.bold(&subject(first)),
            first.message,
            first.fix
        );
        return lines(&text, style);
    }
    let same = group.iter().all(|f| f.message == first.message);
    let message = if same {
        first.message.clone()
    } else {
        format!("{} (for {})", first.message, subject(first))
    };
    let names: Vec<String> = group.iter().map(|f| subject(f)).collect();
    let text = format!(
        "- {} {code}: {message}{lead}{fix}: {}{lead}Names: {}",
        style.bold(&count(group.len(), "finding", "findings")),
        first.fix,
        names.join(", ")
    );
    lines(&text, style)
}

/// Lines of a list item, each wrapped as text.
fn lines(text: &str, style: Style) -> String {
    match style {
        Style::Markdown => format!("{text}\n"),
        Style::Text { .. } => text.lines().map(|line| style.line(line)).collect(),
    }
}
