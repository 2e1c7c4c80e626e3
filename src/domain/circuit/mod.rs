//! The circuit model: what every front-end produces and every backend runs.
//!
//! Qubits and classical bits are numbered flat, registers in declaration order,
//! so the first register's bit 0 is bit 0. A [`Circuit`] can only be built
//! through [`CircuitBuilder`], which refuses out-of-range indices and repeated
//! qubits, so a backend never has to check them again.

mod gate;
mod outcome;

use std::ops::Range;

pub use gate::Gate;
pub use outcome::{Counts, outcome_key};

use super::error::{Error, Result};

/// A named, contiguous run of qubits or classical bits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Register {
    pub name: String,
    /// Flat index of the register's bit 0.
    pub first: u32,
    pub size: u32,
}

impl Register {
    pub fn range(&self) -> Range<u32> {
        self.first..self.first + self.size
    }
}

/// What an instruction does.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    /// A gate on `qubits` (controls first), all distinct.
    Gate {
        gate: Gate,
        qubits: Vec<u32>,
    },
    Measure {
        qubit: u32,
        clbit: u32,
    },
    Reset {
        qubit: u32,
    },
    /// Keeps optimisers from moving gates across; no effect on the state.
    Barrier {
        qubits: Vec<u32>,
    },
}

/// A classical condition guarding an instruction, as in `if (c == 5)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// The bits `first..first+width`, bit `first` least significant, read as
    /// an unsigned integer equal `value`. `width` is at most 64.
    RegisterEquals { first: u32, width: u32, value: u64 },
    /// One classical bit has this value.
    Bit { clbit: u32, value: bool },
}

