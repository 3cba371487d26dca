//! Sprig's arithmetic and number conversions (`functions.go`, `numeric.go`
//! of Sprig v3.3.0), with the Go semantics Helm's templates see:
//!
//! - `add`, `sub`, `mul`, `div`, `mod`, `max`, `min`... take
//!   `interface{}` arguments, convert each with `spf13/cast`'s `ToInt64`
//!   (strings parsed as Go integer literals, `"1.5"` to 1, floats
//!   truncated, anything unconvertible to 0) and return `int64`, wrapping
//!   on overflow like Go; dividing by zero is Go's runtime panic.
//! - `addf`, `subf`, `mulf`, `divf`, `add1f` go through
//!   `shopspring/decimal`: each float becomes the exact decimal of its
//!   shortest representation, the operation is exact (division rounds to
//!   16 decimal places, half away from zero), and the result is the
//!   nearest `float64` — so `addf 1.1 2.2` is `3.3`, not
//!   `3.3000000000000003`.
//! - `float64` to integer conversions are amd64's: out of range or NaN
//!   gives -9223372036854775808.

use num_bigint::{BigInt, Sign};
use rand::Rng;

use super::{FuncError, FuncResult, Registry, Ty};
use crate::template::value::{Elem, Value};

/// Registers this family's functions.
pub(super) fn register(r: &mut Registry) {
    r.add("add1", &[Ty::Any], None, add1);
    r.add("add", &[], Some(Ty::Any), add);
    r.add("sub", &[Ty::Any, Ty::Any], None, sub);
    r.add("div", &[Ty::Any, Ty::Any], None, div);
    r.add("mod", &[Ty::Any, Ty::Any], None, modulo);
    r.add("mul", &[Ty::Any], Some(Ty::Any), mul);
    r.add("randInt", &[Ty::Int, Ty::Int], None, rand_int);
    r.add("add1f", &[Ty::Any], None, add1f);
    r.add("addf", &[], Some(Ty::Any), addf);
    r.add("subf", &[Ty::Any], Some(Ty::Any), subf);
    r.add("divf", &[Ty::Any], Some(Ty::Any), divf);
    r.add("mulf", &[Ty::Any], Some(Ty::Any), mulf);
    r.add("biggest", &[Ty::Any], Some(Ty::Any), max);
    r.add("max", &[Ty::Any], Some(Ty::Any), max);
    r.add("min", &[Ty::Any], Some(Ty::Any), min);
    r.add("maxf", &[Ty::Any], Some(Ty::Any), maxf);
    r.add("minf", &[Ty::Any], Some(Ty::Any), minf);
    r.add("ceil", &[Ty::Any], None, ceil);
    r.add("floor", &[Ty::Any], None, floor);
    r.add("round", &[Ty::Any, Ty::Int], Some(Ty::Float64), round);
    r.add("seq", &[], Some(Ty::Int), seq);
    r.add("until", &[Ty::Int], None, until);
    r.add("untilStep", &[Ty::Int, Ty::Int, Ty::Int], None, until_step);
    r.add("int64", &[Ty::Any], None, int64);
    r.add("int", &[Ty::Any], None, int);
    r.add("float64", &[Ty::Any], None, float64);
    r.add("atoi", &[Ty::String], None, atoi);
    r.add("toDecimal", &[Ty::Any], None, to_decimal);
}

// ---------------------------------------------------------------------------
// spf13/cast conversions (number.go): what Sprig's toInt64/toInt/toFloat64
// do with any value.

/// `cast.ToInt64(v)`: integers as they are, floats truncated (amd64), bools
/// 1/0, nil 0, strings parsed as Go integer literals after dropping a
/// decimal part (`"0x10"` 16, `"1.5"` 1, `" 1"` 0), anything else 0.
pub(crate) fn cast_to_int64(v: &Value) -> i64 {
    match v {
        Value::Nil => 0,
        Value::Bool(b) => i64::from(*b),
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Uint64(u) => *u as i64,
        Value::Float(x) => go_f64_to_i64(*x),
        Value::String(s) => {
            if s.is_empty() {
                0
            } else {
                parse_int(trim_decimal(s), 0).unwrap_or(0)
            }
        }
        _ => 0,
    }
}

/// `cast.ToInt(v)`: Go's `int` is 64 bits, so the same as
/// [`cast_to_int64`].
pub(crate) fn cast_to_int(v: &Value) -> i64 {
    cast_to_int64(v)
}

/// `cast.ToFloat64(v)`: numbers converted, bools 1/0, nil 0, strings by
/// `strconv.ParseFloat` (0 when it fails, e.g. `" 1"`, `"1e400"`),
/// anything else 0.
pub(crate) fn cast_to_float64(v: &Value) -> f64 {
    match v {
        Value::Nil => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Int(i) | Value::Int64(i) => *i as f64,
        Value::Uint64(u) => *u as f64,
        Value::Float(x) => *x,
        Value::String(s) => parse_float(s).unwrap_or(0.0),
        _ => 0.0,
    }
}

/// Go's `int64(x)` for a `float64` on amd64 (CVTTSD2SQ): truncation, and
/// the "integer indefinite" -2^63 for NaN and out-of-range values.
pub(crate) fn go_f64_to_i64(x: f64) -> i64 {
    // 2^63 as f64 is exact; anything at or above it, below -2^63, or NaN
    // does not fit.
    if x.is_nan() || !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&x) {
        i64::MIN
    } else {
        x as i64
    }
}

/// cast's `trimDecimal`: a string that is a plain decimal number
/// (`^([-+]?\d*)(\.\d*)?$`) with a point loses its fractional part
/// (`"1.5"` → `"1"`, `".5"` → `"0"`, `"-.5"` → `"-0"`); others stay.
fn trim_decimal(s: &str) -> &str {
    if !s.contains('.') {
        return s;
    }
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_end = i;
    // The rest must be '.' followed by digits only.
    if i >= b.len() || b[i] != b'.' || !b[i + 1..].iter().all(u8::is_ascii_digit) {
        return s;
    }
    match &s[..int_end] {
        "" => "0",
        "-" => "-0",
        "+" => "+0",
        int => int,
    }
}

fn lower(c: u8) -> u8 {
    c | 0x20
}

