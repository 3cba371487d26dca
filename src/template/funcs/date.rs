//! Dates and durations: Sprig's date functions (`now`, `date`,
//! `dateInZone`, `toDate`, `dateModify`, `ago`, `duration`,
//! `durationRound`, `unixEpoch`...) and Helm's duration helpers
//! (`mustToDuration`, `durationSeconds`... `durationRoundTo`).
//!
//! They work on Go's `time.Time` and `time.Duration`, which templates
//! also see directly (`{{ now }}`, `.Unix`, `.Format`, `.Add`), so this
//! file carries a port of the parts of Go's `time` package they reach:
//! layout formatting and parsing (every layout element, Go's error
//! texts), `Time.String()` with its monotonic `m=+…` suffix, `Date`
//! normalization, `Duration.String()`, `ParseDuration`, rounding, and
//! locations (UTC, Local as Go derives it from `$TZ` and
//! `/etc/localtime`, IANA zones from the system zoneinfo via `jiff`,
//! fixed zones that parsing fabricates).

use std::rc::Rc;
use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use jiff::tz::TimeZone;

use super::{FuncError, FuncResult, Registry, Ty};
use crate::template::value::{format_float_g, MethodSignature, Object, Value};

/// Registers this family's functions.
pub(super) fn register(r: &mut Registry) {
    const TIME: Ty = Ty::Named("time.Time");
    r.add("now", &[], None, now);
    r.add("date", &[Ty::String, Ty::Any], None, date);
    r.add("htmlDate", &[Ty::Any], None, html_date);
    r.add(
        "htmlDateInZone",
        &[Ty::Any, Ty::String],
        None,
        html_date_in_zone,
    );
    r.add(
        "dateInZone",
        &[Ty::String, Ty::Any, Ty::String],
        None,
        date_in_zone,
    );
    r.add(
        "date_in_zone",
        &[Ty::String, Ty::Any, Ty::String],
        None,
        date_in_zone,
    );
    r.add("dateModify", &[Ty::String, TIME], None, date_modify);
    r.add("date_modify", &[Ty::String, TIME], None, date_modify);
    r.add(
        "mustDateModify",
        &[Ty::String, TIME],
        None,
        must_date_modify,
    );
    r.add(
        "must_date_modify",
        &[Ty::String, TIME],
        None,
        must_date_modify,
    );
    r.add("ago", &[Ty::Any], None, ago);
    r.add("duration", &[Ty::Any], None, duration);
    r.add("durationRound", &[Ty::Any], None, duration_round);
    r.add("toDate", &[Ty::String, Ty::String], None, to_date);
    r.add("mustToDate", &[Ty::String, Ty::String], None, must_to_date);
    r.add("unixEpoch", &[TIME], None, unix_epoch);
    // Helm's duration helpers.
    r.add("mustToDuration", &[Ty::Any], None, must_to_duration);
    r.add("durationSeconds", &[Ty::Any], None, |a| {
        Ok(Value::Float(
            as_duration(arg(a, 0)).map_or(0.0, dur_seconds),
        ))
    });
    r.add("durationMilliseconds", &[Ty::Any], None, |a| {
        Ok(Value::Int64(
            as_duration(arg(a, 0)).map_or(0, |d| d / 1_000_000),
        ))
    });
    r.add("durationMicroseconds", &[Ty::Any], None, |a| {
        Ok(Value::Int64(
            as_duration(arg(a, 0)).map_or(0, |d| d / 1_000),
        ))
    });
    r.add("durationNanoseconds", &[Ty::Any], None, |a| {
        Ok(Value::Int64(as_duration(arg(a, 0)).unwrap_or(0)))
    });
    r.add("durationMinutes", &[Ty::Any], None, |a| {
        Ok(Value::Float(
            as_duration(arg(a, 0)).map_or(0.0, dur_minutes),
        ))
    });
    r.add("durationHours", &[Ty::Any], None, |a| {
        Ok(Value::Float(as_duration(arg(a, 0)).map_or(0.0, dur_hours)))
    });
    r.add("durationDays", &[Ty::Any], None, |a| {
        Ok(Value::Float(
            as_duration(arg(a, 0)).map_or(0.0, |d| dur_hours(d) / 24.0),
        ))
    });
    r.add("durationWeeks", &[Ty::Any], None, |a| {
        Ok(Value::Float(
            as_duration(arg(a, 0)).map_or(0.0, |d| dur_hours(d) / 24.0 / 7.0),
        ))
    });
    r.add("durationRoundTo", &[Ty::Any, Ty::Any], None, |a| {
        Ok(duration_value(match as_duration(arg(a, 0)) {
            Err(_) => 0,
            Ok(d) => as_duration(arg(a, 1)).map_or(d, |m| dur_round(d, m)),
        }))
    });
    r.add("durationTruncateTo", &[Ty::Any, Ty::Any], None, |a| {
        Ok(duration_value(match as_duration(arg(a, 0)) {
            Err(_) => 0,
            Ok(d) => as_duration(arg(a, 1)).map_or(d, |m| dur_truncate(d, m)),
        }))
    });
}

fn arg(args: &[Value], i: usize) -> &Value {
    args.get(i).unwrap_or(&Value::Nil)
}

fn arg_str(args: &[Value], i: usize) -> &str {
    args.get(i).and_then(Value::as_str).unwrap_or("")
}

// ---------------------------------------------------------------------
// The functions.

fn now(_: &[Value]) -> FuncResult {
    Ok(time_value(GoTime::now()))
}

/// Sprig's `dateInZone` reading of its `date interface{}`: a `time.Time`,
/// or an `int`/`int64` of Unix seconds; anything else is the current time.
fn time_of_any(v: &Value) -> GoTime {
    match v {
        Value::Int(n) | Value::Int64(n) => GoTime::unix(*n, 0, Loc::Local),
        other => time_of(other).unwrap_or_else(GoTime::now),
    }
}

fn format_in_zone(layout: &str, date: &Value, zone: &str) -> Value {
    let t = time_of_any(date);
    let loc = load_location(zone).unwrap_or(Loc::Utc);
    Value::str(t.in_loc(loc).format(layout))
}

fn date(a: &[Value]) -> FuncResult {
    Ok(format_in_zone(arg_str(a, 0), arg(a, 1), "Local"))
}

fn html_date(a: &[Value]) -> FuncResult {
    Ok(format_in_zone("2006-01-02", arg(a, 0), "Local"))
}

fn html_date_in_zone(a: &[Value]) -> FuncResult {
    Ok(format_in_zone("2006-01-02", arg(a, 0), arg_str(a, 1)))
}

fn date_in_zone(a: &[Value]) -> FuncResult {
    Ok(format_in_zone(arg_str(a, 0), arg(a, 1), arg_str(a, 2)))
}

fn time_arg(a: &[Value], i: usize) -> Result<GoTime, FuncError> {
    time_of(arg(a, i)).ok_or_else(|| {
        FuncError::new(format!(
            "wrong type for value; expected time.Time; got {}",
            arg(a, i).type_name()
        ))
    })
}

fn date_modify(a: &[Value]) -> FuncResult {
    let t = time_arg(a, 1)?;
    Ok(time_value(match parse_duration(arg_str(a, 0)) {
        Ok(d) => t.add(d),
        Err(_) => t,
    }))
}

fn must_date_modify(a: &[Value]) -> FuncResult {
    let t = time_arg(a, 1)?;
    let d = parse_duration(arg_str(a, 0)).map_err(FuncError::new)?;
    Ok(time_value(t.add(d)))
}

fn ago(a: &[Value]) -> FuncResult {
    let t = match arg(a, 0) {
        Value::Int(n) | Value::Int64(n) => GoTime::unix(*n, 0, Loc::Local),
        other => time_of(other).unwrap_or_else(GoTime::now),
    };
    let d = dur_round(GoTime::now().sub(&t), SECOND);
    Ok(Value::str(duration_string(d)))
}

fn duration(a: &[Value]) -> FuncResult {
    let n = match arg(a, 0) {
        Value::String(s) => go_parse_int(s).unwrap_or(0),
        Value::Int64(n) => *n,
        _ => 0,
    };
    Ok(Value::str(duration_string(n.wrapping_mul(SECOND))))
}

/// `strconv.ParseInt(s, 10, 64)`.
fn go_parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn duration_round(a: &[Value]) -> FuncResult {
    let d: i64 = match arg(a, 0) {
        Value::String(s) => parse_duration(s).unwrap_or(0),
        Value::Int64(n) => *n,
        other => match time_of(other) {
            Some(t) => GoTime::now().sub(&t),
            None => 0,
        },
    };
    let u = d.unsigned_abs();
    const HOUR_U: u64 = HOUR as u64;
    let (year, month, day) = (HOUR_U * 24 * 365, HOUR_U * 24 * 30, HOUR_U * 24);
    let (minute, second) = (MINUTE as u64, SECOND as u64);
    let out = if u > year {
        format!("{}y", u / year)
    } else if u > month {
        format!("{}mo", u / month)
    } else if u > day {
        format!("{}d", u / day)
    } else if u > HOUR_U {
        format!("{}h", u / HOUR_U)
    } else if u > minute {
        format!("{}m", u / minute)
    } else if u > second {
        format!("{}s", u / second)
    } else {
        "0s".to_string()
    };
    Ok(Value::str(out))
}

fn to_date(a: &[Value]) -> FuncResult {
    let t = parse_in_location(arg_str(a, 0), arg_str(a, 1), &Loc::Local).unwrap_or_default();
    Ok(time_value(t))
}

fn must_to_date(a: &[Value]) -> FuncResult {
    let t = parse_in_location(arg_str(a, 0), arg_str(a, 1), &Loc::Local).map_err(FuncError::new)?;
    Ok(time_value(t))
}

fn unix_epoch(a: &[Value]) -> FuncResult {
    Ok(Value::str(time_arg(a, 0)?.sec.to_string()))
}

fn must_to_duration(a: &[Value]) -> FuncResult {
    as_duration(arg(a, 0))
        .map(duration_value)
        .map_err(FuncError::new)
}

// ---------------------------------------------------------------------
// Helm's asDuration.

const MAX_DURATION_SECONDS: i64 = i64::MAX / SECOND;
const MIN_DURATION_SECONDS: i64 = i64::MIN / SECOND;

fn duration_from_seconds_float(seconds: f64) -> Result<i64, String> {
    if seconds.is_nan() || seconds.is_infinite() {
        return Err(format!(
            "invalid duration seconds: {}",
            format_float_g(seconds)
        ));
    }
    let max = i64::MAX as f64 / SECOND as f64;
    let min = i64::MIN as f64 / SECOND as f64;
    if seconds > max || seconds < min {
        return Err(format!(
            "duration seconds overflow: {}",
            format_float_g(seconds)
        ));
    }
    let nanos = seconds * SECOND as f64;
    if nanos > i64::MAX as f64 || nanos < i64::MIN as f64 {
        return Err(format!(
            "duration nanoseconds overflow: {}",
            format_float_g(nanos)
        ));
    }
    // Go's float-to-int64 conversion on amd64 gives MinInt64 when out of
    // range (2^63 itself can get here).
    if nanos >= 9_223_372_036_854_775_808.0 {
        return Ok(i64::MIN);
    }
    Ok(nanos as i64)
}

/// `strconv.ParseFloat(s, 64)` for what `asDuration` feeds it: decimal
/// forms and Go's `inf`/`infinity`/`nan` spellings; out of range is an
/// error as in Go.
fn go_parse_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = body.to_ascii_lowercase();
    let special = matches!(lower.as_str(), "inf" | "infinity" | "nan");
    if !special
        && !body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    if v.is_infinite() && !special {
        return None;
    }
    Some(v)
}

