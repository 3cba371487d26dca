//! Drift: a managed object whose live state no longer matches what plumb
//! applied, and putting it back.
//!
//! The decisions are pure: which desired fields differ in the live object
//! ([`differences`]), who changed them ([`owners`], from the `fieldsV1` of
//! `managedFields`, whatever the operation or subresource), whether a seen
//! change is stale or already handled, and when repeated corrections are a
//! fight ([`FightGuard`]). [`DriftState`] holds what one app's task knows
//! (the last desired set, paths the server normalizes, recent corrections);
//! [`correct`] is the one API call, a forced server-side apply.
//!
//! Only fields plumb sets are compared, so server defaults, status and
//! fields owned by controllers never count as drift. Labels and annotations
//! plumb sets are compared like any other field (a removed label is drift).
//!
//! # Guarantees
//! - One change is one correction: changes seen while a correction is in
//!   flight are coalesced per object, and a change older than plumb's own
//!   correction (by resourceVersion) is ignored, then the object is checked
//!   once more.
//! - A fight is called only when corrections keep being undone across
//!   separate changes ([`FIGHT_LIMIT`] within [`FIGHT_WINDOW`]); then plumb
//!   backs off exponentially and names who is fighting.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::apply::{ApplyError, Cluster, FIELD_MANAGER};
use crate::object::{ObjKey, ObjRef, DRIFT_ANNOTATION};

/// Corrections of one object within this window count toward a fight.
pub const FIGHT_WINDOW: Duration = Duration::from_secs(60);
/// This many corrections within [`FIGHT_WINDOW`] are a fight.
pub const FIGHT_LIMIT: usize = 3;

/// Whether the desired object opted out of drift correction.
pub fn ignored(desired: &Value) -> bool {
    desired["metadata"]["annotations"][DRIFT_ANNOTATION] == "ignore"
}

/// One step of a path into an object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Seg {
    /// A map key (keys may contain dots: `app.kubernetes.io/name`).
    Key(String),
    /// A list index.
    Index(usize),
}

/// A path to a field, e.g. `spec.template.spec.containers[0].image`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FieldPath(pub Vec<Seg>);

impl FieldPath {
    fn child(&self, seg: Seg) -> FieldPath {
        let mut segs = self.0.clone();
        segs.push(seg);
        FieldPath(segs)
    }
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// The paths of desired fields whose live value differs (or is missing).
/// Empty when the live object carries everything plumb applied.
pub fn differences(desired: &Value, live: &Value) -> Vec<FieldPath> {
    let mut out = Vec::new();
    let Some(fields) = desired.as_object() else {
        return out;
    };
    for (key, want) in fields {
        match key.as_str() {
            "status" | "apiVersion" | "kind" => {}
            "metadata" => {
                for part in ["labels", "annotations"] {
                    let path = FieldPath(vec![Seg::Key("metadata".into()), Seg::Key(part.into())]);
                    compare(&want[part], &live["metadata"][part], path, &mut out);
                }
            }
            _ => compare(
                want,
                &live[key.as_str()],
                FieldPath(vec![Seg::Key(key.clone())]),
                &mut out,
            ),
        }
    }
    out
}

fn compare(want: &Value, have: &Value, path: FieldPath, out: &mut Vec<FieldPath>) {
    match (want, have) {
        (Value::Null, _) => {}
        (Value::Object(want), Value::Object(have)) => {
            for (key, w) in want {
                let child = path.child(Seg::Key(key.clone()));
                match have.get(key) {
                    Some(h) => compare(w, h, child, out),
                    None if w.is_null() => {}
                    None => out.push(child),
                }
            }
        }
        (Value::Array(want), Value::Array(have)) if want.len() == have.len() => {
            for (i, (w, h)) in want.iter().zip(have).enumerate() {
                compare(w, h, path.child(Seg::Index(i)), out);
            }
        }
        (Value::Number(w), Value::Number(h)) => {
            if w.as_f64() != h.as_f64() {
                out.push(path);
            }
        }
        (w, h) => {
            if w != h {
                out.push(path);
            }
        }
    }
}

/// A field manager that owns drifted fields, from `managedFields`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribution {
    /// The field manager, e.g. `kubectl`, `kubectl-edit`, `kubectl-client-side-apply`.
    pub manager: String,
    /// `Update` or `Apply`.
    pub operation: String,
    /// The subresource written (`scale`, `status`), if any.
    pub subresource: Option<String>,
    /// When, as the API server recorded it; some writes carry no time
    /// (the scale subresource).
    pub time: Option<String>,
}

