//! Values exactly as Helm v4 merges them: a port of `pkg/chart/v2/loader`'s
//! `LoadValues`/`MergeMaps`, `pkg/cli/values`' `MergeValues` (the order of
//! `-f`, `--set-json`, `--set`, `--set-string`, `--set-file`,
//! `--set-literal`), `pkg/chart/common/util/coalesce.go` (`CoalesceValues`:
//! chart defaults under user values, nulls deleting defaults, globals
//! copied down, subchart sections) and `pkg/chart/v2/util/dependencies.go`
//! (`ProcessDependencies`: conditions, tags, aliases, `import-values`).
//!
//! Maps are shared exactly where Go shares them and deep-copied where Helm
//! calls `copystructure` (the template [`Map`] is a shared Go map), because
//! some of Helm's results depend on it: `import-values` can write into the
//! tables it imports from, and globals nested two levels deep are merged
//! into the parent's own global maps. Map iteration is in key order, where
//! Go's is random (only the order of warnings can differ, and Helm's own
//! is not stable).
//!
//! Helm prints warnings (`log.Printf`, `slog.Warn`) on stderr; here they
//! are collected in a `Vec<String>` for the caller to log: `log.Printf`'s
//! message as is (without the date `log` prefixes), `slog` ones as its text
//! handler writes them (`level=WARN msg="..." key=value`).

use std::collections::{BTreeMap, HashSet};
use std::rc::Rc;

use super::metadata::ImportValue;
use super::strvals::{self, StrvalsError};
use super::{Chart, Scope};
use crate::template::semver::{Constraints, Version};
use crate::template::{gofmt, yaml, Elem, List, Map, Str, Value};

/// Helm's `common.GlobalKey`.
const GLOBAL_KEY: &str = "global";

/// The Go type name of Helm's `.Values` (`common.Values`).
const VALUES_TYPE: &str = "common.Values";

/// Why values cannot be put together, in Helm's words.
#[derive(Debug, thiserror::Error)]
pub enum ValuesError {
    /// A `-f` values file that does not parse.
    #[error("failed to parse {name}: {message}")]
    ValuesFile {
        /// The file name as given.
        name: String,
        /// `LoadValues`' error.
        message: String,
    },
    /// A `--set-json` whole JSON object that does not parse (Helm shows
    /// only the argument).
    #[error("failed parsing --set-json data JSON: {0}")]
    SetJsonObject(String),
    /// A `--set-json key=json` argument that does not parse (Helm shows
    /// only the argument).
    #[error("failed parsing --set-json data {0}")]
    SetJson(String),
    /// A `--set` argument.
    #[error("failed parsing --set data: {0}")]
    Set(StrvalsError),
    /// A `--set-string` argument.
    #[error("failed parsing --set-string data: {0}")]
    SetString(StrvalsError),
    /// A `--set-file` argument (or the file it names).
    #[error("failed parsing --set-file data: {0}")]
    SetFile(StrvalsError),
    /// A `--set-literal` argument.
    #[error("failed parsing --set-literal data: {0}")]
    SetLiteral(StrvalsError),
    /// A subchart's section of the values is not a map (Helm formats the
    /// value with `%t`: `type mismatch on sub: %!t(string=x)`).
    #[error("type mismatch on {name}: {value}")]
    TypeMismatch {
        /// The subchart's name (its alias, if any).
        name: String,
        /// The value, formatted as Go's `%t` does.
        value: String,
    },
    /// A chart's `values.yaml` that does not parse (normally caught by
    /// the loader first).
    #[error("cannot load values.yaml: {0}")]
    ChartValues(String),
    /// An error while processing dependencies (install's wrapping).
    #[error("chart dependencies processing failed: {0}")]
    Dependencies(Box<ValuesError>),
}

/// Reads a values file as Helm's `LoadValues` does: split into YAML
/// documents at lines starting with `---` (k8s.io's YAMLReader), each
/// document read as a map (sigs.k8s.io/yaml), merged in order with
/// [`merge_maps`].
///
/// # Errors
/// Helm's texts: `error reading yaml document: invalid Yaml document
/// separator: ...` or `cannot unmarshal yaml document: ...`.
pub fn load_values(text: &str) -> Result<Value, String> {
    let mut values = Value::empty_map();
    for doc in split_documents(text)? {
        let current =
            yaml::from_str_map(&doc).map_err(|e| format!("cannot unmarshal yaml document: {e}"))?;
        values = merge_maps(&values, &current);
    }
    Ok(values)
}

