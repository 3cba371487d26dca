//! Sprig v3.3.0's dictionary functions (`dict.go`): `dict`, `get`, `set`,
//! `unset`, `hasKey`, `pluck`, `keys`, `pick`, `omit`, `values`, `dig`,
//! `merge`, `mergeOverwrite` (and their `must` variants), `deepCopy`.
//!
//! Maps are Go maps: `set`, `unset` and `merge` change the map they are
//! given, and every holder of it sees the change (a map inside `.Values`
//! too). `merge` follows dario.cat/mergo v1.0.1, whose rules are not a
//! plain "destination wins": an empty destination value (0, "", false, no
//! value, an empty list or map) is replaced by the source's, nested maps
//! merge into the destination's own map in place, and source maps and
//! lists are shared, not copied, into the result.
//!
//! Go map iteration is random; where Sprig returns keys or values in that
//! order (`keys`, `values`) they come here in key order, one of Go's
//! possible orders (templates sort them with `sortAlpha`).
//!
//! A `map[string]interface {}` parameter given no value gets Go's nil map:
//! it reads as empty and refuses `set` (`assignment to entry in nil map`).

use std::collections::BTreeMap;

use super::{FuncError, FuncResult, Registry, Ty};
use crate::template::value::{Elem, List, Map, Str, Value};

/// Registers this family's functions.
pub(super) fn register(r: &mut Registry) {
    const MAP_KEY: &[Ty] = &[Ty::Map, Ty::String];
    r.add("dict", &[], Some(Ty::Any), dict);
    r.add("get", MAP_KEY, None, get);
    r.add("set", &[Ty::Map, Ty::String, Ty::Any], None, set);
    r.add("unset", MAP_KEY, None, unset);
    r.add("hasKey", MAP_KEY, None, has_key);
    r.add("pluck", &[Ty::String], Some(Ty::Map), pluck);
    r.add("keys", &[], Some(Ty::Map), keys);
    r.add("pick", &[Ty::Map], Some(Ty::String), pick);
    r.add("omit", &[Ty::Map], Some(Ty::String), omit);
    r.add("values", &[Ty::Map], None, values);
    r.add("merge", &[Ty::Map], Some(Ty::Map), merge);
    r.add("mustMerge", &[Ty::Map], Some(Ty::Map), must_merge);
    r.add("mergeOverwrite", &[Ty::Map], Some(Ty::Map), merge_overwrite);
    r.add(
        "mustMergeOverwrite",
        &[Ty::Map],
        Some(Ty::Map),
        must_merge_overwrite,
    );
    r.add("dig", &[], Some(Ty::Any), dig);
    r.add("deepCopy", &[Ty::Any], None, deep_copy);
    r.add("mustDeepCopy", &[Ty::Any], None, deep_copy);
}

/// A `map[string]interface {}` argument: `None` is Go's nil map.
fn map_arg(args: &[Value], i: usize) -> Result<Option<Map>, FuncError> {
    match args.get(i) {
        Some(Value::Map(m)) => Ok(Some(m.clone())),
        None | Some(Value::Nil) => Ok(None),
        Some(other) => Err(FuncError::new(format!(
            "wrong type for value; expected map[string]interface {{}}; got {}",
            other.type_name()
        ))),
    }
}

fn str_arg(args: &[Value], i: usize) -> Str {
    match args.get(i) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string().into(),
        None => "".into(),
    }
}

/// The maps of a variadic `...map[string]interface{}` from `from` on.
fn maps_from(args: &[Value], from: usize) -> Result<Vec<Option<Map>>, FuncError> {
    (from..args.len()).map(|i| map_arg(args, i)).collect()
}

/// Sprig's `strval`: a string as is, `[]byte` as text, anything else
/// (`fmt.Stringer`s included) as `%v`.
fn strval(v: &Value) -> Str {
    match v {
        Value::String(s) => s.clone(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned().into(),
        other => other.to_string().into(),
    }
}

/// `dict(v ...interface{}) map[string]interface{}`: keys by `strval`, a
/// key without a value gets "".
fn dict(args: &[Value]) -> FuncResult {
    let mut entries = BTreeMap::new();
    for pair in args.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or_else(|| Value::str(""));
        entries.insert(strval(&pair[0]), value);
    }
    Ok(Value::map(entries))
}

/// `get(d map[string]interface{}, key string) interface{}`: "" when absent.
fn get(args: &[Value]) -> FuncResult {
    let key = str_arg(args, 1);
    Ok(map_arg(args, 0)?
        .and_then(|m| m.get(&key))
        .unwrap_or_else(|| Value::str("")))
}

