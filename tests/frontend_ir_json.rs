//! Arvak IR JSON: the documented examples, precise errors, and round trips
//! OpenQASM → IR JSON → circuit that give back an equal circuit.

use arvak_grpc::adapters::circuit::{StandardFrontend, to_ir_json};
use arvak_grpc::domain::circuit::{
    Circuit, CircuitBuilder, Condition, Gate, Instruction, Operation,
};
use arvak_grpc::domain::{CircuitFormat, CircuitSource, ErrorKind, Result};
use arvak_grpc::ports::CircuitFrontend;
use proptest::prelude::*;

fn parse(format: CircuitFormat, text: &str) -> Result<Circuit> {
    StandardFrontend.parse(&CircuitSource {
        format,
        text: text.into(),
    })
}

fn ir(text: &str) -> Circuit {
    parse(CircuitFormat::ArvakIrJson, text).unwrap_or_else(|e| panic!("{e}\n---\n{text}"))
}

fn ir_err(text: &str) -> String {
    let e = parse(CircuitFormat::ArvakIrJson, text).expect_err(text);
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    e.message().to_owned()
}

fn qasm(text: &str) -> Circuit {
    parse(CircuitFormat::OpenQasm, text).unwrap_or_else(|e| panic!("{e}\n---\n{text}"))
}

fn schema() -> serde_json::Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/proto/arvak-ir.schema.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn schema_examples_parse_as_documented() {
    let examples = schema()["examples"].as_array().unwrap().clone();
    assert_eq!(examples.len(), 2);
    let c = ir(&examples[0].to_string());
    assert_eq!((c.num_qubits(), c.num_clbits()), (2, 2));
    let i = c.instructions();
    assert_eq!(i.len(), 9);
    assert_eq!(
        i[2].operation,
        Operation::Gate {
            gate: Gate::Rz(0.5),
            qubits: vec![1]
        }
    );
    assert_eq!(i[4].operation, Operation::Measure { qubit: 0, clbit: 0 });
    assert_eq!(
        i[5].condition,
        Some(Condition::Bit {
            clbit: 0,
            value: true
        })
    );
    assert_eq!(i[7].operation, Operation::Reset { qubit: 0 });
    assert_eq!(
        i[8].condition,
        Some(Condition::RegisterEquals {
            first: 0,
            width: 2,
            value: 3
        })
    );

    let c = ir(&examples[1].to_string());
    assert_eq!(c.qregs()[0].name, "q", "absent qregs mean one register q");
    assert!(c.cregs().is_empty());
}

#[test]
fn the_example_in_the_docs_parses() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/circuit-formats.md"
    ))
    .unwrap();
    let json = doc
        .split("```json")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("a json block");
    let c = ir(json);
    assert!(c.has_measurement());
}

#[test]
fn writing_a_bell_circuit() {
    let c =
        qasm("qubit[2] q; bit[2] c; h q[0]; cx q[0], q[1]; if (c[0]) rz(0.5) q[1]; c = measure q;");
    assert_eq!(
        to_ir_json(&c),
        r#"{"version":1,"num_qubits":2,"num_clbits":2,"qregs":[{"name":"q","size":2}],"cregs":[{"name":"c","size":2}],"instructions":[{"gate":"h","qubits":[0]},{"gate":"cx","qubits":[0,1]},{"gate":"rz","qubits":[1],"params":[0.5],"condition":{"clbit":0,"value":true}},{"gate":"measure","qubits":[0],"clbits":[0]},{"gate":"measure","qubits":[1],"clbits":[1]}]}"#
    );
}

