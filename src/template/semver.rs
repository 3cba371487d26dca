//! Masterminds/semver v3.5.0, the library behind Sprig's `semver` and
//! `semverCompare` (and Helm's `kubeVersion` checks): version parsing
//! (the coercing `NewVersion` that Sprig calls, and `StrictNewVersion`),
//! precedence, `String()`, and constraints (`^ ~ ~> = != > < >= <= =>
//! =<`, `x`/`X`/`*` wildcards, `1.2 - 1.4` ranges, `||`, and comma or
//! space for AND) with v3's prerelease rule: a prerelease version only
//! satisfies an AND group in which some constraint names a prerelease.
//!
//! Ported from the Go source, regular expressions included (Go's RE2 and
//! the `regex` crate agree on leftmost-first submatches); `\d` and `\s`
//! are spelled as ASCII classes since Go's are ASCII-only.

use std::fmt;
use std::sync::OnceLock;

use regex::Regex;

/// A parsed version: `major.minor.patch[-pre][+metadata]` and the text it
/// came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// The major number.
    pub major: u64,
    /// The minor number.
    pub minor: u64,
    /// The patch number.
    pub patch: u64,
    /// The prerelease, without its `-`.
    pub pre: String,
    /// The build metadata, without its `+`.
    pub metadata: String,
    /// The text as given to the parser (`Original()`).
    pub original: String,
}

/// A parse failure, with Go's message as its `Display`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// `invalid semantic version`.
    InvalidSemVer,
    /// `version string empty`.
    EmptyString,
    /// `invalid characters in version`.
    InvalidCharacters,
    /// `version segment starts with 0`.
    SegmentStartsZero,
    /// `invalid metadata string`.
    InvalidMetadata,
    /// `invalid prerelease string`.
    InvalidPrerelease,
    /// `strconv.ParseUint: parsing "N": value out of range`, bare
    /// (`StrictNewVersion`).
    Range(String),
    /// `error parsing version segment: strconv.ParseUint: ...`.
    Segment(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidSemVer => f.write_str("invalid semantic version"),
            Error::EmptyString => f.write_str("version string empty"),
            Error::InvalidCharacters => f.write_str("invalid characters in version"),
            Error::SegmentStartsZero => f.write_str("version segment starts with 0"),
            Error::InvalidMetadata => f.write_str("invalid metadata string"),
            Error::InvalidPrerelease => f.write_str("invalid prerelease string"),
            Error::Range(n) => write!(f, "{}", parse_uint_range_error(n)),
            Error::Segment(n) => write!(
                f,
                "error parsing version segment: {}",
                parse_uint_range_error(n)
            ),
        }
    }
}

impl std::error::Error for Error {}

fn parse_uint_range_error(n: &str) -> String {
    format!(
        "strconv.ParseUint: parsing {}: value out of range",
        crate::template::gofmt::quote(n)
    )
}

const NUM: &str = "0123456789";

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

fn contains_only_digits(s: &str) -> bool {
    s.chars().all(|c| NUM.contains(c))
}

// The regular expressions, as Go's source builds them.
const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";
/// Go's `\s`: `[\t\n\f\r ]`.
const WS: &str = r"[\t\n\x0C\r ]";

/// Each expression compiles on its first use only: compiling is most of
/// the cost of a short `plumb template` process, and a chart's
/// `kubeVersion` check needs four of the six.
macro_rules! lazy_regex {
    ($name:ident, $pattern:expr) => {
        fn $name() -> &'static Regex {
            static RE: OnceLock<Regex> = OnceLock::new();
            RE.get_or_init(|| Regex::new(&$pattern).expect("semver regex"))
        }
    };
}

lazy_regex!(
    loose_re,
    concat!(
        r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?",
        r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?",
        r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$"
    )
);
lazy_regex!(
    strict_re,
    concat!(
        r"^v?(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*))?(?:\.(0|[1-9][0-9]*))?",
        r"(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?",
        r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
    )
);
lazy_regex!(constraint_re, format!(r"^{WS}*({OPS}){WS}*({CV}){WS}*$"));
lazy_regex!(range_re, format!(r"{WS}*({CV}){WS}+-{WS}+({CV}){WS}*"));
lazy_regex!(find_re, format!(r"({OPS}){WS}*({CV})"));
lazy_regex!(
    valid_re,
    format!(r"^({WS}*({OPS}){WS}*({CV}){WS}*)((?:{WS}+|,{WS}*)({OPS}){WS}*({CV}){WS}*)*$")
);

