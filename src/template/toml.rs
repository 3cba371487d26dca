//! TOML as Helm's `toToml` and `fromToml` see it: BurntSushi/toml v1.6's
//! encoder (plain keys first, then tables and arrays of tables, keys
//! sorted, sub-tables indented by two spaces per level, floats always with
//! a decimal point or exponent) and its decoder into
//! `map[string]interface{}` (integers `int64`, floats `float64`, arrays
//! `[]interface{}`, arrays of tables `[]map[string]interface{}`, datetimes
//! `time.Time` in the decoder's local-date/-time/-datetime zones), with the
//! lexer and parser ported so that errors read as Go's:
//! `toml: line 2 (last key "a"): Key 'a' has already been defined.`

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt::Write as _;
use std::rc::Rc;

use super::value::{format_float_g, Elem, Object, Str, Value};

/// Why `toToml` failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TomlError {
    /// An error the encoder returns (`toToml` prints it, `mustToToml`
    /// panics with it).
    Encode(String),
    /// A Go panic inside the encoder (both functions fail with it).
    Panic(String),
}

const ERR_ARRAY_NIL: &str = "toml: cannot encode array with nil element";
const ERR_NO_KEY: &str = "toml: top-level values must be Go maps or structs";

/// `toml.NewEncoder(w).Encode(v)`: the TOML text.
pub fn to_string(v: &Value) -> Result<String, TomlError> {
    if v.is_nil() {
        return Err(TomlError::Panic(
            "reflect: call of reflect.Value.Type on zero Value".into(),
        ));
    }
    let mut enc = Encoder {
        out: String::new(),
        has_written: false,
    };
    enc.encode(&[], v, 0).map_err(TomlError::Encode)?;
    Ok(enc.out)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TomlType {
    Hash,
    ArrayHash,
    Other,
}

/// The plain data a value encodes as (objects as their data, except
/// datetimes, which stay objects).
fn data(v: &Value) -> Value {
    match v {
        Value::Object(o) if toml_datetime(o.as_ref()).is_none() => o.to_data(),
        _ => v.clone(),
    }
}

fn toml_datetime(o: &dyn Object) -> Option<String> {
    if o.type_name() != "time.Time" {
        return None;
    }
    match o.field("__toml") {
        Some(Value::String(s)) => Some(s.to_string()),
        _ => None,
    }
}

/// `tomlTypeOfGo`, for telling tables from the rest (None for nil).
fn toml_type(v: &Value) -> Result<Option<TomlType>, String> {
    grow(|| {
        Ok(Some(match data(v) {
            Value::Nil => return Ok(None),
            Value::Map(_) => TomlType::Hash,
            Value::List(l) => {
                if is_table_array(&l.items)? {
                    TomlType::ArrayHash
                } else {
                    TomlType::Other
                }
            }
            _ => TomlType::Other,
        }))
    })
}

/// `isTableArray`: every element a table (and none nil).
fn is_table_array(items: &[Value]) -> Result<bool, String> {
    if items.is_empty() {
        return Ok(false);
    }
    let mut ret = true;
    for item in items {
        match toml_type(item)? {
            None => return Err(ERR_ARRAY_NIL.into()),
            Some(TomlType::Hash) => {}
            Some(_) => ret = false,
        }
    }
    Ok(ret)
}

fn is_bare(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|r| r.is_ascii_alphanumeric() || r == '_' || r == '-')
}

/// The encoder's `dblQuotedReplacer`.
fn quote_basic(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn maybe_quoted(k: &str) -> String {
    if k.is_empty() {
        "\"\"".into()
    } else if is_bare(k) {
        k.to_string()
    } else {
        quote_basic(k)
    }
}

/// `Key.String()`: dotted, each part quoted unless bare.
fn key_string(key: &[Str]) -> String {
    let parts: Vec<String> = key.iter().map(|k| maybe_quoted(k)).collect();
    parts.join(".")
}

struct Encoder {
    out: String,
    has_written: bool,
}

impl Encoder {
    fn write(&mut self, s: &str) {
        self.out.push_str(s);
        self.has_written = true;
    }

    fn newline(&mut self) {
        if self.has_written {
            self.write("\n");
        }
    }

    fn indent(key: &[Str]) -> String {
        "  ".repeat(key.len().saturating_sub(1))
    }

    fn encode(&mut self, key: &[Str], v: &Value, depth: usize) -> Result<(), String> {
        grow(|| {
            if depth > 1000 {
                return Err("toml: value nested too deeply".into());
            }
            match data(v) {
                Value::Nil => Ok(()),
                Value::Map(m) => self.table(key, &m, depth),
                Value::List(l) => {
                    if is_table_array(&l.items)? {
                        self.array_of_tables(key, &l.items, depth)
                    } else {
                        self.key_value(key, &Value::List(l), false, depth)
                    }
                }
                other => self.key_value(key, &other, false, depth),
            }
        })
    }

    fn array_of_tables(
        &mut self,
        key: &[Str],
        items: &[Value],
        depth: usize,
    ) -> Result<(), String> {
        if key.is_empty() {
            return Err(ERR_NO_KEY.into());
        }
        for item in items {
            let Value::Map(m) = data(item) else { continue };
            self.newline();
            let line = format!("{}[[{}]]", Self::indent(key), key_string(key));
            self.write(&line);
            self.newline();
            self.map(key, &m, false, depth)?;
        }
        Ok(())
    }

    fn table(&mut self, key: &[Str], m: &super::value::Map, depth: usize) -> Result<(), String> {
        if key.len() == 1 {
            self.newline();
        }
        if !key.is_empty() {
            let line = format!("{}[{}]", Self::indent(key), key_string(key));
            self.write(&line);
            self.newline();
        }
        self.map(key, m, false, depth)
    }

    fn map(
        &mut self,
        key: &[Str],
        m: &super::value::Map,
        inline: bool,
        depth: usize,
    ) -> Result<(), String> {
        let mut direct = Vec::new();
        let mut sub = Vec::new();
        for (k, v) in m.entries() {
            match toml_type(&v)? {
                Some(TomlType::Hash | TomlType::ArrayHash) => sub.push((k, v)),
                _ => direct.push((k, v)),
            }
        }
        if inline {
            self.write("{");
        }
        let trail = !sub.is_empty();
        self.map_keys(key, &direct, inline, trail, depth)?;
        self.map_keys(key, &sub, inline, false, depth)?;
        if inline {
            self.write("}");
        }
        Ok(())
    }

    fn map_keys(
        &mut self,
        key: &[Str],
        entries: &[(Str, Value)],
        inline: bool,
        trail: bool,
        depth: usize,
    ) -> Result<(), String> {
        for (i, (k, v)) in entries.iter().enumerate() {
            if v.is_nil() {
                continue;
            }
            if inline {
                self.key_value(std::slice::from_ref(k), v, true, depth)?;
                if trail || i != entries.len() - 1 {
                    self.write(", ");
                }
            } else {
                let mut sub = key.to_vec();
                sub.push(k.clone());
                self.encode(&sub, v, depth + 1)?;
            }
        }
        Ok(())
    }

    fn key_value(
        &mut self,
        key: &[Str],
        v: &Value,
        inline: bool,
        depth: usize,
    ) -> Result<(), String> {
        if key.is_empty() {
            return self.element(v, depth);
        }
        let last = key.last().map(|k| maybe_quoted(k)).unwrap_or_default();
        let head = format!("{}{} = ", Self::indent(key), last);
        self.write(&head);
        self.element(v, depth)?;
        if !inline {
            self.newline();
        }
        Ok(())
    }

    fn element(&mut self, v: &Value, depth: usize) -> Result<(), String> {
        grow(|| {
            if depth > 1000 {
                return Err("toml: value nested too deeply".into());
            }
            if let Value::Object(o) = v {
                if let Some(s) = toml_datetime(o.as_ref()) {
                    self.write(&s);
                    return Ok(());
                }
            }
            match data(v) {
                Value::Nil => {
                    // An interface holding nil: Go's reflect would panic; the
                    // encoder never gets here for map values or array items.
                    Ok(())
                }
                Value::String(s) => {
                    self.write(&quote_basic(&s));
                    Ok(())
                }
                Value::Binary(b) => {
                    self.write(&quote_basic(&super::value::go_lossy(&b)));
                    Ok(())
                }
                Value::Bool(b) => {
                    self.write(if b { "true" } else { "false" });
                    Ok(())
                }
                Value::Int(i) | Value::Int64(i) => {
                    self.write(&i.to_string());
                    Ok(())
                }
                Value::Uint64(u) => {
                    self.write(&u.to_string());
                    Ok(())
                }
                Value::Float(f) => {
                    let s = if f.is_nan() {
                        if f.is_sign_negative() { "-nan" } else { "nan" }.to_string()
                    } else if f.is_infinite() {
                        if f < 0.0 { "-inf" } else { "inf" }.to_string()
                    } else {
                        let s = format_float_g(f);
                        if s.contains('e') || s.contains('.') {
                            s
                        } else {
                            s + ".0"
                        }
                    };
                    self.write(&s);
                    Ok(())
                }
                Value::Bytes(b) => {
                    let items: Vec<Value> = b.iter().map(|&x| Value::Int(i64::from(x))).collect();
                    self.array(&items, depth)
                }
                Value::List(l) => self.array(&l.items, depth),
                Value::Map(m) => self.map(&[], &m, true, depth + 1),
                Value::Object(_) => Ok(()),
            }
        })
    }

    fn array(&mut self, items: &[Value], depth: usize) -> Result<(), String> {
        self.write("[");
        for (i, item) in items.iter().enumerate() {
            self.element(item, depth + 1)?;
            if i != items.len() - 1 {
                self.write(", ");
            }
        }
        self.write("]");
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Datetimes.

/// The zone of a decoded datetime.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Zone {
    /// An offset datetime: UTC (also `+00:00`, the local zone of Helm's
    /// machine being UTC) or a fixed offset in seconds.
    Offset(i32),
    LocalDatetime,
    LocalDate,
    LocalTime,
}

/// A `time.Time` from `fromToml`.
#[derive(Clone, Debug)]
struct TomlTime {
    year: i32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    zone: Zone,
}

impl TomlTime {
    fn offset(&self) -> i32 {
        match self.zone {
            Zone::Offset(o) => o,
            _ => 0,
        }
    }

    /// Go's `.999999999` fraction: trailing zeros dropped, none when zero.
    fn fraction(&self) -> String {
        if self.nanos == 0 {
            return String::new();
        }
        let s = format!("{:09}", self.nanos);
        format!(".{}", s.trim_end_matches('0'))
    }

    fn date(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    fn clock(&self) -> String {
        format!(
            "{:02}:{:02}:{:02}{}",
            self.hour,
            self.minute,
            self.second,
            self.fraction()
        )
    }

    fn offset_text(&self, colon: bool) -> String {
        let o = self.offset();
        let sign = if o < 0 { '-' } else { '+' };
        let a = o.unsigned_abs();
        if colon {
            format!("{sign}{:02}:{:02}", a / 3600, a / 60 % 60)
        } else {
            format!("{sign}{:02}{:02}", a / 3600, a / 60 % 60)
        }
    }

    /// RFC 3339 with nanoseconds (`MarshalJSON`, the encoder's default).
    fn rfc3339(&self) -> String {
        let z = if self.offset() == 0 {
            "Z".to_string()
        } else {
            self.offset_text(true)
        };
        format!("{}T{}{}", self.date(), self.clock(), z)
    }
}

impl Object for TomlTime {
    fn type_name(&self) -> String {
        "time.Time".into()
    }

    fn kind(&self) -> &'static str {
        "struct"
    }

    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "__toml" => Some(Value::from(match self.zone {
                Zone::LocalDatetime => format!("{}T{}", self.date(), self.clock()),
                Zone::LocalDate => self.date(),
                Zone::LocalTime => self.clock(),
                Zone::Offset(_) => self.rfc3339(),
            })),
            _ => None,
        }
    }

    /// `Time.String()`: `2006-01-02 15:04:05.999999999 -0700 MST`.
    fn format_v(&self) -> String {
        let name = match &self.zone {
            Zone::Offset(0) => "UTC".to_string(),
            Zone::Offset(_) => self.offset_text(false),
            Zone::LocalDatetime => "datetime-local".into(),
            Zone::LocalDate => "date-local".into(),
            Zone::LocalTime => "time-local".into(),
        };
        format!(
            "{} {} {} {}",
            self.date(),
            self.clock(),
            self.offset_text(false),
            name
        )
    }

    fn to_data(&self) -> Value {
        Value::from(self.rfc3339())
    }
}