impl Condition {
    /// Evaluates the condition given a way to read classical bit `i`.
    pub fn holds(&self, bit: impl Fn(u32) -> bool) -> bool {
        match *self {
            Condition::Bit { clbit, value } => bit(clbit) == value,
            Condition::RegisterEquals {
                first,
                width,
                value,
            } => (0..width).all(|i| bit(first + i) == ((value >> i) & 1 == 1)),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Instruction {
    pub operation: Operation,
    pub condition: Option<Condition>,
}

/// A validated circuit.
#[derive(Debug, Clone, PartialEq)]
pub struct Circuit {
    qregs: Vec<Register>,
    cregs: Vec<Register>,
    num_qubits: u32,
    num_clbits: u32,
    instructions: Vec<Instruction>,
    output: Range<u32>,
}

impl Circuit {
    pub fn num_qubits(&self) -> u32 {
        self.num_qubits
    }

    pub fn num_clbits(&self) -> u32 {
        self.num_clbits
    }

    pub fn qregs(&self) -> &[Register] {
        &self.qregs
    }

    pub fn cregs(&self) -> &[Register] {
        &self.cregs
    }

    pub fn instructions(&self) -> &[Instruction] {
        &self.instructions
    }

    /// The classical bits a result's counts keys are made of, bit `start`
    /// rightmost. All bits, unless the circuit was measured implicitly.
    pub fn output_clbits(&self) -> Range<u32> {
        self.output.clone()
    }

    /// Number of gate instructions (barriers, measures and resets excluded).
    pub fn gate_count(&self) -> usize {
        self.instructions
            .iter()
            .filter(|i| matches!(i.operation, Operation::Gate { .. }))
            .count()
    }

    pub fn has_measurement(&self) -> bool {
        self.instructions
            .iter()
            .any(|i| matches!(i.operation, Operation::Measure { .. }))
    }

    /// True when no gate, reset or condition follows a measurement, so all
    /// shots can be drawn from one final probability distribution.
    pub fn measurements_are_terminal(&self) -> bool {
        let mut measured = vec![false; self.num_qubits as usize];
        for instruction in &self.instructions {
            if instruction.condition.is_some() {
                return false;
            }
            match &instruction.operation {
                Operation::Measure { qubit, .. } => measured[*qubit as usize] = true,
                Operation::Reset { .. } => return false,
                Operation::Gate { qubits, .. } if qubits.iter().any(|q| measured[*q as usize]) => {
                    return false;
                }
                Operation::Gate {
                    gate: Gate::GPhase(_),
                    ..
                }
                | Operation::Barrier { .. } => {}
                Operation::Gate { .. } => {}
            }
        }
        true
    }

    /// The same circuit with its result made of the classical bits `output`
    /// (bit `output.start` rightmost), as when a rewritten circuit keeps its
    /// source's result bits.
    pub fn with_output_clbits(mut self, output: Range<u32>) -> Result<Self> {
        if output.start > output.end || output.end > self.num_clbits {
            return Err(Error::invalid_argument(format!(
                "result bits {}..{} are not among the circuit's {} classical bit(s)",
                output.start, output.end, self.num_clbits
            )));
        }
        self.output = output;
        Ok(self)
    }

    /// A circuit with no measurement at all is measured on every qubit at the
    /// end, into a new register `meas` that alone makes up the result (qubit 0
    /// rightmost). Circuits that measure are returned unchanged.
    pub fn with_implicit_measurement(mut self) -> Self {
        if self.has_measurement() || self.num_qubits == 0 {
            return self;
        }
        let first = self.num_clbits;
        self.cregs.push(Register {
            name: "meas".to_owned(),
            first,
            size: self.num_qubits,
        });
        self.num_clbits += self.num_qubits;
        for q in 0..self.num_qubits {
            self.instructions.push(Instruction {
                operation: Operation::Measure {
                    qubit: q,
                    clbit: first + q,
                },
                condition: None,
            });
        }
        self.output = first..self.num_clbits;
        self
    }
}

/// Builds a [`Circuit`], checking every index as it goes.
#[derive(Debug, Default)]
pub struct CircuitBuilder {
    qregs: Vec<Register>,
    cregs: Vec<Register>,
    num_qubits: u32,
    num_clbits: u32,
    instructions: Vec<Instruction>,
}

/// Circuits are simulated and sent over the wire; far beyond any real device
/// and small enough that bit arithmetic on counts never overflows.
pub const MAX_QUBITS: u32 = 1 << 16;
pub const MAX_CLBITS: u32 = 1 << 16;

impl CircuitBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a qubit register and returns the flat index of its bit 0.
    pub fn add_qreg(&mut self, name: &str, size: u32) -> Result<u32> {
        let first = self.num_qubits;
        self.num_qubits = add_register(&mut self.qregs, name, size, first, MAX_QUBITS, "qubits")?;
        Ok(first)
    }

    /// Adds a classical register and returns the flat index of its bit 0.
    pub fn add_creg(&mut self, name: &str, size: u32) -> Result<u32> {
        let first = self.num_clbits;
        self.num_clbits = add_register(
            &mut self.cregs,
            name,
            size,
            first,
            MAX_CLBITS,
            "classical bits",
        )?;
        Ok(first)
    }

    pub fn num_qubits(&self) -> u32 {
        self.num_qubits
    }

    pub fn num_clbits(&self) -> u32 {
        self.num_clbits
    }

    pub fn qreg(&self, name: &str) -> Option<&Register> {
        self.qregs.iter().find(|r| r.name == name)
    }

    pub fn creg(&self, name: &str) -> Option<&Register> {
        self.cregs.iter().find(|r| r.name == name)
    }

    /// Appends an instruction after checking its indices and condition.
    pub fn push(&mut self, instruction: Instruction) -> Result<()> {
        match &instruction.operation {
            Operation::Gate { gate, qubits } => {
                if qubits.len() != gate.num_qubits() {
                    return Err(Error::invalid_argument(format!(
                        "gate '{}' acts on {} qubit(s), got {}",
                        gate.name(),
                        gate.num_qubits(),
                        qubits.len()
                    )));
                }
                if let Some(p) = gate.params().iter().find(|p| !p.is_finite()) {
                    return Err(Error::invalid_argument(format!(
                        "gate '{}' has a parameter that is not a finite number ({p})",
                        gate.name()
                    )));
                }
                self.check_qubits(qubits)?;
            }
            Operation::Measure { qubit, clbit } => {
                self.check_qubits(&[*qubit])?;
                self.check_clbit(*clbit)?;
            }
            Operation::Reset { qubit } => self.check_qubits(&[*qubit])?,
            Operation::Barrier { qubits } => self.check_qubits(qubits)?,
        }
        match instruction.condition {
            Some(Condition::Bit { clbit, .. }) => self.check_clbit(clbit)?,
            Some(Condition::RegisterEquals {
                first,
                width,
                value,
            }) => {
                if width == 0 || width > 64 {
                    return Err(Error::invalid_argument(format!(
                        "a condition can compare 1 to 64 classical bits, got {width}"
                    )));
                }
                let last = first.checked_add(width - 1).ok_or_else(|| {
                    Error::invalid_argument(format!(
                        "a condition on classical bits {first}.. runs past the last classical bit"
                    ))
                })?;
                self.check_clbit(last)?;
                if width < 64 && value >> width != 0 {
                    return Err(Error::invalid_argument(format!(
                        "condition value {value} does not fit in {width} classical bit(s)"
                    )));
                }
            }
            None => {}
        }
        self.instructions.push(instruction);
        Ok(())
    }

    pub fn build(self) -> Circuit {
        Circuit {
            qregs: self.qregs,
            cregs: self.cregs,
            num_qubits: self.num_qubits,
            num_clbits: self.num_clbits,
            instructions: self.instructions,
            output: 0..self.num_clbits,
        }
    }

    fn check_qubits(&self, qubits: &[u32]) -> Result<()> {
        // Gates have at most three qubits; barriers may name every qubit, so
        // long lists are checked with a bitmap instead of pairwise.
        let mut seen = if qubits.len() > 8 {
            vec![false; self.num_qubits as usize]
        } else {
            Vec::new()
        };
        for (i, q) in qubits.iter().enumerate() {
            if *q >= self.num_qubits {
                return Err(Error::invalid_argument(format!(
                    "qubit index {q} is out of range; the circuit has {} qubit(s)",
                    self.num_qubits
                )));
            }
            let repeated = if seen.is_empty() {
                qubits[..i].contains(q)
            } else {
                std::mem::replace(&mut seen[*q as usize], true)
            };
            if repeated {
                return Err(Error::invalid_argument(format!(
                    "qubit {q} is used twice in one instruction"
                )));
            }
        }
        Ok(())
    }

    fn check_clbit(&self, clbit: u32) -> Result<()> {
        if clbit >= self.num_clbits {
            return Err(Error::invalid_argument(format!(
                "classical bit index {clbit} is out of range; the circuit has {} classical bit(s)",
                self.num_clbits
            )));
        }
        Ok(())
    }
}

fn add_register(
    registers: &mut Vec<Register>,
    name: &str,
    size: u32,
    first: u32,
    limit: u32,
    what: &str,
) -> Result<u32> {
    if registers.iter().any(|r| r.name == name) {
        return Err(Error::invalid_argument(format!(
            "register '{name}' is declared twice"
        )));
    }
    if size == 0 {
        return Err(Error::invalid_argument(format!(
            "register '{name}' has size 0"
        )));
    }
    let total = first
        .checked_add(size)
        .filter(|t| *t <= limit)
        .ok_or_else(|| {
            Error::invalid_argument(format!("a circuit may have at most {limit} {what}"))
        })?;
    registers.push(Register {
        name: name.to_owned(),
        first,
        size,
    });
    Ok(total)
}

#[cfg(test)]
mod tests;
