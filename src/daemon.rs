//! `plumb run`: the long-running agent. It owns the tasks and their wiring:
//! the HTTP server, the cluster and Docker probes, the source follower and
//! one queue task per app. Stages live elsewhere; this module only decides
//! when they run.
//!
//! # Guarantees
//! - A burst of triggers for one app is one reconcile of the newest revision:
//!   each app's queue is a `watch` channel, which keeps only the last value.
//! - An unreachable cluster or Docker Engine never stops the daemon: it is
//!   retried with capped exponential backoff and logged once per outage.
//! - Shutdown (SIGINT/SIGTERM) cancels every task; an in-flight reconcile is
//!   abandoned between stages, and the HTTP server finishes open requests.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::build::docker;
use crate::cluster::apply::Cluster;
use crate::cluster::client as kube_client;
use crate::cluster::drift::DriftBackoff;
use crate::cluster::engine;
use crate::cluster::engine::{Action, SyncReport};
use crate::cluster::health::HealthStatus;
use crate::cluster::inventory::ObjRef;
use crate::cluster::watch::{DriftWatch, Seen};
use crate::config::Config;
use crate::error_chain;
use crate::http::{self, HttpState};
use crate::manifest::{AppSpec, RepoManifest};
use crate::metrics::{Metrics, ReconcileResult};
use crate::reconcile::{self, ReconcileCtx};
use crate::source::follow::{self, FollowCtx, SourceUpdate, UpdateReason};
use crate::source::short_id;
use crate::status::{rfc3339, ReconcileStatus, ResourceStatus, StatusHandle};

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
    /// Increases with every trigger, so that an identical re-trigger (the
    /// interval) still wakes the queue.
    pub seq: u64,
}

/// Exponential backoff with a cap and ±10 % jitter, for retrying dependencies.
#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    /// Starts at `min`, doubles per failure up to `max`.
    pub fn new(min: Duration, max: Duration) -> Backoff {
        Backoff {
            min,
            max,
            next: min,
        }
    }

    /// The delay before the next try, before jitter; then doubles it.
    pub fn next_base(&mut self) -> Duration {
        let current = self.next;
        self.next = (self.next * 2).min(self.max);
        current
    }

    /// The delay before the next try, with ±10 % jitter so that many
    /// agents do not retry in lockstep.
    pub fn next_delay(&mut self) -> Duration {
        jitter(self.next_base())
    }

    /// Back to the shortest delay after a success.
    pub fn reset(&mut self) {
        self.next = self.min;
    }
}

/// `d` ±10 %.
pub fn jitter(d: Duration) -> Duration {
    let factor = 0.9 + rand::random::<f64>() * 0.2;
    d.mul_f64(factor)
}

/// The shared context of every task: built once, handed out as `Arc`.
pub struct Ctx {
    /// The agent config.
    pub config: Config,
    /// Every metric family.
    pub metrics: Arc<Metrics>,
    /// The status every task writes to and HTTP reads.
    pub status: StatusHandle,
    /// The cluster client, once the API server has answered; owned by the
    /// cluster probe, read by every reconcile.
    pub cluster: watch::Sender<Option<Cluster>>,
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
    let ctx = Arc::new(Ctx {
        config,
        metrics: Arc::new(Metrics::new()),
        status: StatusHandle::new(),
        cluster: watch::channel(None).0,
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
    tasks.spawn(probe_cluster(ctx.clone(), cancel.clone()));
    tasks.spawn(probe_docker(ctx.clone(), cancel.clone()));
    let follow_ctx = FollowCtx {
        source: ctx.config.source.clone(),
        state_dir: ctx.config.state_dir.clone(),
        metrics: ctx.metrics.clone(),
        status: ctx.status.clone(),
    };
    tasks.spawn(follow::follow(
        follow_ctx,
        kick_rx,
        update_tx,
        cancel.clone(),
    ));
    tasks.spawn(dispatch(ctx.clone(), update_rx, cancel.clone()));

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
async fn probe_cluster(ctx: Arc<Ctx>, cancel: CancellationToken) {
    let cluster_config = ctx.config.cluster.clone();
    let (metrics, clusters) = (ctx.metrics.clone(), ctx.clone());
    let attempt = move || {
        let cluster_config = cluster_config.clone();
        async move {
            let c = kube_client::connect(&cluster_config).await?;
            Ok::<_, kube_client::ClientError>(Answer {
                endpoint: c.url,
                version: c.version,
                client: c.client,
            })
        }
    };
    let on_up = move |client| {
        clusters
            .cluster
            .send_replace(Some(Cluster::new(client, metrics.clone())));
    };
    probe(ctx, cancel, Dependency::Cluster, attempt, on_up).await;
}

/// Probes the Docker Engine (image builds need it).
async fn probe_docker(ctx: Arc<Ctx>, cancel: CancellationToken) {
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
                client: (),
            })
        }
    };
    probe(ctx, cancel, Dependency::Docker, attempt, |()| {}).await;
}

