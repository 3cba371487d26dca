//! Sprig's reflection functions (`reflect.go` of Sprig v3.3.0): `typeOf`
//! is Go's `%T`, `kindOf` the `reflect.Kind`, and `deepEqual` is
//! `reflect.DeepEqual`, which compares types too: an `int` 1 is not an
//! `int64` 1 nor a `float64` 1, and a `[]interface {}` is not a
//! `[]string` with the same items.

use std::collections::HashSet;
use std::rc::Rc;

use super::{FuncResult, Registry, Ty};
use crate::template::value::Value;

/// Registers this family's functions.
pub(super) fn register(r: &mut Registry) {
    r.add("typeOf", &[Ty::Any], None, type_of);
    r.add("typeIs", &[Ty::String, Ty::Any], None, type_is);
    r.add("typeIsLike", &[Ty::String, Ty::Any], None, type_is_like);
    r.add("kindOf", &[Ty::Any], None, kind_of);
    r.add("kindIs", &[Ty::String, Ty::Any], None, kind_is);
    r.add("deepEqual", &[Ty::Any, Ty::Any], None, deep_equal);
}

fn arg(args: &[Value], i: usize) -> Value {
    args.get(i).cloned().unwrap_or_default()
}

fn target(args: &[Value]) -> String {
    args.first()
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn type_of(args: &[Value]) -> FuncResult {
    Ok(Value::str(arg(args, 0).type_name()))
}

fn type_is(args: &[Value]) -> FuncResult {
    Ok(Value::Bool(target(args) == arg(args, 1).type_name()))
}

/// `typeIsLike`: the type is `target` or `*target`.
fn type_is_like(args: &[Value]) -> FuncResult {
    let (t, actual) = (target(args), arg(args, 1).type_name());
    Ok(Value::Bool(actual == t || actual == format!("*{t}")))
}

fn kind_of(args: &[Value]) -> FuncResult {
    Ok(Value::str(arg(args, 0).kind()))
}

fn kind_is(args: &[Value]) -> FuncResult {
    Ok(Value::Bool(target(args) == arg(args, 1).kind()))
}

fn deep_equal(args: &[Value]) -> FuncResult {
    let mut visited = HashSet::new();
    Ok(Value::Bool(values_deep_equal(
        &arg(args, 0),
        &arg(args, 1),
        &mut visited,
    )))
}

/// `reflect.DeepEqual` of two values held in interfaces: same Go type and
/// deeply equal contents. Floats compare with `==` (NaN is unequal to
/// itself), but a slice or map is equal to itself without looking inside
/// (so a list holding NaN equals the same list). `visited` holds the pairs
/// of maps/slices being compared, which Go treats as equal on a second
/// visit (cycles through maps).
pub(crate) fn values_deep_equal(
    a: &Value,
    b: &Value,
    visited: &mut HashSet<(usize, usize)>,
) -> bool {
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) | (Value::Int64(x), Value::Int64(y)) => x == y,
        (Value::Uint64(x), Value::Uint64(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bytes(x), Value::Bytes(y)) | (Value::Binary(x), Value::Binary(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            if x.elem != y.elem || x.items.len() != y.items.len() {
                return false;
            }
            if Rc::ptr_eq(&x.items, &y.items) {
                return true;
            }
            let key = ordered(
                Rc::as_ptr(&x.items) as *const u8 as usize,
                Rc::as_ptr(&y.items) as *const u8 as usize,
            );
            if !visited.insert(key) {
                return true;
            }
            x.items
                .iter()
                .zip(y.items.iter())
                .all(|(p, q)| values_deep_equal(p, q, visited))
        }
        (Value::Map(x), Value::Map(y)) => {
            if x.elem != y.elem || x.len() != y.len() {
                return false;
            }
            if x.ptr_eq(y) {
                return true;
            }
            let key = ordered(map_addr(x), map_addr(y));
            if !visited.insert(key) {
                return true;
            }
            // Snapshots: no borrow is held while recursing.
            let right = y.entries();
            x.entries()
                .iter()
                .zip(right.iter())
                .all(|((ka, va), (kb, vb))| ka == kb && values_deep_equal(va, vb, visited))
        }
        (Value::Object(x), Value::Object(y)) => {
            if x.type_name() != y.type_name() {
                return false;
            }
            if Rc::ptr_eq(x, y) {
                return true;
            }
            values_deep_equal(&x.to_data(), &y.to_data(), visited)
        }
        _ => false,
    }
}

fn ordered(a: usize, b: usize) -> (usize, usize) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// A stable identity for a map handle (the shared entries' address).
fn map_addr(m: &crate::template::value::Map) -> usize {
    let borrow = m.borrow();
    &*borrow as *const _ as *const u8 as usize
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::template::funcs::call;
    use crate::template::value::{Elem, Map};

    fn b(name: &str, args: &[Value]) -> String {
        call(name, args).unwrap().to_string()
    }

    fn dict(entries: &[(&str, Value)]) -> Value {
        Value::map(
            entries
                .iter()
                .map(|(k, v)| ((*k).into(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    // Expectations are the oracle's (tests/template/types/expected).

    #[test]
    fn type_and_kind_names() {
        let cases = [
            (Value::Int(1), "int", "int"),
            (Value::Float(1.5), "float64", "float64"),
            (Value::str("s"), "string", "string"),
            (Value::Bool(true), "bool", "bool"),
            (Value::Nil, "<nil>", "invalid"),
            (Value::Int64(1), "int64", "int64"),
            (Value::list(vec![]), "[]interface {}", "slice"),
            (Value::empty_map(), "map[string]interface {}", "map"),
            (
                Value::typed_list(Elem::Int, vec![Value::Int(0)]),
                "[]int",
                "slice",
            ),
            (Value::strings(["a"]), "[]string", "slice"),
            (
                Value::Map(Map::from_entries(Elem::String, BTreeMap::new())),
                "map[string]string",
                "map",
            ),
            (Value::Bytes(Rc::from(&b""[..])), "[]uint8", "slice"),
        ];
        for (v, ty, kind) in cases {
            assert_eq!(b("typeOf", std::slice::from_ref(&v)), ty);
            assert_eq!(b("kindOf", std::slice::from_ref(&v)), kind);
            assert_eq!(b("typeIs", &[Value::str(ty), v.clone()]), "true");
            assert_eq!(b("kindIs", &[Value::str(kind), v.clone()]), "true");
        }
        assert_eq!(b("typeIs", &[Value::str("int64"), Value::Int(1)]), "false");
        assert_eq!(b("typeIsLike", &[Value::str("int"), Value::Int(1)]), "true");
        assert_eq!(
            b("typeIsLike", &[Value::str("float"), Value::Float(1.5)]),
            "false"
        );
        assert_eq!(b("kindIs", &[Value::str("int"), Value::Int64(1)]), "false");
    }

    #[test]
    fn deep_equal_is_typed() {
        let d = |x: Value, y: Value| b("deepEqual", &[x, y]);
        assert_eq!(d(Value::Int(1), Value::Int(1)), "true");
        assert_eq!(d(Value::Int(1), Value::Int64(1)), "false");
        assert_eq!(d(Value::Int(1), Value::Float(1.0)), "false");
        assert_eq!(d(Value::Float(3.0), Value::Float(3.0)), "true");
        assert_eq!(d(Value::Nil, Value::Nil), "true");
        assert_eq!(d(Value::Nil, Value::str("")), "false");
        assert_eq!(d(Value::Nil, Value::Int(0)), "false");
        let l12 = || Value::list(vec![Value::Int(1), Value::Int(2)]);
        assert_eq!(d(l12(), l12()), "true");
        assert_eq!(
            d(l12(), Value::list(vec![Value::Int(2), Value::Int(1)])),
            "false"
        );
        assert_eq!(d(Value::list(vec![]), Value::list(vec![])), "true");
        assert_eq!(
            d(Value::list(vec![Value::str("a")]), Value::strings(["a"])),
            "false"
        );
        assert_eq!(
            d(
                Value::typed_list(Elem::Int, vec![Value::Int(0), Value::Int(1)]),
                Value::list(vec![Value::Int(0), Value::Int(1)])
            ),
            "false"
        );
        assert_eq!(
            d(dict(&[("a", Value::Int(1))]), dict(&[("a", Value::Int(1))])),
            "true"
        );
        assert_eq!(
            d(
                dict(&[("a", Value::Int(1))]),
                dict(&[("a", Value::Int64(1))])
            ),
            "false"
        );
        assert_eq!(
            d(dict(&[("a", Value::Int(1))]), dict(&[("b", Value::Int(1))])),
            "false"
        );
        let split = Value::Map(Map::from_entries(
            Elem::String,
            [("_0".into(), Value::str("a"))].into_iter().collect(),
        ));
        assert_eq!(d(split, dict(&[("_0", Value::str("a"))])), "false");
        let nested = || {
            dict(&[(
                "a",
                Value::list(vec![Value::Int(1), dict(&[("b", Value::str("c"))])]),
            )])
        };
        assert_eq!(d(nested(), nested()), "true");
    }

    #[test]
    fn deep_equal_nan_and_identity() {
        let d = |x: Value, y: Value| b("deepEqual", &[x, y]);
        assert_eq!(d(Value::Float(f64::NAN), Value::Float(f64::NAN)), "false");
        let l = Value::list(vec![Value::Float(f64::NAN)]);
        assert_eq!(d(l.clone(), l), "true");
        assert_eq!(
            d(
                Value::list(vec![Value::Float(f64::NAN)]),
                Value::list(vec![Value::Float(f64::NAN)])
            ),
            "false"
        );
    }

    #[test]
    fn deep_equal_cycles_terminate() {
        let a = Map::new();
        a.insert("self", Value::Map(a.clone()));
        let b2 = Map::new();
        b2.insert("self", Value::Map(b2.clone()));
        assert_eq!(
            b(
                "deepEqual",
                &[Value::Map(a.clone()), Value::Map(b2.clone())]
            ),
            "true"
        );
        // Break the cycles so the maps are freed.
        a.borrow_mut().clear();
        b2.borrow_mut().clear();
    }
}
