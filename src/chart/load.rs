//! Loading a chart as Helm's loader does: from a directory (with the top
//! `.helmignore` and Helm's default rule `templates/.?*`), from a `.tgz`
//! archive (no `.helmignore`, as Helm), or from files in memory (a git
//! tree). Subcharts come from `charts/`: directories and archives, nested
//! to any depth.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use super::manifests::go_match;
use super::metadata::Metadata;
use super::{Chart, File};

/// The largest file Helm loads (5 MiB) and the largest chart (100 MiB).
const MAX_FILE: u64 = 5 << 20;
const MAX_CHART: u64 = 100 << 20;
const BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

/// Why a chart could not be loaded; the message is Helm's.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{0}")]
pub struct LoadError(pub String);

fn err(message: impl Into<String>) -> LoadError {
    LoadError(message.into())
}

/// Loads the chart at `path`: a directory or a `.tgz` archive.
///
/// # Errors
/// Helm's messages: `path "X" not found`, a missing `Chart.yaml`, YAML
/// errors in `Chart.yaml`/`values.yaml`, a broken subchart.
pub fn load_path(path: &Path) -> Result<Chart, LoadError> {
    let meta = std::fs::metadata(path).map_err(|_| {
        err(format!(
            "path {} not found",
            quote(&path.display().to_string())
        ))
    })?;
    if meta.is_dir() {
        load_dir(path)
    } else {
        let data = std::fs::read(path).map_err(|e| err(format!("{}: {e}", path.display())))?;
        if !data.starts_with(b"\x1f\x8b\x08") {
            let name = path.display().to_string();
            if name.ends_with(".yml") || name.ends_with(".yaml") {
                return Err(err(format!(
                    "file '{name}' seems to be a YAML file, but expected a gzipped archive"
                )));
            }
            return Err(err(format!(
                "file '{name}' does not appear to be a gzipped archive"
            )));
        }
        load_archive(&data)
    }
}

/// Loads a chart directory from disk (Helm's `LoadDir`): symlinks are
/// followed, the top `.helmignore` applies to the whole tree.
///
/// # Errors
/// As [`load_path`].
pub fn load_dir(dir: &Path) -> Result<Chart, LoadError> {
    let rules = match std::fs::read(dir.join(".helmignore")) {
        Ok(text) => Rules::parse(&String::from_utf8_lossy(&text))?,
        Err(_) => Rules::default(),
    }
    .with_defaults();
    let mut files = Vec::new();
    walk(dir, "", &rules, &mut files, 0)?;
    load_files(files)
}

fn walk(
    dir: &Path,
    prefix: &str,
    rules: &Rules,
    out: &mut Vec<File>,
    depth: usize,
) -> Result<(), LoadError> {
    if depth > 64 {
        return Err(err(format!(
            "{}: directories nested too deeply (a symlink loop?)",
            dir.display()
        )));
    }
    let read = std::fs::read_dir(dir).map_err(|e| err(format!("{}: {e}", dir.display())))?;
    // The entry's type comes with the directory listing: only symlinks
    // (followed, as Helm's sympath.Walk does) cost a stat.
    let mut entries: Vec<(String, Option<std::fs::FileType>)> = read
        .filter_map(|e| e.ok())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                e.file_type().ok(),
            )
        })
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, file_type) in entries {
        let rel = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let full = dir.join(&name);
        let is_dir = match file_type {
            Some(t) if t.is_dir() => true,
            Some(t) if t.is_file() => false,
            _ => std::fs::metadata(&full)
                .map_err(|e| err(format!("{}: {e}", full.display())))?
                .is_dir(),
        };
        if is_dir {
            if !rules.ignore(&rel, true) {
                walk(&full, &rel, rules, out, depth + 1)?;
            }
            continue;
        }
        if rules.ignore(&rel, false) {
            continue;
        }
        let data = read_chart_file(&full, &name, &rel)?;
        out.push(file(rel, data));
    }
    Ok(())
}

