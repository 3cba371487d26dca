//! A fast reader for the YAML that values files and rendered manifests are
//! made of: block mappings and sequences, one-line plain and quoted
//! scalars, literal block scalars (`|`, `|-`, `|+`), one-line flow
//! collections and comments.
//!
//! It answers only when it is sure to decode exactly what libyaml,
//! goyaml.v2 and the JSON round trip of sigs.k8s.io/yaml decode (the same
//! [`Value`], built directly); on anything else (anchors,
//! tags, folded scalars, tabs, document markers, odd indentation, keys
//! that meet again as strings, `null` keys, infinite numbers, and every
//! error) it answers `None` and the caller takes
//! libyaml's path, which also gives the error messages. A render reads each
//! values file once and every rendered document once: libyaml's event
//! machinery cost more than the whole template execution.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::{key_string, resolve_hint, resolve_plain, GoVal, Str, Value};

/// The first document of `text` as `sigs.k8s.io/yaml.Unmarshal` decodes it
/// into an `interface{}`, or `None` when only libyaml can tell.
pub(super) fn parse(text: &str) -> Option<Value> {
    parse_with(text, false)
}

/// [`parse`] for a reader of the head only: a top-level mapping keeps just
/// the keys that may be `apiVersion`, `kind` or `metadata` (in any case);
/// the rest is read, and checked for what would fail the JSON step, but
/// not built.
pub(super) fn parse_head(text: &str) -> Option<Value> {
    parse_with(text, true)
}

fn parse_with(text: &str, head: bool) -> Option<Value> {
    if !plain_input(text.as_bytes()) {
        return None;
    }
    let mut r = Reader {
        s: text.as_bytes(),
        text,
        pos: 0,
        line_start: 0,
        depth: 0,
        keep: true,
        head: false,
    };
    r.next_content_line();
    let Some(col) = r.col() else {
        return Some(Value::Nil);
    };
    // Only a top-level mapping is a head reader's.
    r.head = head && !r.at_entry();
    let root = r.block_node(col)?;
    // One node only: anything left over is for libyaml to judge.
    r.col().is_none().then_some(root)
}

/// Whether every byte is one the reader knows how to treat: no tab, no
/// carriage return, no control or other non-printable character, no BOM,
/// no Unicode line separator; and no line that starts a directive or a
/// document marker.
fn plain_input(s: &[u8]) -> bool {
    if !line_start_ok(s) {
        return false;
    }
    let mut i = 0;
    while i < s.len() {
        match BYTE_CLASS[usize::from(s[i])] {
            PLAIN => i += 1,
            NEWLINE => {
                i += 1;
                if !line_start_ok(&s[i..]) {
                    return false;
                }
            }
            CONTROL => return false,
            _ => {
                // A lead byte of a multi-byte character.
                let (b1, b2) = (s.get(i + 1).copied(), s.get(i + 2).copied());
                let refused = match s[i] {
                    // C1 controls (NEL among them, a line break for libyaml).
                    0xC2 => matches!(b1, Some(0x80..=0x9F)),
                    // U+2028, U+2029 (line breaks).
                    0xE2 => b1 == Some(0x80) && matches!(b2, Some(0xA8 | 0xA9)),
                    // U+FEFF (BOM), U+FFFE, U+FFFF.
                    0xEF => {
                        (b1 == Some(0xBB) && b2 == Some(0xBF))
                            || (b1 == Some(0xBF) && matches!(b2, Some(0xBE | 0xBF)))
                    }
                    _ => false,
                };
                if refused {
                    return false;
                }
                i += 1;
            }
        }
    }
    true
}

/// Whether a line may start with these bytes: no directive, no document
/// marker.
fn line_start_ok(rest: &[u8]) -> bool {
    !(rest.first() == Some(&b'%')
        || ((rest.starts_with(b"---") || rest.starts_with(b"..."))
            && matches!(rest.get(3), None | Some(b' ' | b'\n'))))
}

const PLAIN: u8 = 0;
const NEWLINE: u8 = 1;
const CONTROL: u8 = 2;
const LEAD: u8 = 3;

/// What [`plain_input`] makes of each byte: printable ASCII and
/// continuation bytes pass, control characters (tab and CR among them)
/// and DEL refuse, lead bytes of the characters libyaml treats specially
/// are looked at.
static BYTE_CLASS: [u8; 256] = {
    let mut t = [PLAIN; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = match b {
            0x0A => NEWLINE,
            0x00..=0x1F | 0x7F => CONTROL,
            0xC2 | 0xE2 | 0xEF => LEAD,
            _ => PLAIN,
        };
        b += 1;
    }
    t
};

/// Deeper than this, libyaml decides (it has its own limit and message).
const MAX_DEPTH: usize = 200;

/// libyaml's longest simple key is 1024 characters; a margin for multi-byte ones.
const MAX_KEY: usize = 1000;

/// A quoted scalar read ahead: its value, the position after its closing
/// quote and the start of the line that quote is on.
struct Quoted {
    value: String,
    end: usize,
    line_start: usize,
}

struct Reader<'a> {
    s: &'a [u8],
    /// `s` as the text it is (slices of it need no UTF-8 check).
    text: &'a str,
    pos: usize,
    line_start: usize,
    depth: usize,
    /// Whether values are built (else only checked).
    keep: bool,
    /// Whether the next block mapping is a head reader's top level.
    head: bool,
}

/// Characters that cannot start a plain scalar.
fn indicator(b: u8) -> bool {
    matches!(
        b,
        b',' | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    )
}

impl<'a> Reader<'a> {
    fn at(&self, i: usize) -> Option<u8> {
        self.s.get(i).copied()
    }

