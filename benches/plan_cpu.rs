//! Planning one pair of 100,000 source rows against 100,000 target rows: CPU seconds and peak
//! memory.
//!
//! The rows are copies of what the fake Notion answered for a real sync of 100 rows
//! ([`Sample`]), with fresh IDs; 1% of the target rows differ from their source row
//! (`PLAN_CPU_DIFFER_EVERY` sets another share). Building the [`PairSnapshot`] (JSON made and
//! parsed into `Page`s one row at a time, as the sync reads 100-row pages) and planning it
//! ([`plan_pair`]) are timed apart, in CPU time of the process (`getrusage`), [`RUNS`]
//! plannings of the same snapshot. Memory: resident before the snapshot, after it, and the
//! process's peak (`VmHWM`) after planning. The run is bounded by
//! its counts; it prints a few lines.

use std::time::Duration;

use benches::resources::{cpu_time, current_rss, mib, peak_rss};
use benches::sample::Sample;
use notion_xws_core::sync::guard::PlanOptions;
use notion_xws_core::sync::one_way::plan::plan_pair;

/// Rows on each side.
const ROWS: usize = 100_000;
/// One target row in `DIFFER_EVERY` differs from its source row: 1% (`PLAN_CPU_DIFFER_EVERY`
/// sets another share: `1`, every row).
const DIFFER_EVERY: usize = 100;
/// Plannings of the same snapshot.
const RUNS: usize = 3;

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a runtime");
    let sample = runtime.block_on(Sample::make());
    drop(runtime);

    let differ_every = std::env::var("PLAN_CPU_DIFFER_EVERY")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(DIFFER_EVERY);
    let rss_before = current_rss();
    let cpu = cpu_time();
    let snapshot = sample.snapshot(ROWS, differ_every);
    let build = cpu_time() - cpu;
    let rss_snapshot = current_rss();
    let json_bytes: usize = sample
        .source_rows()
        .iter()
        .chain(&sample.target_rows)
        .map(|row| row.to_string().len())
        .sum();
    println!(
        "plan_cpu: snapshot of {ROWS} + {ROWS} rows built (JSON → Page) in {:.2} CPU s; resident \
         {:.0} MiB before, {:.0} MiB after ({:.0} MiB for the snapshot: {:.1} KB a row, for \
         {:.1} KB of JSON a row)",
        build.as_secs_f64(),
        mib(rss_before),
        mib(rss_snapshot),
        mib(rss_snapshot.saturating_sub(rss_before)),
        rss_snapshot.saturating_sub(rss_before) as f64 / (2 * ROWS) as f64 / 1000.0,
        json_bytes as f64 / (sample.source_rows().len() + sample.target_rows.len()) as f64 / 1000.0
    );

    let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let cpu = cpu_time();
        let plan = plan_pair(&snapshot, PlanOptions::default());
        times.push(cpu_time() - cpu);
        assert_eq!(
            (
                plan.counts.create,
                plan.counts.update,
                plan.counts.trash,
                plan.counts.unchanged
            ),
            (0, ROWS / differ_every, 0, ROWS - ROWS / differ_every),
            "{:?}",
            plan.notes
        );
    }
    times.sort();
    let peak = peak_rss();
    println!(
        "plan_cpu: plan_pair of {ROWS} against {ROWS} rows ({} differ): {:.3} CPU s (median \
         of {RUNS}: {}), peak resident memory of the process (VmHWM) {:.0} MiB",
        ROWS / differ_every,
        times[RUNS / 2].as_secs_f64(),
        times
            .iter()
            .map(|t| format!("{:.3}", t.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", "),
        mib(peak)
    );
}
