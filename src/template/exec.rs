//! The executor: Go's `text/template/exec.go` walk over a parsed tree,
//! with one state (the template being run, the output, the variable
//! stack, the node being evaluated for error messages) and Helm's
//! `include`, `tpl` and `lookup` wired in through [`Host`].
//!
//! Go's reflection shows through in three places that templates notice,
//! and they are modelled here: a value read out of a
//! `map[string]interface{}` or `[]interface{}` is *boxed* in an interface
//! until the pipeline ends (so `.Values.list.x` fails with `in type
//! interface {}` and a missing key passed straight to a `string`
//! parameter is `got interface {}`); a missing value after a pipeline is
//! *invalid* (`<no value>`, `invalid value; expected string`); and a
//! function parameter's Go type decides what it accepts.
//!
//! Every loop and recursion is bounded: a step budget (fuel), an output
//! cap, Go's template depth and Helm's include depth; each ends the render
//! with an error, never a hang or a stack overflow (deep recursion grows
//! the stack on the heap).

use rustc_hash::FxHashMap;
use std::rc::Rc;

use super::funcs::{registry, Func, FuncError, Host, Imp, StringBytes, Ty};
use super::parse::{
    Arg, BranchNode, CommandNode, ListNode, Name, Node, NumberNode, PipeNode, Tree,
};
use super::value::{go_lossy, map_bad_bytes, Elem, Object, Value};
use super::{Error, Options, Templates};

/// Go's `maxExecDepth`.
const MAX_EXEC_DEPTH: usize = 100_000;
/// Helm's `recursionMaxNums` for `include`.
const MAX_INCLUDE: usize = 1000;

/// A reflect.Value as Go's executor holds it.
#[derive(Clone)]
enum Rv {
    /// The zero reflect.Value: no value at all.
    Invalid,
    /// A value; `boxed` when it sits in an `interface{}` (read from a
    /// `map[string]interface{}` or `[]interface{}`). `Value::Nil` only
    /// occurs boxed (a nil interface).
    Val(Value, bool),
}

impl Rv {
    fn concrete(v: Value) -> Rv {
        if v.is_nil() {
            Rv::Val(Value::Nil, true)
        } else {
            Rv::Val(v, false)
        }
    }

    /// Go's "lovely!" unwrap at the end of each pipeline command: an
    /// `interface{}` becomes its concrete value, a nil one becomes invalid.
    fn unwrap_interface(self) -> Rv {
        match self {
            Rv::Val(Value::Nil, _) => Rv::Invalid,
            Rv::Val(v, _) => Rv::Val(v, false),
            Rv::Invalid => Rv::Invalid,
        }
    }

    /// `indirectInterface` then the value (no value for invalid or nil).
    fn value(&self) -> Value {
        match self {
            Rv::Invalid => Value::Nil,
            Rv::Val(v, _) => v.clone(),
        }
    }
}

/// The last argument of a command in a pipeline: the previous command's
/// value, or none (Go's `missingVal`).
#[derive(Clone)]
enum Final {
    Missing,
    Value(Rv),
}

/// The node errors are reported at (Go's `state.node`).
#[derive(Clone, Copy)]
enum At<'a> {
    None,
    Node(&'a Node),
    Pipe(&'a PipeNode),
    Cmd(&'a CommandNode),
    Arg(&'a Arg),
    Branch(&'a BranchNode, &'static str),
}

impl At<'_> {
    fn pos(&self) -> usize {
        match self {
            At::None => 0,
            At::Node(n) => node_pos(n),
            At::Pipe(p) => p.pos,
            At::Cmd(c) => c.pos,
            At::Arg(a) => a.pos(),
            At::Branch(b, _) => b.pos,
        }
    }

    fn context(&self) -> String {
        match self {
            At::None => String::new(),
            At::Node(n) => n.to_string(),
            At::Pipe(p) => p.to_string(),
            At::Cmd(c) => c.to_string(),
            At::Arg(a) => a.to_string(),
            At::Branch(b, kind) => {
                let mut s = format!("{{{{{kind} {}}}}}{}", b.pipe, b.list);
                if let Some(e) = &b.else_list {
                    s.push_str("{{else}}");
                    s.push_str(&e.to_string());
                }
                s.push_str("{{end}}");
                s
            }
        }
    }
}

fn node_pos(n: &Node) -> usize {
    match n {
        Node::Text(t) => t.pos,
        Node::Action(a) => a.pos,
        Node::If(b) | Node::Range(b) | Node::With(b) => b.pos,
        Node::Template(t) => t.pos,
        Node::Break(p) | Node::Continue(p) => *p,
    }
}

/// Why a walk stopped early: an error, or `break`/`continue` unwinding to
/// their range.
enum Stop {
    Error(Error),
    Break,
    Continue,
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Error(e)
    }
}

type R<T> = Result<T, Stop>;

/// Everything one render shares across nested executions (`include`,
/// `tpl`, `{{template}}`): the template sets, the budgets, Helm's include
/// counters.
pub(super) struct Render<'a> {
    base: &'a Templates,
    /// Templates `tpl` added, innermost last; each lives until its `tpl`
    /// returns. Boxed so references stay valid while the stack grows.
    overlays: Vec<FxHashMap<String, Rc<Tree>>>,
    options: &'a Options<'a>,
    fuel: u64,
    output: usize,
    included: FxHashMap<String, usize>,
    /// The structured error of the last failed `include`, so that the
    /// chain Helm walks keeps its links.
    host_error: Option<Error>,
    /// `tpl` texts already parsed in this render (charts call `tpl` with
    /// the same text for every document; parsing is deterministic).
    tpl_trees: FxHashMap<String, Vec<Rc<Tree>>>,
}

impl<'a> Render<'a> {
    pub(super) fn new(base: &'a Templates, options: &'a Options<'a>) -> Self {
        Render {
            base,
            overlays: Vec::new(),
            options,
            fuel: options.max_steps,
            output: 0,
            included: FxHashMap::default(),
            host_error: None,
            tpl_trees: FxHashMap::default(),
        }
    }

