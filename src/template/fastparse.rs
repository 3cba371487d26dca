//! A single-pass parser for the templates charts are made of, beside the
//! Go-faithful one in [`super::parse`]: it reads bytes straight into the
//! same trees, with no token stream, lookahead buffer or backing up.
//!
//! It answers only when it is sure. Anything it does not know (character
//! constants, complex or hex numbers, non-ASCII names, parenthesized
//! declarations...) and every error gives `None`, and the caller parses
//! the text again with the Go-faithful parser, which then also words the
//! error as Go does. Tests hold the two to equal trees over the corpus and
//! random mutations of it.

use std::sync::Arc;

use super::lex::find_left_delim;
use super::parse::{
    add_tree, new_number_node, non_executable_stage, unquote, ActionNode, Arg, BranchNode,
    CommandNode, ListNode, Name, Node, PipeNode, TemplateNode, TextNode, Tree, VariableNode,
};

/// How a list ended.
enum Stop {
    /// At the end of the text (only the top list may).
    Eof,
    /// `{{end}}`.
    End,
    /// `{{else}}`.
    Else,
    /// `{{else if`, the `if` at this position (its pipeline pending).
    ElseIf(usize),
    /// `{{else with`, likewise.
    ElseWith(usize),
}

/// What a pipeline ends with.
#[derive(Clone, Copy, PartialEq)]
enum Close {
    Delim,
    Paren,
}

struct Fast<'a, 'f> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    vars: Vec<&'a str>,
    range_depth: usize,
    has_function: &'f dyn Fn(&str) -> bool,
    break_ok: bool,
    continue_ok: bool,
    trees: Vec<Tree>,
    parse_name: Arc<str>,
    text: Arc<str>,
}

