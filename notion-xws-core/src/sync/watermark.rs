//! Incremental reads: how far a pair has read each side, and when a run may read only what
//! changed since.
//!
//! A pair synced cleanly keeps, in its `system-sync-links` row (column `Watermark`), where the
//! next read of its source (a two-way pair's control) and of its copy may start, when its last
//! full reconcile ran, a key of the tool's version and both schemas, and (two-way pairs) the
//! control rows of conflicts left open. A later run then reads, on each side, only the rows
//! edited since the watermark (less [`MARGIN`], which covers Notion's rounding of
//! `last_edited_time` to the minute and its read-after-write lag) and the rows trashed since,
//! plus the other side of each row it read; everything else is as the last run left it. The
//! times are Notion's own (`last_edited_time`), so the local clock plays no part in what is read.
//!
//! A **full reconcile** (every row of both sides compared) runs instead when the pair has no
//! watermark, when the tool's version or either schema changed since it was recorded, when the
//! pair's last run did not finish clean, when the last full reconcile is older than
//! [`IncrementalOptions::full_every`] (default 24 hours), when the run is told to (`--full`),
//! when relation values of the last run waited for rows not copied yet, and when a pair it
//! relates to made a row's copy again (other copies may name the old one). A last run finished
//! clean when its link row's `State` is `done`, its `Status` is `synced` (or `needs attention`
//! for no more than the conflicts the watermark recorded as left open, [`Watermark::open`],
//! whose rows are read again), and no claim of `system-sync-leases` newer than the watermark's
//! [`claim`](Watermark::claim) lapsed unreleased naming it. Permanent deletes and values Notion
//! does not stamp (formulas, rollups) are found by the full reconcile.
//!
//! A relation value read incrementally is mapped through the related pair's rows: those it
//! hands over (read and made by this run) laid over one read of the related copy's keys, made
//! only when a row read names a related page.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::sync::columns::hash_text;
use crate::sync::metadata::plain_rich_text;

/// The column of `system-sync-links` that holds a pair's [`Watermark`].
pub const WATERMARK_COLUMN: &str = "Watermark";

/// How far before a watermark an incremental read starts: Notion rounds `last_edited_time` down
/// to the minute, and a row edited just before a read may be listed only a few seconds later.
pub const MARGIN: Duration = Duration::from_secs(60);

/// When runs reconcile in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IncrementalOptions {
    /// Reconcile every pair in full, whatever its watermark (`--full`).
    pub full: bool,
    /// The longest a pair goes without a full reconcile (`--full-every`, default 24 hours).
    pub full_every: Duration,
}

impl Default for IncrementalOptions {
    fn default() -> Self {
        Self {
            full: false,
            full_every: Duration::from_secs(24 * 3600),
        }
    }
}

/// How far a pair has read each side, as its link row records it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watermark {
    /// Where the next read of the source starts (less [`MARGIN`]): Notion's clock when the last
    /// read began (the `Date` of an answer received before it), or, when Notion's answers carry
    /// no date, the latest `last_edited_time` that read saw.
    pub source: String,
    /// Where the next read of the copy starts (less [`MARGIN`]), as for `source`.
    pub copy: String,
    /// When the last full reconcile ran (RFC 3339, this machine's clock).
    pub full: String,
    /// The tool's version and both schemas when it was recorded ([`schema_key`]).
    pub key: String,
    /// Rows to read again whatever their `last_edited_time` (a two-way pair's control rows
    /// whose conflict was left open: it is reported on every run until settled).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recheck: Vec<String>,
    /// How many conflicts the run that recorded it left open (a two-way pair, `--conflicts
    /// report`). That run's status, `needs attention` for those conflicts alone
    /// ([`PairReport::open_conflicts_status`](crate::sync::report::PairReport::open_conflicts_status)),
    /// still lets the next run read incrementally (the conflicts' rows among what it reads,
    /// `recheck`); any other status a later run records over it does not.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub open: usize,
    /// Why the next run reconciles in full whatever this watermark says, when it must.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_next: Option<FullNext>,
    /// The highest claim of `system-sync-leases` whose writes the read that recorded it covers:
    /// the run's own, or claims that lapsed unreleased before the read began. A newer claim
    /// that lapsed unreleased naming the pair sends it to a full reconcile
    /// ([`Unfinished`](crate::sync::lease::Unfinished)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<u64>,
}

