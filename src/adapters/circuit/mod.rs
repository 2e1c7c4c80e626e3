//! Circuit front-ends: OpenQASM 3, OpenQASM 2 and Arvak IR JSON, each turning
//! submitted text into the domain's [`Circuit`].
//!
//! OpenQASM goes through a small purpose-built pipeline: `lexer` (tokens with
//! positions), then `parser` and `expr` (syntax tree, constants folded), then
//! `lower` and `defs` (registers, broadcasting, conditions, inlined
//! definitions; `gates` knows the standard and qelib1 gates, `physical` the
//! `$n` qubits). `ir_json` reads and writes the JSON form. Every error is
//! INVALID_ARGUMENT and, for OpenQASM, starts with "line L, column C:".
//! `docs/circuit-formats.md` lists what is accepted.

mod ast;
mod defs;
mod error;
mod expr;
mod gates;
mod ir_json;
mod lexer;
mod lower;
mod parser;
mod physical;

pub use defs::MAX_INSTRUCTIONS;
pub use ir_json::to_ir_json;
pub use parser::MAX_NESTING;

use crate::domain::circuit::Circuit;
use crate::domain::{CircuitFormat, CircuitSource, Result};
use crate::ports::CircuitFrontend;

/// The front-end for every format the service accepts. OpenQASM 2 is chosen
/// when the version line says `OPENQASM 2.x;`, OpenQASM 3 otherwise.
#[derive(Debug, Default, Clone)]
pub struct StandardFrontend;

impl StandardFrontend {
    pub fn new() -> Self {
        Self
    }
}

impl CircuitFrontend for StandardFrontend {
    fn parse(&self, source: &CircuitSource) -> Result<Circuit> {
        match source.format {
            CircuitFormat::OpenQasm => parse_qasm(&source.text),
            CircuitFormat::ArvakIrJson => ir_json::from_ir_json(&source.text),
        }
    }
}

/// Parses OpenQASM 2 or 3 source text.
pub fn parse_qasm(text: &str) -> Result<Circuit> {
    let program = parser::parse(text)?;
    lower::lower(&program)
}
