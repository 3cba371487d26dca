//! YAML text of a JSON value laid out the way kubectl prints it (block
//! style, keys in map order, lists not indented under their key), for what
//! plumb prints for people and for `kubectl apply -f -`: `plumb diff` and
//! `plumb render`. Pure.
//!
//! Strings are quoted wherever a YAML 1.1 reader would take them for
//! something else. kubectl reads and writes YAML with go-yaml v2, which is
//! YAML 1.1: `no`, `on`, `y`, `~`, `0x1F`, `1_000` and `12:30` are not
//! strings to it, and a person reads `secret: no` as a boolean too.
//! serde_yaml_ng quotes only what YAML 1.2 reads differently, so the diff
//! emits its own text. Like go-yaml, a string that would resolve to
//! another type is double-quoted, one that would merely not parse as a
//! plain scalar (`a: b`, `*x`, ` padded`) is single-quoted, and one with
//! control characters is double-quoted with escapes; multi-line strings
//! are literal blocks (`|`). Unlike go-yaml, long strings are never folded
//! at 80 columns and multi-line keys are double-quoted, not `? |` keys.

use serde_json::Value;

/// `value` as a YAML document (without `---`), ending in a newline.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    node(&mut out, value, 0, After::Top);
    out
}

/// What precedes a node on its first line.
#[derive(Clone, Copy, PartialEq, Eq)]
enum After {
    /// Nothing: the node is the document.
    Top,
    /// `key:` at column `col`.
    Key,
    /// `-` at column `col`.
    Dash,
}

/// Writes `value` after `after` (at column `col`), through its last newline.
fn node(out: &mut String, value: &Value, col: usize, after: After) {
    let (entries, items) = match value {
        Value::Object(map) if !map.is_empty() => (Some(map), None),
        Value::Array(items) if !items.is_empty() => (None, Some(items)),
        scalar => return write_scalar(out, scalar, col, after),
    };
    // Where the entries or items go: a map one step in, a list under a key
    // at the key's own column, anything after a dash beside it.
    let at = match (after, items.is_some()) {
        (After::Top, _) => 0,
        (After::Key, true) => col,
        (After::Key, false) | (After::Dash, _) => col + 2,
    };
    match after {
        After::Top => {}
        After::Key => out.push('\n'),
        // The first entry or item shares the dash's line.
        After::Dash => out.push(' '),
    }
    let indent_first = after == After::Key;
    if let Some(map) = entries {
        for (i, (key, value)) in map.iter().enumerate() {
            if i > 0 || indent_first {
                indent(out, at);
            }
            out.push_str(&key_text(key));
            out.push(':');
            node(out, value, at, After::Key);
        }
    }
    if let Some(items) = items {
        for (i, item) in items.iter().enumerate() {
            if i > 0 || indent_first {
                indent(out, at);
            }
            out.push('-');
            node(out, item, at, After::Dash);
        }
    }
}

fn indent(out: &mut String, col: usize) {
    out.extend(std::iter::repeat_n(' ', col));
}

fn write_scalar(out: &mut String, value: &Value, col: usize, after: After) {
    if after != After::Top {
        out.push(' ');
    }
    let text = match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if literal_allowed(s) => {
            return write_literal(out, s, if after == After::Top { 2 } else { col + 2 })
        }
        Value::String(s) => one_line(s),
        // Only empty collections reach here.
        Value::Array(_) => "[]".to_string(),
        Value::Object(_) => "{}".to_string(),
    };
    out.push_str(&text);
    out.push('\n');
}

/// A map key: a string on one line, quoted by the same rules as values.
fn key_text(key: &str) -> String {
    if key.contains('\n') {
        double_quoted(key)
    } else {
        one_line(key)
    }
}

