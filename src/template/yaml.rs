//! YAML as Helm reads and writes it, exact to the byte.
//!
//! Reading is `sigs.k8s.io/yaml` v1.6's `Unmarshal` (Helm's `fromYaml`,
//! `fromYamlArray` and values files): goyaml.v2 decodes the first document
//! with YAML 1.1 resolution (`yes`/`no`/`on`/`off`/`y`/`n` booleans, `0777`
//! octal, `0x1F`, `1_000`, `.inf`, `~`, merge keys `<<`, anchors), the result
//! becomes JSON (non-string keys turn into strings: `y` -> `"true"`, `1.5` ->
//! `"1.5"` via float32 formatting) and `encoding/json` decodes that, so every
//! number is a `float64`. The event parser is libyaml's (unsafe-libyaml, the
//! Rust transliteration of the C library goyaml was translated from), so goyaml's
//! scanner and parser messages come out as Go prints them:
//! `error converting YAML to JSON: yaml: line 3: mapping values are not
//! allowed in this context` (a scanner error's line is 1-based, a parser
//! error's is goyaml's 0-based one). Where libyaml 0.2.5 and goyaml.v2's
//! older scanner differ, the wrapper gives goyaml's answer: in a flow
//! collection goyaml ends a plain scalar at `?` (`[b?c]` fails in Helm) and
//! keeps a `:` before a flow indicator in the scalar (`[b:, c]` is
//! `["b:", "c"]`), where libyaml reads on and fails.
//!
//! Writing is `sigs.k8s.io/yaml`'s `Marshal` (`toYaml`): `json.Marshal`
//! first (so numbers print as JSON wrote them and were re-read by goyaml:
//! a `float64` 1000000 prints `1000000`, 0.000001 prints `1e-06`), then
//! goyaml.v2's encoder and libyaml's emitter, ported here: keys in goyaml's
//! natural order, strings that would read back as something else
//! double-quoted, `|`/`|-`/`|+` for multi-line strings, plain and
//! single-quoted strings folded at 80 columns, sequences in mappings not
//! indented. `toYamlPretty` is goyaml.v3's encoder with indent 2 (no JSON
//! step, no folding, sequences indented).

use std::collections::{BTreeMap, HashSet};

use super::value::{format_float_g, Str, Value};

mod fast;

/// An error of `sigs.k8s.io/yaml`: its complete text, as Helm puts it in
/// `fromYaml`'s `Error` key or a values file error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError(pub String);

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for YamlError {}

/// The Go type `yaml.Unmarshal` decodes into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// `*interface{}`.
    Any,
    /// `*map[string]interface{}` (`fromYaml`, values files).
    Map,
    /// `*[]interface{}` (`fromYamlArray`).
    List,
}

/// `yaml.Unmarshal(text, &v)` with `v` an `interface{}`: Nil for an empty
/// document.
pub fn from_str(text: &str) -> Result<Value, YamlError> {
    unmarshal(text, Target::Any)
}

/// `yaml.Unmarshal(text, &m)` with `m` a fresh `map[string]interface{}`:
/// an empty map for an empty or null document.
pub fn from_str_map(text: &str) -> Result<Value, YamlError> {
    unmarshal(text, Target::Map)
}

/// `yaml.Unmarshal(text, &l)` with `l` a fresh `[]interface{}`.
pub fn from_str_list(text: &str) -> Result<Value, YamlError> {
    unmarshal(text, Target::List)
}

/// `yaml.Unmarshal(text, &head)` for a struct that reads `apiVersion`,
/// `kind` and `metadata` only (Helm's `SimpleHead`, once per rendered
/// document): the same value and errors as [`from_str`], but the fast
/// reader builds just the top-level keys that may fill those fields.
///
/// As in sigs.k8s.io/yaml, whose YAML-to-JSON step follows the target
/// struct, a number or bool where a string field is (`apiVersion`, `kind`,
/// `metadata.name`, an annotation) becomes that field's string from its
/// YAML type: `1e6` is `1e+06`, `.inf` is `+Inf` and no JSON error.
pub fn from_str_head(text: &str) -> Result<Value, YamlError> {
    match fast::parse_head(text) {
        // The fast reader's numbers went through JSON: an int and a float
        // print alike below 1e6 only.
        Some(value) if !head_strings(&value).any(|v| wide_integral(&v)) => Ok(value),
        _ => {
            let go = decode_first_document(text)
                .and_then(|go| check_keys(&go).map(|()| go))
                .map_err(|m| YamlError(format!("error converting YAML to JSON: {m}")))?;
            to_json_value(stringify_head(go))
                .map_err(|m| YamlError(format!("error converting YAML to JSON: {m}")))
        }
    }
}

