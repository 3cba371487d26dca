//! Network functions: Sprig's `getHostByName`, `urlParse` and `urlJoin`.
//!
//! `urlParse`/`urlJoin` run on a port of Go's `net/url` parsing and
//! `URL.String()` (as of Go 1.25, with its bracketed-host validation), so
//! the maps, the escaping and the error texts are Go's.
//!
//! `getHostByName`: Helm replaces Sprig's DNS lookup with a function that
//! returns "" unless DNS lookups are enabled (`--enable-dns`), which
//! `helm template` does not do by default; the registered function is
//! Helm's default. [`get_host_by_name_dns`] is Sprig's real lookup for an
//! engine that offers the option.

use std::collections::BTreeMap;
use std::net::ToSocketAddrs;

use rand::Rng;

use super::{FuncError, FuncResult, Registry, Ty};
use crate::template::gofmt::quote;
use crate::template::value::{Map, Value};

/// Registers this family's functions.
pub(super) fn register(r: &mut Registry) {
    r.add("getHostByName", &[Ty::String], None, |_| Ok(Value::str("")));
    r.add("urlParse", &[Ty::String], None, url_parse);
    r.add("urlJoin", &[Ty::Map], None, url_join);
}

/// Sprig's `getHostByName` with DNS enabled: one of the host's addresses
/// at random; Go's `rand.Intn(0)` panic when the lookup finds none.
pub fn get_host_by_name_dns(args: &[Value]) -> FuncResult {
    let name = args.first().and_then(Value::as_str).unwrap_or("");
    let mut addrs: Vec<String> = Vec::new();
    if let Ok(found) = (name, 0).to_socket_addrs() {
        for a in found {
            let ip = a.ip().to_string();
            if !addrs.contains(&ip) {
                addrs.push(ip);
            }
        }
    }
    if addrs.is_empty() {
        return Err(FuncError::new("invalid argument to Intn"));
    }
    let i = rand::rng().random_range(0..addrs.len());
    Ok(Value::str(addrs.swap_remove(i)))
}

fn url_parse(args: &[Value]) -> FuncResult {
    let raw = args.first().and_then(Value::as_str).unwrap_or("");
    let u = parse(raw).map_err(|e| FuncError::new(format!("unable to parse url: {e}")))?;
    let mut m = BTreeMap::new();
    let s = |x: &str| Value::str(x);
    m.insert("scheme".into(), s(&u.scheme));
    m.insert("host".into(), s(&u.host));
    m.insert("hostname".into(), s(&u.hostname()));
    m.insert("path".into(), s(&u.path));
    m.insert("query".into(), s(&u.raw_query));
    m.insert("opaque".into(), s(&u.opaque));
    m.insert("fragment".into(), s(&u.fragment));
    m.insert(
        "userinfo".into(),
        s(&u.user.as_ref().map(Userinfo::string).unwrap_or_default()),
    );
    Ok(Value::map(m))
}

/// Sprig's `dictGetOrEmpty`: a missing key is "", a non-string is a
/// panic naming its kind (and no value dereferences a nil type).
fn dict_get_or_empty(d: &Map, key: &str) -> Result<String, FuncError> {
    match d.get(key) {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.to_string()),
        Some(Value::Nil) => Err(FuncError::new(
            "runtime error: invalid memory address or nil pointer dereference",
        )),
        Some(other) => Err(FuncError::new(format!(
            "unable to parse {key} key, must be of type string, but {} found",
            other.kind()
        ))),
    }
}

fn url_join(args: &[Value]) -> FuncResult {
    let empty = Map::new();
    let d = args.first().and_then(Value::as_map).unwrap_or(&empty);
    let mut u = Url {
        scheme: dict_get_or_empty(d, "scheme")?,
        host: dict_get_or_empty(d, "host")?,
        path: dict_get_or_empty(d, "path")?,
        raw_query: dict_get_or_empty(d, "query")?,
        opaque: dict_get_or_empty(d, "opaque")?,
        fragment: dict_get_or_empty(d, "fragment")?,
        ..Url::default()
    };
    let userinfo = dict_get_or_empty(d, "userinfo")?;
    if !userinfo.is_empty() {
        let temp = parse(&format!("proto://{userinfo}@host"))
            .map_err(|e| FuncError::new(format!("unable to parse userinfo in dict: {e}")))?;
        u.user = temp.user;
    }
    Ok(Value::str(u.string()))
}

