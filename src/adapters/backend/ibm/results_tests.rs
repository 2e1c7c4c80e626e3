use super::*;
use crate::domain::ErrorKind;
use crate::domain::circuit::{CircuitBuilder, Instruction, Operation};

fn two_register_circuit() -> Circuit {
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 8).unwrap();
    b.add_creg("a", 2).unwrap();
    b.add_creg("b", 3).unwrap();
    for (qubit, clbit) in [(7, 0), (2, 1), (5, 2), (0, 3), (3, 4)] {
        b.push(Instruction {
            operation: Operation::Measure { qubit, clbit },
            condition: None,
        })
        .unwrap();
    }
    b.build()
}

fn result(body: serde_json::Value) -> SamplerResult {
    serde_json::from_value(body).unwrap()
}

#[test]
fn hex_samples_are_read_bit_zero_first() {
    assert_eq!(hex_bits("0x5", 3).unwrap(), [true, false, true]);
    assert_eq!(hex_bits("0x0", 2).unwrap(), [false, false]);
    let wide = hex_bits("0x10000000000000000001", 80).unwrap();
    assert!(wide[0] && wide[76]);
    assert_eq!(wide.iter().filter(|b| **b).count(), 2);
    assert!(hex_bits("0x8", 3).is_err(), "bit 3 of a 3-bit register");
    assert!(hex_bits("0xg", 4).is_err());
    assert!(hex_bits("0x", 4).is_err());
}

#[test]
fn registers_join_in_the_circuits_order_with_the_last_leftmost() {
    let body = serde_json::json!({
        "results": [{
            "data": {
                "b": {"samples": ["0x4", "0x4", "0x1"], "num_bits": 3},
                "a": {"samples": ["0x1", "0x1", "0x2"], "num_bits": 2}
            },
            "metadata": {"circuit_metadata": {}}
        }],
        "metadata": {"version": 2}
    });
    let names = vec!["a".to_owned(), "b".to_owned()];
    let counts = counts(&result(body), &two_register_circuit(), &names).unwrap();
    assert_eq!(
        counts,
        Counts::from([("10001".to_owned(), 2), ("00110".to_owned(), 1)])
    );
}

#[test]
fn only_the_output_registers_are_needed() {
    let mut b = CircuitBuilder::new();
    b.add_qreg("q", 2).unwrap();
    b.add_creg("c", 1).unwrap();
    let circuit = b.build().with_implicit_measurement();
    let body = serde_json::json!({
        "results": [{"data": {"meas": {"samples": ["0x2", "0x3"], "num_bits": 2}}}]
    });
    let names = vec!["c".to_owned(), "meas".to_owned()];
    let counts = counts(&result(body), &circuit, &names).unwrap();
    assert_eq!(
        counts,
        Counts::from([("10".to_owned(), 1), ("11".to_owned(), 1)])
    );
}

#[test]
fn a_result_that_does_not_fit_the_circuit_is_an_internal_error() {
    let names = vec!["a".to_owned(), "b".to_owned()];
    let missing = serde_json::json!({
        "results": [{"data": {"a": {"samples": ["0x1"], "num_bits": 2}}}]
    });
    let err = counts(&result(missing), &two_register_circuit(), &names).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Internal);
    assert!(err.message().contains("'b'"), "{}", err.message());
    let uneven = serde_json::json!({
        "results": [{"data": {
            "a": {"samples": ["0x1"], "num_bits": 2},
            "b": {"samples": ["0x1", "0x0"], "num_bits": 3}
        }}]
    });
    assert!(counts(&result(uneven), &two_register_circuit(), &names).is_err());
    let wrong_width = serde_json::json!({
        "results": [{"data": {
            "a": {"samples": ["0x1"], "num_bits": 4},
            "b": {"samples": ["0x1"], "num_bits": 3}
        }}]
    });
    assert!(counts(&result(wrong_width), &two_register_circuit(), &names).is_err());
}
