//! `values.schema.json` validation, with the exact text of Helm v4.3.0's
//! errors.
//!
//! Helm (`pkg/chart/common/util/jsonschema.go`) checks the merged values
//! against the chart's schema, then each enabled dependency's schema against
//! `values[<dependency name>]`, and joins the failures under
//! `<chart name>:` lines; `values.go` puts
//! `values don't meet the specifications of the schema(s) in the following
//! chart(s):` in front. The validation itself is santhosh-tekuri/jsonschema
//! v6, ported here rather than delegated to a Rust crate because the text is
//! what users see and what must match: its error tree and its indented
//! printing (`- at '/replicas': minimum: got 0, want 1`, causes of
//! `allOf`/`anyOf`/`oneOf`/`$ref` nested below), its `golang.org/x/text`
//! English number formatting (`want 1,000`, `1×10⁰⁶`), its Go-flavoured
//! messages for formats (`strconv.Atoi: parsing "x": invalid syntax`,
//! `ParseAddr(...)`, `parsing time ...`), and its compile step: the schema is
//! first validated against its draft's metaschema (the metaschemas of drafts
//! 4, 6, 7, 2019-09 and 2020-12 are embedded, as in the library), `$ref`s are
//! resolved (`$id`, `$anchor`, `$dynamicRef`, `$recursiveRef`), and the
//! default draft, when `$schema` is absent, is 2020-12. Formats are asserted
//! for drafts 4, 6 and 7 only, as the library does by default. Patterns are
//! Go regexps: checked with Go's parser (and its error text) from the
//! template engine, and matched by the `regex` crate after translation (ASCII
//! `\d`, `\w`, `\s`, `\b` as in Go).
//!
//! Helm loads `file:`, `http:` and `https:` references with real I/O and
//! `urn:` ones as an always-valid schema. plumb renders offline: an `http(s)`
//! reference fails with an error naming it, and a `file:` reference fails
//! with Helm's own "no such file" text (plumb never reads the host's files;
//! Helm resolves a relative `$ref` against `file:///values.schema.json`, so
//! such a reference names a file at the root of the machine running helm,
//! which in practice does not exist either).
//!
//! Where Go iterates a map (the properties of a value, `patternProperties`,
//! `dependencies`...), Helm lists the violations in a random order; here
//! they come in key order. Everything else (the order of keywords within a
//! schema, the nesting) is Helm's.
//!
//! A compiled schema is cached by its bytes, so the daemon compiles (and
//! metaschema-checks) a chart's schema once, not per render.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

use num_bigint::BigUint;

use super::Scope;
use crate::template::{gofmt, json as gojson, Value};

/// The outer message, from Helm's `ToRenderValuesWithSchemaValidation`.
const HEADER: &str =
    "values don't meet the specifications of the schema(s) in the following chart(s):\n";

/// The location Helm registers the schema under; every location in the
/// library's messages derives from it.
const ROOT_URL: &str = "file:///values.schema.json";

/// A schema violation (or an unusable schema) in a chart or one of its
/// dependencies: what `helm template` prints after `Error: `.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{}", HEADER, .details)]
pub struct SchemaError {
    details: String,
}

impl SchemaError {
    /// The part after the header line: the `<chart>:` lines and their
    /// violations, as Helm's `ValidateAgainstSchema` joins them.
    pub fn details(&self) -> &str {
        &self.details
    }
}

/// Helm's ValidateAgainstSchema over the chart and its enabled dependencies:
/// Ok or the text after "values don't meet the specifications of the
/// schema(s) in the following chart(s):\n".
///
/// # Errors
/// The violations of every chart whose schema rejects its values.
pub fn validate(scope: &Scope, values: &Value) -> Result<(), SchemaError> {
    let mut details = String::new();
    validate_scope(scope, values, &mut details);
    if details.is_empty() {
        Ok(())
    } else {
        Err(SchemaError { details })
    }
}

/// One schema against one value (for tests and for `plumb check`): Helm's
/// `ValidateAgainstSingleSchema`, whose error text this returns (a list of
/// violations ending in a newline, or why the schema cannot be used).
///
/// # Errors
/// The violations, or the schema's own problem (JSON syntax, metaschema,
/// unresolvable `$ref`).
pub fn validate_single(schema: &[u8], values: &Value) -> Result<(), String> {
    let compiled = compiled(schema)?;
    let instance = match values {
        // `values.AsMap()`: the top level is a plain map whatever its type.
        Value::Map(m) => Json::Obj(Obj(m
            .borrow()
            .iter()
            .map(|(k, v)| (String::from(&**k), to_json(v)))
            .collect())),
        // A nil `Values` is an empty map too.
        Value::Nil => Json::Obj(Obj::default()),
        other => to_json(other),
    };
    compiled.validate(&instance)
}

/// `ValidateAgainstSchema`'s recursion: this chart's schema against its
/// values, then each enabled dependency against `values[name]`.
fn validate_scope(scope: &Scope, values: &Value, out: &mut String) {
    if let Some(schema) = scope.chart.schema.as_deref() {
        if let Err(e) = validate_single(schema, values) {
            out.push_str(scope.name());
            out.push_str(":\n");
            out.push_str(&e);
        }
    }
    let Value::Map(map) = values else {
        return;
    };
    for dep in &scope.dependencies {
        match map.get(dep.name()) {
            None | Some(Value::Nil) => {}
            Some(Value::Map(m)) if is_plain_map(&m) => validate_scope(dep, &Value::Map(m), out),
            Some(other) => {
                let _ = writeln!(
                    out,
                    "{}:\ninvalid type for values: expected object (map), got {}",
                    dep.name(),
                    other.type_name()
                );
            }
        }
    }
}

/// Whether Go would see a `map[string]interface{}` (what a type assertion
/// and the validator accept).
fn is_plain_map(m: &crate::template::Map) -> bool {
    m.elem == crate::template::Elem::Any && m.named.is_none()
}

/// The compiled schema for these bytes, or the error Helm reports for them;
/// cached, since the daemon validates every render with the same schemas.
fn compiled(schema: &[u8]) -> Result<Arc<Compiled>, String> {
    type Cache = HashMap<Box<[u8]>, Result<Arc<Compiled>, String>>;
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Ok(c) = cache.lock() {
        if let Some(hit) = c.get(schema) {
            return hit.clone();
        }
    }
    let result = compile_helm(schema).map(Arc::new);
    if let Ok(mut c) = cache.lock() {
        if c.len() >= 64 {
            c.clear();
        }
        c.insert(schema.into(), result.clone());
    }
    result
}

/// `ValidateAgainstSingleSchema` up to `compiler.Compile`: the document
/// parsed as `jsonschema.UnmarshalJSON` does, registered as
/// `file:///values.schema.json`, compiled with Helm's loaders.
fn compile_helm(schema: &[u8]) -> Result<Compiled, String> {
    let doc = parse_json_document(schema)?;
    let mut c = Compiler::new(false, LoaderKind::Helm);
    c.docs.insert(ROOT_URL.to_string(), Arc::new(doc));
    let root = c.compile(ROOT_URL).map_err(|e| e.text())?;
    Ok(Compiled {
        nodes: c.nodes,
        root,
    })
}

/// A compiled schema: the node arena and the root's index.
struct Compiled {
    nodes: Vec<Node>,
    root: usize,
}

impl Compiled {
    /// `validator.Validate(values)` and Helm's `JSONSchemaValidationError`
    /// text: the library's message without its first line, plus a newline.
    fn validate(&self, instance: &Json) -> Result<(), String> {
        let env = Env {
            nodes: &self.nodes,
            res_meta: None,
        };
        match root_validate(&env, instance, self.root, None) {
            Ok(()) => Ok(()),
            Err(e) => {
                let text = e.to_string();
                let prefix = format!(
                    "jsonschema validation failed with {}\n",
                    quote(&format!("{ROOT_URL}#"))
                );
                let text = text.strip_prefix(&prefix).unwrap_or(&text);
                Err(format!("{text}\n"))
            }
        }
    }
}

// ---------------------------------------------------------------------------
// JSON values: the schema document (numbers keep their text, as
// `json.Number` does) and the instance (Helm's values).

/// A JSON value as the library sees a Go value: `nil`, `bool`, a number,
/// `string`, `[]any`, `map[string]any`, or a Go value of another type
/// (`invalid jsonType %T`).
#[derive(Debug)]
enum Json {
    Null,
    Bool(bool),
    /// A number as `fmt.Sprint` prints it: a `json.Number`'s literal text,
    /// or a `float64`'s `%v` (`1e+06`).
    Num(Box<str>),
    /// A `float64` of the values, printed (`%v`) only when needed.
    Float(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Obj),
    /// A value of no JSON type: its Go type name.
    Bad(String),
}

/// A JSON object: its members sorted by key (what Go's maps hold; the
/// order is ours, Go's is random).
#[derive(Clone, Debug, Default)]
struct Obj(Vec<(String, Json)>);

impl Obj {
    fn from_map(m: BTreeMap<String, Json>) -> Obj {
        Obj(m.into_iter().collect())
    }

    fn find(&self, k: &str) -> Option<usize> {
        self.0.binary_search_by(|(x, _)| x.as_str().cmp(k)).ok()
    }

    fn get(&self, k: &str) -> Option<&Json> {
        self.find(k).map(|i| &self.0[i].1)
    }

    fn get_key_value(&self, k: &str) -> Option<(&String, &Json)> {
        self.find(k).map(|i| (&self.0[i].0, &self.0[i].1))
    }

    fn contains_key(&self, k: &str) -> bool {
        self.find(k).is_some()
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }
}

type ObjIter<'o> =
    std::iter::Map<std::slice::Iter<'o, (String, Json)>, fn(&(String, Json)) -> (&String, &Json)>;

impl<'o> IntoIterator for &'o Obj {
    type Item = (&'o String, &'o Json);
    type IntoIter = ObjIter<'o>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl Clone for Json {
    fn clone(&self) -> Self {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || match self {
            Json::Null => Json::Null,
            Json::Bool(b) => Json::Bool(*b),
            Json::Num(n) => Json::Num(n.clone()),
            Json::Float(f) => Json::Float(*f),
            Json::Str(s) => Json::Str(s.clone()),
            Json::Arr(a) => Json::Arr(a.clone()),
            Json::Obj(o) => Json::Obj(o.clone()),
            Json::Bad(t) => Json::Bad(t.clone()),
        })
    }
}

impl Drop for Json {
    /// Iterative, so that 10,000 levels of nesting cannot overflow the
    /// stack when they go away.
    fn drop(&mut self) {
        let mut stack = match self {
            Json::Arr(a) if !a.is_empty() => std::mem::take(a),
            Json::Obj(o) if !o.is_empty() => std::mem::take(&mut o.0)
                .into_iter()
                .map(|(_, v)| v)
                .collect(),
            _ => return,
        };
        while let Some(mut j) = stack.pop() {
            match &mut j {
                Json::Arr(a) => stack.append(a),
                Json::Obj(o) => stack.extend(std::mem::take(&mut o.0).into_iter().map(|(_, v)| v)),
                _ => {}
            }
        }
    }
}

// Go's jsonType bits, in `Types.ToStrings` order.
const T_NULL: u8 = 1;
const T_BOOLEAN: u8 = 2;
const T_NUMBER: u8 = 4;
const T_INTEGER: u8 = 8;
const T_STRING: u8 = 16;
const T_ARRAY: u8 = 32;
const T_OBJECT: u8 = 64;
const TYPE_NAMES: [(u8, &str); 7] = [
    (T_NULL, "null"),
    (T_BOOLEAN, "boolean"),
    (T_NUMBER, "number"),
    (T_INTEGER, "integer"),
    (T_STRING, "string"),
    (T_ARRAY, "array"),
    (T_OBJECT, "object"),
];

impl Json {
    /// `typeOf`: the value's JSON type bit, 0 for `invalidType`.
    fn type_bit(&self) -> u8 {
        match self {
            Json::Null => T_NULL,
            Json::Bool(_) => T_BOOLEAN,
            Json::Num(_) | Json::Float(_) => T_NUMBER,
            Json::Str(_) => T_STRING,
            Json::Arr(_) => T_ARRAY,
            Json::Obj(_) => T_OBJECT,
            Json::Bad(_) => 0,
        }
    }

    /// A number's `fmt.Sprint` text.
    fn num_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        match self {
            Json::Num(n) => Some(std::borrow::Cow::Borrowed(n)),
            Json::Float(f) => Some(std::borrow::Cow::Owned(
                crate::template::value::format_float_g(*f),
            )),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    fn as_obj(&self) -> Option<&Obj> {
        match self {
            Json::Obj(o) => Some(o),
            _ => None,
        }
    }

    fn as_arr(&self) -> Option<&[Json]> {
        match self {
            Json::Arr(a) => Some(a),
            _ => None,
        }
    }

    /// `%T` of the Go value, for `invalid jsonType`.
    fn go_type(&self) -> &str {
        match self {
            Json::Null => "<nil>",
            Json::Bool(_) => "bool",
            Json::Num(_) => "json.Number",
            Json::Float(_) => "float64",
            Json::Str(_) => "string",
            Json::Arr(_) => "[]interface {}",
            Json::Obj(_) => "map[string]interface {}",
            Json::Bad(t) => t,
        }
    }
}

fn type_name(bit: u8) -> &'static str {
    TYPE_NAMES
        .iter()
        .find(|(b, _)| *b == bit)
        .map_or("", |(_, n)| n)
}

/// `Types.ToStrings` joined as the `type` message joins them.
fn type_names(bits: u8) -> String {
    TYPE_NAMES
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Helm's values as the Go validator receives them.
fn to_json(v: &Value) -> Json {
    to_json_at(v, 0)
}

fn to_json_at(v: &Value, depth: usize) -> Json {
    // Checking the stack costs more than converting a node: only every
    // 32 levels.
    if depth % 32 == 31 {
        return stacker::maybe_grow(64 * 1024, 1024 * 1024, || to_json_node(v, depth));
    }
    to_json_node(v, depth)
}

fn to_json_node(v: &Value, depth: usize) -> Json {
    match v {
        Value::Nil => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) | Value::Int64(i) => Json::Num(i.to_string().into()),
        Value::Uint64(u) => Json::Num(u.to_string().into()),
        Value::Float(f) => Json::Float(*f),
        Value::String(s) => Json::Str(String::from(&**s)),
        Value::List(l) if l.elem == crate::template::Elem::Any => {
            Json::Arr(l.items.iter().map(|x| to_json_at(x, depth + 1)).collect())
        }
        // Go's maps iterate sorted here, as our maps are: no sort needed.
        Value::Map(m) if is_plain_map(m) => Json::Obj(Obj(m
            .borrow()
            .iter()
            .map(|(k, v)| (String::from(&**k), to_json_at(v, depth + 1)))
            .collect())),
        other => Json::Bad(other.type_name()),
    }
}

/// Go's `encoding/json` nesting limit.
const MAX_DEPTH: usize = 10_000;

/// `jsonschema.UnmarshalJSON`: one value decoded with `UseNumber`, then
/// nothing but whitespace; the error text is `encoding/json`'s (through
/// [`gojson`], which words syntax errors as Helm's Go toolchain does), with
/// a `Decoder`'s `EOF` / `unexpected EOF` for an empty or truncated input.
fn parse_json_document(bytes: &[u8]) -> Result<Json, String> {
    let mut p = JsonParser { b: bytes, i: 0 };
    p.ws();
    if p.i >= bytes.len() {
        return Err("EOF".into());
    }
    match p.value(0) {
        Ok(v) => {
            p.ws();
            if p.i < bytes.len() {
                return Err("invalid character after top-level value".into());
            }
            Ok(v)
        }
        Err(JsonErr::Eof) => Err("unexpected EOF".into()),
        Err(JsonErr::Syntax(fallback)) => {
            let text = String::from_utf8_lossy(bytes);
            match gojson::unmarshal(&text) {
                Err(e) if e.0 == "unexpected end of JSON input" => Err("unexpected EOF".into()),
                Err(e) if !e.0.starts_with("json: cannot unmarshal") => Err(e.0),
                _ => Err(fallback),
            }
        }
    }
}

enum JsonErr {
    /// The input ended inside a value.
    Eof,
    /// A syntax error; the text is a fallback for [`gojson`]'s.
    Syntax(String),
}

struct JsonParser<'b> {
    b: &'b [u8],
    i: usize,
}

impl JsonParser<'_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn bad(&self, context: &str) -> JsonErr {
        match self.b.get(self.i) {
            None => JsonErr::Eof,
            Some(&c) => JsonErr::Syntax(format!(
                "invalid character {} {context}",
                gofmt::quote_rune(i64::from(c))
            )),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, JsonErr> {
        if depth > MAX_DEPTH {
            return Err(JsonErr::Syntax("exceeded max depth".into()));
        }
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.value_inner(depth))
    }

    fn value_inner(&mut self, depth: usize) -> Result<Json, JsonErr> {
        match self.b.get(self.i) {
            None => Err(JsonErr::Eof),
            Some(b'{') => {
                self.i += 1;
                let mut obj = BTreeMap::new();
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Json::Obj(Obj::default()));
                }
                loop {
                    self.ws();
                    if self.b.get(self.i) != Some(&b'"') {
                        return Err(self.bad("looking for beginning of object key string"));
                    }
                    let key = self.string()?;
                    self.ws();
                    if self.b.get(self.i) != Some(&b':') {
                        return Err(self.bad("after object key"));
                    }
                    self.i += 1;
                    self.ws();
                    let v = self.value(depth + 1)?;
                    obj.insert(key, v);
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Json::Obj(Obj::from_map(obj)));
                        }
                        _ => return Err(self.bad("after object key:value pair")),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut arr = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Json::Arr(arr));
                }
                loop {
                    self.ws();
                    arr.push(self.value(depth + 1)?);
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Json::Arr(arr));
                        }
                        _ => return Err(self.bad("after array element")),
                    }
                }
            }
            Some(b'"') => Ok(Json::Str(self.string()?)),
            Some(b't') => self.literal(b"true", Json::Bool(true)),
            Some(b'f') => self.literal(b"false", Json::Bool(false)),
            Some(b'n') => self.literal(b"null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.bad("looking for beginning of value")),
        }
    }

    fn literal(&mut self, word: &[u8], v: Json) -> Result<Json, JsonErr> {
        for &w in word {
            match self.b.get(self.i) {
                None => return Err(JsonErr::Eof),
                Some(&c) if c == w => self.i += 1,
                Some(_) => return Err(self.bad("in literal")),
            }
        }
        Ok(v)
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<Json, JsonErr> {
        let start = self.i;
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        match self.b.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.bad("in numeric literal")),
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.bad("after decimal point in numeric literal"));
            }
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.bad("in exponent of numeric literal"));
            }
        }
        let text = String::from_utf8_lossy(&self.b[start..self.i]);
        Ok(Json::Num(text.into()))
    }

    /// A string; invalid UTF-8 and lone surrogates become U+FFFD, as in Go.
    fn string(&mut self) -> Result<String, JsonErr> {
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(&c) = self.b.get(self.i) else {
                return Err(JsonErr::Eof);
            };
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                b'\\' => {
                    self.i += 1;
                    let Some(&e) = self.b.get(self.i) else {
                        return Err(JsonErr::Eof);
                    };
                    self.i += 1;
                    let simple = match e {
                        b'"' => Some(b'"'),
                        b'\\' => Some(b'\\'),
                        b'/' => Some(b'/'),
                        b'b' => Some(8),
                        b'f' => Some(12),
                        b'n' => Some(b'\n'),
                        b'r' => Some(b'\r'),
                        b't' => Some(b'\t'),
                        _ => None,
                    };
                    if let Some(s) = simple {
                        out.push(s);
                        continue;
                    }
                    if e != b'u' {
                        self.i -= 1;
                        return Err(self.bad("in string escape code"));
                    }
                    let hi = self.hex4()?;
                    let ch = if (0xD800..0xDC00).contains(&hi)
                        && self.b.get(self.i) == Some(&b'\\')
                        && self.b.get(self.i + 1) == Some(&b'u')
                    {
                        let save = self.i;
                        self.i += 2;
                        let lo = self.hex4()?;
                        if (0xDC00..0xE000).contains(&lo) {
                            char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                        } else {
                            self.i = save;
                            None
                        }
                    } else {
                        char::from_u32(hi)
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(
                        ch.unwrap_or('\u{fffd}').encode_utf8(&mut buf).as_bytes(),
                    );
                }
                0..=0x1f => return Err(self.bad("in string literal")),
                _ => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonErr> {
        let mut v = 0u32;
        for _ in 0..4 {
            let Some(&c) = self.b.get(self.i) else {
                return Err(JsonErr::Eof);
            };
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => return Err(self.bad("in \\u hexadecimal character escape")),
            };
            v = v * 16 + u32::from(d);
            self.i += 1;
        }
        Ok(v)
    }
}

// ---------------------------------------------------------------------------
// Numbers: `big.Rat` of a number's `fmt.Sprint` text, and how
// `golang.org/x/text/message` prints them in English.

/// A rational with a terminating decimal expansion, normalized:
/// `±mant × 10^exp` with no trailing zero digit in `mant` (zero is
/// `+0 × 10^0`). `digits` is the number of decimal digits of `mant`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Dec {
    neg: bool,
    mant: BigUint,
    exp: i64,
    digits: i64,
}

impl Dec {
    /// `new(big.Rat).SetString(text)` for decimal text (what `json.Number`
    /// and `fmt.Sprint` of a Go number give): `None` where Go fails (`NaN`,
    /// `+Inf`, an exponent beyond 10⁶).
    fn parse(text: &str) -> Option<Dec> {
        let b = text.as_bytes();
        let mut i = 0;
        let mut neg = false;
        if let Some(&c @ (b'+' | b'-')) = b.first() {
            neg = c == b'-';
            i = 1;
        }
        let mut digits = Vec::new();
        let mut frac = 0i64;
        let mut seen_point = false;
        let mut any = false;
        while let Some(&c) = b.get(i) {
            match c {
                b'0'..=b'9' => {
                    any = true;
                    if !(digits.is_empty() && c == b'0') {
                        digits.push(c);
                    }
                    if seen_point {
                        frac += 1;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                _ => break,
            }
            i += 1;
        }
        if !any {
            return None;
        }
        let mut exp = 0i64;
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            let mut eneg = false;
            if let Some(&c @ (b'+' | b'-')) = b.get(i) {
                eneg = c == b'-';
                i += 1;
            }
            let start = i;
            while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
                exp = exp.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
                i += 1;
            }
            if i == start {
                return None;
            }
            if eneg {
                exp = -exp;
            }
        }
        if i != b.len() {
            return None;
        }
        let exp = exp.checked_sub(frac)?;
        if exp.unsigned_abs() > 1_000_000 {
            return None;
        }
        Some(Dec::from_digits(neg, &digits, exp))
    }

    fn from_digits(neg: bool, digits: &[u8], mut exp: i64) -> Dec {
        let mut end = digits.len();
        while end > 0 && digits[end - 1] == b'0' {
            end -= 1;
            exp += 1;
        }
        let digits = &digits[..end];
        if digits.is_empty() {
            return Dec {
                neg: false,
                mant: BigUint::from(0u8),
                exp: 0,
                digits: 0,
            };
        }
        let mant = BigUint::parse_bytes(digits, 10).unwrap_or_default();
        Dec {
            neg,
            mant,
            exp,
            digits: digits.len() as i64,
        }
    }

    fn is_zero(&self) -> bool {
        self.digits == 0
    }

    /// `Rat.IsInt`.
    fn is_int(&self) -> bool {
        self.is_zero() || self.exp >= 0
    }

    fn cmp_mag(&self, o: &Dec) -> Ordering {
        match (self.is_zero(), o.is_zero()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        let (ma, mb) = (self.digits + self.exp, o.digits + o.exp);
        if ma != mb {
            return ma.cmp(&mb);
        }
        // Same magnitude: the exponents differ by at most the digit counts.
        let e = self.exp.min(o.exp);
        let scale = |d: &Dec| &d.mant * pow10((d.exp - e) as u64);
        scale(self).cmp(&scale(o))
    }

    /// `Rat.Cmp`.
    fn cmp(&self, o: &Dec) -> Ordering {
        match (self.neg, o.neg) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_mag(o),
            (true, true) => o.cmp_mag(self),
        }
    }

    /// `Rat.Float64`: the nearest `float64`.
    fn to_f64(&self) -> f64 {
        if self.is_zero() {
            return 0.0;
        }
        let text = format!(
            "{}{}e{}",
            if self.neg { "-" } else { "" },
            self.mant,
            self.exp
        );
        text.parse().unwrap_or(0.0)
    }

    /// Whether `self / m` is an integer (`Rat.Quo(...).IsInt()`).
    fn is_multiple_of(&self, m: &Dec) -> bool {
        if self.is_zero() {
            return true;
        }
        if m.is_zero() {
            return false;
        }
        let d = self.exp - m.exp;
        if d < 0 {
            // The mantissa has no factor 10, so 10^-d cannot divide it.
            return false;
        }
        let ten = BigUint::from(10u8);
        let r = (&self.mant % &m.mant) * ten.modpow(&BigUint::from(d as u64), &m.mant);
        (r % &m.mant).bits() == 0
    }

    /// `int(n.Num().Int64())` of an integer (saturating where Go's result
    /// is undefined).
    fn to_int(&self) -> i64 {
        if self.is_zero() {
            return 0;
        }
        if self.exp > 19 {
            return if self.neg { i64::MIN } else { i64::MAX };
        }
        let v = &self.mant * pow10(self.exp.max(0) as u64);
        let digits = v.to_u64_digits();
        let mag = match digits.as_slice() {
            [] => 0,
            [d] if *d <= i64::MAX as u64 => *d as i64,
            _ => i64::MAX,
        };
        if self.neg {
            -mag
        } else {
            mag
        }
    }

    /// A canonical key (equal numbers, equal keys).
    fn key(&self, out: &mut String) {
        let _ = write!(
            out,
            "{}{}e{}",
            if self.neg { "-" } else { "" },
            self.mant,
            self.exp
        );
    }
}

fn pow10(n: u64) -> BigUint {
    BigUint::from(10u8).pow(n.min(u64::from(u32::MAX)) as u32)
}

/// `isInteger`.
fn is_integer(text: &str) -> bool {
    Dec::parse(text).is_some_and(|d| d.is_int())
}

/// The library's `equals`: deep equality with numbers compared as
/// rationals; `Err` carries the Go type of an instance value of no JSON
/// type (`InvalidJsonValue`).
fn equals(v1: &Json, v2: &Json) -> Result<bool, String> {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || equals_inner(v1, v2))
}

fn equals_inner(v1: &Json, v2: &Json) -> Result<bool, String> {
    Ok(match (v1, v2) {
        (Json::Obj(a), b) => {
            let Json::Obj(b) = b else { return Ok(false) };
            if a.len() != b.len() {
                return Ok(false);
            }
            for (k, x) in a {
                let Some(y) = b.get(k) else { return Ok(false) };
                if !equals(x, y)? {
                    return Ok(false);
                }
            }
            true
        }
        (Json::Arr(a), b) => {
            let Json::Arr(b) = b else { return Ok(false) };
            if a.len() != b.len() {
                return Ok(false);
            }
            for (x, y) in a.iter().zip(b) {
                if !equals(x, y)? {
                    return Ok(false);
                }
            }
            true
        }
        (Json::Null, b) => matches!(b, Json::Null),
        (Json::Bool(a), b) => matches!(b, Json::Bool(x) if x == a),
        (Json::Str(a), b) => matches!(b, Json::Str(x) if x == a),
        (Json::Num(_) | Json::Float(_), b) => match (v1.num_text(), b.num_text()) {
            (Some(a), Some(b)) => match (Dec::parse(&a), Dec::parse(&b)) {
                (Some(x), Some(y)) => x.cmp(&y) == Ordering::Equal,
                _ => false,
            },
            _ => false,
        },
        (Json::Bad(t), _) => return Err(t.clone()),
    })
}

/// A canonical rendering for `uniqueItems`' hashing (equal values, equal
/// keys); `Err` as in [`equals`].
fn canon(v: &Json, out: &mut String) -> Result<(), String> {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || canon_inner(v, out))
}

fn canon_inner(v: &Json, out: &mut String) -> Result<(), String> {
    match v {
        Json::Null => out.push('n'),
        Json::Bool(b) => out.push(if *b { 't' } else { 'f' }),
        Json::Num(_) | Json::Float(_) => {
            out.push('#');
            let n = v.num_text().unwrap_or_default();
            match Dec::parse(&n) {
                Some(d) => d.key(out),
                None => out.push_str(&n),
            }
        }
        Json::Str(s) => {
            let _ = write!(out, "s{}:{s}", s.len());
        }
        Json::Arr(a) => {
            out.push('[');
            for x in a {
                canon(x, out)?;
                out.push(',');
            }
            out.push(']');
        }
        Json::Obj(o) => {
            out.push('{');
            for (k, x) in o {
                let _ = write!(out, "{}:{k}", k.len());
                canon(x, out)?;
                out.push(',');
            }
            out.push('}');
        }
        Json::Bad(t) => return Err(t.clone()),
    }
    Ok(())
}

/// `duplicates`: the first pair of equal items (by the later index, then
/// the earlier), or the Go type of an invalid value met first.
fn duplicates(arr: &[Json]) -> Result<Option<(usize, usize)>, String> {
    if arr.len() <= 20 {
        for i in 1..arr.len() {
            for j in 0..i {
                if equals(&arr[i], &arr[j])? {
                    return Ok(Some((j, i)));
                }
            }
        }
        return Ok(None);
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, item) in arr.iter().enumerate() {
        let mut key = String::new();
        canon(item, &mut key)?;
        if let Some(&j) = seen.get(&key) {
            return Ok(Some((j, i)));
        }
        seen.insert(key, i);
    }
    Ok(None)
}

/// The library's `quote`: Go's `%q`, then `\"` unescaped and `'` escaped,
/// in single quotes (the replacements run over the double-quoted text, as
/// in Go).
fn quote(s: &str) -> String {
    let q = gofmt::quote(s).replace("\\\"", "\"").replace('\'', "\\'");
    let inner = q.get(1..q.len().saturating_sub(1)).unwrap_or("");
    format!("'{inner}'")
}

fn join_quoted(items: &[String]) -> String {
    items
        .iter()
        .map(|s| quote(s))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The library's `display` (for primitives): quoted strings, `value` for
/// containers, `%v` otherwise.
fn display(v: &Json) -> String {
    match v {
        Json::Str(s) => quote(s),
        Json::Arr(_) | Json::Obj(_) => "value".into(),
        Json::Null => "<nil>".into(),
        Json::Bool(b) => b.to_string(),
        Json::Num(n) => n.to_string(),
        Json::Float(f) => crate::template::value::format_float_g(*f),
        Json::Bad(t) => format!("<{t}>"),
    }
}

/// `message.Printer`'s `%d` in English: digits grouped by three.
fn loc_int(i: i64) -> String {
    let digits = i.unsigned_abs().to_string();
    let mut out = String::new();
    if i < 0 {
        out.push('-');
    }
    out.push_str(&group3(&digits));
    out
}

fn group3(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (n, c) in digits.chars().enumerate() {
        if n > 0 && (digits.len() - n).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `message.Printer`'s `%v` of a `float64` in English: the shortest
/// digits, grouped decimals (`1,234.5`) where `%g` would not use an
/// exponent, else `1.5×10⁰⁷` (at least two exponent digits, superscript).
fn loc_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f < 0.0 { "-∞".into() } else { "∞".into() };
    }
    let s = format!("{:e}", f.abs());
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i64 = e.parse().unwrap_or(0);
    let digits: String = m.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::new();
    if f < 0.0 {
        out.push('-');
    }
    if !(-4..6).contains(&exp) {
        let mut chars = digits.chars();
        out.extend(chars.next());
        let rest: String = chars.collect();
        if !rest.is_empty() {
            out.push('.');
            out.push_str(&rest);
        }
        out.push_str("×10");
        if exp < 0 {
            out.push('⁻');
        }
        for c in format!("{:02}", exp.unsigned_abs()).chars() {
            out.push(match c {
                '0' => '⁰',
                '1' => '¹',
                '2' => '²',
                '3' => '³',
                '4' => '⁴',
                '5' => '⁵',
                '6' => '⁶',
                '7' => '⁷',
                '8' => '⁸',
                _ => '⁹',
            });
        }
        return out;
    }
    let point = exp + 1;
    let (int, frac) = if point <= 0 {
        (
            "0".to_string(),
            format!("{}{digits}", "0".repeat(point.unsigned_abs() as usize)),
        )
    } else if point as usize >= digits.len() {
        (
            format!("{digits}{}", "0".repeat(point as usize - digits.len())),
            String::new(),
        )
    } else {
        (
            digits[..point as usize].to_string(),
            digits[point as usize..].to_string(),
        )
    };
    out.push_str(&group3(&int));
    if !frac.is_empty() {
        out.push('.');
        out.push_str(&frac);
    }
    out
}

// ---------------------------------------------------------------------------
// Go's net/url, as far as the library uses it: parsing (with its errors),
// `ResolveReference`, `String`, `Hostname`, path escaping.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Enc {
    Path,
    PathSegment,
    Host,
    Zone,
    UserPassword,
    Fragment,
}

