//! The values templates see, modelled on the Go values Helm hands to
//! `text/template`: `interface{}` holding a string, a bool, an `int`, an
//! `int64`, a `float64`, `[]interface{}` (or a typed slice such as
//! `[]string`), `map[string]interface{}` (or `map[string]string`), `[]byte`,
//! or a struct with fields and methods (`.Release`, `.Chart`, `.Files`,
//! `.Capabilities`, semver versions, certificates).
//!
//! The Go type matters beyond printing: `typeOf`, `kindOf` and `%T` name it,
//! `eq` refuses to compare an `int` with a `float64`, and a function
//! parameter of type `int` refuses a `float64` from values. So every number
//! keeps its Go type, and lists and maps keep their element type.
//!
//! Maps are shared and mutable, as Go maps are: `set` on `.Values` in one
//! template is seen by the next. Lists are immutable (Sprig's list
//! functions return new slices). Values live for one render on one thread
//! (`Rc`), while parsed templates are shared across threads.

use std::cell::{Ref, RefCell, RefMut};
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// A shared string: cloning is a reference-count increment.
pub type Str = Rc<str>;

/// The Go type of the elements of a typed slice or the values of a typed
/// map: `[]interface {}` vs `[]string` are different types to Go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Elem {
    /// `interface {}`: anything (what YAML, JSON, `list` and `dict` give).
    Any,
    /// `string`.
    String,
    /// `int`.
    Int,
    /// `int64`.
    Int64,
    /// `float64`.
    Float64,
    /// `bool`.
    Bool,
    /// `[]interface {}` (e.g. the chunks of `chunk`).
    AnyList,
    /// `map[string]interface {}`.
    AnyMap,
}

impl Elem {
    /// The Go spelling, as `reflect.Type.String()` prints it.
    pub fn go_name(self) -> &'static str {
        match self {
            Elem::Any => "interface {}",
            Elem::String => "string",
            Elem::Int => "int",
            Elem::Int64 => "int64",
            Elem::Float64 => "float64",
            Elem::Bool => "bool",
            Elem::AnyList => "[]interface {}",
            Elem::AnyMap => "map[string]interface {}",
        }
    }
}

/// A Go slice: its element type and its items.
#[derive(Clone)]
pub struct List {
    /// The element type (`[]string` has [`Elem::String`]).
    pub elem: Elem,
    /// The items, shared between clones.
    pub items: Rc<Vec<Value>>,
    /// A nil slice (Go's `var s []string`): empty, but `encoding/json`
    /// writes `null` for it, not `[]` (e.g. `regexFindAll` with no match).
    pub nil: bool,
}

/// A Go map with string keys: iteration and printing are in key order, as
/// Go's `fmt`, `range`, `encoding/json` and Sprig's sorted helpers see it.
#[derive(Clone)]
pub struct Map {
    /// The value type (`map[string]string` has [`Elem::String`]).
    pub elem: Elem,
    /// The name of a named map type (Helm's `.Values` is `common.Values`,
    /// which `typeOf` prints and Sprig's `dig` refuses), or `None` for a
    /// plain `map[string]...`.
    pub named: Option<&'static str>,
    /// A nil map (Go's `var m map[string]string`, e.g. `.Chart.Annotations`
    /// of a chart without annotations): empty, but `encoding/json` writes
    /// `null` for it, not `{}`.
    pub nil: bool,
    entries: Rc<RefCell<BTreeMap<Str, Value>>>,
}

impl Map {
    /// A new, empty `map[string]interface{}`.
    pub fn new() -> Self {
        Self::from_entries(Elem::Any, BTreeMap::new())
    }

    /// A map of the given value type holding `entries`.
    pub fn from_entries(elem: Elem, entries: BTreeMap<Str, Value>) -> Self {
        Map {
            elem,
            named: None,
            nil: false,
            entries: Rc::new(RefCell::new(entries)),
        }
    }

    /// A nil map of the given value type.
    pub fn nil(elem: Elem) -> Self {
        let mut m = Self::from_entries(elem, BTreeMap::new());
        m.nil = true;
        m
    }

    /// Whether it is a nil map that nothing was put into: what
    /// `encoding/json` writes as `null`.
    pub fn is_nil(&self) -> bool {
        self.nil && self.is_empty()
    }

