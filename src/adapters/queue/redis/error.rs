//! Redis's errors onto the domain's kinds: the server unreachable or busy
//! is UNAVAILABLE (the call may be retried); anything else is INTERNAL. The
//! URL, which may hold a password, is never repeated.

use bb8_redis::redis::RedisError;

use crate::domain::Error;

pub(super) fn queue_error(doing: &str, error: &RedisError) -> Error {
    let unavailable = error.is_io_error()
        || error.is_connection_refusal()
        || error.is_connection_dropped()
        || error.is_timeout()
        || error.is_cluster_error();
    let message = format!("job queue (Redis): {doing}: {}", describe(error));
    if unavailable {
        Error::unavailable(message)
    } else {
        Error::internal(message)
    }
}

/// The pool gave no connection in time: Redis is down or overloaded.
pub(super) fn pool_error<E: std::fmt::Display>(error: bb8::RunError<E>) -> Error {
    match error {
        bb8::RunError::TimedOut => {
            Error::unavailable("job queue (Redis): no connection within the timeout")
        }
        bb8::RunError::User(e) => Error::unavailable(format!("job queue (Redis): {e}")),
    }
}

/// The error's kind and detail, without the connection's address.
fn describe(error: &RedisError) -> String {
    if error.is_timeout() {
        return "timed out".to_owned();
    }
    match error.detail() {
        Some(detail) => format!("{:?}: {detail}", error.kind()),
        None => format!("{:?}", error.kind()),
    }
}
