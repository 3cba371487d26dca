//! The daemon's HTTP endpoints: `/metrics`, `/healthz`, `/readyz`, `/status`.
//!
//! Handlers only read: a status snapshot from the `watch` channel and the
//! metrics registry. They never touch the reconcile context, so a slow or
//! hostile client cannot stall a deploy. Every request has a body limit and
//! a timeout.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::metrics::Metrics;
use crate::status::StatusHandle;

/// Largest request body accepted (webhook payloads are well under this).
pub const BODY_LIMIT: usize = 1024 * 1024;
/// Longest a request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Errors from starting the HTTP listener.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The address could not be bound (in use, not local, no permission).
    #[error("cannot listen on {addr} (hint: {hint})")]
    Bind {
        addr: SocketAddr,
        hint: &'static str,
        #[source]
        source: std::io::Error,
    },
}

/// What the handlers may read.
#[derive(Clone)]
pub struct HttpState {
    /// Every metric family.
    pub metrics: Arc<Metrics>,
    /// The status snapshot source.
    pub status: StatusHandle,
}

/// The router, separate from serving so tests can call it in-process.
pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/status", get(status))
        .fallback(not_found)
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .with_state(state)
}

/// Binds the listen address, with an actionable error when it is taken.
///
/// # Errors
/// [`HttpError::Bind`].
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, HttpError> {
    TcpListener::bind(addr).await.map_err(|source| {
        let hint = match source.kind() {
            std::io::ErrorKind::AddrInUse => {
                "another process uses this port (is plumb already running? `ss -ltnp` shows who); set `listen` or PLUMB_LISTEN"
            }
            std::io::ErrorKind::AddrNotAvailable => {
                "this machine has no such address; use 127.0.0.1"
            }
            std::io::ErrorKind::PermissionDenied => "ports below 1024 need privileges; use 9797",
            _ => "check `listen` in the agent config",
        };
        HttpError::Bind { addr, hint, source }
    })
}

/// Serves until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    state: HttpState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn metrics(State(state): State<HttpState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.encode(),
    )
        .into_response()
}

async fn healthz() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

async fn readyz(State(state): State<HttpState>) -> Response {
    match state.status.readiness() {
        Ok(()) => Json(json!({ "ready": true })).into_response(),
        Err(reasons) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "ready": false, "reasons": reasons })),
        )
            .into_response(),
    }
}

async fn status(State(state): State<HttpState>) -> Response {
    Json(state.status.snapshot()).into_response()
}

async fn not_found(request: Request) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({
            "error": "not found",
            "path": request.uri().path(),
            "hint": "endpoints: /metrics /healthz /readyz /status",
        })),
    )
        .into_response()
}

/// Errors from reading a running daemon's status.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The URL is not an http:// URL.
    #[error("`{0}` is not an http:// URL")]
    Url(String),
    /// Nothing answered, or the connection broke.
    #[error("request to {url} failed")]
    Request {
        url: String,
        #[source]
        source: hyper_util::client::legacy::Error,
    },
    /// The body could not be read.
    #[error("reading the answer of {url}")]
    Body {
        url: String,
        #[source]
        source: hyper::Error,
    },
    /// The daemon answered, but not with a status document.
    #[error("{url} answered {code}, not a plumb status document")]
    Answer {
        url: String,
        code: u16,
        #[source]
        source: Option<serde_json::Error>,
    },
}

/// Reads `GET {base}/status` from a running daemon (used by `plumb status`).
///
/// # Errors
/// [`ClientError`] naming the URL.
pub async fn fetch_status(base: &str) -> Result<crate::status::Status, ClientError> {
    use http_body_util::{BodyExt, Empty};
    let url = format!("{}/status", base.trim_end_matches('/'));
    let uri: hyper::Uri = url.parse().map_err(|_| ClientError::Url(url.clone()))?;
    if uri.scheme_str() != Some("http") {
        return Err(ClientError::Url(url));
    }
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Empty<axum::body::Bytes>>();
    let request = tokio::time::timeout(REQUEST_TIMEOUT, client.get(uri));
    let response = match request.await {
        Ok(result) => result.map_err(|source| ClientError::Request {
            url: url.clone(),
            source,
        })?,
        Err(_) => {
            return Err(ClientError::Answer {
                url,
                code: 408,
                source: None,
            })
        }
    };
    let code = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|source| ClientError::Body {
            url: url.clone(),
            source,
        })?
        .to_bytes();
    if code != 200 {
        return Err(ClientError::Answer {
            url,
            code,
            source: None,
        });
    }
    serde_json::from_slice(&body).map_err(|e| ClientError::Answer {
        url,
        code,
        source: Some(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    fn state() -> HttpState {
        HttpState {
            metrics: Arc::new(Metrics::new()),
            status: StatusHandle::new(),
        }
    }

    async fn get_path(state: HttpState, path: &str) -> (StatusCode, String) {
        let response = router(state)
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let code = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (code, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn healthz_is_ok() {
        let (code, body) = get_path(state(), "/healthz").await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(body, r#"{"status":"ok"}"#);
    }

    #[tokio::test]
    async fn readyz_says_why_not_then_ready() {
        let s = state();
        let (code, body) = get_path(s.clone(), "/readyz").await;
        assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.contains("source not read yet"), "{body}");
        assert!(body.contains("cluster not reached yet"), "{body}");
        s.status.update(|st| {
            st.source.revision = Some("abc".into());
            st.cluster.reached = true;
        });
        let (code, _) = get_path(s, "/readyz").await;
        assert_eq!(code, StatusCode::OK);
    }

    #[tokio::test]
    async fn metrics_are_prometheus_text() {
        let (code, body) = get_path(state(), "/metrics").await;
        assert_eq!(code, StatusCode::OK);
        assert!(body.contains("# TYPE plumb_build_info gauge"), "{body}");
        assert!(body.contains("plumb_cluster_up 0"));
    }

    #[tokio::test]
    async fn status_is_json_of_the_snapshot() {
        let s = state();
        s.status
            .update_app("pakaura", |a| a.revision = Some("r1".into()));
        let (code, body) = get_path(s, "/status").await;
        assert_eq!(code, StatusCode::OK);
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["apps"][0]["name"], "pakaura");
        assert_eq!(json["apps"][0]["revision"], "r1");
    }

    #[tokio::test]
    async fn unknown_path_is_404_json() {
        let (code, body) = get_path(state(), "/nope").await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["path"], "/nope");
    }

    #[tokio::test]
    async fn oversized_body_is_refused() {
        let response = router(state())
            .oneshot(
                Request::post("/status")
                    .header(header::CONTENT_LENGTH, BODY_LIMIT + 1)
                    .body(Body::from(vec![b'x'; BODY_LIMIT + 1]))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[tokio::test]
    async fn fetch_status_reads_a_served_status() {
        let s = state();
        s.status
            .update(|st| st.source.revision = Some("0123456789abcdef".into()));
        let listener = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(serve(listener, s, std::future::pending()));
        let status = fetch_status(&format!("http://{addr}")).await.unwrap();
        assert_eq!(status.source.revision.as_deref(), Some("0123456789abcdef"));
        let err = fetch_status(&format!("http://{addr}/nope"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, ClientError::Answer { code: 404, .. }),
            "{err}"
        );
        server.abort();
    }

    #[tokio::test]
    async fn port_in_use_has_a_hint() {
        let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = taken.local_addr().unwrap();
        let err = bind(addr).await.unwrap_err().to_string();
        assert!(err.contains("is plumb already running"), "{err}");
    }
}
