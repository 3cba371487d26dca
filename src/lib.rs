//! plumb: a GitOps reconciling agent. A commit to the watched repo is the
//! only deploy button; plumb builds what changed, renders, applies in order,
//! waits until healthy, prunes, and undoes drift.
//!
//! The modules follow the pipeline (see DESIGN.md): [`source`] reads a
//! revision, [`manifest`] says what apps it holds, [`reconcile`] runs the
//! stages for one app, [`daemon`] decides when, [`http`] and [`metrics`]
//! tell the outside world.

mod allocator;
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
static GLOBAL: allocator::Mimalloc = allocator::Mimalloc;

/// Tunes mimalloc for a small resident set rather than peak throughput:
/// plumb is a long-running daemon on a laptop, and with mimalloc's
/// defaults a chart render left ~7 MB more resident than glibc's malloc
/// (freed pages kept for 10 ms and more, arenas committed eagerly). Freed
/// pages go back to the OS at once and arenas are committed on demand; in
/// a render loop this costs nothing measurable. A user's `MIMALLOC_*`
/// environment variables still win.
///
/// The first arena is set up by the first allocation, which Rust's runtime
/// makes before `main`; so `main.rs` runs this from `.init_array`, and it
/// must not allocate (hence `getenv`, not `std::env`).
pub extern "C" fn tune_allocator() {
    use libmimalloc_sys::{mi_option_set, mi_option_t};
    // mimalloc v3's option numbers (include/mimalloc.h, `mi_option_e`),
    // which the crate does not name.
    const ARENA_EAGER_COMMIT: mi_option_t = 4;
    const PURGE_DELAY: mi_option_t = 15;
    for (option, env, value) in [
        (ARENA_EAGER_COMMIT, c"MIMALLOC_ARENA_EAGER_COMMIT", 0),
        (PURGE_DELAY, c"MIMALLOC_PURGE_DELAY", 0),
    ] {
        // SAFETY: getenv reads the environment with a NUL-terminated name;
        // nothing modifies the environment this early. mi_option_set only
        // stores an integer in mimalloc's option table, and the option
        // numbers are valid for v3.
        unsafe {
            if libc::getenv(env.as_ptr()).is_null() {
                mi_option_set(option, value);
            }
        }
    }
}

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
