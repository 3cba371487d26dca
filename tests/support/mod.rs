//! Shared helpers for the integration tests: real git repositories, a real
//! `plumb run` process, the services `scripts/test` starts, and a real
//! Kubernetes API server (envtest-style) when the machine has one.
//!
//! Every wait is bounded by [`wait_until`]; nothing sleeps a fixed time and
//! hopes. A test whose service is missing calls [`skip`], which fails it
//! instead when `PLUMB_REQUIRE` names that service.

#![allow(dead_code)] // each test binary uses a different part of this module

pub mod apiserver;
pub mod cluster;
pub mod registry;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// The plumb binary under test.
pub fn plumb_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_plumb"))
}

/// A service or tool some tests need, named as in `PLUMB_REQUIRE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// A Docker Engine (`PLUMB_TEST_DOCKER_HOST`).
    Docker,
    /// The prometheus binary (`PLUMB_TEST_PROMETHEUS`).
    Prometheus,
    /// An OpenSSH server the tests may start (`/usr/sbin/sshd`, as root).
    Sshd,
    /// A Kubernetes API server (envtest or `PLUMB_E2E_KUBECONFIG`).
    Kube,
    /// Kubernetes controllers, scheduler and a node: Deployments roll out,
    /// claims bind, Jobs run.
    KubeControllers,
    /// The tests' own control plane (not an external cluster): its static
    /// users (`limited`, `plumb`) and its audit log.
    Envtest,
    /// `kubectl` in the Kubernetes assets directory.
    Kubectl,
}

impl Service {
    /// Every service, for listing the valid `PLUMB_REQUIRE` names.
    pub const ALL: [Service; 7] = [
        Service::Docker,
        Service::Prometheus,
        Service::Sshd,
        Service::Kube,
        Service::KubeControllers,
        Service::Envtest,
        Service::Kubectl,
    ];

    /// The name used in `PLUMB_REQUIRE`.
    pub fn name(self) -> &'static str {
        match self {
            Service::Docker => "docker",
            Service::Prometheus => "prometheus",
            Service::Sshd => "sshd",
            Service::Kube => "kube",
            Service::KubeControllers => "kube-controllers",
            Service::Envtest => "envtest",
            Service::Kubectl => "kubectl",
        }
    }
}

/// Whether `PLUMB_REQUIRE` (comma-separated service names) names `service`.
/// Panics on a name that is no [`Service`], so a typo cannot quietly
/// require nothing.
pub fn required(service: Service) -> bool {
    let list = std::env::var("PLUMB_REQUIRE").unwrap_or_default();
    let mut found = false;
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match Service::ALL.iter().find(|s| s.name() == name) {
            Some(s) => found |= *s == service,
            None => panic!(
                "PLUMB_REQUIRE names unknown service `{name}` (known: {})",
                Service::ALL.map(Service::name).join(", ")
            ),
        }
    }
    found
}

/// Prints a loud skip line because `service` is missing; the test then
/// returns early. When `PLUMB_REQUIRE` names `service` (scripts/test sets it
/// for every service it provided), a missing service is a failure instead:
/// this panics with `why`.
pub fn skip(service: Service, why: &str) {
    if required(service) {
        panic!(
            "{} is required (PLUMB_REQUIRE) but missing: {why}",
            service.name()
        );
    }
    eprintln!("\n*** SKIPPED: {why} ***\n");
}

