//! A reconcile that failed in the cluster is retried with backoff, without
//! waiting for a new commit or the reconcile interval (issue 5).

mod support;

use std::time::Duration;

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::discovery::ApiResource;
use serde_json::json;

#[test]
fn an_unhealthy_app_is_retried_until_it_is_healthy() {
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: slow\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: slow}}\n  template:\n    metadata: {labels: {app: slow}}\n    spec:\n      containers: [{name: c, image: slow:1}]\n";
    let Some((daemon, repo, client)) = support::deploy_app("t-retry", deployment) else {
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
    // "The controller" makes it available; no commit follows.
    let resource = ApiResource::from_gvk_with_plural(
        &kube::core::GroupVersionKind::gvk("apps", "v1", "Deployment"),
        "deployments",
    );
    let api: Api<DynamicObject> = Api::namespaced_with(client, "t-retry", &resource);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let live = api.get("slow").await.unwrap();
        let generation = live.metadata.generation;
        api.patch_status(
            "slow",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"observedGeneration": generation, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1, "readyReplicas": 1}})),
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
