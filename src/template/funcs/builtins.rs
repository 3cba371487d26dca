//! Go `text/template`'s builtin functions (`text/template/funcs.go`):
//! `and`, `or`, `not`, `len`, `index`, `call`, `eq`, `ne`, `lt`, `le`,
//! `gt`, `ge`, `print`, `printf`, `println`, `html`, `js`, `urlquery`.
//! Go's `slice` is not here: Sprig's `slice` replaces it in Helm.
//!
//! Most take `reflect.Value`s ([`Ty::Reflect`]), so they see arguments
//! unconverted, no value included ([`Value::Nil`], which is Go's missing
//! map entry or nil interface). The reflect kinds of the model: `bool`,
//! `int` (`int` and `int64`), `float64`, `string`, slices (`List`,
//! `Bytes`), maps, and objects (`ptr` to a struct, or what
//! [`crate::template::value::Object::kind`] says).

use super::{FuncError, FuncResult, Registry, Ty};
use crate::template::gofmt;
use crate::template::value::{Elem, List, Map, Object, Value};
use std::rc::Rc;

/// Registers this family's functions.
pub(super) fn register(r: &mut Registry) {
    // `and` and `or` are evaluated by the executor (they short-circuit);
    // registered so that their names resolve, with Go's signatures.
    r.add("and", &[Ty::Reflect], Some(Ty::Reflect), and);
    r.add("or", &[Ty::Reflect], Some(Ty::Reflect), or);
    r.add("not", &[Ty::Reflect], None, not);
    r.add("len", &[Ty::Reflect], None, length);
    r.add("index", &[Ty::Reflect], Some(Ty::Reflect), index);
    r.add("call", &[Ty::Reflect], Some(Ty::Reflect), call);
    r.add("eq", &[Ty::Reflect], Some(Ty::Reflect), eq);
    r.add("ne", &[Ty::Reflect, Ty::Reflect], None, ne);
    r.add("lt", &[Ty::Reflect, Ty::Reflect], None, lt);
    r.add("le", &[Ty::Reflect, Ty::Reflect], None, le);
    r.add("gt", &[Ty::Reflect, Ty::Reflect], None, gt);
    r.add("ge", &[Ty::Reflect, Ty::Reflect], None, ge);
    r.add("print", &[], Some(Ty::Any), print);
    r.add("printf", &[Ty::String], Some(Ty::Any), printf);
    r.add("println", &[], Some(Ty::Any), println);
    r.add("html", &[], Some(Ty::Any), html);
    r.add("js", &[], Some(Ty::Any), js);
    r.add("urlquery", &[], Some(Ty::Any), urlquery);
}

fn err<T>(msg: impl Into<String>) -> Result<T, FuncError> {
    Err(FuncError::new(msg))
}

// ---------------------------------------------------------------------------
// and, or, not

/// `and`: the first false operand, or the last.
fn and(args: &[Value]) -> FuncResult {
    for a in args {
        if !a.truthy() {
            return Ok(a.clone());
        }
    }
    Ok(args.last().cloned().unwrap_or_default())
}

/// `or`: the first true operand, or the last.
fn or(args: &[Value]) -> FuncResult {
    for a in args {
        if a.truthy() {
            return Ok(a.clone());
        }
    }
    Ok(args.last().cloned().unwrap_or_default())
}

/// `not`: the negation of the operand's truth.
fn not(args: &[Value]) -> FuncResult {
    Ok(Value::Bool(!args.first().is_some_and(Value::truthy)))
}

// ---------------------------------------------------------------------------
// len, index

/// The type Go names after `indirect` removes a pointer: `*chart.Metadata`
/// is `chart.Metadata`.
fn indirect_type_name(o: &dyn Object) -> String {
    let t = o.type_name();
    match (o.kind(), t.strip_prefix('*')) {
        ("ptr", Some(inner)) => inner.to_string(),
        _ => t,
    }
}

/// The map behind an object of kind `map` (such as `.Files`), from its
/// plain data.
fn object_map(o: &dyn Object) -> Option<Map> {
    if o.kind() != "map" {
        return None;
    }
    match o.to_data() {
        Value::Map(m) => Some(m),
        _ => None,
    }
}

