//! The cluster engine against a real Kubernetes API server (issues 5 and
//! 8): first apply, update, a no-op with zero writes, CRD and CR in one
//! sync, waves and hooks, hooks only when the app changed (counted in the
//! API server's audit log), a wait that gives up at once on what no step of
//! the sync can fix, immutable replacement and a preview that shows what
//! sync would refuse, prune with every safety rule, restart then prune, and
//! a conflict with another manager. Tests that need objects to become
//! healthy run beside real controllers, a scheduler and a hollow kubelet,
//! and skip loudly without them.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::discovery::ApiResource;
use plumb::cluster::apply::Cluster;
use plumb::cluster::engine::{self, Action, Planned, SyncError, SyncOptions};
use plumb::cluster::health::{Health, HealthStatus};
use plumb::cluster::inventory::{KeepReason, PruneMode};
use plumb::cluster::plan::HookDecision;
use plumb::cluster::wait::{NoProgress, Phase, Progress};
use plumb::manifest::AppSpec;
use plumb::metrics::Metrics;
use plumb::object::ObjRef;
use plumb::render::{render_plain, Object};
use plumb::tree::TreeFile;
use serde_json::{json, Value};
use support::apiserver::{self, ApiServer};
use support::cluster::{auto_complete_jobs, complete_job_pods, AuditWrite};

async fn server() -> Option<ApiServer> {
    tokio::task::spawn_blocking(apiserver::or_skip)
        .await
        .expect("the API server support does not panic")
}

async fn realistic() -> Option<ApiServer> {
    tokio::task::spawn_blocking(apiserver::realistic_or_skip)
        .await
        .expect("the API server support does not panic")
}

struct Env {
    server: ApiServer,
    cluster: Cluster,
    metrics: Arc<Metrics>,
    /// The tests' own client (user `admin`: not in the audit log).
    kube: kube::Client,
    /// plumb's client (user `plumb`: its writes are audited).
    plumb: kube::Client,
    app: AppSpec,
}

/// A fresh cluster wrapper (acting as plumb) and an app with its own
/// namespace.
async fn env(server: &ApiServer, name: &str) -> Env {
    let kube = server.client().await;
    let plumb = server.plumb_client().await;
    let metrics = Arc::new(Metrics::new());
    Env {
        server: server.clone(),
        cluster: Cluster::new(plumb.clone(), metrics.kube_requests_total.clone()),
        metrics,
        kube,
        plumb,
        app: AppSpec::directory(name, "m").with_timeout(Duration::from_secs(20)),
    }
}

impl Env {
    /// A second wrapper on the same cluster: plumb after a restart.
    fn restarted(&self) -> Env {
        let metrics = Arc::new(Metrics::new());
        Env {
            server: self.server.clone(),
            cluster: Cluster::new(self.plumb.clone(), metrics.kube_requests_total.clone()),
            metrics,
            kube: self.kube.clone(),
            plumb: self.plumb.clone(),
            app: self.app.clone(),
        }
    }

    async fn sync(
        &self,
        revision: &str,
        yaml: &str,
    ) -> (engine::SyncReport, Result<(), SyncError>) {
        self.sync_with(revision, yaml, SyncOptions::default(), &NoProgress)
            .await
    }

    async fn sync_with(
        &self,
        revision: &str,
        yaml: &str,
        options: SyncOptions,
        progress: &dyn Progress,
    ) -> (engine::SyncReport, Result<(), SyncError>) {
        engine::sync(
            &self.cluster,
            &self.app,
            revision,
            objects(yaml),
            options,
            progress,
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

    /// plumb's writes for this app (its namespace and its inventory) in the
    /// audit log since `mark`.
    fn audited(&self, mark: &support::cluster::AuditMark) -> Vec<AuditWrite> {
        let inventory = format!("plumb-inventory-{}", self.app.name);
        self.server
            .audit_writes_since(mark)
            .into_iter()
            .filter(|w| w.namespace == self.app.namespace || w.name == inventory)
            .collect()
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
}

/// A [`Progress`] that remembers every phase and wait, for tests that
/// follow a sync from outside.
#[derive(Default)]
struct Recorder {
    events: Mutex<Vec<String>>,
}

impl Recorder {
    fn seen(&self, what: &str) -> bool {
        self.events
            .lock()
            .expect("recorder")
            .iter()
            .any(|e| e.contains(what))
    }
}

impl Progress for Recorder {
    fn phase(&self, phase: &Phase) {
        self.events
            .lock()
            .expect("recorder")
            .push(format!("phase {phase}"));
    }
    fn waiting(&self, on: &[(ObjRef, Health)]) {
        let on: Vec<String> = on
            .iter()
            .map(|(o, h)| format!("{o} {}", h.status))
            .collect();
        self.events
            .lock()
            .expect("recorder")
            .push(format!("waiting {}", on.join(", ")));
    }
}

/// Waits (bounded) until `f` is true, polling every 50 ms.
async fn until(what: &str, mut f: impl FnMut() -> bool) {
    support::wait_until_async(Duration::from_secs(60), what, || {
        let done = f();
        async move { done.then_some(()) }
    })
    .await
}

/// Labels the hollow node, so pods selecting `key=value` get scheduled.
async fn label_node(e: &Env, key: &str, value: &str) {
    let nodes = e.api("v1", "Node", "nodes", None);
    nodes
        .patch(
            apiserver::NODE,
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {key: value}}})),
        )
        .await
        .expect("label the node");
}

