//! Carrying out one app's plan against the cluster: prepare the objects,
//! read the inventory and live state, let [`plan`](super::plan) decide,
//! then run it: hooks, waves in kind order with a health wait after each,
//! immutable-field replacement, prune, and the new inventory. [`preview`]
//! shows the same plan without changing anything.
//!
//! # Guarantees
//! - A reconcile of an unchanged app (same desired objects, hooks included)
//!   makes zero write calls: no apply, no hook, no inventory write.
//! - Prune deletes only inventory members no longer desired that carry
//!   plumb's labels for this app and are not opted out, and only after
//!   every wave is healthy.
//! - The inventory is written only when it changed, after the apply; a
//!   member whose apply or delete failed keeps its old record so the next
//!   reconcile tries again.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use serde_json::Value;
use tracing::{info, warn};

use super::apply::{ApplyError, Cluster};
use super::drift::{self, FieldPath};
use super::health::{self, Health, HealthStatus};
use super::hooks::{self, HookReport};
use super::inventory::{Inventory, KeepReason, PruneRefusal};
use super::order::OrderError;
use super::plan::{
    self, Desired, Done, HookDecision, OnImmutable, Plan, PlanInput, PruneAction, Step,
};
use super::wait::{self, Live, Phase, Progress, Stop, Wait};
use crate::manifest::AppSpec;
use crate::object::{kinds, ObjKey, ObjRef, Object, REVISION_ANNOTATION};

/// How many objects of one kind group are applied at once.
pub const CONCURRENCY: usize = 8;
/// How long CRDs may take to become established.
const CRD_TIMEOUT: Duration = Duration::from_secs(60);

/// What a reconcile did to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// It did not exist and was created.
    Created,
    /// It existed and was changed.
    Configured,
    /// Its desired state had not changed: nothing written.
    Unchanged,
    /// An immutable field changed: deleted and created again.
    Replaced,
    /// It left git and was deleted.
    Pruned,
}

impl Action {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Configured => "configured",
            Action::Unchanged => "unchanged",
            Action::Replaced => "replaced",
            Action::Pruned => "pruned",
        }
    }
}

/// Why a sync failed. Each names the object first and gives a hint.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// An ordering annotation is bad.
    #[error(transparent)]
    Order(#[from] OrderError),
    /// An API call failed.
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// An immutable field changed on an object plumb may not replace.
    #[error("{object}: an immutable field changed and this kind is not replaced automatically (hint: {hint})")]
    ImmutableNotReplaced { object: String, hint: &'static str },
    /// A wave did not become healthy in time.
    #[error("{object}: not healthy after {secs}s (wave {wave}): {status}: {reason}")]
    Unhealthy {
        object: String,
        wave: i64,
        secs: u64,
        status: HealthStatus,
        reason: String,
    },
    /// A pod of a waited-on object can never become ready in this sync.
    #[error("{object}: cannot become healthy (wave {wave}): {reason}")]
    Hopeless {
        object: String,
        wave: i64,
        reason: String,
    },
    /// A hook failed or did not complete in time.
    #[error("{object}: hook failed: {reason}")]
    HookFailed { object: String, reason: String },
    /// Prune was refused by a safety rule (everything else was applied).
    #[error(transparent)]
    PruneRefused(#[from] PruneRefusal),
}

impl SyncError {
    /// A stable label.
    pub fn kind(&self) -> &'static str {
        match self {
            SyncError::Order(_) => "order",
            SyncError::Apply(e) => e.kind(),
            SyncError::ImmutableNotReplaced { .. } => "immutable",
            SyncError::Unhealthy { .. } => "unhealthy",
            SyncError::Hopeless { .. } => "hopeless",
            SyncError::HookFailed { .. } => "hook_failed",
            SyncError::PruneRefused(_) => "prune_refused",
        }
    }
}

/// One managed object's outcome.
#[derive(Debug, Clone)]
pub struct ObjectReport {
    /// Which object.
    pub object: ObjRef,
    /// What was done.
    pub action: Action,
    /// Its health at the end.
    pub health: Health,
    /// The object as plumb applies it (labels, namespace, revision set);
    /// `None` for pruned objects. Drift correction re-applies exactly this.
    pub desired: Option<Value>,
    /// Desired fields the API server stored differently when this sync
    /// wrote the object (e.g. `0.5` CPU as `500m`): not drift. `None` when
    /// it was not written.
    pub normalized: Option<Vec<FieldPath>>,
}

/// The result of a sync, also when it failed part-way.
#[derive(Debug, Default)]
pub struct SyncReport {
    /// Every desired object handled, in apply order, then the pruned ones.
    pub objects: Vec<ObjectReport>,
    /// Objects that left git but were kept, and why.
    pub kept: Vec<(ObjRef, KeepReason)>,
    /// Hooks that ran, in order.
    pub hooks: Vec<HookReport>,
    /// Whether hooks ran, and why; `None` when no plan was made.
    pub hook_decision: Option<HookDecision>,
    /// Helm's `IsInstall` for this sync.
    pub install: bool,
    /// The worst health of the app's objects.
    pub health: Option<HealthStatus>,
    /// Time spent waiting for health (waves, CRDs, hooks).
    pub waited: Duration,
    /// Time spent pruning.
    pub pruned: Duration,
    /// Whether every desired object was handled (the report holds the
    /// app's whole desired set, not a part of it).
    pub complete: bool,
}

/// Choices of the caller.
#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// Run hooks even when the app's desired state is unchanged.
    pub force_hooks: bool,
    /// The release a chart app's objects were rendered as (recorded in the
    /// inventory when the sync succeeds and changed the app); `None` for
    /// directory apps, whose releases count on from the inventory's.
    pub release: Option<crate::render::ReleaseRecord>,
}