/// k8s.io/apimachinery's `YAMLReader` over Helm's input (a final newline
/// added): lines as `LineReader` returns them (`\r\n` becomes `\n`); a
/// line starting with `---` ends a non-empty document and is dropped, or
/// starts the next document when nothing is buffered.
fn split_documents(text: &str) -> Result<Vec<String>, String> {
    let mut docs = Vec::new();
    let mut buf = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (line, next) = match rest.find('\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        rest = next;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(after) = line.strip_prefix("---") {
            let trimmed = after.trim();
            if !trimmed.is_empty() && !trimmed.starts_with('#') {
                return Err(format!(
                    "error reading yaml document: invalid Yaml document separator: {trimmed}"
                ));
            }
            if !buf.is_empty() {
                docs.push(std::mem::take(&mut buf));
                continue;
            }
        }
        buf.push_str(line);
        buf.push('\n');
    }
    if !buf.is_empty() {
        docs.push(buf);
    }
    Ok(docs)
}

/// Helm's `MergeMaps` (loader): a new map with `base`'s entries, `over`'s
/// entries set on top, maps present in both merged recursively (into new
/// maps); everything else is shared, not copied. A non-map is taken as
/// an empty map.
pub fn merge_maps(base: &Value, over: &Value) -> Value {
    let out = Map::new();
    if let Some(a) = base.as_map() {
        *out.borrow_mut() = a.borrow().clone();
    }
    if let Some(b) = over.as_map() {
        for (k, v) in b.entries() {
            if table(&v).is_some() {
                if let Some(bv) = out.get(&k) {
                    if table(&bv).is_some() {
                        let merged =
                            stacker::maybe_grow(64 * 1024, 1024 * 1024, || merge_maps(&bv, &v));
                        out.insert(k, merged);
                        continue;
                    }
                }
            }
            out.insert(k, v);
        }
    }
    Value::Map(out)
}

/// The user's values from the command line, in Helm's order.
#[derive(Clone, Debug, Default)]
pub struct ValueOptions {
    /// `-f`/`--values`: each file's name (for errors) and its text.
    pub values_files: Vec<(String, String)>,
    /// `--set`.
    pub set: Vec<String>,
    /// `--set-string`.
    pub set_string: Vec<String>,
    /// `--set-file`.
    pub set_file: Vec<String>,
    /// `--set-json`.
    pub set_json: Vec<String>,
    /// `--set-literal`.
    pub set_literal: Vec<String>,
}

/// Helm's `MergeValues`: the user's values from the flags, applied in
/// Helm's order (values files merged, then `--set-json`, `--set`,
/// `--set-string`, `--set-file`, `--set-literal`, each written into the
/// result). `read_file` reads the files `--set-file` names.
///
/// # Errors
/// The first flag that fails, with Helm's message.
pub fn merge_user_values(
    opts: &ValueOptions,
    read_file: &dyn Fn(&str) -> Result<String, String>,
) -> Result<Value, ValuesError> {
    let mut base = Value::empty_map();
    for (name, text) in &opts.values_files {
        let current = load_values(text).map_err(|message| ValuesError::ValuesFile {
            name: name.clone(),
            message,
        })?;
        base = merge_maps(&base, &current);
    }
    for value in &opts.set_json {
        strvals::parse_json(value, &base).map_err(|e| match e {
            StrvalsError::JsonObject(_) => ValuesError::SetJsonObject(value.clone()),
            _ => ValuesError::SetJson(value.clone()),
        })?;
    }
    for value in &opts.set {
        strvals::parse_into(value, &base).map_err(ValuesError::Set)?;
    }
    for value in &opts.set_string {
        strvals::parse_into_string(value, &base).map_err(ValuesError::SetString)?;
    }
    for value in &opts.set_file {
        strvals::parse_file(value, &base, read_file).map_err(ValuesError::SetFile)?;
    }
    for value in &opts.set_literal {
        strvals::parse_literal(value, &base).map_err(ValuesError::SetLiteral)?;
    }
    Ok(base)
}

