//! [`RecordingTransport`]: remembers every request and its outcome, without the token.
//!
//! Tests read the record to assert exact request counts ("the audit made no write"), and the
//! run report counts requests per workspace from it. A [`RecordedRequest`] holds the method,
//! path, query, body and status, and which token sent it only as a label the caller chose
//! (never the token).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use serde::Serialize;

use super::{ApiRequest, ApiResponse, Method, Transport};
use crate::error::Result;
use crate::secret::NotionToken;

/// One request as sent, and what came of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedRequest {
    /// The method.
    pub method: Method,
    /// The path.
    pub path: String,
    /// The query parameters.
    pub query: Vec<(String, String)>,
    /// The JSON body.
    pub body: Option<serde_json::Value>,
    /// The label of the token that sent it (see [`RecordingTransport::label_token`]), if any.
    pub token_label: Option<String>,
    /// The status of the answer, or `None` when there was no answer.
    pub status: Option<u16>,
    /// Whether the request may change something in Notion (see [`ApiRequest::is_read_only`]).
    pub is_write: bool,
}

/// Records every request that passes through (the latest ones, when bounded). See the
/// [module documentation](self).
#[derive(Debug)]
pub struct RecordingTransport<T> {
    inner: T,
    records: Mutex<VecDeque<RecordedRequest>>,
    keep: usize,
    count: AtomicUsize,
    labels: Mutex<HashMap<NotionToken, String>>,
}

impl<T: Transport> RecordingTransport<T> {
    /// Wraps `inner`, keeping every request (for tests: a long sync would keep every body).
    pub fn new(inner: T) -> Self {
        Self::bounded(inner, usize::MAX)
    }

    /// Wraps `inner`, keeping the latest `keep` requests (every request is counted).
    pub fn bounded(inner: T, keep: usize) -> Self {
        Self {
            inner,
            records: Mutex::new(VecDeque::new()),
            keep,
            count: AtomicUsize::new(0),
            labels: Mutex::new(HashMap::new()),
        }
    }

    /// The transport wrapped.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// Records the requests of `token` under `label` (a workspace's name, say).
    pub fn label_token(&self, token: &NotionToken, label: impl Into<String>) {
        self.labels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token.clone(), label.into());
    }

    /// The requests kept (every one, or the latest when bounded), in the order they were sent.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// How many requests so far (all of them, kept or not).
    pub fn count(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// Forgets the requests recorded so far, and their count.
    pub fn clear(&self) {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.count.store(0, Ordering::Relaxed);
    }
}

#[async_trait]
impl<T: Transport> Transport for RecordingTransport<T> {
    async fn download(&self, url: &str) -> Result<Vec<u8>> {
        self.inner.download(url).await
    }

    async fn send(&self, request: ApiRequest) -> Result<ApiResponse> {
        if self.keep == 0 {
            // Counted, not kept: nothing to copy.
            let outcome = self.inner.send(request).await;
            self.count.fetch_add(1, Ordering::Relaxed);
            return outcome;
        }
        let token_label = self
            .labels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&request.token)
            .cloned();
        let mut record = RecordedRequest {
            is_write: !request.is_read_only(),
            method: request.method,
            path: request.path.clone(),
            query: request.query.clone(),
            body: request.body.clone(),
            token_label,
            status: None,
        };
        let outcome = self.inner.send(request).await;
        record.status = outcome.as_ref().ok().map(|r| r.status);
        self.count.fetch_add(1, Ordering::Relaxed);
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        if records.len() >= self.keep {
            records.pop_front();
        }
        records.push_back(record);
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::MockTransport;
    use serde_json::json;

    #[tokio::test]
    async fn records_without_the_token() {
        let mut mock = MockTransport::new();
        mock.expect_send().returning(|_| {
            Ok(ApiResponse {
                status: 200,
                retry_after: None,
                date: None,
                body: json!({}),
            })
        });
        let transport = RecordingTransport::new(mock);
        let token = NotionToken::new("ntn_canary_recording").unwrap();
        transport.label_token(&token, "acme");
        let request = ApiRequest::new(Method::Post, "/v1/pages", token, "2026-03-11")
            .with_body(json!({"properties": {}}));
        transport.send(request).await.unwrap();
        let records = transport.requests();
        assert_eq!(records.len(), 1);
        assert!(records[0].is_write);
        assert_eq!(records[0].token_label.as_deref(), Some("acme"));
        assert_eq!(records[0].status, Some(200));
        let dump = format!("{records:?} {}", serde_json::to_string(&records).unwrap());
        assert!(!dump.contains("ntn_canary_recording"));
    }

    /// A record keeping `keep` over a transport that answers 200, after `sent` requests.
    async fn bounded_after(keep: usize, sent: usize) -> RecordingTransport<MockTransport> {
        let mut mock = MockTransport::new();
        mock.expect_send().returning(|_| {
            Ok(ApiResponse {
                status: 200,
                retry_after: None,
                date: None,
                body: json!({}),
            })
        });
        let transport = RecordingTransport::bounded(mock, keep);
        let token = NotionToken::new("ntn_bounded").unwrap();
        for n in 0..sent {
            let request = ApiRequest::new(
                Method::Get,
                format!("/v1/pages/{n}"),
                token.clone(),
                "2026-03-11",
            );
            transport.send(request).await.unwrap();
        }
        transport
    }

    #[tokio::test]
    async fn a_bounded_record_keeps_the_latest_and_counts_all() {
        let transport = bounded_after(2, 5).await;
        assert_eq!(transport.count(), 5);
        let kept: Vec<String> = transport.requests().into_iter().map(|r| r.path).collect();
        assert_eq!(kept, ["/v1/pages/3", "/v1/pages/4"]);
        // Keeping none, it counts still.
        let counting = bounded_after(0, 3).await;
        assert_eq!((counting.count(), counting.requests().len()), (3, 0));
    }
}
