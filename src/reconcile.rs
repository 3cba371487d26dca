//! One reconcile of one app at one revision, start to finish: read the app's
//! files from the revision, render them, and hand the objects to the cluster
//! engine. This module calls the stages in order; it does not contain them,
//! and it reports (stage times, the engine's report, the error) instead of
//! recording: the daemon or the CLI records.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tracing::{info_span, Instrument};

use crate::cluster::apply::Cluster;
use crate::cluster::engine::{self, SyncOptions, SyncReport};
use crate::cluster::wait::{NoProgress, Progress};
use crate::config::SourceConfig;
use crate::manifest::AppSpec;
use crate::metrics::ReconcileResult;
use crate::object::Object;
use crate::render::{self, RenderError};
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
}

/// Reads and renders an app's objects at a revision (blocking: git), through
/// the one render entry point.
///
/// # Errors
/// [`ReconcileError::Source`] or [`ReconcileError::Render`].
pub fn render_app(
    source: &SourceConfig,
    state_dir: &Path,
    app: &AppSpec,
    revision: &str,
) -> Result<Vec<Object>, ReconcileError> {
    let repo = Source::open(source, state_dir).map_err(|e| ReconcileError::Source {
        app: app.name.clone(),
        source: Box::new(e),
    })?;
    let files = RevisionFiles {
        source: &repo,
        revision,
    };
    render::render_app(app, &files).map_err(|source| ReconcileError::Render {
        app: app.name.clone(),
        source: Box::new(source),
    })
}

/// Reconciles `app` at `revision`, inside a span carrying the app and
/// revision, reporting its phases and waits to `progress`.
pub async fn reconcile(
    ctx: &ReconcileCtx,
    app: &AppSpec,
    revision: &str,
    options: SyncOptions,
    progress: &dyn Progress,
) -> Outcome {
    let span = info_span!("reconcile", app = %app.name, rev = %short_id(revision));
    let started = Instant::now();
    let mut stages = Vec::new();
    let (result, report) = run_stages(ctx, app, revision, options, progress, &mut stages)
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
    }
}

async fn render_blocking(
    ctx: &ReconcileCtx,
    app: &AppSpec,
    revision: &str,
) -> Result<Vec<Object>, ReconcileError> {
    let (source, state_dir) = (ctx.source.clone(), ctx.state_dir.clone());
    let (task_app, task_rev) = (app.clone(), revision.to_string());
    tokio::task::spawn_blocking(move || render_app(&source, &state_dir, &task_app, &task_rev))
        .await
        .unwrap_or_else(|join| {
            Err(ReconcileError::Panicked {
                app: app.name.clone(),
                message: join.to_string(),
            })
        })
}

async fn run_stages(
    ctx: &ReconcileCtx,
    app: &AppSpec,
    revision: &str,
    options: SyncOptions,
    progress: &dyn Progress,
    stages: &mut Vec<(&'static str, Duration)>,
) -> (Result<(), ReconcileError>, Option<SyncReport>) {
    let render_started = Instant::now();
    let rendered = render_blocking(ctx, app, revision).await;
    stages.push(("render", render_started.elapsed()));
    let objects = match rendered {
        Ok(objects) => objects,
        Err(e) => return (Err(e), None),
    };
    let Some(cluster) = &ctx.cluster else {
        return (
            Err(ReconcileError::NoCluster {
                app: app.name.clone(),
            }),
            None,
        );
    };
    let apply_started = Instant::now();
    let (report, result) = engine::sync(cluster, app, revision, objects, options, progress).await;
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
    let ctx = ReconcileCtx {
        source: config.source.clone(),
        state_dir: config.state_dir.clone(),
        cluster,
    };
    let mut outcomes = Vec::new();
    for spec in apps {
        let outcome = reconcile(&ctx, &spec, &update.revision.id, options, &NoProgress).await;
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
    };
    let mut out = Vec::new();
    for spec in apps {
        let result = match render_blocking(&ctx, &spec, &update.revision.id).await {
            Ok(objects) => engine::preview(cluster, &spec, &update.revision.id, objects, options)
                .await
                .map_err(|source| ReconcileError::Sync {
                    app: spec.name.clone(),
                    source: Box::new(source),
                }),
            Err(e) => Err(e),
        };
        out.push((spec.name, result));
    }
    Ok(out)
}