/// Helm's `ProcessDependencies` (import values merged, as Helm v4 does):
/// the chart tree as one render sees it. Dependencies listed in
/// `Chart.yaml` become copies named by their alias, disabled ones (tags,
/// then conditions, evaluated on the coalesced values) are dropped, and
/// each chart's values become its defaults with its subcharts' values and
/// `import-values` merged in. Warnings are logged with `tracing`; see
/// [`process_dependencies_with_warnings`] to collect them.
///
/// # Errors
/// `chart dependencies processing failed: ...` (a subchart's values that
/// are not a map).
pub fn process_dependencies<'a>(chart: &'a Chart, user: &Value) -> Result<Scope<'a>, ValuesError> {
    let mut warnings = Vec::new();
    let result = process_dependencies_with_warnings(chart, user, &mut warnings);
    log_warnings(&warnings);
    result
}

/// [`process_dependencies`], with Helm's warnings appended to `warnings`
/// in the order Helm prints them.
///
/// # Errors
/// As [`process_dependencies`].
pub fn process_dependencies_with_warnings<'a>(
    chart: &'a Chart,
    user: &Value,
    warnings: &mut Vec<String>,
) -> Result<Scope<'a>, ValuesError> {
    let mut root = raw_scope(chart)?;
    let wrap = |e| ValuesError::Dependencies(Box::new(e));
    process_enabled(&mut root, user, "", warnings).map_err(wrap)?;
    process_import_values_tree(&mut root, warnings).map_err(wrap)?;
    Ok(root)
}

/// Helm's `CoalesceValues` on a processed chart: the `.Values` of the root
/// (a `common.Values` map) with the user's values over the chart's
/// defaults, nulls deleting defaults, each subchart's section coalesced
/// with its own defaults and the parent's globals copied into it. `user`
/// is not modified. Warnings are logged with `tracing`; see
/// [`coalesce_with_warnings`].
///
/// # Errors
/// `type mismatch on NAME: ...` when a subchart's section is not a map.
pub fn coalesce(scope: &Scope, user: &Value) -> Result<Value, ValuesError> {
    let mut warnings = Vec::new();
    let result = coalesce_with_warnings(scope, user, &mut warnings);
    log_warnings(&warnings);
    result
}

/// [`coalesce`], with Helm's warnings appended to `warnings`.
///
/// # Errors
/// As [`coalesce`].
pub fn coalesce_with_warnings(
    scope: &Scope,
    user: &Value,
    warnings: &mut Vec<String>,
) -> Result<Value, ValuesError> {
    let mut m = coalesce_top(warnings, scope, user, false)?;
    m.named = Some(VALUES_TYPE);
    Ok(Value::Map(m))
}

fn log_warnings(warnings: &[String]) {
    for w in warnings {
        tracing::warn!("{w}");
    }
}

// ---------------------------------------------------------------------------
// Go values: tables, copies.

/// Helm's `istable`: a `map[string]interface{}` (not a typed or named map).
fn table(v: &Value) -> Option<Map> {
    match v {
        Value::Map(m) if m.elem == Elem::Any && m.named.is_none() => Some(m.clone()),
        _ => None,
    }
}

/// `copystructure.Copy`: maps and slices copied all the way down.
fn deep_copy(v: &Value) -> Value {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || match v {
        Value::Map(m) => {
            let entries: BTreeMap<Str, Value> = m
                .borrow()
                .iter()
                .map(|(k, v)| (k.clone(), deep_copy(v)))
                .collect();
            let mut out = Map::from_entries(m.elem, entries);
            out.named = m.named;
            Value::Map(out)
        }
        Value::List(l) => Value::List(List {
            elem: l.elem,
            items: Rc::new(l.items.iter().map(deep_copy).collect()),
            nil: l.nil,
        }),
        other => other.clone(),
    })
}

/// A deep copy of `v` as a plain `map[string]interface{}` (an empty one
/// for a non-map), as `copyValues` makes it.
fn copy_values(v: &Value) -> Map {
    match deep_copy(v) {
        Value::Map(mut m) => {
            m.named = None;
            m
        }
        _ => Map::new(),
    }
}

/// `maps.Copy` into a new map: the entries shared.
fn shallow_copy(m: &Map) -> Map {
    Map::from_entries(Elem::Any, m.borrow().clone())
}

fn concat_prefix(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}.{b}")
    }
}