/// Go's `strings.EqualFold(key, field)` for an ASCII `field`, as
/// `encoding/json` and sigs.k8s.io/yaml match keys to struct fields: ASCII
/// case aside, only the Kelvin sign folds to `k` and the long s to `s`.
pub fn fold_eq(key: &str, field: &str) -> bool {
    let mut k = key.chars();
    for f in field.bytes() {
        let Some(c) = k.next() else { return false };
        let ok = match c {
            '\u{212A}' => f.eq_ignore_ascii_case(&b'k'),
            '\u{017F}' => f.eq_ignore_ascii_case(&b's'),
            c if c.is_ascii() => (c as u8).eq_ignore_ascii_case(&f),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    k.next().is_none()
}

/// The values of a document head that fill string fields of Helm's
/// `SimpleHead`.
fn head_strings(v: &Value) -> impl Iterator<Item = Value> {
    let mut out = Vec::new();
    if let Value::Map(m) = v {
        for (k, v) in m.entries() {
            if fold_eq(&k, "apiVersion") || fold_eq(&k, "kind") {
                out.push(v);
            } else if fold_eq(&k, "metadata") {
                if let Value::Map(meta) = &v {
                    for (k, v) in meta.entries() {
                        if fold_eq(&k, "name") {
                            out.push(v);
                        } else if fold_eq(&k, "annotations") {
                            if let Value::Map(a) = &v {
                                out.extend(a.entries().into_iter().map(|(_, v)| v));
                            }
                        }
                    }
                }
            }
        }
    }
    out.into_iter()
}

/// An integral number of 1e6 or more: `1e6` and `1000000` print apart.
fn wide_integral(v: &Value) -> bool {
    matches!(v, Value::Float(f) if f.fract() == 0.0 && f.abs() >= 1e6)
}

/// sigs.k8s.io/yaml's conversion of the head's string fields (see
/// [`from_str_head`]), before the JSON step.
fn stringify_head(go: GoVal) -> GoVal {
    fn string_of(v: GoVal) -> GoVal {
        match v {
            GoVal::Int(i) => GoVal::Str(i.to_string()),
            GoVal::Uint(u) => GoVal::Str(u.to_string()),
            GoVal::Bool(b) => GoVal::Str(b.to_string()),
            GoVal::Float(f) => GoVal::Str(super::gofmt::format_float(f, b'g', -1, 32)),
            other => other,
        }
    }
    fn each_key(v: GoVal, mut f: impl FnMut(&str, GoVal) -> GoVal) -> GoVal {
        match v {
            GoVal::Map(pairs) => GoVal::Map(
                pairs
                    .into_iter()
                    .map(|(k, v)| {
                        let v = f(&key_string(&k), v);
                        (k, v)
                    })
                    .collect(),
            ),
            other => other,
        }
    }
    each_key(go, |k, v| {
        if fold_eq(k, "apiVersion") || fold_eq(k, "kind") {
            string_of(v)
        } else if fold_eq(k, "metadata") {
            each_key(v, |k, v| {
                if fold_eq(k, "name") {
                    string_of(v)
                } else if fold_eq(k, "annotations") {
                    each_key(v, |_, v| string_of(v))
                } else {
                    v
                }
            })
        } else {
            v
        }
    })
}

/// `sigs.k8s.io/yaml.Unmarshal` into `target`.
pub fn unmarshal(text: &str, target: Target) -> Result<Value, YamlError> {
    let value = match fast::parse(text) {
        Some(value) => value,
        None => libyaml_unmarshal(text)
            .map_err(|m| YamlError(format!("error converting YAML to JSON: {m}")))?,
    };
    let empty = || match target {
        Target::Any => Value::Nil,
        Target::Map => Value::empty_map(),
        Target::List => Value::list(Vec::new()),
    };
    let kind = match &value {
        Value::Nil => return Ok(empty()),
        Value::Map(_) => "object",
        Value::List(_) => "array",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        _ => "number",
    };
    let mismatch = match target {
        Target::Any => None,
        Target::Map => (kind != "object").then_some("map[string]interface {}"),
        Target::List => (kind != "array").then_some("[]interface {}"),
    };
    match mismatch {
        Some(ty) => Err(YamlError(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {kind} into Go value of type {ty}"
        ))),
        None => Ok(value),
    }
}

// ---------------------------------------------------------------------------
// goyaml.v2's decoder into interface{}.

/// What goyaml.v2 decodes into an `interface{}`.
#[derive(Clone, Debug)]
enum GoVal {
    Nil,
    Bool(bool),
    /// `int`.
    Int(i64),
    /// `uint64` (integers above `int64`).
    Uint(u64),
    Float(f64),
    Str(String),
    Seq(Vec<GoVal>),
    /// `map[interface{}]interface{}`, in insertion order.
    Map(Vec<(GoVal, GoVal)>),
}

impl GoVal {
    /// Go's `==` on interface map keys (maps and slices never get here).
    fn key_eq(&self, other: &GoVal) -> bool {
        match (self, other) {
            (GoVal::Nil, GoVal::Nil) => true,
            (GoVal::Bool(a), GoVal::Bool(b)) => a == b,
            (GoVal::Int(a), GoVal::Int(b)) => a == b,
            (GoVal::Uint(a), GoVal::Uint(b)) => a == b,
            (GoVal::Float(a), GoVal::Float(b)) => a == b,
            (GoVal::Str(a), GoVal::Str(b)) => a == b,
            _ => false,
        }
    }
}

fn map_set(map: &mut Vec<(GoVal, GoVal)>, k: GoVal, v: GoVal) {
    if let Some(slot) = map.iter_mut().find(|(key, _)| key.key_eq(&k)) {
        slot.1 = v;
    } else {
        map.push((k, v));
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Scalar,
    Seq,
    Map,
    Alias,
}

struct Node {
    kind: Kind,
    value: String,
    tag: String,
    implicit: bool,
    children: Vec<usize>,
    /// For an alias: the anchored node.
    alias: Option<usize>,
}

const STR_TAG: &str = "tag:yaml.org,2002:str";
const BOOL_TAG: &str = "tag:yaml.org,2002:bool";
const INT_TAG: &str = "tag:yaml.org,2002:int";
const FLOAT_TAG: &str = "tag:yaml.org,2002:float";
const NULL_TAG: &str = "tag:yaml.org,2002:null";
const TIMESTAMP_TAG: &str = "tag:yaml.org,2002:timestamp";
const BINARY_TAG: &str = "tag:yaml.org,2002:binary";
const MERGE_TAG: &str = "tag:yaml.org,2002:merge";

fn short_tag(tag: &str) -> String {
    match tag.strip_prefix("tag:yaml.org,2002:") {
        Some(rest) => format!("!!{rest}"),
        None => tag.to_string(),
    }
}

/// libyaml's event parser (unsafe-libyaml, the C library goyaml.v2 was
/// translated from), behind a safe interface: events with owned strings,
/// and errors with libyaml's problem text and marks.
mod clib {
    use std::mem::MaybeUninit;
    use unsafe_libyaml as unsafe_libyaml_sys;

    /// An event, as goyaml's parser reads it.
    pub enum Event {
        StreamStart,
        StreamEnd,
        /// The `%YAML` version, if given, and the line the document starts
        /// on (0-based).
        DocumentStart {
            version: Option<(i32, i32)>,
            line: u64,
        },
        DocumentEnd,
        Alias {
            anchor: String,
        },
        Scalar {
            anchor: Option<String>,
            tag: Option<String>,
            value: String,
            plain_implicit: bool,
        },
        SequenceStart {
            anchor: Option<String>,
        },
        SequenceEnd,
        MappingStart {
            anchor: Option<String>,
        },
        MappingEnd,
    }

    /// A parse error: whether the scanner raised it, the problem, and the
    /// problem's and context's lines (0-based).
    pub struct Error {
        pub scanner: bool,
        pub problem: String,
        pub problem_line: u64,
        pub context_line: u64,
    }

    /// An open collection, for goyaml's flow-scalar rules: the indicator
    /// that closes the flow collection goyaml's parser is in (`0` in block
    /// context) and the line that collection starts on.
    #[derive(Clone, Copy)]
    struct Open {
        close: u8,
        line: u64,
    }

    pub struct Parser {
        parser: Box<MaybeUninit<unsafe_libyaml_sys::yaml_parser_t>>,
        // The input libyaml reads from: kept alive (and unmoved on the heap)
        // as long as the parser.
        input: Vec<u8>,
        done: bool,
        open: Vec<Open>,
        /// Set with the error it ends on when goyaml.v2 would read on where
        /// libyaml stops: the input to parse again (see `goyaml_colon`).
        pub rewrite: Option<Vec<u8>>,
    }

    fn owned(ptr: *const u8) -> Option<String> {
        if ptr.is_null() {
            return None;
        }
        // SAFETY: libyaml's anchors and tags are NUL-terminated strings it
        // allocated; they live until the event is deleted.
        let bytes = unsafe { std::ffi::CStr::from_ptr(ptr.cast()) }.to_bytes();
        Some(String::from_utf8_lossy(bytes).into_owned())
    }

    impl Parser {
        pub fn new(input: Vec<u8>) -> Parser {
            let mut parser = Box::new(MaybeUninit::<unsafe_libyaml_sys::yaml_parser_t>::uninit());
            // SAFETY: initialize fills the struct; the input outlives the
            // parser (both are owned by `Parser`, dropped together, the
            // parser first in Drop).
            let ok = unsafe {
                let p = parser.as_mut_ptr();
                let ok = unsafe_libyaml_sys::yaml_parser_initialize(p).ok;
                if ok {
                    unsafe_libyaml_sys::yaml_parser_set_input_string(
                        p,
                        input.as_ptr(),
                        input.len() as _,
                    );
                }
                ok
            };
            Parser {
                parser,
                input,
                done: !ok,
                open: Vec::new(),
                rewrite: None,
            }
        }

        fn error(&self) -> Error {
            // SAFETY: the parser is initialized; the error fields are plain
            // data set by libyaml (problem a static C string or null).
            unsafe {
                let p = &*self.parser.as_ptr();
                let problem = owned(p.problem.cast()).unwrap_or_default();
                Error {
                    scanner: p.error == unsafe_libyaml_sys::YAML_SCANNER_ERROR,
                    problem,
                    problem_line: p.problem_mark.line,
                    context_line: p.context_mark.line,
                }
            }
        }

        pub fn next(&mut self) -> Result<Event, Error> {
            if self.done {
                return Err(Error {
                    scanner: false,
                    problem: String::new(),
                    problem_line: 0,
                    context_line: 0,
                });
            }
            let mut ev = MaybeUninit::<unsafe_libyaml_sys::yaml_event_t>::uninit();
            // SAFETY: the parser is initialized; on success the event is
            // initialized, read, then deleted once.
            unsafe {
                if !unsafe_libyaml_sys::yaml_parser_parse(self.parser.as_mut_ptr(), ev.as_mut_ptr())
                    .ok
                {
                    self.done = true;
                    return Err(self.goyaml_colon().unwrap_or_else(|| self.error()));
                }
                let e = ev.as_mut_ptr();
                let (start, end) = ((*e).start_mark, (*e).end_mark);
                match (*e).type_ {
                    unsafe_libyaml_sys::YAML_SEQUENCE_START_EVENT => {
                        let flow = (*e).data.sequence_start.style
                            == unsafe_libyaml_sys::YAML_FLOW_SEQUENCE_STYLE;
                        self.push(flow.then_some(b']'), start.line);
                    }
                    unsafe_libyaml_sys::YAML_MAPPING_START_EVENT => {
                        let flow = (*e).data.mapping_start.style
                            == unsafe_libyaml_sys::YAML_FLOW_MAPPING_STYLE;
                        // A flow mapping without `{` is a one-pair mapping
                        // in a flow sequence: goyaml's parser stays in the
                        // sequence.
                        let explicit = self.input.get(start.index as usize) == Some(&b'{');
                        self.push(flow.then_some(if explicit { b'}' } else { 0 }), start.line);
                    }
                    unsafe_libyaml_sys::YAML_SEQUENCE_END_EVENT
                    | unsafe_libyaml_sys::YAML_MAPPING_END_EVENT => {
                        self.open.pop();
                    }
                    unsafe_libyaml_sys::YAML_SCALAR_EVENT
                        if (*e).data.scalar.style
                            == unsafe_libyaml_sys::YAML_PLAIN_SCALAR_STYLE =>
                    {
                        if let Some(err) = self.goyaml_question(
                            start.index as usize,
                            end.index as usize,
                            start.line,
                        ) {
                            unsafe_libyaml_sys::yaml_event_delete(e);
                            self.done = true;
                            return Err(err);
                        }
                    }
                    _ => {}
                }
                let out = match (*e).type_ {
                    unsafe_libyaml_sys::YAML_STREAM_START_EVENT => Event::StreamStart,
                    unsafe_libyaml_sys::YAML_STREAM_END_EVENT => Event::StreamEnd,
                    unsafe_libyaml_sys::YAML_DOCUMENT_START_EVENT => {
                        let v = (*e).data.document_start.version_directive;
                        Event::DocumentStart {
                            version: (!v.is_null()).then(|| ((*v).major, (*v).minor)),
                            line: (*e).start_mark.line,
                        }
                    }
                    unsafe_libyaml_sys::YAML_DOCUMENT_END_EVENT => Event::DocumentEnd,
                    unsafe_libyaml_sys::YAML_ALIAS_EVENT => Event::Alias {
                        anchor: owned((*e).data.alias.anchor).unwrap_or_default(),
                    },
                    unsafe_libyaml_sys::YAML_SCALAR_EVENT => {
                        let d = (*e).data.scalar;
                        let value = if d.value.is_null() {
                            String::new()
                        } else {
                            let bytes = std::slice::from_raw_parts(d.value, d.length as usize);
                            String::from_utf8_lossy(bytes).into_owned()
                        };
                        Event::Scalar {
                            anchor: owned(d.anchor),
                            tag: owned(d.tag),
                            value,
                            plain_implicit: d.plain_implicit,
                        }
                    }
                    unsafe_libyaml_sys::YAML_SEQUENCE_START_EVENT => Event::SequenceStart {
                        anchor: owned((*e).data.sequence_start.anchor),
                    },
                    unsafe_libyaml_sys::YAML_SEQUENCE_END_EVENT => Event::SequenceEnd,
                    unsafe_libyaml_sys::YAML_MAPPING_START_EVENT => Event::MappingStart {
                        anchor: owned((*e).data.mapping_start.anchor),
                    },
                    unsafe_libyaml_sys::YAML_MAPPING_END_EVENT => Event::MappingEnd,
                    _ => Event::StreamEnd,
                };
                unsafe_libyaml_sys::yaml_event_delete(e);
                if matches!(out, Event::StreamEnd) {
                    self.done = true;
                }
                Ok(out)
            }
        }
    }

    impl Parser {
        /// Opens a collection: `close` is `Some` for a flow one (`0`: a
        /// one-pair mapping, which stays in its sequence).
        fn push(&mut self, close: Option<u8>, line: u64) {
            let open = match close {
                None => Open { close: 0, line },
                Some(0) => self
                    .open
                    .last()
                    .copied()
                    .unwrap_or(Open { close: b']', line }),
                Some(close) => Open { close, line },
            };
            self.open.push(open);
        }

        /// goyaml.v2's older scanner ends a plain scalar at `?` in a flow
        /// collection (libyaml 0.2.5 reads on): the `?` then starts a key
        /// where goyaml's parser wants `,` or the closing indicator. The
        /// plain scalar `start..end` (byte offsets) on line `line` gets
        /// that error if it holds a `?`.
        fn goyaml_question(&self, start: usize, end: usize, line: u64) -> Option<Error> {
            let open = *self.open.last()?;
            if open.close == 0 {
                return None;
            }
            let text = self.input.get(start..end)?;
            let at = text.iter().position(|&b| b == b'?')?;
            let lines = text[..at].iter().filter(|&&b| b == b'\n').count() as u64;
            Some(Error {
                scanner: false,
                problem: format!("did not find expected ',' or '{}'", open.close as char),
                problem_line: line + lines,
                context_line: open.line,
            })
        }

        /// libyaml 0.2.5 refuses `:` before a flow indicator in a flow
        /// plain scalar (`[b:, c]`: "found unexpected ':'"); goyaml.v2's
        /// scanner keeps the `:` in the scalar. For that error this sets
        /// `rewrite` to the input with the scalar single-quoted (`['b:', c]`:
        /// the same string, since a plain scalar ending in `:` resolves to
        /// nothing else) and answers the error, or answers goyaml's `?`
        /// error if the scalar holds a `?` before it.
        fn goyaml_colon(&mut self) -> Option<Error> {
            // SAFETY: the parser is initialized; the fields are plain data.
            let (problem, start, colon, line) = unsafe {
                let p = &*self.parser.as_ptr();
                if p.error != unsafe_libyaml_sys::YAML_SCANNER_ERROR {
                    return None;
                }
                (
                    owned(p.problem.cast())?,
                    p.context_mark.index as usize,
                    p.problem_mark.index as usize,
                    p.context_mark.line,
                )
            };
            if problem != "found unexpected ':'" || self.open.last()?.close == 0 {
                return None;
            }
            if let Some(err) = self.goyaml_question(start, colon, line) {
                return Some(err);
            }
            let scalar = std::str::from_utf8(self.input.get(start..colon)?).ok()?;
            let mut input = self.input[..start].to_vec();
            input.push(b'\'');
            input.extend_from_slice(scalar.replace('\'', "''").as_bytes());
            input.extend_from_slice(b":'");
            input.extend_from_slice(self.input.get(colon + 1..)?);
            self.rewrite = Some(input);
            Some(self.error())
        }
    }

    impl Drop for Parser {
        fn drop(&mut self) {
            // SAFETY: initialized in `new` (also when it failed, libyaml
            // leaves a deletable struct).
            unsafe { unsafe_libyaml_sys::yaml_parser_delete(self.parser.as_mut_ptr()) }
        }
    }
}

/// goyaml.v2's `parser`: builds the node tree of the first document.
struct TreeParser {
    parser: clib::Parser,
    peeked: Option<clib::Event>,
    nodes: Vec<Node>,
    anchors: std::collections::HashMap<String, usize>,
}

/// goyaml.v2's `parser.fail`: `line N: problem`, the line from the
/// problem mark (plus one for scanner errors) or else the context mark.
fn parse_failure(e: &clib::Error) -> String {
    let mut line = 0u64;
    if e.problem_line != 0 {
        line = e.problem_line;
        if e.scanner {
            line += 1;
        }
    } else if e.context_line != 0 {
        line = e.context_line;
    }
    let msg = if e.problem.is_empty() {
        "unknown problem parsing YAML content"
    } else {
        &e.problem
    };
    if line != 0 {
        format!("yaml: line {line}: {msg}")
    } else {
        format!("yaml: {msg}")
    }
}

impl TreeParser {
    fn peek(&mut self) -> Result<&clib::Event, String> {
        if self.peeked.is_none() {
            let ev = self.parser.next().map_err(|e| parse_failure(&e))?;
            self.peeked = Some(ev);
        }
        match &self.peeked {
            Some(ev) => Ok(ev),
            None => Err("yaml: unknown problem parsing YAML content".into()),
        }
    }

    fn next(&mut self) -> Result<clib::Event, String> {
        self.peek()?;
        match self.peeked.take() {
            Some(ev) => Ok(ev),
            None => Err("yaml: unknown problem parsing YAML content".into()),
        }
    }

    fn add(&mut self, kind: Kind) -> usize {
        self.nodes.push(Node {
            kind,
            value: String::new(),
            tag: String::new(),
            implicit: false,
            children: Vec::new(),
            alias: None,
        });
        self.nodes.len() - 1
    }

    fn anchor(&mut self, anchor: Option<String>, id: usize) {
        if let Some(a) = anchor {
            self.anchors.insert(a, id);
        }
    }

    /// `parser.parse`: the next node, or None at the end of the stream.
    fn parse(&mut self, depth: usize) -> Result<Option<usize>, String> {
        grow(|| {
            if depth > 10000 {
                return Err("yaml: exceeded max depth of 10000".into());
            }
            use clib::Event as E;
            let kind = match self.peek()? {
                E::StreamEnd => return Ok(None),
                E::DocumentStart { .. } => 0,
                E::Alias { .. } => 1,
                E::Scalar { .. } => 2,
                E::SequenceStart { .. } => 3,
                E::MappingStart { .. } => 4,
                other => {
                    return Err(format!(
                        "yaml: attempted to parse unknown event: {}",
                        event_name(other)
                    ))
                }
            };
            match kind {
                0 => {
                    if let E::DocumentStart {
                        version: Some((major, minor)),
                        line,
                    } = self.next()?
                    {
                        // libyaml 0.2.5 also takes %YAML 1.2; goyaml.v2 only 1.1.
                        if major != 1 || minor != 1 {
                            return Err(if line != 0 {
                                format!("yaml: line {line}: found incompatible YAML document")
                            } else {
                                "yaml: found incompatible YAML document".into()
                            });
                        }
                    }
                    self.anchors.clear();
                    let child = self.parse(depth + 1)?;
                    match self.next()? {
                        E::DocumentEnd => Ok(child),
                        other => Err(format!(
                            "yaml: expected DOCUMENT_END event but got {}",
                            event_name(&other)
                        )),
                    }
                }
                1 => {
                    let E::Alias { anchor } = self.next()? else {
                        return Err("yaml: internal error".into());
                    };
                    let id = self.add(Kind::Alias);
                    let target = self.anchors.get(&anchor).copied();
                    if target.is_none() {
                        return Err(format!("yaml: unknown anchor '{anchor}' referenced"));
                    }
                    self.nodes[id].value = anchor;
                    self.nodes[id].alias = target;
                    Ok(Some(id))
                }
                2 => {
                    let E::Scalar {
                        anchor,
                        tag,
                        value,
                        plain_implicit,
                        ..
                    } = self.next()?
                    else {
                        return Err("yaml: internal error".into());
                    };
                    let id = self.add(Kind::Scalar);
                    self.nodes[id].value = value;
                    self.nodes[id].tag = tag.unwrap_or_default();
                    self.nodes[id].implicit = plain_implicit;
                    self.anchor(anchor, id);
                    Ok(Some(id))
                }
                3 => {
                    let E::SequenceStart { anchor, .. } = self.next()? else {
                        return Err("yaml: internal error".into());
                    };
                    let id = self.add(Kind::Seq);
                    self.anchor(anchor, id);
                    loop {
                        if matches!(self.peek()?, E::SequenceEnd) {
                            self.next()?;
                            break;
                        }
                        let child = self.parse(depth + 1)?.ok_or_else(past_end)?;
                        self.nodes[id].children.push(child);
                    }
                    Ok(Some(id))
                }
                _ => {
                    let E::MappingStart { anchor, .. } = self.next()? else {
                        return Err("yaml: internal error".into());
                    };
                    let id = self.add(Kind::Map);
                    self.anchor(anchor, id);
                    loop {
                        if matches!(self.peek()?, E::MappingEnd) {
                            self.next()?;
                            break;
                        }
                        let k = self.parse(depth + 1)?.ok_or_else(past_end)?;
                        let v = self.parse(depth + 1)?.ok_or_else(past_end)?;
                        self.nodes[id].children.push(k);
                        self.nodes[id].children.push(v);
                    }
                    Ok(Some(id))
                }
            }
        })
    }
}

fn past_end() -> String {
    "yaml: attempted to go past the end of stream; corrupted value?".into()
}

fn event_name(e: &clib::Event) -> &'static str {
    use clib::Event as E;
    match e {
        E::StreamStart => "STREAM_START",
        E::StreamEnd => "STREAM_END",
        E::DocumentStart { .. } => "DOCUMENT_START",
        E::DocumentEnd => "DOCUMENT_END",
        E::Alias { .. } => "ALIAS",
        E::Scalar { .. } => "SCALAR",
        E::SequenceStart { .. } => "SEQUENCE_START",
        E::SequenceEnd => "SEQUENCE_END",
        E::MappingStart { .. } => "MAPPING_START",
        E::MappingEnd => "MAPPING_END",
    }
}

/// The value sigs.k8s.io/yaml makes of the first document through libyaml's
/// event parser, goyaml.v2's decoder and the JSON step: every input, and
/// every error message (without its `error converting YAML to JSON: `).
fn libyaml_unmarshal(text: &str) -> Result<Value, String> {
    let go = decode_first_document(text)?;
    check_keys(&go)?;
    to_json_value(go)
}

/// goyaml.v2's `unmarshal` of the first document into an `interface{}`.
fn decode_first_document(text: &str) -> Result<GoVal, String> {
    let input: &[u8] = if text.is_empty() {
        b"\n"
    } else {
        text.as_bytes()
    };
    let mut input = input.to_vec();
    // Each rewrite quotes one more scalar that goyaml.v2 reads where
    // libyaml fails (see `clib::Parser::goyaml_colon`).
    loop {
        let mut tp = TreeParser {
            parser: clib::Parser::new(std::mem::take(&mut input)),
            peeked: None,
            nodes: Vec::new(),
            anchors: Default::default(),
        };
        let result = decode_tree(&mut tp);
        match tp.parser.rewrite.take() {
            Some(rewritten) if result.is_err() => input = rewritten,
            _ => return result,
        }
    }
}

/// [`decode_first_document`] on one parser.
fn decode_tree(tp: &mut TreeParser) -> Result<GoVal, String> {
    match tp.next()? {
        clib::Event::StreamStart => {}
        other => {
            return Err(format!(
                "yaml: expected STREAM_START event but got {}",
                event_name(&other)
            ))
        }
    }
    let Some(root) = tp.parse(0)? else {
        return Ok(GoVal::Nil);
    };
    let mut d = Decoder {
        nodes: &tp.nodes,
        aliases: HashSet::new(),
        decode_count: 0,
        alias_count: 0,
        alias_depth: 0,
    };
    d.unmarshal(root)
}

struct Decoder<'a> {
    nodes: &'a [Node],
    aliases: HashSet<usize>,
    decode_count: usize,
    alias_count: usize,
    alias_depth: usize,
}

