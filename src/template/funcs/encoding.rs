//! Sprig's encodings: `b64enc`, `b64dec`, `b32enc`, `b32dec` (Go's
//! `encoding/base64` and `encoding/base32` standard, padded alphabets).
//!
//! A decoding error is not a template error: Sprig returns the error's
//! text as the result (`illegal base64 data at input byte 3`), so the
//! decoders below follow Go's to report the same byte offset. Decoded bytes
//! that are not UTF-8 become U+FFFD (Go would keep the raw bytes).

use base64::Engine as _;

use super::{arg_bytes, Registry, StringBytes, Ty};
use crate::template::value::Value;

/// Registers this family's functions.
pub(super) fn register(r: &mut Registry) {
    r.add("b64enc", &[Ty::String], None, |a| {
        Ok(Value::from(
            base64::engine::general_purpose::STANDARD.encode(arg_bytes(a, 0)),
        ))
    });
    r.add("b64dec", &[Ty::String], None, |a| {
        Ok(decoded(base64_decode(arg(a).as_bytes())))
    });
    r.add("b32enc", &[Ty::String], None, |a| {
        Ok(Value::from(base32_encode(arg_bytes(a, 0))))
    });
    r.add("b32dec", &[Ty::String], None, |a| {
        Ok(decoded(base32_decode(arg(a).as_bytes())))
    });
    r.string_bytes(StringBytes::Read, &["b64enc", "b32enc"]);
}

fn arg(args: &[Value]) -> &str {
    args.first().and_then(Value::as_str).unwrap_or("")
}

fn decoded(result: Result<Vec<u8>, String>) -> Value {
    match result {
        Ok(bytes) => Value::go_string(bytes),
        Err(message) => Value::from(message),
    }
}

/// Go's `base64.CorruptInputError`.
fn corrupt(kind: &str, offset: usize) -> String {
    format!("illegal {kind} data at input byte {offset}")
}

const PAD: u8 = b'=';

fn base64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Go's `base64.StdEncoding.DecodeString`: quantum by quantum, newlines
/// (`\r`, `\n`) skipped, padding required, trailing bits ignored.
fn base64_decode(src: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    while si < src.len() {
        let mut dbuf = [0u8; 4];
        let mut dlen = 4;
        let mut j = 0;
        let mut trailing = None;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                // Padding is required: a short final quantum is corrupt.
                return Err(corrupt("base64", si - j));
            }
            let c = src[si];
            si += 1;
            if let Some(v) = base64_value(c) {
                dbuf[j] = v;
                j += 1;
                continue;
            }
            if c == b'\n' || c == b'\r' {
                continue;
            }
            if c != PAD {
                return Err(corrupt("base64", si - 1));
            }
            // Padding: the end of the data.
            match j {
                0 | 1 => return Err(corrupt("base64", si - 1)),
                2 => {
                    while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                        si += 1;
                    }
                    if si == src.len() {
                        return Err(corrupt("base64", src.len()));
                    }
                    if src[si] != PAD {
                        return Err(corrupt("base64", si - 1));
                    }
                    si += 1;
                }
                _ => {}
            }
            while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                si += 1;
            }
            if si < src.len() {
                trailing = Some(corrupt("base64", si));
            }
            dlen = j;
            break;
        }
        let val = u32::from(dbuf[0]) << 18
            | u32::from(dbuf[1]) << 12
            | u32::from(dbuf[2]) << 6
            | u32::from(dbuf[3]);
        let bytes = [(val >> 16) as u8, (val >> 8) as u8, val as u8];
        out.extend_from_slice(&bytes[..dlen - 1]);
        if let Some(e) = trailing {
            return Err(e);
        }
    }
    Ok(out)
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn base32_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'2'..=b'7' => Some(c - b'2' + 26),
        _ => None,
    }
}

