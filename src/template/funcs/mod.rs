//! The function table: every function a template can call, by name, with
//! its Go signature. Go's `text/template` converts each argument to the
//! parameter's Go type before the call and fails with its own messages
//! (`wrong type for value; expected int; got float64`, `expected integer;
//! found "x"`, `wrong number of args for trunc: want 2 got 1`), so each
//! function declares its parameter types here and the executor does the
//! conversion; the implementation then sees arguments of exactly those
//! types.
//!
//! Families, one file each, as Sprig and Helm split them: Go's builtins
//! (`builtins`), Sprig's strings, lists, dicts, math, regex, semver,
//! encoding, crypto, dates, reflection/conversion, defaults and flow, and
//! Helm's own (`helm`).

use rustc_hash::FxHashMap;
use std::sync::OnceLock;

use super::value::Value;

pub mod builtins;
pub mod crypto;
pub mod date;
pub mod defaults;
pub mod dicts;
pub mod encoding;
pub mod helm;
pub mod lists;
pub mod math;
pub mod network;
pub mod regex;
pub mod semver;
pub mod strings;
pub mod types;

/// A parameter's Go type: what the executor converts an argument to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// `interface {}`: any value, no value as nil.
    Any,
    /// `string`.
    String,
    /// `int`.
    Int,
    /// `int64`.
    Int64,
    /// `uint32`.
    Uint32,
    /// `float64`.
    Float64,
    /// `bool`.
    Bool,
    /// `[]interface {}`.
    List,
    /// `[]string`.
    Strings,
    /// `map[string]interface {}`.
    Map,
    /// `[]byte`.
    Bytes,
    /// A struct type, by its Go name (e.g. `sprig.certificate`): an
    /// [`crate::template::value::Object`] whose `type_name` is this.
    Named(&'static str),
    /// `reflect.Value`: Go's builtins (`eq`, `index`, `len`...) take
    /// their arguments unconverted, including no value.
    Reflect,
}

impl Ty {
    /// The Go spelling, as Go's error messages print it.
    pub fn go_name(self) -> &'static str {
        match self {
            Ty::Any => "interface {}",
            Ty::String => "string",
            Ty::Int => "int",
            Ty::Int64 => "int64",
            Ty::Uint32 => "uint32",
            Ty::Float64 => "float64",
            Ty::Bool => "bool",
            Ty::List => "[]interface {}",
            Ty::Strings => "[]string",
            Ty::Map => "map[string]interface {}",
            Ty::Bytes => "[]uint8",
            Ty::Named(name) => name,
            Ty::Reflect => "reflect.Value",
        }
    }
}

/// A function's failure: the text after Go's `error calling NAME: `
/// (what the Go function returned as its error, or panicked with).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncError(pub String);

impl FuncError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        FuncError(message.into())
    }
}

impl std::fmt::Display for FuncError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a function returns.
pub type FuncResult = Result<Value, FuncError>;

/// What the executor offers functions that need the engine: Helm's
/// `include`, `tpl` and `lookup`.
pub trait Host {
    /// Executes the defined template `name` with `data` into a string
    /// (`include`); the error is the complete Go error text.
    fn include(&mut self, name: &str, data: Value) -> Result<String, String>;

    /// Parses `text` and executes it with `data` (`tpl`), its defines
    /// seeing (and adding to) the current set.
    fn tpl(&mut self, text: &str, data: Value) -> Result<String, String>;