fn allowed_alias_ratio(decode_count: usize) -> f64 {
    const LOW: usize = 400_000;
    const HIGH: usize = 4_000_000;
    if decode_count <= LOW {
        0.99
    } else if decode_count >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((decode_count - LOW) as f64 / (HIGH - LOW) as f64)
    }
}

impl Decoder<'_> {
    fn count(&mut self) -> Result<(), String> {
        self.decode_count += 1;
        if self.alias_depth > 0 {
            self.alias_count += 1;
        }
        if self.alias_count > 100
            && self.decode_count > 1000
            && self.alias_count as f64 / self.decode_count as f64
                > allowed_alias_ratio(self.decode_count)
        {
            return Err("yaml: document contains excessive aliasing".into());
        }
        Ok(())
    }

    fn unmarshal(&mut self, id: usize) -> Result<GoVal, String> {
        grow(|| {
            self.count()?;
            let n = &self.nodes[id];
            match n.kind {
                Kind::Alias => {
                    let target = n.alias.ok_or_else(|| "yaml: internal error".to_string())?;
                    if self.aliases.contains(&id) {
                        return Err(format!("yaml: anchor '{}' value contains itself", n.value));
                    }
                    self.aliases.insert(id);
                    self.alias_depth += 1;
                    let r = self.unmarshal(target);
                    self.alias_depth -= 1;
                    self.aliases.remove(&id);
                    r
                }
                Kind::Scalar => scalar(n),
                Kind::Seq => {
                    let mut out = Vec::with_capacity(n.children.len());
                    for &c in &n.children {
                        out.push(self.unmarshal(c)?);
                    }
                    Ok(GoVal::Seq(out))
                }
                Kind::Map => {
                    let mut out = Vec::new();
                    self.mapping(id, &mut out)?;
                    Ok(GoVal::Map(out))
                }
            }
        })
    }

    /// Decodes the mapping node `id` into `out` (a fresh map, or the map a
    /// merge key merges into).
    fn mapping(&mut self, id: usize, out: &mut Vec<(GoVal, GoVal)>) -> Result<(), String> {
        let children = &self.nodes[id].children;
        for pair in children.chunks(2) {
            let [k, v] = pair else { continue };
            if is_merge(&self.nodes[*k]) {
                self.merge(*v, out)?;
                continue;
            }
            let key = self.unmarshal(*k)?;
            if matches!(key, GoVal::Map(_) | GoVal::Seq(_)) {
                return Err(format!("yaml: invalid map key: {}", go_syntax(&key)));
            }
            let value = self.unmarshal(*v)?;
            map_set(out, key, value);
        }
        Ok(())
    }

    /// Decodes a node into an existing map (what `d.unmarshal(n, out)` does
    /// when `out` is a map): a mapping or an alias of one.
    fn unmarshal_into(&mut self, id: usize, out: &mut Vec<(GoVal, GoVal)>) -> Result<(), String> {
        grow(|| {
            self.count()?;
            let n = &self.nodes[id];
            match n.kind {
                Kind::Map => self.mapping(id, out),
                Kind::Alias => {
                    let target = n.alias.ok_or_else(|| "yaml: internal error".to_string())?;
                    if self.aliases.contains(&id) {
                        return Err(format!("yaml: anchor '{}' value contains itself", n.value));
                    }
                    self.aliases.insert(id);
                    self.alias_depth += 1;
                    let r = self.unmarshal_into(target, out);
                    self.alias_depth -= 1;
                    self.aliases.remove(&id);
                    r
                }
                _ => Err(want_map()),
            }
        })
    }

    fn merge(&mut self, id: usize, out: &mut Vec<(GoVal, GoVal)>) -> Result<(), String> {
        let n = &self.nodes[id];
        match n.kind {
            Kind::Map => self.unmarshal_into(id, out),
            Kind::Alias => {
                if let Some(t) = n.alias {
                    if self.nodes[t].kind != Kind::Map {
                        return Err(want_map());
                    }
                }
                self.unmarshal_into(id, out)
            }
            Kind::Seq => {
                // Backwards: earlier maps take precedence.
                for &c in n.children.iter().rev() {
                    let cn = &self.nodes[c];
                    match cn.kind {
                        Kind::Alias => {
                            if let Some(t) = cn.alias {
                                if self.nodes[t].kind != Kind::Map {
                                    return Err(want_map());
                                }
                            }
                        }
                        Kind::Map => {}
                        _ => return Err(want_map()),
                    }
                    self.unmarshal_into(c, out)?;
                }
                Ok(())
            }
            Kind::Scalar => Err(want_map()),
        }
    }
}

fn want_map() -> String {
    "yaml: map merge requires map or sequence of maps as the value".into()
}

fn is_merge(n: &Node) -> bool {
    n.kind == Kind::Scalar && n.value == "<<" && (n.implicit || n.tag == MERGE_TAG)
}

/// goyaml.v2's `decoder.scalar` into an `interface{}`.
fn scalar(n: &Node) -> Result<GoVal, String> {
    if n.tag.is_empty() && !n.implicit {
        return Ok(GoVal::Str(n.value.clone()));
    }
    let (tag, resolved) = resolve(&n.tag, &n.value)?;
    if tag == BINARY_TAG {
        let GoVal::Str(s) = &resolved else {
            return Ok(resolved);
        };
        let data = base64_decode(s)
            .ok_or_else(|| "yaml: !!binary value contains invalid base64 data".to_string())?;
        return Ok(GoVal::Str(go_lossy_utf8(&data)));
    }
    if tag == TIMESTAMP_TAG {
        // Timestamps stay strings in an interface{} (goyaml.v2 keeps them
        // so for compatibility).
        return Ok(GoVal::Str(n.value.clone()));
    }
    Ok(resolved)
}

/// How `encoding/json` writes a string holding invalid UTF-8: each bad byte
/// becomes U+FFFD.
fn go_lossy_utf8(data: &[u8]) -> String {
    let mut out = String::new();
    let mut rest = data;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                break;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                out.push('\u{FFFD}');
                rest = &bad[1..];
            }
        }
    }
    out
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    // base64.StdEncoding.DecodeString: padding required, no whitespace
    // except that Go skips \r and \n.
    let bytes: Vec<u8> = s.bytes().filter(|&b| b != b'\n' && b != b'\r').collect();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::new();
    let chunks = bytes.len() / 4;
    for (i, chunk) in bytes.chunks(4).enumerate() {
        let last = i + 1 == chunks;
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for (j, &c) in chunk.iter().enumerate() {
            let v = if j >= 4 - pad { 0 } else { val(c)? };
            n = (n << 6) | v;
        }
        out.push((n >> 16) as u8);
        if pad < 2 {
            out.push((n >> 8) as u8);
        }
        if pad < 1 {
            out.push(n as u8);
        }
    }
    Some(out)
}

