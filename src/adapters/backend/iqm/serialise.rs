//! A transpiled circuit as IQM circuit JSON, and IQM's counts back in our
//! keys.
//!
//! Every classical bit that is measured gets one `measure` instruction with
//! a key of its own naming the bit (`c[1]`), so each bitstring position of
//! the counts artifact belongs to exactly one classical bit.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use super::wire::{CircuitOperation, IqmCircuit, MeasurementCounts};
use crate::domain::circuit::{Circuit, Counts, Gate, Operation, outcome_key};
use crate::domain::{Error, Result};

/// The circuit's measurement keys: key → classical bit.
pub fn measurement_keys(circuit: &Circuit) -> HashMap<String, u32> {
    circuit
        .instructions()
        .iter()
        .filter_map(|i| match i.operation {
            Operation::Measure { clbit, .. } => Some((clbit_key(circuit, clbit), clbit)),
            _ => None,
        })
        .collect()
}

/// `<register>[<index>]` for a classical bit.
fn clbit_key(circuit: &Circuit, clbit: u32) -> String {
    circuit
        .cregs()
        .iter()
        .find(|r| r.range().contains(&clbit))
        .map_or_else(
            || format!("c[{clbit}]"),
            |r| format!("{}[{}]", r.name, clbit - r.first),
        )
}

/// The circuit in IQM's form, its qubit `i` named `qubit_names[i]`.
/// Refuses what IQM cannot run as sent: conditions, resets, gates outside
/// `prx`/`cz`, a gate on a qubit already measured, a bit measured twice.
pub fn to_iqm(circuit: &Circuit, name: &str, qubit_names: &[String]) -> Result<IqmCircuit> {
    let qubit = |q: u32| -> Result<String> {
        qubit_names.get(q as usize).cloned().ok_or_else(|| {
            Error::invalid_argument(format!(
                "the circuit uses qubit {q}, but the IQM device has {} qubits",
                qubit_names.len()
            ))
        })
    };
    let mut measured_qubits = vec![false; circuit.num_qubits() as usize];
    let mut measured_clbits = vec![false; circuit.num_clbits() as usize];
    let mut instructions = Vec::with_capacity(circuit.instructions().len());
    for instruction in circuit.instructions() {
        if instruction.condition.is_some() {
            return Err(refused("classically conditioned instructions"));
        }
        let op = match &instruction.operation {
            Operation::Gate { gate, qubits } => {
                if let Some(q) = qubits.iter().find(|q| measured_qubits[**q as usize]) {
                    return Err(Error::invalid_argument(format!(
                        "IQM cannot run gate '{}' on qubit {q} after it was measured \
                         (no mid-circuit measurement)",
                        gate.name()
                    )));
                }
                let locus = qubits.iter().map(|q| qubit(*q)).collect::<Result<_>>()?;
                match *gate {
                    Gate::Prx(theta, phi) => CircuitOperation {
                        name: "prx",
                        locus,
                        // The IQM circuit format takes both in radians (the
                        // older `angle_t`/`phase_t` were in full turns).
                        args: args([("angle", Value::from(theta)), ("phase", Value::from(phi))]),
                        implementation: None,
                    },
                    Gate::Cz => CircuitOperation {
                        name: "cz",
                        locus,
                        args: Map::new(),
                        implementation: None,
                    },
                    other => {
                        return Err(Error::invalid_argument(format!(
                            "IQM runs only prx and cz; the circuit has '{}' (transpile it first)",
                            other.name()
                        )));
                    }
                }
            }
            Operation::Measure { qubit: q, clbit } => {
                if std::mem::replace(&mut measured_qubits[*q as usize], true) {
                    return Err(Error::invalid_argument(format!(
                        "IQM cannot measure qubit {q} twice (no mid-circuit measurement)"
                    )));
                }
                if std::mem::replace(&mut measured_clbits[*clbit as usize], true) {
                    return Err(Error::invalid_argument(format!(
                        "IQM cannot write classical bit {clbit} twice"
                    )));
                }
                CircuitOperation {
                    name: "measure",
                    locus: vec![qubit(*q)?],
                    args: args([("key", Value::from(clbit_key(circuit, *clbit)))]),
                    implementation: None,
                }
            }
            Operation::Reset { .. } => return Err(refused("reset")),
            Operation::Barrier { qubits } => {
                // A measurement must stay the last operation on its qubit; a
                // barrier after it orders nothing, so measured qubits leave.
                let locus: Vec<String> = qubits
                    .iter()
                    .filter(|q| !measured_qubits[**q as usize])
                    .map(|q| qubit(*q))
                    .collect::<Result<_>>()?;
                if locus.is_empty() {
                    continue;
                }
                CircuitOperation {
                    name: "barrier",
                    locus,
                    args: Map::new(),
                    implementation: None,
                }
            }
        };
        instructions.push(op);
    }
    Ok(IqmCircuit {
        name: name.to_owned(),
        instructions,
    })
}