/// A `slog.Warn` line as Helm's text handler writes it (no time).
fn slog_warn(msg: &str, attrs: &[(&str, &str)]) -> String {
    let mut s = format!("level=WARN msg={}", slog_quote(msg));
    for (k, v) in attrs {
        s.push(' ');
        s.push_str(k);
        s.push('=');
        s.push_str(&slog_quote(v));
    }
    s
}

/// slog's `needsQuoting` and `strconv.Quote`.
fn slog_quote(s: &str) -> String {
    let needs = s.is_empty()
        || s.chars().any(|c| {
            if c.is_ascii() {
                c != '\\' && (c == ' ' || c == '=' || c == '"' || !(' '..='~').contains(&c))
            } else {
                c.is_whitespace() || !gofmt::is_print(c)
            }
        });
    if needs {
        gofmt::quote(s)
    } else {
        s.to_string()
    }
}

// ---------------------------------------------------------------------------
// coalesce.go

/// `CoalesceValues` (merge false) or `MergeValues` (merge true) without
/// the `common.Values` name.
fn coalesce_top(
    w: &mut Vec<String>,
    ch: &Scope,
    vals: &Value,
    merge: bool,
) -> Result<Map, ValuesError> {
    let dest = copy_values(vals);
    coalesce_chart(w, ch, &dest, "", merge)?;
    Ok(dest)
}

/// `coalesce`: the chart's values into `dest`, then its dependencies.
fn coalesce_chart(
    w: &mut Vec<String>,
    ch: &Scope,
    dest: &Map,
    prefix: &str,
    merge: bool,
) -> Result<(), ValuesError> {
    coalesce_values(w, ch, dest, prefix, merge);
    coalesce_deps(w, ch, dest, prefix, merge)
}

/// `coalesceDeps`: each subchart's section coalesced with its values.
fn coalesce_deps(
    w: &mut Vec<String>,
    ch: &Scope,
    dest: &Map,
    prefix: &str,
    merge: bool,
) -> Result<(), ValuesError> {
    for sub in &ch.dependencies {
        let name = sub.name();
        let dvmap = match dest.get(name) {
            None => {
                let m = Map::new();
                dest.insert(name, Value::Map(m.clone()));
                m
            }
            Some(c) => match table(&c) {
                Some(m) => m,
                None => {
                    return Err(ValuesError::TypeMismatch {
                        name: name.to_string(),
                        value: gofmt::sprintf("%t", &[c]),
                    })
                }
            },
        };
        let sub_prefix = concat_prefix(prefix, ch.name());
        coalesce_globals(w, &dvmap, dest, &sub_prefix);
        coalesce_chart(w, sub, &dvmap, &sub_prefix, merge)?;
    }
    Ok(())
}

/// `coalesceGlobals`: the parent's globals (`src`) merged into the
/// subchart's (`dest`), the parent's winning.
fn coalesce_globals(w: &mut Vec<String>, dest: &Map, src: &Map, prefix: &str) {
    let dg = match dest.get(GLOBAL_KEY) {
        None => Map::new(),
        Some(v) => match table(&v) {
            Some(m) => m,
            None => {
                w.push(format!(
                    "warning: skipping globals because destination {GLOBAL_KEY} is not a table."
                ));
                return;
            }
        },
    };
    let sg = match src.get(GLOBAL_KEY) {
        None => Map::new(),
        Some(v) => match table(&v) {
            Some(m) => m,
            None => {
                w.push(format!(
                    "warning: skipping globals because source {GLOBAL_KEY} is not a table."
                ));
                return;
            }
        },
    };
    for (key, val) in sg.entries() {
        if let Some(vt) = table(&val) {
            let vv = shallow_copy(&vt);
            match dg.get(&key) {
                None => dg.insert(key, Value::Map(vv)),
                Some(destv) => match table(&destv) {
                    None => w.push(format!(
                        "Conflict: cannot merge map onto non-map for {}. Skipping.",
                        gofmt::quote(&key)
                    )),
                    Some(destvmap) => {
                        // Merged top-down: the parent's (copied) table wins,
                        // its nested tables are the parent's own.
                        let sub_prefix = concat_prefix(prefix, &key);
                        coalesce_tables(w, &vv, &destvmap, &sub_prefix, true);
                        dg.insert(key, Value::Map(vv));
                    }
                },
            }
        } else if dg.get(&key).is_some_and(|dv| table(&dv).is_some()) {
            w.push(format!("key {key} is table. Skipping"));
        } else {
            dg.insert(key, val);
        }
    }
    dest.insert(GLOBAL_KEY, Value::Map(dg));
}