/// The decoder's datetime layouts, tried in order, on the text with `z`,
/// `t` and ` ` replaced by `Z`, `T`, `T`.
fn parse_datetime(raw: &str) -> Option<TomlTime> {
    let s: String = raw
        .chars()
        .map(|c| match c {
            'z' => 'Z',
            't' | ' ' => 'T',
            c => c,
        })
        .collect();
    let b = s.as_bytes();
    // Each layout: (has date, has time, seconds, zone kind).
    #[derive(Clone, Copy)]
    enum Z {
        Offset,
        None,
    }
    let layouts: [(bool, bool, bool, Z); 7] = [
        (true, true, true, Z::Offset),
        (true, true, true, Z::None),
        (true, false, false, Z::None),
        (false, true, true, Z::None),
        (true, true, false, Z::Offset),
        (true, true, false, Z::None),
        (false, true, false, Z::None),
    ];
    for (date, time, seconds, zone) in layouts {
        if let Some(t) = parse_layout(b, date, time, seconds, matches!(zone, Z::Offset)) {
            return Some(t);
        }
    }
    None
}

fn parse_layout(b: &[u8], date: bool, time: bool, seconds: bool, offset: bool) -> Option<TomlTime> {
    let mut i = 0;
    let fixed2 = |i: &mut usize| -> Option<u32> {
        let d = b.get(*i..*i + 2)?;
        if !d.iter().all(u8::is_ascii_digit) {
            return None;
        }
        *i += 2;
        Some(u32::from(d[0] - b'0') * 10 + u32::from(d[1] - b'0'))
    };
    let lit = |i: &mut usize, c: u8| -> Option<()> { (b.get(*i) == Some(&c)).then(|| *i += 1) };
    let mut t = TomlTime {
        year: 0,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        nanos: 0,
        zone: Zone::LocalDate,
    };
    if date {
        let y = b.get(0..4)?;
        if !y.iter().all(u8::is_ascii_digit) {
            return None;
        }
        t.year = std::str::from_utf8(y).ok()?.parse().ok()?;
        i = 4;
        lit(&mut i, b'-')?;
        t.month = fixed2(&mut i)?;
        lit(&mut i, b'-')?;
        t.day = fixed2(&mut i)?;
        if !(1..=12).contains(&t.month) {
            return None;
        }
        if time {
            lit(&mut i, b'T')?;
        }
    }
    if time {
        // Hour "15": one or two digits (a missing leading zero is then an
        // error the caller reports).
        let h1 = *b.get(i).filter(|c| c.is_ascii_digit())?;
        i += 1;
        let mut hour = u32::from(h1 - b'0');
        let mut short = true;
        if let Some(h2) = b.get(i).filter(|c| c.is_ascii_digit()) {
            hour = hour * 10 + u32::from(h2 - b'0');
            i += 1;
            short = false;
        }
        if hour >= 24 {
            return None;
        }
        t.hour = hour;
        lit(&mut i, b':')?;
        t.minute = fixed2(&mut i)?;
        if t.minute >= 60 {
            return None;
        }
        if seconds {
            lit(&mut i, b':')?;
            t.second = fixed2(&mut i)?;
            if t.second >= 60 {
                return None;
            }
            if matches!(b.get(i), Some(b'.' | b',')) && b.get(i + 1).is_some_and(u8::is_ascii_digit)
            {
                i += 1;
                let start = i;
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                let digits = &b[start..i];
                let mut n: u32 = 0;
                for k in 0..9 {
                    n = n * 10 + digits.get(k).map_or(0, |d| u32::from(d - b'0'));
                }
                t.nanos = n;
            }
        }
        if short {
            // missingLeadingZero: the layout's separators are at fixed places.
            return Some(TomlTime { year: -1, ..t });
        }
    }
    if offset {
        if lit(&mut i, b'Z').is_some() {
            t.zone = Zone::Offset(0);
        } else {
            let sign = *b.get(i)?;
            if sign != b'+' && sign != b'-' {
                return None;
            }
            i += 1;
            let h = fixed2(&mut i)?;
            lit(&mut i, b':')?;
            let m = fixed2(&mut i)?;
            if h > 24 || m > 60 {
                return None;
            }
            let secs = (h * 3600 + m * 60) as i32;
            t.zone = Zone::Offset(if sign == b'-' { -secs } else { secs });
        }
    } else {
        t.zone = match (date, time) {
            (true, true) => Zone::LocalDatetime,
            (true, false) => Zone::LocalDate,
            _ => Zone::LocalTime,
        };
    }
    if i != b.len() {
        return None;
    }
    if date {
        let leap = (t.year % 4 == 0 && t.year % 100 != 0) || t.year % 400 == 0;
        let days = match t.month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if !(1..=days).contains(&t.day) {
            return None;
        }
    }
    Some(t)
}

// ---------------------------------------------------------------------------
// The lexer (BurntSushi's lex.go).

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum It {
    Error,
    Eof,
    Text,
    String,
    StringEsc,
    RawString,
    MultilineString,
    RawMultilineString,
    Bool,
    Integer,
    Float,
    Datetime,
    Array,
    ArrayEnd,
    TableStart,
    TableEnd,
    ArrayTableStart,
    ArrayTableEnd,
    KeyStart,
    KeyEnd,
    CommentStart,
    InlineTableStart,
    InlineTableEnd,
}

#[derive(Clone, Copy, Debug, Default)]
struct Pos {
    line: usize,
    start: usize,
    len: usize,
}

