//! Robustness fuzzing of the template engine: random templates (built from
//! the language's own pieces, then mutated byte-wise) are parsed and
//! executed with tight budgets; none may panic, hang or grow without bound.
//!
//! The suite runs it for a few seconds with a fixed seed; a long run is
//! `PLUMB_FUZZ_SECONDS=600 cargo test --release --test template_fuzz --
//! --nocapture` (the 10 minutes), with `PLUMB_FUZZ_SEED` to choose
//! the seed. A failing input is printed so it can become a fixture.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use plumb::template::{Options, Templates, Value};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const PIECES: &[&str] = &[
    "{{",
    "}}",
    "{{-",
    "-}}",
    " ",
    "\n",
    "if",
    "else",
    "end",
    "range",
    "with",
    "define",
    "template",
    "block",
    "break",
    "continue",
    "$x",
    "$",
    ":=",
    "=",
    "|",
    "(",
    ")",
    ".",
    ".Values",
    ".a",
    ".b",
    ".Values.list",
    ".Values.map",
    ".Values.n",
    "\"s\"",
    "`raw`",
    "'c'",
    "1",
    "-2",
    "1.5",
    "1e3",
    "0x1F",
    "nil",
    "true",
    "false",
    ",",
    "include",
    "tpl",
    "\"d\"",
    "printf",
    "\"%v %d %s\"",
    "toYaml",
    "fromYaml",
    "toJson",
    "fromJson",
    "list",
    "dict",
    "index",
    "len",
    "eq",
    "lt",
    "and",
    "or",
    "not",
    "default",
    "required",
    "fail",
    "upper",
    "trunc",
    "indent",
    "nindent",
    "quote",
    "split",
    "join",
    "until",
    "seq",
    "add",
    "div",
    "mod",
    "semverCompare",
    "regexMatch",
    "b64dec",
    "set",
    "merge",
    "dig",
    "first",
    "slice",
    "sortAlpha",
    "toString",
    "int",
    "float64",
    "/* c */",
    "{{/*",
    "*/}}",
    "x",
    "\\",
    "\"",
    "é",
    "\u{0}",
];

fn values() -> Value {
    let mut v = BTreeMap::new();
    v.insert(
        "list".into(),
        Value::list(vec![Value::str("a"), Value::Float(2.0), Value::Nil]),
    );
    let mut m = BTreeMap::new();
    m.insert("k".into(), Value::str("v"));
    v.insert("map".into(), Value::map(m));
    v.insert("n".into(), Value::Float(3.0));
    let mut top = BTreeMap::new();
    top.insert("Values".into(), Value::map(v));
    Value::map(top)
}

fn generate(rng: &mut StdRng) -> String {
    let mut s = String::new();
    let n = rng.random_range(1..40);
    for _ in 0..n {
        s.push_str(PIECES[rng.random_range(0..PIECES.len())]);
        if rng.random_bool(0.3) {
            s.push(' ');
        }
    }
    // Byte-level mutations, kept on char boundaries.
    if rng.random_bool(0.3) && !s.is_empty() {
        let mut chars: Vec<char> = s.chars().collect();
        let i = rng.random_range(0..chars.len());
        match rng.random_range(0..3) {
            0 => {
                chars.remove(i);
            }
            1 => chars.insert(
                i,
                ['{', '}', '-', '|', '(', ')', '"'][rng.random_range(0..7)],
            ),
            _ => {
                let j = rng.random_range(0..chars.len());
                chars.swap(i, j);
            }
        }
        s = chars.into_iter().collect();
    }
    s
}

fn run_one(text: &str) {
    let options = Options {
        max_steps: 20_000,
        max_output: 1 << 20,
        ..Options::default()
    };
    let mut set = Templates::new();
    // Defines the generated text may call.
    let _ = set.parse("helpers", "{{ define \"d\" }}[{{ . }}]{{ end }}");
    if set.parse("fuzz", text).is_ok() {
        let _ = set.execute("fuzz", values(), &options);
    }
}

#[test]
fn random_templates_never_panic_or_hang() {
    let seconds: u64 = std::env::var("PLUMB_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let seed: u64 = std::env::var("PLUMB_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261202);
    let mut rng = StdRng::seed_from_u64(seed);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut runs = 0u64;
    let mut slowest = Duration::ZERO;
    while Instant::now() < deadline {
        let text = generate(&mut rng);
        let start = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| run_one(&text)));
        let took = start.elapsed();
        slowest = slowest.max(took);
        assert!(outcome.is_ok(), "the engine panicked on {text:?}");
        runs += 1;
    }
    println!("{runs} random templates (seed {seed}), slowest {slowest:?}");
    assert!(runs > 0);
}
