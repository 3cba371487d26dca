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
    // Nearly every values.yaml is one document without `\r`: the reader
    // would give it back whole, so it is not copied line by line.
    let one = !text.is_empty()
        && !text.contains('\r')
        && !text.starts_with("---")
        && memchr::memmem::find(text.as_bytes(), b"\n---").is_none();
    if one {
        let doc = if text.ends_with('\n') {
            std::borrow::Cow::Borrowed(text)
        } else {
            std::borrow::Cow::Owned(format!("{text}\n"))
        };
        let current =
            yaml::from_str_map(&doc).map_err(|e| format!("cannot unmarshal yaml document: {e}"))?;
        return Ok(merge_maps(&Value::empty_map(), &current));
    }
    load_split_values(text)
}

/// [`load_values`] document by document, as the YAML reader splits them.
fn load_split_values(text: &str) -> Result<Value, String> {
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
    process_import_values_tree(&mut root, true, warnings).map_err(wrap)?;
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
/// Helm v4 always merges (`merge` true: nulls kept); coalescing is the
/// older behaviour its tests still cover.
fn process_import_values_tree(
    c: &mut Scope,
    merge: bool,
    w: &mut Vec<String>,
) -> Result<(), ValuesError> {
    for d in &mut c.dependencies {
        process_import_values_tree(d, merge, w)?;
    }
    process_import_values(c, merge, w)
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

/// `processImportValues`: the chart's values become its merged values
/// (subcharts' sections included; nulls kept when merging) with the
/// imported tables under them; each `import-values` entry is rewritten to
/// its `{child, parent}` form.
fn process_import_values(
    c: &mut Scope,
    merge: bool,
    w: &mut Vec<String>,
) -> Result<(), ValuesError> {
    if c.metadata.dependencies.is_empty() {
        return Ok(());
    }
    let cvals = coalesce_top(w, c, &Value::Nil, merge)?;
    let tables = |w: &mut Vec<String>, dst: &Map, src: &Map| {
        coalesce_tables(w, dst, src, "", merge);
    };
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
                        Ok(vv) => tables(w, &b, &path_to_map(parent, as_map(vv))),
                        Err(e) => w.push(slog_warn(
                            "ImportValues missing table from chart",
                            &[("chart", &r.name), ("error", &no_table_text(&e))],
                        )),
                    }
                }
                ImportValue::Export(s) => {
                    let child = format!("exports.{s}");
                    match values_table(&cvals, &format!("{}.{child}", r.name)) {
                        Ok(vm) => tables(w, &b, &as_map(vm)),
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
    // Imported values sit under the chart's own: `b` merged into a copy
    // (without nulls when coalescing, as Helm trims them).
    let cvals = copy_values(&Value::Map(cvals));
    if !merge {
        // `trimNilValues`.
        clean_nil_values(&cvals);
    }
    tables(w, &cvals, &b);
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
            values_parsed: Default::default(),
            schema: None,
            templates: Vec::new(),
            files: Vec::new(),
            dependencies: deps,
            parsed: Default::default(),
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

    fn yaml(text: &str) -> Value {
        load_values(text).expect("YAML")
    }

    fn map(text: &str) -> Map {
        yaml(text).as_map().cloned().expect("a map")
    }

    fn js(v: &Value) -> String {
        json::marshal(v).expect("JSON")
    }

    #[test]
    fn one_document_values_read_as_the_split_reader_reads_them() {
        for text in [
            "a: 1\nb:\n  c: [x, y]\n",
            "a: 1",
            "a: 1\n\n\n",
            "# only a comment\n",
            "~\n",
            "a: |\n  text\n  ---not a separator\n",
            "a: [unclosed\n",
        ] {
            let fast = load_values(text).map(|v| js(&v));
            let split = load_split_values(text).map(|v| js(&v));
            assert_eq!(fast, split, "{text:?}");
        }
    }

    /// What `{{ .a.b.c }}` prints for `v` (`<no value>` when missing).
    fn tpl(v: &Value, path: &str) -> String {
        let mut cur = v.clone();
        for k in path.trim_start_matches('.').split('.') {
            cur = match cur.as_map().and_then(|m| m.get(k)) {
                Some(x) => x,
                None => return "<no value>".into(),
            };
        }
        if cur.is_nil() {
            "<no value>".into()
        } else {
            cur.to_go_string()
        }
    }

    fn has(v: &Value, path: &str) -> bool {
        let mut cur = v.clone();
        for k in path.split('.') {
            cur = match cur.as_map().and_then(|m| m.get(k)) {
                Some(x) => x,
                None => return false,
            };
        }
        true
    }

    /// A chart tree from `=== path` sections (`charts/NAME/...` are
    /// subcharts, in directory order).
    fn tree(spec: &str) -> Chart {
        let mut files: Vec<(String, String)> = Vec::new();
        for part in spec.split("=== ").filter(|p| !p.trim().is_empty()) {
            let (path, text) = part.split_once('\n').unwrap_or((part, ""));
            files.push((path.trim().to_string(), text.to_string()));
        }
        build(&files)
    }

    fn build(files: &[(String, String)]) -> Chart {
        let get = |n: &str| files.iter().find(|(p, _)| p == n).map(|(_, t)| t.clone());
        let mut subs: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for (p, t) in files {
            if let Some(rest) = p.strip_prefix("charts/") {
                if let Some((dir, inner)) = rest.split_once('/') {
                    subs.entry(dir.to_string())
                        .or_default()
                        .push((inner.to_string(), t.clone()));
                }
            }
        }
        let deps = subs.values().map(|f| build(f)).collect();
        let mut c = chart(&get("Chart.yaml").expect("Chart.yaml"), "", deps);
        c.values_yaml = get("values.yaml").map(|s| s.into());
        c
    }

    /// The chart as CoalesceValues sees an unprocessed chart.
    fn scope(c: &Chart) -> Scope<'_> {
        raw_scope(c).expect("values")
    }

    /// `CoalesceValues(c, vals)` on the chart as loaded.
    fn coalesce_raw(c: &Chart, vals: &Value) -> (Value, Vec<String>) {
        let mut w = Vec::new();
        let v = coalesce_with_warnings(&scope(c), vals, &mut w).expect("coalesce");
        (v, w)
    }

    /// `ProcessDependencies` then `CoalesceValues`, as a render does.
    fn render_values(c: &Chart, user: &Value) -> Value {
        let s = process_dependencies(c, user).expect("dependencies");
        coalesce(&s, user).expect("coalesce")
    }

    const COALESCE_VALUES_YAML: &str = "
top: yup
bottom: null
right: Null
left: NULL
front: ~
back: \"\"
nested:
  boat: null

global:
  name: Ishmael
  subject: Queequeg
  nested:
    boat: true

pequod:
  boat: null
  global:
    name: Stinky
    harpooner: Tashtego
    nested:
      boat: false
      sail: true
      foo2: null
  ahab:
    scope: whale
    boat: null
    nested:
      foo: true
      boat: null
    object: null
";

    /// The charts of Helm's TestCoalesceValues: moby with pequod (with
    /// ahab) and spouter.
    fn moby(merge_variant: bool) -> Chart {
        let ahab = if merge_variant {
            named(
                "ahab",
                "global:\n  nested: {foo: bar}\n  nested2: {l2: ahab}\nscope: ahab\nname: ahab\nboat: true\nnested: {foo: false, bar: true}\n",
                vec![],
            )
        } else {
            named(
                "ahab",
                "global:\n  nested: {foo: bar, foo2: bar2}\n  nested2: {l2: ahab}\nscope: ahab\nname: ahab\nboat: true\nnested: {foo: false, boat: true}\nobject: {foo: bar}\n",
                vec![],
            )
        };
        let pequod_values = if merge_variant {
            "name: pequod\nscope: pequod\nglobal:\n  nested2: {l1: pequod}\n"
        } else {
            "name: pequod\nscope: pequod\nglobal:\n  nested2: {l1: pequod}\nboat: false\nahab:\n  boat: false\n  nested: {boat: false}\n"
        };
        let pequod = named("pequod", pequod_values, vec![ahab]);
        let spouter = named(
            "spouter",
            "scope: spouter\nglobal:\n  nested2: {l1: spouter}\n",
            vec![],
        );
        let mut moby_values = String::from(
            "back: exists\nbottom: exists\nfront: exists\nleft: exists\nname: moby\nnested: {boat: true}\noverride: bad\nright: exists\nscope: moby\ntop: nope\nglobal:\n  nested2: {l0: moby}\n",
        );
        if !merge_variant {
            moby_values.push_str(
                "pequod:\n  boat: maybe\n  ahab:\n    boat: maybe\n    nested: {boat: maybe}\n",
            );
        }
        named("moby", &moby_values, vec![pequod, spouter])
    }

    const MOBY_EXPECT: &[(&str, &str)] = &[
        ("top", "yup"),
        ("back", ""),
        ("name", "moby"),
        ("global.name", "Ishmael"),
        ("global.subject", "Queequeg"),
        ("global.harpooner", "<no value>"),
        ("pequod.name", "pequod"),
        ("pequod.ahab.name", "ahab"),
        ("pequod.ahab.scope", "whale"),
        ("pequod.ahab.nested.foo", "true"),
        ("pequod.ahab.global.name", "Ishmael"),
        ("pequod.ahab.global.nested.foo", "bar"),
        ("pequod.ahab.global.subject", "Queequeg"),
        ("pequod.ahab.global.harpooner", "Tashtego"),
        ("pequod.global.name", "Ishmael"),
        ("pequod.global.nested.foo", "<no value>"),
        ("pequod.global.subject", "Queequeg"),
        ("spouter.global.name", "Ishmael"),
        ("spouter.global.harpooner", "<no value>"),
        ("global.nested.boat", "true"),
        ("pequod.global.nested.boat", "true"),
        ("spouter.global.nested.boat", "true"),
        ("pequod.global.nested.sail", "true"),
        ("spouter.global.nested.sail", "<no value>"),
        ("global.nested2.l0", "moby"),
        ("global.nested2.l1", "<no value>"),
        ("global.nested2.l2", "<no value>"),
        ("pequod.global.nested2.l0", "moby"),
        ("pequod.global.nested2.l1", "pequod"),
        ("pequod.global.nested2.l2", "<no value>"),
        ("pequod.ahab.global.nested2.l0", "moby"),
        ("pequod.ahab.global.nested2.l1", "pequod"),
        ("pequod.ahab.global.nested2.l2", "ahab"),
        ("spouter.global.nested2.l0", "moby"),
        ("spouter.global.nested2.l1", "spouter"),
        ("spouter.global.nested2.l2", "<no value>"),
    ];

    #[test]
    fn coalesce_values_moby() {
        let c = moby(false);
        let vals = yaml(COALESCE_VALUES_YAML);
        let before = js(&vals);
        let (v, _) = coalesce_raw(&c, &vals);
        for (path, want) in MOBY_EXPECT {
            assert_eq!(tpl(&v, path), *want, "{path}");
        }
        assert_eq!(tpl(&v, "pequod.ahab.global.nested.foo2"), "<no value>");
        for k in ["bottom", "right", "left", "front"] {
            assert!(!has(&v, k), "{k} should be removed");
        }
        assert!(!has(&v, "nested.boat"));
        assert!(!has(&v, "pequod.boat"));
        assert!(!has(&v, "pequod.ahab.boat"));
        assert!(!has(&v, "pequod.ahab.nested.boat"));
        assert!(!has(&v, "pequod.ahab.object"));
        // CoalesceValues does not mutate its argument.
        assert_eq!(js(&vals), before);
        assert_eq!(v.type_name(), "common.Values");
    }

    #[test]
    fn merge_values_keeps_nulls() {
        let c = moby(true);
        let vals = yaml(COALESCE_VALUES_YAML);
        let before = js(&vals);
        let mut w = Vec::new();
        let v = Value::Map(coalesce_top(&mut w, &scope(&c), &vals, true).unwrap());
        for (path, want) in MOBY_EXPECT {
            assert_eq!(tpl(&v, path), *want, "{path}");
        }
        for k in ["bottom", "right", "left", "front"] {
            assert!(has(&v, k), "{k} should stay");
            assert!(v.as_map().unwrap().get(k).unwrap().is_nil());
        }
        assert!(has(&v, "nested.boat"));
        assert!(has(&v, "pequod.ahab.boat"));
        assert!(has(&v, "pequod.ahab.nested.bar"));
        assert_eq!(js(&vals), before);
    }

    const TABLES_DST: &str = "name: Ishmael\naddress:\n  street: 123 Spouter Inn Ct.\n  city: Nantucket\n  country: null\ndetails:\n  friends: [Tashtego]\nboat: pequod\nhole: null\n";
    const TABLES_SRC: &str = "occupation: whaler\naddress:\n  state: MA\n  street: 234 Spouter Inn Ct.\n  country: US\ndetails: empty\nboat:\n  mast: true\nhole: black\n";

    #[test]
    fn coalesce_tables_dst_wins_nulls_delete() {
        let (dst, src) = (map(TABLES_DST), map(TABLES_SRC));
        let mut w = Vec::new();
        coalesce_tables(&mut w, &dst, &src, "", false);
        let v = Value::Map(dst);
        assert_eq!(tpl(&v, "name"), "Ishmael");
        assert_eq!(tpl(&v, "occupation"), "whaler");
        assert_eq!(tpl(&v, "address.street"), "123 Spouter Inn Ct.");
        assert_eq!(tpl(&v, "address.city"), "Nantucket");
        assert_eq!(tpl(&v, "address.state"), "MA");
        assert!(!has(&v, "address.country"), "the country is not left out");
        assert!(has(&v, "details.friends"));
        assert_eq!(tpl(&v, "boat"), "pequod");
        assert!(!has(&v, "hole"), "the hole still exists");

        // Nothing to merge from: everything stays.
        let dst2 = map("name: Ishmael\naddress: {street: 123 Spouter Inn Ct., city: Nantucket, country: US}\ndetails: {friends: [Tashtego]}\nboat: pequod\nhole: black\n");
        coalesce_tables(&mut w, &dst2, &Map::new(), "", false);
        let v = Value::Map(dst2);
        assert_eq!(tpl(&v, "address.country"), "US");
        assert_eq!(tpl(&v, "hole"), "black");
        assert!(has(&v, "details.friends"));
    }

    #[test]
    fn merge_tables_keeps_nulls() {
        let (dst, src) = (map(TABLES_DST), map(TABLES_SRC));
        let mut w = Vec::new();
        coalesce_tables(&mut w, &dst, &src, "", true);
        let v = Value::Map(dst);
        assert_eq!(tpl(&v, "occupation"), "whaler");
        assert_eq!(tpl(&v, "address.state"), "MA");
        assert_eq!(tpl(&v, "address.street"), "123 Spouter Inn Ct.");
        assert!(has(&v, "address.country"), "the country is left out");
        assert!(has(&v, "details.friends"));
        assert_eq!(tpl(&v, "boat"), "pequod");
        assert!(has(&v, "hole"), "the hole no longer exists");

        let dst2 = map("name: Ishmael\nboat: pequod\nhole: black\nnilval: null\n");
        coalesce_tables(&mut w, &dst2, &Map::new(), "", true);
        let v = Value::Map(dst2);
        assert_eq!(tpl(&v, "hole"), "black");
        assert!(has(&v, "nilval"));
    }

    #[test]
    fn coalesce_warnings_name_full_keys() {
        let level3 = named(
            "level3",
            "name: ahab\nboat: true\nspear:\n  tip: true\n  sail:\n    cotton: true\n",
            vec![],
        );
        let level2 = named("level2", "name: pequod\n", vec![level3]);
        let level1 = named("level1", "name: moby\n", vec![level2]);
        let vals = yaml("level2:\n  level3:\n    boat: {mast: true}\n    spear:\n      tip: {sharp: true}\n      sail: true\n");
        let (_, w) = coalesce_raw(&level1, &vals);
        for want in [
            "warning: skipped value for level1.level2.level3.boat: Not a table.",
            "warning: destination for level1.level2.level3.spear.tip is a table. Ignoring non-table value (true)",
            "warning: cannot overwrite table with non table for level1.level2.level3.spear.sail (map[cotton:true])",
        ] {
            assert!(w.iter().any(|x| x == want), "{want} in {w:?}");
        }
    }

    #[test]
    fn concat_prefix_joins_with_dots() {
        assert_eq!(concat_prefix("", "b"), "b");
        assert_eq!(concat_prefix("a", "b"), "a.b");
    }

    #[test]
    fn user_nulls_for_keys_not_in_defaults_stay() {
        // Helm issue #31643.
        let c = named("test", "data: {}\n", vec![]);
        let (v, _) = coalesce_raw(&c, &yaml("data:\n  foo: bar\n  baz: ~\n"));
        assert_eq!(tpl(&v, "data.foo"), "bar");
        assert!(has(&v, "data.baz"));
        assert_eq!(js(&v), r#"{"data":{"baz":null,"foo":"bar"}}"#);
    }

    #[test]
    fn subchart_default_nulls_are_cleaned() {
        // Helm issue #31919.
        let child = named("child", "keyMapping:\n  password: null\n", vec![]);
        let parent = named("parent", "", vec![child]);
        let (v, _) = coalesce_raw(&parent, &Value::empty_map());
        assert!(has(&v, "child.keyMapping"));
        assert!(!has(&v, "child.keyMapping.password"));
    }

    #[test]
    fn user_null_erases_subchart_default() {
        let child = named("child", "someKey: default\n", vec![]);
        let parent = named("parent", "", vec![child]);
        let (v, _) = coalesce_raw(&parent, &yaml("child:\n  someKey: null\n"));
        assert!(has(&v, "child"));
        assert!(!has(&v, "child.someKey"));
    }

    #[test]
    fn subchart_nil_does_not_shadow_global() {
        // Helm issue #31971.
        let child = named("child", "ingress:\n  feature: null\n", vec![]);
        let parent = named("parent", "", vec![child]);
        let (v, _) = coalesce_raw(&parent, &yaml("global:\n  ingress:\n    feature: true\n"));
        assert!(has(&v, "child.ingress"));
        assert!(!has(&v, "child.ingress.feature"));
        assert_eq!(tpl(&v, "child.global.ingress.feature"), "true");
    }

    #[test]
    fn subchart_nil_cleaned_when_user_partially_overrides() {
        let child = named(
            "child",
            "keyMapping:\n  password: null\n  format: bcrypt\n",
            vec![],
        );
        let parent = named("parent", "", vec![child]);
        let (v, _) = coalesce_raw(
            &parent,
            &yaml("child:\n  keyMapping:\n    format: sha256\n"),
        );
        assert_eq!(tpl(&v, "child.keyMapping.format"), "sha256");
        assert!(!has(&v, "child.keyMapping.password"));
    }

    /// Helm's `pkg/chart/v2/util/testdata/subpop` (Chart.yaml and
    /// values.yaml files, comments left out).
    const SUBPOP: &str = r#"=== Chart.yaml
apiVersion: v1
name: parentchart
version: 0.1.0
dependencies:
  - name: subchart1
    version: 0.1.0
    condition: subchart1.enabled
    tags:
      - front-end
      - subchart1
    import-values:
      - child: SC1data
        parent: imported-chart1
      - child: SC1data
        parent: overridden-chart1
      - child: imported-chartA
        parent: imported-chartA
      - child: imported-chartA-B
        parent: imported-chartA-B
      - child: overridden-chartA-B
        parent: overridden-chartA-B
      - child: SCBexported1A
        parent: .
      - SCBexported2
      - SC1exported1
  - name: subchart2
    version: 0.1.0
    condition: subchart2.enabled
    tags:
      - back-end
      - subchart2
  - name: subchart2
    alias: subchart2alias
    version: 0.1.0
    condition: subchart2alias.enabled
=== charts/subchart1/Chart.yaml
apiVersion: v1
name: subchart1
version: 0.1.0
dependencies:
  - name: subcharta
    version: 0.1.0
    condition: subcharta.enabled
    tags:
      - front-end
      - subcharta
    import-values:
      - child: SCAdata
        parent: imported-chartA
      - child: SCAdata
        parent: overridden-chartA
      - child: SCAdata
        parent: imported-chartA-B
  - name: subchartb
    version: 0.1.0
    condition: subchartb.enabled
    import-values:
      - child: SCBdata
        parent: imported-chartB
      - child: SCBdata
        parent: imported-chartA-B
      - child: exports.SCBexported2
        parent: exports.SCBexported2
      - SCBexported1
    tags:
      - front-end
      - subchartb
=== charts/subchart1/charts/subchartA/Chart.yaml
apiVersion: v1
name: subcharta
version: 0.1.0
=== charts/subchart1/charts/subchartA/values.yaml
service:
  name: apache
  type: ClusterIP
  externalPort: 80
  internalPort: 80
SCAdata:
  SCAbool: false
  SCAfloat: 3.1
  SCAint: 55
  SCAstring: "jabba"
  SCAnested1:
    SCAnested2: true
=== charts/subchart1/charts/subchartB/Chart.yaml
apiVersion: v1
name: subchartb
version: 0.1.0
=== charts/subchart1/charts/subchartB/values.yaml
service:
  name: nginx
  type: ClusterIP
  externalPort: 80
  internalPort: 80
SCBdata:
  SCBbool: true
  SCBfloat: 7.77
  SCBint: 33
  SCBstring: "boba"
exports:
  SCBexported1:
    SCBexported1A:
      SCBexported1B: 1965
  SCBexported2:
    SCBexported2A: "blaster"
global:
  kolla:
    nova:
      api:
        all:
          port: 8774
      metadata:
        all:
          port: 8775
=== charts/subchart1/values.yaml
service:
  name: nginx
  type: ClusterIP
  externalPort: 80
  internalPort: 80
SC1data:
  SC1bool: true
  SC1float: 3.14
  SC1int: 100
  SC1string: "dollywood"
  SC1extra1: 11
imported-chartA:
  SC1extra2: 1.337
overridden-chartA:
  SCAbool: true
  SCAfloat: 3.14
  SCAint: 100
  SCAstring: "jabbathehut"
  SC1extra3: true
imported-chartA-B:
  SC1extra5: "tiller"
overridden-chartA-B:
  SCAbool: true
  SCAfloat: 3.33
  SCAint: 555
  SCAstring: "wormwood"
  SCAextra1: 23
  SCBbool: true
  SCBfloat: 0.25
  SCBint: 98
  SCBstring: "murkwood"
  SCBextra1: 13
  SC1extra6: 77
SCBexported1A:
  SC1extra7: true
exports:
  SC1exported1:
    global:
      SC1exported2:
        all:
          SC1exported3: "SC1expstr"
=== charts/subchart2/Chart.yaml
apiVersion: v1
name: subchart2
version: 0.1.0
dependencies:
  - name: subchartb
    version: 0.1.0
    condition: subchartb.enabled
    tags:
      - back-end
      - subchartb
  - name: subchartc
    version: 0.1.0
    condition: subchartc.enabled
    tags:
      - back-end
      - subchartc
=== charts/subchart2/charts/subchartB/Chart.yaml
apiVersion: v1
name: subchartb
version: 0.1.0
=== charts/subchart2/charts/subchartB/values.yaml
replicaCount: 1
image:
  tag: stable
  pullPolicy: IfNotPresent
service:
  name: nginx
  type: ClusterIP
  externalPort: 80
  internalPort: 80
resources:
  limits:
    cpu: 100m
    memory: 128Mi
  requests:
    cpu: 100m
    memory: 128Mi
=== charts/subchart2/charts/subchartC/Chart.yaml
apiVersion: v1
name: subchartc
version: 0.1.0
=== charts/subchart2/charts/subchartC/values.yaml
replicaCount: 1
image:
  tag: stable
  pullPolicy: IfNotPresent
service:
  name: nginx
  type: ClusterIP
  externalPort: 80
  internalPort: 80
resources:
  limits:
    cpu: 100m
    memory: 128Mi
  requests:
    cpu: 100m
    memory: 128Mi
=== charts/subchart2/values.yaml
replicaCount: 1
image:
  tag: stable
  pullPolicy: IfNotPresent
service:
  name: nginx
  type: ClusterIP
  externalPort: 80
  internalPort: 80
resources:
  limits:
    cpu: 100m
    memory: 128Mi
  requests:
    cpu: 100m
    memory: 128Mi
=== values.yaml
imported-chart1:
  SPextra1: "helm rocks"
overridden-chart1:
  SC1bool: false
  SC1float: 3.141592
  SC1int: 99
  SC1string: "pollywog"
  SPextra2: 42
imported-chartA:
  SPextra3: 1.337
overridden-chartA:
  SCAbool: true
  SCAfloat: 41.3
  SCAint: 808
  SCAstring: "jabberwocky"
  SPextra4: true
imported-chartA-B:
  SPextra5: "k8s"
overridden-chartA-B:
  SCAbool: true
  SCAfloat: 41.3
  SCAint: 808
  SCAstring: "jabberwocky"
  SCBbool: false
  SCBfloat: 1.99
  SCBint: 77
  SCBstring: "jango"
  SPextra6: 111
tags:
  front-end: true
  back-end: false
subchart2alias:
  enabled: false
ensurenull: null
"#;

    /// Helm's testdata `chart-with-import-from-aliased-dependencies`.
    const ALIAS_IMPORT: &str = r#"=== Chart.yaml
apiVersion: v2
appVersion: 1.0.0
name: chart-with-dependency-aliased-twice
type: application
version: 1.0.0
dependencies:
  - name: child
    alias: foo
    version: 1.0.0
    import-values:
      - parent: foo-defaults
        child: defaults
  - name: child
    alias: bar
    version: 1.0.0
    import-values:
      - parent: bar-defaults
        child: defaults
=== charts/child/Chart.yaml
apiVersion: v2
appVersion: 1.0.0
name: child
type: application
version: 1.0.0
dependencies:
  - name: grandchild
    version: 1.0.0
    import-values:
      - parent: defaults
        child: defaults
=== charts/child/charts/grandchild/Chart.yaml
apiVersion: v2
appVersion: 1.0.0
name: grandchild
type: application
version: 1.0.0
=== charts/child/charts/grandchild/values.yaml
defaults:
  defaultValue: "42"
"#;

    /// Helm's testdata `three-level-dependent-chart/umbrella`.
    fn three_level() -> Chart {
        let library = || {
            chart(
                "apiVersion: v2\nname: library\ntype: library\nversion: 0.1.0\n",
                "exports:\n  defaults:\n    service:\n      type: ClusterIP\n      port: 9090\n",
                vec![],
            )
        };
        let app = |name: &str, imports: bool, values: &str| {
            let iv = if imports {
                "  import-values:\n    - defaults\n"
            } else {
                ""
            };
            chart(
                &format!("apiVersion: v2\nname: {name}\ntype: application\nversion: 0.1.0\ndependencies:\n- name: library\n  version: 0.1.0\n{iv}"),
                values,
                vec![library()],
            )
        };
        chart(
            "apiVersion: v2\nname: umbrella\nversion: 0.1.0\ndependencies:\n- name: app1\n  version: 0.1.0\n  condition: app1.enabled\n- name: app2\n  version: 0.1.0\n  condition: app2.enabled\n- name: app3\n  version: 0.1.0\n  condition: app3.enabled\n- name: app4\n  version: 0.1.0\n  condition: app4.enabled\n",
            "app1:\n  enabled: true\n  service:\n    type: ClusterIP\n    port: 3456\napp2:\n  enabled: true\napp3:\n  enabled: true\napp4:\n  enabled: true\n",
            vec![
                app("app1", true, "service:\n  type: ClusterIP\n  port: 1234\n"),
                app("app2", true, "service:\n  type: ClusterIP\n  port: 8080\n"),
                app("app3", true, "service:\n  type: ClusterIP\n"),
                app("app4", false, "service:\n  type: ClusterIP\n  port: 1234\n"),
            ],
        )
    }

    /// Every chart's path of names (`ChartPath`), sorted.
    fn chart_names(s: &Scope) -> Vec<String> {
        fn walk(s: &Scope, prefix: &str, out: &mut Vec<String>) {
            let path = concat_prefix(prefix, s.name());
            for d in &s.dependencies {
                walk(d, &path, out);
            }
            out.push(path);
        }
        let mut out = Vec::new();
        walk(s, "", &mut out);
        out.sort();
        out
    }

    fn enabled<'a>(c: &'a Chart, user: &Value) -> Scope<'a> {
        let mut s = scope(c);
        process_enabled(&mut s, user, "", &mut Vec::new()).expect("enabled");
        s
    }

    /// `%v`-like text of a value at a path, numbers as Go's
    /// `FormatFloat(f, 'f', -1, 64)`.
    fn path_text(v: &Value, path: &str) -> Option<String> {
        let m = v.as_map()?;
        match path_value(m, path).ok()? {
            Value::Float(f) => Some(format!("{f}")),
            other => Some(other.to_go_string()),
        }
    }

    #[test]
    fn dependency_enabled_by_tags_and_conditions() {
        let c = tree(SUBPOP);
        let cases: &[(&str, &str, &[&str])] = &[
            ("tags with no effect", "tags: {nothinguseful: false}",
             &["parentchart", "parentchart.subchart1", "parentchart.subchart1.subcharta", "parentchart.subchart1.subchartb"]),
            ("tags disabling a group", "tags: {front-end: false}", &["parentchart"]),
            ("tags disabling a group and enabling a different group", "tags: {front-end: false, back-end: true}",
             &["parentchart", "parentchart.subchart2", "parentchart.subchart2.subchartb", "parentchart.subchart2.subchartc"]),
            ("tags disabling only children, children still enabled since tag front-end=true in values.yaml",
             "tags: {subcharta: false, subchartb: false}",
             &["parentchart", "parentchart.subchart1", "parentchart.subchart1.subcharta", "parentchart.subchart1.subchartb"]),
            ("tags disabling all parents/children with additional tag re-enabling a parent",
             "tags: {front-end: false, subchart1: true, back-end: false}", &["parentchart", "parentchart.subchart1"]),
            ("conditions enabling the parent charts, but back-end (b, c) is still disabled via values.yaml",
             "subchart1: {enabled: true}\nsubchart2: {enabled: true}",
             &["parentchart", "parentchart.subchart1", "parentchart.subchart1.subcharta", "parentchart.subchart1.subchartb", "parentchart.subchart2"]),
            ("conditions disabling the parent charts, effectively disabling children",
             "subchart1: {enabled: false}\nsubchart2: {enabled: false}", &["parentchart"]),
            ("conditions a child using the second condition path of child's condition",
             "subchart1: {subcharta: {enabled: false}}",
             &["parentchart", "parentchart.subchart1", "parentchart.subchart1.subchartb"]),
            ("tags enabling a parent/child group with condition disabling one child",
             "subchart2: {subchartc: {enabled: false}}\ntags: {back-end: true}",
             &["parentchart", "parentchart.subchart1", "parentchart.subchart1.subcharta", "parentchart.subchart1.subchartb", "parentchart.subchart2", "parentchart.subchart2.subchartb"]),
            ("tags will not enable a child if parent is explicitly disabled with condition",
             "subchart1: {enabled: false}\ntags: {front-end: true}", &["parentchart"]),
            ("subcharts with alias also respect conditions",
             "subchart1: {enabled: false}\nsubchart2alias: {enabled: true, subchartb: {enabled: true}}",
             &["parentchart", "parentchart.subchart2alias", "parentchart.subchart2alias.subchartb"]),
        ];
        for (name, user, want) in cases {
            let s = enabled(&c, &yaml(user));
            assert_eq!(chart_names(&s), *want, "{name}");
            // The metadata lists the enabled dependencies, named by alias.
            let listed: Vec<&str> = s
                .metadata
                .dependencies
                .iter()
                .map(|d| d.name.as_str())
                .collect();
            let kept: Vec<&str> = s.dependencies.iter().map(|d| d.name()).collect();
            assert_eq!(listed, kept, "{name}");
            assert!(s.metadata.dependencies.iter().all(|d| d.enabled), "{name}");
        }
    }

    #[test]
    fn import_values_coalesced_and_merged() {
        let c = tree(SUBPOP);
        let expect: &[(&str, &str)] = &[
            ("imported-chart1.SC1bool", "true"),
            ("imported-chart1.SC1float", "3.14"),
            ("imported-chart1.SC1int", "100"),
            ("imported-chart1.SC1string", "dollywood"),
            ("imported-chart1.SC1extra1", "11"),
            ("imported-chart1.SPextra1", "helm rocks"),
            ("imported-chartA.SCAbool", "false"),
            ("imported-chartA.SCAfloat", "3.1"),
            ("imported-chartA.SCAint", "55"),
            ("imported-chartA.SCAstring", "jabba"),
            ("imported-chartA.SPextra3", "1.337"),
            ("imported-chartA.SC1extra2", "1.337"),
            ("imported-chartA.SCAnested1.SCAnested2", "true"),
            ("imported-chartA-B.SCAbool", "false"),
            ("imported-chartA-B.SCAfloat", "3.1"),
            ("imported-chartA-B.SCAint", "55"),
            ("imported-chartA-B.SCAstring", "jabba"),
            ("imported-chartA-B.SCBbool", "true"),
            ("imported-chartA-B.SCBfloat", "7.77"),
            ("imported-chartA-B.SCBint", "33"),
            ("imported-chartA-B.SCBstring", "boba"),
            ("imported-chartA-B.SPextra5", "k8s"),
            ("imported-chartA-B.SC1extra5", "tiller"),
            // Parent values win over imported ones.
            ("overridden-chart1.SC1bool", "false"),
            ("overridden-chart1.SC1float", "3.141592"),
            ("overridden-chart1.SC1int", "99"),
            ("overridden-chart1.SC1string", "pollywog"),
            ("overridden-chart1.SPextra2", "42"),
            ("overridden-chartA.SCAbool", "true"),
            ("overridden-chartA.SCAfloat", "41.3"),
            ("overridden-chartA.SCAint", "808"),
            ("overridden-chartA.SCAstring", "jabberwocky"),
            ("overridden-chartA.SPextra4", "true"),
            ("overridden-chartA-B.SCAbool", "true"),
            ("overridden-chartA-B.SCAfloat", "41.3"),
            ("overridden-chartA-B.SCAint", "808"),
            ("overridden-chartA-B.SCAstring", "jabberwocky"),
            ("overridden-chartA-B.SCBbool", "false"),
            ("overridden-chartA-B.SCBfloat", "1.99"),
            ("overridden-chartA-B.SCBint", "77"),
            ("overridden-chartA-B.SCBstring", "jango"),
            ("overridden-chartA-B.SPextra6", "111"),
            ("overridden-chartA-B.SCAextra1", "23"),
            ("overridden-chartA-B.SCBextra1", "13"),
            ("overridden-chartA-B.SC1extra6", "77"),
            // The `exports` convention.
            ("SCBexported1B", "1965"),
            ("SC1extra7", "true"),
            ("SCBexported2A", "blaster"),
            ("global.SC1exported2.all.SC1exported3", "SC1expstr"),
        ];
        let mut s = scope(&c);
        process_import_values_tree(&mut s, false, &mut Vec::new()).unwrap();
        for (path, want) in expect {
            assert_eq!(path_text(&s.values, path).as_deref(), Some(*want), "{path}");
        }
        // Coalescing leaves no nulls.
        assert!(path_text(&s.values, "ensurenull").is_none());

        let mut s = scope(&c);
        process_import_values_tree(&mut s, true, &mut Vec::new()).unwrap();
        for (path, want) in expect {
            assert_eq!(path_text(&s.values, path).as_deref(), Some(*want), "{path}");
        }
        assert_eq!(path_text(&s.values, "ensurenull").as_deref(), Some("<nil>"));
        // Each entry is rewritten to its {child, parent} form.
        let iv = &s.metadata.dependencies[0].import_values;
        assert_eq!(iv.len(), 8);
        assert_eq!(
            iv[6],
            ImportValue::Map {
                child: "exports.SCBexported2".into(),
                parent: ".".into()
            }
        );
    }

    #[test]
    fn import_values_from_a_dependency_shared_by_aliases() {
        let c = tree(ALIAS_IMPORT);
        let defaults = c.default_values().unwrap();
        let mut s = enabled(&c, &defaults);
        process_import_values_tree(&mut s, true, &mut Vec::new()).unwrap();
        for path in [
            "foo-defaults.defaultValue",
            "bar-defaults.defaultValue",
            "foo.defaults.defaultValue",
            "bar.defaults.defaultValue",
            "foo.grandchild.defaults.defaultValue",
            "bar.grandchild.defaults.defaultValue",
        ] {
            assert_eq!(path_text(&s.values, path).as_deref(), Some("42"), "{path}");
        }
    }

    #[test]
    fn import_values_multi_level_precedence() {
        // User > parent > imported > subchart values.
        let c = three_level();
        let mut s = scope(&c);
        process_import_values_tree(&mut s, true, &mut Vec::new()).unwrap();
        for (path, want) in [
            ("app1.service.port", "3456"),
            ("app2.service.port", "8080"),
            ("app3.service.port", "9090"),
            ("app4.service.port", "1234"),
        ] {
            assert_eq!(path_text(&s.values, path).as_deref(), Some(want), "{path}");
        }
    }

    #[test]
    fn import_values_then_enabled_keeps_the_enabled_chart() {
        let env = |name: &str, min: u32, max: u32, cpu: u32| {
            chart(
                &format!("apiVersion: v2\nname: {name}\nversion: v0.1.0\nappVersion: v0.1.0\n"),
                &format!("nameOverride: parent-chart-{name}\nexports:\n  data:\n    resources:\n      autoscaler:\n        minReplicas: {min}\n        maxReplicas: {max}\n        targetCPUUtilizationPercentage: {cpu}\n"),
                vec![],
            )
        };
        let c = chart(
            "apiVersion: v2\nname: parent-chart\nversion: v0.1.0\nappVersion: v0.1.0\ndependencies:\n  - name: dev\n    version: \">= 0.0.1\"\n    condition: dev.enabled,global.dev.enabled\n    tags: [dev]\n    import-values: [data]\n  - name: prod\n    version: \">= 0.0.1\"\n    condition: prod.enabled,global.prod.enabled\n    tags: [prod]\n    import-values: [data]\n",
            "nameOverride: parent-chart\ntags:\n  dev: false\n  prod: true\nresources:\n  autoscaler:\n    minReplicas: 0\n    maxReplicas: 0\n    targetCPUUtilizationPercentage: 99\n",
            vec![env("dev", 1, 3, 80), env("prod", 2, 5, 90)],
        );
        let mut s = scope(&c);
        let mut w = Vec::new();
        process_import_values_tree(&mut s, true, &mut w).unwrap();
        assert_eq!(s.dependencies.len(), 2);
        let values = s.values.clone();
        process_enabled(&mut s, &values, "", &mut w).unwrap();
        assert_eq!(s.dependencies.len(), 1);
        assert_eq!(s.metadata.dependencies.len(), 1);
        assert_eq!(
            tpl(&s.dependencies[0].values, "nameOverride"),
            "parent-chart-prod"
        );
    }

    /// Helm's frobnitz-like charts: `alpine` 0.1.0 and `mariner` 4.3.2
    /// under a parent whose Chart.yaml lists `deps`.
    fn frobnitz(deps: &str) -> Chart {
        chart(
            &format!("apiVersion: v1\nname: frobnitz\nversion: 1.2.3\n{deps}"),
            "",
            vec![
                chart("name: alpine\nversion: 0.1.0\n", "", vec![]),
                chart("name: mariner\nversion: 4.3.2\n", "", vec![]),
            ],
        )
    }

    const FROBNITZ_DEPS: &str = "dependencies:\n  - name: alpine\n    version: \"0.1.0\"\n  - name: mariner\n    version: \"4.3.2\"\n";

    #[test]
    fn alias_dependency_is_a_renamed_copy() {
        let c = frobnitz(FROBNITZ_DEPS);
        let s = scope(&c);
        let mut req = c.metadata.dependencies[0].clone();
        let alias = get_alias_dependency(&s.dependencies, &req).expect("found");
        assert_eq!(alias.name(), "alpine");
        assert!(is_compatible_range(&req.version, &alias.metadata.version));
        req.alias = "other".into();
        assert_eq!(
            get_alias_dependency(&s.dependencies, &req).unwrap().name(),
            "other"
        );
        req.name = "something-else".into();
        assert!(get_alias_dependency(&s.dependencies, &req).is_none());
        req.version = "something else which is not in the compatible range".into();
        assert!(!is_compatible_range(&req.version, &alias.metadata.version));
        // An empty constraint matches nothing: such a chart stays as found.
        assert!(!is_compatible_range("", "0.1.0"));
    }

    #[test]
    fn dependent_chart_aliases_add_charts() {
        let c = frobnitz("dependencies:\n  - name: alpine\n    version: \"0.1.0\"\n  - name: mariner\n    version: \"4.3.2\"\n    alias: mariners2\n  - name: mariner\n    version: \"4.3.2\"\n    alias: mariners1\n");
        let defaults = c.default_values().unwrap();
        let s = enabled(&c, &defaults);
        let names: Vec<&str> = s.dependencies.iter().map(|d| d.name()).collect();
        assert_eq!(names, ["alpine", "mariners2", "mariners1"]);
        assert_eq!(s.dependencies.len(), s.metadata.dependencies.len());
    }

    #[test]
    fn subcharts_absent_from_chart_yaml_are_kept() {
        let c = frobnitz("");
        let s = enabled(&c, &Value::empty_map());
        assert_eq!(s.dependencies.len(), 2);

        let c = frobnitz(FROBNITZ_DEPS);
        let s = enabled(&c, &Value::empty_map());
        assert_eq!(s.dependencies.len(), 2);
        assert_eq!(s.metadata.dependencies.len(), 2);

        let c = frobnitz("dependencies:\n  - name: alpine\n    version: \"0.1.0\"\n");
        let s = enabled(&c, &Value::empty_map());
        assert_eq!(s.dependencies.len(), 2);
        assert_eq!(s.metadata.dependencies.len(), 1);
    }

    #[test]
    fn chart_aliased_twice_with_its_subchart() {
        let grandchild = chart(
            "apiVersion: v2\nname: grandchild\nversion: 1.0.0\n",
            "",
            vec![],
        );
        let child = chart(
            "apiVersion: v2\nname: child\nversion: 1.0.0\n",
            "",
            vec![grandchild],
        );
        let c = chart(
            "apiVersion: v2\nname: twice\nversion: 1.0.0\ndependencies:\n  - name: child\n    alias: foo\n    version: 1.0.0\n  - name: child\n    alias: bar\n    version: 1.0.0\n",
            "foo:\n  grandchild:\n    from: foo\nbar:\n  grandchild:\n    from: bar\n",
            vec![child],
        );
        assert_eq!(c.dependencies.len(), 1);
        let v = render_values(&c, &Value::empty_map());
        assert_eq!(tpl(&v, "foo.grandchild.from"), "foo");
        assert_eq!(tpl(&v, "bar.grandchild.from"), "bar");
        let s = process_dependencies(&c, &Value::empty_map()).unwrap();
        assert_eq!(
            chart_names(&s),
            [
                "twice",
                "twice.bar",
                "twice.bar.grandchild",
                "twice.foo",
                "twice.foo.grandchild"
            ]
        );
    }

    /// Charts rendered by real Helm v4.3.0 (the conformance oracle), each
    /// template printing `toJson .Values`: the values every chart sees.
    const ORACLE_CASES: &[(&str, &str, &str, &str)] = &[
        (
            "globals two levels deep: the parent's nested global maps are shared with the subcharts' copies and collect their keys",
            r#"=== Chart.yaml
apiVersion: v2
name: a
version: 0.1.0
dependencies:
- name: s1
  version: 0.1.0
- name: s2
  version: 0.1.0
=== values.yaml
global:
  a:
    b:
      x: 1
  top: t
=== charts/s1/Chart.yaml
apiVersion: v2
name: s1
version: 0.1.0
=== charts/s1/values.yaml
global:
  a:
    b:
      yy: 2
    c: 3
  top: s1
=== charts/s2/Chart.yaml
apiVersion: v2
name: s2
version: 0.1.0
=== charts/s2/values.yaml
global:
  a:
    b:
      z: 3
"#,
            r#""#,
            r#"a/charts/s1/templates/zzvalues.yaml {"global":{"a":{"b":{"x":1,"yy":2,"z":3},"c":3},"top":"t"}}
a/charts/s2/templates/zzvalues.yaml {"global":{"a":{"b":{"x":1,"yy":2,"z":3}},"top":"t"}}
a/templates/zzvalues.yaml {"global":{"a":{"b":{"x":1,"yy":2,"z":3}},"top":"t"},"s1":{"global":{"a":{"b":{"x":1,"yy":2,"z":3},"c":3},"top":"t"}},"s2":{"global":{"a":{"b":{"x":1,"yy":2,"z":3}},"top":"t"}}}
"#,
        ),
        (
            "nulls: user nulls delete defaults (also in subchart sections), default nulls are cleaned, a subchart's section keeps the parent's nulls for keys it lacks",
            r#"=== Chart.yaml
apiVersion: v2
name: b
version: 0.1.0
dependencies:
- name: s1
  version: 0.1.0
=== values.yaml
keep: 1
drop: 2
nul: null
nested:
  n: null
  k: 1
s1:
  fromParent: p
  pnull: null
  sdef: null
=== charts/s1/Chart.yaml
apiVersion: v2
name: s1
version: 0.1.0
=== charts/s1/values.yaml
sdef: s
snull: null
map:
  a: null
  b: 1
other: o
"#,
            r#"drop: null
newnull: null
nested:
  k: null
  newn: null
s1:
  sdef: null
  other: null
  map:
    b: null
"#,
            r#"b/charts/s1/templates/zzvalues.yaml {"fromParent":"p","global":{},"map":{"a":null},"pnull":null}
b/templates/zzvalues.yaml {"keep":1,"nested":{"newn":null},"newnull":null,"s1":{"fromParent":"p","global":{},"map":{"a":null},"pnull":null}}
"#,
        ),
        (
            "aliases (twice, with conditions), a dependency without version or with a version no chart has stays under its chart name, extras keep their disabled dependencies' defaults out",
            r#"=== Chart.yaml
apiVersion: v2
name: c
version: 0.1.0
dependencies:
- name: s1
  alias: first
  version: 0.1.0
  condition: first.isOn
- name: s1
  alias: second
  version: '>=0.1.0'
- name: nover
  alias: nv
- name: badver
  version: 9.9.9
=== values.yaml
first:
  isOn: true
second:
  x: 2
=== charts/s1/Chart.yaml
apiVersion: v2
name: s1
version: 0.1.0
dependencies:
- name: g
  version: 0.1.0
  condition: g.enabled
=== charts/s1/values.yaml
s1v: 1
g:
  enabled: true
=== charts/s1/charts/g/Chart.yaml
apiVersion: v2
name: g
version: 0.1.0
=== charts/s1/charts/g/values.yaml
gv: 1
=== charts/nover/Chart.yaml
apiVersion: v2
name: nover
version: 0.1.0
=== charts/nover/values.yaml
nov: 1
=== charts/badver/Chart.yaml
apiVersion: v2
name: badver
version: 0.1.0
=== charts/badver/values.yaml
bv: 1
=== charts/extra/Chart.yaml
apiVersion: v2
name: extra
version: 0.1.0
dependencies:
- name: eg
  version: 0.1.0
  alias: egalias
  condition: egalias.enabled
=== charts/extra/values.yaml
ev: 1
egalias:
  enabled: false
=== charts/extra/charts/eg/Chart.yaml
apiVersion: v2
name: eg
version: 0.1.0
=== charts/extra/charts/eg/values.yaml
egv: 1
"#,
            r#""#,
            r#"c/charts/badver/templates/zzvalues.yaml {"bv":1,"global":{}}
c/charts/extra/templates/zzvalues.yaml {"egalias":{"enabled":false},"ev":1,"global":{}}
c/charts/first/charts/g/templates/zzvalues.yaml {"enabled":true,"global":{},"gv":1}
c/charts/first/templates/zzvalues.yaml {"g":{"enabled":true,"global":{},"gv":1},"global":{},"isOn":true,"s1v":1}
c/charts/nover/templates/zzvalues.yaml {"global":{},"nov":1}
c/charts/second/charts/g/templates/zzvalues.yaml {"enabled":true,"global":{},"gv":1}
c/charts/second/templates/zzvalues.yaml {"g":{"enabled":true,"global":{},"gv":1},"global":{},"s1v":1,"x":2}
c/templates/zzvalues.yaml {"badver":{"bv":1,"global":{}},"extra":{"egalias":{"enabled":false},"ev":1,"global":{}},"first":{"g":{"enabled":true,"global":{},"gv":1},"global":{},"isOn":true,"s1v":1},"nover":{"global":{},"nov":1},"second":{"g":{"enabled":true,"global":{},"gv":1},"global":{},"s1v":1,"x":2}}
"#,
        ),
        (
            "a root without dependencies in Chart.yaml: its subcharts' dependencies are not processed (no alias, no condition) but their import-values are",
            r#"=== Chart.yaml
apiVersion: v2
name: d
version: 0.1.0
=== values.yaml
dv: 1
=== charts/extra/Chart.yaml
apiVersion: v2
name: extra
version: 0.1.0
dependencies:
- name: eg
  version: 0.1.0
  alias: egalias
  condition: egalias.enabled
  import-values:
  - child: egv
    parent: imported
=== charts/extra/values.yaml
ev: 1
egalias:
  enabled: false
=== charts/extra/charts/eg/Chart.yaml
apiVersion: v2
name: eg
version: 0.1.0
=== charts/extra/charts/eg/values.yaml
egv:
  x: 1
"#,
            r#""#,
            r#"d/charts/extra/charts/eg/templates/zzvalues.yaml {"egv":{"x":1},"global":{}}
d/charts/extra/templates/zzvalues.yaml {"eg":{"egv":{"x":1},"global":{}},"egalias":{"enabled":false},"ev":1,"global":{},"imported":{"x":1}}
d/templates/zzvalues.yaml {"dv":1,"extra":{"eg":{"egv":{"x":1},"global":{}},"egalias":{"enabled":false},"ev":1,"global":{},"imported":{"x":1}}}
"#,
        ),
        (
            "import-values: paths, exports, missing tables, and the in-place writes into imported tables that Go's shared maps make",
            r#"=== Chart.yaml
apiVersion: v2
name: e
version: 0.1.0
dependencies:
- name: s1
  version: 0.1.0
  import-values:
  - data
  - missing
  - child: a
    parent: x.y
  - child: a.b
    parent: .
  - child: nothere
    parent: z
  - child: a
    parent: a2
  - child: global
    parent: global
=== values.yaml
x:
  y:
    own: 1
    n: null
own: 2
=== charts/s1/Chart.yaml
apiVersion: v2
name: s1
version: 0.1.0
=== charts/s1/values.yaml
exports:
  data:
    d1: 1
    dn: null
    deep:
      k: v
a:
  b:
    c: 1
    deep:
      k2: v2
  n: null
global:
  gs: 1
"#,
            r#""#,
            r#"e/charts/s1/templates/zzvalues.yaml {"a":{"b":{"c":1,"deep":{"k2":"v2"}}},"exports":{"data":{"d1":1,"deep":{"k":"v","k2":"v2"}}},"global":{"gs":1}}
e/templates/zzvalues.yaml {"a2":{"b":{"c":1,"deep":{"k2":"v2"}}},"c":1,"d1":1,"deep":{"k":"v","k2":"v2"},"global":{"gs":1},"own":2,"s1":{"a":{"b":{"c":1,"deep":{"k2":"v2"}}},"exports":{"data":{"d1":1,"deep":{"k":"v","k2":"v2"}}},"global":{"gs":1}},"x":{"true":{"own":1},"y":{"b":{"c":1,"deep":{"k2":"v2"}}}}}
"#,
        ),
        (
            "tags from a subchart's own values, comma conditions with spaces, non-bool conditions",
            r#"=== Chart.yaml
apiVersion: v2
name: f
version: 0.1.0
dependencies:
- name: s1
  version: 0.1.0
- name: s2
  version: 0.1.0
  condition: s2.enabled, s2.other
  tags: [t2]
- name: s3
  version: 0.1.0
  condition: s3.enabled,s3.on
=== values.yaml
s2:
  enabled: false
  other: true
s3:
  enabled: yes-string
  on: false
tags:
  t2: true
=== charts/s1/Chart.yaml
apiVersion: v2
name: s1
version: 0.1.0
dependencies:
- name: g1
  version: 0.1.0
  tags: [gt]
- name: g2
  version: 0.1.0
  tags: [gt2]
=== charts/s1/values.yaml
tags:
  gt: false
=== charts/s1/charts/g1/Chart.yaml
apiVersion: v2
name: g1
version: 0.1.0
=== charts/s1/charts/g2/Chart.yaml
apiVersion: v2
name: g2
version: 0.1.0
=== charts/s2/Chart.yaml
apiVersion: v2
name: s2
version: 0.1.0
=== charts/s3/Chart.yaml
apiVersion: v2
name: s3
version: 0.1.0
"#,
            r#""#,
            r#"f/charts/s1/charts/g2/templates/zzvalues.yaml {"global":{}}
f/charts/s1/templates/zzvalues.yaml {"g2":{"global":{}},"global":{},"tags":{"gt":false}}
f/charts/s3/templates/zzvalues.yaml {"enabled":"yes-string","global":{},"true":false}
f/templates/zzvalues.yaml {"s1":{"g2":{"global":{}},"global":{},"tags":{"gt":false}},"s2":{"enabled":false,"other":true},"s3":{"enabled":"yes-string","global":{},"true":false},"tags":{"t2":true}}
"#,
        ),
        (
            "table/scalar conflicts in user values and globals",
            r#"=== Chart.yaml
apiVersion: v2
name: h
version: 0.1.0
dependencies:
- name: s1
  version: 0.1.0
=== values.yaml
tbl:
  a: 1
scal: 1
global:
  gt:
    a: 1
  gs: 1
=== charts/s1/Chart.yaml
apiVersion: v2
name: s1
version: 0.1.0
=== charts/s1/values.yaml
global:
  gt: scalar
  gs:
    a: 1
t2:
  a: 1
"#,
            r#"tbl: scalar
scal:
  now: table
s1:
  t2: scalar
"#,
            r#"h/charts/s1/templates/zzvalues.yaml {"global":{"gs":1,"gt":{"a":1}},"t2":"scalar"}
h/templates/zzvalues.yaml {"global":{"gs":1,"gt":{"a":1}},"s1":{"global":{"gs":1,"gt":{"a":1}},"t2":"scalar"},"scal":{"now":"table"},"tbl":"scalar"}
"#,
        ),
    ];

    #[test]
    fn values_as_helm_renders_them() {
        for (what, spec, user, want) in ORACLE_CASES {
            let c = tree(spec);
            let opts = ValueOptions {
                values_files: vec![("user.yaml".into(), user.to_string())],
                ..ValueOptions::default()
            };
            let user = merge_user_values(&opts, &|_| Err("no files".into())).unwrap();
            let s = process_dependencies(&c, &user).unwrap();
            let v = coalesce(&s, &user).unwrap();
            let mut got = Vec::new();
            dump(&s, &v, s.name(), &mut got);
            got.sort();
            let got: String = got.iter().map(|l| format!("{l}\n")).collect();
            assert_eq!(got, *want, "{what}");
        }
    }

    #[test]
    fn subchart_sections_that_are_not_maps_fail_as_in_helm() {
        let c = tree(ORACLE_CASES[0].1);
        for (user, want) in [
            (r#"{"s1":"x"}"#, "chart dependencies processing failed: type mismatch on s1: %!t(string=x)"),
            (r#"{"s1":null}"#, "chart dependencies processing failed: type mismatch on s1: %!t(<nil>)"),
            (r#"{"s1":[1,2]}"#, "chart dependencies processing failed: type mismatch on s1: [%!t(float64=1) %!t(float64=2)]"),
        ] {
            let user = json::unmarshal(user).unwrap();
            let err = process_dependencies(&c, &user).err().expect("an error");
            assert_eq!(err.to_string(), want);
        }
        // A chart without dependencies in Chart.yaml fails only when
        // coalescing, without install's prefix.
        let c = named("p", "", vec![named("s1", "", vec![])]);
        let user = json::unmarshal(r#"{"s1":true}"#).unwrap();
        let s = process_dependencies(&c, &user).unwrap();
        assert_eq!(
            coalesce(&s, &user).unwrap_err().to_string(),
            "type mismatch on s1: true"
        );
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
