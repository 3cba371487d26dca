//! Chart apps: an app whose `plumb.yaml` entry names `chart:` is rendered
//! by plumb's chart renderer ([`crate::chart`]) as `helm template` renders
//! it, with the app's name as release name, its namespace as release
//! namespace, the app's values files over the chart's `values.yaml` and
//! its `set` entries on top. Manifests, hooks and `crds/` files all become
//! [`Object`]s; hooks keep their `helm.sh/hook*` annotations, so the plan
//! runs them as it runs the hooks of plain manifests.
//!
//! `.Release` comes from the release the cluster holds ([`ReleaseRecord`],
//! kept in the app's inventory): a render whose inputs (chart files,
//! values, `set`, name, namespace, Kubernetes version) are those of the
//! recorded release *is* that release, with its revision; different inputs
//! are the next revision, an upgrade. So an unchanged app renders the same
//! objects every time, even from templates that print `.Release.Revision`.
//!
//! Pure: files in through [`FileSource`], objects out. The [`RenderCache`]
//! is plain data its owner (the app's queue task) hands in.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{check_duplicates, parse_documents, push_object, FileSource, Object, Origin};
use super::{PathEntry, RenderEnv, RenderError, Rendered};
use crate::chart::engine::ReleaseInfo;
use crate::chart::objects::{Capabilities, KubeVersion};
use crate::chart::values::{self, ValueOptions};
use crate::chart::{load, render_chart, Chart, ChartError, RenderOptions};
use crate::manifest::AppSpec;
use crate::object::PRUNE_ANNOTATION;
use crate::tree::{FileMode, TreeFile};

/// How many loaded charts and how many rendered results an app's cache
/// keeps: the current revision, the one before (a rollback) and one more.
pub const CACHE_ENTRIES: usize = 3;

/// The Helm release the cluster holds for an app: recorded in the app's
/// inventory by each successful sync that changed the app's desired state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseRecord {
    /// Helm's revision: 1 at the first install, one more at each change.
    pub revision: u64,
    /// Whether that release was rendered as an upgrade (`.Release.IsUpgrade`).
    pub upgrade: bool,
    /// The fingerprint of the chart render's inputs; `None` for directory
    /// apps and inventories written before charts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<String>,
}

impl ReleaseRecord {
    /// The release a render with inputs `inputs` is, given the release the
    /// cluster holds (`None`: never installed): the same release when the
    /// inputs are the same, else the next revision as an upgrade; revision
    /// 1, an install, when nothing is installed.
    pub fn for_inputs(current: Option<&ReleaseRecord>, inputs: &str) -> ReleaseRecord {
        match current {
            None => ReleaseRecord {
                revision: 1,
                upgrade: false,
                inputs: Some(inputs.to_string()),
            },
            Some(r) if r.inputs.as_deref() == Some(inputs) => r.clone(),
            Some(r) => ReleaseRecord {
                revision: r.revision + 1,
                upgrade: true,
                inputs: Some(inputs.to_string()),
            },
        }
    }

    /// The release after `current` for an app that is not a chart (no
    /// inputs to compare): the next revision.
    pub fn after(current: Option<&ReleaseRecord>) -> ReleaseRecord {
        ReleaseRecord {
            revision: current.map_or(0, |r| r.revision) + 1,
            upgrade: current.is_some(),
            inputs: None,
        }
    }
}

/// Whether a step of a chart render was done or taken from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheUse {
    /// Done now.
    Fresh,
    /// Taken from the cache.
    Reused,
}

impl CacheUse {
    /// The metric label for a load (`loaded`/`reused`).
    pub fn load_label(self) -> &'static str {
        match self {
            CacheUse::Fresh => "loaded",
            CacheUse::Reused => "reused",
        }
    }

    /// The metric label for a render (`rendered`/`reused`).
    pub fn render_label(self) -> &'static str {
        match self {
            CacheUse::Fresh => "rendered",
            CacheUse::Reused => "reused",
        }
    }
}

/// What a chart app's render did: the chart loaded or reused (by its git
/// tree), the templates rendered or their output reused (same inputs,
/// same release).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartUse {
    /// Loading the chart (reading and parsing its files).
    pub load: CacheUse,
    /// Rendering its templates.
    pub render: CacheUse,
}

/// One app's chart renders kept between reconciles, bounded to
/// [`CACHE_ENTRIES`] of each kind: loaded charts by the chart directory's
/// content id (git's tree id), rendered objects by the inputs' fingerprint
/// and the release. Owned by one app's queue task; a drift correction
/// never renders, an unchanged revision reuses both.
#[derive(Default)]
pub struct RenderCache {
    charts: Lru<String, Loaded>,
    renders: Lru<(String, u64, bool), Arc<Vec<Object>>>,
}