fn should_escape(c: u8, mode: Enc) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if matches!(mode, Enc::Host | Enc::Zone)
        && matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'['
                | b']'
                | b'<'
                | b'>'
                | b'"'
        )
    {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => return false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => match mode {
            Enc::Path => return c == b'?',
            Enc::PathSegment => return matches!(c, b'/' | b';' | b',' | b'?'),
            Enc::UserPassword => return matches!(c, b'@' | b'/' | b'?' | b':'),
            Enc::Fragment => return false,
            _ => {}
        },
        _ => {}
    }
    if mode == Enc::Fragment && matches!(c, b'!' | b'(' | b')' | b'*') {
        return false;
    }
    true
}

fn unhex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `url.unescape`; the error is Go's text.
fn url_unescape(s: &[u8], mode: Enc) -> Result<Vec<u8>, String> {
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' => {
                if i + 2 >= s.len()
                    || !s[i + 1].is_ascii_hexdigit()
                    || !s[i + 2].is_ascii_hexdigit()
                {
                    let bad = &s[i..(i + 3).min(s.len())];
                    return Err(format!("invalid URL escape {}", gofmt::quote_bytes(bad)));
                }
                if mode == Enc::Host && unhex(s[i + 1]) < 8 && &s[i..i + 3] != b"%25" {
                    return Err(format!(
                        "invalid URL escape {}",
                        gofmt::quote_bytes(&s[i..i + 3])
                    ));
                }
                if mode == Enc::Zone {
                    let v = unhex(s[i + 1]) << 4 | unhex(s[i + 2]);
                    if &s[i..i + 3] != b"%25" && v != b' ' && should_escape(v, Enc::Host) {
                        return Err(format!(
                            "invalid URL escape {}",
                            gofmt::quote_bytes(&s[i..i + 3])
                        ));
                    }
                }
                i += 3;
            }
            c => {
                if matches!(mode, Enc::Host | Enc::Zone) && c < 0x80 && should_escape(c, mode) {
                    return Err(format!(
                        "invalid character {} in host name",
                        gofmt::quote_bytes(&s[i..i + 1])
                    ));
                }
                i += 1;
            }
        }
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            out.push(unhex(s[i + 1]) << 4 | unhex(s[i + 2]));
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    Ok(out)
}

/// `url.escape`.
fn url_escape(s: &[u8], mode: Enc) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(s.len());
    for &c in s {
        if should_escape(c, mode) {
            out.extend_from_slice(&[b'%', HEX[usize::from(c >> 4)], HEX[usize::from(c & 15)]]);
        } else {
            out.push(c);
        }
    }
    lossy(&out)
}

/// `url.PathUnescape` (the library's `decode` of a fragment).
fn path_unescape(s: &str) -> Result<String, String> {
    url_unescape(s.as_bytes(), Enc::PathSegment).map(|b| lossy(&b))
}

/// The library's `encode`: each `/`-separated token `url.PathEscape`d.
fn encode_ptr(frag: &str) -> String {
    frag.split('/')
        .map(|t| url_escape(t.as_bytes(), Enc::PathSegment))
        .collect::<Vec<_>>()
        .join("/")
}

fn valid_encoded(s: &[u8], mode: Enc) -> bool {
    s.iter().all(|&c| {
        matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'['
                | b']'
                | b'%'
        ) || !should_escape(c, mode)
    })
}

fn valid_optional_port(port: &[u8]) -> bool {
    match port.split_first() {
        None => true,
        Some((b':', rest)) => rest.iter().all(u8::is_ascii_digit),
        Some(_) => false,
    }
}

/// A parsed URL (Go's `url.URL`); decoded parts are bytes, as Go strings.
#[derive(Clone, Default, Debug)]
struct GoUrl {
    scheme: String,
    opaque: String,
    user: Option<(Vec<u8>, Option<Vec<u8>>)>,
    host: Vec<u8>,
    path: Vec<u8>,
    raw_path: String,
    omit_host: bool,
    force_query: bool,
    raw_query: String,
    fragment: Vec<u8>,
    raw_fragment: String,
}

/// `url.Parse`; the error is Go's full text (`parse "x": ...`).
fn url_parse(raw: &str) -> Result<GoUrl, String> {
    let (u, frag) = match raw.split_once('#') {
        Some((u, f)) => (u, Some(f)),
        None => (raw, None),
    };
    let mut url = url_parse_nofrag(u).map_err(|e| format!("parse {}: {e}", gofmt::quote(u)))?;
    if let Some(f) = frag.filter(|f| !f.is_empty()) {
        let fragment = url_unescape(f.as_bytes(), Enc::Fragment)
            .map_err(|e| format!("parse {}: {e}", gofmt::quote(raw)))?;
        url.raw_fragment = if url_escape(&fragment, Enc::Fragment) == f {
            String::new()
        } else {
            f.to_string()
        };
        url.fragment = fragment;
    }
    Ok(url)
}

fn url_parse_nofrag(raw: &str) -> Result<GoUrl, String> {
    if raw.bytes().any(|b| b < b' ' || b == 0x7f) {
        return Err("net/url: invalid control character in URL".into());
    }
    let mut url = GoUrl::default();
    if raw == "*" {
        url.path = b"*".to_vec();
        return Ok(url);
    }
    // getScheme
    let mut rest = raw;
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' => {
                if i == 0 {
                    return Err("missing protocol scheme".into());
                }
                url.scheme = raw[..i].to_ascii_lowercase();
                rest = &raw[i + 1..];
                break;
            }
            _ => break,
        }
    }
    if rest.ends_with('?') && rest.matches('?').count() == 1 {
        url.force_query = true;
        rest = &rest[..rest.len() - 1];
    } else if let Some((r, q)) = rest.split_once('?') {
        url.raw_query = q.to_string();
        rest = r;
    }
    if !rest.starts_with('/') {
        if !url.scheme.is_empty() {
            url.opaque = rest.to_string();
            return Ok(url);
        }
        let segment = rest.split('/').next().unwrap_or("");
        if segment.contains(':') {
            return Err("first path segment in URL cannot contain colon".into());
        }
    }
    if (!url.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let authority_rest = &rest[2..];
        let (authority, r) = match authority_rest.find('/') {
            Some(i) => (&authority_rest[..i], &authority_rest[i..]),
            None => (authority_rest, ""),
        };
        rest = r;
        parse_authority(&mut url, authority.as_bytes())?;
    } else if !url.scheme.is_empty() && rest.starts_with('/') {
        url.omit_host = true;
    }
    url.set_path(rest.as_bytes())?;
    Ok(url)
}

fn parse_authority(url: &mut GoUrl, authority: &[u8]) -> Result<(), String> {
    let at = authority.iter().rposition(|&c| c == b'@');
    url.host = parse_host(match at {
        Some(i) => &authority[i + 1..],
        None => authority,
    })?;
    let Some(i) = at else {
        return Ok(());
    };
    let userinfo = &authority[..i];
    let valid = String::from_utf8_lossy(userinfo).chars().all(|r| {
        r.is_ascii_alphanumeric()
            || matches!(
                r,
                '-' | '.'
                    | '_'
                    | ':'
                    | '~'
                    | '!'
                    | '$'
                    | '&'
                    | '\''
                    | '('
                    | ')'
                    | '*'
                    | '+'
                    | ','
                    | ';'
                    | '='
                    | '%'
                    | '@'
            )
    });
    if !valid {
        return Err("net/url: invalid userinfo".into());
    }
    url.user = Some(match userinfo.iter().position(|&c| c == b':') {
        None => (url_unescape(userinfo, Enc::UserPassword)?, None),
        Some(c) => (
            url_unescape(&userinfo[..c], Enc::UserPassword)?,
            Some(url_unescape(&userinfo[c + 1..], Enc::UserPassword)?),
        ),
    });
    Ok(())
}

fn parse_host(host: &[u8]) -> Result<Vec<u8>, String> {
    if host.first() == Some(&b'[') {
        let Some(i) = host.iter().rposition(|&c| c == b']') else {
            return Err("missing ']' in host".into());
        };
        let colon_port = &host[i + 1..];
        if !valid_optional_port(colon_port) {
            return Err(format!(
                "invalid port {} after host",
                gofmt::quote_bytes(colon_port)
            ));
        }
        if let Some(zone) = find(&host[..i], b"%25") {
            let mut out = url_unescape(&host[..zone], Enc::Host)?;
            out.extend(url_unescape(&host[zone..i], Enc::Zone)?);
            out.extend(url_unescape(&host[i..], Enc::Host)?);
            return Ok(out);
        }
    } else if let Some(i) = host.iter().position(|&c| c == b':') {
        // Helm's Go checks from the first colon (`http://::1/` has an
        // invalid port `::1`).
        let colon_port = &host[i..];
        if !valid_optional_port(colon_port) {
            return Err(format!(
                "invalid port {} after host",
                gofmt::quote_bytes(colon_port)
            ));
        }
    }
    url_unescape(host, Enc::Host)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl GoUrl {
    fn set_path(&mut self, p: &[u8]) -> Result<(), String> {
        let path = url_unescape(p, Enc::Path)?;
        self.raw_path = if url_escape(&path, Enc::Path).as_bytes() == p {
            String::new()
        } else {
            lossy(p)
        };
        self.path = path;
        Ok(())
    }

    fn escaped_path(&self) -> String {
        if !self.raw_path.is_empty() && valid_encoded(self.raw_path.as_bytes(), Enc::Path) {
            if let Ok(p) = url_unescape(self.raw_path.as_bytes(), Enc::Path) {
                if p == self.path {
                    return self.raw_path.clone();
                }
            }
        }
        if self.path == b"*" {
            return "*".into();
        }
        url_escape(&self.path, Enc::Path)
    }

    fn escaped_fragment(&self) -> String {
        if !self.raw_fragment.is_empty()
            && valid_encoded(self.raw_fragment.as_bytes(), Enc::Fragment)
        {
            if let Ok(f) = url_unescape(self.raw_fragment.as_bytes(), Enc::Fragment) {
                if f == self.fragment {
                    return self.raw_fragment.clone();
                }
            }
        }
        url_escape(&self.fragment, Enc::Fragment)
    }

    fn is_abs(&self) -> bool {
        !self.scheme.is_empty()
    }

    /// `URL.String`.
    fn string(&self) -> String {
        let mut buf = String::new();
        if !self.scheme.is_empty() {
            buf.push_str(&self.scheme);
            buf.push(':');
        }
        if !self.opaque.is_empty() {
            buf.push_str(&self.opaque);
        } else {
            if !self.scheme.is_empty() || !self.host.is_empty() || self.user.is_some() {
                if self.omit_host && self.host.is_empty() && self.user.is_none() {
                    // omit empty host
                } else {
                    if !self.host.is_empty() || !self.path.is_empty() || self.user.is_some() {
                        buf.push_str("//");
                    }
                    if let Some((u, p)) = &self.user {
                        buf.push_str(&url_escape(u, Enc::UserPassword));
                        if let Some(p) = p {
                            buf.push(':');
                            buf.push_str(&url_escape(p, Enc::UserPassword));
                        }
                        buf.push('@');
                    }
                    if !self.host.is_empty() {
                        buf.push_str(&url_escape(&self.host, Enc::Host));
                    }
                }
            }
            let path = self.escaped_path();
            if !path.is_empty() && !path.starts_with('/') && !self.host.is_empty() {
                buf.push('/');
            }
            if buf.is_empty() && path.split('/').next().unwrap_or("").contains(':') {
                buf.push_str("./");
            }
            buf.push_str(&path);
        }
        if self.force_query || !self.raw_query.is_empty() {
            buf.push('?');
            buf.push_str(&self.raw_query);
        }
        if !self.fragment.is_empty() {
            buf.push('#');
            buf.push_str(&self.escaped_fragment());
        }
        buf
    }

    /// `URL.ResolveReference`.
    fn resolve(&self, r: &GoUrl) -> GoUrl {
        let mut url = r.clone();
        if r.scheme.is_empty() {
            url.scheme = self.scheme.clone();
        }
        if !r.scheme.is_empty() || !r.host.is_empty() || r.user.is_some() {
            let _ = url.set_path(resolve_path(&r.escaped_path(), "").as_bytes());
            return url;
        }
        if !r.opaque.is_empty() {
            url.user = None;
            url.host.clear();
            url.path.clear();
            return url;
        }
        if r.path.is_empty() && !r.force_query && r.raw_query.is_empty() {
            url.raw_query = self.raw_query.clone();
            if r.fragment.is_empty() {
                url.fragment = self.fragment.clone();
                url.raw_fragment = self.raw_fragment.clone();
            }
        }
        url.host = self.host.clone();
        url.user = self.user.clone();
        let _ = url.set_path(resolve_path(&self.escaped_path(), &r.escaped_path()).as_bytes());
        url
    }

    /// `URL.Hostname`.
    fn hostname(&self) -> Vec<u8> {
        let mut host = self.host.as_slice();
        if let Some(colon) = host.iter().rposition(|&c| c == b':') {
            if valid_optional_port(&host[colon..]) {
                host = &host[..colon];
            }
        }
        if host.len() >= 2 && host[0] == b'[' && host[host.len() - 1] == b']' {
            host = &host[1..host.len() - 1];
        }
        host.to_vec()
    }
}

/// `resolvePath`.
fn resolve_path(base: &str, r: &str) -> String {
    let full = if r.is_empty() {
        base.to_string()
    } else if !r.starts_with('/') {
        let i = base.rfind('/').map_or(0, |i| i + 1);
        format!("{}{r}", &base[..i])
    } else {
        r.to_string()
    };
    if full.is_empty() {
        return String::new();
    }
    let mut dst = String::from("/");
    let mut first = true;
    let mut elem = "";
    let mut remaining = full.as_str();
    let mut found = true;
    while found {
        match remaining.split_once('/') {
            Some((e, rest)) => {
                elem = e;
                remaining = rest;
            }
            None => {
                elem = remaining;
                remaining = "";
                found = false;
            }
        }
        if elem == "." {
            first = false;
            continue;
        }
        if elem == ".." {
            let s = dst[1..].to_string();
            dst = String::from("/");
            match s.rfind('/') {
                None => first = true,
                Some(index) => dst.push_str(&s[..index]),
            }
        } else {
            if !first {
                dst.push('/');
            }
            dst.push_str(elem);
            first = false;
        }
    }
    if elem == "." || elem == ".." {
        dst.push('/');
    }
    if dst.len() > 1 && dst.as_bytes()[1] == b'/' {
        dst.remove(0);
    }
    dst
}

/// The library's `split`: a URL and its fragment (raw).
fn split_frag(s: &str) -> (&str, &str) {
    match s.find('#') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    }
}

/// A URL and a decoded fragment (the library's `urlFrag`).
struct UrlFrag {
    url: String,
    frag: String,
}

impl UrlFrag {
    fn string(&self) -> String {
        format!("{}#{}", self.url, encode_ptr(&self.frag))
    }
}

/// The library's `url.join(ref)`: `ref` resolved against `base`.
fn url_join(base: &str, reference: &str) -> Result<UrlFrag, String> {
    let b = url_parse(base).map_err(|e| format!("error in parsing {}: {e}", gofmt::quote(base)))?;
    let (r, f) = split_frag(reference);
    let frag = path_unescape(f)
        .map_err(|e| format!("error in parsing {}: {e}", gofmt::quote(reference)))?;
    let ru = url_parse(r).map_err(|e| format!("error in parsing {}: {e}", gofmt::quote(r)))?;
    let mut resolved = b.resolve(&ru);
    if !ru.is_abs() && !b.opaque.is_empty() {
        resolved.opaque = b.opaque.clone();
    }
    Ok(UrlFrag {
        url: resolved.string(),
        frag,
    })
}

/// The library's JSON-pointer token escaping.
fn escape_tok(tok: &str) -> String {
    tok.replace('~', "~0").replace('/', "~1")
}

fn unescape_tok(tok: &str) -> Option<String> {
    if !tok.contains('~') {
        return Some(tok.to_string());
    }
    let mut out = String::new();
    let mut chars = tok.chars();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.next() {
                Some('0') => out.push('~'),
                Some('1') => out.push('/'),
                _ => return None,
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// `jsonPtr` of instance-location tokens.
fn json_ptr<S: AsRef<str>>(tokens: &[S]) -> String {
    let mut s = String::new();
    for t in tokens {
        s.push('/');
        s.push_str(&escape_tok(t.as_ref()));
    }
    s
}

/// `urlPtr.String()`.
fn url_ptr(url: &str, ptr: &str) -> String {
    format!("{url}#{}", encode_ptr(ptr))
}

// ---------------------------------------------------------------------------
// Drafts and dialects.

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Draft {
    D4,
    D6,
    D7,
    D2019,
    #[default]
    D2020,
}

/// Where a draft's keywords hold subschemas (the library's `SchemaPath`s):
/// a keyword, and whether its value is a map of schemas, a list, or one.
#[derive(Clone, Copy)]
enum Sub {
    One(&'static str),
    Map(&'static str),
    List(&'static str),
}

const SUBS_4: &[Sub] = &[
    Sub::Map("definitions"),
    Sub::One("not"),
    Sub::List("allOf"),
    Sub::List("anyOf"),
    Sub::List("oneOf"),
    Sub::Map("properties"),
    Sub::One("additionalProperties"),
    Sub::Map("patternProperties"),
    Sub::One("items"),
    Sub::List("items"),
    Sub::One("additionalItems"),
    Sub::Map("dependencies"),
];
const SUBS_6: &[Sub] = &[Sub::One("propertyNames"), Sub::One("contains")];
const SUBS_7: &[Sub] = &[Sub::One("if"), Sub::One("then"), Sub::One("else")];
const SUBS_2019: &[Sub] = &[
    Sub::Map("$defs"),
    Sub::Map("dependentSchemas"),
    Sub::One("unevaluatedProperties"),
    Sub::One("unevaluatedItems"),
    Sub::One("contentSchema"),
];
const SUBS_2020: &[Sub] = &[Sub::List("prefixItems")];

impl Draft {
    const ALL: [Draft; 5] = [Draft::D4, Draft::D6, Draft::D7, Draft::D2019, Draft::D2020];

    fn version(self) -> u32 {
        match self {
            Draft::D4 => 4,
            Draft::D6 => 6,
            Draft::D7 => 7,
            Draft::D2019 => 2019,
            Draft::D2020 => 2020,
        }
    }

    fn url(self) -> &'static str {
        match self {
            Draft::D4 => "http://json-schema.org/draft-04/schema",
            Draft::D6 => "http://json-schema.org/draft-06/schema",
            Draft::D7 => "http://json-schema.org/draft-07/schema",
            Draft::D2019 => "https://json-schema.org/draft/2019-09/schema",
            Draft::D2020 => "https://json-schema.org/draft/2020-12/schema",
        }
    }

    fn id_kw(self) -> &'static str {
        if self == Draft::D4 {
            "id"
        } else {
            "$id"
        }
    }

    fn subschemas(self) -> impl Iterator<Item = &'static Sub> {
        let v = self.version();
        SUBS_4
            .iter()
            .chain(SUBS_6.iter().filter(move |_| v >= 6))
            .chain(SUBS_7.iter().filter(move |_| v >= 7))
            .chain(SUBS_2019.iter().filter(move |_| v >= 2019))
            .chain(SUBS_2020.iter().filter(move |_| v >= 2020))
    }

    fn vocab_prefix(self) -> &'static str {
        match self {
            Draft::D2019 => "https://json-schema.org/draft/2019-09/vocab/",
            Draft::D2020 => "https://json-schema.org/draft/2020-12/vocab/",
            _ => "",
        }
    }

    fn all_vocabs(self) -> &'static [&'static str] {
        match self {
            Draft::D2019 => &[
                "core",
                "applicator",
                "validation",
                "meta-data",
                "format",
                "content",
            ],
            Draft::D2020 => &[
                "core",
                "applicator",
                "unevaluated",
                "validation",
                "meta-data",
                "format-annotation",
                "format-assertion",
                "content",
            ],
            _ => &[],
        }
    }

    fn default_vocabs(self) -> &'static [&'static str] {
        match self {
            Draft::D2019 => &["core", "applicator", "validation"],
            Draft::D2020 => &["core", "applicator", "unevaluated", "validation"],
            _ => &[],
        }
    }

    /// `draftFromURL`.
    fn from_url(url: &str) -> Option<Draft> {
        let (u, frag) = split_frag(url);
        if !frag.is_empty() {
            return None;
        }
        let u = u
            .strip_prefix("http://")
            .or_else(|| u.strip_prefix("https://"))
            .unwrap_or(u);
        Some(match u {
            "json-schema.org/schema" | "json-schema.org/draft/2020-12/schema" => Draft::D2020,
            "json-schema.org/draft/2019-09/schema" => Draft::D2019,
            "json-schema.org/draft-07/schema" => Draft::D7,
            "json-schema.org/draft-06/schema" => Draft::D6,
            "json-schema.org/draft-04/schema" => Draft::D4,
            _ => return None,
        })
    }

    /// `getID`: the id without its fragment; empty when absent (or, before
    /// 2019-09, beside a `$ref`).
    fn get_id(self, obj: &Obj) -> String {
        if self.version() < 2019 && obj.contains_key("$ref") {
            return String::new();
        }
        match obj.get(self.id_kw()).and_then(Json::as_str) {
            Some(id) => split_frag(id).0.to_string(),
            None => String::new(),
        }
    }
}

/// A draft and the vocabularies its metaschema turns on (`None`: the
/// draft's defaults).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Dialect {
    draft: Draft,
    vocabs: Option<Vec<String>>,
}

impl Dialect {
    fn has_vocab(&self, name: &str) -> bool {
        if name == "core" || self.draft.version() < 2019 {
            return true;
        }
        match &self.vocabs {
            Some(v) => v.iter().any(|x| x == name),
            None => self.draft.default_vocabs().contains(&name),
        }
    }
}

/// The metaschemas the library embeds, by their path under
/// `json-schema.org/`.
fn embedded_meta(path: &str) -> Option<&'static str> {
    METASCHEMAS
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, s)| *s)
}

/// `loadMeta`: the embedded document for a `json-schema.org` URL (parsed
/// once), `Ok(None)` for other URLs, or the error Go's `embed.FS` gives.
fn load_meta(url: &str) -> Result<Option<Arc<Json>>, String> {
    let Some(u) = url
        .strip_prefix("http://json-schema.org/")
        .or_else(|| url.strip_prefix("https://json-schema.org/"))
    else {
        return Ok(None);
    };
    let u = if u == "schema" {
        "draft/2020-12/schema"
    } else {
        u
    };
    let valid = u.split('/').all(|e| !e.is_empty() && e != "." && e != "..");
    if !valid {
        return Err(format!("open metaschemas/{u}: invalid argument"));
    }
    let dirs = [
        "draft-04",
        "draft-06",
        "draft-07",
        "draft",
        "draft/2019-09",
        "draft/2020-12",
        "draft/2019-09/meta",
        "draft/2020-12/meta",
    ];
    if dirs.contains(&u) {
        return Err(format!("read metaschemas/{u}: is a directory"));
    }
    static PARSED: OnceLock<HashMap<&'static str, Arc<Json>>> = OnceLock::new();
    let parsed = PARSED.get_or_init(|| {
        METASCHEMAS
            .iter()
            .filter_map(|(p, s)| {
                parse_json_document(s.as_bytes())
                    .ok()
                    .map(|j| (*p, Arc::new(j)))
            })
            .collect()
    });
    if embedded_meta(u).is_none() {
        return Ok(None);
    }
    Ok(parsed.get(u).cloned())
}

// ---------------------------------------------------------------------------
// The compiler: roots, resources, anchors, `$ref` resolution, and the
// compilation of schema objects into nodes.

/// Why a schema cannot be used: the library's error text, or a Go panic
/// (which Helm recovers into `unable to validate schema: ...`).
#[derive(Debug)]
enum CompileError {
    Msg(String),
    Panic(String),
}

impl CompileError {
    fn text(&self) -> String {
        match self {
            CompileError::Msg(m) => m.clone(),
            CompileError::Panic(p) => format!("unable to validate schema: {p}"),
        }
    }

    fn nil() -> CompileError {
        CompileError::Panic(
            "runtime error: invalid memory address or nil pointer dereference".into(),
        )
    }
}

impl From<String> for CompileError {
    fn from(m: String) -> Self {
        CompileError::Msg(m)
    }
}

/// Which `URLLoader` the compiler has.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LoaderKind {
    /// Helm's `SchemeURLLoader` (`file`, `http`, `https`, `urn`), offline.
    Helm,
    /// The library's default `FileLoader` (the metaschema compiler's).
    Default,
}

/// A schema resource: a subschema with its own base URL (`$id`) and
/// dialect, and the anchors defined in it.
#[derive(Clone, Debug)]
struct Resource {
    ptr: String,
    id: String,
    dialect: Dialect,
    anchors: BTreeMap<String, String>,
    dynamic_anchors: Vec<String>,
}

impl Resource {
    fn new(ptr: &str, id: &str, dialect: Dialect) -> Self {
        Resource {
            ptr: ptr.to_string(),
            id: id.to_string(),
            dialect,
            anchors: BTreeMap::new(),
            dynamic_anchors: Vec::new(),
        }
    }
}

/// A loaded document and the resources found in it.
#[derive(Clone)]
struct Root {
    url: String,
    doc: Arc<Json>,
    resources: BTreeMap<String, Resource>,
    processed: HashSet<String>,
}

impl Root {
    /// The innermost resource containing `ptr`.
    fn resource(&self, ptr: &str) -> Option<&Resource> {
        let mut p = ptr;
        loop {
            if let Some(r) = self.resources.get(p) {
                return Some(r);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => break,
            }
        }
        self.resources.get("")
    }

    fn resolve_fragment_in(
        &self,
        frag: &str,
        res: &Resource,
    ) -> Result<(String, String), CompileError> {
        if frag.is_empty() || frag.starts_with('/') {
            return Ok((self.url.clone(), format!("{}{frag}", res.ptr)));
        }
        match res.anchors.get(frag) {
            Some(p) => Ok((self.url.clone(), p.clone())),
            None => Err(CompileError::Msg(format!(
                "anchor in {} not found in schema {}",
                gofmt::quote(
                    &UrlFrag {
                        url: res.id.clone(),
                        frag: frag.to_string()
                    }
                    .string()
                ),
                gofmt::quote(&self.url)
            ))),
        }
    }

    /// `root.resolve`: the location of a reference within this document,
    /// or `None` if it points elsewhere.
    fn resolve(&self, uf: &UrlFrag) -> Result<Option<(String, String)>, CompileError> {
        let res = if uf.url == self.url {
            self.resources.get("")
        } else {
            self.resources.values().find(|r| r.id == uf.url)
        };
        match res {
            Some(res) => self.resolve_fragment_in(&uf.frag, res).map(Some),
            None if uf.url == self.url => Err(CompileError::nil()),
            None => Ok(None),
        }
    }
}

/// The value at a JSON pointer in a document (`urlPtr.lookup`).
fn lookup<'d>(doc: &'d Json, url: &str, ptr: &str) -> Result<&'d Json, CompileError> {
    let mut v = doc;
    if ptr.is_empty() {
        return Ok(v);
    }
    for tok in ptr.split('/').skip(1) {
        let Some(tok) = unescape_tok(tok) else {
            return Err(CompileError::Msg(format!(
                "invalid json-pointer {}",
                gofmt::quote(&url_ptr(url, ptr))
            )));
        };
        let next = match v {
            Json::Obj(o) => o.get(&tok),
            Json::Arr(a) => atoi(&tok)
                .ok()
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| a.get(i)),
            _ => None,
        };
        match next {
            Some(n) => v = n,
            None => {
                return Err(CompileError::Msg(format!(
                    "json-pointer in {} not found",
                    gofmt::quote(&url_ptr(url, ptr))
                )))
            }
        }
    }
    Ok(v)
}

struct Compiler {
    nodes: Vec<Node>,
    /// Each node's document URL and pointer.
    keys: Vec<(String, String)>,
    index: HashMap<String, usize>,
    /// The first node not compiled yet.
    next: usize,
    roots: HashMap<String, Arc<Root>>,
    docs: HashMap<String, Arc<Json>>,
    assert_format: bool,
    loader: LoaderKind,
}

impl Compiler {
    fn new(assert_format: bool, loader: LoaderKind) -> Self {
        Compiler {
            nodes: Vec::new(),
            keys: Vec::new(),
            index: HashMap::new(),
            next: 0,
            roots: HashMap::new(),
            docs: HashMap::new(),
            assert_format,
            loader,
        }
    }

    /// `Compiler.Compile(loc)` for an absolute location.
    fn compile(&mut self, loc: &str) -> Result<usize, CompileError> {
        let (u, f) = split_frag(loc);
        let frag =
            path_unescape(f).map_err(|e| format!("error in parsing {}: {e}", gofmt::quote(loc)))?;
        let (url, ptr) = self.resolve_fragment(&UrlFrag {
            url: u.to_string(),
            frag,
        })?;
        self.do_compile(&url, &ptr)
    }

    fn enqueue(&mut self, url: &str, ptr: &str) -> usize {
        let key = format!("{url}#{ptr}");
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let i = self.nodes.len();
        self.nodes.push(Node {
            location: url_ptr(url, ptr),
            ..Node::default()
        });
        self.keys.push((url.to_string(), ptr.to_string()));
        self.index.insert(key, i);
        i
    }

    fn do_compile(&mut self, url: &str, ptr: &str) -> Result<usize, CompileError> {
        let idx = self.enqueue(url, ptr);
        while self.next < self.nodes.len() {
            let i = self.next;
            let (u, p) = self.keys[i].clone();
            self.ensure_subschema(&u, &p)?;
            let r = self.roots.get(&u).cloned().ok_or_else(CompileError::nil)?;
            let v = lookup(&r.doc, &u, &p)?;
            self.compile_value(v, i, &r)?;
            self.next += 1;
        }
        Ok(idx)
    }

    fn resolve_fragment(&mut self, uf: &UrlFrag) -> Result<(String, String), CompileError> {
        let r = self.or_load(&uf.url)?;
        let res = r.resources.get("").ok_or_else(CompileError::nil)?;
        r.resolve_fragment_in(&uf.frag, res)
    }

    fn or_load(&mut self, url: &str) -> Result<Arc<Root>, CompileError> {
        if let Some(r) = self.roots.get(url) {
            return Ok(r.clone());
        }
        let doc = self.load(url)?;
        self.add_root(url, doc)
    }

