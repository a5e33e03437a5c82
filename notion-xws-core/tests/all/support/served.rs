//! Any transport served over HTTP on 127.0.0.1, for the command to talk to: the fake with
//! something of a newer Notion added to its answers, say. Each HTTP request becomes an
//! [`ApiRequest`] (the bearer token, `Notion-Version`, the query, the JSON body), goes to the
//! transport, and its [`ApiResponse`] comes back as HTTP (the status, the JSON body, a
//! `Retry-After`). The server stops when the [`Served`] is dropped.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use notion_xws_core::NotionToken;
use notion_xws_core::transport::{ApiRequest, DynTransport, Method};
use serde_json::json;

/// A transport served on 127.0.0.1; dropping it stops the server.
pub(crate) struct Served {
    /// `http://127.0.0.1:PORT`.
    pub(crate) base_url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `transport` on 127.0.0.1 (a port of its own).
pub(crate) async fn serve(transport: DynTransport) -> Served {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let router = axum::Router::new().fallback(answer).with_state(transport);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Served { base_url, task }
}

fn json_response(status: u16, body: &serde_json::Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

async fn answer(
    State(transport): State<DynTransport>,
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
        other => {
            return json_response(
                405,
                &json!({"object": "error", "status": 405, "code": "invalid_request", "message": other}),
            );
        }
    };
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let Some(token) = header(header::AUTHORIZATION.as_str())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| NotionToken::new(t).ok())
    else {
        return json_response(
            401,
            &json!({"object": "error", "status": 401, "code": "unauthorized",
                    "message": "API token is invalid."}),
        );
    };
    let mut request = ApiRequest::new(method, uri.path(), token, "");
    request.notion_version = header("notion-version").map(str::to_owned);
    request.query = url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    request.body = (!body.is_empty())
        .then(|| serde_json::from_slice(&body).ok())
        .flatten();
    match transport.send(request).await {
        Ok(answer) => {
            let mut response = json_response(answer.status, &answer.body);
            if let Some(wait) = answer.retry_after
                && let Ok(value) = HeaderValue::from_str(&wait.as_secs().to_string())
            {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Err(error) => json_response(
            502,
            &json!({"object": "error", "status": 502, "code": "bad_gateway",
                    "message": error.to_string()}),
        ),
    }
}
