//! A real Kubernetes control plane for the cluster tests.
//!
//! `PLUMB_E2E_KUBECONFIG` names any cluster (Minikube, kind, a real one).
//! Else an envtest-style control plane is started from `KUBEBUILDER_ASSETS`
//! (or `/usr/local/kubebuilder/bin`), the controller-runtime convention, all
//! on loopback:
//!
//! - **bare**: `etcd` (also from PATH: Debian's `etcd-server`) and
//!   `kube-apiserver`. Nothing acts on what is stored: no Deployment rolls
//!   out, no Job runs, tests walk health by patching `/status`.
//! - **realistic**, when `kube-controller-manager`, `kube-scheduler` and
//!   `kubemark` are in the same directory: also the controllers, the
//!   scheduler and one hollow kubelet (`kubemark --morph=kubelet`), which
//!   registers node [`NODE`] and "runs" pods with a fake container runtime.
//!   Deployments and StatefulSets roll out for real, garbage collection and
//!   namespace deletion work, claims bind (see [`super::cluster`]).
//!   [`ApiServer::realistic`] says which mode runs; tests that need
//!   controllers call [`realistic_or_skip`]. `PLUMB_ENVTEST_BARE=1` keeps
//!   bare mode anyway (for tests that patch statuses by hand).
//!
//! What the hollow node does and does not do:
//! - pods are scheduled, get an IP (192.168.192.168) and turn Running and
//!   Ready within a second or two; no image is pulled, so any image name
//!   "runs".
//! - probes are never executed: kubemark's fake probe manager reports every
//!   container Ready at once. A readiness probe that would fail (an
//!   `exec: [false]`, an httpGet to nowhere) still gives a Ready pod, and a
//!   liveness probe never restarts one. Tests cannot make a pod unready
//!   through its probe. The same fake marks a container ready while it is
//!   still being created, so a pod (and a Deployment's
//!   `availableReplicas`) can be Ready a moment before it is Running.
//! - containers never exit, so Jobs never finish by themselves: see
//!   [`super::cluster::complete_job_pods`].
//! - hostPath volumes are mounted by a fake plugin; nothing touches disk.
//!
//! Identities (static tokens): `admin` (system:masters) for the tests,
//! `plumb` (system:masters) for plumb, the system under test, whose writes
//! alone the audit log records ([`ApiServer::audit`]), `limited` (no rights
//! until a test grants some), and, in realistic mode,
//! `system:kube-controller-manager` (each controller then uses its own
//! service account), `system:kube-scheduler` and the node
//! `system:node:plumb-node` (system:masters, as there is no Node
//! authorizer).
//!
//! One control plane serves a whole test binary. Its processes die with the
//! test process (PR_SET_PDEATHSIG), so an aborted run leaves no process
//! behind; each component logs to a file in the control plane's temp dir
//! ([`ApiServer::dir`]) and a startup failure shows the last lines of the
//! failing component's log. Temp dirs of runs over an hour old are removed
//! at the next start, also the hollow kubelet's own in /tmp.
//!
//! Startup, measured on the 2-core development machine (Kubernetes v1.24,
//! `startup.txt` in the temp dir has each run's steps): bare 4.5-5.5 s
//! (kube-apiserver ready); realistic 7-8 s: the controllers, the scheduler
//! and the kubelet start together once the apiserver is ready, the storage
//! is made meanwhile (0.3 s), the controllers are healthy about 1.3 s
//! later and the node Ready and untainted 1 s after that. Under a parallel
//! build it took up to 12 s.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use super::cluster::{AuditLog, AuditMark, AuditWrite};
use super::Service;

/// The name of the hollow node in realistic mode.
pub const NODE: &str = "plumb-node";

/// Where the cluster tests' API server is.
#[derive(Debug, Clone)]
pub struct ApiServer {
    /// A kubeconfig with cluster-admin rights on it, for the tests
    /// themselves (user `admin`).
    pub kubeconfig: PathBuf,
    /// A kubeconfig for plumb, the system under test (user `plumb`, also
    /// cluster-admin); only its writes are in the audit log. The same as
    /// `kubeconfig` on an external cluster.
    pub plumb_kubeconfig: PathBuf,
    /// `https://127.0.0.1:PORT`, or the external cluster's server.
    pub url: String,
    /// A kubeconfig for user `limited`, who has no rights until a test
    /// grants some (envtest only: `None` for an external cluster).
    pub limited_kubeconfig: Option<PathBuf>,
    /// Whether controllers, a scheduler and a node run (true for an
    /// external cluster, which has them).
    pub realistic: bool,
    /// The audit log of plumb's writes (envtest only).
    pub audit: Option<AuditLog>,
    /// The control plane's temp dir, holding every component's log
    /// (envtest only).
    pub dir: Option<PathBuf>,
}

