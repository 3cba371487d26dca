//! The template engine against real Helm: every fixture family under
//! `tests/template/` (see `scripts/template-oracle`, which wrote the
//! expectations with Helm v4.3.0) rendered by plumb, byte for byte.
//!
//! Each `cases/C.tpl` is wrapped exactly as the oracle wrapped it, parsed
//! with the family's `helpers.tpl` into one set, and its define executed
//! with Helm's top-level data (`.Values` from the family's values.yaml,
//! `.Release`, `.Template`); the output must equal `expected/C.out`. Each
//! `errors/C.tpl` is rendered as a file and Helm's message for the error
//! must equal `expected/C.err`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use std::rc::Rc;

use plumb::chart::engine::ReleaseInfo;
use plumb::chart::objects::{files_value, Capabilities, FileMap, KubeVersion};
use plumb::chart::Metadata;
use plumb::template::{self, Options, Templates, Value};

fn wrap(case: &str, index: usize, body: &str) -> String {
    format!(
        "{{{{ define \"case:{case}\" }}}}{body}{{{{ end }}}}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: case-{index}\ndata:\n  out: {{{{ include \"case:{case}\" . | b64enc | quote }}}}\n"
    )
}

fn names(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".tpl"))
                .map(str::to_string)
        })
        .collect();
    names.sort();
    names
}

/// Helm's top-level data for a family's chart, from the chart layer's own
/// objects: `Chart.yaml` as the oracle wrote it, `.Release`, `.Template`,
/// `.Capabilities` for v1.31.0, and `.Files` (the oracle's chart has no
/// files beside its templates and values).
fn root(family: &str, values: &Value, file: &str) -> Value {
    let metadata = Metadata::parse(&format!(
        "apiVersion: v2\nname: {family}\nversion: 0.1.0\nappVersion: \"1.0.0\"\n"
    ))
    .expect("the oracle's Chart.yaml");
    let chart = metadata.to_value();
    if let Value::Map(m) = &chart {
        m.insert("IsRoot", Value::Bool(true));
    }
    let release = ReleaseInfo {
        name: "release-name".into(),
        namespace: "default".into(),
        revision: 1,
        is_upgrade: false,
    };
    let capabilities = Capabilities {
        kube_version: KubeVersion::parse("v1.31.0").expect("a kube version"),
        extra_api_versions: Vec::new(),
        cluster_api_versions: None,
    };
    let mut tmpl = BTreeMap::new();
    tmpl.insert("Name".into(), Value::str(file));
    tmpl.insert("BasePath".into(), Value::str(format!("{family}/templates")));
    let mut top = BTreeMap::new();
    top.insert("Values".into(), values.clone());
    top.insert("Release".into(), release.to_value());
    top.insert("Template".into(), named_values(Value::map(tmpl)));
    top.insert("Chart".into(), chart);
    top.insert("Capabilities".into(), capabilities.to_value());
    top.insert("Files".into(), files_value(Rc::new(FileMap::new())));
    top.insert("Subcharts".into(), Value::empty_map());
    named_values(Value::map(top))
}

/// The family's values as Helm hands them to templates: read like a
/// values file, with null keys dropped (Helm's coalescing deletes them),
/// as the named type `common.Values`.
fn values(dir: &Path) -> Value {
    let value = match fs::read_to_string(dir.join("values.yaml")) {
        Ok(text) => {
            template::yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        }
        Err(_) => Value::empty_map(),
    };
    drop_nulls(&value);
    named_values(value)
}

fn drop_nulls(value: &Value) {
    if let Value::Map(m) = value {
        m.borrow_mut().retain(|_, v| !v.is_nil());
        for (_, v) in m.entries() {
            drop_nulls(&v);
        }
    }
}

fn named_values(value: Value) -> Value {
    match value {
        Value::Map(mut m) => {
            m.named = Some("common.Values");
            Value::Map(m)
        }
        other => other,
    }
}

