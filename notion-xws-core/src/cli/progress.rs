//! Progress on a terminal: the library's [`Progress`] reports drawn on stderr with `indicatif`,
//! only when stderr is a terminal (and never with `--json`: the commands then ask for none).
//!
//! Each phase of the audit (tokens checked, parent pages, databases, workspaces searched for
//! copies of tokens) and each pass's pairs get a bar with its total, the elapsed time, the rate
//! and the ETA. Each pair gets a line that says what it does — locating its copy, reading (the
//! rows read so far of each side, and the rate), planning — then a bar of its writes, one-way
//! and two-way pairs alike. Whatever finishes leaves a line above the bars with its totals,
//! its duration and its rate. Log lines written meanwhile ([`LogWriter`]) are printed above the
//! bars, never through them.

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal as _;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use indicatif::{HumanDuration, MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::progress::{Progress, ProgressFn, Side};

/// The bars on screen, for [`LogWriter`] (set once the first bars are drawn).
static SCREEN: OnceLock<MultiProgress> = OnceLock::new();

/// The progress callback of a command run on a terminal; `None` when stderr is not a terminal.
pub(super) fn progress_bars() -> Option<ProgressFn> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let multi = SCREEN
        .get_or_init(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
        .clone();
    let screen = Screen {
        multi,
        state: Mutex::default(),
    };
    Some(Arc::new(move |progress: &Progress| screen.show(progress)))
}

/// Writes log lines to stderr above the progress bars, when there are any (a `tracing`
/// writer: `fmt().with_writer(LogWriter::default)`).
#[derive(Debug, Default, Clone, Copy)]
pub struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match SCREEN.get() {
            Some(multi) => multi.suspend(|| std::io::stderr().write_all(buf))?,
            None => std::io::stderr().write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// The bars of one run.
struct Screen {
    multi: MultiProgress,
    state: Mutex<State>,
}

/// What is on screen: a bar per phase under way, a line or a bar per pair under way.
#[derive(Default)]
struct State {
    phases: HashMap<String, ProgressBar>,
    pairs: HashMap<String, PairLine>,
}

/// A pair under way: its line, the rows read of each side, and when it started.
struct PairLine {
    bar: ProgressBar,
    rows: BTreeMap<Side, usize>,
    writing: bool,
    started: Instant,
}

/// A bar's template, or the default bar when it does not parse (it always does: tested).
fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// A phase's bar: its name, done of total, elapsed, rate and ETA.
const PHASE: &str =
    "{prefix:>24} [{bar:30}] {human_pos}/{human_len} {msg}  {elapsed} · {per_sec} · ETA {eta}";
/// A pair's line before it writes: what it does, elapsed and the rate of its reads.
const PAIR_STEP: &str = "{spinner} {prefix}: {msg}  {elapsed} · {per_sec}";
/// A pair's writes: done of planned, elapsed, rate and ETA.
const PAIR_WRITES: &str =
    "  {prefix}: [{bar:30}] {human_pos}/{human_len} writes  {elapsed} · {per_sec} · ETA {eta}";

/// A phase's name on screen, and what its steps are called.
fn phase_name(progress: &Progress) -> Option<(String, &'static str, usize, usize)> {
    Some(match progress {
        Progress::Tokens { done, total } => ("audit: tokens".into(), "checked", *done, *total),
        Progress::ParentPages { done, total } => {
            ("audit: parent pages".into(), "checked", *done, *total)
        }
        Progress::Databases { done, total } => {
            ("audit: databases".into(), "resolved", *done, *total)
        }
        Progress::TokenCopies { done, total } => {
            ("audit: workspaces".into(), "searched", *done, *total)
        }
        Progress::Pairs { pass, done, total } => {
            (format!("sync: pairs (pass {pass})"), "done", *done, *total)
        }
        _ => return None,
    })
}

/// `n` per second over `elapsed`, in words.
fn rate(n: usize, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    if secs <= 0.0 {
        return "-".into();
    }
    format!("{:.1}/s", n as f64 / secs)
}

impl Screen {
    /// Draws one report.
    fn show(&self, progress: &Progress) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((name, steps, done, total)) = phase_name(progress) {
            self.phase(&mut state, name, steps, done, total);
            return;
        }
        match progress {
            Progress::Locating { pair, .. } => {
                self.pair(&mut state, pair)
                    .bar
                    .set_message("locating its copy");
            }
            Progress::Reading {
                pair, side, rows, ..
            } => {
                let line = self.pair(&mut state, pair);
                line.rows.insert(*side, *rows);
                let read: usize = line.rows.values().sum();
                let sides: Vec<String> = line
                    .rows
                    .iter()
                    .map(|(side, rows)| format!("{side} {rows} rows"))
                    .collect();
                line.bar.set_position(read as u64);
                line.bar
                    .set_message(format!("reading: {}", sides.join(" · ")));
            }
            Progress::Planning { pair, .. } => {
                let line = self.pair(&mut state, pair);
                line.bar.set_message("planning");
            }
            Progress::Writing {
                pair,
                done,
                planned,
                ..
            } => {
                let line = self.pair(&mut state, pair);
                if !line.writing {
                    line.writing = true;
                    line.bar.reset();
                    line.bar.set_style(style(PAIR_WRITES));
                    line.bar.set_length(*planned as u64);
                }
                line.bar.set_position(*done as u64);
            }
            Progress::Finished {
                pair,
                class,
                created,
                updated,
                trashed,
                failed,
                ..
            } => {
                let line = self.pair(&mut state, pair);
                let elapsed = line.started.elapsed();
                let writes = if line.writing {
                    let n = line.bar.position() as usize;
                    let took = line.bar.elapsed();
                    format!(
                        "; {n} writes in {:#} ({})",
                        HumanDuration(took),
                        rate(n, took)
                    )
                } else {
                    String::new()
                };
                let read: usize = line.rows.values().sum();
                let class = serde_json::to_value(class)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let text = format!(
                    "{pair}: {class}: {created} created, {updated} updated, {trashed} trashed, \
                     {failed} failed; {read} rows read{writes}; {:#} in all",
                    HumanDuration(elapsed)
                );
                if let Some(line) = state.pairs.remove(pair) {
                    line.bar.finish_and_clear();
                    self.multi.remove(&line.bar);
                }
                let _ = self.multi.println(text);
            }
            _ => {}
        }
    }

    /// A phase's bar, made on its first report; at its total, a line with its duration.
    fn phase(&self, state: &mut State, name: String, steps: &str, done: usize, total: usize) {
        let bar = state.phases.entry(name.clone()).or_insert_with(|| {
            let bar = ProgressBar::new(total as u64)
                .with_style(style(PHASE))
                .with_prefix(name.clone())
                .with_message(steps.to_owned());
            self.multi.add(bar)
        });
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        if done >= total {
            let took = bar.elapsed();
            let text = format!(
                "{name}: {done}/{total} {steps} in {:#} ({})",
                HumanDuration(took),
                rate(done, took)
            );
            if let Some(bar) = state.phases.remove(&name) {
                bar.finish_and_clear();
                self.multi.remove(&bar);
            }
            let _ = self.multi.println(text);
        }
    }

    /// A pair's line, made on its first report.
    fn pair<'s>(&self, state: &'s mut State, pair: &str) -> &'s mut PairLine {
        state.pairs.entry(pair.to_owned()).or_insert_with(|| {
            let bar = ProgressBar::no_length()
                .with_style(style(PAIR_STEP))
                .with_prefix(pair.to_owned());
            let bar = self.multi.add(bar);
            bar.enable_steady_tick(Duration::from_millis(200));
            PairLine {
                bar,
                rows: BTreeMap::new(),
                writing: false,
                started: Instant::now(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        for template in [PHASE, PAIR_STEP, PAIR_WRITES] {
            assert!(ProgressStyle::with_template(template).is_ok(), "{template}");
        }
    }

    #[test]
    fn a_rate_in_words() {
        assert_eq!(rate(30, Duration::from_secs(4)), "7.5/s");
        assert_eq!(rate(3, Duration::ZERO), "-");
    }
}
