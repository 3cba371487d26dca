//! Following the source: the task that notices new commits and hands each
//! readable new revision to the daemon.
//!
//! A local clone is watched (inotify on its refs, debounced) with a slow
//! poll as a safety net; a remote is fetched every `poll_interval` ±10 %,
//! with capped exponential backoff while it fails. A webhook or `plumb sync`
//! kicks an immediate look. A revision that cannot be read (broken manifest,
//! deleted branch, unreachable remote) is reported as a [`SourceEvent`] and
//! the last good revision stays in force. The follower never writes status
//! or metrics itself: the daemon records the events it reports.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::remote::{Credentials, Mirror};
use super::watch::{self, Debouncer};
use super::{Revision, Source};
use crate::backoff::{jitter, Backoff};
use crate::config::{RepoLocation, SourceConfig};
use crate::error_chain;
use crate::manifest::{self, RepoManifest};

/// How long one remote fetch may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(60);
/// How often a watched local clone is still polled, in case an event is lost.
pub const WATCHED_POLL: Duration = Duration::from_secs(10);
/// How often a local clone is polled when it cannot be watched.
pub const UNWATCHED_POLL: Duration = Duration::from_secs(1);

/// Something that asks the follower to look now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kick {
    /// A verified push webhook: fetch now.
    Fetch,
    /// `plumb sync`: fetch now, then reconcile `app` (or every app) even if
    /// the revision did not change.
    Sync {
        /// The app to reconcile; all when `None`.
        app: Option<String>,
        /// Run the app's hooks even if its desired state is unchanged.
        force_hooks: bool,
    },
}

/// Why the daemon is handed a revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateReason {
    /// The branch moved.
    NewRevision,
    /// Someone asked (`plumb sync`).
    Sync {
        /// The app to reconcile; all when `None`.
        app: Option<String>,
        /// Run the app's hooks even if its desired state is unchanged.
        force_hooks: bool,
    },
}

/// A readable revision of the repo, handed to the daemon.
#[derive(Debug, Clone)]
pub struct SourceUpdate {
    /// The commit.
    pub revision: Revision,
    /// Its repo manifest.
    pub manifest: RepoManifest,
    /// Paths changed since the previous good revision; `None` for the first.
    pub changed_paths: Option<Vec<String>>,
    /// Why.
    pub reason: UpdateReason,
}

/// How one look at the source ended, for the fetch counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookResult {
    /// A new revision was read.
    Changed,
    /// Nothing moved.
    Unchanged,
    /// The look failed.
    Failed,
}

impl LookResult {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            LookResult::Changed => "changed",
            LookResult::Unchanged => "unchanged",
            LookResult::Failed => "failed",
        }
    }
}

/// What the follower reports as it goes.
#[derive(Debug, Clone)]
pub enum SourceEvent {
    /// One look at the source ended, after `took`.
    Looked { result: LookResult, took: Duration },
    /// A new readable revision is in force, read at `at`.
    Revision {
        /// The commit.
        revision: Revision,
        /// The branch followed (resolved from HEAD when configured so).
        branch: Option<String>,
        /// When it was read.
        at: SystemTime,
    },
    /// The source was read at `at` and nothing is wrong (any earlier
    /// error is over).
    Readable { at: SystemTime },
    /// Reading failed; the text names the cause with a hint and holds no
    /// secret. The last good revision stays in force.
    Failed { error: String },
}

/// Where the follower's events go: the daemon records them into status and
/// metrics; a benchmark may drop them.
pub trait SourceObserver: Send + Sync {
    /// One event, in the order they happen.
    fn record(&self, event: SourceEvent);
}

/// What the follower needs; built once by the daemon.
#[derive(Clone)]
pub struct FollowCtx {
    /// Where the repo is.
    pub source: SourceConfig,
    /// Where mirrors of remotes live.
    pub state_dir: PathBuf,
    /// Where events go.
    pub observer: Arc<dyn SourceObserver>,
}

