//! Recording what the stages report into status and metrics: the source
//! follower's events, and a reconcile's progress while it runs. The stages
//! themselves never touch status or metrics.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::cluster::health::Health;
use crate::cluster::wait::{Phase, Progress};
use crate::metrics::Metrics;
use crate::object::ObjRef;
use crate::source::follow::{SourceEvent, SourceObserver};
use crate::status::{rfc3339, ResourceStatus, StatusHandle};

/// Writes the follower's events into status and metrics.
pub(super) struct SourceRecorder {
    metrics: Arc<Metrics>,
    status: StatusHandle,
}

impl SourceRecorder {
    pub(super) fn new(metrics: Arc<Metrics>, status: StatusHandle) -> SourceRecorder {
        SourceRecorder { metrics, status }
    }
}

impl SourceObserver for SourceRecorder {
    fn record(&self, event: SourceEvent) {
        match event {
            SourceEvent::Looked { result, took } => {
                self.metrics
                    .source_fetch_total
                    .with_label_values(&[result.as_str()])
                    .inc();
                self.metrics
                    .source_fetch_duration
                    .observe(took.as_secs_f64());
            }
            SourceEvent::Revision {
                revision,
                branch,
                at,
            } => {
                self.metrics.source_revision_info.reset();
                self.metrics
                    .source_revision_info
                    .with_label_values(&[&revision.id])
                    .set(1);
                self.metrics.source_last_change_timestamp.set(
                    at.duration_since(UNIX_EPOCH)
                        .unwrap_or_default()
                        .as_secs_f64(),
                );
                let committed =
                    UNIX_EPOCH + Duration::from_secs(u64::try_from(revision.time).unwrap_or(0));
                self.status.update(|s| {
                    s.source.revision = Some(revision.id.clone());
                    s.source.subject = Some(revision.subject.clone());
                    s.source.author = Some(revision.author.clone());
                    s.source.committed_at = Some(rfc3339(committed));
                    s.source.fetched_at = Some(rfc3339(at));
                    s.source.branch = branch;
                    s.source.error = None;
                });
            }
            SourceEvent::Readable { at } => self.status.update(|s| {
                s.source.error = None;
                s.source.fetched_at = Some(rfc3339(at));
            }),
            SourceEvent::Failed { error } => self.status.update(|s| s.source.error = Some(error)),
        }
    }
}

/// Shows a running reconcile in the app's `reconciling` status block.
pub(super) struct StatusProgress {
    pub(super) status: StatusHandle,
    pub(super) app: String,
}

impl StatusProgress {
    /// Marks the reconcile as started.
    pub(super) fn start(&self, revision: &str, trigger: &str) {
        let since = rfc3339(SystemTime::now());
        self.status.update_app(&self.app, |a| {
            a.reconciling = Some(crate::status::ReconcilingStatus {
                revision: revision.to_string(),
                since,
                trigger: trigger.to_string(),
                phase: "render".to_string(),
                waiting: Vec::new(),
            });
        });
    }

    /// Marks it as over.
    pub(super) fn finish(&self) {
        self.status.update_app(&self.app, |a| a.reconciling = None);
    }
}

impl Progress for StatusProgress {
    fn phase(&self, phase: &Phase) {
        let text = phase.to_string();
        self.status.update_app(&self.app, |a| {
            if let Some(r) = a.reconciling.as_mut() {
                r.phase = text;
                r.waiting.clear();
            }
        });
    }

    fn waiting(&self, on: &[(ObjRef, Health)]) {
        let waiting: Vec<ResourceStatus> = on
            .iter()
            .map(|(o, h)| ResourceStatus {
                kind: o.kind.clone(),
                namespace: o.namespace.clone(),
                name: o.name.clone(),
                health: h.status,
                reason: h.reason.clone(),
            })
            .collect();
        self.status.update_app(&self.app, |a| {
            if let Some(r) = a.reconciling.as_mut() {
                if r.waiting != waiting {
                    r.waiting = waiting;
                }
            }
        });
    }
}
