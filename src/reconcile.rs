//! One reconcile of one app at one revision, start to finish: read the app's
//! files from the revision, render them, and hand the objects to the cluster
//! engine. This module calls the stages in order; it does not contain them,
//! and it reports (stage times, the engine's report, the error) instead of
//! recording: the daemon or the CLI records.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::{info_span, Instrument};

use crate::build::images::{self, BuildError, BuildOptions};
use crate::cluster::apply::{crd_served_kinds, Cluster};
use crate::cluster::engine::{self, SyncOptions, SyncReport};
use crate::cluster::wait::{NoProgress, Progress};
use crate::config::SourceConfig;
use crate::manifest::AppSpec;
use crate::metrics::ReconcileResult;
use crate::object::Object;
use crate::render::{self, ChartUse, RenderCache, RenderEnv, RenderError, Rendered};
use crate::source::follow::ReadError;
use crate::source::{short_id, RevisionFiles, Source, SourceError};

/// Why a reconcile failed. The message names the app and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// The repo could not be opened.
    #[error("app `{app}`: cannot open the repo")]
    Source {
        app: String,
        #[source]
        source: Box<SourceError>,
    },
    /// The manifests do not render.
    #[error("app `{app}`")]
    Render {
        app: String,
        #[source]
        source: Box<RenderError>,
    },
    /// An image could not be built: nothing was rendered or applied, what
    /// runs stays as it was.
    #[error("app `{app}`: image build failed; nothing was applied")]
    Build {
        app: String,
        #[source]
        source: Box<BuildError>,
    },
    /// No cluster to apply to.
    #[error("app `{app}`: the Kubernetes API is not reachable; nothing was applied (hint: is Minikube running? `minikube status`; `plumb status` shows the cluster error)")]
    NoCluster { app: String },
    /// The cluster engine failed (apply, health, hook, prune).
    #[error("app `{app}`")]
    Sync {
        app: String,
        #[source]
        source: Box<engine::SyncError>,
    },
    /// A stage panicked: a bug in plumb, reported instead of killing the daemon.
    #[error("app `{app}`: internal error: {message} (this is a bug in plumb; please report it)")]
    Panicked { app: String, message: String },
}

impl ReconcileError {
    /// A stable, low-cardinality name for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            ReconcileError::Source { .. } => "source",
            ReconcileError::Render { .. } => "render",
            ReconcileError::Build { .. } => "build",
            ReconcileError::NoCluster { .. } => "no_cluster",
            ReconcileError::Sync { source, .. } => source.kind(),
            ReconcileError::Panicked { .. } => "panic",
        }
    }
}

/// What a reconcile needs; built by the caller for each one.
#[derive(Clone)]
pub struct ReconcileCtx {
    /// Where the repo is.
    pub source: SourceConfig,
    /// Where mirrors live.
    pub state_dir: PathBuf,
    /// The cluster, when it has been reached.
    pub cluster: Option<Cluster>,
    /// The Docker Engine, when it has been reached (apps with images need it).
    pub docker: Option<bollard::Docker>,
    /// How images are built.
    pub build: BuildOptions,
}

