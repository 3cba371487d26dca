//! The built-in objects that are Go types, not plain maps: `.Files`
//! (Helm's `engine.files`, a `map[string][]byte` with methods) and
//! `.Capabilities` (`*common.Capabilities`: KubeVersion, APIVersions,
//! HelmVersion). `.Release`, `.Chart`, `.Template` and `.Subcharts` are maps
//! and built by the engine.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

use base64::Engine as _;

use crate::template::funcs::Ty;
use crate::template::value::{MethodSignature, Object};
use crate::template::{gofmt, semver, yaml, Elem, Map, Value};

/// Helm's version as templates see it (`.Capabilities.HelmVersion`): the
/// fields Helm v4.3.0's library reports, so charts that require
/// `>= 3.9` (and compare with `semverCompare`) render as under Helm.
pub const HELM_VERSION: &str = "v4.3";
/// The Go version Helm v4.3.0 was built with.
pub const HELM_GO_VERSION: &str = "go1.27.2";
/// The client-go version of Helm v4.3.0 (`kube_client_version`).
pub const HELM_KUBE_CLIENT_VERSION: &str = "v1.37";
/// The Kubernetes version `helm template` assumes without
/// `--kube-version`: client-go v0.37 → v1.37.0.
pub const DEFAULT_KUBE_VERSION: &str = "v1.37.0";

/// The group/versions `.Capabilities.APIVersions` holds without a
/// cluster. Helm lists client-go's whole scheme, which still carries alpha
/// and beta versions no cluster serves by default (`batch/v1beta1`); charts
/// ask `Has` to pick what a cluster will accept, so plumb lists the
/// versions a cluster serves by default (v1.31's, plus `resource.k8s.io/v1`
/// from v1.34). Both answer alike for every version a cluster and Helm
/// agree on; `--api-versions` adds more.
pub const DEFAULT_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "apiextensions.k8s.io/v1",
    "apps/v1",
    "authentication.k8s.io/v1",
    "authorization.k8s.io/v1",
    "autoscaling/v1",
    "autoscaling/v2",
    "batch/v1",
    "certificates.k8s.io/v1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "events.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1",
    "networking.k8s.io/v1",
    "node.k8s.io/v1",
    "policy/v1",
    "rbac.authorization.k8s.io/v1",
    "resource.k8s.io/v1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1",
];

/// A Kubernetes version as Helm parses `--kube-version`
/// (`common.ParseKubeVersion`): the version as given (with a `v`), its
/// normalized form for constraints, major and minor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KubeVersion {
    /// The full version, e.g. `v1.33.4-gke.1245000`.
    pub version: String,
    /// Without suffixes, e.g. `v1.33.4`: what `kubeVersion` constraints
    /// are checked against.
    pub normalized: String,
    /// `1`.
    pub major: String,
    /// `33`.
    pub minor: String,
}

impl KubeVersion {
    /// Parses as Kubernetes' `version.ParseGeneric` (what Helm calls):
    /// `[v]MAJOR.MINOR[.PATCH][suffix]`.
    ///
    /// # Errors
    /// The text of Helm's `invalid kube version` error.
    pub fn parse(text: &str) -> Result<KubeVersion, String> {
        let bad = || format!("could not parse {} as version", gofmt::quote(text));
        let trimmed = text.trim();
        let body = trimmed.strip_prefix('v').unwrap_or(trimmed);
        // ParseGeneric: leading numeric components separated by dots, then
        // an optional suffix starting with '-' or '+'.
        let end = body
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(body.len());
        let (numbers, suffix) = body.split_at(end);
        if !suffix.is_empty() && !suffix.starts_with(['-', '+']) {
            return Err(bad());
        }
        let parts: Vec<&str> = numbers.split('.').collect();
        if parts.len() < 2 || parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
            return Err(bad());
        }
        let mut nums = Vec::new();
        for p in &parts {
            if p.len() > 1 && p.starts_with('0') {
                return Err(bad());
            }
            nums.push(p.parse::<u32>().map_err(|_| bad())?);
        }
        let normalized = format!(
            "v{}.{}.{}",
            nums[0],
            nums[1],
            nums.get(2).copied().unwrap_or(0)
        );
        let version = if text.starts_with('v') {
            text.to_string()
        } else {
            format!("v{text}")
        };
        Ok(KubeVersion {
            version,
            normalized,
            major: nums[0].to_string(),
            minor: nums[1].to_string(),
        })
    }

    /// Whether a chart's `kubeVersion` constraint accepts this version
    /// (Helm's `IsCompatibleRange` on the normalized version): an invalid
    /// constraint accepts nothing.
    pub fn satisfies(&self, constraint: &str) -> bool {
        let Ok(v) = semver::Version::parse(&self.normalized) else {
            return false;
        };
        match semver::Constraints::parse(constraint) {
            Ok(c) => c.check(&v),
            Err(_) => false,
        }
    }
}

