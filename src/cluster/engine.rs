//! Applying one app's plan to the cluster: hooks, waves in kind order with a
//! health wait after each, immutable-field replacement, prune within the
//! safety rules, and the new inventory. The decisions (order, health, prune
//! set, safety) are the pure modules'; this runs them against [`Cluster`].
//!
//! # Guarantees
//! - An object whose desired hash matches the inventory and that still
//!   exists is not written: a no-op reconcile makes zero write calls.
//! - Prune deletes only inventory members no longer desired, that carry
//!   plumb's labels for this app and are not opted out.
//! - The inventory is written only when it changed, after the apply, and
//!   keeps objects whose delete failed so the next reconcile retries them.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use serde_json::{json, Value};
use tracing::{info, warn};

use super::apply::{ApplyError, Cluster};
use super::drift;
use super::health::{self, Health, HealthStatus};
use super::inventory::{self, Entry, Inventory, KeepReason, ObjRef, PruneMode, PruneRefusal};
use super::order::{self, Hook, Plan};
use crate::manifest::AppSpec;
use crate::render::Object;

/// How many objects of one kind group are applied at once.
pub const CONCURRENCY: usize = 8;
/// How often health is polled while waiting.
const POLL: Duration = Duration::from_millis(300);

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

/// Why a sync failed. Each names the object and gives a hint.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// An ordering annotation is bad.
    #[error(transparent)]
    Order(#[from] order::OrderError),
    /// An API call failed.
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// An immutable field changed on an object plumb may not replace.
    #[error("{object}: an immutable field changed and this kind is not replaced automatically (hint: {hint})")]
    ImmutableNotReplaced { object: String, hint: &'static str },
    /// A wave did not become healthy in time.
    #[error("wave {wave}: {object} not healthy after {secs}s: {status}: {reason}")]
    Unhealthy {
        wave: i64,
        object: String,
        secs: u64,
        status: HealthStatus,
        reason: String,
    },
    /// A hook failed.
    #[error("hook {object} failed: {reason}")]
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
}

/// The result of a sync, also when it failed part-way.
#[derive(Debug, Default)]
pub struct SyncReport {
    /// Every desired object handled, in apply order, then the pruned ones.
    pub objects: Vec<ObjectReport>,
    /// Objects that left git but were kept, and why.
    pub kept: Vec<(ObjRef, KeepReason)>,
    /// The worst health of the app's objects.
    pub health: Option<HealthStatus>,
    /// Time spent waiting for health (waves, CRDs, hooks).
    pub waited: Duration,
    /// Time spent pruning.
    pub pruned: Duration,
}

/// A desired object, prepared for the cluster.
#[derive(Debug, Clone)]
struct Prepared {
    object: ObjRef,
    data: Value,
    hash: String,
}

/// Deploys an app's objects at `revision`: the whole pipeline after render.
/// On failure the report holds what was done so far; the inventory is
/// written for everything applied either way.
pub async fn sync(
    cluster: &Cluster,
    app: &AppSpec,
    revision: &str,
    objects: Vec<Object>,
) -> (SyncReport, Result<(), SyncError>) {
    let mut report = SyncReport::default();
    let old = match cluster.read_inventory(&app.name).await {
        Ok(inv) => inv,
        Err(e) => return (report, Err(e.into())),
    };
    let mut entries: BTreeMap<(String, String, String, String), Entry> = BTreeMap::new();
    let result = run(
        cluster,
        app,
        revision,
        objects,
        &old,
        &mut entries,
        &mut report,
    )
    .await;

    // Prune only after everything desired is applied and healthy.
    let result = match result {
        Ok(()) => {
            let started = Instant::now();
            let pruned = prune(cluster, app, &old, &mut entries, &mut report).await;
            report.pruned = started.elapsed();
            pruned
        }
        Err(e) => {
            // Keep every old member we did not touch, so a failed sync never
            // forgets what to prune later.
            for entry in &old.entries {
                entries
                    .entry(entry.object.key())
                    .or_insert_with(|| entry.clone());
            }
            Err(e)
        }
    };

    let new = Inventory {
        entries: entries.into_values().collect(),
    };
    if new.to_data() != old.to_data() {
        if let Err(e) = cluster.write_inventory(&app.name, &new).await {
            warn!(app = %app.name, error = %crate::error_chain(&e), "cannot write the inventory");
            if result.is_ok() {
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
    revision: &str,
    objects: Vec<Object>,
    old: &Inventory,
    entries: &mut BTreeMap<(String, String, String, String), Entry>,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let plan: Plan = order::plan(objects, old.is_empty())?;
    cluster.ensure_namespace(&app.namespace, &app.name).await?;

    for group in &plan.pre_hooks {
        run_hooks(cluster, app, revision, group).await?;
    }
    for wave in &plan.waves {
        let mut applied = Vec::new();
        for group in &wave.groups {
            let mut prepared = Vec::with_capacity(group.len());
            for object in group {
                match prepare(cluster, app, revision, object).await {
                    Ok(p) => prepared.push((p, object)),
                    Err(e) => {
                        push_reports(report, &applied, &Live::default());
                        return Err(e);
                    }
                }
            }
            // One list per kind and namespace instead of a read per object.
            let refs: Vec<ObjRef> = prepared.iter().map(|(p, _)| p.object.clone()).collect();
            let live = match Live::list(cluster, &app.name, &refs).await {
                Ok(live) => live,
                Err(e) => {
                    push_reports(report, &applied, &Live::default());
                    return Err(e.into());
                }
            };
            // The futures are made first so the stream holds no closure (a
            // closure over borrowed objects trips Send inference in spawn).
            let pending: Vec<_> = prepared
                .into_iter()
                .map(|(p, object)| {
                    let current = live.get(&p.object).cloned();
                    apply_one(cluster, p, current, object, old)
                })
                .collect();
            let results: Vec<Result<(Prepared, Action), SyncError>> =
                stream::iter(pending).buffered(CONCURRENCY).collect().await;
            let mut first_error = None;
            for result in results {
                match result {
                    Ok((prepared, action)) => {
                        let previous = old.get(&prepared.object);
                        let revision = match (action, previous) {
                            (Action::Unchanged, Some(entry)) => entry.revision.clone(),
                            _ => revision.to_string(),
                        };
                        entries.insert(
                            prepared.object.key(),
                            Entry {
                                object: prepared.object.clone(),
                                hash: prepared.hash.clone(),
                                revision,
                            },
                        );
                        if action != Action::Unchanged {
                            info!(app = %app.name, object = %prepared.object, action = action.as_str(), "applied");
                        }
                        applied.push((prepared, action));
                    }
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            if let Some(e) = first_error {
                let live = Live::list(cluster, &app.name, &objects_of(&applied))
                    .await
                    .unwrap_or_default();
                push_reports(report, &applied, &live);
                return Err(e);
            }
            // CRDs must be established before objects of their kinds.
            if group.iter().any(|o| o.kind() == "CustomResourceDefinition") {
                let crds: Vec<_> = applied
                    .iter()
                    .filter(|(p, _)| p.object.kind == "CustomResourceDefinition")
                    .map(|(p, _)| p.object.clone())
                    .collect();
                wait_healthy(
                    cluster,
                    &app.name,
                    wave.number,
                    &crds,
                    Duration::from_secs(60),
                )
                .await?
                .1?;
            }
        }
        let wait_started = Instant::now();
        let (live, waited) = wait_healthy(
            cluster,
            &app.name,
            wave.number,
            &objects_of(&applied),
            app.timeout,
        )
        .await?;
        report.waited += wait_started.elapsed();
        push_reports(report, &applied, &live);
        waited?;
    }
    for group in &plan.post_hooks {
        run_hooks(cluster, app, revision, group).await?;
    }
    Ok(())
}

fn objects_of(applied: &[(Prepared, Action)]) -> Vec<ObjRef> {
    applied.iter().map(|(p, _)| p.object.clone()).collect()
}

/// Live objects of an app, listed once per kind and namespace by the app
/// label: what a sync reads instead of one GET per object.
#[derive(Debug, Default)]
struct Live {
    objects: std::collections::HashMap<(String, String, String, String), Value>,
}

impl Live {
    async fn list(cluster: &Cluster, app: &str, refs: &[ObjRef]) -> Result<Live, ApplyError> {
        let mut groups: Vec<ObjRef> = Vec::new();
        for r in refs {
            // Named `*` so an error reads `Secret/ns/*: list forbidden`.
            let template = ObjRef {
                name: "*".to_string(),
                ..r.clone()
            };
            if !groups.contains(&template) {
                groups.push(template);
            }
        }
        let mut objects = std::collections::HashMap::new();
        let selector = format!("{}={app}", inventory::APP_LABEL);
        for template in groups {
            for live in cluster.list(&template, &selector).await? {
                let name = live["metadata"]["name"].as_str().unwrap_or("").to_string();
                let key = ObjRef {
                    name,
                    ..template.clone()
                }
                .key();
                objects.insert(key, live);
            }
        }
        Ok(Live { objects })
    }

    fn get(&self, object: &ObjRef) -> Option<&Value> {
        self.objects.get(&object.key())
    }

    fn health(&self, object: &ObjRef) -> Health {
        match self.get(object) {
            Some(live) => health::health(&object.kind, live),
            None => Health::missing(),
        }
    }
}

fn push_reports(report: &mut SyncReport, applied: &[(Prepared, Action)], live: &Live) {
    for (prepared, action) in applied {
        let health = live.health(&prepared.object);
        report.objects.push(ObjectReport {
            object: prepared.object.clone(),
            action: *action,
            health,
            desired: Some(prepared.data.clone()),
        });
    }
}

/// Sets the namespace, labels and revision annotation; hashes what decides
/// whether to write (everything but the revision annotation).
async fn prepare(
    cluster: &Cluster,
    app: &AppSpec,
    revision: &str,
    object: &Object,
) -> Result<Prepared, SyncError> {
    let shown = format!("{} ({} `{}`)", object.origin, object.kind(), object.name());
    let (_, namespaced) = cluster
        .resolve(object.api_version(), object.kind(), &shown)
        .await?;
    let mut data = object.data.clone();
    let namespace = if namespaced {
        let ns = object.namespace().unwrap_or(&app.namespace).to_string();
        data["metadata"]["namespace"] = json!(ns);
        ns
    } else {
        if let Some(meta) = data["metadata"].as_object_mut() {
            meta.remove("namespace");
        }
        String::new()
    };
    data["metadata"]["labels"][inventory::MANAGED_BY.0] = json!(inventory::MANAGED_BY.1);
    data["metadata"]["labels"][inventory::APP_LABEL] = json!(app.name);
    let hash = inventory::desired_hash(&data);
    data["metadata"]["annotations"][inventory::REVISION_ANNOTATION] = json!(revision);
    Ok(Prepared {
        object: ObjRef::of(&data, &namespace),
        data,
        hash,
    })
}

async fn apply_one(
    cluster: &Cluster,
    prepared: Prepared,
    live: Option<Value>,
    object: &Object,
    old: &Inventory,
) -> Result<(Prepared, Action), SyncError> {
    let previous = old.get(&prepared.object);
    if let (Some(entry), Some(_)) = (previous, &live) {
        if entry.hash == prepared.hash {
            return Ok((prepared, Action::Unchanged));
        }
    }
    // Force only over objects plumb applied before: a field someone changed
    // by hand is plumb's to take back; a stranger's object is not.
    let force = previous.is_some();
    match cluster
        .apply(&prepared.object, &prepared.data, force, false)
        .await
    {
        Ok(_) => Ok((
            prepared,
            if live.is_some() {
                Action::Configured
            } else {
                Action::Created
            },
        )),
        Err(ApplyError::Invalid {
            immutable: true, ..
        }) => {
            replace(cluster, &prepared, object).await?;
            Ok((prepared, Action::Replaced))
        }
        Err(e) => Err(e.into()),
    }
}

/// Deletes (foreground, waiting until gone) and re-creates an object whose
/// immutable field changed. Never for PVCs; StatefulSets only when annotated
/// `plumb.dev/replace: allowed`.
async fn replace(cluster: &Cluster, prepared: &Prepared, object: &Object) -> Result<(), SyncError> {
    let shown = prepared.object.to_string();
    match prepared.object.kind.as_str() {
        "PersistentVolumeClaim" => {
            return Err(SyncError::ImmutableNotReplaced {
                object: shown,
                hint: "a claim holds data and is never replaced by plumb; change it by hand or give it a new name",
            })
        }
        "StatefulSet" if object.annotation("plumb.dev/replace") != Some("allowed") => {
            return Err(SyncError::ImmutableNotReplaced {
                object: shown,
                hint: "annotate the StatefulSet plumb.dev/replace: allowed to let plumb delete and re-create it (its PVCs stay)",
            })
        }
        _ => {}
    }
    warn!(object = %shown, "immutable field changed: deleting and re-creating");
    recreate(cluster, prepared).await
}

/// Deletes an object, waits until it is gone, and applies it afresh.
async fn recreate(cluster: &Cluster, prepared: &Prepared) -> Result<(), SyncError> {
    cluster
        .delete_and_wait(&prepared.object, Duration::from_secs(120))
        .await?;
    cluster
        .apply(&prepared.object, &prepared.data, true, false)
        .await?;
    Ok(())
}

async fn run_hooks(
    cluster: &Cluster,
    app: &AppSpec,
    revision: &str,
    hooks: &[Hook],
) -> Result<(), SyncError> {
    for hook in hooks {
        let prepared = prepare(cluster, app, revision, &hook.object).await?;
        if hook.delete.before_creation {
            recreate(cluster, &prepared).await?;
        } else {
            cluster
                .apply(&prepared.object, &prepared.data, true, false)
                .await?;
        }
        info!(app = %app.name, hook = %prepared.object, weight = hook.weight, "hook started");
        let outcome = wait_hook(cluster, &prepared.object, app.timeout).await;
        let delete = match &outcome {
            Ok(()) => hook.delete.on_success,
            Err(_) => hook.delete.on_failure,
        };
        if delete {
            cluster.delete(&prepared.object, false).await?;
        }
        outcome?;
    }
    Ok(())
}

async fn wait_hook(cluster: &Cluster, object: &ObjRef, timeout: Duration) -> Result<(), SyncError> {
    let started = Instant::now();
    loop {
        let health = match cluster.get(object).await? {
            Some(live) => health::health(&object.kind, &live),
            None => Health::missing(),
        };
        match health.status {
            HealthStatus::Healthy => return Ok(()),
            HealthStatus::Degraded => {
                let mut reason = health.reason.unwrap_or_default();
                if object.kind == "Job" {
                    if let Some(pod) = failed_pod_reason(cluster, object).await {
                        reason = format!("{reason}; {pod}");
                    }
                }
                return Err(SyncError::HookFailed {
                    object: object.to_string(),
                    reason,
                });
            }
            _ if started.elapsed() >= timeout => {
                return Err(SyncError::HookFailed {
                    object: object.to_string(),
                    reason: format!(
                        "not complete after {}s: {}",
                        timeout.as_secs(),
                        health.reason.unwrap_or_default()
                    ),
                })
            }
            _ => tokio::time::sleep(POLL).await,
        }
    }
}

/// Why a Job's pod failed: the first terminated container with a non-zero
/// exit, as `container C exited N (Reason): message`.
async fn failed_pod_reason(cluster: &Cluster, job: &ObjRef) -> Option<String> {
    let pods = ObjRef {
        group: String::new(),
        version: "v1".into(),
        kind: "Pod".into(),
        namespace: job.namespace.clone(),
        name: String::new(),
    };
    let pods = cluster
        .list(&pods, &format!("job-name={}", job.name))
        .await
        .ok()?;
    pods.iter().find_map(pod_failure)
}

/// The failure of a pod's containers, if one exited non-zero.
pub fn pod_failure(pod: &Value) -> Option<String> {
    let statuses = pod["status"]["initContainerStatuses"]
        .as_array()
        .into_iter()
        .chain(pod["status"]["containerStatuses"].as_array())
        .flatten();
    for c in statuses {
        let terminated = &c["state"]["terminated"];
        let terminated = if terminated.is_object() {
            terminated
        } else {
            &c["lastState"]["terminated"]
        };
        let code = terminated["exitCode"].as_i64().unwrap_or(0);
        if code != 0 {
            let message = terminated["message"]
                .as_str()
                .map(|m| format!(": {}", m.trim()))
                .unwrap_or_default();
            return Some(format!(
                "pod {} container {} exited {code} ({}){message}",
                pod["metadata"]["name"].as_str().unwrap_or("?"),
                c["name"].as_str().unwrap_or("?"),
                terminated["reason"].as_str().unwrap_or("Error"),
            ));
        }
    }
    None
}

/// Polls until every object is healthy or `timeout` passes. Returns the
/// last live snapshot (for the report) and the verdict; the outer error is
/// an API failure.
async fn wait_healthy(
    cluster: &Cluster,
    app: &str,
    wave: i64,
    objects: &[ObjRef],
    timeout: Duration,
) -> Result<(Live, Result<(), SyncError>), SyncError> {
    let started = Instant::now();
    loop {
        let live = Live::list(cluster, app, objects).await?;
        let mut worst: Option<(ObjRef, Health)> = None;
        for object in objects {
            let health = live.health(object);
            if health.status != HealthStatus::Healthy
                && worst.as_ref().is_none_or(|(_, w)| health.status > w.status)
            {
                worst = Some((object.clone(), health));
            }
        }
        let Some((object, health)) = worst else {
            return Ok((live, Ok(())));
        };
        if started.elapsed() >= timeout {
            let error = SyncError::Unhealthy {
                wave,
                object: object.to_string(),
                secs: timeout.as_secs(),
                status: health.status,
                reason: health.reason.unwrap_or_default(),
            };
            return Ok((live, Err(error)));
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn prune(
    cluster: &Cluster,
    app: &AppSpec,
    old: &Inventory,
    entries: &mut BTreeMap<(String, String, String, String), Entry>,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let desired: Vec<ObjRef> = entries.values().map(|e| e.object.clone()).collect();
    let gone = inventory::prune_set(old, &desired);
    let keep_all = |entries: &mut BTreeMap<_, _>| {
        for object in &gone {
            if let Some(entry) = old.get(object) {
                entries.insert(object.key(), entry.clone());
            }
        }
    };
    if app.prune == PruneMode::Off {
        keep_all(entries);
        return Ok(());
    }
    if let Err(refusal) =
        inventory::check_prune(app.prune, old.entries.len(), desired.len(), gone.len())
    {
        warn!(app = %app.name, reason = %refusal, "prune refused");
        keep_all(entries);
        return Err(refusal.into());
    }
    let mut first_error = None;
    for object in gone {
        let live = match cluster.get(&object).await {
            Ok(live) => live,
            Err(e) => {
                keep_entry(old, &object, entries);
                first_error.get_or_insert(e);
                continue;
            }
        };
        let Some(live) = live else { continue };
        if let Err(reason) = inventory::may_prune(&live, &app.name) {
            info!(app = %app.name, object = %object, reason = %reason, "not pruned");
            report.kept.push((object, reason));
            continue;
        }
        match cluster.delete(&object, false).await {
            Ok(()) => {
                info!(app = %app.name, object = %object, "pruned");
                report.objects.push(ObjectReport {
                    object,
                    action: Action::Pruned,
                    health: Health::missing(),
                    desired: None,
                });
            }
            Err(e) => {
                // Kept in the inventory so the next reconcile tries again.
                keep_entry(old, &object, entries);
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

fn keep_entry(
    old: &Inventory,
    object: &ObjRef,
    entries: &mut BTreeMap<(String, String, String, String), Entry>,
) {
    if let Some(entry) = old.get(object) {
        entries.insert(object.key(), entry.clone());
    }
}

/// A drift correction that was made.
#[derive(Debug, Clone)]
pub struct Correction {
    /// Which object.
    pub object: ObjRef,
    /// The desired fields that differed, or `["(deleted)"]`.
    pub paths: Vec<String>,
    /// Who changed it last, when the live object says.
    pub by: Option<drift::Attribution>,
    /// Fields that still differ right after re-applying: the API server
    /// normalizes them (e.g. `0.5` CPU to `500m`), so they are not drift.
    pub normalized: Vec<String>,
    /// The object as applied.
    pub applied: Value,
}

/// Checks one changed or deleted object against what plumb applied and, if
/// it drifted, re-applies just that object (no render). `normalized` lists
/// paths the server is known to rewrite, which are not drift.
///
/// # Errors
/// [`ApplyError`] from the re-apply.
pub async fn correct_drift(
    cluster: &Cluster,
    object: &ObjRef,
    desired: &Value,
    live: Option<&Value>,
    normalized: &[String],
) -> Result<Option<Correction>, ApplyError> {
    if drift::ignored(desired) {
        return Ok(None);
    }
    let paths: Vec<String> = match live {
        None => vec!["(deleted)".to_string()],
        Some(live) => drift::differences(desired, live)
            .into_iter()
            .filter(|p| !normalized.contains(p))
            .collect(),
    };
    if paths.is_empty() {
        return Ok(None);
    }
    let by = live.and_then(|l| drift::attribution(l, super::apply::FIELD_MANAGER));
    let applied = cluster.apply(object, desired, true, false).await?;
    let normalized = drift::differences(desired, &applied);
    Ok(Some(Correction {
        object: object.clone(),
        paths,
        by,
        normalized,
        applied,
    }))
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
            Planned::Prune => "delete",
            Planned::Keep(_) => "keep",
        }
    }

    /// Whether the cluster would change.
    pub fn changes(&self) -> bool {
        matches!(
            self,
            Planned::Create | Planned::Update | Planned::Replace | Planned::Prune
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

/// Computes what [`sync`] would do, for `plumb diff` and `plumb sync --dry-run`.
///
/// # Errors
/// [`SyncError`] when the plan cannot be made or the API refuses a read or
/// a dry-run.
pub async fn preview(
    cluster: &Cluster,
    app: &AppSpec,
    revision: &str,
    objects: Vec<Object>,
) -> Result<Preview, SyncError> {
    let old = cluster.read_inventory(&app.name).await?;
    // Kinds that a CRD in this very plan defines cannot be resolved yet.
    let planned_kinds: Vec<String> = objects
        .iter()
        .filter(|o| o.kind() == "CustomResourceDefinition")
        .filter_map(|o| o.data["spec"]["names"]["kind"].as_str().map(str::to_string))
        .collect();
    let plan = order::plan(objects, old.is_empty())?;
    let mut preview = Preview::default();
    let mut desired = Vec::new();
    let hooks = |groups: &Vec<Vec<Hook>>, when: &str| -> Vec<(String, Object)> {
        groups
            .iter()
            .flatten()
            .map(|h| {
                (
                    format!("{when}-hook (weight {})", h.weight),
                    h.object.clone(),
                )
            })
            .collect()
    };
    let mut staged: Vec<(String, Object)> = hooks(&plan.pre_hooks, "pre");
    for wave in &plan.waves {
        staged.extend(
            wave.objects()
                .map(|o| (format!("wave {}", wave.number), o.clone())),
        );
    }
    staged.extend(hooks(&plan.post_hooks, "post"));

    for (phase, object) in staged {
        let prepared = match prepare(cluster, app, revision, &object).await {
            Ok(p) => p,
            Err(SyncError::Apply(ApplyError::UnknownKind { .. }))
                if planned_kinds.iter().any(|k| k == object.kind()) =>
            {
                let namespace = object.namespace().unwrap_or(&app.namespace).to_string();
                let reference = ObjRef::of(&object.data, &namespace);
                preview.items.push(PreviewItem {
                    phase,
                    diff: super::diff::unified(&reference.to_string(), None, Some(&object.data)),
                    object: reference,
                    planned: Planned::Create,
                });
                continue;
            }
            Err(e) => return Err(e),
        };
        desired.push(prepared.object.clone());
        let title = prepared.object.to_string();
        let live = cluster.get(&prepared.object).await?;
        let (planned, diff) = match &live {
            None => (
                Planned::Create,
                super::diff::unified(&title, None, Some(&prepared.data)),
            ),
            Some(live) => match cluster
                .apply(&prepared.object, &prepared.data, true, true)
                .await
            {
                Ok(result) => {
                    // The revision annotation alone is not a change.
                    let mut result = result;
                    result["metadata"]["annotations"][inventory::REVISION_ANNOTATION] =
                        live["metadata"]["annotations"][inventory::REVISION_ANNOTATION].clone();
                    let diff = super::diff::unified(&title, Some(live), Some(&result));
                    if diff.is_empty() {
                        (Planned::Unchanged, diff)
                    } else {
                        (Planned::Update, diff)
                    }
                }
                Err(ApplyError::Invalid {
                    immutable: true, ..
                }) => (
                    Planned::Replace,
                    super::diff::unified(&title, Some(live), Some(&prepared.data)),
                ),
                Err(e) => return Err(e.into()),
            },
        };
        preview.items.push(PreviewItem {
            phase,
            object: prepared.object,
            planned,
            diff,
        });
    }

    if app.prune == PruneMode::Off {
        return Ok(preview);
    }
    let gone = inventory::prune_set(&old, &desired);
    if let Err(refusal) =
        inventory::check_prune(app.prune, old.entries.len(), desired.len(), gone.len())
    {
        preview.prune_refused = Some(refusal);
        return Ok(preview);
    }
    for object in gone {
        let Some(live) = cluster.get(&object).await? else {
            continue;
        };
        let title = object.to_string();
        let (planned, diff) = match inventory::may_prune(&live, &app.name) {
            Ok(()) => (
                Planned::Prune,
                super::diff::unified(&title, Some(&live), None),
            ),
            Err(reason) => (Planned::Keep(reason), String::new()),
        };
        preview.items.push(PreviewItem {
            phase: "prune".into(),
            object,
            planned,
            diff,
        });
    }
    Ok(preview)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_pod_names_container_exit_code_and_message() {
        let pod = json!({"metadata": {"name": "migrate-x7"}, "status": {"containerStatuses": [
            {"name": "ok", "state": {"terminated": {"exitCode": 0}}},
            {"name": "migrate", "state": {"terminated": {"exitCode": 3, "reason": "Error", "message": "alembic: can't locate revision\n"}}}
        ]}});
        assert_eq!(
            pod_failure(&pod).unwrap(),
            "pod migrate-x7 container migrate exited 3 (Error): alembic: can't locate revision"
        );
        let restarted = json!({"metadata": {"name": "p"}, "status": {"containerStatuses": [
            {"name": "c", "state": {"waiting": {"reason": "CrashLoopBackOff"}}, "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}
        ]}});
        assert_eq!(
            pod_failure(&restarted).unwrap(),
            "pod p container c exited 137 (OOMKilled)"
        );
        assert_eq!(pod_failure(&json!({"status": {}})), None);
    }
}
