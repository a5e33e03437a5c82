//! The fake over HTTP: an axum server on 127.0.0.1 that only converts.
//!
//! Each HTTP request becomes the same [`Incoming`] the in-memory transport builds (the
//! `Authorization` header read by [`Auth::from_header`], `Notion-Version`, the query, the body
//! parsed as JSON, or as `multipart/form-data` when its `Content-Type` says so, or marked invalid),
//! goes through the one handler, and its [`Outgoing`] becomes an HTTP response with a JSON body
//! and, for 429 and 529, a `Retry-After` header. A timeout fault holds the request for
//! [`FaultConfig::hang`](super::FaultConfig::hang) so the client's own timeout fires. The server
//! stops on [`FakeServer::shutdown`] or when the [`FakeServer`] is dropped.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::FakeNotion;
use super::handlers::{Auth, Body, Incoming, Outgoing};
use crate::error::{Error, Result};
use crate::transport::{FormData, FormPart, Method};

/// The largest request body the server reads: a 20 MiB file part and room for its framing.
const MAX_BODY_BYTES: usize = 21 * 1024 * 1024;

/// A running HTTP server of the fake. Dropping it stops the server.
#[derive(Debug)]
pub struct FakeServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl FakeServer {
    /// The base URL, like `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server and waits until it has stopped.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            // Aborting the server's task drops its connections, kept-alive ones included.
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Binds 127.0.0.1:0 and serves `fake` there.
pub(crate) async fn serve(fake: FakeNotion) -> Result<FakeServer> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| Error::Config(format!("the fake cannot listen on 127.0.0.1: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Config(format!("the fake's listener has no address: {e}")))?;
    // Room for a whole part of a file upload (20 MiB) and its form's framing; Notion's edge
    // refuses larger bodies, as axum then does (413).
    let router = Router::new()
        .fallback(answer)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(fake);
    let (stop, mut stopped) = oneshot::channel::<()>();
    // Our own accept loop, so that the connections are tasks of this server: stopping it closes
    // them too, kept-alive ones included (axum's own loop would leave them open).
    let task = tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let service = hyper_util::service::TowerToHyperService::new(router.clone());
                    connections.spawn(async move {
                        let io = hyper_util::rt::TokioIo::new(stream);
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(io, service)
                            .await;
                    });
                }
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        connections.abort_all();
    });
    Ok(FakeServer {
        addr,
        stop: Some(stop),
        task: Some(task),
    })
}

fn json_response(status: u16, body: &Value, retry_after: Option<u64>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Some(seconds) = retry_after
        && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
    {
        headers.insert(header::RETRY_AFTER, value);
    }
    response
}

/// A `multipart/form-data` body, decoded by multer.
async fn form(body: Bytes, boundary: String) -> std::result::Result<FormData, multer::Error> {
    let stream = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut form = FormData::new();
    while let Some(field) = multipart.next_field().await? {
        let part = FormPart {
            name: field.name().unwrap_or_default().to_owned(),
            filename: field.file_name().map(str::to_owned),
            content_type: field.content_type().map(ToString::to_string),
            data: Vec::new(),
        };
        let data = field.bytes().await?.to_vec();
        form.parts.push(FormPart { data, ..part });
    }
    Ok(form)
}

async fn answer(
    State(fake): State<FakeNotion>,
    method: axum::http::Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let method = match method.as_str() {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PATCH" => Method::Patch,
        "DELETE" => Method::Delete,
        _ => {
            let body = json!({
                "object": "error", "status": 400, "code": "invalid_request_url",
                "message": "Invalid request URL.", "request_id": fake.request_id(),
            });
            return json_response(400, &body, None);
        }
    };
    let auth = Auth::from_header(
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
    );
    let version = headers
        .get("notion-version")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let query = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|t| t.starts_with("multipart/form-data"))
        .map(|t| multer::parse_boundary(t).ok());
    let body = match boundary {
        Some(Some(boundary)) => form(body, boundary).await.map_or(Body::Invalid, Body::Form),
        Some(None) => Body::Invalid,
        None if body.iter().all(u8::is_ascii_whitespace) => Body::Absent,
        None => serde_json::from_slice(&body).map_or(Body::Invalid, Body::Json),
    };
    let incoming = Incoming {
        method,
        path: uri.path().to_owned(),
        query,
        body,
        auth,
        version,
    };
    let Outgoing {
        status,
        retry_after,
        body,
        timeout,
    } = fake.handle(incoming).await;
    if timeout {
        tokio::time::sleep(fake.hang()).await;
        let body = json!({
            "object": "error", "status": 504, "code": "gateway_timeout",
            "message": "Gateway Timeout", "request_id": fake.request_id(),
        });
        return json_response(504, &body, None);
    }
    let mut response = json_response(status, &body, retry_after.map(|d| d.as_secs()));
    // The answer's `Date` is the fake's clock, as Notion's is its own.
    if let Ok(value) = HeaderValue::from_str(&httpdate::fmt_http_date(fake.now())) {
        response.headers_mut().insert(header::DATE, value);
    }
    response
}
