//! The `AuditLog` port's adapters: a queue in front of sinks (`queued`),
//! which never makes a request wait for the disk or the database, and the
//! sinks: JSON lines appended to a file (`file`) and the SQL storage's
//! `audit_events` table (in `store/sql`, which owns the connection pool).
//! `NoAudit` (in the port) when none is configured.

pub mod file;
mod queued;

pub use queued::{AuditFlush, QueuedAudit};
