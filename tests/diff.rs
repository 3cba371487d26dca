//! `plumb diff` and `plumb sync --dry-run` against a real API server, and a
//! forbidden verb (issue 5): diff exit codes like `kubectl diff` (0 none,
//! 1 differences, 2 error), Secret values masked, a dry-run that changes
//! nothing, and an RBAC refusal that names the object and verb while the
//! other apps go on.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{apiserver, output_text as text, run_plumb as plumb, source_config, TestRepo};

const SECRET: &str =
    "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: aHVudGVyMg==\n";

fn cm(name: &str, value: &str) -> String {
    format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  v: \"{value}\"\n")
}

struct Setup {
    repo: TestRepo,
    _dir: tempfile::TempDir,
    config: PathBuf,
}

fn setup(app: &str, kubeconfig: &Path, manifests: &str) -> Setup {
    let repo = TestRepo::empty();
    repo.write(
        "deploy/plumb.yaml",
        &format!(
            "apps:\n  - name: {app}\n    namespace: {app}\n    path: manifests\n    timeout: 20s\n"
        ),
    );
    repo.write("deploy/manifests/all.yaml", manifests);
    repo.commit("first");
    // No daemon listens on this port: `plumb sync` reconciles itself.
    let (dir, config) = source_config(
        &repo.path().display().to_string(),
        "main",
        "",
        &format!("cluster:\n  kubeconfig: {}\n", kubeconfig.display()),
    );
    support::listen_on_free_port(&config);
    Setup {
        repo,
        _dir: dir,
        config,
    }
}

#[test]
fn diff_and_dry_run_show_what_would_change_and_change_nothing() {
    let Some(server) = apiserver::or_skip() else {
        return;
    };
    let s = setup(
        "t-diff",
        &server.plumb_kubeconfig,
        &format!("{}{}{}", cm("a", "1"), cm("b", "1"), SECRET),
    );
    let out = plumb(&["sync"], Some(&s.config));
    assert!(out.status.success(), "{}", text(&out));

    // In sync: no diff, exit 0.
    let out = plumb(&["diff"], Some(&s.config));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(out.stdout.is_empty(), "{}", text(&out));

    // A value changes, a secret changes, an object goes.
    s.repo.write(
        "deploy/manifests/all.yaml",
        &format!(
            "{}{}",
            cm("a", "2"),
            SECRET.replace("aHVudGVyMg==", "Y29ycmVjdA==")
        ),
    );
    s.repo.commit("change");
    let out = plumb(&["diff", "t-diff"], Some(&s.config));
    let diff = text(&out);
    assert_eq!(out.status.code(), Some(1), "{diff}");
    assert!(diff.contains("--- live/ConfigMap/t-diff/a"), "{diff}");
    assert!(
        diff.contains("-  v: '1'") || diff.contains("-  v: \"1\""),
        "{diff}"
    );
    assert!(
        diff.contains("+  v: '2'") || diff.contains("+  v: \"2\""),
        "{diff}"
    );
    assert!(diff.contains("*** (changed)"), "{diff}");
    assert!(
        !diff.contains("aHVudGVyMg") && !diff.contains("Y29ycmVjdA"),
        "secret values never shown: {diff}"
    );
    assert!(
        diff.contains("--- live/ConfigMap/t-diff/b"),
        "the pruned object: {diff}"
    );

    let out = plumb(&["sync", "--dry-run"], Some(&s.config));
    let plan = text(&out);
    assert!(out.status.success(), "{plan}");
    assert!(plan.contains("update     ConfigMap/t-diff/a"), "{plan}");
    assert!(plan.contains("update     Secret/t-diff/db"), "{plan}");
    assert!(plan.contains("delete     ConfigMap/t-diff/b"), "{plan}");
    assert!(plan.contains("summary: 1 delete, 2 update"), "{plan}");

    // Nothing changed in the cluster: the diff is still there.
    assert_eq!(plumb(&["diff"], Some(&s.config)).status.code(), Some(1));
    let out = plumb(&["sync"], Some(&s.config));
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(plumb(&["diff"], Some(&s.config)).status.code(), Some(0));
}

#[test]
fn diff_without_a_cluster_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let (kubeconfig, _) = support::unreachable_kubeconfig(dir.path());
    let s = setup("t-nocluster", &kubeconfig, &cm("a", "1"));
    let out = plumb(&["diff"], Some(&s.config));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("minikube status"), "{}", text(&out));
}

#[test]
fn a_forbidden_verb_names_object_and_verb_and_other_apps_go_on() {
    let Some(server) = apiserver::or_skip() else {
        return;
    };
    let Some(limited) = server.limited_kubeconfig.clone() else {
        support::skip(
            support::Service::Envtest,
            "no limited user on an external cluster",
        );
        return;
    };
    // Grant `limited` ConfigMaps (not Secrets) in its app namespaces and
    // plumb-system, and reading namespaces.
    let grant = r#"
apiVersion: v1
kind: Namespace
metadata: {name: t-rbac}
---
apiVersion: v1
kind: Namespace
metadata: {name: t-rbac-ok}
---
apiVersion: v1
kind: Namespace
metadata: {name: plumb-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: limited}
rules:
- apiGroups: [""]
  resources: [configmaps, namespaces]
  verbs: [get, list, watch, create, update, patch, delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: limited}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: limited}
subjects:
- {kind: User, name: limited, apiGroup: rbac.authorization.k8s.io}
"#;
    let kubectl = std::env::var("KUBEBUILDER_ASSETS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| "/usr/local/kubebuilder/bin".into())
        .join("kubectl");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("grant.yaml"), grant).unwrap();
    let out = Command::new(&kubectl)
        .args([
            "--kubeconfig",
            server.kubeconfig.to_str().unwrap(),
            "apply",
            "-f",
        ])
        .arg(dir.path().join("grant.yaml"))
        .output();
    match out {
        Ok(o) if o.status.success() => {}
        other => {
            support::skip(
                support::Service::Kubectl,
                &format!("cannot grant RBAC with {} ({other:?})", kubectl.display()),
            );
            return;
        }
    }

    let repo = TestRepo::empty();
    repo.write(
        "deploy/plumb.yaml",
        "apps:\n  - name: t-rbac\n    namespace: t-rbac\n    path: secret\n  - name: t-rbac-ok\n    namespace: t-rbac-ok\n    path: ok\n",
    );
    repo.write(
        "deploy/secret/all.yaml",
        &format!("{}{SECRET}", cm("x", "1")),
    );
    repo.write("deploy/ok/all.yaml", &cm("y", "1"));
    repo.commit("two apps");
    let (_dir, config) = source_config(
        &repo.path().display().to_string(),
        "main",
        "",
        &format!("cluster:\n  kubeconfig: {}\n", limited.display()),
    );
    support::listen_on_free_port(&config);
    let out = plumb(&["sync"], Some(&config));
    let output = text(&out);
    assert_eq!(out.status.code(), Some(1), "{output}");
    assert!(output.contains("t-rbac: failure"), "{output}");
    assert!(
        output.contains("Secret/t-rbac/*: list forbidden")
            || output.contains("Secret/t-rbac/db: apply forbidden"),
        "{output}"
    );
    assert!(output.contains("grant plumb's service account"), "{output}");
    assert!(
        output.contains("t-rbac-ok: success"),
        "the other app goes on: {output}"
    );
}
