//! Sprig's string functions (`strings.go` and the `genericMap` entries that
//! call Go's `strings`, `path`, `path/filepath`, goutils and xstrings
//! directly), with Go's exact behaviour:
//!
//! - Go strings are bytes. Sprig's `trunc`, `substr`, `abbrev`,
//!   `abbrevboth`, `wrap` and `wrapWith` slice bytes, and goutils'
//!   `initials` and `nospace` read each byte as a Latin-1 rune (so
//!   `initials "élan"` is `Ã`, as in Helm). Where a byte slice cuts a
//!   UTF-8 sequence Go keeps the broken bytes; a [`Value`] string is UTF-8,
//!   so here the broken sequence becomes U+FFFD.
//! - Case mapping is Go's `unicode` package: simple (one rune to one rune)
//!   mappings, `ToTitle` distinct from `ToUpper`, `IsUpper` etc. by general
//!   category (not Rust's derived `Uppercase`/`Lowercase` properties).
//! - What Go panics with (`substr` out of range, a negative `repeat` or
//!   `indent`) is an error with the panic's text.

use std::collections::BTreeMap;

use rand::Rng;

use super::{arg_bytes, FuncError, FuncResult, Registry, StringBytes, Ty};
use crate::template::gofmt;
use crate::template::value::{Elem, Map, Str, Value};

/// Registers this family's functions.
pub(super) fn register(r: &mut Registry) {
    use Ty::{Any, Int, String as S};
    r.add("hello", &[], None, |_| Ok(Value::str("Hello!")));
    r.add("abbrev", &[Int, S], None, abbrev);
    r.add("abbrevboth", &[Int, Int, S], None, abbrevboth);
    r.add("trunc", &[Int, S], None, trunc);
    r.add("trim", &[S], None, |a| Ok(Value::str(arg_str(a, 0).trim())));
    r.add("upper", &[S], None, |a| {
        Ok(map_runes(arg_str(a, 0), unicode::to_upper))
    });
    r.add("lower", &[S], None, |a| {
        Ok(map_runes(arg_str(a, 0), unicode::to_lower))
    });
    r.add("title", &[S], None, |a| {
        Ok(Value::from(title(arg_str(a, 0))))
    });
    r.add("untitle", &[S], None, |a| {
        Ok(Value::from(untitle(arg_str(a, 0))))
    });
    r.add("substr", &[Int, Int, S], None, substr);
    r.add("repeat", &[Int, S], None, repeat);
    r.add("trimall", &[S, S], None, trim_all);
    r.add("trimAll", &[S, S], None, trim_all);
    r.add("trimSuffix", &[S, S], None, |a| {
        let (suffix, s) = (arg_str(a, 0), arg_str(a, 1));
        Ok(Value::str(s.strip_suffix(suffix).unwrap_or(s)))
    });
    r.add("trimPrefix", &[S, S], None, |a| {
        let (prefix, s) = (arg_str(a, 0), arg_str(a, 1));
        Ok(Value::str(s.strip_prefix(prefix).unwrap_or(s)))
    });
    r.add("nospace", &[S], None, |a| Ok(nospace(arg(a, 0))));
    r.add("initials", &[S], None, |a| {
        Ok(Value::from(initials(arg_str(a, 0))))
    });
    r.add("randAlphaNum", &[Int], None, |a| {
        random(a, Charset::AlphaNum)
    });
    r.add("randAlpha", &[Int], None, |a| random(a, Charset::Alpha));
    r.add("randAscii", &[Int], None, |a| random(a, Charset::Ascii));
    r.add("randNumeric", &[Int], None, |a| random(a, Charset::Numeric));
    r.add("swapcase", &[S], None, |a| {
        Ok(Value::from(swapcase(arg_str(a, 0))))
    });
    r.add("shuffle", &[S], None, |a| {
        Ok(Value::from(shuffle(arg_str(a, 0))))
    });
    r.add("snakecase", &[S], None, |a| {
        Ok(Value::from(xstrings::camel_to_lower(arg_str(a, 0), '_')))
    });
    r.add("camelcase", &[S], None, |a| {
        Ok(Value::from(xstrings::to_pascal_case(arg_str(a, 0))))
    });
    r.add("kebabcase", &[S], None, |a| {
        Ok(Value::from(xstrings::camel_to_lower(arg_str(a, 0), '-')))
    });
    r.add("wrap", &[Int, S], None, |a| {
        Ok(Value::go_string(wrap_custom(
            arg_str(a, 1).as_bytes(),
            arg_int(a, 0),
            b"",
            false,
        )))
    });
    r.add("wrapWith", &[Int, S, S], None, |a| {
        let (sep, s) = (arg_str(a, 1), arg_str(a, 2));
        Ok(Value::go_string(wrap_custom(
            s.as_bytes(),
            arg_int(a, 0),
            sep.as_bytes(),
            true,
        )))
    });
    r.add("contains", &[S, S], None, |a| {
        Ok(Value::Bool(arg_str(a, 1).contains(arg_str(a, 0))))
    });
    r.add("hasPrefix", &[S, S], None, |a| {
        Ok(Value::Bool(arg_str(a, 1).starts_with(arg_str(a, 0))))
    });
    r.add("hasSuffix", &[S, S], None, |a| {
        Ok(Value::Bool(arg_str(a, 1).ends_with(arg_str(a, 0))))
    });
    r.add("quote", &[], Some(Any), quote);
    r.add("squote", &[], Some(Any), squote);
    r.add("cat", &[], Some(Any), cat);
    r.add("indent", &[Int, S], None, |a| {
        Ok(Value::from(indent(arg_int(a, 0), arg_str(a, 1))?))
    });
    r.add("nindent", &[Int, S], None, |a| {
        Ok(Value::from(format!(
            "\n{}",
            indent(arg_int(a, 0), arg_str(a, 1))?
        )))
    });
    r.add("replace", &[S, S, S], None, replace);
    r.add("plural", &[S, S, Int], None, |a| {
        let pick = if arg_int(a, 2) == 1 { 0 } else { 1 };
        Ok(Value::str(arg_str(a, pick)))
    });
    r.add("toString", &[Any], None, |a| {
        Ok(Value::from(strval(arg(a, 0))))
    });
    r.add("toStrings", &[Any], None, |a| {
        Ok(Value::strings(strslice(arg(a, 0))))
    });
    r.add("split", &[S, S], None, |a| {
        Ok(indexed_map(go_split(arg_str(a, 1), arg_str(a, 0), -1)))
    });
    r.add("splitList", &[S, S], None, |a| {
        Ok(Value::strings(go_split(arg_str(a, 1), arg_str(a, 0), -1)))
    });
    r.add("splitn", &[S, Int, S], None, |a| {
        Ok(indexed_map(go_split(
            arg_str(a, 2),
            arg_str(a, 0),
            arg_int(a, 1),
        )))
    });
    r.add("join", &[S, Any], None, |a| {
        Ok(Value::from(strslice(arg(a, 1)).join(arg_str(a, 0))))
    });
    r.add("sortAlpha", &[Any], None, |a| {
        Ok(Value::strings(sort_alpha(arg(a, 0))))
    });
    // Paths: Go's `path` and, on Linux, `path/filepath` (the same rules
    // with `/` as the separator and no volume names).
    r.add("base", &[S], None, |a| {
        Ok(Value::from(path_base(arg_str(a, 0))))
    });
    r.add("dir", &[S], None, |a| {
        Ok(Value::from(path_dir(arg_str(a, 0))))
    });
    r.add("clean", &[S], None, |a| {
        Ok(Value::from(path_clean(arg_str(a, 0))))
    });
    r.add("ext", &[S], None, |a| {
        Ok(Value::str(path_ext(arg_str(a, 0))))
    });
    r.add("isAbs", &[S], None, |a| {
        Ok(Value::Bool(arg_str(a, 0).starts_with('/')))
    });
    r.add("osBase", &[S], None, |a| {
        Ok(Value::from(path_base(arg_str(a, 0))))
    });
    r.add("osClean", &[S], None, |a| {
        Ok(Value::from(path_clean(arg_str(a, 0))))
    });
    r.add("osDir", &[S], None, |a| {
        Ok(Value::from(path_dir(arg_str(a, 0))))
    });
    r.add("osExt", &[S], None, |a| {
        Ok(Value::str(path_ext(arg_str(a, 0))))
    });
    r.add("osIsAbs", &[S], None, |a| {
        Ok(Value::Bool(arg_str(a, 0).starts_with('/')))
    });
    r.string_bytes(StringBytes::Read, &["substr", "trunc", "nospace"]);
    r.string_bytes(
        StringBytes::Keep,
        &[
            "trim",
            "trimAll",
            "trimall",
            "trimPrefix",
            "trimSuffix",
            "replace",
            "repeat",
            "cat",
            "join",
            "toString",
            "indent",
            "nindent",
        ],
    );
}

