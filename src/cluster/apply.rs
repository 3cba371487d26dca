//! The thin layer that talks to the Kubernetes API for the cluster engine:
//! discovery (cached per kind), server-side apply with field manager
//! `plumb`, get, delete, namespaces and the inventory ConfigMap. Every call
//! is counted in `plumb_kube_requests_total{verb,code}` and every error names
//! the object and the verb.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kube::api::{
    Api, DeleteParams, DynamicObject, Patch, PatchParams, PostParams, PropagationPolicy,
};
use kube::core::GroupVersionKind;
use kube::discovery::{ApiCapabilities, ApiResource, Scope};
use serde_json::{json, Value};

use super::inventory::{self, Inventory};
use crate::object::{ObjRef, APP_LABEL, MANAGED_BY};

/// The field manager plumb applies with.
pub const FIELD_MANAGER: &str = "plumb";

/// Errors from the API, each naming the object and what was tried.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The API server does not know the kind.
    #[error("{object}: the cluster has no kind {kind} in {api_version} (hint: is its CustomResourceDefinition installed? put the CRD in an earlier wave, or check apiVersion)")]
    UnknownKind {
        object: String,
        api_version: String,
        kind: String,
    },
    /// RBAC refused the call.
    #[error("{object}: {verb} forbidden: {message} (hint: grant plumb's service account `{verb}` on {kind}, see deploy/kubernetes/plumb.yaml)")]
    Forbidden {
        object: String,
        verb: &'static str,
        kind: String,
        message: String,
    },
    /// Another field manager owns fields plumb wants to set.
    #[error("{object}: apply conflicts with other field managers: {message} (hint: the object was created outside plumb; add plumb's labels or remove the conflicting fields)")]
    Conflict { object: String, message: String },
    /// The API server rejected the object (validation, immutable field).
    #[error("{object}: {verb} rejected: {message}")]
    Invalid {
        object: String,
        verb: &'static str,
        message: String,
        /// Whether the rejection is about an immutable field.
        immutable: bool,
    },
    /// Any other API or transport error.
    #[error("{object}: {verb} failed")]
    Api {
        object: String,
        verb: &'static str,
        #[source]
        source: kube::Error,
    },
    /// The inventory ConfigMap holds something unreadable.
    #[error(transparent)]
    Inventory(#[from] inventory::InventoryError),
    /// A delete did not finish in time; nothing is applied over it.
    #[error("{object}: still terminating {secs}s after delete (hint: a finalizer may hold it: `kubectl get` it and check metadata.finalizers)")]
    StillTerminating { object: String, secs: u64 },
    /// The API server's answer could not be read as JSON (a bug).
    #[error("{object}: {verb}: the answer is not a readable object")]
    Decode {
        object: String,
        verb: &'static str,
        #[source]
        source: serde_json::Error,
    },
}

impl ApplyError {
    /// A stable label for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            ApplyError::UnknownKind { .. } => "unknown_kind",
            ApplyError::Forbidden { .. } => "forbidden",
            ApplyError::Conflict { .. } => "conflict",
            ApplyError::Invalid {
                immutable: true, ..
            } => "immutable",
            ApplyError::Invalid { .. } => "invalid",
            ApplyError::Api { .. } => "api",
            ApplyError::Inventory(_) => "inventory",
            ApplyError::StillTerminating { .. } => "terminating",
            ApplyError::Decode { .. } => "decode",
        }
    }
}

/// Whether an API message is the "field is immutable" rejection.
pub fn is_immutable_message(message: &str) -> bool {
    message.contains("field is immutable")
        || message.contains("is immutable after creation")
        || message.contains("Forbidden: updates to statefulset spec for fields other than")
        || message.contains("may not change once set")
}

/// Discovered kinds: (apiVersion, kind) → (resource, namespaced).
type KindCache = Arc<Mutex<HashMap<(String, String), (ApiResource, bool)>>>;

