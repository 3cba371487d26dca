//! Daemon figures (issue 3): start-up to the first 200 on /healthz, idle RSS
//! after 10 s, and /metrics scrape latency. Prints a table; asserts nothing.
//! Run through `scripts/bench` (or `cargo bench --bench daemon`).

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("daemon bench: skipped in test mode (run scripts/bench)");
        return;
    }
    let repo = tempfile::tempdir().expect("tempdir");
    make_repo(repo.path());
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("client");

    // Start-up: spawn to first 200 on /healthz, 20 times.
    let mut startups = Vec::new();
    for _ in 0..20 {
        let (mut child, port, _dir) = spawn(repo.path());
        let started = Instant::now();
        loop {
            if let Ok(r) = client
                .get(format!("http://127.0.0.1:{port}/healthz"))
                .send()
            {
                if r.status().is_success() {
                    break;
                }
            }
            if started.elapsed() > Duration::from_secs(10) {
                panic!("plumb did not answer /healthz within 10 s");
            }
            std::thread::sleep(Duration::from_micros(500));
        }
        startups.push(started.elapsed());
        stop(&mut child);
    }

    // Idle RSS after 10 s, then scrape latency on the same process.
    let (mut child, port, _dir) = spawn(repo.path());
    std::thread::sleep(Duration::from_secs(10));
    let idle_rss = common::rss_kib(child.id());
    let url = format!("http://127.0.0.1:{port}/metrics");
    for _ in 0..50 {
        let _ = client.get(&url).send().and_then(|r| r.bytes());
    }
    let mut scrapes = Vec::new();
    for _ in 0..2000 {
        let t = Instant::now();
        let body = client
            .get(&url)
            .send()
            .and_then(|r| r.bytes())
            .expect("scrape");
        scrapes.push(t.elapsed());
        assert!(!body.is_empty());
    }
    let rss_after_scrapes = common::rss_kib(child.id());
    stop(&mut child);

    println!();
    println!(
        "{:<42} {:>12} {:>12} {:>10}",
        "daemon", "p50", "p99/max", "target"
    );
    row(
        "startup to first 200 on /healthz (20 runs)",
        &mut startups,
        "< 100 ms",
    );
    println!(
        "{:<42} {:>12} {:>12} {:>10}",
        "idle RSS after 10 s",
        format!("{:.1} MB", idle_rss as f64 / 1024.0),
        format!("{:.1} MB", rss_after_scrapes as f64 / 1024.0),
        "< 15 MB"
    );
    row(
        "/metrics scrape latency (2000 GETs)",
        &mut scrapes,
        "< 2 ms p99",
    );
    println!("(idle RSS: second column is after the 2000 scrapes)");
}

fn row(name: &str, samples: &mut [Duration], target: &str) {
    common::row(42, name, samples, target);
}

fn make_repo(dir: &Path) {
    std::fs::create_dir_all(dir.join("deploy/manifests")).expect("mkdir");
    std::fs::write(
        dir.join("deploy/plumb.yaml"),
        "apps:\n  - name: demo\n    namespace: demo\n    path: manifests\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("deploy/manifests/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n",
    )
    .expect("write");
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "-A"],
        &[
            "-c",
            "user.name=b",
            "-c",
            "user.email=b@b",
            "commit",
            "-qm",
            "bench",
        ],
    ] {
        let ok = Command::new("git")
            .args(args)
            .current_dir(dir)
            .status()
            .expect("git")
            .success();
        assert!(ok, "git {args:?}");
    }
}

fn spawn(repo: &Path) -> (Child, u16, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let config = dir.path().join("plumb.yaml");
    std::fs::write(
        &config,
        format!(
            "source:\n  repo: {}\n  branch: main\n  path: deploy\nlisten: 127.0.0.1:{port}\ndocker:\n  endpoint: unix:///nonexistent.sock\n",
            repo.display()
        ),
    )
    .expect("config");
    let child = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(["run", "-q", "--config"])
        .arg(&config)
        .env_remove("KUBECONFIG")
        .env("HOME", dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("plumb starts");
    (child, port, dir)
}

fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}
