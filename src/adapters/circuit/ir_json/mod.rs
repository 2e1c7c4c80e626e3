//! Arvak IR JSON: the circuit model as JSON, read and written with one set of
//! types. The schema is `proto/arvak-ir.schema.json`, explained with an example
//! in `docs/circuit-formats.md`. Reading refuses unknown fields; every error
//! names the field, and for instructions their index (`instructions[3].qubits`).

mod read;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::circuit::{Circuit, Condition, Instruction, Operation};

pub use read::from_ir_json;

/// The only version this service reads and writes.
pub const IR_VERSION: u32 = 1;

/// `I` is [`Value`] when reading, so that each instruction is read on its own
/// and an error can name its index; [`InstructionJson`] when writing.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Document<I> {
    version: u32,
    num_qubits: u32,
    #[serde(default)]
    num_clbits: u32,
    /// Named registers in order; absent means one register `q` (or `c`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    qregs: Option<Vec<RegisterJson>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cregs: Option<Vec<RegisterJson>>,
    instructions: Vec<I>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterJson {
    name: String,
    size: u32,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct InstructionJson {
    /// A standard gate name, or `measure`, `reset`, `barrier`.
    gate: String,
    #[serde(default)]
    qubits: Vec<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    params: Vec<f64>,
    /// Targets of `measure`, one per qubit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    clbits: Vec<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    condition: Option<ConditionJson>,
}

/// `{"clbit": 0, "value": true}` or `{"clbits": [0, 1], "value": 3}`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    clbit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    clbits: Option<Vec<u32>>,
    value: Value,
}

/// Writes a circuit as Arvak IR JSON (registers included), so that reading it
/// back gives an equal circuit.
pub fn to_ir_json(circuit: &Circuit) -> String {
    let reg = |r: &crate::domain::circuit::Register| RegisterJson {
        name: r.name.clone(),
        size: r.size,
    };
    let doc = Document {
        version: IR_VERSION,
        num_qubits: circuit.num_qubits(),
        num_clbits: circuit.num_clbits(),
        qregs: Some(circuit.qregs().iter().map(reg).collect()),
        cregs: Some(circuit.cregs().iter().map(reg).collect()),
        instructions: circuit.instructions().iter().map(instruction).collect(),
    };
    serde_json::to_string(&doc).unwrap_or_default()
}

fn instruction(i: &Instruction) -> InstructionJson {
    let (gate, qubits, params, clbits) = match &i.operation {
        Operation::Gate { gate, qubits } => (gate.name(), qubits.clone(), gate.params(), vec![]),
        Operation::Measure { qubit, clbit } => ("measure", vec![*qubit], vec![], vec![*clbit]),
        Operation::Reset { qubit } => ("reset", vec![*qubit], vec![], vec![]),
        Operation::Barrier { qubits } => ("barrier", qubits.clone(), vec![], vec![]),
    };
    let condition = i.condition.map(|c| match c {
        Condition::Bit { clbit, value } => ConditionJson {
            clbit: Some(clbit),
            clbits: None,
            value: Value::Bool(value),
        },
        Condition::RegisterEquals {
            first,
            width,
            value,
        } => ConditionJson {
            clbit: None,
            clbits: Some((first..first.saturating_add(width)).collect()),
            value: Value::from(value),
        },
    });
    InstructionJson {
        gate: gate.to_owned(),
        qubits,
        params,
        clbits,
        condition,
    }
}
