//! The git source: which revision to deploy and the files of that revision.
//!
//! Files are always read from the commit's tree in git's object database,
//! never from the working tree, so a half-saved file or an uncommitted edit
//! is never deployed. This module owns git; nothing else opens a repository.

pub mod follow;
pub mod remote;
pub mod watch;
pub mod webhook;

use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository};

use crate::config::{repo_path, RepoLocation, SourceConfig};
use crate::render::PathEntry;
use crate::tree::{BlobEntry, FileMode, TreeFile};

/// Errors from reading the source. Each names the repository and what was asked.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The local path is not a git repository.
    #[error("{path}: not a git repository (hint: source.repo must point at a clone; `git -C {path} status` tells why)")]
    Open {
        path: PathBuf,
        #[source]
        source: git2::Error,
    },
    /// The mirror of a remote has not been fetched yet.
    #[error("{url}: not fetched yet (hint: the first fetch runs at start; see the source error in `plumb status`)")]
    NotFetched { url: String },
    /// The branch does not exist (deleted, mistyped, or an empty repo).
    #[error("{repo}: branch `{branch}` not found (hint: `git -C {repo} branch -a` lists branches; set source.branch)")]
    Branch {
        repo: String,
        branch: String,
        #[source]
        source: git2::Error,
    },
    /// A git object could not be read (corrupt or missing object).
    #[error("{repo}: cannot read {what} at {revision}")]
    Object {
        repo: String,
        what: String,
        revision: String,
        #[source]
        source: git2::Error,
    },
    /// The path is in the tree but is not a file.
    #[error("{repo}: {path} at {revision} is not a file")]
    NotAFile {
        repo: String,
        path: String,
        revision: String,
    },
}

/// A commit plumb may deploy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// Full commit id.
    pub id: String,
    /// First line of the commit message.
    pub subject: String,
    /// Author name.
    pub author: String,
    /// Commit time, seconds since the Unix epoch.
    pub time: i64,
}

impl Revision {
    /// The 12-character id used in logs and spans.
    pub fn short(&self) -> &str {
        short_id(&self.id)
    }
}

