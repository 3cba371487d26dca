//! Waiting until applied objects are healthy: polls live state, reports
//! what is waited on (to status, and to the log once each time it
//! changes), and gives up at once when a pod says something nothing in
//! this sync can fix (a missing ConfigMap that no earlier step applies, an
//! invalid image name, an image that may never be pulled), instead of
//! sitting out the whole timeout.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde_json::Value;
use tracing::info;

use super::apply::{ApplyError, Cluster};
use super::health::{self, Health, HealthStatus};
use crate::object::{ObjKey, ObjRef, APP_LABEL};

/// How often health is polled while waiting.
pub const POLL: Duration = Duration::from_millis(300);
/// How long an object must be unhealthy before its pods are read.
const PODS_AFTER: Duration = Duration::from_millis(600);

/// Where a sync reports what it is doing; the daemon shows it in
/// `/status` as the app's `reconciling` block.
pub trait Progress: Send + Sync {
    /// A new phase began: hooks, a wave, prune.
    fn phase(&self, phase: &Phase);
    /// The objects waited on now, with their health (empty: none).
    fn waiting(&self, on: &[(ObjRef, Health)]);
}

/// Reports nowhere: for one-off commands and tests.
pub struct NoProgress;

impl Progress for NoProgress {
    fn phase(&self, _: &Phase) {}
    fn waiting(&self, _: &[(ObjRef, Health)]) {}
}

/// What part of a sync is running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Hooks before the waves, of one weight.
    PreHooks { weight: i64 },
    /// A wave: applying, then waiting until healthy.
    Wave(i64),
    /// Hooks after the waves, of one weight.
    PostHooks { weight: i64 },
    /// Deleting what left git.
    Prune,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Phase::PreHooks { weight } => write!(f, "pre-hooks (weight {weight})"),
            Phase::Wave(n) => write!(f, "wave {n}"),
            Phase::PostHooks { weight } => write!(f, "post-hooks (weight {weight})"),
            Phase::Prune => f.write_str("prune"),
        }
    }
}

/// Live objects of an app, listed once per kind and namespace by the app
/// label: what a sync reads instead of one GET per object.
#[derive(Debug, Default, Clone)]
pub struct Live {
    /// By identity.
    pub objects: BTreeMap<ObjKey, Value>,
}

impl Live {
    /// Lists the kinds and namespaces of `refs`.
    ///
    /// # Errors
    /// [`ApplyError`] from a list.
    pub async fn list(cluster: &Cluster, app: &str, refs: &[ObjRef]) -> Result<Live, ApplyError> {
        let mut groups: Vec<ObjRef> = Vec::new();
        for r in refs {
            // Named `*` so an error reads `Secret/ns/*: list forbidden`.
            let template = r.with_name("*");
            if !groups.contains(&template) {
                groups.push(template);
            }
        }
        let mut objects = BTreeMap::new();
        let selector = format!("{APP_LABEL}={app}");
        for template in groups {
            for live in cluster.list(&template, &selector).await? {
                let name = live["metadata"]["name"].as_str().unwrap_or("");
                objects.insert(template.with_name(name).key(), live);
            }
        }
        Ok(Live { objects })
    }

    /// The live object, if listed.
    pub fn get(&self, object: &ObjRef) -> Option<&Value> {
        self.objects.get(&object.key())
    }

    /// Its health; Unknown "object not found" when absent.
    pub fn health(&self, object: &ObjRef) -> Health {
        match self.get(object) {
            Some(live) => health::health(&object.kind, live),
            None => Health::missing(),
        }
    }
}

/// Why waiting ended without everything healthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// `timeout` passed; the worst object and its health.
    Timeout { object: ObjRef, health: Health },
    /// An object failed for good (a hook Job that failed).
    Failed { object: ObjRef, health: Health },
    /// A pod reports a state nothing in this sync can resolve.
    Hopeless { object: ObjRef, reason: String },
}

/// How to wait.
pub struct Wait<'a> {
    /// The app (its label selects the objects).
    pub app: &'a str,
    /// What was applied earlier in this sync (and the objects waited on):
    /// a pod missing one of these may still get it; one missing anything
    /// else will not.
    pub applied: &'a BTreeSet<ObjKey>,
    /// Give up after this long.
    pub timeout: Duration,
    /// Degraded is final (hooks): stop at once instead of waiting on.
    pub degraded_is_final: bool,
    /// Where to report what is waited on.
    pub progress: &'a dyn Progress,
}

