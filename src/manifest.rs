//! The repo manifest: `plumb.yaml` at the root of the watched path, which
//! says what apps the repo holds. Pure: text in, apps or errors out.
//!
//! Parsing is strict (unknown keys are errors with their line) because a
//! mistyped key in a deploy file must never be silently ignored. The text is
//! first read into raw, all-optional structs, then validated field by
//! field, so every problem names the file, the line and the field.

use std::time::Duration;

use serde::Deserialize;

use crate::config::inside_repo;

/// The file name of the repo manifest inside the watched path.
pub const FILE_NAME: &str = "plumb.yaml";

/// How long an app may take to become healthy, unless it says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// Errors in a repo manifest, naming the file, the line and the field.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The repo has no plumb.yaml at the revision.
    #[error("{file}: not found at revision {revision} (hint: commit a plumb.yaml listing your apps; see gitops-repo/plumb.yaml)")]
    Missing { file: String, revision: String },
    /// Not YAML, or not the schema (unknown key, wrong type); the cause has the line.
    #[error("{file}: not a valid repo manifest")]
    Parse {
        file: String,
        #[source]
        source: serde_yaml_ng::Error,
    },
    /// A field of one of an app's images has a value plumb cannot use.
    #[error("{file}:{line}: app `{app}`: image `{image}`: `{field}` {message} (hint: {hint})")]
    Image {
        file: String,
        line: usize,
        app: Box<str>,
        image: Box<str>,
        field: &'static str,
        message: String,
        hint: &'static str,
    },
    /// A field has a value plumb cannot use.
    #[error("{file}:{line}: app `{app}`: `{field}` {message} (hint: {hint})")]
    Invalid {
        file: String,
        line: usize,
        app: String,
        field: &'static str,
        message: String,
        hint: &'static str,
    },
}

/// Where a built image's reference goes in a chart's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValuesForm {
    /// One string, `repository:tag` (or `repository@sha256:...` when
    /// pinned): `api.image: pakaura/api:plumb-0123456789ab`.
    Reference,
    /// Two strings below the key, as most charts have them:
    /// `api.image.repository` and `api.image.tag` (the tag is `@sha256:...`
    /// free: a pinned digest goes into `api.image.digest`).
    Split,
}

/// One image an app builds from a context in the repo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSpec {
    /// The repository the tag is put on, e.g. `pakaura/api`; for a
    /// directory app, every container `image:` of this repository is
    /// rewritten to the built reference.
    pub name: String,
    /// The build context, a directory relative to the watched path.
    pub context: String,
    /// The Dockerfile, relative to the context (`Dockerfile` by default).
    pub dockerfile: String,
    /// The stage to build (`docker build --target`).
    pub target: Option<String>,
    /// Build arguments (`--build-arg`), part of the tag's digest.
    pub args: std::collections::BTreeMap<String, String>,
    /// `--platform`, part of the tag's digest.
    pub platform: Option<String>,
    /// For a chart app: the dotted values key the reference is written to.
    pub values_key: Option<String>,
    /// How the reference is written at `values_key`.
    pub values_form: ValuesForm,
    /// A registry (`host:port`) to push to, else the image stays in the
    /// Docker Engine plumb builds with (Minikube's, typically).
    pub registry: Option<String>,
    /// Deploy the pushed digest (`repo@sha256:...`) rather than the tag.
    pub pin_digest: bool,
}

impl ImageSpec {
    /// An image of repository `name` built from `context` with the defaults:
    /// for tests and examples.
    pub fn new(name: &str, context: &str) -> ImageSpec {
        ImageSpec {
            name: name.to_string(),
            context: inside_repo(context).unwrap_or_else(|| context.to_string()),
            dockerfile: "Dockerfile".to_string(),
            target: None,
            args: Default::default(),
            platform: None,
            values_key: None,
            values_form: ValuesForm::Reference,
            registry: None,
            pin_digest: false,
        }
    }

    /// The repository as it is tagged: with the registry in front when
    /// the image is pushed.
    pub fn repository(&self) -> String {
        match &self.registry {
            Some(registry) => format!("{registry}/{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// The parsed repo manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoManifest {
    /// Apps in file order; each is reconciled by its own queue.
    pub apps: Vec<AppSpec>,
}

/// How the app's manifest allows pruning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PruneMode {
    /// Never delete.
    Off,
    /// Delete what left git, within the safety rules.
    On,
    /// Delete even when the render is empty or most of the app goes.
    Force,
}

/// Where an app's objects come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppSource {
    /// A directory of plain manifests, relative to the watched path
    /// (normalized by [`inside_repo`]: `.`, `./x`, `x/` and `/x` mean the
    /// watched path and `x`; `""` is the watched path itself).
    Directory {
        /// The directory.
        path: String,
    },
    /// A Helm chart, rendered by plumb's chart renderer as `helm template`
    /// would render it, with the app's name as release name and its
    /// namespace as release namespace.
    Chart {
        /// The chart's directory, relative to the watched path (normalized
        /// like [`AppSource::Directory::path`]).
        chart: String,
        /// Values files (Helm's `-f`), relative to the watched path, merged
        /// in order over the chart's own `values.yaml`.
        values: Vec<String>,
        /// `--set` entries in file order: the key as written (strvals
        /// syntax: `api.replicas`, `list[0]`) and the YAML scalar as text.
        set: Vec<(String, String)>,
    },
}

impl AppSource {
    /// The `set` entries as Helm's `--set` strings (`api.replicas=2`), the
    /// value's `\` and `,` escaped so that one entry stays one assignment;
    /// empty for a directory. The values are typed as `--set` types them:
    /// integers, `true`/`false` and `null` are not strings.
    pub fn set_strings(&self) -> Vec<String> {
        match self {
            AppSource::Directory { .. } => Vec::new(),
            AppSource::Chart { set, .. } => set
                .iter()
                .map(|(key, value)| {
                    let mut escaped = String::with_capacity(value.len());
                    for c in value.chars() {
                        if c == '\\' || c == ',' {
                            escaped.push('\\');
                        }
                        escaped.push(c);
                    }
                    format!("{key}={escaped}")
                })
                .collect(),
        }
    }
}

/// One app: a set of objects deployed, pruned and health-checked together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSpec {
    /// Unique name; a DNS label, because it becomes a label value and part of
    /// the inventory ConfigMap's name.
    pub name: String,
    /// Default namespace of the app's namespaced objects; created if missing.
    pub namespace: String,
    /// What to render.
    pub source: AppSource,
    /// Delete objects that left git: `true` (default), `false`, or `force`
    /// (also when the render is empty or most of the app would go).
    pub prune: PruneMode,
    /// How long to wait for the app to become healthy.
    pub timeout: Duration,
    /// When a revision does not become healthy, re-apply the last revision
    /// that did (and do not retry the bad one until the next commit).
    pub rollback: bool,
    /// Images built from the repo before each render, in file order.
    pub images: Vec<ImageSpec>,
}

