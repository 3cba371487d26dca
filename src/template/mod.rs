//! A Go `text/template` engine with Sprig's and Helm's functions, exact to
//! the byte: what `helm template` prints, without helm.
//!
//! Layout, after Go's `text/template` and minijinja: [`lex`] (Go's lexer
//! state machine), [`parse`] (Go's node types and parser, with Go's error
//! texts), [`exec`] (the walk, with Go's reflection rules that templates can
//! observe), [`value`] (the Go values Helm's templates see), [`funcs`] (the
//! function table by family, each with its Go signature), [`gofmt`] (Go's
//! `fmt`/`strconv` formatting), and the emitters/parsers [`yaml`], [`json`]
//! and [`toml`]. It imports nothing else from plumb.
//!
//! Parse once, execute many: a [`Templates`] set is plain data shared across
//! renders and threads; each [`Templates::execute`] builds its own values.
//! Helm's own layer (files, values, `.Release`, document splitting) is the
//! chart renderer's; what Helm's engine adds around `text/template` is
//! here: `missingkey=zero`, `include` with its recursion bound, `tpl`,
//! `lookup`, `required`/`fail`, and Helm's error texts
//! ([`Error::helm_message`]).
//!
//! Bounds: every render has a step budget, an output cap, Go's template
//! depth (100,000) and Helm's include depth (1,000); each ends the render
//! with an error. Deep recursion grows the stack on the heap (`stacker`),
//! so it cannot overflow.
//!
//! Exactness is measured, not assumed: `tests/template/` holds ~2,000
//! fixtures whose expectations real Helm v4.3.0 wrote
//! (`scripts/template-oracle`), and `scripts/template-fuzz` keeps finding
//! new ones. What is left out, and why:
//! - Strings are UTF-8 (`Rc<str>`), Go's are bytes. A string that is not
//!   UTF-8 (`.Files.Get` of a binary file, `b64dec` of random bytes) is a
//!   [`value::Value::Binary`]. `len`, the encoders and checksums, `substr`,
//!   `trunc`, `nospace`, `print`/`printf`, `quote`, comparisons and JSON
//!   read its bytes; `trim*`, `replace`, `repeat`, `cat`, `join`,
//!   `toString`, `indent` and `nindent` keep them, as Go's do. The other
//!   string functions read it as text with U+FFFD for each bad byte: exact
//!   for Go's rune-wise ones (`upper`, `title`...), not for `split`,
//!   `toStrings` or the regex functions, which keep bytes in Go. Nor does
//!   `toYamlPretty` write goyaml.v3's `!!binary`.
//! - No `uint8` values: `index "abc" 0` is an `int` here, a `uint8` in Go.
//! - Slices have no capacity, so Sprig's `slice` cannot reach past the
//!   length into spare capacity as Go can.
//! - YAML is read by libyaml (as serde_yaml does), not goyaml.v2's own
//!   scanner; where the two are known to differ (`?` and `:` in flow
//!   scalars) the reader gives goyaml's answer.
//! - Complex numbers parse but fail when evaluated; channels, function
//!   values and custom delimiters do not exist in Helm's data.

pub mod exec;
mod fastparse;
pub mod funcs;
pub mod gofmt;
pub mod json;
pub mod lex;
pub mod parse;
pub mod semver;
pub mod toml;
pub mod value;
pub mod yaml;

use rustc_hash::FxHashMap;
use std::sync::Arc;

pub use value::{Elem, Frozen, List, Map, Object, Str, Value};

use parse::Tree;

/// A set of parsed templates by name (Go's associated templates of one
/// `template.Template`): files and the `define`s they hold.
pub struct Templates {
    trees: FxHashMap<String, Arc<Tree>>,
    /// The name of the set's root template (Helm's is `gotpl`): what `tpl`
    /// names its templates and what "no template associated with" says.
    root_name: String,
}

impl Default for Templates {
    fn default() -> Self {
        Templates::new()
    }
}