/// Whether `n` is 0 (an `open` count left out of the cell).
fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Watermark {
    /// Records that the read behind this mark covers the claims numbered up to `claim`; whether
    /// `claim` is news to `recorded`.
    pub fn cover_claims(&mut self, claim: Option<u64>, recorded: Option<&Watermark>) -> bool {
        self.claim = self.claim.max(claim);
        claim > recorded.and_then(|r| r.claim)
    }
}

/// Why a pair's next run reconciles in full although its watermark is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FullNext {
    /// Relation values of the last run waited for rows not copied yet: an incremental run would
    /// not read those rows again.
    Waiting,
    /// More conflicts were left open than [`MAX_RECHECK`]: the next run finds them all again.
    Conflicts,
}

impl FullNext {
    /// Why, in words.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Waiting => "relation values of the last run waited for rows not copied yet",
            Self::Conflicts => "more conflicts were left open than a watermark keeps",
        }
    }
}

/// The most rows of open conflicts a watermark keeps to read again ([`Watermark::recheck`]);
/// past it the next run reconciles in full. (1,000 IDs take 37,000 characters of the cell's
/// 200,000.)
pub const MAX_RECHECK: usize = 1_000;

impl Watermark {
    /// The watermark a `Watermark` cell holds; `None` when it is empty or does not parse.
    pub fn parse(text: &str) -> Option<Self> {
        serde_json::from_str(text.trim()).ok()
    }

    /// The `Watermark` cell that holds it, as a property value to write.
    pub fn cell(&self) -> Value {
        let text = serde_json::to_string(self).unwrap_or_default();
        json!({ "rich_text": plain_rich_text(&text) })
    }
}

/// The key of the tool's version and the two schemas (property IDs, names and types): a
/// watermark recorded under another key is not trusted.
pub fn schema_key(
    source: &std::collections::BTreeMap<String, crate::model::PropertyConfig>,
    copy: &std::collections::BTreeMap<String, crate::model::PropertyConfig>,
) -> String {
    format!(
        "{}:{:016x}:{:016x}",
        env!("CARGO_PKG_VERSION"),
        schema_hash(source),
        schema_hash(copy)
    )
}

/// `key` ([`schema_key`]) with the copy's schema changed to `copy` (after the run changed its
/// columns).
pub fn with_copy(
    key: &str,
    copy: &std::collections::BTreeMap<String, crate::model::PropertyConfig>,
) -> String {
    match key.rsplit_once(':') {
        Some((rest, _)) => format!("{rest}:{:016x}", schema_hash(copy)),
        None => key.to_owned(),
    }
}

fn schema_hash(schema: &std::collections::BTreeMap<String, crate::model::PropertyConfig>) -> u64 {
    let text = schema
        .iter()
        .map(|(name, config)| {
            let id = config.id.as_ref().map_or("", |id| id.as_str());
            format!("{id}\u{1f}{name}\u{1f}{}", config.type_name())
        })
        .collect::<Vec<_>>()
        .join("\u{1e}");
    hash_text(&text)
}

/// The `on_or_after` of an incremental read from `seen` (a time of Notion's): [`MARGIN`]
/// before it. `None` when `seen` is not a time.
pub fn since(seen: &str) -> Option<String> {
    let at = humantime::parse_rfc3339_weak(seen.trim_end_matches('Z').split('.').next()?)
        .ok()?
        .checked_sub(MARGIN)?;
    Some(humantime::format_rfc3339_millis(at).to_string())
}

