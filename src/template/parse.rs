//! The parser: Go's `text/template/parse` (`parse.go`, `node.go`) ported
//! closely, down to its three-token lookahead, so that every parse error
//! reads as Go's (`template: NAME:LINE: unexpected "}" in operand`). A
//! parse yields the file's own tree and one tree per `define`/`block`.
//! Trees are plain data (`Send + Sync`): parse once, execute many.
//!
//! [`parse`] first tries the single-pass parser of `fastparse`, which
//! builds the same trees at a third of the cost for the text charts are
//! made of, and comes here for everything else and for every error.

use std::borrow::Cow;
use std::fmt::{self, Write};
use std::sync::Arc;

use super::lex::{Item, ItemType, Lexer};

/// A parsed template: its name and body, and where it came from (for
/// error locations).
#[derive(Debug, PartialEq)]
pub struct Tree {
    /// The template's name (the file name, or the define's name).
    pub name: String,
    /// The name of the top-level template it was parsed in (the file).
    pub parse_name: Arc<str>,
    /// The body.
    pub root: ListNode,
    /// The text the positions refer to (the whole file).
    pub text: Arc<str>,
}

impl Tree {
    /// Go's `ErrorContext`: `FILE:LINE:COL` of a position (the column is
    /// a 0-based byte offset, as Go prints it).
    pub fn location(&self, pos: usize) -> String {
        let pos = pos.min(self.text.len());
        let before = &self.text[..pos];
        let (line, col) = match before.rfind('\n') {
            Some(i) => (before.matches('\n').count() + 1, pos - (i + 1)),
            None => (1, pos),
        };
        format!("{}:{}:{}", self.parse_name, line, col)
    }

    /// Whether the body is only whitespace text and comments (Go's
    /// `IsEmptyTree`): such a tree never replaces an existing template.
    pub fn is_empty(&self) -> bool {
        self.root.nodes.iter().all(|n| match n {
            Node::Text(t) => t.text().trim_matches(is_space_char).is_empty(),
            _ => false,
        })
    }
}

fn is_space_char(c: char) -> bool {
    c.is_whitespace()
}

/// A sequence of nodes.
#[derive(Debug, Default, PartialEq)]
pub struct ListNode {
    /// Position of the first token.
    pub pos: usize,
    /// The nodes.
    pub nodes: Vec<Node>,
}

/// A statement-level node.
#[derive(Debug, PartialEq)]
pub enum Node {
    /// Plain text.
    Text(TextNode),
    /// `{{pipeline}}`.
    Action(ActionNode),
    /// `{{if}}`.
    If(Box<BranchNode>),
    /// `{{range}}`.
    Range(Box<BranchNode>),
    /// `{{with}}`.
    With(Box<BranchNode>),
    /// `{{template "name" pipeline}}` (and the call half of `block`).
    Template(TemplateNode),
    /// `{{break}}`.
    Break(usize),
    /// `{{continue}}`.
    Continue(usize),
}

/// Plain text: `src[pos..end]` of the template's text, which the node
/// shares rather than copies (a large chart has thousands of text nodes).
#[derive(PartialEq)]
pub struct TextNode {
    /// Position.
    pub pos: usize,
    src: Arc<str>,
    end: usize,
}

impl TextNode {
    /// The text `src[pos..end]`.
    pub fn new(src: Arc<str>, pos: usize, end: usize) -> TextNode {
        TextNode { pos, src, end }
    }

    /// The text.
    pub fn text(&self) -> &str {
        self.src.get(self.pos..self.end).unwrap_or("")
    }
}

impl fmt::Debug for TextNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TextNode")
            .field("pos", &self.pos)
            .field("text", &self.text())
            .finish()
    }
}

/// An action that prints (or declares).
#[derive(Debug, PartialEq)]
pub struct ActionNode {
    /// Position.
    pub pos: usize,
    /// The pipeline.
    pub pipe: PipeNode,
}

/// `if`, `range` or `with`.
#[derive(Debug, PartialEq)]
pub struct BranchNode {
    /// Position of the pipeline.
    pub pos: usize,
    /// The condition or the range/with value.
    pub pipe: PipeNode,
    /// The body.
    pub list: ListNode,
    /// The `else` body.
    pub else_list: Option<ListNode>,
}

/// `{{template "name" pipeline}}`.
#[derive(Debug, PartialEq)]
pub struct TemplateNode {
    /// Position.
    pub pos: usize,
    /// The called template.
    pub name: String,
    /// Its argument.
    pub pipe: Option<PipeNode>,
}

/// A pipeline, with its optional declarations.
#[derive(Debug, PartialEq)]
pub struct PipeNode {
    /// Position.
    pub pos: usize,
    /// `=` rather than `:=`.
    pub is_assign: bool,
    /// Declared or assigned variables.
    pub decl: Vec<VariableNode>,
    /// The commands, in order.
    pub cmds: Vec<CommandNode>,
}

/// A variable in a declaration.
#[derive(Debug, PartialEq)]
pub struct VariableNode {
    /// Position.
    pub pos: usize,
    /// `$x`.
    pub name: Name,
}

/// One command of a pipeline: a function or a value with arguments.
#[derive(Debug, PartialEq)]
pub struct CommandNode {
    /// Position.
    pub pos: usize,
    /// The operands.
    pub args: Vec<Arg>,
}

