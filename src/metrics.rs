//! Every Prometheus metric family plumb exports, defined in one place.
//!
//! Names follow Prometheus conventions: `plumb_` prefix, base units
//! (`_seconds`, `_bytes`), `_total` for counters. Labels are bounded: app,
//! result, component; never a revision or error text, which would make a new
//! series per commit or per message.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{
    Encoder, Gauge, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::cluster::health::HealthStatus;
use crate::cluster::live::LiveHealth;

/// Outcome of one reconcile, as a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReconcileResult {
    /// Every stage finished; the app is at the revision.
    Success,
    /// A stage failed; the app keeps its last good state.
    Failure,
}

impl ReconcileResult {
    /// Every value, so that series can be created at zero when an app appears.
    pub const ALL: [ReconcileResult; 2] = [ReconcileResult::Success, ReconcileResult::Failure];

    /// The stable label value.
    pub fn as_str(self) -> &'static str {
        match self {
            ReconcileResult::Success => "success",
            ReconcileResult::Failure => "failure",
        }
    }
}

impl std::fmt::Display for ReconcileResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// All metric families, registered once in [`Metrics::registry`].
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// `plumb_build_info{version,commit}`: always 1; joins other series to a build.
    pub build_info: IntGaugeVec,
    /// `plumb_cluster_up`: 1 when the last call to the Kubernetes API succeeded.
    pub cluster_up: IntGauge,
    /// `plumb_docker_up`: 1 when the last call to the Docker Engine succeeded.
    pub docker_up: IntGauge,
    /// `plumb_reconcile_total{app,result}`: finished reconciles.
    pub reconcile_total: IntCounterVec,
    /// `plumb_reconcile_duration_seconds{app}`: wall time of one reconcile.
    pub reconcile_duration: HistogramVec,
    /// `plumb_last_reconcile_timestamp_seconds{app}`: when the last reconcile ended.
    pub last_reconcile_timestamp: GaugeVec,
    /// `plumb_source_revision_info{revision}`: 1 for the revision in force
    /// (one series at a time: reset on every change).
    pub source_revision_info: IntGaugeVec,
    /// `plumb_source_fetch_total{result}`: looks at the source, by
    /// `changed`, `unchanged` or `failed`.
    pub source_fetch_total: IntCounterVec,
    /// `plumb_source_fetch_duration_seconds`: one fetch (remote) or ref read (local).
    pub source_fetch_duration: Histogram,
    /// `plumb_source_last_change_timestamp_seconds`: when a new revision was last seen.
    pub source_last_change_timestamp: Gauge,
    /// `plumb_webhook_requests_total{result}`: POST /hooks/git by outcome.
    pub webhook_requests_total: IntCounterVec,
    /// `plumb_kube_requests_total{verb,code}`: calls to the Kubernetes API.
    pub kube_requests_total: IntCounterVec,
    /// `plumb_apply_objects_total{app,action}`: objects by what a reconcile
    /// did to them (created, configured, unchanged, replaced, pruned).
    pub apply_objects_total: IntCounterVec,
    /// The live health board behind `plumb_resource_health` and
    /// `plumb_app_health`, which a collector computes at scrape time so the
    /// gauges can never drift from what the watches see.
    pub health: LiveHealth,
    /// `plumb_reconcile_stage_duration_seconds{app,stage}`: render, apply, wait, prune.
    pub stage_duration: HistogramVec,
    /// `plumb_drift_corrections_total{app,kind,manager}`: objects put back.
    pub drift_corrections_total: IntCounterVec,
    /// `plumb_chart_loads_total{app,result}`: chart apps' charts read and
    /// parsed (`loaded`) or taken from the app's cache by git tree
    /// (`reused`).
    pub chart_loads_total: IntCounterVec,
    /// `plumb_chart_renders_total{app,result}`: chart apps' templates
    /// rendered (`rendered`) or their output reused because nothing the
    /// render reads changed (`reused`).
    pub chart_renders_total: IntCounterVec,
    /// `plumb_image_builds_total{app,image,result}`: images checked by the
    /// build stage, `built`, `cached` (the tag existed) or `failed`.
    pub image_builds_total: IntCounterVec,
    /// `plumb_image_build_duration_seconds{image}`: the check, and the build
    /// when there was one.
    pub image_build_duration: HistogramVec,
    /// `plumb_image_context_bytes{image}`: the context's size after
    /// `.dockerignore`, at the last check.
    pub image_context_bytes: prometheus::IntGaugeVec,
}