/// `coalesceValues`: the chart's default values (a deep copy) under `v`.
fn coalesce_values(w: &mut Vec<String>, ch: &Scope, v: &Map, prefix: &str, merge: bool) {
    let sub_prefix = concat_prefix(prefix, ch.name());
    let vc = copy_values(&ch.values);
    for (key, val) in vc.entries() {
        match v.get(&key) {
            Some(value) => {
                if value.is_nil() && !merge {
                    // A null from the user deletes the default.
                    v.borrow_mut().remove(&key);
                } else if let Some(dest) = table(&value) {
                    match table(&val) {
                        None => {
                            if !val.is_nil() {
                                w.push(format!(
                                    "warning: skipped value for {sub_prefix}.{key}: Not a table."
                                ));
                            }
                        }
                        Some(src) => {
                            let merge = merge || ch.dependencies.iter().any(|d| d.name() == &*key);
                            if !merge {
                                clean_nil_values(&src);
                            }
                            let full = concat_prefix(&sub_prefix, &key);
                            coalesce_tables(w, &dest, &src, &full, merge);
                        }
                    }
                }
            }
            None => {
                if !merge {
                    if val.is_nil() {
                        continue;
                    }
                    if let Some(sub) = table(&val) {
                        clean_nil_values(&sub);
                    }
                }
                v.insert(key, val);
            }
        }
    }
}

/// `coalesceTablesFullKey`: `src` merged under `dst` (`dst` wins), in
/// place. When coalescing (not merging), a null in `dst` over a non-null
/// in `src` deletes the key.
fn coalesce_tables(w: &mut Vec<String>, dst: &Map, src: &Map, prefix: &str, merge: bool) {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
        let src_non_nil: HashSet<Str> = src
            .borrow()
            .iter()
            .filter(|(_, v)| !v.is_nil())
            .map(|(k, _)| k.clone())
            .collect();
        for (key, val) in dst.entries() {
            if val.is_nil() {
                src.insert(key, Value::Nil);
            }
        }
        for (key, val) in src.entries() {
            let full = concat_prefix(prefix, &key);
            match dst.get(&key) {
                Some(Value::Nil) if !merge && src_non_nil.contains(&key) => {
                    dst.borrow_mut().remove(&key);
                }
                None => dst.insert(key, val),
                Some(dv) => {
                    if let Some(vt) = table(&val) {
                        match table(&dv) {
                            Some(dt) => coalesce_tables(w, &dt, &vt, &full, merge),
                            None => w.push(format!(
                                "warning: cannot overwrite table with non table for {full} ({})",
                                gofmt::format_v(&val)
                            )),
                        }
                    } else if table(&dv).is_some() && !val.is_nil() {
                        w.push(format!(
                            "warning: destination for {full} is a table. Ignoring non-table value ({})",
                            gofmt::format_v(&val)
                        ));
                    }
                }
            }
        }
    });
}

/// Helm's `MergeTables`: [`coalesce_tables`] keeping nulls; returns `dst`.
fn merge_tables(w: &mut Vec<String>, dst: &Map, src: &Map) {
    coalesce_tables(w, dst, src, "", true);
}

/// `cleanNilValues`: nulls removed from a map, recursively, in place.
fn clean_nil_values(m: &Map) {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
        for (key, val) in m.entries() {
            if val.is_nil() {
                m.borrow_mut().remove(&key);
            } else if let Some(sub) = table(&val) {
                clean_nil_values(&sub);
            }
        }
    });
}

// ---------------------------------------------------------------------------
// common.Values lookups.

/// Why a path lookup failed.
enum Lookup {
    /// `ErrNoTable`: `"KEY" is not a table`.
    NoTable(String),
    /// `ErrNoValue`: `"KEY" is not a value`.
    NoValue,
}

/// `tableLookup`: a map (plain or `common.Values`) at `key`.
fn table_lookup(v: &Map, key: &str) -> Result<Map, Lookup> {
    match v.get(key) {
        Some(Value::Map(m)) if m.elem == Elem::Any => Ok(m),
        _ => Err(Lookup::NoTable(key.to_string())),
    }
}