impl std::fmt::Display for Attribution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}", self.manager, self.operation)?;
        if let Some(sub) = &self.subresource {
            write!(f, " of /{sub}")?;
        }
        if let Some(time) = &self.time {
            write!(f, " at {time}")?;
        }
        f.write_str(")")
    }
}

/// Every manager other than `own_manager` whose `fieldsV1` own at least one
/// of `paths` in `live`, newest first (entries without a time last). Never
/// an entry that owns none of them: a removed field has no owner, so its
/// remover cannot be named.
pub fn owners(live: &Value, paths: &[FieldPath], own_manager: &str) -> Vec<Attribution> {
    let Some(entries) = live["metadata"]["managedFields"].as_array() else {
        return Vec::new();
    };
    let mut found: Vec<Attribution> = entries
        .iter()
        .filter(|m| m["manager"].as_str().is_some_and(|n| n != own_manager))
        .filter(|m| paths.iter().any(|p| owns(&m["fieldsV1"], live, &p.0)))
        .map(|m| Attribution {
            manager: m["manager"].as_str().unwrap_or("unknown").to_string(),
            operation: m["operation"].as_str().unwrap_or("Update").to_string(),
            subresource: m["subresource"]
                .as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            time: m["time"].as_str().map(str::to_string),
        })
        .collect();
    found.sort_by(|a, b| b.time.cmp(&a.time));
    found
}

/// Whether a `fieldsV1` set owns the field at `path` of `live` (or part of
/// it: owning any field below a drifted list or map counts).
fn owns(fields: &Value, live: &Value, path: &[Seg]) -> bool {
    let Some((seg, rest)) = path.split_first() else {
        return fields.is_object();
    };
    let Some(set) = fields.as_object() else {
        return false;
    };
    match seg {
        Seg::Key(key) => set
            .get(&format!("f:{key}"))
            .is_some_and(|child| owns(child, &live[key.as_str()], rest)),
        Seg::Index(i) => {
            let element = &live[*i];
            if element.is_null() {
                return false;
            }
            set.iter().any(|(name, child)| {
                list_key_matches(name, element, *i) && owns(child, element, rest)
            })
        }
    }
}

/// Whether a `fieldsV1` list member name (`k:{...}`, `v:...`, `i:N`) is
/// this element.
fn list_key_matches(name: &str, element: &Value, index: usize) -> bool {
    if let Some(keys) = name.strip_prefix("k:") {
        return serde_json::from_str::<serde_json::Map<String, Value>>(keys).is_ok_and(|keys| {
            keys.iter().all(|(k, v)| match (&element[k.as_str()], v) {
                (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
                (a, b) => a == b,
            })
        });
    }
    if let Some(value) = name.strip_prefix("v:") {
        return serde_json::from_str::<Value>(value).is_ok_and(|v| &v == element);
    }
    name.strip_prefix("i:")
        .and_then(|n| n.parse::<usize>().ok())
        .is_some_and(|n| n == index)
}

/// Managers as a person reads them: `kubectl (Update of /scale)` or
/// `kubectl-edit (Update at T), kubectl-label (Update at T)`.
pub fn describe(owners: &[Attribution]) -> String {
    let parts: Vec<String> = owners.iter().map(|a| a.to_string()).collect();
    parts.join(", ")
}

/// Per-object guard against fighting another writer: the first
/// [`FIGHT_LIMIT`] − 1 corrections within [`FIGHT_WINDOW`] are immediate;
/// the one that reaches the limit declares a fight, and each later one
/// waits twice as long as the last (from `first` up to `max`). An object
/// left alone for the window is forgiven.
#[derive(Debug)]
pub struct FightGuard {
    window: Duration,
    limit: usize,
    first: Duration,
    max: Duration,
    state: HashMap<ObjKey, Fight>,
}

#[derive(Debug, Default)]
struct Fight {
    times: VecDeque<Instant>,
    delay: Duration,
    managers: BTreeSet<String>,
    declared: bool,
}

/// A fight, as declared when it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FightStart {
    /// Corrections within the window, this one included.
    pub corrections: usize,
    /// Who changed the object in those corrections.
    pub managers: Vec<String>,
    /// How long plumb waits before the next correction.
    pub next_wait: Duration,
}