    /// Reads the entries. Do not hold the borrow across a call that may
    /// mutate the same map (a template function): clone what you need.
    pub fn borrow(&self) -> Ref<'_, BTreeMap<Str, Value>> {
        self.entries.borrow()
    }

    /// Mutates the entries in place, visible through every clone (Go map
    /// semantics).
    pub fn borrow_mut(&self) -> RefMut<'_, BTreeMap<Str, Value>> {
        self.entries.borrow_mut()
    }

    /// The value at `key`, if present.
    pub fn get(&self, key: &str) -> Option<Value> {
        self.entries.borrow().get(key).cloned()
    }

    /// Sets `key` to `value` in place.
    pub fn insert(&self, key: impl Into<Str>, value: Value) {
        self.entries.borrow_mut().insert(key.into(), value);
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.entries.borrow().contains_key(key)
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.entries.borrow().len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.borrow().is_empty()
    }

    /// The keys in order.
    pub fn keys(&self) -> Vec<Str> {
        self.entries.borrow().keys().cloned().collect()
    }

    /// A snapshot of the entries in key order (cheap: values are shared).
    pub fn entries(&self) -> Vec<(Str, Value)> {
        self.entries
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Whether two handles are the same Go map.
    pub fn ptr_eq(&self, other: &Map) -> bool {
        Rc::ptr_eq(&self.entries, &other.entries)
    }
}

/// Dropping deeply nested data (YAML allows 10,000 levels) must not recurse
/// once per level: the items of a list or map that is dropped for the
/// last time are taken apart here, iteratively.
fn drop_iteratively(mut stack: Vec<Value>) {
    while let Some(v) = stack.pop() {
        match v {
            Value::List(mut l) => {
                if let Some(items) = Rc::get_mut(&mut l.items) {
                    stack.append(items);
                }
            }
            Value::Map(m) if Rc::strong_count(&m.entries) == 1 => {
                let entries = std::mem::take(&mut *m.entries.borrow_mut());
                stack.extend(entries.into_values());
            }
            _ => {}
        }
    }
}

impl Drop for List {
    fn drop(&mut self) {
        if let Some(items) = Rc::get_mut(&mut self.items) {
            if items
                .iter()
                .any(|v| matches!(v, Value::List(_) | Value::Map(_)))
            {
                drop_iteratively(std::mem::take(items));
            }
        }
    }
}

impl Drop for Map {
    fn drop(&mut self) {
        if Rc::strong_count(&self.entries) == 1 {
            let nested = self
                .entries
                .borrow()
                .values()
                .any(|v| matches!(v, Value::List(_) | Value::Map(_)));
            if nested {
                let entries = std::mem::take(&mut *self.entries.borrow_mut());
                drop_iteratively(entries.into_values().collect());
            }
        }
    }
}

/// A value as plain shared data (`Send + Sync`), for what outlives one
/// render: a loaded chart keeps its parsed `values.yaml` frozen, and each
/// render thaws a fresh copy instead of parsing the YAML again (renders
/// mutate their values with `set`, so they cannot share one).
#[derive(Clone, Debug, PartialEq)]
pub enum Frozen {
    /// [`Value::Nil`].
    Nil,
    /// [`Value::Bool`].
    Bool(bool),
    /// [`Value::Int`].
    Int(i64),
    /// [`Value::Int64`].
    Int64(i64),
    /// [`Value::Uint64`].
    Uint64(u64),
    /// [`Value::Float`].
    Float(f64),
    /// [`Value::String`].
    String(std::sync::Arc<str>),
    /// [`Value::Bytes`].
    Bytes(std::sync::Arc<[u8]>),
    /// [`Value::Binary`].
    Binary(std::sync::Arc<[u8]>),
    /// [`Value::List`]: element type, items, whether it is a nil slice.
    List(Elem, Vec<Frozen>, bool),
    /// [`Value::Map`]: value type, type name, entries in key order.
    Map(
        Elem,
        Option<&'static str>,
        Vec<(std::sync::Arc<str>, Frozen)>,
    ),
}

/// Deep enough for YAML's 10,000 levels on a 2 MiB thread.
const RED_ZONE: usize = 64 * 1024;
const NEW_STACK: usize = 1024 * 1024;

