//! Rendering an app into Kubernetes objects: one entry point,
//! [`render_app_with`] (and [`render_app`] for a first install without a
//! cache), dispatching on the app's source kind: a directory of plain YAML
//! or JSON manifests, or a Helm chart ([`chart`]), both returning the same
//! [`Object`]s. Pure: files in (through [`FileSource`]), the release the
//! cluster holds and its version in ([`RenderEnv`]), objects or errors out.
//!
//! Rules for a directory: files ending `.yaml`, `.yml` or `.json`,
//! recursively, in path order; multi-document YAML; `kind: List` (and
//! `*List`) unwrapped; empty documents skipped. Every object must have
//! `apiVersion`, `kind` and `metadata.name`; errors name the file and the
//! document's index and line.

pub mod chart;

use serde::Deserialize;
use serde_json::Value;

pub use self::chart::{CacheUse, ChartUse, ReleaseRecord, RenderCache};
use crate::manifest::{AppSource, AppSpec};
pub use crate::object::{Object, Origin};
use crate::tree::{FileMode, TreeFile};

/// Where a renderer reads an app's files: a git revision in the daemon, the
/// working tree for `plumb render --worktree`, a fixture in tests.
pub trait FileSource {
    /// Every file below `dir` (relative to the watched path), recursively,
    /// in path order, with paths relative to `dir`. An absent directory is
    /// empty.
    ///
    /// # Errors
    /// Whatever kept the files from being read.
    fn files_under(&self, dir: &str) -> Result<Vec<TreeFile>, ReadError>;

    /// The file at `path` (relative to the watched path); `Ok(None)` when
    /// there is none.
    ///
    /// # Errors
    /// Whatever kept the file from being read (a directory is an error).
    fn read_file(&self, path: &str) -> Result<Option<Vec<u8>>, ReadError>;

    /// What is at `path`: a file with its mode (a symlink's content is its
    /// target), a directory, or nothing; chart loading follows symlinks
    /// with it. The default reads through [`read_file`](Self::read_file),
    /// so it sees every file as regular.
    ///
    /// # Errors
    /// Whatever kept the path from being read.
    fn entry(&self, path: &str) -> Result<PathEntry, ReadError> {
        match self.read_file(path) {
            Ok(Some(content)) => Ok(PathEntry::File(FileMode::Regular, content)),
            Ok(None) if self.files_under(path)?.is_empty() => Ok(PathEntry::Missing),
            Ok(None) => Ok(PathEntry::Dir),
            Err(_) if self.files_under(path).is_ok_and(|f| !f.is_empty()) => Ok(PathEntry::Dir),
            Err(e) => Err(e),
        }
    }

    /// An id of the file or directory at `path` that changes exactly when
    /// its content does (git's blob or tree id), for caches; `None` when
    /// the source has no such id (a working tree) or nothing is there.
    fn content_id(&self, _path: &str) -> Option<String> {
        None
    }

    /// How messages show `dir` (e.g. `gitops-repo/manifests`).
    fn shown(&self, dir: &str) -> String;
}

/// What a [`FileSource`] holds at a path ([`FileSource::entry`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathEntry {
    /// Nothing is there.
    Missing,
    /// A directory: read it with [`FileSource::files_under`].
    Dir,
    /// A file, its mode and bytes (a symlink's target text).
    File(FileMode, Vec<u8>),
}

/// Why a [`FileSource`] could not read a directory.
pub type ReadError = Box<dyn std::error::Error + Send + Sync>;

