//! `JobEvents` over a tokio broadcast channel: fan-out within one process.

use async_trait::async_trait;
use futures::StreamExt;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use crate::domain::Result;
use crate::ports::{EventStream, JobEvent, JobEvents, WatchItem};

pub struct MemoryJobEvents {
    sender: broadcast::Sender<JobEvent>,
}

impl MemoryJobEvents {
    /// `capacity` events are buffered per subscriber; one that falls further
    /// behind is told it lagged and re-reads the store.
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        Self { sender }
    }
}

impl Default for MemoryJobEvents {
    fn default() -> Self {
        Self::new(16_384)
    }
}

#[async_trait]
impl JobEvents for MemoryJobEvents {
    async fn publish(&self, event: JobEvent) -> Result<()> {
        // No subscriber is not an error: nobody is watching.
        let _ = self.sender.send(event);
        Ok(())
    }

    fn subscribe(&self) -> EventStream {
        BroadcastStream::new(self.sender.subscribe())
            .map(|item| match item {
                Ok(event) => WatchItem::Event(event),
                Err(BroadcastStreamRecvError::Lagged(_)) => WatchItem::Lagged,
            })
            .boxed()
    }
}
