//! Sprig's regular expression functions, with Go's `regexp` semantics.
//!
//! Go's RE2 syntax is close to the `regex` crate's but not the same: `\d`,
//! `\w`, `\s` and `\b` are ASCII-only in Go, Go has `\Q...\E`, octal
//! escapes and a 1000 limit on counted repetition, accepts duplicate group
//! names, and names Unicode classes its own way. So a pattern is parsed
//! here following Go's `regexp/syntax` parser, step by step, which gives
//! Go's error for a bad pattern (`error parsing regexp: missing closing ):
//! `(``), and translated into an equivalent pattern for the `regex` crate.
//! Matching, the handling of empty matches, `$1`/`${name}` expansion and
//! splitting follow Go's `regexp` package.
//!
//! The `must*` variants return Go's compile error; the others panic in Go
//! (`regexp: Compile(`(`): error parsing regexp: ...`), which the template
//! turns into an error, except `regexMatch`, which answers false.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::strings::{too_long, unicode, MAX_STRING_BYTES};
use super::{FuncError, Registry, Ty};
use crate::template::gofmt;
use crate::template::value::Value;

/// Registers this family's functions.
pub(super) fn register(r: &mut Registry) {
    use Ty::{Int, String as S};
    r.add("regexMatch", &[S, S], None, |a| {
        Ok(Value::Bool(
            compile(s(a, 0)).is_ok_and(|re| re.is_match(s(a, 1))),
        ))
    });
    r.add("mustRegexMatch", &[S, S], None, |a| {
        Ok(Value::Bool(must(a)?.is_match(s(a, 1))))
    });
    r.add("regexFindAll", &[S, S, Int], None, |a| {
        Ok(nil_if_empty(panicking(a)?.find_all(s(a, 1), n(a, 2))))
    });
    r.add("mustRegexFindAll", &[S, S, Int], None, |a| {
        Ok(nil_if_empty(must(a)?.find_all(s(a, 1), n(a, 2))))
    });
    r.add("regexFind", &[S, S], None, |a| {
        Ok(Value::str(panicking(a)?.find(s(a, 1))))
    });
    r.add("mustRegexFind", &[S, S], None, |a| {
        Ok(Value::str(must(a)?.find(s(a, 1))))
    });
    r.add("regexReplaceAll", &[S, S, S], None, |a| {
        Ok(Value::from(panicking(a)?.replace_all(
            s(a, 1),
            s(a, 2),
            true,
        )?))
    });
    r.add("mustRegexReplaceAll", &[S, S, S], None, |a| {
        Ok(Value::from(must(a)?.replace_all(s(a, 1), s(a, 2), true)?))
    });
    r.add("regexReplaceAllLiteral", &[S, S, S], None, |a| {
        Ok(Value::from(panicking(a)?.replace_all(
            s(a, 1),
            s(a, 2),
            false,
        )?))
    });
    r.add("mustRegexReplaceAllLiteral", &[S, S, S], None, |a| {
        Ok(Value::from(must(a)?.replace_all(
            s(a, 1),
            s(a, 2),
            false,
        )?))
    });
    r.add("regexSplit", &[S, S, Int], None, |a| {
        Ok(split_result(panicking(a)?.split(s(a, 1), n(a, 2)), n(a, 2)))
    });
    r.add("mustRegexSplit", &[S, S, Int], None, |a| {
        Ok(split_result(must(a)?.split(s(a, 1), n(a, 2)), n(a, 2)))
    });
    r.add("regexQuoteMeta", &[S], None, |a| {
        Ok(Value::from(quote_meta(s(a, 0))))
    });
}

fn s(args: &[Value], i: usize) -> &str {
    args.get(i).and_then(Value::as_str).unwrap_or("")
}

fn n(args: &[Value], i: usize) -> i64 {
    args.get(i).and_then(Value::as_int).unwrap_or(0)
}

/// `regexp.Compile(args[0])`, its error as the function's error.
fn must(args: &[Value]) -> Result<Rc<Regexp>, FuncError> {
    compile(s(args, 0)).map_err(FuncError::new)
}

/// `regexp.MustCompile(args[0])`: the panic's text as the error.
fn panicking(args: &[Value]) -> Result<Rc<Regexp>, FuncError> {
    let expr = s(args, 0);
    compile(expr)
        .map_err(|e| FuncError::new(format!("regexp: Compile({}): {e}", go_regexp_quote(expr))))
}

/// `regexp`'s `quote`: backquoted when `strconv.CanBackquote`, else
/// `strconv.Quote`.
fn go_regexp_quote(s: &str) -> String {
    let can_backquote = s
        .chars()
        .all(|c| c != '\u{feff}' && c != '`' && c != '\u{7f}' && (c >= ' ' || c == '\t'));
    if can_backquote {
        format!("`{s}`")
    } else {
        gofmt::quote(s)
    }
}

/// Go's `regexp.QuoteMeta`.
fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if r"\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------
// A compiled expression and Go's matching loops.

/// A compiled Go expression: the translated `regex::Regex` and Go's
/// group names (index 0 is the whole match), which may repeat.
#[derive(Debug)]
pub(crate) struct Regexp {
    re: regex::Regex,
    names: Vec<String>,
    empty_expr: bool,
}

thread_local! {
    static CACHE: RefCell<HashMap<String, Rc<Regexp>>> = RefCell::new(HashMap::new());
}

/// Compiles a Go expression (cached per thread); the error is Go's
/// `error parsing regexp: ...` text.
pub(crate) fn compile(expr: &str) -> Result<Rc<Regexp>, String> {
    if let Some(re) = CACHE.with(|c| c.borrow().get(expr).cloned()) {
        return Ok(re);
    }
    let translated = translate(expr).map_err(|e| e.to_string())?;
    let re = regex::RegexBuilder::new(&translated.pattern)
        .size_limit(64 << 20)
        .nest_limit(4000)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => GoError::new(ERR_LARGE, expr).to_string(),
            other => format!("error parsing regexp: {other}"),
        })?;
    let compiled = Rc::new(Regexp {
        re,
        names: translated.names,
        empty_expr: expr.is_empty(),
    });
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= 256 {
            c.clear();
        }
        c.insert(expr.to_string(), compiled.clone());
    });
    Ok(compiled)
}

impl Regexp {
    fn is_match(&self, s: &str) -> bool {
        self.re.is_match(s)
    }

