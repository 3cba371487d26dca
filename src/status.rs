//! The daemon's status: what `GET /status` returns and `plumb status` prints.
//!
//! Writers (the source task, the probes, each app's queue task) update it
//! through [`StatusHandle`]; readers (HTTP) take a cheap snapshot from the
//! `watch` channel, so a slow scrape never blocks a reconcile. Nothing here
//! may hold a secret: error texts that reach it are already redacted.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::cluster::health::HealthStatus;
use crate::cluster::live::LiveHealth;
use crate::metrics::ReconcileResult;

/// The whole status document.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Status {
    /// The git source: which revision plumb has read and whether the last read worked.
    pub source: SourceStatus,
    /// Reachability of the Kubernetes API server.
    pub cluster: Reachability,
    /// Reachability of the Docker Engine.
    pub docker: Reachability,
    /// One entry per app of the repo manifest, in manifest order.
    pub apps: Vec<AppStatus>,
}

/// The source part of [`Status`].
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SourceStatus {
    /// Full commit id of the revision last read, `None` until the first read.
    pub revision: Option<String>,
    /// First line of that commit's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Author of that commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// RFC 3339 commit time of that commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committed_at: Option<String>,
    /// The branch followed (resolved from HEAD when configured so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// RFC 3339 time of the last successful read or fetch.
    pub fetched_at: Option<String>,
    /// Why the last read failed, if it did (the last good revision stays in use).
    pub error: Option<String>,
}

/// Whether a dependency (cluster, Docker) answered the last time plumb asked.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Reachability {
    /// The last call succeeded.
    pub up: bool,
    /// It has answered at least once since start (used by /readyz).
    pub reached: bool,
    /// Where plumb looks for it (server URL or socket), for the reader's orientation.
    pub endpoint: Option<String>,
    /// Version reported by the server, when it answered.
    pub version: Option<String>,
    /// RFC 3339 time of the last check.
    pub checked_at: Option<String>,
    /// Why the last call failed, with a hint.
    pub error: Option<String>,
}

/// One app's part of [`Status`].
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct AppStatus {
    /// The app's name from the repo manifest.
    pub name: String,
    /// The revision the app was last reconciled at (successfully or not).
    pub revision: Option<String>,
    /// The last finished reconcile; `None` before the first one ends.
    pub reconcile: Option<ReconcileStatus>,
    /// The reconcile running now, and what it waits on; `None` when idle.
    #[serde(default)]
    pub reconciling: Option<ReconcilingStatus>,
    /// Worst health of the app's objects, live from the cluster's watch.
    pub health: HealthStatus,
    /// The objects plumb manages for the app, with their live health.
    pub resources: Vec<ResourceStatus>,
}

/// The outcome of one reconcile, as shown in status.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReconcileStatus {
    /// `success` or `failure`.
    pub result: ReconcileResult,
    /// RFC 3339 time at which it ended.
    pub at: String,
    /// How long it took.
    pub duration_ms: u64,
    /// The error with its hint, when it failed.
    pub error: Option<String>,
    /// Whether hooks ran and why (`first install`, `forced`, ...), when a
    /// plan was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hooks: Option<String>,
}

/// A reconcile in progress.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ReconcilingStatus {
    /// The revision being reconciled.
    pub revision: String,
    /// RFC 3339 time at which it started.
    pub since: String,
    /// Why it runs: new-revision, interval, sync, retry, ...
    pub trigger: String,
    /// `render`, `pre-hooks (weight N)`, `wave N`, `post-hooks (weight N)`, `prune`.
    pub phase: String,
    /// The objects waited on now, with their health and reason.
    pub waiting: Vec<ResourceStatus>,
}

/// One managed object in status.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ResourceStatus {
    /// `Kind`, e.g. Deployment.
    pub kind: String,
    /// Namespace, empty for cluster-scoped objects.
    pub namespace: String,
    /// metadata.name.
    pub name: String,
    /// Healthy, Progressing, Degraded or Unknown.
    pub health: HealthStatus,
    /// Why, in words a person can act on.
    pub reason: Option<String>,
}