// ---------------------------------------------------------------------
// net/url.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Path,
    Host,
    Zone,
    UserPassword,
    QueryComponent,
    Fragment,
}

fn should_escape(c: u8, mode: Mode) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if (mode == Mode::Host || mode == Mode::Zone)
        && matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'['
                | b']'
                | b'<'
                | b'>'
                | b'"'
        )
    {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => return false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => match mode {
            Mode::Path => return c == b'?',
            Mode::UserPassword => return matches!(c, b'@' | b'/' | b'?' | b':'),
            Mode::QueryComponent => return true,
            Mode::Fragment => return false,
            Mode::Host | Mode::Zone => {}
        },
        _ => {}
    }
    if mode == Mode::Fragment && matches!(c, b'!' | b'(' | b')' | b'*') {
        return false;
    }
    true
}

fn unhex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// Go's `unescape`; the error is the text of Go's error.
fn unescape(s: &[u8], mode: Mode) -> Result<Vec<u8>, String> {
    let mut n = 0;
    let mut has_plus = false;
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' => {
                n += 1;
                if i + 2 >= s.len()
                    || !s[i + 1].is_ascii_hexdigit()
                    || !s[i + 2].is_ascii_hexdigit()
                {
                    let rest = &s[i..];
                    let rest = &rest[..rest.len().min(3)];
                    return Err(escape_error(rest));
                }
                if mode == Mode::Host && unhex(s[i + 1]) < 8 && &s[i..i + 3] != b"%25" {
                    return Err(escape_error(&s[i..i + 3]));
                }
                if mode == Mode::Zone {
                    let v = (unhex(s[i + 1]) << 4) | unhex(s[i + 2]);
                    if &s[i..i + 3] != b"%25" && v != b' ' && should_escape(v, Mode::Host) {
                        return Err(escape_error(&s[i..i + 3]));
                    }
                }
                i += 3;
            }
            b'+' => {
                has_plus = mode == Mode::QueryComponent;
                i += 1;
            }
            c => {
                if (mode == Mode::Host || mode == Mode::Zone) && c < 0x80 && should_escape(c, mode)
                {
                    return Err(format!(
                        "invalid character {} in host name",
                        quote(&String::from_utf8_lossy(&s[i..i + 1]))
                    ));
                }
                i += 1;
            }
        }
    }
    if n == 0 && !has_plus {
        return Ok(s.to_vec());
    }
    let mut t = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' => {
                t.push((unhex(s[i + 1]) << 4) | unhex(s[i + 2]));
                i += 2;
            }
            b'+' if mode == Mode::QueryComponent => t.push(b' '),
            c => t.push(c),
        }
        i += 1;
    }
    Ok(t)
}

fn escape_error(s: &[u8]) -> String {
    format!("invalid URL escape {}", go_quote_bytes(s))
}

/// `strconv.Quote` of bytes that may not be UTF-8 (Go escapes each
/// invalid byte as `\xNN`).
fn go_quote_bytes(s: &[u8]) -> String {
    match std::str::from_utf8(s) {
        Ok(text) => quote(text),
        Err(_) => {
            let mut out = String::from("\"");
            let mut rest = s;
            while !rest.is_empty() {
                match std::str::from_utf8(rest) {
                    Ok(text) => {
                        let q = quote(text);
                        out.push_str(&q[1..q.len() - 1]);
                        break;
                    }
                    Err(e) => {
                        let (good, bad) = rest.split_at(e.valid_up_to());
                        let q = quote(std::str::from_utf8(good).unwrap_or(""));
                        out.push_str(&q[1..q.len() - 1]);
                        out.push_str(&format!("\\x{:02x}", bad[0]));
                        rest = &bad[1..];
                    }
                }
            }
            out.push('"');
            out
        }
    }
}