/// Helm's `asDuration`: a `time.Duration`, a duration string or a number
/// of seconds (string, int or float).
fn as_duration(v: &Value) -> Result<i64, String> {
    match v {
        Value::String(x) => {
            let s = x.trim_matches(|c: char| c.is_whitespace());
            if s.is_empty() {
                return Err("empty duration".into());
            }
            if let Ok(d) = parse_duration(s) {
                return Ok(d);
            }
            if let Some(f) = go_parse_float(s) {
                return duration_from_seconds_float(f);
            }
            Err(format!(
                "could not parse duration {}",
                crate::template::gofmt::quote(x)
            ))
        }
        Value::Nil => Err("invalid duration".into()),
        Value::Int(n) | Value::Int64(n) => {
            if *n > MAX_DURATION_SECONDS || *n < MIN_DURATION_SECONDS {
                return Err(format!("duration seconds overflow: {n}"));
            }
            Ok(n * SECOND)
        }
        Value::Float(f) => duration_from_seconds_float(*f),
        other => match duration_of(other) {
            Some(d) => Ok(d),
            None => Err(format!("unsupported duration type {}", other.type_name())),
        },
    }
}

// ---------------------------------------------------------------------
// time.Duration.

/// Nanoseconds in a second, minute, hour.
pub const SECOND: i64 = 1_000_000_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;

fn dur_seconds(d: i64) -> f64 {
    (d / SECOND) as f64 + (d % SECOND) as f64 / 1e9
}

fn dur_minutes(d: i64) -> f64 {
    (d / MINUTE) as f64 + (d % MINUTE) as f64 / (60.0 * 1e9)
}

fn dur_hours(d: i64) -> f64 {
    (d / HOUR) as f64 + (d % HOUR) as f64 / (60.0 * 60.0 * 1e9)
}

/// `Duration.Truncate`.
pub fn dur_truncate(d: i64, m: i64) -> i64 {
    if m <= 0 {
        return d;
    }
    d - d % m
}

fn less_than_half(x: i64, y: i64) -> bool {
    (x as u64).wrapping_add(x as u64) < y as u64
}

/// `Duration.Round`: halves away from zero, saturating.
pub fn dur_round(d: i64, m: i64) -> i64 {
    if m <= 0 {
        return d;
    }
    let mut r = d % m;
    if d < 0 {
        r = -r;
        if less_than_half(r, m) {
            return d + r;
        }
        let d1 = d.wrapping_sub(m).wrapping_add(r);
        if d1 < d {
            return d1;
        }
        return i64::MIN;
    }
    if less_than_half(r, m) {
        return d - r;
    }
    let d1 = d.wrapping_add(m).wrapping_sub(r);
    if d1 > d {
        return d1;
    }
    i64::MAX
}

/// `Duration.String()`: `1h2m3.5s`, `1.5ms`, `0s`.
pub fn duration_string(d: i64) -> String {
    let mut buf = [0u8; 32];
    let mut w = buf.len();
    let mut u = d.unsigned_abs();
    let neg = d < 0;
    if u < SECOND as u64 {
        let prec;
        w -= 1;
        buf[w] = b's';
        w -= 1;
        if u == 0 {
            return "0s".into();
        } else if u < 1_000 {
            prec = 0;
            buf[w] = b'n';
        } else if u < 1_000_000 {
            prec = 3;
            // "µ" is two bytes.
            w -= 1;
            buf[w..w + 2].copy_from_slice("µ".as_bytes());
        } else {
            prec = 6;
            buf[w] = b'm';
        }
        let (nw, nu) = fmt_frac(&mut buf[..w], u, prec);
        w = fmt_int(&mut buf[..nw], nu);
    } else {
        w -= 1;
        buf[w] = b's';
        let (nw, nu) = fmt_frac(&mut buf[..w], u, 9);
        u = nu;
        w = fmt_int(&mut buf[..nw], u % 60);
        u /= 60;
        if u > 0 {
            w -= 1;
            buf[w] = b'm';
            w = fmt_int(&mut buf[..w], u % 60);
            u /= 60;
            if u > 0 {
                w -= 1;
                buf[w] = b'h';
                w = fmt_int(&mut buf[..w], u);
            }
        }
    }
    if neg {
        w -= 1;
        buf[w] = b'-';
    }
    String::from_utf8_lossy(&buf[w..]).into_owned()
}

fn fmt_frac(buf: &mut [u8], mut v: u64, prec: usize) -> (usize, u64) {
    let mut w = buf.len();
    let mut print = false;
    for _ in 0..prec {
        let digit = v % 10;
        print = print || digit != 0;
        if print {
            w -= 1;
            buf[w] = digit as u8 + b'0';
        }
        v /= 10;
    }
    if print {
        w -= 1;
        buf[w] = b'.';
    }
    (w, v)
}

fn fmt_int(buf: &mut [u8], mut v: u64) -> usize {
    let mut w = buf.len();
    if v == 0 {
        w -= 1;
        buf[w] = b'0';
    } else {
        while v > 0 {
            w -= 1;
            buf[w] = (v % 10) as u8 + b'0';
            v /= 10;
        }
    }
    w
}

fn leading_int(s: &[u8]) -> Result<(u64, &[u8]), ()> {
    let mut x: u64 = 0;
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if !c.is_ascii_digit() {
            break;
        }
        if x > (1u64 << 63) / 10 {
            return Err(());
        }
        x = x * 10 + u64::from(c - b'0');
        if x > 1u64 << 63 {
            return Err(());
        }
        i += 1;
    }
    Ok((x, &s[i..]))
}

fn leading_fraction(s: &[u8]) -> (u64, f64, &[u8]) {
    let mut i = 0;
    let mut x: u64 = 0;
    let mut scale = 1.0;
    let mut overflow = false;
    while i < s.len() {
        let c = s[i];
        if !c.is_ascii_digit() {
            break;
        }
        i += 1;
        if overflow {
            continue;
        }
        if x > ((1u64 << 63) - 1) / 10 {
            overflow = true;
            continue;
        }
        let y = x * 10 + u64::from(c - b'0');
        if y > 1u64 << 63 {
            overflow = true;
            continue;
        }
        x = y;
        scale *= 10.0;
    }
    (x, scale, &s[i..])
}

/// `time.ParseDuration`; the error is Go's text.
pub fn parse_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", go_time_quote(orig.as_bytes()));
    let mut s = orig.as_bytes();
    let mut d: u64 = 0;
    let mut neg = false;
    if let Some(&c) = s.first() {
        if c == b'-' || c == b'+' {
            neg = c == b'-';
            s = &s[1..];
        }
    }
    if s == b"0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    while !s.is_empty() {
        if !(s[0] == b'.' || s[0].is_ascii_digit()) {
            return Err(invalid());
        }
        let pl = s.len();
        let (mut v, rest) = leading_int(s).map_err(|_| invalid())?;
        s = rest;
        let pre = pl != s.len();
        let mut post = false;
        let (mut f, mut scale) = (0u64, 1.0f64);
        if !s.is_empty() && s[0] == b'.' {
            s = &s[1..];
            let pl = s.len();
            let (ff, sc, rest) = leading_fraction(s);
            f = ff;
            scale = sc;
            s = rest;
            post = pl != s.len();
        }
        if !pre && !post {
            return Err(invalid());
        }
        let mut i = 0;
        while i < s.len() {
            let c = s[i];
            if c == b'.' || c.is_ascii_digit() {
                break;
            }
            i += 1;
        }
        if i == 0 {
            return Err(format!(
                "time: missing unit in duration {}",
                go_time_quote(orig.as_bytes())
            ));
        }
        let u = &s[..i];
        s = &s[i..];
        let unit: u64 = match u {
            b"ns" => 1,
            b"us" => 1_000,
            b"\xc2\xb5s" | b"\xce\xbcs" => 1_000,
            b"ms" => 1_000_000,
            b"s" => SECOND as u64,
            b"m" => MINUTE as u64,
            b"h" => HOUR as u64,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    go_time_quote(u),
                    go_time_quote(orig.as_bytes())
                ))
            }
        };
        if v > (1u64 << 63) / unit {
            return Err(invalid());
        }
        v *= unit;
        if f > 0 {
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > 1u64 << 63 {
                return Err(invalid());
            }
        }
        d += v;
        if d > 1u64 << 63 {
            return Err(invalid());
        }
    }
    if neg {
        return Ok((d as i64).wrapping_neg());
    }
    if d > (1u64 << 63) - 1 {
        return Err(invalid());
    }
    Ok(d as i64)
}

