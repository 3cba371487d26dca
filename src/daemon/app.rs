//! One app's lifecycle in the daemon: reconcile (recorded in status, logs
//! and metrics, with its progress shown while it runs), roll back or retry
//! after a failure, keep the drift watch and the live health board in step
//! with what was applied, and correct drift from the last desired set.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::queue::Worker;
use super::record::StatusProgress;
use super::{sleep_or_cancel, Ctx, Trigger, TriggerReason};
use crate::backoff::Backoff;
use crate::cluster::apply::Cluster;
use crate::cluster::drift::{self, DriftInput, DriftState, Seen, Verdict};
use crate::cluster::engine::{Action, SyncOptions, SyncReport};
use crate::cluster::watch::DriftWatch;
use crate::error_chain;
use crate::metrics::ReconcileResult;
use crate::object::ObjKey;
use crate::reconcile::{self, Outcome, ReconcileCtx, ReconcileError};
use crate::render::{CacheUse, RenderCache};
use crate::source::short_id;
use crate::status::{rfc3339, ReconcileStatus};

/// How long a reconcile that builds images waits for the Docker probe's
/// first answer.
const DOCKER_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// The real worker: stages, status, metrics, and the app's drift watch.
pub(super) struct AppWorker {
    ctx: Arc<Ctx>,
    name: String,
    /// The app's own queue, for retrying a failed reconcile.
    requeue: Arc<watch::Sender<Option<Trigger>>>,
    /// Delay before retrying a failed reconcile: 5 s doubling up to the
    /// reconcile interval; reset by a success.
    retry: Backoff,
    /// The last revision that reconciled successfully (healthy), for rollback.
    last_healthy: Option<String>,
    drift_tx: mpsc::Sender<DriftInput>,
    drift: DriftState,
    watch: Option<DriftWatch>,
    /// A chart app's loaded charts and rendered objects, so that an
    /// unchanged revision (or one that touched nothing the chart reads)
    /// neither parses nor renders again.
    renders: RenderCache,
    /// Ends the app's timers (retries, delayed drift checks) on shutdown.
    cancel: CancellationToken,
}

impl AppWorker {
    pub(super) fn new(
        ctx: Arc<Ctx>,
        name: String,
        requeue: Arc<watch::Sender<Option<Trigger>>>,
        drift_tx: mpsc::Sender<DriftInput>,
        cancel: CancellationToken,
    ) -> AppWorker {
        let retry = Backoff::new(
            std::time::Duration::from_secs(5),
            ctx.config.reconcile_interval,
        );
        AppWorker {
            ctx,
            name,
            requeue,
            retry,
            last_healthy: None,
            drift_tx,
            drift: DriftState::new(),
            watch: None,
            renders: RenderCache::default(),
            cancel,
        }
    }

    fn cluster(&self) -> Option<Cluster> {
        self.ctx.cluster.borrow().clone()
    }

    /// The Docker client for an app that builds images. Right after start
    /// the probe may not have answered yet: wait for it a little rather
    /// than fail the first reconcile.
    async fn docker(&self, app: &crate::manifest::AppSpec) -> Option<bollard::Docker> {
        if app.images.is_empty() {
            return None;
        }
        let mut engines = self.ctx.docker.subscribe();
        let first = tokio::time::timeout(
            DOCKER_GRACE,
            engines.wait_for(|d: &Option<bollard::Docker>| d.is_some()),
        )
        .await;
        match first {
            Ok(Ok(docker)) => docker.clone(),
            _ => None,
        }
    }