/// `set(d map[string]interface{}, key string, value interface{})
/// map[string]interface{}`: in place, returning the same map.
fn set(args: &[Value]) -> FuncResult {
    let m = map_arg(args, 0)?.ok_or_else(|| FuncError::new("assignment to entry in nil map"))?;
    m.insert(str_arg(args, 1), args.get(2).cloned().unwrap_or_default());
    Ok(Value::Map(m))
}

/// `unset(d map[string]interface{}, key string) map[string]interface{}`:
/// in place, returning the same map.
fn unset(args: &[Value]) -> FuncResult {
    let key = str_arg(args, 1);
    Ok(match map_arg(args, 0)? {
        Some(m) => {
            m.borrow_mut().remove(&*key);
            Value::Map(m)
        }
        None => Value::empty_map(),
    })
}

/// `hasKey(d map[string]interface{}, key string) bool`.
fn has_key(args: &[Value]) -> FuncResult {
    let key = str_arg(args, 1);
    Ok(Value::Bool(
        map_arg(args, 0)?.is_some_and(|m| m.contains_key(&key)),
    ))
}

/// `pluck(key string, d ...map[string]interface{}) []interface{}`.
fn pluck(args: &[Value]) -> FuncResult {
    let key = str_arg(args, 0);
    let found = maps_from(args, 1)?
        .into_iter()
        .flatten()
        .filter_map(|m| m.get(&key))
        .collect();
    Ok(Value::list(found))
}

/// `keys(dicts ...map[string]interface{}) []string`: each map's keys in
/// turn (sorted within a map here, random in Go).
fn keys(args: &[Value]) -> FuncResult {
    let mut out = Vec::new();
    for m in maps_from(args, 0)?.into_iter().flatten() {
        out.extend(m.keys());
    }
    Ok(Value::strings(out))
}

/// `pick(dict map[string]interface{}, keys ...string) map[string]interface{}`:
/// a new map.
fn pick(args: &[Value]) -> FuncResult {
    let mut res = BTreeMap::new();
    if let Some(m) = map_arg(args, 0)? {
        for i in 1..args.len() {
            let k = str_arg(args, i);
            if let Some(v) = m.get(&k) {
                res.insert(k, v);
            }
        }
    }
    Ok(Value::map(res))
}

/// `omit(dict map[string]interface{}, keys ...string) map[string]interface{}`:
/// a new map.
fn omit(args: &[Value]) -> FuncResult {
    let drop: Vec<Str> = (1..args.len()).map(|i| str_arg(args, i)).collect();
    let mut res = BTreeMap::new();
    if let Some(m) = map_arg(args, 0)? {
        for (k, v) in m.entries() {
            if !drop.contains(&k) {
                res.insert(k, v);
            }
        }
    }
    Ok(Value::map(res))
}

/// `values(dict map[string]interface{}) []interface{}` (in key order here,
/// random in Go).
fn values(args: &[Value]) -> FuncResult {
    let vals = match map_arg(args, 0)? {
        Some(m) => m.entries().into_iter().map(|(_, v)| v).collect(),
        None => Vec::new(),
    };
    Ok(Value::list(vals))
}

/// How a merge failed: mergo's returned error (which `merge` swallows into
/// "") or a Go panic (which fails the template even for `merge`).
enum MergeFail {
    Error(String),
    Panic(String),
}

/// Go's stack would overflow (a fatal error, not a template error) on a
/// map that holds itself; here the merge or copy fails instead.
const MAX_DEPTH: usize = 1000;

/// Sprig's `merge`/`mergeOverwrite` loop: `mergo.Merge(&dst, src)` for
/// each source in turn, into `dst` itself; a nil `dst` becomes a new map
/// at the first non-nil source.
fn merge_all(args: &[Value], overwrite: bool) -> Result<Value, MergeFail> {
    let mut dst = map_arg(args, 0).map_err(|e| MergeFail::Panic(e.0))?;
    for src in maps_from(args, 1).map_err(|e| MergeFail::Panic(e.0))? {
        let Some(src) = src else { continue };
        let d = dst.get_or_insert_with(Map::new);
        merge_map(d, &src, overwrite, 0)?;
    }
    Ok(dst.map_or_else(Value::empty_map, Value::Map))
}

/// `merge(dst map[string]interface{}, srcs ...map[string]interface{})
/// interface{}`: "" when mergo fails.
fn merge(args: &[Value]) -> FuncResult {
    swallow(merge_all(args, false))
}