// ---------------------------------------------------------------------------
// Arguments (the executor has converted them to the declared types).

fn arg(args: &[Value], i: usize) -> &Value {
    const NIL: &Value = &Value::Nil;
    args.get(i).unwrap_or(NIL)
}

fn arg_str(args: &[Value], i: usize) -> &str {
    args.get(i).and_then(Value::as_str).unwrap_or("")
}

fn arg_int(args: &[Value], i: usize) -> i64 {
    args.get(i).and_then(Value::as_int).unwrap_or(0)
}

fn bytes_slice(b: &[u8], from: usize, to: usize) -> Value {
    let to = to.min(b.len());
    let from = from.min(to);
    Value::go_string(b[from..to].to_vec())
}

// ---------------------------------------------------------------------------
// strval and strslice: how Sprig turns values into strings.

/// Sprig's `strval`: a string as is, `[]byte` as a string, an error or a
/// `fmt.Stringer` by its method, anything else as `%v`.
pub fn strval(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        other => other.to_string(),
    }
}

/// Sprig's `strslice`: a `[]string` as is; the items of any other slice
/// through [`strval`], nil items left out; no value is an empty list;
/// anything else is a one-item list of its [`strval`].
pub(crate) fn strslice(v: &Value) -> Vec<String> {
    match v {
        Value::List(l) => l
            .items
            .iter()
            .filter(|item| !item.is_nil())
            .map(strval)
            .collect(),
        // A []byte is a slice of uint8: each byte through %v.
        Value::Bytes(b) => b.iter().map(|byte| byte.to_string()).collect(),
        Value::Nil => Vec::new(),
        other => vec![strval(other)],
    }
}

/// Sprig's `sortAlpha`: a slice's [`strslice`], sorted; anything else
/// (including no value, which prints `<nil>`) a one-item list.
fn sort_alpha(v: &Value) -> Vec<String> {
    match v {
        Value::List(_) | Value::Bytes(_) => {
            let mut items = strslice(v);
            items.sort();
            items
        }
        other => vec![strval(other)],
    }
}

// ---------------------------------------------------------------------------
// quote, squote, cat.

fn quote(args: &[Value]) -> FuncResult {
    let parts: Vec<String> = args
        .iter()
        .filter(|a| !a.is_nil())
        .map(|a| match a {
            // `%q` escapes each byte that is not UTF-8 as `\x..`.
            Value::Binary(b) => gofmt::quote_bytes(b),
            _ => gofmt::quote(&strval(a)),
        })
        .collect();
    Ok(Value::from(parts.join(" ")))
}

fn squote(args: &[Value]) -> FuncResult {
    let parts: Vec<String> = args
        .iter()
        .filter(|a| !a.is_nil())
        .map(|a| format!("'{a}'"))
        .collect();
    Ok(Value::from(parts.join(" ")))
}

fn cat(args: &[Value]) -> FuncResult {
    let parts: Vec<String> = args
        .iter()
        .filter(|a| !a.is_nil())
        .map(|a| a.to_string())
        .collect();
    Ok(Value::from(parts.join(" ")))
}

// ---------------------------------------------------------------------------
// Byte-slicing functions.

fn trunc(args: &[Value]) -> FuncResult {
    let (c, s) = (arg_int(args, 0), arg_bytes(args, 1));
    let len = s.len() as i64;
    if c < 0 && len + c > 0 {
        return Ok(bytes_slice(s, (len + c) as usize, s.len()));
    }
    if c >= 0 && len > c {
        return Ok(bytes_slice(s, 0, c as usize));
    }
    Ok(args.get(1).cloned().unwrap_or_else(|| Value::str("")))
}

