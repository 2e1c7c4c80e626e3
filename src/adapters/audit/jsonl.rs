//! The audit trail as an append-only file of JSON lines. Requests hand
//! events to a bounded channel and never wait for the disk; one task writes
//! them through a buffer, flushing whenever the channel runs dry and when
//! the server shuts down.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::sync::{mpsc, oneshot};

use super::line::audit_line;
use crate::domain::{Error, Result};
use crate::ports::{AuditEvent, AuditLog};

/// Events waiting for the writer at most; past it they are dropped (and
/// counted) rather than slowing requests down.
const QUEUE: usize = 16_384;

enum Command {
    Record(AuditEvent),
    Flush(oneshot::Sender<()>),
}

pub struct JsonLinesAudit {
    sender: mpsc::Sender<Command>,
    dropped: Arc<AtomicU64>,
}

/// Asks the writer to put everything received so far on disk.
#[derive(Clone)]
pub struct AuditFlush(mpsc::Sender<Command>);

impl AuditFlush {
    pub async fn flush(&self) {
        let (done, flushed) = oneshot::channel();
        if self.0.send(Command::Flush(done)).await.is_ok() {
            let _ = flushed.await;
        }
    }
}

impl JsonLinesAudit {
    /// Opens `path` for appending (creating it) and starts the writer.
    pub fn open(path: &Path) -> Result<(Self, AuditFlush)> {
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
        let (sender, receiver) = mpsc::channel(QUEUE);
        let writer = BufWriter::new(tokio::fs::File::from_std(file));
        tokio::spawn(write_lines(receiver, writer, path.display().to_string()));
        let audit = Self {
            sender: sender.clone(),
            dropped: Arc::default(),
        };
        Ok((audit, AuditFlush(sender)))
    }
}

impl AuditLog for JsonLinesAudit {
    fn record(&self, event: AuditEvent) {
        if self.sender.try_send(Command::Record(event)).is_err() {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::error!(
                    dropped,
                    "audit events dropped: the audit file cannot keep up"
                );
            }
        }
    }
}

async fn write_lines(
    mut commands: mpsc::Receiver<Command>,
    mut out: BufWriter<tokio::fs::File>,
    path: String,
) {
    let mut failed = false;
    while let Some(command) = commands.recv().await {
        let mut next = Some(command);
        // Everything already waiting goes into the buffer before one flush.
        while let Some(command) = next.take() {
            match command {
                Command::Record(event) => {
                    let mut line = audit_line(&event);
                    line.push('\n');
                    if let Err(error) = out.write_all(line.as_bytes()).await {
                        report(&mut failed, &path, &error);
                    }
                }
                Command::Flush(done) => {
                    if let Err(error) = out.flush().await {
                        report(&mut failed, &path, &error);
                    }
                    let _ = done.send(());
                }
            }
            next = commands.try_recv().ok();
        }
        if let Err(error) = out.flush().await {
            report(&mut failed, &path, &error);
        }
    }
    let _ = out.flush().await;
}

/// Logs the first write error of a series, not every line.
fn report(failed: &mut bool, path: &str, error: &std::io::Error) {
    if !*failed {
        tracing::error!(path, %error, "cannot write the audit file");
        *failed = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UnixMillis;
    use crate::ports::AuditAction;

    #[tokio::test]
    async fn events_become_lines_that_are_on_disk_after_a_flush() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        std::fs::write(&path, "{\"earlier\":true}\n").unwrap();
        let (audit, flush) = JsonLinesAudit::open(&path).unwrap();
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