/// The trees of `text` parsed as `name`, as [`super::parse::parse`] would
/// give them, or `None` when this parser is not sure.
/// `parse_name` and `shared` are the caller's shared copies of the name
/// and text, which the trees keep.
pub fn parse(
    name: &str,
    parse_name: &Arc<str>,
    shared: &Arc<str>,
    text: &str,
    has_function: &dyn Fn(&str) -> bool,
) -> Option<Vec<Tree>> {
    let mut p = Fast {
        src: text,
        b: text.as_bytes(),
        pos: 0,
        vars: vec!["$"],
        range_depth: 0,
        has_function,
        break_ok: !has_function("break"),
        continue_ok: !has_function("continue"),
        trees: Vec::new(),
        parse_name: parse_name.clone(),
        text: shared.clone(),
    };
    let (root, end) = p.list(true)?;
    if !matches!(end, Stop::Eof) {
        return None;
    }
    let top = Tree {
        name: name.to_string(),
        parse_name: p.parse_name.clone(),
        root,
        text: p.text.clone(),
    };
    p.add(top)?;
    Some(p.trees)
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_word(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphanumeric()
}

impl<'a> Fast<'a, '_> {
    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    /// Go's `Tree.add` within one parse; a duplicate definition is left
    /// to the other parser, which words the error.
    fn add(&mut self, tree: Tree) -> Option<()> {
        add_tree(&mut self.trees, tree).ok()
    }

    /// Whether the lexer would end a word here (Go's `atTerminator`).
    fn at_terminator(&self, i: usize) -> bool {
        match self.b.get(i) {
            None => true,
            Some(&c) => {
                is_space(c)
                    || matches!(c, b'.' | b',' | b'|' | b':' | b')' | b'(')
                    || self.b[i..].starts_with(b"}}")
            }
        }
    }

    /// Skips spaces inside an action; returns whether any were skipped.
    fn skip_spaces(&mut self) -> bool {
        let start = self.pos;
        while self.pos < self.b.len() && is_space(self.b[self.pos]) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// At the closing delimiter (spaces already skipped, `spaced` saying
    /// whether any were): `Some(trim)` when `}}` or ` -}}` is here. The
    /// space of ` -}}` may have been skipped earlier; it can be the space
    /// of `{{- ` only in an empty action, which fails anyway.
    fn at_close(&self, spaced: bool) -> Option<bool> {
        let rest = &self.b[self.pos..];
        if rest.starts_with(b"}}") {
            Some(false)
        } else if (spaced || (self.pos > 0 && is_space(self.b[self.pos - 1])))
            && rest.starts_with(b"-}}")
        {
            Some(true)
        } else {
            None
        }
    }

    /// Consumes the closing delimiter after optional spaces, and the
    /// spaces after it that `-}}` trims.
    fn close(&mut self) -> Option<()> {
        let spaced = self.skip_spaces();
        let trim = self.at_close(spaced)?;
        self.pos += if trim { 3 } else { 2 };
        if trim {
            self.skip_spaces();
        }
        Some(())
    }

    /// An ASCII word at the position, if one ends at a terminator.
    fn word(&self) -> Option<(usize, &'a str)> {
        let start = self.pos;
        let len = self.b[start..]
            .iter()
            .position(|&c| !is_word(c))
            .unwrap_or(self.b.len() - start);
        if len == 0 || !self.at_terminator(start + len) {
            return None;
        }
        Some((start, &self.src[start..start + len]))
    }

    /// Text and actions up to `{{end}}`, `{{else}}` or the end of the text.
    fn list(&mut self, top: bool) -> Option<(ListNode, Stop)> {
        let mut list = ListNode {
            pos: 0,
            nodes: Vec::new(),
        };
        let mut first: Option<usize> = None;
        loop {
            let start = self.pos;
            let Some(off) = find_left_delim(&self.b[start..]) else {
                if start < self.b.len() {
                    first.get_or_insert(start);
                    let node = TextNode::new(self.text.clone(), start, self.b.len());
                    list.nodes.push(Node::Text(node));
                }
                self.pos = self.b.len();
                if !top {
                    return None;
                }
                list.pos = first.unwrap_or(self.b.len());
                return Some((list, Stop::Eof));
            };
            let delim = start + off;
            let trim = self.at(delim + 2) == b'-' && is_space(self.at(delim + 3));
            let mut text_end = delim;
            if trim {
                while text_end > start && is_space(self.b[text_end - 1]) {
                    text_end -= 1;
                }
            }
            if text_end > start {
                first.get_or_insert(start);
                let node = TextNode::new(self.text.clone(), start, text_end);
                list.nodes.push(Node::Text(node));
            }
            let inner = delim + 2 + if trim { 2 } else { 0 };
            if self.b[inner..].starts_with(b"/*") {
                let close = memchr::memmem::find(&self.b[inner + 2..], b"*/")?;
                self.pos = inner + 2 + close + 2;
                let rest = &self.b[self.pos..];
                if rest.starts_with(b"}}") {
                    self.pos += 2;
                } else if rest.len() >= 4 && is_space(rest[0]) && rest[1..].starts_with(b"-}}") {
                    self.pos += 4;
                    self.skip_spaces();
                } else {
                    return None;
                }
                continue;
            }
            first.get_or_insert(delim);
            list.pos = first.unwrap_or(delim);
            self.pos = inner;
            self.skip_spaces();
            let at = self.pos;
            let keyword = self.word().map(|(_, w)| w);
            match keyword {
                Some("end") => {
                    self.pos += 3;
                    self.close()?;
                    return if top { None } else { Some((list, Stop::End)) };
                }
                Some("else") => {
                    if top {
                        return None;
                    }
                    self.pos += 4;
                    self.skip_spaces();
                    match self.word() {
                        Some((p, "if")) => {
                            self.pos += 2;
                            return Some((list, Stop::ElseIf(p)));
                        }
                        Some((p, "with")) => {
                            self.pos += 4;
                            return Some((list, Stop::ElseWith(p)));
                        }
                        _ => {}
                    }
                    self.pos = at + 4;
                    self.close()?;
                    return Some((list, Stop::Else));
                }
                Some("define") => {
                    if !top {
                        return None;
                    }
                    self.pos += 6;
                    self.define()?;
                }
                Some("if") => {
                    self.pos += 2;
                    let b = self.control("if")?;
                    list.nodes.push(Node::If(Box::new(b)));
                }
                Some("with") => {
                    self.pos += 4;
                    let b = self.control("with")?;
                    list.nodes.push(Node::With(Box::new(b)));
                }
                Some("range") => {
                    self.pos += 5;
                    let b = self.control("range")?;
                    list.nodes.push(Node::Range(Box::new(b)));
                }
                Some("template") => {
                    self.pos += 8;
                    list.nodes.push(self.template()?);
                }
                Some("block") => {
                    self.pos += 5;
                    list.nodes.push(self.block()?);
                }
                Some("break") if self.break_ok => {
                    self.pos += 5;
                    self.close()?;
                    if self.range_depth == 0 {
                        return None;
                    }
                    list.nodes.push(Node::Break(at));
                }
                Some("continue") if self.continue_ok => {
                    self.pos += 8;
                    self.close()?;
                    if self.range_depth == 0 {
                        return None;
                    }
                    list.nodes.push(Node::Continue(at));
                }
                _ => {
                    let pipe = self.pipeline("command", Close::Delim)?;
                    self.close()?;
                    list.nodes.push(Node::Action(ActionNode { pos: at, pipe }));
                }
            }
        }
    }

    /// `{{define "name"}}...{{end}}` after the keyword.
    fn define(&mut self) -> Option<()> {
        self.skip_spaces();
        let name = self.quoted_name()?;
        self.close()?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$"]);
        let saved_depth = std::mem::replace(&mut self.range_depth, 0);
        let (root, end) = self.list(false)?;
        self.vars = saved_vars;
        self.range_depth = saved_depth;
        if !matches!(end, Stop::End) {
            return None;
        }
        let tree = Tree {
            name,
            parse_name: self.parse_name.clone(),
            root,
            text: self.text.clone(),
        };
        self.add(tree)
    }

    /// A template name: a string literal, unquoted.
    fn quoted_name(&mut self) -> Option<String> {
        match self.string()? {
            Arg::String { text, .. } => Some(text),
            _ => None,
        }
    }

    /// `if`, `with` or `range` after the keyword, through its `{{end}}`.
    fn control(&mut self, context: &'static str) -> Option<BranchNode> {
        let mark = self.vars.len();
        let result = self.control_inner(context);
        self.vars.truncate(mark);
        result
    }

    fn control_inner(&mut self, context: &'static str) -> Option<BranchNode> {
        if !self.at_terminator(self.pos) {
            return None;
        }
        let pipe = self.pipeline(context, Close::Delim)?;
        self.close()?;
        let is_range = context == "range";
        if is_range {
            self.range_depth += 1;
        }
        let listed = self.list(false);
        if is_range {
            self.range_depth -= 1;
        }
        let (list, end) = listed?;
        let else_list = match end {
            Stop::End => None,
            Stop::Eof => return None,
            Stop::Else => {
                let (l, end) = self.list(false)?;
                if !matches!(end, Stop::End) {
                    return None;
                }
                Some(l)
            }
            Stop::ElseIf(pos) if context == "if" => {
                let nested = self.control("if")?;
                Some(ListNode {
                    pos,
                    nodes: vec![Node::If(Box::new(nested))],
                })
            }
            Stop::ElseWith(pos) if context == "with" => {
                let nested = self.control("with")?;
                Some(ListNode {
                    pos,
                    nodes: vec![Node::With(Box::new(nested))],
                })
            }
            Stop::ElseIf(_) | Stop::ElseWith(_) => return None,
        };
        Some(BranchNode {
            pos: pipe.pos,
            pipe,
            list,
            else_list,
        })
    }

    /// `{{template "name" pipeline}}` after the keyword.
    fn template(&mut self) -> Option<Node> {
        self.skip_spaces();
        let pos = self.pos;
        let name = self.quoted_name()?;
        let save = self.pos;
        let spaced = self.skip_spaces();
        let pipe = if self.at_close(spaced).is_some() {
            None
        } else {
            self.pos = save;
            Some(self.pipeline("template clause", Close::Delim)?)
        };
        self.close()?;
        Some(Node::Template(TemplateNode { pos, name, pipe }))
    }

    /// `{{block "name" pipeline}}...{{end}}` after the keyword.
    fn block(&mut self) -> Option<Node> {
        self.skip_spaces();
        let pos = self.pos;
        let name = self.quoted_name()?;
        let pipe = self.pipeline("block clause", Close::Delim)?;
        self.close()?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$"]);
        let saved_depth = std::mem::replace(&mut self.range_depth, 0);
        let listed = self.list(false);
        self.vars = saved_vars;
        self.range_depth = saved_depth;
        let (root, end) = listed?;
        if !matches!(end, Stop::End) {
            return None;
        }
        self.add(Tree {
            name: name.clone(),
            parse_name: self.parse_name.clone(),
            root,
            text: self.text.clone(),
        })?;
        Some(Node::Template(TemplateNode {
            pos,
            name,
            pipe: Some(pipe),
        }))
    }

    /// A `$name` at the position, if it ends at a terminator.
    fn variable_name(&self) -> Option<(usize, &'a str)> {
        let start = self.pos;
        if self.at(start) != b'$' {
            return None;
        }
        let len = self.b[start + 1..]
            .iter()
            .position(|&c| !is_word(c))
            .unwrap_or(self.b.len() - start - 1);
        if !self.at_terminator(start + 1 + len) {
            return None;
        }
        Some((start, &self.src[start..start + 1 + len]))
    }

    /// Whether the position closes a pipeline of this kind.
    fn at_end(&self, close: Close, spaced: bool) -> bool {
        match close {
            Close::Delim => self.at_close(spaced).is_some(),
            Close::Paren => self.at(self.pos) == b')',
        }
    }

    /// A pipeline with its declarations, up to (not past) its close.
    fn pipeline(&mut self, context: &'static str, close: Close) -> Option<PipeNode> {
        self.skip_spaces();
        let mut pipe = PipeNode {
            pos: self.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        let start = self.pos;
        if let Some((vpos, name)) = self.variable_name() {
            self.pos += name.len();
            self.skip_spaces();
            let rest = &self.b[self.pos..];
            if rest.starts_with(b":=") || (rest.starts_with(b"=") && !rest.starts_with(b"==")) {
                pipe.is_assign = rest[0] == b'=';
                self.pos += if pipe.is_assign { 1 } else { 2 };
                pipe.decl.push(VariableNode {
                    pos: vpos,
                    name: Name::from(name),
                });
                self.vars.push(name);
            } else if rest.starts_with(b",") && context == "range" {
                self.pos += 1;
                pipe.decl.push(VariableNode {
                    pos: vpos,
                    name: Name::from(name),
                });
                self.vars.push(name);
                self.skip_spaces();
                let (vpos, name) = self.variable_name()?;
                self.pos += name.len();
                self.skip_spaces();
                let rest = &self.b[self.pos..];
                if rest.starts_with(b":=") {
                    self.pos += 2;
                } else if rest.starts_with(b"=") && !rest.starts_with(b"==") {
                    pipe.is_assign = true;
                    self.pos += 1;
                } else {
                    return None;
                }
                pipe.decl.push(VariableNode {
                    pos: vpos,
                    name: Name::from(name),
                });
                self.vars.push(name);
            } else {
                self.pos = start;
            }
        }
        loop {
            let spaced = self.skip_spaces();
            if self.at_end(close, spaced) {
                break;
            }
            let cmd = self.command(close)?;
            pipe.cmds.push(cmd);
        }
        if pipe.cmds.is_empty() || non_executable_stage(&pipe).is_some() {
            return None;
        }
        Some(pipe)
    }

    /// One command: operands up to a `|` (consumed) or the close (not).
    fn command(&mut self, close: Close) -> Option<CommandNode> {
        let mut cmd = CommandNode {
            pos: self.pos,
            args: Vec::new(),
        };
        loop {
            let arg = self.operand()?;
            cmd.args.push(arg);
            let spaced = self.skip_spaces();
            if self.at(self.pos) == b'|' {
                self.pos += 1;
                let after = self.pos;
                let spaced = self.skip_spaces();
                // A pipe must lead to a command.
                if self.at_end(close, spaced) {
                    return None;
                }
                self.pos = after;
                break;
            }
            if self.at_end(close, spaced) {
                break;
            }
            if !spaced {
                return None;
            }
        }
        Some(cmd)
    }

    /// A term and the fields chained onto it.
    fn operand(&mut self) -> Option<Arg> {
        let node = self.term()?;
        if self.at(self.pos) != b'.' {
            return Some(node);
        }
        let chain_pos = self.pos;
        let mut fields = Vec::new();
        while self.at(self.pos) == b'.' {
            let c = self.at(self.pos + 1);
            if !(c == b'_' || c.is_ascii_alphabetic()) {
                return None;
            }
            self.pos += 1;
            let (_, name) = self.word()?;
            self.pos += name.len();
            fields.push(Name::from(name));
        }
        Some(match node {
            Arg::Field { mut ident, .. } => {
                ident.extend(fields);
                Arg::Field {
                    pos: chain_pos,
                    ident,
                }
            }
            Arg::Variable { mut ident, .. } => {
                ident.extend(fields);
                Arg::Variable {
                    pos: chain_pos,
                    ident,
                }
            }
            node @ (Arg::Identifier { .. } | Arg::Pipe(_)) => Arg::Chain {
                pos: chain_pos,
                node: Box::new(node),
                field: fields,
            },
            _ => return None,
        })
    }

    fn term(&mut self) -> Option<Arg> {
        let pos = self.pos;
        let c = self.at(pos);
        match c {
            b'.' => {
                let n = self.at(pos + 1);
                if self.at_terminator(pos + 1) {
                    self.pos += 1;
                    return Some(Arg::Dot(pos));
                }
                if !(n == b'_' || n.is_ascii_alphabetic()) {
                    return None;
                }
                self.pos += 1;
                let (_, name) = self.word()?;
                self.pos += name.len();
                Some(Arg::Field {
                    pos,
                    ident: vec![Name::from(name)],
                })
            }
            b'$' => {
                let (_, name) = self.variable_name()?;
                if !self.vars.contains(&name) {
                    return None;
                }
                self.pos += name.len();
                Some(Arg::Variable {
                    pos,
                    ident: vec![Name::from(name)],
                })
            }
            b'"' | b'`' => self.string(),
            b'(' => {
                self.pos += 1;
                let pipe = self.pipeline_in_parens()?;
                if self.at(self.pos) != b')' {
                    return None;
                }
                self.pos += 1;
                Some(Arg::Pipe(Box::new(pipe)))
            }
            b'0'..=b'9' | b'-' | b'+' => self.number(),
            c if c == b'_' || c.is_ascii_alphabetic() => {
                let (_, word) = self.word()?;
                let arg = match word {
                    "true" | "false" => Arg::Bool {
                        pos,
                        value: word == "true",
                    },
                    "nil" => Arg::Nil(pos),
                    "block" | "define" | "else" | "end" | "if" | "range" | "template" | "with" => {
                        return None
                    }
                    "break" if self.break_ok => return None,
                    "continue" if self.continue_ok => return None,
                    _ => {
                        if !(self.has_function)(word) {
                            return None;
                        }
                        Arg::Identifier {
                            pos,
                            name: Name::from(word),
                        }
                    }
                };
                self.pos += word.len();
                Some(arg)
            }
            _ => None,
        }
    }

    /// A parenthesized pipeline: declarations inside are left to the
    /// other parser.
    fn pipeline_in_parens(&mut self) -> Option<PipeNode> {
        let save = self.pos;
        self.skip_spaces();
        if let Some((_, name)) = self.variable_name() {
            self.pos += name.len();
            self.skip_spaces();
            if matches!(self.at(self.pos), b':' | b'=' | b',') {
                return None;
            }
        }
        self.pos = save;
        self.pipeline("parenthesized pipeline", Close::Paren)
    }

    /// A decimal number: digits with an optional fraction, optionally
    /// signed; anything else numeric goes to the other parser.
    fn number(&mut self) -> Option<Arg> {
        let start = self.pos;
        let mut i = start;
        if matches!(self.at(i), b'+' | b'-') {
            i += 1;
        }
        let digits = |i: usize| {
            self.b[i..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count()
        };
        let n = digits(i);
        if n == 0 {
            return None;
        }
        i += n;
        if self.at(i) == b'.' {
            let f = digits(i + 1);
            if f == 0 {
                return None;
            }
            i += 1 + f;
        }
        let next = self.at(i);
        if is_word(next) || matches!(next, b'.' | b'+' | b'-') || !next.is_ascii() {
            return None;
        }
        let text = &self.src[start..i];
        let node = new_number_node(start, text).ok()?;
        self.pos = i;
        Some(Arg::Number(Box::new(node)))
    }

    /// A quoted or raw string literal.
    fn string(&mut self) -> Option<Arg> {
        let start = self.pos;
        let end = match self.at(start) {
            b'"' => {
                let mut i = start + 1;
                loop {
                    let off = self.b[i..]
                        .iter()
                        .position(|&c| matches!(c, b'"' | b'\\' | b'\n'))?;
                    i += off;
                    match self.b[i] {
                        b'"' => break i + 1,
                        b'\\' => {
                            if matches!(self.b.get(i + 1), None | Some(b'\n')) {
                                return None;
                            }
                            i += 2;
                        }
                        _ => return None,
                    }
                }
            }
            b'`' => start + 1 + memchr::memchr(b'`', &self.b[start + 1..])? + 1,
            _ => return None,
        };
        let quoted = &self.src[start..end];
        let text = unquote(quoted).ok()?;
        self.pos = end;
        Some(Arg::String {
            pos: start,
            quoted: quoted.to_string(),
            text,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::funcs;
    use crate::template::parse::parse_go;
    use rand::{Rng, SeedableRng};
    use std::path::{Path, PathBuf};

    fn has_function(name: &str) -> bool {
        funcs::registry().get(name).is_some()
    }

    /// Holds the fast parser to the Go-faithful one on `text`: when it
    /// answers, the other parses the text too, to equal trees. Returns
    /// whether it answered.
    fn check(name: &str, text: &str) -> bool {
        let Some(fast) = parse(name, &name.into(), &text.into(), text, &has_function) else {
            return false;
        };
        match parse_go(name, text, &has_function) {
            Ok(go) => assert_eq!(fast, go, "{name}: trees differ for {text:?}"),
            Err(e) => panic!("{name}: fast parser accepted what Go refuses ({e}): {text:?}"),
        }
        true
    }

    fn corpus() -> Vec<(String, String)> {
        fn walk(dir: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, keep, out);
                } else if keep(&p) {
                    out.push(p);
                }
            }
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        walk(
            &root.join("tests/template"),
            &|p| p.extension().is_some_and(|e| e == "tpl"),
            &mut files,
        );
        walk(
            &root.join("tests/helm-conformance"),
            &|p| p.to_string_lossy().contains("/templates/"),
            &mut files,
        );
        files.sort();
        files
            .into_iter()
            .filter_map(|p| Some((p.display().to_string(), std::fs::read_to_string(&p).ok()?)))
            .collect()
    }

    #[test]
    fn hand_cases_parse_as_go_parses_them() {
        let cases = [
            "",
            "plain text",
            "a  {{- .X -}}\n b",
            "{{/* c */}}x{{- /* c */ -}}  y",
            "{{ .A.B.C }}{{ $.A.b }}{{ $ }}{{ . }}",
            "{{ $x := .A }}{{ $x = 2 }}{{ $x.y.z }}",
            "{{ range $i, $v := .L }}{{ $i }}{{ break }}{{ continue }}{{ else }}none{{ end }}",
            "{{ if .A }}a{{ else if .B }}b{{ else }}c{{ end }}",
            "{{ with .A }}a{{ else with .B }}b{{ end }}",
            "{{ define \"x\" }}X{{ end }}{{ template \"x\" . }}{{ template `x` }}",
            "{{ block \"b\" . }}B{{ end }}",
            "{{ include \"x\" . | nindent 4 | trim }}",
            "{{ (printf \"%d\" 1).x }}{{ (list 1 2) }}{{ print -1 +2 3.5 0 007 }}",
            "{{ print \"a\\\"b\\n\" `raw\r\nline` true false nil }}",
            "{{if(eq 1 1)}}y{{end}}{{if.A}}z{{end}}",
            "{{ .A -}}  \n  {{- .B }}",
            "{{ define \"e\" }}{{ end }}{{ define \"e\" }}{{ end }}",
        ];
        for text in cases {
            assert!(check("t", text), "fast parser refused {text:?}");
        }
        for refused in [
            "{{ .A }",
            "{{ end }}",
            "{{ if .A }}",
            "{{ 'a' }}",
            "{{ 0x1F }}",
            "{{ 1e3 }}",
            "{{ .Año }}",
            "{{ nosuchfunction 1 }}",
            "{{ $undefined }}",
            "{{ .A | }}",
            "{{ .A | 1 }}",
            "{{ break }}",
            "{{ define \"x\" }}1{{ end }}{{ define \"x\" }}2{{ end }}",
            "{{ ($x := 1) }}",
            "{{ else }}",
            "{{- -}}",
        ] {
            assert!(!check("t", refused), "fast parser answered {refused:?}");
        }
    }

    /// Every template of the corpus parses fast, to the same trees.
    #[test]
    fn corpus_parses_fast_to_the_same_trees() {
        let files = corpus();
        assert!(
            files.len() > 1000,
            "corpus not found: {} files",
            files.len()
        );
        let mut fast = 0;
        let mut parsable = 0;
        for (name, text) in &files {
            if parse_go(name, text, &has_function).is_ok() {
                parsable += 1;
            }
            if check(name, text) {
                fast += 1;
            } else if std::env::var_os("PLUMB_PARSE_REFUSED").is_some() {
                eprintln!("refused: {name}");
            }
        }
        assert!(
            fast * 100 >= parsable * 97,
            "only {fast} of {parsable} parsable corpus files were parsed fast"
        );
    }

    /// Random edits of corpus templates: whenever the fast parser
    /// answers, Go's parser agrees (`PLUMB_PARSE_FUZZ=ROUNDS[,SEED]`
    /// explores more).
    #[test]
    fn mutated_templates_never_part_the_parsers() {
        let (rounds, seed) = std::env::var("PLUMB_PARSE_FUZZ")
            .ok()
            .and_then(|v| {
                let mut it = v.split(',');
                let r = it.next()?.parse().ok()?;
                Some((r, it.next().and_then(|s| s.parse().ok()).unwrap_or(7)))
            })
            .unwrap_or((4000usize, 7u64));
        let files = corpus();
        let pieces = [
            "{{",
            "}}",
            "{{- ",
            " -}}",
            "-",
            " ",
            "(",
            ")",
            "|",
            "$x",
            "$",
            ".",
            ".A",
            "\"",
            "`",
            "end",
            "else",
            "if ",
            "range ",
            "with ",
            "{{ end }}",
            "{{ else }}",
            "define \"a\"",
            ":=",
            "=",
            ",",
            "\n",
            "/*",
            "*/",
            "1",
            "-1",
            "1.5",
            "nil",
            "true",
            "'",
            "\\",
            "0x",
            "é",
            "break",
            "}",
        ];
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut answered = 0;
        for _ in 0..rounds {
            let (name, text) = &files[rng.random_range(0..files.len())];
            let mut t = text.clone();
            for _ in 0..rng.random_range(1..4) {
                let mut at = rng.random_range(0..=t.len());
                while !t.is_char_boundary(at) {
                    at -= 1;
                }
                match rng.random_range(0..3) {
                    0 => t.insert_str(at, pieces[rng.random_range(0..pieces.len())]),
                    1 => {
                        let mut end = (at + rng.random_range(1..6)).min(t.len());
                        while !t.is_char_boundary(end) {
                            end += 1;
                        }
                        t.replace_range(at..end, "");
                    }
                    _ => {
                        let mut end = (at + rng.random_range(1..40)).min(t.len());
                        while !t.is_char_boundary(end) {
                            end += 1;
                        }
                        let dup = t[at..end].to_string();
                        t.insert_str(at, &dup);
                    }
                }
            }
            if check(name, &t) {
                answered += 1;
            }
        }
        assert!(
            answered * 10 >= rounds,
            "the fast parser answered only {answered} of {rounds}"
        );
    }
}
