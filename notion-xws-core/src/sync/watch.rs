//! Unattended runs: [`watch`] runs the sync in cycles, each one a normal `sync --execute` (with
//! its leases and its exit class), and waits between them, until told to stop.
//!
//! - **The wait**: [`WatchOptions::every`] between the end of a cycle and the start of the next,
//!   so cycles never overlap, however long one takes.
//! - **Back-off**: after a cycle that failed (exit class 1: a refused write, a pair that could
//!   not be read or applied, or an error that stopped the run, such as Notion unreachable), the
//!   wait doubles, up to [`WatchOptions::max_wait`] (by default six times `every`, at most an
//!   hour, and never less than `every`); the first cycle that does not fail brings it back to
//!   `every`. A cycle that needs a person (class 3) is not a failure: the loop goes on at
//!   `every`, and each cycle says again what is needed.
//! - **Configuration** (class 2: the control token refused, the registry not found): the loop
//!   stops at once with status 2, since no later cycle can do better until a person fixes it.
//! - **Stopping**: the run's [`StopFlag`] ([`SyncOptions::stop`]) raised during a cycle stops
//!   that cycle between writes (see [`stop`](super::stop): the writes in flight finish, leases
//!   are released, the link rows are left for the next run to finish) and the loop ends after
//!   it; raised during a wait, the loop ends at once; raised twice, the cycle is dropped between
//!   two requests (its leases lapse by themselves). The loop's exit status is then the stop's
//!   ([`StopReason::exit_status`]: 130 for SIGINT, 143 for SIGTERM).
//! - **[`WatchOptions::cycles`]**: after that many cycles the loop ends with the last cycle's
//!   exit status.
//!
//! Each cycle is reported as it ends ([`Cycle`]: when, how long, the counts, its class, what
//! needs a person), as one JSON line ([`Cycle::to_json_line`]) or one line of text
//! ([`Cycle::to_line`]).

use std::time::Duration;

use serde::Serialize;

use super::report::RunReport;
use super::run::{SyncOptions, sync};
use super::stop::{StopFlag, StopReason};
use crate::client::NotionClient;
use crate::error::{Error, Result};
use crate::registry::RegistryConfig;

/// The longest wait after failures, whatever [`WatchOptions::every`] is (unless `every` is
/// longer).
pub const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// How [`watch`] runs its cycles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WatchOptions {
    /// The wait between the end of a cycle and the start of the next (more than 0).
    pub every: Duration,
    /// Stop after this many cycles (`None`: until stopped).
    pub cycles: Option<u64>,
    /// The longest wait after failing cycles (the wait doubles from `every` up to this).
    pub max_wait: Duration,
}

impl WatchOptions {
    /// A cycle every `every` (more than 0, else [`Error::Config`]), `cycles` of them (at least
    /// one) or until stopped; after failures the wait doubles up to six times `every`, at most
    /// [`MAX_BACKOFF`] (and never less than `every`).
    pub fn new(every: Duration, cycles: Option<u64>) -> Result<Self> {
        if every.is_zero() {
            return Err(Error::Config(
                "the wait between cycles must be more than 0 (say 5m)".to_owned(),
            ));
        }
        if cycles == Some(0) {
            return Err(Error::Config(
                "the number of cycles must be 1 or more".to_owned(),
            ));
        }
        Ok(Self {
            every,
            cycles,
            max_wait: every.saturating_mul(6).min(MAX_BACKOFF).max(every),
        })
    }

    /// The wait after `failures` failing cycles in a row: `every` doubled that many times, up
    /// to [`max_wait`](Self::max_wait).
    pub fn wait_after(&self, failures: u32) -> Duration {
        let factor = 1_u32.checked_shl(failures.min(31)).unwrap_or(u32::MAX);
        self.every
            .saturating_mul(factor)
            .min(self.max_wait.max(self.every))
    }
}

/// A cycle's outcome as a scheduler sees it: its exit status in a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CycleClass {
    /// Exit status 0: every pair synced (or left to another run, or out by design).
    Ok,
    /// Exit status 1: something failed; the next wait is longer.
    Failed,
    /// Exit status 2: a configuration error; the loop stops.
    Configuration,
    /// Exit status 3: nothing failed, but a person is needed.
    NeedsPerson,
}

