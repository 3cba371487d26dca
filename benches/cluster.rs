//! Cluster engine figures (issues 5 and 8), against the same API server the
//! cluster tests use (PLUMB_E2E_KUBECONFIG, or envtest from
//! KUBEBUILDER_ASSETS): first apply and a no-op reconcile of 100 objects
//! (wall time, CPU time, write calls) beside `kubectl apply --server-side`,
//! drift → corrected latency through a running `plumb run`, and its RSS
//! with 1,000 managed objects watched. Beside real controllers (realistic
//! mode): commit → applied with and without a pre-upgrade hook, `kubectl
//! scale` → corrected, audited writes of a no-op reconcile of an app with
//! hooks, and the example app's first deploy to healthy. Prints tables;
//! asserts nothing.

mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, Patch, PatchParams};
use plumb::cluster::apply::Cluster;
use plumb::cluster::engine;
use plumb::manifest::AppSpec;
use plumb::metrics::Metrics;
use plumb::render::render_plain;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("cluster bench: skipped in test mode (run scripts/bench)");
        return;
    }
    let Ok(server) = support::apiserver::shared() else {
        println!("cluster bench: SKIPPED: no Kubernetes API server (set PLUMB_E2E_KUBECONFIG or KUBEBUILDER_ASSETS)");
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = runtime.block_on(server.client());
    println!();
    println!(
        "{:<56} {:>10} {:>10} {:>8} {:>14}",
        "cluster (100 ConfigMaps)", "wall", "cpu", "writes", "target"
    );

    let manifests: String = (0..100).map(|i| cm(i, "1")).collect();
    let objects = render_plain(
        "m",
        &[plumb::tree::TreeFile::regular(
            "m/all.yaml",
            manifests.clone(),
        )],
    )
    .expect("render");
    let metrics = Arc::new(Metrics::new());
    let cluster = Cluster::new(client.clone(), metrics.kube_requests_total.clone());
    let app = AppSpec::directory("bench", "m").with_timeout(Duration::from_secs(60));
    let (wall, cpu, writes) = measure(&metrics, || {
        let (_, result) = runtime.block_on(engine::sync(
            &cluster,
            &app,
            "rev1",
            objects.clone(),
            Default::default(),
            &plumb::cluster::wait::NoProgress,
        ));
        result.expect("first apply");
    });
    row("first apply, plumb", wall, cpu, writes, "");
    let mut noop_walls = Vec::new();
    let mut last = (Duration::ZERO, Duration::ZERO, 0.0);
    for _ in 0..10 {
        last = measure(&metrics, || {
            let (_, result) = runtime.block_on(engine::sync(
                &cluster,
                &app,
                "rev2",
                objects.clone(),
                Default::default(),
                &plumb::cluster::wait::NoProgress,
            ));
            result.expect("no-op");
        });
        noop_walls.push(last.0);
    }
    noop_walls.sort();
    row(
        "no-op reconcile, plumb (median of 10)",
        noop_walls[5],
        last.1,
        last.2,
        "0 writes, <10ms cpu",
    );

    let kubectl = std::env::var("KUBEBUILDER_ASSETS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| "/usr/local/kubebuilder/bin".into())
        .join("kubectl");
    if kubectl.exists() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("all.yaml");
        let namespaced: String = (0..100)
            .map(|i| cm(i, "1").replace("metadata:\n", "metadata:\n  namespace: bench-kubectl\n"))
            .collect();
        std::fs::write(&file, format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bench-kubectl\n---\n{namespaced}")).expect("write");
        let run = || {
            let t = Instant::now();
            let out = std::process::Command::new(&kubectl)
                .args([
                    "--kubeconfig",
                    server.kubeconfig.to_str().expect("utf-8"),
                    "apply",
                    "--server-side",
                    "-f",
                ])
                .arg(&file)
                .output()
                .expect("kubectl");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            t.elapsed()
        };
        let first = run();
        println!(
            "{:<56} {:>10} {:>10} {:>8} {:>14}",
            "first apply, kubectl apply --server-side",
            common::ms(first),
            "-",
            "101",
            ""
        );
        let mut walls: Vec<Duration> = (0..5).map(|_| run()).collect();
        walls.sort();
        println!(
            "{:<56} {:>10} {:>10} {:>8} {:>14}",
            "no-op, kubectl apply --server-side (median of 5)",
            common::ms(walls[2]),
            "-",
            "101",
            ""
        );
    }

    drift_and_memory(&runtime, &server, &client);
    if server.realistic {
        realistic(&runtime, &server, &client);
    } else {
        println!("\nrealistic cluster figures: SKIPPED: no kube-controller-manager, kube-scheduler and kubemark beside kube-apiserver");
    }
}

fn cm(i: usize, value: &str) -> String {
    format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i:04}\ndata:\n  v: \"{value}\"\n")
}