impl RenderCache {
    /// How many loaded charts and rendered results it holds.
    pub fn len(&self) -> (usize, usize) {
        (self.charts.entries.len(), self.renders.entries.len())
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == (0, 0)
    }
}

/// A loaded chart and the digest of the files it was loaded from.
#[derive(Clone)]
struct Loaded {
    chart: Arc<Chart>,
    digest: String,
}

/// A small least-recently-used list: the newest first.
struct Lru<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for Lru<K, V> {
    fn default() -> Self {
        Lru {
            entries: Vec::new(),
        }
    }
}

impl<K: PartialEq, V: Clone> Lru<K, V> {
    fn get(&mut self, key: &K) -> Option<V> {
        let i = self.entries.iter().position(|(k, _)| k == key)?;
        let entry = self.entries.remove(i);
        let value = entry.1.clone();
        self.entries.insert(0, entry);
        Some(value)
    }

    fn put(&mut self, key: K, value: V) {
        self.entries.retain(|(k, _)| *k != key);
        self.entries.insert(0, (key, value));
        self.entries.truncate(CACHE_ENTRIES);
    }
}

/// What a chart app reads: its chart directory, values files and `set`.
pub(super) struct ChartSource<'a> {
    pub chart: &'a str,
    pub values: &'a [String],
    pub set: Vec<String>,
}

/// Renders a chart app. See the module docs for `.Release`.
///
/// # Errors
/// [`RenderError::Read`] when files cannot be read, [`RenderError::Chart`]
/// with Helm's message (a template error names its file:line:col) and a
/// hint, or the errors of plain manifests for documents that are not
/// objects.
pub(super) fn render(
    app: &AppSpec,
    source: &ChartSource<'_>,
    files: &dyn FileSource,
    env: &RenderEnv,
    cache: &mut RenderCache,
) -> Result<Rendered, RenderError> {
    let shown = files.shown(source.chart);
    let id = files.content_id(source.chart);
    let (loaded, load_use) = match id.as_ref().and_then(|id| cache.charts.get(id)) {
        Some(loaded) => (loaded, CacheUse::Reused),
        None => {
            let loaded = load_chart(source.chart, &shown, files)?;
            if let Some(id) = id {
                cache.charts.put(id, loaded.clone());
            }
            (loaded, CacheUse::Fresh)
        }
    };
    let values_files = read_values(source.values, &shown, files)?;
    let kube_version = env
        .kube_version
        .as_deref()
        .and_then(|v| KubeVersion::parse(v).ok())
        .unwrap_or_default();
    let inputs = fingerprint(&[
        loaded.digest.as_bytes(),
        &digest_values(&values_files),
        source.set.join("\n").as_bytes(),
        app.name.as_bytes(),
        app.namespace.as_bytes(),
        kube_version.version.as_bytes(),
    ]);
    let release = ReleaseRecord::for_inputs(env.current.as_ref(), &inputs);
    // The cluster's API versions change what renders, not the release: a
    // CRD installed elsewhere must not make every chart app an upgrade.
    let api_versions = env
        .api_versions
        .as_ref()
        .map(|set| set.join("\n"))
        .unwrap_or_default();
    let key = (
        fingerprint(&[inputs.as_bytes(), api_versions.as_bytes()]),
        release.revision,
        release.upgrade,
    );
    if let Some(objects) = cache.renders.get(&key) {
        return Ok(Rendered {
            objects: objects.as_ref().clone(),
            release: Some(release),
            chart: Some(ChartUse {
                load: load_use,
                render: CacheUse::Reused,
            }),
        });
    }
    let info = ReleaseInfo {
        name: app.name.clone(),
        namespace: app.namespace.clone(),
        revision: i64::try_from(release.revision).unwrap_or(i64::MAX),
        is_upgrade: release.upgrade,
    };
    let objects = render_loaded(
        &loaded.chart,
        &shown,
        values_files,
        &source.set,
        info,
        Capabilities {
            kube_version,
            extra_api_versions: Vec::new(),
            cluster_api_versions: env.api_versions.clone(),
        },
    )?;
    let objects = Arc::new(objects);
    cache.renders.put(key, objects.clone());
    Ok(Rendered {
        objects: objects.as_ref().clone(),
        release: Some(release),
        chart: Some(ChartUse {
            load: load_use,
            render: CacheUse::Fresh,
        }),
    })
}