/// `mergeOverwrite(dst, srcs...)`: sources win; "" when mergo fails.
fn merge_overwrite(args: &[Value]) -> FuncResult {
    swallow(merge_all(args, true))
}

/// `mustMerge(dst, srcs...) (interface{}, error)`.
fn must_merge(args: &[Value]) -> FuncResult {
    surface(merge_all(args, false))
}

/// `mustMergeOverwrite(dst, srcs...) (interface{}, error)`.
fn must_merge_overwrite(args: &[Value]) -> FuncResult {
    surface(merge_all(args, true))
}

fn swallow(r: Result<Value, MergeFail>) -> FuncResult {
    match r {
        Ok(v) => Ok(v),
        Err(MergeFail::Error(_)) => Ok(Value::str("")),
        Err(MergeFail::Panic(p)) => Err(FuncError::new(p)),
    }
}

fn surface(r: Result<Value, MergeFail>) -> FuncResult {
    r.map_err(|(MergeFail::Error(e) | MergeFail::Panic(e))| FuncError::new(e))
}

/// mergo's `isEmptyValue` (dereferencing): zero numbers, false, "", empty
/// slices and maps, no value. A pointer to a struct is never empty.
fn is_empty_value(v: &Value) -> bool {
    match v {
        Value::Nil => true,
        Value::Bool(b) => !b,
        Value::Int(i) | Value::Int64(i) => *i == 0,
        Value::Uint64(u) => *u == 0,
        Value::Float(f) => *f == 0.0,
        Value::String(s) => s.is_empty(),
        Value::Bytes(b) | Value::Binary(b) => b.is_empty(),
        Value::List(l) => l.items.is_empty(),
        Value::Map(m) => m.is_empty(),
        Value::Object(_) => false,
    }
}

/// The Go type of `src`'s values as reflect sees them through `MapIndex`:
/// `interface {}` for a `map[string]interface {}` whatever each holds.
fn map_elem_type(m: &Map) -> &'static str {
    m.elem.go_name()
}

/// `dst.SetMapIndex(key, v)` where `v` has the Go type `ty`: a typed map
/// (`map[string]string`) refuses other types, as reflect panics.
fn set_index(dst: &Map, key: &Str, v: Value, ty: &str) -> Result<(), MergeFail> {
    if dst.elem != Elem::Any && ty != dst.elem.go_name() {
        return Err(MergeFail::Panic(format!(
            "reflect.Value.SetMapIndex: value of type {ty} is not assignable to type {}",
            dst.elem.go_name()
        )));
    }
    dst.insert(key.clone(), v);
    Ok(())
}

/// mergo v1.0.1's `deepMerge` of two maps (`Config{Overwrite: overwrite}`),
/// key by key as its `reflect.Map` case does.
fn merge_map(dst: &Map, src: &Map, overwrite: bool, depth: usize) -> Result<(), MergeFail> {
    if depth > MAX_DEPTH {
        return Err(MergeFail::Panic(
            "runtime: goroutine stack exceeds 1000000000-byte limit".into(),
        ));
    }
    let src_ty = map_elem_type(src);
    // A snapshot: `dst` may be `src` (merge $a $a), and holding a borrow of
    // `src` while inserting into it would fail.
    for (key, s) in src.entries() {
        let d = dst.get(&key);
        // The element as reflect sees it: for a map of interfaces, a nil
        // interface is skipped (or, overwriting, copied over).
        if s.is_nil() {
            if overwrite {
                set_index(dst, &key, Value::Nil, src_ty)?;
            }
            continue;
        }
        match &s {
            Value::Map(_) | Value::Object(_) => {
                // deepMerge(dstElement, srcElement): only a map into a map
                // does anything (in place), and an interface into a pointer
                // to a struct is mergo's type error.
                match (&d, &s) {
                    (Some(Value::Map(dm)), Value::Map(sm)) => {
                        merge_map(dm, sm, overwrite, depth + 1)?;
                    }
                    (Some(Value::Object(o)), Value::Map(_)) if !overwrite && o.kind() == "ptr" => {
                        return Err(MergeFail::Error("src and dst must be of same type".into()));
                    }
                    _ => {}
                }
            }
            Value::List(_) | Value::Bytes(_) => {
                // mergo always stores a slice here: the source's when
                // overwriting or when the whole destination map is empty,
                // else the destination's (an empty one of the source's
                // type when absent); the rules below may then replace it.
                let chosen = if overwrite || dst.is_empty() {
                    s.clone()
                } else {
                    match &d {
                        None | Some(Value::Nil) => empty_like(&s),
                        Some(v) => v.clone(),
                    }
                };
                let ty = chosen.type_name();
                set_index(dst, &key, chosen, &ty)?;
            }
            _ => {}
        }
        if let Some(dv) = &d {
            if !is_empty_value(dv) {
                if matches!(s, Value::List(_) | Value::Bytes(_)) {
                    continue;
                }
                if matches!((&s, dv), (Value::Map(_), Value::Map(_))) {
                    continue;
                }
            }
        }
        if overwrite || d.as_ref().is_none_or(is_empty_value) {
            set_index(dst, &key, s, src_ty)?;
        }
    }
    Ok(())
}