    /// Helm's `lookup`: an object, a list, or an empty map when there is
    /// no cluster (`helm template`).
    fn lookup(
        &mut self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Value, String>;
}

/// How a function runs.
#[derive(Clone, Copy)]
pub enum Imp {
    /// A pure function of its (converted) arguments.
    Pure(fn(&[Value]) -> FuncResult),
    /// A function that needs the engine.
    Host(fn(&mut dyn Host, &[Value]) -> FuncResult),
}

/// What a function does with a string argument whose bytes are not UTF-8
/// ([`Value::Binary`]): Go strings hold any bytes, and Go's functions
/// either read them as runes or work on the bytes.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub enum StringBytes {
    /// Reads the text: each bad byte is U+FFFD, as Go's rune loops see it.
    #[default]
    Text,
    /// Reads the bytes itself (encoders, checksums, byte slicing).
    Read,
    /// Keeps the bytes in its result (`trim`, `replace`, `join`...): it
    /// gets them escaped as private-use characters, and the result is
    /// turned back into bytes.
    Keep,
}

/// One function: its Go signature and implementation.
#[derive(Clone, Copy)]
pub struct Func {
    /// Parameter types, in order.
    pub params: &'static [Ty],
    /// The type of the trailing `...` parameter, if variadic.
    pub variadic: Option<Ty>,
    /// The implementation.
    pub imp: Imp,
    /// How it takes strings that are not UTF-8.
    pub bytes: StringBytes,
}

/// Functions by name.
#[derive(Default)]
pub struct Registry {
    funcs: FxHashMap<&'static str, Func>,
}

impl Registry {
    /// Registers a pure function with its Go signature.
    pub fn add(
        &mut self,
        name: &'static str,
        params: &'static [Ty],
        variadic: Option<Ty>,
        f: fn(&[Value]) -> FuncResult,
    ) {
        self.funcs.insert(
            name,
            Func {
                params,
                variadic,
                imp: Imp::Pure(f),
                bytes: StringBytes::Text,
            },
        );
    }

    /// Registers a function that needs the engine.
    pub fn add_host(
        &mut self,
        name: &'static str,
        params: &'static [Ty],
        variadic: Option<Ty>,
        f: fn(&mut dyn Host, &[Value]) -> FuncResult,
    ) {
        self.funcs.insert(
            name,
            Func {
                params,
                variadic,
                imp: Imp::Host(f),
                bytes: StringBytes::Text,
            },
        );
    }

    /// Sets how the registered functions `names` take strings that are
    /// not UTF-8.
    pub fn string_bytes(&mut self, bytes: StringBytes, names: &[&'static str]) {
        for name in names {
            if let Some(f) = self.funcs.get_mut(name) {
                f.bytes = bytes;
            }
        }
    }

    /// The function `name`, if registered.
    pub fn get(&self, name: &str) -> Option<&Func> {
        self.funcs.get(name)
    }

    /// Every registered name (for tests and `plumb` diagnostics).
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.funcs.keys().copied().collect();
        names.sort_unstable();
        names
    }
}

/// A string argument's bytes, UTF-8 or not.
pub(crate) fn arg_bytes(args: &[Value], i: usize) -> &[u8] {
    args.get(i).and_then(Value::as_go_bytes).unwrap_or(b"")
}

/// Every function Helm's templates can call: Go's builtins, Sprig v3.3.0's
/// `TxtFuncMap` without `env` and `expandenv`, and Helm's own. Built once.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut r = Registry::default();
        builtins::register(&mut r);
        strings::register(&mut r);
        encoding::register(&mut r);
        regex::register(&mut r);
        lists::register(&mut r);
        dicts::register(&mut r);
        math::register(&mut r);
        defaults::register(&mut r);
        types::register(&mut r);
        semver::register(&mut r);
        crypto::register(&mut r);
        date::register(&mut r);
        network::register(&mut r);
        helm::register(&mut r);
        r
    })
}

/// Calls the pure function `name` with arguments already of its parameter
/// types: for the families' unit tests.
///
/// # Panics
/// When `name` is not registered or needs the engine (tests only).
#[cfg(test)]
pub fn call(name: &str, args: &[Value]) -> FuncResult {
    match registry().get(name).map(|f| f.imp) {
        Some(Imp::Pure(f)) => f(args),
        Some(Imp::Host(_)) => panic!("{name} needs the engine"),
        None => panic!("{name} is not registered"),
    }
}
