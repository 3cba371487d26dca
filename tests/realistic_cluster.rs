//! The realistic control plane of the test support, proven against itself:
//! the hollow node is Ready and untainted, a Deployment and a StatefulSet
//! with a claim roll out for real, Jobs finish through the support's
//! helpers, and the audit log holds plumb's writes and nobody else's.
//! Each test skips loudly without the Kubernetes binaries it needs.

mod support;

use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Node, PersistentVolumeClaim, Pod};
use kube::api::{Api, ListParams, PostParams};
use kube::Resource;
use serde_json::json;
use support::apiserver::{self, ApiServer};
use support::cluster;
use support::wait_until_async;

/// Rollouts on the hollow node take a few seconds; this bounds each wait.
const ROLLOUT: Duration = Duration::from_secs(60);

async fn realistic() -> Option<ApiServer> {
    blocking(apiserver::realistic_or_skip).await
}

/// Runs the blocking support call `f` off the runtime; its panic (a
/// required service missing) is the test's.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

/// Creates `object` in `namespace` as `client`'s user; panics with the
/// API's answer.
async fn create<K>(client: &kube::Client, namespace: &str, object: serde_json::Value) -> K
where
    K: Resource<DynamicType = (), Scope = kube::core::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + serde::Serialize
        + std::fmt::Debug,
{
    let object: K = serde_json::from_value(object).expect("a valid object");
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    api.create(&PostParams::default(), &object)
        .await
        .unwrap_or_else(|e| panic!("create {object:?}: {e}"))
}

async fn namespace(client: &kube::Client, name: &str) {
    let api: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace =
        serde_json::from_value(json!({"metadata": {"name": name}})).expect("a namespace");
    api.create(&PostParams::default(), &ns)
        .await
        .unwrap_or_else(|e| panic!("create namespace {name}: {e}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_hollow_node_is_ready_and_untainted() {
    let Some(server) = realistic().await else {
        return;
    };
    let nodes: Api<Node> = Api::all(server.client().await);
    let list = nodes
        .list(&ListParams::default())
        .await
        .expect("list nodes");
    if server.dir.is_some() {
        let names: Vec<_> = list
            .items
            .iter()
            .filter_map(|n| n.metadata.name.clone())
            .collect();
        assert_eq!(names, [apiserver::NODE], "the one hollow node");
    }
    let schedulable = list.items.into_iter().any(|node| {
        let ready = node
            .status
            .and_then(|s| s.conditions)
            .unwrap_or_default()
            .iter()
            .any(|c| c.type_ == "Ready" && c.status == "True");
        let taints = node.spec.and_then(|s| s.taints).unwrap_or_default();
        ready && taints.is_empty()
    });
    assert!(schedulable, "a node is Ready and untainted");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deployment_becomes_available_even_with_a_failing_readiness_probe() {
    let Some(server) = realistic().await else {
        return;
    };
    let client = server.client().await;
    namespace(&client, "rc-deploy").await;
    // The hollow kubelet never runs probes: this one would fail anywhere
    // else, here every container is Ready at once.
    create::<Deployment>(
        &client,
        "rc-deploy",
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{
                        "name": "web", "image": "busybox:1.36",
                        "readinessProbe": {"exec": {"command": ["false"]}, "periodSeconds": 1}
                    }]}
                }
            }
        }),
    )
    .await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "rc-deploy");
    wait_until_async(
        ROLLOUT,
        "Deployment web to have 2 available replicas",
        || async {
            let d = deployments.get("web").await.ok()?;
            let status = d.status?;
            (status.available_replicas == Some(2) && status.updated_replicas == Some(2))
                .then_some(())
        },
    )
    .await;
    // The fake probe manager marks containers ready even while they are
    // still being created: Ready can come a moment before Running.
    let pods: Api<Pod> = Api::namespaced(client, "rc-deploy");
    wait_until_async(
        ROLLOUT,
        "both pods of web to be Running and Ready",
        || async {
            let list = pods
                .list(&ListParams::default().labels("app=web"))
                .await
                .ok()?;
            let running_and_ready = |pod: &Pod| {
                let status = pod.status.as_ref();
                status.and_then(|s| s.phase.as_deref()) == Some("Running")
                    && status
                        .and_then(|s| s.conditions.as_ref())
                        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
            };
            (list.items.len() == 2 && list.items.iter().all(running_and_ready)).then_some(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_statefulset_claim_binds_and_its_pod_gets_ready() {
    let Some(server) = realistic().await else {
        return;
    };
    let client = server.client().await;
    namespace(&client, "rc-sts").await;
    create::<StatefulSet>(
        &client,
        "rc-sts",
        json!({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "db"},
            "spec": {
                "serviceName": "db",
                "replicas": 1,
                "selector": {"matchLabels": {"app": "db"}},
                "template": {
                    "metadata": {"labels": {"app": "db"}},
                    "spec": {"containers": [{
                        "name": "postgres", "image": "postgres:16",
                        "volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql/data"}]
                    }]}
                },
                "volumeClaimTemplates": [{
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1Gi"}}
                    }
                }]
            }
        }),
    )
    .await;
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "rc-sts");
    let claim = wait_until_async(ROLLOUT, "claim data-db-0 to be Bound", || async {
        let c = claims.get_opt("data-db-0").await.ok()??;
        let phase = c.status.as_ref()?.phase.as_deref()?;
        (phase == "Bound").then_some(c)
    })
    .await;
    let spec = claim.spec.expect("claim spec");
    assert_eq!(
        spec.storage_class_name.as_deref(),
        Some("standard"),
        "the default class"
    );
    assert!(
        spec.volume_name.is_some_and(|v| v.starts_with("pv-")),
        "bound to one of the support's volumes"
    );
    let sets: Api<StatefulSet> = Api::namespaced(client, "rc-sts");
    wait_until_async(
        ROLLOUT,
        "StatefulSet db to have 1 ready replica",
        || async {
            let s = sets.get("db").await.ok()?;
            (s.status?.ready_replicas == Some(1)).then_some(())
        },
    )
    .await;
}