/// A string that has no literal block: plain when that reads back as the
/// same string, else quoted.
fn one_line(s: &str) -> String {
    if s.chars().any(needs_escape) || s.contains('\n') || resolves_to_non_string(s) {
        double_quoted(s)
    } else if plain_allowed(s) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// A multi-line string is a literal block unless a block cannot hold it
/// exactly (a space at a line's end is invisible and, at the very end,
/// lost; control characters need escapes).
fn literal_allowed(s: &str) -> bool {
    s.contains('\n') && !s.ends_with(' ') && !s.contains(" \n") && !s.chars().any(needs_escape)
}

/// `|`, `|-` or `|+` by how the string ends, with an indentation digit when
/// its first line starts with a space or is empty; then its lines at `col`.
fn write_literal(out: &mut String, s: &str, col: usize) {
    out.push('|');
    if s.starts_with([' ', '\n']) {
        out.push('2');
    }
    let body = match s.strip_suffix('\n') {
        None => {
            out.push('-');
            s
        }
        Some(body) => {
            if body.is_empty() || body.ends_with('\n') {
                out.push('+');
            }
            body
        }
    };
    out.push('\n');
    for line in body.split('\n') {
        if !line.is_empty() {
            indent(out, col);
            out.push_str(line);
        }
        out.push('\n');
    }
}

/// Characters YAML cannot show as they are: anything outside its printable
/// set, and the Unicode line breaks other than `\n`.
fn needs_escape(c: char) -> bool {
    let printable = matches!(c, '\n' | ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{10000}'..)
        || (('\u{e000}'..='\u{fffd}').contains(&c) && c != '\u{feff}');
    !printable || matches!(c, '\u{2028}' | '\u{2029}')
}

fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if needs_escape(c) && (c as u32) <= 0xff => {
                out.push_str(&format!("\\x{:02X}", c as u32))
            }
            c if needs_escape(c) => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Plain scalars a YAML 1.1 reader takes for null, a boolean, a special
/// float or a merge key (go-yaml v2's table, plus `<<`).
const NOT_STRINGS: &[&str] = &[
    "", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
    "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
    ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN",
    ".NAN", "<<",
];

/// Whether a YAML 1.1 reader would take `s`, written plain, for anything
/// but this string: null, bool, int (any base, `_` separators, base 60),
/// float, or timestamp.
fn resolves_to_non_string(s: &str) -> bool {
    NOT_STRINGS.contains(&s) || is_number(s) || is_timestamp(s)
}

fn digits(s: &str, radix: u32) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_digit(radix))
}

fn is_number(s: &str) -> bool {
    if !s.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.')) {
        return false;
    }
    let joined: String = s.chars().filter(|c| *c != '_').collect();
    let unsigned = joined.strip_prefix(['+', '-']).unwrap_or(&joined);
    if let Some(hex) = unsigned.strip_prefix("0x") {
        return digits(hex, 16);
    }
    if let Some(octal) = unsigned.strip_prefix("0o") {
        return digits(octal, 8);
    }
    if let Some(binary) = unsigned.strip_prefix("0b") {
        return digits(binary, 2);
    }
    is_decimal(unsigned) || is_base_60(unsigned)
}

/// `1`, `0755`, `1.`, `.5`, `1.5e-3`: what go-yaml v2 reads as a number.
fn is_decimal(s: &str) -> bool {
    let (mantissa, exponent) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        None => digits(mantissa, 10),
        Some(("", fraction)) => digits(fraction, 10),
        Some((whole, fraction)) => {
            digits(whole, 10) && fraction.chars().all(|c| c.is_ascii_digit())
        }
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e), 10));
    mantissa_ok && exponent_ok
}

/// YAML 1.1 sexagesimal numbers: `12:30`, `1:20:30.5`.
fn is_base_60(s: &str) -> bool {
    let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
    let mut parts = whole.split(':');
    let first = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    digits(first, 10)
        && !rest.is_empty()
        && rest
            .iter()
            .all(|p| digits(p, 10) && (p.len() == 1 || (p.len() == 2 && p.as_bytes()[0] <= b'5')))
        && fraction.chars().all(|c| c.is_ascii_digit())
}

