//! The audit trail as an append-only file of JSON lines: each batch is
//! written through a buffer and flushed once.

use std::path::Path;

use async_trait::async_trait;
use tokio::io::{AsyncWriteExt, BufWriter};

use crate::domain::{Error, Result};
use crate::ports::AuditEvent;
use crate::ports::AuditSink;

pub struct JsonLinesFile {
    out: BufWriter<tokio::fs::File>,
    path: String,
}

impl JsonLinesFile {
    /// Opens `path` for appending, creating it.
    pub fn open(path: &Path) -> Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| {
                Error::unavailable(format!(
                    "cannot open the audit file {}: {e}",
                    path.display()
                ))
            })?;
        Ok(Self {
            out: BufWriter::new(tokio::fs::File::from_std(file)),
            path: path.display().to_string(),
        })
    }
}

#[async_trait]
impl AuditSink for JsonLinesFile {
    fn name(&self) -> String {
        self.path.clone()
    }

    async fn write(&mut self, events: &[AuditEvent]) -> std::result::Result<(), String> {
        let mut result = Ok(());
        for event in events {
            let mut line = event.json_line();
            line.push('\n');
            if let Err(error) = self.out.write_all(line.as_bytes()).await {
                result = Err(error.to_string());
            }
        }
        // Flushed even after a failed line, so the others are not held back.
        self.out.flush().await.map_err(|e| e.to_string())?;
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::audit::QueuedAudit;
    use crate::domain::UnixMillis;
    use crate::ports::{AuditAction, AuditFlusher, AuditLog};

    #[tokio::test]
    async fn events_become_lines_that_are_on_disk_after_a_flush() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        std::fs::write(&path, "{\"earlier\":true}\n").unwrap();
        let file = JsonLinesFile::open(&path).unwrap();
        let (audit, flush) = QueuedAudit::start(vec![Box::new(file)]);
        for n in 0..3 {
            audit.record(AuditEvent {
                at: UnixMillis(1_000 + n),
                action: AuditAction::AuthenticationFailed,
                client_id: String::new(),
                method: "SubmitJob".into(),
                peer: Some("127.0.0.1:9".into()),
                request_id: Some(format!("r{n}")),
                outcome: "failed".into(),
                detail: "api_key: wrong secret".into(),
            });
        }
        flush.flush().await;
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "appended after what was there");
        let last: serde_json::Value = serde_json::from_str(lines[3]).unwrap();
        assert_eq!(last["action"], "authentication_failed");
        assert_eq!(last["request_id"], "r2");
        assert_eq!(last["time"], "1970-01-01T00:00:01.002Z");
        assert_eq!(last["peer"], "127.0.0.1:9");
    }
}
