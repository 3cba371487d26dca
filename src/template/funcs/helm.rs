//! Helm's own functions (pkg/engine/funcs.go and engine.go) and the Sprig
//! JSON functions Helm does not override: `toYaml`, `fromYaml`, `toJson`,
//! `toToml`, their `must` forms (whose failures are Go panics, reported as
//! the error), `toYamlPretty`, `include`, `tpl`, `required`, `fail`,
//! `lookup`, `toPrettyJson`, `toRawJson`, `mustFromJson`...
//!
//! `required` and `fail` return their message wrapped in
//! `HELM_ERR_START`...`HELM_ERR_END`, as Helm does: the engine's error
//! reporting unwraps it (`execution error at (...): message`).

use super::{FuncError, FuncResult, Host, Registry, Ty};
use crate::template::value::Value;
use crate::template::{json, toml, yaml};

/// Registers this family's functions.
pub(super) fn register(r: &mut Registry) {
    r.add("toToml", &[Ty::Any], None, to_toml);
    r.add("mustToToml", &[Ty::Any], None, must_to_toml);
    r.add("fromToml", &[Ty::String], None, from_toml);
    r.add("toYaml", &[Ty::Any], None, to_yaml);
    r.add("mustToYaml", &[Ty::Any], None, must_to_yaml);
    r.add("toYamlPretty", &[Ty::Any], None, to_yaml_pretty);
    r.add("fromYaml", &[Ty::String], None, from_yaml);
    r.add("fromYamlArray", &[Ty::String], None, from_yaml_array);
    r.add("toJson", &[Ty::Any], None, to_json);
    r.add("mustToJson", &[Ty::Any], None, must_to_json);
    r.add("fromJson", &[Ty::String], None, from_json);
    r.add("fromJsonArray", &[Ty::String], None, from_json_array);
    // Sprig's, not overridden by Helm.
    r.add("toPrettyJson", &[Ty::Any], None, to_pretty_json);
    r.add("mustToPrettyJson", &[Ty::Any], None, must_to_pretty_json);
    r.add("toRawJson", &[Ty::Any], None, to_raw_json);
    r.add("mustToRawJson", &[Ty::Any], None, must_to_raw_json);
    r.add("mustFromJson", &[Ty::String], None, must_from_json);
    // The engine's.
    r.add("required", &[Ty::String, Ty::Any], None, required);
    r.add("fail", &[Ty::String], None, fail);
    r.add_host("include", &[Ty::String, Ty::Any], None, include);
    r.add_host("tpl", &[Ty::String, Ty::Any], None, tpl);
    r.add_host(
        "lookup",
        &[Ty::String, Ty::String, Ty::String, Ty::String],
        None,
        lookup,
    );
}

fn arg(args: &[Value], i: usize) -> Value {
    args.get(i).cloned().unwrap_or(Value::Nil)
}

fn str_arg(args: &[Value], i: usize) -> String {
    match args.get(i) {
        Some(Value::String(s)) => s.to_string(),
        Some(v) => v.to_string(),
        None => String::new(),
    }
}

/// Helm's `warnWrap`.
fn warn_wrap(msg: &str) -> String {
    format!("HELM_ERR_START{msg}HELM_ERR_END")
}

// YAML.

fn yaml_text(v: &Value) -> Result<String, FuncError> {
    yaml::to_string(v)
        .map(|s| s.strip_suffix('\n').map(str::to_string).unwrap_or(s))
        .map_err(|e| FuncError::new(e.0))
}

/// `toYaml`: the YAML without its final newline, "" on error.
fn to_yaml(args: &[Value]) -> FuncResult {
    Ok(Value::from(yaml_text(&arg(args, 0)).unwrap_or_default()))
}

/// `mustToYaml`: as `toYaml`, the error (a panic in Go) reported.
fn must_to_yaml(args: &[Value]) -> FuncResult {
    yaml_text(&arg(args, 0)).map(Value::from)
}

/// `toYamlPretty`: goyaml.v3 with indent 2, "" on error.
fn to_yaml_pretty(args: &[Value]) -> FuncResult {
    let s = yaml::to_string_v3(&arg(args, 0), 2)
        .map(|s| s.strip_suffix('\n').map(str::to_string).unwrap_or(s))
        .unwrap_or_default();
    Ok(Value::from(s))
}

/// `fromYaml`: a map; on error the map holds the message under `Error`.
fn from_yaml(args: &[Value]) -> FuncResult {
    Ok(match yaml::from_str_map(&str_arg(args, 0)) {
        Ok(v) => v,
        Err(e) => {
            let m = Value::empty_map();
            if let Value::Map(map) = &m {
                map.insert("Error", Value::from(e.0));
            }
            m
        }
    })
}

