//! The inventory: what plumb applied for an app, kept in the cluster (a
//! ConfigMap `plumb-inventory-<app>` in `plumb-system`) so prune works after
//! a restart, and the hash of each desired object so an unchanged object is
//! not written again. Pure: the inventory's data, the prune set and the
//! prune safety rules; reading and writing the ConfigMap is in `apply`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::order::kind_rank;

/// Namespace holding every app's inventory.
pub const NAMESPACE: &str = "plumb-system";
/// Label on every object plumb manages.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "plumb");
/// Label naming the app an object belongs to.
pub const APP_LABEL: &str = "plumb.dev/app";
/// Annotation with the revision an object was applied from.
pub const REVISION_ANNOTATION: &str = "plumb.dev/revision";
/// Annotation that keeps an object from ever being pruned.
pub const PRUNE_ANNOTATION: &str = "plumb.dev/prune";

/// The inventory ConfigMap's name for an app.
pub fn configmap_name(app: &str) -> String {
    format!("plumb-inventory-{app}")
}

/// Identity of an object in the cluster.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjRef {
    /// API group, empty for the core group.
    pub group: String,
    /// API version within the group.
    pub version: String,
    /// Kind.
    pub kind: String,
    /// Namespace, empty for cluster-scoped objects.
    #[serde(default)]
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl ObjRef {
    /// The identity of a manifest; `namespace` is the effective namespace
    /// (empty for cluster-scoped kinds).
    pub fn of(data: &Value, namespace: &str) -> ObjRef {
        let api_version = data["apiVersion"].as_str().unwrap_or("");
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), api_version.to_string()),
        };
        ObjRef {
            group,
            version,
            kind: data["kind"].as_str().unwrap_or("").to_string(),
            namespace: namespace.to_string(),
            name: data["metadata"]["name"].as_str().unwrap_or("").to_string(),
        }
    }

    /// `group/version` or `version`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The identity without the version: an object moved from `v1beta1` to
    /// `v1` is the same object.
    pub fn key(&self) -> (String, String, String, String) {
        (
            self.group.clone(),
            self.kind.clone(),
            self.namespace.clone(),
            self.name.clone(),
        )
    }
}

impl std::fmt::Display for ObjRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{}/{}", self.kind, self.name)
        } else {
            write!(f, "{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// One inventory member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Which object.
    #[serde(flatten)]
    pub object: ObjRef,
    /// Hash of the desired object last applied.
    pub hash: String,
    /// The revision it was applied from.
    pub revision: String,
}

/// An app's inventory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    /// Members, sorted by identity.
    pub entries: Vec<Entry>,
}

/// Errors reading an inventory ConfigMap.
#[derive(Debug, thiserror::Error)]
#[error("inventory ConfigMap {NAMESPACE}/{name}: key `inventory` is not valid (hint: delete the ConfigMap to start over; plumb then prunes nothing until it has applied again)")]
pub struct InventoryError {
    /// The ConfigMap's name.
    pub name: String,
    /// The parse error.
    #[source]
    pub source: serde_json::Error,
}

impl Inventory {
    /// Reads the `inventory` key of the ConfigMap's data.
    ///
    /// # Errors
    /// [`InventoryError`] when the key holds something else.
    pub fn from_data(
        app: &str,
        data: &BTreeMap<String, String>,
    ) -> Result<Inventory, InventoryError> {
        let Some(text) = data.get("inventory") else {
            return Ok(Inventory::default());
        };
        let mut entries: Vec<Entry> =
            serde_json::from_str(text).map_err(|source| InventoryError {
                name: configmap_name(app),
                source,
            })?;
        entries.sort_by(|a, b| a.object.cmp(&b.object));
        Ok(Inventory { entries })
    }

    /// The ConfigMap data for this inventory.
    pub fn to_data(&self) -> BTreeMap<String, String> {
        let mut entries = self.entries.clone();
        entries.sort_by(|a, b| a.object.cmp(&b.object));
        let text = serde_json::to_string(&entries).unwrap_or_else(|_| "[]".to_string());
        BTreeMap::from([("inventory".to_string(), text)])
    }

    /// The member for an object, matched without its version.
    pub fn get(&self, object: &ObjRef) -> Option<&Entry> {
        let key = object.key();
        self.entries.iter().find(|e| e.object.key() == key)
    }

