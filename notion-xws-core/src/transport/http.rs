//! [`HttpTransport`]: the real Notion API over HTTPS (reqwest, rustls; no OpenSSL).
//!
//! One connection pool per transport, reused across requests and tokens. The base URL is
//! configurable (default `https://api.notion.com`) so that the same transport talks to the fake
//! Notion; plain `http://` is refused except to a loopback address, so a token never travels in
//! clear over a network. Redirects are not followed (the `Authorization` header goes nowhere but
//! the base URL), and the header is marked sensitive so that no debug output shows it.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, DATE, HeaderValue, RETRY_AFTER};
use url::Url;

use super::{ApiRequest, ApiResponse, FormData, Method, Transport};
use crate::error::{Error, Result, TransportErrorKind};

/// The base URL of the real Notion API.
pub const NOTION_API_URL: &str = "https://api.notion.com";

/// The settings of an [`HttpTransport`].
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Where the API is (default [`NOTION_API_URL`]). `http://` only to a loopback address.
    pub base_url: String,
    /// How long one request may take, from sending to the end of the body (default 60 s).
    pub timeout: Duration,
    /// How long connecting may take (default 10 s).
    pub connect_timeout: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            base_url: NOTION_API_URL.to_owned(),
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// The Notion API over HTTP. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
    base_url: Url,
}

impl HttpTransport {
    /// A transport to the real Notion API with the default settings.
    pub fn new() -> Result<Self> {
        Self::with_config(HttpConfig::default())
    }

    /// A transport to the API at `base_url`, with the default timeouts.
    pub fn with_base_url(base_url: &str) -> Result<Self> {
        Self::with_config(HttpConfig {
            base_url: base_url.to_owned(),
            ..HttpConfig::default()
        })
    }

    /// A transport with these settings.
    pub fn with_config(config: HttpConfig) -> Result<Self> {
        let base_url = check_base_url(&config.base_url)?;
        let client = http_client(config.timeout, config.connect_timeout)?;
        Ok(Self { client, base_url })
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }
}

/// The HTTP client of notion-xws (rustls with ring, no redirects followed, its user agent), with
/// these timeouts: the one setup of every HTTP use (Notion's API, and alerts).
pub(crate) fn http_client(timeout: Duration, connect_timeout: Duration) -> Result<reqwest::Client> {
    // reqwest is built without a default crypto provider: ring is ours. Installing fails
    // harmlessly when a provider is already installed (by us or by the embedding program).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("notion-xws/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))
}

/// Parses a base URL: `https://` anywhere, `http://` only to loopback ([`check_url`]).
fn check_base_url(text: &str) -> Result<Url> {
    // (Credentials in it are not echoed.)
    let shown = crate::secret::mask_secrets(text);
    check_url(text, &format!("the base URL {shown:?}"))
}

