//! [`RetryingTransport`]: retries what may be retried, and nothing else.
//!
//! Which outcome is retried is decided by one pure function, [`classify`], apart from the retry
//! loop (as reqwest-retry does), following Notion's own guidance:
//!
//! | outcome | idempotent request (GET, DELETE, search, query) | write (create, update, append) |
//! |---|---|---|
//! | 429 `rate_limited`, 529 `service_overload` | retried after `Retry-After` | retried after `Retry-After` |
//! | 429 with `rate_limit_reason: public_api_request_blocked` | returned | returned |
//! | 500, 502, 503, 504 | retried with backoff | returned: **ambiguous**, the write may have been applied |
//! | 409 `conflict_error` | retried with backoff | returned: the caller re-reads and decides |
//! | timeout, an answer that is not Notion's | retried with backoff | returned: **ambiguous** |
//! | no connection | retried with backoff | retried with backoff (nothing was sent) |
//! | anything else | returned | returned |
//!
//! A 429 or 529 is never applied, so retrying it is safe for any request. A write that may have
//! been applied is never sent again here: the client turns it into
//! [`Error::AmbiguousWrite`], which the sync settles by reading the
//! target back.
//!
//! Backoff is exponential with full jitter (`rand(0, min(cap, initial·2ⁿ))`) from a seeded RNG,
//! and `Retry-After` is a floor. Attempts are capped per request, and a [`RetryBudget`] shared by
//! a whole run caps the retries of all its requests together.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use super::{ApiRequest, ApiResponse, Transport};
use crate::error::{Error, Result, TransportErrorKind};

/// What to do with the outcome of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Return the outcome to the caller.
    Return,
    /// Send the request again, after at least `min_delay` when Notion said how long to wait.
    Retry {
        /// `Retry-After`, when Notion sent it.
        min_delay: Option<Duration>,
    },
}

/// Decides whether an outcome is retried. See the [module documentation](self) for the table.
pub fn classify(request: &ApiRequest, outcome: &Result<ApiResponse>) -> RetryDecision {
    let idempotent = request.is_idempotent();
    match outcome {
        Ok(response) => match response.status {
            429 => {
                let reason = response
                    .body
                    .pointer("/additional_data/rate_limit_reason")
                    .and_then(|v| v.as_str());
                if reason == Some("public_api_request_blocked") {
                    RetryDecision::Return
                } else {
                    RetryDecision::Retry {
                        min_delay: response.retry_after,
                    }
                }
            }
            529 => RetryDecision::Retry {
                min_delay: response.retry_after,
            },
            409 | 500 | 502 | 503 | 504 if idempotent => RetryDecision::Retry { min_delay: None },
            _ => RetryDecision::Return,
        },
        Err(Error::Transport { kind, .. }) => match kind {
            TransportErrorKind::Connect => RetryDecision::Retry { min_delay: None },
            TransportErrorKind::Timeout | TransportErrorKind::InvalidResponse if idempotent => {
                RetryDecision::Retry { min_delay: None }
            }
            _ => RetryDecision::Return,
        },
        Err(_) => RetryDecision::Return,
    }
}

/// How many retries a whole run may make, across all its requests.
///
/// Cloning shares the budget. When it is spent, outcomes are returned as they are.
#[derive(Debug, Clone)]
pub struct RetryBudget(Arc<AtomicU64>);

impl RetryBudget {
    /// A budget of `retries` retries.
    pub fn new(retries: u64) -> Self {
        Self(Arc::new(AtomicU64::new(retries)))
    }

    /// Takes one retry from the budget; false when it is spent.
    pub fn try_take(&self) -> bool {
        self.0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
                left.checked_sub(1)
            })
            .is_ok()
    }

    /// The retries left.
    pub fn remaining(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
}

impl Default for RetryBudget {
    /// 10,000 retries: far more than a healthy run needs, few enough to stop a run that is
    /// only retrying.
    fn default() -> Self {
        Self::new(10_000)
    }
}