/// A number literal with every reading Go gives it.
#[derive(Debug, PartialEq)]
pub struct NumberNode {
    /// Position.
    pub pos: usize,
    /// Whether it is an integer.
    pub is_int: bool,
    /// Whether it is an unsigned integer.
    pub is_uint: bool,
    /// Whether it is a float.
    pub is_float: bool,
    /// Whether it is complex (not supported in execution).
    pub is_complex: bool,
    /// Signed value.
    pub int64: i64,
    /// Unsigned value.
    pub uint64: u64,
    /// Float value.
    pub float64: f64,
    /// The text as written.
    pub text: String,
}

/// A name in a template (a function, field or variable): an `Arc` so that
/// a tree stays `Send` and the executor's variables clone a name without
/// copying it.
pub type Name = Arc<str>;

/// An operand.
#[derive(Debug, PartialEq)]
pub enum Arg {
    /// A function name.
    Identifier {
        /// Position.
        pos: usize,
        /// The name.
        name: Name,
    },
    /// `.`.
    Dot(usize),
    /// `nil`.
    Nil(usize),
    /// `true`/`false`.
    Bool {
        /// Position.
        pos: usize,
        /// The value.
        value: bool,
    },
    /// A number.
    Number(Box<NumberNode>),
    /// A string literal.
    String {
        /// Position.
        pos: usize,
        /// As written, with quotes.
        quoted: String,
        /// The value.
        text: String,
    },
    /// `.A.B`.
    Field {
        /// Position.
        pos: usize,
        /// `["A", "B"]`.
        ident: Vec<Name>,
    },
    /// `$x.A`.
    Variable {
        /// Position.
        pos: usize,
        /// `["$x", "A"]`.
        ident: Vec<Name>,
    },
    /// `(pipe).A` or `$x.A` built from a term.
    Chain {
        /// Position.
        pos: usize,
        /// The term.
        node: Box<Arg>,
        /// The fields.
        field: Vec<Name>,
    },
    /// `(pipeline)`.
    Pipe(Box<PipeNode>),
}

impl Arg {
    /// The position.
    pub fn pos(&self) -> usize {
        match self {
            Arg::Identifier { pos, .. }
            | Arg::Dot(pos)
            | Arg::Nil(pos)
            | Arg::Bool { pos, .. }
            | Arg::String { pos, .. }
            | Arg::Field { pos, .. }
            | Arg::Variable { pos, .. }
            | Arg::Chain { pos, .. } => *pos,
            Arg::Number(n) => n.pos,
            Arg::Pipe(p) => p.pos,
        }
    }
}

// ---- String() of nodes, as Go writes them (for error contexts) ----

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Identifier { name, .. } => f.write_str(name),
            Arg::Dot(_) => f.write_str("."),
            Arg::Nil(_) => f.write_str("nil"),
            Arg::Bool { value, .. } => write!(f, "{value}"),
            Arg::Number(n) => f.write_str(&n.text),
            Arg::String { quoted, .. } => f.write_str(quoted),
            Arg::Field { ident, .. } => {
                for id in ident {
                    f.write_char('.')?;
                    f.write_str(id)?;
                }
                Ok(())
            }
            Arg::Variable { ident, .. } => f.write_str(&ident.join(".")),
            Arg::Chain { node, field, .. } => {
                if let Arg::Pipe(p) = node.as_ref() {
                    write!(f, "({p})")?;
                } else {
                    write!(f, "{node}")?;
                }
                for id in field {
                    f.write_char('.')?;
                    f.write_str(id)?;
                }
                Ok(())
            }
            Arg::Pipe(p) => write!(f, "{p}"),
        }
    }
}

impl fmt::Display for CommandNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_char(' ')?;
            }
            if let Arg::Pipe(p) = arg {
                write!(f, "({p})")?;
            } else {
                write!(f, "{arg}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for PipeNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            for (i, v) in self.decl.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                f.write_str(&v.name)?;
            }
            f.write_str(" := ")?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl fmt::Display for ListNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for n in &self.nodes {
            write!(f, "{n}")?;
        }
        Ok(())
    }
}

fn write_branch(f: &mut fmt::Formatter<'_>, name: &str, b: &BranchNode) -> fmt::Result {
    write!(f, "{{{{{name} {}}}}}{}", b.pipe, b.list)?;
    if let Some(e) = &b.else_list {
        write!(f, "{{{{else}}}}{e}")?;
    }
    f.write_str("{{end}}")
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Text(t) => f.write_str(t.text()),
            Node::Action(a) => write!(f, "{{{{{}}}}}", a.pipe),
            Node::If(b) => write_branch(f, "if", b),
            Node::Range(b) => write_branch(f, "range", b),
            Node::With(b) => write_branch(f, "with", b),
            Node::Template(t) => {
                write!(f, "{{{{template {}", super::gofmt::quote(&t.name))?;
                if let Some(p) = &t.pipe {
                    write!(f, " {p}")?;
                }
                f.write_str("}}")
            }
            Node::Break(_) => f.write_str("{{break}}"),
            Node::Continue(_) => f.write_str("{{continue}}"),
        }
    }
}

// ---- The parser ----

/// A parse error, already in Go's words (`template: NAME:LINE: MSG`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

/// What a parsed item list ended with.
enum End {
    End,
    Else(usize),
}

