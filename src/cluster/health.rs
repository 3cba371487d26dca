//! Health of live objects, per kind, as Healthy / Progressing / Degraded /
//! Unknown with a reason a person can act on. Pure: the live object's JSON
//! in, a [`Health`] out; the same rules Argo CD and kstatus use, in short.

use serde_json::Value;

/// How an object is doing.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub enum HealthStatus {
    /// Doing what it should.
    Healthy,
    /// On its way (rolling out, pending, not bound yet).
    Progressing,
    /// Health cannot be told (object missing, status unreadable).
    #[default]
    Unknown,
    /// Failed: needs a person.
    Degraded,
}

impl HealthStatus {
    /// The label used in status and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Healthy => "Healthy",
            HealthStatus::Progressing => "Progressing",
            HealthStatus::Unknown => "Unknown",
            HealthStatus::Degraded => "Degraded",
        }
    }

    /// Every value, for creating metric series.
    pub const ALL: [HealthStatus; 4] = [
        HealthStatus::Healthy,
        HealthStatus::Progressing,
        HealthStatus::Unknown,
        HealthStatus::Degraded,
    ];
}

impl std::fmt::Display for HealthStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A health verdict with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// The verdict.
    pub status: HealthStatus,
    /// Why, when not plainly healthy.
    pub reason: Option<String>,
}

impl Health {
    fn healthy() -> Health {
        Health {
            status: HealthStatus::Healthy,
            reason: None,
        }
    }
    fn progressing(reason: impl Into<String>) -> Health {
        Health {
            status: HealthStatus::Progressing,
            reason: Some(reason.into()),
        }
    }
    fn degraded(reason: impl Into<String>) -> Health {
        Health {
            status: HealthStatus::Degraded,
            reason: Some(reason.into()),
        }
    }
    /// Health of an object that should exist but does not.
    pub fn missing() -> Health {
        Health {
            status: HealthStatus::Unknown,
            reason: Some("object not found".into()),
        }
    }
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn condition<'a>(obj: &'a Value, kind: &str) -> Option<&'a Value> {
    obj["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
}

/// The generation the controller has seen is the current one.
fn observed(obj: &Value) -> bool {
    match obj["status"]["observedGeneration"].as_i64() {
        Some(seen) => seen >= int(&obj["metadata"]["generation"]),
        None => obj["metadata"]["generation"].is_null(),
    }
}

/// Health of a live object of `kind`.
pub fn health(kind: &str, obj: &Value) -> Health {
    match kind {
        "Deployment" => deployment(obj),
        "StatefulSet" => statefulset(obj),
        "DaemonSet" => daemonset(obj),
        "ReplicaSet" => replicaset(obj),
        "Pod" => pod(obj),
        "Job" => job(obj),
        "PersistentVolumeClaim" => pvc(obj),
        "Service" => service(obj),
        "Ingress" => ingress(obj),
        "CustomResourceDefinition" => crd(obj),
        _ => generic(obj),
    }
}

fn deployment(obj: &Value) -> Health {
    if let Some(c) = condition(obj, "Progressing") {
        if c["reason"] == "ProgressDeadlineExceeded" {
            return Health::degraded(format!(
                "rollout stuck: {}",
                c["message"]
                    .as_str()
                    .unwrap_or("progress deadline exceeded")
            ));
        }
    }
    if obj["spec"]["paused"] == true {
        return Health::progressing("rollout paused");
    }
    if !observed(obj) {
        return Health::progressing("waiting for the controller to see the new generation");
    }
    let want = obj["spec"]["replicas"].as_i64().unwrap_or(1);
    let status = &obj["status"];
    let (updated, available, total) = (
        int(&status["updatedReplicas"]),
        int(&status["availableReplicas"]),
        int(&status["replicas"]),
    );
    if updated < want {
        return Health::progressing(format!("{updated} of {want} replicas updated"));
    }
    if total > updated {
        return Health::progressing(format!(
            "{} old replicas pending termination",
            total - updated
        ));
    }
    if available < want {
        return Health::progressing(format!("{available} of {want} replicas available"));
    }
    Health::healthy()
}

