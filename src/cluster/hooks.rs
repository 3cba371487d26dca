//! Running Helm hooks: each weight group in order, each hook created
//! (afresh unless its delete policy says otherwise), waited on until it
//! completes, then deleted as its policy says. Whether hooks run at all is
//! the plan's decision (`plan::HookDecision`).

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;
use tracing::info;

use super::apply::Cluster;
use super::engine::SyncError;
use super::health::HealthStatus;
use super::plan::HookStep;
use super::wait::{self, Progress, Stop, Wait};
use crate::object::{kinds, ObjKey, ObjRef};

/// How long a hook's previous instance may take to go away.
const DELETE_TIMEOUT: Duration = Duration::from_secs(120);

/// The outcome of one hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookReport {
    /// Which hook.
    pub object: ObjRef,
    /// Whether it completed.
    pub succeeded: bool,
}

/// Runs one weight group of hooks, in order. `applied` holds what earlier
/// steps applied (a hook pod missing anything else fails at once); each
/// hook is added once it ran.
///
/// # Errors
/// [`SyncError`] naming the hook: the API failed, or it failed or timed out.
pub async fn run_group(
    cluster: &Cluster,
    app: &str,
    group: &[HookStep],
    timeout: Duration,
    applied: &mut BTreeSet<ObjKey>,
    progress: &dyn Progress,
    reports: &mut Vec<HookReport>,
) -> Result<(), SyncError> {
    for hook in group {
        let object = &hook.desired.object;
        if hook.delete.before_creation {
            recreate(cluster, object, &hook.desired.data).await?;
        } else {
            cluster
                .apply(object, &hook.desired.data, true, false)
                .await?;
        }
        info!(app, hook = %object, weight = hook.weight, "hook started");
        applied.insert(object.key());
        let wait = Wait {
            app,
            applied,
            timeout,
            degraded_is_final: true,
            progress,
        };
        let (_, stop) = wait::until_healthy(cluster, std::slice::from_ref(object), &wait).await?;
        let outcome = match stop {
            None => Ok(()),
            Some(stop) => Err(failure(cluster, object, stop, timeout).await),
        };
        let delete = match &outcome {
            Ok(()) => hook.delete.on_success,
            Err(_) => hook.delete.on_failure,
        };
        reports.push(HookReport {
            object: object.clone(),
            succeeded: outcome.is_ok(),
        });
        if delete {
            cluster.delete(object, false).await?;
        }
        outcome?;
        info!(app, hook = %object, "hook completed");
    }
    Ok(())
}

/// Deletes an object, waits until it is gone, and applies it afresh; an
/// object still terminating is never applied over.
///
/// # Errors
/// [`SyncError::Apply`], including `StillTerminating`.
pub async fn recreate(cluster: &Cluster, object: &ObjRef, data: &Value) -> Result<(), SyncError> {
    cluster.delete_and_wait(object, DELETE_TIMEOUT).await?;
    cluster.apply(object, data, true, false).await?;
    Ok(())
}

async fn failure(cluster: &Cluster, object: &ObjRef, stop: Stop, timeout: Duration) -> SyncError {
    let reason = match stop {
        Stop::Hopeless { reason, .. } => reason,
        Stop::Failed { health, .. } => {
            let mut reason = health
                .reason
                .unwrap_or_else(|| HealthStatus::Degraded.to_string());
            if object.kind == kinds::JOB {
                if let Some(pod) = failed_pod_reason(cluster, object).await {
                    reason = format!("{reason}; {pod}");
                }
            }
            reason
        }
        Stop::Timeout { health, .. } => format!(
            "not complete after {}s: {}",
            timeout.as_secs(),
            health.reason.unwrap_or_default()
        ),
    };
    SyncError::HookFailed {
        object: object.to_string(),
        reason,
    }
}

/// Why a Job's pod failed: the first terminated container with a non-zero
/// exit, as `pod P container C exited N (Reason): message`.
async fn failed_pod_reason(cluster: &Cluster, job: &ObjRef) -> Option<String> {
    let pods = ObjRef::new("v1", "Pod", &job.namespace, "*");
    let pods = cluster
        .list(&pods, &format!("job-name={}", job.name))
        .await
        .ok()?;
    pods.iter().find_map(pod_failure)
}

/// The failure of a pod's containers, if one exited non-zero.
pub fn pod_failure(pod: &Value) -> Option<String> {
    for c in super::health::container_statuses(pod) {
        let terminated = &c["state"]["terminated"];
        let terminated = if terminated.is_object() {
            terminated
        } else {
            &c["lastState"]["terminated"]
        };
        let code = terminated["exitCode"].as_i64().unwrap_or(0);
        if code != 0 {
            let message = terminated["message"]
                .as_str()
                .map(|m| format!(": {}", m.trim()))
                .unwrap_or_default();
            return Some(format!(
                "pod {} container {} exited {code} ({}){message}",
                pod["metadata"]["name"].as_str().unwrap_or("?"),
                c["name"].as_str().unwrap_or("?"),
                terminated["reason"].as_str().unwrap_or("Error"),
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_failed_pod_names_container_exit_code_and_message() {
        let pod = json!({"metadata": {"name": "migrate-x7"}, "status": {"containerStatuses": [
            {"name": "ok", "state": {"terminated": {"exitCode": 0}}},
            {"name": "migrate", "state": {"terminated": {"exitCode": 3, "reason": "Error", "message": "alembic: can't locate revision\n"}}}
        ]}});
        assert_eq!(
            pod_failure(&pod).unwrap(),
            "pod migrate-x7 container migrate exited 3 (Error): alembic: can't locate revision"
        );
        let restarted = json!({"metadata": {"name": "p"}, "status": {"containerStatuses": [
            {"name": "c", "state": {"waiting": {"reason": "CrashLoopBackOff"}}, "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}
        ]}});
        assert_eq!(
            pod_failure(&restarted).unwrap(),
            "pod p container c exited 137 (OOMKilled)"
        );
        assert_eq!(pod_failure(&json!({"status": {}})), None);
    }
}
