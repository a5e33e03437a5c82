//! Progress reports: what a long run (an audit, a sync, a one-shot copy) tells as it goes, phase
//! by phase, to a callback ([`ProgressFn`]). The command draws them on a terminal (a bar or a
//! line per phase and per pair); the Python package hands them to its `progress` callable as
//! dicts (`notion_xws.types.ProgressEvent`).
//!
//! The phases ([`Progress`]): the audit's (`tokens`, `parent_pages`, `databases`, and
//! `token_copies` for the audit's search of every workspace), run first by a sync too; then a
//! sync's `pairs` (how many of a pass's pairs are done), and for each pair, one-way or two-way
//! alike, `locating` (its copy found by its link row or marker), `reading` (the rows read so
//! far of each side), `planning`, `writing` (writes done of those planned) and `finished` (its
//! class and counts). Every event carries its own totals, so that a receiver needs no state to
//! show one; the events of one pair come in that order, those of different pairs interleaved
//! (pairs run at once).
//!
//! The library reports through a [`Reporter`] (nothing when there is no callback), a
//! [`Counter`] per audit phase, a [`PairProgress`] per pair and a [`RowTally`] per side read.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;

use crate::registry::Direction;
use crate::sync::report::{PairClass, PairReport};
use crate::sync::rows::SyncPair;

/// A progress report: which phase moved, and how far it is (the `phase` in JSON and Python).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Progress {
    /// The audit: environment tokens checked (`GET /v1/users/me`), of all.
    Tokens {
        /// Checked so far.
        done: usize,
        /// To check.
        total: usize,
    },
    /// The audit: environments' parent pages checked, of all.
    ParentPages {
        /// Checked so far.
        done: usize,
        /// To check.
        total: usize,
    },
    /// The audit: database rows resolved to a database and a data source, of all.
    Databases {
        /// Resolved (or found unresolvable) so far.
        done: usize,
        /// To resolve.
        total: usize,
    },
    /// The audit (not a sync's): workspaces searched for copies of token columns, of all.
    TokenCopies {
        /// Searched so far.
        done: usize,
        /// To search.
        total: usize,
    },
    /// A sync: pairs of a pass finished, of the pass's pairs (the second pass, when there is
    /// one, runs only the pairs that wait for what the first made).
    Pairs {
        /// The pass: 1, or 2.
        pass: usize,
        /// Finished so far.
        done: usize,
        /// To run in this pass.
        total: usize,
    },
    /// A pair's copy being located: its link row, or the marker of a copy a run made.
    Locating {
        /// The pair (`database → environment`; `←` pulls, `↔` both ways).
        pair: String,
        /// Which way its rows flow.
        direction: Direction,
    },
    /// Rows read so far of one side of a pair (reported every page of rows, and when the side
    /// is read).
    Reading {
        /// The pair.
        pair: String,
        /// Which way its rows flow.
        direction: Direction,
        /// The side.
        side: Side,
        /// Rows read so far.
        rows: usize,
    },
    /// A pair being planned (both sides read).
    Planning {
        /// The pair.
        pair: String,
        /// Which way its rows flow.
        direction: Direction,
    },
    /// A pair's row writes done (applied, failed, or given up with their row), of those planned.
    Writing {
        /// The pair.
        pair: String,
        /// Which way its rows flow.
        direction: Direction,
        /// Writes done so far.
        done: usize,
        /// Writes planned.
        planned: usize,
    },
    /// A pair finished: what it came to.
    Finished {
        /// The pair.
        pair: String,
        /// Which way its rows flow.
        direction: Direction,
        /// Its outcome as a scheduler sees it.
        class: PairClass,
        /// Rows created (planned, in a dry run).
        created: usize,
        /// Rows updated (planned, in a dry run).
        updated: usize,
        /// Rows trashed (planned, in a dry run).
        trashed: usize,
        /// Writes that failed.
        failed: usize,
    },
}

