//! Rate limits: Notion's budgets per integration and per workspace, enforced on tokio's clock.
//!
//! Each integration (token) and each workspace gets its own [`Limiter`] the first time it sends a
//! request, with the budget of [`FakeConfig`](super::FakeConfig). A request over budget is
//! answered 429 `rate_limited` with a `Retry-After` in whole seconds (rounded up) and
//! `additional_data.rate_limit_reason` saying which budget ran out, as Notion does.

use std::collections::HashMap;

use super::reply::Fail;
use crate::rate::{Limiter, RateBudget};

/// The limiters made so far.
#[derive(Debug, Default)]
pub(crate) struct Limits {
    per_token: HashMap<usize, Limiter>,
    per_workspace: HashMap<usize, Limiter>,
}

fn take(
    map: &mut HashMap<usize, Limiter>,
    key: usize,
    budget: Option<RateBudget>,
    reason: &str,
) -> Result<(), Fail> {
    let Some(budget) = budget else {
        return Ok(());
    };
    let limiter = map.entry(key).or_insert_with(|| Limiter::new(budget));
    limiter.try_acquire().map_err(|wait| {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Fail::rate_limited(seconds.max(1), reason)
    })
}

impl Limits {
    /// Takes one request from the integration's budget, then from the workspace's.
    pub(crate) fn check(
        &mut self,
        integration: usize,
        workspace: usize,
        per_token: Option<RateBudget>,
        per_workspace: Option<RateBudget>,
    ) -> Result<(), Fail> {
        take(
            &mut self.per_token,
            integration,
            per_token,
            "public_api_request_rate_limit",
        )?;
        take(
            &mut self.per_workspace,
            workspace,
            per_workspace,
            "public_api_space_request_rate_limit",
        )
    }
}