/// Errors in an app's manifests.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The app's files could not be read.
    #[error("{dir}: cannot be read")]
    Read {
        dir: String,
        #[source]
        source: ReadError,
    },
    /// The document is not valid YAML/JSON.
    #[error("{origin}: not valid YAML")]
    Syntax {
        origin: Origin,
        #[source]
        source: serde_yaml_ng::Error,
    },
    /// A required field is missing or not a string.
    #[error("{origin}: `{field}` is missing (hint: every Kubernetes object needs apiVersion, kind and metadata.name)")]
    MissingField { origin: Origin, field: &'static str },
    /// A document is not a mapping (a bare list or scalar).
    #[error("{origin}: a document must be a mapping (an object), not {found}")]
    NotAnObject { origin: Origin, found: &'static str },
    /// Two objects with the same kind, namespace and name.
    #[error("{second}: {kind} `{name}` is also defined at {first} (hint: names must be unique per kind and namespace)")]
    Duplicate {
        kind: String,
        name: String,
        /// Where the first definition is (file:line (document N)).
        first: String,
        second: Box<Origin>,
    },
    /// A chart app's chart did not load or render, or its values did not
    /// merge: Helm's message (a template error names the template's
    /// file:line:col), then what to do.
    #[error("chart {chart}: {message} (hint: {hint})")]
    Chart {
        /// The chart's directory as shown (`gitops-repo/charts/pakaura`).
        chart: String,
        /// Helm's message.
        message: String,
        /// What to do.
        hint: &'static str,
    },
    /// The app's directory holds no manifests at all.
    #[error(
        "{dir}: no *.yaml, *.yml or *.json files (hint: check the app's `path` in plumb.yaml)"
    )]
    Empty { dir: String },
}

/// What a render knows besides the app's files.
#[derive(Debug, Clone, Default)]
pub struct RenderEnv {
    /// The release the cluster holds for the app (from its inventory);
    /// `None` before its first successful sync: a chart renders as an
    /// install.
    pub current: Option<ReleaseRecord>,
    /// The cluster's version (`v1.33.4`) for a chart's
    /// `.Capabilities.KubeVersion`; `None` (or unparsable): Helm's default.
    pub kube_version: Option<String>,
    /// The cluster's API versions and kinds from discovery, for a chart's
    /// `.Capabilities.APIVersions` as `helm install` sets it; `None`:
    /// `helm template`'s default set.
    pub api_versions: Option<std::sync::Arc<Vec<String>>>,
    /// The app's images as built for this revision: a chart gets them in
    /// its values (after the app's `set`), a directory's containers of
    /// those repositories are rewritten to them.
    pub images: Vec<crate::build::ImageRef>,
}

/// An app's objects as rendered, and for charts what the render was.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The objects, hooks included.
    pub objects: Vec<Object>,
    /// For a chart app, the release this render is: recorded in the
    /// inventory when it is applied successfully. `None` for directories.
    pub release: Option<ReleaseRecord>,
    /// For a chart app, what was loaded and rendered or reused.
    pub chart: Option<ChartUse>,
}

/// Renders an app from its files as a first install, without a cache:
/// for one-off commands that do not ask the cluster (`plumb render`,
/// `plumb check`) and tests.
///
/// # Errors
/// [`RenderError`] naming the file, document and line.
pub fn render_app(app: &AppSpec, files: &dyn FileSource) -> Result<Vec<Object>, RenderError> {
    render_app_with(
        app,
        files,
        &RenderEnv::default(),
        &mut RenderCache::default(),
    )
    .map(|r| r.objects)
}

/// Renders an app from its files: the one way every caller (daemon, CLI,
/// tests) turns an app into objects. `cache` keeps a chart app's loaded
/// chart and rendered objects for the next render of the same app.
///
/// # Errors
/// [`RenderError`] naming the file, document and line (for a chart, the
/// template's file:line:col in Helm's message).
pub fn render_app_with(
    app: &AppSpec,
    files: &dyn FileSource,
    env: &RenderEnv,
    cache: &mut RenderCache,
) -> Result<Rendered, RenderError> {
    match &app.source {
        AppSource::Directory { path } => {
            let shown = files.shown(path);
            let tree = files
                .files_under(path)
                .map_err(|source| RenderError::Read {
                    dir: shown.clone(),
                    source,
                })?;
            // An app at the watched directory itself (`path: .`) sits beside
            // the repo manifest, which is plumb's file, not an object.
            let tree: Vec<TreeFile> = tree
                .into_iter()
                .filter(|f| !(path.is_empty() && f.path == crate::manifest::FILE_NAME))
                .map(|f| TreeFile {
                    path: join(&shown, &f.path),
                    ..f
                })
                .collect();
            let shown = if shown.is_empty() {
                ".".to_string()
            } else {
                shown
            };
            let mut objects = render_plain(&shown, &tree)?;
            if !env.images.is_empty() {
                for object in &mut objects {
                    crate::build::rewrite_images(&mut object.data, &env.images);
                }
            }
            Ok(Rendered {
                objects,
                release: None,
                chart: None,
            })
        }
        AppSource::Chart { chart, values, .. } => {
            let source = chart::ChartSource {
                chart,
                values,
                set: app
                    .source
                    .set_strings()
                    .into_iter()
                    .chain(crate::build::image_set_strings(&env.images))
                    .collect(),
            };
            chart::render(app, &source, files, env, cache)
        }
    }
}

