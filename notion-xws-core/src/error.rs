//! The library's one error type.
//!
//! [`Error`] has semantic variants (a token Notion refused, an object not found or not shared, a
//! write whose outcome is unknown, …) so that callers match on what happened rather than on HTTP
//! statuses, and each message says what to do. Notion's own error body is kept whole in
//! [`ApiError`] (status, [`ApiErrorCode`], message, `request_id`, `additional_data`) on every
//! variant that came from the API. No variant can hold a token: tokens are
//! [`NotionToken`](crate::NotionToken)s, which do not print.
//!
//! The Python package maps every variant to an exception class in one place
//! (`notion-xws-py/src/errors.rs`).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ids::{IdError, ObjectId, RequestId};
use crate::link::LinkError;
use crate::secret::TokenError;

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Notion's error codes (the `code` of an error body), with a fallback for codes added later.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiErrorCode {
    /// 400 `invalid_json`: the body is not JSON.
    InvalidJson,
    /// 400 `invalid_request_url`: no such endpoint (or not in this API version).
    InvalidRequestUrl,
    /// 400 `invalid_request`: the request is not supported.
    InvalidRequest,
    /// 400 `invalid_grant`: an OAuth grant was refused.
    InvalidGrant,
    /// 400 `validation_error`: the body or the parameters failed validation.
    ValidationError,
    /// 400 `missing_version`: the `Notion-Version` header is missing.
    MissingVersion,
    /// 401 `unauthorized`: the token is invalid or revoked.
    Unauthorized,
    /// 403 `restricted_resource`: the integration lacks a capability (or the workspace is blocked).
    RestrictedResource,
    /// 404 `object_not_found`: missing, or not shared with the integration.
    ObjectNotFound,
    /// 409 `conflict_error`: a concurrent change; re-read and decide.
    ConflictError,
    /// 429 `rate_limited`.
    RateLimited,
    /// 500 `internal_server_error`.
    InternalServerError,
    /// 502 `bad_gateway`.
    BadGateway,
    /// 503 `service_unavailable`.
    ServiceUnavailable,
    /// 503 `database_connection_unavailable`.
    DatabaseConnectionUnavailable,
    /// 504 `gateway_timeout`.
    GatewayTimeout,
    /// 529 `service_overload`.
    ServiceOverload,
    /// A code this library does not know yet, as Notion wrote it.
    Other(String),
}

impl ApiErrorCode {
    const KNOWN: [(&'static str, ApiErrorCode); 17] = [
        ("invalid_json", Self::InvalidJson),
        ("invalid_request_url", Self::InvalidRequestUrl),
        ("invalid_request", Self::InvalidRequest),
        ("invalid_grant", Self::InvalidGrant),
        ("validation_error", Self::ValidationError),
        ("missing_version", Self::MissingVersion),
        ("unauthorized", Self::Unauthorized),
        ("restricted_resource", Self::RestrictedResource),
        ("object_not_found", Self::ObjectNotFound),
        ("conflict_error", Self::ConflictError),
        ("rate_limited", Self::RateLimited),
        ("internal_server_error", Self::InternalServerError),
        ("bad_gateway", Self::BadGateway),
        ("service_unavailable", Self::ServiceUnavailable),
        (
            "database_connection_unavailable",
            Self::DatabaseConnectionUnavailable,
        ),
        ("gateway_timeout", Self::GatewayTimeout),
        ("service_overload", Self::ServiceOverload),
    ];

    /// The code as Notion writes it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Other(code) => code,
            known => Self::KNOWN
                .iter()
                .find(|(_, code)| code == known)
                .map_or("", |(text, _)| text),
        }
    }

    /// The code for Notion's text.
    pub fn parse(text: &str) -> Self {
        Self::KNOWN
            .iter()
            .find(|(known, _)| *known == text)
            .map_or_else(|| Self::Other(text.to_owned()), |(_, code)| code.clone())
    }
}

impl fmt::Display for ApiErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ApiErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ApiErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(Self::parse(&text))
    }
}

/// An error body as Notion sends it: `{"object":"error","status","code","message","request_id",
/// "additional_data"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// Notion's error code.
    pub code: ApiErrorCode,
    /// Notion's message.
    pub message: String,
    /// The ID of the request, for Notion's support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<RequestId>,
    /// Notion's `additional_data` (`rate_limit_reason`, `integration_id`, `committed_resource_id`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_data: Option<serde_json::Map<String, serde_json::Value>>,
}

impl ApiError {
    /// A string of `additional_data`, if present.
    pub fn additional(&self, key: &str) -> Option<&str> {
        self.additional_data.as_ref()?.get(key)?.as_str()
    }

    /// The integration a 404 names (Notion's message ends with `…shared with your integration "X".`).
    pub fn integration_name(&self) -> Option<&str> {
        let (_, rest) = self.message.split_once("integration \"")?;
        rest.rsplit_once('"').map(|(name, _)| name)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)?;
        if let Some(id) = self.request_id {
            write!(f, " (request {id})")?;
        }
        Ok(())
    }
}