struct Parser<'f, 'a> {
    items: Lexer<'a>,
    token: [Item<'a>; 3],
    peek_count: usize,
    /// The line of the last item read from the lexer (Go's token[0]).
    vars: Vec<String>,
    range_depth: usize,
    action_line: usize,
    parse_name: Arc<str>,
    text: Arc<str>,
    has_function: &'f dyn Fn(&str) -> bool,
    trees: Vec<Tree>,
}

type PResult<T> = Result<T, ParseError>;

fn eof_item() -> Item<'static> {
    Item {
        typ: ItemType::Eof,
        pos: 0,
        val: Cow::Borrowed(""),
        line: 0,
    }
}

/// Parses `text` as the template `name`: the file's tree first, then one
/// per `define` and `block`, in the order Go adds them (a later define of
/// the same name in this text is an error unless one of them is empty).
/// `has_function` says which function names exist (an unknown one is a
/// parse error, as in Go).
///
/// # Errors
/// Go's parse error text.
pub fn parse(name: &str, text: &str, has_function: &dyn Fn(&str) -> bool) -> PResult<Vec<Tree>> {
    // One copy of the name and text serves both parsers: the fast one
    // refuses some files, and the fallback must not copy them again.
    let parse_name: Arc<str> = Arc::from(name);
    let shared: Arc<str> = Arc::from(text);
    if let Some(trees) = super::fastparse::parse(name, &parse_name, &shared, text, has_function) {
        return Ok(trees);
    }
    go_parse(name, parse_name, shared, text, has_function)
}

/// [`parse`] by the Go-faithful parser alone: what the fast parser
/// falls back to, and what tests hold it to.
#[cfg(test)]
pub(crate) fn parse_go(
    name: &str,
    text: &str,
    has_function: &dyn Fn(&str) -> bool,
) -> PResult<Vec<Tree>> {
    go_parse(name, Arc::from(name), Arc::from(text), text, has_function)
}

/// The Go-faithful parse of `text`, whose shared copies the trees keep.
fn go_parse<'a>(
    name: &str,
    parse_name: Arc<str>,
    shared: Arc<str>,
    text: &'a str,
    has_function: &dyn Fn(&str) -> bool,
) -> PResult<Vec<Tree>> {
    let break_ok = !has_function("break");
    let continue_ok = !has_function("continue");
    let items = Lexer::new(text, break_ok, continue_ok);
    let text = shared;
    let mut p = Parser {
        items,
        token: [eof_item(), eof_item(), eof_item()],
        peek_count: 0,
        vars: vec!["$".into()],
        range_depth: 0,
        action_line: 0,
        parse_name: parse_name.clone(),
        text: text.clone(),
        has_function,
        trees: Vec::new(),
    };
    let root = p.parse_top()?;
    let top = Tree {
        name: name.to_string(),
        parse_name,
        root,
        text,
    };
    p.add(top)?;
    Ok(p.trees)
}

/// Go's `Tree.add` within one parse, shared by both parsers: an empty
/// definition never replaces, a second non-empty one of a name is an
/// error (`Err` holds the name).
pub(crate) fn add_tree(trees: &mut Vec<Tree>, tree: Tree) -> Result<(), String> {
    if let Some(i) = trees.iter().position(|t| t.name == tree.name) {
        if trees[i].is_empty() {
            trees[i] = tree;
        } else if !tree.is_empty() {
            return Err(tree.name);
        }
        return Ok(());
    }
    trees.push(tree);
    Ok(())
}

/// The 1-based stage of the first pipeline command after the first that
/// starts with a constant or dot, which Go refuses ("non executable
/// command"): shared by both parsers.
pub(crate) fn non_executable_stage(pipe: &PipeNode) -> Option<usize> {
    pipe.cmds
        .iter()
        .skip(1)
        .position(|c| {
            matches!(
                c.args.first(),
                Some(
                    Arg::Bool { .. }
                        | Arg::Dot(_)
                        | Arg::Nil(_)
                        | Arg::Number(_)
                        | Arg::String { .. }
                )
            )
        })
        .map(|i| i + 2)
}