impl FightGuard {
    /// The defaults: 3 corrections in 60 s; waits from 1 s up to 5 min.
    pub fn new() -> FightGuard {
        FightGuard::with(
            FIGHT_WINDOW,
            FIGHT_LIMIT,
            Duration::from_secs(1),
            Duration::from_secs(300),
        )
    }

    /// Custom limits.
    pub fn with(window: Duration, limit: usize, first: Duration, max: Duration) -> FightGuard {
        FightGuard {
            window,
            limit: limit.max(1),
            first,
            max,
            state: HashMap::new(),
        }
    }

    /// Forgets objects left alone for the window (or, in a fight, for their
    /// current wait if longer), and corrections older than the window; the
    /// newest correction is kept, as the next wait counts from it.
    fn forget_old(&mut self, now: Instant) {
        let window = self.window;
        let age = |t: &Instant| now.saturating_duration_since(*t);
        self.state.retain(|_, fight| {
            fight
                .times
                .back()
                .is_some_and(|last| age(last) < window.max(fight.delay))
        });
        for fight in self.state.values_mut() {
            while fight.times.len() > 1 && fight.times.front().is_some_and(|t| age(t) >= window) {
                fight.times.pop_front();
            }
        }
    }

    /// How long to wait before correcting `key` at `now` (zero: at once).
    pub fn wait(&mut self, key: &ObjKey, now: Instant) -> Duration {
        self.forget_old(now);
        match self.state.get(key) {
            Some(fight) if fight.declared => fight
                .times
                .back()
                .map(|last| (*last + fight.delay).saturating_duration_since(now))
                .unwrap_or_default(),
            _ => Duration::ZERO,
        }
    }

    /// Records a correction of `key` at `now`, undoing `managers`' change;
    /// returns the fight when this correction starts one.
    pub fn corrected(
        &mut self,
        key: &ObjKey,
        now: Instant,
        managers: &[String],
    ) -> Option<FightStart> {
        self.forget_old(now);
        let (limit, first, max) = (self.limit, self.first, self.max);
        let fight = self.state.entry(key.clone()).or_default();
        fight.times.push_back(now);
        fight.managers.extend(managers.iter().cloned());
        if fight.times.len() < limit {
            return None;
        }
        fight.delay = if fight.delay.is_zero() {
            first
        } else {
            (fight.delay * 2).min(max)
        };
        if fight.declared {
            return None;
        }
        fight.declared = true;
        Some(FightStart {
            corrections: fight.times.len(),
            managers: fight.managers.iter().cloned().collect(),
            next_wait: fight.delay,
        })
    }

    /// Whether `key` is in a declared fight.
    pub fn fighting(&self, key: &ObjKey) -> bool {
        self.state.get(key).is_some_and(|f| f.declared)
    }
}

impl Default for FightGuard {
    fn default() -> Self {
        FightGuard::new()
    }
}

/// A change seen on a managed object by the watch.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Which object.
    pub object: ObjRef,
    /// Its live state; `None` when it was deleted.
    pub live: Option<Value>,
    /// `metadata.resourceVersion` of the event's object (also for a delete).
    pub resource_version: Option<String>,
}

/// What reaches an app's task about its objects.
#[derive(Debug, Clone)]
pub enum DriftInput {
    /// The watch saw a change.
    Seen(Seen),
    /// A delayed check (after a fight's backoff) is due: read the object
    /// and decide again.
    Recheck(ObjRef),
}

impl DriftInput {
    /// Which object it is about.
    pub fn object(&self) -> &ObjRef {
        match self {
            DriftInput::Seen(seen) => &seen.object,
            DriftInput::Recheck(object) => object,
        }
    }
}