impl Default for KubeVersion {
    fn default() -> Self {
        KubeVersion {
            version: DEFAULT_KUBE_VERSION.into(),
            normalized: DEFAULT_KUBE_VERSION.into(),
            major: "1".into(),
            minor: "37".into(),
        }
    }
}

/// What a render knows of the cluster: `.Capabilities`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// `--kube-version`, or the default.
    pub kube_version: KubeVersion,
    /// `--api-versions` given beyond the default set.
    pub extra_api_versions: Vec<String>,
    /// The cluster's own versions and kinds from discovery, which replace
    /// the default set as they do in `helm install`; `None` (or empty) for
    /// `helm template`'s default set.
    pub cluster_api_versions: Option<Arc<Vec<String>>>,
}

impl Capabilities {
    /// Every API version `.Capabilities.APIVersions` holds.
    pub fn api_versions(&self) -> Vec<String> {
        let base: Vec<String> = match &self.cluster_api_versions {
            Some(set) if !set.is_empty() => set.as_ref().clone(),
            _ => DEFAULT_API_VERSIONS.iter().map(|s| s.to_string()).collect(),
        };
        base.into_iter()
            .chain(self.extra_api_versions.iter().cloned())
            .collect()
    }

    /// The template value (`*common.Capabilities`).
    pub fn to_value(&self) -> Value {
        Value::Object(Rc::new(CapabilitiesObject {
            kube: Rc::new(KubeVersionObject(self.kube_version.clone())),
            apis: Rc::new(VersionSetObject(Rc::new(self.api_versions()))),
        }))
    }
}

struct CapabilitiesObject {
    kube: Rc<KubeVersionObject>,
    apis: Rc<VersionSetObject>,
}

impl Object for CapabilitiesObject {
    fn type_name(&self) -> String {
        "*common.Capabilities".into()
    }

    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "KubeVersion" => Some(Value::Object(self.kube.clone())),
            "APIVersions" => Some(Value::Object(self.apis.clone())),
            "HelmVersion" => Some(Value::Object(Rc::new(HelmVersionObject))),
            _ => None,
        }
    }

    fn format_v(&self) -> String {
        // A pointer to a struct prints as `&{...}` with %v.
        format!(
            "&{{{} {} {}}}",
            self.kube.struct_v(),
            self.apis.format_v(),
            HelmVersionObject.format_v()
        )
    }

    fn to_data(&self) -> Value {
        let mut m = BTreeMap::new();
        m.insert("KubeVersion".into(), self.kube.to_data());
        m.insert("APIVersions".into(), self.apis.to_data());
        m.insert("HelmVersion".into(), HelmVersionObject.to_data());
        Value::map(m)
    }
}

/// `common.KubeVersion`, reached as a field of the capabilities pointer
/// (addressable, so its pointer methods `String` and `GitVersion` work and
/// an action prints it through `String`).
struct KubeVersionObject(KubeVersion);

impl KubeVersionObject {
    fn struct_v(&self) -> String {
        let k = &self.0;
        format!("{{{} {} {} {}}}", k.version, k.normalized, k.major, k.minor)
    }
}

impl Object for KubeVersionObject {
    fn type_name(&self) -> String {
        "common.KubeVersion".into()
    }

    fn kind(&self) -> &'static str {
        "struct"
    }

    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Version" => Some(Value::str(self.0.version.as_str())),
            "Major" => Some(Value::str(self.0.major.as_str())),
            "Minor" => Some(Value::str(self.0.minor.as_str())),
            _ => None,
        }
    }

    fn method_signature(&self, name: &str) -> Option<Result<MethodSignature, &'static str>> {
        matches!(name, "String" | "GitVersion").then_some(Ok(MethodSignature {
            params: &[],
            variadic: None,
        }))
    }

    fn call(&self, name: &str, _args: &[Value]) -> Result<Value, String> {
        match name {
            "String" => Ok(Value::str(self.0.normalized.as_str())),
            "GitVersion" => Ok(Value::str(self.0.version.as_str())),
            _ => Err(format!("no method {name}")),
        }
    }

    fn format_v(&self) -> String {
        self.0.normalized.clone()
    }

    fn to_data(&self) -> Value {
        let mut m = BTreeMap::new();
        m.insert("Version".into(), Value::str(self.0.version.as_str()));
        m.insert("Major".into(), Value::str(self.0.major.as_str()));
        m.insert("Minor".into(), Value::str(self.0.minor.as_str()));
        Value::map(m)
    }
}