    /// `defaultLoader.load`: a registered document, an embedded metaschema,
    /// or the URL loader (offline here).
    fn load(&mut self, url: &str) -> Result<Arc<Json>, CompileError> {
        if let Some(d) = self.docs.get(url) {
            return Ok(d.clone());
        }
        if let Some(d) = load_meta(url)? {
            self.docs.insert(url.to_string(), d.clone());
            return Ok(d);
        }
        let failing =
            |e: String| CompileError::Msg(format!("failing loading {}: {e}", gofmt::quote(url)));
        let u = url_parse(url).map_err(failing)?;
        let file_error = |u: &GoUrl| format!("open {}: no such file or directory", lossy(&u.path));
        let doc = match (self.loader, u.scheme.as_str()) {
            (_, "file") => return Err(failing(file_error(&u))),
            (LoaderKind::Helm, "http" | "https") => {
                return Err(failing(format!(
                    "HTTP request failed for {url}: Get {}: plumb does not fetch remote schemas (rendering is offline)",
                    gofmt::quote(url)
                )))
            }
            (LoaderKind::Helm, "urn") => Json::Bool(true),
            (LoaderKind::Helm, _) => {
                return Err(failing(format!("no URLLoader registered for {}", gofmt::quote(&u.string()))))
            }
            (LoaderKind::Default, _) => return Err(failing(format!("invalid file url: {}", u.string()))),
        };
        let doc = Arc::new(doc);
        self.docs.insert(url.to_string(), doc.clone());
        Ok(doc)
    }

    fn add_root(&mut self, url: &str, doc: Arc<Json>) -> Result<Arc<Root>, CompileError> {
        let mut r = Root {
            url: url.to_string(),
            doc: doc.clone(),
            resources: BTreeMap::new(),
            processed: HashSet::new(),
        };
        let fallback = Dialect {
            draft: Draft::D2020,
            vocabs: None,
        };
        self.collect_resources(&mut r, &doc, url, "", &fallback)?;
        if !url.starts_with("http://json-schema.org/")
            && !url.starts_with("https://json-schema.org/")
        {
            validate_against_meta(&r, &doc, "")?;
        }
        let r = Arc::new(r);
        self.roots.insert(url.to_string(), r.clone());
        Ok(r)
    }

    fn collect_resources(
        &mut self,
        r: &mut Root,
        sch: &Json,
        base: &str,
        ptr: &str,
        fallback: &Dialect,
    ) -> Result<(), CompileError> {
        if r.processed.contains(ptr) {
            return Ok(());
        }
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            self.collect_resources_inner(r, sch, base, ptr, fallback)
        })?;
        r.processed.insert(ptr.to_string());
        Ok(())
    }

    fn collect_resources_inner(
        &mut self,
        r: &mut Root,
        sch: &Json,
        base: &str,
        ptr: &str,
        fallback: &Dialect,
    ) -> Result<(), CompileError> {
        let Json::Obj(obj) = sch else {
            if ptr.is_empty() {
                r.resources
                    .insert(String::new(), Resource::new("", base, fallback.clone()));
            }
            return Ok(());
        };
        let mut has_schema = obj.get("$schema").is_some_and(|s| s.as_str().is_some());
        let mut draft = self.get_draft(
            &r.url.clone(),
            ptr,
            sch,
            fallback.draft,
            &mut HashSet::new(),
        )?;
        let mut id = draft.get_id(obj);
        if id.is_empty() && !ptr.is_empty() {
            // A `$schema` counts only beside an `$id`.
            draft = fallback.draft;
            has_schema = false;
            id = draft.get_id(obj);
        }
        let mut base = base.to_string();
        let mut res = None;
        if !id.is_empty() {
            let uf = url_join(&base, &id).map_err(|_| {
                CompileError::Msg(format!(
                    "error in parsing id at {}",
                    gofmt::quote(&url_ptr(&r.url, ptr))
                ))
            })?;
            base = uf.url;
            res = Some(Resource::new(ptr, &base, fallback.clone()));
        } else if ptr.is_empty() {
            res = Some(Resource::new(ptr, &base, fallback.clone()));
        }
        if let Some(mut res) = res {
            let mut found = false;
            for existing in r.resources.values() {
                if existing.id == base {
                    found = true;
                    if existing.ptr != ptr {
                        return Err(CompileError::Msg(format!(
                            "duplicate id {} in {} at {} and {}",
                            gofmt::quote(&base),
                            gofmt::quote(&r.url),
                            gofmt::quote(ptr),
                            gofmt::quote(&existing.ptr)
                        )));
                    }
                }
            }
            if !found {
                if has_schema {
                    let vocabs = self.get_meta_vocabs(sch, draft)?;
                    res.dialect = Dialect { draft, vocabs };
                }
                r.resources.insert(ptr.to_string(), res);
            }
        }
        let url = r.url.clone();
        let Some(base_res) = r.resources.values_mut().find(|res| res.id == base) else {
            return Err(CompileError::Panic("baseres is nil".into()));
        };
        collect_anchors(&url, base_res, sch, ptr)?;
        let dialect = base_res.dialect.clone();
        for (p, v) in subschemas(obj, ptr, draft) {
            self.collect_resources(r, v, &base, &p, &dialect)?;
        }
        Ok(())
    }

    /// `getDraft`: the draft a `$schema` names, following custom
    /// metaschemas to a known draft.
    fn get_draft(
        &mut self,
        url: &str,
        ptr: &str,
        doc: &Json,
        default: Draft,
        cycle: &mut HashSet<String>,
    ) -> Result<Draft, CompileError> {
        let Some(sch) = doc
            .as_obj()
            .and_then(|o| o.get("$schema"))
            .and_then(Json::as_str)
        else {
            return Ok(default);
        };
        if let Some(d) = Draft::from_url(sch) {
            return Ok(d);
        }
        let (s, _) = split_frag(sch);
        if let Err(e) = url_parse(s) {
            return Err(CompileError::Msg(format!(
                "invalid $schema in {}: {e}",
                gofmt::quote(&url_ptr(url, ptr))
            )));
        }
        if ptr.is_empty() && s == url {
            return Err(CompileError::Msg(format!(
                "draft {} is not supported",
                gofmt::quote(s)
            )));
        }
        if !cycle.insert(s.to_string()) {
            return Err(CompileError::Msg(format!(
                "cycle in resolving $schema in {}",
                gofmt::quote(s)
            )));
        }
        let doc = self.load(s)?;
        self.get_draft(s, "", &doc, default, cycle)
    }

    /// `getMetaVocabs`: the vocabularies a custom metaschema turns on.
    fn get_meta_vocabs(
        &mut self,
        doc: &Json,
        draft: Draft,
    ) -> Result<Option<Vec<String>>, CompileError> {
        let Some(sch) = doc
            .as_obj()
            .and_then(|o| o.get("$schema"))
            .and_then(Json::as_str)
        else {
            return Ok(None);
        };
        if Draft::from_url(sch).is_some() {
            return Ok(None);
        }
        let (s, _) = split_frag(sch);
        if let Err(e) = url_parse(s) {
            return Err(CompileError::Msg(format!(
                "error in parsing {}: {e}",
                gofmt::quote(s)
            )));
        }
        let meta = self.load(s)?;
        get_vocabs(draft, s, &meta)
    }

    /// `ensureSubschema`: a subschema reached by a pointer no keyword
    /// leads to gets its resources collected and is checked against its
    /// metaschema.
    fn ensure_subschema(&mut self, url: &str, ptr: &str) -> Result<(), CompileError> {
        let r = self.or_load(url)?;
        if r.processed.contains(ptr) {
            return Ok(());
        }
        let v = lookup(&r.doc, url, ptr)?;
        let mut clone = (*r).clone();
        let base = clone.resource(ptr).ok_or_else(CompileError::nil)?;
        let (base_url, dialect) = (base.id.clone(), base.dialect.clone());
        self.collect_resources(&mut clone, v, &base_url, ptr, &dialect)?;
        if !clone.resources.contains_key(ptr) {
            let key = clone
                .resource(ptr)
                .map(|r| r.ptr.clone())
                .ok_or_else(CompileError::nil)?;
            let root_url = clone.url.clone();
            if let Some(res) = clone.resources.get_mut(&key) {
                collect_anchors(&root_url, res, v, ptr)?;
            }
        }
        validate_against_meta(&clone, v, ptr)?;
        self.roots.insert(url.to_string(), Arc::new(clone));
        Ok(())
    }

    fn compile_value(&mut self, v: &Json, idx: usize, r: &Root) -> Result<(), CompileError> {
        let (url, ptr) = self.keys[idx].clone();
        let res = r.resource(&ptr).ok_or_else(CompileError::nil)?;
        let mut node = Node {
            location: self.nodes[idx].location.clone(),
            draft: res.dialect.draft,
            ..Node::default()
        };
        node.resource = self.enqueue(&url, &res.ptr);
        if node.draft == Draft::D2020 && ptr == res.ptr {
            for (anchor, aptr) in &res.anchors {
                if res.dynamic_anchors.contains(anchor) {
                    let d = self.enqueue(&url, aptr);
                    node.dynamic_anchors.push((anchor.clone(), d));
                }
            }
        }
        match v {
            Json::Bool(b) => node.boolean = Some(*b),
            Json::Obj(o) if o.is_empty() => node.boolean = Some(true),
            Json::Obj(o) => {
                let oc = ObjCompiler {
                    obj: o,
                    url: &url,
                    ptr: &ptr,
                    r,
                    res,
                };
                oc.compile(self, &mut node)?;
            }
            _ => {}
        }
        node.all_props_evaluated = node.additional_props.is_some();
        if node.draft.version() < 2020 {
            node.all_items_evaluated = node.additional_items.is_some();
            match &node.items {
                Some(Items::One(_)) => node.all_items_evaluated = true,
                Some(Items::Many(v)) => node.num_items_evaluated = v.len(),
                None => {}
            }
        } else {
            node.all_items_evaluated = node.items2020.is_some();
            node.num_items_evaluated = node.prefix_items.len();
        }
        self.nodes[idx] = node;
        Ok(())
    }
}

/// The subschemas a draft's keywords hold, by pointer.
fn subschemas<'d>(obj: &'d Obj, ptr: &str, draft: Draft) -> BTreeMap<String, &'d Json> {
    let mut out = BTreeMap::new();
    for sub in draft.subschemas() {
        match *sub {
            Sub::One(kw) => {
                if let Some(v) = obj.get(kw) {
                    out.insert(format!("{ptr}/{}", escape_tok(kw)), v);
                }
            }
            Sub::Map(kw) => {
                if let Some(m) = obj.get(kw).and_then(Json::as_obj) {
                    for (k, v) in m {
                        out.insert(format!("{ptr}/{}/{}", escape_tok(kw), escape_tok(k)), v);
                    }
                }
            }
            Sub::List(kw) => {
                if let Some(a) = obj.get(kw).and_then(Json::as_arr) {
                    for (i, v) in a.iter().enumerate() {
                        out.insert(format!("{ptr}/{}/{i}", escape_tok(kw)), v);
                    }
                }
            }
        }
    }
    out
}

/// `collectAnchors`: `$anchor`, `$dynamicAnchor`, or (before 2019-09) an
/// `$id`'s fragment, into the resource they belong to.
fn collect_anchors(
    url: &str,
    res: &mut Resource,
    sch: &Json,
    ptr: &str,
) -> Result<(), CompileError> {
    let Json::Obj(obj) = sch else {
        return Ok(());
    };
    let add = |res: &mut Resource, anchor: &str| -> Result<(), CompileError> {
        match res.anchors.get(anchor) {
            Some(p1) if p1 == ptr => Ok(()),
            Some(p1) => Err(CompileError::Msg(format!(
                "duplicate anchor {} in {} at {} and {}",
                gofmt::quote(anchor),
                gofmt::quote(url),
                gofmt::quote(p1),
                gofmt::quote(ptr)
            ))),
            None => {
                res.anchors.insert(anchor.to_string(), ptr.to_string());
                Ok(())
            }
        }
    };
    let draft = res.dialect.draft;
    if draft.version() < 2019 {
        if obj.contains_key("$ref") {
            return Ok(());
        }
        if let Some(id) = obj.get(draft.id_kw()).and_then(Json::as_str) {
            let (_, f) = split_frag(id);
            let frag = path_unescape(f).map_err(|_| {
                CompileError::Msg(format!(
                    "error in parsing anchor at {}",
                    gofmt::quote(&url_ptr(url, ptr))
                ))
            })?;
            if !frag.is_empty() && !frag.starts_with('/') {
                add(res, &frag)?;
            }
        }
    }
    if draft.version() >= 2019 {
        if let Some(a) = obj.get("$anchor").and_then(Json::as_str) {
            add(res, a)?;
        }
    }
    if draft.version() >= 2020 {
        if let Some(a) = obj.get("$dynamicAnchor").and_then(Json::as_str) {
            add(res, a)?;
            res.dynamic_anchors.push(a.to_string());
        }
    }
    Ok(())
}

/// `Draft.getVocabs`: the vocabularies a metaschema's `$vocabulary`
/// requires.
fn get_vocabs(draft: Draft, url: &str, doc: &Json) -> Result<Option<Vec<String>>, CompileError> {
    if draft.version() < 2019 {
        return Ok(None);
    }
    let Some(vocab_obj) = doc
        .as_obj()
        .and_then(|o| o.get("$vocabulary"))
        .and_then(Json::as_obj)
    else {
        return Ok(None);
    };
    let mut vocabs: Vec<String> = Vec::new();
    for (vocab, reqd) in vocab_obj {
        if !matches!(reqd, Json::Bool(true)) {
            continue;
        }
        if let Some(name) = vocab.strip_prefix(draft.vocab_prefix()) {
            if draft.all_vocabs().contains(&name) && !vocabs.iter().any(|v| v == name) {
                vocabs.push(name.to_string());
                continue;
            }
        }
        return Err(CompileError::Msg(format!(
            "unsupported vocabulary {} in {}",
            gofmt::quote(vocab),
            gofmt::quote(url)
        )));
    }
    if !vocabs.iter().any(|v| v == "core") {
        vocabs.push("core".into());
    }
    Ok(Some(vocabs))
}

// ---------------------------------------------------------------------------
// Compiled schemas.

/// `additionalProperties` / `additionalItems`.
#[derive(Clone, Debug)]
enum Additional {
    Bool(bool),
    Schema(usize),
}

/// Draft 4-2019 `items`: one schema for all, or one per position.
#[derive(Clone, Debug)]
enum Items {
    One(usize),
    Many(Vec<usize>),
}

/// A `dependencies` entry.
#[derive(Clone, Debug)]
enum Dependency {
    Props(Vec<String>),
    Schema(usize),
}

/// A regular expression with Go's syntax, errors and matching (RE2 with
/// ASCII `\d`, `\w`, `\s`, `\b`), run by the `regex` crate.
#[derive(Clone, Debug)]
struct GoRegex {
    src: String,
    re: regex::Regex,
}

impl GoRegex {
    /// `regexp.Compile`: Go's error text for a bad expression.
    fn new(src: &str) -> Result<GoRegex, String> {
        crate::template::funcs::regex::compile(src)?;
        let re = regex::RegexBuilder::new(&translate_go_regex(src))
            .size_limit(64 << 20)
            .nest_limit(4000)
            .build()
            .map_err(|e| format!("error parsing regexp: {e}"))?;
        Ok(GoRegex {
            src: src.to_string(),
            re,
        })
    }

    fn is_match(&self, s: &str) -> bool {
        self.re.is_match(s)
    }
}

/// A Go expression (already accepted by Go's parser) as the `regex` crate
/// spells it: Perl classes and word boundaries made ASCII, `\Q...\E`
/// quoted, octal escapes as `\x{..}`, a `{` that is no repetition escaped,
/// and the class syntax the crate adds (`[` nesting, `&&`, `--`, `~~`)
/// neutralised.
fn translate_go_regex(src: &str) -> String {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len() + 16);
    let mut i = 0;
    let mut in_class = false;
    let mut class_start = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && i + 1 < chars.len() {
            let e = chars[i + 1];
            i += 2;
            match e {
                'd' => out.push_str("[0-9]"),
                'D' => out.push_str("[^0-9]"),
                'w' => out.push_str("[0-9A-Za-z_]"),
                'W' => out.push_str("[^0-9A-Za-z_]"),
                's' => out.push_str("[\\t\\n\\x0C\\r ]"),
                'S' => out.push_str("[^\\t\\n\\x0C\\r ]"),
                'b' if !in_class => out.push_str("(?-u:\\b)"),
                'B' if !in_class => out.push_str("(?-u:\\B)"),
                'Q' => {
                    while i < chars.len() && !(chars[i] == '\\' && chars.get(i + 1) == Some(&'E')) {
                        out.push_str(&regex::escape(&chars[i].to_string()));
                        i += 1;
                    }
                    i = (i + 2).min(chars.len());
                }
                '0'..='7' => {
                    let mut v = e.to_digit(8).unwrap_or(0);
                    let mut n = 1;
                    while n < 3 && i < chars.len() && ('0'..='7').contains(&chars[i]) {
                        v = v * 8 + chars[i].to_digit(8).unwrap_or(0);
                        i += 1;
                        n += 1;
                    }
                    let _ = write!(out, "\\x{{{v:x}}}");
                }
                '<' | '>' => out.push(e),
                'p' | 'P' | 'x' if chars.get(i) == Some(&'{') => {
                    out.push('\\');
                    out.push(e);
                    while i < chars.len() {
                        out.push(chars[i]);
                        i += 1;
                        if chars[i - 1] == '}' {
                            break;
                        }
                    }
                }
                _ => {
                    out.push('\\');
                    out.push(e);
                }
            }
            class_start = false;
            continue;
        }
        i += 1;
        if in_class {
            match c {
                ']' if !class_start => {
                    in_class = false;
                    out.push(']');
                }
                '[' if chars.get(i) == Some(&':') => {
                    // A POSIX class: copy up to its closing `:]`.
                    out.push('[');
                    while i < chars.len() {
                        out.push(chars[i]);
                        if chars[i] == ']' && chars[i - 1] == ':' {
                            i += 1;
                            break;
                        }
                        i += 1;
                    }
                }
                '[' | '&' | '~' => {
                    out.push('\\');
                    out.push(c);
                }
                '-' if chars.get(i) == Some(&'-') => out.push_str("\\-"),
                '^' if class_start => {
                    out.push('^');
                    continue;
                }
                _ => out.push(c),
            }
            class_start = false;
            continue;
        }
        match c {
            '(' if chars.get(i) == Some(&'?') => {
                // A flags-only group: Go applies a repetition right after
                // it to the atom before it; the crate needs it written
                // before the group.
                let end = chars[i + 1..]
                    .iter()
                    .position(|c| !matches!(c, 'i' | 'm' | 's' | 'U' | '-'))
                    .map(|p| i + 1 + p);
                match end {
                    Some(end) if chars[end] == ')' => {
                        let group: String = chars[i - 1..=end].iter().collect();
                        i = end + 1;
                        let n = repetition_len(&chars, i);
                        let rep: String = chars[i..i + n].iter().collect();
                        i += n;
                        out.push_str(&rep);
                        out.push_str(&group);
                    }
                    _ => out.push('('),
                }
            }
            '[' => {
                in_class = true;
                class_start = true;
                out.push('[');
            }
            '{' => {
                // A repetition only if `{n}`, `{n,}` or `{n,m}` follows.
                out.push_str(if repetition_len(&chars, i - 1) > 0 {
                    "{"
                } else {
                    "\\{"
                });
            }
            _ => out.push(c),
        }
    }
    out
}

/// The length of the repetition operator at `chars[i..]` (`*`, `+`, `?`,
/// `{n}`, `{n,}`, `{n,m}`, each optionally lazy), or 0.
fn repetition_len(chars: &[char], i: usize) -> usize {
    let n = match chars.get(i) {
        Some('*' | '+' | '?') => 1,
        Some('{') => {
            let Some(end) = chars[i + 1..].iter().take(24).position(|&c| c == '}') else {
                return 0;
            };
            let body: String = chars[i + 1..i + 1 + end].iter().collect();
            let (a, b) = body.split_once(',').unwrap_or((&body, "0"));
            if a.is_empty()
                || !a.bytes().all(|c| c.is_ascii_digit())
                || !b.bytes().all(|c| c.is_ascii_digit())
            {
                return 0;
            }
            end + 2
        }
        _ => return 0,
    };
    if chars.get(i + n) == Some(&'?') {
        n + 1
    } else {
        n
    }
}

/// The formats the library asserts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Regex,
    JsonPointer,
    RelativeJsonPointer,
    Uuid,
    Duration,
    Period,
    Ipv4,
    Ipv6,
    Hostname,
    Email,
    Date,
    Time,
    DateTime,
    Uri,
    Iri,
    UriReference,
    IriReference,
    UriTemplate,
    Semver,
}

impl Format {
    fn from_name(name: &str) -> Option<Format> {
        Some(match name {
            "regex" => Format::Regex,
            "json-pointer" => Format::JsonPointer,
            "relative-json-pointer" => Format::RelativeJsonPointer,
            "uuid" => Format::Uuid,
            "duration" => Format::Duration,
            "period" => Format::Period,
            "ipv4" => Format::Ipv4,
            "ipv6" => Format::Ipv6,
            "hostname" => Format::Hostname,
            "email" => Format::Email,
            "date" => Format::Date,
            "time" => Format::Time,
            "date-time" => Format::DateTime,
            "uri" => Format::Uri,
            "iri" => Format::Iri,
            "uri-reference" => Format::UriReference,
            "iri-reference" => Format::IriReference,
            "uri-template" => Format::UriTemplate,
            "semver" => Format::Semver,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Format::Regex => "regex",
            Format::JsonPointer => "json-pointer",
            Format::RelativeJsonPointer => "relative-json-pointer",
            Format::Uuid => "uuid",
            Format::Duration => "duration",
            Format::Period => "period",
            Format::Ipv4 => "ipv4",
            Format::Ipv6 => "ipv6",
            Format::Hostname => "hostname",
            Format::Email => "email",
            Format::Date => "date",
            Format::Time => "time",
            Format::DateTime => "date-time",
            Format::Uri => "uri",
            Format::Iri => "iri",
            Format::UriReference => "uri-reference",
            Format::IriReference => "iri-reference",
            Format::UriTemplate => "uri-template",
            Format::Semver => "semver",
        }
    }

    /// The format's check of a string (other values always pass).
    fn validate(self, v: &Json) -> Result<(), String> {
        let Json::Str(s) = v else {
            return Ok(());
        };
        match self {
            Format::Regex => crate::template::funcs::regex::compile(s).map(|_| ()),
            Format::JsonPointer => validate_json_pointer(s),
            Format::RelativeJsonPointer => validate_relative_json_pointer(s),
            Format::Uuid => validate_uuid(s),
            Format::Duration => validate_duration(s),
            Format::Period => validate_period(s),
            Format::Ipv4 => validate_ipv4(s),
            Format::Ipv6 => validate_ipv6(s),
            Format::Hostname => validate_hostname(s),
            Format::Email => validate_email(s),
            Format::Date => validate_date(s.as_bytes()),
            Format::Time => validate_time(s.as_bytes()),
            Format::DateTime => validate_date_time(s.as_bytes()),
            Format::Uri | Format::Iri => validate_uri(s),
            Format::UriReference | Format::IriReference => validate_uri_reference(s),
            Format::UriTemplate => validate_uri_template(s),
            Format::Semver => validate_semver(s),
        }
    }
}

/// A compiled schema (the library's `Schema`), in an arena: subschemas
/// and references are indices.
#[derive(Clone, Debug, Default)]
struct Node {
    location: String,
    draft: Draft,
    resource: usize,
    dynamic_anchors: Vec<(String, usize)>,
    all_props_evaluated: bool,
    all_items_evaluated: bool,
    num_items_evaluated: usize,

    boolean: Option<bool>,
    ref_: Option<usize>,
    recursive_ref: Option<usize>,
    recursive_anchor: bool,
    dynamic_ref: Option<(usize, String)>,
    dynamic_anchor: String,
    types: u8,
    enum_: Option<(Vec<Json>, u8)>,
    const_: Option<Json>,
    not: Option<usize>,
    all_of: Vec<usize>,
    any_of: Vec<usize>,
    one_of: Vec<usize>,
    if_: Option<usize>,
    then: Option<usize>,
    else_: Option<usize>,
    format: Option<Format>,

    max_props: Option<i64>,
    min_props: Option<i64>,
    required: Vec<String>,
    property_names: Option<usize>,
    properties: HashMap<String, usize>,
    pattern_props: Vec<(GoRegex, usize)>,
    additional_props: Option<Additional>,
    dependencies: Vec<(String, Dependency)>,
    dependent_required: Vec<(String, Vec<String>)>,
    dependent_schemas: Vec<(String, usize)>,
    uneval_props: Option<usize>,

    min_items: Option<i64>,
    max_items: Option<i64>,
    unique_items: bool,
    contains: Option<usize>,
    min_contains: Option<i64>,
    max_contains: Option<i64>,
    items: Option<Items>,
    additional_items: Option<Additional>,
    prefix_items: Vec<usize>,
    items2020: Option<usize>,
    uneval_items: Option<usize>,

    min_length: Option<i64>,
    max_length: Option<i64>,
    pattern: Option<GoRegex>,

    maximum: Option<Dec>,
    minimum: Option<Dec>,
    exclusive_maximum: Option<Dec>,
    exclusive_minimum: Option<Dec>,
    multiple_of: Option<Dec>,
}

/// `objCompiler`: one schema object's keywords.
struct ObjCompiler<'x> {
    obj: &'x Obj,
    url: &'x str,
    ptr: &'x str,
    r: &'x Root,
    res: &'x Resource,
}

impl ObjCompiler<'_> {
    fn compile(&self, c: &mut Compiler, s: &mut Node) -> Result<(), CompileError> {
        let v = s.draft.version();
        if !self.compile4(c, s)? {
            return Ok(());
        }
        if v >= 6 {
            self.compile6(c, s);
        }
        if v >= 7 {
            self.compile7(c, s);
        }
        if v >= 2019 {
            self.compile2019(c, s)?;
        }
        if v >= 2020 {
            self.compile2020(c, s)?;
        }
        Ok(())
    }

    fn has_vocab(&self, name: &str) -> bool {
        self.res.dialect.has_vocab(name)
    }

    fn child(&self, tokens: &[&str]) -> String {
        let mut p = self.ptr.to_string();
        for t in tokens {
            p.push('/');
            p.push_str(&escape_tok(t));
        }
        p
    }

    fn prop(&self, c: &mut Compiler, kw: &str) -> Option<usize> {
        self.obj
            .contains_key(kw)
            .then(|| c.enqueue(self.url, &self.child(&[kw])))
    }

    fn arr(&self, c: &mut Compiler, kw: &str) -> Vec<usize> {
        let n = self
            .obj
            .get(kw)
            .and_then(Json::as_arr)
            .map_or(0, <[Json]>::len);
        (0..n)
            .map(|i| c.enqueue(self.url, &self.child(&[kw, &i.to_string()])))
            .collect()
    }

    fn map(&self, c: &mut Compiler, kw: &str) -> Option<Vec<(String, usize)>> {
        let m = self.obj.get(kw).and_then(Json::as_obj)?;
        Some(
            m.keys()
                .map(|k| (k.clone(), c.enqueue(self.url, &self.child(&[kw, k]))))
                .collect(),
        )
    }

    fn additional(&self, c: &mut Compiler, kw: &str) -> Option<Additional> {
        match self.obj.get(kw)? {
            Json::Bool(b) => Some(Additional::Bool(*b)),
            _ => self.prop(c, kw).map(Additional::Schema),
        }
    }

    fn str_val(&self, kw: &str) -> Option<&str> {
        self.obj.get(kw).and_then(Json::as_str)
    }

    fn boolean(&self, kw: &str) -> bool {
        matches!(self.obj.get(kw), Some(Json::Bool(true)))
    }

    fn num(&self, kw: &str) -> Option<Dec> {
        match self.obj.get(kw)? {
            Json::Num(n) => Dec::parse(n),
            _ => None,
        }
    }

    fn int(&self, kw: &str) -> Option<i64> {
        self.num(kw).filter(Dec::is_int).map(|d| d.to_int())
    }

    fn strings(&self, kw: &str) -> Option<Vec<String>> {
        let a = self.obj.get(kw).and_then(Json::as_arr)?;
        Some(
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
        )
    }

    /// `enqueueRef`: a reference resolved within this document, or a
    /// document loaded for it.
    fn reference(&self, c: &mut Compiler, kw: &str) -> Result<Option<usize>, CompileError> {
        let Some(r) = self.str_val(kw) else {
            return Ok(None);
        };
        let uf = url_join(&self.res.id, r)?;
        if let Some((u, p)) = self.r.resolve(&uf)? {
            return Ok(Some(c.enqueue(&u, &p)));
        }
        let (u, p) = c.resolve_fragment(&uf)?;
        Ok(Some(c.enqueue(&u, &p)))
    }

    fn regex(&self, kw: &str, pattern: &str) -> Result<GoRegex, CompileError> {
        GoRegex::new(pattern).map_err(|e| {
            CompileError::Msg(format!(
                "invalid regex {} at {}: {e}",
                gofmt::quote(pattern),
                gofmt::quote(&format!(
                    "{}/{}",
                    url_ptr(self.url, self.ptr),
                    encode_ptr(&escape_tok(kw))
                ))
            ))
        })
    }

    /// Draft 4's keywords; false when a `$ref` makes a pre-2019 schema
    /// ignore the rest.
    fn compile4(&self, c: &mut Compiler, s: &mut Node) -> Result<bool, CompileError> {
        let v = s.draft.version();
        if self.has_vocab("core") {
            s.ref_ = self.reference(c, "$ref")?;
            if v < 2019 && s.ref_.is_some() {
                return Ok(false);
            }
        }
        if self.has_vocab("applicator") {
            s.all_of = self.arr(c, "allOf");
            s.any_of = self.arr(c, "anyOf");
            s.one_of = self.arr(c, "oneOf");
            s.not = self.prop(c, "not");
            if v < 2020 {
                match self.obj.get("items") {
                    Some(Json::Arr(_)) => {
                        s.items = Some(Items::Many(self.arr(c, "items")));
                        s.additional_items = self.additional(c, "additionalItems");
                    }
                    Some(_) => s.items = self.prop(c, "items").map(Items::One),
                    None => {}
                }
            }
            if let Some(props) = self.map(c, "properties") {
                s.properties = props.into_iter().collect();
            }
            if let Some(pp) = self.map(c, "patternProperties") {
                for (pattern, idx) in pp {
                    let re = self.regex("patternProperties", &pattern)?;
                    s.pattern_props.push((re, idx));
                }
            }
            s.additional_props = self.additional(c, "additionalProperties");
            if let Some(deps) = self.obj.get("dependencies").and_then(Json::as_obj) {
                for (pname, pvalue) in deps {
                    let dep = match pvalue {
                        Json::Arr(a) => Dependency::Props(
                            a.iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect(),
                        ),
                        _ => Dependency::Schema(
                            c.enqueue(self.url, &self.child(&["dependencies", pname])),
                        ),
                    };
                    s.dependencies.push((pname.clone(), dep));
                }
            }
        }
        if self.has_vocab("validation") {
            if let Some(t) = self.obj.get("type") {
                let names: Vec<&str> = match t {
                    Json::Str(s) => vec![s.as_str()],
                    Json::Arr(a) => a.iter().filter_map(Json::as_str).collect(),
                    _ => Vec::new(),
                };
                for n in names {
                    s.types |= TYPE_NAMES
                        .iter()
                        .find(|(_, x)| *x == n)
                        .map_or(0, |(b, _)| *b);
                }
            }
            if let Some(Json::Arr(a)) = self.obj.get("enum") {
                let types = a.iter().fold(0, |t, x| t | x.type_bit());
                s.enum_ = Some((a.clone(), types));
            }
            s.multiple_of = self.num("multipleOf");
            s.maximum = self.num("maximum");
            if self.boolean("exclusiveMaximum") {
                s.exclusive_maximum = s.maximum.take();
            } else {
                s.exclusive_maximum = self.num("exclusiveMaximum");
            }
            s.minimum = self.num("minimum");
            if self.boolean("exclusiveMinimum") {
                s.exclusive_minimum = s.minimum.take();
            } else {
                s.exclusive_minimum = self.num("exclusiveMinimum");
            }
            s.min_length = self.int("minLength");
            s.max_length = self.int("maxLength");
            if let Some(p) = self.str_val("pattern") {
                s.pattern = Some(self.regex("pattern", p)?);
            }
            s.min_items = self.int("minItems");
            s.max_items = self.int("maxItems");
            s.unique_items = self.boolean("uniqueItems");
            s.max_props = self.int("maxProperties");
            s.min_props = self.int("minProperties");
            if let Some(req) = self.strings("required") {
                s.required = req;
            }
        }
        let assert_format = c.assert_format
            || v < 2019
            || (v == 2019 && self.has_vocab("format"))
            || (v == 2020 && self.has_vocab("format-assertion"));
        if assert_format {
            s.format = self.str_val("format").and_then(Format::from_name);
        }
        Ok(true)
    }

    fn compile6(&self, c: &mut Compiler, s: &mut Node) {
        if self.has_vocab("applicator") {
            s.contains = self.prop(c, "contains");
            s.property_names = self.prop(c, "propertyNames");
        }
        if self.has_vocab("validation") {
            s.const_ = self.obj.get("const").cloned();
        }
    }

    fn compile7(&self, c: &mut Compiler, s: &mut Node) {
        if self.has_vocab("applicator") {
            s.if_ = self.prop(c, "if");
            if s.if_.is_some() {
                let b = match self.obj.get("if") {
                    Some(Json::Bool(b)) => Some(*b),
                    _ => None,
                };
                if b != Some(false) {
                    s.then = self.prop(c, "then");
                }
                if b != Some(true) {
                    s.else_ = self.prop(c, "else");
                }
            }
        }
    }

    fn compile2019(&self, c: &mut Compiler, s: &mut Node) -> Result<(), CompileError> {
        if self.has_vocab("core") {
            s.recursive_ref = self.reference(c, "$recursiveRef")?;
            s.recursive_anchor = self.boolean("$recursiveAnchor");
        }
        if self.has_vocab("validation") {
            if s.contains.is_some() {
                s.min_contains = self.int("minContains");
                s.max_contains = self.int("maxContains");
            }
            if let Some(m) = self.obj.get("dependentRequired").and_then(Json::as_obj) {
                for (pname, pvalue) in m {
                    if let Json::Arr(a) = pvalue {
                        let req = a
                            .iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect();
                        s.dependent_required.push((pname.clone(), req));
                    }
                }
            }
        }
        if self.has_vocab("applicator") {
            if let Some(m) = self.map(c, "dependentSchemas") {
                s.dependent_schemas = m;
            }
        }
        let unevaluated = if s.draft == Draft::D2019 {
            self.has_vocab("applicator")
        } else {
            self.has_vocab("unevaluated")
        };
        if unevaluated {
            s.uneval_items = self.prop(c, "unevaluatedItems");
            s.uneval_props = self.prop(c, "unevaluatedProperties");
        }
        Ok(())
    }

    fn compile2020(&self, c: &mut Compiler, s: &mut Node) -> Result<(), CompileError> {
        if self.has_vocab("core") {
            if let Some(target) = self.reference(c, "$dynamicRef")? {
                let dref = self.str_val("$dynamicRef").unwrap_or("");
                let (_, f) = split_frag(dref);
                let frag = path_unescape(f)
                    .map_err(|e| format!("error in parsing {}: {e}", gofmt::quote(dref)))?;
                let anchor = if frag.is_empty() || frag.starts_with('/') {
                    String::new()
                } else {
                    frag
                };
                s.dynamic_ref = Some((target, anchor));
            }
            s.dynamic_anchor = self.str_val("$dynamicAnchor").unwrap_or("").to_string();
        }
        if self.has_vocab("applicator") {
            s.prefix_items = self.arr(c, "prefixItems");
            s.items2020 = self.prop(c, "items");
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Validation (the library's validator.go).

/// What a validation error says; the tree of errors is the library's
/// `ValidationError`.
#[derive(Clone, Debug)]
enum Kind {
    /// An error built only to say "invalid" (`boolResult` mode).
    Empty,
    /// The root: `jsonschema validation failed with '<location>'`.
    Schema(String),
    /// Several errors of one schema.
    Group,
    /// A `$ref` (or `$dynamicRef`, `$recursiveRef`) that failed.
    Reference,
    /// Any other kind, already worded.
    Msg(String),
}

#[derive(Debug)]
struct VErr {
    loc: Vec<String>,
    kind: Kind,
    causes: Vec<VErr>,
}

impl VErr {
    fn empty() -> VErr {
        VErr {
            loc: Vec::new(),
            kind: Kind::Empty,
            causes: Vec::new(),
        }
    }

    fn is_group(&self) -> bool {
        matches!(self.kind, Kind::Group)
    }

    /// The library's `display`.
    fn display(&self, sb: &mut String, indent: usize) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.display_inner(sb, indent));
    }

    fn display_inner(&self, sb: &mut String, mut indent: usize) {
        let skip = self.causes.len() == 1 && matches!(self.kind, Kind::Reference);
        if !skip {
            if indent > 0 {
                sb.push('\n');
                for _ in 1..indent {
                    sb.push_str("  ");
                }
                sb.push_str("- ");
            }
            indent += 1;
            match &self.kind {
                Kind::Schema(loc) => {
                    sb.push_str("jsonschema validation failed with ");
                    sb.push_str(&quote(loc));
                }
                kind => {
                    sb.push_str("at ");
                    sb.push_str(&quote(&json_ptr(&self.loc)));
                    sb.push_str(": ");
                    sb.push_str(match kind {
                        Kind::Group | Kind::Reference => "validation failed",
                        Kind::Msg(m) => m,
                        _ => "",
                    });
                }
            }
        }
        for c in &self.causes {
            c.display(sb, indent);
        }
    }
}

impl Drop for VErr {
    /// Iterative: an error can be as deep as the values.
    fn drop(&mut self) {
        let mut stack = std::mem::take(&mut self.causes);
        while let Some(mut e) = stack.pop() {
            stack.append(&mut e.causes);
        }
    }
}

impl std::fmt::Display for VErr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut sb = String::new();
        self.display(&mut sb, 0);
        f.write_str(&sb)
    }
}

