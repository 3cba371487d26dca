//! Helm's `--set` family of flags: a port of `pkg/strvals` (`parser.go`,
//! `literal_parser.go`).
//!
//! A set line is `name1=value1,name2=value2`: dotted keys make maps
//! (`a.b=1`), `[N]` makes list items (`a[0].b=x`, `a[1][2]=y`), a
//! backslash escapes the next character (`a\.b=1` is the key `a.b`),
//! `{x,y}` is a list, and values are typed the way Helm types them:
//! integers are `int64` (no leading zero), `true`/`false` (any case) are
//! bools, `null` is nil, everything else a string. `--set-string` keeps
//! every value a string, `--set-json` reads each value as JSON (numbers are
//! `float64`), `--set-file` reads each value as a file name, and
//! `--set-literal` takes everything after the first `=` verbatim.
//!
//! The values are written into an existing map in place, as Helm writes
//! into its `map[string]interface{}`, so later flags see earlier ones. The
//! quirks are Helm's: an input that ends inside a key or index (`a.`,
//! `a[0`, `noval[0]`) is silently accepted, because the parser's
//! end-of-input error wraps `io.EOF`; a key that holds the wrong type for
//! a path (`a=1,a.b=2`) fails with Go's recovered panic text, `unable to
//! parse key: interface conversion: ...`.

use crate::template::json;
use crate::template::{gofmt, Elem, Map, Value};

/// The largest list index `--set a[N]=x` accepts (Helm's `MaxIndex`): a
/// larger one would make Helm allocate an enormous list.
pub const MAX_INDEX: i64 = 65536;

/// The deepest key nesting accepted (Helm's `MaxNestedNameLevel`).
pub const MAX_NESTED_NAME_LEVEL: usize = 30;

/// Why a `--set`-style line cannot be applied: Helm's message text (the
/// caller adds the flag's `failed parsing --set data: ` prefix).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StrvalsError {
    /// The line's syntax or a type clash with existing values, in Helm's
    /// words (`key "a" has no value`, `unable to parse key: ...`).
    #[error("{0}")]
    Syntax(String),
    /// A `--set-json` value that Go's JSON decoder refuses (its message).
    #[error("{0}")]
    Json(String),
    /// A `--set-json` whole-object argument (`{"a":1}`) that is not a
    /// JSON object; Helm reports only the argument.
    #[error("{0}")]
    JsonObject(String),
    /// The `--set-file` reader's error (e.g. `open x: no such file or
    /// directory`).
    #[error("{0}")]
    Read(String),
}

/// `strvals.ParseInto`: applies a `--set` line to `dest` (a map), typing
/// values as Helm does (`int64`, bools, nil, strings).
///
/// # Errors
/// Helm's parse errors; `dest` may be partly updated, as in Helm.
pub fn parse_into(s: &str, dest: &Value) -> Result<(), StrvalsError> {
    Parser::new(s, Mode::Typed { strings: false }).run(dest)
}

/// `strvals.ParseIntoString`: applies a `--set-string` line; every value
/// stays a string.
///
/// # Errors
/// As [`parse_into`].
pub fn parse_into_string(s: &str, dest: &Value) -> Result<(), StrvalsError> {
    Parser::new(s, Mode::Typed { strings: true }).run(dest)
}

/// `--set-json`: either a whole JSON object (`{"a":{"b":1}}`, merged over
/// `dest` as Helm's `MergeMaps` merges it) or `strvals.ParseJSON`'s
/// `key=<json>,key2=<json>` form (an empty value is null).
///
/// # Errors
/// [`StrvalsError::JsonObject`] for a whole-object argument that is not a
/// JSON object, otherwise the parse or JSON error.
pub fn parse_json(s: &str, dest: &Value) -> Result<(), StrvalsError> {
    let trimmed = s.trim();
    if trimmed.starts_with('{') {
        let (obj, err) = json::unmarshal_into(trimmed, json::Target::Map);
        if err.is_some() {
            return Err(StrvalsError::JsonObject(s.to_string()));
        }
        let merged = super::values::merge_maps(dest, &obj);
        if let (Some(d), Some(m)) = (dest.as_map(), merged.as_map()) {
            let entries = m.borrow().clone();
            *d.borrow_mut() = entries;
        }
        return Ok(());
    }
    Parser::new(s, Mode::Json).run(dest)
}

/// `strvals.ParseIntoFile`: applies a `--set-file` line; each value is a
/// path whose content (read by `read`) becomes the string value.
///
/// # Errors
/// As [`parse_into`], and [`StrvalsError::Read`] with the reader's error.
pub fn parse_file(
    s: &str,
    dest: &Value,
    read: &dyn Fn(&str) -> Result<String, String>,
) -> Result<(), StrvalsError> {
    Parser::new(s, Mode::File(read)).run(dest)
}

/// `strvals.ParseLiteralInto`: applies a `--set-literal` line; the value
/// is everything after the first `=`, commas and backslashes included.
///
/// # Errors
/// As [`parse_into`].
pub fn parse_literal(s: &str, dest: &Value) -> Result<(), StrvalsError> {
    Parser::new(s, Mode::Literal).run(dest)
}

/// How values are read.
enum Mode<'r> {
    /// `typedVal` (`--set`), or strings only (`--set-string`).
    Typed { strings: bool },
    /// JSON values (`--set-json`).
    Json,
    /// File contents (`--set-file`).
    File(&'r dyn Fn(&str) -> Result<String, String>),
    /// The literal parser (`--set-literal`).
    Literal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// An error message (possibly wrapping `io.EOF`).
    Syntax,
    /// A JSON decoding error.
    Json,
    /// The file reader's error.
    Read,
    /// A Go runtime panic (a failed type assertion), recovered by the
    /// nearest `key` call as `unable to parse key: ...`.
    Panic,
}

/// An error inside the parser: its text, and whether it is (or wraps)
/// `io.EOF`, which ends parsing successfully.
#[derive(Debug)]
struct PErr {
    msg: String,
    eof: bool,
    kind: Kind,
}

impl PErr {
    fn eof() -> Self {
        PErr {
            msg: "EOF".into(),
            eof: true,
            kind: Kind::Syntax,
        }
    }

    fn syntax(msg: impl Into<String>) -> Self {
        PErr {
            msg: msg.into(),
            eof: false,
            kind: Kind::Syntax,
        }
    }