/// `len`: the length of a string (in bytes), slice or map.
fn length(args: &[Value]) -> FuncResult {
    let item = args.first().cloned().unwrap_or_default();
    let n = match &item {
        // Go's `len .Values.missing`: a nil interface (the literal `nil`
        // would fail inside reflect instead; the model cannot tell them
        // apart and keeps the common case).
        Value::Nil => return err("len of nil pointer"),
        Value::String(s) => s.len(),
        Value::Bytes(b) | Value::Binary(b) => b.len(),
        Value::List(l) => l.items.len(),
        Value::Map(m) => m.len(),
        Value::Object(o) => match object_map(o.as_ref()) {
            Some(m) => m.len(),
            None => return err(format!("len of type {}", indirect_type_name(o.as_ref()))),
        },
        other => return err(format!("len of type {}", other.type_name())),
    };
    Ok(Value::Int(n as i64))
}

/// Go's `indexArg`: an integer index below or at `cap`.
fn index_arg(index: &Value, cap: usize) -> Result<usize, FuncError> {
    let x = match index {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Uint64(u) => i64::try_from(*u).unwrap_or(i64::MAX),
        Value::Nil => return err("cannot index slice/array with nil"),
        other => {
            return err(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            ))
        }
    };
    if x < 0 || x as u64 > cap as u64 {
        return err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

/// The zero value of a map's element type: what a missing key yields.
fn zero_of(elem: Elem) -> Value {
    match elem {
        Elem::Any => Value::Nil,
        Elem::String => Value::str(""),
        Elem::Int => Value::Int(0),
        Elem::Int64 => Value::Int64(0),
        Elem::Float64 => Value::Float(0.0),
        Elem::Bool => Value::Bool(false),
        Elem::AnyList => Value::list(Vec::new()),
        Elem::AnyMap => Value::empty_map(),
    }
}

fn map_index(m: &Map, index: &Value) -> FuncResult {
    let key = match index {
        Value::String(s) => s,
        Value::Nil => return err("value is nil; should be of type string"),
        other => {
            return err(format!(
                "value has type {}; should be string",
                other.type_name()
            ))
        }
    };
    Ok(m.get(key).unwrap_or_else(|| zero_of(m.elem)))
}

fn list_index(l: &List, index: &Value) -> FuncResult {
    let x = index_arg(index, l.items.len())?;
    match l.items.get(x) {
        Some(v) => Ok(v.clone()),
        // Go's check lets the length through, and reflect panics.
        None => err("reflect: slice index out of range"),
    }
}

/// `index x 1 2 3`: `x[1][2][3]`, through maps, slices and strings (a
/// byte of a string is its number).
fn index(args: &[Value]) -> FuncResult {
    let mut item = args.first().cloned().unwrap_or_default();
    if item.is_nil() {
        return err("index of untyped nil");
    }
    for idx in args.iter().skip(1) {
        item = match &item {
            Value::Nil => return err("index of nil pointer"),
            Value::List(l) => list_index(l, idx)?,
            Value::String(s) => {
                let x = index_arg(idx, s.len())?;
                match s.as_bytes().get(x) {
                    Some(b) => Value::Int(i64::from(*b)),
                    None => return err("reflect: string index out of range"),
                }
            }
            Value::Bytes(b) => {
                let x = index_arg(idx, b.len())?;
                match b.get(x) {
                    Some(c) => Value::Int(i64::from(*c)),
                    None => return err("reflect: slice index out of range"),
                }
            }
            Value::Map(m) => map_index(m, idx)?,
            Value::Object(o) => match object_map(o.as_ref()) {
                Some(m) => map_index(&m, idx)?,
                None => {
                    return err(format!(
                        "can't index item of type {}",
                        indirect_type_name(o.as_ref())
                    ))
                }
            },
            other => return err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(item)
}

// ---------------------------------------------------------------------------
// call

/// Go's `call` error for the callee `callee` (the text of the argument's
/// node, as the executor has it: `.Values.f`, `1`) that evaluated to `f`.
/// There are no function values in the model, so every `call` fails:
/// `call of nil` or `non-function NAME of type T`.
pub fn call_error(callee: &str, f: &Value) -> FuncError {
    if f.is_nil() {
        FuncError::new("call of nil")
    } else {
        FuncError::new(format!("non-function {callee} of type {}", f.type_name()))
    }
}

/// `call fn args...`. Go names the callee by its node's text, which a
/// function does not see: the executor should report
/// [`call_error`] with that text. Here the callee is named by its value,
/// which is the node's text for the usual literals.
fn call(args: &[Value]) -> FuncResult {
    let f = args.first().cloned().unwrap_or_default();
    let name = match &f {
        Value::String(s) => gofmt::quote(s),
        other => gofmt::format_v(other),
    };
    Err(call_error(&name, &f))
}

// ---------------------------------------------------------------------------
// Comparisons

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Invalid,
    Bool,
    Int,
    Uint,
    Float,
    String,
}

/// Go's `basicKind`.
fn basic_kind(v: &Value) -> Kind {
    match v {
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) | Value::Int64(_) => Kind::Int,
        Value::Uint64(_) => Kind::Uint,
        Value::Float(_) => Kind::Float,
        Value::String(_) | Value::Binary(_) => Kind::String,
        _ => Kind::Invalid,
    }
}

/// The reflect kind, for `canCompare`.
fn reflect_kind(v: &Value) -> &'static str {
    v.kind()
}