    fn lookup(&self, name: &str) -> Option<TreeRef<'a>> {
        for layer in self.overlays.iter().rev() {
            if let Some(t) = layer.get(name) {
                return Some(TreeRef::Owned(t.clone()));
            }
        }
        self.base.trees.get(name).map(|t| TreeRef::Base(t.as_ref()))
    }

    /// Go's `ExecuteTemplate`: runs the template `name` with `data` into a
    /// new string.
    pub(super) fn execute_template(&mut self, name: &str, data: Value) -> Result<String, Error> {
        let Some(tree) = self.lookup(name) else {
            return Err(Error::plain(format!(
                "template: no template {} associated with template {}",
                super::gofmt::quote(name),
                super::gofmt::quote(&self.base.root_name)
            )));
        };
        let mut out = String::new();
        self.run(&tree, Rv::concrete(data), &mut out, 0)?;
        Ok(out)
    }

    fn run(
        &mut self,
        tree: &TreeRef<'_>,
        dot: Rv,
        out: &mut String,
        depth: usize,
    ) -> Result<(), Error> {
        let tree = tree.get();
        let mut state = State {
            render: self,
            tree,
            out,
            vars: vec![("$".into(), dot.clone())],
            depth,
            at: At::None,
        };
        match state.walk_list(&dot, &tree.root) {
            Ok(()) => Ok(()),
            Err(Stop::Error(e)) => Err(e),
            // The parser allows break/continue only inside range.
            Err(Stop::Break | Stop::Continue) => Ok(()),
        }
    }
}

/// A template found by name: from the parsed set, or one `tpl` added.
enum TreeRef<'a> {
    Base(&'a Tree),
    Owned(Rc<Tree>),
}

impl TreeRef<'_> {
    fn get(&self) -> &Tree {
        match self {
            TreeRef::Base(t) => t,
            TreeRef::Owned(t) => t,
        }
    }
}

struct State<'r, 'a, 't> {
    render: &'r mut Render<'a>,
    tree: &'t Tree,
    out: &'r mut String,
    vars: Vec<(Name, Rv)>,
    depth: usize,
    at: At<'t>,
}

impl<'r, 'a, 't> State<'r, 'a, 't> {
    // ---- errors ----

    fn at(&mut self, at: At<'t>) {
        self.at = at;
    }

    /// Go's `state.errorf`: `template: LOC: executing "NAME" at <NODE>: MSG`.
    fn error(&self, message: impl Into<String>) -> Stop {
        Stop::Error(self.error_with(message.into(), None))
    }

    fn error_with(&self, message: String, cause: Option<Error>) -> Error {
        let name = &self.tree.name;
        let text = match self.at {
            At::None => format!("template: {name}: {message}"),
            at => format!(
                "template: {}: executing {} at <{}>: {}",
                self.tree.location(at.pos()),
                super::gofmt::quote(name),
                at.context(),
                message
            ),
        };
        Error::exec(text, cause)
    }

    fn burn(&mut self) -> R<()> {
        if self.render.fuel == 0 {
            return Err(self.error(format!(
                "the template ran out of its step budget ({} steps; a runaway range or recursion?)",
                self.render.options.max_steps
            )));
        }
        self.render.fuel -= 1;
        Ok(())
    }

    fn write(&mut self, s: &str) -> R<()> {
        self.render.output += s.len();
        if self.render.output > self.render.options.max_output {
            return Err(self.error(format!(
                "the output is larger than the limit of {} bytes",
                self.render.options.max_output
            )));
        }
        self.out.push_str(s);
        Ok(())
    }

    // ---- variables ----

    fn var_value(&self, name: &str) -> R<Rv> {
        for (n, v) in self.vars.iter().rev() {
            if &**n == name {
                return Ok(v.clone());
            }
        }
        Err(self.error(format!("undefined variable: {name}")))
    }

    fn set_var(&mut self, name: &str, value: Rv) -> R<()> {
        for (n, v) in self.vars.iter_mut().rev() {
            if &**n == name {
                *v = value;
                return Ok(());
            }
        }
        Err(self.error(format!("undefined variable: {name}")))
    }

    // ---- walking ----

    fn walk_list(&mut self, dot: &Rv, list: &'t ListNode) -> R<()> {
        for node in &list.nodes {
            self.walk(dot, node)?;
        }
        Ok(())
    }