/// Hands every source update to the app queues: starts a queue for each new
/// app, triggers the apps the update concerns, and re-triggers every app each
/// `reconcile_interval`.
async fn dispatch(
    ctx: Arc<Ctx>,
    mut updates: mpsc::Receiver<SourceUpdate>,
    cancel: CancellationToken,
) {
    let mut queues: HashMap<String, Arc<watch::Sender<Option<Trigger>>>> = HashMap::new();
    let mut app_tasks = JoinSet::new();
    let mut good: Option<(String, RepoManifest)> = None;
    let mut seq = 0u64;
    let mut interval = tokio::time::interval(ctx.config.reconcile_interval);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is immediate; the first revision triggers first.
    interval.tick().await;

    // Let the cluster probe answer once before the first reconcile, so a
    // start beside a healthy cluster does not begin with "not reachable".
    let mut status_rx = ctx.status.subscribe();
    let first_probe = status_rx.wait_for(|s| s.cluster.checked_at.is_some());
    tokio::select! {
        _ = cancel.cancelled() => return,
        _ = tokio::time::timeout(Duration::from_secs(10), first_probe) => {}
    }
    let mut cluster_rx = ctx.cluster.subscribe();
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            // The cluster became reachable (at start, or after an outage):
            // everything that failed for want of it goes again now.
            Ok(()) = cluster_rx.changed() => {
                let reachable = cluster_rx.borrow_and_update().is_some();
                if let (true, Some((revision, manifest))) = (reachable, &good) {
                    seq += 1;
                    trigger_all(&queues, revision, manifest, TriggerReason::ClusterReachable, None, seq);
                }
            }
            update = updates.recv() => {
                let Some(update) = update else { break };
                for app in &update.manifest.apps {
                    if !queues.contains_key(&app.name) {
                        let (tx, rx) = watch::channel(None);
                        let tx = Arc::new(tx);
                        ctx.metrics.register_app(&app.name);
                        ctx.status.update_app(&app.name, |_| {});
                        app_tasks.spawn(app_queue(ctx.clone(), app.name.clone(), rx, tx.clone(), cancel.clone()));
                        queues.insert(app.name.clone(), tx);
                    }
                }
                seq += 1;
                let (reason, only) = match &update.reason {
                    UpdateReason::NewRevision => (TriggerReason::NewRevision, None),
                    UpdateReason::Sync { app } => (TriggerReason::Sync, app.as_deref()),
                };
                trigger_all(&queues, &update.revision.id, &update.manifest, reason, only, seq);
                good = Some((update.revision.id, update.manifest));
            }
            _ = interval.tick() => {
                if let Some((revision, manifest)) = &good {
                    seq += 1;
                    trigger_all(&queues, revision, manifest, TriggerReason::Interval, None, seq);
                }
            }
        }
    }
    drop(queues);
    while app_tasks.join_next().await.is_some() {}
}

fn trigger_all(
    queues: &HashMap<String, Arc<watch::Sender<Option<Trigger>>>>,
    revision: &str,
    manifest: &RepoManifest,
    reason: TriggerReason,
    only: Option<&str>,
    seq: u64,
) {
    for app in manifest
        .apps
        .iter()
        .filter(|a| only.is_none_or(|name| a.name == name))
    {
        if let Some(tx) = queues.get(&app.name) {
            tx.send_replace(Some(Trigger {
                revision: revision.to_string(),
                app: app.clone(),
                reason,
                seq,
            }));
        }
    }
}

/// The work an app's task does; one implementation runs the real stages,
/// the tests have another that records what it was asked.
trait Worker {
    /// A full reconcile at the trigger's revision.
    fn reconcile(&mut self, trigger: Trigger) -> impl std::future::Future<Output = ()> + Send;
    /// A change seen on a managed object: correct it if it drifted.
    fn drift(&mut self, seen: Seen) -> impl std::future::Future<Output = ()> + Send;
}

