//! The shipped example (`gitops-repo/`, the pakaura app) deploys as it
//! stands with `plumb run`, beside real controllers: ConfigMap, Services,
//! the PostgreSQL StatefulSet with its claim bound, the api and frontend
//! Deployments, the Ingress, and the migration Job as a post-install hook
//! (its pod finished by the test, as the hollow kubelet never exits a
//! container). A second look changes nothing (issue 8).

mod support;

use std::time::Duration;

use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use kube::api::Api;

#[test]
fn the_shipped_example_deploys_and_becomes_healthy() {
    let Some(server) = support::apiserver::realistic_or_skip() else {
        return;
    };
    let _jobs =
        support::cluster::auto_complete_jobs(&server, "pakaura", Some("helm.sh/hook"), true);
    let (daemon, _repo, revision) = support::run_example(&server);
    let status = support::wait_until(Duration::from_secs(240), "the example to deploy", || {
        let status = daemon.status();
        let app = &status["apps"][0];
        match app["reconcile"]["result"].as_str() {
            Some("success") => Some(status),
            Some("failure") => panic!("the example failed: {}", app["reconcile"]["error"]),
            _ => None,
        }
    });
    let app = &status["apps"][0];
    assert_eq!(app["name"], "pakaura");
    assert_eq!(app["revision"], revision.as_str());
    assert_eq!(app["health"], "Healthy", "{app}");
    assert_eq!(app["reconcile"]["hooks"], "ran: first install");
    let kinds: Vec<&str> = app["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r["kind"].as_str())
        .collect();
    for kind in [
        "ConfigMap",
        "Service",
        "StatefulSet",
        "Deployment",
        "Ingress",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let claims: Api<PersistentVolumeClaim> =
        Api::namespaced(runtime.block_on(server.client()), "pakaura");
    let claim = runtime
        .block_on(claims.get("data-pakaura-postgres-0"))
        .expect("the database's claim");
    assert_eq!(claim.status.and_then(|s| s.phase).as_deref(), Some("Bound"));

    // Nothing changed: a sync writes nothing and runs no hook.
    let mark = server.audit.as_ref().map(|a| a.mark());
    let before = daemon
        .metric("plumb_reconcile_total{app=\"pakaura\",result=\"success\"}")
        .unwrap_or(0.0);
    let (code, _) = {
        let client = reqwest::blocking::Client::new();
        let r = client
            .post(format!("http://{}/sync?app=pakaura", daemon.addr))
            .send()
            .expect("sync");
        (r.status().as_u16(), ())
    };
    assert_eq!(code, 202);
    support::wait_until(Duration::from_secs(60), "the sync's reconcile", || {
        (daemon
            .metric("plumb_reconcile_total{app=\"pakaura\",result=\"success\"}")
            .unwrap_or(0.0)
            > before)
            .then_some(())
    });
    let app = &daemon.status()["apps"][0];
    assert_eq!(
        app["reconcile"]["hooks"],
        "skipped: the app's desired state is unchanged"
    );
    if let (Some(audit), Some(mark)) = (server.audit.as_ref(), mark) {
        let writes: Vec<String> = audit
            .writes_since(&mark)
            .into_iter()
            .filter(|w| w.namespace == "pakaura" || w.name == "plumb-inventory-pakaura")
            .map(|w| w.to_string())
            .collect();
        assert!(writes.is_empty(), "{writes:?}");
    }
}