/// Go's `base32.StdEncoding.EncodeToString`.
fn base32_encode(src: &[u8]) -> String {
    let mut out = String::with_capacity(src.len().div_ceil(5) * 8);
    for chunk in src.chunks(5) {
        let mut block = [0u8; 5];
        block[..chunk.len()].copy_from_slice(chunk);
        let bits = block.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b));
        // Characters carrying data: 2, 4, 5, 7 or 8 for 1..=5 bytes.
        let used = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < used {
                let v = (bits >> (35 - 5 * i)) & 31;
                out.push(char::from(BASE32[v as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Go's `base32.StdEncoding.DecodeString`: newlines removed first, then
/// quanta of eight, padding required.
fn base32_decode(src: &[u8]) -> Result<Vec<u8>, String> {
    let src: Vec<u8> = src
        .iter()
        .copied()
        .filter(|&b| b != b'\r' && b != b'\n')
        .collect();
    let olen = src.len();
    let mut rest: &[u8] = &src;
    let mut out = Vec::with_capacity(olen / 8 * 5);
    let mut end = false;
    while !rest.is_empty() && !end {
        let mut dbuf = [0u8; 8];
        let mut dlen = 8;
        let mut j = 0;
        while j < 8 {
            if rest.is_empty() {
                return Err(corrupt("base32", olen - rest.len() - j));
            }
            let c = rest[0];
            rest = &rest[1..];
            if c == PAD && j >= 2 && rest.len() < 8 {
                if rest.len() + j < 8 - 1 {
                    return Err(corrupt("base32", olen));
                }
                for k in 0..8 - 1 - j {
                    if rest.len() > k && rest[k] != PAD {
                        return Err(corrupt("base32", olen - rest.len() + k - 1));
                    }
                }
                dlen = j;
                end = true;
                if dlen == 1 || dlen == 3 || dlen == 6 {
                    return Err(corrupt("base32", olen - rest.len() - 1));
                }
                break;
            }
            match base32_value(c) {
                Some(v) => dbuf[j] = v,
                None => return Err(corrupt("base32", olen - rest.len() - 1)),
            }
            j += 1;
        }
        let bytes = [
            dbuf[0] << 3 | dbuf[1] >> 2,
            dbuf[1] << 6 | dbuf[2] << 1 | dbuf[3] >> 4,
            dbuf[3] << 4 | dbuf[4] >> 1,
            dbuf[4] << 7 | dbuf[5] << 2 | dbuf[6] >> 3,
            dbuf[6] << 5 | dbuf[7],
        ];
        let n = match dlen {
            8 => 5,
            7 => 4,
            5 => 3,
            4 => 2,
            2 => 1,
            _ => 0,
        };
        out.extend_from_slice(&bytes[..n]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::template::funcs::call;
    use crate::template::value::Value;

    fn run(name: &str, input: &str) -> String {
        call(name, &[Value::str(input)]).expect(name).to_string()
    }

    // Expected values: Helm v4.3.0 (tests/template/encoding).

    #[test]
    fn base64() {
        assert_eq!(run("b64enc", "hello world"), "aGVsbG8gd29ybGQ=");
        assert_eq!(run("b64enc", "a"), "YQ==");
        assert_eq!(run("b64dec", "aGVsbG8gd29ybGQ="), "hello world");
        assert_eq!(run("b64dec", "aGVs\nbG8="), "hello");
        assert_eq!(run("b64dec", "YW\r\nJj"), "abc");
        assert_eq!(run("b64dec", ""), "");
        assert_eq!(
            run("b64dec", "not base64!"),
            "illegal base64 data at input byte 3"
        );
        assert_eq!(run("b64dec", "YQ"), "illegal base64 data at input byte 0");
        assert_eq!(run("b64dec", "-_8="), "illegal base64 data at input byte 0");
        assert_eq!(
            run("b64dec", "YQ==YQ=="),
            "illegal base64 data at input byte 4"
        );
        assert_eq!(
            run("b64dec", "YW Jj"),
            "illegal base64 data at input byte 2"
        );
        assert_eq!(run("b64dec", "aMOpbGxvIOKckw=="), "héllo ✓");
        // Go keeps the byte 0xFF; a Value string holds U+FFFD instead.
        assert_eq!(run("b64dec", "/w=="), "\u{FFFD}");
    }

    #[test]
    fn base32() {
        assert_eq!(run("b32enc", "hello world"), "NBSWY3DPEB3W64TMMQ======");
        let padded: Vec<String> = ["a", "ab", "abc", "abcd", "abcde"]
            .iter()
            .map(|s| run("b32enc", s))
            .collect();
        assert_eq!(
            padded,
            ["ME======", "MFRA====", "MFRGG===", "MFRGGZA=", "MFRGGZDF"]
        );
        assert_eq!(run("b32dec", "NBSWY3DPEB3W64TMMQ======"), "hello world");
        assert_eq!(run("b32dec", "NBSW\nY3DP"), "hello");
        assert_eq!(run("b32dec", ""), "");
        for bad in ["not base32", "nbswy3dp", "ME", "NBSWY3D"] {
            assert_eq!(
                run("b32dec", bad),
                "illegal base32 data at input byte 0",
                "{bad}"
            );
        }
        let text = "some text ✓";
        assert_eq!(run("b32dec", &run("b32enc", text)), text);
    }
}