    /// `fmt.Errorf(prefix + "%w", e)`.
    fn wrap(self, prefix: &str) -> Self {
        PErr {
            msg: format!("{prefix}{}", self.msg),
            ..self
        }
    }

    fn is_panic(&self) -> bool {
        self.kind == Kind::Panic
    }
}

/// A failed Go type assertion `v.(T)`: the runtime's panic text.
fn assertion_panic(v: &Value, want: &str) -> PErr {
    let have = match v {
        Value::Nil => "nil".to_string(),
        other => other.type_name(),
    };
    PErr {
        msg: format!("interface conversion: interface {{}} is {have}, not {want}"),
        eof: false,
        kind: Kind::Panic,
    }
}

/// `v.([]any)`.
fn assert_list(v: &Value) -> Result<Vec<Value>, PErr> {
    match v {
        Value::List(l) if l.elem == Elem::Any => Ok(l.items.as_ref().clone()),
        other => Err(assertion_panic(other, "[]interface {}")),
    }
}

/// `v.(map[string]any)`.
fn as_table(v: &Value) -> Option<Map> {
    match v {
        Value::Map(m) if m.elem == Elem::Any && m.named.is_none() => Some(m.clone()),
        _ => None,
    }
}

fn assert_map(v: &Value) -> Result<Map, PErr> {
    as_table(v).ok_or_else(|| assertion_panic(v, "map[string]interface {}"))
}

/// Helm's `set`: an empty key is not set.
fn set(data: &Map, key: &str, val: Value) {
    if !key.is_empty() {
        data.insert(key, val);
    }
}

/// Helm's `setIndex`: grows the list with nils as needed.
fn set_index(mut list: Vec<Value>, index: i64, val: Value) -> (Vec<Value>, Result<(), PErr>) {
    if index < 0 {
        let e = PErr::syntax(format!("negative {index} index not allowed"));
        return (list, Err(e));
    }
    if index > MAX_INDEX {
        let e = PErr::syntax(format!(
            "index of {index} is greater than maximum supported index of {MAX_INDEX}"
        ));
        return (list, Err(e));
    }
    let i = index as usize;
    if list.len() <= i {
        list.resize(i + 1, Value::Nil);
    }
    list[i] = val;
    (list, Ok(()))
}

/// `%q` of a `[]rune`, as Helm's `unexpected data at end of array index`
/// prints it: `['a' 'b']`.
fn quote_runes(s: &str) -> String {
    let items: Vec<String> = s.chars().map(|c| gofmt::quote_rune(c as i64)).collect();
    format!("[{}]", items.join(" "))
}

/// Go's `strings.EqualFold(s, word)` for an ASCII lower-case `word`:
/// simple case folding, under which `ſ` (U+017F) equals `s` and the
/// Kelvin sign equals `k`.
fn equal_fold(s: &str, word: &str) -> bool {
    let mut chars = s.chars();
    for w in word.chars() {
        let Some(c) = chars.next() else {
            return false;
        };
        let same = c.to_ascii_lowercase() == w
            || (w == 's' && c == '\u{17f}')
            || (w == 'k' && c == '\u{212a}');
        if !same {
            return false;
        }
    }
    chars.next().is_none()
}

/// Go's `strconv.ParseInt(s, 10, 64)` success case.
fn parse_int64(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    s.parse::<i64>().ok()
}

/// Helm's `typedVal`.
fn typed_val(val: String, strings: bool) -> Value {
    if strings {
        return Value::str(val);
    }
    if equal_fold(&val, "true") {
        return Value::Bool(true);
    }
    if equal_fold(&val, "false") {
        return Value::Bool(false);
    }
    if equal_fold(&val, "null") {
        return Value::Nil;
    }
    if val == "0" {
        return Value::Int64(0);
    }
    if !val.is_empty() && !val.starts_with('0') {
        if let Some(i) = parse_int64(&val) {
            return Value::Int64(i);
        }
    }
    Value::str(val)
}

/// Go's `strconv.Atoi`, with its error text.
fn atoi(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "strconv.Atoi: parsing {}: invalid syntax",
            gofmt::quote(s)
        ));
    }
    s.strip_prefix('+')
        .unwrap_or(s)
        .parse::<i64>()
        .map_err(|_| {
            format!(
                "strconv.Atoi: parsing {}: value out of range",
                gofmt::quote(s)
            )
        })
}

/// Why `valList` found no list.
enum ListErr {
    /// End of input right after `=`.
    Eof,
    /// Not a `{` (Helm's `ErrNotList`): the value is a scalar.
    NotList,
    /// Another error (an unterminated list, a reader error).
    Other(PErr),
}

/// The parser over one set line (Helm's `parser` and `literalParser`).
struct Parser<'r> {
    chars: Vec<char>,
    pos: usize,
    mode: Mode<'r>,
}

impl<'r> Parser<'r> {
    fn new(s: &str, mode: Mode<'r>) -> Self {
        Parser {
            chars: s.chars().collect(),
            pos: 0,
            mode,
        }
    }

    fn literal(&self) -> bool {
        matches!(self.mode, Mode::Literal)
    }

    /// `parse`: keys until the input ends.
    fn run(mut self, dest: &Value) -> Result<(), StrvalsError> {
        let Some(data) = dest.as_map().cloned() else {
            return Err(StrvalsError::Syntax(
                "assignment to entry in nil map".to_string(),
            ));
        };
        loop {
            match self.key(&data, 0) {
                Ok(()) => continue,
                Err(e) if e.eof => return Ok(()),
                Err(e) => {
                    return Err(match e.kind {
                        Kind::Json => StrvalsError::Json(e.msg),
                        Kind::Read => StrvalsError::Read(e.msg),
                        Kind::Syntax | Kind::Panic => StrvalsError::Syntax(e.msg),
                    })
                }
            }
        }
    }

    fn read_rune(&mut self) -> Option<char> {
        let c = self.chars.get(self.pos).copied()?;
        self.pos += 1;
        Some(c)
    }

    fn unread_rune(&mut self) {
        self.pos -= 1;
    }

    /// `runesUntil` (backslash escapes the next rune) or
    /// `runesUntilLiteral`: the runes before a stop rune, and that rune
    /// (None at the end of input).
    fn runes_until(&mut self, stop: &[char]) -> (String, Option<char>) {
        let literal = self.literal();
        let mut v = String::new();
        loop {
            let Some(r) = self.read_rune() else {
                return (v, None);
            };
            if stop.contains(&r) {
                return (v, Some(r));
            }
            if r == '\\' && !literal {
                let Some(next) = self.read_rune() else {
                    return (v, None);
                };
                v.push(next);
            } else {
                v.push(r);
            }
        }
    }