/// Polls until every object is healthy, one is hopeless, or the timeout
/// passes. Returns the last live snapshot (for the report) and why waiting
/// stopped short, if it did; the outer error is an API failure.
///
/// # Errors
/// [`ApplyError`] from a list.
pub async fn until_healthy(
    cluster: &Cluster,
    objects: &[ObjRef],
    wait: &Wait<'_>,
) -> Result<(Live, Option<Stop>), ApplyError> {
    let started = Instant::now();
    let mut last_logged = String::new();
    let mut unhealthy_since: BTreeMap<ObjKey, Instant> = BTreeMap::new();
    loop {
        let live = Live::list(cluster, wait.app, objects).await?;
        let waiting: Vec<(ObjRef, Health)> = objects
            .iter()
            .map(|o| (o.clone(), live.health(o)))
            .filter(|(_, h)| h.status != HealthStatus::Healthy)
            .collect();
        wait.progress.waiting(&waiting);
        if waiting.is_empty() {
            return Ok((live, None));
        }
        let summary = summarize(&waiting);
        if summary != last_logged {
            info!(app = %wait.app, waiting = %summary, "waiting");
            last_logged = summary;
        }
        let now = Instant::now();
        unhealthy_since.retain(|k, _| waiting.iter().any(|(o, _)| o.key() == *k));
        let mut due = Vec::new();
        for (object, health) in &waiting {
            if wait.degraded_is_final && health.status == HealthStatus::Degraded {
                return Ok((
                    live,
                    Some(Stop::Failed {
                        object: object.clone(),
                        health: health.clone(),
                    }),
                ));
            }
            let since = *unhealthy_since.entry(object.key()).or_insert(now);
            if now.duration_since(since) >= PODS_AFTER {
                due.push(object);
            }
        }
        if let Some((object, reason)) = hopeless_pods(cluster, &due, &live, wait.applied).await? {
            return Ok((live, Some(Stop::Hopeless { object, reason })));
        }
        if started.elapsed() >= wait.timeout {
            let (object, health) = worst(waiting);
            return Ok((live, Some(Stop::Timeout { object, health })));
        }
        tokio::time::sleep(POLL).await;
    }
}

fn worst(waiting: Vec<(ObjRef, Health)>) -> (ObjRef, Health) {
    let mut worst: Option<(ObjRef, Health)> = None;
    for (object, health) in waiting {
        if worst.as_ref().is_none_or(|(_, w)| health.status > w.status) {
            worst = Some((object, health));
        }
    }
    worst.unwrap_or_else(|| (ObjRef::new("v1", "Unknown", "", ""), Health::missing()))
}

/// `Kind/ns/name: Status (reason); ...` for the log.
fn summarize(waiting: &[(ObjRef, Health)]) -> String {
    let parts: Vec<String> = waiting
        .iter()
        .map(|(o, h)| match &h.reason {
            Some(r) => format!("{o}: {} ({r})", h.status),
            None => format!("{o}: {}", h.status),
        })
        .collect();
    parts.join("; ")
}

/// Reads the pods of the workloads (or the pods themselves) waited on too
/// long, one list per namespace, and says which object can never become
/// ready in this sync and why, if one cannot.
async fn hopeless_pods(
    cluster: &Cluster,
    due: &[&ObjRef],
    live: &Live,
    applied: &BTreeSet<ObjKey>,
) -> Result<Option<(ObjRef, String)>, ApplyError> {
    let owners: Vec<(&ObjRef, &Value)> = due
        .iter()
        .filter(|o| POD_OWNERS.contains(&o.kind.as_str()))
        .filter_map(|o| live.get(o).map(|l| (*o, l)))
        .collect();
    let mut pods: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for (object, _) in &owners {
        if !pods.contains_key(object.namespace.as_str()) {
            let template = ObjRef::new("v1", "Pod", &object.namespace, "*");
            pods.insert(&object.namespace, cluster.list(&template, "").await?);
        }
    }
    for (object, workload) in owners {
        let found = pods[object.namespace.as_str()]
            .iter()
            .filter(|pod| object.kind == "Pod" || selects(workload, pod))
            .filter(|pod| object.kind != "Pod" || pod["metadata"]["name"] == object.name.as_str())
            .find_map(|pod| hopeless(pod, applied));
        if let Some(reason) = found {
            return Ok(Some((object.clone(), reason)));
        }
    }
    Ok(None)
}