/// An empty slice of `v`'s slice type.
fn empty_like(v: &Value) -> Value {
    match v {
        Value::List(l) => Value::typed_list(l.elem, Vec::new()),
        Value::Bytes(_) => Value::Bytes(Vec::new().into()),
        other => other.clone(),
    }
}

/// `dig(ps ...interface{}) (interface{}, error)`: `dig "a" "b" DEFAULT
/// DICT` walks DICT by the keys, DEFAULT for a missing key; the type
/// assertions panic on a key that is not a string or a step that is not a
/// `map[string]interface {}`.
fn dig(args: &[Value]) -> FuncResult {
    if args.len() < 3 {
        return Err(FuncError::new("dig needs at least three arguments"));
    }
    let conversion = |v: &Value, want: &str| {
        let got = match v {
            Value::Nil => "nil".to_string(),
            other => other.type_name(),
        };
        FuncError::new(format!(
            "interface conversion: interface {{}} is {got}, not {want}"
        ))
    };
    let as_dict = |v: &Value| match v {
        Value::Map(m) if m.elem == Elem::Any && m.named.is_none() => Ok(m.clone()),
        other => Err(conversion(other, "map[string]interface {}")),
    };
    let n = args.len();
    let mut dict = as_dict(&args[n - 1])?;
    let default = &args[n - 2];
    let mut ks = Vec::with_capacity(n - 2);
    for k in &args[..n - 2] {
        match k {
            Value::String(s) => ks.push(s.clone()),
            other => return Err(conversion(other, "string")),
        }
    }
    for (i, k) in ks.iter().enumerate() {
        let Some(step) = dict.get(k) else {
            return Ok(default.clone());
        };
        if i + 1 == ks.len() {
            return Ok(step);
        }
        dict = as_dict(&step)?;
    }
    Ok(default.clone())
}

/// `deepCopy(i interface{}) interface{}` (copystructure): maps and slices
/// copied all the way down; no value at all fails inside reflect.
///
/// copystructure copies only exported struct fields, so Go's copy of a
/// `*semver.Version` is a zero version; objects are shared here instead.
fn deep_copy(args: &[Value]) -> FuncResult {
    match args.first() {
        None | Some(Value::Nil) => Err(FuncError::new(
            "reflect: call of reflect.Value.Type on zero Value",
        )),
        Some(v) => copy_value(v, 0),
    }
}

