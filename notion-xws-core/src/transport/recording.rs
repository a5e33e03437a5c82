//! [`RecordingTransport`]: remembers every request and its outcome, without the token.
//!
//! Tests read the record to assert exact request counts ("the audit made no write"), and the
//! run report counts requests per workspace from it. A [`RecordedRequest`] holds the method,
//! path, query, body and status, and which token sent it only as a label the caller chose
//! (never the token).

use std::collections::HashMap;
use std::sync::Mutex;

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

/// Records every request that passes through. See the [module documentation](self).
#[derive(Debug)]
pub struct RecordingTransport<T> {
    inner: T,
    records: Mutex<Vec<RecordedRequest>>,
    labels: Mutex<HashMap<NotionToken, String>>,
}

impl<T: Transport> RecordingTransport<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            records: Mutex::new(Vec::new()),
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

    /// Every request so far, in the order they were sent.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// How many requests so far.
    pub fn count(&self) -> usize {
        self.records.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Forgets the requests recorded so far.
    pub fn clear(&self) {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

#[async_trait]
impl<T: Transport> Transport for RecordingTransport<T> {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse> {
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
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(record);
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
}