/// Polls `f` until it returns `Some`, or panics with `what` after `timeout`.
pub fn wait_until<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// [`wait_until`] for async tests: awaits `f` until it returns `Some`, or
/// panics with `what` after `timeout`.
pub async fn wait_until_async<T, F, Fut>(timeout: Duration, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs `git` in `dir` with a fixed identity; panics with stderr on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=Plumb Test",
            "-c",
            "user.email=test@plumb.dev",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A git repository in a temp dir holding a gitops tree.
pub struct TestRepo {
    pub dir: tempfile::TempDir,
}

impl TestRepo {
    /// A repo whose `deploy/plumb.yaml` declares one app `demo` with one ConfigMap.
    pub fn with_demo_app() -> TestRepo {
        let repo = TestRepo::empty();
        repo.write(
            "deploy/plumb.yaml",
            "apps:\n  - name: demo\n    namespace: demo\n    path: manifests\n",
        );
        repo.write(
            "deploy/manifests/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\ndata:\n  a: \"1\"\n",
        );
        repo.commit("first");
        repo
    }

    /// A repo whose `deploy/` is `tests/fixtures/chart-app` (one chart app,
    /// `chart-shop`, with values files and `set`), committed.
    pub fn with_chart_app() -> TestRepo {
        let repo = TestRepo::empty();
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chart-app");
        copy_tree(&fixture, &repo.path().join("deploy"));
        repo.commit("the chart app");
        repo
    }

    /// An initialised repo with no commits.
    pub fn empty() -> TestRepo {
        let dir = tempfile::tempdir().expect("tempdir");
        git(dir.path(), &["init", "-q"]);
        TestRepo { dir }
    }

    /// Writes a file (creating directories).
    pub fn write(&self, rel: &str, text: &str) {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("file has a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    /// Commits everything; returns the new commit id.
    pub fn commit(&self, message: &str) -> String {
        git(self.dir.path(), &["add", "-A"]);
        git(
            self.dir.path(),
            &["commit", "-q", "--allow-empty", "-m", message],
        );
        git(self.dir.path(), &["rev-parse", "HEAD"])
    }

    /// The repo's path.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The loose object file holding `path` at `revision` (tests that break
    /// objects remove or overwrite it).
    pub fn loose_object(&self, revision: &str, path: &str) -> PathBuf {
        let blob = git(self.path(), &["rev-parse", &format!("{revision}:{path}")]);
        self.path()
            .join(".git/objects")
            .join(&blob[..2])
            .join(&blob[2..])
    }
}

/// Runs `plumb ARGS [--config CONFIG]` with no kube context around (HOME is
/// the config's directory, or one that does not exist).
pub fn run_plumb(args: &[&str], config: Option<&Path>) -> std::process::Output {
    let mut cmd = Command::new(plumb_bin());
    cmd.args(args);
    let home = match config {
        Some(config) => {
            cmd.arg("--config").arg(config);
            config.parent().expect("config has a parent").to_path_buf()
        }
        None => PathBuf::from("/nonexistent-home"),
    };
    cmd.env_remove("PLUMB_CONFIG")
        .env_remove("KUBECONFIG")
        .env("HOME", home)
        .output()
        .expect("plumb runs")
}

/// stdout then stderr of a finished command, as text.
pub fn output_text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Moves a config written by [`source_config`] from port 0 to a free fixed
/// port, for commands that find the daemon by the config's listen address.
pub fn listen_on_free_port(config: &Path) -> u16 {
    let port = free_port();
    let text = std::fs::read_to_string(config)
        .expect("read config")
        .replace("listen: 127.0.0.1:0", &format!("listen: 127.0.0.1:{port}"));
    std::fs::write(config, text).expect("write config");
    port
}

/// Writes an agent config for `repo` into a temp dir and returns both.
pub fn agent_config(repo: &Path, extra: &str) -> (tempfile::TempDir, PathBuf) {
    source_config(&repo.display().to_string(), "main", "", extra)
}

/// An agent config for any repo location and branch; `source_extra` lines
/// go under `source:` (indented by the caller), `extra` at the top level.
pub fn source_config(
    repo: &str,
    branch: &str,
    source_extra: &str,
    extra: &str,
) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("plumb.yaml");
    let text = format!(
        "source:\n  repo: {repo}\n  branch: {branch}\n  path: deploy\n{source_extra}listen: 127.0.0.1:0\nstate_dir: {}\n{extra}",
        dir.path().join("state").display()
    );
    std::fs::write(&path, text).expect("write config");
    (dir, path)
}

/// A `plumb run` child process, killed on drop.
pub struct Daemon {
    pub child: Child,
    pub addr: SocketAddr,
    /// Every log line so far (JSON), appended by a reader thread.
    pub logs: Arc<Mutex<Vec<String>>>,
    /// The agent config it runs with (for the CLI's own commands).
    pub config: PathBuf,
    _config_dir: Option<tempfile::TempDir>,
}

impl Daemon {
    /// Starts `plumb run --config CONFIG --log-format json` with extra env
    /// and waits for its "plumb started" line to learn the address.
    pub fn start(config: &Path, env: &[(&str, &str)]) -> Daemon {
        let mut cmd = Command::new(plumb_bin());
        cmd.args(["run", "--log-format", "json", "--config"])
            .arg(config)
            .env_remove("PLUMB_CONFIG")
            .env_remove("KUBECONFIG")
            .env_remove("DOCKER_HOST")
            .env("HOME", config.parent().expect("config has a parent"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("plumb starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (tx, started) = mpsc::channel();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if std::env::var_os("PLUMB_TEST_SHOW_LOGS").is_some() {
                    eprintln!("plumb: {line}");
                }
                sink.lock().expect("log sink").push(line.clone());
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        let addr = loop {
            let Ok(line) = started.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            else {
                let _ = child.kill();
                let _ = child.wait();
                panic!("plumb run did not log its start");
            };
            let Ok(json) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            if json["fields"]["message"] == "plumb started" {
                let listen = json["fields"]["listen"].as_str().expect("listen field");
                break listen.parse().expect("listen is an address");
            }
        };
        Daemon {
            child,
            addr,
            logs,
            config: config.to_path_buf(),
            _config_dir: None,
        }
    }

    /// Keeps the config's temp dir alive as long as the daemon.
    pub fn owning(mut self, dir: tempfile::TempDir) -> Daemon {
        self._config_dir = Some(dir);
        self
    }

    /// Log lines (parsed) whose message is `message`.
    pub fn logged(&self, message: &str) -> Vec<serde_json::Value> {
        self.logs
            .lock()
            .expect("log sink")
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["fields"]["message"] == message)
            .collect()
    }

    /// Waits until the source revision in /status is `revision`.
    pub fn wait_revision(&self, revision: &str, what: &str) -> serde_json::Value {
        wait_until(Duration::from_secs(20), what, || {
            let status = self.status();
            (status["source"]["revision"] == revision).then_some(status)
        })
    }

    /// Waits until /status reports a source error; returns the status.
    pub fn wait_source_error(&self, timeout: Duration, what: &str) -> serde_json::Value {
        wait_until(timeout, what, || {
            let status = self.status();
            status["source"]["error"].is_string().then_some(status)
        })
    }

    /// `GET path` on the daemon: (status code, body).
    pub fn get(&self, path: &str) -> (u16, String) {
        http_get(&format!("http://{}{path}", self.addr))
    }

    /// The /status document.
    pub fn status(&self) -> serde_json::Value {
        let (code, body) = self.get("/status");
        assert_eq!(code, 200, "{body}");
        serde_json::from_str(&body).expect("status is JSON")
    }

    /// The value of one sample in /metrics, e.g. `plumb_cluster_up`.
    pub fn metric(&self, series: &str) -> Option<f64> {
        let (_, body) = self.get("/metrics");
        body.lines().find_map(|l| {
            l.strip_prefix(series)
                .and_then(|rest| rest.strip_prefix(' '))
                .and_then(|v| v.parse().ok())
        })
    }

    /// Sends SIGTERM and waits up to `within` for exit; returns the exit status.
    pub fn terminate(mut self, within: Duration) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        wait_until(within, "plumb to exit after SIGTERM", || {
            self.child.try_wait().expect("try_wait")
        })
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking GET; (status code, body). Status 0 when nothing answered.
pub fn http_get(url: &str) -> (u16, String) {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    match client.get(url).send() {
        Ok(r) => {
            let code = r.status().as_u16();
            (code, r.text().unwrap_or_default())
        }
        Err(_) => (0, String::new()),
    }
}

/// The private dockerd that scripts/test started, if any.
pub fn docker_host() -> Option<String> {
    std::env::var("PLUMB_TEST_DOCKER_HOST")
        .ok()
        .filter(|v| !v.is_empty())
}

/// The prometheus binary, if any.
pub fn prometheus_bin() -> Option<PathBuf> {
    std::env::var("PLUMB_TEST_PROMETHEUS")
        .ok()
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.exists())
}

/// A free loopback port (bound then released; good enough for tests).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Deploys `manifests` as app `app` (namespace `app`, timeout 20 s) from a
/// fresh repo with `plumb run` against the test API server. Returns the
/// daemon (acting as user `plumb`, see [`apiserver::ApiServer`]), the
/// repo and an admin client; `None` (after a loud skip) when there is no
/// API server.
pub fn deploy_app(app: &str, manifests: &str) -> Option<(Daemon, TestRepo, kube::Client)> {
    let server = apiserver::or_skip()?;
    let (daemon, repo, client) = deploy_apps(&server, &[(app, manifests)], "");
    Some((daemon, repo, client))
}

/// Deploys each `(app, manifests)` (namespace = app name, timeout 20 s,
/// manifests in `deploy/<app>/all.yaml`) from one fresh repo with `plumb
/// run` against `server`; `extra` goes into the agent config (e.g.
/// `reconcile_interval: 2s`). Returns the daemon, the repo and an admin
/// client.
pub fn deploy_apps(
    server: &apiserver::ApiServer,
    apps: &[(&str, &str)],
    extra: &str,
) -> (Daemon, TestRepo, kube::Client) {
    let repo = TestRepo::empty();
    let mut listing = String::from("apps:\n");
    for (app, manifests) in apps {
        let dir = if apps.len() == 1 {
            "manifests".to_string()
        } else {
            (*app).to_string()
        };
        listing.push_str(&format!(
            "  - name: {app}\n    namespace: {app}\n    path: {dir}\n    timeout: 20s\n"
        ));
        repo.write(&format!("deploy/{dir}/all.yaml"), manifests);
    }
    repo.write("deploy/plumb.yaml", &listing);
    repo.commit("deploy");
    let daemon = start_plumb(server, &repo, extra);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let client = runtime.block_on(server.client());
    // The client's connections live on this runtime's threads; keep it.
    std::mem::forget(runtime);
    (daemon, repo, client)
}

/// A bare "remote" holding the demo app, pushed from a working clone:
/// (the working clone, the temp dir holding the bare repo, its path).
pub fn bare_remote() -> (TestRepo, tempfile::TempDir, PathBuf) {
    let work = TestRepo::with_demo_app();
    let dir = tempfile::tempdir().expect("tempdir");
    let bare = dir.path().join("app.git");
    let bare_text = bare.to_str().expect("utf-8 temp path");
    git(
        dir.path(),
        &["init", "-q", "--bare", "-b", "main", bare_text],
    );
    git(work.path(), &["push", "-q", bare_text, "main"]);
    (work, dir, bare)
}

/// Writes a kubeconfig in `dir` pointing at a loopback port nobody listens
/// on; returns its path and that port.
pub fn unreachable_kubeconfig(dir: &Path) -> (PathBuf, u16) {
    let path = dir.join("kubeconfig");
    let port = free_port();
    std::fs::write(
        &path,
        format!("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:{port}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: c\n  context: {{cluster: c, user: u}}\ncurrent-context: c\nusers:\n- name: u\n  user: {{token: t}}\n"),
    )
    .expect("write kubeconfig");
    (path, port)
}

/// `kubectl` from the Kubernetes assets directory (built with the control
/// plane's version), else `None` after a loud skip.
pub fn kubectl_or_skip() -> Option<PathBuf> {
    let assets = std::env::var("KUBEBUILDER_ASSETS")
        .ok()
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/local/kubebuilder/bin"));
    let kubectl = assets.join("kubectl");
    if kubectl.is_file() {
        Some(kubectl)
    } else {
        skip(
            Service::Kubectl,
            &format!("no kubectl in {}", assets.display()),
        );
        None
    }
}

/// Runs `kubectl ARGS` against `kubeconfig` with extra `env`; returns its
/// stdout, panics with its stderr when it fails.
pub fn kubectl(bin: &Path, kubeconfig: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(bin);
    cmd.arg("--kubeconfig").arg(kubeconfig).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("kubectl runs");
    assert!(
        out.status.success(),
        "kubectl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Copies the directory tree `from` into `to`.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Starts `plumb run` (as user `plumb`) on the shipped example,
/// `gitops-repo/`, committed as it stands to a fresh repo; returns the
/// daemon, the repo and the commit.
pub fn run_example(server: &apiserver::ApiServer) -> (Daemon, TestRepo, String) {
    let repo = TestRepo::empty();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("gitops-repo");
    copy_tree(&example, &repo.path().join("deploy"));
    let revision = repo.commit("the example as shipped");
    let daemon = start_plumb(server, &repo, "");
    (daemon, repo, revision)
}

/// Starts `plumb run` on `repo` (branch main, path `deploy`) against
/// `server` as user `plumb`, listening on a free fixed port (so that
/// `plumb sync --config` finds it); `extra` goes into the agent config.
pub fn start_plumb(server: &apiserver::ApiServer, repo: &TestRepo, extra: &str) -> Daemon {
    let (dir, config) = source_config(
        &repo.path().display().to_string(),
        "main",
        "",
        &format!(
            "cluster:\n  kubeconfig: {}\n{extra}",
            server.plumb_kubeconfig.display()
        ),
    );
    listen_on_free_port(&config);
    Daemon::start(&config, &[]).owning(dir)
}

/// A Helm hook Job (`helm.sh/hook: <hooks>`) of one busybox container, as
/// a YAML document starting with `---`.
pub fn hook_job(name: &str, hooks: &str) -> String {
    format!("---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\n  annotations:\n    helm.sh/hook: {hooks}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{{name: m, image: \"busybox:1.36\"}}]\n")
}
