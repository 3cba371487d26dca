//! What a sync of one app will do, decided before anything is written.
//! Pure: from the desired objects (prepared: namespace and plumb's labels
//! set, hashed), the inventory and the live objects, [`plan`] decides every
//! action (create, update, unchanged; replace or refuse when an immutable
//! field changes; prune or keep), whether hooks run, and [`next_inventory`]
//! computes the inventory to record from what was then done.
//!
//! `engine::sync` carries a plan out; `engine::preview` (for `plumb diff`
//! and `plumb sync --dry-run`) shows the same plan, so a preview never shows
//! an action that a sync would not take.
//!
//! # Hooks
//! Helm runs upgrade hooks once per upgrade; for a GitOps agent an upgrade
//! is "this app's desired state changed". Hooks run on the first install,
//! and after that only when the set hash of the app's desired objects
//! (hooks included, after plumb's labels, without the revision annotation)
//! differs from the one recorded by the last fully successful sync, or when
//! forced (`plumb sync --force-hooks APP`). A reconcile of an unchanged app
//! therefore writes nothing, hooks included.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::inventory::{
    self, Applied, Entry, Inventory, KeepReason, PruneMode, PruneRefusal, ReleaseRecord,
};
use super::order::{self, DeletePolicy, OrderError, Stages};
use crate::object::{
    kinds, ObjKey, ObjRef, Object, APP_LABEL, MANAGED_BY, REPLACE_ANNOTATION, REVISION_ANNOTATION,
};

/// A desired object made ready for the cluster: its effective namespace
/// and plumb's labels set, and the hash that decides whether to write it.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    /// The object as rendered (its origin names it in messages).
    pub source: Object,
    /// Its identity, with the effective namespace.
    pub object: ObjRef,
    /// What is applied: labels, namespace and revision annotation set.
    pub data: Value,
    /// Hash of `data` without the revision annotation.
    pub hash: String,
}

impl AsRef<Object> for Desired {
    fn as_ref(&self) -> &Object {
        &self.source
    }
}

/// Sets the namespace (`namespaced` says whether the kind has one; the
/// app's namespace is the default), plumb's labels and the revision
/// annotation; hashes everything but the annotation, so a new revision
/// alone changes nothing.
pub fn prepare(
    object: &Object,
    namespaced: bool,
    app: &str,
    default_namespace: &str,
    revision: &str,
) -> Desired {
    let mut data = object.data.clone();
    let namespace = if namespaced {
        let ns = object.namespace().unwrap_or(default_namespace).to_string();
        data["metadata"]["namespace"] = json!(ns);
        ns
    } else {
        if let Some(meta) = data["metadata"].as_object_mut() {
            meta.remove("namespace");
        }
        String::new()
    };
    data["metadata"]["labels"][MANAGED_BY.0] = json!(MANAGED_BY.1);
    data["metadata"]["labels"][APP_LABEL] = json!(app);
    let hash = inventory::desired_hash(&data);
    data["metadata"]["annotations"][REVISION_ANNOTATION] = json!(revision);
    Desired {
        source: object.clone(),
        object: ObjRef::of(&data, &namespace),
        data,
        hash,
    }
}

/// The scope of a kind that a CustomResourceDefinition among `objects`
/// defines (`Some(true)` namespaced), for kinds the API server cannot know
/// before that CRD is applied.
pub fn scope_from_crds(objects: &[Object], api_version: &str, kind: &str) -> Option<bool> {
    let (group, version) = crate::object::split_api_version(api_version);
    objects
        .iter()
        .filter(|o| o.kind() == kinds::CRD)
        .find(|crd| {
            let spec = &crd.data["spec"];
            spec["group"] == group
                && spec["names"]["kind"] == kind
                && spec["versions"]
                    .as_array()
                    .is_some_and(|vs| vs.iter().any(|v| v["name"] == version))
        })
        .map(|crd| crd.data["spec"]["scope"] != "Cluster")
}

/// What a sync writes for one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// It does not exist: create it.
    Create,
    /// It exists and its desired state changed: apply it.
    Update,
    /// Its desired state is what plumb last applied and it exists: nothing.
    Unchanged,
}

impl Action {
    /// The word shown in plans.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Unchanged => "unchanged",
        }
    }
}

/// What to do when the API server refuses an update because an immutable
/// field changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnImmutable {
    /// Delete the object, wait until it is gone, create it again.
    Replace,
    /// Refuse, with a hint: the object holds data or was not allowed.
    Refuse {
        /// What the person can do.
        hint: &'static str,
    },
}

