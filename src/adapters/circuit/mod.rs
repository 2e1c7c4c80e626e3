//! The `CircuitFrontend` port's adapters: OpenQASM 3 and 2 (`qasm`) and
//! Arvak IR JSON (`ir_json`), each turning submitted text into the domain's
//! [`Circuit`]; `known_gates` is the table of gates a program may call
//! without defining them, which both consult. Every error is
//! INVALID_ARGUMENT and, for OpenQASM, starts with "line L, column C:".
//! `docs/circuit-formats.md` lists what is accepted.

pub mod ir_json;
mod known_gates;
pub mod qasm;

pub use ir_json::to_ir_json;
pub use qasm::{MAX_INSTRUCTIONS, MAX_NESTING, parse_qasm};

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
