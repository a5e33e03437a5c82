//! The transport: how one Notion API request travels, and the behaviours that wrap it.
//!
//! [`Transport`] is the one seam between the library and Notion: a single method that sends one
//! request (method, path, query, JSON body, token, `Notion-Version`) and returns the status, the
//! `Retry-After` header and the JSON body. Every request of the library goes through it, so the
//! same code runs against the real API ([`HttpTransport`](http::HttpTransport)), against the fake
//! Notion (which implements this trait directly), or against a mock in unit tests.
//!
//! An answer of Notion is an `Ok` whatever its status: turning an error status into an
//! [`Error`] is the client's job, which knows what the request meant. An `Err` means the request
//! got no Notion answer at all (no connection, a timeout, an HTML page from a proxy).
//!
//! Behaviours compose as wrappers around any transport, as object_store's `ThrottledStore` does:
//! rate limiting per token ([`RateLimitedTransport`](rate_limit::RateLimitedTransport)), retries
//! ([`RetryingTransport`](retry::RetryingTransport)) and request recording
//! ([`RecordingTransport`](recording::RecordingTransport)).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::secret::NotionToken;
pub use form::{FormData, FormPart};

pub mod form;
#[cfg(feature = "http")]
pub mod http;
pub mod rate_limit;
pub mod recording;
pub mod retry;
pub mod stack;

/// An HTTP method of the Notion API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// The method's name, uppercase.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }
}

/// A method by its name, in any letter case (`get`, `POST`, …).
impl std::str::FromStr for Method {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self> {
        match name.to_ascii_uppercase().as_str() {
            "GET" => Ok(Self::Get),
            "POST" => Ok(Self::Post),
            "PATCH" => Ok(Self::Patch),
            "DELETE" => Ok(Self::Delete),
            _ => Err(Error::Config(format!("{name:?} is not an HTTP method"))),
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One request to the Notion API.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    /// The HTTP method.
    pub method: Method,
    /// The path, from `/v1/…` on, without the query.
    pub path: String,
    /// The query parameters, in order (a name may repeat, as `filter_properties` does).
    pub query: Vec<(String, String)>,
    /// The JSON body, for `POST` and `PATCH`.
    pub body: Option<serde_json::Value>,
    /// A `multipart/form-data` body instead of JSON (only `POST /v1/file_uploads/{id}/send`
    /// takes one); when set, [`body`](Self::body) is not sent.
    pub form: Option<FormData>,
    /// The integration token the request is sent with (`Authorization: Bearer …`); with
    /// [`client_id`](Self::client_id), the OAuth client's secret instead.
    pub token: NotionToken,
    /// An OAuth client's ID: when set, the request authenticates as that public integration with
    /// HTTP Basic auth (`client_id:client_secret`, [`token`](Self::token) holding the secret),
    /// as Notion's `/v1/oauth/*` endpoints take, instead of a bearer token.
    pub client_id: Option<String>,
    /// The `Notion-Version` header; `None` sends none (Notion answers 400 `missing_version`).
    pub notion_version: Option<String>,
}

impl ApiRequest {
    /// A request with no query and no body.
    pub fn new(
        method: Method,
        path: impl Into<String>,
        token: NotionToken,
        notion_version: impl Into<String>,
    ) -> Self {
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            form: None,
            token,
            client_id: None,
            notion_version: Some(notion_version.into()),
        }
    }

    /// A request of an OAuth client (a public integration), sent with HTTP Basic auth: its
    /// client ID and its secret.
    pub fn oauth(
        method: Method,
        path: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: NotionToken,
        notion_version: impl Into<String>,
    ) -> Self {
        Self {
            client_id: Some(client_id.into()),
            ..Self::new(method, path, client_secret, notion_version)
        }
    }

    /// The `Authorization` header's value: `Bearer <token>`, or `Basic <base64 of
    /// client_id:secret>` for an OAuth client. It holds the secret: only the code that sends the
    /// request reads it.
    pub(crate) fn authorization(&self) -> String {
        use base64::Engine as _;
        match &self.client_id {
            None => format!("Bearer {}", self.token.expose()),
            Some(id) => {
                let pair = format!("{id}:{}", self.token.expose());
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                )
            }
        }
    }

    /// The same request with a JSON body.
    pub fn with_body(mut self, body: serde_json::Value) -> Self {
        self.body = Some(body);
        self
    }

    /// The same request with a `multipart/form-data` body.
    pub fn with_form(mut self, form: FormData) -> Self {
        self.form = Some(form);
        self
    }

    /// The same request with one more query parameter.
    pub fn with_query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Whether the request only reads: every `GET`, and the `POST`s that only read (search,
    /// data-source and view queries).
    pub fn is_read_only(&self) -> bool {
        match self.method {
            Method::Get => true,
            Method::Patch | Method::Delete => false,
            Method::Post => {
                self.path == "/v1/search"
                    || (self.path.starts_with("/v1/data_sources/") && self.path.ends_with("/query"))
                    || (self.path.starts_with("/v1/views/") && self.path.contains("/queries"))
            }
        }
    }

    /// Whether sending the request twice does no more than sending it once: the requests that
    /// only read, and `DELETE`.
    pub fn is_idempotent(&self) -> bool {
        self.method == Method::Delete || self.is_read_only()
    }

    /// `METHOD /path`, for messages and logs (never the token, never the body).
    pub fn operation(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// Notion's answer to one request.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `Retry-After` header, when Notion sent one (429, 529).
    pub retry_after: Option<Duration>,
    /// The JSON body.
    pub body: serde_json::Value,
    /// The `Date` header: Notion's clock when it answered, when it said.
    pub date: Option<std::time::SystemTime>,
}

impl ApiResponse {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Sends one Notion API request. See the [module documentation](self).
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait Transport: Send + Sync + fmt::Debug + 'static {
    /// Sends `request` and returns Notion's answer, whatever its status; `Err` only when there
    /// was no Notion answer (connection, timeout, a body that is not Notion's JSON).
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse>;

    /// The bytes at `url`: a Notion-hosted file's signed URL, fetched without the token (the
    /// signature is the credential). A transport that cannot fetch files says so.
    async fn download(&self, url: &str) -> Result<Vec<u8>> {
        Err(Error::Config(format!(
            "this transport cannot download files ({})",
            url.split('?').next().unwrap_or_default()
        )))
    }
}

/// A shared, type-erased transport.
pub type DynTransport = Arc<dyn Transport>;

#[async_trait]
impl<T: Transport + ?Sized> Transport for Arc<T> {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse> {
        (**self).send(request).await
    }

    async fn download(&self, url: &str) -> Result<Vec<u8>> {
        (**self).download(url).await
    }
}

#[async_trait]
impl<T: Transport + ?Sized> Transport for Box<T> {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse> {
        (**self).send(request).await
    }

    async fn download(&self, url: &str) -> Result<Vec<u8>> {
        (**self).download(url).await
    }
}

#[cfg(test)]
mod tests {
    use super::Method;

    #[test]
    fn a_method_reads_back_from_its_name_in_any_case() {
        for method in [Method::Get, Method::Post, Method::Patch, Method::Delete] {
            assert_eq!(method.as_str().parse::<Method>().unwrap(), method);
            assert_eq!(
                method.as_str().to_lowercase().parse::<Method>().unwrap(),
                method
            );
        }
        assert!("PUT".parse::<Method>().is_err());
    }
}