/// Kinds whose health hangs on pods.
const POD_OWNERS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
];

/// Whether a workload's `spec.selector.matchLabels` selects `pod` (an
/// empty or missing selector selects nothing).
fn selects(workload: &Value, pod: &Value) -> bool {
    let Some(wanted) = workload["spec"]["selector"]["matchLabels"].as_object() else {
        return false;
    };
    !wanted.is_empty()
        && wanted
            .iter()
            .all(|(k, v)| pod["metadata"]["labels"][k.as_str()] == *v)
}

/// Container states that no retry can fix.
const HOPELESS_WAITING: &[&str] = &["InvalidImageName", "ErrImageNeverPull"];

/// Why `pod` cannot become ready in this sync, if it cannot: a container
/// waiting with `InvalidImageName` or `ErrImageNeverPull`, or with
/// `CreateContainerConfigError` for a ConfigMap or Secret that is not in
/// `applied` (the kubelet retries, so one applied earlier in this sync may
/// still arrive). Pure.
pub fn hopeless(pod: &Value, applied: &BTreeSet<ObjKey>) -> Option<String> {
    let name = pod["metadata"]["name"].as_str().unwrap_or("?");
    let namespace = pod["metadata"]["namespace"].as_str().unwrap_or("");
    for c in super::health::container_statuses(pod) {
        let waiting = &c["state"]["waiting"];
        let Some(reason) = waiting["reason"].as_str() else {
            continue;
        };
        let message = waiting["message"].as_str().unwrap_or("").trim();
        let container = c["name"].as_str().unwrap_or("?");
        let said = || {
            if message.is_empty() {
                format!("pod {name} container {container}: {reason}")
            } else {
                format!("pod {name} container {container}: {reason}: {message}")
            }
        };
        if HOPELESS_WAITING.contains(&reason) {
            let hint = match reason {
                "ErrImageNeverPull" => {
                    "the image is not on the node and imagePullPolicy is Never; build it into Minikube's Docker (`plumb build`, or `eval $(minikube docker-env)` then `docker build`) or change imagePullPolicy"
                }
                _ => "fix the image reference in the manifest",
            };
            return Some(format!("{} (hint: {hint})", said()));
        }
        if reason == "CreateContainerConfigError" {
            match missing_config(message, namespace) {
                Some(missing) if applied.contains(&missing) => continue,
                Some(missing) => {
                    return Some(format!(
                        "{} (hint: {} {} is not applied by any earlier step of this sync; if plumb manages it, move it before this step, e.g. a hook of lower weight)",
                        said(),
                        missing.kind,
                        missing.name
                    ))
                }
                None => return Some(said()),
            }
        }
    }
    None
}

