//! The daemon's HTTP endpoints: `/metrics`, `/healthz`, `/readyz`, `/status`.
//!
//! Handlers only read: a status snapshot from the `watch` channel and the
//! metrics registry. They never touch the reconcile context, so a slow or
//! hostile client cannot stall a deploy. Every request has a body limit and
//! a timeout.
//!
//! An oversized body is read and thrown away (up to [`DRAIN_LIMIT`]) before
//! the 413 goes out: a server that answers and closes while the client is
//! still writing makes the client fail with a broken pipe instead of
//! seeing the 413.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tower_http::timeout::TimeoutLayer;

use crate::metrics::Metrics;
use crate::source::follow::Kick;
use crate::source::webhook::{self, RateLimiter, ReplayGuard, Verdict};
use crate::status::StatusHandle;

/// Largest request body accepted (webhook payloads are well under this).
pub const BODY_LIMIT: usize = 1024 * 1024;
/// How much of an oversized body is read and discarded so that its sender
/// gets the 413; a larger one is cut off. [`REQUEST_TIMEOUT`] bounds the time.
pub const DRAIN_LIMIT: usize = 16 * 1024 * 1024;
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

/// What the handlers may read, and the one thing they may do: kick the
/// source follower.
#[derive(Clone)]
pub struct HttpState {
    /// Every metric family.
    pub metrics: Arc<Metrics>,
    /// The status snapshot source.
    pub status: StatusHandle,
    /// Asks the source follower to look now (webhook, sync).
    kick: mpsc::Sender<Kick>,
    /// The webhook secret file; `None` disables `POST /hooks/git`.
    webhook_secret_file: Option<PathBuf>,
    /// Replay and rate state of the webhook; tiny critical sections.
    webhook_guards: Arc<Mutex<WebhookGuards>>,
}

struct WebhookGuards {
    replay: ReplayGuard,
    rate: RateLimiter,
}

impl HttpState {
    /// State for the router.
    pub fn new(
        metrics: Arc<Metrics>,
        status: StatusHandle,
        kick: mpsc::Sender<Kick>,
        webhook_secret_file: Option<PathBuf>,
    ) -> HttpState {
        HttpState {
            metrics,
            status,
            kick,
            webhook_secret_file,
            webhook_guards: Arc::new(Mutex::new(WebhookGuards {
                replay: ReplayGuard::new(1024),
                rate: webhook::default_rate_limiter(),
            })),
        }
    }
}

/// The router, separate from serving so tests can call it in-process.
pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/status", get(status))
        .route("/hooks/git", post(git_hook))
        .route("/sync", post(sync))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limit_body,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .with_state(state)
}

/// Why a request body was not handed to a handler.
#[derive(Debug, thiserror::Error)]
enum BodyError {
    /// Over [`BODY_LIMIT`], announced or counted.
    #[error("body over {BODY_LIMIT} bytes")]
    TooLarge,
    /// The client went away or sent a broken body.
    #[error("cannot read the request body")]
    Read(#[source] axum::Error),
}

/// Reads every request body into memory, at most [`BODY_LIMIT`], before the
/// handler runs, so that no handler answers while the client still writes.
/// An oversized body is answered 413 (after draining it) with
/// `Connection: close`, whether Content-Length announced it or a chunked
/// body turned out too large.
async fn limit_body(State(state): State<HttpState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let announced = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // A client waiting for `100 Continue` has sent nothing yet: refuse at once.
    let waits = parts
        .headers
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let result = match announced {
        Some(n) if n > BODY_LIMIT as u64 && (waits || n > DRAIN_LIMIT as u64) => {
            Err(BodyError::TooLarge)
        }
        _ => read_body(body).await,
    };
    let (code, error) = match result {
        Ok(bytes) => {
            return next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(e @ BodyError::TooLarge) => (StatusCode::PAYLOAD_TOO_LARGE, e),
        Err(e @ BodyError::Read(_)) => (StatusCode::BAD_REQUEST, e),
    };
    if parts.uri.path() == "/hooks/git" {
        // The handler never runs; count the refusal as it would have.
        state
            .metrics
            .webhook_requests_total
            .with_label_values(&["bad_request"])
            .inc();
    }
    let mut response = (code, Json(json!({ "error": error.to_string() }))).into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// The whole body if it is at most [`BODY_LIMIT`]. A larger one is read on
/// and discarded up to [`DRAIN_LIMIT`], then refused.
async fn read_body(mut body: Body) -> Result<Bytes, BodyError> {
    use http_body_util::BodyExt;
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(BodyError::Read)?.into_data() else {
            continue; // trailers
        };
        seen = seen.saturating_add(data.len());
        if seen > DRAIN_LIMIT {
            return Err(BodyError::TooLarge);
        }
        if seen <= BODY_LIMIT {
            kept.extend_from_slice(&data);
        } else if !kept.is_empty() {
            kept = Vec::new();
        }
    }
    if seen > BODY_LIMIT {
        return Err(BodyError::TooLarge);
    }
    Ok(Bytes::from(kept))
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
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
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

#[derive(serde::Deserialize)]
struct SyncQuery {
    app: Option<String>,
    #[serde(default)]
    force_hooks: bool,
}

/// `POST /sync[?app=NAME[&force_hooks=true]]`: fetch now and reconcile
/// (what `plumb sync` calls); `force_hooks` runs the app's hooks even if
/// its desired state is unchanged, and needs `app`.
async fn sync(State(state): State<HttpState>, Query(query): Query<SyncQuery>) -> Response {
    if let Some(app) = &query.app {
        let known: Vec<String> = state
            .status
            .snapshot()
            .apps
            .into_iter()
            .map(|a| a.name)
            .collect();
        if !known.contains(app) {
            return (
                StatusCode::NOT_FOUND,
                Json(json!({ "error": format!("no app named `{app}`"), "apps": known })),
            )
                .into_response();
        }
    }
    if query.force_hooks && query.app.is_none() {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "force_hooks needs an app", "hint": "plumb sync --force-hooks APP" })),
        )
            .into_response();
    }
    match state.kick.try_send(Kick::Sync {
        app: query.app.clone(),
        force_hooks: query.force_hooks,
    }) {
        // Full: a kick is already waiting, and it will look at the newest state.
        Ok(()) | Err(mpsc::error::TrySendError::Full(_)) => (
            StatusCode::ACCEPTED,
            Json(json!({ "accepted": true, "app": query.app })),
        )
            .into_response(),
        Err(mpsc::error::TrySendError::Closed(_)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "error": "plumb is shutting down" })),
        )
            .into_response(),
    }
}