    fn walk(&mut self, dot: &Rv, node: &'t Node) -> R<()> {
        self.burn()?;
        self.at(At::Node(node));
        match node {
            Node::Text(t) => self.write(t.text()),
            Node::Action(a) => {
                let val = self.eval_pipeline(dot, &a.pipe)?;
                if a.pipe.decl.is_empty() {
                    self.at(At::Node(node));
                    self.print_value(&val)?;
                }
                Ok(())
            }
            Node::If(b) => self.walk_if_or_with(false, dot, b),
            Node::With(b) => self.walk_if_or_with(true, dot, b),
            Node::Range(b) => self.walk_range(dot, b),
            Node::Template(t) => {
                let Some(tree) = self.render.lookup(&t.name) else {
                    return Err(self.error(format!(
                        "template {} not defined",
                        super::gofmt::quote(&t.name)
                    )));
                };
                if self.depth == MAX_EXEC_DEPTH {
                    return Err(self.error(format!(
                        "exceeded maximum template depth ({MAX_EXEC_DEPTH})"
                    )));
                }
                let new_dot = match &t.pipe {
                    Some(p) => self.eval_pipeline(dot, p)?,
                    None => Rv::Invalid,
                };
                let depth = self.depth + 1;
                let out: &mut String = self.out;
                let render: &mut Render<'a> = self.render;
                stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                    render.run(&tree, new_dot, out, depth)
                })
                .map_err(Stop::Error)
            }
            Node::Break(_) => Err(Stop::Break),
            Node::Continue(_) => Err(Stop::Continue),
        }
    }

    fn walk_if_or_with(&mut self, with: bool, dot: &Rv, b: &'t BranchNode) -> R<()> {
        let mark = self.vars.len();
        let result = (|| {
            let val = self.eval_pipeline(dot, &b.pipe)?;
            let truth = match &val {
                Rv::Invalid => false,
                Rv::Val(v, _) => v.truthy(),
            };
            if truth {
                if with {
                    self.walk_list(&val, &b.list)
                } else {
                    self.walk_list(dot, &b.list)
                }
            } else if let Some(e) = &b.else_list {
                self.walk_list(dot, e)
            } else {
                Ok(())
            }
        })();
        self.vars.truncate(mark);
        result
    }

    fn walk_range(&mut self, dot: &Rv, b: &'t BranchNode) -> R<()> {
        self.at(At::Branch(b, "range"));
        let mark = self.vars.len();
        let result = self.walk_range_inner(dot, b);
        self.vars.truncate(mark);
        match result {
            Err(Stop::Break) => Ok(()),
            other => other,
        }
    }

    fn walk_range_inner(&mut self, dot: &Rv, b: &'t BranchNode) -> R<()> {
        let val = self.eval_pipeline(dot, &b.pipe)?;
        let mark = self.vars.len();
        let decls = b.pipe.decl.len();
        let mut ran = false;
        // Map and slice types with methods (`.Files.Glob`, `APIVersions`)
        // range over their data.
        let data = match val.value() {
            Value::Object(o) if matches!(o.kind(), "map" | "slice") => o.to_data(),
            v => v.clone(),
        };
        match &data {
            Value::List(l) if !l.items.is_empty() => {
                let boxed = l.elem == Elem::Any;
                for (i, item) in l.items.iter().enumerate() {
                    ran = true;
                    let elem = Rv::Val(item.clone(), boxed);
                    self.one_iteration(b, mark, decls, Rv::Val(Value::Int(i as i64), false), elem)?;
                }
            }
            Value::Map(m) if !m.is_empty() => {
                let boxed = m.elem == Elem::Any;
                for (k, v) in m.entries() {
                    ran = true;
                    self.one_iteration(
                        b,
                        mark,
                        decls,
                        Rv::Val(Value::String(k), false),
                        Rv::Val(v, boxed),
                    )?;
                }
            }
            Value::List(_) | Value::Map(_) | Value::Nil => {}
            Value::Int(n) | Value::Int64(n) => {
                if decls > 1 {
                    return Err(self.error(format!(
                        "can't use {n} to iterate over more than one variable"
                    )));
                }
                let int64 = matches!(data, Value::Int64(_));
                for i in 0..(*n).max(0) {
                    ran = true;
                    let v = if int64 {
                        Value::Int64(i)
                    } else {
                        Value::Int(i)
                    };
                    self.one_iteration(b, mark, decls, Rv::Invalid, Rv::Val(v, false))?;
                }
            }
            Value::Uint64(n) => {
                if decls > 1 {
                    return Err(self.error(format!(
                        "can't use {n} to iterate over more than one variable"
                    )));
                }
                for i in 0..*n {
                    ran = true;
                    let v = Value::Uint64(i);
                    self.one_iteration(b, mark, decls, Rv::Invalid, Rv::Val(v, false))?;
                }
            }
            other => {
                return Err(self.error(format!("range can't iterate over {other}")));
            }
        }
        if !ran {
            if let Some(e) = &b.else_list {
                return self.walk_list(dot, e);
            }
        }
        Ok(())
    }

    fn one_iteration(
        &mut self,
        b: &'t BranchNode,
        mark: usize,
        decls: usize,
        index: Rv,
        elem: Rv,
    ) -> R<()> {
        // The declared variables were pushed by eval_pipeline, just below
        // `mark`: the last one gets the element, the one before the index.
        if decls > 0 {
            self.vars[mark - 1].1 = elem.clone();
        }
        if decls > 1 {
            self.vars[mark - 2].1 = index;
        }
        let r = self.walk_list(&elem, &b.list);
        self.vars.truncate(mark);
        match r {
            Err(Stop::Continue) => Ok(()),
            other => other,
        }
    }

    fn print_value(&mut self, val: &Rv) -> R<()> {
        match val {
            Rv::Invalid | Rv::Val(Value::Nil, _) => self.write("<no value>"),
            Rv::Val(Value::String(s), _) => {
                let s = s.clone();
                self.write(&s)
            }
            Rv::Val(v, _) => {
                let text = v.to_string();
                self.write(&text)
            }
        }
    }

    // ---- pipelines and commands ----

    fn eval_pipeline(&mut self, dot: &Rv, pipe: &'t PipeNode) -> R<Rv> {
        self.at(At::Pipe(pipe));
        let mut value = Final::Missing;
        for cmd in &pipe.cmds {
            let v = self.eval_command(dot, cmd, value)?;
            value = Final::Value(v.unwrap_interface());
        }
        let value = match value {
            Final::Value(v) => v,
            Final::Missing => Rv::Invalid,
        };
        for var in &pipe.decl {
            if pipe.is_assign {
                self.set_var(&var.name, value.clone())?;
            } else {
                self.vars.push((var.name.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &[Arg], final_: &Final) -> R<()> {
        if args.len() > 1 || !matches!(final_, Final::Missing) {
            return Err(self.error(format!("can't give argument to non-function {}", args[0])));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Rv, cmd: &'t CommandNode, final_: Final) -> R<Rv> {
        self.burn()?;
        let first = &cmd.args[0];
        match first {
            Arg::Field { ident, .. } => {
                self.at(At::Arg(first));
                return self.eval_field_chain(
                    dot,
                    dot.clone(),
                    first,
                    ident,
                    Some(&cmd.args),
                    final_,
                );
            }
            Arg::Chain { .. } => return self.eval_chain(dot, first, Some(&cmd.args), final_),
            Arg::Identifier { name, .. } => {
                return self.eval_function(dot, first, name, At::Cmd(cmd), Some(&cmd.args), final_)
            }
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, &final_)?;
                return self.eval_pipeline(dot, p);
            }
            Arg::Variable { .. } => return self.eval_variable(dot, first, Some(&cmd.args), final_),
            _ => {}
        }
        self.at(At::Arg(first));
        self.not_a_function(&cmd.args, &final_)?;
        match first {
            Arg::Bool { value, .. } => Ok(Rv::Val(Value::Bool(*value), false)),
            Arg::Dot(_) => Ok(dot.clone()),
            Arg::Nil(_) => Err(self.error("nil is not a command")),
            Arg::Number(n) => self.ideal_constant(first, n),
            Arg::String { text, .. } => Ok(Rv::Val(Value::str(text.as_str()), false)),
            _ => Err(self.error(format!(
                "can't evaluate command {}",
                super::gofmt::quote(&first.to_string())
            ))),
        }
    }

    fn ideal_constant(&mut self, node: &'t Arg, n: &NumberNode) -> R<Rv> {
        self.at(At::Arg(node));
        if n.is_complex {
            return Err(self.error(format!("complex number {} is not supported", n.text)));
        }
        let hex_int = n.text.len() > 2
            && n.text.starts_with('0')
            && matches!(n.text.as_bytes()[1], b'x' | b'X')
            && !n.text.contains(['p', 'P']);
        let rune = n.text.starts_with('\'');
        if n.is_float && !hex_int && !rune && n.text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Ok(Rv::Val(Value::Float(n.float64), false));
        }
        if n.is_int {
            return Ok(Rv::Val(Value::Int(n.int64), false));
        }
        if n.is_uint {
            return Err(self.error(format!("{} overflows int", n.text)));
        }
        Ok(Rv::Invalid)
    }

    fn eval_chain(
        &mut self,
        dot: &Rv,
        chain: &'t Arg,
        args: Option<&'t [Arg]>,
        final_: Final,
    ) -> R<Rv> {
        self.at(At::Arg(chain));
        let Arg::Chain { node, field, .. } = chain else {
            return Err(self.error("internal error: not a chain"));
        };
        if field.is_empty() {
            return Err(self.error("internal error: no fields in evalChainNode"));
        }
        if let Arg::Nil(_) = node.as_ref() {
            return Err(self.error(format!("indirection through explicit nil in {chain}")));
        }
        let receiver = self.eval_arg_untyped(dot, node)?;
        self.eval_field_chain(dot, receiver, chain, field, args, final_)
    }

    fn eval_variable(
        &mut self,
        dot: &Rv,
        var: &'t Arg,
        args: Option<&'t [Arg]>,
        final_: Final,
    ) -> R<Rv> {
        self.at(At::Arg(var));
        let Arg::Variable { ident, .. } = var else {
            return Err(self.error("internal error: not a variable"));
        };
        let value = self.var_value(&ident[0])?;
        if ident.len() == 1 {
            if let Some(args) = args {
                self.not_a_function(args, &final_)?;
            } else if !matches!(final_, Final::Missing) {
                return Err(self.error(format!("can't give argument to non-function {var}")));
            }
            return Ok(value);
        }
        self.eval_field_chain(dot, value, var, &ident[1..], args, final_)
    }

    fn eval_field_chain(
        &mut self,
        dot: &Rv,
        mut receiver: Rv,
        node: &'t Arg,
        ident: &'t [Name],
        args: Option<&'t [Arg]>,
        final_: Final,
    ) -> R<Rv> {
        let n = ident.len();
        for name in &ident[..n - 1] {
            receiver = self.eval_field(dot, name, node, None, Final::Missing, receiver)?;
        }
        self.eval_field(dot, &ident[n - 1], node, args, final_, receiver)
    }

    fn eval_field(
        &mut self,
        dot: &Rv,
        name: &str,
        node: &'t Arg,
        args: Option<&'t [Arg]>,
        final_: Final,
        receiver: Rv,
    ) -> R<Rv> {
        let (value, boxed) = match receiver {
            Rv::Invalid => return Ok(Rv::Invalid),
            Rv::Val(v, boxed) => (v, boxed),
        };
        // The type is named only in errors: worked out when one occurs.
        let typ = || {
            if boxed {
                "interface {}".to_string()
            } else {
                value.type_name()
            }
        };
        let has_args = args.is_some_and(|a| a.len() > 1) || !matches!(final_, Final::Missing);
        match &value {
            Value::Nil => Err(self.error(format!("nil pointer evaluating {}.{name}", typ()))),
            Value::Object(o) => {
                if o.has_method(name) {
                    let o = o.clone();
                    return self.eval_method(dot, o, name, node, args, final_);
                }
                match o.field(name) {
                    Some(v) => {
                        if has_args {
                            return Err(self.error(format!(
                                "{name} has arguments but cannot be invoked as function"
                            )));
                        }
                        Ok(Rv::concrete(v))
                    }
                    None => {
                        Err(self.error(format!("can't evaluate field {name} in type {}", typ())))
                    }
                }
            }
            Value::Map(m) => {
                if has_args {
                    return Err(self.error(format!("{name} is not a method but has arguments")));
                }
                match m.get(name) {
                    Some(v) => Ok(Rv::Val(v, m.elem == Elem::Any)),
                    None => Ok(zero_of(m.elem)),
                }
            }
            _ => Err(self.error(format!("can't evaluate field {name} in type {}", typ()))),
        }
    }

    fn eval_function(
        &mut self,
        dot: &Rv,
        node: &'t Arg,
        name: &str,
        call_at: At<'t>,
        args: Option<&'t [Arg]>,
        final_: Final,
    ) -> R<Rv> {
        self.at(At::Arg(node));
        let Some(func) = registry().get(name) else {
            return Err(self.error(format!(
                "{} is not a defined function",
                super::gofmt::quote(name)
            )));
        };
        let builtin =
            matches!(func.params.first(), Some(Ty::Reflect)) || func.variadic == Some(Ty::Reflect);
        self.eval_call(dot, func, builtin, call_at, name, args, final_)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_call(
        &mut self,
        dot: &Rv,
        func: &Func,
        builtin: bool,
        call_at: At<'t>,
        name: &str,
        args: Option<&'t [Arg]>,
        final_: Final,
    ) -> R<Rv> {
        let args: &'t [Arg] = match args {
            Some(a) => &a[1..],
            None => &[],
        };
        self.check_arity(
            name,
            func.params.len(),
            func.variadic.is_some(),
            args.len(),
            !matches!(final_, Final::Missing),
        )?;
        if builtin && (name == "and" || name == "or") {
            let mut v = Rv::Invalid;
            for arg in args {
                v = self.eval_arg(dot, Ty::Reflect, arg)?.into();
                if truth(&v) == (name == "or") {
                    return Ok(v);
                }
            }
            if let Final::Value(f) = final_ {
                v = f;
            }
            return Ok(v);
        }
        let argv = self.convert_args(dot, func.params, func.variadic, args, final_)?;
        if builtin && name == "len" && argv.first().is_some_and(|a| matches!(a, Arg0::Invalid)) {
            self.at(call_at);
            return Err(Stop::Error(self.error_with(
                "error calling len: reflect: call of reflect.Value.Type on zero Value".into(),
                Some(Error::plain(
                    "reflect: call of reflect.Value.Type on zero Value".into(),
                )),
            )));
        }
        if builtin && name == "call" {
            // Go passes `call` the callee's expression; there are no
            // function values in Helm's data, so every call fails as Go's
            // does for a non-function.
            let message = match argv.first() {
                None | Some(Arg0::Invalid) | Some(Arg0::Value(Value::Nil)) => {
                    "call of nil".to_string()
                }
                Some(Arg0::Value(v)) => {
                    let callee = match args.first() {
                        Some(a) => a.to_string(),
                        None => format!("<{} Value>", v.type_name()),
                    };
                    format!("non-function {callee} of type {}", v.type_name())
                }
            };
            self.at(call_at);
            return Err(Stop::Error(self.error_with(
                format!("error calling call: {message}"),
                Some(Error::plain(message)),
            )));
        }
        let mut values: Vec<Value> = argv.into_iter().map(Arg0::into_value).collect();
        let escaped = values.iter().any(holds_binary) && binary_args(func, &mut values);
        let result = match func.imp {
            Imp::Pure(f) => f(&values),
            Imp::Host(f) => {
                self.render.host_error = None;
                let mut host = HostCall {
                    render: self.render,
                };
                f(&mut host, &values)
            }
        };
        let result = match result {
            Ok(Value::String(s)) if escaped => Ok(unescape_binary(&s)),
            other => other,
        };
        match result {
            Ok(v) => Ok(Rv::concrete(v)),
            Err(FuncError(message)) => {
                self.at(call_at);
                let cause = match self.render.host_error.take() {
                    Some(e) if e.to_string() == message => e,
                    _ => Error::plain(message.clone()),
                };
                Err(Stop::Error(self.error_with(
                    format!("error calling {name}: {message}"),
                    Some(cause),
                )))
            }
        }
    }

    /// Go's argument count check of `evalCall`.
    fn check_arity(
        &self,
        name: &str,
        num_fixed: usize,
        variadic: bool,
        num_args: usize,
        has_final: bool,
    ) -> R<()> {
        let num_in = num_args + usize::from(has_final);
        if variadic {
            if num_in < num_fixed {
                return Err(self.error(format!(
                    "wrong number of args for {name}: want at least {num_fixed} got {num_args}"
                )));
            }
        } else if num_in != num_fixed {
            return Err(self.error(format!(
                "wrong number of args for {name}: want {num_fixed} got {num_in}"
            )));
        }
        Ok(())
    }

    /// The arguments of a call converted to the parameter types, as
    /// `evalCall` does (arity already checked).
    fn convert_args(
        &mut self,
        dot: &Rv,
        params: &[Ty],
        variadic: Option<Ty>,
        args: &'t [Arg],
        final_: Final,
    ) -> R<Vec<Arg0>> {
        let num_fixed = params.len();
        let num_in = args.len() + usize::from(!matches!(final_, Final::Missing));
        let mut argv = Vec::with_capacity(num_in);
        let mut i = 0;
        while i < num_fixed && i < args.len() {
            let v = self.eval_arg(dot, params[i], &args[i])?;
            argv.push(self.validate(v, params[i])?);
            i += 1;
        }
        if let Some(vt) = variadic {
            while i < args.len() {
                let v = self.eval_arg(dot, vt, &args[i])?;
                argv.push(self.validate(v, vt)?);
                i += 1;
            }
        }
        if let Final::Value(f) = final_ {
            let t = match variadic {
                Some(vt) if num_in > num_fixed => vt,
                _ => params[num_in - 1],
            };
            argv.push(self.validate(Evaluated::Computed(f), t)?);
        }
        Ok(argv)
    }

    fn eval_method(
        &mut self,
        dot: &Rv,
        object: Rc<dyn Object>,
        name: &str,
        node: &'t Arg,
        args: Option<&'t [Arg]>,
        final_: Final,
    ) -> R<Rv> {
        let args: &'t [Arg] = match args {
            Some(a) => &a[1..],
            None => &[],
        };
        let values: Vec<Value> = match object.method_signature(name) {
            Some(Err(refusal)) => return Err(self.error(refusal)),
            Some(Ok(sig)) => {
                self.check_arity(
                    name,
                    sig.params.len(),
                    sig.variadic.is_some(),
                    args.len(),
                    !matches!(final_, Final::Missing),
                )?;
                self.convert_args(dot, sig.params, sig.variadic, args, final_)?
                    .into_iter()
                    .map(Arg0::into_value)
                    .collect()
            }
            None => {
                let mut values = Vec::with_capacity(args.len() + 1);
                for arg in args {
                    let v = self.eval_arg(dot, Ty::Any, arg)?;
                    values.push(self.validate(v, Ty::Any)?.into_value());
                }
                if let Final::Value(f) = final_ {
                    values.push(f.value());
                }
                values
            }
        };
        match object.call(name, &values) {
            Ok(v) => Ok(Rv::concrete(v)),
            Err(message) => {
                self.at(At::Arg(node));
                Err(Stop::Error(self.error_with(
                    format!("error calling {name}: {message}"),
                    Some(Error::plain(message)),
                )))
            }
        }
    }

    // ---- arguments ----

    /// `evalArg` with a nil type: the value as it is.
    fn eval_arg_untyped(&mut self, dot: &Rv, n: &'t Arg) -> R<Rv> {
        self.at(At::Arg(n));
        match n {
            Arg::Dot(_) => Ok(dot.clone()),
            Arg::Nil(_) => Err(self.error("cannot assign nil to <nil>")),
            Arg::Field { ident, .. } => {
                self.eval_field_chain(dot, dot.clone(), n, ident, None, Final::Missing)
            }
            Arg::Variable { .. } => self.eval_variable(dot, n, None, Final::Missing),
            Arg::Pipe(p) => self.eval_pipeline(dot, p),
            Arg::Identifier { name, .. } => {
                self.eval_function(dot, n, name, At::Arg(n), None, Final::Missing)
            }
            Arg::Chain { .. } => self.eval_chain(dot, n, None, Final::Missing),
            Arg::Bool { value, .. } => Ok(Rv::Val(Value::Bool(*value), false)),
            Arg::Number(num) => self.ideal_constant(n, num),
            Arg::String { text, .. } => Ok(Rv::Val(Value::str(text.as_str()), false)),
        }
    }

    /// Go's `evalArg`: the argument node evaluated for a parameter of type
    /// `ty` (literals are checked against the type here; computed values
    /// by [`State::validate`]).
    fn eval_arg(&mut self, dot: &Rv, ty: Ty, n: &'t Arg) -> R<Evaluated> {
        self.at(At::Arg(n));
        match n {
            Arg::Dot(_) => return Ok(Evaluated::Computed(dot.clone())),
            Arg::Nil(_) => {
                if can_be_nil(ty) {
                    return Ok(Evaluated::Literal(Value::Nil));
                }
                return Err(self.error(format!("cannot assign nil to {}", ty.go_name())));
            }
            Arg::Field { ident, .. } => {
                let v = self.eval_field_chain(
                    dot,
                    dot.clone(),
                    n,
                    ident,
                    Some(std::slice::from_ref(n)),
                    Final::Missing,
                )?;
                return Ok(Evaluated::Computed(v));
            }
            Arg::Variable { .. } => {
                return Ok(Evaluated::Computed(self.eval_variable(
                    dot,
                    n,
                    None,
                    Final::Missing,
                )?))
            }
            Arg::Pipe(p) => return Ok(Evaluated::Computed(self.eval_pipeline(dot, p)?)),
            Arg::Identifier { name, .. } => {
                let v = self.eval_function(dot, n, name, At::Arg(n), None, Final::Missing)?;
                return Ok(Evaluated::Computed(v));
            }
            Arg::Chain { .. } => {
                return Ok(Evaluated::Computed(self.eval_chain(
                    dot,
                    n,
                    None,
                    Final::Missing,
                )?))
            }
            _ => {}
        }
        let found = || n.to_string();
        match ty {
            Ty::Bool => match n {
                Arg::Bool { value, .. } => Ok(Evaluated::Literal(Value::Bool(*value))),
                _ => Err(self.error(format!("expected bool; found {}", found()))),
            },
            Ty::Float64 => match n {
                Arg::Number(num) if num.is_float => {
                    Ok(Evaluated::Literal(Value::Float(num.float64)))
                }
                _ => Err(self.error(format!("expected float; found {}", found()))),
            },
            Ty::Int | Ty::Int64 => match n {
                Arg::Number(num) if num.is_int => Ok(Evaluated::Literal(if ty == Ty::Int {
                    Value::Int(num.int64)
                } else {
                    Value::Int64(num.int64)
                })),
                _ => Err(self.error(format!("expected integer; found {}", found()))),
            },
            Ty::Uint32 => match n {
                Arg::Number(num) if num.is_uint => {
                    Ok(Evaluated::Literal(Value::Int(num.uint64 as u32 as i64)))
                }
                _ => Err(self.error(format!("expected unsigned integer; found {}", found()))),
            },
            Ty::String => match n {
                Arg::String { text, .. } => Ok(Evaluated::Literal(Value::str(text.as_str()))),
                _ => Err(self.error(format!("expected string; found {}", found()))),
            },
            Ty::Any | Ty::Reflect => {
                let v = match n {
                    Arg::Bool { value, .. } => Rv::Val(Value::Bool(*value), false),
                    Arg::Number(num) => self.ideal_constant(n, num)?,
                    Arg::String { text, .. } => Rv::Val(Value::str(text.as_str()), false),
                    _ => {
                        return Err(self.error(format!(
                            "can't handle assignment of {} to empty interface argument",
                            found()
                        )))
                    }
                };
                Ok(Evaluated::Computed(v))
            }
            _ => Err(self.error(format!(
                "can't handle {} for arg of type {}",
                found(),
                ty.go_name()
            ))),
        }
    }

    /// Go's `validateType`: a computed value checked (and unboxed) for a
    /// parameter of type `ty`.
    fn validate(&self, v: Evaluated, ty: Ty) -> R<Arg0> {
        let rv = match v {
            Evaluated::Literal(v) => return Ok(Arg0::Value(v)),
            Evaluated::Computed(rv) => rv,
        };
        match rv {
            Rv::Invalid => {
                if ty == Ty::Reflect {
                    return Ok(Arg0::Invalid);
                }
                if can_be_nil(ty) {
                    return Ok(Arg0::Value(nil_of(ty)));
                }
                Err(self.error(format!("invalid value; expected {}", ty.go_name())))
            }
            Rv::Val(Value::Nil, _) => match ty {
                Ty::Any | Ty::Reflect => Ok(Arg0::Value(Value::Nil)),
                _ => Err(self.error(format!(
                    "wrong type for value; expected {}; got interface {{}}",
                    ty.go_name()
                ))),
            },
            Rv::Val(v, _) => {
                if assignable(&v, ty) {
                    Ok(Arg0::Value(v))
                } else {
                    Err(self.error(format!(
                        "wrong type for value; expected {}; got {}",
                        ty.go_name(),
                        v.type_name()
                    )))
                }
            }
        }
    }
}

