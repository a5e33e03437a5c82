//! [`RateLimitedTransport`]: each token within its own request budget.
//!
//! Notion budgets requests per integration (per token) and per workspace. This wrapper keeps a
//! [`Limiter`] per token (and optionally one per workspace, shared by the tokens assigned to it),
//! and makes each request wait, on tokio's clock, until its budgets allow it. Tokens do not wait
//! for each other: workspaces run in parallel, each at its own pace.
//!
//! When Notion answers 429 or 529 anyway, the token's whole queue pauses for `Retry-After`
//! (which may exceed 60 s), not only the request that drew it; a workspace-level 429
//! (`public_api_space_request_rate_limit`) pauses every token of that workspace. The answer
//! itself is passed on: retrying is [`RetryingTransport`](super::retry::RetryingTransport)'s job.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use super::{ApiRequest, ApiResponse, Transport};
use crate::error::Result;
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
}

impl<T: Transport> RateLimitedTransport<T> {
    /// Wraps `inner`; every token gets `default_budget` until told otherwise.
    pub fn new(inner: T, default_budget: RateBudget) -> Self {
        Self {
            inner,
            default_budget,
            gates: Mutex::new(HashMap::new()),
            workspaces: Mutex::new(HashMap::new()),
        }
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

/// Waits until neither gate is paused and both budgets allow one more request.
async fn admit(gates: &TokenGates) {
    loop {
        let pause = [Some(&gates.token), gates.workspace.as_ref()]
            .into_iter()
            .flatten()
            .filter_map(|gate| gate.paused_until())
            .max();
        if let Some(until) = pause {
            tokio::time::sleep_until(until).await;
            continue;
        }
        gates.token.limiter.acquire().await;
        if let Some(workspace) = &gates.workspace {
            workspace.limiter.acquire().await;
        }
        // A 429 may have paused the token while this request waited for its turn.
        if gates.token.paused_until().is_none() {
            return;
        }
    }
}

#[async_trait]
impl<T: Transport> Transport for RateLimitedTransport<T> {
    async fn download(&self, url: &str) -> Result<Vec<u8>> {
        self.inner.download(url).await
    }

    async fn send(&self, request: ApiRequest) -> Result<ApiResponse> {
        let gates = self.gates(&request.token);
        admit(&gates).await;
        let outcome = self.inner.send(request).await;
        if let Ok(response) = &outcome
            && matches!(response.status, 429 | 529)
        {
            let pause = response.retry_after.unwrap_or(DEFAULT_PAUSE);
            let until = Instant::now() + pause;
            tracing::info!(
                "Notion asked to slow down ({}): this token's requests wait {}",
                response.status,
                humantime::format_duration(std::time::Duration::from_millis(
                    pause.as_millis() as u64
                ))
            );
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
}