/// The `quote` of Go's time package: `"` and `\` escaped, every byte
/// outside printable ASCII as `\xNN`.
fn go_time_quote(s: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in s {
        if !(0x20..0x80).contains(&b) {
            out.push_str(&format!("\\x{b:02x}"));
        } else {
            if b == b'"' || b == b'\\' {
                out.push('\\');
            }
            out.push(b as char);
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------
// Locations.

/// A `*time.Location`.
#[derive(Clone, Debug)]
pub enum Loc {
    /// `time.UTC` (also a `Time{}`'s nil location).
    Utc,
    /// `time.Local`.
    Local,
    /// A zone from `LoadLocation(name)`.
    Named(Rc<str>, TimeZone),
    /// `FixedZone(name, offset)`, as parsing fabricates.
    Fixed(Rc<str>, i32),
}

struct LocalZone {
    name: String,
    tz: Option<TimeZone>,
}

/// Go's `initLocal`: `$TZ` unset is `/etc/localtime`, empty is UTC, else
/// a path or a zone name; failures fall back to UTC.
fn local_zone() -> &'static LocalZone {
    static LOCAL: OnceLock<LocalZone> = OnceLock::new();
    LOCAL.get_or_init(|| {
        let from_file = |path: &str, name: &str| -> Option<LocalZone> {
            let data = std::fs::read(path).ok()?;
            let tz = TimeZone::tzif(name, &data).ok()?;
            Some(LocalZone {
                name: name.to_string(),
                tz: Some(tz),
            })
        };
        let utc = LocalZone {
            name: "UTC".into(),
            tz: None,
        };
        match std::env::var("TZ") {
            Err(_) => from_file("/etc/localtime", "Local").unwrap_or(utc),
            Ok(tz) => {
                let tz = tz.strip_prefix(':').unwrap_or(&tz).to_string();
                if tz.starts_with('/') {
                    let name = if tz == "/etc/localtime" {
                        "Local"
                    } else {
                        tz.as_str()
                    };
                    from_file(&tz, name).unwrap_or(utc)
                } else if !tz.is_empty() && tz != "UTC" {
                    match load_named(&tz) {
                        Some(z) => LocalZone {
                            name: tz.clone(),
                            tz: Some(z),
                        },
                        None => utc,
                    }
                } else {
                    utc
                }
            }
        }
    })
}

/// A zone from the system's zoneinfo, by its exact (case-sensitive) name
/// as Go's file lookup finds it.
fn load_named(name: &str) -> Option<TimeZone> {
    let tz = TimeZone::get(name).ok()?;
    match tz.iana_name() {
        Some(n) if n == name => Some(tz),
        _ => None,
    }
}

/// `time.LoadLocation`.
pub fn load_location(name: &str) -> Option<Loc> {
    if name.is_empty() || name == "UTC" {
        return Some(Loc::Utc);
    }
    if name == "Local" {
        return Some(Loc::Local);
    }
    if name.contains("..") || name.starts_with('/') || name.starts_with('\\') {
        return None;
    }
    load_named(name).map(|tz| Loc::Named(name.into(), tz))
}

fn tz_info(tz: &TimeZone, unix: i64) -> (String, i32, bool) {
    let clamped = unix.clamp(
        jiff::Timestamp::MIN.as_second(),
        jiff::Timestamp::MAX.as_second(),
    );
    let ts = jiff::Timestamp::from_second(clamped).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let info = tz.to_offset_info(ts);
    (
        info.abbreviation().to_string(),
        info.offset().seconds(),
        info.dst().is_dst(),
    )
}

impl Loc {
    /// `Location.String()`.
    pub fn name(&self) -> String {
        match self {
            Loc::Utc => "UTC".into(),
            Loc::Local => local_zone().name.clone(),
            Loc::Named(n, _) | Loc::Fixed(n, _) => n.to_string(),
        }
    }

    /// The zone abbreviation, offset east of UTC and DST flag in effect
    /// at `unix`.
    pub fn lookup(&self, unix: i64) -> (String, i32, bool) {
        match self {
            Loc::Utc => ("UTC".into(), 0, false),
            Loc::Fixed(n, off) => (n.to_string(), *off, false),
            Loc::Named(_, tz) => tz_info(tz, unix),
            Loc::Local => match &local_zone().tz {
                Some(tz) => tz_info(tz, unix),
                None => ("UTC".into(), 0, false),
            },
        }
    }

    /// `Location.lookupName`: the offset of a zone called `name` in this
    /// location, preferring one in effect at `unix`. (Go scans the zone
    /// table; this probes the instants around `unix` for the zone types
    /// in use, which finds the same zones for current rules.)
    fn lookup_name(&self, name: &str, unix: i64) -> Option<i32> {
        match self {
            Loc::Utc => None,
            Loc::Fixed(n, off) => (n.as_ref() == name).then_some(*off),
            _ => {
                const DAY: i64 = 86_400;
                let mut candidates = Vec::new();
                for probe in [0, -91, 91, -182, 182, -273, 273, -365, 365] {
                    let (abbr, off, _) = self.lookup(unix + probe * DAY);
                    if abbr == name && !candidates.contains(&off) {
                        candidates.push(off);
                    }
                }
                for &off in &candidates {
                    if self.lookup(unix - i64::from(off)).0 == name {
                        return Some(off);
                    }
                }
                candidates.first().copied()
            }
        }
    }

    /// The private encoding a time value carries for its location.
    fn encode(&self) -> String {
        match self {
            Loc::Utc => "U".into(),
            Loc::Local => "L".into(),
            Loc::Named(n, _) => format!("N{n}"),
            Loc::Fixed(n, off) => format!("F{off} {n}"),
        }
    }

    fn decode(s: &str) -> Option<Loc> {
        let (kind, rest) = s.split_at_checked(1)?;
        Some(match kind {
            "U" => Loc::Utc,
            "L" => Loc::Local,
            "N" => load_location(rest)?,
            "F" => {
                let (off, name) = rest.split_once(' ')?;
                Loc::Fixed(name.into(), off.parse().ok()?)
            }
            _ => return None,
        })
    }
}

// ---------------------------------------------------------------------
// Calendar arithmetic (proleptic Gregorian, as Go's).

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

const DAYS_BEFORE: [i64; 13] = [
    0,
    31,
    31 + 28,
    31 + 28 + 31,
    31 + 28 + 31 + 30,
    31 + 28 + 31 + 30 + 31,
    31 + 28 + 31 + 30 + 31 + 30,
    31 + 28 + 31 + 30 + 31 + 30 + 31,
    31 + 28 + 31 + 30 + 31 + 30 + 31 + 31,
    31 + 28 + 31 + 30 + 31 + 30 + 31 + 31 + 30,
    31 + 28 + 31 + 30 + 31 + 30 + 31 + 31 + 30 + 31,
    31 + 28 + 31 + 30 + 31 + 30 + 31 + 31 + 30 + 31 + 30,
    31 + 28 + 31 + 30 + 31 + 30 + 31 + 31 + 30 + 31 + 30 + 31,
];

fn days_in(month: i64, year: i64) -> i64 {
    if month == 2 && is_leap(year) {
        return 29;
    }
    DAYS_BEFORE[month as usize] - DAYS_BEFORE[month as usize - 1]
}

fn norm(hi: i64, lo: i64, base: i64) -> (i64, i64) {
    (hi.wrapping_add(lo.div_euclid(base)), lo.rem_euclid(base))
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

// ---------------------------------------------------------------------
// time.Time.

/// A Go `time.Time`: Unix seconds and nanoseconds, a location, and the
/// monotonic reading `time.Now()` attaches (nanoseconds since start).
#[derive(Clone, Debug)]
pub struct GoTime {
    /// Seconds since the Unix epoch.
    pub sec: i64,
    /// Nanoseconds within the second, `0..1e9`.
    pub nsec: u32,
    /// The location it is shown in.
    pub loc: Loc,
    /// The monotonic clock reading, if any.
    pub mono: Option<i64>,
}

/// Go's zero `Time{}`: January 1, year 1, 00:00:00 UTC.
const ZERO_UNIX: i64 = -62_135_596_800;

impl Default for GoTime {
    fn default() -> Self {
        GoTime {
            sec: ZERO_UNIX,
            nsec: 0,
            loc: Loc::Utc,
            mono: None,
        }
    }
}

fn process_start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// A civil date and clock in some zone.
struct Civil {
    year: i64,
    month: i64,
    day: i64,
    yday: i64,
    weekday: usize,
    hour: i64,
    min: i64,
    sec: i64,
}

impl GoTime {
    /// `time.Now()`, in Local, with a monotonic reading.
    pub fn now() -> GoTime {
        let start = process_start();
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        GoTime {
            sec: wall.as_secs() as i64,
            nsec: wall.subsec_nanos(),
            loc: Loc::Local,
            mono: Some(start.elapsed().as_nanos() as i64 + 1),
        }
    }

    /// `time.Unix(sec, nsec)` in `loc`.
    pub fn unix(sec: i64, nsec: i64, loc: Loc) -> GoTime {
        let (sec, nsec) = norm(sec, nsec, SECOND);
        GoTime {
            sec,
            nsec: nsec as u32,
            loc,
            mono: None,
        }
    }

    /// `time.Date(...)` with Go's normalization and zone resolution.
    #[allow(clippy::too_many_arguments)]
    pub fn date(
        year: i64,
        month: i64,
        day: i64,
        hour: i64,
        min: i64,
        sec: i64,
        nsec: i64,
        loc: Loc,
    ) -> GoTime {
        let (year, m) = norm(year, month - 1, 12);
        let (sec, nsec) = norm(sec, nsec, SECOND);
        let (min, sec) = norm(min, sec, 60);
        let (hour, min) = norm(hour, min, 60);
        let (day, hour) = norm(day, hour, 24);
        let days = i128::from(days_from_civil(year, m + 1, 1)) + i128::from(day) - 1;
        let unix128 =
            days * 86_400 + i128::from(hour) * 3600 + i128::from(min) * 60 + i128::from(sec);
        let mut unix = unix128 as i64;
        let (_, offset, _) = loc.lookup(unix);
        if offset != 0 {
            let utc = unix - i64::from(offset);
            let (_, offset2, _) = loc.lookup(utc);
            unix -= i64::from(offset2);
        }
        GoTime {
            sec: unix,
            nsec: nsec as u32,
            loc,
            mono: None,
        }
    }

    fn civil(&self) -> (Civil, String, i32) {
        let (name, offset, _) = self.loc.lookup(self.sec);
        let local = self.sec.wrapping_add(i64::from(offset));
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        let yday = days - days_from_civil(year, 1, 1) + 1;
        (
            Civil {
                year,
                month,
                day,
                yday,
                weekday: (days + 4).rem_euclid(7) as usize,
                hour: secs / 3600,
                min: secs / 60 % 60,
                sec: secs % 60,
            },
            name,
            offset,
        )
    }

    /// `t.In(loc)` (also `UTC()` and `Local()`): drops the monotonic
    /// reading.
    pub fn in_loc(&self, loc: Loc) -> GoTime {
        GoTime {
            loc,
            mono: None,
            ..self.clone()
        }
    }

    /// `t.Add(d)`.
    pub fn add(&self, d: i64) -> GoTime {
        let mut dsec = d / SECOND;
        let mut nsec = i64::from(self.nsec) + d % SECOND;
        if nsec >= SECOND {
            dsec += 1;
            nsec -= SECOND;
        } else if nsec < 0 {
            dsec -= 1;
            nsec += SECOND;
        }
        let mono = self.mono.and_then(|m| m.checked_add(d));
        GoTime {
            sec: self.sec.wrapping_add(dsec),
            nsec: nsec as u32,
            loc: self.loc.clone(),
            mono,
        }
    }

    /// `t.Sub(u)`, saturating.
    pub fn sub(&self, u: &GoTime) -> i64 {
        if let (Some(a), Some(b)) = (self.mono, u.mono) {
            return a.saturating_sub(b);
        }
        let d = (i128::from(self.sec) - i128::from(u.sec)) * i128::from(SECOND)
            + (i128::from(self.nsec) - i128::from(u.nsec));
        d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    fn cmp_key(&self, u: &GoTime) -> std::cmp::Ordering {
        if let (Some(a), Some(b)) = (self.mono, u.mono) {
            return a.cmp(&b);
        }
        (self.sec, self.nsec).cmp(&(u.sec, u.nsec))
    }

    /// `t.AddDate(y, m, d)`.
    pub fn add_date(&self, years: i64, months: i64, days: i64) -> GoTime {
        let (c, _, _) = self.civil();
        GoTime::date(
            c.year.wrapping_add(years),
            c.month.wrapping_add(months),
            c.day.wrapping_add(days),
            c.hour,
            c.min,
            c.sec,
            i64::from(self.nsec),
            self.loc.clone(),
        )
    }

    /// Whole nanoseconds since the zero time, split as Go's `div` needs.
    fn div(&self, d: i64) -> i64 {
        // Time since Go's zero time (year 1), which is what Go rounds.
        let abs = (i128::from(self.sec) - i128::from(ZERO_UNIX)) * i128::from(SECOND)
            + i128::from(self.nsec);
        let r = abs.rem_euclid(i128::from(d));
        r as i64
    }

    /// `t.Truncate(d)`.
    pub fn truncate(&self, d: i64) -> GoTime {
        let t = self.in_loc(self.loc.clone());
        if d <= 0 {
            return t;
        }
        let r = t.div(d);
        t.add(-r)
    }

    /// `t.Round(d)`: halves up.
    pub fn round(&self, d: i64) -> GoTime {
        let t = self.in_loc(self.loc.clone());
        if d <= 0 {
            return t;
        }
        let r = t.div(d);
        if less_than_half(r, d) {
            t.add(-r)
        } else {
            t.add(d - r)
        }
    }

    /// `t.IsZero()`.
    pub fn is_zero(&self) -> bool {
        self.sec == ZERO_UNIX && self.nsec == 0
    }

    /// `t.Format(layout)`.
    pub fn format(&self, layout: &str) -> String {
        String::from_utf8_lossy(&self.append_format(layout.as_bytes())).into_owned()
    }

    /// `t.String()`: `2006-01-02 15:04:05.999999999 -0700 MST` and the
    /// monotonic reading.
    pub fn go_string(&self) -> String {
        let mut s = self.format("2006-01-02 15:04:05.999999999 -0700 MST");
        if let Some(m) = self.mono {
            let sign = if m < 0 { '-' } else { '+' };
            let m2 = m.unsigned_abs();
            let (m1, m2) = (m2 / 1_000_000_000, m2 % 1_000_000_000);
            let (m0, m1) = (m1 / 1_000_000_000, m1 % 1_000_000_000);
            s.push_str(" m=");
            s.push(sign);
            if m0 != 0 {
                s.push_str(&format!("{m0}{m1:09}"));
            } else {
                s.push_str(&m1.to_string());
            }
            s.push_str(&format!(".{m2:09}"));
        }
        s
    }

    /// RFC 3339 with nanoseconds, as `MarshalJSON`/`MarshalText` write.
    pub fn rfc3339_nano(&self) -> String {
        self.format("2006-01-02T15:04:05.999999999Z07:00")
    }

    fn append_format(&self, layout: &[u8]) -> Vec<u8> {
        let (c, name, offset) = self.civil();
        let mut b = Vec::with_capacity(layout.len() + 10);
        let mut layout = layout;
        while !layout.is_empty() {
            let (prefix, std, suffix) = next_std_chunk(layout);
            b.extend_from_slice(prefix);
            let Some(std) = std else { break };
            layout = suffix;
            match std {
                Std::Year => {
                    append_int(&mut b, c.year.abs() % 100, 2);
                }
                Std::LongYear => append_int(&mut b, c.year, 4),
                Std::Month => b.extend_from_slice(&MONTHS[c.month as usize - 1].as_bytes()[..3]),
                Std::LongMonth => b.extend_from_slice(MONTHS[c.month as usize - 1].as_bytes()),
                Std::NumMonth => append_int(&mut b, c.month, 0),
                Std::ZeroMonth => append_int(&mut b, c.month, 2),
                Std::WeekDay => b.extend_from_slice(&DAYS[c.weekday].as_bytes()[..3]),
                Std::LongWeekDay => b.extend_from_slice(DAYS[c.weekday].as_bytes()),
                Std::Day => append_int(&mut b, c.day, 0),
                Std::UnderDay => {
                    if c.day < 10 {
                        b.push(b' ');
                    }
                    append_int(&mut b, c.day, 0);
                }
                Std::ZeroDay => append_int(&mut b, c.day, 2),
                Std::UnderYearDay => {
                    if c.yday < 100 {
                        b.push(b' ');
                        if c.yday < 10 {
                            b.push(b' ');
                        }
                    }
                    append_int(&mut b, c.yday, 0);
                }
                Std::ZeroYearDay => append_int(&mut b, c.yday, 3),
                Std::Hour => append_int(&mut b, c.hour, 2),
                Std::Hour12 | Std::ZeroHour12 => {
                    let hr = match c.hour % 12 {
                        0 => 12,
                        h => h,
                    };
                    append_int(&mut b, hr, if std == Std::Hour12 { 0 } else { 2 });
                }
                Std::Minute => append_int(&mut b, c.min, 0),
                Std::ZeroMinute => append_int(&mut b, c.min, 2),
                Std::Second => append_int(&mut b, c.sec, 0),
                Std::ZeroSecond => append_int(&mut b, c.sec, 2),
                Std::PM => b.extend_from_slice(if c.hour >= 12 { b"PM" } else { b"AM" }),
                Std::Pm => b.extend_from_slice(if c.hour >= 12 { b"pm" } else { b"am" }),
                Std::Tz(tz) => {
                    if offset == 0 && tz.iso {
                        b.push(b'Z');
                        continue;
                    }
                    let mut zone = offset / 60;
                    let mut absoffset = offset;
                    if zone < 0 {
                        b.push(b'-');
                        zone = -zone;
                        absoffset = -absoffset;
                    } else {
                        b.push(b'+');
                    }
                    append_int(&mut b, i64::from(zone / 60), 2);
                    if tz.colon {
                        b.push(b':');
                    }
                    if !tz.short {
                        append_int(&mut b, i64::from(zone % 60), 2);
                    }
                    if tz.seconds {
                        if tz.colon {
                            b.push(b':');
                        }
                        append_int(&mut b, i64::from(absoffset % 60), 2);
                    }
                }
                Std::TzName => {
                    if !name.is_empty() {
                        b.extend_from_slice(name.as_bytes());
                        continue;
                    }
                    let mut zone = offset / 60;
                    if zone < 0 {
                        b.push(b'-');
                        zone = -zone;
                    } else {
                        b.push(b'+');
                    }
                    append_int(&mut b, i64::from(zone / 60), 2);
                    append_int(&mut b, i64::from(zone % 60), 2);
                }
                Std::Frac { trim, digits, sep } => {
                    append_nano(&mut b, self.nsec, trim, digits, sep);
                }
            }
        }
        b
    }
}

// ---------------------------------------------------------------------
// Layouts.

/// A numeric offset split as Go's parser takes it: sign, hours,
/// minutes, seconds and the rest of the value.
type TzParts<'v> = (u8, &'v [u8], &'v [u8], &'v [u8], &'v [u8]);

/// A numeric zone element: `-0700`, `Z07:00`, `-07`, `-070000`...
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct TzStd {
    iso: bool,
    colon: bool,
    short: bool,
    seconds: bool,
}

/// One layout element (Go's `std*` constants).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Std {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    TzName,
    Tz(TzStd),
    /// `.000` (`trim` false) or `.999`, with the digit count and the
    /// separator.
    Frac {
        trim: bool,
        digits: usize,
        sep: u8,
    },
}

fn starts_with_lower(s: &[u8]) -> bool {
    s.first().is_some_and(u8::is_ascii_lowercase)
}

fn is_digit(s: &[u8], i: usize) -> bool {
    s.get(i).is_some_and(u8::is_ascii_digit)
}

const fn tz(iso: bool, colon: bool, short: bool, seconds: bool) -> Std {
    Std::Tz(TzStd {
        iso,
        colon,
        short,
        seconds,
    })
}

/// Go's `nextStdChunk`: the text before the first element, the element,
/// and the rest.
fn next_std_chunk(layout: &[u8]) -> (&[u8], Option<Std>, &[u8]) {
    let at =
        |i: usize, s: &str| layout.len() >= i + s.len() && &layout[i..i + s.len()] == s.as_bytes();
    for i in 0..layout.len() {
        let found = |std: Std, len: usize| Some((&layout[..i], Some(std), &layout[i + len..]));
        let r = match layout[i] {
            b'J' if at(i, "Jan") => {
                if at(i, "January") {
                    found(Std::LongMonth, 7)
                } else if !starts_with_lower(&layout[i + 3..]) {
                    found(Std::Month, 3)
                } else {
                    None
                }
            }
            b'M' if layout.len() >= i + 3 => {
                if at(i, "Mon") {
                    if at(i, "Monday") {
                        found(Std::LongWeekDay, 6)
                    } else if !starts_with_lower(&layout[i + 3..]) {
                        found(Std::WeekDay, 3)
                    } else {
                        None
                    }
                } else if at(i, "MST") {
                    found(Std::TzName, 3)
                } else {
                    None
                }
            }
            b'0' => {
                if layout.len() >= i + 2 && (b'1'..=b'6').contains(&layout[i + 1]) {
                    let std = [
                        Std::ZeroMonth,
                        Std::ZeroDay,
                        Std::ZeroHour12,
                        Std::ZeroMinute,
                        Std::ZeroSecond,
                        Std::Year,
                    ][usize::from(layout[i + 1] - b'1')];
                    found(std, 2)
                } else if at(i, "002") {
                    found(Std::ZeroYearDay, 3)
                } else {
                    None
                }
            }
            b'1' => {
                if at(i, "15") {
                    found(Std::Hour, 2)
                } else {
                    found(Std::NumMonth, 1)
                }
            }
            b'2' => {
                if at(i, "2006") {
                    found(Std::LongYear, 4)
                } else {
                    found(Std::Day, 1)
                }
            }
            b'_' => {
                if at(i, "_2") {
                    if at(i + 1, "2006") {
                        // A literal `_` then the year.
                        return (&layout[..i + 1], Some(Std::LongYear), &layout[i + 5..]);
                    }
                    found(Std::UnderDay, 2)
                } else if at(i, "__2") {
                    found(Std::UnderYearDay, 3)
                } else {
                    None
                }
            }
            b'3' => found(Std::Hour12, 1),
            b'4' => found(Std::Minute, 1),
            b'5' => found(Std::Second, 1),
            b'P' if at(i, "PM") => found(Std::PM, 2),
            b'p' if at(i, "pm") => found(Std::Pm, 2),
            b'-' => {
                if at(i, "-070000") {
                    found(tz(false, false, false, true), 7)
                } else if at(i, "-07:00:00") {
                    found(tz(false, true, false, true), 9)
                } else if at(i, "-0700") {
                    found(tz(false, false, false, false), 5)
                } else if at(i, "-07:00") {
                    found(tz(false, true, false, false), 6)
                } else if at(i, "-07") {
                    found(tz(false, false, true, false), 3)
                } else {
                    None
                }
            }
            b'Z' => {
                if at(i, "Z070000") {
                    found(tz(true, false, false, true), 7)
                } else if at(i, "Z07:00:00") {
                    found(tz(true, true, false, true), 9)
                } else if at(i, "Z0700") {
                    found(tz(true, false, false, false), 5)
                } else if at(i, "Z07:00") {
                    found(tz(true, true, false, false), 6)
                } else if at(i, "Z07") {
                    found(tz(true, false, true, false), 3)
                } else {
                    None
                }
            }
            c @ (b'.' | b',') => {
                if i + 1 < layout.len() && (layout[i + 1] == b'0' || layout[i + 1] == b'9') {
                    let ch = layout[i + 1];
                    let mut j = i + 1;
                    while j < layout.len() && layout[j] == ch {
                        j += 1;
                    }
                    if !is_digit(layout, j) {
                        let std = Std::Frac {
                            trim: ch == b'9',
                            digits: (j - (i + 1)) & 0xfff,
                            sep: c,
                        };
                        return (&layout[..i], Some(std), &layout[j..]);
                    }
                }
                None
            }
            _ => None,
        };
        if let Some(r) = r {
            return r;
        }
    }
    (layout, None, &[])
}

fn append_int(b: &mut Vec<u8>, x: i64, width: usize) {
    if x < 0 {
        b.push(b'-');
    }
    let digits = x.unsigned_abs().to_string();
    for _ in digits.len()..width {
        b.push(b'0');
    }
    b.extend_from_slice(digits.as_bytes());
}

fn append_nano(b: &mut Vec<u8>, nanosec: u32, trim: bool, n: usize, sep: u8) {
    if trim && (n == 0 || nanosec == 0) {
        return;
    }
    b.push(sep);
    let start = b.len();
    append_int(b, i64::from(nanosec), 9);
    if n < 9 {
        b.truncate(start + n);
    }
    if trim {
        while b.last() == Some(&b'0') {
            b.pop();
        }
        if b.last() == Some(&sep) {
            b.pop();
        }
    }
}

// ---------------------------------------------------------------------
// Parsing.

const SHORT_DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// Case-insensitive prefix lookup in a name table (Go's `lookup`).
fn lookup_name<'v>(tab: &[&str], val: &'v [u8]) -> Option<(usize, &'v [u8])> {
    for (i, v) in tab.iter().enumerate() {
        let v = v.as_bytes();
        if val.len() >= v.len() && val[..v.len()].eq_ignore_ascii_case(v) {
            return Some((i, &val[v.len()..]));
        }
    }
    None
}

fn getnum(s: &[u8], fixed: bool) -> Option<(i64, &[u8])> {
    if !is_digit(s, 0) {
        return None;
    }
    if !is_digit(s, 1) {
        if fixed {
            return None;
        }
        return Some((i64::from(s[0] - b'0'), &s[1..]));
    }
    Some((
        i64::from(s[0] - b'0') * 10 + i64::from(s[1] - b'0'),
        &s[2..],
    ))
}

fn getnum3(s: &[u8], fixed: bool) -> Option<(i64, &[u8])> {
    let mut n = 0;
    let mut i = 0;
    while i < 3 && is_digit(s, i) {
        n = n * 10 + i64::from(s[i] - b'0');
        i += 1;
    }
    if i == 0 || (fixed && i != 3) {
        return None;
    }
    Some((n, &s[i..]))
}

/// Go's `atoi` for the time package: optional sign, digits, nothing else.
fn time_atoi(s: &[u8]) -> Option<i64> {
    let (neg, s) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (q, rem) = leading_int(s).ok()?;
    if !rem.is_empty() {
        return None;
    }
    let x = q as i64;
    Some(if neg { x.wrapping_neg() } else { x })
}

fn skip<'v>(mut value: &'v [u8], mut prefix: &[u8]) -> Result<&'v [u8], &'v [u8]> {
    while !prefix.is_empty() {
        if prefix[0] == b' ' {
            if !value.is_empty() && value[0] != b' ' {
                return Err(value);
            }
            while prefix.first() == Some(&b' ') {
                prefix = &prefix[1..];
            }
            while value.first() == Some(&b' ') {
                value = &value[1..];
            }
            continue;
        }
        if value.is_empty() || value[0] != prefix[0] {
            return Err(value);
        }
        prefix = &prefix[1..];
        value = &value[1..];
    }
    Ok(value)
}

fn parse_time_zone(value: &[u8]) -> Option<usize> {
    if value.len() < 3 {
        return None;
    }
    if value.len() >= 4 && (&value[..4] == b"ChST" || &value[..4] == b"MeST") {
        return Some(4);
    }
    if &value[..3] == b"GMT" {
        return Some(parse_gmt(value));
    }
    if value[0] == b'+' || value[0] == b'-' {
        let n = parse_signed_offset(value);
        return (n > 0).then_some(n);
    }
    let mut n_upper = 0;
    while n_upper < 6 {
        if n_upper >= value.len() || !value[n_upper].is_ascii_uppercase() {
            break;
        }
        n_upper += 1;
    }
    match n_upper {
        5 if value[4] == b'T' => Some(5),
        4 if value[3] == b'T' || &value[..4] == b"WITA" => Some(4),
        3 => Some(3),
        _ => None,
    }
}

fn parse_gmt(value: &[u8]) -> usize {
    let v = &value[3..];
    if v.is_empty() {
        return 3;
    }
    3 + parse_signed_offset(v)
}

fn parse_signed_offset(value: &[u8]) -> usize {
    let sign = value[0];
    if sign != b'-' && sign != b'+' {
        return 0;
    }
    match leading_int(&value[1..]) {
        Ok((x, rem)) if rem.len() != value.len() - 1 && x <= 23 => value.len() - rem.len(),
        _ => 0,
    }
}

fn parse_nanoseconds(value: &[u8], nbytes: usize) -> Result<(i64, &'static str), ()> {
    if value.first().is_none_or(|&c| c != b'.' && c != b',') {
        return Err(());
    }
    let nbytes = nbytes.min(10);
    let ns = time_atoi(&value[1..nbytes]).ok_or(())?;
    if ns < 0 {
        return Ok((0, "fractional second"));
    }
    let mut ns = ns;
    for _ in 0..10 - nbytes {
        ns *= 10;
    }
    Ok((ns, ""))
}

/// The text of a `*time.ParseError`.
fn parse_error(
    layout: &[u8],
    value: &[u8],
    layout_elem: &[u8],
    value_elem: &[u8],
    message: &str,
) -> String {
    if message.is_empty() {
        format!(
            "parsing time {} as {}: cannot parse {} as {}",
            go_time_quote(value),
            go_time_quote(layout),
            go_time_quote(value_elem),
            go_time_quote(layout_elem)
        )
    } else {
        format!("parsing time {}{}", go_time_quote(value), message)
    }
}

/// Go's RFC 3339 fast path (`parseRFC3339`).
fn parse_rfc3339(s: &[u8], local: &Loc) -> Option<GoTime> {
    if s.len() < 19 {
        return None;
    }
    let mut ok = true;
    let mut parse_uint = |s: &[u8], min: i64, max: i64| -> i64 {
        let mut x = 0i64;
        for &c in s {
            if !c.is_ascii_digit() {
                ok = false;
                return min;
            }
            x = x * 10 + i64::from(c - b'0');
        }
        if x < min || max < x {
            ok = false;
            return min;
        }
        x
    };
    let year = parse_uint(&s[0..4], 0, 9999);
    let month = parse_uint(&s[5..7], 1, 12);
    let day = parse_uint(&s[8..10], 1, days_in(month, year));
    let hour = parse_uint(&s[11..13], 0, 23);
    let min = parse_uint(&s[14..16], 0, 59);
    let sec = parse_uint(&s[17..19], 0, 59);
    if !(s[4] == b'-' && s[7] == b'-' && s[10] == b'T' && s[13] == b':' && s[16] == b':') {
        return None;
    }
    let mut s = &s[19..];
    let mut nsec = 0;
    if s.len() >= 2 && s[0] == b'.' && is_digit(s, 1) {
        let mut n = 2;
        while n < s.len() && is_digit(s, n) {
            n += 1;
        }
        nsec = parse_nanoseconds(s, n).map_or(0, |(ns, _)| ns);
        s = &s[n..];
    }
    let mut t = GoTime::date(year, month, day, hour, min, sec, nsec, Loc::Utc);
    if s.len() != 1 || s[0] != b'Z' {
        if s.len() != 6 {
            return None;
        }
        let hr = parse_uint(&s[1..3], 0, 23);
        let mm = parse_uint(&s[4..6], 0, 59);
        if !((s[0] == b'-' || s[0] == b'+') && s[3] == b':') {
            return None;
        }
        let mut zone_offset = (hr * 60 + mm) * 60;
        if s[0] == b'-' {
            zone_offset = -zone_offset;
        }
        t.sec -= zone_offset;
        let (_, offset, _) = local.lookup(t.sec);
        t.loc = if i64::from(offset) == zone_offset {
            local.clone()
        } else {
            Loc::Fixed("".into(), zone_offset as i32)
        };
    }
    ok.then_some(t)
}

/// `time.ParseInLocation(layout, value, loc)`; the error is Go's text.
pub fn parse_in_location(layout: &str, value: &str, loc: &Loc) -> Result<GoTime, String> {
    if layout == "2006-01-02T15:04:05Z07:00" || layout == "2006-01-02T15:04:05.999999999Z07:00" {
        if let Some(t) = parse_rfc3339(value.as_bytes(), loc) {
            return Ok(t);
        }
    }
    parse(layout.as_bytes(), value.as_bytes(), loc, loc)
}

fn parse(alayout: &[u8], avalue: &[u8], default_loc: &Loc, local: &Loc) -> Result<GoTime, String> {
    let (mut layout, mut value) = (alayout, avalue);
    let mut range_err: &str = "";
    let (mut am_set, mut pm_set) = (false, false);
    let (mut year, mut month, mut day, mut yday) = (0i64, -1i64, -1i64, -1i64);
    let (mut hour, mut min, mut sec, mut nsec) = (0i64, 0i64, 0i64, 0i64);
    let mut z: Option<Loc> = None;
    let mut zone_offset: i64 = -1;
    let mut zone_name: &[u8] = b"";

    loop {
        let (prefix, std, suffix) = next_std_chunk(layout);
        let stdstr = &layout[prefix.len()..layout.len() - suffix.len()];
        value = match skip(value, prefix) {
            Ok(v) => v,
            Err(v) => return Err(parse_error(alayout, avalue, prefix, v, "")),
        };
        let Some(std) = std else {
            if !value.is_empty() {
                return Err(parse_error(
                    alayout,
                    avalue,
                    b"",
                    value,
                    &format!(": extra text: {}", go_time_quote(value)),
                ));
            }
            break;
        };
        layout = suffix;
        let hold = value;
        let mut bad = false;
        match std {
            Std::Year => {
                if value.len() < 2 {
                    bad = true;
                } else {
                    let p = &value[..2];
                    value = &value[2..];
                    match time_atoi(p) {
                        Some(y) => year = if y >= 69 { y + 1900 } else { y + 2000 },
                        None => bad = true,
                    }
                }
            }
            Std::LongYear => {
                if value.len() < 4 || !is_digit(value, 0) {
                    bad = true;
                } else {
                    let p = &value[..4];
                    value = &value[4..];
                    match time_atoi(p) {
                        Some(y) => year = y,
                        None => bad = true,
                    }
                }
            }
            Std::Month | Std::LongMonth => {
                let names: Vec<&str> = if std == Std::Month {
                    MONTHS.iter().map(|m| &m[..3]).collect()
                } else {
                    MONTHS.to_vec()
                };
                match lookup_name(&names, value) {
                    Some((i, rest)) => {
                        month = i as i64 + 1;
                        value = rest;
                    }
                    None => bad = true,
                }
            }
            Std::NumMonth | Std::ZeroMonth => match getnum(value, std == Std::ZeroMonth) {
                Some((m, rest)) => {
                    month = m;
                    value = rest;
                    if month <= 0 || 12 < month {
                        range_err = "month";
                    }
                }
                None => bad = true,
            },
            Std::WeekDay | Std::LongWeekDay => {
                let names: &[&str] = if std == Std::WeekDay {
                    &SHORT_DAYS
                } else {
                    &DAYS
                };
                match lookup_name(names, value) {
                    Some((_, rest)) => value = rest,
                    None => bad = true,
                }
            }
            Std::Day | Std::UnderDay | Std::ZeroDay => {
                if std == Std::UnderDay && value.first() == Some(&b' ') {
                    value = &value[1..];
                }
                match getnum(value, std == Std::ZeroDay) {
                    Some((d, rest)) => {
                        day = d;
                        value = rest;
                    }
                    None => bad = true,
                }
            }
            Std::UnderYearDay | Std::ZeroYearDay => {
                for _ in 0..2 {
                    if std == Std::UnderYearDay && value.first() == Some(&b' ') {
                        value = &value[1..];
                    }
                }
                match getnum3(value, std == Std::ZeroYearDay) {
                    Some((d, rest)) => {
                        yday = d;
                        value = rest;
                    }
                    None => bad = true,
                }
            }
            Std::Hour => match getnum(value, false) {
                Some((h, rest)) => {
                    hour = h;
                    value = rest;
                    if !(0..24).contains(&hour) {
                        range_err = "hour";
                    }
                }
                None => bad = true,
            },
            Std::Hour12 | Std::ZeroHour12 => match getnum(value, std == Std::ZeroHour12) {
                Some((h, rest)) => {
                    hour = h;
                    value = rest;
                    if !(0..=12).contains(&hour) {
                        range_err = "hour";
                    }
                }
                None => bad = true,
            },
            Std::Minute | Std::ZeroMinute => match getnum(value, std == Std::ZeroMinute) {
                Some((m, rest)) => {
                    min = m;
                    value = rest;
                    if !(0..60).contains(&min) {
                        range_err = "minute";
                    }
                }
                None => bad = true,
            },
            Std::Second | Std::ZeroSecond => match getnum(value, std == Std::ZeroSecond) {
                None => bad = true,
                Some((s, rest)) => {
                    sec = s;
                    value = rest;
                    if !(0..60).contains(&sec) {
                        range_err = "second";
                    } else if value.len() >= 2
                        && (value[0] == b'.' || value[0] == b',')
                        && is_digit(value, 1)
                    {
                        let (_, next, _) = next_std_chunk(layout);
                        if !matches!(next, Some(Std::Frac { .. })) {
                            let mut n = 2;
                            while n < value.len() && is_digit(value, n) {
                                n += 1;
                            }
                            match parse_nanoseconds(value, n) {
                                Ok((ns, re)) => {
                                    nsec = ns;
                                    range_err = re;
                                }
                                Err(()) => bad = true,
                            }
                            value = &value[n..];
                        }
                    }
                }
            },
            Std::PM | Std::Pm => {
                if value.len() < 2 {
                    bad = true;
                } else {
                    let p = &value[..2];
                    value = &value[2..];
                    let (pm, am): (&[u8], &[u8]) = if std == Std::PM {
                        (b"PM", b"AM")
                    } else {
                        (b"pm", b"am")
                    };
                    if p == pm {
                        pm_set = true;
                    } else if p == am {
                        am_set = true;
                    } else {
                        bad = true;
                    }
                }
            }
            Std::Tz(t) => {
                if t.iso && value.first() == Some(&b'Z') {
                    value = &value[1..];
                    z = Some(Loc::Utc);
                } else {
                    let parts: Option<TzParts<'_>> = if t.colon && !t.seconds {
                        (value.len() >= 6 && value[3] == b':').then(|| {
                            (
                                value[0],
                                &value[1..3],
                                &value[4..6],
                                &b"00"[..],
                                &value[6..],
                            )
                        })
                    } else if t.short {
                        (value.len() >= 3)
                            .then(|| (value[0], &value[1..3], &b"00"[..], &b"00"[..], &value[3..]))
                    } else if t.colon && t.seconds {
                        (value.len() >= 9 && value[3] == b':' && value[6] == b':').then(|| {
                            (
                                value[0],
                                &value[1..3],
                                &value[4..6],
                                &value[7..9],
                                &value[9..],
                            )
                        })
                    } else if t.seconds {
                        (value.len() >= 7).then(|| {
                            (
                                value[0],
                                &value[1..3],
                                &value[3..5],
                                &value[5..7],
                                &value[7..],
                            )
                        })
                    } else {
                        (value.len() >= 5).then(|| {
                            (
                                value[0],
                                &value[1..3],
                                &value[3..5],
                                &b"00"[..],
                                &value[5..],
                            )
                        })
                    };
                    match parts {
                        None => bad = true,
                        Some((sign, h, m, s, rest)) => {
                            value = rest;
                            let nums = getnum(h, true)
                                .and_then(|(hr, _)| getnum(m, true).map(|(mm, _)| (hr, mm)))
                                .and_then(|(hr, mm)| getnum(s, true).map(|(ss, _)| (hr, mm, ss)));
                            match nums {
                                None => bad = true,
                                Some((hr, mm, ss)) => {
                                    if hr > 24 {
                                        range_err = "time zone offset hour";
                                    }
                                    if mm > 60 {
                                        range_err = "time zone offset minute";
                                    }
                                    if ss > 60 {
                                        range_err = "time zone offset second";
                                    }
                                    zone_offset = (hr * 60 + mm) * 60 + ss;
                                    match sign {
                                        b'+' => {}
                                        b'-' => zone_offset = -zone_offset,
                                        _ => bad = true,
                                    }
                                }
                            }
                        }
                    }
                }
            }
            Std::TzName => {
                if value.len() >= 3 && &value[..3] == b"UTC" {
                    z = Some(Loc::Utc);
                    value = &value[3..];
                } else {
                    match parse_time_zone(value) {
                        Some(n) => {
                            zone_name = &value[..n];
                            value = &value[n..];
                        }
                        None => bad = true,
                    }
                }
            }
            Std::Frac {
                trim: false,
                digits,
                ..
            } => {
                let ndigit = 1 + digits;
                if value.len() < ndigit {
                    bad = true;
                } else {
                    match parse_nanoseconds(value, ndigit) {
                        Ok((ns, re)) => {
                            nsec = ns;
                            range_err = re;
                        }
                        Err(()) => bad = true,
                    }
                    value = &value[ndigit..];
                }
            }
            Std::Frac { trim: true, .. } => {
                if value.len() >= 2
                    && (value[0] == b'.' || value[0] == b',')
                    && value[1].is_ascii_digit()
                {
                    let mut i = 0;
                    while i + 1 < value.len() && value[i + 1].is_ascii_digit() {
                        i += 1;
                    }
                    match parse_nanoseconds(value, 1 + i) {
                        Ok((ns, re)) => {
                            nsec = ns;
                            range_err = re;
                        }
                        Err(()) => bad = true,
                    }
                    value = &value[1 + i..];
                }
            }
        }
        if !range_err.is_empty() {
            return Err(parse_error(
                alayout,
                avalue,
                stdstr,
                value,
                &format!(": {range_err} out of range"),
            ));
        }
        if bad {
            return Err(parse_error(alayout, avalue, stdstr, hold, ""));
        }
    }
    if pm_set && hour < 12 {
        hour += 12;
    } else if am_set && hour == 12 {
        hour = 0;
    }

    if yday >= 0 {
        let mut d = 0;
        let mut m = 0;
        if is_leap(year) {
            if yday == 31 + 29 {
                m = 2;
                d = 29;
            } else if yday > 31 + 29 {
                yday -= 1;
            }
        }
        if !(1..=365).contains(&yday) {
            return Err(parse_error(
                alayout,
                avalue,
                b"",
                value,
                ": day-of-year out of range",
            ));
        }
        if m == 0 {
            m = (yday - 1) / 31 + 1;
            if DAYS_BEFORE[m as usize] < yday {
                m += 1;
            }
            d = yday - DAYS_BEFORE[m as usize - 1];
        }
        if month >= 0 && month != m {
            return Err(parse_error(
                alayout,
                avalue,
                b"",
                value,
                ": day-of-year does not match month",
            ));
        }
        month = m;
        if day >= 0 && day != d {
            return Err(parse_error(
                alayout,
                avalue,
                b"",
                value,
                ": day-of-year does not match day",
            ));
        }
        day = d;
    } else {
        if month < 0 {
            month = 1;
        }
        if day < 0 {
            day = 1;
        }
    }

    if day < 1 || day > days_in(month, year) {
        return Err(parse_error(
            alayout,
            avalue,
            b"",
            value,
            ": day out of range",
        ));
    }

    if let Some(z) = z {
        return Ok(GoTime::date(year, month, day, hour, min, sec, nsec, z));
    }

    let zone_name_str = String::from_utf8_lossy(zone_name).into_owned();
    if zone_offset != -1 {
        let mut t = GoTime::date(year, month, day, hour, min, sec, nsec, Loc::Utc);
        t.sec -= zone_offset;
        let (name, offset, _) = local.lookup(t.sec);
        if i64::from(offset) == zone_offset && (zone_name.is_empty() || name == zone_name_str) {
            t.loc = local.clone();
            return Ok(t);
        }
        t.loc = Loc::Fixed(zone_name_str.into(), zone_offset as i32);
        return Ok(t);
    }

    if !zone_name.is_empty() {
        let mut t = GoTime::date(year, month, day, hour, min, sec, nsec, Loc::Utc);
        if let Some(offset) = local.lookup_name(&zone_name_str, t.sec) {
            t.sec -= i64::from(offset);
            t.loc = local.clone();
            return Ok(t);
        }
        let mut offset = 0;
        if zone_name.len() > 3 && &zone_name[..3] == b"GMT" {
            offset = time_atoi(&zone_name[3..]).unwrap_or(0) * 3600;
        }
        t.loc = Loc::Fixed(zone_name_str.into(), offset as i32);
        return Ok(t);
    }

    Ok(GoTime::date(
        year,
        month,
        day,
        hour,
        min,
        sec,
        nsec,
        default_loc.clone(),
    ))
}

