//! The lexer: Go's `text/template/parse/lex.go` state machine, run on
//! demand as Go 1.20+ runs it: the parser pulls one item at a time, so no
//! list of a template's items is ever built. Positions are byte
//! offsets and lines are 1-based, as Go counts them, because error
//! messages print both.

use std::borrow::Cow;
use std::collections::VecDeque;

/// What an item is (Go's `itemType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemType {
    /// An error; `val` is the message.
    Error,
    /// `true` or `false`.
    Bool,
    /// A printable ASCII character in an action (`,` and the like).
    Char,
    /// A character constant (`'a'`).
    CharConstant,
    /// A complex constant (`1+2i`).
    Complex,
    /// `=`.
    Assign,
    /// `:=`.
    Declare,
    /// End of input.
    Eof,
    /// `.Field`.
    Field,
    /// A function name.
    Identifier,
    /// `{{`.
    LeftDelim,
    /// `(`.
    LeftParen,
    /// A number.
    Number,
    /// `|`.
    Pipe,
    /// A raw string, with its backquotes.
    RawString,
    /// `}}`.
    RightDelim,
    /// `)`.
    RightParen,
    /// Spaces between operands.
    Space,
    /// A quoted string, with its quotes.
    String,
    /// Text outside actions.
    Text,
    /// `$` or `$name`.
    Variable,
    // Keywords (Go's items after itemKeyword).
    /// `block`.
    Block,
    /// `break`.
    Break,
    /// `continue`.
    Continue,
    /// `.` alone.
    Dot,
    /// `define`.
    Define,
    /// `else`.
    Else,
    /// `end`.
    End,
    /// `if`.
    If,
    /// `nil`.
    Nil,
    /// `range`.
    Range,
    /// `template`.
    Template,
    /// `with`.
    With,
}

impl ItemType {
    /// Whether this is a keyword (Go prints those as `<word>`).
    pub fn is_keyword(self) -> bool {
        matches!(
            self,
            ItemType::Block
                | ItemType::Break
                | ItemType::Continue
                | ItemType::Dot
                | ItemType::Define
                | ItemType::Else
                | ItemType::End
                | ItemType::If
                | ItemType::Nil
                | ItemType::Range
                | ItemType::Template
                | ItemType::With
        )
    }
}

/// One token. Its text borrows the input (tokens are cloned as the
/// parser peeks and backs up; borrowing makes that free).
#[derive(Clone, Debug)]
pub struct Item<'a> {
    /// What it is.
    pub typ: ItemType,
    /// Byte offset in the input.
    pub pos: usize,
    /// Its text (or the error message).
    pub val: Cow<'a, str>,
    /// The line it starts on.
    pub line: usize,
}

impl Item<'_> {
    /// Go's `item.String()`, used in "unexpected X in Y" messages.
    pub fn describe(&self) -> String {
        match self.typ {
            ItemType::Eof => "EOF".into(),
            ItemType::Error => self.val.to_string(),
            t if t.is_keyword() => format!("<{}>", self.val),
            _ => {
                if self.val.chars().count() > 10 {
                    let head: String = self.val.chars().take(10).collect();
                    format!("{}...", super::gofmt::quote(&head))
                } else {
                    super::gofmt::quote(&self.val)
                }
            }
        }
    }
}

const LEFT: &str = "{{";
const RIGHT: &str = "}}";
const LEFT_COMMENT: &str = "/*";
const RIGHT_COMMENT: &str = "*/";

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alphanumeric(c: char) -> bool {
    if c.is_ascii() {
        return c == '_' || c.is_ascii_alphanumeric();
    }
    c.is_alphabetic() || is_nd(c)
}

/// Newlines in `s`: a byte count (the lexer's hot path; a `char` search
/// costs several times more).
fn count_newlines(s: &str) -> usize {
    s.bytes().filter(|&b| b == b'\n').count()
}

