//! The Docker Engine API calls an image build needs: [`inspect`] (is the
//! content-addressed tag already here?), [`build`], [`tag`], [`push`] and
//! [`gc`] (drop old `plumb-*` tags).
//!
//! What can be decided without the engine is pure and unit-tested here: the
//! build's message stream (`BuildLog`), references and registry hosts,
//! credentials from a docker `config.json`, the digest in the push stream
//! and which tags garbage collection removes (`gc_plan`).
//!
//! Engine quirks this module deals with:
//! - A build fails *inside* a successful HTTP call, as an `errorDetail` item
//!   in the stream (bollard turns it into `DockerStreamError`), or *before*
//!   the stream as a 400 (a Dockerfile parse error, an unknown `--target`) or
//!   a 500 (no such Dockerfile). All three are [`EngineError::BuildFailed`].
//! - With `cachefrom`, the classic builder uses *only* those images as cache;
//!   a source that is not here (the first build of an image) would turn the
//!   local layer cache off. [`build`] drops missing sources.
//! - bollard's push stream type has no `aux` field, so the pushed digest is
//!   read from the `<tag>: digest: sha256:… size: N` status line.
//! - bollard's timeout bounds the time until the response headers; dockerd
//!   sends them only once it has read the whole build context, so builds,
//!   pushes and removals get a longer one than the connection's default.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use bollard::auth::DockerCredentials;
use bollard::errors::Error as ApiError;
use bollard::models::{BuildInfo, ErrorDetail, ImageId};
use bollard::query_parameters::{
    BuildImageOptions, BuilderVersion, ListContainersOptions, ListImagesOptions, PushImageOptions,
    RemoveImageOptions, TagImageOptions,
};
use bollard::Docker;
use futures::StreamExt;

/// How many lines of build output a failure carries.
const LAST_LINES: usize = 20;

/// The time until the engine answers a build, push or removal: a build's
/// answer starts only after the whole context is read, a vfs removal of a
/// large image takes a while.
const LONG_CALL: Duration = Duration::from_secs(600);

/// What to build.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct BuildSpec {
    /// Full reference to tag the result with, e.g. "pakaura/api:plumb-0123456789ab".
    pub reference: String,
    /// The build context as an uncompressed tar (already filtered; made by the caller).
    pub context_tar: Vec<u8>,
    /// Dockerfile path inside the context.
    pub dockerfile: String,
    /// The stage to stop at (`--target`); the last stage when `None`.
    pub target: Option<String>,
    /// Build arguments (`--build-arg`), part of the image's tag digest.
    pub args: BTreeMap<String, String>,
    /// Labels added to the image, on top of the Dockerfile's.
    pub labels: BTreeMap<String, String>,
    /// Images to use as cache sources (the previous tag). Sources not
    /// present are left out, see the module docs.
    pub cache_from: Vec<String>,
    /// `os[/arch[/variant]]`, the engine's own when `None`.
    pub platform: Option<String>,
}

/// Debug without the context's bytes: a spec in a log line or a failed
/// assertion should not print megabytes.
impl std::fmt::Debug for BuildSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuildSpec")
            .field("reference", &self.reference)
            .field(
                "context_tar",
                &format_args!("<{} bytes>", self.context_tar.len()),
            )
            .field("dockerfile", &self.dockerfile)
            .field("target", &self.target)
            .field("args", &self.args)
            .field("labels", &self.labels)
            .field("cache_from", &self.cache_from)
            .field("platform", &self.platform)
            .finish()
    }
}

/// One line of build progress, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildProgress {
    /// The start of a Dockerfile step: `text` is the whole line,
    /// "Step 2/5 : RUN ...".
    Step {
        /// The step's number, from 1.
        number: usize,
        /// How many steps the build has.
        total: usize,
        /// The line as the engine wrote it.
        text: String,
    },
    /// Any other output line (a step's output, ` ---> 1a2b3c`, pull status).
    Line(String),
}

/// A finished build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltImage {
    /// The reference it was tagged with ([`BuildSpec::reference`]).
    pub reference: String,
    /// The image id, `sha256:...`.
    pub id: String,
}

/// What [`inspect`] learns about a local image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageInfo {
    /// The image id, `sha256:...`.
    pub id: String,
    /// The image's labels (the Dockerfile's and the build's).
    pub labels: BTreeMap<String, String>,
    /// `repo@sha256:...` for each registry it was pushed to or pulled from.
    pub repo_digests: Vec<String>,
    /// When it was built, RFC 3339 as the engine prints it.
    pub created: Option<String>,
}

