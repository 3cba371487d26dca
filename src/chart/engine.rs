//! Helm's engine around the template language: every template of the chart
//! and its enabled subcharts in one set (named `CHART/templates/FILE`,
//! subcharts under `CHART/charts/SUB/...`), each chart's templates seeing
//! their own scope (`.Values` of the subchart, its `.Chart`, its `.Files`),
//! parsed and rendered deepest path first, then in reverse lexical order
//! (so mutations through `set` are seen as Helm sees them).

use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use super::objects::{files_value, Capabilities, FileMap};
use super::Scope;
use crate::template::{self, Map, Options, Templates, Value};

/// `.Release` as a render sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseInfo {
    /// The release name (the app name in the daemon).
    pub name: String,
    /// The release namespace.
    pub namespace: String,
    /// The revision: 1 on install, counted up by upgrades.
    pub revision: i64,
    /// Whether this render is an upgrade (`--is-upgrade`, or a later sync).
    pub is_upgrade: bool,
}

impl ReleaseInfo {
    /// `.Release` (a plain map, as Helm builds it).
    pub fn to_value(&self) -> Value {
        let mut m = BTreeMap::new();
        m.insert("Name".into(), Value::str(self.name.as_str()));
        m.insert("Namespace".into(), Value::str(self.namespace.as_str()));
        m.insert("IsUpgrade".into(), Value::Bool(self.is_upgrade));
        m.insert("IsInstall".into(), Value::Bool(!self.is_upgrade));
        m.insert("Revision".into(), Value::Int(self.revision));
        m.insert("Service".into(), Value::str("Helm"));
        Value::map(m)
    }
}

/// A template error as Helm prints it (`parse error at (...)`, the
/// multi-line execution trace, `execution error at (...)`).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{message}")]
pub struct TemplateError {
    /// Helm's message.
    pub message: String,
    /// The template file the error is in (`CHART/templates/FILE`).
    pub file: String,
}

/// Parsed template sets by key (see [`super::Chart::parsed`]); a few
/// entries at most, the oldest dropped first.
#[derive(Clone, Default)]
pub struct ParseCache(Arc<Mutex<Vec<ParsedSet>>>);

/// A parsed set and the key it was parsed for.
type ParsedSet = (String, Arc<Templates>);

impl std::fmt::Debug for ParseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ParseCache")
    }
}

impl ParseCache {
    const SIZE: usize = 4;

    /// The set for `key`, parsing it with `parse` on a miss.
    fn get_or_parse(
        &self,
        key: String,
        parse: impl FnOnce() -> Result<Templates, TemplateError>,
    ) -> Result<Arc<Templates>, TemplateError> {
        if let Ok(cache) = self.0.lock() {
            if let Some((_, set)) = cache.iter().find(|(k, _)| *k == key) {
                return Ok(set.clone());
            }
        }
        let set = Arc::new(parse()?);
        if let Ok(mut cache) = self.0.lock() {
            if cache.len() >= Self::SIZE {
                cache.remove(0);
            }
            cache.push((key, set.clone()));
        }
        Ok(set)
    }
}

/// One template to render: its full name, the scope data it sees, and its
/// base path.
struct Renderable {
    name: String,
    text: Arc<[u8]>,
    data: Map,
    base_path: String,
}