fn escape(s: &str, mode: Mode) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if c == b' ' && mode == Mode::QueryComponent {
            out.push('+');
        } else if should_escape(c, mode) {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(c >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(c & 15)]));
        } else {
            out.push(char::from(c));
        }
    }
    out
}

fn lossy(b: Vec<u8>) -> String {
    String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// `url.Userinfo`.
#[derive(Clone, Debug, Default)]
struct Userinfo {
    username: String,
    password: Option<String>,
}

impl Userinfo {
    /// `Userinfo.String()`: escaped `user[:password]`.
    fn string(&self) -> String {
        let mut s = escape(&self.username, Mode::UserPassword);
        if let Some(p) = &self.password {
            s.push(':');
            s.push_str(&escape(p, Mode::UserPassword));
        }
        s
    }
}

/// `url.URL`.
#[derive(Clone, Debug, Default)]
struct Url {
    scheme: String,
    opaque: String,
    user: Option<Userinfo>,
    host: String,
    path: String,
    raw_path: String,
    force_query: bool,
    raw_query: String,
    fragment: String,
    raw_fragment: String,
}

fn get_scheme(raw: &str) -> Result<(&str, &str), String> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' => {
                if i == 0 {
                    return Ok(("", raw));
                }
            }
            b':' => {
                if i == 0 {
                    return Err("missing protocol scheme".into());
                }
                return Ok((&raw[..i], &raw[i + 1..]));
            }
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

/// `url.Parse`; the error is the `*url.Error` text.
fn parse(raw: &str) -> Result<Url, String> {
    let (u, frag) = match raw.split_once('#') {
        Some((u, f)) => (u, Some(f)),
        None => (raw, None),
    };
    let err = |url: &str, e: String| format!("parse {}: {e}", quote(url));
    let mut url = parse_no_fragment(u).map_err(|e| err(u, e))?;
    let Some(frag) = frag.filter(|f| !f.is_empty()) else {
        return Ok(url);
    };
    url.set_fragment(frag).map_err(|e| err(raw, e))?;
    Ok(url)
}

fn parse_no_fragment(raw: &str) -> Result<Url, String> {
    if raw.bytes().any(|b| b < b' ' || b == 0x7f) {
        return Err("net/url: invalid control character in URL".into());
    }
    let mut url = Url::default();
    if raw == "*" {
        url.path = "*".into();
        return Ok(url);
    }
    let (scheme, mut rest) = get_scheme(raw)?;
    url.scheme = scheme.to_ascii_lowercase();
    if rest.ends_with('?') && rest.matches('?').count() == 1 {
        url.force_query = true;
        rest = &rest[..rest.len() - 1];
    } else if let Some((r, q)) = rest.split_once('?') {
        rest = r;
        url.raw_query = q.to_string();
    }
    if !rest.starts_with('/') {
        if !url.scheme.is_empty() {
            url.opaque = rest.to_string();
            return Ok(url);
        }
        let segment = rest.split('/').next().unwrap_or("");
        if segment.contains(':') {
            return Err("first path segment in URL cannot contain colon".into());
        }
    }
    if (!url.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let mut authority = &rest[2..];
        rest = "";
        if let Some(i) = authority.find('/') {
            rest = &authority[i..];
            authority = &authority[..i];
        }
        let (user, host) = parse_authority(authority)?;
        url.user = user;
        url.host = host;
    }
    url.set_path(rest)?;
    Ok(url)
}

fn valid_userinfo(s: &str) -> bool {
    s.chars().all(|r| {
        r.is_ascii_alphanumeric()
            || matches!(
                r,
                '-' | '.'
                    | '_'
                    | ':'
                    | '~'
                    | '!'
                    | '$'
                    | '&'
                    | '\''
                    | '('
                    | ')'
                    | '*'
                    | '+'
                    | ','
                    | ';'
                    | '='
                    | '%'
                    | '@'
            )
    })
}