    fn find(&self, s: &str) -> String {
        self.re
            .find(s)
            .map(|m| m.as_str().to_string())
            .unwrap_or_default()
    }

    /// Go's `allMatches`: the spans of up to `n` (all when negative)
    /// successive matches, an empty match right after a match skipped.
    fn all_matches(&self, s: &str, n: i64) -> Vec<(usize, usize)> {
        let limit = if n < 0 { s.len() as i64 + 1 } else { n };
        let mut out = Vec::new();
        let (mut pos, mut prev_end) = (0usize, None::<usize>);
        while (out.len() as i64) < limit && pos <= s.len() {
            let Some(m) = self.re.find_at(s, pos) else {
                break;
            };
            let mut accept = true;
            if m.end() == pos {
                // An empty match.
                if Some(m.start()) == prev_end {
                    accept = false;
                }
                pos += s[pos..].chars().next().map_or(1, char::len_utf8);
            } else {
                pos = m.end();
            }
            prev_end = Some(m.end());
            if accept {
                out.push((m.start(), m.end()));
            }
        }
        out
    }

    fn find_all(&self, s: &str, n: i64) -> Vec<String> {
        self.all_matches(s, n)
            .into_iter()
            .map(|(a, b)| s[a..b].to_string())
            .collect()
    }

    /// Go's `Regexp.Split`.
    fn split(&self, s: &str, n: i64) -> Vec<String> {
        if n == 0 {
            return Vec::new();
        }
        if !self.empty_expr && s.is_empty() {
            return vec![String::new()];
        }
        let mut out = Vec::new();
        let (mut beg, mut end) = (0usize, 0usize);
        for (a, b) in self.all_matches(s, n) {
            if n > 0 && out.len() as i64 >= n - 1 {
                break;
            }
            end = a;
            if b != 0 {
                out.push(s[beg..end].to_string());
            }
            beg = b;
        }
        if end != s.len() {
            out.push(s[beg..].to_string());
        }
        out
    }

    /// Go's `ReplaceAllString` (`expand`) or `ReplaceAllLiteralString`.
    fn replace_all(&self, src: &str, repl: &str, expand: bool) -> Result<String, FuncError> {
        let expand = expand && repl.contains('$');
        let mut out = String::with_capacity(src.len());
        let (mut last_end, mut search) = (0usize, 0usize);
        let mut locs = self.re.capture_locations();
        while search <= src.len() {
            let (a, b) = if expand {
                match self.re.captures_read_at(&mut locs, src, search) {
                    Some(m) => (m.start(), m.end()),
                    None => break,
                }
            } else {
                match self.re.find_at(src, search) {
                    Some(m) => (m.start(), m.end()),
                    None => break,
                }
            };
            out.push_str(&src[last_end..a]);
            // No replacement for an empty match right after a match.
            if b > last_end || a == 0 {
                if expand {
                    self.expand(&mut out, repl, src, &locs);
                } else {
                    out.push_str(repl);
                }
            }
            if out.len() as u64 > MAX_STRING_BYTES {
                return Err(too_long("a replacement", out.len() as u64));
            }
            last_end = b;
            let width = src[search..].chars().next().map_or(0, char::len_utf8);
            if search + width > b {
                search += width;
            } else if search + 1 > b {
                search += 1;
            } else {
                search = b;
            }
        }
        out.push_str(&src[last_end..]);
        Ok(out)
    }

    /// Go's `Regexp.expand`: `$1`, `${1}`, `$name`, `${name}`, `$$`; a
    /// malformed reference is kept as text; a name is the longest run of
    /// letters, digits and `_` (`$1x` is the group named `1x`).
    fn expand(&self, out: &mut String, template: &str, src: &str, locs: &regex::CaptureLocations) {
        let mut t = template;
        while let Some(i) = t.find('$') {
            out.push_str(&t[..i]);
            t = &t[i + 1..];
            if let Some(rest) = t.strip_prefix('$') {
                out.push('$');
                t = rest;
                continue;
            }
            let Some((name, num, rest)) = extract(t) else {
                out.push('$');
                continue;
            };
            t = rest;
            let group = match num {
                Some(num) => locs.get(num),
                None => self
                    .names
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| n.as_str() == name)
                    .find_map(|(i, _)| locs.get(i)),
            };
            if let Some((a, b)) = group {
                out.push_str(&src[a..b]);
            }
        }
        out.push_str(t);
    }
}

/// Go's `extract`: the name after a `$` (braced or not), its number when
/// it is one without leading zeros, and the rest.
fn extract(s: &str) -> Option<(&str, Option<usize>, &str)> {
    let (brace, body) = match s.strip_prefix('{') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let len: usize = body
        .chars()
        .take_while(|&c| unicode::is_letter(c) || unicode::is_digit(c) || c == '_')
        .map(char::len_utf8)
        .sum();
    if len == 0 {
        return None;
    }
    let name = &body[..len];
    let rest = if brace {
        body[len..].strip_prefix('}')?
    } else {
        &body[len..]
    };
    let mut num: Option<usize> = Some(0);
    for b in name.bytes() {
        num = match num {
            Some(n) if b.is_ascii_digit() && n < 100_000_000 => {
                Some(n * 10 + usize::from(b - b'0'))
            }
            _ => None,
        };
    }
    if name.len() > 1 && name.starts_with('0') {
        num = None;
    }
    Some((name, num, rest))
}

// ---------------------------------------------------------------------------
// Go's parser, translating.

const ERR_INVALID_CHAR_CLASS: &str = "invalid character class";
const ERR_INVALID_CHAR_RANGE: &str = "invalid character class range";
const ERR_INVALID_ESCAPE: &str = "invalid escape sequence";
const ERR_INVALID_NAMED_CAPTURE: &str = "invalid named capture";
const ERR_INVALID_PERL_OP: &str = "invalid or unsupported Perl syntax";
const ERR_INVALID_REPEAT_OP: &str = "invalid nested repetition operator";
const ERR_INVALID_REPEAT_SIZE: &str = "invalid repeat count";
const ERR_MISSING_BRACKET: &str = "missing closing ]";
const ERR_MISSING_PAREN: &str = "missing closing )";
const ERR_MISSING_REPEAT_ARGUMENT: &str = "missing argument to repetition operator";
const ERR_TRAILING_BACKSLASH: &str = "trailing backslash at end of expression";
const ERR_UNEXPECTED_PAREN: &str = "unexpected )";
const ERR_LARGE: &str = "expression too large";