/// Reads a chart file that is no directory: an irregular one (a socket,
/// a device) or one above Helm's size limit is an error.
fn read_chart_file(full: &Path, name: &str, rel: &str) -> Result<Vec<u8>, LoadError> {
    use std::io::Read;
    let reading = |e: std::io::Error| err(format!("error reading {rel}: {e}"));
    let mut f = std::fs::File::open(full).map_err(reading)?;
    let meta = f.metadata().map_err(reading)?;
    if !meta.is_file() {
        return Err(err(format!(
            "cannot load irregular file {} as it has file mode type bits set",
            full.display()
        )));
    }
    if meta.len() > MAX_FILE {
        return Err(err(format!(
            "chart file {} is larger than the maximum file size {MAX_FILE}",
            quote(name)
        )));
    }
    // The size the stat gave, read in as few calls as the kernel allows and
    // no probe for more: a chart is not written while it loads (File's own
    // read_to_end would stat and seek again, then probe: three more system
    // calls per file, a sixth of a small chart's render).
    let len = meta.len() as usize;
    let mut data = vec![0; len];
    let mut filled = 0;
    while filled < len {
        match f.read(&mut data[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(reading(e)),
        }
    }
    data.truncate(filled);
    Ok(data)
}

/// Loads a chart from the files of a directory held elsewhere (a git
/// tree): `(path relative to the chart root, bytes)`. The chart's
/// `.helmignore` applies as it does to a directory on disk.
///
/// # Errors
/// As [`load_path`].
pub fn load_tree(files: Vec<(String, Vec<u8>)>) -> Result<Chart, LoadError> {
    let rules = match files.iter().find(|(p, _)| p == ".helmignore") {
        Some((_, text)) => Rules::parse(&String::from_utf8_lossy(text))?,
        None => Rules::default(),
    }
    .with_defaults();
    let mut kept = Vec::new();
    for (path, data) in files {
        let mut ignored = false;
        let mut at = 0;
        while let Some(i) = path[at..].find('/') {
            if rules.ignore(&path[..at + i], true) {
                ignored = true;
                break;
            }
            at += i + 1;
        }
        if ignored || rules.ignore(&path, false) {
            continue;
        }
        kept.push(file(path, data));
    }
    load_files(kept)
}

fn file(name: String, data: Vec<u8>) -> File {
    let data = data.strip_prefix(BOM).map(<[u8]>::to_vec).unwrap_or(data);
    File {
        name,
        data: Arc::from(data),
    }
}

/// Loads a gzipped tar archive of a chart (Helm's `LoadArchive`): every
/// entry sits under one top directory, which is dropped.
///
/// # Errors
/// Helm's archive errors (paths outside the chart, sizes), then as
/// [`load_files`].
pub fn load_archive(data: &[u8]) -> Result<Chart, LoadError> {
    let gz = flate2::read::GzDecoder::new(data);
    let mut archive = tar::Archive::new(gz);
    let mut files = Vec::new();
    let mut remaining = MAX_CHART;
    let entries = archive.entries().map_err(|e| err(e.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| err(e.to_string()))?;
        let kind = entry.header().entry_type();
        if kind.is_dir() || kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let delimiter = if raw.contains('\\') { '\\' } else { '/' };
        let parts: Vec<&str> = raw.split(delimiter).collect();
        let joined = parts[1..].join("/");
        if joined.starts_with('/') {
            return Err(err("chart illegally contains absolute paths"));
        }
        let name = crate::template::funcs::strings::path_clean(&joined);
        if name == "." {
            return Err(err(format!(
                "chart illegally contains content outside the base directory: {}",
                quote(&raw)
            )));
        }
        if name.starts_with("..") {
            return Err(err("chart illegally references parent directory"));
        }
        if parts[0] == "Chart.yaml" {
            return Err(err("chart yaml not in base directory"));
        }
        let size = entry.header().size().unwrap_or(0);
        if size > remaining {
            return Err(err(format!(
                "decompressed chart is larger than the maximum size {MAX_CHART}"
            )));
        }
        if size > MAX_FILE {
            return Err(err(format!(
                "decompressed chart file {} is larger than the maximum file size {MAX_FILE}",
                quote(&raw)
            )));
        }
        let mut bytes = Vec::with_capacity(size as usize);
        (&mut entry)
            .take(remaining)
            .read_to_end(&mut bytes)
            .map_err(|e| err(e.to_string()))?;
        remaining -= bytes.len() as u64;
        files.push(file(name, bytes));
    }
    if files.is_empty() {
        return Err(err("no files in chart archive"));
    }
    load_files(files)
}

/// Builds a chart from its files (Helm's `LoadFiles`): sorts them into
/// metadata, values, schema, templates, other files and subcharts.
///
/// # Errors
/// A missing or invalid `Chart.yaml`, invalid `values.yaml` or
/// `requirements.yaml`, a subchart that fails to load (named).
pub fn load_files(mut files: Vec<File>) -> Result<Chart, LoadError> {
    files.sort_by(|a, b| a.name.cmp(&b.name));
    let mut metadata: Option<Metadata> = None;
    if let Some(f) = files.iter().find(|f| f.name == "Chart.yaml") {
        metadata = Some(Metadata::parse(&text(f)).map_err(|e| err(e.0))?);
    }
    let mut chart = Chart {
        metadata: Metadata::default(),
        values_yaml: None,
        values_parsed: Default::default(),
        schema: None,
        templates: Vec::new(),
        files: Vec::new(),
        dependencies: Vec::new(),
        parsed: Default::default(),
    };
    let mut subcharts: Vec<(String, Vec<File>)> = Vec::new();
    for f in files {
        match f.name.as_str() {
            "Chart.yaml" | "Chart.lock" | "requirements.lock" => {
                if f.name == "requirements.lock"
                    && metadata.as_ref().is_some_and(|m| m.api_version == "v1")
                {
                    chart.files.push(f);
                }
            }
            "values.yaml" => {
                let text = text(&f);
                let parsed = super::parse_values(&text)
                    .map_err(|e| err(format!("cannot load values.yaml: {e}")))?;
                chart.values_yaml = Some(Arc::from(text));
                chart.values_parsed = Ok(parsed).into();
            }
            "values.schema.json" => chart.schema = Some(f.data.clone()),
            "requirements.yaml" => {
                let md = metadata.get_or_insert_with(Metadata::default);
                md.merge_yaml(&text(&f), "requirements.yaml")
                    .map_err(|e| err(e.0))?;
                if md.api_version == "v1" {
                    chart.files.push(f);
                }
            }
            name if name.starts_with("templates/") => chart.templates.push(f),
            name if name.starts_with("charts/") => {
                if name.ends_with(".prov") {
                    chart.files.push(f);
                    continue;
                }
                let rest = &name["charts/".len()..];
                let sub = rest.split('/').next().unwrap_or(rest).to_string();
                let inner = File {
                    name: rest.to_string(),
                    data: f.data.clone(),
                };
                match subcharts.iter_mut().find(|(n, _)| *n == sub) {
                    Some((_, list)) => list.push(inner),
                    None => subcharts.push((sub, vec![inner])),
                }
            }
            _ => chart.files.push(f),
        }
    }
    let Some(mut md) = metadata else {
        return Err(err("Chart.yaml file is missing"));
    };
    md.validate().map_err(|e| err(e.0))?;
    chart.metadata = md;
    let parent = chart.metadata.name.clone();
    for (sub, files) in subcharts {
        if sub.starts_with(['_', '.']) {
            continue;
        }
        let loaded = if sub.ends_with(".tgz") {
            match files.first() {
                Some(f) if f.name == sub => load_archive(&f.data),
                Some(f) => Err(err(format!(
                    "error unpacking subchart tar in {parent}: expected {sub}, got {}",
                    f.name
                ))),
                None => continue,
            }
        } else {
            let inner: Vec<File> = files
                .into_iter()
                .filter_map(|f| {
                    let (_, rest) = f.name.split_once('/')?;
                    Some(File {
                        name: rest.to_string(),
                        data: f.data,
                    })
                })
                .collect();
            load_files(inner)
        };
        let dep = loaded.map_err(|e| {
            err(format!(
                "error unpacking subchart {sub} in {parent}: {}",
                e.0
            ))
        })?;
        chart.dependencies.push(dep);
    }
    Ok(chart)
}

fn text(f: &File) -> String {
    super::utf8_text(&f.data).into_owned()
}

/// Names the dependencies `Chart.yaml` lists that `charts/` does not hold
/// (Helm's `CheckDependencies`).
///
/// # Errors
/// Helm's message, with a hint to vendor them.
pub fn check_dependencies(chart: &Chart) -> Result<(), LoadError> {
    let missing: Vec<&str> = chart
        .metadata
        .dependencies
        .iter()
        .filter(|d| !chart.dependencies.iter().any(|c| c.name() == d.name))
        .map(|d| d.name.as_str())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(err(format!(
            "found in Chart.yaml, but missing in charts/ directory: {}",
            missing.join(", ")
        )))
    }
}

