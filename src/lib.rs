//! plumb: a GitOps reconciling agent. A commit to the watched repo is the
//! only deploy button; plumb builds what changed, renders, applies in order,
//! waits until healthy, prunes, and undoes drift.
//!
//! The modules follow the pipeline (see DESIGN.md): [`source`] reads a
//! revision, [`manifest`] says what apps it holds, [`reconcile`] runs the
//! stages for one app, [`daemon`] decides when, [`http`] and [`metrics`]
//! tell the outside world.

pub mod backoff;
pub mod build;
pub mod chart;
pub mod check;
pub mod cluster;
pub mod config;
pub mod daemon;
pub mod http;
pub mod manifest;
pub mod metrics;
pub mod object;
pub mod reconcile;
pub mod render;
pub mod source;
pub mod status;
pub mod template;
pub mod tree;
pub mod yaml;

/// mimalloc instead of glibc's malloc: rendering is allocation-bound (the
/// template and YAML trees are many small nodes), and with glibc's malloc
/// a third of a chart render went to malloc and free. Declared in the
/// library so the binary, the tests and the benches all measure one
/// allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The crate version, as in Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The git commit plumb was built from (12 characters), or "unknown".
pub const GIT_COMMIT: &str = env!("PLUMB_GIT_COMMIT");

/// An error and its causes on one line, `a: b: c`, like anyhow's `{:#}`;
/// a cause whose text is already included is not repeated.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let part = e.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = e.source();
    }
    text
}
