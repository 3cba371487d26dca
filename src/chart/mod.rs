//! Helm charts, rendered as `helm template` renders them, on the template
//! engine of [`crate::template`]: loading (`Chart.yaml`, `requirements.yaml`,
//! `charts/` directories and `.tgz` archives, `.helmignore`), values as Helm
//! merges and coalesces them, subchart scoping, the built-in objects, and the
//! output (document splitting, install order, hooks).
//!
//! Layout, after Helm's own packages: [`load`] (chart/v2/loader and
//! `ignore`), [`metadata`] (`Chart.yaml`), [`values`] (chartutil's
//! coalescing and dependency processing), [`strvals`] (`--set` parsing),
//! [`schema`] (`values.schema.json`), [`objects`] (`.Files`,
//! `.Capabilities`), [`engine`] (Helm's engine: scoping and render order)
//! and [`manifests`] (releaseutil's splitting and sorting, and the printing
//! of `helm template`).
//!
//! A loaded [`Chart`] is plain, shareable data (`Send + Sync`): the daemon
//! caches it per git tree. Everything a render builds from it (values,
//! template data) is per render.

pub mod engine;
pub mod helm_template;
pub mod load;
pub mod manifests;
pub mod metadata;
pub mod objects;
pub mod schema;
pub mod strvals;
pub mod values;

use std::sync::Arc;

pub use metadata::{Dependency, Maintainer, Metadata};

use crate::template::{Frozen, Value};

/// One file of a chart: its path relative to the chart's root, with `/`
/// separators (`templates/deployment.yaml`), and its bytes.
#[derive(Clone, Debug)]
pub struct File {
    /// Path relative to the chart root.
    pub name: String,
    /// The content (a UTF-8 BOM already removed, as Helm's loader does).
    pub data: Arc<[u8]>,
}

/// A loaded chart: Helm's `chart.Chart` (v2 API), dependencies included.
#[derive(Clone, Debug)]
pub struct Chart {
    /// `Chart.yaml` (with `requirements.yaml`'s dependencies for v1 charts).
    pub metadata: Metadata,
    /// `values.yaml` as written.
    pub values_yaml: Option<Arc<str>>,
    /// `values.yaml` parsed, on first use (the loader's check): each render
    /// thaws its own copy, since renders mutate values and values are not
    /// `Send`. Reset it when changing `values_yaml`.
    pub values_parsed: std::sync::OnceLock<Result<Frozen, String>>,
    /// `values.schema.json`, if any.
    pub schema: Option<Arc<[u8]>>,
    /// Files under `templates/`, in path order.
    pub templates: Vec<File>,
    /// Every other file (what `.Files` sees), in path order; `crds/`
    /// files are among them, as in Helm.
    pub files: Vec<File>,
    /// Charts under `charts/` (directories and `.tgz` archives), by
    /// directory or archive name order.
    pub dependencies: Vec<Chart>,
    /// Parsed template sets of this chart as a root, by the list of
    /// templates they hold (which subcharts are enabled, under which
    /// names): a chart parses once per such set, not once per render.
    pub parsed: engine::ParseCache,
}

impl Chart {
    /// The chart's name from `Chart.yaml`.
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// Whether it is a library chart (`type: library`): its templates only
    /// define, never print.
    pub fn is_library(&self) -> bool {
        self.metadata.chart_type.eq_ignore_ascii_case("library")
    }

    /// The chart's default values (`values.yaml`, every document merged, as
    /// Helm's `LoadValues` reads them), or an empty map.
    ///
    /// # Errors
    /// The YAML error, as Helm words it.
    pub fn default_values(&self) -> Result<Value, String> {
        let Some(text) = &self.values_yaml else {
            return Ok(Value::empty_map());
        };
        let parsed = self.values_parsed.get_or_init(|| parse_values(text));
        parsed.as_ref().map(Frozen::thaw).map_err(Clone::clone)
    }

    /// The files under `crds/` (Helm's `CRDObjects` of this chart alone),
    /// in path order.
    pub fn crd_files(&self) -> impl Iterator<Item = &File> {
        self.files.iter().filter(|f| f.name.starts_with("crds/"))
    }
}

/// A file's text as Go's `string(bytes)` then printing sees it: invalid
/// UTF-8 as U+FFFD. Valid text (nearly all of it) is checked by the fast
/// validator and borrowed.
pub(crate) fn utf8_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// `values.yaml` parsed as Helm's `LoadValues` reads it, frozen for
/// [`Chart::values_parsed`].
fn parse_values(text: &str) -> Result<Frozen, String> {
    // Values from YAML are plain data; an object cannot occur.
    values::load_values(text)?
        .freeze()
        .ok_or_else(|| "values.yaml holds a non-data value".to_string())
}