/// The settings of a [`RetryingTransport`].
#[derive(Debug, Clone)]
pub struct RetryConfig {
    /// Attempts per request, the first included (default 8: a rate-limited request waits its
    /// turn rather than fails).
    pub max_attempts: u32,
    /// The first backoff ceiling (default 1 s).
    pub initial_backoff: Duration,
    /// The largest backoff ceiling (default 60 s). `Retry-After` is honoured even when longer.
    pub max_backoff: Duration,
    /// Attempts per request when no connection can be made (default 3): a Notion that is not
    /// there is reported quickly.
    pub max_connect_attempts: u32,
    /// The retries of the whole run.
    pub budget: RetryBudget,
    /// The seed of the jitter (default 0), so that runs are repeatable.
    pub seed: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            max_connect_attempts: 3,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            budget: RetryBudget::default(),
            seed: 0,
        }
    }
}

/// Retries what [`classify`] says may be retried. See the [module documentation](self).
#[derive(Debug)]
pub struct RetryingTransport<T> {
    inner: T,
    config: RetryConfig,
    rng: Mutex<SmallRng>,
}

impl<T: Transport> RetryingTransport<T> {
    /// Wraps `inner`.
    pub fn new(inner: T, config: RetryConfig) -> Self {
        let rng = Mutex::new(SmallRng::seed_from_u64(config.seed));
        Self { inner, config, rng }
    }

    /// The transport wrapped.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// Full jitter: a random delay up to `min(max, initial·2^retry)`.
    fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self
            .config
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry.min(30)))
            .min(self.config.max_backoff);
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        ceiling.mul_f64(rng.random_range(0.0..=1.0))
    }
}

#[async_trait]
impl<T: Transport> Transport for RetryingTransport<T> {
    async fn download(&self, url: &str) -> Result<Vec<u8>> {
        self.inner.download(url).await
    }

