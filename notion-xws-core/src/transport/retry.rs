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
//!
//! Waits are bounded and said out loud. A request never waits more than
//! [`RetryConfig::max_wait`] in all (`--max-wait`, default 5 minutes): a wait that would go past
//! it is not begun, and the last answer is returned (a 429 becomes
//! [`Error::RateLimited`] with Notion's `Retry-After`, which says when to try
//! again). So a request that keeps failing gives up after [`RetryConfig::max_attempts`] attempts
//! or `max_wait` of waiting, whichever comes first: with the defaults, a persistent 5xx on a
//! read (or a 429 without `Retry-After`) waits at most 1 + 2 + 4 + 8 + 16 + 32 + 60 = 123 s
//! (about half of it on average, the backoff being jittered), and no connection at all gives up
//! after 3 attempts (at most 3 s of waiting). Every retry is logged as a warning, with its wait
//! and its reason in words, and so is giving up.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use super::{ApiRequest, ApiResponse, Transport};
use crate::error::{Error, Result, TransportErrorKind};

/// The shortest pause of a token (by a `Retry-After`) logged as a warning.
pub const LOUD_WAIT: Duration = Duration::from_secs(3);

/// The longest a request waits for its retries by default: 5 minutes.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(5 * 60);

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
    /// The longest a request waits for its retries in all, and the longest a token's requests
    /// are held by a `Retry-After` (default [`DEFAULT_MAX_WAIT`]): a longer wait is not begun, and
    /// the request fails with Notion's answer ([`Error::RateLimited`] for a 429, saying when to
    /// try again).
    pub max_wait: Duration,
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
            max_wait: DEFAULT_MAX_WAIT,
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
        let mut waited = Duration::ZERO;
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
            let delay = match min_delay {
                // Notion said how long: wait that, plus a little jitter so that workers waiting
                // on the same token do not all wake at once.
                Some(after) => after + self.backoff(0) / 10,
                None => self.backoff(attempt - 1),
            };
            let reason = why(&outcome);
            if waited + delay > self.config.max_wait {
                tracing::warn!(
                    operation = %request.operation(),
                    attempt,
                    "{}: {reason}; not waiting {} more (a request waits at most {} in all, \
                     --max-wait): giving up",
                    request.operation(),
                    say(delay),
                    say(self.config.max_wait),
                );
                return outcome;
            }
            if attempt >= cap || !self.config.budget.try_take() {
                tracing::warn!(
                    operation = %request.operation(),
                    attempt,
                    "{}: {reason}; giving up after {attempt} attempt(s) and {} of waiting",
                    request.operation(),
                    say(waited),
                );
                return outcome;
            }
            tracing::warn!(
                operation = %request.operation(),
                attempt,
                delay_ms = delay.as_millis() as u64,
                "{}: {reason}; trying again in {} (attempt {} of at most {cap})",
                request.operation(),
                say(delay),
                attempt + 1,
            );
            waited += delay;
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }
}

/// Why an outcome is retried, in words, for the log.
fn why(outcome: &Result<ApiResponse>) -> String {
    match outcome {
        Ok(response) => match response.status {
            429 => match response.retry_after {
                Some(after) => format!(
                    "Notion rate-limited the token (429) and asked to wait {}",
                    say(after)
                ),
                None => "Notion rate-limited the token (429)".to_owned(),
            },
            529 => "Notion is overloaded (529)".to_owned(),
            409 => "a conflicting change (409) on a read".to_owned(),
            status => format!("Notion failed ({status}) on a read"),
        },
        Err(Error::Transport { kind, .. }) => match kind {
            TransportErrorKind::Connect => "no connection to Notion".to_owned(),
            TransportErrorKind::Timeout => "Notion did not answer in time".to_owned(),
            _ => "an answer that is not Notion's".to_owned(),
        },
        Err(_) => "an error".to_owned(),
    }
}