fn parse_u64(s: &str) -> Result<u64, String> {
    s.parse::<u64>().map_err(|_| s.to_string())
}

fn group<'t>(caps: &regex::Captures<'t>, i: usize) -> &'t str {
    caps.get(i).map_or("", |m| m.as_str())
}

/// The groups of the loose version expression, read by hand: the
/// expression is deterministic (greedy digits, then `-` and `+` parts of
/// dot-separated non-empty identifiers), and the regex engine cost more
/// than the rest of a chart's metadata check.
struct LooseParts<'a> {
    major: &'a str,
    /// `.N` or empty.
    minor: &'a str,
    /// `.N` or empty.
    patch: &'a str,
    pre: &'a str,
    metadata: &'a str,
}

impl<'a> LooseParts<'a> {
    fn scan(v: &'a str) -> Option<LooseParts<'a>> {
        let b = v.as_bytes();
        let digits =
            |from: usize| from + b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
        let mut i = usize::from(b.first() == Some(&b'v'));
        let end = digits(i);
        if end == i {
            return None;
        }
        let major = &v[i..end];
        i = end;
        let mut dotted = || {
            if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
                let end = digits(i + 1);
                let part = &v[i..end];
                i = end;
                part
            } else {
                ""
            }
        };
        let minor = dotted();
        let patch = dotted();
        // Dot-separated identifiers of [0-9A-Za-z-] after `sign`, up to `stop`.
        let idents = |i: &mut usize, sign: u8, stop: Option<u8>| -> Option<&'a str> {
            if b.get(*i) != Some(&sign) {
                return Some("");
            }
            let start = *i + 1;
            let mut j = start;
            let mut segment = 0;
            loop {
                match b.get(j).copied() {
                    Some(c) if c.is_ascii_alphanumeric() || c == b'-' => segment += 1,
                    Some(b'.') if segment > 0 => segment = 0,
                    c if (c.is_none() || c == stop) && segment > 0 => break,
                    _ => return None,
                }
                j += 1;
            }
            *i = j;
            Some(&v[start..j])
        };
        let pre = idents(&mut i, b'-', Some(b'+'))?;
        let metadata = idents(&mut i, b'+', None)?;
        (i == b.len()).then_some(LooseParts {
            major,
            minor,
            patch,
            pre,
            metadata,
        })
    }
}

impl Version {
    /// `semver.NewVersion` as v3.5.0 runs it (`CoerceNewVersion` true):
    /// `v` prefix, missing minor/patch and leading zeros accepted.
    pub fn parse(v: &str) -> Result<Version, Error> {
        let parts = LooseParts::scan(v).ok_or(Error::InvalidSemVer)?;
        let mut sv = Version {
            major: 0,
            minor: 0,
            patch: 0,
            pre: parts.pre.to_string(),
            metadata: parts.metadata.to_string(),
            original: v.to_string(),
        };
        sv.major = parse_u64(parts.major).map_err(Error::Segment)?;
        let minor = parts.minor;
        if !minor.is_empty() {
            sv.minor = parse_u64(&minor[1..]).map_err(Error::Segment)?;
        }
        let patch = parts.patch;
        if !patch.is_empty() {
            sv.patch = parse_u64(&patch[1..]).map_err(Error::Segment)?;
        }
        if !sv.pre.is_empty() {
            validate_prerelease(&sv.pre)?;
        }
        if !sv.metadata.is_empty() {
            validate_metadata(&sv.metadata)?;
        }
        Ok(sv)
    }