    /// Whether the inventory is empty (the app was never deployed).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A stable hash of a desired object: it changes exactly when what plumb
/// would send changes. serde_json maps are ordered, so equal objects give
/// equal text.
pub fn desired_hash(data: &Value) -> String {
    use sha2::{Digest, Sha256};
    let text = serde_json::to_string(data).unwrap_or_default();
    hex::encode(&Sha256::digest(text.as_bytes())[..12])
}

/// Inventory members no longer desired, in reverse apply order (dependents
/// first, Namespaces and CRDs last).
pub fn prune_set(old: &Inventory, desired: &[ObjRef]) -> Vec<ObjRef> {
    let keep: BTreeSet<_> = desired.iter().map(ObjRef::key).collect();
    let mut gone: Vec<ObjRef> = old
        .entries
        .iter()
        .filter(|e| !keep.contains(&e.object.key()))
        .map(|e| e.object.clone())
        .collect();
    gone.sort_by(|a, b| {
        kind_rank(&b.kind)
            .cmp(&kind_rank(&a.kind))
            .then_with(|| a.cmp(b))
    });
    gone
}

/// How the app's manifest allows pruning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PruneMode {
    /// Never delete.
    Off,
    /// Delete what left git, within the safety rules.
    On,
    /// Delete even when the render is empty or most of the app goes.
    Force,
}

/// Why a whole prune was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PruneRefusal {
    /// The render produced nothing: more likely a mistake than a wish to
    /// delete the app.
    #[error("the render is empty, which would delete all {count} objects of the app; refused (hint: set `prune: force` on the app if that is what you want)")]
    EmptyRender { count: usize },
    /// More than half of the inventory would go.
    #[error("{delete} of {total} objects would be deleted (more than half); refused (hint: set `prune: force` on the app for this change)")]
    TooMany { delete: usize, total: usize },
}

/// Whether a prune of `delete` objects out of an inventory of `total`, with
/// `desired` objects rendered, may go ahead.
///
/// # Errors
/// [`PruneRefusal`] when the safety rules stop it.
pub fn check_prune(
    mode: PruneMode,
    total: usize,
    desired: usize,
    delete: usize,
) -> Result<(), PruneRefusal> {
    if mode == PruneMode::Force || delete == 0 {
        return Ok(());
    }
    if desired == 0 {
        return Err(PruneRefusal::EmptyRender { count: total });
    }
    if delete * 2 > total {
        return Err(PruneRefusal::TooMany { delete, total });
    }
    Ok(())
}

/// Why one live object is kept instead of pruned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepReason {
    /// It lacks plumb's labels for this app: someone else owns it now.
    NotOurs,
    /// Annotated `plumb.dev/prune: disabled`.
    Disabled,
    /// A PVC made from a StatefulSet's volumeClaimTemplates: data.
    ClaimTemplate,
}

impl std::fmt::Display for KeepReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeepReason::NotOurs => "it does not carry plumb's labels for this app",
            KeepReason::Disabled => "it is annotated plumb.dev/prune: disabled",
            KeepReason::ClaimTemplate => {
                "it is a PersistentVolumeClaim of a StatefulSet's volumeClaimTemplates"
            }
        })
    }
}

