//! The inventory: what plumb applied for an app, kept in the cluster (a
//! ConfigMap `plumb-inventory-<app>` in `plumb-system`) so prune works after
//! a restart, and the hash of each desired object so an unchanged object is
//! not written again. Pure: the inventory's data, the prune set and the
//! prune safety rules; reading and writing the ConfigMap is in `apply`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::order::kind_rank;
pub use crate::manifest::PruneMode;
use crate::object::{ObjRef, APP_LABEL, MANAGED_BY, PRUNE_ANNOTATION};
pub use crate::render::ReleaseRecord;

/// Namespace holding every app's inventory.
pub const NAMESPACE: &str = "plumb-system";

/// The inventory ConfigMap's name for an app.
pub fn configmap_name(app: &str) -> String {
    format!("plumb-inventory-{app}")
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

/// What the last fully successful sync applied: kept so that hooks run only
/// when the app's desired state changed (Helm runs upgrade hooks once per
/// upgrade; for plumb an upgrade is "this app's desired objects changed").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// [`set_hash`] of every desired object, hooks included, as applied.
    pub hash: String,
    /// The revision it was applied from.
    pub revision: String,
    /// The release it is (Helm's revision, for a chart's `.Release`);
    /// `None` in inventories written before releases were counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<ReleaseRecord>,
}

/// An app's inventory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    /// Members, sorted by identity.
    pub entries: Vec<Entry>,
    /// The last fully successful sync; `None` before the first one.
    pub applied: Option<Applied>,
    /// Whether the ConfigMap was written by a plumb that records
    /// [`Inventory::applied`]; an older one's inventory has members but no
    /// such record, and its app counts as installed.
    pub versioned: bool,
}

/// Errors reading or writing an inventory ConfigMap.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// A key of the ConfigMap holds something that is not an inventory.
    #[error("inventory ConfigMap {NAMESPACE}/{name}: key `{key}` is not valid (hint: delete the ConfigMap to start over; plumb then prunes nothing until it has applied again)")]
    Invalid {
        /// The ConfigMap's name.
        name: String,
        /// The key.
        key: &'static str,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// The live object's `data` is not a map of strings.
    #[error("inventory ConfigMap {NAMESPACE}/{name}: `data` is not a map of strings (hint: delete the ConfigMap to start over)")]
    NotStrings {
        /// The ConfigMap's name.
        name: String,
        /// The decode error.
        #[source]
        source: serde_json::Error,
    },
    /// The inventory could not be encoded (never expected: a bug).
    #[error("inventory of app `{app}` cannot be encoded")]
    Encode {
        /// The app.
        app: String,
        /// The encoder's error.
        #[source]
        source: serde_json::Error,
    },
}

/// The ConfigMap key of the member list.
const ENTRIES_KEY: &str = "inventory";
/// The ConfigMap key of the last successful sync.
const APPLIED_KEY: &str = "applied";

impl Inventory {
    /// Reads the ConfigMap's data (as the live object's `data` field).
    ///
    /// # Errors
    /// [`InventoryError`] when a key holds something else.
    pub fn from_live_data(app: &str, data: &Value) -> Result<Inventory, InventoryError> {
        if data.is_null() {
            return Ok(Inventory::default());
        }
        let data: BTreeMap<String, String> =
            serde_json::from_value(data.clone()).map_err(|source| InventoryError::NotStrings {
                name: configmap_name(app),
                source,
            })?;
        Inventory::from_data(app, &data)
    }

    /// Reads the ConfigMap's data.
    ///
    /// # Errors
    /// [`InventoryError`] when a key holds something else.
    pub fn from_data(
        app: &str,
        data: &BTreeMap<String, String>,
    ) -> Result<Inventory, InventoryError> {
        let invalid = |key, source| InventoryError::Invalid {
            name: configmap_name(app),
            key,
            source,
        };
        let mut entries: Vec<Entry> = match data.get(ENTRIES_KEY) {
            Some(text) => serde_json::from_str(text).map_err(|e| invalid(ENTRIES_KEY, e))?,
            None => Vec::new(),
        };
        entries.sort_by(|a, b| a.object.cmp(&b.object));
        let (applied, versioned) = match data.get(APPLIED_KEY) {
            Some(text) => (
                serde_json::from_str::<Option<Applied>>(text)
                    .map_err(|e| invalid(APPLIED_KEY, e))?,
                true,
            ),
            None => (None, false),
        };
        Ok(Inventory {
            entries,
            applied,
            versioned,
        })
    }