fn parse_authority(authority: &str) -> Result<(Option<Userinfo>, String), String> {
    let i = authority.rfind('@');
    let host = match i {
        None => parse_host(authority)?,
        Some(i) => parse_host(&authority[i + 1..])?,
    };
    let Some(i) = i else {
        return Ok((None, host));
    };
    let userinfo = &authority[..i];
    if !valid_userinfo(userinfo) {
        return Err("net/url: invalid userinfo".into());
    }
    let user = match userinfo.split_once(':') {
        None => Userinfo {
            username: lossy(unescape(userinfo.as_bytes(), Mode::UserPassword)?),
            password: None,
        },
        Some((u, p)) => Userinfo {
            username: lossy(unescape(u.as_bytes(), Mode::UserPassword)?),
            password: Some(lossy(unescape(p.as_bytes(), Mode::UserPassword)?)),
        },
    };
    Ok((Some(user), host))
}

fn valid_optional_port(port: &str) -> bool {
    match port.strip_prefix(':') {
        None => port.is_empty(),
        Some(digits) => digits.bytes().all(|b| b.is_ascii_digit()),
    }
}

fn parse_host(host: &str) -> Result<String, String> {
    if let Some(open) = host.rfind('[') {
        if open > 0 {
            return Err("invalid IP-literal".into());
        }
        let close = host.rfind(']').ok_or("missing ']' in host")?;
        if close < open {
            return Err("missing ']' in host".into());
        }
        let colon_port = &host[close + 1..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {} after host", quote(colon_port)));
        }
        let colon_port = lossy(unescape(colon_port.as_bytes(), Mode::Host)?);
        let hostname = &host[open + 1..close];
        let unescaped = match hostname.find("%25") {
            Some(z) => {
                let mut h = unescape(&hostname.as_bytes()[..z], Mode::Host)?;
                h.extend(unescape(&hostname.as_bytes()[z..], Mode::Zone)?);
                lossy(h)
            }
            None => lossy(unescape(hostname.as_bytes(), Mode::Host)?),
        };
        if parse_addr(&unescaped).map_err(|e| format!("invalid host: {e}"))? {
            return Err("invalid IP-literal".into());
        }
        return Ok(format!("[{unescaped}]{colon_port}"));
    } else if let Some(i) = host.rfind(':') {
        let colon_port = &host[i..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {} after host", quote(colon_port)));
        }
    }
    Ok(lossy(unescape(host.as_bytes(), Mode::Host)?))
}

fn addr_error(input: &str, msg: &str, at: &str) -> String {
    if at.is_empty() {
        format!("ParseAddr({}): {msg}", quote(input))
    } else {
        format!("ParseAddr({}): {msg} (at {})", quote(input), quote(at))
    }
}

/// `netip.ParseAddr`: whether the address is IPv4, or Go's error text.
fn parse_addr(s: &str) -> Result<bool, String> {
    for c in s.bytes() {
        match c {
            b'.' => return parse_ipv4(s).map(|_| true),
            b':' => return parse_ipv6(s).map(|_| false),
            b'%' => return Err(addr_error(s, "missing IPv6 address", "")),
            _ => {}
        }
    }
    Err(addr_error(s, "unable to parse IP", ""))
}

