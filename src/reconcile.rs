//! One reconcile of one app at one revision, start to finish.
//!
//! This module calls the pipeline's stages in order; it does not contain
//! them. Stages built so far: read the app's directory from the revision.
//! Rendering, image builds and applying to the cluster are added by their
//! issues; until then a reconcile fails honestly at the first missing stage,
//! so that status and metrics never claim a deploy that did not happen.

use std::time::{Duration, Instant};

use tracing::{info_span, Instrument};

use crate::config::SourceConfig;
use crate::manifest::AppSpec;
use crate::metrics::ReconcileResult;
use crate::source::{short_id, Source, SourceError};

/// Why a reconcile failed. The message names the app and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// The app's directory could not be read from the revision.
    #[error("app `{app}`: reading {path}")]
    Source {
        app: String,
        path: String,
        #[source]
        source: Box<SourceError>,
    },
    /// The app's `path` is not in the revision.
    #[error("app `{app}`: path {path} does not exist at {revision} (hint: commit the directory, or fix `path` in plumb.yaml)")]
    MissingPath {
        app: String,
        path: String,
        revision: String,
    },
    /// A stage panicked: a bug in plumb, reported instead of killing the daemon.
    #[error("app `{app}`: internal error: {message} (this is a bug in plumb; please report it)")]
    Panicked { app: String, message: String },
    /// A pipeline stage this build does not have yet.
    #[error("app `{app}`: the {stage} stage is not built into this version of plumb yet; nothing was applied")]
    StageNotBuilt { app: String, stage: &'static str },
}

impl ReconcileError {
    /// A stable, low-cardinality name for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            ReconcileError::Source { .. } => "source",
            ReconcileError::MissingPath { .. } => "missing_path",
            ReconcileError::StageNotBuilt { .. } => "not_built",
            ReconcileError::Panicked { .. } => "panic",
        }
    }
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
}

/// Reconciles `app` at `revision`, inside a span carrying the app and revision.
/// Git reads are blocking, so they run on the blocking pool.
pub async fn reconcile(
    source: &SourceConfig,
    state_dir: &std::path::Path,
    app: &AppSpec,
    revision: &str,
) -> Outcome {
    let span = info_span!("reconcile", app = %app.name, rev = %short_id(revision));
    let started = Instant::now();
    let (source, state_dir) = (source.clone(), state_dir.to_path_buf());
    let (task_app, task_rev) = (app.clone(), revision.to_string());
    let result = async {
        tokio::task::spawn_blocking(move || {
            let source = Source::open(&source, &state_dir).map_err(|e| ReconcileError::Source {
                app: task_app.name.clone(),
                path: task_app.path.clone(),
                source: Box::new(e),
            })?;
            run_stages(&source, &task_app, &task_rev)
        })
        .await
        .unwrap_or_else(|join| {
            Err(ReconcileError::Panicked {
                app: app.name.clone(),
                message: join.to_string(),
            })
        })
    }
    .instrument(span)
    .await;
    let took = started.elapsed();
    match result {
        Ok(()) => Outcome {
            result: ReconcileResult::Success,
            took,
            error: None,
        },
        Err(error) => Outcome {
            result: ReconcileResult::Failure,
            took,
            error: Some(error),
        },
    }
}

fn run_stages(source: &Source, app: &AppSpec, revision: &str) -> Result<(), ReconcileError> {
    let path = app.path.trim_matches('/');
    // The app's directory must exist at this revision: reading a file below
    // it tells a missing directory from a present one without walking it.
    match source.read_file(revision, path) {
        Ok(Some(_)) => {}
        Err(SourceError::NotAFile { .. }) => {}
        Ok(None) => {
            return Err(ReconcileError::MissingPath {
                app: app.name.clone(),
                path: source.full_path(path),
                revision: short_id(revision).to_string(),
            })
        }
        Err(source_error) => {
            return Err(ReconcileError::Source {
                app: app.name.clone(),
                path: source.full_path(path),
                source: Box::new(source_error),
            })
        }
    }
    Err(ReconcileError::StageNotBuilt {
        app: app.name.clone(),
        stage: "render",
    })
}

/// Errors of a one-off sync run by the CLI.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The source could not be read.
    #[error("cannot read the source: {0}")]
    Source(String),
    /// The named app is not in the repo manifest.
    #[error("no app named `{app}` in the repo manifest (apps: {known})")]
    UnknownApp { app: String, known: String },
}

/// Reads the source and reconciles one app (or all) once, in this process:
/// what `plumb sync` does when no daemon is running.
///
/// # Errors
/// [`SyncError`] when there is nothing to reconcile.
pub async fn sync_once(
    config: &crate::config::Config,
    app: Option<&str>,
) -> Result<Vec<(String, Outcome)>, SyncError> {
    let (source, state_dir) = (config.source.clone(), config.state_dir.clone());
    let update =
        tokio::task::spawn_blocking(move || crate::source::follow::read_once(&source, &state_dir))
            .await
            .map_err(|e| SyncError::Source(e.to_string()))?
            .map_err(SyncError::Source)?;
    let apps: Vec<_> = update
        .manifest
        .apps
        .iter()
        .filter(|a| app.is_none_or(|name| a.name == name))
        .cloned()
        .collect();
    if let (Some(name), true) = (app, apps.is_empty()) {
        return Err(SyncError::UnknownApp {
            app: name.to_string(),
            known: update
                .manifest
                .apps
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let mut outcomes = Vec::new();
    for spec in apps {
        let outcome = reconcile(
            &config.source,
            &config.state_dir,
            &spec,
            &update.revision.id,
        )
        .await;
        outcomes.push((spec.name, outcome));
    }
    Ok(outcomes)
}