impl AppSpec {
    /// An app of plain manifests in `path`, in namespace `name`, with the
    /// defaults a manifest gives: for tests, benches and examples. Chain the
    /// `with_*` methods to change a field.
    pub fn directory(name: &str, path: &str) -> AppSpec {
        AppSpec {
            name: name.to_string(),
            namespace: name.to_string(),
            source: AppSource::Directory {
                path: inside_repo(path).unwrap_or_else(|| path.to_string()),
            },
            prune: PruneMode::On,
            timeout: DEFAULT_TIMEOUT,
            rollback: false,
            images: Vec::new(),
        }
    }

    /// An app rendered from the chart at `chart`, in namespace `name`, with
    /// no values files and no `set`: for tests and examples. Chain
    /// [`AppSpec::with_values`] and [`AppSpec::with_set`].
    pub fn chart(name: &str, chart: &str) -> AppSpec {
        AppSpec {
            source: AppSource::Chart {
                chart: inside_repo(chart).unwrap_or_else(|| chart.to_string()),
                values: Vec::new(),
                set: Vec::new(),
            },
            ..AppSpec::directory(name, "")
        }
    }

    /// The same chart app with these values files (no effect on a
    /// directory app).
    pub fn with_values(mut self, files: &[&str]) -> AppSpec {
        if let AppSource::Chart { values, .. } = &mut self.source {
            *values = files
                .iter()
                .map(|f| inside_repo(f).unwrap_or_else(|| f.to_string()))
                .collect();
        }
        self
    }

    /// The same chart app with these `set` entries (no effect on a
    /// directory app).
    pub fn with_set(mut self, entries: &[(&str, &str)]) -> AppSpec {
        if let AppSource::Chart { set, .. } = &mut self.source {
            *set = entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        }
        self
    }

    /// The same app in another namespace.
    pub fn with_namespace(mut self, namespace: &str) -> AppSpec {
        self.namespace = namespace.to_string();
        self
    }