/// One object of a wave.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The object.
    pub desired: Desired,
    /// What to write.
    pub action: Action,
    /// Take over fields another manager changed: only for objects plumb
    /// applied before (a hand edit is plumb's to undo; a stranger's object
    /// is not).
    pub force: bool,
    /// What an immutable-field rejection leads to.
    pub on_immutable: OnImmutable,
}

/// One wave: kind-rank groups applied in order, then a health wait.
#[derive(Debug, Clone, PartialEq)]
pub struct WavePlan {
    /// The wave number.
    pub number: i64,
    /// Groups in order; the objects of a group are applied together.
    pub groups: Vec<Vec<Step>>,
}

/// A hook to run: created (afresh, by default), waited on until complete.
#[derive(Debug, Clone, PartialEq)]
pub struct HookStep {
    /// The hook object.
    pub desired: Desired,
    /// `helm.sh/hook-weight`.
    pub weight: i64,
    /// `helm.sh/hook-delete-policy`.
    pub delete: DeletePolicy,
}

/// Why hooks run, or why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookDecision {
    /// The app was never deployed successfully: `*-install` hooks run.
    Install,
    /// The app's desired objects changed since the last successful sync.
    Changed,
    /// Someone asked (`plumb sync --force-hooks`).
    Forced,
    /// Nothing changed: no hook runs.
    Unchanged,
}

impl HookDecision {
    /// Whether hooks run.
    pub fn runs(self) -> bool {
        self != HookDecision::Unchanged
    }
}

impl std::fmt::Display for HookDecision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HookDecision::Install => "first install",
            HookDecision::Changed => "the app's desired state changed",
            HookDecision::Forced => "forced",
            HookDecision::Unchanged => "the app's desired state is unchanged",
        })
    }
}

/// What happens to an inventory member that left git.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PruneAction {
    /// Delete it.
    Delete,
    /// Keep it, and forget it (someone else owns it now, or it is data).
    Keep(KeepReason),
    /// It is gone already: forget it.
    Gone,
}

/// The prune part of a plan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PrunePlan {
    /// Set when a safety rule refuses the whole prune (everything stays).
    pub refused: Option<PruneRefusal>,
    /// Each member that left git, dependents first, with its fate; empty
    /// when refused or when pruning is off.
    pub items: Vec<(ObjRef, PruneAction)>,
    /// Members that left git but stay in the inventory untouched (prune off
    /// or refused), so a later sync can still prune them.
    pub retained: Vec<ObjRef>,
}

/// Everything a sync of one app will do, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Helm's `IsInstall`: no sync of the app ever succeeded.
    pub install: bool,
    /// Whether hooks run, and why.
    pub hooks: HookDecision,
    /// Hooks before the waves, by weight (empty unless hooks run).
    pub pre_hooks: Vec<Vec<HookStep>>,
    /// The waves.
    pub waves: Vec<WavePlan>,
    /// Hooks after the waves, by weight (empty unless hooks run).
    pub post_hooks: Vec<Vec<HookStep>>,
    /// Hooks of this sync's kind not run because nothing changed.
    pub skipped_hooks: Vec<ObjRef>,
    /// What leaves the cluster.
    pub prune: PrunePlan,
    /// The set hash recorded when this sync succeeds.
    pub desired_hash: String,
    /// The release recorded when this sync succeeds and changed the
    /// desired state: the one a chart was rendered as, else the next.
    pub release: ReleaseRecord,
}

impl Plan {
    /// Every wave object, in apply order.
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.waves.iter().flat_map(|w| w.groups.iter().flatten())
    }

    /// Every hook that runs, in order.
    pub fn hook_steps(&self) -> impl Iterator<Item = &HookStep> {
        self.pre_hooks.iter().chain(&self.post_hooks).flatten()
    }

    /// Whether the sync writes nothing at all.
    pub fn is_noop(&self) -> bool {
        !self.hooks.runs()
            && self.steps().all(|s| s.action == Action::Unchanged)
            && self
                .prune
                .items
                .iter()
                .all(|(_, a)| *a != PruneAction::Delete)
    }
}

