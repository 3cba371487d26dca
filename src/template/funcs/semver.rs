//! Sprig's semver functions: `semver` (a `*semver.Version` whose methods
//! templates call: `.Major`, `.Compare`, `.IncMinor`...) and
//! `semverCompare` (constraint check), on Masterminds/semver v3.5.0
//! ([`crate::template::semver`]).

use std::cell::RefCell;
use std::rc::Rc;

use super::{FuncError, FuncResult, Registry, Ty};
use crate::template::semver::{Constraints, Version};
use crate::template::value::{MethodSignature, Object, Value};

/// Registers this family's functions.
pub(super) fn register(r: &mut Registry) {
    r.add("semver", &[Ty::String], None, semver);
    r.add(
        "semverCompare",
        &[Ty::String, Ty::String],
        None,
        semver_compare,
    );
}

fn arg_str(args: &[Value], i: usize) -> &str {
    args.get(i).and_then(Value::as_str).unwrap_or("")
}

/// `semverCompare(constraint, version string) (bool, error)`.
fn semver_compare(args: &[Value]) -> FuncResult {
    let c = Constraints::parse(arg_str(args, 0)).map_err(FuncError::new)?;
    let v = Version::parse(arg_str(args, 1)).map_err(|e| FuncError::new(e.to_string()))?;
    Ok(Value::Bool(c.check(&v)))
}

/// `semver(version string) (*semver.Version, error)`.
fn semver(args: &[Value]) -> FuncResult {
    let v = Version::parse(arg_str(args, 0)).map_err(|e| FuncError::new(e.to_string()))?;
    Ok(version_value(v, true))
}

/// A version as a template value: `*semver.Version` (`pointer`) or the
/// `semver.Version` that `IncMajor` and friends return.
pub fn version_value(v: Version, pointer: bool) -> Value {
    Value::Object(Rc::new(VersionObject {
        v: RefCell::new(v),
        pointer,
    }))
}

/// The Go `Version` behind a template value, if it is one of ours:
/// `Ok(None)` for a nil pointer, `Err` with the Go type it is otherwise.
fn version_of(v: &Value, pointer: bool) -> Result<Option<Version>, String> {
    let want = if pointer {
        "*semver.Version"
    } else {
        "semver.Version"
    };
    match v {
        Value::Nil if pointer => Ok(None),
        Value::Object(o) if o.type_name() == want => {
            let num = |name| match o.field(name) {
                Some(Value::Uint64(n)) => n,
                _ => 0,
            };
            let text = |name| match o.field(name) {
                Some(Value::String(s)) => s.to_string(),
                _ => String::new(),
            };
            Ok(Some(Version {
                major: num("Major"),
                minor: num("Minor"),
                patch: num("Patch"),
                pre: text("Prerelease"),
                metadata: text("Metadata"),
                original: o
                    .field("Original")
                    .and_then(|s| s.as_str().map(str::to_string))
                    .unwrap_or_default(),
            }))
        }
        other => Err(format!(
            "wrong type for value; expected {want}; got {}",
            other.type_name()
        )),
    }
}

const NIL_DEREF: &str = "runtime error: invalid memory address or nil pointer dereference";

/// `*semver.Version` / `semver.Version`: the version and which of the two
/// Go types it is (the value type lacks the pointer-receiver methods:
/// `Original`, the comparisons, the `Unmarshal`s and `Scan`).
struct VersionObject {
    v: RefCell<Version>,
    pointer: bool,
}

/// Methods on the value receiver (both types have them), then those on
/// the pointer receiver, with their parameter counts.
const VALUE_METHODS: &[(&str, usize)] = &[
    ("String", 0),
    ("Major", 0),
    ("Minor", 0),
    ("Patch", 0),
    ("Prerelease", 0),
    ("Metadata", 0),
    ("IncPatch", 0),
    ("IncMinor", 0),
    ("IncMajor", 0),
    ("SetPrerelease", 1),
    ("SetMetadata", 1),
    ("MarshalJSON", 0),
    ("MarshalText", 0),
    ("Value", 0),
];
const POINTER_METHODS: &[(&str, usize)] = &[
    ("Original", 0),
    ("LessThan", 1),
    ("LessThanEqual", 1),
    ("GreaterThan", 1),
    ("GreaterThanEqual", 1),
    ("Equal", 1),
    ("Compare", 1),
    ("UnmarshalJSON", 1),
    ("UnmarshalText", 1),
    ("Scan", 1),
];

impl VersionObject {
    fn arity(&self, name: &str) -> Option<usize> {
        let find = |table: &[(&str, usize)]| {
            table
                .iter()
                .find(|(n, _)| *n == name)
                .map(|&(_, arity)| arity)
        };
        find(VALUE_METHODS).or_else(|| {
            if self.pointer {
                find(POINTER_METHODS)
            } else {
                None
            }
        })
    }

