//! Watching a local clone for new commits: inotify (via `notify`) on the
//! refs, packed-refs, HEAD and reflogs of the git directory, debounced so a
//! rebase or a pull of 20 commits is one trigger with the final tip.
//!
//! The watch only says "look again"; the follower then resolves the branch
//! tip, which is cheap, and reads trees only if the tip moved. So a missed or
//! spurious event costs nothing but a ref lookup, and a slow poll backs the
//! watch up.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

/// Errors from setting up a watch.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// inotify refused (limit of watches reached, path gone).
    #[error("cannot watch {path} for new commits (hint: raise fs.inotify.max_user_watches; plumb falls back to polling)")]
    Watch {
        path: PathBuf,
        #[source]
        source: notify::Error,
    },
}

/// Coalesces a burst of events into one trigger: it fires once no event came
/// for `quiet`, or at the latest `max_wait` after the first event of the
/// burst, so a never-ending stream still triggers regularly.
#[derive(Debug, Clone)]
pub struct Debouncer {
    quiet: Duration,
    max_wait: Duration,
    first: Option<Instant>,
    last: Option<Instant>,
}

impl Debouncer {
    /// A debouncer with the given quiet period and cap.
    pub fn new(quiet: Duration, max_wait: Duration) -> Debouncer {
        Debouncer {
            quiet,
            max_wait,
            first: None,
            last: None,
        }
    }

    /// Records an event at `now`.
    pub fn event(&mut self, now: Instant) {
        self.first.get_or_insert(now);
        self.last = Some(now);
    }

    /// When to fire, if a burst is pending.
    pub fn deadline(&self) -> Option<Instant> {
        match (self.first, self.last) {
            (Some(first), Some(last)) => Some((last + self.quiet).min(first + self.max_wait)),
            _ => None,
        }
    }

    /// Fires (and resets) if the deadline has passed at `now`.
    pub fn fire(&mut self, now: Instant) -> bool {
        match self.deadline() {
            Some(deadline) if now >= deadline => {
                self.first = None;
                self.last = None;
                true
            }
            _ => false,
        }
    }
}

/// The quiet period: git writes a ref as lock file + rename within a
/// millisecond or two; 10 ms covers a commit's several writes.
pub const QUIET: Duration = Duration::from_millis(10);
/// The cap: a long rebase still triggers at least this often.
pub const MAX_WAIT: Duration = Duration::from_millis(250);

/// Whether a changed path can mean a moved branch. Objects, the index and
/// lock files change constantly and never move a ref by themselves.
pub fn is_ref_change(path: &Path, git_dirs: &[PathBuf]) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if name.ends_with(".lock") {
        return false;
    }
    git_dirs.iter().any(|dir| match path.strip_prefix(dir) {
        Ok(rel) => {
            let first = rel
                .components()
                .next()
                .and_then(|c| c.as_os_str().to_str())
                .unwrap_or("");
            matches!(first, "HEAD" | "packed-refs" | "refs" | "logs")
        }
        Err(_) => false,
    })
}

/// A running watch; dropping it stops the watch.
pub struct RefWatch {
    _watcher: notify::RecommendedWatcher,
}

/// Starts watching the git directories of the clone at `repo_path` (for a
/// worktree both its own git dir and the common one). Every event that can
/// mean a moved ref sends `()` on `tx`.
///
/// # Errors
/// [`WatchError`] when inotify refuses.
pub fn watch_refs(
    git_dir: &Path,
    common_dir: &Path,
    tx: mpsc::UnboundedSender<()>,
) -> Result<RefWatch, WatchError> {
    let git_dirs: Vec<PathBuf> = [git_dir, common_dir]
        .iter()
        .map(|p| p.canonicalize().unwrap_or_else(|_| p.to_path_buf()))
        .collect();
    let filter_dirs = git_dirs.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event {
            if event.paths.iter().any(|p| is_ref_change(p, &filter_dirs)) {
                let _ = tx.send(());
            }
        }
    })
    .map_err(|source| WatchError::Watch {
        path: git_dir.to_path_buf(),
        source,
    })?;
    let mut add = |path: PathBuf, mode| {
        if path.exists() {
            watcher
                .watch(&path, mode)
                .map_err(|source| WatchError::Watch { path, source })
        } else {
            Ok(())
        }
    };
    let mut seen = Vec::new();
    for dir in &git_dirs {
        if seen.contains(dir) {
            continue;
        }
        seen.push(dir.clone());
        // The directory itself (HEAD, packed-refs are replaced by rename)...
        add(dir.clone(), RecursiveMode::NonRecursive)?;
        // ...and the ref and reflog trees, which grow new subdirectories.
        add(dir.join("refs"), RecursiveMode::Recursive)?;
        add(dir.join("logs"), RecursiveMode::Recursive)?;
    }
    Ok(RefWatch { _watcher: watcher })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_event_fires_after_the_quiet_period() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(Duration::from_millis(25), Duration::from_millis(250));
        assert_eq!(d.deadline(), None);
        d.event(t0);
        assert!(!d.fire(t0 + Duration::from_millis(10)));
        assert!(d.fire(t0 + Duration::from_millis(25)));
        assert_eq!(d.deadline(), None, "reset after firing");
    }

    #[test]
    fn a_burst_is_one_trigger() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(Duration::from_millis(25), Duration::from_millis(250));
        let mut fired = 0;
        for i in 0..20 {
            let now = t0 + Duration::from_millis(i * 5);
            d.event(now);
            fired += usize::from(d.fire(now));
        }
        assert_eq!(fired, 0, "nothing fires while the burst goes on");
        assert!(d.fire(t0 + Duration::from_millis(95 + 25)));
    }

    #[test]
    fn an_endless_stream_still_fires_at_the_cap() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(Duration::from_millis(25), Duration::from_millis(250));
        let mut fired_at = Vec::new();
        for i in 0..100 {
            let now = t0 + Duration::from_millis(i * 10);
            d.event(now);
            if d.fire(now) {
                fired_at.push(i * 10);
            }
        }
        assert_eq!(fired_at.first(), Some(&250));
        assert!(fired_at.len() >= 3, "{fired_at:?}");
    }

    #[test]
    fn only_ref_paths_count() {
        let dirs = vec![PathBuf::from("/r/.git")];
        assert!(is_ref_change(Path::new("/r/.git/refs/heads/main"), &dirs));
        assert!(is_ref_change(Path::new("/r/.git/packed-refs"), &dirs));
        assert!(is_ref_change(Path::new("/r/.git/HEAD"), &dirs));
        assert!(is_ref_change(
            Path::new("/r/.git/logs/refs/heads/main"),
            &dirs
        ));
        assert!(!is_ref_change(
            Path::new("/r/.git/refs/heads/main.lock"),
            &dirs
        ));
        assert!(!is_ref_change(Path::new("/r/.git/objects/ab/cdef"), &dirs));
        assert!(!is_ref_change(Path::new("/r/.git/index"), &dirs));
        assert!(!is_ref_change(Path::new("/r/src/main.rs"), &dirs));
    }
}