impl ApiServer {
    /// A cluster-admin client (user `admin`), bound to the tokio runtime it
    /// is made on (its request buffer runs there, so keep that runtime
    /// alive).
    pub async fn client(&self) -> kube::Client {
        client_for(&self.kubeconfig).await
    }

    /// A client acting as plumb (user `plumb`), whose writes the audit log
    /// records.
    pub async fn plumb_client(&self) -> kube::Client {
        client_for(&self.plumb_kubeconfig).await
    }

    /// The audit log; panics on an external cluster (use
    /// [`audited_or_skip`] to skip there instead).
    pub fn audit(&self) -> &AuditLog {
        self.audit
            .as_ref()
            .expect("no audit log on an external cluster: use apiserver::audited_or_skip")
    }

    /// The end of the audit log now; see [`AuditLog::mark`].
    pub fn audit_mark(&self) -> AuditMark {
        self.audit().mark()
    }

    /// plumb's writes logged after `mark`; see [`AuditLog::writes_since`].
    pub fn audit_writes_since(&self, mark: &AuditMark) -> Vec<AuditWrite> {
        self.audit().writes_since(mark)
    }
}

async fn client_for(kubeconfig: &Path) -> kube::Client {
    let kubeconfig = kube::config::Kubeconfig::read_from(kubeconfig).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("kube config");
    kube::Client::try_from(config).expect("client")
}

static SHARED: OnceLock<Result<ApiServer, String>> = OnceLock::new();

/// The static bearer tokens, one per identity.
const ADMIN_TOKEN: &str = "plumb-envtest-admin-token";
const PLUMB_TOKEN: &str = "plumb-envtest-plumb-token";
const LIMITED_TOKEN: &str = "plumb-envtest-limited-token";
const CONTROLLER_MANAGER_TOKEN: &str = "plumb-envtest-kcm-token";
const SCHEDULER_TOKEN: &str = "plumb-envtest-scheduler-token";
const NODE_TOKEN: &str = "plumb-envtest-node-token";

/// Only plumb's writes are logged; its reads and everyone else (tests,
/// controllers, scheduler, kubelet) are not. One event per request, when
/// its response is complete.
const AUDIT_POLICY: &str = "apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived, ResponseStarted]
rules:
- level: Metadata
  users: [plumb]
  verbs: [create, update, patch, delete, deletecollection]
- level: None
";

/// The API server for this test binary, started on first use; `Err` says
/// why there is none (the caller prints it as a SKIPPED line).
pub fn shared() -> Result<ApiServer, String> {
    SHARED.get_or_init(start).clone()
}

/// Returns the shared API server or prints the loud skip line and `None`.
pub fn or_skip() -> Option<ApiServer> {
    match shared() {
        Ok(server) => Some(server),
        Err(why) => {
            super::skip(Service::Kube, &format!("no Kubernetes API server ({why})"));
            None
        }
    }
}

/// The shared API server when controllers, a scheduler and a node run
/// ([`ApiServer::realistic`]); else prints the loud skip line and `None`.
pub fn realistic_or_skip() -> Option<ApiServer> {
    match shared() {
        Ok(server) if server.realistic => Some(server),
        Ok(_) => {
            super::skip(
                Service::KubeControllers,
                &format!(
                    "no Kubernetes controllers (put kube-controller-manager, kube-scheduler and kubemark beside kube-apiserver in {}, and leave PLUMB_ENVTEST_BARE unset)",
                    assets_dir().display()
                ),
            );
            None
        }
        Err(why) => {
            super::skip(
                Service::KubeControllers,
                &format!("no Kubernetes controllers: no API server ({why})"),
            );
            None
        }
    }
}

/// The shared API server when it has an audit log (the tests' own control
/// plane, not an external cluster); else prints the loud skip line and
/// `None`.
pub fn audited_or_skip() -> Option<ApiServer> {
    let server = or_skip()?;
    if server.audit.is_none() {
        super::skip(
            Service::Envtest,
            "no audit log on an external cluster (PLUMB_E2E_KUBECONFIG)",
        );
        return None;
    }
    Some(server)
}

