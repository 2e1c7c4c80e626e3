//! The `JobEvents` port's adapters: job state changes fanned out to watchers.

pub mod memory;