/// `POST /hooks/git`: a push webhook from GitHub, Gitea/Forgejo or GitLab.
/// Rate-limited per address before any work, verified before anything is
/// believed, deduplicated by delivery id, and then only kicks a fetch.
async fn git_hook(State(state): State<HttpState>, request: Request) -> Response {
    let reply = |state: &HttpState, result: &str, code: StatusCode, body: serde_json::Value| {
        state
            .metrics
            .webhook_requests_total
            .with_label_values(&[result])
            .inc();
        (code, Json(body)).into_response()
    };
    let Some(secret_file) = state.webhook_secret_file.clone() else {
        return reply(
            &state,
            "disabled",
            StatusCode::NOT_FOUND,
            json!({ "error": "webhook not configured", "hint": "set source.webhook_secret_file in the agent config" }),
        );
    };
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
    let allowed = state
        .webhook_guards
        .lock()
        .map(|mut g| g.rate.allow(peer, Instant::now()))
        .unwrap_or(false);
    if !allowed {
        let mut response = reply(
            &state,
            "rate_limited",
            StatusCode::TOO_MANY_REQUESTS,
            json!({ "error": "too many webhook requests from this address" }),
        );
        response.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from(webhook::RETRY_AFTER.as_secs()),
        );
        return response;
    }
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            return reply(
                &state,
                "bad_request",
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({ "error": format!("body over {BODY_LIMIT} bytes") }),
            )
        }
    };
    let secret = match tokio::fs::read(&secret_file).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(file = %secret_file.display(), error = %e, "cannot read the webhook secret file");
            return reply(
                &state,
                "error",
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "error": "webhook secret unreadable on the server" }),
            );
        }
    };
    let headers: &HeaderMap = &parts.headers;
    let lookup = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let verdict = match webhook::verify(&lookup, &body, &secret) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(peer = %peer, error = %e, "webhook refused");
            let code = if e.kind() == "unauthorized" {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::BAD_REQUEST
            };
            return reply(&state, e.kind(), code, json!({ "error": e.to_string() }));
        }
    };
    if let Some(delivery) = verdict.delivery() {
        let first = state
            .webhook_guards
            .lock()
            .map(|mut g| g.replay.first_time(delivery))
            .unwrap_or(false);
        if !first {
            tracing::warn!(peer = %peer, delivery, "webhook delivery replayed; refused");
            return reply(
                &state,
                "replayed",
                StatusCode::CONFLICT,
                json!({ "error": "this delivery was already received" }),
            );
        }
    }
    match verdict {
        Verdict::OtherEvent { event, .. } => reply(
            &state,
            "ignored",
            StatusCode::ACCEPTED,
            json!({ "ignored": format!("event `{event}` is not a push") }),
        ),
        Verdict::Push { git_ref, forge, .. } => {
            let followed = state.status.snapshot().source.branch;
            if !webhook::is_followed(&git_ref, followed.as_deref()) {
                return reply(
                    &state,
                    "ignored",
                    StatusCode::ACCEPTED,
                    json!({ "ignored": format!("push to {git_ref}; plumb follows {}", followed.unwrap_or_default()) }),
                );
            }
            tracing::info!(peer = %peer, forge = ?forge, git_ref = %git_ref, "push webhook: fetching now");
            let _ = state.kick.try_send(Kick::Fetch);
            reply(
                &state,
                "accepted",
                StatusCode::ACCEPTED,
                json!({ "accepted": true, "ref": git_ref }),
            )
        }
    }
}

