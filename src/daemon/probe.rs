//! The cluster and Docker probes: each dependency is checked at start, every
//! 30 s while it answers and with capped exponential backoff while it does
//! not; each outage is logged once when it starts and once when it ends,
//! and its gauge and status stay true.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::{sleep_or_cancel, Ctx};
use crate::backoff::Backoff;
use crate::build::docker;
use crate::cluster::apply::Cluster;
use crate::cluster::client as kube_client;
use crate::error_chain;
use crate::metrics::Metrics;
use crate::status::rfc3339;

/// How often a reachable dependency is checked again.
const HEALTHY_RECHECK: Duration = Duration::from_secs(30);

/// A dependency the daemon keeps probing: where its gauge and status live
/// and how its logs read.
#[derive(Debug, Clone, Copy)]
enum Dependency {
    Cluster,
    Docker,
}

impl Dependency {
    fn gauge(self, metrics: &Metrics) -> &prometheus::IntGauge {
        match self {
            Dependency::Cluster => &metrics.cluster_up,
            Dependency::Docker => &metrics.docker_up,
        }
    }

    fn status(self, status: &mut crate::status::Status) -> &mut crate::status::Reachability {
        match self {
            Dependency::Cluster => &mut status.cluster,
            Dependency::Docker => &mut status.docker,
        }
    }

    fn log_up(self, endpoint: &str, version: &str) {
        match self {
            Dependency::Cluster => info!(endpoint, version, "Kubernetes API reachable"),
            Dependency::Docker => info!(endpoint, version, "Docker Engine reachable"),
        }
    }

    fn log_down(self, first: bool, error: &str) {
        match (self, first) {
            (Dependency::Cluster, true) => {
                warn!(
                    error,
                    "Kubernetes API not reachable; plumb keeps running and retries"
                )
            }
            (Dependency::Docker, true) => {
                warn!(
                    error,
                    "Docker Engine not reachable; image builds wait for it"
                )
            }
            (Dependency::Cluster, false) => debug!(error, "Kubernetes API still not reachable"),
            (Dependency::Docker, false) => debug!(error, "Docker Engine still not reachable"),
        }
    }
}

/// What a successful probe found.
struct Answer<T> {
    endpoint: String,
    version: String,
    client: T,
}

/// Keeps a dependency's gauge and status true: runs `attempt`, then again
/// every 30 s while it answers and with capped exponential backoff while it
/// does not, logging each outage once. `on_up` gets the client each time the
/// dependency comes (back) up.
async fn probe<T, E, F, Fut>(
    ctx: Arc<Ctx>,
    cancel: CancellationToken,
    dependency: Dependency,
    mut attempt: F,
    mut on_up: impl FnMut(T),
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Answer<T>, E>>,
    E: std::error::Error,
{
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
    let mut was_up: Option<bool> = None;
    loop {
        let outcome = tokio::select! {
            _ = cancel.cancelled() => return,
            outcome = attempt() => outcome,
        };
        let now = rfc3339(SystemTime::now());
        let delay = match outcome {
            Ok(answer) => {
                if was_up != Some(true) {
                    dependency.log_up(&answer.endpoint, &answer.version);
                    on_up(answer.client);
                }
                was_up = Some(true);
                dependency.gauge(&ctx.metrics).set(1);
                ctx.status.update(|s| {
                    let r = dependency.status(s);
                    r.up = true;
                    r.reached = true;
                    r.endpoint = Some(answer.endpoint);
                    r.version = Some(answer.version);
                    r.checked_at = Some(now);
                    r.error = None;
                });
                backoff.reset();
                HEALTHY_RECHECK
            }
            Err(error) => {
                let text = error_chain(&error);
                dependency.log_down(was_up != Some(false), &text);
                was_up = Some(false);
                dependency.gauge(&ctx.metrics).set(0);
                ctx.status.update(|s| {
                    let r = dependency.status(s);
                    r.up = false;
                    r.checked_at = Some(now);
                    r.error = Some(text);
                });
                backoff.next_delay()
            }
        };
        if !sleep_or_cancel(delay, &cancel).await {
            return;
        }
    }
}

/// Probes the Kubernetes API and hands every reconcile a fresh client after
/// each outage (the kubeconfig may have changed: `minikube start` rewrites it).
pub(super) async fn probe_cluster(ctx: Arc<Ctx>, cancel: CancellationToken) {
    let cluster_config = ctx.config.cluster.clone();
    let (metrics, clusters) = (ctx.metrics.clone(), ctx.clone());
    let attempt = move || {
        let cluster_config = cluster_config.clone();
        async move {
            let c = kube_client::connect(&cluster_config).await?;
            Ok::<_, kube_client::ClientError>(Answer {
                endpoint: c.url,
                version: c.version.clone(),
                client: (c.client, c.version),
            })
        }
    };
    let on_up = move |(client, version): (kube::Client, String)| {
        clusters.cluster.send_replace(Some(
            Cluster::new(client, metrics.kube_requests_total.clone()).with_version(version),
        ));
    };
    probe(ctx, cancel, Dependency::Cluster, attempt, on_up).await;
}

/// Probes the Docker Engine (image builds need it).
pub(super) async fn probe_docker(ctx: Arc<Ctx>, cancel: CancellationToken) {
    let inputs = docker::EndpointInputs::from_config(&ctx.config.docker);
    let attempt = move || {
        let inputs = inputs.clone();
        async move {
            let endpoint = docker::resolve_endpoint(&inputs, &|p| std::fs::read_to_string(p))?;
            let client = docker::connect(&endpoint)?;
            let version = docker::ping(&client, &endpoint).await?;
            Ok::<_, docker::DockerError>(Answer {
                endpoint: endpoint.to_string(),
                version,
                client,
            })
        }
    };
    let engines = ctx.clone();
    let on_up = move |client: bollard::Docker| {
        engines.docker.send_replace(Some(client));
    };
    probe(ctx, cancel, Dependency::Docker, attempt, on_up).await;
}