/// A chart as one render sees it, after Helm's dependency processing: the
/// enabled dependencies only (conditions and tags), aliases applied to the
/// name, `Enabled` set on each dependency of the metadata, and the default
/// values after `import-values`. Per render, so it holds template values.
pub struct Scope<'a> {
    /// The chart as loaded.
    pub chart: &'a Chart,
    /// Its metadata as templates see it (`.Chart`): the alias as name, the
    /// dependencies' `Enabled`.
    pub metadata: Metadata,
    /// Its default values, after imports from its dependencies.
    pub values: Value,
    /// The enabled dependencies, in the chart's dependency order.
    pub dependencies: Vec<Scope<'a>>,
}

impl Scope<'_> {
    /// The name templates see: the alias, else the chart's name.
    pub fn name(&self) -> &str {
        &self.metadata.name
    }
}

/// How one render of a chart is done.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    /// `.Release`.
    pub release: engine::ReleaseInfo,
    /// `.Capabilities`.
    pub capabilities: objects::Capabilities,
    /// `--skip-schema-validation`.
    pub skip_schema_validation: bool,
}

/// A rendered chart: hooks and manifests in Helm's order, the notes, and
/// the CRD files of the chart and its enabled subcharts.
pub struct Rendered {
    /// What `helm template` prints and the daemon applies.
    pub release: manifests::Release,
    /// `crds/` files (never templated).
    pub crds: Vec<manifests::CrdFile>,
}

/// Why a chart did not render; each message is Helm's.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The chart could not be loaded.
    #[error("{0}")]
    Load(#[from] load::LoadError),
    /// The values could not be read or merged.
    #[error("{0}")]
    Values(String),
    /// Dependency processing failed (a condition, an import).
    #[error("chart dependencies processing failed: {0}")]
    Dependencies(String),
    /// The values break a `values.schema.json`.
    #[error("{0}")]
    Schema(#[from] schema::SchemaError),
    /// The chart's `kubeVersion` does not accept the cluster's version.
    #[error(
        "chart requires kubeVersion: {constraint} which is incompatible with Kubernetes {version}"
    )]
    KubeVersion {
        /// The constraint from `Chart.yaml`.
        constraint: String,
        /// The cluster's version.
        version: String,
    },
    /// A template failed to parse or execute.
    #[error("{0}")]
    Template(#[from] engine::TemplateError),
    /// The output is not valid YAML, or a hook is malformed.
    #[error("{0}")]
    Manifest(#[from] manifests::ManifestError),
    /// The chart is a library chart.
    #[error("{0} charts are not installable")]
    NotInstallable(String),
}

/// Renders a chart as `helm install --dry-run` / `helm template` does:
/// dependency processing (conditions, tags, aliases, imports), coalescing
/// the user's values over the defaults, schema validation, the
/// `kubeVersion` check, the templates, then splitting and sorting.
///
/// # Errors
/// [`ChartError`], in Helm's words.
pub fn render_chart(
    chart: &Chart,
    user_values: &Value,
    options: &RenderOptions,
    template_options: &crate::template::Options<'_>,
) -> Result<Rendered, ChartError> {
    let scope = values::process_dependencies(chart, user_values)
        .map_err(|e| ChartError::Dependencies(e.to_string()))?;
    let values =
        values::coalesce(&scope, user_values).map_err(|e| ChartError::Values(e.to_string()))?;
    if !options.skip_schema_validation {
        schema::validate(&scope, &values)?;
    }
    let kube = &options.capabilities.kube_version;
    if !chart.metadata.kube_version.is_empty() && !kube.satisfies(&chart.metadata.kube_version) {
        return Err(ChartError::KubeVersion {
            constraint: chart.metadata.kube_version.clone(),
            version: kube.version.clone(),
        });
    }
    let files = engine::render(
        &scope,
        &values,
        &options.release,
        &options.capabilities,
        template_options,
    )?;
    let release = manifests::sort_manifests(&files, scope.name())?;
    let mut crds = Vec::new();
    collect_crds(&scope, scope.name(), &mut crds);
    Ok(Rendered { release, crds })
}

/// Helm's `CRDObjects`: the chart's `crds/` files, then its enabled
/// dependencies', with their source paths.
fn collect_crds(scope: &Scope<'_>, path: &str, out: &mut Vec<manifests::CrdFile>) {
    for f in scope.chart.crd_files() {
        out.push(manifests::CrdFile {
            path: format!("{path}/{}", f.name),
            content: utf8_text(&f.data).into_owned(),
        });
    }
    for dep in &scope.dependencies {
        collect_crds(dep, &format!("{path}/charts/{}", dep.name()), out);
    }
}

#[cfg(test)]
mod tests {
    /// The daemon caches loaded charts across threads.
    #[test]
    fn a_chart_is_shareable() {
        fn shareable<T: Send + Sync>() {}
        shareable::<super::Chart>();
    }
}
