//! A Helm chart as an app, through `plumb run` against a real API server
//! beside real controllers: the chart of `tests/fixtures/chart-app` (a
//! ConfigMap and a Deployment from templates with helpers, a pre-install,
//! pre-upgrade hook Job, the repo's values files over the chart's, `set`)
//! deploys as a first install; a commit that changes a value renders again
//! and upgrades it as revision 2 (`.Release.IsUpgrade` true, the upgrade
//! hook run); a commit that touches nothing the chart reads renders
//! nothing (`plumb_chart_renders_total`).

mod support;

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::Api;
use serde_json::Value;
use support::{Daemon, TestRepo};

const APP: &str = "chart-shop";
const WAIT: Duration = Duration::from_secs(180);

/// The status of the app once a reconcile at `revision` succeeded after
/// `successes` earlier ones; panics at once when one fails.
fn reconciled(daemon: &Daemon, revision: &str, successes: f64) -> Value {
    support::wait_until(WAIT, "the chart app's reconcile", || {
        let status = daemon.status();
        let app = status["apps"][0].clone();
        if app["reconcile"]["result"] == "failure" && app["revision"] == revision {
            panic!("the chart app failed: {}", app["reconcile"]["error"]);
        }
        let done = successes_of(daemon) > successes;
        (done && app["revision"] == revision && app["reconcile"]["result"] == "success")
            .then_some(app)
    })
}

fn successes_of(daemon: &Daemon) -> f64 {
    daemon
        .metric(&format!(
            "plumb_reconcile_total{{app=\"{APP}\",result=\"success\"}}"
        ))
        .unwrap_or(0.0)
}

fn renders(daemon: &Daemon, result: &str) -> f64 {
    daemon
        .metric(&format!(
            "plumb_chart_renders_total{{app=\"{APP}\",result=\"{result}\"}}"
        ))
        .unwrap_or(0.0)
}