    fn run(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        let arity = self
            .arity(name)
            .ok_or_else(|| format!("can't evaluate field {name} in type {}", self.type_name()))?;
        if args.len() != arity {
            return Err(format!(
                "wrong number of args for {name}: want {arity} got {}",
                args.len()
            ));
        }
        let v = self.v.borrow().clone();
        let other = |pointer| version_of(&args[0], pointer);
        let string_arg = || match &args[0] {
            Value::String(s) => Ok(s.to_string()),
            other => Err(format!(
                "wrong type for value; expected string; got {}",
                other.type_name()
            )),
        };
        let compared = |f: fn(i32) -> bool| -> Result<Value, String> {
            match other(true)? {
                Some(o) => Ok(Value::Bool(f(v.compare(&o)))),
                None => Err(NIL_DEREF.to_string()),
            }
        };
        Ok(match name {
            "String" => Value::str(v.to_string()),
            "Original" => Value::str(v.original.as_str()),
            "Major" => Value::Uint64(v.major),
            "Minor" => Value::Uint64(v.minor),
            "Patch" => Value::Uint64(v.patch),
            "Prerelease" => Value::str(v.pre.as_str()),
            "Metadata" => Value::str(v.metadata.as_str()),
            "IncPatch" => version_value(v.inc_patch()?, false),
            "IncMinor" => version_value(v.inc_minor()?, false),
            "IncMajor" => version_value(v.inc_major()?, false),
            "SetPrerelease" => version_value(
                v.set_prerelease(&string_arg()?)
                    .map_err(|e| e.to_string())?,
                false,
            ),
            "SetMetadata" => version_value(
                v.set_metadata(&string_arg()?).map_err(|e| e.to_string())?,
                false,
            ),
            "MarshalJSON" => {
                let json = format!("\"{}\"", v);
                Value::Bytes(json.into_bytes().into())
            }
            "MarshalText" => Value::Bytes(v.to_string().into_bytes().into()),
            "Value" => Value::str(v.to_string()),
            "LessThan" => compared(|d| d < 0)?,
            "LessThanEqual" => compared(|d| d <= 0)?,
            "GreaterThan" => compared(|d| d > 0)?,
            "GreaterThanEqual" => compared(|d| d >= 0)?,
            "Compare" => match other(true)? {
                Some(o) => Value::Int(i64::from(v.compare(&o))),
                None => return Err(NIL_DEREF.to_string()),
            },
            "Equal" => match other(true)? {
                Some(o) => Value::Bool(v.equal(&o)),
                None => Value::Bool(false),
            },
            "UnmarshalJSON" | "UnmarshalText" | "Scan" => self.unmarshal(name, &args[0])?,
            _ => {
                return Err(format!(
                    "can't evaluate field {name} in type {}",
                    self.type_name()
                ))
            }
        })
    }

    /// `UnmarshalJSON([]byte) error`, `UnmarshalText([]byte) error`,
    /// `Scan(interface{}) error`: replace the version in place; the
    /// result is the method's `error` value (nil on success).
    fn unmarshal(&self, name: &str, arg: &Value) -> Result<Value, String> {
        let text = match (name, arg) {
            ("Scan", Value::String(s)) => s.to_string(),
            ("Scan", _) => String::new(),
            (_, Value::Bytes(b)) => String::from_utf8_lossy(b).into_owned(),
            (_, Value::Nil) => String::new(),
            (_, other) => {
                return Err(format!(
                    "wrong type for value; expected []uint8; got {}",
                    other.type_name()
                ))
            }
        };
        let text = if name == "UnmarshalJSON" {
            match serde_json_string(&text) {
                Some(s) => s,
                None => return Ok(Value::str("invalid character in JSON string")),
            }
        } else {
            text
        };
        match Version::parse(&text) {
            Ok(parsed) => {
                *self.v.borrow_mut() = parsed;
                Ok(Value::Nil)
            }
            Err(e) => Ok(Value::str(e.to_string())),
        }
    }
}

/// The string a JSON string literal holds (plain literals only: no
/// escapes beyond `\"` and `\\`).
fn serde_json_string(text: &str) -> Option<String> {
    let inner = text.trim().strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.push(chars.next()?);
        } else {
            out.push(c);
        }
    }
    Some(out)
}

impl Object for VersionObject {
    fn type_name(&self) -> String {
        if self.pointer {
            "*semver.Version".into()
        } else {
            "semver.Version".into()
        }
    }