/// Everything read before planning, and the plan made from it.
struct Prepared {
    old: Inventory,
    live: Live,
    leaving: BTreeMap<ObjKey, Value>,
    plan: Plan,
}

/// Prepares every object (the scope of each kind from discovery, or from a
/// CRD in the same set), reads the inventory, the live desired objects (one
/// list per kind and namespace) and the inventory members that left, and
/// plans: what both [`sync`] and [`preview`] start from.
async fn prepare_and_plan(
    cluster: &Cluster,
    app: &AppSpec,
    revision: &str,
    objects: &[Object],
    options: &SyncOptions,
) -> Result<Prepared, SyncError> {
    let old = cluster.read_inventory(&app.name).await?;
    let mut desired = Vec::with_capacity(objects.len());
    let mut known: BTreeSet<(String, String)> = BTreeSet::new();
    for object in objects {
        let namespaced = match cluster
            .resolve(object.api_version(), object.kind(), &object.describe())
            .await
        {
            Ok((_, namespaced)) => {
                known.insert((object.api_version().to_string(), object.kind().to_string()));
                namespaced
            }
            Err(e @ ApplyError::UnknownKind { .. }) => {
                match plan::scope_from_crds(objects, object.api_version(), object.kind()) {
                    Some(namespaced) => namespaced,
                    None => return Err(e.into()),
                }
            }
            Err(e) => return Err(e.into()),
        };
        desired.push(plan::prepare(
            object,
            namespaced,
            &app.name,
            &app.namespace,
            revision,
        ));
    }
    // Kinds a CRD of this set defines have nothing live yet.
    let listable: Vec<ObjRef> = desired
        .iter()
        .map(|d| d.object.clone())
        .filter(|o| known.contains(&(o.api_version(), o.kind.clone())))
        .collect();
    let live = Live::list(cluster, &app.name, &listable).await?;
    let wanted: BTreeSet<ObjKey> = desired.iter().map(|d| d.object.key()).collect();
    let mut leaving = BTreeMap::new();
    for entry in old
        .entries
        .iter()
        .filter(|e| !wanted.contains(&e.object.key()))
    {
        if let Some(live) = cluster.get(&entry.object).await? {
            leaving.insert(entry.object.key(), live);
        }
    }
    let input = PlanInput {
        app: &app.name,
        prune: app.prune,
        inventory: &old,
        live: &live.objects,
        leaving: &leaving,
        force_hooks: options.force_hooks,
        release: options.release.as_ref(),
    };
    let plan = plan::plan(desired, input)?;
    Ok(Prepared {
        old,
        live,
        leaving,
        plan,
    })
}