fn quote(s: &str) -> String {
    crate::template::gofmt::quote(s)
}

/// `.helmignore` rules (Helm's `ignore.Rules`), including Helm's quirks:
/// a negated rule ignores every path it does not match.
#[derive(Debug, Default)]
pub struct Rules {
    patterns: Vec<Pattern>,
}

#[derive(Debug)]
struct Pattern {
    negate: bool,
    must_dir: bool,
    rule: String,
    /// How the rule is matched: against the path from the root (`/x`),
    /// the whole path (`a/b`), or the base name (`*.txt`).
    scope: Scope,
    /// The shape of the rule, so that the usual ones (`.git`, `*.bak`)
    /// skip the glob matcher: every file of a chart meets every rule.
    shape: Shape,
}

#[derive(Debug)]
enum Shape {
    /// No glob characters: matches itself only.
    Literal,
    /// `*` then a literal without `/`: a name (without `/`) ending so.
    StarSuffix,
    /// Anything else: filepath.Match.
    Glob,
}

impl Shape {
    fn of(rule: &str) -> Shape {
        let meta = |s: &str| s.contains(['*', '?', '[', '\\']);
        match rule.strip_prefix('*') {
            _ if !meta(rule) => Shape::Literal,
            Some(rest) if !meta(rest) && !rest.contains('/') => Shape::StarSuffix,
            _ => Shape::Glob,
        }
    }
}

