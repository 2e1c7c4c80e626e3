//! Reading Arvak IR JSON. The document is read straight into typed values;
//! only when that fails is it read again instruction by instruction, so that
//! the error can name the instruction's index.

use serde::Deserialize;
use serde_json::Value;

use super::{ConditionJson, Document, IR_VERSION, InstructionJson, RegisterJson};
use crate::adapters::circuit::known_gates as gates;
use crate::domain::circuit::{Circuit, CircuitBuilder, Condition, Gate, Instruction, Operation};
use crate::domain::{Error, Result};

fn invalid(field: &str, what: impl std::fmt::Display) -> Error {
    Error::invalid_argument(format!("Arvak IR JSON, {field}: {what}"))
}

/// Names the instruction that made reading fail, if one did.
fn locate_error(text: &str, error: serde_json::Error) -> Error {
    let doc: Document<Value> = match serde_json::from_str(text) {
        Ok(doc) => doc,
        Err(e) => return invalid("document", e),
    };
    for (i, value) in doc.instructions.into_iter().enumerate() {
        if let Err(e) = InstructionJson::deserialize(value) {
            return invalid(&format!("instructions[{i}]"), e);
        }
    }
    invalid("document", error)
}

/// Reads Arvak IR JSON into a circuit.
pub fn from_ir_json(text: &str) -> Result<Circuit> {
    let doc: Document<InstructionJson> =
        serde_json::from_str(text).map_err(|e| locate_error(text, e))?;
    if doc.version != IR_VERSION {
        return Err(invalid(
            "version",
            format!("only version {IR_VERSION} is known, got {}", doc.version),
        ));
    }
    let mut b = CircuitBuilder::new();
    registers(
        &mut b,
        doc.qregs.as_deref(),
        doc.num_qubits,
        "qregs",
        "q",
        true,
    )?;
    registers(
        &mut b,
        doc.cregs.as_deref(),
        doc.num_clbits,
        "cregs",
        "c",
        false,
    )?;
    for (i, ins) in doc.instructions.iter().enumerate() {
        let field = |name: &str| format!("instructions[{i}].{name}");
        let condition = match &ins.condition {
            Some(c) => {
                Some(condition(c, b.num_clbits()).map_err(|e| invalid(&field("condition"), e))?)
            }
            None => None,
        };
        for op in operations(ins, &field)? {
            check_indices(&b, &op, ins, &field)?;
            b.push(Instruction {
                operation: op,
                condition,
            })
            .map_err(|e| invalid(&field("condition"), e.message()))?;
        }
    }
    Ok(b.build())
}

fn registers(
    b: &mut CircuitBuilder,
    regs: Option<&[RegisterJson]>,
    total: u32,
    field: &str,
    default_name: &str,
    quantum: bool,
) -> Result<()> {
    let mut add = |name: &str, size: u32| {
        if quantum {
            b.add_qreg(name, size)
        } else {
            b.add_creg(name, size)
        }
    };
    match regs {
        None if total == 0 => Ok(()),
        None => add(default_name, total)
            .map(drop)
            .map_err(|e| invalid(field, e.message())),
        Some(regs) => {
            let mut sum = 0u64;
            for (i, r) in regs.iter().enumerate() {
                add(&r.name, r.size).map_err(|e| invalid(&format!("{field}[{i}]"), e.message()))?;
                sum += u64::from(r.size);
            }
            if sum != u64::from(total) {
                let count = if quantum { "num_qubits" } else { "num_clbits" };
                return Err(invalid(
                    field,
                    format!("register sizes add up to {sum}, but {count} is {total}"),
                ));
            }
            Ok(())
        }
    }
}

