//! OpenQASM 3 and 2 through a small purpose-built pipeline: `lexer`
//! (tokens with positions), then `parser` and `expr` (syntax tree, constants
//! folded), then `lower` and `defs` (registers, broadcasting, conditions,
//! inlined definitions; `physical` the `$n` qubits). OpenQASM 2 is chosen
//! when the version line says `OPENQASM 2.x;`, OpenQASM 3 otherwise.

mod ast;
mod defs;
mod error;
mod expr;
mod lexer;
mod lower;
mod parser;
mod physical;

use crate::domain::Result;
use crate::domain::circuit::Circuit;

pub use defs::MAX_INSTRUCTIONS;
pub use parser::MAX_NESTING;

/// Parses OpenQASM 2 or 3 source text.
pub fn parse_qasm(text: &str) -> Result<Circuit> {
    let program = parser::parse(text)?;
    lower::lower(&program)
}