/// Whether a live object may be deleted by prune for `app`.
///
/// # Errors
/// The [`KeepReason`] when it must be kept.
pub fn may_prune(live: &Value, app: &str) -> Result<(), KeepReason> {
    let labels = &live["metadata"]["labels"];
    if labels[MANAGED_BY.0] != MANAGED_BY.1 || labels[APP_LABEL] != app {
        return Err(KeepReason::NotOurs);
    }
    if live["metadata"]["annotations"][PRUNE_ANNOTATION] == "disabled" {
        return Err(KeepReason::Disabled);
    }
    let owned_by_statefulset = live["metadata"]["ownerReferences"]
        .as_array()
        .is_some_and(|refs| refs.iter().any(|r| r["kind"] == "StatefulSet"));
    if live["kind"] == "PersistentVolumeClaim"
        && (owned_by_statefulset || labels["app.kubernetes.io/part-of-statefulset"].is_string())
    {
        return Err(KeepReason::ClaimTemplate);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn r(kind: &str, ns: &str, name: &str) -> ObjRef {
        ObjRef {
            group: if kind == "Deployment" {
                "apps".into()
            } else {
                String::new()
            },
            version: "v1".into(),
            kind: kind.into(),
            namespace: ns.into(),
            name: name.into(),
        }
    }

    fn inventory(refs: &[ObjRef]) -> Inventory {
        Inventory {
            entries: refs
                .iter()
                .map(|o| Entry {
                    object: o.clone(),
                    hash: "h".into(),
                    revision: "r".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn round_trips_through_configmap_data() {
        let inv = inventory(&[r("Service", "a", "s"), r("Namespace", "", "a")]);
        let data = inv.to_data();
        let back = Inventory::from_data("app", &data).unwrap();
        assert_eq!(back.entries.len(), 2);
        assert_eq!(back.entries[0].object.kind, "Namespace", "sorted");
        assert!(Inventory::from_data("app", &BTreeMap::new())
            .unwrap()
            .is_empty());
        let bad = BTreeMap::from([("inventory".to_string(), "{".to_string())]);
        let err = Inventory::from_data("app", &bad).unwrap_err().to_string();
        assert!(err.contains("plumb-system/plumb-inventory-app"), "{err}");
    }

    #[test]
    fn identity_ignores_the_version() {
        let mut v1beta1 = r("Deployment", "a", "api");
        v1beta1.version = "v1beta1".into();
        let inv = inventory(&[v1beta1]);
        assert!(inv.get(&r("Deployment", "a", "api")).is_some());
        assert!(prune_set(&inv, &[r("Deployment", "a", "api")]).is_empty());
    }

    #[test]
    fn prune_set_is_what_left_in_reverse_order() {
        let inv = inventory(&[
            r("Namespace", "", "a"),
            r("ConfigMap", "a", "c"),
            r("Deployment", "a", "api"),
            r("Service", "a", "api"),
        ]);
        let gone = prune_set(&inv, &[r("Service", "a", "api")]);
        let kinds: Vec<_> = gone.iter().map(|o| o.kind.as_str()).collect();
        assert_eq!(kinds, ["Deployment", "ConfigMap", "Namespace"]);
    }

    #[test]
    fn safety_rules() {
        assert_eq!(check_prune(PruneMode::On, 4, 3, 1), Ok(()));
        assert_eq!(
            check_prune(PruneMode::On, 4, 2, 2),
            Ok(()),
            "exactly half is allowed"
        );
        assert_eq!(
            check_prune(PruneMode::On, 4, 1, 3),
            Err(PruneRefusal::TooMany {
                delete: 3,
                total: 4
            })
        );
        assert_eq!(
            check_prune(PruneMode::On, 4, 0, 4),
            Err(PruneRefusal::EmptyRender { count: 4 })
        );
        assert_eq!(check_prune(PruneMode::Force, 4, 0, 4), Ok(()));
        assert_eq!(check_prune(PruneMode::On, 0, 0, 0), Ok(()));
    }

    #[test]
    fn only_our_labelled_objects_may_go() {
        let ours = json!({"kind": "ConfigMap", "metadata": {"labels": {"app.kubernetes.io/managed-by": "plumb", "plumb.dev/app": "pakaura"}}});
        assert_eq!(may_prune(&ours, "pakaura"), Ok(()));
        assert_eq!(may_prune(&ours, "other"), Err(KeepReason::NotOurs));
        let unlabelled = json!({"kind": "ConfigMap", "metadata": {}});
        assert_eq!(may_prune(&unlabelled, "pakaura"), Err(KeepReason::NotOurs));
        let mut disabled = ours.clone();
        disabled["metadata"]["annotations"] = json!({"plumb.dev/prune": "disabled"});
        assert_eq!(may_prune(&disabled, "pakaura"), Err(KeepReason::Disabled));
        let mut claim = ours;
        claim["kind"] = json!("PersistentVolumeClaim");
        claim["metadata"]["ownerReferences"] = json!([{"kind": "StatefulSet", "name": "db"}]);
        assert_eq!(may_prune(&claim, "pakaura"), Err(KeepReason::ClaimTemplate));
    }

    #[test]
    fn hashes_change_exactly_with_content() {
        let a = json!({"kind": "ConfigMap", "data": {"x": "1", "y": "2"}});
        let same = json!({"data": {"y": "2", "x": "1"}, "kind": "ConfigMap"});
        let other = json!({"kind": "ConfigMap", "data": {"x": "1", "y": "3"}});
        assert_eq!(desired_hash(&a), desired_hash(&same));
        assert_ne!(desired_hash(&a), desired_hash(&other));
        assert_eq!(desired_hash(&a).len(), 24);
    }
}
