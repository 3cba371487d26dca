//! Following a local clone by watching its refs (issue 4): new commits,
//! amend, a pull or rebase burst as one revision, branch switches, worktrees,
//! refs rewritten by replacement, and corrupt objects. Real repositories,
//! changed with the `git` CLI while `plumb run` follows them.

mod support;

use std::path::Path;
use std::time::Duration;

use support::{git, source_config, Daemon, TestRepo};

fn follow(repo: &Path, branch: &str) -> Daemon {
    let (dir, config) = source_config(&repo.display().to_string(), branch, "", "");
    Daemon::start(&config, &[]).owning(dir)
}

fn head(repo: &Path) -> String {
    git(repo, &["rev-parse", "HEAD"])
}

fn bump(repo: &TestRepo, value: &str, message: &str) -> String {
    repo.write(
        "deploy/manifests/cm.yaml",
        &format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\ndata:\n  a: \"{value}\"\n"
        ),
    );
    repo.commit(message)
}

#[test]
fn a_new_commit_is_followed_with_its_metadata() {
    let repo = TestRepo::with_demo_app();
    let daemon = follow(repo.path(), "main");
    daemon.wait_revision(&head(repo.path()), "the first revision");
    let second = bump(&repo, "2", "raise a");
    let status = daemon.wait_revision(&second, "the new commit");
    assert_eq!(status["source"]["subject"], "raise a");
    assert_eq!(status["source"]["author"], "Plumb Test");
    assert_eq!(status["source"]["branch"], "main");
    assert!(status["source"]["committed_at"].is_string());
    assert_eq!(
        daemon.metric("plumb_source_fetch_total{result=\"changed\"}"),
        Some(2.0)
    );
    assert_eq!(
        daemon.metric(&format!(
            "plumb_source_revision_info{{revision=\"{second}\"}}"
        )),
        Some(1.0)
    );
    // Only the revision in force has a series.
    let (_, metrics) = daemon.get("/metrics");
    assert_eq!(
        metrics.matches("plumb_source_revision_info{").count(),
        1,
        "{metrics}"
    );
}

#[test]
fn an_amended_commit_is_followed() {
    let repo = TestRepo::with_demo_app();
    let daemon = follow(repo.path(), "main");
    let first = bump(&repo, "2", "typo in mesage");
    daemon.wait_revision(&first, "the commit");
    git(
        repo.path(),
        &["commit", "-q", "--amend", "-m", "typo fixed"],
    );
    let amended = head(repo.path());
    assert_ne!(first, amended);
    let status = daemon.wait_revision(&amended, "the amended commit");
    assert_eq!(status["source"]["subject"], "typo fixed");
}

#[test]
fn a_pull_of_twenty_commits_is_one_new_revision() {
    let repo = TestRepo::with_demo_app();
    let daemon = follow(repo.path(), "main");
    daemon.wait_revision(&head(repo.path()), "the first revision");
    git(repo.path(), &["checkout", "-q", "-b", "incoming"]);
    for i in 0..20 {
        bump(&repo, &i.to_string(), &format!("commit {i}"));
    }
    let last = head(repo.path());
    git(repo.path(), &["checkout", "-q", "main"]);
    git(repo.path(), &["merge", "-q", "--ff-only", "incoming"]);
    daemon.wait_revision(&last, "the final tip");
    let revisions = daemon.logged("new revision");
    assert_eq!(
        revisions.len(),
        2,
        "the first and the final tip only: {revisions:?}"
    );
}

#[test]
fn an_interactive_rebase_is_one_new_revision_of_the_final_tip() {
    let repo = TestRepo::with_demo_app();
    let base = head(repo.path());
    for i in 0..5 {
        repo.write(
            &format!("deploy/manifests/extra{i}.yaml"),
            &format!("# {i}\n"),
        );
        repo.commit(&format!("extra {i}"));
    }
    let daemon = follow(repo.path(), "main");
    daemon.wait_revision(&head(repo.path()), "the first revision");
    git(repo.path(), &["checkout", "-q", "-b", "side", &base]);
    repo.write("deploy/notes.txt", "side\n");
    repo.commit("side change");
    git(repo.path(), &["checkout", "-q", "main"]);
    git(repo.path(), &["rebase", "-q", "side"]);
    let rebased = head(repo.path());
    daemon.wait_revision(&rebased, "the rebased tip");
    let revisions = daemon.logged("new revision");
    assert_eq!(revisions.len(), 2, "{revisions:?}");
}