impl Pattern {
    /// `filepath.Match(rule, subject)`, a malformed rule matching nothing.
    fn matches(&self, subject: &str) -> bool {
        match self.shape {
            Shape::Literal => self.rule == subject,
            Shape::StarSuffix => !subject.contains('/') && subject.ends_with(&self.rule[1..]),
            Shape::Glob => go_match(&self.rule, subject).unwrap_or(false),
        }
    }
}

#[derive(Debug)]
enum Scope {
    Anchored,
    Path,
    Base,
}

impl Rules {
    /// Parses a `.helmignore` file.
    ///
    /// # Errors
    /// `**`, which Helm rejects, and malformed patterns.
    pub fn parse(text: &str) -> Result<Rules, LoadError> {
        let mut rules = Rules::default();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for line in text.lines() {
            rules.add(line)?;
        }
        Ok(rules)
    }

    /// Adds Helm's default rule: dot files in `templates/` are ignored.
    pub fn with_defaults(mut self) -> Rules {
        // A constant, valid rule: adding it cannot fail.
        let _ = self.add("templates/.?*");
        self
    }

    fn add(&mut self, line: &str) -> Result<(), LoadError> {
        let rule = line.trim();
        if rule.is_empty() || rule.starts_with('#') {
            return Ok(());
        }
        if rule.contains("**") {
            return Err(err("double-star (**) syntax is not supported"));
        }
        if go_match(rule, "abc").is_err() {
            return Err(err("syntax error in pattern"));
        }
        let (negate, rule) = match rule.strip_prefix('!') {
            Some(r) => (true, r),
            None => (false, rule),
        };
        let (must_dir, rule) = match rule.strip_suffix('/') {
            Some(r) => (true, r),
            None => (false, rule),
        };
        let (scope, rule) = if let Some(r) = rule.strip_prefix('/') {
            (Scope::Anchored, r)
        } else if rule.contains('/') {
            (Scope::Path, rule)
        } else {
            (Scope::Base, rule)
        };
        self.patterns.push(Pattern {
            negate,
            must_dir,
            rule: rule.to_string(),
            scope,
            shape: Shape::of(rule),
        });
        Ok(())
    }