/// One app's task: reconciles the newest trigger and corrects drift, one
/// thing at a time, so a correction never races a deploy of the same app.
async fn app_queue(
    ctx: Arc<Ctx>,
    name: String,
    rx: watch::Receiver<Option<Trigger>>,
    requeue: Arc<watch::Sender<Option<Trigger>>>,
    cancel: CancellationToken,
) {
    let (drift_tx, drift_rx) = mpsc::channel(1024);
    let retry_max = ctx.config.reconcile_interval;
    let mut worker = AppWorker {
        ctx,
        name,
        requeue,
        retry: Backoff::new(Duration::from_secs(5), retry_max),
        last_healthy: None,
        drift_tx,
        desired: HashMap::new(),
        watch: None,
        backoff: DriftBackoff::new(),
        normalized: HashMap::new(),
        delayed: HashSet::new(),
    };
    run_queue(rx, drift_rx, cancel, &mut worker).await;
}

/// Waits for work and does it: the newest trigger (triggers that arrive
/// while a reconcile runs collapse into one, as the `watch` channel keeps
/// only the last value) or a drift signal. Cancellation abandons in-flight
/// work.
async fn run_queue<W: Worker>(
    mut rx: watch::Receiver<Option<Trigger>>,
    mut drift_rx: mpsc::Receiver<Seen>,
    cancel: CancellationToken,
    worker: &mut W,
) {
    loop {
        let trigger = tokio::select! {
            _ = cancel.cancelled() => return,
            changed = rx.changed() => {
                if changed.is_err() {
                    return;
                }
                rx.borrow_and_update().clone()
            }
            seen = drift_rx.recv() => {
                let Some(seen) = seen else { continue };
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    () = worker.drift(seen) => {}
                }
                continue;
            }
        };
        let Some(trigger) = trigger else { continue };
        let app = trigger.app.name.clone();
        debug!(app = %app, rev = %short_id(&trigger.revision), reason = %trigger.reason, "reconcile triggered");
        tokio::select! {
            _ = cancel.cancelled() => {
                info!(app = %app, "shutdown: abandoning the in-flight reconcile");
                return;
            }
            () = worker.reconcile(trigger) => {}
        }
    }
}

/// The real worker: stages, status, metrics, and the app's drift watch.
struct AppWorker {
    ctx: Arc<Ctx>,
    name: String,
    /// The app's own queue, for retrying a failed reconcile.
    requeue: Arc<watch::Sender<Option<Trigger>>>,
    /// Delay before retrying a failed reconcile: 5 s doubling up to the
    /// reconcile interval; reset by a success.
    retry: Backoff,
    /// The last revision that reconciled successfully (healthy), for rollback.
    last_healthy: Option<String>,
    drift_tx: mpsc::Sender<Seen>,
    /// What plumb last applied, by object identity: the fast path re-applies
    /// from here without rendering.
    desired: HashMap<(String, String, String, String), (ObjRef, Value)>,
    watch: Option<DriftWatch>,
    backoff: DriftBackoff,
    /// Paths the API server rewrites, per object: not drift.
    normalized: HashMap<(String, String, String, String), Vec<String>>,
    /// Objects with a delayed re-check pending (backoff), so a fight makes
    /// one timer, not one per event.
    delayed: HashSet<(String, String, String, String)>,
}