#[derive(Clone, Debug)]
struct Item {
    typ: It,
    val: String,
    err: Option<String>,
    pos: Pos,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum St {
    Top,
    TopEnd,
    TableStart,
    TableEnd,
    ArrayTableEnd,
    TableNameStart,
    TableNameEnd,
    BareName,
    QuotedName,
    KeyStart,
    KeyNameStart,
    KeyEnd,
    Value,
    ArrayValue,
    ArrayValueEnd,
    ArrayEnd,
    InlineTableValue,
    InlineTableValueEnd,
    InlineTableEnd,
    String,
    MultilineString,
    RawString,
    MultilineRawString,
    MultilineStringEscape,
    StringEscape,
    HexEscape,
    ShortUnicodeEscape,
    LongUnicodeEscape,
    NumberOrDateStart,
    NumberOrDate,
    Datetime,
    HexInteger,
    OctalInteger,
    BinaryInteger,
    DecimalNumber,
    DecimalNumberStart,
    BaseNumberOrDate,
    Float,
    Bool,
    CommentStart,
    Comment,
    /// Lexing stopped (an error or EOF was emitted).
    Done,
}

const EOF: char = '\0';

struct Lexer<'a> {
    input: &'a str,
    start: usize,
    pos: usize,
    line: usize,
    state: St,
    items: VecDeque<Item>,
    esc: bool,
    prev_widths: [usize; 4],
    nprev: usize,
    at_eof: bool,
    stack: Vec<St>,
}

fn is_whitespace(r: char) -> bool {
    r == '\t' || r == ' '
}
fn is_nl(r: char) -> bool {
    r == '\n' || r == '\r'
}
fn is_control(r: char) -> bool {
    !matches!(r, '\t' | '\r' | '\n') && ((r as u32) <= 0x1f || r == '\u{7f}')
}
fn is_digit(r: char) -> bool {
    r.is_ascii_digit()
}
fn is_binary(r: char) -> bool {
    r == '0' || r == '1'
}
fn is_octal(r: char) -> bool {
    ('0'..='7').contains(&r)
}
fn is_hex(r: char) -> bool {
    r.is_ascii_hexdigit()
}
fn is_bare_key_char(r: char) -> bool {
    r.is_ascii_alphanumeric() || r == '_' || r == '-'
}

/// Go's `%q` of a string or a rune.
fn q(s: &str) -> String {
    super::gofmt::quote(s)
}

fn q_rune(r: char) -> String {
    // %q of a rune: single-quoted.
    match r {
        '\'' => "'\\''".into(),
        '"' => "'\"'".into(),
        EOF => "'\\x00'".into(),
        r => {
            let s = q(&r.to_string());
            let inner = s
                .strip_prefix('"')
                .and_then(|x| x.strip_suffix('"'))
                .unwrap_or(&s);
            format!("'{inner}'")
        }
    }
}

fn rune_or_eof(r: char) -> String {
    if r == EOF {
        "end of file".into()
    } else {
        format!("'{r}'")
    }
}

impl<'a> Lexer<'a> {
    fn new(input: &'a str) -> Self {
        Lexer {
            input,
            start: 0,
            pos: 0,
            line: 1,
            state: St::Top,
            items: VecDeque::new(),
            esc: false,
            prev_widths: [0; 4],
            nprev: 0,
            at_eof: false,
            stack: Vec::new(),
        }
    }

    fn next_item(&mut self) -> Item {
        loop {
            if let Some(it) = self.items.pop_front() {
                return it;
            }
            if self.state == St::Done {
                return Item {
                    typ: It::Eof,
                    val: String::new(),
                    err: None,
                    pos: self.get_pos(),
                };
            }
            self.state = self.step(self.state);
        }
    }

    fn push(&mut self, s: St) {
        self.stack.push(s);
    }

    fn pop(&mut self) -> St {
        self.stack.pop().unwrap_or(St::Done)
    }

