//! The fake over HTTP: an axum server on 127.0.0.1 that only converts.
//!
//! Each HTTP request becomes the same [`Incoming`] the in-memory transport builds (the bearer
//! token, `Notion-Version`, the query, the body parsed as JSON or marked invalid), goes through
//! the one handler, and its [`Outgoing`] becomes an HTTP response with a JSON body and, for 429
//! and 529, a `Retry-After` header. A timeout fault holds the request for
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
use super::handlers::{Body, Incoming, Outgoing};
use crate::error::{Error, Result};
use crate::transport::Method;

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
    let router = Router::new().fallback(answer).with_state(fake);
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
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| crate::secret::NotionToken::new(t).ok());
    let version = headers
        .get("notion-version")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let query = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        Body::Absent
    } else {
        serde_json::from_slice(&body).map_or(Body::Invalid, Body::Json)
    };
    let incoming = Incoming {
        method,
        path: uri.path().to_owned(),
        query,
        body,
        token,
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
    json_response(status, &body, retry_after.map(|d| d.as_secs()))
}