fn statefulset(obj: &Value) -> Health {
    if !observed(obj) {
        return Health::progressing("waiting for the controller to see the new generation");
    }
    let want = obj["spec"]["replicas"].as_i64().unwrap_or(1);
    let status = &obj["status"];
    let ready = int(&status["readyReplicas"]);
    if ready < want {
        return Health::progressing(format!("{ready} of {want} replicas ready"));
    }
    let strategy = &obj["spec"]["updateStrategy"];
    if strategy["type"] == "OnDelete" {
        return Health::healthy();
    }
    if let Some(partition) = strategy["rollingUpdate"]["partition"].as_i64() {
        let updated = int(&status["updatedReplicas"]);
        if updated < want - partition {
            return Health::progressing(format!(
                "{updated} of {} replicas updated (partition {partition})",
                want - partition
            ));
        }
        return Health::healthy();
    }
    let (current, update) = (&status["currentRevision"], &status["updateRevision"]);
    if update.is_string() && current != update {
        return Health::progressing(format!(
            "rolling out revision {}",
            update.as_str().unwrap_or("")
        ));
    }
    Health::healthy()
}

fn daemonset(obj: &Value) -> Health {
    if !observed(obj) {
        return Health::progressing("waiting for the controller to see the new generation");
    }
    let status = &obj["status"];
    let want = int(&status["desiredNumberScheduled"]);
    let updated = int(&status["updatedNumberScheduled"]);
    let available = int(&status["numberAvailable"]);
    if updated < want {
        return Health::progressing(format!("{updated} of {want} pods updated"));
    }
    if available < want {
        return Health::progressing(format!("{available} of {want} pods available"));
    }
    Health::healthy()
}

fn replicaset(obj: &Value) -> Health {
    if let Some(c) = condition(obj, "ReplicaFailure") {
        if c["status"] == "True" {
            return Health::degraded(
                c["message"]
                    .as_str()
                    .unwrap_or("replica failure")
                    .to_string(),
            );
        }
    }
    let want = obj["spec"]["replicas"].as_i64().unwrap_or(1);
    let available = int(&obj["status"]["availableReplicas"]);
    if available < want {
        return Health::progressing(format!("{available} of {want} replicas available"));
    }
    Health::healthy()
}

/// Container states that will not fix themselves.
const BAD_WAITING: &[&str] = &[
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "ErrImageNeverPull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
];

/// A pod's init and app container statuses, in that order.
pub fn container_statuses(pod: &Value) -> impl Iterator<Item = &Value> {
    let status = &pod["status"];
    status["initContainerStatuses"]
        .as_array()
        .into_iter()
        .chain(status["containerStatuses"].as_array())
        .flatten()
}

fn pod(obj: &Value) -> Health {
    let status = &obj["status"];
    for c in container_statuses(obj) {
        let waiting = &c["state"]["waiting"];
        if let Some(reason) = waiting["reason"].as_str() {
            if BAD_WAITING.contains(&reason) {
                let name = c["name"].as_str().unwrap_or("?");
                let image = c["image"].as_str().unwrap_or("?");
                let hint = match reason {
                    "ErrImageNeverPull" | "ImagePullBackOff" | "ErrImagePull" => format!(
                        " (hint: is image {image} in Minikube's Docker? build it with `eval $(minikube docker-env)` or let plumb build it)"
                    ),
                    "CrashLoopBackOff" => format!(" (hint: `kubectl logs {} -c {name} --previous`)", obj["metadata"]["name"].as_str().unwrap_or("")),
                    _ => String::new(),
                };
                let message = waiting["message"]
                    .as_str()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default();
                return Health::degraded(format!("container {name}: {reason}{message}{hint}"));
            }
        }
    }
    match status["phase"].as_str() {
        Some("Succeeded") => Health::healthy(),
        Some("Failed") => Health::degraded(format!(
            "pod failed: {}",
            status["message"]
                .as_str()
                .or(status["reason"].as_str())
                .unwrap_or("no reason given")
        )),
        Some("Running") => match condition(obj, "Ready") {
            Some(c) if c["status"] == "True" => Health::healthy(),
            _ => Health::progressing("running, not ready"),
        },
        Some(phase) => Health::progressing(format!("pod {phase}")),
        None => Health::progressing("pod not scheduled yet"),
    }
}

