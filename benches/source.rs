//! Git source figures (issue 4), side by side with the git CLI where there
//! is one: commit → trigger for a watched local clone, a fetch that brings
//! nothing (file://), reading a 1,000-file tree, and the changed paths
//! between two revisions 10,000 files apart. Prints a table; asserts nothing.

mod common;

use common::git;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use plumb::config::{RepoLocation, SourceConfig};
use plumb::source::follow::{self, FollowCtx, SourceEvent, SourceObserver};
use plumb::source::remote::{Credentials, Mirror};
use plumb::source::Source;

/// The bench reads updates, not events.
struct Ignore;

impl SourceObserver for Ignore {
    fn record(&self, _: SourceEvent) {}
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("source bench: skipped in test mode (run scripts/bench)");
        return;
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    println!();
    println!(
        "{:<56} {:>10} {:>10} {:>14}",
        "source", "p50", "p99", "target"
    );

    // 1. Commit → trigger, watched local clone.
    let repo = tempfile::tempdir().expect("tempdir");
    git(repo.path(), &["init", "-q", "-b", "main"]);
    write(
        repo.path(),
        "deploy/plumb.yaml",
        "apps:\n  - name: demo\n    namespace: demo\n    path: m\n",
    );
    write(repo.path(), "deploy/m/cm.yaml", "a: 0\n");
    git(repo.path(), &["add", "-A"]);
    commit_cli(repo.path(), "first");
    let mut latencies = runtime.block_on(commit_to_trigger(repo.path(), 60));
    row(
        "commit → trigger, local watch (60 commits)",
        &mut latencies,
        "p50 < 50 ms",
    );

    // 2. Fetch with nothing new, file:// remote; plumb's mirror vs `git fetch`.
    let remote = tempfile::tempdir().expect("tempdir");
    let bare = remote.path().join("app.git");
    git(
        remote.path(),
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            bare.to_str().expect("utf-8"),
        ],
    );
    git(
        repo.path(),
        &["push", "-q", bare.to_str().expect("utf-8"), "main"],
    );
    let url = format!("file://{}", bare.display());
    let state = tempfile::tempdir().expect("tempdir");
    let mirror = Mirror::open(state.path(), &url).expect("mirror");
    let creds = Credentials::default();
    mirror
        .fetch("main", &creds, Duration::from_secs(30))
        .expect("first fetch");
    let mut fetches = time_n(100, || {
        mirror
            .fetch("main", &creds, Duration::from_secs(30))
            .expect("fetch");
    });
    row(
        "fetch, nothing new, file:// (plumb mirror)",
        &mut fetches,
        "< 20 ms",
    );
    let clone = tempfile::tempdir().expect("tempdir");
    git(clone.path(), &["clone", "-q", &url, "c"]);
    let clone_dir = clone.path().join("c");
    let mut cli_fetches = time_n(30, || git(&clone_dir, &["fetch", "-q", "origin", "main"]));
    row(
        "  `git fetch origin main` as a process",
        &mut cli_fetches,
        "",
    );

    // 3. Read a 1,000-file tree at a revision.
    for i in 0..1000 {
        write(
            repo.path(),
            &format!("deploy/m/d{:02}/f{i:04}.yaml", i % 20),
            &format!("n: {i}\n"),
        );
    }
    git(repo.path(), &["add", "-A"]);
    commit_cli(repo.path(), "1000 files");
    let source = Source::open_local(repo.path(), "main", "deploy").expect("open");
    let tip = source.tip().expect("tip").id;
    let mut reads = time_n(100, || {
        let files = source.files_under(&tip, "m").expect("read");
        assert!(files.len() > 1000);
    });
    row(
        "read a 1,000-file tree, loose objects (paths + contents)",
        &mut reads,
        "< 10 ms",
    );
    git(repo.path(), &["gc", "-q"]);
    let source = Source::open_local(repo.path(), "main", "deploy").expect("open");
    let mut packed_reads = time_n(100, || {
        let files = source.files_under(&tip, "m").expect("read");
        assert!(files.len() > 1000);
    });
    row(
        "read a 1,000-file tree, packed (as fetched)",
        &mut packed_reads,
        "< 10 ms",
    );
    let mut ls_tree = time_n(30, || {
        git(repo.path(), &["ls-tree", "-r", "-z", &tip, "deploy/m"])
    });
    row(
        "  `git ls-tree -r` as a process (paths only)",
        &mut ls_tree,
        "",
    );

    // 4. Changed paths between two revisions 10,000 files apart.
    let before = tip.clone();
    for i in 0..10_000 {
        write(
            repo.path(),
            &format!("big/d{:03}/f{i:05}.yaml", i % 100),
            "x: 1\n",
        );
    }
    git(repo.path(), &["add", "-A"]);
    commit_cli(repo.path(), "10,000 files");
    let source = Source::open_local(repo.path(), "main", "").expect("open");
    let after = source.tip().expect("tip").id;
    let mut diffs = time_n(30, || {
        let changed = source.changed_paths(&before, &after).expect("diff");
        assert_eq!(changed.len(), 10_000);
    });
    row("changed paths, 10,000 files apart", &mut diffs, "< 20 ms");
    let mut cli_diffs = time_n(10, || {
        git(repo.path(), &["diff", "--name-only", &before, &after])
    });
    row("  `git diff --name-only` as a process", &mut cli_diffs, "");
}

/// Runs the real follower on `repo` and times commit (ref update) → update received.
async fn commit_to_trigger(repo: &Path, n: usize) -> Vec<Duration> {
    let state = tempfile::tempdir().expect("tempdir");
    let ctx = FollowCtx {
        source: SourceConfig {
            repo: RepoLocation::Local(repo.to_path_buf()),
            branch: "main".into(),
            path: "deploy".into(),
            poll_interval: Duration::from_secs(30),
            webhook_secret_file: None,
            ssh_key_file: None,
            known_hosts_file: None,
            token_file: None,
        },
        state_dir: state.path().to_path_buf(),
        observer: Arc::new(Ignore),
    };
    let (_kick_tx, kick_rx) = tokio::sync::mpsc::channel(1);
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let cancel = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(follow::follow(ctx, kick_rx, tx, cancel.clone()));
    rx.recv().await.expect("first revision");
    let git_repo = git2::Repository::open(repo).expect("open");
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        // A commit made in-process, so the clock starts at the ref update.
        let sig = git2::Signature::now("bench", "bench@plumb.dev").expect("sig");
        let parent = git_repo
            .head()
            .and_then(|h| h.peel_to_commit())
            .expect("head");
        let tree = parent.tree().expect("tree");
        let started = Instant::now();
        let id = git_repo
            .commit(
                Some("HEAD"),
                &sig,
                &sig,
                &format!("bench {i}"),
                &tree,
                &[&parent],
            )
            .expect("commit");
        let update = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("the commit is noticed")
            .expect("update");
        samples.push(started.elapsed());
        assert_eq!(update.revision.id, id.to_string());
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    cancel.cancel();
    let _ = task.await;
    samples
}

fn time_n(n: usize, mut f: impl FnMut()) -> Vec<Duration> {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect()
}

fn row(name: &str, samples: &mut [Duration], target: &str) {
    common::row(56, name, samples, target);
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn commit_cli(dir: &Path, message: &str) {
    git(
        dir,
        &[
            "-c",
            "user.name=b",
            "-c",
            "user.email=b@b",
            "commit",
            "-qm",
            message,
        ],
    );
}