impl Status {
    /// A human-readable summary for `plumb status -o table`; ages are
    /// relative to `now`.
    pub fn render_table(&self, now: SystemTime) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_string());
        let rev = self
            .source
            .revision
            .as_deref()
            .map(|r| crate::source::short_id(r).to_string());
        let age = self
            .source
            .committed_at
            .as_deref()
            .and_then(|t| humantime::parse_rfc3339(t).ok())
            .and_then(|t| now.duration_since(t).ok())
            .map(|d| {
                format!(
                    "{} ago",
                    humantime::format_duration(Duration::from_secs(d.as_secs()))
                )
            });
        let _ = writeln!(
            out,
            "SOURCE   {}  {}  ({}, {})  branch {}  fetched {}",
            dash(&rev),
            dash(&self.source.subject),
            dash(&self.source.author),
            dash(&age),
            dash(&self.source.branch),
            dash(&self.source.fetched_at)
        );
        if let Some(e) = &self.source.error {
            let _ = writeln!(out, "         error: {e}");
        }
        for (name, r) in [("CLUSTER", &self.cluster), ("DOCKER", &self.docker)] {
            let state = if r.up { "up" } else { "down" };
            let _ = writeln!(
                out,
                "{name:<8} {state}  {}  {}",
                dash(&r.version),
                dash(&r.endpoint)
            );
            if let Some(e) = &r.error {
                let _ = writeln!(out, "         error: {e}");
            }
        }
        let _ = writeln!(out);
        let name_width = self
            .apps
            .iter()
            .map(|a| a.name.len())
            .max()
            .unwrap_or(3)
            .max(3);
        let _ = writeln!(
            out,
            "{:<name_width$}  {:<12}  {:<8}  {:<20}  {:>8}  {:<11}  RESOURCES",
            "APP", "REVISION", "RESULT", "AT", "TOOK", "HEALTH"
        );
        for app in &self.apps {
            let rev = app
                .revision
                .as_deref()
                .map(crate::source::short_id)
                .unwrap_or("-");
            let (result, at, took) = match &app.reconcile {
                Some(r) => (
                    r.result.as_str(),
                    r.at.as_str(),
                    format!("{}ms", r.duration_ms),
                ),
                None => ("-", "-", "-".to_string()),
            };
            let health = app.health.as_str();
            let _ = writeln!(
                out,
                "{:<name_width$}  {:<12}  {:<8}  {:<20}  {:>8}  {:<11}  {}",
                app.name,
                rev,
                result,
                at,
                took,
                health,
                app.resources.len()
            );
            if let Some(e) = app.reconcile.as_ref().and_then(|r| r.error.as_ref()) {
                let _ = writeln!(out, "  error: {e}");
            }
            if let Some(r) = &app.reconciling {
                let _ = writeln!(
                    out,
                    "  reconciling {} ({}) since {}: {}",
                    crate::source::short_id(&r.revision),
                    r.trigger,
                    r.since,
                    r.phase
                );
                for w in &r.waiting {
                    let _ = writeln!(
                        out,
                        "    waiting on {}: {}{}",
                        w.display_name(),
                        w.health,
                        w.reason
                            .as_ref()
                            .map(|r| format!(" ({r})"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        out
    }
}

/// Formats a time as RFC 3339 in UTC with second precision.
pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

impl ResourceStatus {
    /// `Kind/namespace/name`, or `Kind/name` when cluster-scoped.
    pub fn display_name(&self) -> String {
        if self.namespace.is_empty() {
            format!("{}/{}", self.kind, self.name)
        } else {
            format!("{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// The write side of the status, shared by the daemon's tasks; a snapshot
/// reads each app's objects and health live from the watches' board.
#[derive(Clone)]
pub struct StatusHandle {
    tx: Arc<watch::Sender<Status>>,
    live: LiveHealth,
}

impl StatusHandle {
    /// A new, empty status with a board of its own.
    pub fn new() -> StatusHandle {
        StatusHandle::with_health(LiveHealth::new())
    }

    /// A new, empty status whose apps' health is read from `live`.
    pub fn with_health(live: LiveHealth) -> StatusHandle {
        let (tx, _rx) = watch::channel(Status::default());
        StatusHandle {
            tx: Arc::new(tx),
            live,
        }
    }

    /// Changes the status in place; readers see the change atomically.
    pub fn update(&self, f: impl FnOnce(&mut Status)) {
        self.tx.send_modify(f);
    }

    /// Changes one app's entry, creating it if the app is new.
    pub fn update_app(&self, name: &str, f: impl FnOnce(&mut AppStatus)) {
        self.tx.send_modify(|status| {
            let index = match status.apps.iter().position(|a| a.name == name) {
                Some(i) => i,
                None => {
                    status.apps.push(AppStatus {
                        name: name.to_string(),
                        ..AppStatus::default()
                    });
                    status.apps.len() - 1
                }
            };
            f(&mut status.apps[index]);
        });
    }

    /// A copy of the current status, with each app's objects and health as
    /// the watches see them now.
    pub fn snapshot(&self) -> Status {
        let mut status = self.tx.borrow().clone();
        for app in &mut status.apps {
            if let Some(objects) = self.live.app(&app.name) {
                app.health = crate::cluster::health::worst(objects.iter().map(|(_, h)| h));
                app.resources = objects
                    .into_iter()
                    .map(|(o, h)| ResourceStatus {
                        kind: o.kind,
                        namespace: o.namespace,
                        name: o.name,
                        health: h.status,
                        reason: h.reason,
                    })
                    .collect();
            }
        }
        status
    }

    /// A receiver that wakes on every change (for tests and waiting).
    pub fn subscribe(&self) -> watch::Receiver<Status> {
        self.tx.subscribe()
    }

    /// Whether plumb is ready: the source was read and the cluster answered once.
    pub fn readiness(&self) -> Result<(), Vec<String>> {
        let status = self.tx.borrow();
        let mut reasons = Vec::new();
        if status.source.revision.is_none() {
            reasons.push(match &status.source.error {
                Some(e) => format!("source not read yet: {e}"),
                None => "source not read yet".to_string(),
            });
        }
        if !status.cluster.reached {
            reasons.push(match &status.cluster.error {
                Some(e) => format!("cluster not reached yet: {e}"),
                None => "cluster not reached yet".to_string(),
            });
        }
        if reasons.is_empty() {
            Ok(())
        } else {
            Err(reasons)
        }
    }
}

impl Default for StatusHandle {
    fn default() -> Self {
        StatusHandle::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_ready_until_source_read_and_cluster_reached() {
        let status = StatusHandle::new();
        let reasons = status.readiness().unwrap_err();
        assert_eq!(reasons.len(), 2);
        status.update(|s| s.source.revision = Some("abc".into()));
        assert_eq!(status.readiness().unwrap_err().len(), 1);
        status.update(|s| {
            s.cluster.reached = true;
            s.cluster.up = false;
        });
        assert!(
            status.readiness().is_ok(),
            "a cluster that answered once stays ready"
        );
    }

    #[test]
    fn update_app_creates_then_changes_in_order() {
        let status = StatusHandle::new();
        status.update_app("b", |a| a.revision = Some("1".into()));
        status.update_app("a", |_| {});
        status.update_app("b", |a| a.revision = Some("2".into()));
        let snap = status.snapshot();
        let names: Vec<_> = snap.apps.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["b", "a"]);
        assert_eq!(snap.apps[0].revision.as_deref(), Some("2"));
        assert_eq!(snap.apps[1].health, HealthStatus::Unknown);
    }

    #[test]
    fn table_shows_source_dependencies_and_apps() {
        let status = StatusHandle::new();
        status.update(|s| {
            s.source.revision = Some("0123456789abcdef0123".into());
            s.source.subject = Some("bump api replicas".into());
            s.source.author = Some("Dev".into());
            s.source.branch = Some("main".into());
            s.source.committed_at = Some("2026-01-01T00:00:00Z".into());
            s.cluster.error = Some("no kubeconfig found".into());
        });
        status.update_app("pakaura", |a| {
            a.revision = Some("0123456789abcdef0123".into());
            a.reconcile = Some(ReconcileStatus {
                result: ReconcileResult::Failure,
                at: "2026-01-01T00:00:00Z".into(),
                duration_ms: 7,
                error: Some("boom".into()),
                hooks: None,
            });
            a.reconciling = Some(ReconcilingStatus {
                revision: "fedcba9876543210fedc".into(),
                since: "2026-01-01T01:29:00Z".into(),
                trigger: "new-revision".into(),
                phase: "pre-hooks (weight 0)".into(),
                waiting: vec![ResourceStatus {
                    kind: "Job".into(),
                    namespace: "pakaura".into(),
                    name: "migrate".into(),
                    health: HealthStatus::Progressing,
                    reason: Some("running".into()),
                }],
            });
        });
        let now = humantime::parse_rfc3339("2026-01-01T01:30:00Z").unwrap();
        let table = status.snapshot().render_table(now);
        assert!(
            table.contains(
                "SOURCE   0123456789ab  bump api replicas  (Dev, 1h 30m ago)  branch main"
            ),
            "{table}"
        );
        assert!(table.contains("CLUSTER  down"), "{table}");
        assert!(table.contains("error: no kubeconfig found"), "{table}");
        assert!(table.contains("pakaura  0123456789ab  failure"), "{table}");
        assert!(table.contains("  error: boom"), "{table}");
        assert!(
            table.contains("  reconciling fedcba987654 (new-revision) since 2026-01-01T01:29:00Z: pre-hooks (weight 0)"),
            "{table}"
        );
        assert!(
            table.contains("    waiting on Job/pakaura/migrate: Progressing (running)"),
            "{table}"
        );
    }

    #[test]
    fn status_json_has_the_documented_shape() {
        let status = StatusHandle::new();
        status.update_app("pakaura", |a| {
            a.reconcile = Some(ReconcileStatus {
                result: ReconcileResult::Success,
                at: rfc3339(SystemTime::UNIX_EPOCH),
                duration_ms: 12,
                error: None,
                hooks: None,
            })
        });
        let json = serde_json::to_value(status.snapshot()).unwrap();
        assert!(json["source"]["revision"].is_null());
        assert!(json["source"].get("fetched_at").is_some());
        assert!(json["source"].get("error").is_some());
        let app = &json["apps"][0];
        assert_eq!(app["name"], "pakaura");
        assert_eq!(app["reconcile"]["result"], "success");
        assert_eq!(app["reconcile"]["at"], "1970-01-01T00:00:00Z");
        assert_eq!(app["reconcile"]["duration_ms"], 12);
        assert!(app["resources"].is_array());
        assert_eq!(app["health"], "Unknown");
        assert!(app["reconciling"].is_null());
        let back: Status = serde_json::from_value(json).unwrap();
        assert_eq!(
            back.apps[0].reconcile.as_ref().unwrap().result,
            ReconcileResult::Success
        );
    }

    #[test]
    fn a_snapshot_reads_health_live() {
        use crate::cluster::health::Health;
        use crate::object::ObjRef;
        let live = LiveHealth::new();
        let status = StatusHandle::with_health(live.clone());
        status.update_app("p", |_| {});
        let api = ObjRef::new("apps/v1", "Deployment", "p", "api");
        live.set_managed("p", vec![(api.clone(), Health::missing())]);
        assert_eq!(
            status.snapshot().apps[0].resources[0].health,
            HealthStatus::Unknown
        );
        let broken = serde_json::json!({"status": {"conditions": [{"type": "Progressing", "reason": "ProgressDeadlineExceeded"}]}});
        live.observe("p", &api, Some(&broken));
        let snap = status.snapshot();
        assert_eq!(snap.apps[0].health, HealthStatus::Degraded);
        assert_eq!(snap.apps[0].resources[0].name, "api");
    }
}
