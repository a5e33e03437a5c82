//! The request log: one line per request the fake received, for tests to assert on.
//!
//! A [`LoggedRequest`] names the workspace and the integration by their names, never by token:
//! the log can be printed in a failing test without leaking anything.

use crate::transport::Method;

/// One request the fake received, and how it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// The HTTP method.
    pub method: Method,
    /// The path, without the query (`/v1/pages/…`).
    pub path: String,
    /// The status answered; 0 when the request got no answer (a timeout fault).
    pub status: u16,
    /// The workspace of the token, when the token was known.
    pub workspace: Option<String>,
    /// The integration of the token, when the token was known.
    pub integration: Option<String>,
    /// The fault injected, if any (`"rate_limited"`, `"timeout_after_write"`, …).
    pub fault: Option<String>,
}