fn helpers(family: &str, dir: &Path, set: &mut Templates) {
    if let Ok(text) = fs::read_to_string(dir.join("helpers.tpl")) {
        let name = format!("{family}/templates/_helpers.tpl");
        set.parse(&name, &text)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// Runs one family; returns its failures as readable lines.
fn run_family(dir: &Path) -> (usize, Vec<String>) {
    let family = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    let expected = dir.join("expected");
    let vals = values(dir);
    let mut failures = Vec::new();
    let mut count = 0;

    let cases = names(&dir.join("cases"));
    let mut set = Templates::new();
    helpers(&family, dir, &mut set);
    let mut parse_failed = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let body =
            fs::read_to_string(dir.join("cases").join(format!("{case}.tpl"))).unwrap_or_default();
        let file = format!("{family}/templates/{case}.yaml");
        if let Err(e) = set.parse(&file, &wrap(case, i, &body)) {
            parse_failed.push(case.clone());
            failures.push(format!("{family}/{case}: does not parse: {e}"));
        }
    }
    for case in &cases {
        if parse_failed.contains(case) {
            continue;
        }
        count += 1;
        let want = fs::read_to_string(expected.join(format!("{case}.out"))).unwrap_or_else(|_| {
            panic!("{family}/{case}: no expectation (run scripts/template-oracle)")
        });
        let file = format!("{family}/templates/{case}.yaml");
        let data = root(&family, &vals, &file);
        match set.execute(&format!("case:{case}"), data, &Options::default()) {
            Ok(got) if got == want => {}
            Ok(got) => failures.push(format!(
                "{family}/{case}:\n    want {want:?}\n    got  {got:?}"
            )),
            Err(e) => failures.push(format!(
                "{family}/{case}: error {:?}\n    want {want:?}",
                e.helm_message(&file)
            )),
        }
    }

    for case in names(&dir.join("errors")) {
        count += 1;
        let want = fs::read_to_string(expected.join(format!("{case}.err"))).unwrap_or_else(|_| {
            panic!("{family}/{case}: no expectation (run scripts/template-oracle)")
        });
        let want = want.strip_suffix('\n').unwrap_or(&want).to_string();
        let body =
            fs::read_to_string(dir.join("errors").join(format!("{case}.tpl"))).unwrap_or_default();
        let file = format!("{family}/templates/{case}.yaml");
        let mut set = Templates::new();
        helpers(&family, dir, &mut set);
        let got = match set.parse(&file, &body) {
            Err(e) => Err(e.helm_message(&file)),
            Ok(()) => {
                let data = root(&family, &vals, &file);
                set.execute(&file, data, &Options::default())
                    .map_err(|e| e.helm_message(&file))
            }
        };
        match got {
            Err(got) if got == want => {}
            Err(got) => failures.push(format!(
                "{family}/{case}:\n    want {want:?}\n    got  {got:?}"
            )),
            Ok(out) => failures.push(format!(
                "{family}/{case}: rendered {out:?}\n    want error {want:?}"
            )),
        }
    }
    (count, failures)
}

/// The fixture families: `tests/template/*`, or those under
/// `PLUMB_TEMPLATE_FIXTURES` (scripts/template-fuzz points it at scratch
/// families).
fn families() -> Vec<PathBuf> {
    let root = match std::env::var_os("PLUMB_TEMPLATE_FIXTURES") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/template"),
    };
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// Fixtures known to differ, with the reason (`tests/template/PENDING`:
/// `family/case  reason` per line). A pending fixture that passes is a
/// failure too, so the list only shrinks.
fn pending() -> BTreeMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/template/PENDING");
    let text = fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once(char::is_whitespace) {
            Some((k, why)) => (k.to_string(), why.trim().to_string()),
            None => (l.to_string(), String::new()),
        })
        .collect()
}

#[test]
fn every_fixture_renders_as_helm_renders_it() {
    let only = std::env::var("PLUMB_TEMPLATE_FAMILY").ok();
    let mut total = 0;
    let mut failures = Vec::new();
    for dir in families() {
        if let Some(only) = &only {
            if dir.file_name().and_then(|n| n.to_str()) != Some(only.as_str()) {
                continue;
            }
        }
        let (count, mut f) = run_family(&dir);
        total += count;
        failures.append(&mut f);
    }
    assert!(total > 0, "no fixtures found under tests/template");
    let pending = if std::env::var_os("PLUMB_TEMPLATE_FIXTURES").is_some() {
        BTreeMap::new()
    } else {
        pending()
    };
    let mut still_pending = Vec::new();
    failures.retain(|f| {
        let id = f.split(':').next().unwrap_or_default();
        if let Some(why) = pending.get(id) {
            still_pending.push(format!("{id}: {why}"));
            false
        } else {
            true
        }
    });
    for id in pending.keys() {
        if only.is_none()
            && !still_pending
                .iter()
                .any(|p| p.starts_with(&format!("{id}:")))
        {
            failures.push(format!(
                "{id}: passes now; remove it from tests/template/PENDING"
            ));
        }
    }
    println!(
        "{total} template fixtures, {} pending, {} failed",
        still_pending.len(),
        failures.len()
    );
    for p in &still_pending {
        println!("PENDING {p}");
    }
    assert!(
        failures.is_empty(),
        "{} of {total} fixtures differ from Helm:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every function Helm's templates can call appears in some fixture, so
/// none is registered without being checked against Helm.
#[test]
fn every_registered_function_has_a_fixture() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/template");
    let mut text = String::new();
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    for family in dirs {
        for sub in ["cases", "errors"] {
            for name in names(&family.join(sub)) {
                text.push_str(
                    &fs::read_to_string(family.join(sub).join(format!("{name}.tpl")))
                        .unwrap_or_default(),
                );
                text.push('\n');
            }
        }
        text.push_str(&fs::read_to_string(family.join("helpers.tpl")).unwrap_or_default());
    }
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let missing: Vec<&str> = template::funcs::registry()
        .names()
        .into_iter()
        .filter(|name| {
            !text.match_indices(name).any(|(i, _)| {
                let before = text[..i].chars().next_back();
                let after = text[i + name.len()..].chars().next();
                !before.is_some_and(|c| is_word(c) || c == '.' || c == '$')
                    && !after.is_some_and(is_word)
            })
        })
        .collect();
    assert!(
        missing.is_empty(),
        "functions without a fixture: {missing:?}"
    );
}