// ---------------------------------------------------------------------
// Template values: time.Time, time.Duration, *time.Location, time.Month,
// time.Weekday.

/// The private field through which one of our `time.Time` values gives
/// its state back (no template can spell a name with a NUL).
const TIME_STATE: &str = "\u{0}time";
const LOC_STATE: &str = "\u{0}loc";

/// A `time.Time` as a template value.
pub fn time_value(t: GoTime) -> Value {
    Value::Object(Rc::new(TimeObject(t)))
}

/// A `time.Duration` as a template value.
pub fn duration_value(d: i64) -> Value {
    Value::Object(Rc::new(DurationObject(d)))
}

/// The `time.Time` behind a value made by [`time_value`].
pub fn time_of(v: &Value) -> Option<GoTime> {
    let Value::Object(o) = v else { return None };
    if o.type_name() != "time.Time" {
        return None;
    }
    let state = o.field(TIME_STATE)?;
    let s = state.as_str()?;
    let mut parts = s.splitn(4, ' ');
    let sec = parts.next()?.parse().ok()?;
    let nsec = parts.next()?.parse().ok()?;
    let mono = match parts.next()? {
        "-" => None,
        m => Some(m.parse().ok()?),
    };
    let loc = Loc::decode(parts.next()?)?;
    Some(GoTime {
        sec,
        nsec,
        loc,
        mono,
    })
}

