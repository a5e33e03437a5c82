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
use notion_xws_core::sync::plan::source_key;
use notion_xws_core::sync::two_way::{ConflictPolicy, LINK_PREFIX};
use notion_xws_core::sync::values::canonical;
use notion_xws_core::sync::{PairReport, PairState, SyncOptions, sync};
use notion_xws_core::transport::Method;
use notion_xws_core::{DataSourceId, PageId};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};

use crate::audit::World;
use crate::fake_support::{id, ok, text};
use crate::sync::{acme_client, execute, pair, rows, target_of, two_way_world};

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
        let report = sync(&self.control, &RegistryConfig::default(), &self.options, None)
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
        self.write(side, row, json!({"properties": {"Hours": {"number": hours}}}))
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
        (report.created, report.updated, report.trashed, report.failed),
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
        (report.updated, report.created, report.trashed, report.failed),
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
        (report.updated, report.created, report.trashed, report.failed),
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
        (report.updated, report.created, report.trashed, report.failed),
        (0, 0, 0, 0),
        "{report:#?}"
    );
    assert!(!reports_conflict(&report), "{report:#?}");
    let linked = p.linked().await;
    assert_eq!(linked.keys().map(String::as_str).collect::<Vec<_>>(), ["Row 1"]);
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
        (report.trashed, report.created, report.updated, report.failed),
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
