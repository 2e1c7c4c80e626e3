//! sqlx errors become the service's errors here, once for every SQL store:
//! anything that means "cannot reach or use the database right now" is
//! UNAVAILABLE (retryable); the rest is INTERNAL.

use crate::domain::Error;

pub fn store_error(doing: &str, error: sqlx::Error) -> Error {
    if is_unavailable(&error) {
        Error::unavailable(format!(
            "the job store cannot be reached while {doing}: {error}"
        ))
    } else {
        Error::internal(format!("the job store failed while {doing}: {error}"))
    }
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
            // SQLite: BUSY (5), LOCKED (6), IOERR (10), FULL (13), CANTOPEN (14).
            // PostgreSQL: connection exceptions (08xxx), insufficient resources
            // (53xxx), operator intervention such as shutdown (57xxx).
            matches!(code.as_ref(), "5" | "6" | "10" | "13" | "14")
                || code.starts_with("08")
                || code.starts_with("53")
                || code.starts_with("57")
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
}
