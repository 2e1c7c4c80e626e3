//! Audit trail adapters: JSON lines appended to a file. `NoAudit` (in the
//! port) when none is configured.

mod jsonl;
mod line;

pub use jsonl::{AuditFlush, JsonLinesAudit};
pub use line::audit_line;
