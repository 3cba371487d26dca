//! The order objects are applied in: Helm hooks, then waves, each wave in
//! Helm's install order by kind. Pure: objects in, a plan out.
//!
//! - `plumb.dev/wave: "<int>"` puts an object in a wave (default 0); waves run
//!   in ascending order and each must be healthy before the next starts.
//! - Within a wave, objects are grouped by kind rank (Helm's `InstallOrder`,
//!   unknown kinds last); a group is applied before the next, so Namespaces
//!   and CRDs exist before what lives in them.
//! - `helm.sh/hook: pre-install,pre-upgrade` objects run before the waves,
//!   `post-install,post-upgrade` after them, by `helm.sh/hook-weight`, one
//!   weight at a time, and must complete. `install` hooks run on an app's
//!   first deploy, `upgrade` hooks on later ones. Other hooks (test,
//!   pre-delete, rollback) are not applied by plumb.

use crate::object::{
    Object, HOOK_ANNOTATION, HOOK_DELETE_ANNOTATION, HOOK_WEIGHT_ANNOTATION, WAVE_ANNOTATION,
};

/// Helm's install order by kind (helm/pkg/release/util/kind_sorter.go).
pub const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// The rank of a kind in [`INSTALL_ORDER`]; unknown kinds sort last.
pub fn kind_rank(kind: &str) -> usize {
    INSTALL_ORDER
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(INSTALL_ORDER.len())
}

/// Errors in ordering annotations, naming the object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// A wave or hook weight that is not an integer.
    #[error("{origin}: {kind} `{name}`: annotation {annotation}: `{value}` is not an integer (hint: write it quoted, like \"1\" or \"-2\")")]
    NotAnInteger {
        origin: String,
        kind: String,
        name: String,
        annotation: &'static str,
        value: String,
    },
}

/// When a hook runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookPhase {
    /// Before the waves.
    Pre,
    /// After every wave is healthy.
    Post,
}

/// What to do with a hook object after it ran (`helm.sh/hook-delete-policy`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeletePolicy {
    /// Delete the previous instance before creating it (Helm's default).
    pub before_creation: bool,
    /// Delete it once it succeeded.
    pub on_success: bool,
    /// Delete it when it failed.
    pub on_failure: bool,
}

/// A hook, with its weight and delete policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Hook<T = Object> {
    /// The object (usually a Job).
    pub object: T,
    /// `helm.sh/hook-weight`, default 0.
    pub weight: i64,
    /// `helm.sh/hook-delete-policy`.
    pub delete: DeletePolicy,
}

/// One wave: groups of objects, each group one kind rank.
#[derive(Debug, Clone, PartialEq)]
pub struct Wave<T = Object> {
    /// The wave number.
    pub number: i64,
    /// Kind-rank groups in order; objects in a group may be applied together.
    pub groups: Vec<Vec<T>>,
}

impl<T> Wave<T> {
    /// Every object of the wave in apply order.
    pub fn objects(&self) -> impl Iterator<Item = &T> {
        self.groups.iter().flatten()
    }
}

/// Everything to apply for one reconcile, in order: hooks before, waves,
/// hooks after. `T` is a rendered [`Object`] or anything that holds one.
#[derive(Debug, Clone, PartialEq)]
pub struct Stages<T = Object> {
    /// Hooks before the waves, by weight.
    pub pre_hooks: Vec<Vec<Hook<T>>>,
    /// The main set.
    pub waves: Vec<Wave<T>>,
    /// Hooks after the waves, by weight.
    pub post_hooks: Vec<Vec<Hook<T>>>,
    /// Hooks that do not run in this kind of sync (install vs upgrade,
    /// test, delete and rollback hooks).
    pub other_hooks: Vec<T>,
}

impl<T> Default for Stages<T> {
    fn default() -> Self {
        Stages {
            pre_hooks: Vec::new(),
            waves: Vec::new(),
            post_hooks: Vec::new(),
            other_hooks: Vec::new(),
        }
    }
}

impl<T> Stages<T> {
    /// Every non-hook object, in apply order.
    pub fn objects(&self) -> impl Iterator<Item = &T> {
        self.waves.iter().flat_map(Wave::objects)
    }

    /// Every hook that runs in this sync, in order.
    pub fn hooks(&self) -> impl Iterator<Item = &Hook<T>> {
        self.pre_hooks.iter().chain(&self.post_hooks).flatten()
    }
}

fn parse_int(object: &Object, annotation: &'static str) -> Result<Option<i64>, OrderError> {
    match object.annotation(annotation) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| OrderError::NotAnInteger {
                origin: object.origin.to_string(),
                kind: object.kind().to_string(),
                name: object.name().to_string(),
                annotation,
                value: v.to_string(),
            }),
    }
}

