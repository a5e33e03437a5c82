//! Two-way sync on the fake Notion, cell by cell of the change matrix (what happened to a row on
//! each side since the last run: nothing, an edit, a new row, the trash), each policy for different
//! edits of one property, then at random against a model of what each side should hold.
//!
//! Every test runs the sync, edits both sides through the API as a person would, runs it again,
//! checks both sides, and checks that one more run writes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use notion_xws_core::client::NotionClient;
use notion_xws_core::model::{Page, PropertyValueKind, RichText};
use notion_xws_core::registry::RegistryConfig;
use notion_xws_core::sync::one_way::plan::source_key;
use notion_xws_core::sync::report::{Cause, PairClass};
use notion_xws_core::sync::two_way::{ConflictPolicy, LINK_PREFIX};
use notion_xws_core::sync::values::canonical;
use notion_xws_core::sync::{PairReport, PairState, SyncOptions, sync};
use notion_xws_core::transport::Method;
use notion_xws_core::{DataSourceId, PageId};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};

use crate::support::fake::{id, ok, text};
use crate::support::sync::Crash;
use crate::support::sync::{acme_client, execute, pair, rows, target_of, two_way_world};
use crate::support::world::World;
use notion_xws_core::fake::Fault;
use notion_xws_core::transport::DynTransport;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// One side of the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Control,
    Environment,
}

/// The canonical values of a row's properties, the columns the library owns left out.
fn values(page: &Page) -> BTreeMap<String, Value> {
    page.properties
        .iter()
        .filter(|(name, _)| !name.starts_with("notion-xws:"))
        .filter_map(|(name, value)| canonical(value).map(|c| (name.clone(), c.value)))
        .collect()
}

/// The environment row a control row's link column names, if any.
fn link_of(page: &Page) -> Option<PageId> {
    page.properties
        .iter()
        .find(|(name, _)| name.starts_with(LINK_PREFIX))
        .and_then(|(_, value)| match &value.value {
            PropertyValueKind::RichText(text) => {
                PageId::parse(&RichText::concat_plain_text(text)).ok()
            }
            _ => None,
        })
}

/// Live rows by title, each title on one row only.
fn by_title(rows: Vec<Page>, side: Side) -> BTreeMap<String, Page> {
    let mut titled = BTreeMap::new();
    for row in rows {
        let title = row.title();
        assert!(
            titled.insert(title.clone(), row).is_none(),
            "{title:?} is on two live rows of the {side:?} side"
        );
    }
    titled
}

/// Whether any note of a report tells of a conflict.
fn reports_conflict(report: &PairReport) -> bool {
    report.notes.iter().any(|n| n.starts_with("conflict"))
}

/// A two-way pair synced once: the control's `Tasks` and its copy in `Acme`.
struct Pair {
    world: World,
    control: NotionClient,
    environment: NotionClient,
    control_source: DataSourceId,
    environment_source: DataSourceId,
    options: SyncOptions,
}

impl Pair {
    /// The two-way world of `rows` rows (`Row 0`, `Row 1` …), synced once with `policy`.
    async fn synced(rows: usize, policy: ConflictPolicy) -> Self {
        let (world, source, _) = two_way_world(rows).await;
        let control = world.client();
        let mut options = execute();
        options.conflict_policy = policy;
        let first = sync(&control, &RegistryConfig::default(), &options, None)
            .await
            .unwrap();
        let tasks = pair(&first, "Tasks");
        assert_eq!(
            (tasks.state.clone(), tasks.created),
            (PairState::Synced, rows),
            "{}",
            first.to_markdown()
        );
        let environment_source = target_of(&control, "Tasks", "Acme").await.unwrap();
        let environment = acme_client(&world).await;
        Self {
            control_source: source.parse().unwrap(),
            world,
            control,
            environment,
            environment_source,
            options,
        }
    }

    /// One run of the sync; the pair's report.
    async fn run(&self) -> PairReport {
        let report = sync(
            &self.control,
            &RegistryConfig::default(),
            &self.options,
            None,
        )
        .await
        .unwrap();
        pair(&report, "Tasks").clone()
    }

    /// A run that must write nothing.
    async fn settled(&self) -> PairReport {
        let report = self.run().await;
        assert_eq!(
            (report.writes, report.failed),
            (0, 0),
            "a run after the sync wrote: {report:#?}"
        );
        report
    }

    fn client(&self, side: Side) -> &NotionClient {
        match side {
            Side::Control => &self.control,
            Side::Environment => &self.environment,
        }
    }

    /// Writes to a row as a person would, through the API.
    async fn write(&self, side: Side, row: PageId, body: Value) {
        ok(
            &self.world.fake,
            Method::Patch,
            &format!("/v1/pages/{row}"),
            self.client(side).token(),
            Some(body),
        )
        .await;
    }

    /// Sets the rich text `Notes` of a row.
    async fn note(&self, side: Side, row: PageId, note: &str) {
        self.write(
            side,
            row,
            json!({"properties": {"Notes": {"rich_text": text(note)}}}),
        )
        .await;
    }

    /// Sets the number `Hours` of a row.
    async fn hours(&self, side: Side, row: PageId, hours: f64) {
        self.write(
            side,
            row,
            json!({"properties": {"Hours": {"number": hours}}}),
        )
        .await;
    }

    async fn trash(&self, side: Side, row: PageId) {
        self.write(side, row, json!({"in_trash": true})).await;
    }

    async fn restore(&self, side: Side, row: PageId) {
        self.write(side, row, json!({"in_trash": false})).await;
    }

    /// Adds a row with a title, a note and hours; returns it.
    async fn add(&self, side: Side, title: &str, note: &str, hours: f64) -> PageId {
        let data_source = match side {
            Side::Control => self.control_source,
            Side::Environment => self.environment_source,
        };
        let body = ok(
            &self.world.fake,
            Method::Post,
            "/v1/pages",
            self.client(side).token(),
            Some(json!({
                "parent": {"data_source_id": data_source.to_string()},
                "properties": {
                    "Name": {"title": text(title)},
                    "Notes": {"rich_text": text(note)},
                    "Hours": {"number": hours},
                },
            })),
        )
        .await;
        id(&body).parse().unwrap()
    }

    /// The live rows of one side, by title.
    async fn side(&self, side: Side) -> BTreeMap<String, Page> {
        let rows = match side {
            Side::Control => rows(&self.control, self.control_source).await,
            Side::Environment => rows(&self.environment, self.environment_source).await,
        };
        by_title(rows, side)
    }

    /// The live row of one side titled `title`.
    async fn row(&self, side: Side, title: &str) -> PageId {
        self.side(side)
            .await
            .get(title)
            .unwrap_or_else(|| panic!("no live {title:?} on the {side:?} side"))
            .id
    }

