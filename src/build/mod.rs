//! Image builds: a build context read from the committed tree, filtered by
//! `.dockerignore` exactly as the docker CLI filters it, digested into a
//! content-addressed tag, and built through the Docker Engine API only when
//! no image has that tag yet.
//!
//! - [`dockerignore`]: Docker's `.dockerignore` rules (pure).
//! - [`engine`]: the Engine API calls: inspect, build, tag, push, remove.
//! - [`docker`]: where the engine is and how to connect.

pub mod docker;
pub mod dockerignore;
pub mod engine;

/// What one entry of a build context is, as far as a build can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// A regular file; `executable` is git's 100755 mode.
    File {
        /// Whether the file is executable (git mode 100755).
        executable: bool,
    },
    /// A symbolic link, sent as a link (its target is the content).
    Symlink,
    /// A directory.
    Dir,
}

/// One entry of a build context: a path relative to the context root,
/// `/`-separated, without a leading `./` or `/` (`src/main.py`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContextEntry {
    /// The path relative to the context root.
    pub path: String,
    /// File, link or directory.
    pub kind: EntryKind,
}
