//! What `plumb diff` shows: desired vs live as a unified diff of YAML, with
//! server-managed noise removed and Secret values masked. Pure.

use serde_json::{json, Value};

/// Metadata the server owns; never part of a diff.
const SERVER_METADATA: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "uid",
    "generation",
    "creationTimestamp",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// Removes status and server-owned metadata; masks Secret values. When
/// `changed_from` is given (the live object, for the desired side), a
/// Secret value that differs from it is shown as `*** (changed)`, others as
/// `***`, so a diff says *that* a secret changed and never *what* it is.
pub fn normalize(object: &Value, changed_from: Option<&Value>) -> Value {
    let mut out = object.clone();
    if let Some(map) = out.as_object_mut() {
        map.remove("status");
    }
    if let Some(meta) = out["metadata"].as_object_mut() {
        for key in SERVER_METADATA {
            meta.remove(*key);
        }
        if let Some(annotations) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
            if annotations.is_empty() {
                meta.remove("annotations");
            }
        }
    }
    if object["kind"] == "Secret" {
        mask_secret(&mut out, changed_from);
    }
    out
}

fn mask_secret(secret: &mut Value, changed_from: Option<&Value>) {
    for field in ["data", "stringData"] {
        let Some(values) = secret[field].as_object_mut() else {
            continue;
        };
        for (key, value) in values.iter_mut() {
            let changed = changed_from.is_some_and(|o| &o[field][key.as_str()] != value);
            *value = json!(if changed { "*** (changed)" } else { "***" });
        }
    }
}

/// A unified diff of two objects as YAML (`None` for absent), labelled
/// `live` and `desired`; empty when they are equal after normalizing.
pub fn unified(title: &str, live: Option<&Value>, desired: Option<&Value>) -> String {
    let live_text = live
        .map(|l| to_yaml(&normalize(l, None)))
        .unwrap_or_default();
    let desired_text = desired
        .map(|d| to_yaml(&normalize(d, live)))
        .unwrap_or_default();
    if live_text == desired_text {
        return String::new();
    }
    similar::TextDiff::from_lines(&live_text, &desired_text)
        .unified_diff()
        .context_radius(3)
        .header(&format!("live/{title}"), &format!("desired/{title}"))
        .to_string()
}

fn to_yaml(value: &Value) -> String {
    crate::yaml::to_string(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_noise_is_not_a_difference() {
        let desired = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}});
        let live = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "uid": "u", "resourceVersion": "9", "managedFields": [{"manager": "plumb"}], "creationTimestamp": "t"},
            "data": {"a": "1"}, "status": {}});
        assert_eq!(unified("ConfigMap/c", Some(&live), Some(&desired)), "");
    }

    #[test]
    fn a_change_is_a_unified_diff() {
        let desired = json!({"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "2"}});
        let live = json!({"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}});
        let diff = unified("ConfigMap/p/c", Some(&live), Some(&desired));
        assert!(
            diff.starts_with("--- live/ConfigMap/p/c\n+++ desired/ConfigMap/p/c\n"),
            "{diff}"
        );
        assert!(
            diff.contains("-  a: '1'") || diff.contains("-  a: \"1\""),
            "{diff}"
        );
        assert!(
            diff.contains("+  a: '2'") || diff.contains("+  a: \"2\""),
            "{diff}"
        );
    }

    #[test]
    fn creation_and_deletion() {
        let obj = json!({"kind": "ConfigMap", "metadata": {"name": "c"}});
        assert!(unified("c", None, Some(&obj)).contains("+kind: ConfigMap"));
        assert!(unified("c", Some(&obj), None).contains("-kind: ConfigMap"));
    }

    #[test]
    fn strings_a_yaml_1_1_reader_would_misread_are_quoted() {
        let desired = json!({"kind": "ConfigMap", "metadata": {"name": "c"},
            "data": {"secret": "no", "on": "yes", "port": "8080", "plain": "text"}});
        let diff = unified("ConfigMap/c", None, Some(&desired));
        assert!(diff.contains("+  secret: \"no\"\n"), "{diff}");
        assert!(diff.contains("+  \"on\": \"yes\"\n"), "{diff}");
        assert!(diff.contains("+  port: \"8080\"\n"), "{diff}");
        assert!(diff.contains("+  plain: text\n"), "{diff}");
    }

    #[test]
    fn secret_values_never_appear() {
        let live = json!({"kind": "Secret", "metadata": {"name": "db"}, "data": {"password": "aHVudGVyMg==", "user": "YWRtaW4="}});
        let desired = json!({"kind": "Secret", "metadata": {"name": "db"}, "data": {"password": "Y29ycmVjdA==", "user": "YWRtaW4="}});
        let diff = unified("Secret/db", Some(&live), Some(&desired));
        assert!(!diff.contains("aHVudGVyMg"), "{diff}");
        assert!(!diff.contains("Y29ycmVjdA"), "{diff}");
        assert!(!diff.contains("YWRtaW4"), "{diff}");
        assert!(
            diff.contains("password: '*** (changed)'")
                || diff.contains("password: \"*** (changed)\""),
            "{diff}"
        );
        // An unchanged secret shows no diff at all.
        assert_eq!(unified("Secret/db", Some(&live), Some(&live)), "");
        // A new secret shows its keys, masked.
        let created = unified("Secret/db", None, Some(&desired));
        assert!(
            created.contains("password: '***'") || created.contains("password: \"***\""),
            "{created}"
        );
        assert!(!created.contains("Y29ycmVjdA"));
    }
}