fn copy_value(v: &Value, depth: usize) -> FuncResult {
    if depth > MAX_DEPTH {
        return Err(FuncError::new(
            "runtime: goroutine stack exceeds 1000000000-byte limit",
        ));
    }
    Ok(match v {
        Value::Map(m) => {
            let mut entries = BTreeMap::new();
            for (k, item) in m.entries() {
                entries.insert(k, copy_value(&item, depth + 1)?);
            }
            Value::Map(Map::from_entries(m.elem, entries))
        }
        Value::List(l) => {
            let items = l
                .items
                .iter()
                .map(|item| copy_value(item, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            Value::List(List {
                elem: l.elem,
                items: items.into(),
                nil: l.nil,
            })
        }
        Value::Bytes(b) => Value::Bytes(b.to_vec().into()),
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::funcs::call;

    fn d(pairs: &[(&str, Value)]) -> Value {
        Value::map(
            pairs
                .iter()
                .map(|(k, v)| (Str::from(*k), v.clone()))
                .collect(),
        )
    }

    fn i(x: i64) -> Value {
        Value::Int(x)
    }

    fn s(x: &str) -> Value {
        Value::str(x)
    }

    fn ints(xs: &[i64]) -> Value {
        Value::list(xs.iter().map(|&x| Value::Int(x)).collect())
    }

    fn ok(name: &str, args: &[Value]) -> String {
        let v = call(name, args).unwrap_or_else(|e| panic!("{name}: {e}"));
        v.to_string()
    }

    fn err(name: &str, args: &[Value]) -> String {
        match call(name, args) {
            Ok(v) => panic!("{name} gave {v:?}"),
            Err(e) => e.0,
        }
    }

    #[test]
    fn dicts() {
        assert_eq!(ok("dict", &[s("a"), i(1), s("b"), s("x")]), "map[a:1 b:x]");
        assert_eq!(ok("dict", &[s("a"), i(1), s("b")]), "map[a:1 b:]");
        let odd = call("dict", &[s("a")]).unwrap();
        assert_eq!(
            odd.as_map().unwrap().get("a").unwrap().type_name(),
            "string"
        );
        assert_eq!(ok("dict", &[]), "map[]");
        assert_eq!(
            call("dict", &[]).unwrap().type_name(),
            "map[string]interface {}"
        );
        assert_eq!(ok("dict", &[i(1), i(2)]), "map[1:2]");
        assert_eq!(ok("dict", &[s("a"), i(1), s("a"), i(2)]), "map[a:2]");
        assert_eq!(ok("dict", &[Value::Nil, i(1)]), "map[<nil>:1]");
        let keys = call(
            "dict",
            &[
                Value::Float(1.5),
                s("f"),
                Value::Bool(true),
                s("b"),
                Value::Nil,
                s("n"),
                ints(&[1, 2]),
                s("l"),
                Value::Float(1e6),
                s("e"),
                Value::Int64(7),
                s("i"),
            ],
        )
        .unwrap();
        assert_eq!(
            keys.as_map().unwrap().keys().join(","),
            "1.5,1e+06,7,<nil>,[1 2],true"
        );
    }

    #[test]
    fn get_set_unset() {
        assert_eq!(ok("get", &[d(&[("a", i(1))]), s("a")]), "1");
        let missing = call("get", &[d(&[("a", i(1))]), s("b")]).unwrap();
        assert_eq!(missing.type_name(), "string");
        assert_eq!(missing.to_string(), "");
        assert_eq!(
            call("get", &[d(&[("a", Value::Nil)]), s("a")])
                .unwrap()
                .type_name(),
            "<nil>"
        );
        assert_eq!(ok("get", &[Value::Nil, s("a")]), "");

        let m = d(&[]);
        let outer = d(&[("in", m.clone())]);
        let r = call("set", &[m.clone(), s("k"), i(2)]).unwrap();
        assert!(r.as_map().unwrap().ptr_eq(m.as_map().unwrap()));
        assert_eq!(outer.to_string(), "map[in:map[k:2]]");
        assert_eq!(ok("set", &[d(&[("a", i(1))]), s("a"), s("x")]), "map[a:x]");
        assert_eq!(ok("set", &[d(&[]), s("a"), Value::Nil]), "map[a:<nil>]");
        assert_eq!(
            err("set", &[Value::Nil, s("a"), i(1)]),
            "assignment to entry in nil map"
        );

        let m = d(&[("a", i(1)), ("b", i(2))]);
        assert_eq!(ok("unset", &[m.clone(), s("b")]), "map[a:1]");
        assert_eq!(m.to_string(), "map[a:1]");
        assert_eq!(ok("unset", &[m.clone(), s("z")]), "map[a:1]");
        assert_eq!(ok("unset", &[Value::Nil, s("a")]), "map[]");
    }

    #[test]
    fn lookups() {
        assert_eq!(ok("hasKey", &[d(&[("a", Value::Nil)]), s("a")]), "true");
        assert_eq!(ok("hasKey", &[d(&[("a", i(1))]), s("b")]), "false");
        assert_eq!(ok("hasKey", &[d(&[("", i(1))]), s("")]), "true");
        assert_eq!(ok("hasKey", &[Value::Nil, s("a")]), "false");
        assert_eq!(
            ok(
                "pluck",
                &[
                    s("a"),
                    d(&[("a", i(1))]),
                    d(&[("b", i(2))]),
                    d(&[("a", i(3))])
                ]
            ),
            "[1 3]"
        );
        assert_eq!(
            call("pluck", &[s("a")]).unwrap().type_name(),
            "[]interface {}"
        );
        assert_eq!(ok("pluck", &[s("a"), Value::Nil]), "[]");
        let k = call(
            "keys",
            &[d(&[("b", i(1))]), d(&[("a", i(2))]), d(&[("b", i(3))])],
        )
        .unwrap();
        assert_eq!(k.type_name(), "[]string");
        assert_eq!(k.to_string(), "[b a b]");
        assert_eq!(ok("keys", &[]), "[]");
        assert_eq!(ok("keys", &[Value::Nil]), "[]");
        let abc = d(&[("a", i(1)), ("b", i(2)), ("c", i(3))]);
        assert_eq!(
            ok("pick", &[abc.clone(), s("a"), s("c"), s("z")]),
            "map[a:1 c:3]"
        );
        assert_eq!(ok("pick", std::slice::from_ref(&abc)), "map[]");
        assert_eq!(ok("omit", &[abc.clone(), s("a"), s("z")]), "map[b:2 c:3]");
        assert_eq!(ok("omit", std::slice::from_ref(&abc)), "map[a:1 b:2 c:3]");
        assert_eq!(ok("pick", &[Value::Nil, s("a")]), "map[]");
        assert_eq!(ok("omit", &[Value::Nil, s("a")]), "map[]");
        let p = call("pick", &[abc.clone(), s("a")]).unwrap();
        call("set", &[p.clone(), s("z"), i(9)]).unwrap();
        assert_eq!(abc.to_string(), "map[a:1 b:2 c:3]");
        assert_eq!(ok("values", &[d(&[("a", s("x")), ("b", s("y"))])]), "[x y]");
        assert_eq!(
            call("values", &[d(&[])]).unwrap().type_name(),
            "[]interface {}"
        );
        assert_eq!(ok("values", &[Value::Nil]), "[]");
    }

    #[test]
    fn merge_keeps_dst() {
        let dst = d(&[("a", i(1)), ("b", i(2))]);
        assert_eq!(
            ok("merge", &[dst.clone(), d(&[("b", i(3)), ("c", i(4))])]),
            "map[a:1 b:2 c:4]"
        );
        assert_eq!(dst.to_string(), "map[a:1 b:2 c:4]");
        assert_eq!(
            ok(
                "merge",
                &[
                    d(&[("a", d(&[("x", i(1))]))]),
                    d(&[("a", d(&[("x", i(2)), ("y", i(3))]))])
                ]
            ),
            "map[a:map[x:1 y:3]]"
        );
        assert_eq!(
            ok(
                "merge",
                &[
                    d(&[("a", i(1))]),
                    d(&[("b", i(2))]),
                    d(&[("b", i(3)), ("c", i(4))])
                ]
            ),
            "map[a:1 b:2 c:4]"
        );
        assert_eq!(ok("merge", &[d(&[("a", i(1))])]), "map[a:1]");
        assert_eq!(ok("merge", &[Value::Nil, d(&[("a", i(1))])]), "map[a:1]");
        assert_eq!(
            ok("mergeOverwrite", &[Value::Nil, d(&[("a", i(1))])]),
            "map[a:1]"
        );
        assert_eq!(ok("merge", &[Value::Nil]), "map[]");
    }

    #[test]
    fn merge_replaces_empty_dst() {
        let dst = d(&[
            ("i", i(0)),
            ("s", s("")),
            ("b", Value::Bool(false)),
            ("n", Value::Nil),
            ("l", ints(&[])),
            ("m", d(&[])),
            ("f", Value::Float(0.0)),
        ]);
        let src = d(&[
            ("i", i(1)),
            ("s", s("x")),
            ("b", Value::Bool(true)),
            ("n", s("v")),
            ("l", ints(&[1])),
            ("m", d(&[("k", i(1))])),
            ("f", Value::Float(1.5)),
        ]);
        assert_eq!(
            ok("merge", &[dst, src]),
            "map[b:true f:1.5 i:1 l:[1] m:map[k:1] n:v s:x]"
        );
        let dst = d(&[("i", i(1)), ("s", s("x")), ("b", Value::Bool(true))]);
        let src = d(&[("i", i(0)), ("s", s("")), ("b", Value::Bool(false))]);
        assert_eq!(ok("merge", &[dst, src]), "map[b:true i:1 s:x]");
        let r = call(
            "merge",
            &[
                d(&[("a", i(1))]),
                d(&[("b", Value::Nil), ("a", Value::Nil)]),
            ],
        )
        .unwrap();
        assert_eq!(r.to_string(), "map[a:1]");
    }

    #[test]
    fn merge_kinds() {
        let two = |a: Value, b: Value| ok("merge", &[d(&[("a", a)]), d(&[("a", b)])]);
        let two_o = |a: Value, b: Value| ok("mergeOverwrite", &[d(&[("a", a)]), d(&[("a", b)])]);
        assert_eq!(two(ints(&[1, 2]), ints(&[3])), "map[a:[1 2]]");
        assert_eq!(two(s("x"), ints(&[3])), "map[a:x]");
        assert_eq!(two(s("x"), d(&[("b", i(1))])), "map[a:x]");
        assert_eq!(two(d(&[("b", i(1))]), s("x")), "map[a:map[b:1]]");
        assert_eq!(two(ints(&[1]), ints(&[])), "map[a:[1]]");
        assert_eq!(two(Value::Nil, d(&[("b", i(1))])), "map[a:map[b:1]]");
        assert_eq!(two(Value::Nil, ints(&[1])), "map[a:[1]]");
        assert_eq!(two(d(&[("b", i(1))]), ints(&[1])), "map[a:map[b:1]]");
        assert_eq!(two(ints(&[1]), s("x")), "map[a:[1]]");
        assert_eq!(two_o(ints(&[1, 2]), ints(&[])), "map[a:[]]");
        assert_eq!(two_o(d(&[("x", i(1))]), d(&[])), "map[a:map[x:1]]");
        assert_eq!(two_o(s("x"), d(&[("b", i(1))])), "map[a:map[b:1]]");
        assert_eq!(two_o(d(&[("b", i(1))]), s("x")), "map[a:x]");
        assert_eq!(two_o(d(&[("b", i(1))]), ints(&[1])), "map[a:[1]]");
        assert_eq!(two_o(ints(&[1]), s("x")), "map[a:x]");
        assert_eq!(two_o(i(1), Value::Nil), "map[a:<nil>]");
        assert_eq!(
            ok("merge", &[d(&[]), d(&[("l", Value::strings(["a"]))])]),
            "map[l:[a]]"
        );
        let r = call("merge", &[d(&[]), d(&[("l", Value::strings(["a"]))])]).unwrap();
        assert_eq!(
            r.as_map().unwrap().get("l").unwrap().type_name(),
            "[]string"
        );
    }

    #[test]
    fn merge_overwrite() {
        assert_eq!(
            ok(
                "mergeOverwrite",
                &[
                    d(&[("a", i(1)), ("b", i(2))]),
                    d(&[("b", i(3)), ("c", i(4))])
                ]
            ),
            "map[a:1 b:3 c:4]"
        );
        let dst = d(&[
            ("i", i(1)),
            ("s", s("x")),
            ("b", Value::Bool(true)),
            ("f", Value::Float(2.5)),
        ]);
        let src = d(&[
            ("i", i(0)),
            ("s", s("")),
            ("b", Value::Bool(false)),
            ("f", Value::Float(0.0)),
        ]);
        assert_eq!(ok("mergeOverwrite", &[dst, src]), "map[b:false f:0 i:0 s:]");
        assert_eq!(
            ok(
                "mergeOverwrite",
                &[
                    d(&[("a", d(&[("x", i(1)), ("z", i(0))]))]),
                    d(&[("a", d(&[("x", i(2)), ("y", i(3))]))])
                ]
            ),
            "map[a:map[x:2 y:3 z:0]]"
        );
        assert_eq!(
            ok(
                "mergeOverwrite",
                &[
                    d(&[("a", i(1))]),
                    d(&[("a", i(2))]),
                    d(&[("a", i(3)), ("b", i(1))])
                ]
            ),
            "map[a:3 b:1]"
        );
        assert_eq!(
            ok(
                "mustMergeOverwrite",
                &[d(&[("a", i(1))]), d(&[("a", i(2)), ("b", i(3))])]
            ),
            "map[a:2 b:3]"
        );
        assert_eq!(
            ok(
                "mustMerge",
                &[d(&[("a", i(1))]), d(&[("a", i(2)), ("b", i(3))])]
            ),
            "map[a:1 b:3]"
        );
    }

    #[test]
    fn merge_aliasing() {
        // Nested destination maps are merged in place.
        let inner = d(&[]);
        let dst = d(&[("a", inner.clone())]);
        call("merge", &[dst, d(&[("a", d(&[("y", i(2))]))])]).unwrap();
        assert_eq!(inner.to_string(), "map[y:2]");
        // Source maps are shared into the result.
        let src = d(&[("m", d(&[("k", i(1))]))]);
        let r = call("merge", &[d(&[]), src.clone()]).unwrap();
        let m = r.as_map().unwrap().get("m").unwrap();
        call("set", &[m, s("k"), i(2)]).unwrap();
        assert_eq!(src.to_string(), "map[m:map[k:2]]");
        // An empty destination map is replaced by the (shared) source map.
        let s_in = d(&[]);
        let r = call("merge", &[d(&[("m", d(&[]))]), d(&[("m", s_in.clone())])]).unwrap();
        call("set", &[s_in, s("k"), i(1)]).unwrap();
        assert_eq!(r.to_string(), "map[m:map[k:1]]");
        // Merging a map with itself changes nothing and does not panic.
        let a = d(&[("a", i(1)), ("b", d(&[("c", i(2))]))]);
        assert_eq!(ok("merge", &[a.clone(), a.clone()]), "map[a:1 b:map[c:2]]");
        assert_eq!(ok("mergeOverwrite", &[a.clone(), a]), "map[a:1 b:map[c:2]]");
    }

    #[test]
    fn merge_self_cycle_fails() {
        let a = Map::new();
        a.insert("me", Value::Map(a.clone()));
        let v = Value::Map(a.clone());
        assert!(call("merge", &[v.clone(), v.clone()]).is_err());
        assert!(call("deepCopy", &[v]).is_err());
        a.borrow_mut().clear();
    }

    #[test]
    fn merge_typed_dst() {
        let typed = Value::Map(Map::from_entries(Elem::String, BTreeMap::new()));
        let e = err(
            "merge",
            &[d(&[("a", typed)]), d(&[("a", d(&[("k", s("v"))]))])],
        );
        assert_eq!(
            e,
            "reflect.Value.SetMapIndex: value of type interface {} is not assignable to type string"
        );
    }

    #[test]
    fn digs() {
        let values = d(&[("b", d(&[("c", s("deep"))])), ("num", Value::Float(1.0))]);
        assert_eq!(
            ok("dig", &[s("b"), s("c"), s("def"), values.clone()]),
            "deep"
        );
        assert_eq!(
            ok("dig", &[s("b"), s("z"), s("def"), values.clone()]),
            "def"
        );
        assert_eq!(
            ok("dig", &[s("z"), s("q"), s("def"), values.clone()]),
            "def"
        );
        assert_eq!(ok("dig", &[s("b"), s(""), values.clone()]), "map[c:deep]");
        let r = call("dig", &[s("num"), i(0), values]).unwrap();
        assert_eq!(r.type_name(), "float64");
        assert_eq!(
            call("dig", &[s("a"), s("def"), d(&[("a", Value::Nil)])])
                .unwrap()
                .type_name(),
            "<nil>"
        );
        assert_eq!(
            err("dig", &[s("a"), d(&[])]),
            "dig needs at least three arguments"
        );
        assert_eq!(
            err("dig", &[i(1), s("def"), d(&[])]),
            "interface conversion: interface {} is int, not string"
        );
        assert_eq!(
            err("dig", &[s("a"), s("def"), s("str")]),
            "interface conversion: interface {} is string, not map[string]interface {}"
        );
        assert_eq!(
            err("dig", &[s("a"), s("def"), Value::Nil]),
            "interface conversion: interface {} is nil, not map[string]interface {}"
        );
        assert_eq!(
            err("dig", &[s("a"), s("b"), s("def"), d(&[("a", s("str"))])]),
            "interface conversion: interface {} is string, not map[string]interface {}"
        );
        assert_eq!(
            err("dig", &[s("a"), s("b"), s("def"), d(&[("a", Value::Nil)])]),
            "interface conversion: interface {} is nil, not map[string]interface {}"
        );
    }

    #[test]
    fn deep_copies() {
        let a = d(&[("x", d(&[("y", i(1))]))]);
        let b = call("deepCopy", std::slice::from_ref(&a)).unwrap();
        let bx = b.as_map().unwrap().get("x").unwrap();
        call("set", &[bx, s("y"), i(2)]).unwrap();
        assert_eq!(format!("{a} {b}"), "map[x:map[y:1]] map[x:map[y:2]]");
        assert_eq!(ok("deepCopy", &[d(&[("a", Value::Nil)])]), "map[a:<nil>]");
        assert_eq!(
            call("deepCopy", &[Value::strings(["a"])])
                .unwrap()
                .type_name(),
            "[]string"
        );
        assert_eq!(call("deepCopy", &[i(1)]).unwrap().type_name(), "int");
        let e = "reflect: call of reflect.Value.Type on zero Value";
        assert_eq!(err("deepCopy", &[Value::Nil]), e);
        assert_eq!(err("mustDeepCopy", &[Value::Nil]), e);
    }
}