/// Go's `%#v` of a decoded YAML value (goyaml's and sigs.k8s.io's
/// messages print keys and values so).
fn go_syntax(v: &GoVal) -> String {
    grow(|| match v {
        GoVal::Nil => "<nil>".into(),
        GoVal::Bool(b) => b.to_string(),
        GoVal::Int(i) => i.to_string(),
        GoVal::Uint(u) => format!("0x{u:x}"),
        GoVal::Float(f) => format_float_g(*f),
        GoVal::Str(s) => super::gofmt::quote(s),
        GoVal::Seq(items) => {
            let parts: Vec<String> = items.iter().map(go_syntax).collect();
            format!("[]interface {{}}{{{}}}", parts.join(", "))
        }
        GoVal::Map(pairs) => {
            let mut parts: Vec<(String, String)> = pairs
                .iter()
                .map(|(k, v)| (go_syntax(k), go_syntax(v)))
                .collect();
            parts.sort();
            let parts: Vec<String> = parts.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
            format!("map[interface {{}}]interface {{}}{{{}}}", parts.join(", "))
        }
    })
}

/// sigs.k8s.io's `convertToJSONableObject` key check: keys must be
/// strings, ints, floats or bools.
fn check_keys(v: &GoVal) -> Result<(), String> {
    grow(|| match v {
        GoVal::Seq(items) => items.iter().try_for_each(check_keys),
        GoVal::Map(pairs) => {
            for (k, val) in pairs {
                match k {
                    GoVal::Str(_) | GoVal::Int(_) | GoVal::Float(_) | GoVal::Bool(_) => {}
                    GoVal::Nil => {
                        return Err(format!(
                            "unsupported map key of type: %!s(<nil>), key: <nil>, value: {}",
                            go_syntax(val)
                        ))
                    }
                    other => {
                        let ty = match other {
                            GoVal::Uint(_) => "uint64",
                            _ => "interface {}",
                        };
                        return Err(format!(
                            "unsupported map key of type: {ty}, key: {}, value: {}",
                            go_syntax(other),
                            go_syntax(val)
                        ));
                    }
                }
                check_keys(val)?;
            }
            Ok(())
        }
        _ => Ok(()),
    })
}

/// The string sigs.k8s.io makes of a non-string key.
fn key_string(k: &GoVal) -> String {
    match k {
        GoVal::Str(s) => s.clone(),
        GoVal::Int(i) => i.to_string(),
        GoVal::Uint(u) => u.to_string(),
        GoVal::Bool(b) => b.to_string(),
        GoVal::Float(f) => {
            if f.is_nan() {
                ".nan".into()
            } else if f.is_infinite() {
                if *f > 0.0 { ".inf" } else { "-.inf" }.into()
            } else {
                format_float32_g(*f as f32)
            }
        }
        _ => String::new(),
    }
}

/// `strconv.FormatFloat(float64(x), 'g', -1, 32)`: the shortest digits
/// that read back as the float32 `x`, in `e` form when the decimal exponent
/// is below -4 or at least 6 (as for float64).
fn format_float32_g(x: f32) -> String {
    super::gofmt::format_float(f64::from(x), b'g', -1, 32)
}

/// The value `encoding/json` decodes from the JSON sigs.k8s.io wrote for
/// `v`: numbers become `float64`, keys strings (last one wins when two keys
/// make the same string).
fn to_json_value(v: GoVal) -> Result<Value, String> {
    let value = json_value(v);
    if let Some(f) = first_non_finite(&value) {
        return Err(match super::json::format_float(f) {
            Err(e) => e.0,
            Ok(_) => String::new(),
        });
    }
    Ok(value)
}

fn json_value(v: GoVal) -> Value {
    grow(|| match v {
        GoVal::Nil => Value::Nil,
        GoVal::Bool(b) => Value::Bool(b),
        GoVal::Int(i) => Value::Float(i as f64),
        GoVal::Uint(u) => Value::Float(u as f64),
        GoVal::Float(f) => Value::Float(f),
        GoVal::Str(s) => Value::String(s.into()),
        GoVal::Seq(items) => Value::list(items.into_iter().map(json_value).collect()),
        GoVal::Map(pairs) => {
            let mut m: BTreeMap<Str, Value> = BTreeMap::new();
            for (k, v) in pairs {
                m.insert(key_string(&k).into(), json_value(v));
            }
            Value::map(m)
        }
    })
}

/// The first NaN or infinity `json.Marshal` meets (keys in sorted order).
fn first_non_finite(v: &Value) -> Option<f64> {
    grow(|| match v {
        Value::Float(f) if !f.is_finite() => Some(*f),
        Value::List(l) => l.items.iter().find_map(first_non_finite),
        Value::Map(m) => m.entries().iter().find_map(|(_, v)| first_non_finite(v)),
        _ => None,
    })
}

// ---------------------------------------------------------------------------
// YAML 1.1 resolution (goyaml.v2's resolve.go).

/// goyaml.v2's `resolve(tag, in)`: the resolved tag and value. A tag it
/// cannot resolve (`!custom`, `!!map` on a scalar, `!!binary`) comes back
/// as it is, with the string.
fn resolve<'t>(tag: &'t str, input: &str) -> Result<(&'t str, GoVal), String> {
    let resolvable = matches!(
        tag,
        "" | STR_TAG | BOOL_TAG | INT_TAG | FLOAT_TAG | NULL_TAG | TIMESTAMP_TAG
    );
    if !resolvable {
        return Ok((tag, GoVal::Str(input.to_string())));
    }
    let (rtag, out) = resolve_plain(tag, input);
    // The deferred check: an explicit tag must match what was resolved.
    match tag {
        "" | STR_TAG | BINARY_TAG => return Ok((rtag, out)),
        t if t == rtag => return Ok((rtag, out)),
        FLOAT_TAG if rtag == INT_TAG => {
            if let GoVal::Int(i) = out {
                return Ok((FLOAT_TAG, GoVal::Float(i as f64)));
            }
        }
        _ => {}
    }
    Err(format!(
        "yaml: cannot decode {} `{}` as a {}",
        short_tag(rtag),
        input,
        short_tag(tag)
    ))
}

/// goyaml.v2's resolve table for a plain scalar's first byte: 0 when it
/// can only be a string.
fn resolve_hint(input: &str) -> u8 {
    match input.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => 0,
    }
}

fn resolve_plain(tag: &str, input: &str) -> (&'static str, GoVal) {
    let hint = resolve_hint(input);
    if hint != 0 && tag != STR_TAG && tag != BINARY_TAG {
        if let Some(r) = resolve_map(input) {
            return r;
        }
        match hint {
            b'.' => {
                if let Some(f) = go_parse_float(input) {
                    return (FLOAT_TAG, GoVal::Float(f));
                }
            }
            b'D' | b'S' => {
                if (tag.is_empty() || tag == TIMESTAMP_TAG) && is_timestamp(input) {
                    return (TIMESTAMP_TAG, GoVal::Str(input.to_string()));
                }
                let plain: String = input.chars().filter(|&c| c != '_').collect();
                if let Some(i) = go_parse_int(&plain) {
                    return (INT_TAG, GoVal::Int(i));
                }
                if let Some(u) = go_parse_uint(&plain) {
                    return (INT_TAG, GoVal::Uint(u));
                }
                if yaml_style_float(&plain) {
                    if let Some(f) = go_parse_float(&plain) {
                        return (FLOAT_TAG, GoVal::Float(f));
                    }
                }
                if let Some(rest) = plain.strip_prefix("0b") {
                    if let Some(i) = parse_radix_i64(rest, 2, false) {
                        return (INT_TAG, GoVal::Int(i));
                    }
                    if let Some(u) = parse_radix_u64(rest, 2) {
                        return (INT_TAG, GoVal::Uint(u));
                    }
                } else if let Some(rest) = plain.strip_prefix("-0b") {
                    if let Some(i) = parse_radix_i64(rest, 2, true) {
                        return (INT_TAG, GoVal::Int(i));
                    }
                }
            }
            _ => {}
        }
    }
    (STR_TAG, GoVal::Str(input.to_string()))
}

fn resolve_map(s: &str) -> Option<(&'static str, GoVal)> {
    Some(match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            (BOOL_TAG, GoVal::Bool(true))
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            (BOOL_TAG, GoVal::Bool(false))
        }
        "" | "~" | "null" | "Null" | "NULL" => (NULL_TAG, GoVal::Nil),
        ".nan" | ".NaN" | ".NAN" => (FLOAT_TAG, GoVal::Float(f64::NAN)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            (FLOAT_TAG, GoVal::Float(f64::INFINITY))
        }
        "-.inf" | "-.Inf" | "-.INF" => (FLOAT_TAG, GoVal::Float(f64::NEG_INFINITY)),
        "<<" => (MERGE_TAG, GoVal::Str("<<".into())),
        _ => return None,
    })
}

/// Whether a plain string resolves to something other than a string in
/// YAML 1.1 (goyaml.v2 `resolve("", s)` is not `!!str`) or looks like a
/// base 60 float: then the encoders quote it.
fn needs_quotes(s: &str) -> bool {
    let (rtag, _) = resolve_plain("", s);
    rtag != STR_TAG || is_base60_float(s)
}

fn digit_value(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'a'..=b'z' => Some(u32::from(c - b'a') + 10),
        b'A'..=b'Z' => Some(u32::from(c - b'A') + 10),
        _ => None,
    }
}

fn parse_radix_u64(s: &str, radix: u32) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for c in s.bytes() {
        let d = digit_value(c).filter(|&d| d < radix)?;
        n = n.checked_mul(u64::from(radix))?.checked_add(u64::from(d))?;
    }
    Some(n)
}

fn parse_radix_i64(s: &str, radix: u32, negative: bool) -> Option<i64> {
    let u = parse_radix_u64(s, radix)?;
    if negative {
        if u > 1u64 << 63 {
            None
        } else {
            Some((u as i64).wrapping_neg())
        }
    } else if u > i64::MAX as u64 {
        None
    } else {
        Some(u as i64)
    }
}

/// `strconv.ParseUint(s, 0, 64)` (underscores already removed).
fn go_parse_uint(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() >= 2 && b[0] == b'0' {
        match b[1] {
            b'x' | b'X' => return parse_radix_u64(&s[2..], 16),
            b'b' | b'B' => return parse_radix_u64(&s[2..], 2),
            b'o' | b'O' => return parse_radix_u64(&s[2..], 8),
            _ => return parse_radix_u64(&s[1..], 8),
        }
    }
    parse_radix_u64(s, 10)
}

/// `strconv.ParseInt(s, 0, 64)` (underscores already removed).
fn go_parse_int(s: &str) -> Option<i64> {
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let u = go_parse_uint(body)?;
    if negative {
        if u > 1u64 << 63 {
            None
        } else {
            Some((u as i64).wrapping_neg())
        }
    } else if u > i64::MAX as u64 {
        None
    } else {
        Some(u as i64)
    }
}

/// `strconv.ParseFloat(s, 64)` for decimal input (with Go's underscore
/// rule); None on a syntax error or overflow.
fn go_parse_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    let body = &s[i..];
    let lower = body.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Some(if b[0] == b'-' {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if lower == "nan" {
        return Some(f64::NAN);
    }
    // Mantissa.
    let mut saw_digits = false;
    let mut saw_dot = false;
    let mut j = i;
    while j < b.len() {
        match b[j] {
            b'0'..=b'9' => saw_digits = true,
            b'_' => {}
            b'.' if !saw_dot => saw_dot = true,
            _ => break,
        }
        j += 1;
    }
    if !saw_digits {
        return None;
    }
    if j < b.len() && (b[j] == b'e' || b[j] == b'E') {
        j += 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        if j >= b.len() || !b[j].is_ascii_digit() {
            return None;
        }
        while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'_') {
            j += 1;
        }
    }
    if j != b.len() {
        return None;
    }
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let clean: String = s.chars().filter(|&c| c != '_').collect();
    let f: f64 = clean.parse().ok()?;
    if f.is_infinite() {
        return None;
    }
    Some(f)
}

