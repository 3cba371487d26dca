//! A real Prometheus scrapes a running `plumb run` on loopback; the test
//! reads the result back through Prometheus's HTTP API (issue 3).

mod support;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::{agent_config, prometheus_bin, Daemon, TestRepo};

/// A Prometheus server process, killed on drop.
struct Prometheus {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    fn start(bin: &std::path::Path, target: std::net::SocketAddr) -> Prometheus {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: plumb\n    static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .unwrap();
        let port = support::free_port();
        let child = Command::new(bin)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("prometheus.log")).unwrap())
            .spawn()
            .expect("prometheus starts");
        Prometheus {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        }
    }

    /// The result vector of an instant query.
    fn query(&self, promql: &str) -> Vec<serde_json::Value> {
        let client = reqwest::blocking::Client::new();
        let Ok(response) = client
            .get(format!("{}/api/v1/query", self.url))
            .query(&[("query", promql)])
            .send()
        else {
            return Vec::new();
        };
        let Ok(json) = response.json::<serde_json::Value>() else {
            return Vec::new();
        };
        json["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

#[test]
fn prometheus_scrapes_plumb_metrics() {
    let Some(bin) = prometheus_bin() else {
        support::skip(support::Service::Prometheus, "no Prometheus (scripts/test installs Debian's prometheus and sets PLUMB_TEST_PROMETHEUS)");
        return;
    };
    let repo = TestRepo::with_demo_app();
    let (dir, config) = agent_config(repo.path(), "");
    let daemon = Daemon::start(&config, &[]).owning(dir);
    let prometheus = Prometheus::start(&bin, daemon.addr);

    let up = support::wait_until(
        Duration::from_secs(60),
        "Prometheus to scrape plumb",
        || {
            prometheus
                .query("up{job=\"plumb\"}")
                .into_iter()
                .find(|s| s["value"][1] == "1")
        },
    );
    assert_eq!(up["metric"]["instance"], daemon.addr.to_string());

    let info = support::wait_until(Duration::from_secs(30), "plumb_build_info", || {
        prometheus.query("plumb_build_info").into_iter().next()
    });
    assert_eq!(info["metric"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(info["metric"]["commit"]
        .as_str()
        .is_some_and(|c| !c.is_empty()));
    assert_eq!(info["value"][1], "1");

    // The app's reconcile counter arrives with its app and result labels;
    // the one reconcile so far failed (no cluster in this test).
    let series = support::wait_until(Duration::from_secs(30), "plumb_reconcile_total", || {
        let series = prometheus.query("plumb_reconcile_total{app=\"demo\"}");
        let failed = series
            .iter()
            .any(|s| s["metric"]["result"] == "failure" && s["value"][1] == "1");
        failed.then_some(series)
    });
    let mut results: Vec<_> = series
        .iter()
        .map(|s| s["metric"]["result"].as_str().unwrap().to_string())
        .collect();
    results.sort();
    assert_eq!(results, ["failure", "success"]);
    assert!(!prometheus
        .query("process_resident_memory_bytes{job=\"plumb\"}")
        .is_empty());
}
