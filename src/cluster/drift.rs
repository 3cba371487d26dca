//! Drift: a managed object whose live state no longer matches what plumb
//! applied. Pure: which desired fields differ in the live object, who changed
//! it (from `managedFields`), and how long to hold off when something keeps
//! fighting plumb.
//!
//! Only fields plumb sets are compared, so server defaults, status and
//! fields owned by controllers never count as drift. Labels and annotations
//! plumb sets are compared like any other field (a removed label is drift).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Annotation that opts an object out of drift correction.
pub const DRIFT_ANNOTATION: &str = "plumb.dev/drift";

/// Whether the desired object opted out of drift correction.
pub fn ignored(desired: &Value) -> bool {
    desired["metadata"]["annotations"][DRIFT_ANNOTATION] == "ignore"
}

/// The dotted paths of desired fields whose live value differs (or is
/// missing). Empty when the live object carries everything plumb applied.
pub fn differences(desired: &Value, live: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let Some(fields) = desired.as_object() else {
        return out;
    };
    for (key, want) in fields {
        match key.as_str() {
            "status" | "apiVersion" | "kind" => {}
            "metadata" => {
                for part in ["labels", "annotations"] {
                    compare(
                        &want[part],
                        &live["metadata"][part],
                        &format!("metadata.{part}"),
                        &mut out,
                    );
                }
            }
            _ => compare(want, &live[key.as_str()], key, &mut out),
        }
    }
    out
}

fn compare(want: &Value, have: &Value, path: &str, out: &mut Vec<String>) {
    match (want, have) {
        (Value::Null, _) => {}
        (Value::Object(want), Value::Object(have)) => {
            for (key, w) in want {
                let child = format!("{path}.{key}");
                match have.get(key) {
                    Some(h) => compare(w, h, &child, out),
                    None if w.is_null() => {}
                    None => out.push(child),
                }
            }
        }
        (Value::Array(want), Value::Array(have)) if want.len() == have.len() => {
            for (i, (w, h)) in want.iter().zip(have).enumerate() {
                compare(w, h, &format!("{path}[{i}]"), out);
            }
        }
        (Value::Number(w), Value::Number(h)) => {
            if w.as_f64() != h.as_f64() {
                out.push(path.to_string());
            }
        }
        (w, h) => {
            if w != h {
                out.push(path.to_string());
            }
        }
    }
}

/// Who last changed an object, from its `managedFields`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribution {
    /// The field manager, e.g. `kubectl-edit`, `kubectl-client-side-apply`.
    pub manager: String,
    /// `Update` or `Apply`.
    pub operation: String,
    /// When, as the API server recorded it.
    pub time: String,
}

impl std::fmt::Display for Attribution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} at {})", self.manager, self.operation, self.time)
    }
}

/// The most recent manager other than plumb that touched the object.
pub fn attribution(live: &Value, own_manager: &str) -> Option<Attribution> {
    live["metadata"]["managedFields"]
        .as_array()?
        .iter()
        .filter(|m| m["manager"].as_str().is_some_and(|n| n != own_manager))
        .max_by(|a, b| {
            a["time"]
                .as_str()
                .unwrap_or("")
                .cmp(b["time"].as_str().unwrap_or(""))
        })
        .map(|m| Attribution {
            manager: m["manager"].as_str().unwrap_or("unknown").to_string(),
            operation: m["operation"].as_str().unwrap_or("Update").to_string(),
            time: m["time"].as_str().unwrap_or("").to_string(),
        })
}

/// Per-object backoff for drift corrections: the first correction is
/// immediate; one that comes again within `window` of the last waits twice
/// as long as the time before, up to `max`, so a fight with another writer
/// never becomes a hot loop. Quiet objects are forgotten after `window`.
#[derive(Debug)]
pub struct DriftBackoff {
    window: Duration,
    first: Duration,
    max: Duration,
    state: HashMap<String, (Instant, Duration)>,
}

impl DriftBackoff {
    /// The defaults: window 60 s, first wait 1 s, cap 5 min.
    pub fn new() -> DriftBackoff {
        DriftBackoff::with(
            Duration::from_secs(60),
            Duration::from_secs(1),
            Duration::from_secs(300),
        )
    }