/// What `plumb template` (helm template) prints for the Deployment's
/// replicas with the app's values files and `set`: a chart app must
/// render what helm template renders for the same flags.
fn templated_replicas(repo: &TestRepo) -> i64 {
    let deploy = repo.path().join("deploy");
    let at = |p: &str| deploy.join(p).display().to_string();
    let out = support::run_plumb(
        &[
            "template",
            APP,
            &at("charts/shop"),
            "-f",
            &at("values.yaml"),
            "-f",
            &at("environments/test.yaml"),
            "--set",
            "api.replicas=2",
            "--namespace",
            APP,
        ],
        None,
    );
    assert!(out.status.success(), "{}", support::output_text(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let docs: Vec<Value> = text
        .split("\n---")
        .filter_map(|d| serde_yaml_ng::from_str::<Value>(d).ok())
        .collect();
    docs.iter()
        .find(|d| d["kind"] == "Deployment")
        .and_then(|d| d["spec"]["replicas"].as_i64())
        .unwrap_or_else(|| panic!("a Deployment with replicas in {text}"))
}

#[test]
fn a_chart_app_installs_upgrades_and_renders_only_when_its_inputs_change() {
    let Some(server) = support::apiserver::realistic_or_skip() else {
        return;
    };
    let _jobs = support::cluster::auto_complete_jobs(&server, APP, Some("helm.sh/hook"), true);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let client = runtime.block_on(server.client());
    let configs: Api<ConfigMap> = Api::namespaced(client.clone(), APP);
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), APP);
    let jobs: Api<Job> = Api::namespaced(client.clone(), APP);
    let inventories: Api<ConfigMap> = Api::namespaced(client, "plumb-system");
    let data = |name: &str| {
        runtime
            .block_on(configs.get(name))
            .unwrap_or_else(|e| panic!("ConfigMap {name}: {e}"))
            .data
            .unwrap_or_default()
    };
    let recorded_release = || {
        let inventory = runtime
            .block_on(inventories.get(&format!("plumb-inventory-{APP}")))
            .expect("the inventory");
        let applied = inventory.data.unwrap_or_default()["applied"].clone();
        let applied: Value = serde_json::from_str(&applied).expect("applied is JSON");
        applied["release"].clone()
    };

    // First install.
    let repo = TestRepo::with_chart_app();
    let first = support::git(repo.path(), &["rev-parse", "HEAD"]);
    let daemon = support::start_plumb(&server, &repo, "");
    let app = reconciled(&daemon, &first, 0.0);
    assert_eq!(app["reconcile"]["hooks"], "ran: first install", "{app}");
    assert_eq!(app["health"], "Healthy", "{app}");
    let config = data("chart-shop-shop");
    assert_eq!(config["greeting"], "hello from the test environment");
    assert_eq!(config["release-revision"], "1");
    assert_eq!(config["release-upgrade"], "false");
    assert_eq!(config["release-namespace"], APP);
    let deployment = runtime
        .block_on(deployments.get("chart-shop-shop-api"))
        .expect("the chart's Deployment");
    assert_eq!(
        deployment.spec.and_then(|s| s.replicas).map(i64::from),
        Some(templated_replicas(&repo)),
        "values files and set as helm template applies them"
    );
    let hook = runtime
        .block_on(jobs.get("chart-shop-shop-migrate"))
        .expect("the pre-install hook ran");
    assert_eq!(hook.status.and_then(|s| s.succeeded), Some(1));
    assert_eq!(recorded_release()["revision"], 1);
    assert_eq!(renders(&daemon, "rendered"), 1.0);

    // A value changes: rendered again, an upgrade to revision 2.
    let before = successes_of(&daemon);
    repo.write("deploy/environments/test.yaml", "greeting: hello again\n");
    let second = repo.commit("a new greeting");
    let app = reconciled(&daemon, &second, before);
    assert_eq!(
        app["reconcile"]["hooks"], "ran: the app's desired state changed",
        "{app}"
    );
    let config = data("chart-shop-shop");
    assert_eq!(config["greeting"], "hello again");
    assert_eq!(config["release-revision"], "2");
    assert_eq!(config["release-upgrade"], "true");
    let hook = runtime
        .block_on(jobs.get("chart-shop-shop-migrate"))
        .expect("the pre-upgrade hook ran");
    let command = serde_json::to_string(&hook.spec.expect("a spec").template).unwrap();
    assert!(command.contains("migrating to revision 2"), "{command}");
    let release = recorded_release();
    assert_eq!(
        (release["revision"].clone(), release["upgrade"].clone()),
        (2.into(), true.into())
    );
    assert_eq!(renders(&daemon, "rendered"), 2.0);

    // A commit elsewhere: nothing the chart reads changed, nothing renders.
    let before = successes_of(&daemon);
    let reused = renders(&daemon, "reused");
    repo.write("deploy/README.md", "Only the README changed.\n");
    let third = repo.commit("docs only");
    let app = reconciled(&daemon, &third, before);
    assert_eq!(
        app["reconcile"]["hooks"], "skipped: the app's desired state is unchanged",
        "{app}"
    );
    assert_eq!(renders(&daemon, "rendered"), 2.0, "no render for a README");
    assert!(renders(&daemon, "reused") > reused);
    assert!(
        daemon
            .metric(&format!(
                "plumb_chart_loads_total{{app=\"{APP}\",result=\"reused\"}}"
            ))
            .unwrap_or(0.0)
            >= 1.0,
        "the chart's tree did not change: not parsed again"
    );
    assert_eq!(data("chart-shop-shop")["release-revision"], "2");
    assert_eq!(recorded_release()["revision"], 2);

    // The one-off commands render as the daemon does: with the release the
    // inventory records, so an unchanged app shows no difference...
    let config = daemon.config.clone();
    let out = support::run_plumb(&["diff", APP], Some(&config));
    assert_eq!(out.status.code(), Some(0), "{}", support::output_text(&out));
    // ...and a new value is the next revision, an upgrade with its hook.
    // (The daemon's config goes with it: keep a copy.)
    let kept = tempfile::tempdir().expect("tempdir");
    let config = kept.path().join("plumb.yaml");
    std::fs::copy(&daemon.config, &config).expect("copy the agent config");
    let stopped = daemon.terminate(Duration::from_secs(5));
    assert!(stopped.success(), "{stopped:?}");
    repo.write(
        "deploy/environments/test.yaml",
        "greeting: not yet applied\n",
    );
    repo.commit("a greeting for the preview");
    let out = support::run_plumb(&["diff", APP], Some(&config));
    let diff = support::output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{diff}");
    assert!(diff.contains("+  greeting: not yet applied"), "{diff}");
    assert!(
        ["'3'", "\"3\""]
            .iter()
            .any(|three| diff.contains(&format!("+  release-revision: {three}"))),
        "rendered as revision 3: {diff}"
    );
    let out = support::run_plumb(&["sync", APP, "--dry-run"], Some(&config));
    let plan = support::output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{plan}");
    let planned = |words: &[&str]| plan.lines().any(|l| words.iter().all(|w| l.contains(w)));
    assert!(
        planned(&[
            "pre-hook (weight -5)",
            " run ",
            "Job/chart-shop/chart-shop-shop-migrate"
        ]),
        "the upgrade hook runs: {plan}"
    );
    assert!(
        planned(&[" update ", "ConfigMap/chart-shop/chart-shop-shop"]),
        "{plan}"
    );
}