/// Go's `syntax.Error`.
#[derive(Debug, PartialEq, Eq)]
struct GoError {
    code: &'static str,
    expr: String,
}

impl GoError {
    fn new(code: &'static str, expr: &str) -> Self {
        GoError {
            code,
            expr: expr.to_string(),
        }
    }
}

impl std::fmt::Display for GoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error parsing regexp: {}: `{}`", self.code, self.expr)
    }
}

/// The flags Go tracks while parsing (those that `(?flags)` sets).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Flags {
    fold: bool,
    multi_line: bool,
    dot_nl: bool,
    non_greedy: bool,
}

impl Flags {
    /// The whole state as a `regex` crate flag group body (`i-msU`).
    fn rust(self) -> String {
        let all = [
            (self.fold, 'i'),
            (self.multi_line, 'm'),
            (self.dot_nl, 's'),
            (self.non_greedy, 'U'),
        ];
        let on: String = all.iter().filter(|f| f.0).map(|f| f.1).collect();
        let off: String = all.iter().filter(|f| !f.0).map(|f| f.1).collect();
        if off.is_empty() {
            on
        } else {
            format!("{on}-{off}")
        }
    }
}

/// The counted repetitions of an expression, for Go's `repeatIsValid`.
#[derive(Clone, Debug)]
enum Reps {
    Seq(Vec<Reps>),
    Repeat { min: i64, max: i64, sub: Box<Reps> },
}

impl Reps {
    fn valid(&self, n: i64) -> bool {
        match self {
            Reps::Seq(subs) => subs.iter().all(|r| r.valid(n)),
            Reps::Repeat { min, max, sub } => {
                let mut m = *max;
                if m == 0 {
                    return true;
                }
                if m < 0 {
                    m = *min;
                }
                if m > n {
                    return false;
                }
                let n = if m > 0 { n / m } else { n };
                sub.valid(n)
            }
        }
    }
}

/// One parsed item of a concatenation.
enum Piece {
    /// An expression (`regex` syntax) that a repetition can apply to.
    Atom { text: String, reps: Reps },
    /// A flag change, `(?i)`.
    Flags(String),
}

/// An open group (or the whole expression).
struct Frame {
    open: String,
    branches: Vec<String>,
    reps: Vec<Reps>,
    current: Vec<Piece>,
    saved: Flags,
}

impl Frame {
    fn new(open: String, saved: Flags) -> Self {
        Frame {
            open,
            branches: Vec::new(),
            reps: Vec::new(),
            current: Vec::new(),
            saved,
        }
    }

    fn end_branch(&mut self) {
        let mut text = String::new();
        for p in self.current.drain(..) {
            match p {
                Piece::Atom { text: t, reps } => {
                    text.push_str(&t);
                    self.reps.push(reps);
                }
                Piece::Flags(t) => text.push_str(&t),
            }
        }
        self.branches.push(text);
    }
}

struct Translation {
    pattern: String,
    names: Vec<String>,
}

/// A literal rune in `regex` syntax (Go allows surrogate code points,
/// which match nothing).
fn literal(r: u32) -> String {
    match char::from_u32(r) {
        Some(c) if c.is_ascii_alphanumeric() || c == '_' => c.to_string(),
        Some(_) => format!("\\x{{{r:X}}}"),
        None => NOTHING.to_string(),
    }
}

const NOTHING: &str = r"[^\x{0}-\x{10FFFF}]";

fn is_alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

fn unhex(c: char) -> Option<u32> {
    c.to_digit(16)
}

/// The next rune of `s` and its length (Go's `nextRune`; the empty string
/// gives U+FFFD of length 0).
fn next_rune(s: &str) -> (char, usize) {
    s.chars()
        .next()
        .map_or(('\u{FFFD}', 0), |c| (c, c.len_utf8()))
}

/// Go's `parseEscape`: the rune of the escape at the start of `s` (which
/// begins with `\`) and the bytes it took.
fn parse_escape(s: &str) -> Result<(u32, usize), GoError> {
    let mut t = &s[1..];
    if t.is_empty() {
        return Err(GoError::new(ERR_TRAILING_BACKSLASH, ""));
    }
    let consumed = |t: &str| s.len() - t.len();
    let err = |t: &str| GoError::new(ERR_INVALID_ESCAPE, &s[..s.len() - t.len()]);
    let (c, size) = next_rune(t);
    t = &t[size..];
    match c {
        '1'..='7' if !t.starts_with(|d: char| ('0'..='7').contains(&d)) => Err(err(t)),
        '0'..='7' => {
            let mut r = c as u32 - '0' as u32;
            for _ in 1..3 {
                match t.chars().next() {
                    Some(d @ '0'..='7') => {
                        r = r * 8 + (d as u32 - '0' as u32);
                        t = &t[1..];
                    }
                    _ => break,
                }
            }
            Ok((r, consumed(t)))
        }
        'x' => {
            if t.is_empty() {
                return Err(err(t));
            }
            let (c, size) = next_rune(t);
            t = &t[size..];
            if c == '{' {
                let mut nhex = 0;
                let mut r: u32 = 0;
                loop {
                    if t.is_empty() {
                        return Err(err(t));
                    }
                    let (c, size) = next_rune(t);
                    t = &t[size..];
                    if c == '}' {
                        break;
                    }
                    let Some(v) = unhex(c) else {
                        return Err(err(t));
                    };
                    r = r * 16 + v;
                    if r > 0x10FFFF {
                        return Err(err(t));
                    }
                    nhex += 1;
                }
                if nhex == 0 {
                    return Err(err(t));
                }
                return Ok((r, consumed(t)));
            }
            let x = unhex(c);
            let (c2, size) = next_rune(t);
            t = &t[size..];
            match (x, unhex(c2)) {
                (Some(x), Some(y)) => Ok((x * 16 + y, consumed(t))),
                _ => Err(err(t)),
            }
        }
        'a' => Ok((7, consumed(t))),
        'f' => Ok((12, consumed(t))),
        'n' => Ok((10, consumed(t))),
        'r' => Ok((13, consumed(t))),
        't' => Ok((9, consumed(t))),
        'v' => Ok((11, consumed(t))),
        c if c.is_ascii() && !is_alnum(c) => Ok((c as u32, consumed(t))),
        _ => Err(err(t)),
    }
}