/// A duration for people: whole seconds (`1h 2m 3s`), or milliseconds under a second.
pub(crate) fn say(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        return format!("{} ms", duration.as_millis());
    }
    humantime::format_duration(Duration::from_secs(duration.as_secs())).to_string()
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

    fn limited(retry_after: u64) -> Result<ApiResponse> {
        Ok(ApiResponse {
            status: 429,
            retry_after: Some(Duration::from_secs(retry_after)),
            date: None,
            body: json!({"object": "error", "status": 429, "code": "rate_limited", "message": "m"}),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_after_longer_than_max_wait_is_not_waited() {
        let mut mock = MockTransport::new();
        mock.expect_send().times(1).returning(|_| limited(3600));
        let transport = RetryingTransport::new(mock, RetryConfig::default());
        let start = tokio::time::Instant::now();
        let outcome = transport.send(request(Method::Get, "/v1/users/me")).await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        let error = crate::client::interpret("GET /v1/users/me", true, outcome).unwrap_err();
        match &error {
            Error::RateLimited {
                retry_after: Some(after),
                ..
            } => assert_eq!(*after, Duration::from_secs(3600)),
            other => panic!("{other:?}"),
        }
        let message = error.to_string();
        assert!(message.contains("Notion asks to wait 1h"), "{message}");
        assert!(message.contains("try again after that"), "{message}");
    }

    #[tokio::test(start_paused = true)]
    async fn the_waits_of_a_request_add_up_to_max_wait_at_most() {
        // 200 s, then another 200 s would pass 5 minutes: one wait, two attempts.
        let mut mock = MockTransport::new();
        mock.expect_send().times(2).returning(|_| limited(200));
        let transport = RetryingTransport::new(mock, RetryConfig::default());
        let start = tokio::time::Instant::now();
        let outcome = transport.send(request(Method::Post, "/v1/pages")).await;
        assert_eq!(outcome.unwrap().status, 429);
        let waited = start.elapsed();
        assert!(waited >= Duration::from_secs(200), "{waited:?}");
        assert!(waited <= Duration::from_secs(201), "{waited:?}");
        // A bound of 10 minutes and 10 s lets the same request wait twice more (with jitter).
        let mut mock = MockTransport::new();
        let mut seq = mockall::Sequence::new();
        mock.expect_send()
            .times(3)
            .in_sequence(&mut seq)
            .returning(|_| limited(200));
        mock.expect_send()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| response(200, json!({})));
        let config = RetryConfig {
            max_wait: Duration::from_secs(610),
            ..RetryConfig::default()
        };
        let transport = RetryingTransport::new(mock, config);
        let outcome = transport.send(request(Method::Post, "/v1/pages")).await;
        assert_eq!(outcome.unwrap().status, 200);
    }

    #[tokio::test(start_paused = true)]
    async fn persistent_failures_give_up_within_the_documented_time() {
        // The module documentation: 8 attempts, at most 123 s of waiting, for a 5xx on a read
        // and for a 429 without Retry-After, whatever the seed; 3 attempts without connection.
        for seed in 0..20 {
            for status in [502, 429] {
                let mut mock = MockTransport::new();
                mock.expect_send()
                    .times(8)
                    .returning(move |_| response(status, json!({})));
                let config = RetryConfig {
                    seed,
                    ..RetryConfig::default()
                };
                let transport = RetryingTransport::new(mock, config);
                let start = tokio::time::Instant::now();
                let outcome = transport.send(request(Method::Get, "/v1/users/me")).await;
                assert_eq!(outcome.unwrap().status, status);
                assert!(start.elapsed() <= Duration::from_secs(123), "{seed}");
            }
            let mut mock = MockTransport::new();
            mock.expect_send().times(3).returning(|_| {
                Err(Error::Transport {
                    kind: TransportErrorKind::Connect,
                    message: String::new(),
                })
            });
            let transport = RetryingTransport::new(mock, RetryConfig::default());
            let start = tokio::time::Instant::now();
            let outcome = transport.send(request(Method::Get, "/v1/users/me")).await;
            assert!(outcome.is_err());
            assert!(start.elapsed() <= Duration::from_secs(3));
        }
    }

    #[test]
    fn durations_are_said_in_words() {
        assert_eq!(say(Duration::from_millis(3_600_032)), "1h");
        assert_eq!(say(Duration::from_millis(75_500)), "1m 15s");
        assert_eq!(say(Duration::from_millis(250)), "250 ms");
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