/// The nanoseconds behind a `time.Duration` value.
pub fn duration_of(v: &Value) -> Option<i64> {
    let Value::Object(o) = v else { return None };
    if o.type_name() != "time.Duration" {
        return None;
    }
    o.field("Nanoseconds")?.as_int()
}

fn location_of(v: &Value) -> Option<Loc> {
    let Value::Object(o) = v else { return None };
    if o.type_name() != "*time.Location" {
        return None;
    }
    Loc::decode(o.field(LOC_STATE)?.as_str()?)
}

fn location_value(loc: Loc) -> Value {
    Value::Object(Rc::new(LocationObject(loc)))
}

fn wrong_type(want: &str, got: &Value) -> String {
    format!(
        "wrong type for value; expected {want}; got {}",
        got.type_name()
    )
}

fn check_arity(name: &str, args: &[Value], want: usize) -> Result<(), String> {
    if args.len() != want {
        return Err(format!(
            "wrong number of args for {name}: want {want} got {}",
            args.len()
        ));
    }
    Ok(())
}

/// A `time.Duration` argument: a duration, or an integer constant.
fn duration_arg(v: &Value) -> Result<i64, String> {
    match v {
        Value::Int(n) | Value::Int64(n) => Ok(*n),
        other => duration_of(other).ok_or_else(|| wrong_type("time.Duration", other)),
    }
}