/// Go's Perl classes, ASCII only: (positive ranges, negated).
fn perl_class(s: &str) -> Option<(&'static str, bool)> {
    let b = s.as_bytes();
    if b.len() < 2 || b[0] != b'\\' {
        return None;
    }
    match b[1] {
        b'd' => Some((r"0-9", false)),
        b'D' => Some((r"0-9", true)),
        b's' => Some((r"\t\n\f\r ", false)),
        b'S' => Some((r"\t\n\f\r ", true)),
        b'w' => Some((r"0-9A-Za-z_", false)),
        b'W' => Some((r"0-9A-Za-z_", true)),
        _ => None,
    }
}

/// Go's `canonicalName` for Unicode class names: separators (`_`, `-`,
/// space) dropped, the first letter upper case, the rest lower case.
fn canonical_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut first = true;
    for b in name.bytes() {
        match b {
            b'_' | b'-' | b' ' => continue,
            _ if first => {
                first = false;
                out.push(char::from(b.to_ascii_uppercase()));
            }
            _ => out.push(char::from(b.to_ascii_lowercase())),
        }
    }
    // Names are ASCII to be found; a non-ASCII byte breaks the lookup
    // the same way it does in Go.
    if !name.is_ascii() {
        out.push('\u{0}');
    }
    out
}

const CATEGORIES: &[&str] = &[
    "C", "Cc", "Cf", "Cn", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn",
    "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm",
    "So", "Z", "Zl", "Zp", "Zs",
];

/// Go's `unicode.CategoryAliases` (Unicode's long names and the POSIX-ish
/// `cntrl`, `digit`, `punct`), by category.
const CATEGORY_ALIASES: &[(&str, &str)] = &[
    ("Cased_Letter", "LC"),
    ("Close_Punctuation", "Pe"),
    ("Combining_Mark", "M"),
    ("Connector_Punctuation", "Pc"),
    ("Control", "Cc"),
    ("cntrl", "Cc"),
    ("Currency_Symbol", "Sc"),
    ("Dash_Punctuation", "Pd"),
    ("Decimal_Number", "Nd"),
    ("digit", "Nd"),
    ("Enclosing_Mark", "Me"),
    ("Final_Punctuation", "Pf"),
    ("Format", "Cf"),
    ("Initial_Punctuation", "Pi"),
    ("Letter", "L"),
    ("Letter_Number", "Nl"),
    ("Line_Separator", "Zl"),
    ("Lowercase_Letter", "Ll"),
    ("Mark", "M"),
    ("Math_Symbol", "Sm"),
    ("Modifier_Letter", "Lm"),
    ("Modifier_Symbol", "Sk"),
    ("Nonspacing_Mark", "Mn"),
    ("Number", "N"),
    ("Open_Punctuation", "Ps"),
    ("Other", "C"),
    ("Other_Letter", "Lo"),
    ("Other_Number", "No"),
    ("Other_Punctuation", "Po"),
    ("Other_Symbol", "So"),
    ("Paragraph_Separator", "Zp"),
    ("Private_Use", "Co"),
    ("Punctuation", "P"),
    ("punct", "P"),
    ("Separator", "Z"),
    ("Space_Separator", "Zs"),
    ("Spacing_Mark", "Mc"),
    ("Surrogate", "Cs"),
    ("Symbol", "S"),
    ("Titlecase_Letter", "Lt"),
    ("Unassigned", "Cn"),
    ("Uppercase_Letter", "Lu"),
];

/// Go's `unicode.Scripts` (Unicode 16).
const SCRIPTS: &[&str] = &[
    "Adlam",
    "Ahom",
    "Anatolian_Hieroglyphs",
    "Arabic",
    "Armenian",
    "Avestan",
    "Balinese",
    "Bamum",
    "Bassa_Vah",
    "Batak",
    "Bengali",
    "Bhaiksuki",
    "Bopomofo",
    "Brahmi",
    "Braille",
    "Buginese",
    "Buhid",
    "Canadian_Aboriginal",
    "Carian",
    "Caucasian_Albanian",
    "Chakma",
    "Cham",
    "Cherokee",
    "Chorasmian",
    "Common",
    "Coptic",
    "Cuneiform",
    "Cypriot",
    "Cypro_Minoan",
    "Cyrillic",
    "Deseret",
    "Devanagari",
    "Dives_Akuru",
    "Dogra",
    "Duployan",
    "Egyptian_Hieroglyphs",
    "Elbasan",
    "Elymaic",
    "Ethiopic",
    "Garay",
    "Georgian",
    "Glagolitic",
    "Gothic",
    "Grantha",
    "Greek",
    "Gujarati",
    "Gunjala_Gondi",
    "Gurmukhi",
    "Gurung_Khema",
    "Han",
    "Hangul",
    "Hanifi_Rohingya",
    "Hanunoo",
    "Hatran",
    "Hebrew",
    "Hiragana",
    "Imperial_Aramaic",
    "Inherited",
    "Inscriptional_Pahlavi",
    "Inscriptional_Parthian",
    "Javanese",
    "Kaithi",
    "Kannada",
    "Katakana",
    "Kawi",
    "Kayah_Li",
    "Kharoshthi",
    "Khitan_Small_Script",
    "Khmer",
    "Khojki",
    "Khudawadi",
    "Kirat_Rai",
    "Lao",
    "Latin",
    "Lepcha",
    "Limbu",
    "Linear_A",
    "Linear_B",
    "Lisu",
    "Lycian",
    "Lydian",
    "Mahajani",
    "Makasar",
    "Malayalam",
    "Mandaic",
    "Manichaean",
    "Marchen",
    "Masaram_Gondi",
    "Medefaidrin",
    "Meetei_Mayek",
    "Mende_Kikakui",
    "Meroitic_Cursive",
    "Meroitic_Hieroglyphs",
    "Miao",
    "Modi",
    "Mongolian",
    "Mro",
    "Multani",
    "Myanmar",
    "Nabataean",
    "Nag_Mundari",
    "Nandinagari",
    "New_Tai_Lue",
    "Newa",
    "Nko",
    "Nushu",
    "Nyiakeng_Puachue_Hmong",
    "Ogham",
    "Ol_Chiki",
    "Ol_Onal",
    "Old_Hungarian",
    "Old_Italic",
    "Old_North_Arabian",
    "Old_Permic",
    "Old_Persian",
    "Old_Sogdian",
    "Old_South_Arabian",
    "Old_Turkic",
    "Old_Uyghur",
    "Oriya",
    "Osage",
    "Osmanya",
    "Pahawh_Hmong",
    "Palmyrene",
    "Pau_Cin_Hau",
    "Phags_Pa",
    "Phoenician",
    "Psalter_Pahlavi",
    "Rejang",
    "Runic",
    "Samaritan",
    "Saurashtra",
    "Sharada",
    "Shavian",
    "Siddham",
    "SignWriting",
    "Sinhala",
    "Sogdian",
    "Sora_Sompeng",
    "Soyombo",
    "Sundanese",
    "Sunuwar",
    "Syloti_Nagri",
    "Syriac",
    "Tagalog",
    "Tagbanwa",
    "Tai_Le",
    "Tai_Tham",
    "Tai_Viet",
    "Takri",
    "Tamil",
    "Tangsa",
    "Tangut",
    "Telugu",
    "Thaana",
    "Thai",
    "Tibetan",
    "Tifinagh",
    "Tirhuta",
    "Todhri",
    "Toto",
    "Tulu_Tigalari",
    "Ugaritic",
    "Vai",
    "Vithkuqi",
    "Wancho",
    "Warang_Citi",
    "Yezidi",
    "Yi",
    "Zanabazar_Square",
];

