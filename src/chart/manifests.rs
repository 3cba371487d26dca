//! What happens to the rendered files after the template engine: Helm's
//! `renderResources` (the release notes, `--include-crds`), releaseutil's
//! `SplitManifests` and `SortManifests` (documents, hooks, install order)
//! and how `helm template` prints the release (`--show-only`,
//! `--output-dir`, `--skip-tests`, `--no-hooks`), ported from Helm v4.3
//! (`pkg/action/action.go`, `pkg/cmd/template.go`,
//! `pkg/release/v1/util/{manifest,manifest_sorter,kind_sorter}.go`).
//!
//! The output shape, exact to the byte:
//!
//! * each file (sorted by path, `_` partials and `NOTES.txt` files left out)
//!   is cut at every line starting `---` (Helm 4.2.4+'s `(?m)^---[ \t]*`:
//!   the rest of that line starts the next document); whitespace-only
//!   documents are dropped, the others lose their leading whitespace only,
//!   so a document that is not the last of its file keeps its final newline;
//! * every document's head is read as `sigs.k8s.io/yaml` reads it into
//!   Helm's `SimpleHead` (a YAML error, or a head of the wrong shape, fails
//!   the render); one with a `helm.sh/hook` annotation is a hook (dropped
//!   entirely when an event is unknown), the others are manifests;
//! * manifests and hooks are each stably sorted by kind (`InstallOrder`,
//!   unknown kinds last, alphabetically); hook weights do not change the
//!   printed order (they order hook execution, which `helm template` skips);
//! * printed: `---\n# Source: PATH\n<document>\n` for every CRD (with
//!   `--include-crds`) and manifest, that whole block whitespace-trimmed
//!   and ended by one `\n`, then every hook the same way.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};
use std::path::PathBuf;

use super::Scope;
use crate::template::yaml::fold_eq;
use crate::template::{gofmt, yaml, Value};

/// `helm.sh/hook`: the annotation that makes a document a hook.
pub const HOOK_ANNOTATION: &str = "helm.sh/hook";
/// `helm.sh/hook-weight`: the hook's weight (an integer, else 0).
pub const HOOK_WEIGHT_ANNOTATION: &str = "helm.sh/hook-weight";
/// `helm.sh/hook-delete-policy`: when Helm deletes the hook's resource.
pub const HOOK_DELETE_ANNOTATION: &str = "helm.sh/hook-delete-policy";
/// `helm.sh/hook-output-log-policy`: when Helm copies a hook Pod's logs.
pub const HOOK_OUTPUT_LOG_ANNOTATION: &str = "helm.sh/hook-output-log-policy";

/// The suffix that marks a rendered file as notes, not manifests
/// (`notesFileSuffix`): every file ending so is taken out of the manifests.
pub const NOTES_FILE_SUFFIX: &str = "NOTES.txt";

/// Helm's `InstallOrder`: kinds earlier in the list are installed (and
/// printed) first; kinds not in it come last. The engine orders waves by
/// the same list.
pub use crate::cluster::order::INSTALL_ORDER;

/// Helm's `UninstallOrder`: the order in which an uninstall deletes kinds
/// (validation webhooks before mutation ones, namespaces near the end).
pub const UNINSTALL_ORDER: &[&str] = &[
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
    "Ingress",
    "IngressClass",
    "Service",
    "CronJob",
    "Job",
    "StatefulSet",
    "HorizontalPodAutoscaler",
    "Deployment",
    "ReplicaSet",
    "ReplicationController",
    "Pod",
    "DaemonSet",
    "RoleBindingList",
    "RoleBinding",
    "RoleList",
    "Role",
    "ClusterRoleBindingList",
    "ClusterRoleBinding",
    "ClusterRoleList",
    "ClusterRole",
    "CustomResourceDefinition",
    "PersistentVolumeClaim",
    "PersistentVolume",
    "StorageClass",
    "ConfigMap",
    "SecretList",
    "Secret",
    "ServiceAccount",
    "PodDisruptionBudget",
    "PodSecurityPolicy",
    "LimitRange",
    "ResourceQuota",
    "NetworkPolicy",
    "Namespace",
    "PriorityClass",
];

// ---------------------------------------------------------------------------
// Types

/// The head of a document (Helm's `SimpleHead`: `apiVersion`, `kind`,
/// `metadata.name`, `metadata.annotations`): all that sorting and hooks
/// read, and what a reconciler needs to name the object. Numbers and bools
/// in these fields read as strings, as sigs.k8s.io/yaml makes them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Head {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`: decides the install order.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.annotations` (a null value reads as an empty string).
    pub annotations: BTreeMap<String, String>,
}

/// A rendered manifest document: Helm's release `Manifest`, what the
/// release applies (hooks are apart, in [`Hook`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// The source path (`chart/templates/x.yaml`), as `# Source:` prints it.
    pub name: String,
    /// The document's text, leading whitespace removed, the rest as
    /// rendered.
    pub content: String,
    /// Its head.
    pub head: Head,
}

/// A hook event: when Helm runs the hook (`helm.sh/hook`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HookEvent {
    /// `pre-install`.
    PreInstall,
    /// `post-install`.
    PostInstall,
    /// `pre-delete`.
    PreDelete,
    /// `post-delete`.
    PostDelete,
    /// `pre-upgrade`.
    PreUpgrade,
    /// `post-upgrade`.
    PostUpgrade,
    /// `pre-rollback`.
    PreRollback,
    /// `post-rollback`.
    PostRollback,
    /// `test` (also written `test-success`, Helm 2's name).
    Test,
}

impl HookEvent {
    /// Helm's name for the event (`HookEvent.String()`).
    pub fn as_str(self) -> &'static str {
        match self {
            HookEvent::PreInstall => "pre-install",
            HookEvent::PostInstall => "post-install",
            HookEvent::PreDelete => "pre-delete",
            HookEvent::PostDelete => "post-delete",
            HookEvent::PreUpgrade => "pre-upgrade",
            HookEvent::PostUpgrade => "post-upgrade",
            HookEvent::PreRollback => "pre-rollback",
            HookEvent::PostRollback => "post-rollback",
            HookEvent::Test => "test",
        }
    }

    /// The event an annotation entry names, already trimmed and lowercased
    /// (Helm's `events` table, `test-success` included); `None` for an
    /// unknown one.
    pub fn parse(name: &str) -> Option<HookEvent> {
        Some(match name {
            "pre-install" => HookEvent::PreInstall,
            "post-install" => HookEvent::PostInstall,
            "pre-delete" => HookEvent::PreDelete,
            "post-delete" => HookEvent::PostDelete,
            "pre-upgrade" => HookEvent::PreUpgrade,
            "post-upgrade" => HookEvent::PostUpgrade,
            "pre-rollback" => HookEvent::PreRollback,
            "post-rollback" => HookEvent::PostRollback,
            "test" | "test-success" => HookEvent::Test,
            _ => return None,
        })
    }
}

impl fmt::Display for HookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When Helm deletes a hook's resource (`helm.sh/hook-delete-policy`).
/// Helm keeps whatever the annotation says, so an unknown word is kept
/// too ([`HookDeletePolicy::Other`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum HookDeletePolicy {
    /// `before-hook-creation`.
    BeforeHookCreation,
    /// `hook-succeeded`.
    HookSucceeded,
    /// `hook-failed`.
    HookFailed,
    /// Any other word (trimmed, lowercased), which Helm ignores when it
    /// runs hooks.
    Other(String),
}

impl HookDeletePolicy {
    /// The policy an annotation entry (trimmed, lowercased) names.
    pub fn parse(word: &str) -> HookDeletePolicy {
        match word {
            "before-hook-creation" => HookDeletePolicy::BeforeHookCreation,
            "hook-succeeded" => HookDeletePolicy::HookSucceeded,
            "hook-failed" => HookDeletePolicy::HookFailed,
            other => HookDeletePolicy::Other(other.to_string()),
        }
    }

    /// Helm's name for the policy.
    pub fn as_str(&self) -> &str {
        match self {
            HookDeletePolicy::BeforeHookCreation => "before-hook-creation",
            HookDeletePolicy::HookSucceeded => "hook-succeeded",
            HookDeletePolicy::HookFailed => "hook-failed",
            HookDeletePolicy::Other(s) => s,
        }
    }
}

/// When Helm copies a hook Pod's or Job's logs
/// (`helm.sh/hook-output-log-policy`); unknown words are kept, as Helm does.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum HookOutputLogPolicy {
    /// `hook-succeeded`.
    HookSucceeded,
    /// `hook-failed`.
    HookFailed,
    /// Any other word (trimmed, lowercased).
    Other(String),
}

impl HookOutputLogPolicy {
    /// The policy an annotation entry (trimmed, lowercased) names.
    pub fn parse(word: &str) -> HookOutputLogPolicy {
        match word {
            "hook-succeeded" => HookOutputLogPolicy::HookSucceeded,
            "hook-failed" => HookOutputLogPolicy::HookFailed,
            other => HookOutputLogPolicy::Other(other.to_string()),
        }
    }

    /// Helm's name for the policy.
    pub fn as_str(&self) -> &str {
        match self {
            HookOutputLogPolicy::HookSucceeded => "hook-succeeded",
            HookOutputLogPolicy::HookFailed => "hook-failed",
            HookOutputLogPolicy::Other(s) => s,
        }
    }
}

/// A hook: Helm's `release.Hook`, a document Helm runs at an event
/// instead of applying it with the release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hook {
    /// `metadata.name`.
    pub name: String,
    /// `kind`.
    pub kind: String,
    /// The source path, as `# Source:` prints it.
    pub path: String,
    /// The document's text.
    pub manifest: String,
    /// The events it runs at, in annotation order.
    pub events: Vec<HookEvent>,
    /// `helm.sh/hook-weight` read with Go's `strconv.Atoi` (an `int`, 64
    /// bits), 0 when missing or not an integer. Orders execution only.
    pub weight: i64,
    /// `helm.sh/hook-delete-policy`, in annotation order.
    pub delete_policies: Vec<HookDeletePolicy>,
    /// `helm.sh/hook-output-log-policy`, in annotation order.
    pub output_log_policies: Vec<HookOutputLogPolicy>,
}

impl Hook {
    /// Whether it is a test hook (what `--skip-tests` leaves out).
    pub fn is_test(&self) -> bool {
        self.events.contains(&HookEvent::Test)
    }
}

/// A rendered release split as Helm splits it: hooks and manifests, each
/// in install order, and the notes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Release {
    /// The hooks, sorted by kind.
    pub hooks: Vec<Hook>,
    /// The manifests, sorted by kind.
    pub manifests: Vec<Manifest>,
    /// The root chart's rendered `templates/NOTES.txt` (empty if none).
    pub notes: String,
}

/// The errors of this stage, in Helm's words (what follows `Error: `).
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// A document that is not YAML, or whose head does not fit Helm's
    /// `SimpleHead` (`kind: [a]`, a document that is a plain string).
    #[error("YAML parse error on {path}: {message}")]
    YamlParse {
        /// The file's source path.
        path: String,
        /// sigs.k8s.io/yaml's message.
        message: String,
    },
    /// `--show-only` named a template no printed document came from.
    #[error("could not find template {0} in chart")]
    TemplateNotFound(String),
    /// Writing under `--output-dir` failed: Go's `*PathError` text
    /// (`open out/x.yaml: permission denied`).
    #[error("{message}")]
    OutputDir {
        /// The error text.
        message: String,
        /// Whether Helm met it while rendering (CRDs and manifests), which
        /// makes `helm template` append its `--debug` hint; hooks are
        /// written later.
        during_render: bool,
    },
    /// Writing the output stream failed (Go's `fmt.Fprintf` ignores this;
    /// a Rust writer reports it).
    #[error("writing the output: {0}")]
    Output(#[from] io::Error),
}

impl ManifestError {
    /// Whether `helm template` prints this error followed by
    /// `\n\nUse --debug flag to render out invalid YAML` (errors of the
    /// render itself, for which Helm still has a partial release).
    pub fn wants_debug_hint(&self) -> bool {
        match self {
            ManifestError::YamlParse { .. } => true,
            ManifestError::OutputDir { during_render, .. } => *during_render,
            ManifestError::TemplateNotFound(_) | ManifestError::Output(_) => false,
        }
    }
}

// ---------------------------------------------------------------------------
// Splitting

/// Helm's `SplitManifests`: the documents of one rendered file, in file
/// order (the order of its `manifest-N` keys). A separator is `---` at the
/// start of a line with the spaces and tabs after it; the rest of that line
/// belongs to the next document (`---apiVersion: v1` splits, `--- # x`
/// leaves `# x`). Whitespace-only documents are dropped; the others lose
/// leading whitespace only.
pub fn split_manifests<'a>(big_file: &'a str) -> Vec<&'a str> {
    let s = big_file.trim_start();
    let bytes = s.as_bytes();
    let mut docs = Vec::new();
    let mut push = |d: &'a str| {
        if !d.trim().is_empty() {
            docs.push(d.trim_start());
        }
    };
    let mut beg = 0;
    let mut line = 0;
    while line < bytes.len() {
        if bytes[line..].starts_with(b"---") {
            push(&s[beg..line]);
            let mut end = line + 3;
            while end < bytes.len() && (bytes[end] == b' ' || bytes[end] == b'\t') {
                end += 1;
            }
            beg = end;
        }
        match memchr_newline(&bytes[line..]) {
            Some(i) => line += i + 1,
            None => break,
        }
    }
    // SAFETY of the slice: `beg` is after ASCII bytes only.
    push(&s[beg..]);
    docs
}

