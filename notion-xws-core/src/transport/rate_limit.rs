//! [`RateLimitedTransport`]: each token within its own request budget.
//!
//! Notion budgets requests per integration (per token) and per workspace. This wrapper keeps a
//! [`Limiter`] per token (and optionally one per workspace, shared by the tokens assigned to it),
//! and makes each request wait, on tokio's clock, until its budgets allow it, behind the requests
//! of an earlier [`Precedence`](crate::rate::Precedence) (the run's bookkeeping before row
//! writes). Tokens do not wait for each other: workspaces run in parallel, each at its own pace.
//!
//! When Notion answers 429 or 529 anyway, the token's whole queue pauses for `Retry-After`
//! (which may exceed 60 s), not only the request that drew it; a workspace-level 429
//! (`public_api_space_request_rate_limit`) pauses every token of that workspace. The answer
//! itself is passed on: retrying is [`RetryingTransport`](super::retry::RetryingTransport)'s job.
//!
//! A pause is never waited out past [`RetryConfig::max_wait`](super::retry::RetryConfig::max_wait)
//! (the same bound as the retries'): a request that would be held longer fails at once with
//! [`Error::RateLimited`], carrying the time left, so that a `Retry-After` of an hour ends the
//! pairs of that token with a failure that says when to try again, instead of a silent hour.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use super::{ApiRequest, ApiResponse, Transport};
use crate::error::{ApiError, ApiErrorCode, Error, Result};
use crate::rate::{Limiter, RateBudget};
use crate::secret::NotionToken;

/// How long a 429 or 529 without `Retry-After` pauses its token.
const DEFAULT_PAUSE: Duration = Duration::from_secs(1);

/// A budget and a pause shared by the requests it governs.
#[derive(Debug)]
struct Gate {
    limiter: Limiter,
    paused_until: Mutex<Option<Instant>>,
}

impl Gate {
    fn new(budget: RateBudget) -> Arc<Self> {
        Arc::new(Self {
            limiter: Limiter::new(budget),
            paused_until: Mutex::new(None),
        })
    }

    fn paused_until(&self) -> Option<Instant> {
        let until = *self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        until.filter(|until| *until > Instant::now())
    }

    fn pause(&self, until: Instant) {
        let mut paused = self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        *paused = Some(paused.map_or(until, |current| current.max(until)));
    }
}

/// The gates of one token.
#[derive(Debug, Clone)]
struct TokenGates {
    token: Arc<Gate>,
    workspace: Option<Arc<Gate>>,
}

/// Keeps each token within its budgets. See the [module documentation](self).
#[derive(Debug)]
pub struct RateLimitedTransport<T> {
    inner: T,
    default_budget: RateBudget,
    gates: Mutex<HashMap<NotionToken, TokenGates>>,
    workspaces: Mutex<HashMap<String, Arc<Gate>>>,
    max_wait: Duration,
}

impl<T: Transport> RateLimitedTransport<T> {
    /// Wraps `inner`; every token gets `default_budget` until told otherwise.
    pub fn new(inner: T, default_budget: RateBudget) -> Self {
        Self {
            inner,
            default_budget,
            gates: Mutex::new(HashMap::new()),
            workspaces: Mutex::new(HashMap::new()),
            max_wait: super::retry::DEFAULT_MAX_WAIT,
        }
    }

    /// The same, holding no request longer than `max_wait` for a pause (see the
    /// [module documentation](self)).
    pub fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// The transport wrapped.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// Gives `token` its own budget (600 a minute on a Business plan, say).
    pub fn set_token_budget(&self, token: &NotionToken, budget: RateBudget) {
        let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        let workspace = gates.get(token).and_then(|g| g.workspace.clone());
        gates.insert(
            token.clone(),
            TokenGates {
                token: Gate::new(budget),
                workspace,
            },
        );
    }

    /// Puts `token` under the budget of the workspace `workspace` (any stable name, such as the
    /// workspace ID), shared with the other tokens of that workspace. The first call for a
    /// workspace sets its budget.
    pub fn assign_workspace(&self, token: &NotionToken, workspace: &str, budget: RateBudget) {
        let gate = {
            let mut workspaces = self.workspaces.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(
                workspaces
                    .entry(workspace.to_owned())
                    .or_insert_with(|| Gate::new(budget)),
            )
        };
        let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        let entry = gates.entry(token.clone()).or_insert_with(|| TokenGates {
            token: Gate::new(self.default_budget),
            workspace: None,
        });
        entry.workspace = Some(gate);
    }

