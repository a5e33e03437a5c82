//! The progress bars of a sync: one per pair, on stderr, drawn only on a terminal.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::sync::options::{Progress, ProgressFn};

/// A progress callback that draws a bar per pair.
pub(super) fn progress_bars() -> ProgressFn {
    let bars = MultiProgress::new();
    let by_pair = Mutex::new(HashMap::<String, ProgressBar>::new());
    let style = ProgressStyle::with_template("{prefix:>40} [{bar:30}] {pos}/{len} rows")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    Arc::new(move |progress: &Progress| {
        let mut by_pair = by_pair.lock().unwrap_or_else(|e| e.into_inner());
        let bar = by_pair.entry(progress.pair.clone()).or_insert_with(|| {
            let bar = bars.add(ProgressBar::new(progress.planned as u64));
            bar.set_style(style.clone());
            bar.set_prefix(progress.pair.clone());
            bar
        });
        bar.set_position(progress.done as u64);
        if progress.done >= progress.planned {
            bar.finish();
        }
    })
}