/// The cluster's API versions as charts see them, and when they were read.
type VersionCache = Arc<Mutex<Option<(Instant, Arc<Vec<String>>)>>>;

/// How long discovered API versions serve renders before they are read
/// again: a CRD installed outside plumb is seen within this time (plumb's
/// own CRD applies refresh them at once).
const API_VERSIONS_TTL: Duration = Duration::from_secs(60);

/// A Kubernetes client with a discovery cache.
#[derive(Clone)]
pub struct Cluster {
    client: kube::Client,
    requests: prometheus::IntCounterVec,
    kinds: KindCache,
    api_versions: VersionCache,
    /// The API server's version as it reported it (`v1.33.4`), when known:
    /// charts see it as `.Capabilities.KubeVersion`.
    version: Option<String>,
}

impl Cluster {
    /// Wraps a client; every call is counted in `requests`
    /// (`plumb_kube_requests_total{verb,code}`).
    pub fn new(client: kube::Client, requests: prometheus::IntCounterVec) -> Cluster {
        Cluster {
            client,
            requests,
            kinds: Arc::new(Mutex::new(HashMap::new())),
            api_versions: Arc::new(Mutex::new(None)),
            version: None,
        }
    }

    /// The same cluster, known to run `version` (as its API server reports
    /// it, e.g. `v1.33.4`).
    pub fn with_version(mut self, version: impl Into<String>) -> Cluster {
        self.version = Some(version.into());
        self
    }

    /// The API server's version, when known.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// Every API version and kind the cluster serves, as `helm install`
    /// gives them to charts as `.Capabilities.APIVersions` (`apps/v1` and
    /// `apps/v1/Deployment`, CRDs included), read by discovery and kept
    /// for [`API_VERSIONS_TTL`]. A group whose resources cannot be listed
    /// (an aggregated API that is down, e.g. metrics-server starting) is
    /// left out, as Helm leaves it out.
    ///
    /// # Errors
    /// [`ApplyError::Api`] when the API server's group lists cannot be
    /// read.
    pub async fn api_versions(&self) -> Result<Arc<Vec<String>>, ApplyError> {
        let cached = self.api_versions.lock().ok().and_then(|c| c.clone());
        if let Some((read_at, set)) = cached {
            if read_at.elapsed() < API_VERSIONS_TTL {
                return Ok(set);
            }
        }
        let set = Arc::new(self.discover_api_versions().await?);
        if let Ok(mut cache) = self.api_versions.lock() {
            *cache = Some((Instant::now(), set.clone()));
        }
        Ok(set)
    }

    /// Drops the discovered API versions, so the next render reads them
    /// again: after plumb applies a CustomResourceDefinition.
    pub fn forget_api_versions(&self) {
        if let Ok(mut cache) = self.api_versions.lock() {
            *cache = None;
        }
    }

    async fn discover_api_versions(&self) -> Result<Vec<String>, ApplyError> {
        let error = |e: kube::Error| ApplyError::Api {
            object: "the API server's discovery".to_string(),
            verb: "discover",
            source: e,
        };
        let core = self.client.list_core_api_versions().await;
        self.count("discover", &core);
        let core = core.map_err(error)?;
        let groups = self.client.list_api_groups().await;
        self.count("discover", &groups);
        let groups = groups.map_err(error)?;
        let mut group_versions: Vec<(bool, String)> =
            core.versions.into_iter().map(|v| (true, v)).collect();
        for group in groups.groups {
            for v in group.versions {
                group_versions.push((false, v.group_version));
            }
        }
        let lists = futures::future::join_all(group_versions.iter().map(|(core, gv)| async move {
            let result = if *core {
                self.client.list_core_api_resources(gv).await
            } else {
                self.client.list_api_group_resources(gv).await
            };
            self.count("discover", &result);
            (gv, result)
        }))
        .await;
        let mut resources = Vec::new();
        for (gv, result) in lists {
            match result {
                Ok(list) => resources.push((
                    list.group_version,
                    list.resources.into_iter().map(|r| r.kind).collect(),
                )),
                Err(e) => {
                    tracing::debug!(group_version = %gv, error = %e, "discovery of a group failed; its kinds are left out")
                }
            }
        }
        let versions: Vec<String> = group_versions.into_iter().map(|(_, gv)| gv).collect();
        Ok(version_set(&versions, &resources))
    }

