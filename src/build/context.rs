//! An image's build context at a revision: which files of the committed
//! tree `docker build` would be sent, their digest (the image's tag), and
//! the tar the engine is given.
//!
//! The digest is made of git's blob ids, not of the bytes: a blob id is a
//! hash of the content, the same in every clone, so the tag is the same on
//! any machine and "is this built already?" reads no file. Inputs, in a
//! fixed order with NUL separators (no path or argument holds a NUL):
//! the Dockerfile's path, the target, the platform, every build argument,
//! and each entry the `.dockerignore` keeps (directories, and files and
//! links with git's mode and blob id). Paths are relative to the context,
//! so moving a context elsewhere in the repo keeps its tag; mtimes are not
//! in git and not in the digest.
//!
//! The tar is deterministic too: entries in path order, every mtime
//! 1980-01-01 (the earliest a ZIP can hold, so `pip` and wheel builds
//! inside the image do not fail on 1970 timestamps), owner root, modes
//! 0644, 0755 (executable files and directories) and links as links.

use std::collections::BTreeSet;

use sha2::{Digest as _, Sha256};

use super::dockerignore::{DockerIgnore, IgnoreError};
use super::{ContextEntry, EntryKind};
use crate::manifest::ImageSpec;
use crate::tree::{BlobEntry, FileMode};

/// The mtime of every entry of a context tar (1980-01-01T00:00:00Z).
pub const TAR_MTIME: u64 = 315_532_800;

/// The largest context sent unless the agent config says otherwise: a
/// bigger one is almost always a missing `.dockerignore` (`node_modules`,
/// a data dump), and would be held in memory to be sent.
pub const DEFAULT_MAX_CONTEXT_BYTES: u64 = 512 * 1024 * 1024;

/// How many of the biggest files a too-big context error lists.
const BIGGEST_SHOWN: usize = 5;

/// Why an image's context cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// The context directory has no file at the revision.
    #[error("image `{image}`: context `{dir}` has no files at revision {revision} (hint: commit the directory, or fix `context` in plumb.yaml)")]
    MissingContext {
        image: String,
        dir: String,
        revision: String,
    },
    /// The Dockerfile is not in the context.
    #[error("image `{image}`: no Dockerfile `{path}` in context `{dir}` at revision {revision} (hint: commit it, or set `dockerfile` relative to the context)")]
    MissingDockerfile {
        image: String,
        dir: String,
        path: String,
        revision: String,
    },
    /// The `.dockerignore` has a pattern Docker rejects.
    #[error("image `{image}`: {source}")]
    Ignore {
        image: String,
        #[source]
        source: IgnoreError,
    },
    /// The files kept add up to more than the limit.
    #[error("image `{image}`: context `{dir}` is {} after .dockerignore, over the limit of {} (biggest: {}) (hint: add them to {dir}/.dockerignore, or raise build.max_context_bytes in the agent config)", human_bytes(*bytes), human_bytes(*limit), biggest.iter().map(|(p, s)| format!("{p} {}", human_bytes(*s))).collect::<Vec<_>>().join(", "))]
    TooBig {
        image: String,
        dir: String,
        bytes: u64,
        limit: u64,
        biggest: Vec<(String, u64)>,
    },
}

/// What an image is built from at one revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The image's repository (its [`ImageSpec::name`]).
    pub image: String,
    /// The context directory, relative to the watched path.
    pub dir: String,
    /// The Dockerfile, relative to the context.
    pub dockerfile: String,
    /// The files and links sent, in path order.
    pub files: Vec<BlobEntry>,
    /// The directories sent, in path order.
    pub dirs: Vec<String>,
    /// Hex SHA-256 of every input (see the module doc).
    pub digest: String,
    /// The size of the files sent.
    pub bytes: u64,
}

impl Context {
    /// The content-addressed tag: `plumb-` and the digest's first 12 hex
    /// digits (48 bits: a clash needs some 16 million builds of one image).
    pub fn tag(&self) -> String {
        format!("plumb-{}", &self.digest[..12])
    }
}

/// The parsed `.dockerignore` of a context, with the Dockerfile and the
/// `.dockerignore` kept as `docker build` keeps them.
///
/// # Errors
/// [`ContextError::Ignore`].
pub fn ignore_rules(spec: &ImageSpec, text: Option<&[u8]>) -> Result<DockerIgnore, ContextError> {
    let mut rules = match text {
        None => DockerIgnore::default(),
        Some(bytes) => {
            let file = format!("{}/.dockerignore", spec.context);
            DockerIgnore::parse(&String::from_utf8_lossy(bytes), &file).map_err(|source| {
                ContextError::Ignore {
                    image: spec.name.clone(),
                    source,
                }
            })?
        }
    };
    rules.keep_build_files(&spec.dockerfile);
    Ok(rules)
}