impl Value {
    /// This value as plain data, or `None` if it holds an object (a
    /// struct such as `.Release`), which only lives within a render.
    pub fn freeze(&self) -> Option<Frozen> {
        stacker::maybe_grow(RED_ZONE, NEW_STACK, || {
            Some(match self {
                Value::Nil => Frozen::Nil,
                Value::Bool(b) => Frozen::Bool(*b),
                Value::Int(i) => Frozen::Int(*i),
                Value::Int64(i) => Frozen::Int64(*i),
                Value::Uint64(u) => Frozen::Uint64(*u),
                Value::Float(f) => Frozen::Float(*f),
                Value::String(s) => Frozen::String(std::sync::Arc::from(&**s)),
                Value::Bytes(b) => Frozen::Bytes(std::sync::Arc::from(&**b)),
                Value::Binary(b) => Frozen::Binary(std::sync::Arc::from(&**b)),
                Value::List(l) => Frozen::List(
                    l.elem,
                    l.items.iter().map(Value::freeze).collect::<Option<_>>()?,
                    l.nil,
                ),
                Value::Map(m) => Frozen::Map(
                    m.elem,
                    m.named,
                    m.borrow()
                        .iter()
                        .map(|(k, v)| Some((std::sync::Arc::from(&**k), v.freeze()?)))
                        .collect::<Option<_>>()?,
                ),
                Value::Object(_) => return None,
            })
        })
    }
}

impl Frozen {
    /// A fresh value with this content: maps are new Go maps, owned by
    /// the caller's render.
    pub fn thaw(&self) -> Value {
        stacker::maybe_grow(RED_ZONE, NEW_STACK, || match self {
            Frozen::Nil => Value::Nil,
            Frozen::Bool(b) => Value::Bool(*b),
            Frozen::Int(i) => Value::Int(*i),
            Frozen::Int64(i) => Value::Int64(*i),
            Frozen::Uint64(u) => Value::Uint64(*u),
            Frozen::Float(f) => Value::Float(*f),
            Frozen::String(s) => Value::String(Rc::from(&**s)),
            Frozen::Bytes(b) => Value::Bytes(Rc::from(&**b)),
            Frozen::Binary(b) => Value::Binary(Rc::from(&**b)),
            Frozen::List(elem, items, nil) => Value::List(List {
                elem: *elem,
                items: Rc::new(items.iter().map(Frozen::thaw).collect()),
                nil: *nil,
            }),
            Frozen::Map(elem, named, entries) => {
                let mut map = Map::from_entries(
                    *elem,
                    entries
                        .iter()
                        .map(|(k, v)| (Rc::from(&**k), v.thaw()))
                        .collect(),
                );
                map.named = *named;
                Value::Map(map)
            }
        })
    }
}

impl Drop for Frozen {
    /// Iteratively, as for [`Value`]: deep YAML must not overflow the
    /// stack when a chart is dropped.
    fn drop(&mut self) {
        let mut stack = Vec::new();
        match self {
            Frozen::List(_, items, _) => stack.append(items),
            Frozen::Map(_, _, entries) => stack.extend(entries.drain(..).map(|(_, v)| v)),
            _ => return,
        }
        while let Some(mut v) = stack.pop() {
            match &mut v {
                Frozen::List(_, items, _) => stack.append(items),
                Frozen::Map(_, _, entries) => stack.extend(entries.drain(..).map(|(_, v)| v)),
                _ => {}
            }
        }
    }
}

impl Default for Map {
    fn default() -> Self {
        Map::new()
    }
}

/// A Go struct or named type with fields and methods, such as `.Release`,
/// `.Chart` (`*chart.Metadata`), `.Files`, `.Capabilities`, a semver
/// `*Version` or a certificate. Field and method names are Go's
/// (capitalized).
pub trait Object {
    /// The Go type as `%T` prints it, e.g. `*chart.Metadata`.
    fn type_name(&self) -> String;

