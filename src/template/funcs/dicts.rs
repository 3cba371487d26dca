//! (stub: filled in by its family's work)

use super::Registry;

/// Registers this family's functions.
pub(super) fn register(_r: &mut Registry) {}