const PROGRAMS: &[&str] = &[
    "OPENQASM 3.0;\ninclude \"stdgates.inc\";\ngate rzz(p0) a, b { cx a, b; rz(p0) b; cx a, b; }\nbit[2] c;\nqubit[3] q;\nh q;\nrzz(1.4900000000000002) q[0], q[1];\nU(pi/7, -3*pi/4, 268.082573106329) q[2];\ncu(0.1, 0.2, 0.3, 1.e-05) q[2], q[0];\ngphase(0.25);\nbarrier q[0], q[2];\nc[0] = measure q[0];\nreset q[0];\nif (c == 1) { x q[1]; y q[2]; }\nif (!c[0]) sx q[0];\nc[1] = measure q[1];",
    "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg a[2];\nqreg b[3];\ncreg x[1];\ncreg y[4];\nc4x a[0], a[1], b[0], b[1], b[2];\nrxx(0.3) a[0], b[2];\nmeasure b[0] -> y[3];\nif(y==8) u2(0.1, 0.2) a[1];\nmeasure a -> y[0];",
    "qubit q;\nbit c;\nc = measure q;\nif (c) x q;",
    "// nothing but registers\nqubit[4] q;",
    "",
];

#[test]
fn openqasm_to_ir_json_and_back_gives_an_equal_circuit() {
    for text in PROGRAMS {
        let original = match parse(CircuitFormat::OpenQasm, text) {
            Ok(c) => c,
            // The second program measures a register into one bit on purpose.
            Err(e) => {
                assert!(e.message().contains("register size mismatch"), "{e}");
                qasm(&text.replace("measure a -> y[0];", "measure a[1] -> y[0];"))
            }
        };
        let json = to_ir_json(&original);
        assert_eq!(ir(&json), original, "\n{text}\n---\n{json}");
        // and writing again gives the same text
        assert_eq!(to_ir_json(&ir(&json)), json);
    }
}