fn parse_ipv4(s: &str) -> Result<[u8; 4], String> {
    let b = s.as_bytes();
    let mut fields = [0u8; 4];
    let (mut val, mut pos, mut dig_len) = (0u32, 0usize, 0);
    for i in 0..b.len() {
        if b[i].is_ascii_digit() {
            if dig_len == 1 && val == 0 {
                return Err(addr_error(s, "IPv4 field has octet with leading zero", ""));
            }
            val = val * 10 + u32::from(b[i] - b'0');
            dig_len += 1;
            if val > 255 {
                return Err(addr_error(s, "IPv4 field has value >255", ""));
            }
        } else if b[i] == b'.' {
            if i == 0 || i == b.len() - 1 || b[i - 1] == b'.' {
                return Err(addr_error(
                    s,
                    "IPv4 field must have at least one digit",
                    &s[i..],
                ));
            }
            if pos == 3 {
                return Err(addr_error(s, "IPv4 address too long", ""));
            }
            fields[pos] = val as u8;
            pos += 1;
            val = 0;
            dig_len = 0;
        } else {
            return Err(addr_error(s, "unexpected character", &s[i..]));
        }
    }
    if pos < 3 {
        return Err(addr_error(s, "IPv4 address too short", ""));
    }
    fields[3] = val as u8;
    Ok(fields)
}

fn parse_ipv6(input: &str) -> Result<(), String> {
    let mut s = input;
    if let Some(i) = s.find('%') {
        if s[i + 1..].is_empty() {
            return Err(addr_error(input, "zone must be a non-empty string", ""));
        }
        s = &s[..i];
    }
    let mut ellipsis: i32 = -1;
    if s.starts_with("::") {
        ellipsis = 0;
        s = &s[2..];
        if s.is_empty() {
            return Ok(());
        }
    }
    let mut i = 0;
    while i < 16 {
        let b = s.as_bytes();
        let mut off = 0;
        let mut acc: u32 = 0;
        while off < b.len() {
            let c = b[off];
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => break,
            };
            acc = (acc << 4) + u32::from(d);
            if acc > 0xffff {
                return Err(addr_error(input, "IPv6 field has value >=2^16", s));
            }
            off += 1;
        }
        if off == 0 {
            return Err(addr_error(
                input,
                "each colon-separated field must have at least one digit",
                s,
            ));
        }
        if off < b.len() && b[off] == b'.' {
            if ellipsis < 0 && i != 12 {
                return Err(addr_error(
                    input,
                    "embedded IPv4 address must replace the final 2 fields of the address",
                    s,
                ));
            }
            if i + 4 > 16 {
                return Err(addr_error(
                    input,
                    "too many hex fields to fit an embedded IPv4 at the end of the address",
                    s,
                ));
            }
            parse_ipv4(s).map_err(|e| addr_error(input, &e, s))?;
            s = "";
            i += 4;
            break;
        }
        i += 2;
        s = &s[off..];
        if s.is_empty() {
            break;
        }
        if !s.starts_with(':') {
            return Err(addr_error(input, "unexpected character, want colon", s));
        } else if s.len() == 1 {
            return Err(addr_error(
                input,
                "colon must be followed by more characters",
                s,
            ));
        }
        s = &s[1..];
        if s.starts_with(':') {
            if ellipsis >= 0 {
                return Err(addr_error(input, "multiple :: in address", s));
            }
            ellipsis = i;
            s = &s[1..];
            if s.is_empty() {
                break;
            }
        }
    }
    if !s.is_empty() {
        return Err(addr_error(input, "trailing garbage after address", s));
    }
    if i < 16 {
        if ellipsis < 0 {
            return Err(addr_error(input, "address string too short", ""));
        }
    } else if ellipsis >= 0 {
        return Err(addr_error(
            input,
            "the :: must expand to at least one field of zeros",
            "",
        ));
    }
    Ok(())
}

fn valid_encoded(s: &str, mode: Mode) -> bool {
    s.bytes().all(|c| {
        matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'['
                | b']'
                | b'%'
        ) || !should_escape(c, mode)
    })
}

impl Url {
    fn set_path(&mut self, p: &str) -> Result<(), String> {
        self.path = lossy(unescape(p.as_bytes(), Mode::Path)?);
        self.raw_path = if escape(&self.path, Mode::Path) == p {
            String::new()
        } else {
            p.to_string()
        };
        Ok(())
    }