/// Where a read that begins now may be read from next time: Notion's clock (`clock`, the
/// latest `Date` of its answers before the read began), or, without one, the latest
/// `last_edited_time` the read saw (`seen`).
pub fn read_mark(clock: Option<SystemTime>, seen: &str) -> String {
    match clock {
        Some(clock) => later(&humantime::format_rfc3339_millis(clock).to_string(), seen),
        None => seen.to_owned(),
    }
}

/// The later of two `last_edited_time`s (ISO 8601 in UTC compares as text); an empty one is
/// the earliest.
pub fn later(a: &str, b: &str) -> String {
    if a >= b { a } else { b }.to_owned()
}

/// The watermark a pair records once its plan is applied cleanly, from the one `recorded` and
/// where this run's reads may start next time (`seen`: the source's, the copy's), and whether
/// it is worth a write of its own when the plan writes nothing else.
///
/// After a full reconcile it is (unless the one recorded reads the same rows and is not due
/// another full reconcile); after an incremental read, when more than `worth` of the rows it
/// read (`read`: their `last_edited_time`s, the source's and the copy's) would be read again
/// from the recorded watermark and not from the next one: a query's worth
/// ([`PAGE_SIZE`](crate::client::pagination::PAGE_SIZE)) where a row read again costs only its
/// share of a query, none where it costs reads of its own (a two-way pair compares every row it
/// reads, and reads the users lists and the values past 25 of rows that name anyone). (Rows
/// edited in the last minute are read again from either, [`MARGIN`]: a run just after another
/// does not write it.)
pub fn advance<'a, S, C>(
    recorded: Option<&Watermark>,
    (source, copy): (&str, &str),
    full: bool,
    key: String,
    (source_read, copy_read): (S, C),
    (full_every, worth): (Duration, usize),
) -> (Watermark, bool)
where
    S: IntoIterator<Item = &'a str>,
    C: IntoIterator<Item = &'a str>,
{
    let previous = recorded.cloned().unwrap_or_default();
    let now = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let next = Watermark {
        source: later(&previous.source, source),
        copy: later(&previous.copy, copy),
        full: if full { now } else { previous.full.clone() },
        key,
        recheck: Vec::new(),
        open: 0,
        full_next: None,
        claim: previous.claim,
    };
    let moved = recorded
        .is_none_or(|r| r.key != next.key || r.source != next.source || r.copy != next.copy);
    let alone = if full {
        recorded.is_none_or(|r| r.key != next.key || !fresh(r, full_every))
    } else {
        let before = |mark: &str| since(mark).unwrap_or_default();
        let (source_from, copy_from) = (before(&next.source), before(&next.copy));
        let saved = source_read
            .into_iter()
            .filter(|edited| *edited < source_from.as_str())
            .count()
            + copy_read
                .into_iter()
                .filter(|edited| *edited < copy_from.as_str())
                .count();
        moved && saved > worth
    };
    (next, alone)
}

/// Whether a recorded full reconcile is recent (younger than half of `full_every`): a full
/// reconcile of a pair whose watermark is current then records nothing.
fn fresh(recorded: &Watermark, full_every: Duration) -> bool {
    humantime::parse_rfc3339_weak(recorded.full.trim_end_matches('Z'))
        .ok()
        .and_then(|full| SystemTime::now().duration_since(full).ok())
        .is_some_and(|age| age < full_every / 2)
}

