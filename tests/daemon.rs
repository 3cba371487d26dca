//! `plumb run` as a real process on real git repositories: every endpoint,
//! following new commits, keeping the last good revision on bad input,
//! honest readiness, reaching a real Docker Engine and a real API server,
//! and a clean exit on SIGTERM (issue 3).

mod support;

use std::time::Duration;

use support::{agent_config, apiserver, docker_host, Daemon, TestRepo};

const WAIT: Duration = Duration::from_secs(20);

fn start(repo: &TestRepo, extra: &str, env: &[(&str, &str)]) -> Daemon {
    let (dir, config) = agent_config(repo.path(), extra);
    Daemon::start(&config, env).owning(dir)
}

#[test]
fn serves_every_endpoint_and_reports_no_cluster_honestly() {
    let repo = TestRepo::with_demo_app();
    let daemon = start(&repo, "", &[]);

    let (code, body) = daemon.get("/healthz");
    assert_eq!((code, body.as_str()), (200, r#"{"status":"ok"}"#));

    let (code, body) = daemon.get("/nope");
    assert_eq!(code, 404, "{body}");

    // The source is read, but no cluster: not ready, and it says why.
    support::wait_until(WAIT, "the source to be read", || {
        daemon.status()["source"]["revision"].as_str().map(|_| ())
    });
    let (code, body) = daemon.get("/readyz");
    assert_eq!(code, 503, "{body}");
    assert!(body.contains("cluster not reached yet"), "{body}");
    assert!(body.contains("minikube start"), "a hint: {body}");

    let status = daemon.status();
    assert_eq!(status["cluster"]["up"], false);
    assert!(status["cluster"]["error"]
        .as_str()
        .unwrap()
        .contains("no kubeconfig"));
    assert_eq!(daemon.metric("plumb_cluster_up"), Some(0.0));

    let (code, body) = daemon.get("/metrics");
    assert_eq!(code, 200);
    assert!(body.contains("plumb_build_info{"), "{body}");
    assert!(body.contains("process_resident_memory_bytes"), "{body}");
}

#[test]
fn follows_new_commits_and_reconciles_each_app() {
    let repo = TestRepo::with_demo_app();
    let first = support::git(repo.path(), &["rev-parse", "HEAD"]);
    let daemon = start(&repo, "", &[]);

    let app = support::wait_until(WAIT, "the first reconcile", || {
        let status = daemon.status();
        let app = status["apps"][0].clone();
        (app["revision"] == first.as_str() && app["reconcile"].is_object()).then_some(app)
    });
    assert_eq!(app["name"], "demo");
    // No cluster here: nothing was applied, and status must not pretend.
    assert_eq!(app["reconcile"]["result"], "failure");
    assert!(
        app["reconcile"]["error"]
            .as_str()
            .unwrap()
            .contains("Kubernetes API is not reachable; nothing was applied"),
        "{app}"
    );
    assert_eq!(
        daemon.metric("plumb_reconcile_total{app=\"demo\",result=\"failure\"}"),
        Some(1.0)
    );

    repo.write(
        "deploy/manifests/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\ndata:\n  a: \"2\"\n",
    );
    let second = repo.commit("second");
    support::wait_until(WAIT, "the second revision to be reconciled", || {
        let status = daemon.status();
        (status["source"]["revision"] == second.as_str()
            && status["source"]["subject"] == "second"
            && status["apps"][0]["revision"] == second.as_str())
        .then_some(())
    });
}

#[test]
fn a_broken_manifest_keeps_the_last_good_revision() {
    let repo = TestRepo::with_demo_app();
    let good = support::git(repo.path(), &["rev-parse", "HEAD"]);
    let daemon = start(&repo, "", &[]);
    support::wait_until(WAIT, "the first revision", || {
        (daemon.status()["source"]["revision"] == good.as_str()).then_some(())
    });

    repo.write(
        "deploy/plumb.yaml",
        "apps:\n  - name: demo\n    namespace: demo\n    path: manifests\n    bogus: 1\n",
    );
    repo.commit("broken manifest");
    let status = daemon.wait_source_error(WAIT, "the error to be reported");
    let error = status["source"]["error"].as_str().unwrap();
    assert!(error.contains("deploy/plumb.yaml"), "{error}");
    assert!(error.contains("bogus"), "{error}");
    assert_eq!(
        status["source"]["revision"],
        good.as_str(),
        "last good revision kept"
    );
    assert_eq!(status["apps"][0]["name"], "demo", "apps kept");

    // Fixing it clears the error.
    repo.write(
        "deploy/plumb.yaml",
        "apps:\n  - name: demo\n    namespace: demo\n    path: manifests\n",
    );
    let fixed = repo.commit("fixed");
    support::wait_until(WAIT, "the fix to be read", || {
        let status = daemon.status();
        (status["source"]["revision"] == fixed.as_str() && status["source"]["error"].is_null())
            .then_some(())
    });
}

#[test]
fn uncommitted_edits_are_never_read() {
    let repo = TestRepo::with_demo_app();
    let good = support::git(repo.path(), &["rev-parse", "HEAD"]);
    repo.write("deploy/plumb.yaml", "this is: [not yaml");
    let daemon = start(&repo, "", &[]);
    let status = support::wait_until(WAIT, "the source to be read", || {
        let status = daemon.status();
        status["source"]["revision"].is_string().then_some(status)
    });
    assert_eq!(status["source"]["revision"], good.as_str());
    assert!(status["source"]["error"].is_null(), "{status}");
}

#[test]
fn sigterm_exits_cleanly_within_five_seconds() {
    let repo = TestRepo::with_demo_app();
    let daemon = start(&repo, "", &[]);
    support::wait_until(WAIT, "the first reconcile", || {
        daemon.status()["apps"][0]["reconcile"]
            .is_object()
            .then_some(())
    });
    let status = daemon.terminate(Duration::from_secs(5));
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn reaches_a_real_docker_engine() {
    let Some(host) = docker_host() else {
        support::skip(
            support::Service::Docker,
            "no Docker Engine (scripts/test starts one and sets PLUMB_TEST_DOCKER_HOST)",
        );
        return;
    };
    let repo = TestRepo::with_demo_app();
    let daemon = start(&repo, &format!("docker:\n  endpoint: {host}\n"), &[]);
    let status = support::wait_until(WAIT, "Docker to be reached", || {
        let status = daemon.status();
        (status["docker"]["up"] == true).then_some(status)
    });
    assert!(
        status["docker"]["version"]
            .as_str()
            .is_some_and(|v| !v.is_empty()),
        "{status}"
    );
    assert_eq!(daemon.metric("plumb_docker_up"), Some(1.0));
}

#[test]
fn docker_from_the_environment_like_minikube_docker_env() {
    let Some(host) = docker_host() else {
        support::skip(
            support::Service::Docker,
            "no Docker Engine (scripts/test starts one and sets PLUMB_TEST_DOCKER_HOST)",
        );
        return;
    };
    let repo = TestRepo::with_demo_app();
    let daemon = start(&repo, "", &[("DOCKER_HOST", &host)]);
    support::wait_until(WAIT, "Docker to be reached through DOCKER_HOST", || {
        (daemon.metric("plumb_docker_up") == Some(1.0)).then_some(())
    });
}

#[test]
fn unreachable_docker_is_reported_with_a_hint_and_the_daemon_stays_up() {
    let repo = TestRepo::with_demo_app();
    let daemon = start(
        &repo,
        "docker:\n  endpoint: unix:///nonexistent/docker.sock\n",
        &[],
    );
    let status = support::wait_until(WAIT, "the Docker error", || {
        let status = daemon.status();
        status["docker"]["error"].is_string().then_some(status)
    });
    let error = status["docker"]["error"].as_str().unwrap();
    assert!(error.contains("/nonexistent/docker.sock"), "{error}");
    assert!(error.contains("hint"), "{error}");
    assert_eq!(daemon.metric("plumb_docker_up"), Some(0.0));
    assert_eq!(daemon.get("/healthz").0, 200);
}

#[test]
fn ready_once_a_real_api_server_answers() {
    let Some(server) = apiserver::or_skip() else {
        return;
    };
    let repo = TestRepo::with_demo_app();
    let daemon = start(
        &repo,
        &format!(
            "cluster:\n  kubeconfig: {}\n",
            server.plumb_kubeconfig.display()
        ),
        &[],
    );
    support::wait_until(Duration::from_secs(30), "/readyz to answer 200", || {
        (daemon.get("/readyz").0 == 200).then_some(())
    });
    let status = daemon.status();
    assert_eq!(status["cluster"]["up"], true, "{status}");
    assert!(
        status["cluster"]["version"]
            .as_str()
            .unwrap()
            .starts_with('v'),
        "{status}"
    );
    assert_eq!(daemon.metric("plumb_cluster_up"), Some(1.0));
}

#[test]
fn an_unreachable_cluster_is_retried_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (kubeconfig, port) = support::unreachable_kubeconfig(dir.path());
    let repo = TestRepo::with_demo_app();
    let daemon = start(
        &repo,
        &format!("cluster:\n  kubeconfig: {}\n", kubeconfig.display()),
        &[],
    );
    let status = support::wait_until(WAIT, "the cluster error", || {
        let status = daemon.status();
        status["cluster"]["error"].is_string().then_some(status)
    });
    let error = status["cluster"]["error"].as_str().unwrap();
    assert!(error.contains(&format!("127.0.0.1:{port}")), "{error}");
    assert!(error.contains("minikube status"), "{error}");
    assert_eq!(daemon.get("/readyz").0, 503);
    // One warning line per outage, not one per retry.
    let first_check = status["cluster"]["checked_at"].clone();
    support::wait_until(WAIT, "a retry", || {
        (daemon.status()["cluster"]["checked_at"] != first_check).then_some(())
    });
    let warnings = daemon
        .logged("Kubernetes API not reachable; plumb keeps running and retries")
        .len();
    assert_eq!(warnings, 1, "the outage is logged once");
}

#[test]
fn a_cluster_outage_is_logged_by_plumb_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (kubeconfig, _) = support::unreachable_kubeconfig(dir.path());
    let repo = TestRepo::with_demo_app();
    let cluster = format!("cluster:\n  kubeconfig: {}\n", kubeconfig.display());
    let daemon = start(&repo, &cluster, &[]);
    let warning = "Kubernetes API not reachable; plumb keeps running and retries";
    support::wait_until(WAIT, "the outage warning", || {
        (!daemon.logged(warning).is_empty()).then_some(())
    });
    // A later check time is a later probe: at least two failures.
    let first_check = daemon.status()["cluster"]["checked_at"].clone();
    assert!(first_check.is_string(), "{first_check}");
    support::wait_until(WAIT, "a second failed probe", || {
        (daemon.status()["cluster"]["checked_at"] != first_check).then_some(())
    });
    assert_eq!(daemon.logged(warning).len(), 1, "the outage is logged once");
    let kube_errors = kube_client_errors(&daemon);
    assert!(
        kube_errors.is_empty(),
        "kube_client repeats plumb's warning: {kube_errors:#?}"
    );

    // Asked for explicitly, kube's own lines are there.
    let asked = start(&repo, &cluster, &[("PLUMB_LOG", "warn,plumb=info")]);
    support::wait_until(WAIT, "kube_client's error line", || {
        (!kube_client_errors(&asked).is_empty()).then_some(())
    });
}

/// Log lines of target `kube_client::*` at ERROR.
fn kube_client_errors(daemon: &Daemon) -> Vec<String> {
    let logs = daemon.logs.lock().unwrap().clone();
    logs.into_iter()
        .filter(|line| {
            serde_json::from_str::<serde_json::Value>(line).is_ok_and(|v| {
                v["level"] == "ERROR"
                    && v["target"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("kube_client"))
            })
        })
        .collect()
}