    /// `NewVersion` with `CoerceNewVersion` false (the strict regular
    /// expression, detailed errors): not what Sprig uses, kept for
    /// completeness.
    pub fn parse_uncoerced(v: &str) -> Result<Version, Error> {
        let Some(caps) = strict_re().captures(v) else {
            let loose = loose_re().captures(v).ok_or(Error::InvalidSemVer)?;
            validate_version(&loose)?;
            return Err(Error::InvalidSemVer);
        };
        let mut sv = Version {
            major: parse_u64(group(&caps, 1)).map_err(Error::Segment)?,
            minor: 0,
            patch: 0,
            pre: group(&caps, 4).to_string(),
            metadata: group(&caps, 5).to_string(),
            original: v.to_string(),
        };
        if !group(&caps, 2).is_empty() {
            sv.minor = parse_u64(group(&caps, 2)).map_err(Error::Segment)?;
        }
        if !group(&caps, 3).is_empty() {
            sv.patch = parse_u64(group(&caps, 3)).map_err(Error::Segment)?;
        }
        if !sv.pre.is_empty() {
            validate_prerelease(&sv.pre)?;
        }
        if !sv.metadata.is_empty() {
            validate_metadata(&sv.metadata)?;
        }
        Ok(sv)
    }

    /// `semver.StrictNewVersion`: exactly `X.Y.Z[-pre][+meta]`.
    pub fn parse_strict(v: &str) -> Result<Version, Error> {
        if v.is_empty() {
            return Err(Error::EmptyString);
        }
        let mut parts: Vec<String> = v.splitn(3, '.').map(str::to_string).collect();
        if parts.len() != 3 {
            return Err(Error::InvalidSemVer);
        }
        let mut sv = Version {
            major: 0,
            minor: 0,
            patch: 0,
            pre: String::new(),
            metadata: String::new(),
            original: v.to_string(),
        };
        if let Some((rest, meta)) = parts[2].split_once('+') {
            sv.metadata = meta.to_string();
            let rest = rest.to_string();
            parts[2] = rest;
            validate_metadata(&sv.metadata)?;
        }
        if let Some((rest, pre)) = parts[2].split_once('-') {
            sv.pre = pre.to_string();
            let rest = rest.to_string();
            parts[2] = rest;
            validate_prerelease(&sv.pre)?;
        }
        for p in &parts {
            if !contains_only_digits(p) {
                return Err(Error::InvalidCharacters);
            }
            if p.len() > 1 && p.starts_with('0') {
                return Err(Error::SegmentStartsZero);
            }
        }
        // An empty segment passes the checks above and fails ParseUint
        // with a syntax error in Go.
        let num = |s: &str| -> Result<u64, Error> {
            if s.is_empty() {
                return Err(Error::InvalidSemVer);
            }
            parse_u64(s).map_err(Error::Range)
        };
        sv.major = num(&parts[0])?;
        sv.minor = num(&parts[1])?;
        sv.patch = num(&parts[2])?;
        Ok(sv)
    }

    /// `semver.New`: from parts, unvalidated.
    pub fn new(major: u64, minor: u64, patch: u64, pre: &str, metadata: &str) -> Version {
        let mut v = Version {
            major,
            minor,
            patch,
            pre: pre.to_string(),
            metadata: metadata.to_string(),
            original: String::new(),
        };
        v.original = v.to_string();
        v
    }

