//! Requests counted per token from the fake's request log, for the simulated benchmarks.

use std::collections::BTreeMap;

use notion_xws_core::fake::LoggedRequest;

use crate::api::is_write;
use crate::world::World;

/// One token's requests in a run.
#[derive(Debug, Default, Clone)]
pub struct TokenCounts {
    /// Requests received (429s included).
    pub requests: u64,
    /// Requests that may write.
    pub writes: u64,
    /// Requests answered 429.
    pub limited: u64,
}

impl TokenCounts {
    /// Requests the rate limit admitted.
    pub fn admitted(&self) -> u64 {
        self.requests - self.limited
    }
}

/// The requests of a log, per token (labelled as [`World::label`] does).
pub fn per_token(world: &World, log: &[LoggedRequest]) -> BTreeMap<String, TokenCounts> {
    let mut tokens: BTreeMap<String, TokenCounts> = BTreeMap::new();
    for line in log {
        let counts = tokens
            .entry(world.label(line.workspace.as_deref(), line.integration.as_deref()))
            .or_default();
        counts.requests += 1;
        counts.writes += u64::from(is_write(line.method, &line.path));
        counts.limited += u64::from(line.status == 429);
    }
    tokens
}