/// Non-ASCII decimal digits: the common Nd blocks (Arabic-Indic, Devanagari,
/// fullwidth...). Each Nd block is 10 consecutive code points starting at a
/// code point ending in 0 (hex), which is how Unicode lays them out.
fn is_nd(c: char) -> bool {
    const STARTS: &[u32] = &[
        0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
        0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0,
        0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0,
        0xAA50, 0xABF0, 0xFF10,
    ];
    let u = c as u32;
    STARTS.iter().any(|&s| (s..s + 10).contains(&u))
}

/// Where the next `{{` starts: memchr for `{`, the common case a single
/// call. Shared with the fast parser.
pub(crate) fn find_left_delim(b: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'{', &b[from..]) {
        let at = from + i;
        if b.get(at + 1) == Some(&b'{') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

fn has_left_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(b[1] as char)
}

fn has_right_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(b[0] as char) && b[1] == b'-'
}

fn right_trim_length(s: &str) -> usize {
    s.len() - s.trim_end_matches(is_space).len()
}

fn left_trim_length(s: &str) -> usize {
    s.len() - s.trim_start_matches(is_space).len()
}

#[derive(Clone, Copy)]
enum State {
    Text,
    LeftDelim,
    Comment,
    RightDelim,
    InsideAction,
    Space,
    Identifier,
    Field,
    Variable,
    Char,
    Number,
    Quote,
    RawQuote,
}

/// Go's `lexer`: the items of one template text, in order (an
/// [`Iterator`]: after EOF or an error it yields nothing more).
pub struct Lexer<'a> {
    input: &'a str,
    pos: usize,
    start: usize,
    at_eof: bool,
    paren_depth: i32,
    line: usize,
    start_line: usize,
    break_ok: bool,
    continue_ok: bool,
    state: Option<State>,
    /// Emitted and not yet taken (a state emits at most a few).
    items: VecDeque<Item<'a>>,
}

const EOF: char = '\u{FFFF}';

impl<'a> Lexer<'a> {
    /// A lexer of `input`. `break_ok`/`continue_ok` say whether those
    /// words are keywords (they are not when a function of that name
    /// exists).
    pub fn new(input: &'a str, break_ok: bool, continue_ok: bool) -> Self {
        Lexer {
            input,
            pos: 0,
            start: 0,
            at_eof: false,
            paren_depth: 0,
            line: 1,
            start_line: 1,
            break_ok,
            continue_ok,
            state: Some(State::Text),
            items: VecDeque::with_capacity(4),
        }
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Item<'a>;

    /// Go's `nextItem`: runs the state machine until it emits.
    fn next(&mut self) -> Option<Item<'a>> {
        loop {
            if let Some(item) = self.items.pop_front() {
                return Some(item);
            }
            let state = self.state?;
            self.state = self.step(state);
        }
    }
}

/// Lexes `input` completely (for tests and tools; the parser pulls).
pub fn lex(input: &str, break_ok: bool, continue_ok: bool) -> Vec<Item<'_>> {
    Lexer::new(input, break_ok, continue_ok).collect()
}