/// What a run validates with: the node arena and, when checking a schema
/// against its metaschema, the metaschema to switch to at each resource
/// of the document (by pointer).
struct Env<'n> {
    nodes: &'n [Node],
    res_meta: Option<&'n HashMap<String, usize>>,
}

/// An instance location, as a chain up to the root.
#[derive(Clone, Copy)]
enum Loc<'p> {
    Root,
    Key(&'p Loc<'p>, &'p str),
    Index(&'p Loc<'p>, usize),
}

impl Loc<'_> {
    fn tokens(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut l = self;
        loop {
            match l {
                Loc::Root => break,
                Loc::Key(p, k) => {
                    out.push((*k).to_string());
                    l = p;
                }
                Loc::Index(p, i) => {
                    out.push(i.to_string());
                    l = p;
                }
            }
        }
        out.reverse();
        out
    }
}

/// The library's `scope`: the schemas entered for the value being
/// validated, for cycle detection and dynamic references.
struct Scp<'p> {
    sch: usize,
    ref_kw: &'static str,
    vid: usize,
    parent: Option<&'p Scp<'p>>,
}

/// Properties and items no keyword has evaluated yet.
#[derive(Debug, Default)]
struct Uneval<'a> {
    props: Option<BTreeSet<&'a str>>,
    items: Option<BTreeSet<usize>>,
}

impl<'a> Uneval<'a> {
    fn from(v: &'a Json, s: &Node, caller_needs: bool) -> Self {
        let mut u = Uneval::default();
        match v {
            Json::Obj(o)
                if !s.all_props_evaluated && (caller_needs || s.uneval_props.is_some()) =>
            {
                u.props = Some(o.keys().map(String::as_str).collect());
            }
            Json::Arr(a)
                if !s.all_items_evaluated
                    && (caller_needs || s.uneval_items.is_some())
                    && s.num_items_evaluated < a.len() =>
            {
                u.items = Some((s.num_items_evaluated..a.len()).collect());
            }
            _ => {}
        }
        u
    }

    fn is_empty(&self) -> bool {
        self.props.as_ref().is_none_or(BTreeSet::is_empty)
            && self.items.as_ref().is_none_or(BTreeSet::is_empty)
    }

    fn merge(&mut self, other: &Uneval<'_>) {
        if let Some(p) = &mut self.props {
            p.retain(|k| other.props.as_ref().is_some_and(|o| o.contains(k)));
        }
        if let Some(i) = &mut self.items {
            i.retain(|k| other.items.as_ref().is_some_and(|o| o.contains(k)));
        }
    }
}

/// `Schema.validate`: a run from the root of `v`, its error wrapped in the
/// `Schema` kind (a group's errors become its causes).
fn root_validate(env: &Env<'_>, v: &Json, sch: usize, meta: Option<usize>) -> Result<(), VErr> {
    let node = env.nodes.get(sch).ok_or_else(VErr::empty)?;
    let loc = Loc::Root;
    let scp = Scp {
        sch,
        ref_kw: "",
        vid: 0,
        parent: None,
    };
    let vd = Vd {
        env,
        v,
        loc: &loc,
        sch,
        scp: &scp,
        uneval: Uneval::from(v, node, false),
        errors: Vec::new(),
        bool_result: false,
        meta,
    };
    match vd.validate() {
        Ok(_) => Ok(()),
        Err(mut e) => {
            let causes = if e.is_group() {
                std::mem::take(&mut e.causes)
            } else {
                vec![e]
            };
            Err(VErr {
                loc: Vec::new(),
                kind: Kind::Schema(node.location.clone()),
                causes,
            })
        }
    }
}

/// One validator: a value against one schema.
struct Vd<'e, 'a, 'p> {
    env: &'e Env<'e>,
    v: &'a Json,
    loc: &'p Loc<'p>,
    sch: usize,
    scp: &'p Scp<'p>,
    uneval: Uneval<'a>,
    errors: Vec<VErr>,
    bool_result: bool,
    meta: Option<usize>,
}

impl<'e, 'a, 'p> Vd<'e, 'a, 'p> {
    fn node(&self) -> &'e Node {
        &self.env.nodes[self.sch]
    }

    fn error(&self, kind: impl FnOnce() -> Kind) -> VErr {
        if self.bool_result {
            return VErr::empty();
        }
        VErr {
            loc: self.loc.tokens(),
            kind: kind(),
            causes: Vec::new(),
        }
    }

    fn add_error(&mut self, kind: impl FnOnce() -> Kind) {
        let e = self.error(kind);
        self.errors.push(e);
    }

    fn add_errors(&mut self, causes: Vec<VErr>, kind: impl FnOnce() -> Kind) {
        let mut e = self.error(kind);
        e.causes = causes;
        self.errors.push(e);
    }

    fn add_err(&mut self, e: Option<VErr>) {
        if let Some(e) = e {
            self.errors.push(e);
        }
    }

    /// `metaResource`: the metaschema of the resource at this location, if
    /// `sch` is the current metaschema.
    fn meta_resource(&self, sch: usize) -> Option<usize> {
        if self.meta != Some(sch) {
            return None;
        }
        let res_meta = self.env.res_meta?;
        res_meta.get(&json_ptr(&self.loc.tokens())).copied()
    }

    fn handle_meta(&mut self) {
        if let Some(m) = self.meta_resource(self.sch) {
            self.meta = Some(m);
            self.sch = m;
        }
    }

    fn validate(self) -> Result<Uneval<'a>, VErr> {
        stacker::maybe_grow(128 * 1024, 2 * 1024 * 1024, move || self.validate_inner())
    }

    fn validate_inner(mut self) -> Result<Uneval<'a>, VErr> {
        let s = self.node();
        let v = self.v;
        if let Some(b) = s.boolean {
            return if b {
                Ok(self.uneval)
            } else {
                Err(self.error(|| Kind::Msg("false schema".into())))
            };
        }

        // check cycle
        let mut p = self.scp.parent;
        while let Some(ps) = p {
            if ps.vid != self.scp.vid {
                break;
            }
            if ps.sch == self.scp.sch {
                return Err(self.error(|| {
                    Kind::Msg(format!(
                        "both {} and {} resolve to {} causing reference cycle",
                        self.kw_loc(self.scp),
                        self.kw_loc(ps),
                        gofmt::quote(&s.location)
                    ))
                }));
            }
            p = ps.parent;
        }

        let t = v.type_bit();
        if t == 0 {
            return Err(self.error(|| Kind::Msg(format!("invalid jsonType {}", v.go_type()))));
        }

        if s.types != 0 {
            let matched = s.types & t != 0
                || (s.types & T_INTEGER != 0
                    && t == T_NUMBER
                    && v.num_text().is_some_and(|n| is_integer(&n)));
            if !matched {
                return Err(self.error(|| {
                    Kind::Msg(format!(
                        "got {}, want {}",
                        type_name(t),
                        type_names(s.types)
                    ))
                }));
            }
        }

        if let Some(c) = &s.const_ {
            match equals(v, c) {
                Err(bad) => return Err(self.error(|| Kind::Msg(format!("invalid jsonType {bad}")))),
                Ok(false) => {
                    return Err(self.error(|| match c {
                        Json::Arr(_) | Json::Obj(_) => Kind::Msg("'const' failed".into()),
                        other => Kind::Msg(format!("value must be {}", display(other))),
                    }))
                }
                Ok(true) => {}
            }
        }

        if let Some((values, types)) = &s.enum_ {
            let mut matched = types & t != 0;
            if matched {
                matched = false;
                for item in values {
                    match equals(v, item) {
                        Err(bad) => {
                            return Err(self.error(|| Kind::Msg(format!("invalid jsonType {bad}"))))
                        }
                        Ok(true) => {
                            matched = true;
                            break;
                        }
                        Ok(false) => {}
                    }
                }
            }
            if !matched {
                return Err(self.error(|| {
                    if values
                        .iter()
                        .any(|x| matches!(x, Json::Arr(_) | Json::Obj(_)))
                    {
                        Kind::Msg("'enum' failed".into())
                    } else if values.len() == 1 {
                        Kind::Msg(format!("value must be {}", display(&values[0])))
                    } else {
                        let want: Vec<String> = values.iter().map(display).collect();
                        Kind::Msg(format!("value must be one of {}", want.join(", ")))
                    }
                }));
            }
        }

        if let Some(f) = s.format {
            if let Err(e) = f.validate(v) {
                return Err(self.error(|| {
                    Kind::Msg(format!("{} is not valid {}: {e}", display(v), f.name()))
                }));
            }
        }

        if let Some(r) = s.ref_ {
            let err = self.validate_ref(r, "$ref");
            if s.draft.version() < 2019 {
                return match err {
                    Some(e) => Err(e),
                    None => Ok(self.uneval),
                };
            }
            self.add_err(err);
        }

        match v {
            Json::Obj(o) => self.obj_validate(o),
            Json::Arr(a) => self.arr_validate(a),
            Json::Str(st) => self.str_validate(st),
            Json::Num(_) | Json::Float(_) => self.num_validate(v),
            _ => {}
        }

        if self.errors.is_empty() || !self.bool_result {
            if s.draft.version() >= 2019 {
                self.validate_refs();
            }
            self.cond_validate();
            if s.draft.version() >= 2019 {
                self.uneval_validate();
            }
        }

        match self.errors.len() {
            0 => Ok(self.uneval),
            1 => Err(self.errors.remove(0)),
            _ => {
                let mut e = self.error(|| Kind::Group);
                e.causes = std::mem::take(&mut self.errors);
                Err(e)
            }
        }
    }

    fn kw_loc(&self, scp: &Scp<'_>) -> String {
        let mut loc = String::new();
        let mut sc = scp;
        while let Some(parent) = sc.parent {
            if sc.ref_kw.is_empty() {
                let cur = &self.env.nodes[sc.sch].location;
                let par = &self.env.nodes[parent.sch].location;
                loc = format!("{}{loc}", cur.get(par.len()..).unwrap_or(""));
            } else {
                loc = format!("/{}{loc}", escape_tok(sc.ref_kw));
            }
            sc = parent;
        }
        loc
    }

    /// `validateSelf`: the same value against another schema.
    fn validate_self(
        &mut self,
        sch: usize,
        ref_kw: &'static str,
        bool_result: bool,
    ) -> Option<VErr> {
        let scp = Scp {
            sch,
            ref_kw,
            vid: self.scp.vid,
            parent: Some(self.scp),
        };
        let uneval = Uneval::from(self.v, &self.env.nodes[sch], !self.uneval.is_empty());
        let mut sub = Vd {
            env: self.env,
            v: self.v,
            loc: self.loc,
            sch,
            scp: &scp,
            uneval,
            errors: Vec::new(),
            bool_result: self.bool_result || bool_result,
            meta: self.meta,
        };
        sub.handle_meta();
        match sub.validate() {
            Ok(u) => {
                self.uneval.merge(&u);
                None
            }
            Err(e) => Some(e),
        }
    }

    /// `validateVal`: a child value against a schema.
    fn validate_val(&self, sch: usize, v: &'a Json, tok: Tok<'a>) -> Option<VErr> {
        let loc = match tok {
            Tok::Key(k) => Loc::Key(self.loc, k),
            Tok::Index(i) => Loc::Index(self.loc, i),
        };
        let scp = Scp {
            sch,
            ref_kw: "",
            vid: self.scp.vid + 1,
            parent: Some(self.scp),
        };
        let mut sub = Vd {
            env: self.env,
            v,
            loc: &loc,
            sch,
            scp: &scp,
            uneval: Uneval::from(v, &self.env.nodes[sch], false),
            errors: Vec::new(),
            bool_result: self.bool_result,
            meta: self.meta,
        };
        sub.handle_meta();
        sub.validate().err()
    }

    fn validate_ref(&mut self, sch: usize, kw: &'static str) -> Option<VErr> {
        let mut err = self.validate_self(sch, kw, false)?;
        let causes = if err.is_group() {
            std::mem::take(&mut err.causes)
        } else {
            vec![err]
        };
        // A reference with one cause is not printed: skip computing its
        // location (a chain of references is as deep as the values).
        let mut ref_err = if causes.len() == 1 {
            VErr {
                loc: Vec::new(),
                kind: Kind::Reference,
                causes: Vec::new(),
            }
        } else {
            self.error(|| Kind::Reference)
        };
        ref_err.causes = causes;
        Some(ref_err)
    }

    fn validate_refs(&mut self) {
        let s = self.node();
        if let Some(mut sch) = s.recursive_ref {
            if self.env.nodes[sch].recursive_anchor {
                let mut scp = Some(self.scp);
                while let Some(sc) = scp {
                    if self.env.nodes[self.env.nodes[sc.sch].resource].recursive_anchor {
                        sch = sc.sch;
                    }
                    scp = sc.parent;
                }
            }
            let e = self.validate_ref(sch, "$recursiveRef");
            self.add_err(e);
        }
        if let Some((target, anchor)) = &s.dynamic_ref {
            let mut sch = *target;
            if !anchor.is_empty() && self.env.nodes[sch].dynamic_anchor == *anchor {
                let mut scp = Some(self.scp);
                while let Some(sc) = scp {
                    let res = &self.env.nodes[self.env.nodes[sc.sch].resource];
                    if let Some((_, d)) = res.dynamic_anchors.iter().find(|(a, _)| a == anchor) {
                        sch = *d;
                    }
                    scp = sc.parent;
                }
            }
            let e = self.validate_ref(sch, "$dynamicRef");
            self.add_err(e);
        }
    }

    fn find_missing(&self, obj: &Obj, reqd: &[String]) -> Option<Vec<String>> {
        let mut missing = Vec::new();
        for p in reqd {
            if !obj.contains_key(p) {
                if self.bool_result {
                    return Some(Vec::new());
                }
                missing.push(p.clone());
            }
        }
        (!missing.is_empty()).then_some(missing)
    }

    fn obj_validate(&mut self, obj: &'a Obj) {
        let s = self.node();
        let len = obj.len() as i64;
        if let Some(min) = s.min_props {
            if len < min {
                self.add_error(|| {
                    Kind::Msg(format!(
                        "minProperties: got {}, want {}",
                        loc_int(len),
                        loc_int(min)
                    ))
                });
            }
        }
        if let Some(max) = s.max_props {
            if len > max {
                self.add_error(|| {
                    Kind::Msg(format!(
                        "maxProperties: got {}, want {}",
                        loc_int(len),
                        loc_int(max)
                    ))
                });
            }
        }
        if !s.required.is_empty() {
            if let Some(missing) = self.find_missing(obj, &s.required) {
                self.add_error(|| {
                    Kind::Msg(if missing.len() == 1 {
                        format!("missing property {}", quote(&missing[0]))
                    } else {
                        format!("missing properties {}", join_quoted(&missing))
                    })
                });
            }
        }
        if self.bool_result && !self.errors.is_empty() {
            return;
        }

        for (pname, dep) in &s.dependencies {
            if obj.contains_key(pname) {
                match dep {
                    Dependency::Props(req) => {
                        if let Some(missing) = self.find_missing(obj, req) {
                            self.add_error(|| {
                                Kind::Msg(format!(
                                    "properties {} required, if {} exists",
                                    join_quoted(&missing),
                                    quote(pname)
                                ))
                            });
                        }
                    }
                    Dependency::Schema(sch) => {
                        let e = self.validate_self(*sch, "", false);
                        self.add_err(e);
                    }
                }
            }
        }

        let mut additional: Vec<String> = Vec::new();
        for (pname, pvalue) in obj {
            if self.bool_result && !self.errors.is_empty() {
                return;
            }
            let mut evaluated = false;
            if let Some(&sch) = s.properties.get(pname) {
                evaluated = true;
                let e = self.validate_val(sch, pvalue, Tok::Key(pname));
                self.add_err(e);
            }
            for (re, sch) in &s.pattern_props {
                if re.is_match(pname) {
                    evaluated = true;
                    let e = self.validate_val(*sch, pvalue, Tok::Key(pname));
                    self.add_err(e);
                }
            }
            if !evaluated {
                match &s.additional_props {
                    Some(Additional::Bool(b)) => {
                        evaluated = true;
                        if !b {
                            additional.push(pname.clone());
                        }
                    }
                    Some(Additional::Schema(sch)) => {
                        evaluated = true;
                        let e = self.validate_val(*sch, pvalue, Tok::Key(pname));
                        self.add_err(e);
                    }
                    None => {}
                }
            }
            if evaluated {
                if let Some(p) = &mut self.uneval.props {
                    p.remove(pname.as_str());
                }
            }
        }
        if !additional.is_empty() {
            self.add_error(|| {
                Kind::Msg(format!(
                    "additional properties {} not allowed",
                    join_quoted(&additional)
                ))
            });
        }

        if s.draft == Draft::D4 {
            return;
        }

        if let Some(pn) = s.property_names {
            for pname in obj.keys() {
                let (mut sch, mut meta) = (pn, self.meta);
                if let Some(m) = self.meta_resource(pn) {
                    meta = Some(m);
                    sch = m;
                }
                let name = Json::Str(pname.clone());
                if let Err(mut e) = root_validate(self.env, &name, sch, meta) {
                    e.loc = self.loc.tokens();
                    e.kind = Kind::Msg(format!("invalid propertyName {}", quote(pname)));
                    self.errors.push(e);
                }
            }
        }

        if s.draft == Draft::D6 {
            return;
        }

        for (pname, sch) in &s.dependent_schemas {
            if obj.contains_key(pname) {
                let e = self.validate_self(*sch, "", false);
                self.add_err(e);
            }
        }
        for (pname, reqd) in &s.dependent_required {
            if obj.contains_key(pname) {
                if let Some(missing) = self.find_missing(obj, reqd) {
                    self.add_error(|| {
                        Kind::Msg(format!(
                            "properties {} required, if {} exists",
                            join_quoted(&missing),
                            quote(pname)
                        ))
                    });
                }
            }
        }
    }

    fn arr_validate(&mut self, arr: &'a [Json]) {
        let s = self.node();
        let len = arr.len() as i64;
        if let Some(min) = s.min_items {
            if len < min {
                self.add_error(|| {
                    Kind::Msg(format!(
                        "minItems: got {}, want {}",
                        loc_int(len),
                        loc_int(min)
                    ))
                });
            }
        }
        if let Some(max) = s.max_items {
            if len > max {
                self.add_error(|| {
                    Kind::Msg(format!(
                        "maxItems: got {}, want {}",
                        loc_int(len),
                        loc_int(max)
                    ))
                });
            }
        }
        if s.unique_items && arr.len() > 1 {
            match duplicates(arr) {
                Err(bad) => self.add_error(|| Kind::Msg(format!("invalid jsonType {bad}"))),
                Ok(Some((i, j))) => self.add_error(|| {
                    Kind::Msg(format!(
                        "items at {} and {} are equal",
                        loc_int(i as i64),
                        loc_int(j as i64)
                    ))
                }),
                Ok(None) => {}
            }
        }

        if s.draft.version() < 2020 {
            let mut evaluated = 0;
            match &s.items {
                Some(Items::One(sch)) => {
                    for (i, item) in arr.iter().enumerate() {
                        let e = self.validate_val(*sch, item, Tok::Index(i));
                        self.add_err(e);
                    }
                    evaluated = arr.len();
                }
                Some(Items::Many(schs)) => {
                    let n = arr.len().min(schs.len());
                    for (i, item) in arr[..n].iter().enumerate() {
                        let e = self.validate_val(schs[i], item, Tok::Index(i));
                        self.add_err(e);
                    }
                    evaluated = n;
                }
                None => {}
            }
            match &s.additional_items {
                Some(Additional::Bool(false)) if evaluated != arr.len() => {
                    let n = (arr.len() - evaluated) as i64;
                    self.add_error(|| {
                        Kind::Msg(format!("last {} additionalItem(s) not allowed", loc_int(n)))
                    });
                }
                Some(Additional::Schema(sch)) => {
                    for (i, item) in arr[evaluated..].iter().enumerate() {
                        let e = self.validate_val(*sch, item, Tok::Index(evaluated + i));
                        self.add_err(e);
                    }
                }
                _ => {}
            }
        } else {
            let evaluated = s.prefix_items.len().min(arr.len());
            for (i, item) in arr[..evaluated].iter().enumerate() {
                let e = self.validate_val(s.prefix_items[i], item, Tok::Index(i));
                self.add_err(e);
            }
            if let Some(sch) = s.items2020 {
                for (i, item) in arr[evaluated..].iter().enumerate() {
                    let e = self.validate_val(sch, item, Tok::Index(evaluated + i));
                    self.add_err(e);
                }
            }
        }

        if let Some(contains) = s.contains {
            let mut errors = Vec::new();
            let mut matched = Vec::new();
            for (i, item) in arr.iter().enumerate() {
                match self.validate_val(contains, item, Tok::Index(i)) {
                    Some(e) => errors.push(e),
                    None => {
                        matched.push(i);
                        if s.draft.version() >= 2020 {
                            if let Some(items) = &mut self.uneval.items {
                                items.remove(&i);
                            }
                        }
                    }
                }
            }
            let at = |m: &[usize]| m.iter().map(usize::to_string).collect::<Vec<_>>().join(" ");
            if let Some(min) = s.min_contains {
                if (matched.len() as i64) < min {
                    self.add_errors(errors, || {
                        Kind::Msg(if matched.is_empty() {
                            format!("min {} items required to match contains schema, but none matched", loc_int(min))
                        } else {
                            format!(
                                "min {} items required to match contains schema, but matched {} items at {}",
                                loc_int(min),
                                loc_int(matched.len() as i64),
                                at(&matched)
                            )
                        })
                    });
                }
            } else if matched.is_empty() {
                self.add_errors(errors, || {
                    Kind::Msg("no items match contains schema".into())
                });
            }
            if let Some(max) = s.max_contains {
                if matched.len() as i64 > max {
                    self.add_error(|| {
                        Kind::Msg(format!(
                            "max {} items required to match contains schema, but matched {} items at {}",
                            loc_int(max),
                            loc_int(matched.len() as i64),
                            at(&matched)
                        ))
                    });
                }
            }
        }
    }

    fn str_validate(&mut self, st: &str) {
        let s = self.node();
        if s.min_length.is_some() || s.max_length.is_some() {
            let n = st.chars().count() as i64;
            if let Some(min) = s.min_length {
                if n < min {
                    self.add_error(|| {
                        Kind::Msg(format!(
                            "minLength: got {}, want {}",
                            loc_int(n),
                            loc_int(min)
                        ))
                    });
                }
            }
            if let Some(max) = s.max_length {
                if n > max {
                    self.add_error(|| {
                        Kind::Msg(format!(
                            "maxLength: got {}, want {}",
                            loc_int(n),
                            loc_int(max)
                        ))
                    });
                }
            }
        }
        if let Some(re) = &s.pattern {
            if !re.is_match(st) {
                self.add_error(|| {
                    Kind::Msg(format!(
                        "{} does not match pattern {}",
                        quote(st),
                        quote(&re.src)
                    ))
                });
            }
        }
    }

    fn num_validate(&mut self, v: &Json) {
        let s = self.node();
        if s.minimum.is_none()
            && s.maximum.is_none()
            && s.exclusive_minimum.is_none()
            && s.exclusive_maximum.is_none()
            && s.multiple_of.is_none()
        {
            return;
        }
        let Some(num) = v.num_text().and_then(|t| Dec::parse(&t)) else {
            return;
        };
        let msg = |kw: &str, want: &Dec| {
            Kind::Msg(format!(
                "{kw}: got {}, want {}",
                loc_float(num.to_f64()),
                loc_float(want.to_f64())
            ))
        };
        if let Some(m) = &s.minimum {
            if num.cmp(m) == Ordering::Less {
                self.add_error(|| msg("minimum", m));
            }
        }
        if let Some(m) = &s.maximum {
            if num.cmp(m) == Ordering::Greater {
                self.add_error(|| msg("maximum", m));
            }
        }
        if let Some(m) = &s.exclusive_minimum {
            if num.cmp(m) != Ordering::Greater {
                self.add_error(|| msg("exclusiveMinimum", m));
            }
        }
        if let Some(m) = &s.exclusive_maximum {
            if num.cmp(m) != Ordering::Less {
                self.add_error(|| msg("exclusiveMaximum", m));
            }
        }
        if let Some(m) = &s.multiple_of {
            if !num.is_multiple_of(m) {
                self.add_error(|| msg("multipleOf", m));
            }
        }
    }

    fn cond_validate(&mut self) {
        let s = self.node();
        if let Some(not) = s.not {
            if self.validate_self(not, "", true).is_none() {
                self.add_error(|| Kind::Msg("'not' failed".into()));
            }
        }
        if !s.all_of.is_empty() {
            let mut errors = Vec::new();
            for &sch in &s.all_of {
                if let Some(e) = self.validate_self(sch, "", false) {
                    errors.push(e);
                    if self.bool_result {
                        break;
                    }
                }
            }
            if !errors.is_empty() {
                self.add_errors(errors, || Kind::Msg("'allOf' failed".into()));
            }
        }
        if !s.any_of.is_empty() {
            let mut matched = false;
            let mut errors = Vec::new();
            for &sch in &s.any_of {
                match self.validate_self(sch, "", false) {
                    Some(e) => errors.push(e),
                    None => {
                        matched = true;
                        if self.uneval.is_empty() {
                            break;
                        }
                    }
                }
            }
            if !matched {
                self.add_errors(errors, || Kind::Msg("'anyOf' failed".into()));
            }
        }
        if !s.one_of.is_empty() {
            let mut matched: Option<usize> = None;
            let mut errors = Vec::new();
            for (i, &sch) in s.one_of.iter().enumerate() {
                match self.validate_self(sch, "", matched.is_some()) {
                    Some(e) => {
                        if matched.is_none() {
                            errors.push(e);
                        }
                    }
                    None => match matched {
                        None => matched = Some(i),
                        Some(first) => {
                            self.add_error(|| {
                                Kind::Msg(format!(
                                    "'oneOf' failed, subschemas {}, {} matched",
                                    loc_int(first as i64),
                                    loc_int(i as i64)
                                ))
                            });
                            break;
                        }
                    },
                }
            }
            if matched.is_none() {
                self.add_errors(errors, || Kind::Msg("'oneOf' failed, none matched".into()));
            }
        }
        if let Some(if_) = s.if_ {
            if self.validate_self(if_, "", true).is_none() {
                if let Some(then) = s.then {
                    let e = self.validate_self(then, "", false);
                    self.add_err(e);
                }
            } else if let Some(else_) = s.else_ {
                let e = self.validate_self(else_, "", false);
                self.add_err(e);
            }
        }
    }

    fn uneval_validate(&mut self) {
        let s = self.node();
        if let (Json::Obj(obj), Some(sch)) = (self.v, s.uneval_props) {
            let props: Vec<&'a str> = self
                .uneval
                .props
                .take()
                .map(|p| p.into_iter().collect())
                .unwrap_or_default();
            for pname in props {
                if let Some((k, pvalue)) = obj.get_key_value(pname) {
                    let e = self.validate_val(sch, pvalue, Tok::Key(k));
                    self.add_err(e);
                }
            }
        }
        if let (Json::Arr(arr), Some(sch)) = (self.v, s.uneval_items) {
            let items: Vec<usize> = self
                .uneval
                .items
                .take()
                .map(|p| p.into_iter().collect())
                .unwrap_or_default();
            for i in items {
                if let Some(item) = arr.get(i) {
                    let e = self.validate_val(sch, item, Tok::Index(i));
                    self.add_err(e);
                }
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Tok<'a> {
    Key(&'a str),
    Index(usize),
}

// ---------------------------------------------------------------------------
// The metaschemas, compiled once, and the check of a schema against its
// dialect's metaschema.

struct Meta {
    nodes: Vec<Node>,
    drafts: HashMap<Draft, usize>,
    vocabs: HashMap<(Draft, &'static str), usize>,
}

/// The library's `init`: every draft's metaschema and vocabulary schemas,
/// compiled by one compiler with format assertions on.
fn meta() -> Result<&'static Meta, CompileError> {
    static META: OnceLock<Result<Meta, String>> = OnceLock::new();
    let m = META.get_or_init(|| {
        let mut c = Compiler::new(true, LoaderKind::Default);
        let mut drafts = HashMap::new();
        let mut vocabs = HashMap::new();
        for d in Draft::ALL {
            drafts.insert(d, c.compile(d.url()).map_err(|e| e.text())?);
            for &name in d.all_vocabs() {
                let url = format!("{}meta/{name}", d.url().trim_end_matches("schema"));
                vocabs.insert((d, name), c.compile(&url).map_err(|e| e.text())?);
            }
        }
        Ok(Meta {
            nodes: c.nodes,
            drafts,
            vocabs,
        })
    });
    m.as_ref()
        .map_err(|e| CompileError::Msg(format!("metaschemas: {e}")))
}

/// `roots.validate`: the document (or the subschema at `ptr`) against the
/// metaschema of its dialect, switching metaschema at each embedded
/// resource; the error is `SchemaValidationError`'s.
fn validate_against_meta(r: &Root, v: &Json, ptr: &str) -> Result<(), CompileError> {
    let meta = meta()?;
    let dialect = r
        .resource(ptr)
        .ok_or_else(CompileError::nil)?
        .dialect
        .clone();
    // Dialects with their own vocabularies get a metaschema of their own
    // (an `allOf` of the vocabularies' schemas), as `getSchema` builds.
    let mut local: Option<Vec<Node>> = None;
    let mut synth: HashMap<Dialect, usize> = HashMap::new();
    for d in r
        .resources
        .values()
        .map(|res| &res.dialect)
        .chain(std::iter::once(&dialect))
    {
        let Some(vocabs) = &d.vocabs else { continue };
        if synth.contains_key(d) {
            continue;
        }
        let nodes = local.get_or_insert_with(|| meta.nodes.clone());
        let idx = nodes.len();
        let mut node = Node {
            location: "urn:mem:metaschema".into(),
            draft: d.draft,
            resource: idx,
            ..Node::default()
        };
        for v in vocabs {
            if let Some(&i) = meta.vocabs.get(&(d.draft, v.as_str())) {
                node.all_of.push(i);
            }
        }
        if d.draft == Draft::D2020 {
            node.dynamic_anchor = "meta".into();
            node.dynamic_anchors.push(("meta".into(), idx));
        }
        nodes.push(node);
        synth.insert(d.clone(), idx);
    }
    let schema_of = |d: &Dialect| -> usize {
        synth
            .get(d)
            .copied()
            .or_else(|| meta.drafts.get(&d.draft).copied())
            .unwrap_or(0)
    };
    let res_meta: HashMap<String, usize> = r
        .resources
        .iter()
        .map(|(p, res)| (p.clone(), schema_of(&res.dialect)))
        .collect();
    let nodes: &[Node] = local.as_deref().unwrap_or(&meta.nodes);
    let env = Env {
        nodes,
        res_meta: Some(&res_meta),
    };
    let m = schema_of(&dialect);
    root_validate(&env, v, m, Some(m)).map_err(|e| {
        CompileError::Msg(format!(
            "{} is not valid against metaschema: {e}",
            gofmt::quote(&url_ptr(&r.url, ptr))
        ))
    })
}

// ---------------------------------------------------------------------------
// Formats (the library's format.go), with the Go standard library's
// messages where they show through: strconv.Atoi, net/netip, time.Parse,
// net/url.

/// `strconv.Atoi`.
fn atoi(s: &str) -> Result<i64, String> {
    let err = |what: &str| format!("strconv.Atoi: parsing {}: {what}", gofmt::quote(s));
    let b = s.as_bytes();
    let (neg, digits) = match b.first() {
        Some(b'+') => (false, &b[1..]),
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() {
        return Err(err("invalid syntax"));
    }
    let mut n: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return Err(err("invalid syntax"));
        }
        n = match n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(c - b'0')))
        {
            Some(n) => n,
            None => return Err(err("value out of range")),
        };
    }
    let limit = 1u64 << 63;
    if (!neg && n >= limit) || (neg && n > limit) {
        return Err(err("value out of range"));
    }
    Ok(if neg {
        (n as i64).wrapping_neg()
    } else {
        n as i64
    })
}

