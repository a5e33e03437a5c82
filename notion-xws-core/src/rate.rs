//! Request budgets: a GCRA limiter (the `governor` crate) on tokio's clock.
//!
//! Notion gives each integration a budget of requests per minute (180 on most plans, 600 on
//! Business and Enterprise), which may be spent in a burst, and a second budget per workspace
//! shared by all its integrations. [`RateBudget`] describes such a budget; [`Limiter`] enforces
//! one. The client uses limiters to stay under Notion's budgets, and the fake Notion uses the same
//! limiters to enforce them, so that both sides agree on what "180 a minute" means.
//!
//! Requests of one token wait for its budget in order of their [`Precedence`], set for the work
//! a future does with [`with_precedence`]. The sync sends its reads, its bookkeeping (claims,
//! link rows) and the row writes of small plans first; then the row writes of large plans whose
//! other side waits on them (a two-way pair's first sync, whose every environment row created
//! is then linked from the control's row, on the control's token); then the other large plans'
//! row writes (bulk; see [`row_writes_precedence`](crate::sync::options::row_writes_precedence)).
//! A run's few requests on a token thus never queue behind the thousands of row writes that
//! other pairs keep waiting on it, and the writes that keep another token busy go before those
//! that keep only their own. Requests of a later rank take every slot the earlier ones leave: the
//! budget is used as fully as before, in another order.
//!
//! The limiter reads tokio's clock ([`TokioClock`]), not the system's: under
//! `#[tokio::test(start_paused = true)]` an hour of rate-limited traffic runs in milliseconds, and
//! the benchmarks measure simulated time exactly.

use std::future::Future;
use std::num::NonZeroU32;
use std::ops::Add;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use governor::clock::{Clock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use serde::{Deserialize, Serialize};

/// An instant of tokio's clock, as `governor` wants it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TokioInstant(tokio::time::Instant);

impl Add<Nanos> for TokioInstant {
    type Output = Self;
    fn add(self, other: Nanos) -> Self {
        Self(self.0 + Duration::from(other))
    }
}

impl Reference for TokioInstant {
    fn duration_since(&self, earlier: Self) -> Nanos {
        self.0.saturating_duration_since(earlier.0).into()
    }

    fn saturating_sub(&self, duration: Nanos) -> Self {
        Self(
            self.0
                .checked_sub(Duration::from(duration))
                .unwrap_or(self.0),
        )
    }
}

/// tokio's clock (which tests can pause and advance), as a `governor` clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    type Instant = TokioInstant;
    fn now(&self) -> TokioInstant {
        TokioInstant(tokio::time::Instant::now())
    }
}

/// A budget of requests: so many per minute on average, and a burst that may be spent at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateBudget {
    /// Requests per minute, on average.
    pub per_minute: NonZeroU32,
    /// How many requests may go at once after a quiet spell.
    pub burst: NonZeroU32,
}

impl RateBudget {
    /// Notion's budget per integration on most plans: 180 a minute (3 a second), bursts of 3.
    pub const NOTION_DEFAULT: Self = Self::new(180, 3);
    /// Notion's budget per integration on Business and Enterprise plans: 600 a minute.
    pub const NOTION_BUSINESS: Self = Self::new(600, 10);

    /// A budget of `per_minute` requests a minute with bursts of `burst` (each at least 1).
    pub const fn new(per_minute: u32, burst: u32) -> Self {
        Self {
            per_minute: match NonZeroU32::new(per_minute) {
                Some(n) => n,
                None => NonZeroU32::MIN,
            },
            burst: match NonZeroU32::new(burst) {
                Some(n) => n,
                None => NonZeroU32::MIN,
            },
        }
    }

    /// A budget of `per_minute` requests a minute with bursts of `burst`, for budgets a person
    /// typed: a zero, which [`RateBudget::new`] would raise to 1, is refused with
    /// [`Error::Config`](crate::error::Error::Config).
    pub fn checked(per_minute: u32, burst: u32) -> crate::error::Result<Self> {
        if per_minute == 0 || burst == 0 {
            return Err(crate::error::Error::Config(format!(
                "a rate budget needs at least 1 request a minute and a burst of at least 1 \
                 (given {per_minute} a minute, bursts of {burst})"
            )));
        }
        Ok(Self::new(per_minute, burst))
    }

    /// The time between two requests at the average rate.
    pub fn interval(self) -> Duration {
        Duration::from_secs(60) / self.per_minute.get()
    }

    fn quota(self) -> Quota {
        Quota::with_period(self.interval())
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
            .allow_burst(self.burst)
    }
}

impl Default for RateBudget {
    fn default() -> Self {
        Self::NOTION_DEFAULT
    }
}

/// When a request is sent, among the requests of its token that wait for its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Precedence {
    /// Never behind another request (the default): reads, bookkeeping, small plans' writes.
    First,
    /// Behind `First` only: many row writes that another token's work waits on.
    Feeding,
    /// Behind both others: other writes by the thousand.
    Bulk,
}

impl Precedence {
    const ALL: usize = 3;

    fn rank(self) -> usize {
        self as usize
    }
}

tokio::task_local! {
    static PRECEDENCE: Precedence;
}

/// Runs `work` with its requests at `precedence` (see the [module documentation](self)); tasks
/// that `work` spawns are at [`Precedence::First`].
pub async fn with_precedence<F: Future>(precedence: Precedence, work: F) -> F::Output {
    PRECEDENCE.scope(precedence, work).await
}

/// The precedence of the running task's requests ([`with_precedence`]).
fn precedence() -> Precedence {
    PRECEDENCE.try_with(|p| *p).unwrap_or(Precedence::First)
}