/// An argument as evaluated: a literal already of the parameter's type,
/// or a computed value still to be validated.
enum Evaluated {
    Literal(Value),
    Computed(Rv),
}

/// A validated argument (builtins can tell no value from nil).
enum Arg0 {
    Invalid,
    Value(Value),
}

impl Arg0 {
    fn into_value(self) -> Value {
        match self {
            Arg0::Invalid => Value::Nil,
            Arg0::Value(v) => v,
        }
    }
}

/// Go's `truth` for `and`/`or`: `isTrue(indirectInterface(v))`.
fn truth(v: &Rv) -> bool {
    match v {
        Rv::Invalid => false,
        Rv::Val(v, _) => v.truthy(),
    }
}

impl From<Evaluated> for Rv {
    fn from(e: Evaluated) -> Rv {
        match e {
            Evaluated::Literal(v) => Rv::concrete(v),
            Evaluated::Computed(rv) => rv,
        }
    }
}

fn can_be_nil(ty: Ty) -> bool {
    match ty {
        Ty::Any | Ty::Reflect | Ty::List | Ty::Strings | Ty::Map | Ty::Bytes => true,
        // Pointer types.
        Ty::Named(name) => name.starts_with('*'),
        _ => false,
    }
}

/// The value a nil of a nil-able parameter type arrives as: Go's nil map
/// or slice, which functions read as empty (and fail to write, as Go's
/// `assignment to entry in nil map`).
fn nil_of(_ty: Ty) -> Value {
    Value::Nil
}

