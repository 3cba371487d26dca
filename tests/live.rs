//! What a running plumb shows and writes beside real controllers (issue 8):
//! health that is live between reconciles (status and gauges), the
//! `reconciling` block and its waiting line while a reconcile waits on a
//! hook, and zero writes for an unchanged app whatever triggers its
//! reconcile (interval, `plumb sync`, another app's commit, after a drift
//! correction), counted in the API server's audit log; `plumb sync
//! --force-hooks` runs the hook anyway.

mod support;

use std::time::Duration;

use k8s_openapi::api::core::v1::{ConfigMap, Node};
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;
use support::apiserver::{self, ApiServer};
use support::{Daemon, Service};

const WAIT: Duration = Duration::from_secs(60);

/// One runtime for the whole test binary: a kube client's connections live
/// on the runtime it was made on.
fn block<T>(f: impl std::future::Future<Output = T>) -> T {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME
        .get_or_init(|| tokio::runtime::Runtime::new().expect("runtime"))
        .block_on(f)
}

fn realistic_and_audited() -> Option<ApiServer> {
    let server = apiserver::realistic_or_skip()?;
    if server.audit.is_none() {
        support::skip(Service::Envtest, "no audit log on an external cluster");
        return None;
    }
    Some(server)
}

fn app_status(daemon: &Daemon, app: &str) -> serde_json::Value {
    let status = daemon.status();
    status["apps"]
        .as_array()
        .and_then(|apps| apps.iter().find(|a| a["name"] == app).cloned())
        .unwrap_or_default()
}

fn reconciles(daemon: &Daemon, app: &str) -> f64 {
    ["success", "failure"]
        .iter()
        .map(|r| {
            daemon
                .metric(&format!(
                    "plumb_reconcile_total{{app=\"{app}\",result=\"{r}\"}}"
                ))
                .unwrap_or(0.0)
        })
        .sum()
}

fn wait_success(daemon: &Daemon, app: &str) {
    support::wait_until(WAIT, &format!("{app} to reconcile"), || {
        (app_status(daemon, app)["reconcile"]["result"] == "success").then_some(())
    });
}

fn label_node(client: &kube::Client, value: Option<&str>) {
    let nodes: Api<Node> = Api::all(client.clone());
    block(async {
        nodes
            .patch(
                apiserver::NODE,
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"labels": {"plumb.dev/test-pool-live": value}}})),
            )
            .await
            .expect("label the node")
    });
}