    /// Both sides, checked to hold the same titles, each pair linked both ways; by title, the
    /// values of the control row and of the environment row.
    async fn linked(&self) -> BTreeMap<String, (BTreeMap<String, Value>, BTreeMap<String, Value>)> {
        let control = self.side(Side::Control).await;
        let environment = self.side(Side::Environment).await;
        assert_eq!(
            control.keys().collect::<Vec<_>>(),
            environment.keys().collect::<Vec<_>>(),
            "the live titles of both sides"
        );
        control
            .into_iter()
            .map(|(title, c)| {
                let e = &environment[&title];
                assert_eq!(source_key(e), Some(c.id), "{title}: the environment's key");
                assert_eq!(link_of(&c), Some(e.id), "{title}: the control's link");
                (title, (values(&c), values(e)))
            })
            .collect()
    }

    /// Checks that both sides hold the same titles and the same values, but for the listed
    /// (title, property) cells.
    async fn assert_equal_but(&self, except: &[(&str, &str)]) {
        for (title, (mut c, mut e)) in self.linked().await {
            for (t, property) in except {
                if *t == title {
                    c.remove(*property);
                    e.remove(*property);
                }
            }
            assert_eq!(c, e, "{title}: both sides");
        }
    }

    /// The value of a property of the live row titled `title`.
    async fn value(&self, side: Side, title: &str, property: &str) -> Value {
        let rows = self.side(side).await;
        let row = rows
            .get(title)
            .unwrap_or_else(|| panic!("no live {title:?} on the {side:?} side"));
        canonical(&row.properties[property]).unwrap().value
    }
}

#[tokio::test(start_paused = true)]
async fn two_way_new_new_a_row_added_on_each_side_is_created_on_the_other() {
    let p = Pair::synced(2, ConflictPolicy::Report).await;
    p.add(Side::Control, "from the agency", "a", 1.0).await;
    p.add(Side::Environment, "from the client", "b", 2.0).await;
    let report = p.run().await;
    assert_eq!(
        (
            report.created,
            report.updated,
            report.trashed,
            report.failed
        ),
        (2, 0, 0, 0),
        "{report:#?}"
    );
    let linked = p.linked().await;
    assert_eq!(
        linked.keys().map(String::as_str).collect::<Vec<_>>(),
        ["Row 0", "Row 1", "from the agency", "from the client"]
    );
    p.assert_equal_but(&[]).await;
    assert_eq!(
        p.value(Side::Control, "from the client", "Hours").await,
        json!(2.0)
    );
    p.settled().await;
}

#[tokio::test(start_paused = true)]
async fn two_way_edit_none_the_control_edit_reaches_the_environment() {
    let p = Pair::synced(2, ConflictPolicy::Report).await;
    p.hours(Side::Control, p.row(Side::Control, "Row 0").await, 42.0)
        .await;
    let report = p.run().await;
    assert_eq!(
        (report.updated, report.created, report.failed),
        (1, 0, 0),
        "{report:#?}"
    );
    assert!(!reports_conflict(&report), "{report:#?}");
    assert_eq!(
        p.value(Side::Environment, "Row 0", "Hours").await,
        json!(42.0)
    );
    p.assert_equal_but(&[]).await;
    p.settled().await;
}

#[tokio::test(start_paused = true)]
async fn two_way_none_edit_the_environment_edit_reaches_the_control() {
    let p = Pair::synced(2, ConflictPolicy::Report).await;
    p.note(
        Side::Environment,
        p.row(Side::Environment, "Row 1").await,
        "from the client",
    )
    .await;
    let report = p.run().await;
    assert_eq!(
        (report.updated, report.created, report.failed),
        (1, 0, 0),
        "{report:#?}"
    );
    assert!(!reports_conflict(&report), "{report:#?}");
    assert_eq!(
        p.value(Side::Control, "Row 1", "Notes").await,
        json!("from the client")
    );
    p.assert_equal_but(&[]).await;
    p.settled().await;
}

#[tokio::test(start_paused = true)]
async fn two_way_edit_edit_equal_is_no_conflict_and_writes_only_the_base() {
    let p = Pair::synced(2, ConflictPolicy::Report).await;
    p.note(Side::Control, p.row(Side::Control, "Row 0").await, "agreed")
        .await;
    p.note(
        Side::Environment,
        p.row(Side::Environment, "Row 0").await,
        "agreed",
    )
    .await;
    let report = p.run().await;
    assert!(!reports_conflict(&report), "{report:#?}");
    // Both sides already agree: neither row's values are written, only the base.
    assert_eq!(
        (report.updated, report.created, report.failed),
        (0, 0, 0),
        "{report:#?}"
    );
    assert_eq!(
        p.value(Side::Environment, "Row 0", "Notes").await,
        json!("agreed")
    );
    p.assert_equal_but(&[]).await;
    p.settled().await;
}

/// The same property of `Row 0` changed differently on both sides; returns the pair after the
/// run, with its report.
async fn different_edits(policy: ConflictPolicy) -> (Pair, PairReport) {
    let p = Pair::synced(2, policy).await;
    p.note(
        Side::Control,
        p.row(Side::Control, "Row 0").await,
        "agency says",
    )
    .await;
    p.note(
        Side::Environment,
        p.row(Side::Environment, "Row 0").await,
        "client says",
    )
    .await;
    let report = p.run().await;
    assert_eq!(report.failed, 0, "{report:#?}");
    assert!(
        report.notes.iter().any(|n| n.starts_with("conflict")
            && n.contains("\"Notes\"")
            && n.contains("agency says")
            && n.contains("client says")),
        "{report:#?}"
    );
    (p, report)
}

#[tokio::test(start_paused = true)]
async fn two_way_edit_edit_different_by_default_is_reported_and_overwrites_nothing() {
    let (p, report) = different_edits(ConflictPolicy::default()).await;
    assert_eq!(report.updated, 0, "{report:#?}");
    assert!(
        report.notes.iter().any(|n| n.contains("(reported)")),
        "{report:#?}"
    );
    assert_eq!(
        p.value(Side::Control, "Row 0", "Notes").await,
        json!("agency says")
    );
    assert_eq!(
        p.value(Side::Environment, "Row 0", "Notes").await,
        json!("client says")
    );
    p.assert_equal_but(&[("Row 0", "Notes")]).await;
    // Nothing is written, and the conflict is reported again until someone settles it.
    let again = p.settled().await;
    assert!(reports_conflict(&again), "{again:#?}");
    // Settled by hand (the control's value copied into the environment): no conflict left.
    p.note(
        Side::Environment,
        p.row(Side::Environment, "Row 0").await,
        "agency says",
    )
    .await;
    let settled = p.run().await;
    assert!(!reports_conflict(&settled), "{settled:#?}");
    p.assert_equal_but(&[]).await;
    let last = p.settled().await;
    assert!(!reports_conflict(&last), "{last:#?}");
}

#[tokio::test(start_paused = true)]
async fn two_way_edit_edit_different_control_wins() {
    let (p, report) = different_edits(ConflictPolicy::ControlWins).await;
    assert_eq!(report.updated, 1, "{report:#?}");
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("the control's value kept")),
        "{report:#?}"
    );
    assert_eq!(
        p.value(Side::Environment, "Row 0", "Notes").await,
        json!("agency says")
    );
    p.assert_equal_but(&[]).await;
    let last = p.settled().await;
    assert!(!reports_conflict(&last), "{last:#?}");
}