/// Applies CustomResourceDefinitions ahead of a sync (a chart's `crds/`,
/// which Helm installs before it renders), labelled as the sync labels
/// them; the sync that follows applies and records them as usual.
///
/// # Errors
/// [`SyncError::Apply`] naming the CRD.
pub async fn install_crds(
    cluster: &Cluster,
    app: &AppSpec,
    revision: &str,
    crds: &[&Object],
) -> Result<(), SyncError> {
    for crd in crds {
        let desired = plan::prepare(crd, false, &app.name, &app.namespace, revision);
        cluster
            .apply(&desired.object, &desired.data, true, false)
            .await?;
    }
    Ok(())
}

/// Deploys an app's objects at `revision`: the whole pipeline after render.
/// On failure the report holds what was done so far; the inventory is
/// written for everything applied either way.
pub async fn sync(
    cluster: &Cluster,
    app: &AppSpec,
    revision: &str,
    objects: Vec<Object>,
    options: SyncOptions,
    progress: &dyn Progress,
) -> (SyncReport, Result<(), SyncError>) {
    let mut report = SyncReport::default();
    let prepared = match prepare_and_plan(cluster, app, revision, &objects, &options).await {
        Ok(p) => p,
        Err(e) => return (report, Err(e)),
    };
    let plan = &prepared.plan;
    report.hook_decision = Some(plan.hooks);
    report.install = plan.install;
    if plan.hooks.runs() && plan.hook_steps().next().is_some() {
        info!(app = %app.name, why = %plan.hooks, "running hooks");
    }

    let mut done = Done::default();
    let result = run(
        cluster,
        app,
        plan,
        &prepared.live,
        &mut done,
        &mut report,
        progress,
    )
    .await;
    let result = match result {
        Ok(()) => {
            let started = Instant::now();
            progress.phase(&Phase::Prune);
            let pruned = prune(cluster, app, plan, &mut done, &mut report).await;
            report.pruned = started.elapsed();
            pruned
        }
        Err(e) => Err(e),
    };
    done.succeeded = result.is_ok();
    report.complete = done.applied.len() == plan.steps().count();

    let new = plan::next_inventory(&prepared.old, plan, &done, revision);
    if new != prepared.old {
        if let Err(e) = cluster.write_inventory(&app.name, &new).await {
            warn!(app = %app.name, error = %crate::error_chain(&e), "cannot write the inventory");
            if result.is_ok() {
                report.health = Some(health::worst(report.objects.iter().map(|o| &o.health)));
                return (report, Err(e.into()));
            }
        }
    }
    report.health = Some(health::worst(report.objects.iter().map(|o| &o.health)));
    (report, result)
}

