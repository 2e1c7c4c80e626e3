//! The `audit list` subcommand: the newest events of the audit trail kept
//! in the SQL storage (`audit.table`), printed as the same JSON lines the
//! audit file holds, oldest first.

use super::api_keys::CommandOutput;
use super::compose;
use super::config::Config;
use crate::domain::{ClientId, Error, Result};

/// Lines printed when no `--limit` is given.
pub const DEFAULT_LIMIT: u32 = 100;

pub async fn list(config: &Config, limit: u32, client: Option<&str>) -> Result<CommandOutput> {
    if let Some(client) = client {
        ClientId::parse(client)?;
    }
    let table = compose::store(config).await?.audit_table.ok_or_else(|| {
        Error::invalid_argument(
            "audit list reads the audit_events table of SQL storage (storage.type sqlite or postgres); with memory storage the trail is only in audit.file",
        )
    })?;
    let events = table.recent(limit, client).await?;
    let mut stdout = String::new();
    for event in &events {
        stdout.push_str(&event.json_line());
        stdout.push('\n');
    }
    let note = (events.is_empty() && !config.audit.table).then(|| {
        "The audit_events table is empty; the server writes to it only when audit.table is true."
            .to_owned()
    });
    Ok(CommandOutput { stdout, note })
}