    /// The reflect kind `kindOf` prints: `ptr` for pointers to structs
    /// (the usual case), `struct` or `map` for others.
    fn kind(&self) -> &'static str {
        "ptr"
    }

    /// The field `name`, or `None` when the type has no such field (Go:
    /// `can't evaluate field NAME in type T`). A method that takes no
    /// arguments may be answered here too.
    fn field(&self, name: &str) -> Option<Value>;

    /// Whether `name` is a method (then [`Object::call`] runs it).
    fn has_method(&self, name: &str) -> bool {
        self.method_signature(name).is_some()
    }

    /// The Go signature of the method `name`, so the executor checks the
    /// argument count and types with Go's own messages before calling:
    /// `Err` holds Go's refusal to call it at all (a method with three
    /// results). `None` leaves the checks to [`Object::call`].
    fn method_signature(&self, _name: &str) -> Option<Result<MethodSignature, &'static str>> {
        None
    }

    /// Calls the method `name` with `args`; the error is the method's
    /// message (the caller adds Go's `error calling NAME:` prefix).
    fn call(&self, name: &str, _args: &[Value]) -> Result<Value, String> {
        Err(format!("no method {name}"))
    }

    /// Go's `%v` of the value.
    fn format_v(&self) -> String;

    /// The plain data `encoding/json` would marshal it as (a map of its
    /// exported fields, or a string for types with `MarshalJSON`/`String`
    /// that marshal so), used by `toJson`, `toYaml`, `deepCopy`.
    fn to_data(&self) -> Value;

    /// Go's truthiness: a non-nil pointer or a struct is true.
    fn truthy(&self) -> bool {
        true
    }
}

/// A method's Go parameter types (see [`Object::method_signature`]).
#[derive(Clone, Copy, Debug)]
pub struct MethodSignature {
    /// Parameter types, in order.
    pub params: &'static [super::funcs::Ty],
    /// The type of a trailing `...` parameter.
    pub variadic: Option<super::funcs::Ty>,
}

/// A template value: what a Go `interface{}` can hold in Helm's world.
#[derive(Clone, Default)]
pub enum Value {
    /// No value: a nil interface, a missing map key (`missingkey=zero`).
    /// An action prints it as `<no value>`; `fmt` prints `<nil>`.
    #[default]
    Nil,
    /// `bool`.
    Bool(bool),
    /// `int`: template literals, `len`, `atoi`, `int`, `until`.
    Int(i64),
    /// `int64`: Sprig arithmetic (`add`, `mul`, `int64`...).
    Int64(i64),
    /// `uint64`: semver's `.Major`, `.Minor` and `.Patch`.
    Uint64(u64),
    /// `float64`: every number from YAML or JSON, float literals.
    Float(f64),
    /// `string`.
    String(Str),
    /// A `string` whose bytes are not UTF-8 (`.Files.Get` of a binary
    /// file, `b64dec` of random bytes): Go strings hold any bytes, and
    /// `len`, `b64enc` and the checksums must see them all. Valid UTF-8 is
    /// always [`Value::String`]; functions that read a string's text get
    /// it with each bad byte as U+FFFD, as Go's `range` over it decodes.
    Binary(Rc<[u8]>),
    /// `[]byte` (`.Files.GetBytes`): `%v` prints the numbers.
    Bytes(Rc<[u8]>),
    /// A slice.
    List(List),
    /// A map with string keys.
    Map(Map),
    /// A struct or named type with fields and methods.
    Object(Rc<dyn Object>),
}

impl Value {
    /// A `string`.
    pub fn str(s: impl Into<Str>) -> Value {
        Value::String(s.into())
    }