impl<'a> Lexer<'a> {
    fn next_char(&mut self) -> char {
        if self.pos >= self.input.len() {
            self.at_eof = true;
            return EOF;
        }
        let b = self.input.as_bytes()[self.pos];
        let c = if b.is_ascii() {
            b as char
        } else {
            self.input[self.pos..].chars().next().unwrap_or(EOF)
        };
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
        }
        c
    }

    /// Past ASCII letters, digits and `_`: the bulk of identifiers and
    /// fields, read without decoding characters (no line to count).
    fn skip_ascii_alphanumeric(&mut self) {
        let rest = &self.input.as_bytes()[self.pos..];
        self.pos += rest
            .iter()
            .position(|&b| !(b == b'_' || b.is_ascii_alphanumeric()))
            .unwrap_or(rest.len());
    }

    fn peek(&mut self) -> char {
        let c = self.next_char();
        self.backup();
        c
    }

    fn backup(&mut self) {
        if !self.at_eof && self.pos > 0 {
            let b = self.input.as_bytes()[self.pos - 1];
            if b.is_ascii() {
                self.pos -= 1;
                if b == b'\n' {
                    self.line -= 1;
                }
            } else if let Some(c) = self.input[..self.pos].chars().next_back() {
                self.pos -= c.len_utf8();
                if c == '\n' {
                    self.line -= 1;
                }
            }
        }
    }

    fn emit(&mut self, typ: ItemType) {
        self.items.push_back(Item {
            typ,
            pos: self.start,
            val: Cow::Borrowed(&self.input[self.start..self.pos]),
            line: self.start_line,
        });
        self.start = self.pos;
        self.start_line = self.line;
    }

    fn ignore(&mut self) {
        self.line += count_newlines(&self.input[self.start..self.pos]);
        self.start = self.pos;
        self.start_line = self.line;
    }

    fn accept(&mut self, valid: &str) -> bool {
        let c = self.next_char();
        if c.is_ascii() && valid.as_bytes().contains(&(c as u8)) {
            return true;
        }
        self.backup();
        false
    }

    fn accept_run(&mut self, valid: &str) {
        loop {
            let c = self.next_char();
            if !c.is_ascii() || !valid.as_bytes().contains(&(c as u8)) {
                break;
            }
        }
        self.backup();
    }

    fn error(&mut self, message: String) -> Option<State> {
        self.items.push_back(Item {
            typ: ItemType::Error,
            pos: self.start,
            val: Cow::Owned(message),
            line: self.start_line,
        });
        None
    }

    fn at_right_delim(&self) -> (bool, bool) {
        // Only a space (of a trim marker) or `}` can start one.
        if !matches!(
            self.input.as_bytes().get(self.pos),
            Some(b' ' | b'\t' | b'\r' | b'\n' | b'}')
        ) {
            return (false, false);
        }
        let rest = &self.input[self.pos..];
        if has_right_trim_marker(rest) && rest[2..].starts_with(RIGHT) {
            return (true, true);
        }
        if rest.starts_with(RIGHT) {
            return (true, false);
        }
        (false, false)
    }

    /// Go's `atTerminator`, on the byte ahead: no character to decode,
    /// since every terminator is ASCII.
    fn at_terminator(&mut self) -> bool {
        let rest = &self.input.as_bytes()[self.pos..];
        match rest.first() {
            None => {
                // As Go's peek at the end leaves it.
                self.at_eof = true;
                true
            }
            Some(b' ' | b'\t' | b'\r' | b'\n' | b'.' | b',' | b'|' | b':' | b')' | b'(') => true,
            Some(_) => rest.starts_with(RIGHT.as_bytes()),
        }
    }

    /// After a run of ASCII letters and digits: the character that ends
    /// it, left unread, when it is ASCII or the end; `None` when it needs
    /// decoding (the slow path reads on).
    fn ascii_end(&mut self) -> Option<char> {
        match self.input.as_bytes().get(self.pos) {
            None => {
                self.at_eof = true;
                Some(EOF)
            }
            Some(&b) if b.is_ascii() => Some(char::from(b)),
            Some(_) => None,
        }
    }

    fn step(&mut self, state: State) -> Option<State> {
        match state {
            State::Text => self.lex_text(),
            State::LeftDelim => self.lex_left_delim(),
            State::Comment => self.lex_comment(),
            State::RightDelim => self.lex_right_delim(),
            State::InsideAction => self.lex_inside_action(),
            State::Space => self.lex_space(),
            State::Identifier => self.lex_identifier(),
            State::Field => self.lex_field_or_variable(ItemType::Field),
            State::Variable => {
                if self.at_terminator() {
                    self.emit(ItemType::Variable);
                    return Some(State::InsideAction);
                }
                self.lex_field_or_variable(ItemType::Variable)
            }
            State::Char => self.lex_char(),
            State::Number => self.lex_number(),
            State::Quote => self.lex_quote(),
            State::RawQuote => self.lex_raw_quote(),
        }
    }

    fn lex_text(&mut self) -> Option<State> {
        if let Some(x) = find_left_delim(&self.input.as_bytes()[self.pos..]) {
            self.pos += x;
            let mut trim = 0;
            if has_left_trim_marker(&self.input[self.pos + LEFT.len()..]) {
                trim = right_trim_length(&self.input[self.start..self.pos]);
            }
            self.pos -= trim;
            if self.pos > self.start {
                self.line += count_newlines(&self.input[self.start..self.pos]);
                self.emit(ItemType::Text);
            }
            self.pos += trim;
            self.ignore();
            return Some(State::LeftDelim);
        }
        self.pos = self.input.len();
        if self.pos > self.start {
            self.line += count_newlines(&self.input[self.start..self.pos]);
            self.emit(ItemType::Text);
        }
        self.emit(ItemType::Eof);
        None
    }

    fn lex_left_delim(&mut self) -> Option<State> {
        self.pos += LEFT.len();
        let trim = has_left_trim_marker(&self.input[self.pos..]);
        let after_marker = if trim { 2 } else { 0 };
        if self.input[self.pos + after_marker..].starts_with(LEFT_COMMENT) {
            self.pos += after_marker;
            self.ignore();
            return Some(State::Comment);
        }
        self.emit(ItemType::LeftDelim);
        self.pos += after_marker;
        self.ignore();
        self.paren_depth = 0;
        Some(State::InsideAction)
    }

    fn lex_comment(&mut self) -> Option<State> {
        self.pos += LEFT_COMMENT.len();
        let Some(i) = self.input[self.pos..].find(RIGHT_COMMENT) else {
            return self.error("unclosed comment".into());
        };
        self.pos += i + RIGHT_COMMENT.len();
        let (delim, trim) = self.at_right_delim();
        if !delim {
            return self.error("comment ends before closing delimiter".into());
        }
        if trim {
            self.pos += 2;
        }
        self.pos += RIGHT.len();
        if trim {
            self.pos += left_trim_length(&self.input[self.pos..]);
        }
        self.ignore();
        Some(State::Text)
    }

    fn lex_right_delim(&mut self) -> Option<State> {
        let trim = has_right_trim_marker(&self.input[self.pos..]);
        if trim {
            self.pos += 2;
            self.ignore();
        }
        self.pos += RIGHT.len();
        self.emit(ItemType::RightDelim);
        if trim {
            self.pos += left_trim_length(&self.input[self.pos..]);
            self.ignore();
        }
        Some(State::Text)
    }

    fn lex_inside_action(&mut self) -> Option<State> {
        let (delim, _) = self.at_right_delim();
        if delim {
            if self.paren_depth == 0 {
                return Some(State::RightDelim);
            }
            return self.error("unclosed left paren".into());
        }
        let c = self.next_char();
        match c {
            EOF => return self.error("unclosed action".into()),
            c if is_space(c) => {
                self.backup();
                return Some(State::Space);
            }
            '=' => self.emit(ItemType::Assign),
            ':' => {
                if self.next_char() != '=' {
                    return self.error("expected :=".into());
                }
                self.emit(ItemType::Declare);
            }
            '|' => self.emit(ItemType::Pipe),
            '"' => return Some(State::Quote),
            '`' => return Some(State::RawQuote),
            '$' => return Some(State::Variable),
            '\'' => return Some(State::Char),
            '.' => {
                let b = self.input.as_bytes();
                if self.pos < b.len() && !b[self.pos].is_ascii_digit() {
                    return Some(State::Field);
                }
                self.backup();
                return Some(State::Number);
            }
            '+' | '-' | '0'..='9' => {
                self.backup();
                return Some(State::Number);
            }
            c if is_alphanumeric(c) => {
                self.backup();
                return Some(State::Identifier);
            }
            '(' => {
                self.emit(ItemType::LeftParen);
                self.paren_depth += 1;
            }
            ')' => {
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    return self.error("unexpected right paren".into());
                }
                self.emit(ItemType::RightParen);
            }
            c if c.is_ascii() && !c.is_ascii_control() => self.emit(ItemType::Char),
            c => {
                return self.error(format!(
                    "unrecognized character in action: {}",
                    unicode_hash_u(c)
                ))
            }
        }
        Some(State::InsideAction)
    }

    fn lex_space(&mut self) -> Option<State> {
        let mut spaces = 0;
        // Plain spaces first (no line to count).
        while self.input.as_bytes().get(self.pos) == Some(&b' ') {
            self.pos += 1;
            spaces += 1;
        }
        loop {
            let c = self.peek();
            if !is_space(c) {
                break;
            }
            self.next_char();
            spaces += 1;
        }
        let rest = &self.input[self.pos - 1..];
        if has_right_trim_marker(rest) && rest[2..].starts_with(RIGHT) {
            self.backup();
            if spaces == 1 {
                return Some(State::RightDelim);
            }
        }
        self.emit(ItemType::Space);
        Some(State::InsideAction)
    }

    fn lex_identifier(&mut self) -> Option<State> {
        self.skip_ascii_alphanumeric();
        let c = match self.ascii_end() {
            Some(c) => c,
            None => loop {
                let c = self.next_char();
                if c != EOF && is_alphanumeric(c) {
                    continue;
                }
                self.backup();
                break c;
            },
        };
        let word = &self.input[self.start..self.pos];
        if !self.at_terminator() {
            return self.error(format!("bad character {}", unicode_hash_u(c)));
        }
        let typ = match word {
            "." => ItemType::Dot,
            "block" => ItemType::Block,
            "break" if self.break_ok => ItemType::Break,
            "continue" if self.continue_ok => ItemType::Continue,
            "define" => ItemType::Define,
            "else" => ItemType::Else,
            "end" => ItemType::End,
            "if" => ItemType::If,
            "range" => ItemType::Range,
            "nil" => ItemType::Nil,
            "template" => ItemType::Template,
            "with" => ItemType::With,
            "true" | "false" => ItemType::Bool,
            _ if word.starts_with('.') => ItemType::Field,
            _ => ItemType::Identifier,
        };
        self.emit(typ);
        Some(State::InsideAction)
    }

    fn lex_field_or_variable(&mut self, typ: ItemType) -> Option<State> {
        if self.at_terminator() {
            self.emit(if typ == ItemType::Variable {
                ItemType::Variable
            } else {
                ItemType::Dot
            });
            return Some(State::InsideAction);
        }
        self.skip_ascii_alphanumeric();
        let c = match self.ascii_end() {
            Some(c) => c,
            None => loop {
                let c = self.next_char();
                if c == EOF || !is_alphanumeric(c) {
                    self.backup();
                    break c;
                }
            },
        };
        if !self.at_terminator() {
            return self.error(format!("bad character {}", unicode_hash_u(c)));
        }
        self.emit(typ);
        Some(State::InsideAction)
    }

    fn lex_char(&mut self) -> Option<State> {
        loop {
            match self.next_char() {
                '\\' => {
                    let c = self.next_char();
                    if c != EOF && c != '\n' {
                        continue;
                    }
                    return self.error("unterminated character constant".into());
                }
                EOF | '\n' => return self.error("unterminated character constant".into()),
                '\'' => break,
                _ => {}
            }
        }
        self.emit(ItemType::CharConstant);
        Some(State::InsideAction)
    }

    fn lex_number(&mut self) -> Option<State> {
        if !self.scan_number() {
            let text = self.input[self.start..self.pos].to_string();
            return self.error(format!("bad number syntax: {}", super::gofmt::quote(&text)));
        }
        let sign = self.peek();
        if sign == '+' || sign == '-' {
            if !self.scan_number() || !self.input[..self.pos].ends_with('i') {
                let text = self.input[self.start..self.pos].to_string();
                return self.error(format!("bad number syntax: {}", super::gofmt::quote(&text)));
            }
            self.emit(ItemType::Complex);
        } else {
            self.emit(ItemType::Number);
        }
        Some(State::InsideAction)
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        let c = self.peek();
        if c != EOF && is_alphanumeric(c) {
            self.next_char();
            return false;
        }
        true
    }

    fn lex_quote(&mut self) -> Option<State> {
        // Up to the first byte that matters; lines cannot change inside.
        let rest = &self.input.as_bytes()[self.pos..];
        self.pos += rest
            .iter()
            .position(|&b| matches!(b, b'"' | b'\\' | b'\n'))
            .unwrap_or(rest.len());
        loop {
            match self.next_char() {
                '\\' => {
                    let c = self.next_char();
                    if c != EOF && c != '\n' {
                        continue;
                    }
                    return self.error("unterminated quoted string".into());
                }
                EOF | '\n' => return self.error("unterminated quoted string".into()),
                '"' => break,
                _ => {}
            }
        }
        self.emit(ItemType::String);
        Some(State::InsideAction)
    }

    fn lex_raw_quote(&mut self) -> Option<State> {
        loop {
            match self.next_char() {
                EOF => return self.error("unterminated raw quoted string".into()),
                '`' => break,
                _ => {}
            }
        }
        self.emit(ItemType::RawString);
        Some(State::InsideAction)
    }
}