fn bad_comparison(a: &Value, b: &Value) -> FuncError {
    FuncError::new(format!(
        "incompatible types for comparison: {} and {}",
        a.type_name(),
        b.type_name()
    ))
}

fn bad_comparison_type() -> FuncError {
    FuncError::new("invalid type for comparison")
}

/// Whether the Go type of `v` is comparable with `==`.
fn comparable(v: &Value) -> bool {
    match v {
        Value::List(_) | Value::Bytes(_) | Value::Map(_) => false,
        Value::Object(o) => o.kind() != "map",
        _ => true,
    }
}

fn object_ptr(o: &Rc<dyn Object>) -> *const () {
    Rc::as_ptr(o) as *const ()
}

/// Go's `eq arg1 arg2...`: whether `arg1` equals any of the others.
fn eq_values(arg1: &Value, rest: &[Value]) -> Result<bool, FuncError> {
    if rest.is_empty() {
        return err("missing argument for comparison");
    }
    let k1 = basic_kind(arg1);
    for arg in rest {
        let k2 = basic_kind(arg);
        let truth = if k1 != k2 {
            // Integers compare whatever their sign.
            match (arg1, arg) {
                (_, Value::Uint64(u)) if k1 == Kind::Int => {
                    arg1.as_int().is_some_and(|i| u64::try_from(i) == Ok(*u))
                }
                (Value::Uint64(u), _) if k2 == Kind::Int => {
                    arg.as_int().is_some_and(|i| u64::try_from(i) == Ok(*u))
                }
                _ if !arg1.is_nil() && !arg.is_nil() => return Err(bad_comparison(arg1, arg)),
                _ => false,
            }
        } else {
            match (arg1, arg) {
                (Value::Bool(a), Value::Bool(b)) => a == b,
                (Value::Float(a), Value::Float(b)) => a == b,
                (Value::String(a), Value::String(b)) => a == b,
                (Value::Uint64(a), Value::Uint64(b)) => a == b,
                _ if k1 == Kind::String => arg1.as_go_bytes() == arg.as_go_bytes(),
                _ if k1 == Kind::Int => arg1.as_int() == arg.as_int(),
                _ => {
                    let (r1, r2) = (reflect_kind(arg1), reflect_kind(arg));
                    if r1 != r2 && !arg1.is_nil() && !arg.is_nil() {
                        return err(format!(
                            "non-comparable types {}: {}, {}: {}",
                            gofmt::sprintf("%s", std::slice::from_ref(arg1)),
                            arg1.type_name(),
                            arg.type_name(),
                            gofmt::format_v(arg)
                        ));
                    }
                    if arg1.is_nil() || arg.is_nil() {
                        arg1.is_nil() == arg.is_nil()
                    } else if !comparable(arg) {
                        return err(format!(
                            "non-comparable type {}: {}",
                            gofmt::sprintf("%s", std::slice::from_ref(arg)),
                            arg.type_name()
                        ));
                    } else {
                        match (arg1, arg) {
                            (Value::Object(a), Value::Object(b)) => object_ptr(a) == object_ptr(b),
                            _ => false,
                        }
                    }
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Go's `lt`.
fn lt_values(arg1: &Value, arg2: &Value) -> Result<bool, FuncError> {
    let k1 = basic_kind(arg1);
    if k1 == Kind::Invalid {
        return Err(bad_comparison_type());
    }
    let k2 = basic_kind(arg2);
    if k2 == Kind::Invalid {
        return Err(bad_comparison_type());
    }
    if k1 != k2 {
        // Integers compare whatever their sign.
        return match (arg1.as_int(), arg2, arg1, arg2.as_int()) {
            (Some(i), Value::Uint64(u), _, _) => Ok(u64::try_from(i).map_or(true, |i| i < *u)),
            (_, _, Value::Uint64(u), Some(i)) => Ok(u64::try_from(i).is_ok_and(|i| *u < i)),
            _ => Err(bad_comparison(arg1, arg2)),
        };
    }
    Ok(match (arg1, arg2) {
        (Value::Float(a), Value::Float(b)) => a < b,
        (Value::String(a), Value::String(b)) => a < b,
        (Value::Uint64(a), Value::Uint64(b)) => a < b,
        _ if k1 == Kind::String => arg1.as_go_bytes() < arg2.as_go_bytes(),
        _ if k1 == Kind::Int => arg1.as_int() < arg2.as_int(),
        _ => return Err(bad_comparison_type()),
    })
}

fn pair(args: &[Value]) -> (Value, Value) {
    (
        args.first().cloned().unwrap_or_default(),
        args.get(1).cloned().unwrap_or_default(),
    )
}

/// `eq arg1 arg2...`: `arg1 == arg2 || arg1 == arg3 || ...`.
fn eq(args: &[Value]) -> FuncResult {
    let arg1 = args.first().cloned().unwrap_or_default();
    let rest = args.get(1..).unwrap_or(&[]);
    eq_values(&arg1, rest).map(Value::Bool)
}

/// `ne a b`: `a != b`.
fn ne(args: &[Value]) -> FuncResult {
    let (a, b) = pair(args);
    eq_values(&a, &[b]).map(|e| Value::Bool(!e))
}

/// `lt a b`: `a < b`.
fn lt(args: &[Value]) -> FuncResult {
    let (a, b) = pair(args);
    lt_values(&a, &b).map(Value::Bool)
}

/// `le a b`: `a < b || a == b`.
fn le(args: &[Value]) -> FuncResult {
    let (a, b) = pair(args);
    if lt_values(&a, &b)? {
        return Ok(Value::Bool(true));
    }
    eq_values(&a, &[b]).map(Value::Bool)
}

/// `gt a b`: `!(a <= b)`.
fn gt(args: &[Value]) -> FuncResult {
    le(args).map(|v| Value::Bool(!v.truthy()))
}

/// `ge a b`: `!(a < b)`.
fn ge(args: &[Value]) -> FuncResult {
    let (a, b) = pair(args);
    lt_values(&a, &b).map(|l| Value::Bool(!l))
}

// ---------------------------------------------------------------------------
// print, printf, println

fn print(args: &[Value]) -> FuncResult {
    Ok(Value::go_string(gofmt::sprint_bytes(args)))
}

fn printf(args: &[Value]) -> FuncResult {
    let format = args.first().and_then(Value::as_str).unwrap_or("");
    Ok(Value::go_string(gofmt::sprintf_bytes(
        format,
        args.get(1..).unwrap_or(&[]),
    )))
}

fn println(args: &[Value]) -> FuncResult {
    Ok(Value::go_string(gofmt::sprintln_bytes(args)))
}

// ---------------------------------------------------------------------------
// html, js, urlquery

/// An object seen through a dereferenced pointer: Go's `printableValue`
/// indirects a `*T`, which then prints as `{...}` rather than `&{...}`.
struct Deref(Rc<dyn Object>);

impl Object for Deref {
    fn type_name(&self) -> String {
        indirect_type_name(self.0.as_ref())
    }
    fn kind(&self) -> &'static str {
        "struct"
    }
    fn field(&self, name: &str) -> Option<Value> {
        self.0.field(name)
    }
    fn format_v(&self) -> String {
        let s = self.0.format_v();
        match s.strip_prefix("&{") {
            Some(rest) => format!("{{{rest}"),
            None => s,
        }
    }
    fn to_data(&self) -> Value {
        self.0.to_data()
    }
}

/// Go's `evalArgs`: `fmt.Sprint` of the arguments, no value printing as
/// `<no value>` (and a lone string as itself).
fn eval_args(args: &[Value]) -> String {
    if let [Value::String(s)] = args {
        return s.to_string();
    }
    let printable: Vec<Value> = args
        .iter()
        .map(|a| match a {
            Value::Nil => Value::str("<no value>"),
            Value::Object(o) if o.kind() == "ptr" => Value::Object(Rc::new(Deref(o.clone()))),
            other => other.clone(),
        })
        .collect();
    gofmt::sprint(&printable)
}

/// Go's `template.HTMLEscapeString`.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{fffd}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
pub fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if c < ' ' => out.push_str(&format!("\\u00{:02X}", c as u32)),
            c if c.is_ascii() || gofmt::is_print(c) => out.push(c),
            c => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn html(args: &[Value]) -> FuncResult {
    Ok(Value::from(html_escape(&eval_args(args))))
}

fn js(args: &[Value]) -> FuncResult {
    Ok(Value::from(js_escape(&eval_args(args))))
}

fn urlquery(args: &[Value]) -> FuncResult {
    Ok(Value::from(query_escape(&eval_args(args))))
}

#[cfg(test)]
mod tests {
    //! Expected values and messages are real Helm v4.3.0's (the oracle;
    //! see tests/template/builtins).
    use super::super::call;
    use super::*;
    use std::collections::BTreeMap;

    fn i(n: i64) -> Value {
        Value::Int(n)
    }
    fn s(x: &str) -> Value {
        Value::str(x)
    }
    fn l(items: Vec<Value>) -> Value {
        Value::list(items)
    }
    fn dict(pairs: &[(&str, Value)]) -> Value {
        let mut m = BTreeMap::new();
        for (k, v) in pairs {
            m.insert((*k).into(), v.clone());
        }
        Value::map(m)
    }
    fn ok(name: &str, args: &[Value]) -> String {
        match call(name, args) {
            Ok(v) => format!("{}({})", v.type_name(), gofmt::format_v(&v)),
            Err(e) => panic!("{name}: {e}"),
        }
    }
    fn fails(name: &str, args: &[Value]) -> String {
        match call(name, args) {
            Ok(v) => panic!("{name} gave {v:?}"),
            Err(e) => e.0,
        }
    }

    #[test]
    fn index_values() {
        let m = dict(&[("a", Value::Float(1.0)), ("b", s("two"))]);
        assert_eq!(ok("index", &[s("abc"), i(1)]), "int(98)");
        assert_eq!(
            ok("index", &[l(vec![i(1), i(2), s("x")]), i(2)]),
            "string(x)"
        );
        assert_eq!(ok("index", &[m.clone(), s("a")]), "float64(1)");
        assert_eq!(ok("index", &[m.clone(), s("zz")]), "<nil>(<nil>)");
        assert_eq!(
            ok("index", std::slice::from_ref(&m)),
            "map[string]interface {}(map[a:1 b:two])"
        );
        let nested = dict(&[("list", l(vec![l(vec![i(1), i(2)]), l(vec![i(3)])]))]);
        assert_eq!(ok("index", &[nested, s("list"), i(0), i(1)]), "int(2)");
    }

    #[test]
    fn index_errors() {
        let l3 = l(vec![i(1), i(2), i(3)]);
        let m = dict(&[("a", i(1))]);
        assert_eq!(
            fails("index", &[l3.clone(), i(3)]),
            "reflect: slice index out of range"
        );
        assert_eq!(fails("index", &[l3.clone(), i(4)]), "index out of range: 4");
        assert_eq!(
            fails("index", &[l3.clone(), i(-1)]),
            "index out of range: -1"
        );
        assert_eq!(
            fails("index", &[l3.clone(), Value::Nil]),
            "cannot index slice/array with nil"
        );
        assert_eq!(
            fails("index", &[l3.clone(), s("a")]),
            "cannot index slice/array with type string"
        );
        assert_eq!(
            fails("index", &[l3, Value::Float(1.0)]),
            "cannot index slice/array with type float64"
        );
        assert_eq!(fails("index", &[Value::Nil, i(1)]), "index of untyped nil");
        assert_eq!(
            fails("index", &[i(5), i(1)]),
            "can't index item of type int"
        );
        assert_eq!(
            fails("index", &[m.clone(), i(1)]),
            "value has type int; should be string"
        );
        assert_eq!(
            fails("index", &[m.clone(), Value::Nil]),
            "value is nil; should be of type string"
        );
        assert_eq!(
            fails("index", &[m, s("zz"), s("y")]),
            "index of nil pointer"
        );
        assert_eq!(
            fails("index", &[l(vec![Value::Nil]), i(0), i(0)]),
            "index of nil pointer"
        );
        assert_eq!(
            fails("index", &[s("abc"), i(3)]),
            "reflect: string index out of range"
        );
    }

    #[test]
    fn len_values_and_errors() {
        assert_eq!(ok("len", &[s("日本")]), "int(6)");
        assert_eq!(ok("len", &[l(vec![i(1), i(2), i(3)])]), "int(3)");
        assert_eq!(ok("len", &[dict(&[("a", i(1)), ("b", i(2))])]), "int(2)");
        assert_eq!(ok("len", &[l(vec![])]), "int(0)");
        assert_eq!(fails("len", &[i(3)]), "len of type int");
        assert_eq!(fails("len", &[Value::Nil]), "len of nil pointer");
    }

    #[test]
    fn comparisons() {
        let t = "bool(true)";
        let f = "bool(false)";
        assert_eq!(ok("eq", &[i(1), i(1)]), t);
        assert_eq!(ok("eq", &[i(1), i(2), i(1)]), t);
        assert_eq!(ok("eq", &[Value::Float(1.5), Value::Float(1.5)]), t);
        assert_eq!(ok("eq", &[Value::Nil, Value::Nil]), t);
        assert_eq!(ok("eq", &[Value::Nil, s("a")]), f);
        assert_eq!(ok("eq", &[Value::Int64(3), i(3)]), t);
        assert_eq!(ok("eq", &[l(vec![i(1)]), Value::Nil]), f);
        assert_eq!(ok("ne", &[i(1), i(2)]), t);
        assert_eq!(ok("lt", &[i(1), i(2)]), t);
        assert_eq!(ok("le", &[i(2), i(2)]), t);
        assert_eq!(ok("gt", &[s("b"), s("a")]), t);
        assert_eq!(ok("ge", &[Value::Float(1.5), Value::Float(1.5)]), t);
        assert_eq!(ok("lt", &[Value::Int64(1), i(2)]), t);
    }

    #[test]
    fn comparison_errors() {
        let one = l(vec![i(1)]);
        assert_eq!(
            fails("eq", &[i(1), Value::Float(1.5)]),
            "incompatible types for comparison: int and float64"
        );
        assert_eq!(fails("eq", &[i(1)]), "missing argument for comparison");
        assert_eq!(
            fails("eq", &[one.clone(), one.clone()]),
            "non-comparable type [%!s(int=1)]: []interface {}"
        );
        assert_eq!(
            fails("eq", &[one.clone(), Value::empty_map()]),
            "non-comparable types [%!s(int=1)]: []interface {}, map[string]interface {}: map[]"
        );
        assert_eq!(
            fails("eq", &[Value::empty_map(), Value::empty_map()]),
            "non-comparable type map[]: map[string]interface {}"
        );
        assert_eq!(
            fails("eq", &[one.clone(), Value::Nil, i(1)]),
            "incompatible types for comparison: []interface {} and int"
        );
        assert_eq!(
            fails("lt", &[Value::Nil, i(1)]),
            "invalid type for comparison"
        );
        assert_eq!(
            fails("lt", &[Value::Bool(true), Value::Bool(false)]),
            "invalid type for comparison"
        );
        assert_eq!(
            fails("lt", &[s("a"), i(1)]),
            "incompatible types for comparison: string and int"
        );
        assert_eq!(
            fails("lt", &[l(vec![]), i(1)]),
            "invalid type for comparison"
        );
        assert_eq!(
            fails("gt", &[i(2), Value::Float(1.5)]),
            "incompatible types for comparison: int and float64"
        );
        assert_eq!(
            fails("ne", &[i(1), Value::Float(1.0)]),
            "incompatible types for comparison: int and float64"
        );
        assert_eq!(
            fails("le", &[i(1), Value::Float(1.0)]),
            "incompatible types for comparison: int and float64"
        );
    }

    #[test]
    fn logic() {
        assert_eq!(ok("not", &[i(0)]), "bool(true)");
        assert_eq!(ok("not", &[Value::Nil]), "bool(true)");
        assert_eq!(ok("not", &[i(1)]), "bool(false)");
        assert_eq!(ok("and", &[i(1), i(0), i(2)]), "int(0)");
        assert_eq!(ok("and", &[i(1), i(2)]), "int(2)");
        assert_eq!(ok("or", &[i(0), s(""), s("x")]), "string(x)");
        assert_eq!(ok("or", &[i(0), s("")]), "string()");
    }

    #[test]
    fn call_fails() {
        assert_eq!(fails("call", &[Value::Nil]), "call of nil");
        assert_eq!(fails("call", &[i(1), i(2)]), "non-function 1 of type int");
        assert_eq!(
            call_error(".Values.f", &Value::Float(1.5)).0,
            "non-function .Values.f of type float64"
        );
    }

    #[test]
    fn escapers() {
        assert_eq!(
            ok("html", &[s("<a href=\"x\">&'\x00")]),
            "string(&lt;a href=&#34;x&#34;&gt;&amp;&#39;\u{fffd})"
        );
        assert_eq!(
            ok("html", &[i(1), s("<"), Value::Nil]),
            "string(1&lt;&lt;no value&gt;)"
        );
        assert_eq!(ok("html", &[]), "string()");
        assert_eq!(
            ok("js", &[s("a'b\"c<>&=\\\n\x01日\u{2028}")]),
            "string(a\\'b\\\"c\\u003C\\u003E\\u0026\\u003D\\\\\\u000A\\u0001日\\u2028)"
        );
        assert_eq!(
            ok("js", &[s("`x`\x7f\u{a0}\u{ad}/?")]),
            "string(`x`\x7f\\u00A0\\u00AD/?)"
        );
        assert_eq!(ok("js", &[i(1), i(2)]), "string(1 2)");
        assert_eq!(
            ok("urlquery", &[s("a b&c=d/é")]),
            "string(a+b%26c%3Dd%2F%C3%A9)"
        );
        assert_eq!(
            ok("urlquery", &[s("-_.~!*'()")]),
            "string(-_.~%21%2A%27%28%29)"
        );
        assert_eq!(
            ok("urlquery", &[s("日"), Value::Float(1.5), Value::Nil]),
            "string(%E6%97%A51.5%3Cno+value%3E)"
        );
    }

    #[test]
    fn printers() {
        let (f, n, st) = (Value::Float(1.5), Value::Float(3.0), s("hello"));
        assert_eq!(
            ok("print", &[f.clone(), n.clone(), st.clone()]),
            "string(1.5 3hello)"
        );
        assert_eq!(
            ok("printf", &[s("%v %d %s"), f, n, st]),
            "string(1.5 %!d(float64=3) hello)"
        );
        assert_eq!(
            ok("println", &[i(1), s("a"), Value::Nil]),
            "string(1 a <nil>\n)"
        );
    }
}