    fn set_fragment(&mut self, f: &str) -> Result<(), String> {
        self.fragment = lossy(unescape(f.as_bytes(), Mode::Fragment)?);
        self.raw_fragment = if escape(&self.fragment, Mode::Fragment) == f {
            String::new()
        } else {
            f.to_string()
        };
        Ok(())
    }

    fn escaped_path(&self) -> String {
        if !self.raw_path.is_empty() && valid_encoded(&self.raw_path, Mode::Path) {
            if let Ok(p) = unescape(self.raw_path.as_bytes(), Mode::Path) {
                if p == self.path.as_bytes() {
                    return self.raw_path.clone();
                }
            }
        }
        if self.path == "*" {
            return "*".into();
        }
        escape(&self.path, Mode::Path)
    }

    fn escaped_fragment(&self) -> String {
        if !self.raw_fragment.is_empty() && valid_encoded(&self.raw_fragment, Mode::Fragment) {
            if let Ok(f) = unescape(self.raw_fragment.as_bytes(), Mode::Fragment) {
                if f == self.fragment.as_bytes() {
                    return self.raw_fragment.clone();
                }
            }
        }
        escape(&self.fragment, Mode::Fragment)
    }

    /// `URL.Hostname()`.
    fn hostname(&self) -> String {
        let mut host = self.host.as_str();
        if let Some(colon) = host.rfind(':') {
            if valid_optional_port(&host[colon..]) {
                host = &host[..colon];
            }
        }
        if host.starts_with('[') && host.ends_with(']') && host.len() >= 2 {
            host = &host[1..host.len() - 1];
        }
        host.to_string()
    }

    /// `URL.String()`.
    fn string(&self) -> String {
        let mut buf = String::new();
        if !self.scheme.is_empty() {
            buf.push_str(&self.scheme);
            buf.push(':');
        }
        if !self.opaque.is_empty() {
            buf.push_str(&self.opaque);
        } else {
            if !self.scheme.is_empty() || !self.host.is_empty() || self.user.is_some() {
                if !self.host.is_empty() || !self.path.is_empty() || self.user.is_some() {
                    buf.push_str("//");
                }
                if let Some(ui) = &self.user {
                    buf.push_str(&ui.string());
                    buf.push('@');
                }
                if !self.host.is_empty() {
                    buf.push_str(&escape(&self.host, Mode::Host));
                }
            }
            let path = self.escaped_path();
            if !path.is_empty() && !path.starts_with('/') && !self.host.is_empty() {
                buf.push('/');
            }
            if buf.is_empty() {
                let segment = path.split('/').next().unwrap_or("");
                if segment.contains(':') {
                    buf.push_str("./");
                }
            }
            buf.push_str(&path);
        }
        if self.force_query || !self.raw_query.is_empty() {
            buf.push('?');
            buf.push_str(&self.raw_query);
        }
        if !self.fragment.is_empty() {
            buf.push('#');
            buf.push_str(&self.escaped_fragment());
        }
        buf
    }
}

#[cfg(test)]
mod tests {
    use super::super::call;
    use super::*;

