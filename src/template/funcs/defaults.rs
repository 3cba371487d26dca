//! Sprig's defaults and flow functions (`defaults.go` of Sprig v3.3.0):
//! `default`, `empty`, `coalesce`, `all`, `any`, `ternary`, built on
//! Sprig's reflective "empty": no value, `false`, a zero number (of any
//! numeric type, -0 included, NaN not), and a string, slice or map of
//! length 0. Structs and non-nil pointers are never empty.

use super::{FuncResult, Registry, Ty};
use crate::template::value::Value;

/// Registers this family's functions.
pub(super) fn register(r: &mut Registry) {
    r.add("default", &[Ty::Any], Some(Ty::Any), default);
    r.add("empty", &[Ty::Any], None, empty);
    r.add("coalesce", &[], Some(Ty::Any), coalesce);
    r.add("all", &[], Some(Ty::Any), all);
    r.add("any", &[], Some(Ty::Any), any);
    r.add("ternary", &[Ty::Any, Ty::Any, Ty::Bool], None, ternary);
}

/// Sprig's `empty(v)`: whether `v` is the zero value of its type (the
/// opposite of Go template truthiness, which Sprig's code adapts).
pub(crate) fn is_empty(v: &Value) -> bool {
    match v {
        Value::Nil => true,
        Value::Bool(b) => !b,
        Value::Int(i) | Value::Int64(i) => *i == 0,
        Value::Uint64(u) => *u == 0,
        Value::Float(x) => *x == 0.0,
        Value::String(s) => s.is_empty(),
        Value::Bytes(b) | Value::Binary(b) => b.is_empty(),
        Value::List(l) => l.items.is_empty(),
        Value::Map(m) => m.is_empty(),
        // A struct is never empty, a pointer when nil, a map-kind type
        // (`.Files`) when it has no entries: exactly its truthiness.
        Value::Object(o) => !o.truthy(),
    }
}

/// `default(d, given...)`: `given[0]` unless it is missing or empty.
fn default(args: &[Value]) -> FuncResult {
    let d = args.first().cloned().unwrap_or_default();
    match args.get(1) {
        Some(given) if !is_empty(given) => Ok(given.clone()),
        _ => Ok(d),
    }
}

fn empty(args: &[Value]) -> FuncResult {
    Ok(Value::Bool(args.first().is_none_or(is_empty)))
}

/// `coalesce(v...)`: the first non-empty value, or nil.
fn coalesce(args: &[Value]) -> FuncResult {
    Ok(args
        .iter()
        .find(|v| !is_empty(v))
        .cloned()
        .unwrap_or_default())
}

/// `all(v...)`: no value is empty (true for none).
fn all(args: &[Value]) -> FuncResult {
    Ok(Value::Bool(args.iter().all(|v| !is_empty(v))))
}

/// `any(v...)`: some value is not empty (false for none).
fn any(args: &[Value]) -> FuncResult {
    Ok(Value::Bool(args.iter().any(|v| !is_empty(v))))
}

