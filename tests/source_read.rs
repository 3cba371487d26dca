//! Reading revisions straight from git's object database (issue 4):
//! symlinks and executable bits, a 10 MB file, 10,000 files, and the
//! changed paths between two revisions.

mod support;

use plumb::source::Source;
use support::{git, TestRepo};

fn open(repo: &TestRepo) -> Source {
    Source::open_local(repo.path(), "main", "").expect("open")
}

#[test]
fn symlinks_and_mode_changes_are_read_and_diffed() {
    let repo = TestRepo::empty();
    repo.write("bin/run.sh", "#!/bin/sh\necho hi\n");
    std::os::unix::fs::symlink("bin/run.sh", repo.path().join("run")).unwrap();
    let first = repo.commit("script and link");
    let source = open(&repo);
    // A symlink's blob is its target, as git stores it; never followed on disk.
    assert_eq!(
        source.read_file(&first, "run").unwrap().unwrap(),
        b"bin/run.sh"
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        repo.path().join("bin/run.sh"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let second = repo.commit("make it executable");
    assert_eq!(
        source.changed_paths(&first, &second).unwrap(),
        ["bin/run.sh"],
        "a mode change is a change"
    );
    std::fs::remove_file(repo.path().join("run")).unwrap();
    std::fs::write(repo.path().join("run"), "now a file\n").unwrap();
    let third = repo.commit("link becomes a file");
    assert_eq!(source.changed_paths(&second, &third).unwrap(), ["run"]);
}

#[test]
fn a_ten_megabyte_file_is_read_whole() {
    let repo = TestRepo::empty();
    let big: String = (0..10 * 1024 * 1024 / 64)
        .map(|i| format!("{i:063}\n"))
        .collect();
    repo.write("deploy/big.txt", &big);
    let rev = repo.commit("big");
    let read = open(&repo)
        .read_file(&rev, "deploy/big.txt")
        .unwrap()
        .unwrap();
    assert_eq!(read.len(), big.len());
    assert!(read == big.as_bytes());
}

#[test]
fn ten_thousand_files_and_exactly_the_changed_paths() {
    let repo = TestRepo::empty();
    repo.write("README", "base\n");
    let empty_base = repo.commit("base");
    for dir in 0..100 {
        for file in 0..100 {
            repo.write(
                &format!("tree/d{dir:03}/f{file:03}.yaml"),
                &format!("n: {dir}{file}\n"),
            );
        }
    }
    let full = repo.commit("10,000 files");
    let source = open(&repo);
    let added = source.changed_paths(&empty_base, &full).unwrap();
    assert_eq!(added.len(), 10_000);
    assert_eq!(added[0], "tree/d000/f000.yaml");

    repo.write("tree/d042/f007.yaml", "changed\n");
    std::fs::remove_file(repo.path().join("tree/d099/f099.yaml")).unwrap();
    repo.write("tree/new/file.yaml", "new\n");
    let next = repo.commit("three changes");
    assert_eq!(
        source.changed_paths(&full, &next).unwrap(),
        [
            "tree/d042/f007.yaml",
            "tree/d099/f099.yaml",
            "tree/new/file.yaml"
        ]
    );
    assert!(source.changed_paths(&next, &next).unwrap().is_empty());
    assert_eq!(
        source
            .read_file(&next, "tree/d042/f007.yaml")
            .unwrap()
            .unwrap(),
        b"changed\n"
    );
}

#[test]
fn a_rename_lists_both_paths() {
    let repo = TestRepo::empty();
    repo.write("a/old.yaml", "x: 1\n");
    let first = repo.commit("old");
    git(repo.path(), &["mv", "a/old.yaml", "a/new.yaml"]);
    git(repo.path(), &["commit", "-q", "-m", "rename"]);
    let second = git(repo.path(), &["rev-parse", "HEAD"]);
    assert_eq!(
        open(&repo).changed_paths(&first, &second).unwrap(),
        ["a/new.yaml", "a/old.yaml"]
    );
}

#[test]
fn unknown_revisions_are_errors_that_name_them() {
    let repo = TestRepo::with_demo_app();
    let source = open(&repo);
    let bogus = "0123456789abcdef0123456789abcdef01234567";
    let err = source
        .read_file(bogus, "deploy/plumb.yaml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("0123456789ab"), "{err}");
    let head = git(repo.path(), &["rev-parse", "HEAD"]);
    assert!(source.changed_paths(bogus, &head).is_err());
}
