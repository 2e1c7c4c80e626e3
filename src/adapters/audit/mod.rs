//! Audit trail adapters: a queue in front of sinks (JSON lines appended to a
//! file here, the SQL storage's `audit_events` table in `storage`). `NoAudit`
//! (in the port) when none is configured.

mod jsonl;
mod line;
mod queued;
mod table;

pub use jsonl::JsonLinesFile;
pub use line::audit_line;
pub use queued::{AuditFlush, AuditSink, QueuedAudit};
pub use table::AuditTable;