impl<'f, 'a> Parser<'f, 'a> {
    fn next_from_lexer(&mut self) -> Item<'a> {
        self.items.next().unwrap_or_else(|| {
            // After EOF or an error the lexer has nothing more; Go's
            // channel would be closed and yield zero items (EOF-like).
            let mut last = eof_item();
            last.line = self.token[0].line;
            last.pos = self.text.len();
            last
        })
    }

    fn next(&mut self) -> Item<'a> {
        if self.peek_count > 0 {
            self.peek_count -= 1;
        } else {
            self.token[0] = self.next_from_lexer();
        }
        self.token[self.peek_count].clone()
    }

    fn backup(&mut self) {
        self.peek_count += 1;
    }

    fn backup2(&mut self, t1: Item<'a>) {
        self.token[1] = t1;
        self.peek_count = 2;
    }

    fn backup3(&mut self, t2: Item<'a>, t1: Item<'a>) {
        self.token[1] = t1;
        self.token[2] = t2;
        self.peek_count = 3;
    }

    fn peek(&mut self) -> Item<'a> {
        if self.peek_count > 0 {
            return self.token[self.peek_count - 1].clone();
        }
        self.peek_count = 1;
        self.token[0] = self.next_from_lexer();
        self.token[0].clone()
    }

    fn next_non_space(&mut self) -> Item<'a> {
        loop {
            let t = self.next();
            if t.typ != ItemType::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item<'a> {
        let t = self.next_non_space();
        self.backup();
        t
    }

    fn error<T>(&self, message: impl fmt::Display) -> PResult<T> {
        Err(ParseError(format!(
            "template: {}:{}: {}",
            self.parse_name, self.token[0].line, message
        )))
    }

    fn expect(&mut self, expected: ItemType, context: &str) -> PResult<Item<'a>> {
        let t = self.next_non_space();
        if t.typ != expected {
            return self.unexpected(&t, context);
        }
        Ok(t)
    }

    fn expect_one_of(&mut self, a: ItemType, b: ItemType, context: &str) -> PResult<Item<'a>> {
        let t = self.next_non_space();
        if t.typ != a && t.typ != b {
            return self.unexpected(&t, context);
        }
        Ok(t)
    }

    fn unexpected<T>(&self, token: &Item, context: &str) -> PResult<T> {
        if token.typ == ItemType::Error {
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != token.line {
                extra = format!(
                    " in action started at {}:{}",
                    self.parse_name, self.action_line
                );
                if token.val.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.error(format!("{}{}", token.describe(), extra));
        }
        self.error(format!("unexpected {} in {}", token.describe(), context))
    }

    /// Go's `Tree.add` within one parse: a second non-empty definition of
    /// a name is an error; an empty one does not replace.
    fn add(&mut self, tree: Tree) -> PResult<()> {
        if let Err(name) = add_tree(&mut self.trees, tree) {
            return self.error(format!(
                "template: multiple definition of template {}",
                super::gofmt::quote(&name)
            ));
        }
        Ok(())
    }

    fn parse_top(&mut self) -> PResult<ListNode> {
        let mut root = ListNode {
            pos: self.peek().pos,
            nodes: Vec::new(),
        };
        while self.peek().typ != ItemType::Eof {
            if self.peek().typ == ItemType::LeftDelim {
                let delim = self.next();
                if self.next_non_space().typ == ItemType::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.backup2(delim);
            }
            match self.text_or_action()? {
                Parsed::Node(n) => root.nodes.push(n),
                Parsed::End => return self.error("unexpected {{end}}"),
                Parsed::Else(_) => return self.error("unexpected {{else}}"),
            }
        }
        Ok(root)
    }

    fn parse_definition(&mut self) -> PResult<()> {
        let context = "define clause";
        let name = self.expect_one_of(ItemType::String, ItemType::RawString, context)?;
        let name = match unquote(&name.val) {
            Ok(s) => s,
            Err(e) => return self.error(e),
        };
        self.expect(ItemType::RightDelim, context)?;
        // A define has its own variable scope.
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let saved_depth = std::mem::replace(&mut self.range_depth, 0);
        let (list, end) = self.item_list()?;
        self.vars = saved_vars;
        self.range_depth = saved_depth;
        if let End::Else(_) = end {
            return self.error(format!("unexpected {{{{else}}}} in {context}"));
        }
        let tree = Tree {
            name,
            parse_name: self.parse_name.clone(),
            root: list,
            text: self.text.clone(),
        };
        self.add(tree)
    }

    fn item_list(&mut self) -> PResult<(ListNode, End)> {
        let mut list = ListNode {
            pos: self.peek_non_space().pos,
            nodes: Vec::new(),
        };
        while self.peek_non_space().typ != ItemType::Eof {
            match self.text_or_action()? {
                Parsed::Node(n) => list.nodes.push(n),
                Parsed::End => return Ok((list, End::End)),
                Parsed::Else(pos) => return Ok((list, End::Else(pos))),
            }
        }
        self.error("unexpected EOF")
    }

    fn text_or_action(&mut self) -> PResult<Parsed> {
        let token = self.next_non_space();
        match token.typ {
            // A text item is the input from its position on, and `text`
            // is a copy of the input.
            ItemType::Text => Ok(Parsed::Node(Node::Text(TextNode::new(
                self.text.clone(),
                token.pos,
                token.pos + token.val.len(),
            )))),
            ItemType::LeftDelim => {
                self.action_line = token.line;
                let r = self.action();
                self.action_line = 0;
                r
            }
            _ => self.unexpected(&token, "input"),
        }
    }

    fn action(&mut self) -> PResult<Parsed> {
        let token = self.next_non_space();
        match token.typ {
            ItemType::Block => return self.block_control().map(Parsed::Node),
            ItemType::Break => return self.break_control(token.pos, "{{break}}", true),
            ItemType::Continue => return self.break_control(token.pos, "{{continue}}", false),
            ItemType::Else => return self.else_control(),
            ItemType::End => {
                self.expect(ItemType::RightDelim, "end")?;
                return Ok(Parsed::End);
            }
            ItemType::If => return self.if_control().map(Parsed::Node),
            ItemType::Range => {
                let b = self.parse_control("range")?;
                return Ok(Parsed::Node(Node::Range(Box::new(b))));
            }
            ItemType::Template => return self.template_control().map(Parsed::Node),
            ItemType::With => return self.with_control().map(Parsed::Node),
            _ => {}
        }
        self.backup();
        let token = self.peek();
        let pipe = self.pipeline("command", ItemType::RightDelim)?;
        Ok(Parsed::Node(Node::Action(ActionNode {
            pos: token.pos,
            pipe,
        })))
    }

    fn break_control(&mut self, pos: usize, context: &str, is_break: bool) -> PResult<Parsed> {
        let token = self.next_non_space();
        if token.typ != ItemType::RightDelim {
            return self.unexpected(&token, context);
        }
        if self.range_depth == 0 {
            return self.error(format!("{context} outside {{{{range}}}}"));
        }
        Ok(Parsed::Node(if is_break {
            Node::Break(pos)
        } else {
            Node::Continue(pos)
        }))
    }

    fn else_control(&mut self) -> PResult<Parsed> {
        let peek = self.peek_non_space();
        if peek.typ == ItemType::If || peek.typ == ItemType::With {
            // "{{else if ..." and "{{else with ...": the keyword stays
            // pending for parse_control.
            return Ok(Parsed::Else(peek.pos));
        }
        let token = self.expect(ItemType::RightDelim, "else")?;
        Ok(Parsed::Else(token.pos))
    }

    fn if_control(&mut self) -> PResult<Node> {
        Ok(Node::If(Box::new(self.parse_control("if")?)))
    }

    fn with_control(&mut self) -> PResult<Node> {
        Ok(Node::With(Box::new(self.parse_control("with")?)))
    }

    fn parse_control(&mut self, context: &str) -> PResult<BranchNode> {
        let vars_mark = self.vars.len();
        let result = self.parse_control_inner(context);
        self.vars.truncate(vars_mark);
        result
    }

    fn parse_control_inner(&mut self, context: &str) -> PResult<BranchNode> {
        let pipe = self.pipeline(context, ItemType::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let listed = self.item_list();
        if context == "range" {
            self.range_depth -= 1;
        }
        let (list, next) = listed?;
        let mut else_list = None;
        if let End::Else(pos) = next {
            if context == "if" && self.peek().typ == ItemType::If {
                self.next();
                let nested = self.if_control()?;
                else_list = Some(ListNode {
                    pos,
                    nodes: vec![nested],
                });
            } else if context == "with" && self.peek().typ == ItemType::With {
                self.next();
                let nested = self.with_control()?;
                else_list = Some(ListNode {
                    pos,
                    nodes: vec![nested],
                });
            } else {
                let (l, next) = self.item_list()?;
                if let End::Else(_) = next {
                    return self.error("expected end; found {{else}}");
                }
                else_list = Some(l);
            }
        }
        Ok(BranchNode {
            pos: pipe.pos,
            pipe,
            list,
            else_list,
        })
    }

    fn block_control(&mut self) -> PResult<Node> {
        let context = "block clause";
        let token = self.next_non_space();
        let name = self.parse_template_name(&token, context)?;
        let pipe = self.pipeline(context, ItemType::RightDelim)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let saved_depth = std::mem::replace(&mut self.range_depth, 0);
        let listed = self.item_list();
        self.vars = saved_vars;
        self.range_depth = saved_depth;
        let (list, end) = listed?;
        if let End::Else(_) = end {
            return self.error(format!("unexpected {{{{else}}}} in {context}"));
        }
        let tree = Tree {
            name: name.clone(),
            parse_name: self.parse_name.clone(),
            root: list,
            text: self.text.clone(),
        };
        self.add(tree)?;
        Ok(Node::Template(TemplateNode {
            pos: token.pos,
            name,
            pipe: Some(pipe),
        }))
    }

    fn template_control(&mut self) -> PResult<Node> {
        let context = "template clause";
        let token = self.next_non_space();
        let name = self.parse_template_name(&token, context)?;
        let mut pipe = None;
        if self.next_non_space().typ != ItemType::RightDelim {
            self.backup();
            pipe = Some(self.pipeline(context, ItemType::RightDelim)?);
        }
        Ok(Node::Template(TemplateNode {
            pos: token.pos,
            name,
            pipe,
        }))
    }

    fn parse_template_name(&mut self, token: &Item, context: &str) -> PResult<String> {
        match token.typ {
            ItemType::String | ItemType::RawString => match unquote(&token.val) {
                Ok(s) => Ok(s),
                Err(e) => self.error(e),
            },
            _ => self.unexpected(token, context),
        }
    }

    fn pipeline(&mut self, context: &str, end: ItemType) -> PResult<PipeNode> {
        let token = self.peek_non_space();
        let mut pipe = PipeNode {
            pos: token.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        'decls: loop {
            let v = self.peek_non_space();
            if v.typ == ItemType::Variable {
                self.next();
                let after = self.peek();
                let next = self.peek_non_space();
                if next.typ == ItemType::Assign || next.typ == ItemType::Declare {
                    pipe.is_assign = next.typ == ItemType::Assign;
                    self.next_non_space();
                    pipe.decl.push(VariableNode {
                        pos: v.pos,
                        name: Name::from(&*v.val),
                    });
                    self.vars.push(v.val.to_string());
                } else if next.typ == ItemType::Char && next.val == "," {
                    self.next_non_space();
                    pipe.decl.push(VariableNode {
                        pos: v.pos,
                        name: Name::from(&*v.val),
                    });
                    self.vars.push(v.val.to_string());
                    if context == "range" && pipe.decl.len() < 2 {
                        match self.peek_non_space().typ {
                            ItemType::Variable | ItemType::RightDelim | ItemType::RightParen => {
                                continue 'decls;
                            }
                            _ => return self.error("range can only initialize variables"),
                        }
                    }
                    return self.error(format!("too many declarations in {context}"));
                } else if after.typ == ItemType::Space {
                    self.backup3(v, after);
                } else {
                    self.backup2(v);
                }
            }
            break;
        }
        loop {
            let token = self.next_non_space();
            if token.typ == end {
                self.check_pipeline(&pipe, context)?;
                return Ok(pipe);
            }
            match token.typ {
                ItemType::Bool
                | ItemType::CharConstant
                | ItemType::Complex
                | ItemType::Dot
                | ItemType::Field
                | ItemType::Identifier
                | ItemType::Number
                | ItemType::Nil
                | ItemType::RawString
                | ItemType::String
                | ItemType::Variable
                | ItemType::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                _ => return self.unexpected(&token, context),
            }
        }
    }

    fn check_pipeline(&self, pipe: &PipeNode, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return self.error(format!("missing value for {context}"));
        }
        if let Some(stage) = non_executable_stage(pipe) {
            return self.error(format!("non executable command in pipeline stage {stage}"));
        }
        Ok(())
    }

    fn command(&mut self) -> PResult<CommandNode> {
        let pos = self.peek_non_space().pos;
        let mut cmd = CommandNode {
            pos,
            args: Vec::new(),
        };
        loop {
            self.peek_non_space();
            if let Some(operand) = self.operand()? {
                cmd.args.push(operand);
            }
            let token = self.next();
            match token.typ {
                ItemType::Space => continue,
                ItemType::RightDelim | ItemType::RightParen => self.backup(),
                ItemType::Pipe => {}
                _ => return self.unexpected(&token, "operand"),
            }
            break;
        }
        if cmd.args.is_empty() {
            return self.error("empty command");
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().typ == ItemType::Field {
            let chain_pos = self.peek().pos;
            let mut fields = Vec::new();
            while self.peek().typ == ItemType::Field {
                fields.push(Name::from(&self.next().val[1..]));
            }
            return Ok(Some(match node {
                Arg::Field { ident, .. } => {
                    let mut ident = ident;
                    ident.extend(fields);
                    Arg::Field {
                        pos: chain_pos,
                        ident,
                    }
                }
                Arg::Variable { ident, .. } => {
                    let mut ident = ident;
                    ident.extend(fields);
                    Arg::Variable {
                        pos: chain_pos,
                        ident,
                    }
                }
                Arg::Bool { .. }
                | Arg::String { .. }
                | Arg::Number(_)
                | Arg::Nil(_)
                | Arg::Dot(_) => {
                    return self.error(format!(
                        "unexpected . after term {}",
                        super::gofmt::quote(&node.to_string())
                    ));
                }
                other => Arg::Chain {
                    pos: chain_pos,
                    node: Box::new(other),
                    field: fields,
                },
            }));
        }
        Ok(Some(node))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let token = self.next_non_space();
        let arg = match token.typ {
            ItemType::Identifier => {
                if !(self.has_function)(&token.val) {
                    return self.error(format!(
                        "function {} not defined",
                        super::gofmt::quote(&token.val)
                    ));
                }
                Arg::Identifier {
                    pos: token.pos,
                    name: Name::from(&*token.val),
                }
            }
            ItemType::Dot => Arg::Dot(token.pos),
            ItemType::Nil => Arg::Nil(token.pos),
            ItemType::Variable => {
                let ident: Vec<Name> = token.val.split('.').map(Name::from).collect();
                if !self.vars.iter().any(|v| **v == *ident[0]) {
                    return self.error(format!(
                        "undefined variable {}",
                        super::gofmt::quote(&ident[0])
                    ));
                }
                Arg::Variable {
                    pos: token.pos,
                    ident,
                }
            }
            ItemType::Field => Arg::Field {
                pos: token.pos,
                ident: token.val[1..].split('.').map(Name::from).collect(),
            },
            ItemType::Bool => Arg::Bool {
                pos: token.pos,
                value: token.val == "true",
            },
            ItemType::CharConstant | ItemType::Complex | ItemType::Number => {
                match new_number(token.pos, &token.val, token.typ) {
                    Ok(n) => Arg::Number(Box::new(n)),
                    Err(e) => return self.error(e),
                }
            }
            ItemType::LeftParen => {
                let pipe = self.pipeline("parenthesized pipeline", ItemType::RightParen)?;
                Arg::Pipe(Box::new(pipe))
            }
            ItemType::String | ItemType::RawString => match unquote(&token.val) {
                Ok(text) => Arg::String {
                    pos: token.pos,
                    quoted: token.val.into_owned(),
                    text,
                },
                Err(e) => return self.error(e),
            },
            _ => {
                self.backup();
                return Ok(None);
            }
        };
        Ok(Some(arg))
    }
}

enum Parsed {
    Node(Node),
    End,
    Else(usize),
}

/// Go's `strconv.Unquote` for the literals the lexer produces: `"..."`
/// with Go escapes, and raw `` `...` `` (carriage returns dropped).
///
/// # Errors
/// `invalid syntax`, as Go says.
pub fn unquote(s: &str) -> Result<String, String> {
    let bad = || "invalid syntax".to_string();
    if s.len() < 2 {
        return Err(bad());
    }
    let quote = s.as_bytes()[0];
    if quote != s.as_bytes()[s.len() - 1] {
        return Err(bad());
    }
    let body = &s[1..s.len() - 1];
    if quote == b'`' {
        if body.contains('`') {
            return Err(bad());
        }
        return Ok(body.replace('\r', ""));
    }
    if quote != b'"' && quote != b'\'' {
        return Err(bad());
    }
    // Go's own shortcut: nothing to unescape.
    if quote == b'"' && !body.bytes().any(|b| matches!(b, b'\\' | b'"' | b'\n')) {
        return Ok(body.to_string());
    }
    let mut out = String::new();
    let mut bytes: Vec<u8> = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        if rest.starts_with(quote as char) && quote == b'"' {
            return Err(bad());
        }
        let (c, tail) = unquote_char(rest, quote)?;
        match c {
            Unq::Char(c) => {
                let mut buf = [0u8; 4];
                bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            Unq::Byte(b) => bytes.push(b),
        }
        rest = tail;
    }
    out.push_str(&String::from_utf8_lossy(&bytes));
    Ok(out)
}

enum Unq {
    Char(char),
    Byte(u8),
}

/// One (possibly escaped) character of a quoted literal (Go's
/// `strconv.UnquoteChar`).
fn unquote_char(s: &str, quote: u8) -> Result<(Unq, &str), String> {
    let bad = || "invalid syntax".to_string();
    let mut chars = s.chars();
    let c = chars.next().ok_or_else(bad)?;
    if c != '\\' {
        if c as u32 == quote as u32 && quote == b'\'' {
            return Err(bad());
        }
        return Ok((Unq::Char(c), chars.as_str()));
    }
    let e = chars.next().ok_or_else(bad)?;
    let rest = chars.as_str();
    let simple = match e {
        'a' => Some('\u{7}'),
        'b' => Some('\u{8}'),
        'f' => Some('\u{c}'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\u{b}'),
        '\\' => Some('\\'),
        '\'' | '"' => {
            if e as u32 != quote as u32 {
                return Err(bad());
            }
            Some(e)
        }
        _ => None,
    };
    if let Some(c) = simple {
        return Ok((Unq::Char(c), rest));
    }
    let hex = |n: usize, rest: &str| -> Result<(u32, usize), String> {
        if rest.len() < n || !rest.is_char_boundary(n) {
            return Err(bad());
        }
        u32::from_str_radix(&rest[..n], 16)
            .map(|v| (v, n))
            .map_err(|_| bad())
    };
    match e {
        'x' => {
            let (v, n) = hex(2, rest)?;
            Ok((Unq::Byte(v as u8), &rest[n..]))
        }
        'u' | 'U' => {
            let (v, n) = hex(if e == 'u' { 4 } else { 8 }, rest)?;
            let c = char::from_u32(v).ok_or_else(bad)?;
            Ok((Unq::Char(c), &rest[n..]))
        }
        '0'..='7' => {
            if rest.len() < 2 || !rest.is_char_boundary(2) {
                return Err(bad());
            }
            let digits = format!("{e}{}", &rest[..2]);
            let v = u32::from_str_radix(&digits, 8).map_err(|_| bad())?;
            if v > 255 {
                return Err(bad());
            }
            Ok((Unq::Byte(v as u8), &rest[2..]))
        }
        _ => Err(bad()),
    }
}

/// Go's `newNumber`: every reading of a number literal.
/// A number literal as the lexer's `Number` item makes it.
pub(crate) fn new_number_node(pos: usize, text: &str) -> Result<NumberNode, String> {
    new_number(pos, text, ItemType::Number)
}

fn new_number(pos: usize, text: &str, typ: ItemType) -> Result<NumberNode, String> {
    let mut n = NumberNode {
        pos,
        is_int: false,
        is_uint: false,
        is_float: false,
        is_complex: false,
        int64: 0,
        uint64: 0,
        float64: 0.0,
        text: text.to_string(),
    };
    match typ {
        ItemType::CharConstant => {
            let (c, tail) = unquote_char(&text[1..], b'\'')?;
            let v = match c {
                Unq::Char(c) => c as u32,
                Unq::Byte(b) => b as u32,
            };
            if tail != "'" {
                return Err(format!("malformed character constant: {text}"));
            }
            n.int64 = v as i64;
            n.is_int = true;
            n.uint64 = v as u64;
            n.is_uint = true;
            n.float64 = v as f64;
            n.is_float = true;
            return Ok(n);
        }
        ItemType::Complex => {
            n.is_complex = true;
            return Ok(n);
        }
        _ => {}
    }
    if text.strip_suffix('i').and_then(parse_go_float).is_some() {
        n.is_complex = true;
        return Ok(n);
    }
    let u = parse_go_uint(text);
    if let Some(u) = u {
        n.is_uint = true;
        n.uint64 = u;
    }
    if let Some(i) = parse_go_int(text) {
        n.is_int = true;
        n.int64 = i;
        if i == 0 {
            n.is_uint = true;
            n.uint64 = u.unwrap_or(0);
        }
    }
    if n.is_int {
        n.is_float = true;
        n.float64 = n.int64 as f64;
    } else if n.is_uint {
        n.is_float = true;
        n.float64 = n.uint64 as f64;
    } else if let Some(f) = parse_go_float(text) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {}", super::gofmt::quote(text)));
        }
        n.is_float = true;
        n.float64 = f;
        if f.fract() == 0.0 && (-9.223372036854776e18..9.223372036854776e18).contains(&f) {
            n.is_int = true;
            n.int64 = f as i64;
        }
        if f.fract() == 0.0 && (0.0..1.8446744073709552e19).contains(&f) {
            n.is_uint = true;
            n.uint64 = f as u64;
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!(
            "illegal number syntax: {}",
            super::gofmt::quote(text)
        ));
    }
    Ok(n)
}