fn join(dir: &str, path: &str) -> String {
    if dir.is_empty() {
        path.to_string()
    } else {
        format!("{dir}/{path}")
    }
}

/// Whether a file is a manifest by its name.
pub fn is_manifest(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json")
}

/// Renders plain manifests: `files` carry the paths shown in errors, in
/// path order; non-manifest files are ignored.
///
/// # Errors
/// The first [`RenderError`] found, naming the file and document.
pub fn render_plain(dir: &str, files: &[TreeFile]) -> Result<Vec<Object>, RenderError> {
    let mut objects = Vec::new();
    let mut any = false;
    for file in files.iter().filter(|f| is_manifest(&f.path)) {
        any = true;
        let path = &file.path;
        let text = String::from_utf8_lossy(&file.content);
        for (doc, (line, value)) in parse_documents(path, &text)?.into_iter().enumerate() {
            let origin = Origin::file(path.clone(), doc, line);
            let Some(value) = value else { continue };
            push_object(&mut objects, value, origin)?;
        }
    }
    if !any {
        return Err(RenderError::Empty {
            dir: dir.to_string(),
        });
    }
    check_duplicates(&objects)?;
    Ok(objects)
}

/// Splits a file into documents: (start line, value or `None` when empty).
fn parse_documents(path: &str, text: &str) -> Result<Vec<(usize, Option<Value>)>, RenderError> {
    let starts = document_lines(text);
    let mut out = Vec::new();
    for (doc, deserializer) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let line = starts.get(doc).copied().unwrap_or(1);
        let value =
            Option::<Value>::deserialize(deserializer).map_err(|source| RenderError::Syntax {
                origin: Origin::file(path, doc, line),
                source,
            })?;
        out.push((line, value.filter(|v| !v.is_null())));
    }
    Ok(out)
}

/// The 1-based line where each YAML document starts (after a `---`).
fn document_lines(text: &str) -> Vec<usize> {
    let mut starts = vec![1];
    for (i, line) in text.lines().enumerate() {
        if line.starts_with("---") && i > 0 {
            starts.push(i + 2);
        } else if line.starts_with("---") {
            starts[0] = 2;
        }
    }
    starts
}

fn push_object(objects: &mut Vec<Object>, value: Value, origin: Origin) -> Result<(), RenderError> {
    let found = match &value {
        Value::Object(_) => None,
        Value::Array(_) => Some("a list"),
        Value::String(_) => Some("a string"),
        Value::Number(_) => Some("a number"),
        Value::Bool(_) => Some("a boolean"),
        Value::Null => Some("null"),
    };
    if let Some(found) = found {
        return Err(RenderError::NotAnObject { origin, found });
    }
    let kind = value["kind"].as_str().unwrap_or("");
    if kind == "List" || (kind.ends_with("List") && value.get("items").is_some()) {
        let items = value["items"].as_array().cloned().unwrap_or_default();
        for item in items {
            push_object(objects, item, origin.clone())?;
        }
        return Ok(());
    }
    for (field, ok) in [
        (
            "apiVersion",
            value["apiVersion"].as_str().is_some_and(|s| !s.is_empty()),
        ),
        ("kind", !kind.is_empty()),
        (
            "metadata.name",
            value["metadata"]["name"]
                .as_str()
                .is_some_and(|s| !s.is_empty()),
        ),
    ] {
        if !ok {
            return Err(RenderError::MissingField { origin, field });
        }
    }
    objects.push(Object {
        data: value,
        origin,
    });
    Ok(())
}