/// `Values.Table`: the table at a dotted path.
fn values_table(v: &Map, name: &str) -> Result<Map, Lookup> {
    let mut table = v.clone();
    for n in name.split('.') {
        table = table_lookup(&table, n)?;
    }
    Ok(table)
}

fn no_table_text(e: &Lookup) -> String {
    match e {
        Lookup::NoTable(k) => format!("{} is not a table", gofmt::quote(k)),
        Lookup::NoValue => String::new(),
    }
}

/// `Values.PathValue`: the non-table value at a dotted path.
fn path_value(v: &Map, path: &str) -> Result<Value, Lookup> {
    let parts: Vec<&str> = path.split('.').collect();
    let (key, rest) = match parts.split_last() {
        Some(x) => x,
        None => return Err(Lookup::NoValue),
    };
    let t = if rest.is_empty() {
        v.clone()
    } else {
        values_table(v, &rest.join(".")).map_err(|_| Lookup::NoValue)?
    };
    match t.get(key) {
        Some(k) if table(&k).is_none() => Ok(k),
        _ => Err(Lookup::NoValue),
    }
}

// ---------------------------------------------------------------------------
// dependencies.go

/// The chart tree as loaded: names from `Chart.yaml`, default values, all
/// of `charts/`.
fn raw_scope(chart: &Chart) -> Result<Scope<'_>, ValuesError> {
    let values = chart.default_values().map_err(ValuesError::ChartValues)?;
    let dependencies = chart
        .dependencies
        .iter()
        .map(raw_scope)
        .collect::<Result<_, _>>()?;
    Ok(Scope {
        chart,
        metadata: chart.metadata.clone(),
        values,
        dependencies,
    })
}

/// A copy of a chart as Go's struct copy makes it (`out := *c`): the
/// metadata copied, the values map shared, the dependencies copied.
fn copy_scope<'a>(s: &Scope<'a>) -> Scope<'a> {
    Scope {
        chart: s.chart,
        metadata: s.metadata.clone(),
        values: s.values.clone(),
        dependencies: s.dependencies.iter().map(copy_scope).collect(),
    }
}

/// `IsCompatibleRange`: whether `version` satisfies `constraint` (false
/// when either does not parse, e.g. an empty constraint).
fn is_compatible_range(constraint: &str, version: &str) -> bool {
    let Ok(v) = Version::parse(version) else {
        return false;
    };
    let Ok(c) = Constraints::parse(constraint) else {
        return false;
    };
    c.check(&v)
}

/// `getAliasDependency`: a copy of the first chart matching the
/// dependency's name and version, named by its alias.
fn get_alias_dependency<'a>(charts: &[Scope<'a>], dep: &super::Dependency) -> Option<Scope<'a>> {
    let c = charts
        .iter()
        .find(|c| c.name() == dep.name && is_compatible_range(&dep.version, &c.metadata.version))?;
    let mut out = copy_scope(c);
    if !dep.alias.is_empty() {
        out.metadata.name = dep.alias.clone();
    }
    Some(out)
}

/// `processDependencyEnabled`: aliases applied, disabled dependencies
/// removed, recursively (`path` is the chart's prefix in `v`).
fn process_enabled(
    c: &mut Scope,
    v: &Value,
    path: &str,
    w: &mut Vec<String>,
) -> Result<(), ValuesError> {
    // A nil `dependencies` in Go; an empty list is not told apart here.
    if c.metadata.dependencies.is_empty() {
        return Ok(());
    }
    let original = std::mem::take(&mut c.dependencies);
    let mut chart_deps: Vec<Scope> = Vec::new();
    for existing in &original {
        let listed = c.metadata.dependencies.iter().any(|req| {
            existing.name() == req.name
                && is_compatible_range(&req.version, &existing.metadata.version)
        });
        if !listed {
            chart_deps.push(copy_scope(existing));
        }
    }
    for req in &mut c.metadata.dependencies {
        if let Some(dep) = get_alias_dependency(&original, req) {
            chart_deps.push(dep);
        }
        if !req.alias.is_empty() {
            req.name = req.alias.clone();
        }
    }
    c.dependencies = chart_deps;
    for req in &mut c.metadata.dependencies {
        req.enabled = true;
    }
    let cvals = coalesce_top(w, c, v, false)?;
    process_tags(&mut c.metadata.dependencies, &cvals, w);
    process_conditions(&mut c.metadata.dependencies, &cvals, path, w);
    let rm: HashSet<String> = c
        .metadata
        .dependencies
        .iter()
        .filter(|r| !r.enabled)
        .map(|r| r.name.clone())
        .collect();
    c.dependencies.retain(|d| !rm.contains(d.name()));
    c.metadata.dependencies.retain(|r| !rm.contains(&r.name));
    let cvals = Value::Map(cvals);
    for t in &mut c.dependencies {
        let subpath = format!("{path}{}.", t.name());
        process_enabled(t, &cvals, &subpath, w)?;
    }
    Ok(())
}

