//! The repo manifest: `plumb.yaml` at the root of the watched path, which
//! says what apps the repo holds. Pure: text in, apps or errors out.
//!
//! Parsing is strict (unknown keys are errors with their line) because a
//! mistyped key in a deploy file must never be silently ignored.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

pub use crate::cluster::inventory::PruneMode;

/// The file name of the repo manifest inside the watched path.
pub const FILE_NAME: &str = "plumb.yaml";

/// Errors in a repo manifest, naming the file, the line and the field.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ManifestError {
    /// The repo has no plumb.yaml at the revision.
    #[error("{file}: not found at revision {revision} (hint: commit a plumb.yaml listing your apps; see gitops-repo/plumb.yaml)")]
    Missing { file: String, revision: String },
    /// Not YAML, or not the schema (unknown key, wrong type); the message has the line.
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    /// A field has a value plumb cannot use.
    #[error("{file}:{line}: app `{app}`: `{field}` {message} (hint: {hint})")]
    Invalid {
        file: String,
        line: usize,
        app: String,
        field: &'static str,
        message: String,
        hint: &'static str,
    },
}

/// The parsed repo manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoManifest {
    /// Apps in file order; each is reconciled by its own queue.
    pub apps: Vec<AppSpec>,
}

/// One app: a set of objects deployed, pruned and health-checked together.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSpec {
    /// Unique name; a DNS label, because it becomes a label value and part of
    /// the inventory ConfigMap's name.
    pub name: String,
    /// Default namespace of the app's namespaced objects; created if missing.
    pub namespace: String,
    /// Directory of plain manifests, relative to the watched path.
    pub path: String,
    /// Delete objects that left git: `true` (default), `false`, or `force`
    /// (also when the render is empty or most of the app would go).
    #[serde(default = "prune_on", deserialize_with = "de_prune")]
    pub prune: PruneMode,
    /// How long to wait for the app to become healthy.
    #[serde(default = "default_timeout", deserialize_with = "de_duration")]
    pub timeout: Duration,
    /// When a revision does not become healthy, re-apply the last revision
    /// that did (and do not retry the bad one until the next commit).
    #[serde(default)]
    pub rollback: bool,
}

fn prune_on() -> PruneMode {
    PruneMode::On
}

fn de_prune<'de, D: Deserializer<'de>>(d: D) -> Result<PruneMode, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bool(bool),
        Text(String),
    }
    match Raw::deserialize(d)? {
        Raw::Bool(true) => Ok(PruneMode::On),
        Raw::Bool(false) => Ok(PruneMode::Off),
        Raw::Text(t) if t == "force" => Ok(PruneMode::Force),
        Raw::Text(t) => Err(serde::de::Error::custom(format!(
            "prune: `{t}` is not true, false or force"
        ))),
    }
}

fn default_timeout() -> Duration {
    Duration::from_secs(300)
}

fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    humantime::parse_duration(text.trim()).map_err(|e| {
        serde::de::Error::custom(format!(
            "invalid duration `{text}`: {e} (write it like 90s or 5m)"
        ))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    #[serde(default)]
    apps: Vec<AppSpec>,
}

/// Parses and validates a repo manifest. `file` is the path shown in errors.
///
/// # Errors
/// [`ManifestError`] for the first problem found.
pub fn parse(file: &str, text: &str) -> Result<RepoManifest, ManifestError> {
    let raw: RawManifest = serde_yaml_ng::from_str(text).map_err(|e| ManifestError::Parse {
        file: file.to_string(),
        message: e.to_string(),
    })?;
    let mut seen: Vec<&str> = Vec::new();
    for app in &raw.apps {
        let invalid = |field, message: String, hint| ManifestError::Invalid {
            file: file.to_string(),
            line: line_of_app(text, &app.name),
            app: app.name.clone(),
            field,
            message,
            hint,
        };
        if !is_dns_label(&app.name) {
            return Err(invalid(
                "name",
                "is not a DNS label".into(),
                "lowercase letters, digits and '-', at most 63, starting with a letter",
            ));
        }
        if seen.contains(&app.name.as_str()) {
            return Err(invalid(
                "name",
                "is used by two apps".into(),
                "app names must be unique",
            ));
        }
        seen.push(&app.name);
        if !is_dns_label(&app.namespace) {
            return Err(invalid(
                "namespace",
                format!("`{}` is not a valid namespace", app.namespace),
                "lowercase letters, digits and '-', at most 63",
            ));
        }
        let path = app.path.trim_matches('/');
        if path.split('/').any(|c| c == "..") {
            return Err(invalid(
                "path",
                format!("`{}` leaves the watched directory", app.path),
                "a directory below plumb.yaml, such as manifests/",
            ));
        }
    }
    Ok(RepoManifest { apps: raw.apps })
}

/// Whether `s` is an RFC 1123 DNS label (what Kubernetes wants for
/// namespaces and label-friendly names).
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The line of an app's `name:` entry, for messages; 1 if not found.
fn line_of_app(text: &str, name: &str) -> usize {
    text.lines()
        .position(|line| {
            let l = line.trim_start().trim_start_matches('-').trim_start();
            l.strip_prefix("name:")
                .map(|v| v.trim().trim_matches(|c| c == '"' || c == '\'') == name)
                .unwrap_or(false)
        })
        .map(|i| i + 1)
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = "apps:\n  - name: pakaura\n    namespace: pakaura\n    path: manifests/\n    timeout: 90s\n  - name: tools\n    namespace: tools\n    path: tools\n    prune: false\n";

    #[test]
    fn parses_apps_with_defaults() {
        let m = parse("plumb.yaml", OK).unwrap();
        assert_eq!(m.apps.len(), 2);
        assert_eq!(m.apps[0].timeout, Duration::from_secs(90));
        assert_eq!(m.apps[0].prune, PruneMode::On);
        assert_eq!(m.apps[1].prune, PruneMode::Off);
        assert_eq!(m.apps[1].timeout, Duration::from_secs(300));
    }

    #[test]
    fn prune_force_and_bad_values() {
        let force = "apps:\n- name: a\n  namespace: a\n  path: m\n  prune: force\n";
        assert_eq!(parse("p", force).unwrap().apps[0].prune, PruneMode::Force);
        let bad = "apps:\n- name: a\n  namespace: a\n  path: m\n  prune: maybe\n";
        assert!(parse("p", bad).unwrap_err().to_string().contains("maybe"));
    }

    #[test]
    fn unknown_key_names_file_key_and_line() {
        let text = "apps:\n  - name: a\n    namespace: a\n    path: m\n    prnue: true\n";
        let err = parse("gitops-repo/plumb.yaml", text)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("gitops-repo/plumb.yaml: "), "{err}");
        assert!(err.contains("prnue"), "{err}");
        assert!(err.contains("line 5"), "{err}");
    }

    #[test]
    fn missing_required_field_is_reported() {
        let err = parse("p.yaml", "apps:\n  - name: a\n    path: m\n").unwrap_err();
        assert!(err.to_string().contains("namespace"), "{err}");
    }

    #[test]
    fn duplicate_names_point_at_the_first_line() {
        let text =
            "apps:\n- name: a\n  namespace: a\n  path: m\n- name: a\n  namespace: b\n  path: n\n";
        let err = parse("p.yaml", text).unwrap_err();
        assert!(
            matches!(
                err,
                ManifestError::Invalid {
                    field: "name",
                    line: 2,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn bad_names_and_paths_are_rejected() {
        let bad_name = "apps:\n- name: My_App\n  namespace: a\n  path: m\n";
        assert!(parse("p", bad_name)
            .unwrap_err()
            .to_string()
            .contains("p:2: app `My_App`"));
        let bad_ns = "apps:\n- name: a\n  namespace: Prod\n  path: m\n";
        assert!(matches!(
            parse("p", bad_ns),
            Err(ManifestError::Invalid {
                field: "namespace",
                ..
            })
        ));
        let escape = "apps:\n- name: a\n  namespace: a\n  path: ../../etc\n";
        assert!(matches!(
            parse("p", escape),
            Err(ManifestError::Invalid { field: "path", .. })
        ));
    }

    #[test]
    fn dns_labels() {
        assert!(is_dns_label("pakaura-api2"));
        assert!(!is_dns_label("2api"));
        assert!(!is_dns_label("api-"));
        assert!(!is_dns_label(&"a".repeat(64)));
    }
}