/// The first 12 characters of a commit id.
pub fn short_id(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// An open repository plus the ref and sub-path plumb follows.
pub struct Source {
    repo: Repository,
    name: String,
    /// The branch as configured, for messages.
    branch: String,
    /// The ref whose commit is deployed: `HEAD`, `refs/heads/B` in a local
    /// clone, `refs/remotes/origin/B` in a mirror.
    tip_ref: String,
    path: String,
}

impl Source {
    /// Opens the repository the agent config names.
    ///
    /// # Errors
    /// [`SourceError::Open`] for a path that is not a repo,
    /// [`SourceError::RemoteNotSupported`] for a URL.
    pub fn open(config: &SourceConfig, state_dir: &Path) -> Result<Source, SourceError> {
        match &config.repo {
            RepoLocation::Local(path) => Source::open_local(path, &config.branch, &config.path),
            RepoLocation::Remote(url) => {
                let dir = remote::mirror_dir(state_dir, url);
                if !dir.exists() {
                    return Err(SourceError::NotFetched {
                        url: remote::redact_url(url),
                    });
                }
                Source::open_mirror(&dir, &remote::redact_url(url), &config.branch, &config.path)
            }
        }
    }

    /// Opens a mirror made by [`remote::Mirror`]; `branch` is the resolved
    /// branch name (the remote's default when configured as `HEAD`).
    pub fn open_mirror(
        dir: &Path,
        name: &str,
        branch: &str,
        sub_path: &str,
    ) -> Result<Source, SourceError> {
        let repo = Repository::open_bare(dir).map_err(|source| SourceError::Open {
            path: dir.to_path_buf(),
            source,
        })?;
        Ok(Source {
            repo,
            name: name.to_string(),
            branch: branch.to_string(),
            tip_ref: format!("refs/remotes/origin/{branch}"),
            path: repo_path(sub_path),
        })
    }

    /// Opens a local clone (any directory inside it works, like `git -C`).
    pub fn open_local(path: &Path, branch: &str, sub_path: &str) -> Result<Source, SourceError> {
        let repo = Repository::discover(path).map_err(|source| SourceError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let tip_ref = if branch == "HEAD" {
            "HEAD".to_string()
        } else {
            format!("refs/heads/{branch}")
        };
        Ok(Source {
            repo,
            name: path.display().to_string(),
            branch: branch.to_string(),
            tip_ref,
            path: repo_path(sub_path),
        })
    }

    /// The commit at the tip of the followed branch.
    ///
    /// # Errors
    /// [`SourceError::Branch`] when the branch does not exist.
    pub fn tip(&self) -> Result<Revision, SourceError> {
        let reference = self.repo.find_reference(&self.tip_ref);
        let branch_error = |source| SourceError::Branch {
            repo: self.name.clone(),
            branch: self.branch.clone(),
            source,
        };
        let commit = reference
            .and_then(|r| r.peel_to_commit())
            .map_err(branch_error)?;
        let author = String::from_utf8_lossy(commit.author().name_bytes()).into_owned();
        Ok(Revision {
            id: commit.id().to_string(),
            subject: commit
                .summary_bytes()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default(),
            author,
            time: commit.time().seconds(),
        })
    }

    /// The commit a revision expression names (`HEAD~1`, a branch, a tag, a
    /// short id), as a full id: for `plumb build --revision`.
    ///
    /// # Errors
    /// [`SourceError::Object`] when it names no commit.
    pub fn resolve(&self, revision: &str) -> Result<String, SourceError> {
        self.repo
            .revparse_single(revision)
            .and_then(|object| object.peel_to_commit())
            .map(|commit| commit.id().to_string())
            .map_err(|source| SourceError::Object {
                repo: self.name.clone(),
                what: format!("revision `{revision}`"),
                revision: revision.to_string(),
                source,
            })
    }

    /// Reads a file at a revision, `rel` being relative to the followed
    /// sub-path. `Ok(None)` when the file is not in that commit.
    ///
    /// # Errors
    /// [`SourceError::Object`] for an unreadable object,
    /// [`SourceError::NotAFile`] when the path is a directory.
    pub fn read_file(&self, revision: &str, rel: &str) -> Result<Option<Vec<u8>>, SourceError> {
        match self.entry(revision, rel)? {
            PathEntry::File(_, content) => Ok(Some(content)),
            PathEntry::Missing => Ok(None),
            PathEntry::Dir => Err(SourceError::NotAFile {
                repo: self.name.clone(),
                path: self.full_path(rel),
                revision: short_id(revision).to_string(),
            }),
        }
    }

    /// What the revision holds at `rel` (relative to the followed
    /// sub-path): a blob with its mode, a tree, or nothing (a submodule
    /// counts as nothing: its files are not in this repo).
    ///
    /// # Errors
    /// [`SourceError::Object`] for an unreadable revision or object.
    pub fn entry(&self, revision: &str, rel: &str) -> Result<PathEntry, SourceError> {
        let full = self.full_path(rel);
        let object_error = self.object_error(revision, &full);
        let tree = self.root_tree(revision, &full)?;
        if full.is_empty() {
            return Ok(PathEntry::Dir);
        }
        let entry = match tree.get_path(Path::new(&full)) {
            Ok(entry) => entry,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(PathEntry::Missing),
            Err(e) => return Err(object_error(e)),
        };
        match entry.kind() {
            Some(ObjectType::Tree) => Ok(PathEntry::Dir),
            Some(ObjectType::Blob) => {
                let mode = FileMode::from_git(entry.filemode()).unwrap_or(FileMode::Regular);
                let blob = self.repo.find_blob(entry.id()).map_err(object_error)?;
                Ok(PathEntry::File(mode, blob.content().to_vec()))
            }
            _ => Ok(PathEntry::Missing),
        }
    }

    /// Git's id of the blob or tree at `rel` (relative to the followed
    /// sub-path) at a revision: it changes exactly when the content below
    /// `rel` does. `Ok(None)` when nothing is there.
    ///
    /// # Errors
    /// [`SourceError::Object`] for an unreadable revision.
    pub fn object_id(&self, revision: &str, rel: &str) -> Result<Option<String>, SourceError> {
        let full = self.full_path(rel);
        let tree = self.root_tree(revision, &full)?;
        if full.is_empty() {
            return Ok(Some(tree.id().to_string()));
        }
        match tree.get_path(Path::new(&full)) {
            Ok(entry) => Ok(Some(entry.id().to_string())),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(self.object_error(revision, &full)(e)),
        }
    }

    /// The root tree of `revision`; errors name `full`, the path wanted.
    fn root_tree(&self, revision: &str, full: &str) -> Result<git2::Tree<'_>, SourceError> {
        Oid::from_str(revision)
            .and_then(|oid| self.repo.find_commit(oid))
            .and_then(|c| c.tree())
            .map_err(self.object_error(revision, full))
    }

    /// Wraps a git error in reading `full` at `revision`.
    fn object_error<'s>(
        &'s self,
        revision: &'s str,
        full: &'s str,
    ) -> impl Fn(git2::Error) -> SourceError + Copy + 's {
        move |source| SourceError::Object {
            repo: self.name.clone(),
            what: full.to_string(),
            revision: short_id(revision).to_string(),
            source,
        }
    }

    /// The path of `rel` inside the repo (`gitops-repo/plumb.yaml`), as git
    /// names it: both parts normalized by [`repo_path`], so `.`, `./x` and
    /// `x/` work; the repo root is the empty string.
    pub fn full_path(&self, rel: &str) -> String {
        repo_path(&format!("{}/{rel}", self.path))
    }

    /// Every file below `rel` (relative to the followed sub-path) at a
    /// revision, recursively, with paths relative to `rel` and git's modes,
    /// in path order. Symlinks are returned as their target text, like git stores
    /// them; submodules are skipped. An absent directory is empty.
    ///
    /// # Errors
    /// [`SourceError::Object`] for an unreadable object,
    /// [`SourceError::NotAFile`] when `rel` is a file.
    pub fn files_under(&self, revision: &str, rel: &str) -> Result<Vec<TreeFile>, SourceError> {
        let full = self.full_path(rel);
        let object_error = self.object_error(revision, &full);
        self.blobs_under(revision, rel)?
            .into_iter()
            .map(|b| {
                let oid = Oid::from_str(&b.id).map_err(object_error)?;
                let blob = self.repo.find_blob(oid).map_err(object_error)?;
                Ok(TreeFile {
                    path: b.path,
                    mode: b.mode,
                    content: blob.content().to_vec(),
                })
            })
            .collect()
    }

    /// What [`Source::files_under`] lists, without reading any content:
    /// each blob's id and size come from git's index of objects. An image's
    /// context digest is made of these, so "is it built already?" reads no
    /// file.
    ///
    /// # Errors
    /// As [`Source::files_under`].
    pub fn blobs_under(&self, revision: &str, rel: &str) -> Result<Vec<BlobEntry>, SourceError> {
        let full = self.full_path(rel);
        let object_error = self.object_error(revision, &full);
        let root = self.root_tree(revision, &full)?;
        let tree = if full.is_empty() {
            root
        } else {
            match root.get_path(Path::new(&full)) {
                Ok(entry) if entry.kind() == Some(ObjectType::Tree) => {
                    self.repo.find_tree(entry.id()).map_err(object_error)?
                }
                Ok(_) => {
                    return Err(SourceError::NotAFile {
                        repo: self.name.clone(),
                        path: full.clone(),
                        revision: short_id(revision).to_string(),
                    })
                }
                Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(Vec::new()),
                Err(e) => return Err(object_error(e)),
            }
        };
        let mut blobs = Vec::new();
        tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(ObjectType::Blob) {
                let mode = FileMode::from_git(entry.filemode());
                if let (Ok(name), Some(mode)) = (entry.name(), mode) {
                    blobs.push((format!("{dir}{name}"), mode, entry.id()));
                }
            }
            git2::TreeWalkResult::Ok
        })
        .map_err(object_error)?;
        blobs.sort_by(|a, b| a.0.cmp(&b.0));
        let odb = self.repo.odb().map_err(object_error)?;
        blobs
            .into_iter()
            .map(|(path, mode, id)| {
                let (size, _) = odb.read_header(id).map_err(object_error)?;
                Ok(BlobEntry {
                    path,
                    mode,
                    id: id.to_string(),
                    size: size as u64,
                })
            })
            .collect()
    }

    /// The content of the blob with git id `id` (from [`Source::blobs_under`]).
    ///
    /// # Errors
    /// [`SourceError::Object`] when it is not in the repository.
    pub fn read_blob(&self, id: &str) -> Result<Vec<u8>, SourceError> {
        let object_error = |source| SourceError::Object {
            repo: self.name.clone(),
            what: format!("blob {id}"),
            revision: String::new(),
            source,
        };
        let oid = Oid::from_str(id).map_err(object_error)?;
        let blob = self.repo.find_blob(oid).map_err(object_error)?;
        Ok(blob.content().to_vec())
    }

    /// The paths of every file that differs between two revisions (added,
    /// removed, modified, renamed: both names, type or mode changes), sorted.
    /// Compares tree ids, so unchanged subtrees cost nothing.
    ///
    /// # Errors
    /// [`SourceError::Object`] when either revision cannot be read.
    pub fn changed_paths(&self, old: &str, new: &str) -> Result<Vec<String>, SourceError> {
        let object_error = |what: &str, source| SourceError::Object {
            repo: self.name.clone(),
            what: what.to_string(),
            revision: format!("{}..{}", short_id(old), short_id(new)),
            source,
        };
        let tree_of = |rev: &str| {
            Oid::from_str(rev)
                .and_then(|oid| self.repo.find_commit(oid))
                .and_then(|c| c.tree())
                .map_err(|e| object_error("tree", e))
        };
        let (old_tree, new_tree) = (tree_of(old)?, tree_of(new)?);
        let mut options = git2::DiffOptions::new();
        options.skip_binary_check(true).include_typechange(true);
        let diff = self
            .repo
            .diff_tree_to_tree(Some(&old_tree), Some(&new_tree), Some(&mut options))
            .map_err(|e| object_error("diff", e))?;
        let mut paths = std::collections::BTreeSet::new();
        for delta in diff.deltas() {
            for file in [delta.old_file(), delta.new_file()] {
                if let Some(path) = file.path().and_then(|p| p.to_str()) {
                    paths.insert(path.to_string());
                }
            }
        }
        Ok(paths.into_iter().collect())
    }

    /// The git directory and the common directory (they differ in a
    /// worktree), for watching refs.
    pub fn git_dirs(&self) -> (PathBuf, PathBuf) {
        (
            self.repo.path().to_path_buf(),
            self.repo.commondir().to_path_buf(),
        )
    }

    /// The branch the tip comes from: the configured one, or for `HEAD` in a
    /// local clone the branch checked out now (`None` when detached).
    pub fn followed_branch(&self) -> Option<String> {
        if self.tip_ref == "HEAD" {
            let head = self.repo.find_reference("HEAD").ok()?;
            let target = head.symbolic_target().ok()??;
            target.strip_prefix("refs/heads/").map(str::to_string)
        } else {
            Some(self.branch.clone())
        }
    }
}