/// A YAML 1.1 timestamp starts with a date, `2024-1-2`, alone or followed
/// by a time. Anything that starts so is quoted, to be safe.
fn is_timestamp(s: &str) -> bool {
    let mut parts = s.splitn(3, '-');
    let (Some(year), Some(month), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let day_len = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let after = &rest[day_len..];
    year.len() == 4
        && digits(year, 10)
        && (1..=2).contains(&month.len())
        && digits(month, 10)
        && (1..=2).contains(&day_len)
        && (after.is_empty() || after.starts_with(['T', 't', ' ', '\t']))
}

/// Whether `s` (one line, no escapes needed, not another type) reads back
/// as itself when written plain in block context: libyaml's rules.
fn plain_allowed(s: &str) -> bool {
    let b = s.as_bytes();
    if s.is_empty() || s.starts_with(' ') || s.ends_with(' ') {
        return false;
    }
    if s.starts_with("---") || s.starts_with("...") {
        return false;
    }
    let blank_or_end = |i: usize| b.get(i).is_none_or(|c| *c == b' ');
    if b"#,[]{}&*!|>'\"%@`".contains(&b[0]) || (b"?:-".contains(&b[0]) && blank_or_end(1)) {
        return false;
    }
    (1..b.len()).all(|i| match b[i] {
        b':' => !blank_or_end(i + 1),
        b'#' => b[i - 1] != b' ',
        _ => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `key: VALUE` for a string value, as emitted.
    fn entry(value: &str) -> String {
        to_string(&json!({ "k": value }))
    }

    #[test]
    fn yaml_1_1_booleans_and_nulls_are_double_quoted() {
        for word in [
            "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE",
            "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "~", "null", "Null",
            "NULL", "",
        ] {
            assert_eq!(entry(word), format!("k: \"{word}\"\n"), "{word:?}");
        }
    }

    #[test]
    fn numbers_in_any_yaml_1_1_form_are_double_quoted() {
        for number in [
            "1",
            "-1",
            "+1",
            "0",
            "0755",
            "08",
            "1.5",
            "1.",
            ".5",
            "-.5",
            "1e3",
            "1E+3",
            "1.5e-3",
            "0x1F",
            "0o17",
            "0b101",
            "1_000",
            "12:30",
            "1:20:30.5",
            ".inf",
            "-.Inf",
            ".nan",
            "2024-01-02",
            "2024-1-2T10:00:00Z",
            "2001-12-14 21:59:43.10 -5",
            "<<",
        ] {
            assert_eq!(entry(number), format!("k: \"{number}\"\n"), "{number:?}");
        }
    }

    #[test]
    fn strings_that_only_look_numeric_stay_plain() {
        for text in [
            "1.2.3",
            "v1",
            "1a",
            "0x",
            "0xZ",
            "-",
            "+",
            ".",
            "1e",
            "e3",
            "_1",
            "12:60",
            "1:2:x",
            "2024-01",
            "2024-01-02x",
            "yesno",
            "nope",
            "ON!",
            "123abc",
            "a-1",
            "Off-by-one",
        ] {
            let expected = if text == "-" {
                "k: '-'\n".to_string()
            } else {
                format!("k: {text}\n")
            };
            assert_eq!(entry(text), expected, "{text:?}");
        }
    }

    #[test]
    fn indicators_and_edge_spaces_are_single_quoted() {
        for (text, shown) in [
            (" a", "' a'"),
            ("a ", "'a '"),
            ("a: b", "'a: b'"),
            ("a:", "'a:'"),
            ("- a", "'- a'"),
            ("-", "'-'"),
            ("? a", "'? a'"),
            (": a", "': a'"),
            ("#a", "'#a'"),
            ("a #b", "'a #b'"),
            ("*x", "'*x'"),
            ("&x", "'&x'"),
            ("!x", "'!x'"),
            ("|x", "'|x'"),
            (">x", "'>x'"),
            ("%x", "'%x'"),
            ("@x", "'@x'"),
            ("`x", "'`x'"),
            ("[a]", "'[a]'"),
            ("{a}", "'{a}'"),
            (",a", "',a'"),
            ("---", "'---'"),
            ("...x", "'...x'"),
            ("'q'", "'''q'''"),
            ("\"q", "'\"q'"),
            ("*** (changed)", "'*** (changed)'"),
        ] {
            assert_eq!(entry(text), format!("k: {shown}\n"), "{text:?}");
        }
    }

    #[test]
    fn ordinary_text_is_plain() {
        for text in [
            "text",
            "a:b",
            "a#b",
            "-a",
            "?a",
            "a, b",
            "a [b] {c}",
            "http://x:80/y#z",
            "nginx:1.27",
            "10.0.0.1",
            "100m",
            "1Gi",
            "héllo wörld",
            "日本",
            "🙂",
        ] {
            assert_eq!(entry(text), format!("k: {text}\n"), "{text:?}");
        }
    }

    #[test]
    fn control_characters_are_escaped_in_double_quotes() {
        assert_eq!(entry("a\tb"), "k: \"a\\tb\"\n");
        assert_eq!(entry("a\rb"), "k: \"a\\rb\"\n");
        assert_eq!(entry("\u{1}\u{7f}"), "k: \"\\x01\\x7F\"\n");
        assert_eq!(entry("\u{feff}x"), "k: \"\\uFEFFx\"\n");
        assert_eq!(entry("a\u{2028}b"), "k: \"a\\Lb\"\n");
        assert_eq!(entry("say \"\\\"\t"), "k: \"say \\\"\\\\\\\"\\t\"\n");
    }

    #[test]
    fn multi_line_strings_are_literal_blocks() {
        assert_eq!(entry("a\nb"), "k: |-\n  a\n  b\n");
        assert_eq!(entry("a\nb\n"), "k: |\n  a\n  b\n");
        assert_eq!(entry("a\n\n"), "k: |+\n  a\n\n");
        assert_eq!(entry("a\n\nb"), "k: |-\n  a\n\n  b\n");
        assert_eq!(entry("  a\nb"), "k: |2-\n    a\n  b\n");
        assert_eq!(entry("\na"), "k: |2-\n\n  a\n");
        assert_eq!(entry("no\n"), "k: |\n  no\n");
        // A block cannot hold these exactly.
        assert_eq!(entry("a \nb"), "k: \"a \\nb\"\n");
        assert_eq!(entry("a\nb "), "k: \"a\\nb \"\n");
        assert_eq!(entry("a\n\tb"), "k: \"a\\n\\tb\"\n");
        assert_eq!(
            to_string(&json!({"a": [{"script": "set -e\nrun\n"}]})),
            "a:\n- script: |\n    set -e\n    run\n"
        );
    }

    #[test]
    fn keys_are_quoted_like_values() {
        let value =
            json!({"on": 1, "yes": 2, "y": 3, "8080": 4, "a: b": 5, "": 6, "plain": 7, "a\nb": 8});
        assert_eq!(
            to_string(&value),
            "\"\": 6\n\"8080\": 4\n\"a\\nb\": 8\n'a: b': 5\n\"on\": 1\nplain: 7\n\"y\": 3\n\"yes\": 2\n"
        );
    }

    #[test]
    fn layout_is_kubectls() {
        let value = json!({
            "apiVersion": "v1",
            "data": {"num": 1.5, "secret": "no", "t": true, "z": null},
            "empty": {"list": [], "map": {}},
            "list": [1, [2, [3, 4]], {"b": {"c": "off"}, "d": ["e"]}, {}, [], "x"],
            "metadata": {"labels": {"app": "on"}, "name": "c"},
        });
        let expected = "\
apiVersion: v1
data:
  num: 1.5
  secret: \"no\"
  t: true
  z: null
empty:
  list: []
  map: {}
list:
- 1
- - 2
  - - 3
    - 4
- b:
    c: \"off\"
  d:
  - e
- {}
- []
- x
metadata:
  labels:
    app: \"on\"
  name: c
";
        assert_eq!(to_string(&value), expected);
    }

    #[test]
    fn a_document_may_be_a_scalar_or_a_list() {
        assert_eq!(to_string(&json!("no")), "\"no\"\n");
        assert_eq!(to_string(&json!("a\nb")), "|-\n  a\n  b\n");
        assert_eq!(to_string(&json!(["on", {"a": 1}])), "- \"on\"\n- a: 1\n");
        assert_eq!(to_string(&json!({})), "{}\n");
        assert_eq!(to_string(&json!(null)), "null\n");
    }

    #[test]
    fn every_emitted_document_reads_back_as_the_same_value() {
        // serde_yaml_ng reads YAML 1.2; quoting for 1.1 must not change that.
        let value = json!({
            "words": ["no", "on", "y", "~", "", "1_000", "12:30", "0x1F", "2024-01-02", "<<"],
            "odd": [" a", "a: b", "#x", "a\tb", "a \nb", "x\n", "\n\n", "  lead\n", "q'\"\\", "\u{2028}"],
            "text": ["v1.2.3", "-a", "héllo", "a\nb\n\nc"],
            "on": {"yes": [1, -2.5, true, null, {}, []]},
        });
        let text = to_string(&value);
        let back: Value = serde_yaml_ng::from_str(&text).unwrap();
        assert_eq!(back, value, "{text}");
    }
}