    /// The underlying client (for watches).
    pub fn client(&self) -> &kube::Client {
        &self.client
    }

    fn count(&self, verb: &str, result: &Result<impl Sized, kube::Error>) {
        let code = match result {
            Ok(_) => "200".to_string(),
            Err(kube::Error::Api(status)) => status.code.to_string(),
            Err(_) => "error".to_string(),
        };
        self.requests.with_label_values(&[verb, &code]).inc();
    }

    /// The API resource of a kind and whether it is namespaced, from the
    /// cache or one discovery call. Unknown kinds are looked up again each
    /// time, so a CRD applied earlier in the same sync is found.
    ///
    /// # Errors
    /// [`ApplyError::UnknownKind`].
    pub async fn resolve(
        &self,
        api_version: &str,
        kind: &str,
        object: &str,
    ) -> Result<(ApiResource, bool), ApplyError> {
        let key = (api_version.to_string(), kind.to_string());
        if let Some(found) = self.kinds.lock().ok().and_then(|k| k.get(&key).cloned()) {
            return Ok(found);
        }
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", api_version),
        };
        let gvk = GroupVersionKind::gvk(group, version, kind);
        let result = kube::discovery::pinned_kind(&self.client, &gvk).await;
        self.count("discover", &result);
        match result {
            Ok((resource, caps)) => {
                let found = (resource, namespaced(&caps));
                if let Ok(mut kinds) = self.kinds.lock() {
                    kinds.insert(key, found.clone());
                }
                Ok(found)
            }
            Err(_) => Err(ApplyError::UnknownKind {
                object: object.to_string(),
                api_version: api_version.to_string(),
                kind: kind.to_string(),
            }),
        }
    }

    fn api(&self, resource: &ApiResource, namespace: &str) -> Api<DynamicObject> {
        if namespace.is_empty() {
            Api::all_with(self.client.clone(), resource)
        } else {
            Api::namespaced_with(self.client.clone(), namespace, resource)
        }
    }

    fn error(&self, object: &ObjRef, verb: &'static str, e: kube::Error) -> ApplyError {
        let object_text = object.to_string();
        match e {
            kube::Error::Api(status) if status.is_forbidden() => ApplyError::Forbidden {
                object: object_text,
                verb,
                kind: object.kind.clone(),
                message: status.message.clone(),
            },
            kube::Error::Api(status) if status.is_conflict() && verb == "apply" => {
                ApplyError::Conflict {
                    object: object_text,
                    message: status.message.clone(),
                }
            }
            kube::Error::Api(status) if status.is_invalid() || status.code == 422 => {
                ApplyError::Invalid {
                    object: object_text,
                    verb,
                    immutable: is_immutable_message(&status.message),
                    message: status.message.clone(),
                }
            }
            other => ApplyError::Api {
                object: object_text,
                verb,
                source: other,
            },
        }
    }

    /// Reads a live object; `None` when it does not exist.
    ///
    /// # Errors
    /// [`ApplyError`] for anything but not-found.
    pub async fn get(&self, object: &ObjRef) -> Result<Option<Value>, ApplyError> {
        let (resource, _) = self
            .resolve(&object.api_version(), &object.kind, &object.to_string())
            .await?;
        let result = self
            .api(&resource, &object.namespace)
            .get_opt(&object.name)
            .await;
        self.count("get", &result);
        match result {
            Ok(found) => found.map(|o| to_json(object, "get", o)).transpose(),
            Err(e) => Err(self.error(object, "get", e)),
        }
    }

    /// Lists objects of a kind in a namespace by label selector.
    ///
    /// # Errors
    /// [`ApplyError`].
    pub async fn list(&self, template: &ObjRef, selector: &str) -> Result<Vec<Value>, ApplyError> {
        let (resource, _) = self
            .resolve(
                &template.api_version(),
                &template.kind,
                &template.to_string(),
            )
            .await?;
        let params = kube::api::ListParams::default().labels(selector);
        let result = self.api(&resource, &template.namespace).list(&params).await;
        self.count("list", &result);
        match result {
            // Items of a list carry no apiVersion and kind; every reader
            // (health, Secret masking in diffs) needs them.
            Ok(list) => list
                .items
                .into_iter()
                .map(|o| {
                    let mut item = to_json(template, "list", o)?;
                    item["apiVersion"] = Value::String(template.api_version());
                    item["kind"] = Value::String(template.kind.clone());
                    Ok(item)
                })
                .collect(),
            Err(e) => Err(self.error(template, "list", e)),
        }
    }

    /// Server-side applies `data` as field manager `plumb`; `force` takes
    /// over fields another manager changed (used for objects plumb applied
    /// before, so `kubectl edit` does not block the next deploy).
    ///
    /// # Errors
    /// [`ApplyError`], with conflicts and immutable fields told apart.
    pub async fn apply(
        &self,
        object: &ObjRef,
        data: &Value,
        force: bool,
        dry_run: bool,
    ) -> Result<Value, ApplyError> {
        let (resource, _) = self
            .resolve(&object.api_version(), &object.kind, &object.to_string())
            .await?;
        let mut params = PatchParams::apply(FIELD_MANAGER);
        params.force = force;
        params.dry_run = dry_run;
        let result = self
            .api(&resource, &object.namespace)
            .patch(&object.name, &params, &Patch::Apply(data))
            .await;
        self.count(if dry_run { "apply-dry-run" } else { "apply" }, &result);
        if !dry_run && result.is_ok() {
            // Charts may test for a new kind in `.Capabilities`; a CRD
            // applied unchanged (every sync) does not cost a discovery.
            let kinds = crd_served_kinds(data);
            let known = self
                .api_versions
                .lock()
                .ok()
                .and_then(|c| c.as_ref().map(|(_, set)| set.clone()));
            if known.is_some_and(|set| kinds.iter().any(|k| set.binary_search(k).is_err())) {
                self.forget_api_versions();
            }
        }
        match result {
            Ok(applied) => to_json(object, "apply", applied),
            Err(e) => Err(self.error(object, "apply", e)),
        }
    }

    /// Deletes an object. `foreground` waits for dependents (used before a
    /// re-create); otherwise they go in the background. Not-found is fine.
    ///
    /// # Errors
    /// [`ApplyError`] for anything but not-found.
    pub async fn delete(&self, object: &ObjRef, foreground: bool) -> Result<(), ApplyError> {
        let (resource, _) = self
            .resolve(&object.api_version(), &object.kind, &object.to_string())
            .await?;
        let params = DeleteParams {
            propagation_policy: Some(if foreground {
                PropagationPolicy::Foreground
            } else {
                PropagationPolicy::Background
            }),
            ..DeleteParams::default()
        };
        let result = self
            .api(&resource, &object.namespace)
            .delete(&object.name, &params)
            .await;
        self.count("delete", &result);
        match result {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.is_not_found() => Ok(()),
            Err(e) => Err(self.error(object, "delete", e)),
        }
    }

    /// Deletes and waits until the object is gone (at most `timeout`).
    ///
    /// # Errors
    /// [`ApplyError`] from the delete or the reads, and
    /// [`ApplyError::StillTerminating`] when it is still there after
    /// `timeout` (a finalizer or a slow controller): never apply over it.
    pub async fn delete_and_wait(
        &self,
        object: &ObjRef,
        timeout: Duration,
    ) -> Result<(), ApplyError> {
        // Workloads go in the foreground, so their pods are gone before a
        // re-created one starts; other kinds have no dependents worth
        // waiting for (and foreground deletion needs the garbage collector).
        let foreground = matches!(
            object.kind.as_str(),
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" | "CronJob"
        );
        self.delete(object, foreground).await?;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.get(object).await?.is_none() {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ApplyError::StillTerminating {
                    object: object.to_string(),
                    secs: timeout.as_secs(),
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Creates a namespace if it is missing (labelled as plumb's).
    ///
    /// # Errors
    /// [`ApplyError`].
    pub async fn ensure_namespace(&self, name: &str, app: &str) -> Result<bool, ApplyError> {
        let object = namespace_ref(name);
        if self.get(&object).await?.is_some() {
            return Ok(false);
        }
        let (resource, _) = self.resolve("v1", "Namespace", &object.to_string()).await?;
        let data: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": name, "labels": {
                MANAGED_BY.0: MANAGED_BY.1,
                APP_LABEL: app,
            }},
        }))
        .map_err(|e| ApplyError::Invalid {
            object: object.to_string(),
            verb: "create",
            message: e.to_string(),
            immutable: false,
        })?;
        let result = self
            .api(&resource, "")
            .create(&PostParams::default(), &data)
            .await;
        self.count("create", &result);
        match result {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(status)) if status.is_already_exists() => Ok(false),
            Err(e) => Err(self.error(&object, "create", e)),
        }
    }

    /// Records a Kubernetes Event on `object` (its live JSON, for the uid),
    /// as `kubectl describe` shows it. Failures are logged, never fatal.
    pub async fn event(&self, object: &Value, reason: &str, note: String) {
        use kube::runtime::events::{Event, EventType, Recorder, Reporter};
        let reference = k8s_openapi::api::core::v1::ObjectReference {
            api_version: object["apiVersion"].as_str().map(str::to_string),
            kind: object["kind"].as_str().map(str::to_string),
            name: object["metadata"]["name"].as_str().map(str::to_string),
            namespace: object["metadata"]["namespace"].as_str().map(str::to_string),
            uid: object["metadata"]["uid"].as_str().map(str::to_string),
            resource_version: object["metadata"]["resourceVersion"]
                .as_str()
                .map(str::to_string),
            ..Default::default()
        };
        let recorder = Recorder::new(
            self.client.clone(),
            Reporter {
                controller: FIELD_MANAGER.to_string(),
                instance: None,
            },
        );
        let mut note = note;
        note.truncate(1000);
        let event = Event {
            type_: EventType::Normal,
            reason: reason.to_string(),
            note: Some(note),
            action: reason.to_string(),
            secondary: None,
        };
        let result = recorder.publish(&event, &reference).await;
        self.count("event", &result);
        if let Err(e) = result {
            tracing::debug!(error = %e, reason, "cannot record an event");
        }
    }

    /// Reads an app's inventory; empty when it has none yet.
    ///
    /// # Errors
    /// [`ApplyError`], also when the ConfigMap holds something unreadable
    /// (never read as empty: that would forget what to prune).
    pub async fn read_inventory(&self, app: &str) -> Result<Inventory, ApplyError> {
        let object = inventory_ref(app);
        match self.get(&object).await? {
            None => Ok(Inventory::default()),
            Some(live) => Ok(Inventory::from_live_data(app, &live["data"])?),
        }
    }

    /// Writes an app's inventory (creating `plumb-system` if needed).
    ///
    /// # Errors
    /// [`ApplyError`].
    pub async fn write_inventory(
        &self,
        app: &str,
        inventory: &Inventory,
    ) -> Result<(), ApplyError> {
        let data = inventory.to_data(app)?;
        self.ensure_namespace(inventory::NAMESPACE, "plumb").await?;
        let object = inventory_ref(app);
        let manifest = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": object.name,
                "namespace": object.namespace,
                "labels": {MANAGED_BY.0: MANAGED_BY.1, APP_LABEL: app},
            },
            "data": data,
        });
        self.apply(&object, &manifest, true, false)
            .await
            .map(|_| ())
    }
}