    fn original_v_prefix(&self) -> &'static str {
        if self.original.starts_with('v') {
            "v"
        } else {
            ""
        }
    }

    /// `IncPatch`: drops prerelease and metadata; the patch moves on only
    /// for a release version. Go panics on overflow.
    pub fn inc_patch(&self) -> Result<Version, String> {
        let mut next = self.clone();
        next.metadata.clear();
        next.pre.clear();
        if self.pre.is_empty() {
            next.patch = self
                .patch
                .checked_add(1)
                .ok_or("patch version increment would overflow uint64")?;
        }
        next.original = format!("{}{}", self.original_v_prefix(), next);
        Ok(next)
    }

    /// `IncMinor`.
    pub fn inc_minor(&self) -> Result<Version, String> {
        let mut next = self.clone();
        next.metadata.clear();
        next.pre.clear();
        next.patch = 0;
        next.minor = self
            .minor
            .checked_add(1)
            .ok_or("minor version increment would overflow uint64")?;
        next.original = format!("{}{}", self.original_v_prefix(), next);
        Ok(next)
    }

    /// `IncMajor`.
    pub fn inc_major(&self) -> Result<Version, String> {
        let mut next = self.clone();
        next.metadata.clear();
        next.pre.clear();
        next.patch = 0;
        next.minor = 0;
        next.major = self
            .major
            .checked_add(1)
            .ok_or("major version increment would overflow uint64")?;
        next.original = format!("{}{}", self.original_v_prefix(), next);
        Ok(next)
    }

    /// `SetPrerelease`.
    pub fn set_prerelease(&self, pre: &str) -> Result<Version, Error> {
        if !pre.is_empty() {
            validate_prerelease(pre)?;
        }
        let mut next = self.clone();
        next.pre = pre.to_string();
        next.original = format!("{}{}", self.original_v_prefix(), next);
        Ok(next)
    }

    /// `SetMetadata`.
    pub fn set_metadata(&self, metadata: &str) -> Result<Version, Error> {
        if !metadata.is_empty() {
            validate_metadata(metadata)?;
        }
        let mut next = self.clone();
        next.metadata = metadata.to_string();
        next.original = format!("{}{}", self.original_v_prefix(), next);
        Ok(next)
    }

    /// `Compare`: -1, 0 or 1 by precedence (metadata ignored, a
    /// prerelease below its release).
    pub fn compare(&self, o: &Version) -> i32 {
        let d = cmp_u64(self.major, o.major);
        if d != 0 {
            return d;
        }
        let d = cmp_u64(self.minor, o.minor);
        if d != 0 {
            return d;
        }
        let d = cmp_u64(self.patch, o.patch);
        if d != 0 {
            return d;
        }
        match (self.pre.is_empty(), o.pre.is_empty()) {
            (true, true) => 0,
            (true, false) => 1,
            (false, true) => -1,
            (false, false) => compare_prerelease(&self.pre, &o.pre),
        }
    }

    /// `LessThan`.
    pub fn less_than(&self, o: &Version) -> bool {
        self.compare(o) < 0
    }

    /// `Equal` (for two non-nil versions).
    pub fn equal(&self, o: &Version) -> bool {
        self.compare(o) == 0
    }
}

impl fmt::Display for Version {
    /// `String()`: no `v`, missing parts filled in.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.metadata.is_empty() {
            write!(f, "+{}", self.metadata)?;
        }
        Ok(())
    }
}

fn cmp_u64(a: u64, b: u64) -> i32 {
    match a.cmp(&b) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    }
}

fn compare_prerelease(v: &str, o: &str) -> i32 {
    let sparts: Vec<&str> = v.split('.').collect();
    let oparts: Vec<&str> = o.split('.').collect();
    let l = sparts.len().max(oparts.len());
    for i in 0..l {
        let s = sparts.get(i).copied().unwrap_or("");
        let t = oparts.get(i).copied().unwrap_or("");
        let d = compare_pre_part(s, t);
        if d != 0 {
            return d;
        }
    }
    0
}

fn compare_pre_part(s: &str, o: &str) -> i32 {
    if s == o {
        return 0;
    }
    if s.is_empty() {
        return -1;
    }
    if o.is_empty() {
        return 1;
    }
    // Go's strconv.ParseUint: digits only (no sign), in range.
    let num = |x: &str| -> Option<u64> {
        if x.bytes().all(|b| b.is_ascii_digit()) {
            x.parse().ok()
        } else {
            None
        }
    };
    match (num(s), num(o)) {
        (None, None) => {
            if s > o {
                1
            } else {
                -1
            }
        }
        (Some(_), None) => -1,
        (None, Some(_)) => 1,
        (Some(a), Some(b)) => {
            if a > b {
                1
            } else {
                -1
            }
        }
    }
}

fn validate_prerelease(p: &str) -> Result<(), Error> {
    for part in p.split('.') {
        if part.is_empty() {
            return Err(Error::InvalidPrerelease);
        } else if contains_only_digits(part) {
            if part.len() > 1 && part.starts_with('0') {
                return Err(Error::SegmentStartsZero);
            }
        } else if !part.chars().all(allowed) {
            return Err(Error::InvalidPrerelease);
        }
    }
    Ok(())
}