/// The operations one instruction stands for (several for a measure of many
/// qubits or a reset of many).
fn operations(ins: &InstructionJson, field: &dyn Fn(&str) -> String) -> Result<Vec<Operation>> {
    let no = |name: &str, empty: bool| {
        if empty {
            Ok(())
        } else {
            Err(invalid(
                &field(name),
                format!("'{}' takes no {name}", ins.gate),
            ))
        }
    };
    match ins.gate.as_str() {
        "measure" => {
            no("params", ins.params.is_empty())?;
            if ins.qubits.len() != ins.clbits.len() || ins.qubits.is_empty() {
                return Err(invalid(
                    &field("clbits"),
                    format!(
                        "measure needs one classical bit per qubit, got {} qubit(s) and {} classical bit(s)",
                        ins.qubits.len(),
                        ins.clbits.len()
                    ),
                ));
            }
            Ok(ins
                .qubits
                .iter()
                .zip(&ins.clbits)
                .map(|(&qubit, &clbit)| Operation::Measure { qubit, clbit })
                .collect())
        }
        "reset" => {
            no("params", ins.params.is_empty())?;
            no("clbits", ins.clbits.is_empty())?;
            Ok(ins
                .qubits
                .iter()
                .map(|&qubit| Operation::Reset { qubit })
                .collect())
        }
        "barrier" => {
            no("params", ins.params.is_empty())?;
            no("clbits", ins.clbits.is_empty())?;
            Ok(vec![Operation::Barrier {
                qubits: ins.qubits.clone(),
            }])
        }
        name => {
            no("clbits", ins.clbits.is_empty())?;
            let gate =
                Gate::from_name(name, &ins.params).ok_or_else(|| match gates::standard(name) {
                    Some((n, _)) => invalid(
                        &field("params"),
                        format!(
                            "gate '{name}' takes {n} parameter(s), got {}",
                            ins.params.len()
                        ),
                    ),
                    None => invalid(&field("gate"), format!("unknown gate '{name}'")),
                })?;
            Ok(vec![Operation::Gate {
                gate,
                qubits: ins.qubits.clone(),
            }])
        }
    }
}

/// Checks qubits and classical bits here, so the error names the field.
fn check_indices(
    b: &CircuitBuilder,
    op: &Operation,
    ins: &InstructionJson,
    field: &dyn Fn(&str) -> String,
) -> Result<()> {
    let (qubits, clbit): (&[u32], Option<u32>) = match op {
        Operation::Gate { qubits, .. } | Operation::Barrier { qubits } => (qubits, None),
        Operation::Measure { qubit, clbit } => (std::slice::from_ref(qubit), Some(*clbit)),
        Operation::Reset { qubit } => (std::slice::from_ref(qubit), None),
    };
    if let Operation::Gate { gate, qubits } = op
        && qubits.len() != gate.num_qubits()
    {
        return Err(invalid(
            &field("qubits"),
            format!(
                "gate '{}' acts on {} qubit(s), got {}",
                ins.gate,
                gate.num_qubits(),
                qubits.len()
            ),
        ));
    }
    for (k, q) in qubits.iter().enumerate() {
        if *q >= b.num_qubits() {
            return Err(invalid(
                &field("qubits"),
                format!(
                    "qubit {q} is out of range; the circuit has {} qubit(s)",
                    b.num_qubits()
                ),
            ));
        }
        if qubits.get(..k).is_some_and(|before| before.contains(q)) {
            return Err(invalid(
                &field("qubits"),
                format!("qubit {q} is used twice"),
            ));
        }
    }
    match clbit {
        Some(c) if c >= b.num_clbits() => Err(invalid(
            &field("clbits"),
            format!(
                "classical bit {c} is out of range; the circuit has {} classical bit(s)",
                b.num_clbits()
            ),
        )),
        _ => Ok(()),
    }
}

/// Reads a condition; its bits are checked against `num_clbits` here, before
/// the builder adds widths to indices.
fn condition(c: &ConditionJson, num_clbits: u32) -> std::result::Result<Condition, String> {
    match (c.clbit, &c.clbits) {
        (Some(clbit), None) => {
            let value = match &c.value {
                Value::Bool(v) => *v,
                v if v.as_u64() == Some(0) => false,
                v if v.as_u64() == Some(1) => true,
                v => {
                    return Err(format!(
                        "a single bit's value is true, false, 0 or 1, not {v}"
                    ));
                }
            };
            Ok(Condition::Bit { clbit, value })
        }
        (None, Some(bits)) => {
            let first = *bits.first().ok_or("'clbits' is empty")?;
            let consecutive = bits
                .iter()
                .enumerate()
                .all(|(k, b)| u64::from(*b) == u64::from(first) + k as u64);
            if !consecutive {
                return Err(
                    "'clbits' must be consecutive and ascending, as in [2, 3, 4]".to_owned(),
                );
            }
            let value = c
                .value
                .as_u64()
                .ok_or_else(|| format!("value must be a non-negative integer, not {}", c.value))?;
            let width = u32::try_from(bits.len()).map_err(|_| "too many clbits")?;
            let end = u64::from(first) + u64::from(width);
            if end > u64::from(num_clbits) {
                return Err(format!(
                    "classical bit {} is out of range; the circuit has {num_clbits} classical bit(s)",
                    end - 1
                ));
            }
            Ok(Condition::RegisterEquals {
                first,
                width,
                value,
            })
        }
        _ => Err("give either 'clbit' or 'clbits'".to_owned()),
    }
}