    /// Whether `path` (relative to the chart root) is ignored.
    pub fn ignore(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        let base = path.rsplit('/').next().unwrap_or(path);
        for p in &self.patterns {
            let subject = match p.scope {
                Scope::Anchored | Scope::Path => path,
                Scope::Base => base,
            };
            let matched = p.matches(subject);
            if p.negate {
                if p.must_dir && !is_dir {
                    return true;
                }
                if !matched {
                    return true;
                }
                continue;
            }
            if p.must_dir && !is_dir {
                continue;
            }
            if matched {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(name: &str, data: &str) -> (String, Vec<u8>) {
        (name.to_string(), data.as_bytes().to_vec())
    }

    #[test]
    fn go_match_follows_filepath_match() {
        assert_eq!(go_match("*.txt", "a.txt"), Ok(true));
        assert_eq!(go_match("*.txt", "a/b.txt"), Ok(false));
        assert_eq!(go_match("a/*", "a/b"), Ok(true));
        assert_eq!(go_match("a?c", "abc"), Ok(true));
        assert_eq!(go_match("[a-c]x", "bx"), Ok(true));
        assert_eq!(go_match("[^a-c]x", "bx"), Ok(false));
        assert_eq!(go_match("\\*", "*"), Ok(true));
        assert!(go_match("[", "a").is_err());
        assert_eq!(go_match("a*b*c", "axxbyyc"), Ok(true));
        assert_eq!(go_match(".?*", ".git"), Ok(true));
        assert_eq!(go_match(".?*", "."), Ok(false));
    }

    #[test]
    fn rule_shapes_match_as_filepath_match_does() {
        let rules = [
            "*.bak", "*~", ".git", "a/b", "*", "*.b*", "*/x", "a*b", "[ab]", "\\*x",
        ];
        let subjects = [
            "x.bak", ".bak", "a/x.bak", "x~", "~", ".git", ".gitx", "a/b", "ab", "axb", "*x",
            "a/x", "", "a",
        ];
        for rule in rules {
            let shape = Shape::of(rule);
            let p = Pattern {
                negate: false,
                must_dir: false,
                rule: rule.to_string(),
                scope: Scope::Base,
                shape,
            };
            for subject in subjects {
                assert_eq!(
                    p.matches(subject),
                    go_match(rule, subject).unwrap_or(false),
                    "{rule:?} on {subject:?} ({:?})",
                    p.shape
                );
            }
        }
    }

    #[test]
    fn helmignore_rules() {
        let r = Rules::parse("# c\n*.bak\ntests/\n/top.txt\ndocs/*.md\n")
            .unwrap()
            .with_defaults();
        assert!(r.ignore("x.bak", false));
        assert!(r.ignore("a/x.bak", false));
        assert!(r.ignore("templates/tests", true));
        assert!(!r.ignore("tests", false));
        assert!(r.ignore("top.txt", false));
        assert!(r.ignore("docs/a.md", false));
        assert!(r.ignore("templates/.hidden", false));
        assert!(!r.ignore("templates/x.yaml", false));
        assert!(Rules::parse("a/**/b").is_err());
    }

    #[test]
    fn negation_keeps_helms_quirk() {
        // A negated rule ignores every path it does not match.
        let r = Rules::parse("!keep.txt\n").unwrap();
        assert!(r.ignore("other.txt", false));
        assert!(!r.ignore("keep.txt", false));
    }

    #[test]
    fn loads_a_tree_with_subcharts() {
        let chart = load_tree(vec![
            f("Chart.yaml", "apiVersion: v2\nname: top\nversion: 1.0.0\n"),
            f("values.yaml", "a: 1\n"),
            f("templates/cm.yaml", "kind: ConfigMap\n"),
            f("templates/.swp", "x"),
            f("files/a.txt", "hello"),
            f(".helmignore", "*.bak\n"),
            f("files/old.bak", "x"),
            f(
                "charts/sub/Chart.yaml",
                "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
            ),
            f("charts/sub/templates/x.yaml", "kind: Secret\n"),
        ])
        .unwrap();
        assert_eq!(chart.name(), "top");
        assert_eq!(chart.templates.len(), 1);
        let files: Vec<&str> = chart.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(files, vec![".helmignore", "files/a.txt"]);
        assert_eq!(chart.dependencies.len(), 1);
        assert_eq!(chart.dependencies[0].name(), "sub");
    }

    #[test]
    fn errors_name_the_problem() {
        assert_eq!(
            load_tree(vec![f("values.yaml", "a: 1\n")]).unwrap_err().0,
            "Chart.yaml file is missing"
        );
        let e = load_tree(vec![
            f("Chart.yaml", "apiVersion: v2\nname: top\nversion: 1.0.0\n"),
            f("charts/sub/values.yaml", "a: 1\n"),
        ])
        .unwrap_err();
        assert_eq!(
            e.0,
            "error unpacking subchart sub in top: Chart.yaml file is missing"
        );
    }

    #[test]
    fn loads_an_archive() {
        let mut tar = tar::Builder::new(Vec::new());
        for (name, data) in [
            (
                "mysub/Chart.yaml",
                "apiVersion: v2\nname: mysub\nversion: 0.2.0\n",
            ),
            ("mysub/templates/a.yaml", "kind: ConfigMap\n"),
        ] {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            tar.append_data(&mut h, name, data.as_bytes()).unwrap();
        }
        let raw = tar.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &raw).unwrap();
        let tgz = gz.finish().unwrap();
        let chart = load_archive(&tgz).unwrap();
        assert_eq!(chart.name(), "mysub");
        assert_eq!(chart.templates[0].name, "templates/a.yaml");
        let parent = load_files(vec![
            File {
                name: "Chart.yaml".into(),
                data: Arc::from(&b"apiVersion: v2\nname: top\nversion: 1.0.0\n"[..]),
            },
            File {
                name: "charts/mysub-0.2.0.tgz".into(),
                data: Arc::from(tgz),
            },
        ])
        .unwrap();
        assert_eq!(parent.dependencies[0].name(), "mysub");
    }
}