/// Counts one waiter while it lives.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn on(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Enforces one [`RateBudget`] on tokio's clock.
#[derive(Debug)]
pub struct Limiter {
    budget: RateBudget,
    inner: RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<TokioInstant>>,
    /// The requests waiting for the budget, by [`Precedence`].
    waiting: [AtomicUsize; Precedence::ALL],
}

impl Limiter {
    /// A limiter with its whole burst available.
    pub fn new(budget: RateBudget) -> Self {
        Self {
            budget,
            inner: RateLimiter::direct_with_clock(budget.quota(), TokioClock),
            waiting: Default::default(),
        }
    }

    /// The budget enforced.
    pub fn budget(&self) -> RateBudget {
        self.budget
    }

    /// Takes one request from the budget now, or says how long until one is available.
    pub fn try_acquire(&self) -> Result<(), Duration> {
        self.inner
            .check()
            .map_err(|not_until| not_until.wait_time_from(TokioClock.now()))
    }

    /// Waits (on tokio's clock) until the budget allows one more request, and no request of an
    /// earlier [`Precedence`] waits for it, and takes it.
    pub async fn acquire(&self) {
        let rank = precedence().rank();
        let _waiting = Waiting::on(&self.waiting[rank]);
        loop {
            // While an earlier request waits, look again a quarter of an interval later, so that
            // a slot it leaves is taken soon after.
            let ahead = self.waiting[..rank]
                .iter()
                .any(|w| w.load(Ordering::SeqCst) > 0);
            let wait = if ahead {
                self.budget.interval() / 4
            } else {
                match self.try_acquire() {
                    Ok(()) => return,
                    Err(wait) => wait,
                }
            };
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_minute_of_budget_takes_a_minute_of_paused_time() {
        let limiter = Limiter::new(RateBudget::new(180, 3));
        let start = tokio::time::Instant::now();
        for _ in 0..183 {
            limiter.acquire().await;
        }
        // 3 at once, then 180 more at one every 333 ms.
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(59_900), "{elapsed:?}");
        assert!(elapsed <= Duration::from_millis(60_100), "{elapsed:?}");
    }

    /// `count` requests at `precedence` on `limiter`, made `after` seconds into a paused clock
    /// started at `start`: when each was admitted, from `start`.
    async fn admitted(
        limiter: &std::sync::Arc<Limiter>,
        start: tokio::time::Instant,
        (precedence, after, count): (Precedence, u64, usize),
    ) -> Vec<Duration> {
        futures::future::join_all((0..count).map(|_| {
            let limiter = std::sync::Arc::clone(limiter);
            with_precedence(precedence, async move {
                tokio::time::sleep(Duration::from_secs(after)).await;
                limiter.acquire().await;
                start.elapsed()
            })
        }))
        .await
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_goes_ahead_of_the_bulk_queued_before_it_and_the_budget_stays_full() {
        let limiter = std::sync::Arc::new(Limiter::new(RateBudget::new(180, 3)));
        let start = tokio::time::Instant::now();
        // 60 bulk requests queued at once (20 s of budget), a request made 5 s in and another
        // at 10 s.
        let (bulk, at_5, at_10) = tokio::join!(
            admitted(&limiter, start, (Precedence::Bulk, 0, 60)),
            admitted(&limiter, start, (Precedence::First, 5, 1)),
            admitted(&limiter, start, (Precedence::First, 10, 1)),
        );
        // Each of the two is admitted at the next slot, not behind the bulk requests waiting.
        assert!(at_5[0] <= Duration::from_millis(5_334), "{at_5:?}");
        assert!(at_10[0] <= Duration::from_millis(10_334), "{at_10:?}");
        // And the 62 requests took the budget's 62 slots: the last at 59 intervals (3 at once).
        let last = bulk.into_iter().max().unwrap();
        assert!(last >= Duration::from_millis(19_600), "{last:?}");
        assert!(last <= Duration::from_millis(19_700), "{last:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn feeding_writes_go_behind_the_first_and_ahead_of_bulk() {
        let limiter = std::sync::Arc::new(Limiter::new(RateBudget::new(180, 3)));
        let start = tokio::time::Instant::now();
        let (bulk, feeding, first) = tokio::join!(
            admitted(&limiter, start, (Precedence::Bulk, 0, 30)),
            admitted(&limiter, start, (Precedence::Feeding, 1, 10)),
            admitted(&limiter, start, (Precedence::First, 2, 1)),
        );
        // The request made at 2 s goes at the next slot.
        assert!(first[0] <= Duration::from_millis(2_334), "{first:?}");
        // No bulk request goes between 1 s (the next slot) and the last feeding one.
        let last_feeding = feeding.into_iter().max().unwrap();
        assert!(
            last_feeding <= Duration::from_millis(4_700),
            "{last_feeding:?}"
        );
        let between = bulk
            .iter()
            .filter(|t| **t > Duration::from_millis(1_010) && **t < last_feeding)
            .count();
        assert_eq!(between, 0, "{bulk:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn burst_then_refusal_with_the_wait() {
        let limiter = Limiter::new(RateBudget::new(60, 2));
        assert!(limiter.try_acquire().is_ok());
        assert!(limiter.try_acquire().is_ok());
        let wait = limiter.try_acquire().unwrap_err();
        assert!(
            wait <= Duration::from_secs(1) && wait > Duration::from_millis(900),
            "{wait:?}"
        );
        tokio::time::advance(wait).await;
        assert!(limiter.try_acquire().is_ok());
    }
}