/// `processDependencyTags`: a dependency is disabled when one of its tags
/// is false and none is true.
fn process_tags(reqs: &mut [super::Dependency], cvals: &Map, w: &mut Vec<String>) {
    let Ok(vt) = values_table(cvals, "tags") else {
        return;
    };
    for r in reqs {
        let (mut has_true, mut has_false) = (false, false);
        for k in &r.tags {
            match vt.get(k) {
                Some(Value::Bool(true)) => has_true = true,
                Some(Value::Bool(false)) => has_false = true,
                Some(_) => w.push(slog_warn(
                    "returned non-bool value",
                    &[("tag", k), ("chart", &r.name)],
                )),
                None => {}
            }
        }
        r.enabled = has_true || !has_false;
    }
}

/// `processDependencyConditions`: the first condition path that holds a
/// bool decides.
fn process_conditions(
    reqs: &mut [super::Dependency],
    cvals: &Map,
    cpath: &str,
    w: &mut Vec<String>,
) {
    for r in reqs {
        let condition = r.condition.trim().to_string();
        for c in condition.split(',') {
            if c.is_empty() {
                continue;
            }
            if let Ok(vv) = path_value(cvals, &format!("{cpath}{c}")) {
                if let Value::Bool(b) = vv {
                    r.enabled = b;
                    break;
                }
                w.push(slog_warn(
                    "returned non-bool value",
                    &[("path", c), ("chart", &r.name)],
                ));
            }
        }
    }
}

/// `processDependencyImportValues`: children first, then the chart.
fn process_import_values_tree(c: &mut Scope, w: &mut Vec<String>) -> Result<(), ValuesError> {
    for d in &mut c.dependencies {
        process_import_values_tree(d, w)?;
    }
    process_import_values(c, w)
}

/// `pathToMap`: `data` nested under a dotted path (`.` is the root).
fn path_to_map(path: &str, data: Map) -> Map {
    if path == "." {
        return data;
    }
    let mut cur = data;
    for p in path.split('.').rev() {
        let mut m = BTreeMap::new();
        m.insert(Str::from(p), Value::Map(cur));
        cur = Map::from_entries(Elem::Any, m);
    }
    cur
}

/// `Values.AsMap`: the table itself, or a new map when empty.
fn as_map(t: Map) -> Map {
    if t.is_empty() {
        Map::new()
    } else {
        t
    }
}