#[test]
fn errors_name_the_instruction_and_field() {
    let doc = |instructions: &str| {
        format!(
            r#"{{"version":1,"num_qubits":2,"num_clbits":1,"instructions":[{{"gate":"h","qubits":[0]}},{instructions}]}}"#
        )
    };
    let cases = [
        (
            r#"{"gate":"frob","qubits":[0]}"#,
            "Arvak IR JSON, instructions[1].gate: unknown gate 'frob'",
        ),
        (
            r#"{"gate":"rz","qubits":[0]}"#,
            "Arvak IR JSON, instructions[1].params: gate 'rz' takes 1 parameter(s), got 0",
        ),
        (
            r#"{"gate":"cx","qubits":[0]}"#,
            "Arvak IR JSON, instructions[1].qubits: gate 'cx' acts on 2 qubit(s), got 1",
        ),
        (
            r#"{"gate":"x","qubits":[2]}"#,
            "Arvak IR JSON, instructions[1].qubits: qubit 2 is out of range; the circuit has 2 qubit(s)",
        ),
        (
            r#"{"gate":"cx","qubits":[1,1]}"#,
            "Arvak IR JSON, instructions[1].qubits: qubit 1 is used twice",
        ),
        (
            r#"{"gate":"measure","qubits":[0],"clbits":[1]}"#,
            "Arvak IR JSON, instructions[1].clbits: classical bit 1 is out of range; the circuit has 1 classical bit(s)",
        ),
        (
            r#"{"gate":"measure","qubits":[0,1],"clbits":[0]}"#,
            "Arvak IR JSON, instructions[1].clbits: measure needs one classical bit per qubit, got 2 qubit(s) and 1 classical bit(s)",
        ),
        (
            r#"{"gate":"x","qubits":[0],"clbits":[0]}"#,
            "Arvak IR JSON, instructions[1].clbits: 'x' takes no clbits",
        ),
        (
            r#"{"gate":"x","qubits":[0],"condition":{"clbits":[0],"value":2}}"#,
            "Arvak IR JSON, instructions[1].condition: condition value 2 does not fit in 1 classical bit(s)",
        ),
        (
            r#"{"gate":"x","qubits":[0],"condition":{"clbit":0,"value":"yes"}}"#,
            "Arvak IR JSON, instructions[1].condition: a single bit's value is true, false, 0 or 1, not \"yes\"",
        ),
        (
            r#"{"gate":"x","qubits":[0],"condition":{"value":1}}"#,
            "Arvak IR JSON, instructions[1].condition: give either 'clbit' or 'clbits'",
        ),
        (
            r#"{"gate":"x","qubits":[0],"condition":{"clbits":[1,0],"value":1}}"#,
            "Arvak IR JSON, instructions[1].condition: 'clbits' must be consecutive and ascending, as in [2, 3, 4]",
        ),
    ];
    for (instruction, want) in cases {
        assert_eq!(ir_err(&doc(instruction)), want);
    }
    let e = ir_err(&doc(r#"{"gate":"x","qubits":[0],"qbits":[1]}"#));
    assert!(
        e.starts_with("Arvak IR JSON, instructions[1]: unknown field `qbits`, expected one of"),
        "{e}"
    );
}

#[test]
fn document_level_errors() {
    let e = ir_err(r#"{"version":1,"num_qubits":1,"instructions":[],"extra":true}"#);
    assert!(
        e.starts_with("Arvak IR JSON, document: unknown field `extra`"),
        "{e}"
    );
    assert!(e.contains("line 1 column"), "{e}");
    assert_eq!(
        ir_err(r#"{"version":2,"num_qubits":1,"instructions":[]}"#),
        "Arvak IR JSON, version: only version 1 is known, got 2"
    );
    assert_eq!(
        ir_err(r#"{"version":1,"num_qubits":3,"qregs":[{"name":"a","size":2}],"instructions":[]}"#),
        "Arvak IR JSON, qregs: register sizes add up to 2, but num_qubits is 3"
    );
    assert_eq!(
        ir_err(
            r#"{"version":1,"num_qubits":2,"qregs":[{"name":"a","size":1},{"name":"a","size":1}],"instructions":[]}"#
        ),
        "Arvak IR JSON, qregs[1]: register 'a' is declared twice"
    );
    assert!(
        ir_err("{not json")
            .starts_with("Arvak IR JSON, document: key must be a string at line 1 column 2")
    );
    assert!(ir_err(r#"{"version":1,"num_qubits":-1,"instructions":[]}"#).contains("invalid value"));
}

fn gate_strategy() -> impl Strategy<Value = Gate> {
    let angle =
        proptest::num::f64::NORMAL | proptest::num::f64::ZERO | proptest::num::f64::SUBNORMAL;
    (
        0usize..Gate::NAMES.len(),
        proptest::collection::vec(angle, 4),
    )
        .prop_map(|(i, a)| {
            let name = Gate::NAMES[i];
            (0..=4)
                .find_map(|n| Gate::from_name(name, &a[..n]))
                .unwrap()
        })
}

proptest! {
    /// Any circuit, with any finite parameters, survives the trip bit for bit.
    #[test]
    fn random_circuits_round_trip(gates in proptest::collection::vec((gate_strategy(), any::<u8>(), proptest::option::of((any::<bool>(), any::<bool>()))), 0..40)) {
        let mut b = CircuitBuilder::new();
        b.add_qreg("q", 3).unwrap();
        b.add_qreg("r", 2).unwrap();
        b.add_creg("c", 2).unwrap();
        for (gate, seed, cond) in gates {
            let n = gate.num_qubits() as u32;
            let qubits = (0..n).map(|k| (u32::from(seed) + k) % 5).collect();
            let condition = cond.map(|(register, value)| if register {
                Condition::RegisterEquals { first: 0, width: 2, value: u64::from(value) * 3 }
            } else {
                Condition::Bit { clbit: 1, value }
            });
            b.push(Instruction { operation: Operation::Gate { gate, qubits }, condition }).unwrap();
            b.push(Instruction { operation: Operation::Measure { qubit: u32::from(seed) % 5, clbit: 1 }, condition: None }).unwrap();
        }
        let circuit = b.build();
        let back = ir(&to_ir_json(&circuit));
        prop_assert_eq!(back, circuit);
    }
}
