//! What the SQLite and PostgreSQL stores share: one generic store
//! (`sql_store`) with the rules written once (`writes`, `statements`), group
//! commit, the cache of recently written jobs, and the `api_keys` and
//! `audit_events` tables. Each database supplies connection set-up and how
//! it runs a query.

#[cfg(feature = "auth-api-key")]
mod api_key_table;
mod audit_table;
pub(crate) mod cache;
pub(crate) mod error;
pub(crate) mod group_commit;
#[cfg(test)]
pub(crate) mod migration_check;
pub(crate) mod query;
pub(crate) mod row;
pub(crate) mod sql_store;
pub(crate) mod statements;
pub(crate) mod writes;

#[cfg(feature = "auth-api-key")]
pub use api_key_table::SqlApiKeyStore;
pub use audit_table::SqlAuditTable;
pub use sql_store::SqlJobStore;
