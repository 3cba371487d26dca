//! Go's `fmt` and `strconv` formatting, as templates reach them through
//! `print`, `printf`, `println` and Sprig (`quote`, `toString`, `cat`).
//!
//! A port of Go's `fmt/print.go` and `fmt/format.go` (the printer, its
//! flags, widths, precisions, argument indexes and `%!` error forms) and of
//! `strconv`'s `FormatFloat`, `Quote` and `QuoteRune`, for the value kinds
//! of [`Value`]. The decimal digits of floats come from Rust's correctly
//! rounded formatting (shortest round-trip for precision -1, exact
//! round-half-even otherwise), which is what Go's Ryū and multiprecision
//! paths produce; the layout around the digits is Go's code.
//!
//! `IsPrint` (which runes `%q` and `js` leave unescaped) is Go's
//! definition, letters, marks, numbers, punctuation, symbols and U+0020,
//! from a range table generated from the Unicode 17.0.0 database (the
//! version of the Go that Helm v4.3.0 is built with: the oracle prints
//! U+20C1, new in 17.0, raw, and escapes characters new in 18.0).

use super::value::{Elem, Value};

/// `fmt.Sprintf(format, args...)`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    bytes_to_string(sprintf_bytes(format, args))
}

/// [`sprintf`]'s bytes: a string argument that is not UTF-8 prints as it is.
pub fn sprintf_bytes(format: &str, args: &[Value]) -> Vec<u8> {
    let mut p = Printer::new();
    p.do_printf(format, args);
    p.buf
}

/// `fmt.Sprint(args...)`: spaces between operands when neither is a string.
pub fn sprint(args: &[Value]) -> String {
    bytes_to_string(sprint_bytes(args))
}

/// [`sprint`]'s bytes.
pub fn sprint_bytes(args: &[Value]) -> Vec<u8> {
    let mut p = Printer::new();
    let mut prev_string = false;
    for (i, arg) in args.iter().enumerate() {
        let is_string = matches!(arg, Value::String(_) | Value::Binary(_));
        if i > 0 && !is_string && !prev_string {
            p.buf.push(b' ');
        }
        p.print_arg(arg, 'v');
        prev_string = is_string;
    }
    p.buf
}

/// `fmt.Sprintln(args...)`: spaces between all operands, newline after.
pub fn sprintln(args: &[Value]) -> String {
    bytes_to_string(sprintln_bytes(args))
}

/// [`sprintln`]'s bytes.
pub fn sprintln_bytes(args: &[Value]) -> Vec<u8> {
    let mut p = Printer::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            p.buf.push(b' ');
        }
        p.print_arg(arg, 'v');
    }
    p.buf.push(b'\n');
    p.buf
}

/// `fmt.Sprint(v)` of one value: Go's `%v`.
pub fn format_v(v: &Value) -> String {
    let mut p = Printer::new();
    p.print_arg(v, 'v');
    p.into_string()
}

/// `strconv.Quote(s)`: `%q` of a string.
pub fn quote(s: &str) -> String {
    bytes_to_string(append_quoted(Vec::new(), s.as_bytes(), b'"', false))
}

/// `strconv.Quote(string(b))` for bytes that may not be UTF-8: invalid
/// bytes come out as `\xNN`.
pub fn quote_bytes(b: &[u8]) -> String {
    bytes_to_string(append_quoted(Vec::new(), b, b'"', false))
}

/// `strconv.QuoteToASCII(s)`: `%+q` of a string.
pub fn quote_to_ascii(s: &str) -> String {
    bytes_to_string(append_quoted(Vec::new(), s.as_bytes(), b'"', true))
}

/// `strconv.QuoteRune(r)`: `%q` of an integer; invalid code points quote
/// as U+FFFD.
pub fn quote_rune(r: i64) -> String {
    let mut buf = Vec::new();
    append_quoted_rune(&mut buf, rune_or_error(r), b'\'', false);
    bytes_to_string(buf)
}

/// `strconv.CanBackquote(s)`: whether `%#q` may print `s` in backquotes.
pub fn can_backquote(s: &str) -> bool {
    !s.chars()
        .any(|c| c == '\u{feff}' || (c < ' ' && c != '\t') || c == '`' || c == '\u{7f}')
}

