//! Values as Helm merges them (being written).

use crate::template::{yaml, Value};

/// Reads a values file as Helm's `LoadValues` does: every YAML document,
/// merged in order.
///
/// # Errors
/// The YAML error.
pub fn load_values(text: &str) -> Result<Value, String> {
    yaml::from_str_map(text).map_err(|e| e.to_string())
}

use super::{Chart, Scope};

/// Placeholder until dependency processing lands: every dependency enabled.
pub fn process_dependencies<'a>(chart: &'a Chart, _user: &Value) -> Result<Scope<'a>, String> {
    Ok(Scope {
        chart,
        metadata: chart.metadata.clone(),
        values: chart.default_values()?,
        dependencies: chart
            .dependencies
            .iter()
            .map(|d| process_dependencies(d, _user))
            .collect::<Result<_, _>>()?,
    })
}

/// Placeholder until coalescing lands: user values over the defaults.
pub fn coalesce(scope: &Scope, user: &Value) -> Result<Value, String> {
    let out = merge(&scope.values, user);
    Ok(out)
}

fn merge(base: &Value, over: &Value) -> Value {
    match (base, over) {
        (Value::Map(b), Value::Map(o)) => {
            let m = crate::template::Map::new();
            for (k, v) in b.entries() {
                m.insert(k, v);
            }
            for (k, v) in o.entries() {
                let merged = match m.get(&k) {
                    Some(old) => merge(&old, &v),
                    None => v,
                };
                m.insert(k, merged);
            }
            Value::Map(m)
        }
        (_, o) => o.clone(),
    }
}

/// The user's values from the command line.
#[derive(Default)]
pub struct ValueOptions {
    /// -f files: (name, text).
    pub values_files: Vec<(String, String)>,
    /// --set.
    pub set: Vec<String>,
    /// --set-string.
    pub set_string: Vec<String>,
    /// --set-file.
    pub set_file: Vec<String>,
    /// --set-json.
    pub set_json: Vec<String>,
    /// --set-literal.
    pub set_literal: Vec<String>,
}

/// Placeholder: -f files and --set-json objects merged.
///
/// # Errors
/// YAML errors.
pub fn merge_user_values(
    opts: &ValueOptions,
    _read_file: &dyn Fn(&str) -> Result<String, String>,
) -> Result<Value, String> {
    let mut out = Value::empty_map();
    for (_, text) in &opts.values_files {
        out = merge(&out, &load_values(text)?);
    }
    for j in &opts.set_json {
        out = merge(&out, &load_values(j)?);
    }
    Ok(out)
}