fn zero_of(elem: Elem) -> Rv {
    match elem {
        Elem::Any | Elem::AnyList | Elem::AnyMap => Rv::Val(Value::Nil, true),
        Elem::String => Rv::Val(Value::str(""), false),
        Elem::Int => Rv::Val(Value::Int(0), false),
        Elem::Int64 => Rv::Val(Value::Int64(0), false),
        Elem::Float64 => Rv::Val(Value::Float(0.0), false),
        Elem::Bool => Rv::Val(Value::Bool(false), false),
    }
}

/// Whether `v` is a string that is not UTF-8, or a list holding one.
fn holds_binary(v: &Value) -> bool {
    match v {
        Value::Binary(_) => true,
        Value::List(l) => l.items.iter().any(|i| matches!(i, Value::Binary(_))),
        _ => false,
    }
}

/// The first code point of the private-use block that stands for a byte
/// that is not UTF-8 while a string passes through a function that keeps
/// bytes (U+10FF80..U+10FFFF for 0x80..0xFF).
const ESCAPED_BYTE: u32 = 0x10FF00;

/// Arguments that are strings of any bytes, for a function about to get
/// them, as its [`StringBytes`] says: as they are, escaped (`true`: the
/// result is to be unescaped), or as text, for each `string` parameter.
fn binary_args(func: &Func, values: &mut [Value]) -> bool {
    match func.bytes {
        StringBytes::Read => false,
        StringBytes::Keep => {
            for v in values.iter_mut() {
                *v = escape_binary(v);
            }
            true
        }
        StringBytes::Text => {
            for (i, v) in values.iter_mut().enumerate() {
                let ty = func.params.get(i).copied().or(func.variadic);
                if let (Some(Ty::String), Value::Binary(b)) = (ty, &*v) {
                    *v = Value::from(go_lossy(b));
                }
            }
            false
        }
    }
}