impl Worker for AppWorker {
    async fn reconcile(&mut self, trigger: Trigger) {
        let mut report = reconcile_and_record(&self.ctx, &self.name, trigger.clone()).await;
        let engine_failed = matches!(report, Some((_, false)));
        if matches!(report, Some((_, true))) {
            self.retry.reset();
            self.last_healthy = Some(trigger.revision.clone());
        }
        // `rollback: true`: a revision that failed in the cluster gives way
        // to the last one that was healthy, instead of being retried.
        let rollback_to = self
            .last_healthy
            .clone()
            .filter(|good| engine_failed && trigger.app.rollback && *good != trigger.revision);
        if let Some(good) = rollback_to {
            let failure = self
                .ctx
                .status
                .snapshot()
                .apps
                .into_iter()
                .find(|a| a.name == self.name)
                .and_then(|a| a.reconcile)
                .and_then(|r| r.error)
                .unwrap_or_default();
            warn!(app = %self.name, bad = %short_id(&trigger.revision), good = %short_id(&good), "revision failed; rolling back to the last healthy one");
            let back = Trigger {
                revision: good.clone(),
                reason: TriggerReason::Rollback,
                ..trigger.clone()
            };
            report = reconcile_and_record(&self.ctx, &self.name, back).await;
            let note = format!(
                "revision {} failed and was rolled back to {}: {failure}",
                short_id(&trigger.revision),
                short_id(&good)
            );
            self.ctx.status.update_app(&self.name, |app| {
                if let Some(r) = app.reconcile.as_mut() {
                    r.result = ReconcileResult::Failure.to_string();
                    r.error = Some(match r.error.take() {
                        Some(e) => format!("{note}; the rollback failed too: {e}"),
                        None => note,
                    });
                }
            });
        } else if engine_failed {
            // Retry a failed reconcile with backoff, unless something newer
            // has been queued by then. Only failures in the cluster (an
            // unhealthy wave, an API error) can heal by themselves; a render
            // error waits for a commit, and a missing cluster for the
            // cluster to answer.
            let delay = self.retry.next_delay();
            let requeue = self.requeue.clone();
            debug!(app = %self.name, delay_ms = delay.as_millis() as u64, "retrying the failed reconcile later");
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                requeue.send_if_modified(|current| match current {
                    Some(queued) if queued.seq == trigger.seq => {
                        queued.reason = TriggerReason::Retry;
                        true
                    }
                    _ => false,
                });
            });
        }
        if let Some((report, succeeded)) = report {
            if succeeded {
                self.desired.clear();
            }
            for object in &report.objects {
                match (&object.desired, object.action) {
                    (_, Action::Pruned) | (None, _) => {
                        self.desired.remove(&object.object.key());
                    }
                    (Some(desired), _) => {
                        let key = object.object.key();
                        if self.desired.get(&key).map(|(_, d)| d) != Some(desired) {
                            self.normalized.remove(&key);
                        }
                        self.desired
                            .insert(key, (object.object.clone(), desired.clone()));
                    }
                }
            }
            self.restart_watch().await;
        }
    }

    async fn drift(&mut self, seen: Seen) {
        let key = seen.object.key();
        let Some((object, desired)) = self.desired.get(&key).cloned() else {
            return;
        };
        let Some(cluster) = self.ctx.cluster.borrow().clone() else {
            return;
        };
        if crate::cluster::drift::ignored(&desired) {
            return;
        }
        // Backoff per object identity (Kind/namespace/name): two kinds may
        // share a name.
        let backoff_key = object.to_string();
        let wait = self.backoff.wait(&backoff_key, std::time::Instant::now());
        if !wait.is_zero() {
            if self.delayed.insert(key.clone()) {
                warn!(app = %self.name, object = %object, wait_ms = wait.as_millis() as u64, "object keeps drifting: something is fighting plumb; backing off");
                let (tx, cluster, object) =
                    (self.drift_tx.clone(), cluster.clone(), object.clone());
                tokio::spawn(async move {
                    tokio::time::sleep(wait).await;
                    if let Ok(live) = cluster.get(&object).await {
                        let _ = tx.send(Seen { object, live }).await;
                    }
                });
            }
            return;
        }
        self.delayed.remove(&key);
        let normalized = self.normalized.get(&key).cloned().unwrap_or_default();
        match engine::correct_drift(&cluster, &object, &desired, seen.live.as_ref(), &normalized)
            .await
        {
            Ok(None) => {}
            Ok(Some(correction)) => {
                self.backoff
                    .corrected(&backoff_key, std::time::Instant::now());
                let manager = correction
                    .by
                    .as_ref()
                    .map(|a| a.manager.clone())
                    .unwrap_or_else(|| {
                        if seen.live.is_none() {
                            "deleted".to_string()
                        } else {
                            "unknown".to_string()
                        }
                    });
                let by = correction
                    .by
                    .as_ref()
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| manager.clone());
                let what = correction.paths.join(", ");
                info!(app = %self.name, object = %object, by = %by, fields = %what, "drift corrected");
                self.ctx
                    .metrics
                    .drift_corrections_total
                    .with_label_values(&[&self.name, &object.kind, &manager])
                    .inc();
                cluster
                    .event(
                        &correction.applied,
                        "DriftCorrected",
                        format!("plumb restored {what} changed by {by}"),
                    )
                    .await;
                if !correction.normalized.is_empty() {
                    self.normalized.insert(key, correction.normalized);
                }
            }
            Err(e) => {
                warn!(app = %self.name, object = %object, error = %error_chain(&e), "cannot correct drift");
            }
        }
    }
}

