//! Database errors become the service's errors here, once for every SQL
//! store: anything that means "cannot reach or use the database right now"
//! is UNAVAILABLE (retryable); the rest is INTERNAL.

use std::fmt;

use crate::domain::Error;

/// An error of a database driver: sqlx's, or (for the SQLite writer's own
/// connection) rusqlite's.
#[derive(Debug)]
pub enum DbError {
    Sqlx(sqlx::Error),
    #[cfg(feature = "storage-sqlite")]
    Sqlite(rusqlite::Error),
}

impl From<sqlx::Error> for DbError {
    fn from(error: sqlx::Error) -> Self {
        DbError::Sqlx(error)
    }
}

#[cfg(feature = "storage-sqlite")]
impl From<rusqlite::Error> for DbError {
    fn from(error: rusqlite::Error) -> Self {
        DbError::Sqlite(error)
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbError::Sqlx(error) => error.fmt(f),
            #[cfg(feature = "storage-sqlite")]
            DbError::Sqlite(error) => error.fmt(f),
        }
    }
}

pub fn store_error(doing: &str, error: impl Into<DbError>) -> Error {
    let error = error.into();
    let unavailable = match &error {
        DbError::Sqlx(error) => is_unavailable(error),
        #[cfg(feature = "storage-sqlite")]
        DbError::Sqlite(error) => sqlite_is_unavailable(error),
    };
    if unavailable {
        Error::unavailable(format!(
            "the job store cannot be reached while {doing}: {error}"
        ))
    } else {
        Error::internal(format!("the job store failed while {doing}: {error}"))
    }
}

/// The SQLite result codes of a database that is busy, locked, or cannot be
/// read or written: BUSY (5), LOCKED (6), IOERR (10), FULL (13), CANTOPEN (14).
const SQLITE_UNAVAILABLE: [i32; 5] = [5, 6, 10, 13, 14];

#[cfg(feature = "storage-sqlite")]
fn sqlite_is_unavailable(error: &rusqlite::Error) -> bool {
    matches!(error, rusqlite::Error::SqliteFailure(failure, _)
        if SQLITE_UNAVAILABLE.contains(&(failure.extended_code & 0xff)))
}

fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            // PostgreSQL: connection exceptions (08xxx), insufficient resources
            // (53xxx), operator intervention such as shutdown (57xxx).
            code.parse()
                .is_ok_and(|code| SQLITE_UNAVAILABLE.contains(&code))
                || code.starts_with("08")
                || code.starts_with("53")
                || code.starts_with("57")
        }
        _ => false,
    }
}

/// Whether a statement failed only because it met another transaction's
/// locks in a circle (PostgreSQL's deadlock_detected, 40P01) or its
/// snapshot (serialization_failure, 40001): it wrote nothing, and the same
/// statement sent again may well pass.
pub fn is_worth_retrying(error: &DbError) -> bool {
    match error {
        DbError::Sqlx(sqlx::Error::Database(db)) => {
            matches!(db.code().as_deref(), Some("40P01" | "40001"))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ErrorKind;

    #[test]
    fn lost_connections_are_unavailable_and_bugs_are_internal() {
        assert_eq!(
            store_error("reading", sqlx::Error::PoolTimedOut).kind(),
            ErrorKind::Unavailable
        );
        let err = store_error("reading", sqlx::Error::RowNotFound);
        assert_eq!(err.kind(), ErrorKind::Internal);
        assert!(err.message().contains("while reading"), "{err}");
    }

    #[cfg(feature = "storage-sqlite")]
    #[test]
    fn a_busy_sqlite_database_is_unavailable() {
        let busy = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            Some("database is locked".into()),
        );
        assert_eq!(store_error("writing", busy).kind(), ErrorKind::Unavailable);
        let constraint = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY),
            None,
        );
        assert_eq!(
            store_error("writing", constraint).kind(),
            ErrorKind::Internal
        );
    }
}