/// Sprig's `substring`: `s[:end]` when start is negative, `s[start:]` when
/// end is negative or past the end, else `s[start:end]`, with Go's slice
/// panics.
fn substr(args: &[Value]) -> FuncResult {
    let (start, end, s) = (arg_int(args, 0), arg_int(args, 1), arg_bytes(args, 2));
    let len = s.len() as i64;
    if start < 0 {
        if end < 0 {
            return Err(FuncError::new(format!(
                "runtime error: slice bounds out of range [:{end}]"
            )));
        }
        if end > len {
            return Err(FuncError::new(format!(
                "runtime error: slice bounds out of range [:{end}] with length {len}"
            )));
        }
        return Ok(bytes_slice(s, 0, end as usize));
    }
    if end < 0 || end > len {
        if start > len {
            return Err(FuncError::new(format!(
                "runtime error: slice bounds out of range [{start}:{len}]"
            )));
        }
        return Ok(bytes_slice(s, start as usize, s.len()));
    }
    if start > end {
        return Err(FuncError::new(format!(
            "runtime error: slice bounds out of range [{start}:{end}]"
        )));
    }
    Ok(bytes_slice(s, start as usize, end as usize))
}

/// goutils' `AbbreviateFull(str, offset, maxWidth)` (errors give "", as
/// Sprig ignores them).
fn abbreviate_full(s: &str, offset: i64, max_width: i64) -> Value {
    let b = s.as_bytes();
    let len = b.len() as i64;
    if s.is_empty() || max_width < 4 {
        return Value::str("");
    }
    if len <= max_width {
        return Value::str(s);
    }
    let mut offset = offset.min(len);
    if len - offset < max_width - 3 {
        offset = len - (max_width - 3);
    }
    let keep = (max_width - 3) as usize;
    if offset <= 4 {
        let mut out = b[..keep].to_vec();
        out.extend_from_slice(b"...");
        return Value::go_string(out);
    }
    if max_width < 7 {
        return Value::str("");
    }
    let mut out = b"...".to_vec();
    if offset + max_width - 3 < len {
        // Abbreviate(str[offset:], maxWidth-3)
        let rest = &b[offset as usize..];
        let width = max_width - 3;
        if rest.len() as i64 <= width || width < 4 {
            // Abbreviate of a string that fits returns it; width < 4
            // cannot happen here (maxWidth >= 7).
            out.extend_from_slice(rest);
        } else {
            out.extend_from_slice(&rest[..(width - 3) as usize]);
            out.extend_from_slice(b"...");
        }
        return Value::go_string(out);
    }
    out.extend_from_slice(&b[(len - (max_width - 3)) as usize..]);
    Value::go_string(out)
}

fn abbrev(args: &[Value]) -> FuncResult {
    let (width, s) = (arg_int(args, 0), arg_str(args, 1));
    if width < 4 {
        return Ok(Value::str(s));
    }
    Ok(abbreviate_full(s, 0, width))
}

fn abbrevboth(args: &[Value]) -> FuncResult {
    let (left, right, s) = (arg_int(args, 0), arg_int(args, 1), arg_str(args, 2));
    if right < 4 || left > 0 && right < 7 {
        return Ok(Value::str(s));
    }
    Ok(abbreviate_full(s, left, right))
}