/// Errors from the engine calls; each names the operation and the image.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The build failed: which step, the engine's message, and the last 20 lines of output.
    #[error(
        "building image `{image}` failed{}: {message} (hint: fix the Dockerfile or the context){}",
        step_text(step.as_deref()),
        lines_text(last_lines)
    )]
    BuildFailed {
        /// The reference being built.
        image: String,
        /// The step that failed ("Step 3/5 : RUN make"); none when the
        /// engine refused the Dockerfile before running any.
        step: Option<String>,
        /// The engine's message.
        message: String,
        /// The last output lines before the failure, oldest first.
        last_lines: Vec<String>,
    },
    /// Any other API failure, naming the operation and the image, with a hint.
    #[error("docker {operation} `{image}` failed (hint: {hint})")]
    Api {
        /// The call: "inspect", "build", "tag", "push", "remove", ...
        operation: &'static str,
        /// The image (or repository) it was about.
        image: String,
        /// What to look at, chosen from the error.
        hint: &'static str,
        /// What bollard said.
        #[source]
        source: ApiError,
    },
    /// The image to tag or push is not here (a 404, or, from engines before
    /// API 1.44, a push stream saying so).
    #[error("docker {operation} `{image}`: no such image here (hint: build or tag it first)")]
    NoSuchImage {
        /// "tag" or "push".
        operation: &'static str,
        /// The reference that names nothing.
        image: String,
    },
    /// A reference plumb cannot use for this operation (no tag to push, a
    /// digest where a tag is needed).
    #[error("image reference `{reference}` {why}")]
    BadReference {
        /// The reference as given.
        reference: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The docker config file could not be read.
    #[error("pushing `{image}`: cannot read docker config {path} (hint: check build.docker_config in the agent config)")]
    DockerConfigRead {
        /// The image being pushed.
        image: String,
        /// The config file.
        path: PathBuf,
        /// Why it could not be read.
        #[source]
        source: std::io::Error,
    },
    /// The docker config file is not what `docker login` writes.
    #[error("pushing `{image}`: docker config {path}: {message} (hint: it should look like {{\"auths\": {{\"HOST\": {{\"auth\": \"BASE64(user:password)\"}}}}}})")]
    DockerConfigInvalid {
        /// The image being pushed.
        image: String,
        /// The config file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The credentials live in a credential helper, which plumb does not run.
    #[error("pushing `{image}`: {path} keeps the credentials for {registry} in the credential helper `docker-credential-{helper}`, which plumb does not run (hint: give plumb a docker config of its own with auths.\"{registry}\".auth = base64 of user:password)")]
    CredentialHelper {
        /// The image being pushed.
        image: String,
        /// The registry host.
        registry: String,
        /// The config file.
        path: PathBuf,
        /// The helper's name (`credsStore` or `credHelpers.<host>`).
        helper: String,
    },
    /// The registry refused the push for want of (valid) credentials.
    #[error("pushing `{image}`: registry {registry} refused it: {message} (hint: {hint})")]
    PushAuth {
        /// The image being pushed.
        image: String,
        /// The registry host.
        registry: String,
        /// The engine's message.
        message: String,
        /// Whether credentials were sent, and what to do.
        hint: &'static str,
    },
    /// The push failed in the stream for another reason (registry down,
    /// an insecure registry the engine will not talk to).
    #[error("pushing `{image}` to {registry} failed: {message} (hint: is the registry up and reachable from the Docker Engine? a plain-HTTP registry not on loopback must be in the engine's insecure-registries)")]
    PushFailed {
        /// The image being pushed.
        image: String,
        /// The registry host.
        registry: String,
        /// The engine's message.
        message: String,
    },
    /// The push stream ended without naming the pushed manifest's digest.
    #[error("pushing `{image}`: the engine did not report the pushed digest (hint: is the engine older than API 1.24?)")]
    NoDigest {
        /// The image being pushed.
        image: String,
    },
}

fn step_text(step: Option<&str>) -> String {
    step.map(|s| format!(" at `{s}`")).unwrap_or_default()
}

fn lines_text(lines: &[String]) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let mut text = String::from("\n  last output:");
    for line in lines {
        text.push_str("\n    | ");
        text.push_str(line);
    }
    text
}

/// Picks the hint for a failed call from what went wrong.
fn hint_for(error: &ApiError) -> &'static str {
    match error {
        ApiError::DockerResponseServerError { status_code, .. } => match status_code {
            404 => "no such image here",
            409 => "a container uses the image (`docker ps -a`)",
            400 => "the engine rejected the request: is the reference a valid image name?",
            _ => "the engine failed: see its log",
        },
        ApiError::RequestTimeoutError => {
            "the Docker Engine did not answer in time: is it overloaded?"
        }
        ApiError::DockerStreamError { .. } => "the engine reported an error mid-stream",
        ApiError::JsonDataError { .. } | ApiError::JsonSerdeError { .. } => {
            "the engine's answer was not what Docker API 1.41+ sends"
        }
        _ => "is the Docker Engine still running? check docker.endpoint",
    }
}

fn api<'a>(operation: &'static str, image: &'a str) -> impl FnOnce(ApiError) -> EngineError + 'a {
    move |source| EngineError::Api {
        operation,
        image: image.to_string(),
        hint: hint_for(&source),
        source,
    }
}

fn is_status(error: &ApiError, code: u16) -> bool {
    matches!(error, ApiError::DockerResponseServerError { status_code, .. } if *status_code == code)
}

/// Builds and image removals of this process take turns: the classic
/// builder's cache lookup walks every image of the engine, and an image
/// removed during that walk fails the build with "unable to find image"
/// (dockerd 20.10, seen when a removal ran beside another image's build).
/// Builds share the lock; removals take it alone.
static REMOVALS: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// Waits until no build of this process runs, and holds new ones off until
/// the guard is dropped: for anything that removes images (as [`gc`] does).
pub async fn removal_guard() -> tokio::sync::RwLockWriteGuard<'static, ()> {
    REMOVALS.write().await
}

/// Whether an image with this reference is here, with its id and labels:
/// the one call that decides whether a content-addressed tag needs a
/// build. A 404 is `Ok(None)`.
///
/// The engine also resolves an id or id prefix here, and a name without a
/// tag as `:latest`; plumb passes full `repo:tag` references.
///
/// # Errors
/// [`EngineError::Api`] for anything but a 404.
pub async fn inspect(docker: &Docker, reference: &str) -> Result<Option<ImageInfo>, EngineError> {
    match docker.inspect_image(reference).await {
        Ok(image) => Ok(Some(ImageInfo {
            id: image.id.unwrap_or_default(),
            labels: image
                .config
                .and_then(|c| c.labels)
                .unwrap_or_default()
                .into_iter()
                .collect(),
            repo_digests: image.repo_digests.unwrap_or_default(),
            created: image.created,
        })),
        Err(e) if is_status(&e, 404) => Ok(None),
        Err(e) => Err(api("inspect", reference)(e)),
    }
}

