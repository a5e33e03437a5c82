//! When each request of a run began and ended, on tokio's clock: a transport laid between the
//! client's stack (which waits for the rate limit) and the fake, so that a request's start is
//! when its token's budget admitted it. The gaps in a token's line are the time it was idle, which
//! is what keeps a scenario from its rate-limit bound. `SIM_SYNC_TIMELINE` turns it on.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use notion_xws_core::NotionToken;
use notion_xws_core::error::Result;
use notion_xws_core::transport::{ApiRequest, ApiResponse, DynTransport, Method, Transport};
use tokio::time::Instant;

/// One request as the timeline saw it.
#[derive(Debug, Clone)]
pub struct Line {
    /// When it was sent, from the timeline's start.
    pub began: Duration,
    /// When its answer came back.
    pub ended: Duration,
    /// The token it was sent with.
    pub token: NotionToken,
    /// Its method.
    pub method: Method,
    /// Its path.
    pub path: String,
    /// What a search looked for (its `query`), empty for other requests.
    pub searched: String,
}

/// A transport that records every request it passes on (see the [module](self)).
#[derive(Debug, Clone)]
pub struct Timeline {
    inner: DynTransport,
    lines: Arc<Mutex<(Instant, Vec<Line>)>>,
}

impl Timeline {
    /// Records what goes to `inner`, from now.
    pub fn new(inner: DynTransport) -> Self {
        Self {
            inner,
            lines: Arc::new(Mutex::new((Instant::now(), Vec::new()))),
        }
    }

    /// The requests recorded since the last call (or since it was made), in the order they
    /// ended; the timeline starts again from now.
    pub fn take(&self) -> Vec<Line> {
        let mut lines = self.lines.lock().expect("the timeline's lock");
        lines.0 = Instant::now();
        std::mem::take(&mut lines.1)
    }
}

#[async_trait::async_trait]
impl Transport for Timeline {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse> {
        let began = Instant::now();
        let (token, method, path) = (request.token.clone(), request.method, request.path.clone());
        let searched = request
            .body
            .as_ref()
            .and_then(|b| b.get("query"))
            .and_then(|q| q.as_str())
            .unwrap_or_default()
            .to_owned();
        let answer = self.inner.send(request).await;
        let mut lines = self.lines.lock().expect("the timeline's lock");
        let start = lines.0;
        lines.1.push(Line {
            began: began.saturating_duration_since(start),
            ended: start.elapsed(),
            token,
            method,
            path,
            searched,
        });
        answer
    }
}