/// Renders every template of `scope` (the root chart, after dependency
/// processing) with `values` (the coalesced values), as Helm's
/// `engine.Render`: the result maps each template's full name to its
/// output, partials (`_*`) left out, `NOTES.txt` files included.
///
/// # Errors
/// The first parse error (in parse order) or execution error (in render
/// order), as Helm prints it.
pub fn render(
    scope: &Scope<'_>,
    values: &Value,
    release: &ReleaseInfo,
    capabilities: &Capabilities,
    options: &Options<'_>,
) -> Result<BTreeMap<String, String>, TemplateError> {
    let release = release.to_value();
    let capabilities = capabilities.to_value();
    let top = Map::new();
    top.insert("Values", values.clone());
    let mut renderables = Vec::new();
    collect(
        scope,
        &top,
        &release,
        &capabilities,
        scope.name(),
        true,
        &mut renderables,
    );
    // Helm's sortTemplates: most path segments first, then reverse
    // lexical order.
    renderables.sort_by(|a, b| {
        let (ca, cb) = (a.name.matches('/').count(), b.name.matches('/').count());
        cb.cmp(&ca).then_with(|| b.name.cmp(&a.name))
    });
    let key: String = renderables
        .iter()
        .map(|r| r.name.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let set = scope.chart.parsed.get_or_parse(key, || {
        let mut set = Templates::new();
        for r in &renderables {
            set.parse(&r.name, &super::utf8_text(&r.text))
                .map_err(|e| TemplateError {
                    message: e.helm_message(&r.name),
                    file: r.name.clone(),
                })?;
        }
        Ok(set)
    })?;
    let mut out = BTreeMap::new();
    for r in &renderables {
        let base = r.name.rsplit('/').next().unwrap_or(&r.name);
        if base.starts_with('_') {
            continue;
        }
        let mut tmpl = BTreeMap::new();
        tmpl.insert("Name".into(), Value::str(r.name.as_str()));
        tmpl.insert("BasePath".into(), Value::str(r.base_path.as_str()));
        r.data.insert("Template", named(Value::map(tmpl)));
        let data = Value::Map(named_map(r.data.clone()));
        let text = set
            .execute(&r.name, data, options)
            .map_err(|e| TemplateError {
                message: e.helm_message(&r.name),
                file: r.name.clone(),
            })?;
        out.insert(r.name.clone(), template::remove_no_value(&text));
    }
    Ok(out)
}

/// Helm's `recAllTpls`: builds the data a chart's templates see and
/// returns it (it becomes the parent's `.Subcharts.NAME`).
fn collect(
    scope: &Scope<'_>,
    parent: &Map,
    release: &Value,
    capabilities: &Value,
    full_path: &str,
    is_root: bool,
    out: &mut Vec<Renderable>,
) -> Map {
    let chart_meta = scope.metadata.to_value();
    if let Value::Map(m) = &chart_meta {
        m.insert("IsRoot", Value::Bool(is_root));
    }
    let files: FileMap = scope
        .chart
        .files
        .iter()
        .map(|f| (f.name.clone(), f.data.clone()))
        .collect();
    let subcharts = Map::new();
    let next = Map::new();
    next.insert("Chart", chart_meta);
    next.insert("Files", files_value(Rc::new(files)));
    next.insert("Release", release.clone());
    next.insert("Capabilities", capabilities.clone());
    next.insert("Subcharts", Value::Map(subcharts.clone()));
    let values = if is_root {
        parent
            .get("Values")
            .unwrap_or_else(|| named(Value::empty_map()))
    } else {
        // `values.Table("Values." + name)`: a map, else empty Values.
        match parent.get("Values") {
            Some(Value::Map(m)) => match m.get(scope.name()) {
                Some(Value::Map(sub)) => Value::Map(named_map(sub)),
                _ => named(Value::empty_map()),
            },
            _ => named(Value::empty_map()),
        }
    };
    next.insert("Values", values);
    for dep in &scope.dependencies {
        let path = format!("{full_path}/charts/{}", dep.name());
        let sub = collect(dep, &next, release, capabilities, &path, false, out);
        subcharts.insert(dep.name(), Value::Map(sub));
    }
    let library = scope.chart.is_library();
    for t in &scope.chart.templates {
        let base = t.name.rsplit('/').next().unwrap_or(&t.name);
        if library && !base.starts_with('_') {
            continue;
        }
        out.push(Renderable {
            name: format!("{full_path}/{}", t.name),
            text: t.data.clone(),
            data: next.clone(),
            base_path: format!("{full_path}/templates"),
        });
    }
    next
}

/// A map as Helm's named type `common.Values` (same entries, shared).
fn named_map(mut m: Map) -> Map {
    m.named = Some("common.Values");
    m
}

fn named(v: Value) -> Value {
    match v {
        Value::Map(m) => Value::Map(named_map(m)),
        other => other,
    }
}
