//! The in-memory job store (always compiled): for development and tests;
//! nothing survives a restart.

mod memory_store;

pub use memory_store::MemoryJobStore;