/// strconv's `underscoreOK` (decimal numbers).
fn underscore_ok(s: &str) -> bool {
    let mut b = s.as_bytes();
    if matches!(b.first(), Some(b'+' | b'-')) {
        b = &b[1..];
    }
    let mut saw = b'^';
    for &c in b {
        if c.is_ascii_digit() {
            saw = b'0';
            continue;
        }
        if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
            continue;
        }
        if saw == b'_' {
            return false;
        }
        saw = b'!';
    }
    saw != b'_'
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(&c) = b.first() else { return false };
    if !(c == b'+' || c == b'-' || c.is_ascii_digit()) || !s.contains(':') {
        return false;
    }
    let mut i = 0;
    if c == b'+' || c == b'-' {
        i += 1;
    }
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    i += 1;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        // [0-5]?[0-9]
        match (b.get(i), b.get(i + 1)) {
            (Some(d1 @ b'0'..=b'5'), Some(d2)) if d2.is_ascii_digit() => {
                let _ = d1;
                i += 2;
            }
            (Some(d), _) if d.is_ascii_digit() => i += 1,
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// goyaml's `parseTimestamp`: whether `s` parses with one of the layouts
/// `2006-1-2T15:4:5.999999999Z07:00` (also with `t`),
/// `2006-1-2 15:4:5.999999999` or `2006-1-2`, by Go's `time.Parse` rules.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits != 4 || b.len() == 4 || b[4] != b'-' {
        return false;
    }
    timestamp_layout(b, Layout::T(b'T'))
        || timestamp_layout(b, Layout::T(b't'))
        || timestamp_layout(b, Layout::Space)
        || timestamp_layout(b, Layout::Date)
}

#[derive(Clone, Copy)]
enum Layout {
    T(u8),
    Space,
    Date,
}

fn timestamp_layout(b: &[u8], layout: Layout) -> bool {
    // getnum(value, false): one or two digits.
    fn num(b: &[u8], i: &mut usize) -> Option<u32> {
        let d1 = *b.get(*i).filter(|c| c.is_ascii_digit())?;
        *i += 1;
        match b.get(*i) {
            Some(d2) if d2.is_ascii_digit() => {
                *i += 1;
                Some(u32::from(d1 - b'0') * 10 + u32::from(d2 - b'0'))
            }
            _ => Some(u32::from(d1 - b'0')),
        }
    }
    let lit = |b: &[u8], i: &mut usize, c: u8| -> bool {
        if b.get(*i) == Some(&c) {
            *i += 1;
            true
        } else {
            false
        }
    };
    let year: u32 = std::str::from_utf8(&b[..4])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut i = 4;
    if !lit(b, &mut i, b'-') {
        return false;
    }
    let Some(month) = num(b, &mut i) else {
        return false;
    };
    if !(1..=12).contains(&month) || !lit(b, &mut i, b'-') {
        return false;
    }
    let Some(day) = num(b, &mut i) else {
        return false;
    };
    match layout {
        Layout::Date => {}
        Layout::T(sep) => {
            if !lit(b, &mut i, sep) || !clock(b, &mut i, num) {
                return false;
            }
            // Z07:00
            if lit(b, &mut i, b'Z') {
            } else {
                if b.len() < i + 6 || b[i + 3] != b':' {
                    return false;
                }
                if b[i] != b'+' && b[i] != b'-' {
                    return false;
                }
                let two = |x: &[u8]| {
                    x.iter()
                        .all(u8::is_ascii_digit)
                        .then(|| u32::from(x[0] - b'0') * 10 + u32::from(x[1] - b'0'))
                };
                let (Some(h), Some(m)) = (two(&b[i + 1..i + 3]), two(&b[i + 4..i + 6])) else {
                    return false;
                };
                if h > 24 || m > 60 {
                    return false;
                }
                i += 6;
            }
        }
        Layout::Space => {
            // A space in the layout matches one or more spaces.
            if b.get(i) != Some(&b' ') {
                return false;
            }
            while b.get(i) == Some(&b' ') {
                i += 1;
            }
            if !clock(b, &mut i, num) {
                return false;
            }
        }
    }
    if i != b.len() {
        return false;
    }
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (1..=days).contains(&day)
}

/// `15:4:5` and an optional `.999999999` fraction.
fn clock(b: &[u8], i: &mut usize, num: fn(&[u8], &mut usize) -> Option<u32>) -> bool {
    let Some(h) = num(b, i) else { return false };
    if h >= 24 || b.get(*i) != Some(&b':') {
        return false;
    }
    *i += 1;
    let Some(m) = num(b, i) else { return false };
    if m >= 60 || b.get(*i) != Some(&b':') {
        return false;
    }
    *i += 1;
    let Some(s) = num(b, i) else { return false };
    if s >= 60 {
        return false;
    }
    if matches!(b.get(*i), Some(b'.' | b',')) && b.get(*i + 1).is_some_and(u8::is_ascii_digit) {
        *i += 1;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
    }
    true
}

// ---------------------------------------------------------------------------
// Encoding.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

#[derive(Clone, Debug)]
enum Ev {
    StreamStart,
    DocStart,
    DocEnd,
    MapStart,
    MapEnd,
    SeqStart,
    SeqEnd,
    Scalar(String, Style),
}

/// `sigs.k8s.io/yaml.Marshal(v)`: the YAML text (ending in a newline), or
/// the error (`error marshaling into JSON: json: unsupported value: NaN`,
/// or goyaml's when it cannot read the JSON back, such as `yaml: control
/// characters are not allowed` for a DEL in a string).
///
/// As in Go, the value goes through JSON text and goyaml's reader, so
/// numbers resolve from their JSON spelling and a raw U+0085 in a string
/// is folded as a YAML line break.
pub fn to_string(value: &Value) -> Result<String, YamlError> {
    let go = match direct_go_val(value, 0) {
        Some(go) => go,
        None => {
            let json = super::json::marshal(value)
                .map_err(|e| YamlError(format!("error marshaling into JSON: {}", e.0)))?;
            decode_first_document(&json).map_err(YamlError)?
        }
    };
    let mut evs = vec![Ev::StreamStart, Ev::DocStart];
    go_events(&go, &mut evs);
    evs.push(Ev::DocEnd);
    Ok(emit(&evs, false, 2))
}

/// What reading `json.Marshal(value)` back with goyaml.v2 gives, built
/// without the text when that is certain to be the same: plain data whose
/// strings have no character the YAML reader treats specially (C1 controls
/// and DEL are refused, NEL/LS/PS fold, BOMs). `None` sends the value the
/// long way (objects, non-finite floats, deep nesting, such strings), which
/// also produces Go's errors.
fn direct_go_val(v: &Value, depth: usize) -> Option<GoVal> {
    if depth > 1000 {
        return None;
    }
    Some(match v {
        Value::Nil => GoVal::Nil,
        Value::Bool(b) => GoVal::Bool(*b),
        Value::Int(i) | Value::Int64(i) => GoVal::Int(*i),
        Value::Uint64(u) => match i64::try_from(*u) {
            Ok(i) => GoVal::Int(i),
            Err(_) => GoVal::Uint(*u),
        },
        Value::Float(f) => {
            // JSON writes 1e6 as 1000000, which YAML then reads as an int.
            let text = super::json::format_float(*f).ok()?;
            resolve_plain("", &text).1
        }
        Value::String(s) => {
            if !s.chars().all(plain_char) {
                return None;
            }
            GoVal::Str(s.to_string())
        }
        // Bytes that are not UTF-8 take JSON's way (each one a U+FFFD).
        Value::Bytes(_) | Value::Binary(_) | Value::Object(_) => return None,
        Value::List(l) if l.nil => GoVal::Nil,
        Value::Map(m) if m.is_nil() => GoVal::Nil,
        Value::List(l) => GoVal::Seq(
            l.items
                .iter()
                .map(|item| direct_go_val(item, depth + 1))
                .collect::<Option<Vec<_>>>()?,
        ),
        Value::Map(m) => {
            let entries = m.entries();
            let mut pairs = Vec::with_capacity(entries.len());
            for (k, item) in &entries {
                if !k.chars().all(plain_char) {
                    return None;
                }
                pairs.push((GoVal::Str(k.to_string()), direct_go_val(item, depth + 1)?));
            }
            GoVal::Map(pairs)
        }
    })
}

/// A character that survives JSON text and the YAML reader unchanged.
fn plain_char(c: char) -> bool {
    let u = c as u32;
    !(u == 0x7F
        || (0x80..=0x9F).contains(&u)
        || matches!(u, 0x2028 | 0x2029 | 0xFEFF | 0xFFFE | 0xFFFF))
}

/// The events goyaml.v2's encoder emits for a decoded value.
fn go_events(v: &GoVal, evs: &mut Vec<Ev>) {
    grow(|| match v {
        GoVal::Nil => evs.push(Ev::Scalar("null".into(), Style::Plain)),
        GoVal::Bool(b) => evs.push(Ev::Scalar(b.to_string(), Style::Plain)),
        GoVal::Int(i) => evs.push(Ev::Scalar(i.to_string(), Style::Plain)),
        GoVal::Uint(u) => evs.push(Ev::Scalar(u.to_string(), Style::Plain)),
        GoVal::Float(f) => evs.push(Ev::Scalar(float_text(*f), Style::Plain)),
        GoVal::Str(s) => evs.push(string_event(s, false)),
        GoVal::Seq(items) => {
            evs.push(Ev::SeqStart);
            for item in items {
                go_events(item, evs);
            }
            evs.push(Ev::SeqEnd);
        }
        GoVal::Map(pairs) => {
            let mut sorted: Vec<&(GoVal, GoVal)> = pairs.iter().collect();
            sorted.sort_by(|a, b| match (&a.0, &b.0) {
                (GoVal::Str(x), GoVal::Str(y)) => key_order(x, y, false),
                _ => std::cmp::Ordering::Equal,
            });
            evs.push(Ev::MapStart);
            for (k, item) in sorted {
                go_events(k, evs);
                go_events(item, evs);
            }
            evs.push(Ev::MapEnd);
        }
    })
}

/// goyaml.v3's `Encoder` with `SetIndent(indent)` encoding `v` (Helm's
/// `toYamlPretty` uses 2), before `Close`.
pub fn to_string_v3(value: &Value, indent: usize) -> Result<String, YamlError> {
    let mut evs = vec![Ev::StreamStart, Ev::DocStart];
    v3_events(value, &mut evs, 0)?;
    evs.push(Ev::DocEnd);
    Ok(emit(&evs, true, indent as i32))
}

fn too_deep() -> YamlError {
    YamlError("yaml: value nested too deeply".into())
}

/// The events goyaml.v3 emits for `v` itself.
fn v3_events(v: &Value, evs: &mut Vec<Ev>, depth: usize) -> Result<(), YamlError> {
    grow(|| {
        if depth > 1000 {
            return Err(too_deep());
        }
        match v {
            Value::Nil => evs.push(Ev::Scalar("null".into(), Style::Plain)),
            Value::Bool(b) => evs.push(Ev::Scalar(b.to_string(), Style::Plain)),
            Value::Int(i) | Value::Int64(i) => evs.push(Ev::Scalar(i.to_string(), Style::Plain)),
            Value::Uint64(u) => evs.push(Ev::Scalar(u.to_string(), Style::Plain)),
            Value::Float(f) => evs.push(Ev::Scalar(float_text(*f), Style::Plain)),
            Value::String(s) => evs.push(string_event(s, true)),
            // goyaml.v3 would write `!!binary` and base64; not modelled.
            Value::Binary(b) => evs.push(string_event(&super::value::go_lossy(b), true)),
            Value::Bytes(b) => {
                evs.push(Ev::SeqStart);
                for byte in b.iter() {
                    evs.push(Ev::Scalar(byte.to_string(), Style::Plain));
                }
                evs.push(Ev::SeqEnd);
            }
            Value::List(l) => {
                evs.push(Ev::SeqStart);
                for item in l.items.iter() {
                    v3_events(item, evs, depth + 1)?;
                }
                evs.push(Ev::SeqEnd);
            }
            Value::Map(m) => {
                let mut entries = m.entries();
                entries.sort_by(|a, b| key_order(&a.0, &b.0, true));
                evs.push(Ev::MapStart);
                for (k, item) in entries {
                    evs.push(string_event(&k, true));
                    v3_events(&item, evs, depth + 1)?;
                }
                evs.push(Ev::MapEnd);
            }
            Value::Object(o) => v3_events(&o.to_data(), evs, depth + 1)?,
        }
        Ok(())
    })
}

