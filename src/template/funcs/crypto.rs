//! Sprig's crypto functions: digests (`sha1sum`, `sha256sum`,
//! `sha512sum`, `adler32sum`), `bcrypt`/`htpasswd`, `derivePassword`
//! (Master Password: scrypt + HMAC-SHA256, deterministic), `randBytes`,
//! `uuidv4`, `encryptAES`/`decryptAES` (AES-256-CBC, zero-padded key,
//! PKCS#7, random IV in front, base64), `genPrivateKey` (rsa 4096, dsa
//! 2048/256, ecdsa P-256, ed25519, PEM as Go writes it) and the
//! certificate functions (`genCA`, `genSelfSignedCert`, `genSignedCert`,
//! their `WithKey` forms and `buildCustomCert`), which return Sprig's
//! `certificate{Cert, Key string}`.
//!
//! Certificates are built as Go's `x509.CreateCertificate` builds them
//! from Sprig's template: v3, a random 128-bit serial, CN-only subject,
//! NotBefore now and NotAfter `days`×24h later, key usage (critical),
//! server+client extended key usage, basic constraints (critical), a
//! subject key id for CAs (truncated SHA-256, Go 1.25), the issuer's key
//! id, and the SANs (DNS names then IPs; critical when the subject is
//! empty); SHA-256 with RSA, ECDSA with SHA-256, or Ed25519. Go's error
//! texts are kept where templates can reach them.

use std::rc::Rc;

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256, Sha512};

use super::date::{GoTime, Loc, SECOND};
use super::{arg_bytes, FuncError, FuncResult, Registry, StringBytes, Ty};
use crate::template::gofmt::quote;
use crate::template::value::{Object, Value};

/// Registers this family's functions.
pub(super) fn register(r: &mut Registry) {
    const CERT: Ty = Ty::Named("sprig.certificate");
    r.add("sha1sum", &[Ty::String], None, |a| {
        Ok(Value::str(hex::encode(sha1::Sha1::digest(arg_bytes(a, 0)))))
    });
    r.add("sha256sum", &[Ty::String], None, |a| {
        Ok(Value::str(hex::encode(Sha256::digest(arg_bytes(a, 0)))))
    });
    r.add("sha512sum", &[Ty::String], None, |a| {
        Ok(Value::str(hex::encode(Sha512::digest(arg_bytes(a, 0)))))
    });
    r.add("adler32sum", &[Ty::String], None, |a| {
        Ok(Value::str(adler32(arg_bytes(a, 0)).to_string()))
    });
    r.add("bcrypt", &[Ty::String], None, |a| {
        Ok(Value::str(bcrypt(s(a, 0))))
    });
    r.add("htpasswd", &[Ty::String, Ty::String], None, htpasswd);
    r.add(
        "derivePassword",
        &[Ty::Uint32, Ty::String, Ty::String, Ty::String, Ty::String],
        None,
        derive_password,
    );
    r.add("randBytes", &[Ty::Int], None, rand_bytes);
    r.add("uuidv4", &[], None, |_| Ok(Value::str(uuidv4())));
    r.add("encryptAES", &[Ty::String, Ty::String], None, encrypt_aes);
    r.add("decryptAES", &[Ty::String, Ty::String], None, decrypt_aes);
    r.add("genPrivateKey", &[Ty::String], None, gen_private_key);
    r.add(
        "buildCustomCert",
        &[Ty::String, Ty::String],
        None,
        build_custom_cert,
    );
    r.add("genCA", &[Ty::String, Ty::Int], None, gen_ca);
    r.add(
        "genCAWithKey",
        &[Ty::String, Ty::Int, Ty::String],
        None,
        gen_ca_with_key,
    );
    r.add(
        "genSelfSignedCert",
        &[Ty::String, Ty::List, Ty::List, Ty::Int],
        None,
        gen_self_signed,
    );
    r.add(
        "genSelfSignedCertWithKey",
        &[Ty::String, Ty::List, Ty::List, Ty::Int, Ty::String],
        None,
        gen_self_signed_with_key,
    );
    r.add(
        "genSignedCert",
        &[Ty::String, Ty::List, Ty::List, Ty::Int, CERT],
        None,
        gen_signed,
    );
    r.add(
        "genSignedCertWithKey",
        &[Ty::String, Ty::List, Ty::List, Ty::Int, CERT, Ty::String],
        None,
        gen_signed_with_key,
    );
    r.string_bytes(
        StringBytes::Read,
        &["sha1sum", "sha256sum", "sha512sum", "adler32sum"],
    );
}

fn s(a: &[Value], i: usize) -> &str {
    a.get(i).and_then(Value::as_str).unwrap_or("")
}

fn int(a: &[Value], i: usize) -> i64 {
    a.get(i).and_then(Value::as_int).unwrap_or(0)
}

fn err(msg: impl Into<String>) -> FuncError {
    FuncError::new(msg)
}

// ---------------------------------------------------------------------
// Digests, passwords, random.

/// `hash/adler32`.
pub fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// Sprig's `bcrypt`: cost 10, `$2a$`, failures as text.
fn bcrypt(input: &str) -> String {
    if input.len() > 72 {
        return "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes"
            .into();
    }
    match bcrypt::hash_with_result(input, 10) {
        Ok(h) => h.format_for_version(bcrypt::Version::TwoA),
        Err(e) => format!("failed to encrypt string with bcrypt: {e}"),
    }
}

fn htpasswd(a: &[Value]) -> FuncResult {
    let user = s(a, 0);
    if user.contains(':') {
        return Ok(Value::str(format!("invalid username: {user}")));
    }
    Ok(Value::str(format!("{user}:{}", bcrypt(s(a, 1)))))
}

const PASSWORD_TEMPLATES: &[(&str, &[&str])] = &[
    ("maximum", &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"]),
    (
        "long",
        &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
    ),
    ("medium", &["CvcnoCvc", "CvcCvcno"]),
    ("short", &["Cvcn"]),
    ("basic", &["aaanaaan", "aannaaan", "aaannaaa"]),
    ("pin", &["nnnn"]),
];

fn template_characters(c: u8) -> &'static str {
    match c {
        b'V' => "AEIOU",
        b'C' => "BCDFGHJKLMNPQRSTVWXYZ",
        b'v' => "aeiou",
        b'c' => "bcdfghjklmnpqrstvwxyz",
        b'A' => "AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        b'a' => "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
        b'n' => "0123456789",
        b'o' => "@&%?,=[]_:-+*$#!'^~;()/.",
        b'x' => "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
        _ => "",
    }
}

/// Sprig's `derivePassword` (the Master Password algorithm).
fn derive_password(a: &[Value]) -> FuncResult {
    let counter = int(a, 0) as u32;
    let (typ, password, user, site) = (s(a, 1), s(a, 2), s(a, 3), s(a, 4));
    let Some((_, templates)) = PASSWORD_TEMPLATES.iter().find(|(n, _)| *n == typ) else {
        return Ok(Value::str(format!("cannot find password template {typ}")));
    };
    const SEED: &[u8] = b"com.lyndir.masterpassword";
    let mut salt = SEED.to_vec();
    salt.extend_from_slice(&(user.len() as u32).to_be_bytes());
    salt.extend_from_slice(user.as_bytes());
    let mut key = [0u8; 64];
    let params = scrypt::Params::new(15, 8, 2, 64).map_err(|e| err(e.to_string()))?;
    if let Err(e) = scrypt::scrypt(password.as_bytes(), &salt, &params, &mut key) {
        return Ok(Value::str(format!("failed to derive password: {e}")));
    }
    let mut msg = SEED.to_vec();
    msg.extend_from_slice(&(site.len() as u32).to_be_bytes());
    msg.extend_from_slice(site.as_bytes());
    msg.extend_from_slice(&counter.to_be_bytes());
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).map_err(|e| err(e.to_string()))?;
    mac.update(&msg);
    let seed = mac.finalize().into_bytes();
    let temp = templates[usize::from(seed[0]) % templates.len()].as_bytes();
    let mut out = String::new();
    for (i, &element) in temp.iter().enumerate() {
        let chars = template_characters(element).as_bytes();
        out.push(char::from(chars[usize::from(seed[i + 1]) % chars.len()]));
    }
    Ok(Value::str(out))
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    rand::rng().fill_bytes(&mut buf);
    buf
}