    /// Runs one reconcile and records it in metrics, logs and status;
    /// returns the engine's report and whether the reconcile succeeded. A
    /// panic in a stage is caught and recorded as a failure.
    async fn reconcile_and_record(&mut self, trigger: &Trigger) -> Option<(SyncReport, bool)> {
        let reconcile_ctx = ReconcileCtx {
            source: self.ctx.config.source.clone(),
            state_dir: self.ctx.config.state_dir.clone(),
            cluster: self.cluster(),
            docker: self.docker(&trigger.app).await,
            build: self.ctx.config.build.clone(),
        };
        let progress = StatusProgress {
            status: self.ctx.status.clone(),
            app: self.name.clone(),
        };
        progress.start(&trigger.revision, &trigger.reason.to_string());
        let options = SyncOptions {
            force_hooks: trigger.force_hooks,
            ..SyncOptions::default()
        };
        let run = reconcile::reconcile(
            &reconcile_ctx,
            &trigger.app,
            &trigger.revision,
            options,
            &progress,
            &mut self.renders,
        );
        // A panic ends this reconcile; the queue records it (`panicked`).
        let outcome = run.await;
        progress.finish();
        self.record(trigger, &outcome);
        let succeeded = outcome.error.is_none();
        outcome.report.map(|report| (report, succeeded))
    }

    fn record(&self, trigger: &Trigger, outcome: &Outcome) {
        let name = self.name.as_str();
        let metrics = &self.ctx.metrics;
        for (stage, took) in &outcome.stages {
            metrics
                .stage_duration
                .with_label_values(&[name, stage])
                .observe(took.as_secs_f64());
        }
        for image in &outcome.images {
            metrics
                .image_builds_total
                .with_label_values(&[name, &image.name, image.result])
                .inc();
            metrics
                .image_build_duration
                .with_label_values(&[&image.name])
                .observe(image.took.as_secs_f64());
            metrics
                .image_context_bytes
                .with_label_values(&[&image.name])
                .set(i64::try_from(image.context_bytes).unwrap_or(i64::MAX));
        }
        if let Some(report) = &outcome.report {
            for object in &report.objects {
                metrics
                    .apply_objects_total
                    .with_label_values(&[name, object.action.as_str()])
                    .inc();
            }
        }
        if let Some(used) = outcome.chart {
            metrics.observe_chart(name, used);
            let rev = short_id(&trigger.revision);
            match used.render {
                CacheUse::Fresh => {
                    debug!(app = %name, rev = %rev, chart = used.load.load_label(), "chart rendered")
                }
                CacheUse::Reused => {
                    debug!(app = %name, rev = %rev, "chart render reused: nothing it reads changed")
                }
            }
        }
        metrics.observe_reconcile(name, outcome.result, outcome.took);
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
        let hooks = outcome
            .report
            .as_ref()
            .and_then(|r| r.hook_decision)
            .map(|d| {
                if d.runs() {
                    format!("ran: {d}")
                } else {
                    format!("skipped: {d}")
                }
            });
        self.ctx.status.update_app(name, |app| {
            app.revision = Some(trigger.revision.clone());
            app.reconcile = Some(ReconcileStatus {
                result: outcome.result,
                at: rfc3339(SystemTime::now()),
                duration_ms: outcome.took.as_millis() as u64,
                error: error_text,
                hooks,
            });
        });
    }

    /// After a reconcile: the drift state and the live health board learn
    /// what was applied, and the watch follows the kinds now managed.
    async fn learn(&mut self, report: &SyncReport) {
        let mut applied = Vec::new();
        let mut removed = Vec::new();
        for object in &report.objects {
            match (&object.desired, object.action) {
                (_, Action::Pruned) | (None, _) => removed.push(object.object.key()),
                (Some(desired), _) => applied.push((
                    object.object.clone(),
                    desired.clone(),
                    object.normalized.clone(),
                )),
            }
        }
        self.drift
            .record_applied(applied, removed.iter().cloned(), report.complete);
        let managed: Vec<_> = report
            .objects
            .iter()
            .filter(|o| o.action != Action::Pruned)
            .map(|o| (o.object.clone(), o.health.clone()))
            .collect();
        if report.complete {
            self.ctx.metrics.health.set_managed(&self.name, managed);
        } else {
            // A sync that stopped part-way saw only part of the app.
            let mut all: BTreeMap<ObjKey, _> = self
                .ctx
                .metrics
                .health
                .app(&self.name)
                .unwrap_or_default()
                .into_iter()
                .map(|(o, h)| (o.key(), (o, h)))
                .collect();
            for key in &removed {
                all.remove(key);
            }
            for (o, h) in managed {
                all.insert(o.key(), (o, h));
            }
            self.ctx
                .metrics
                .health
                .set_managed(&self.name, all.into_values().collect());
        }
        self.restart_watch().await;
    }