impl CycleClass {
    fn of(exit_status: i32) -> Self {
        match exit_status {
            0 => Self::Ok,
            2 => Self::Configuration,
            3 => Self::NeedsPerson,
            _ => Self::Failed,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Failed => "failed",
            Self::Configuration => "configuration error",
            Self::NeedsPerson => "a person is needed",
        }
    }
}

/// One cycle of [`watch`], as it ended.
#[derive(Debug, Serialize)]
pub struct Cycle {
    /// Its number, from 1.
    pub cycle: u64,
    /// When it started (RFC 3339, UTC).
    pub start: String,
    /// When it ended (RFC 3339, UTC).
    pub end: String,
    /// How long it took, in seconds.
    pub duration_secs: f64,
    /// Its exit status, as `sync --execute` would exit ([`RunReport::exit_status`], or the
    /// status of the error that stopped it).
    pub exit_status: i32,
    /// The exit status in a word.
    pub class: CycleClass,
    /// Target rows created.
    pub created: usize,
    /// Target rows updated.
    pub updated: usize,
    /// Target rows trashed.
    pub trashed: usize,
    /// Writes that failed.
    pub failed: usize,
    /// Requests the pairs made.
    pub requests: u64,
    /// Requests the pairs made that write.
    pub writes: u64,
    /// Pairs that need a person (the report's `needs_person` list).
    pub needs_person: usize,
    /// The error that stopped the run, if one did (never a token).
    pub error: Option<String>,
    /// What stopped the loop during this cycle, if something did.
    pub stopped: Option<StopReason>,
    /// The wait before the next cycle, in seconds (`None`: this was the last).
    pub next_in_secs: Option<f64>,
    /// The run's report (`None` when an error stopped the run or the cycle was dropped).
    #[serde(skip)]
    pub report: Option<RunReport>,
    /// What became of the cycle's alert, when one was due ([`watch_with_alerts`]): where it was
    /// posted, or why it was not (never the webhook's path).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
}

impl Cycle {
    /// The cycle as one line of JSON.
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// The cycle as one line of text: when, how long, the class, the counts, what comes next.
    pub fn to_line(&self) -> String {
        let took = Duration::from_millis((self.duration_secs * 1000.0).round() as u64);
        let mut line = format!(
            "cycle {} ({}, {}): {} (exit {})",
            self.cycle,
            self.start,
            humantime::format_duration(took),
            self.class.word(),
            self.exit_status
        );
        match &self.error {
            Some(error) => line.push_str(&format!(": {error}")),
            None => line.push_str(&format!(
                "; created {}, updated {}, trashed {}, failed {}; {} pair(s) need a person",
                self.created, self.updated, self.trashed, self.failed, self.needs_person
            )),
        }
        if let Some(reason) = self.stopped {
            line.push_str(&format!("; stopped by {}", reason.word()));
        }
        if let Some(alert) = &self.alert {
            line.push_str(&format!("; alert {alert}"));
        }
        if let Some(next) = self.next_in_secs {
            let next = Duration::from_secs_f64(next);
            line.push_str(&format!("; next in {}", humantime::format_duration(next)));
        }
        line
    }
}

/// Why [`watch`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WatchEnded {
    /// It ran the [`WatchOptions::cycles`] it was given.
    Cycles,
    /// A cycle met a configuration error (exit status 2).
    Configuration,
    /// Its [`StopFlag`] was raised.
    Stopped,
}

/// How [`watch`] ended.
#[derive(Debug, Serialize)]
pub struct WatchEnd {
    /// Cycles run (the one a stop cut short included).
    pub cycles: u64,
    /// Why it ended.
    pub ended: WatchEnded,
    /// What stopped it, when its flag was raised.
    pub stop: Option<StopReason>,
    /// Whether the stop was forced (the flag raised twice): the cycle was dropped between two
    /// requests.
    pub forced: bool,
    /// The exit status: the stop's (130 for SIGINT, 143 for SIGTERM, 0 for a request), 2 after
    /// a configuration error, else the last cycle's.
    pub exit_status: i32,
    /// The last cycle.
    pub last: Option<Cycle>,
}

