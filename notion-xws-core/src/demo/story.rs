//! The demo's story: the whole flow on a [`DemoWorld`] in an embedded fake Notion (no network,
//! no one's token), and what it showed, as a [`DemoReport`].
//!
//! [`run_demo`] audits the registry, repairs it, audits it again, plans the sync, syncs, syncs
//! again (which must write nothing) and reads back from both workspaces what became of the
//! relations and people. [`DemoReport::to_markdown`] is what `notion-xws demo` prints, and
//! [`DemoReport::succeeded`] its exit status.

use std::fmt::Write as _;

use super::check::DemoReferences;
use super::world::{ASSET_RELATION, CONTACT_RELATION, DemoPerson, DemoWorld};
use crate::audit::{AuditReport, ParentPageStatus, audit};
use crate::client::NotionVersion;
use crate::client::connect::{Endpoint, connect};
use crate::error::Result;
use crate::fake::{FakeConfig, FakeNotion};
use crate::rate::RateBudget;
use crate::registry::RegistryConfig;
use crate::repair::{RepairPlan, RepairReport, apply_repair, plan_repair, today_utc};
use crate::sync::{RunReport, SyncOptions, sync};

/// What the demo did and found, step by step.
#[derive(Debug, Clone)]
pub struct DemoReport {
    /// The audit of the registry as the demo world lays it out (step 1).
    pub before: AuditReport,
    /// The repair planned from it (step 2).
    pub repair: RepairPlan,
    /// What applying the repair did.
    pub repaired: RepairReport,
    /// The audit after the repair (step 3).
    pub after: AuditReport,
    /// How many changes a second repair would plan.
    pub repair_again: usize,
    /// The sync's plan, a dry run (step 4).
    pub plan: RunReport,
    /// The first sync (step 5).
    pub first: RunReport,
    /// The second sync, which should write nothing (step 6).
    pub second: RunReport,
    /// What the sync made of the relations and people, read back from both workspaces (step 7).
    pub references: DemoReferences,
    /// The agency's people, and who of them is a member of VibeVessel's workspace.
    pub people: Vec<DemoPerson>,
}

