//! `plumb run`: the long-running agent. This module wires the tasks: the
//! HTTP server, the cluster and Docker probes ([`probe`]), the source
//! follower (whose events [`record`] writes into status and metrics), the
//! dispatcher and one queue per app ([`queue`]), each running one app's
//! lifecycle ([`app`]). Stages live elsewhere; the daemon only decides when
//! they run.
//!
//! # Guarantees
//! - A burst of triggers for one app is one reconcile of the newest revision:
//!   each app's queue is a `watch` channel, which keeps only the last value.
//! - An unreachable cluster or Docker Engine never stops the daemon: it is
//!   retried with capped exponential backoff and logged once per outage.
//! - A panic inside one app's reconcile is caught, logged and shown in
//!   status; that app keeps being reconciled and the others never notice.
//! - Shutdown (SIGINT/SIGTERM) cancels every task and timer; an in-flight
//!   reconcile is abandoned between stages, and the HTTP server finishes
//!   open requests.

mod app;
mod probe;
mod queue;
mod record;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::cluster::apply::Cluster;
use crate::cluster::client as kube_client;
use crate::config::Config;
use crate::http::{self, HttpState};
use crate::manifest::AppSpec;
use crate::metrics::Metrics;
use crate::source::follow::{self, FollowCtx};
use crate::status::StatusHandle;

/// Errors that stop `plumb run` from starting. Once running, nothing stops it
/// but a signal.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The HTTP listener could not be bound.
    #[error(transparent)]
    Http(#[from] http::HttpError),
    /// The kubeconfig named in the agent config is unusable.
    #[error("{config}: `cluster.kubeconfig`")]
    Kubeconfig {
        config: String,
        #[source]
        source: kube_client::ClientError,
    },
}

/// Why an app is being reconciled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerReason {
    /// The source moved to a new revision.
    NewRevision,
    /// The periodic reconcile interval elapsed.
    Interval,
    /// `plumb sync` asked.
    Sync,
    /// The Kubernetes API answered again after not answering.
    ClusterReachable,
    /// The last reconcile failed; trying again after a backoff.
    Retry,
    /// The revision failed and the app has `rollback: true`.
    Rollback,
}

impl std::fmt::Display for TriggerReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TriggerReason::NewRevision => "new-revision",
            TriggerReason::Interval => "interval",
            TriggerReason::Sync => "sync",
            TriggerReason::ClusterReachable => "cluster-reachable",
            TriggerReason::Retry => "retry",
            TriggerReason::Rollback => "rollback",
        })
    }
}

/// A request to reconcile an app at a revision. Only the newest one queued
/// for an app is acted on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    /// Full commit id.
    pub revision: String,
    /// The app's spec at that revision.
    pub app: AppSpec,
    /// Why.
    pub reason: TriggerReason,
    /// Run the app's hooks even if its desired state is unchanged
    /// (`plumb sync --force-hooks APP`).
    pub force_hooks: bool,
    /// Increases with every trigger, so that an identical re-trigger (the
    /// interval) still wakes the queue.
    pub seq: u64,
}

/// The shared context of every task: built once, handed out as `Arc`.
pub struct Ctx {
    /// The agent config.
    pub config: Config,
    /// Every metric family (and the live health board behind the gauges).
    pub metrics: Arc<Metrics>,
    /// The status every task writes to and HTTP reads.
    pub status: StatusHandle,
    /// The cluster client, once the API server has answered; owned by the
    /// cluster probe, read by every reconcile.
    pub cluster: watch::Sender<Option<Cluster>>,
    /// The Docker Engine client, once the engine has answered; owned by the
    /// Docker probe, read by reconciles that build images.
    pub docker: watch::Sender<Option<bollard::Docker>>,
}

/// A started daemon: its address and a way to stop it.
pub struct RunningDaemon {
    /// The address the HTTP server listens on (useful with port 0).
    pub local_addr: SocketAddr,
    /// The shared context (tests read status and metrics through it).
    pub ctx: Arc<Ctx>,
    cancel: CancellationToken,
    tasks: JoinSet<()>,
}

impl RunningDaemon {
    /// Cancels every task and waits for them; the HTTP server finishes open
    /// requests first.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        while self.tasks.join_next().await.is_some() {}
    }
}

/// Starts every task of the daemon and returns once the HTTP server listens.
///
/// # Errors
/// [`DaemonError`] when the listen address cannot be bound or an explicitly
/// configured kubeconfig is unusable. Everything else (no cluster, no Docker,
/// a broken repo) is reported in status and retried, not returned.
pub async fn start(config: Config) -> Result<RunningDaemon, DaemonError> {
    if config.cluster.kubeconfig.is_some() {
        kube_client::kube_config(&config.cluster)
            .await
            .map_err(|source| DaemonError::Kubeconfig {
                config: config
                    .file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                source,
            })?;
    }
    let listener = http::bind(config.listen).await?;
    let local_addr = listener
        .local_addr()
        .map_err(|source| http::HttpError::Bind {
            addr: config.listen,
            hint: "check `listen` in the agent config",
            source,
        })?;
    let metrics = Arc::new(Metrics::new());
    let ctx = Arc::new(Ctx {
        config,
        status: StatusHandle::with_health(metrics.health.clone()),
        metrics,
        cluster: watch::channel(None).0,
        docker: watch::channel(None).0,
    });
    let cancel = CancellationToken::new();
    let mut tasks = JoinSet::new();

    let (kick_tx, kick_rx) = mpsc::channel(16);
    let (update_tx, update_rx) = mpsc::channel(4);
    let state = HttpState::new(
        ctx.metrics.clone(),
        ctx.status.clone(),
        kick_tx,
        ctx.config.source.webhook_secret_file.clone(),
    );
    let http_cancel = cancel.clone();
    tasks.spawn(async move {
        let shutdown = async move { http_cancel.cancelled().await };
        if let Err(e) = http::serve(listener, state, shutdown).await {
            warn!(error = %e, "HTTP server stopped");
        }
    });
    tasks.spawn(probe::probe_cluster(ctx.clone(), cancel.clone()));
    tasks.spawn(probe::probe_docker(ctx.clone(), cancel.clone()));
    let follow_ctx = FollowCtx {
        source: ctx.config.source.clone(),
        state_dir: ctx.config.state_dir.clone(),
        observer: Arc::new(record::SourceRecorder::new(
            ctx.metrics.clone(),
            ctx.status.clone(),
        )),
    };
    tasks.spawn(follow::follow(
        follow_ctx,
        kick_rx,
        update_tx,
        cancel.clone(),
    ));
    tasks.spawn(queue::dispatch(ctx.clone(), update_rx, cancel.clone()));

    info!(listen = %local_addr, repo = %ctx.config.source.repo, branch = %ctx.config.source.branch, "plumb started");
    Ok(RunningDaemon {
        local_addr,
        ctx,
        cancel,
        tasks,
    })
}

/// Sleeps for `d` unless cancelled first; returns false when cancelled.
async fn sleep_or_cancel(d: Duration, cancel: &CancellationToken) -> bool {
    tokio::select! {
        _ = cancel.cancelled() => false,
        _ = tokio::time::sleep(d) => true,
    }
}