/// What [`plan`] needs besides the objects.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput<'a> {
    /// The app's name (prune checks its label).
    pub app: &'a str,
    /// The app's prune mode.
    pub prune: PruneMode,
    /// The inventory as read.
    pub inventory: &'a Inventory,
    /// Live state of desired objects, by key (absent: does not exist).
    pub live: &'a BTreeMap<ObjKey, Value>,
    /// Live state of inventory members that left git (absent: gone).
    pub leaving: &'a BTreeMap<ObjKey, Value>,
    /// Run hooks even when nothing changed.
    pub force_hooks: bool,
    /// The release a chart app's objects were rendered as; `None` for
    /// directory apps, which count on from the inventory's.
    pub release: Option<&'a ReleaseRecord>,
}

/// Decides what a sync does. `desired` holds every prepared object, hooks
/// included, in any order.
///
/// # Errors
/// [`OrderError`] for a bad wave or hook-weight annotation.
pub fn plan(desired: Vec<Desired>, input: PlanInput<'_>) -> Result<Plan, OrderError> {
    let install = input.inventory.is_install();
    let desired_hash = inventory::set_hash(desired.iter().map(|d| (&d.object, d.hash.as_str())));
    let recorded = input.inventory.applied.as_ref().map(|a| a.hash.as_str());
    let hooks = if install {
        HookDecision::Install
    } else if input.force_hooks {
        HookDecision::Forced
    } else if recorded != Some(desired_hash.as_str()) {
        HookDecision::Changed
    } else {
        HookDecision::Unchanged
    };

    let stages: Stages<Desired> = order::stages(desired, install)?;
    let hook_steps = |groups: Vec<Vec<order::Hook<Desired>>>| -> Vec<Vec<HookStep>> {
        groups
            .into_iter()
            .map(|g| {
                g.into_iter()
                    .map(|h| HookStep {
                        desired: h.object,
                        weight: h.weight,
                        delete: h.delete,
                    })
                    .collect()
            })
            .collect()
    };
    let (pre_hooks, post_hooks, skipped_hooks) = if hooks.runs() {
        (
            hook_steps(stages.pre_hooks),
            hook_steps(stages.post_hooks),
            Vec::new(),
        )
    } else {
        let skipped = stages
            .pre_hooks
            .iter()
            .chain(&stages.post_hooks)
            .flatten()
            .map(|h| h.object.object.clone())
            .collect();
        (Vec::new(), Vec::new(), skipped)
    };

    let waves: Vec<WavePlan> = stages
        .waves
        .into_iter()
        .map(|wave| WavePlan {
            number: wave.number,
            groups: wave
                .groups
                .into_iter()
                .map(|g| g.into_iter().map(|d| step(d, &input)).collect())
                .collect(),
        })
        .collect();

    let kept: Vec<ObjRef> = waves
        .iter()
        .flat_map(|w| w.groups.iter().flatten())
        .map(|s| s.desired.object.clone())
        .collect();
    let prune = prune_plan(&input, &kept);
    let release = match input.release {
        Some(rendered) => rendered.clone(),
        None => ReleaseRecord::after(input.inventory.release().as_ref()),
    };
    Ok(Plan {
        install,
        hooks,
        pre_hooks,
        waves,
        post_hooks,
        skipped_hooks,
        prune,
        desired_hash,
        release,
    })
}

fn step(desired: Desired, input: &PlanInput<'_>) -> Step {
    let key = desired.object.key();
    let previous = input.inventory.get(&desired.object);
    let exists = input.live.contains_key(&key);
    let action = match (exists, previous) {
        (false, _) => Action::Create,
        (true, Some(entry)) if entry.hash == desired.hash => Action::Unchanged,
        (true, _) => Action::Update,
    };
    let on_immutable = immutable_policy(&desired.source);
    Step {
        force: previous.is_some(),
        on_immutable,
        action,
        desired,
    }
}

/// Claims hold data and are never replaced; StatefulSets only when
/// annotated `plumb.dev/replace: allowed` (their claims stay); anything
/// else is deleted and created again.
pub fn immutable_policy(object: &Object) -> OnImmutable {
    match object.kind() {
        kinds::PVC => OnImmutable::Refuse {
            hint: "a claim holds data and is never replaced by plumb; change it by hand or give it a new name",
        },
        kinds::STATEFUL_SET if object.annotation(REPLACE_ANNOTATION) != Some("allowed") => {
            OnImmutable::Refuse {
                hint: "annotate the StatefulSet plumb.dev/replace: allowed to let plumb delete and re-create it (its PVCs stay)",
            }
        }
        _ => OnImmutable::Replace,
    }
}