    fn parsed(raw: &str) -> BTreeMap<String, String> {
        let v = call("urlParse", &[Value::str(raw)]).unwrap();
        v.as_map()
            .unwrap()
            .entries()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn join(pairs: &[(&str, &str)]) -> String {
        let m = Map::new();
        for (k, v) in pairs {
            m.insert(*k, Value::str(*v));
        }
        match call("urlJoin", &[Value::Map(m)]) {
            Ok(v) => v.to_string(),
            Err(e) => format!("ERR {e}"),
        }
    }

    #[test]
    fn url_parse_from_the_oracle() {
        let u = parsed("https://user:p%40ss@example.com:8443/a/b%20c?x=1&y=%2F#frag%21");
        assert_eq!(u["scheme"], "https");
        assert_eq!(u["host"], "example.com:8443");
        assert_eq!(u["hostname"], "example.com");
        assert_eq!(u["path"], "/a/b c");
        assert_eq!(u["query"], "x=1&y=%2F");
        assert_eq!(u["fragment"], "frag!");
        assert_eq!(u["userinfo"], "user:p%40ss");
        let u = parsed("http://[fe80::1%25en0]:8080/");
        assert_eq!(u["host"], "[fe80::1%en0]:8080");
        assert_eq!(u["hostname"], "fe80::1%en0");
        let u = parsed("mailto:someone@example.com?subject=hi");
        assert_eq!(u["opaque"], "someone@example.com");
        assert_eq!(parsed("ftp://a%20b:c%3Ad@h/")["userinfo"], "a%20b:c%3Ad");
        assert_eq!(parsed("http://:80/")["hostname"], "");
    }

    #[test]
    fn url_parse_errors() {
        let e = |raw: &str| call("urlParse", &[Value::str(raw)]).unwrap_err().0;
        assert_eq!(
            e("http://h/%zz"),
            "unable to parse url: parse \"http://h/%zz\": invalid URL escape \"%zz\""
        );
        assert_eq!(
            e("http://h:port/"),
            "unable to parse url: parse \"http://h:port/\": invalid port \":port\" after host"
        );
        assert_eq!(
            e("http://[notip]/"),
            "unable to parse url: parse \"http://[notip]/\": invalid host: ParseAddr(\"notip\"): unable to parse IP"
        );
        assert_eq!(
            e("http://[::1::2]/"),
            "unable to parse url: parse \"http://[::1::2]/\": invalid host: ParseAddr(\"::1::2\"): multiple :: in address (at \":2\")"
        );
        assert_eq!(
            e("http://[1.2.3.4]/"),
            "unable to parse url: parse \"http://[1.2.3.4]/\": invalid IP-literal"
        );
        assert_eq!(
            e("http://a{b}/"),
            "unable to parse url: parse \"http://a{b}/\": invalid character \"{\" in host name"
        );
        assert_eq!(
            e("1a:b"),
            "unable to parse url: parse \"1a:b\": first path segment in URL cannot contain colon"
        );
    }

    #[test]
    fn url_join_from_the_oracle() {
        assert_eq!(
            join(&[
                ("scheme", "https"),
                ("host", "example.com:8443"),
                ("path", "/a/b c"),
                ("query", "x=1"),
                ("fragment", "f g"),
                ("userinfo", "user:p@ss"),
            ]),
            "https://user:p%40ss@example.com:8443/a/b%20c?x=1#f%20g"
        );
        assert_eq!(join(&[("path", "a:b")]), "./a:b");
        assert_eq!(join(&[("host", "h"), ("path", "rel")]), "//h/rel");
        assert_eq!(join(&[("scheme", "http"), ("path", "/p")]), "http:///p");
        assert_eq!(
            join(&[("path", "/p"), ("fragment", "a!b(c)*d'e f")]),
            "/p#a!b(c)*d%27e%20f"
        );
        assert_eq!(join(&[("host", "h"), ("userinfo", "a/b")]), "//h");
        assert_eq!(
            join(&[("host", "h"), ("userinfo", "%zz")]),
            "ERR unable to parse userinfo in dict: parse \"proto://%zz@host\": invalid URL escape \"%zz\""
        );
        let m = Map::new();
        m.insert("path", Value::Float(1.5));
        assert_eq!(
            call("urlJoin", &[Value::Map(m)]).unwrap_err().0,
            "unable to parse path key, must be of type string, but float64 found"
        );
    }

    #[test]
    fn get_host_by_name() {
        assert_eq!(
            call("getHostByName", &[Value::str("localhost")])
                .unwrap()
                .to_string(),
            ""
        );
        let ip = get_host_by_name_dns(&[Value::str("localhost")]).unwrap();
        let ip: std::net::IpAddr = ip.to_string().parse().unwrap();
        assert!(ip.is_loopback());
        assert_eq!(
            get_host_by_name_dns(&[Value::str("")]).unwrap_err().0,
            "invalid argument to Intn"
        );
    }
}