/// Go's `%#U`: `U+0023 '#'`.
fn unicode_hash_u(c: char) -> String {
    if c == EOF {
        return "U+FFFFFFFF".into();
    }
    if c.is_control() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("U+{:04X} '{}'", c as u32, c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(input: &str) -> Vec<(ItemType, String)> {
        lex(input, true, true)
            .into_iter()
            .map(|i| (i.typ, i.val.into_owned()))
            .collect()
    }

    #[test]
    fn trims_around_actions_and_keeps_positions() {
        let items = lex("a  {{- .X -}}\n b", true, true);
        let v: Vec<_> = items.iter().map(|i| (i.typ, &*i.val, i.pos)).collect();
        assert_eq!(
            v,
            vec![
                (ItemType::Text, "a", 0),
                (ItemType::LeftDelim, "{{", 3),
                (ItemType::Field, ".X", 7),
                (ItemType::RightDelim, "}}", 11),
                (ItemType::Text, "b", 15),
                (ItemType::Eof, "", 16),
            ]
        );
    }

    #[test]
    fn comments_vanish_and_numbers_lex_like_go() {
        assert_eq!(
            kinds("{{/* x */}}{{ 0x1F 1e3 'a' -2 }}"),
            vec![
                (ItemType::LeftDelim, "{{".into()),
                (ItemType::Space, " ".into()),
                (ItemType::Number, "0x1F".into()),
                (ItemType::Space, " ".into()),
                (ItemType::Number, "1e3".into()),
                (ItemType::Space, " ".into()),
                (ItemType::CharConstant, "'a'".into()),
                (ItemType::Space, " ".into()),
                (ItemType::Number, "-2".into()),
                (ItemType::Space, " ".into()),
                (ItemType::RightDelim, "}}".into()),
                (ItemType::Eof, "".into()),
            ]
        );
    }

    #[test]
    fn errors_end_the_items() {
        let items = lex("{{ \"abc }}", true, true);
        let last = items.last().map(|i| (i.typ, i.val.to_string()));
        assert_eq!(
            last,
            Some((ItemType::Error, "unterminated quoted string".into()))
        );
        let items = lex("{{ .X ", true, true);
        assert_eq!(
            items.last().map(|i| i.val.to_string()),
            Some("unclosed action".into())
        );
    }
}