fn validate_metadata(m: &str) -> Result<(), Error> {
    for part in m.split('.') {
        if part.is_empty() || !part.chars().all(allowed) {
            return Err(Error::InvalidMetadata);
        }
    }
    Ok(())
}

fn validate_version(caps: &regex::Captures<'_>) -> Result<(), Error> {
    for i in 1..=3 {
        let g = group(caps, i);
        if g.is_empty() {
            continue;
        }
        let v = g.strip_prefix('.').unwrap_or(g);
        if v.len() > 1 && v.starts_with('0') {
            return Err(Error::SegmentStartsZero);
        }
        parse_u64(v).map_err(Error::Segment)?;
    }
    if !group(caps, 5).is_empty() {
        validate_prerelease(group(caps, 5))?;
    }
    if !group(caps, 8).is_empty() {
        validate_metadata(group(caps, 8))?;
    }
    Ok(())
}

/// The operator of one constraint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    TildeOrEqual,
    NotEqual,
    Greater,
    Less,
    GreaterEqual,
    LessEqual,
    Tilde,
    Caret,
}

fn op_of(s: &str) -> Op {
    match s {
        "!=" => Op::NotEqual,
        ">" => Op::Greater,
        "<" => Op::Less,
        ">=" | "=>" => Op::GreaterEqual,
        "<=" | "=<" => Op::LessEqual,
        "~" | "~>" => Op::Tilde,
        "^" => Op::Caret,
        _ => Op::TildeOrEqual,
    }
}

#[derive(Clone, Debug)]
struct Constraint {
    con: Version,
    orig: String,
    origfunc: String,
    op: Op,
    minor_dirty: bool,
    dirty: bool,
    patch_dirty: bool,
}

/// Parsed constraints: OR groups of AND-ed constraints.
#[derive(Clone, Debug)]
pub struct Constraints {
    groups: Vec<Vec<Constraint>>,
    contains_pre: Vec<bool>,
    /// `IncludePrerelease`: let prereleases satisfy every group (false in
    /// Sprig).
    pub include_prerelease: bool,
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "*" | "X")
}

fn rewrite_range(i: &str) -> String {
    // A range needs a `-` after white space; most constraints have none.
    let b = i.as_bytes();
    if !(1..b.len())
        .any(|j| b[j] == b'-' && matches!(b[j - 1], b'\t' | b'\n' | 0x0C | b'\r' | b' '))
    {
        return i.to_string();
    }
    let re = range_re();
    let mut o = i.to_string();
    // Go finds all matches in the original string, then replaces each
    // match's first occurrence in the progressively rewritten one.
    let found: Vec<(String, String, String)> = re
        .captures_iter(i)
        .map(|c| {
            (
                group(&c, 0).to_string(),
                group(&c, 1).to_string(),
                group(&c, 11).to_string(),
            )
        })
        .collect();
    for (whole, a, b) in found {
        let t = format!(">= {a}, <= {b} ");
        o = o.replacen(&whole, &t, 1);
    }
    o
}

fn parse_constraint(c: &str) -> Result<Constraint, String> {
    if c.is_empty() {
        return Ok(Constraint {
            con: Version::new(0, 0, 0, "", ""),
            orig: String::new(),
            origfunc: String::new(),
            op: Op::TildeOrEqual,
            minor_dirty: false,
            dirty: true,
            patch_dirty: false,
        });
    }
    let caps = constraint_re()
        .captures(c)
        .ok_or_else(|| format!("improper constraint: {}", crate::template::gofmt::quote(c)))?;
    let m = |i| group(&caps, i);
    let mut ver = m(2).to_string();
    let (mut minor_dirty, mut patch_dirty, mut dirty) = (false, false, false);
    let m4 = m(4).strip_prefix('.').unwrap_or(m(4));
    let m5 = m(5).strip_prefix('.').unwrap_or(m(5));
    if is_x(m(3)) || m(3).is_empty() {
        ver = format!("0.0.0{}", m(6));
        dirty = true;
    } else if is_x(m4) || m(4).is_empty() {
        minor_dirty = true;
        dirty = true;
        ver = format!("{}.0.0{}", m(3), m(6));
    } else if is_x(m5) || m(5).is_empty() {
        dirty = true;
        patch_dirty = true;
        ver = format!("{}{}.0{}", m(3), m(4), m(6));
    }
    let con = Version::parse(&ver).map_err(|_| "constraint parser error".to_string())?;
    Ok(Constraint {
        con,
        orig: m(2).to_string(),
        origfunc: m(1).to_string(),
        op: op_of(m(1)),
        minor_dirty,
        dirty,
        patch_dirty,
    })
}