/// Runs the sync in cycles (see the [module documentation](self)): each cycle is
/// [`sync`] with `options` (writing, whatever `options.execute` says; each cycle with its own
/// run ID, `options.lease.run_id` and the cycle's number), and `on_cycle` hears of each as it
/// ends. `options.stop` stops it.
pub async fn watch(
    control: &NotionClient,
    config: &RegistryConfig,
    options: &SyncOptions,
    watch: &WatchOptions,
    on_cycle: impl FnMut(&Cycle),
) -> WatchEnd {
    cycles(control, config, options, watch, None, on_cycle).await
}

/// [`watch`], and each cycle that needs a person or failed posted to `notifier` (as
/// `sync --notify` posts a run), before `on_cycle` hears of it; what became of the alert is in
/// the cycle's [`Cycle::alert`]. An alert that cannot be posted never stops the loop.
#[cfg(feature = "http")]
pub async fn watch_with_alerts(
    control: &NotionClient,
    config: &RegistryConfig,
    options: &SyncOptions,
    watch: &WatchOptions,
    notifier: &super::notify::Notifier,
    on_cycle: impl FnMut(&Cycle),
) -> WatchEnd {
    cycles(control, config, options, watch, Some(notifier), on_cycle).await
}

/// Where a cycle's alert goes: what it became, in words (`None`: none was due).
trait CycleAlert: Sync {
    /// Posts the alert of a cycle's `report`, run as `lease` says.
    fn post<'a>(
        &'a self,
        report: &'a RunReport,
        lease: &'a super::lease::LeaseOptions,
    ) -> futures::future::BoxFuture<'a, Option<String>>;
}

#[cfg(feature = "http")]
impl CycleAlert for super::notify::Notifier {
    fn post<'a>(
        &'a self,
        report: &'a RunReport,
        lease: &'a super::lease::LeaseOptions,
    ) -> futures::future::BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            match self.notify(report, &lease.run_id, &lease.host).await {
                Ok(Some(_)) => Some(format!("posted to {}", self.shown())),
                Ok(None) => None,
                Err(error) => Some(format!("not posted: {error}")),
            }
        })
    }
}

/// The loop of [`watch`], each cycle's alert posted to `alerts` when there is one.
async fn cycles(
    control: &NotionClient,
    config: &RegistryConfig,
    options: &SyncOptions,
    watch: &WatchOptions,
    alerts: Option<&dyn CycleAlert>,
    mut on_cycle: impl FnMut(&Cycle),
) -> WatchEnd {
    let stop = &options.stop;
    let clock = options.execute_options.clock;
    let mut failures = 0_u32;
    let mut number = 0_u64;
    loop {
        number += 1;
        let mut cycle_options = options.clone();
        cycle_options.execute = true;
        cycle_options.lease.run_id = format!("{}.{number}", options.lease.run_id);
        let start = clock.now();
        let began = tokio::time::Instant::now();
        let result = tokio::select! {
            result = sync(control, config, &cycle_options, None) => Some(result),
            () = stop.forced() => None,
        };
        let mut cycle = summarize(number, stop, result);
        cycle.start = stamp(start);
        cycle.end = stamp(clock.now());
        cycle.duration_secs = began.elapsed().as_secs_f64();
        failures = if cycle.class == CycleClass::Failed {
            failures.saturating_add(1)
        } else {
            0
        };
        let last = watch.cycles.is_some_and(|n| number >= n);
        let next = (!last && !stop.is_stopped() && cycle.class != CycleClass::Configuration)
            .then(|| watch.wait_after(failures));
        cycle.next_in_secs = next.map(|d| d.as_secs_f64());
        if let (Some(alerts), Some(report)) = (alerts, &cycle.report) {
            cycle.alert = alerts.post(report, &cycle_options.lease).await;
        }
        on_cycle(&cycle);
        let end = |cycle: Cycle, ended: WatchEnded| {
            let exit_status = match (ended, stop.reason()) {
                (WatchEnded::Stopped, Some(reason)) => reason.exit_status(),
                _ => cycle.exit_status,
            };
            WatchEnd {
                cycles: number,
                ended,
                stop: stop.reason(),
                forced: stop.is_forced(),
                exit_status,
                last: Some(cycle),
            }
        };
        if stop.is_stopped() {
            return end(cycle, WatchEnded::Stopped);
        }
        if cycle.class == CycleClass::Configuration {
            return end(cycle, WatchEnded::Configuration);
        }
        let Some(wait) = next else {
            return end(cycle, WatchEnded::Cycles);
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = stop.stopped() => return end(cycle, WatchEnded::Stopped),
        }
    }
}