/// A side of a pair being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// A one-way pair's source (shared by every pair that copies it).
    Source,
    /// A one-way pair's copy.
    Target,
    /// A two-way pair's control database.
    Control,
    /// A two-way pair's environment database.
    Environment,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Source => "source",
            Self::Target => "copy",
            Self::Control => "control",
            Self::Environment => "environment",
        })
    }
}

/// Receives progress reports. It is called from the run's tasks, possibly from several threads,
/// and should return at once.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Where the library reports progress: a [`ProgressFn`], or nowhere.
#[derive(Clone, Default)]
pub struct Reporter(Option<ProgressFn>);

impl fmt::Debug for Reporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Reporter")
            .field(&self.0.as_ref().map(|_| "callback"))
            .finish()
    }
}

impl Reporter {
    /// Reports to `callback`, if there is one.
    pub fn new(callback: Option<ProgressFn>) -> Self {
        Self(callback)
    }

    /// Reports the event `event` makes (made only when there is a callback).
    pub fn report(&self, event: impl FnOnce() -> Progress) {
        if let Some(callback) = &self.0 {
            callback(&event());
        }
    }

    /// A counter of `total` steps of the phase `phase` makes of (done, total); it reports the
    /// phase at once, with nothing done.
    pub fn counter(
        &self,
        phase: impl Fn(usize, usize) -> Progress + Send + Sync + 'static,
        total: usize,
    ) -> Counter {
        self.report(|| phase(0, total));
        Counter {
            reporter: self.clone(),
            phase: Box::new(phase),
            done: AtomicUsize::new(0),
            total,
        }
    }

    /// The reports of one pair.
    pub fn pair(&self, pair: &SyncPair) -> PairProgress {
        PairProgress {
            reporter: self.clone(),
            pair: pair.label().into(),
            direction: Some(pair.direction),
        }
    }
}

/// The steps of one phase done so far (see [`Reporter::counter`]).
pub struct Counter {
    reporter: Reporter,
    phase: Box<dyn Fn(usize, usize) -> Progress + Send + Sync>,
    done: AtomicUsize,
    total: usize,
}

impl fmt::Debug for Counter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Counter")
            .field("done", &self.done.load(Ordering::Relaxed))
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}

impl Counter {
    /// One more step done: reported.
    pub fn step(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        self.reporter.report(|| (self.phase)(done, self.total));
    }

    /// `future`, counted as a step once it is done.
    pub async fn count<T>(&self, future: impl Future<Output = T>) -> T {
        let out = future.await;
        self.step();
        out
    }
}

/// The reports of one pair (see [`Reporter::pair`]).
#[derive(Debug, Clone, Default)]
pub struct PairProgress {
    reporter: Reporter,
    pair: Arc<str>,
    direction: Option<Direction>,
}

impl PairProgress {
    fn report(&self, event: impl FnOnce(String, Direction) -> Progress) {
        if let Some(direction) = self.direction {
            self.reporter
                .report(|| event(self.pair.to_string(), direction));
        }
    }

    /// Its copy is being located.
    pub fn locating(&self) {
        self.report(|pair, direction| Progress::Locating { pair, direction });
    }

    /// It is being planned.
    pub fn planning(&self) {
        self.report(|pair, direction| Progress::Planning { pair, direction });
    }

    /// `done` of its `planned` writes are done.
    pub fn writing(&self, done: usize, planned: usize) {
        self.report(|pair, direction| Progress::Writing {
            pair,
            direction,
            done,
            planned,
        });
    }

    /// It finished, as `report` says.
    pub fn finished(&self, report: &PairReport) {
        self.report(|pair, direction| Progress::Finished {
            pair,
            direction,
            class: report.class(),
            created: report.created,
            updated: report.updated,
            trashed: report.trashed,
            failed: report.failed,
        });
    }

    /// A tally of the rows read of its side `side`.
    pub fn rows(&self, side: Side) -> RowTally {
        let pair = self.clone();
        if pair.reporter.0.is_none() {
            return RowTally::default();
        }
        RowTally::new(move |rows| {
            pair.report(|pair, direction| Progress::Reading {
                pair,
                direction,
                side,
                rows,
            });
        })
    }
}

