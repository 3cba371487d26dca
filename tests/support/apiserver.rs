//! A real Kubernetes API server for the cluster tests.
//!
//! `PLUMB_E2E_KUBECONFIG` names any cluster (Minikube, kind, a real one).
//! Else an envtest-style control plane is started, the controller-runtime
//! convention: `etcd` and `kube-apiserver` on loopback from
//! `KUBEBUILDER_ASSETS` (or `/usr/local/kubebuilder/bin`), etcd also from
//! PATH (Debian's `etcd-server`). One control plane serves a whole test
//! binary; its processes die with the test process (PR_SET_PDEATHSIG), so an
//! aborted run leaves nothing behind.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// Where the cluster tests' API server is.
#[derive(Debug, Clone)]
pub struct ApiServer {
    /// A kubeconfig with cluster-admin rights on it.
    pub kubeconfig: PathBuf,
    /// `https://127.0.0.1:PORT`, or the external cluster's server.
    pub url: String,
    /// A kubeconfig for user `limited`, who has no rights until a test
    /// grants some (envtest only: `None` for an external cluster).
    pub limited_kubeconfig: Option<PathBuf>,
}

impl ApiServer {
    /// A cluster-admin client, bound to the tokio runtime it is made on
    /// (its request buffer runs there, so keep that runtime alive).
    pub async fn client(&self) -> kube::Client {
        let kubeconfig = kube::config::Kubeconfig::read_from(&self.kubeconfig).expect("kubeconfig");
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
            .await
            .expect("kube config");
        kube::Client::try_from(config).expect("client")
    }
}

static SHARED: OnceLock<Result<ApiServer, String>> = OnceLock::new();

/// The token of the `limited` user.
const LIMITED_TOKEN: &str = "plumb-envtest-limited-token";

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
            super::skip(
                super::Service::Kube,
                &format!("no Kubernetes API server ({why})"),
            );
            None
        }
    }
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

fn start() -> Result<ApiServer, String> {
    if let Ok(path) = std::env::var("PLUMB_E2E_KUBECONFIG") {
        if !path.is_empty() {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("PLUMB_E2E_KUBECONFIG={path}: {e}"))?;
            let url = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("server:"))
                .map(|s| s.trim().to_string())
                .unwrap_or_default();
            return Ok(ApiServer {
                kubeconfig: PathBuf::from(path),
                url,
                limited_kubeconfig: None,
            });
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
    let token = "plumb-envtest-admin-token";
    std::fs::write(
        dir.join("tokens.csv"),
        format!(
            "{token},admin,admin-uid,\"system:masters\"\n{LIMITED_TOKEN},limited,limited-uid\n"
        ),
    )
    .map_err(|e| e.to_string())?;

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
        .arg("--disable-admission-plugins=ServiceAccount")
        .arg("--enable-priority-and-fairness=false");

    let etcd_log = dir.join("etcd.log");
    let api_log = dir.join("kube-apiserver.log");
    spawn_tied(etcd_cmd, &etcd_log)?;
    super::wait_until(Duration::from_secs(30), "etcd to be healthy", || {
        let (code, _) = super::http_get(&format!("http://127.0.0.1:{etcd_port}/health"));
        (code == 200).then_some(())
    });
    spawn_tied(api_cmd, &api_log)?;

    let url = format!("https://127.0.0.1:{api_port}");
    let client = reqwest::blocking::Client::builder()
        .danger_accept_invalid_certs(true)
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| e.to_string())?;
    let ready = (0..1200).any(|_| {
        let ok = client
            .get(format!("{url}/readyz"))
            .bearer_auth(token)
            .send()
            .map(|r| r.status().is_success())
            .unwrap_or(false);
        if !ok {
            std::thread::sleep(Duration::from_millis(100));
        }
        ok
    });
    if !ready {
        let log = std::fs::read_to_string(&api_log).unwrap_or_default();
        let tail: Vec<_> = log.lines().rev().take(15).collect();
        return Err(format!(
            "kube-apiserver did not become ready in 120s; last log lines:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }

    let write_kubeconfig = |name: &str, token: &str| -> Result<PathBuf, String> {
        let path = dir.join(name);
        std::fs::write(
            &path,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: envtest\n  cluster:\n    server: {url}\n    certificate-authority: {ca}\ncontexts:\n- name: envtest\n  context:\n    cluster: envtest\n    user: u\ncurrent-context: envtest\nusers:\n- name: u\n  user:\n    token: {token}\n",
                ca = cert_dir.join("apiserver.crt").display()
            ),
        )
        .map_err(|e| e.to_string())?;
        Ok(path)
    };
    Ok(ApiServer {
        kubeconfig: write_kubeconfig("kubeconfig", token)?,
        url: url.clone(),
        limited_kubeconfig: Some(write_kubeconfig("kubeconfig-limited", LIMITED_TOKEN)?),
    })
}

fn remove_stale_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > Duration::from_secs(3600));
        if stale
            && entry
                .file_name()
                .to_string_lossy()
                .starts_with("plumb-envtest-")
        {
            let _ = std::fs::remove_dir_all(entry.path());
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

/// Spawns `cmd` from a thread that lives as long as the test process, with
/// PR_SET_PDEATHSIG so the child is killed when that thread (and so the
/// process) goes away. Output goes to `log`.
fn spawn_tied(mut cmd: Command, log: &Path) -> Result<(), String> {
    let out = std::fs::File::create(log).map_err(|e| e.to_string())?;
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
        let _ = child.wait();
        loop {
            std::thread::park();
        }
    });
    rx.recv().map_err(|e| e.to_string())?
}
