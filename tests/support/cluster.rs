//! What the cluster tests need beyond a running control plane (that is
//! [`super::apiserver`]): storage that binds, Jobs that finish, and plumb's
//! writes counted from the API server's audit log.
//!
//! - **Storage** (realistic mode): a default StorageClass `standard`
//!   (`kubernetes.io/no-provisioner`, `Immediate` binding) and [`PV_COUNT`]
//!   hostPath PersistentVolumes under the control plane's temp dir, made at
//!   startup. The PV controller in kube-controller-manager binds a claim to
//!   the smallest free volume that fits (10Gi, or 100Gi for the last
//!   four), as Minikube's provisioner would bind a new one. Volumes are
//!   `Retain`: a volume whose claim is deleted is not reused, so a test
//!   binary has [`PV_COUNT`] claims to spend.
//! - **Jobs**: the hollow kubelet's containers never exit. A test finishes
//!   a Job's pods with [`complete_job_pods`], or lets [`auto_complete_jobs`]
//!   do it in the background for every Job that shows up.
//! - **Audit**: [`AuditLog`] reads the writes of user `plumb`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde_json::{json, Value};

use super::apiserver::ApiServer;

/// How many PersistentVolumes are made at startup.
pub const PV_COUNT: usize = 20;

/// Creates the default StorageClass `standard` and [`PV_COUNT`] hostPath
/// volumes of that class (directories under `dir/pv`), through the REST API
/// as `token`.
pub fn install_storage(
    http: &reqwest::blocking::Client,
    url: &str,
    token: &str,
    dir: &Path,
) -> Result<(), String> {
    // A freshly ready API server can still be slow or briefly refuse (its
    // bootstrap controllers run, the machine is busy with other test
    // binaries): a request that fails in transport or with a 5xx is tried
    // again for a while, and one that meanwhile did succeed is not an error.
    let create = |path: &str, body: Value| -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut retried = false;
        loop {
            let last = match http
                .post(format!("{url}{path}"))
                .bearer_auth(token)
                .json(&body)
                .send()
            {
                Ok(response) => {
                    let status = response.status();
                    if status.is_success() || (retried && status.as_u16() == 409) {
                        return Ok(());
                    }
                    let text = format!(
                        "POST {path}: {status}: {}",
                        response.text().unwrap_or_default()
                    );
                    if !status.is_server_error() && status.as_u16() != 429 {
                        return Err(text);
                    }
                    text
                }
                Err(e) => format!("POST {path}: {e}"),
            };
            if Instant::now() >= deadline {
                return Err(last);
            }
            retried = true;
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    create(
        "/apis/storage.k8s.io/v1/storageclasses",
        json!({
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {
                "name": "standard",
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}
            },
            "provisioner": "kubernetes.io/no-provisioner",
            "reclaimPolicy": "Retain",
            "volumeBindingMode": "Immediate"
        }),
    )?;
    for i in 0..PV_COUNT {
        let path = dir.join("pv").join(format!("pv-{i:02}"));
        std::fs::create_dir_all(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let size = if i + 4 < PV_COUNT { "10Gi" } else { "100Gi" };
        create(
            "/api/v1/persistentvolumes",
            json!({
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": {"name": format!("pv-{i:02}")},
                "spec": {
                    "capacity": {"storage": size},
                    "accessModes": ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany"],
                    "storageClassName": "standard",
                    "persistentVolumeReclaimPolicy": "Retain",
                    "hostPath": {"path": path, "type": "DirectoryOrCreate"}
                }
            }),
        )?;
    }
    Ok(())
}

/// Finishes the Job `job_name`'s pods as a kubelet would when their
/// containers exit: waits (up to 60 s) until the Job has a Running pod,
/// then patches every Running pod of it (the Job's selector) through the
/// `status` subresource to phase `Succeeded` (exit code 0, reason
/// `Completed`) or, with `succeeded: false`, `Failed` (exit code 1, reason
/// `Error`), every container `terminated`. Returns how many pods it
/// finished; panics on timeout or an API error.
///
/// The Job controller then counts them and completes, retries or fails the
/// Job as its spec says: give a Job meant to fail `backoffLimit: 0` (else
/// it retries with a backoff of 10 s, 20 s, ...) and `restartPolicy: Never`
/// (a pod with `OnFailure` may be restarted).
///
/// A terminal phase is final: the kubelet never turns the pod back to
/// Running. It does stop the containers, and about 10 s later reports its
/// own view of them (exit code 0, no reason), so a failed pod's exit code 1
/// and reason `Error` are readable only in that window; the phase and the
/// Job's counts stay.
pub async fn complete_job_pods(
    client: &kube::Client,
    namespace: &str,
    job_name: &str,
    succeeded: bool,
) -> usize {
    let timeout = Duration::from_secs(60);
    let deadline = Instant::now() + timeout;
    loop {
        let finished = finish_running_pods(client, namespace, job_name, succeeded)
            .await
            .unwrap_or_else(|e| panic!("finishing the pods of Job {namespace}/{job_name}: {e}"));
        if finished > 0 {
            return finished;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for a Running pod of Job {namespace}/{job_name}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Patches every Running pod of the Job to a terminal phase; the count.
/// No Job (yet) is zero pods.
async fn finish_running_pods(
    client: &kube::Client,
    namespace: &str,
    job_name: &str,
    succeeded: bool,
) -> Result<usize, kube::Error> {
    let jobs: Api<Job> = Api::namespaced(client.clone(), namespace);
    let Some(job) = jobs.get_opt(job_name).await? else {
        return Ok(0);
    };
    finish_pods_of(client, &job, succeeded).await
}

async fn finish_pods_of(
    client: &kube::Client,
    job: &Job,
    succeeded: bool,
) -> Result<usize, kube::Error> {
    let namespace = job.metadata.namespace.as_deref().unwrap_or("default");
    let name = job.metadata.name.as_deref().unwrap_or_default();
    // The selector the Job controller set (`controller-uid=...`): pods of an
    // earlier Job of the same name that are still being collected do not
    // match it.
    let selector = job
        .spec
        .as_ref()
        .and_then(|s| s.selector.as_ref())
        .and_then(|s| s.match_labels.as_ref())
        .map(|labels| {
            labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("job-name={name}"));
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let list = pods.list(&ListParams::default().labels(&selector)).await?;
    let mut finished = 0;
    for pod in &list.items {
        let running = pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running");
        let Some(pod_name) = pod.metadata.name.as_deref() else {
            continue;
        };
        if !running {
            continue;
        }
        pods.patch_status(
            pod_name,
            &PatchParams::default(),
            &Patch::Merge(terminal_status(pod, succeeded)),
        )
        .await?;
        finished += 1;
    }
    Ok(finished)
}

/// The status a kubelet reports for `pod` once all its containers exited
/// with 0 (`succeeded`) or 1.
fn terminal_status(pod: &Pod, succeeded: bool) -> Value {
    let now = k8s_openapi::jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let status = serde_json::to_value(&pod.status).unwrap_or(Value::Null);
    let started = status["startTime"].as_str().unwrap_or(&now).to_string();
    let (exit_code, reason, phase) = if succeeded {
        (0, "Completed", "Succeeded")
    } else {
        (1, "Error", "Failed")
    };
    let containers = pod
        .spec
        .as_ref()
        .map(|s| s.containers.as_slice())
        .unwrap_or_default();
    let empty = Vec::new();
    let current = status["containerStatuses"].as_array().unwrap_or(&empty);
    let container_statuses: Vec<Value> = containers
        .iter()
        .map(|c| {
            let old = current
                .iter()
                .find(|s| s["name"] == c.name.as_str())
                .cloned()
                .unwrap_or(Value::Null);
            let started_at = old["state"]["running"]["startedAt"]
                .as_str()
                .unwrap_or(&started)
                .to_string();
            json!({
                "name": c.name,
                "image": old["image"].as_str().or(c.image.as_deref()).unwrap_or_default(),
                "imageID": old["imageID"].as_str().unwrap_or_default(),
                "containerID": old["containerID"],
                "restartCount": old["restartCount"].as_i64().unwrap_or(0),
                "ready": false,
                "started": false,
                "lastState": old["lastState"],
                "state": {"terminated": {
                    "exitCode": exit_code,
                    "reason": reason,
                    "startedAt": started_at,
                    "finishedAt": now,
                    "containerID": old["containerID"],
                }},
            })
        })
        .collect();
    let conditions: Vec<Value> = status["conditions"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .map(|c| {
            if c["type"] == "Ready" || c["type"] == "ContainersReady" {
                json!({"type": c["type"], "status": "False", "reason": "PodCompleted", "lastTransitionTime": now})
            } else {
                c.clone()
            }
        })
        .collect();
    json!({"status": {
        "phase": phase,
        "conditions": conditions,
        "containerStatuses": container_statuses,
    }})
}

/// A background thread finishing Job pods; stops when dropped.
pub struct JobCompleter {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for JobCompleter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Finishes, in the background until the returned guard is dropped, the
/// Running pods of every unfinished Job in `namespace` (as
/// [`complete_job_pods`] does) that carries `marker` as a label or
/// annotation key (e.g. `helm.sh/hook`), or of every Job with `None`.
/// Polls every 200 ms; for a test that deploys, say, a pre-upgrade
/// migration Job through plumb and expects the rollout to go on.
/// API errors are printed and retried, never fatal.
pub fn auto_complete_jobs(
    server: &ApiServer,
    namespace: &str,
    marker: Option<&str>,
    succeeded: bool,
) -> JobCompleter {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let server = server.clone();
    let namespace = namespace.to_string();
    let marker = marker.map(str::to_string);
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the Job completer");
        runtime.block_on(async {
            let client = server.client().await;
            let jobs: Api<Job> = Api::namespaced(client.clone(), &namespace);
            while !flag.load(Ordering::Relaxed) {
                if let Err(e) =
                    finish_marked_jobs(&client, &jobs, marker.as_deref(), succeeded).await
                {
                    eprintln!("auto_complete_jobs in {namespace}: {e} (retrying)");
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
    });
    JobCompleter {
        stop,
        thread: Some(thread),
    }
}

async fn finish_marked_jobs(
    client: &kube::Client,
    jobs: &Api<Job>,
    marker: Option<&str>,
    succeeded: bool,
) -> Result<(), kube::Error> {
    for job in jobs.list(&ListParams::default()).await? {
        let marked = marker.is_none_or(|key| {
            let meta = &job.metadata;
            meta.labels.as_ref().is_some_and(|l| l.contains_key(key))
                || meta
                    .annotations
                    .as_ref()
                    .is_some_and(|a| a.contains_key(key))
        });
        let finished = job
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|conditions| {
                conditions
                    .iter()
                    .any(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")
            });
        if marked && !finished {
            finish_pods_of(client, &job, succeeded).await?;
        }
    }
    Ok(())
}

/// The API server's audit log (JSON lines): the writes (create, update,
/// patch, delete, deletecollection) of user `plumb` and nothing else.
///
/// The API server writes in blocking mode: an event is in the file before
/// the response to its request is sent. So when a write of plumb's has
/// returned (say, plumb reported its reconcile finished), its line is
/// already there; reading needs no wait. Dry-run requests (`plumb diff`)
/// are logged too, flagged [`AuditWrite::dry_run`].
#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
}

/// A position in the audit log, from [`AuditLog::mark`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditMark(u64);

/// One write request of plumb's, as the audit log has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditWrite {
    /// `create`, `update`, `patch` (server-side apply too), `delete` or
    /// `deletecollection`.
    pub verb: String,
    /// Who sent it (always `plumb` with the tests' policy).
    pub user: String,
    /// The API group, empty for the core group.
    pub group: String,
    /// The plural resource, e.g. `configmaps`.
    pub resource: String,
    /// E.g. `status`; empty for the object itself.
    pub subresource: String,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    /// Empty for a `deletecollection`.
    pub name: String,
    /// The HTTP status of the response (a failed write is still a request).
    pub code: u16,
    /// A server-side dry run (`?dryRun=All`): nothing was stored.
    pub dry_run: bool,
}

impl std::fmt::Display for AuditWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.verb, self.resource)?;
        if !self.subresource.is_empty() {
            write!(f, "/{}", self.subresource)?;
        }
        write!(f, " {}/{} ({})", self.namespace, self.name, self.code)?;
        if self.dry_run {
            write!(f, " dry-run")?;
        }
        Ok(())
    }
}

impl AuditLog {
    /// The log at `path` (it may not exist yet).
    pub fn new(path: PathBuf) -> AuditLog {
        AuditLog { path }
    }

    /// The file holding the log.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The end of the log now: later writes are [`AuditLog::writes_since`]
    /// this mark.
    pub fn mark(&self) -> AuditMark {
        AuditMark(std::fs::metadata(&self.path).map_or(0, |m| m.len()))
    }

    /// The writes logged after `mark`, oldest first. Panics when the file
    /// cannot be read or a complete line is not an audit event.
    pub fn writes_since(&self, mark: &AuditMark) -> Vec<AuditWrite> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => panic!("reading {}: {e}", self.path.display()),
        };
        let start = usize::try_from(mark.0)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        let text = String::from_utf8_lossy(&bytes[start..]);
        // Only complete lines: a line being written has no newline yet.
        let complete = text.rfind('\n').map_or("", |end| &text[..end]);
        complete
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let event: Value = serde_json::from_str(line).unwrap_or_else(|e| {
                    panic!("{}: not an audit event ({e}): {line}", self.path.display())
                });
                parse_event(&event)
            })
            .collect()
    }
}

fn parse_event(event: &Value) -> AuditWrite {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let object = &event["objectRef"];
    let uri = event["requestURI"].as_str().unwrap_or_default();
    let query = uri.split_once('?').map_or("", |(_, q)| q);
    AuditWrite {
        verb: text(&event["verb"]),
        user: text(&event["user"]["username"]),
        group: text(&object["apiGroup"]),
        resource: text(&object["resource"]),
        subresource: text(&object["subresource"]),
        namespace: text(&object["namespace"]),
        name: text(&object["name"]),
        code: event["responseStatus"]["code"]
            .as_u64()
            .and_then(|c| u16::try_from(c).ok())
            .unwrap_or(0),
        dry_run: query.split('&').any(|p| p.starts_with("dryRun=")),
    }
}