fn rand_bytes(a: &[Value]) -> FuncResult {
    let n = usize::try_from(int(a, 0))
        .map_err(|_| err("runtime error: makeslice: len out of range"))?;
    Ok(Value::str(b64(&random_bytes(n))))
}

/// A random (version 4) UUID.
pub fn uuidv4() -> String {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

// ---------------------------------------------------------------------
// Base64 (Go's StdEncoding: its padding rules and error offsets).

fn b64(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn b64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// `base64.StdEncoding.DecodeString`; the error is Go's
/// `illegal base64 data at input byte N`.
pub fn go_b64_decode(src: &[u8]) -> Result<Vec<u8>, String> {
    let corrupt = |at: usize| format!("illegal base64 data at input byte {at}");
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    loop {
        let mut dbuf = [0u8; 4];
        let mut dlen = 4;
        let mut j = 0;
        let mut trailing: Option<usize> = None;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                return Err(corrupt(si - j));
            }
            let c = src[si];
            si += 1;
            if let Some(v) = b64_value(c) {
                dbuf[j] = v;
                j += 1;
                continue;
            }
            if c == b'\n' || c == b'\r' {
                continue;
            }
            if c != b'=' {
                return Err(corrupt(si - 1));
            }
            match j {
                0 | 1 => return Err(corrupt(si - 1)),
                2 => {
                    while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                        si += 1;
                    }
                    if si == src.len() {
                        return Err(corrupt(src.len()));
                    }
                    if src[si] != b'=' {
                        return Err(corrupt(si - 1));
                    }
                    si += 1;
                }
                _ => {}
            }
            while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                si += 1;
            }
            if si < src.len() {
                trailing = Some(si);
            }
            dlen = j;
            break;
        }
        let val = (u32::from(dbuf[0]) << 18)
            | (u32::from(dbuf[1]) << 12)
            | (u32::from(dbuf[2]) << 6)
            | u32::from(dbuf[3]);
        let bytes = [(val >> 16) as u8, (val >> 8) as u8, val as u8];
        out.extend_from_slice(&bytes[..dlen - 1]);
        if let Some(at) = trailing {
            return Err(corrupt(at));
        }
        if dlen < 4 {
            return Ok(out);
        }
    }
}

// ---------------------------------------------------------------------
// AES.

fn aes_key(password: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    let p = password.as_bytes();
    let n = p.len().min(32);
    key[..n].copy_from_slice(&p[..n]);
    key
}

fn encrypt_aes(a: &[Value]) -> FuncResult {
    use aes::cipher::{BlockEncryptMut, KeyIvInit};
    let plaintext = s(a, 1);
    if plaintext.is_empty() {
        return Ok(Value::str(""));
    }
    let key = aes_key(s(a, 0));
    let mut content = plaintext.as_bytes().to_vec();
    let padding = 16 - content.len() % 16;
    content.extend(std::iter::repeat_n(padding as u8, padding));
    let iv = random_bytes(16);
    let mut enc = cbc::Encryptor::<aes::Aes256>::new(&key.into(), iv.as_slice().into());
    for block in content.chunks_mut(16) {
        enc.encrypt_block_mut(block.into());
    }
    let mut out = iv;
    out.extend_from_slice(&content);
    Ok(Value::str(b64(&out)))
}

fn decrypt_aes(a: &[Value]) -> FuncResult {
    use aes::cipher::{BlockDecryptMut, KeyIvInit};
    let crypt64 = s(a, 1);
    if crypt64.is_empty() {
        return Ok(Value::str(""));
    }
    let key = aes_key(s(a, 0));
    let crypt = go_b64_decode(crypt64.as_bytes()).map_err(err)?;
    if crypt.len() < 16 {
        // Go's DecodeString slices a buffer of DecodedLen(len(input)).
        return Err(err(format!(
            "runtime error: slice bounds out of range [:16] with capacity {}",
            crypt64.len() / 4 * 3
        )));
    }
    let (iv, body) = crypt.split_at(16);
    if body.len() % 16 != 0 {
        return Err(err("crypto/cipher: input not full blocks"));
    }
    let mut decrypted = body.to_vec();
    let mut dec = cbc::Decryptor::<aes::Aes256>::new(&key.into(), iv.into());
    for block in decrypted.chunks_mut(16) {
        dec.decrypt_block_mut(block.into());
    }
    let Some(&last) = decrypted.last() else {
        return Err(err("runtime error: index out of range [-1]"));
    };
    let end = decrypted.len() as i64 - i64::from(last);
    if end < 0 {
        return Err(err(format!(
            "runtime error: slice bounds out of range [:{end}]"
        )));
    }
    decrypted.truncate(end as usize);
    Ok(Value::go_string(decrypted))
}

// ---------------------------------------------------------------------
// DER.

mod der {
    /// A TLV with a definite length.
    pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let n = content.len();
        if n < 0x80 {
            out.push(n as u8);
        } else {
            let bytes = n.to_be_bytes();
            let skip = bytes.iter().take_while(|&&b| b == 0).count();
            out.push(0x80 | (bytes.len() - skip) as u8);
            out.extend_from_slice(&bytes[skip..]);
        }
        out.extend_from_slice(content);
        out
    }

    pub fn seq(parts: &[&[u8]]) -> Vec<u8> {
        tlv(0x30, &parts.concat())
    }

    /// An INTEGER from unsigned big-endian bytes.
    pub fn uint(be: &[u8]) -> Vec<u8> {
        let skip = be.iter().take_while(|&&b| b == 0).count();
        let mut body = be[skip..].to_vec();
        if body.first().is_none_or(|&b| b & 0x80 != 0) {
            body.insert(0, 0);
        }
        tlv(0x02, &body)
    }

    pub fn oid(dotted: &[u64]) -> Vec<u8> {
        let mut body = vec![(dotted[0] * 40 + dotted[1]) as u8];
        for &arc in &dotted[2..] {
            let mut stack = vec![(arc & 0x7f) as u8];
            let mut v = arc >> 7;
            while v > 0 {
                stack.push(0x80 | (v & 0x7f) as u8);
                v >>= 7;
            }
            stack.reverse();
            body.extend(stack);
        }
        tlv(0x06, &body)
    }

    pub fn octets(b: &[u8]) -> Vec<u8> {
        tlv(0x04, b)
    }

    pub fn bits(b: &[u8]) -> Vec<u8> {
        let mut body = vec![0u8];
        body.extend_from_slice(b);
        tlv(0x03, &body)
    }

    pub const NULL: [u8; 2] = [0x05, 0x00];

    /// One TLV at the front of `data`: (tag, content, rest).
    pub fn read(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = data.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            let len = rest[..n]
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (len, &rest[n..])
        };
        if rest.len() < len {
            return None;
        }
        Some((tag, &rest[..len], &rest[len..]))
    }
}

