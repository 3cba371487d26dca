//! Go's `encoding/json` as Helm's and Sprig's JSON functions use it:
//! `json.Marshal` (keys sorted, `<`, `>`, `&` escaped as `\u003c`...,
//! U+2028/U+2029 always escaped, floats in Go's `'f'`/`'e'` choice),
//! `json.MarshalIndent`, an `Encoder` without HTML escaping (`toRawJson`),
//! and `json.Unmarshal` into `interface{}`, `map[string]interface{}` or
//! `[]interface{}` with the messages of the Go toolchain Helm v4.3.0 is built
//! with (its v1 API runs on the newer decoder: `invalid escape sequence
//! `\q` in string`, `cannot unmarshal number 1e400 into Go struct field .a
//! of type float64`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::value::{Str, Value};

/// An error of `encoding/json`: its complete text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError(pub String);

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for JsonError {}

/// How to marshal.
#[derive(Clone, Copy, Debug)]
pub struct Options<'a> {
    /// Escape `<`, `>` and `&` (`json.Marshal` does; `SetEscapeHTML(false)`
    /// does not).
    pub escape_html: bool,
    /// `MarshalIndent`'s prefix and indent, or `None` for compact output.
    pub indent: Option<(&'a str, &'a str)>,
}

/// `json.Marshal(v)`.
pub fn marshal(v: &Value) -> Result<String, JsonError> {
    marshal_with(
        v,
        Options {
            escape_html: true,
            indent: None,
        },
    )
}

/// `json.MarshalIndent(v, prefix, indent)`.
pub fn marshal_indent(v: &Value, prefix: &str, indent: &str) -> Result<String, JsonError> {
    marshal_with(
        v,
        Options {
            escape_html: true,
            indent: Some((prefix, indent)),
        },
    )
}

/// Marshals `v` with `opts` (no trailing newline).
pub fn marshal_with(v: &Value, opts: Options<'_>) -> Result<String, JsonError> {
    let mut out = String::new();
    encode(&mut out, v, opts, 0)?;
    Ok(out)
}

/// Go's cycle detection starts after this many nested maps or slices.
const MAX_DEPTH: usize = 1000;

fn newline(out: &mut String, opts: Options<'_>, depth: usize) {
    if let Some((prefix, indent)) = opts.indent {
        out.push('\n');
        out.push_str(prefix);
        for _ in 0..depth {
            out.push_str(indent);
        }
    }
}

fn encode(out: &mut String, v: &Value, opts: Options<'_>, depth: usize) -> Result<(), JsonError> {
    grow(|| {
        match v {
            Value::Nil => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) | Value::Int64(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Uint64(u) => {
                let _ = write!(out, "{u}");
            }
            Value::Float(f) => out.push_str(&format_float(*f)?),
            Value::String(s) => write_string(out, s, opts.escape_html),
            // encoding/json (Go 1.27's, as Helm v4.3.0 is built) writes
            // each byte that is not UTF-8 as U+FFFD.
            Value::Binary(b) => write_string(out, &super::value::go_lossy(b), opts.escape_html),
            Value::Bytes(b) => {
                out.push('"');
                out.push_str(&base64_std(b));
                out.push('"');
            }
            Value::List(l) if l.nil => out.push_str("null"),
            Value::Map(m) if m.is_nil() => out.push_str("null"),
            Value::List(l) => {
                if depth > MAX_DEPTH {
                    return Err(cycle(v));
                }
                if l.items.is_empty() {
                    out.push_str("[]");
                    return Ok(());
                }
                out.push('[');
                for (i, item) in l.items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, opts, depth + 1);
                    encode(out, item, opts, depth + 1)?;
                }
                newline(out, opts, depth);
                out.push(']');
            }
            Value::Map(m) => {
                if depth > MAX_DEPTH {
                    return Err(cycle(v));
                }
                let entries = m.entries();
                if entries.is_empty() {
                    out.push_str("{}");
                    return Ok(());
                }
                out.push('{');
                for (i, (k, item)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, opts, depth + 1);
                    write_string(out, k, opts.escape_html);
                    out.push(':');
                    if opts.indent.is_some() {
                        out.push(' ');
                    }
                    encode(out, item, opts, depth + 1)?;
                }
                newline(out, opts, depth);
                out.push('}');
            }
            Value::Object(o) => {
                if depth > MAX_DEPTH {
                    return Err(cycle(v));
                }
                encode(out, &o.to_data(), opts, depth + 1)?;
            }
        }
        Ok(())
    })
}

