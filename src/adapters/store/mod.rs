//! The `JobStore` port's adapters: where jobs, results and their history
//! are kept. `memory` always; `sqlite` and `postgres` share `sql`.

pub mod memory;
#[cfg(feature = "storage-postgres")]
pub mod postgres;
#[cfg(any(feature = "storage-sqlite", feature = "storage-postgres"))]
pub mod sql;
#[cfg(feature = "storage-sqlite")]
pub mod sqlite;