/// An API object as JSON; a failure here would be a bug in the client.
fn to_json(object: &ObjRef, verb: &'static str, o: DynamicObject) -> Result<Value, ApplyError> {
    serde_json::to_value(o).map_err(|source| ApplyError::Decode {
        object: object.to_string(),
        verb,
        source,
    })
}

fn namespaced(caps: &ApiCapabilities) -> bool {
    caps.scope == Scope::Namespaced
}

/// The `group/version/Kind` of every version a CustomResourceDefinition
/// serves (none for any other object): what discovery shows once it is
/// established.
pub fn crd_served_kinds(crd: &Value) -> Vec<String> {
    let is_crd = crd["kind"] == "CustomResourceDefinition"
        && crd["apiVersion"]
            .as_str()
            .is_some_and(|v| v.starts_with("apiextensions.k8s.io/"));
    let spec = &crd["spec"];
    let (true, Some(group), Some(kind)) = (
        is_crd,
        spec["group"].as_str(),
        spec["names"]["kind"].as_str(),
    ) else {
        return Vec::new();
    };
    spec["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["served"].as_bool() != Some(false))
        .filter_map(|v| v["name"].as_str())
        .map(|name| format!("{group}/{name}/{kind}"))
        .collect()
}

/// Helm's `GetVersionSet`: every group version, and every kind under its
/// group version (`apps/v1/Deployment`), once each, sorted (Helm's order is
/// a map's, so random). Empty when discovery found nothing: renders then
/// use Helm's default set, as Helm does.
pub fn version_set(group_versions: &[String], resources: &[(String, Vec<String>)]) -> Vec<String> {
    let mut set: std::collections::BTreeSet<String> = group_versions.iter().cloned().collect();
    for (gv, kinds) in resources {
        for kind in kinds {
            set.insert(format!("{gv}/{kind}"));
        }
    }
    set.into_iter().collect()
}

/// The identity of a Namespace.
pub fn namespace_ref(name: &str) -> ObjRef {
    ObjRef::new("v1", "Namespace", "", name)
}

/// The identity of an app's inventory ConfigMap.
pub fn inventory_ref(app: &str) -> ObjRef {
    ObjRef::new(
        "v1",
        "ConfigMap",
        inventory::NAMESPACE,
        &inventory::configmap_name(app),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn immutable_rejections_are_recognised() {
        assert!(is_immutable_message(
            "Job.batch \"migrate\" is invalid: spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable"
        ));
        assert!(is_immutable_message(
            "StatefulSet.apps \"db\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
        ));
        assert!(is_immutable_message(
            "PersistentVolumeClaim \"data\" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests for bound claims"
        ));
        assert!(!is_immutable_message("spec.replicas: Invalid value: -1"));
    }

    #[test]
    fn version_set_holds_group_versions_and_kinds_once() {
        let set = version_set(
            &["v1".into(), "apps/v1".into(), "example.com/v1".into()],
            &[
                (
                    "v1".into(),
                    vec!["Pod".into(), "Pod".into(), "Binding".into()],
                ),
                ("apps/v1".into(), vec!["Deployment".into(), "Scale".into()]),
            ],
        );
        assert_eq!(
            set,
            [
                "apps/v1",
                "apps/v1/Deployment",
                "apps/v1/Scale",
                "example.com/v1",
                "v1",
                "v1/Binding",
                "v1/Pod",
            ]
        );
        assert!(version_set(&[], &[]).is_empty());
    }
}