    fn gates(&self, token: &NotionToken) -> TokenGates {
        let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        gates
            .entry(token.clone())
            .or_insert_with(|| TokenGates {
                token: Gate::new(self.default_budget),
                workspace: None,
            })
            .clone()
    }
}

/// Waits until neither gate is paused and both budgets allow one more request; `Err` with the
/// time left when a pause lasts longer than `max_wait`.
async fn admit(gates: &TokenGates, max_wait: Duration) -> std::result::Result<(), Duration> {
    loop {
        let pause = [Some(&gates.token), gates.workspace.as_ref()]
            .into_iter()
            .flatten()
            .filter_map(|gate| gate.paused_until())
            .max();
        if let Some(until) = pause {
            let left = until.saturating_duration_since(Instant::now());
            if left > max_wait {
                return Err(left);
            }
            tokio::time::sleep_until(until).await;
            continue;
        }
        gates.token.limiter.acquire().await;
        if let Some(workspace) = &gates.workspace {
            workspace.limiter.acquire().await;
        }
        // A 429 may have paused the token while this request waited for its turn.
        if gates.token.paused_until().is_none() {
            return Ok(());
        }
    }
}

/// The failure of a request held back by a pause longer than the bound.
fn held_too_long(operation: &str, left: Duration, max_wait: Duration) -> Error {
    let say = super::retry::say;
    Error::RateLimited {
        error: Box::new(ApiError {
            status: 429,
            code: ApiErrorCode::RateLimited,
            message: format!(
                "{operation} not sent: Notion rate-limited this token for {} more, longer than \
                 --max-wait ({})",
                say(left),
                say(max_wait)
            ),
            request_id: None,
            additional_data: None,
        }),
        retry_after: Some(left),
    }
}

#[async_trait]
impl<T: Transport> Transport for RateLimitedTransport<T> {
    async fn download(&self, url: &str) -> Result<Vec<u8>> {
        self.inner.download(url).await
    }