    async fn send(&self, request: ApiRequest) -> Result<ApiResponse> {
        let mut attempt = 1;
        loop {
            let outcome = self.inner.send(request.clone()).await;
            let RetryDecision::Retry { min_delay } = classify(&request, &outcome) else {
                return outcome;
            };
            let no_connection = matches!(
                outcome,
                Err(Error::Transport {
                    kind: TransportErrorKind::Connect,
                    ..
                })
            );
            let cap = if no_connection {
                self.config
                    .max_connect_attempts
                    .min(self.config.max_attempts)
            } else {
                self.config.max_attempts
            };
            if attempt >= cap || !self.config.budget.try_take() {
                return outcome;
            }
            let delay = match min_delay {
                // Notion said how long: wait that, plus a little jitter so that workers waiting
                // on the same token do not all wake at once.
                Some(after) => after + self.backoff(0) / 10,
                None => self.backoff(attempt - 1),
            };
            let why = match &outcome {
                Ok(response) => format!("Notion answered {}", response.status),
                Err(error) => error.to_string(),
            };
            let wait = std::time::Duration::from_millis(delay.as_millis() as u64);
            tracing::warn!(
                "{}: {why}; trying again in {} (attempt {} of at most {cap})",
                request.operation(),
                humantime::format_duration(wait),
                attempt + 1
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::NotionToken;
    use crate::transport::{Method, MockTransport};
    use serde_json::json;

    fn request(method: Method, path: &str) -> ApiRequest {
        ApiRequest::new(
            method,
            path,
            NotionToken::new("ntn_test").unwrap(),
            "2026-03-11",
        )
    }

    fn response(status: u16, body: serde_json::Value) -> Result<ApiResponse> {
        Ok(ApiResponse {
            status,
            retry_after: None,
            date: None,
            body,
        })
    }

    #[test]
    fn the_table_of_the_module_documentation() {
        let get = request(Method::Get, "/v1/pages/x");
        let query = request(Method::Post, "/v1/data_sources/x/query");
        let create = request(Method::Post, "/v1/pages");
        let update = request(Method::Patch, "/v1/pages/x");
        let retry = RetryDecision::Retry { min_delay: None };
        let timeout = || -> Result<ApiResponse> {
            Err(Error::Transport {
                kind: TransportErrorKind::Timeout,
                message: String::new(),
            })
        };
        let connect = || -> Result<ApiResponse> {
            Err(Error::Transport {
                kind: TransportErrorKind::Connect,
                message: String::new(),
            })
        };
        for r in [&get, &query, &create, &update] {
            assert_eq!(classify(r, &response(429, json!({}))), retry);
            assert_eq!(classify(r, &response(529, json!({}))), retry);
            assert_eq!(
                classify(r, &response(200, json!({}))),
                RetryDecision::Return
            );
            assert_eq!(
                classify(r, &response(400, json!({}))),
                RetryDecision::Return
            );
            assert_eq!(classify(r, &connect()), retry);
            let blocked =
                json!({"additional_data": {"rate_limit_reason": "public_api_request_blocked"}});
            assert_eq!(classify(r, &response(429, blocked)), RetryDecision::Return);
        }
        for r in [&get, &query] {
            for status in [409, 500, 502, 503, 504] {
                assert_eq!(classify(r, &response(status, json!({}))), retry);
            }
            assert_eq!(classify(r, &timeout()), retry);
        }
        for r in [&create, &update] {
            for status in [409, 500, 502, 503, 504] {
                assert_eq!(
                    classify(r, &response(status, json!({}))),
                    RetryDecision::Return
                );
            }
            assert_eq!(classify(r, &timeout()), RetryDecision::Return);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_honoured_with_exact_attempts() {
        let mut mock = MockTransport::new();
        let mut seq = mockall::Sequence::new();
        mock.expect_send()
            .times(2)
            .in_sequence(&mut seq)
            .returning(|_| {
                Ok(ApiResponse {
                    status: 429,
                    retry_after: Some(Duration::from_secs(75)),
                    date: None,
                    body: json!({"object": "error", "status": 429, "code": "rate_limited"}),
                })
            });
        mock.expect_send()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| response(200, json!({"object": "page"})));
        let transport = RetryingTransport::new(mock, RetryConfig::default());
        let start = tokio::time::Instant::now();
        let outcome = transport
            .send(request(Method::Post, "/v1/pages"))
            .await
            .unwrap();
        assert_eq!(outcome.status, 200);
        let waited = start.elapsed();
        assert!(waited >= Duration::from_secs(150), "{waited:?}");
        assert!(waited <= Duration::from_secs(151), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_that_fails_with_5xx_is_sent_once() {
        let mut mock = MockTransport::new();
        mock.expect_send()
            .times(1)
            .returning(|_| response(503, json!({"code": "service_unavailable"})));
        let transport = RetryingTransport::new(mock, RetryConfig::default());
        let outcome = transport.send(request(Method::Post, "/v1/pages")).await;
        assert_eq!(outcome.unwrap().status, 503);
    }

    #[tokio::test(start_paused = true)]
    async fn attempts_and_budget_are_capped() {
        let mut mock = MockTransport::new();
        mock.expect_send()
            .times(3)
            .returning(|_| response(500, json!({})));
        let config = RetryConfig {
            max_attempts: 3,
            ..RetryConfig::default()
        };
        let transport = RetryingTransport::new(mock, config);
        let outcome = transport.send(request(Method::Get, "/v1/users/me")).await;
        assert_eq!(outcome.unwrap().status, 500);

        let mut mock = MockTransport::new();
        mock.expect_send()
            .times(2)
            .returning(|_| response(500, json!({})));
        let budget = RetryBudget::new(1);
        let config = RetryConfig {
            budget: budget.clone(),
            ..RetryConfig::default()
        };
        let transport = RetryingTransport::new(mock, config);
        let outcome = transport.send(request(Method::Get, "/v1/users/me")).await;
        assert_eq!(outcome.unwrap().status, 500);
        assert_eq!(budget.remaining(), 0);
    }

    #[test]
    fn backoff_stays_under_its_ceiling_and_is_repeatable() {
        let make = || {
            RetryingTransport::new(
                MockTransport::new(),
                RetryConfig {
                    seed: 7,
                    ..RetryConfig::default()
                },
            )
        };
        let (a, b) = (make(), make());
        for retry in 0..12 {
            let delay = a.backoff(retry);
            assert_eq!(delay, b.backoff(retry));
            assert!(delay <= Duration::from_secs(60));
            assert!(delay <= Duration::from_secs(1 << retry));
        }
    }
}
