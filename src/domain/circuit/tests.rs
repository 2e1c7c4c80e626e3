use super::*;

fn gate(gate: Gate, qubits: &[u32]) -> Instruction {
    Instruction {
        operation: Operation::Gate {
            gate,
            qubits: qubits.to_vec(),
        },
        condition: None,
    }
}

fn measure(qubit: u32, clbit: u32) -> Instruction {
    Instruction {
        operation: Operation::Measure { qubit, clbit },
        condition: None,
    }
}

fn two_qubits_two_bits() -> CircuitBuilder {
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 2).unwrap();
    b.add_creg("c", 2).unwrap();
    b
}

#[test]
fn registers_are_numbered_flat_in_declaration_order() {
    let mut b = CircuitBuilder::new();
    assert_eq!(b.add_qreg("a", 2).unwrap(), 0);
    assert_eq!(b.add_qreg("b", 3).unwrap(), 2);
    assert_eq!(b.add_creg("c", 1).unwrap(), 0);
    assert_eq!(b.add_creg("d", 4).unwrap(), 1);
    let c = b.build();
    assert_eq!((c.num_qubits(), c.num_clbits()), (5, 5));
    assert_eq!(c.cregs()[1].range(), 1..5);
}

#[test]
fn builder_refuses_bad_indices_and_repeats() {
    let mut b = two_qubits_two_bits();
    let err = b.push(gate(Gate::Cx, &[0, 2])).unwrap_err();
    assert!(
        err.message().contains("qubit index 2 is out of range"),
        "{err}"
    );
    let err = b.push(gate(Gate::Cx, &[1, 1])).unwrap_err();
    assert!(err.message().contains("used twice"), "{err}");
    let err = b.push(gate(Gate::H, &[0, 1])).unwrap_err();
    assert!(err.message().contains("acts on 1 qubit"), "{err}");
    let err = b.push(measure(0, 2)).unwrap_err();
    assert!(err.message().contains("classical bit index 2"), "{err}");
    let err = b.push(gate(Gate::Rx(f64::NAN), &[0])).unwrap_err();
    assert!(err.message().contains("finite"), "{err}");
    assert!(
        b.add_qreg("q", 1)
            .unwrap_err()
            .message()
            .contains("declared twice")
    );
    assert!(b.add_creg("z", 0).unwrap_err().message().contains("size 0"));
}

#[test]
fn conditions_are_checked_against_their_register() {
    let mut b = two_qubits_two_bits();
    let mut i = gate(Gate::X, &[0]);
    i.condition = Some(Condition::RegisterEquals {
        first: 0,
        width: 2,
        value: 4,
    });
    assert!(
        b.push(i.clone())
            .unwrap_err()
            .message()
            .contains("does not fit")
    );
    i.condition = Some(Condition::RegisterEquals {
        first: 0,
        width: 2,
        value: 3,
    });
    b.push(i).unwrap();
}

#[test]
fn condition_reads_register_little_endian() {
    let cond = Condition::RegisterEquals {
        first: 1,
        width: 3,
        value: 0b101,
    };
    // bits 1 and 3 set
    assert!(cond.holds(|i| i == 1 || i == 3));
    assert!(!cond.holds(|i| i == 1));
    assert!(
        Condition::Bit {
            clbit: 4,
            value: false
        }
        .holds(|_| false)
    );
}

#[test]
fn implicit_measurement_measures_every_qubit_into_its_own_output() {
    let mut b = two_qubits_two_bits();
    b.push(gate(Gate::H, &[0])).unwrap();
    let c = b.build().with_implicit_measurement();
    assert_eq!(c.num_clbits(), 4);
    assert_eq!(c.output_clbits(), 2..4);
    assert_eq!(
        c.instructions().last().unwrap().operation,
        Operation::Measure { qubit: 1, clbit: 3 }
    );
}

#[test]
fn explicit_measurement_is_left_alone() {
    let mut b = two_qubits_two_bits();
    b.push(measure(1, 0)).unwrap();
    let before = b.build();
    assert_eq!(before.clone().with_implicit_measurement(), before);
    assert_eq!(before.output_clbits(), 0..2);
}

#[test]
fn terminal_measurement_detection() {
    let mut b = two_qubits_two_bits();
    b.push(gate(Gate::H, &[0])).unwrap();
    b.push(measure(0, 0)).unwrap();
    b.push(gate(Gate::X, &[1])).unwrap();
    b.push(measure(1, 1)).unwrap();
    assert!(b.build().measurements_are_terminal());

    let mut b = two_qubits_two_bits();
    b.push(measure(0, 0)).unwrap();
    b.push(gate(Gate::Cx, &[0, 1])).unwrap();
    assert!(!b.build().measurements_are_terminal());
}

#[test]
fn a_condition_near_the_top_of_the_index_range_is_refused_not_overflowed() {
    let mut b = two_qubits_two_bits();
    let mut i = gate(Gate::X, &[0]);
    i.condition = Some(Condition::RegisterEquals {
        first: u32::MAX,
        width: 2,
        value: 0,
    });
    assert!(b.push(i).unwrap_err().message().contains("runs past"));
}

#[test]
fn a_barrier_over_many_qubits_finds_a_repeat() {
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 100).unwrap();
    let mut qubits: Vec<u32> = (0..100).collect();
    let barrier = |qubits: Vec<u32>| Instruction {
        operation: Operation::Barrier { qubits },
        condition: None,
    };
    b.push(barrier(qubits.clone())).unwrap();
    qubits.push(42);
    assert!(
        b.push(barrier(qubits))
            .unwrap_err()
            .message()
            .contains("qubit 42 is used twice")
    );
}