impl Templates {
    /// An empty set named `gotpl`, as Helm's engine names it.
    pub fn new() -> Self {
        Templates {
            trees: FxHashMap::default(),
            root_name: "gotpl".into(),
        }
    }

    /// Parses `text` as the template `name` and adds it and its defines
    /// (Go's `t.New(name).Parse(text)`): a later definition replaces an
    /// earlier one of the same name, unless it is empty.
    ///
    /// # Errors
    /// Go's parse error (`template: NAME:LINE: ...`).
    pub fn parse(&mut self, name: &str, text: &str) -> Result<(), Error> {
        let trees = parse::parse(name, text, &|f| funcs::registry().get(f).is_some())
            .map_err(|e| Error::parse(e.0))?;
        for tree in trees {
            if tree.name != name && tree.is_empty() && self.trees.contains_key(&tree.name) {
                continue;
            }
            self.trees.insert(tree.name.clone(), Arc::new(tree));
        }
        Ok(())
    }

    /// Whether a template of that name exists.
    pub fn contains(&self, name: &str) -> bool {
        self.trees.contains_key(name)
    }

    /// The template names, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.trees.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// Executes the template `name` with `data` as `.` and `$` (Go's
    /// `ExecuteTemplate`), returning the raw output (Helm then removes
    /// `<no value>`: see [`remove_no_value`]).
    ///
    /// # Errors
    /// Go's execution error, or a bound that was hit.
    pub fn execute(&self, name: &str, data: Value, options: &Options<'_>) -> Result<String, Error> {
        let mut render = exec::Render::new(self, options);
        render.execute_template(name, data)
    }
}

/// Helm's post-processing of every rendered file: `missingkey=zero` still
/// prints `<no value>` for missing interface values, so Helm deletes every
/// occurrence (even in literal text).
pub fn remove_no_value(out: &str) -> String {
    out.replace("<no value>", "")
}

/// The answer to Helm's `lookup`: apiVersion, kind, namespace, name.
pub type LookupFn<'a> = dyn Fn(&str, &str, &str, &str) -> Result<Value, String> + 'a;

/// Settings of one execution.
pub struct Options<'a> {
    /// Helm's `lookup`; `None` answers an empty map (`helm template`).
    pub lookup: Option<&'a LookupFn<'a>>,
    /// The step budget: nodes walked and commands run.
    pub max_steps: u64,
    /// The output cap in bytes, over all nested executions.
    pub max_output: usize,
}

impl Default for Options<'_> {
    /// No cluster; 50 million steps (a large real chart takes well under
    /// a million); 256 MiB of output.
    fn default() -> Self {
        Options {
            lookup: None,
            max_steps: 50_000_000,
            max_output: 256 << 20,
        }
    }
}

/// A template error: Go's full text, and the chain of errors it wraps (as
/// Go's `%w` does), which Helm walks to format its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    text: String,
    cause: Option<Box<Error>>,
    kind: ErrorKind,
}

/// Where an error came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Parsing a template.
    Parse,
    /// Executing one (Go's `ExecError`).
    Exec,
    /// Anything else in the chain (a function's own error).
    Plain,
}

impl Error {
    pub(crate) fn parse(text: String) -> Self {
        Error {
            text,
            cause: None,
            kind: ErrorKind::Parse,
        }
    }

    pub(crate) fn exec(text: String, cause: Option<Error>) -> Self {
        Error {
            text,
            cause: cause.map(Box::new),
            kind: ErrorKind::Exec,
        }
    }

    pub(crate) fn plain(text: String) -> Self {
        Error {
            text,
            cause: None,
            kind: ErrorKind::Plain,
        }
    }

    /// Where it came from.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The error Helm prints for a failure in the file `filename`: Helm's
    /// `cleanupParseError` for parse errors and `reformatExecErrorMsg` for
    /// execution errors (the multi-line `FILE:L:C\n  executing ... at
    /// <...>:\n    MESSAGE` form, or `execution error at (FILE:L:C): MSG`
    /// for `required` and `fail`).
    pub fn helm_message(&self, filename: &str) -> String {
        match self.kind {
            ErrorKind::Parse => helm_parse_error(filename, &self.text),
            ErrorKind::Exec => self.helm_exec_error(filename),
            ErrorKind::Plain => self.text.clone(),
        }
    }