/// Go's `encoding/asn1` complaint when the outermost element of `data`
/// is not the SEQUENCE a `name` struct needs (the usual failure on
/// garbage); other malformations get Go's generic truncation text.
fn asn1_error(data: &[u8], name: &str) -> String {
    if data.is_empty() {
        return "asn1: syntax error: sequence truncated".into();
    }
    let b = data[0];
    let (class, compound, mut tag) = (b >> 6, b & 0x20 != 0, u32::from(b & 0x1f));
    let mut offset = 1;
    if tag == 0x1f {
        tag = 0;
        loop {
            let Some(&c) = data.get(offset) else {
                return "asn1: syntax error: data truncated".into();
            };
            offset += 1;
            tag = (tag << 7) | u32::from(c & 0x7f);
            if c & 0x80 == 0 {
                break;
            }
        }
    }
    let Some(&lb) = data.get(offset) else {
        return "asn1: syntax error: data truncated".into();
    };
    offset += 1;
    let mut length = usize::from(lb);
    if lb & 0x80 != 0 {
        let n = usize::from(lb & 0x7f);
        if data.len() < offset + n {
            return "asn1: syntax error: data truncated".into();
        }
        length = data[offset..offset + n]
            .iter()
            .fold(0usize, |acc, &x| (acc << 8) | usize::from(x));
        offset += n;
    }
    if data.len() - offset < length {
        return "asn1: syntax error: data truncated".into();
    }
    if class == 0 && tag == 16 && compound {
        return "asn1: syntax error: data truncated".into();
    }
    format!(
        "asn1: structure error: tags don't match (16 vs {{class:{class} tag:{tag} length:{length} isCompound:{compound}}}) {{optional:false explicit:false application:false private:false defaultValue:<nil> tag:<nil> stringType:0 timeType:0 set:false omitEmpty:false}} {name} @{offset}"
    )
}

// ---------------------------------------------------------------------
// PEM (Go's encoding/pem).

/// `pem.EncodeToMemory` of a block without headers.
fn pem_encode(typ: &str, der: &[u8]) -> String {
    let body = b64(der);
    let mut out = format!("-----BEGIN {typ}-----\n");
    for chunk in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or(""));
        out.push('\n');
    }
    out.push_str(&format!("-----END {typ}-----\n"));
    out
}

fn get_line(data: &[u8]) -> (&[u8], &[u8]) {
    let (line, rest) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &data[data.len()..]),
    };
    let end = line
        .iter()
        .rposition(|&b| !matches!(b, b' ' | b'\t' | b'\r'))
        .map_or(0, |i| i + 1);
    (&line[..end], rest)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `pem.Decode`: the first well-formed block's type and bytes.
fn pem_decode(data: &[u8]) -> Option<(String, Vec<u8>)> {
    const START: &[u8] = b"\n-----BEGIN ";
    const END: &[u8] = b"\n-----END ";
    const EOL: &[u8] = b"-----";
    let mut rest = data;
    loop {
        if rest.starts_with(&START[1..]) {
            rest = &rest[START.len() - 1..];
        } else if let Some(i) = find(rest, START) {
            rest = &rest[i + START.len()..];
        } else {
            return None;
        }
        let (type_line, after) = get_line(rest);
        rest = after;
        if !type_line.ends_with(EOL) {
            continue;
        }
        let type_line = &type_line[..type_line.len() - EOL.len()];
        let mut headers = 0;
        loop {
            if rest.is_empty() {
                return None;
            }
            let (line, next) = get_line(rest);
            if !line.contains(&b':') {
                break;
            }
            headers += 1;
            rest = next;
        }
        let (end_index, end_trailer_index) = if headers == 0 && rest.starts_with(&END[1..]) {
            (0, END.len() - 1)
        } else {
            match find(rest, END) {
                Some(i) => (i, i + END.len()),
                None => continue,
            }
        };
        let end_trailer = &rest[end_trailer_index..];
        let trailer_len = type_line.len() + EOL.len();
        if end_trailer.len() < trailer_len {
            continue;
        }
        let rest_of_end_line = &end_trailer[trailer_len..];
        let end_trailer = &end_trailer[..trailer_len];
        if !end_trailer.starts_with(type_line) || !end_trailer.ends_with(EOL) {
            continue;
        }
        if !get_line(rest_of_end_line).0.is_empty() {
            continue;
        }
        let b64data: Vec<u8> = rest[..end_index]
            .iter()
            .copied()
            .filter(|&b| b != b' ' && b != b'\t')
            .collect();
        match go_b64_decode(&b64data) {
            Ok(bytes) => return Some((String::from_utf8_lossy(type_line).into_owned(), bytes)),
            Err(_) => continue,
        }
    }
}

// ---------------------------------------------------------------------
// Keys.

/// DSA key material (Go's `DSAKeyFormat`), big-endian.
#[derive(Clone)]
struct DsaKey {
    p: Vec<u8>,
    q: Vec<u8>,
    g: Vec<u8>,
    y: Vec<u8>,
    x: Vec<u8>,
}

/// A private key of one of the types Go's parsers return.
#[derive(Clone)]
enum PrivKey {
    Rsa(Box<rsa::RsaPrivateKey>),
    Ec(p256::SecretKey),
    Ed(Box<ed25519_dalek::SigningKey>),
    Dsa(DsaKey),
}

const OID_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 1];
const OID_EC: &[u64] = &[1, 2, 840, 10045, 2, 1];
const OID_P256: &[u64] = &[1, 2, 840, 10045, 3, 1, 7];
const OID_ED25519: &[u64] = &[1, 3, 101, 112];
const OID_SHA256_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 11];
const OID_ECDSA_SHA256: &[u64] = &[1, 2, 840, 10045, 4, 3, 2];

impl PrivKey {
    /// Sprig's `pemBlockForKey`.
    fn pem(&self) -> Result<String, String> {
        Ok(match self {
            PrivKey::Rsa(k) => {
                use rsa::pkcs1::EncodeRsaPrivateKey;
                let der = k.to_pkcs1_der().map_err(|e| e.to_string())?;
                pem_encode("RSA PRIVATE KEY", der.as_bytes())
            }
            PrivKey::Ec(k) => {
                // x509.MarshalECPrivateKey: version 1, the scalar, the
                // curve and the public point.
                use p256::elliptic_curve::sec1::ToEncodedPoint;
                let point = k.public_key().to_encoded_point(false);
                let der = der::seq(&[
                    &der::uint(&[1]),
                    &der::octets(&k.to_bytes()),
                    &der::tlv(0xa0, &der::oid(OID_P256)),
                    &der::tlv(0xa1, &der::bits(point.as_bytes())),
                ]);
                pem_encode("EC PRIVATE KEY", &der)
            }
            PrivKey::Ed(k) => {
                // PKCS#8 v1 without the public key, as Go marshals it.
                let der = der::seq(&[
                    &der::uint(&[0]),
                    &der::seq(&[&der::oid(OID_ED25519)]),
                    &der::octets(&der::octets(k.as_bytes())),
                ]);
                pem_encode("PRIVATE KEY", &der)
            }
            PrivKey::Dsa(k) => {
                let der = der::seq(&[
                    &der::uint(&[0]),
                    &der::uint(&k.p),
                    &der::uint(&k.q),
                    &der::uint(&k.g),
                    &der::uint(&k.y),
                    &der::uint(&k.x),
                ]);
                pem_encode("DSA PRIVATE KEY", &der)
            }
        })
    }

    /// The SubjectPublicKeyInfo and the raw public key bits, or Go's
    /// error for a type x509 cannot put in a certificate.
    fn spki(&self) -> Result<(Vec<u8>, Vec<u8>), String> {
        let (alg, key) = match self {
            PrivKey::Rsa(k) => {
                use rsa::traits::PublicKeyParts;
                let key = der::seq(&[
                    &der::uint(&k.n().to_bytes_be()),
                    &der::uint(&k.e().to_bytes_be()),
                ]);
                (der::seq(&[&der::oid(OID_RSA), &der::NULL]), key)
            }
            PrivKey::Ec(k) => {
                use p256::elliptic_curve::sec1::ToEncodedPoint;
                let point = k.public_key().to_encoded_point(false);
                (
                    der::seq(&[&der::oid(OID_EC), &der::oid(OID_P256)]),
                    point.as_bytes().to_vec(),
                )
            }
            PrivKey::Ed(k) => (
                der::seq(&[&der::oid(OID_ED25519)]),
                k.verifying_key().to_bytes().to_vec(),
            ),
            PrivKey::Dsa(_) => {
                return Err("x509: unsupported public key type: *dsa.PublicKey".into())
            }
        };
        Ok((der::seq(&[&alg, &der::bits(&key)]), key))
    }

