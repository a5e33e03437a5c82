//! Request budgets: a GCRA limiter (the `governor` crate) on tokio's clock.
//!
//! Notion gives each integration a budget of requests per minute (180 on most plans, 600 on
//! Business and Enterprise), which may be spent in a burst, and a second budget per workspace
//! shared by all its integrations. [`RateBudget`] describes such a budget; [`Limiter`] enforces
//! one. The client uses limiters to stay under Notion's budgets, and the fake Notion uses the same
//! limiters to enforce them, so that both sides agree on what "180 a minute" means.
//!
//! The limiter reads tokio's clock ([`TokioClock`]), not the system's: under
//! `#[tokio::test(start_paused = true)]` an hour of rate-limited traffic runs in milliseconds, and
//! the benchmarks measure simulated time exactly.

use std::num::NonZeroU32;
use std::ops::Add;
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

/// Enforces one [`RateBudget`] on tokio's clock.
#[derive(Debug)]
pub struct Limiter {
    budget: RateBudget,
    inner: RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<TokioInstant>>,
}

impl Limiter {
    /// A limiter with its whole burst available.
    pub fn new(budget: RateBudget) -> Self {
        Self {
            budget,
            inner: RateLimiter::direct_with_clock(budget.quota(), TokioClock),
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

    /// Waits (on tokio's clock) until the budget allows one more request, and takes it.
    pub async fn acquire(&self) {
        while let Err(wait) = self.try_acquire() {
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
