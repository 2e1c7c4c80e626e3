//! An audit trail kept in a database table (the SQL storage's
//! `audit_events`): written through a sink, read back by the `audit list`
//! command.

use async_trait::async_trait;

use super::AuditSink;
use crate::domain::Result;
use crate::ports::AuditEvent;

#[async_trait]
pub trait AuditTable: Send + Sync {
    /// A writer for the queue in front of the table.
    fn sink(&self) -> Box<dyn AuditSink>;

    /// The newest `limit` events (of one client when given), oldest first.
    async fn recent(&self, limit: u32, client_id: Option<&str>) -> Result<Vec<AuditEvent>>;
}
