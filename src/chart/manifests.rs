//! Placeholder until Helm's splitting and sorting land: one document per
//! `---`, in file order, no hooks.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// A rendered manifest document.
pub struct Manifest {
    /// Source path.
    pub name: String,
    /// The document.
    pub content: String,
}

/// A hook.
pub struct Hook {
    /// Source path.
    pub path: String,
    /// The document.
    pub manifest: String,
}

/// Hooks, manifests, notes.
pub struct Release {
    /// Hooks.
    pub hooks: Vec<Hook>,
    /// Manifests.
    pub manifests: Vec<Manifest>,
    /// Notes.
    pub notes: String,
}

/// Errors.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ManifestError(String);

/// A CRD file.
pub struct CrdFile {
    /// Source path.
    pub path: String,
    /// Content.
    pub content: String,
}

/// How helm template prints.
#[derive(Default)]
pub struct PrintOptions {
    /// --include-crds.
    pub include_crds: bool,
    /// --skip-tests.
    pub skip_tests: bool,
    /// --no-hooks.
    pub no_hooks: bool,
    /// --show-only.
    pub show_only: Vec<String>,
    /// --output-dir.
    pub output_dir: Option<PathBuf>,
    /// The release name.
    pub release_name: String,
}

/// Splits and sorts.
///
/// # Errors
/// Never yet.
pub fn sort_manifests(
    files: &BTreeMap<String, String>,
    root: &str,
) -> Result<Release, ManifestError> {
    let mut manifests = Vec::new();
    let mut notes = String::new();
    for (name, text) in files {
        if name.ends_with("NOTES.txt") {
            if *name == format!("{root}/templates/NOTES.txt") {
                notes = text.clone();
            }
            continue;
        }
        for doc in text.split("\n---") {
            if doc.trim().is_empty() {
                continue;
            }
            manifests.push(Manifest {
                name: name.clone(),
                content: doc.trim().to_string(),
            });
        }
    }
    Ok(Release {
        hooks: Vec::new(),
        manifests,
        notes,
    })
}

/// Prints.
///
/// # Errors
/// Never yet.
pub fn print_template(
    release: &Release,
    _crds: &[CrdFile],
    _opts: &PrintOptions,
) -> Result<String, ManifestError> {
    let mut out = String::new();
    for m in &release.manifests {
        out.push_str(&format!("---\n# Source: {}\n{}\n", m.name, m.content));
    }
    Ok(out)
}