async fn run(
    cluster: &Cluster,
    app: &AppSpec,
    plan: &Plan,
    live: &Live,
    done: &mut Done,
    report: &mut SyncReport,
    progress: &dyn Progress,
) -> Result<(), SyncError> {
    if plan.is_noop() {
        // Nothing to write: report what the cluster holds.
        for step in plan.steps() {
            done.applied.insert(step.desired.object.key());
            report
                .objects
                .push(object_report(step, Action::Unchanged, live, None));
        }
        return Ok(());
    }
    cluster.ensure_namespace(&app.namespace, &app.name).await?;
    let mut applied: BTreeSet<ObjKey> = BTreeSet::new();

    run_hooks(
        cluster,
        app,
        &plan.pre_hooks,
        true,
        &mut applied,
        report,
        progress,
    )
    .await?;
    for wave in &plan.waves {
        progress.phase(&Phase::Wave(wave.number));
        let mut in_wave: Vec<(&Step, Action, Option<Vec<FieldPath>>)> = Vec::new();
        for group in &wave.groups {
            // The futures are made first so the stream holds no closure (a
            // closure over borrowed steps trips Send inference in spawn).
            let pending: Vec<_> = group.iter().map(|step| apply_step(cluster, step)).collect();
            let results: Vec<Result<Applied, SyncError>> =
                stream::iter(pending).buffered(CONCURRENCY).collect().await;
            let mut first_error = None;
            for (step, result) in group.iter().zip(results) {
                match result {
                    Ok((action, normalized)) => {
                        if action != Action::Unchanged {
                            info!(app = %app.name, object = %step.desired.object, action = action.as_str(), "applied");
                        }
                        done.applied.insert(step.desired.object.key());
                        applied.insert(step.desired.object.key());
                        in_wave.push((step, action, normalized));
                    }
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            if let Some(e) = first_error {
                let refs: Vec<ObjRef> = in_wave
                    .iter()
                    .map(|(s, _, _)| s.desired.object.clone())
                    .collect();
                let live = Live::list(cluster, &app.name, &refs)
                    .await
                    .unwrap_or_default();
                push_reports(report, &in_wave, &live);
                return Err(e);
            }
            // CRDs must be established before objects of their kinds.
            let crds: Vec<ObjRef> = group
                .iter()
                .filter(|s| s.desired.object.kind == kinds::CRD)
                .map(|s| s.desired.object.clone())
                .collect();
            if !crds.is_empty() {
                let wait = Wait {
                    app: &app.name,
                    applied: &applied,
                    timeout: CRD_TIMEOUT,
                    degraded_is_final: false,
                    progress,
                };
                let (live, stop) = wait::until_healthy(cluster, &crds, &wait).await?;
                if let Some(stop) = stop {
                    push_reports(report, &in_wave, &live);
                    return Err(wave_failure(stop, wave.number, CRD_TIMEOUT));
                }
            }
        }
        let refs: Vec<ObjRef> = in_wave
            .iter()
            .map(|(s, _, _)| s.desired.object.clone())
            .collect();
        let wait = Wait {
            app: &app.name,
            applied: &applied,
            timeout: app.timeout,
            degraded_is_final: false,
            progress,
        };
        let started = Instant::now();
        let (live, stop) = wait::until_healthy(cluster, &refs, &wait).await?;
        report.waited += started.elapsed();
        push_reports(report, &in_wave, &live);
        if let Some(stop) = stop {
            return Err(wave_failure(stop, wave.number, app.timeout));
        }
    }
    run_hooks(
        cluster,
        app,
        &plan.post_hooks,
        false,
        &mut applied,
        report,
        progress,
    )
    .await?;
    progress.waiting(&[]);
    Ok(())
}

/// Runs hook groups in order (`pre`: before the waves), each a phase of
/// its own; the time counts as waiting.
async fn run_hooks(
    cluster: &Cluster,
    app: &AppSpec,
    groups: &[Vec<plan::HookStep>],
    pre: bool,
    applied: &mut BTreeSet<ObjKey>,
    report: &mut SyncReport,
    progress: &dyn Progress,
) -> Result<(), SyncError> {
    for group in groups {
        let weight = group.first().map(|h| h.weight).unwrap_or_default();
        progress.phase(&if pre {
            Phase::PreHooks { weight }
        } else {
            Phase::PostHooks { weight }
        });
        let started = Instant::now();
        let ran = hooks::run_group(
            cluster,
            &app.name,
            group,
            app.timeout,
            applied,
            progress,
            &mut report.hooks,
        )
        .await;
        report.waited += started.elapsed();
        ran?;
    }
    Ok(())
}

fn wave_failure(stop: Stop, wave: i64, timeout: Duration) -> SyncError {
    match stop {
        Stop::Hopeless { object, reason } => SyncError::Hopeless {
            object: object.to_string(),
            wave,
            reason,
        },
        Stop::Timeout { object, health } | Stop::Failed { object, health } => {
            SyncError::Unhealthy {
                object: object.to_string(),
                wave,
                secs: timeout.as_secs(),
                status: health.status,
                reason: health.reason.unwrap_or_default(),
            }
        }
    }
}

fn object_report(
    step: &Step,
    action: Action,
    live: &Live,
    normalized: Option<Vec<FieldPath>>,
) -> ObjectReport {
    ObjectReport {
        object: step.desired.object.clone(),
        action,
        health: live.health(&step.desired.object),
        desired: Some(step.desired.data.clone()),
        normalized,
    }
}

fn push_reports(
    report: &mut SyncReport,
    applied: &[(&Step, Action, Option<Vec<FieldPath>>)],
    live: &Live,
) {
    for (step, action, normalized) in applied {
        report
            .objects
            .push(object_report(step, *action, live, normalized.clone()));
    }
}

/// What was done to one object, and the fields the server normalized when
/// it was written.
type Applied = (Action, Option<Vec<FieldPath>>);

/// Writes one object as its step says; returns what was done and, when
/// written, the fields the server normalized.
async fn apply_step(cluster: &Cluster, step: &Step) -> Result<Applied, SyncError> {
    let object = &step.desired.object;
    let data = &step.desired.data;
    if step.action == plan::Action::Unchanged {
        return Ok((Action::Unchanged, None));
    }
    match cluster.apply(object, data, step.force, false).await {
        Ok(stored) => Ok((
            match step.action {
                plan::Action::Create => Action::Created,
                _ => Action::Configured,
            },
            Some(drift::differences(data, &stored)),
        )),
        Err(ApplyError::Invalid {
            immutable: true, ..
        }) => match step.on_immutable {
            OnImmutable::Refuse { hint } => Err(SyncError::ImmutableNotReplaced {
                object: object.to_string(),
                hint,
            }),
            OnImmutable::Replace => {
                warn!(object = %object, "immutable field changed: deleting and re-creating");
                hooks::recreate(cluster, object, data).await?;
                Ok((Action::Replaced, None))
            }
        },
        Err(e) => Err(e.into()),
    }
}

async fn prune(
    cluster: &Cluster,
    app: &AppSpec,
    plan: &Plan,
    done: &mut Done,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    if let Some(refusal) = &plan.prune.refused {
        warn!(app = %app.name, reason = %refusal, "prune refused");
        return Err(refusal.clone().into());
    }
    let mut first_error = None;
    for (object, action) in &plan.prune.items {
        match action {
            PruneAction::Gone => {}
            PruneAction::Keep(reason) => {
                info!(app = %app.name, object = %object, reason = %reason, "not pruned");
                report.kept.push((object.clone(), *reason));
            }
            PruneAction::Delete => match cluster.delete(object, false).await {
                Ok(()) => {
                    info!(app = %app.name, object = %object, "pruned");
                    done.pruned.insert(object.key());
                    report.objects.push(ObjectReport {
                        object: object.clone(),
                        action: Action::Pruned,
                        health: Health::missing(),
                        desired: None,
                        normalized: None,
                    });
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            },
        }
    }
    match first_error {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// What a sync would do to one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Planned {
    /// It does not exist: it would be created.
    Create,
    /// It exists and would change.
    Update,
    /// It exists and would not change.
    Unchanged,
    /// An immutable field changed: it would be deleted and re-created.
    Replace,
    /// An immutable field changed and plumb would refuse, with this hint.
    Refuse(&'static str),
    /// A hook that would run (created afresh).
    Run,
    /// A hook that would not run: the app's desired state is unchanged.
    Skip,
    /// It left git: it would be deleted.
    Prune,
    /// It left git but would be kept, and why.
    Keep(KeepReason),
}

impl Planned {
    /// The word shown in plans.
    pub fn as_str(&self) -> &'static str {
        match self {
            Planned::Create => "create",
            Planned::Update => "update",
            Planned::Unchanged => "unchanged",
            Planned::Replace => "replace",
            Planned::Refuse(_) => "refuse",
            Planned::Run => "run",
            Planned::Skip => "skip",
            Planned::Prune => "delete",
            Planned::Keep(_) => "keep",
        }
    }

    /// Whether the cluster would change.
    pub fn changes(&self) -> bool {
        matches!(
            self,
            Planned::Create | Planned::Update | Planned::Replace | Planned::Run | Planned::Prune
        )
    }
}

/// One line of a preview.
#[derive(Debug, Clone)]
pub struct PreviewItem {
    /// `pre-hook (weight N)`, `wave N`, `post-hook (weight N)` or `prune`.
    pub phase: String,
    /// Which object.
    pub object: ObjRef,
    /// What would happen.
    pub planned: Planned,
    /// Unified diff of live vs what the API server would store (masked).
    pub diff: String,
}

/// What a sync would do, computed with reads and server-side dry-run
/// applies only: nothing in the cluster changes.
#[derive(Debug, Default)]
pub struct Preview {
    /// Every object, in the order a sync would handle it.
    pub items: Vec<PreviewItem>,
    /// Set when the prune would be refused by a safety rule.
    pub prune_refused: Option<PruneRefusal>,
}

/// Computes what [`sync`] would do, for `plumb diff` and `plumb sync
/// --dry-run`: the same plan, with server-side dry-run applies to learn
/// each update's effect (and whether an immutable field blocks it).
///
/// # Errors
/// [`SyncError`] when the plan cannot be made or the API refuses a read or
/// a dry-run.
pub async fn preview(
    cluster: &Cluster,
    app: &AppSpec,
    revision: &str,
    objects: Vec<Object>,
    options: SyncOptions,
) -> Result<Preview, SyncError> {
    let prepared = prepare_and_plan(cluster, app, revision, &objects, &options).await?;
    let plan = &prepared.plan;
    let mut preview = Preview::default();
    let hook_item = |phase: String, desired: &Desired| PreviewItem {
        phase,
        object: desired.object.clone(),
        planned: Planned::Run,
        diff: super::diff::unified(&desired.object.to_string(), None, Some(&desired.data)),
    };
    for hook in plan.pre_hooks.iter().flatten() {
        preview.items.push(hook_item(
            format!("pre-hook (weight {})", hook.weight),
            &hook.desired,
        ));
    }
    for skipped in &plan.skipped_hooks {
        preview.items.push(PreviewItem {
            phase: "hook".into(),
            object: skipped.clone(),
            planned: Planned::Skip,
            diff: String::new(),
        });
    }
    for wave in &plan.waves {
        for step in wave.groups.iter().flatten() {
            let (planned, diff) = preview_step(cluster, step, &prepared.live).await?;
            preview.items.push(PreviewItem {
                phase: format!("wave {}", wave.number),
                object: step.desired.object.clone(),
                planned,
                diff,
            });
        }
    }
    for hook in plan.post_hooks.iter().flatten() {
        preview.items.push(hook_item(
            format!("post-hook (weight {})", hook.weight),
            &hook.desired,
        ));
    }
    preview.prune_refused = plan.prune.refused.clone();
    for (object, action) in &plan.prune.items {
        let planned = match action {
            PruneAction::Gone => continue,
            PruneAction::Delete => Planned::Prune,
            PruneAction::Keep(reason) => Planned::Keep(*reason),
        };
        let diff = match (&planned, prepared.leaving.get(&object.key())) {
            (Planned::Prune, Some(live)) => {
                super::diff::unified(&object.to_string(), Some(live), None)
            }
            _ => String::new(),
        };
        preview.items.push(PreviewItem {
            phase: "prune".into(),
            object: object.clone(),
            planned,
            diff,
        });
    }
    Ok(preview)
}

async fn preview_step(
    cluster: &Cluster,
    step: &Step,
    live: &Live,
) -> Result<(Planned, String), SyncError> {
    let object = &step.desired.object;
    let title = object.to_string();
    let data = &step.desired.data;
    match (step.action, live.get(object)) {
        (plan::Action::Unchanged, _) => Ok((Planned::Unchanged, String::new())),
        (plan::Action::Create, _) | (_, None) => Ok((
            Planned::Create,
            super::diff::unified(&title, None, Some(data)),
        )),
        (plan::Action::Update, Some(current)) => {
            match cluster.apply(object, data, step.force, true).await {
                Ok(mut result) => {
                    // The revision annotation alone is not a change.
                    result["metadata"]["annotations"][REVISION_ANNOTATION] =
                        current["metadata"]["annotations"][REVISION_ANNOTATION].clone();
                    let diff = super::diff::unified(&title, Some(current), Some(&result));
                    let planned = if diff.is_empty() {
                        Planned::Unchanged
                    } else {
                        Planned::Update
                    };
                    Ok((planned, diff))
                }
                Err(ApplyError::Invalid {
                    immutable: true, ..
                }) => {
                    let planned = match step.on_immutable {
                        OnImmutable::Replace => Planned::Replace,
                        OnImmutable::Refuse { hint } => Planned::Refuse(hint),
                    };
                    Ok((
                        planned,
                        super::diff::unified(&title, Some(current), Some(data)),
                    ))
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}
