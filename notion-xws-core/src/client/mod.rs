//! [`NotionClient`]: the typed operations of the Notion API, for one token.
//!
//! A client holds a token, an API version and a shared [`Transport`](crate::transport::Transport); clients of different
//! tokens share one transport (and so one connection pool and one rate-limit table). Every
//! answer is turned into a typed result or a semantic [`Error`] here, in one place
//! ([`NotionClient::send`]):
//!
//! - a 2xx body is decoded into the model asked for;
//! - an error body becomes the [`Error`] variant of its status and code, with Notion's message
//!   and `request_id`;
//! - a write that timed out or drew a 5xx becomes [`Error::AmbiguousWrite`] (with
//!   `committed_resource_id` when Notion sent it): it may have been applied, and is never sent
//!   again blindly.
//!
//! Lists come as streams ([`pagination`]) that follow every cursor; data-source queries go past
//! Notion's 10,000-result cap by windowing on `created_time`. The writes the sync and the repair
//! send, and what may be done when one's outcome is unknown, are in [`writes`]. A client over
//! the standard transport stack, to Notion over HTTP or to the fake in memory, is made by
//! [`connect::connect`].
//!
//! Notion adds object types often: a search or query result of an `object` this library does not
//! know is skipped, never failing the list, and counted in the client's [`Skipped`] tally
//! (shared by its clones and its other tokens' clients), which a run's report lists.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;

use crate::error::{ApiError, Error, Result, TransportErrorKind};
use crate::ids::ObjectId;
use crate::secret::NotionToken;
use crate::transport::{ApiRequest, ApiResponse, DynTransport, Method};

pub mod connect;
mod operations;
pub use operations::Identity;
pub mod pagination;
pub mod writes;

/// A `Notion-Version`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NotionVersion(String);

impl NotionVersion {
    /// The version this library speaks by default.
    pub const LATEST: &'static str = "2026-03-11";
    /// The first version with data sources; its responses also carry `archived`.
    pub const DATA_SOURCES: &'static str = "2025-09-03";

    /// A version by its date, `YYYY-MM-DD`. Versions before 2025-09-03 have no data sources and
    /// are refused.
    pub fn new(date: &str) -> Result<Self> {
        let date = date.trim();
        let well_formed = date.len() == 10
            && date.char_indices().all(|(i, c)| {
                if i == 4 || i == 7 {
                    c == '-'
                } else {
                    c.is_ascii_digit()
                }
            });
        if !well_formed {
            return Err(Error::Config(format!(
                "{date:?} is not a Notion-Version (YYYY-MM-DD)"
            )));
        }
        if date < Self::DATA_SOURCES {
            return Err(Error::Config(format!(
                "Notion-Version {date} predates data sources; use {} or later",
                Self::DATA_SOURCES
            )));
        }
        Ok(Self(date.to_owned()))
    }

    /// The version as sent in the header.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for NotionVersion {
    fn default() -> Self {
        Self(Self::LATEST.to_owned())
    }
}

impl fmt::Display for NotionVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The answers of kinds this library does not know yet, skipped: how many, by what they were
/// (`object "ai_agent" in POST /v1/search`). Clones share the tally.
#[derive(Debug, Clone, Default)]
pub struct Skipped(Arc<Mutex<BTreeMap<String, u64>>>);