/// Go's `unicode.IsPrint` (and `strconv.IsPrint`): letters, marks, numbers,
/// punctuation, symbols and the ASCII space.
pub fn is_print(c: char) -> bool {
    let c = c as u32;
    PRINT_RANGES
        .binary_search_by(|&(lo, hi)| {
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

/// `strconv.FormatFloat(x, fmt, prec, bits)` with `fmt` one of
/// `b e E f g G x X` and `prec` -1 for the shortest exact form; `bits` is
/// 32 (round to `float32` first) or 64.
pub fn format_float(x: f64, fmt: u8, prec: i32, bits: u32) -> String {
    bytes_to_string(append_float(Vec::new(), x, fmt, prec, bits))
}

// ---------------------------------------------------------------------------
// strconv: quoting

const LOWERHEX: &[u8; 16] = b"0123456789abcdef";

fn bytes_to_string(b: Vec<u8>) -> String {
    match String::from_utf8(b) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// A Go `rune(c)` that must be a valid code point, else U+FFFD (what
/// `fmtC`, `fmtQc` and `QuoteRune` do).
fn rune_or_error(r: i64) -> char {
    u32::try_from(r)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or('\u{fffd}')
}

fn append_quoted(mut buf: Vec<u8>, s: &[u8], quote: u8, ascii_only: bool) -> Vec<u8> {
    buf.push(quote);
    for chunk in s.utf8_chunks() {
        // Runs of printable ASCII that need no escape are copied whole:
        // most quoted strings (names, base64) are nothing else.
        let mut rest = chunk.valid();
        while !rest.is_empty() {
            let plain = rest
                .bytes()
                .position(|b| !(b' '..=b'~').contains(&b) || b == quote || b == b'\\')
                .unwrap_or(rest.len());
            buf.extend_from_slice(&rest.as_bytes()[..plain]);
            rest = &rest[plain..];
            let mut chars = rest.chars();
            if let Some(c) = chars.next() {
                append_escaped_rune(&mut buf, c, quote, ascii_only);
                rest = chars.as_str();
            }
        }
        // Go decodes an invalid sequence one byte at a time, and each byte
        // of Rust's maximal invalid prefix is such a byte.
        for &b in chunk.invalid() {
            buf.extend_from_slice(b"\\x");
            buf.push(LOWERHEX[(b >> 4) as usize]);
            buf.push(LOWERHEX[(b & 0xf) as usize]);
        }
    }
    buf.push(quote);
    buf
}

fn append_quoted_rune(buf: &mut Vec<u8>, r: char, quote: u8, ascii_only: bool) {
    buf.push(quote);
    append_escaped_rune(buf, r, quote, ascii_only);
    buf.push(quote);
}

fn append_escaped_rune(buf: &mut Vec<u8>, r: char, quote: u8, ascii_only: bool) {
    if r as u32 == quote as u32 || r == '\\' {
        buf.push(b'\\');
        buf.push(r as u8);
        return;
    }
    if ascii_only {
        if r.is_ascii() && is_print(r) {
            buf.push(r as u8);
            return;
        }
    } else if is_print(r) {
        let mut tmp = [0u8; 4];
        buf.extend_from_slice(r.encode_utf8(&mut tmp).as_bytes());
        return;
    }
    match r {
        '\x07' => buf.extend_from_slice(b"\\a"),
        '\x08' => buf.extend_from_slice(b"\\b"),
        '\x0c' => buf.extend_from_slice(b"\\f"),
        '\n' => buf.extend_from_slice(b"\\n"),
        '\r' => buf.extend_from_slice(b"\\r"),
        '\t' => buf.extend_from_slice(b"\\t"),
        '\x0b' => buf.extend_from_slice(b"\\v"),
        _ => {
            let r = r as u32;
            if r < ' ' as u32 || r == 0x7f {
                buf.extend_from_slice(b"\\x");
                buf.push(LOWERHEX[(r >> 4) as usize & 0xf]);
                buf.push(LOWERHEX[r as usize & 0xf]);
            } else if r < 0x10000 {
                buf.extend_from_slice(b"\\u");
                for s in (0..=12).rev().step_by(4) {
                    buf.push(LOWERHEX[(r >> s) as usize & 0xf]);
                }
            } else {
                buf.extend_from_slice(b"\\U");
                for s in (0..=28).rev().step_by(4) {
                    buf.push(LOWERHEX[(r >> s) as usize & 0xf]);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// strconv: FormatFloat

/// Decimal digits `0.d[0]d[1]... * 10^dp`, without trailing zeros (`nd`
/// is `d.len()`); zero is no digits and `dp` 0. Go's `decimalSlice`.
struct Digits {
    d: Vec<u8>,
    dp: i32,
}

impl Digits {
    fn nd(&self) -> i32 {
        self.d.len() as i32
    }

    /// From Rust's `{:e}` form `d.ddde[-]x` of a non-negative number.
    fn from_exp(s: &str) -> Digits {
        let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let d: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
        Digits { d, dp: exp + 1 }.trimmed()
    }

    /// From Rust's `{:.N}` form `ddd.ddd` of a non-negative number.
    fn from_fixed(s: &str) -> Digits {
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let int = int.trim_start_matches('0');
        let mut d: Vec<u8> = Vec::with_capacity(int.len() + frac.len());
        let dp;
        if int.is_empty() {
            let lead = frac.len() - frac.trim_start_matches('0').len();
            dp = -(lead as i32);
            d.extend_from_slice(&frac.as_bytes()[lead..]);
        } else {
            dp = int.len() as i32;
            d.extend_from_slice(int.as_bytes());
            d.extend_from_slice(frac.as_bytes());
        }
        Digits { d, dp }.trimmed()
    }

    fn trimmed(mut self) -> Digits {
        while self.d.last() == Some(&b'0') {
            self.d.pop();
        }
        if self.d.is_empty() || self.d.iter().all(|&c| c == b'0') {
            self.d.clear();
            self.dp = 0;
        }
        self
    }
}

fn append_float(mut dst: Vec<u8>, val: f64, fmt: u8, prec: i32, bit_size: u32) -> Vec<u8> {
    let single = bit_size == 32;
    let (bits, mantbits, expbits, bias): (u64, u32, u32, i32) = if single {
        (u64::from((val as f32).to_bits()), 23, 8, -127)
    } else {
        (val.to_bits(), 52, 11, -1023)
    };
    let neg = bits >> (expbits + mantbits) != 0;
    let mut exp = ((bits >> mantbits) & ((1u64 << expbits) - 1)) as i32;
    let mut mant = bits & ((1u64 << mantbits) - 1);

    if exp == (1 << expbits) - 1 {
        let s: &[u8] = if mant != 0 {
            b"NaN"
        } else if neg {
            b"-Inf"
        } else {
            b"+Inf"
        };
        dst.extend_from_slice(s);
        return dst;
    }
    if exp == 0 {
        exp += 1; // denormalized
    } else {
        mant |= 1u64 << mantbits;
    }
    exp += bias;

    if fmt == b'b' {
        return fmt_b(dst, neg, mant, exp, mantbits);
    }
    if fmt == b'x' || fmt == b'X' {
        return fmt_x(dst, prec, fmt, neg, mant, exp, mantbits);
    }

    // The digits, from Rust's correctly rounded formatting of |val|.
    let abs = val.abs();
    let shortest = prec < 0;
    let mut prec = prec;
    let digs;
    if shortest {
        digs = if single {
            Digits::from_exp(&format!("{:e}", abs as f32))
        } else {
            Digits::from_exp(&format!("{:e}", abs))
        };
        prec = match fmt {
            b'e' | b'E' => (digs.nd() - 1).max(0),
            b'f' => (digs.nd() - digs.dp).max(0),
            b'g' | b'G' => digs.nd(),
            _ => prec,
        };
    } else {
        let abs = if single { f64::from(abs as f32) } else { abs };
        digs = match fmt {
            b'e' | b'E' => Digits::from_exp(&format!("{:.*e}", prec as usize, abs)),
            b'f' => Digits::from_fixed(&format!("{:.*}", prec as usize, abs)),
            b'g' | b'G' => {
                if prec == 0 {
                    prec = 1;
                }
                Digits::from_exp(&format!("{:.*e}", (prec - 1) as usize, abs))
            }
            _ => Digits::from_exp(&format!("{:.0e}", abs)),
        };
    }
    format_digits(dst, shortest, neg, &digs, prec, fmt)
}

fn format_digits(
    mut dst: Vec<u8>,
    shortest: bool,
    neg: bool,
    digs: &Digits,
    prec: i32,
    fmt: u8,
) -> Vec<u8> {
    match fmt {
        b'e' | b'E' => fmt_e(dst, neg, digs, prec, fmt),
        b'f' => fmt_f(dst, neg, digs, prec),
        b'g' | b'G' => {
            let mut prec = prec;
            let mut eprec = prec;
            if eprec > digs.nd() && digs.nd() >= digs.dp {
                eprec = digs.nd();
            }
            // %e is used if the exponent from the conversion is less than
            // -4 or greater than or equal to the precision; for the
            // shortest form the precision for this decision is 6.
            if shortest {
                eprec = 6;
            }
            let exp = digs.dp - 1;
            if exp < -4 || exp >= eprec {
                if prec > digs.nd() {
                    prec = digs.nd();
                }
                return fmt_e(dst, neg, digs, prec - 1, fmt + b'e' - b'g');
            }
            if prec > digs.dp {
                prec = digs.nd();
            }
            fmt_f(dst, neg, digs, (prec - digs.dp).max(0))
        }
        _ => {
            dst.push(b'%');
            dst.push(fmt);
            dst
        }
    }
}

/// `%e`: `-d.ddddde±dd`.
fn fmt_e(mut dst: Vec<u8>, neg: bool, d: &Digits, prec: i32, fmt: u8) -> Vec<u8> {
    if neg {
        dst.push(b'-');
    }
    dst.push(d.d.first().copied().unwrap_or(b'0'));
    if prec > 0 {
        dst.push(b'.');
        let m = (d.nd()).min(prec + 1).max(1) as usize;
        if m > 1 {
            dst.extend_from_slice(&d.d[1..m]);
        }
        dst.extend(std::iter::repeat_n(
            b'0',
            (prec + 1 - m as i32).max(0) as usize,
        ));
    }
    dst.push(fmt);
    let mut exp = if d.d.is_empty() { 0 } else { d.dp - 1 };
    if exp < 0 {
        dst.push(b'-');
        exp = -exp;
    } else {
        dst.push(b'+');
    }
    if exp < 10 {
        dst.push(b'0');
        dst.push(b'0' + exp as u8);
    } else if exp < 100 {
        dst.push(b'0' + (exp / 10) as u8);
        dst.push(b'0' + (exp % 10) as u8);
    } else {
        dst.push(b'0' + (exp / 100) as u8);
        dst.push(b'0' + ((exp / 10) % 10) as u8);
        dst.push(b'0' + (exp % 10) as u8);
    }
    dst
}

/// `%f`: `-ddddddd.ddddd`.
fn fmt_f(mut dst: Vec<u8>, neg: bool, d: &Digits, prec: i32) -> Vec<u8> {
    if neg {
        dst.push(b'-');
    }
    if d.dp > 0 {
        let m = d.nd().min(d.dp) as usize;
        dst.extend_from_slice(&d.d[..m]);
        dst.extend(std::iter::repeat_n(b'0', (d.dp - m as i32).max(0) as usize));
    } else {
        dst.push(b'0');
    }
    if prec > 0 {
        dst.push(b'.');
        for i in 0..prec {
            let j = d.dp + i;
            let ch = if 0 <= j && j < d.nd() {
                d.d[j as usize]
            } else {
                b'0'
            };
            dst.push(ch);
        }
    }
    dst
}

/// `%b`: `-ddddddddp±ddd`.
fn fmt_b(mut dst: Vec<u8>, neg: bool, mant: u64, exp: i32, mantbits: u32) -> Vec<u8> {
    if neg {
        dst.push(b'-');
    }
    dst.extend_from_slice(mant.to_string().as_bytes());
    dst.push(b'p');
    let exp = exp - mantbits as i32;
    if exp >= 0 {
        dst.push(b'+');
    }
    dst.extend_from_slice(exp.to_string().as_bytes());
    dst
}

/// `%x`: `-0x1.yyyyyyyyp±ddd` or `-0x0p+0`.
fn fmt_x(
    mut dst: Vec<u8>,
    prec: i32,
    fmt: u8,
    neg: bool,
    mant: u64,
    exp: i32,
    mantbits: u32,
) -> Vec<u8> {
    let mut mant = mant;
    let mut exp = exp;
    if mant == 0 {
        exp = 0;
    }
    // Shift digits so leading 1 (if any) is at bit 1<<60.
    mant <<= 60 - mantbits;
    while mant != 0 && mant & (1 << 60) == 0 {
        mant <<= 1;
        exp -= 1;
    }
    // Round if requested.
    if (0..15).contains(&prec) {
        let shift = (prec * 4) as u32;
        let extra = (mant << shift) & ((1u64 << 60) - 1);
        mant >>= 60 - shift;
        if extra | (mant & 1) > 1 << 59 {
            mant += 1;
        }
        mant <<= 60 - shift;
        if mant & (1 << 61) != 0 {
            // Wrapped around.
            mant >>= 1;
            exp += 1;
        }
    }
    let hex: &[u8; 16] = if fmt == b'X' {
        b"0123456789ABCDEF"
    } else {
        LOWERHEX
    };
    if neg {
        dst.push(b'-');
    }
    dst.push(b'0');
    dst.push(fmt);
    dst.push(b'0' + ((mant >> 60) & 1) as u8);
    mant <<= 4; // remove leading 0 or 1
    if prec < 0 && mant != 0 {
        dst.push(b'.');
        while mant != 0 {
            dst.push(hex[((mant >> 60) & 15) as usize]);
            mant <<= 4;
        }
    } else if prec > 0 {
        dst.push(b'.');
        for _ in 0..prec {
            dst.push(hex[((mant >> 60) & 15) as usize]);
            mant <<= 4;
        }
    }
    dst.push(if fmt == b'X' { b'P' } else { b'p' });
    if exp < 0 {
        dst.push(b'-');
        exp = -exp;
    } else {
        dst.push(b'+');
    }
    if exp < 100 {
        dst.push(b'0' + (exp / 10) as u8);
        dst.push(b'0' + (exp % 10) as u8);
    } else if exp < 1000 {
        dst.push(b'0' + (exp / 100) as u8);
        dst.push(b'0' + ((exp / 10) % 10) as u8);
        dst.push(b'0' + (exp % 10) as u8);
    } else {
        dst.push(b'0' + (exp / 1000) as u8);
        dst.push(b'0' + ((exp / 100) % 10) as u8);
        dst.push(b'0' + ((exp / 10) % 10) as u8);
        dst.push(b'0' + (exp % 10) as u8);
    }
    dst
}

// ---------------------------------------------------------------------------
// fmt: the printer

const LDIGITS: &[u8; 17] = b"0123456789abcdefx";
const UDIGITS: &[u8; 17] = b"0123456789ABCDEFX";

/// Nesting deeper than this prints `...` (a map that holds itself), as
/// [`Value`]'s `Display` does.
const MAX_DEPTH: usize = 100;

#[derive(Clone, Copy, Default)]
struct Flags {
    wid_present: bool,
    prec_present: bool,
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    plus_v: bool,
    sharp_v: bool,
}

struct Printer {
    buf: Vec<u8>,
    f: Flags,
    wid: usize,
    prec: usize,
    reordered: bool,
    good_arg_num: bool,
    erroring: bool,
}

/// Go's `utf8.RuneCount`: invalid bytes count one each.
fn rune_count(b: &[u8]) -> usize {
    b.utf8_chunks()
        .map(|c| c.valid().chars().count() + c.invalid().len())
        .sum()
}

/// Go's `tooLarge`: widths and precisions beyond a million are refused.
fn too_large(x: i64) -> bool {
    !(-1_000_000..=1_000_000).contains(&x)
}

/// Go's `parsenum`: the number at `s[start..end]`, whether there was one,
/// and the index after it (`end` on overflow).
fn parsenum(s: &[u8], start: usize, end: usize) -> (usize, bool, usize) {
    if start >= end {
        return (0, false, end);
    }
    let mut num: i64 = 0;
    let mut isnum = false;
    let mut i = start;
    while i < end && s[i].is_ascii_digit() {
        if too_large(num) {
            return (0, false, end);
        }
        num = num * 10 + i64::from(s[i] - b'0');
        isnum = true;
        i += 1;
    }
    (num as usize, isnum, i)
}

/// Go's `parseArgNumber`: the zero-based index in `[n]` at the start of
/// `s`, the bytes to consume, and whether it parsed.
fn parse_arg_number(s: &[u8]) -> (i64, usize, bool) {
    if s.len() < 3 {
        return (0, 1, false);
    }
    for i in 1..s.len() {
        if s[i] == b']' {
            let (width, ok, newi) = parsenum(s, 1, i);
            if !ok || newi != i {
                return (0, i + 1, false);
            }
            return (width as i64 - 1, i + 1, true);
        }
    }
    (0, 1, false)
}

/// Go's `intFromArg`: an integer argument for `*` widths and precisions.
fn int_from_arg(a: &[Value], arg_num: usize) -> (i64, bool, usize) {
    if arg_num >= a.len() {
        return (0, false, arg_num);
    }
    let (mut num, mut is_int) = match &a[arg_num] {
        Value::Int(i) | Value::Int64(i) => (*i, true),
        Value::Uint64(u) => i64::try_from(*u).map_or((0, false), |i| (i, true)),
        _ => (0, false),
    };
    if too_large(num) {
        num = 0;
        is_int = false;
    }
    (num, is_int, arg_num + 1)
}

impl Printer {
    fn new() -> Printer {
        Printer {
            buf: Vec::new(),
            f: Flags::default(),
            wid: 0,
            prec: 0,
            reordered: false,
            good_arg_num: true,
            erroring: false,
        }
    }

    fn into_string(self) -> String {
        bytes_to_string(self.buf)
    }

    fn write_str(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
    }

    fn write_rune(&mut self, c: char) {
        let mut tmp = [0u8; 4];
        self.buf
            .extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
    }

    // --- format.go ---

    fn write_padding(&mut self, n: usize) {
        let pad = if self.f.zero { b'0' } else { b' ' };
        self.buf.extend(std::iter::repeat_n(pad, n));
    }

    fn pad(&mut self, b: &[u8]) {
        if !self.f.wid_present || self.wid == 0 {
            self.buf.extend_from_slice(b);
            return;
        }
        let width = self.wid.saturating_sub(rune_count(b));
        if !self.f.minus {
            self.write_padding(width);
            self.buf.extend_from_slice(b);
        } else {
            self.buf.extend_from_slice(b);
            self.write_padding(width);
        }
    }

    fn pad_string(&mut self, s: &str) {
        if !self.f.wid_present || self.wid == 0 {
            self.write_str(s);
            return;
        }
        let width = self.wid.saturating_sub(s.chars().count());
        if !self.f.minus {
            self.write_padding(width);
            self.write_str(s);
        } else {
            self.write_str(s);
            self.write_padding(width);
        }
    }

    /// Pads with spaces whatever the `0` flag says.
    fn pad_no_zero(&mut self, b: &[u8]) {
        let old = self.f.zero;
        self.f.zero = false;
        self.pad(b);
        self.f.zero = old;
    }

    fn fmt_boolean(&mut self, v: bool) {
        self.pad_string(if v { "true" } else { "false" });
    }

    fn fmt_unicode(&mut self, u: u64) {
        let mut prec: i64 = 4;
        if self.f.prec_present && self.prec > 4 {
            prec = self.prec as i64;
        }
        let mut digits: Vec<u8> = Vec::new();
        let mut u2 = u;
        loop {
            digits.push(UDIGITS[(u2 & 0xf) as usize]);
            prec -= 1;
            u2 >>= 4;
            if u2 == 0 {
                break;
            }
        }
        while prec > 0 {
            digits.push(b'0');
            prec -= 1;
        }
        let mut out: Vec<u8> = b"U+".to_vec();
        out.extend(digits.iter().rev());
        if self.f.sharp {
            if let Some(c) = u32::try_from(u).ok().and_then(char::from_u32) {
                if is_print(c) {
                    out.extend_from_slice(b" '");
                    let mut tmp = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
                    out.push(b'\'');
                }
            }
        }
        self.pad_no_zero(&out);
    }

    fn fmt_integer_raw(
        &mut self,
        u: u64,
        base: u64,
        is_signed: bool,
        verb: char,
        digits: &[u8; 17],
    ) {
        let negative = is_signed && (u as i64) < 0;
        let mut u = if negative { u.wrapping_neg() } else { u };

        // Two ways to ask for extra leading zero digits: %.3d or %03d.
        // If both are specified the zero flag is ignored and padding with
        // spaces is used instead.
        let mut prec: usize = 0;
        if self.f.prec_present {
            prec = self.prec;
            // Precision of 0 and value of 0 means "print nothing" but padding.
            if prec == 0 && u == 0 {
                let old = self.f.zero;
                self.f.zero = false;
                let w = self.wid;
                self.write_padding(w);
                self.f.zero = old;
                return;
            }
        } else if self.f.zero && self.f.wid_present {
            prec = self.wid;
            if negative || self.f.plus || self.f.space {
                prec = prec.saturating_sub(1); // leave room for sign
            }
        }

        // Right to left.
        let mut rev: Vec<u8> = Vec::with_capacity(24);
        loop {
            rev.push(digits[(u % base) as usize]);
            u /= base;
            if u == 0 {
                break;
            }
        }
        while prec > rev.len() {
            rev.push(b'0');
        }
        if self.f.sharp {
            match base {
                2 => rev.extend_from_slice(b"b0"),
                8 if rev.last() != Some(&b'0') => rev.push(b'0'),
                16 => {
                    rev.push(digits[16]);
                    rev.push(b'0');
                }
                _ => {}
            }
        }
        if verb == 'O' {
            rev.extend_from_slice(b"o0");
        }
        if negative {
            rev.push(b'-');
        } else if self.f.plus {
            rev.push(b'+');
        } else if self.f.space {
            rev.push(b' ');
        }
        rev.reverse();
        // Left padding with zeros has already been handled like precision
        // or the zero flag is ignored due to an explicit precision.
        self.pad_no_zero(&rev);
    }

    fn truncate_str<'a>(&self, s: &'a str) -> &'a str {
        if self.f.prec_present {
            if let Some((i, _)) = s.char_indices().nth(self.prec) {
                return &s[..i];
            }
        }
        s
    }

    fn truncate_bytes<'a>(&self, b: &'a [u8]) -> &'a [u8] {
        if self.f.prec_present {
            let mut n = self.prec;
            let mut i = 0;
            for chunk in b.utf8_chunks() {
                for c in chunk.valid().chars() {
                    if n == 0 {
                        return &b[..i];
                    }
                    n -= 1;
                    i += c.len_utf8();
                }
                for _ in chunk.invalid() {
                    if n == 0 {
                        return &b[..i];
                    }
                    n -= 1;
                    i += 1;
                }
            }
        }
        b
    }

    fn fmt_s(&mut self, s: &str) {
        let s = self.truncate_str(s);
        self.pad_string(s);
    }

    fn fmt_bs(&mut self, b: &[u8]) {
        let b = self.truncate_bytes(b);
        self.pad(b);
    }

    /// `%x` of a string or bytes: two hex digits a byte.
    fn fmt_sbx(&mut self, b: &[u8], digits: &[u8; 17]) {
        let mut length = b.len();
        if self.f.prec_present && self.prec < length {
            length = self.prec;
        }
        let mut width = 2 * length;
        if width > 0 {
            if self.f.space {
                if self.f.sharp {
                    width *= 2;
                }
                width += length - 1;
            } else if self.f.sharp {
                width += 2;
            }
        } else {
            if self.f.wid_present {
                let w = self.wid;
                self.write_padding(w);
            }
            return;
        }
        if self.f.wid_present && self.wid > width && !self.f.minus {
            let w = self.wid - width;
            self.write_padding(w);
        }
        if self.f.sharp {
            self.buf.push(b'0');
            self.buf.push(digits[16]);
        }
        for (i, &c) in b[..length].iter().enumerate() {
            if self.f.space && i > 0 {
                self.buf.push(b' ');
                if self.f.sharp {
                    self.buf.push(b'0');
                    self.buf.push(digits[16]);
                }
            }
            self.buf.push(digits[(c >> 4) as usize]);
            self.buf.push(digits[(c & 0xf) as usize]);
        }
        if self.f.wid_present && self.wid > width && self.f.minus {
            let w = self.wid - width;
            self.write_padding(w);
        }
    }

    fn fmt_q(&mut self, s: &[u8]) {
        let s = self.truncate_bytes(s);
        if self.f.sharp {
            if let Ok(st) = std::str::from_utf8(s) {
                if can_backquote(st) {
                    let q = format!("`{st}`");
                    self.pad_string(&q);
                    return;
                }
            }
        }
        let q = append_quoted(Vec::new(), s, b'"', self.f.plus);
        self.pad(&q);
    }

    fn fmt_c(&mut self, c: u64) {
        let r = i64::try_from(c).map_or('\u{fffd}', rune_or_error);
        let mut tmp = [0u8; 4];
        let s = r.encode_utf8(&mut tmp).as_bytes().to_vec();
        self.pad(&s);
    }

    fn fmt_qc(&mut self, c: u64) {
        let r = i64::try_from(c).map_or('\u{fffd}', rune_or_error);
        let mut q = Vec::new();
        append_quoted_rune(&mut q, r, b'\'', self.f.plus);
        self.pad(&q);
    }

    fn fmt_float_raw(&mut self, v: f64, size: u32, verb: u8, prec: i32) {
        let prec = if self.f.prec_present {
            self.prec as i32
        } else {
            prec
        };
        let s = append_float(Vec::new(), v, verb, prec, size);
        // num[0] is the sign: '+' when the number has none.
        let mut num: Vec<u8> = Vec::with_capacity(s.len() + 8);
        if s.first() == Some(&b'-') || s.first() == Some(&b'+') {
            num.extend_from_slice(&s);
        } else {
            num.push(b'+');
            num.extend_from_slice(&s);
        }
        if self.f.space && num[0] == b'+' && !self.f.plus {
            num[0] = b' ';
        }
        // Infinities and NaN don't look like a number: no zero padding.
        if num.get(1) == Some(&b'I') || num.get(1) == Some(&b'N') {
            let old = self.f.zero;
            self.f.zero = false;
            if num[1] == b'N' && !self.f.space && !self.f.plus {
                num.remove(0);
            }
            self.pad(&num);
            self.f.zero = old;
            return;
        }
        // The sharp flag forces printing a decimal point for non-binary
        // formats and retains trailing zeros, which we may need to restore.
        if self.f.sharp && verb != b'b' {
            let mut digits: i32 = 0;
            if matches!(verb, b'v' | b'g' | b'G' | b'x') {
                digits = prec;
                if digits == -1 {
                    digits = 6;
                }
            }
            let mut tail: Vec<u8> = Vec::new();
            let mut has_decimal_point = false;
            let mut saw_nonzero_digit = false;
            let mut i = 1;
            while i < num.len() {
                match num[i] {
                    b'.' => has_decimal_point = true,
                    b'p' | b'P' => {
                        tail.extend_from_slice(&num[i..]);
                        num.truncate(i);
                        break;
                    }
                    b'e' | b'E' if verb != b'x' && verb != b'X' => {
                        tail.extend_from_slice(&num[i..]);
                        num.truncate(i);
                        break;
                    }
                    c => {
                        if c != b'0' {
                            saw_nonzero_digit = true;
                        }
                        if saw_nonzero_digit {
                            digits -= 1;
                        }
                    }
                }
                i += 1;
            }
            if !has_decimal_point {
                // Leading digit 0 should contribute once to digits.
                if num.len() == 2 && num[1] == b'0' {
                    digits -= 1;
                }
                num.push(b'.');
            }
            while digits > 0 {
                num.push(b'0');
                digits -= 1;
            }
            num.extend_from_slice(&tail);
        }
        if self.f.plus || num[0] != b'+' {
            // Zero padding goes after the sign.
            if self.f.zero && self.f.wid_present && self.wid > num.len() {
                self.buf.push(num[0]);
                let w = self.wid - num.len();
                self.write_padding(w);
                self.buf.extend_from_slice(&num[1..]);
                return;
            }
            self.pad(&num);
            return;
        }
        self.pad(&num[1..]);
    }

    // --- print.go ---

    /// `%!verb(type=value)`, or `%!verb(<nil>)`.
    fn bad_verb(&mut self, verb: char, arg: &Value) {
        self.erroring = true;
        self.write_str("%!");
        self.write_rune(verb);
        self.buf.push(b'(');
        match arg {
            Value::Nil => self.write_str("<nil>"),
            v => {
                let t = v.type_name();
                self.write_str(&t);
                self.buf.push(b'=');
                self.print_value(v, 'v', 0);
            }
        }
        self.buf.push(b')');
        self.erroring = false;
    }

    /// `%!verb(type=value)` for an element of a `[]byte`.
    fn bad_verb_uint8(&mut self, verb: char, c: u8) {
        self.erroring = true;
        self.write_str("%!");
        self.write_rune(verb);
        self.write_str("(uint8=");
        self.fmt_integer(u64::from(c), false, 'v', &Value::Nil);
        self.buf.push(b')');
        self.erroring = false;
    }

    fn fmt_bool(&mut self, v: bool, verb: char, arg: &Value) {
        match verb {
            't' | 'v' => self.fmt_boolean(v),
            _ => self.bad_verb(verb, arg),
        }
    }

    fn fmt_0x64(&mut self, v: u64, leading0x: bool) {
        let sharp = self.f.sharp;
        self.f.sharp = leading0x;
        self.fmt_integer_raw(v, 16, false, 'v', LDIGITS);
        self.f.sharp = sharp;
    }

    /// `arg` is the value for the error form; `Value::Nil` stands for a
    /// `uint8` of a byte slice.
    fn fmt_integer(&mut self, v: u64, is_signed: bool, verb: char, arg: &Value) {
        match verb {
            'v' => {
                if self.f.sharp_v && !is_signed {
                    self.fmt_0x64(v, true);
                } else {
                    self.fmt_integer_raw(v, 10, is_signed, verb, LDIGITS);
                }
            }
            'd' => self.fmt_integer_raw(v, 10, is_signed, verb, LDIGITS),
            'b' => self.fmt_integer_raw(v, 2, is_signed, verb, LDIGITS),
            'o' | 'O' => self.fmt_integer_raw(v, 8, is_signed, verb, LDIGITS),
            'x' => self.fmt_integer_raw(v, 16, is_signed, verb, LDIGITS),
            'X' => self.fmt_integer_raw(v, 16, is_signed, verb, UDIGITS),
            'c' => self.fmt_c(v),
            'q' => self.fmt_qc(v),
            'U' => self.fmt_unicode(v),
            _ => {
                if is_signed {
                    self.bad_verb(verb, arg);
                } else {
                    self.bad_verb_uint8(verb, v as u8);
                }
            }
        }
    }

    fn fmt_float(&mut self, v: f64, verb: char, arg: &Value) {
        match verb {
            'v' => self.fmt_float_raw(v, 64, b'g', -1),
            'b' | 'g' | 'G' | 'x' | 'X' => self.fmt_float_raw(v, 64, verb as u8, -1),
            'f' | 'e' | 'E' => self.fmt_float_raw(v, 64, verb as u8, 6),
            'F' => self.fmt_float_raw(v, 64, b'f', 6),
            _ => self.bad_verb(verb, arg),
        }
    }

    fn fmt_string(&mut self, v: &str, verb: char, arg: &Value) {
        match verb {
            'v' => {
                if self.f.sharp_v {
                    self.fmt_q(v.as_bytes());
                } else {
                    self.fmt_s(v);
                }
            }
            's' => self.fmt_s(v),
            'x' => self.fmt_sbx(v.as_bytes(), LDIGITS),
            'X' => self.fmt_sbx(v.as_bytes(), UDIGITS),
            'q' => self.fmt_q(v.as_bytes()),
            _ => self.bad_verb(verb, arg),
        }
    }

    fn fmt_bytes(&mut self, v: &[u8], verb: char, type_string: &str) {
        match verb {
            'v' | 'd' => {
                if self.f.sharp_v {
                    self.write_str(type_string);
                    self.buf.push(b'{');
                    for (i, &c) in v.iter().enumerate() {
                        if i > 0 {
                            self.write_str(", ");
                        }
                        self.fmt_0x64(u64::from(c), true);
                    }
                    self.buf.push(b'}');
                } else {
                    self.buf.push(b'[');
                    for (i, &c) in v.iter().enumerate() {
                        if i > 0 {
                            self.buf.push(b' ');
                        }
                        self.fmt_integer_raw(u64::from(c), 10, false, verb, LDIGITS);
                    }
                    self.buf.push(b']');
                }
            }
            's' => self.fmt_bs(v),
            'x' => self.fmt_sbx(v, LDIGITS),
            'X' => self.fmt_sbx(v, UDIGITS),
            'q' => self.fmt_q(v),
            _ => {
                // The slice printed by reflection, each byte a uint8.
                if self.f.sharp_v {
                    self.write_str("[]uint8{");
                } else {
                    self.buf.push(b'[');
                }
                for (i, &c) in v.iter().enumerate() {
                    if i > 0 {
                        if self.f.sharp_v {
                            self.write_str(", ");
                        } else {
                            self.buf.push(b' ');
                        }
                    }
                    self.fmt_integer(u64::from(c), false, verb, &Value::Nil);
                }
                self.buf.push(if self.f.sharp_v { b'}' } else { b']' });
            }
        }
    }

    /// Go's `printArg`: a top-level operand.
    fn print_arg(&mut self, arg: &Value, verb: char) {
        match arg {
            Value::Nil => match verb {
                'T' | 'v' => self.pad_string("<nil>"),
                _ => self.bad_verb(verb, arg),
            },
            _ if verb == 'T' => {
                let t = arg.type_name();
                self.fmt_s(&t);
            }
            // Addresses are not modelled: a reference prints a fixed one.
            Value::List(_) | Value::Map(_) | Value::Bytes(_) | Value::Object(_) if verb == 'p' => {
                self.fmt_0x64(0xc000010000, !self.f.sharp);
            }
            _ if verb == 'p' => self.bad_verb(verb, arg),
            Value::Bytes(b) => {
                if verb == 'w' {
                    self.bad_verb(verb, arg);
                } else {
                    self.fmt_bytes(b, verb, "[]byte");
                }
            }
            _ => self.print_value(arg, verb, 0),
        }
    }

    /// Go's `printValue`: an operand or an element at `depth`.
    fn print_value(&mut self, value: &Value, verb: char, depth: usize) {
        if depth > MAX_DEPTH {
            self.write_str("...");
            return;
        }
        match value {
            // A nil element of an interface slice or map.
            Value::Nil => {
                if self.f.sharp_v {
                    self.write_str("interface {}(nil)");
                } else {
                    self.write_str("<nil>");
                }
            }
            Value::Bool(b) => self.fmt_bool(*b, verb, value),
            Value::Int(i) | Value::Int64(i) => self.fmt_integer(*i as u64, true, verb, value),
            Value::Uint64(u) => self.fmt_integer(*u, false, verb, value),
            Value::Float(x) => self.fmt_float(*x, verb, value),
            Value::String(s) => self.fmt_string(s, verb, value),
            // A string of any bytes: they print as they are, or in hex.
            Value::Binary(b) => match verb {
                'v' if self.f.sharp_v => self.fmt_q(b),
                'v' | 's' => self.fmt_bs(b),
                'x' | 'X' | 'q' => self.fmt_bytes(b, verb, "string"),
                _ => self.fmt_string(&super::value::go_lossy(b), verb, value),
            },
            Value::Bytes(b) => {
                if verb == 'w' && depth > 0 {
                    self.bad_verb(verb, value);
                } else {
                    self.fmt_bytes(b, verb, "[]uint8");
                }
            }
            Value::List(l) => {
                if verb == 'w' {
                    self.bad_verb(verb, value);
                    return;
                }
                if self.f.sharp_v {
                    let t = value.type_name();
                    self.write_str(&t);
                    self.buf.push(b'{');
                    for (i, item) in l.items.iter().enumerate() {
                        if i > 0 {
                            self.write_str(", ");
                        }
                        self.print_elem(item, l.elem, verb, depth + 1);
                    }
                    self.buf.push(b'}');
                } else {
                    self.buf.push(b'[');
                    for (i, item) in l.items.iter().enumerate() {
                        if i > 0 {
                            self.buf.push(b' ');
                        }
                        self.print_elem(item, l.elem, verb, depth + 1);
                    }
                    self.buf.push(b']');
                }
            }
            Value::Map(m) => {
                if verb == 'w' {
                    self.bad_verb(verb, value);
                    return;
                }
                if self.f.sharp_v {
                    let t = value.type_name();
                    self.write_str(&t);
                    self.buf.push(b'{');
                } else {
                    self.write_str("map[");
                }
                for (i, (k, v)) in m.entries().iter().enumerate() {
                    if i > 0 {
                        if self.f.sharp_v {
                            self.write_str(", ");
                        } else {
                            self.buf.push(b' ');
                        }
                    }
                    let key = Value::String(k.clone());
                    self.print_value(&key, verb, depth + 1);
                    self.buf.push(b':');
                    self.print_elem(v, m.elem, verb, depth + 1);
                }
                self.buf.push(if self.f.sharp_v { b'}' } else { b']' });
            }
            Value::Object(o) => {
                // Objects print as their String method (or Go's struct
                // printing) would: their `%v`.
                let s = o.format_v();
                if self.erroring {
                    self.write_str(&s);
                    return;
                }
                match verb {
                    // Go syntax (`&chart.Metadata{...}`) is not modelled:
                    // the plain form stands in for it.
                    'v' if self.f.sharp_v => self.pad_string(&s),
                    'v' | 's' | 'x' | 'X' | 'q' => self.fmt_string(&s, verb, value),
                    _ => self.bad_verb(verb, value),
                }
            }
        }
    }

    /// An element of a slice or map whose element type is `elem`: a nil
    /// interface element of `%#v` names the interface type.
    fn print_elem(&mut self, v: &Value, elem: Elem, verb: char, depth: usize) {
        if v.is_nil() && self.f.sharp_v && elem != Elem::Any {
            let t = elem.go_name();
            self.write_str(t);
            self.write_str("(nil)");
            return;
        }
        self.print_value(v, verb, depth);
    }

    fn arg_number(
        &mut self,
        arg_num: usize,
        format: &[u8],
        i: usize,
        num_args: usize,
    ) -> (usize, usize, bool) {
        if format.len() <= i || format[i] != b'[' {
            return (arg_num, i, false);
        }
        self.reordered = true;
        let (index, wid, ok) = parse_arg_number(&format[i..]);
        if ok && 0 <= index && (index as usize) < num_args {
            return (index as usize, i + wid, true);
        }
        self.good_arg_num = false;
        (arg_num, i + wid, ok)
    }

    fn do_printf(&mut self, text: &str, a: &[Value]) {
        let format = text.as_bytes();
        let end = format.len();
        let mut arg_num: usize = 0;
        let mut after_index: bool;
        self.reordered = false;
        let mut i = 0;
        'format: while i < end {
            self.good_arg_num = true;
            let lasti = i;
            while i < end && format[i] != b'%' {
                i += 1;
            }
            if i > lasti {
                self.buf.extend_from_slice(&format[lasti..i]);
            }
            if i >= end {
                break;
            }
            // Process one verb.
            i += 1;
            self.f = Flags::default();
            while i < end {
                let c = format[i];
                match c {
                    b'#' => self.f.sharp = true,
                    b'0' => self.f.zero = !self.f.minus,
                    b'+' => self.f.plus = true,
                    b'-' => {
                        self.f.minus = true;
                        self.f.zero = false;
                    }
                    b' ' => self.f.space = true,
                    _ => {
                        // Fast path for simple lower-case verbs.
                        if c.is_ascii_lowercase() && arg_num < a.len() {
                            if c == b'v' {
                                self.f.sharp_v = self.f.sharp;
                                self.f.sharp = false;
                                self.f.plus_v = self.f.plus;
                                self.f.plus = false;
                            }
                            self.print_arg(&a[arg_num], c as char);
                            arg_num += 1;
                            i += 1;
                            continue 'format;
                        }
                        break;
                    }
                }
                i += 1;
            }

            // An explicit argument index?
            (arg_num, i, after_index) = self.arg_number(arg_num, format, i, a.len());

            // Width.
            if i < end && format[i] == b'*' {
                i += 1;
                let (w, ok, n) = int_from_arg(a, arg_num);
                arg_num = n;
                self.f.wid_present = ok;
                if !ok {
                    self.write_str("%!(BADWIDTH)");
                }
                if w < 0 {
                    self.wid = w.unsigned_abs() as usize;
                    self.f.minus = true;
                    self.f.zero = false;
                } else {
                    self.wid = w as usize;
                }
                after_index = false;
            } else {
                let (w, ok, n) = parsenum(format, i, end);
                self.wid = w;
                self.f.wid_present = ok;
                i = n;
                if after_index && self.f.wid_present {
                    self.good_arg_num = false;
                }
            }

            // Precision.
            if i + 1 < end && format[i] == b'.' {
                i += 1;
                if after_index {
                    self.good_arg_num = false;
                }
                (arg_num, i, after_index) = self.arg_number(arg_num, format, i, a.len());
                if i < end && format[i] == b'*' {
                    i += 1;
                    let (p, ok, n) = int_from_arg(a, arg_num);
                    arg_num = n;
                    self.f.prec_present = ok;
                    if p < 0 {
                        self.prec = 0;
                        self.f.prec_present = false;
                    } else {
                        self.prec = p as usize;
                    }
                    if !self.f.prec_present {
                        self.write_str("%!(BADPREC)");
                    }
                    after_index = false;
                } else {
                    let (p, ok, n) = parsenum(format, i, end);
                    self.prec = p;
                    self.f.prec_present = ok;
                    i = n;
                    if !self.f.prec_present {
                        self.prec = 0;
                        self.f.prec_present = true;
                    }
                }
            }

            if !after_index {
                (arg_num, i, _) = self.arg_number(arg_num, format, i, a.len());
            }

            if i >= end {
                self.write_str("%!(NOVERB)");
                break;
            }

            // `i` is at a character boundary: only ASCII was skipped.
            let (verb, size) = text
                .get(i..)
                .and_then(|t| t.chars().next())
                .map_or(('\u{fffd}', 1), |c| (c, c.len_utf8()));
            i += size;

            if verb == '%' {
                // Percent does not absorb operands and ignores width and
                // precision.
                self.buf.push(b'%');
            } else if !self.good_arg_num {
                self.write_str("%!");
                self.write_rune(verb);
                self.write_str("(BADINDEX)");
            } else if arg_num >= a.len() {
                self.write_str("%!");
                self.write_rune(verb);
                self.write_str("(MISSING)");
            } else {
                if verb == 'v' {
                    self.f.sharp_v = self.f.sharp;
                    self.f.sharp = false;
                    self.f.plus_v = self.f.plus;
                    self.f.plus = false;
                }
                self.print_arg(&a[arg_num], verb);
                arg_num += 1;
            }
        }

        // Extra arguments, unless the format reordered them.
        if !self.reordered && arg_num < a.len() {
            self.f = Flags::default();
            self.write_str("%!(EXTRA ");
            for (i, arg) in a[arg_num..].iter().enumerate() {
                if i > 0 {
                    self.write_str(", ");
                }
                if arg.is_nil() {
                    self.write_str("<nil>");
                } else {
                    let t = arg.type_name();
                    self.write_str(&t);
                    self.buf.push(b'=');
                    self.print_arg(arg, 'v');
                }
            }
            self.buf.push(b')');
        }
    }
}

// ---------------------------------------------------------------------------
// Go's unicode.IsPrint: the code points of the general categories L, M, N,
// P and S, and U+0020, of Unicode 17.0.0, as inclusive ranges. Generated
// from the Unicode Character Database (Python's `unicodedata2` 17.0.0:
// `c == 0x20 or category(c)[0] in "LMNPS"`).
const PRINT_RANGES: &[(u32, u32)] = &[
    (0x20, 0x7e),
    (0xa1, 0xac),
    (0xae, 0x377),
    (0x37a, 0x37f),
    (0x384, 0x38a),
    (0x38c, 0x38c),
    (0x38e, 0x3a1),
    (0x3a3, 0x52f),
    (0x531, 0x556),
    (0x559, 0x58a),
    (0x58d, 0x58f),
    (0x591, 0x5c7),
    (0x5d0, 0x5ea),
    (0x5ef, 0x5f4),
    (0x606, 0x61b),
    (0x61d, 0x6dc),
    (0x6de, 0x70d),
    (0x710, 0x74a),
    (0x74d, 0x7b1),
    (0x7c0, 0x7fa),
    (0x7fd, 0x82d),
    (0x830, 0x83e),
    (0x840, 0x85b),
    (0x85e, 0x85e),
    (0x860, 0x86a),
    (0x870, 0x88f),
    (0x897, 0x8e1),
    (0x8e3, 0x983),
    (0x985, 0x98c),
    (0x98f, 0x990),
    (0x993, 0x9a8),
    (0x9aa, 0x9b0),
    (0x9b2, 0x9b2),
    (0x9b6, 0x9b9),
    (0x9bc, 0x9c4),
    (0x9c7, 0x9c8),
    (0x9cb, 0x9ce),
    (0x9d7, 0x9d7),
    (0x9dc, 0x9dd),
    (0x9df, 0x9e3),
    (0x9e6, 0x9fe),
    (0xa01, 0xa03),
    (0xa05, 0xa0a),
    (0xa0f, 0xa10),
    (0xa13, 0xa28),
    (0xa2a, 0xa30),
    (0xa32, 0xa33),
    (0xa35, 0xa36),
    (0xa38, 0xa39),
    (0xa3c, 0xa3c),
    (0xa3e, 0xa42),
    (0xa47, 0xa48),
    (0xa4b, 0xa4d),
    (0xa51, 0xa51),
    (0xa59, 0xa5c),
    (0xa5e, 0xa5e),
    (0xa66, 0xa76),
    (0xa81, 0xa83),
    (0xa85, 0xa8d),
    (0xa8f, 0xa91),
    (0xa93, 0xaa8),
    (0xaaa, 0xab0),
    (0xab2, 0xab3),
    (0xab5, 0xab9),
    (0xabc, 0xac5),
    (0xac7, 0xac9),
    (0xacb, 0xacd),
    (0xad0, 0xad0),
    (0xae0, 0xae3),
    (0xae6, 0xaf1),
    (0xaf9, 0xaff),
    (0xb01, 0xb03),
    (0xb05, 0xb0c),
    (0xb0f, 0xb10),
    (0xb13, 0xb28),
    (0xb2a, 0xb30),
    (0xb32, 0xb33),
    (0xb35, 0xb39),
    (0xb3c, 0xb44),
    (0xb47, 0xb48),
    (0xb4b, 0xb4d),
    (0xb55, 0xb57),
    (0xb5c, 0xb5d),
    (0xb5f, 0xb63),
    (0xb66, 0xb77),
    (0xb82, 0xb83),
    (0xb85, 0xb8a),
    (0xb8e, 0xb90),
    (0xb92, 0xb95),
    (0xb99, 0xb9a),
    (0xb9c, 0xb9c),
    (0xb9e, 0xb9f),
    (0xba3, 0xba4),
    (0xba8, 0xbaa),
    (0xbae, 0xbb9),
    (0xbbe, 0xbc2),
    (0xbc6, 0xbc8),
    (0xbca, 0xbcd),
    (0xbd0, 0xbd0),
    (0xbd7, 0xbd7),
    (0xbe6, 0xbfa),
    (0xc00, 0xc0c),
    (0xc0e, 0xc10),
    (0xc12, 0xc28),
    (0xc2a, 0xc39),
    (0xc3c, 0xc44),
    (0xc46, 0xc48),
    (0xc4a, 0xc4d),
    (0xc55, 0xc56),
    (0xc58, 0xc5a),
    (0xc5c, 0xc5d),
    (0xc60, 0xc63),
    (0xc66, 0xc6f),
    (0xc77, 0xc8c),
    (0xc8e, 0xc90),
    (0xc92, 0xca8),
    (0xcaa, 0xcb3),
    (0xcb5, 0xcb9),
    (0xcbc, 0xcc4),
    (0xcc6, 0xcc8),
    (0xcca, 0xccd),
    (0xcd5, 0xcd6),
    (0xcdc, 0xcde),
    (0xce0, 0xce3),
    (0xce6, 0xcef),
    (0xcf1, 0xcf3),
    (0xd00, 0xd0c),
    (0xd0e, 0xd10),
    (0xd12, 0xd44),
    (0xd46, 0xd48),
    (0xd4a, 0xd4f),
    (0xd54, 0xd63),
    (0xd66, 0xd7f),
    (0xd81, 0xd83),
    (0xd85, 0xd96),
    (0xd9a, 0xdb1),
    (0xdb3, 0xdbb),
    (0xdbd, 0xdbd),
    (0xdc0, 0xdc6),
    (0xdca, 0xdca),
    (0xdcf, 0xdd4),
    (0xdd6, 0xdd6),
    (0xdd8, 0xddf),
    (0xde6, 0xdef),
    (0xdf2, 0xdf4),
    (0xe01, 0xe3a),
    (0xe3f, 0xe5b),
    (0xe81, 0xe82),
    (0xe84, 0xe84),
    (0xe86, 0xe8a),
    (0xe8c, 0xea3),
    (0xea5, 0xea5),
    (0xea7, 0xebd),
    (0xec0, 0xec4),
    (0xec6, 0xec6),
    (0xec8, 0xece),
    (0xed0, 0xed9),
    (0xedc, 0xedf),
    (0xf00, 0xf47),
    (0xf49, 0xf6c),
    (0xf71, 0xf97),
    (0xf99, 0xfbc),
    (0xfbe, 0xfcc),
    (0xfce, 0xfda),
    (0x1000, 0x10c5),
    (0x10c7, 0x10c7),
    (0x10cd, 0x10cd),
    (0x10d0, 0x1248),
    (0x124a, 0x124d),
    (0x1250, 0x1256),
    (0x1258, 0x1258),
    (0x125a, 0x125d),
    (0x1260, 0x1288),
    (0x128a, 0x128d),
    (0x1290, 0x12b0),
    (0x12b2, 0x12b5),
    (0x12b8, 0x12be),
    (0x12c0, 0x12c0),
    (0x12c2, 0x12c5),
    (0x12c8, 0x12d6),
    (0x12d8, 0x1310),
    (0x1312, 0x1315),
    (0x1318, 0x135a),
    (0x135d, 0x137c),
    (0x1380, 0x1399),
    (0x13a0, 0x13f5),
    (0x13f8, 0x13fd),
    (0x1400, 0x167f),
    (0x1681, 0x169c),
    (0x16a0, 0x16f8),
    (0x1700, 0x1715),
    (0x171f, 0x1736),
    (0x1740, 0x1753),
    (0x1760, 0x176c),
    (0x176e, 0x1770),
    (0x1772, 0x1773),
    (0x1780, 0x17dd),
    (0x17e0, 0x17e9),
    (0x17f0, 0x17f9),
    (0x1800, 0x180d),
    (0x180f, 0x1819),
    (0x1820, 0x1878),
    (0x1880, 0x18aa),
    (0x18b0, 0x18f5),
    (0x1900, 0x191e),
    (0x1920, 0x192b),
    (0x1930, 0x193b),
    (0x1940, 0x1940),
    (0x1944, 0x196d),
    (0x1970, 0x1974),
    (0x1980, 0x19ab),
    (0x19b0, 0x19c9),
    (0x19d0, 0x19da),
    (0x19de, 0x1a1b),
    (0x1a1e, 0x1a5e),
    (0x1a60, 0x1a7c),
    (0x1a7f, 0x1a89),
    (0x1a90, 0x1a99),
    (0x1aa0, 0x1aad),
    (0x1ab0, 0x1add),
    (0x1ae0, 0x1aeb),
    (0x1b00, 0x1b4c),
    (0x1b4e, 0x1bf3),
    (0x1bfc, 0x1c37),
    (0x1c3b, 0x1c49),
    (0x1c4d, 0x1c8a),
    (0x1c90, 0x1cba),
    (0x1cbd, 0x1cc7),
    (0x1cd0, 0x1cfa),
    (0x1d00, 0x1f15),
    (0x1f18, 0x1f1d),
    (0x1f20, 0x1f45),
    (0x1f48, 0x1f4d),
    (0x1f50, 0x1f57),
    (0x1f59, 0x1f59),
    (0x1f5b, 0x1f5b),
    (0x1f5d, 0x1f5d),
    (0x1f5f, 0x1f7d),
    (0x1f80, 0x1fb4),
    (0x1fb6, 0x1fc4),
    (0x1fc6, 0x1fd3),
    (0x1fd6, 0x1fdb),
    (0x1fdd, 0x1fef),
    (0x1ff2, 0x1ff4),
    (0x1ff6, 0x1ffe),
    (0x2010, 0x2027),
    (0x2030, 0x205e),
    (0x2070, 0x2071),
    (0x2074, 0x208e),
    (0x2090, 0x209c),
    (0x20a0, 0x20c1),
    (0x20d0, 0x20f0),
    (0x2100, 0x218b),
    (0x2190, 0x2429),
    (0x2440, 0x244a),
    (0x2460, 0x2b73),
    (0x2b76, 0x2cf3),
    (0x2cf9, 0x2d25),
    (0x2d27, 0x2d27),
    (0x2d2d, 0x2d2d),
    (0x2d30, 0x2d67),
    (0x2d6f, 0x2d70),
    (0x2d7f, 0x2d96),
    (0x2da0, 0x2da6),
    (0x2da8, 0x2dae),
    (0x2db0, 0x2db6),
    (0x2db8, 0x2dbe),
    (0x2dc0, 0x2dc6),
    (0x2dc8, 0x2dce),
    (0x2dd0, 0x2dd6),
    (0x2dd8, 0x2dde),
    (0x2de0, 0x2e5d),
    (0x2e80, 0x2e99),
    (0x2e9b, 0x2ef3),
    (0x2f00, 0x2fd5),
    (0x2ff0, 0x2fff),
    (0x3001, 0x303f),
    (0x3041, 0x3096),
    (0x3099, 0x30ff),
    (0x3105, 0x312f),
    (0x3131, 0x318e),
    (0x3190, 0x31e5),
    (0x31ef, 0x321e),
    (0x3220, 0xa48c),
    (0xa490, 0xa4c6),
    (0xa4d0, 0xa62b),
    (0xa640, 0xa6f7),
    (0xa700, 0xa7dc),
    (0xa7f1, 0xa82c),
    (0xa830, 0xa839),
    (0xa840, 0xa877),
    (0xa880, 0xa8c5),
    (0xa8ce, 0xa8d9),
    (0xa8e0, 0xa953),
    (0xa95f, 0xa97c),
    (0xa980, 0xa9cd),
    (0xa9cf, 0xa9d9),
    (0xa9de, 0xa9fe),
    (0xaa00, 0xaa36),
    (0xaa40, 0xaa4d),
    (0xaa50, 0xaa59),
    (0xaa5c, 0xaac2),
    (0xaadb, 0xaaf6),
    (0xab01, 0xab06),
    (0xab09, 0xab0e),
    (0xab11, 0xab16),
    (0xab20, 0xab26),
    (0xab28, 0xab2e),
    (0xab30, 0xab6b),
    (0xab70, 0xabed),
    (0xabf0, 0xabf9),
    (0xac00, 0xd7a3),
    (0xd7b0, 0xd7c6),
    (0xd7cb, 0xd7fb),
    (0xf900, 0xfa6d),
    (0xfa70, 0xfad9),
    (0xfb00, 0xfb06),
    (0xfb13, 0xfb17),
    (0xfb1d, 0xfb36),
    (0xfb38, 0xfb3c),
    (0xfb3e, 0xfb3e),
    (0xfb40, 0xfb41),
    (0xfb43, 0xfb44),
    (0xfb46, 0xfdcf),
    (0xfdf0, 0xfe19),
    (0xfe20, 0xfe52),
    (0xfe54, 0xfe66),
    (0xfe68, 0xfe6b),
    (0xfe70, 0xfe74),
    (0xfe76, 0xfefc),
    (0xff01, 0xffbe),
    (0xffc2, 0xffc7),
    (0xffca, 0xffcf),
    (0xffd2, 0xffd7),
    (0xffda, 0xffdc),
    (0xffe0, 0xffe6),
    (0xffe8, 0xffee),
    (0xfffc, 0xfffd),
    (0x10000, 0x1000b),
    (0x1000d, 0x10026),
    (0x10028, 0x1003a),
    (0x1003c, 0x1003d),
    (0x1003f, 0x1004d),
    (0x10050, 0x1005d),
    (0x10080, 0x100fa),
    (0x10100, 0x10102),
    (0x10107, 0x10133),
    (0x10137, 0x1018e),
    (0x10190, 0x1019c),
    (0x101a0, 0x101a0),
    (0x101d0, 0x101fd),
    (0x10280, 0x1029c),
    (0x102a0, 0x102d0),
    (0x102e0, 0x102fb),
    (0x10300, 0x10323),
    (0x1032d, 0x1034a),
    (0x10350, 0x1037a),
    (0x10380, 0x1039d),
    (0x1039f, 0x103c3),
    (0x103c8, 0x103d5),
    (0x10400, 0x1049d),
    (0x104a0, 0x104a9),
    (0x104b0, 0x104d3),
    (0x104d8, 0x104fb),
    (0x10500, 0x10527),
    (0x10530, 0x10563),
    (0x1056f, 0x1057a),
    (0x1057c, 0x1058a),
    (0x1058c, 0x10592),
    (0x10594, 0x10595),
    (0x10597, 0x105a1),
    (0x105a3, 0x105b1),
    (0x105b3, 0x105b9),
    (0x105bb, 0x105bc),
    (0x105c0, 0x105f3),
    (0x10600, 0x10736),
    (0x10740, 0x10755),
    (0x10760, 0x10767),
    (0x10780, 0x10785),
    (0x10787, 0x107b0),
    (0x107b2, 0x107ba),
    (0x10800, 0x10805),
    (0x10808, 0x10808),
    (0x1080a, 0x10835),
    (0x10837, 0x10838),
    (0x1083c, 0x1083c),
    (0x1083f, 0x10855),
    (0x10857, 0x1089e),
    (0x108a7, 0x108af),
    (0x108e0, 0x108f2),
    (0x108f4, 0x108f5),
    (0x108fb, 0x1091b),
    (0x1091f, 0x10939),
    (0x1093f, 0x10959),
    (0x10980, 0x109b7),
    (0x109bc, 0x109cf),
    (0x109d2, 0x10a03),
    (0x10a05, 0x10a06),
    (0x10a0c, 0x10a13),
    (0x10a15, 0x10a17),
    (0x10a19, 0x10a35),
    (0x10a38, 0x10a3a),
    (0x10a3f, 0x10a48),
    (0x10a50, 0x10a58),
    (0x10a60, 0x10a9f),
    (0x10ac0, 0x10ae6),
    (0x10aeb, 0x10af6),
    (0x10b00, 0x10b35),
    (0x10b39, 0x10b55),
    (0x10b58, 0x10b72),
    (0x10b78, 0x10b91),
    (0x10b99, 0x10b9c),
    (0x10ba9, 0x10baf),
    (0x10c00, 0x10c48),
    (0x10c80, 0x10cb2),
    (0x10cc0, 0x10cf2),
    (0x10cfa, 0x10d27),
    (0x10d30, 0x10d39),
    (0x10d40, 0x10d65),
    (0x10d69, 0x10d85),
    (0x10d8e, 0x10d8f),
    (0x10e60, 0x10e7e),
    (0x10e80, 0x10ea9),
    (0x10eab, 0x10ead),
    (0x10eb0, 0x10eb1),
    (0x10ec2, 0x10ec7),
    (0x10ed0, 0x10ed8),
    (0x10efa, 0x10f27),
    (0x10f30, 0x10f59),
    (0x10f70, 0x10f89),
    (0x10fb0, 0x10fcb),
    (0x10fe0, 0x10ff6),
    (0x11000, 0x1104d),
    (0x11052, 0x11075),
    (0x1107f, 0x110bc),
    (0x110be, 0x110c2),
    (0x110d0, 0x110e8),
    (0x110f0, 0x110f9),
    (0x11100, 0x11134),
    (0x11136, 0x11147),
    (0x11150, 0x11176),
    (0x11180, 0x111df),
    (0x111e1, 0x111f4),
    (0x11200, 0x11211),
    (0x11213, 0x11241),
    (0x11280, 0x11286),
    (0x11288, 0x11288),
    (0x1128a, 0x1128d),
    (0x1128f, 0x1129d),
    (0x1129f, 0x112a9),
    (0x112b0, 0x112ea),
    (0x112f0, 0x112f9),
    (0x11300, 0x11303),
    (0x11305, 0x1130c),
    (0x1130f, 0x11310),
    (0x11313, 0x11328),
    (0x1132a, 0x11330),
    (0x11332, 0x11333),
    (0x11335, 0x11339),
    (0x1133b, 0x11344),
    (0x11347, 0x11348),
    (0x1134b, 0x1134d),
    (0x11350, 0x11350),
    (0x11357, 0x11357),
    (0x1135d, 0x11363),
    (0x11366, 0x1136c),
    (0x11370, 0x11374),
    (0x11380, 0x11389),
    (0x1138b, 0x1138b),
    (0x1138e, 0x1138e),
    (0x11390, 0x113b5),
    (0x113b7, 0x113c0),
    (0x113c2, 0x113c2),
    (0x113c5, 0x113c5),
    (0x113c7, 0x113ca),
    (0x113cc, 0x113d5),
    (0x113d7, 0x113d8),
    (0x113e1, 0x113e2),
    (0x11400, 0x1145b),
    (0x1145d, 0x11461),
    (0x11480, 0x114c7),
    (0x114d0, 0x114d9),
    (0x11580, 0x115b5),
    (0x115b8, 0x115dd),
    (0x11600, 0x11644),
    (0x11650, 0x11659),
    (0x11660, 0x1166c),
    (0x11680, 0x116b9),
    (0x116c0, 0x116c9),
    (0x116d0, 0x116e3),
    (0x11700, 0x1171a),
    (0x1171d, 0x1172b),
    (0x11730, 0x11746),
    (0x11800, 0x1183b),
    (0x118a0, 0x118f2),
    (0x118ff, 0x11906),
    (0x11909, 0x11909),
    (0x1190c, 0x11913),
    (0x11915, 0x11916),
    (0x11918, 0x11935),
    (0x11937, 0x11938),
    (0x1193b, 0x11946),
    (0x11950, 0x11959),
    (0x119a0, 0x119a7),
    (0x119aa, 0x119d7),
    (0x119da, 0x119e4),
    (0x11a00, 0x11a47),
    (0x11a50, 0x11aa2),
    (0x11ab0, 0x11af8),
    (0x11b00, 0x11b09),
    (0x11b60, 0x11b67),
    (0x11bc0, 0x11be1),
    (0x11bf0, 0x11bf9),
    (0x11c00, 0x11c08),
    (0x11c0a, 0x11c36),
    (0x11c38, 0x11c45),
    (0x11c50, 0x11c6c),
    (0x11c70, 0x11c8f),
    (0x11c92, 0x11ca7),
    (0x11ca9, 0x11cb6),
    (0x11d00, 0x11d06),
    (0x11d08, 0x11d09),
    (0x11d0b, 0x11d36),
    (0x11d3a, 0x11d3a),
    (0x11d3c, 0x11d3d),
    (0x11d3f, 0x11d47),
    (0x11d50, 0x11d59),
    (0x11d60, 0x11d65),
    (0x11d67, 0x11d68),
    (0x11d6a, 0x11d8e),
    (0x11d90, 0x11d91),
    (0x11d93, 0x11d98),
    (0x11da0, 0x11da9),
    (0x11db0, 0x11ddb),
    (0x11de0, 0x11de9),
    (0x11ee0, 0x11ef8),
    (0x11f00, 0x11f10),
    (0x11f12, 0x11f3a),
    (0x11f3e, 0x11f5a),
    (0x11fb0, 0x11fb0),
    (0x11fc0, 0x11ff1),
    (0x11fff, 0x12399),
    (0x12400, 0x1246e),
    (0x12470, 0x12474),
    (0x12480, 0x12543),
    (0x12f90, 0x12ff2),
    (0x13000, 0x1342f),
    (0x13440, 0x13455),
    (0x13460, 0x143fa),
    (0x14400, 0x14646),
    (0x16100, 0x16139),
    (0x16800, 0x16a38),
    (0x16a40, 0x16a5e),
    (0x16a60, 0x16a69),
    (0x16a6e, 0x16abe),
    (0x16ac0, 0x16ac9),
    (0x16ad0, 0x16aed),
    (0x16af0, 0x16af5),
    (0x16b00, 0x16b45),
    (0x16b50, 0x16b59),
    (0x16b5b, 0x16b61),
    (0x16b63, 0x16b77),
    (0x16b7d, 0x16b8f),
    (0x16d40, 0x16d79),
    (0x16e40, 0x16e9a),
    (0x16ea0, 0x16eb8),
    (0x16ebb, 0x16ed3),
    (0x16f00, 0x16f4a),
    (0x16f4f, 0x16f87),
    (0x16f8f, 0x16f9f),
    (0x16fe0, 0x16fe4),
    (0x16ff0, 0x16ff6),
    (0x17000, 0x18cd5),
    (0x18cff, 0x18d1e),
    (0x18d80, 0x18df2),
    (0x1aff0, 0x1aff3),
    (0x1aff5, 0x1affb),
    (0x1affd, 0x1affe),
    (0x1b000, 0x1b122),
    (0x1b132, 0x1b132),
    (0x1b150, 0x1b152),
    (0x1b155, 0x1b155),
    (0x1b164, 0x1b167),
    (0x1b170, 0x1b2fb),
    (0x1bc00, 0x1bc6a),
    (0x1bc70, 0x1bc7c),
    (0x1bc80, 0x1bc88),
    (0x1bc90, 0x1bc99),
    (0x1bc9c, 0x1bc9f),
    (0x1cc00, 0x1ccfc),
    (0x1cd00, 0x1ceb3),
    (0x1ceba, 0x1ced0),
    (0x1cee0, 0x1cef0),
    (0x1cf00, 0x1cf2d),
    (0x1cf30, 0x1cf46),
    (0x1cf50, 0x1cfc3),
    (0x1d000, 0x1d0f5),
    (0x1d100, 0x1d126),
    (0x1d129, 0x1d172),
    (0x1d17b, 0x1d1ea),
    (0x1d200, 0x1d245),
    (0x1d2c0, 0x1d2d3),
    (0x1d2e0, 0x1d2f3),
    (0x1d300, 0x1d356),
    (0x1d360, 0x1d378),
    (0x1d400, 0x1d454),
    (0x1d456, 0x1d49c),
    (0x1d49e, 0x1d49f),
    (0x1d4a2, 0x1d4a2),
    (0x1d4a5, 0x1d4a6),
    (0x1d4a9, 0x1d4ac),
    (0x1d4ae, 0x1d4b9),
    (0x1d4bb, 0x1d4bb),
    (0x1d4bd, 0x1d4c3),
    (0x1d4c5, 0x1d505),
    (0x1d507, 0x1d50a),
    (0x1d50d, 0x1d514),
    (0x1d516, 0x1d51c),
    (0x1d51e, 0x1d539),
    (0x1d53b, 0x1d53e),
    (0x1d540, 0x1d544),
    (0x1d546, 0x1d546),
    (0x1d54a, 0x1d550),
    (0x1d552, 0x1d6a5),
    (0x1d6a8, 0x1d7cb),
    (0x1d7ce, 0x1da8b),
    (0x1da9b, 0x1da9f),
    (0x1daa1, 0x1daaf),
    (0x1df00, 0x1df1e),
    (0x1df25, 0x1df2a),
    (0x1e000, 0x1e006),
    (0x1e008, 0x1e018),
    (0x1e01b, 0x1e021),
    (0x1e023, 0x1e024),
    (0x1e026, 0x1e02a),
    (0x1e030, 0x1e06d),
    (0x1e08f, 0x1e08f),
    (0x1e100, 0x1e12c),
    (0x1e130, 0x1e13d),
    (0x1e140, 0x1e149),
    (0x1e14e, 0x1e14f),
    (0x1e290, 0x1e2ae),
    (0x1e2c0, 0x1e2f9),
    (0x1e2ff, 0x1e2ff),
    (0x1e4d0, 0x1e4f9),
    (0x1e5d0, 0x1e5fa),
    (0x1e5ff, 0x1e5ff),
    (0x1e6c0, 0x1e6de),
    (0x1e6e0, 0x1e6f5),
    (0x1e6fe, 0x1e6ff),
    (0x1e7e0, 0x1e7e6),
    (0x1e7e8, 0x1e7eb),
    (0x1e7ed, 0x1e7ee),
    (0x1e7f0, 0x1e7fe),
    (0x1e800, 0x1e8c4),
    (0x1e8c7, 0x1e8d6),
    (0x1e900, 0x1e94b),
    (0x1e950, 0x1e959),
    (0x1e95e, 0x1e95f),
    (0x1ec71, 0x1ecb4),
    (0x1ed01, 0x1ed3d),
    (0x1ee00, 0x1ee03),
    (0x1ee05, 0x1ee1f),
    (0x1ee21, 0x1ee22),
    (0x1ee24, 0x1ee24),
    (0x1ee27, 0x1ee27),
    (0x1ee29, 0x1ee32),
    (0x1ee34, 0x1ee37),
    (0x1ee39, 0x1ee39),
    (0x1ee3b, 0x1ee3b),
    (0x1ee42, 0x1ee42),
    (0x1ee47, 0x1ee47),
    (0x1ee49, 0x1ee49),
    (0x1ee4b, 0x1ee4b),
    (0x1ee4d, 0x1ee4f),
    (0x1ee51, 0x1ee52),
    (0x1ee54, 0x1ee54),
    (0x1ee57, 0x1ee57),
    (0x1ee59, 0x1ee59),
    (0x1ee5b, 0x1ee5b),
    (0x1ee5d, 0x1ee5d),
    (0x1ee5f, 0x1ee5f),
    (0x1ee61, 0x1ee62),
    (0x1ee64, 0x1ee64),
    (0x1ee67, 0x1ee6a),
    (0x1ee6c, 0x1ee72),
    (0x1ee74, 0x1ee77),
    (0x1ee79, 0x1ee7c),
    (0x1ee7e, 0x1ee7e),
    (0x1ee80, 0x1ee89),
    (0x1ee8b, 0x1ee9b),
    (0x1eea1, 0x1eea3),
    (0x1eea5, 0x1eea9),
    (0x1eeab, 0x1eebb),
    (0x1eef0, 0x1eef1),
    (0x1f000, 0x1f02b),
    (0x1f030, 0x1f093),
    (0x1f0a0, 0x1f0ae),
    (0x1f0b1, 0x1f0bf),
    (0x1f0c1, 0x1f0cf),
    (0x1f0d1, 0x1f0f5),
    (0x1f100, 0x1f1ad),
    (0x1f1e6, 0x1f202),
    (0x1f210, 0x1f23b),
    (0x1f240, 0x1f248),
    (0x1f250, 0x1f251),
    (0x1f260, 0x1f265),
    (0x1f300, 0x1f6d8),
    (0x1f6dc, 0x1f6ec),
    (0x1f6f0, 0x1f6fc),
    (0x1f700, 0x1f7d9),
    (0x1f7e0, 0x1f7eb),
    (0x1f7f0, 0x1f7f0),
    (0x1f800, 0x1f80b),
    (0x1f810, 0x1f847),
    (0x1f850, 0x1f859),
    (0x1f860, 0x1f887),
    (0x1f890, 0x1f8ad),
    (0x1f8b0, 0x1f8bb),
    (0x1f8c0, 0x1f8c1),
    (0x1f8d0, 0x1f8d8),
    (0x1f900, 0x1fa57),
    (0x1fa60, 0x1fa6d),
    (0x1fa70, 0x1fa7c),
    (0x1fa80, 0x1fa8a),
    (0x1fa8e, 0x1fac6),
    (0x1fac8, 0x1fac8),
    (0x1facd, 0x1fadc),
    (0x1fadf, 0x1faea),
    (0x1faef, 0x1faf8),
    (0x1fb00, 0x1fb92),
    (0x1fb94, 0x1fbfa),
    (0x20000, 0x2a6df),
    (0x2a700, 0x2b81d),
    (0x2b820, 0x2cead),
    (0x2ceb0, 0x2ebe0),
    (0x2ebf0, 0x2ee5d),
    (0x2f800, 0x2fa1d),
    (0x30000, 0x3134a),
    (0x31350, 0x33479),
    (0xe0100, 0xe01ef),
];

#[cfg(test)]
mod tests {
    //! Expected texts are real Helm v4.3.0's output for the same format
    //! and operands (the oracle; see tests/template/printf).
    use super::*;
    use crate::template::value::Map;
    use std::collections::BTreeMap;

    fn i(n: i64) -> Value {
        Value::Int(n)
    }
    fn f(x: f64) -> Value {
        Value::Float(x)
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
        Value::Map(Map::from_entries(Elem::Any, m))
    }

    #[test]
    fn strings_and_widths() {
        assert_eq!(
            sprintf(
                "%05s|%-5s|%5.2s|%.1s",
                &[s("ab"), s("ab"), s("abc"), s("日本")]
            ),
            "000ab|ab   |   ab|日"
        );
        assert_eq!(
            sprintf(
                "%x|%X|% x|%#x|%# x|%q|%#q|%+q",
                &[
                    s("hi\x01"),
                    s("hi"),
                    s("hi"),
                    s("hi"),
                    s("hi"),
                    s("a\tb\"日\x00"),
                    s("a`b"),
                    s("日本")
                ]
            ),
            "686901|6869|68 69|0x6869|0x68 0x69|\"a\\tb\\\"日\\x00\"|\"a`b\"|\"\\u65e5\\u672c\""
        );
        assert_eq!(
            sprintf(
                "%10q|%-10q|%.2q|%#q|%#q",
                &[s("ab"), s("ab"), s("abcd"), s("a\nb"), s("ab\t")]
            ),
            "      \"ab\"|\"ab\"      |\"ab\"|\"a\\nb\"|`ab\t`"
        );
    }

    #[test]
    fn integers() {
        assert_eq!(
            sprintf(
                "%d|%+d|% d|%05d|%-5d|%.3d|%x|%X|%o|%O|%b|%#x|%#o|%#b|%c|%q|%U|%#U",
                &[i(42), i(42), i(42), i(-42), i(42), i(7), i(255), i(255), i(8), i(8), i(5), i(255), i(8), i(5), i(26085), i(26085), i(26085), i(26085)]
            ),
            "42|+42| 42|-0042|42   |007|ff|FF|10|0o10|101|0xff|010|0b101|日|'日'|U+65E5|U+65E5 '日'"
        );
        assert_eq!(
            sprintf(
                "%08.3d|%+.3d|% 05d|%+05d|%x|%#X|%#o|%O|%#b|%-+5d|%3c|%-3c|",
                &[
                    i(5),
                    i(5),
                    i(5),
                    i(-5),
                    i(-255),
                    i(-255),
                    i(-8),
                    i(-8),
                    i(-5),
                    i(5),
                    i(65),
                    i(65)
                ]
            ),
            "     005|+005| 0005|-0005|-ff|-0XFF|-010|-0o10|-0b101|+5   |  A|A  |"
        );
        assert_eq!(
            sprintf(
                "%c|%c|%q|%q|%U|%c|%q",
                &[i(65), i(-1), i(10), i(39), i(-1), i(1114112), i(1114112)]
            ),
            "A|\u{fffd}|'\\n'|'\\''|U+FFFFFFFFFFFFFFFF|\u{fffd}|'\u{fffd}'"
        );
        assert_eq!(
            sprintf("%b|%X", &[Value::Int64(i64::MIN), Value::Int64(i64::MAX)]),
            format!("-1{}|7FFFFFFFFFFFFFFF", "0".repeat(63))
        );
    }

    #[test]
    #[allow(clippy::approx_constant)]
    fn floats() {
        let x = f(1234.5678);
        assert_eq!(
            sprintf("%e|%E|%f|%F|%g|%G|%b|%x|%X", &vec![x; 9]),
            "1.234568e+03|1.234568E+03|1234.567800|1234.567800|1234.5678|1234.5678|5429686605511341p-42|0x1.34a456d5cfaadp+10|0X1.34A456D5CFAADP+10"
        );
        assert_eq!(
            sprintf(
                "%.0f|%.0f|%.0f|%.1f|%.0e|%.2g|%#g|%#.3g|%#v",
                &[
                    f(0.5),
                    f(1.5),
                    f(2.5),
                    f(0.25),
                    f(2.5),
                    f(1.0),
                    f(1.0),
                    f(100.0),
                    f(100.0)
                ]
            ),
            "0|2|2|0.2|2e+00|1|1.00000|100.|100"
        );
        assert_eq!(
            sprintf(
                "%v %v %v %v %v %v %v",
                &[
                    f(1e6),
                    f(1e21),
                    f(1e20),
                    f(0.000001),
                    f(1e-5),
                    f(123456789.0),
                    f(-0.0)
                ]
            ),
            "1e+06 1e+21 1e+20 1e-06 1e-05 1.23456789e+08 -0"
        );
        assert_eq!(
            sprintf("%.30f|%.20e|%.17g|%.0g|%.1g|%g|%.25g", &[f(0.1), f(0.1), f(0.1), f(123.0), f(0.15), f(1e100), f(5e-324)]),
            "0.100000000000000005551115123126|1.00000000000000005551e-01|0.10000000000000001|1e+02|0.1|1e+100|4.940656458412465441765688e-324"
        );
        assert_eq!(
            sprintf("%#.3x|%.2x|%#X|%x|%.0x|%#x|%#.0e|%#.0f|%#g|%#g|%#.4g|%#g", &[f(1.0), f(1.5), f(255.5), f(0.0), f(1.5), f(1e300), f(1.0), f(1.0), f(1e6), f(0.0), f(123456.0), f(1e-7)]),
            "0x1.000p+00|0x1.80p+00|0X1.FFP+07|0x0p+00|0x1p+01|0x1.7e43c8800759cp+996|1.e+00|1.|1.00000e+06|0.00000|1.235e+05|1.00000e-07"
        );
        let (nan, inf, ninf) = (f(f64::NAN), f(f64::INFINITY), f(f64::NEG_INFINITY));
        assert_eq!(
            sprintf(
                "%x|%X|%v|%5.1f|%-8.2f|%+v|% v|%08.2f|%+08.2f|%08v",
                &[
                    nan.clone(),
                    inf.clone(),
                    ninf.clone(),
                    nan.clone(),
                    inf.clone(),
                    nan.clone(),
                    nan.clone(),
                    ninf,
                    inf,
                    nan
                ]
            ),
            "NaN|+Inf|-Inf|  NaN|+Inf    |NaN| NaN|    -Inf|    +Inf|     NaN"
        );
        assert_eq!(
            sprintf(
                "%6.2v|%010v|%08.3f|%+08.3f|%-08.3f",
                &[f(3.14159), f(-1.5), f(-3.14159), f(3.14159), f(3.14159)]
            ),
            "   3.1|-0000001.5|-003.142|+003.142|3.142   "
        );
    }

    #[test]
    fn format_float_forms() {
        assert_eq!(format_float(1.5, b'f', -1, 64), "1.5");
        assert_eq!(format_float(1e21, b'f', -1, 64), "1000000000000000000000");
        assert_eq!(format_float(0.1, b'e', -1, 64), "1e-01");
        assert_eq!(format_float(0.1, b'g', -1, 32), "0.1");
        assert_eq!(format_float(0.1, b'f', 20, 32), "0.10000000149011611938");
        assert_eq!(format_float(0.0, b'b', -1, 64), "0p-1074");
        assert_eq!(format_float(-2.0, b'x', -1, 64), "-0x1p+01");
        assert_eq!(format_float(f64::NAN, b'g', -1, 64), "NaN");
    }

    #[test]
    fn error_forms() {
        let nil = Value::Nil;
        assert_eq!(sprintf("%d %d", &[i(1)]), "1 %!d(MISSING)");
        assert_eq!(sprintf("%d", &[i(1), i(2)]), "1%!(EXTRA int=2)");
        assert_eq!(sprintf("%!", &[]), "%!!(MISSING)");
        assert_eq!(sprintf("%", &[]), "%!(NOVERB)");
        assert_eq!(sprintf("%[3]d", &[i(1)]), "%!d(BADINDEX)");
        assert_eq!(sprintf("%*d", &[s("x"), i(1)]), "%!(BADWIDTH)1");
        assert_eq!(sprintf("%.*d", &[s("x"), i(1)]), "%!(BADPREC)1");
        assert_eq!(
            sprintf("%d|%s|%v", &[s("s"), nil.clone(), nil]),
            "%!d(string=s)|%!s(<nil>)|<nil>"
        );
        assert_eq!(
            sprintf(
                "%[2]d %[1]d|%[2]*[1]d|%d %d %[1]d %d|%[5]d|%[0]d|%[x]d|%[1]",
                &[i(1), i(2)]
            ),
            "2 1| 1|2 %!d(MISSING) 1 2|%!d(BADINDEX)|%!d(BADINDEX)|%!d(BADINDEX)|%!(NOVERB)"
        );
        assert_eq!(
            sprintf("%5t|%-6t|%5d|%05t", &[i(1), i(2), s("ab"), s("x")]),
            "%!t(int=    1)|%!t(int=2     )|%!d(string=   ab)|%!t(string=0000x)"
        );
        assert_eq!(
            sprintf("%d|%o", &[f(1000.0), f(1000.0)]),
            "%!d(float64=1000)|%!o(float64=1000)"
        );
    }

    #[test]
    fn composites() {
        assert_eq!(
            sprintf(
                "%v|%d|%s|%#v|%+v|%T|%x|%q",
                &[l(vec![i(1), s("a"), f(2.5)]), l(vec![i(1), i(2)]), l(vec![s("a"), s("b")]), l(vec![i(1), s("a"), Value::Nil]), l(vec![i(1)]), l(vec![i(1)]), l(vec![s("ab"), s("c")]), l(vec![s("a"), i(1)])]
            ),
            "[1 a 2.5]|[1 2]|[a b]|[]interface {}{1, \"a\", interface {}(nil)}|[1]|[]interface {}|[6162 63]|[\"a\" '\\x01']"
        );
        let m = dict(&[("b", i(1)), ("a", s("x"))]);
        let a1 = dict(&[("a", i(1))]);
        assert_eq!(
            sprintf("%v|%#v|%T|%d|%5v", &[m.clone(), m, a1.clone(), a1.clone(), a1]),
            "map[a:x b:1]|map[string]interface {}{\"a\":\"x\", \"b\":1}|map[string]interface {}|map[%!d(string=a):1]|map[    a:    1]"
        );
        assert_eq!(
            sprintf(
                "%#v|%#v",
                &[Value::strings(["a", "b"]), dict(&[("a", l(vec![]))])]
            ),
            "[]string{\"a\", \"b\"}|map[string]interface {}{\"a\":[]interface {}{}}"
        );
        assert_eq!(
            sprintf(
                "%10.3v|%-10v|%6.2v|%2v",
                &[
                    l(vec![f(1.234), s("abcdef"), Value::Nil]),
                    dict(&[("k", s("v"))]),
                    l(vec![s("abc"), Value::Bool(true)]),
                    l(vec![i(1), i(2)])
                ]
            ),
            "[      1.23        abc <nil>]|map[k         :v         ]|[    ab   true]|[ 1  2]"
        );
        let b = Value::Bytes(std::rc::Rc::from(&b""[..]));
        assert_eq!(
            sprintf("%v|%d|%s|%T|%#v|%q|%x", &vec![b; 7]),
            "[]|[]||[]uint8|[]byte{}|\"\"|"
        );
    }

    #[test]
    fn sprint_spacing() {
        assert_eq!(
            sprint(&[
                i(1),
                i(2),
                s("a"),
                i(3),
                s("b"),
                s("c"),
                f(4.5),
                Value::Nil,
                Value::Bool(true)
            ]),
            "1 2a3bc4.5 <nil> true"
        );
        assert_eq!(sprintln(&[i(1), s("a"), Value::Nil]), "1 a <nil>\n");
        assert_eq!(sprint(&[]), "");
    }

    #[test]
    fn quoting_follows_unicode_17() {
        // Printable in Unicode 17.0 (U+20C1, U+10940, U+11DB0, U+323B0 are
        // new in 17.0): raw.
        assert_eq!(
            quote("\u{20c1}\u{10940}\u{11DB0}\u{1C89}\u{323B0}😀"),
            "\"\u{20c1}\u{10940}\u{11db0}\u{1c89}\u{323b0}😀\""
        );
        // Unassigned in 17.0 (assigned in 18.0), format and separator
        // characters: escaped.
        assert_eq!(
            quote("\u{0558}\u{20c2}\u{a7dd}\u{2028}\u{00ad}\u{feff}\u{0378}\u{7f}\x07"),
            "\"\\u0558\\u20c2\\ua7dd\\u2028\\u00ad\\ufeff\\u0378\\x7f\\a\""
        );
        assert_eq!(quote_bytes(b"a\xe6\x97\xff"), "\"a\\xe6\\x97\\xff\"");
        assert_eq!(quote_to_ascii("日\u{1F600}"), "\"\\u65e5\\U0001f600\"");
        assert_eq!(quote_rune(0xD800), "'\u{fffd}'");
        assert!(can_backquote("a\tb") && !can_backquote("a`b") && !can_backquote("\u{feff}"));
    }
}