#[test]
fn a_named_branch_is_followed_whatever_is_checked_out() {
    let repo = TestRepo::with_demo_app();
    let main = head(repo.path());
    let daemon = follow(repo.path(), "main");
    daemon.wait_revision(&main, "main");
    let unchanged = |d: &Daemon| {
        d.metric("plumb_source_fetch_total{result=\"unchanged\"}")
            .unwrap_or(0.0)
    };
    let looks_before = unchanged(&daemon);
    git(repo.path(), &["checkout", "-q", "-b", "experiment"]);
    let experiment = bump(&repo, "x", "on experiment");
    // The watch fires on the new ref; the look after it must find main unchanged.
    support::wait_until(Duration::from_secs(20), "a look after the commit", || {
        (unchanged(&daemon) > looks_before).then_some(())
    });
    let status = daemon.status();
    assert_eq!(status["source"]["revision"], main.as_str());
    assert_ne!(status["source"]["revision"], experiment.as_str());
}

#[test]
fn head_follows_branch_switches() {
    let repo = TestRepo::with_demo_app();
    let daemon = follow(repo.path(), "HEAD");
    daemon.wait_revision(&head(repo.path()), "main");
    git(repo.path(), &["checkout", "-q", "-b", "feature"]);
    let feature = bump(&repo, "f", "on feature");
    let status = daemon.wait_revision(&feature, "the feature branch");
    assert_eq!(status["source"]["branch"], "feature");
    git(repo.path(), &["checkout", "-q", "main"]);
    let main = head(repo.path());
    let status = daemon.wait_revision(&main, "back on main");
    assert_eq!(status["source"]["branch"], "main");
}

#[test]
fn commits_in_a_worktree_are_followed() {
    let repo = TestRepo::with_demo_app();
    let parent = tempfile::tempdir().unwrap();
    let worktree = parent.path().join("wt");
    git(
        repo.path(),
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "wt",
            worktree.to_str().unwrap(),
        ],
    );
    let daemon = follow(&worktree, "HEAD");
    daemon.wait_revision(&head(&worktree), "the worktree's branch");
    std::fs::write(worktree.join("deploy/notes.txt"), "from the worktree\n").unwrap();
    git(&worktree, &["add", "-A"]);
    git(&worktree, &["commit", "-q", "-m", "in worktree"]);
    let status = daemon.wait_revision(&head(&worktree), "the worktree commit");
    assert_eq!(status["source"]["branch"], "wt");
}

#[test]
fn a_packed_refs_file_replaced_by_rename_is_seen() {
    let repo = TestRepo::with_demo_app();
    let daemon = follow(repo.path(), "main");
    daemon.wait_revision(&head(repo.path()), "the first revision");
    // Make a commit on another branch, pack every ref, then move main by
    // replacing packed-refs the way an editor saves: write aside, rename.
    git(repo.path(), &["checkout", "-q", "-b", "next"]);
    let next = bump(&repo, "n", "next");
    git(repo.path(), &["checkout", "-q", "--detach"]);
    git(repo.path(), &["pack-refs", "--all", "--prune"]);
    let git_dir = repo.path().join(".git");
    assert!(!git_dir.join("refs/heads/main").exists(), "main is packed");
    let packed = std::fs::read_to_string(git_dir.join("packed-refs")).unwrap();
    let old_main = git(repo.path(), &["rev-parse", "main"]);
    let replaced = packed.replace(
        &format!("{old_main} refs/heads/main"),
        &format!("{next} refs/heads/main"),
    );
    assert_ne!(packed, replaced);
    std::fs::write(git_dir.join("packed-refs.new"), replaced).unwrap();
    std::fs::rename(git_dir.join("packed-refs.new"), git_dir.join("packed-refs")).unwrap();
    daemon.wait_revision(&next, "main moved through packed-refs");
}

#[test]
fn a_missing_object_is_reported_and_the_last_good_revision_stays() {
    let repo = TestRepo::with_demo_app();
    let good = head(repo.path());
    let daemon = follow(repo.path(), "main");
    daemon.wait_revision(&good, "the first revision");
    // The commit is made on a side branch and main moves to it only once
    // its blob is gone: a read in between would find the blob and never
    // see it missing (this failed at random under full-suite load).
    git(repo.path(), &["checkout", "-q", "-b", "side"]);
    repo.write(
        "deploy/plumb.yaml",
        "apps:\n  - name: demo\n    namespace: demo\n    path: manifests\n    prune: false\n",
    );
    let broken = repo.commit("manifest whose blob goes missing");
    let object = repo.loose_object(&broken, "deploy/plumb.yaml");
    std::fs::remove_file(&object).expect("the blob is a loose object");
    git(repo.path(), &["update-ref", "refs/heads/main", &broken]);
    let status = daemon.wait_source_error(Duration::from_secs(20), "the read error");
    assert_eq!(status["source"]["revision"], good.as_str());
    let error = status["source"]["error"].as_str().unwrap();
    assert!(error.contains("deploy/plumb.yaml"), "{error}");
    assert!(error.contains(&broken[..12]), "names the revision: {error}");
    assert_eq!(daemon.get("/healthz").0, 200);
}