#[tokio::test(start_paused = true)]
async fn two_way_edit_edit_different_environment_wins() {
    let (p, report) = different_edits(ConflictPolicy::EnvironmentWins).await;
    assert_eq!(report.updated, 1, "{report:#?}");
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("the environment's value kept")),
        "{report:#?}"
    );
    assert_eq!(
        p.value(Side::Control, "Row 0", "Notes").await,
        json!("client says")
    );
    p.assert_equal_but(&[]).await;
    let last = p.settled().await;
    assert!(!reports_conflict(&last), "{last:#?}");
}

#[tokio::test(start_paused = true)]
async fn two_way_edit_edit_different_newer_wins_and_a_tie_is_reported() {
    let p = Pair::synced(3, ConflictPolicy::NewerWins).await;
    let control = p.side(Side::Control).await;
    let environment = p.side(Side::Environment).await;
    let c = |title: &str| control[title].id;
    let e = |title: &str| environment[title].id;
    // Row 0: the control first, the environment two minutes later. Row 1: the other way round.
    // Row 2: both in the same minute (Notion's times are to the minute): a tie.
    p.note(Side::Control, c("Row 0"), "agency, older").await;
    p.note(Side::Environment, e("Row 1"), "client, older").await;
    p.note(Side::Control, c("Row 2"), "agency, same minute")
        .await;
    p.note(Side::Environment, e("Row 2"), "client, same minute")
        .await;
    tokio::time::advance(Duration::from_secs(120)).await;
    p.note(Side::Environment, e("Row 0"), "client, newer").await;
    p.note(Side::Control, c("Row 1"), "agency, newer").await;
    let report = p.run().await;
    assert_eq!(
        (report.updated, report.failed),
        (2, 0),
        "the two newer edits copied: {report:#?}"
    );
    assert_eq!(
        p.value(Side::Control, "Row 0", "Notes").await,
        json!("client, newer")
    );
    assert_eq!(
        p.value(Side::Environment, "Row 1", "Notes").await,
        json!("agency, newer")
    );
    assert_eq!(
        p.value(Side::Control, "Row 2", "Notes").await,
        json!("agency, same minute")
    );
    assert_eq!(
        p.value(Side::Environment, "Row 2", "Notes").await,
        json!("client, same minute")
    );
    let conflicts: Vec<&String> = report
        .notes
        .iter()
        .filter(|n| n.starts_with("conflict"))
        .collect();
    assert_eq!(conflicts.len(), 3, "{report:#?}");
    assert!(
        conflicts
            .iter()
            .any(|n| n.contains("client, newer") && n.contains("the environment's value kept")),
        "{report:#?}"
    );
    assert!(
        conflicts
            .iter()
            .any(|n| n.contains("agency, newer") && n.contains("the control's value kept")),
        "{report:#?}"
    );
    assert!(
        conflicts
            .iter()
            .any(|n| n.contains("same minute") && n.contains("(reported)")),
        "{report:#?}"
    );
    p.assert_equal_but(&[("Row 2", "Notes")]).await;
    let last = p.settled().await;
    assert_eq!(
        last.notes
            .iter()
            .filter(|n| n.starts_with("conflict"))
            .count(),
        1,
        "only the tie is reported again: {last:#?}"
    );
}

#[tokio::test(start_paused = true)]
async fn two_way_edit_trash_the_edit_wins_and_the_trashed_row_is_restored() {
    let p = Pair::synced(2, ConflictPolicy::Report).await;
    p.hours(Side::Control, p.row(Side::Control, "Row 0").await, 7.5)
        .await;
    p.trash(Side::Environment, p.row(Side::Environment, "Row 0").await)
        .await;
    let report = p.run().await;
    assert_eq!(
        (
            report.updated,
            report.created,
            report.trashed,
            report.failed
        ),
        (1, 0, 0, 0),
        "one restore, no new row: {report:#?}"
    );
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.starts_with("conflict") && n.contains("restored")),
        "{report:#?}"
    );
    assert_eq!(
        p.value(Side::Environment, "Row 0", "Hours").await,
        json!(7.5)
    );
    p.assert_equal_but(&[]).await;
    let last = p.settled().await;
    assert!(!reports_conflict(&last), "{last:#?}");
}

#[tokio::test(start_paused = true)]
async fn two_way_trash_edit_the_edit_wins_and_the_trashed_row_is_restored() {
    let p = Pair::synced(2, ConflictPolicy::Report).await;
    let control_row = p.row(Side::Control, "Row 1").await;
    p.trash(Side::Control, control_row).await;
    p.note(
        Side::Environment,
        p.row(Side::Environment, "Row 1").await,
        "still needed",
    )
    .await;
    let report = p.run().await;
    assert_eq!(
        (
            report.updated,
            report.created,
            report.trashed,
            report.failed
        ),
        (1, 0, 0, 0),
        "one restore, no new row: {report:#?}"
    );
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.starts_with("conflict") && n.contains("restored")),
        "{report:#?}"
    );
    // The same control row, out of the trash, with the environment's edit.
    assert_eq!(p.row(Side::Control, "Row 1").await, control_row);
    assert_eq!(
        p.value(Side::Control, "Row 1", "Notes").await,
        json!("still needed")
    );
    p.assert_equal_but(&[]).await;
    let last = p.settled().await;
    assert!(!reports_conflict(&last), "{last:#?}");
}

#[tokio::test(start_paused = true)]
async fn two_way_trash_trash_writes_nothing_and_brings_nothing_back() {
    let p = Pair::synced(2, ConflictPolicy::Report).await;
    p.trash(Side::Control, p.row(Side::Control, "Row 0").await)
        .await;
    p.trash(Side::Environment, p.row(Side::Environment, "Row 0").await)
        .await;
    let report = p.run().await;
    assert_eq!(
        (
            report.updated,
            report.created,
            report.trashed,
            report.failed
        ),
        (0, 0, 0, 0),
        "{report:#?}"
    );
    assert!(!reports_conflict(&report), "{report:#?}");
    let linked = p.linked().await;
    assert_eq!(
        linked.keys().map(String::as_str).collect::<Vec<_>>(),
        ["Row 1"]
    );
    p.settled().await;
}

#[tokio::test(start_paused = true)]
async fn two_way_trash_none_and_none_trash_the_other_side_is_trashed() {
    // Four rows, so that two trashed stay within the max-delete guard's half.
    let p = Pair::synced(4, ConflictPolicy::Report).await;
    p.trash(Side::Control, p.row(Side::Control, "Row 0").await)
        .await;
    p.trash(Side::Environment, p.row(Side::Environment, "Row 3").await)
        .await;
    let report = p.run().await;
    assert_eq!(
        (
            report.trashed,
            report.created,
            report.updated,
            report.failed
        ),
        (2, 0, 0, 0),
        "{report:#?}"
    );
    assert!(!reports_conflict(&report), "{report:#?}");
    let linked = p.linked().await;
    assert_eq!(
        linked.keys().map(String::as_str).collect::<Vec<_>>(),
        ["Row 1", "Row 2"]
    );
    p.assert_equal_but(&[]).await;
    p.settled().await;
}