/// Digits of a Go integer literal with base prefix 0 (`0x`, `0o`, `0b`, a
/// leading `0` for octal) and `_` separators between digits.
fn split_base(text: &str) -> Option<(u32, String)> {
    let (base, digits) = if let Some(r) = text.strip_prefix("0x").or(text.strip_prefix("0X")) {
        (16, r)
    } else if let Some(r) = text.strip_prefix("0o").or(text.strip_prefix("0O")) {
        (8, r)
    } else if let Some(r) = text.strip_prefix("0b").or(text.strip_prefix("0B")) {
        (2, r)
    } else if text.len() > 1 && text.starts_with('0') {
        (8, &text[1..])
    } else {
        (10, text)
    };
    // Underscores only between digits (or after a base prefix).
    if digits.is_empty() && base != 8 {
        return None;
    }
    let b = digits.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'_' {
            let prev_ok = i > 0 && b[i - 1] != b'_' || i == 0 && base != 10;
            let next_ok = i + 1 < b.len() && b[i + 1] != b'_';
            if !prev_ok || !next_ok {
                return None;
            }
        }
    }
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    if clean.is_empty() {
        return if text == "0" {
            Some((10, "0".into()))
        } else {
            None
        };
    }
    Some((base, clean))
}

fn parse_go_uint(text: &str) -> Option<u64> {
    if text.starts_with(['+', '-']) {
        return None;
    }
    let (base, digits) = split_base(text)?;
    u64::from_str_radix(&digits, base).ok()
}