fn time_method_arg(v: &Value) -> Result<GoTime, String> {
    time_of(v).ok_or_else(|| wrong_type("time.Time", v))
}

fn int_arg(v: &Value) -> Result<i64, String> {
    match v {
        Value::Int(n) => Ok(*n),
        other => Err(wrong_type("int", other)),
    }
}

struct TimeObject(GoTime);

/// `time.Time`'s methods a template can call, with their argument counts
/// (`None`: a signature templates cannot call, with Go's complaint).
fn time_method(name: &str) -> Option<Result<usize, &'static str>> {
    Some(Ok(match name {
        "Year" | "Month" | "Day" | "Hour" | "Minute" | "Second" | "Nanosecond" | "YearDay"
        | "Weekday" | "Unix" | "UnixMilli" | "UnixMicro" | "UnixNano" | "IsZero" | "IsDST"
        | "UTC" | "Local" | "Location" | "String" | "GoString" | "MarshalJSON"
        | "MarshalText" => 0,
        "Format" | "Add" | "Sub" | "Before" | "After" | "Equal" | "Compare" | "Truncate"
        | "Round" | "In" => 1,
        "AppendFormat" => 2,
        "AddDate" => 3,
        "Date" => return Some(Err("function Date has 3 return values; should be 1 or 2")),
        "Clock" => return Some(Err("function Clock has 3 return values; should be 1 or 2")),
        "ISOWeek" => {
            return Some(Err(
                "invalid function signature for ISOWeek: second return value should be error; is int",
            ))
        }
        "Zone" => {
            return Some(Err(
                "invalid function signature for Zone: second return value should be error; is int",
            ))
        }
        "ZoneBounds" => {
            return Some(Err(
                "invalid function signature for ZoneBounds: second return value should be error; is time.Time",
            ))
        }
        _ => return None,
    }))
}