/// Builds `spec` by streaming its tar to the engine, hands each output
/// line to `progress` as it comes, and returns the image; a failure names
/// the failing step and carries the last 20 output lines.
///
/// The classic builder because it needs no session and its output is lines
/// of text; `rm` and `forcerm` so neither a finished nor a failed `RUN`
/// leaves a container behind.
///
/// # Errors
/// [`EngineError::BuildFailed`] when the Dockerfile or a step fails,
/// [`EngineError::Api`] when the engine cannot be asked.
pub async fn build(
    docker: &Docker,
    spec: &BuildSpec,
    progress: &mut (dyn FnMut(BuildProgress) + Send),
) -> Result<BuiltImage, EngineError> {
    let _no_removals = REMOVALS.read().await;
    let mut cache_from = Vec::new();
    for source in &spec.cache_from {
        if inspect(docker, source).await?.is_some() {
            cache_from.push(source.clone());
        } else {
            tracing::debug!(image = %spec.reference, cache_from = %source, "cache source not here, left out");
        }
    }
    let options = BuildImageOptions {
        dockerfile: spec.dockerfile.clone(),
        t: Some(spec.reference.clone()),
        rm: true,
        forcerm: true,
        cachefrom: (!cache_from.is_empty()).then_some(cache_from),
        buildargs: (!spec.args.is_empty()).then(|| to_hash_map(&spec.args)),
        labels: (!spec.labels.is_empty()).then(|| to_hash_map(&spec.labels)),
        platform: spec.platform.clone().unwrap_or_default(),
        target: spec.target.clone().unwrap_or_default(),
        version: BuilderVersion::BuilderV1,
        ..Default::default()
    };
    let long = docker.clone().with_timeout(LONG_CALL);
    let body = bollard::body_full(spec.context_tar.clone().into());
    let mut stream = long.build_image(options, None, Some(body));
    let mut log = BuildLog::default();
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => log.feed(&info).into_iter().for_each(&mut *progress),
            Err(ApiError::DockerStreamError { error }) => {
                log.fail(error).into_iter().for_each(&mut *progress);
            }
            Err(ApiError::DockerResponseServerError {
                status_code,
                message,
            }) if refused_dockerfile(status_code, &message) => {
                log.fail(message).into_iter().for_each(&mut *progress);
            }
            Err(source) => return Err(api("build", &spec.reference)(source)),
        }
        if log.failed() {
            break;
        }
    }
    log.finish().into_iter().for_each(&mut *progress);
    let id = match log.outcome(&spec.reference)? {
        Some(id) => id,
        // The engine names the id in an `aux` item; should one not, the
        // tag says what was built.
        None => match inspect(docker, &spec.reference).await? {
            Some(info) => info.id,
            None => {
                return Err(EngineError::BuildFailed {
                    image: spec.reference.clone(),
                    step: None,
                    message: "the build ended without an image".to_string(),
                    last_lines: log.last_lines.into(),
                })
            }
        },
    };
    Ok(BuiltImage {
        reference: spec.reference.clone(),
        id,
    })
}

/// Whether a status error from /build is the engine refusing the
/// Dockerfile (parse error, unknown target: 400; no such file: 500)
/// rather than the engine failing.
fn refused_dockerfile(status_code: u16, message: &str) -> bool {
    status_code == 400 || message.starts_with("Cannot locate specified Dockerfile")
}

fn to_hash_map(map: &BTreeMap<String, String>) -> HashMap<String, String> {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// The build's message stream, read one item at a time: output lines
/// (items may hold part of a line or several), steps, the image id, and
/// the error. Pure, so the stream's shapes are unit-tested.
#[derive(Debug, Default)]
struct BuildLog {
    /// Output after the last newline.
    partial: String,
    /// The last [`LAST_LINES`] lines.
    last_lines: VecDeque<String>,
    /// The last step line seen.
    step: Option<String>,
    /// From the `aux` item: `{"aux":{"ID":"sha256:..."}}`.
    image_id: Option<String>,
    /// The first error the stream reported.
    error: Option<String>,
}

impl BuildLog {
    /// Reads one stream item; returns the complete lines it finished.
    fn feed(&mut self, info: &BuildInfo) -> Vec<BuildProgress> {
        let mut out = Vec::new();
        if let Some(text) = &info.stream {
            self.partial.push_str(text);
            while let Some(end) = self.partial.find('\n') {
                let line: String = self.partial.drain(..=end).collect();
                self.line(&line, &mut out);
            }
        }
        if let Some(status) = &info.status {
            // Pull progress bars come as many items with `current`; the
            // per-layer "Pull complete" and the summary lines are enough.
            let progress_bar = info
                .progress_detail
                .as_ref()
                .is_some_and(|p| p.current.is_some());
            if !progress_bar {
                let line = match info.id.as_deref() {
                    Some(id) if !id.is_empty() => format!("{id}: {status}"),
                    _ => status.clone(),
                };
                self.line(&line, &mut out);
            }
        }
        if let Some(ImageId { id: Some(id) }) = &info.aux {
            self.image_id = Some(id.clone());
        }
        if let Some(ErrorDetail { message, .. }) = &info.error_detail {
            let message = message.clone().unwrap_or_default();
            out.extend(self.fail(message));
        }
        out
    }

    /// Records the build's error; returns the unfinished line, if any.
    fn fail(&mut self, message: String) -> Vec<BuildProgress> {
        let out = self.finish();
        if self.error.is_none() {
            let message = if message.trim().is_empty() {
                "the engine reported an error without a message".to_string()
            } else {
                message.trim_end().to_string()
            };
            self.error = Some(message);
        }
        out
    }

    fn failed(&self) -> bool {
        self.error.is_some()
    }

    /// Ends the stream: returns the last line if it had no newline.
    fn finish(&mut self) -> Vec<BuildProgress> {
        let mut out = Vec::new();
        let rest = std::mem::take(&mut self.partial);
        self.line(&rest, &mut out);
        out
    }

    /// The build's result: the image id (if the stream named it), or the
    /// failure.
    fn outcome(&self, image: &str) -> Result<Option<String>, EngineError> {
        match &self.error {
            Some(message) => Err(EngineError::BuildFailed {
                image: image.to_string(),
                step: self.step.clone(),
                message: message.clone(),
                last_lines: self.last_lines.iter().cloned().collect(),
            }),
            None => Ok(self.image_id.clone()),
        }
    }

    fn line(&mut self, line: &str, out: &mut Vec<BuildProgress>) {
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            return;
        }
        if self.last_lines.len() == LAST_LINES {
            self.last_lines.pop_front();
        }
        self.last_lines.push_back(line.to_string());
        match parse_step(line) {
            Some((number, total)) => {
                self.step = Some(line.to_string());
                out.push(BuildProgress::Step {
                    number,
                    total,
                    text: line.to_string(),
                });
            }
            None => out.push(BuildProgress::Line(line.to_string())),
        }
    }
}