/// Which phase a hook annotation puts an object in, for an install (first
/// deploy) or an upgrade. `Some(None)`: a hook, but not one run now.
fn hook_phase(object: &Object, install: bool) -> Option<Option<HookPhase>> {
    let hooks = object.annotation(HOOK_ANNOTATION)?;
    let mut phase = None;
    for hook in hooks.split(',').map(str::trim) {
        match (hook, install) {
            ("pre-install", true) | ("pre-upgrade", false) => phase = Some(HookPhase::Pre),
            ("post-install", true) | ("post-upgrade", false) => {
                phase = phase.or(Some(HookPhase::Post))
            }
            _ => {}
        }
    }
    Some(phase)
}

fn delete_policy(object: &Object) -> DeletePolicy {
    match object.annotation(HOOK_DELETE_ANNOTATION) {
        None => DeletePolicy {
            before_creation: true,
            ..DeletePolicy::default()
        },
        Some(policies) => {
            let has = |p: &str| policies.split(',').any(|x| x.trim() == p);
            DeletePolicy {
                before_creation: has("before-hook-creation"),
                on_success: has("hook-succeeded"),
                on_failure: has("hook-failed"),
            }
        }
    }
}

fn by_kind_then_name(a: &Object, b: &Object) -> std::cmp::Ordering {
    kind_rank(a.kind())
        .cmp(&kind_rank(b.kind()))
        .then_with(|| a.kind().cmp(b.kind()))
        .then_with(|| a.namespace().cmp(&b.namespace()))
        .then_with(|| a.name().cmp(b.name()))
}

fn group_hooks<T: AsRef<Object>>(mut hooks: Vec<Hook<T>>) -> Vec<Vec<Hook<T>>> {
    hooks.sort_by(|a, b| {
        a.weight
            .cmp(&b.weight)
            .then_with(|| by_kind_then_name(a.object.as_ref(), b.object.as_ref()))
    });
    let mut groups: Vec<Vec<Hook<T>>> = Vec::new();
    for hook in hooks {
        match groups.last_mut() {
            Some(group) if group[0].weight == hook.weight => group.push(hook),
            _ => groups.push(vec![hook]),
        }
    }
    groups
}