impl Constraints {
    /// `semver.NewConstraint`; the error is Go's message.
    pub fn parse(c: &str) -> Result<Constraints, String> {
        let c = rewrite_range(c);
        let mut groups = Vec::new();
        let mut contains_pre = Vec::new();
        for v in c.split("||") {
            if !valid_re().is_match(v) {
                return Err(format!(
                    "improper constraint: {}",
                    crate::template::gofmt::quote(v)
                ));
            }
            let mut cs: Vec<&str> = find_re().find_iter(v).map(|m| m.as_str()).collect();
            if cs.is_empty() {
                cs.push(v);
            }
            let mut group = Vec::with_capacity(cs.len());
            let mut has_pre = false;
            for s in cs {
                let pc = parse_constraint(s)?;
                if !pc.con.pre.is_empty() {
                    has_pre = true;
                }
                group.push(pc);
            }
            groups.push(group);
            contains_pre.push(has_pre);
        }
        Ok(Constraints {
            groups,
            contains_pre,
            include_prerelease: false,
        })
    }

    /// `Check`: whether `v` satisfies some OR group.
    pub fn check(&self, v: &Version) -> bool {
        self.groups.iter().enumerate().any(|(i, group)| {
            let include_pre = self.include_prerelease || self.contains_pre[i];
            group.iter().all(|c| c.check(v, include_pre))
        })
    }
}