fn validate_json_pointer(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Ok(());
    }
    let Some(rest) = s.strip_prefix('/') else {
        return Err("not starting with /".into());
    };
    for tok in rest.split('/') {
        let mut escape = false;
        for ch in tok.chars() {
            if escape {
                escape = false;
                if ch != '0' && ch != '1' {
                    return Err("~ must be followed by 0 or 1".into());
                }
                continue;
            }
            if ch == '~' {
                escape = true;
                continue;
            }
            if !matches!(ch, '\u{0}'..='\u{2e}' | '\u{30}'..='\u{7d}' | '\u{7f}'..='\u{10ffff}') {
                return Err(format!(
                    "invalid character {}",
                    gofmt::quote_rune(i64::from(u32::from(ch)))
                ));
            }
        }
        if escape {
            return Err("~ must be followed by 0 or 1".into());
        }
    }
    Ok(())
}

fn validate_relative_json_pointer(s: &str) -> Result<(), String> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 {
        return Err("must start with non-negative integer".into());
    }
    if n > 1 && s.starts_with('0') {
        return Err("starts with zero".into());
    }
    let rest = &s[n..];
    if rest == "#" {
        return Ok(());
    }
    validate_json_pointer(rest)
}

fn validate_uuid(s: &str) -> Result<(), String> {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    let groups: Vec<&str> = s.split('-').collect();
    if groups.len() != GROUPS.len() {
        return Err(format!(
            "must have {} elements",
            loc_int(GROUPS.len() as i64)
        ));
    }
    for (i, g) in groups.iter().enumerate() {
        if g.len() != GROUPS[i] {
            return Err(format!(
                "element {} must be {} characters long",
                loc_int(i as i64 + 1),
                loc_int(GROUPS[i] as i64)
            ));
        }
        if let Some(ch) = g.chars().find(|c| !c.is_ascii_hexdigit()) {
            return Err(format!(
                "non-hex character {}",
                gofmt::quote_rune(i64::from(u32::from(ch)))
            ));
        }
    }
    Ok(())
}

fn validate_duration(s: &str) -> Result<(), String> {
    let Some(s) = s.strip_prefix('P') else {
        return Err("must start with P".into());
    };
    if s.is_empty() {
        return Err("nothing after P".into());
    }
    if let Some(w) = s.strip_suffix('W') {
        if w.is_empty() {
            return Err("no number in week".into());
        }
        if !w.bytes().all(|c| c.is_ascii_digit()) {
            return Err("invalid week".into());
        }
        return Ok(());
    }
    const ALL_UNITS: [&str; 2] = ["YMD", "HMS"];
    for (i, part) in s.split('T').enumerate() {
        if i != 0 && part.is_empty() {
            return Err("no time elements".into());
        }
        if i >= ALL_UNITS.len() {
            return Err("more than one T".into());
        }
        let mut units = ALL_UNITS[i].as_bytes();
        let mut rest = part.as_bytes();
        while !rest.is_empty() {
            let n = rest.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return Err("missing number".into());
            }
            rest = &rest[n..];
            let Some(&unit) = rest.first() else {
                return Err("missing unit".into());
            };
            let Some(j) = units.iter().position(|&u| u == unit) else {
                let q = gofmt::quote_rune(i64::from(unit));
                if ALL_UNITS[i].as_bytes().contains(&unit) {
                    return Err(format!("unit {q} out of order"));
                }
                return Err(format!("invalid unit {q}"));
            };
            units = &units[j + 1..];
            rest = &rest[1..];
        }
    }
    Ok(())
}

fn validate_period(s: &str) -> Result<(), String> {
    let Some((start, end)) = s.split_once('/') else {
        return Err("missing slash".into());
    };
    if start.starts_with('P') {
        validate_duration(start).map_err(|e| format!("invalid start duration: {e}"))?;
        validate_date_time(end.as_bytes()).map_err(|e| format!("invalid end date-time: {e}"))?;
    } else {
        validate_date_time(start.as_bytes())
            .map_err(|e| format!("invalid start date-time: {e}"))?;
        if end.starts_with('P') {
            validate_duration(end).map_err(|e| format!("invalid end duration: {e}"))?;
        } else {
            validate_date_time(end.as_bytes())
                .map_err(|e| format!("invalid end date-time: {e}"))?;
        }
    }
    Ok(())
}

fn validate_ipv4(s: &str) -> Result<(), String> {
    let groups: Vec<&str> = s.split('.').collect();
    if groups.len() != 4 {
        return Err("expected four decimals".into());
    }
    for g in groups {
        if g.len() > 1 && g.starts_with('0') {
            return Err("leading zeros".into());
        }
        let n = atoi(g)?;
        if !(0..=255).contains(&n) {
            return Err("decimal must be between 0 and 255".into());
        }
    }
    Ok(())
}

fn validate_ipv6(s: &str) -> Result<(), String> {
    if !s.contains(':') {
        return Err("missing colon".into());
    }
    let zone = parse_addr(s)?;
    if !zone.is_empty() {
        return Err("zone id is not a part of ipv6 address".into());
    }
    Ok(())
}

/// `netip.ParseAddr`, for its error; `Ok` holds the zone.
fn parse_addr(s: &str) -> Result<String, String> {
    let err = |msg: &str, at: &str| {
        if at.is_empty() {
            format!("ParseAddr({}): {msg}", gofmt::quote(s))
        } else {
            format!(
                "ParseAddr({}): {msg} (at {})",
                gofmt::quote(s),
                gofmt::quote(at)
            )
        }
    };
    for c in s.bytes() {
        match c {
            b'.' => {
                return parse_ipv4_fields(s, s)
                    .map(|_| String::new())
                    .map_err(|(m, a)| err(&m, &a))
            }
            b':' => return parse_ipv6(s).map_err(|(m, a)| err(&m, &a)),
            b'%' => return Err(err("missing IPv6 address", "")),
            _ => {}
        }
    }
    Err(err("unable to parse IP", ""))
}

/// `parseIPv4Fields` over `part`: the message and the `at` text.
fn parse_ipv4_fields(_in: &str, part: &str) -> Result<(), (String, String)> {
    let s = part.as_bytes();
    let (mut val, mut pos, mut dig_len) = (0u32, 0, 0);
    for i in 0..s.len() {
        let c = s[i];
        if c.is_ascii_digit() {
            if dig_len == 1 && val == 0 {
                return Err((
                    "IPv4 field has octet with leading zero".into(),
                    String::new(),
                ));
            }
            val = val * 10 + u32::from(c - b'0');
            dig_len += 1;
            if val > 255 {
                return Err(("IPv4 field has value >255".into(), String::new()));
            }
        } else if c == b'.' {
            if i == 0 || i == s.len() - 1 || s[i - 1] == b'.' {
                return Err((
                    "IPv4 field must have at least one digit".into(),
                    lossy(&s[i..]),
                ));
            }
            if pos == 3 {
                return Err(("IPv4 address too long".into(), String::new()));
            }
            pos += 1;
            val = 0;
            dig_len = 0;
        } else {
            return Err(("unexpected character".into(), lossy(&s[i..])));
        }
    }
    if pos < 3 {
        return Err(("IPv4 address too short".into(), String::new()));
    }
    Ok(())
}

fn parse_ipv6(input: &str) -> Result<String, (String, String)> {
    let e = |m: &str, at: &[u8]| (m.to_string(), lossy(at));
    let (addr, zone) = match input.find('%') {
        Some(i) => {
            let zone = &input[i + 1..];
            if zone.is_empty() {
                return Err(e("zone must be a non-empty string", b""));
            }
            (&input[..i], zone)
        }
        None => (input, ""),
    };
    let mut s = addr.as_bytes();
    let mut ellipsis: i32 = -1;
    if s.len() >= 2 && s[0] == b':' && s[1] == b':' {
        ellipsis = 0;
        s = &s[2..];
        if s.is_empty() {
            return Ok(zone.to_string());
        }
    }
    let mut i: usize = 0;
    while i < 16 {
        let mut off = 0;
        let mut acc: u32 = 0;
        while off < s.len() {
            let c = s[off];
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => break,
            };
            acc = (acc << 4) + u32::from(d);
            if off > 3 {
                return Err(e("each group must have 4 or less digits", s));
            }
            if acc > 0xffff {
                return Err(e("IPv6 field has value >=2^16", s));
            }
            off += 1;
        }
        if off == 0 {
            return Err(e(
                "each colon-separated field must have at least one digit",
                s,
            ));
        }
        if off < s.len() && s[off] == b'.' {
            if ellipsis < 0 && i != 12 {
                return Err(e(
                    "embedded IPv4 address must replace the final 2 fields of the address",
                    s,
                ));
            }
            if i + 4 > 16 {
                return Err(e(
                    "too many hex fields to fit an embedded IPv4 at the end of the address",
                    s,
                ));
            }
            parse_ipv4_fields(input, &lossy(s))?;
            s = b"";
            i += 4;
            break;
        }
        i += 2;
        s = &s[off..];
        if s.is_empty() {
            break;
        }
        if s[0] != b':' {
            return Err(e("unexpected character, want colon", s));
        } else if s.len() == 1 {
            return Err(e("colon must be followed by more characters", s));
        }
        s = &s[1..];
        if s[0] == b':' {
            if ellipsis >= 0 {
                return Err(e("multiple :: in address", s));
            }
            ellipsis = i as i32;
            s = &s[1..];
            if s.is_empty() {
                break;
            }
        }
    }
    if !s.is_empty() {
        return Err(e("trailing garbage after address", s));
    }
    if i < 16 {
        if ellipsis < 0 {
            return Err(e("address string too short", b""));
        }
    } else if ellipsis >= 0 {
        return Err(e("the :: must expand to at least one field of zeros", b""));
    }
    Ok(zone.to_string())
}

fn validate_hostname(s: &str) -> Result<(), String> {
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.len() > 253 {
        return Err("more than 253 characters long".into());
    }
    for label in s.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err("label must be 1 to 63 characters long".into());
        }
        if label.starts_with('-') {
            return Err("label starts with hyphen".into());
        }
        if label.ends_with('-') {
            return Err("label ends with hyphen".into());
        }
        if let Some(ch) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(format!(
                "invalid character {}",
                gofmt::quote_rune(i64::from(u32::from(ch)))
            ));
        }
    }
    Ok(())
}

fn validate_email(s: &str) -> Result<(), String> {
    if s.len() > 254 {
        return Err("more than 255 characters long".into());
    }
    let Some(at) = s.rfind('@') else {
        return Err("missing @".into());
    };
    let (local, domain) = (&s[..at], &s[at + 1..]);
    if local.len() > 64 {
        return Err("local part more than 64 characters long".into());
    }
    if local.len() > 1 && local.starts_with('"') && local.ends_with('"') {
        let inner = &local[1..local.len() - 1];
        if inner.contains('\\') || inner.contains('"') {
            return Err("backslash and quote are not allowed within quoted local part".into());
        }
    } else {
        if local.starts_with('.') {
            return Err("starts with dot".into());
        }
        if local.ends_with('.') {
            return Err("ends with dot".into());
        }
        if local.contains("..") {
            return Err("consecutive dots".into());
        }
        if let Some(ch) = local
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || ".!#$%&'*+-/=?^_`{|}~".contains(*c)))
        {
            return Err(format!(
                "invalid character {}",
                gofmt::quote_rune(i64::from(u32::from(ch)))
            ));
        }
    }
    if domain.len() >= 2 && domain.starts_with('[') && domain.ends_with(']') {
        let inner = &domain[1..domain.len() - 1];
        if let Some(rem) = inner.strip_prefix("IPv6:") {
            return validate_ipv6(rem).map_err(|e| format!("invalid ipv6 address: {e}"));
        }
        return validate_ipv4(inner).map_err(|e| format!("invalid ipv4 address: {e}"));
    }
    validate_hostname(domain).map_err(|e| format!("invalid domain: {e}"))
}

/// Go's `time` package's `quote`.
fn time_quote(s: &[u8]) -> String {
    let mut out = String::from("\"");
    for chunk in s.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c < ' ' || !c.is_ascii() {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "\\x{b:02x}");
                }
            } else {
                if c == '"' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out.push('"');
    out
}

/// `time.Parse("2006-01-02", value)`, for its error.
fn validate_date(value: &[u8]) -> Result<(), String> {
    const LAYOUT: &[u8] = b"2006-01-02";
    let parse_error = |value_elem: &[u8], layout_elem: &str, msg: &str| {
        if msg.is_empty() {
            format!(
                "parsing time {} as {}: cannot parse {} as {}",
                time_quote(value),
                time_quote(LAYOUT),
                time_quote(value_elem),
                time_quote(layout_elem.as_bytes())
            )
        } else {
            format!("parsing time {}{msg}", time_quote(value))
        }
    };
    let digit = |v: &[u8], i: usize| v.get(i).is_some_and(u8::is_ascii_digit);
    // getnum(s, fixed=true)
    let getnum = |v: &[u8]| -> Option<u32> {
        if !digit(v, 0) || !digit(v, 1) {
            return None;
        }
        Some(u32::from(v[0] - b'0') * 10 + u32::from(v[1] - b'0'))
    };
    let mut v = value;
    // 2006
    if v.len() < 4 || !digit(v, 0) {
        return Err(parse_error(v, "2006", ""));
    }
    let (p, rest) = v.split_at(4);
    let Some(year) = p.iter().try_fold(0i64, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    }) else {
        return Err(parse_error(v, "2006", ""));
    };
    v = rest;
    // -01
    let Some(rest) = v.strip_prefix(b"-") else {
        return Err(parse_error(v, "-", ""));
    };
    v = rest;
    let Some(month) = getnum(v) else {
        return Err(parse_error(v, "01", ""));
    };
    v = &v[2..];
    if !(1..=12).contains(&month) {
        return Err(parse_error(v, "01", ": month out of range"));
    }
    // -02
    let Some(rest) = v.strip_prefix(b"-") else {
        return Err(parse_error(v, "-", ""));
    };
    v = rest;
    let Some(day) = getnum(v) else {
        return Err(parse_error(v, "02", ""));
    };
    v = &v[2..];
    if !v.is_empty() {
        return Err(parse_error(
            v,
            "",
            &format!(": extra text: {}", time_quote(v)),
        ));
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day < 1 || day > days {
        return Err(parse_error(v, "", ": day out of range"));
    }
    Ok(())
}

fn atoi_bytes(b: &[u8]) -> Option<i64> {
    std::str::from_utf8(b).ok().and_then(|s| atoi(s).ok())
}

fn validate_time(s: &[u8]) -> Result<(), String> {
    let e = |m: &str| Err(m.to_string());
    if s.len() < 9 {
        return e("less than 9 characters long");
    }
    if s[2] != b':' || s[5] != b':' {
        return e("missing colon in correct place");
    }
    let mut hms = Vec::new();
    for tok in s[..8].splitn(3, |&c| c == b':') {
        let Some(i) = atoi_bytes(tok) else {
            return e("invalid hour/min/sec");
        };
        if i < 0 {
            return e("non-positive hour/min/sec");
        }
        hms.push(i);
    }
    if hms.len() != 3 {
        return e("missing hour/min/sec");
    }
    let (mut h, mut m, sec) = (hms[0], hms[1], hms[2]);
    if h > 23 || m > 59 || sec > 60 {
        return e("hour/min/sec out of range");
    }
    let mut rest = &s[8..];
    if let Some(r) = rest.strip_prefix(b".") {
        let n = r.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return e("no digits in second fraction");
        }
        rest = &r[n..];
    }
    if rest != b"z" && rest != b"Z" {
        if rest.len() != 6 {
            return e("offset must be 6 characters long");
        }
        let sign = match rest[0] {
            b'+' => -1,
            b'-' => 1,
            _ => return e("offset must begin with plus/minus"),
        };
        let rest = &rest[1..];
        if rest[2] != b':' {
            return e("missing colon in offset in correct place");
        }
        let mut zhm = Vec::new();
        for tok in rest.splitn(2, |&c| c == b':') {
            let Some(i) = atoi_bytes(tok) else {
                return e("invalid hour/min in offset");
            };
            if i < 0 {
                return e("non-positive hour/min in offset");
            }
            zhm.push(i);
        }
        let (zh, zm) = (zhm[0], zhm.get(1).copied().unwrap_or(0));
        if zh > 23 || zm > 59 {
            return e("hour/min in offset out of range");
        }
        let mut hm = (h * 60 + m) + sign * (zh * 60 + zm);
        if hm < 0 {
            hm += 24 * 60;
        }
        h = hm / 60;
        m = hm % 60;
    }
    if sec >= 60 && (h != 23 || m != 59) {
        return e("invalid leap second");
    }
    Ok(())
}

fn validate_date_time(s: &[u8]) -> Result<(), String> {
    if s.len() < 20 {
        return Err("less than 20 characters long".into());
    }
    if s[10] != b't' && s[10] != b'T' {
        return Err("11th character must be t or T".into());
    }
    validate_date(&s[..10]).map_err(|e| format!("invalid date element: {e}"))?;
    validate_time(&s[11..]).map_err(|e| format!("invalid time element: {e}"))
}

/// The library's `parseURL`: `url.Parse` plus a check of IPv6 hosts.
fn parse_url_checked(s: &str) -> Result<GoUrl, String> {
    let u = url_parse(s)?;
    let host = u.hostname();
    if host.contains(&b':') {
        if !u.host.contains(&b'[') || !u.host.contains(&b']') {
            return Err("ipv6 address not enclosed in brackets".into());
        }
        validate_ipv6(&lossy(&host)).map_err(|e| format!("invalid ipv6 address: {e}"))?;
    }
    Ok(u)
}

fn validate_uri(s: &str) -> Result<(), String> {
    let u = parse_url_checked(s)?;
    if !u.is_abs() {
        return Err("relative url".into());
    }
    Ok(())
}

fn validate_uri_reference(s: &str) -> Result<(), String> {
    if s.contains('\\') {
        return Err("contains \\".into());
    }
    parse_url_checked(s).map(|_| ())
}

fn validate_uri_template(s: &str) -> Result<(), String> {
    let u = parse_url_checked(s)?;
    for tok in u.raw_path.split('/') {
        let tok = path_unescape(tok).map_err(|e| format!("percent decode failed: {e}"))?;
        let mut want = true;
        for ch in tok.chars() {
            let got = match ch {
                '{' => true,
                '}' => false,
                _ => continue,
            };
            if got != want {
                return Err("nested curly braces".into());
            }
            want = !want;
        }
        if !want {
            return Err("no matching closing brace".into());
        }
    }
    Ok(())
}

