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
pub mod load;
pub mod manifests;
pub mod metadata;
pub mod objects;
pub mod schema;
pub mod strvals;
pub mod values;

use std::sync::Arc;

pub use metadata::{Dependency, Maintainer, Metadata};

use crate::template::Value;

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
    /// `values.yaml` as written; parsed per render (values are per render).
    pub values_yaml: Option<Arc<str>>,
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
        match &self.values_yaml {
            Some(text) => values::load_values(text),
            None => Ok(Value::empty_map()),
        }
    }

    /// The files under `crds/` (Helm's `CRDObjects` of this chart alone),
    /// in path order.
    pub fn crd_files(&self) -> impl Iterator<Item = &File> {
        self.files.iter().filter(|f| f.name.starts_with("crds/"))
    }
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