/// The ConfigMap or Secret a kubelet config error names: `configmap "x"
/// not found`, `secret "x" not found`, `couldn't find key K in ConfigMap
/// ns/x`.
fn missing_config(message: &str, namespace: &str) -> Option<ObjKey> {
    let quoted = |prefix: &str| {
        let rest = message.split(prefix).nth(1)?;
        rest.split('"').next().map(str::to_string)
    };
    let key = |kind: &str, namespace: &str, name: String| ObjKey {
        group: String::new(),
        kind: kind.to_string(),
        namespace: namespace.to_string(),
        name,
    };
    if let Some(name) = quoted("configmap \"") {
        return Some(key("ConfigMap", namespace, name));
    }
    if let Some(name) = quoted("secret \"") {
        return Some(key("Secret", namespace, name));
    }
    for kind in ["ConfigMap", "Secret"] {
        if let Some(rest) = message.split(&format!(" in {kind} ")).nth(1) {
            let reference = rest.split_whitespace().next()?;
            let (ns, name) = reference.split_once('/').unwrap_or((namespace, reference));
            return Some(key(kind, ns, name.to_string()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(reason: &str, message: &str) -> Value {
        json!({"metadata": {"name": "migrate-x", "namespace": "pakaura"},
            "status": {"phase": "Pending", "containerStatuses": [
                {"name": "migrate", "state": {"waiting": {"reason": reason, "message": message}}}]}})
    }

    fn key(kind: &str, name: &str) -> ObjKey {
        ObjRef::new("v1", kind, "pakaura", name).key()
    }

    #[test]
    fn a_config_map_no_earlier_step_applies_is_hopeless() {
        let p = pod(
            "CreateContainerConfigError",
            "configmap \"pakaura-config\" not found",
        );
        let none = BTreeSet::new();
        let why = hopeless(&p, &none).expect("nothing applies it");
        assert!(
            why.starts_with("pod migrate-x container migrate: CreateContainerConfigError: configmap \"pakaura-config\" not found"),
            "{why}"
        );
        assert!(
            why.contains("ConfigMap pakaura-config is not applied by any earlier step"),
            "{why}"
        );
        let applied = BTreeSet::from([key("ConfigMap", "pakaura-config")]);
        assert_eq!(
            hopeless(&p, &applied),
            None,
            "applied earlier: the kubelet retries"
        );
    }

    #[test]
    fn secrets_and_missing_keys_are_recognised() {
        let p = pod(
            "CreateContainerConfigError",
            "secret \"pakaura-db\" not found",
        );
        assert!(hopeless(&p, &BTreeSet::new())
            .unwrap()
            .contains("Secret pakaura-db"));
        let applied = BTreeSet::from([key("Secret", "pakaura-db")]);
        assert_eq!(hopeless(&p, &applied), None);
        let p = pod(
            "CreateContainerConfigError",
            "couldn't find key DB_HOST in ConfigMap pakaura/pakaura-config",
        );
        assert!(hopeless(&p, &BTreeSet::new()).is_some());
        let applied = BTreeSet::from([key("ConfigMap", "pakaura-config")]);
        assert_eq!(hopeless(&p, &applied), None);
    }

    #[test]
    fn bad_images_are_hopeless_and_pulls_are_not() {
        let p = pod(
            "InvalidImageName",
            "Failed to apply default image tag \"Bad:Name\"",
        );
        assert!(hopeless(&p, &BTreeSet::new())
            .unwrap()
            .contains("InvalidImageName"));
        let p = pod(
            "ErrImageNeverPull",
            "Container image \"api:1\" is not present with pull policy of Never",
        );
        let why = hopeless(&p, &BTreeSet::new()).unwrap();
        assert!(why.contains("minikube docker-env"), "{why}");
        for transient in ["ContainerCreating", "ImagePullBackOff", "CrashLoopBackOff"] {
            assert_eq!(
                hopeless(&pod(transient, ""), &BTreeSet::new()),
                None,
                "{transient}"
            );
        }
        let running = json!({"metadata": {"name": "p"}, "status": {"containerStatuses": [{"name": "c", "state": {"running": {}}}]}});
        assert_eq!(hopeless(&running, &BTreeSet::new()), None);
    }

    #[test]
    fn workloads_select_their_pods() {
        let d = json!({"spec": {"selector": {"matchLabels": {"app": "api", "tier": "web"}}}});
        let pod = |labels: Value| json!({"metadata": {"labels": labels}});
        assert!(selects(
            &d,
            &pod(json!({"app": "api", "tier": "web", "x": "1"}))
        ));
        assert!(!selects(&d, &pod(json!({"app": "api"}))));
        assert!(!selects(&json!({"spec": {}}), &pod(json!({"app": "api"}))));
    }

    #[test]
    fn phases_read_as_status_shows_them() {
        assert_eq!(
            Phase::PreHooks { weight: -5 }.to_string(),
            "pre-hooks (weight -5)"
        );
        assert_eq!(Phase::Wave(1).to_string(), "wave 1");
        assert_eq!(Phase::Prune.to_string(), "prune");
    }

    #[test]
    fn the_waiting_line_names_each_object_and_reason() {
        let waiting = vec![(
            ObjRef::new("apps/v1", "Deployment", "p", "api"),
            Health {
                status: HealthStatus::Progressing,
                reason: Some("1 of 2 replicas available".into()),
            },
        )];
        assert_eq!(
            summarize(&waiting),
            "Deployment/p/api: Progressing (1 of 2 replicas available)"
        );
    }
}