/// What to do about a seen change.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Not plumb's business: not managed, opted out, or no difference.
    Fine,
    /// Older than plumb's own last correction of the object: ignore.
    Stale,
    /// The resourceVersions cannot be compared: read the object once more.
    Recheck,
    /// Corrections keep being undone: hold off this long, then check again.
    Wait(Duration),
    /// Put it back.
    Correct(Drifted),
}

/// A drift to correct.
#[derive(Debug, Clone, PartialEq)]
pub struct Drifted {
    /// Which object.
    pub object: ObjRef,
    /// What to apply.
    pub desired: Value,
    /// The desired fields that differ (empty for a deleted object).
    pub paths: Vec<FieldPath>,
    /// Whether it was deleted.
    pub deleted: bool,
    /// Who owns the drifted fields now.
    pub by: Vec<Attribution>,
}

impl Drifted {
    /// The drifted fields as a person reads them.
    pub fn fields(&self) -> String {
        if self.deleted {
            return "(deleted)".to_string();
        }
        let parts: Vec<String> = self.paths.iter().map(|p| p.to_string()).collect();
        parts.join(", ")
    }

    /// Who changed it, for logs and events: the owners, `deleted`, or
    /// `unknown` (a removed field has no owner).
    pub fn by_text(&self) -> String {
        match (self.deleted, self.by.is_empty()) {
            (true, _) => "deleted".to_string(),
            (false, true) => "unknown".to_string(),
            (false, false) => describe(&self.by),
        }
    }

    /// The metric label: the newest owner's name, `deleted` or `unknown`.
    pub fn manager_label(&self) -> String {
        match (self.deleted, self.by.first()) {
            (true, _) => "deleted".to_string(),
            (false, Some(a)) => a.manager.clone(),
            (false, None) => "unknown".to_string(),
        }
    }
}

/// What one app's task knows about drift, between reconciles.
#[derive(Debug, Default)]
pub struct DriftState {
    /// What plumb last applied, by identity: the fast path re-applies from
    /// here without rendering.
    desired: HashMap<ObjKey, (ObjRef, Value)>,
    /// Paths the API server rewrites, per object (e.g. `0.5` CPU to
    /// `500m`): not drift.
    normalized: HashMap<ObjKey, Vec<FieldPath>>,
    /// The resourceVersion plumb's last correction of an object produced.
    corrected_at: HashMap<ObjKey, String>,
    /// Objects with a delayed re-check pending, so a fight makes one timer.
    delayed: HashSet<ObjKey>,
    fights: FightGuard,
}

impl DriftState {
    /// A state that knows nothing yet.
    pub fn new() -> DriftState {
        DriftState::default()
    }

    /// After a reconcile: `applied` objects are now desired as given, each
    /// with the paths the API server normalized when it was just written
    /// (`None` when it was not written this time). `removed` ones are not
    /// plumb's any more. When `complete`, `applied` is the whole desired set
    /// and anything else is forgotten.
    pub fn record_applied(
        &mut self,
        applied: impl IntoIterator<Item = (ObjRef, Value, Option<Vec<FieldPath>>)>,
        removed: impl IntoIterator<Item = ObjKey>,
        complete: bool,
    ) {
        let mut seen = HashSet::new();
        for (object, data, normalized) in applied {
            let key = object.key();
            let changed = self.desired.get(&key).map(|(_, d)| d) != Some(&data);
            match normalized {
                Some(paths) if !paths.is_empty() => {
                    self.normalized.insert(key.clone(), paths);
                }
                Some(_) => {
                    self.normalized.remove(&key);
                }
                None if changed => {
                    self.normalized.remove(&key);
                }
                None => {}
            }
            seen.insert(key.clone());
            self.desired.insert(key, (object, data));
        }
        for key in removed {
            self.desired.remove(&key);
        }
        if complete {
            self.desired.retain(|k, _| seen.contains(k));
        }
        let desired = &self.desired;
        self.normalized.retain(|k, _| desired.contains_key(k));
        self.corrected_at.retain(|k, _| desired.contains_key(k));
    }