/// Go's `unicodeTable`: the `regex` crate class body for a Go class name.
fn unicode_class(name: &str) -> Option<String> {
    let canon = canonical_name(name);
    match canon.as_str() {
        "Any" => return Some("Any".into()),
        "Assigned" => return Some("Assigned".into()),
        "Ascii" => return Some("ASCII".into()),
        "Lc" => return Some("LC".into()),
        _ => {}
    }
    if let Some(c) = CATEGORIES.iter().find(|c| **c == canon) {
        return Some((*c).to_string());
    }
    if let Some(s) = SCRIPTS.iter().find(|s| canonical_name(s) == canon) {
        return Some(format!("Script={s}"));
    }
    CATEGORY_ALIASES
        .iter()
        .find(|(alias, _)| canonical_name(alias) == canon)
        .map(|(_, c)| (*c).to_string())
}

/// Go's `parseUnicodeClass` at the start of `s`: `None` when `s` does not
/// start with `\p` or `\P`, else the `regex` class (`\p{...}`) and the
/// bytes taken, or Go's error.
fn parse_unicode_class(s: &str) -> Option<Result<(String, usize), GoError>> {
    let b = s.as_bytes();
    if b.len() < 2 || b[0] != b'\\' || (b[1] != b'p' && b[1] != b'P') {
        return None;
    }
    let mut negated = b[1] == b'P';
    let t = &s[2..];
    let (c, size) = next_rune(t);
    let (seq_len, name) = if c != '{' {
        let seq_len = 2 + size;
        (seq_len, &s[2..seq_len])
    } else {
        let Some(end) = s.find('}') else {
            return Some(Err(GoError::new(ERR_INVALID_CHAR_RANGE, s)));
        };
        (end + 1, &s[3..end])
    };
    let name = match name.strip_prefix('^') {
        Some(rest) => {
            negated = !negated;
            rest
        }
        None => name,
    };
    let Some(class) = unicode_class(name) else {
        return Some(Err(GoError::new(ERR_INVALID_CHAR_RANGE, &s[..seq_len])));
    };
    let p = if negated { 'P' } else { 'p' };
    Some(Ok((format!("\\{p}{{{class}}}"), seq_len)))
}

const POSIX_CLASSES: &[&str] = &[
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
    "space", "upper", "word", "xdigit",
];

/// A class range in `regex` syntax, surrogates (which Go allows and which
/// match nothing) left out.
fn class_range(lo: u32, hi: u32) -> Option<String> {
    let lo = if (0xD800..=0xDFFF).contains(&lo) {
        0xE000
    } else {
        lo
    };
    let hi = if (0xD800..=0xDFFF).contains(&hi) {
        0xD7FF
    } else {
        hi
    };
    if lo > hi {
        return None;
    }
    if lo == hi {
        Some(format!("\\x{{{lo:X}}}"))
    } else {
        Some(format!("\\x{{{lo:X}}}-\\x{{{hi:X}}}"))
    }
}

/// Go's `parseClass` at the start of `s` (which begins with `[`): the
/// `regex` class and the bytes taken.
fn parse_class(s: &str) -> Result<(String, usize), GoError> {
    let mut t = &s[1..];
    let mut negated = false;
    if t.starts_with('^') {
        negated = true;
        t = &t[1..];
    }
    let mut items: Vec<String> = Vec::new();
    let mut first = true;
    while t.is_empty() || !t.starts_with(']') || first {
        first = false;
        // POSIX [:alnum:].
        if t.len() > 2 && t.starts_with("[:") {
            if let Some(i) = t[2..].find(":]") {
                let full = &t[..i + 4];
                let name = &t[2..i + 2];
                let base = name.strip_prefix('^').unwrap_or(name);
                if !POSIX_CLASSES.contains(&base) {
                    return Err(GoError::new(ERR_INVALID_CHAR_RANGE, full));
                }
                items.push(full.to_string());
                t = &t[i + 4..];
                continue;
            }
        }
        if let Some(class) = parse_unicode_class(t) {
            let (class, len) = class?;
            items.push(class);
            t = &t[len..];
            continue;
        }
        if let Some((ranges, neg)) = perl_class(t) {
            items.push(if neg {
                format!("[^{ranges}]")
            } else {
                ranges.to_string()
            });
            t = &t[2..];
            continue;
        }
        // A single character or a range.
        let rng = t;
        let (lo, len) = parse_class_char(t, s)?;
        t = &t[len..];
        let mut hi = lo;
        if t.len() >= 2 && t.starts_with('-') && !t[1..].starts_with(']') {
            t = &t[1..];
            let (h, len) = parse_class_char(t, s)?;
            t = &t[len..];
            hi = h;
            if hi < lo {
                let taken = rng.len() - t.len();
                return Err(GoError::new(ERR_INVALID_CHAR_RANGE, &rng[..taken]));
            }
        }
        if let Some(r) = class_range(lo, hi) {
            items.push(r);
        }
    }
    t = &t[1..];
    let taken = s.len() - t.len();
    let text = match (items.is_empty(), negated) {
        (true, false) => NOTHING.to_string(),
        (true, true) => r"[\x{0}-\x{10FFFF}]".to_string(),
        (false, neg) => format!("[{}{}]", if neg { "^" } else { "" }, items.concat()),
    };
    Ok((text, taken))
}

