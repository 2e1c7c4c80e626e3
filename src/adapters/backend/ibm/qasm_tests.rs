use super::*;
use crate::domain::ErrorKind;
use crate::domain::circuit::{CircuitBuilder, Instruction};

fn op(operation: Operation) -> Instruction {
    Instruction {
        operation,
        condition: None,
    }
}

fn gate(gate: Gate, qubits: &[u32]) -> Instruction {
    op(Operation::Gate {
        gate,
        qubits: qubits.to_vec(),
    })
}

fn measure(qubit: u32, clbit: u32) -> Instruction {
    op(Operation::Measure { qubit, clbit })
}

fn circuit(qubits: u32, cregs: &[(&str, u32)], body: Vec<Instruction>) -> Circuit {
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", qubits).unwrap();
    for (name, size) in cregs {
        b.add_creg(name, *size).unwrap();
    }
    for instruction in body {
        b.push(instruction).unwrap();
    }
    b.build()
}

#[test]
fn a_heron_circuit_is_written_on_physical_qubits_with_full_precision_angles() {
    let c = circuit(
        4,
        &[("c", 2), ("flag", 1)],
        vec![
            gate(Gate::Rz(std::f64::consts::FRAC_PI_2), &[0]),
            gate(Gate::Sx, &[0]),
            gate(Gate::Rz(-0.1), &[3]),
            gate(Gate::Cz, &[0, 3]),
            gate(Gate::X, &[2]),
            gate(Gate::GPhase(0.3), &[]),
            op(Operation::Barrier {
                qubits: vec![0, 2, 3],
            }),
            measure(3, 0),
            measure(0, 1),
            measure(2, 2),
            op(Operation::Reset { qubit: 2 }),
        ],
    );
    let expected = "OPENQASM 3.0;\n\
include \"stdgates.inc\";\n\
bit[2] c;\n\
bit[1] flag;\n\
rz(1.5707963267948966) $0;\n\
sx $0;\n\
rz(-0.1) $3;\n\
cz $0, $3;\n\
x $2;\n\
barrier $0, $2, $3;\n\
c[0] = measure $3;\n\
c[1] = measure $0;\n\
flag[0] = measure $2;\n\
reset $2;\n";
    assert_eq!(write_program(&c).unwrap(), expected);
}

#[test]
fn ecr_is_defined_once_before_use_and_angles_round_trip() {
    let angle = 0.123_456_789_012_345_67_f64;
    let c = circuit(
        2,
        &[("c", 1)],
        vec![
            gate(Gate::Ecr, &[1, 0]),
            gate(Gate::Ecr, &[0, 1]),
            gate(Gate::Rz(angle), &[1]),
            gate(Gate::Rz(1e-20), &[1]),
            measure(1, 0),
        ],
    );
    let text = write_program(&c).unwrap();
    assert_eq!(text.matches("gate ecr ").count(), 1);
    assert!(text.find("gate ecr").unwrap() < text.find("ecr $1, $0;").unwrap());
    assert!(text.contains("ecr $0, $1;"));
    let written = text
        .lines()
        .find_map(|l| l.strip_prefix("rz(")?.strip_suffix(") $1;"))
        .unwrap();
    assert_eq!(written.parse::<f64>().unwrap().to_bits(), angle.to_bits());
    assert!(text.contains("rz(1e-20) $1;"), "{text}");
}

#[test]
fn conditions_become_if_statements() {
    let mut c = circuit(
        2,
        &[("m", 1), ("r", 2)],
        vec![measure(0, 0), measure(1, 1), measure(0, 2)],
    );
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 2).unwrap();
    b.add_creg("m", 1).unwrap();
    b.add_creg("r", 2).unwrap();
    for i in c.instructions() {
        b.push(i.clone()).unwrap();
    }
    b.push(Instruction {
        operation: Operation::Gate {
            gate: Gate::X,
            qubits: vec![1],
        },
        condition: Some(Condition::Bit {
            clbit: 0,
            value: true,
        }),
    })
    .unwrap();
    b.push(Instruction {
        operation: Operation::Gate {
            gate: Gate::X,
            qubits: vec![0],
        },
        condition: Some(Condition::RegisterEquals {
            first: 1,
            width: 2,
            value: 3,
        }),
    })
    .unwrap();
    c = b.build();
    let text = write_program(&c).unwrap();
    assert!(text.contains("if (m[0]) {\n  x $1;\n}\n"), "{text}");
    assert!(text.contains("if (r == 3) {\n  x $0;\n}\n"), "{text}");
}

#[test]
fn gates_outside_the_native_set_are_refused() {
    let c = circuit(2, &[("c", 1)], vec![gate(Gate::H, &[0]), measure(0, 0)]);
    let err = write_program(&c).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains("'h'"), "{}", err.message());
}

#[test]
fn register_names_are_made_plain_unique_identifiers() {
    let c = circuit(
        1,
        &[
            ("c", 1),
            ("my-reg", 1),
            ("bit", 1),
            ("1st", 1),
            ("my_reg", 1),
        ],
        vec![],
    );
    assert_eq!(
        register_names(&c),
        ["c", "my_reg", "bit_1", "c_1st", "my_reg_1"]
    );
}