    /// The (apiVersion, kind) pairs of the desired objects, sorted: what
    /// the watch must cover.
    pub fn kinds(&self) -> Vec<(String, String)> {
        let mut kinds: Vec<(String, String)> = self
            .desired
            .values()
            .map(|(o, _)| (o.api_version(), o.kind.clone()))
            .collect();
        kinds.sort();
        kinds.dedup();
        kinds
    }

    /// Decides what to do about `seen` at `now`. Pure.
    pub fn assess(&mut self, seen: &Seen, now: Instant) -> Verdict {
        let key = seen.object.key();
        let Some((object, desired)) = self.desired.get(&key) else {
            return Verdict::Fine;
        };
        if ignored(desired) {
            return Verdict::Fine;
        }
        if let Some(ours) = self.corrected_at.get(&key) {
            match compare_versions(seen.resource_version.as_deref(), ours) {
                Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal) => {
                    return Verdict::Stale
                }
                Some(std::cmp::Ordering::Greater) => {}
                None => return Verdict::Recheck,
            }
        }
        let drifted = match &seen.live {
            None => Drifted {
                object: object.clone(),
                desired: desired.clone(),
                paths: Vec::new(),
                deleted: true,
                by: Vec::new(),
            },
            Some(live) => {
                let normalized = self.normalized.get(&key);
                let paths: Vec<FieldPath> = differences(desired, live)
                    .into_iter()
                    .filter(|p| normalized.is_none_or(|n| !n.contains(p)))
                    .collect();
                if paths.is_empty() {
                    return Verdict::Fine;
                }
                let by = owners(live, &paths, FIELD_MANAGER);
                Drifted {
                    object: object.clone(),
                    desired: desired.clone(),
                    paths,
                    deleted: false,
                    by,
                }
            }
        };
        let wait = self.fights.wait(&key, now);
        if !wait.is_zero() {
            return Verdict::Wait(wait);
        }
        Verdict::Correct(drifted)
    }

    /// Records a correction: the resourceVersion it produced, the paths the
    /// server normalized in it, and the fight it may start.
    pub fn corrected(
        &mut self,
        drifted: &Drifted,
        applied: &Value,
        now: Instant,
    ) -> Option<FightStart> {
        let key = drifted.object.key();
        if let Some(rv) = applied["metadata"]["resourceVersion"].as_str() {
            self.corrected_at.insert(key.clone(), rv.to_string());
        }
        let normalized = differences(&drifted.desired, applied);
        if normalized.is_empty() {
            self.normalized.remove(&key);
        } else {
            self.normalized.insert(key.clone(), normalized);
        }
        let managers = match drifted.by.is_empty() {
            true => vec![drifted.manager_label()],
            false => drifted.by.iter().map(|a| a.manager.clone()).collect(),
        };
        self.fights.corrected(&key, now, &managers)
    }

    /// Drops what plumb knows of its last correction of `key`: the next
    /// verdict on it is made from the live object alone (after a fresh read
    /// when versions could not be compared).
    pub fn forget_correction(&mut self, key: &ObjKey) {
        self.corrected_at.remove(key);
    }

    /// Marks a delayed re-check as pending; false if one already is.
    pub fn delay(&mut self, key: &ObjKey) -> bool {
        self.delayed.insert(key.clone())
    }

    /// The delayed re-check of `key` is being made.
    pub fn undelay(&mut self, key: &ObjKey) {
        self.delayed.remove(key);
    }
}

/// Compares two resourceVersions. They are opaque to clients in general,
/// but etcd-backed API servers issue increasing integers; `None` when
/// either is not one.
fn compare_versions(seen: Option<&str>, ours: &str) -> Option<std::cmp::Ordering> {
    let seen: u64 = seen?.parse().ok()?;
    let ours: u64 = ours.parse().ok()?;
    Some(seen.cmp(&ours))
}