fn assets_dir() -> PathBuf {
    std::env::var("KUBEBUILDER_ASSETS")
        .ok()
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/local/kubebuilder/bin"))
}

fn find_etcd(assets: &Path) -> Option<PathBuf> {
    let local = assets.join("etcd");
    if local.is_file() {
        return Some(local);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("etcd"))
            .find(|p| p.is_file())
    })
}

/// The binaries of realistic mode, when all are in the assets directory.
struct ControllerBins {
    controller_manager: PathBuf,
    scheduler: PathBuf,
    kubemark: PathBuf,
}

impl ControllerBins {
    fn find(assets: &Path) -> Option<ControllerBins> {
        let bins = ControllerBins {
            controller_manager: assets.join("kube-controller-manager"),
            scheduler: assets.join("kube-scheduler"),
            kubemark: assets.join("kubemark"),
        };
        [&bins.controller_manager, &bins.scheduler, &bins.kubemark]
            .iter()
            .all(|p| p.is_file())
            .then_some(bins)
    }
}

fn external(path: String) -> Result<ApiServer, String> {
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("PLUMB_E2E_KUBECONFIG={path}: {e}"))?;
    let url = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("server:"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    Ok(ApiServer {
        kubeconfig: PathBuf::from(&path),
        plumb_kubeconfig: PathBuf::from(path),
        url,
        limited_kubeconfig: None,
        realistic: true,
        audit: None,
        dir: None,
    })
}