/// Reads and loads the chart at `dir` (as Helm's loader, `.helmignore`
/// applied), refusing what `helm install` refuses: a library chart, or
/// dependencies listed in `Chart.yaml` that `charts/` does not hold.
fn load_chart(dir: &str, shown: &str, files: &dyn FileSource) -> Result<Loaded, RenderError> {
    let tree = files.files_under(dir).map_err(|source| RenderError::Read {
        dir: shown.to_string(),
        source,
    })?;
    if tree.is_empty() {
        return Err(RenderError::Chart {
            chart: shown.to_string(),
            message: "no such directory at this revision".into(),
            hint: "`chart:` names a chart directory (holding Chart.yaml), relative to plumb.yaml",
        });
    }
    let tree = follow_symlinks(dir, shown, tree, files)?;
    let digest = fingerprint_files(tree.iter().map(|f| (f.path.as_str(), f.content.as_slice())));
    let chart = load::load_tree(tree.into_iter().map(|f| (f.path, f.content)).collect())
        .map_err(|e| RenderError::Chart {
            chart: shown.to_string(),
            message: e.0,
            hint: "`chart:` names a chart directory holding Chart.yaml; `plumb template` loads it as helm template does",
        })?;
    if !matches!(chart.metadata.chart_type.as_str(), "" | "application") {
        let e = ChartError::NotInstallable(chart.metadata.chart_type.clone());
        return Err(chart_error(shown, e));
    }
    if !chart.metadata.dependencies.is_empty() {
        load::check_dependencies(&chart).map_err(|e| RenderError::Chart {
            chart: shown.to_string(),
            message: format!("missing dependencies: {}", e.0),
            hint: "plumb renders vendored charts only: run `helm dependency build` in the chart and commit its charts/ directory",
        })?;
    }
    Ok(Loaded {
        chart: Arc::new(chart),
        digest,
    })
}

/// Links one chart file may go through (Linux's MAXSYMLINKS).
const MAX_LINK_HOPS: usize = 40;
/// Files a chart may hold once its directory links are followed: a bound
/// for link loops (`templates/all -> ..`).
const MAX_LINKED_FILES: usize = 100_000;