    /// The signature AlgorithmIdentifier Go picks for this signer.
    fn signature_algorithm(&self) -> Result<Vec<u8>, String> {
        match self {
            PrivKey::Rsa(_) => Ok(der::seq(&[&der::oid(OID_SHA256_RSA), &der::NULL])),
            PrivKey::Ec(_) => Ok(der::seq(&[&der::oid(OID_ECDSA_SHA256)])),
            PrivKey::Ed(_) => Ok(der::seq(&[&der::oid(OID_ED25519)])),
            PrivKey::Dsa(_) => {
                Err("x509: certificate private key does not implement crypto.Signer".into())
            }
        }
    }

    /// The signature AlgorithmIdentifier and the signature over `msg`.
    fn sign(&self, msg: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
        match self {
            PrivKey::Rsa(k) => {
                let digest = Sha256::digest(msg);
                let sig = k
                    .sign(rsa::Pkcs1v15Sign::new::<Sha256>(), &digest)
                    .map_err(|e| e.to_string())?;
                Ok((der::seq(&[&der::oid(OID_SHA256_RSA), &der::NULL]), sig))
            }
            PrivKey::Ec(k) => {
                use p256::ecdsa::signature::Signer;
                let sk = p256::ecdsa::SigningKey::from(k);
                let sig: p256::ecdsa::Signature = sk.sign(msg);
                Ok((
                    der::seq(&[&der::oid(OID_ECDSA_SHA256)]),
                    sig.to_der().as_bytes().to_vec(),
                ))
            }
            PrivKey::Ed(k) => {
                use ed25519_dalek::Signer;
                Ok((
                    der::seq(&[&der::oid(OID_ED25519)]),
                    k.sign(msg).to_bytes().to_vec(),
                ))
            }
            PrivKey::Dsa(_) => {
                Err("x509: certificate private key does not implement crypto.Signer".into())
            }
        }
    }
}

fn parse_ec_sec1(der: &[u8]) -> Result<p256::SecretKey, String> {
    p256::SecretKey::from_sec1_der(der).map_err(|_| {
        format!(
            "x509: failed to parse EC private key: {}",
            asn1_error(der, "ecPrivateKey")
        )
    })
}

fn parse_pkcs8(der: &[u8]) -> Result<PrivKey, String> {
    use rsa::pkcs8::DecodePrivateKey;
    if let Ok(k) = rsa::RsaPrivateKey::from_pkcs8_der(der) {
        return Ok(PrivKey::Rsa(Box::new(k)));
    }
    if let Ok(k) = p256::SecretKey::from_pkcs8_der(der) {
        return Ok(PrivKey::Ec(k));
    }
    if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_der(der) {
        return Ok(PrivKey::Ed(Box::new(k)));
    }
    // Structurally a PKCS#8 document but of a kind not handled here.
    if let Some((0x30, body, _)) = der::read(der) {
        if let Some((0x02, _, rest)) = der::read(body) {
            if let Some((0x30, alg, _)) = der::read(rest) {
                if let Some((0x06, oid, _)) = der::read(alg) {
                    return Err(format!(
                        "x509: PKCS#8 wrapping contained private key with unknown algorithm: {}",
                        oid_string(oid)
                    ));
                }
            }
        }
    }
    Err(asn1_error(der, "pkcs8"))
}

fn oid_string(body: &[u8]) -> String {
    let mut arcs: Vec<u64> = Vec::new();
    let mut v: u64 = 0;
    for (i, &b) in body.iter().enumerate() {
        v = (v << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if i == 0 || arcs.is_empty() {
                let (a, b2) = if v < 80 {
                    (v / 40, v % 40)
                } else {
                    (2, v - 80)
                };
                arcs.push(a);
                arcs.push(b2);
            } else {
                arcs.push(v);
            }
            v = 0;
        }
    }
    arcs.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

fn parse_dsa(der: &[u8]) -> Result<DsaKey, String> {
    let bad = || asn1_error(der, "sprig.DSAKeyFormat");
    let (tag, body, _) = der::read(der).ok_or_else(bad)?;
    if tag != 0x30 {
        return Err(bad());
    }
    let mut ints = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let (t, v, r) = der::read(rest).ok_or_else(bad)?;
        if t != 0x02 {
            return Err(bad());
        }
        ints.push(v.to_vec());
        rest = r;
    }
    if ints.len() != 6 {
        return Err(bad());
    }
    let strip = |v: &Vec<u8>| {
        v.iter()
            .skip_while(|&&b| b == 0)
            .copied()
            .collect::<Vec<u8>>()
    };
    Ok(DsaKey {
        p: strip(&ints[1]),
        q: strip(&ints[2]),
        g: strip(&ints[3]),
        y: strip(&ints[4]),
        x: strip(&ints[5]),
    })
}

/// Sprig's `parsePrivateKeyPEM`; the error is Sprig's text.
fn parse_private_key_pem(pem: &str) -> Result<PrivKey, String> {
    let (typ, bytes) = pem_decode(pem.as_bytes()).ok_or("no PEM data in input")?;
    if typ == "PRIVATE KEY" {
        return parse_pkcs8(&bytes).map_err(|e| format!("decoding PEM as PKCS#8: {e}"));
    }
    let Some(kind) = typ.strip_suffix(" PRIVATE KEY") else {
        return Err(format!("no private key data in PEM block of type {typ}"));
    };
    match kind {
        "RSA" => {
            use rsa::pkcs1::DecodeRsaPrivateKey;
            rsa::RsaPrivateKey::from_pkcs1_der(&bytes)
                .map(|k| PrivKey::Rsa(Box::new(k)))
                .map_err(|_| {
                    format!(
                        "parsing RSA private key from PEM: {}",
                        asn1_error(&bytes, "pkcs1PrivateKey")
                    )
                })
        }
        "EC" => parse_ec_sec1(&bytes)
            .map(PrivKey::Ec)
            .map_err(|e| format!("parsing EC private key from PEM: {e}")),
        "DSA" => parse_dsa(&bytes)
            .map(PrivKey::Dsa)
            .map_err(|e| format!("parsing DSA private key from PEM: {e}")),
        _ => Err(format!("invalid private key type {typ}")),
    }
}

fn generate_key(typ: &str) -> Result<PrivKey, String> {
    let mut rng = rand_core::OsRng;
    Ok(match typ {
        "" | "rsa" => generate_rsa(4096)?,
        "dsa" => generate_dsa(dsa::KeySize::DSA_2048_256),
        "ecdsa" => PrivKey::Ec(p256::SecretKey::random(&mut rng)),
        "ed25519" => PrivKey::Ed(Box::new(ed25519_dalek::SigningKey::generate(&mut rng))),
        _ => return Err(format!("Unknown type {typ}")),
    })
}

fn generate_rsa(bits: usize) -> Result<PrivKey, String> {
    rsa::RsaPrivateKey::new(&mut rand_core::OsRng, bits)
        .map(|k| PrivKey::Rsa(Box::new(k)))
        .map_err(|e| e.to_string())
}