fn start() -> Result<ApiServer, String> {
    if let Ok(path) = std::env::var("PLUMB_E2E_KUBECONFIG") {
        if !path.is_empty() {
            return external(path);
        }
    }
    let assets = assets_dir();
    let apiserver = assets.join("kube-apiserver");
    if !apiserver.is_file() {
        return Err(format!(
            "set PLUMB_E2E_KUBECONFIG or KUBEBUILDER_ASSETS; no kube-apiserver in {}",
            assets.display()
        ));
    }
    let etcd = find_etcd(&assets).ok_or("no etcd binary (apt-get install etcd-server)")?;
    let controllers = if std::env::var_os("PLUMB_ENVTEST_BARE").is_some_and(|v| !v.is_empty()) {
        None
    } else {
        ControllerBins::find(&assets)
    };
    let started = Instant::now();

    // The directory lives as long as the test process: it is never removed
    // while the processes may still use it. Ones left by earlier runs (over
    // an hour old) are cleared here instead.
    remove_stale_dirs();
    let dir = tempfile::Builder::new()
        .prefix("plumb-envtest-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    let etcd_port = super::free_port();
    let peer_port = super::free_port();
    let api_port = super::free_port();

    let sa_key = dir.join("sa.key");
    let sa_pub = dir.join("sa.pub");
    run(Command::new("openssl")
        .args(["genrsa", "-out"])
        .arg(&sa_key)
        .arg("2048"))?;
    run(Command::new("openssl")
        .args(["rsa", "-pubout", "-in"])
        .arg(&sa_key)
        .arg("-out")
        .arg(&sa_pub))?;
    let mut tokens = format!(
        "{ADMIN_TOKEN},admin,admin-uid,\"system:masters\"\n\
         {PLUMB_TOKEN},plumb,plumb-uid,\"system:masters\"\n\
         {LIMITED_TOKEN},limited,limited-uid\n"
    );
    if controllers.is_some() {
        tokens.push_str(&format!(
            "{CONTROLLER_MANAGER_TOKEN},system:kube-controller-manager,kcm-uid\n\
             {SCHEDULER_TOKEN},system:kube-scheduler,scheduler-uid\n\
             {NODE_TOKEN},system:node:{NODE},node-uid,\"system:nodes,system:masters\"\n"
        ));
    }
    write(&dir.join("tokens.csv"), &tokens)?;
    let audit_policy = dir.join("audit-policy.yaml");
    write(&audit_policy, AUDIT_POLICY)?;
    let audit_log = dir.join("audit.log");

    let mut etcd_cmd = Command::new(etcd);
    etcd_cmd
        .arg(format!("--data-dir={}", dir.join("etcd").display()))
        .arg(format!("--listen-client-urls=http://127.0.0.1:{etcd_port}"))
        .arg(format!(
            "--advertise-client-urls=http://127.0.0.1:{etcd_port}"
        ))
        .arg(format!("--listen-peer-urls=http://127.0.0.1:{peer_port}"))
        .arg(format!(
            "--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}"
        ))
        .arg(format!(
            "--initial-cluster=default=http://127.0.0.1:{peer_port}"
        ))
        .arg("--log-level=error");
    let cert_dir = dir.join("certs");
    let mut api_cmd = Command::new(apiserver);
    api_cmd
        .arg(format!("--etcd-servers=http://127.0.0.1:{etcd_port}"))
        .arg(format!("--cert-dir={}", cert_dir.display()))
        .arg(format!("--secure-port={api_port}"))
        .arg("--bind-address=127.0.0.1")
        .arg("--advertise-address=127.0.0.1")
        .arg("--service-cluster-ip-range=10.0.0.0/24")
        .arg("--allow-privileged=true")
        .arg("--authorization-mode=RBAC")
        .arg(format!(
            "--token-auth-file={}",
            dir.join("tokens.csv").display()
        ))
        .arg("--service-account-issuer=https://kubernetes.default.svc")
        .arg(format!("--service-account-key-file={}", sa_pub.display()))
        .arg(format!(
            "--service-account-signing-key-file={}",
            sa_key.display()
        ))
        // Pods need no service account to exist first (namespaces made a
        // moment ago have none yet), as in bare mode.
        .arg("--disable-admission-plugins=ServiceAccount")
        .arg("--enable-priority-and-fairness=false")
        .arg(format!("--audit-policy-file={}", audit_policy.display()))
        .arg(format!("--audit-log-path={}", audit_log.display()))
        .arg("--audit-log-format=json")
        .arg("--audit-log-maxage=0")
        // Each event is written before the response goes out.
        .arg("--audit-log-mode=blocking");

    let etcd_proc = spawn_tied("etcd", etcd_cmd, &dir)?;
    wait_for(
        Duration::from_secs(30),
        "etcd to be healthy",
        &[&etcd_proc],
        &etcd_proc,
        || super::http_get(&format!("http://127.0.0.1:{etcd_port}/health")).0 == 200,
    )?;
    let api_proc = spawn_tied("kube-apiserver", api_cmd, &dir)?;

    let url = format!("https://127.0.0.1:{api_port}");
    let http = reqwest::blocking::Client::builder()
        .danger_accept_invalid_certs(true)
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| e.to_string())?;
    wait_for(
        Duration::from_secs(120),
        "kube-apiserver to be ready",
        &[&etcd_proc, &api_proc],
        &api_proc,
        || {
            http.get(format!("{url}/readyz"))
                .bearer_auth(ADMIN_TOKEN)
                .send()
                .is_ok_and(|r| r.status().is_success())
        },
    )?;

    let api_ready = started.elapsed();
    let ca = cert_dir.join("apiserver.crt");
    let write_kubeconfig = |name: &str, token: &str| -> Result<PathBuf, String> {
        let path = dir.join(name);
        write(
            &path,
            &format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: envtest\n  cluster:\n    server: {url}\n    certificate-authority: {ca}\ncontexts:\n- name: envtest\n  context:\n    cluster: envtest\n    user: u\ncurrent-context: envtest\nusers:\n- name: u\n  user:\n    token: {token}\n",
                ca = ca.display()
            ),
        )?;
        Ok(path)
    };
    let mut server = ApiServer {
        kubeconfig: write_kubeconfig("kubeconfig", ADMIN_TOKEN)?,
        plumb_kubeconfig: write_kubeconfig("kubeconfig-plumb", PLUMB_TOKEN)?,
        url: url.clone(),
        limited_kubeconfig: Some(write_kubeconfig("kubeconfig-limited", LIMITED_TOKEN)?),
        realistic: false,
        audit: Some(AuditLog::new(audit_log)),
        dir: Some(dir.clone()),
    };
    let Some(bins) = controllers else {
        record_startup(&dir, &[("kube-apiserver ready", api_ready)]);
        return Ok(server);
    };

    // Realistic mode: the controllers, the scheduler and the hollow kubelet
    // start together; the storage is set up while they do.
    let cm_port = super::free_port();
    let mut cm_cmd = Command::new(&bins.controller_manager);
    let cm_kubeconfig =
        write_kubeconfig("kubeconfig-controller-manager", CONTROLLER_MANAGER_TOKEN)?;
    cm_cmd
        .arg(format!("--kubeconfig={}", cm_kubeconfig.display()))
        .arg(format!(
            "--authentication-kubeconfig={}",
            cm_kubeconfig.display()
        ))
        .arg(format!(
            "--authorization-kubeconfig={}",
            cm_kubeconfig.display()
        ))
        // Everything but node IPAM (there is no pod CIDR to allocate); the
        // node lifecycle controller stays: it lifts the new node's
        // not-ready taint.
        .arg("--controllers=*,-nodeipam")
        .arg(format!(
            "--service-account-private-key-file={}",
            sa_key.display()
        ))
        // The apiserver's self-signed serving cert file holds its CA too.
        .arg(format!("--root-ca-file={}", ca.display()))
        .arg("--use-service-account-credentials=true")
        // Each controller fetches its own credentials as it starts; at
        // the default 20 requests/s they start one every 150 ms, and the
        // node lifecycle controller (which lifts the taint) came 4 s late.
        .arg("--kube-api-qps=200")
        .arg("--kube-api-burst=400")
        .arg("--leader-elect=false")
        .arg("--bind-address=127.0.0.1")
        .arg(format!("--secure-port={cm_port}"));
    let scheduler_port = super::free_port();
    let scheduler_kubeconfig = write_kubeconfig("kubeconfig-scheduler", SCHEDULER_TOKEN)?;
    let mut scheduler_cmd = Command::new(&bins.scheduler);
    scheduler_cmd
        .arg(format!("--kubeconfig={}", scheduler_kubeconfig.display()))
        .arg(format!(
            "--authentication-kubeconfig={}",
            scheduler_kubeconfig.display()
        ))
        .arg(format!(
            "--authorization-kubeconfig={}",
            scheduler_kubeconfig.display()
        ))
        .arg("--leader-elect=false")
        .arg("--bind-address=127.0.0.1")
        .arg(format!("--secure-port={scheduler_port}"));
    let node_kubeconfig = write_kubeconfig("kubeconfig-node", NODE_TOKEN)?;
    let mut kubelet_cmd = Command::new(&bins.kubemark);
    kubelet_cmd
        .arg("--morph=kubelet")
        .arg(format!("--name={NODE}"))
        .arg(format!("--kubeconfig={}", node_kubeconfig.display()))
        // The fake image service: no containerd to ask.
        .arg("--use-host-image-service=false")
        // kubemark binds its kubelet port on all interfaces (hard-coded);
        // a free one, and no read-only port at all.
        .arg(format!("--kubelet-port={}", super::free_port()))
        .arg("--kubelet-read-only-port=0");
    // Ready is reported with the first status update after the runtime is
    // up: every 2 s rather than 10 s, where this kubemark has the flag
    // (older ones, 1.32 among them, do not).
    if kubemark_has_flag(&bins.kubemark, "--node-status-update-frequency") {
        kubelet_cmd.arg("--node-status-update-frequency=2");
    }
    let cm_proc = spawn_tied("kube-controller-manager", cm_cmd, &dir)?;
    let scheduler_proc = spawn_tied("kube-scheduler", scheduler_cmd, &dir)?;
    let kubelet_proc = spawn_tied("kubelet", kubelet_cmd, &dir)?;
    let all = [
        &etcd_proc,
        &api_proc,
        &cm_proc,
        &scheduler_proc,
        &kubelet_proc,
    ];

    super::cluster::install_storage(&http, &url, ADMIN_TOKEN, &dir)?;
    let storage_ready = started.elapsed();

    for (proc, port) in [(&cm_proc, cm_port), (&scheduler_proc, scheduler_port)] {
        wait_for(
            Duration::from_secs(60),
            &format!("{} to be healthy", proc.name),
            &all,
            proc,
            || {
                http.get(format!("https://127.0.0.1:{port}/healthz"))
                    .send()
                    .is_ok_and(|r| r.status().is_success())
            },
        )?;
    }
    let controllers_ready = started.elapsed();
    wait_for(
        Duration::from_secs(60),
        &format!("node {NODE} to be Ready without the not-ready taint"),
        &all,
        &kubelet_proc,
        || node_ready(&http, &url),
    )?;
    server.realistic = true;
    record_startup(
        &dir,
        &[
            ("kube-apiserver ready", api_ready),
            ("storage made", storage_ready),
            ("controllers and scheduler healthy", controllers_ready),
            ("node ready and untainted", started.elapsed()),
        ],
    );
    Ok(server)
}