/// `fromYamlArray`: a list; on error a list of the one message.
fn from_yaml_array(args: &[Value]) -> FuncResult {
    Ok(match yaml::from_str_list(&str_arg(args, 0)) {
        Ok(v) => v,
        Err(e) => Value::list(vec![Value::from(e.0)]),
    })
}

// JSON.

fn json_text(v: &Value, escape_html: bool, indent: bool) -> Result<String, FuncError> {
    let opts = json::Options {
        escape_html,
        indent: indent.then_some(("", "  ")),
    };
    json::marshal_with(v, opts).map_err(|e| FuncError::new(e.0))
}

/// Helm's `toJson`: "" on error.
fn to_json(args: &[Value]) -> FuncResult {
    Ok(Value::from(
        json_text(&arg(args, 0), true, false).unwrap_or_default(),
    ))
}

/// Helm's `mustToJson`.
fn must_to_json(args: &[Value]) -> FuncResult {
    json_text(&arg(args, 0), true, false).map(Value::from)
}

/// Sprig's `toPrettyJson`: `json.MarshalIndent(v, "", "  ")`, "" on error.
fn to_pretty_json(args: &[Value]) -> FuncResult {
    Ok(Value::from(
        json_text(&arg(args, 0), true, true).unwrap_or_default(),
    ))
}

/// Sprig's `mustToPrettyJson`.
fn must_to_pretty_json(args: &[Value]) -> FuncResult {
    json_text(&arg(args, 0), true, true).map(Value::from)
}

/// Sprig's `toRawJson`: no HTML escaping; an error panics.
fn to_raw_json(args: &[Value]) -> FuncResult {
    json_text(&arg(args, 0), false, false).map(Value::from)
}

/// Sprig's `mustToRawJson`.
fn must_to_raw_json(args: &[Value]) -> FuncResult {
    json_text(&arg(args, 0), false, false).map(Value::from)
}

/// Helm's `fromJson`: a map; on error the map (with what was decoded)
/// holds the message under `Error`.
fn from_json(args: &[Value]) -> FuncResult {
    let (v, err) = json::unmarshal_into(&str_arg(args, 0), json::Target::Map);
    if let (Some(e), Value::Map(m)) = (err, &v) {
        m.insert("Error", Value::from(e.0));
    }
    Ok(v)
}

/// Helm's `fromJsonArray`: a list; on error a list of the one message.
fn from_json_array(args: &[Value]) -> FuncResult {
    let (v, err) = json::unmarshal_into(&str_arg(args, 0), json::Target::List);
    Ok(match err {
        Some(e) => Value::list(vec![Value::from(e.0)]),
        None => v,
    })
}

/// Sprig's `mustFromJson`: `interface{}`, the error reported.
fn must_from_json(args: &[Value]) -> FuncResult {
    json::unmarshal(&str_arg(args, 0)).map_err(|e| FuncError::new(e.0))
}

// TOML.

/// `toToml`: the TOML, or the error's text.
fn to_toml(args: &[Value]) -> FuncResult {
    Ok(Value::from(match toml::to_string(&arg(args, 0)) {
        Ok(s) => s,
        Err(toml::TomlError::Encode(e)) => e,
        Err(toml::TomlError::Panic(e)) => return Err(FuncError::new(e)),
    }))
}

/// `mustToToml`: the error reported.
fn must_to_toml(args: &[Value]) -> FuncResult {
    match toml::to_string(&arg(args, 0)) {
        Ok(s) => Ok(Value::from(s)),
        Err(toml::TomlError::Encode(e) | toml::TomlError::Panic(e)) => Err(FuncError::new(e)),
    }
}

/// `fromToml`: a map; on error the map (with what was decoded) holds the
/// message under `Error`.
fn from_toml(args: &[Value]) -> FuncResult {
    let (v, err) = toml::from_str(&str_arg(args, 0));
    if let (Some(e), Value::Map(m)) = (err, &v) {
        m.insert("Error", Value::from(e));
    }
    Ok(v)
}

// The engine's.

/// `required`: the value, or the message when it is nil or "".
fn required(args: &[Value]) -> FuncResult {
    let val = arg(args, 1);
    match &val {
        Value::Nil => Err(FuncError::new(warn_wrap(&str_arg(args, 0)))),
        Value::String(s) if s.is_empty() => Err(FuncError::new(warn_wrap(&str_arg(args, 0)))),
        _ => Ok(val),
    }
}