fn prune_plan(input: &PlanInput<'_>, kept: &[ObjRef]) -> PrunePlan {
    let gone = inventory::prune_set(input.inventory, kept);
    if gone.is_empty() {
        return PrunePlan::default();
    }
    if input.prune == PruneMode::Off {
        return PrunePlan {
            retained: gone,
            ..PrunePlan::default()
        };
    }
    if let Err(refusal) = inventory::check_prune(
        input.prune,
        input.inventory.entries.len(),
        kept.len(),
        gone.len(),
    ) {
        return PrunePlan {
            refused: Some(refusal),
            items: Vec::new(),
            retained: gone,
        };
    }
    let items = gone
        .into_iter()
        .map(|object| {
            let action = match input.leaving.get(&object.key()) {
                None => PruneAction::Gone,
                Some(live) => match inventory::may_prune(live, input.app) {
                    Ok(()) => PruneAction::Delete,
                    Err(reason) => PruneAction::Keep(reason),
                },
            };
            (object, action)
        })
        .collect();
    PrunePlan {
        items,
        ..PrunePlan::default()
    }
}

/// What a sync did, for [`next_inventory`].
#[derive(Debug, Clone, Default)]
pub struct Done {
    /// Wave objects written or found unchanged, by key.
    pub applied: BTreeSet<ObjKey>,
    /// Members deleted by prune (or found gone).
    pub pruned: BTreeSet<ObjKey>,
    /// Whether every stage succeeded (hooks, waves healthy, prune).
    pub succeeded: bool,
}

