//! The executor's knobs ([`ExecuteOptions`]), shared by every part that writes: both executors,
//! the page-content copy and the file re-import; the precedence of a plan's row writes on their
//! token ([`row_writes_precedence`]); and the progress reports they make ([`Progress`],
//! [`ProgressFn`], from [`crate::progress`]).

use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::rate::Precedence;

/// The most row writes a pair's plan may hold and still send them at [`Precedence::First`].
///
/// A pair that writes more (a first sync, a full reconcile that finds much to mend) sends its
/// row writes behind the run's reads and bookkeeping on the same token, so that they do not
/// hold up the few requests every other pair needs ([`crate::rate`]): at [`Precedence::Feeding`]
/// when the other side waits on them (two-way), else at [`Precedence::Bulk`]. A plan of a
/// query page's worth or fewer (an incremental run's) writes at once, as soon as it is planned:
/// its edits reach the copies sooner, and it queues too little to hold anything up.
pub const FIRST_ROW_WRITES: usize = 100;

/// The precedence of the row writes of a plan of `writes` row writes; `feeding` when the
/// other side's writes wait on them (see [`FIRST_ROW_WRITES`]).
pub fn row_writes_precedence(writes: usize, feeding: bool) -> Precedence {
    match (writes > FIRST_ROW_WRITES, feeding) {
        (false, _) => Precedence::First,
        (true, true) => Precedence::Feeding,
        (true, false) => Precedence::Bulk,
    }
}

/// Knobs of the executor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ExecuteOptions {
    /// Writes in flight at once per pair (default 8).
    pub concurrency: usize,
    /// How long to wait before looking up a write whose outcome is unknown (default 2 s); the
    /// lookups wait 1, 2, 3 … times this.
    pub settle_delay: Duration,
    /// How many lookups before a create that is not found is sent again (default 3).
    pub settle_attempts: u32,
    /// How long to wait before checking a file import (default 2 s); the checks wait 1, 2,
    /// 3 … times this (see [`files`](super::files)).
    pub file_import_delay: Duration,
    /// How many times a file import is checked before it is given up for this run (default 6:
    /// 42 s in all).
    pub file_import_checks: u32,
    /// The wall clock that dates a body's read, to tell an edit Notion's minute-rounded
    /// `last_edited_time` hides (default: the system's).
    #[serde(skip)]
    pub clock: WallClock,
}

/// A wall clock: the system's, or one that runs on tokio's clock from a given time (the fake
/// Notion's clock, on paused time in tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WallClock {
    /// [`SystemTime::now`].
    #[default]
    System,
    /// `at`, plus the tokio time elapsed since `since`.
    Tokio {
        /// The wall time at `since`.
        at: SystemTime,
        /// The tokio instant that reads `at`.
        since: tokio::time::Instant,
    },
}

impl WallClock {
    /// Now.
    pub fn now(&self) -> SystemTime {
        match self {
            Self::System => SystemTime::now(),
            Self::Tokio { at, since } => *at + since.elapsed(),
        }
    }
}

impl ExecuteOptions {
    /// How long Notion's read-after-write lag is waited out before reading back what an earlier
    /// pass or a stopped run wrote: [`settle_delay`](Self::settle_delay) times
    /// [`settle_attempts`](Self::settle_attempts).
    pub fn read_after_write_lag(&self) -> Duration {
        self.settle_delay * self.settle_attempts.max(1)
    }
}

impl Default for ExecuteOptions {
    fn default() -> Self {
        Self {
            concurrency: 8,
            settle_delay: Duration::from_secs(2),
            settle_attempts: 3,
            file_import_delay: Duration::from_secs(2),
            file_import_checks: 6,
            clock: WallClock::System,
        }
    }
}

pub use crate::progress::{Progress, ProgressFn};

#[cfg(test)]
mod precedence_tests {
    use super::*;

    #[test]
    fn only_plans_of_more_than_a_page_of_writes_wait_behind_the_rest() {
        assert_eq!(row_writes_precedence(0, true), Precedence::First);
        assert_eq!(
            row_writes_precedence(FIRST_ROW_WRITES, false),
            Precedence::First
        );
        assert_eq!(
            row_writes_precedence(FIRST_ROW_WRITES + 1, true),
            Precedence::Feeding
        );
        assert_eq!(
            row_writes_precedence(FIRST_ROW_WRITES + 1, false),
            Precedence::Bulk
        );
    }
}