impl fmt::Display for Constraints {
    /// `String()`: AND parts joined by a space, OR groups by ` || `.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let groups: Vec<String> = self
            .groups
            .iter()
            .map(|g| {
                g.iter()
                    .map(|c| format!("{}{}", c.origfunc, c.orig))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        f.write_str(&groups.join(" || "))
    }
}

impl Constraint {
    fn check(&self, v: &Version, include_pre: bool) -> bool {
        if !v.pre.is_empty() && !include_pre {
            return false;
        }
        let c = self;
        match self.op {
            Op::NotEqual => {
                if c.dirty {
                    if c.con.major != v.major {
                        return true;
                    }
                    if c.con.minor != v.minor && !c.minor_dirty {
                        return true;
                    } else if c.minor_dirty {
                        return false;
                    } else if c.con.patch != v.patch && !c.patch_dirty {
                        return true;
                    } else if c.patch_dirty {
                        if !v.pre.is_empty() || !c.con.pre.is_empty() {
                            return compare_prerelease(&v.pre, &c.con.pre) != 0;
                        }
                        return false;
                    }
                }
                !v.equal(&c.con)
            }
            Op::Greater => {
                if !c.dirty {
                    return v.compare(&c.con) == 1;
                }
                if v.major > c.con.major {
                    true
                } else if v.major < c.con.major || c.minor_dirty {
                    false
                } else if c.patch_dirty {
                    v.minor > c.con.minor
                } else {
                    v.compare(&c.con) == 1
                }
            }
            Op::Less => v.compare(&c.con) < 0,
            Op::GreaterEqual => v.compare(&c.con) >= 0,
            Op::LessEqual => {
                if !c.dirty {
                    return v.compare(&c.con) <= 0;
                }
                !(v.major > c.con.major
                    || (v.major == c.con.major && v.minor > c.con.minor && !c.minor_dirty))
            }
            Op::Tilde => c.tilde(v),
            Op::TildeOrEqual => {
                if c.dirty {
                    c.tilde(v)
                } else {
                    v.equal(&c.con)
                }
            }
            Op::Caret => {
                if v.less_than(&c.con) {
                    return false;
                }
                if c.con.major > 0 || c.minor_dirty {
                    return v.major == c.con.major;
                }
                if v.major > 0 {
                    return false;
                }
                if c.con.minor > 0 || c.patch_dirty {
                    return v.minor == c.con.minor;
                }
                if v.minor > 0 {
                    return false;
                }
                c.con.patch == v.patch
            }
        }
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = self;
        if v.less_than(&c.con) {
            return false;
        }
        if c.con.major == 0
            && c.con.minor == 0
            && c.con.patch == 0
            && !c.minor_dirty
            && !c.patch_dirty
        {
            return true;
        }
        if v.major != c.con.major {
            return false;
        }
        v.minor == c.con.minor || c.minor_dirty
    }
}

#[cfg(test)]
mod tests {
    /// The hand scanner reads every string as the loose expression does.
    #[test]
    fn loose_scanner_is_the_loose_expression() {
        let pieces = [
            "v", "1", "0", "12", ".", "-", "+", "a", "Z", "-rc", ".1", "..", "x", "é", " ",
        ];
        let mut inputs = vec![String::new()];
        for _ in 0..4 {
            let mut next = Vec::new();
            for s in &inputs {
                for p in pieces {
                    next.push(format!("{s}{p}"));
                }
            }
            inputs.extend(next);
        }
        inputs.extend(
            [
                "1.2.3",
                "v1.2.3-rc.1+build.5",
                "1.2.3-a-b.c",
                "1.2.3+",
                "1.2.3-",
                "1.2.3-a..b",
                "1.2.3.4",
                "01.02",
            ]
            .map(String::from),
        );
        let re = super::loose_re();
        for v in &inputs {
            let caps = re.captures(v);
            let scanned = super::LooseParts::scan(v);
            assert_eq!(caps.is_some(), scanned.is_some(), "{v:?}");
            if let (Some(c), Some(p)) = (caps, scanned) {
                let g = |i| super::group(&c, i);
                assert_eq!(
                    (g(1), g(2), g(3), g(5), g(8)),
                    (p.major, p.minor, p.patch, p.pre, p.metadata),
                    "{v:?}"
                );
            }
        }
    }

    use super::*;

    fn cmp(c: &str, v: &str) -> bool {
        Constraints::parse(c)
            .unwrap()
            .check(&Version::parse(v).unwrap())
    }

    #[test]
    fn parse_and_print() {
        let v = Version::parse("v1.2.3-beta.1+build.5").unwrap();
        assert_eq!((v.major, v.minor, v.patch), (1, 2, 3));
        assert_eq!(v.to_string(), "1.2.3-beta.1+build.5");
        assert_eq!(v.original, "v1.2.3-beta.1+build.5");
        assert_eq!(Version::parse("1.2").unwrap().to_string(), "1.2.0");
        assert_eq!(Version::parse("01.002.0003").unwrap().to_string(), "1.2.3");
        assert_eq!(
            Version::parse("18446744073709551615.0.0").unwrap().major,
            u64::MAX
        );
    }

    #[test]
    fn parse_errors() {
        let e = |s: &str| Version::parse(s).unwrap_err().to_string();
        assert_eq!(e("foo"), "invalid semantic version");
        assert_eq!(e(""), "invalid semantic version");
        assert_eq!(e("1.2.3.4"), "invalid semantic version");
        assert_eq!(e("V1.2.3"), "invalid semantic version");
        assert_eq!(e("1.2.3+a..b"), "invalid semantic version");
        assert_eq!(e("1.2.3-01"), "version segment starts with 0");
        assert_eq!(
            e("99999999999999999999.0.0"),
            "error parsing version segment: strconv.ParseUint: parsing \"99999999999999999999\": value out of range"
        );
    }

