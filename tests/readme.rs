//! The circuits the README shows must be accepted as shown.

use arvak_grpc::adapters::circuit::StandardFrontend;
use arvak_grpc::domain::{CircuitFormat, CircuitSource};
use arvak_grpc::ports::CircuitFrontend;

const README: &str = include_str!("../README.md");

/// The contents of every fenced block of `language` in the README.
fn blocks(language: &str) -> Vec<String> {
    let fence = format!("```{language}\n");
    README
        .split(&fence)
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn the_ir_json_example_parses() {
    let examples = blocks("json");
    assert!(!examples.is_empty(), "the README shows an IR JSON example");
    for text in examples {
        let source = CircuitSource {
            format: CircuitFormat::ArvakIrJson,
            text: text.into(),
        };
        let circuit = StandardFrontend
            .parse(&source)
            .unwrap_or_else(|e| panic!("README example: {e}"));
        assert_eq!((circuit.num_qubits(), circuit.num_clbits()), (2, 2));
    }
}

#[test]
fn the_grpcurl_circuit_parses() {
    let quoted = README
        .split("\"qasm3\": \"")
        .nth(1)
        .expect("the grpcurl session submits OpenQASM");
    let text = quoted.split('"').next().unwrap().to_owned();
    let source = CircuitSource {
        format: CircuitFormat::OpenQasm,
        text: text.into(),
    };
    let circuit = StandardFrontend.parse(&source).unwrap();
    assert_eq!(circuit.num_qubits(), 2);
}