/// `Step 2/5 : RUN make` → (2, 5).
fn parse_step(line: &str) -> Option<(usize, usize)> {
    let rest = line.strip_prefix("Step ")?;
    let (counts, _) = rest.split_once(" : ")?;
    let (number, total) = counts.split_once('/')?;
    Some((number.parse().ok()?, total.parse().ok()?))
}

/// Tags `source` as `target` (repo:tag).
///
/// A `target` without a tag means `:latest`, as with `docker tag`.
///
/// # Errors
/// [`EngineError::BadReference`] for a digest target,
/// [`EngineError::NoSuchImage`] when `source` is not here,
/// [`EngineError::Api`] when the engine fails.
pub async fn tag(docker: &Docker, source: &str, target: &str) -> Result<(), EngineError> {
    let (repo, tag) = split_reference(target)?;
    let options = TagImageOptions {
        repo: Some(repo.to_string()),
        tag: Some(tag.unwrap_or("latest").to_string()),
    };
    match docker.tag_image(source, Some(options)).await {
        Ok(()) => Ok(()),
        Err(e) if is_status(&e, 404) => Err(EngineError::NoSuchImage {
            operation: "tag",
            image: source.to_string(),
        }),
        Err(e) => Err(api("tag", source)(e)),
    }
}

/// Splits `host:port/repo:tag` into repository and tag. A digest
/// (`repo@sha256:...`) is refused: plumb only moves tags.
fn split_reference(reference: &str) -> Result<(&str, Option<&str>), EngineError> {
    if reference.contains('@') {
        return Err(EngineError::BadReference {
            reference: reference.to_string(),
            why: "names a digest; plumb needs repository:tag",
        });
    }
    let name_start = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[name_start..].rfind(':') {
        Some(i) => {
            let at = name_start + i;
            let (repo, tag) = (&reference[..at], &reference[at + 1..]);
            if repo.is_empty() || tag.is_empty() {
                return Err(EngineError::BadReference {
                    reference: reference.to_string(),
                    why: "has an empty repository or tag",
                });
            }
            Ok((repo, Some(tag)))
        }
        None if reference.is_empty() => Err(EngineError::BadReference {
            reference: String::new(),
            why: "is empty",
        }),
        None => Ok((reference, None)),
    }
}

/// The registry host a repository lives on: its first path component when
/// that looks like a host (has a `.` or `:`, or is `localhost`), else
/// Docker Hub (`docker.io`), as the docker CLI decides.
fn registry_host(repository: &str) -> &str {
    match repository.split_once('/') {
        Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => first,
        _ => "docker.io",
    }
}

/// A registry as written in a config's `auths` keys
/// (`https://index.docker.io/v1/`, `http://host:5000`, `host:5000`)
/// reduced to the host, so keys and references compare.
fn normalize_registry(key: &str) -> String {
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = key.split('/').next().unwrap_or(key).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" => "docker.io".to_string(),
        _ => host,
    }
}

/// Reads the credentials for `registry` from a docker `config.json`'s
/// text: `auths.<host>.auth` (base64 of `user:password`), or its
/// `username`/`password`, or an `identitytoken`. `Ok(None)` when the file
/// has none for that host and no credential helper claims it.
fn credentials_from_config(
    text: &str,
    path: &Path,
    registry: &str,
    image: &str,
) -> Result<Option<DockerCredentials>, EngineError> {
    let invalid = |message: String| EngineError::DockerConfigInvalid {
        image: image.to_string(),
        path: path.to_path_buf(),
        message,
    };
    let config: serde_json::Value =
        serde_json::from_str(text).map_err(|e| invalid(format!("not JSON: {e}")))?;
    let wanted = normalize_registry(registry);
    let entry = config
        .get("auths")
        .and_then(|a| a.as_object())
        .and_then(|auths| {
            auths
                .iter()
                .find(|(key, _)| normalize_registry(key) == wanted)
                .map(|(_, entry)| entry)
        });
    let text_field = |name: &str| {
        entry
            .and_then(|e| e.get(name))
            .and_then(|v| v.as_str())
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let serveraddress = Some(registry.to_string());
    if let Some(auth) = text_field("auth") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(auth.trim()))
            .map_err(|e| invalid(format!("auths.\"{registry}\".auth is not base64: {e}")))?;
        let decoded = String::from_utf8(decoded)
            .map_err(|_| invalid(format!("auths.\"{registry}\".auth is not UTF-8")))?;
        let (username, password) = decoded.split_once(':').ok_or_else(|| {
            invalid(format!(
                "auths.\"{registry}\".auth is not base64 of user:password"
            ))
        })?;
        return Ok(Some(DockerCredentials {
            username: Some(username.to_string()),
            password: Some(password.to_string()),
            serveraddress,
            ..Default::default()
        }));
    }
    if let Some(username) = text_field("username") {
        return Ok(Some(DockerCredentials {
            username: Some(username),
            password: text_field("password"),
            serveraddress,
            ..Default::default()
        }));
    }
    if let Some(token) = text_field("identitytoken") {
        return Ok(Some(DockerCredentials {
            identitytoken: Some(token),
            serveraddress,
            ..Default::default()
        }));
    }
    let helper = config
        .get("credHelpers")
        .and_then(|h| h.as_object())
        .and_then(|helpers| {
            helpers
                .iter()
                .find(|(key, _)| normalize_registry(key) == wanted)
                .and_then(|(_, v)| v.as_str())
        })
        .or_else(|| config.get("credsStore").and_then(|s| s.as_str()))
        .filter(|h| !h.is_empty());
    match helper {
        Some(helper) => Err(EngineError::CredentialHelper {
            image: image.to_string(),
            registry: registry.to_string(),
            path: path.to_path_buf(),
            helper: helper.to_string(),
        }),
        None => Ok(None),
    }
}

