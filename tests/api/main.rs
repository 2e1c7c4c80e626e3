//! End-to-end tests: the real server on port 0, driven through a tonic client.

mod support;

mod backends;
mod binary;
mod cancel;
mod durability;
mod errors;
mod faults;
mod jobs;
mod lifecycle;
mod limits;
mod load_client;
mod load_pace;
mod metrics;
mod request_id;
mod shared_queue;
mod simulator;
mod streams;