/// The plain text of a column the library owns, on a row of either side, live or in the trash.
async fn own_text(p: &Pair, side: Side, row: PageId, column_start: &str) -> String {
    let page = p.client(side).page(row).await.unwrap();
    page.properties
        .iter()
        .find(|(name, _)| name.starts_with(column_start))
        .and_then(|(_, value)| match &value.value {
            PropertyValueKind::RichText(text) => Some(RichText::concat_plain_text(text)),
            _ => None,
        })
        .unwrap_or_default()
}

/// A pair of four rows with `Row 0` trashed by hand on `side`, then a run that trashes the other
/// side's `Row 0`: the pages of `Row 0` (control, environment).
async fn half_trashed_by_the_sync(side: Side) -> (Pair, PageId, PageId) {
    let p = Pair::synced(4, ConflictPolicy::Report).await;
    let (c, e) = (
        p.row(Side::Control, "Row 0").await,
        p.row(Side::Environment, "Row 0").await,
    );
    p.trash(side, if side == Side::Control { c } else { e })
        .await;
    let report = p.run().await;
    assert_eq!((report.trashed, report.failed), (1, 0), "{report:#?}");
    (p, c, e)
}

#[tokio::test(start_paused = true)]
async fn two_way_the_sync_marks_the_row_it_trashes() {
    let (p, c, e) = half_trashed_by_the_sync(Side::Control).await;
    let base = own_text(&p, Side::Environment, e, "notion-xws:base").await;
    assert!(
        base.starts_with("v1;") && base.ends_with(";trashed-by-sync"),
        "{base}"
    );
    assert!(p.environment.page(e).await.unwrap().in_trash());
    assert_eq!(
        own_text(&p, Side::Control, c, LINK_PREFIX).await,
        e.to_string()
    );
    let (p, c, e) = half_trashed_by_the_sync(Side::Environment).await;
    assert_eq!(
        own_text(&p, Side::Control, c, LINK_PREFIX).await,
        format!("{e};trashed-by-sync")
    );
    assert!(p.control.page(c).await.unwrap().in_trash());
    assert!(
        !own_text(&p, Side::Environment, e, "notion-xws:base")
            .await
            .contains("trashed-by-sync")
    );
}

#[tokio::test(start_paused = true)]
async fn two_way_a_trash_whose_outcome_is_unknown_is_settled_with_its_mark() {
    // Applied but unanswered (a resend would be refused: the page is in the trash), or not
    // applied at all (sent again).
    for fault in [Fault::TimeoutAfterWrite, Fault::TimeoutBeforeWrite] {
        let p = Pair::synced(4, ConflictPolicy::Report).await;
        let (c, e) = (
            p.row(Side::Control, "Row 0").await,
            p.row(Side::Environment, "Row 0").await,
        );
        p.trash(Side::Control, c).await;
        p.world.fake.fail_next(
            Some(Method::Patch),
            &format!("/v1/pages/{e}"),
            fault.clone(),
        );
        let report = p.run().await;
        assert_eq!(
            (report.trashed, report.failed),
            (1, 0),
            "{fault:?}: {report:#?}"
        );
        assert!(
            own_text(&p, Side::Environment, e, "notion-xws:base")
                .await
                .ends_with(";trashed-by-sync"),
            "{fault:?}"
        );
        p.restore(Side::Control, c).await;
        p.run().await;
        assert_eq!(p.row(Side::Environment, "Row 0").await, e, "{fault:?}");
        p.settled().await;
    }
}

#[tokio::test(start_paused = true)]
async fn two_way_a_restore_by_hand_of_either_row_brings_the_pair_back() {
    // (side a person trashed, side a person restores)
    for (trashed, restored) in [
        (Side::Control, Side::Control),
        (Side::Control, Side::Environment),
        (Side::Environment, Side::Environment),
        (Side::Environment, Side::Control),
    ] {
        let (p, c, e) = half_trashed_by_the_sync(trashed).await;
        p.restore(restored, if restored == Side::Control { c } else { e })
            .await;
        let report = p.run().await;
        let context = format!("trashed in the {trashed:?}, restored in the {restored:?}");
        assert_eq!(
            (report.created, report.trashed, report.failed),
            (0, 0, 0),
            "{context}: {report:#?}"
        );
        assert!(!reports_conflict(&report), "{context}: {report:#?}");
        // The same two pages, live, linked, equal, and no mark left.
        assert_eq!(p.row(Side::Control, "Row 0").await, c, "{context}");
        assert_eq!(p.row(Side::Environment, "Row 0").await, e, "{context}");
        assert_eq!(p.linked().await.len(), 4, "{context}");
        p.assert_equal_but(&[]).await;
        assert_eq!(
            own_text(&p, Side::Control, c, LINK_PREFIX).await,
            e.to_string()
        );
        assert!(
            !own_text(&p, Side::Environment, e, "notion-xws:base")
                .await
                .contains("trashed-by-sync"),
            "{context}"
        );
        p.settled().await;
    }
}

#[tokio::test(start_paused = true)]
async fn two_way_both_rows_restored_by_hand_only_lose_their_mark() {
    for side in [Side::Control, Side::Environment] {
        let (p, c, e) = half_trashed_by_the_sync(side).await;
        p.restore(Side::Control, c).await;
        p.restore(Side::Environment, e).await;
        let report = p.run().await;
        assert_eq!(
            (
                report.created,
                report.trashed,
                report.failed,
                report.writes > 0
            ),
            (0, 0, 0, true),
            "{side:?}: {report:#?}"
        );
        assert!(!reports_conflict(&report), "{report:#?}");
        p.assert_equal_but(&[]).await;
        p.settled().await;
    }
}

#[tokio::test(start_paused = true)]
async fn two_way_a_restore_and_an_edit_bring_the_pair_back_with_the_edit() {
    for side in [Side::Control, Side::Environment] {
        let (p, c, e) = half_trashed_by_the_sync(side).await;
        let row = if side == Side::Control { c } else { e };
        p.restore(side, row).await;
        p.hours(side, row, 42.0).await;
        let report = p.run().await;
        assert_eq!((report.created, report.failed), (0, 0), "{report:#?}");
        assert!(!reports_conflict(&report), "{report:#?}");
        assert_eq!(p.row(Side::Control, "Row 0").await, c);
        assert_eq!(p.row(Side::Environment, "Row 0").await, e);
        assert_eq!(
            p.value(Side::Environment, "Row 0", "Hours").await,
            json!(42.0)
        );
        p.assert_equal_but(&[]).await;
        p.settled().await;
    }
}