/// The inventory to record after a sync at `revision` did `done`:
/// - every applied object with its new hash (an unchanged one keeps the
///   revision it was applied from);
/// - every old member not applied or pruned (a failed apply keeps its old
///   hash so the next sync writes it again; a failed or refused delete keeps
///   it so the next sync prunes it);
/// - no member that was pruned or kept because plumb may not delete it;
/// - the set hash only when the whole sync succeeded, so hooks run again
///   after a failure.
pub fn next_inventory(old: &Inventory, plan: &Plan, done: &Done, revision: &str) -> Inventory {
    let mut entries: BTreeMap<ObjKey, Entry> = BTreeMap::new();
    for step in plan.steps() {
        let key = step.desired.object.key();
        if !done.applied.contains(&key) {
            continue;
        }
        let previous = old.get(&step.desired.object);
        let revision = match (step.action, previous) {
            (Action::Unchanged, Some(entry)) => entry.revision.clone(),
            _ => revision.to_string(),
        };
        entries.insert(
            key,
            Entry {
                object: step.desired.object.clone(),
                hash: step.desired.hash.clone(),
                revision,
            },
        );
    }
    let forgotten: BTreeSet<ObjKey> = plan
        .prune
        .items
        .iter()
        .filter(|(o, action)| match action {
            PruneAction::Delete => done.pruned.contains(&o.key()),
            PruneAction::Keep(_) | PruneAction::Gone => done.succeeded,
        })
        .map(|(o, _)| o.key())
        .collect();
    for entry in &old.entries {
        let key = entry.object.key();
        if !entries.contains_key(&key) && !forgotten.contains(&key) {
            entries.insert(key, entry.clone());
        }
    }
    // The revision recorded is the one that brought the current desired
    // state, so an unchanged app's inventory is never rewritten.
    let applied = match &old.applied {
        Some(previous) if !done.succeeded || previous.hash == plan.desired_hash => {
            Some(previous.clone())
        }
        _ if done.succeeded => Some(Applied {
            hash: plan.desired_hash.clone(),
            revision: revision.to_string(),
            release: Some(plan.release.clone()),
        }),
        _ => None,
    };
    Inventory {
        entries: entries.into_values().collect(),
        applied,
        versioned: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::{Origin, HOOK_ANNOTATION, WAVE_ANNOTATION};

    fn object(kind: &str, name: &str, data: Value) -> Object {
        let api_version = match kind {
            "Deployment" | "StatefulSet" => "apps/v1",
            "Job" => "batch/v1",
            _ => "v1",
        };
        let mut d = json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": name}});
        if let (Some(map), Some(extra)) = (d.as_object_mut(), data.as_object()) {
            for (k, v) in extra {
                if k == "metadata" {
                    continue;
                }
                map.insert(k.clone(), v.clone());
            }
        }
        if let Some(annotations) = data["metadata"]["annotations"].as_object() {
            d["metadata"]["annotations"] = json!(annotations);
        }
        Object {
            data: d,
            origin: Origin::file("m/all.yaml", 0, 1),
        }
    }

    fn cm(name: &str, value: &str) -> Object {
        object("ConfigMap", name, json!({"data": {"v": value}}))
    }

    fn hook(name: &str, when: &str) -> Object {
        object(
            "Job",
            name,
            json!({"metadata": {"annotations": {HOOK_ANNOTATION: when}}, "spec": {"x": 1}}),
        )
    }

    fn ready(objects: &[Object], revision: &str) -> Vec<Desired> {
        objects
            .iter()
            .map(|o| prepare(o, o.kind() != "Namespace", "demo", "demo", revision))
            .collect()
    }

    /// The cluster and inventory as a sync of `objects` at `revision` that
    /// fully succeeded leaves them.
    fn deployed(objects: &[Object], revision: &str) -> (Inventory, BTreeMap<ObjKey, Value>) {
        let desired = ready(objects, revision);
        let live = desired
            .iter()
            .map(|d| (d.object.key(), d.data.clone()))
            .collect();
        let empty = BTreeMap::new();
        let p = plan(desired, input(&Inventory::default(), &empty, &empty)).unwrap();
        let done = Done {
            applied: p.steps().map(|s| s.desired.object.key()).collect(),
            pruned: BTreeSet::new(),
            succeeded: true,
        };
        (
            next_inventory(&Inventory::default(), &p, &done, revision),
            live,
        )
    }

    fn input<'a>(
        inventory: &'a Inventory,
        live: &'a BTreeMap<ObjKey, Value>,
        leaving: &'a BTreeMap<ObjKey, Value>,
    ) -> PlanInput<'a> {
        PlanInput {
            app: "demo",
            prune: PruneMode::On,
            inventory,
            live,
            leaving,
            force_hooks: false,
            release: None,
        }
    }

    fn actions(p: &Plan) -> Vec<(String, Action)> {
        p.steps()
            .map(|s| (s.desired.object.name.clone(), s.action))
            .collect()
    }

    #[test]
    fn prepare_sets_namespace_labels_and_revision_outside_the_hash() {
        let o = cm("a", "1");
        let d = prepare(&o, true, "demo", "demo-ns", "rev1");
        assert_eq!(d.object.to_string(), "ConfigMap/demo-ns/a");
        assert_eq!(d.data["metadata"]["namespace"], "demo-ns");
        assert_eq!(d.data["metadata"]["labels"][APP_LABEL], "demo");
        assert_eq!(d.data["metadata"]["labels"][MANAGED_BY.0], "plumb");
        assert_eq!(
            d.data["metadata"]["annotations"][REVISION_ANNOTATION],
            "rev1"
        );
        let again = prepare(&o, true, "demo", "demo-ns", "rev2");
        assert_eq!(d.hash, again.hash, "a new revision alone is not a change");
        let mut ns = object("Namespace", "x", json!({}));
        ns.data["metadata"]["namespace"] = json!("stray");
        let cluster_scoped = prepare(&ns, false, "demo", "demo", "r");
        assert!(cluster_scoped.data["metadata"].get("namespace").is_none());
        assert_eq!(cluster_scoped.object.namespace, "");
    }

    #[test]
    fn a_first_sync_creates_everything_and_runs_install_hooks() {
        let objects = [cm("a", "1"), hook("migrate", "pre-install,pre-upgrade")];
        let empty = BTreeMap::new();
        let inv = Inventory::default();
        let p = plan(ready(&objects, "r1"), input(&inv, &empty, &empty)).unwrap();
        assert!(p.install);
        assert_eq!(p.hooks, HookDecision::Install);
        assert_eq!(p.pre_hooks.len(), 1);
        assert_eq!(actions(&p), [("a".to_string(), Action::Create)]);
        assert!(p.steps().all(|s| !s.force), "nothing of ours yet: no force");
        assert!(!p.is_noop());
    }

    #[test]
    fn an_unchanged_app_writes_nothing_and_runs_no_hook() {
        let objects = [cm("a", "1"), hook("migrate", "pre-install,pre-upgrade")];
        let (inv, live) = deployed(&objects, "r1");
        let empty = BTreeMap::new();
        // A new revision (another app's commit) with the same objects.
        let p = plan(ready(&objects, "r2"), input(&inv, &live, &empty)).unwrap();
        assert!(!p.install);
        assert_eq!(p.hooks, HookDecision::Unchanged);
        assert!(p.pre_hooks.is_empty());
        assert_eq!(p.skipped_hooks.len(), 1);
        assert_eq!(actions(&p), [("a".to_string(), Action::Unchanged)]);
        assert!(p.is_noop());
        let done = Done {
            applied: p.steps().map(|s| s.desired.object.key()).collect(),
            pruned: BTreeSet::new(),
            succeeded: true,
        };
        assert_eq!(
            next_inventory(&inv, &p, &done, "r2"),
            inv,
            "an unchanged app's inventory is not rewritten"
        );
        let forced = PlanInput {
            force_hooks: true,
            ..input(&inv, &live, &empty)
        };
        let p = plan(ready(&objects, "r2"), forced).unwrap();
        assert_eq!(p.hooks, HookDecision::Forced);
        assert_eq!(p.pre_hooks.len(), 1);
        assert_eq!(actions(&p), [("a".to_string(), Action::Unchanged)]);
    }

    #[test]
    fn a_changed_object_or_hook_runs_upgrade_hooks() {
        let objects = [cm("a", "1"), hook("migrate", "pre-install,pre-upgrade")];
        let (inv, live) = deployed(&objects, "r1");
        let empty = BTreeMap::new();
        let changed = [cm("a", "2"), hook("migrate", "pre-install,pre-upgrade")];
        let p = plan(ready(&changed, "r2"), input(&inv, &live, &empty)).unwrap();
        assert_eq!(p.hooks, HookDecision::Changed);
        assert_eq!(actions(&p), [("a".to_string(), Action::Update)]);
        assert!(p.steps().all(|s| s.force), "ours: force over hand edits");
        // Only the hook changed: it runs, the ConfigMap is not written.
        let mut new_hook = hook("migrate", "pre-install,pre-upgrade");
        new_hook.data["spec"]["x"] = json!(2);
        let p = plan(
            ready(&[cm("a", "1"), new_hook], "r2"),
            input(&inv, &live, &empty),
        )
        .unwrap();
        assert_eq!(p.hooks, HookDecision::Changed);
        assert_eq!(actions(&p), [("a".to_string(), Action::Unchanged)]);
        // An upgrade runs upgrade hooks, not install hooks.
        let objects = [cm("a", "2"), hook("seed", "post-install")];
        let p = plan(ready(&objects, "r3"), input(&inv, &live, &empty)).unwrap();
        assert!(p.post_hooks.is_empty());
    }

    /// Plans `objects` over `inv`, as rendered as `release` (or a
    /// directory app's with `None`), and records a full success.
    fn succeed(
        objects: &[Object],
        inv: &Inventory,
        live: &BTreeMap<ObjKey, Value>,
        release: Option<&ReleaseRecord>,
    ) -> Inventory {
        let empty = BTreeMap::new();
        let p = plan(
            ready(objects, "r"),
            PlanInput {
                release,
                ..input(inv, live, &empty)
            },
        )
        .unwrap();
        let done = Done {
            applied: p.steps().map(|s| s.desired.object.key()).collect(),
            pruned: BTreeSet::new(),
            succeeded: true,
        };
        next_inventory(inv, &p, &done, "r")
    }

    #[test]
    fn releases_count_up_with_each_change_of_the_desired_state() {
        let empty = BTreeMap::new();
        let first = succeed(&[cm("a", "1")], &Inventory::default(), &empty, None);
        let record = first.applied.clone().unwrap().release.unwrap();
        assert_eq!((record.revision, record.upgrade), (1, false));
        let (_, live) = deployed(&[cm("a", "1")], "r");
        let same = succeed(&[cm("a", "1")], &first, &live, None);
        assert_eq!(same, first, "no change: the same release");
        let second = succeed(&[cm("a", "2")], &first, &live, None);
        let record = second.applied.unwrap().release.unwrap();
        assert_eq!((record.revision, record.upgrade), (2, true));
        // A chart's render says which release it is; that one is recorded.
        let rendered = ReleaseRecord {
            revision: 7,
            upgrade: true,
            inputs: Some("f".into()),
        };
        let chart = succeed(&[cm("a", "3")], &first, &live, Some(&rendered));
        assert_eq!(chart.release(), Some(rendered));
    }

    #[test]
    fn a_failed_sync_does_not_record_the_hash_so_hooks_run_again() {
        let objects = [cm("a", "1"), hook("migrate", "pre-upgrade,pre-install")];
        let (inv, live) = deployed(&objects, "r1");
        let empty = BTreeMap::new();
        let changed = [cm("a", "2"), hook("migrate", "pre-upgrade,pre-install")];
        let p = plan(ready(&changed, "r2"), input(&inv, &live, &empty)).unwrap();
        let failed = Done {
            applied: BTreeSet::new(),
            pruned: BTreeSet::new(),
            succeeded: false,
        };
        let after = next_inventory(&inv, &p, &failed, "r2");
        assert_eq!(
            after.applied, inv.applied,
            "the last success stays on record"
        );
        assert_eq!(
            after.entries, inv.entries,
            "the old hash stays: write again"
        );
        let retry = plan(ready(&changed, "r2"), input(&after, &live, &empty)).unwrap();
        assert_eq!(retry.hooks, HookDecision::Changed);
    }

    #[test]
    fn a_failed_first_install_stays_an_install() {
        let objects = [cm("a", "1"), hook("init", "pre-install")];
        let empty = BTreeMap::new();
        let inv = Inventory::default();
        let p = plan(ready(&objects, "r1"), input(&inv, &empty, &empty)).unwrap();
        let done = Done {
            applied: p.steps().map(|s| s.desired.object.key()).collect(),
            pruned: BTreeSet::new(),
            succeeded: false,
        };
        let after = next_inventory(&inv, &p, &done, "r1");
        assert_eq!(after.entries.len(), 1, "what was applied is recorded");
        assert!(after.is_install());
        let live: BTreeMap<_, _> = ready(&objects[..1], "r1")
            .into_iter()
            .map(|d| (d.object.key(), d.data))
            .collect();
        let retry = plan(ready(&objects, "r1"), input(&after, &live, &empty)).unwrap();
        assert_eq!(retry.hooks, HookDecision::Install);
        assert_eq!(retry.pre_hooks.len(), 1);
    }

    #[test]
    fn a_deleted_object_is_created_again_even_if_unchanged() {
        let objects = [cm("a", "1"), cm("b", "1")];
        let (inv, mut live) = deployed(&objects, "r1");
        live.retain(|k, _| k.name != "b");
        let empty = BTreeMap::new();
        let p = plan(ready(&objects, "r2"), input(&inv, &live, &empty)).unwrap();
        assert_eq!(
            actions(&p),
            [
                ("a".to_string(), Action::Unchanged),
                ("b".to_string(), Action::Create)
            ]
        );
        assert!(p.steps().all(|s| s.force), "b was ours: force");
    }

    #[test]
    fn prune_deletes_ours_keeps_others_and_forgets_the_gone() {
        let names = ["a", "b", "c", "d", "e", "f", "g"];
        let objects: Vec<Object> = names.iter().map(|n| cm(n, "1")).collect();
        let (inv, live) = deployed(&objects, "r1");
        let mut leaving = BTreeMap::new();
        let key = |n: &str| ready(&[cm(n, "1")], "r1")[0].object.key();
        leaving.insert(key("b"), live[&key("b")].clone());
        let mut foreign = live[&key("c")].clone();
        foreign["metadata"]["labels"] = json!({});
        leaving.insert(key("c"), foreign);
        // d is gone already; a, e, f and g stay desired.
        let staying: Vec<Object> = ["a", "e", "f", "g"].iter().map(|n| cm(n, "1")).collect();
        let p = plan(ready(&staying, "r2"), input(&inv, &live, &leaving)).unwrap();
        let fates: Vec<_> = p
            .prune
            .items
            .iter()
            .map(|(o, a)| (o.name.as_str(), a.clone()))
            .collect();
        assert_eq!(
            fates,
            [
                ("b", PruneAction::Delete),
                ("c", PruneAction::Keep(KeepReason::NotOurs)),
                ("d", PruneAction::Gone)
            ]
        );
        let done = Done {
            applied: p.steps().map(|s| s.desired.object.key()).collect(),
            pruned: BTreeSet::new(),
            succeeded: false,
        };
        let after = next_inventory(&inv, &p, &done, "r2");
        let names: Vec<_> = after
            .entries
            .iter()
            .map(|e| e.object.name.as_str())
            .collect();
        assert_eq!(
            names,
            ["a", "b", "c", "d", "e", "f", "g"],
            "a failed sync keeps all"
        );
        let done = Done {
            pruned: BTreeSet::from([key("b")]),
            succeeded: true,
            ..done
        };
        let after = next_inventory(&inv, &p, &done, "r2");
        let names: Vec<_> = after
            .entries
            .iter()
            .map(|e| e.object.name.as_str())
            .collect();
        assert_eq!(names, ["a", "e", "f", "g"]);
        assert_eq!(
            after.entries[0].revision, "r1",
            "unchanged keeps its revision"
        );
    }

    #[test]
    fn refused_or_disabled_prunes_keep_the_members_on_record() {
        let objects = [cm("a", "1"), cm("b", "1"), cm("c", "1")];
        let (inv, live) = deployed(&objects, "r1");
        let empty = BTreeMap::new();
        let p = plan(ready(&objects[..1], "r2"), input(&inv, &live, &empty)).unwrap();
        assert_eq!(
            p.prune.refused,
            Some(PruneRefusal::TooMany {
                delete: 2,
                total: 3
            })
        );
        assert!(p.prune.items.is_empty());
        assert_eq!(p.prune.retained.len(), 2);
        let done = Done {
            applied: p.steps().map(|s| s.desired.object.key()).collect(),
            ..Done::default()
        };
        assert_eq!(next_inventory(&inv, &p, &done, "r2").entries.len(), 3);
        let off = PlanInput {
            prune: PruneMode::Off,
            ..input(&inv, &live, &empty)
        };
        let p = plan(ready(&objects[..2], "r2"), off).unwrap();
        assert!(p.prune.refused.is_none() && p.prune.items.is_empty());
        assert_eq!(p.prune.retained.len(), 1);
        let empty_render = plan(Vec::new(), input(&inv, &live, &empty)).unwrap();
        assert!(matches!(
            empty_render.prune.refused,
            Some(PruneRefusal::EmptyRender { count: 3 })
        ));
    }

    #[test]
    fn immutable_fields_replace_except_claims_and_unannotated_statefulsets() {
        let pvc = object("PersistentVolumeClaim", "data", json!({}));
        assert!(matches!(immutable_policy(&pvc), OnImmutable::Refuse { .. }));
        let sts = object("StatefulSet", "db", json!({}));
        assert!(matches!(immutable_policy(&sts), OnImmutable::Refuse { .. }));
        let allowed = object(
            "StatefulSet",
            "db",
            json!({"metadata": {"annotations": {REPLACE_ANNOTATION: "allowed"}}}),
        );
        assert_eq!(immutable_policy(&allowed), OnImmutable::Replace);
        assert_eq!(immutable_policy(&hook("j", "x")), OnImmutable::Replace);
    }

    #[test]
    fn waves_keep_their_order_and_hooks_stay_out_of_them() {
        let late = object(
            "ConfigMap",
            "late",
            json!({"metadata": {"annotations": {WAVE_ANNOTATION: "2"}}}),
        );
        let objects = [late, cm("a", "1"), hook("migrate", "pre-install")];
        let empty = BTreeMap::new();
        let inv = Inventory::default();
        let p = plan(ready(&objects, "r1"), input(&inv, &empty, &empty)).unwrap();
        let waves: Vec<_> = p.waves.iter().map(|w| w.number).collect();
        assert_eq!(waves, [0, 2]);
        assert_eq!(p.steps().count(), 2);
        let mut bad = cm("x", "1");
        bad.data["metadata"]["annotations"] = json!({WAVE_ANNOTATION: "soon"});
        assert!(plan(ready(&[bad], "r1"), input(&inv, &empty, &empty)).is_err());
    }

    #[test]
    fn crd_scopes_are_read_from_the_crds_in_the_same_set() {
        let crd = Object {
            data: json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": {"name": "widgets.example.com"},
                "spec": {"group": "example.com", "scope": "Namespaced", "names": {"kind": "Widget"},
                         "versions": [{"name": "v1"}]}}),
            origin: Origin::default(),
        };
        let objects = [crd.clone()];
        assert_eq!(
            scope_from_crds(&objects, "example.com/v1", "Widget"),
            Some(true)
        );
        assert_eq!(scope_from_crds(&objects, "example.com/v2", "Widget"), None);
        let mut cluster = crd;
        cluster.data["spec"]["scope"] = json!("Cluster");
        assert_eq!(
            scope_from_crds(&[cluster], "example.com/v1", "Widget"),
            Some(false)
        );
    }
}