    fn kind(&self) -> &'static str {
        if self.pointer {
            "ptr"
        } else {
            "struct"
        }
    }

    fn field(&self, name: &str) -> Option<Value> {
        match self.arity(name) {
            Some(0) => self.run(name, &[]).ok(),
            _ => None,
        }
    }

    fn has_method(&self, name: &str) -> bool {
        self.arity(name).is_some()
    }

    fn method_signature(&self, name: &str) -> Option<Result<MethodSignature, &'static str>> {
        const NONE: &[Ty] = &[];
        const STRING: &[Ty] = &[Ty::String];
        const VERSION: &[Ty] = &[Ty::Named("*semver.Version")];
        const BYTES: &[Ty] = &[Ty::Bytes];
        const ANY: &[Ty] = &[Ty::Any];
        self.arity(name)?;
        let params = match name {
            "SetPrerelease" | "SetMetadata" => STRING,
            "LessThan" | "LessThanEqual" | "GreaterThan" | "GreaterThanEqual" | "Equal"
            | "Compare" => VERSION,
            "UnmarshalJSON" | "UnmarshalText" => BYTES,
            "Scan" => ANY,
            _ => NONE,
        };
        Some(Ok(MethodSignature {
            params,
            variadic: None,
        }))
    }

    fn call(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        self.run(name, args)
    }

    fn format_v(&self) -> String {
        self.v.borrow().to_string()
    }

    fn to_data(&self) -> Value {
        Value::str(self.v.borrow().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::super::call;
    use super::*;

    fn s(x: &str) -> Value {
        Value::str(x)
    }

    fn cmp(c: &str, v: &str) -> String {
        match call("semverCompare", &[s(c), s(v)]) {
            Ok(v) => v.to_string(),
            Err(e) => format!("ERR {e}"),
        }
    }

    #[test]
    fn semver_compare_from_the_oracle() {
        // Expectations from tests/template/semver/expected.
        assert_eq!(cmp("^1.2.3", "1.9.9"), "true");
        assert_eq!(cmp("~>1.2", "1.2.5"), "true");
        assert_eq!(cmp(">=1.28.0-0", "v1.29.4-gke.1043002"), "true");
        assert_eq!(cmp(">=1.28.0", "v1.29.4-gke.1043002"), "false");
        assert_eq!(cmp("bad", "1.0.0"), "ERR improper constraint: \"bad\"");
        assert_eq!(cmp(">=1.0", "latest"), "ERR invalid semantic version");
        assert_eq!(cmp(">1", "1.2.3-00"), "ERR version segment starts with 0");
        assert_eq!(
            cmp(">=99999999999999999999", "1.0.0"),
            "ERR constraint parser error"
        );
    }

    fn version(x: &str) -> Value {
        call("semver", &[s(x)]).unwrap()
    }

    fn method(v: &Value, name: &str, args: &[Value]) -> Result<Value, String> {
        match v {
            Value::Object(o) => o.call(name, args),
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn version_object() {
        let v = version("v1.2.3-beta.1+build.5");
        assert_eq!(v.type_name(), "*semver.Version");
        assert_eq!(v.kind(), "ptr");
        assert_eq!(v.to_string(), "1.2.3-beta.1+build.5");
        let f = |n| method(&v, n, &[]).unwrap().to_string();
        assert_eq!(f("Major"), "1");
        assert_eq!(f("Prerelease"), "beta.1");
        assert_eq!(f("Metadata"), "build.5");
        assert_eq!(f("Original"), "v1.2.3-beta.1+build.5");
        assert_eq!(method(&v, "Major", &[]).unwrap().type_name(), "uint64");
    }

    #[test]
    fn version_methods() {
        let a = version("1.2.3");
        let b = version("1.2.4");
        assert_eq!(
            method(&a, "Compare", std::slice::from_ref(&b))
                .unwrap()
                .to_string(),
            "-1"
        );
        assert_eq!(
            method(&a, "LessThan", std::slice::from_ref(&b))
                .unwrap()
                .to_string(),
            "true"
        );
        assert_eq!(method(&a, "Compare", &[Value::Nil]).unwrap_err(), NIL_DEREF);
        assert_eq!(
            method(&a, "Equal", &[Value::Nil]).unwrap().to_string(),
            "false"
        );
        assert_eq!(
            method(&a, "Major", &[Value::Int(1)]).unwrap_err(),
            "wrong number of args for Major: want 0 got 1"
        );
        let inc = method(&version("1.0.0"), "IncMajor", &[]).unwrap();
        assert_eq!(inc.type_name(), "semver.Version");
        assert_eq!(inc.kind(), "struct");
        let Value::Object(o) = &inc else { panic!() };
        assert!(!o.has_method("Original"));
        assert_eq!(method(&inc, "IncMinor", &[]).unwrap().to_string(), "2.1.0");
        assert_eq!(
            method(&a, "SetPrerelease", &[s("01")]).unwrap_err(),
            "version segment starts with 0"
        );
        assert_eq!(
            method(&a, "SetMetadata", &[s("a_b")]).unwrap_err(),
            "invalid metadata string"
        );
        assert_eq!(
            method(&version("v1.2.3"), "IncPatch", &[])
                .unwrap()
                .to_string(),
            "1.2.4"
        );
    }

    #[test]
    fn semver_errors() {
        let e = |x: &str| call("semver", &[s(x)]).unwrap_err().0;
        assert_eq!(e("foo"), "invalid semantic version");
        assert_eq!(
            e("99999999999999999999.0.0"),
            "error parsing version segment: strconv.ParseUint: parsing \"99999999999999999999\": value out of range"
        );
    }
}