/// Parses a URL that notion-xws sends to: `https://` anywhere, `http://` only to a loopback
/// address (`127.0.0.1`, `::1`, `localhost`), with a host and without credentials. `what` names
/// it in the errors (which never quote more of it than the caller puts there).
pub(crate) fn check_url(text: &str, what: &str) -> Result<Url> {
    let url =
        Url::parse(text.trim()).map_err(|e| Error::Config(format!("{what} is not a URL: {e}")))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(Error::Config(format!(
                "{what} is plain http to a host that is not loopback; use https"
            )));
        }
        other => {
            return Err(Error::Config(format!(
                "{what} has the scheme {other:?}; use https"
            )));
        }
    }
    if url.host().is_none() {
        return Err(Error::Config(format!("{what} has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(format!("{what} must not hold credentials")));
    }
    Ok(url)
}

/// Reads `Retry-After`: delay-seconds or an HTTP date.
fn retry_after(value: &HeaderValue) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let when = httpdate::parse_http_date(text).ok()?;
    Some(when.duration_since(SystemTime::now()).unwrap_or_default())
}

fn transport_error(error: &reqwest::Error) -> Error {
    let kind = if error.is_timeout() {
        TransportErrorKind::Timeout
    } else if error.is_connect() {
        TransportErrorKind::Connect
    } else if error.is_body() || error.is_decode() {
        TransportErrorKind::InvalidResponse
    } else {
        TransportErrorKind::Request
    };
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    Error::Transport { kind, message }
}

/// A short, printable excerpt of a body that is not JSON.
fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(160)
        .collect();
    flat.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A [`FormData`] as reqwest's multipart form (reqwest writes the boundary and the
/// `Content-Type` header).
fn multipart(form: &FormData) -> Result<reqwest::multipart::Form> {
    let mut encoded = reqwest::multipart::Form::new();
    for part in &form.parts {
        let mut field = reqwest::multipart::Part::bytes(part.data.clone());
        if let Some(filename) = &part.filename {
            field = field.file_name(filename.clone());
        }
        if let Some(content_type) = &part.content_type {
            field = field
                .mime_str(content_type)
                .map_err(|_| Error::Config(format!("{content_type:?} is not a MIME type")))?;
        }
        encoded = encoded.part(part.name.clone(), field);
    }
    Ok(encoded)
}

#[async_trait]
impl Transport for HttpTransport {
    async fn download(&self, url: &str) -> Result<Vec<u8>> {
        // No Authorization header: the URL is signed, and the token is for Notion's API only.
        let shown = url.split('?').next().unwrap_or_default().to_owned();
        let response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| transport_error(&e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(Error::Transport {
                kind: TransportErrorKind::InvalidResponse,
                message: format!("downloading {shown} answered status {}", status.as_u16()),
            });
        }
        let bytes = response.bytes().await.map_err(|e| transport_error(&e))?;
        Ok(bytes.to_vec())
    }

    async fn send(&self, request: ApiRequest) -> Result<ApiResponse> {
        let mut url = self
            .base_url
            .join(request.path.trim_start_matches('/'))
            .map_err(|e| Error::Config(format!("bad request path {:?}: {e}", request.path)))?;
        if !request.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&request.query);
        }
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut authorization = HeaderValue::from_str(&request.authorization()).map_err(|_| {
            Error::Config("the token holds characters a header cannot carry".to_owned())
        })?;
        authorization.set_sensitive(true);
        let mut builder = self
            .client
            .request(method, url)
            .header(AUTHORIZATION, authorization);
        if let Some(version) = &request.notion_version {
            builder = builder.header("Notion-Version", version);
        }
        if let Some(form) = &request.form {
            builder = builder.multipart(multipart(form)?);
        } else if let Some(body) = &request.body {
            builder = builder.header(CONTENT_TYPE, "application/json").body(
                serde_json::to_vec(body).map_err(|e| Error::Decode {
                    what: request.operation(),
                    message: e.to_string(),
                })?,
            );
        }
        let response = builder.send().await.map_err(|e| transport_error(&e))?;
        let status = response.status().as_u16();
        let retry_after = response.headers().get(RETRY_AFTER).and_then(retry_after);
        let date = response
            .headers()
            .get(DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok());
        let bytes = response.bytes().await.map_err(|e| transport_error(&e))?;
        let body = if bytes.iter().all(u8::is_ascii_whitespace) {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|_| Error::Transport {
                kind: TransportErrorKind::InvalidResponse,
                message: format!(
                    "{} answered status {status} with a body that is not Notion's JSON: {:?}",
                    request.operation(),
                    excerpt(&bytes)
                ),
            })?
        };
        tracing::debug!(
            method = %request.method,
            path = %request.path,
            status,
            request_id = body.get("request_id").and_then(|v| v.as_str()).unwrap_or(""),
            "notion request"
        );
        Ok(ApiResponse {
            status,
            retry_after,
            body,
            date,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(check_base_url("https://api.notion.com").is_ok());
        assert!(check_base_url("http://127.0.0.1:8080").is_ok());
        assert!(check_base_url("http://127.1.2.3:8080").is_ok());
        assert!(check_base_url("http://localhost:8080").is_ok());
        assert!(check_base_url("http://[::1]:8080").is_ok());
        for bad in [
            "http://api.notion.com",
            "http://10.0.0.1",
            "ftp://127.0.0.1",
            "not a url",
            "https://user:pw@api.notion.com",
        ] {
            assert!(
                matches!(check_base_url(bad), Err(Error::Config(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(
            retry_after(&HeaderValue::from_static("75")),
            Some(Duration::from_secs(75))
        );
        assert_eq!(
            retry_after(&HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT")),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&HeaderValue::from_static("soon")), None);
        assert_eq!(retry_after(&HeaderValue::from_static("-1")), None);
    }

    #[test]
    fn html_excerpts_are_short_and_flat() {
        let html = b"<html>\n<head><title>502 Bad Gateway</title></head>\r\n<body>cloudflare</body></html>";
        assert_eq!(
            excerpt(html),
            "<html> <head><title>502 Bad Gateway</title></head> <body>cloudflare</body></html>"
        );
    }
}