/// Follows the symlinks among a chart's files as Helm's loader does
/// (`sympath.Walk`): a link to a file loads that file's bytes under the
/// link's name, a link to a directory loads the directory's files below the
/// link. Git stores a link as its target text, so without this a chart with
/// `values.yaml -> ../common/values.yaml` would load that path as its
/// values. Targets resolve inside the watched directory (plumb reads
/// nothing else of the repo, and never the disk outside it); a target that
/// leaves it or that does not exist is an error naming the link.
fn follow_symlinks(
    dir: &str,
    shown: &str,
    tree: Vec<TreeFile>,
    files: &dyn FileSource,
) -> Result<Vec<TreeFile>, RenderError> {
    let error = |message: String| {
        RenderError::Chart {
        chart: shown.to_string(),
        message,
        hint: "chart symlinks must point to files or directories inside the watched directory, by a relative path; commit the target or copy the file into the chart",
    }
    };
    let read_error = |source| RenderError::Read {
        dir: shown.to_string(),
        source,
    };
    let mut out = Vec::with_capacity(tree.len());
    // (the file as the chart sees it, where its content sits in the
    // watched directory, links followed to reach it)
    let mut todo: Vec<(TreeFile, String, usize)> = tree
        .into_iter()
        .rev()
        .map(|f| {
            let at = join_path(dir, &f.path);
            (f, at, 0)
        })
        .collect();
    while let Some((file, at, hops)) = todo.pop() {
        if file.mode != FileMode::Symlink {
            out.push(file);
            continue;
        }
        let target_text = String::from_utf8_lossy(&file.content).into_owned();
        if hops >= MAX_LINK_HOPS {
            return Err(error(format!(
                "symlink {}: too many levels of symbolic links",
                file.path
            )));
        }
        let Some(target) = resolve_link(&at, &target_text) else {
            return Err(error(format!(
                "symlink {} -> {target_text} points outside the watched directory",
                file.path
            )));
        };
        match files.entry(&target).map_err(read_error)? {
            PathEntry::File(mode, content) => {
                let linked = TreeFile {
                    path: file.path,
                    mode,
                    content,
                };
                todo.push((linked, target, hops + 1));
            }
            PathEntry::Dir => {
                let below = files.files_under(&target).map_err(read_error)?;
                if out.len() + todo.len() + below.len() > MAX_LINKED_FILES {
                    return Err(error(format!(
                        "symlink {} -> {target_text}: more than {MAX_LINKED_FILES} files below it (a link loop?)",
                        file.path
                    )));
                }
                for f in below.into_iter().rev() {
                    let at = join_path(&target, &f.path);
                    let path = format!("{}/{}", file.path, f.path);
                    todo.push((TreeFile { path, ..f }, at, hops + 1));
                }
            }
            PathEntry::Missing => {
                return Err(error(format!(
                    "error evaluating symlink {}: {target_text}: no such file or directory",
                    file.path
                )))
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// `a/b`, or `b` when `a` is empty.
fn join_path(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}/{b}")
    }
}

/// Where the link at `link` (a path in the watched directory) points, as a
/// clean path in the watched directory (`""` for the directory itself);
/// `None` for an absolute target or one that climbs out.
fn resolve_link(link: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let parent = link.rsplit_once('/').map_or("", |(dir, _)| dir);
    let clean = crate::template::funcs::strings::path_clean(&join_path(parent, target));
    match clean.as_str() {
        "." => Some(String::new()),
        ".." => None,
        c if c.starts_with("../") => None,
        _ => Some(clean),
    }
}

/// The values files' shown names and texts, in order.
fn read_values(
    paths: &[String],
    chart: &str,
    files: &dyn FileSource,
) -> Result<Vec<(String, String)>, RenderError> {
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        let shown = files.shown(path);
        let bytes = files
            .read_file(path)
            .map_err(|source| RenderError::Read {
                dir: shown.clone(),
                source,
            })?
            .ok_or_else(|| RenderError::Chart {
                chart: chart.to_string(),
                message: format!("values file {shown} does not exist at this revision"),
                hint: "values paths in plumb.yaml are relative to plumb.yaml, like `chart:`",
            })?;
        out.push((shown, String::from_utf8_lossy(&bytes).into_owned()));
    }
    Ok(out)
}

/// Merges the values (files, then `set`) as Helm does, renders, and turns
/// hooks, manifests and `crds/` files into objects.
fn render_loaded(
    chart: &Chart,
    shown: &str,
    values_files: Vec<(String, String)>,
    set: &[String],
    release: ReleaseInfo,
    capabilities: Capabilities,
) -> Result<Vec<Object>, RenderError> {
    let options = ValueOptions {
        values_files,
        set: set.to_vec(),
        ..ValueOptions::default()
    };
    // No `set_file` entries are ever given, so nothing is read.
    let no_files = |path: &str| Err::<String, String>(format!("open {path}: not supported"));
    let user = values::merge_user_values(&options, &no_files).map_err(|e| RenderError::Chart {
        chart: shown.to_string(),
        message: e.to_string(),
        hint: "check the app's values files and `set` entries in plumb.yaml",
    })?;
    let options = RenderOptions {
        release,
        capabilities,
        skip_schema_validation: false,
    };
    let rendered = render_chart(chart, &user, &options, &Default::default())
        .map_err(|e| chart_error(shown, e))?;
    let mut objects = Vec::new();
    let mut docs: HashMap<String, usize> = HashMap::new();
    for crd in &rendered.crds {
        let start = objects.len();
        push_documents(&mut objects, &mut docs, &crd.path, &crd.content)?;
        // Helm never deletes what crds/ installed: deleting a CRD deletes
        // every object of its kind.
        for object in &mut objects[start..] {
            if object.annotation(PRUNE_ANNOTATION).is_none() {
                object.data["metadata"]["annotations"][PRUNE_ANNOTATION] =
                    serde_json::json!("disabled");
            }
        }
    }
    for hook in &rendered.release.hooks {
        push_documents(&mut objects, &mut docs, &hook.path, &hook.manifest)?;
    }
    for manifest in &rendered.release.manifests {
        push_documents(&mut objects, &mut docs, &manifest.name, &manifest.content)?;
    }
    check_duplicates(&objects)?;
    Ok(objects)
}

/// Parses one rendered manifest (from template `path`, as Helm names it:
/// `pakaura/templates/api.yaml`) into objects; documents are counted per
/// template.
fn push_documents(
    objects: &mut Vec<Object>,
    docs: &mut HashMap<String, usize>,
    path: &str,
    text: &str,
) -> Result<(), RenderError> {
    let next = docs.entry(path.to_string()).or_default();
    for (line, value) in parse_documents(path, text)? {
        let origin = Origin::file(path, *next, line);
        *next += 1;
        if let Some(value) = value {
            push_object(objects, value, origin)?;
        }
    }
    Ok(())
}

/// A chart error as a render error, with a hint for its kind.
fn chart_error(shown: &str, e: ChartError) -> RenderError {
    let hint = match &e {
        ChartError::Load(_) => "`chart:` names a chart directory holding Chart.yaml",
        ChartError::Values(_) => "check the chart's values.yaml, the app's values files and `set`",
        ChartError::Dependencies(_) => "check the conditions, tags and import-values of the dependencies in Chart.yaml",
        ChartError::Schema(_) => "the values break the chart's values.schema.json: fix the values files or `set`",
        ChartError::KubeVersion { .. } => "the chart's `kubeVersion` in Chart.yaml does not accept the cluster's version",
        ChartError::Template(_) => "fix the template at the file:line:col above; `plumb template` shows the same error",
        ChartError::Manifest(_) => "a template printed invalid YAML; `plumb template` shows its output as helm template does",
        ChartError::NotInstallable(_) => "a library chart only defines templates for other charts: point `chart:` at an application chart",
    };
    RenderError::Chart {
        chart: shown.to_string(),
        message: e.to_string(),
        hint,
    }
}

/// A hex SHA-256 (24 characters) over length-prefixed parts.
fn fingerprint(parts: &[&[u8]]) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for part in parts {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part);
    }
    hex::encode(&hash.finalize()[..12])
}

