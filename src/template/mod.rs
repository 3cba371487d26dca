//! A Go `text/template` engine with Sprig's and Helm's functions, exact to
//! the byte: what `helm template` prints, without helm. (Module doc to be
//! completed with the engine.)

pub mod exec;
pub mod funcs;
pub mod gofmt;
pub mod json;
pub mod lex;
pub mod parse;
pub mod semver;
pub mod toml;
pub mod value;
pub mod yaml;

pub use value::{Elem, List, Map, Object, Str, Value};