/// Go's `strconv.underscoreOK`: underscores only between digits (or after
/// a base prefix).
fn underscore_ok(s: &str) -> bool {
    let mut b = s.as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    if !b.is_empty() && (b[0] == b'-' || b[0] == b'+') {
        b = &b[1..];
    }
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(lower(b[1]), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = lower(b[1]) == b'x';
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && (b'a'..=b'f').contains(&lower(c))) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// Go's `strconv.ParseUint(s, base, 64)`: `Ok(n)`, or `Err(v)` with the
/// value Go returns beside its error (0 for syntax, the maximum for range).
fn parse_uint(s: &str, base: u32) -> Result<u64, u64> {
    if s.is_empty() {
        return Err(0);
    }
    let base0 = base == 0;
    let s0 = s;
    let mut digits = s.as_bytes();
    let mut base = base;
    if base == 0 {
        base = 10;
        if digits[0] == b'0' {
            if digits.len() >= 3 && lower(digits[1]) == b'b' {
                base = 2;
                digits = &digits[2..];
            } else if digits.len() >= 3 && lower(digits[1]) == b'o' {
                base = 8;
                digits = &digits[2..];
            } else if digits.len() >= 3 && lower(digits[1]) == b'x' {
                base = 16;
                digits = &digits[2..];
            } else {
                base = 8;
                digits = &digits[1..];
            }
        }
    }
    let cutoff = u64::MAX / u64::from(base) + 1;
    let max_val = u64::MAX;
    let mut underscores = false;
    let mut n: u64 = 0;
    for &c in digits {
        let d = if c == b'_' && base0 {
            underscores = true;
            continue;
        } else if c.is_ascii_digit() {
            c - b'0'
        } else if lower(c).is_ascii_lowercase() {
            lower(c) - b'a' + 10
        } else {
            return Err(0);
        };
        if u32::from(d) >= base {
            return Err(0);
        }
        if n >= cutoff {
            return Err(max_val);
        }
        n *= u64::from(base);
        let (n1, overflow) = n.overflowing_add(u64::from(d));
        if overflow {
            return Err(max_val);
        }
        n = n1;
    }
    if underscores && !underscore_ok(s0) {
        return Err(0);
    }
    Ok(n)
}

/// Go's `strconv.ParseInt(s, base, 64)`: `Ok(n)`, or `Err(v)` with the
/// value Go returns beside its error (0 for syntax, the clamped bound for
/// range).
pub(crate) fn parse_int(s: &str, base: u32) -> Result<i64, i64> {
    if s.is_empty() {
        return Err(0);
    }
    let (neg, rest) = match s.as_bytes()[0] {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let un = match parse_uint(rest, base) {
        Ok(n) => n,
        Err(0) => return Err(0),
        Err(n) => n, // range error: clamped below
    };
    let cutoff = 1u64 << 63;
    if !neg && un >= cutoff {
        return Err(i64::MAX);
    }
    if neg && un > cutoff {
        return Err(i64::MIN);
    }
    let n = un as i64; // un <= 2^63: wraps to i64::MIN for -2^63
    Ok(if neg { n.wrapping_neg() } else { n })
}

/// Go's `strconv.Atoi` value (Sprig ignores its error): the fast path for
/// short strings, `ParseInt(s, 10, 0)` (clamped on overflow) otherwise.
fn go_atoi(s: &str) -> i64 {
    let b = s.as_bytes();
    if !b.is_empty() && b.len() < 19 {
        let digits = if b[0] == b'-' || b[0] == b'+' {
            &b[1..]
        } else {
            b
        };
        if digits.is_empty() {
            return 0;
        }
        let mut n: i64 = 0;
        for &c in digits {
            if !c.is_ascii_digit() {
                return 0;
            }
            n = n * 10 + i64::from(c - b'0');
        }
        return if b[0] == b'-' { -n } else { n };
    }
    match parse_int(s, 10) {
        Ok(n) | Err(n) => n,
    }
}

/// Go's `strconv.special`: infinities and NaN, with how many bytes they
/// take.
fn parse_special(s: &str) -> Option<(f64, usize)> {
    let b = s.as_bytes();
    let prefix_len = |rest: &[u8], word: &[u8]| {
        rest.iter()
            .zip(word)
            .take_while(|(c, w)| lower(**c) == **w)
            .count()
    };
    let (sign, nsign, rest) = match b.first()? {
        b'+' => (1.0, 1, &b[1..]),
        b'-' => (-1.0, 1, &b[1..]),
        b'i' | b'I' => (1.0, 0, b),
        b'n' | b'N' => {
            return (prefix_len(b, b"nan") == 3).then_some((f64::NAN, 3));
        }
        _ => return None,
    };
    let mut n = prefix_len(rest, b"infinity");
    if 3 < n && n < 8 {
        n = 3;
    }
    (n == 3 || n == 8).then_some((sign * f64::INFINITY, nsign + n))
}

/// Go's `strconv.ParseFloat(s, 64)`, `None` where it returns an error
/// (syntax, or overflow to infinity).
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    if let Some((v, n)) = parse_special(s) {
        return (n == s.len()).then_some(v);
    }
    let b = s.as_bytes();
    let mut i = 0;
    let mut neg = false;
    let mut underscores = false;
    if i >= b.len() {
        return None;
    }
    if b[i] == b'+' {
        i += 1;
    } else if b[i] == b'-' {
        neg = true;
        i += 1;
    }
    let mut hex = false;
    let mut max_mant_digits = 19;
    let mut base: u64 = 10;
    let mut exp_char = b'e';
    if i + 2 < b.len() && b[i] == b'0' && lower(b[i + 1]) == b'x' {
        base = 16;
        max_mant_digits = 16;
        i += 2;
        exp_char = b'p';
        hex = true;
    }
    let mut sawdot = false;
    let mut sawdigits = false;
    let mut nd: i64 = 0;
    let mut nd_mant: i64 = 0;
    let mut dp: i64 = 0;
    let mut mantissa: u64 = 0;
    let mut trunc = false;
    // For the decimal case: every digit, and how many precede the point.
    let mut digits = String::new();
    let mut int_digits: i64 = -1;
    while i < b.len() {
        let c = b[i];
        if c == b'_' {
            underscores = true;
        } else if c == b'.' {
            if sawdot {
                break;
            }
            sawdot = true;
            dp = nd;
            int_digits = digits.len() as i64;
        } else if c.is_ascii_digit() {
            sawdigits = true;
            digits.push(c as char);
            if c == b'0' && nd == 0 {
                dp -= 1;
            } else {
                nd += 1;
                if nd_mant < max_mant_digits {
                    mantissa = mantissa * base + u64::from(c - b'0');
                    nd_mant += 1;
                } else if c != b'0' {
                    trunc = true;
                }
            }
        } else if base == 16 && (b'a'..=b'f').contains(&lower(c)) {
            sawdigits = true;
            nd += 1;
            if nd_mant < max_mant_digits {
                mantissa = mantissa * 16 + u64::from(lower(c) - b'a' + 10);
                nd_mant += 1;
            } else {
                trunc = true;
            }
        } else {
            break;
        }
        i += 1;
    }
    if !sawdigits {
        return None;
    }
    if !sawdot {
        dp = nd;
        int_digits = digits.len() as i64;
    }
    if base == 16 {
        dp *= 4;
        nd_mant *= 4;
    }
    let mut e10: i64 = 0;
    if i < b.len() && lower(b[i]) == exp_char {
        i += 1;
        if i >= b.len() {
            return None;
        }
        let mut esign = 1;
        if b[i] == b'+' {
            i += 1;
        } else if b[i] == b'-' {
            i += 1;
            esign = -1;
        }
        if i >= b.len() || !b[i].is_ascii_digit() {
            return None;
        }
        let mut e: i64 = 0;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            if b[i] == b'_' {
                underscores = true;
            } else if e < 10000 {
                e = e * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        dp += e * esign;
        e10 = e * esign;
    } else if base == 16 {
        return None;
    }
    let exp = if mantissa != 0 { dp - nd_mant } else { 0 };
    if underscores && !underscore_ok(&s[..i]) {
        return None;
    }
    if i != b.len() {
        return None;
    }
    if hex {
        return atof_hex(mantissa, exp, neg, trunc);
    }
    // Decimal: Rust's parser rounds correctly, as Go's does.
    let text = format!(
        "{}{}e{}",
        if neg { "-" } else { "" },
        digits,
        int_digits - digits.len() as i64 + e10
    );
    let v: f64 = text.parse().ok()?;
    (!v.is_infinite()).then_some(v)
}

/// Go's `strconv.atofHex` for float64: `None` on overflow.
fn atof_hex(mut mantissa: u64, exp: i64, neg: bool, trunc: bool) -> Option<f64> {
    const MANTBITS: i64 = 52;
    const EXPBITS: i64 = 11;
    const BIAS: i64 = -1023;
    let max_exp = (1 << EXPBITS) + BIAS - 2;
    let min_exp = BIAS + 1;
    let mut exp = exp + MANTBITS;
    while mantissa != 0 && mantissa >> (MANTBITS + 2) == 0 {
        mantissa <<= 1;
        exp -= 1;
    }
    if trunc {
        mantissa |= 1;
    }
    while mantissa >> (1 + MANTBITS + 2) != 0 {
        mantissa = (mantissa >> 1) | (mantissa & 1);
        exp += 1;
    }
    while mantissa > 1 && exp < min_exp - 2 {
        mantissa = (mantissa >> 1) | (mantissa & 1);
        exp += 1;
    }
    let mut round = mantissa & 3;
    mantissa >>= 2;
    round |= mantissa & 1;
    exp += 2;
    if round == 3 {
        mantissa += 1;
        if mantissa == 1 << (1 + MANTBITS) {
            mantissa >>= 1;
            exp += 1;
        }
    }
    if mantissa >> MANTBITS == 0 {
        exp = BIAS;
    }
    if exp > max_exp {
        return None;
    }
    let mut bits = mantissa & ((1 << MANTBITS) - 1);
    bits |= (((exp - BIAS) & ((1 << EXPBITS) - 1)) as u64) << MANTBITS;
    if neg {
        bits |= 1 << 63;
    }
    Some(f64::from_bits(bits))
}

// ---------------------------------------------------------------------------
// Go's math.Pow (pure Go on amd64), for `round`.

fn go_normalize(x: f64) -> (f64, i64) {
    const SMALLEST_NORMAL: f64 = 2.2250738585072014e-308;
    if x.abs() < SMALLEST_NORMAL {
        return (x * (1u64 << 52) as f64, -52);
    }
    (x, 0)
}

fn go_frexp(f: f64) -> (f64, i64) {
    if f == 0.0 || f.is_infinite() || f.is_nan() {
        return (f, 0);
    }
    let (f, mut exp) = go_normalize(f);
    let mut x = f.to_bits();
    exp += ((x >> 52) & 0x7ff) as i64 - 1023 + 1;
    x &= !(0x7ff << 52);
    x |= 1022 << 52;
    (f64::from_bits(x), exp)
}

fn go_ldexp(frac: f64, exp: i64) -> f64 {
    if frac == 0.0 || frac.is_infinite() || frac.is_nan() {
        return frac;
    }
    let (frac, e) = go_normalize(frac);
    let mut exp = exp + e;
    let mut x = frac.to_bits();
    exp += ((x >> 52) & 0x7ff) as i64 - 1023;
    if exp < -1075 {
        return 0.0f64.copysign(frac);
    }
    if exp > 1023 {
        return if frac < 0.0 {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    let mut m = 1.0;
    if exp < -1022 {
        exp += 53;
        m = 1.0 / (1u64 << 53) as f64;
    }
    x &= !(0x7ff << 52);
    x |= ((exp + 1023) as u64) << 52;
    m * f64::from_bits(x)
}

fn is_odd_int(x: f64) -> bool {
    if x.abs() >= (1u64 << 53) as f64 {
        return false;
    }
    x.fract() == 0.0 && (x as i64) & 1 == 1
}

/// Go's `math.Pow(x, y)` for an integral `y` (all `round` needs: its
/// places are an `int`).
fn go_pow_int(x: f64, y: f64) -> f64 {
    if y == 0.0 || x == 1.0 {
        return 1.0;
    }
    if y == 1.0 {
        return x;
    }
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 {
        if y < 0.0 {
            return if is_odd_int(y) {
                f64::INFINITY.copysign(x)
            } else {
                f64::INFINITY
            };
        }
        return if is_odd_int(y) { x } else { 0.0 };
    }
    if y.is_infinite() {
        return if x == -1.0 {
            1.0
        } else if (x.abs() < 1.0) == (y > 0.0) {
            0.0
        } else {
            f64::INFINITY
        };
    }
    if x.is_infinite() {
        if x < 0.0 {
            return go_pow_int(1.0 / x, -y);
        }
        return if y < 0.0 { 0.0 } else { f64::INFINITY };
    }
    let yi = y.abs().trunc();
    if yi >= 9_223_372_036_854_775_808.0 {
        return if x == -1.0 {
            1.0
        } else if (x.abs() < 1.0) == (y > 0.0) {
            0.0
        } else {
            f64::INFINITY
        };
    }
    let mut a1 = 1.0;
    let mut ae: i64 = 0;
    let (mut x1, mut xe) = go_frexp(x);
    let mut i = yi as i64;
    while i != 0 {
        if !(-(1 << 12)..=(1 << 12)).contains(&xe) {
            ae += xe;
            break;
        }
        if i & 1 == 1 {
            a1 *= x1;
            ae += xe;
        }
        x1 *= x1;
        xe <<= 1;
        if x1 < 0.5 {
            x1 += x1;
            xe -= 1;
        }
        i >>= 1;
    }
    if y < 0.0 {
        a1 = 1.0 / a1;
        ae = -ae;
    }
    go_ldexp(a1, ae)
}

/// Go's `math.Max`: +Inf wins over NaN, NaN over numbers, +0 over -0.
fn go_max(x: f64, y: f64) -> f64 {
    if x == f64::INFINITY || y == f64::INFINITY {
        return f64::INFINITY;
    }
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 && x == y {
        return if x.is_sign_negative() { y } else { x };
    }
    if x > y {
        x
    } else {
        y
    }
}

/// Go's `math.Min`: -Inf wins over NaN, NaN over numbers, -0 over +0.
fn go_min(x: f64, y: f64) -> f64 {
    if x == f64::NEG_INFINITY || y == f64::NEG_INFINITY {
        return f64::NEG_INFINITY;
    }
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 && x == y {
        return if x.is_sign_negative() { x } else { y };
    }
    if x < y {
        x
    } else {
        y
    }
}

// ---------------------------------------------------------------------------
// shopspring/decimal v1.4.0: value × 10^exp, exact.

#[derive(Clone, Debug)]
struct Decimal {
    value: BigInt,
    exp: i32,
}

/// `decimal.DivisionPrecision`.
const DIVISION_PRECISION: i32 = 16;

fn pow10(n: u64) -> BigInt {
    // Exponents here come from float64s (|e| < 400 each) and their sums.
    BigInt::from(10u32).pow(u32::try_from(n).unwrap_or(u32::MAX))
}

impl Decimal {
    fn new(value: i64, exp: i32) -> Self {
        Decimal {
            value: BigInt::from(value),
            exp,
        }
    }

    /// `decimal.NewFromFloat`: the shortest decimal that reads back as `x`;
    /// Go panics on NaN and infinities.
    fn from_float(x: f64) -> Result<Self, FuncError> {
        if x.is_nan() || x.is_infinite() {
            return Err(FuncError::new(format!(
                "Cannot create a Decimal from {}",
                Value::Float(x)
            )));
        }
        if x == 0.0 {
            return Ok(Decimal::new(0, 0));
        }
        // Rust's `{:e}` is the shortest round-trip form, as strconv's.
        let sci = format!("{:e}", x);
        let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let negative = mantissa.starts_with('-');
        let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
        let mut value: BigInt = digits.parse().unwrap_or_default();
        if negative {
            value = -value;
        }
        Ok(Decimal {
            value,
            exp: exp - (digits.len() as i32 - 1),
        })
    }

    fn rescale(&self, exp: i32) -> BigInt {
        if exp < self.exp {
            &self.value * pow10((i64::from(self.exp) - i64::from(exp)) as u64)
        } else {
            self.value.clone()
        }
    }

    /// `RescalePair`: both values at the smaller exponent.
    fn rescale_pair(a: &Decimal, b: &Decimal) -> (BigInt, BigInt, i32) {
        let exp = a.exp.min(b.exp);
        (a.rescale(exp), b.rescale(exp), exp)
    }

    fn add(&self, other: &Decimal) -> Result<Decimal, FuncError> {
        let (a, b, exp) = Decimal::rescale_pair(self, other);
        Ok(Decimal { value: a + b, exp })
    }

    fn sub(&self, other: &Decimal) -> Result<Decimal, FuncError> {
        let (a, b, exp) = Decimal::rescale_pair(self, other);
        Ok(Decimal { value: a - b, exp })
    }

    fn mul(&self, other: &Decimal) -> Result<Decimal, FuncError> {
        let exp = i64::from(self.exp) + i64::from(other.exp);
        let exp = i32::try_from(exp)
            .map_err(|_| FuncError::new(format!("exponent {exp} overflows an int32!")))?;
        Ok(Decimal {
            value: &self.value * &other.value,
            exp,
        })
    }

    fn cmp(&self, other: &Decimal) -> std::cmp::Ordering {
        let (a, b, _) = Decimal::rescale_pair(self, other);
        a.cmp(&b)
    }

    /// `QuoRem(d2, precision)`: the quotient truncated to a multiple of
    /// 10^-precision, and the remainder.
    fn quo_rem(&self, d2: &Decimal, precision: i32) -> Result<(Decimal, Decimal), FuncError> {
        if d2.value.sign() == Sign::NoSign {
            return Err(FuncError::new("decimal division by 0"));
        }
        let scale = -precision;
        let e = i64::from(self.exp) - i64::from(d2.exp) - i64::from(scale);
        if i32::try_from(e).is_err() {
            return Err(FuncError::new("overflow in decimal QuoRem"));
        }
        let (aa, bb, scalerest) = if e < 0 {
            (
                self.value.clone(),
                &d2.value * pow10(e.unsigned_abs()),
                self.exp,
            )
        } else {
            (
                &self.value * pow10(e as u64),
                d2.value.clone(),
                scale + d2.exp,
            )
        };
        // Go's big.Int QuoRem truncates toward zero, as Rust's / and %.
        let q = &aa / &bb;
        let r = &aa % &bb;
        Ok((
            Decimal {
                value: q,
                exp: scale,
            },
            Decimal {
                value: r,
                exp: scalerest,
            },
        ))
    }

    /// `Div`: `DivRound(d2, 16)`, half away from zero.
    fn div(&self, d2: &Decimal) -> Result<Decimal, FuncError> {
        let precision = DIVISION_PRECISION;
        let (q, r) = self.quo_rem(d2, precision)?;
        let r2 = Decimal {
            value: r.value.magnitude().clone().into(),
            exp: r.exp + precision,
        };
        let r2 = Decimal {
            value: r2.value * 2,
            exp: r2.exp,
        };
        let d2_abs = Decimal {
            value: d2.value.magnitude().clone().into(),
            exp: d2.exp,
        };
        if r2.cmp(&d2_abs) == std::cmp::Ordering::Less {
            return Ok(q);
        }
        let unit = Decimal::new(1, -precision);
        let negative = (self.value.sign() == Sign::Minus) != (d2.value.sign() == Sign::Minus)
            && self.value.sign() != Sign::NoSign;
        if negative {
            q.sub(&unit)
        } else {
            q.add(&unit)
        }
    }

    /// `Float64()`: the nearest float64 (big.Rat's rounding; +0 for zero).
    fn to_f64(&self) -> f64 {
        if self.value.sign() == Sign::NoSign {
            return 0.0;
        }
        format!("{}e{}", self.value, self.exp)
            .parse()
            .unwrap_or(0.0)
    }
}

type DecOp = fn(&Decimal, &Decimal) -> Result<Decimal, FuncError>;

/// Sprig's `execDecimalOp`: `a` op each of `rest`, in decimal.
fn exec_decimal_op(a: &Value, rest: &[Value], op: DecOp) -> FuncResult {
    let mut acc = Decimal::from_float(cast_to_float64(a))?;
    for x in rest {
        let dx = Decimal::from_float(cast_to_float64(x))?;
        acc = op(&acc, &dx)?;
    }
    Ok(Value::Float(acc.to_f64()))
}

// ---------------------------------------------------------------------------
// The functions.

fn arg(args: &[Value], i: usize) -> Value {
    args.get(i).cloned().unwrap_or_default()
}

fn int_arg(args: &[Value], i: usize) -> i64 {
    args.get(i).and_then(Value::as_int).unwrap_or(0)
}

fn add1(args: &[Value]) -> FuncResult {
    Ok(Value::Int64(cast_to_int64(&arg(args, 0)).wrapping_add(1)))
}

fn add(args: &[Value]) -> FuncResult {
    let sum = args
        .iter()
        .fold(0i64, |a, b| a.wrapping_add(cast_to_int64(b)));
    Ok(Value::Int64(sum))
}

fn sub(args: &[Value]) -> FuncResult {
    let (a, b) = (cast_to_int64(&arg(args, 0)), cast_to_int64(&arg(args, 1)));
    Ok(Value::Int64(a.wrapping_sub(b)))
}

const DIVIDE_BY_ZERO: &str = "runtime error: integer divide by zero";

fn div(args: &[Value]) -> FuncResult {
    let (a, b) = (cast_to_int64(&arg(args, 0)), cast_to_int64(&arg(args, 1)));
    if b == 0 {
        return Err(FuncError::new(DIVIDE_BY_ZERO));
    }
    Ok(Value::Int64(a.wrapping_div(b)))
}

fn modulo(args: &[Value]) -> FuncResult {
    let (a, b) = (cast_to_int64(&arg(args, 0)), cast_to_int64(&arg(args, 1)));
    if b == 0 {
        return Err(FuncError::new(DIVIDE_BY_ZERO));
    }
    Ok(Value::Int64(a.wrapping_rem(b)))
}

fn mul(args: &[Value]) -> FuncResult {
    let first = cast_to_int64(&arg(args, 0));
    let product = args
        .iter()
        .skip(1)
        .fold(first, |a, b| a.wrapping_mul(cast_to_int64(b)));
    Ok(Value::Int64(product))
}

/// `rand.Intn(max-min) + min`; Intn panics unless its argument is positive.
fn rand_int(args: &[Value]) -> FuncResult {
    let (lo, hi) = (int_arg(args, 0), int_arg(args, 1));
    let n = hi.wrapping_sub(lo);
    if n <= 0 {
        return Err(FuncError::new("invalid argument to Intn"));
    }
    let r = rand::rng().random_range(0..n);
    Ok(Value::Int(r.wrapping_add(lo)))
}

fn add1f(args: &[Value]) -> FuncResult {
    exec_decimal_op(&arg(args, 0), &[Value::Int(1)], Decimal::add)
}

fn addf(args: &[Value]) -> FuncResult {
    exec_decimal_op(&Value::Float(0.0), args, Decimal::add)
}

fn subf(args: &[Value]) -> FuncResult {
    exec_decimal_op(&arg(args, 0), args.get(1..).unwrap_or(&[]), Decimal::sub)
}

fn divf(args: &[Value]) -> FuncResult {
    exec_decimal_op(&arg(args, 0), args.get(1..).unwrap_or(&[]), Decimal::div)
}

fn mulf(args: &[Value]) -> FuncResult {
    exec_decimal_op(&arg(args, 0), args.get(1..).unwrap_or(&[]), Decimal::mul)
}

fn max(args: &[Value]) -> FuncResult {
    let first = cast_to_int64(&arg(args, 0));
    let m = args.iter().skip(1).map(cast_to_int64).fold(first, i64::max);
    Ok(Value::Int64(m))
}

fn min(args: &[Value]) -> FuncResult {
    let first = cast_to_int64(&arg(args, 0));
    let m = args.iter().skip(1).map(cast_to_int64).fold(first, i64::min);
    Ok(Value::Int64(m))
}

fn maxf(args: &[Value]) -> FuncResult {
    let first = cast_to_float64(&arg(args, 0));
    let m = args.iter().skip(1).map(cast_to_float64).fold(first, go_max);
    Ok(Value::Float(m))
}

fn minf(args: &[Value]) -> FuncResult {
    let first = cast_to_float64(&arg(args, 0));
    let m = args.iter().skip(1).map(cast_to_float64).fold(first, go_min);
    Ok(Value::Float(m))
}

fn ceil(args: &[Value]) -> FuncResult {
    Ok(Value::Float(cast_to_float64(&arg(args, 0)).ceil()))
}

fn floor(args: &[Value]) -> FuncResult {
    Ok(Value::Float(cast_to_float64(&arg(args, 0)).floor()))
}

/// Sprig's `round(a, p, roundOn=.5)`: scales by 10^p, takes the ceiling
/// when the fractional part (negative for negative numbers, so `round -2.4
/// 0` is -3) reaches `roundOn`, else the floor, and scales back.
fn round(args: &[Value]) -> FuncResult {
    let round_on = match args.get(2) {
        Some(Value::Float(x)) => *x,
        _ => 0.5,
    };
    let val = cast_to_float64(&arg(args, 0));
    let places = int_arg(args, 1) as f64;
    let pow = go_pow_int(10.0, places);
    let digit = pow * val;
    let frac = digit - digit.trunc();
    let rounded = if frac >= round_on {
        digit.ceil()
    } else {
        digit.floor()
    };
    Ok(Value::Float(rounded / pow))
}

/// The most elements `until`, `untilStep` and `seq` build: Go would build
/// any number (or loop until out of memory when `i += step` wraps); here a
/// template asking for more fails instead.
const MAX_RANGE: usize = 10_000_000;

/// Sprig's `untilStep`, with Go's wrapping `i += step`.
fn until_step_ints(start: i64, stop: i64, step: i64) -> Result<Vec<i64>, FuncError> {
    let mut v = Vec::new();
    let too_many = || FuncError::new(format!("untilStep: more than {MAX_RANGE} elements"));
    if stop < start {
        if step >= 0 {
            return Ok(v);
        }
        let mut i = start;
        while i > stop {
            if v.len() >= MAX_RANGE {
                return Err(too_many());
            }
            v.push(i);
            i = i.wrapping_add(step);
        }
        return Ok(v);
    }
    if step <= 0 {
        return Ok(v);
    }
    let mut i = start;
    while i < stop {
        if v.len() >= MAX_RANGE {
            return Err(too_many());
        }
        v.push(i);
        i = i.wrapping_add(step);
    }
    Ok(v)
}

fn int_list(items: Vec<i64>) -> Value {
    Value::typed_list(Elem::Int, items.into_iter().map(Value::Int).collect())
}

fn until(args: &[Value]) -> FuncResult {
    let count = int_arg(args, 0);
    let step = if count < 0 { -1 } else { 1 };
    Ok(int_list(until_step_ints(0, count, step)?))
}

fn until_step(args: &[Value]) -> FuncResult {
    let (start, stop, step) = (int_arg(args, 0), int_arg(args, 1), int_arg(args, 2));
    Ok(int_list(until_step_ints(start, stop, step)?))
}

fn join_ints(v: &[i64]) -> String {
    v.iter().map(i64::to_string).collect::<Vec<_>>().join(" ")
}

/// Sprig's `seq`: like GNU seq, `seq END`, `seq START END`,
/// `seq START STEP END`, inclusive, counting down when END < START.
fn seq(args: &[Value]) -> FuncResult {
    let p: Vec<i64> = args.iter().filter_map(Value::as_int).collect();
    let out = match p.as_slice() {
        [end] => {
            let (start, end) = (1, *end);
            let inc = if end < start { -1 } else { 1 };
            join_ints(&until_step_ints(start, end.wrapping_add(inc), inc)?)
        }
        [start, end] => {
            let step = if end < start { -1 } else { 1 };
            join_ints(&until_step_ints(*start, end.wrapping_add(step), step)?)
        }
        [start, step, end] => {
            let mut inc = 1;
            if end < start {
                inc = -1;
                if *step > 0 {
                    return Ok(Value::str(""));
                }
            }
            join_ints(&until_step_ints(*start, end.wrapping_add(inc), *step)?)
        }
        _ => String::new(),
    };
    Ok(Value::str(out))
}

fn int64(args: &[Value]) -> FuncResult {
    Ok(Value::Int64(cast_to_int64(&arg(args, 0))))
}

fn int(args: &[Value]) -> FuncResult {
    Ok(Value::Int(cast_to_int(&arg(args, 0))))
}

fn float64(args: &[Value]) -> FuncResult {
    Ok(Value::Float(cast_to_float64(&arg(args, 0))))
}

fn atoi(args: &[Value]) -> FuncResult {
    let s = arg(args, 0);
    Ok(Value::Int(go_atoi(s.as_str().unwrap_or(""))))
}

/// Sprig's `toDecimal`: `fmt.Sprint(v)` read as an octal number, 0 when it
/// is not one.
fn to_decimal(args: &[Value]) -> FuncResult {
    let text = arg(args, 0).to_string();
    Ok(Value::Int64(parse_int(&text, 8).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::funcs::call;

    fn s(v: &str) -> Value {
        Value::str(v)
    }

    fn show(name: &str, args: &[Value]) -> String {
        match call(name, args) {
            Ok(v) => format!("{}:{v}", v.type_name()),
            Err(e) => format!("error:{e}"),
        }
    }

    // Expectations below are the oracle's (tests/template/math/expected).

    #[test]
    fn integer_arithmetic() {
        let (i, f) = (Value::Int, Value::Float);
        assert_eq!(show("add", &[i(1), i(2), i(3)]), "int64:6");
        assert_eq!(show("add", &[]), "int64:0");
        assert_eq!(show("add", &[f(1.9), f(1.9), f(-1.9)]), "int64:1");
        assert_eq!(
            show("add", &[s("12"), s("0x10"), s(" 3"), s("1.5"), s("abc")]),
            "int64:29"
        );
        assert_eq!(
            show("add", &[s("12.00"), s("1.50"), s("5."), s("100.0")]),
            "int64:118"
        );
        assert_eq!(
            show("add", &[Value::Bool(true), Value::Bool(false), Value::Nil]),
            "int64:1"
        );
        assert_eq!(
            show("add", &[i(i64::MAX), i(1)]),
            "int64:-9223372036854775808"
        );
        assert_eq!(show("add", &[f(1e20), i(1)]), "int64:-9223372036854775807");
        assert_eq!(show("add1", &[s("x")]), "int64:1");
        assert_eq!(show("sub", &[f(1.5), f(3.0)]), "int64:-2");
        assert_eq!(
            show("sub", &[i(i64::MIN), i(1)]),
            "int64:9223372036854775807"
        );
        assert_eq!(show("div", &[i(-7), i(2)]), "int64:-3");
        assert_eq!(
            show("div", &[i(i64::MIN), i(-1)]),
            "int64:-9223372036854775808"
        );
        assert_eq!(show("mod", &[i(i64::MIN), i(-1)]), "int64:0");
        assert_eq!(show("mod", &[i(-7), i(3)]), "int64:-1");
        assert_eq!(
            show("div", &[i(1), i(0)]),
            "error:runtime error: integer divide by zero"
        );
        assert_eq!(
            show("mod", &[i(1), s("0")]),
            "error:runtime error: integer divide by zero"
        );
        assert_eq!(show("mul", &[i(1 << 32), i(1 << 32)]), "int64:0");
        assert_eq!(show("mul", &[s("3"), s("0x10")]), "int64:48");
        assert_eq!(show("max", &[s("abc"), i(-1)]), "int64:0");
        assert_eq!(show("min", &[f(2.9), s("0x10")]), "int64:2");
        assert_eq!(show("biggest", &[i(2), s("7"), f(3.9)]), "int64:7");
    }

    #[test]
    fn rand_int_range() {
        assert_eq!(show("randInt", &[Value::Int(5), Value::Int(6)]), "int:5");
        assert_eq!(show("randInt", &[Value::Int(-3), Value::Int(-2)]), "int:-3");
        assert_eq!(
            show("randInt", &[Value::Int(5), Value::Int(5)]),
            "error:invalid argument to Intn"
        );
        for _ in 0..100 {
            let v = call("randInt", &[Value::Int(-2), Value::Int(3)]).unwrap();
            assert!(matches!(v, Value::Int(-2..=2)), "{v:?}");
        }
    }

    #[test]
    fn decimal_float_ops() {
        let (i, f) = (Value::Int, Value::Float);
        assert_eq!(show("addf", &[f(1.1), f(2.2)]), "float64:3.3");
        assert_eq!(show("addf", &[]), "float64:0");
        assert_eq!(
            show(
                "addf",
                &[i(1), i(2), s("3.5"), Value::Bool(true), Value::Nil]
            ),
            "float64:7.5"
        );
        assert_eq!(show("addf", &[f(1e300), f(1e-300)]), "float64:1e+300");
        assert_eq!(show("addf", &[f(1e16), i(1)]), "float64:1e+16");
        assert_eq!(show("add1f", &[f(0.1)]), "float64:1.1");
        assert_eq!(show("add1f", &[i(-1)]), "float64:0");
        assert_eq!(show("subf", &[f(0.3), f(0.1)]), "float64:0.2");
        assert_eq!(show("subf", &[i(1), f(0.9)]), "float64:0.1");
        assert_eq!(show("mulf", &[f(1.1), i(3)]), "float64:3.3");
        assert_eq!(show("mulf", &[f(0.1), f(0.2)]), "float64:0.02");
        assert_eq!(show("mulf", &[i(-1), i(0)]), "float64:0");
        assert_eq!(show("mulf", &[f(1e308), i(10)]), "float64:+Inf");
        assert_eq!(show("divf", &[i(10), i(3)]), "float64:3.3333333333333335");
        assert_eq!(show("divf", &[i(1), i(3)]), "float64:0.3333333333333333");
        assert_eq!(show("divf", &[i(2), i(3)]), "float64:0.6666666666666667");
        assert_eq!(show("divf", &[i(-2), i(3)]), "float64:-0.6666666666666667");
        assert_eq!(show("divf", &[i(1), f(3e19)]), "float64:0");
        assert_eq!(show("divf", &[i(1), f(7e15)]), "float64:1e-16");
        assert_eq!(show("divf", &[f(5e-17), i(1)]), "float64:1e-16");
        assert_eq!(show("divf", &[f(-5e-17), i(1)]), "float64:-1e-16");
        assert_eq!(show("divf", &[i(100), i(2), i(5)]), "float64:10");
        assert_eq!(show("divf", &[i(1), i(0)]), "error:decimal division by 0");
        assert_eq!(
            show("addf", &[s("inf")]),
            "error:Cannot create a Decimal from +Inf"
        );
        assert_eq!(
            show("mulf", &[i(1), s("NaN")]),
            "error:Cannot create a Decimal from NaN"
        );
    }

    #[test]
    fn float_min_max_ceil_floor() {
        let (i, f) = (Value::Int, Value::Float);
        assert_eq!(show("maxf", &[i(1), f(2.5), i(-3)]), "float64:2.5");
        assert_eq!(show("minf", &[i(1), f(2.5), i(-3)]), "float64:-3");
        assert_eq!(show("maxf", &[i(1), s("NaN"), i(3)]), "float64:NaN");
        assert_eq!(show("maxf", &[f(-0.0), i(0)]), "float64:0");
        assert_eq!(show("minf", &[i(0), f(-0.0)]), "float64:-0");
        assert_eq!(show("maxf", &[s("2"), s("x")]), "float64:2");
        assert_eq!(show("ceil", &[f(-0.5)]), "float64:-0");
        assert_eq!(show("ceil", &[s("2.5")]), "float64:3");
        assert_eq!(show("floor", &[f(-2.5)]), "float64:-3");
        assert_eq!(show("floor", &[s("abc")]), "float64:0");
    }

    #[test]
    #[allow(clippy::approx_constant)] // 3.14159 is the fixture's input
    fn rounding() {
        let (i, f) = (Value::Int, Value::Float);
        let r = |v: Value, p: i64| show("round", &[v, i(p)]);
        assert_eq!(r(f(3.14159), 2), "float64:3.14");
        assert_eq!(r(f(2.5), 0), "float64:3");
        assert_eq!(r(f(-2.5), 0), "float64:-3");
        assert_eq!(r(f(-2.4), 0), "float64:-3");
        assert_eq!(r(f(1234.5), -2), "float64:1200");
        assert_eq!(r(i(1250), -2), "float64:1300");
        assert_eq!(r(f(2.675), 2), "float64:2.68");
        assert_eq!(r(f(1.005), 2), "float64:1");
        assert_eq!(r(f(0.285), 2), "float64:0.28");
        assert_eq!(r(s("3.7"), 0), "float64:4");
        assert_eq!(r(f(1.5), 400), "float64:NaN");
        assert_eq!(r(f(1.5), -400), "float64:NaN");
        assert_eq!(show("round", &[f(1.2345), i(3), f(0.3)]), "float64:1.235");
        assert_eq!(show("round", &[f(1.7), i(0), f(0.9)]), "float64:1");
        // Go's math.Pow(10, n) is exact where 10^n is a float64.
        for n in 0..=22 {
            let want: f64 = format!("1e{n}").parse().unwrap();
            assert_eq!(go_pow_int(10.0, n as f64), want, "10^{n}");
        }
    }

    #[test]
    fn sequences() {
        let i = Value::Int;
        assert_eq!(show("seq", &[i(5)]), "string:1 2 3 4 5");
        assert_eq!(show("seq", &[i(0)]), "string:1 0");
        assert_eq!(show("seq", &[i(-3)]), "string:1 0 -1 -2 -3");
        assert_eq!(show("seq", &[i(5), i(2)]), "string:5 4 3 2");
        assert_eq!(show("seq", &[i(0), i(2), i(10)]), "string:0 2 4 6 8 10");
        assert_eq!(show("seq", &[i(10), i(-3), i(1)]), "string:10 7 4 1");
        assert_eq!(show("seq", &[i(1), i(-1), i(5)]), "string:");
        assert_eq!(show("seq", &[i(5), i(1), i(1)]), "string:");
        assert_eq!(show("seq", &[]), "string:");
        assert_eq!(show("seq", &[i(1), i(2), i(3), i(4)]), "string:");
        assert_eq!(show("until", &[i(5)]), "[]int:[0 1 2 3 4]");
        assert_eq!(show("until", &[i(-3)]), "[]int:[0 -1 -2]");
        assert_eq!(show("until", &[i(0)]), "[]int:[]");
        assert_eq!(show("untilStep", &[i(10), i(0), i(-4)]), "[]int:[10 6 2]");
        assert_eq!(show("untilStep", &[i(0), i(10), i(0)]), "[]int:[]");
        assert_eq!(
            show("seq", &[i(i64::MAX)]),
            "string:",
            "end+1 wraps below start"
        );
        assert!(show("untilStep", &[i(1), i(i64::MAX), i(i64::MAX)]).starts_with("error:"));
        assert_eq!(
            show("untilStep", &[i(0), i(i64::MAX), i(i64::MAX)]),
            "[]int:[0]"
        );
    }

    #[test]
    fn conversions() {
        let (i, f) = (Value::Int, Value::Float);
        let i64s = |v: &str| show("int64", &[s(v)]);
        assert_eq!(i64s("-0x10"), "int64:-16");
        assert_eq!(i64s("0b101"), "int64:5");
        assert_eq!(i64s("0o17"), "int64:15");
        assert_eq!(i64s("017"), "int64:15");
        assert_eq!(i64s("08"), "int64:0");
        assert_eq!(i64s("1_000"), "int64:1000");
        assert_eq!(i64s("+5"), "int64:5");
        assert_eq!(i64s("1e3"), "int64:0");
        assert_eq!(i64s(" 1"), "int64:0");
        assert_eq!(i64s("_1"), "int64:0");
        assert_eq!(i64s("0x_1f"), "int64:31");
        assert_eq!(i64s("9223372036854775807"), "int64:9223372036854775807");
        assert_eq!(i64s("9223372036854775808"), "int64:0");
        assert_eq!(i64s("-9223372036854775808"), "int64:-9223372036854775808");
        assert_eq!(show("int64", &[f(-3.99)]), "int64:-3");
        assert_eq!(show("int64", &[f(-1e20)]), "int64:-9223372036854775808");
        assert_eq!(show("int64", &[f(f64::NAN)]), "int64:-9223372036854775808");
        assert_eq!(show("int64", &[Value::list(vec![i(1)])]), "int64:0");
        assert_eq!(show("int", &[s("0x1F")]), "int:31");
        assert_eq!(show("int", &[s("4.0")]), "int:4");
        assert_eq!(show("int", &[f(3.7)]), "int:3");
        let f64s = |v: &str| show("float64", &[s(v)]);
        assert_eq!(f64s("1e3"), "float64:1000");
        assert_eq!(f64s("0x10"), "float64:0");
        assert_eq!(f64s("0x1p4"), "float64:16");
        assert_eq!(f64s(" 1"), "float64:0");
        assert_eq!(f64s(".5"), "float64:0.5");
        assert_eq!(f64s("5."), "float64:5");
        assert_eq!(f64s("inf"), "float64:+Inf");
        assert_eq!(f64s("-Infinity"), "float64:-Inf");
        assert_eq!(f64s("nan"), "float64:NaN");
        assert_eq!(f64s("+nan"), "float64:0");
        assert_eq!(f64s("infin"), "float64:0");
        assert_eq!(f64s("1e400"), "float64:0");
        assert_eq!(f64s("1e-400"), "float64:0");
        assert_eq!(f64s("1_000.5"), "float64:1000.5");
        assert_eq!(f64s("_1"), "float64:0");
        assert_eq!(f64s("1__0"), "float64:0");
        assert_eq!(f64s("0x_1p0"), "float64:1");
        assert_eq!(
            f64s("123456789012345678901234567890"),
            "float64:1.2345678901234568e+29"
        );
        assert_eq!(f64s("0.1e-5"), "float64:1e-06");
        assert_eq!(
            show("float64", &[Value::Int64(9007199254740993)]),
            "float64:9.007199254740992e+15"
        );
        let a = |v: &str| show("atoi", &[s(v)]);
        assert_eq!(a("+8"), "int:8");
        assert_eq!(a(" 42"), "int:0");
        assert_eq!(a("4.2"), "int:0");
        assert_eq!(a("+"), "int:0");
        assert_eq!(a("1_000"), "int:0");
        assert_eq!(a("99999999999999999999"), "int:9223372036854775807");
        assert_eq!(a("-99999999999999999999"), "int:-9223372036854775808");
        assert_eq!(a("000000000000000000042"), "int:42");
        let d = |v: Value| show("toDecimal", &[v]);
        assert_eq!(d(s("777")), "int64:511");
        assert_eq!(d(i(777)), "int64:511");
        assert_eq!(d(s("8")), "int64:0");
        assert_eq!(d(s("-10")), "int64:-8");
        assert_eq!(d(f(1.5)), "int64:0");
        assert_eq!(d(f(3.0)), "int64:3");
        assert_eq!(d(s("0o7")), "int64:0");
        assert_eq!(d(Value::Nil), "int64:0");
        assert_eq!(d(f(1e6)), "int64:0");
        assert_eq!(d(s("+17")), "int64:15");
    }

    #[test]
    fn hex_float_rounding() {
        // Go's atofHex, checked against strconv.ParseFloat's documented
        // results.
        assert_eq!(parse_float("0x1.8p1"), Some(3.0));
        assert_eq!(parse_float("0x1p-1074"), Some(5e-324));
        assert_eq!(parse_float("0x1p-1075"), Some(0.0));
        assert_eq!(parse_float("0x1.fffffffffffff8p1023"), None);
        assert_eq!(parse_float("0x1.fffffffffffffp1023"), Some(f64::MAX));
        assert_eq!(parse_float("-0x10p0"), Some(-16.0));
        assert_eq!(parse_float("0x"), None);
    }
}