/// Wall time, this process's CPU time, and write calls of one run.
fn measure(metrics: &Metrics, f: impl FnOnce()) -> (Duration, Duration, f64) {
    let writes = || -> f64 {
        metrics
            .encode()
            .lines()
            .filter(|l| l.starts_with("plumb_kube_requests_total{"))
            .filter(|l| {
                ["\"apply\"", "\"create\"", "\"delete\""]
                    .iter()
                    .any(|v| l.contains(&format!("verb={v}")))
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    let (w0, c0, t0) = (writes(), cpu_time(), Instant::now());
    f();
    (t0.elapsed(), cpu_time().saturating_sub(c0), writes() - w0)
}

fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, (t.tv_usec as u32) * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn row(name: &str, wall: Duration, cpu: Duration, writes: f64, target: &str) {
    println!(
        "{:<56} {:>10} {:>10} {:>8} {:>14}",
        name,
        common::ms(wall),
        common::ms(cpu),
        writes,
        target
    );
}

/// Drift → corrected through `plumb run`, then its RSS with 1,000 objects.
fn drift_and_memory(
    runtime: &tokio::runtime::Runtime,
    server: &support::apiserver::ApiServer,
    client: &kube::Client,
) {
    let manifests: String = (0..1000).map(|i| cm(i, "1")).collect();
    let repo = support::TestRepo::empty();
    repo.write(
        "deploy/plumb.yaml",
        "apps:\n  - name: bench-drift\n    namespace: bench-drift\n    path: manifests\n    timeout: 120s\n",
    );
    repo.write("deploy/manifests/all.yaml", &manifests);
    repo.commit("1000 objects");
    let daemon = support::start_plumb(server, &repo, "");
    let started = Instant::now();
    support::wait_until(
        Duration::from_secs(600),
        "1,000 objects to be applied",
        || (daemon.status()["apps"][0]["reconcile"]["result"] == "success").then_some(()),
    );
    let first_apply = started.elapsed();
    std::thread::sleep(Duration::from_secs(3));
    let rss = common::rss_kib(daemon.child.id());

    // The client belongs to `runtime` (its request buffer runs there).
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "bench-drift");
    let mut samples = Vec::new();
    for i in 0..40 {
        let name = format!("cm-{i:04}");
        let t = Instant::now();
        runtime.block_on(async {
            api.patch(
                &name,
                &PatchParams {
                    field_manager: Some("kubectl-edit".into()),
                    ..Default::default()
                },
                &Patch::Merge(serde_json::json!({"data": {"v": "drifted"}})),
            )
            .await
            .expect("edit");
            loop {
                let live = api.get(&name).await.expect("get");
                if live.data.and_then(|d| d.get("v").cloned()).as_deref() == Some("1") {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        });
        samples.push(t.elapsed());
    }
    let mut p = |q: f64| common::percentile(&mut samples, q);
    println!();
    println!(
        "{:<56} {:>10} {:>10} {:>14}",
        "plumb run, 1,000 ConfigMaps", "p50", "p99", "target"
    );
    println!(
        "{:<56} {:>10} {:>10} {:>14}",
        "drift (kubectl-edit) → corrected (40 edits)",
        common::ms(p(0.5)),
        common::ms(p(0.99)),
        "p50 < 1 s"
    );
    println!(
        "{:<56} {:>10} {:>10} {:>14}",
        "first apply of 1,000 objects (commit → success)",
        common::ms(first_apply),
        "",
        ""
    );
    println!(
        "{:<56} {:>10} {:>10} {:>14}",
        "RSS with 1,000 managed objects watched",
        format!("{:.1} MB", rss as f64 / 1024.0),
        "",
        "< 60 MB"
    );
}

fn status_of(daemon: &support::Daemon, app: &str) -> serde_json::Value {
    daemon.status()["apps"]
        .as_array()
        .and_then(|apps| apps.iter().find(|a| a["name"] == app).cloned())
        .unwrap_or_default()
}

fn reconciled(daemon: &support::Daemon, app: &str) -> f64 {
    daemon
        .metric(&format!(
            "plumb_reconcile_total{{app=\"{app}\",result=\"success\"}}"
        ))
        .unwrap_or(0.0)
}

/// Commit → the ConfigMap `cm-0000`'s new value is live, `n` times; the
/// app's file is `content(value)`. Each commit waits for the reconcile of
/// the one before to finish, so no sample waits on another's health wait.
fn commit_to_applied(
    runtime: &tokio::runtime::Runtime,
    (daemon, app): (&support::Daemon, &str),
    repo: &support::TestRepo,
    api: &Api<ConfigMap>,
    content: impl Fn(&str) -> String,
    n: usize,
) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(n);
    let file = format!("deploy/{app}/all.yaml");
    for i in 0..n {
        let value = format!("v{i}");
        repo.write(&file, &content(&value));
        let done = reconciled(daemon, app) + 1.0;
        let t = Instant::now();
        repo.commit(&format!("change {i}"));
        runtime.block_on(async {
            loop {
                let live = api.get_opt("cm-0000").await.expect("get");
                if live.and_then(|c| c.data).and_then(|d| d.get("v").cloned())
                    == Some(value.clone())
                {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        });
        samples.push(t.elapsed());
        support::wait_until(Duration::from_secs(60), "the reconcile to end", || {
            (reconciled(daemon, app) >= done).then_some(())
        });
    }
    samples
}

/// The issue-8 figures, beside real controllers, a scheduler and a hollow
/// kubelet.
fn realistic(
    runtime: &tokio::runtime::Runtime,
    server: &support::apiserver::ApiServer,
    client: &kube::Client,
) {
    let hook = "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: m, image: \"busybox:1.36\"}]\n";
    let deployments: String = (0..20)
        .map(|i| format!("---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i:02}\nspec:\n  replicas: 2\n  selector: {{matchLabels: {{app: web-{i:02}}}}}\n  template:\n    metadata: {{labels: {{app: web-{i:02}}}}}\n    spec:\n      containers: [{{name: c, image: \"busybox:1.36\"}}]\n"))
        .collect();
    let _jobs =
        support::cluster::auto_complete_jobs(server, "bench-hooks", Some("helm.sh/hook"), true);
    let plain = format!("{}{deployments}", cm(0, "start"));
    let hooked = format!("{hook}{}", cm(0, "start"));
    let (daemon, repo, _) = support::deploy_apps(
        server,
        &[("bench-plain", &plain), ("bench-hooks", &hooked)],
        "reconcile_interval: 1h\n",
    );
    support::wait_until(Duration::from_secs(300), "both bench apps", || {
        (status_of(&daemon, "bench-plain")["reconcile"]["result"] == "success"
            && status_of(&daemon, "bench-hooks")["reconcile"]["result"] == "success")
            .then_some(())
    });
    println!();
    println!(
        "{:<56} {:>10} {:>10} {:>14}",
        "plumb run beside real controllers", "p50", "p99", "target"
    );
    let plain_api: Api<ConfigMap> = Api::namespaced(client.clone(), "bench-plain");
    let mut samples = commit_to_applied(
        runtime,
        (&daemon, "bench-plain"),
        &repo,
        &plain_api,
        |v| format!("{}{deployments}", cm(0, v)),
        20,
    );
    common::row(
        56,
        "commit → applied, app without hooks (20 commits)",
        &mut samples,
        "p50 < 50 ms",
    );
    let hooked_api: Api<ConfigMap> = Api::namespaced(client.clone(), "bench-hooks");
    let mut samples = commit_to_applied(
        runtime,
        (&daemon, "bench-hooks"),
        &repo,
        &hooked_api,
        |v| format!("{hook}{}", cm(0, v)),
        10,
    );
    common::row(
        56,
        "commit → applied, with a pre-upgrade hook Job (10)",
        &mut samples,
        "(hook pod finished by the test)",
    );

    // kubectl scale → corrected: one Deployment each, so no sample is a fight.
    let scale_api: Api<k8s_openapi::api::apps::v1::Deployment> =
        Api::namespaced(client.clone(), "bench-plain");
    let mut samples = Vec::new();
    for i in 0..20 {
        let name = format!("web-{i:02}");
        let t = Instant::now();
        runtime.block_on(async {
            scale_api
                .patch_scale(
                    &name,
                    &PatchParams {
                        field_manager: Some("kubectl".into()),
                        ..Default::default()
                    },
                    &Patch::Merge(serde_json::json!({"spec": {"replicas": 1}})),
                )
                .await
                .expect("scale");
            loop {
                let d = scale_api.get(&name).await.expect("get");
                if d.spec.and_then(|s| s.replicas) == Some(2) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        });
        samples.push(t.elapsed());
    }
    common::row(
        56,
        "kubectl scale → corrected (20 Deployments)",
        &mut samples,
        "p50 < 500 ms",
    );

    // A no-op reconcile of the app with hooks: its audited writes.
    if let Some(audit) = server.audit.as_ref() {
        let mark = audit.mark();
        let before = reconciled(&daemon, "bench-hooks");
        let http = reqwest::blocking::Client::new();
        for _ in 0..5 {
            let target = reconciled(&daemon, "bench-hooks") + 1.0;
            http.post(format!("http://{}/sync?app=bench-hooks", daemon.addr))
                .send()
                .expect("sync");
            support::wait_until(Duration::from_secs(60), "the sync's reconcile", || {
                (reconciled(&daemon, "bench-hooks") >= target).then_some(())
            });
        }
        let writes = audit
            .writes_since(&mark)
            .into_iter()
            .filter(|w| w.namespace == "bench-hooks" || w.name == "plumb-inventory-bench-hooks")
            .count();
        println!(
            "{:<56} {:>10} {:>10} {:>14}",
            format!(
                "writes of {} no-op reconciles, app with a hook (audit)",
                reconciled(&daemon, "bench-hooks") - before
            ),
            writes,
            "",
            "0"
        );
    }
    drop(daemon);

    // The example app, first deploy to healthy.
    let _jobs = support::cluster::auto_complete_jobs(server, "pakaura", Some("helm.sh/hook"), true);
    let t = Instant::now();
    let (daemon, _repo, _) = support::run_example(server);
    support::wait_until(Duration::from_secs(300), "the example to deploy", || {
        (daemon.status()["apps"][0]["reconcile"]["result"] == "success").then_some(())
    });
    println!(
        "{:<56} {:>10} {:>10} {:>14}",
        "example app: start → healthy (post-install hook incl.)",
        common::ms(t.elapsed()),
        "",
        ""
    );
}