    async fn send(&self, request: ApiRequest) -> Result<ApiResponse> {
        let gates = self.gates(&request.token);
        if let Err(left) = admit(&gates, self.max_wait).await {
            let error = held_too_long(&request.operation(), left, self.max_wait);
            tracing::warn!(operation = %request.operation(), "{error}");
            return Err(error);
        }
        let outcome = self.inner.send(request).await;
        if let Ok(response) = &outcome
            && matches!(response.status, 429 | 529)
        {
            let pause = response.retry_after.unwrap_or(DEFAULT_PAUSE);
            let until = Instant::now() + pause;
            let reason = response
                .body
                .pointer("/additional_data/rate_limit_reason")
                .and_then(|v| v.as_str());
            match (&gates.workspace, reason) {
                (Some(workspace), Some("public_api_space_request_rate_limit")) => {
                    workspace.pause(until);
                }
                _ => gates.token.pause(until),
            }
            if pause < super::retry::LOUD_WAIT {
                tracing::info!(
                    "Notion asked to slow down ({}): this token's requests wait {}",
                    response.status,
                    humantime::format_duration(std::time::Duration::from_millis(
                        pause.as_millis() as u64
                    ))
                );
            }
            if pause >= super::retry::LOUD_WAIT {
                tracing::warn!(
                    status = response.status,
                    "Notion asked to wait {} ({}): the token's requests pause until then{}",
                    super::retry::say(pause),
                    response.status,
                    if pause > self.max_wait {
                        ", or fail at once as it is longer than --max-wait"
                    } else {
                        ""
                    }
                );
            }
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::{Method, MockTransport};
    use serde_json::json;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn request(token: &NotionToken) -> ApiRequest {
        ApiRequest::new(Method::Get, "/v1/users/me", token.clone(), "2026-03-11")
    }

    fn ok() -> Result<ApiResponse> {
        Ok(ApiResponse {
            status: 200,
            retry_after: None,
            date: None,
            body: json!({}),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn each_token_runs_at_its_own_budget_in_parallel() {
        let mut mock = MockTransport::new();
        mock.expect_send().returning(|_| ok());
        let transport = Arc::new(RateLimitedTransport::new(mock, RateBudget::new(60, 1)));
        let a = NotionToken::new("ntn_a").unwrap();
        let b = NotionToken::new("ntn_b").unwrap();
        let start = Instant::now();
        let run = |token: NotionToken| {
            let transport = Arc::clone(&transport);
            tokio::spawn(async move {
                for _ in 0..11 {
                    transport.send(request(&token)).await.unwrap();
                }
            })
        };
        let (ra, rb) = (run(a), run(b));
        ra.await.unwrap();
        rb.await.unwrap();
        // 11 requests at one a second: 10 s, for both tokens at once.
        let elapsed = start.elapsed();
        assert!(
            elapsed >= Duration::from_secs(10) && elapsed < Duration::from_millis(10_100),
            "{elapsed:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_pauses_the_whole_token_for_retry_after() {
        let calls = Arc::new(AtomicU32::new(0));
        let seen = Arc::clone(&calls);
        let mut mock = MockTransport::new();
        mock.expect_send().returning(move |_| {
            if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                Ok(ApiResponse {
                    status: 429,
                    retry_after: Some(Duration::from_secs(90)),
                    date: None,
                    body: json!({"additional_data": {"rate_limit_reason": "public_api_request_rate_limit"}}),
                })
            } else {
                ok()
            }
        });
        let transport = RateLimitedTransport::new(mock, RateBudget::new(600, 10));
        let token = NotionToken::new("ntn_a").unwrap();
        let other = NotionToken::new("ntn_b").unwrap();
        let start = Instant::now();
        assert_eq!(transport.send(request(&token)).await.unwrap().status, 429);
        // Another token is not held back.
        transport.send(request(&other)).await.unwrap();
        assert!(start.elapsed() < Duration::from_secs(1));
        // The same token waits out the 90 s.
        transport.send(request(&token)).await.unwrap();
        assert!(
            start.elapsed() >= Duration::from_secs(90),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_workspace_budget_is_shared_by_its_tokens() {
        let mut mock = MockTransport::new();
        mock.expect_send().returning(|_| ok());
        let transport = RateLimitedTransport::new(mock, RateBudget::new(6000, 100));
        let a = NotionToken::new("ntn_a").unwrap();
        let b = NotionToken::new("ntn_b").unwrap();
        transport.assign_workspace(&a, "acme", RateBudget::new(60, 1));
        transport.assign_workspace(&b, "acme", RateBudget::new(60, 1));
        let start = Instant::now();
        for _ in 0..3 {
            transport.send(request(&a)).await.unwrap();
            transport.send(request(&b)).await.unwrap();
        }
        // 6 requests at one a second for the workspace: 5 s.
        assert!(
            start.elapsed() >= Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_longer_than_max_wait_fails_the_requests_held_by_it() {
        let token = NotionToken::new("ntn_pause").unwrap();
        let sent = Arc::new(AtomicU32::new(0));
        let counter = Arc::clone(&sent);
        let mut mock = MockTransport::new();
        mock.expect_send().returning(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok(ApiResponse {
                status: 429,
                retry_after: Some(Duration::from_secs(3600)),
                date: None,
                body: json!({}),
            })
        });
        let transport = RateLimitedTransport::new(mock, RateBudget::new(6000, 100))
            .with_max_wait(Duration::from_secs(60));
        let start = Instant::now();
        assert_eq!(transport.send(request(&token)).await.unwrap().status, 429);
        let error = transport.send(request(&token)).await.unwrap_err();
        assert_eq!(start.elapsed(), Duration::ZERO, "not held");
        assert_eq!(sent.load(Ordering::SeqCst), 1, "not sent");
        match &error {
            Error::RateLimited {
                retry_after: Some(left),
                ..
            } => assert_eq!(*left, Duration::from_secs(3600)),
            other => panic!("{other:?}"),
        }
        assert!(error.to_string().contains("longer than --max-wait (1m)"));
        // A pause within the bound is waited out.
        let transport = RateLimitedTransport::new(MockTransport::new(), RateBudget::new(6000, 100))
            .with_max_wait(Duration::from_secs(60));
        let gates = transport.gates(&token);
        gates.token.pause(Instant::now() + Duration::from_secs(30));
        assert_eq!(admit(&gates, Duration::from_secs(60)).await, Ok(()));
        assert_eq!(start.elapsed(), Duration::from_secs(30));
    }
}