impl TimeObject {
    fn run(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        let arity = match time_method(name) {
            None => return Err(format!("can't evaluate field {name} in type time.Time")),
            Some(Err(msg)) => return Err(msg.to_string()),
            Some(Ok(n)) => n,
        };
        check_arity(name, args, arity)?;
        let t = &self.0;
        let (c, _, _) = t.civil();
        Ok(match name {
            "Year" => Value::Int(c.year),
            "Month" => Value::Object(Rc::new(MonthObject(c.month))),
            "Day" => Value::Int(c.day),
            "Hour" => Value::Int(c.hour),
            "Minute" => Value::Int(c.min),
            "Second" => Value::Int(c.sec),
            "Nanosecond" => Value::Int(i64::from(t.nsec)),
            "YearDay" => Value::Int(c.yday),
            "Weekday" => Value::Object(Rc::new(WeekdayObject(c.weekday))),
            "Unix" => Value::Int64(t.sec),
            "UnixMilli" => Value::Int64(
                t.sec
                    .wrapping_mul(1_000)
                    .wrapping_add(i64::from(t.nsec / 1_000_000)),
            ),
            "UnixMicro" => Value::Int64(
                t.sec
                    .wrapping_mul(1_000_000)
                    .wrapping_add(i64::from(t.nsec / 1_000)),
            ),
            "UnixNano" => Value::Int64(t.sec.wrapping_mul(SECOND).wrapping_add(i64::from(t.nsec))),
            "IsZero" => Value::Bool(t.is_zero()),
            "IsDST" => Value::Bool(t.loc.lookup(t.sec).2),
            "UTC" => time_value(t.in_loc(Loc::Utc)),
            "Local" => time_value(t.in_loc(Loc::Local)),
            "Location" => location_value(t.loc.clone()),
            "String" => Value::str(t.go_string()),
            "GoString" => Value::str(t.go_string()),
            "MarshalJSON" => Value::Bytes(format!("\"{}\"", t.rfc3339_nano()).into_bytes().into()),
            "MarshalText" => Value::Bytes(t.rfc3339_nano().into_bytes().into()),
            "Format" => match &args[0] {
                Value::String(s) => Value::str(t.format(s)),
                other => return Err(wrong_type("string", other)),
            },
            "AppendFormat" => {
                let mut out = match &args[0] {
                    Value::Bytes(b) => b.to_vec(),
                    Value::Nil => Vec::new(),
                    other => return Err(wrong_type("[]uint8", other)),
                };
                match &args[1] {
                    Value::String(s) => out.extend_from_slice(&t.append_format(s.as_bytes())),
                    other => return Err(wrong_type("string", other)),
                }
                Value::Bytes(out.into())
            }
            "Add" => time_value(t.add(duration_arg(&args[0])?)),
            "Sub" => duration_value(t.sub(&time_method_arg(&args[0])?)),
            "Before" => Value::Bool(t.cmp_key(&time_method_arg(&args[0])?).is_lt()),
            "After" => Value::Bool(t.cmp_key(&time_method_arg(&args[0])?).is_gt()),
            "Equal" => Value::Bool(t.cmp_key(&time_method_arg(&args[0])?).is_eq()),
            "Compare" => Value::Int(match t.cmp_key(&time_method_arg(&args[0])?) {
                std::cmp::Ordering::Less => -1,
                std::cmp::Ordering::Equal => 0,
                std::cmp::Ordering::Greater => 1,
            }),
            "Truncate" => time_value(t.truncate(duration_arg(&args[0])?)),
            "Round" => time_value(t.round(duration_arg(&args[0])?)),
            "In" => match &args[0] {
                Value::Nil => return Err("time: missing Location in call to Time.In".into()),
                other => match location_of(other) {
                    Some(loc) => time_value(t.in_loc(loc)),
                    None => return Err(wrong_type("*time.Location", other)),
                },
            },
            "AddDate" => {
                time_value(t.add_date(int_arg(&args[0])?, int_arg(&args[1])?, int_arg(&args[2])?))
            }
            _ => return Err(format!("can't evaluate field {name} in type time.Time")),
        })
    }
}

impl Object for TimeObject {
    fn type_name(&self) -> String {
        "time.Time".into()
    }

    /// Only Go's refusals (methods with results a template cannot take);
    /// the callable methods check their own arguments.
    fn method_signature(&self, name: &str) -> Option<Result<MethodSignature, &'static str>> {
        match time_method(name) {
            Some(Err(refusal)) => Some(Err(refusal)),
            _ => None,
        }
    }

    fn kind(&self) -> &'static str {
        "struct"
    }

    fn field(&self, name: &str) -> Option<Value> {
        if name == TIME_STATE {
            let t = &self.0;
            let mono = t.mono.map_or_else(|| "-".to_string(), |m| m.to_string());
            return Some(Value::str(format!(
                "{} {} {} {}",
                t.sec,
                t.nsec,
                mono,
                t.loc.encode()
            )));
        }
        match time_method(name) {
            Some(Ok(0)) => self.run(name, &[]).ok(),
            _ => None,
        }
    }

    fn has_method(&self, name: &str) -> bool {
        time_method(name).is_some()
    }

    fn call(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        self.run(name, args)
    }

    fn format_v(&self) -> String {
        self.0.go_string()
    }

    fn to_data(&self) -> Value {
        Value::str(self.0.rfc3339_nano())
    }
}

struct DurationObject(i64);

fn duration_method(name: &str) -> Option<usize> {
    match name {
        "Abs" | "Hours" | "Microseconds" | "Milliseconds" | "Minutes" | "Nanoseconds"
        | "Seconds" | "String" => Some(0),
        "Round" | "Truncate" => Some(1),
        _ => None,
    }
}

impl DurationObject {
    fn run(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        let arity = duration_method(name)
            .ok_or_else(|| format!("can't evaluate field {name} in type time.Duration"))?;
        check_arity(name, args, arity)?;
        let d = self.0;
        Ok(match name {
            "Abs" => duration_value(if d == i64::MIN { i64::MAX } else { d.abs() }),
            "Hours" => Value::Float(dur_hours(d)),
            "Minutes" => Value::Float(dur_minutes(d)),
            "Seconds" => Value::Float(dur_seconds(d)),
            "Milliseconds" => Value::Int64(d / 1_000_000),
            "Microseconds" => Value::Int64(d / 1_000),
            "Nanoseconds" => Value::Int64(d),
            "String" => Value::str(duration_string(d)),
            "Round" => duration_value(dur_round(d, duration_arg(&args[0])?)),
            "Truncate" => duration_value(dur_truncate(d, duration_arg(&args[0])?)),
            _ => return Err(format!("can't evaluate field {name} in type time.Duration")),
        })
    }
}

impl Object for DurationObject {
    fn type_name(&self) -> String {
        "time.Duration".into()
    }

    fn kind(&self) -> &'static str {
        "int64"
    }

    fn field(&self, name: &str) -> Option<Value> {
        match duration_method(name) {
            Some(0) => self.run(name, &[]).ok(),
            _ => None,
        }
    }

    fn has_method(&self, name: &str) -> bool {
        duration_method(name).is_some()
    }

    fn call(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        self.run(name, args)
    }

    fn format_v(&self) -> String {
        duration_string(self.0)
    }

    fn to_data(&self) -> Value {
        Value::Int64(self.0)
    }

    fn truthy(&self) -> bool {
        self.0 != 0
    }
}

struct LocationObject(Loc);

impl Object for LocationObject {
    fn type_name(&self) -> String {
        "*time.Location".into()
    }

    fn field(&self, name: &str) -> Option<Value> {
        match name {
            LOC_STATE => Some(Value::str(self.0.encode())),
            "String" => Some(Value::str(self.0.name())),
            _ => None,
        }
    }

    fn has_method(&self, name: &str) -> bool {
        name == "String"
    }

    fn call(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        if name != "String" {
            return Err(format!(
                "can't evaluate field {name} in type *time.Location"
            ));
        }
        check_arity(name, args, 0)?;
        Ok(Value::str(self.0.name()))
    }

    fn format_v(&self) -> String {
        self.0.name()
    }

    fn to_data(&self) -> Value {
        // encoding/json of a *time.Location: a struct with no exported
        // fields.
        Value::empty_map()
    }
}

struct MonthObject(i64);

impl Object for MonthObject {
    fn type_name(&self) -> String {
        "time.Month".into()
    }

    fn kind(&self) -> &'static str {
        "int"
    }

    fn field(&self, name: &str) -> Option<Value> {
        (name == "String").then(|| Value::str(self.format_v()))
    }

    fn has_method(&self, name: &str) -> bool {
        name == "String"
    }

    fn call(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        if name != "String" {
            return Err(format!("can't evaluate field {name} in type time.Month"));
        }
        check_arity(name, args, 0)?;
        Ok(Value::str(self.format_v()))
    }

    fn format_v(&self) -> String {
        match usize::try_from(self.0 - 1).ok().and_then(|i| MONTHS.get(i)) {
            Some(m) => m.to_string(),
            None => format!("%!Month({})", self.0),
        }
    }

    fn to_data(&self) -> Value {
        Value::Int(self.0)
    }

    fn truthy(&self) -> bool {
        self.0 != 0
    }
}

struct WeekdayObject(usize);

impl Object for WeekdayObject {
    fn type_name(&self) -> String {
        "time.Weekday".into()
    }

    fn kind(&self) -> &'static str {
        "int"
    }

    fn field(&self, name: &str) -> Option<Value> {
        (name == "String").then(|| Value::str(self.format_v()))
    }

    fn has_method(&self, name: &str) -> bool {
        name == "String"
    }

    fn call(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        if name != "String" {
            return Err(format!("can't evaluate field {name} in type time.Weekday"));
        }
        check_arity(name, args, 0)?;
        Ok(Value::str(self.format_v()))
    }

    fn format_v(&self) -> String {
        DAYS.get(self.0).copied().unwrap_or("Sunday").to_string()
    }

    fn to_data(&self) -> Value {
        Value::Int(self.0 as i64)
    }

    fn truthy(&self) -> bool {
        self.0 != 0
    }
}

#[cfg(test)]
mod tests {
    use super::super::call;
    use super::*;

    fn s(x: &str) -> Value {
        Value::str(x)
    }

    fn f(name: &str, args: &[Value]) -> String {
        match call(name, args) {
            Ok(v) => v.to_string(),
            Err(e) => format!("ERR {e}"),
        }
    }

    fn t(layout: &str, value: &str) -> Value {
        call("toDate", &[s(layout), s(value)]).unwrap()
    }