/// goutils' `WrapCustom(str, wrapLength, newLineStr, wrapLongWords)`, on
/// bytes.
fn wrap_custom(s: &[u8], wrap_length: i64, new_line: &[u8], long_words: bool) -> Vec<u8> {
    if s.is_empty() {
        return Vec::new();
    }
    let new_line: &[u8] = if new_line.is_empty() { b"\n" } else { new_line };
    let wrap = wrap_length.max(1) as usize;
    let len = s.len();
    let mut offset = 0usize;
    let mut out = Vec::with_capacity(len + len / wrap.max(1));
    while len - offset > wrap {
        if s[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = wrap + offset + 1;
        let space = s[offset..end].iter().rposition(|&c| c == b' ');
        if let Some(i) = space {
            let at = offset + i;
            out.extend_from_slice(&s[offset..at]);
            out.extend_from_slice(new_line);
            offset = at + 1;
        } else if long_words {
            let end = wrap + offset;
            out.extend_from_slice(&s[offset..end]);
            out.extend_from_slice(new_line);
            offset += wrap;
        } else {
            let end = wrap + offset;
            match s[end..].iter().position(|&c| c == b' ') {
                None => {
                    out.extend_from_slice(&s[offset..]);
                    offset = len;
                }
                Some(i) => {
                    let at = i + end;
                    out.extend_from_slice(&s[offset..at]);
                    out.extend_from_slice(new_line);
                    offset = at + 1;
                }
            }
        }
    }
    out.extend_from_slice(&s[offset..]);
    out
}

/// goutils' `Initials`: byte by byte, each byte read as a Latin-1 rune.
fn initials(s: &str) -> String {
    let mut out = String::new();
    let mut last_was_gap = true;
    for &b in s.as_bytes() {
        let ch = char::from(b);
        if unicode::is_space(ch) {
            last_was_gap = true;
        } else if last_was_gap {
            out.push(ch);
            last_was_gap = false;
        }
    }
    out
}

/// goutils' `DeleteWhiteSpace`: byte by byte, each byte taken as the
/// rune of its value; the string itself (any bytes) when nothing goes.
fn nospace(v: &Value) -> Value {
    let bytes = v.as_go_bytes().unwrap_or(b"");
    let mut out = String::new();
    let mut count = 0;
    for &b in bytes {
        let ch = char::from(b);
        if !unicode::is_space(ch) {
            out.push(ch);
            count += 1;
        }
    }
    if count == bytes.len() {
        return v.clone();
    }
    Value::from(out)
}

// ---------------------------------------------------------------------------
// Rune-wise functions.

fn map_runes(s: &str, f: fn(char) -> char) -> Value {
    Value::from(s.chars().map(f).collect::<String>())
}

/// Go's deprecated `strings.Title`: the first rune of each word (after a
/// separator) to title case.
fn title(s: &str) -> String {
    fn is_separator(r: char) -> bool {
        if r.is_ascii() {
            return !(r.is_ascii_alphanumeric() || r == '_');
        }
        if unicode::is_letter(r) || unicode::is_digit(r) {
            return false;
        }
        unicode::is_space(r)
    }
    let mut prev = ' ';
    s.chars()
        .map(|r| {
            let out = if is_separator(prev) {
                unicode::to_title(r)
            } else {
                r
            };
            prev = r;
            out
        })
        .collect()
}

/// goutils' `Uncapitalize`: the first rune after whitespace to lower case.
fn untitle(s: &str) -> String {
    let mut next = true;
    s.chars()
        .map(|c| {
            if unicode::is_space(c) {
                next = true;
                c
            } else if next {
                next = false;
                unicode::to_lower(c)
            } else {
                c
            }
        })
        .collect()
}

/// goutils' `SwapCase`: upper and title case to lower; lower case to title
/// case at the start of a word, else to upper.
fn swapcase(s: &str) -> String {
    let mut whitespace = true;
    s.chars()
        .map(|ch| {
            if unicode::is_upper(ch) || unicode::is_title(ch) {
                whitespace = false;
                unicode::to_lower(ch)
            } else if unicode::is_lower(ch) {
                if whitespace {
                    whitespace = false;
                    unicode::to_title(ch)
                } else {
                    unicode::to_upper(ch)
                }
            } else {
                whitespace = unicode::is_space(ch);
                ch
            }
        })
        .collect()
}

/// xstrings' `Shuffle`: the runes in a random order.
fn shuffle(s: &str) -> String {
    let mut runes: Vec<char> = s.chars().collect();
    let mut rng = rand::rng();
    for i in (1..runes.len()).rev() {
        let j = rng.random_range(0..=i);
        runes.swap(i, j);
    }
    runes.into_iter().collect()
}

/// Go's `strings.Replace(src, old, new, -1)`: an empty `old` matches
/// before each rune and at the end.
fn replace(args: &[Value]) -> FuncResult {
    let (old, new, src) = (arg_str(args, 0), arg_str(args, 1), arg_str(args, 2));
    let matches = if old.is_empty() {
        src.chars().count() + 1
    } else {
        src.matches(old).count()
    } as u64;
    let total = matches
        .saturating_mul(new.len() as u64)
        .saturating_add(src.len() as u64);
    if total > MAX_STRING_BYTES {
        return Err(too_long("a replacement", total));
    }
    Ok(Value::from(src.replace(old, new)))
}

fn trim_all(args: &[Value]) -> FuncResult {
    let (cutset, s) = (arg_str(args, 0), arg_str(args, 1));
    if cutset.is_empty() {
        return Ok(Value::str(s));
    }
    Ok(Value::str(s.trim_matches(|c| cutset.contains(c))))
}

// ---------------------------------------------------------------------------
// Repetition.

/// The most bytes one string function builds (the engine's default output
/// cap): Go would try to allocate more and die of it; here it is an error.
pub(crate) const MAX_STRING_BYTES: u64 = 256 << 20;

/// The error for a result longer than [`MAX_STRING_BYTES`].
pub(crate) fn too_long(what: &str, bytes: u64) -> FuncError {
    FuncError::new(format!(
        "runtime error: out of memory: {what} of {bytes} bytes"
    ))
}

/// Go's `strings.Repeat(s, count)`, with its panics.
pub(crate) fn go_repeat(s: &str, count: i64) -> Result<String, FuncError> {
    if count == 0 {
        return Ok(String::new());
    }
    if count < 0 {
        return Err(FuncError::new("strings: negative Repeat count"));
    }
    let total = (s.len() as u64).checked_mul(count as u64);
    match total {
        Some(n) if n <= i64::MAX as u64 => {
            if n > MAX_STRING_BYTES {
                return Err(too_long("a repetition", n));
            }
            Ok(s.repeat(count as usize))
        }
        _ => Err(FuncError::new("strings: Repeat output length overflow")),
    }
}

fn repeat(args: &[Value]) -> FuncResult {
    Ok(Value::from(go_repeat(arg_str(args, 1), arg_int(args, 0))?))
}

fn indent(spaces: i64, v: &str) -> Result<String, FuncError> {
    let pad = go_repeat(" ", spaces)?;
    let lines = v.bytes().filter(|&b| b == b'\n').count() as u64 + 1;
    let total = (pad.len() as u64)
        .saturating_mul(lines)
        .saturating_add(v.len() as u64);
    if total > MAX_STRING_BYTES {
        return Err(too_long("an indented string", total));
    }
    let mut out = pad.clone();
    out.push_str(&v.replace('\n', &format!("\n{pad}")));
    Ok(out)
}

// ---------------------------------------------------------------------------
// Random strings (goutils' CryptoRandom*): the OS-seeded CSPRNG.

#[derive(Clone, Copy)]
enum Charset {
    AlphaNum,
    Alpha,
    Ascii,
    Numeric,
}

fn random(args: &[Value], set: Charset) -> FuncResult {
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let count = arg_int(args, 0);
    // goutils returns an error for a negative count, which Sprig drops.
    if count <= 0 {
        return Ok(Value::str(""));
    }
    if count as u64 > MAX_STRING_BYTES {
        return Err(too_long("a random string", count as u64));
    }
    let mut rng = rand::rng();
    let out: String = (0..count)
        .map(|_| match set {
            Charset::AlphaNum => char::from(ALNUM[rng.random_range(0..ALNUM.len())]),
            Charset::Alpha => char::from(ALPHA[rng.random_range(0..ALPHA.len())]),
            Charset::Ascii => char::from(rng.random_range(32u8..127)),
            Charset::Numeric => char::from(rng.random_range(b'0'..=b'9')),
        })
        .collect();
    Ok(Value::from(out))
}

// ---------------------------------------------------------------------------
// Splitting.

/// Go's `strings.SplitN(s, sep, n)` (`Split` is `n = -1`): an empty `sep`
/// splits after each rune; `n == 0` gives nothing, `n > 0` at most `n`
/// parts (the last one the rest).
pub(crate) fn go_split<'a>(s: &'a str, sep: &str, n: i64) -> Vec<&'a str> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        let runes = s.chars().count() as i64;
        let n = if n < 0 || n > runes { runes } else { n } as usize;
        let mut out = Vec::with_capacity(n);
        let mut rest = s;
        while out.len() + 1 < n {
            let Some(c) = rest.chars().next() else { break };
            let (head, tail) = rest.split_at(c.len_utf8());
            out.push(head);
            rest = tail;
        }
        if n > 0 {
            out.push(rest);
        }
        return out;
    }
    if n < 0 {
        s.split(sep).collect()
    } else {
        s.splitn(n as usize, sep).collect()
    }
}

/// Sprig's `split`/`splitn` result: `map[string]string` with keys `_0`,
/// `_1`...
fn indexed_map(parts: Vec<&str>) -> Value {
    let entries: BTreeMap<Str, Value> = parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| (Str::from(format!("_{i}")), Value::str(p)))
        .collect();
    Value::Map(Map::from_entries(Elem::String, entries))
}

// ---------------------------------------------------------------------------
// Paths (Go's `path`; `path/filepath` on Linux is the same).