    /// A `[]interface {}`.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(List {
            elem: Elem::Any,
            items: Rc::new(items),
            nil: false,
        })
    }

    /// A slice of the given element type.
    pub fn typed_list(elem: Elem, items: Vec<Value>) -> Value {
        Value::List(List {
            elem,
            items: Rc::new(items),
            nil: false,
        })
    }

    /// A nil slice of the given element type.
    pub fn nil_list(elem: Elem) -> Value {
        Value::List(List {
            elem,
            items: Rc::new(Vec::new()),
            nil: true,
        })
    }

    /// A `[]string`.
    pub fn strings<S: Into<Str>>(items: impl IntoIterator<Item = S>) -> Value {
        Value::typed_list(
            Elem::String,
            items.into_iter().map(|s| Value::String(s.into())).collect(),
        )
    }

    /// A `map[string]interface {}` holding `entries`.
    pub fn map(entries: BTreeMap<Str, Value>) -> Value {
        Value::Map(Map::from_entries(Elem::Any, entries))
    }

    /// A new empty `map[string]interface {}`.
    pub fn empty_map() -> Value {
        Value::Map(Map::new())
    }

    /// The Go type as `%T` and `typeOf` print it (`<nil>` for no value).
    pub fn type_name(&self) -> String {
        match self {
            Value::Nil => "<nil>".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Int64(_) => "int64".into(),
            Value::Uint64(_) => "uint64".into(),
            Value::Float(_) => "float64".into(),
            Value::String(_) | Value::Binary(_) => "string".into(),
            Value::Bytes(_) => "[]uint8".into(),
            Value::List(l) => format!("[]{}", l.elem.go_name()),
            Value::Map(m) => match m.named {
                Some(name) => name.to_string(),
                None => format!("map[string]{}", m.elem.go_name()),
            },
            Value::Object(o) => o.type_name(),
        }
    }

    /// The reflect kind as `kindOf` prints it (`invalid` for no value).
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Nil => "invalid",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Uint64(_) => "uint64",
            Value::Float(_) => "float64",
            Value::String(_) | Value::Binary(_) => "string",
            Value::Bytes(_) | Value::List(_) => "slice",
            Value::Map(_) => "map",
            Value::Object(o) => o.kind(),
        }
    }

    /// Go template truthiness (`if`, `with`, `and`, `or`, `not`): false,
    /// zero numbers, empty strings, slices and maps, and no value are
    /// false; everything else is true.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::Int64(i) => *i != 0,
            Value::Uint64(u) => *u != 0,
            Value::Float(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::Bytes(b) | Value::Binary(b) => !b.is_empty(),
            Value::List(l) => !l.items.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::Object(o) => o.truthy(),
        }
    }

    /// Whether this is no value.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// The string, if this is a `string`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The bytes of a Go `string` (UTF-8 or not).
    pub fn as_go_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::String(s) => Some(s.as_bytes()),
            Value::Binary(b) => Some(b),
            _ => None,
        }
    }

    /// A Go `string` of these bytes: [`Value::String`] when they are
    /// UTF-8, else [`Value::Binary`].
    pub fn go_string(bytes: Vec<u8>) -> Value {
        match String::from_utf8(bytes) {
            Ok(s) => Value::from(s),
            Err(e) => Value::Binary(Rc::from(e.into_bytes())),
        }
    }

    /// The items, if this is a slice.
    pub fn as_list(&self) -> Option<&List> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// The map, if this is a map.
    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The integer, if this is an `int` or `int64`.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) | Value::Int64(i) => Some(*i),
            _ => None,
        }
    }

    /// Go's `fmt.Sprint(v)` of one value: `%v`.
    pub fn to_go_string(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Value {
    /// Go's `%v`: `1e+06`, `map[a:1 b:[x y]]`, `[a b]`, `<nil>`, `[104 105]`
    /// for bytes. Nesting deeper than 100 levels (a map that holds itself)
    /// prints `...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_v(f, self, 0)
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.type_name(), self)
    }
}

fn write_v(f: &mut fmt::Formatter<'_>, value: &Value, depth: usize) -> fmt::Result {
    if depth > 100 {
        return f.write_str("...");
    }
    match value {
        Value::Nil => f.write_str("<nil>"),
        Value::Bool(b) => write!(f, "{b}"),
        Value::Int(i) | Value::Int64(i) => write!(f, "{i}"),
        Value::Uint64(u) => write!(f, "{u}"),
        Value::Float(x) => f.write_str(&format_float_g(*x)),
        Value::String(s) => f.write_str(s),
        Value::Binary(b) => f.write_str(&go_lossy(b)),
        Value::Bytes(b) => {
            f.write_str("[")?;
            for (i, byte) in b.iter().enumerate() {
                if i > 0 {
                    f.write_str(" ")?;
                }
                write!(f, "{byte}")?;
            }
            f.write_str("]")
        }
        Value::List(l) => {
            f.write_str("[")?;
            for (i, item) in l.items.iter().enumerate() {
                if i > 0 {
                    f.write_str(" ")?;
                }
                write_v(f, item, depth + 1)?;
            }
            f.write_str("]")
        }
        Value::Map(m) => {
            f.write_str("map[")?;
            for (i, (k, v)) in m.entries().iter().enumerate() {
                if i > 0 {
                    f.write_str(" ")?;
                }
                f.write_str(k)?;
                f.write_str(":")?;
                write_v(f, v, depth + 1)?;
            }
            f.write_str("]")
        }
        Value::Object(o) => f.write_str(&o.format_v()),
    }
}