#[tokio::test(start_paused = true)]
async fn two_way_a_restore_whose_other_row_is_gone_for_good_makes_it_again_once() {
    // (side a person trashed, the side whose row is then deleted for good, the side restored)
    for (trashed, gone) in [
        (Side::Control, Side::Environment),
        (Side::Environment, Side::Environment),
        (Side::Control, Side::Control),
    ] {
        let (p, c, e) = half_trashed_by_the_sync(trashed).await;
        let (gone_row, restored, restored_row) = match gone {
            Side::Control => (c, Side::Environment, e),
            Side::Environment => (e, Side::Control, c),
        };
        // Deleted for good: the integration gets a 404 for it, as for a page emptied from the
        // trash.
        p.world
            .fake
            .unshare(p.client(gone).token(), gone_row)
            .unwrap();
        p.restore(restored, restored_row).await;
        let report = p.run().await;
        let context = format!("trashed in the {trashed:?}, gone in the {gone:?}");
        assert_eq!(
            (report.created, report.trashed, report.failed),
            (1, 0, 0),
            "{context}: {report:#?}"
        );
        assert_eq!(p.row(restored, "Row 0").await, restored_row, "{context}");
        assert_ne!(p.row(gone, "Row 0").await, gone_row, "{context}");
        assert_eq!(p.linked().await.len(), 4, "{context}");
        p.assert_equal_but(&[]).await;
        p.settled().await;
    }
}

#[tokio::test(start_paused = true)]
async fn two_way_restores_by_hand_pass_the_max_delete_guard() {
    let mut p = Pair::synced(4, ConflictPolicy::Report).await;
    let control = p.side(Side::Control).await;
    for title in ["Row 0", "Row 1", "Row 2"] {
        p.trash(Side::Control, control[title].id).await;
    }
    p.options.plan.allow_mass_delete = true;
    assert_eq!(p.run().await.trashed, 3);
    p.options.plan.allow_mass_delete = false;
    for title in ["Row 0", "Row 1", "Row 2"] {
        p.restore(Side::Control, control[title].id).await;
    }
    let report = p.run().await;
    assert_eq!(report.state, PairState::Synced, "{report:#?}");
    assert_eq!(
        (report.updated, report.created, report.trashed),
        (3, 0, 0),
        "{report:#?}"
    );
    assert_eq!(p.linked().await.len(), 4);
    p.assert_equal_but(&[]).await;
    p.settled().await;
}

#[tokio::test(start_paused = true)]
async fn two_way_a_crash_at_every_request_of_a_trash_and_of_a_restore_converges() {
    /// Runs the sync through a transport that stops at request `at`, then a clean run.
    async fn crash_then_run(p: &Pair, at: u64, after_applying: bool) {
        let crash = Arc::new(Crash {
            inner: p.world.fake.clone(),
            at,
            after_applying,
            seen: AtomicU64::new(0),
        });
        let crashing = NotionClient::new(crash as DynTransport, p.world.token().clone());
        let stopped = tokio::time::timeout(
            Duration::from_secs(3600),
            sync(&crashing, &RegistryConfig::default(), &p.options, None),
        )
        .await;
        assert!(stopped.is_err(), "the run did not stop at {at}");
        let rerun = p.run().await;
        assert_eq!(
            rerun.failed, 0,
            "crash at {at} ({after_applying}): {rerun:#?}"
        );
    }

    for (trashed, restored) in [
        (Side::Control, Side::Control),
        (Side::Environment, Side::Control),
    ] {
        // The trash: a crash anywhere leaves the other row live, or trashed with its mark (then a
        // restore by hand brings the pair back).
        let probe = Pair::synced(4, ConflictPolicy::Report).await;
        let (c, e) = (
            probe.row(Side::Control, "Row 0").await,
            probe.row(Side::Environment, "Row 0").await,
        );
        let trashed_row = if trashed == Side::Control { c } else { e };
        let restored_row = if restored == Side::Control { c } else { e };
        probe.trash(trashed, trashed_row).await;
        probe.world.fake.clear_request_log();
        probe.run().await;
        let total = probe.world.fake.request_log().len() as u64;
        for at in 1..=total {
            for after_applying in [false, true] {
                let p = Pair::synced(4, ConflictPolicy::Report).await;
                let (c, e) = (
                    p.row(Side::Control, "Row 0").await,
                    p.row(Side::Environment, "Row 0").await,
                );
                let (t, r) = (
                    if trashed == Side::Control { c } else { e },
                    if restored == Side::Control { c } else { e },
                );
                p.trash(trashed, t).await;
                crash_then_run(&p, at, after_applying).await;
                assert_eq!(p.linked().await.len(), 3, "trash, crash at {at}");
                p.restore(restored, r).await;
                p.run().await;
                assert_eq!(p.linked().await.len(), 4, "trash, crash at {at}");
                assert_eq!(p.row(Side::Control, "Row 0").await, c);
                assert_eq!(p.row(Side::Environment, "Row 0").await, e);
                p.settled().await;
            }
        }
        // The restore: a crash anywhere, then a clean run, brings the same pair back.
        let (probe, _, _) = half_trashed_by_the_sync(trashed).await;
        probe.restore(restored, restored_row).await;
        let _ = (c, e);
        probe.world.fake.clear_request_log();
        probe.run().await;
        let total = probe.world.fake.request_log().len() as u64;
        for at in 1..=total {
            for after_applying in [false, true] {
                let (p, c, e) = half_trashed_by_the_sync(trashed).await;
                p.restore(restored, if restored == Side::Control { c } else { e })
                    .await;
                crash_then_run(&p, at, after_applying).await;
                assert_eq!(p.linked().await.len(), 4, "restore, crash at {at}");
                assert_eq!(p.row(Side::Control, "Row 0").await, c);
                assert_eq!(p.row(Side::Environment, "Row 0").await, e);
                p.assert_equal_but(&[]).await;
                p.settled().await;
            }
        }
    }
}

/// The two properties the random edits change, and the values they draw from (few, so that an
/// edit sometimes sets the value already there, or the same value as the other side's edit).
const NOTES: [&str; 4] = ["a", "b", "c", "d"];
const HOURS: [f64; 4] = [0.0, 1.5, 3.0, 4.5];

/// The canonical values of `Notes` and `Hours`.
type Cells = BTreeMap<&'static str, Value>;

/// A random value of `Notes` or `Hours`, as its canonical form and as request JSON.
fn random_value(rng: &mut StdRng, property: &str) -> (Value, Value) {
    if property == "Notes" {
        let note = NOTES[rng.random_range(0..NOTES.len())];
        (json!(note), json!({"rich_text": text(note)}))
    } else {
        let hours = HOURS[rng.random_range(0..HOURS.len())];
        (json!(hours), json!({"number": hours}))
    }
}

/// What the model expects of one row on one side.
#[derive(Debug, Clone)]
struct Held {
    /// The page, once seen (a row the sync creates is seen after the run).
    id: Option<PageId>,
    live: bool,
    cells: Cells,
    /// The sync trashed it (and marked it so); a person's trash or restore leaves this as it is,
    /// the sync's next write to the row clears it.
    by_sync: bool,
}