fn generate_dsa(size: dsa::KeySize) -> PrivKey {
    let mut rng = rand_core::OsRng;
    let components = dsa::Components::generate(&mut rng, size);
    let key = dsa::SigningKey::generate(&mut rng, components);
    let vk = key.verifying_key();
    let c = vk.components();
    PrivKey::Dsa(DsaKey {
        p: c.p().to_bytes_be(),
        q: c.q().to_bytes_be(),
        g: c.g().to_bytes_be(),
        y: vk.y().to_bytes_be(),
        x: key.x().to_bytes_be(),
    })
}

fn gen_private_key(a: &[Value]) -> FuncResult {
    let typ = s(a, 0);
    match generate_key(typ) {
        Ok(k) => Ok(Value::str(k.pem().map_err(err)?)),
        Err(e) if e.starts_with("Unknown type") => Ok(Value::str(e)),
        Err(e) => Ok(Value::str(format!("failed to generate private key: {e}"))),
    }
}

// ---------------------------------------------------------------------
// Certificates.

/// Sprig's `certificate{Cert, Key string}` as a template value.
pub fn certificate_value(cert: String, key: String) -> Value {
    let pair = std::cell::OnceCell::new();
    let _ = pair.set((cert, key));
    Value::Object(Rc::new(Certificate {
        pair,
        pending: std::cell::RefCell::new(None),
    }))
}

/// A certificate whose key is generated when its `Cert` or `Key` is first
/// read: charts often call `genCA` in a branch that never uses it (bitnami's
/// `$ca := genCA ...` above an `if .Values.tls.autoGenerated`), and an RSA
/// key costs tens of milliseconds. The result is as random either way.
fn lazy_certificate(make: impl FnOnce() -> FuncResult + 'static) -> Value {
    Value::Object(Rc::new(Certificate {
        pair: std::cell::OnceCell::new(),
        pending: std::cell::RefCell::new(Some(Box::new(make))),
    }))
}

type MakeCertificate = Box<dyn FnOnce() -> FuncResult>;

struct Certificate {
    pair: std::cell::OnceCell<(String, String)>,
    pending: std::cell::RefCell<Option<MakeCertificate>>,
}

impl Certificate {
    fn pair(&self) -> &(String, String) {
        self.pair.get_or_init(|| {
            let make = self.pending.borrow_mut().take();
            match make.map(|f| f()) {
                // Generation only fails inside the key and signature code,
                // which a template's input cannot reach: an empty pair then.
                Some(Ok(v)) => certificate_of(&v).unwrap_or_default(),
                _ => (String::new(), String::new()),
            }
        })
    }
}

impl Object for Certificate {
    fn type_name(&self) -> String {
        "sprig.certificate".into()
    }

    fn kind(&self) -> &'static str {
        "struct"
    }

    fn field(&self, name: &str) -> Option<Value> {
        let (cert, key) = self.pair();
        match name {
            "Cert" => Some(Value::str(cert.as_str())),
            "Key" => Some(Value::str(key.as_str())),
            _ => None,
        }
    }

    fn format_v(&self) -> String {
        let (cert, key) = self.pair();
        format!("{{{cert} {key}}}")
    }

    fn to_data(&self) -> Value {
        let (cert, key) = self.pair();
        let m = crate::template::value::Map::new();
        m.insert("Cert", Value::str(cert.as_str()));
        m.insert("Key", Value::str(key.as_str()));
        Value::Map(m)
    }
}

/// The Cert and Key of a `sprig.certificate` argument.
fn certificate_of(v: &Value) -> Result<(String, String), FuncError> {
    match v {
        Value::Object(o) if o.type_name() == "sprig.certificate" => {
            let f = |n| {
                o.field(n)
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            };
            Ok((f("Cert"), f("Key")))
        }
        other => Err(err(format!(
            "wrong type for value; expected sprig.certificate; got {}",
            other.type_name()
        ))),
    }
}

fn list_items(v: Option<&Value>) -> Vec<Value> {
    match v {
        Some(Value::List(l)) => l.items.to_vec(),
        _ => Vec::new(),
    }
}

/// Go's `net.ParseIP`, as the bytes x509 writes (4 for IPv4 and
/// IPv4-mapped, else 16).
fn parse_ip(s: &str) -> Option<Vec<u8>> {
    if let Ok(v4) = s.parse::<std::net::Ipv4Addr>() {
        // Go rejects leading zeros in IPv4 fields, as Rust does.
        return Some(v4.octets().to_vec());
    }
    if s.contains('%') {
        return None;
    }
    let v6: std::net::Ipv6Addr = s.parse().ok()?;
    Some(match v6.to_ipv4_mapped() {
        Some(v4) => v4.octets().to_vec(),
        None => v6.octets().to_vec(),
    })
}

fn net_ips(ips: &[Value]) -> Result<Vec<Vec<u8>>, FuncError> {
    ips.iter()
        .map(|ip| match ip {
            Value::String(s) => parse_ip(s).ok_or_else(|| err(format!("error parsing ip: {s}"))),
            other => Err(err(format!("error parsing ip: {other} is not a string"))),
        })
        .collect()
}

fn dns_names(names: &[Value]) -> Result<Vec<String>, FuncError> {
    names
        .iter()
        .map(|n| match n {
            Value::String(s) => Ok(s.to_string()),
            other => Err(err(format!(
                "error processing alternate dns name: {other} is not a string"
            ))),
        })
        .collect()
}

/// Sprig's base template: what `getBaseCertTemplate` fills in.
struct Template {
    cn: String,
    ips: Vec<Vec<u8>>,
    dns: Vec<String>,
    days: i64,
    is_ca: bool,
}

fn base_template(cn: &str, ips: &[Value], dns: &[Value], days: i64) -> Result<Template, FuncError> {
    Ok(Template {
        cn: cn.to_string(),
        ips: net_ips(ips)?,
        dns: dns_names(dns)?,
        days,
        is_ca: false,
    })
}

/// `pkix.Name{CommonName: cn}` as an RDNSequence: PrintableString when
/// the characters allow, else UTF8String; no attribute when empty.
fn name_der(cn: &str) -> Vec<u8> {
    if cn.is_empty() {
        return der::seq(&[]);
    }
    let printable = cn.bytes().all(|b| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b' ' | b'\'' | b'(' | b')' | b'+' | b',' | b'-' | b'.' | b'/' | b':' | b'=' | b'?'
            )
    });
    let value = der::tlv(if printable { 0x13 } else { 0x0c }, cn.as_bytes());
    let atv = der::seq(&[&der::oid(&[2, 5, 4, 3]), &value]);
    der::seq(&[&der::tlv(0x31, &atv)])
}

/// A validity time as Go's asn1 writes it (UTC; UTCTime for 1950-2049).
fn time_der(unix: i64) -> Result<Vec<u8>, String> {
    let t = GoTime::unix(unix, 0, Loc::Utc);
    let year: i64 = t.format("2006").parse().unwrap_or(0);
    if (1950..2050).contains(&year) {
        Ok(der::tlv(
            0x17,
            format!("{}Z", t.format("060102150405")).as_bytes(),
        ))
    } else if (0..=9999).contains(&year) {
        Ok(der::tlv(
            0x18,
            format!("{}Z", t.format("20060102150405")).as_bytes(),
        ))
    } else {
        Err("asn1: cannot represent time as GeneralizedTime".into())
    }
}

fn extension(oid: &[u64], critical: bool, value: &[u8]) -> Vec<u8> {
    if critical {
        der::seq(&[&der::oid(oid), &[0x01, 0x01, 0xff], &der::octets(value)])
    } else {
        der::seq(&[&der::oid(oid), &der::octets(value)])
    }
}

/// What the signing side brings: the issuer's name and key id, and the
/// public key the signer's key must match.
struct Parent {
    subject: Vec<u8>,
    subject_key_id: Option<Vec<u8>>,
    spki: Option<Vec<u8>>,
}