    /// The ConfigMap data for this inventory.
    ///
    /// # Errors
    /// [`InventoryError::Encode`], which would be a bug: the data is plain.
    pub fn to_data(&self, app: &str) -> Result<BTreeMap<String, String>, InventoryError> {
        let encode = |source| InventoryError::Encode {
            app: app.to_string(),
            source,
        };
        let mut entries = self.entries.clone();
        entries.sort_by(|a, b| a.object.cmp(&b.object));
        Ok(BTreeMap::from([
            (
                ENTRIES_KEY.to_string(),
                serde_json::to_string(&entries).map_err(encode)?,
            ),
            (
                APPLIED_KEY.to_string(),
                serde_json::to_string(&self.applied).map_err(encode)?,
            ),
        ]))
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

    /// Whether the next sync is a first install (Helm's `IsInstall`): no
    /// sync of the app ever succeeded. An inventory from a plumb that did
    /// not record that counts as installed when it has members.
    pub fn is_install(&self) -> bool {
        match self.versioned {
            true => self.applied.is_none(),
            false => self.entries.is_empty(),
        }
    }

    /// The release the cluster holds, for a chart's `.Release`: `None`
    /// before the first successful sync (the next one is an install); an
    /// app deployed before releases were counted is at revision 1.
    pub fn release(&self) -> Option<ReleaseRecord> {
        if self.is_install() {
            return None;
        }
        Some(
            self.applied
                .as_ref()
                .and_then(|a| a.release.clone())
                .unwrap_or(ReleaseRecord {
                    revision: 1,
                    upgrade: false,
                    inputs: None,
                }),
        )
    }
}

/// A stable hash of a desired object: it changes exactly when what plumb
/// would send changes. serde_json maps are ordered, so equal objects give
/// equal text.
pub fn desired_hash(data: &Value) -> String {
    use sha2::{Digest, Sha256};
    // Display of a Value cannot fail: it writes to a String.
    let text = data.to_string();
    hex::encode(&Sha256::digest(text.as_bytes())[..12])
}

/// A hash of a whole desired set from its members' identities and hashes,
/// independent of their order.
pub fn set_hash<'a>(members: impl IntoIterator<Item = (&'a ObjRef, &'a str)>) -> String {
    use sha2::{Digest, Sha256};
    let mut lines: Vec<String> = members
        .into_iter()
        .map(|(o, h)| format!("{}\t{}\t{h}", o.api_version(), o))
        .collect();
    lines.sort();
    hex::encode(&Sha256::digest(lines.join("\n").as_bytes())[..12])
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
        let api_version = if kind == "Deployment" {
            "apps/v1"
        } else {
            "v1"
        };
        ObjRef::new(api_version, kind, ns, name)
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
            applied: None,
            versioned: true,
        }
    }

    #[test]
    fn round_trips_through_configmap_data() {
        let mut inv = inventory(&[r("Service", "a", "s"), r("Namespace", "", "a")]);
        inv.applied = Some(Applied {
            hash: "abc".into(),
            revision: "r1".into(),
            release: Some(ReleaseRecord {
                revision: 3,
                upgrade: true,
                inputs: Some("f".into()),
            }),
        });
        let data = inv.to_data("app").unwrap();
        let back = Inventory::from_data("app", &data).unwrap();
        assert_eq!(back.entries.len(), 2);
        assert_eq!(back.entries[0].object.kind, "Namespace", "sorted");
        assert_eq!(back.applied, inv.applied);
        assert!(back.versioned);
        assert_eq!(back.release().map(|r| r.revision), Some(3));
        let older = BTreeMap::from([(
            "applied".to_string(),
            r#"{"hash":"h","revision":"r"}"#.to_string(),
        )]);
        let older = Inventory::from_data("app", &older).unwrap();
        assert_eq!(
            older.release().map(|r| (r.revision, r.inputs)),
            Some((1, None)),
            "an inventory from before releases were counted"
        );
        let none = Inventory::from_data("app", &BTreeMap::new()).unwrap();
        assert!(none.is_empty() && none.is_install());
        let bad = BTreeMap::from([("inventory".to_string(), "{".to_string())]);
        let err = Inventory::from_data("app", &bad).unwrap_err().to_string();
        assert!(err.contains("plumb-system/plumb-inventory-app"), "{err}");
        assert!(err.contains("key `inventory`"), "{err}");
        let err = Inventory::from_live_data("app", &json!({"inventory": 3})).unwrap_err();
        assert!(matches!(err, InventoryError::NotStrings { .. }), "{err}");
    }

    #[test]
    fn install_is_until_the_first_successful_sync() {
        let mut inv = inventory(&[r("ConfigMap", "a", "c")]);
        assert!(inv.is_install(), "members from a failed first sync");
        assert_eq!(inv.release(), None, "the next sync is an install");
        inv.applied = Some(Applied {
            hash: "h".into(),
            revision: "r".into(),
            release: None,
        });
        assert!(!inv.is_install());
        let legacy = Inventory {
            versioned: false,
            applied: None,
            ..inventory(&[r("ConfigMap", "a", "c")])
        };
        assert!(!legacy.is_install(), "an older plumb's deployed app");
    }

    #[test]
    fn set_hashes_ignore_order_and_see_every_member() {
        let (a, b) = (r("ConfigMap", "a", "x"), r("Service", "a", "y"));
        let one = set_hash([(&a, "1"), (&b, "2")]);
        assert_eq!(one, set_hash([(&b, "2"), (&a, "1")]));
        assert_ne!(one, set_hash([(&a, "1"), (&b, "3")]));
        assert_ne!(one, set_hash([(&a, "1")]));
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