fn memchr_newline(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

// ---------------------------------------------------------------------------
// Heads

/// What Go's decoder fills in: `metadata` is a pointer (`null` clears
/// it), `annotations` a map (`null` clears it).
#[derive(Default)]
struct SimpleHead {
    version: String,
    kind: String,
    metadata: Option<SimpleMeta>,
}

#[derive(Default)]
struct SimpleMeta {
    name: String,
    annotations: Option<BTreeMap<String, String>>,
}

impl SimpleHead {
    fn annotations(&self) -> Option<&BTreeMap<String, String>> {
        self.metadata.as_ref().and_then(|m| m.annotations.as_ref())
    }

    fn into_head(self) -> Head {
        let (name, annotations) = match self.metadata {
            Some(m) => (m.name, m.annotations.unwrap_or_default()),
            None => (String::new(), BTreeMap::new()),
        };
        Head {
            api_version: self.version,
            kind: self.kind,
            name,
            annotations,
        }
    }
}

const META_TYPE: &str =
    "struct { Name string \"json:\\\"name\\\"\"; Annotations map[string]string \"json:\\\"annotations\\\"\" }";

/// Reads a document's head as `yaml.Unmarshal(doc, &SimpleHead{})` does:
/// the whole document must be YAML sigs.k8s.io/yaml can turn into JSON;
/// then Go's `encoding/json` (v1 semantics on Go 1.27's decoder) fills the
/// struct: keys match field names case-insensitively (Unicode simple
/// folding: `KIND`, `Metadata`), in sorted key order so the last of two
/// matching keys wins, `null` leaves a string alone and clears `metadata`
/// or `annotations`, two `metadata` keys merge, and a value of the wrong
/// JSON type is an error naming its path.
///
/// # Errors
/// sigs.k8s.io/yaml's message (`error converting YAML to JSON: yaml: line
/// 3: ...`, `error unmarshaling JSON: while decoding JSON: json: cannot
/// unmarshal ...`).
pub fn parse_head(doc: &str) -> Result<Head, String> {
    decode_head(doc).map(SimpleHead::into_head)
}

fn decode_head(doc: &str) -> Result<SimpleHead, String> {
    let value = yaml::from_str_head(doc).map_err(|e| e.0)?;
    let mut head = SimpleHead::default();
    let mut err: Option<String> = None;
    match &value {
        Value::Nil => {}
        Value::Map(m) => {
            for (key, v) in m.borrow().iter() {
                let path = [&**key];
                if fold_eq(key, "apiVersion") {
                    decode_string(v, &mut head.version, &path, &mut err);
                } else if fold_eq(key, "kind") {
                    decode_string(v, &mut head.kind, &path, &mut err);
                } else if fold_eq(key, "metadata") {
                    decode_meta(v, &mut head.metadata, key, &mut err);
                }
            }
        }
        other => {
            return Err(json_error(format!(
                "cannot unmarshal {} into Go value of type util.SimpleHead",
                json_kind(other)
            )))
        }
    }
    match err {
        Some(e) => Err(json_error(e)),
        None => Ok(head),
    }
}

fn decode_meta(v: &Value, meta: &mut Option<SimpleMeta>, key: &str, err: &mut Option<String>) {
    match v {
        Value::Nil => *meta = None,
        Value::Map(m) => {
            let meta = meta.get_or_insert_with(SimpleMeta::default);
            for (k, v) in m.borrow().iter() {
                if fold_eq(k, "name") {
                    decode_string(v, &mut meta.name, &[key, k], err);
                } else if fold_eq(k, "annotations") {
                    decode_annotations(v, &mut meta.annotations, &[key, k], err);
                }
            }
        }
        other => type_error(err, other, &[key], META_TYPE),
    }
}

fn decode_annotations(
    v: &Value,
    annotations: &mut Option<BTreeMap<String, String>>,
    path: &[&str],
    err: &mut Option<String>,
) {
    match v {
        Value::Nil => *annotations = None,
        Value::Map(m) => {
            let annotations = annotations.get_or_insert_with(BTreeMap::new);
            for (k, v) in m.borrow().iter() {
                // A null element is the zero string, inserted.
                let mut s = String::new();
                decode_string(v, &mut s, &[path[0], path[1], k], err);
                annotations.insert(k.to_string(), s);
            }
        }
        other => type_error(err, other, path, "map[string]string"),
    }
}

/// A string field: sigs.k8s.io/yaml has already turned numbers and bools
/// into strings (the target is a string); `null` leaves it alone.
fn decode_string(v: &Value, out: &mut String, path: &[&str], err: &mut Option<String>) {
    match v {
        Value::Nil => {}
        Value::String(s) => *out = s.to_string(),
        Value::Bool(b) => *out = b.to_string(),
        Value::Int(i) | Value::Int64(i) => *out = i.to_string(),
        Value::Float(f) => *out = yaml_number_string(*f),
        other => type_error(err, other, path, "string"),
    }
}

/// The string sigs.k8s.io/yaml makes of a YAML number for a string field:
/// an `int` in decimal, a `float64` as `FormatFloat(f, 'g', -1, 32)`. The
/// value here went through JSON (a `float64` either way), so an integral
/// value is taken for an integer: exact below 1e6, where the two forms
/// agree. Above, [`yaml::from_str_head`] has already made the string from
/// the YAML's own type.
fn yaml_number_string(f: f64) -> String {
    if f.fract() == 0.0 && !(f == 0.0 && f.is_sign_negative()) {
        // goyaml's `int` (or `uint64` above it), when in range.
        if (0.0..1.8e19).contains(&f) {
            return format!("{}", f as u64);
        }
        if (-9.2e18..0.0).contains(&f) {
            return format!("{}", f as i64);
        }
    }
    gofmt::format_float(f, b'g', -1, 32)
}

fn type_error(err: &mut Option<String>, v: &Value, path: &[&str], go_type: &str) {
    if err.is_some() {
        return;
    }
    let mut field = String::new();
    for p in path {
        field.push('.');
        // Go 1.27's decoder names the field by its JSON Pointer tokens.
        field.push_str(&p.replace('~', "~0").replace('/', "~1"));
    }
    *err = Some(format!(
        "cannot unmarshal {} into Go struct field {field} of type {go_type}",
        json_kind(v)
    ));
}

fn json_error(msg: String) -> String {
    format!("error unmarshaling JSON: while decoding JSON: json: {msg}")
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Nil => "null",
        Value::Bool(_) => "bool",
        Value::Int(_) | Value::Int64(_) | Value::Uint64(_) | Value::Float(_) => "number",
        Value::String(_) | Value::Binary(_) => "string",
        Value::List(_) | Value::Bytes(_) => "array",
        Value::Map(_) | Value::Object(_) => "object",
    }
}

/// Go's `strings.ToLower`: rune by rune, simple mappings (`İ` is `i`).
fn go_to_lower(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.chars()
        .map(|c| {
            if c == '\u{130}' {
                return 'i';
            }
            let mut l = c.to_lowercase();
            match (l.next(), l.next()) {
                (Some(one), None) => one,
                _ => c,
            }
        })
        .collect()
}

/// The trimmed, lowercased words of a comma-separated annotation value
/// (Helm's `strings.Split` then `ToLower(TrimSpace(...))`).
fn annotation_words(value: &str) -> impl Iterator<Item = String> + '_ {
    value.split(',').map(|w| go_to_lower(w.trim()))
}

// ---------------------------------------------------------------------------
// Sorting

/// Go's `path.Base`.
fn go_base(path: &str) -> &str {
    if path.is_empty() {
        return ".";
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/";
    }
    match trimmed.rfind('/') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    }
}

/// Helm's `SortManifests` with `InstallOrder`: every file (in path order;
/// `_` partials and whitespace-only files skipped) split into documents,
/// each a hook or a manifest; both lists then sorted by kind. Files ending
/// in `NOTES.txt` are for [`sort_manifests`] to take out first.
///
/// # Errors
/// The first document whose head does not parse.
pub fn sort_files<'a, I>(files: I) -> Result<(Vec<Hook>, Vec<Manifest>), ManifestError>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut files: Vec<(&str, &str)> = files.into_iter().collect();
    files.sort_by(|a, b| a.0.cmp(b.0));
    let mut hooks = Vec::new();
    let mut generic = Vec::new();
    for (path, content) in files {
        if go_base(path).starts_with('_') || content.trim().is_empty() {
            continue;
        }
        for doc in split_manifests(content) {
            let entry = decode_head(doc).map_err(|message| ManifestError::YamlParse {
                path: path.to_string(),
                message,
            })?;
            sort_document(path, doc, entry, &mut hooks, &mut generic);
        }
    }
    sort_hooks_by_kind(&mut hooks, INSTALL_ORDER);
    sort_manifests_by_kind(&mut generic, INSTALL_ORDER);
    Ok((hooks, generic))
}

/// `manifestFile.sort` for one document.
fn sort_document(
    path: &str,
    doc: &str,
    entry: SimpleHead,
    hooks: &mut Vec<Hook>,
    generic: &mut Vec<Manifest>,
) {
    let hook_types = match entry.annotations() {
        Some(a) if !a.is_empty() => a.get(HOOK_ANNOTATION).cloned(),
        _ => None,
    };
    let Some(hook_types) = hook_types else {
        generic.push(Manifest {
            name: path.to_string(),
            content: doc.to_string(),
            head: entry.into_head(),
        });
        return;
    };
    let mut events = Vec::new();
    for word in annotation_words(&hook_types) {
        match HookEvent::parse(&word) {
            Some(e) => events.push(e),
            // Helm logs "skipping unknown hooks" and drops the document.
            None => return,
        }
    }
    let head = entry.into_head();
    let weight = head
        .annotations
        .get(HOOK_WEIGHT_ANNOTATION)
        .and_then(|w| go_atoi(w))
        .unwrap_or(0);
    let delete_policies = head
        .annotations
        .get(HOOK_DELETE_ANNOTATION)
        .map(|v| {
            annotation_words(v)
                .map(|w| HookDeletePolicy::parse(&w))
                .collect()
        })
        .unwrap_or_default();
    let output_log_policies = head
        .annotations
        .get(HOOK_OUTPUT_LOG_ANNOTATION)
        .map(|v| {
            annotation_words(v)
                .map(|w| HookOutputLogPolicy::parse(&w))
                .collect()
        })
        .unwrap_or_default();
    hooks.push(Hook {
        name: head.name,
        kind: head.kind,
        path: path.to_string(),
        manifest: doc.to_string(),
        events,
        weight,
        delete_policies,
        output_log_policies,
    });
}

/// Go's `strconv.Atoi` on a 64-bit platform: optional sign, decimal
/// digits, nothing else, in range.
fn go_atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A kind's place in `order`: its index, or after every listed kind.
fn kind_rank(kind: &str, order: &[&str]) -> Option<usize> {
    order.iter().position(|k| *k == kind)
}

/// Helm's `lessByKind` as an ordering: listed kinds by their place,
/// unlisted ones after them, alphabetically among themselves; equal kinds
/// compare equal (the sort is stable).
fn by_kind(a: (Option<usize>, &str), b: (Option<usize>, &str)) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a.0, b.0) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.1.cmp(b.1),
    }
}

fn sort_by_kind<T>(items: &mut Vec<T>, order: &[&str], kind: impl Fn(&T) -> &str) {
    let mut ranked: Vec<(Option<usize>, T)> = items
        .drain(..)
        .map(|t| (kind_rank(kind(&t), order), t))
        .collect();
    ranked.sort_by(|a, b| by_kind((a.0, kind(&a.1)), (b.0, kind(&b.1))));
    items.extend(ranked.into_iter().map(|(_, t)| t));
}

/// Helm's `sortManifestsByKind`: a stable sort by kind in `order`
/// ([`INSTALL_ORDER`] or [`UNINSTALL_ORDER`]), unknown kinds last and
/// alphabetical.
pub fn sort_manifests_by_kind(manifests: &mut Vec<Manifest>, order: &[&str]) {
    sort_by_kind(manifests, order, |m| &m.head.kind);
}

/// Helm's `sortHooksByKind`: as [`sort_manifests_by_kind`]; weights play
/// no part.
pub fn sort_hooks_by_kind(hooks: &mut Vec<Hook>, order: &[&str]) {
    sort_by_kind(hooks, order, |h| &h.kind);
}

/// Helm's `renderResources` from the rendered files on: the root chart's
/// `templates/NOTES.txt` becomes the notes, every file ending in
/// `NOTES.txt` leaves the manifests, and the rest is split and sorted
/// ([`sort_files`]). `files` maps source paths (`chart/templates/x.yaml`)
/// to rendered text; `root_chart` is the root chart's name.
///
/// # Errors
/// A document whose head does not parse, as Helm words it.
pub fn sort_manifests(
    files: &BTreeMap<String, String>,
    root_chart: &str,
) -> Result<Release, ManifestError> {
    let notes_path = if root_chart.is_empty() {
        format!("templates/{NOTES_FILE_SUFFIX}")
    } else {
        go_clean(&format!("{root_chart}/templates/{NOTES_FILE_SUFFIX}"))
    };
    let notes = files.get(&notes_path).cloned().unwrap_or_default();
    let (hooks, manifests) = sort_files(
        files
            .iter()
            .filter(|(k, _)| !k.ends_with(NOTES_FILE_SUFFIX))
            .map(|(k, v)| (k.as_str(), v.as_str())),
    )?;
    Ok(Release {
        hooks,
        manifests,
        notes,
    })
}

// ---------------------------------------------------------------------------
// Printing

/// How `helm template` prints (its flags that act after rendering).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrintOptions {
    /// `--include-crds`: the CRDs of the chart and its subcharts first.
    pub include_crds: bool,
    /// `--skip-tests`: leave out test hooks.
    pub skip_tests: bool,
    /// `--no-hooks`: leave out every hook.
    pub no_hooks: bool,
    /// `--show-only` (repeatable): only documents whose `# Source:` path,
    /// without the chart name, matches one of these Go `filepath.Match`
    /// patterns; a pattern matching nothing is an error.
    pub show_only: Vec<String>,
    /// `--output-dir`: write files under this directory instead of
    /// printing them (an empty path means none, as in Helm).
    pub output_dir: Option<PathBuf>,
    /// `--release-name`: put the files under `DIR/RELEASE/` (CRDs stay
    /// directly under `DIR`, as in Helm).
    pub use_release_name: bool,
    /// The release name, for `use_release_name`.
    pub release_name: String,
}

/// A CRD file from `crds/` of some chart, as `--include-crds` prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrdFile {
    /// Its source path: the chart's full path and the file name
    /// (`mychart/charts/sub/crds/x.yaml`).
    pub path: String,
    /// Its content, as in the chart (never templated).
    pub content: String,
}