/// What went wrong below the API: the request did not get a Notion answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made.
    Connect,
    /// No answer in time.
    Timeout,
    /// An answer that is not a Notion answer (an HTML page from a proxy, malformed JSON).
    InvalidResponse,
    /// The request could not be built or sent.
    Request,
}

/// Every error of the library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A Notion ID that does not parse.
    #[error("invalid Notion ID: {0}")]
    InvalidId(#[from] IdError),
    /// A Notion link that does not parse.
    #[error("invalid Notion link: {0}")]
    InvalidLink(#[from] LinkError),
    /// A token that cannot be read (missing variable, empty, malformed).
    #[error("invalid token configuration: {0}")]
    InvalidToken(#[from] TokenError),
    /// Notion refused the token (401): it is wrong or was revoked.
    #[error(
        "Notion refused the token ({0}): it is wrong or was revoked; create a new token for this integration"
    )]
    Unauthorized(Box<ApiError>),
    /// The integration may not do this (403): a missing capability, or the workspace's block limit.
    #[error(
        "the integration may not do this ({0}); give it the capability in the integration's settings"
    )]
    Forbidden(Box<ApiError>),
    /// The object does not exist, or is not shared with the integration (404: Notion cannot tell).
    #[error("{}", not_found_message(.0))]
    NotFound(Box<ApiError>),
    /// Notion rejected the request as invalid (400).
    #[error("Notion rejected the request ({0})")]
    Validation(Box<ApiError>),
    /// A concurrent change got in the way (409); re-read and decide.
    #[error("conflicting change ({0}); re-read the object and try again")]
    Conflict(Box<ApiError>),
    /// Rate-limited, and the retries allowed did not get through, or Notion asked to wait longer
    /// than the bound on waits (`--max-wait`); the message says when to try again.
    #[error("rate-limited by Notion ({error}); {}", when_to_retry(*.retry_after))]
    RateLimited {
        /// Notion's answer.
        error: Box<ApiError>,
        /// How long Notion asked to wait.
        retry_after: Option<Duration>,
    },
    /// Notion failed (5xx or 529) and retrying did not help, or the call may not be retried.
    #[error("Notion is unavailable ({0}); try again later")]
    Unavailable(Box<ApiError>),
    /// A write whose outcome is unknown (a timeout or a 5xx): it may or may not have been applied.
    /// It is never sent again blindly: the caller reads the target back to settle it, or leaves
    /// it to the next run.
    #[error(
        "the outcome of {operation} is unknown ({cause}): it may have been applied, so it was not \
         sent again; the next run finds what was written and finishes it"
    )]
    AmbiguousWrite {
        /// The request, as `METHOD /path`.
        operation: String,
        /// What happened.
        cause: String,
        /// The object Notion says it saved, when it said so (`committed_resource_id`).
        committed_resource_id: Option<ObjectId>,
        /// Notion's answer, when there was one.
        api: Option<Box<ApiError>>,
    },
    /// Any other answer of the API that none of the variants above describes.
    #[error("Notion answered {0}")]
    Api(Box<ApiError>),
    /// The request got no Notion answer.
    #[error("{kind:?} error talking to Notion: {message}")]
    Transport {
        /// What kind of failure.
        kind: TransportErrorKind,
        /// What happened, without the token.
        message: String,
    },
    /// A Notion answer that does not have the expected shape.
    #[error("unexpected answer from Notion for {what}: {message}")]
    Decode {
        /// What was being read.
        what: String,
        /// What did not fit.
        message: String,
    },
    /// A configuration that makes no sense (a bad base URL, a missing option, …).
    #[error("configuration error: {0}")]
    Config(String),
    /// The registry cannot be used as it is (a registry database missing, or found twice).
    #[error("registry error: {0}")]
    Registry(String),
    /// A registry table or a table of tokens named as a sync source or target: never synced, so
    /// that no token is ever copied into another workspace.
    #[error(
        "refused: {0}; remove it from system-databases (or point the row at the database meant)"
    )]
    Protected(String),
    /// A saved plan (`sync --execute --plan FILE`) no longer holds: what changed since it was
    /// made (a row edited on either side, a schema, the registry's pairs). Nothing was written;
    /// make a new plan and review it. Exit status 3: a person decides.
    #[error(
        "the saved plan no longer holds, nothing was written: {}; make a new plan \
         (`notion-xws plan --out FILE`), review it and apply that one",
        .0.join("; ")
    )]
    PlanStale(Vec<String>),
    /// The run was cancelled (Ctrl-C) before it finished.
    #[error("cancelled")]
    Cancelled,
}

fn when_to_retry(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(after) => format!(
            "Notion asks to wait {}: try again after that (waits longer than --max-wait are not \
             waited out)",
            crate::transport::retry::say(after)
        ),
        None => "the retries allowed did not get through: try again in a few minutes".to_owned(),
    }
}

