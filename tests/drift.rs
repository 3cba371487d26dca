//! Drift correction end to end (issues 5 and 8): `plumb run` deploys from a
//! real repo to a real API server, then objects are edited, deleted and
//! relabelled behind its back, by the API and by real `kubectl` (scale,
//! edit, client-side apply, patch, label) beside real controllers. plumb
//! puts them back once per change, names the manager that owns the drifted
//! fields, records an Event, counts it, leaves opted-out objects alone, and
//! backs off only from a writer that really fights.

mod support;

use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use serde_json::json;
use support::{Daemon, TestRepo};

const WAIT: Duration = Duration::from_secs(30);

struct Deployed {
    daemon: Daemon,
    _repo: TestRepo,
    configmaps: Api<ConfigMap>,
    app: String,
}

fn deploy(app: &str, manifests: &str) -> Option<Deployed> {
    let (daemon, repo, client) = support::deploy_app(app, manifests)?;
    support::wait_until(WAIT, "the first reconcile to succeed", || {
        let status = daemon.status();
        (status["apps"][0]["reconcile"]["result"] == "success").then_some(())
    });
    Some(Deployed {
        daemon,
        _repo: repo,
        configmaps: Api::namespaced(client, app),
        app: app.to_string(),
    })
}

fn block<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Runtime::new().unwrap().block_on(f)
}

fn cm(name: &str, value: &str, annotations: &str) -> String {
    format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n{annotations}data:\n  v: \"{value}\"\n")
}

impl Deployed {
    fn value(&self, name: &str) -> Option<String> {
        let api = self.configmaps.clone();
        let name = name.to_string();
        block(async move { api.get_opt(&name).await.unwrap() })
            .and_then(|c| c.data)
            .and_then(|d| d.get("v").cloned())
    }

    fn edit(&self, name: &str, value: &str, manager: &str) {
        let api = self.configmaps.clone();
        let (name, value) = (name.to_string(), value.to_string());
        let params = PatchParams {
            field_manager: Some(manager.to_string()),
            ..PatchParams::default()
        };
        block(async move {
            api.patch(&name, &params, &Patch::Merge(json!({"data": {"v": value}})))
                .await
                .unwrap()
        });
    }

    fn corrections(&self, manager: &str) -> f64 {
        self.daemon
            .metric(&format!(
                "plumb_drift_corrections_total{{app=\"{}\",kind=\"ConfigMap\",manager=\"{manager}\"}}",
                self.app
            ))
            .unwrap_or(0.0)
    }

    fn wait_value(&self, name: &str, value: &str, what: &str) {
        support::wait_until(WAIT, what, || {
            (self.value(name).as_deref() == Some(value)).then_some(())
        });
    }
}

#[test]
fn an_edit_is_undone_and_attributed() {
    let Some(d) = deploy("drift-edit", &cm("settings", "1", "")) else {
        return;
    };
    d.edit("settings", "hacked", "kubectl-edit");
    d.wait_value("settings", "1", "the edit to be undone");
    support::wait_until(WAIT, "the correction to be counted", || {
        (d.corrections("kubectl-edit") == 1.0).then_some(())
    });
    let logged = d.daemon.logged("drift corrected");
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert!(
        logged[0]["fields"]["by"]
            .as_str()
            .unwrap()
            .starts_with("kubectl-edit (Update at "),
        "{logged:?}"
    );
    assert_eq!(logged[0]["fields"]["fields"], "data.v");

    // The Event is on the object, as `kubectl describe` shows it.
    let events: Api<k8s_openapi::api::events::v1::Event> =
        Api::namespaced(d.configmaps.clone().into_client(), "drift-edit");
    let found = support::wait_until(WAIT, "the DriftCorrected event", || {
        let events = events.clone();
        let list = block(async move { events.list(&Default::default()).await.unwrap() });
        list.items.into_iter().find(|e| {
            e.reason.as_deref() == Some("DriftCorrected")
                && e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("settings")
        })
    });
    assert!(found.note.unwrap_or_default().contains("kubectl-edit"));
}

#[test]
fn a_deleted_object_is_recreated() {
    let Some(d) = deploy("drift-delete", &cm("settings", "1", "")) else {
        return;
    };
    let api = d.configmaps.clone();
    block(async move {
        api.delete("settings", &DeleteParams::default())
            .await
            .unwrap()
    });
    d.wait_value("settings", "1", "the object to be re-created");
    support::wait_until(WAIT, "the correction to be counted", || {
        (d.corrections("deleted") == 1.0).then_some(())
    });
}

#[test]
fn a_removed_label_is_restored() {
    let Some(d) = deploy("drift-label", &cm("settings", "1", "")) else {
        return;
    };
    let api = d.configmaps.clone();
    block(async move {
        api.patch(
            "settings",
            &PatchParams {
                field_manager: Some("kubectl-label".into()),
                ..PatchParams::default()
            },
            &Patch::Merge(json!({"metadata": {"labels": {"plumb.dev/app": null}}})),
        )
        .await
        .unwrap()
    });
    support::wait_until(WAIT, "the label to be back", || {
        let api = d.configmaps.clone();
        let labels = block(async move { api.get("settings").await.unwrap() })
            .metadata
            .labels
            .unwrap_or_default();
        (labels.get("plumb.dev/app").map(String::as_str) == Some("drift-label")).then_some(())
    });
}