/// `fail`: always the message.
fn fail(args: &[Value]) -> FuncResult {
    Err(FuncError::new(warn_wrap(&str_arg(args, 0))))
}

/// `include`: executes a defined template into a string.
fn include(host: &mut dyn Host, args: &[Value]) -> FuncResult {
    host.include(&str_arg(args, 0), arg(args, 1))
        .map(Value::from)
        .map_err(FuncError::new)
}

/// `tpl`: parses and executes a string as a template.
fn tpl(host: &mut dyn Host, args: &[Value]) -> FuncResult {
    host.tpl(&str_arg(args, 0), arg(args, 1))
        .map(Value::from)
        .map_err(FuncError::new)
}

/// `lookup`: the object, a list, or an empty map without a cluster.
fn lookup(host: &mut dyn Host, args: &[Value]) -> FuncResult {
    host.lookup(
        &str_arg(args, 0),
        &str_arg(args, 1),
        &str_arg(args, 2),
        &str_arg(args, 3),
    )
    .map_err(FuncError::new)
}

#[cfg(test)]
mod tests {
    use super::super::call;
    use super::*;

    fn s(x: &str) -> Value {
        Value::str(x)
    }

    #[test]
    fn yaml_functions() {
        assert_eq!(call("toYaml", &[s("hello")]).unwrap().to_string(), "hello");
        assert_eq!(call("toYaml", &[Value::Nil]).unwrap().to_string(), "null");
        assert_eq!(
            call("toYaml", &[Value::Float(f64::NAN)])
                .unwrap()
                .to_string(),
            ""
        );
        assert_eq!(
            call("mustToYaml", &[Value::Float(f64::NAN)]).unwrap_err().0,
            "error marshaling into JSON: json: unsupported value: NaN"
        );
        assert_eq!(call("toYaml", &[s("a\n")]).unwrap().to_string(), "|\n  a");
        let m = call("fromYaml", &[s("a: b: c")]).unwrap();
        assert_eq!(
            m.to_string(),
            "map[Error:error converting YAML to JSON: yaml: mapping values are not allowed in this context]"
        );
        let l = call("fromYamlArray", &[s("a: 1")]).unwrap();
        assert_eq!(
            l.to_string(),
            "[error unmarshaling JSON: while decoding JSON: json: cannot unmarshal object into Go value of type []interface {}]"
        );
        assert_eq!(
            call("fromYamlArray", &[s("")]).unwrap().type_name(),
            "[]interface {}"
        );
    }

    #[test]
    fn json_functions() {
        assert_eq!(
            call("toJson", &[s("<x>")]).unwrap().to_string(),
            r#""\u003cx\u003e""#
        );
        assert_eq!(
            call("toRawJson", &[s("<x>")]).unwrap().to_string(),
            r#""<x>""#
        );
        assert_eq!(
            call("toJson", &[Value::Float(f64::NAN)])
                .unwrap()
                .to_string(),
            ""
        );
        assert_eq!(
            call("toRawJson", &[Value::Float(f64::INFINITY)])
                .unwrap_err()
                .0,
            "json: unsupported value: +Inf"
        );
        assert_eq!(
            call("fromJson", &[s("[1, 2]")]).unwrap().to_string(),
            "map[Error:json: cannot unmarshal array into Go value of type map[string]interface {}]"
        );
        assert_eq!(
            call("fromJson", &[s("{\"a\": 1e400, \"b\": 2}")]).unwrap().to_string(),
            "map[Error:json: cannot unmarshal number 1e400 into Go struct field .a of type float64 a:0 b:2]"
        );
        assert_eq!(
            call("fromJsonArray", &[s("[1,")]).unwrap().to_string(),
            "[unexpected end of JSON input]"
        );
        assert_eq!(
            call("mustFromJson", &[s("{x")]).unwrap_err().0,
            "invalid character 'x' looking for beginning of object key string"
        );
        assert!(call("mustFromJson", &[s("null")]).unwrap().is_nil());
    }

    #[test]
    fn required_and_fail() {
        assert_eq!(
            call("required", &[s("need it"), Value::Nil]).unwrap_err().0,
            "HELM_ERR_STARTneed itHELM_ERR_END"
        );
        assert_eq!(
            call("required", &[s("m"), s("")]).unwrap_err().0,
            "HELM_ERR_STARTmHELM_ERR_END"
        );
        assert_eq!(
            call("required", &[s("m"), Value::Int(0)])
                .unwrap()
                .to_string(),
            "0"
        );
        assert_eq!(
            call("fail", &[s("boom")]).unwrap_err().0,
            "HELM_ERR_STARTboomHELM_ERR_END"
        );
    }
}