/// One row of the model: what each side holds, and what both held at the last sync.
#[derive(Debug, Clone)]
struct ModelRow {
    title: String,
    control: Option<Held>,
    environment: Option<Held>,
    base: Option<Cells>,
}

impl ModelRow {
    fn side(&self, side: Side) -> Option<&Held> {
        match side {
            Side::Control => self.control.as_ref(),
            Side::Environment => self.environment.as_ref(),
        }
    }

    fn side_mut(&mut self, side: Side) -> Option<&mut Held> {
        match side {
            Side::Control => self.control.as_mut(),
            Side::Environment => self.environment.as_mut(),
        }
    }
}

/// What a run does to the model, as the two-way sync promises it: a row live on one side only is
/// created on the other; of a linked pair, a property changed on one side since the base is
/// copied to the other, the same value on both is settled, different changes are a conflict (left
/// as they are under `report`, the control's value copied under `control-wins`); a row trashed on
/// one side is trashed on the other (and marked as trashed by the sync) unless the other changed
/// since the base, in which case the trashed row is restored with the live row's values (modify
/// beats delete); but when either row of the pair is marked, a person restored one row of a
/// pair the sync trashed half of, and the other is restored with its values. Every pair the
/// sync sees live on both sides loses its marks.
fn model_run(rows: &mut [ModelRow], policy: ConflictPolicy) {
    for row in rows {
        match (row.control.as_mut(), row.environment.as_mut()) {
            (Some(only), None) | (None, Some(only)) if only.live => {
                let copy = Held {
                    id: None,
                    live: true,
                    cells: only.cells.clone(),
                    by_sync: false,
                };
                row.base = Some(only.cells.clone());
                if row.control.is_none() {
                    row.control = Some(copy);
                } else {
                    row.environment = Some(copy);
                }
            }
            (Some(c), Some(e)) => {
                let base = row.base.get_or_insert_with(Cells::new);
                match (c.live, e.live) {
                    (true, true) => {
                        c.by_sync = false;
                        e.by_sync = false;
                        for (property, b) in base.iter_mut() {
                            let (cv, ev) = (c.cells[property].clone(), e.cells[property].clone());
                            if cv == ev {
                                *b = cv;
                            } else if *b == ev
                                || (*b != cv && policy == ConflictPolicy::ControlWins)
                            {
                                e.cells.insert(property, cv.clone());
                                *b = cv;
                            } else if *b == cv {
                                c.cells.insert(property, ev.clone());
                                *b = ev;
                            }
                        }
                    }
                    (true, false) | (false, true) => {
                        let (live, trashed) = if c.live { (c, e) } else { (e, c) };
                        if !live.by_sync && !trashed.by_sync && live.cells == *base {
                            live.live = false;
                            live.by_sync = true;
                        } else {
                            trashed.live = true;
                            trashed.cells = live.cells.clone();
                            *base = live.cells.clone();
                            live.by_sync = false;
                            trashed.by_sync = false;
                        }
                    }
                    (false, false) => {}
                }
            }
            _ => {}
        }
    }
}

/// Checks both sides against the model, and notes the IDs of the rows the run created.
async fn check_against_model(p: &Pair, model: &mut [ModelRow], context: &str) {
    let control = p.side(Side::Control).await;
    let environment = p.side(Side::Environment).await;
    for (side, live) in [(Side::Control, &control), (Side::Environment, &environment)] {
        let expected: BTreeSet<&str> = model
            .iter()
            .filter(|row| row.side(side).is_some_and(|held| held.live))
            .map(|row| row.title.as_str())
            .collect();
        let found: BTreeSet<&str> = live.keys().map(String::as_str).collect();
        assert_eq!(
            found, expected,
            "{context}: the live rows of the {side:?} side"
        );
        for row in model.iter_mut() {
            let title = row.title.clone();
            let Some(held) = row.side_mut(side).filter(|held| held.live) else {
                continue;
            };
            let page = &live[&title];
            assert!(
                held.id.is_none_or(|id| id == page.id),
                "{context}: {title} on the {side:?} side is a new page"
            );
            held.id = Some(page.id);
            let cells = values(page);
            for (property, value) in &held.cells {
                assert_eq!(
                    cells.get(*property),
                    Some(value),
                    "{context}: {title}'s {property} on the {side:?} side"
                );
            }
        }
    }
    for row in model.iter() {
        let (Some(c), Some(e)) = (&row.control, &row.environment) else {
            continue;
        };
        if c.live && e.live {
            let (c, e) = (&control[&row.title], &environment[&row.title]);
            assert_eq!(source_key(e), Some(c.id), "{context}: {}'s key", row.title);
            assert_eq!(link_of(c), Some(e.id), "{context}: {}'s link", row.title);
            let (mut cv, mut ev) = (values(c), values(e));
            for property in ["Notes", "Hours"] {
                cv.remove(property);
                ev.remove(property);
            }
            assert_eq!(cv, ev, "{context}: {}'s other values", row.title);
        }
    }
}