/// A Deployment whose pods stay Pending until the node carries
/// `plumb.dev/test-pool=<pool>`.
fn pinned_deployment(name: &str, pool: &str, extra_spec: &str) -> String {
    format!(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: 1\n{extra_spec}  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      nodeSelector: {{plumb.dev/test-pool: {pool}}}\n      containers: [{{name: c, image: \"busybox:1.36\"}}]\n"
    )
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
    let Some(server) = realistic().await else {
        return;
    };
    let e = Arc::new(env(&server, "t-waves").await);
    let yaml = format!(
        "{}{}{}",
        support::hook_job("migrate", "pre-install,pre-upgrade"),
        pinned_deployment("api", "t-waves", ""),
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: late\n  annotations:\n    plumb.dev/wave: \"1\"\ndata:\n  v: \"1\"\n"
    );
    let recorder = Arc::new(Recorder::default());
    let sync = tokio::spawn({
        let (e, recorder, yaml) = (e.clone(), recorder.clone(), yaml.clone());
        async move {
            e.sync_with("rev1", &yaml, SyncOptions::default(), &*recorder)
                .await
        }
    });

    // The hook runs first, alone: nothing else exists while it runs (and
    // it runs until its pod is finished below).
    until("the sync to wait on the hook", || {
        recorder.seen("waiting Job/t-waves/migrate")
    })
    .await;
    assert!(
        e.get("apps/v1", "Deployment", "deployments", "api")
            .await
            .is_none(),
        "waves wait for the hook"
    );
    complete_job_pods(&e.kube, "t-waves", "migrate", true).await;

    // Wave 0 waits on the Deployment, whose pod cannot be scheduled yet:
    // wave 1 is not applied meanwhile.
    until("the sync to wait on wave 0", || {
        recorder.seen("waiting Deployment/t-waves/api Progressing")
    })
    .await;
    assert!(recorder.seen("phase pre-hooks (weight 0)"));
    assert!(!recorder.seen("phase wave 1"));
    assert!(
        e.get("v1", "ConfigMap", "configmaps", "late")
            .await
            .is_none(),
        "wave 1 waits for wave 0"
    );
    label_node(&e, "plumb.dev/test-pool", "t-waves").await;
    let (report, result) = tokio::time::timeout(Duration::from_secs(60), sync)
        .await
        .expect("sync ends")
        .expect("sync task");
    result.expect("sync succeeds");
    assert!(recorder.seen("phase wave 1"));
    assert!(e
        .get("v1", "ConfigMap", "configmaps", "late")
        .await
        .is_some());
    assert_eq!(report.health, Some(HealthStatus::Healthy));
    assert_eq!(report.hook_decision, Some(HookDecision::Install));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_hook_fails_the_sync_with_its_reason() {
    let Some(server) = realistic().await else {
        return;
    };
    let e = Arc::new(env(&server, "t-hookfail").await);
    let yaml = format!(
        "{}{}",
        r#"
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations:
    helm.sh/hook: pre-install
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: "busybox:1.36"}]
"#,
        cm("after", "1")
    );
    let sync = tokio::spawn({
        let (e, yaml) = (e.clone(), yaml.clone());
        async move { e.sync("rev1", &yaml).await }
    });
    // The kubelet would leave a pod that exited 1; the Job controller then
    // fails the Job (backoffLimit 0).
    complete_job_pods(&e.kube, "t-hookfail", "migrate", false).await;
    let (_, result) = tokio::time::timeout(Duration::from_secs(60), sync)
        .await
        .expect("sync ends")
        .expect("sync task");
    let err = plumb::error_chain(&result.expect_err("the hook failed"));
    assert!(err.contains("Job/t-hookfail/migrate: hook failed"), "{err}");
    assert!(err.contains("BackoffLimitExceeded"), "{err}");
    assert!(err.contains("container migrate exited 1 (Error)"), "{err}");
    assert!(
        e.get("v1", "ConfigMap", "configmaps", "after")
            .await
            .is_none(),
        "nothing after a failed hook"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn hooks_run_on_install_on_change_and_when_forced_never_on_a_no_op() {
    let Some(server) = realistic().await else {
        return;
    };
    if server.audit.is_none() {
        support::skip(
            support::Service::Envtest,
            "no audit log on an external cluster",
        );
        return;
    }
    let e = env(&server, "t-hooks").await;
    let _completer = auto_complete_jobs(&server, "t-hooks", Some("helm.sh/hook"), true);
    let hooks = format!(
        "{}{}",
        support::hook_job("migrate", "pre-install,pre-upgrade"),
        support::hook_job("seed", "post-install")
    );
    let app = |v: &str| format!("{hooks}{}", cm("settings", v));
    let ran = |report: &engine::SyncReport| -> Vec<String> {
        report.hooks.iter().map(|h| h.object.name.clone()).collect()
    };

    let (report, result) = e.sync("rev1", &app("1")).await;
    result.expect("install");
    assert_eq!(report.hook_decision, Some(HookDecision::Install));
    assert!(report.install);
    assert_eq!(ran(&report), ["migrate", "seed"]);

    // The same objects at a new revision (another app's commit, the
    // interval, `plumb sync`): not one write, hooks included.
    let mark = server.audit_mark();
    let (report, result) = e.sync("rev2", &app("1")).await;
    result.expect("no-op");
    assert_eq!(report.hook_decision, Some(HookDecision::Unchanged));
    assert!(report.hooks.is_empty());
    assert!(!report.install, "installed once a sync succeeded");
    let writes = e.audited(&mark);
    assert!(writes.is_empty(), "a no-op wrote: {writes:?}");

    // Forced: the upgrade hook runs again (re-created), nothing else.
    let mark = server.audit_mark();
    let forced = SyncOptions {
        force_hooks: true,
        ..SyncOptions::default()
    };
    let (report, result) = e.sync_with("rev2", &app("1"), forced, &NoProgress).await;
    result.expect("forced hooks");
    assert_eq!(report.hook_decision, Some(HookDecision::Forced));
    assert_eq!(
        ran(&report),
        ["migrate"],
        "post-install is not an upgrade hook"
    );
    let writes = e.audited(&mark);
    assert!(
        writes
            .iter()
            .all(|w| w.resource == "jobs" && w.name == "migrate"),
        "only the hook is written: {writes:?}"
    );
    assert!(writes.iter().any(|w| w.verb == "delete"), "{writes:?}");

    // A change of the app: the upgrade hook runs before the change lands.
    let mark = server.audit_mark();
    let (report, result) = e.sync("rev3", &app("2")).await;
    result.expect("upgrade");
    assert_eq!(report.hook_decision, Some(HookDecision::Changed));
    assert_eq!(ran(&report), ["migrate"]);
    let writes = e.audited(&mark);
    let hook_at = writes.iter().position(|w| w.name == "migrate");
    let config_at = writes.iter().position(|w| w.name == "settings");
    assert!(
        matches!((hook_at, config_at), (Some(h), Some(c)) if h < c),
        "the pre-upgrade hook ran before the ConfigMap changed: {writes:?}"
    );

    // And after that, nothing again.
    let mark = server.audit_mark();
    e.sync("rev4", &app("2")).await.1.expect("no-op");
    assert!(e.audited(&mark).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hook_missing_a_config_map_that_no_earlier_step_applies_fails_at_once() {
    let Some(server) = realistic().await else {
        return;
    };
    let mut e = env(&server, "t-hopeless").await;
    // Long enough that a timeout could not be what ends the wait.
    e.app = e.app.clone().with_timeout(Duration::from_secs(300));
    let yaml = format!(
        "{}{}",
        r#"
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
      containers:
      - name: migrate
        image: "busybox:1.36"
        envFrom: [{configMapRef: {name: app-config}}]
"#,
        cm("app-config", "1")
    );
    let (_, result) = tokio::time::timeout(Duration::from_secs(120), e.sync("rev1", &yaml))
        .await
        .expect("the wait gives up long before its timeout");
    let err = plumb::error_chain(&result.expect_err("hopeless"));
    assert!(err.contains("Job/t-hopeless/migrate: hook failed"), "{err}");
    assert!(err.contains("CreateContainerConfigError"), "{err}");
    assert!(err.contains("configmap \"app-config\" not found"), "{err}");
    assert!(
        err.contains("ConfigMap app-config is not applied by any earlier step"),
        "{err}"
    );
    assert!(!err.contains("not complete after"), "not a timeout: {err}");
}

/// The hollow kubelet pulls nothing, so it "runs" any image: what a real
/// kubelet reports for an image that can never run is played here, on a pod
/// no kubelet owns (it cannot be scheduled), through its status.
#[tokio::test(flavor = "multi_thread")]
async fn images_that_can_never_run_fail_the_wave_at_once() {
    let Some(server) = realistic().await else {
        return;
    };
    for (app, reason, message) in [
        (
            "t-badimage",
            "InvalidImageName",
            "Failed to apply default image tag \"Not/A:Valid:Name\": couldn't parse image reference",
        ),
        (
            "t-neverpull",
            "ErrImageNeverPull",
            "Container image \"plumb-test/absent:1\" is not present with pull policy of Never",
        ),
    ] {
        let mut e = env(&server, app).await;
        e.app = e.app.clone().with_timeout(Duration::from_secs(300));
        let sync = tokio::spawn({
            let (cluster, spec) = (e.cluster.clone(), e.app.clone());
            let yaml = pinned_deployment("web", "nowhere", "");
            async move {
                engine::sync(
                    &cluster,
                    &spec,
                    "rev1",
                    objects(&yaml),
                    SyncOptions::default(),
                    &NoProgress,
                )
                .await
            }
        });
        let pods = e.api("v1", "Pod", "pods", Some(app));
        let pod = support::wait_until_async(Duration::from_secs(60), "the pod", || async {
            let list = pods.list(&Default::default()).await.ok()?;
            list.items.into_iter().next()
        })
        .await;
        let name = pod.metadata.name.clone().expect("pod name");
        pods.patch_status(
            &name,
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"containerStatuses": [{
                "name": "c", "image": "busybox:1.36", "imageID": "", "ready": false, "restartCount": 0,
                "state": {"waiting": {"reason": reason, "message": message}}}]}})),
        )
        .await
        .expect("play the kubelet's report");
        let (_, result) = tokio::time::timeout(Duration::from_secs(120), sync)
            .await
            .expect("the wait gives up long before its timeout")
            .expect("sync task");
        let error = result.expect_err("hopeless");
        assert_eq!(error.kind(), "hopeless", "{error}");
        let err = plumb::error_chain(&error);
        assert!(
            err.contains(&format!(
                "Deployment/{app}/web: cannot become healthy (wave 0): pod {name} container c: {reason}"
            )),
            "{err}"
        );
        assert!(err.contains("hint:"), "{err}");
    }
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
async fn the_preview_shows_the_refusal_that_sync_would_meet() {
    let Some(server) = server().await else { return };
    let e = env(&server, "t-refuse").await;
    let claim = |class: &str| {
        format!("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  storageClassName: {class}\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n")
    };
    let mut e = e;
    // A claim may stay Pending (no such class): health does not matter here.
    e.app = e.app.clone().with_timeout(Duration::from_secs(1));
    let _ = e.sync("rev1", &claim("slow")).await;
    let preview = engine::preview(
        &e.cluster,
        &e.app,
        "rev2",
        objects(&claim("fast")),
        SyncOptions::default(),
    )
    .await
    .expect("preview");
    let item = preview
        .items
        .iter()
        .find(|i| i.object.name == "data")
        .expect("the claim is in the preview");
    assert!(
        matches!(item.planned, Planned::Refuse(_)),
        "{:?}",
        item.planned
    );
    let (_, result) = e.sync("rev2", &claim("fast")).await;
    let err = plumb::error_chain(&result.expect_err("sync refuses as the preview said"));
    assert!(
        err.contains("PersistentVolumeClaim/t-refuse/data: an immutable field changed"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unhealthy_wave_fails_with_the_object_and_reason() {
    let Some(server) = realistic().await else {
        return;
    };
    let mut e = env(&server, "t-unhealthy").await;
    e.app = e.app.clone().with_timeout(Duration::from_secs(3));
    let yaml = pinned_deployment("stuck", "nowhere", "  progressDeadlineSeconds: 2\n");
    let (report, result) = e.sync("rev1", &yaml).await;
    let err = plumb::error_chain(&result.expect_err("not healthy in 3s"));
    assert!(
        err.contains("Deployment/t-unhealthy/stuck: not healthy after 3s (wave 0)"),
        "{err}"
    );
    assert_ne!(report.objects[0].health.status, HealthStatus::Healthy);
    // The deployment controller gives up on it after its progress deadline.
    support::wait_until_async(Duration::from_secs(60), "the progress deadline", || async {
        let live = e
            .get("apps/v1", "Deployment", "deployments", "stuck")
            .await?;
        let exceeded = live["status"]["conditions"]
            .as_array()?
            .iter()
            .any(|c| c["reason"] == "ProgressDeadlineExceeded");
        exceeded.then_some(())
    })
    .await;
    let (report, result) = e.sync("rev1", &yaml).await;
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