/// An app's files at one revision of a [`Source`]: what the daemon renders.
pub struct RevisionFiles<'a> {
    /// The repo.
    pub source: &'a Source,
    /// The commit.
    pub revision: &'a str,
}

impl crate::render::FileSource for RevisionFiles<'_> {
    fn files_under(&self, dir: &str) -> Result<Vec<TreeFile>, crate::render::ReadError> {
        self.source
            .files_under(self.revision, dir)
            .map_err(|e| Box::new(e) as crate::render::ReadError)
    }

    fn read_file(&self, path: &str) -> Result<Option<Vec<u8>>, crate::render::ReadError> {
        self.source
            .read_file(self.revision, path)
            .map_err(|e| Box::new(e) as crate::render::ReadError)
    }

    fn entry(&self, path: &str) -> Result<PathEntry, crate::render::ReadError> {
        self.source
            .entry(self.revision, path)
            .map_err(|e| Box::new(e) as crate::render::ReadError)
    }

    fn content_id(&self, path: &str) -> Option<String> {
        self.source.object_id(self.revision, path).ok().flatten()
    }

    fn shown(&self, dir: &str) -> String {
        self.source.full_path(dir)
    }
}

/// An app's files in a working tree on disk, uncommitted changes included:
/// what `plumb render --worktree` renders.
pub struct WorktreeFiles {
    /// The watched directory on disk (the clone joined with `source.path`).
    pub root: PathBuf,
}

