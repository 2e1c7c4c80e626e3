//! The audit trail as JSON lines appended to a file (`audit.file`).

mod json_lines;

pub use json_lines::JsonLinesFile;
