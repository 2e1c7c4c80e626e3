//! Credentials: given in the configuration (or its environment variable),
//! or kept in a file that is read again whenever it changes, so a rotated
//! token is used without a restart. Never printed.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::SystemTime;

use crate::domain::{Error, Result};
pub use crate::ports::Secret;

#[derive(Debug)]
enum Source {
    Inline(Secret),
    File(PathBuf),
}

/// The file's state when it was last read, to notice a change.
#[derive(Debug)]
struct Read {
    modified: Option<SystemTime>,
    len: u64,
    secret: Secret,
}

/// Where a backend's credential comes from.
#[derive(Debug)]
pub struct SecretReader {
    source: Source,
    last: Mutex<Option<Read>>,
}

impl SecretReader {
    /// From the settings `<setting>` (inline, also set by the environment)
    /// and `<setting>_file`: exactly one of them.
    pub fn from_settings(
        inline: Option<String>,
        file: Option<PathBuf>,
        setting: &str,
    ) -> Result<Self> {
        let source = match (inline.filter(|s| !s.trim().is_empty()), file) {
            (Some(value), None) => Source::Inline(Secret::new(value.trim())),
            (None, Some(path)) => Source::File(path),
            (Some(_), Some(_)) => {
                return Err(Error::invalid_argument(format!(
                    "{setting} and {setting}_file are both set; give one"
                )));
            }
            (None, None) => {
                return Err(Error::invalid_argument(format!(
                    "{setting} (or {setting}_file) is not set"
                )));
            }
        };
        Ok(Self {
            source,
            last: Mutex::new(None),
        })
    }

    pub fn inline(value: impl Into<String>) -> Self {
        Self {
            source: Source::Inline(Secret::new(value)),
            last: Mutex::new(None),
        }
    }

    /// The credential now: a file is read again when its size or
    /// modification time differs from the last read.
    pub fn current(&self) -> Result<Secret> {
        let path = match &self.source {
            Source::Inline(secret) => return Ok(secret.clone()),
            Source::File(path) => path,
        };
        let unreadable = |e: std::io::Error| {
            Error::unavailable(format!(
                "the credentials file {} cannot be read: {e}",
                path.display()
            ))
        };
        let meta = std::fs::metadata(path).map_err(unreadable)?;
        let (modified, len) = (meta.modified().ok(), meta.len());
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(read) = last.as_ref()
            && read.modified == modified
            && read.len == len
            && modified.is_some()
        {
            return Ok(read.secret.clone());
        }
        let text = std::fs::read_to_string(path).map_err(unreadable)?;
        let value = text.trim();
        if value.is_empty() {
            return Err(Error::unavailable(format!(
                "the credentials file {} is empty",
                path.display()
            )));
        }
        let secret = Secret::new(value);
        *last = Some(Read {
            modified,
            len,
            secret: secret.clone(),
        });
        Ok(secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_one_source_is_given() {
        let both =
            SecretReader::from_settings(Some("a".into()), Some("f".into()), "backends.g.token");
        assert!(both.unwrap_err().message().contains("both"));
        let none = SecretReader::from_settings(None, None, "backends.g.token");
        assert!(none.unwrap_err().message().contains("backends.g.token"));
        let inline = SecretReader::from_settings(Some(" t0k ".into()), None, "x").unwrap();
        assert_eq!(inline.current().unwrap().expose(), "t0k");
    }

    #[test]
    fn a_changed_file_is_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "first\n").unwrap();
        let reader = SecretReader::from_settings(None, Some(path.clone()), "x").unwrap();
        assert_eq!(reader.current().unwrap().expose(), "first");
        std::fs::write(&path, "second-token\n").unwrap();
        assert_eq!(reader.current().unwrap().expose(), "second-token");
        std::fs::write(&path, "").unwrap();
        assert!(reader.current().unwrap_err().message().contains("empty"));
        std::fs::remove_file(&path).unwrap();
        let gone = reader.current().unwrap_err();
        assert!(
            gone.message().contains("cannot be read"),
            "{}",
            gone.message()
        );
    }

    #[test]
    fn debug_shows_no_secret() {
        let reader = SecretReader::inline("hunter2");
        assert!(!format!("{reader:?}").contains("hunter2"));
        assert!(!format!("{:?}", Secret::new("hunter2")).contains("hunter2"));
    }
}
