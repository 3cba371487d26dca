//! The cluster engine against a real Kubernetes API server (issue 5): first
//! apply, update, a no-op with zero writes, CRD and CR in one sync, waves and
//! hooks, immutable replacement, prune with every safety rule, restart then
//! prune, health walked by patching /status (envtest has no controllers),
//! and a forbidden verb. Skipped loudly without an API server.

mod support;

use std::sync::Arc;
use std::time::Duration;

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::discovery::ApiResource;
use plumb::cluster::apply::Cluster;
use plumb::cluster::engine::{self, Action, SyncError, SyncOptions};
use plumb::cluster::health::HealthStatus;
use plumb::cluster::inventory::{KeepReason, PruneMode};
use plumb::cluster::wait::NoProgress;
use plumb::manifest::AppSpec;
use plumb::metrics::Metrics;
use plumb::render::{render_plain, Object};
use plumb::tree::TreeFile;
use serde_json::{json, Value};
use support::apiserver::{self, ApiServer};

async fn server() -> Option<ApiServer> {
    tokio::task::spawn_blocking(apiserver::or_skip)
        .await
        .expect("the API server support does not panic")
}

struct Env {
    cluster: Cluster,
    metrics: Arc<Metrics>,
    kube: kube::Client,
    app: AppSpec,
}

/// A fresh cluster wrapper and an app with its own namespace.
async fn env(server: &ApiServer, name: &str) -> Env {
    let kube = server.client().await;
    let metrics = Arc::new(Metrics::new());
    Env {
        cluster: Cluster::new(kube.clone(), metrics.kube_requests_total.clone()),
        metrics,
        kube,
        app: AppSpec::directory(name, "m").with_timeout(Duration::from_secs(20)),
    }
}

impl Env {
    /// A second wrapper on the same cluster: plumb after a restart.
    fn restarted(&self) -> Env {
        let metrics = Arc::new(Metrics::new());
        Env {
            cluster: Cluster::new(self.kube.clone(), metrics.kube_requests_total.clone()),
            metrics,
            kube: self.kube.clone(),
            app: self.app.clone(),
        }
    }

    async fn sync(
        &self,
        revision: &str,
        yaml: &str,
    ) -> (engine::SyncReport, Result<(), SyncError>) {
        engine::sync(
            &self.cluster,
            &self.app,
            revision,
            objects(yaml),
            SyncOptions::default(),
            &NoProgress,
        )
        .await
    }

