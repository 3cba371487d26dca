//! Values as Helm merges them (being written).

use crate::template::{yaml, Value};

/// Reads a values file as Helm's `LoadValues` does: every YAML document,
/// merged in order.
///
/// # Errors
/// The YAML error.
pub fn load_values(text: &str) -> Result<Value, String> {
    yaml::from_str_map(text).map_err(|e| e.to_string())
}