/// Go's `path.Clean`.
pub(crate) fn path_clean(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let p = path.as_bytes();
    let n = p.len();
    let rooted = p[0] == b'/';
    let mut out: Vec<u8> = Vec::with_capacity(n);
    let (mut r, mut dotdot) = (0usize, 0usize);
    if rooted {
        out.push(b'/');
        r = 1;
        dotdot = 1;
    }
    while r < n {
        if p[r] == b'/' || p[r] == b'.' && (r + 1 == n || p[r + 1] == b'/') {
            // An empty or `.` element.
            r += 1;
        } else if p[r] == b'.' && p.get(r + 1) == Some(&b'.') && (r + 2 == n || p[r + 2] == b'/') {
            r += 2;
            if out.len() > dotdot {
                // Back to the last slash (or to dotdot).
                let mut w = out.len() - 1;
                while w > dotdot && out[w] != b'/' {
                    w -= 1;
                }
                out.truncate(w);
            } else if !rooted {
                if !out.is_empty() {
                    out.push(b'/');
                }
                out.extend_from_slice(b"..");
                dotdot = out.len();
            }
        } else {
            if rooted && out.len() != 1 || !rooted && !out.is_empty() {
                out.push(b'/');
            }
            while r < n && p[r] != b'/' {
                out.push(p[r]);
                r += 1;
            }
        }
    }
    if out.is_empty() {
        return ".".into();
    }
    // Only whole elements between ASCII slashes were copied: still UTF-8.
    String::from_utf8_lossy(&out).into_owned()
}

/// Go's `path.Base`.
fn path_base(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let trimmed = path.trim_end_matches('/');
    let last = match trimmed.rfind('/') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    };
    if last.is_empty() {
        return "/".into();
    }
    last.to_string()
}

/// Go's `path.Dir`.
fn path_dir(path: &str) -> String {
    let dir = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "",
    };
    path_clean(dir)
}

/// Go's `path.Ext`.
fn path_ext(path: &str) -> &str {
    for (i, b) in path.bytes().enumerate().rev() {
        if b == b'/' {
            break;
        }
        if b == b'.' {
            return &path[i..];
        }
    }
    ""
}

// ---------------------------------------------------------------------------
// Go's `unicode` package: categories and simple case mappings.

/// Go's `unicode` predicates and case mappings.
pub(crate) mod unicode {
    use std::sync::OnceLock;

    use regex_syntax::hir::{Class, HirKind};

    type Table = Vec<(char, char)>;

    /// The ranges of a Unicode class, from the Unicode tables of
    /// `regex-syntax` (general categories by their Go names).
    fn table(class: &str) -> Table {
        let pattern = format!(r"\p{{{class}}}");
        match regex_syntax::Parser::new().parse(&pattern) {
            Ok(hir) => match hir.kind() {
                HirKind::Class(Class::Unicode(c)) => {
                    c.ranges().iter().map(|r| (r.start(), r.end())).collect()
                }
                _ => Vec::new(),
            },
            Err(_) => Vec::new(),
        }
    }

    fn contains(t: &Table, c: char) -> bool {
        t.binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
    }

    macro_rules! category {
        ($name:ident, $class:literal, $doc:literal) => {
            #[doc = $doc]
            pub(crate) fn $name(c: char) -> bool {
                static T: OnceLock<Table> = OnceLock::new();
                contains(T.get_or_init(|| table($class)), c)
            }
        };
    }

    category!(is_upper, "Lu", "Go's `unicode.IsUpper`: category Lu.");
    category!(is_lower, "Ll", "Go's `unicode.IsLower`: category Ll.");
    category!(is_title, "Lt", "Go's `unicode.IsTitle`: category Lt.");
    category!(is_letter, "L", "Go's `unicode.IsLetter`: category L.");
    category!(is_digit, "Nd", "Go's `unicode.IsDigit`: category Nd.");
    category!(is_number, "N", "Go's `unicode.IsNumber`: category N.");
    category!(is_punct, "P", "Go's `unicode.IsPunct`: category P.");

    /// Go's `unicode.IsSpace`: the White_Space property (as Rust's).
    pub(crate) fn is_space(c: char) -> bool {
        c.is_whitespace()
    }

    /// Go's `unicode.ToUpper`: the simple mapping (one rune).
    pub(crate) fn to_upper(c: char) -> char {
        match c as u32 {
            // Greek with ypogegrammeni: the full mapping is two runes,
            // the simple one the titlecase letter.
            0x1F80..=0x1F87 | 0x1F90..=0x1F97 | 0x1FA0..=0x1FA7 => {
                char::from_u32(c as u32 + 8).unwrap_or(c)
            }
            0x1FB3 | 0x1FC3 | 0x1FF3 => char::from_u32(c as u32 + 9).unwrap_or(c),
            _ => single(c.to_uppercase()).unwrap_or(c),
        }
    }

    /// Go's `unicode.ToLower`: the simple mapping.
    pub(crate) fn to_lower(c: char) -> char {
        if c == '\u{130}' {
            return 'i';
        }
        single(c.to_lowercase()).unwrap_or(c)
    }

    /// Go's `unicode.ToTitle`: the simple titlecase mapping, which differs
    /// from upper case for the digraphs and Georgian.
    pub(crate) fn to_title(c: char) -> char {
        match c as u32 {
            0x1C4..=0x1C6 => '\u{1C5}',
            0x1C7..=0x1C9 => '\u{1C8}',
            0x1CA..=0x1CC => '\u{1CB}',
            0x1F1..=0x1F3 => '\u{1F2}',
            0x10D0..=0x10FA | 0x10FD..=0x10FF => c,
            _ => to_upper(c),
        }
    }

    fn single(mut it: impl Iterator<Item = char>) -> Option<char> {
        let first = it.next()?;
        if it.next().is_some() {
            return None;
        }
        Some(first)
    }
}

// ---------------------------------------------------------------------------
// huandu/xstrings v1.5.0: ToSnakeCase, ToKebabCase, ToPascalCase.

mod xstrings {
    use super::unicode;

    const RUNE_ERROR: char = '\u{FFFD}';

    fn is_connector(r: char) -> bool {
        r == '-' || r == '_' || unicode::is_space(r)
    }

    /// A letter that is not a CJK ideograph.
    fn is_alphabet(r: char) -> bool {
        if !unicode::is_letter(r) {
            return false;
        }
        let u = r as u32;
        if u < 0x3400 {
            return true;
        }
        !((0x4E00..=0x9FCC).contains(&u)
            || (0x3400..=0x4D85).contains(&u)
            || (0x20000..=0x2B81D).contains(&u))
    }

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Word {
        Invalid,
        Number,
        Upper,
        Alphabet,
        Connector,
        Punct,
        Other,
    }