/// The result of one reconcile, for status and metrics.
#[derive(Debug)]
pub struct Outcome {
    /// Success or failure.
    pub result: ReconcileResult,
    /// Wall time.
    pub took: Duration,
    /// The error, when it failed.
    pub error: Option<ReconcileError>,
    /// What the cluster engine did, when it ran.
    pub report: Option<SyncReport>,
    /// Wall time per stage that ran: `render`, `apply`, `wait`, `prune`.
    pub stages: Vec<(&'static str, Duration)>,
    /// For a chart app that rendered: whether the chart was loaded and its
    /// templates rendered, or both taken from the app's cache.
    pub chart: Option<ChartUse>,
    /// The app's images, as the build stage left them (empty without images,
    /// or when the stage failed before the engine was asked).
    pub images: Vec<ImageRecord>,
}

/// What the build stage did for one image, for metrics and status.
#[derive(Debug, Clone)]
pub struct ImageRecord {
    /// The declared repository.
    pub name: String,
    /// `built`, `cached` or `failed`.
    pub result: &'static str,
    /// The check and build's wall time.
    pub took: Duration,
    /// The context's size after `.dockerignore`.
    pub context_bytes: u64,
}

/// Reads and renders an app's objects at a revision (blocking: git), through
/// the one render entry point, as a first install without a cache (what
/// `plumb render` shows).
///
/// # Errors
/// [`ReconcileError::Source`] or [`ReconcileError::Render`].
pub fn render_app(
    source: &SourceConfig,
    state_dir: &Path,
    app: &AppSpec,
    revision: &str,
) -> Result<Vec<Object>, ReconcileError> {
    let images = planned_images(source, state_dir, app, revision, &BuildOptions::default())?;
    let env = RenderEnv {
        images: images.iter().map(images::PlannedImage::image_ref).collect(),
        ..RenderEnv::default()
    };
    render_app_with(
        source,
        state_dir,
        app,
        revision,
        &env,
        &mut RenderCache::default(),
    )
    .map(|r| r.objects)
}

/// The app's images at a revision with their content-addressed tags,
/// computed from git alone (blocking): what `plumb render` shows and what
/// the build stage checks. Empty for an app without images.
///
/// # Errors
/// [`ReconcileError::Source`] or [`ReconcileError::Build`] (a context or
/// `.dockerignore` problem).
pub fn planned_images(
    source: &SourceConfig,
    state_dir: &Path,
    app: &AppSpec,
    revision: &str,
    options: &BuildOptions,
) -> Result<Vec<images::PlannedImage>, ReconcileError> {
    if app.images.is_empty() {
        return Ok(Vec::new());
    }
    let repo = Source::open(source, state_dir).map_err(|e| ReconcileError::Source {
        app: app.name.clone(),
        source: Box::new(e),
    })?;
    images::plan(&repo, app, revision, options).map_err(|e| ReconcileError::Build {
        app: app.name.clone(),
        source: Box::new(e),
    })
}

/// [`planned_images`] on a blocking thread (git reads).
async fn plan_blocking(
    ctx: &ReconcileCtx,
    app: &AppSpec,
    revision: &str,
) -> Result<Vec<images::PlannedImage>, ReconcileError> {
    if app.images.is_empty() {
        return Ok(Vec::new());
    }
    let (source, state_dir, task_app, task_rev, options) = (
        ctx.source.clone(),
        ctx.state_dir.clone(),
        app.clone(),
        revision.to_string(),
        ctx.build.clone(),
    );
    tokio::task::spawn_blocking(move || {
        planned_images(&source, &state_dir, &task_app, &task_rev, &options)
    })
    .await
    .map_err(|join| ReconcileError::Panicked {
        app: app.name.clone(),
        message: join.to_string(),
    })?
}

/// The build stage: plans the app's images (blocking thread) and makes
/// sure the engine has them. Returns every image's outcome and, when all
/// are there, the references the render uses.
///
/// # Errors
/// [`ReconcileError::Build`] for the first image that failed (every
/// outcome is still returned, for metrics).
pub async fn build_images(
    ctx: &ReconcileCtx,
    app: &AppSpec,
    revision: &str,
) -> (
    Vec<ImageRecord>,
    Result<Vec<crate::build::ImageRef>, ReconcileError>,
) {
    if app.images.is_empty() {
        return (Vec::new(), Ok(Vec::new()));
    }
    let failed = |e: BuildError| ReconcileError::Build {
        app: app.name.clone(),
        source: Box::new(e),
    };
    let planned = match plan_blocking(ctx, app, revision).await {
        Ok(planned) => planned,
        Err(e) => return (Vec::new(), Err(e)),
    };
    let Some(docker) = &ctx.docker else {
        let e = BuildError::NoDocker {
            image: planned
                .first()
                .map(|p| p.spec.name.clone())
                .unwrap_or_default(),
            reason: "the Docker Engine has not answered yet".into(),
        };
        return (Vec::new(), Err(failed(e)));
    };
    let outcomes = images::ensure(
        docker,
        &ctx.source,
        &ctx.state_dir,
        &app.name,
        revision,
        &planned,
        &ctx.build,
    )
    .await;
    let mut records = Vec::new();
    let mut refs = Vec::new();
    let mut first_error = None;
    for (image, outcome) in planned.iter().zip(outcomes) {
        match outcome {
            Ok(ensured) => {
                records.push(ImageRecord {
                    name: image.spec.name.clone(),
                    result: ensured.result.label(),
                    took: ensured.took,
                    context_bytes: ensured.context_bytes,
                });
                refs.push(ensured.image);
            }
            Err(e) => {
                records.push(ImageRecord {
                    name: image.spec.name.clone(),
                    result: "failed",
                    took: Duration::ZERO,
                    context_bytes: image.context.bytes,
                });
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        None => (records, Ok(refs)),
        Some(e) => (records, Err(failed(e))),
    }
}

/// Reads and renders an app's objects at a revision (blocking: git) with
/// what the cluster holds (`env`) and the app's render cache.
///
/// # Errors
/// [`ReconcileError::Source`] or [`ReconcileError::Render`].
pub fn render_app_with(
    source: &SourceConfig,
    state_dir: &Path,
    app: &AppSpec,
    revision: &str,
    env: &RenderEnv,
    cache: &mut RenderCache,
) -> Result<Rendered, ReconcileError> {
    let repo = Source::open(source, state_dir).map_err(|e| ReconcileError::Source {
        app: app.name.clone(),
        source: Box::new(e),
    })?;
    let files = RevisionFiles {
        source: &repo,
        revision,
    };
    render::render_app_with(app, &files, env, cache).map_err(|source| ReconcileError::Render {
        app: app.name.clone(),
        source: Box::new(source),
    })
}

/// What a render of `app` needs to know of the cluster: for a chart app,
/// the release its inventory records (one read of the inventory), the
/// cluster's version and its API versions (discovery, cached); nothing
/// for a directory app or without a cluster.
///
/// # Errors
/// [`ReconcileError::Sync`] when the inventory or discovery cannot be
/// read.
pub async fn render_env(
    cluster: Option<&Cluster>,
    app: &AppSpec,
) -> Result<RenderEnv, ReconcileError> {
    let Some(cluster) = cluster.filter(|_| app.is_chart()) else {
        return Ok(RenderEnv::default());
    };
    let inventory = cluster
        .read_inventory(&app.name)
        .await
        .map_err(|e| ReconcileError::Sync {
            app: app.name.clone(),
            source: Box::new(engine::SyncError::Apply(e)),
        })?;
    let api_versions = cluster
        .api_versions()
        .await
        .map_err(|e| ReconcileError::Sync {
            app: app.name.clone(),
            source: Box::new(engine::SyncError::Apply(e)),
        })?;
    Ok(RenderEnv {
        current: inventory.release(),
        kube_version: cluster.version().map(str::to_string),
        api_versions: Some(api_versions),
        images: Vec::new(),
    })
}

/// Reconciles `app` at `revision`, inside a span carrying the app and
/// revision, reporting its phases and waits to `progress`. `cache` is the
/// app's render cache (the daemon keeps one per app across reconciles).
pub async fn reconcile(
    ctx: &ReconcileCtx,
    app: &AppSpec,
    revision: &str,
    options: SyncOptions,
    progress: &dyn Progress,
    cache: &mut RenderCache,
) -> Outcome {
    let span = info_span!("reconcile", app = %app.name, rev = %short_id(revision));
    let started = Instant::now();
    let mut stages = Vec::new();
    let mut chart = None;
    let mut images = Vec::new();
    let (result, report) = run_stages(
        ctx,
        app,
        revision,
        options,
        progress,
        &mut stages,
        &mut chart,
        &mut images,
        cache,
    )
    .instrument(span)
    .await;
    Outcome {
        result: if result.is_ok() {
            ReconcileResult::Success
        } else {
            ReconcileResult::Failure
        },
        took: started.elapsed(),
        error: result.err(),
        report,
        stages,
        chart,
        images,
    }
}

/// Renders on a blocking thread (git reads, template execution); the cache
/// goes there and comes back (it is lost, and starts empty, only if the
/// render panicked).
async fn render_blocking(
    ctx: &ReconcileCtx,
    app: &AppSpec,
    revision: &str,
    env: RenderEnv,
    cache: &mut RenderCache,
) -> Result<Rendered, ReconcileError> {
    let (source, state_dir) = (ctx.source.clone(), ctx.state_dir.clone());
    let (task_app, task_rev) = (app.clone(), revision.to_string());
    let mut taken = std::mem::take(cache);
    let joined = tokio::task::spawn_blocking(move || {
        let rendered = render_app_with(&source, &state_dir, &task_app, &task_rev, &env, &mut taken);
        (rendered, taken)
    })
    .await;
    match joined {
        Ok((rendered, back)) => {
            *cache = back;
            rendered
        }
        Err(join) => Err(ReconcileError::Panicked {
            app: app.name.clone(),
            message: join.to_string(),
        }),
    }
}

#[allow(clippy::too_many_arguments)] // the stages' inputs and the outcome's parts
async fn run_stages(
    ctx: &ReconcileCtx,
    app: &AppSpec,
    revision: &str,
    options: SyncOptions,
    progress: &dyn Progress,
    stages: &mut Vec<(&'static str, Duration)>,
    chart: &mut Option<ChartUse>,
    images: &mut Vec<ImageRecord>,
    cache: &mut RenderCache,
) -> (Result<(), ReconcileError>, Option<SyncReport>) {
    // Images first: a build that fails leaves everything deployed as it is.
    let built = if app.images.is_empty() {
        Vec::new()
    } else {
        let build_started = Instant::now();
        let (records, result) = build_images(ctx, app, revision).await;
        *images = records;
        stages.push(("build", build_started.elapsed()));
        match result {
            Ok(refs) => refs,
            Err(e) => return (Err(e), None),
        }
    };
    let render_started = Instant::now();
    let env = match render_env(ctx.cluster.as_ref(), app).await {
        Ok(env) => RenderEnv {
            images: built,
            ..env
        },
        Err(e) => return (Err(e), None),
    };
    let mut rendered = render_blocking(ctx, app, revision, env.clone(), cache).await;
    if let (Ok(first), Some(cluster)) = (&rendered, &ctx.cluster) {
        match install_new_crds(cluster, app, revision, &first.objects, &env).await {
            Ok(Some(api_versions)) => {
                let env = RenderEnv {
                    api_versions: Some(api_versions),
                    ..env
                };
                rendered = render_blocking(ctx, app, revision, env, cache).await;
            }
            Ok(None) => {}
            Err(e) => return (Err(e), None),
        }
    }
    stages.push(("render", render_started.elapsed()));
    let rendered = match rendered {
        Ok(rendered) => rendered,
        Err(e) => return (Err(e), None),
    };
    *chart = rendered.chart;
    let Some(cluster) = &ctx.cluster else {
        return (
            Err(ReconcileError::NoCluster {
                app: app.name.clone(),
            }),
            None,
        );
    };
    let options = SyncOptions {
        release: rendered.release,
        ..options
    };
    let apply_started = Instant::now();
    let (report, result) =
        engine::sync(cluster, app, revision, rendered.objects, options, progress).await;
    let total = apply_started.elapsed();
    let apply = total.saturating_sub(report.waited + report.pruned);
    stages.extend([
        ("apply", apply),
        ("wait", report.waited),
        ("prune", report.pruned),
    ]);
    (
        result.map_err(|source| ReconcileError::Sync {
            app: app.name.clone(),
            source: Box::new(source),
        }),
        Some(report),
    )
}

/// Helm installs a chart's `crds/` before it renders the templates, so
/// that templates testing `.Capabilities.APIVersions.Has` for a new kind
/// see it on the first install. The same here: the CRDs of `crds/` among
/// `objects` whose kinds the render's API versions lack are applied, and
/// once discovery shows them the new API versions are returned for a
/// second render. `None` when there is nothing to install.
///
/// # Errors
/// [`ReconcileError::Sync`] when a CRD cannot be applied.
async fn install_new_crds(
    cluster: &Cluster,
    app: &AppSpec,
    revision: &str,
    objects: &[Object],
    env: &RenderEnv,
) -> Result<Option<Arc<Vec<String>>>, ReconcileError> {
    let Some(known) = &env.api_versions else {
        return Ok(None);
    };
    let new_kinds = |o: &Object| -> Vec<String> {
        crd_served_kinds(&o.data)
            .into_iter()
            .filter(|k| known.binary_search(k).is_err())
            .collect()
    };
    let crds: Vec<&Object> = objects
        .iter()
        .filter(|o| from_crds_dir(&o.origin.file) && !new_kinds(o).is_empty())
        .collect();
    if crds.is_empty() {
        return Ok(None);
    }
    let kinds: Vec<String> = crds.iter().flat_map(|o| new_kinds(o)).collect();
    tracing::info!(
        crds = crds.len(),
        "installing the chart's crds/ before rendering, as Helm does"
    );
    engine::install_crds(cluster, app, revision, &crds)
        .await
        .map_err(|source| ReconcileError::Sync {
            app: app.name.clone(),
            source: Box::new(source),
        })?;
    Ok(discovered_after_crds(cluster, &kinds).await)
}

/// Whether a chart file path (`shop/crds/x.yaml`,
/// `shop/charts/db/crds/y.yaml`) is in a chart's `crds/` directory rather
/// than among its templates.
fn from_crds_dir(path: &str) -> bool {
    let dirs: Vec<&str> = path.split('/').skip(1).collect();
    let Some((_, dirs)) = dirs.split_last() else {
        return false;
    };
    dirs.iter()
        .take_while(|d| **d != "templates")
        .any(|d| *d == "crds")
}

/// The cluster's API versions once they show `crd_kinds`: the API server
/// publishes a CRD in discovery when it is established, a moment after it
/// is applied, so this asks again for up to 60 seconds (Helm's wait for
/// its CRDs). `None` when discovery fails.
async fn discovered_after_crds(
    cluster: &Cluster,
    crd_kinds: &[String],
) -> Option<Arc<Vec<String>>> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now = cluster.api_versions().await.ok()?;
        let missing = crd_kinds.iter().any(|k| now.binary_search(k).is_err());
        if !missing || Instant::now() >= deadline {
            return Some(now);
        }
        cluster.forget_api_versions();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Errors of a one-off command (sync, diff, render) before any app runs.
#[derive(Debug, thiserror::Error)]
pub enum OneOffError {
    /// The source could not be read.
    #[error(transparent)]
    Source(#[from] ReadError),
    /// Reading the source panicked (a bug).
    #[error("internal error reading the source: {0} (this is a bug in plumb; please report it)")]
    Internal(String),
    /// The named app is not in the repo manifest.
    #[error("no app named `{app}` in the repo manifest (apps: {known})")]
    UnknownApp { app: String, known: String },
}

/// Reads the source at the branch tip and picks one app (or all) of its
/// manifest, for the one-off commands.
///
/// # Errors
/// [`OneOffError`] when the source cannot be read or the app is unknown.
pub async fn read_apps(
    config: &crate::config::Config,
    app: Option<&str>,
) -> Result<(crate::source::follow::SourceUpdate, Vec<AppSpec>), OneOffError> {
    let (source, state_dir) = (config.source.clone(), config.state_dir.clone());
    let update =
        tokio::task::spawn_blocking(move || crate::source::follow::read_once(&source, &state_dir))
            .await
            .map_err(|e| OneOffError::Internal(e.to_string()))??;
    let apps: Vec<_> = update
        .manifest
        .apps
        .iter()
        .filter(|a| app.is_none_or(|name| a.name == name))
        .cloned()
        .collect();
    if let (Some(name), true) = (app, apps.is_empty()) {
        let known: Vec<_> = update
            .manifest
            .apps
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        return Err(OneOffError::UnknownApp {
            app: name.to_string(),
            known: known.join(", "),
        });
    }
    Ok((update, apps))
}

/// Reads the source and reconciles one app (or all) once, in this process:
/// what `plumb sync` does when no daemon is running.
///
/// # Errors
/// [`OneOffError`] when there is nothing to reconcile.
pub async fn sync_once(
    config: &crate::config::Config,
    cluster: Option<Cluster>,
    app: Option<&str>,
    options: SyncOptions,
) -> Result<Vec<(String, Outcome)>, OneOffError> {
    let (update, apps) = read_apps(config, app).await?;
    let docker = if apps.iter().any(|a| !a.images.is_empty()) {
        match crate::build::docker::connect_from_config(&config.docker).await {
            Ok((docker, _)) => Some(docker),
            Err(e) => {
                tracing::warn!(error = %crate::error_chain(&e), "no Docker Engine: apps with images will fail");
                None
            }
        }
    } else {
        None
    };
    let ctx = ReconcileCtx {
        source: config.source.clone(),
        state_dir: config.state_dir.clone(),
        cluster,
        docker,
        build: config.build.clone(),
    };
    let mut outcomes = Vec::new();
    for spec in apps {
        let outcome = reconcile(
            &ctx,
            &spec,
            &update.revision.id,
            options.clone(),
            &NoProgress,
            &mut RenderCache::default(),
        )
        .await;
        outcomes.push((spec.name, outcome));
    }
    Ok(outcomes)
}

/// What a sync of each app (or one) would do now, with nothing changed in
/// the cluster: for `plumb diff` and `plumb sync --dry-run`.
///
/// # Errors
/// [`OneOffError`] when the source cannot be read or the app is unknown;
/// each app's own failure is in its entry.
pub async fn preview_apps(
    config: &crate::config::Config,
    cluster: &Cluster,
    app: Option<&str>,
    options: SyncOptions,
) -> Result<Vec<(String, Result<engine::Preview, ReconcileError>)>, OneOffError> {
    let (update, apps) = read_apps(config, app).await?;
    let ctx = ReconcileCtx {
        source: config.source.clone(),
        state_dir: config.state_dir.clone(),
        cluster: Some(cluster.clone()),
        docker: None,
        build: config.build.clone(),
    };
    let mut out = Vec::new();
    for spec in apps {
        let result = preview_app(&ctx, cluster, &spec, &update.revision.id, options.clone()).await;
        out.push((spec.name, result));
    }
    Ok(out)
}

/// Renders one app as a sync would (a chart with the release its
/// inventory records) and previews the plan.
async fn preview_app(
    ctx: &ReconcileCtx,
    cluster: &Cluster,
    app: &AppSpec,
    revision: &str,
    options: SyncOptions,
) -> Result<engine::Preview, ReconcileError> {
    // The tags a build would give, without building (`plumb diff` shows
    // which workloads a commit's images roll).
    let planned = plan_blocking(ctx, app, revision).await?;
    let env = RenderEnv {
        images: planned
            .iter()
            .map(images::PlannedImage::image_ref)
            .collect(),
        ..render_env(Some(cluster), app).await?
    };
    let rendered = render_blocking(ctx, app, revision, env, &mut RenderCache::default()).await?;
    let options = SyncOptions {
        release: rendered.release,
        ..options
    };
    engine::preview(cluster, app, revision, rendered.objects, options)
        .await
        .map_err(|source| ReconcileError::Sync {
            app: app.name.clone(),
            source: Box::new(source),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::Origin;
    use serde_json::json;

    fn object(file: &str, data: serde_json::Value) -> Object {
        Object {
            data,
            origin: Origin::file(file, 0, 1),
        }
    }

    #[test]
    fn crds_dir_paths_are_told_from_templates() {
        assert!(from_crds_dir("shop/crds/gadgets.yaml"));
        assert!(from_crds_dir("shop/charts/db/crds/x.yaml"));
        assert!(from_crds_dir("shop/crds/nested/x.yaml"));
        assert!(!from_crds_dir("shop/templates/crds/x.yaml"));
        assert!(!from_crds_dir("shop/templates/crd.yaml"));
        assert!(!from_crds_dir("crds.yaml"));
    }

    #[test]
    fn served_crd_kinds_name_each_served_version() {
        let crd = object(
            "shop/crds/gadgets.yaml",
            json!({
                "apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition",
                "metadata": {"name": "gadgets.shop.test"},
                "spec": {
                    "group": "shop.test",
                    "names": {"kind": "Gadget", "plural": "gadgets"},
                    "versions": [
                        {"name": "v1", "served": true},
                        {"name": "v1beta1", "served": false},
                        {"name": "v2"}
                    ]
                }
            }),
        );
        let config = object(
            "shop/templates/cm.yaml",
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}),
        );
        assert_eq!(
            crd_served_kinds(&crd.data),
            ["shop.test/v1/Gadget", "shop.test/v2/Gadget"]
        );
        assert!(crd_served_kinds(&config.data).is_empty());
    }
}