impl Metrics {
    /// Creates and registers every family, including the process collector
    /// (RSS, CPU, open fds, start time) on Linux.
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let build_info = IntGaugeVec::new(
            Opts::new(
                "plumb_build_info",
                "Build of the running plumb; the value is always 1.",
            ),
            &["version", "commit"],
        )
        .expect("static metric definition is valid");
        build_info
            .with_label_values(&[crate::VERSION, crate::GIT_COMMIT])
            .set(1);
        let cluster_up = IntGauge::new(
            "plumb_cluster_up",
            "1 if the last call to the Kubernetes API server succeeded, else 0.",
        )
        .expect("static metric definition is valid");
        let docker_up = IntGauge::new(
            "plumb_docker_up",
            "1 if the last call to the Docker Engine succeeded, else 0.",
        )
        .expect("static metric definition is valid");
        let reconcile_total = IntCounterVec::new(
            Opts::new(
                "plumb_reconcile_total",
                "Finished reconciles by app and result.",
            ),
            &["app", "result"],
        )
        .expect("static metric definition is valid");
        let reconcile_duration = HistogramVec::new(
            HistogramOpts::new(
                "plumb_reconcile_duration_seconds",
                "Wall time of one reconcile of one app.",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
                300.0,
            ]),
            &["app"],
        )
        .expect("static metric definition is valid");
        let last_reconcile_timestamp = GaugeVec::new(
            Opts::new(
                "plumb_last_reconcile_timestamp_seconds",
                "Unix time at which the last reconcile of the app ended.",
            ),
            &["app"],
        )
        .expect("static metric definition is valid");

        let source_revision_info = IntGaugeVec::new(
            Opts::new(
                "plumb_source_revision_info",
                "The source revision in force; the value is always 1.",
            ),
            &["revision"],
        )
        .expect("static metric definition is valid");
        let source_fetch_total = IntCounterVec::new(
            Opts::new(
                "plumb_source_fetch_total",
                "Looks at the source (remote fetch or local ref read) by result: changed, unchanged, failed.",
            ),
            &["result"],
        )
        .expect("static metric definition is valid");
        for result in ["changed", "unchanged", "failed"] {
            source_fetch_total.with_label_values(&[result]);
        }
        let source_fetch_duration = Histogram::with_opts(
            HistogramOpts::new(
                "plumb_source_fetch_duration_seconds",
                "Wall time of one look at the source, including a remote fetch.",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                10.0, 30.0, 60.0,
            ]),
        )
        .expect("static metric definition is valid");
        let source_last_change_timestamp = Gauge::new(
            "plumb_source_last_change_timestamp_seconds",
            "Unix time at which plumb last saw a new source revision.",
        )
        .expect("static metric definition is valid");
        let webhook_requests_total = IntCounterVec::new(
            Opts::new(
                "plumb_webhook_requests_total",
                "POST /hooks/git requests by result: accepted, ignored, unauthorized, bad_request, replayed, rate_limited, disabled.",
            ),
            &["result"],
        )
        .expect("static metric definition is valid");

        let kube_requests_total = IntCounterVec::new(
            Opts::new(
                "plumb_kube_requests_total",
                "Calls to the Kubernetes API by verb and HTTP code.",
            ),
            &["verb", "code"],
        )
        .expect("static metric definition is valid");
        let apply_objects_total = IntCounterVec::new(
            Opts::new(
                "plumb_apply_objects_total",
                "Objects by what a reconcile did to them: created, configured, unchanged, replaced, pruned.",
            ),
            &["app", "action"],
        )
        .expect("static metric definition is valid");
        let health = LiveHealth::new();
        let stage_duration = HistogramVec::new(
            HistogramOpts::new(
                "plumb_reconcile_stage_duration_seconds",
                "Wall time of one stage of a reconcile: render, apply, wait, prune.",
            )
            .buckets(vec![
                0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
                300.0,
            ]),
            &["app", "stage"],
        )
        .expect("static metric definition is valid");

        let drift_corrections_total = IntCounterVec::new(
            Opts::new(
                "plumb_drift_corrections_total",
                "Managed objects put back after a change outside plumb, by the manager that changed them.",
            ),
            &["app", "kind", "manager"],
        )
        .expect("static metric definition is valid");

        let chart_loads_total = IntCounterVec::new(
            Opts::new(
                "plumb_chart_loads_total",
                "Chart apps' charts read and parsed (loaded) or taken from the app's cache (reused).",
            ),
            &["app", "result"],
        )
        .expect("static metric definition is valid");
        let chart_renders_total = IntCounterVec::new(
            Opts::new(
                "plumb_chart_renders_total",
                "Chart apps' templates rendered (rendered) or their output reused because no input changed (reused).",
            ),
            &["app", "result"],
        )
        .expect("static metric definition is valid");

        let image_builds_total = IntCounterVec::new(
            Opts::new(
                "plumb_image_builds_total",
                "Images checked by the build stage: built, cached (the content's tag existed) or failed.",
            ),
            &["app", "image", "result"],
        )
        .expect("static metric definition is valid");
        let image_build_duration = HistogramVec::new(
            HistogramOpts::new(
                "plumb_image_build_duration_seconds",
                "Wall time of an image's check, and of its build when it had none.",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
                300.0, 600.0,
            ]),
            &["image"],
        )
        .expect("static metric definition is valid");
        let image_context_bytes = prometheus::IntGaugeVec::new(
            Opts::new(
                "plumb_image_context_bytes",
                "Size of an image's build context after .dockerignore, at its last check.",
            ),
            &["image"],
        )
        .expect("static metric definition is valid");

        for collector in [
            Box::new(build_info.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(cluster_up.clone()),
            Box::new(docker_up.clone()),
            Box::new(reconcile_total.clone()),
            Box::new(reconcile_duration.clone()),
            Box::new(last_reconcile_timestamp.clone()),
            Box::new(source_revision_info.clone()),
            Box::new(source_fetch_total.clone()),
            Box::new(source_fetch_duration.clone()),
            Box::new(source_last_change_timestamp.clone()),
            Box::new(webhook_requests_total.clone()),
            Box::new(kube_requests_total.clone()),
            Box::new(apply_objects_total.clone()),
            Box::new(HealthCollector::new(health.clone())),
            Box::new(stage_duration.clone()),
            Box::new(drift_corrections_total.clone()),
            Box::new(chart_loads_total.clone()),
            Box::new(chart_renders_total.clone()),
            Box::new(image_builds_total.clone()),
            Box::new(image_build_duration.clone()),
            Box::new(image_context_bytes.clone()),
        ] {
            registry
                .register(collector)
                .expect("each family is registered once");
        }
        #[cfg(target_os = "linux")]
        registry
            .register(Box::new(
                prometheus::process_collector::ProcessCollector::for_self(),
            ))
            .expect("the process collector is registered once");

        Metrics {
            registry,
            build_info,
            cluster_up,
            docker_up,
            reconcile_total,
            reconcile_duration,
            last_reconcile_timestamp,
            source_revision_info,
            source_fetch_total,
            source_fetch_duration,
            source_last_change_timestamp,
            webhook_requests_total,
            kube_requests_total,
            apply_objects_total,
            health,
            stage_duration,
            drift_corrections_total,
            chart_loads_total,
            chart_renders_total,
            image_builds_total,
            image_build_duration,
            image_context_bytes,
        }
    }

    /// Creates the series of a newly seen app at zero, so that rate() and
    /// absent() work from its first scrape instead of its first reconcile.
    pub fn register_app(&self, app: &str) {
        for result in ReconcileResult::ALL {
            self.reconcile_total
                .with_label_values(&[app, result.as_str()]);
        }
    }

    /// Records what a chart app's render did (loaded or reused, rendered
    /// or reused).
    pub fn observe_chart(&self, app: &str, used: crate::render::ChartUse) {
        self.chart_loads_total
            .with_label_values(&[app, used.load.load_label()])
            .inc();
        self.chart_renders_total
            .with_label_values(&[app, used.render.render_label()])
            .inc();
    }

    /// Records one finished reconcile.
    pub fn observe_reconcile(&self, app: &str, result: ReconcileResult, took: Duration) {
        self.reconcile_total
            .with_label_values(&[app, result.as_str()])
            .inc();
        self.reconcile_duration
            .with_label_values(&[app])
            .observe(took.as_secs_f64());
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        self.last_reconcile_timestamp
            .with_label_values(&[app])
            .set(now);
    }

    /// Renders every family in the Prometheus text exposition format.
    pub fn encode(&self) -> String {
        let families = self.registry.gather();
        let mut out = Vec::with_capacity(8 * 1024);
        // Encoding into a Vec cannot fail for valid families.
        if let Err(e) = TextEncoder::new().encode(&families, &mut out) {
            tracing::error!(error = %e, "failed to encode metrics");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

/// `plumb_resource_health{app,kind,namespace,name,status}` (1 for the
/// status each managed object is in) and `plumb_app_health{app,status}` (1
/// for the app's worst status), computed from the live board at scrape
/// time, the way Linkerd's policy index exports its state.
struct HealthCollector {
    live: LiveHealth,
    descs: Vec<Desc>,
}

impl HealthCollector {
    fn new(live: LiveHealth) -> HealthCollector {
        let (resource, app) = HealthCollector::families();
        let descs = resource
            .desc()
            .into_iter()
            .chain(app.desc())
            .cloned()
            .collect();
        HealthCollector { live, descs }
    }

    fn families() -> (IntGaugeVec, IntGaugeVec) {
        let resource = IntGaugeVec::new(
            Opts::new(
                "plumb_resource_health",
                "1 for the health status each managed object is in.",
            ),
            &["app", "kind", "namespace", "name", "status"],
        )
        .expect("static metric definition is valid");
        let app = IntGaugeVec::new(
            Opts::new(
                "plumb_app_health",
                "1 for the app's health: the worst of its objects.",
            ),
            &["app", "status"],
        )
        .expect("static metric definition is valid");
        (resource, app)
    }
}

impl Collector for HealthCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let (resource, app) = HealthCollector::families();
        for (name, worst, objects) in self.live.all() {
            for status in HealthStatus::ALL {
                app.with_label_values(&[name.as_str(), status.as_str()])
                    .set(i64::from(status == worst));
            }
            for (object, health) in objects {
                resource
                    .with_label_values(&[
                        name.as_str(),
                        object.kind.as_str(),
                        object.namespace.as_str(),
                        object.name.as_str(),
                        health.status.as_str(),
                    ])
                    .set(1);
            }
        }
        let mut families = resource.collect();
        families.extend(app.collect());
        families
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_info_carries_version_and_commit() {
        let text = Metrics::new().encode();
        let line = text
            .lines()
            .find(|l| l.starts_with("plumb_build_info{"))
            .expect("build info is exported");
        assert!(
            line.contains(&format!("version=\"{}\"", crate::VERSION)),
            "{line}"
        );
        assert!(line.ends_with(" 1"), "{line}");
    }

    #[test]
    fn registered_app_has_zero_series_for_each_result() {
        let m = Metrics::new();
        m.register_app("pakaura");
        let text = m.encode();
        assert!(text.contains("plumb_reconcile_total{app=\"pakaura\",result=\"success\"} 0"));
        assert!(text.contains("plumb_reconcile_total{app=\"pakaura\",result=\"failure\"} 0"));
    }

    #[test]
    fn observed_reconcile_counts_and_times() {
        let m = Metrics::new();
        m.observe_reconcile("api", ReconcileResult::Failure, Duration::from_millis(30));
        let text = m.encode();
        assert!(text.contains("plumb_reconcile_total{app=\"api\",result=\"failure\"} 1"));
        assert!(text.contains("plumb_reconcile_duration_seconds_count{app=\"api\"} 1"));
        assert!(text.contains("plumb_last_reconcile_timestamp_seconds{app=\"api\"}"));
    }

    #[test]
    fn health_gauges_are_read_from_the_live_board_at_scrape_time() {
        use crate::cluster::health::Health;
        use crate::object::ObjRef;
        let m = Metrics::new();
        let api = ObjRef::new("apps/v1", "Deployment", "p", "api");
        m.health
            .set_managed("p", vec![(api.clone(), Health::missing())]);
        let text = m.encode();
        assert!(
            text.contains("plumb_resource_health{app=\"p\",kind=\"Deployment\",name=\"api\",namespace=\"p\",status=\"Unknown\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("plumb_app_health{app=\"p\",status=\"Unknown\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("plumb_app_health{app=\"p\",status=\"Healthy\"} 0"),
            "{text}"
        );
        let ready = serde_json::json!({"metadata": {"generation": 1}, "spec": {"replicas": 1},
            "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1}});
        m.health.observe("p", &api, Some(&ready));
        let text = m.encode();
        assert!(
            text.contains("plumb_app_health{app=\"p\",status=\"Healthy\"} 1"),
            "{text}"
        );
        assert!(
            !text.contains("status=\"Unknown\"} 1"),
            "the old series is gone: {text}"
        );
    }

    #[test]
    fn chart_renders_count_by_what_was_reused() {
        use crate::render::{CacheUse, ChartUse};
        let m = Metrics::new();
        m.observe_chart(
            "p",
            ChartUse {
                load: CacheUse::Fresh,
                render: CacheUse::Fresh,
            },
        );
        m.observe_chart(
            "p",
            ChartUse {
                load: CacheUse::Reused,
                render: CacheUse::Reused,
            },
        );
        let text = m.encode();
        for series in [
            "plumb_chart_loads_total{app=\"p\",result=\"loaded\"} 1",
            "plumb_chart_loads_total{app=\"p\",result=\"reused\"} 1",
            "plumb_chart_renders_total{app=\"p\",result=\"rendered\"} 1",
            "plumb_chart_renders_total{app=\"p\",result=\"reused\"} 1",
        ] {
            assert!(text.contains(series), "{series} in {text}");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn process_metrics_are_exported() {
        let text = Metrics::new().encode();
        assert!(text.contains("process_resident_memory_bytes"), "{text}");
        assert!(text.contains("process_start_time_seconds"));
        assert!(text.contains("process_open_fds"));
    }
}