    #[test]
    fn strict() {
        assert_eq!(
            Version::parse_strict("1.2").unwrap_err(),
            Error::InvalidSemVer
        );
        assert_eq!(Version::parse_strict("").unwrap_err(), Error::EmptyString);
        assert_eq!(
            Version::parse_strict("01.2.3").unwrap_err(),
            Error::SegmentStartsZero
        );
        assert_eq!(
            Version::parse_strict("v1.2.3").unwrap_err(),
            Error::InvalidCharacters
        );
        assert!(Version::parse_strict("1.2.3-rc.1+m").is_ok());
    }

    #[test]
    fn constraints_from_the_oracle() {
        // tests/template/semver/expected/compare-*.out
        assert!(cmp("^1.2.3", "1.9.9"));
        assert!(!cmp("^1.2.3", "2.0.0"));
        assert!(!cmp("^*", "5.0.0"));
        assert!(cmp("^0.0", "0.0.5") && !cmp("^0.0", "0.1.0"));
        assert!(cmp("~0.0.0", "5.0.0"));
        assert!(!cmp("!=1.2.x", "1.2.5") && !cmp("!=1.x", "1.5.0") && cmp("!=1.x", "2.0.0"));
        assert!(!cmp(">1.2", "1.2.5") && cmp(">1.2", "1.3.0"));
        assert!(cmp("<=1.2", "1.2.9") && !cmp("<=1.2.3", "1.2.4"));
        assert!(cmp("1.2 - 1.4", "1.4.5") && !cmp("1.2 - 1.4", "1.5.0"));
        assert!(cmp(">=1.0.0 <2.0.0 || >=3.0.0", "3.1.0"));
        assert!(!cmp(">=1.0.0 <2.0.0 || >=3.0.0", "2.5.0"));
        assert!(!cmp(">=1.0.0", "1.5.0-beta") && cmp(">=1.0.0-0", "1.5.0-beta"));
        assert!(cmp("<2.0.0, >=1.0.0-0", "1.5.0-rc.1"));
        assert!(!cmp(">=3.0.0 || <1.0.0", "3.1.0-rc1"));
        assert!(cmp("^1.2.3-beta", "1.3.0-beta") && !cmp("^1.2.3-beta", "1.2.3-alpha"));
        assert!(cmp("!=1.2.x-beta", "1.2.3-alpha") && !cmp("!=1.2.x-beta", "1.2.3-beta"));
        assert!(!cmp("*", "1.0.0-beta") && cmp("*", "0.0.0"));
        assert!(cmp(" >= 1.2.3 ", "1.2.3"));
        assert!(cmp(">=1.21-0", "v1.31.0") && !cmp("<1.30-0", "v1.31.0"));
        assert!(cmp(">1.0.0-1", "1.0.0-alpha") && !cmp(">1.0.0-alpha", "1.0.0-1"));
        assert!(cmp("<=1.x", "1.99.0") && !cmp("<=1.x", "2.0.0") && !cmp("<=*", "2.0.0"));
        assert!(cmp(">1.2.x", "1.3.0") && !cmp(">1.2.x", "1.2.9"));
    }

    #[test]
    fn constraint_errors() {
        let e = |s: &str| Constraints::parse(s).unwrap_err();
        assert_eq!(e("bad"), "improper constraint: \"bad\"");
        assert_eq!(e(""), "improper constraint: \"\"");
        assert_eq!(e(">=1.0 ||"), "improper constraint: \"\"");
        assert_eq!(e(">=99999999999999999999"), "constraint parser error");
        assert_eq!(e("~>1.2.3 foo"), "improper constraint: \"~>1.2.3 foo\"");
    }

    #[test]
    fn constraint_string() {
        let c = Constraints::parse(">= 1.2, <3 || ~4.x").unwrap();
        assert_eq!(c.to_string(), ">=1.2 <3 || ~4.x");
    }

    #[test]
    fn increments() {
        let v = Version::parse("v1.2.3").unwrap();
        assert_eq!(v.inc_patch().unwrap().original, "v1.2.4");
        let v = Version::parse("1.2.3-beta+m").unwrap();
        assert_eq!(v.inc_patch().unwrap().to_string(), "1.2.3");
        assert!(Version::new(u64::MAX, 0, 0, "", "").inc_major().is_err());
    }
}