fn check_duplicates(objects: &[Object]) -> Result<(), RenderError> {
    let mut seen: std::collections::HashMap<(String, String, Option<String>, String), &Origin> =
        std::collections::HashMap::new();
    for o in objects {
        let group = o
            .api_version()
            .split('/')
            .rev()
            .nth(1)
            .unwrap_or("")
            .to_string();
        let key = (
            group,
            o.kind().to_string(),
            o.namespace().map(str::to_string),
            o.name().to_string(),
        );
        if let Some(first) = seen.get(&key) {
            return Err(RenderError::Duplicate {
                kind: o.kind().to_string(),
                name: o.name().to_string(),
                first: first.to_string(),
                second: Box::new(o.origin.clone()),
            });
        }
        seen.insert(key, &o.origin);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Vec<TreeFile> {
        list.iter()
            .map(|(p, t)| TreeFile::regular(*p, *t))
            .collect()
    }

    const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";

    #[test]
    fn multi_document_files_and_json() {
        let objs = render_plain(
            "m",
            &files(&[
                ("m/a.yaml", "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n# only a comment\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n"),
                ("m/b.json", r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}"#),
                ("m/README.md", "not a manifest"),
            ]),
        )
        .unwrap();
        let kinds: Vec<_> = objs.iter().map(|o| o.kind()).collect();
        assert_eq!(kinds, ["ConfigMap", "Service", "Secret"]);
        assert_eq!(objs[1].origin.doc, 2);
        assert_eq!(objs[1].origin.line, 9);
        assert_eq!(objs[2].origin.file, "m/b.json");
    }

    #[test]
    fn lists_are_unwrapped() {
        let list = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b}\n";
        let objs = render_plain("m", &files(&[("m/l.yaml", list)])).unwrap();
        assert_eq!(objs.len(), 2);
        assert_eq!(objs[1].name(), "b");
    }

    #[test]
    fn missing_fields_name_file_document_and_field() {
        let err = render_plain(
            "m",
            &files(&[(
                "m/a.yaml",
                &format!("{CM}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{}}\n"),
            )]),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "m/a.yaml:6 (document 2): `metadata.name` is missing (hint: every Kubernetes object needs apiVersion, kind and metadata.name)"
        );
        let err = render_plain(
            "m",
            &files(&[("m/a.yaml", "kind: X\nmetadata: {name: a}\n")]),
        )
        .unwrap_err();
        assert!(matches!(
            err,
            RenderError::MissingField {
                field: "apiVersion",
                ..
            }
        ));
    }

    #[test]
    fn syntax_errors_carry_the_parser_line() {
        let err = render_plain(
            "m",
            &files(&[("m/a.yaml", "apiVersion: v1\nkind: [unclosed\n")]),
        )
        .unwrap_err();
        let text = crate::error_chain(&err);
        assert!(
            text.starts_with("m/a.yaml:1 (document 1): not valid YAML"),
            "{text}"
        );
        assert!(text.contains("line"), "the parser's cause is kept: {text}");
    }

    #[test]
    fn a_document_that_is_a_list_is_an_error() {
        let err = render_plain("m", &files(&[("m/a.yaml", "- a\n- b\n")])).unwrap_err();
        assert!(matches!(
            err,
            RenderError::NotAnObject {
                found: "a list",
                ..
            }
        ));
    }

    #[test]
    fn duplicates_are_errors_naming_both_places() {
        let err = render_plain("m", &files(&[("m/a.yaml", CM), ("m/b.yaml", CM)])).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(
                "m/b.yaml:1 (document 1): ConfigMap `a` is also defined at m/a.yaml:1"
            ),
            "{text}"
        );
    }

    #[test]
    fn an_empty_directory_is_an_error() {
        let err = render_plain("gitops/m", &files(&[("gitops/m/x.txt", "")])).unwrap_err();
        assert!(matches!(err, RenderError::Empty { .. }));
    }
}