/// Go's `x509.CreateCertificate` for Sprig's templates, PEM-encoded.
fn create_certificate(
    tpl: &Template,
    signee: &PrivKey,
    parent: Option<&Parent>,
    signer: &PrivKey,
) -> Result<String, String> {
    if matches!(signer, PrivKey::Dsa(_)) {
        return Err("x509: certificate private key does not implement crypto.Signer".into());
    }
    let (spki, public_key_bits) = signee.spki()?;
    let subject = name_der(&tpl.cn);
    let issuer = parent.map_or_else(|| subject.clone(), |p| p.subject.clone());
    let authority_key_id = match parent {
        Some(p) if issuer != subject => p.subject_key_id.clone(),
        _ => None,
    };
    let subject_key_id = tpl
        .is_ca
        .then(|| Sha256::digest(&public_key_bits)[..20].to_vec());
    if let (Some(p), Ok((signer_spki, _))) = (parent, signer.spki()) {
        if let Some(parent_spki) = &p.spki {
            if *parent_spki != signer_spki {
                return Err("x509: provided PrivateKey doesn't match parent's PublicKey".into());
            }
        }
    }

    let mut exts: Vec<Vec<u8>> = Vec::new();
    // KeyUsage: digitalSignature | keyEncipherment [| keyCertSign].
    let ku: &[u8] = if tpl.is_ca {
        &[0x02, 0xa4]
    } else {
        &[0x05, 0xa0]
    };
    exts.push(extension(&[2, 5, 29, 15], true, &der::tlv(0x03, ku)));
    let eku = der::seq(&[
        &der::oid(&[1, 3, 6, 1, 5, 5, 7, 3, 1]),
        &der::oid(&[1, 3, 6, 1, 5, 5, 7, 3, 2]),
    ]);
    exts.push(extension(&[2, 5, 29, 37], false, &eku));
    let bc = if tpl.is_ca {
        der::seq(&[&[0x01, 0x01, 0xff]])
    } else {
        der::seq(&[])
    };
    exts.push(extension(&[2, 5, 29, 19], true, &bc));
    if let Some(ski) = &subject_key_id {
        exts.push(extension(&[2, 5, 29, 14], false, &der::octets(ski)));
    }
    if let Some(aki) = &authority_key_id {
        exts.push(extension(
            &[2, 5, 29, 35],
            false,
            &der::seq(&[&der::tlv(0x80, aki)]),
        ));
    }
    if !tpl.dns.is_empty() || !tpl.ips.is_empty() {
        let mut names = Vec::new();
        for d in &tpl.dns {
            if !d.is_ascii() {
                return Err(format!(
                    "x509: {} cannot be encoded as an IA5String",
                    quote(d)
                ));
            }
            names.extend(der::tlv(0x82, d.as_bytes()));
        }
        for ip in &tpl.ips {
            names.extend(der::tlv(0x87, ip));
        }
        let critical = subject == der::seq(&[]);
        exts.push(extension(
            &[2, 5, 29, 17],
            critical,
            &der::tlv(0x30, &names),
        ));
    }

    let serial = {
        let mut b = [0u8; 16];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
        b
    };
    let now = GoTime::now();
    let valid = SECOND.wrapping_mul(3600 * 24).wrapping_mul(tpl.days);
    let not_after = now.add(valid);
    let validity = der::seq(&[&time_der(now.sec)?, &time_der(not_after.sec)?]);
    let sig_alg = signer.signature_algorithm()?;
    let tbs = der::seq(&[
        &der::tlv(0xa0, &der::uint(&[2])),
        &der::uint(&serial),
        &sig_alg,
        &issuer,
        &validity,
        &subject,
        &spki,
        &der::tlv(
            0xa3,
            &der::seq(&exts.iter().map(Vec::as_slice).collect::<Vec<_>>()),
        ),
    ]);
    let (sig_alg, signature) = signer.sign(&tbs)?;
    let cert = der::seq(&[&tbs, &sig_alg, &der::bits(&signature)]);
    Ok(pem_encode("CERTIFICATE", &cert))
}

/// Sprig's `getCertAndKey`: the certificate and the signee's key, PEM.
fn cert_and_key(
    tpl: &Template,
    signee: &PrivKey,
    parent: Option<&Parent>,
    signer: &PrivKey,
) -> FuncResult {
    let cert = create_certificate(tpl, signee, parent, signer)
        .map_err(|e| err(format!("error creating certificate: {e}")))?;
    let key = signee
        .pem()
        .map_err(|e| err(format!("error pem-encoding key: {e}")))?;
    Ok(certificate_value(cert, key))
}

fn gen_rsa_2048() -> Result<PrivKey, FuncError> {
    generate_rsa(2048).map_err(|e| err(format!("error generating rsa key: {e}")))
}

fn pem_key_arg(pem: &str) -> Result<PrivKey, FuncError> {
    parse_private_key_pem(pem).map_err(|e| err(format!("parsing private key: {e}")))
}

fn ca_with_key(cn: &str, days: i64, key: &PrivKey) -> FuncResult {
    let mut tpl = base_template(cn, &[], &[], days)?;
    tpl.is_ca = true;
    cert_and_key(&tpl, key, None, key)
}

fn gen_ca(a: &[Value]) -> FuncResult {
    let mut tpl = base_template(s(a, 0), &[], &[], int(a, 1))?;
    tpl.is_ca = true;
    Ok(lazy_certificate(move || {
        let key = gen_rsa_2048()?;
        cert_and_key(&tpl, &key, None, &key)
    }))
}

fn gen_ca_with_key(a: &[Value]) -> FuncResult {
    ca_with_key(s(a, 0), int(a, 1), &pem_key_arg(s(a, 2))?)
}

fn self_signed(a: &[Value], key: &PrivKey) -> FuncResult {
    let tpl = base_template(
        s(a, 0),
        &list_items(a.get(1)),
        &list_items(a.get(2)),
        int(a, 3),
    )?;
    cert_and_key(&tpl, key, None, key)
}

fn gen_self_signed(a: &[Value]) -> FuncResult {
    let tpl = base_template(
        s(a, 0),
        &list_items(a.get(1)),
        &list_items(a.get(2)),
        int(a, 3),
    )?;
    Ok(lazy_certificate(move || {
        let key = gen_rsa_2048()?;
        cert_and_key(&tpl, &key, None, &key)
    }))
}

fn gen_self_signed_with_key(a: &[Value]) -> FuncResult {
    let key = pem_key_arg(s(a, 4))?;
    self_signed(a, &key)
}

/// The CA's parsed certificate and key, as `generateSignedCertificate...`
/// reads them.
fn signer_of(ca: &Value) -> Result<(Parent, PrivKey), FuncError> {
    let (cert, key) = certificate_of(ca)?;
    let (_, der_bytes) =
        pem_decode(cert.as_bytes()).ok_or_else(|| err("unable to decode certificate"))?;
    let parent = parse_certificate(&der_bytes).map_err(|e| {
        err(format!(
            "error parsing certificate: decodedSignerCert.Bytes: {e}"
        ))
    })?;
    let signer =
        parse_private_key_pem(&key).map_err(|e| err(format!("error parsing private key: {e}")))?;
    Ok((parent, signer))
}

/// `x509.ParseCertificate`, for the parts signing needs.
fn parse_certificate(der_bytes: &[u8]) -> Result<Parent, String> {
    use x509_cert::der::{Decode, Encode};
    let cert = x509_cert::Certificate::from_der(der_bytes)
        .map_err(|_| "x509: malformed certificate".to_string())?;
    let tbs = &cert.tbs_certificate;
    let subject = tbs
        .subject
        .to_der()
        .map_err(|_| "x509: malformed certificate".to_string())?;
    let spki = tbs.subject_public_key_info.to_der().ok();
    let mut subject_key_id = None;
    for ext in tbs.extensions.iter().flatten() {
        if ext.extn_id.to_string() == "2.5.29.14" {
            if let Some((0x04, id, _)) = der::read(ext.extn_value.as_bytes()) {
                subject_key_id = Some(id.to_vec());
            }
        }
    }
    // Compare signer keys by our own canonical encoding of the key.
    let spki = spki.and_then(|d| canonical_spki(&d));
    Ok(Parent {
        subject,
        subject_key_id,
        spki,
    })
}