/// `v` with its bytes that are not UTF-8 escaped (see [`ESCAPED_BYTE`]),
/// in a list's items too.
fn escape_binary(v: &Value) -> Value {
    let escape = |b: &[u8]| {
        Value::from(map_bad_bytes(b, |byte| {
            char::from_u32(ESCAPED_BYTE + u32::from(byte)).unwrap_or(char::REPLACEMENT_CHARACTER)
        }))
    };
    match v {
        Value::Binary(b) => escape(b),
        Value::List(l) if holds_binary(v) => {
            let items = l
                .items
                .iter()
                .map(|i| match i {
                    Value::Binary(b) => escape(b),
                    other => other.clone(),
                })
                .collect();
            Value::List(super::value::List {
                elem: l.elem,
                items: Rc::new(items),
                nil: l.nil,
            })
        }
        other => other.clone(),
    }
}

/// A result string with its escaped bytes put back.
fn unescape_binary(s: &str) -> Value {
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        match u32::from(c).checked_sub(ESCAPED_BYTE) {
            Some(byte @ 0x80..=0xFF) => out.push(byte as u8),
            _ => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    Value::go_string(out)
}

/// Go's `AssignableTo` for the parameter types functions declare.
fn assignable(v: &Value, ty: Ty) -> bool {
    match ty {
        Ty::Any | Ty::Reflect => true,
        Ty::String => matches!(v, Value::String(_) | Value::Binary(_)),
        Ty::Int => matches!(v, Value::Int(_)),
        Ty::Int64 => matches!(v, Value::Int64(_)),
        Ty::Uint32 => false,
        Ty::Float64 => matches!(v, Value::Float(_)),
        Ty::Bool => matches!(v, Value::Bool(_)),
        Ty::List => matches!(v, Value::List(l) if l.elem == Elem::Any),
        Ty::Strings => matches!(v, Value::List(l) if l.elem == Elem::String),
        Ty::Map => matches!(v, Value::Map(m) if m.elem == Elem::Any),
        Ty::Bytes => matches!(v, Value::Bytes(_)),
        Ty::Named(name) => match v {
            Value::Object(o) => {
                let t = o.type_name();
                t == name || t.strip_prefix('*') == Some(name)
            }
            _ => false,
        },
    }
}

/// What `include`, `tpl` and `lookup` see of the render.
struct HostCall<'r, 'a> {
    render: &'r mut Render<'a>,
}

impl Host for HostCall<'_, '_> {
    fn include(&mut self, name: &str, data: Value) -> Result<String, String> {
        let count = match self.render.included.get_mut(name) {
            Some(count) => count,
            None => self.render.included.entry(name.to_string()).or_insert(0),
        };
        if *count > MAX_INCLUDE {
            return Err(format!(
                "rendering template has a nested reference name: {name}: unable to execute template"
            ));
        }
        *count += 1;
        let render: &mut Render<'_> = self.render;
        let result = stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            render.execute_template(name, data)
        });
        if let Some(c) = self.render.included.get_mut(name) {
            *c -= 1;
        }
        result.map_err(|e| {
            let text = e.to_string();
            self.render.host_error = Some(e);
            text
        })
    }

    fn tpl(&mut self, text: &str, data: Value) -> Result<String, String> {
        let name = self.render.base.root_name.clone();
        let trees = match self.render.tpl_trees.get(text) {
            Some(trees) => trees.clone(),
            None => match super::parse::parse(&name, text, &|f| registry().get(f).is_some()) {
                Ok(t) => {
                    let trees: Vec<Rc<Tree>> = t.into_iter().map(Rc::new).collect();
                    self.render
                        .tpl_trees
                        .insert(text.to_string(), trees.clone());
                    trees
                }
                Err(e) => {
                    return Err(format!(
                        "cannot parse template {}: {}",
                        super::gofmt::quote(text),
                        e
                    ))
                }
            },
        };
        let mut layer: FxHashMap<String, Rc<Tree>> = FxHashMap::default();
        for tree in trees {
            let exists = layer.contains_key(&tree.name) || self.render.lookup(&tree.name).is_some();
            if exists && tree.is_empty() && tree.name != name {
                continue;
            }
            layer.insert(tree.name.clone(), tree);
        }
        self.render.overlays.push(layer);
        let render: &mut Render<'_> = self.render;
        let result = stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            render.execute_template(&name, data)
        });
        self.render.overlays.pop();
        match result {
            Ok(out) => Ok(out.replace("<no value>", "")),
            Err(e) => Err(format!(
                "error during tpl function execution for {}: {}",
                super::gofmt::quote(text),
                e
            )),
        }
    }

    fn lookup(
        &mut self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Value, String> {
        match &self.render.options.lookup {
            Some(f) => f(api_version, kind, namespace, name),
            None => Ok(Value::empty_map()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::{Options, Templates, Value};

    fn data() -> Value {
        let mut values = BTreeMap::new();
        values.insert("str".into(), Value::str("hello"));
        values.insert("one".into(), Value::Float(1.0));
        values.insert("big".into(), Value::Float(1e6));
        values.insert(
            "list".into(),
            Value::list(vec![Value::str("a"), Value::str("b"), Value::str("c")]),
        );
        let mut nested = BTreeMap::new();
        nested.insert("b".into(), Value::str("deep"));
        values.insert("nested".into(), Value::map(nested));
        let mut top = BTreeMap::new();
        top.insert("Values".into(), Value::map(values));
        Value::map(top)
    }

    fn render(text: &str) -> Result<String, String> {
        let mut set = Templates::new();
        set.parse("t.yaml", text).map_err(|e| e.to_string())?;
        set.execute("t.yaml", data(), &Options::default())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn actions_walk_as_go_walks_them() {
        let cases = [
            ("a {{- \"b\" -}} \n c", "abc"),
            ("{{ .Values.str }} {{ .Values.big }} {{ .Values.list }}", "hello 1e+06 [a b c]"),
            ("[{{ .Values.missing }}]", "[<no value>]"),
            ("{{ range $i, $v := .Values.list }}{{ $i }}{{ $v }}{{ end }}", "0a1b2c"),
            ("{{ range .Values.list }}{{ if . }}{{ break }}{{ end }}{{ . }}{{ end }}", ""),
            ("{{ range $i, $v := .Values.list }}{{ if $i }}{{ continue }}{{ end }}{{ . }}{{ end }}", "a"),
            ("{{ range 3 }}{{ . }}{{ end }}", "012"),
            ("{{ range .Values.nope }}x{{ else }}none{{ end }}", "none"),
            ("{{ with .Values.nested }}{{ .b }}{{ end }}", "deep"),
            ("{{ with .Values.no }}a{{ else with .Values.str }}{{ . }}{{ end }}", "hello"),
            ("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}", "2"),
            ("{{ define \"d\" }}[{{ . }}]{{ end }}{{ template \"d\" \"x\" }}", "[x]"),
            ("{{ 1.5 }} {{ 0x1F }} {{ 'a' }} {{ 1e3 }}", "1.5 31 97 1000"),
        ];
        for (text, want) in cases {
            assert_eq!(render(text).as_deref(), Ok(want), "{text}");
        }
    }

    #[test]
    fn errors_carry_go_locations_and_contexts() {
        assert_eq!(
            render("x\n  {{ .Values.missing.deeper }}").unwrap_err(),
            "template: t.yaml:2:12: executing \"t.yaml\" at <.Values.missing.deeper>: nil pointer evaluating interface {}.deeper"
        );
        assert_eq!(
            render("{{ .Values.list.name }}").unwrap_err(),
            "template: t.yaml:1:10: executing \"t.yaml\" at <.Values.list.name>: can't evaluate field name in type interface {}"
        );
        assert_eq!(
            render("{{ range .Values.one }}{{ end }}").unwrap_err(),
            "template: t.yaml:1:16: executing \"t.yaml\" at <.Values.one>: range can't iterate over 1"
        );
    }

    #[test]
    fn runaway_templates_end_with_an_error() {
        let mut set = Templates::new();
        set.parse("t", "{{ range 100000000 }}x{{ end }}")
            .expect("parses");
        let options = Options {
            max_steps: 10_000,
            ..Options::default()
        };
        let err = set.execute("t", Value::Nil, &options).unwrap_err();
        assert!(err.to_string().contains("step budget"), "{err}");
        set.parse(
            "r",
            "{{ define \"loop\" }}{{ template \"loop\" . }}{{ end }}{{ template \"loop\" . }}",
        )
        .expect("parses");
        let err = set
            .execute("r", Value::Nil, &Options::default())
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("exceeded maximum template depth (100000)"),
            "{err}"
        );
    }
}
