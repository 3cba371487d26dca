//! A reconcile that failed in the cluster is retried with backoff, without
//! waiting for a new commit or the reconcile interval (issue 5), beside real
//! controllers: a Deployment whose pod cannot be scheduled never becomes
//! healthy until the test labels the node.

mod support;

use std::time::Duration;

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::discovery::ApiResource;
use serde_json::json;

/// A Deployment whose pod waits for a node labelled `plumb.dev/test-pool=<pool>`.
fn pinned(name: &str, pool: &str) -> String {
    format!("---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: 1\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      nodeSelector: {{plumb.dev/test-pool: {pool}}}\n      containers: [{{name: c, image: \"busybox:1.36\"}}]\n")
}

#[test]
fn an_unhealthy_app_is_retried_until_it_is_healthy() {
    if support::apiserver::realistic_or_skip().is_none() {
        return;
    }
    let Some((daemon, repo, client)) = support::deploy_app("t-retry", &pinned("slow", "t-retry"))
    else {
        return;
    };
    // Shorten the health wait so the first reconcile fails fast.
    repo.write(
        "deploy/plumb.yaml",
        "apps:\n  - name: t-retry\n    namespace: t-retry\n    path: manifests\n    timeout: 2s\n",
    );
    repo.commit("short timeout");
    support::wait_until(Duration::from_secs(30), "a failed reconcile", || {
        let status = daemon.status();
        let error = status["apps"][0]["reconcile"]["error"]
            .as_str()
            .unwrap_or("")
            .to_string();
        error.contains("not healthy after 2s").then_some(())
    });
    // The pod can be scheduled now; the controllers roll it out; no commit
    // follows.
    let nodes: Api<k8s_openapi::api::core::v1::Node> = Api::all(client);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        nodes
            .patch(
                support::apiserver::NODE,
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"labels": {"plumb.dev/test-pool": "t-retry"}}})),
            )
            .await
            .unwrap();
    });
    let status = support::wait_until(Duration::from_secs(40), "the retry to succeed", || {
        let status = daemon.status();
        (status["apps"][0]["reconcile"]["result"] == "success").then_some(status)
    });
    assert_eq!(status["apps"][0]["health"], "Healthy", "{status}");
    assert_eq!(status["apps"][0]["resources"][0]["kind"], "Deployment");
    assert!(daemon.metric("plumb_app_health{app=\"t-retry\",status=\"Healthy\"}") == Some(1.0));
}

#[test]
fn with_rollback_a_failing_revision_gives_way_to_the_last_healthy_one() {
    let config_map = |v: &str| {
        format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  v: \"{v}\"\n")
    };
    if support::apiserver::realistic_or_skip().is_none() {
        return;
    }
    let Some((daemon, repo, client)) = support::deploy_app("t-rollback", &config_map("1")) else {
        return;
    };
    repo.write(
        "deploy/plumb.yaml",
        "apps:\n  - name: t-rollback\n    namespace: t-rollback\n    path: manifests\n    timeout: 2s\n    rollback: true\n",
    );
    let good = repo.commit("enable rollback");
    support::wait_until(Duration::from_secs(30), "the good revision", || {
        let status = daemon.status();
        (status["apps"][0]["revision"] == good.as_str()
            && status["apps"][0]["reconcile"]["result"] == "success")
            .then_some(())
    });
    // A bad revision: the config changes and a Deployment never gets healthy.
    repo.write(
        "deploy/manifests/all.yaml",
        &format!("{}{}", config_map("2"), pinned("broken", "nowhere")),
    );
    let bad = repo.commit("bad release");
    let status = support::wait_until(Duration::from_secs(40), "the rollback", || {
        let status = daemon.status();
        let error = status["apps"][0]["reconcile"]["error"]
            .as_str()
            .unwrap_or("")
            .to_string();
        error.contains("rolled back").then_some(status)
    });
    let error = status["apps"][0]["reconcile"]["error"].as_str().unwrap();
    assert!(
        error.contains(&format!(
            "revision {} failed and was rolled back to {}",
            &bad[..12],
            &good[..12]
        )),
        "{error}"
    );
    assert!(error.contains("not healthy after 2s"), "{error}");
    assert_eq!(status["apps"][0]["revision"], good.as_str(), "{status}");
    let api: Api<k8s_openapi::api::core::v1::ConfigMap> =
        Api::namespaced(client.clone(), "t-rollback");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let value = runtime
        .block_on(async { api.get("settings").await.unwrap() })
        .data
        .unwrap()["v"]
        .clone();
    assert_eq!(value, "1", "the good revision's config is back");
    let deployments = ApiResource::from_gvk_with_plural(
        &kube::core::GroupVersionKind::gvk("apps", "v1", "Deployment"),
        "deployments",
    );
    let deployments: Api<DynamicObject> = Api::namespaced_with(client, "t-rollback", &deployments);
    let broken = runtime.block_on(async { deployments.get_opt("broken").await.unwrap() });
    assert!(broken.is_none(), "the bad revision's new object was pruned");
}