/// `processImportValues` (merge true): the chart's values become its
/// merged values (subcharts' sections included, nulls kept) with the
/// imported tables under them; each `import-values` entry is rewritten to
/// its `{child, parent}` form.
fn process_import_values(c: &mut Scope, w: &mut Vec<String>) -> Result<(), ValuesError> {
    if c.metadata.dependencies.is_empty() {
        return Ok(());
    }
    let cvals = coalesce_top(w, c, &Value::Nil, true)?;
    let b = Map::new();
    for r in &mut c.metadata.dependencies {
        let mut outiv = Vec::new();
        for riv in &r.import_values {
            match riv {
                ImportValue::Map { child, parent } => {
                    outiv.push(ImportValue::Map {
                        child: child.clone(),
                        parent: parent.clone(),
                    });
                    match values_table(&cvals, &format!("{}.{child}", r.name)) {
                        Ok(vv) => merge_tables(w, &b, &path_to_map(parent, as_map(vv))),
                        Err(e) => w.push(slog_warn(
                            "ImportValues missing table from chart",
                            &[("chart", &r.name), ("error", &no_table_text(&e))],
                        )),
                    }
                }
                ImportValue::Export(s) => {
                    let child = format!("exports.{s}");
                    match values_table(&cvals, &format!("{}.{child}", r.name)) {
                        Ok(vm) => merge_tables(w, &b, &as_map(vm)),
                        Err(e) => w.push(slog_warn(
                            "ImportValues missing table",
                            &[("error", &no_table_text(&e))],
                        )),
                    }
                    outiv.push(ImportValue::Map {
                        child,
                        parent: ".".into(),
                    });
                }
                ImportValue::Other => {}
            }
        }
        r.import_values = outiv;
    }
    // Imported values sit under the chart's own: `b` merged into a copy.
    let cvals = copy_values(&Value::Map(cvals));
    merge_tables(w, &cvals, &b);
    c.values = Value::Map(cvals);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::Metadata;
    use crate::template::json;

    /// A chart from its `Chart.yaml` and `values.yaml` texts.
    fn chart(chart_yaml: &str, values: &str, deps: Vec<Chart>) -> Chart {
        Chart {
            metadata: Metadata::parse(chart_yaml).expect("Chart.yaml"),
            values_yaml: Some(values.into()),
            schema: None,
            templates: Vec::new(),
            files: Vec::new(),
            dependencies: deps,
        }
    }

    /// A chart named `name` (version 0.1.0) with these values.
    fn named(name: &str, values: &str, deps: Vec<Chart>) -> Chart {
        chart(
            &format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\n"),
            values,
            deps,
        )
    }

    fn load_dir(dir: &std::path::Path) -> Chart {
        let read = |f: &str| std::fs::read_to_string(dir.join(f)).ok();
        let mut deps = Vec::new();
        if let Ok(rd) = std::fs::read_dir(dir.join("charts")) {
            let mut names: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
            names.sort();
            for p in names {
                if p.is_dir() {
                    deps.push(load_dir(&p));
                }
            }
        }
        let mut c = chart(&read("Chart.yaml").expect("Chart.yaml"), "", deps);
        c.values_yaml = read("values.yaml").map(|s| s.into());
        c
    }

    /// Every scope's `.Values` as the engine hands them to templates,
    /// by template path, as `toJson` prints them.
    fn dump(scope: &Scope, values: &Value, path: &str, out: &mut Vec<String>) {
        out.push(format!(
            "{path}/templates/zzvalues.yaml {}",
            json::marshal(values).unwrap()
        ));
        for d in &scope.dependencies {
            let sub = values
                .as_map()
                .and_then(|m| m.get(d.name()))
                .unwrap_or_else(Value::empty_map);
            dump(d, &sub, &format!("{path}/charts/{}", d.name()), out);
        }
    }

    /// `PLUMB_CHART=dir [PLUMB_F=a.yaml:b.yaml] [PLUMB_SETJSON=..]`: the
    /// values every template of the chart sees, for comparing with Helm.
    #[test]
    #[ignore]
    fn dump_chart_values() {
        let dir = std::env::var("PLUMB_CHART").unwrap();
        let c = load_dir(std::path::Path::new(&dir));
        let mut opts = ValueOptions::default();
        if let Ok(f) = std::env::var("PLUMB_F") {
            for name in f.split(':').filter(|s| !s.is_empty()) {
                opts.values_files
                    .push((name.into(), std::fs::read_to_string(name).unwrap()));
            }
        }
        if let Ok(j) = std::env::var("PLUMB_SETJSON") {
            opts.set_json = j.split('\u{1}').map(String::from).collect();
        }
        if let Ok(j) = std::env::var("PLUMB_SET") {
            opts.set = j.split('\u{1}').map(String::from).collect();
        }
        let user = match merge_user_values(&opts, &|p| {
            std::fs::read_to_string(p).map_err(|e| e.to_string())
        }) {
            Ok(u) => u,
            Err(e) => {
                println!("ERROR {e}");
                return;
            }
        };
        let mut w = Vec::new();
        let scope = match process_dependencies_with_warnings(&c, &user, &mut w) {
            Ok(s) => s,
            Err(e) => {
                println!("ERROR {e}");
                return;
            }
        };
        let vals = match coalesce_with_warnings(&scope, &user, &mut w) {
            Ok(v) => v,
            Err(e) => {
                println!("ERROR {e}");
                return;
            }
        };
        let mut out = Vec::new();
        dump(&scope, &vals, scope.name(), &mut out);
        out.sort();
        for l in out {
            println!("VALUES {l}");
        }
        for l in w {
            println!("WARN {l}");
        }
    }
}