/// The rows of one read so far, reported every page of rows (100) and when the read ends
/// ([`RowTally::end`]). Clones count together.
#[derive(Clone, Default)]
pub struct RowTally {
    report: Option<Arc<dyn Fn(usize) + Send + Sync>>,
    rows: Arc<AtomicUsize>,
}

impl fmt::Debug for RowTally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RowTally")
            .field("rows", &self.rows.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl RowTally {
    /// A tally that reports its count to `report`.
    pub fn new(report: impl Fn(usize) + Send + Sync + 'static) -> Self {
        Self {
            report: Some(Arc::new(report)),
            rows: Arc::default(),
        }
    }

    /// A tally that reports to each of `tallies` (one read shared by several pairs).
    pub fn all(tallies: Vec<RowTally>) -> Self {
        let tallies: Vec<RowTally> = tallies.into_iter().filter(|t| t.report.is_some()).collect();
        if tallies.is_empty() {
            return Self::default();
        }
        Self {
            report: Some(Arc::new(move |rows| {
                for tally in &tallies {
                    if let Some(report) = &tally.report {
                        report(rows);
                    }
                }
            })),
            rows: Arc::default(),
        }
    }

    /// One more row read.
    pub fn row(&self) {
        let rows = self.rows.fetch_add(1, Ordering::Relaxed) + 1;
        if rows.is_multiple_of(crate::client::pagination::PAGE_SIZE as usize)
            && let Some(report) = &self.report
        {
            report(rows);
        }
    }

    /// The read is done: its count reported.
    pub fn end(&self) {
        if let Some(report) = &self.report {
            report(self.rows.load(Ordering::Relaxed));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn recorder() -> (Reporter, Arc<Mutex<Vec<Progress>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let callback: ProgressFn =
            Arc::new(move |p: &Progress| sink.lock().unwrap().push(p.clone()));
        (Reporter::new(Some(callback)), seen)
    }

    #[test]
    fn a_counter_reports_its_start_and_each_step() {
        let (reporter, seen) = recorder();
        let counter = reporter.counter(|done, total| Progress::Tokens { done, total }, 2);
        counter.step();
        counter.step();
        let seen = seen.lock().unwrap();
        let done: Vec<_> = seen
            .iter()
            .map(|p| match p {
                Progress::Tokens { done, total: 2 } => *done,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(done, [0, 1, 2]);
    }

    #[test]
    fn a_tally_reports_every_page_and_its_end() {
        let pair = SyncPair {
            database_row: crate::ids::PageId::from_u128(1),
            database: "Tasks".into(),
            environment_row: crate::ids::PageId::from_u128(2),
            environment: "Acme".into(),
            direction: Direction::TwoWay,
        };
        let (reporter, seen) = recorder();
        let tally = reporter.pair(&pair).rows(Side::Environment);
        for _ in 0..250 {
            tally.row();
        }
        tally.end();
        let rows: Vec<usize> = seen
            .lock()
            .unwrap()
            .iter()
            .map(|p| match p {
                Progress::Reading {
                    pair,
                    side: Side::Environment,
                    direction: Direction::TwoWay,
                    rows,
                } if pair == "Tasks ↔ Acme" => *rows,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(rows, [100, 200, 250]);
        let json = serde_json::to_value(&seen.lock().unwrap()[2]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"phase": "reading", "pair": "Tasks ↔ Acme",
                "direction": "two-way", "side": "environment", "rows": 250})
        );
    }

    #[test]
    fn nothing_is_made_without_a_callback() {
        let reporter = Reporter::default();
        reporter.report(|| panic!("no event is made without a callback"));
        let pair = SyncPair {
            database_row: crate::ids::PageId::from_u128(1),
            database: "Tasks".into(),
            environment_row: crate::ids::PageId::from_u128(2),
            environment: "Acme".into(),
            direction: Direction::Push,
        };
        reporter.pair(&pair).rows(Side::Source).row();
    }
}