    /// The first rune that is not U+FFFD (Go's RuneError, which xstrings
    /// skips) and the bytes up to and including it; `prev` when none.
    fn next_valid_rune(s: &str, prev: char) -> (char, usize) {
        let mut size = 0;
        for c in s.chars() {
            size += c.len_utf8();
            if c != RUNE_ERROR {
                return (c, size);
            }
        }
        (prev, size)
    }

    /// xstrings' `nextWord`: the type and text of the leading word.
    fn next_word(s: &str) -> (Word, &str, &str) {
        if s.is_empty() {
            return (Word::Invalid, "", "");
        }
        let (mut r, mut size) = next_valid_rune(s, RUNE_ERROR);
        let mut offset = size;
        if r == RUNE_ERROR {
            return (Word::Invalid, &s[..offset], &s[offset..]);
        }
        let mut remaining = s;
        let wt;
        if is_connector(r) {
            wt = Word::Connector;
            remaining = &remaining[size..];
            while !remaining.is_empty() {
                (r, size) = next_valid_rune(remaining, r);
                if !is_connector(r) {
                    break;
                }
                offset += size;
                remaining = &remaining[size..];
            }
        } else if unicode::is_punct(r) {
            wt = Word::Punct;
            remaining = &remaining[size..];
            while !remaining.is_empty() {
                (r, size) = next_valid_rune(remaining, r);
                if !unicode::is_punct(r) {
                    break;
                }
                offset += size;
                remaining = &remaining[size..];
            }
        } else if unicode::is_upper(r) {
            wt = Word::Upper;
            remaining = &remaining[size..];
            if !remaining.is_empty() {
                (r, size) = next_valid_rune(remaining, r);
                if unicode::is_upper(r) {
                    let mut prev_size = size;
                    offset += size;
                    remaining = &remaining[size..];
                    while !remaining.is_empty() {
                        (r, size) = next_valid_rune(remaining, r);
                        if !unicode::is_upper(r) {
                            break;
                        }
                        prev_size = size;
                        offset += size;
                        remaining = &remaining[size..];
                    }
                    // "HTTPStatus": the "S" starts the next word.
                    if !remaining.is_empty() && is_alphabet(r) {
                        offset -= prev_size;
                        remaining = &s[offset..];
                    }
                } else if is_alphabet(r) {
                    offset += size;
                    remaining = &remaining[size..];
                    while !remaining.is_empty() {
                        (r, size) = next_valid_rune(remaining, r);
                        if !is_alphabet(r) || unicode::is_upper(r) {
                            break;
                        }
                        offset += size;
                        remaining = &remaining[size..];
                    }
                }
            }
        } else if is_alphabet(r) {
            wt = Word::Alphabet;
            remaining = &remaining[size..];
            while !remaining.is_empty() {
                (r, size) = next_valid_rune(remaining, r);
                if !is_alphabet(r) || unicode::is_upper(r) {
                    break;
                }
                offset += size;
                remaining = &remaining[size..];
            }
        } else if unicode::is_number(r) {
            wt = Word::Number;
            remaining = &remaining[size..];
            while !remaining.is_empty() {
                (r, size) = next_valid_rune(remaining, r);
                if !unicode::is_number(r) {
                    break;
                }
                offset += size;
                remaining = &remaining[size..];
            }
        } else {
            wt = Word::Other;
            remaining = &remaining[size..];
            while !remaining.is_empty() {
                (r, size) = next_valid_rune(remaining, r);
                if size == 0
                    || is_connector(r)
                    || is_alphabet(r)
                    || unicode::is_number(r)
                    || unicode::is_punct(r)
                {
                    break;
                }
                offset += size;
                remaining = &remaining[size..];
            }
        }
        (wt, &s[..offset], remaining)
    }

    fn to_lower(buf: &mut String, wt: Word, s: &str, connector: char) {
        if wt != Word::Upper && wt != Word::Connector {
            buf.push_str(s);
            return;
        }
        for r in s.chars() {
            if is_connector(r) {
                buf.push(connector);
            } else if unicode::is_upper(r) {
                buf.push(unicode::to_lower(r));
            } else {
                buf.push(r);
            }
        }
    }

    /// xstrings' `camelCaseToLowerCase` (ToSnakeCase with `_`,
    /// ToKebabCase with `-`).
    pub(super) fn camel_to_lower(s: &str, connector: char) -> String {
        if s.is_empty() {
            return String::new();
        }
        let mut buf = String::with_capacity(s.len() + s.len() / 2);
        let (mut wt, mut word, mut remaining) = next_word(s);
        while !remaining.is_empty() {
            if wt != Word::Connector {
                to_lower(&mut buf, wt, word, connector);
            }
            let prev = wt;
            let last = word;
            (wt, word, remaining) = next_word(remaining);
            match prev {
                Word::Number => {
                    while wt == Word::Alphabet || wt == Word::Number {
                        to_lower(&mut buf, wt, word, connector);
                        (wt, word, remaining) = next_word(remaining);
                    }
                    if wt != Word::Invalid && wt != Word::Punct && wt != Word::Connector {
                        buf.push(connector);
                    }
                }
                Word::Connector => to_lower(&mut buf, prev, last, connector),
                Word::Punct => {}
                _ => {
                    if wt != Word::Number {
                        if wt != Word::Connector && wt != Word::Punct {
                            buf.push(connector);
                        }
                        continue;
                    }
                    if remaining.is_empty() {
                        continue;
                    }
                    let last = word;
                    (wt, word, remaining) = next_word(remaining);
                    // "Bld4Floor": the number belongs to the word before.
                    if wt != Word::Alphabet {
                        to_lower(&mut buf, Word::Number, last, connector);
                        if wt != Word::Connector && wt != Word::Punct {
                            buf.push(connector);
                        }
                        continue;
                    }
                    // "HTTP2xx": a connector before the number.
                    buf.push(connector);
                    to_lower(&mut buf, Word::Number, last, connector);
                    while wt == Word::Alphabet || wt == Word::Number {
                        to_lower(&mut buf, wt, word, connector);
                        (wt, word, remaining) = next_word(remaining);
                    }
                    if wt != Word::Invalid && wt != Word::Connector && wt != Word::Punct {
                        buf.push(connector);
                    }
                }
            }
        }
        to_lower(&mut buf, wt, word, connector);
        buf
    }

