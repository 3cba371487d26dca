//! Placeholder until schema validation lands.

use super::Scope;
use crate::template::Value;

/// A schema violation.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SchemaError(String);

/// Accepts everything for now.
///
/// # Errors
/// Never yet.
pub fn validate(_scope: &Scope, _values: &Value) -> Result<(), SchemaError> {
    Ok(())
}