    fn cur(&self) -> Option<u8> {
        self.at(self.pos)
    }

    /// Whether the byte at `i` is a space, a line break or the end.
    fn blankz(&self, i: usize) -> bool {
        matches!(self.at(i), None | Some(b' ' | b'\n'))
    }

    fn at_eol(&self) -> bool {
        matches!(self.cur(), None | Some(b'\n'))
    }

    /// The column of the reader, or `None` at the end of the input.
    fn col(&self) -> Option<usize> {
        (self.pos < self.s.len()).then(|| self.pos - self.line_start)
    }

    fn skip_spaces(&mut self) {
        while self.cur() == Some(b' ') {
            self.pos += 1;
        }
    }

    fn str(&self, from: usize, to: usize) -> Option<&'a str> {
        self.text.get(from..to)
    }

    /// From the start of a line: past blank and comment lines, to the
    /// first character of the next line with content (or the end).
    fn next_content_line(&mut self) {
        loop {
            self.skip_spaces();
            match self.cur() {
                None => return,
                Some(b'\n') => {}
                Some(b'#') => self.skip_to_eol(),
                Some(_) => return,
            }
            if self.cur() == Some(b'\n') {
                self.pos += 1;
                self.line_start = self.pos;
            }
        }
    }

    fn skip_to_eol(&mut self) {
        while !self.at_eol() {
            self.pos += 1;
        }
    }

    /// After a value on its line: spaces, an optional comment, the line
    /// break; then on to the next line with content.
    fn end_line(&mut self) -> Option<()> {
        self.skip_spaces();
        if self.cur() == Some(b'#') {
            self.skip_to_eol();
        }
        match self.cur() {
            None => Some(()),
            Some(b'\n') => {
                self.pos += 1;
                self.line_start = self.pos;
                self.next_content_line();
                Some(())
            }
            Some(_) => None,
        }
    }

    /// Whether a block sequence entry (`-` then a blank) starts here.
    fn at_entry(&self) -> bool {
        self.cur() == Some(b'-') && self.blankz(self.pos + 1)
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// A block mapping or sequence whose first character is here, at
    /// column `col` (the start of its line or after a `- `).
    fn block_node(&mut self, col: usize) -> Option<Value> {
        self.enter()?;
        let node = if self.at_entry() {
            self.block_seq(col)
        } else {
            self.block_map(col)
        };
        self.depth -= 1;
        node
    }

    fn block_map(&mut self, col: usize) -> Option<Value> {
        let head = std::mem::take(&mut self.head);
        let keep = self.keep;
        let mut map = BTreeMap::new();
        loop {
            let (key, end) = self.scan_key()?;
            self.pos = end;
            let keep_entry = keep && (!head || key.may_be_head_field());
            let key = if keep_entry {
                Some(key.into_key()?)
            } else {
                key.check_key()?;
                None
            };
            self.keep = keep_entry;
            let value = self.map_value(col);
            self.keep = keep;
            let value = value?;
            if let Some(key) = key {
                insert(&mut map, key, value)?;
            }
            match self.col() {
                None => break,
                Some(c) if c < col => break,
                Some(c) if c == col && !self.at_entry() => {}
                Some(_) => return None,
            }
        }
        Some(if keep { Value::map(map) } else { Value::Nil })
    }

    /// A plain scalar's value, or (when values are not kept) `Nil` once it
    /// is known to pass the JSON step.
    fn plain_value(&self, text: &str) -> Option<Value> {
        if self.keep {
            plain_value(text)
        } else {
            plain_check(text).then_some(Value::Nil)
        }
    }

    /// A string's value, unless values are not kept.
    fn string(&self, s: String) -> Value {
        if self.keep {
            Value::String(s.into())
        } else {
            Value::Nil
        }
    }

    /// A simple key starting here, and where its `:` ends; `None` when the
    /// line does not start with one.
    fn scan_key(&self) -> Option<(Scalar<'a>, usize)> {
        let start = self.pos;
        let (key, mut i) = match self.cur()? {
            q @ (b'"' | b'\'') => {
                let quoted = self.scan_quoted(start, q, None)?;
                (Scalar::Quoted(quoted.value), quoted.end)
            }
            b => {
                if indicator(b) || (matches!(b, b'-' | b'?' | b':') && self.blankz(start + 1)) {
                    return None;
                }
                let mut i = start;
                loop {
                    match self.at(i) {
                        None | Some(b'\n') => return None,
                        Some(b':') if self.blankz(i + 1) => break,
                        Some(b' ') if self.at(i + 1) == Some(b'#') => return None,
                        _ => i += 1,
                    }
                }
                let text = self.str(start, i)?.trim_end_matches(' ');
                if text == "<<" {
                    return None;
                }
                (Scalar::Plain(text), i)
            }
        };
        while self.at(i) == Some(b' ') {
            i += 1;
        }
        if self.at(i) != Some(b':') || !self.blankz(i + 1) || i - start > MAX_KEY {
            return None;
        }
        i += 1;
        Some((key, i))
    }

    /// The value after `key:` in a mapping at column `col`.
    fn map_value(&mut self, col: usize) -> Option<Value> {
        self.skip_spaces();
        if self.at_eol() || self.cur() == Some(b'#') {
            self.end_line()?;
            return match self.col() {
                None => Some(Value::Nil),
                Some(c) if c < col => Some(Value::Nil),
                Some(c) if c == col => {
                    if self.at_entry() {
                        self.enter()?;
                        let seq = self.block_seq(col);
                        self.depth -= 1;
                        seq
                    } else {
                        Some(Value::Nil)
                    }
                }
                Some(c) => self.next_line_value(c, col),
            };
        }
        self.inline_value(col)
    }

    /// A value that starts on a line of its own, at column `c`, more
    /// indented than its collection at column `col`.
    fn next_line_value(&mut self, c: usize, col: usize) -> Option<Value> {
        if self.at_entry() || self.scan_key().is_some() {
            self.block_node(c)
        } else {
            self.inline_value(col)
        }
    }

    /// A value that starts on the current line, in a block collection at
    /// column `col`: a scalar, a flow collection or a literal block scalar.
    fn inline_value(&mut self, col: usize) -> Option<Value> {
        let value = match self.cur()? {
            b'|' => return self.literal(col),
            b'[' | b'{' => self.flow_node()?,
            q @ (b'"' | b'\'') => {
                let quoted = self.scan_quoted(self.pos, q, Some(col))?;
                self.pos = quoted.end;
                self.line_start = quoted.line_start;
                self.string(quoted.value)
            }
            _ => self.block_plain(col)?,
        };
        self.end_line()?;
        // A line more indented than the collection is an error here, or
        // something only libyaml reads.
        if self.col().is_some_and(|c| c > col) {
            return None;
        }
        Some(value)
    }

    /// A plain scalar in a block collection at column `col`, continued on
    /// the lines indented deeper than `col` as libyaml's
    /// `yaml_parser_scan_plain_scalar` folds them: one line break becomes
    /// a space, n empty lines n line breaks. Ends before the comment or
    /// line break that ends it.
    fn block_plain(&mut self, col: usize) -> Option<Value> {
        let b = self.cur()?;
        if indicator(b) || (matches!(b, b'-' | b'?' | b':') && self.blankz(self.pos + 1)) {
            return None;
        }
        let (start, end, comment) = self.plain_line()?;
        if comment || self.continuation(col).is_none() {
            return self.plain_value(self.str(start, end)?);
        }
        let mut text = self.str(start, end)?.to_string();
        while let Some(breaks) = self.continuation(col) {
            // The lines between: consumed; the reader is at the
            // continuation's first character.
            self.skip_breaks();
            if breaks == 0 {
                text.push(' ');
            } else {
                push_breaks(&mut text, breaks);
            }
            let (start, end, comment) = self.plain_line()?;
            text.push_str(self.str(start, end)?);
            if comment {
                break;
            }
        }
        self.plain_value(&text)
    }

    /// One line of a plain scalar from here: its start, its end (trailing
    /// spaces trimmed), and whether a comment ends it. The reader stops at
    /// the comment or the line break. `None` at `: ` (an error for
    /// libyaml).
    fn plain_line(&mut self) -> Option<(usize, usize, bool)> {
        let start = self.pos;
        let mut comment = false;
        loop {
            match self.cur() {
                None | Some(b'\n') => break,
                Some(b':') if self.blankz(self.pos + 1) => return None,
                Some(b' ') if self.at(self.pos + 1) == Some(b'#') => {
                    comment = true;
                    break;
                }
                _ => self.pos += 1,
            }
        }
        let mut end = self.pos;
        while end > start && self.s[end - 1] == b' ' {
            end -= 1;
        }
        Some((start, end, comment))
    }

    /// At the end of a plain scalar's line: whether the scalar goes on
    /// (the next non-empty line is indented deeper than `col` and is no
    /// comment), and after how many empty lines. Reads ahead only.
    fn continuation(&self, col: usize) -> Option<usize> {
        let mut i = self.pos;
        let mut breaks = 0;
        let mut line_start;
        loop {
            while self.at(i) == Some(b' ') {
                i += 1;
            }
            if self.at(i) != Some(b'\n') {
                return None;
            }
            i += 1;
            line_start = i;
            while self.at(i) == Some(b' ') {
                i += 1;
            }
            match self.at(i) {
                None | Some(b'#') => return None,
                Some(b'\n') => breaks += 1,
                Some(_) if i - line_start > col => return Some(breaks),
                Some(_) => return None,
            }
            // An empty line: the loop reads its break.
        }
    }

    /// Past spaces and line breaks, to the next non-space character.
    fn skip_breaks(&mut self) {
        loop {
            match self.cur() {
                Some(b' ') => self.pos += 1,
                Some(b'\n') => {
                    self.pos += 1;
                    self.line_start = self.pos;
                }
                _ => return,
            }
        }
    }

    fn block_seq(&mut self, col: usize) -> Option<Value> {
        let mut items = Vec::new();
        loop {
            // At `-`.
            self.pos += 1;
            self.skip_spaces();
            let item = if self.at_eol() || self.cur() == Some(b'#') {
                self.end_line()?;
                match self.col() {
                    Some(c) if c > col => self.next_line_value(c, col)?,
                    _ => Value::Nil,
                }
            } else {
                let p = self.pos - self.line_start;
                if self.at_entry() || self.scan_key().is_some() {
                    self.block_node(p)?
                } else {
                    self.inline_value(col)?
                }
            };
            if self.keep {
                items.push(item);
            }
            match self.col() {
                Some(c) if c == col && self.at_entry() => {}
                Some(c) if c > col => return None,
                _ => break,
            }
        }
        Some(if self.keep {
            Value::list(items)
        } else {
            Value::Nil
        })
    }

    /// A quoted scalar starting at `start` (its quote `q`), as libyaml's
    /// `yaml_parser_scan_flow_scalar` reads it: on one line, or (given the
    /// column of its block collection) folded over lines indented deeper
    /// than that.
    fn scan_quoted(&self, start: usize, q: u8, parent: Option<usize>) -> Option<Quoted> {
        let mut out = String::new();
        let mut i = start + 1;
        let mut line_start = self.line_start;
        loop {
            // Non-blank characters.
            let mut leading_blanks = false;
            let mut run = i;
            loop {
                match self.at(i)? {
                    b' ' | b'\n' => break,
                    b'\'' if q == b'\'' => {
                        out.push_str(self.str(run, i)?);
                        if self.at(i + 1) == Some(b'\'') {
                            out.push('\'');
                            i += 2;
                            run = i;
                        } else {
                            return Some(Quoted {
                                value: out,
                                end: i + 1,
                                line_start,
                            });
                        }
                    }
                    b'"' if q == b'"' => {
                        out.push_str(self.str(run, i)?);
                        return Some(Quoted {
                            value: out,
                            end: i + 1,
                            line_start,
                        });
                    }
                    b'\\' if q == b'"' => {
                        out.push_str(self.str(run, i)?);
                        if self.at(i + 1) == Some(b'\n') {
                            // An escaped line break: no folding.
                            parent?;
                            i += 2;
                            line_start = i;
                            leading_blanks = true;
                            run = i;
                            break;
                        }
                        let (c, len) = self.escape(i + 1)?;
                        out.push(c);
                        i += 1 + len;
                        run = i;
                    }
                    _ => i += 1,
                }
            }
            out.push_str(self.str(run, i)?);
            // Blanks and line breaks.
            let blanks = i;
            let mut folded_break = false;
            let mut breaks = 0;
            loop {
                match self.at(i) {
                    Some(b' ') => i += 1,
                    Some(b'\n') => {
                        parent?;
                        if leading_blanks {
                            breaks += 1;
                        } else {
                            folded_break = true;
                            leading_blanks = true;
                        }
                        i += 1;
                        line_start = i;
                    }
                    _ => break,
                }
            }
            if let Some(parent) = parent {
                if line_start > start && i - line_start <= parent {
                    return None;
                }
            }
            if leading_blanks {
                if folded_break && breaks == 0 {
                    out.push(' ');
                } else {
                    push_breaks(&mut out, breaks);
                }
            } else {
                out.push_str(self.str(blanks, i)?);
            }
        }
    }

    /// libyaml's double-quoted escape at `i` (after the backslash): the
    /// character and the bytes it took.
    fn escape(&self, i: usize) -> Option<(char, usize)> {
        let simple = match self.at(i)? {
            b'0' => '\0',
            b'a' => '\x07',
            b'b' => '\x08',
            b't' => '\t',
            b'n' => '\n',
            b'v' => '\x0B',
            b'f' => '\x0C',
            b'r' => '\r',
            b'e' => '\x1B',
            b' ' => ' ',
            b'"' => '"',
            b'/' => '/',
            b'\\' => '\\',
            b'N' => '\u{85}',
            b'_' => '\u{A0}',
            b'L' => '\u{2028}',
            b'P' => '\u{2029}',
            b'x' => return self.hex_escape(i + 1, 2),
            b'u' => return self.hex_escape(i + 1, 4),
            b'U' => return self.hex_escape(i + 1, 8),
            _ => return None,
        };
        Some((simple, 1))
    }

    fn hex_escape(&self, i: usize, digits: usize) -> Option<(char, usize)> {
        let hex = self.s.get(i..i + digits)?;
        let mut code = 0u32;
        for &h in hex {
            code = code * 16 + char::from(h).to_digit(16)?;
        }
        Some((char::from_u32(code)?, 1 + digits))
    }

    /// A literal block scalar (`|`, `|-`, `|+`) in a block collection at
    /// column `parent`, as libyaml's `yaml_parser_scan_block_scalar` reads
    /// it.
    fn literal(&mut self, parent: usize) -> Option<Value> {
        self.pos += 1;
        let chomping = match self.cur() {
            Some(b'-') => -1,
            Some(b'+') => 1,
            _ => 0,
        };
        if chomping != 0 {
            self.pos += 1;
        }
        // An indentation indicator, or anything but a comment after a blank.
        if !self.blankz(self.pos) {
            return None;
        }
        self.skip_spaces();
        if self.cur() == Some(b'#') {
            self.skip_to_eol();
        }
        match self.cur() {
            None => {}
            Some(b'\n') => {
                self.pos += 1;
                self.line_start = self.pos;
            }
            Some(_) => return None,
        }
        let mut out = String::new();
        let mut leading_break = false;
        let mut trailing_breaks = 0usize;
        let mut indent = 0usize;
        self.block_breaks(&mut indent, &mut trailing_breaks, parent);
        while self.col() == Some(indent) {
            if leading_break {
                out.push('\n');
            }
            push_breaks(&mut out, trailing_breaks);
            trailing_breaks = 0;
            let start = self.pos;
            self.skip_to_eol();
            out.push_str(self.str(start, self.pos)?);
            leading_break = self.cur() == Some(b'\n');
            if leading_break {
                self.pos += 1;
                self.line_start = self.pos;
            }
            self.block_breaks(&mut indent, &mut trailing_breaks, parent);
        }
        if chomping != -1 && leading_break {
            out.push('\n');
        }
        if chomping == 1 {
            push_breaks(&mut out, trailing_breaks);
        }
        // Where the scalar ended: the end, or a less indented line, which
        // may be a comment.
        if self.cur() == Some(b'#') {
            self.skip_to_eol();
            if self.cur() == Some(b'\n') {
                self.pos += 1;
                self.line_start = self.pos;
            }
            self.next_content_line();
        }
        if self.col().is_some_and(|c| c > parent) {
            return None;
        }
        Some(self.string(out))
    }

    /// libyaml's `yaml_parser_scan_block_scalar_breaks`: the indentation
    /// and the empty lines before the next content line; the indentation
    /// is found on the first call (`indent` 0).
    fn block_breaks(&mut self, indent: &mut usize, breaks: &mut usize, parent: usize) {
        let mut max_indent = 0;
        loop {
            while (*indent == 0 || self.pos - self.line_start < *indent) && self.cur() == Some(b' ')
            {
                self.pos += 1;
            }
            max_indent = max_indent.max(self.pos - self.line_start);
            if self.cur() != Some(b'\n') {
                break;
            }
            self.pos += 1;
            self.line_start = self.pos;
            *breaks += 1;
        }
        if *indent == 0 {
            *indent = max_indent.max(parent + 1).max(1);
        }
    }

    /// A flow collection, closed on this line.
    fn flow_node(&mut self) -> Option<Value> {
        self.enter()?;
        let node = match self.cur()? {
            b'[' => self.flow_seq(),
            _ => self.flow_map(),
        };
        self.depth -= 1;
        node
    }

    fn flow_seq(&mut self) -> Option<Value> {
        self.pos += 1;
        self.skip_spaces();
        let mut items = Vec::new();
        if self.cur() == Some(b']') {
            self.pos += 1;
            return Some(Value::list(items));
        }
        loop {
            items.push(self.flow_item()?);
            if self.flow_separator(b']')? {
                return Some(Value::list(items));
            }
        }
    }

    fn flow_map(&mut self) -> Option<Value> {
        self.pos += 1;
        self.skip_spaces();
        let mut map = BTreeMap::new();
        if self.cur() == Some(b'}') {
            self.pos += 1;
            return Some(Value::map(map));
        }
        loop {
            let key = match self.cur()? {
                b'[' | b'{' => return None,
                _ => self.flow_scalar()?.into_key()?,
            };
            self.skip_spaces();
            if self.cur() != Some(b':') || self.at(self.pos + 1) != Some(b' ') {
                return None;
            }
            self.pos += 1;
            self.skip_spaces();
            if matches!(self.cur()?, b',' | b'}') {
                return None;
            }
            let value = self.flow_item()?;
            insert(&mut map, key, value)?;
            if self.flow_separator(b'}')? {
                return Some(Value::map(map));
            }
        }
    }

    /// After an entry of a flow collection: `Some(true)` past its closing
    /// `close`, `Some(false)` past a `,` with another entry ahead, `None`
    /// for anything else (a trailing comma among it: libyaml's to judge).
    fn flow_separator(&mut self, close: u8) -> Option<bool> {
        self.skip_spaces();
        match self.cur()? {
            b',' => {
                self.pos += 1;
                self.skip_spaces();
                (self.cur() != Some(close)).then_some(false)
            }
            c if c == close => {
                self.pos += 1;
                Some(true)
            }
            _ => None,
        }
    }

    /// An entry of a flow sequence or a value of a flow mapping.
    fn flow_item(&mut self) -> Option<Value> {
        let item = match self.cur()? {
            b'[' | b'{' => self.flow_node()?,
            _ => match self.flow_scalar()? {
                Scalar::Quoted(s) => Value::String(s.into()),
                Scalar::Plain(text) => self.plain_value(text)?,
            },
        };
        // `[a: b]` is a one-pair mapping: libyaml's.
        let mut i = self.pos;
        while self.at(i) == Some(b' ') {
            i += 1;
        }
        if self.at(i) == Some(b':') {
            return None;
        }
        Some(item)
    }

    /// A quoted or plain scalar in a flow collection.
    fn flow_scalar(&mut self) -> Option<Scalar<'a>> {
        match self.cur()? {
            q @ (b'"' | b'\'') => {
                let quoted = self.scan_quoted(self.pos, q, None)?;
                self.pos = quoted.end;
                Some(Scalar::Quoted(quoted.value))
            }
            b => {
                // In a flow collection `?` and `:` are always indicators.
                if indicator(b)
                    || matches!(b, b'?' | b':')
                    || (b == b'-' && self.flow_blank(self.pos + 1))
                {
                    return None;
                }
                let start = self.pos;
                loop {
                    match self.cur() {
                        Some(b',' | b'[' | b']' | b'{' | b'}') => break,
                        // `: ` is the caller's to judge; a `:` before a flow
                        // indicator is libyaml's error.
                        Some(b':') if self.blankz(self.pos + 1) => break,
                        Some(b':')
                            if self.flow_blank(self.pos + 1)
                                || self.at(self.pos + 1) == Some(b'?') =>
                        {
                            return None
                        }
                        // A comment.
                        Some(b'#') if self.s[self.pos - 1] == b' ' => return None,
                        // Multi-line, and `?` (where goyaml and libyaml
                        // differ): libyaml's path.
                        None | Some(b'\n' | b'?') => return None,
                        _ => self.pos += 1,
                    }
                }
                let text = self.str(start, self.pos)?.trim_end_matches(' ');
                if text.is_empty() {
                    return None;
                }
                Some(Scalar::Plain(text))
            }
        }
    }

    /// Whether the byte at `i` ends a flow plain scalar's first character.
    fn flow_blank(&self, i: usize) -> bool {
        self.blankz(i) || matches!(self.at(i), Some(b',' | b'[' | b']' | b'{' | b'}'))
    }
}