/// A SubjectPublicKeyInfo re-encoded as this file encodes them (RSA with
/// NULL parameters), so keys compare by value.
fn canonical_spki(d: &[u8]) -> Option<Vec<u8>> {
    let (_, body, _) = der::read(d)?;
    let (_, alg, rest) = der::read(body)?;
    let (_, bits, _) = der::read(rest)?;
    let (_, oid, _) = der::read(alg)?;
    let key = bits.get(1..)?;
    let alg = if der::oid(OID_RSA)[2..] == *oid {
        der::seq(&[&der::oid(OID_RSA), &der::NULL])
    } else {
        der::tlv(0x30, alg)
    };
    Some(der::seq(&[&alg, &der::bits(key)]))
}

fn signed(a: &[Value], key: Option<&PrivKey>) -> FuncResult {
    let (parent, signer) = signer_of(a.get(4).unwrap_or(&Value::Nil))?;
    let tpl = base_template(
        s(a, 0),
        &list_items(a.get(1)),
        &list_items(a.get(2)),
        int(a, 3),
    )?;
    match key {
        Some(k) => cert_and_key(&tpl, k, Some(&parent), &signer),
        None => Ok(lazy_certificate(move || {
            cert_and_key(&tpl, &gen_rsa_2048()?, Some(&parent), &signer)
        })),
    }
}

fn gen_signed(a: &[Value]) -> FuncResult {
    signed(a, None)
}

fn gen_signed_with_key(a: &[Value]) -> FuncResult {
    let key = pem_key_arg(s(a, 5))?;
    signed(a, Some(&key))
}

fn build_custom_cert(a: &[Value]) -> FuncResult {
    let cert = go_b64_decode(s(a, 0).as_bytes())
        .map_err(|_| err("unable to decode base64 certificate"))?;
    let key = go_b64_decode(s(a, 1).as_bytes())
        .map_err(|_| err("unable to decode base64 private key"))?;
    let (_, der_bytes) = pem_decode(&cert).ok_or_else(|| err("unable to decode certificate"))?;
    parse_certificate(&der_bytes)
        .map_err(|e| err(format!("error parsing certificate: decodedCert.Bytes: {e}")))?;
    let key = String::from_utf8_lossy(&key).into_owned();
    parse_private_key_pem(&key).map_err(|e| err(format!("error parsing private key: {e}")))?;
    Ok(certificate_value(
        String::from_utf8_lossy(&cert).into_owned(),
        key,
    ))
}

#[cfg(test)]
mod tests {
    use super::super::call;
    use super::*;

    fn v(x: &str) -> Value {
        Value::str(x)
    }

    fn f(name: &str, args: &[Value]) -> String {
        match call(name, args) {
            Ok(v) => v.to_string(),
            Err(e) => format!("ERR {e}"),
        }
    }

    // Fixed keys (tests/template/crypto/values.yaml).
    const EC_KEY: &str = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIPXa9xnYMQH+SPBy2S+uJbjxfKh6yMVzVLal03a22LJ9oAoGCCqGSM49\nAwEHoUQDQgAEnPG9CbgteUSd97l4yq/35osd6mpt/w8MRacUHXhi/4uDs+k/2ofy\n+hJiZ54Caumate9ojrU0kSW8jlHR+Lyilg==\n-----END EC PRIVATE KEY-----\n";
    const ED_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIE+VxByTpLxLB93bnOKY/bTHAmEusoRW9E0jtmf+4OYC\n-----END PRIVATE KEY-----\n";