#[test]
fn health_is_live_between_reconciles() {
    let Some(server) = apiserver::realistic_or_skip() else {
        return;
    };
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  progressDeadlineSeconds: 3\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      nodeSelector: {plumb.dev/test-pool-live: \"yes\"}\n      containers: [{name: c, image: \"busybox:1.36\"}]\n";
    let admin = block(server.client());
    label_node(&admin, Some("yes"));
    let (daemon, _repo, client) = support::deploy_apps(
        &server,
        &[("t-live", deployment)],
        "reconcile_interval: 1h\n",
    );
    wait_success(&daemon, "t-live");
    let status = app_status(&daemon, "t-live");
    assert_eq!(status["health"], "Healthy", "{status}");
    let healthy_gauge = "plumb_app_health{app=\"t-live\",status=\"Healthy\"}";
    assert_eq!(daemon.metric(healthy_gauge), Some(1.0));
    let before = reconciles(&daemon, "t-live");

    // `kubectl rollout restart` (a pod template annotation plumb does not
    // set, so no drift) starts a rollout whose new pods cannot be
    // scheduled: the Deployment is no longer healthy, and plumb says so
    // without a reconcile.
    label_node(&client, None);
    let deployments: Api<k8s_openapi::api::apps::v1::Deployment> =
        Api::namespaced(client.clone(), "t-live");
    block(async {
        deployments
            .patch(
                "web",
                &PatchParams {
                    field_manager: Some("kubectl-rollout".into()),
                    ..PatchParams::default()
                },
                &Patch::Merge(json!({"spec": {"template": {"metadata": {"annotations": {
                    "kubectl.kubernetes.io/restartedAt": "2026-12-01T00:00:00Z"}}}}})),
            )
            .await
            .expect("restart the rollout")
    });
    let status = support::wait_until(WAIT, "the unhealthy Deployment in /status", || {
        let status = app_status(&daemon, "t-live");
        (status["health"] != "Healthy").then_some(status)
    });
    let resource = &status["resources"][0];
    assert_eq!(resource["kind"], "Deployment", "{status}");
    assert!(resource["reason"].is_string(), "says why: {status}");
    support::wait_until(WAIT, "the gauge to follow", || {
        (daemon.metric(healthy_gauge) == Some(0.0)).then_some(())
    });
    // Past its progress deadline the controller gives up: Degraded.
    support::wait_until(WAIT, "Degraded in /status", || {
        (app_status(&daemon, "t-live")["health"] == "Degraded").then_some(())
    });
    assert_eq!(
        daemon.metric("plumb_resource_health{app=\"t-live\",kind=\"Deployment\",name=\"web\",namespace=\"t-live\",status=\"Degraded\"}"),
        Some(1.0)
    );
    let out = support::run_plumb(
        &["status", "--url", &format!("http://{}", daemon.addr)],
        None,
    );
    let table = support::output_text(&out);
    assert!(table.contains("Degraded"), "{table}");

    // It recovers: plumb sees that too.
    label_node(&client, Some("yes"));
    support::wait_until(WAIT, "Healthy again in /status", || {
        (app_status(&daemon, "t-live")["health"] == "Healthy").then_some(())
    });
    support::wait_until(WAIT, "the gauge to recover", || {
        (daemon.metric(healthy_gauge) == Some(1.0)).then_some(())
    });
    assert_eq!(
        reconciles(&daemon, "t-live"),
        before,
        "all of it seen between reconciles"
    );
    assert!(
        daemon.logged("drift corrected").is_empty(),
        "a restart annotation is not plumb's field: no drift"
    );
}

#[test]
fn a_reconcile_shows_what_it_waits_on() {
    let Some(server) = apiserver::realistic_or_skip() else {
        return;
    };
    let manifests = format!(
        "{}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  v: \"1\"\n",
        support::hook_job("migrate", "pre-install,pre-upgrade")
    );
    let (daemon, _repo, client) = support::deploy_apps(&server, &[("t-waiting", &manifests)], "");
    let status = support::wait_until(WAIT, "the reconcile to wait on its hook", || {
        let app = app_status(&daemon, "t-waiting");
        (app["reconciling"]["waiting"][0]["name"] == "migrate").then_some(app)
    });
    let reconciling = &status["reconciling"];
    assert_eq!(reconciling["phase"], "pre-hooks (weight 0)", "{status}");
    assert_eq!(reconciling["trigger"], "new-revision", "{status}");
    assert_eq!(reconciling["waiting"][0]["kind"], "Job");
    assert_eq!(reconciling["waiting"][0]["health"], "Progressing");
    assert!(reconciling["since"].is_string() && reconciling["revision"].is_string());
    assert!(
        status["reconcile"].is_null(),
        "nothing finished yet: {status}"
    );
    let out = support::run_plumb(
        &["status", "--url", &format!("http://{}", daemon.addr)],
        None,
    );
    let table = support::output_text(&out);
    assert!(
        table.contains("reconciling") && table.contains("waiting on Job/t-waiting/migrate"),
        "{table}"
    );
    let logged = daemon.logged("waiting");
    assert!(!logged.is_empty(), "the wait is logged");
    let lines: Vec<_> = logged
        .iter()
        .map(|l| l["fields"]["waiting"].clone())
        .collect();
    assert!(
        lines.windows(2).all(|w| w[0] != w[1]),
        "logged once per change, not per poll: {lines:?}"
    );

    block(support::cluster::complete_job_pods(
        &client,
        "t-waiting",
        "migrate",
        true,
    ));
    wait_success(&daemon, "t-waiting");
    let status = app_status(&daemon, "t-waiting");
    assert!(status["reconciling"].is_null(), "idle again: {status}");
    assert_eq!(status["reconcile"]["hooks"], "ran: first install");
}

#[test]
fn an_unchanged_app_makes_no_writes_whatever_triggers_it() {
    let Some(server) = realistic_and_audited() else {
        return;
    };
    let quiet = support::hook_job("migrate", "pre-install,pre-upgrade")
        + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  v: \"1\"\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: c, image: \"busybox:1.36\"}]\n";
    let other = |v: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\ndata:\n  v: \"{v}\"\n")
    };
    let _jobs =
        support::cluster::auto_complete_jobs(&server, "t-quiet", Some("helm.sh/hook"), true);
    let (daemon, repo, client) = support::deploy_apps(
        &server,
        &[("t-quiet", &quiet), ("t-other", &other("1"))],
        "reconcile_interval: 2s\n",
    );
    wait_success(&daemon, "t-quiet");
    wait_success(&daemon, "t-other");
    let quiet_writes = |mark: &support::cluster::AuditMark| -> Vec<String> {
        server
            .audit_writes_since(mark)
            .into_iter()
            .filter(|w| w.namespace == "t-quiet" || w.name == "plumb-inventory-t-quiet")
            .map(|w| w.to_string())
            .collect()
    };
    let after_more = |n: f64, what: &str| {
        let target = reconciles(&daemon, "t-quiet") + n;
        support::wait_until(WAIT, what, || {
            (reconciles(&daemon, "t-quiet") >= target).then_some(())
        });
    };

    // The interval.
    let mark = server.audit_mark();
    after_more(2.0, "two interval reconciles");
    assert_eq!(quiet_writes(&mark), Vec::<String>::new(), "interval");

    // `plumb sync t-quiet`.
    let mark = server.audit_mark();
    let before = reconciles(&daemon, "t-quiet");
    let out = support::run_plumb(&["sync", "t-quiet"], Some(&daemon.config));
    assert!(out.status.success(), "{}", support::output_text(&out));
    support::wait_until(WAIT, "the sync's reconcile", || {
        (reconciles(&daemon, "t-quiet") > before).then_some(())
    });
    assert_eq!(quiet_writes(&mark), Vec::<String>::new(), "sync");

    // A commit that changes only the other app.
    let mark = server.audit_mark();
    repo.write("deploy/t-other/all.yaml", &other("2"));
    let rev = repo.commit("change the other app");
    support::wait_until(WAIT, "both apps at the new revision", || {
        let q = app_status(&daemon, "t-quiet");
        let o = app_status(&daemon, "t-other");
        (q["revision"] == rev.as_str()
            && q["reconcile"]["result"] == "success"
            && o["revision"] == rev.as_str()
            && o["reconcile"]["result"] == "success")
            .then_some(())
    });
    assert_eq!(
        quiet_writes(&mark),
        Vec::<String>::new(),
        "another app's commit"
    );
    assert!(
        server
            .audit_writes_since(&mark)
            .iter()
            .any(|w| w.namespace == "t-other" && w.name == "other"),
        "the other app was written"
    );

    // A drift: the correction writes the drifted object, and nothing after.
    let mark = server.audit_mark();
    let configmaps: Api<ConfigMap> = Api::namespaced(client.clone(), "t-quiet");
    block(async {
        configmaps
            .patch(
                "settings",
                &PatchParams {
                    field_manager: Some("kubectl-edit".into()),
                    ..PatchParams::default()
                },
                &Patch::Merge(json!({"data": {"v": "hacked"}})),
            )
            .await
            .expect("edit")
    });
    // The daemon counts the correction before it records its Event, so
    // wait for the Event's write too: else it can land after the next mark.
    support::wait_until(WAIT, "the drift correction and its Event", || {
        (daemon
            .metric("plumb_drift_corrections_total{app=\"t-quiet\",kind=\"ConfigMap\",manager=\"kubectl-edit\"}")
            == Some(1.0)
            && quiet_writes(&mark)
                .iter()
                .any(|w| w.starts_with("create events")))
        .then_some(())
    });
    let corrected: Vec<String> = quiet_writes(&mark)
        .into_iter()
        .filter(|w| !w.starts_with("create events"))
        .collect();
    assert_eq!(
        corrected.len(),
        1,
        "one write besides its Event: {corrected:?}"
    );
    assert!(
        corrected[0].starts_with("patch configmaps t-quiet/settings"),
        "{corrected:?}"
    );
    let mark = server.audit_mark();
    after_more(2.0, "reconciles after the correction");
    assert_eq!(quiet_writes(&mark), Vec::<String>::new(), "after a drift");

    // Asked for: the hook runs again, nothing else is written. The wait
    // reads the daemon's log, not /status: an interval reconcile right
    // after the forced one replaces its "ran: forced" in /status, and a
    // poll can miss it under load.
    let forced_runs = || {
        daemon
            .logged("running hooks")
            .iter()
            .filter(|l| l["fields"]["app"] == "t-quiet" && l["fields"]["why"] == "forced")
            .count()
    };
    let forced_before = forced_runs();
    let mark = server.audit_mark();
    let out = support::run_plumb(&["sync", "--force-hooks", "t-quiet"], Some(&daemon.config));
    assert!(out.status.success(), "{}", support::output_text(&out));
    support::wait_until(WAIT, "the forced hooks to start", || {
        (forced_runs() > forced_before).then_some(())
    });
    // Any reconcile that ends from now on ends after the forced one did.
    after_more(1.0, "the forced reconcile to end");
    let writes = quiet_writes(&mark);
    assert!(!writes.is_empty(), "the hook ran");
    assert!(
        writes.iter().all(|w| w.contains("jobs t-quiet/migrate")),
        "{writes:?}"
    );
}