/// Go's `parseClassChar`.
fn parse_class_char(s: &str, whole_class: &str) -> Result<(u32, usize), GoError> {
    if s.is_empty() {
        return Err(GoError::new(ERR_MISSING_BRACKET, whole_class));
    }
    if s.starts_with('\\') {
        return parse_escape(s);
    }
    let (c, size) = next_rune(s);
    Ok((c as u32, size))
}

/// Go's `parseRepeat` at `{`: (min, max, bytes taken), `max` -1 for no
/// upper bound, `min` -1 for a number too big; `None` when `{` is a
/// literal.
fn parse_repeat(s: &str) -> Option<(i64, i64, usize)> {
    fn parse_int(s: &str) -> Option<(i64, &str)> {
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || (digits >= 2 && s.starts_with('0')) {
            return None;
        }
        let mut n: i64 = 0;
        for b in s[..digits].bytes() {
            if n >= 100_000_000 {
                n = -1;
                break;
            }
            n = n * 10 + i64::from(b - b'0');
        }
        Some((n, &s[digits..]))
    }
    let t = s.strip_prefix('{')?;
    let (mut min, t) = parse_int(t)?;
    let (max, t) = if let Some(t) = t.strip_prefix(',') {
        if t.starts_with('}') {
            (-1, t)
        } else {
            let (max, t) = parse_int(t)?;
            if max < 0 {
                min = -1;
            }
            (max, t)
        }
    } else {
        if t.is_empty() {
            return None;
        }
        (min, t)
    };
    let t = t.strip_prefix('}')?;
    Some((min, max, s.len() - t.len()))
}

/// Parses a Go expression as `regexp/syntax` does (Perl flags), giving
/// Go's error or the `regex` crate pattern.
fn translate(expr: &str) -> Result<Translation, GoError> {
    let mut flags = Flags::default();
    let mut frames = vec![Frame::new(String::new(), flags)];
    let mut names = vec![String::new()];
    let mut t = expr;
    // The offset in `expr` of the last repetition operator, while the
    // previous token was one.
    let mut last_repeat: Option<usize> = None;
    let off = |t: &str| expr.len() - t.len();
    while !t.is_empty() {
        let mut repeat: Option<usize> = None;
        let frame_count = frames.len();
        let Some(frame) = frames.last_mut() else {
            break;
        };
        let c = t.as_bytes()[0];
        match c {
            b'(' => {
                if t.starts_with("(?") {
                    let (rest, action) = parse_perl_flags(t, flags)?;
                    t = rest;
                    match action {
                        FlagAction::Set(f) => {
                            if f != flags {
                                frame.current.push(Piece::Flags(format!("(?{})", f.rust())));
                            }
                            flags = f;
                        }
                        FlagAction::Group(f) => {
                            frames.push(Frame::new(format!("(?{}:", f.rust()), flags));
                            flags = f;
                        }
                        FlagAction::Capture(name) => {
                            names.push(name);
                            frames.push(Frame::new("(".into(), flags));
                        }
                    }
                } else {
                    names.push(String::new());
                    frames.push(Frame::new("(".into(), flags));
                    t = &t[1..];
                }
            }
            b'|' => {
                frame.end_branch();
                t = &t[1..];
            }
            b')' => {
                if frame_count < 2 {
                    return Err(GoError::new(ERR_UNEXPECTED_PAREN, expr));
                }
                let Some(mut done) = frames.pop() else { break };
                done.end_branch();
                flags = done.saved;
                let text = format!("{}{})", done.open, done.branches.join("|"));
                if let Some(parent) = frames.last_mut() {
                    parent.current.push(Piece::Atom {
                        text,
                        reps: Reps::Seq(done.reps),
                    });
                }
                t = &t[1..];
            }
            b'^' | b'$' | b'.' => {
                frame.current.push(atom(char::from(c).to_string()));
                t = &t[1..];
            }
            b'[' => {
                let (text, len) = parse_class(t)?;
                frame.current.push(atom(text));
                t = &t[len..];
            }
            b'*' | b'+' | b'?' | b'{' => {
                let before = off(t);
                let (op, after, min, max) = if c == b'{' {
                    match parse_repeat(t) {
                        None => {
                            frame.current.push(atom(literal('{' as u32)));
                            t = &t[1..];
                            last_repeat = None;
                            continue;
                        }
                        Some((min, max, len)) => {
                            if !(0..=1000).contains(&min) || max > 1000 || max >= 0 && min > max {
                                return Err(GoError::new(
                                    ERR_INVALID_REPEAT_SIZE,
                                    &expr[before..before + len],
                                ));
                            }
                            let op = if min == max {
                                format!("{{{min}}}")
                            } else if max < 0 {
                                format!("{{{min},}}")
                            } else {
                                format!("{{{min},{max}}}")
                            };
                            (op, &t[len..], min, max)
                        }
                    }
                } else {
                    (char::from(c).to_string(), &t[1..], 0, 0)
                };
                // A `?` after the operator makes it non-greedy.
                let (op, after) = match after.strip_prefix('?') {
                    Some(rest) => (format!("{op}?"), rest),
                    None => (op, after),
                };
                let end = off(after);
                if let Some(last) = last_repeat {
                    return Err(GoError::new(ERR_INVALID_REPEAT_OP, &expr[last..end]));
                }
                let Some(pos) = frame
                    .current
                    .iter()
                    .rposition(|p| matches!(p, Piece::Atom { .. }))
                else {
                    return Err(GoError::new(
                        ERR_MISSING_REPEAT_ARGUMENT,
                        &expr[before..end],
                    ));
                };
                let Piece::Atom { text, reps } = frame.current.remove(pos) else {
                    break;
                };
                let reps = if c == b'{' {
                    Reps::Repeat {
                        min,
                        max,
                        sub: Box::new(reps),
                    }
                } else {
                    Reps::Seq(vec![reps])
                };
                if c == b'{' && (min >= 2 || max >= 2) && !reps.valid(1000) {
                    return Err(GoError::new(ERR_INVALID_REPEAT_SIZE, &expr[before..end]));
                }
                frame.current.insert(
                    pos,
                    Piece::Atom {
                        text: format!("(?:{text}){op}"),
                        reps,
                    },
                );
                repeat = Some(before);
                t = after;
            }
            b'\\' => {
                let b = t.as_bytes();
                if b.len() >= 2 {
                    let special = match b[1] {
                        b'A' => Some(r"\A"),
                        b'b' => Some(r"(?-u:\b)"),
                        b'B' => Some(r"(?-u:\B)"),
                        b'z' => Some(r"\z"),
                        _ => None,
                    };
                    if let Some(text) = special {
                        frame.current.push(atom(text.to_string()));
                        t = &t[2..];
                        last_repeat = None;
                        continue;
                    }
                    if b[1] == b'C' {
                        return Err(GoError::new(ERR_INVALID_ESCAPE, &t[..2]));
                    }
                    if b[1] == b'Q' {
                        let body = &t[2..];
                        let (lit, rest) = match body.find(r"\E") {
                            Some(i) => (&body[..i], &body[i + 2..]),
                            None => (body, ""),
                        };
                        for ch in lit.chars() {
                            frame.current.push(atom(literal(ch as u32)));
                        }
                        t = rest;
                        last_repeat = None;
                        continue;
                    }
                }
                if let Some(class) = parse_unicode_class(t) {
                    let (class, len) = class?;
                    frame.current.push(atom(class));
                    t = &t[len..];
                } else if let Some((ranges, neg)) = perl_class(t) {
                    let caret = if neg { "^" } else { "" };
                    frame.current.push(atom(format!("[{caret}{ranges}]")));
                    t = &t[2..];
                } else {
                    let (r, len) = parse_escape(t)?;
                    frame.current.push(atom(literal(r)));
                    t = &t[len..];
                }
            }
            _ => {
                let (ch, size) = next_rune(t);
                frame.current.push(atom(literal(ch as u32)));
                t = &t[size..];
            }
        }
        last_repeat = repeat;
    }
    if frames.len() != 1 {
        return Err(GoError::new(ERR_MISSING_PAREN, expr));
    }
    let Some(mut top) = frames.pop() else {
        return Err(GoError::new(ERR_MISSING_PAREN, expr));
    };
    top.end_branch();
    let _ = ERR_INVALID_CHAR_CLASS;
    Ok(Translation {
        pattern: top.branches.join("|"),
        names,
    })
}