/// The manifest digest in a push status line:
/// `plumb-1: digest: sha256:ab12... size: 524`.
fn digest_from_status(status: &str) -> Option<String> {
    let (_, rest) = status.split_once("digest: ")?;
    let digest = rest.split_whitespace().next()?;
    digest.starts_with("sha256:").then(|| digest.to_string())
}

/// Whether a push error is the registry asking for (other) credentials.
fn is_auth_error(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "unauthorized",
        "authentication required",
        "no basic auth credentials",
        "denied",
        "forbidden",
    ]
    .iter()
    .any(|s| message.contains(s))
}

/// Pushes `reference` (`host:port/repo:tag`) and returns the manifest
/// digest the registry now holds (`sha256:...`), so what was pushed can be
/// pinned and checked.
///
/// Credentials for the reference's registry come from `docker_config`, a
/// docker `config.json`: `auths.<host>.auth` (base64 of `user:password`)
/// or `username`/`password`. Credential helpers are not run; a config that
/// leaves this host to one (`credsStore`, `credHelpers`) is an error that
/// says so. `None` pushes without credentials. The file is read on every
/// push, so a `docker login` that rewrote it counts without a restart.
///
/// # Errors
/// [`EngineError::BadReference`] without a tag; the config errors;
/// [`EngineError::PushAuth`] when the registry wants (other) credentials;
/// [`EngineError::PushFailed`] for other stream errors;
/// [`EngineError::NoSuchImage`] when no local image has that tag;
/// [`EngineError::Api`] when the engine fails.
pub async fn push(
    docker: &Docker,
    reference: &str,
    docker_config: Option<&Path>,
) -> Result<String, EngineError> {
    let (repository, tag) = split_reference(reference)?;
    let Some(tag) = tag else {
        return Err(EngineError::BadReference {
            reference: reference.to_string(),
            why: "has no tag; pushing it would push every tag of the repository",
        });
    };
    let registry = registry_host(repository);
    let credentials = match docker_config {
        Some(path) => {
            let text = tokio::fs::read_to_string(path).await.map_err(|source| {
                EngineError::DockerConfigRead {
                    image: reference.to_string(),
                    path: path.to_path_buf(),
                    source,
                }
            })?;
            credentials_from_config(&text, path, registry, reference)?
        }
        None => None,
    };
    let had_credentials = credentials.is_some();
    let options = PushImageOptions {
        tag: Some(tag.to_string()),
        platform: None,
    };
    let long = docker.clone().with_timeout(LONG_CALL);
    let mut stream = long.push_image(repository, Some(options), credentials);
    let mut digest = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                if let Some(found) = info.status.as_deref().and_then(digest_from_status) {
                    digest = Some(found);
                }
            }
            Err(ApiError::DockerStreamError { error })
                if error.starts_with("An image does not exist locally") =>
            {
                return Err(EngineError::NoSuchImage {
                    operation: "push",
                    image: reference.to_string(),
                })
            }
            Err(e) if is_status(&e, 404) => {
                return Err(EngineError::NoSuchImage {
                    operation: "push",
                    image: reference.to_string(),
                })
            }
            Err(ApiError::DockerStreamError { error }) if is_auth_error(&error) => {
                return Err(EngineError::PushAuth {
                    image: reference.to_string(),
                    registry: registry.to_string(),
                    message: error,
                    hint: if had_credentials {
                        "check the user and password in the docker config"
                    } else {
                        "no credentials were sent: give plumb a docker config with auths.<host>.auth"
                    },
                })
            }
            Err(ApiError::DockerStreamError { error }) => {
                return Err(EngineError::PushFailed {
                    image: reference.to_string(),
                    registry: registry.to_string(),
                    message: error,
                })
            }
            Err(source) => return Err(api("push", reference)(source)),
        }
    }
    digest.ok_or_else(|| EngineError::NoDigest {
        image: reference.to_string(),
    })
}

/// `docker.io/library/x` and `docker.io/x` as the engine lists them: `x`.
fn familiar(reference: &str) -> &str {
    let rest = reference
        .strip_prefix("docker.io/")
        .or_else(|| reference.strip_prefix("index.docker.io/"))
        .unwrap_or(reference);
    rest.strip_prefix("library/").unwrap_or(rest)
}

/// One local `repository:plumb-*` tag, as [`gc_plan`] weighs it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TagCandidate {
    /// `repository:plumb-...`, familiar form.
    reference: String,
    /// The image it names.
    image_id: String,
    /// When the image was built, nanoseconds since the epoch.
    created: i128,
}

/// Which tags garbage collection removes: all but the `keep` newest (by
/// image creation, ties by reference so the result is stable), except those
/// in use by reference or by image id.
fn gc_plan(
    mut candidates: Vec<TagCandidate>,
    keep: usize,
    used_refs: &BTreeSet<String>,
    used_ids: &BTreeSet<String>,
) -> Vec<String> {
    candidates.sort_by(|a, b| {
        b.created
            .cmp(&a.created)
            .then_with(|| b.reference.cmp(&a.reference))
    });
    candidates
        .into_iter()
        .skip(keep)
        .filter(|c| !used_refs.contains(&c.reference) && !used_ids.contains(&c.image_id))
        .map(|c| c.reference)
        .collect()
}