/// `common.VersionSet`: a `[]string` with `Has`.
struct VersionSetObject(Rc<Vec<String>>);

impl Object for VersionSetObject {
    fn type_name(&self) -> String {
        "common.VersionSet".into()
    }

    fn kind(&self) -> &'static str {
        "slice"
    }

    fn field(&self, _name: &str) -> Option<Value> {
        None
    }

    fn method_signature(&self, name: &str) -> Option<Result<MethodSignature, &'static str>> {
        (name == "Has").then_some(Ok(MethodSignature {
            params: &[Ty::String],
            variadic: None,
        }))
    }

    fn call(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        match (name, args.first()) {
            ("Has", Some(Value::String(s))) => Ok(Value::Bool(self.0.iter().any(|v| **v == **s))),
            _ => Err(format!("no method {name}")),
        }
    }

    fn format_v(&self) -> String {
        format!("[{}]", self.0.join(" "))
    }

    fn truthy(&self) -> bool {
        !self.0.is_empty()
    }

    fn to_data(&self) -> Value {
        Value::strings(self.0.iter().map(String::as_str))
    }
}

/// `version.BuildInfo`.
struct HelmVersionObject;

impl HelmVersionObject {
    const FIELDS: [(&'static str, &'static str); 5] = [
        ("Version", HELM_VERSION),
        ("GitCommit", ""),
        ("GitTreeState", ""),
        ("GoVersion", HELM_GO_VERSION),
        ("KubeClientVersion", HELM_KUBE_CLIENT_VERSION),
    ];
}

impl Object for HelmVersionObject {
    fn type_name(&self) -> String {
        "version.BuildInfo".into()
    }

    fn kind(&self) -> &'static str {
        "struct"
    }

    fn field(&self, name: &str) -> Option<Value> {
        Self::FIELDS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| Value::str(*v))
    }

    fn format_v(&self) -> String {
        let values: Vec<&str> = Self::FIELDS.iter().map(|(_, v)| *v).collect();
        format!("{{{}}}", values.join(" "))
    }

    fn to_data(&self) -> Value {
        // The JSON tags: omitempty on all but kube_client_version.
        let mut m = BTreeMap::new();
        for (json, (_, v)) in [
            "version",
            "git_commit",
            "git_tree_state",
            "go_version",
            "kube_client_version",
        ]
        .iter()
        .zip(Self::FIELDS.iter())
        {
            if !v.is_empty() || *json == "kube_client_version" {
                m.insert((*json).into(), Value::str(*v));
            }
        }
        Value::map(m)
    }
}

/// The files a chart's templates see through `.Files`: every file of the
/// chart that is not a template, `Chart.yaml`, `values.yaml`, the schema or
/// a subchart, by path.
pub type FileMap = BTreeMap<String, Arc<[u8]>>;

/// The template value of `.Files` (Helm's `engine.files`).
pub fn files_value(files: Rc<FileMap>) -> Value {
    Value::Object(Rc::new(FilesObject(files)))
}

struct FilesObject(Rc<FileMap>);

impl FilesObject {
    fn bytes(&self, name: &str) -> Value {
        match self.0.get(name) {
            Some(data) => Value::Bytes(Rc::from(&data[..])),
            None => Value::Bytes(Rc::from(&[][..])),
        }
    }

    fn by_base_name(&self, f: impl Fn(&[u8]) -> String) -> Value {
        // Go ranges over the map in random order; a later path wins here.
        let mut m = BTreeMap::new();
        for (path, data) in self.0.iter() {
            let base = path.rsplit('/').next().unwrap_or(path);
            m.insert(base.into(), Value::str(f(data)));
        }
        let map = Value::Map(Map::from_entries(Elem::String, m));
        match yaml::to_string(&map) {
            Ok(s) => Value::str(s.strip_suffix('\n').unwrap_or(&s)),
            Err(_) => Value::str(""),
        }
    }
}

impl Object for FilesObject {
    fn type_name(&self) -> String {
        "engine.files".into()
    }

