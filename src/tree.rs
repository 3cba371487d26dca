//! A file tree as a stage reads it: paths, modes and contents, from a git
//! commit or (for `plumb render --worktree`) the disk. Renderers and image
//! digests take this, never a path on disk, so they stay pure.

/// How git records a file: the three kinds a tree holds for files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileMode {
    /// `100644`.
    Regular,
    /// `100755`.
    Executable,
    /// `120000`: the content is the link's target.
    Symlink,
}

impl FileMode {
    /// The mode from git's file mode bits; `None` for trees and submodules.
    pub fn from_git(mode: i32) -> Option<FileMode> {
        match mode {
            0o100644 | 0o100664 => Some(FileMode::Regular),
            0o100755 => Some(FileMode::Executable),
            0o120000 => Some(FileMode::Symlink),
            _ => None,
        }
    }

    /// The mode of a file on disk.
    pub fn from_metadata(meta: &std::fs::Metadata) -> FileMode {
        use std::os::unix::fs::PermissionsExt;
        if meta.file_type().is_symlink() {
            FileMode::Symlink
        } else if meta.permissions().mode() & 0o111 != 0 {
            FileMode::Executable
        } else {
            FileMode::Regular
        }
    }
}

/// One file of a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeFile {
    /// Path as shown in messages (repo-relative, `/`-separated).
    pub path: String,
    /// Its mode.
    pub mode: FileMode,
    /// Its bytes (a symlink's target for [`FileMode::Symlink`]).
    pub content: Vec<u8>,
}

/// A file of a git tree named by its blob id rather than its bytes: what
/// content digests are made of without reading the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobEntry {
    /// Path relative to the directory listed, `/`-separated.
    pub path: String,
    /// Its mode.
    pub mode: FileMode,
    /// Git's object id (hex): a hash of the content, the same in any clone.
    pub id: String,
    /// The content's size in bytes.
    pub size: u64,
}

impl TreeFile {
    /// A regular file (tests and fixtures).
    pub fn regular(path: impl Into<String>, content: impl Into<Vec<u8>>) -> TreeFile {
        TreeFile {
            path: path.into(),
            mode: FileMode::Regular,
            content: content.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_modes() {
        assert_eq!(FileMode::from_git(0o100644), Some(FileMode::Regular));
        assert_eq!(FileMode::from_git(0o100755), Some(FileMode::Executable));
        assert_eq!(FileMode::from_git(0o120000), Some(FileMode::Symlink));
        assert_eq!(FileMode::from_git(0o040000), None, "a tree");
        assert_eq!(FileMode::from_git(0o160000), None, "a submodule");
    }
}