/// The result of one look at the source.
enum Step {
    Unchanged,
    New {
        revision: Revision,
        manifest: RepoManifest,
        changed_paths: Option<Vec<String>>,
        branch: Option<String>,
        forced_from: Option<String>,
    },
}

/// Why the source could not be read: the cause, a stable label, and the
/// revision the branch points at when the error came after reading it.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the source")]
pub struct ReadError {
    /// A stable label for logs (`open`, `branch`, `manifest`, a fetch error's kind).
    pub kind: &'static str,
    /// The cause.
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
    /// The unusable revision, when one was read.
    pub revision: Option<Revision>,
}

impl ReadError {
    fn new(kind: &'static str, e: impl std::error::Error + Send + Sync + 'static) -> ReadError {
        ReadError {
            kind,
            source: Box::new(e),
            revision: None,
        }
    }

    /// The cause chain as one line, for status and logs.
    pub fn text(&self) -> String {
        error_chain(self.source.as_ref())
    }
}

/// The follower's own failures (a panicked read).
#[derive(Debug, thiserror::Error)]
#[error("internal error reading the source: {0} (this is a bug in plumb; please report it)")]
struct Internal(String);

/// Follows the source until cancelled, sending every new readable revision
/// (and sync requests) on `updates`.
pub async fn follow(
    ctx: FollowCtx,
    mut kicks: mpsc::Receiver<Kick>,
    updates: mpsc::Sender<SourceUpdate>,
    cancel: CancellationToken,
) {
    let remote = matches!(ctx.source.repo, RepoLocation::Remote(_));
    if remote {
        super::remote::set_network_timeouts(Duration::from_secs(10), Duration::from_secs(30));
    }
    let credentials = match Credentials::from_config(&ctx.source) {
        Ok(c) => c,
        Err(e) => {
            let text = error_chain(&e);
            warn!(error = %text, "cannot read the source credentials; fetches go without them");
            ctx.observer.record(SourceEvent::Failed { error: text });
            Credentials::default()
        }
    };

    let (watch_tx, mut watch_rx) = mpsc::unbounded_channel();
    let watching = if remote {
        None
    } else {
        start_watch(&ctx, watch_tx)
    };

    let mut mirror: Option<Mirror> = None;
    let mut last_seen: Option<String> = None;
    let mut good: Option<SourceUpdate> = None;
    let mut last_error: Option<String> = None;
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(300));
    let mut pending_sync: Option<(Option<String>, bool)> = None;
    // The tip is a revision that could not be read: keep reporting its error
    // until the branch moves, even though looking again finds "unchanged".
    let mut stuck_on_bad = false;

    loop {
        let started = Instant::now();
        let (step, returned_mirror) = {
            let (source, state_dir, creds) = (
                ctx.source.clone(),
                ctx.state_dir.clone(),
                credentials.clone(),
            );
            let (last, previous_good) = (
                last_seen.clone(),
                good.as_ref().map(|g| g.revision.id.clone()),
            );
            let mirror_in = mirror.take();
            let task = tokio::task::spawn_blocking(move || {
                look(&source, &state_dir, &creds, mirror_in, last, previous_good)
            });
            tokio::select! {
                _ = cancel.cancelled() => return,
                joined = task => joined.unwrap_or_else(|e| (Err(ReadError::new("panic", Internal(e.to_string()))), None)),
            }
        };
        mirror = returned_mirror;
        let took = started.elapsed();
        let looked = |result| SourceEvent::Looked { result, took };

        let failed = match step {
            Ok(Step::Unchanged) => {
                ctx.observer.record(looked(LookResult::Unchanged));
                if !stuck_on_bad {
                    if last_error.take().is_some() {
                        info!("source readable again");
                    }
                    ctx.observer.record(SourceEvent::Readable {
                        at: SystemTime::now(),
                    });
                }
                false
            }
            Ok(Step::New {
                revision,
                manifest,
                changed_paths,
                branch,
                forced_from,
            }) => {
                ctx.observer.record(looked(LookResult::Changed));
                if let Some(old) = forced_from {
                    warn!(old = %super::short_id(&old), new = %revision.short(), "branch was force-pushed; following the new tip");
                }
                info!(rev = %revision.short(), subject = %revision.subject, author = %revision.author, apps = manifest.apps.len(), changed = changed_paths.as_ref().map(Vec::len), "new revision");
                last_seen = Some(revision.id.clone());
                last_error = None;
                stuck_on_bad = false;
                ctx.observer.record(SourceEvent::Revision {
                    revision: revision.clone(),
                    branch,
                    at: SystemTime::now(),
                });
                let update = SourceUpdate {
                    revision,
                    manifest,
                    changed_paths,
                    reason: UpdateReason::NewRevision,
                };
                good = Some(update.clone());
                if updates.send(update).await.is_err() {
                    return;
                }
                false
            }
            Err(error) => {
                ctx.observer.record(looked(LookResult::Failed));
                if let Some(revision) = &error.revision {
                    // The branch moved, but the new revision is unusable:
                    // remember it so it is not re-read until it moves again.
                    last_seen = Some(revision.id.clone());
                    stuck_on_bad = true;
                }
                let text = error.text();
                if last_error.as_deref() != Some(text.as_str()) {
                    warn!(kind = error.kind, error = %text, "cannot read the source; keeping the last good revision");
                } else {
                    debug!(kind = error.kind, "source still failing");
                }
                ctx.observer.record(SourceEvent::Failed {
                    error: text.clone(),
                });
                last_error = Some(text);
                true
            }
        };

        if let Some((app, force_hooks)) = pending_sync.take() {
            if let Some(good) = &good {
                let mut update = good.clone();
                update.reason = UpdateReason::Sync { app, force_hooks };
                if updates.send(update).await.is_err() {
                    return;
                }
            }
        }

        let delay = if remote {
            if failed {
                backoff.next_delay()
            } else {
                backoff.reset();
                jitter(ctx.source.poll_interval)
            }
        } else if watching.is_some() {
            WATCHED_POLL
        } else {
            UNWATCHED_POLL
        };
        let sleep = tokio::time::sleep(delay);
        tokio::pin!(sleep);
        let mut debouncer = Debouncer::new(watch::QUIET, watch::MAX_WAIT);
        loop {
            let deadline = debouncer.deadline();
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = &mut sleep => break,
                kick = kicks.recv() => {
                    match kick {
                        Some(Kick::Sync { app, force_hooks }) => {
                            pending_sync = Some(match pending_sync.take() {
                                // Two syncs for different apps before one
                                // runs: sync all, forcing no app's hooks
                                // (no one asked that of all apps).
                                Some((earlier, _)) if earlier != app => (None, false),
                                Some((_, forced)) => (app, forced || force_hooks),
                                None => (app, force_hooks),
                            });
                        }
                        Some(Kick::Fetch) => {}
                        None => {}
                    }
                    backoff.reset();
                    break;
                }
                Some(()) = watch_rx.recv() => debouncer.event(Instant::now()),
                _ = sleep_until(deadline), if deadline.is_some() => {
                    if debouncer.fire(Instant::now()) {
                        break;
                    }
                }
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    if let Some(deadline) = deadline {
        tokio::time::sleep_until(deadline.into()).await;
    }
}

fn start_watch(ctx: &FollowCtx, tx: mpsc::UnboundedSender<()>) -> Option<watch::RefWatch> {
    let source = match Source::open(&ctx.source, &ctx.state_dir) {
        Ok(s) => s,
        Err(e) => {
            debug!(error = %error_chain(&e), "not watching: the repo cannot be opened yet");
            return None;
        }
    };
    let (git_dir, common_dir) = source.git_dirs();
    match watch::watch_refs(&git_dir, &common_dir, tx) {
        Ok(w) => {
            debug!(git_dir = %git_dir.display(), "watching refs for new commits");
            Some(w)
        }
        Err(e) => {
            warn!(error = %error_chain(&e), "cannot watch the repo; polling every second instead");
            None
        }
    }
}

/// Reads the source once, as the follower would on start (blocking; fetches
/// a remote). Used by `plumb sync` when no daemon is running.
///
/// # Errors
/// [`ReadError`], with its cause and hint, when no readable revision was
/// found.
pub fn read_once(
    config: &SourceConfig,
    state_dir: &std::path::Path,
) -> Result<SourceUpdate, ReadError> {
    let credentials =
        Credentials::from_config(config).map_err(|e| ReadError::new("credentials", e))?;
    match look(config, state_dir, &credentials, None, None, None).0 {
        Ok(Step::New {
            revision, manifest, ..
        }) => Ok(SourceUpdate {
            revision,
            manifest,
            changed_paths: None,
            reason: UpdateReason::Sync {
                app: None,
                force_hooks: false,
            },
        }),
        Ok(Step::Unchanged) => Err(ReadError::new(
            "internal",
            Internal("nothing was read".to_string()),
        )),
        Err(e) => Err(e),
    }
}

/// One look at the source (blocking): fetch if remote, resolve the tip, and
/// if it moved, read and parse the repo manifest and the changed paths.
fn look(
    config: &SourceConfig,
    state_dir: &std::path::Path,
    credentials: &Credentials,
    mirror: Option<Mirror>,
    last_seen: Option<String>,
    previous_good: Option<String>,
) -> (Result<Step, ReadError>, Option<Mirror>) {
    let (source, mirror, forced_from) = match &config.repo {
        RepoLocation::Local(path) => match Source::open_local(path, &config.branch, &config.path) {
            Ok(source) => (source, None, None),
            Err(e) => return (Err(ReadError::new("open", e)), None),
        },
        RepoLocation::Remote(url) => {
            let mirror = match mirror {
                Some(m) => m,
                None => match Mirror::open(state_dir, url) {
                    Ok(m) => m,
                    Err(e) => return (Err(ReadError::new(e.kind(), e)), None),
                },
            };
            let fetched = match mirror.fetch(&config.branch, credentials, FETCH_TIMEOUT) {
                Ok(f) => f,
                Err(e) => return (Err(ReadError::new(e.kind(), e)), Some(mirror)),
            };
            let forced_from = fetched
                .forced
                .then(|| fetched.previous.map(|p| p.to_string()))
                .flatten();
            match Source::open_mirror(
                mirror.path(),
                mirror.shown_url(),
                &fetched.branch,
                &config.path,
            ) {
                Ok(source) => (source, Some(mirror), forced_from),
                Err(e) => return (Err(ReadError::new("open", e)), Some(mirror)),
            }
        }
    };
    let result = read_revision(
        &source,
        last_seen.as_deref(),
        previous_good.as_deref(),
        forced_from,
    );
    (result, mirror)
}

fn read_revision(
    source: &Source,
    last_seen: Option<&str>,
    previous_good: Option<&str>,
    forced_from: Option<String>,
) -> Result<Step, ReadError> {
    let revision = source.tip().map_err(|e| ReadError::new("branch", e))?;
    if last_seen == Some(revision.id.as_str()) {
        return Ok(Step::Unchanged);
    }
    let with_revision = |mut e: ReadError| {
        e.revision = Some(revision.clone());
        e
    };
    let file = source.full_path(manifest::FILE_NAME);
    let text = source
        .read_file(&revision.id, manifest::FILE_NAME)
        .map_err(|e| with_revision(ReadError::new("read", e)))?
        .ok_or_else(|| {
            with_revision(ReadError::new(
                "manifest",
                manifest::ManifestError::Missing {
                    file: file.clone(),
                    revision: revision.short().to_string(),
                },
            ))
        })?;
    let manifest = manifest::parse(&file, &String::from_utf8_lossy(&text))
        .map_err(|e| with_revision(ReadError::new("manifest", e)))?;
    let changed_paths = previous_good.and_then(|old| source.changed_paths(old, &revision.id).ok());
    Ok(Step::New {
        branch: source.followed_branch(),
        revision,
        manifest,
        changed_paths,
        forced_from,
    })
}