    /// The same app with another health timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> AppSpec {
        self.timeout = timeout;
        self
    }

    /// The same app with another prune mode.
    pub fn with_prune(mut self, prune: PruneMode) -> AppSpec {
        self.prune = prune;
        self
    }

    /// The same app with these images.
    pub fn with_images(mut self, images: Vec<ImageSpec>) -> AppSpec {
        self.images = images;
        self
    }

    /// The same app with rollback on or off.
    pub fn with_rollback(mut self, rollback: bool) -> AppSpec {
        self.rollback = rollback;
        self
    }

    /// The directory the app reads (its manifests or its chart), relative
    /// to the watched path.
    pub fn path(&self) -> &str {
        match &self.source {
            AppSource::Directory { path } => path,
            AppSource::Chart { chart, .. } => chart,
        }
    }

    /// Whether the app is a Helm chart.
    pub fn is_chart(&self) -> bool {
        matches!(self.source, AppSource::Chart { .. })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    #[serde(default)]
    apps: Vec<RawApp>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApp {
    name: Option<String>,
    namespace: Option<String>,
    path: Option<String>,
    chart: Option<String>,
    values: Option<Vec<String>>,
    set: Option<serde_yaml_ng::Mapping>,
    prune: Option<RawPrune>,
    timeout: Option<String>,
    rollback: Option<bool>,
    images: Option<Vec<RawImage>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImage {
    name: Option<String>,
    context: Option<String>,
    dockerfile: Option<String>,
    target: Option<String>,
    args: Option<std::collections::BTreeMap<String, serde_yaml_ng::Value>>,
    platform: Option<String>,
    values_key: Option<String>,
    values_form: Option<String>,
    registry: Option<String>,
    pin_digest: Option<bool>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawPrune {
    Bool(bool),
    Text(String),
}

/// Parses and validates a repo manifest. `file` is the path shown in errors.
///
/// # Errors
/// [`ManifestError`] for the first problem found.
pub fn parse(file: &str, text: &str) -> Result<RepoManifest, ManifestError> {
    let raw: RawManifest =
        serde_yaml_ng::from_str(text).map_err(|source| ManifestError::Parse {
            file: file.to_string(),
            source,
        })?;
    let lines = AppLines::new(text);
    let mut apps: Vec<AppSpec> = Vec::new();
    for (index, raw) in raw.apps.into_iter().enumerate() {
        let app = validate(file, &lines, index, raw)?;
        if let Some(first) = apps.iter().position(|a| a.name == app.name) {
            return Err(ManifestError::Invalid {
                file: file.to_string(),
                line: lines.field(first, "name"),
                app: app.name,
                field: "name",
                message: "is used by two apps".into(),
                hint: "app names must be unique",
            });
        }
        apps.push(app);
    }
    Ok(RepoManifest { apps })
}

/// Turns one raw app entry into an [`AppSpec`], or the first problem.
fn validate(
    file: &str,
    lines: &AppLines,
    index: usize,
    raw: RawApp,
) -> Result<AppSpec, ManifestError> {
    let shown = match raw.name.as_deref() {
        Some(name) => name.to_string(),
        None => format!("#{}", index + 1),
    };
    let invalid =
        |field: &'static str, message: String, hint: &'static str| ManifestError::Invalid {
            file: file.to_string(),
            line: lines.field(index, field),
            app: shown.clone(),
            field,
            message,
            hint,
        };
    let name = raw.name.as_deref().ok_or_else(|| {
        invalid(
            "name",
            "is missing".into(),
            "every app needs a name, a DNS label",
        )
    })?;
    if !is_dns_label(name) {
        return Err(invalid(
            "name",
            "is not a DNS label".into(),
            "lowercase letters, digits and '-', at most 63, starting with a letter",
        ));
    }
    let namespace = raw.namespace.ok_or_else(|| {
        invalid(
            "namespace",
            "is missing".into(),
            "the namespace of the app's objects, e.g. the app's name",
        )
    })?;
    if !is_dns_label(&namespace) {
        return Err(invalid(
            "namespace",
            format!("`{namespace}` is not a valid namespace"),
            "lowercase letters, digits and '-', at most 63",
        ));
    }
    let source = validate_source(
        &invalid, lines, index, raw.path, raw.chart, raw.values, raw.set,
    )?;
    let prune = match raw.prune {
        None | Some(RawPrune::Bool(true)) => PruneMode::On,
        Some(RawPrune::Bool(false)) => PruneMode::Off,
        Some(RawPrune::Text(t)) if t == "force" => PruneMode::Force,
        Some(RawPrune::Text(t)) => return Err(invalid(
            "prune",
            format!("`{t}` is not true, false or force"),
            "true deletes what left git, false never deletes, force deletes even most of the app",
        )),
    };
    let timeout = match raw.timeout {
        None => DEFAULT_TIMEOUT,
        Some(text) => humantime::parse_duration(text.trim()).map_err(|e| {
            invalid(
                "timeout",
                format!("`{text}` is not a duration: {e}"),
                "write it like 90s or 5m",
            )
        })?,
    };
    let mut images: Vec<ImageSpec> = Vec::new();
    for (i, raw) in raw.images.unwrap_or_default().into_iter().enumerate() {
        let image = validate_image(file, lines, index, &shown, i, raw, &source)?;
        if images.iter().any(|other| other.name == image.name) {
            return Err(ManifestError::Invalid {
                file: file.to_string(),
                line: lines.image_field(index, i, "name"),
                app: shown.clone(),
                field: "images",
                message: format!("name `{}` is declared twice", image.name),
                hint: "each image of an app is built once; give the second one another name",
            });
        }
        images.push(image);
    }
    Ok(AppSpec {
        name: name.to_string(),
        namespace,
        source,
        prune,
        timeout,
        rollback: raw.rollback.unwrap_or(false),
        images,
    })
}

/// One `images:` entry of app `index`, or the first problem with it.
fn validate_image(
    file: &str,
    lines: &AppLines,
    index: usize,
    app: &str,
    i: usize,
    raw: RawImage,
    source: &AppSource,
) -> Result<ImageSpec, ManifestError> {
    let shown = raw.name.clone().unwrap_or_else(|| format!("#{}", i + 1));
    let invalid = |field: &'static str, message: String, hint: &'static str| ManifestError::Image {
        file: file.to_string(),
        line: lines.image_field(index, i, field),
        app: app.into(),
        image: shown.as_str().into(),
        field,
        message,
        hint,
    };
    let name = raw.name.clone().ok_or_else(|| {
        invalid(
            "name",
            "is missing".into(),
            "the repository to tag, such as pakaura/api",
        )
    })?;
    if !is_repository(&name) {
        return Err(invalid(
            "name",
            format!("`{name}` is not a Docker repository name"),
            "lowercase letters, digits, and '.', '_', '-' between them, in '/'-separated parts, with no tag: pakaura/api",
        ));
    }
    let context = raw.context.ok_or_else(|| {
        invalid(
            "context",
            "is missing".into(),
            "the directory below plumb.yaml that `docker build` would be given, such as apps/api",
        )
    })?;
    let context = inside_repo(&context).ok_or_else(|| {
        invalid(
            "context",
            format!("`{context}` leaves the watched directory"),
            "images are built from the committed tree below plumb.yaml",
        )
    })?;
    let dockerfile =
        match raw.dockerfile {
            None => "Dockerfile".to_string(),
            Some(d) => match inside_repo(&d) {
                Some(normal) if !normal.is_empty() => normal,
                _ => return Err(invalid(
                    "dockerfile",
                    format!("`{d}` is not a file inside the context"),
                    "a path relative to the context, such as Dockerfile or docker/prod.Dockerfile",
                )),
            },
        };
    let mut args = std::collections::BTreeMap::new();
    for (key, value) in raw.args.unwrap_or_default() {
        let value = scalar_text(&value).ok_or_else(|| {
            invalid(
                "args",
                format!("`{key}` is a list or map, not a single value"),
                "build arguments are strings: `PYTHON_VERSION: \"3.12\"`",
            )
        })?;
        args.insert(key, value);
    }
    let values_form = match raw.values_form.as_deref() {
        None | Some("reference") => ValuesForm::Reference,
        Some("split") => ValuesForm::Split,
        Some(other) => {
            return Err(invalid(
                "values_form",
                format!("`{other}` is not reference or split"),
                "reference writes `repo:tag` at values_key; split writes values_key.repository and values_key.tag",
            ))
        }
    };
    match (source, &raw.values_key) {
        (AppSource::Chart { .. }, None) => {
            return Err(invalid(
                "values_key",
                "is missing".into(),
                "the dotted values key the chart reads the image from, such as api.image",
            ))
        }
        (AppSource::Directory { .. }, Some(_)) => {
            return Err(invalid(
                "values_key",
                "is only for chart apps".into(),
                "in a directory app every container image of the same repository is rewritten; remove values_key",
            ))
        }
        (_, Some(key)) if key.split('.').any(str::is_empty) => {
            return Err(invalid(
                "values_key",
                format!("`{key}` is not a dotted key"),
                "names joined by dots, such as api.image",
            ))
        }
        _ => {}
    }
    let pin_digest = raw.pin_digest.unwrap_or(false);
    if pin_digest && raw.registry.is_none() {
        return Err(invalid(
            "pin_digest",
            "needs a registry".into(),
            "a digest exists once the image is pushed: set `registry: host:port`, or drop pin_digest",
        ));
    }
    if let Some(registry) = &raw.registry {
        if registry.is_empty() || registry.contains('/') || registry.contains("://") {
            return Err(invalid(
                "registry",
                format!("`{registry}` is not host:port"),
                "the registry's address alone, such as localhost:5000",
            ));
        }
    }
    Ok(ImageSpec {
        name,
        context,
        dockerfile,
        target: raw.target,
        args,
        platform: raw.platform,
        values_key: raw.values_key,
        values_form,
        registry: raw.registry,
        pin_digest,
    })
}

/// Whether `s` is a Docker repository path without registry or tag
/// (distribution's reference grammar: lowercase alphanumerics separated
/// by `.`, `_`, `__` or `-`s, in `/`-separated components).
pub fn is_repository(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.split('/').all(|part| {
            !part.is_empty()
                && part.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && part.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
                && !part.contains("..")
                && !part.contains("._")
                && !part.contains("_.")
                && !part.contains("___")
        })
}

type Invalid<'a> = dyn Fn(&'static str, String, &'static str) -> ManifestError + 'a;

/// The app's source: exactly one of `path` (a directory of manifests) and
/// `chart` (a Helm chart), `values` and `set` only with `chart`, every path
/// inside the watched directory.
fn validate_source(
    invalid: &Invalid<'_>,
    lines: &AppLines,
    index: usize,
    path: Option<String>,
    chart: Option<String>,
    values: Option<Vec<String>>,
    set: Option<serde_yaml_ng::Mapping>,
) -> Result<AppSource, ManifestError> {
    let chart = match (path, chart) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "chart",
                "and `path` are both set".into(),
                "an app is either a directory of manifests (`path`) or a Helm chart (`chart`); keep one",
            ))
        }
        (None, None) => {
            return Err(invalid(
                "path",
                "is missing".into(),
                "the directory of the app's manifests below plumb.yaml, such as manifests/, or `chart:` for a Helm chart",
            ))
        }
        (Some(path), None) => {
            for (field, given) in [("values", values.is_some()), ("set", set.is_some())] {
                if given {
                    return Err(invalid(
                        field,
                        "is only for chart apps".into(),
                        "values files and set entries feed a Helm chart: name it with `chart:` instead of `path:`, or remove them",
                    ));
                }
            }
            let path = inside_repo(&path).ok_or_else(|| {
                invalid(
                    "path",
                    format!("`{path}` leaves the watched directory"),
                    "a directory below plumb.yaml, such as manifests/",
                )
            })?;
            return Ok(AppSource::Directory { path });
        }
        (None, Some(chart)) => chart,
    };
    let chart = inside_repo(&chart).ok_or_else(|| {
        invalid(
            "chart",
            format!("`{chart}` leaves the watched directory"),
            "the chart's directory below plumb.yaml, such as charts/pakaura (vendor remote charts with `helm pull --untar`)",
        )
    })?;
    let mut files = Vec::new();
    for (i, file) in values.unwrap_or_default().into_iter().enumerate() {
        let at = |message: String, hint: &'static str| {
            let mut e = invalid("values", message, hint);
            if let ManifestError::Invalid { line, .. } = &mut e {
                *line = lines.item(index, "values", i).unwrap_or(*line);
            }
            e
        };
        match inside_repo(&file) {
            Some(normal) if normal.is_empty() => {
                return Err(at(
                    format!("`{file}` is the watched directory, not a file"),
                    "values files are YAML files below plumb.yaml, such as values.yaml",
                ))
            }
            Some(normal) => files.push(normal),
            None => return Err(at(
                format!("`{file}` leaves the watched directory"),
                "values files are YAML files below plumb.yaml, such as environments/minikube.yaml",
            )),
        }
    }
    let mut entries = Vec::new();
    for (key, value) in set.unwrap_or_default() {
        let key_text = scalar_text(&key);
        let at = |message: String, hint: &'static str| {
            let mut e = invalid("set", message, hint);
            if let (ManifestError::Invalid { line, .. }, Some(k)) = (&mut e, key_text.as_deref()) {
                *line = lines.sub_key(index, "set", k).unwrap_or(*line);
            }
            e
        };
        let key = match key_text.as_deref() {
            Some(k) if !k.trim().is_empty() => k.to_string(),
            _ => {
                return Err(at(
                    "has a key that is not a name".into(),
                    "write dotted keys as Helm's --set does, such as `api.replicas: 2`",
                ))
            }
        };
        let value = scalar_text(&value).ok_or_else(|| {
            at(
                format!("`{key}` is a list or map, not a single value"),
                "set one value per dotted key, such as `api.image.tag: v1`; use a values file for structures",
            )
        })?;
        entries.push((key, value));
    }
    Ok(AppSource::Chart {
        chart,
        values: files,
        set: entries,
    })
}