    fn helm_exec_error(&self, filename: &str) -> String {
        let tokens: Vec<&str> = self.text.splitn(3, ": ").collect();
        if tokens.len() != 3 {
            return format!("execution error in ({filename}): {}", self.text);
        }
        let location = tokens[1];
        if let Some(warn) = helm_warning(tokens[2]) {
            return format!("execution error at ({location}): {warn}");
        }
        // The chain as Go's errors.Unwrap walks it: this error, its
        // wrapped copy (same text), then each cause.
        let mut traces: Vec<Trace> = Vec::new();
        let mut current = Some(self);
        while let Some(e) = current {
            let Some(t) = Trace::parse(&e.text) else {
                return self.text.clone();
            };
            if traces.last() != Some(&t) {
                traces.push(t);
            }
            current = e.cause.as_deref();
        }
        let mut out = String::new();
        for t in &traces {
            out.push_str(&t.to_string());
        }
        out.trim().to_string()
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for Error {}

/// Helm's `cleanupParseError`.
fn helm_parse_error(filename: &str, text: &str) -> String {
    let tokens: Vec<&str> = text.split(": ").collect();
    if tokens.len() == 1 {
        return format!("parse error in ({filename}): {text}");
    }
    let location = tokens[1];
    let message = tokens[tokens.len() - 1];
    format!("parse error at ({location}): {message}")
}

/// The message between Helm's `HELM_ERR_START` and `HELM_ERR_END`
/// (what `required` and `fail` wrap their messages in).
fn helm_warning(text: &str) -> Option<&str> {
    let start = text.find("HELM_ERR_START")? + "HELM_ERR_START".len();
    let end = text.rfind("HELM_ERR_END")?;
    (end >= start).then(|| &text[start..end])
}

/// Helm's `TraceableError`.
#[derive(PartialEq, Eq)]
struct Trace {
    location: String,
    message: String,
    executed: String,
}

impl Trace {
    /// Helm's `parseTemplateExecErrorString`.
    fn parse(s: &str) -> Option<Trace> {
        let remainder = s.strip_prefix("template: ")?;
        if remainder.starts_with("no template ") {
            return Some(Trace {
                location: String::new(),
                message: s.to_string(),
                executed: String::new(),
            });
        }
        if let Some((name, after)) = remainder.split_once(": executing ") {
            if let Some(rest) = after.strip_prefix('"') {
                if let Some(end) = rest.find('"') {
                    let function = &rest[..end];
                    let after_func = &rest[end + 1..];
                    if let Some(after_at) = after_func.strip_prefix(" at <") {
                        if let Some((location, message)) = after_at.split_once(">: ") {
                            let message = match message.find(" template:") {
                                Some(cut) => &message[..cut],
                                None => message,
                            };
                            return Some(Trace {
                                location: name.to_string(),
                                message: message.to_string(),
                                executed: format!("executing \"{function}\" at <{location}>:"),
                            });
                        }
                    }
                }
            }
            return None;
        }
        let sep = remainder.rfind(": ")?;
        let mut message = &remainder[sep + 2..];
        if let Some(cut) = message.find(" template:") {
            message = &message[..cut];
        }
        Some(Trace {
            location: remainder[..sep].to_string(),
            message: message.to_string(),
            executed: String::new(),
        })
    }
}

impl std::fmt::Display for Trace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.location.is_empty() {
            write!(f, "{}\n  ", self.location)?;
        }
        if !self.executed.is_empty() {
            write!(f, "{}\n    ", self.executed)?;
        }
        if !self.message.is_empty() {
            writeln!(f, "{}", self.message)?;
        }
        Ok(())
    }
}