fn job(obj: &Value) -> Health {
    if let Some(c) = condition(obj, "Failed") {
        if c["status"] == "True" {
            return Health::degraded(format!(
                "job failed: {}{}",
                c["reason"].as_str().unwrap_or("Failed"),
                c["message"]
                    .as_str()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            ));
        }
    }
    if let Some(c) = condition(obj, "Complete") {
        if c["status"] == "True" {
            return Health::healthy();
        }
    }
    let status = &obj["status"];
    let failed = int(&status["failed"]);
    let limit = obj["spec"]["backoffLimit"].as_i64().unwrap_or(6);
    if failed > limit {
        return Health::degraded(format!("{failed} pods failed (backoffLimit {limit})"));
    }
    if failed > 0 {
        return Health::progressing(format!("running; {failed} of {limit} retries used"));
    }
    Health::progressing("running")
}

fn pvc(obj: &Value) -> Health {
    match obj["status"]["phase"].as_str() {
        Some("Bound") => Health::healthy(),
        Some("Lost") => Health::degraded("volume lost"),
        Some(phase) => Health::progressing(format!("claim {phase}")),
        None => Health::progressing("claim pending"),
    }
}

fn service(obj: &Value) -> Health {
    if obj["spec"]["type"] == "LoadBalancer" {
        let ingress = obj["status"]["loadBalancer"]["ingress"].as_array();
        if ingress.is_none_or(|i| i.is_empty()) {
            return Health::progressing(
                "waiting for a load balancer address (hint: with Minikube, run `minikube tunnel`)",
            );
        }
    }
    Health::healthy()
}

/// An Ingress is healthy once it exists, as Flux's kstatus has it: only an
/// ingress controller ever gives it an address, and a wave must not wait
/// minutes on a cluster without one. The missing address is said, not
/// waited on.
fn ingress(obj: &Value) -> Health {
    let ingress = obj["status"]["loadBalancer"]["ingress"].as_array();
    if ingress.is_none_or(|i| i.is_empty()) {
        return Health {
            status: HealthStatus::Healthy,
            reason: Some(
                "no address yet: is an ingress controller running? (hint: with Minikube, `minikube addons enable ingress`)"
                    .into(),
            ),
        };
    }
    Health::healthy()
}

fn crd(obj: &Value) -> Health {
    match condition(obj, "Established") {
        Some(c) if c["status"] == "True" => Health::healthy(),
        _ => match condition(obj, "NamesAccepted") {
            Some(c) if c["status"] == "False" => Health::degraded(format!(
                "names not accepted: {}",
                c["message"].as_str().unwrap_or("")
            )),
            _ => Health::progressing("not established yet"),
        },
    }
}

fn generic(obj: &Value) -> Health {
    match condition(obj, "Ready") {
        Some(c) if c["status"] == "True" => Health::healthy(),
        Some(c) if c["status"] == "False" => {
            let reason = c["reason"].as_str().unwrap_or("NotReady");
            let message = c["message"]
                .as_str()
                .map(|m| format!(": {m}"))
                .unwrap_or_default();
            if reason.contains("Fail") || reason.contains("Error") {
                Health::degraded(format!("{reason}{message}"))
            } else {
                Health::progressing(format!("{reason}{message}"))
            }
        }
        Some(_) => Health::progressing("Ready condition unknown"),
        None => Health::healthy(),
    }
}