fn not_found_message(error: &ApiError) -> String {
    let who = error.integration_name().map_or_else(
        || "the integration".to_owned(),
        |name| format!("the integration \"{name}\""),
    );
    format!(
        "not found, or not shared with {who} ({error}); share the page or database with {who}, or check that the ID belongs to this workspace"
    )
}

impl Error {
    /// The error for a Notion error body, by its status and code.
    pub fn from_api(error: ApiError) -> Self {
        let error = Box::new(error);
        match (error.status, &error.code) {
            (401, _) | (_, ApiErrorCode::Unauthorized) => Self::Unauthorized(error),
            (403, _) | (_, ApiErrorCode::RestrictedResource) => Self::Forbidden(error),
            (404, _) | (_, ApiErrorCode::ObjectNotFound) => Self::NotFound(error),
            (409, _) => Self::Conflict(error),
            (429, _) => Self::RateLimited {
                retry_after: error
                    .additional("retry_after")
                    .and_then(|s| s.parse().ok())
                    .map(Duration::from_secs),
                error,
            },
            (400, _) => Self::Validation(error),
            (500..=599, _) => Self::Unavailable(error),
            _ => Self::Api(error),
        }
    }

    /// Notion's error body, when the error came from the API.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Unauthorized(e)
            | Self::Forbidden(e)
            | Self::NotFound(e)
            | Self::Validation(e)
            | Self::Conflict(e)
            | Self::Unavailable(e)
            | Self::Api(e)
            | Self::RateLimited { error: e, .. } => Some(e),
            Self::AmbiguousWrite { api, .. } => api.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status, when the error came from the API.
    pub fn status(&self) -> Option<u16> {
        self.api().map(|e| e.status)
    }

    /// Notion's error code, when the error came from the API.
    pub fn code(&self) -> Option<&ApiErrorCode> {
        self.api().map(|e| &e.code)
    }

    /// Notion's request ID, when the error came from the API.
    pub fn request_id(&self) -> Option<RequestId> {
        self.api().and_then(|e| e.request_id)
    }

    /// The exit status of a run this error stopped: 2 for usage and configuration (the control
    /// token, the base URL, the registry, bad input: a person must fix it), 3 for a saved plan
    /// that no longer holds (a person reviews a new plan; nothing was written), else 1.
    pub fn exit_status(&self) -> i32 {
        match self {
            Self::Config(_)
            | Self::Registry(_)
            | Self::Protected(_)
            | Self::InvalidToken(_)
            | Self::InvalidId(_)
            | Self::InvalidLink(_)
            | Self::Unauthorized(_) => 2,
            Self::PlanStale(_) => 3,
            _ => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, code: &str, message: &str) -> ApiError {
        ApiError {
            status,
            code: ApiErrorCode::parse(code),
            message: message.into(),
            request_id: Some(RequestId::parse("2f3f62ed-c8e9-4523-9202-094a910f7132").unwrap()),
            additional_data: None,
        }
    }

    #[test]
    fn codes_round_trip() {
        for (text, code) in ApiErrorCode::KNOWN {
            assert_eq!(ApiErrorCode::parse(text), code);
            assert_eq!(code.as_str(), text);
        }
        assert_eq!(ApiErrorCode::parse("brand_new").as_str(), "brand_new");
    }

    #[test]
    fn not_found_names_the_integration_and_the_fix() {
        let error = Error::from_api(api(
            404,
            "object_not_found",
            "Could not find page with ID: 00000000-0000-0000-0000-000000000000. Make sure the relevant pages and databases are shared with your integration \"notion-sdk-py\".",
        ));
        let text = error.to_string();
        assert!(matches!(error, Error::NotFound(_)));
        assert!(
            text.contains("share the page or database with the integration \"notion-sdk-py\""),
            "{text}"
        );
        assert_eq!(
            error.request_id().unwrap().to_string(),
            "2f3f62ed-c8e9-4523-9202-094a910f7132"
        );
        assert_eq!(error.status(), Some(404));
    }

    #[test]
    fn statuses_map_to_semantic_variants() {
        assert!(matches!(
            Error::from_api(api(401, "unauthorized", "API token is invalid.")),
            Error::Unauthorized(_)
        ));
        assert!(matches!(
            Error::from_api(api(403, "restricted_resource", "")),
            Error::Forbidden(_)
        ));
        assert!(matches!(
            Error::from_api(api(400, "validation_error", "")),
            Error::Validation(_)
        ));
        assert!(matches!(
            Error::from_api(api(409, "conflict_error", "")),
            Error::Conflict(_)
        ));
        assert!(matches!(
            Error::from_api(api(503, "service_unavailable", "")),
            Error::Unavailable(_)
        ));
        assert!(matches!(
            Error::from_api(api(529, "service_overload", "")),
            Error::Unavailable(_)
        ));
        assert!(matches!(
            Error::from_api(api(418, "teapot", "")),
            Error::Api(_)
        ));
        let mut limited = api(429, "rate_limited", "");
        limited.additional_data = Some(serde_json::from_str(r#"{"retry_after":"75"}"#).unwrap());
        assert!(matches!(
            Error::from_api(limited),
            Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(75)
        ));
    }
}
