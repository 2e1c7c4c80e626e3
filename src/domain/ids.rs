//! Identifiers and small values that parse once and stay valid afterwards.

use std::fmt;
use std::sync::Arc;

use super::error::{Error, Result};

/// A job's id: a UUID (version 7 when made here, so ids sort by creation time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(uuid::Uuid);

impl JobId {
    pub fn from_uuid(id: uuid::Uuid) -> Self {
        Self(id)
    }

    /// Parses the text form a client sends back; any other text is "no such job"
    /// to the caller, but we say precisely what was wrong with it.
    pub fn parse(text: &str) -> Result<Self> {
        if text.is_empty() {
            return Err(Error::invalid_argument("job_id is empty"));
        }
        uuid::Uuid::try_parse(text)
            .map(Self)
            .map_err(|_| Error::not_found(format!("job '{}' not found", printable(text))))
    }

    pub fn as_uuid(&self) -> uuid::Uuid {
        self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// Keeps user-supplied text short and single-line before it goes into a message.
pub(crate) fn printable(text: &str) -> String {
    let mut out: String = text.chars().take(80).filter(|c| !c.is_control()).collect();
    if text.chars().count() > 80 {
        out.push('…');
    }
    out
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $what:literal, $max:literal, $allowed:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        // Shared, not copied: a job's names are cloned with it on every
        // read from the job cache and every event.
        pub struct $name(Arc<str>);

        impl $name {
            pub fn parse(text: &str) -> Result<Self> {
                if text.is_empty() {
                    return Err(Error::invalid_argument(concat!($what, " is empty")));
                }
                if text.len() > $max {
                    return Err(Error::invalid_argument(format!(
                        concat!($what, " is {} bytes long; the limit is ", $max),
                        text.len()
                    )));
                }
                let allowed: fn(char) -> bool = $allowed;
                if let Some(bad) = text.chars().find(|c| !allowed(*c)) {
                    return Err(Error::invalid_argument(format!(
                        concat!($what, " '{}' contains the character {:?}, which is not allowed"),
                        printable(text),
                        bad
                    )));
                }
                Ok(Self(Arc::from(text)))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_type!(
    /// A backend's id, such as `simulator` or `iqm-garnet`.
    BackendId,
    "backend_id",
    64,
    |c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
);

name_type!(
    /// Who owns a job: the authenticated client (or `anonymous`).
    ClientId,
    "client id",
    128,
    |c| c.is_ascii_graphic()
);

name_type!(
    /// A client's key that makes a retried submission return the first job.
    IdempotencyKey,
    "idempotency_key",
    256,
    |c| !c.is_control()
);

impl ClientId {
    pub fn anonymous() -> Self {
        Self(Arc::from("anonymous"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::ErrorKind;

    #[test]
    fn job_id_round_trips_and_rejects_garbage() {
        let id = JobId::from_uuid(uuid::Uuid::now_v7());
        assert_eq!(JobId::parse(&id.to_string()).unwrap(), id);
        assert_eq!(
            JobId::parse("").unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        let err = JobId::parse("nope").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(err.message().contains("job"));
    }

    #[test]
    fn backend_id_rules() {
        assert!(BackendId::parse("iqm-garnet_2.0").is_ok());
        assert!(BackendId::parse("").is_err());
        assert!(
            BackendId::parse("has space")
                .unwrap_err()
                .message()
                .contains("' '")
        );
        assert!(
            BackendId::parse(&"a".repeat(65))
                .unwrap_err()
                .message()
                .contains("limit is 64")
        );
    }

    #[test]
    fn client_id_refuses_whitespace_and_long_text_is_shortened_in_messages() {
        assert!(ClientId::parse("team-a/alice").is_ok());
        let long = format!("{} x", "a".repeat(200));
        let err = ClientId::parse(&long).unwrap_err();
        assert!(err.message().len() < 200, "{}", err.message());
    }
}