fn validate_semver(s: &str) -> Result<(), String> {
    let q = |ch: char| gofmt::quote_rune(i64::from(u32::from(ch)));
    let mut s = s;
    if let Some(i) = s.find('+') {
        let build = &s[i + 1..];
        if build.is_empty() {
            return Err("build is empty".into());
        }
        for id in build.split('.') {
            if id.is_empty() {
                return Err("build identifier is empty".into());
            }
            if let Some(ch) = id
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
            {
                return Err(format!("invalid character {} in build identifier", q(ch)));
            }
        }
        s = &s[..i];
    }
    if let Some(i) = s.find('-') {
        for id in s[i + 1..].split('.') {
            if id.is_empty() {
                return Err("pre-release identifier is empty".into());
            }
            if let Some(ch) = id
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
            {
                return Err(format!(
                    "invalid character {} in pre-release identifier",
                    q(ch)
                ));
            }
            if id.bytes().all(|c| c.is_ascii_digit()) && id.len() > 1 && id.starts_with('0') {
                return Err("pre-release numeric identifier starts with zero".into());
            }
        }
        s = &s[..i];
    }
    let versions: Vec<&str> = s.split('.').collect();
    if versions.len() != 3 {
        return Err("versionCore must have 3 numbers separated by dot".into());
    }
    for (name, v) in ["major", "minor", "patch"].iter().zip(versions) {
        if v.is_empty() {
            return Err(format!("{name} is empty"));
        }
        if v.len() > 1 && v.starts_with('0') {
            return Err(format!("{name} starts with zero"));
        }
        if !v.bytes().all(|c| c.is_ascii_digit()) {
            return Err(format!("{name} contains non-digit"));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The metaschemas (from santhosh-tekuri/jsonschema v6's `metaschemas/`).

/// The library's `metaschemas/` directory, compacted.
const METASCHEMAS: &[(&str, &str)] = &[
    (
        "draft-04/schema",
        r##"{"$schema":"http://json-schema.org/draft-04/schema#","description":"Core schema meta-schema","definitions":{"schemaArray":{"type":"array","minItems":1,"items":{"$ref":"#"}},"positiveInteger":{"type":"integer","minimum":0},"positiveIntegerDefault0":{"allOf":[{"$ref":"#/definitions/positiveInteger"},{"default":0}]},"simpleTypes":{"enum":["array","boolean","integer","null","number","object","string"]},"stringArray":{"type":"array","items":{"type":"string"},"minItems":1,"uniqueItems":true}},"type":"object","properties":{"id":{"type":"string","format":"uriref"},"$schema":{"type":"string","format":"uri"},"title":{"type":"string"},"description":{"type":"string"},"default":{},"multipleOf":{"type":"number","minimum":0,"exclusiveMinimum":true},"maximum":{"type":"number"},"exclusiveMaximum":{"type":"boolean","default":false},"minimum":{"type":"number"},"exclusiveMinimum":{"type":"boolean","default":false},"maxLength":{"$ref":"#/definitions/positiveInteger"},"minLength":{"$ref":"#/definitions/positiveIntegerDefault0"},"pattern":{"type":"string","format":"regex"},"additionalItems":{"anyOf":[{"type":"boolean"},{"$ref":"#"}],"default":{}},"items":{"anyOf":[{"$ref":"#"},{"$ref":"#/definitions/schemaArray"}],"default":{}},"maxItems":{"$ref":"#/definitions/positiveInteger"},"minItems":{"$ref":"#/definitions/positiveIntegerDefault0"},"uniqueItems":{"type":"boolean","default":false},"maxProperties":{"$ref":"#/definitions/positiveInteger"},"minProperties":{"$ref":"#/definitions/positiveIntegerDefault0"},"required":{"$ref":"#/definitions/stringArray"},"additionalProperties":{"anyOf":[{"type":"boolean"},{"$ref":"#"}],"default":{}},"definitions":{"type":"object","additionalProperties":{"$ref":"#"},"default":{}},"properties":{"type":"object","additionalProperties":{"$ref":"#"},"default":{}},"patternProperties":{"type":"object","additionalProperties":{"$ref":"#"},"default":{}},"dependencies":{"type":"object","additionalProperties":{"anyOf":[{"$ref":"#"},{"$ref":"#/definitions/stringArray"}]}},"enum":{"type":"array","minItems":1,"uniqueItems":true},"type":{"anyOf":[{"$ref":"#/definitions/simpleTypes"},{"type":"array","items":{"$ref":"#/definitions/simpleTypes"},"minItems":1,"uniqueItems":true}]},"allOf":{"$ref":"#/definitions/schemaArray"},"anyOf":{"$ref":"#/definitions/schemaArray"},"oneOf":{"$ref":"#/definitions/schemaArray"},"not":{"$ref":"#"},"format":{"type":"string"},"$ref":{"type":"string"}},"dependencies":{"exclusiveMaximum":["maximum"],"exclusiveMinimum":["minimum"]},"default":{}}"##,
    ),
    (
        "draft-06/schema",
        r##"{"$schema":"http://json-schema.org/draft-06/schema#","$id":"http://json-schema.org/draft-06/schema#","title":"Core schema meta-schema","definitions":{"schemaArray":{"type":"array","minItems":1,"items":{"$ref":"#"}},"nonNegativeInteger":{"type":"integer","minimum":0},"nonNegativeIntegerDefault0":{"allOf":[{"$ref":"#/definitions/nonNegativeInteger"},{"default":0}]},"simpleTypes":{"enum":["array","boolean","integer","null","number","object","string"]},"stringArray":{"type":"array","items":{"type":"string"},"uniqueItems":true,"default":[]}},"type":["object","boolean"],"properties":{"$id":{"type":"string","format":"uri-reference"},"$schema":{"type":"string","format":"uri"},"$ref":{"type":"string","format":"uri-reference"},"title":{"type":"string"},"description":{"type":"string"},"default":{},"multipleOf":{"type":"number","exclusiveMinimum":0},"maximum":{"type":"number"},"exclusiveMaximum":{"type":"number"},"minimum":{"type":"number"},"exclusiveMinimum":{"type":"number"},"maxLength":{"$ref":"#/definitions/nonNegativeInteger"},"minLength":{"$ref":"#/definitions/nonNegativeIntegerDefault0"},"pattern":{"type":"string","format":"regex"},"additionalItems":{"$ref":"#"},"items":{"anyOf":[{"$ref":"#"},{"$ref":"#/definitions/schemaArray"}],"default":{}},"maxItems":{"$ref":"#/definitions/nonNegativeInteger"},"minItems":{"$ref":"#/definitions/nonNegativeIntegerDefault0"},"uniqueItems":{"type":"boolean","default":false},"contains":{"$ref":"#"},"maxProperties":{"$ref":"#/definitions/nonNegativeInteger"},"minProperties":{"$ref":"#/definitions/nonNegativeIntegerDefault0"},"required":{"$ref":"#/definitions/stringArray"},"additionalProperties":{"$ref":"#"},"definitions":{"type":"object","additionalProperties":{"$ref":"#"},"default":{}},"properties":{"type":"object","additionalProperties":{"$ref":"#"},"default":{}},"patternProperties":{"type":"object","additionalProperties":{"$ref":"#"},"default":{}},"dependencies":{"type":"object","additionalProperties":{"anyOf":[{"$ref":"#"},{"$ref":"#/definitions/stringArray"}]}},"propertyNames":{"$ref":"#"},"const":{},"enum":{"type":"array","minItems":1,"uniqueItems":true},"type":{"anyOf":[{"$ref":"#/definitions/simpleTypes"},{"type":"array","items":{"$ref":"#/definitions/simpleTypes"},"minItems":1,"uniqueItems":true}]},"format":{"type":"string"},"allOf":{"$ref":"#/definitions/schemaArray"},"anyOf":{"$ref":"#/definitions/schemaArray"},"oneOf":{"$ref":"#/definitions/schemaArray"},"not":{"$ref":"#"}},"default":{}}"##,
    ),
    (
        "draft-07/schema",
        r##"{"$schema":"http://json-schema.org/draft-07/schema#","$id":"http://json-schema.org/draft-07/schema#","title":"Core schema meta-schema","definitions":{"schemaArray":{"type":"array","minItems":1,"items":{"$ref":"#"}},"nonNegativeInteger":{"type":"integer","minimum":0},"nonNegativeIntegerDefault0":{"allOf":[{"$ref":"#/definitions/nonNegativeInteger"},{"default":0}]},"simpleTypes":{"enum":["array","boolean","integer","null","number","object","string"]},"stringArray":{"type":"array","items":{"type":"string"},"uniqueItems":true,"default":[]}},"type":["object","boolean"],"properties":{"$id":{"type":"string","format":"uri-reference"},"$schema":{"type":"string","format":"uri"},"$ref":{"type":"string","format":"uri-reference"},"$comment":{"type":"string"},"title":{"type":"string"},"description":{"type":"string"},"default":true,"readOnly":{"type":"boolean","default":false},"writeOnly":{"type":"boolean","default":false},"examples":{"type":"array","items":true},"multipleOf":{"type":"number","exclusiveMinimum":0},"maximum":{"type":"number"},"exclusiveMaximum":{"type":"number"},"minimum":{"type":"number"},"exclusiveMinimum":{"type":"number"},"maxLength":{"$ref":"#/definitions/nonNegativeInteger"},"minLength":{"$ref":"#/definitions/nonNegativeIntegerDefault0"},"pattern":{"type":"string","format":"regex"},"additionalItems":{"$ref":"#"},"items":{"anyOf":[{"$ref":"#"},{"$ref":"#/definitions/schemaArray"}],"default":true},"maxItems":{"$ref":"#/definitions/nonNegativeInteger"},"minItems":{"$ref":"#/definitions/nonNegativeIntegerDefault0"},"uniqueItems":{"type":"boolean","default":false},"contains":{"$ref":"#"},"maxProperties":{"$ref":"#/definitions/nonNegativeInteger"},"minProperties":{"$ref":"#/definitions/nonNegativeIntegerDefault0"},"required":{"$ref":"#/definitions/stringArray"},"additionalProperties":{"$ref":"#"},"definitions":{"type":"object","additionalProperties":{"$ref":"#"},"default":{}},"properties":{"type":"object","additionalProperties":{"$ref":"#"},"default":{}},"patternProperties":{"type":"object","additionalProperties":{"$ref":"#"},"propertyNames":{"format":"regex"},"default":{}},"dependencies":{"type":"object","additionalProperties":{"anyOf":[{"$ref":"#"},{"$ref":"#/definitions/stringArray"}]}},"propertyNames":{"$ref":"#"},"const":true,"enum":{"type":"array","items":true,"minItems":1,"uniqueItems":true},"type":{"anyOf":[{"$ref":"#/definitions/simpleTypes"},{"type":"array","items":{"$ref":"#/definitions/simpleTypes"},"minItems":1,"uniqueItems":true}]},"format":{"type":"string"},"contentMediaType":{"type":"string"},"contentEncoding":{"type":"string"},"if":{"$ref":"#"},"then":{"$ref":"#"},"else":{"$ref":"#"},"allOf":{"$ref":"#/definitions/schemaArray"},"anyOf":{"$ref":"#/definitions/schemaArray"},"oneOf":{"$ref":"#/definitions/schemaArray"},"not":{"$ref":"#"}},"default":true}"##,
    ),
    (
        "draft/2019-09/meta/applicator",
        r##"{"$schema":"https://json-schema.org/draft/2019-09/schema","$id":"https://json-schema.org/draft/2019-09/meta/applicator","$vocabulary":{"https://json-schema.org/draft/2019-09/vocab/applicator":true},"$recursiveAnchor":true,"title":"Applicator vocabulary meta-schema","type":["object","boolean"],"properties":{"additionalItems":{"$recursiveRef":"#"},"unevaluatedItems":{"$recursiveRef":"#"},"items":{"anyOf":[{"$recursiveRef":"#"},{"$ref":"#/$defs/schemaArray"}]},"contains":{"$recursiveRef":"#"},"additionalProperties":{"$recursiveRef":"#"},"unevaluatedProperties":{"$recursiveRef":"#"},"properties":{"type":"object","additionalProperties":{"$recursiveRef":"#"},"default":{}},"patternProperties":{"type":"object","additionalProperties":{"$recursiveRef":"#"},"propertyNames":{"format":"regex"},"default":{}},"dependentSchemas":{"type":"object","additionalProperties":{"$recursiveRef":"#"}},"propertyNames":{"$recursiveRef":"#"},"if":{"$recursiveRef":"#"},"then":{"$recursiveRef":"#"},"else":{"$recursiveRef":"#"},"allOf":{"$ref":"#/$defs/schemaArray"},"anyOf":{"$ref":"#/$defs/schemaArray"},"oneOf":{"$ref":"#/$defs/schemaArray"},"not":{"$recursiveRef":"#"}},"$defs":{"schemaArray":{"type":"array","minItems":1,"items":{"$recursiveRef":"#"}}}}"##,
    ),
    (
        "draft/2019-09/meta/content",
        r##"{"$schema":"https://json-schema.org/draft/2019-09/schema","$id":"https://json-schema.org/draft/2019-09/meta/content","$vocabulary":{"https://json-schema.org/draft/2019-09/vocab/content":true},"$recursiveAnchor":true,"title":"Content vocabulary meta-schema","type":["object","boolean"],"properties":{"contentMediaType":{"type":"string"},"contentEncoding":{"type":"string"},"contentSchema":{"$recursiveRef":"#"}}}"##,
    ),
    (
        "draft/2019-09/meta/core",
        r##"{"$schema":"https://json-schema.org/draft/2019-09/schema","$id":"https://json-schema.org/draft/2019-09/meta/core","$vocabulary":{"https://json-schema.org/draft/2019-09/vocab/core":true},"$recursiveAnchor":true,"title":"Core vocabulary meta-schema","type":["object","boolean"],"properties":{"$id":{"type":"string","format":"uri-reference","$comment":"Non-empty fragments not allowed.","pattern":"^[^#]*#?$"},"$schema":{"type":"string","format":"uri"},"$anchor":{"type":"string","pattern":"^[A-Za-z][-A-Za-z0-9.:_]*$"},"$ref":{"type":"string","format":"uri-reference"},"$recursiveRef":{"type":"string","format":"uri-reference"},"$recursiveAnchor":{"type":"boolean","default":false},"$vocabulary":{"type":"object","propertyNames":{"type":"string","format":"uri"},"additionalProperties":{"type":"boolean"}},"$comment":{"type":"string"},"$defs":{"type":"object","additionalProperties":{"$recursiveRef":"#"},"default":{}}}}"##,
    ),
    (
        "draft/2019-09/meta/format",
        r##"{"$schema":"https://json-schema.org/draft/2019-09/schema","$id":"https://json-schema.org/draft/2019-09/meta/format","$vocabulary":{"https://json-schema.org/draft/2019-09/vocab/format":true},"$recursiveAnchor":true,"title":"Format vocabulary meta-schema","type":["object","boolean"],"properties":{"format":{"type":"string"}}}"##,
    ),
    (
        "draft/2019-09/meta/meta-data",
        r##"{"$schema":"https://json-schema.org/draft/2019-09/schema","$id":"https://json-schema.org/draft/2019-09/meta/meta-data","$vocabulary":{"https://json-schema.org/draft/2019-09/vocab/meta-data":true},"$recursiveAnchor":true,"title":"Meta-data vocabulary meta-schema","type":["object","boolean"],"properties":{"title":{"type":"string"},"description":{"type":"string"},"default":true,"deprecated":{"type":"boolean","default":false},"readOnly":{"type":"boolean","default":false},"writeOnly":{"type":"boolean","default":false},"examples":{"type":"array","items":true}}}"##,
    ),
    (
        "draft/2019-09/meta/validation",
        r##"{"$schema":"https://json-schema.org/draft/2019-09/schema","$id":"https://json-schema.org/draft/2019-09/meta/validation","$vocabulary":{"https://json-schema.org/draft/2019-09/vocab/validation":true},"$recursiveAnchor":true,"title":"Validation vocabulary meta-schema","type":["object","boolean"],"properties":{"multipleOf":{"type":"number","exclusiveMinimum":0},"maximum":{"type":"number"},"exclusiveMaximum":{"type":"number"},"minimum":{"type":"number"},"exclusiveMinimum":{"type":"number"},"maxLength":{"$ref":"#/$defs/nonNegativeInteger"},"minLength":{"$ref":"#/$defs/nonNegativeIntegerDefault0"},"pattern":{"type":"string","format":"regex"},"maxItems":{"$ref":"#/$defs/nonNegativeInteger"},"minItems":{"$ref":"#/$defs/nonNegativeIntegerDefault0"},"uniqueItems":{"type":"boolean","default":false},"maxContains":{"$ref":"#/$defs/nonNegativeInteger"},"minContains":{"$ref":"#/$defs/nonNegativeInteger","default":1},"maxProperties":{"$ref":"#/$defs/nonNegativeInteger"},"minProperties":{"$ref":"#/$defs/nonNegativeIntegerDefault0"},"required":{"$ref":"#/$defs/stringArray"},"dependentRequired":{"type":"object","additionalProperties":{"$ref":"#/$defs/stringArray"}},"const":true,"enum":{"type":"array","items":true},"type":{"anyOf":[{"$ref":"#/$defs/simpleTypes"},{"type":"array","items":{"$ref":"#/$defs/simpleTypes"},"minItems":1,"uniqueItems":true}]}},"$defs":{"nonNegativeInteger":{"type":"integer","minimum":0},"nonNegativeIntegerDefault0":{"$ref":"#/$defs/nonNegativeInteger","default":0},"simpleTypes":{"enum":["array","boolean","integer","null","number","object","string"]},"stringArray":{"type":"array","items":{"type":"string"},"uniqueItems":true,"default":[]}}}"##,
    ),
    (
        "draft/2019-09/schema",
        r##"{"$schema":"https://json-schema.org/draft/2019-09/schema","$id":"https://json-schema.org/draft/2019-09/schema","$vocabulary":{"https://json-schema.org/draft/2019-09/vocab/core":true,"https://json-schema.org/draft/2019-09/vocab/applicator":true,"https://json-schema.org/draft/2019-09/vocab/validation":true,"https://json-schema.org/draft/2019-09/vocab/meta-data":true,"https://json-schema.org/draft/2019-09/vocab/format":false,"https://json-schema.org/draft/2019-09/vocab/content":true},"$recursiveAnchor":true,"title":"Core and Validation specifications meta-schema","allOf":[{"$ref":"meta/core"},{"$ref":"meta/applicator"},{"$ref":"meta/validation"},{"$ref":"meta/meta-data"},{"$ref":"meta/format"},{"$ref":"meta/content"}],"type":["object","boolean"],"properties":{"definitions":{"$comment":"While no longer an official keyword as it is replaced by $defs, this keyword is retained in the meta-schema to prevent incompatible extensions as it remains in common use.","type":"object","additionalProperties":{"$recursiveRef":"#"},"default":{}},"dependencies":{"$comment":"\"dependencies\" is no longer a keyword, but schema authors should avoid redefining it to facilitate a smooth transition to \"dependentSchemas\" and \"dependentRequired\"","type":"object","additionalProperties":{"anyOf":[{"$recursiveRef":"#"},{"$ref":"meta/validation#/$defs/stringArray"}]}}}}"##,
    ),
    (
        "draft/2020-12/meta/applicator",
        r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"https://json-schema.org/draft/2020-12/meta/applicator","$vocabulary":{"https://json-schema.org/draft/2020-12/vocab/applicator":true},"$dynamicAnchor":"meta","title":"Applicator vocabulary meta-schema","type":["object","boolean"],"properties":{"prefixItems":{"$ref":"#/$defs/schemaArray"},"items":{"$dynamicRef":"#meta"},"contains":{"$dynamicRef":"#meta"},"additionalProperties":{"$dynamicRef":"#meta"},"properties":{"type":"object","additionalProperties":{"$dynamicRef":"#meta"},"default":{}},"patternProperties":{"type":"object","additionalProperties":{"$dynamicRef":"#meta"},"propertyNames":{"format":"regex"},"default":{}},"dependentSchemas":{"type":"object","additionalProperties":{"$dynamicRef":"#meta"},"default":{}},"propertyNames":{"$dynamicRef":"#meta"},"if":{"$dynamicRef":"#meta"},"then":{"$dynamicRef":"#meta"},"else":{"$dynamicRef":"#meta"},"allOf":{"$ref":"#/$defs/schemaArray"},"anyOf":{"$ref":"#/$defs/schemaArray"},"oneOf":{"$ref":"#/$defs/schemaArray"},"not":{"$dynamicRef":"#meta"}},"$defs":{"schemaArray":{"type":"array","minItems":1,"items":{"$dynamicRef":"#meta"}}}}"##,
    ),
    (
        "draft/2020-12/meta/content",
        r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"https://json-schema.org/draft/2020-12/meta/content","$vocabulary":{"https://json-schema.org/draft/2020-12/vocab/content":true},"$dynamicAnchor":"meta","title":"Content vocabulary meta-schema","type":["object","boolean"],"properties":{"contentEncoding":{"type":"string"},"contentMediaType":{"type":"string"},"contentSchema":{"$dynamicRef":"#meta"}}}"##,
    ),
    (
        "draft/2020-12/meta/core",
        r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"https://json-schema.org/draft/2020-12/meta/core","$vocabulary":{"https://json-schema.org/draft/2020-12/vocab/core":true},"$dynamicAnchor":"meta","title":"Core vocabulary meta-schema","type":["object","boolean"],"properties":{"$id":{"$ref":"#/$defs/uriReferenceString","$comment":"Non-empty fragments not allowed.","pattern":"^[^#]*#?$"},"$schema":{"$ref":"#/$defs/uriString"},"$ref":{"$ref":"#/$defs/uriReferenceString"},"$anchor":{"$ref":"#/$defs/anchorString"},"$dynamicRef":{"$ref":"#/$defs/uriReferenceString"},"$dynamicAnchor":{"$ref":"#/$defs/anchorString"},"$vocabulary":{"type":"object","propertyNames":{"$ref":"#/$defs/uriString"},"additionalProperties":{"type":"boolean"}},"$comment":{"type":"string"},"$defs":{"type":"object","additionalProperties":{"$dynamicRef":"#meta"}}},"$defs":{"anchorString":{"type":"string","pattern":"^[A-Za-z_][-A-Za-z0-9._]*$"},"uriString":{"type":"string","format":"uri"},"uriReferenceString":{"type":"string","format":"uri-reference"}}}"##,
    ),
    (
        "draft/2020-12/meta/format-annotation",
        r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"https://json-schema.org/draft/2020-12/meta/format-annotation","$vocabulary":{"https://json-schema.org/draft/2020-12/vocab/format-annotation":true},"$dynamicAnchor":"meta","title":"Format vocabulary meta-schema for annotation results","type":["object","boolean"],"properties":{"format":{"type":"string"}}}"##,
    ),
    (
        "draft/2020-12/meta/format-assertion",
        r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"https://json-schema.org/draft/2020-12/meta/format-assertion","$vocabulary":{"https://json-schema.org/draft/2020-12/vocab/format-assertion":true},"$dynamicAnchor":"meta","title":"Format vocabulary meta-schema for assertion results","type":["object","boolean"],"properties":{"format":{"type":"string"}}}"##,
    ),
    (
        "draft/2020-12/meta/meta-data",
        r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"https://json-schema.org/draft/2020-12/meta/meta-data","$vocabulary":{"https://json-schema.org/draft/2020-12/vocab/meta-data":true},"$dynamicAnchor":"meta","title":"Meta-data vocabulary meta-schema","type":["object","boolean"],"properties":{"title":{"type":"string"},"description":{"type":"string"},"default":true,"deprecated":{"type":"boolean","default":false},"readOnly":{"type":"boolean","default":false},"writeOnly":{"type":"boolean","default":false},"examples":{"type":"array","items":true}}}"##,
    ),
    (
        "draft/2020-12/meta/unevaluated",
        r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"https://json-schema.org/draft/2020-12/meta/unevaluated","$vocabulary":{"https://json-schema.org/draft/2020-12/vocab/unevaluated":true},"$dynamicAnchor":"meta","title":"Unevaluated applicator vocabulary meta-schema","type":["object","boolean"],"properties":{"unevaluatedItems":{"$dynamicRef":"#meta"},"unevaluatedProperties":{"$dynamicRef":"#meta"}}}"##,
    ),
    (
        "draft/2020-12/meta/validation",
        r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"https://json-schema.org/draft/2020-12/meta/validation","$vocabulary":{"https://json-schema.org/draft/2020-12/vocab/validation":true},"$dynamicAnchor":"meta","title":"Validation vocabulary meta-schema","type":["object","boolean"],"properties":{"type":{"anyOf":[{"$ref":"#/$defs/simpleTypes"},{"type":"array","items":{"$ref":"#/$defs/simpleTypes"},"minItems":1,"uniqueItems":true}]},"const":true,"enum":{"type":"array","items":true},"multipleOf":{"type":"number","exclusiveMinimum":0},"maximum":{"type":"number"},"exclusiveMaximum":{"type":"number"},"minimum":{"type":"number"},"exclusiveMinimum":{"type":"number"},"maxLength":{"$ref":"#/$defs/nonNegativeInteger"},"minLength":{"$ref":"#/$defs/nonNegativeIntegerDefault0"},"pattern":{"type":"string","format":"regex"},"maxItems":{"$ref":"#/$defs/nonNegativeInteger"},"minItems":{"$ref":"#/$defs/nonNegativeIntegerDefault0"},"uniqueItems":{"type":"boolean","default":false},"maxContains":{"$ref":"#/$defs/nonNegativeInteger"},"minContains":{"$ref":"#/$defs/nonNegativeInteger","default":1},"maxProperties":{"$ref":"#/$defs/nonNegativeInteger"},"minProperties":{"$ref":"#/$defs/nonNegativeIntegerDefault0"},"required":{"$ref":"#/$defs/stringArray"},"dependentRequired":{"type":"object","additionalProperties":{"$ref":"#/$defs/stringArray"}}},"$defs":{"nonNegativeInteger":{"type":"integer","minimum":0},"nonNegativeIntegerDefault0":{"$ref":"#/$defs/nonNegativeInteger","default":0},"simpleTypes":{"enum":["array","boolean","integer","null","number","object","string"]},"stringArray":{"type":"array","items":{"type":"string"},"uniqueItems":true,"default":[]}}}"##,
    ),
    (
        "draft/2020-12/schema",
        r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"https://json-schema.org/draft/2020-12/schema","$vocabulary":{"https://json-schema.org/draft/2020-12/vocab/core":true,"https://json-schema.org/draft/2020-12/vocab/applicator":true,"https://json-schema.org/draft/2020-12/vocab/unevaluated":true,"https://json-schema.org/draft/2020-12/vocab/validation":true,"https://json-schema.org/draft/2020-12/vocab/meta-data":true,"https://json-schema.org/draft/2020-12/vocab/format-annotation":true,"https://json-schema.org/draft/2020-12/vocab/content":true},"$dynamicAnchor":"meta","title":"Core and Validation specifications meta-schema","allOf":[{"$ref":"meta/core"},{"$ref":"meta/applicator"},{"$ref":"meta/unevaluated"},{"$ref":"meta/validation"},{"$ref":"meta/meta-data"},{"$ref":"meta/format-annotation"},{"$ref":"meta/content"}],"type":["object","boolean"],"$comment":"This meta-schema also defines keywords that have appeared in previous drafts in order to prevent incompatible extensions as they remain in common use.","properties":{"definitions":{"$comment":"\"definitions\" has been replaced by \"$defs\".","type":"object","additionalProperties":{"$dynamicRef":"#meta"},"deprecated":true,"default":{}},"dependencies":{"$comment":"\"dependencies\" has been split and replaced by \"dependentSchemas\" and \"dependentRequired\" in order to serve their differing semantics.","type":"object","additionalProperties":{"anyOf":[{"$dynamicRef":"#meta"},{"$ref":"meta/validation#/$defs/stringArray"}]},"deprecated":true,"default":{}},"$recursiveAnchor":{"$comment":"\"$recursiveAnchor\" has been replaced by \"$dynamicAnchor\".","$ref":"meta/core#/$defs/anchorString","deprecated":true},"$recursiveRef":{"$comment":"\"$recursiveRef\" has been replaced by \"$dynamicRef\".","$ref":"meta/core#/$defs/uriReferenceString","deprecated":true}}}"##,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{Chart, Metadata};

    fn values(yaml: &str) -> Value {
        crate::chart::values::load_values(yaml).expect("values")
    }

    fn merge(dst: &Value, src: &Value) -> Value {
        match (dst, src) {
            (Value::Map(d), Value::Map(s)) => {
                let out = d.borrow().clone();
                let mut out = out;
                for (k, v) in s.borrow().iter() {
                    let merged = match out.get(k) {
                        Some(old) => merge(old, v),
                        None => v.clone(),
                    };
                    out.insert(k.clone(), merged);
                }
                Value::map(out)
            }
            (_, s) => s.clone(),
        }
    }

    fn chart(name: &str, schema: Option<&str>, deps: Vec<Chart>) -> Chart {
        let meta = format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\n");
        Chart {
            metadata: Metadata::parse(&meta).expect("metadata"),
            values_yaml: None,
            values_parsed: Default::default(),
            schema: schema.map(|s| s.as_bytes().into()),
            templates: Vec::new(),
            files: Vec::new(),
            dependencies: deps,
            parsed: Default::default(),
        }
    }

    /// A scope named `name` (an alias, if it differs from the chart's).
    fn scope<'a>(c: &'a Chart, name: &str, deps: Vec<Scope<'a>>) -> Scope<'a> {
        let mut metadata = c.metadata.clone();
        metadata.name = name.to_string();
        Scope {
            chart: c,
            metadata,
            values: Value::empty_map(),
            dependencies: deps,
        }
    }

    const INT_A: &str = r#"{"properties": {"a": {"type": "integer"}}}"#;

    #[test]
    fn parent_then_subchart_under_its_name() {
        let sub = chart("sub", Some(INT_A), Vec::new());
        let top = chart("top", Some(r#"{"required": ["top"]}"#), Vec::new());
        let s = scope(&top, "top", vec![scope(&sub, "sub", Vec::new())]);
        let e = validate(&s, &values("x: 1\nsub:\n  a: str\n")).expect_err("invalid");
        assert_eq!(
            e.to_string(),
            "values don't meet the specifications of the schema(s) in the following chart(s):\n\
             top:\n- at '': missing property 'top'\nsub:\n- at '/a': got string, want integer\n"
        );
        assert_eq!(
            e.details(),
            "top:\n- at '': missing property 'top'\nsub:\n- at '/a': got string, want integer\n"
        );
    }

    #[test]
    fn alias_names_the_subchart_and_its_values() {
        let sub = chart("sub", Some(INT_A), Vec::new());
        let top = chart("top", None, Vec::new());
        let s = scope(&top, "top", vec![scope(&sub, "mine", Vec::new())]);
        let e = validate(&s, &values("mine:\n  a: str\nsub:\n  a: 1\n")).expect_err("invalid");
        assert_eq!(e.details(), "mine:\n- at '/a': got string, want integer\n");
    }

    #[test]
    fn compile_errors_are_joined_without_a_newline() {
        // Helm appends a compile error as is: the next chart's name follows
        // on the same line.
        let leaf = chart("leaf", Some(INT_A), Vec::new());
        let mid = chart("mid", Some(r#"{"x":"#), Vec::new());
        let top = chart("top", Some(r#"{"required": ["zz"]}"#), Vec::new());
        let s = scope(
            &top,
            "top",
            vec![scope(&mid, "mid", vec![scope(&leaf, "leaf", Vec::new())])],
        );
        let e = validate(&s, &values("mid:\n  leaf:\n    a: str\n")).expect_err("invalid");
        assert_eq!(
            e.details(),
            "top:\n- at '': missing property 'zz'\nmid:\nunexpected EOFleaf:\n- at '/a': got string, want integer\n"
        );
    }

    #[test]
    fn subchart_values_missing_null_or_not_a_map() {
        let sub = chart("sub", Some(r#"{"required": ["a"]}"#), Vec::new());
        let top = chart("top", None, Vec::new());
        let s = scope(&top, "top", vec![scope(&sub, "sub", Vec::new())]);
        assert!(validate(&s, &values("x: 1")).is_ok());
        assert!(validate(&s, &values("sub: null")).is_ok());
        let e = validate(&s, &values("sub: [1]")).expect_err("list");
        assert_eq!(
            e.details(),
            "sub:\ninvalid type for values: expected object (map), got []interface {}\n"
        );
        let e = validate(&s, &values("sub: 5")).expect_err("number");
        assert_eq!(
            e.details(),
            "sub:\ninvalid type for values: expected object (map), got float64\n"
        );
    }

    #[test]
    fn chart_without_schema_is_valid() {
        let top = chart("top", None, Vec::new());
        assert!(validate(&scope(&top, "top", Vec::new()), &values("a: 1")).is_ok());
    }

    pub(super) const BITNAMI: &str = r##"{"$schema":"http://json-schema.org/schema#","type":"object","properties":{"ingress":{"type":"object","form":true,"title":"Ingress details","properties":{"enabled":{"type":"boolean","form":true,"title":"Use a custom hostname","description":"Enable the ingress resource that allows you to access the NGINX installation."},"hostname":{"type":"string","form":true,"title":"Hostname","hidden":{"value":false,"path":"ingress/enabled"}}}},"service":{"type":"object","form":true,"title":"Service Configuration","properties":{"type":{"type":"string","form":true,"title":"Service Type","description":"Allowed values: \"ClusterIP\", \"NodePort\" and \"LoadBalancer\""}}},"replicaCount":{"type":"integer","form":true,"title":"Number of replicas","description":"Number of replicas to deploy"},"serverBlock":{"type":"string","form":true,"title":"Custom server block","description":"Custom server block to be added to NGINX configuration"},"streamServerBlock":{"type":"string","form":true,"title":"Custom stream server block","description":"Custom stream server block to be added to NGINX configuration"},"contextIncludes":{"type":"object","form":true,"title":"Context-based configuration includes","properties":{"main":{"type":"string","form":true,"title":"Main context configuration","description":"Custom configuration for the main context"},"events":{"type":"string","form":true,"title":"Events context configuration","description":"Custom configuration for the events context"},"http":{"type":"string","form":true,"title":"HTTP context configuration","description":"Custom configuration for the http context"}}},"existingContextMainConfigmaps":{"type":"array","form":true,"title":"Existing main context ConfigMaps","description":"List of existing ConfigMaps with custom main context configuration","items":{"type":"string"}},"existingContextEventsConfigmaps":{"type":"array","form":true,"title":"Existing events context ConfigMaps","description":"List of existing ConfigMaps with custom events context configuration","items":{"type":"string"}},"existingContextHttpConfigmaps":{"type":"array","form":true,"title":"Existing HTTP context ConfigMaps","description":"List of existing ConfigMaps with custom http context configuration","items":{"type":"string"}},"containerSecurityContext":{"type":"object","form":true,"title":"NGINX containers' Security Context","properties":{"enabled":{"type":"boolean","form":true,"title":"Enable Security Context","description":"Whether to enable NGINX containers' Security Context"},"runAsUser":{"type":"integer","form":true,"title":"ID of the user","description":"The UID of the user NGINX containers will run as"}}},"podSecurityContext":{"type":"object","form":true,"title":"NGINX pods' Security Context","properties":{"enabled":{"type":"boolean","form":true,"title":"Enable Security Context","description":"Whether to enable NGINX pods' Security Context"},"fsGroup":{"type":"integer","form":true,"title":"ID of the group","description":"The GID of the group NGINX pods will run as"}}},"metrics":{"type":"object","form":true,"title":"Prometheus metrics details","properties":{"enabled":{"type":"boolean","title":"Create Prometheus metrics exporter","description":"Create a side-car container to expose Prometheus metrics","form":true},"serviceMonitor":{"type":"object","properties":{"enabled":{"type":"boolean","title":"Create Prometheus Operator ServiceMonitor","description":"Create a ServiceMonitor to track metrics using Prometheus Operator","form":true,"hidden":{"value":false,"path":"metrics/enabled"}}}}}}}}"##;

    #[test]
    fn bitnami_nginx_defaults_and_violations() {
        // Its own defaults (the parts the schema covers) are valid.
        let defaults = "replicaCount: 1\nservice:\n  type: LoadBalancer\ningress:\n  enabled: false\n  hostname: nginx.local\nmetrics:\n  enabled: false\nserverBlock: ''\n";
        assert_eq!(
            validate_single(BITNAMI.as_bytes(), &values(defaults)),
            Ok(())
        );
        // Helm v4.3.0 on the chart with
        // --set-json '{"replicaCount":"x","service":{"type":5},"ingress":{"enabled":"yes","hostname":7},"metrics":{"enabled":3}}'
        // (in Helm's random order; here in key order).
        check(
            BITNAMI,
            defaults,
            &[r#"{"replicaCount":"x","service":{"type":5},"ingress":{"enabled":"yes","hostname":7},"metrics":{"enabled":3}}"#],
            Some(
                "- at '/ingress': validation failed\n  - at '/ingress/enabled': got string, want boolean\n  - at '/ingress/hostname': got number, want string\n- at '/metrics/enabled': got number, want boolean\n- at '/replicaCount': got string, want integer\n- at '/service/type': got number, want string\n",
            ),
        );
    }

    #[test]
    fn conformance_cases_49_and_50() {
        let schema = r#"{"$schema": "https://json-schema.org/draft-07/schema#", "type": "object",
            "properties": {"replicas": {"type": "integer", "minimum": 1},
            "image": {"type": "object", "properties": {"tag": {"type": "string"}}}}}"#;
        check(schema, "replicas: 2\nimage:\n  tag: \"1.0\"\n", &[], None);
        check(
            schema,
            "replicas: 2\nimage:\n  tag: \"1.0\"\n",
            &[r#"{"replicas": 0}"#],
            Some("- at '/replicas': minimum: got 0, want 1\n"),
        );
    }

    #[test]
    fn numbers_print_as_x_text_does() {
        // What Helm printed for these values (got side of `maximum`).
        for (f, want) in [
            (1000.0, "1,000"),
            (1234.5, "1,234.5"),
            (0.5, "0.5"),
            (1e6, "1×10⁰⁶"),
            (1.5e7, "1.5×10⁰⁷"),
            (123456.0, "123,456"),
            (999999.0, "999,999"),
            (0.0001, "0.0001"),
            (0.00001, "1×10⁻⁰⁵"),
            (-1000.0, "-1,000"),
            (1e21, "1×10²¹"),
            (1e100, "1×10¹⁰⁰"),
            (12345.678901, "12,345.678901"),
            (100000.0, "100,000"),
            (1234567.0, "1.234567×10⁰⁶"),
            (0.000123456, "0.000123456"),
            (-0.5, "-0.5"),
            (123456789012.0, "1.23456789012×10¹¹"),
            (1.7976931348623157e308, "1.7976931348623157×10³⁰⁸"),
            (5e-324, "5×10⁻³²⁴"),
            (33.333333333333336, "33.333333333333336"),
            (9999999.0, "9.999999×10⁰⁶"),
            (-1e300, "-1×10³⁰⁰"),
            (0.0, "0"),
            (f64::INFINITY, "∞"),
            (f64::NEG_INFINITY, "-∞"),
        ] {
            assert_eq!(loc_float(f), want, "{f}");
        }
        assert_eq!(loc_int(1000), "1,000");
        assert_eq!(loc_int(-1234567), "-1,234,567");
        assert_eq!(loc_int(12), "12");
    }

    #[test]
    fn rationals_compare_exactly() {
        let d = |s: &str| Dec::parse(s).expect(s);
        assert_eq!(d("1e3").cmp(&d("1000.0")), Ordering::Equal);
        assert_eq!(d("0.1").cmp(&d("0.10000000000000001")), Ordering::Less);
        assert_eq!(d("-0").cmp(&d("0")), Ordering::Equal);
        assert_eq!(d("-2").cmp(&d("-10")), Ordering::Greater);
        assert!(d("0.3").is_multiple_of(&d("0.1")));
        assert!(!d("0.35").is_multiple_of(&d("0.1")));
        assert!(!d("1e300").is_multiple_of(&d("7")));
        assert!(d("7e300").is_multiple_of(&d("7")));
        assert!(d("1e1000000").is_int());
        assert!(Dec::parse("1e1000001").is_none());
        assert!(Dec::parse("NaN").is_none());
        assert!(Dec::parse("+Inf").is_none());
        assert_eq!(d("1e+06").to_f64(), 1e6);
    }

    #[test]
    fn go_regexes_keep_go_semantics() {
        let m = |p: &str, s: &str| GoRegex::new(p).expect(p).is_match(s);
        assert!(!m(r"^\d+$", "١٢"));
        assert!(!m(r"^\w+$", "é"));
        assert!(m(r"x\b", "xé"));
        assert!(m(r"^{a}$", "{a}"));
        assert!(m(r"^a{2}$", "aa"));
        assert!(m(r"^\Q.*\E$", ".*"));
        assert!(m(r"^[a&&b]$", "&"));
        assert!(m(r"^[[:alpha:]]$", "q"));
        assert!(m(r"^a(?i)*$", "aaa"));
        assert_eq!(
            GoRegex::new("(").expect_err("bad"),
            "error parsing regexp: missing closing ): `(`"
        );
    }

    #[test]
    fn compiled_schemas_are_cached_with_their_errors() {
        let bad = br#"{"$ref": "https://example.invalid/x.json"}"#;
        let first = validate_single(bad, &Value::empty_map());
        assert_eq!(
            first,
            Err("failing loading \"https://example.invalid/x.json\": HTTP request failed for https://example.invalid/x.json: Get \"https://example.invalid/x.json\": plumb does not fetch remote schemas (rendering is offline)".into())
        );
        assert_eq!(validate_single(bad, &Value::empty_map()), first);
    }

    #[test]
    fn vocabulary_metaschemas() {
        // A `$schema` naming a vocabulary's metaschema turns on only that
        // vocabulary (and core); its metaschema is the library's
        // `urn:mem:metaschema`.
        check(
            r#"{"$schema":"https://json-schema.org/draft/2020-12/meta/validation","type":"object","properties":{"a":{"type":"string"}},"required":["b"]}"#,
            "a: 1",
            &[],
            Some("- at '': missing property 'b'\n"),
        );
        check(
            r#"{"$schema":"https://json-schema.org/draft/2020-12/meta/validation","type":"bogus","properties":5}"#,
            "a: 1",
            &[],
            Some("\"file:///values.schema.json#\" is not valid against metaschema: jsonschema validation failed with 'urn:mem:metaschema'\n- at '': 'allOf' failed\n  - at '/type': 'anyOf' failed\n    - at '/type': value must be one of 'array', 'boolean', 'integer', 'null', 'number', 'object', 'string'\n    - at '/type': got string, want array"),
        );
        check(
            r#"{"$schema":"https://json-schema.org/draft/2019-09/meta/applicator","type":"string","properties":{"a":false}}"#,
            "a: 1",
            &[],
            Some("- at '/a': false schema\n"),
        );
        check(
            r#"{"$schema":"https://json-schema.org/draft/2019-09/meta/format","format":"ipv4"}"#,
            "a: 1",
            &[],
            None,
        );
    }

    /// `validate_single` of `schema` against `values_yaml` with each
    /// `--set-json` object merged over it: the exact text, or `None` for
    /// valid values.
    fn check(schema: &str, values_yaml: &str, set: &[&str], want: Option<&str>) {
        let mut vals = values(values_yaml);
        for s in set {
            vals = merge(&vals, &gojson::unmarshal(s).expect("set-json"));
        }
        let got = validate_single(schema.as_bytes(), &vals).err();
        assert_eq!(got.as_deref(), want, "schema {schema}");
    }

    // Cases checked against Helm v4.3.0 (the conformance oracle); where
    // Helm's order is random (Go map iteration), ours is key order and the
    // lines are Helm's.

    #[test]
    fn helm_addprops() {
        check(
            r#"{"properties": {"a": {}}, "additionalProperties": false}"#,
            r#"a: 1
z: 1
y: 2
x: 3"#,
            &[],
            Some(
                r#"- at '': additional properties 'true', 'x', 'z' not allowed
"#,
            ),
        );
    }

    #[test]
    fn helm_allof() {
        check(
            r#"{"properties": {"a": {"allOf": [{"type": "integer"}, {"minimum": 5}, {"maximum": 0}]}}}"#,
            r#"a: 1"#,
            &[],
            Some(
                r#"- at '/a': 'allOf' failed
  - at '/a': minimum: got 1, want 5
  - at '/a': maximum: got 1, want 0
"#,
            ),
        );
    }

    #[test]
    fn helm_anchor04() {
        check(
            r##"{"$schema":"http://json-schema.org/draft-04/schema#","definitions":{"a":{"id":"#foo","type":"string"}},"properties":{"x":{"$ref":"#foo"}}}"##,
            r#"x: 1"#,
            &[],
            Some(
                r#"- at '/x': got number, want string
"#,
            ),
        );
    }

    #[test]
    fn helm_anchor2020() {
        check(
            r##"{"$defs":{"a":{"$anchor":"foo","type":"string"}},"properties":{"x":{"$ref":"#foo"}}}"##,
            r#"x: 1"#,
            &[],
            Some(
                r#"- at '/x': got number, want string
"#,
            ),
        );
    }

    #[test]
    fn helm_anyof() {
        check(
            r#"{"properties": {"a": {"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 5}]}}}"#,
            r#"a: 1"#,
            &[],
            Some(
                r#"- at '/a': 'anyOf' failed
  - at '/a': got number, want string
  - at '/a': minimum: got 1, want 5
"#,
            ),
        );
    }

    #[test]
    fn helm_badjson_comma() {
        check(
            r#"{"a": 1,}"#,
            r#"a: 1"#,
            &[],
            Some(r#"invalid character '}' looking for beginning of object key string"#),
        );
    }

    #[test]
    fn helm_badjson_empty() {
        check(r#""#, r#"a: 1"#, &[], Some(r#"EOF"#));
    }

    #[test]
    fn helm_badjson_str() {
        check(
            r#"{"a": "\q"}"#,
            r#"a: 1"#,
            &[],
            Some(r#"invalid escape sequence `\q` in string"#),
        );
    }

    #[test]
    fn helm_badjson_trailing() {
        check(
            r#"{} x"#,
            r#"a: 1"#,
            &[],
            Some(r#"invalid character after top-level value"#),
        );
    }

    #[test]
    fn helm_badjson_trunc() {
        check(r#"{"a": [1,2"#, r#"a: 1"#, &[], Some(r#"unexpected EOF"#));
    }

    #[test]
    fn helm_big_exp() {
        check(
            r#"{"properties":{"a":{"minimum":1e2000000},"b":{"maxLength":1e3}}}"#,
            r#"a: 5
b: 'abc'"#,
            &[],
            None,
        );
    }

    #[test]
    fn helm_bool_subs() {
        check(
            r#"{"properties":{"a":{"items":false},"b":{"prefixItems":[true,false]},"c":{"not":true},"d":{"contains":false}}}"#,
            r#"a: [1]
b: [1,2]
c: 1
d: [1]"#,
            &[],
            Some(
                r#"- at '/a/0': false schema
- at '/b/1': false schema
- at '/c': 'not' failed
- at '/d': no items match contains schema
  - at '/d/0': false schema
"#,
            ),
        );
    }

    #[test]
    fn helm_c_anchor() {
        check(
            r##"{"$ref":"#nope"}"##,
            r#"a: 1"#,
            &[],
            Some(
                r#"anchor in "file:///values.schema.json#nope" not found in schema "file:///values.schema.json""#,
            ),
        );
    }

    #[test]
    fn helm_c_array() {
        check(
            r#"[]"#,
            r#"a: 1"#,
            &[],
            Some(
                r#""file:///values.schema.json#" is not valid against metaschema: jsonschema validation failed with 'https://json-schema.org/draft/2020-12/schema#'
- at '': got array, want boolean or object"#,
            ),
        );
    }

    #[test]
    fn helm_c_contains() {
        check(
            r#"{"properties":{"x":{"contains":{"type":"string"}},"y":{"contains":{"type":"string"},"minContains":2,"maxContains":3},"z":{"contains":{"type":"string"},"maxContains":1}}}"#,
            r#"x: [1, 2]
y: [1, 'a']
z: ['a', 1, 'b']"#,
            &[],
            Some(
                r#"- at '/x': no items match contains schema
  - at '/x/0': got number, want string
  - at '/x/1': got number, want string
- at '/z': max 1 items required to match contains schema, but matched 2 items at 0 2
"#,
            ),
        );
    }

    #[test]
    fn helm_c_depreq() {
        check(
            r#"{"dependentRequired":{"a":["b","c"]},"dependentSchemas":{"d":{"required":["e"]}}}"#,
            r#"a: 1
d: 1"#,
            &[],
            Some(
                r#"- at '': missing property 'e'
- at '': properties 'b', 'c' required, if 'a' exists
"#,
            ),
        );
    }

    #[test]
    fn helm_c_deps() {
        check(
            r#"{"$schema":"http://json-schema.org/draft-07/schema#","dependencies":{"a":["b","c"],"d":{"required":["e"]}}}"#,
            r#"a: 1
d: 1"#,
            &[],
            Some(
                r#"- at '': properties 'b', 'c' required, if 'a' exists
- at '': missing property 'e'
"#,
            ),
        );
    }

    #[test]
    fn helm_c_dupanchor() {
        check(
            r#"{"$defs":{"a":{"$anchor":"x"},"b":{"$anchor":"x"}}}"#,
            r#"a: 1"#,
            &[],
            Some(
                r#"duplicate anchor "x" in "file:///values.schema.json" at "/$defs/a" and "/$defs/b""#,
            ),
        );
    }

    #[test]
    fn helm_c_dynref() {
        check(
            r##"{"$id":"https://example.com/tree","$dynamicAnchor":"node","type":"object","properties":{"data":true,"children":{"type":"array","items":{"$dynamicRef":"#node"}}}}"##,
            r#"children: [{data: 1, children: [5]}]"#,
            &[],
            Some(
                r#"- at '/children/0/children/0': got number, want object
"#,
            ),
        );
    }

    #[test]
    fn helm_c_false() {
        check(
            r#"false"#,
            r#"a: 1"#,
            &[],
            Some(
                r#"- at '': false schema
"#,
            ),
        );
    }

    #[test]
    fn helm_c_false_prop() {
        check(
            r#"{"properties":{"a":false}}"#,
            r#"a: 1"#,
            &[],
            Some(
                r#"- at '/a': false schema
"#,
            ),
        );
    }

    #[test]
    fn helm_c_ftp() {
        check(
            r#"{"$ref":"ftp://x.invalid/a.json"}"#,
            r#"a: 1"#,
            &[],
            Some(
                r#"failing loading "ftp://x.invalid/a.json": no URLLoader registered for "ftp://x.invalid/a.json""#,
            ),
        );
    }

    #[test]
    fn helm_c_ifthen() {
        check(
            r#"{"if":{"required":["a"]},"then":{"required":["b"]},"else":{"required":["c"]}}"#,
            r#"a: 1"#,
            &[],
            Some(
                r#"- at '': missing property 'b'
"#,
            ),
        );
    }

    #[test]
    fn helm_c_misc() {
        check(
            r#"{"properties":{"s":{"minLength":5,"maxLength":1,"pattern":"^\\d+$"},"a":{"minItems":3,"maxItems":0,"uniqueItems":true},"o":{"minProperties":3,"maxProperties":0},"n":{"multipleOf":0.3,"exclusiveMaximum":1,"exclusiveMinimum":100}}}"#,
            r#"s: 'ab'
a: [1, 1]
o: {k: 1}
n: 1"#,
            &[],
            Some(
                r#"- at '/a': validation failed
  - at '/a': minItems: got 2, want 3
  - at '/a': maxItems: got 2, want 0
  - at '/a': items at 0 and 1 are equal
- at '/o': validation failed
  - at '/o': minProperties: got 1, want 3
  - at '/o': maxProperties: got 1, want 0
- at '/s': validation failed
  - at '/s': minLength: got 2, want 5
  - at '/s': maxLength: got 2, want 1
  - at '/s': 'ab' does not match pattern '^\\d+$'
"#,
            ),
        );
    }

    #[test]
    fn helm_c_null() {
        check(
            r#"null"#,
            r#"a: 1"#,
            &[],
            Some(
                r#""file:///values.schema.json#" is not valid against metaschema: jsonschema validation failed with 'https://json-schema.org/draft/2020-12/schema#'
- at '': got null, want boolean or object"#,
            ),
        );
    }

    #[test]
    fn helm_c_num() {
        check(
            r#"5"#,
            r#"a: 1"#,
            &[],
            Some(
                r#""file:///values.schema.json#" is not valid against metaschema: jsonschema validation failed with 'https://json-schema.org/draft/2020-12/schema#'
- at '': got number, want boolean or object"#,
            ),
        );
    }

    #[test]
    fn helm_c_ptr() {
        check(
            r##"{"$ref":"#/definitions/missing"}"##,
            r#"a: 1"#,
            &[],
            Some(r#"json-pointer in "file:///values.schema.json#/definitions/missing" not found"#),
        );
    }

    #[test]
    fn helm_c_ref2020() {
        check(
            r##"{"$defs":{"p":{"type":"object","required":["x","y"],"properties":{"x":{"type":"string"}}}},"properties":{"a":{"$ref":"#/$defs/p"},"b":{"$ref":"#/$defs/p","maxProperties":1}}}"##,
            r#"a: {x: 1}
b: {x: 's', y: 1}"#,
            &[],
            Some(
                r#"- at '/a': validation failed
  - at '/a': missing property 'y'
  - at '/a/x': got number, want string
- at '/b': validation failed
  - at '/b': missing property 'y'
  - at '/b': maxProperties: got 2, want 1
"#,
            ),
        );
    }

    #[test]
    fn helm_c_ref7() {
        check(
            r##"{"$schema":"http://json-schema.org/draft-07/schema#","definitions":{"p":{"type":"object","required":["x","y"],"properties":{"x":{"type":"string"}}}},"properties":{"a":{"$ref":"#/definitions/p"},"b":{"$ref":"#/definitions/p","type":"string"}}}"##,
            r#"a: {x: 1}
b: {x: 's', y: 1}"#,
            &[],
            Some(
                r#"- at '/a': validation failed
  - at '/a': missing property 'y'
  - at '/a/x': got number, want string
- at '/b': missing property 'y'
"#,
            ),
        );
    }

    #[test]
    fn helm_c_refcycle() {
        check(
            r##"{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}"##,
            r#"a: 1"#,
            &[],
            Some(
                r#"- at '': both /$ref/$ref/$ref and /$ref resolve to "file:///values.schema.json#/$defs/a" causing reference cycle
"#,
            ),
        );
    }

    #[test]
    fn helm_c_regex4() {
        check(
            r#"{"$schema":"http://json-schema.org/draft-04/schema#","patternProperties":{"(":{}}}"#,
            r#"a: 1"#,
            &[],
            Some(
                r#"invalid regex "(" at "file:///values.schema.json#/patternProperties": error parsing regexp: missing closing ): `(`"#,
            ),
        );
    }

    #[test]
    fn helm_c_regex4p() {
        check(
            r#"{"$schema":"http://json-schema.org/draft-04/schema#","properties":{"a":{"pattern":"("}}}"#,
            r#"a: 1"#,
            &[],
            Some(
                r#""file:///values.schema.json#" is not valid against metaschema: jsonschema validation failed with 'http://json-schema.org/draft-04/schema#'
- at '/properties/a/pattern': '(' is not valid regex: error parsing regexp: missing closing ): `(`"#,
            ),
        );
    }

    #[test]
    fn helm_c_schemaself() {
        check(
            r#"{"$schema":"file:///values.schema.json"}"#,
            r#"a: 1"#,
            &[],
            Some(r#"draft "file:///values.schema.json" is not supported"#),
        );
    }

    #[test]
    fn helm_c_true() {
        check(r#"true"#, r#"a: 1"#, &[], None);
    }

    #[test]
    fn helm_c_uneval() {
        check(
            r#"{"properties":{"a":{}},"allOf":[{"properties":{"b":{}}}],"unevaluatedProperties":false}"#,
            r#"a: 1
b: 2
c: 3
d: 4"#,
            &[],
            Some(
                r#"- at '/c': false schema
- at '/d': false schema
"#,
            ),
        );
    }

    #[test]
    fn helm_c_unevalitems() {
        check(
            r#"{"properties":{"x":{"prefixItems":[{}],"unevaluatedItems":{"type":"string"}}}}"#,
            r#"x: [1,2,3]"#,
            &[],
            Some(
                r#"- at '/x/1': got number, want string
- at '/x/2': got number, want string
"#,
            ),
        );
    }

    #[test]
    fn helm_c_urnptr() {
        check(
            r#"{"$ref":"urn:foo#/definitions/x"}"#,
            r#"a: 1"#,
            &[],
            Some(r#"json-pointer in "urn:foo#/definitions/x" not found"#),
        );
    }

    #[test]
    fn helm_const_num() {
        check(
            r#"{"properties":{"a":{"const":1},"b":{"const":1.5},"c":{"const":"x"},"d":{"const":true}}}"#,
            r#"a: 1.0
b: 2
c: 'y'
d: false"#,
            &[],
            Some(
                r#"- at '/b': value must be 1.5
- at '/c': value must be 'x'
- at '/d': value must be true
"#,
            ),
        );
    }

    #[test]
    fn helm_dates() {
        check(
            r#"{"$schema":"http://json-schema.org/draft-07/schema#","properties":{"a":{"format":"date"},"b":{"format":"date"},"c":{"format":"date"},"d":{"format":"date"},"e":{"format":"date"},"f":{"format":"date-time"},"g":{"format":"date-time"},"h":{"format":"time"}}}"#,
            r#"a: '20a0-01-01'
b: '2020-1-01'
c: '2021-02-29'
d: '2020/01/01'
e: '2020-01-01x'
f: '2020-01-01T25:00:00Z'
g: '2020-13-01T10:00:00Z'
h: '10:00:00+0100'"#,
            &[],
            Some(
                r#"- at '/a': '20a0-01-01' is not valid date: parsing time "20a0-01-01" as "2006-01-02": cannot parse "20a0-01-01" as "2006"
- at '/b': '2020-1-01' is not valid date: parsing time "2020-1-01" as "2006-01-02": cannot parse "1-01" as "01"
- at '/c': '2021-02-29' is not valid date: parsing time "2021-02-29": day out of range
- at '/d': '2020/01/01' is not valid date: parsing time "2020/01/01" as "2006-01-02": cannot parse "/01/01" as "-"
- at '/e': '2020-01-01x' is not valid date: parsing time "2020-01-01x": extra text: "x"
- at '/f': '2020-01-01T25:00:00Z' is not valid date-time: invalid time element: hour/min/sec out of range
- at '/g': '2020-13-01T10:00:00Z' is not valid date-time: invalid date element: parsing time "2020-13-01": month out of range
- at '/h': '10:00:00+0100' is not valid time: offset must be 6 characters long
"#,
            ),
        );
    }

    #[test]
    fn helm_defs_meta() {
        check(
            r#"{"$defs":{"a":{"type":"bogus"}}}"#,
            r#"a: 1"#,
            &[],
            Some(
                r#""file:///values.schema.json#" is not valid against metaschema: jsonschema validation failed with 'https://json-schema.org/draft/2020-12/schema#'
- at '': 'allOf' failed
  - at '/$defs/a': 'allOf' failed
    - at '/$defs/a/type': 'anyOf' failed
      - at '/$defs/a/type': value must be one of 'array', 'boolean', 'integer', 'null', 'number', 'object', 'string'
      - at '/$defs/a/type': got string, want array"#,
            ),
        );
    }

    #[test]
    fn helm_defs_schema07() {
        check(
            r#"{"$defs":{"a":{"$id":"http://x.example/a","$schema":"http://json-schema.org/draft-07/schema#","type":"bogus","$comment":5}}}"#,
            r#"a: 1"#,
            &[],
            Some(
                r#""file:///values.schema.json#" is not valid against metaschema: jsonschema validation failed with 'https://json-schema.org/draft/2020-12/schema#'
- at '': 'allOf' failed
  - at '/$defs/a': validation failed
    - at '/$defs/a/$comment': got number, want string
    - at '/$defs/a/type': 'anyOf' failed
      - at '/$defs/a/type': value must be one of 'array', 'boolean', 'integer', 'null', 'number', 'object', 'string'
      - at '/$defs/a/type': got string, want array"#,
            ),
        );
    }

    #[test]
    fn helm_dup_id() {
        check(
            r#"{"$defs":{"a":{"$id":"http://x.example/a"},"b":{"$id":"http://x.example/a"}}}"#,
            r#"a: 1"#,
            &[],
            Some(
                r#"duplicate id "http://x.example/a" in "file:///values.schema.json" at "/$defs/b" and "/$defs/a""#,
            ),
        );
    }

    #[test]
    fn helm_dynref_noanchor() {
        check(
            r##"{"$defs":{"a":{"type":"string"}},"properties":{"x":{"$dynamicRef":"#/$defs/a"}}}"##,
            r#"x: 1"#,
            &[],
            Some(
                r#"- at '/x': got number, want string
"#,
            ),
        );
    }

    #[test]
    fn helm_enum() {
        check(
            r#"{"properties": {"a": {"enum": ["x", 1, 1.0, null, true, 1000.0]}, "b": {"enum": ["only"]}, "c": {"enum": [[1], {"a": 1}]}, "d": {"const": null}, "e": {"const": {"a": 1}}, "f": {"const": "it's"}}}"#,
            r#"a: 2
b: z
c: 3
d: 1
e: 2
f: 3"#,
            &[],
            Some(
                r#"- at '/a': value must be one of 'x', 1, 1.0, <nil>, true, 1000.0
- at '/b': value must be 'only'
- at '/c': 'enum' failed
- at '/d': value must be <nil>
- at '/e': 'const' failed
- at '/f': value must be 'it\'s'
"#,
            ),
        );
    }

    #[test]
    fn helm_enum_nums() {
        check(
            r#"{"properties":{"a":{"enum":[1.0,2]},"b":{"enum":[1.0,2]}}}"#,
            r#"a: 1
b: 3"#,
            &[],
            Some(
                r#"- at '/b': value must be one of 1.0, 2
"#,
            ),
        );
    }

    #[test]
    fn helm_excl_bool07() {
        check(
            r#"{"$schema":"http://json-schema.org/draft-07/schema#","properties":{"a":{"minimum":5,"exclusiveMinimum":true}}}"#,
            r#"a: 5"#,
            &[],
            Some(
                r#""file:///values.schema.json#" is not valid against metaschema: jsonschema validation failed with 'http://json-schema.org/draft-07/schema#'
- at '/properties/a/exclusiveMinimum': got boolean, want number"#,
            ),
        );
    }

    #[test]
    fn helm_excl_bool2020() {
        check(
            r#"{"properties":{"a":{"minimum":5,"exclusiveMinimum":true}}}"#,
            r#"a: 5"#,
            &[],
            Some(
                r#""file:///values.schema.json#" is not valid against metaschema: jsonschema validation failed with 'https://json-schema.org/draft/2020-12/schema#'
- at '': 'allOf' failed
  - at '/properties/a': 'allOf' failed
    - at '/properties/a/exclusiveMinimum': got boolean, want number"#,
            ),
        );
    }

    #[test]
    fn helm_formats04() {
        check(
            r#"{"$schema":"http://json-schema.org/draft-04/schema#","properties":{"ip":{"format":"ipv4"},"e":{"minimum":5,"exclusiveMinimum":true}}}"#,
            r#"ip: 1.2.3.x
e: 5"#,
            &[],
            Some(
                r#"- at '/e': exclusiveMinimum: got 5, want 5
- at '/ip': '1.2.3.x' is not valid ipv4: strconv.Atoi: parsing "x": invalid syntax
"#,
            ),
        );
    }

    #[test]
    fn helm_formats07() {
        check(
            r#"{"$schema":"http://json-schema.org/draft-07/schema#","properties":{"ip":{"format":"ipv4"},"ip6":{"format":"ipv6"},"d":{"format":"date"},"dt":{"format":"date-time"},"h":{"format":"hostname"},"u":{"format":"uuid"},"r":{"format":"regex"},"t":{"format":"time"},"jp":{"format":"json-pointer"},"ur":{"format":"uri-reference"},"dur":{"format":"duration"},"unk":{"format":"foo"},"num":{"format":"ipv4"}}}"#,
            r#"ip: 1.2.3.x
ip6: '1::2::3'
d: 2020-13-01x
dt: 2020-01-01
h: -a.com
u: 1234
r: '['
t: '25:00:00Z'
jp: a/b
ur: '%zz'
dur: P1X
unk: zzz
num: 5"#,
            &[],
            Some(
                r#"- at '/d': '2020-13-01x' is not valid date: parsing time "2020-13-01x": month out of range
- at '/dt': '2020-01-01' is not valid date-time: less than 20 characters long
- at '/dur': 'P1X' is not valid duration: invalid unit 'X'
- at '/h': '-a.com' is not valid hostname: label starts with hyphen
- at '/ip': '1.2.3.x' is not valid ipv4: strconv.Atoi: parsing "x": invalid syntax
- at '/ip6': '1::2::3' is not valid ipv6: ParseAddr("1::2::3"): multiple :: in address (at ":3")
- at '/jp': 'a/b' is not valid json-pointer: not starting with /
- at '/r': '[' is not valid regex: error parsing regexp: missing closing ]: `[`
- at '/t': '25:00:00Z' is not valid time: hour/min/sec out of range
- at '/ur': '%zz' is not valid uri-reference: parse "%zz": invalid URL escape "%zz"
"#,
            ),
        );
    }

    #[test]
    fn helm_formats2019() {
        check(
            r#"{"$schema":"https://json-schema.org/draft/2019-09/schema","properties":{"ip":{"format":"ipv4"}}}"#,
            r#"ip: 1.2.3.x"#,
            &[],
            None,
        );
    }

    #[test]
    fn helm_formats2020() {
        check(
            r#"{"properties":{"ip":{"format":"ipv4"}}}"#,
            r#"ip: 1.2.3.x"#,
            &[],
            None,
        );
    }

    #[test]
    fn helm_id_frag2020() {
        check(
            r##"{"$id":"#foo"}"##,
            r#"x: 1"#,
            &[],
            Some(
                r#""file:///values.schema.json#" is not valid against metaschema: jsonschema validation failed with 'https://json-schema.org/draft/2020-12/schema#'
- at '': 'allOf' failed
  - at '/$id': '#foo' does not match pattern '^[^#]*#?$'"#,
            ),
        );
    }

    #[test]
    fn helm_ids() {
        check(
            r#"{"$id":"http://example.com/root.json","$defs":{"a":{"$id":"a.json","type":"string"}},"properties":{"x":{"$ref":"a.json"},"z":{"$ref":"http://example.com/a.json"}}}"#,
            r#"x: 1
z: 2"#,
            &[],
            Some(
                r#"- at '/x': got number, want string
- at '/z': got number, want string
"#,
            ),
        );
    }

    #[test]
    fn helm_if_only() {
        check(
            r#"{"properties":{"a":{"if":{"type":"string"},"else":{"minimum":10}},"b":{"then":{"minimum":10}}}}"#,
            r#"a: 5
b: 5"#,
            &[],
            Some(
                r#"- at '/a': minimum: got 5, want 10
"#,
            ),
        );
    }

    #[test]
    fn helm_inf_min() {
        check(
            r#"{"properties":{"a":{"minimum":1e400},"b":{"maximum":-1e400},"c":{"minimum":1e-400}}}"#,
            r#"a: 5
b: 5
c: -5"#,
            &[],
            Some(
                r#"- at '/a': minimum: got 5, want ∞
- at '/b': maximum: got 5, want -∞
- at '/c': minimum: got -5, want 0
"#,
            ),
        );
    }

    #[test]
    fn helm_ip6() {
        check(
            r#"{"$schema":"http://json-schema.org/draft-07/schema#","properties":{"a":{"format":"ipv6"},"b":{"format":"ipv6"},"c":{"format":"ipv6"},"d":{"format":"ipv6"},"e":{"format":"ipv6"},"f":{"format":"ipv6"},"g":{"format":"ipv6"}}}"#,
            r#"a: '::1.2.3.x'
b: '1.2.3.4:5'
c: 'fe80::1%eth0'
d: '1:2'
e: '::01.2.3.4'
f: '%x'
g: '12345::'"#,
            &[],
            Some(
                r#"- at '/a': '::1.2.3.x' is not valid ipv6: ParseAddr("::1.2.3.x"): unexpected character (at "x")
- at '/b': '1.2.3.4:5' is not valid ipv6: ParseAddr("1.2.3.4:5"): unexpected character (at ":5")
- at '/c': 'fe80::1%eth0' is not valid ipv6: zone id is not a part of ipv6 address
- at '/d': '1:2' is not valid ipv6: ParseAddr("1:2"): address string too short
- at '/e': '::01.2.3.4' is not valid ipv6: ParseAddr("::01.2.3.4"): IPv4 field has octet with leading zero
- at '/f': '%x' is not valid ipv6: missing colon
- at '/g': '12345::' is not valid ipv6: ParseAddr("12345::"): each group must have 4 or less digits (at "12345::")
"#,
            ),
        );
    }

    #[test]
    fn helm_items_arr2020() {
        check(
            r#"{"properties":{"a":{"items":[{"type":"string"}]}}}"#,
            r#"a: [1]"#,
            &[],
            Some(
                r#""file:///values.schema.json#" is not valid against metaschema: jsonschema validation failed with 'https://json-schema.org/draft/2020-12/schema#'
- at '': 'allOf' failed
  - at '/properties/a': 'allOf' failed
    - at '/properties/a/items': got array, want boolean or object"#,
            ),
        );
    }

    #[test]
    fn helm_keys_special() {
        check(
            r#"{"properties":{"a/b":{"type":"string"},"~x":{"type":"string"},"it's":{"type":"string"},"nl":{"pattern":"^a$"},"uni":{"maxLength":2}}}"#,
            r#"a/b: 1
~x: 1
"it's": 1
nl: "line1\nline2 \"q\" \\ t\t"
uni: 'hééé'"#,
            &[],
            Some(
                r#"- at '/a~1b': got number, want string
- at '/it\'s': got number, want string
- at '/nl': 'line1\nline2 "q" \\ t\t' does not match pattern '^a$'
- at '/uni': maxLength: got 4, want 2
- at '/~0x': got number, want string
"#,
            ),
        );
    }

    #[test]
    fn helm_meta_04() {
        check(
            r#"{"$schema":"http://json-schema.org/draft-04/schema#","properties":{"a":{"type":"foo","required":[]}}}"#,
            r#"x: 1"#,
            &[],
            Some(
                r#""file:///values.schema.json#" is not valid against metaschema: jsonschema validation failed with 'http://json-schema.org/draft-04/schema#'
- at '/properties/a': validation failed
  - at '/properties/a/required': minItems: got 0, want 1
  - at '/properties/a/type': 'anyOf' failed
    - at '/properties/a/type': value must be one of 'array', 'boolean', 'integer', 'null', 'number', 'object', 'string'
    - at '/properties/a/type': got string, want array"#,
            ),
        );
    }

    #[test]
    fn helm_meta_06() {
        check(
            r#"{"$schema":"http://json-schema.org/draft-06/schema#","properties":{"a":{"type":"foo","minLength":1.5}}}"#,
            r#"x: 1"#,
            &[],
            Some(
                r#""file:///values.schema.json#" is not valid against metaschema: jsonschema validation failed with 'http://json-schema.org/draft-06/schema#'
- at '/properties/a': validation failed
  - at '/properties/a/minLength': 'allOf' failed
    - at '/properties/a/minLength': got number, want integer
  - at '/properties/a/type': 'anyOf' failed
    - at '/properties/a/type': value must be one of 'array', 'boolean', 'integer', 'null', 'number', 'object', 'string'
    - at '/properties/a/type': got string, want array"#,
            ),
        );
    }

    #[test]
    fn helm_meta_2019() {
        check(
            r#"{"$schema":"https://json-schema.org/draft/2019-09/schema","properties":{"a":{"type":"foo"}}}"#,
            r#"x: 1"#,
            &[],
            Some(
                r#""file:///values.schema.json#" is not valid against metaschema: jsonschema validation failed with 'https://json-schema.org/draft/2019-09/schema#'
- at '': 'allOf' failed
  - at '/properties/a': 'allOf' failed
    - at '/properties/a/type': 'anyOf' failed
      - at '/properties/a/type': value must be one of 'array', 'boolean', 'integer', 'null', 'number', 'object', 'string'
      - at '/properties/a/type': got string, want array"#,
            ),
        );
    }

    #[test]
    fn helm_meta_min() {
        check(
            r#"{"minimum": "x"}"#,
            r#"a: 1"#,
            &[],
            Some(
                r#""file:///values.schema.json#" is not valid against metaschema: jsonschema validation failed with 'https://json-schema.org/draft/2020-12/schema#'
- at '': 'allOf' failed
  - at '/minimum': got string, want number"#,
            ),
        );
    }

    #[test]
    fn helm_meta_multi() {
        check(
            r#"{"properties":{"a":{"type":"foo","minimum":"x"},"b":{"required":"x"},"c":{"minLength":-1}}}"#,
            r#"x: 1"#,
            &[],
            Some(
                r#""file:///values.schema.json#" is not valid against metaschema: jsonschema validation failed with 'https://json-schema.org/draft/2020-12/schema#'
- at '': 'allOf' failed
  - at '': validation failed
    - at '/properties/a': 'allOf' failed
      - at '/properties/a': validation failed
        - at '/properties/a/minimum': got string, want number
        - at '/properties/a/type': 'anyOf' failed
          - at '/properties/a/type': value must be one of 'array', 'boolean', 'integer', 'null', 'number', 'object', 'string'
          - at '/properties/a/type': got string, want array
    - at '/properties/b': 'allOf' failed
      - at '/properties/b/required': got string, want array
    - at '/properties/c': 'allOf' failed
      - at '/properties/c/minLength': minimum: got -1, want 0"#,
            ),
        );
    }

    #[test]
    fn helm_meta_pattern() {
        check(
            r#"{"properties": {"a": {"pattern": "("}}}"#,
            r#"a: 1"#,
            &[],
            Some(
                r#""file:///values.schema.json#" is not valid against metaschema: jsonschema validation failed with 'https://json-schema.org/draft/2020-12/schema#'
- at '': 'allOf' failed
  - at '/properties/a': 'allOf' failed
    - at '/properties/a/pattern': '(' is not valid regex: error parsing regexp: missing closing ): `(`"#,
            ),
        );
    }

    #[test]
    fn helm_meta_pattern7() {
        check(
            r#"{"$schema": "http://json-schema.org/draft-07/schema#", "properties": {"a": {"pattern": "("}}}"#,
            r#"a: 1"#,
            &[],
            Some(
                r#""file:///values.schema.json#" is not valid against metaschema: jsonschema validation failed with 'http://json-schema.org/draft-07/schema#'
- at '/properties/a/pattern': '(' is not valid regex: error parsing regexp: missing closing ): `(`"#,
            ),
        );
    }

    #[test]
    fn helm_meta_type() {
        check(
            r#"{"properties": {"a": {"type": "foo"}}}"#,
            r#"a: 1"#,
            &[],
            Some(
                r#""file:///values.schema.json#" is not valid against metaschema: jsonschema validation failed with 'https://json-schema.org/draft/2020-12/schema#'
- at '': 'allOf' failed
  - at '/properties/a': 'allOf' failed
    - at '/properties/a/type': 'anyOf' failed
      - at '/properties/a/type': value must be one of 'array', 'boolean', 'integer', 'null', 'number', 'object', 'string'
      - at '/properties/a/type': got string, want array"#,
            ),
        );
    }

    #[test]
    fn helm_meta_type7() {
        check(
            r#"{"$schema": "http://json-schema.org/draft-07/schema#", "properties": {"a": {"type": "foo"}}}"#,
            r#"a: 1"#,
            &[],
            Some(
                r#""file:///values.schema.json#" is not valid against metaschema: jsonschema validation failed with 'http://json-schema.org/draft-07/schema#'
- at '/properties/a/type': 'anyOf' failed
  - at '/properties/a/type': value must be one of 'array', 'boolean', 'integer', 'null', 'number', 'object', 'string'
  - at '/properties/a/type': got string, want array"#,
            ),
        );
    }

    #[test]
    fn helm_mincontains0() {
        check(
            r#"{"properties":{"a":{"contains":{"type":"string"},"minContains":0},"b":{"$schema":"x","contains":{"type":"string"},"minContains":2}}}"#,
            r#"a: [1]
b: [1, 'x']"#,
            &[],
            Some(r#"failing loading "x": no URLLoader registered for "x""#),
        );
    }

    #[test]
    fn helm_misc_formats() {
        check(
            r#"{"$schema":"http://json-schema.org/draft-07/schema#","properties":{"a":{"format":"email"},"b":{"format":"email"},"c":{"format":"hostname"},"d":{"format":"uuid"},"e":{"format":"uuid"},"f":{"format":"relative-json-pointer"},"g":{"format":"period"},"h":{"format":"ipv4"},"i":{"format":"ipv4"},"j":{"format":"duration"}}}"#,
            r#"a: 'x@[1.2.3]'
b: 'a..b@x.com'
c: 'a_b.com'
d: '1-2-3-4-5'
e: '0000000g-0000-0000-0000-000000000000'
f: '01/a'
g: '2020-01-01T00:00:00Z'
h: '1.2.3.256'
i: '99999999999999999999.1.1.1'
j: 'PT1M2H'"#,
            &[],
            Some(
                r#"- at '/a': 'x@[1.2.3]' is not valid email: invalid ipv4 address: expected four decimals
- at '/b': 'a..b@x.com' is not valid email: consecutive dots
- at '/c': 'a_b.com' is not valid hostname: invalid character '_'
- at '/d': '1-2-3-4-5' is not valid uuid: element 1 must be 8 characters long
- at '/e': '0000000g-0000-0000-0000-000000000000' is not valid uuid: non-hex character 'g'
- at '/f': '01/a' is not valid relative-json-pointer: starts with zero
- at '/g': '2020-01-01T00:00:00Z' is not valid period: missing slash
- at '/h': '1.2.3.256' is not valid ipv4: decimal must be between 0 and 255
- at '/i': '99999999999999999999.1.1.1' is not valid ipv4: strconv.Atoi: parsing "99999999999999999999": value out of range
- at '/j': 'PT1M2H' is not valid duration: unit 'H' out of order
"#,
            ),
        );
    }

    #[test]
    fn helm_neg_zero() {
        check(
            r#"{"properties":{"a":{"maximum":-0.0,"multipleOf":1e-5}}}"#,
            r#"a: 0.123456"#,
            &[],
            Some(
                r#"- at '/a': maximum: got 0.123456, want 0
- at '/a': multipleOf: got 0.123456, want 1×10⁻⁰⁵
"#,
            ),
        );
    }

    #[test]
    fn helm_nest3() {
        check(
            r##"{"definitions":{"p":{"anyOf":[{"type":"string"},{"allOf":[{"type":"integer"},{"minimum":10},{"not":{"const":3}}]}]}},"properties":{"a":{"$ref":"#/definitions/p"}}}"##,
            r#"a: 3"#,
            &[],
            Some(
                r#"- at '/a': 'anyOf' failed
  - at '/a': got number, want string
  - at '/a': 'allOf' failed
    - at '/a': minimum: got 3, want 10
    - at '/a': 'not' failed
"#,
            ),
        );
    }

    #[test]
    fn helm_not() {
        check(
            r#"{"properties": {"a": {"not": {"type": "integer"}}}}"#,
            r#"a: 1"#,
            &[],
            Some(
                r#"- at '/a': 'not' failed
"#,
            ),
        );
    }

    #[test]
    fn helm_num_enum() {
        check(
            r#"{"properties":{"a":{"enum":[1e3, 1.0, 0.10, -0, 1E+2, 12345678901234567890123]},"b":{"const":1e3},"c":{"minimum":1e3,"maximum":-2.50}}}"#,
            r#"a: 7
b: 7
c: 7"#,
            &[],
            Some(
                r#"- at '/a': value must be one of 1e3, 1.0, 0.10, -0, 1E+2, 12345678901234567890123
- at '/b': value must be 1e3
- at '/c': validation failed
  - at '/c': minimum: got 7, want 1,000
  - at '/c': maximum: got 7, want -2.5
"#,
            ),
        );
    }

    #[test]
    fn helm_oneof() {
        check(
            r#"{"properties": {"a": {"oneOf": [{"type": "integer"}, {"minimum": 0}]}, "b": {"oneOf": [{"type": "string"}, {"type": "boolean"}]}}}"#,
            r#"a: 1
b: 1"#,
            &[],
            Some(
                r#"- at '/a': 'oneOf' failed, subschemas 0, 1 matched
- at '/b': 'oneOf' failed, none matched
  - at '/b': got number, want string
  - at '/b': got number, want boolean
"#,
            ),
        );
    }

    #[test]
    fn helm_oneof3() {
        check(
            r#"{"properties":{"a":{"oneOf":[{"minimum":0},{"minimum":1},{"minimum":2}]}}}"#,
            r#"a: 5"#,
            &[],
            Some(
                r#"- at '/a': 'oneOf' failed, subschemas 0, 1 matched
"#,
            ),
        );
    }

    #[test]
    fn helm_pattern_props() {
        check(
            r#"{"patternProperties":{"^x":{"type":"string"},"^xy":{"minLength":5}},"propertyNames":{"pattern":"^[a-z]+$"},"additionalProperties":false}"#,
            r#"xyz: 1
abc: 2
ABC: 3"#,
            &[],
            Some(
                r#"- at '/xyz': got number, want string
- at '': additional properties 'ABC', 'abc' not allowed
- at '': invalid propertyName 'ABC'
  - at '': 'ABC' does not match pattern '^[a-z]+$'
"#,
            ),
        );
    }

    #[test]
    fn helm_recur_root() {
        check(
            r##"{"type":"object","additionalProperties":{"anyOf":[{"type":"integer"},{"$ref":"#"}]}}"##,
            r#"a: {b: {c: 'x'}}"#,
            &[],
            Some(
                r#"- at '/a': 'anyOf' failed
  - at '/a': got object, want integer
  - at '/a/b': 'anyOf' failed
    - at '/a/b': got object, want integer
    - at '/a/b/c': 'anyOf' failed
      - at '/a/b/c': got string, want integer
      - at '/a/b/c': got string, want object
"#,
            ),
        );
    }

    #[test]
    fn helm_recursive2019() {
        check(
            r##"{"$schema":"https://json-schema.org/draft/2019-09/schema","$recursiveAnchor":true,"type":"object","properties":{"kids":{"type":"array","items":{"$recursiveRef":"#"}},"n":{"type":"integer"}}}"##,
            r#"kids: [{n: 1}, {n: 'x', kids: [5]}]"#,
            &[],
            Some(
                r#"- at '/kids/1/kids/0': got number, want object
"#,
            ),
        );
    }

    #[test]
    fn helm_ref_file() {
        check(
            r#"{"$ref": "other.json"}"#,
            r#"a: 1"#,
            &[],
            Some(
                r#"failing loading "file:///other.json": open /other.json: no such file or directory"#,
            ),
        );
    }

    #[test]
    fn helm_ref_meta() {
        check(
            r#"{"properties":{"a":{"$ref":"http://json-schema.org/draft-07/schema#"}}}"#,
            r#"a: {type: bogus}"#,
            &[],
            Some(
                r#"- at '/a/type': 'anyOf' failed
  - at '/a/type': value must be one of 'array', 'boolean', 'integer', 'null', 'number', 'object', 'string'
  - at '/a/type': got string, want array
"#,
            ),
        );
    }

    #[test]
    fn helm_ref_nonkw() {
        check(
            r##"{"properties":{"a":{"$ref":"#/x/y"}},"x":{"y":{"type":"string","minLength":"q"}}}"##,
            r#"a: 1"#,
            &[],
            Some(
                r#""file:///values.schema.json#/x/y" is not valid against metaschema: jsonschema validation failed with 'https://json-schema.org/draft/2020-12/schema#'
- at '': 'allOf' failed
  - at '/minLength': got string, want integer"#,
            ),
        );
    }

    #[test]
    fn helm_ref_nonkw_ok() {
        check(
            r##"{"properties":{"a":{"$ref":"#/x/y"}},"x":{"y":{"type":"string"}}}"##,
            r#"a: 1"#,
            &[],
            Some(
                r#"- at '/a': got number, want string
"#,
            ),
        );
    }

    #[test]
    fn helm_ref_urn() {
        check(r#"{"$ref": "urn:foo:bar"}"#, r#"a: 1"#, &[], None);
    }

    #[test]
    fn helm_refchain() {
        check(
            r##"{"$ref":"#/$defs/x","$defs":{"x":{"$ref":"#/$defs/y"},"y":{"type":"string"}}}"##,
            r#"a: 1"#,
            &[],
            Some(
                r#"- at '': got object, want string
"#,
            ),
        );
    }

    #[test]
    fn helm_refchain_multi() {
        check(
            r##"{"$ref":"#/$defs/x","$defs":{"x":{"$ref":"#/$defs/y"},"y":{"required":["q"],"maxProperties":0}}}"##,
            r#"a: 1"#,
            &[],
            Some(
                r#"- at '': validation failed
  - at '': maxProperties: got 1, want 0
  - at '': missing property 'q'
"#,
            ),
        );
    }

    #[test]
    fn helm_req_dup() {
        check(
            r#"{"required":["a","a"]}"#,
            r#"x: 1"#,
            &[],
            Some(
                r#""file:///values.schema.json#" is not valid against metaschema: jsonschema validation failed with 'https://json-schema.org/draft/2020-12/schema#'
- at '': 'allOf' failed
  - at '/required': items at 0 and 1 are equal"#,
            ),
        );
    }

    #[test]
    fn helm_req_multi() {
        check(
            r#"{"required": ["a", "b", "c"]}"#,
            r#"x: 1"#,
            &[],
            Some(
                r#"- at '': missing properties 'a', 'b', 'c'
"#,
            ),
        );
    }

    #[test]
    fn helm_schema_nonstr() {
        check(
            r#"{"$schema":5,"properties":{"a":{"format":"ipv4"}}}"#,
            r#"a: x"#,
            &[],
            Some(
                r#""file:///values.schema.json#" is not valid against metaschema: jsonschema validation failed with 'https://json-schema.org/draft/2020-12/schema#'
- at '': 'allOf' failed
  - at '/$schema': got number, want string"#,
            ),
        );
    }

    #[test]
    fn helm_schema_variants() {
        check(
            r#"{"$schema":"http://json-schema.org/draft-07/schema","properties":{"a":{"format":"ipv4"}}}"#,
            r#"a: x"#,
            &[],
            Some(
                r#"- at '/a': 'x' is not valid ipv4: expected four decimals
"#,
            ),
        );
    }

    #[test]
    fn helm_setjson_ints() {
        check(
            r#"{"properties":{"a":{"type":"integer","maximum":5},"b":{"maximum":5},"c":{"type":"integer"},"d":{"multipleOf":0.1},"e":{"multipleOf":0.1}}}"#,
            r#""#,
            &[r#"{"a": 12345678901234567890, "b": 1e+300, "c": 1.0, "d": 0.3, "e": 0.35}"#],
            Some(
                r#"- at '/a': maximum: got 1.2345678901234567×10¹⁹, want 5
- at '/b': maximum: got 1×10³⁰⁰, want 5
- at '/e': multipleOf: got 0.35, want 0.1
"#,
            ),
        );
    }

    #[test]
    fn helm_type_int() {
        check(
            r#"{"properties": {"a": {"type": "integer"}, "b": {"type": "integer"}, "c": {"type": ["integer", "string"]}}}"#,
            r#"a: 1.5
b: 2.0
c: true"#,
            &[],
            Some(
                r#"- at '/a': got number, want integer
- at '/c': got boolean, want integer or string
"#,
            ),
        );
    }

    #[test]
    fn helm_type_multi() {
        check(
            r#"{"type": ["string", "null", "integer", "object"]}"#,
            r#"x: 1"#,
            &[],
            None,
        );
    }

    #[test]
    fn helm_uneval_if() {
        check(
            r#"{"if":{"properties":{"kind":{"const":"x"}}},"then":{"properties":{"px":true}},"else":{"properties":{"po":true}},"properties":{"kind":true},"unevaluatedProperties":{"type":"string"}}"#,
            r#"kind: x
px: 1
po: 2
q: 3"#,
            &[],
            Some(
                r#"- at '/po': got number, want string
- at '/q': got number, want string
"#,
            ),
        );
    }

    #[test]
    fn helm_uneval_nested() {
        check(
            r##"{"$schema":"https://json-schema.org/draft/2019-09/schema","$defs":{"base":{"properties":{"b":true}}},"allOf":[{"$ref":"#/$defs/base"}],"anyOf":[{"properties":{"c":true}},{"properties":{"d":true}}],"properties":{"a":true},"unevaluatedProperties":false}"##,
            r#"a: 1
b: 2
c: 3
d: 4
e: 5"#,
            &[],
            Some(
                r#"- at '/e': false schema
"#,
            ),
        );
    }

    #[test]
    fn helm_unicode_key() {
        check(
            r#"{"properties":{"ключ":{"type":"string"},"tab\tkey":{"type":"string"}}}"#,
            r#"ключ: 1
"tab\tkey": 1"#,
            &[],
            Some(
                r#"- at '/tab\tkey': got number, want string
- at '/ключ': got number, want string
"#,
            ),
        );
    }

    #[test]
    fn helm_unique_big() {
        check(
            r#"{"properties": {"a": {"uniqueItems": true}}}"#,
            r#"a: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,{x: 1},[1],{x: 1.0}]"#,
            &[],
            Some(
                r#"- at '/a': items at 22 and 24 are equal
"#,
            ),
        );
    }

    #[test]
    fn helm_uris() {
        check(
            r#"{"$schema":"http://json-schema.org/draft-07/schema#","properties":{"a":{"format":"uri"},"b":{"format":"uri"},"c":{"format":"uri"},"d":{"format":"uri-reference"},"e":{"format":"uri-template"},"f":{"format":"uri"},"g":{"format":"uri"}}}"#,
            r#"a: 'foo/bar'
b: 'http://[::1'
c: 'http://::1/'
d: 'a\\b'
e: 'http://x/{a{b}}'
f: ':foo'
g: 'http://a:b:c/'"#,
            &[],
            Some(
                r#"- at '/a': 'foo/bar' is not valid uri: relative url
- at '/b': 'http://[::1' is not valid uri: parse "http://[::1": missing ']' in host
- at '/c': 'http://::1/' is not valid uri: parse "http://::1/": invalid port "::1" after host
- at '/d': 'a\\\\b' is not valid uri-reference: contains \
- at '/e': 'http://x/{a{b}}' is not valid uri-template: nested curly braces
- at '/f': ':foo' is not valid uri: parse ":foo": missing protocol scheme
- at '/g': 'http://a:b:c/' is not valid uri: parse "http://a:b:c/": invalid port ":b:c" after host
"#,
            ),
        );
    }

    #[test]
    fn helm_ver_additems() {
        check(
            r#"{"$schema":"http://json-schema.org/draft-07/schema#","properties":{"x":{"items":[{}],"additionalItems":{"type":"string"}},"y":{"items":[{}],"additionalItems":false}}}"#,
            r#"x: [1, 2, 3]
y: [1,2,3]"#,
            &[],
            Some(
                r#"- at '/x/1': got number, want string
- at '/x/2': got number, want string
"#,
            ),
        );
    }

    #[test]
    fn helm_ver_items2020() {
        check(
            r#"{"properties":{"x":{"prefixItems":[{}],"items":{"type":"string"}}}}"#,
            r#"x: [1, 2, 3]"#,
            &[],
            Some(
                r#"- at '/x/1': got number, want string
- at '/x/2': got number, want string
"#,
            ),
        );
    }

    #[test]
    fn helm_ver_propnames() {
        check(
            r#"{"properties":{"x":{"propertyNames":{"maxLength":2}}}}"#,
            r#"x: {abc: 1}"#,
            &[],
            Some(
                r#"- at '/x': invalid propertyName 'abc'
  - at '': maxLength: got 3, want 2
"#,
            ),
        );
    }

    #[test]
    fn helm_ver_uri() {
        check(
            r#"{"$schema":"http://json-schema.org/draft-07/schema#","properties":{"a":{"format":"uri"},"b":{"format":"uri"},"c":{"format":"email"}}}"#,
            r#"a: "http://a/ü"
b: "http://a/ b"
c: '"ab@x.com'"#,
            &[],
            Some(
                r#"- at '/c': '"ab@x.com' is not valid email: invalid character '"'
"#,
            ),
        );
    }

    #[test]
    fn helm_empty_values() {
        check(
            r#"{"required":["a"],"type":"object","minProperties":1}"#,
            r#""#,
            &[],
            Some(
                r#"- at '': minProperties: got 0, want 1
- at '': missing property 'a'
"#,
            ),
        );
    }

    #[test]
    fn helm_re_props() {
        check(
            r#"{"patternProperties":{"^\\d":{"type":"string"}},"additionalProperties":{"type":"boolean"}}"#,
            r#""1": 5
"١": 5"#,
            &[],
            Some(
                r#"- at '/1': got number, want string
- at '/١': got number, want boolean
"#,
            ),
        );
    }

    #[test]
    fn helm_re_sem() {
        check(
            r#"{"properties":{"a":{"pattern":"^\\d+$"},"b":{"pattern":"^{a}$"},"c":{"pattern":"^\\w+$"},"d":{"pattern":"x\\b"},"e":{"pattern":"^[\\s]+$"},"f":{"pattern":"(?i)^ab$"},"g":{"pattern":"^a{2}$"},"h":{"pattern":"^\\Q.*\\E$"}}}"#,
            r#"a: "١٢"
b: 'x'
c: "é"
d: "xé"
e: " "
f: 'AC'
g: 'a'
h: 'ab'"#,
            &[],
            Some(
                r#"- at '/a': '١٢' does not match pattern '^\\d+$'
- at '/b': 'x' does not match pattern '^{a}$'
- at '/c': 'é' does not match pattern '^\\w+$'
- at '/e': '\u00a0' does not match pattern '^[\\s]+$'
- at '/f': 'AC' does not match pattern '(?i)^ab$'
- at '/g': 'a' does not match pattern '^a{2}$'
- at '/h': 'ab' does not match pattern '^\\Q.*\\E$'
"#,
            ),
        );
    }

    #[test]
    fn helm_schema_ok_49() {
        check(
            r#"{"$schema":"https://json-schema.org/draft-07/schema#","type":"object","required":["replicas","image"],"properties":{"replicas":{"type":"integer","minimum":1},"image":{"type":"object","properties":{"tag":{"type":"string"}},"required":["tag"]},"mode":{"enum":["fast","slow"]}}}"#,
            r#"replicas: 2
image:
  tag: '1.0'
mode: fast"#,
            &[],
            None,
        );
    }

    #[test]
    fn helm_str_quote() {
        check(
            r#"{"properties":{"a":{"enum":["it's","back\\slash","q\"x","é\u0007"]},"b":{"const":"\\"}}}"#,
            r#"a: z
b: z"#,
            &[],
            Some(
                r#"- at '/a': value must be one of 'it\'s', 'back\\slash', 'q"x', 'é\a'
- at '/b': value must be '\'
"#,
            ),
        );
    }
}

#[cfg(test)]
mod perf {
    use super::*;

    /// Timing of a large schema (bitnami nginx's) on realistic values: run
    /// with `--ignored --nocapture`.
    #[test]
    #[ignore]
    fn large_schema_timing() {
        let schema = super::tests::BITNAMI.as_bytes();
        let mut yaml = String::from("replicaCount: 2\nservice:\n  type: ClusterIP\ningress:\n  enabled: true\n  hostname: a.example\n");
        for i in 0..300 {
            yaml.push_str(&format!(
                "extra{i}:\n  name: n{i}\n  list: [1, 2, 3]\n  nested: {{a: {{b: c}}}}\n"
            ));
        }
        let vals = crate::chart::values::load_values(&yaml).expect("yaml");
        let t = std::time::Instant::now();
        assert_eq!(validate_single(schema, &vals), Ok(()));
        println!("first call (compile + metaschema check): {:?}", t.elapsed());
        let t = std::time::Instant::now();
        for _ in 0..200 {
            assert_eq!(validate_single(schema, &vals), Ok(()));
        }
        println!("per validation: {:?}", t.elapsed() / 200);
        let t = std::time::Instant::now();
        for _ in 0..200 {
            drop(to_json(&vals));
        }
        println!("of which converting the values: {:?}", t.elapsed() / 200);
        let inst = to_json(&vals);
        let c = compiled(schema).expect("compiled");
        let t = std::time::Instant::now();
        for _ in 0..200 {
            let _ = c.validate(&inst);
        }
        println!("of which validating: {:?}", t.elapsed() / 200);
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;

    /// xorshift64*, deterministic.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
            xs[self.below(xs.len())]
        }
    }

    const KEYWORDS: &[&str] = &[
        "type",
        "enum",
        "const",
        "required",
        "properties",
        "additionalProperties",
        "patternProperties",
        "propertyNames",
        "dependencies",
        "dependentRequired",
        "dependentSchemas",
        "items",
        "prefixItems",
        "additionalItems",
        "contains",
        "minContains",
        "maxContains",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "pattern",
        "format",
        "uniqueItems",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "if",
        "then",
        "else",
        "unevaluatedProperties",
        "unevaluatedItems",
        "$ref",
        "$defs",
        "definitions",
        "$id",
        "$anchor",
        "$dynamicRef",
        "$dynamicAnchor",
        "$recursiveRef",
        "$recursiveAnchor",
        "$schema",
        "id",
    ];
    const STRINGS: &[&str] = &[
        "a",
        "b",
        "#",
        "#/$defs/a",
        "#/definitions/a",
        "#a",
        "#/properties/a",
        "other.json",
        "urn:x",
        "http://json-schema.org/draft-07/schema#",
        "https://json-schema.org/draft/2020-12/schema",
        "http://json-schema.org/draft-04/schema#",
        "https://json-schema.org/draft/2019-09/schema",
        "string",
        "integer",
        "object",
        "array",
        "null",
        "number",
        "boolean",
        "^a",
        "(",
        "[",
        "\\d{2}",
        "ipv4",
        "ipv6",
        "date",
        "date-time",
        "email",
        "uri",
        "regex",
        "uuid",
        "duration",
        "%zz",
        "~",
        "",
        "http://x.example/a",
        "#/x/y",
        "#/$defs/a/items",
        "ftp://x",
        ":",
        "a/b",
    ];

    fn schema(r: &mut Rng, depth: usize) -> String {
        match r.below(if depth > 3 { 3 } else { 8 }) {
            0 => "true".into(),
            1 => "false".into(),
            2 => "{}".into(),
            _ => {
                let n = r.below(4) + 1;
                let mut parts = Vec::new();
                for _ in 0..n {
                    let k = r.pick(KEYWORDS);
                    parts.push(format!("{}:{}", gofmt::quote(k), value(r, depth + 1)));
                }
                format!("{{{}}}", parts.join(","))
            }
        }
    }

    fn value(r: &mut Rng, depth: usize) -> String {
        match r.below(if depth > 4 { 5 } else { 9 }) {
            0 => gofmt::quote(r.pick(STRINGS)),
            1 => [
                "0",
                "1",
                "-1",
                "2.5",
                "1e3",
                "1e400",
                "0.1",
                "1e-400",
                "12345678901234567890",
            ][r.below(9)]
            .into(),
            2 => ["true", "false", "null"][r.below(3)].into(),
            3 | 4 => schema(r, depth),
            5 | 6 => {
                let n = r.below(3);
                let items: Vec<String> = (0..n).map(|_| value(r, depth + 1)).collect();
                format!("[{}]", items.join(","))
            }
            _ => {
                let n = r.below(3);
                let items: Vec<String> = (0..n)
                    .map(|_| format!("{}:{}", gofmt::quote(r.pick(STRINGS)), value(r, depth + 1)))
                    .collect();
                format!("{{{}}}", items.join(","))
            }
        }
    }

    fn instance(r: &mut Rng, depth: usize) -> Value {
        match r.below(if depth > 3 { 5 } else { 8 }) {
            0 => Value::Nil,
            1 => Value::Bool(r.below(2) == 0),
            2 => Value::Float([0.0, 1.0, -3.5, 1e21, 0.1, 255.0][r.below(6)]),
            3 => Value::Int64([0, 7, -1, i64::MAX][r.below(4)]),
            4 => Value::from(r.pick(STRINGS)),
            5 => Value::list((0..r.below(4)).map(|_| instance(r, depth + 1)).collect()),
            _ => {
                let mut m = BTreeMap::new();
                for _ in 0..r.below(4) {
                    m.insert(r.pick(STRINGS).into(), instance(r, depth + 1));
                }
                Value::map(m)
            }
        }
    }

    /// Random schemas and values: no panic, and every answer is
    /// deterministic.
    #[test]
    fn random_schemas_never_panic() {
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..1000 {
            let s = schema(&mut r, 0);
            let v = instance(&mut r, 0);
            let a = validate_single(s.as_bytes(), &v);
            let b = validate_single(s.as_bytes(), &v);
            assert_eq!(a, b, "{s}");
        }
    }

    /// Byte mutations of real schemas: no panic.
    #[test]
    fn mutated_schemas_never_panic() {
        let mut r = Rng(42);
        let seeds: Vec<&str> = METASCHEMAS.iter().map(|(_, s)| *s).collect();
        let v = Value::map(BTreeMap::from([("a".into(), Value::Float(1.0))]));
        for i in 0..500 {
            let mut b = seeds[i % seeds.len()].as_bytes().to_vec();
            for _ in 0..=r.below(3) {
                let at = r.below(b.len());
                match r.below(3) {
                    0 => b[at] = b"{}[]\",:0e-#/\\ax"[r.below(15)],
                    1 => {
                        b.remove(at);
                    }
                    _ => b.insert(at, b"{}[]\",:0e-#/\\ax"[r.below(15)]),
                }
            }
            let _ = validate_single(&b, &v);
        }
    }

    /// Go-accepted patterns must build as Rust ones.
    #[test]
    fn regex_translation_builds() {
        let mut r = Rng(7);
        let atoms = [
            "a",
            "\\d",
            "\\D",
            "\\w",
            "\\W",
            "\\s",
            "\\S",
            "\\b",
            "\\B",
            ".",
            "[a-z]",
            "[^\\d]",
            "[[:alpha:]]",
            "[a&&b]",
            "[a~~b]",
            "[a--b]",
            "[]a]",
            "[\\[]",
            "{",
            "}",
            "{2}",
            "{1,3}",
            "x{",
            "\\Q.*\\E",
            "\\01",
            "(",
            ")",
            "|",
            "*",
            "+",
            "?",
            "^",
            "$",
            "\\pL",
            "\\p{Greek}",
            "(?i)",
            "\\<",
            "\\>",
            "\\.",
            "\\-",
            "\\z",
            "\\A",
            "é",
            "\\x41",
            "\\x{263a}",
            "[-a]",
            "[a-]",
        ];
        let mut built = 0;
        for _ in 0..2000 {
            let n = r.below(5) + 1;
            let p: String = (0..n).map(|_| atoms[r.below(atoms.len())]).collect();
            if crate::template::funcs::regex::compile(&p).is_ok() {
                assert!(
                    GoRegex::new(&p).is_ok(),
                    "{p} -> {}",
                    translate_go_regex(&p)
                );
                built += 1;
            }
        }
        assert!(built > 200);
    }

    /// Deep nesting (10,000 levels of values or schema) must not overflow.
    #[test]
    fn deep_nesting() {
        let mut v = Value::Float(1.0);
        for _ in 0..10_000 {
            v = Value::map(BTreeMap::from([("a".into(), v)]));
        }
        let s = r##"{"additionalProperties": {"$ref": "#"}, "type": ["object", "string"]}"##;
        let e = validate_single(s.as_bytes(), &v).expect_err("deep");
        assert!(
            e.ends_with("got number, want string or object\n"),
            "{}",
            &e[e.len() - 80..]
        );
        let deep = format!(
            "{}{}",
            "{\"not\":".repeat(2000),
            "{}".to_string() + &"}".repeat(2000)
        );
        let _ = validate_single(deep.as_bytes(), &v);
        let too_deep = "[".repeat(20_000);
        assert!(validate_single(too_deep.as_bytes(), &v).is_err());
    }
}
