//! The core types every stage shares: a desired [`Object`] and where it came
//! from ([`Origin`]), an object's identity in the cluster ([`ObjRef`], and
//! [`ObjKey`] without the version), and the labels, annotations and kinds
//! plumb gives meaning to. Pure data: no I/O, no kube client.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Label on every object plumb manages: (key, value).
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "plumb");
/// Label naming the app an object belongs to.
pub const APP_LABEL: &str = "plumb.dev/app";
/// Annotation with the revision an object was applied from.
pub const REVISION_ANNOTATION: &str = "plumb.dev/revision";
/// Annotation that keeps an object from ever being pruned (`disabled`).
pub const PRUNE_ANNOTATION: &str = "plumb.dev/prune";
/// Annotation that puts an object in a wave (an integer, default 0).
pub const WAVE_ANNOTATION: &str = "plumb.dev/wave";
/// Annotation that opts an object out of drift correction (`ignore`).
pub const DRIFT_ANNOTATION: &str = "plumb.dev/drift";
/// Annotation that lets plumb delete and re-create a StatefulSet whose
/// immutable fields changed (`allowed`).
pub const REPLACE_ANNOTATION: &str = "plumb.dev/replace";
/// Helm's hook annotation (`pre-install,pre-upgrade`, ...).
pub const HOOK_ANNOTATION: &str = "helm.sh/hook";
/// Helm's hook weight annotation (an integer, default 0).
pub const HOOK_WEIGHT_ANNOTATION: &str = "helm.sh/hook-weight";
/// Helm's hook delete policy annotation.
pub const HOOK_DELETE_ANNOTATION: &str = "helm.sh/hook-delete-policy";

/// Kinds the engine treats specially.
pub mod kinds {
    /// Established before objects of the kinds it defines are applied.
    pub const CRD: &str = "CustomResourceDefinition";
    /// Holds data: never replaced by plumb.
    pub const PVC: &str = "PersistentVolumeClaim";
    /// Replaced only when annotated `plumb.dev/replace: allowed`.
    pub const STATEFUL_SET: &str = "StatefulSet";
    /// The usual hook kind; its pods explain its failures.
    pub const JOB: &str = "Job";
}

/// Where an object came from, for messages: a file of the repo, the YAML
/// document in it, and for rendered templates the template and position
/// that produced it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    /// Path of the file inside the repo.
    pub file: String,
    /// 0-based index of the YAML document in the file.
    pub doc: usize,
    /// 1-based line where the document starts.
    pub line: usize,
    /// The template that rendered it (charts), when it differs from `file`.
    pub template: Option<String>,
    /// 1-based column in the template, when known.
    pub column: Option<usize>,
}

impl Origin {
    /// The origin of document `doc` of a plain file, starting at `line`.
    pub fn file(file: impl Into<String>, doc: usize, line: usize) -> Origin {
        Origin {
            file: file.into(),
            doc,
            line,
            template: None,
            column: None,
        }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if let Some(column) = self.column {
            write!(f, ":{column}")?;
        }
        write!(f, " (document {})", self.doc + 1)?;
        if let Some(template) = &self.template {
            write!(f, " from template {template}")?;
        }
        Ok(())
    }
}

/// A desired object as rendered, plus where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// The manifest as JSON.
    pub data: Value,
    /// The file and document it came from.
    pub origin: Origin,
}

impl Object {
    /// `apiVersion`.
    pub fn api_version(&self) -> &str {
        self.data["apiVersion"].as_str().unwrap_or("")
    }
    /// `kind`.
    pub fn kind(&self) -> &str {
        self.data["kind"].as_str().unwrap_or("")
    }
    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.data["metadata"]["name"].as_str().unwrap_or("")
    }
    /// `metadata.namespace`, if set.
    pub fn namespace(&self) -> Option<&str> {
        self.data["metadata"]["namespace"].as_str()
    }
    /// An annotation's value.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.data["metadata"]["annotations"][key].as_str()
    }
    /// How messages name it: `file:line (document N) (Kind `name`)`.
    pub fn describe(&self) -> String {
        format!("{} ({} `{}`)", self.origin, self.kind(), self.name())
    }
}

impl AsRef<Object> for Object {
    fn as_ref(&self) -> &Object {
        self
    }
}

/// Identity of an object in the cluster, with its API version.
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
        let (group, version) = split_api_version(api_version);
        ObjRef {
            group: group.to_string(),
            version: version.to_string(),
            kind: data["kind"].as_str().unwrap_or("").to_string(),
            namespace: namespace.to_string(),
            name: data["metadata"]["name"].as_str().unwrap_or("").to_string(),
        }
    }

    /// A reference from its parts; `api_version` is `group/version` or `v1`.
    pub fn new(api_version: &str, kind: &str, namespace: &str, name: &str) -> ObjRef {
        let (group, version) = split_api_version(api_version);
        ObjRef {
            group: group.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
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
    pub fn key(&self) -> ObjKey {
        ObjKey {
            group: self.group.clone(),
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }

    /// The same kind and namespace with another name (`*` for a list).
    pub fn with_name(&self, name: &str) -> ObjRef {
        ObjRef {
            name: name.to_string(),
            ..self.clone()
        }
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

/// An object's identity without its API version: what the inventory,
/// drift and live state are keyed by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjKey {
    /// API group, empty for the core group.
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Namespace, empty for cluster-scoped objects.
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl std::fmt::Display for ObjKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{}/{}", self.kind, self.name)
        } else {
            write!(f, "{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// `group/version` into (group, version); the core group is empty.
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identity_with_and_without_version() {
        let data =
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"}});
        let r = ObjRef::of(&data, "p");
        assert_eq!(r.api_version(), "apps/v1");
        assert_eq!(r.to_string(), "Deployment/p/api");
        let mut beta = r.clone();
        beta.version = "v1beta1".into();
        assert_eq!(beta.key(), r.key(), "the key ignores the version");
        assert_eq!(
            ObjRef::new("v1", "Namespace", "", "p").to_string(),
            "Namespace/p"
        );
        assert_eq!(ObjRef::new("v1", "ConfigMap", "p", "c").group, "");
    }

    #[test]
    fn origins_name_file_line_and_template() {
        assert_eq!(
            Origin::file("m/a.yaml", 1, 7).to_string(),
            "m/a.yaml:7 (document 2)"
        );
        let rendered = Origin {
            file: "charts/p/templates/api.yaml".into(),
            doc: 0,
            line: 3,
            template: Some("p/templates/_helpers.tpl".into()),
            column: Some(12),
        };
        assert_eq!(
            rendered.to_string(),
            "charts/p/templates/api.yaml:3:12 (document 1) from template p/templates/_helpers.tpl"
        );
    }
}
