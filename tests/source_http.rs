//! Fetching over git's smart HTTP protocol with a token (issue 4): the real
//! `git http-backend`, run as a CGI program behind a small loopback server
//! that demands HTTP Basic auth the way GitHub, GitLab and Gitea accept
//! tokens. A right token fetches; a wrong or missing one is an auth error
//! whose text never contains the token.

mod support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use tokio::io::AsyncWriteExt;

use support::{git, source_config, Daemon, TestRepo};

const TOKEN: &str = "glpat-test-token-1234";

#[derive(Clone)]
struct Backend {
    root: PathBuf,
    exec_path: PathBuf,
}

async fn cgi(State(backend): State<Backend>, request: Request) -> Response {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("plumb:{TOKEN}"))
    );
    let authorized = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == expected);
    if !authorized {
        let mut response = (StatusCode::UNAUTHORIZED, "auth required").into_response();
        response.headers_mut().insert(
            "www-authenticate",
            HeaderValue::from_static("Basic realm=\"git\""),
        );
        return response;
    }
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 64 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let mut child = tokio::process::Command::new(backend.exec_path.join("git-http-backend"))
        .env_clear()
        .env("GIT_PROJECT_ROOT", &backend.root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("PATH_INFO", parts.uri.path())
        .env("QUERY_STRING", parts.uri.query().unwrap_or(""))
        .env("REQUEST_METHOD", parts.method.as_str())
        .env("REMOTE_USER", "plumb")
        .env("REMOTE_ADDR", "127.0.0.1")
        .env(
            "CONTENT_TYPE",
            parts
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or(""),
        )
        .env("CONTENT_LENGTH", body.len().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("git http-backend runs");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(&body).await.expect("write body");
    drop(stdin);
    let output = child.wait_with_output().await.expect("backend output");
    cgi_response(&output.stdout)
}

/// Turns CGI output (headers, blank line, body) into a response.
fn cgi_response(out: &[u8]) -> Response {
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
    let Some((end, sep)) = split else {
        return (StatusCode::BAD_GATEWAY, "bad CGI output").into_response();
    };
    let head = String::from_utf8_lossy(&out[..end]);
    let mut status = StatusCode::OK;
    let mut headers = HeaderMap::new();
    for line in head.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            if let Some(code) = value.split_whitespace().next().and_then(|c| c.parse().ok()) {
                status = StatusCode::from_u16(code).unwrap_or(StatusCode::OK);
            }
        } else if let (Ok(n), Ok(v)) = (
            axum::http::HeaderName::from_bytes(name.trim().as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(n, v);
        }
    }
    (status, headers, Bytes::copy_from_slice(&out[end + sep..])).into_response()
}

/// Serves `root` over smart HTTP on a loopback port, on its own thread.
fn serve(root: &Path) -> SocketAddr {
    let exec_path = PathBuf::from(git(root, &["--exec-path"]));
    let backend = Backend {
        root: root.to_path_buf(),
        exec_path,
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let app = axum::Router::new().fallback(cgi).with_state(backend);
            axum::serve(listener, app).await.unwrap();
        });
    });
    addr
}

fn remote() -> (TestRepo, tempfile::TempDir, SocketAddr) {
    let (work, dir, _bare) = support::bare_remote();
    let addr = serve(dir.path());
    (work, dir, addr)
}

fn follow(addr: SocketAddr, token: Option<&str>) -> (Daemon, tempfile::TempDir) {
    let token_dir = tempfile::tempdir().unwrap();
    let extra = match token {
        Some(token) => {
            let file = token_dir.path().join("token");
            std::fs::write(&file, format!("{token}\n")).unwrap();
            format!("  poll_interval: 1s\n  token_file: {}\n", file.display())
        }
        None => "  poll_interval: 1s\n".to_string(),
    };
    let url = format!("http://plumb@{addr}/app.git");
    let (dir, config) = source_config(&url, "main", &extra, "");
    (Daemon::start(&config, &[]).owning(dir), token_dir)
}

#[test]
fn a_token_fetches_over_smart_http() {
    let (work, _dir, addr) = remote();
    let (daemon, _token) = follow(addr, Some(TOKEN));
    let status = daemon.wait_revision(&git(work.path(), &["rev-parse", "HEAD"]), "the http fetch");
    assert_eq!(status["source"]["branch"], "main");
    let logs = daemon.logs.lock().unwrap().join("\n");
    assert!(!logs.contains(TOKEN), "the token never reaches a log");
    assert!(!daemon.get("/status").1.contains(TOKEN));
}

fn auth_error(daemon: &Daemon) -> String {
    let status = daemon.wait_source_error(Duration::from_secs(30), "the auth error");
    status["source"]["error"].as_str().unwrap().to_string()
}

#[test]
fn a_wrong_token_is_an_auth_error_that_never_shows_the_token() {
    let (_work, _dir, addr) = remote();
    let (daemon, _token) = follow(addr, Some("wrong-token-5678"));
    let error = auth_error(&daemon);
    assert!(error.contains("authentication failed"), "{error}");
    assert!(error.contains("source.token_file"), "{error}");
    assert!(!error.contains("wrong-token-5678"), "{error}");
    let logs = daemon.logs.lock().unwrap().join("\n");
    assert!(!logs.contains("wrong-token-5678"));
}

#[test]
fn no_token_is_an_auth_error_with_a_hint() {
    let (_work, _dir, addr) = remote();
    let (daemon, _token) = follow(addr, None);
    let error = auth_error(&daemon);
    assert!(error.contains("authentication failed"), "{error}");
    assert!(error.contains("source.token_file"), "{error}");
}