    fn writes(&self) -> f64 {
        let text = self.metrics.encode();
        text.lines()
            .filter(|l| l.starts_with("plumb_kube_requests_total{"))
            .filter(|l| {
                ["\"apply\"", "\"create\"", "\"delete\"", "\"update\""]
                    .iter()
                    .any(|v| l.contains(&format!("verb={v}")))
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    fn api(
        &self,
        api_version: &str,
        kind: &str,
        plural: &str,
        namespace: Option<&str>,
    ) -> Api<DynamicObject> {
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let resource = ApiResource {
            group: group.into(),
            version: version.into(),
            api_version: api_version.into(),
            kind: kind.into(),
            plural: plural.into(),
        };
        match namespace {
            Some(ns) => Api::namespaced_with(self.kube.clone(), ns, &resource),
            None => Api::all_with(self.kube.clone(), &resource),
        }
    }

    async fn get(&self, api_version: &str, kind: &str, plural: &str, name: &str) -> Option<Value> {
        self.api(api_version, kind, plural, Some(&self.app.namespace))
            .get_opt(name)
            .await
            .expect("get")
            .map(|o| serde_json::to_value(o).expect("json"))
    }

    async fn patch_status(
        &self,
        api_version: &str,
        kind: &str,
        plural: &str,
        name: &str,
        status: Value,
    ) {
        self.api(api_version, kind, plural, Some(&self.app.namespace))
            .patch_status(
                name,
                &PatchParams::default(),
                &Patch::Merge(json!({ "status": status })),
            )
            .await
            .expect("patch status");
    }
}

fn objects(yaml: &str) -> Vec<Object> {
    if yaml.trim().is_empty() {
        return Vec::new();
    }
    render_plain("m", &[TreeFile::regular("m/all.yaml", yaml)]).expect("test manifests render")
}

fn actions(report: &engine::SyncReport) -> Vec<(String, Action)> {
    report
        .objects
        .iter()
        .map(|o| (format!("{}/{}", o.object.kind, o.object.name), o.action))
        .collect()
}

fn cm(name: &str, value: &str) -> String {
    format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  v: \"{value}\"\n")
}

const SERVICE: &str =
    "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n";

#[tokio::test(flavor = "multi_thread")]
async fn first_apply_update_and_a_no_op_with_zero_writes() {
    let Some(server) = server().await else { return };
    let e = env(&server, "t-apply").await;
    let yaml = format!("{}{}{}", cm("a", "1"), cm("b", "1"), SERVICE);
    let (report, result) = e.sync("rev1", &yaml).await;
    result.expect("first sync");
    let mut got = actions(&report);
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        [
            ("ConfigMap/a".to_string(), Action::Created),
            ("ConfigMap/b".to_string(), Action::Created),
            ("Service/web".to_string(), Action::Created)
        ]
    );
    assert_eq!(report.health, Some(HealthStatus::Healthy));
    let live = e
        .get("v1", "ConfigMap", "configmaps", "a")
        .await
        .expect("a exists");
    assert_eq!(
        live["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "plumb"
    );
    assert_eq!(live["metadata"]["labels"]["plumb.dev/app"], "t-apply");
    assert_eq!(
        live["metadata"]["annotations"]["plumb.dev/revision"],
        "rev1"
    );
    let managers: Vec<_> = live["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["manager"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(managers, ["plumb"], "server-side applied as plumb");

    // Change one object: only it is written.
    let yaml2 = format!("{}{}{}", cm("a", "2"), cm("b", "1"), SERVICE);
    let (report, result) = e.sync("rev2", &yaml2).await;
    result.expect("update");
    let changed: Vec<_> = actions(&report)
        .into_iter()
        .filter(|(_, a)| *a != Action::Unchanged)
        .collect();
    assert_eq!(changed, [("ConfigMap/a".to_string(), Action::Configured)]);
    let live = e.get("v1", "ConfigMap", "configmaps", "b").await.unwrap();
    assert_eq!(
        live["metadata"]["annotations"]["plumb.dev/revision"], "rev1",
        "b was not rewritten"
    );

    // The same again, at a new revision: nothing is written at all.
    let before = e.writes();
    let (report, result) = e.sync("rev3", &yaml2).await;
    result.expect("no-op");
    assert!(actions(&report)
        .iter()
        .all(|(_, a)| *a == Action::Unchanged));
    assert_eq!(
        e.writes(),
        before,
        "a no-op reconcile makes zero write calls"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crd_and_its_custom_resource_in_one_sync() {
    let Some(server) = server().await else { return };
    let e = env(&server, "t-crd").await;
    let yaml = r#"
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w1
spec:
  size: 3
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
"#;
    let (report, result) = e.sync("rev1", yaml).await;
    result.expect("CRD then CR");
    let order: Vec<_> = actions(&report).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        order,
        ["CustomResourceDefinition/widgets.example.com", "Widget/w1"]
    );
    let widget = e
        .get("example.com/v1", "Widget", "widgets", "w1")
        .await
        .expect("the CR exists");
    assert_eq!(widget["spec"]["size"], 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn waves_wait_for_health_and_hooks_must_complete() {
    let Some(server) = server().await else { return };
    let e = env(&server, "t-waves").await;
    let yaml = r#"
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: m, image: busybox}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: api:1}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: late
  annotations:
    plumb.dev/wave: "1"
data:
  v: "1"
"#;
    let app = e.app.clone();
    let cluster = e.cluster.clone();
    let sync = tokio::spawn(async move {
        engine::sync(
            &cluster,
            &app,
            "rev1",
            objects(yaml),
            SyncOptions::default(),
            &NoProgress,
        )
        .await
    });

    // The hook runs first, alone.
    support_wait(|| async { e.get("batch/v1", "Job", "jobs", "migrate").await }).await;
    assert!(
        e.get("apps/v1", "Deployment", "deployments", "api")
            .await
            .is_none(),
        "waves wait for the hook"
    );
    e.patch_status("batch/v1", "Job", "jobs", "migrate", json!({"conditions": [{"type": "Complete", "status": "True"}], "succeeded": 1, "startTime": "2026-01-01T00:00:00Z", "completionTime": "2026-01-01T00:00:01Z"})).await;

    // Wave 0 is applied and waited on; wave 1 only after it is healthy.
    let deployment =
        support_wait(|| async { e.get("apps/v1", "Deployment", "deployments", "api").await }).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        e.get("v1", "ConfigMap", "configmaps", "late")
            .await
            .is_none(),
        "wave 1 waits for wave 0"
    );
    let generation = deployment["metadata"]["generation"].clone();
    e.patch_status("apps/v1", "Deployment", "deployments", "api", json!({"observedGeneration": generation, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1, "readyReplicas": 1})).await;
    let (report, result) = tokio::time::timeout(Duration::from_secs(30), sync)
        .await
        .expect("sync ends")
        .unwrap();
    result.expect("sync succeeds");
    assert!(e
        .get("v1", "ConfigMap", "configmaps", "late")
        .await
        .is_some());
    assert_eq!(report.health, Some(HealthStatus::Healthy));
}

async fn support_wait<F, Fut>(mut f: F) -> Value
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<Value>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_hook_fails_the_sync_with_its_reason() {
    let Some(server) = server().await else { return };
    let e = env(&server, "t-hookfail").await;
    let yaml = r#"
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations:
    helm.sh/hook: pre-install
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: m, image: busybox}]
"#;
    let yaml = format!("{yaml}{}", cm("after", "1"));
    let app = e.app.clone();
    let cluster = e.cluster.clone();
    let sync = tokio::spawn(async move {
        engine::sync(
            &cluster,
            &app,
            "rev1",
            objects(&yaml),
            SyncOptions::default(),
            &NoProgress,
        )
        .await
    });
    support_wait(|| async { e.get("batch/v1", "Job", "jobs", "migrate").await }).await;
    // What the Job controller and kubelet would leave: a pod that exited 3.
    let pods = e.api("v1", "Pod", "pods", Some("t-hookfail"));
    let pod: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "migrate-x7", "labels": {"job-name": "migrate"}},
        "spec": {"restartPolicy": "Never", "containers": [{"name": "migrate", "image": "busybox"}]}
    }))
    .unwrap();
    pods.create(&Default::default(), &pod).await.unwrap();
    pods.patch_status("migrate-x7", &PatchParams::default(), &Patch::Merge(json!({"status": {"phase": "Failed", "containerStatuses": [
        {"name": "migrate", "image": "busybox", "imageID": "", "ready": false, "restartCount": 0,
         "state": {"terminated": {"exitCode": 3, "reason": "Error", "message": "alembic: can't locate revision"}}}]}})))
        .await
        .unwrap();
    e.patch_status("batch/v1", "Job", "jobs", "migrate", json!({"failed": 4, "startTime": "2026-01-01T00:00:00Z", "conditions": [{"type": "FailureTarget", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}, {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]})).await;
    let (_, result) = tokio::time::timeout(Duration::from_secs(30), sync)
        .await
        .expect("sync ends")
        .unwrap();
    let err = plumb::error_chain(&result.expect_err("the hook failed"));
    assert!(err.contains("Job/t-hookfail/migrate: hook failed"), "{err}");
    assert!(err.contains("BackoffLimitExceeded"), "{err}");
    assert!(
        err.contains(
            "pod migrate-x7 container migrate exited 3 (Error): alembic: can't locate revision"
        ),
        "{err}"
    );
    assert!(
        e.get("v1", "ConfigMap", "configmaps", "after")
            .await
            .is_none(),
        "nothing after a failed hook"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_immutable_change_replaces_the_object() {
    let Some(server) = server().await else { return };
    let e = env(&server, "t-immutable").await;
    let service = |ip: &str| {
        format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: fixed\nspec:\n  clusterIP: {ip}\n  ports:\n  - port: 80\n")
    };
    e.sync("rev1", &service("10.0.0.50"))
        .await
        .1
        .expect("first");
    let (report, result) = e.sync("rev2", &service("10.0.0.51")).await;
    result.expect("replaced");
    assert_eq!(
        actions(&report),
        [("Service/fixed".to_string(), Action::Replaced)]
    );
    let live = e.get("v1", "Service", "services", "fixed").await.unwrap();
    assert_eq!(live["spec"]["clusterIP"], "10.0.0.51");
}

#[tokio::test(flavor = "multi_thread")]
async fn prune_deletes_what_left_git_within_the_safety_rules() {
    let Some(server) = server().await else { return };
    let e = env(&server, "t-prune").await;
    let all = format!(
        "{}{}{}{}",
        cm("a", "1"),
        cm("b", "1"),
        cm("c", "1"),
        cm("d", "1")
    );
    e.sync("rev1", &all).await.1.expect("first");

    // One left git: pruned.
    let three = format!("{}{}{}", cm("a", "1"), cm("b", "1"), cm("c", "1"));
    let (report, result) = e.sync("rev2", &three).await;
    result.expect("prune one");
    assert!(actions(&report).contains(&("ConfigMap/d".to_string(), Action::Pruned)));
    assert!(e.get("v1", "ConfigMap", "configmaps", "d").await.is_none());

    // An empty render would delete everything: refused, nothing deleted.
    let (_, result) = e.sync("rev3", "").await;
    let err = plumb::error_chain(&result.expect_err("refused"));
    assert!(err.contains("the render is empty"), "{err}");
    assert!(e.get("v1", "ConfigMap", "configmaps", "a").await.is_some());

    // Two of three would go (more than half): refused.
    let (_, result) = e.sync("rev4", &cm("a", "1")).await;
    assert!(plumb::error_chain(&result.expect_err("refused"))
        .contains("2 of 3 objects would be deleted"));
    assert!(e.get("v1", "ConfigMap", "configmaps", "b").await.is_some());

    // After a restart (a new plumb, the inventory read from the cluster),
    // the same change with prune: force goes through, but an object opted
    // out, or no longer carrying plumb's labels, is kept.
    let mut restarted = e.restarted();
    restarted.app.prune = PruneMode::Force;
    let cms = restarted.api("v1", "ConfigMap", "configmaps", Some("t-prune"));
    cms.patch(
        "b",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"annotations": {"plumb.dev/prune": "disabled"}}})),
    )
    .await
    .unwrap();
    cms.patch(
        "c",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"labels": {"plumb.dev/app": null}}})),
    )
    .await
    .unwrap();
    let (report, result) = restarted.sync("rev5", &cm("a", "1")).await;
    result.expect("forced prune");
    assert!(
        report
            .kept
            .iter()
            .any(|(o, r)| o.name == "b" && *r == KeepReason::Disabled),
        "{:?}",
        report.kept
    );
    assert!(
        report
            .kept
            .iter()
            .any(|(o, r)| o.name == "c" && *r == KeepReason::NotOurs),
        "{:?}",
        report.kept
    );
    assert!(
        e.get("v1", "ConfigMap", "configmaps", "b").await.is_some(),
        "opted out"
    );
    assert!(
        e.get("v1", "ConfigMap", "configmaps", "c").await.is_some(),
        "not ours any more"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unhealthy_wave_fails_with_the_object_and_reason() {
    let Some(server) = server().await else { return };
    let mut e = env(&server, "t-unhealthy").await;
    e.app.timeout = Duration::from_secs(3);
    let yaml = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: stuck
spec:
  replicas: 2
  selector: {matchLabels: {app: stuck}}
  template:
    metadata: {labels: {app: stuck}}
    spec:
      containers: [{name: c, image: stuck:1}]
"#;
    let (report, result) = e.sync("rev1", yaml).await;
    let err = plumb::error_chain(&result.expect_err("not healthy in 3s"));
    assert!(
        err.contains("Deployment/t-unhealthy/stuck: not healthy after 3s (wave 0)"),
        "{err}"
    );
    assert_eq!(report.objects[0].health.status, HealthStatus::Progressing);
    // Once "the controller" reports it degraded, the reason says so.
    let live = e
        .get("apps/v1", "Deployment", "deployments", "stuck")
        .await
        .unwrap();
    e.patch_status("apps/v1", "Deployment", "deployments", "stuck", json!({"observedGeneration": live["metadata"]["generation"], "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "ReplicaSet \"stuck-1\" has timed out progressing."}]})).await;
    let (report, result) = e.sync("rev1", yaml).await;
    assert!(plumb::error_chain(&result.expect_err("degraded")).contains("Degraded: rollout stuck"));
    assert_eq!(report.health, Some(HealthStatus::Degraded));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_kind_names_the_file_and_gives_a_hint() {
    let Some(server) = server().await else { return };
    let e = env(&server, "t-unknown").await;
    let (_, result) = e
        .sync(
            "rev1",
            "apiVersion: nowhere.example.com/v1\nkind: Gadget\nmetadata:\n  name: g\n",
        )
        .await;
    let err = plumb::error_chain(&result.expect_err("unknown kind"));
    assert!(
        err.contains("m/all.yaml:1 (document 1) (Gadget `g`)"),
        "{err}"
    );
    assert!(err.contains("CustomResourceDefinition installed"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_conflict_with_another_manager_on_a_foreign_object_is_reported() {
    let Some(server) = server().await else { return };
    let e = env(&server, "t-conflict").await;
    e.cluster
        .ensure_namespace("t-conflict", "t-conflict")
        .await
        .unwrap();
    // Someone else made this object first, with their own value.
    let foreign: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "shared", "namespace": "t-conflict"},
        "data": {"v": "theirs"}
    }))
    .unwrap();
    e.api("v1", "ConfigMap", "configmaps", Some("t-conflict"))
        .create(
            &kube::api::PostParams {
                field_manager: Some("helm".into()),
                ..Default::default()
            },
            &foreign,
        )
        .await
        .unwrap();
    let (_, result) = e.sync("rev1", &cm("shared", "ours")).await;
    let err = plumb::error_chain(&result.expect_err("plumb does not take a stranger's fields"));
    assert!(
        err.contains("ConfigMap/t-conflict/shared: apply conflicts with other field managers"),
        "{err}"
    );
    assert!(err.contains("helm"), "names the other manager: {err}");
    let live = e
        .get("v1", "ConfigMap", "configmaps", "shared")
        .await
        .unwrap();
    assert_eq!(live["data"]["v"], "theirs");
}