fn atom(text: String) -> Piece {
    Piece::Atom {
        text,
        reps: Reps::Seq(Vec::new()),
    }
}

enum FlagAction {
    /// `(?flags)`: the flags for the rest of the group.
    Set(Flags),
    /// `(?flags:`: a group with these flags.
    Group(Flags),
    /// `(?P<name>` or `(?<name>`.
    Capture(String),
}

/// Go's `parsePerlFlags` at `(?`: what it opens and the rest of the
/// expression.
fn parse_perl_flags(s: &str, flags: Flags) -> Result<(&str, FlagAction), GoError> {
    let b = s.as_bytes();
    if s.len() > 4 && (b[2] == b'P' && b[3] == b'<' || b[2] == b'<') {
        let begin = if b[2] == b'<' { 3 } else { 4 };
        let Some(end) = s.find('>') else {
            return Err(GoError::new(ERR_INVALID_NAMED_CAPTURE, s));
        };
        let capture = &s[..=end];
        let name = &s[begin..end];
        if name.is_empty() || !name.chars().all(|c| c == '_' || is_alnum(c)) {
            return Err(GoError::new(ERR_INVALID_NAMED_CAPTURE, capture));
        }
        return Ok((&s[end + 1..], FlagAction::Capture(name.to_string())));
    }
    let mut t = &s[2..];
    let mut f = flags;
    let mut negated = false;
    let mut saw_flag = false;
    while let Some(c) = t.chars().next() {
        t = &t[c.len_utf8()..];
        let on = !negated;
        match c {
            'i' => f.fold = on,
            'm' => f.multi_line = on,
            's' => f.dot_nl = on,
            'U' => f.non_greedy = on,
            '-' => {
                if negated {
                    break;
                }
                negated = true;
                saw_flag = false;
                continue;
            }
            ':' | ')' => {
                if negated && !saw_flag {
                    break;
                }
                let action = if c == ':' {
                    FlagAction::Group(f)
                } else {
                    FlagAction::Set(f)
                };
                return Ok((t, action));
            }
            _ => break,
        }
        saw_flag = true;
    }
    Err(GoError::new(ERR_INVALID_PERL_OP, &s[..s.len() - t.len()]))
}

/// Go's `Split` returns a nil slice for n = 0 only.
fn split_result(items: Vec<String>, n: i64) -> Value {
    if n == 0 {
        Value::nil_list(crate::template::value::Elem::String)
    } else {
        Value::strings(items)
    }
}