impl AppWorker {
    /// (Re)starts the drift watch when the set of kinds changed.
    async fn restart_watch(&mut self) {
        let Some(cluster) = self.ctx.cluster.borrow().clone() else {
            return;
        };
        let mut kinds: Vec<(String, String)> = self
            .desired
            .values()
            .map(|(o, _)| (o.api_version(), o.kind.clone()))
            .collect();
        kinds.sort();
        kinds.dedup();
        if self
            .watch
            .as_ref()
            .is_some_and(|w| w.kinds() == kinds.as_slice())
        {
            return;
        }
        let mut resources = Vec::new();
        for (api_version, kind) in &kinds {
            match cluster.resolve(api_version, kind, kind).await {
                Ok((resource, _)) => resources.push(resource),
                Err(e) => {
                    warn!(app = %self.name, error = %error_chain(&e), "cannot watch a kind for drift")
                }
            }
        }
        self.watch = None;
        self.watch = Some(crate::cluster::watch::start(
            cluster.client(),
            &self.name,
            resources,
            self.drift_tx.clone(),
        ));
    }
}

/// Runs one reconcile and records it in metrics, logs and status; returns
/// the engine's report and whether the reconcile succeeded.
async fn reconcile_and_record(
    ctx: &Ctx,
    name: &str,
    trigger: Trigger,
) -> Option<(SyncReport, bool)> {
    let reconcile_ctx = ReconcileCtx {
        source: ctx.config.source.clone(),
        state_dir: ctx.config.state_dir.clone(),
        cluster: ctx.cluster.borrow().clone(),
        metrics: ctx.metrics.clone(),
    };
    let outcome = reconcile::reconcile(&reconcile_ctx, &trigger.app, &trigger.revision).await;
    if let Some(report) = &outcome.report {
        record_report(ctx, name, report);
    }
    ctx.metrics
        .observe_reconcile(name, outcome.result, outcome.took);
    let error_text = outcome.error.as_ref().map(|e| error_chain(e));
    let rev = short_id(&trigger.revision);
    match &outcome.error {
        None => {
            info!(app = %name, rev = %rev, took_ms = outcome.took.as_millis() as u64, "reconciled")
        }
        Some(e) => {
            warn!(app = %name, rev = %rev, kind = e.kind(), error = %error_chain(e), "reconcile failed")
        }
    }
    ctx.status.update_app(name, |app| {
        app.revision = Some(trigger.revision.clone());
        if let Some(report) = &outcome.report {
            app.health = report
                .health
                .map(|h| h.to_string())
                .unwrap_or_else(|| "Unknown".to_string());
            app.resources = report
                .objects
                .iter()
                .filter(|o| o.action != Action::Pruned)
                .map(|o| ResourceStatus {
                    kind: o.object.kind.clone(),
                    namespace: o.object.namespace.clone(),
                    name: o.object.name.clone(),
                    health: o.health.status.to_string(),
                    reason: o.health.reason.clone(),
                })
                .collect();
        }
        app.reconcile = Some(ReconcileStatus {
            result: outcome.result.to_string(),
            at: rfc3339(SystemTime::now()),
            duration_ms: outcome.took.as_millis() as u64,
            error: error_text,
        });
    });
    let succeeded = outcome.error.is_none();
    outcome.report.map(|report| (report, succeeded))
}

