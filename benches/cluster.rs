//! Cluster engine figures (issue 5), against the same API server the cluster
//! tests use (PLUMB_E2E_KUBECONFIG, or envtest from KUBEBUILDER_ASSETS):
//! first apply and a no-op reconcile of 100 objects (wall time, CPU time,
//! write calls) beside `kubectl apply --server-side`, drift → corrected
//! latency through a running `plumb run`, and its RSS with 1,000 managed
//! objects watched. Prints a table; asserts nothing.

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
    let (dir, config) = support::source_config(
        &repo.path().display().to_string(),
        "main",
        "",
        &format!(
            "cluster:\n  kubeconfig: {}\n",
            server.plumb_kubeconfig.display()
        ),
    );
    let daemon = support::Daemon::start(&config, &[]).owning(dir);
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