    #[test]
    fn format_every_element() {
        // tests/template/date/expected/date-all-elements.out (Local is UTC
        // on the oracle's machine and in CI).
        let layout = "Mon Monday Jan January 1 01 2 _2 02 __2 002 15 3 03 4 04 5 05 PM pm 2006 06 MST -0700 -07:00 -07 -070000 -07:00:00 Z0700 Z07:00 Z07 Z070000 Z07:00:00";
        let out = GoTime::unix(1709612345, 0, Loc::Utc).format(layout);
        assert_eq!(out, "Tue Tuesday Mar March 3 03 5  5 05  65 065 04 4 04 19 19 5 05 AM am 2024 24 UTC +0000 +00:00 +00 +000000 +00:00:00 Z Z Z Z Z");
        let out = GoTime::unix(0, 0, Loc::Utc).format("Month Janet Mondays PMx _2006 2006_");
        assert_eq!(out, "Month Janet Thursdays AMx _1970 1970_");
        assert_eq!(
            GoTime::unix(253402300800, 0, Loc::Utc).format("2006-01-02 06"),
            "10000-01-01 00"
        );
    }

    #[test]
    fn zones() {
        let ny = load_location("America/New_York").unwrap();
        let l = "2006-01-02 15:04:05 MST -07:00";
        assert_eq!(
            GoTime::unix(1700000000, 0, ny.clone()).format(l),
            "2023-11-14 17:13:20 EST -05:00"
        );
        assert_eq!(
            GoTime::unix(1690000000, 0, ny).format(l),
            "2023-07-22 00:26:40 EDT -04:00"
        );
        let ams = load_location("Europe/Amsterdam").unwrap();
        assert_eq!(
            GoTime::unix(-2500000000, 0, ams).format("2006-01-02 15:04:05 MST -07:00:00 Z070000"),
            "1890-10-11 19:52:52 AMT +00:19:32 +001932"
        );
        assert!(load_location("america/new_york").is_none());
        assert!(load_location("../etc").is_none());
        assert!(load_location("Mars/Olympus").is_none());
    }

    #[test]
    fn date_functions() {
        assert_eq!(
            f(
                "date",
                &[s("2006-01-02T15:04:05Z07:00"), Value::Int(1700000000)]
            ),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(
            f(
                "dateInZone",
                &[s("15:04 MST Z07:00"), Value::Int(0), s("Asia/Kolkata")]
            ),
            "05:30 IST +05:30"
        );
        assert_eq!(
            f(
                "htmlDateInZone",
                &[Value::Int(1700000000), s("Pacific/Kiritimati")]
            ),
            "2023-11-15"
        );
        assert_eq!(f("date", &[s("2006"), Value::Float(1.7e9)]).len(), 4);
    }

    #[test]
    fn to_date_and_print() {
        assert_eq!(
            t("2006-01-02", "2024-03-05").to_string(),
            "2024-03-05 00:00:00 +0000 UTC"
        );
        assert_eq!(
            t("2006-01-02 15:04 -0700", "2024-03-05 10:00 +0200").to_string(),
            "2024-03-05 10:00:00 +0200 +0200"
        );
        assert_eq!(
            t("15:04 MST", "10:00 GMT+3").to_string(),
            "0000-01-01 13:00:00 +0300 GMT+3"
        );
        assert_eq!(
            t("2006-01-02T15:04:05Z07:00", "2024-03-05T10:11:12+05:30").to_string(),
            "2024-03-05 10:11:12 +0530 +0530"
        );
        assert_eq!(
            t("15:04:05.999", "10:30:01.1234567891234").to_string(),
            "0000-01-01 10:30:01.123456789 +0000 UTC"
        );
        assert_eq!(
            t("2006 __2", "2023   5").to_string(),
            "2023-01-05 00:00:00 +0000 UTC"
        );
        assert_eq!(t("x", "y").to_string(), "0001-01-01 00:00:00 +0000 UTC");
        assert_eq!(
            t("3:04pm", "12:05am").to_string(),
            "0000-01-01 00:05:00 +0000 UTC"
        );
        assert_eq!(
            t("02/01/06", "01/01/68").to_string(),
            "2068-01-01 00:00:00 +0000 UTC"
        );
    }

    #[test]
    fn parse_errors() {
        let e = |l: &str, v: &str| f("mustToDate", &[s(l), s(v)]);
        assert_eq!(
            e("2006-01-02", "x"),
            "ERR parsing time \"x\" as \"2006-01-02\": cannot parse \"x\" as \"2006\""
        );
        assert_eq!(
            e("2006-01-02", "2024-01-01 10:00"),
            "ERR parsing time \"2024-01-01 10:00\": extra text: \" 10:00\""
        );
        assert_eq!(
            e("2006-01-02", "2023-02-29"),
            "ERR parsing time \"2023-02-29\": day out of range"
        );
        assert_eq!(
            e("2006-01-02", "é\"\\"),
            "ERR parsing time \"\\xc3\\xa9\\\"\\\\\" as \"2006-01-02\": cannot parse \"\\xc3\\xa9\\\"\\\\\" as \"2006\""
        );
        assert_eq!(
            e("Year: 2006", "Yr: 2024"),
            "ERR parsing time \"Yr: 2024\" as \"Year: 2006\": cannot parse \"r: 2024\" as \"Year: \""
        );
        assert_eq!(
            e("05.000", "01.5"),
            "ERR parsing time \"01.5\" as \"05.000\": cannot parse \".5\" as \".000\""
        );
        assert_eq!(
            e("-0700", "+2500"),
            "ERR parsing time \"+2500\": time zone offset hour out of range"
        );
        assert_eq!(
            e("2006-01 002", "2024-02 001"),
            "ERR parsing time \"2024-02 001\": day-of-year does not match month"
        );
    }

    #[test]
    fn durations() {
        let d = |x: &str| duration_string(parse_duration(x).unwrap());
        assert_eq!(d("1h2m3.5s"), "1h2m3.5s");
        assert_eq!(d("1500us"), "1.5ms");
        assert_eq!(d("1µs"), "1µs");
        assert_eq!(d("-1m"), "-1m0s");
        assert_eq!(d("2562047h47m16.854775807s"), "2562047h47m16.854775807s");
        assert_eq!(d("-2562047h47m16.854775808s"), "-2562047h47m16.854775808s");
        assert_eq!(d("0.1ns"), "0s");
        assert_eq!(
            parse_duration("1x").unwrap_err(),
            "time: unknown unit \"x\" in duration \"1x\""
        );
        assert_eq!(
            parse_duration("10").unwrap_err(),
            "time: missing unit in duration \"10\""
        );
        assert_eq!(
            parse_duration("").unwrap_err(),
            "time: invalid duration \"\""
        );
        assert_eq!(
            parse_duration("9999999999h").unwrap_err(),
            "time: invalid duration \"9999999999h\""
        );
    }

    #[test]
    fn sprig_durations() {
        assert_eq!(f("duration", &[s("90")]), "1m30s");
        assert_eq!(f("duration", &[Value::Int(90)]), "0s");
        assert_eq!(
            f("duration", &[Value::Int64(9223372037)]),
            "-2562047h47m16.709551616s"
        );
        assert_eq!(f("durationRound", &[s("8760h")]), "12mo");
        assert_eq!(f("durationRound", &[s("8761h")]), "1y");
        assert_eq!(f("durationRound", &[s("-3h")]), "3h");
        assert_eq!(f("durationRound", &[s("1s")]), "0s");
    }

    #[test]
    fn helm_durations() {
        assert_eq!(f("mustToDuration", &[Value::Int(90)]), "1m30s");
        assert_eq!(f("mustToDuration", &[s("1e3")]), "16m40s");
        assert_eq!(f("mustToDuration", &[s("  1h ")]), "1h0m0s");
        assert_eq!(f("mustToDuration", &[s("")]), "ERR empty duration");
        assert_eq!(
            f("mustToDuration", &[s("abc")]),
            "ERR could not parse duration \"abc\""
        );
        assert_eq!(
            f("mustToDuration", &[Value::Bool(true)]),
            "ERR unsupported duration type bool"
        );
        assert_eq!(f("mustToDuration", &[Value::Nil]), "ERR invalid duration");
        assert_eq!(
            f("mustToDuration", &[Value::Float(1e10)]),
            "ERR duration seconds overflow: 1e+10"
        );
        assert_eq!(
            f("mustToDuration", &[s("NaN")]),
            "ERR invalid duration seconds: NaN"
        );
        assert_eq!(f("durationSeconds", &[s("1h30m")]), "5400");
        assert_eq!(f("durationMilliseconds", &[s("-1999us")]), "-1");
        assert_eq!(
            f("durationDays", &[Value::Int(1)]),
            "1.1574074074074073e-05"
        );
        assert_eq!(f("durationRoundTo", &[s("-1h30m"), s("1h")]), "-2h0m0s");
        assert_eq!(f("durationRoundTo", &[s("1h29m"), s("bad")]), "1h29m0s");
        assert_eq!(f("durationTruncateTo", &[s("-1h59m"), s("1h")]), "-1h0m0s");
        let d = call("mustToDuration", &[s("1h")]).unwrap();
        assert_eq!(d.type_name(), "time.Duration");
        assert_eq!(d.kind(), "int64");
    }

    #[test]
    fn time_methods() {
        let v = t("2006-01-02 15:04:05.000", "2024-03-05 10:11:12.345");
        let Value::Object(o) = &v else { panic!() };
        let m = |n: &str, a: &[Value]| o.call(n, a).map(|v| v.to_string());
        assert_eq!(m("Month", &[]).unwrap(), "March");
        assert_eq!(m("Weekday", &[]).unwrap(), "Tuesday");
        assert_eq!(m("YearDay", &[]).unwrap(), "65");
        assert_eq!(m("UnixMilli", &[]).unwrap(), "1709633472345");
        assert_eq!(m("Location", &[]).unwrap(), "Local");
        assert_eq!(
            m("Round", &[Value::Int(3_600_000_000_000)]).unwrap(),
            "2024-03-05 10:00:00 +0000 UTC"
        );
        assert_eq!(
            m("Clock", &[]).unwrap_err(),
            "function Clock has 3 return values; should be 1 or 2"
        );
        assert_eq!(
            m("Foo", &[]).unwrap_err(),
            "can't evaluate field Foo in type time.Time"
        );
        let oct = t("2006-01-02", "2024-10-31");
        let Value::Object(o) = &oct else { panic!() };
        assert_eq!(
            o.call("AddDate", &[Value::Int(0), Value::Int(1), Value::Int(0)])
                .unwrap()
                .to_string(),
            "2024-12-01 00:00:00 +0000 UTC"
        );
        assert_eq!(
            call("unixEpoch", &[t("2006-01-02", "1969-12-31")])
                .unwrap()
                .to_string(),
            "-86400"
        );
    }

    #[test]
    fn now_form() {
        let v = call("now", &[]).unwrap();
        assert_eq!(v.type_name(), "time.Time");
        let text = v.to_string();
        // 2026-12-02 02:03:46.944204487 +0000 UTC m=+0.268952120
        let re = regex::Regex::new(
            r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,9})? [+-]\d{4} \S+ m=\+\d+\.\d{9}$",
        )
        .unwrap();
        assert!(re.is_match(&text), "{text}");
        let modified = call("dateModify", &[s("1h"), v.clone()]).unwrap();
        assert!(modified.to_string().contains(" m=+3600."));
        let Value::Object(o) = &v else { panic!() };
        assert!(!o.call("UTC", &[]).unwrap().to_string().contains("m="));
        assert_eq!(f("ago", &[v]), "0s");
        assert_eq!(f("ago", &[s("x")]), "0s");
    }
}