    /// `key`, with its `recover`: a type-assertion panic anywhere below
    /// (not caught by a deeper `key`) becomes `unable to parse key: ...`.
    fn key(&mut self, data: &Map, level: usize) -> Result<(), PErr> {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            match self.key_body(data, level) {
                Err(e) if e.is_panic() => {
                    Err(PErr::syntax(format!("unable to parse key: {}", e.msg)))
                }
                r => r,
            }
        })
    }

    fn key_body(&mut self, data: &Map, mut level: usize) -> Result<(), PErr> {
        let stop: &[char] = if self.literal() {
            &['=', '[', '.']
        } else {
            &['=', '[', ',', '.']
        };
        let (k, last) = self.runes_until(stop);
        match last {
            None => {
                if k.is_empty() {
                    Err(PErr::eof())
                } else {
                    Err(PErr::syntax(format!(
                        "key {} has no value",
                        gofmt::quote(&k)
                    )))
                }
            }
            Some('[') => {
                let i = self
                    .key_index()
                    .map_err(|e| e.wrap("error parsing index: "))?;
                let list = match data.get(&k) {
                    Some(v) => assert_list(&v)?,
                    None => Vec::new(),
                };
                let (list, res) = self.list_item(list, i, level);
                if matches!(&res, Err(e) if e.is_panic()) {
                    return res;
                }
                set(data, &k, Value::list(list));
                res
            }
            Some('=') => self.key_value(data, &k),
            Some(',') => {
                set(data, &k, Value::str(""));
                Err(PErr::syntax(format!(
                    "key {} has no value (cannot end with ,)",
                    gofmt::quote(&k)
                )))
            }
            Some(_) => {
                // '.': a nested map.
                level += 1;
                if level > MAX_NESTED_NAME_LEVEL {
                    return Err(PErr::syntax(format!(
                        "value name nested level is greater than maximum supported nested level of {MAX_NESTED_NAME_LEVEL}"
                    )));
                }
                let inner = match data.get(&k) {
                    Some(v) => assert_map(&v)?,
                    None => Map::new(),
                };
                let e = self.key(&inner, level);
                if e.is_ok() && inner.is_empty() {
                    return Err(PErr::syntax(format!(
                        "key map {} has no value",
                        gofmt::quote(&k)
                    )));
                }
                if !inner.is_empty() {
                    set(data, &k, Value::Map(inner));
                }
                e
            }
        }
    }

    /// The `=` case of `key`: the value for `k`.
    fn key_value(&mut self, data: &Map, k: &str) -> Result<(), PErr> {
        match self.mode {
            Mode::Literal => {
                let value = self.val_literal();
                set(data, k, Value::str(value));
                Ok(())
            }
            Mode::Json => {
                if self.empty_val() {
                    set(data, k, Value::Nil);
                    return Ok(());
                }
                let v = self.decode_json()?;
                set(data, k, v);
                self.empty_val();
                Ok(())
            }
            _ => match self.val_list() {
                Ok(vl) => {
                    set(data, k, Value::list(vl));
                    Ok(())
                }
                Err(ListErr::Eof) => {
                    set(data, k, Value::str(""));
                    Err(PErr::eof())
                }
                Err(ListErr::NotList) => {
                    let rs = self.val();
                    let (v, e) = match self.read_value(rs) {
                        Ok(v) => (v, Ok(())),
                        Err(e) => (Value::Nil, Err(e)),
                    };
                    set(data, k, v);
                    e
                }
                Err(ListErr::Other(e)) => Err(e),
            },
        }
    }

    /// `keyIndex`: the index inside `[...]`.
    fn key_index(&mut self) -> Result<i64, PErr> {
        let (v, last) = self.runes_until(&[']']);
        if last.is_none() {
            return Err(PErr::eof());
        }
        atoi(&v).map_err(PErr::syntax)
    }

    /// `listItem`: what follows `[i]`. Returns the list as Go's slice
    /// would be afterwards (items replaced in place included) with the
    /// error, if any.
    fn list_item(
        &mut self,
        list: Vec<Value>,
        i: i64,
        level: usize,
    ) -> (Vec<Value>, Result<(), PErr>) {
        // `a[0][0][0]...` nests without limit.
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            self.list_item_body(list, i, level)
        })
    }

    fn list_item_body(
        &mut self,
        mut list: Vec<Value>,
        i: i64,
        level: usize,
    ) -> (Vec<Value>, Result<(), PErr>) {
        if i < 0 {
            let e = PErr::syntax(format!("negative {i} index not allowed"));
            return (list, Err(e));
        }
        let (k, last) = self.runes_until(&['[', '.', '=']);
        if !k.is_empty() {
            let e = PErr::syntax(format!(
                "unexpected data at end of array index: {}",
                quote_runes(&k)
            ));
            return (list, Err(e));
        }
        let idx = i as usize;
        let within = (i as u64) < list.len() as u64;
        match last {
            None => (list, Err(PErr::eof())),
            Some('=') => match self.mode {
                Mode::Literal => {
                    let value = self.val_literal();
                    set_index(list, i, Value::str(value))
                }
                Mode::Json => {
                    if self.empty_val() {
                        return set_index(list, i, Value::Nil);
                    }
                    let v = match self.decode_json() {
                        Ok(v) => v,
                        Err(e) => return (list, Err(e)),
                    };
                    let (list, res) = set_index(list, i, v);
                    if res.is_err() {
                        return (list, res);
                    }
                    self.empty_val();
                    (list, Ok(()))
                }
                _ => match self.val_list() {
                    Ok(vl) => set_index(list, i, Value::list(vl)),
                    Err(ListErr::Eof) => set_index(list, i, Value::str("")),
                    Err(ListErr::NotList) => {
                        let rs = self.val();
                        match self.read_value(rs) {
                            Ok(v) => set_index(list, i, v),
                            Err(e) => (list, Err(e)),
                        }
                    }
                    Err(ListErr::Other(e)) => (list, Err(e)),
                },
            },
            Some('[') => {
                let next_i = match self.key_index() {
                    Ok(n) => n,
                    Err(e) => return (list, Err(e.wrap("error parsing index: "))),
                };
                let mut existed = false;
                let mut crt = Vec::new();
                if within && !list[idx].is_nil() {
                    match assert_list(&list[idx]) {
                        Ok(l) => {
                            crt = l;
                            existed = true;
                        }
                        Err(e) => return (list, Err(e)),
                    }
                }
                let (list2, res) = self.list_item(crt, next_i, level);
                if let Err(e) = res {
                    // Items the nested call replaced in place live in the
                    // slice this list already holds.
                    if existed && !e.is_panic() {
                        list[idx] = Value::list(list2);
                    }
                    return (list, Err(e));
                }
                set_index(list, i, Value::list(list2))
            }
            Some(_) => {
                // '.': a map as the item.
                let inner = if within {
                    match as_table(&list[idx]) {
                        Some(m) => m,
                        None => {
                            let m = Map::new();
                            list[idx] = Value::Map(m.clone());
                            m
                        }
                    }
                } else {
                    Map::new()
                };
                if let Err(e) = self.key(&inner, level) {
                    return (list, Err(e));
                }
                set_index(list, i, Value::Map(inner))
            }
        }
    }

    /// The parser's reader: `typedVal`, or the file's content.
    fn read_value(&self, rs: String) -> Result<Value, PErr> {
        match self.mode {
            Mode::Typed { strings } => Ok(typed_val(rs, strings)),
            Mode::File(read) => read(&rs).map(Value::str).map_err(|msg| PErr {
                msg,
                eof: false,
                kind: Kind::Read,
            }),
            // Not reached: JSON and literal values are read elsewhere.
            Mode::Json | Mode::Literal => Ok(Value::str(rs)),
        }
    }

    /// `val`: the runes up to the next `,`.
    fn val(&mut self) -> String {
        self.runes_until(&[',']).0
    }

    /// The literal parser's `val`: the rest of the input.
    fn val_literal(&mut self) -> String {
        let rest: String = self.chars[self.pos..].iter().collect();
        self.pos = self.chars.len();
        rest
    }

    /// `valList`: a `{a,b}` list, if the value starts with `{`.
    fn val_list(&mut self) -> Result<Vec<Value>, ListErr> {
        let Some(r) = self.read_rune() else {
            return Err(ListErr::Eof);
        };
        if r != '{' {
            self.unread_rune();
            return Err(ListErr::NotList);
        }
        let mut list = Vec::new();
        loop {
            let (rs, last) = self.runes_until(&[',', '}']);
            match last {
                None => return Err(ListErr::Other(PErr::syntax("list must terminate with '}'"))),
                Some('}') => {
                    if let Some(r) = self.read_rune() {
                        if r != ',' {
                            self.unread_rune();
                        }
                    }
                    let v = self.read_value(rs).map_err(ListErr::Other)?;
                    list.push(v);
                    return Ok(list);
                }
                Some(_) => {
                    let v = self.read_value(rs).map_err(ListErr::Other)?;
                    list.push(v);
                }
            }
        }
    }

    /// `emptyVal`: skips spaces; true at the end of input or a `,`
    /// (consumed), false before anything else (not consumed).
    fn empty_val(&mut self) -> bool {
        loop {
            let Some(r) = self.read_rune() else {
                return true;
            };
            if r == ',' {
                return true;
            }
            if !r.is_whitespace() {
                self.unread_rune();
                return false;
            }
        }
    }

    /// One JSON value, as Go's `json.Decoder.Decode` reads it from the rest
    /// of the input; the input moves past it.
    fn decode_json(&mut self) -> Result<Value, PErr> {
        let rest: String = self.chars[self.pos..].iter().collect();
        let json_err = |msg: String| PErr {
            msg,
            eof: false,
            kind: Kind::Json,
        };
        let end = match json_extent(rest.as_bytes()) {
            Ok(end) => end,
            Err(at_end) => {
                // Go's decoder reports the first syntax error, or
                // `unexpected EOF` when the input stops inside the value.
                let msg = match json::unmarshal(&rest) {
                    Err(e) if !(at_end && e.0 == "unexpected end of JSON input") => e.0,
                    _ => "unexpected EOF".to_string(),
                };
                return Err(json_err(msg));
            }
        };
        let text = &rest[..end];
        let v = json::unmarshal(text).map_err(|e| json_err(e.0))?;
        self.pos += text.chars().count();
        Ok(v)
    }
}