fn refused(what: &str) -> Error {
    Error::invalid_argument(format!("IQM cannot run {what}"))
}

fn args<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// IQM's counts for `circuit` (the first, and only, entry of the artifact)
/// keyed over `circuit.output_clbits()`; classical bits never measured
/// read 0.
pub fn counts_from_iqm(circuit: &Circuit, batch: &[MeasurementCounts]) -> Result<Counts> {
    let answer = batch.first().ok_or_else(|| {
        Error::internal("IQM returned no measurement counts for the job's circuit")
    })?;
    let keys = measurement_keys(circuit);
    let positions: Vec<u32> = answer
        .measurement_keys
        .iter()
        .map(|key| {
            keys.get(key).copied().ok_or_else(|| {
                Error::internal(format!(
                    "IQM returned counts for measurement key '{key}', which the circuit does not have"
                ))
            })
        })
        .collect::<Result<_>>()?;
    let output = circuit.output_clbits();
    let mut counts = Counts::new();
    let mut bits: BTreeMap<u32, bool> = BTreeMap::new();
    for (bitstring, &n) in &answer.counts {
        if bitstring.len() != positions.len() {
            return Err(Error::internal(format!(
                "IQM returned bitstring '{bitstring}' for {} measurement keys",
                positions.len()
            )));
        }
        bits.clear();
        for (clbit, c) in positions.iter().zip(bitstring.chars()) {
            let value = match c {
                '0' => false,
                '1' => true,
                other => {
                    return Err(Error::internal(format!(
                        "IQM returned '{other}' in bitstring '{bitstring}'"
                    )));
                }
            };
            bits.insert(*clbit, value);
        }
        let key = outcome_key(output.clone(), |b| bits.get(&b).copied().unwrap_or(false));
        *counts.entry(key).or_insert(0) += n;
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::circuit::{CircuitBuilder, Instruction};

    fn push(b: &mut CircuitBuilder, operation: Operation) {
        b.push(Instruction {
            operation,
            condition: None,
        })
        .unwrap();
    }

    fn names(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("QB{i}")).collect()
    }

    /// q[0..4], a[2], b[1]; prx on 0, cz 0-3, measure 3→a[1], 0→b[0].
    fn two_registers() -> Circuit {
        let mut b = CircuitBuilder::new();
        b.add_qreg("q", 4).unwrap();
        b.add_creg("a", 2).unwrap();
        b.add_creg("b", 1).unwrap();
        let gate = |gate, qubits| Operation::Gate { gate, qubits };
        push(&mut b, gate(Gate::Prx(1.5, -0.25), vec![0]));
        push(&mut b, gate(Gate::Cz, vec![0, 3]));
        push(&mut b, Operation::Barrier { qubits: vec![0, 3] });
        push(&mut b, Operation::Measure { qubit: 3, clbit: 1 });
        push(&mut b, Operation::Measure { qubit: 0, clbit: 2 });
        b.build()
    }

    #[test]
    fn gates_and_measurements_become_iqm_operations() {
        let iqm = to_iqm(&two_registers(), "job", &names(4)).unwrap();
        let json = serde_json::to_value(&iqm).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "name": "job",
                "instructions": [
                    {"name": "prx", "locus": ["QB1"], "args": {"angle": 1.5, "phase": -0.25}, "implementation": null},
                    {"name": "cz", "locus": ["QB1", "QB4"], "args": {}, "implementation": null},
                    {"name": "barrier", "locus": ["QB1", "QB4"], "args": {}, "implementation": null},
                    {"name": "measure", "locus": ["QB4"], "args": {"key": "a[1]"}, "implementation": null},
                    {"name": "measure", "locus": ["QB1"], "args": {"key": "b[0]"}, "implementation": null},
                ]
            })
        );
    }

    #[test]
    fn barriers_leave_out_qubits_already_measured() {
        let mut b = CircuitBuilder::new();
        b.add_qreg("q", 2).unwrap();
        b.add_creg("c", 2).unwrap();
        push(&mut b, Operation::Measure { qubit: 0, clbit: 0 });
        push(&mut b, Operation::Barrier { qubits: vec![0, 1] });
        push(&mut b, Operation::Measure { qubit: 1, clbit: 1 });
        push(&mut b, Operation::Barrier { qubits: vec![0, 1] });
        let iqm = to_iqm(&b.build(), "x", &names(2)).unwrap();
        let ops: Vec<(&str, Vec<String>)> = iqm
            .instructions
            .iter()
            .map(|op| (op.name, op.locus.clone()))
            .collect();
        assert_eq!(
            ops,
            vec![
                ("measure", vec!["QB1".to_owned()]),
                ("barrier", vec!["QB2".to_owned()]),
                ("measure", vec!["QB2".to_owned()]),
            ]
        );
    }

    #[test]
    fn what_iqm_cannot_run_is_refused() {
        let mut b = CircuitBuilder::new();
        b.add_qreg("q", 2).unwrap();
        b.add_creg("c", 2).unwrap();
        push(
            &mut b,
            Operation::Gate {
                gate: Gate::H,
                qubits: vec![0],
            },
        );
        let err = to_iqm(&b.build(), "x", &names(2)).unwrap_err();
        assert!(err.message().contains("'h'"), "{}", err.message());

        let mut b = CircuitBuilder::new();
        b.add_qreg("q", 1).unwrap();
        b.add_creg("c", 1).unwrap();
        push(&mut b, Operation::Measure { qubit: 0, clbit: 0 });
        push(
            &mut b,
            Operation::Gate {
                gate: Gate::Prx(1.0, 0.0),
                qubits: vec![0],
            },
        );
        let err = to_iqm(&b.build(), "x", &names(1)).unwrap_err();
        assert!(err.message().contains("after it was measured"));

        let mut b = CircuitBuilder::new();
        b.add_qreg("q", 1).unwrap();
        push(&mut b, Operation::Reset { qubit: 0 });
        assert!(to_iqm(&b.build(), "x", &names(1)).is_err());

        let mut b = CircuitBuilder::new();
        b.add_qreg("q", 3).unwrap();
        push(
            &mut b,
            Operation::Gate {
                gate: Gate::Cz,
                qubits: vec![1, 2],
            },
        );
        let err = to_iqm(&b.build(), "x", &names(2)).unwrap_err();
        assert!(err.message().contains("2 qubits"), "{}", err.message());
    }

    #[test]
    fn counts_come_back_keyed_over_the_output_bits() {
        let circuit = two_registers();
        // IQM's order: b[0] first, then a[1]; bit a[0] is never measured.
        let batch = vec![MeasurementCounts {
            measurement_keys: vec!["b[0]".into(), "a[1]".into()],
            counts: [
                ("10".to_owned(), 7),
                ("01".to_owned(), 3),
                ("11".to_owned(), 1),
            ]
            .into_iter()
            .collect(),
        }];
        let counts = counts_from_iqm(&circuit, &batch).unwrap();
        // key: b[0] a[1] a[0] (clbit 2 leftmost).
        let expected: Counts = [
            ("100".to_owned(), 7),
            ("010".to_owned(), 3),
            ("110".to_owned(), 1),
        ]
        .into_iter()
        .collect();
        assert_eq!(counts, expected);
    }

    #[test]
    fn counts_that_do_not_fit_the_circuit_are_an_error() {
        let circuit = two_registers();
        let unknown = vec![MeasurementCounts {
            measurement_keys: vec!["z[0]".into()],
            counts: [("1".to_owned(), 1)].into_iter().collect(),
        }];
        assert!(counts_from_iqm(&circuit, &unknown).is_err());
        let short = vec![MeasurementCounts {
            measurement_keys: vec!["b[0]".into(), "a[1]".into()],
            counts: [("1".to_owned(), 1)].into_iter().collect(),
        }];
        assert!(counts_from_iqm(&circuit, &short).is_err());
        assert!(counts_from_iqm(&circuit, &[]).is_err());
    }
}