/// `strconv.FormatFloat(x, 'g', -1, 64)`, which is also Go's `%v` of a
/// `float64`: the shortest digits that read back as `x`, in `e` form when
/// the decimal exponent is below -4 or at least 6 (`1e+06`, `1.5e-05`).
pub fn format_float_g(x: f64) -> String {
    super::gofmt::format_float(x, b'g', -1, 64)
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.into())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s.into())
    }
}

impl From<Str> for Value {
    fn from(s: Str) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Value::Float(x)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Self {
        Value::list(items)
    }
}

/// Go's reading of bytes as text (`for range`, `strings.Map`,
/// `encoding/json`): each byte that does not start a valid UTF-8 sequence
/// is one U+FFFD.
pub fn go_lossy(bytes: &[u8]) -> String {
    map_bad_bytes(bytes, |_| char::REPLACEMENT_CHARACTER)
}

/// `bytes` as text, each byte that does not start a valid UTF-8 sequence
/// replaced by `f` of it.
pub fn map_bad_bytes(bytes: &[u8], f: impl Fn(u8) -> char) -> String {
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        out.extend(chunk.invalid().iter().map(|&b| f(b)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deeply_nested_values_drop_without_recursion() {
        // 100,000 levels of lists and maps, dropped on a small stack.
        let handle = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let mut v = Value::str("leaf");
                for i in 0..100_000 {
                    v = if i % 2 == 0 {
                        Value::list(vec![v])
                    } else {
                        let mut m = BTreeMap::new();
                        m.insert(Str::from("k"), v);
                        Value::map(m)
                    };
                }
                drop(v);
            })
            .expect("thread starts");
        assert!(handle.join().is_ok());
    }

    #[test]
    fn frozen_values_thaw_into_independent_copies() {
        fn assert_shareable<T: Send + Sync>() {}
        assert_shareable::<Frozen>();

        let inner = Value::map(BTreeMap::from([(Str::from("port"), Value::Float(80.0))]));
        let mut top = BTreeMap::new();
        top.insert(Str::from("service"), inner);
        top.insert(
            Str::from("list"),
            Value::list(vec![Value::Int(1), Value::Nil, Value::str("x")]),
        );
        top.insert(Str::from("on"), Value::Bool(true));
        top.insert(Str::from("raw"), Value::Bytes(Rc::from(&b"\x00\xff"[..])));
        let original = Value::map(top);
        let frozen = original.freeze().expect("plain data freezes");

        let first = frozen.thaw();
        let second = frozen.thaw();
        // A render's `set` on its copy must not reach the next render's.
        let Value::Map(first_map) = &first else {
            panic!("a map thaws as a map")
        };
        let Some(Value::Map(service)) = first_map.get("service") else {
            panic!("nested map thaws as a map")
        };
        service.insert("port", Value::Float(8080.0));
        first_map.insert("added", Value::Int(2));

        assert_eq!(second.freeze(), Some(frozen.clone()));
        assert_ne!(first.freeze(), Some(frozen.clone()));
        assert_eq!(original.freeze(), Some(frozen));
    }

    #[test]
    fn deeply_nested_values_freeze_and_thaw_on_a_small_stack() {
        let handle = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let mut v = Value::str("leaf");
                for i in 0..20_000 {
                    v = if i % 2 == 0 {
                        Value::list(vec![v])
                    } else {
                        Value::map(BTreeMap::from([(Str::from("k"), v)]))
                    };
                }
                let frozen = v.freeze().expect("plain data freezes");
                // Walk down iteratively: every level came back, in order.
                let mut level = frozen.thaw();
                for i in (0..20_000).rev() {
                    level = match (i % 2, &level) {
                        (0, Value::List(l)) => l.items[0].clone(),
                        (1, Value::Map(m)) => m.get("k").expect("key k survives"),
                        _ => panic!("level {i} changed shape"),
                    };
                }
                assert!(matches!(&level, Value::String(s) if &**s == "leaf"));
            })
            .expect("thread starts");
        assert!(handle.join().is_ok());
    }

    #[test]
    fn floats_print_as_go_prints_them() {
        let cases = [
            (1e6, "1e+06"),
            (100000.0, "100000"),
            (1.5, "1.5"),
            (0.00001, "1e-05"),
            (0.0001, "0.0001"),
            (-3.0, "-3"),
            (123456789.0, "1.23456789e+08"),
        ];
        for (x, want) in cases {
            assert_eq!(format_float_g(x), want);
        }
    }
}