    /// (Re)starts the drift watch when the set of kinds changed.
    async fn restart_watch(&mut self) {
        let Some(cluster) = self.cluster() else {
            return;
        };
        let kinds = self.drift.kinds();
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
            self.ctx.metrics.health.clone(),
            self.drift_tx.clone(),
        ));
    }

    /// Queues the current trigger again after the retry backoff, unless
    /// something newer was queued by then; the timer ends with the daemon.
    fn retry_later(&mut self, trigger: &Trigger) {
        let delay = self.retry.next_delay();
        let (requeue, cancel, seq) = (self.requeue.clone(), self.cancel.clone(), trigger.seq);
        debug!(app = %self.name, delay_ms = delay.as_millis() as u64, "retrying the failed reconcile later");
        tokio::spawn(async move {
            if !sleep_or_cancel(delay, &cancel).await {
                return;
            }
            requeue.send_if_modified(|current| match current {
                Some(queued) if queued.seq == seq => {
                    queued.reason = TriggerReason::Retry;
                    true
                }
                _ => false,
            });
        });
    }

    /// Reads `object` now and sends it back as a change seen, after `wait`
    /// (a fight's backoff); the timer ends with the daemon.
    fn recheck_later(&self, input: DriftInput, wait: std::time::Duration) {
        let (tx, cancel) = (self.drift_tx.clone(), self.cancel.clone());
        let object = input.object().clone();
        tokio::spawn(async move {
            if sleep_or_cancel(wait, &cancel).await {
                let _ = tx.send(DriftInput::Recheck(object)).await;
            }
        });
    }

    /// Decides about one change and corrects it if it drifted.
    async fn handle(&mut self, cluster: &Cluster, input: DriftInput) {
        let mut seen = match input {
            DriftInput::Seen(seen) => seen,
            DriftInput::Recheck(object) => {
                self.drift.undelay(&object.key());
                match read(cluster, &object).await {
                    Some(seen) => seen,
                    None => return,
                }
            }
        };
        let key = seen.object.key();
        let mut rechecked = false;
        loop {
            match self.drift.assess(&seen, Instant::now()) {
                Verdict::Fine | Verdict::Stale => return,
                Verdict::Recheck if !rechecked => {
                    rechecked = true;
                    self.drift.forget_correction(&key);
                    match read(cluster, &seen.object).await {
                        Some(fresh) => seen = fresh,
                        None => return,
                    }
                }
                Verdict::Recheck => return,
                Verdict::Wait(wait) => {
                    if self.drift.delay(&key) {
                        debug!(app = %self.name, object = %seen.object, wait_ms = wait.as_millis() as u64, "drift correction held off");
                        self.recheck_later(DriftInput::Seen(seen), wait);
                    }
                    return;
                }
                Verdict::Correct(drifted) => {
                    self.correct(cluster, drifted).await;
                    return;
                }
            }
        }
    }

    async fn correct(&mut self, cluster: &Cluster, drifted: drift::Drifted) {
        let applied = match drift::correct(cluster, &drifted).await {
            Ok(applied) => applied,
            Err(e) => {
                warn!(app = %self.name, object = %drifted.object, error = %error_chain(&e), "cannot correct drift");
                return;
            }
        };
        let fight = self.drift.corrected(&drifted, &applied, Instant::now());
        let (by, fields) = (drifted.by_text(), drifted.fields());
        info!(app = %self.name, object = %drifted.object, by = %by, fields = %fields, "drift corrected");
        self.ctx
            .metrics
            .drift_corrections_total
            .with_label_values(&[&self.name, &drifted.object.kind, &drifted.manager_label()])
            .inc();
        self.ctx
            .metrics
            .health
            .observe(&self.name, &drifted.object, Some(&applied));
        cluster
            .event(
                &applied,
                "DriftCorrected",
                format!("plumb restored {fields} changed by {by}"),
            )
            .await;
        if let Some(fight) = fight {
            let managers = fight.managers.join(", ");
            warn!(
                app = %self.name,
                object = %drifted.object,
                managers = %managers,
                corrections = fight.corrections,
                wait_ms = fight.next_wait.as_millis() as u64,
                "object keeps being changed back: {managers} is fighting plumb; backing off"
            );
        }
    }
}