#[test]
fn an_opted_out_object_is_left_alone() {
    let manifests = format!(
        "{}{}",
        cm("free", "1", "  annotations:\n    plumb.dev/drift: ignore\n"),
        cm("kept", "1", "")
    );
    let Some(d) = deploy("drift-ignore", &manifests) else {
        return;
    };
    // Same kind, same watch stream: the second edit's correction is seen
    // only after the first edit was looked at.
    d.edit("free", "mine", "kubectl-edit");
    d.edit("kept", "hacked", "kubectl-edit");
    d.wait_value("kept", "1", "the managed object to be put back");
    assert_eq!(d.value("free").as_deref(), Some("mine"));
    assert_eq!(d.corrections("kubectl-edit"), 1.0);
}

#[test]
fn a_fighting_writer_is_backed_off_not_hot_looped() {
    let Some(d) = deploy("drift-fight", &cm("settings", "1", "")) else {
        return;
    };
    let edits = 40;
    for i in 0..edits {
        d.edit("settings", &format!("fight-{i}"), "rogue-operator");
        std::thread::sleep(Duration::from_millis(100));
    }
    let corrections = d.corrections("rogue-operator");
    // Immediate, then 1 s, 2 s, 4 s... apart: a handful, never one per edit.
    assert!(
        corrections >= 1.0 && corrections <= f64::from(edits) / 4.0,
        "{corrections} corrections for {edits} edits"
    );
    let fights = d
        .daemon
        .logged("object keeps being changed back: rogue-operator is fighting plumb; backing off");
    assert_eq!(fights.len(), 1, "a fight is declared once, naming who");
    // After the fight, plumb wins again.
    d.wait_value(
        "settings",
        "1",
        "plumb to restore the value after the fight",
    );
}

fn web(name: &str) -> String {
    format!("---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels: {{tier: web}}\nspec:\n  replicas: 2\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers: [{{name: c, image: \"busybox:1.36\"}}]\n")
}

/// The `by` of the one "drift corrected" line about `object`.
fn corrected_by(daemon: &support::Daemon, object: &str) -> Vec<String> {
    daemon
        .logged("drift corrected")
        .iter()
        .filter(|l| l["fields"]["object"] == object)
        .map(|l| l["fields"]["by"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn kubectl_changes_are_attributed_to_the_manager_owning_the_fields() {
    let Some(server) = support::apiserver::realistic_or_skip() else {
        return;
    };
    let Some(kubectl) = support::kubectl_or_skip() else {
        return;
    };
    let names = ["scaled", "edited", "applied", "patched", "labelled"];
    let manifests: String = names.iter().map(|n| web(n)).collect();
    let (daemon, _repo, client) =
        support::deploy_apps(&server, &[("drift-kubectl", &manifests)], "");
    support::wait_until(WAIT, "the first reconcile", || {
        (daemon.status()["apps"][0]["reconcile"]["result"] == "success").then_some(())
    });
    let deployments: Api<k8s_openapi::api::apps::v1::Deployment> =
        Api::namespaced(client, "drift-kubectl");
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["-n", "drift-kubectl"];
        all.extend_from_slice(args);
        support::kubectl(&kubectl, &server.kubeconfig, &all, env)
    };
    let wait_corrected = |name: &str| -> String {
        let object = format!("Deployment/drift-kubectl/{name}");
        let by = support::wait_until(WAIT, &format!("{name} to be corrected"), || {
            corrected_by(&daemon, &object).into_iter().next()
        });
        // Settled: the controller has rolled back to what plumb applied.
        support::wait_until(WAIT, &format!("{name} to settle"), || {
            let api = deployments.clone();
            let name = name.to_string();
            let d = block(async move { api.get(&name).await.unwrap() });
            let status = d.status.unwrap_or_default();
            (d.spec.and_then(|s| s.replicas) == Some(2)
                && status.observed_generation == d.metadata.generation
                && status.available_replicas == Some(2)
                && status.replicas == Some(2))
            .then_some(())
        });
        by
    };

    run(&["scale", "deployment", "scaled", "--replicas=1"], &[]);
    let by = wait_corrected("scaled");
    assert!(
        by.starts_with("kubectl") && by.contains("of /scale"),
        "the scaler, not the controller that wrote status after it: {by}"
    );
    assert!(!by.contains("kube-controller-manager"), "{by}");

    run(
        &["edit", "deployment", "edited"],
        &[("KUBE_EDITOR", "sed -i -e s/replicas:\\ 2/replicas:\\ 5/")],
    );
    let by = wait_corrected("edited");
    assert!(by.starts_with("kubectl-edit (Update at "), "{by}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("applied.yaml");
    std::fs::write(&file, web("applied").replace("replicas: 2", "replicas: 3")).unwrap();
    run(&["apply", "-f", file.to_str().unwrap()], &[]);
    let by = wait_corrected("applied");
    assert!(
        by.starts_with("kubectl-client-side-apply (Update at "),
        "{by}"
    );

    run(
        &[
            "patch",
            "deployment",
            "patched",
            "--type=merge",
            "-p",
            r#"{"spec":{"replicas":4}}"#,
        ],
        &[],
    );
    let by = wait_corrected("patched");
    assert!(by.starts_with("kubectl-patch (Update at "), "{by}");

    run(
        &[
            "label",
            "--overwrite",
            "deployment",
            "labelled",
            "tier=hacked",
        ],
        &[],
    );
    let by = wait_corrected("labelled");
    assert!(by.starts_with("kubectl-label (Update at "), "{by}");

    // Each change was one correction, and none of them a fight.
    for name in names {
        let object = format!("Deployment/drift-kubectl/{name}");
        assert_eq!(corrected_by(&daemon, &object).len(), 1, "{object}");
    }
    assert!(daemon
        .logs
        .lock()
        .unwrap()
        .iter()
        .all(|l| !l.contains("fighting plumb")));
}
