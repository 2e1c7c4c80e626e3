//! The one place where error kinds become gRPC status codes.

use tonic::{Code, Status};

use crate::domain::{Error, ErrorKind};

pub fn code_of(kind: ErrorKind) -> Code {
    match kind {
        ErrorKind::InvalidArgument => Code::InvalidArgument,
        ErrorKind::NotFound => Code::NotFound,
        ErrorKind::FailedPrecondition => Code::FailedPrecondition,
        ErrorKind::Unauthenticated => Code::Unauthenticated,
        ErrorKind::PermissionDenied => Code::PermissionDenied,
        ErrorKind::ResourceExhausted => Code::ResourceExhausted,
        ErrorKind::Unavailable => Code::Unavailable,
        ErrorKind::Conflict => Code::Aborted,
        ErrorKind::Canceled => Code::Cancelled,
        ErrorKind::DeadlineExceeded => Code::DeadlineExceeded,
        ErrorKind::Internal => Code::Internal,
    }
}

/// Metadata key with the whole seconds after which a retry can succeed
/// (rate limits), as HTTP's `Retry-After`.
pub const RETRY_AFTER: &str = "retry-after";

pub fn to_status(error: Error) -> Status {
    let mut status = Status::new(code_of(error.kind()), error.message());
    if let Some(after) = error.retry_after() {
        let secs = after.as_secs() + u64::from(after.subsec_nanos() > 0);
        status.metadata_mut().insert(RETRY_AFTER, secs.into());
    }
    status
}

/// An error as text inside a message (SubmitBatchStream's `error` field):
/// the status code's name first, so clients can tell kinds apart.
pub fn to_text(error: &Error) -> String {
    format!("{}: {}", code_name(code_of(error.kind())), error.message())
}

pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::NotFound => "NOT_FOUND",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Unauthenticated => "UNAUTHENTICATED",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::Unavailable => "UNAVAILABLE",
        Code::Aborted => "ABORTED",
        Code::Cancelled => "CANCELLED",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::Ok => "OK",
        _ => "INTERNAL",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_code_and_keeps_its_message() {
        let status = to_status(Error::not_found("job 'x' not found"));
        assert_eq!(status.code(), Code::NotFound);
        assert_eq!(status.message(), "job 'x' not found");
        assert_eq!(
            code_of(ErrorKind::ResourceExhausted),
            Code::ResourceExhausted
        );
        assert_eq!(code_of(ErrorKind::Unavailable), Code::Unavailable);
        assert_eq!(
            to_text(&Error::invalid_argument("bad")),
            "INVALID_ARGUMENT: bad"
        );
        assert!(status.metadata().get(RETRY_AFTER).is_none());
    }

    #[test]
    fn retry_advice_travels_in_whole_seconds_rounded_up() {
        let error = Error::resource_exhausted("slow down")
            .with_retry_after(std::time::Duration::from_millis(2_100));
        let status = to_status(error);
        let secs = status
            .metadata()
            .get(RETRY_AFTER)
            .unwrap()
            .to_str()
            .unwrap();
        assert_eq!(secs, "3");
    }
}
