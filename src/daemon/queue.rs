//! Deciding when each app reconciles: the dispatcher turns source updates,
//! the interval and the cluster coming back into triggers; each app has a
//! queue (a `watch` channel, so a burst collapses into its newest trigger)
//! and one task that works through it and through drift signals, one thing
//! at a time, so a correction never races a deploy of the same app.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info};

use super::app::AppWorker;
use super::{Ctx, Trigger, TriggerReason};
use crate::cluster::drift::DriftInput;
use crate::manifest::RepoManifest;
use crate::source::follow::{SourceUpdate, UpdateReason};
use crate::source::short_id;

/// Most drift signals handled as one batch (coalesced per object).
const DRIFT_BATCH: usize = 256;

/// Hands every source update to the app queues: starts a queue for each new
/// app, triggers the apps the update concerns, and re-triggers every app each
/// `reconcile_interval`.
pub(super) async fn dispatch(
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
                    trigger_all(&queues, revision, manifest, TriggerReason::ClusterReachable, None, false, seq);
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
                let (reason, only, force_hooks) = match &update.reason {
                    UpdateReason::NewRevision => (TriggerReason::NewRevision, None, false),
                    UpdateReason::Sync { app, force_hooks } => (TriggerReason::Sync, app.as_deref(), *force_hooks),
                };
                trigger_all(&queues, &update.revision.id, &update.manifest, reason, only, force_hooks, seq);
                good = Some((update.revision.id, update.manifest));
            }
            _ = interval.tick() => {
                if let Some((revision, manifest)) = &good {
                    seq += 1;
                    trigger_all(&queues, revision, manifest, TriggerReason::Interval, None, false, seq);
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
    force_hooks: bool,
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
                force_hooks,
                seq,
            }));
        }
    }
}

/// The work an app's task does; one implementation runs the real stages,
/// the tests have another that records what it was asked.
pub(super) trait Worker {
    /// A full reconcile at the trigger's revision.
    fn reconcile(&mut self, trigger: Trigger) -> impl std::future::Future<Output = ()> + Send;
    /// Changes seen on managed objects (or due re-checks), in arrival
    /// order: correct what drifted.
    fn drift(&mut self, batch: Vec<DriftInput>) -> impl std::future::Future<Output = ()> + Send;
    /// A reconcile (or drift handling, `trigger` `None`) panicked: record
    /// it. The queue goes on with the next trigger.
    fn panicked(&mut self, trigger: Option<&Trigger>, message: String);
}

/// Runs `work`, catching a panic as its message.
async fn guarded(work: impl std::future::Future<Output = ()>) -> Result<(), String> {
    use futures::FutureExt;
    std::panic::AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .map_err(|panic| {
            if let Some(s) = panic.downcast_ref::<&str>() {
                s.to_string()
            } else if let Some(s) = panic.downcast_ref::<String>() {
                s.clone()
            } else {
                "a stage panicked".to_string()
            }
        })
}

/// One app's task: reconciles the newest trigger and corrects drift.
async fn app_queue(
    ctx: Arc<Ctx>,
    name: String,
    rx: watch::Receiver<Option<Trigger>>,
    requeue: Arc<watch::Sender<Option<Trigger>>>,
    cancel: CancellationToken,
) {
    let (drift_tx, drift_rx) = mpsc::channel(1024);
    let mut worker = AppWorker::new(ctx, name, requeue, drift_tx, cancel.clone());
    run_queue(rx, drift_rx, cancel, &mut worker).await;
}