/// A scalar before it is a key or a value.
enum Scalar<'a> {
    Quoted(String),
    Plain(&'a str),
}

impl Scalar<'_> {
    /// The key as the JSON step names it; `None` for one it refuses.
    fn into_key(self) -> Option<Str> {
        match self {
            Scalar::Quoted(s) => Some(s.into()),
            Scalar::Plain(text) => plain_key(text),
        }
    }

    /// Whether the JSON step takes the key, without building it.
    fn check_key(&self) -> Option<()> {
        match self {
            Scalar::Plain(text) if !string_hint(text) => plain_key(text).map(drop),
            _ => Some(()),
        }
    }

    /// Whether the key may name a head field: ASCII case folding of
    /// `apiVersion`, `kind` or `metadata`, or any non-ASCII key (Go's
    /// folding knows the Kelvin sign and the long s; decode_head decides).
    fn may_be_head_field(&self) -> bool {
        let text = match self {
            Scalar::Quoted(s) => s.as_str(),
            Scalar::Plain(t) => t,
        };
        !text.is_ascii()
            || ["apiVersion", "kind", "metadata"]
                .iter()
                .any(|f| f.eq_ignore_ascii_case(text))
    }
}

/// Whether resolve's hint table sends a plain scalar straight to a string.
fn string_hint(text: &str) -> bool {
    resolve_hint(text) == 0
}