/// Re-applies a drifted object (forced: its fields are plumb's) and returns
/// the object as the API server stored it.
///
/// # Errors
/// [`ApplyError`] from the apply.
pub async fn correct(cluster: &Cluster, drifted: &Drifted) -> Result<Value, ApplyError> {
    cluster
        .apply(&drifted.object, &drifted.desired, true, false)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn desired() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "api", "namespace": "p", "labels": {"plumb.dev/app": "p", "tier": "web"}, "annotations": {"plumb.dev/revision": "r1"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "api", "image": "api:1", "ports": [{"containerPort": 80}]}]}}}
        })
    }

    fn live() -> Value {
        let mut l = desired();
        // What the server adds: defaults, status, metadata.
        l["metadata"]["uid"] = json!("u");
        l["metadata"]["resourceVersion"] = json!("7");
        l["spec"]["strategy"] = json!({"type": "RollingUpdate"});
        l["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = json!("IfNotPresent");
        l["spec"]["template"]["spec"]["containers"][0]["ports"][0]["protocol"] = json!("TCP");
        l["status"] = json!({"replicas": 2});
        l
    }

    fn texts(paths: &[FieldPath]) -> Vec<String> {
        paths.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn defaults_status_and_metadata_are_not_drift() {
        assert!(differences(&desired(), &live()).is_empty());
    }

    #[test]
    fn an_edited_field_is_drift_with_its_path() {
        let mut l = live();
        l["spec"]["replicas"] = json!(5);
        l["spec"]["template"]["spec"]["containers"][0]["image"] = json!("api:hacked");
        assert_eq!(
            texts(&differences(&desired(), &l)),
            ["spec.replicas", "spec.template.spec.containers[0].image"]
        );
    }

    #[test]
    fn a_removed_label_or_container_is_drift() {
        let mut l = live();
        l["metadata"]["labels"]
            .as_object_mut()
            .unwrap()
            .remove("tier");
        assert_eq!(
            texts(&differences(&desired(), &l)),
            ["metadata.labels.tier"]
        );
        let mut l = live();
        l["spec"]["template"]["spec"]["containers"] = json!([]);
        assert_eq!(
            texts(&differences(&desired(), &l)),
            ["spec.template.spec.containers"]
        );
    }

    #[test]
    fn numbers_compare_by_value() {
        let want = json!({"spec": {"port": 80}});
        let have = json!({"spec": {"port": 80.0}});
        assert!(differences(&want, &have).is_empty());
    }

    #[test]
    fn data_of_config_maps_is_compared() {
        let want = json!({"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}});
        let have =
            json!({"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "2", "b": "3"}});
        assert_eq!(texts(&differences(&want, &have)), ["data.a"]);
    }

    /// managedFields as a 1.24+ API server writes them after `kubectl
    /// scale deployment api --replicas=1`: the scale entry has no time, and
    /// the controller's status update is newer than anything else.
    fn scaled() -> Value {
        let mut l = live();
        l["spec"]["replicas"] = json!(1);
        l["metadata"]["managedFields"] = json!([
            {"manager": "plumb", "operation": "Apply", "apiVersion": "apps/v1", "time": "2026-01-01T00:00:01Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {"f:plumb.dev/app": {}, "f:tier": {}}},
               "f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"api\"}": {".": {}, "f:image": {}, "f:name": {}}}}}}}},
            {"manager": "kubectl", "operation": "Update", "apiVersion": "apps/v1", "subresource": "scale",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:replicas": {}}}},
            {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1", "subresource": "status",
             "time": "2026-01-01T00:00:09Z", "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {"f:replicas": {}}}}
        ]);
        l
    }

    #[test]
    fn a_scale_is_attributed_to_the_scaler_not_the_newer_controller() {
        let l = scaled();
        let paths = differences(&desired(), &l);
        assert_eq!(texts(&paths), ["spec.replicas"]);
        let by = owners(&l, &paths, "plumb");
        assert_eq!(by.len(), 1, "{by:?}");
        assert_eq!(by[0].manager, "kubectl");
        assert_eq!(by[0].to_string(), "kubectl (Update of /scale)");
    }

    #[test]
    fn list_members_are_matched_by_key_value_or_index() {
        let mut l = scaled();
        l["spec"]["template"]["spec"]["containers"][0]["image"] = json!("api:hacked");
        l["metadata"]["managedFields"][1] = json!({"manager": "kubectl-edit", "operation": "Update",
            "time": "2026-01-01T00:00:05Z",
            "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"api\"}": {"f:image": {}}}}}}}});
        let paths = differences(&desired(), &l);
        assert_eq!(
            texts(&paths),
            ["spec.replicas", "spec.template.spec.containers[0].image"]
        );
        let by = owners(&l, &paths, "plumb");
        assert_eq!(
            describe(&by),
            "kubectl-edit (Update at 2026-01-01T00:00:05Z)"
        );
        let finalizers = json!({"metadata": {"finalizers": ["a", "b"], "managedFields": [
            {"manager": "x", "operation": "Update", "fieldsV1": {"f:metadata": {"f:finalizers": {"v:\"b\"": {}}}}},
            {"manager": "y", "operation": "Update", "fieldsV1": {"f:metadata": {"f:finalizers": {"i:0": {}}}}}
        ]}});
        let second = FieldPath(vec![
            Seg::Key("metadata".into()),
            Seg::Key("finalizers".into()),
            Seg::Index(1),
        ]);
        assert_eq!(owners(&finalizers, &[second], "plumb")[0].manager, "x");
    }

    #[test]
    fn a_removed_field_names_nobody() {
        let mut l = scaled();
        l["metadata"]["labels"]
            .as_object_mut()
            .unwrap()
            .remove("tier");
        l["spec"]["replicas"] = json!(2);
        let paths = differences(&desired(), &l);
        assert_eq!(texts(&paths), ["metadata.labels.tier"]);
        assert!(owners(&l, &paths, "plumb").is_empty());
    }

    #[test]
    fn opt_out() {
        let mut d = desired();
        assert!(!ignored(&d));
        d["metadata"]["annotations"][DRIFT_ANNOTATION] = json!("ignore");
        assert!(ignored(&d));
    }

    fn key() -> ObjKey {
        ObjRef::new("apps/v1", "Deployment", "p", "api").key()
    }

    #[test]
    fn a_fight_is_called_at_the_limit_then_backs_off_and_is_forgiven() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut g = FightGuard::with(s(60), 3, s(1), s(8));
        let k = key();
        let who = ["rogue".to_string()];
        assert_eq!(g.wait(&k, t0), Duration::ZERO);
        assert_eq!(g.corrected(&k, t0, &who), None, "one change is not a fight");
        assert_eq!(g.wait(&k, t0 + s(1)), Duration::ZERO);
        assert_eq!(g.corrected(&k, t0 + s(1), &who), None);
        let fight = g
            .corrected(&k, t0 + s(2), &who)
            .expect("the third is a fight");
        assert_eq!(fight.managers, ["rogue"]);
        assert_eq!(fight.next_wait, s(1));
        assert_eq!(g.wait(&k, t0 + s(2)), s(1));
        assert_eq!(g.corrected(&k, t0 + s(3), &who), None, "declared once");
        assert_eq!(g.wait(&k, t0 + s(3)), s(2));
        for t in [5, 9, 17, 25] {
            g.corrected(&k, t0 + s(t), &who);
        }
        assert_eq!(g.wait(&k, t0 + s(25)), s(8), "capped");
        assert!(g.fighting(&k));
        assert_eq!(g.wait(&k, t0 + s(25) + s(61)), Duration::ZERO, "forgiven");
        assert!(!g.fighting(&k));
    }

    #[test]
    fn separate_changes_far_apart_are_never_a_fight() {
        let t0 = Instant::now();
        let mut g = FightGuard::new();
        let k = key();
        for i in 0..10 {
            let at = t0 + Duration::from_secs(61 * i);
            assert_eq!(g.wait(&k, at), Duration::ZERO);
            assert_eq!(g.corrected(&k, at, &["kubectl".into()]), None);
        }
    }

    fn state() -> DriftState {
        let mut s = DriftState::new();
        let object = ObjRef::new("apps/v1", "Deployment", "p", "api");
        s.record_applied([(object, desired(), None)], [], true);
        s
    }

    fn seen(live: Option<Value>, rv: &str) -> Seen {
        Seen {
            object: ObjRef::new("apps/v1", "Deployment", "p", "api"),
            live,
            resource_version: Some(rv.to_string()),
        }
    }

    #[test]
    fn one_scale_and_the_controllers_follow_up_are_one_correction() {
        let mut s = state();
        let now = Instant::now();
        let mut scaled = scaled();
        scaled["metadata"]["resourceVersion"] = json!("100");
        let Verdict::Correct(drifted) = s.assess(&seen(Some(scaled.clone()), "100"), now) else {
            panic!("the scale is drift");
        };
        assert_eq!(drifted.by_text(), "kubectl (Update of /scale)");
        assert_eq!(drifted.manager_label(), "kubectl");
        let mut applied = desired();
        applied["metadata"]["resourceVersion"] = json!("102");
        assert_eq!(s.corrected(&drifted, &applied, now), None);
        // The controller's status update of the scaled object, seen after
        // the correction landed: stale.
        assert_eq!(
            s.assess(&seen(Some(scaled.clone()), "101"), now),
            Verdict::Stale
        );
        assert_eq!(
            s.assess(&seen(Some(applied.clone()), "102"), now),
            Verdict::Stale,
            "our own echo"
        );
        let mut later = live();
        later["metadata"]["resourceVersion"] = json!("103");
        assert_eq!(s.assess(&seen(Some(later), "103"), now), Verdict::Fine);
        assert_eq!(
            s.assess(&seen(Some(scaled), "x9"), now),
            Verdict::Recheck,
            "opaque versions are read again"
        );
    }

    #[test]
    fn deletions_unmanaged_and_opted_out_objects() {
        let mut s = state();
        let now = Instant::now();
        let Verdict::Correct(d) = s.assess(&seen(None, "5"), now) else {
            panic!("a delete is drift");
        };
        assert!(d.deleted);
        assert_eq!(d.fields(), "(deleted)");
        assert_eq!(d.manager_label(), "deleted");
        let other = Seen {
            object: ObjRef::new("v1", "ConfigMap", "p", "x"),
            ..seen(None, "5")
        };
        assert_eq!(s.assess(&other, now), Verdict::Fine);
        let mut opted = desired();
        opted["metadata"]["annotations"][DRIFT_ANNOTATION] = json!("ignore");
        let object = ObjRef::new("apps/v1", "Deployment", "p", "api");
        s.record_applied([(object, opted, None)], [], false);
        assert_eq!(s.assess(&seen(None, "6"), now), Verdict::Fine);
        assert_eq!(
            s.kinds(),
            [("apps/v1".to_string(), "Deployment".to_string())]
        );
    }

    #[test]
    fn normalized_paths_are_not_drift() {
        let mut s = state();
        let now = Instant::now();
        let mut edited = live();
        edited["spec"]["replicas"] = json!(9);
        let Verdict::Correct(d) = s.assess(&seen(Some(edited.clone()), "8"), now) else {
            panic!("drift");
        };
        // The server stores replicas as written but, say, rewrote the image.
        let mut applied = desired();
        applied["metadata"]["resourceVersion"] = json!("9");
        applied["spec"]["template"]["spec"]["containers"][0]["image"] = json!("docker.io/api:1");
        s.corrected(&d, &applied, now);
        let mut next = applied.clone();
        next["metadata"]["resourceVersion"] = json!("10");
        assert_eq!(
            s.assess(&seen(Some(next.clone()), "10"), now),
            Verdict::Fine
        );
        // A reconcile that did not write the object keeps what was learned.
        let object = ObjRef::new("apps/v1", "Deployment", "p", "api");
        s.record_applied([(object.clone(), desired(), None)], [], true);
        assert_eq!(
            s.assess(&seen(Some(next.clone()), "10"), now),
            Verdict::Fine
        );
        // A sync that wrote it learns it from the stored object at once.
        let mut fresh = DriftState::new();
        let normalized = differences(&desired(), &applied);
        fresh.record_applied([(object, desired(), Some(normalized))], [], true);
        assert_eq!(fresh.assess(&seen(Some(next), "10"), now), Verdict::Fine);
    }
}