async fn not_found(request: Request) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({
            "error": "not found",
            "path": request.uri().path(),
            "hint": "endpoints: GET /metrics /healthz /readyz /status, POST /hooks/git /sync",
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

/// One request to a running daemon: (status code, body).
async fn call(method: hyper::Method, url: &str) -> Result<(u16, axum::body::Bytes), ClientError> {
    use http_body_util::{BodyExt, Empty};
    let uri: hyper::Uri = url.parse().map_err(|_| ClientError::Url(url.to_string()))?;
    if uri.scheme_str() != Some("http") {
        return Err(ClientError::Url(url.to_string()));
    }
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Empty<axum::body::Bytes>>();
    let request = hyper::Request::builder()
        .method(method)
        .uri(uri)
        .body(Empty::new())
        .map_err(|_| ClientError::Url(url.to_string()))?;
    let response = match tokio::time::timeout(REQUEST_TIMEOUT, client.request(request)).await {
        Ok(result) => result.map_err(|source| ClientError::Request {
            url: url.to_string(),
            source,
        })?,
        Err(_) => {
            return Err(ClientError::Answer {
                url: url.to_string(),
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
            url: url.to_string(),
            source,
        })?
        .to_bytes();
    Ok((code, body))
}

/// Reads `GET {base}/status` from a running daemon (used by `plumb status`).
///
/// # Errors
/// [`ClientError`] naming the URL.
pub async fn fetch_status(base: &str) -> Result<crate::status::Status, ClientError> {
    let url = format!("{}/status", base.trim_end_matches('/'));
    let (code, body) = call(hyper::Method::GET, &url).await?;
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

/// Asks a running daemon to fetch and reconcile now (`plumb sync`).
///
/// # Errors
/// [`ClientError::Request`] when no daemon answers (the caller then syncs
/// itself); [`ClientError::Answer`] for an unknown app (404) or a refusal.
pub async fn request_sync(
    base: &str,
    app: Option<&str>,
    force_hooks: bool,
) -> Result<(), ClientError> {
    let mut url = format!("{}/sync", base.trim_end_matches('/'));
    if let Some(app) = app {
        url.push_str("?app=");
        url.push_str(app);
        if force_hooks {
            url.push_str("&force_hooks=true");
        }
    }
    let (code, _body) = call(hyper::Method::POST, &url).await?;
    if code == 202 {
        Ok(())
    } else {
        Err(ClientError::Answer {
            url,
            code,
            source: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    fn state() -> HttpState {
        let (kick, _rx) = mpsc::channel(1);
        HttpState::new(Arc::new(Metrics::new()), StatusHandle::new(), kick, None)
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
        assert_eq!(response.headers()[header::CONNECTION], "close");
    }

    #[tokio::test]
    async fn an_oversized_chunked_body_is_read_then_refused() {
        // No Content-Length: the size shows only while reading.
        let chunks: Vec<Result<Bytes, std::io::Error>> = (0..BODY_LIMIT / 1024 + 1)
            .map(|_| Ok(Bytes::from(vec![b'x'; 1024])))
            .collect();
        let s = state();
        let response = router(s.clone())
            .oneshot(
                Request::post("/hooks/git")
                    .body(Body::from_stream(futures::stream::iter(chunks)))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(response.headers()[header::CONNECTION], "close");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(
            body,
            format!(r#"{{"error":"body over {BODY_LIMIT} bytes"}}"#)
        );
        let refused = s
            .metrics
            .webhook_requests_total
            .with_label_values(&["bad_request"]);
        assert_eq!(refused.get(), 1);
    }

    #[tokio::test]
    async fn a_body_at_the_limit_reaches_the_handler() {
        let (kick, _rx) = mpsc::channel(1);
        let s = HttpState::new(Arc::new(Metrics::new()), StatusHandle::new(), kick, None);
        let response = router(s)
            .oneshot(
                Request::post("/sync")
                    .body(Body::from(vec![b'x'; BODY_LIMIT]))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }

    #[tokio::test]
    async fn a_body_beyond_the_drain_limit_is_refused_unread() {
        // Announced too large to drain, or the client waits for `100
        // Continue`: answered at once (the empty body is never read).
        for (length, expect) in [
            (DRAIN_LIMIT + 1, None),
            (BODY_LIMIT + 1, Some("100-continue")),
        ] {
            let mut request = Request::post("/sync").header(header::CONTENT_LENGTH, length);
            if let Some(expect) = expect {
                request = request.header(header::EXPECT, expect);
            }
            let response = router(state())
                .oneshot(request.body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "{length}");
        }
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