/// Whether a plain scalar passes the JSON step (no infinity or NaN).
fn plain_check(text: &str) -> bool {
    string_hint(text) || !matches!(resolve_plain("", text).1, GoVal::Float(f) if !f.is_finite())
}

/// Adds a key, or `None` when the mapping has it already: goyaml keeps
/// the first key's place and the JSON step may then merge it with another
/// key of the same text (`1` and `"1"`), which libyaml's path gets right.
fn insert(map: &mut BTreeMap<Str, Value>, key: Str, value: Value) -> Option<()> {
    match map.insert(key, value) {
        None => Some(()),
        Some(_) => None,
    }
}

/// A plain scalar's value after the JSON step: numbers are `float64`;
/// infinities and NaN fail `json.Marshal` (libyaml's path says how).
fn plain_value(text: &str) -> Option<Value> {
    if string_hint(text) {
        return Some(Value::String(Rc::from(text)));
    }
    Some(match resolve_plain("", text).1 {
        GoVal::Nil => Value::Nil,
        GoVal::Bool(b) => Value::Bool(b),
        GoVal::Int(i) => Value::Float(i as f64),
        GoVal::Uint(u) => Value::Float(u as f64),
        GoVal::Float(f) if f.is_finite() => Value::Float(f),
        GoVal::Str(s) => Value::String(s.into()),
        _ => return None,
    })
}