fn job(name: &str, annotations: serde_json::Value) -> serde_json::Value {
    json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name, "annotations": annotations},
        "spec": {
            "backoffLimit": 0,
            "template": {"spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "migrate", "image": "busybox:1.36"}]
            }}
        }
    })
}

/// Waits for the Job's `Complete` or `Failed` condition; returns its type.
async fn job_outcome(jobs: &Api<Job>, name: &str) -> String {
    wait_until_async(ROLLOUT, &format!("Job {name} to finish"), || async {
        let job = jobs.get(name).await.ok()?;
        job.status?.conditions?.into_iter().find_map(|c| {
            ((c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")
                .then_some(c.type_)
        })
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_completes_or_fails_once_its_pods_are_finished() {
    let Some(server) = realistic().await else {
        return;
    };
    let client = server.client().await;
    namespace(&client, "rc-job").await;
    let jobs: Api<Job> = Api::namespaced(client.clone(), "rc-job");
    create::<Job>(&client, "rc-job", job("ok", json!({}))).await;
    create::<Job>(&client, "rc-job", job("bad", json!({}))).await;

    assert_eq!(
        cluster::complete_job_pods(&client, "rc-job", "ok", true).await,
        1
    );
    assert_eq!(
        cluster::complete_job_pods(&client, "rc-job", "bad", false).await,
        1
    );
    assert_eq!(job_outcome(&jobs, "ok").await, "Complete");
    assert_eq!(job_outcome(&jobs, "bad").await, "Failed");
    let succeeded = jobs.get("ok").await.expect("job ok").status.unwrap();
    assert_eq!(succeeded.succeeded, Some(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_complete_jobs_finishes_only_marked_jobs() {
    let Some(server) = realistic().await else {
        return;
    };
    let client = server.client().await;
    namespace(&client, "rc-autojob").await;
    let _completer = cluster::auto_complete_jobs(&server, "rc-autojob", Some("helm.sh/hook"), true);
    let jobs: Api<Job> = Api::namespaced(client.clone(), "rc-autojob");
    create::<Job>(
        &client,
        "rc-autojob",
        job("migrate", json!({"helm.sh/hook": "pre-upgrade"})),
    )
    .await;
    create::<Job>(&client, "rc-autojob", job("plain", json!({}))).await;
    assert_eq!(job_outcome(&jobs, "migrate").await, "Complete");
    // The unmarked Job's pod runs on, unfinished.
    let pods: Api<Pod> = Api::namespaced(client, "rc-autojob");
    let pod = wait_until_async(ROLLOUT, "the plain Job's pod to run", || async {
        let list = pods
            .list(&ListParams::default().labels("job-name=plain"))
            .await
            .ok()?;
        list.items
            .into_iter()
            .find(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
    })
    .await;
    assert!(pod.metadata.name.is_some());
    let plain = jobs.get("plain").await.expect("job plain");
    assert!(
        plain
            .status
            .and_then(|s| s.conditions)
            .unwrap_or_default()
            .is_empty(),
        "unmarked Jobs are left alone"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_log_holds_plumbs_writes_only() {
    let Some(server) = blocking(apiserver::audited_or_skip).await else {
        return;
    };
    let admin = server.client().await;
    let plumb = server.plumb_client().await;
    namespace(&admin, "rc-audit").await;
    let mark = server.audit_mark();

    create::<ConfigMap>(
        &plumb,
        "rc-audit",
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "by-plumb"}}),
    )
    .await;
    create::<ConfigMap>(
        &admin,
        "rc-audit",
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "by-admin"}}),
    )
    .await;
    // In blocking mode the line is written before the response: no wait.
    let writes = server.audit_writes_since(&mark);
    let shown: Vec<String> = writes.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        ["create configmaps rc-audit/by-plumb (201)"],
        "{writes:?}"
    );
    assert_eq!(writes[0].user, "plumb");

    if !server.realistic {
        return;
    }
    // plumb's Deployment: the controllers then create a ReplicaSet and
    // pods, the scheduler binds them, the kubelet reports them. None of
    // that is plumb's.
    let mark = server.audit_mark();
    create::<Deployment>(
        &plumb,
        "rc-audit",
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "api"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "api"}},
                "template": {
                    "metadata": {"labels": {"app": "api"}},
                    "spec": {"containers": [{"name": "api", "image": "api:1"}]}
                }
            }
        }),
    )
    .await;
    let deployments: Api<Deployment> = Api::namespaced(admin, "rc-audit");
    wait_until_async(ROLLOUT, "Deployment api to be available", || async {
        let d = deployments.get("api").await.ok()?;
        (d.status?.available_replicas == Some(1)).then_some(())
    })
    .await;
    let shown: Vec<String> = server
        .audit_writes_since(&mark)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(shown, ["create deployments rc-audit/api (201)"]);
}
