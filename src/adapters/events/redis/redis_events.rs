//! Publishing through a task that sends what has piled up in one pipeline,
//! so a state change never waits for Redis; receiving through one
//! subscription per node.

use std::sync::{Arc, Weak};
use std::time::Duration;

use async_trait::async_trait;
use bb8_redis::redis::{self, aio::MultiplexedConnection};
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::config::RedisEventsSettings;
use super::wire::WireEvent;
use crate::domain::{Error, JobId, Result};
use crate::ports::{EventStream, JobEvent, JobEvents};
use crate::support::event_fan_out::EventFanOut;

/// Events waiting to be published before new ones are dropped (and
/// logged): Redis has been unreachable for a while.
const OUTBOX: usize = 65_536;
/// Events sent in one pipeline at most.
const BATCH: usize = 512;
/// Pause before connecting or subscribing again.
const RETRY_PAUSE: Duration = Duration::from_millis(500);

pub struct RedisJobEvents {
    local: Arc<EventFanOut>,
    outbox: mpsc::Sender<String>,
    node_id: String,
    tasks: [AbortHandle; 2],
}

impl RedisJobEvents {
    /// Connects (failing when Redis does not answer) and starts publishing
    /// and receiving.
    pub async fn connect(settings: &RedisEventsSettings) -> Result<Self> {
        let client = redis::Client::open(settings.url.as_str())
            .map_err(|e| unavailable("reading queue.redis_url", &e))?;
        let connection = client
            .get_multiplexed_async_connection()
            .await
            .map_err(|e| unavailable("connecting", &e))?;
        let channel = format!("{}:events", settings.prefix);
        let local = Arc::new(EventFanOut::new(16_384));
        let (outbox, pending) = mpsc::channel(OUTBOX);
        let publishing = tokio::spawn(publish(
            client.clone(),
            connection,
            channel.clone(),
            pending,
        ));
        let receiving = tokio::spawn(receive(
            client,
            channel,
            settings.node_id.clone(),
            Arc::downgrade(&local),
        ));
        Ok(Self {
            local,
            outbox,
            node_id: settings.node_id.clone(),
            tasks: [publishing.abort_handle(), receiving.abort_handle()],
        })
    }
}

impl Drop for RedisJobEvents {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn unavailable(doing: &str, error: &redis::RedisError) -> Error {
    Error::unavailable(format!(
        "job events (Redis): {doing}: {:?}{}",
        error.kind(),
        error.detail().map(|d| format!(": {d}")).unwrap_or_default()
    ))
}

/// Sends what the outbox holds, a pipeline at a time, until the adapter
/// is dropped; reconnects when Redis goes away.
async fn publish(
    client: redis::Client,
    mut connection: MultiplexedConnection,
    channel: String,
    mut pending: mpsc::Receiver<String>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    while pending.recv_many(&mut batch, BATCH).await > 0 {
        let mut pipe = redis::pipe();
        for message in &batch {
            pipe.publish(&channel, message).ignore();
        }
        while let Err(e) = pipe.query_async::<()>(&mut connection).await {
            tracing::warn!(error = %unavailable("publishing", &e), "events wait for Redis");
            tokio::time::sleep(RETRY_PAUSE).await;
            if let Ok(fresh) = client.get_multiplexed_async_connection().await {
                connection = fresh;
            }
        }
        batch.clear();
    }
}

/// Hands other nodes' events to this node's watchers; after a gap in the
/// subscription, tells every watcher it lagged.
async fn receive(client: redis::Client, channel: String, node: String, local: Weak<EventFanOut>) {
    let mut first = true;
    loop {
        match subscribed(&client, &channel).await {
            Ok(mut pubsub) => {
                if !first {
                    let Some(local) = local.upgrade() else { return };
                    local.lagged();
                }
                first = false;
                let mut messages = pubsub.on_message();
                while let Some(message) = messages.next().await {
                    let Some(local) = local.upgrade() else { return };
                    let Ok(text) = message.get_payload::<String>() else {
                        continue;
                    };
                    match serde_json::from_str::<WireEvent>(&text) {
                        Ok(wire) if wire.o == node => {}
                        Ok(wire) => match wire.event() {
                            Ok(event) => local.deliver(event),
                            Err(e) => {
                                tracing::warn!(error = %e, "an event from another node could not be read")
                            }
                        },
                        Err(e) => {
                            tracing::warn!(error = %e, "an event from another node could not be read")
                        }
                    }
                }
                tracing::warn!("the events subscription ended; subscribing again");
            }
            Err(e) => tracing::warn!(error = %e, "could not subscribe to events; retrying"),
        }
        if local.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(RETRY_PAUSE).await;
    }
}

async fn subscribed(client: &redis::Client, channel: &str) -> Result<redis::aio::PubSub> {
    let mut pubsub = client
        .get_async_pubsub()
        .await
        .map_err(|e| unavailable("subscribing", &e))?;
    pubsub
        .subscribe(channel)
        .await
        .map_err(|e| unavailable("subscribing", &e))?;
    Ok(pubsub)
}

#[async_trait]
impl JobEvents for RedisJobEvents {
    async fn publish(&self, event: JobEvent) -> Result<()> {
        let text = serde_json::to_string(&WireEvent::of(&event, &self.node_id))
            .map_err(|e| Error::internal(format!("job events: {e}")))?;
        self.local.deliver(event);
        if self.outbox.try_send(text).is_err() {
            tracing::warn!(
                "events for other nodes are piling up (Redis unreachable?); one was dropped"
            );
        }
        Ok(())
    }

    fn subscribe(&self) -> EventStream {
        self.local.subscribe()
    }

    fn subscribe_to(&self, job: JobId) -> EventStream {
        self.local.subscribe_to(job)
    }
}