impl crate::render::FileSource for WorktreeFiles {
    fn files_under(&self, dir: &str) -> Result<Vec<TreeFile>, crate::render::ReadError> {
        let base = self.root.join(dir);
        let mut out = Vec::new();
        if !base.exists() {
            return Ok(out);
        }
        let mut stack = vec![base.clone()];
        while let Some(current) = stack.pop() {
            for entry in std::fs::read_dir(&current)? {
                let path = entry?.path();
                let meta = std::fs::symlink_metadata(&path)?;
                if meta.is_dir() {
                    if path.file_name().is_some_and(|n| n == ".git") {
                        continue;
                    }
                    stack.push(path);
                    continue;
                }
                let mode = FileMode::from_metadata(&meta);
                let content = read_worktree_file(&path, mode)?;
                let rel = path
                    .strip_prefix(&base)
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_default();
                out.push(TreeFile {
                    path: rel,
                    mode,
                    content,
                });
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    fn read_file(&self, path: &str) -> Result<Option<Vec<u8>>, crate::render::ReadError> {
        match std::fs::read(self.root.join(path)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Box::new(e)),
        }
    }

    fn entry(&self, path: &str) -> Result<PathEntry, crate::render::ReadError> {
        let full = self.root.join(path);
        let meta = match std::fs::symlink_metadata(&full) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(PathEntry::Missing),
            Err(e) => return Err(Box::new(e)),
        };
        if meta.is_dir() {
            return Ok(PathEntry::Dir);
        }
        let mode = FileMode::from_metadata(&meta);
        Ok(PathEntry::File(mode, read_worktree_file(&full, mode)?))
    }

    fn shown(&self, dir: &str) -> String {
        let root = self.root.display().to_string();
        if dir.is_empty() {
            root
        } else {
            format!("{root}/{dir}")
        }
    }
}

/// A file on disk as git would store it: a symlink's content is its target.
fn read_worktree_file(path: &Path, mode: FileMode) -> std::io::Result<Vec<u8>> {
    match mode {
        FileMode::Symlink => Ok(std::fs::read_link(path)?
            .to_string_lossy()
            .into_owned()
            .into_bytes()),
        _ => std::fs::read(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) {
        let out = Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .current_dir(dir)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn repo_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q", "-b", "main"]);
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        git(dir.path(), &["add", "-A"]);
        git(dir.path(), &["commit", "-q", "-m", "first commit\n\nbody"]);
        dir
    }

    #[test]
    fn reads_the_committed_file_not_the_working_tree() {
        let dir = repo_with(&[("deploy/plumb.yaml", "apps: []\n")]);
        std::fs::write(dir.path().join("deploy/plumb.yaml"), "half-saved: [").unwrap();
        let source = Source::open_local(dir.path(), "main", "deploy").unwrap();
        let tip = source.tip().unwrap();
        assert_eq!(tip.subject, "first commit");
        assert_eq!(tip.author, "t");
        let text = source.read_file(&tip.id, "plumb.yaml").unwrap().unwrap();
        assert_eq!(text, b"apps: []\n");
    }

    #[test]
    fn missing_file_is_none_and_directory_is_an_error() {
        let dir = repo_with(&[("deploy/a/x.yaml", "x: 1\n")]);
        let source = Source::open_local(dir.path(), "HEAD", "deploy").unwrap();
        let tip = source.tip().unwrap();
        assert_eq!(source.read_file(&tip.id, "plumb.yaml").unwrap(), None);
        assert!(matches!(
            source.read_file(&tip.id, "a"),
            Err(SourceError::NotAFile { .. })
        ));
    }

    #[test]
    fn files_under_walks_a_directory_recursively_in_order() {
        let dir = repo_with(&[
            ("deploy/m/b.yaml", "b"),
            ("deploy/m/a/z.yaml", "z"),
            ("deploy/m/a.yaml", "a"),
            ("deploy/other.yaml", "o"),
        ]);
        let source = Source::open_local(dir.path(), "main", "deploy").unwrap();
        let tip = source.tip().unwrap();
        let files = source.files_under(&tip.id, "m").unwrap();
        let names: Vec<_> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(names, ["a.yaml", "a/z.yaml", "b.yaml"]);
        assert_eq!(files[1].content, b"z");
        assert_eq!(files[1].mode, FileMode::Regular);
        assert!(source.files_under(&tip.id, "missing").unwrap().is_empty());
        assert!(matches!(
            source.files_under(&tip.id, "other.yaml"),
            Err(SourceError::NotAFile { .. })
        ));
        assert_eq!(source.files_under(&tip.id, "").unwrap().len(), 4);
    }

    #[test]
    fn object_ids_change_with_the_content_below() {
        let dir = repo_with(&[("deploy/c/a.yaml", "a"), ("deploy/other", "o")]);
        let source = Source::open_local(dir.path(), "main", "deploy").unwrap();
        let first = source.tip().unwrap();
        let tree = source.object_id(&first.id, "c").unwrap().unwrap();
        let blob = source.object_id(&first.id, "c/a.yaml").unwrap().unwrap();
        assert_ne!(tree, blob);
        assert_eq!(source.object_id(&first.id, "missing").unwrap(), None);
        std::fs::write(dir.path().join("deploy/other"), "changed").unwrap();
        git(dir.path(), &["commit", "-q", "-am", "elsewhere"]);
        let second = source.tip().unwrap();
        assert_eq!(source.object_id(&second.id, "c").unwrap().unwrap(), tree);
        std::fs::write(dir.path().join("deploy/c/a.yaml"), "b").unwrap();
        git(dir.path(), &["commit", "-q", "-am", "inside"]);
        let third = source.tip().unwrap();
        assert_ne!(source.object_id(&third.id, "c").unwrap().unwrap(), tree);
        assert!(source.object_id(&third.id, "").unwrap().is_some());
    }

    #[test]
    fn files_keep_their_git_modes() {
        use std::os::unix::fs::PermissionsExt;
        let dir = repo_with(&[("ctx/run.sh", "#!/bin/sh\n"), ("ctx/a.txt", "a")]);
        let script = dir.path().join("ctx/run.sh");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::symlink("a.txt", dir.path().join("ctx/link")).unwrap();
        git(dir.path(), &["add", "-A"]);
        git(dir.path(), &["commit", "-q", "-m", "modes"]);
        let source = Source::open_local(dir.path(), "main", "").unwrap();
        let tip = source.tip().unwrap();
        let files = source.files_under(&tip.id, "ctx").unwrap();
        let modes: Vec<_> = files.iter().map(|f| (f.path.as_str(), f.mode)).collect();
        assert_eq!(
            modes,
            [
                ("a.txt", FileMode::Regular),
                ("link", FileMode::Symlink),
                ("run.sh", FileMode::Executable)
            ]
        );
        assert_eq!(files[1].content, b"a.txt", "a link's content is its target");
    }

    #[test]
    fn dot_and_slashes_in_paths_mean_what_a_user_means() {
        let dir = repo_with(&[("plumb.yaml", "apps: []\n"), ("m/a.yaml", "a")]);
        for sub_path in ["", ".", "./", "/"] {
            let source = Source::open_local(dir.path(), "main", sub_path).unwrap();
            let tip = source.tip().unwrap();
            assert_eq!(source.full_path("plumb.yaml"), "plumb.yaml");
            assert!(source.read_file(&tip.id, "./plumb.yaml").unwrap().is_some());
            assert_eq!(source.full_path("."), "");
            assert_eq!(source.files_under(&tip.id, ".").unwrap().len(), 2);
            assert_eq!(source.files_under(&tip.id, "./m/").unwrap().len(), 1);
        }
        let source = Source::open_local(dir.path(), "main", "./m//").unwrap();
        assert_eq!(source.full_path("./x/./y"), "m/x/y");
        assert_eq!(source.full_path(""), "m");
    }

    #[test]
    fn unknown_branch_names_repo_and_branch() {
        let dir = repo_with(&[("a", "b")]);
        let source = Source::open_local(dir.path(), "release", "").unwrap();
        let err = source.tip().unwrap_err().to_string();
        assert!(err.contains("branch `release` not found"), "{err}");
    }

    #[test]
    fn not_a_repo_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let err = Source::open_local(dir.path(), "main", "").err().unwrap();
        assert!(err.to_string().contains("not a git repository"), "{err}");
    }

    #[test]
    fn follows_a_named_branch_not_head() {
        let dir = repo_with(&[("f", "1")]);
        let source = Source::open_local(dir.path(), "main", "").unwrap();
        let first = source.tip().unwrap();
        git(dir.path(), &["checkout", "-q", "-b", "other"]);
        std::fs::write(dir.path().join("f"), "2").unwrap();
        git(dir.path(), &["commit", "-q", "-am", "on other"]);
        assert_eq!(source.tip().unwrap(), first);
        let head = Source::open_local(dir.path(), "HEAD", "").unwrap();
        assert_eq!(head.tip().unwrap().subject, "on other");
    }
}