/// Why a pair is reconciled in full, when it is; `None` when its `watermark` lets it read only
/// what changed.
pub fn full_reason(
    watermark: Option<&Watermark>,
    clean: bool,
    options: IncrementalOptions,
    now: SystemTime,
) -> Option<&'static str> {
    if options.full {
        return Some("a full reconcile was asked for");
    }
    let Some(watermark) = watermark else {
        return Some("the pair has no watermark yet");
    };
    if !clean {
        return Some("the pair's last run did not finish clean");
    }
    if since(&watermark.source).is_none() || since(&watermark.copy).is_none() {
        return Some("the pair has no watermark yet");
    }
    if let Some(next) = watermark.full_next {
        return Some(next.reason());
    }
    let Ok(full) = humantime::parse_rfc3339_weak(watermark.full.trim_end_matches('Z')) else {
        return Some("the pair has no full reconcile on record");
    };
    match now.duration_since(full) {
        Ok(age) if age < options.full_every => None,
        Ok(_) => Some("the last full reconcile is older than --full-every"),
        // A full reconcile recorded in the future (another machine's clock): trusted.
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(full: &str) -> Watermark {
        Watermark {
            source: "2026-12-06T10:05:00.000Z".into(),
            copy: "2026-12-06T10:06:00.000Z".into(),
            full: full.into(),
            key: "k".into(),
            recheck: Vec::new(),
            open: 0,
            full_next: None,
            claim: None,
        }
    }

    #[test]
    fn a_watermark_round_trips_and_reads_from_its_margin() {
        let w = mark("2026-12-06T10:00:00Z");
        let text = w.cell()["rich_text"][0]["text"]["content"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(Watermark::parse(&text), Some(w.clone()));
        assert_eq!(Watermark::parse("junk"), None);
        assert_eq!(since(&w.source).unwrap(), "2026-12-06T10:04:00.000Z");
        assert_eq!(since("not a time"), None);
        assert_eq!(
            later("2026-12-06T10:05:00.000Z", ""),
            "2026-12-06T10:05:00.000Z"
        );
    }

    #[test]
    fn a_pair_reconciles_in_full_when_it_cannot_trust_its_watermark() {
        let now = humantime::parse_rfc3339("2026-12-06T12:00:00Z").unwrap();
        let options = IncrementalOptions::default();
        let fresh = mark("2026-12-06T11:00:00Z");
        assert_eq!(full_reason(Some(&fresh), true, options, now), None);
        assert!(full_reason(None, true, options, now).is_some());
        assert!(full_reason(Some(&fresh), false, options, now).is_some());
        let forced = IncrementalOptions {
            full: true,
            ..options
        };
        assert!(full_reason(Some(&fresh), true, forced, now).is_some());
        let old = mark("2026-12-05T11:00:00Z");
        assert!(full_reason(Some(&old), true, options, now).is_some());
        let hourly = IncrementalOptions {
            full_every: Duration::from_secs(1800),
            ..options
        };
        assert!(full_reason(Some(&fresh), true, hourly, now).is_some());
        for why in [FullNext::Waiting, FullNext::Conflicts] {
            let told = Watermark {
                full_next: Some(why),
                ..fresh.clone()
            };
            assert_eq!(
                full_reason(Some(&told), true, options, now),
                Some(why.reason())
            );
            let text = serde_json::to_string(&told).unwrap();
            assert_eq!(Watermark::parse(&text), Some(told));
        }
    }

    #[test]
    fn a_watermark_is_worth_a_write_of_its_own_only_for_what_it_saves_reading_again() {
        const PAGE: usize = crate::client::pagination::PAGE_SIZE as usize;
        let recorded = mark("2026-12-06T10:00:00Z");
        let next = ("2026-12-06T11:00:00.000Z", "2026-12-06T11:00:00.000Z");
        let key = || "k".to_owned();
        let day = Duration::from_secs(24 * 3600);
        // 150 rows edited long before the next mark: worth it.
        let old = vec!["2026-12-06T10:30:00.000Z"; 150];
        let (moved, alone) = advance(
            Some(&recorded),
            next,
            false,
            key(),
            (old.clone(), Vec::new()),
            (day, PAGE),
        );
        assert!(alone);
        assert_eq!(moved.source, next.0);
        // 150 rows of the last minute, read again from either mark; 80 old ones: not worth it.
        let recent = vec!["2026-12-06T11:00:00.000Z"; 150];
        let (_, alone) = advance(
            Some(&recorded),
            next,
            false,
            key(),
            (recent.clone(), old[..80].to_vec()),
            (day, PAGE),
        );
        assert!(!alone);
        // Where every row read again costs reads of its own, one old row is worth it.
        let (_, alone) = advance(
            Some(&recorded),
            next,
            false,
            key(),
            (recent, old[..1].to_vec()),
            (day, 0),
        );
        assert!(alone);
    }
}
