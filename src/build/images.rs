//! The build stage of a reconcile (and of `plumb build`): for each image an
//! app declares, its context at the revision, its content-addressed tag,
//! and a build only when the engine has no image of that tag.
//!
//! Reading contexts is blocking (git) and cheap: blob ids and sizes, no
//! content ([`plan`]). The engine part is async ([`ensure`]): one inspect
//! per image; a missing one has its tar read from git and is built, images
//! of one app in parallel up to a bound. A failed build fails the stage
//! with the image, the step and the last lines, and nothing is deployed
//! from it: the reconcile stops before render.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bollard::Docker;

use super::context::{self, Context, ContextError};
use super::engine::{self, BuildProgress, BuildSpec, EngineError};
use super::ImageRef;
use crate::config::SourceConfig;
use crate::manifest::{AppSpec, ImageSpec};
use crate::source::{short_id, Source, SourceError};

/// How many images of one app build at once: builds are CPU- and
/// disk-bound in the engine, and Minikube's VM has few cores.
pub const DEFAULT_PARALLEL_BUILDS: usize = 2;

/// How many `plumb-*` tags of an image are kept: the one deployed, the one
/// before (a rollback needs no rebuild) and one more.
pub const DEFAULT_KEEP: usize = 3;

/// The labels plumb puts on every image it builds.
pub const LABEL_APP: &str = "dev.plumb.app";
/// The revision the image was first built from.
pub const LABEL_REVISION: &str = "dev.plumb.revision";
/// The context digest (the tag is its first 12 digits).
pub const LABEL_DIGEST: &str = "dev.plumb.context-digest";

/// What the build stage may do.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Refuse contexts bigger than this (after `.dockerignore`).
    pub max_context_bytes: u64,
    /// Images built at once.
    pub parallel: usize,
    /// Push images that name a registry (`plumb build --push`, and always
    /// in a reconcile when the image has a registry).
    pub push: bool,
    /// The docker config.json with registry credentials.
    pub docker_config: Option<PathBuf>,
    /// `plumb-*` tags kept per image after a build (older ones are removed
    /// unless a container uses them).
    pub keep: usize,
}

impl Default for BuildOptions {
    fn default() -> BuildOptions {
        BuildOptions {
            max_context_bytes: context::DEFAULT_MAX_CONTEXT_BYTES,
            parallel: DEFAULT_PARALLEL_BUILDS,
            push: true,
            docker_config: None,
            keep: DEFAULT_KEEP,
        }
    }
}

/// Why the build stage failed; each names the image.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The repo could not be read.
    #[error("image `{image}`: cannot read its context")]
    Source {
        image: String,
        #[source]
        source: Box<SourceError>,
    },
    /// The context is unusable (missing, no Dockerfile, bad .dockerignore,
    /// too big).
    #[error(transparent)]
    Context(#[from] ContextError),
    /// The engine failed or the build did.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// No Docker Engine was reached.
    #[error("image `{image}`: no Docker Engine to build with: {reason} (hint: is Minikube running? `plumb status` shows the Docker endpoint; set docker.minikube or docker.endpoint in the agent config)")]
    NoDocker { image: String, reason: String },
    /// The build task panicked (a bug in plumb).
    #[error("image `{image}`: internal error: {message}")]
    Panicked { image: String, message: String },
}

/// One image of an app at a revision, before the engine is asked.
#[derive(Debug, Clone)]
pub struct PlannedImage {
    /// What plumb.yaml declares.
    pub spec: ImageSpec,
    /// Its context and digest.
    pub context: Context,
}

impl PlannedImage {
    /// The image as a render uses it, before any push: `repository:tag`.
    pub fn image_ref(&self) -> ImageRef {
        ImageRef {
            name: self.spec.name.clone(),
            repository: self.spec.repository(),
            tag: self.context.tag(),
            digest: None,
            values_key: self
                .spec
                .values_key
                .clone()
                .map(|k| (k, self.spec.values_form)),
        }
    }

    /// `repository:tag`.
    pub fn reference(&self) -> String {
        format!("{}:{}", self.spec.repository(), self.context.tag())
    }
}

/// What the engine had to do for one image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageResult {
    /// The engine had the tag: nothing built.
    Cached,
    /// Built now.
    Built,
}

impl ImageResult {
    /// The metric label (`plumb_image_builds_total{result}`).
    pub fn label(self) -> &'static str {
        match self {
            ImageResult::Cached => "cached",
            ImageResult::Built => "built",
        }
    }
}

/// One image after [`ensure`].
#[derive(Debug, Clone)]
pub struct EnsuredImage {
    /// The reference as deployed (with the digest when pinned).
    pub image: ImageRef,
    /// Cached or built.
    pub result: ImageResult,
    /// Wall time of the check, and of the build when there was one.
    pub took: Duration,
    /// The context's size.
    pub context_bytes: u64,
}

/// Reads every image's context of `app` at `revision` (blocking: git) and
/// digests it. Reads blob ids only, and the `.dockerignore` files.
///
/// # Errors
/// [`BuildError::Source`] or [`BuildError::Context`] for the first image
/// that fails.
pub fn plan(
    repo: &Source,
    app: &AppSpec,
    revision: &str,
    options: &BuildOptions,
) -> Result<Vec<PlannedImage>, BuildError> {
    app.images
        .iter()
        .map(|spec| {
            let source = |e: SourceError| BuildError::Source {
                image: spec.name.clone(),
                source: Box::new(e),
            };
            let blobs = repo.blobs_under(revision, &spec.context).map_err(source)?;
            let ignore = match blobs.iter().find(|b| b.path == ".dockerignore") {
                Some(b) => Some(repo.read_blob(&b.id).map_err(source)?),
                None => None,
            };
            let rules = context::ignore_rules(spec, ignore.as_deref())?;
            let context =
                context::context(spec, revision, blobs, &rules, options.max_context_bytes)?;
            Ok(PlannedImage {
                spec: spec.clone(),
                context,
            })
        })
        .collect()
}