    /// xstrings' `ToPascalCase` (`toCamelCase(str, true)`).
    pub(super) fn to_pascal_case(s: &str) -> String {
        if s.is_empty() {
            return String::new();
        }
        let mut buf = String::with_capacity(s.len());
        let mut is_first_rune_upper = false;
        let mut chars = s.chars().peekable();
        let mut r0 = '\0';
        let mut got = false;
        // Leading connectors stay.
        for c in chars.by_ref() {
            if !is_connector(c) {
                is_first_rune_upper = unicode::is_upper(c);
                r0 = unicode::to_upper(c);
                got = true;
                break;
            }
            buf.push(c);
        }
        if chars.peek().is_none() {
            if got {
                buf.push(r0);
            }
            return buf;
        }
        for c in chars {
            let r1 = r0;
            r0 = c;
            if is_connector(r0) && is_connector(r1) {
                buf.push(r1);
                continue;
            }
            if is_connector(r1) {
                is_first_rune_upper = unicode::is_upper(r0);
                r0 = unicode::to_upper(r0);
            } else {
                if is_first_rune_upper {
                    if unicode::is_upper(r0) {
                        r0 = unicode::to_lower(r0);
                    } else {
                        is_first_rune_upper = false;
                    }
                }
                buf.push(r1);
            }
        }
        buf.push(r0);
        buf
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::*;
    use crate::template::funcs::call;

    fn s(v: &str) -> Value {
        Value::str(v)
    }

    fn i(n: i64) -> Value {
        Value::Int(n)
    }

    fn ok(name: &str, args: &[Value]) -> String {
        call(name, args).expect(name).to_string()
    }

    fn err(name: &str, args: &[Value]) -> String {
        call(name, args).expect_err(name).0
    }

    // Expected values below are Helm v4.3.0's output (the fixtures in
    // tests/template/strings) unless said otherwise.

    #[test]
    fn abbreviations() {
        assert_eq!(ok("abbrev", &[i(5), s("hello world")]), "he...");
        assert_eq!(ok("abbrev", &[i(3), s("hello world")]), "hello world");
        assert_eq!(ok("abbrev", &[i(7), s("héllo wörld")]), "hél...");
        assert_eq!(
            ok("abbrevboth", &[i(5), i(10), s("1234 5678 9123")]),
            "...5678..."
        );
        assert_eq!(
            ok("abbrevboth", &[i(0), i(6), s("1234 5678 9123")]),
            "123..."
        );
        assert_eq!(
            ok("abbrevboth", &[i(12), i(8), s("abcdefghijklmnopq")]),
            "...mnopq"
        );
        assert_eq!(
            ok(
                "abbrevboth",
                &[i(6), i(10), s("abcdefghijklmnopqrstuvwxyz")]
            ),
            "...ghij..."
        );
        assert_eq!(
            ok("abbrevboth", &[i(-3), i(7), s("abcdefghijklmnopq")]),
            "abcd..."
        );
    }

    #[test]
    fn trunc_and_substr() {
        assert_eq!(ok("trunc", &[i(-5), s("hello world")]), "world");
        assert_eq!(ok("trunc", &[i(-50), s("hello world")]), "hello world");
        assert_eq!(ok("trunc", &[i(3), s("héllo")]), "hé");
        assert_eq!(ok("substr", &[i(-1), i(3), s("hello")]), "hel");
        assert_eq!(ok("substr", &[i(2), i(-1), s("hello")]), "llo");
        assert_eq!(
            err("substr", &[i(-1), i(10), s("hello")]),
            "runtime error: slice bounds out of range [:10] with length 5"
        );
        assert_eq!(
            err("substr", &[i(-1), i(-1), s("hello")]),
            "runtime error: slice bounds out of range [:-1]"
        );
        assert_eq!(
            err("substr", &[i(9), i(12), s("hello")]),
            "runtime error: slice bounds out of range [9:5]"
        );
        assert_eq!(
            err("substr", &[i(3), i(1), s("hello")]),
            "runtime error: slice bounds out of range [3:1]"
        );
    }

    #[test]
    fn case_mapping() {
        assert_eq!(ok("upper", &[s("hello World ß é ǆ")]), "HELLO WORLD ß É Ǆ");
        assert_eq!(ok("lower", &[s("HELLO World İ Σ ǅ")]), "hello world i σ ǆ");
        assert_eq!(
            ok("title", &[s("hello world-wide o'neil x_y 3am")]),
            "Hello World-Wide O'Neil X_y 3am"
        );
        assert_eq!(
            ok("title", &[s("élan ǆungla ßtraße ábc.déf")]),
            "Élan ǅungla ßtraße Ábc.Déf"
        );
        assert_eq!(ok("untitle", &[s("Élan\tÉcole ÄÖ")]), "élan\técole äÖ");
        assert_eq!(
            ok("swapcase", &[s("Hello World this IS")]),
            "hELLO wORLD THIS is"
        );
        assert_eq!(
            ok("swapcase", &[s("ǅemal ǆ Σίσυφος ß")]),
            "ǆEMAL ǅ σΊΣΥΦΟΣ ß"
        );
    }

    #[test]
    fn byte_wise_goutils() {
        assert_eq!(ok("initials", &[s("élan vital")]), "Ãv");
        assert_eq!(ok("nospace", &[s("héllo wörld")]), "hÃ©llowÃ¶rld");
        assert_eq!(ok("nospace", &[s("héllo")]), "héllo");
        assert_eq!(ok("nospace", &[s("à b")]), "Ãb");
    }

    #[test]
    fn xstrings_cases() {
        let snake = |v: &str| ok("snakecase", &[s(v)]);
        assert_eq!(snake("HTTPServer"), "http_server");
        assert_eq!(snake("HTTP20xOK"), "http_20x_ok");
        assert_eq!(snake("Bld4Floor3rd"), "bld4_floor_3rd");
        assert_eq!(snake("_a__b_"), "_a__b_");
        assert_eq!(snake("a.b,C"), "a.b,c");
        assert_eq!(snake("中文Name"), "中文_name");
        assert_eq!(snake("a1b2"), "a_1b2");
        assert_eq!(snake("v1.2.3"), "v1.2.3");
        assert_eq!(ok("kebabcase", &[s("some_words here")]), "some-words-here");
        let camel = |v: &str| ok("camelcase", &[s(v)]);
        assert_eq!(camel("_complex__case_"), "_Complex_Case_");
        assert_eq!(camel("GOLANG_IS_GREAT"), "GolangIsGreat");
        assert_eq!(camel("helloWorld"), "HelloWorld");
        assert_eq!(camel("ABC"), "Abc");
        assert_eq!(camel("é_à"), "ÉÀ");
        assert_eq!(camel("_"), "_");
        assert_eq!(camel("a"), "A");
    }

    #[test]
    fn wrapping() {
        assert_eq!(ok("wrap", &[i(3), s("abcdefgh ij")]), "abcdefgh\nij");
        assert_eq!(ok("wrap", &[i(4), s("   ab   cd ef")]), "ab  \ncd\nef");
        assert_eq!(
            ok("wrapWith", &[i(3), s("|"), s("abcdefgh ij")]),
            "abc|def|gh|ij"
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(ok("quote", &[s("a"), Value::Nil, s("b")]), r#""a" "b""#);
        assert_eq!(ok("quote", &[Value::Float(1e6)]), r#""1e+06""#);
        assert_eq!(ok("squote", &[Value::list(vec![i(1), i(2)])]), "'[1 2]'");
        assert_eq!(ok("cat", &[s("a"), Value::Nil, s("b")]), "a b");
        assert_eq!(ok("quote", &[]), "");
    }

    #[test]
    fn repeat_and_indent() {
        assert_eq!(
            err("repeat", &[i(-1), s("ab")]),
            "strings: negative Repeat count"
        );
        assert_eq!(
            err("indent", &[i(-1), s("ab")]),
            "strings: negative Repeat count"
        );
        // Go's overflow panic (strings.Repeat source).
        assert_eq!(
            err("repeat", &[i(i64::MAX), s("ab")]),
            "strings: Repeat output length overflow"
        );
        assert_eq!(ok("indent", &[i(2), s("a\n")]), "  a\n  ");
        // Where Go would run out of memory, an error (not Go's behaviour).
        for (name, args) in [
            ("repeat", vec![i(300 << 20), s("a")]),
            ("indent", vec![i(200 << 20), s("a\nb")]),
            (
                "replace",
                vec![s(""), s(&"x".repeat(1 << 20)), s(&"y".repeat(300))],
            ),
            ("randAlpha", vec![i(1 << 40)]),
        ] {
            assert!(
                err(name, &args).starts_with("runtime error: out of memory"),
                "{name}"
            );
        }
        assert_eq!(ok("nindent", &[i(2), s("a\nb")]), "\n  a\n  b");
    }

    #[test]
    fn splitting_and_joining() {
        assert_eq!(ok("split", &[s(""), s("abc")]), "map[_0:a _1:b _2:c]");
        assert_eq!(ok("split", &[s(","), s("")]), "map[_0:]");
        assert_eq!(ok("splitList", &[s(""), s("héllo")]), "[h é l l o]");
        assert_eq!(ok("splitList", &[s(""), s("")]), "[]");
        assert_eq!(ok("splitn", &[s(","), i(0), s("a,b,c")]), "map[]");
        assert_eq!(ok("splitn", &[s(""), i(2), s("abc")]), "map[_0:a _1:bc]");
        assert_eq!(
            ok("splitn", &[s(","), i(-1), s("a,b,c")]),
            "map[_0:a _1:b _2:c]"
        );
        let list = Value::list(vec![s("a"), Value::Nil, i(1), Value::Float(2.5)]);
        assert_eq!(ok("join", &[s("-"), list]), "a-1-2.5");
        assert_eq!(ok("join", &[s(","), Value::Nil]), "");
        assert_eq!(
            ok("join", &[s(","), Value::Bytes(Rc::from(&b"hi"[..]))]),
            "104,105"
        );
        assert_eq!(ok("sortAlpha", &[Value::Nil]), "[<nil>]");
        let mixed = Value::list(vec![s("b"), s("a"), s("C"), s("10"), s("9")]);
        assert_eq!(ok("sortAlpha", &[mixed]), "[10 9 C a b]");
        assert_eq!(ok("toStrings", &[s("abc")]), "[abc]");
        assert_eq!(
            call("toStrings", &[Value::Nil]).unwrap().type_name(),
            "[]string"
        );
        assert_eq!(
            call("split", &[s(","), s("a")]).unwrap().type_name(),
            "map[string]string"
        );
    }

    #[test]
    fn paths() {
        let base: Vec<String> = ["/a/b/c.txt", "/a/b/", "", "/", "//", "abc"]
            .iter()
            .map(|p| ok("base", &[s(p)]))
            .collect();
        assert_eq!(base, ["c.txt", "b", ".", "/", "/", "abc"]);
        let dir: Vec<String> = ["/a/b/c.txt", "a/b", "abc", "", "/", "/a/../.."]
            .iter()
            .map(|p| ok("dir", &[s(p)]))
            .collect();
        assert_eq!(dir, ["/a/b", "a", ".", ".", "/", "/"]);
        let clean: Vec<String> = ["a//b/./c/../d/", "", "../../a", "/../a", "a/..", "/./"]
            .iter()
            .map(|p| ok("clean", &[s(p)]))
            .collect();
        assert_eq!(clean, ["a/b/d", ".", "../../a", "/a", ".", "/"]);
        let ext: Vec<String> = ["a/b.tar.gz", "a.b/c", "noext", ".", ".bashrc"]
            .iter()
            .map(|p| ok("ext", &[s(p)]))
            .collect();
        assert_eq!(ext, [".gz", "", "", ".", ".bashrc"]);
    }

    #[test]
    fn random_forms() {
        let check = |name: &str, n: i64, allowed: fn(char) -> bool| {
            let out = ok(name, &[i(n)]);
            assert_eq!(out.chars().count() as i64, n, "{name}");
            assert!(out.chars().all(allowed), "{name}: {out}");
        };
        check("randAlphaNum", 200, |c| c.is_ascii_alphanumeric());
        check("randAlpha", 200, |c| c.is_ascii_alphabetic());
        check("randNumeric", 200, |c| c.is_ascii_digit());
        check("randAscii", 200, |c| (' '..='~').contains(&c));
        assert_eq!(ok("randAlpha", &[i(-1)]), "");
        let shuffled = ok("shuffle", &[s("héllo wörld")]);
        let mut a: Vec<char> = shuffled.chars().collect();
        let mut b: Vec<char> = "héllo wörld".chars().collect();
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b);
    }

    #[test]
    fn unicode_tables() {
        assert!(unicode::is_upper('A') && !unicode::is_upper('Ⓐ'));
        assert!(unicode::is_lower('a') && !unicode::is_lower('ª'));
        assert!(unicode::is_title('ǅ'));
        assert_eq!(unicode::to_upper('ᾀ'), 'ᾈ');
        assert_eq!(unicode::to_upper('ß'), 'ß');
        assert_eq!(unicode::to_title('ǆ'), 'ǅ');
        assert_eq!(unicode::to_title('ა'), 'ა');
        assert_eq!(unicode::to_upper('ა'), 'Ა');
    }
}