/// Helm's `CRDObjects` for a rendered chart: the `crds/` files with a
/// manifest extension (`.yaml`, `.yml`, `.json`, any case) of the chart,
/// then of each enabled dependency, depth first; paths are the chart's full
/// path (`parent/charts/alias`) joined with the file name.
pub fn crd_files(scope: &Scope<'_>) -> Vec<CrdFile> {
    let mut out = Vec::new();
    collect_crds(scope, scope.name(), &mut out);
    out
}

fn collect_crds(scope: &Scope<'_>, full_path: &str, out: &mut Vec<CrdFile>) {
    for f in scope.chart.files.iter() {
        if f.name.starts_with("crds/") && has_manifest_extension(&f.name) {
            out.push(CrdFile {
                path: go_clean(&format!("{full_path}/{}", f.name)),
                content: String::from_utf8_lossy(&f.data).into_owned(),
            });
        }
    }
    for dep in &scope.dependencies {
        collect_crds(dep, &format!("{full_path}/charts/{}", dep.name()), out);
    }
}

/// Helm's `hasManifestExtension`: `filepath.Ext` is `.yaml`, `.yml` or
/// `.json` under `strings.EqualFold`.
fn has_manifest_extension(name: &str) -> bool {
    let base_start = name.rfind('/').map_or(0, |i| i + 1);
    let ext = match name[base_start..].rfind('.') {
        Some(i) => &name[base_start + i..],
        None => "",
    };
    [".yaml", ".yml", ".json"].iter().any(|e| fold_eq(ext, e))
}