/// Runs the demo: builds a [`DemoWorld`] in a fresh in-memory fake and runs the whole flow on it,
/// as the control integration, through the standard client stack.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
/// let report = notion_xws_core::demo::run_demo().await?;
/// assert!(report.succeeded());
/// assert_eq!(report.second.writes(), 0);
/// assert!(report.to_markdown().starts_with("# notion-xws demo"));
/// # Ok::<(), notion_xws_core::Error>(())
/// # }).unwrap();
/// ```
pub async fn run_demo() -> Result<DemoReport> {
    let fake = FakeNotion::new(FakeConfig::default());
    let world = DemoWorld::build(&fake).await?;
    let client = connect(
        Endpoint::InMemory(std::sync::Arc::new(fake)),
        world.control_token.clone(),
        NotionVersion::LATEST,
        RateBudget::NOTION_DEFAULT,
        crate::transport::retry::DEFAULT_MAX_WAIT,
    )?;
    let config = RegistryConfig::default();
    let today = today_utc();

    let (registry, before) = audit(&client, &config).await?;
    let repair = plan_repair(&registry, &before, &today);
    let repaired = apply_repair(&client, &registry, &repair).await;
    let (registry, after) = audit(&client, &config).await?;
    let repair_again = plan_repair(&registry, &after, &today).actions.len();

    let plan = sync(&client, &config, &SyncOptions::default(), None).await?;
    let options = SyncOptions {
        execute: true,
        ..SyncOptions::default()
    };
    let first = sync(&client, &config, &options, None).await?;
    let second = sync(&client, &config, &options, None).await?;
    let references = world.references(&client).await?;
    Ok(DemoReport {
        before,
        repair,
        repaired,
        after,
        repair_again,
        plan,
        first,
        second,
        references,
        people: world.people,
    })
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

impl DemoReport {
    /// Whether the demo showed what it should: every repair change applied, both syncs without
    /// a failure, the second sync without a write, and every relation and person where it
    /// belongs.
    pub fn succeeded(&self) -> bool {
        self.repaired.failed() == 0
            && !self.first.has_failures()
            && !self.second.has_failures()
            && self.second.writes() == 0
            && self.references.all_right()
    }

    /// The report as Markdown, step by step: what `notion-xws demo` prints.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        // Writing to a `String` cannot fail.
        let _ = self.write_markdown(&mut out);
        out
    }

    fn write_markdown(&self, out: &mut String) -> std::fmt::Result {
        writeln!(
            out,
            "# notion-xws demo: the gap report's registry, in an embedded fake Notion\n"
        )?;
        writeln!(out, "## 1. audit (read only)\n")?;
        writeln!(out, "{}", self.before.to_markdown())?;

        writeln!(out, "## 2. repair --execute\n")?;
        let count = |kind: &str| {
            self.repair
                .actions
                .iter()
                .filter(|a| a.kind() == kind)
                .count()
        };
        writeln!(
            out,
            "{} changes: {} columns added, {} Data Source IDs, {} parent pages, {} token \
             statuses; {} applied, {} failed\n",
            self.repair.actions.len(),
            count("add_column"),
            count("set_data_source_id"),
            count("set_parent_page"),
            count("set_token_health"),
            self.repaired.applied(),
            self.repaired.failed()
        )?;

        writeln!(out, "## 3. audit again\n")?;
        let (b, a) = (Snapshot::from(&self.before), Snapshot::from(&self.after));
        writeln!(out, "| | before | after |")?;
        writeln!(out, "|---|---:|---:|")?;
        let rows = [
            (
                "Data Source IDs filled",
                b.data_source_ids,
                a.data_source_ids,
            ),
            ("databases resolvable", b.resolvable, a.resolvable),
            (
                "parent pages recorded",
                b.parent_pages_recorded,
                a.parent_pages_recorded,
            ),
            ("findings", b.findings, a.findings),
            ("blocking findings (P0)", b.blocking, a.blocking),
        ];
        for (label, before, after) in rows {
            writeln!(out, "| {label} | {before} | {after} |")?;
        }
        writeln!(
            out,
            "\nData Source IDs filled: {} → {}; a second repair plans {} changes.",
            b.data_source_ids, a.data_source_ids, self.repair_again
        )?;
        writeln!(
            out,
            "What is left needs a person: see the findings above (tokens to renew, pages to \
             share)."
        )?;

        writeln!(out, "\n## 4. sync (dry run: the plan)\n")?;
        writeln!(out, "{}", self.plan.to_markdown())?;
        writeln!(out, "## 5. sync --execute\n")?;
        writeln!(out, "{}", self.first.to_markdown())?;
        writeln!(out, "## 6. sync --execute, again\n")?;
        writeln!(out, "{}", self.second.to_markdown())?;
        let created = self.first.created();
        writeln!(
            out,
            "The first sync created {created} rows with {} writes ({} requests); the second made \
             {} writes ({} requests, {} rows unchanged). Every row exists once in its target.",
            self.first.writes(),
            self.first.requests(),
            self.second.writes(),
            self.second.requests(),
            self.second.unchanged()
        )?;

        writeln!(
            out,
            "\n## 7. relations and people, read back from both workspaces\n"
        )?;
        if let Some(tasks) = self.first.pairs.iter().find(|p| p.pair.database == "Tasks") {
            if tasks.updated == 0 {
                writeln!(
                    out,
                    "Contacts' pair ran before Tasks' (Tasks relates to Contacts) and handed over \
                     its copy's rows: each of the {} tasks was created with its {:?} values, in \
                     one write.",
                    tasks.created, CONTACT_RELATION
                )?;
            } else {
                writeln!(
                    out,
                    "Tasks' {:?} values waited for rows the first pass made: a second pass of the \
                     same sync updated {} tasks.",
                    CONTACT_RELATION, tasks.updated
                )?;
            }
        }
        self.write_references(out)
    }

    /// What the sync made of the demo's relations and people (step 7).
    fn write_references(&self, out: &mut String) -> std::fmt::Result {
        let r = &self.references.relation;
        writeln!(
            out,
            "Tasks → Contacts ({CONTACT_RELATION:?}): {} relation values in {} tasks (up to {} on \
             one task, past the 25 a page shows), remapped to VibeVessel's copies of the \
             contacts: {} right, {} misdirected, {} missing.",
            r.source_values, r.rows, r.most_on_a_row, r.remapped, r.misdirected, r.missing
        )?;
        writeln!(
            out,
            "Tasks → Brand Assets ({ASSET_RELATION:?}): {} (Brand Assets is not synced; the note \
             above says so).",
            if self.references.unsynced_relation_copied {
                "copied, wrongly"
            } else {
                "not copied"
            }
        )?;
        let members: Vec<String> = self
            .people
            .iter()
            .map(|p| match &p.vibevessel_email {
                Some(email) if *email == p.email => format!("{} (in both)", p.name),
                Some(email) => format!("{} (in both, there as {email})", p.name),
                None => format!("{} (not in VibeVessel's workspace)", p.name),
            })
            .collect();
        writeln!(out, "Members: {}.", members.join(", "))?;
        let p = &self.references.people;
        writeln!(
            out,
            "People (Tasks' Assignee, Contacts' Owner): {} named in the source; {} matched by \
             email to the VibeVessel member, {} left out and reported (not members there), {} \
             wrong, {} missing.",
            p.source_values, p.matched, p.unmatched, p.wrong, p.missing
        )?;
        let b = &self.references.bodies;
        writeln!(
            out,
            "Page content (Tasks' bodies, `Sync Content` ticked): {} bodies of {} blocks in the \
             source (headings, lists, a toggle, a table, hosted images, mentions); in the copies \
             {} the same block by block, {} differing, {} missing; {} of {} mentions still \
             mentions there (the others written as their text).",
            b.bodies, b.blocks, b.same, b.differing, b.missing, b.mentions_kept, b.mentions
        )
    }
}