/// `.Capabilities.APIVersions` in a chart app is the cluster's, as `helm
/// install` reads it by discovery (kinds included, which `helm template`'s
/// default set lacks), and a CRD of the chart's `crds/` is among them on
/// the first install: the sync installs it, discovery shows it, and the
/// chart renders again, so a custom resource gated on it is applied in the
/// same reconcile.
#[test]
fn a_chart_app_sees_the_cluster_api_versions_and_its_own_crds() {
    const CRD_APP: &str = "crd-shop";
    let Some(server) = support::apiserver::realistic_or_skip() else {
        return;
    };
    let _jobs = support::cluster::auto_complete_jobs(&server, CRD_APP, Some("helm.sh/hook"), true);
    let repo = TestRepo::with_chart_app();
    repo.write(
        "deploy/plumb.yaml",
        "apps:\n  - name: crd-shop\n    namespace: crd-shop\n    chart: charts/shop\n    values: [values.yaml]\n    timeout: 60s\n",
    );
    repo.write(
        "deploy/charts/shop/crds/gadgets.yaml",
        "apiVersion: apiextensions.k8s.io/v1\n\
         kind: CustomResourceDefinition\n\
         metadata:\n  name: gadgets.shop.plumb.test\n\
         spec:\n  group: shop.plumb.test\n  scope: Namespaced\n\
         \x20 names: {plural: gadgets, singular: gadget, kind: Gadget}\n\
         \x20 versions:\n\
         \x20   - name: v1\n      served: true\n      storage: true\n\
         \x20     schema:\n        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}\n",
    );
    repo.write(
        "deploy/charts/shop/templates/capabilities.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ include \"shop.fullname\" . }}-capabilities\n\
         data:\n  deployment-kind: {{ .Capabilities.APIVersions.Has \"apps/v1/Deployment\" | quote }}\n\
         \x20 gadget-kind: {{ .Capabilities.APIVersions.Has \"shop.plumb.test/v1/Gadget\" | quote }}\n\
         {{- if .Capabilities.APIVersions.Has \"shop.plumb.test/v1/Gadget\" }}\n\
         ---\napiVersion: shop.plumb.test/v1\nkind: Gadget\nmetadata:\n  name: {{ include \"shop.fullname\" . }}\nspec:\n  size: 3\n\
         {{- end }}\n",
    );
    let revision = repo.commit("a CRD and templates that look for it");

    // helm template's default set knows no kinds and no CRD of this chart.
    let chart = repo.path().join("deploy/charts/shop").display().to_string();
    let out = support::run_plumb(&["template", CRD_APP, &chart], None);
    let templated = support::output_text(&out);
    assert!(out.status.success(), "{templated}");
    assert!(
        templated.contains("deployment-kind: \"false\""),
        "{templated}"
    );
    assert!(!templated.contains("kind: Gadget\n"), "{templated}");

    let daemon = support::start_plumb(&server, &repo, "");
    let app = support::wait_until(WAIT, "the CRD chart app's reconcile", || {
        let status = daemon.status();
        let app = status["apps"][0].clone();
        if app["reconcile"]["result"] == "failure" {
            panic!("the chart app failed: {}", app["reconcile"]["error"]);
        }
        (app["revision"] == revision.as_str() && app["reconcile"]["result"] == "success")
            .then_some(app)
    });
    assert_eq!(app["health"], "Healthy", "{app}");

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let client = runtime.block_on(server.client());
    let configs: Api<ConfigMap> = Api::namespaced(client.clone(), CRD_APP);
    let data = runtime
        .block_on(configs.get("crd-shop-shop-capabilities"))
        .expect("the capabilities ConfigMap")
        .data
        .unwrap_or_default();
    assert_eq!(
        data["deployment-kind"], "true",
        "discovery's kinds: {data:?}"
    );
    assert_eq!(data["gadget-kind"], "true", "the chart's CRD: {data:?}");
    let gadgets: Api<kube::api::DynamicObject> = Api::namespaced_with(
        client,
        CRD_APP,
        &kube::discovery::ApiResource::from_gvk_with_plural(
            &kube::api::GroupVersionKind::gvk("shop.plumb.test", "v1", "Gadget"),
            "gadgets",
        ),
    );
    let gadget = runtime
        .block_on(gadgets.get("crd-shop-shop"))
        .expect("the Gadget gated on its CRD, applied in the first reconcile");
    assert_eq!(gadget.data["spec"]["size"], 3);
    let successes = daemon
        .metric(&format!(
            "plumb_reconcile_total{{app=\"{CRD_APP}\",result=\"success\"}}"
        ))
        .unwrap_or(0.0);
    assert_eq!(successes, 1.0, "all of it in the first reconcile");
    assert_eq!(
        app["reconcile"]["hooks"], "ran: first install",
        "the hooks ran once, as an install: {app}"
    );
}
