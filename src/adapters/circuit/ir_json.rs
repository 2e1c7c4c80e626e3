//! Arvak IR JSON (placeholder).
use crate::domain::Result;
use crate::domain::circuit::Circuit;
pub fn to_ir_json(_c: &Circuit) -> String { String::new() }
pub fn from_ir_json(_t: &str) -> Result<Circuit> { Err(crate::domain::Error::invalid_argument("todo")) }