    fn current(&self) -> &'a str {
        self.input.get(self.start..self.pos).unwrap_or("")
    }

    fn get_pos(&self) -> Pos {
        let len = self.pos.saturating_sub(self.start);
        Pos {
            line: self.line,
            start: self.start,
            len: len.max(1),
        }
    }

    fn emit(&mut self, typ: It) {
        let val = self.current().to_string();
        self.items.push_back(Item {
            typ,
            val,
            err: None,
            pos: self.get_pos(),
        });
        self.start = self.pos;
    }

    fn emit_trim(&mut self, typ: It) {
        let val = self.current().trim().to_string();
        self.items.push_back(Item {
            typ,
            val,
            err: None,
            pos: self.get_pos(),
        });
        self.start = self.pos;
    }

    fn next(&mut self) -> char {
        if self.at_eof {
            // Go panics ("BUG in lexer"); cannot happen with these states.
            return EOF;
        }
        if self.pos >= self.input.len() {
            self.at_eof = true;
            return EOF;
        }
        if self.input.as_bytes()[self.pos] == b'\n' {
            self.line += 1;
        }
        self.prev_widths[3] = self.prev_widths[2];
        self.prev_widths[2] = self.prev_widths[1];
        self.prev_widths[1] = self.prev_widths[0];
        if self.nprev < 4 {
            self.nprev += 1;
        }
        let r = self.input[self.pos..].chars().next().unwrap_or(EOF);
        let w = r.len_utf8();
        let lone_cr = r == '\r'
            && (self.input.len() - 1 == self.pos || self.input.as_bytes()[self.pos + 1] != b'\n');
        if is_control(r) || lone_cr {
            let mut pos = self.get_pos();
            pos.start = self.pos.saturating_sub(1);
            pos.len = 1;
            self.items.push_back(Item {
                typ: It::Error,
                val: String::new(),
                err: Some(format!(
                    "TOML files cannot contain control characters: '0x{:02x}'",
                    r as u32
                )),
                pos,
            });
            return '\u{FFFD}';
        }
        self.prev_widths[0] = w;
        self.pos += w;
        r
    }

    fn ignore(&mut self) {
        self.start = self.pos;
    }

    fn backup(&mut self) {
        if self.at_eof {
            self.at_eof = false;
            return;
        }
        if self.nprev < 1 {
            return;
        }
        let w = self.prev_widths[0];
        self.prev_widths[0] = self.prev_widths[1];
        self.prev_widths[1] = self.prev_widths[2];
        self.prev_widths[2] = self.prev_widths[3];
        self.nprev -= 1;
        self.pos -= w;
        if self.pos < self.input.len() && self.input.as_bytes()[self.pos] == b'\n' {
            self.line -= 1;
        }
    }

    fn accept(&mut self, valid: char) -> bool {
        if self.next() == valid {
            return true;
        }
        self.backup();
        false
    }

    fn peek(&mut self) -> char {
        let r = self.next();
        self.backup();
        r
    }

    fn skip(&mut self, pred: fn(char) -> bool) {
        loop {
            let r = self.next();
            if pred(r) {
                continue;
            }
            self.backup();
            self.ignore();
            return;
        }
    }

    fn error_item(&mut self, pos: Pos, err: String) -> St {
        self.items.push_back(Item {
            typ: It::Error,
            val: String::new(),
            err: Some(err),
            pos,
        });
        St::Done
    }

    fn error(&mut self, err: String) -> St {
        let pos = self.get_pos();
        self.error_item(pos, err)
    }

    fn error_prev_line(&mut self, err: String) -> St {
        let mut pos = self.get_pos();
        pos.line -= 1;
        pos.len = 1;
        pos.start = self.pos.saturating_sub(1);
        self.error_item(pos, err)
    }

    fn errorf(&mut self, msg: String) -> St {
        if self.at_eof {
            let mut pos = self.get_pos();
            if self.pos >= 1 && self.input.as_bytes()[self.pos - 1] == b'\n' {
                pos.line -= 1;
            }
            pos.len = 1;
            pos.start = self.pos.saturating_sub(1);
            return self.error_item(pos, msg);
        }
        self.error(msg)
    }

    fn step(&mut self, st: St) -> St {
        match st {
            St::Done => St::Done,
            St::Top => {
                let r = self.next();
                if is_whitespace(r) || is_nl(r) {
                    self.ignore();
                    return St::Top;
                }
                match r {
                    '#' => {
                        self.push(St::Top);
                        return St::CommentStart;
                    }
                    '[' => return St::TableStart,
                    EOF => {
                        if self.pos > self.start {
                            return self.errorf("unexpected EOF".into());
                        }
                        self.emit(It::Eof);
                        return St::Done;
                    }
                    _ => {}
                }
                self.backup();
                self.push(St::TopEnd);
                St::KeyStart
            }
            St::TopEnd => {
                let r = self.next();
                if r == '#' {
                    self.push(St::Top);
                    return St::CommentStart;
                }
                if is_whitespace(r) {
                    return St::TopEnd;
                }
                if is_nl(r) {
                    self.ignore();
                    return St::Top;
                }
                if r == EOF {
                    self.emit(It::Eof);
                    return St::Done;
                }
                self.errorf(format!(
                    "expected a top-level item to end with a newline, comment, or EOF, but got {} instead",
                    q_rune(r)
                ))
            }
            St::TableStart => {
                if self.peek() == '[' {
                    self.next();
                    self.emit(It::ArrayTableStart);
                    self.push(St::ArrayTableEnd);
                } else {
                    self.emit(It::TableStart);
                    self.push(St::TableEnd);
                }
                St::TableNameStart
            }
            St::TableEnd => {
                self.emit(It::TableEnd);
                St::TopEnd
            }
            St::ArrayTableEnd => {
                let r = self.next();
                if r != ']' {
                    return self.errorf(format!(
                        "expected end of table array name delimiter ']', but got {} instead",
                        q_rune(r)
                    ));
                }
                self.emit(It::ArrayTableEnd);
                St::TopEnd
            }
            St::TableNameStart => {
                self.skip(is_whitespace);
                let r = self.peek();
                if r == ']' || r == EOF {
                    return self.errorf(
                        "unexpected end of table name (table names cannot be empty)".into(),
                    );
                }
                if r == '.' {
                    return self
                        .errorf("unexpected table separator (table names cannot be empty)".into());
                }
                if r == '"' || r == '\'' {
                    self.ignore();
                    self.push(St::TableNameEnd);
                    return St::QuotedName;
                }
                self.push(St::TableNameEnd);
                St::BareName
            }
            St::TableNameEnd => {
                self.skip(is_whitespace);
                let r = self.next();
                if r == '.' {
                    self.ignore();
                    return St::TableNameStart;
                }
                if r == ']' {
                    return self.pop();
                }
                self.errorf(format!(
                    "expected '.' or ']' to end table name, but got {} instead",
                    q_rune(r)
                ))
            }
            St::BareName => {
                let r = self.next();
                if is_bare_key_char(r) {
                    return St::BareName;
                }
                self.backup();
                self.emit(It::Text);
                self.pop()
            }
            St::QuotedName => {
                let r = self.next();
                match r {
                    '"' => {
                        self.ignore();
                        St::String
                    }
                    '\'' => {
                        self.ignore();
                        St::RawString
                    }
                    r if is_whitespace(r) => {
                        self.ignore();
                        St::Value
                    }
                    EOF => self.errorf("unexpected EOF; expected value".into()),
                    r => self.errorf(format!("expected value but found {} instead", q_rune(r))),
                }
            }
            St::KeyStart => {
                self.skip(is_whitespace);
                let r = self.peek();
                if r == '=' || r == EOF {
                    return self.errorf("unexpected '=': key name appears blank".into());
                }
                if r == '.' {
                    return self.errorf("unexpected '.': keys cannot start with a '.'".into());
                }
                if r == '"' || r == '\'' {
                    self.ignore();
                }
                self.emit(It::KeyStart);
                St::KeyNameStart
            }
            St::KeyNameStart => {
                self.skip(is_whitespace);
                let r = self.peek();
                if r == '"' || r == '\'' {
                    self.ignore();
                    self.push(St::KeyEnd);
                    return St::QuotedName;
                }
                if r == '=' || r == EOF {
                    return self.errorf("unexpected '='".into());
                }
                if r == '.' {
                    return self.errorf("unexpected '.'".into());
                }
                self.push(St::KeyEnd);
                St::BareName
            }
            St::KeyEnd => {
                self.skip(is_whitespace);
                let r = self.next();
                if is_whitespace(r) {
                    self.ignore();
                    return St::KeyEnd;
                }
                match r {
                    EOF => self.errorf("unexpected EOF; expected key separator '='".into()),
                    '.' => {
                        self.ignore();
                        St::KeyNameStart
                    }
                    '=' => {
                        self.emit(It::KeyEnd);
                        self.ignore();
                        St::Value
                    }
                    '\n' => self.error_prev_line(format!(
                        "expected '.' or '=', but got {} instead",
                        q_rune(r)
                    )),
                    r => self.errorf(format!(
                        "expected '.' or '=', but got {} instead",
                        q_rune(r)
                    )),
                }
            }
            St::Value => {
                let r = self.next();
                if is_whitespace(r) {
                    self.ignore();
                    return St::Value;
                }
                if is_digit(r) {
                    self.backup();
                    return St::NumberOrDateStart;
                }
                match r {
                    '[' => {
                        self.ignore();
                        self.emit(It::Array);
                        return St::ArrayValue;
                    }
                    '{' => {
                        self.ignore();
                        self.emit(It::InlineTableStart);
                        return St::InlineTableValue;
                    }
                    '"' => {
                        if self.accept('"') {
                            if self.accept('"') {
                                self.ignore();
                                return St::MultilineString;
                            }
                            self.backup();
                        }
                        self.ignore();
                        return St::String;
                    }
                    '\'' => {
                        if self.accept('\'') {
                            if self.accept('\'') {
                                self.ignore();
                                return St::MultilineRawString;
                            }
                            self.backup();
                        }
                        self.ignore();
                        return St::RawString;
                    }
                    '.' => return self.errorf("floats must start with a digit, not '.'".into()),
                    'i' | 'n'
                        if (self.accept('n') && self.accept('f'))
                            || (self.accept('a') && self.accept('n')) =>
                    {
                        self.emit(It::Float);
                        return self.pop();
                    }
                    '-' | '+' => return St::DecimalNumberStart,
                    _ => {}
                }
                if r.is_alphabetic() {
                    self.backup();
                    return St::Bool;
                }
                if r == EOF {
                    return self.errorf("unexpected EOF; expected value".into());
                }
                if r == '\n' {
                    return self.error_prev_line(format!(
                        "expected value but found {} instead",
                        q_rune(r)
                    ));
                }
                self.errorf(format!("expected value but found {} instead", q_rune(r)))
            }
            St::ArrayValue => {
                let r = self.next();
                if is_whitespace(r) || is_nl(r) {
                    self.ignore();
                    return St::ArrayValue;
                }
                match r {
                    '#' => {
                        self.push(St::ArrayValue);
                        St::CommentStart
                    }
                    ',' => self.errorf("unexpected comma".into()),
                    ']' => St::ArrayEnd,
                    _ => {
                        self.backup();
                        self.push(St::ArrayValueEnd);
                        St::Value
                    }
                }
            }
            St::ArrayValueEnd => {
                let r = self.next();
                if is_whitespace(r) || is_nl(r) {
                    self.ignore();
                    return St::ArrayValueEnd;
                }
                match r {
                    '#' => {
                        self.push(St::ArrayValueEnd);
                        St::CommentStart
                    }
                    ',' => {
                        self.ignore();
                        St::ArrayValue
                    }
                    ']' => St::ArrayEnd,
                    r => self.errorf(format!(
                        "expected a comma (',') or array terminator (']'), but got {}",
                        rune_or_eof(r)
                    )),
                }
            }
            St::ArrayEnd => {
                self.ignore();
                self.emit(It::ArrayEnd);
                self.pop()
            }
            St::InlineTableValue => {
                let r = self.next();
                if is_whitespace(r) || is_nl(r) {
                    self.ignore();
                    return St::InlineTableValue;
                }
                match r {
                    '#' => {
                        self.push(St::InlineTableValue);
                        St::CommentStart
                    }
                    ',' => self.errorf("unexpected comma".into()),
                    '}' => St::InlineTableEnd,
                    _ => {
                        self.backup();
                        self.push(St::InlineTableValueEnd);
                        St::KeyStart
                    }
                }
            }
            St::InlineTableValueEnd => {
                let r = self.next();
                if is_whitespace(r) || is_nl(r) {
                    self.ignore();
                    return St::InlineTableValueEnd;
                }
                match r {
                    '#' => {
                        self.push(St::InlineTableValueEnd);
                        St::CommentStart
                    }
                    ',' => {
                        self.ignore();
                        self.skip(is_whitespace);
                        if self.peek() == '}' {
                            return St::InlineTableValueEnd;
                        }
                        St::InlineTableValue
                    }
                    '}' => St::InlineTableEnd,
                    r => self.errorf(format!(
                        "expected a comma or an inline table terminator '}}', but got {} instead",
                        rune_or_eof(r)
                    )),
                }
            }
            St::InlineTableEnd => {
                self.ignore();
                self.emit(It::InlineTableEnd);
                self.pop()
            }
            St::String => {
                let r = self.next();
                if r == EOF {
                    return self.errorf("unexpected EOF; expected '\"'".into());
                }
                if is_nl(r) {
                    return self.error_prev_line("strings cannot contain newlines".into());
                }
                if r == '\\' {
                    self.push(St::String);
                    return St::StringEscape;
                }
                if r == '"' {
                    self.backup();
                    if self.esc {
                        self.esc = false;
                        self.emit(It::StringEsc);
                    } else {
                        self.emit(It::String);
                    }
                    self.next();
                    self.ignore();
                    return self.pop();
                }
                St::String
            }
            St::MultilineString => {
                let r = self.next();
                match r {
                    EOF => self.errorf("unexpected EOF; expected '\"\"\"'".into()),
                    '\\' => St::MultilineStringEscape,
                    '"' => {
                        if self.accept('"') {
                            if self.accept('"') {
                                if self.peek() == '"' {
                                    let cur = self.current();
                                    if cur.ends_with("\"\"\"\"\"") && !cur.ends_with("\\\"\"\"\"\"")
                                    {
                                        return self.errorf("unexpected '\"\"\"\"\"\"'".into());
                                    }
                                    self.backup();
                                    self.backup();
                                    return St::MultilineString;
                                }
                                self.backup();
                                self.backup();
                                self.backup();
                                self.esc = false;
                                self.emit(It::MultilineString);
                                self.next();
                                self.next();
                                self.next();
                                self.ignore();
                                return self.pop();
                            }
                            self.backup();
                        }
                        St::MultilineString
                    }
                    _ => St::MultilineString,
                }
            }
            St::RawString => {
                let r = self.next();
                if r == EOF {
                    return self.errorf("unexpected EOF; expected \"'\"".into());
                }
                if is_nl(r) {
                    return self.error_prev_line("strings cannot contain newlines".into());
                }
                if r == '\'' {
                    self.backup();
                    self.emit(It::RawString);
                    self.next();
                    self.ignore();
                    return self.pop();
                }
                St::RawString
            }
            St::MultilineRawString => {
                let r = self.next();
                match r {
                    EOF => self.errorf("unexpected EOF; expected \"'''\"".into()),
                    '\'' => {
                        if self.accept('\'') {
                            if self.accept('\'') {
                                if self.peek() == '\'' {
                                    if self.current().ends_with("'''''") {
                                        return self.errorf("unexpected \"''''''\"".into());
                                    }
                                    self.backup();
                                    self.backup();
                                    return St::MultilineRawString;
                                }
                                self.backup();
                                self.backup();
                                self.backup();
                                self.emit(It::RawMultilineString);
                                self.next();
                                self.next();
                                self.next();
                                self.ignore();
                                return self.pop();
                            }
                            self.backup();
                        }
                        St::MultilineRawString
                    }
                    _ => St::MultilineRawString,
                }
            }
            St::MultilineStringEscape => {
                if is_nl(self.next()) {
                    return St::MultilineString;
                }
                self.backup();
                self.push(St::MultilineString);
                St::StringEscape
            }
            St::StringEscape => {
                self.esc = true;
                let r = self.next();
                match r {
                    'e' | 'b' | 't' | 'n' | 'f' | 'r' | '"' | ' ' | '\t' | '\\' => self.pop(),
                    'x' => St::HexEscape,
                    'u' => St::ShortUnicodeEscape,
                    'U' => St::LongUnicodeEscape,
                    r => {
                        let msg = match r {
                            EOF | '\r' | '\n' => "unexpected end of line after '\\'".to_string(),
                            r => format!("invalid escape in string '\\{r}'"),
                        };
                        self.error(msg)
                    }
                }
            }
            St::HexEscape | St::ShortUnicodeEscape | St::LongUnicodeEscape => {
                let (n, what, letter) = match st {
                    St::HexEscape => (2, "two", 'x'),
                    St::ShortUnicodeEscape => (4, "four", 'u'),
                    _ => (8, "eight", 'U'),
                };
                for _ in 0..n {
                    let r = self.next();
                    if !is_hex(r) {
                        let cur = self.current().to_string();
                        return self.errorf(format!(
                            "expected {what} hexadecimal digits after '\\{letter}', but got {} instead",
                            q(&cur)
                        ));
                    }
                }
                self.pop()
            }
            St::NumberOrDateStart => {
                if self.next() == '0' {
                    return St::BaseNumberOrDate;
                }
                St::NumberOrDate
            }
            St::NumberOrDate => {
                let r = self.next();
                if is_digit(r) {
                    return St::NumberOrDate;
                }
                match r {
                    '-' | ':' => St::Datetime,
                    '_' => St::DecimalNumber,
                    '.' | 'e' | 'E' => St::Float,
                    _ => {
                        self.backup();
                        self.emit(It::Integer);
                        self.pop()
                    }
                }
            }
            St::Datetime => {
                let r = self.next();
                if is_digit(r) {
                    return St::Datetime;
                }
                match r {
                    '-' | ':' | 'T' | 't' | ' ' | '.' | 'Z' | 'z' | '+' => St::Datetime,
                    _ => {
                        self.backup();
                        self.emit_trim(It::Datetime);
                        self.pop()
                    }
                }
            }
            St::HexInteger | St::OctalInteger | St::BinaryInteger => {
                let r = self.next();
                let ok = match st {
                    St::HexInteger => is_hex(r),
                    St::OctalInteger => is_octal(r),
                    _ => is_binary(r),
                };
                if ok || r == '_' {
                    return st;
                }
                self.backup();
                self.emit(It::Integer);
                self.pop()
            }
            St::DecimalNumber => {
                let r = self.next();
                if is_digit(r) {
                    return St::DecimalNumber;
                }
                match r {
                    '.' | 'e' | 'E' => St::Float,
                    '_' => St::DecimalNumber,
                    _ => {
                        self.backup();
                        self.emit(It::Integer);
                        self.pop()
                    }
                }
            }
            St::DecimalNumberStart => {
                let r = self.next();
                match r {
                    'i' => {
                        if !self.accept('n') || !self.accept('f') {
                            let cur = self.current().to_string();
                            return self.errorf(format!("invalid float: '{cur}'"));
                        }
                        self.emit(It::Float);
                        return self.pop();
                    }
                    'n' => {
                        if !self.accept('a') || !self.accept('n') {
                            let cur = self.current().to_string();
                            return self.errorf(format!("invalid float: '{cur}'"));
                        }
                        self.emit(It::Float);
                        return self.pop();
                    }
                    '0' => {
                        let p = self.peek();
                        if matches!(p, 'b' | 'o' | 'x') {
                            let cur = self.current().to_string();
                            return self.errorf(format!(
                                "cannot use sign with non-decimal numbers: '{cur}{p}'"
                            ));
                        }
                    }
                    '.' => return self.errorf("floats must start with a digit, not '.'".into()),
                    _ => {}
                }
                if is_digit(r) {
                    return St::DecimalNumber;
                }
                self.errorf(format!("expected a digit but got {}", q_rune(r)))
            }
            St::BaseNumberOrDate => {
                let r = self.next();
                if is_digit(r) {
                    return St::NumberOrDate;
                }
                match r {
                    '_' => St::DecimalNumber,
                    '.' | 'e' | 'E' => St::Float,
                    'b' | 'o' | 'x' => {
                        let p = self.peek();
                        let (ok, what, next) = match r {
                            'b' => (is_binary(p), "binary", St::BinaryInteger),
                            'o' => (is_octal(p), "octal", St::OctalInteger),
                            _ => (is_hex(p), "hexadecimal", St::HexInteger),
                        };
                        if !ok {
                            // Go emits the error and goes on lexing.
                            let cur = self.current().to_string();
                            let pc = if p == EOF { '\0' } else { p };
                            self.errorf(format!("not a {what} number: '{cur}{pc}'"));
                        }
                        next
                    }
                    _ => {
                        self.backup();
                        self.emit(It::Integer);
                        self.pop()
                    }
                }
            }
            St::Float => {
                let r = self.next();
                if is_digit(r) {
                    return St::Float;
                }
                match r {
                    '_' | '.' | '-' | '+' | 'e' | 'E' => St::Float,
                    _ => {
                        self.backup();
                        self.emit(It::Float);
                        self.pop()
                    }
                }
            }
            St::Bool => {
                let mut rs = String::new();
                loop {
                    let r = self.next();
                    if !r.is_alphabetic() {
                        self.backup();
                        break;
                    }
                    rs.push(r);
                }
                if rs == "true" || rs == "false" {
                    self.emit(It::Bool);
                    return self.pop();
                }
                self.errorf(format!("expected value but found {} instead", q(&rs)))
            }
            St::CommentStart => {
                self.ignore();
                self.emit(It::CommentStart);
                St::Comment
            }
            St::Comment => {
                let r = self.next();
                if is_nl(r) || r == EOF {
                    self.backup();
                    self.emit(It::Text);
                    return self.pop();
                }
                St::Comment
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The parser (BurntSushi's parse.go).

#[derive(Clone, Debug)]
enum TVal {
    Table(BTreeMap<String, TVal>),
    TableArray(Vec<BTreeMap<String, TVal>>),
    Array(Vec<TVal>),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Time(TomlTime),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ty {
    Array,
    Hash,
    ArrayHash,
    Other,
}

/// A Go panic inside the parser: a parse error (with its message) or a
/// bug panic.
struct Fail(String);

type PResult<T> = Result<T, Fail>;

/// The decoder's default maximum nesting.
const MAX_DEPTH: usize = 128;

struct Parser<'a> {
    lx: Lexer<'a>,
    arr_depth: usize,
    context: Vec<String>,
    current_key: String,
    pos: Pos,
    key_info: HashMap<String, Ty>,
    mapping: BTreeMap<String, TVal>,
    implicits: HashSet<String>,
}

fn key_str(key: &[String]) -> String {
    let parts: Vec<String> = key.iter().map(|k| maybe_quoted(k)).collect();
    parts.join(".")
}

impl<'a> Parser<'a> {
    fn current(&self) -> String {
        if self.current_key.is_empty() {
            return key_str(&self.context);
        }
        if self.context.is_empty() {
            return self.current_key.clone();
        }
        format!("{}.{}", key_str(&self.context), self.current_key)
    }

    fn error(&self, line: usize, msg: String) -> Fail {
        let last = self.current();
        if last.is_empty() {
            Fail(format!("toml: line {line}: {msg}"))
        } else {
            Fail(format!("toml: line {line} (last key {}): {msg}", q(&last)))
        }
    }

    fn panicf(&self, msg: String) -> Fail {
        self.error(self.pos.line, msg)
    }

    fn bug(msg: String) -> Fail {
        Fail(format!("BUG: {msg}\n\n"))
    }

    fn next(&mut self) -> PResult<Item> {
        let it = self.lx.next_item();
        if it.typ == It::Error {
            let msg = it.err.clone().unwrap_or_else(|| it.val.clone());
            return Err(self.error(it.pos.line, msg));
        }
        Ok(it)
    }

    fn next_pos(&mut self) -> PResult<Item> {
        let it = self.next()?;
        self.pos = it.pos;
        Ok(it)
    }

    fn expect(&mut self, typ: It) -> PResult<Item> {
        let it = self.next()?;
        if it.typ != typ {
            return Err(Self::bug(format!(
                "Expected '{typ:?}' but got '{:?}'.",
                it.typ
            )));
        }
        Ok(it)
    }

    fn read_key(&mut self, end: It) -> PResult<Vec<String>> {
        let mut k = self.next_pos()?;
        let mut key = Vec::new();
        while k.typ != end && k.typ != It::Eof {
            key.push(self.key_string(&k)?);
            k = self.next()?;
        }
        if k.typ != end {
            return Err(Self::bug(format!(
                "Expected '{end:?}' but got '{:?}'.",
                k.typ
            )));
        }
        Ok(key)
    }

    fn top_level(&mut self, item: Item) -> PResult<()> {
        match item.typ {
            It::CommentStart => {
                self.expect(It::Text)?;
            }
            It::TableStart => {
                let key = self.read_key(It::TableEnd)?;
                self.add_context(&key, false)?;
                self.set_type("", Ty::Hash);
            }
            It::ArrayTableStart => {
                let key = self.read_key(It::ArrayTableEnd)?;
                self.add_context(&key, true)?;
                self.set_type("", Ty::ArrayHash);
            }
            It::KeyStart => {
                let outer = self.context.clone();
                let key = self.read_key(It::KeyEnd)?;
                let Some(last) = key.last().cloned() else {
                    return Err(Self::bug("empty key".into()));
                };
                self.current_key = last;
                let parent = &key[..key.len() - 1];
                for part in parent {
                    let mut k = self.context.clone();
                    k.push(part.clone());
                    self.add_implicit_context(&k)?;
                }
                let v_item = self.next()?;
                let (val, typ) = self.value(&v_item, false)?;
                let ck = self.current_key.clone();
                self.set_value(&ck, val)?;
                self.set_type(&ck, typ);
                self.context = outer;
                self.current_key.clear();
            }
            other => {
                return Err(Self::bug(format!(
                    "Unexpected type at top level: {other:?}"
                )))
            }
        }
        Ok(())
    }

    fn key_string(&mut self, it: &Item) -> PResult<String> {
        match it.typ {
            It::Text => Ok(it.val.clone()),
            It::String
            | It::StringEsc
            | It::MultilineString
            | It::RawString
            | It::RawMultilineString => match self.value(it, false)?.0 {
                TVal::Str(s) => Ok(s),
                _ => Err(Self::bug("key".into())),
            },
            other => Err(Self::bug(format!("Unexpected key type: {other:?}"))),
        }
    }

    fn item_error(&self, it: &Item, msg: String) -> Fail {
        self.error(it.pos.line, msg)
    }

    fn value(&mut self, it: &Item, parent_is_array: bool) -> PResult<(TVal, Ty)> {
        grow(|| {
            Ok(match it.typ {
                It::String | It::RawString => (TVal::Str(it.val.clone()), Ty::Other),
                It::StringEsc => (TVal::Str(self.replace_escapes(it, &it.val)?), Ty::Other),
                It::MultilineString => {
                    let s = strip_escaped_newlines(strip_first_newline(&it.val));
                    (TVal::Str(self.replace_escapes(it, &s)?), Ty::Other)
                }
                It::RawMultilineString => (
                    TVal::Str(strip_first_newline(&it.val).to_string()),
                    Ty::Other,
                ),
                It::Integer => (self.value_integer(it)?, Ty::Other),
                It::Float => (self.value_float(it)?, Ty::Other),
                It::Bool => (TVal::Bool(it.val == "true"), Ty::Other),
                It::Datetime => match parse_datetime(&it.val) {
                    Some(t) if t.year >= 0 => (TVal::Time(t), Ty::Other),
                    _ => {
                        let v: String = it
                            .val
                            .chars()
                            .map(|c| match c {
                                'z' => 'Z',
                                't' | ' ' => 'T',
                                c => c,
                            })
                            .collect();
                        return Err(self.item_error(it, format!("invalid datetime: {}", q(&v))));
                    }
                },
                It::Array => self.value_array()?,
                It::InlineTableStart => self.value_inline_table(parent_is_array)?,
                other => return Err(Self::bug(format!("Unexpected value type: {other:?}"))),
            })
        })
    }

    fn value_integer(&self, it: &Item) -> PResult<TVal> {
        if !num_underscores_ok(&it.val) {
            return Err(self.item_error(
                it,
                format!(
                    "Invalid integer {}: underscores must be surrounded by digits",
                    q(&it.val)
                ),
            ));
        }
        if num_has_leading_zero(&it.val) {
            return Err(self.item_error(
                it,
                format!("Invalid integer {}: cannot have leading zeroes", q(&it.val)),
            ));
        }
        let clean: String = it.val.chars().filter(|&c| c != '_').collect();
        let (neg, body) = match clean.as_bytes().first() {
            Some(b'-') => (true, &clean[1..]),
            Some(b'+') => (false, &clean[1..]),
            _ => (false, &clean[..]),
        };
        let (radix, digits) = if let Some(d) = body.strip_prefix("0x") {
            (16, d)
        } else if let Some(d) = body.strip_prefix("0o") {
            (8, d)
        } else if let Some(d) = body.strip_prefix("0b") {
            (2, d)
        } else {
            (10, body)
        };
        let magnitude = u64::from_str_radix(digits, radix).ok();
        let v = match magnitude {
            Some(m) if neg && m <= 1u64 << 63 => Some((m as i64).wrapping_neg()),
            Some(m) if !neg && m <= i64::MAX as u64 => Some(m as i64),
            _ => None,
        };
        match v {
            Some(v) => Ok(TVal::Int(v)),
            None if digits.bytes().all(|c| (c as char).is_digit(radix)) && !digits.is_empty() => {
                Err(self.item_error(it, format!("{} is out of range for int64", it.val)))
            }
            None => Err(Self::bug(format!(
                "Expected integer value, but got '{}'.",
                it.val
            ))),
        }
    }

    fn value_float(&self, it: &Item) -> PResult<TVal> {
        let parts: Vec<&str> = it
            .val
            .split(['.', 'e', 'E'])
            .filter(|p| !p.is_empty())
            .collect();
        for part in &parts {
            if !num_underscores_ok(part) {
                return Err(self.item_error(
                    it,
                    format!(
                        "Invalid float {}: underscores must be surrounded by digits",
                        q(&it.val)
                    ),
                ));
            }
        }
        if let Some(first) = parts.first() {
            if num_has_leading_zero(first) {
                return Err(self.item_error(
                    it,
                    format!("Invalid float {}: cannot have leading zeroes", q(&it.val)),
                ));
            }
        }
        if !num_periods_ok(&it.val) {
            return Err(self.item_error(
                it,
                format!(
                    "Invalid float {}: '.' must be followed by one or more digits",
                    q(&it.val)
                ),
            ));
        }
        let mut val: String = it.val.chars().filter(|&c| c != '_').collect();
        let mut signbit = false;
        if val == "+nan" || val == "-nan" {
            signbit = val == "-nan";
            val = "nan".into();
        }
        let num = match val.as_str() {
            "nan" => f64::NAN,
            "inf" | "+inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            v => {
                if !go_float_syntax(v) {
                    return Err(self.item_error(it, format!("Invalid float value: {}", q(&it.val))));
                }
                match v.parse::<f64>() {
                    Ok(f) if f.is_finite() => f,
                    Ok(_) => {
                        return Err(
                            self.item_error(it, format!("{} is out of range for float64", it.val))
                        )
                    }
                    Err(_) => {
                        return Err(
                            self.item_error(it, format!("Invalid float value: {}", q(&it.val)))
                        )
                    }
                }
            }
        };
        Ok(TVal::Float(if signbit { -num.abs() } else { num }))
    }

    fn value_array(&mut self) -> PResult<(TVal, Ty)> {
        if self.arr_depth >= MAX_DEPTH {
            return Err(self.panicf(format!("exceeds maximum array depth of {MAX_DEPTH}")));
        }
        self.arr_depth += 1;
        let r = self.value_array_items();
        self.arr_depth -= 1;
        r
    }

    fn value_array_items(&mut self) -> PResult<(TVal, Ty)> {
        let ck = self.current_key.clone();
        self.set_type(&ck, Ty::Array);
        let mut array = Vec::new();
        loop {
            let it = self.next()?;
            if it.typ == It::ArrayEnd {
                break;
            }
            if it.typ == It::CommentStart {
                self.expect(It::Text)?;
                continue;
            }
            let (v, _) = self.value(&it, true)?;
            array.push(v);
        }
        Ok((TVal::Array(array), Ty::Array))
    }

    fn value_inline_table(&mut self, parent_is_array: bool) -> PResult<(TVal, Ty)> {
        let mut top: BTreeMap<String, TVal> = BTreeMap::new();
        let outer_context = self.context.clone();
        let outer_key = self.current_key.clone();
        let mut ctx = self.context.clone();
        ctx.push(self.current_key.clone());
        self.context = ctx.clone();
        let prev_context = ctx.clone();
        self.current_key.clear();
        self.add_implicit(&ctx);
        self.add_context(&ctx, parent_is_array)?;
        loop {
            let it = self.next()?;
            if it.typ == It::InlineTableEnd {
                break;
            }
            if it.typ == It::CommentStart {
                self.expect(It::Text)?;
                continue;
            }
            let key = self.read_key(It::KeyEnd)?;
            let Some(last) = key.last().cloned() else {
                return Err(Self::bug("empty key".into()));
            };
            self.current_key = last.clone();
            let parent: Vec<String> = key[..key.len() - 1].to_vec();
            for part in &parent {
                let mut k = self.context.clone();
                k.push(part.clone());
                self.add_implicit_context(&k)?;
            }
            let v_item = self.next()?;
            let (val, typ) = self.value(&v_item, false)?;
            self.set_value(&last, val.clone())?;
            self.set_type(&last, typ);
            let mut hash = &mut top;
            for c in &parent {
                let entry = hash
                    .entry(c.clone())
                    .or_insert_with(|| TVal::Table(BTreeMap::new()));
                match entry {
                    TVal::Table(h) => hash = h,
                    _ => {
                        let msg = format!("{} is not a table", q(&key_str(&self.context)));
                        return Err(self.panicf(msg));
                    }
                }
            }
            hash.insert(last, val);
            self.context = prev_context.clone();
        }
        self.context = outer_context;
        self.current_key = outer_key;
        Ok((TVal::Table(top), Ty::Hash))
    }

    fn replace_escapes(&self, it: &Item, s: &str) -> PResult<String> {
        let mut out = String::with_capacity(s.len());
        let mut chars = s.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            let rest = &s[i + 1..];
            let Some(e) = rest.chars().next() else {
                return Err(Self::bug("Escape sequence at end of string.".into()));
            };
            let mut skip = 1;
            match e {
                ' ' | '\t' => {
                    return Err(self.item_error(it, format!("invalid escape: '\\{e}'")));
                }
                'b' => out.push('\u{8}'),
                't' => out.push('\t'),
                'n' => out.push('\n'),
                'f' => out.push('\u{c}'),
                'r' => out.push('\r'),
                'e' => out.push('\u{1b}'),
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                'x' | 'u' | 'U' => {
                    let n = match e {
                        'x' => 2,
                        'u' => 4,
                        _ => 8,
                    };
                    let hex = rest.get(1..1 + n).unwrap_or("");
                    let code = u32::from_str_radix(hex, 16).unwrap_or(u32::MAX);
                    match char::from_u32(code) {
                        Some(ch) => out.push(ch),
                        None => {
                            return Err(self.item_error(
                                it,
                                format!("Escaped character '\\u{hex}' is not valid UTF-8."),
                            ))
                        }
                    }
                    skip += n;
                }
                other => {
                    return Err(Self::bug(format!(
                        "Expected valid escape code after \\, but got {}.",
                        q_rune(other)
                    )))
                }
            }
            for _ in 0..skip {
                chars.next();
            }
        }
        Ok(out)
    }

    // The key bookkeeping, as parse.go keeps it.

    fn add_implicit(&mut self, key: &[String]) {
        self.implicits.insert(key_str(key));
    }

    fn remove_implicit(&mut self, key: &[String]) {
        self.implicits.remove(&key_str(key));
    }

    fn is_implicit(&self, key: &[String]) -> bool {
        self.implicits.contains(&key_str(key))
    }

    fn is_array(&self, key: &[String]) -> bool {
        self.key_info.get(&key_str(key)) == Some(&Ty::Array)
    }

    fn add_implicit_context(&mut self, key: &[String]) -> PResult<()> {
        self.add_implicit(key);
        self.add_context(key, false)
    }

    fn set_type(&mut self, key: &str, typ: Ty) {
        let mut k = self.context.clone();
        if !key.is_empty() {
            k.push(key.to_string());
        }
        let s = if k.is_empty() {
            "\"\"".to_string()
        } else {
            key_str(&k)
        };
        self.key_info.insert(s, typ);
    }

    fn add_context(&mut self, key: &[String], array: bool) -> PResult<()> {
        if key.len() >= MAX_DEPTH {
            return Err(Fail(format!(
                "toml: line {}: exceeds maximum table depth of {MAX_DEPTH}",
                self.pos.line
            )));
        }
        let Some((last, parents)) = key.split_last() else {
            return Err(Self::bug("empty key".into()));
        };
        let mut key_context: Vec<String> = Vec::new();
        // Walk down, creating implicit tables.
        let mut implicit_new: Vec<Vec<String>> = Vec::new();
        {
            let mut hash = &mut self.mapping;
            for k in parents {
                key_context.push(k.clone());
                if !hash.contains_key(k) {
                    implicit_new.push(key_context.clone());
                    hash.insert(k.clone(), TVal::Table(BTreeMap::new()));
                }
                match hash.get_mut(k) {
                    Some(TVal::TableArray(t)) if !t.is_empty() => {
                        let n = t.len() - 1;
                        hash = &mut t[n];
                    }
                    Some(TVal::Table(t)) => hash = t,
                    _ => {
                        let msg = format!(
                            "Key '{}' was already created as a hash.",
                            key_str(&key_context)
                        );
                        for k in implicit_new {
                            self.implicits.insert(key_str(&k));
                        }
                        return Err(self.panicf(msg));
                    }
                }
            }
            if array {
                let entry = hash
                    .entry(last.clone())
                    .or_insert_with(|| TVal::TableArray(Vec::new()));
                match entry {
                    TVal::TableArray(t) => t.push(BTreeMap::new()),
                    _ => {
                        let msg = format!(
                            "Key '{}' was already created and cannot be used as an array.",
                            key_str(key)
                        );
                        for k in implicit_new {
                            self.implicits.insert(key_str(&k));
                        }
                        self.context = key_context;
                        return Err(self.panicf(msg));
                    }
                }
            }
        }
        for k in implicit_new {
            self.add_implicit(&k);
        }
        self.context = key_context;
        if !array {
            self.set_value(last, TVal::Table(BTreeMap::new()))?;
        }
        self.context.push(last.clone());
        Ok(())
    }

    fn set_value(&mut self, key: &str, value: TVal) -> PResult<()> {
        let mut key_context: Vec<String> = Vec::new();
        let context = self.context.clone();
        // Find the table of the context (checking each step).
        {
            let mut hash = &self.mapping;
            for k in &context {
                key_context.push(k.clone());
                match hash.get(k) {
                    None => {
                        return Err(Self::bug(format!(
                            "Context for key '{}' has not been established.",
                            key_str(&key_context)
                        )))
                    }
                    Some(TVal::TableArray(t)) if !t.is_empty() => hash = &t[t.len() - 1],
                    Some(TVal::Table(t)) => hash = t,
                    _ => {
                        let msg =
                            format!("Key '{}' has already been defined.", key_str(&key_context));
                        return Err(self.panicf(msg));
                    }
                }
            }
            key_context.push(key.to_string());
            if hash.contains_key(key) {
                if self.is_array(&key_context) {
                    if !self.is_implicit(&key_context) {
                        let msg =
                            format!("Key '{}' has already been defined.", key_str(&key_context));
                        return Err(self.panicf(msg));
                    }
                    self.remove_implicit(&key_context);
                    // Replace below.
                } else if self.is_implicit(&key_context) {
                    self.remove_implicit(&key_context);
                    return Ok(());
                } else {
                    let msg = format!("Key '{}' has already been defined.", key_str(&key_context));
                    return Err(self.panicf(msg));
                }
            }
        }
        let mut hash = &mut self.mapping;
        for k in &context {
            match hash.get_mut(k) {
                Some(TVal::TableArray(t)) if !t.is_empty() => {
                    let n = t.len() - 1;
                    hash = &mut t[n];
                }
                Some(TVal::Table(t)) => hash = t,
                _ => return Err(Self::bug("context".into())),
            }
        }
        hash.insert(key.to_string(), value);
        Ok(())
    }
}

fn strip_first_newline(s: &str) -> &str {
    if let Some(rest) = s.strip_prefix('\n') {
        return rest;
    }
    if let Some(rest) = s.strip_prefix("\r\n") {
        return rest;
    }
    s
}

/// parse.go's `stripEscapedNewlines`.
fn strip_escaped_newlines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut s = s;
    let mut i = 0;
    loop {
        let Some(ix) = s[i..].find('\\') else {
            out.push_str(s);
            return out;
        };
        i += ix;
        let b = s.as_bytes();
        if b.len() > i + 1 && b[i + 1] == b'\\' {
            i += 2;
            continue;
        }
        let mut j = i + 1;
        while j < b.len() && matches!(b[j], b' ' | b'\t' | b'\r' | b'\n') {
            j += 1;
        }
        if j == i + 1 {
            i += 1;
            continue;
        }
        if !s[i..j].contains('\n') {
            i += 1;
            continue;
        }
        out.push_str(&s[..i]);
        s = &s[j..];
        i = 0;
    }
}

fn num_has_leading_zero(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() > 1 && b[0] == b'0' && !matches!(b[1], b'b' | b'o' | b'x') {
        return true;
    }
    b.len() > 2 && (b[0] == b'-' || b[0] == b'+') && b[1] == b'0'
}

fn num_underscores_ok(s: &str) -> bool {
    if matches!(s, "nan" | "+nan" | "-nan" | "inf" | "-inf" | "+inf") {
        return true;
    }
    let mut accept = false;
    for r in s.chars() {
        if r == '_' && !accept {
            return false;
        }
        accept = is_hex(r);
    }
    accept
}

fn num_periods_ok(s: &str) -> bool {
    let mut period = false;
    for r in s.chars() {
        if period && !is_digit(r) {
            return false;
        }
        period = r == '.';
    }
    !period
}

/// Whether `strconv.ParseFloat` accepts the (underscore-free) decimal text.
fn go_float_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    let mut digits = false;
    let mut dot = false;
    while i < b.len() {
        match b[i] {
            b'0'..=b'9' => digits = true,
            b'.' if !dot => dot = true,
            _ => break,
        }
        i += 1;
    }
    if !digits {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

fn to_value(v: TVal) -> Value {
    grow(|| match v {
        TVal::Table(m) => table_value(m),
        TVal::TableArray(ts) => {
            Value::typed_list(Elem::AnyMap, ts.into_iter().map(table_value).collect())
        }
        TVal::Array(items) => Value::list(items.into_iter().map(to_value).collect()),
        TVal::Str(s) => Value::from(s),
        TVal::Int(i) => Value::Int64(i),
        TVal::Float(f) => Value::Float(f),
        TVal::Bool(b) => Value::Bool(b),
        TVal::Time(t) => Value::Object(Rc::new(t)),
    })
}

fn table_value(m: BTreeMap<String, TVal>) -> Value {
    let entries: BTreeMap<Str, Value> = m
        .into_iter()
        .map(|(k, v)| (Str::from(k.as_str()), to_value(v)))
        .collect();
    Value::map(entries)
}

/// `toml.Unmarshal(text, &m)` with `m` a fresh `map[string]interface{}`:
/// the map (empty on error) and the error's text.
pub fn from_str(text: &str) -> (Value, Option<String>) {
    let mut data = text;
    if let Some(rest) = data.strip_prefix('\u{feff}') {
        data = rest;
    }
    if data.as_bytes()[..data.len().min(6)].contains(&0) {
        return (
            Value::empty_map(),
            Some(
                "toml: line 1: files cannot contain NULL bytes; probably using UTF-16; TOML files must be UTF-8"
                    .into(),
            ),
        );
    }
    let mut p = Parser {
        lx: Lexer::new(data),
        arr_depth: 0,
        context: Vec::new(),
        current_key: String::new(),
        pos: Pos::default(),
        key_info: HashMap::new(),
        mapping: BTreeMap::new(),
        implicits: HashSet::new(),
    };
    let result: PResult<()> = (|| loop {
        let item = p.next()?;
        if item.typ == It::Eof {
            return Ok(());
        }
        p.top_level(item)?;
    })();
    match result {
        Ok(()) => (table_value(std::mem::take(&mut p.mapping)), None),
        Err(Fail(msg)) => (Value::empty_map(), Some(msg)),
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

    #[test]
    fn encode_tables_as_burntsushi() {
        // From the oracle (toToml-nested, toToml-array-of-tables...).
        let v = m(&[
            ("z", Value::Int(1)),
            (
                "t",
                m(&[
                    ("a", Value::Int(1)),
                    (
                        "s",
                        m(&[("b", Value::Int(2)), ("u", m(&[("c", Value::Int(3))]))]),
                    ),
                ]),
            ),
            ("a", Value::str("first")),
        ]);
        assert_eq!(
            to_string(&v).unwrap(),
            "a = \"first\"\nz = 1\n\n[t]\n  a = 1\n  [t.s]\n    b = 2\n    [t.s.u]\n      c = 3\n"
        );
        let v = m(&[(
            "arr",
            Value::list(vec![
                m(&[("a", Value::Int(1))]),
                m(&[("b", m(&[("c", Value::Int(2))]))]),
            ]),
        )]);
        assert_eq!(
            to_string(&v).unwrap(),
            "[[arr]]\n  a = 1\n\n[[arr]]\n  [arr.b]\n    c = 2\n"
        );
        let v = m(&[(
            "t",
            m(&[(
                "arr",
                Value::list(vec![m(&[("a", Value::Int(1))]), m(&[("a", Value::Int(2))])]),
            )]),
        )]);
        assert_eq!(
            to_string(&v).unwrap(),
            "[t]\n\n  [[t.arr]]\n    a = 1\n\n  [[t.arr]]\n    a = 2\n"
        );
        let v = m(&[(
            "mixed",
            Value::list(vec![Value::Int(1), m(&[("a", Value::Int(1))])]),
        )]);
        assert_eq!(to_string(&v).unwrap(), "mixed = [1, {a = 1}]\n");
        let v = m(&[
            ("a b", Value::Int(1)),
            ("é", Value::Int(2)),
            ("", Value::Int(3)),
            ("q\"k", Value::Int(6)),
        ]);
        assert_eq!(
            to_string(&v).unwrap(),
            "\"\" = 3\n\"a b\" = 1\n\"q\\\"k\" = 6\n\"é\" = 2\n"
        );
    }

    #[test]
    fn encode_scalars_and_errors() {
        let v = m(&[
            ("a", Value::Float(1.0)),
            ("b", Value::Float(1e6)),
            ("f", Value::Float(-0.0)),
            ("n", Value::Float(f64::NAN)),
            ("i", Value::Float(f64::NEG_INFINITY)),
            ("s", Value::str("q\" \\ \n \u{1} \u{7f}")),
        ]);
        assert_eq!(
            to_string(&v).unwrap(),
            "a = 1.0\nb = 1e+06\nf = -0.0\ni = -inf\nn = nan\ns = \"q\\\" \\\\ \\n \\u0001 \\u007f\"\n"
        );
        assert_eq!(to_string(&Value::str("hello")).unwrap(), "\"hello\"");
        assert_eq!(
            to_string(&Value::list(vec![m(&[("a", Value::Int(1))])])).unwrap_err(),
            TomlError::Encode(ERR_NO_KEY.into())
        );
        assert_eq!(
            to_string(&m(&[("a", Value::list(vec![Value::Int(1), Value::Nil]))])).unwrap_err(),
            TomlError::Encode(ERR_ARRAY_NIL.into())
        );
        assert!(matches!(to_string(&Value::Nil), Err(TomlError::Panic(_))));
    }

    fn err(text: &str) -> String {
        from_str(text).1.unwrap_or_default()
    }

    #[test]
    fn decode_values() {
        let (v, e) = from_str("a = 1\nb = \"x\"\nc = true\nd = 1.5\n[t]\ne = [1, 2]");
        assert!(e.is_none());
        assert_eq!(v.to_string(), "map[a:1 b:x c:true d:1.5 t:map[e:[1 2]]]");
        let (v, _) = from_str("[[a]]\nx = 1\n[[a]]\nx = 2\n[a.b]\ny = 3");
        assert_eq!(v.to_string(), "map[a:[map[x:1] map[b:map[y:3] x:2]]]");
        let (v, _) = from_str("a.b.c = 1\n\"q k\".d = 2\np = {x = 1, y = {z = [1, 2]}}");
        assert_eq!(
            v.to_string(),
            "map[a:map[b:map[c:1]] p:map[x:1 y:map[z:[1 2]]] q k:map[d:2]]"
        );
        let (v, _) = from_str("h = 0xff\no = 0o17\nb = 0b11\nu = 1_000\ninf = inf\ne = 1e3");
        assert_eq!(v.to_string(), "map[b:3 e:1000 h:255 inf:+Inf o:15 u:1000]");
        let (v, _) = from_str("odt = 1979-05-27T07:32:00Z\nodt2 = 1979-05-27T00:32:00.999999-07:00\nldt = 1979-05-27T07:32:00\nld = 1979-05-27\nlt = 07:32:00");
        assert_eq!(
            v.to_string(),
            "map[ld:1979-05-27 00:00:00 +0000 date-local ldt:1979-05-27 07:32:00 +0000 datetime-local lt:0000-01-01 07:32:00 +0000 time-local odt:1979-05-27 07:32:00 +0000 UTC odt2:1979-05-27 00:32:00.999999 -0700 -0700]"
        );
        let (v, _) = from_str(
            "a = \"x\\ty\\u00e9\"\nb = 'lit\\n'\nc = \"\"\"\nml\nstr\"\"\"\nd = '''\nraw\n'''",
        );
        assert_eq!(v.to_string(), "map[a:x\tyé b:lit\\n c:ml\nstr d:raw\n]");
    }

    #[test]
    fn decode_errors_as_go() {
        // From the oracle (fromToml-error-*).
        let cases = [
            (
                "a = ",
                "toml: line 1 (last key \"a\"): unexpected EOF; expected value",
            ),
            (
                "a = 1\na = 2",
                "toml: line 2 (last key \"a\"): Key 'a' has already been defined.",
            ),
            (
                "a",
                "toml: line 1: unexpected EOF; expected key separator '='",
            ),
            (
                "a = \"x",
                "toml: line 1 (last key \"a\"): unexpected EOF; expected '\"'",
            ),
            (
                "[a]\nb = 1\n[a]\nc = 2",
                "toml: line 3: Key 'a' has already been defined.",
            ),
            (
                "a = xyz",
                "toml: line 1 (last key \"a\"): expected value but found \"xyz\" instead",
            ),
            (
                "a = 1\nb = [1,\n",
                "toml: line 2 (last key \"b\"): unexpected EOF; expected value",
            ),
            (
                "a = 99999999999999999999",
                "toml: line 1 (last key \"a\"): 99999999999999999999 is out of range for int64",
            ),
            (
                "a = \"x\ny\"",
                "toml: line 1 (last key \"a\"): strings cannot contain newlines",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(err(text), want, "{text:?}");
        }
    }
}