/// `ternary(vt, vf, v bool)`: `vt` if `v`, else `vf`.
fn ternary(args: &[Value]) -> FuncResult {
    let pick = matches!(args.get(2), Some(Value::Bool(true)));
    Ok(args
        .get(if pick { 0 } else { 1 })
        .cloned()
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::rc::Rc;

    use super::*;
    use crate::template::funcs::call;
    use crate::template::value::{Elem, Map};

    fn show(name: &str, args: &[Value]) -> String {
        let v = call(name, args).unwrap();
        format!("{}:{v}", v.type_name())
    }

    // Expectations are the oracle's (tests/template/defaults/expected).

    #[test]
    fn empty_by_kind() {
        let cases = [
            (Value::Nil, true),
            (Value::Int(0), true),
            (Value::Int(-1), false),
            (Value::Int64(0), true),
            (Value::Int64(2), false),
            (Value::Float(0.0), true),
            (Value::Float(-0.0), true),
            (Value::Float(f64::NAN), false),
            (Value::Float(f64::INFINITY), false),
            (Value::Float(1.5), false),
            (Value::Bool(false), true),
            (Value::Bool(true), false),
            (Value::str(""), true),
            (Value::str(" "), false),
            (Value::list(vec![]), true),
            (Value::list(vec![Value::Nil]), false),
            (Value::typed_list(Elem::Int, vec![]), true),
            (Value::empty_map(), true),
            (
                Value::map([("a".into(), Value::Nil)].into_iter().collect()),
                false,
            ),
            (
                Value::Map(Map::from_entries(
                    Elem::String,
                    [("_0".into(), Value::str(""))].into_iter().collect(),
                )),
                false,
            ),
            (Value::Bytes(Rc::from(&b""[..])), true),
        ];
        for (v, want) in cases {
            assert_eq!(
                show("empty", std::slice::from_ref(&v)),
                format!("bool:{want}"),
                "{v:?}"
            );
        }
    }

    #[test]
    fn default_picks_given_unless_empty() {
        let d = |args: &[Value]| show("default", args);
        assert_eq!(d(&[Value::str("foo"), Value::Nil]), "string:foo");
        assert_eq!(d(&[Value::str("foo"), Value::str("bar")]), "string:bar");
        assert_eq!(d(&[Value::Int(5), Value::Int(0)]), "int:5");
        assert_eq!(d(&[Value::Int(5), Value::Int(-1)]), "int:-1");
        assert_eq!(d(&[Value::Int(5), Value::Float(0.0)]), "int:5");
        assert_eq!(d(&[Value::Int(5), Value::Int64(0)]), "int:5");
        assert_eq!(d(&[Value::str("x"), Value::Bool(false)]), "string:x");
        assert_eq!(d(&[Value::str("x"), Value::str(" ")]), "string: ");
        assert_eq!(d(&[Value::str("x"), Value::list(vec![])]), "string:x");
        assert_eq!(
            d(&[Value::str("x"), Value::list(vec![Value::Nil])]),
            "[]interface {}:[<nil>]"
        );
        assert_eq!(d(&[Value::str("x")]), "string:x");
        assert_eq!(
            d(&[Value::str("x"), Value::str(""), Value::str("y")]),
            "string:x"
        );
        assert_eq!(
            d(&[Value::str("x"), Value::str("a"), Value::str("b")]),
            "string:a"
        );
        assert_eq!(d(&[Value::Int(1), Value::Float(2.5)]), "float64:2.5");
        assert_eq!(d(&[Value::Nil, Value::Int(0)]), "<nil>:<nil>");
        assert_eq!(d(&[Value::Int(1), Value::Float(f64::NAN)]), "float64:NaN");
        assert_eq!(d(&[Value::Int(1), Value::Float(-0.0)]), "int:1");
        let m = Value::map(BTreeMap::from([("a".into(), Value::Float(1.0))]));
        assert_eq!(d(&[Value::Nil, m]), "map[string]interface {}:map[a:1]");
    }

    #[test]
    fn coalesce_all_any() {
        let (s, i) = (Value::str, Value::Int);
        assert_eq!(
            show("coalesce", &[Value::Nil, s(""), i(0), s("x")]),
            "string:x"
        );
        assert_eq!(show("coalesce", &[]), "<nil>:<nil>");
        assert_eq!(
            show(
                "coalesce",
                &[
                    i(0),
                    s(""),
                    Value::Nil,
                    Value::Bool(false),
                    Value::list(vec![])
                ]
            ),
            "<nil>:<nil>"
        );
        assert_eq!(show("coalesce", &[i(0), Value::Int64(2)]), "int64:2");
        assert_eq!(show("all", &[i(1), s("a"), Value::Bool(true)]), "bool:true");
        assert_eq!(show("all", &[i(1), s("")]), "bool:false");
        assert_eq!(show("all", &[]), "bool:true");
        assert_eq!(show("all", &[Value::Nil]), "bool:false");
        assert_eq!(show("any", &[i(0), s(""), s("x")]), "bool:true");
        assert_eq!(show("any", &[]), "bool:false");
        assert_eq!(show("any", &[i(0), Value::Nil]), "bool:false");
        assert_eq!(
            show(
                "any",
                &[
                    Value::Bool(false),
                    Value::Float(0.0),
                    Value::list(vec![]),
                    i(1)
                ]
            ),
            "bool:true"
        );
    }

    #[test]
    fn ternary_picks() {
        let (s, t) = (Value::str, Value::Bool);
        assert_eq!(show("ternary", &[s("yes"), s("no"), t(true)]), "string:yes");
        assert_eq!(show("ternary", &[s("yes"), s("no"), t(false)]), "string:no");
        assert_eq!(
            show("ternary", &[Value::Int(1), Value::Float(2.5), t(true)]),
            "int:1"
        );
        assert_eq!(
            show("ternary", &[Value::Nil, s("x"), t(true)]),
            "<nil>:<nil>"
        );
    }
}