/// The digest of a chart's files: paths and contents, in path order.
fn fingerprint_files<'a>(files: impl Iterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut parts: Vec<&[u8]> = Vec::new();
    for (path, content) in files {
        parts.push(path.as_bytes());
        parts.push(content);
    }
    fingerprint(&parts)
}

fn digest_values(files: &[(String, String)]) -> Vec<u8> {
    fingerprint_files(files.iter().map(|(p, t)| (p.as_str(), t.as_bytes()))).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::render::{render_app_with, ReadError, RenderEnv};
    use crate::tree::TreeFile;

    /// Files in memory, standing for a git revision; content ids (a hash of
    /// the content below a path, as git's ids are) only when `ids`.
    struct Memory {
        files: Vec<(String, String)>,
        ids: bool,
    }

    impl Memory {
        fn new(files: &[(&str, &str)]) -> Memory {
            let mut files: Vec<(String, String)> = files
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect();
            files.sort();
            Memory { files, ids: true }
        }

        fn set(&mut self, path: &str, text: &str) {
            self.files.retain(|(p, _)| p != path);
            self.files.push((path.to_string(), text.to_string()));
            self.files.sort();
        }
    }

    impl FileSource for Memory {
        fn files_under(&self, dir: &str) -> Result<Vec<TreeFile>, ReadError> {
            let prefix = format!("{dir}/");
            Ok(self
                .files
                .iter()
                .filter_map(|(p, t)| {
                    p.strip_prefix(&prefix)
                        .map(|rel| TreeFile::regular(rel, t.as_bytes()))
                })
                .collect())
        }

        fn read_file(&self, path: &str) -> Result<Option<Vec<u8>>, ReadError> {
            Ok(self
                .files
                .iter()
                .find(|(p, _)| p == path)
                .map(|(_, t)| t.as_bytes().to_vec()))
        }

        fn content_id(&self, path: &str) -> Option<String> {
            if !self.ids {
                return None;
            }
            let prefix = format!("{path}/");
            let below: Vec<&[u8]> = self
                .files
                .iter()
                .filter(|(p, _)| p == path || p.starts_with(&prefix))
                .flat_map(|(p, t)| [p.as_bytes(), t.as_bytes()])
                .collect();
            (!below.is_empty()).then(|| fingerprint(&below))
        }

        fn shown(&self, dir: &str) -> String {
            format!("repo/{dir}")
        }
    }

    const CHART_YAML: &str = "apiVersion: v2\nname: demo\nversion: 0.1.0\n";
    const VALUES: &str = "greeting: hello\napi:\n  replicas: 1\n";
    const HELPERS: &str =
        "{{- define \"demo.name\" -}}{{ .Release.Name }}-{{ .Chart.Name }}{{- end -}}\n";
    const CONFIG: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ include \"demo.name\" . }}\ndata:\n  greeting: {{ .Values.greeting | quote }}\n  namespace: {{ .Release.Namespace | quote }}\n  revision: {{ .Release.Revision | quote }}\n  upgrade: {{ .Release.IsUpgrade | quote }}\n  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n";
    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: {{ .Values.api.replicas }}\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers: [{name: api, image: \"busybox:1.36\"}]\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  ports: [{port: 80}]\n";
    const HOOK: &str = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\n    helm.sh/hook-weight: \"-5\"\n    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: m, image: \"busybox:1.36\"}]\n";

    fn repo() -> Memory {
        Memory::new(&[
            ("plumb.yaml", "apps: []\n"),
            ("charts/demo/Chart.yaml", CHART_YAML),
            ("charts/demo/values.yaml", VALUES),
            ("charts/demo/templates/_helpers.tpl", HELPERS),
            ("charts/demo/templates/config.yaml", CONFIG),
            ("charts/demo/templates/api.yaml", DEPLOYMENT),
            ("charts/demo/templates/hook.yaml", HOOK),
            (
                "charts/demo/templates/NOTES.txt",
                "thanks for {{ .Release.Name }}\n",
            ),
            ("values.yaml", "greeting: from the repo\n"),
            ("environments/test.yaml", "greeting: from the environment\n"),
            ("README.md", "unrelated\n"),
        ])
    }

    fn app() -> AppSpec {
        AppSpec::chart("shop", "charts/demo")
            .with_namespace("shop-ns")
            .with_values(&["values.yaml", "environments/test.yaml"])
            .with_set(&[("api.replicas", "2")])
    }

    fn find<'a>(objects: &'a [Object], kind: &str, name: &str) -> &'a Object {
        objects
            .iter()
            .find(|o| o.kind() == kind && o.name() == name)
            .unwrap_or_else(|| panic!("{kind} {name} in {objects:?}"))
    }

    fn render_with(
        files: &Memory,
        app: &AppSpec,
        env: &RenderEnv,
        cache: &mut RenderCache,
    ) -> Rendered {
        render_app_with(app, files, env, cache)
            .unwrap_or_else(|e| panic!("{}", crate::error_chain(&e)))
    }

    #[test]
    fn a_chart_app_renders_with_its_values_layers_as_an_install() {
        let files = repo();
        let rendered = render_with(
            &files,
            &app(),
            &RenderEnv::default(),
            &mut RenderCache::default(),
        );
        let objects = &rendered.objects;
        let config = find(objects, "ConfigMap", "shop-demo");
        assert_eq!(
            config.data["data"]["greeting"], "from the environment",
            "files in order, the last wins"
        );
        assert_eq!(config.data["data"]["namespace"], "shop-ns");
        assert_eq!(config.data["data"]["revision"], "1");
        assert_eq!(config.data["data"]["upgrade"], "false");
        assert_eq!(
            config.origin.file, "demo/templates/config.yaml",
            "Helm's source path"
        );
        assert_eq!(
            config.namespace(),
            None,
            "the plan gives it the app's namespace"
        );
        let service = find(objects, "Service", "api");
        // Documents of one template are numbered in Helm's install order
        // (the Service sorts before the Deployment written above it).
        assert_eq!(
            (service.origin.file.as_str(), service.origin.doc),
            ("demo/templates/api.yaml", 0)
        );
        let hook = find(objects, "Job", "migrate");
        assert_eq!(
            hook.annotation("helm.sh/hook"),
            Some("pre-install,pre-upgrade")
        );
        assert_eq!(hook.annotation("helm.sh/hook-weight"), Some("-5"));
        assert_eq!(
            hook.annotation("helm.sh/hook-delete-policy"),
            Some("before-hook-creation,hook-succeeded")
        );
        assert_eq!(
            objects.len(),
            4,
            "NOTES.txt and helpers print nothing: {objects:?}"
        );
        let release = rendered.release.expect("a chart's release");
        assert_eq!((release.revision, release.upgrade), (1, false));
        assert_eq!(
            rendered.chart,
            Some(ChartUse {
                load: CacheUse::Fresh,
                render: CacheUse::Fresh
            })
        );
    }

    #[test]
    fn a_chart_app_renders_what_plumb_template_prints_for_the_same_flags() {
        let files = repo();
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in &files.files {
            let target = dir.path().join(path);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::write(target, text).unwrap();
        }
        let at = |p: &str| dir.path().join(p).display().to_string();
        let args = crate::chart::helm_template::TemplateArgs {
            positionals: vec!["shop".into(), at("charts/demo")],
            values_files: vec![at("values.yaml"), at("environments/test.yaml")],
            set: vec!["api.replicas=2".into()],
            namespace: Some("shop-ns".into()),
            ..Default::default()
        };
        let printed = crate::chart::helm_template::run(&args).unwrap();
        let mut expected: Vec<serde_json::Value> = serde_yaml_ng::Deserializer::from_str(&printed)
            .filter_map(|d| Option::<serde_json::Value>::deserialize(d).unwrap())
            .collect();
        let mut got: Vec<serde_json::Value> = crate::render::render_app(&app(), &files)
            .unwrap()
            .into_iter()
            .map(|o| o.data)
            .collect();
        let key = |v: &serde_json::Value| format!("{}/{}", v["kind"], v["metadata"]["name"]);
        expected.sort_by_key(key);
        got.sort_by_key(key);
        assert_eq!(got, expected);
    }

    #[test]
    fn the_release_follows_the_inventory_and_the_inputs() {
        let mut files = repo();
        let mut cache = RenderCache::default();
        let first = render_with(&files, &app(), &RenderEnv::default(), &mut cache);
        let installed = RenderEnv {
            current: first.release.clone(),
            kube_version: None,
            api_versions: None,
            images: Vec::new(),
        };
        let again = render_with(&files, &app(), &installed, &mut cache);
        assert_eq!(
            again.release, first.release,
            "the same inputs: the same release"
        );
        assert_eq!(again.objects, first.objects);
        files.set("environments/test.yaml", "greeting: changed\n");
        let upgrade = render_with(&files, &app(), &installed, &mut cache);
        let release = upgrade.release.clone().unwrap();
        assert_eq!((release.revision, release.upgrade), (2, true));
        let config = find(&upgrade.objects, "ConfigMap", "shop-demo");
        assert_eq!(config.data["data"]["revision"], "2");
        assert_eq!(config.data["data"]["upgrade"], "true");
        assert_eq!(config.data["data"]["greeting"], "changed");
        // The cluster's version reaches .Capabilities and is an input.
        let newer = RenderEnv {
            current: upgrade.release.clone(),
            kube_version: Some("v1.31.2".into()),
            api_versions: None,
            images: Vec::new(),
        };
        let r = render_with(&files, &app(), &newer, &mut cache);
        assert_eq!(
            find(&r.objects, "ConfigMap", "shop-demo").data["data"]["kube"],
            "v1.31.2"
        );
        assert_eq!(r.release.unwrap().revision, 3);
    }

    #[test]
    fn the_cluster_api_versions_replace_the_default_set_and_are_an_input() {
        let mut files = repo();
        files.set(
            "charts/demo/templates/caps.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caps\ndata:\n  \
             deployment: {{ .Capabilities.APIVersions.Has \"apps/v1/Deployment\" | quote }}\n  \
             batch: {{ .Capabilities.APIVersions.Has \"batch/v1\" | quote }}\n",
        );
        let mut cache = RenderCache::default();
        let caps = |env: &RenderEnv, cache: &mut RenderCache| {
            let r = render_with(&files, &app(), env, cache);
            let data = find(&r.objects, "ConfigMap", "caps").data["data"].clone();
            (data["deployment"].clone(), data["batch"].clone())
        };
        // helm template's default set: group versions, no kinds.
        assert_eq!(
            caps(&RenderEnv::default(), &mut cache),
            ("false".into(), "true".into())
        );
        // The cluster's set as discovery gave it, in place of the default.
        let discovered = RenderEnv {
            api_versions: Some(Arc::new(vec![
                "apps/v1".into(),
                "apps/v1/Deployment".into(),
                "v1".into(),
            ])),
            ..RenderEnv::default()
        };
        assert_eq!(
            caps(&discovered, &mut cache),
            ("true".into(), "false".into())
        );
    }

    #[test]
    fn unchanged_inputs_reuse_the_parse_and_the_render() {
        let mut files = repo();
        let mut cache = RenderCache::default();
        let env = RenderEnv::default();
        let used = |r: &Rendered| r.chart.map(|c| (c.load, c.render));
        let first = render_with(&files, &app(), &env, &mut cache);
        assert_eq!(used(&first), Some((CacheUse::Fresh, CacheUse::Fresh)));
        files.set("README.md", "another commit, elsewhere\n");
        let second = render_with(&files, &app(), &env, &mut cache);
        assert_eq!(used(&second), Some((CacheUse::Reused, CacheUse::Reused)));
        assert_eq!(second.objects, first.objects);
        files.set("values.yaml", "greeting: new\n");
        let third = render_with(&files, &app(), &env, &mut cache);
        assert_eq!(
            used(&third),
            Some((CacheUse::Reused, CacheUse::Fresh)),
            "values changed, the chart did not"
        );
        files.set(
            "charts/demo/templates/extra.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n",
        );
        let fourth = render_with(&files, &app(), &env, &mut cache);
        assert_eq!(used(&fourth), Some((CacheUse::Fresh, CacheUse::Fresh)));
        assert_eq!(fourth.objects.len(), 5);
        let other_set = app().with_set(&[("api.replicas", "3")]);
        let fifth = render_with(&files, &other_set, &env, &mut cache);
        assert_eq!(
            used(&fifth),
            Some((CacheUse::Reused, CacheUse::Fresh)),
            "set is an input"
        );
        assert!(cache.len().0 <= CACHE_ENTRIES && cache.len().1 <= CACHE_ENTRIES);
        // Without content ids (a working tree) the chart is read each time.
        files.ids = false;
        let disk = render_with(&files, &app(), &env, &mut cache);
        assert_eq!(used(&disk).map(|u| u.0), Some(CacheUse::Fresh));
    }

    fn chart_error(files: &Memory, app: &AppSpec) -> (String, RenderError) {
        let e = crate::render::render_app(app, files).unwrap_err();
        (crate::error_chain(&e), e)
    }

    #[test]
    fn template_errors_name_file_line_and_column_with_a_hint() {
        let mut files = repo();
        files.set(
            "charts/demo/templates/bad.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.nope.deeper }}\n",
        );
        let (text, e) = chart_error(&files, &app());
        assert!(matches!(e, RenderError::Chart { .. }), "{text}");
        assert!(text.starts_with("chart repo/charts/demo: "), "{text}");
        assert!(
            text.contains("demo/templates/bad.yaml:4:"),
            "file:line:col: {text}"
        );
        assert!(
            text.contains("nil pointer evaluating"),
            "Helm's words: {text}"
        );
        assert!(text.contains("hint: fix the template"), "{text}");
        files.set("charts/demo/templates/bad.yaml", "{{ if }}\n");
        let (text, _) = chart_error(&files, &app());
        assert!(
            text.contains("parse error at (demo/templates/bad.yaml:1)"),
            "{text}"
        );
    }

    #[test]
    fn missing_charts_values_and_dependencies_are_named() {
        let mut files = repo();
        let (text, _) = chart_error(&files, &AppSpec::chart("shop", "charts/nope"));
        assert!(
            text.starts_with("chart repo/charts/nope: no such directory"),
            "{text}"
        );
        let (text, _) = chart_error(&files, &app().with_values(&["environments/prod.yaml"]));
        assert!(
            text.contains("values file repo/environments/prod.yaml does not exist"),
            "{text}"
        );
        files.set(
            "charts/demo/Chart.yaml",
            "apiVersion: v2\nname: demo\nversion: 0.1.0\ndependencies:\n  - name: postgresql\n    version: 12.x\n    repository: https://charts.example.com\n",
        );
        let (text, _) = chart_error(&files, &app());
        assert!(
            text.contains("missing in charts/ directory: postgresql"),
            "{text}"
        );
        assert!(text.contains("helm dependency build"), "{text}");
        files.set(
            "charts/demo/Chart.yaml",
            "apiVersion: v2\nname: demo\nversion: 0.1.0\ntype: library\n",
        );
        let (text, _) = chart_error(&files, &app());
        assert!(
            text.contains("library charts are not installable"),
            "{text}"
        );
    }

    #[test]
    fn errors_about_secrets_never_print_their_data() {
        let mut files = repo();
        files.set(
            "charts/demo/templates/secret.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  labels: {a: b}\nstringData:\n  password: {{ .Values.password | quote }}\n",
        );
        files.set("values.yaml", "password: hunter2-very-secret\n");
        let (text, e) = chart_error(&files, &app());
        assert!(
            matches!(
                e,
                RenderError::MissingField {
                    field: "metadata.name",
                    ..
                }
            ),
            "{text}"
        );
        assert!(
            text.starts_with("demo/templates/secret.yaml:1 (document 1)"),
            "{text}"
        );
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn crds_of_the_chart_are_applied_and_never_pruned() {
        let mut files = repo();
        files.set(
            "charts/demo/crds/widgets.yaml",
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions: [{name: v1, served: true, storage: true}]\n",
        );
        let objects = crate::render::render_app(&app(), &files).unwrap();
        let crd = find(&objects, "CustomResourceDefinition", "widgets.example.com");
        assert_eq!(crd.annotation(PRUNE_ANNOTATION), Some("disabled"));
        assert_eq!(crd.origin.file, "demo/crds/widgets.yaml");
    }

    #[test]
    fn the_same_inputs_are_the_same_release_and_new_ones_the_next() {
        let first = ReleaseRecord::for_inputs(None, "a");
        assert_eq!(
            first,
            ReleaseRecord {
                revision: 1,
                upgrade: false,
                inputs: Some("a".into())
            }
        );
        assert_eq!(ReleaseRecord::for_inputs(Some(&first), "a"), first);
        let second = ReleaseRecord::for_inputs(Some(&first), "b");
        assert_eq!((second.revision, second.upgrade), (2, true));
        let legacy = ReleaseRecord::after(None);
        assert_eq!(
            (legacy.revision, legacy.upgrade, legacy.inputs),
            (1, false, None)
        );
        let next = ReleaseRecord::after(Some(&second));
        assert_eq!((next.revision, next.upgrade), (3, true));
    }

    #[test]
    fn the_cache_keeps_the_newest_few() {
        let mut lru: Lru<u32, u32> = Lru::default();
        for i in 0..5 {
            lru.put(i, i * 10);
        }
        assert_eq!(lru.entries.len(), CACHE_ENTRIES);
        assert_eq!(lru.get(&0), None, "the oldest went");
        assert_eq!(lru.get(&2), Some(20));
        lru.put(5, 50);
        assert_eq!(lru.get(&2), Some(20), "a used entry stays");
        assert_eq!(lru.get(&3), None);
    }

    #[test]
    fn symlink_targets_resolve_inside_the_watched_directory() {
        let cases = [
            (
                "charts/a/values.yaml",
                "../../common/values.yaml",
                Some("common/values.yaml"),
            ),
            (
                "charts/a/templates/x.yaml",
                "./y.yaml",
                Some("charts/a/templates/y.yaml"),
            ),
            ("charts/a/t", "../b//c/./d", Some("charts/b/c/d")),
            ("charts/a/t", "../../..", None),
            ("charts/a/t", "../../../etc/passwd", None),
            ("charts/a/t", "/etc/passwd", None),
            ("top", "..", None),
            ("charts/a/t", "../..", Some("")),
        ];
        for (link, target, want) in cases {
            assert_eq!(
                resolve_link(link, target).as_deref(),
                want,
                "{link} -> {target}"
            );
        }
    }

    #[test]
    fn fingerprints_see_every_part_and_its_boundaries() {
        assert_ne!(fingerprint(&[b"ab", b"c"]), fingerprint(&[b"a", b"bc"]));
        assert_eq!(fingerprint(&[b"x"]), fingerprint(&[b"x"]));
        assert_eq!(fingerprint(&[b"x"]).len(), 24);
    }
}