/// What `helm template` writes to stdout for `release` (and, with
/// `--output-dir`, the files it writes, its stdout then being the
/// `wrote PATH` lines and an empty line). `crds` are printed first with
/// `--include-crds`.
///
/// # Errors
/// `--show-only` patterns matching nothing, files that cannot be written.
/// Helm has printed the `wrote` lines before such an error; use
/// [`write_template`] to get them out as Helm does.
pub fn print_template(
    release: &Release,
    crds: &[CrdFile],
    opts: &PrintOptions,
) -> Result<String, ManifestError> {
    let mut out = Vec::new();
    write_template(release, crds, opts, &mut out)?;
    Ok(String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// [`print_template`] onto a stream, in Helm's order: with `--output-dir`
/// each `wrote PATH` line goes out as its file is written.
///
/// # Errors
/// As [`print_template`], and failures of `out`.
pub fn write_template(
    release: &Release,
    crds: &[CrdFile],
    opts: &PrintOptions,
    out: &mut dyn Write,
) -> Result<(), ManifestError> {
    let output_dir = opts
        .output_dir
        .as_ref()
        .map(|d| d.to_string_lossy().into_owned())
        .filter(|d| !d.is_empty());

    // renderResources: the release manifest (CRDs, then manifests).
    let mut manifest = String::new();
    match &output_dir {
        None => {
            let size: usize = release
                .manifests
                .iter()
                .map(|m| m.content.len() + m.name.len() + 16)
                .sum();
            manifest.reserve(size);
            if opts.include_crds {
                for crd in crds {
                    push_document(&mut manifest, &crd.path, &crd.content);
                }
            }
            for m in &release.manifests {
                push_document(&mut manifest, &m.name, &m.content);
            }
        }
        Some(dir) => {
            let mut written: std::collections::HashSet<&str> = std::collections::HashSet::new();
            if opts.include_crds {
                for crd in crds {
                    let append = written.contains(crd.path.as_str());
                    write_to_file(dir, &crd.path, &crd.content, append, out, true)?;
                    written.insert(&crd.path);
                }
            }
            let new_dir = release_dir(dir, opts);
            for m in &release.manifests {
                let append = written.contains(m.name.as_str());
                write_to_file(&new_dir, &m.name, &m.content, append, out, true)?;
                written.insert(&m.name);
            }
        }
    }

    // template.go: the trimmed manifest, one newline, then the hooks.
    let mut manifests = String::with_capacity(manifest.len() + 1);
    manifests.push_str(manifest.trim());
    manifests.push('\n');
    drop(manifest);
    if !opts.no_hooks {
        let new_dir = output_dir.as_deref().map(|d| release_dir(d, opts));
        for h in &release.hooks {
            if opts.skip_tests && h.is_test() {
                continue;
            }
            match &new_dir {
                None => push_document(&mut manifests, &h.path, &h.manifest),
                Some(dir) => {
                    let target = go_clean(&format!("{dir}/{}", h.path));
                    let append = std::fs::metadata(&target).is_ok();
                    write_to_file(dir, &h.path, &h.manifest, append, out, false)?;
                }
            }
        }
    }

    if opts.show_only.is_empty() {
        out.write_all(manifests.as_bytes())?;
        return Ok(());
    }
    let split = split_manifests(&manifests);
    let mut to_render: Vec<&str> = Vec::new();
    for pattern in &opts.show_only {
        let mut missing = true;
        for doc in &split {
            let Some(manifest_path) = source_path(doc) else {
                continue;
            };
            if !go_match(pattern, manifest_path).unwrap_or(false) {
                continue;
            }
            to_render.push(doc);
            missing = false;
        }
        if missing {
            return Err(ManifestError::TemplateNotFound(pattern.clone()));
        }
    }
    for doc in to_render {
        out.write_all(b"---\n")?;
        out.write_all(doc.as_bytes())?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

fn push_document(buf: &mut String, path: &str, content: &str) {
    buf.push_str("---\n# Source: ");
    buf.push_str(path);
    buf.push('\n');
    buf.push_str(content);
    buf.push('\n');
}

/// The directory manifests and hooks go to: `DIR`, or
/// `filepath.Join(DIR, RELEASE)` with `--release-name`.
fn release_dir(dir: &str, opts: &PrintOptions) -> String {
    if opts.use_release_name {
        go_clean(&format!("{dir}/{}", opts.release_name))
    } else {
        dir.to_string()
    }
}

/// The first match of `# Source: [^/]+/(.+)` in a document: the source
/// path after the chart's name (`[^/]` crosses newlines, `.` does not).
fn source_path(doc: &str) -> Option<&str> {
    const MARK: &str = "# Source: ";
    let mut from = 0;
    while let Some(i) = doc[from..].find(MARK) {
        let start = from + i + MARK.len();
        from = from + i + 1;
        let rest = &doc[start..];
        let Some(slash) = rest.find('/') else {
            // No slash after here: no later start can match either.
            return None;
        };
        if slash == 0 {
            continue;
        }
        let tail = &rest[slash + 1..];
        let line = match tail.find('\n') {
            Some(n) => &tail[..n],
            None => tail,
        };
        if !line.is_empty() {
            return Some(line);
        }
    }
    None
}

/// Helm's `writeToFile`: `DIR/NAME` (joined by plain concatenation, as the
/// `wrote` line shows it) created or appended with the document, then the
/// `wrote` line on stdout.
fn write_to_file(
    dir: &str,
    name: &str,
    data: &str,
    append: bool,
    out: &mut dyn Write,
    during_render: bool,
) -> Result<(), ManifestError> {
    let outfile = format!("{dir}/{name}");
    let fail = |message: String| ManifestError::OutputDir {
        message,
        during_render,
    };
    ensure_directory_for_file(&outfile).map_err(fail)?;
    let mut options = std::fs::OpenOptions::new();
    if append {
        options.append(true);
    } else {
        options.write(true).create(true).truncate(true);
    }
    let mut f = options
        .open(&outfile)
        .map_err(|e| fail(path_error("open", &outfile, &e)))?;
    let mut text = String::with_capacity(data.len() + name.len() + 16);
    push_document(&mut text, name, data);
    f.write_all(text.as_bytes())
        .map_err(|e| fail(path_error("write", &outfile, &e)))?;
    writeln!(out, "wrote {outfile}")?;
    Ok(())
}

/// Helm's `ensureDirectoryForFile`: a `stat` error other than "does not
/// exist" stops, else `os.MkdirAll(dir, 0755)`.
fn ensure_directory_for_file(file: &str) -> Result<(), String> {
    let base = go_dir(file);
    if let Err(e) = std::fs::metadata(&base) {
        if e.kind() != io::ErrorKind::NotFound {
            return Err(path_error("stat", &base, &e));
        }
    }
    go_mkdir_all(&base)
}

/// Go's `os.MkdirAll(path, 0o755)`, with its error texts.
fn go_mkdir_all(path: &str) -> Result<(), String> {
    if let Ok(md) = std::fs::metadata(path) {
        if md.is_dir() {
            return Ok(());
        }
        return Err(format!("mkdir {path}: not a directory"));
    }
    let b = path.as_bytes();
    let mut i = b.len();
    while i > 0 && b[i - 1] == b'/' {
        i -= 1;
    }
    let mut j = i;
    while j > 0 && b[j - 1] != b'/' {
        j -= 1;
    }
    if j > 1 {
        go_mkdir_all(&path[..j - 1])?;
    }
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o755);
    }
    match builder.create(path) {
        Ok(()) => Ok(()),
        Err(e) => match std::fs::symlink_metadata(path) {
            Ok(md) if md.is_dir() => Ok(()),
            _ => Err(path_error("mkdir", path, &e)),
        },
    }
}

/// Go's `*PathError` text: `op path: message`, the message as Go's errno
/// table words it (the C library's, lowercased).
fn path_error(op: &str, path: &str, e: &io::Error) -> String {
    let text = e.to_string();
    let text = match text.find(" (os error ") {
        Some(i) => &text[..i],
        None => &text,
    };
    let mut chars = text.chars();
    let msg: String = match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    };
    format!("{op} {path}: {msg}")
}

// ---------------------------------------------------------------------------
// Go's path helpers

/// Go's `path.Clean` (`filepath.Clean` on Unix): the template engine's.
fn go_clean(path: &str) -> String {
    crate::template::funcs::strings::path_clean(path)
}

/// Go's `filepath.Dir`.
fn go_dir(path: &str) -> String {
    let i = path.rfind('/').map_or(0, |i| i + 1);
    go_clean(&path[..i])
}

/// `filepath.ErrBadPattern`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadPattern;

/// Go's `filepath.Match` on Unix: `*` any run of non-`/` bytes, `?` one
/// non-`/` character, `[...]` classes (`^` negates, `a-z` ranges), `\`
/// escapes. Byte-wise, as Go's (a `*` may resume inside a character).
pub(crate) fn go_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    let mut pattern = pattern.as_bytes();
    let mut name = name.as_bytes();
    'outer: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            // A trailing `*` matches the rest unless it has a `/`.
            return Ok(!name.contains(&b'/'));
        }
        let (t, ok) = match_chunk(chunk, name)?;
        if ok && (t.is_empty() || !pattern.is_empty()) {
            name = t;
            continue;
        }
        if star {
            let mut i = 0;
            while i < name.len() && name[i] != b'/' {
                let (t, ok) = match_chunk(chunk, &name[i + 1..])?;
                if ok {
                    // The last chunk must use the whole name.
                    if pattern.is_empty() && !t.is_empty() {
                        i += 1;
                        continue;
                    }
                    name = t;
                    continue 'outer;
                }
                i += 1;
            }
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// Go's `scanChunk`: leading stars, then the chunk up to the next star
/// outside a class.
fn scan_chunk(pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let mut start = 0;
    let mut star = false;
    while start < pattern.len() && pattern[start] == b'*' {
        start += 1;
        star = true;
    }
    let mut in_range = false;
    let mut i = start;
    while i < pattern.len() {
        match pattern[i] {
            b'\\' if i + 1 < pattern.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    (star, &pattern[start..i], &pattern[i..])
}

/// Go's `matchChunk`: the rest of `s` and whether the chunk matched its
/// start. After a mismatch the chunk is still read through, so a malformed
/// pattern is an error wherever it fails.
fn match_chunk<'s>(chunk: &[u8], s: &'s [u8]) -> Result<(&'s [u8], bool), BadPattern> {
    let mut c = 0;
    let mut si = 0;
    let mut failed = false;
    while c < chunk.len() {
        if !failed && si >= s.len() {
            failed = true;
        }
        match chunk[c] {
            b'[' => {
                let mut r: u32 = 0;
                if !failed {
                    let (ch, n) = decode_rune(&s[si..]);
                    r = ch;
                    si += n;
                }
                c += 1;
                let mut negated = false;
                if c < chunk.len() && chunk[c] == b'^' {
                    negated = true;
                    c += 1;
                }
                let mut matched = false;
                let mut nrange = 0;
                loop {
                    if c < chunk.len() && chunk[c] == b']' && nrange > 0 {
                        c += 1;
                        break;
                    }
                    let (lo, next) = get_esc(chunk, c)?;
                    c = next;
                    let mut hi = lo;
                    if chunk[c] == b'-' {
                        let (h, next) = get_esc(chunk, c + 1)?;
                        hi = h;
                        c = next;
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    nrange += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            b'?' => {
                if !failed {
                    if s[si] == b'/' {
                        failed = true;
                    }
                    let (_, n) = decode_rune(&s[si..]);
                    si += n;
                }
                c += 1;
            }
            first => {
                let mut lit = first;
                if first == b'\\' {
                    c += 1;
                    if c >= chunk.len() {
                        return Err(BadPattern);
                    }
                    lit = chunk[c];
                }
                if !failed {
                    if lit != s[si] {
                        failed = true;
                    }
                    si += 1;
                }
                c += 1;
            }
        }
    }
    if failed {
        return Ok((&[], false));
    }
    Ok((&s[si..], true))
}

/// Go's `getEsc`: one (possibly escaped) character of a class, and the
/// offset after it.
fn get_esc(cb: &[u8], mut c: usize) -> Result<(u32, usize), BadPattern> {
    if c >= cb.len() || cb[c] == b'-' || cb[c] == b']' {
        return Err(BadPattern);
    }
    if cb[c] == b'\\' {
        c += 1;
        if c >= cb.len() {
            return Err(BadPattern);
        }
    }
    let (r, n) = decode_rune(&cb[c..]);
    if r == 0xFFFD && n == 1 {
        return Err(BadPattern);
    }
    let next = c + n;
    if next >= cb.len() {
        return Err(BadPattern);
    }
    Ok((r, next))
}

/// Go's `utf8.DecodeRune`: (rune, width), U+FFFD of width 1 for bytes
/// that are not a character.
fn decode_rune(b: &[u8]) -> (u32, usize) {
    if b.is_empty() {
        return (0xFFFD, 0);
    }
    let width = match b[0] {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    };
    match b.get(..width).and_then(|s| std::str::from_utf8(s).ok()) {
        Some(s) => (s.chars().next().map_or(0xFFFD, u32::from), width),
        None => (0xFFFD, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `renderResources` + `helm template` with no flags, on files as the
    /// engine hands them over.
    fn render(files: &[(&str, &str)], root: &str) -> Result<String, ManifestError> {
        let files: BTreeMap<String, String> = files
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let release = sort_manifests(&files, root)?;
        print_template(&release, &[], &PrintOptions::default())
    }

    fn manifest(name: &str, kind: &str) -> Manifest {
        Manifest {
            name: name.into(),
            content: String::new(),
            head: Head {
                kind: kind.into(),
                ..Head::default()
            },
        }
    }

    fn hook(name: &str, kind: &str) -> Hook {
        Hook {
            name: name.into(),
            kind: kind.into(),
            path: String::new(),
            manifest: String::new(),
            events: Vec::new(),
            weight: 0,
            delete_policies: Vec::new(),
            output_log_policies: Vec::new(),
        }
    }

    // -- manifest_test.go: TestSplitManifests --------------------------------

    #[test]
    fn split_manifests_helm_cases() {
        let cm = |n: &str| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {n}\n");
        let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: finding-nemo,\n  annotations:\n    \"helm.sh/hook\": test\nspec:\n  containers:\n  - name: nemo-test\n    image: fake-image\n    cmd: fake-command\n";
        let block = |ind: &str, tail: &str| {
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: test\ndata:\n  key: {ind}\n    hello{tail}")
        };
        let mut cases: Vec<(String, Vec<String>)> = vec![
            (format!("\n\n---\n{pod}"), vec![pod.to_string()]),
            (String::new(), vec![]),
            ("  \n\n  \n".into(), vec![]),
            (format!("---\n{}---\n  \n", cm("cm1")), vec![cm("cm1")]),
            (format!("\n{}", cm("test")), vec![cm("test")]),
            (
                format!("\n{}---\n{}", cm("cm1"), cm("cm2")),
                vec![cm("cm1"), cm("cm2")],
            ),
            // Glued separators (`---apiVersion`), which Helm splits back.
            (format!("\n---{}", cm("cm1")), vec![cm("cm1")]),
            (
                format!("\n{}---{}", cm("cm1"), cm("cm2")),
                vec![cm("cm1"), cm("cm2")],
            ),
            (
                format!("\n---{}---{}---{}", cm("cm1"), cm("cm2"), cm("cm3")),
                vec![cm("cm1"), cm("cm2"), cm("cm3")],
            ),
            (
                format!("\n{}---\n{}---{}", cm("cm1"), cm("cm2"), cm("cm3")),
                vec![cm("cm1"), cm("cm2"), cm("cm3")],
            ),
            // Multi-document: a non-last document keeps its newlines.
            (
                format!("\n{}\n---\n{}", block("|", ""), cm("test2")),
                vec![format!("{}\n", block("|", "")), cm("test2")],
            ),
            (
                format!("\n{}\n\n\n---\n{}", block("|+", ""), cm("test2")),
                vec![format!("{}\n\n\n", block("|+", "")), cm("test2")],
            ),
        ];
        // Block scalars with 0, 1 and 2 trailing newlines stay as written.
        for ind in ["|", "|-", "|+"] {
            for tail in ["", "\n", "\n\n"] {
                cases.push((format!("\n{}", block(ind, tail)), vec![block(ind, tail)]));
            }
        }
        for (input, want) in cases {
            assert_eq!(split_manifests(&input), want, "input {input:?}");
        }
    }

    #[test]
    fn split_manifests_corner_cases() {
        // The rest of a separator line starts the next document.
        assert_eq!(split_manifests("--- # c\na: 1\n"), ["# c\na: 1\n"]);
        assert_eq!(split_manifests("a: 1\n---\t \tb: 2"), ["a: 1\n", "b: 2"]);
        // `----` leaves a `-`; `------` a `---` (YAML's document start).
        assert_eq!(
            split_manifests("a: 1\n------\nb: 2\n"),
            ["a: 1\n", "---\nb: 2\n"]
        );
        // Only at a line start; indented ones stay.
        assert_eq!(
            split_manifests("a: |\n  ---\n  x\n"),
            ["a: |\n  ---\n  x\n"]
        );
        assert_eq!(split_manifests("a: 1 ---\n"), ["a: 1 ---\n"]);
        // CRLF: the `\r` is whitespace after the separator.
        assert_eq!(
            split_manifests("a: 1\r\n---\r\nb: 2\r\n"),
            ["a: 1\r\n", "b: 2\r\n"]
        );
        // Nothing but separators and whitespace.
        assert!(split_manifests("---").is_empty());
        assert!(split_manifests("---\n\n---\n---\n \t\n---").is_empty());
        // Unicode whitespace is whitespace (Go's unicode.IsSpace).
        assert!(split_manifests("\u{a0}\n---\u{2028}\n").is_empty());
        assert_eq!(split_manifests("\u{85}x"), ["x"]);
    }

    // -- manifest_sorter_test.go: TestSortManifests --------------------------

    #[test]
    fn sort_manifests_helm_case() {
        let data: &[(&str, &str)] = &[
            ("one", "apiVersion: v1\nkind: Job\nmetadata:\n  name: first\n  labels:\n    doesnot: matter\n  annotations:\n    \"helm.sh/hook\": pre-install\n"),
            ("two", "kind: ReplicaSet\napiVersion: v1beta1\nmetadata:\n  name: second\n  annotations:\n    \"helm.sh/hook\": post-install\n"),
            ("three", "kind: ReplicaSet\napiVersion: v1beta1\nmetadata:\n  name: third\n  annotations:\n    \"helm.sh/hook\": no-such-hook\n"),
            ("four", "kind: Pod\napiVersion: v1\nmetadata:\n  name: fourth\n  annotations:\n    nothing: here"),
            ("five", "kind: ReplicaSet\napiVersion: v1beta1\nmetadata:\n  name: fifth\n  annotations:\n    \"helm.sh/hook\": post-delete, post-install\n"),
            // Partials are skipped (this one would not parse).
            ("six/_six", "invalid manifest"),
            // Empty files are skipped.
            ("seven", ""),
            ("eight", "kind: ConfigMap\napiVersion: v1\nmetadata:\n  name: eighth\ndata:\n  name: value\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: example-test\n  annotations:\n    \"helm.sh/hook\": test\n"),
        ];
        let (hooks, generic) = sort_files(data.iter().copied()).unwrap();
        assert_eq!(generic.len(), 2);
        assert_eq!(hooks.len(), 4);
        let events = |name: &str| {
            hooks
                .iter()
                .find(|h| h.name == name)
                .map(|h| h.events.clone())
        };
        use HookEvent::*;
        assert_eq!(events("first"), Some(vec![PreInstall]));
        assert_eq!(events("second"), Some(vec![PostInstall]));
        assert_eq!(events("third"), None);
        assert_eq!(events("fifth"), Some(vec![PostDelete, PostInstall]));
        assert_eq!(events("example-test"), Some(vec![Test]));
        let h = hooks.iter().find(|h| h.name == "first").unwrap();
        assert_eq!((h.kind.as_str(), h.path.as_str()), ("Job", "one"));
        // Manifests in install order: the ConfigMap before the Pod.
        let names: Vec<&str> = generic.iter().map(|m| m.head.name.as_str()).collect();
        assert_eq!(names, ["eighth", "fourth"]);
        assert_eq!(generic[1].content, data[3].1);
        assert_eq!(generic[0].name, "eight");
    }

    // -- kind_sorter_test.go -------------------------------------------------

    #[test]
    fn kind_sorter_install_and_uninstall() {
        let kinds = [
            ("U", "IngressClass"),
            ("E", "SecretList"),
            ("i", "ClusterRole"),
            ("I", "ClusterRoleList"),
            ("j", "ClusterRoleBinding"),
            ("J", "ClusterRoleBindingList"),
            ("f", "ConfigMap"),
            ("u", "CronJob"),
            ("2", "CustomResourceDefinition"),
            ("n", "DaemonSet"),
            ("r", "Deployment"),
            ("!", "HonkyTonkSet"),
            ("v", "Ingress"),
            ("t", "Job"),
            ("c", "LimitRange"),
            ("a", "Namespace"),
            ("A", "NetworkPolicy"),
            ("g", "PersistentVolume"),
            ("h", "PersistentVolumeClaim"),
            ("o", "Pod"),
            ("3", "PodDisruptionBudget"),
            ("C", "PodSecurityPolicy"),
            ("q", "ReplicaSet"),
            ("p", "ReplicationController"),
            ("b", "ResourceQuota"),
            ("k", "Role"),
            ("K", "RoleList"),
            ("l", "RoleBinding"),
            ("L", "RoleBindingList"),
            ("e", "Secret"),
            ("m", "Service"),
            ("d", "ServiceAccount"),
            ("s", "StatefulSet"),
            ("1", "StorageClass"),
            ("w", "APIService"),
            ("x", "HorizontalPodAutoscaler"),
            ("F", "PriorityClass"),
            ("M", "MutatingWebhookConfiguration"),
            ("V", "ValidatingWebhookConfiguration"),
        ];
        let manifests: Vec<Manifest> = kinds.iter().map(|(n, k)| manifest(n, k)).collect();
        for (order, want) in [
            (INSTALL_ORDER, "FaAbcC3deEf1gh2iIjJkKlLmnopqrxstuUvwMV!"),
            (UNINSTALL_ORDER, "VMwvUmutsxrqponLlKkJjIi2hg1fEed3CcbAaF!"),
        ] {
            let mut m = manifests.clone();
            sort_manifests_by_kind(&mut m, order);
            let got: String = m.iter().map(|m| m.name.as_str()).collect();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn kind_sorter_keeps_original_order() {
        let mut m: Vec<Manifest> = [
            ("a", "ClusterRole"),
            ("A", "ClusterRole"),
            ("0", "ConfigMap"),
            ("1", "ConfigMap"),
            ("z", "ClusterRoleBinding"),
            ("!", "ClusterRoleBinding"),
            ("u2", "Unknown"),
            ("u1", "Unknown"),
            ("t3", "Unknown2"),
        ]
        .iter()
        .map(|(n, k)| manifest(n, k))
        .collect();
        sort_manifests_by_kind(&mut m, INSTALL_ORDER);
        let got: String = m.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(got, "01aAz!u2u1t3");
    }

    #[test]
    fn kind_sorter_namespace_before_unknown_and_unknowns_alphabetical() {
        let mut m = vec![manifest("a", "Unknown"), manifest("b", "Namespace")];
        sort_manifests_by_kind(&mut m, INSTALL_ORDER);
        assert_eq!(m[0].name, "b");
        // Unknown kinds: byte order of the kind, the empty kind first.
        let mut m = vec![
            manifest("z", "Zeta"),
            manifest("l", "alpha"),
            manifest("A", "Alpha"),
            manifest("e", ""),
            manifest("s", "Service"),
        ];
        sort_manifests_by_kind(&mut m, INSTALL_ORDER);
        let got: String = m.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(got, "seAzl");
    }

    #[test]
    fn kind_sorter_for_hooks() {
        let hooks = vec![
            hook("i", "ClusterRole"),
            hook("j", "ClusterRoleBinding"),
            hook("c", "LimitRange"),
            hook("a", "Namespace"),
        ];
        for (order, want) in [(INSTALL_ORDER, "acij"), (UNINSTALL_ORDER, "jica")] {
            let mut h = hooks.clone();
            sort_hooks_by_kind(&mut h, order);
            let got: String = h.iter().map(|h| h.name.as_str()).collect();
            assert_eq!(got, want);
        }
    }

    // -- hooks and heads -----------------------------------------------------

    #[test]
    fn hook_annotations_read_as_helm_reads_them() {
        let doc = |ann: &str| {
            format!("kind: Job\nmetadata:\n  name: j\n  annotations:\n    helm.sh/hook: pre-install\n{ann}")
        };
        let weight = |w: &str| {
            let files = [(
                "c/templates/j.yaml",
                doc(&format!("    helm.sh/hook-weight: {w}\n")),
            )];
            let (hooks, _) = sort_files(files.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
            hooks[0].weight
        };
        assert_eq!(weight("\"-5\""), -5);
        assert_eq!(weight("5"), 5);
        assert_eq!(weight("\"+3\""), 3);
        assert_eq!(weight("\"99999999999\""), 99_999_999_999);
        for bad in [
            "abc",
            "\"\"",
            "\" 5\"",
            "\"1_000\"",
            "\"9223372036854775808\"",
            "1.5",
            "\"-\"",
        ] {
            assert_eq!(weight(bad), 0, "{bad}");
        }
        let text = doc(concat!(
            "    helm.sh/hook-delete-policy: \"Before-Hook-Creation, hook-succeeded,,bogus\"\n",
            "    helm.sh/hook-output-log-policy: hook-failed\n",
        ));
        let (hooks, _) = sort_files([("c/templates/j.yaml", text.as_str())]).unwrap();
        assert_eq!(
            hooks[0].delete_policies,
            [
                HookDeletePolicy::BeforeHookCreation,
                HookDeletePolicy::HookSucceeded,
                HookDeletePolicy::Other(String::new()),
                HookDeletePolicy::Other("bogus".into()),
            ]
        );
        assert_eq!(
            hooks[0].output_log_policies,
            [HookOutputLogPolicy::HookFailed]
        );
        assert_eq!(hooks[0].name, "j");
        assert_eq!(hooks[0].manifest, text);
        // Events: trimmed, lowercased (Go's simple mappings), test-success.
        let text = doc("").replace("pre-install", "' PRE-İNSTALL ,Test-Success,post-delete'");
        let (hooks, _) = sort_files([("c/templates/j.yaml", text.as_str())]).unwrap();
        use HookEvent::*;
        assert_eq!(hooks[0].events, [PreInstall, Test, PostDelete]);
        assert!(hooks[0].is_test());
        // One unknown event drops the document: neither hook nor manifest.
        for events in ["pre-install,crd-install", "''", "", "pre-install,"] {
            let text = doc("").replace("pre-install", events);
            let (hooks, generic) = sort_files([("c/templates/j.yaml", text.as_str())]).unwrap();
            assert!(hooks.is_empty() && generic.is_empty(), "{events:?}");
        }
    }

    #[test]
    fn event_and_policy_names() {
        use HookEvent::*;
        for e in [
            PreInstall,
            PostInstall,
            PreDelete,
            PostDelete,
            PreUpgrade,
            PostUpgrade,
            PreRollback,
            PostRollback,
            Test,
        ] {
            assert_eq!(HookEvent::parse(e.as_str()), Some(e));
            assert_eq!(e.to_string(), e.as_str());
        }
        assert_eq!(HookEvent::parse("test-success"), Some(Test));
        assert_eq!(HookEvent::parse("crd-install"), None);
        for p in [
            "before-hook-creation",
            "hook-succeeded",
            "hook-failed",
            "other",
        ] {
            assert_eq!(HookDeletePolicy::parse(p).as_str(), p);
        }
        for p in ["hook-succeeded", "hook-failed", "other"] {
            assert_eq!(HookOutputLogPolicy::parse(p).as_str(), p);
        }
    }

    #[test]
    fn heads_read_as_sigs_yaml_into_simple_head() {
        let h = parse_head(concat!(
            "apiVersion: 1.5\nKind: true\nmetadata:\n  name: 123\n",
            "  annotations:\n    a: yes\n    b: 0.1\n    c: ~\n    d: 1000000\n    e: -0.0\n",
        ))
        .unwrap();
        assert_eq!(h.api_version, "1.5");
        assert_eq!(h.kind, "true");
        assert_eq!(h.name, "123");
        let ann: Vec<(&str, &str)> = h
            .annotations
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            ann,
            [
                ("a", "true"),
                ("b", "0.1"),
                ("c", ""),
                ("d", "1000000"),
                ("e", "-0")
            ]
        );
        // A float in a string field keeps YAML's float form from 1e6 on,
        // and a non-finite one is a string there, not a JSON error (as
        // sigs.k8s.io/yaml converts towards the target struct).
        let h = parse_head(concat!(
            "apiVersion: 1e6\nkind: 2000000.0\nmetadata:\n  name: .inf\n",
            "  annotations:\n    a: .nan\n    b: -.Inf\n    c: 3000000\n",
        ))
        .unwrap();
        assert_eq!(
            (h.api_version.as_str(), h.kind.as_str(), h.name.as_str()),
            ("1e+06", "2e+06", "+Inf")
        );
        let ann: Vec<(&str, &str)> = h
            .annotations
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(ann, [("a", "NaN"), ("b", "-Inf"), ("c", "3000000")]);
        assert!(parse_head("kind: A\ndata:\n  a: .inf\n").is_err());
        // Comments only, null, empty: an empty head.
        for doc in ["# c\n", "~\n", "", "---\n"] {
            assert_eq!(parse_head(doc).unwrap(), Head::default(), "{doc:?}");
        }
        // Only the first YAML document counts.
        assert_eq!(parse_head("kind: A\n...\nkind: [\n").unwrap().kind, "A");
        // The 60-err-yaml-parse case of the conformance corpus.
        let err = render(
            &[(
                "erryaml/templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: b\n    c: d\n",
            )],
            "erryaml",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "YAML parse error on erryaml/templates/cm.yaml: error converting YAML to JSON: yaml: line 7: mapping values are not allowed in this context"
        );
    }

    // -- renderResources -----------------------------------------------------

    #[test]
    fn notes_are_the_root_charts_and_every_notes_file_leaves() {
        let files: BTreeMap<String, String> = [
            ("c/templates/NOTES.txt", "root notes\n"),
            ("c/templates/sub/NOTES.txt", "not: [yaml\n"),
            ("c/templates/MYNOTES.txt", "not: [yaml\n"),
            ("c/charts/s/templates/NOTES.txt", "sub: [notes\n"),
            ("c/templates/cm.yaml", "kind: ConfigMap\n"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let r = sort_manifests(&files, "c").unwrap();
        assert_eq!(r.notes, "root notes\n");
        assert_eq!(r.manifests.len(), 1);
        assert!(r.hooks.is_empty());
        let r = sort_manifests(&files, "other").unwrap();
        assert_eq!(r.notes, "");
    }

    #[test]
    fn empty_release_prints_one_newline() {
        assert_eq!(render(&[], "c").unwrap(), "\n");
        assert_eq!(
            render(&[("c/templates/a.yaml", "\n---\n  \n")], "c").unwrap(),
            "\n"
        );
        // Hooks only: the empty manifest block still gives its newline.
        let out = render(
            &[(
                "c/templates/a.yaml",
                "kind: Pod\nmetadata:\n  annotations:\n    helm.sh/hook: test\n",
            )],
            "c",
        )
        .unwrap();
        assert_eq!(
            out,
            "\n---\n# Source: c/templates/a.yaml\nkind: Pod\nmetadata:\n  annotations:\n    helm.sh/hook: test\n\n"
        );
    }

    /// The conformance corpus' 43-hooks case, rendered by hand (release
    /// name `release-name`): hooks after manifests, by kind, weights unused.
    #[test]
    fn conformance_43_hooks() {
        let files = [
            ("hooked/templates/a-job.yaml", "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: release-name-migrate\n  annotations:\n    \"helm.sh/hook\": pre-install,pre-upgrade\n    \"helm.sh/hook-weight\": \"-5\"\n    \"helm.sh/hook-delete-policy\": before-hook-creation,hook-succeeded\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: migrate\n          image: busybox\n"),
            ("hooked/templates/b-config.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: release-name-pre-config\n  annotations:\n    helm.sh/hook: pre-install\n    helm.sh/hook-weight: \"10\"\ndata:\n  k: v\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: release-name-plain\ndata:\n  k: not-a-hook\n"),
            ("hooked/templates/c-post.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: release-name-post\n  annotations:\n    \"helm.sh/hook\": post-install\ntype: Opaque\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: release-name-hook-sa\n  annotations:\n    \"helm.sh/hook\": pre-install\n    \"helm.sh/hook-weight\": \"-10\"\n"),
            ("hooked/templates/tests/test-conn.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: release-name-test\n  annotations:\n    \"helm.sh/hook\": test\nspec:\n  restartPolicy: Never\n  containers:\n    - name: t\n      image: busybox\n"),
            ("hooked/templates/z-deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: release-name-app\nspec:\n  selector:\n    matchLabels: {app: x}\n  template:\n    metadata:\n      labels: {app: x}\n    spec:\n      containers:\n        - name: app\n          image: nginx\n"),
        ];
        let want = concat!(
            "---\n",
            "# Source: hooked/templates/b-config.yaml\n",
            "apiVersion: v1\n",
            "kind: ConfigMap\n",
            "metadata:\n",
            "  name: release-name-plain\n",
            "data:\n",
            "  k: not-a-hook\n",
            "\n",
            "---\n",
            "# Source: hooked/templates/z-deploy.yaml\n",
            "apiVersion: apps/v1\n",
            "kind: Deployment\n",
            "metadata:\n",
            "  name: release-name-app\n",
            "spec:\n",
            "  selector:\n",
            "    matchLabels: {app: x}\n",
            "  template:\n",
            "    metadata:\n",
            "      labels: {app: x}\n",
            "    spec:\n",
            "      containers:\n",
            "        - name: app\n",
            "          image: nginx\n",
            "---\n",
            "# Source: hooked/templates/c-post.yaml\n",
            "apiVersion: v1\n",
            "kind: ServiceAccount\n",
            "metadata:\n",
            "  name: release-name-hook-sa\n",
            "  annotations:\n",
            "    \"helm.sh/hook\": pre-install\n",
            "    \"helm.sh/hook-weight\": \"-10\"\n",
            "\n",
            "---\n",
            "# Source: hooked/templates/c-post.yaml\n",
            "apiVersion: v1\n",
            "kind: Secret\n",
            "metadata:\n",
            "  name: release-name-post\n",
            "  annotations:\n",
            "    \"helm.sh/hook\": post-install\n",
            "type: Opaque\n",
            "\n",
            "---\n",
            "# Source: hooked/templates/b-config.yaml\n",
            "apiVersion: v1\n",
            "kind: ConfigMap\n",
            "metadata:\n",
            "  name: release-name-pre-config\n",
            "  annotations:\n",
            "    helm.sh/hook: pre-install\n",
            "    helm.sh/hook-weight: \"10\"\n",
            "data:\n",
            "  k: v\n",
            "\n",
            "---\n",
            "# Source: hooked/templates/tests/test-conn.yaml\n",
            "apiVersion: v1\n",
            "kind: Pod\n",
            "metadata:\n",
            "  name: release-name-test\n",
            "  annotations:\n",
            "    \"helm.sh/hook\": test\n",
            "spec:\n",
            "  restartPolicy: Never\n",
            "  containers:\n",
            "    - name: t\n",
            "      image: busybox\n",
            "\n",
            "---\n",
            "# Source: hooked/templates/a-job.yaml\n",
            "apiVersion: batch/v1\n",
            "kind: Job\n",
            "metadata:\n",
            "  name: release-name-migrate\n",
            "  annotations:\n",
            "    \"helm.sh/hook\": pre-install,pre-upgrade\n",
            "    \"helm.sh/hook-weight\": \"-5\"\n",
            "    \"helm.sh/hook-delete-policy\": before-hook-creation,hook-succeeded\n",
            "spec:\n",
            "  template:\n",
            "    spec:\n",
            "      restartPolicy: Never\n",
            "      containers:\n",
            "        - name: migrate\n",
            "          image: busybox\n",
            "\n",
        );
        assert_eq!(render(&files, "hooked").unwrap(), want);
    }

    // -- helm template's flags -----------------------------------------------

    /// A release with a manifest per file, a hook sharing a file with a
    /// manifest, and a test hook.
    fn sample() -> Release {
        let files: BTreeMap<String, String> = [
            ("c/templates/a.yaml", "kind: ConfigMap\nmetadata:\n  name: a\n---\nkind: Job\nmetadata:\n  name: h\n  annotations:\n    helm.sh/hook: pre-install\n"),
            ("c/templates/b.yaml", "kind: Service\nmetadata:\n  name: b"),
            ("c/templates/sub/d.yaml", "kind: Secret\nmetadata:\n  name: d\n"),
            ("c/templates/tests/t.yaml", "kind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test\n"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        sort_manifests(&files, "c").unwrap()
    }

    fn crds() -> Vec<CrdFile> {
        vec![
            CrdFile {
                path: "c/crds/x.yaml".into(),
                content: "kind: CustomResourceDefinition\nmetadata:\n  name: x\n".into(),
            },
            CrdFile {
                path: "c/charts/s/crds/y.yaml".into(),
                content: "kind: CustomResourceDefinition\nmetadata:\n  name: y\n".into(),
            },
        ]
    }

    const SECRET_D: &str =
        "---\n# Source: c/templates/sub/d.yaml\nkind: Secret\nmetadata:\n  name: d\n\n";
    const CM_A: &str =
        "---\n# Source: c/templates/a.yaml\nkind: ConfigMap\nmetadata:\n  name: a\n\n";
    const SVC_B: &str = "---\n# Source: c/templates/b.yaml\nkind: Service\nmetadata:\n  name: b\n";
    const HOOK_H: &str = "---\n# Source: c/templates/a.yaml\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test\n\n";
    const JOB_H: &str = "---\n# Source: c/templates/a.yaml\nkind: Job\nmetadata:\n  name: h\n  annotations:\n    helm.sh/hook: pre-install\n\n";
    const TEST_T: &str = "---\n# Source: c/templates/tests/t.yaml\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test\n\n";

    #[test]
    fn default_print_and_hook_flags() {
        let r = sample();
        let _ = HOOK_H;
        let manifests = format!("{SECRET_D}{CM_A}{SVC_B}");
        let print = |opts: PrintOptions| print_template(&r, &crds(), &opts).unwrap();
        // Pod before Job: hooks by kind.
        assert_eq!(
            print(PrintOptions::default()),
            format!("{manifests}{TEST_T}{JOB_H}")
        );
        let skip = PrintOptions {
            skip_tests: true,
            ..PrintOptions::default()
        };
        assert_eq!(print(skip), format!("{manifests}{JOB_H}"));
        let none = PrintOptions {
            no_hooks: true,
            ..PrintOptions::default()
        };
        assert_eq!(print(none), manifests);
    }

    #[test]
    fn include_crds_prints_them_first_in_the_trimmed_block() {
        let r = sample();
        let opts = PrintOptions {
            include_crds: true,
            no_hooks: true,
            ..PrintOptions::default()
        };
        let want = format!(
            "---\n# Source: c/crds/x.yaml\nkind: CustomResourceDefinition\nmetadata:\n  name: x\n\n\
             ---\n# Source: c/charts/s/crds/y.yaml\nkind: CustomResourceDefinition\nmetadata:\n  name: y\n\n\
             {SECRET_D}{CM_A}{SVC_B}"
        );
        assert_eq!(print_template(&r, &crds(), &opts).unwrap(), want);
        // CRDs alone: the block's trailing blank line is trimmed too.
        let empty = Release::default();
        let out = print_template(&empty, &crds()[..1], &opts).unwrap();
        assert_eq!(
            out,
            "---\n# Source: c/crds/x.yaml\nkind: CustomResourceDefinition\nmetadata:\n  name: x\n"
        );
    }

    #[test]
    fn show_only_matches_source_paths_with_go_globs() {
        let r = sample();
        let show = |patterns: &[&str]| {
            let opts = PrintOptions {
                show_only: patterns.iter().map(|p| p.to_string()).collect(),
                ..PrintOptions::default()
            };
            print_template(&r, &[], &opts)
        };
        // Each document as re-split from the output: `---\n` + it + `\n`.
        assert_eq!(show(&["templates/b.yaml"]).unwrap(), format!("{SVC_B}\n"));
        // Pattern order, then output order; hooks are candidates too.
        assert_eq!(
            show(&["templates/b.yaml", "templates/a.yaml"]).unwrap(),
            format!("{SVC_B}\n{CM_A}\n{JOB_H}\n")
        );
        // `*` stays within a directory; a document matched twice prints twice.
        assert_eq!(
            show(&["templates/*", "templates/s?b/*.yaml"]).unwrap(),
            format!("{CM_A}\n{SVC_B}\n{JOB_H}\n{SECRET_D}\n")
        );
        let err = show(&["templates/b.yaml", "templates/nope.yaml"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "could not find template templates/nope.yaml in chart"
        );
        assert!(!err.wants_debug_hint());
        // A malformed pattern matches nothing.
        assert!(show(&["templates/[a.yaml"]).is_err());
        // The chart name is not part of the path matched.
        assert!(show(&["c/templates/b.yaml"]).is_err());
        // --skip-tests applies before matching.
        let opts = PrintOptions {
            skip_tests: true,
            show_only: vec!["templates/tests/t.yaml".into()],
            ..PrintOptions::default()
        };
        assert!(print_template(&r, &[], &opts).is_err());
    }

    #[test]
    fn output_dir_writes_files_as_helm_does() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        let d = dir.to_string_lossy().into_owned();
        let r = sample();
        // A hook file left from an earlier run is appended to (Helm's
        // os.Stat check); a manifest file is rewritten.
        std::fs::create_dir_all(dir.join("c/templates/tests")).unwrap();
        std::fs::write(dir.join("c/templates/tests/t.yaml"), "stale\n").unwrap();
        std::fs::write(dir.join("c/templates/b.yaml"), "stale\n").unwrap();
        let opts = PrintOptions {
            include_crds: true,
            output_dir: Some(dir.clone()),
            ..PrintOptions::default()
        };
        let out = print_template(&r, &crds(), &opts).unwrap();
        assert_eq!(
            out,
            format!(
                "wrote {d}/c/crds/x.yaml\nwrote {d}/c/charts/s/crds/y.yaml\n\
                 wrote {d}/c/templates/sub/d.yaml\nwrote {d}/c/templates/a.yaml\nwrote {d}/c/templates/b.yaml\n\
                 wrote {d}/c/templates/tests/t.yaml\nwrote {d}/c/templates/a.yaml\n\n"
            )
        );
        let read = |p: &str| std::fs::read_to_string(dir.join(p)).unwrap();
        assert_eq!(
            read("c/templates/b.yaml"),
            "---\n# Source: c/templates/b.yaml\nkind: Service\nmetadata:\n  name: b\n"
        );
        assert_eq!(read("c/templates/a.yaml"), format!("{CM_A}{JOB_H}"));
        assert_eq!(read("c/templates/tests/t.yaml"), format!("stale\n{TEST_T}"));
        assert_eq!(
            read("c/crds/x.yaml"),
            "---\n# Source: c/crds/x.yaml\nkind: CustomResourceDefinition\nmetadata:\n  name: x\n\n"
        );

        // --release-name: manifests and hooks under DIR/RELEASE, CRDs not;
        // the directory is joined (cleaned), the file name concatenated.
        let opts = PrintOptions {
            include_crds: true,
            no_hooks: true,
            output_dir: Some(PathBuf::from(format!("{d}/"))),
            use_release_name: true,
            release_name: "rel".into(),
            ..PrintOptions::default()
        };
        let out = print_template(&r, &crds()[..1], &opts).unwrap();
        assert_eq!(
            out,
            format!(
                "wrote {d}//c/crds/x.yaml\nwrote {d}/rel/c/templates/sub/d.yaml\n\
                 wrote {d}/rel/c/templates/a.yaml\nwrote {d}/rel/c/templates/b.yaml\n\n"
            )
        );
        assert_eq!(read("rel/c/templates/a.yaml"), CM_A);

        // --show-only with --output-dir: nothing is left to show.
        let opts = PrintOptions {
            output_dir: Some(dir.clone()),
            show_only: vec!["templates/a.yaml".into()],
            ..PrintOptions::default()
        };
        let err = print_template(&r, &[], &opts).unwrap_err();
        assert_eq!(
            err.to_string(),
            "could not find template templates/a.yaml in chart"
        );

        // An empty --output-dir is none.
        let opts = PrintOptions {
            output_dir: Some(PathBuf::new()),
            ..PrintOptions::default()
        };
        assert_eq!(
            print_template(&r, &[], &opts).unwrap(),
            print_template(&r, &[], &PrintOptions::default()).unwrap()
        );
    }

    #[test]
    fn output_dir_errors_are_go_path_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("c"), "a file\n").unwrap();
        let d = dir.to_string_lossy().into_owned();
        let opts = PrintOptions {
            output_dir: Some(dir.clone()),
            ..PrintOptions::default()
        };
        let err = print_template(&sample(), &[], &opts).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("stat {d}/c/templates/sub: not a directory")
        );
        assert!(err.wants_debug_hint());
        // Go's MkdirAll names the component it could not make.
        std::fs::remove_file(dir.join("c")).unwrap();
        std::fs::create_dir_all(dir.join("c/templates")).unwrap();
        std::fs::write(dir.join("c/templates/sub"), "a file\n").unwrap();
        assert_eq!(
            go_mkdir_all(&format!("{d}/c/templates/sub")),
            Err(format!("mkdir {d}/c/templates/sub: not a directory"))
        );
        assert_eq!(go_mkdir_all(&format!("{d}/c/templates")), Ok(()));
    }

    // -- Go helpers ----------------------------------------------------------

    /// Vectors checked against Go's `filepath.Match` and `path.Clean`.
    #[test]
    fn go_match_and_clean() {
        let cases: &[(&str, &str, Result<bool, BadPattern>)] = &[
            ("templates/*", "templates/a.yaml", Ok(true)),
            ("templates/*", "templates/x/y.yaml", Ok(false)),
            ("*/*", "templates/a.yaml", Ok(true)),
            ("templates/?.yaml", "templates/a.yaml", Ok(true)),
            ("templates/?.yaml", "templates/é.yaml", Ok(true)),
            ("templates/[a-c].yaml", "templates/b.yaml", Ok(true)),
            ("templates/[^a-c].yaml", "templates/b.yaml", Ok(false)),
            ("templates/[]a]", "templates/]", Err(BadPattern)),
            ("templates/[\\]a]", "templates/]", Ok(true)),
            ("templates/\\*", "templates/*", Ok(true)),
            ("templates/\\*", "templates/a.yaml", Ok(false)),
            ("templates/[a-", "templates/a.yaml", Err(BadPattern)),
            ("[", "a", Err(BadPattern)),
            ("\\", "a", Err(BadPattern)),
            ("a[", "a", Err(BadPattern)),
            // Checked to the end even after a mismatch.
            ("a[", "b", Err(BadPattern)),
            ("[!]", "a", Ok(false)),
            ("*.yaml", "templates/a.yaml", Ok(false)),
            ("t*s/a*", "templates/a.yaml", Ok(true)),
            (
                "charts/*/templates/*",
                "charts/sub/templates/a.yaml",
                Ok(true),
            ),
            ("*x", "abc", Ok(false)),
            ("", "", Ok(true)),
            ("?", "", Ok(false)),
        ];
        for (p, n, want) in cases {
            assert_eq!(go_match(p, n), *want, "{p:?} {n:?}");
        }
        for (i, o) in [
            ("", "."),
            ("a//b/./c/", "a/b/c"),
            ("a/../..", ".."),
            ("/../a", "/a"),
            ("a/b/../../..", ".."),
            ("../a/..", ".."),
            ("/", "/"),
            ("./", "."),
            ("out//rel", "out/rel"),
        ] {
            assert_eq!(go_clean(i), o, "{i:?}");
        }
        assert_eq!(go_base("a/_b.yaml"), "_b.yaml");
        assert_eq!(go_base("a/b/"), "b");
        assert!(has_manifest_extension("crds/a.YAML"));
        assert!(has_manifest_extension("crds/a.yml"));
        assert!(has_manifest_extension("crds/a.jſon"));
        assert!(!has_manifest_extension("crds/a.txt"));
        assert!(!has_manifest_extension("crds.yaml/a"));
    }

    #[test]
    fn source_path_is_the_first_match_of_helms_regex() {
        assert_eq!(
            source_path("# Source: c/templates/a.yaml\nx"),
            Some("templates/a.yaml")
        );
        assert_eq!(source_path("# Source: c/\n# Source: d/e\n"), Some("e"));
        // `[^/]+` crosses lines.
        assert_eq!(source_path("# Source: c\nd/e\n"), Some("e"));
        assert_eq!(source_path("# Source: /x\n"), None);
        assert_eq!(source_path("x: 1\n"), None);
    }

    /// A large chart: 200 files of 5 documents, sorted and printed.
    #[test]
    fn thousand_documents() {
        let kinds = ["Deployment", "Service", "ConfigMap", "Widget", "Secret"];
        let files: BTreeMap<String, String> = (0..200)
            .map(|i| {
                let docs: Vec<String> = kinds
                    .iter()
                    .map(|k| format!("apiVersion: v1\nkind: {k}\nmetadata:\n  name: n{i}\n  labels:\n    a: b\ndata:\n  x: \"{i}\"\n"))
                    .collect();
                (format!("c/templates/f{i:03}.yaml"), docs.join("---\n"))
            })
            .collect();
        let r = sort_manifests(&files, "c").unwrap();
        assert_eq!(r.manifests.len(), 1000);
        let order: Vec<&str> = r
            .manifests
            .iter()
            .step_by(200)
            .map(|m| m.head.kind.as_str())
            .collect();
        assert_eq!(
            order,
            ["Secret", "ConfigMap", "Service", "Deployment", "Widget"]
        );
        assert_eq!(r.manifests[0].name, "c/templates/f000.yaml");
        assert_eq!(r.manifests[199].name, "c/templates/f199.yaml");
        let out = print_template(&r, &[], &PrintOptions::default()).unwrap();
        assert_eq!(out.matches("# Source: ").count(), 1000);
    }

    // -- oracle-checked renders ----------------------------------------------

    /// Oracle-checked (real Helm v4.3.0): the chart `sep`.
    #[test]
    fn oracle_sep() {
        let files = [
            (
                "sep/templates/a.yaml",
                concat!(
                    "--- # comment\n",
                    "apiVersion: v1\n",
                    "kind: ConfigMap\n",
                    "metadata:\n",
                    "  name: a1\n",
                    "---apiVersion: v1\n",
                    "kind: ConfigMap\n",
                    "metadata:\n",
                    "  name: a2\n",
                ),
            ),
            (
                "sep/templates/b.yaml",
                concat!(
                    "# only a comment\n",
                    "---\n",
                    "apiVersion: v1\n",
                    "kind: ConfigMap\n",
                    "metadata:\n",
                    "  name: b1\n",
                    "--- \t\n",
                    "# just comments\n",
                    "# more\n",
                ),
            ),
            (
                "sep/templates/c.yaml",
                concat!(
                    "apiVersion: v1\n",
                    "kind: ConfigMap\n",
                    "metadata:\n",
                    "  name: c1\n",
                    "data:\n",
                    "  x: |\n",
                    "    ---\n",
                    "    inside\n",
                ),
            ),
            (
                "sep/templates/d.yaml",
                concat!(
                    "apiVersion: v1\n",
                    "kind: ConfigMap\n",
                    "metadata:\n",
                    "  name: d1\n",
                    "---\n",
                    "apiVersion: v1\n",
                    "kind: ConfigMap\n",
                    "metadata:\n",
                    "  name: d2\n",
                ),
            ),
            ("sep/templates/e.yaml", "---"),
            (
                "sep/templates/f.yaml",
                concat!(
                    "---\n",
                    "---\n",
                    "apiVersion: v1\n",
                    "kind: ConfigMap\n",
                    "metadata:\n",
                    "  name: f1\n",
                    "...\n",
                ),
            ),
            (
                "sep/templates/g.yaml",
                concat!(
                    "   \n",
                    "\t\n",
                    "apiVersion: v1\n",
                    "kind: ConfigMap\n",
                    "metadata:\n",
                    "  name: g1\n",
                    "\n",
                    "\n",
                    "\n",
                ),
            ),
            (
                "sep/templates/h.yaml",
                concat!(
                    "apiVersion: v1\n",
                    "kind: ConfigMap\n",
                    "metadata:\n",
                    "  name: h1\n",
                    "------\n",
                    "apiVersion: v1\n",
                    "kind: ConfigMap\n",
                    "metadata:\n",
                    "  name: h2\n",
                ),
            ),
        ];
        let want = concat!(
            "---\n",
            "# Source: sep/templates/a.yaml\n",
            "# comment\n",
            "apiVersion: v1\n",
            "kind: ConfigMap\n",
            "metadata:\n",
            "  name: a1\n",
            "\n",
            "---\n",
            "# Source: sep/templates/a.yaml\n",
            "apiVersion: v1\n",
            "kind: ConfigMap\n",
            "metadata:\n",
            "  name: a2\n",
            "\n",
            "---\n",
            "# Source: sep/templates/b.yaml\n",
            "apiVersion: v1\n",
            "kind: ConfigMap\n",
            "metadata:\n",
            "  name: b1\n",
            "\n",
            "---\n",
            "# Source: sep/templates/c.yaml\n",
            "apiVersion: v1\n",
            "kind: ConfigMap\n",
            "metadata:\n",
            "  name: c1\n",
            "data:\n",
            "  x: |\n",
            "    ---\n",
            "    inside\n",
            "\n",
            "---\n",
            "# Source: sep/templates/d.yaml\n",
            "apiVersion: v1\n",
            "kind: ConfigMap\n",
            "metadata:\n",
            "  name: d1\n",
            "\n",
            "---\n",
            "# Source: sep/templates/d.yaml\n",
            "apiVersion: v1\n",
            "kind: ConfigMap\n",
            "metadata:\n",
            "  name: d2\n",
            "\n",
            "---\n",
            "# Source: sep/templates/f.yaml\n",
            "apiVersion: v1\n",
            "kind: ConfigMap\n",
            "metadata:\n",
            "  name: f1\n",
            "...\n",
            "\n",
            "---\n",
            "# Source: sep/templates/g.yaml\n",
            "apiVersion: v1\n",
            "kind: ConfigMap\n",
            "metadata:\n",
            "  name: g1\n",
            "\n",
            "\n",
            "\n",
            "\n",
            "---\n",
            "# Source: sep/templates/h.yaml\n",
            "apiVersion: v1\n",
            "kind: ConfigMap\n",
            "metadata:\n",
            "  name: h1\n",
            "\n",
            "---\n",
            "# Source: sep/templates/h.yaml\n",
            "---\n",
            "apiVersion: v1\n",
            "kind: ConfigMap\n",
            "metadata:\n",
            "  name: h2\n",
            "\n",
            "---\n",
            "# Source: sep/templates/b.yaml\n",
            "# only a comment\n",
            "\n",
            "---\n",
            "# Source: sep/templates/b.yaml\n",
            "# just comments\n",
            "# more\n",
        );
        assert_eq!(render(&files, "sep").unwrap(), want);
    }

    /// Oracle-checked (real Helm v4.3.0): the chart `fold`.
    #[test]
    fn oracle_fold() {
        let files = [(
            "fold/templates/hooks.yaml",
            concat!(
                "apiVersion: v1\n",
                "kind: Service\n",
                "metadata:\n",
                "  name: svc\n",
                "  annotations:\n",
                "    helm.sh/hook: pre-delete\n",
                "---\n",
                "apiVersion: v1\n",
                "Kind: Namespace\n",
                "metadata:\n",
                "  name: kelvin\n",
                "  annotations:\n",
                "    helm.sh/hook: pre-delete\n",
                "---\n",
                "apiVersion: v1\n",
                "kind: Secret\n",
                "metadata:\n",
                "  annotationſ:\n",
                "    helm.sh/hook: pre-delete\n",
                "  x:\n",
                "  name: longs\n",
                "  annotations:\n",
                "---\n",
                "apiVersion: v1\n",
                "Kind: Namespace\n",
                "kind: null\n",
                "metadata:\n",
                "  name: kindnull\n",
                "  annotations:\n",
                "    helm.sh/hook: pre-delete\n",
                "---\n",
                "apiVersion: v1\n",
                "kind: Secret\n",
                "Metadata:\n",
                "  name: merge\n",
                "metadata:\n",
                "  annotations:\n",
                "    helm.sh/hook: pre-delete\n",
                "---\n",
                "apiVersion: v1\n",
                "kind: Secret\n",
                "metadata:\n",
                "  name: mergeann\n",
                "  Annotations:\n",
                "    helm.sh/hook: pre-delete\n",
                "  annotations:\n",
                "    foo: bar\n",
                "---\n",
                "apiVersion: v1\n",
                "kind: Secret\n",
                "metadata:\n",
                "  name: nullann\n",
                "  Annotations:\n",
                "    helm.sh/hook: pre-delete\n",
                "  annotations: null\n",
            ),
        )];
        let want = concat!(
            "---\n",
            "# Source: fold/templates/hooks.yaml\n",
            "apiVersion: v1\n",
            "kind: Secret\n",
            "metadata:\n",
            "  name: nullann\n",
            "  Annotations:\n",
            "    helm.sh/hook: pre-delete\n",
            "  annotations: null\n",
            "---\n",
            "# Source: fold/templates/hooks.yaml\n",
            "apiVersion: v1\n",
            "Kind: Namespace\n",
            "metadata:\n",
            "  name: kelvin\n",
            "  annotations:\n",
            "    helm.sh/hook: pre-delete\n",
            "\n",
            "---\n",
            "# Source: fold/templates/hooks.yaml\n",
            "apiVersion: v1\n",
            "Kind: Namespace\n",
            "kind: null\n",
            "metadata:\n",
            "  name: kindnull\n",
            "  annotations:\n",
            "    helm.sh/hook: pre-delete\n",
            "\n",
            "---\n",
            "# Source: fold/templates/hooks.yaml\n",
            "apiVersion: v1\n",
            "kind: Secret\n",
            "metadata:\n",
            "  annotationſ:\n",
            "    helm.sh/hook: pre-delete\n",
            "  x:\n",
            "  name: longs\n",
            "  annotations:\n",
            "\n",
            "---\n",
            "# Source: fold/templates/hooks.yaml\n",
            "apiVersion: v1\n",
            "kind: Secret\n",
            "Metadata:\n",
            "  name: merge\n",
            "metadata:\n",
            "  annotations:\n",
            "    helm.sh/hook: pre-delete\n",
            "\n",
            "---\n",
            "# Source: fold/templates/hooks.yaml\n",
            "apiVersion: v1\n",
            "kind: Secret\n",
            "metadata:\n",
            "  name: mergeann\n",
            "  Annotations:\n",
            "    helm.sh/hook: pre-delete\n",
            "  annotations:\n",
            "    foo: bar\n",
            "\n",
            "---\n",
            "# Source: fold/templates/hooks.yaml\n",
            "apiVersion: v1\n",
            "kind: Service\n",
            "metadata:\n",
            "  name: svc\n",
            "  annotations:\n",
            "    helm.sh/hook: pre-delete\n",
            "\n",
        );
        assert_eq!(render(&files, "fold").unwrap(), want);
    }

    /// Oracle-checked (real Helm v4.3.0): the chart `mix`.
    #[test]
    fn oracle_mix() {
        let files = [
            ("mix/charts/sub/templates/NOTES.txt", "sub: notes: [\n"),
            (
                "mix/charts/sub/templates/cm.yaml",
                concat!(
                    "apiVersion: v1\n",
                    "kind: ConfigMap\n",
                    "metadata:\n",
                    "  name: sub-cm\n",
                ),
            ),
            (
                "mix/charts/sub/templates/svc.yaml",
                concat!(
                    "apiVersion: v1\n",
                    "kind: Service\n",
                    "metadata:\n",
                    "  name: sub-svc\n",
                    "spec:\n",
                    "  ports: [{port: 80}]\n",
                ),
            ),
            ("mix/templates/NOTES.txt", "Root notes\n"),
            (
                "mix/templates/a.yaml",
                concat!(
                    "apiVersion: v1\n",
                    "kind: ConfigMap\n",
                    "metadata:\n",
                    "  name: a-hook-w5\n",
                    "  annotations:\n",
                    "    \"helm.sh/hook\": pre-install\n",
                    "    \"helm.sh/hook-weight\": \"5\"\n",
                    "---\n",
                    "apiVersion: v1\n",
                    "kind: ConfigMap\n",
                    "metadata:\n",
                    "  name: a-plain\n",
                ),
            ),
            (
                "mix/templates/b.yaml",
                concat!(
                    "apiVersion: v1\n",
                    "kind: ConfigMap\n",
                    "metadata:\n",
                    "  name: b-hook-wm5\n",
                    "  annotations:\n",
                    "    \"helm.sh/hook\": pre-install\n",
                    "    \"helm.sh/hook-weight\": \"-5\"\n",
                ),
            ),
            (
                "mix/templates/c.yaml",
                concat!(
                    "apiVersion: v1\n",
                    "kind: Pod\n",
                    "metadata:\n",
                    "  name: c-test\n",
                    "  annotations:\n",
                    "    helm.sh/hook: test-success\n",
                    "spec:\n",
                    "  containers: [{name: t, image: busybox}]\n",
                ),
            ),
            (
                "mix/templates/d.yaml",
                concat!(
                    "apiVersion: example.org/v1\n",
                    "kind: Widget\n",
                    "metadata:\n",
                    "  name: d-widget-hook\n",
                    "  annotations:\n",
                    "    helm.sh/hook: pre-delete\n",
                    "---\n",
                    "apiVersion: v1\n",
                    "kind: Namespace\n",
                    "metadata:\n",
                    "  name: d-ns-hook\n",
                    "  annotations:\n",
                    "    helm.sh/hook: post-delete\n",
                ),
            ),
            (
                "mix/templates/e.yaml",
                concat!(
                    "apiVersion: scheduling.k8s.io/v1\n",
                    "kind: PriorityClass\n",
                    "metadata:\n",
                    "  name: e-pc\n",
                    "value: 10\n",
                    "---\n",
                    "apiVersion: example.org/v1\n",
                    "kind: Widget\n",
                    "metadata:\n",
                    "  name: e-widget\n",
                    "---\n",
                    "apiVersion: v1\n",
                    "kind: Namespace\n",
                    "metadata:\n",
                    "  name: e-ns\n",
                ),
            ),
            ("mix/templates/sub/NOTES.txt", "nested: notes: [\n"),
        ];
        let want = concat!(
            "---\n",
            "# Source: mix/templates/e.yaml\n",
            "apiVersion: scheduling.k8s.io/v1\n",
            "kind: PriorityClass\n",
            "metadata:\n",
            "  name: e-pc\n",
            "value: 10\n",
            "\n",
            "---\n",
            "# Source: mix/templates/e.yaml\n",
            "apiVersion: v1\n",
            "kind: Namespace\n",
            "metadata:\n",
            "  name: e-ns\n",
            "\n",
            "---\n",
            "# Source: mix/charts/sub/templates/cm.yaml\n",
            "apiVersion: v1\n",
            "kind: ConfigMap\n",
            "metadata:\n",
            "  name: sub-cm\n",
            "\n",
            "---\n",
            "# Source: mix/templates/a.yaml\n",
            "apiVersion: v1\n",
            "kind: ConfigMap\n",
            "metadata:\n",
            "  name: a-plain\n",
            "\n",
            "---\n",
            "# Source: mix/charts/sub/templates/svc.yaml\n",
            "apiVersion: v1\n",
            "kind: Service\n",
            "metadata:\n",
            "  name: sub-svc\n",
            "spec:\n",
            "  ports: [{port: 80}]\n",
            "\n",
            "---\n",
            "# Source: mix/templates/e.yaml\n",
            "apiVersion: example.org/v1\n",
            "kind: Widget\n",
            "metadata:\n",
            "  name: e-widget\n",
            "---\n",
            "# Source: mix/templates/d.yaml\n",
            "apiVersion: v1\n",
            "kind: Namespace\n",
            "metadata:\n",
            "  name: d-ns-hook\n",
            "  annotations:\n",
            "    helm.sh/hook: post-delete\n",
            "\n",
            "---\n",
            "# Source: mix/templates/a.yaml\n",
            "apiVersion: v1\n",
            "kind: ConfigMap\n",
            "metadata:\n",
            "  name: a-hook-w5\n",
            "  annotations:\n",
            "    \"helm.sh/hook\": pre-install\n",
            "    \"helm.sh/hook-weight\": \"5\"\n",
            "\n",
            "---\n",
            "# Source: mix/templates/b.yaml\n",
            "apiVersion: v1\n",
            "kind: ConfigMap\n",
            "metadata:\n",
            "  name: b-hook-wm5\n",
            "  annotations:\n",
            "    \"helm.sh/hook\": pre-install\n",
            "    \"helm.sh/hook-weight\": \"-5\"\n",
            "\n",
            "---\n",
            "# Source: mix/templates/c.yaml\n",
            "apiVersion: v1\n",
            "kind: Pod\n",
            "metadata:\n",
            "  name: c-test\n",
            "  annotations:\n",
            "    helm.sh/hook: test-success\n",
            "spec:\n",
            "  containers: [{name: t, image: busybox}]\n",
            "\n",
            "---\n",
            "# Source: mix/templates/d.yaml\n",
            "apiVersion: example.org/v1\n",
            "kind: Widget\n",
            "metadata:\n",
            "  name: d-widget-hook\n",
            "  annotations:\n",
            "    helm.sh/hook: pre-delete\n",
            "\n",
        );
        assert_eq!(render(&files, "mix").unwrap(), want);
    }

    /// Oracle-checked (real Helm v4.3.0): the chart `heads`.
    #[test]
    fn oracle_heads() {
        let files = [
            ("heads/templates/MYNOTES.txt", "not: valid: yaml\n"),
            ("heads/templates/NOTES.txt", "notes {{ .Release.Name }}\n"),
            (
                "heads/templates/hooks.yaml",
                concat!(
                    "apiVersion: v1\n",
                    "kind: Service\n",
                    "metadata:\n",
                    "  name: svc\n",
                    "  annotations:\n",
                    "    helm.sh/hook: pre-delete\n",
                    "---\n",
                    "apiVersion: v1\n",
                    "KIND: Namespace\n",
                    "metadata:\n",
                    "  name: ns-upper\n",
                    "  annotations:\n",
                    "    helm.sh/hook: pre-delete\n",
                    "---\n",
                    "apiVersion: v1\n",
                    "Kind: PriorityClass\n",
                    "kind: Secret\n",
                    "metadata:\n",
                    "  name: both\n",
                    "  annotations:\n",
                    "    helm.sh/hook: pre-delete\n",
                    "---\n",
                    "apiVersion: v1\n",
                    "kind: 5\n",
                    "metadata:\n",
                    "  name: five\n",
                    "  annotations:\n",
                    "    helm.sh/hook: pre-delete\n",
                    "---\n",
                    "apiVersion: v1\n",
                    "kınd: Namespace\n",
                    "metadata:\n",
                    "  name: dotless\n",
                    "  annotations:\n",
                    "    helm.sh/hook: pre-delete\n",
                    "---\n",
                    "apiVersion: v1\n",
                    "kind: Zeta\n",
                    "metadata:\n",
                    "  name: zeta\n",
                    "  annotations:\n",
                    "    helm.sh/hook: pre-delete\n",
                    "---\n",
                    "apiVersion: v1\n",
                    "kind: Alpha\n",
                    "metadata:\n",
                    "  name: alpha\n",
                    "  annotations:\n",
                    "    helm.sh/hook: pre-delete\n",
                    "---\n",
                    "apiVersion: v1\n",
                    "kind: alpha\n",
                    "metadata:\n",
                    "  name: alpha-lower\n",
                    "  annotations:\n",
                    "    helm.sh/hook: pre-delete\n",
                    "---\n",
                    "apiVersion: v1\n",
                    "kind: ConfigMap\n",
                    "Metadata:\n",
                    "  name: meta-upper\n",
                    "  annotations:\n",
                    "    helm.sh/hook: pre-delete\n",
                    "---\n",
                    "apiVersion: v1\n",
                    "kind: Pod\n",
                    "metadata:\n",
                    "  name: weight-num\n",
                    "  annotations:\n",
                    "    helm.sh/hook: pre-delete\n",
                    "    helm.sh/hook-weight: 5\n",
                    "    other: true\n",
                    "    nul: ~\n",
                    "---\n",
                    "apiVersion: v1\n",
                    "kind: Job\n",
                    "metadata:\n",
                    "  name: unknown-event\n",
                    "  annotations:\n",
                    "    helm.sh/hook: pre-delete,crd-install\n",
                    "---\n",
                    "apiVersion: v1\n",
                    "kind: Job\n",
                    "metadata:\n",
                    "  name: empty-event\n",
                    "  annotations:\n",
                    "    helm.sh/hook: ''\n",
                    "---\n",
                    "apiVersion: v1\n",
                    "kind: Job\n",
                    "metadata:\n",
                    "  name: null-event\n",
                    "  annotations:\n",
                    "    helm.sh/hook:\n",
                    "---\n",
                    "apiVersion: v1\n",
                    "kind: Pod\n",
                    "metadata:\n",
                    "  name: case-event\n",
                    "  annotations:\n",
                    "    helm.sh/hook: ' PRE-DELETE , Test-Success'\n",
                    "---\n",
                    "apiVersion: v1\n",
                    "kind: ConfigMap\n",
                    "metadata:\n",
                    "  name: ann-nonhook\n",
                    "  annotations:\n",
                    "    foo: bar\n",
                    "---\n",
                    "apiVersion: v1\n",
                    "kind: 1000000\n",
                    "metadata:\n",
                    "  name: million\n",
                    "  annotations:\n",
                    "    helm.sh/hook: pre-delete\n",
                    "---\n",
                    "apiVersion: v1\n",
                    "kind: 1.5\n",
                    "metadata:\n",
                    "  name: onefive\n",
                    "  annotations:\n",
                    "    helm.sh/hook: pre-delete\n",
                    "---\n",
                    "apiVersion: v1\n",
                    "kind: yes\n",
                    "metadata:\n",
                    "  name: yes\n",
                    "  annotations:\n",
                    "    helm.sh/hook: pre-delete\n",
                    "---\n",
                    "apiVersion: v1\n",
                    "kind: 12345678901\n",
                    "metadata:\n",
                    "  name: bigint\n",
                    "  annotations:\n",
                    "    helm.sh/hook: pre-delete\n",
                ),
            ),
            (
                "heads/templates/sub/_helpers.tpl",
                "{{ define \"x\" }}y{{ end }}",
            ),
        ];
        let want = concat!(
            "---\n",
            "# Source: heads/templates/hooks.yaml\n",
            "apiVersion: v1\n",
            "kind: ConfigMap\n",
            "metadata:\n",
            "  name: ann-nonhook\n",
            "  annotations:\n",
            "    foo: bar\n",
            "---\n",
            "# Source: heads/templates/hooks.yaml\n",
            "apiVersion: v1\n",
            "KIND: Namespace\n",
            "metadata:\n",
            "  name: ns-upper\n",
            "  annotations:\n",
            "    helm.sh/hook: pre-delete\n",
            "\n",
            "---\n",
            "# Source: heads/templates/hooks.yaml\n",
            "apiVersion: v1\n",
            "Kind: PriorityClass\n",
            "kind: Secret\n",
            "metadata:\n",
            "  name: both\n",
            "  annotations:\n",
            "    helm.sh/hook: pre-delete\n",
            "\n",
            "---\n",
            "# Source: heads/templates/hooks.yaml\n",
            "apiVersion: v1\n",
            "kind: ConfigMap\n",
            "Metadata:\n",
            "  name: meta-upper\n",
            "  annotations:\n",
            "    helm.sh/hook: pre-delete\n",
            "\n",
            "---\n",
            "# Source: heads/templates/hooks.yaml\n",
            "apiVersion: v1\n",
            "kind: Service\n",
            "metadata:\n",
            "  name: svc\n",
            "  annotations:\n",
            "    helm.sh/hook: pre-delete\n",
            "\n",
            "---\n",
            "# Source: heads/templates/hooks.yaml\n",
            "apiVersion: v1\n",
            "kind: Pod\n",
            "metadata:\n",
            "  name: weight-num\n",
            "  annotations:\n",
            "    helm.sh/hook: pre-delete\n",
            "    helm.sh/hook-weight: 5\n",
            "    other: true\n",
            "    nul: ~\n",
            "\n",
            "---\n",
            "# Source: heads/templates/hooks.yaml\n",
            "apiVersion: v1\n",
            "kind: Pod\n",
            "metadata:\n",
            "  name: case-event\n",
            "  annotations:\n",
            "    helm.sh/hook: ' PRE-DELETE , Test-Success'\n",
            "\n",
            "---\n",
            "# Source: heads/templates/hooks.yaml\n",
            "apiVersion: v1\n",
            "kınd: Namespace\n",
            "metadata:\n",
            "  name: dotless\n",
            "  annotations:\n",
            "    helm.sh/hook: pre-delete\n",
            "\n",
            "---\n",
            "# Source: heads/templates/hooks.yaml\n",
            "apiVersion: v1\n",
            "kind: 1.5\n",
            "metadata:\n",
            "  name: onefive\n",
            "  annotations:\n",
            "    helm.sh/hook: pre-delete\n",
            "\n",
            "---\n",
            "# Source: heads/templates/hooks.yaml\n",
            "apiVersion: v1\n",
            "kind: 1000000\n",
            "metadata:\n",
            "  name: million\n",
            "  annotations:\n",
            "    helm.sh/hook: pre-delete\n",
            "\n",
            "---\n",
            "# Source: heads/templates/hooks.yaml\n",
            "apiVersion: v1\n",
            "kind: 12345678901\n",
            "metadata:\n",
            "  name: bigint\n",
            "  annotations:\n",
            "    helm.sh/hook: pre-delete\n",
            "\n",
            "---\n",
            "# Source: heads/templates/hooks.yaml\n",
            "apiVersion: v1\n",
            "kind: 5\n",
            "metadata:\n",
            "  name: five\n",
            "  annotations:\n",
            "    helm.sh/hook: pre-delete\n",
            "\n",
            "---\n",
            "# Source: heads/templates/hooks.yaml\n",
            "apiVersion: v1\n",
            "kind: Alpha\n",
            "metadata:\n",
            "  name: alpha\n",
            "  annotations:\n",
            "    helm.sh/hook: pre-delete\n",
            "\n",
            "---\n",
            "# Source: heads/templates/hooks.yaml\n",
            "apiVersion: v1\n",
            "kind: Zeta\n",
            "metadata:\n",
            "  name: zeta\n",
            "  annotations:\n",
            "    helm.sh/hook: pre-delete\n",
            "\n",
            "---\n",
            "# Source: heads/templates/hooks.yaml\n",
            "apiVersion: v1\n",
            "kind: alpha\n",
            "metadata:\n",
            "  name: alpha-lower\n",
            "  annotations:\n",
            "    helm.sh/hook: pre-delete\n",
            "\n",
            "---\n",
            "# Source: heads/templates/hooks.yaml\n",
            "apiVersion: v1\n",
            "kind: yes\n",
            "metadata:\n",
            "  name: yes\n",
            "  annotations:\n",
            "    helm.sh/hook: pre-delete\n",
            "\n",
        );
        assert_eq!(render(&files, "heads").unwrap(), want);
    }

    /// Oracle-checked error texts (real Helm v4.3.0), one chart each.
    #[test]
    fn oracle_errors() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[
                    ("err-annlist/templates/t.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n    a: [1]\n"),
                ],
                "YAML parse error on err-annlist/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go struct field .metadata.annotations.a of type string",
            ),
            (
                &[
                    ("err-annpath/templates/t.yaml", "metadata:\n  annotations:\n    \"helm.sh/hook~x y\\\"\": [1]\n"),
                ],
                "YAML parse error on err-annpath/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go struct field .metadata.annotations.helm.sh~1hook~0x y\" of type string",
            ),
            (
                &[
                    ("err-annpath2/templates/t.yaml", "metadata:\n  annotations:\n    \"\": {}\n"),
                ],
                "YAML parse error on err-annpath2/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal object into Go struct field .metadata.annotations. of type string",
            ),
            (
                &[
                    ("err-annpath3/templates/t.yaml", "metadata:\n  annotations:\n    \"é\\n\": {}\n"),
                ],
                "YAML parse error on err-annpath3/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal object into Go struct field .metadata.annotations.é\n of type string",
            ),
            (
                &[
                    ("err-annstr/templates/t.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations: foo\n"),
                ],
                "YAML parse error on err-annstr/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go struct field .metadata.annotations of type map[string]string",
            ),
            (
                &[
                    ("err-annupper/templates/t.yaml", "metadata:\n  Annotations:\n    A: [1]\n"),
                ],
                "YAML parse error on err-annupper/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go struct field .metadata.Annotations.A of type string",
            ),
            (
                &[
                    ("err-badyaml/templates/t.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\na: b\n  c: d\n"),
                ],
                "YAML parse error on err-badyaml/templates/t.yaml: error converting YAML to JSON: yaml: line 2: mapping values are not allowed in this context",
            ),
            (
                &[
                    ("err-blockdoc/templates/t.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\n--- |\n  text\n"),
                ],
                "YAML parse error on err-blockdoc/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go value of type util.SimpleHead",
            ),
            (
                &[
                    ("err-bool/templates/t.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\ntrue\n"),
                ],
                "YAML parse error on err-bool/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal bool into Go value of type util.SimpleHead",
            ),
            (
                &[
                    ("err-firstfile/templates/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\nx: [\n"),
                    ("err-firstfile/templates/b.yaml", "kind: [1]\n"),
                    ("err-firstfile/templates/c/_p.yaml", "bad: [\n"),
                ],
                "YAML parse error on err-firstfile/templates/a.yaml: error converting YAML to JSON: yaml: line 1: did not find expected node content",
            ),
            (
                &[
                    ("err-inf/templates/t.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: .inf\n"),
                ],
                "YAML parse error on err-inf/templates/t.yaml: error converting YAML to JSON: json: unsupported value: +Inf",
            ),
            (
                &[
                    ("err-kindlist/templates/t.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\napiVersion: v1\nkind: [a]\n"),
                ],
                "YAML parse error on err-kindlist/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go struct field .kind of type string",
            ),
            (
                &[
                    ("err-kindmap/templates/t.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\napiVersion: v1\nkind: {a: 1}\n"),
                ],
                "YAML parse error on err-kindmap/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal object into Go struct field .kind of type string",
            ),
            (
                &[
                    ("err-kindupper/templates/t.yaml", "apiVersion: v1\nKIND: [1]\n"),
                ],
                "YAML parse error on err-kindupper/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go struct field .KIND of type string",
            ),
            (
                &[
                    ("err-list/templates/t.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\n- a\n- b\n"),
                ],
                "YAML parse error on err-list/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type util.SimpleHead",
            ),
            (
                &[
                    ("err-metalist/templates/t.yaml", "metadata: [1]\n"),
                ],
                "YAML parse error on err-metalist/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go struct field .metadata of type struct { Name string \"json:\\\"name\\\"\"; Annotations map[string]string \"json:\\\"annotations\\\"\" }",
            ),
            (
                &[
                    ("err-metanum/templates/t.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: 5\n"),
                ],
                "YAML parse error on err-metanum/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal number into Go struct field .metadata of type struct { Name string \"json:\\\"name\\\"\"; Annotations map[string]string \"json:\\\"annotations\\\"\" }",
            ),
            (
                &[
                    ("err-metastr/templates/t.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: x\n"),
                ],
                "YAML parse error on err-metastr/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go struct field .metadata of type struct { Name string \"json:\\\"name\\\"\"; Annotations map[string]string \"json:\\\"annotations\\\"\" }",
            ),
            (
                &[
                    ("err-metaupper/templates/t.yaml", "Metadata:\n  annotations:\n    a: [1]\n"),
                ],
                "YAML parse error on err-metaupper/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go struct field .Metadata.annotations.a of type string",
            ),
            (
                &[
                    ("err-namemap/templates/t.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {a: 1}\n"),
                ],
                "YAML parse error on err-namemap/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal object into Go struct field .metadata.name of type string",
            ),
            (
                &[
                    ("err-nullkey/templates/t.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  ~: 1\n"),
                ],
                "YAML parse error on err-nullkey/templates/t.yaml: error converting YAML to JSON: unsupported map key of type: %!s(<nil>), key: <nil>, value: 1",
            ),
            (
                &[
                    ("err-number/templates/t.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\n5\n"),
                ],
                "YAML parse error on err-number/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal number into Go value of type util.SimpleHead",
            ),
            (
                &[
                    ("err-scalar/templates/t.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\nfoo\n"),
                ],
                "YAML parse error on err-scalar/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go value of type util.SimpleHead",
            ),
            (
                &[
                    ("err-tab/templates/t.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\na:\n\tb: c\n"),
                ],
                "YAML parse error on err-tab/templates/t.yaml: error converting YAML to JSON: yaml: line 2: found character that cannot start any token",
            ),
            (
                &[
                    ("err-two/templates/t.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\napiVersion: [1]\nkind: [1]\n"),
                ],
                "YAML parse error on err-two/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go struct field .apiVersion of type string",
            ),
            (
                &[
                    ("err-two2/templates/t.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\nmetadata: {name: [1]}\nkind: [1]\n"),
                ],
                "YAML parse error on err-two2/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go struct field .kind of type string",
            ),
        ];
        for (files, want) in cases {
            let root = files[0].0.split('/').next().unwrap();
            let err = render(files, root).unwrap_err();
            assert_eq!(err.to_string(), *want);
            assert!(err.wants_debug_hint());
        }
    }
}