/// A YAML scalar as `--set` text: strings as they are, numbers and bools
/// as YAML writes them, null as `null`; `None` for lists and maps.
fn scalar_text(value: &serde_yaml_ng::Value) -> Option<String> {
    use serde_yaml_ng::Value as Y;
    match value {
        Y::Null => Some("null".into()),
        Y::Bool(b) => Some(b.to_string()),
        Y::Number(n) => Some(n.to_string()),
        Y::String(s) => Some(s.clone()),
        Y::Tagged(t) => scalar_text(&t.value),
        Y::Sequence(_) | Y::Mapping(_) => None,
    }
}

/// Where each app's entry and fields are in the text, for messages: an
/// entry starts at a `- ` line at the indentation of the first one below
/// `apps:`.
struct AppLines {
    /// Per app: the 1-based line of its `- `, and each of its lines.
    apps: Vec<(usize, Vec<Line>)>,
}

/// One line of an app's entry.
struct Line {
    /// 1-based.
    number: usize,
    /// The text after the indentation and a leading `- `.
    text: String,
    /// Whether it starts with `- ` (a list item).
    item: bool,
    /// The column of its text (after a leading `- `).
    indent: usize,
}

impl AppLines {
    fn new(text: &str) -> AppLines {
        let mut apps: Vec<(usize, Vec<Line>)> = Vec::new();
        let mut in_apps = false;
        let mut indent: Option<usize> = None;
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            let depth = line.len() - trimmed.len();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if depth == 0 && !trimmed.starts_with('-') {
                in_apps = trimmed.starts_with("apps:");
                continue;
            }
            if !in_apps {
                continue;
            }
            let item = trimmed.starts_with("- ") || trimmed == "-";
            if item && indent.is_none_or(|d| d == depth) {
                indent = Some(depth);
                apps.push((i + 1, Vec::new()));
            }
            if let Some((_, fields)) = apps.last_mut() {
                let field = trimmed.strip_prefix("- ").unwrap_or(trimmed).trim_start();
                fields.push(Line {
                    number: i + 1,
                    text: field.to_string(),
                    item,
                    indent: line.len() - field.len(),
                });
            }
        }
        AppLines { apps }
    }

    /// The line of `field:` in app `index`, else of the app's entry, else 1.
    fn field(&self, index: usize, field: &str) -> usize {
        let Some((start, fields)) = self.apps.get(index) else {
            return 1;
        };
        self.position(index, field)
            .map(|i| fields[i].number)
            .unwrap_or(*start)
    }

    /// The line of the `i`-th `- ` item below `field:` in app `index`
    /// (block lists only; a flow list `[a, b]` gives `None`).
    fn item(&self, index: usize, field: &str, i: usize) -> Option<usize> {
        let (_, fields) = self.apps.get(index)?;
        let start = self.position(index, field)?;
        fields[start + 1..]
            .iter()
            .take_while(|l| l.item)
            .nth(i)
            .map(|l| l.number)
    }

    /// The line of `key:` below `field:` in app `index`: the first line
    /// after `field:` that starts with it (quoted or not).
    fn sub_key(&self, index: usize, field: &str, key: &str) -> Option<usize> {
        let (_, fields) = self.apps.get(index)?;
        let start = self.position(index, field)?;
        fields[start + 1..]
            .iter()
            .find(|l| {
                let text = l.text.trim_start_matches(['"', '\'']);
                text.strip_prefix(key).is_some_and(|rest| {
                    rest.trim_start_matches(['"', '\''])
                        .trim_start()
                        .starts_with(':')
                })
            })
            .map(|l| l.number)
    }

    /// The line of `field:` in the `i`-th entry below `images:` in app
    /// `index`, else of that entry, else of `images:`.
    fn image_field(&self, index: usize, i: usize, field: &str) -> usize {
        let images = self.field(index, "images");
        let Some((_, fields)) = self.apps.get(index) else {
            return images;
        };
        let Some(start) = self.position(index, "images") else {
            return images;
        };
        // The entries' lines: after `images:`, indented below it (a
        // `- ` may also stand at its column); an entry starts at each `- `
        // of the first entry's column.
        let key = &fields[start];
        let key_column = key.indent - usize::from(key.item) * 2;
        let entries = fields[start + 1..].iter().take_while(|l| {
            let column = l.indent - usize::from(l.item) * 2;
            column > key_column || (l.item && column == key_column)
        });
        let mut entry_column = None;
        let mut seen: Option<usize> = None;
        let mut entry_line = None;
        for line in entries {
            if line.item && entry_column.is_none_or(|c| c == line.indent) {
                entry_column = Some(line.indent);
                seen = Some(seen.map_or(0, |n| n + 1));
                if seen == Some(i) {
                    entry_line = Some(line.number);
                }
            }
            if seen > Some(i) {
                break;
            }
            let matches = line
                .text
                .strip_prefix(field)
                .is_some_and(|rest| rest.trim_start().starts_with(':'));
            if seen == Some(i) && matches {
                return line.number;
            }
        }
        entry_line.unwrap_or(images)
    }

    /// The index of `field:` among app `index`'s lines.
    fn position(&self, index: usize, field: &str) -> Option<usize> {
        let (_, fields) = self.apps.get(index)?;
        fields.iter().position(|l| {
            l.text
                .strip_prefix(field)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
    }
}

/// Whether `s` is an RFC 1123 DNS label (what Kubernetes wants for
/// namespaces and label-friendly names).
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = "apps:\n  - name: pakaura\n    namespace: pakaura\n    path: manifests/\n    timeout: 90s\n  - name: tools\n    namespace: tools\n    path: tools\n    prune: false\n";

    #[test]
    fn parses_apps_with_defaults() {
        let m = parse("plumb.yaml", OK).unwrap();
        assert_eq!(m.apps.len(), 2);
        assert_eq!(m.apps[0].timeout, Duration::from_secs(90));
        assert_eq!(m.apps[0].prune, PruneMode::On);
        assert_eq!(m.apps[0].path(), "manifests");
        assert_eq!(m.apps[1].prune, PruneMode::Off);
        assert_eq!(m.apps[1].timeout, DEFAULT_TIMEOUT);
        assert_eq!(
            m.apps[1],
            AppSpec::directory("tools", "tools").with_prune(PruneMode::Off)
        );
    }

    #[test]
    fn prune_force_and_bad_values() {
        let force = "apps:\n- name: a\n  namespace: a\n  path: m\n  prune: force\n";
        assert_eq!(parse("p", force).unwrap().apps[0].prune, PruneMode::Force);
        let bad = "apps:\n- name: a\n  namespace: a\n  path: m\n  prune: maybe\n";
        let err = parse("p", bad).unwrap_err().to_string();
        assert!(err.starts_with("p:5: app `a`: `prune` `maybe`"), "{err}");
    }

    #[test]
    fn a_bad_timeout_names_its_line() {
        let text = "apps:\n- name: a\n  namespace: a\n  path: m\n- name: b\n  namespace: b\n  path: m\n  timeout: soon\n";
        let err = parse("p", text).unwrap_err().to_string();
        assert!(err.starts_with("p:8: app `b`: `timeout` `soon`"), "{err}");
        assert!(err.contains("90s"), "{err}");
    }

    #[test]
    fn unknown_key_names_file_key_and_line() {
        let text = "apps:\n  - name: a\n    namespace: a\n    path: m\n    prnue: true\n";
        let err = parse("gitops-repo/plumb.yaml", text).unwrap_err();
        let text = crate::error_chain(&err);
        assert!(text.starts_with("gitops-repo/plumb.yaml: "), "{text}");
        assert!(text.contains("prnue"), "{text}");
        assert!(text.contains("line 5"), "{text}");
    }

    #[test]
    fn missing_required_fields_name_field_and_line() {
        let err = parse("p.yaml", "apps:\n  - name: a\n    path: m\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("p.yaml:2: app `a`: `namespace` is missing"),
            "{err}"
        );
        let err = parse("p.yaml", "apps:\n- namespace: a\n  path: m\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("p.yaml:2: app `#1`: `name` is missing"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_names_point_at_the_first_line() {
        let text =
            "apps:\n- name: a\n  namespace: a\n  path: m\n- name: a\n  namespace: b\n  path: n\n";
        let err = parse("p.yaml", text).unwrap_err();
        assert!(
            matches!(
                err,
                ManifestError::Invalid {
                    field: "name",
                    line: 2,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn bad_names_and_paths_are_rejected() {
        let bad_name = "apps:\n- name: My_App\n  namespace: a\n  path: m\n";
        assert!(parse("p", bad_name)
            .unwrap_err()
            .to_string()
            .contains("p:2: app `My_App`"));
        let bad_ns = "apps:\n- name: a\n  namespace: Prod\n  path: m\n";
        assert!(matches!(
            parse("p", bad_ns),
            Err(ManifestError::Invalid {
                field: "namespace",
                line: 3,
                ..
            })
        ));
        let escape = "apps:\n- name: a\n  namespace: a\n  path: ../../etc\n";
        assert!(matches!(
            parse("p", escape),
            Err(ManifestError::Invalid {
                field: "path",
                line: 4,
                ..
            })
        ));
    }

    #[test]
    fn paths_mean_what_a_user_means() {
        for (written, meant) in [
            (".", ""),
            ("./", ""),
            ("/", ""),
            ("./m", "m"),
            ("m/", "m"),
            ("/m", "m"),
            ("m//n", "m/n"),
            ("m/./n/", "m/n"),
        ] {
            assert_eq!(inside_repo(written).as_deref(), Some(meant), "{written}");
            let text = format!("apps:\n- name: a\n  namespace: a\n  path: \"{written}\"\n");
            assert_eq!(parse("p", &text).unwrap().apps[0].path(), meant);
        }
        assert!(inside_repo("m/../..").is_none());
    }

    const CHART: &str = "apps:\n  - name: pakaura\n    namespace: pakaura\n    chart: ./charts/pakaura/\n    values:\n      - values.yaml\n      - environments/minikube.yaml\n    set:\n      api.replicas: 2\n      api.image.tag: \"v1,2\"\n      debug: true\n      dsn: 'a\\b'\n      gone: null\n";

    #[test]
    fn chart_apps_with_values_and_set() {
        let m = parse("plumb.yaml", CHART).unwrap();
        let app = &m.apps[0];
        assert!(app.is_chart());
        assert_eq!(app.path(), "charts/pakaura");
        let AppSource::Chart { chart, values, set } = &app.source else {
            panic!("a chart app: {app:?}");
        };
        assert_eq!(chart, "charts/pakaura");
        assert_eq!(values, &["values.yaml", "environments/minikube.yaml"]);
        assert_eq!(
            set,
            &[
                ("api.replicas".to_string(), "2".to_string()),
                ("api.image.tag".to_string(), "v1,2".to_string()),
                ("debug".to_string(), "true".to_string()),
                ("dsn".to_string(), "a\\b".to_string()),
                ("gone".to_string(), "null".to_string()),
            ]
        );
        assert_eq!(
            app.source.set_strings(),
            [
                "api.replicas=2",
                "api.image.tag=v1\\,2",
                "debug=true",
                "dsn=a\\\\b",
                "gone=null"
            ],
            "one strvals assignment per entry: commas and backslashes escaped"
        );
        assert_eq!(
            *app,
            AppSpec::chart("pakaura", "charts/pakaura/")
                .with_values(&["./values.yaml", "environments/minikube.yaml"])
                .with_set(&[
                    ("api.replicas", "2"),
                    ("api.image.tag", "v1,2"),
                    ("debug", "true"),
                    ("dsn", "a\\b"),
                    ("gone", "null")
                ])
        );
        let flow =
            "apps:\n- name: a\n  namespace: a\n  chart: c\n  values: [v.yaml]\n  set: {x: 1.5}\n";
        let app = &parse("p", flow).unwrap().apps[0];
        assert_eq!(app.source.set_strings(), ["x=1.5"]);
    }

    #[test]
    fn an_app_is_a_directory_or_a_chart_not_both() {
        let both = "apps:\n- name: a\n  namespace: a\n  path: m\n  chart: c\n";
        let err = parse("p", both).unwrap_err().to_string();
        assert!(
            err.starts_with("p:5: app `a`: `chart` and `path` are both set"),
            "{err}"
        );
        let neither = "apps:\n- name: a\n  namespace: a\n";
        let err = parse("p", neither).unwrap_err().to_string();
        assert!(err.starts_with("p:2: app `a`: `path` is missing"), "{err}");
        assert!(err.contains("`chart:`"), "the hint names both: {err}");
        let values = "apps:\n- name: a\n  namespace: a\n  path: m\n  values: [v.yaml]\n";
        let err = parse("p", values).unwrap_err().to_string();
        assert!(
            err.starts_with("p:5: app `a`: `values` is only for chart apps"),
            "{err}"
        );
        let set = "apps:\n- name: a\n  namespace: a\n  path: m\n  set:\n    x: 1\n";
        let err = parse("p", set).unwrap_err().to_string();
        assert!(
            err.starts_with("p:5: app `a`: `set` is only for chart apps"),
            "{err}"
        );
    }

    #[test]
    fn chart_paths_stay_inside_and_name_their_line() {
        let escape = "apps:\n- name: a\n  namespace: a\n  chart: ../charts/x\n";
        assert!(matches!(
            parse("p", escape),
            Err(ManifestError::Invalid {
                field: "chart",
                line: 4,
                ..
            })
        ));
        let values = "apps:\n- name: a\n  namespace: a\n  chart: c\n  values:\n    - ok.yaml\n    - ../../etc/passwd\n";
        let err = parse("p", values).unwrap_err().to_string();
        assert!(
            err.starts_with(
                "p:7: app `a`: `values` `../../etc/passwd` leaves the watched directory"
            ),
            "the item's own line: {err}"
        );
        let dot = "apps:\n- name: a\n  namespace: a\n  chart: c\n  values: [.]\n";
        let err = parse("p", dot).unwrap_err().to_string();
        assert!(
            err.contains("is the watched directory, not a file"),
            "{err}"
        );
    }

    #[test]
    fn set_takes_scalars_only_and_names_the_key_line() {
        let nested = "apps:\n- name: a\n  namespace: a\n  chart: c\n  set:\n    ok: 1\n    api:\n      replicas: 2\n";
        let err = parse("p", nested).unwrap_err().to_string();
        assert!(
            err.starts_with("p:7: app `a`: `set` `api` is a list or map, not a single value"),
            "{err}"
        );
        assert!(
            err.contains("api.image.tag"),
            "a hint with dotted keys: {err}"
        );
        let list = "apps:\n- name: a\n  namespace: a\n  chart: c\n  set: [a=1]\n";
        let err = crate::error_chain(&parse("p", list).unwrap_err());
        assert!(err.starts_with("p: not a valid repo manifest"), "{err}");
        assert!(err.contains("line 5"), "{err}");
    }

    #[test]
    fn dns_labels() {
        assert!(is_dns_label("pakaura-api2"));
        assert!(!is_dns_label("2api"));
        assert!(!is_dns_label("api-"));
        assert!(!is_dns_label(&"a".repeat(64)));
    }

    const IMAGES: &str = "apps:\n  - name: pakaura\n    namespace: pakaura\n    chart: charts/pakaura\n    images:\n      - name: pakaura/api\n        context: apps/api/\n        target: runtime\n        args:\n          PYTHON: 3.12\n          DEBUG: true\n        values_key: api.image\n        values_form: split\n      - name: pakaura/frontend\n        context: ./apps/frontend\n        dockerfile: docker/prod.Dockerfile\n        values_key: frontend.image\n        registry: localhost:5000\n        pin_digest: true\n    timeout: 90s\n";

    #[test]
    fn parses_images() {
        let m = parse("plumb.yaml", IMAGES).unwrap();
        let images = &m.apps[0].images;
        assert_eq!(images.len(), 2);
        let mut api = ImageSpec::new("pakaura/api", "apps/api");
        api.target = Some("runtime".into());
        api.args = [("DEBUG", "true"), ("PYTHON", "3.12")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        api.values_key = Some("api.image".into());
        api.values_form = ValuesForm::Split;
        assert_eq!(images[0], api);
        assert_eq!(images[1].context, "apps/frontend");
        assert_eq!(images[1].dockerfile, "docker/prod.Dockerfile");
        assert_eq!(images[1].repository(), "localhost:5000/pakaura/frontend");
        assert!(images[1].pin_digest);
        assert_eq!(
            m.apps[0].timeout,
            Duration::from_secs(90),
            "fields after images"
        );
        assert!(
            parse("p", OK).unwrap().apps[0].images.is_empty(),
            "no images by default"
        );
    }

    #[test]
    fn image_errors_name_the_line_image_and_field() {
        let err = |from: &str, to: &str| {
            let text = IMAGES.replacen(from, to, 1);
            parse("plumb.yaml", &text).unwrap_err().to_string()
        };
        let e = err("name: pakaura/frontend", "name: Pakaura/Frontend");
        assert!(
            e.starts_with("plumb.yaml:14: app `pakaura`: image `Pakaura/Frontend`: `name` `Pakaura/Frontend` is not a Docker repository name"),
            "{e}"
        );
        let e = err("context: ./apps/frontend", "context: ../elsewhere");
        assert!(
            e.starts_with("plumb.yaml:15: app `pakaura`: image `pakaura/frontend`: `context` `../elsewhere` leaves the watched directory"),
            "{e}"
        );
        let e = err("        context: apps/api/\n", "");
        assert!(
            e.starts_with("plumb.yaml:6: app `pakaura`: image `pakaura/api`: `context` is missing"),
            "the entry's line when the field is absent: {e}"
        );
        let e = err("        values_key: frontend.image\n", "");
        assert!(
            e.contains("image `pakaura/frontend`: `values_key` is missing"),
            "{e}"
        );
        let e = err("values_form: split", "values_form: both");
        assert!(e.starts_with("plumb.yaml:13: "), "{e}");
        assert!(
            e.contains("`values_form` `both` is not reference or split"),
            "{e}"
        );
        let e = err("        registry: localhost:5000\n", "");
        assert!(e.contains("`pin_digest` needs a registry"), "{e}");
        let e = err(
            "registry: localhost:5000",
            "registry: http://localhost:5000",
        );
        assert!(
            e.contains("`registry` `http://localhost:5000` is not host:port"),
            "{e}"
        );
        let e = err("name: pakaura/frontend", "name: pakaura/api");
        assert!(e.contains("name `pakaura/api` is declared twice"), "{e}");
        let e = err("          DEBUG: true", "          DEBUG: [1]");
        assert!(e.contains("`args` `DEBUG` is a list or map"), "{e}");
        let typo = parse("p", &IMAGES.replace("target: runtime", "tagret: runtime")).unwrap_err();
        let cause = std::error::Error::source(&typo).map(|c| c.to_string());
        assert!(
            cause
                .as_deref()
                .is_some_and(|c| c.contains("unknown field `tagret`") && c.contains("line 8")),
            "{cause:?}"
        );
        let dir = "apps:\n- name: a\n  namespace: a\n  path: m\n  images:\n  - name: a/web\n    context: web\n    values_key: web.image\n";
        let e = parse("p", dir).unwrap_err().to_string();
        assert!(
            e.starts_with("p:8: app `a`: image `a/web`: `values_key` is only for chart apps"),
            "{e}"
        );
        let ok = parse("p", &dir.replace("    values_key: web.image\n", "")).unwrap();
        assert_eq!(ok.apps[0].images, vec![ImageSpec::new("a/web", "web")]);
    }

    #[test]
    fn repository_names() {
        for ok in ["api", "pakaura/api", "a.b/c-d/e_f", "a__b", "x1/2y"] {
            assert!(is_repository(ok), "{ok}");
        }
        for bad in [
            "", "Api", "a:1", "a/", "/a", "-a", "a-", "a..b", "a___b", "a//b", "a@b",
        ] {
            assert!(!is_repository(bad), "{bad}");
        }
    }
}