/// Whether the hollow node is Ready and carries no taint (the node
/// lifecycle controller lifts `node.kubernetes.io/not-ready` once the
/// kubelet reports Ready).
fn node_ready(http: &reqwest::blocking::Client, url: &str) -> bool {
    let Ok(response) = http
        .get(format!("{url}/api/v1/nodes/{NODE}"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
    else {
        return false;
    };
    let Ok(node) = response.json::<serde_json::Value>() else {
        return false;
    };
    let ready = node["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True");
    let untainted = node["spec"]["taints"]
        .as_array()
        .is_none_or(|t| t.is_empty());
    ready && untainted
}

/// Writes how long each startup step took, from the start, into
/// `startup.txt` in the dir (for measuring; nothing reads it).
fn record_startup(dir: &Path, steps: &[(&str, Duration)]) {
    let text: String = steps
        .iter()
        .map(|(what, at)| format!("{:5.1} s  {what}\n", at.as_secs_f64()))
        .collect();
    let _ = std::fs::write(dir.join("startup.txt"), text);
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn remove_stale_dirs() {
    let stale = |entry: &std::fs::DirEntry, prefixes: &[&str]| {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        prefixes.iter().any(|p| name.starts_with(p))
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > Duration::from_secs(3600))
    };
    if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
        for entry in entries.flatten() {
            if stale(&entry, &["plumb-envtest-"]) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    // kubemark puts its root dir and its fake runtime's socket into /tmp,
    // whatever TMPDIR says.
    if let Ok(entries) = std::fs::read_dir("/tmp") {
        for entry in entries.flatten() {
            if stale(&entry, &["hollow-kubelet."]) {
                let _ = std::fs::remove_dir_all(entry.path());
            } else if stale(&entry, &["kubelet_remote_"]) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A component process started by [`spawn_tied`].
struct Tied {
    name: &'static str,
    log: PathBuf,
    /// How it exited, once it has.
    exited: Arc<OnceLock<String>>,
}

impl Tied {
    /// The last lines of its log.
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<_> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// A startup failure: what went wrong and the end of the log.
    fn failure(&self, what: &str) -> String {
        format!(
            "{what}; last lines of {}:\n{}",
            self.log.display(),
            self.log_tail()
        )
    }
}

/// Polls `ready` until it holds, for at most `timeout`. Fails early when a
/// process in `watch` exits (with its log), else on timeout with `blame`'s
/// log.
fn wait_for(
    timeout: Duration,
    what: &str,
    watch: &[&Tied],
    blame: &Tied,
    mut ready: impl FnMut() -> bool,
) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    loop {
        if ready() {
            return Ok(());
        }
        if let Some((proc, status)) = watch
            .iter()
            .find_map(|p| p.exited.get().map(|status| (p, status)))
        {
            return Err(proc.failure(&format!(
                "{} exited ({status}) while waiting for {what}",
                proc.name
            )));
        }
        if Instant::now() > deadline {
            return Err(blame.failure(&format!("timed out after {timeout:?} waiting for {what}")));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Spawns `cmd` from a thread that lives as long as the test process, with
/// PR_SET_PDEATHSIG so the child is killed when that thread (and so the
/// process) goes away. Output goes to `NAME.log` in `dir`.
fn spawn_tied(name: &'static str, mut cmd: Command, dir: &Path) -> Result<Tied, String> {
    let log = dir.join(format!("{name}.log"));
    let out = std::fs::File::create(&log).map_err(|e| e.to_string())?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    cmd.stdin(Stdio::null()).stdout(out).stderr(err);
    // SAFETY: prctl is async-signal-safe; nothing else runs in pre_exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let exited = Arc::new(OnceLock::new());
    let exit_slot = exited.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let result = cmd.spawn().map_err(|e| format!("{cmd:?}: {e}"));
        let mut child = match result {
            Ok(child) => {
                let _ = tx.send(Ok(()));
                child
            }
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        // Reap it if it exits; then keep the thread alive so the death
        // signal only fires when the whole test process ends.
        let status = child.wait();
        let _ = exit_slot.set(match status {
            Ok(status) => status.to_string(),
            Err(e) => e.to_string(),
        });
        loop {
            std::thread::park();
        }
    });
    rx.recv().map_err(|e| e.to_string())??;
    Ok(Tied { name, log, exited })
}

/// Whether `kubemark --help` lists `flag`: hollow kubelets of different
/// Kubernetes versions take different flags, and one it does not know
/// makes it exit at once.
fn kubemark_has_flag(kubemark: &Path, flag: &str) -> bool {
    Command::new(kubemark)
        .arg("--help")
        .output()
        .map(|o| {
            let text = [o.stdout, o.stderr].concat();
            String::from_utf8_lossy(&text).contains(&format!("{flag} "))
        })
        .unwrap_or(false)
}