/// Go's `FindAllString` returns a nil slice when nothing matches (or
/// n = 0): empty when printed, `null` in JSON.
fn nil_if_empty(items: Vec<String>) -> Value {
    if items.is_empty() {
        Value::nil_list(crate::template::value::Elem::String)
    } else {
        Value::strings(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::funcs::call;

    fn sv(v: &str) -> Value {
        Value::str(v)
    }

    fn run(name: &str, args: &[Value]) -> String {
        call(name, args).expect(name).to_string()
    }

    fn go_err(expr: &str) -> String {
        compile(expr).expect_err(expr)
    }

    // Expected values: Helm v4.3.0 (tests/template/regex).

    #[test]
    fn go_compile_errors() {
        let cases = [
            ("(", "missing closing ): `(`"),
            ("a)", "unexpected ): `a)`"),
            ("[a", "missing closing ]: `[a`"),
            ("[]", "missing closing ]: `[]`"),
            ("[^]", "missing closing ]: `[^]`"),
            ("[z-a]", "invalid character class range: `z-a`"),
            ("a**", "invalid nested repetition operator: `**`"),
            ("a*??", "invalid nested repetition operator: `*??`"),
            ("*a", "missing argument to repetition operator: `*`"),
            ("(+)", "missing argument to repetition operator: `+`"),
            ("a|?", "missing argument to repetition operator: `?`"),
            ("a{1001}", "invalid repeat count: `{1001}`"),
            ("a{3,2}", "invalid repeat count: `{3,2}`"),
            ("(a{2}){501}", "invalid repeat count: `{501}`"),
            ("a\\", "trailing backslash at end of expression: ``"),
            (r"\q", r"invalid escape sequence: `\q`"),
            (r"(a)\1", r"invalid escape sequence: `\1`"),
            ("a(?=b)", "invalid or unsupported Perl syntax: `(?=`"),
            ("(?<=a)b", "invalid named capture: `(?<=a)b`"),
            ("(?x)a", "invalid or unsupported Perl syntax: `(?x`"),
            ("(?-)a", "invalid or unsupported Perl syntax: `(?-)`"),
            ("(?P<a-b>x)", "invalid named capture: `(?P<a-b>`"),
            ("(?P<abc", "invalid named capture: `(?P<abc`"),
            (r"\p{Foo}", r"invalid character class range: `\p{Foo}`"),
            ("[[:foo:]]", "invalid character class range: `[:foo:]`"),
            (r"\C", r"invalid escape sequence: `\C`"),
            (r"a\Z", r"invalid escape sequence: `\Z`"),
            (r"[\b]", r"invalid escape sequence: `\b`"),
            (r"\x{zz}", r"invalid escape sequence: `\x{z`"),
            (r"\x{110000}", r"invalid escape sequence: `\x{110000`"),
            (r"\p{Greek", r"invalid character class range: `\p{Greek`"),
        ];
        for (expr, want) in cases {
            assert_eq!(
                go_err(expr),
                format!("error parsing regexp: {want}"),
                "{expr}"
            );
        }
    }

    #[test]
    fn go_syntax_accepted() {
        for expr in [
            r"\p{greek}",
            r"\p{Old_Italic}",
            r"\p{old italic}",
            r"\p{Letter}",
            r"\p{lu}",
            r"\p{Lc}",
            r"\p{Unassigned}",
            r"\p{ascii}",
            r"\p{Garay}",
            "(?P<a>x)(?P<a>y)",
            "(?)a",
            "^*a",
            "(a{2}){500}",
            "a{",
            "a{,2}",
            "x{1,2",
        ] {
            assert!(compile(expr).is_ok(), "{expr}");
        }
        for expr in [
            r"\p{Alphabetic}",
            r"\p{L&}",
            r"\p{Script=Greek}",
            r"\p{Latn}",
        ] {
            assert!(compile(expr).is_err(), "{expr}");
        }
    }

    #[test]
    fn ascii_perl_classes() {
        let m = |p: &str, s: &str| run("regexMatch", &[sv(p), sv(s)]);
        assert_eq!(m(r"^\d+$", "١٢٣"), "false");
        assert_eq!(m(r"^\w+$", "héllo"), "false");
        assert_eq!(m(r"^\s$", "\u{a0}"), "false");
        assert_eq!(m(r"^\s$", "\u{b}"), "false");
        assert_eq!(m(r"\bé", "aé"), "true");
        assert_eq!(m(r"^[\W]$", "é"), "true");
        assert_eq!(m(r"\Qa.b\E", "axb"), "false");
        assert_eq!(m(r"^\Qa+", "a+"), "true");
        assert_eq!(m(r"\141", "a"), "true");
        assert_eq!(m("(a{2}){500}", "a"), "false");
        assert_eq!(m("(", "x"), "false");
        assert_eq!(
            run("regexReplaceAll", &[sv(r"\W"), sv("héllo wörld"), sv("-")]),
            "h-llo-w-rld"
        );
    }

    #[test]
    fn find_all_and_split() {
        let all = |p: &str, s: &str, n: i64| run("regexFindAll", &[sv(p), sv(s), Value::Int(n)]);
        assert_eq!(all("[2,4,6,8]", "123456789", 2), "[2 4]");
        assert_eq!(all("a*", "baaab", -1), "[ aaa ]");
        assert_eq!(all("", "héj", -1), "[   ]");
        assert_eq!(all("a|ab", "abab", -1), "[a a]");
        let split = |p: &str, s: &str, n: i64| {
            call("regexSplit", &[sv(p), sv(s), Value::Int(n)])
                .unwrap()
                .as_list()
                .unwrap()
                .items
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(split("z+", "pizza", -1), ["pi", "a"]);
        assert_eq!(split("a", "banana", 2), ["b", "nana"]);
        assert_eq!(split("z+", "", -1), [""]);
        assert!(split("", "", -1).is_empty());
        assert_eq!(split("", "abc", -1), ["a", "b", "c"]);
        assert_eq!(split("a", "abaca", -1), ["", "b", "c", ""]);
        assert_eq!(split("x*", "axbxxc", -1), ["a", "b", "c"]);
        assert!(split("z+", "pizza", 0).is_empty());
    }

    #[test]
    fn replacing() {
        let rep = |p: &str, s: &str, r: &str| run("regexReplaceAll", &[sv(p), sv(s), sv(r)]);
        assert_eq!(rep("a(x*)b", "-ab-axxb-", "${1}W"), "-W-xxW-");
        assert_eq!(rep("a(x*)b", "-ab-axxb-", "$1W"), "---");
        assert_eq!(
            rep(
                r"(?P<first>\w+) (?P<last>\w+)",
                "John Smith",
                "$last, $first"
            ),
            "Smith, John"
        );
        assert_eq!(rep("a", "aba", "$$"), "$b$");
        assert_eq!(rep("a", "aba", "${1"), "${1b${1");
        assert_eq!(rep("(a)", "aba", "$01"), "b");
        assert_eq!(rep("x*", "abc", "-"), "-a-b-c-");
        assert_eq!(rep("a*", "baaac", "-"), "-b-c-");
        assert_eq!(rep("", "héj", "."), ".h.é.j.");
        assert_eq!(rep("(a)|(b)", "ab", "<$1|$2>"), "<a|><|b>");
        assert_eq!(rep("(?P<a>x)|(?P<a>y)", "xy", "[$a]"), "[x][y]");
        assert_eq!(rep("(?P<x>a)", "a", "[$xé]"), "[]");
        let lit = |p: &str, s: &str, r: &str| run("regexReplaceAllLiteral", &[sv(p), sv(s), sv(r)]);
        assert_eq!(lit("a(x*)b", "-ab-axxb-", "${1}"), "-${1}-${1}-");
        assert_eq!(lit("", "ab", "$"), "$a$b$");
    }

    #[test]
    fn panics_and_quote_meta() {
        assert_eq!(
            call("regexFind", &[sv("("), sv("x")]).unwrap_err().0,
            "regexp: Compile(`(`): error parsing regexp: missing closing ): `(`"
        );
        assert_eq!(
            call("mustRegexFind", &[sv("("), sv("x")]).unwrap_err().0,
            "error parsing regexp: missing closing ): `(`"
        );
        assert_eq!(
            run("regexQuoteMeta", &[sv(r"1.2.3 [a-z]+ (x|y) $^ {2} \ * ?")]),
            r"1\.2\.3 \[a-z\]\+ \(x\|y\) \$\^ \{2\} \\ \* \?"
        );
    }
}
