//! Durable job stores over SQL (sqlx): SQLite embedded, PostgreSQL for
//! clusters. One generic store (`store.rs`) with the rules written once
//! (`flow.rs`, `sql.rs`); each database supplies connection set-up and how it
//! runs a query.

mod cache;
mod error;
mod flow;
mod group_commit;
mod row;
mod sql;
mod store;

#[cfg(feature = "storage-postgres")]
pub mod postgres;
#[cfg(feature = "storage-sqlite")]
pub mod sqlite;

pub use store::SqlJobStore;