/// Picks what `rules` keep of `blobs` and digests it. Pure.
///
/// # Errors
/// [`ContextError`]: an empty context, a missing Dockerfile, a context
/// over `max_bytes`.
pub fn context(
    spec: &ImageSpec,
    revision: &str,
    blobs: Vec<BlobEntry>,
    rules: &DockerIgnore,
    max_bytes: u64,
) -> Result<Context, ContextError> {
    if blobs.is_empty() {
        return Err(ContextError::MissingContext {
            image: spec.name.clone(),
            dir: spec.context.clone(),
            revision: crate::source::short_id(revision).to_string(),
        });
    }
    if !blobs
        .iter()
        .any(|b| b.path == spec.dockerfile && b.mode != FileMode::Symlink)
    {
        return Err(ContextError::MissingDockerfile {
            image: spec.name.clone(),
            dir: spec.context.clone(),
            path: spec.dockerfile.clone(),
            revision: crate::source::short_id(revision).to_string(),
        });
    }
    let mut dirs = BTreeSet::new();
    for b in &blobs {
        let mut path = b.path.as_str();
        while let Some((parent, _)) = path.rsplit_once('/') {
            if !dirs.insert(parent.to_string()) {
                break;
            }
            path = parent;
        }
    }
    let entries: Vec<ContextEntry> = dirs
        .iter()
        .map(|d| ContextEntry {
            path: d.clone(),
            kind: EntryKind::Dir,
        })
        .chain(blobs.iter().map(|b| ContextEntry {
            path: b.path.clone(),
            kind: match b.mode {
                FileMode::Regular => EntryKind::File { executable: false },
                FileMode::Executable => EntryKind::File { executable: true },
                FileMode::Symlink => EntryKind::Symlink,
            },
        }))
        .collect();
    let keeps = rules.keeps(&entries);
    let (dir_keeps, file_keeps) = keeps.split_at(dirs.len().min(keeps.len()));
    let dirs: Vec<String> = dirs
        .into_iter()
        .zip(dir_keeps)
        .filter_map(|(d, keep)| keep.then_some(d))
        .collect();
    let files: Vec<BlobEntry> = blobs
        .into_iter()
        .zip(file_keeps)
        .filter_map(|(b, keep)| keep.then_some(b))
        .collect();
    let bytes = files.iter().map(|f| f.size).sum();
    if bytes > max_bytes {
        let mut biggest: Vec<(String, u64)> =
            files.iter().map(|f| (f.path.clone(), f.size)).collect();
        biggest.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        biggest.truncate(BIGGEST_SHOWN);
        return Err(ContextError::TooBig {
            image: spec.name.clone(),
            dir: spec.context.clone(),
            bytes,
            limit: max_bytes,
            biggest,
        });
    }
    let digest = digest(spec, &dirs, &files);
    Ok(Context {
        image: spec.name.clone(),
        dir: spec.context.clone(),
        dockerfile: spec.dockerfile.clone(),
        files,
        dirs,
        digest,
        bytes,
    })
}