    #[test]
    fn digests_from_the_oracle() {
        assert_eq!(
            f("sha1sum", &[v("hello")]),
            "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"
        );
        assert_eq!(
            f("sha1sum", &[v("héllo ✓")]),
            "b7c2a1aa52961195ac19331417a20a8b4f202ddb"
        );
        assert_eq!(
            f("sha256sum", &[v("")]),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(f("adler32sum", &[v("hello")]), "103547413");
        assert_eq!(f("adler32sum", &[v("")]), "1");
        assert_eq!(f("adler32sum", &[v("Wikipedia")]), "300286872");
        assert_eq!(f("adler32sum", &[v(&"ÿ".repeat(10000))]), "705620359");
    }

    #[test]
    fn derive_password_from_the_oracle() {
        let d = |c: i64, t: &str, p: &str, u: &str, s: &str| {
            f("derivePassword", &[Value::Int(c), v(t), v(p), v(u), v(s)])
        };
        // scrypt is slow in a debug build: a few calls only.
        assert_eq!(
            d(1, "long", "password", "user", "example.com"),
            "ZedaFaxcZaso9*"
        );
        assert_eq!(d(4294967295, "long", "pw", "u", "s"), "Yelh0+WowePahe");
        assert_eq!(
            d(1, "huge", "p", "u", "s"),
            "cannot find password template huge"
        );
    }

    #[test]
    fn bcrypt_form() {
        let h = f("bcrypt", &[v("secret")]);
        assert!(h.starts_with("$2a$10$") && h.len() == 60, "{h}");
        assert!(::bcrypt::verify("secret", &h).unwrap());
        assert_eq!(
            f("bcrypt", &[v(&"a".repeat(73))]),
            "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes"
        );
        assert_eq!(f("htpasswd", &[v("a:b"), v("pw")]), "invalid username: a:b");
    }

    #[test]
    fn aes_from_the_oracle() {
        assert_eq!(
            f(
                "decryptAES",
                &[
                    v("secret"),
                    v("Y18uXIoajWs9Win80/TCynb+Z4RmbGBHr8LuHGrTMyk=")
                ]
            ),
            "hello world"
        );
        assert_eq!(
            f(
                "decryptAES",
                &[
                    v("a-very-long-password-longer-than-32-bytes!!"),
                    v("uZ5hJpuE3qs3iFF/wf8IGTaVMtxiTL/GCL7hvALnjBTe/LXRf+r5QfjVAO+nymwF")
                ]
            ),
            "0123456789abcdef"
        );
        let enc = f("encryptAES", &[v("pw"), v("round trip ✓")]);
        assert_eq!(f("decryptAES", &[v("pw"), v(&enc)]), "round trip ✓");
        let e = |c: &str| f("decryptAES", &[v("k"), v(c)]);
        assert_eq!(e("not base64!"), "ERR illegal base64 data at input byte 3");
        assert_eq!(e("YQ"), "ERR illegal base64 data at input byte 0");
        assert_eq!(
            e("aGVsbG8="),
            "ERR runtime error: slice bounds out of range [:16] with capacity 6"
        );
        assert_eq!(
            e("MDEyMzQ1Njc4OWFiY2RlZjAxMjM="),
            "ERR crypto/cipher: input not full blocks"
        );
        assert_eq!(
            e("MDEyMzQ1Njc4OWFiY2RlZg=="),
            "ERR runtime error: index out of range [-1]"
        );
        assert_eq!(
            f(
                "decryptAES",
                &[
                    v("other"),
                    v("Y18uXIoajWs9Win80/TCynb+Z4RmbGBHr8LuHGrTMyk=")
                ]
            ),
            "ERR runtime error: slice bounds out of range [:-163]"
        );
    }

    #[test]
    fn random_forms() {
        assert_eq!(f("randBytes", &[Value::Int(0)]), "");
        assert_eq!(
            go_b64_decode(f("randBytes", &[Value::Int(16)]).as_bytes())
                .unwrap()
                .len(),
            16
        );
        assert_eq!(
            f("randBytes", &[Value::Int(-1)]),
            "ERR runtime error: makeslice: len out of range"
        );
        let re = regex::Regex::new(
            "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
        )
        .unwrap();
        assert!(re.is_match(&uuidv4()));
    }

    #[test]
    #[allow(deprecated)]
    fn key_generation_forms() {
        let ec = f("genPrivateKey", &[v("ecdsa")]);
        assert!(ec.starts_with("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI"));
        assert_eq!(ec.len(), 227);
        assert!(parse_private_key_pem(&ec).is_ok());
        let ed = f("genPrivateKey", &[v("ed25519")]);
        assert!(ed.starts_with("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI"));
        assert_eq!(ed.len(), 119);
        assert_eq!(f("genPrivateKey", &[v("foo")]), "Unknown type foo");
        // Smaller sizes than Sprig's keep the debug-build test fast; the
        // encoding is the same.
        let rsa = generate_rsa(1024).unwrap().pem().unwrap();
        assert!(rsa.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
        assert!(parse_private_key_pem(&rsa).is_ok());
        let dsa = generate_dsa(dsa::KeySize::DSA_1024_160).pem().unwrap();
        assert!(dsa.starts_with("-----BEGIN DSA PRIVATE KEY-----\n"));
        assert!(matches!(parse_private_key_pem(&dsa), Ok(PrivKey::Dsa(_))));
    }

    /// Sprig's real sizes (rsa 4096, dsa 2048/256, rsa 2048 for genCA):
    /// slow in a debug build unless the bignum crates are optimized.
    #[test]
    #[ignore]
    fn full_size_key_generation() {
        let rsa = f("genPrivateKey", &[v("rsa")]);
        assert!(rsa.starts_with("-----BEGIN RSA PRIVATE KEY-----\nMIIJ"));
        let dsa = f("genPrivateKey", &[v("dsa")]);
        assert!(dsa.starts_with("-----BEGIN DSA PRIVATE KEY-----\nMIID"));
        let ca = call("genCA", &[v("ca"), Value::Int(30)]).unwrap();
        let leaf = call(
            "genSignedCert",
            &[v("leaf"), Value::Nil, Value::Nil, Value::Int(30), ca],
        )
        .unwrap();
        assert!(cert_parts(&leaf)
            .1
            .starts_with("-----BEGIN RSA PRIVATE KEY-----\nMIIE"));
    }

    #[test]
    fn key_reencoding_from_the_oracle() {
        let ed = parse_private_key_pem(ED_KEY).unwrap();
        assert_eq!(ed.pem().unwrap(), ED_KEY);
        let ec = parse_private_key_pem(EC_KEY).unwrap();
        assert_eq!(ec.pem().unwrap(), EC_KEY);
    }

    #[test]
    fn key_errors_from_the_oracle() {
        let e = |pem: &str| f("genCAWithKey", &[v("ca"), Value::Int(1), v(pem)]);
        assert_eq!(e("hello"), "ERR parsing private key: no PEM data in input");
        assert_eq!(
            e("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"),
            "ERR parsing private key: parsing RSA private key from PEM: asn1: structure error: tags don't match (16 vs {class:0 tag:0 length:0 isCompound:false}) {optional:false explicit:false application:false private:false defaultValue:<nil> tag:<nil> stringType:0 timeType:0 set:false omitEmpty:false} pkcs1PrivateKey @2"
        );
        assert_eq!(
            e("-----BEGIN FOO PRIVATE KEY-----\nAAAA\n-----END FOO PRIVATE KEY-----\n"),
            "ERR parsing private key: invalid private key type FOO PRIVATE KEY"
        );
        assert_eq!(
            e("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
            "ERR parsing private key: no private key data in PEM block of type CERTIFICATE"
        );
    }

    fn cert_parts(c: &Value) -> (String, String) {
        certificate_of(c).unwrap()
    }

    #[test]
    fn certificate_forms() {
        let ca = call("genCAWithKey", &[v("probe-ca"), Value::Int(365), v(EC_KEY)]).unwrap();
        assert_eq!(ca.type_name(), "sprig.certificate");
        assert_eq!(ca.kind(), "struct");
        let (cert, key) = cert_parts(&ca);
        assert_eq!(key, EC_KEY);
        let (_, der_bytes) = pem_decode(cert.as_bytes()).unwrap();
        let parent = parse_certificate(&der_bytes).unwrap();
        // Go 1.25's subject key id: truncated SHA-256 of the key bits.
        assert_eq!(
            hex::encode(parent.subject_key_id.clone().unwrap()),
            "a7d18aee168e1a87fdd2df4748f6beedd1f34f34"
        );
        let leaf = call(
            "genSignedCertWithKey",
            &[
                v(""),
                Value::Nil,
                Value::list(vec![v("x.example")]),
                Value::Int(10),
                ca.clone(),
                v(ED_KEY),
            ],
        )
        .unwrap();
        let (leaf_cert, leaf_key) = cert_parts(&leaf);
        assert_eq!(leaf_key, ED_KEY);
        use x509_cert::der::Decode;
        let (_, d) = pem_decode(leaf_cert.as_bytes()).unwrap();
        let c = x509_cert::Certificate::from_der(&d).unwrap();
        assert_eq!(c.tbs_certificate.issuer.to_string(), "CN=probe-ca");
        let exts = c.tbs_certificate.extensions.clone().unwrap();
        let ids: Vec<String> = exts.iter().map(|e| e.extn_id.to_string()).collect();
        assert_eq!(
            ids,
            [
                "2.5.29.15",
                "2.5.29.37",
                "2.5.29.19",
                "2.5.29.35",
                "2.5.29.17"
            ]
        );
        assert!(exts[4].critical, "SAN is critical with an empty subject");
        // The ECDSA signature verifies with the CA's key.
        use p256::ecdsa::signature::Verifier;
        let PrivKey::Ec(k) = parse_private_key_pem(EC_KEY).unwrap() else {
            panic!()
        };
        let vk = p256::ecdsa::VerifyingKey::from(k.public_key());
        let sig = p256::ecdsa::Signature::from_der(c.signature.raw_bytes()).unwrap();
        use x509_cert::der::Encode;
        assert!(vk
            .verify(&c.tbs_certificate.to_der().unwrap(), &sig)
            .is_ok());
    }

    #[test]
    fn certificate_errors_from_the_oracle() {
        let ss = |ips: Vec<Value>, dns: Vec<Value>| {
            f(
                "genSelfSignedCertWithKey",
                &[
                    v("x"),
                    Value::list(ips),
                    Value::list(dns),
                    Value::Int(1),
                    v(EC_KEY),
                ],
            )
        };
        assert_eq!(ss(vec![v("1.2.3")], vec![]), "ERR error parsing ip: 1.2.3");
        assert_eq!(
            ss(vec![Value::Int(1)], vec![]),
            "ERR error parsing ip: 1 is not a string"
        );
        assert_eq!(
            ss(vec![], vec![Value::Bool(true)]),
            "ERR error processing alternate dns name: true is not a string"
        );
        assert_eq!(
            ss(vec![], vec![v("é.example")]),
            "ERR error creating certificate: x509: \"é.example\" cannot be encoded as an IA5String"
        );
    }

    #[test]
    fn pem_and_base64() {
        assert!(pem_decode(b"junk\n-----BEGIN X-----\nAAAA\n-----END X-----\n").is_some());
        assert!(pem_decode(b"-----BEGIN X-----\nAAAA\n-----END Y-----\n").is_none());
        assert_eq!(go_b64_decode(b"aGVs\nbG8=").unwrap(), b"hello");
        assert_eq!(
            go_b64_decode(b"aGVsbG8=x").unwrap_err(),
            "illegal base64 data at input byte 8"
        );
    }
}