/// The object as it is now, as a change seen; `None` when it cannot be read.
async fn read(cluster: &Cluster, object: &crate::object::ObjRef) -> Option<Seen> {
    match cluster.get(object).await {
        Ok(live) => Some(Seen {
            object: object.clone(),
            resource_version: live.as_ref().and_then(|l| {
                l["metadata"]["resourceVersion"]
                    .as_str()
                    .map(str::to_string)
            }),
            live,
        }),
        Err(e) => {
            debug!(object = %object, error = %error_chain(&e), "cannot read a drifted object");
            None
        }
    }
}

impl Worker for AppWorker {
    async fn reconcile(&mut self, trigger: Trigger) {
        let mut report = self.reconcile_and_record(&trigger).await;
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
            if let Some((failed, _)) = &report {
                self.learn(failed).await;
            }
            let back = Trigger {
                revision: good.clone(),
                reason: TriggerReason::Rollback,
                force_hooks: false,
                ..trigger.clone()
            };
            report = self.reconcile_and_record(&back).await;
            let note = format!(
                "revision {} failed and was rolled back to {}: {failure}",
                short_id(&trigger.revision),
                short_id(&good)
            );
            self.ctx.status.update_app(&self.name, |app| {
                if let Some(r) = app.reconcile.as_mut() {
                    r.result = ReconcileResult::Failure;
                    r.error = Some(match r.error.take() {
                        Some(e) => format!("{note}; the rollback failed too: {e}"),
                        None => note,
                    });
                }
            });
        } else if engine_failed {
            // Retry a failed reconcile with backoff. Only failures in the
            // cluster (an unhealthy wave, an API error) can heal by
            // themselves; a render error waits for a commit, and a missing
            // cluster for the cluster to answer.
            self.retry_later(&trigger);
        }
        if let Some((report, _)) = report {
            self.learn(&report).await;
        }
    }

    async fn drift(&mut self, batch: Vec<DriftInput>) {
        let Some(cluster) = self.cluster() else {
            return;
        };
        // Coalesce: the newest change per object, in first-seen order; a
        // due re-check stands for itself.
        let mut order: Vec<ObjKey> = Vec::new();
        let mut newest: BTreeMap<ObjKey, DriftInput> = BTreeMap::new();
        for input in batch {
            let key = input.object().key();
            let keep_recheck = matches!(newest.get(&key), Some(DriftInput::Recheck(_)));
            if !newest.contains_key(&key) {
                order.push(key.clone());
            }
            if keep_recheck {
                if let DriftInput::Seen(_) = input {
                    continue;
                }
            }
            newest.insert(key, input);
        }
        for key in order {
            if let Some(input) = newest.remove(&key) {
                self.handle(&cluster, input).await;
            }
        }
    }

    fn panicked(&mut self, trigger: Option<&Trigger>, message: String) {
        warn!(app = %self.name, panic = %message, "plumb panicked handling the app; it keeps being reconciled");
        let Some(trigger) = trigger else {
            return;
        };
        let outcome = Outcome {
            result: ReconcileResult::Failure,
            took: std::time::Duration::ZERO,
            error: Some(ReconcileError::Panicked {
                app: self.name.clone(),
                message,
            }),
            report: None,
            stages: Vec::new(),
            chart: None,
            images: Vec::new(),
        };
        self.ctx
            .status
            .update_app(&self.name, |a| a.reconciling = None);
        self.record(trigger, &outcome);
        // Like any failure that may be transient: try again later.
        self.retry_later(trigger);
    }
}
