//! The one error type of the service. Every layer speaks it; adapters translate
//! their native errors into it at their edge, and the transport maps each kind
//! to exactly one gRPC status code.

use std::{fmt, time::Duration};

/// What went wrong, as far as a caller can act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The request itself is wrong (bad circuit, bad shots, bad id syntax).
    InvalidArgument,
    /// The named job or backend does not exist (or belongs to someone else).
    NotFound,
    /// The request is valid but the target is in the wrong state for it.
    FailedPrecondition,
    /// The caller could not be identified.
    Unauthenticated,
    /// The caller is known but not allowed to do this.
    PermissionDenied,
    /// A quota, rate or capacity limit was reached.
    ResourceExhausted,
    /// A dependency (store, queue, backend) cannot be reached right now.
    Unavailable,
    /// A fencing token or lease no longer holds: someone else owns the work.
    Conflict,
    /// The work was canceled before it finished.
    Canceled,
    /// The work ran past its time limit.
    DeadlineExceeded,
    /// A bug or an unexpected state; never the caller's fault.
    Internal,
}

impl ErrorKind {
    /// Whether trying the same thing again later may succeed.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorKind::Unavailable | ErrorKind::ResourceExhausted)
    }
}

/// An error with a kind, a message fit for the caller, and retry advice.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    retry_after: Option<Duration>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    pub fn failed_precondition(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::FailedPrecondition, message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthenticated, message)
    }

    pub fn resource_exhausted(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ResourceExhausted, message)
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unavailable, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    pub fn canceled(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Canceled, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// Advises the caller to wait this long before retrying.
    pub fn with_retry_after(mut self, after: Duration) -> Self {
        self.retry_after = Some(after);
        self
    }

    /// Prefixes the message with what was being done, keeping the kind.
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    pub fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
