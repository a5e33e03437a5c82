//! The order in which a pass starts its pairs: two lanes, so that the control token is never
//! left waiting for pairs that write into it.
//!
//! Every pair spends the control token's budget on its bookkeeping, but a pair that **writes
//! every row into the control workspace** spends it by the row: a two-way pair's first sync or
//! full reconcile (it links every control row to the row it creates), a pull pair's (it writes
//! every row). Those pairs are the control token's real work, and they are few: when they start
//! only as the registry's order reaches them, the control token idles while the pairs running
//! write elsewhere, and the run ends with the control token still busy after every other token
//! is done (`sim_agency`'s (f0)). So [`run_in_lanes`] keeps up to half of the pass's slots for
//! those pairs (the **control lane**) while any is left to start, and gives the rest, and every
//! slot either lane leaves unused, to the other pairs, each lane in the pass's order. A pair
//! that reads incrementally writes only what changed: it keeps its place in the other lane, and
//! a pass of such pairs alone runs in the pass's order. A slot is taken again as soon as a pair
//! ends, whichever pair it is (no pair waits for an earlier one to finish).
//!
//! No pair waits for one that cannot start. A pair waits only for pairs before it in the
//! pass's order (those whose copies it relates to), and each lane starts its pairs in that
//! order. The earliest pair not yet ended can run once started, everything before it having
//! ended; and it is started: were it the next of the control lane, that lane (refilled first)
//! would be running an earlier pair of its own; were it the next of the other lane, that lane
//! would have a slot, the control lane taking more than half only when the other has nothing
//! left. With a single slot the pairs run one by one in the pass's order.

use std::collections::VecDeque;
use std::future::Future;

use futures::stream::{FuturesUnordered, StreamExt};

use crate::registry::Direction;

/// The lane of a pair: whether it writes every row into the control workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lane {
    /// A `Pull` or `Two-Way` pair read in full: it writes into the control workspace by the row.
    Control,
    /// Any other pair.
    Environment,
}

impl Lane {
    /// The lane of a pair of this direction, read incrementally or not.
    pub(super) fn of(direction: Direction, incremental: bool) -> Self {
        match direction {
            Direction::Pull | Direction::TwoWay if !incremental => Self::Control,
            _ => Self::Environment,
        }
    }
}