/// Garbage collection of plumb's tags: among the local `repository:plumb-*`
/// tags, keeps the `keep` newest (by the image's creation time) and every
/// tag in use, named in `in_use` (the cluster's desired state) or by any
/// container, running or not; removes the rest and returns them.
///
/// Removing a tag deletes the image (and its now unused parent layers)
/// only when no other tag names it; other tags of the repository are not
/// plumb's and are left alone. A tag the engine will not remove
/// because a container appeared meanwhile (409), or that is already gone
/// (404), is skipped; the next collection looks again.
///
/// # Errors
/// [`EngineError::Api`] when listing or a removal fails otherwise.
pub async fn gc(
    docker: &Docker,
    repository: &str,
    keep: usize,
    in_use: &BTreeSet<String>,
) -> Result<Vec<String>, EngineError> {
    let _alone = removal_guard().await;
    let repository = familiar(repository);
    let prefix = format!("{repository}:plumb-");
    let filters = HashMap::from([("reference".to_string(), vec![format!("{prefix}*")])]);
    let images = docker
        .list_images(Some(ListImagesOptions {
            filters: Some(filters),
            ..Default::default()
        }))
        .await
        .map_err(api("list images", repository))?;
    let containers = docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            ..Default::default()
        }))
        .await
        .map_err(api("list containers", repository))?;
    let mut used_refs: BTreeSet<String> = in_use.iter().map(|r| familiar(r).to_string()).collect();
    let mut used_ids = BTreeSet::new();
    for container in containers {
        used_ids.extend(container.image_id);
        used_refs.extend(container.image.map(|i| familiar(&i).to_string()));
    }
    let mut candidates = Vec::new();
    for image in images {
        let tags: Vec<&String> = image
            .repo_tags
            .iter()
            .filter(|t| t.starts_with(&prefix))
            .collect();
        if tags.is_empty() {
            continue;
        }
        // The summary's Created has whole seconds; builds a second apart
        // would tie, so read the nanoseconds from the image itself.
        let created = match inspect(docker, &image.id).await? {
            Some(info) => info.created.as_deref().and_then(created_nanos),
            None => None,
        }
        .unwrap_or(i128::from(image.created) * 1_000_000_000);
        candidates.extend(tags.into_iter().map(|t| TagCandidate {
            reference: t.clone(),
            image_id: image.id.clone(),
            created,
        }));
    }
    let long = docker.clone().with_timeout(LONG_CALL);
    let mut removed = Vec::new();
    for reference in gc_plan(candidates, keep, &used_refs, &used_ids) {
        let options = RemoveImageOptions {
            force: false,
            noprune: false,
            platforms: None,
        };
        match long.remove_image(&reference, Some(options), None).await {
            Ok(_) => removed.push(reference),
            Err(e) if is_status(&e, 404) => {}
            Err(e) if is_status(&e, 409) => {
                tracing::info!(image = %reference, error = %e, "image in use, kept");
            }
            Err(e) => return Err(api("remove", &reference)(e)),
        }
    }
    Ok(removed)
}

