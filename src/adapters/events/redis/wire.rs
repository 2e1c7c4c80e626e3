//! A job event as it travels between nodes: compact JSON with the sending
//! node, so that a node skips its own.

use serde::{Deserialize, Serialize};

use crate::domain::{ClientId, Error, JobId, JobState, Result, UnixMillis};
use crate::ports::JobEvent;

#[derive(Serialize, Deserialize)]
pub(super) struct WireEvent {
    /// The node that published it.
    pub o: String,
    j: String,
    c: String,
    s: String,
    v: u64,
    t: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    e: Option<String>,
}

impl WireEvent {
    pub fn of(event: &JobEvent, node: &str) -> Self {
        Self {
            o: node.to_owned(),
            j: event.job_id.to_string(),
            c: event.client_id.as_str().to_owned(),
            s: event.state.as_str().to_owned(),
            v: event.version,
            t: event.at.0,
            e: event.error_message.clone(),
        }
    }

    pub fn event(&self) -> Result<JobEvent> {
        Ok(JobEvent {
            job_id: JobId::parse(&self.j)
                .map_err(|_| Error::invalid_argument(format!("event for job '{}'", self.j)))?,
            client_id: ClientId::parse(&self.c)?,
            state: JobState::parse(&self.s)?,
            version: self.v,
            at: UnixMillis(self.t),
            error_message: self.e.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_crosses_the_wire_unchanged() {
        let event = JobEvent {
            job_id: JobId::from_uuid(uuid::Uuid::now_v7()),
            client_id: ClientId::parse("alice").unwrap(),
            state: JobState::Failed,
            version: 4,
            at: UnixMillis(1_765_000_000_123),
            error_message: Some("readout \"error\"".to_owned()),
        };
        let text = serde_json::to_string(&WireEvent::of(&event, "node-1")).unwrap();
        let back: WireEvent = serde_json::from_str(&text).unwrap();
        assert_eq!(back.o, "node-1");
        assert_eq!(back.event().unwrap(), event);
    }
}