    fn kind(&self) -> &'static str {
        "map"
    }

    /// A map is true when it has entries.
    fn truthy(&self) -> bool {
        !self.0.is_empty()
    }

    /// A map type: any other name is a key (missing: a nil `[]byte`).
    fn field(&self, name: &str) -> Option<Value> {
        Some(match self.0.get(name) {
            Some(data) => Value::Bytes(Rc::from(&data[..])),
            None => Value::Bytes(Rc::from(&[][..])),
        })
    }

    fn method_signature(&self, name: &str) -> Option<Result<MethodSignature, &'static str>> {
        let params: &'static [Ty] = match name {
            "Get" | "GetBytes" | "Glob" | "Lines" => &[Ty::String],
            "AsConfig" | "AsSecrets" => &[],
            _ => return None,
        };
        Some(Ok(MethodSignature {
            params,
            variadic: None,
        }))
    }

    fn call(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        let arg = match args.first() {
            Some(Value::String(s)) => s.to_string(),
            _ => String::new(),
        };
        Ok(match name {
            "GetBytes" => self.bytes(&arg),
            "Get" => match self.0.get(arg.as_str()) {
                Some(data) => Value::go_string(data.to_vec()),
                None => Value::str(""),
            },
            "Glob" => {
                let glob =
                    Glob::compile(&arg).unwrap_or_else(|| Glob::compile("**").unwrap_or_default());
                let matched: FileMap = self
                    .0
                    .iter()
                    .filter(|(k, _)| glob.matches(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                files_value(Rc::new(matched))
            }
            "Lines" => match self.0.get(arg.as_str()) {
                Some(data) if !data.is_empty() => {
                    let s = String::from_utf8_lossy(data);
                    let s = s.strip_suffix('\n').unwrap_or(&s);
                    Value::strings(s.split('\n'))
                }
                _ => Value::typed_list(Elem::String, Vec::new()),
            },
            "AsConfig" => self.by_base_name(|d| String::from_utf8_lossy(d).into_owned()),
            "AsSecrets" => {
                self.by_base_name(|d| base64::engine::general_purpose::STANDARD.encode(d))
            }
            _ => return Err(format!("no method {name}")),
        })
    }

    fn format_v(&self) -> String {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(k, v)| {
                let nums: Vec<String> = v.iter().map(|b| b.to_string()).collect();
                format!("{k}:[{}]", nums.join(" "))
            })
            .collect();
        format!("map[{}]", parts.join(" "))
    }

    fn to_data(&self) -> Value {
        // encoding/json marshals []byte as base64 strings.
        let m = self
            .0
            .iter()
            .map(|(k, v)| (k.as_str().into(), Value::Bytes(Rc::from(&v[..]))))
            .collect();
        Value::Map(Map::from_entries(Elem::Any, m))
    }
}

/// A gobwas/glob pattern with `/` as separator (what `.Files.Glob` uses):
/// `*` and `?` stop at `/`, `**` does not, `[a-z]`/`[!a]` classes, `{a,b}`
/// alternatives, `\` escapes.
#[derive(Debug, Default)]
pub struct Glob(Vec<Token>);

#[derive(Debug, Clone)]
enum Token {
    Literal(char),
    Any,
    Super,
    Single,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
    Alternatives(Vec<Glob>),
}

impl Clone for Glob {
    fn clone(&self) -> Self {
        Glob(self.0.clone())
    }
}

