//! Redis's errors onto the domain's kinds, without the URL.

use bb8_redis::redis::RedisError;

use crate::domain::Error;

pub(super) fn leadership_error(doing: &str, error: &RedisError) -> Error {
    let message = match error.detail() {
        Some(detail) => format!(
            "leader lease (Redis): {doing}: {:?}: {detail}",
            error.kind()
        ),
        None => format!("leader lease (Redis): {doing}: {:?}", error.kind()),
    };
    Error::unavailable(message)
}