/// Makes sure the engine has every planned image: one inspect each, a
/// build (tar read from git on a blocking thread) for those it lacks, at
/// most `options.parallel` at once, then the push of images that name a
/// registry. Build output goes to the log: a line per step at info, every
/// line at debug. One result per planned image, in the same order.
pub async fn ensure(
    docker: &Docker,
    source: &SourceConfig,
    state_dir: &Path,
    app: &str,
    revision: &str,
    planned: &[PlannedImage],
    options: &BuildOptions,
) -> Vec<Result<EnsuredImage, BuildError>> {
    let permits = tokio::sync::Semaphore::new(options.parallel.max(1));
    let builds: Vec<_> = planned
        .iter()
        .map(|image| {
            let permits = &permits;
            async move {
                // The semaphore is never closed, so a permit always comes.
                let _permit = permits.acquire().await.ok();
                ensure_one(docker, source, state_dir, app, revision, image, options).await
            }
        })
        .collect();
    futures::future::join_all(builds).await
}

async fn ensure_one(
    docker: &Docker,
    source: &SourceConfig,
    state_dir: &Path,
    app: &str,
    revision: &str,
    image: &PlannedImage,
    options: &BuildOptions,
) -> Result<EnsuredImage, BuildError> {
    let started = Instant::now();
    let reference = image.reference();
    let mut image_ref = image.image_ref();
    let existing = engine::inspect(docker, &reference).await?;
    let result = match existing {
        Some(_) => {
            tracing::debug!(image = %image.spec.name, %reference, "image is built already");
            ImageResult::Cached
        }
        None => {
            build_one(docker, source, state_dir, app, revision, image).await?;
            collect_garbage(docker, image, options).await;
            ImageResult::Built
        }
    };
    if image.spec.registry.is_some() && options.push {
        let pushed_before = existing.as_ref().and_then(|info| {
            let repository = image.spec.repository();
            info.repo_digests.iter().find_map(|d| {
                d.strip_prefix(&format!("{repository}@"))
                    .map(str::to_string)
            })
        });
        let digest = match (result, pushed_before) {
            (ImageResult::Cached, Some(digest)) => digest,
            _ => {
                tracing::info!(image = %image.spec.name, %reference, "pushing");
                engine::push(docker, &reference, options.docker_config.as_deref()).await?
            }
        };
        if image.spec.pin_digest {
            image_ref.digest = Some(digest);
        }
    }
    Ok(EnsuredImage {
        image: image_ref,
        result,
        took: started.elapsed(),
        context_bytes: image.context.bytes,
    })
}

/// Removes the image's older `plumb-*` tags beyond `options.keep`, never
/// the one just built nor one a container uses. A failure is logged: it
/// never fails the build.
async fn collect_garbage(docker: &Docker, image: &PlannedImage, options: &BuildOptions) {
    let in_use = std::collections::BTreeSet::from([image.reference()]);
    let repository = image.spec.repository();
    match engine::gc(docker, &repository, options.keep.max(1), &in_use).await {
        Ok(removed) if removed.is_empty() => {}
        Ok(removed) => {
            tracing::info!(image = %image.spec.name, removed = %removed.join(", "), "removed old image tags")
        }
        Err(e) => {
            tracing::warn!(image = %image.spec.name, error = %crate::error_chain(&e), "cannot remove old image tags")
        }
    }
}

async fn build_one(
    docker: &Docker,
    source: &SourceConfig,
    state_dir: &Path,
    app: &str,
    revision: &str,
    image: &PlannedImage,
) -> Result<(), BuildError> {
    let name = image.spec.name.clone();
    let tar = {
        let (source, state_dir, context) = (
            source.clone(),
            state_dir.to_path_buf(),
            image.context.clone(),
        );
        let task_name = name.clone();
        tokio::task::spawn_blocking(move || -> Result<Vec<u8>, BuildError> {
            let wrap = |e: SourceError| BuildError::Source {
                image: task_name.clone(),
                source: Box::new(e),
            };
            let repo = Source::open(&source, &state_dir).map_err(wrap)?;
            context::tar(&context, &mut |blob| repo.read_blob(&blob.id)).map_err(wrap)
        })
        .await
        .map_err(|e| BuildError::Panicked {
            image: name.clone(),
            message: e.to_string(),
        })??
    };
    let labels = BTreeMap::from([
        (LABEL_APP.to_string(), app.to_string()),
        (LABEL_REVISION.to_string(), revision.to_string()),
        (LABEL_DIGEST.to_string(), image.context.digest.clone()),
    ]);
    let spec = BuildSpec {
        reference: image.reference(),
        context_tar: tar,
        dockerfile: image.spec.dockerfile.clone(),
        target: image.spec.target.clone(),
        args: image.spec.args.clone(),
        labels,
        cache_from: Vec::new(),
        platform: image.spec.platform.clone(),
    };
    tracing::info!(
        image = %name,
        reference = %spec.reference,
        context = %context::human_bytes(image.context.bytes),
        revision = %short_id(revision),
        "building"
    );
    let log_name = name.clone();
    let mut progress = move |p: BuildProgress| match p {
        BuildProgress::Step { text, .. } => tracing::info!(image = %log_name, "{text}"),
        BuildProgress::Line(line) => tracing::debug!(image = %log_name, "{line}"),
    };
    engine::build(docker, &spec, &mut progress).await?;
    Ok(())
}