/// The worst of several verdicts (Degraded > Unknown > Progressing > Healthy);
/// Healthy for none.
pub fn worst<'a>(healths: impl IntoIterator<Item = &'a Health>) -> HealthStatus {
    healths
        .into_iter()
        .map(|h| h.status)
        .max()
        .unwrap_or(HealthStatus::Healthy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn status(kind: &str, obj: Value) -> (HealthStatus, String) {
        let h = health(kind, &obj);
        (h.status, h.reason.unwrap_or_default())
    }

    #[test]
    fn deployment_rollout() {
        let base = json!({"metadata": {"generation": 2}, "spec": {"replicas": 3}});
        let mut d = base.clone();
        d["status"] = json!({"observedGeneration": 1});
        assert_eq!(status("Deployment", d).0, HealthStatus::Progressing);
        let mut d = base.clone();
        d["status"] = json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 1, "availableReplicas": 3});
        assert_eq!(
            status("Deployment", d),
            (HealthStatus::Progressing, "1 of 3 replicas updated".into())
        );
        let mut d = base.clone();
        d["status"] = json!({"observedGeneration": 2, "replicas": 4, "updatedReplicas": 3, "availableReplicas": 3});
        assert_eq!(
            status("Deployment", d).1,
            "1 old replicas pending termination"
        );
        let mut d = base.clone();
        d["status"] = json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 2});
        assert_eq!(status("Deployment", d).1, "2 of 3 replicas available");
        let mut d = base.clone();
        d["status"] = json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 3});
        assert_eq!(status("Deployment", d).0, HealthStatus::Healthy);
        let mut d = base;
        d["status"] = json!({"observedGeneration": 2, "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "ReplicaSet \"api-1\" has timed out progressing."}]});
        let (s, reason) = status("Deployment", d);
        assert_eq!(s, HealthStatus::Degraded);
        assert!(reason.contains("timed out"), "{reason}");
    }

    #[test]
    fn statefulset_revisions_and_partition() {
        let mut s = json!({"metadata": {"generation": 1}, "spec": {"replicas": 2},
            "status": {"observedGeneration": 1, "readyReplicas": 2, "currentRevision": "db-1", "updateRevision": "db-2"}});
        assert_eq!(
            status("StatefulSet", s.clone()).1,
            "rolling out revision db-2"
        );
        s["status"]["currentRevision"] = json!("db-2");
        assert_eq!(status("StatefulSet", s.clone()).0, HealthStatus::Healthy);
        s["status"]["readyReplicas"] = json!(1);
        assert_eq!(status("StatefulSet", s.clone()).1, "1 of 2 replicas ready");
        s["status"]["readyReplicas"] = json!(2);
        s["spec"]["updateStrategy"] =
            json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 1}});
        s["status"]["updatedReplicas"] = json!(1);
        assert_eq!(status("StatefulSet", s).0, HealthStatus::Healthy);
    }

    #[test]
    fn daemonset_and_replicaset() {
        let d = json!({"status": {"desiredNumberScheduled": 3, "updatedNumberScheduled": 3, "numberAvailable": 1}});
        assert_eq!(status("DaemonSet", d).1, "1 of 3 pods available");
        let r = json!({"spec": {"replicas": 1}, "status": {"conditions": [{"type": "ReplicaFailure", "status": "True", "message": "pods \"x\" is forbidden: exceeded quota"}]}});
        let (s, reason) = status("ReplicaSet", r);
        assert_eq!(s, HealthStatus::Degraded);
        assert!(reason.contains("exceeded quota"));
    }

    #[test]
    fn pod_waiting_reasons_have_hints() {
        let p = json!({"metadata": {"name": "api-1"}, "status": {"phase": "Pending", "containerStatuses": [
            {"name": "api", "image": "pakaura-api:3f2a", "state": {"waiting": {"reason": "ErrImageNeverPull", "message": "Container image \"pakaura-api:3f2a\" is not present with pull policy of Never"}}}]}});
        let (s, reason) = status("Pod", p);
        assert_eq!(s, HealthStatus::Degraded);
        assert!(
            reason.starts_with("container api: ErrImageNeverPull"),
            "{reason}"
        );
        assert!(reason.contains("minikube docker-env"), "{reason}");
        let p = json!({"metadata": {"name": "api-1"}, "status": {"phase": "Running", "containerStatuses": [
            {"name": "api", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}});
        assert!(status("Pod", p)
            .1
            .contains("kubectl logs api-1 -c api --previous"));
        let p = json!({"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}});
        assert_eq!(status("Pod", p).0, HealthStatus::Healthy);
        let p = json!({"status": {"phase": "Pending"}});
        assert_eq!(
            status("Pod", p),
            (HealthStatus::Progressing, "pod Pending".into())
        );
        let p = json!({"status": {"phase": "Failed", "reason": "Evicted"}});
        assert_eq!(
            status("Pod", p),
            (HealthStatus::Degraded, "pod failed: Evicted".into())
        );
    }

    #[test]
    fn job_complete_failed_and_retrying() {
        let j = json!({"status": {"conditions": [{"type": "Complete", "status": "True"}]}});
        assert_eq!(status("Job", j).0, HealthStatus::Healthy);
        let j = json!({"status": {"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}});
        assert_eq!(
            status("Job", j),
            (
                HealthStatus::Degraded,
                "job failed: BackoffLimitExceeded: Job has reached the specified backoff limit"
                    .into()
            )
        );
        let j = json!({"spec": {"backoffLimit": 3}, "status": {"failed": 1}});
        assert_eq!(status("Job", j).1, "running; 1 of 3 retries used");
    }

    #[test]
    fn pvc_service_ingress_crd() {
        assert_eq!(
            status(
                "PersistentVolumeClaim",
                json!({"status": {"phase": "Bound"}})
            )
            .0,
            HealthStatus::Healthy
        );
        assert_eq!(
            status(
                "PersistentVolumeClaim",
                json!({"status": {"phase": "Pending"}})
            )
            .0,
            HealthStatus::Progressing
        );
        assert_eq!(
            status(
                "PersistentVolumeClaim",
                json!({"status": {"phase": "Lost"}})
            )
            .0,
            HealthStatus::Degraded
        );
        assert_eq!(
            status("Service", json!({"spec": {"type": "ClusterIP"}})).0,
            HealthStatus::Healthy
        );
        let lb = json!({"spec": {"type": "LoadBalancer"}, "status": {"loadBalancer": {}}});
        assert!(status("Service", lb).1.contains("minikube tunnel"));
        let lb = json!({"spec": {"type": "LoadBalancer"}, "status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}}});
        assert_eq!(status("Service", lb).0, HealthStatus::Healthy);
        let no_address = status("Ingress", json!({"status": {}}));
        assert_eq!(no_address.0, HealthStatus::Healthy, "never waited on");
        assert!(no_address.1.contains("addons enable ingress"));
        assert_eq!(
            status(
                "Ingress",
                json!({"status": {"loadBalancer": {"ingress": [{"ip": "192.168.49.2"}]}}})
            )
            .0,
            HealthStatus::Healthy
        );
        let crd = json!({"status": {"conditions": [{"type": "Established", "status": "True"}]}});
        assert_eq!(
            status("CustomResourceDefinition", crd).0,
            HealthStatus::Healthy
        );
    }

    #[test]
    fn generic_ready_condition_or_healthy_once_applied() {
        assert_eq!(
            status("ConfigMap", json!({"data": {}})).0,
            HealthStatus::Healthy
        );
        let ready = json!({"status": {"conditions": [{"type": "Ready", "status": "False", "reason": "ReconcileFailed", "message": "bad spec"}]}});
        assert_eq!(
            status("Widget", ready),
            (HealthStatus::Degraded, "ReconcileFailed: bad spec".into())
        );
        let waiting = json!({"status": {"conditions": [{"type": "Ready", "status": "False", "reason": "Provisioning"}]}});
        assert_eq!(status("Widget", waiting).0, HealthStatus::Progressing);
    }

    #[test]
    fn worst_of_many() {
        let h = [
            health("ConfigMap", &json!({})),
            Health::progressing("x"),
            Health::degraded("y"),
        ];
        assert_eq!(worst(&h), HealthStatus::Degraded);
        assert_eq!(worst(&h[..2]), HealthStatus::Progressing);
        assert_eq!(worst(&[]), HealthStatus::Healthy);
    }
}
