//! The OpenQASM 3 text of a transpiled circuit, in the form Qiskit's
//! `qasm3.dumps` gives an ISA circuit: physical qubits `$i` (no qubit
//! declaration), one `bit[n]` per classical register, native gates only.
//! `ecr` is not in stdgates.inc, so it is defined first, with the body
//! Qiskit 2.x writes for it (s, sx, cx, x); the service runs it natively.

use std::fmt::Write;

use crate::domain::circuit::{Circuit, Condition, Gate, Operation};
use crate::domain::{Error, Result};

const HEADER: &str = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\n";
const ECR_DEFINITION: &str = "gate ecr _gate_q_0, _gate_q_1 {\n  s _gate_q_0;\n  sx _gate_q_1;\n  cx _gate_q_0, _gate_q_1;\n  x _gate_q_0;\n}\n";

/// Names a classical register may not take: OpenQASM 3 keywords and the
/// gates in scope, which a declaration would shadow or clash with.
const RESERVED: &[&str] = &[
    "OPENQASM",
    "include",
    "defcalgrammar",
    "def",
    "cal",
    "defcal",
    "gate",
    "extern",
    "box",
    "let",
    "break",
    "continue",
    "if",
    "else",
    "end",
    "return",
    "for",
    "while",
    "in",
    "switch",
    "case",
    "default",
    "input",
    "output",
    "const",
    "readonly",
    "mutable",
    "qreg",
    "qubit",
    "creg",
    "bool",
    "bit",
    "int",
    "uint",
    "float",
    "angle",
    "complex",
    "array",
    "void",
    "duration",
    "stretch",
    "gphase",
    "inv",
    "pow",
    "ctrl",
    "negctrl",
    "dim",
    "durationof",
    "delay",
    "reset",
    "measure",
    "barrier",
    "true",
    "false",
    "pi",
    "tau",
    "euler",
    "sizeof",
    "im",
    "U",
    "CX",
    "p",
    "x",
    "y",
    "z",
    "h",
    "s",
    "sdg",
    "t",
    "tdg",
    "sx",
    "rx",
    "ry",
    "rz",
    "cx",
    "cy",
    "cz",
    "cp",
    "crx",
    "cry",
    "crz",
    "ch",
    "swap",
    "ccx",
    "cswap",
    "cu",
    "phase",
    "cphase",
    "id",
    "u1",
    "u2",
    "u3",
    "ecr",
];

/// The name each classical register gets in the program, in the circuit's
/// order: the user's name when it is a plain identifier, else made into
/// one; the sampler's result names its registers by these.
pub fn register_names(circuit: &Circuit) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(circuit.cregs().len());
    for register in circuit.cregs() {
        let mut name: String = register
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        // Results come back as fields of a record, so a leading letter.
        if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            name.insert_str(0, "c_");
        }
        let base = name.clone();
        let mut n = 1;
        while RESERVED.contains(&name.as_str()) || names.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        names.push(name);
    }
    names
}

/// Writes `circuit` (already on the device's physical qubits and in its
/// native gates) as an OpenQASM 3 program; refuses what it cannot express.
pub fn write_program(circuit: &Circuit) -> Result<String> {
    let names = register_names(circuit);
    let mut out = String::from(HEADER);
    let uses_ecr = circuit.instructions().iter().any(|i| {
        matches!(
            i.operation,
            Operation::Gate {
                gate: Gate::Ecr,
                ..
            }
        )
    });
    if uses_ecr {
        out.push_str(ECR_DEFINITION);
    }
    for (register, name) in circuit.cregs().iter().zip(&names) {
        let _ = writeln!(out, "bit[{}] {name};", register.size);
    }
    for instruction in circuit.instructions() {
        let Some(statement) = statement(circuit, &names, &instruction.operation)? else {
            continue;
        };
        match instruction.condition {
            None => {
                let _ = writeln!(out, "{statement}");
            }
            Some(condition) => {
                let test = condition_text(circuit, &names, condition)?;
                let _ = writeln!(out, "if ({test}) {{\n  {statement}\n}}");
            }
        }
    }
    Ok(out)
}

/// One operation as a statement; `None` for what has no effect to send (a
/// global phase cannot be observed, an identity does nothing).
fn statement(circuit: &Circuit, names: &[String], operation: &Operation) -> Result<Option<String>> {
    let text = match operation {
        Operation::Gate { gate, qubits } => {
            let operands = physical(qubits);
            match gate {
                Gate::Rz(angle) => format!("rz({angle:?}) {operands};"),
                Gate::Sx | Gate::X | Gate::Cz | Gate::Ecr => {
                    format!("{} {operands};", gate.name())
                }
                Gate::Id | Gate::GPhase(_) => return Ok(None),
                other => {
                    return Err(Error::invalid_argument(format!(
                        "IBM Quantum runs only its native gates (rz, sx, x, cz, ecr); \
                         the circuit still holds '{}', so it was not transpiled for this device",
                        other.name()
                    )));
                }
            }
        }
        Operation::Measure { qubit, clbit } => {
            format!("{} = measure ${qubit};", clbit_ref(circuit, names, *clbit)?)
        }
        Operation::Reset { qubit } => format!("reset ${qubit};"),
        Operation::Barrier { qubits } if qubits.is_empty() => return Ok(None),
        Operation::Barrier { qubits } => format!("barrier {};", physical(qubits)),
    };
    Ok(Some(text))
}

fn physical(qubits: &[u32]) -> String {
    qubits
        .iter()
        .map(|q| format!("${q}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `name[i]` for flat classical bit `clbit`.
fn clbit_ref(circuit: &Circuit, names: &[String], clbit: u32) -> Result<String> {
    circuit
        .cregs()
        .iter()
        .zip(names)
        .find(|(register, _)| register.range().contains(&clbit))
        .map(|(register, name)| format!("{name}[{}]", clbit - register.first))
        .ok_or_else(|| {
            Error::invalid_argument(format!("classical bit {clbit} belongs to no register"))
        })
}

fn condition_text(circuit: &Circuit, names: &[String], condition: Condition) -> Result<String> {
    match condition {
        Condition::Bit { clbit, value } => {
            let bit = clbit_ref(circuit, names, clbit)?;
            Ok(if value { bit } else { format!("!{bit}") })
        }
        Condition::RegisterEquals {
            first,
            width,
            value,
        } => {
            if let Some((_, name)) = circuit
                .cregs()
                .iter()
                .zip(names)
                .find(|(register, _)| register.first == first && register.size == width)
            {
                return Ok(format!("{name} == {value}"));
            }
            if width == 1 {
                let bit = clbit_ref(circuit, names, first)?;
                return Ok(if value == 1 { bit } else { format!("!{bit}") });
            }
            Err(Error::invalid_argument(format!(
                "a condition on classical bits {first}..{} does not cover one whole register, \
                 which OpenQASM 3 cannot compare",
                first + width
            )))
        }
    }
}

#[cfg(test)]
#[path = "qasm_tests.rs"]
mod tests;