/// An RFC 3339 time as nanoseconds since the epoch.
fn created_nanos(text: &str) -> Option<i128> {
    text.parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_nanosecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(log: &mut BuildLog, items: &[&str]) -> Vec<BuildProgress> {
        let mut out = Vec::new();
        for item in items {
            let info: BuildInfo = serde_json::from_str(item).expect("a stream item");
            out.extend(log.feed(&info));
        }
        out
    }

    #[test]
    fn a_step_split_over_two_items_is_one_step() {
        let mut log = BuildLog::default();
        let out = feed_all(
            &mut log,
            &[
                r#"{"stream":"Step 1/3 : FROM scratch"}"#,
                r#"{"stream":"\n"}"#,
                r#"{"stream":" ---\u003e \n"}"#,
                r#"{"stream":"Step 2/3 : COPY a.txt /a.txt\n"}"#,
            ],
        );
        assert_eq!(
            out,
            vec![
                BuildProgress::Step {
                    number: 1,
                    total: 3,
                    text: "Step 1/3 : FROM scratch".into()
                },
                BuildProgress::Line(" ---> ".into()),
                BuildProgress::Step {
                    number: 2,
                    total: 3,
                    text: "Step 2/3 : COPY a.txt /a.txt".into()
                },
            ]
        );
    }

    #[test]
    fn one_item_may_hold_several_lines_and_a_partial_one() {
        let mut log = BuildLog::default();
        let out = feed_all(&mut log, &[r#"{"stream":"one\r\ntwo\n\nthr"}"#]);
        assert_eq!(
            out,
            vec![
                BuildProgress::Line("one".into()),
                BuildProgress::Line("two".into())
            ]
        );
        let out = feed_all(&mut log, &[r#"{"stream":"ee"}"#]);
        assert!(out.is_empty());
        assert_eq!(log.finish(), vec![BuildProgress::Line("three".into())]);
    }

    #[test]
    fn aux_gives_the_image_id() {
        let mut log = BuildLog::default();
        let out = feed_all(
            &mut log,
            &[
                r#"{"aux":{"ID":"sha256:f31ad7e3ac9093ae6cfd394e8609170b896d0b4190c246c2d51f6df98a5aec0a"}}"#,
                r#"{"stream":"Successfully built f31ad7e3ac90\n"}"#,
            ],
        );
        assert_eq!(
            out,
            vec![BuildProgress::Line(
                "Successfully built f31ad7e3ac90".into()
            )]
        );
        assert_eq!(
            log.outcome("x:1").unwrap().as_deref(),
            Some("sha256:f31ad7e3ac9093ae6cfd394e8609170b896d0b4190c246c2d51f6df98a5aec0a")
        );
    }

    #[test]
    fn an_error_item_fails_at_the_last_step_with_its_output() {
        let mut log = BuildLog::default();
        feed_all(
            &mut log,
            &[
                r#"{"stream":"Step 1/2 : FROM plumb-test/busybox:1"}"#,
                r#"{"stream":"\n"}"#,
                r#"{"stream":"Step 2/2 : RUN echo hello; false"}"#,
                r#"{"stream":"\n"}"#,
                r#"{"stream":" ---\u003e Running in 13587177869b\n"}"#,
                r#"{"stream":"hello\n"}"#,
                r#"{"errorDetail":{"code":1,"message":"The command '/bin/sh -c echo hello; false' returned a non-zero code: 1"},"error":"The command '/bin/sh -c echo hello; false' returned a non-zero code: 1"}"#,
            ],
        );
        assert!(log.failed());
        let err = log.outcome("app:plumb-1").unwrap_err();
        let EngineError::BuildFailed {
            image,
            step,
            message,
            last_lines,
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(image, "app:plumb-1");
        assert_eq!(step.as_deref(), Some("Step 2/2 : RUN echo hello; false"));
        assert!(message.contains("non-zero code: 1"), "{message}");
        assert_eq!(last_lines.last().map(String::as_str), Some("hello"));
        let text = err.to_string();
        assert!(text.contains("`app:plumb-1`"), "{text}");
        assert!(
            text.contains("at `Step 2/2 : RUN echo hello; false`"),
            "{text}"
        );
        assert!(text.contains("\n    | hello"), "{text}");
    }

    #[test]
    fn the_first_error_wins_and_a_partial_line_is_kept() {
        let mut log = BuildLog::default();
        feed_all(&mut log, &[r#"{"stream":"half a line"}"#]);
        assert_eq!(
            log.fail("first\n".into()),
            vec![BuildProgress::Line("half a line".into())]
        );
        log.fail("second".into());
        let Err(EngineError::BuildFailed { message, step, .. }) = log.outcome("x:1") else {
            panic!("not a build failure");
        };
        assert_eq!(message, "first");
        assert_eq!(step, None);
    }

    #[test]
    fn only_the_last_twenty_lines_are_kept() {
        let mut log = BuildLog::default();
        for i in 0..30 {
            let item = format!(r#"{{"stream":"line {i}\n"}}"#);
            feed_all(&mut log, &[&item]);
        }
        log.fail("boom".into());
        let Err(EngineError::BuildFailed { last_lines, .. }) = log.outcome("x:1") else {
            panic!("not a build failure");
        };
        assert_eq!(last_lines.len(), 20);
        assert_eq!(last_lines[0], "line 10");
        assert_eq!(last_lines[19], "line 29");
    }

    #[test]
    fn pull_status_is_logged_without_progress_bars() {
        let mut log = BuildLog::default();
        let out = feed_all(
            &mut log,
            &[
                r#"{"status":"Pulling from library/alpine","id":"3.19"}"#,
                r#"{"status":"Downloading","progressDetail":{"current":100,"total":300},"progress":"[==>  ]","id":"abc"}"#,
                r#"{"status":"Pull complete","progressDetail":{},"id":"abc"}"#,
                r#"{"status":"Status: Downloaded newer image for alpine:3.19"}"#,
            ],
        );
        assert_eq!(
            out,
            vec![
                BuildProgress::Line("3.19: Pulling from library/alpine".into()),
                BuildProgress::Line("abc: Pull complete".into()),
                BuildProgress::Line("Status: Downloaded newer image for alpine:3.19".into()),
            ]
        );
    }

    // The daemon runs builds, pushes and collections in spawned tasks.
    #[allow(dead_code)]
    fn futures_are_send<'a>(
        docker: &'a Docker,
        spec: &'a BuildSpec,
        progress: &'a mut (dyn FnMut(BuildProgress) + Send),
        in_use: &'a BTreeSet<String>,
    ) -> impl Send + 'a {
        (
            build(docker, spec, progress),
            push(docker, "a:1", None),
            gc(docker, "a", 1, in_use),
            inspect(docker, "a:1"),
            tag(docker, "a:1", "b:1"),
        )
    }

    #[test]
    fn a_spec_debugs_without_its_bytes() {
        let spec = BuildSpec {
            reference: "a:plumb-1".into(),
            context_tar: vec![0; 4096],
            ..Default::default()
        };
        let text = format!("{spec:?}");
        assert!(text.contains("<4096 bytes>"), "{text}");
        assert!(text.len() < 300, "{text}");
    }

    #[test]
    fn steps_parse_and_other_lines_do_not() {
        assert_eq!(parse_step("Step 12/30 : RUN make"), Some((12, 30)));
        assert_eq!(parse_step("Step 1/1 : FROM scratch AS x"), Some((1, 1)));
        assert_eq!(parse_step("Step x/3 : RUN"), None);
        assert_eq!(parse_step("Stepping 1/2 : x"), None);
        assert_eq!(parse_step(" ---> Running in abc"), None);
    }

    #[test]
    fn dockerfile_refusals_are_build_failures() {
        assert!(refused_dockerfile(
            400,
            "dockerfile parse error line 2: unknown instruction: FOO"
        ));
        assert!(refused_dockerfile(
            500,
            "Cannot locate specified Dockerfile: nope"
        ));
        assert!(!refused_dockerfile(500, "write /var/lib/docker: no space"));
    }

    #[test]
    fn references_split_at_the_tag_not_the_port() {
        let split = |r| split_reference(r).unwrap();
        assert_eq!(
            split("127.0.0.1:5000/team/api:plumb-1"),
            ("127.0.0.1:5000/team/api", Some("plumb-1"))
        );
        assert_eq!(
            split("127.0.0.1:5000/team/api"),
            ("127.0.0.1:5000/team/api", None)
        );
        assert_eq!(
            split("pakaura/api:plumb-0123"),
            ("pakaura/api", Some("plumb-0123"))
        );
        assert_eq!(split("busybox"), ("busybox", None));
        assert!(matches!(
            split_reference("app@sha256:abc"),
            Err(EngineError::BadReference { .. })
        ));
        assert!(split_reference("app:").is_err());
        assert!(split_reference("").is_err());
    }

    #[test]
    fn registry_hosts_as_the_docker_cli_finds_them() {
        assert_eq!(registry_host("127.0.0.1:5000/team/api"), "127.0.0.1:5000");
        assert_eq!(registry_host("localhost/api"), "localhost");
        assert_eq!(registry_host("ghcr.io/team/api"), "ghcr.io");
        assert_eq!(registry_host("pakaura/api"), "docker.io");
        assert_eq!(registry_host("busybox"), "docker.io");
        assert_eq!(
            normalize_registry("https://index.docker.io/v1/"),
            "docker.io"
        );
        assert_eq!(
            normalize_registry("http://127.0.0.1:5000"),
            "127.0.0.1:5000"
        );
        assert_eq!(normalize_registry("GHCR.io"), "ghcr.io");
    }

    fn creds(text: &str, registry: &str) -> Result<Option<DockerCredentials>, EngineError> {
        credentials_from_config(text, Path::new("/cfg/config.json"), registry, "img:1")
    }

    #[test]
    fn credentials_from_auth_or_username_and_password() {
        // base64("plumb:s3cr:et"): the password may hold a colon.
        let text = r#"{"auths":{"https://127.0.0.1:5000":{"auth":"cGx1bWI6czNjcjpldA=="}}}"#;
        let c = creds(text, "127.0.0.1:5000").unwrap().unwrap();
        assert_eq!(c.username.as_deref(), Some("plumb"));
        assert_eq!(c.password.as_deref(), Some("s3cr:et"));
        assert_eq!(c.serveraddress.as_deref(), Some("127.0.0.1:5000"));

        let text = r#"{"auths":{"ghcr.io":{"username":"u","password":"p"}}}"#;
        let c = creds(text, "ghcr.io").unwrap().unwrap();
        assert_eq!(
            (c.username.as_deref(), c.password.as_deref()),
            (Some("u"), Some("p"))
        );

        let text = r#"{"auths":{"https://index.docker.io/v1/":{"auth":"dTpw"}}}"#;
        assert!(creds(text, "docker.io").unwrap().is_some());
        assert!(creds(text, "ghcr.io").unwrap().is_none());
        assert!(creds("{}", "ghcr.io").unwrap().is_none());
    }

    #[test]
    fn a_credential_helper_is_named_in_the_error() {
        let text = r#"{"auths":{"ghcr.io":{}},"credsStore":"desktop"}"#;
        let err = creds(text, "ghcr.io").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("docker-credential-desktop"), "{msg}");
        assert!(msg.contains("ghcr.io"), "{msg}");
        assert!(msg.contains("/cfg/config.json"), "{msg}");

        let text = r#"{"credHelpers":{"ghcr.io":"gcr"}}"#;
        assert!(matches!(
            creds(text, "ghcr.io"),
            Err(EngineError::CredentialHelper { helper, .. }) if helper == "gcr"
        ));
        // Inline credentials win over a global store.
        let text = r#"{"auths":{"ghcr.io":{"auth":"dTpw"}},"credsStore":"desktop"}"#;
        assert!(creds(text, "ghcr.io").unwrap().is_some());
    }

    #[test]
    fn broken_configs_say_what_is_wrong() {
        let err = creds("{not json", "ghcr.io").unwrap_err();
        assert!(
            matches!(err, EngineError::DockerConfigInvalid { .. }),
            "{err}"
        );
        let err = creds(r#"{"auths":{"ghcr.io":{"auth":"!!!"}}}"#, "ghcr.io").unwrap_err();
        assert!(err.to_string().contains("not base64"), "{err}");
        // base64("nocolon")
        let err = creds(
            r#"{"auths":{"ghcr.io":{"auth":"bm9jb2xvbg=="}}}"#,
            "ghcr.io",
        )
        .unwrap_err();
        assert!(err.to_string().contains("user:password"), "{err}");
    }

    #[test]
    fn the_push_digest_comes_from_the_status_line() {
        assert_eq!(
            digest_from_status("plumb-1: digest: sha256:a3ac21ba size: 524").as_deref(),
            Some("sha256:a3ac21ba")
        );
        assert_eq!(digest_from_status("Pushed"), None);
        assert_eq!(
            digest_from_status("The push refers to repository [x]"),
            None
        );
    }

    #[test]
    fn auth_errors_are_told_apart() {
        assert!(is_auth_error("no basic auth credentials"));
        assert!(is_auth_error("unauthorized: authentication required"));
        assert!(!is_auth_error(
            "Get \"http://127.0.0.1:1/v2/\": dial tcp: connection refused"
        ));
    }

    fn candidate(reference: &str, id: &str, created: i128) -> TagCandidate {
        TagCandidate {
            reference: reference.into(),
            image_id: id.into(),
            created,
        }
    }

    #[test]
    fn gc_keeps_the_newest_and_the_used() {
        let candidates = vec![
            candidate("a:plumb-1", "sha256:1", 10),
            candidate("a:plumb-2", "sha256:2", 20),
            candidate("a:plumb-3", "sha256:3", 30),
            candidate("a:plumb-4", "sha256:4", 40),
            candidate("a:plumb-5", "sha256:5", 50),
        ];
        let used_refs = BTreeSet::from(["a:plumb-1".to_string()]);
        let used_ids = BTreeSet::from(["sha256:2".to_string()]);
        assert_eq!(
            gc_plan(candidates.clone(), 2, &used_refs, &used_ids),
            vec!["a:plumb-3".to_string()]
        );
        assert_eq!(
            gc_plan(candidates.clone(), 0, &BTreeSet::new(), &BTreeSet::new()).len(),
            5
        );
        assert!(gc_plan(candidates, 9, &BTreeSet::new(), &BTreeSet::new()).is_empty());
    }

    #[test]
    fn gc_ties_break_by_reference() {
        let candidates = vec![
            candidate("a:plumb-b", "sha256:1", 10),
            candidate("a:plumb-a", "sha256:1", 10),
        ];
        assert_eq!(
            gc_plan(candidates, 1, &BTreeSet::new(), &BTreeSet::new()),
            vec!["a:plumb-a".to_string()]
        );
    }

    #[test]
    fn familiar_names_drop_docker_hub() {
        assert_eq!(familiar("docker.io/library/busybox:1"), "busybox:1");
        assert_eq!(
            familiar("docker.io/pakaura/api:plumb-1"),
            "pakaura/api:plumb-1"
        );
        assert_eq!(
            familiar("127.0.0.1:5000/x:plumb-1"),
            "127.0.0.1:5000/x:plumb-1"
        );
    }

    #[test]
    fn created_times_keep_nanoseconds() {
        let a = created_nanos("2026-12-06T21:45:56.5Z").unwrap();
        let b = created_nanos("2026-12-06T21:45:56.50001Z").unwrap();
        assert!(a < b);
        assert_eq!(created_nanos("yesterday"), None);
    }
}