/// A plain key as the JSON step names it (`1.5` by its float32 text,
/// `y` as `true`); `None` for the keys sigs.k8s.io/yaml refuses (`~`,
/// integers above int64).
fn plain_key(text: &str) -> Option<Str> {
    match resolve_plain("", text).1 {
        GoVal::Str(s) => Some(s.into()),
        GoVal::Nil | GoVal::Uint(_) => None,
        other => Some(key_string(&other).into()),
    }
}

fn push_breaks(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::super::{super::json, libyaml_unmarshal, Value};
    use super::parse;

    /// The head reader's answer, checked against libyaml's whole value
    /// (its head fields) whenever it gives one.
    fn same_head(text: &str) {
        let Some(head) = super::parse_head(text) else {
            return;
        };
        let print = |v: &Value| json::marshal(v).map_err(|e| e.to_string());
        let whole = libyaml_unmarshal(text).map(|v| match v {
            Value::Map(m) => {
                let kept = m
                    .entries()
                    .into_iter()
                    .filter(|(k, _)| {
                        !k.is_ascii()
                            || ["apiversion", "kind", "metadata"]
                                .contains(&&*k.to_ascii_lowercase())
                    })
                    .collect();
                Value::map(kept)
            }
            other => other,
        });
        assert_eq!(
            Ok(print(&head)),
            whole.map(|v| print(&v)),
            "head reader differs from libyaml on {text:?}"
        );
    }

    /// The fast reader's answer, checked against libyaml's whenever it
    /// gives one.
    fn same(text: &str) -> Option<Value> {
        same_head(text);
        let fast = parse(text)?;
        let slow = libyaml_unmarshal(text);
        let print = |v: &Value| json::marshal(v).map_err(|e| e.to_string());
        assert_eq!(
            Ok(print(&fast)),
            slow.map(|v| print(&v)),
            "fast reader differs from libyaml on {text:?}"
        );
        Some(fast)
    }

    #[test]
    fn reads_what_libyaml_reads() {
        let cases = [
            "",
            "\n\n# only a comment\n",
            "a: 1\nb: two\nc: true\nd: ~\ne: 1.5\nf: 0755\ng: 0x1F\nh: 1e3\ni: .inf\n",
            "a:\n  b:\n    c: d\n  e: f\ng: h\n",
            "a:\n- 1\n- 2\nb: 3\n",
            "a:\n  - x: 1\n    y: 2\n  - z\n  -\n  - - p\n    - q\n",
            "- a\n- b: c\n  d: e\n-   f: g\n    h: i\n",
            "a: 'it''s'\nb: \"tab\\there \\u00e9 \\x41 \\\\ \\\"q\\\"\"\n'c d': e\n\"f\": g\n",
            "a: [1, b, \"c\", 'd', [e, f], {g: h}]\nb: []\nc: {}\nd: {x: 1, \"y\": [2]}\n",
            "a: |\n  line1\n\n  line2\n    more\nb: |-\n  x\n\n\nc: |+\n  y\n\n\nd: e\n",
            "a: |\n  x\n # less indented comment\nb: 1\n",
            "a: |\nb: 1\n",
            "a: |\n\n\n  late\n",
            "a: |\n  x",
            "a: b # comment\nc: d#not\ne: http://x.y/z?q=1\nf: a:b\n",
            "  a: 1\n  b:\n    - 2\n",
            "on: yes\nn: off\n1: one\n1.5: x\n~: nul\n",
            "a:   spaced   \nb: - x\n",
            "a: b\n  c\n",
            "a:\n  b\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: >\n  folded\n",
            "key: value\n- item\n",
            "a: [b, c\n  d]\n",
            "a: \"multi\n  line\"\n",
            "a: 1\n\tb: 2\n",
            "---\na: 1\n",
            "a: 2001-12-14\nb: 1_000\nc: -0b101\nd: +12\ne: .5\nf: 1.\ng: null\nh: Null\n",
            "a: b: c\n",
            "a: x\n a2: y\n",
            "x:\n  - a\n   - b\n",
            "<<: {a: 1}\n",
            "a: '<<'\n'<<': b\n",
            "a: \"\\q\"\n",
            "a: [a: b]\n",
            "a: {b}\n",
            "a: [1,]\n",
            "- |\n  block in seq\n- next\n",
            "a:\n- |-\n  x\n  y\n- z\n",
            "a: |2\n   x\n",
            "a: |\n   \n  x\n",
            "a: |\n  x\n   \n  y\n",
            "empty:\nnext: 1\n",
            "a:\n\n\n  b: 1\n\n# c\n\n",
            "é: ü\nlong: 日本語\n",
            "resources:\n  {}\nb:\n  'q'\nc:\n  plain\n  more\nd:\n  |\n   x\n",
            "description: a long\n  text folded\n\n  with a break\n\n\n  two\nnext: 1\n",
            "- a\n  b\n- c\n  - d\n  [e]\n  f: g\n",
            "a: b\n  c: d\n",
            "a: b # c\n  d\n",
            "a: b\n  # c\n  d\n",
            "a: b\n  # c\nd: 1\n",
            "a: 'one\n  two  three\n\n  four'\nb: \"x\\\n   y\\\n\n  z \\\n  w\"\nc: \"f\n  g\"\n",
            "a: 'x\ny'\n",
            "- 'x\n  y'\n- \"p\n\n  q\"\n",
            "a: [https://x.org/p, a:b, 'c:d']\nb: [a#b]\nc: [a:, b]\nd: [a:?]\n",
            "a:\n-\n  x\n- y\n",
        ];
        let mut answered = 0;
        for text in cases {
            if same(text).is_some() {
                answered += 1;
            }
        }
        // Most of the cases above are for the fast path; the rest must
        // fall back (checked below).
        assert!(answered >= 25, "only {answered} cases read fast");
        for text in [
            "a: b\n  c: d\n",
            "a: &x 1\nb: *x\n",
            "a: >\n  folded\n",
            "a: b: c\n",
            "key: value\n- item\n",
            "<<: {a: 1}\n",
            "a: 1\n\tb: 2\n",
        ] {
            assert!(parse(text).is_none(), "{text:?} must take libyaml's path");
        }
    }

    /// Every YAML document of the conformance corpus (values files, chart
    /// metadata, rendered manifests): the fast reader agrees with libyaml,
    /// and reads nearly all of what libyaml reads (else a render pays for
    /// libyaml again; what it leaves are separator-only documents and the
    /// cases made of YAML 1.1 keys that meet as strings, `on` and `yes`).
    #[test]
    fn reads_the_conformance_corpus() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/helm-conformance");
        let mut files = Vec::new();
        collect_yaml(&root, &mut files);
        assert!(
            files.len() > 100,
            "corpus not found under {}",
            root.display()
        );
        let (mut decoded, mut fast, mut missed) = (0, 0, Vec::new());
        for file in &files {
            let Ok(text) = std::fs::read_to_string(file) else {
                continue;
            };
            for doc in text.split("\n---") {
                let doc = doc.strip_prefix('\n').unwrap_or(doc);
                let doc = doc.strip_prefix("---\n").unwrap_or(doc);
                if libyaml_unmarshal(doc).is_err() {
                    continue;
                }
                decoded += 1;
                match same(doc) {
                    Some(_) => fast += 1,
                    None => missed.push(format!(
                        "{}: {:?}",
                        file.display(),
                        &doc[..doc.len().min(300)]
                    )),
                }
            }
        }
        missed.dedup();
        assert!(
            fast * 100 >= decoded * 98,
            "fast reader took {fast} of {decoded} documents; missed in {missed:#?}"
        );
    }

    fn collect_yaml(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                collect_yaml(&p, out);
            } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                out.push(p);
            }
        }
    }

    /// Random documents from a small grammar of everything the reader
    /// handles and much that it must refuse, mutated byte by byte:
    /// whenever the fast reader answers, libyaml agrees.
    #[test]
    fn agrees_with_libyaml_on_random_documents() {
        // PLUMB_YAML_FUZZ=ROUNDS[,SEED] explores further than CI does.
        let knob = std::env::var("PLUMB_YAML_FUZZ").unwrap_or_default();
        let mut knob = knob.split(',').map(|n| n.trim().parse::<u64>().ok());
        let rounds = knob.next().flatten().unwrap_or(20000);
        let seed = knob.next().flatten().unwrap_or(0x5eed_1234_abcd_0001);
        let mut rng = Lcg(seed);
        let mut answered = 0;
        for round in 0..rounds {
            let mut text = String::new();
            random_block(&mut rng, &mut text, 0, 0);
            if round % 3 == 1 {
                mutate(&mut rng, &mut text);
            }
            if same(&text).is_some() {
                answered += 1;
            }
        }
        assert!(
            answered > rounds / 10,
            "only {answered} of {rounds} random documents read fast"
        );
    }

    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 33
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn pick<'s>(&mut self, items: &[&'s str]) -> &'s str {
            items[self.below(items.len() as u64) as usize]
        }
    }

    const SCALARS: &[&str] = &[
        "a",
        "b c",
        "1",
        "-1",
        "0o17",
        "0777",
        "1e3",
        "1.5",
        ".inf",
        "-.Inf",
        ".nan",
        "yes",
        "No",
        "on",
        "OFF",
        "y",
        "n",
        "~",
        "null",
        "true",
        "x:y",
        "http://h:80/p",
        "a#b",
        "'q'",
        "'it''s'",
        "\"d\"",
        "\"\\n\\t\\u00e9\\\\\"",
        "\"\"",
        "''",
        "[]",
        "{}",
        "[1, 2]",
        "{k: v}",
        "[a, [b]]",
        "{a: [1], 'b': {c: d}}",
        "2001-12-14",
        "12:30:00",
        "1_000",
        "0x1f",
        "-0b11",
        "+5",
        "a - b",
        "-a",
        ":x",
        "?x",
        "é",
        "x # c",
        "\"a\" # c",
        "[a,b]",
        "{a: b,c: d}",
        "<<",
        "*x",
        "&a b",
        "!t x",
        "| ",
        ">",
        "\"bad\\q\"",
        "'open",
        "[open",
        "a: b",
        "- x",
        "%x",
        "@x",
        "`x",
        "a  ",
        " a",
    ];

    const KEYS: &[&str] = &[
        "a",
        "b",
        "key",
        "on",
        "1",
        "1.5",
        "~",
        "'q k'",
        "\"d\"",
        "x y",
        "-k",
        "a:b",
        "<<",
        "?",
        "é",
        "true",
        "null",
        "[k]",
        "kind",
        "Metadata",
        "apiVersion",
    ];

    fn indent(text: &mut String, n: usize) {
        for _ in 0..n {
            text.push(' ');
        }
    }

    fn random_block(rng: &mut Lcg, text: &mut String, col: usize, depth: usize) {
        let entries = 1 + rng.below(4);
        let seq = rng.below(3) == 0;
        for i in 0..entries {
            if i > 0 || depth == 0 {
                indent(text, col);
            }
            if rng.below(8) == 0 {
                text.push_str("# comment\n");
                indent(text, col);
            }
            if seq {
                text.push_str(rng.pick(&["- ", "-  ", "-"]));
            } else {
                // Fresh keys half the time: a key met twice sends the
                // whole document to libyaml.
                if rng.below(2) == 0 {
                    text.push_str(rng.pick(KEYS));
                } else {
                    text.push_str(&format!("k{}", rng.below(1_000_000)));
                }
                text.push_str(rng.pick(&[": ", ":  ", " : ", ":"]));
            }
            random_value(rng, text, col, depth);
        }
    }

    fn random_value(rng: &mut Lcg, text: &mut String, col: usize, depth: usize) {
        match rng.below(if depth > 3 { 3 } else { 9 }) {
            0 | 1 => {
                text.push_str(rng.pick(SCALARS));
                text.push('\n');
            }
            6 => {
                // A scalar on the next line, maybe continued.
                text.push('\n');
                indent(text, col + rng.below(3) as usize);
                text.push_str(rng.pick(SCALARS));
                text.push('\n');
                random_continuation(rng, text, col);
            }
            7 => {
                // A multi-line plain or quoted scalar.
                text.push_str(rng.pick(&["word", "two words", "'q", "\"d", "\"e\\", "'", "\""]));
                text.push('\n');
                random_continuation(rng, text, col);
            }
            2 => {
                text.push_str(rng.pick(&["|", "|-", "|+", "| # c", "|2"]));
                text.push('\n');
                let inner = col + 1 + rng.below(3) as usize;
                for _ in 0..1 + rng.below(3) {
                    match rng.below(4) {
                        0 => text.push('\n'),
                        1 => {
                            indent(text, inner + rng.below(3) as usize);
                            text.push_str("more #x\n");
                        }
                        _ => {
                            indent(text, inner);
                            text.push_str(rng.pick(SCALARS));
                            text.push('\n');
                        }
                    }
                }
                if rng.below(3) == 0 {
                    text.push('\n');
                }
            }
            3 => {
                // Indentless sequence under a key.
                text.push('\n');
                indent(text, col);
                text.push_str("- ");
                text.push_str(rng.pick(SCALARS));
                text.push('\n');
            }
            _ => {
                text.push('\n');
                let inner = col
                    + rng
                        .pick(&["1", "2", "2", "4"])
                        .parse::<usize>()
                        .unwrap_or(2);
                indent(text, inner);
                random_block(rng, text, inner, depth + 1);
            }
        }
    }

    /// Lines that continue a scalar (or are something else where they
    /// are): empty ones, more or less indented ones, closing quotes.
    fn random_continuation(rng: &mut Lcg, text: &mut String, col: usize) {
        for _ in 0..rng.below(4) {
            if rng.below(4) == 0 {
                text.push_str(rng.pick(&["\n", "  \n"]));
            }
            indent(text, col + rng.below(4) as usize);
            text.push_str(rng.pick(&[
                "more", "x y ", "- z", "# c", "a: b", "end'", "end\"", "e\\", "'' q'", "\\\" q\"",
                "[a]", "k #c", "w:", "&x", "*y",
            ]));
            text.push('\n');
        }
    }

    fn mutate(rng: &mut Lcg, text: &mut String) {
        let mut b = text.as_bytes().to_vec();
        if b.is_empty() {
            return;
        }
        for _ in 0..1 + rng.below(3) {
            let i = rng.below(b.len() as u64) as usize;
            let c = [b' ', b'\n', b':', b'-', b'#', b'\'', b'"', b'[', b'|', b'a'];
            match rng.below(3) {
                0 => {
                    b.remove(i);
                }
                1 => b.insert(i, c[rng.below(c.len() as u64) as usize]),
                _ => b[i] = c[rng.below(c.len() as u64) as usize],
            }
        }
        *text = String::from_utf8_lossy(&b).into_owned();
    }
}
