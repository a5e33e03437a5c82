//! [`TransportStack`]: the layers every client runs on, assembled once.
//!
//! From the outside in: [`RetryingTransport`] (retries what may be retried), then
//! [`RateLimitedTransport`] (each token within its budget, every attempt counted), then
//! [`RecordingTransport`] (every request that reaches the base transport, for reports and
//! tests), then the base transport (HTTP, the fake Notion, or a mock). The stack keeps handles
//! on the middle layers so that callers can set budgets per token and read the record.

use std::sync::Arc;

use super::DynTransport;
use super::rate_limit::RateLimitedTransport;
use super::recording::RecordingTransport;
use super::retry::{RetryConfig, RetryingTransport};
use crate::rate::RateBudget;

/// The settings of a [`TransportStack`].
#[derive(Debug, Clone)]
pub struct StackConfig {
    /// The budget of each token (default: Notion's 180 a minute).
    pub budget: RateBudget,
    /// The retry policy.
    pub retry: RetryConfig,
    /// How many of the latest requests the record keeps (default 1,000; all are counted; 0:
    /// none), so that a long sync does not keep every request body.
    pub keep_requests: usize,
}

impl Default for StackConfig {
    fn default() -> Self {
        Self {
            budget: RateBudget::default(),
            retry: RetryConfig::default(),
            keep_requests: 1_000,
        }
    }
}

/// Retries around rate limits around recording around a base transport.
#[derive(Debug, Clone)]
pub struct TransportStack {
    transport: DynTransport,
    limits: Arc<RateLimitedTransport<DynTransport>>,
    recorder: Arc<RecordingTransport<DynTransport>>,
}

impl TransportStack {
    /// The stack over `base`.
    pub fn new(base: DynTransport, config: StackConfig) -> Self {
        let recorder = Arc::new(RecordingTransport::bounded(base, config.keep_requests));
        let limits = Arc::new(
            RateLimitedTransport::new(Arc::clone(&recorder) as DynTransport, config.budget)
                .with_max_wait(config.retry.max_wait),
        );
        let transport = Arc::new(RetryingTransport::new(
            Arc::clone(&limits) as DynTransport,
            config.retry,
        ));
        Self {
            transport,
            limits,
            recorder,
        }
    }

    /// The top of the stack: what clients send through.
    pub fn transport(&self) -> DynTransport {
        Arc::clone(&self.transport)
    }

    /// The rate-limit layer (to set a token's budget or its workspace).
    pub fn limits(&self) -> &RateLimitedTransport<DynTransport> {
        &self.limits
    }

    /// The record of the requests that reached the base transport (the latest
    /// [`StackConfig::keep_requests`] of them; [`RecordingTransport::count`] counts all).
    pub fn recorder(&self) -> &RecordingTransport<DynTransport> {
        &self.recorder
    }
}