/// A cycle's summary from what its run came to (`None`: dropped by a forced stop); the times
/// are filled in by the caller.
fn summarize(number: u64, stop: &StopFlag, result: Option<Result<RunReport>>) -> Cycle {
    let mut cycle = Cycle {
        cycle: number,
        start: String::new(),
        end: String::new(),
        duration_secs: 0.0,
        exit_status: 1,
        class: CycleClass::Failed,
        created: 0,
        updated: 0,
        trashed: 0,
        failed: 0,
        requests: 0,
        writes: 0,
        needs_person: 0,
        error: None,
        stopped: stop.reason(),
        next_in_secs: None,
        report: None,
        alert: None,
    };
    match result {
        Some(Ok(report)) => {
            cycle.exit_status = report.exit_status();
            cycle.created = report.created();
            cycle.updated = report.updated();
            cycle.trashed = report.trashed();
            cycle.failed = report.failed();
            cycle.requests = report.requests();
            cycle.writes = report.writes();
            cycle.needs_person = report.needs_person().len();
            cycle.report = Some(report);
        }
        Some(Err(Error::Cancelled)) => {
            cycle.error = Some("stopped before any pair was written".to_owned());
        }
        Some(Err(error)) => {
            cycle.exit_status = error.exit_status();
            cycle.error = Some(error.to_string());
        }
        None => {
            cycle.error = Some(
                "stopped at once (asked twice): the writes in flight were dropped; the leases \
                 lapse by themselves and the next run finishes the pairs"
                    .to_owned(),
            );
        }
    }
    cycle.class = CycleClass::of(cycle.exit_status);
    cycle
}

fn stamp(time: std::time::SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_after_failures_up_to_its_cap() {
        let minutes = |m: u64| Duration::from_secs(60 * m);
        let five = WatchOptions::new(minutes(5), None).unwrap();
        assert_eq!(five.max_wait, minutes(30));
        let waits: Vec<Duration> = (0..6).map(|f| five.wait_after(f)).collect();
        assert_eq!(
            waits,
            [5, 10, 20, 30, 30, 30].map(minutes),
            "doubling from every, capped at six times it"
        );
        assert_eq!(five.wait_after(u32::MAX), minutes(30));
        // Six times 15 minutes is past the hour: capped at the hour.
        let fifteen = WatchOptions::new(minutes(15), None).unwrap();
        assert_eq!(fifteen.wait_after(3), minutes(60));
        // A wait longer than the cap is kept as it is.
        let daily = WatchOptions::new(minutes(24 * 60), None).unwrap();
        assert_eq!(daily.wait_after(4), minutes(24 * 60));
    }

    #[test]
    fn a_zero_wait_or_zero_cycles_is_refused() {
        assert!(matches!(
            WatchOptions::new(Duration::ZERO, None),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            WatchOptions::new(Duration::from_secs(1), Some(0)),
            Err(Error::Config(_))
        ));
    }

    #[test]
    fn a_cycle_reads_as_one_line_of_text_or_json() {
        let mut cycle = summarize(
            2,
            &StopFlag::new(),
            Some(Err(Error::Config("no registry".into()))),
        );
        cycle.start = "2026-12-06T20:00:00.000Z".into();
        cycle.duration_secs = 1.5;
        assert_eq!(cycle.class, CycleClass::Configuration);
        assert_eq!(
            cycle.to_line(),
            "cycle 2 (2026-12-06T20:00:00.000Z, 1s 500ms): configuration error (exit 2): \
             configuration error: no registry"
        );
        let json: serde_json::Value = serde_json::from_str(&cycle.to_json_line()).unwrap();
        assert_eq!(json["class"], "configuration");
        assert_eq!(json["exit_status"], 2);
        assert!(!cycle.to_json_line().contains('\n'));
    }
}