/// goyaml's `floatv`: `strconv.FormatFloat(f, 'g', -1, 64)`, `.inf`...
fn float_text(f: f64) -> String {
    if f.is_nan() {
        ".nan".into()
    } else if f == f64::INFINITY {
        ".inf".into()
    } else if f == f64::NEG_INFINITY {
        "-.inf".into()
    } else {
        format_float_g(f)
    }
}

/// goyaml's `stringv` (no tag): literal for multi-line, plain when it reads
/// back as the same string, else double-quoted.
fn string_event(s: &str, _v3: bool) -> Ev {
    let style = if s.contains('\n') {
        Style::Literal
    } else if !needs_quotes(s) {
        Style::Plain
    } else {
        Style::DoubleQuoted
    };
    Ev::Scalar(s.to_string(), style)
}

fn is_letter(c: char) -> bool {
    c.is_alphabetic()
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}

/// goyaml's `keyList.Less` for two string keys (v3 differs after a shared
/// digit).
fn key_order(a: &str, b: &str, v3: bool) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let less = |a: &str, b: &str| -> bool {
        let ar: Vec<char> = a.chars().collect();
        let br: Vec<char> = b.chars().collect();
        let mut digits = false;
        let mut i = 0;
        while i < ar.len() && i < br.len() {
            if ar[i] == br[i] {
                digits = is_digit(ar[i]);
                i += 1;
                continue;
            }
            let al = is_letter(ar[i]);
            let bl = is_letter(br[i]);
            if al && bl {
                return ar[i] < br[i];
            }
            if al || bl {
                return if v3 && digits { al } else { bl };
            }
            let mut an: i64 = 0;
            let mut bn: i64 = 0;
            if ar[i] == '0' || br[i] == '0' {
                let mut j = i;
                while j > 0 && is_digit(ar[j - 1]) {
                    j -= 1;
                    if ar[j] != '0' {
                        an = 1;
                        bn = 1;
                        break;
                    }
                }
            }
            let mut ai = i;
            while ai < ar.len() && is_digit(ar[ai]) {
                an = an.wrapping_mul(10).wrapping_add(ar[ai] as i64 - '0' as i64);
                ai += 1;
            }
            let mut bi = i;
            while bi < br.len() && is_digit(br[bi]) {
                bn = bn.wrapping_mul(10).wrapping_add(br[bi] as i64 - '0' as i64);
                bi += 1;
            }
            if an != bn {
                return an < bn;
            }
            if ai != bi {
                return ai < bi;
            }
            return ar[i] < br[i];
        }
        ar.len() < br.len()
    };
    if less(a, b) {
        Ordering::Less
    } else if less(b, a) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

// ---------------------------------------------------------------------------
// libyaml's emitter (goyaml.v2's emitterc.go, with goyaml.v3's changes
// where `v3`), for the events the encoders above produce.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    StreamStart,
    FirstDocumentStart,
    DocumentStart,
    DocumentContent,
    DocumentEnd,
    FlowSequenceFirstItem,
    FlowSequenceItem,
    FlowMappingFirstKey,
    FlowMappingKey,
    FlowMappingSimpleValue,
    FlowMappingValue,
    BlockSequenceFirstItem,
    BlockSequenceItem,
    BlockMappingFirstKey,
    BlockMappingKey,
    BlockMappingSimpleValue,
    BlockMappingValue,
    End,
}

#[derive(Default)]
struct ScalarData {
    value: Vec<u8>,
    multiline: bool,
    flow_plain_allowed: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
    style: Option<Style>,
}

struct Emitter<'a> {
    v3: bool,
    out: Vec<u8>,
    events: &'a [Ev],
    head: usize,
    best_indent: i32,
    best_width: i32,
    state: State,
    states: Vec<State>,
    indent: i32,
    indents: Vec<i32>,
    flow_level: i32,
    root_context: bool,
    sequence_context: bool,
    mapping_context: bool,
    simple_key_context: bool,
    column: i32,
    whitespace: bool,
    indention: bool,
    open_ended: bool,
    scalar: ScalarData,
}

fn emit(events: &[Ev], v3: bool, indent: i32) -> String {
    let mut e = Emitter {
        v3,
        out: Vec::new(),
        events,
        head: 0,
        best_indent: indent,
        best_width: if v3 { -1 } else { 0 },
        state: State::StreamStart,
        states: Vec::new(),
        indent: -1,
        indents: Vec::new(),
        flow_level: 0,
        root_context: false,
        sequence_context: false,
        mapping_context: false,
        simple_key_context: false,
        column: 0,
        whitespace: true,
        indention: true,
        open_ended: false,
        scalar: ScalarData::default(),
    };
    while e.head < events.len() {
        e.analyze_event();
        e.state_machine();
        e.head += 1;
    }
    String::from_utf8(e.out).unwrap_or_default()
}

fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

fn width(b: u8) -> usize {
    if b & 0x80 == 0 {
        1
    } else if b & 0xE0 == 0xC0 {
        2
    } else if b & 0xF0 == 0xE0 {
        3
    } else if b & 0xF8 == 0xF0 {
        4
    } else {
        1
    }
}

fn is_space(b: &[u8], i: usize) -> bool {
    at(b, i) == b' '
}

fn is_blank(b: &[u8], i: usize) -> bool {
    matches!(at(b, i), b' ' | b'\t')
}

fn is_break(b: &[u8], i: usize) -> bool {
    let c = at(b, i);
    c == b'\r'
        || c == b'\n'
        || (c == 0xC2 && at(b, i + 1) == 0x85)
        || (c == 0xE2 && at(b, i + 1) == 0x80 && (at(b, i + 2) == 0xA8 || at(b, i + 2) == 0xA9))
}

fn is_blankz(b: &[u8], i: usize) -> bool {
    is_blank(b, i) || is_break(b, i) || i >= b.len() || at(b, i) == 0
}

fn is_printable(b: &[u8], i: usize) -> bool {
    let c = at(b, i);
    let c1 = at(b, i + 1);
    let c2 = at(b, i + 2);
    c == 0x0A
        || (0x20..=0x7E).contains(&c)
        || (c == 0xC2 && c1 >= 0xA0)
        || (c > 0xC2 && c < 0xED)
        || (c == 0xED && c1 < 0xA0)
        || c == 0xEE
        || (c == 0xEF && !(c1 == 0xBB && c2 == 0xBF) && !(c1 == 0xBF && (c2 == 0xBE || c2 == 0xBF)))
}

/// goyaml's `is_bom`, which looks at the start of the value whatever `i`.
fn is_bom(b: &[u8]) -> bool {
    at(b, 0) == 0xEF && at(b, 1) == 0xBB && at(b, 2) == 0xBF
}