/// Makes one random edit on the fake, as a person would, and the same in the model.
async fn random_edit(p: &Pair, model: &mut Vec<ModelRow>, rng: &mut StdRng, log: &mut Vec<String>) {
    let sides = [Side::Control, Side::Environment];
    let side = sides[rng.random_range(0..2)];
    let property = ["Notes", "Hours"][rng.random_range(0..2)];
    let held_where = |model: &[ModelRow], live: bool| -> Vec<usize> {
        (0..model.len())
            .filter(|&i| {
                model[i]
                    .side(side)
                    .is_some_and(|h| h.live == live && h.id.is_some())
            })
            .collect()
    };
    let pick = |rng: &mut StdRng, from: &[usize]| from[rng.random_range(0..from.len())];
    match rng.random_range(0..5) {
        // Edit a property of a live row.
        0 => {
            let live = held_where(model, true);
            if live.is_empty() {
                return;
            }
            let i = pick(rng, &live);
            let (canonical, request) = random_value(rng, property);
            let held = model[i].side_mut(side).unwrap();
            p.write(
                side,
                held.id.unwrap(),
                json!({"properties": {property: request}}),
            )
            .await;
            held.cells.insert(property, canonical.clone());
            log.push(format!(
                "{side:?}: {}'s {property} = {canonical}",
                model[i].title
            ));
        }
        // Add a row.
        1 => {
            let title = format!("R{}", model.len());
            let (note, _) = random_value(rng, "Notes");
            let (hours, _) = random_value(rng, "Hours");
            let id = p
                .add(
                    side,
                    &title,
                    note.as_str().unwrap(),
                    hours.as_f64().unwrap(),
                )
                .await;
            let held = Held {
                id: Some(id),
                live: true,
                cells: Cells::from([("Notes", note), ("Hours", hours)]),
                by_sync: false,
            };
            log.push(format!("{side:?}: add {title}"));
            let (control, environment) = match side {
                Side::Control => (Some(held), None),
                Side::Environment => (None, Some(held)),
            };
            model.push(ModelRow {
                title,
                control,
                environment,
                base: None,
            });
        }
        // Trash a live row.
        2 => {
            let live = held_where(model, true);
            if live.is_empty() {
                return;
            }
            let i = pick(rng, &live);
            let held = model[i].side_mut(side).unwrap();
            p.trash(side, held.id.unwrap()).await;
            held.live = false;
            log.push(format!("{side:?}: trash {}", model[i].title));
        }
        // Restore a trashed row.
        3 => {
            let trashed = held_where(model, false);
            if trashed.is_empty() {
                return;
            }
            let i = pick(rng, &trashed);
            let held = model[i].side_mut(side).unwrap();
            p.restore(side, held.id.unwrap()).await;
            held.live = true;
            log.push(format!("{side:?}: restore {}", model[i].title));
        }
        // Edit the same property on both sides (sometimes to the same value).
        _ => {
            let both: Vec<usize> = (0..model.len())
                .filter(|&i| {
                    sides
                        .iter()
                        .all(|&s| model[i].side(s).is_some_and(|h| h.live && h.id.is_some()))
                })
                .collect();
            if both.is_empty() {
                return;
            }
            let i = pick(rng, &both);
            let (first, first_request) = random_value(rng, property);
            let (second, second_request) = if rng.random_bool(0.3) {
                (first.clone(), first_request.clone())
            } else {
                random_value(rng, property)
            };
            for (s, canonical, request) in [
                (Side::Control, first, first_request),
                (Side::Environment, second, second_request),
            ] {
                let held = model[i].side_mut(s).unwrap();
                p.write(
                    s,
                    held.id.unwrap(),
                    json!({"properties": {property: request}}),
                )
                .await;
                held.cells.insert(property, canonical);
            }
            log.push(format!("both: {}'s {property}", model[i].title));
        }
    }
}

#[tokio::test(start_paused = true)]
async fn two_way_random_edits_on_both_sides_match_the_model() {
    for seed in 0..8u64 {
        let policy = if seed % 2 == 0 {
            ConflictPolicy::Report
        } else {
            ConflictPolicy::ControlWins
        };
        let mut p = Pair::synced(3, policy).await;
        // The guard is tested on its own; here every trash the model expects goes through.
        p.options.plan.allow_mass_delete = true;
        let mut model: Vec<ModelRow> = p
            .linked()
            .await
            .into_iter()
            .map(|(title, (c, _))| {
                let cells: Cells = ["Notes", "Hours"]
                    .into_iter()
                    .map(|property| (property, c[property].clone()))
                    .collect();
                let held = Held {
                    id: None,
                    live: true,
                    cells: cells.clone(),
                    by_sync: false,
                };
                ModelRow {
                    title,
                    control: Some(held.clone()),
                    environment: Some(held),
                    base: Some(cells),
                }
            })
            .collect();
        check_against_model(&p, &mut model, &format!("seed {seed}, first run")).await;
        let mut rng = StdRng::seed_from_u64(seed);
        let mut log = Vec::new();
        for round in 0..6 {
            for _ in 0..rng.random_range(1..=4) {
                random_edit(&p, &mut model, &mut rng, &mut log).await;
            }
            let report = p.run().await;
            let context = format!("seed {seed} ({policy:?}), round {round}, after {log:?}");
            assert_eq!(report.failed, 0, "{context}: {report:#?}");
            model_run(&mut model, policy);
            check_against_model(&p, &mut model, &context).await;
        }
        // Whatever conflict is left is settled by hand (the control's value written into the
        // environment); then every linked pair is equal and one more run writes nothing.
        for row in &mut model {
            let (Some(c), Some(e)) = (row.control.as_ref(), row.environment.as_mut()) else {
                continue;
            };
            if c.live && e.live && c.cells != e.cells {
                let body = json!({"properties": {
                    "Notes": {"rich_text": text(c.cells["Notes"].as_str().unwrap())},
                    "Hours": {"number": c.cells["Hours"]},
                }});
                p.write(Side::Environment, e.id.unwrap(), body).await;
                e.cells = c.cells.clone();
            }
        }
        let context = format!("seed {seed} ({policy:?}), settled, after {log:?}");
        let report = p.run().await;
        assert!(!reports_conflict(&report), "{context}: {report:#?}");
        model_run(&mut model, policy);
        check_against_model(&p, &mut model, &context).await;
        p.assert_equal_but(&[]).await;
        let live = model
            .iter()
            .filter(|row| row.control.as_ref().is_some_and(|c| c.live))
            .count();
        assert_eq!(
            p.side(Side::Control).await.len(),
            live,
            "{context}: no lost, no duplicate row"
        );
        let last = p.settled().await;
        assert!(!reports_conflict(&last), "{context}: {last:#?}");
    }
}

/// A synced pair of four rows, then edited on both sides: an edit on each side, a row added on
/// each side, a row trashed in the control, and a row edited in the control but trashed in the
/// environment.
async fn edited_on_both_sides() -> Pair {
    let p = Pair::synced(4, ConflictPolicy::Report).await;
    let control = p.side(Side::Control).await;
    let environment = p.side(Side::Environment).await;
    p.hours(Side::Control, control["Row 0"].id, 11.0).await;
    p.note(Side::Environment, environment["Row 1"].id, "client")
        .await;
    p.trash(Side::Control, control["Row 2"].id).await;
    p.note(Side::Control, control["Row 3"].id, "agency").await;
    p.trash(Side::Environment, environment["Row 3"].id).await;
    p.add(Side::Control, "new in the control", "a", 1.0).await;
    p.add(Side::Environment, "new in the environment", "b", 2.0)
        .await;
    p
}

#[tokio::test(start_paused = true)]
async fn two_way_a_crash_at_every_request_of_a_run_with_changes_on_both_sides_converges() {
    // A clean run: its request count, and what both sides hold after it.
    let probe = edited_on_both_sides().await;
    probe.world.fake.clear_request_log();
    let clean = probe.run().await;
    assert_eq!(
        (clean.created, clean.trashed, clean.failed),
        (2, 1, 0),
        "{clean:#?}"
    );
    let total = probe.world.fake.request_log().len() as u64;
    let expected = probe.linked().await;
    assert_eq!(expected.len(), 5, "{expected:#?}");

    for at in 1..=total {
        for after_applying in [false, true] {
            let p = edited_on_both_sides().await;
            let crash = Arc::new(Crash {
                inner: p.world.fake.clone(),
                at,
                after_applying,
                seen: AtomicU64::new(0),
            });
            let crashing = NotionClient::new(crash as DynTransport, p.world.token().clone());
            let stopped = tokio::time::timeout(
                Duration::from_secs(3600),
                sync(&crashing, &RegistryConfig::default(), &p.options, None),
            )
            .await;
            assert!(stopped.is_err(), "the run did not stop at {at}");
            let rerun = p.run().await;
            assert_eq!(
                rerun.failed, 0,
                "crash at {at} ({after_applying}): {rerun:#?}"
            );
            p.settled().await;
            assert_eq!(
                p.linked().await,
                expected,
                "crash at {at} ({after_applying}): both sides as after a clean run"
            );
        }
    }
}