fn cycle(v: &Value) -> JsonError {
    JsonError(format!(
        "json: unsupported value: encountered a cycle via {}",
        v.type_name()
    ))
}

/// Go's float encoder: `'f'` format unless the magnitude is below 1e-6 or
/// at least 1e21, then `'e'` with a one-digit negative exponent cleaned up
/// (`1e-07` becomes `1e-7`). NaN and infinities are errors.
pub fn format_float(f: f64) -> Result<String, JsonError> {
    if f.is_nan() {
        return Err(JsonError("json: unsupported value: NaN".into()));
    }
    if f.is_infinite() {
        let s = if f > 0.0 { "+Inf" } else { "-Inf" };
        return Err(JsonError(format!("json: unsupported value: {s}")));
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Shortest digits, `e` form, exponent at least two digits in Go,
        // then cleaned up for a negative one-digit exponent.
        let sci = format!("{f:e}");
        let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let mut s = String::from(mantissa);
        s.push('e');
        if exp < 0 {
            s.push('-');
            let _ = write!(s, "{}", -exp);
        } else {
            s.push('+');
            let _ = write!(s, "{exp:02}");
        }
        return Ok(s);
    }
    // 'f' with the shortest digits: Rust's Display of f64 is exactly that
    // (no exponent, shortest round-trip digits), except "-0" for -0.0.
    if f == 0.0 {
        return Ok(if f.is_sign_negative() { "-0" } else { "0" }.into());
    }
    Ok(format!("{f}"))
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Go's `encodeState.string`: quotes and escapes `s`.
pub fn write_string(out: &mut String, s: &str, escape_html: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' if escape_html => push_u(out, c as u32),
            '\u{2028}' | '\u{2029}' => push_u(out, c as u32),
            c if (c as u32) < 0x20 => push_u(out, c as u32),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn push_u(out: &mut String, c: u32) {
    out.push_str("\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[((c >> shift) & 0xf) as usize] as char);
    }
}

/// `base64.StdEncoding.EncodeToString`: how `encoding/json` writes `[]byte`.
fn base64_std(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(ALPHABET[(n >> 18) as usize & 63] as char);
        out.push(ALPHABET[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            ALPHABET[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            ALPHABET[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

/// The Go type `json.Unmarshal` decodes into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// `*interface{}`: anything.
    Any,
    /// `*map[string]interface{}` (Helm's `fromJson`).
    Map,
    /// `*[]interface{}` (Helm's `fromJsonArray`).
    List,
}

/// `json.Unmarshal(text, &v)` with `v` an `interface{}`: the value, or the
/// error.
pub fn unmarshal(text: &str) -> Result<Value, JsonError> {
    match unmarshal_into(text, Target::Any) {
        (v, None) => Ok(v),
        (_, Some(e)) => Err(e),
    }
}

/// `json.Unmarshal(text, &target)`: what the target holds afterwards (an
/// empty map or list for `Map`/`List` when nothing could be stored, Nil for
/// `Any`) and the error, if any. As in Go, a syntax error anywhere stores
/// nothing, while a number out of range stores 0 and decoding goes on.
pub fn unmarshal_into(text: &str, target: Target) -> (Value, Option<JsonError>) {
    let empty = || match target {
        Target::Any => Value::Nil,
        Target::Map => Value::empty_map(),
        Target::List => Value::list(Vec::new()),
    };
    let tree = match Parser::new(text).parse_document() {
        Ok(t) => t,
        Err(e) => return (empty(), Some(e)),
    };
    let kind = match &tree {
        Raw::Null => return (empty(), None),
        Raw::Bool(_) => "bool",
        Raw::Number(_) => "number",
        Raw::String(_) => "string",
        Raw::Array(_) => "array",
        Raw::Object(_) => "object",
    };
    let mismatch = match target {
        Target::Any => None,
        Target::Map => (kind != "object").then_some("map[string]interface {}"),
        Target::List => (kind != "array").then_some("[]interface {}"),
    };
    if let Some(ty) = mismatch {
        return (
            empty(),
            Some(JsonError(format!(
                "json: cannot unmarshal {kind} into Go value of type {ty}"
            ))),
        );
    }
    let mut first_error = None;
    let mut path = Vec::new();
    let v = convert(tree, &mut path, &mut first_error);
    (v, first_error)
}

/// A syntactically valid JSON value, numbers kept as text.
enum Raw {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Raw>),
    Object(Vec<(String, Raw)>),
}

enum PathItem {
    Key(String),
    Index(usize),
}

fn convert(raw: Raw, path: &mut Vec<PathItem>, err: &mut Option<JsonError>) -> Value {
    grow(|| match raw {
        Raw::Null => Value::Nil,
        Raw::Bool(b) => Value::Bool(b),
        Raw::String(s) => Value::String(s.into()),
        Raw::Number(text) => match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Value::Float(f),
            _ => {
                if err.is_none() {
                    *err = Some(number_error(&text, path));
                }
                Value::Float(0.0)
            }
        },
        Raw::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                path.push(PathItem::Index(i));
                out.push(convert(item, path, err));
                path.pop();
            }
            Value::list(out)
        }
        Raw::Object(members) => {
            let mut out: BTreeMap<Str, Value> = BTreeMap::new();
            for (k, item) in members {
                path.push(PathItem::Key(k.clone()));
                let v = convert(item, path, err);
                path.pop();
                out.insert(k.into(), v);
            }
            Value::map(out)
        }
    })
}

fn number_error(text: &str, path: &[PathItem]) -> JsonError {
    if path.is_empty() {
        return JsonError(format!(
            "json: cannot unmarshal number {text} into Go value of type float64"
        ));
    }
    let mut where_ = String::new();
    if matches!(path.last(), Some(PathItem::Key(_))) {
        where_.push_str("Go struct field ");
    }
    for item in path {
        where_.push('.');
        match item {
            PathItem::Key(k) => where_.push_str(&k.replace('~', "~0").replace('/', "~1")),
            PathItem::Index(i) => {
                let _ = write!(where_, "{i}");
            }
        }
    }
    JsonError(format!(
        "json: cannot unmarshal number {text} into {where_} of type float64"
    ))
}

/// Go's `quoteChar` as the decoder's messages print a character.
fn quote_char(c: char) -> String {
    match c {
        '\'' => "'\\''".into(),
        '"' => "'\"'".into(),
        _ => {
            let q = super::gofmt::quote(&c.to_string());
            let inner = q
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .unwrap_or(&q);
            format!("'{inner}'")
        }
    }
}

const EOF: &str = "unexpected end of JSON input";

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser { text, pos: 0 }
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if matches!(c, ' ' | '\t' | '\n' | '\r') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn invalid(c: char, context: &str) -> JsonError {
        JsonError(format!("invalid character {} {context}", quote_char(c)))
    }

    fn parse_document(&mut self) -> Result<Raw, JsonError> {
        let v = self.parse_value(0)?;
        self.skip_ws();
        if let Some(c) = self.peek() {
            return Err(Self::invalid(c, "after top-level value"));
        }
        Ok(v)
    }

    fn parse_value(&mut self, depth: usize) -> Result<Raw, JsonError> {
        grow(|| {
            self.skip_ws();
            let Some(c) = self.peek() else {
                return Err(JsonError(EOF.into()));
            };
            if depth > 10000 {
                return Err(JsonError("exceeded max depth".into()));
            }
            match c {
                '{' => {
                    self.pos += 1;
                    self.parse_object(depth)
                }
                '[' => {
                    self.pos += 1;
                    self.parse_array(depth)
                }
                '"' => {
                    self.pos += 1;
                    Ok(Raw::String(self.parse_string()?))
                }
                't' => self.literal("true", Raw::Bool(true)),
                'f' => self.literal("false", Raw::Bool(false)),
                'n' => self.literal("null", Raw::Null),
                '-' | '0'..='9' => self.parse_number(),
                c => Err(Self::invalid(c, "looking for beginning of value")),
            }
        })
    }

    fn literal(&mut self, word: &'static str, v: Raw) -> Result<Raw, JsonError> {
        self.pos += 1;
        for expected in word.chars().skip(1) {
            match self.bump() {
                None => return Err(JsonError(EOF.into())),
                Some(c) if c == expected => {}
                Some(c) => {
                    return Err(Self::invalid(
                        c,
                        &format!("in literal {word} (expecting {})", quote_char(expected)),
                    ))
                }
            }
        }
        Ok(v)
    }

    fn parse_number(&mut self) -> Result<Raw, JsonError> {
        let start = self.pos;
        let bad = |p: &Self| match p.peek() {
            None => JsonError(EOF.into()),
            Some(c) => Self::invalid(c, "in numeric literal"),
        };
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        match self.peek() {
            Some('0') => self.pos += 1,
            Some('1'..='9') => {
                while matches!(self.peek(), Some('0'..='9')) {
                    self.pos += 1;
                }
            }
            _ => return Err(bad(self)),
        }
        if self.peek() == Some('.') {
            self.pos += 1;
            if !matches!(self.peek(), Some('0'..='9')) {
                return Err(bad(self));
            }
            while matches!(self.peek(), Some('0'..='9')) {
                self.pos += 1;
            }
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some('+' | '-')) {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some('0'..='9')) {
                return Err(bad(self));
            }
            while matches!(self.peek(), Some('0'..='9')) {
                self.pos += 1;
            }
        }
        Ok(Raw::Number(self.text[start..self.pos].to_string()))
    }

    /// After the opening quote.
    fn parse_string(&mut self) -> Result<String, JsonError> {
        let mut out = String::new();
        loop {
            let Some(c) = self.bump() else {
                return Err(JsonError(EOF.into()));
            };
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let escape_start = self.pos - 1;
                    let Some(e) = self.bump() else {
                        return Err(JsonError(EOF.into()));
                    };
                    match e {
                        '"' => out.push('"'),
                        '\\' => out.push('\\'),
                        '/' => out.push('/'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'u' => {
                            let r = self.hex4(escape_start)?;
                            if (0xD800..0xDC00).contains(&r) {
                                // A high surrogate: a low one must follow as
                                // an escape, else U+FFFD.
                                let save = self.pos;
                                if self.text[self.pos..].starts_with("\\u") {
                                    self.pos += 2;
                                    let low_start = self.pos - 2;
                                    let r2 = self.hex4(low_start)?;
                                    if (0xDC00..0xE000).contains(&r2) {
                                        let c = 0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00);
                                        out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                                        continue;
                                    }
                                    self.pos = save;
                                }
                                out.push('\u{FFFD}');
                            } else {
                                out.push(char::from_u32(r).unwrap_or('\u{FFFD}'));
                            }
                        }
                        _ => {
                            return Err(JsonError(format!(
                                "invalid escape sequence `\\{e}` in string"
                            )))
                        }
                    }
                }
                c if (c as u32) < 0x20 => return Err(Self::invalid(c, "in string")),
                c => out.push(c),
            }
        }
    }

    /// Four hex digits after `\u` (the backslash at `escape_start`).
    fn hex4(&mut self, escape_start: usize) -> Result<u32, JsonError> {
        let mut r = 0u32;
        for _ in 0..4 {
            let Some(c) = self.bump() else {
                return Err(JsonError(EOF.into()));
            };
            match c.to_digit(16) {
                Some(d) => r = r * 16 + d,
                None => {
                    let shown: String = self.text[escape_start..].chars().take(6).collect();
                    return Err(JsonError(format!(
                        "invalid escape sequence `{shown}` in string"
                    )));
                }
            }
        }
        Ok(r)
    }

    /// After `[`.
    fn parse_array(&mut self, depth: usize) -> Result<Raw, JsonError> {
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(']') {
            self.pos += 1;
            return Ok(Raw::Array(items));
        }
        loop {
            items.push(self.parse_value(depth + 1)?);
            self.skip_ws();
            match self.bump() {
                None => return Err(JsonError(EOF.into())),
                Some(',') => {}
                Some(']') => return Ok(Raw::Array(items)),
                Some(c) => return Err(Self::invalid(c, "after array element")),
            }
        }
    }

    /// After `{`.
    fn parse_object(&mut self, depth: usize) -> Result<Raw, JsonError> {
        let mut members: Vec<(String, Raw)> = Vec::new();
        self.skip_ws();
        if self.peek() == Some('}') {
            self.pos += 1;
            return Ok(Raw::Object(members));
        }
        loop {
            self.skip_ws();
            match self.bump() {
                None => return Err(JsonError(EOF.into())),
                Some('"') => {}
                Some(c) => {
                    return Err(Self::invalid(
                        c,
                        "looking for beginning of object key string",
                    ))
                }
            }
            let key = self.parse_string()?;
            self.skip_ws();
            match self.bump() {
                None => return Err(JsonError(EOF.into())),
                Some(':') => {}
                Some(c) => return Err(Self::invalid(c, "after object key")),
            }
            let v = self.parse_value(depth + 1)?;
            // Duplicate keys: the last one wins (it replaces the earlier
            // value, keeping the earlier position).
            if let Some(slot) = members.iter_mut().find(|(k, _)| *k == key) {
                slot.1 = v;
            } else {
                members.push((key, v));
            }
            self.skip_ws();
            match self.bump() {
                None => return Err(JsonError(EOF.into())),
                Some(',') => {}
                Some('}') => return Ok(Raw::Object(members)),
                Some(c) => return Err(Self::invalid(c, "after object key:value pair")),
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

    fn obj(pairs: &[(&str, Value)]) -> Value {
        let mut m = BTreeMap::new();
        for (k, v) in pairs {
            m.insert(Str::from(*k), v.clone());
        }
        Value::map(m)
    }

    #[test]
    fn floats_as_go_prints_them() {
        // From the oracle (toJson-floats).
        let cases = [
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1e-6, "0.000001"),
            (1e-7, "1e-7"),
            (0.1, "0.1"),
            (100.0, "100"),
            (-0.0, "-0"),
            (123456789.125, "123456789.125"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
        ];
        for (f, want) in cases {
            assert_eq!(format_float(f).unwrap(), want, "{f}");
        }
        assert_eq!(
            format_float(f64::NAN).unwrap_err().0,
            "json: unsupported value: NaN"
        );
        assert_eq!(
            format_float(f64::NEG_INFINITY).unwrap_err().0,
            "json: unsupported value: -Inf"
        );
    }

    #[test]
    fn strings_escaped_as_go() {
        let v = Value::str("<a href=\"x\">&</a>");
        assert_eq!(
            marshal(&v).unwrap(),
            r#""\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e""#
        );
        let raw = Options {
            escape_html: false,
            indent: None,
        };
        assert_eq!(marshal_with(&v, raw).unwrap(), r#""<a href=\"x\">&</a>""#);
        let ctl = Value::str("\u{0}\u{1}\u{8}\t\n\u{c}\r\u{1f}\u{2028}\u{2029}\u{7f}");
        assert_eq!(
            marshal(&ctl).unwrap(),
            "\"\\u0000\\u0001\\b\\t\\n\\f\\r\\u001f\\u2028\\u2029\u{7f}\""
        );
    }

    #[test]
    fn maps_lists_and_indent() {
        let v = obj(&[
            ("b", Value::list(vec![Value::Int(1), Value::Nil])),
            ("a", Value::empty_map()),
            ("c", Value::list(vec![])),
        ]);
        assert_eq!(marshal(&v).unwrap(), r#"{"a":{},"b":[1,null],"c":[]}"#);
        assert_eq!(
            marshal_indent(&v, "", "  ").unwrap(),
            "{\n  \"a\": {},\n  \"b\": [\n    1,\n    null\n  ],\n  \"c\": []\n}"
        );
        let bytes = Value::Bytes(std::rc::Rc::from(&b"hello"[..]));
        assert_eq!(marshal(&bytes).unwrap(), r#""aGVsbG8=""#);
    }

    #[test]
    fn syntax_errors_as_go() {
        // From the oracle (fromJson-error-* and probes).
        let cases = [
            (
                "{x}",
                "invalid character 'x' looking for beginning of object key string",
            ),
            ("{} x", "invalid character 'x' after top-level value"),
            ("{\"a\": ", EOF),
            ("", EOF),
            ("   ", EOF),
            (
                "{\"a\": 1,}",
                "invalid character '}' looking for beginning of object key string",
            ),
            ("{\"a\" 1}", "invalid character '1' after object key"),
            ("[1 2]", "invalid character '2' after array element"),
            (
                "{\"a\": tru}",
                "invalid character '}' in literal true (expecting 'e')",
            ),
            (
                "{\"a\": 01}",
                "invalid character '1' after object key:value pair",
            ),
            ("{\"a\": 1.}", "invalid character '}' in numeric literal"),
            ("{\"a\": -}", "invalid character '}' in numeric literal"),
            ("{\"a\": 1e}", "invalid character '}' in numeric literal"),
            ("1.e5", "invalid character 'e' in numeric literal"),
            ("--1", "invalid character '-' in numeric literal"),
            ("{\"a\": \"x\ny\"}", "invalid character '\\n' in string"),
            (
                "{\"a\": \"\\q\"}",
                "invalid escape sequence `\\q` in string",
            ),
            (
                "{\"a\": \"\\u12x4\"}",
                "invalid escape sequence `\\u12x4` in string",
            ),
            ("\"\\u00\"", "invalid escape sequence `\\u00\"` in string"),
            (
                "{'a': 1}",
                "invalid character '\\'' looking for beginning of object key string",
            ),
            (
                "[1,]",
                "invalid character ']' looking for beginning of value",
            ),
            (
                "nulx",
                "invalid character 'x' in literal null (expecting 'l')",
            ),
            ("[1]]", "invalid character ']' after top-level value"),
            (
                "{\"a\": .5}",
                "invalid character '.' looking for beginning of value",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(unmarshal(text).unwrap_err().0, want, "{text:?}");
        }
    }

    #[test]
    fn values_and_semantic_errors() {
        let v = unmarshal("{\"a\": 1e3, \"b\": [true, null, \"x\\u00e9\\ud83d\\ude00\"]}").unwrap();
        assert_eq!(v.to_string(), "map[a:1000 b:[true <nil> xé😀]]");
        assert_eq!(
            unmarshal("\"\\ud83d\\u0041\"").unwrap().to_string(),
            "\u{FFFD}A"
        );
        let (v, e) = unmarshal_into("{\"a\": {\"b\": [1, 1e400]}}", Target::Map);
        assert_eq!(
            e.unwrap().0,
            "json: cannot unmarshal number 1e400 into .a.b.1 of type float64"
        );
        assert_eq!(v.to_string(), "map[a:map[b:[1 0]]]");
        let (_, e) = unmarshal_into("{\"a~b/c\": 1e400}", Target::Map);
        assert_eq!(
            e.unwrap().0,
            "json: cannot unmarshal number 1e400 into Go struct field .a~0b~1c of type float64"
        );
        let (v, e) = unmarshal_into("[1, 2]", Target::Map);
        assert_eq!(
            e.unwrap().0,
            "json: cannot unmarshal array into Go value of type map[string]interface {}"
        );
        assert_eq!(v.to_string(), "map[]");
        let (v, e) = unmarshal_into("null", Target::List);
        assert!(e.is_none());
        assert_eq!(v.type_name(), "[]interface {}");
    }
}
