//! Durable job stores over SQL (sqlx): SQLite embedded, PostgreSQL for
//! clusters. One generic store (`store.rs`) with the rules written once
//! (`flow.rs`, `sql.rs`); each database supplies connection set-up and how it
//! runs a query.

#[cfg(feature = "auth-api-key")]
mod api_keys;
mod audit_table;
mod cache;
mod error;
mod flow;
mod group_commit;
#[cfg(test)]
mod migration_check;
pub(crate) mod query;
mod row;
mod sql;
mod store;

#[cfg(feature = "storage-postgres")]
pub mod postgres;
#[cfg(feature = "storage-sqlite")]
pub mod sqlite;

#[cfg(feature = "auth-api-key")]
pub use api_keys::SqlApiKeyStore;
pub use audit_table::SqlAuditTable;
pub use store::SqlJobStore;