/// Counts what the engine did and sets the health gauges of the app's
/// objects, removing the series of objects that are gone.
fn record_report(ctx: &Ctx, app: &str, report: &SyncReport) {
    for object in &report.objects {
        ctx.metrics
            .apply_objects_total
            .with_label_values(&[app, object.action.as_str()])
            .inc();
    }
    let previous: Vec<ResourceStatus> = ctx
        .status
        .snapshot()
        .apps
        .into_iter()
        .find(|a| a.name == app)
        .map(|a| a.resources)
        .unwrap_or_default();
    for old in &previous {
        let _ = ctx.metrics.resource_health.remove_label_values(&[
            app,
            &old.kind,
            &old.namespace,
            &old.name,
            &old.health,
        ]);
    }
    for object in report.objects.iter().filter(|o| o.action != Action::Pruned) {
        ctx.metrics
            .resource_health
            .with_label_values(&[
                app,
                &object.object.kind,
                &object.object.namespace,
                &object.object.name,
                object.health.status.as_str(),
            ])
            .set(1);
    }
    if let Some(worst) = report.health {
        for status in HealthStatus::ALL {
            ctx.metrics
                .app_health
                .with_label_values(&[app, status.as_str()])
                .set(i64::from(status == worst));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(5));
        let seen: Vec<u64> = (0..5).map(|_| b.next_base().as_secs()).collect();
        assert_eq!(seen, [1, 2, 4, 5, 5]);
        b.reset();
        assert_eq!(b.next_base(), Duration::from_secs(1));
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        for _ in 0..1000 {
            let d = jitter(Duration::from_secs(10));
            assert!(
                d >= Duration::from_secs(9) && d <= Duration::from_secs(11),
                "{d:?}"
            );
        }
    }

    fn trigger(seq: u64) -> Trigger {
        Trigger {
            revision: format!("{seq:040}"),
            app: AppSpec {
                name: "demo".into(),
                namespace: "demo".into(),
                path: "m".into(),
                prune: crate::manifest::PruneMode::On,
                timeout: Duration::from_secs(1),
                rollback: false,
            },
            reason: TriggerReason::NewRevision,
            seq,
        }
    }

    /// Records what it was asked; the first reconcile waits for `release`;
    /// `stuck` makes every reconcile hang.
    #[derive(Clone, Default)]
    struct TestWorker {
        handled: Arc<std::sync::Mutex<Vec<String>>>,
        release: Arc<tokio::sync::Notify>,
        started: Arc<tokio::sync::Notify>,
        stuck: bool,
    }

    impl Worker for TestWorker {
        async fn reconcile(&mut self, t: Trigger) {
            self.handled
                .lock()
                .unwrap()
                .push(format!("reconcile {}", t.seq));
            if self.stuck {
                std::future::pending::<()>().await;
            }
            if t.seq == 1 {
                self.started.notify_one();
                self.release.notified().await;
            }
        }
        async fn drift(&mut self, seen: Seen) {
            self.handled
                .lock()
                .unwrap()
                .push(format!("drift {}", seen.object.name));
        }
    }

    fn seen(name: &str) -> Seen {
        Seen {
            object: ObjRef {
                group: String::new(),
                version: "v1".into(),
                kind: "ConfigMap".into(),
                namespace: "demo".into(),
                name: name.into(),
            },
            live: None,
        }
    }

    #[tokio::test]
    async fn a_burst_during_a_reconcile_is_one_reconcile_of_the_newest() {
        let (tx, rx) = watch::channel(None);
        let (drift_tx, drift_rx) = mpsc::channel(8);
        let cancel = CancellationToken::new();
        let worker = TestWorker::default();
        let queue = tokio::spawn({
            let (cancel, mut worker) = (cancel.clone(), worker.clone());
            async move { run_queue(rx, drift_rx, cancel, &mut worker).await }
        });
        tx.send_replace(Some(trigger(1)));
        tokio::time::timeout(Duration::from_secs(5), worker.started.notified())
            .await
            .expect("the first reconcile starts");
        for seq in 2..=5 {
            tx.send_replace(Some(trigger(seq)));
        }
        // Drift seen during a reconcile waits for it: one writer per app.
        drift_tx.send(seen("a")).await.unwrap();
        worker.release.notify_one();
        tokio::time::timeout(Duration::from_secs(5), async {
            while worker.handled.lock().unwrap().len() < 3 {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("the burst and the drift are handled");
        cancel.cancel();
        tokio::time::timeout(Duration::from_secs(5), queue)
            .await
            .expect("the queue stops on cancel")
            .unwrap();
        let handled = worker.handled.lock().unwrap().clone();
        assert_eq!(handled[0], "reconcile 1");
        let mut rest = handled[1..].to_vec();
        rest.sort();
        assert_eq!(rest, ["drift a", "reconcile 5"]);
    }

    #[tokio::test]
    async fn cancel_abandons_an_in_flight_reconcile() {
        let (tx, rx) = watch::channel(None);
        let (_drift_tx, drift_rx) = mpsc::channel(1);
        let cancel = CancellationToken::new();
        let mut worker = TestWorker {
            stuck: true,
            ..TestWorker::default()
        };
        let queue = tokio::spawn({
            let cancel = cancel.clone();
            async move { run_queue(rx, drift_rx, cancel, &mut worker).await }
        });
        tx.send_replace(Some(trigger(1)));
        tokio::task::yield_now().await;
        cancel.cancel();
        tokio::time::timeout(Duration::from_secs(5), queue)
            .await
            .expect("a stuck reconcile does not block shutdown")
            .unwrap();
    }

    #[test]
    fn error_chain_joins_causes_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] std::io::Error);
        let e = Outer(std::io::Error::other("inner"));
        assert_eq!(crate::error_chain(&e), "outer: inner");
    }
}