/// A transport that refuses (400) every write to one page and passes on everything else.
#[derive(Debug)]
struct RefuseWritesTo {
    inner: notion_xws_core::fake::FakeNotion,
    page: PageId,
}

#[async_trait::async_trait]
impl notion_xws_core::transport::Transport for RefuseWritesTo {
    async fn send(
        &self,
        request: notion_xws_core::transport::ApiRequest,
    ) -> notion_xws_core::Result<notion_xws_core::transport::ApiResponse> {
        let to_page = request
            .path
            .strip_prefix("/v1/pages/")
            .and_then(|rest| PageId::parse(rest).ok());
        if request.method == Method::Patch && to_page == Some(self.page) {
            return Ok(notion_xws_core::transport::ApiResponse {
                status: 400,
                retry_after: None,
                date: None,
                body: json!({
                    "object": "error",
                    "status": 400,
                    "code": "validation_error",
                    "message": "refused by the test",
                }),
            });
        }
        self.inner.send(request).await
    }
}

#[tokio::test(start_paused = true)]
async fn two_way_a_failed_write_stops_only_its_row_pair() {
    let p = Pair::synced(3, ConflictPolicy::Report).await;
    let control = p.side(Side::Control).await;
    let environment = p.side(Side::Environment).await;
    // The refused row is the first the plan writes (linked rows go in the order of their IDs),
    // so that a run stopping at the first failure would write none of the others.
    let mut titles: Vec<&String> = control.keys().collect();
    titles.sort_by_key(|title| control[*title].id);
    let (refused, others) = (titles[0].as_str(), [titles[1].as_str(), titles[2].as_str()]);
    for (title, hours) in others.iter().zip([10.0, 12.0]) {
        p.hours(Side::Control, control[*title].id, hours).await;
    }
    // The refused row's edit in the environment needs a write to the control row, then the base.
    p.note(Side::Environment, environment[refused].id, "client note")
        .await;
    let note_before = p.value(Side::Control, refused, "Notes").await;
    let refusing = NotionClient::new(
        Arc::new(RefuseWritesTo {
            inner: p.world.fake.clone(),
            page: control[refused].id,
        }) as DynTransport,
        p.world.token().clone(),
    );
    let report = sync(&refusing, &RegistryConfig::default(), &p.options, None)
        .await
        .unwrap();
    let tasks = pair(&report, "Tasks");
    assert_eq!(
        (tasks.failed, tasks.updated),
        (1, 2),
        "the other rows are written: {}",
        report.to_markdown()
    );
    assert!(matches!(tasks.state, PairState::Failed(_)), "{tasks:#?}");
    for (title, hours) in others.iter().zip([10.0, 12.0]) {
        assert_eq!(
            p.value(Side::Environment, title, "Hours").await,
            json!(hours)
        );
    }
    assert_eq!(p.value(Side::Control, refused, "Notes").await, note_before);
    // The refused row's base was not written after the refused write: the next run still sees
    // the environment's edit, and copies it.
    let next = p.run().await;
    assert_eq!((next.failed, next.updated), (0, 1), "{next:#?}");
    assert_eq!(
        p.value(Side::Control, refused, "Notes").await,
        json!("client note")
    );
    p.assert_equal_but(&[]).await;
    p.settled().await;
}

#[tokio::test(start_paused = true)]
async fn two_way_an_open_conflict_needs_a_person_and_a_policy_settles_it() {
    let (_, report) = different_edits(ConflictPolicy::Report).await;
    assert_eq!(report.open_conflicts, 1, "{report:#?}");
    assert_eq!(report.class(), PairClass::NeedsPerson);
    let attention = report.attention.as_ref().unwrap();
    assert_eq!(attention.cause, Cause::OpenConflicts);
    assert!(
        attention.fix.contains("--conflicts control-wins"),
        "{attention:?}"
    );

    let (_, settled) = different_edits(ConflictPolicy::ControlWins).await;
    assert_eq!(settled.open_conflicts, 0, "{settled:#?}");
    assert_eq!(settled.class(), PairClass::Synced, "{settled:#?}");
}

/// A two-way database synced with two environments: the pairs of a run read its control
/// database once between them (whether it is in the trash, and its look), not once each.
#[tokio::test(start_paused = true)]
async fn a_two_way_database_in_two_environments_reads_its_control_database_once_a_run() {
    let (world, source, made) = two_way_world(3).await;
    let control = world.client();
    let config = RegistryConfig::default();
    // A second environment, Globex, for the same database row.
    let registry = notion_xws_core::registry::Registry::read(&control, &config)
        .await
        .unwrap();
    let tasks_row = registry
        .databases
        .iter()
        .find(|d| d.name == "Tasks")
        .unwrap()
        .row
        .to_string();
    let globex = world.fake.add_workspace("Globex");
    let parent = id(&crate::support::world::page(
        &world.fake,
        &globex.token,
        &globex.root_page_id.to_string(),
        "database-parent-page",
    )
    .await);
    world
        .environment(
            "Globex",
            globex.token.expose(),
            Some(&format!(
                "https://www.notion.so/{}",
                parent.replace('-', "")
            )),
            &[&tasks_row],
        )
        .await;
    let first = sync(&control, &config, &execute(), None).await.unwrap();
    assert!(!first.has_failures(), "{}", first.to_markdown());
    assert_eq!(
        first.pairs.iter().map(|p| p.created).collect::<Vec<_>>(),
        vec![3, 3],
        "{}",
        first.to_markdown()
    );
    // A control row edited: both pairs write it.
    tokio::time::sleep(Duration::from_secs(120)).await;
    ok(
        &world.fake,
        Method::Patch,
        &format!("/v1/pages/{}", made[0]),
        world.token(),
        Some(json!({"properties": {"Notes": {"rich_text": text("edited")}}})),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    world.fake.clear_request_log();
    let second = sync(&control, &config, &execute(), None).await.unwrap();
    assert!(!second.has_failures(), "{}", second.to_markdown());
    assert_eq!(
        second.pairs.iter().map(|p| p.updated).collect::<Vec<_>>(),
        vec![1, 1],
        "{}",
        second.to_markdown()
    );
    let schema = ok(
        &world.fake,
        Method::Get,
        &format!("/v1/data_sources/{source}"),
        world.token(),
        None,
    )
    .await;
    let database = schema["parent"]["database_id"]
        .as_str()
        .unwrap()
        .replace('-', "");
    let reads = world
        .fake
        .request_log()
        .iter()
        .filter(|r| r.method == Method::Get && r.path.replace('-', "").ends_with(&database))
        .count();
    // The audit resolves the registry row's link (a database link) once, and the two pairs
    // take the database from that read.
    assert_eq!(reads, 1);
}