impl Skipped {
    /// Counts one result of `object` skipped in the answer to `operation` (`METHOD /path`,
    /// whose IDs are left out so that a kind counts once across requests), and logs it.
    pub fn note(&self, object: &str, operation: &str) {
        let object: String = object.chars().take(64).collect();
        let operation: String = operation
            .split('/')
            .map(|part| {
                if crate::ids::ObjectId::parse(part).is_ok() {
                    "{id}"
                } else {
                    part
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let what = format!("object {object:?} in {operation}");
        tracing::warn!("skipped an answer of a kind not known yet: {what}");
        let mut tally = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *tally.entry(what).or_default() += 1;
    }

    /// The tally itself (to tell whether two clients share one).
    pub fn shared(&self) -> &Arc<Mutex<BTreeMap<String, u64>>> {
        &self.0
    }

    /// The tally so far.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// What was counted since `before` (an earlier [`counts`](Self::counts)).
    pub fn since(&self, before: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
        self.counts()
            .into_iter()
            .filter_map(|(what, n)| {
                let n = n - before.get(&what).copied().unwrap_or(0).min(n);
                (n > 0).then_some((what, n))
            })
            .collect()
    }
}

/// The Notion API for one token. See the [module documentation](self).
#[derive(Clone)]
pub struct NotionClient {
    transport: DynTransport,
    token: NotionToken,
    version: NotionVersion,
    /// The latest `Date` Notion's answers carried (ms since the Unix epoch; 0: none yet), shared
    /// by the clients of one transport.
    server_time: std::sync::Arc<std::sync::atomic::AtomicU64>,
    skipped: Skipped,
    /// The token's bot user, once asked ([`bot_id`](Self::bot_id)), shared by the clients made
    /// from this one with the same token.
    bot: std::sync::Arc<tokio::sync::OnceCell<crate::ids::UserId>>,
    /// Whether a query with `in_trash: true` was seen to list live rows with the trashed ones
    /// (Notion does not document which it does), shared by every client made from this one: then
    /// one such query lists every row edited since a time ([`query_changed_since`]).
    ///
    /// [`query_changed_since`]: Self::query_changed_since
    trash_lists_live: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl fmt::Debug for NotionClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotionClient")
            .field("transport", &self.transport)
            .field("token", &self.token)
            .field("version", &self.version)
            .finish()
    }
}

impl NotionClient {
    /// A client of `token` over `transport`, speaking the latest API version.
    pub fn new(transport: DynTransport, token: NotionToken) -> Self {
        Self {
            transport,
            token,
            version: NotionVersion::default(),
            server_time: std::sync::Arc::default(),
            skipped: Skipped::default(),
            bot: std::sync::Arc::default(),
            trash_lists_live: std::sync::Arc::default(),
        }
    }

    /// A client of another token over the same transport, speaking the same version (and
    /// sharing the [`Skipped`] tally).
    pub fn for_token(&self, token: NotionToken) -> Self {
        Self {
            transport: std::sync::Arc::clone(&self.transport),
            token,
            version: self.version.clone(),
            server_time: std::sync::Arc::clone(&self.server_time),
            skipped: self.skipped.clone(),
            bot: std::sync::Arc::default(),
            trash_lists_live: std::sync::Arc::clone(&self.trash_lists_live),
        }
    }

    /// The same client (token, version, [`Skipped`] tally, what it knows of Notion's clock and of
    /// its bot user) over another transport, such as one that wraps this client's (and counts
    /// its requests).
    pub fn over(&self, transport: DynTransport) -> Self {
        Self {
            transport,
            token: self.token.clone(),
            version: self.version.clone(),
            server_time: std::sync::Arc::clone(&self.server_time),
            skipped: self.skipped.clone(),
            bot: std::sync::Arc::clone(&self.bot),
            trash_lists_live: std::sync::Arc::clone(&self.trash_lists_live),
        }
    }

    /// The same client, knowing its token's bot user to be `bot` (as a [`me`](Self::me) just
    /// answered), so that [`bot_id`](Self::bot_id) need not ask.
    pub fn knowing_bot(mut self, bot: crate::ids::UserId) -> Self {
        self.bot = std::sync::Arc::new(tokio::sync::OnceCell::new_with(Some(bot)));
        self
    }

    /// The answers of kinds not known yet that this client (and the clients sharing its tally)
    /// skipped.
    pub fn skipped(&self) -> &Skipped {
        &self.skipped
    }

    /// The same client speaking `version`.
    pub fn with_version(mut self, version: NotionVersion) -> Self {
        self.version = version;
        self
    }

    /// Notion's clock as its latest answer said (its `Date` header), when one did: a time at
    /// or before which every answer received so far was made.
    pub fn server_time(&self) -> Option<std::time::SystemTime> {
        match self.server_time.load(std::sync::atomic::Ordering::Relaxed) {
            0 => None,
            ms => Some(std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms)),
        }
    }

    /// The API version spoken.
    pub fn version(&self) -> &NotionVersion {
        &self.version
    }

    /// The token (it does not print).
    pub fn token(&self) -> &NotionToken {
        &self.token
    }

    /// The transport.
    pub fn transport(&self) -> &DynTransport {
        &self.transport
    }

    /// A request of this client (its token and version), with no query and no body.
    pub fn request(&self, method: Method, path: impl Into<String>) -> ApiRequest {
        ApiRequest::new(method, path, self.token.clone(), self.version.as_str())
    }

    /// Sends `request` and decodes the answer into `T`, or into the [`Error`] it means.
    pub async fn send<T: DeserializeOwned>(&self, request: ApiRequest) -> Result<T> {
        let operation = request.operation();
        let read_only = request.is_read_only();
        let outcome = self.transport.send(request).await;
        if let Some(ms) = outcome
            .as_ref()
            .ok()
            .and_then(|r| r.date)
            .and_then(|d| d.duration_since(std::time::UNIX_EPOCH).ok())
            .and_then(|d| u64::try_from(d.as_millis()).ok())
        {
            self.server_time
                .fetch_max(ms, std::sync::atomic::Ordering::Relaxed);
        }
        let body = interpret(&operation, read_only, outcome)?;
        serde_json::from_value(body).map_err(|e| Error::Decode {
            what: operation,
            message: quoted(&e.to_string()),
        })
    }
}

/// A message that may quote Notion's answer (serde quotes the value it could not read): at most
/// 500 characters, anything token-shaped hidden (a registry cell read wrongly holds a token).
fn quoted(message: &str) -> String {
    let mut cut: String = message.chars().take(500).collect();
    if cut.len() < message.len() {
        cut.push('…');
    }
    crate::secret::mask_secrets(&cut)
}

/// Turns one outcome into a body or an [`Error`]. Pure, so that every case is tested alone.
pub(crate) fn interpret(
    operation: &str,
    read_only: bool,
    outcome: Result<ApiResponse>,
) -> Result<serde_json::Value> {
    let response = match outcome {
        Ok(response) => response,
        Err(Error::Transport { kind, message })
            if !read_only
                && matches!(
                    kind,
                    TransportErrorKind::Timeout | TransportErrorKind::InvalidResponse
                ) =>
        {
            return Err(Error::AmbiguousWrite {
                operation: operation.to_owned(),
                cause: message,
                committed_resource_id: None,
                api: None,
            });
        }
        Err(error) => return Err(error),
    };
    if response.is_success() {
        return Ok(response.body);
    }
    let status = response.status;
    let api: ApiError =
        serde_json::from_value(response.body.clone()).map_err(|_| Error::Decode {
            what: operation.to_owned(),
            message: format!(
                "status {status} with a body that is not a Notion error: {}",
                quoted(
                    &response
                        .body
                        .to_string()
                        .chars()
                        .take(200)
                        .collect::<String>()
                )
            ),
        })?;
    if !read_only && (500..=599).contains(&status) && status != 529 {
        let committed_resource_id = api
            .additional("committed_resource_id")
            .and_then(|id| ObjectId::parse(id).ok());
        return Err(Error::AmbiguousWrite {
            operation: operation.to_owned(),
            cause: format!("status {status}"),
            committed_resource_id,
            api: Some(Box::new(api)),
        });
    }
    let mut error = Error::from_api(api);
    if let Error::RateLimited { retry_after, .. } = &mut error
        && response.retry_after.is_some()
    {
        *retry_after = response.retry_after;
    }
    Err(error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(status: u16, body: serde_json::Value) -> Result<ApiResponse> {
        Ok(ApiResponse {
            status,
            retry_after: None,
            date: None,
            body,
        })
    }

    fn error_body(status: u16, code: &str, extra: serde_json::Value) -> serde_json::Value {
        let mut body = json!({
            "object": "error", "status": status, "code": code, "message": "m",
            "request_id": "2f3f62ed-c8e9-4523-9202-094a910f7132"
        });
        if let Some(data) = extra.as_object() {
            body["additional_data"] = json!(data);
        }
        body
    }

    #[test]
    fn versions() {
        assert_eq!(NotionVersion::default().as_str(), "2026-03-11");
        assert!(NotionVersion::new("2025-09-03").is_ok());
        assert!(matches!(
            NotionVersion::new("2022-06-28"),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            NotionVersion::new("latest"),
            Err(Error::Config(_))
        ));
    }

    #[test]
    fn a_5xx_on_a_write_is_ambiguous_and_keeps_the_committed_id() {
        let body = error_body(
            503,
            "service_unavailable",
            json!({"committed_resource_id": "393abc1e-edcd-8169-85ce-c64d3d3f20fd"}),
        );
        let error = interpret("POST /v1/pages", false, answer(503, body)).unwrap_err();
        match error {
            Error::AmbiguousWrite {
                committed_resource_id: Some(id),
                api: Some(api),
                ..
            } => {
                assert_eq!(id.to_string(), "393abc1e-edcd-8169-85ce-c64d3d3f20fd");
                assert_eq!(api.status, 503);
            }
            other => panic!("{other:?}"),
        }
        // The same on a read is a plain failure.
        let body = error_body(503, "service_unavailable", json!(null));
        assert!(matches!(
            interpret("GET /v1/pages/x", true, answer(503, body)),
            Err(Error::Unavailable(_))
        ));
    }

    #[test]
    fn a_timeout_on_a_write_is_ambiguous_and_on_a_read_is_not() {
        let timeout = || {
            Err(Error::Transport {
                kind: TransportErrorKind::Timeout,
                message: "timed out".into(),
            })
        };
        assert!(matches!(
            interpret("PATCH /v1/pages/x", false, timeout()),
            Err(Error::AmbiguousWrite { .. })
        ));
        assert!(matches!(
            interpret("GET /v1/pages/x", true, timeout()),
            Err(Error::Transport { .. })
        ));
    }

    #[test]
    fn error_bodies_become_semantic_errors() {
        let error = interpret(
            "GET /v1/users/me",
            true,
            answer(401, error_body(401, "unauthorized", json!(null))),
        )
        .unwrap_err();
        assert!(matches!(error, Error::Unauthorized(_)));
        assert_eq!(
            error.request_id().unwrap().to_string(),
            "2f3f62ed-c8e9-4523-9202-094a910f7132"
        );
        let limited = ApiResponse {
            status: 429,
            retry_after: Some(std::time::Duration::from_secs(30)),
            date: None,
            body: error_body(429, "rate_limited", json!(null)),
        };
        assert!(matches!(
            interpret("GET /v1/users/me", true, Ok(limited)),
            Err(Error::RateLimited { retry_after: Some(d), .. }) if d.as_secs() == 30
        ));
        assert!(matches!(
            interpret("GET /v1/users/me", true, answer(502, json!("oops"))),
            Err(Error::Decode { .. })
        ));
    }
}