    /// Custom limits.
    pub fn with(window: Duration, first: Duration, max: Duration) -> DriftBackoff {
        DriftBackoff {
            window,
            first,
            max,
            state: HashMap::new(),
        }
    }

    /// How long to wait before correcting `key` at `now` (zero: at once).
    pub fn wait(&self, key: &str, now: Instant) -> Duration {
        match self.state.get(key) {
            Some((last, delay))
                if now.saturating_duration_since(*last) < self.window.max(*delay) =>
            {
                (*last + *delay).saturating_duration_since(now)
            }
            _ => Duration::ZERO,
        }
    }

    /// Records a correction of `key` at `now`, growing the next wait.
    pub fn corrected(&mut self, key: &str, now: Instant) {
        let next = match self.state.get(key) {
            Some((last, delay))
                if now.saturating_duration_since(*last) < self.window.max(*delay) =>
            {
                if delay.is_zero() {
                    self.first
                } else {
                    (*delay * 2).min(self.max)
                }
            }
            _ => Duration::ZERO,
        };
        self.state.insert(key.to_string(), (now, next));
        let window = self.window;
        let max = self.max;
        self.state
            .retain(|_, (last, _)| now.saturating_duration_since(*last) < window.max(max));
    }

    /// The current delay after the last correction of `key`, for logs.
    pub fn delay(&self, key: &str) -> Duration {
        self.state.get(key).map(|(_, d)| *d).unwrap_or_default()
    }
}

impl Default for DriftBackoff {
    fn default() -> Self {
        DriftBackoff::new()
    }
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
            differences(&desired(), &l),
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
        assert_eq!(differences(&desired(), &l), ["metadata.labels.tier"]);
        let mut l = live();
        l["spec"]["template"]["spec"]["containers"] = json!([]);
        assert_eq!(
            differences(&desired(), &l),
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
        assert_eq!(differences(&want, &have), ["data.a"]);
    }

    #[test]
    fn the_latest_other_manager_is_named() {
        let l = json!({"metadata": {"managedFields": [
            {"manager": "plumb", "operation": "Apply", "time": "2026-01-01T00:00:09Z"},
            {"manager": "kubectl-client-side-apply", "operation": "Update", "time": "2026-01-01T00:00:01Z"},
            {"manager": "kubectl-edit", "operation": "Update", "time": "2026-01-01T00:00:05Z"},
        ]}});
        let a = attribution(&l, "plumb").unwrap();
        assert_eq!(a.manager, "kubectl-edit");
        assert_eq!(
            a.to_string(),
            "kubectl-edit (Update at 2026-01-01T00:00:05Z)"
        );
        assert_eq!(attribution(&json!({"metadata": {}}), "plumb"), None);
    }

    #[test]
    fn opt_out() {
        let mut d = desired();
        assert!(!ignored(&d));
        d["metadata"]["annotations"][DRIFT_ANNOTATION] = json!("ignore");
        assert!(ignored(&d));
    }

    #[test]
    fn a_fight_backs_off_exponentially_and_a_quiet_object_is_forgiven() {
        let t0 = Instant::now();
        let s = |n| Duration::from_secs(n);
        let mut b = DriftBackoff::with(s(60), s(1), s(8));
        assert_eq!(
            b.wait("x", t0),
            Duration::ZERO,
            "the first correction is immediate"
        );
        b.corrected("x", t0);
        assert_eq!(
            b.wait("x", t0 + s(1)),
            Duration::ZERO,
            "one drift is not a fight"
        );
        b.corrected("x", t0 + s(1));
        assert_eq!(b.wait("x", t0 + s(1)), s(1));
        b.corrected("x", t0 + s(2));
        assert_eq!(b.delay("x"), s(2));
        b.corrected("x", t0 + s(4));
        b.corrected("x", t0 + s(8));
        b.corrected("x", t0 + s(16));
        assert_eq!(b.delay("x"), s(8), "capped");
        assert_eq!(b.wait("y", t0 + s(16)), Duration::ZERO, "per object");
        assert_eq!(
            b.wait("x", t0 + s(16) + s(61)),
            Duration::ZERO,
            "forgiven after a quiet window"
        );
    }
}
