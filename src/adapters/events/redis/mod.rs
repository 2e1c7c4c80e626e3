//! Job events across nodes over Redis pub/sub (feature `queue-redis`):
//! every state change is handed to this node's watchers at once and
//! published on `p:events`; each node delivers the others' events to its
//! own watchers. Watchers are told they lagged (and re-read the store)
//! when the subscription was down, since events sent meanwhile are lost.

mod config;
mod redis_events;
mod wire;

pub use config::RedisEventsSettings;
pub use redis_events::RedisJobEvents;