/// Where the first JSON value in `b` ends (the byte offset Go's decoder
/// reports as `InputOffset` after decoding it): strings, literals and
/// numbers follow Go's scanner (`1.5.3` ends after `1.5`, `truex` after
/// `true`), arrays and objects end at their matching bracket. `Err(true)`
/// when the input ends inside the value, `Err(false)` on a syntax error.
fn json_extent(b: &[u8]) -> Result<usize, bool> {
    let ws = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r');
    let mut i = 0;
    while i < b.len() && ws(b[i]) {
        i += 1;
    }
    let Some(&c) = b.get(i) else {
        return Err(true);
    };
    match c {
        b'{' | b'[' => {
            let mut stack = Vec::new();
            while i < b.len() {
                match b[i] {
                    b'{' => stack.push(b'}'),
                    b'[' => stack.push(b']'),
                    b'}' | b']' => {
                        if stack.pop() != Some(b[i]) {
                            return Err(false);
                        }
                        if stack.is_empty() {
                            return Ok(i + 1);
                        }
                    }
                    b'"' => {
                        i = string_end(b, i)?;
                        continue;
                    }
                    _ => {}
                }
                i += 1;
            }
            Err(true)
        }
        b'"' => string_end(b, i),
        b't' | b'f' | b'n' => {
            let word: &[u8] = match c {
                b't' => b"true",
                b'f' => b"false",
                _ => b"null",
            };
            for (k, &w) in word.iter().enumerate() {
                match b.get(i + k) {
                    None => return Err(true),
                    Some(&x) if x != w => return Err(false),
                    _ => {}
                }
            }
            Ok(i + word.len())
        }
        b'-' | b'0'..=b'9' => number_end(b, i),
        _ => Err(false),
    }
}

/// The offset after the string starting at `b[i]` (a `"`).
fn string_end(b: &[u8], mut i: usize) -> Result<usize, bool> {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'"' => return Ok(i + 1),
            b'\\' => i += 2,
            c if c < 0x20 => return Err(false),
            _ => i += 1,
        }
    }
    Err(true)
}