impl Glob {
    /// Compiles a pattern, or `None` when gobwas would refuse it.
    pub fn compile(pattern: &str) -> Option<Glob> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut pos = 0;
        let g = Self::parse(&chars, &mut pos, false)?;
        (pos == chars.len()).then_some(g)
    }

    fn parse(chars: &[char], pos: &mut usize, in_alt: bool) -> Option<Glob> {
        let mut tokens = Vec::new();
        while *pos < chars.len() {
            let c = chars[*pos];
            match c {
                ',' | '}' if in_alt => break,
                '\\' => {
                    *pos += 1;
                    tokens.push(Token::Literal(*chars.get(*pos)?));
                    *pos += 1;
                }
                '*' => {
                    if chars.get(*pos + 1) == Some(&'*') {
                        tokens.push(Token::Super);
                        *pos += 2;
                    } else {
                        tokens.push(Token::Any);
                        *pos += 1;
                    }
                }
                '?' => {
                    tokens.push(Token::Single);
                    *pos += 1;
                }
                '[' => {
                    *pos += 1;
                    let negated = chars.get(*pos) == Some(&'!');
                    if negated {
                        *pos += 1;
                    }
                    let mut ranges = Vec::new();
                    loop {
                        let lo = *chars.get(*pos)?;
                        if lo == ']' {
                            *pos += 1;
                            break;
                        }
                        let lo = if lo == '\\' {
                            *pos += 1;
                            *chars.get(*pos)?
                        } else {
                            lo
                        };
                        *pos += 1;
                        if chars.get(*pos) == Some(&'-')
                            && chars.get(*pos + 1).is_some_and(|c| *c != ']')
                        {
                            let hi = chars[*pos + 1];
                            *pos += 2;
                            ranges.push((lo, hi));
                        } else {
                            ranges.push((lo, lo));
                        }
                    }
                    tokens.push(Token::Class { negated, ranges });
                }
                '{' => {
                    *pos += 1;
                    let mut alts = Vec::new();
                    loop {
                        alts.push(Self::parse(chars, pos, true)?);
                        match chars.get(*pos)? {
                            ',' => *pos += 1,
                            '}' => {
                                *pos += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                    tokens.push(Token::Alternatives(alts));
                }
                _ => {
                    tokens.push(Token::Literal(c));
                    *pos += 1;
                }
            }
        }
        Some(Glob(tokens))
    }

    /// Whether the whole of `text` matches.
    pub fn matches(&self, text: &str) -> bool {
        let chars: Vec<char> = text.chars().collect();
        Self::match_at(&self.0, &chars, 0, &[])
    }

    /// Matches `tokens` then `rest` (the tokens after an enclosing
    /// alternative) against `text[i..]`.
    fn match_at(tokens: &[Token], text: &[char], i: usize, rest: &[&[Token]]) -> bool {
        let Some((first, more)) = tokens.split_first() else {
            return match rest.split_first() {
                Some((next, others)) => Self::match_at(next, text, i, others),
                None => i == text.len(),
            };
        };
        match first {
            Token::Literal(c) => text.get(i) == Some(c) && Self::match_at(more, text, i + 1, rest),
            Token::Single => {
                text.get(i).is_some_and(|c| *c != '/') && Self::match_at(more, text, i + 1, rest)
            }
            Token::Class { negated, ranges } => {
                text.get(i).is_some_and(|c| {
                    let inside = ranges.iter().any(|(lo, hi)| lo <= c && c <= hi);
                    inside != *negated
                }) && Self::match_at(more, text, i + 1, rest)
            }
            Token::Any | Token::Super => {
                let mut j = i;
                loop {
                    if Self::match_at(more, text, j, rest) {
                        return true;
                    }
                    match text.get(j) {
                        Some('/') if matches!(first, Token::Any) => return false,
                        Some(_) => j += 1,
                        None => return false,
                    }
                }
            }
            Token::Alternatives(alts) => {
                let mut stack: Vec<&[Token]> = vec![more];
                stack.extend_from_slice(rest);
                alts.iter().any(|a| Self::match_at(&a.0, text, i, &stack))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kube_version_parses_like_helm() {
        let k = KubeVersion::parse("1.33.4-gke.1245000").unwrap();
        assert_eq!(k.version, "v1.33.4-gke.1245000");
        assert_eq!(k.normalized, "v1.33.4");
        assert_eq!((k.major.as_str(), k.minor.as_str()), ("1", "33"));
        let k = KubeVersion::parse("v1.31").unwrap();
        assert_eq!(k.normalized, "v1.31.0");
        assert!(KubeVersion::parse("one").is_err());
        assert!(KubeVersion::parse("1").is_err());
    }

    #[test]
    fn kube_version_constraints() {
        let k = KubeVersion::parse("v1.31.0").unwrap();
        assert!(k.satisfies(">=1.20.0-0"));
        assert!(!k.satisfies("<1.19"));
        assert!(!k.satisfies("not a constraint"));
    }

    #[test]
    fn glob_follows_gobwas() {
        let g = |p: &str, s: &str| Glob::compile(p).unwrap().matches(s);
        assert!(g("files/*.txt", "files/a.txt"));
        assert!(!g("files/*.txt", "files/sub/a.txt"));
        assert!(g("files/**.txt", "files/sub/a.txt"));
        assert!(g("**", "a/b/c"));
        assert!(g("{a,b}/*", "b/x"));
        assert!(!g("{a,b}/*", "c/x"));
        assert!(g("f?le", "file"));
        assert!(g("[a-c]x", "bx"));
        assert!(!g("[!a-c]x", "bx"));
        assert!(g("conf/*.{yaml,json}", "conf/x.json"));
        assert!(Glob::compile("[abc").is_none());
    }
}
