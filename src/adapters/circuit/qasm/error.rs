//! Where in the source text something is, and the one way front-end errors
//! are written: INVALID_ARGUMENT with "line L, column C: what is wrong".

use std::fmt;

use crate::domain::Error;

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.col)
    }
}

/// An INVALID_ARGUMENT error located at `pos`.
pub fn at(pos: Pos, what: impl fmt::Display) -> Error {
    Error::invalid_argument(format!("{pos}: {what}"))
}

/// Locates an error from the circuit builder (which knows no positions).
pub fn locate(pos: Pos) -> impl Fn(Error) -> Error {
    move |e| at(pos, e.message())
}