fn parse_go_int(text: &str) -> Option<i64> {
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (base, digits) = split_base(body)?;
    let magnitude = u64::from_str_radix(&digits, base).ok()?;
    if neg {
        if magnitude <= i64::MAX as u64 + 1 {
            Some((magnitude as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Go's `strconv.ParseFloat(text, 64)` for template literals: decimal
/// (with `_`), hex floats (`0x1p-2`), `inf`/`nan` are not literals here.
fn parse_go_float(text: &str) -> Option<f64> {
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = body.to_ascii_lowercase();
    let value = if let Some(hex) = lower.strip_prefix("0x") {
        parse_hex_float(&hex.replace('_', ""))?
    } else {
        if body.is_empty()
            || !body
                .bytes()
                .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-' | b'_'))
        {
            return None;
        }
        let clean: String = body.chars().filter(|&c| c != '_').collect();
        clean.parse::<f64>().ok()?
    };
    if value.is_infinite() {
        return None;
    }
    Some(if neg { -value } else { value })
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = match s.split_once('p') {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (s, 0),
    };
    let (int_part, frac_part) = mant.split_once('.').unwrap_or((mant, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut value = 0f64;
    for c in int_part.chars() {
        value = value * 16.0 + c.to_digit(16)? as f64;
    }
    let mut scale = 1.0 / 16.0;
    for c in frac_part.chars() {
        value += c.to_digit(16)? as f64 * scale;
        scale /= 16.0;
    }
    Some(value * 2f64.powi(exp))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn funcs(name: &str) -> bool {
        matches!(name, "printf" | "len" | "include" | "upper")
    }

    fn parse_one(text: &str) -> Result<Vec<Tree>, String> {
        parse("t", text, &funcs).map_err(|e| e.0)
    }

    #[test]
    fn round_trips_pipelines_as_go_prints_them() {
        let trees = parse_one("{{ $x := .A.B | printf \"%d\" (len $) }}").expect("parses");
        assert_eq!(
            trees[0].root.nodes[0].to_string(),
            "{{$x := .A.B | printf \"%d\" (len $)}}"
        );
    }

    #[test]
    fn defines_become_their_own_trees() {
        let trees = parse_one("a{{define \"x\"}}X{{end}}b").expect("parses");
        let names: Vec<_> = trees.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, vec!["x", "t"]);
        assert_eq!(trees[1].root.to_string(), "ab");
    }

    #[test]
    fn errors_read_as_go_writes_them() {
        assert_eq!(
            parse_one("{{ foo }}").unwrap_err(),
            "template: t:1: function \"foo\" not defined"
        );
        assert_eq!(
            parse_one("{{ if .X }}").unwrap_err(),
            "template: t:1: unexpected EOF"
        );
        assert_eq!(
            parse_one("\n{{ end }}").unwrap_err(),
            "template: t:2: unexpected {{end}}"
        );
        assert_eq!(
            parse_one("{{ $y }}").unwrap_err(),
            "template: t:1: undefined variable \"$y\""
        );
        assert_eq!(
            parse_one("{{ .X }").unwrap_err(),
            "template: t:1: unexpected \"}\" in operand"
        );
        assert_eq!(
            parse_one("{{ break }}").unwrap_err(),
            "template: t:1: {{break}} outside {{range}}"
        );
    }

    #[test]
    fn numbers_have_every_go_reading() {
        let n = new_number(0, "0x1F", ItemType::Number).expect("number");
        assert!(n.is_int && n.int64 == 31);
        let n = new_number(0, "1e3", ItemType::Number).expect("number");
        assert!(n.is_float && n.is_int && n.int64 == 1000);
        let n = new_number(0, "1_000", ItemType::Number).expect("number");
        assert_eq!(n.int64, 1000);
        let n = new_number(0, "'a'", ItemType::CharConstant).expect("char");
        assert_eq!(n.int64, 97);
        assert!(new_number(0, "99999999999999999999", ItemType::Number).is_err());
    }
}