/// Orders objects into stages. `install` is true on an app's first deploy,
/// which selects `*-install` hooks over `*-upgrade`.
///
/// # Errors
/// [`OrderError`] for a wave or hook weight that is not an integer.
pub fn stages<T: AsRef<Object>>(items: Vec<T>, install: bool) -> Result<Stages<T>, OrderError> {
    let mut pre = Vec::new();
    let mut post = Vec::new();
    let mut other = Vec::new();
    let mut waves: std::collections::BTreeMap<i64, Vec<T>> = std::collections::BTreeMap::new();
    for item in items {
        let object = item.as_ref();
        match hook_phase(object, install) {
            Some(phase) => {
                let weight = parse_int(object, HOOK_WEIGHT_ANNOTATION)?.unwrap_or(0);
                let delete = delete_policy(object);
                let hook = Hook {
                    object: item,
                    weight,
                    delete,
                };
                match phase {
                    Some(HookPhase::Pre) => pre.push(hook),
                    Some(HookPhase::Post) => post.push(hook),
                    None => other.push(hook.object),
                }
            }
            None => {
                let wave = parse_int(object, WAVE_ANNOTATION)?.unwrap_or(0);
                waves.entry(wave).or_default().push(item);
            }
        }
    }
    let waves = waves
        .into_iter()
        .map(|(number, mut items)| {
            items.sort_by(|a, b| by_kind_then_name(a.as_ref(), b.as_ref()));
            let mut groups: Vec<Vec<T>> = Vec::new();
            for item in items {
                match groups.last_mut() {
                    Some(group)
                        if kind_rank(group[0].as_ref().kind())
                            == kind_rank(item.as_ref().kind()) =>
                    {
                        group.push(item)
                    }
                    _ => groups.push(vec![item]),
                }
            }
            Wave { number, groups }
        })
        .collect();
    Ok(Stages {
        pre_hooks: group_hooks(pre),
        waves,
        post_hooks: group_hooks(post),
        other_hooks: other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::Origin;
    use serde_json::json;

    fn obj(kind: &str, name: &str) -> Object {
        Object {
            data: json!({"apiVersion": "v1", "kind": kind, "metadata": {"name": name}}),
            origin: Origin::file("m/x.yaml", 0, 1),
        }
    }

    fn annotated(kind: &str, name: &str, annotations: &[(&str, &str)]) -> Object {
        let mut o = obj(kind, name);
        for (k, v) in annotations {
            o.data["metadata"]["annotations"][*k] = json!(v);
        }
        o
    }

    fn names(wave: &Wave) -> Vec<Vec<String>> {
        wave.groups
            .iter()
            .map(|g| {
                g.iter()
                    .map(|o| format!("{}/{}", o.kind(), o.name()))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn helm_install_order_by_kind_unknown_last() {
        let p = stages(
            vec![
                obj("Ingress", "web"),
                obj("Deployment", "api"),
                obj("Widget", "w"),
                obj("ConfigMap", "cfg"),
                obj("Namespace", "ns"),
                obj("Service", "api"),
                obj("StatefulSet", "db"),
                obj("Job", "migrate"),
                obj("CustomResourceDefinition", "widgets.example.com"),
                obj("Secret", "s"),
                obj("Deployment", "frontend"),
            ],
            true,
        )
        .unwrap();
        assert_eq!(p.waves.len(), 1);
        assert_eq!(
            names(&p.waves[0]),
            vec![
                vec!["Namespace/ns"],
                vec!["Secret/s"],
                vec!["ConfigMap/cfg"],
                vec!["CustomResourceDefinition/widgets.example.com"],
                vec!["Service/api"],
                vec!["Deployment/api", "Deployment/frontend"],
                vec!["StatefulSet/db"],
                vec!["Job/migrate"],
                vec!["Ingress/web"],
                vec!["Widget/w"],
            ]
        );
    }

    #[test]
    fn waves_run_in_order_and_refine_kind_order() {
        let p = stages(
            vec![
                annotated("ConfigMap", "late", &[(WAVE_ANNOTATION, "2")]),
                obj("Deployment", "api"),
                annotated("Namespace", "early", &[(WAVE_ANNOTATION, "-1")]),
                annotated("Service", "late-svc", &[(WAVE_ANNOTATION, " 2 ")]),
            ],
            false,
        )
        .unwrap();
        let numbers: Vec<_> = p.waves.iter().map(|w| w.number).collect();
        assert_eq!(numbers, [-1, 0, 2]);
        assert_eq!(
            names(&p.waves[2]),
            vec![vec!["ConfigMap/late"], vec!["Service/late-svc"]]
        );
    }

    #[test]
    fn a_bad_wave_names_the_object() {
        let err = stages(
            vec![annotated("ConfigMap", "c", &[(WAVE_ANNOTATION, "soon")])],
            true,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with(
                "m/x.yaml:1 (document 1): ConfigMap `c`: annotation plumb.dev/wave: `soon`"
            ),
            "{err}"
        );
    }

    #[test]
    fn install_and_upgrade_hooks() {
        let objects = vec![
            annotated(
                "Job",
                "migrate",
                &[("helm.sh/hook", "pre-install,pre-upgrade")],
            ),
            annotated("Job", "seed", &[("helm.sh/hook", "post-install")]),
            annotated("Job", "notify", &[("helm.sh/hook", "post-upgrade")]),
            annotated("Pod", "test", &[("helm.sh/hook", "test")]),
            obj("Deployment", "api"),
        ];
        let install = stages(objects.clone(), true).unwrap();
        let hook_names = |groups: &Vec<Vec<Hook>>| -> Vec<String> {
            groups
                .iter()
                .flatten()
                .map(|h| h.object.name().to_string())
                .collect()
        };
        assert_eq!(hook_names(&install.pre_hooks), ["migrate"]);
        assert_eq!(hook_names(&install.post_hooks), ["seed"]);
        assert_eq!(
            install.objects().count(),
            1,
            "hooks and test hooks are not in the waves"
        );
        let upgrade = stages(objects, false).unwrap();
        assert_eq!(hook_names(&upgrade.pre_hooks), ["migrate"]);
        assert_eq!(hook_names(&upgrade.post_hooks), ["notify"]);
    }

    #[test]
    fn hooks_group_by_weight() {
        let p = stages(
            vec![
                annotated(
                    "Job",
                    "b",
                    &[
                        ("helm.sh/hook", "pre-install"),
                        ("helm.sh/hook-weight", "5"),
                    ],
                ),
                annotated(
                    "Job",
                    "a",
                    &[
                        ("helm.sh/hook", "pre-install"),
                        ("helm.sh/hook-weight", "-5"),
                    ],
                ),
                annotated(
                    "ConfigMap",
                    "c",
                    &[
                        ("helm.sh/hook", "pre-install"),
                        ("helm.sh/hook-weight", "5"),
                    ],
                ),
            ],
            true,
        )
        .unwrap();
        let groups: Vec<Vec<&str>> = p
            .pre_hooks
            .iter()
            .map(|g| g.iter().map(|h| h.object.name()).collect())
            .collect();
        assert_eq!(groups, vec![vec!["a"], vec!["c", "b"]]);
    }

    #[test]
    fn delete_policies() {
        let p = stages(
            vec![
                annotated("Job", "default", &[("helm.sh/hook", "pre-install")]),
                annotated(
                    "Job",
                    "both",
                    &[
                        ("helm.sh/hook", "pre-install"),
                        ("helm.sh/hook-delete-policy", "hook-succeeded, hook-failed"),
                    ],
                ),
            ],
            true,
        )
        .unwrap();
        let hooks: Vec<_> = p.hooks().collect();
        let both = hooks.iter().find(|h| h.object.name() == "both").unwrap();
        assert_eq!(
            both.delete,
            DeletePolicy {
                before_creation: false,
                on_success: true,
                on_failure: true
            }
        );
        let default = hooks.iter().find(|h| h.object.name() == "default").unwrap();
        assert!(default.delete.before_creation && !default.delete.on_success);
    }
}