impl Emitter<'_> {
    fn event(&self) -> &Ev {
        &self.events[self.head]
    }

    fn next_event(&self, k: usize) -> Option<&Ev> {
        self.events.get(self.head + k)
    }

    fn put(&mut self, c: u8) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push(b'\n');
        self.column = 0;
        if self.v3 {
            self.indention = true;
        }
    }

    /// Copies one character of `s` at `*i`.
    fn write(&mut self, s: &[u8], i: &mut usize) {
        let w = width(s[*i]).min(s.len() - *i);
        self.out.extend_from_slice(&s[*i..*i + w]);
        self.column += 1;
        *i += w;
    }

    fn write_all(&mut self, s: &[u8]) {
        let mut i = 0;
        while i < s.len() {
            self.write(s, &mut i);
        }
    }

    fn write_break(&mut self, s: &[u8], i: &mut usize) {
        if s[*i] == b'\n' {
            self.put_break();
            *i += 1;
        } else {
            self.write(s, i);
            self.column = 0;
            if self.v3 {
                self.indention = true;
            }
        }
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { self.best_indent } else { 0 };
        } else if !indentless {
            if self.v3 {
                if self.states.last() == Some(&State::BlockSequenceItem) {
                    self.indent += 2;
                } else {
                    self.indent =
                        self.best_indent * ((self.indent + self.best_indent) / self.best_indent);
                }
            } else {
                self.indent += self.best_indent;
            }
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn pop_state(&mut self) {
        self.state = self.states.pop().unwrap_or(State::End);
    }

    fn state_machine(&mut self) {
        match self.state {
            State::StreamStart => self.emit_stream_start(),
            State::FirstDocumentStart | State::DocumentStart => self.emit_document_start(),
            State::DocumentContent => {
                self.states.push(State::DocumentEnd);
                self.emit_node(true, false, false, false);
            }
            State::DocumentEnd => self.emit_document_end(),
            State::FlowSequenceFirstItem => self.emit_flow_sequence_item(true),
            State::FlowSequenceItem => self.emit_flow_sequence_item(false),
            State::FlowMappingFirstKey => self.emit_flow_mapping_key(true),
            State::FlowMappingKey => self.emit_flow_mapping_key(false),
            State::FlowMappingSimpleValue => self.emit_flow_mapping_value(true),
            State::FlowMappingValue => self.emit_flow_mapping_value(false),
            State::BlockSequenceFirstItem => self.emit_block_sequence_item(true),
            State::BlockSequenceItem => self.emit_block_sequence_item(false),
            State::BlockMappingFirstKey => self.emit_block_mapping_key(true),
            State::BlockMappingKey => self.emit_block_mapping_key(false),
            State::BlockMappingSimpleValue => self.emit_block_mapping_value(true),
            State::BlockMappingValue => self.emit_block_mapping_value(false),
            State::End => {}
        }
    }

    fn emit_stream_start(&mut self) {
        if self.best_indent < 2 || self.best_indent > 9 {
            self.best_indent = 2;
        }
        if self.best_width >= 0 && self.best_width <= self.best_indent * 2 {
            self.best_width = 80;
        }
        if self.best_width < 0 {
            self.best_width = i32::MAX;
        }
        self.indent = -1;
        self.column = 0;
        self.whitespace = true;
        self.indention = true;
        self.state = State::FirstDocumentStart;
    }

    fn emit_document_start(&mut self) {
        // Implicit documents only: nothing is written.
        if matches!(self.event(), Ev::DocStart) {
            self.state = State::DocumentContent;
        } else {
            self.state = State::End;
        }
    }

    fn emit_document_end(&mut self) {
        self.write_indent();
        self.state = State::DocumentStart;
    }

    fn emit_flow_sequence_item(&mut self, first: bool) {
        if first {
            self.write_indicator(b"[", true, true, false);
            self.increase_indent(true, false);
            self.flow_level += 1;
        }
        if matches!(self.event(), Ev::SeqEnd) {
            self.flow_level -= 1;
            self.pop_indent();
            if self.v3 && self.column == 0 {
                self.write_indent();
            }
            self.write_indicator(b"]", false, false, false);
            self.pop_state();
            return;
        }
        if !first {
            self.write_indicator(b",", false, false, false);
        }
        if self.v3 && self.column == 0 {
            self.write_indent();
        }
        if self.column > self.best_width {
            self.write_indent();
        }
        self.states.push(State::FlowSequenceItem);
        self.emit_node(false, true, false, false);
    }

    fn emit_flow_mapping_key(&mut self, first: bool) {
        if first {
            self.write_indicator(b"{", true, true, false);
            self.increase_indent(true, false);
            self.flow_level += 1;
        }
        if matches!(self.event(), Ev::MapEnd) {
            self.flow_level -= 1;
            self.pop_indent();
            self.write_indicator(b"}", false, false, false);
            self.pop_state();
            return;
        }
        if !first {
            self.write_indicator(b",", false, false, false);
        }
        if self.v3 && self.column == 0 {
            self.write_indent();
        }
        if self.column > self.best_width {
            self.write_indent();
        }
        if self.check_simple_key() {
            self.states.push(State::FlowMappingSimpleValue);
            self.emit_node(false, false, true, true);
            return;
        }
        self.write_indicator(b"?", true, false, false);
        self.states.push(State::FlowMappingValue);
        self.emit_node(false, false, true, false);
    }

    fn emit_flow_mapping_value(&mut self, simple: bool) {
        if simple {
            self.write_indicator(b":", false, false, false);
        } else {
            if self.column > self.best_width {
                self.write_indent();
            }
            self.write_indicator(b":", true, false, false);
        }
        self.states.push(State::FlowMappingKey);
        self.emit_node(false, false, true, false);
    }

    fn emit_block_sequence_item(&mut self, first: bool) {
        if first {
            let indentless = !self.v3 && self.mapping_context && !self.indention;
            self.increase_indent(false, indentless);
        }
        if matches!(self.event(), Ev::SeqEnd) {
            self.pop_indent();
            self.pop_state();
            return;
        }
        self.write_indent();
        self.write_indicator(b"-", true, false, true);
        self.states.push(State::BlockSequenceItem);
        self.emit_node(false, true, false, false);
    }

    fn emit_block_mapping_key(&mut self, first: bool) {
        if first {
            self.increase_indent(false, false);
        }
        if matches!(self.event(), Ev::MapEnd) {
            self.pop_indent();
            self.pop_state();
            return;
        }
        self.write_indent();
        if self.check_simple_key() {
            self.states.push(State::BlockMappingSimpleValue);
            self.emit_node(false, false, true, true);
            return;
        }
        self.write_indicator(b"?", true, false, true);
        self.states.push(State::BlockMappingValue);
        self.emit_node(false, false, true, false);
    }

    fn emit_block_mapping_value(&mut self, simple: bool) {
        if simple {
            self.write_indicator(b":", false, false, false);
        } else {
            self.write_indent();
            self.write_indicator(b":", true, false, true);
        }
        self.states.push(State::BlockMappingKey);
        self.emit_node(false, false, true, false);
    }

    fn emit_node(&mut self, root: bool, sequence: bool, mapping: bool, simple_key: bool) {
        self.root_context = root;
        self.sequence_context = sequence;
        self.mapping_context = mapping;
        self.simple_key_context = simple_key;
        match self.event() {
            Ev::Scalar(..) => self.emit_scalar(),
            Ev::SeqStart => {
                let empty = matches!(self.next_event(1), Some(Ev::SeqEnd));
                self.state = if self.flow_level > 0 || empty {
                    State::FlowSequenceFirstItem
                } else {
                    State::BlockSequenceFirstItem
                };
            }
            Ev::MapStart => {
                let empty = matches!(self.next_event(1), Some(Ev::MapEnd));
                self.state = if self.flow_level > 0 || empty {
                    State::FlowMappingFirstKey
                } else {
                    State::BlockMappingFirstKey
                };
            }
            _ => {}
        }
    }

    fn check_simple_key(&self) -> bool {
        match self.event() {
            Ev::Scalar(..) => !self.scalar.multiline && self.scalar.value.len() <= 128,
            Ev::SeqStart => matches!(self.next_event(1), Some(Ev::SeqEnd)),
            Ev::MapStart => matches!(self.next_event(1), Some(Ev::MapEnd)),
            _ => false,
        }
    }

    fn emit_scalar(&mut self) {
        self.select_scalar_style();
        self.increase_indent(true, false);
        self.process_scalar();
        self.pop_indent();
        self.pop_state();
    }

    fn select_scalar_style(&mut self) {
        let Ev::Scalar(_, requested) = self.event() else {
            return;
        };
        let mut style = *requested;
        if self.simple_key_context && self.scalar.multiline {
            style = Style::DoubleQuoted;
        }
        if style == Style::Plain {
            if (self.flow_level > 0 && !self.scalar.flow_plain_allowed)
                || (self.flow_level == 0 && !self.scalar.block_plain_allowed)
            {
                style = Style::SingleQuoted;
            }
            if self.scalar.value.is_empty() && (self.flow_level > 0 || self.simple_key_context) {
                style = Style::SingleQuoted;
            }
        }
        if style == Style::SingleQuoted && !self.scalar.single_quoted_allowed {
            style = Style::DoubleQuoted;
        }
        if style == Style::Literal
            && (!self.scalar.block_allowed || self.flow_level > 0 || self.simple_key_context)
        {
            style = Style::DoubleQuoted;
        }
        self.scalar.style = Some(style);
    }

    fn process_scalar(&mut self) {
        let value = std::mem::take(&mut self.scalar.value);
        let allow_breaks = !self.simple_key_context;
        match self.scalar.style.unwrap_or(Style::Plain) {
            Style::Plain => self.write_plain_scalar(&value, allow_breaks),
            Style::SingleQuoted => self.write_single_quoted_scalar(&value, allow_breaks),
            Style::DoubleQuoted => self.write_double_quoted_scalar(&value, allow_breaks),
            Style::Literal => self.write_literal_scalar(&value),
        }
        self.scalar.value = value;
    }

    fn analyze_event(&mut self) {
        self.scalar = ScalarData::default();
        if let Ev::Scalar(value, _) = self.event() {
            let value = value.clone().into_bytes();
            self.analyze_scalar(value);
        }
    }

    fn analyze_scalar(&mut self, value: Vec<u8>) {
        let sd = &mut self.scalar;
        if value.is_empty() {
            sd.value = value;
            sd.multiline = false;
            sd.flow_plain_allowed = false;
            sd.block_plain_allowed = true;
            sd.single_quoted_allowed = true;
            sd.block_allowed = false;
            return;
        }
        let mut block_indicators = false;
        let mut flow_indicators = false;
        let mut line_breaks = false;
        let mut special_characters = false;
        let mut tab_characters = false;
        let mut leading_space = false;
        let mut leading_break = false;
        let mut trailing_space = false;
        let mut trailing_break = false;
        let mut break_space = false;
        let mut space_break = false;
        let mut previous_space = false;
        let mut previous_break = false;

        if value.len() >= 3 && (value.starts_with(b"---") || value.starts_with(b"...")) {
            block_indicators = true;
            flow_indicators = true;
        }
        let mut preceded_by_whitespace = true;
        let mut i = 0;
        while i < value.len() {
            let w = width(value[i]);
            let followed_by_whitespace = i + w >= value.len() || is_blank(&value, i + w);
            if i == 0 {
                match value[i] {
                    b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>'
                    | b'\'' | b'"' | b'%' | b'@' | b'`' => {
                        flow_indicators = true;
                        block_indicators = true;
                    }
                    b'?' | b':' => {
                        flow_indicators = true;
                        if followed_by_whitespace {
                            block_indicators = true;
                        }
                    }
                    b'-' if followed_by_whitespace => {
                        flow_indicators = true;
                        block_indicators = true;
                    }
                    _ => {}
                }
            } else {
                match value[i] {
                    b',' | b'?' | b'[' | b']' | b'{' | b'}' => flow_indicators = true,
                    b':' => {
                        flow_indicators = true;
                        if followed_by_whitespace {
                            block_indicators = true;
                        }
                    }
                    b'#' if preceded_by_whitespace => {
                        flow_indicators = true;
                        block_indicators = true;
                    }
                    _ => {}
                }
            }
            if self.v3 && value[i] == b'\t' {
                tab_characters = true;
            } else if !is_printable(&value, i) {
                special_characters = true;
            }
            if is_space(&value, i) {
                if i == 0 {
                    leading_space = true;
                }
                if i + w == value.len() {
                    trailing_space = true;
                }
                if previous_break {
                    break_space = true;
                }
                previous_space = true;
                previous_break = false;
            } else if is_break(&value, i) {
                line_breaks = true;
                if i == 0 {
                    leading_break = true;
                }
                if i + w == value.len() {
                    trailing_break = true;
                }
                if previous_space {
                    space_break = true;
                }
                previous_space = false;
                previous_break = true;
            } else {
                previous_space = false;
                previous_break = false;
            }
            preceded_by_whitespace = is_blankz(&value, i);
            i += w;
        }
        sd.value = value;
        sd.multiline = line_breaks;
        sd.flow_plain_allowed = true;
        sd.block_plain_allowed = true;
        sd.single_quoted_allowed = true;
        sd.block_allowed = true;
        if leading_space || leading_break || trailing_space || trailing_break {
            sd.flow_plain_allowed = false;
            sd.block_plain_allowed = false;
        }
        if trailing_space {
            sd.block_allowed = false;
        }
        if break_space {
            sd.flow_plain_allowed = false;
            sd.block_plain_allowed = false;
            sd.single_quoted_allowed = false;
        }
        if space_break || tab_characters || special_characters {
            sd.flow_plain_allowed = false;
            sd.block_plain_allowed = false;
            sd.single_quoted_allowed = false;
        }
        if space_break || special_characters {
            sd.block_allowed = false;
        }
        if line_breaks {
            sd.flow_plain_allowed = false;
            sd.block_plain_allowed = false;
        }
        if flow_indicators {
            sd.flow_plain_allowed = false;
        }
        if block_indicators {
            sd.block_plain_allowed = false;
        }
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(b' ');
        }
        self.whitespace = true;
        if !self.v3 {
            self.indention = true;
        }
    }

    fn write_indicator(
        &mut self,
        indicator: &[u8],
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(b' ');
        }
        self.write_all(indicator);
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
        self.open_ended = false;
    }

    fn write_plain_scalar(&mut self, value: &[u8], allow_breaks: bool) {
        if !self.whitespace && (!self.v3 || !value.is_empty()) {
            self.put(b' ');
        }
        let mut spaces = false;
        let mut breaks = false;
        let mut i = 0;
        while i < value.len() {
            if is_space(value, i) {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && !is_space(value, i + 1)
                {
                    self.write_indent();
                    i += width(value[i]);
                } else {
                    self.write(value, &mut i);
                }
                spaces = true;
            } else if is_break(value, i) {
                if !breaks && value[i] == b'\n' {
                    self.put_break();
                }
                self.write_break(value, &mut i);
                if !self.v3 {
                    self.indention = true;
                }
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.write(value, &mut i);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        if !self.v3 || !value.is_empty() {
            self.whitespace = false;
        }
        self.indention = false;
        if self.root_context {
            self.open_ended = true;
        }
    }

    fn write_single_quoted_scalar(&mut self, value: &[u8], allow_breaks: bool) {
        self.write_indicator(b"'", true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        let mut i = 0;
        while i < value.len() {
            if is_space(value, i) {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && i > 0
                    && i < value.len() - 1
                    && !is_space(value, i + 1)
                {
                    self.write_indent();
                    i += width(value[i]);
                } else {
                    self.write(value, &mut i);
                }
                spaces = true;
            } else if is_break(value, i) {
                if !breaks && value[i] == b'\n' {
                    self.put_break();
                }
                self.write_break(value, &mut i);
                if !self.v3 {
                    self.indention = true;
                }
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if value[i] == b'\'' {
                    self.put(b'\'');
                }
                self.write(value, &mut i);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator(b"'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double_quoted_scalar(&mut self, value: &[u8], allow_breaks: bool) {
        let mut spaces = false;
        self.write_indicator(b"\"", true, false, false);
        let mut i = 0;
        while i < value.len() {
            if !is_printable(value, i)
                || is_bom(value)
                || is_break(value, i)
                || value[i] == b'"'
                || value[i] == b'\\'
            {
                let octet = value[i];
                let (w, mut v): (usize, u32) = if octet & 0x80 == 0 {
                    (1, u32::from(octet & 0x7F))
                } else if octet & 0xE0 == 0xC0 {
                    (2, u32::from(octet & 0x1F))
                } else if octet & 0xF0 == 0xE0 {
                    (3, u32::from(octet & 0x0F))
                } else {
                    (4, u32::from(octet & 0x07))
                };
                for k in 1..w {
                    v = (v << 6) + (u32::from(at(value, i + k)) & 0x3F);
                }
                i += w;
                self.put(b'\\');
                match v {
                    0x00 => self.put(b'0'),
                    0x07 => self.put(b'a'),
                    0x08 => self.put(b'b'),
                    0x09 => self.put(b't'),
                    0x0A => self.put(b'n'),
                    0x0B => self.put(b'v'),
                    0x0C => self.put(b'f'),
                    0x0D => self.put(b'r'),
                    0x1B => self.put(b'e'),
                    0x22 => self.put(b'"'),
                    0x5C => self.put(b'\\'),
                    0x85 => self.put(b'N'),
                    0xA0 => self.put(b'_'),
                    0x2028 => self.put(b'L'),
                    0x2029 => self.put(b'P'),
                    _ => {
                        let digits = if v <= 0xFF {
                            self.put(b'x');
                            2
                        } else if v <= 0xFFFF {
                            self.put(b'u');
                            4
                        } else {
                            self.put(b'U');
                            8
                        };
                        for k in (0..digits).rev() {
                            let d = ((v >> (k * 4)) & 0x0F) as u8;
                            self.put(if d < 10 { d + b'0' } else { d + b'A' - 10 });
                        }
                    }
                }
                spaces = false;
            } else if is_space(value, i) {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && i > 0
                    && i < value.len() - 1
                {
                    self.write_indent();
                    if is_space(value, i + 1) {
                        self.put(b'\\');
                    }
                    i += width(value[i]);
                } else {
                    self.write(value, &mut i);
                }
                spaces = true;
            } else {
                self.write(value, &mut i);
                spaces = false;
            }
        }
        self.write_indicator(b"\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_block_scalar_hints(&mut self, value: &[u8]) {
        if is_space(value, 0) || is_break(value, 0) {
            let hint = [b'0' + self.best_indent as u8];
            self.write_indicator(&hint, false, false, false);
        }
        self.open_ended = false;
        let mut chomp = 0u8;
        if value.is_empty() {
            chomp = b'-';
        } else {
            let mut i = value.len() - 1;
            while i > 0 && value[i] & 0xC0 == 0x80 {
                i -= 1;
            }
            if !is_break(value, i) {
                chomp = b'-';
            } else if i == 0 {
                chomp = b'+';
                self.open_ended = true;
            } else {
                i -= 1;
                while i > 0 && value[i] & 0xC0 == 0x80 {
                    i -= 1;
                }
                if is_break(value, i) {
                    chomp = b'+';
                    self.open_ended = true;
                }
            }
        }
        if chomp != 0 {
            self.write_indicator(&[chomp], false, false, false);
        }
    }

    fn write_literal_scalar(&mut self, value: &[u8]) {
        self.write_indicator(b"|", true, false, false);
        self.write_block_scalar_hints(value);
        // goyaml.v3 (v3.0.4) breaks the line here too, through
        // `process_line_comment_linebreak`.
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        let mut i = 0;
        while i < value.len() {
            if is_break(value, i) {
                self.write_break(value, &mut i);
                if !self.v3 {
                    self.indention = true;
                }
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.write(value, &mut i);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

/// Runs a step of a recursive walk, growing the stack first when it is
/// nearly used up: deeply nested input must not overflow it.
fn grow<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pairs: &[(&str, Value)]) -> Value {
        let mut b = BTreeMap::new();
        for (k, v) in pairs {
            b.insert(Str::from(*k), v.clone());
        }
        Value::map(b)
    }

    fn s(x: &str) -> Value {
        Value::str(x)
    }

    #[test]
    fn marshal_scalars_and_quoting() {
        // From the oracle (toYaml-ambiguous-strings, toYaml-special-chars).
        let quoted = [
            "yes",
            "no",
            "y",
            "n",
            "on",
            "off",
            "true",
            "False",
            "NULL",
            "~",
            "null",
            "",
            "1",
            "1.5",
            "0777",
            "0x1F",
            "1_000",
            "1e3",
            ".inf",
            "-.Inf",
            ".nan",
            "2001-12-14",
            "2001-12-14T21:59:43Z",
            "12:30:00",
            "1:20",
            "+1",
            "-1",
            "0b101",
            "08",
            ".5",
            "1.",
            "Y",
            "N",
            "Yes",
            "ON",
        ];
        for q in quoted {
            assert_eq!(to_string(&s(q)).unwrap(), format!("\"{q}\"\n"), "{q}");
        }
        assert_eq!(to_string(&s("<<")).unwrap(), "<<\n");
        assert_eq!(to_string(&s("abc")).unwrap(), "abc\n");
        let single = [
            "- a", "a: b", "#c", "a #c", "[x]", "&a", "?", ":", "-", "--- x", "...", " lead",
            "trail ",
        ];
        for q in single {
            assert_eq!(to_string(&s(q)).unwrap(), format!("'{q}'\n"), "{q}");
        }
        assert_eq!(to_string(&s("'q'")).unwrap(), "'''q'''\n");
        assert_eq!(to_string(&s("a:b")).unwrap(), "a:b\n");
        assert_eq!(to_string(&s("tab\there")).unwrap(), "\"tab\\there\"\n");
        assert_eq!(to_string(&s("\u{7}")).unwrap(), "\"\\a\"\n");
        assert_eq!(to_string(&s("\u{feff}")).unwrap(), "\"\\uFEFF\"\n");
        assert_eq!(to_string(&s("😀")).unwrap(), "\"\\U0001F600\"\n");
    }

    #[test]
    fn marshal_numbers_through_json() {
        let floats = [
            (0.1, "0.1"),
            (1e20, "1e+20"),
            (1e21, "1e+21"),
            (1e-6, "1e-06"),
            (1e-7, "1e-07"),
            (123456789.123, "1.23456789123e+08"),
            (-0.0, "0"),
            (3.0, "3"),
            (1e6, "1000000"),
        ];
        for (f, want) in floats {
            assert_eq!(
                to_string(&Value::Float(f)).unwrap(),
                format!("{want}\n"),
                "{f}"
            );
        }
        assert_eq!(
            to_string(&Value::Float(f64::NAN)).unwrap_err().0,
            "error marshaling into JSON: json: unsupported value: NaN"
        );
    }

    #[test]
    fn marshal_structure() {
        let v = m(&[
            ("b", m(&[("x", Value::Float(1.0))])),
            (
                "a",
                Value::list(vec![
                    Value::Int(1),
                    Value::list(vec![Value::Int(2), Value::Int(3)]),
                    m(&[("k", s("v"))]),
                ]),
            ),
            ("e", Value::empty_map()),
            ("l", Value::list(vec![])),
        ]);
        assert_eq!(
            to_string(&v).unwrap(),
            "a:\n- 1\n- - 2\n  - 3\n- k: v\nb:\n  x: 1\ne: {}\nl: []\n"
        );
        assert_eq!(
            to_string_v3(&v, 2).unwrap(),
            "a:\n  - 1\n  - - 2\n    - 3\n  - k: v\nb:\n  x: 1\ne: {}\nl: []\n"
        );
        let keys = m(&[
            ("a10", Value::Int(1)),
            ("a2", Value::Int(2)),
            ("b", Value::Int(3)),
            ("A", Value::Int(4)),
            ("a", Value::Int(5)),
            ("1", Value::Int(6)),
            ("10", Value::Int(7)),
            ("2", Value::Int(8)),
            ("_x", Value::Int(9)),
            ("-y", Value::Int(10)),
            ("é", Value::Int(11)),
        ]);
        assert_eq!(
            to_string(&keys).unwrap(),
            "-y: 10\n_x: 9\n\"1\": 6\n\"2\": 8\n\"10\": 7\nA: 4\na: 5\na2: 2\na10: 1\nb: 3\né: 11\n"
        );
    }

    #[test]
    fn marshal_multiline_and_folding() {
        let cases = [
            ("a\n", "|\n  a\n"),
            ("a\n\n", "|+\n  a\n\n"),
            ("\na", "|2-\n\n  a\n"),
            (" a\nb", "|2-\n   a\n  b\n"),
            ("a \nb", "\"a \\nb\"\n"),
            ("a\r\nb", "\"a\\r\\nb\"\n"),
        ];
        for (input, want) in cases {
            assert_eq!(to_string(&s(input)).unwrap(), want, "{input:?}");
        }
        let long = "word ".repeat(30);
        assert_eq!(
            to_string(&s(&long)).unwrap(),
            "'word word word word word word word word word word word word word word word word word\n  word word word word word word word word word word word word word '\n"
        );
        assert_eq!(to_string_v3(&s(&long), 2).unwrap(), format!("'{long}'\n"));
        assert_eq!(
            to_string(&m(&[("a\nb", Value::Int(1))])).unwrap(),
            "? |-\n  a\n  b\n: 1\n"
        );
    }

    fn err(text: &str) -> String {
        from_str_map(text).unwrap_err().0
    }

    #[test]
    fn unmarshal_values() {
        let v = from_str_map("a: 0777\nb: 0x1F\nc: 1_000\nd: 1e3\ne: -12\nf: +5\ng: 0b101\nh: 08\ni: .5\nj: 1.\nk: 0o17\nl: 12345678901234567890\nm: 9007199254740993").unwrap();
        assert_eq!(
            v.to_string(),
            "map[a:511 b:31 c:1000 d:1000 e:-12 f:5 g:5 h:8 i:0.5 j:1 k:15 l:1.2345678901234567e+19 m:9.007199254740992e+15]"
        );
        let v = from_str_map(
            "1: a\ntrue: b\ny: c\n1.5: d\n0x10: f\n3.14159265358979: g\n.inf: h\n-.inf: i\n1e3: j",
        )
        .unwrap();
        assert_eq!(
            v.to_string(),
            "map[-.inf:i .inf:h 1:a 1.5:d 1000:j 16:f 3.1415927:g true:c]"
        );
        let v = from_str_map(
            "base: &b {a: 1, b: 2}\nx:\n  <<: *b\n  b: 3\ny:\n  c: 0\n  <<: [*b, {a: 9, d: 4}]",
        )
        .unwrap();
        assert_eq!(
            v.to_string(),
            "map[base:map[a:1 b:2] true:map[a:1 b:2 c:0 d:4] x:map[a:1 b:3]]"
        );
        assert_eq!(
            from_str_map("x:\n  a: 1\n  <<: {a: 2}")
                .unwrap()
                .to_string(),
            "map[x:map[a:2]]"
        );
        assert_eq!(
            from_str_map("a: 1\n---\nb: [").unwrap().to_string(),
            "map[a:1]"
        );
        assert_eq!(from_str_map("").unwrap().to_string(), "map[]");
        assert_eq!(from_str_map("# c").unwrap().to_string(), "map[]");
        assert_eq!(
            from_str_map("a: !!str 123\nb: !!float 1\nc: !custom 12\nd: !!binary aGVsbG8=\ne: ! 5\nf: !!int \"7\"").unwrap().to_string(),
            "map[a:123 b:1 c:12 d:hello e:5 f:7]"
        );
        assert_eq!(
            from_str_map("0.1: a\n100000000: b\n1e7: c\n123456789.0: d")
                .unwrap()
                .to_string(),
            "map[0.1:a 1.2345679e+08:d 100000000:b 1e+07:c]"
        );
        assert_eq!(from_str_list("").unwrap().type_name(), "[]interface {}");
    }

    #[test]
    fn unmarshal_errors_as_go() {
        // From the oracle (fromYaml-error-*).
        let pre = "error converting YAML to JSON: ";
        let cases = [
            (
                "a: b: c",
                "yaml: mapping values are not allowed in this context",
            ),
            (
                "a: 1\nb: 2\nc: d: e",
                "yaml: line 3: mapping values are not allowed in this context",
            ),
            ("a: [1, 2", "yaml: line 1: did not find expected ',' or ']'"),
            ("a: \"abc", "yaml: found unexpected end of stream"),
            (
                "a:\n  b: 1\n c: 2",
                "yaml: line 2: did not find expected key",
            ),
            (
                "a:\n\tb: 1",
                "yaml: line 2: found character that cannot start any token",
            ),
            ("a: *nope", "yaml: unknown anchor 'nope' referenced"),
            ("a: &x [*x]", "yaml: anchor 'x' value contains itself"),
            ("? [a]\n: 1", "yaml: invalid map key: []interface {}{\"a\"}"),
            (
                "a:\n  <<: 1",
                "yaml: map merge requires map or sequence of maps as the value",
            ),
            ("a: !!int abc", "yaml: cannot decode !!str `abc` as a !!int"),
            ("a: 1\n- b", "yaml: line 1: did not find expected key"),
            (
                "a: 1\n  b: 2",
                "yaml: line 2: mapping values are not allowed in this context",
            ),
            ("a: \u{1}", "yaml: control characters are not allowed"),
            ("%FOO bar\n---\na: 1", "yaml: found unknown directive name"),
            (
                "~: 1",
                "unsupported map key of type: %!s(<nil>), key: <nil>, value: 1",
            ),
            ("a: .inf", "json: unsupported value: +Inf"),
        ];
        for (text, want) in cases {
            assert_eq!(err(text), format!("{pre}{want}"), "{text:?}");
        }
        assert_eq!(
            err("- a"),
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}"
        );
        assert_eq!(
            from_str_list("- [").unwrap_err().0,
            format!("{pre}yaml: line 1: did not find expected node content")
        );
    }
}