/// The offset after the number starting at `b[i]`, by Go's scanner.
fn number_end(b: &[u8], mut i: usize) -> Result<usize, bool> {
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    // A required digit: missing at the end of input or before another byte.
    let need = |i: usize| -> Result<(), bool> {
        match b.get(i) {
            None => Err(true),
            Some(c) if c.is_ascii_digit() => Ok(()),
            Some(_) => Err(false),
        }
    };
    if b[i] == b'-' {
        i += 1;
        need(i)?;
    }
    if b[i] == b'0' {
        i += 1;
    } else {
        while digit(i) {
            i += 1;
        }
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        need(i)?;
        while digit(i) {
            i += 1;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        need(i)?;
        while digit(i) {
            i += 1;
        }
    }
    Ok(i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::json;

    type ParseFn = fn(&str, &Value) -> Result<(), StrvalsError>;

    /// The values a line gives in a new map, as JSON, or the error text.
    fn parsed(f: ParseFn, s: &str) -> Result<String, String> {
        let m = Value::empty_map();
        f(s, &m)
            .map(|()| json::marshal(&m).expect("JSON"))
            .map_err(|e| e.to_string())
    }

    fn into(f: ParseFn, s: &str, existing: &str) -> String {
        let m = json::unmarshal(existing).expect("JSON");
        f(s, &m).expect("parses");
        json::marshal(&m).expect("JSON")
    }

    fn check(f: ParseFn, cases: &[(&str, Option<&str>)]) {
        for (s, want) in cases {
            let got = parsed(f, s);
            match want {
                Some(j) => assert_eq!(got.as_deref(), Ok(*j), "{s}"),
                None => assert!(got.is_err(), "{s}: expected an error, got {got:?}"),
            }
        }
    }

    #[test]
    fn set_index_grows_and_refuses_bad_indexes() {
        let ints = |v: &[i64]| v.iter().map(|&i| Value::Int(i)).collect::<Vec<_>>();
        type Case<'a> = (&'a [i64], i64, i64, &'a [i64], bool);
        let cases: &[Case] = &[
            (&[0, 1], 2, 2, &[0, 1, 2], false),
            (&[0, 1], 1, 2, &[0, 2], false),
            (&[0, 1, 2, 3, 4, 5], 3, 4, &[0, 1, 2, 4, 4, 5], false),
            (&[0, 1, 2, 3, 4, 5], -1, 4, &[0, 1, 2, 3, 4, 5], true),
            (
                &[0, 1, 2, 3, 4, 5],
                MAX_INDEX + 1,
                4,
                &[0, 1, 2, 3, 4, 5],
                true,
            ),
        ];
        for (initial, add, val, expect, err) in cases {
            let (got, res) = set_index(ints(initial), *add, Value::Int(*val));
            assert_eq!(res.is_err(), *err, "{add}");
            let got: Vec<i64> = got.iter().map(|v| v.as_int().unwrap()).collect();
            assert_eq!(got, *expect);
        }
        let (_, res) = set_index(vec![], MAX_INDEX + 1, Value::Nil);
        assert_eq!(
            res.unwrap_err().msg,
            "index of 65537 is greater than maximum supported index of 65536"
        );
    }

    #[test]
    fn parse_set() {
        check(
            parse_into,
            &[
                (
                    "name1=null,f=false,t=true",
                    Some(r#"{"f":false,"name1":null,"t":true}"#),
                ),
                ("name1=value1", Some(r#"{"name1":"value1"}"#)),
                (
                    "name1=value1,name2=value2",
                    Some(r#"{"name1":"value1","name2":"value2"}"#),
                ),
                (
                    "name1=value1,name2=value2,",
                    Some(r#"{"name1":"value1","name2":"value2"}"#),
                ),
                ("name1=value1,,,,name2=value2,", None),
                (
                    "name1=,name2=value2",
                    Some(r#"{"name1":"","name2":"value2"}"#),
                ),
                ("leading_zeros=00009", Some(r#"{"leading_zeros":"00009"}"#)),
                ("zero_int=0", Some(r#"{"zero_int":0}"#)),
                ("long_int=1234567890", Some(r#"{"long_int":1234567890}"#)),
                ("boolean=true", Some(r#"{"boolean":true}"#)),
                ("is_null=null", Some(r#"{"is_null":null}"#)),
                ("name1,name2=", None),
                ("name1,name2=value2", None),
                ("name1,name2=value2\\", None),
                ("name1,name2", None),
                (
                    "name1=one\\,two,name2=three\\,four",
                    Some(r#"{"name1":"one,two","name2":"three,four"}"#),
                ),
                (
                    "name1=one\\=two,name2=three\\=four",
                    Some(r#"{"name1":"one=two","name2":"three=four"}"#),
                ),
                (
                    "name1=one two three,name2=three two one",
                    Some(r#"{"name1":"one two three","name2":"three two one"}"#),
                ),
                ("outer.inner=value", Some(r#"{"outer":{"inner":"value"}}"#)),
                (
                    "outer.middle.inner=value",
                    Some(r#"{"outer":{"middle":{"inner":"value"}}}"#),
                ),
                (
                    "outer.inner1=value,outer.inner2=value2",
                    Some(r#"{"outer":{"inner1":"value","inner2":"value2"}}"#),
                ),
                (
                    "outer.inner1=value,outer.middle.inner=value",
                    Some(r#"{"outer":{"inner1":"value","middle":{"inner":"value"}}}"#),
                ),
                ("name1.name2", None),
                ("name1.name2,name1.name3", None),
                ("name1.name2=", Some(r#"{"name1":{"name2":""}}"#)),
                ("name1.=name2", None),
                ("name1.,name2", None),
                (
                    "name1={value1,value2}",
                    Some(r#"{"name1":["value1","value2"]}"#),
                ),
                (
                    "name1={value1,value2},name2={value1,value2}",
                    Some(r#"{"name1":["value1","value2"],"name2":["value1","value2"]}"#),
                ),
                ("name1={1021,902}", Some(r#"{"name1":[1021,902]}"#)),
                (
                    "name1.name2={value1,value2}",
                    Some(r#"{"name1":{"name2":["value1","value2"]}}"#),
                ),
                ("name1={1021,902", None),
                ("list[0]=foo", Some(r#"{"list":["foo"]}"#)),
                ("list[0].foo=bar", Some(r#"{"list":[{"foo":"bar"}]}"#)),
                (
                    "list[0].foo=bar,list[0].hello=world",
                    Some(r#"{"list":[{"foo":"bar","hello":"world"}]}"#),
                ),
                ("list[0].foo=bar,list[-30].hello=world", None),
                ("list[0]=foo,list[1]=bar", Some(r#"{"list":["foo","bar"]}"#)),
                (
                    "list[0]=foo,list[1]=bar,",
                    Some(r#"{"list":["foo","bar"]}"#),
                ),
                (
                    "list[0]=foo,list[3]=bar",
                    Some(r#"{"list":["foo",null,null,"bar"]}"#),
                ),
                ("list[0]=foo,list[-20]=bar", None),
                ("illegal[0]name.foo=bar", None),
                ("noval[0]", Some(r#"{"noval":[]}"#)),
                ("noval[0]=", Some(r#"{"noval":[""]}"#)),
                ("nested[0][0]=1", Some(r#"{"nested":[[1]]}"#)),
                ("nested[1][1]=1", Some(r#"{"nested":[null,[null,1]]}"#)),
                (
                    "name1.name2[0].foo=bar,name1.name2[1].foo=bar",
                    Some(r#"{"name1":{"name2":[{"foo":"bar"},{"foo":"bar"}]}}"#),
                ),
                (
                    "name1.name2[1].foo=bar,name1.name2[0].foo=bar",
                    Some(r#"{"name1":{"name2":[{"foo":"bar"},{"foo":"bar"}]}}"#),
                ),
                (
                    "name1.name2[1].foo=bar",
                    Some(r#"{"name1":{"name2":[null,{"foo":"bar"}]}}"#),
                ),
                ("]={}].", None),
            ],
        );
        check(
            parse_into_string,
            &[
                (
                    "long_int_string=1234567890",
                    Some(r#"{"long_int_string":"1234567890"}"#),
                ),
                ("boolean=true", Some(r#"{"boolean":"true"}"#)),
                ("is_null=null", Some(r#"{"is_null":"null"}"#)),
                ("zero=0", Some(r#"{"zero":"0"}"#)),
            ],
        );
    }

    #[test]
    fn parse_into_existing_values() {
        assert_eq!(
            into(
                parse_into,
                "outer.inner1=value1,outer.inner3=value3,outer.inner4=4",
                r#"{"outer":{"inner1":"overwrite","inner2":"value2"}}"#
            ),
            r#"{"outer":{"inner1":"value1","inner2":"value2","inner3":"value3","inner4":4}}"#
        );
        let twice = |a: &str, b: &str, existing: &str| {
            let m = json::unmarshal(existing).unwrap();
            parse_into(a, &m).unwrap();
            parse_into(b, &m).unwrap();
            json::marshal(&m).unwrap()
        };
        assert_eq!(
            twice(
                "listOuter[0][0].type=listValue",
                "listOuter[0][0].status=alive",
                "{}"
            ),
            r#"{"listOuter":[[{"status":"alive","type":"listValue"}]]}"#
        );
        assert_eq!(
            twice(
                "listOuter[0][0].type=listValue",
                "listOuter[1][0].status=alive",
                "{}"
            ),
            r#"{"listOuter":[[{"type":"listValue"}],[{"status":"alive"}]]}"#
        );
        assert_eq!(
            twice(
                "listOuter[0][1][0].type=listValue",
                "listOuter[0][0][1].status=alive",
                r#"{"listOuter":[[[{"exited":"old"}]]]}"#
            ),
            r#"{"listOuter":[[[{"exited":"old"},{"status":"alive"}],[{"type":"listValue"}]]]}"#
        );
        assert_eq!(
            into(
                parse_into_string,
                "outer.inner1=1,outer.inner3=3",
                r#"{"outer":{"inner1":"overwrite","inner2":"value2"}}"#
            ),
            r#"{"outer":{"inner1":"1","inner2":"value2","inner3":"3"}}"#
        );
    }

    #[test]
    fn parse_json_values() {
        assert_eq!(
            into(
                parse_json,
                r#"outer.inner1="1",outer.inner3=3,outer.inner4=true,outer.inner5="true""#,
                r#"{"outer":{"inner1":"overwrite","inner2":"value2"}}"#
            ),
            r#"{"outer":{"inner1":"1","inner2":"value2","inner3":3,"inner4":true,"inner5":"true"}}"#
        );
        assert_eq!(
            into(
                parse_json,
                r#"outer.inner1={"a":"1","b":2,"c":[1,2,3]},outer.inner3=["new value 1","new value 2"],outer.inner4={"aa":"1","bb":2,"cc":[1,2,3]},outer.inner5=[{"A":"1","B":2,"C":[1,2,3]}]"#,
                r#"{"outer":{"inner1":{"x":"overwrite"},"inner2":"value2","inner3":["overwrite"]}}"#
            ),
            r#"{"outer":{"inner1":{"a":"1","b":2,"c":[1,2,3]},"inner2":"value2","inner3":["new value 1","new value 2"],"inner4":{"aa":"1","bb":2,"cc":[1,2,3]},"inner5":[{"A":"1","B":2,"C":[1,2,3]}]}}"#
        );
        assert_eq!(
            into(
                parse_json,
                r#"outer.inner1=,outer.inner3={"aa":"1","bb":2,"cc":[1,2,3]},outer.inner3.cc[1]=null"#,
                r#"{"outer":{"inner1":{"x":"overwrite"},"inner2":"value2"}}"#
            ),
            r#"{"outer":{"inner1":null,"inner2":"value2","inner3":{"aa":"1","bb":2,"cc":[1,null,3]}}}"#
        );
        let bad = r#"outer.inner1={"a":"1","b":2,"c":[1,2,3]},outer.inner3=["new value 1","new value 2"],outer.inner4={"aa":"1","bb":2,"cc":[1,2,3]},outer.inner5={"A":"1","B":2,"C":[1,2,3]}]"#;
        assert!(parsed(parse_json, bad).is_err());
    }

    #[test]
    fn parse_file_reads_values() {
        let read = |p: &str| -> Result<String, String> {
            match p {
                "path1" => Ok("value1".into()),
                other => Err(format!("open {other}: no such file or directory")),
            }
        };
        let m = Value::empty_map();
        parse_file("name1=path1", &m, &read).unwrap();
        assert_eq!(json::marshal(&m).unwrap(), r#"{"name1":"value1"}"#);
        let m = Value::empty_map();
        parse_file("l={path1,path1}", &m, &read).unwrap();
        assert_eq!(json::marshal(&m).unwrap(), r#"{"l":["value1","value1"]}"#);
        let err = parse_file("a=missing", &Value::empty_map(), &read).unwrap_err();
        assert_eq!(
            err,
            StrvalsError::Read("open missing: no such file or directory".into())
        );
    }

    /// `name1.name2. ... .name32=value`.
    fn too_deep() -> String {
        let names: Vec<String> = (1..=MAX_NESTED_NAME_LEVEL + 2)
            .map(|i| format!("name{i}"))
            .collect();
        format!("{}=value", names.join("."))
    }

    #[test]
    fn nested_levels_are_limited() {
        for f in [parse_into as ParseFn, parse_literal] {
            assert_eq!(
                parsed(f, "outer.middle.inner=value").as_deref(),
                Ok(r#"{"outer":{"middle":{"inner":"value"}}}"#)
            );
            assert_eq!(
                parsed(f, &too_deep()).unwrap_err(),
                "value name nested level is greater than maximum supported nested level of 30"
            );
        }
    }

    #[test]
    fn parse_literal_values() {
        check(
            parse_literal,
            &[
                ("name", None),
                ("name=", Some(r#"{"name":""}"#)),
                ("name=value", Some(r#"{"name":"value"}"#)),
                (
                    "long_int_string=1234567890",
                    Some(r#"{"long_int_string":"1234567890"}"#),
                ),
                ("boolean=true", Some(r#"{"boolean":"true"}"#)),
                ("is_null=null", Some(r#"{"is_null":"null"}"#)),
                ("zero=0", Some(r#"{"zero":"0"}"#)),
                (
                    "name1=null,name2=value2",
                    Some(r#"{"name1":"null,name2=value2"}"#),
                ),
                ("name1=value,,,tail", Some(r#"{"name1":"value,,,tail"}"#)),
                ("leading_zeros=00009", Some(r#"{"leading_zeros":"00009"}"#)),
                ("name=one two three", Some(r#"{"name":"one two three"}"#)),
                ("outer.inner=value", Some(r#"{"outer":{"inner":"value"}}"#)),
                (
                    "outer.middle.inner=value",
                    Some(r#"{"outer":{"middle":{"inner":"value"}}}"#),
                ),
                ("name1.name2", None),
                ("name1.name2=", Some(r#"{"name1":{"name2":""}}"#)),
                ("name1.=name2", None),
                ("name1.,name2", None),
                (
                    "name1={value1,value2}",
                    Some(r#"{"name1":"{value1,value2}"}"#),
                ),
                ("list[0]=foo", Some(r#"{"list":["foo"]}"#)),
                ("list[0].foo=bar", Some(r#"{"list":[{"foo":"bar"}]}"#)),
                ("list[-30].hello=world", None),
                ("list[3]=bar", Some(r#"{"list":[null,null,null,"bar"]}"#)),
                ("illegal[0]name.foo=bar", None),
                ("noval[0]", Some(r#"{"noval":[]}"#)),
                ("noval[0]=", Some(r#"{"noval":[""]}"#)),
                ("nested[0][0]=1", Some(r#"{"nested":[["1"]]}"#)),
                ("nested[1][1]=1", Some(r#"{"nested":[null,[null,"1"]]}"#)),
                (
                    "name1.name2[0].foo=bar",
                    Some(r#"{"name1":{"name2":[{"foo":"bar"}]}}"#),
                ),
                (
                    "name1.name2[1].foo=bar",
                    Some(r#"{"name1":{"name2":[null,{"foo":"bar"}]}}"#),
                ),
                ("]={}].", Some(r#"{"]":"{}]."}"#)),
                ("name=val,val", Some(r#"{"name":"val,val"}"#)),
                ("name=val.val", Some(r#"{"name":"val.val"}"#)),
                ("name=val=val", Some(r#"{"name":"val=val"}"#)),
                ("name=val$val", Some(r#"{"name":"val$val"}"#)),
                ("name=(value", Some(r#"{"name":"(value"}"#)),
                ("name=value)", Some(r#"{"name":"value)"}"#)),
                ("name=(value)", Some(r#"{"name":"(value)"}"#)),
                ("name={value", Some(r#"{"name":"{value"}"#)),
                ("name=value}", Some(r#"{"name":"value}"}"#)),
                ("name={value}", Some(r#"{"name":"{value}"}"#)),
                (
                    "name={value1,value2}",
                    Some(r#"{"name":"{value1,value2}"}"#),
                ),
                (r"name=val\val", Some(r#"{"name":"val\\val"}"#)),
                (r"name=val\\val", Some(r#"{"name":"val\\\\val"}"#)),
                (r"name=val\\\val", Some(r#"{"name":"val\\\\\\val"}"#)),
                (
                    r"name={val,.?*v\0a!l)some",
                    Some(r#"{"name":"{val,.?*v\\0a!l)some"}"#),
                ),
                (
                    r"name=em%GT)tqUDqz,i-\h+Mbqs-!:.m\\rE=mkbM#rR}@{-k@",
                    Some(r#"{"name":"em%GT)tqUDqz,i-\\h+Mbqs-!:.m\\\\rE=mkbM#rR}@{-k@"}"#),
                ),
            ],
        );
    }

    #[test]
    fn parse_literal_into_existing_values() {
        assert_eq!(
            into(
                parse_literal,
                "outer.inner1=value1,outer.inner3=value3,outer.inner4=4",
                r#"{"outer":{"inner1":"overwrite","inner2":"value2"}}"#
            ),
            r#"{"outer":{"inner1":"value1,outer.inner3=value3,outer.inner4=4","inner2":"value2"}}"#
        );
        let m = json::unmarshal(r#"{"listOuter":[[[{"exited":"old"}]]]}"#).unwrap();
        parse_literal("listOuter[0][1][0].type=listValue", &m).unwrap();
        parse_literal("listOuter[0][0][1].status=alive", &m).unwrap();
        assert_eq!(
            json::marshal(&m).unwrap(),
            r#"{"listOuter":[[[{"exited":"old"},{"status":"alive"}],[{"type":"listValue"}]]]}"#
        );
    }

    #[test]
    fn values_are_typed_as_helm_types_them() {
        let types = |f: ParseFn, s: &str| {
            let m = Value::empty_map();
            f(s, &m).unwrap();
            let m = m.as_map().unwrap().clone();
            m.entries()
                .into_iter()
                .map(|(k, v)| format!("{k}:{}", v.type_name()))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            types(
                parse_into,
                "a=1,b=1.5,c=TRUE,d=NuLL,e=+5,f=-0,g=0x10,h=9223372036854775808,i=falſe,j=-12"
            ),
            "a:int64 b:string c:bool d:<nil> e:int64 f:int64 g:string h:string i:bool j:int64"
        );
        assert_eq!(
            types(parse_json, "a=1,b=\"1\",c=[1]"),
            "a:float64 b:string c:[]interface {}"
        );
        assert_eq!(types(parse_into_string, "a=1,b=true"), "a:string b:string");
        assert_eq!(
            parsed(parse_into, "e=+5,f=-0").as_deref(),
            Ok(r#"{"e":5,"f":0}"#)
        );
    }

    #[test]
    fn escapes_and_helms_quirks() {
        check(
            parse_into,
            &[
                (r"a\.b=1", Some(r#"{"a.b":1}"#)),
                (r"a=x\,y,b=\{z}", Some(r#"{"a":"x,y","b":"{z}"}"#)),
                // Input ending inside a key or index is accepted (io.EOF).
                ("a.", Some("{}")),
                ("a[0", Some("{}")),
                ("a=1,b[", Some(r#"{"a":1}"#)),
                ("a={}", Some(r#"{"a":[""]}"#)),
                ("a={x,y},b=2", Some(r#"{"a":["x","y"],"b":2}"#)),
                ("[0]=x", Some("{}")),
                ("a[0].=x", Some(r#"{"a":[{}]}"#)),
            ],
        );
        let err = |f: ParseFn, s: &str| parsed(f, s).unwrap_err();
        assert_eq!(
            err(parse_into, "name1,name2"),
            r#"key "name1" has no value (cannot end with ,)"#
        );
        assert_eq!(err(parse_into, "a.b"), r#"key "b" has no value"#);
        assert_eq!(
            err(parse_into, "name1.=name2"),
            r#"key map "name1" has no value"#
        );
        assert_eq!(
            err(parse_into, "name1=value1,,,,name2=value2,"),
            r#"key "" has no value (cannot end with ,)"#
        );
        assert_eq!(
            err(parse_into, "name1={1021,902"),
            "list must terminate with '}'"
        );
        assert_eq!(
            err(parse_into, "illegal[0]name.foo=bar"),
            "unexpected data at end of array index: ['n' 'a' 'm' 'e']"
        );
        assert_eq!(
            err(parse_into, "list[-30].hello=world"),
            "negative -30 index not allowed"
        );
        assert_eq!(
            err(parse_into, "a[x]=1"),
            r#"error parsing index: strconv.Atoi: parsing "x": invalid syntax"#
        );
        assert_eq!(
            err(parse_into, "a[99999999999999999999]=1"),
            r#"error parsing index: strconv.Atoi: parsing "99999999999999999999": value out of range"#
        );
        assert_eq!(
            err(parse_into, "a[65537]=1"),
            "index of 65537 is greater than maximum supported index of 65536"
        );
        // A key of the wrong type: Go's recovered panic.
        assert_eq!(
            err(parse_into, "a=1,a.b=2"),
            "unable to parse key: interface conversion: interface {} is int64, not map[string]interface {}"
        );
        assert_eq!(
            err(parse_into, "a.b=1,a[0]=2"),
            "unable to parse key: interface conversion: interface {} is map[string]interface {}, not []interface {}"
        );
        assert_eq!(
            err(parse_into, "a=null,a[0]=2"),
            "unable to parse key: interface conversion: interface {} is nil, not []interface {}"
        );
        assert_eq!(
            err(parse_into, "a[0]=x,a[0][1]=y"),
            "unable to parse key: interface conversion: interface {} is string, not []interface {}"
        );
        assert_eq!(
            err(parse_into, "]={}]."),
            "unable to parse key: interface conversion: interface {} is []interface {}, not map[string]interface {}"
        );
        // The panic is recovered by the innermost key: the outer map keeps
        // what was set before.
        let m = json::unmarshal(r#"{"x":{"s":"str"}}"#).unwrap();
        assert!(parse_into("x.s.t=1", &m).is_err());
        assert_eq!(json::marshal(&m).unwrap(), r#"{"x":{"s":"str"}}"#);
        // A list item replaced by a map in place stays replaced when the
        // line ends inside the key.
        let m = json::unmarshal(r#"{"a":[[5]]}"#).unwrap();
        parse_into("a[0][0].", &m).unwrap();
        assert_eq!(json::marshal(&m).unwrap(), r#"{"a":[[{}]]}"#);
    }

    #[test]
    fn json_values_end_where_gos_decoder_stops() {
        check(
            parse_json,
            &[
                ("a=1b=2", Some(r#"{"a":1,"b":2}"#)),
                (
                    "a= [1, 2] ,b={\"x\":null}",
                    Some(r#"{"a":[1,2],"b":{"x":null}}"#),
                ),
                ("a=\"x,y\",b=truex=1", Some(r#"{"a":"x,y","b":true,"x":1}"#)),
                ("a=  ,b=", Some(r#"{"a":null,"b":null}"#)),
                ("l[1]={\"k\":1}", Some(r#"{"l":[null,{"k":1}]}"#)),
                ("a=-1.5e3", Some(r#"{"a":-1500}"#)),
            ],
        );
        let err = |s: &str| parsed(parse_json, s).unwrap_err();
        assert_eq!(err("a=[1,2"), "unexpected EOF");
        assert_eq!(err("a=[1 2]"), "invalid character '2' after array element");
        assert_eq!(err("a=nul"), "unexpected EOF");
        assert_eq!(
            err("a=x"),
            "invalid character 'x' looking for beginning of value"
        );
        assert_eq!(err("a=-x"), "invalid character 'x' in numeric literal");
        assert_eq!(
            err("a=1e400"),
            "json: cannot unmarshal number 1e400 into Go value of type float64"
        );
    }

    #[test]
    fn json_whole_object_is_merged() {
        let m = json::unmarshal(r#"{"a":{"b":1,"c":[1]},"d":2}"#).unwrap();
        parse_json(r#" {"a":{"c":[2],"e":null},"f":{"g":1}} "#, &m).unwrap();
        assert_eq!(
            json::marshal(&m).unwrap(),
            r#"{"a":{"b":1,"c":[2],"e":null},"d":2,"f":{"g":1}}"#
        );
        assert_eq!(
            parse_json("{bad", &Value::empty_map()),
            Err(StrvalsError::JsonObject("{bad".into()))
        );
    }
}