/// Runs `runs` (each with its lane, in the pass's order), at most `concurrency` at once, and
/// returns their outputs in the order they end. See the [module documentation](self).
pub(super) async fn run_in_lanes<F: Future>(
    runs: Vec<(Lane, F)>,
    concurrency: usize,
) -> Vec<F::Output> {
    let concurrency = concurrency.max(1);
    let reserved = concurrency.div_ceil(2);
    let total = runs.len();
    let (mut control, mut others): (VecDeque<_>, VecDeque<_>) = (VecDeque::new(), VecDeque::new());
    for (lane, run) in runs {
        // One slot: the pass's order (one lane could not leave the other a slot).
        match lane {
            Lane::Control if concurrency > 1 => control.push_back(run),
            _ => others.push_back(run),
        }
    }
    let mut running = FuturesUnordered::new();
    let mut control_running = 0;
    let mut outputs = Vec::with_capacity(total);
    loop {
        while running.len() < concurrency {
            let from_control =
                !control.is_empty() && (control_running < reserved || others.is_empty());
            let (lane, next) = if from_control {
                (Lane::Control, control.pop_front())
            } else {
                (Lane::Environment, others.pop_front())
            };
            let Some(next) = next else { break };
            if lane == Lane::Control {
                control_running += 1;
            }
            running.push(async move { (lane, next.await) });
        }
        let Some((lane, output)) = running.next().await else {
            break;
        };
        if lane == Lane::Control {
            control_running -= 1;
        }
        outputs.push(output);
    }
    outputs
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    /// Runs `lanes` (each run lasting `lasts[i]` seconds of paused time) and returns the order
    /// the runs started in.
    async fn started(lanes: &[Lane], lasts: &[u64], concurrency: usize) -> Vec<usize> {
        let log = Arc::new(Mutex::new(Vec::new()));
        let runs = lanes
            .iter()
            .zip(lasts)
            .enumerate()
            .map(|(i, (&lane, &secs))| {
                let log = Arc::clone(&log);
                (lane, async move {
                    log.lock().unwrap().push(i);
                    tokio::time::sleep(Duration::from_secs(secs)).await;
                    i
                })
            })
            .collect();
        let mut ended = run_in_lanes(runs, concurrency).await;
        ended.sort_unstable();
        assert_eq!(
            ended,
            (0..lanes.len()).collect::<Vec<_>>(),
            "every run ends once"
        );
        log.lock().unwrap().clone()
    }

    use Lane::{Control as C, Environment as E};

    #[test]
    fn only_pairs_that_write_every_row_into_the_control_workspace_take_the_control_lane() {
        use Direction::{Pull, Push, TwoWay};
        assert_eq!(Lane::of(TwoWay, false), C);
        assert_eq!(Lane::of(Pull, false), C);
        assert_eq!(Lane::of(TwoWay, true), E);
        assert_eq!(Lane::of(Pull, true), E);
        assert_eq!(Lane::of(Push, false), E);
    }

    #[tokio::test(start_paused = true)]
    async fn the_control_lane_takes_half_the_slots_ahead_of_its_turn() {
        // Eight push pairs, then two two-way pairs: the two-way pairs start with the first two
        // push pairs, not after all eight.
        let lanes = [E, E, E, E, E, E, E, E, C, C];
        assert_eq!(
            started(&lanes, &[1; 10], 4).await,
            vec![8, 9, 0, 1, 2, 3, 4, 5, 6, 7]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_lane_with_nothing_left_gives_its_slots_to_the_other() {
        // Only control-lane pairs: all four slots are theirs.
        let log = started(&[C, C, C, C, C, C], &[5, 5, 5, 5, 1, 1], 4).await;
        assert_eq!(&log[..4], &[0, 1, 2, 3]);
        // Only push pairs: likewise.
        let log = started(&[E, E, E, E, E], &[5, 5, 5, 5, 1], 4).await;
        assert_eq!(&log[..4], &[0, 1, 2, 3]);
        // One control pair: the other three slots go to push pairs, and once it ends, its slot too.
        let log = started(&[C, E, E, E, E, E], &[1, 5, 5, 5, 5, 5], 4).await;
        assert_eq!(log, vec![0, 1, 2, 3, 4, 5]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slot_is_taken_again_as_soon_as_a_pair_ends() {
        // The first pair runs long: the others do not wait for it to end.
        let lanes = [E; 6];
        let log = Arc::new(Mutex::new(Vec::new()));
        let runs = lanes
            .iter()
            .enumerate()
            .map(|(i, &lane)| {
                let log = Arc::clone(&log);
                (lane, async move {
                    let secs = if i == 0 { 100 } else { 1 };
                    tokio::time::sleep(Duration::from_secs(secs)).await;
                    log.lock().unwrap().push((i, tokio::time::Instant::now()));
                    i
                })
            })
            .collect();
        let start = tokio::time::Instant::now();
        let ended = run_in_lanes(runs, 2).await;
        assert_eq!(ended, vec![1, 2, 3, 4, 5, 0]);
        let log = log.lock().unwrap();
        let fifth = log.iter().find(|(i, _)| *i == 5).unwrap().1;
        assert_eq!(fifth - start, Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn pairs_that_wait_for_earlier_pairs_never_deadlock() {
        // Each pair waits for the pair before it in the pass's order, lanes alternating
        // unevenly: with one slot, two, or three, every pair ends.
        let lanes = [C, E, E, C, C, E, C, E, E, E, C, C];
        for concurrency in 1..=3 {
            let done: Vec<_> = (0..lanes.len())
                .map(|_| tokio::sync::watch::channel(false))
                .collect();
            let (senders, receivers): (Vec<_>, Vec<_>) = done.into_iter().unzip();
            let runs = lanes
                .iter()
                .enumerate()
                .zip(senders)
                .map(|((i, &lane), sender)| {
                    let before = i.checked_sub(1).map(|j| receivers[j].clone());
                    (lane, async move {
                        if let Some(mut before) = before {
                            before.wait_for(|done| *done).await.unwrap();
                        }
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        sender.send_replace(true);
                        i
                    })
                })
                .collect();
            let ended =
                tokio::time::timeout(Duration::from_secs(3600), run_in_lanes(runs, concurrency))
                    .await
                    .expect("no deadlock");
            assert_eq!(ended, (0..lanes.len()).collect::<Vec<_>>());
        }
    }
}