/// The context as the tar `docker build` sends: directories and files in
/// path order (a directory before what is in it), deterministic headers
/// (see the module doc). `read` gives a blob's bytes.
///
/// # Errors
/// Whatever `read` returns.
pub fn tar<E>(
    context: &Context,
    read: &mut dyn FnMut(&BlobEntry) -> Result<Vec<u8>, E>,
) -> Result<Vec<u8>, E> {
    enum Item<'a> {
        Dir(&'a str),
        File(&'a BlobEntry),
    }
    let mut items: Vec<(&str, Item<'_>)> = context
        .dirs
        .iter()
        .map(|d| (d.as_str(), Item::Dir(d)))
        .chain(
            context
                .files
                .iter()
                .map(|f| (f.path.as_str(), Item::File(f))),
        )
        .collect();
    // Path order, where `a/b` sorts right after `a` (as a walk visits it).
    items.sort_by(|a, b| a.0.split('/').cmp(b.0.split('/')));
    let mut builder = ::tar::Builder::new(Vec::with_capacity(
        context.bytes as usize + 1024 * (items.len() + 2),
    ));
    let header = |kind: ::tar::EntryType, mode: u32, size: u64| {
        let mut h = ::tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_mtime(TAR_MTIME);
        h.set_uid(0);
        h.set_gid(0);
        h
    };
    // Writing into a Vec cannot fail but on a path tar cannot hold, which
    // git paths are not; such an entry is skipped rather than panicking.
    for (path, item) in items {
        match item {
            Item::Dir(d) => {
                let mut h = header(::tar::EntryType::Directory, 0o755, 0);
                let _ = builder.append_data(&mut h, format!("{d}/"), std::io::empty());
            }
            Item::File(f) => {
                let content = read(f)?;
                match f.mode {
                    FileMode::Symlink => {
                        let mut h = header(::tar::EntryType::Symlink, 0o777, 0);
                        let target = String::from_utf8_lossy(&content).into_owned();
                        let _ = builder.append_link(&mut h, path, target);
                    }
                    mode => {
                        let bits = if mode == FileMode::Executable {
                            0o755
                        } else {
                            0o644
                        };
                        let mut h = header(::tar::EntryType::Regular, bits, content.len() as u64);
                        let _ = builder.append_data(&mut h, path, content.as_slice());
                    }
                }
            }
        }
    }
    Ok(builder.into_inner().unwrap_or_default())
}

/// The digest of a context's inputs (see the module doc).
pub fn digest(spec: &ImageSpec, dirs: &[String], files: &[BlobEntry]) -> String {
    let mut h = Sha256::new();
    let mut field = |parts: &[&str]| {
        for p in parts {
            h.update(p.as_bytes());
            h.update([0]);
        }
    };
    field(&["plumb-context-v1"]);
    field(&["dockerfile", &spec.dockerfile]);
    field(&["target", spec.target.as_deref().unwrap_or("")]);
    field(&["platform", spec.platform.as_deref().unwrap_or("")]);
    for (k, v) in &spec.args {
        field(&["arg", k, v]);
    }
    for d in dirs {
        field(&["dir", d]);
    }
    for f in files {
        let mode = match f.mode {
            FileMode::Regular => "100644",
            FileMode::Executable => "100755",
            FileMode::Symlink => "120000",
        };
        field(&[mode, &f.path, &f.id]);
    }
    hex::encode(h.finalize())
}

/// `1.5 GiB`, `12 MiB`, `300 B`: sizes for people.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(path: &str, mode: FileMode, id: &str, size: u64) -> BlobEntry {
        BlobEntry {
            path: path.into(),
            mode,
            id: id.into(),
            size,
        }
    }

    fn blobs() -> Vec<BlobEntry> {
        vec![
            blob("Dockerfile", FileMode::Regular, "d0", 30),
            blob("app/main.py", FileMode::Regular, "a1", 100),
            blob("app/run.sh", FileMode::Executable, "b2", 10),
            blob("current", FileMode::Symlink, "c3", 3),
        ]
    }

    fn make(spec: &ImageSpec, blobs: Vec<BlobEntry>) -> Result<Context, ContextError> {
        let rules = ignore_rules(spec, None)?;
        context(spec, "0123456789abcdef", blobs, &rules, u64::MAX)
    }

    #[test]
    fn the_same_inputs_give_the_same_tag() {
        let spec = ImageSpec::new("pakaura/api", "apps/api");
        let a = make(&spec, blobs()).unwrap();
        let b = make(&ImageSpec::new("other/name", "elsewhere"), blobs()).unwrap();
        assert_eq!(a.digest, b.digest, "name and place are not inputs");
        assert_eq!(a.tag().len(), "plumb-".len() + 12);
        assert!(a.tag().starts_with("plumb-"));
        assert_eq!(a.dirs, vec!["app".to_string()]);
        assert_eq!(a.bytes, 143);
    }

    #[test]
    fn every_input_changes_the_tag() {
        let spec = ImageSpec::new("pakaura/api", "apps/api");
        let base = make(&spec, blobs()).unwrap().digest;
        let mut changed = Vec::new();
        let with = |f: &dyn Fn(&mut Vec<BlobEntry>)| {
            let mut b = blobs();
            f(&mut b);
            make(&spec, b).unwrap().digest
        };
        changed.push(("content", with(&|b| b[1].id = "a2".into())));
        changed.push(("mode", with(&|b| b[1].mode = FileMode::Executable)));
        changed.push(("path", with(&|b| b[1].path = "app/main2.py".into())));
        changed.push((
            "new file",
            with(&|b| b.push(blob("x", FileMode::Regular, "e5", 1))),
        ));
        changed.push(("link target", with(&|b| b[3].id = "c4".into())));
        let spec_with = |f: &dyn Fn(&mut ImageSpec)| {
            let mut s = spec.clone();
            f(&mut s);
            let mut b = blobs();
            b.push(blob("prod.Dockerfile", FileMode::Regular, "f6", 1));
            make(&s, b).unwrap().digest
        };
        let with_prod = spec_with(&|_| {});
        changed.push(("a file", with_prod.clone()));
        changed.push((
            "arg",
            spec_with(&|s| {
                s.args.insert("V".into(), "1".into());
            }),
        ));
        changed.push((
            "arg value",
            spec_with(&|s| {
                s.args.insert("V".into(), "2".into());
            }),
        ));
        changed.push(("target", spec_with(&|s| s.target = Some("runtime".into()))));
        changed.push((
            "platform",
            spec_with(&|s| s.platform = Some("linux/arm64".into())),
        ));
        changed.push((
            "dockerfile",
            spec_with(&|s| s.dockerfile = "prod.Dockerfile".into()),
        ));
        let mut seen = std::collections::BTreeMap::new();
        seen.insert(base, "base");
        for (what, digest) in changed {
            if let Some(other) = seen.insert(digest, what) {
                panic!("{what} gives the same digest as {other}");
            }
        }
    }

    #[test]
    fn context_errors_name_the_image() {
        let spec = ImageSpec::new("pakaura/api", "apps/api");
        let e = make(&spec, Vec::new()).unwrap_err().to_string();
        assert!(
            e.starts_with(
                "image `pakaura/api`: context `apps/api` has no files at revision 0123456"
            ),
            "{e}"
        );
        let mut b = blobs();
        b.remove(0);
        let e = make(&spec, b).unwrap_err().to_string();
        assert!(
            e.contains("no Dockerfile `Dockerfile` in context `apps/api`"),
            "{e}"
        );
        let mut b = blobs();
        b.push(blob(
            "data/dump.sql",
            FileMode::Regular,
            "99",
            3 * 1024 * 1024 * 1024,
        ));
        b.push(blob(
            "node_modules/x.js",
            FileMode::Regular,
            "98",
            600 * 1024 * 1024,
        ));
        let rules = ignore_rules(&spec, None).unwrap();
        let e = context(&spec, "0123456789", b, &rules, DEFAULT_MAX_CONTEXT_BYTES)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("is 3.6 GiB after .dockerignore, over the limit of 512 MiB (biggest: data/dump.sql 3.0 GiB, node_modules/x.js 600 MiB, app/main.py 100 B"),
            "{e}"
        );
        assert!(e.contains("apps/api/.dockerignore"), "{e}");
    }

    #[test]
    fn the_tar_is_deterministic_and_holds_what_docker_needs() {
        let spec = ImageSpec::new("pakaura/api", "apps/api");
        let context = make(&spec, blobs()).unwrap();
        let mut read = |b: &BlobEntry| -> Result<Vec<u8>, std::convert::Infallible> {
            Ok(match b.mode {
                FileMode::Symlink => b"app".to_vec(),
                _ => format!("content of {}", b.path).into_bytes(),
            })
        };
        let first = tar(&context, &mut read).unwrap();
        assert_eq!(first, tar(&context, &mut read).unwrap());
        let mut archive = ::tar::Archive::new(first.as_slice());
        let entries: Vec<(String, u32, u64, ::tar::EntryType, Option<String>)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let h = e.header();
                (
                    e.path().unwrap().to_string_lossy().into_owned(),
                    h.mode().unwrap(),
                    h.mtime().unwrap(),
                    h.entry_type(),
                    e.link_name()
                        .unwrap()
                        .map(|l| l.to_string_lossy().into_owned()),
                )
            })
            .collect();
        use ::tar::EntryType as T;
        assert_eq!(
            entries,
            vec![
                ("Dockerfile".into(), 0o644, TAR_MTIME, T::Regular, None),
                ("app/".into(), 0o755, TAR_MTIME, T::Directory, None),
                ("app/main.py".into(), 0o644, TAR_MTIME, T::Regular, None),
                ("app/run.sh".into(), 0o755, TAR_MTIME, T::Regular, None),
                (
                    "current".into(),
                    0o777,
                    TAR_MTIME,
                    T::Symlink,
                    Some("app".into())
                ),
            ]
        );
    }

    #[test]
    fn sizes_for_people() {
        assert_eq!(human_bytes(300), "300 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(12 * 1024 * 1024), "12 MiB");
    }
}