/// Waits for work and does it: the newest trigger (triggers that arrive
/// while a reconcile runs collapse into one, as the `watch` channel keeps
/// only the last value) or the drift signals waiting now, as one batch.
/// Cancellation abandons in-flight work.
pub(super) async fn run_queue<W: Worker>(
    mut rx: watch::Receiver<Option<Trigger>>,
    mut drift_rx: mpsc::Receiver<DriftInput>,
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
            input = drift_rx.recv() => {
                let Some(input) = input else { continue };
                let mut batch = vec![input];
                while batch.len() < DRIFT_BATCH {
                    match drift_rx.try_recv() {
                        Ok(more) => batch.push(more),
                        Err(_) => break,
                    }
                }
                let outcome = tokio::select! {
                    _ = cancel.cancelled() => return,
                    outcome = guarded(worker.drift(batch)) => outcome,
                };
                if let Err(message) = outcome {
                    worker.panicked(None, message);
                }
                continue;
            }
        };
        let Some(trigger) = trigger else { continue };
        let app = trigger.app.name.clone();
        debug!(app = %app, rev = %short_id(&trigger.revision), reason = %trigger.reason, "reconcile triggered");
        let outcome = tokio::select! {
            _ = cancel.cancelled() => {
                info!(app = %app, "shutdown: abandoning the in-flight reconcile");
                return;
            }
            outcome = guarded(worker.reconcile(trigger.clone())) => outcome,
        };
        if let Err(message) = outcome {
            worker.panicked(Some(&trigger), message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::drift::Seen;
    use crate::manifest::AppSpec;
    use crate::object::ObjRef;

    fn trigger(seq: u64) -> Trigger {
        Trigger {
            revision: format!("{seq:040}"),
            app: AppSpec::directory("demo", "m").with_timeout(Duration::from_secs(1)),
            reason: TriggerReason::NewRevision,
            force_hooks: false,
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
        panic_on: Option<u64>,
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
            if self.panic_on == Some(t.seq) {
                panic!("boom in reconcile {}", t.seq);
            }
            if t.seq == 1 {
                self.started.notify_one();
                self.release.notified().await;
            }
        }
        async fn drift(&mut self, batch: Vec<DriftInput>) {
            let names: Vec<String> = batch.iter().map(|i| i.object().name.clone()).collect();
            self.handled
                .lock()
                .unwrap()
                .push(format!("drift {}", names.join(",")));
        }
        fn panicked(&mut self, trigger: Option<&Trigger>, message: String) {
            self.handled.lock().unwrap().push(format!(
                "panicked {}: {message}",
                trigger.map(|t| t.seq).unwrap_or_default()
            ));
        }
    }

    fn seen(name: &str) -> DriftInput {
        DriftInput::Seen(Seen {
            object: ObjRef::new("v1", "ConfigMap", "demo", name),
            live: None,
            resource_version: None,
        })
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
        // Drift seen during a reconcile waits for it: one writer per app;
        // what piled up meanwhile is one batch.
        drift_tx.send(seen("a")).await.unwrap();
        drift_tx.send(seen("b")).await.unwrap();
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
        assert_eq!(rest, ["drift a,b", "reconcile 5"]);
    }

    #[tokio::test]
    async fn a_panicking_reconcile_is_recorded_and_the_app_goes_on() {
        let (tx, rx) = watch::channel(None);
        let (_drift_tx, drift_rx) = mpsc::channel(1);
        let cancel = CancellationToken::new();
        let worker = TestWorker {
            panic_on: Some(2),
            ..TestWorker::default()
        };
        let queue = tokio::spawn({
            let (cancel, mut worker) = (cancel.clone(), worker.clone());
            async move { run_queue(rx, drift_rx, cancel, &mut worker).await }
        });
        let wait_for = |n: usize| {
            let handled = worker.handled.clone();
            async move {
                tokio::time::timeout(Duration::from_secs(5), async {
                    while handled.lock().unwrap().len() < n {
                        tokio::task::yield_now().await;
                    }
                })
                .await
                .expect("handled in time")
            }
        };
        tx.send_replace(Some(trigger(2)));
        wait_for(2).await;
        tx.send_replace(Some(trigger(3)));
        wait_for(3).await;
        cancel.cancel();
        queue.await.expect("the queue task itself never died");
        let handled = worker.handled.lock().unwrap().clone();
        assert_eq!(
            handled,
            [
                "reconcile 2",
                "panicked 2: boom in reconcile 2",
                "reconcile 3"
            ]
        );
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
}
