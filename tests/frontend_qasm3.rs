//! OpenQASM 3 programs as clients send them, and the circuits they must become.

use std::f64::consts::PI;

use arvak_grpc::adapters::circuit::StandardFrontend;
use arvak_grpc::domain::circuit::{Circuit, Condition, Gate, Operation};
use arvak_grpc::domain::{CircuitFormat, CircuitSource};
use arvak_grpc::ports::CircuitFrontend;

fn qasm(text: &str) -> Circuit {
    let source = CircuitSource {
        format: CircuitFormat::OpenQasm,
        text: text.into(),
    };
    StandardFrontend
        .parse(&source)
        .unwrap_or_else(|e| panic!("{e}\n---\n{text}"))
}

fn ops(c: &Circuit) -> Vec<Operation> {
    c.instructions()
        .iter()
        .map(|i| i.operation.clone())
        .collect()
}

fn g(gate: Gate, qubits: &[u32]) -> Operation {
    Operation::Gate {
        gate,
        qubits: qubits.to_vec(),
    }
}

fn m(qubit: u32, clbit: u32) -> Operation {
    Operation::Measure { qubit, clbit }
}

#[test]
fn bell_state_with_stdgates() {
    let c = qasm(
        "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[2] q;\nbit[2] c;\nh q[0];\ncx q[0], q[1];\nc[0] = measure q[0];\nc[1] = measure q[1];\n",
    );
    assert_eq!((c.num_qubits(), c.num_clbits()), (2, 2));
    assert_eq!(
        ops(&c),
        vec![g(Gate::H, &[0]), g(Gate::Cx, &[0, 1]), m(0, 0), m(1, 1)]
    );
    assert!(c.instructions().iter().all(|i| i.condition.is_none()));
}

#[test]
fn every_stdgates_name_and_compatibility_name_is_known() {
    let calls = [
        ("p(0.1) q[0];", Gate::P(0.1)),
        ("x q[0];", Gate::X),
        ("y q[0];", Gate::Y),
        ("z q[0];", Gate::Z),
        ("h q[0];", Gate::H),
        ("s q[0];", Gate::S),
        ("sdg q[0];", Gate::Sdg),
        ("t q[0];", Gate::T),
        ("tdg q[0];", Gate::Tdg),
        ("sx q[0];", Gate::Sx),
        ("rx(0.1) q[0];", Gate::Rx(0.1)),
        ("ry(0.1) q[0];", Gate::Ry(0.1)),
        ("rz(0.1) q[0];", Gate::Rz(0.1)),
        ("cx q[0], q[1];", Gate::Cx),
        ("cy q[0], q[1];", Gate::Cy),
        ("cz q[0], q[1];", Gate::Cz),
        ("cp(0.1) q[0], q[1];", Gate::Cp(0.1)),
        ("crx(0.1) q[0], q[1];", Gate::Crx(0.1)),
        ("cry(0.1) q[0], q[1];", Gate::Cry(0.1)),
        ("crz(0.1) q[0], q[1];", Gate::Crz(0.1)),
        ("ch q[0], q[1];", Gate::Ch),
        ("swap q[0], q[1];", Gate::Swap),
        ("ccx q[0], q[1], q[2];", Gate::Ccx),
        ("cswap q[0], q[1], q[2];", Gate::Cswap),
        (
            "cu(0.1, 0.2, 0.3, 0.4) q[0], q[1];",
            Gate::Cu(0.1, 0.2, 0.3, 0.4),
        ),
        ("CX q[0], q[1];", Gate::Cx),
        ("phase(0.1) q[0];", Gate::P(0.1)),
        ("cphase(0.1) q[0], q[1];", Gate::Cp(0.1)),
        ("id q[0];", Gate::Id),
        ("u1(0.1) q[0];", Gate::P(0.1)),
        ("u2(0.1, 0.2) q[0];", Gate::U(PI / 2.0, 0.1, 0.2)),
        ("u3(0.1, 0.2, 0.3) q[0];", Gate::U(0.1, 0.2, 0.3)),
        ("U(0.1, 0.2, 0.3) q[0];", Gate::U(0.1, 0.2, 0.3)),
        ("gphase(0.1);", Gate::GPhase(0.1)),
    ];
    for include in ["include \"stdgates.inc\";\n", ""] {
        let body: String = calls.iter().map(|(text, _)| format!("{text}\n")).collect();
        let c = qasm(&format!("OPENQASM 3;\n{include}qubit[3] q;\n{body}"));
        let got: Vec<Gate> = ops(&c)
            .into_iter()
            .map(|op| match op {
                Operation::Gate { gate, .. } => gate,
                other => panic!("{other:?}"),
            })
            .collect();
        let want: Vec<Gate> = calls.iter().map(|(_, gate)| *gate).collect();
        assert_eq!(got, want, "include: {include:?}");
    }
}

#[test]
fn version_line_is_optional_and_all_register_forms_number_flat() {
    let c = qasm(
        "qubit a;\nqreg b[2];\nqubit[3] d;\nbit x;\ncreg y[2];\nbit[2] z;\nx a;\nx b[1];\nx d[2];\nz[1] = measure d[0];\nmeasure b[0] -> y[1];",
    );
    assert_eq!((c.num_qubits(), c.num_clbits()), (6, 5));
    let names: Vec<&str> = c.qregs().iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "d"]);
    assert_eq!(
        ops(&c),
        vec![
            g(Gate::X, &[0]),
            g(Gate::X, &[2]),
            g(Gate::X, &[5]),
            m(3, 4),
            m(1, 2)
        ]
    );
}

#[test]
fn broadcasting_over_whole_registers() {
    let c = qasm(
        "OPENQASM 3;\nqubit[2] q;\nqubit[2] r;\nbit[2] c;\nh q;\ncx q, r;\ncx q[0], r;\nc = measure q;\nmeasure r -> c;\nreset q;\nbarrier;\nbarrier q[1], r;\n",
    );
    assert_eq!(
        ops(&c),
        vec![
            g(Gate::H, &[0]),
            g(Gate::H, &[1]),
            g(Gate::Cx, &[0, 2]),
            g(Gate::Cx, &[1, 3]),
            g(Gate::Cx, &[0, 2]),
            g(Gate::Cx, &[0, 3]),
            m(0, 0),
            m(1, 1),
            m(2, 0),
            m(3, 1),
            Operation::Reset { qubit: 0 },
            Operation::Reset { qubit: 1 },
            Operation::Barrier {
                qubits: vec![0, 1, 2, 3]
            },
            Operation::Barrier {
                qubits: vec![1, 2, 3]
            },
        ]
    );
}

#[test]
fn single_bit_registers_act_as_bits() {
    let c = qasm("qubit a;\nqubit[3] r;\nbit b;\ncx a, r;\nb = measure r[2];\nmeasure a -> b;");
    assert_eq!(
        ops(&c),
        vec![
            g(Gate::Cx, &[0, 1]),
            g(Gate::Cx, &[0, 2]),
            g(Gate::Cx, &[0, 3]),
            m(3, 0),
            m(0, 0)
        ]
    );
}

/// Qiskit writes physical qubits for a circuit with a layout.
#[test]
fn physical_qubits() {
    let c = qasm(
        "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nbit[2] c;\nrz(pi/2) $0;\nsx $0;\ncx $0, $3;\nbarrier $0, $3;\nc[0] = measure $0;\nif (c[0]) x $3;\nc[1] = measure $3;",
    );
    assert_eq!(c.num_qubits(), 4);
    assert_eq!(c.qregs()[0].name, "$");
    assert_eq!(ops(&c)[2], g(Gate::Cx, &[0, 3]));
    assert_eq!(ops(&c)[6], m(3, 1));
}

#[test]
fn windows_line_ends_and_a_byte_order_mark() {
    let c = qasm("\u{feff}OPENQASM 3.0;\r\nqubit[2] q;\r\nh q[0];\r\ncx q[0], q[1];\r\n");
    assert_eq!(ops(&c), vec![g(Gate::H, &[0]), g(Gate::Cx, &[0, 1])]);
    let source = CircuitSource {
        format: CircuitFormat::OpenQasm,
        text: "\u{feff}qubit q;\r\n  foo q;".into(),
    };
    let e = StandardFrontend.parse(&source).unwrap_err();
    assert_eq!(e.message(), "line 2, column 3: unknown gate 'foo'");
}

/// The composition root builds it with `Default` and shares it as a port.
fn shared<T: CircuitFrontend + Default + Clone + 'static>() -> std::sync::Arc<dyn CircuitFrontend> {
    let frontend = T::default();
    std::sync::Arc::new(frontend.clone())
}

#[test]
fn the_frontend_serves_as_a_shared_port() {
    let port = shared::<StandardFrontend>();
    let source = CircuitSource {
        format: CircuitFormat::ArvakIrJson,
        text: r#"{"version":1,"num_qubits":1,"instructions":[{"gate":"x","qubits":[0]}]}"#.into(),
    };
    assert_eq!(port.parse(&source).unwrap().gate_count(), 1);
}

#[test]
fn comments_and_gates_after_measurement() {
    let c = qasm(
        "// line comment\nOPENQASM 3; /* block\n comment */ qubit[1] q; bit[2] c;\nc[0] = measure q[0]; // mid\nx q[0];\nc[1] = measure q[0];",
    );
    assert_eq!(ops(&c), vec![m(0, 0), g(Gate::X, &[0]), m(0, 1)]);
    assert!(!c.measurements_are_terminal());
}

#[test]
fn conditions_on_registers_and_bits_with_blocks() {
    let c = qasm(
        "OPENQASM 3;\nqubit[2] q;\nbit[2] c;\nbit d;\nif (c == 2) x q[0];\nif (c[1]) { x q[0]; h q; }\nif (c[0] == 1) z q[1];\nif (c[0] == 0) z q[1];\nif (!c[1]) y q[0];\nif (d) x q[1];\nif (c[1] != 1) x q[1];\n",
    );
    let conds: Vec<Option<Condition>> = c.instructions().iter().map(|i| i.condition).collect();
    let reg = Condition::RegisterEquals {
        first: 0,
        width: 2,
        value: 2,
    };
    let bit = |clbit, value| Some(Condition::Bit { clbit, value });
    assert_eq!(
        conds,
        vec![
            Some(reg),
            bit(1, true),
            bit(1, true),
            bit(1, true),
            bit(0, true),
            bit(0, false),
            bit(1, false),
            bit(2, true),
            bit(1, false)
        ]
    );
    assert_eq!(c.instructions().len(), 9);
    assert_eq!(c.instructions()[3].operation, g(Gate::H, &[1]));
}

/// Qiskit writes `if_else` on a bit as `if (c[0]) { ... } else { ... }`.
#[test]
fn else_on_a_single_bit() {
    let c = qasm(
        "qubit[2] q;\nbit[2] c;\nbit b;\nif (c[1]) { x q[0]; } else { y q[0]; z q[1]; }\nif (!c[0]) h q[0]; else h q[1];\nif (b == 1) x q[0]; else x q[1];",
    );
    let got: Vec<(Operation, Option<Condition>)> = c
        .instructions()
        .iter()
        .map(|i| (i.operation.clone(), i.condition))
        .collect();
    let bit = |clbit, value| Some(Condition::Bit { clbit, value });
    assert_eq!(
        got,
        vec![
            (g(Gate::X, &[0]), bit(1, true)),
            (g(Gate::Y, &[0]), bit(1, false)),
            (g(Gate::Z, &[1]), bit(1, false)),
            (g(Gate::H, &[0]), bit(0, false)),
            (g(Gate::H, &[1]), bit(0, true)),
            (
                g(Gate::X, &[0]),
                Some(Condition::RegisterEquals {
                    first: 2,
                    width: 1,
                    value: 1
                })
            ),
            (g(Gate::X, &[1]), bit(2, false)),
        ]
    );
}

#[test]
fn gate_definitions_with_parameters_calling_earlier_ones() {
    let c = qasm(
        "OPENQASM 3;\ninclude \"stdgates.inc\";\ngate twist(a, b) x, y { rz(a / 2) x; cx x, y; ry(-b) y; }\ngate outer(t) p, q { twist(t, 2 * t) q, p; h p; }\nqubit[2] q;\nouter(pi) q[0], q[1];\n",
    );
    assert_eq!(
        ops(&c),
        vec![
            g(Gate::Rz(PI / 2.0), &[1]),
            g(Gate::Cx, &[1, 0]),
            g(Gate::Ry(-2.0 * PI), &[0]),
            g(Gate::H, &[0]),
        ]
    );
}

#[test]
fn definitions_broadcast_and_take_conditions() {
    let c = qasm(
        "qubit[2] q; qubit[2] r; bit[1] c;\ngate pair a, b { h a; cx a, b; }\nif (c == 1) pair q, r;",
    );
    assert_eq!(c.instructions().len(), 4);
    assert_eq!(c.instructions()[3].operation, g(Gate::Cx, &[1, 3]));
    assert!(c.instructions().iter().all(|i| i.condition
        == Some(Condition::RegisterEquals {
            first: 0,
            width: 1,
            value: 1
        })));
}

#[test]
fn a_definition_may_shadow_a_standard_gate() {
    let c = qasm(
        "OPENQASM 3.0;\ninclude \"stdgates.inc\";\ngate cx a, b { CX a, b; }\ngate cu1(p0) a, b { p(p0/2) a; cx a, b; p(-p0/2) b; cx a, b; p(p0/2) b; }\nqubit[2] q;\ncu1(0.5) q[0], q[1];\ncx q[1], q[0];",
    );
    assert_eq!(
        ops(&c),
        vec![
            g(Gate::P(0.25), &[0]),
            g(Gate::Cx, &[0, 1]),
            g(Gate::P(-0.25), &[1]),
            g(Gate::Cx, &[0, 1]),
            g(Gate::P(0.25), &[1]),
            g(Gate::Cx, &[1, 0]),
        ]
    );
}

#[test]
fn inverse_modifier_reverses_and_inverts() {
    let c = qasm(
        "qubit[2] q;\ngate g(a) x, y { s x; rz(a) y; cx x, y; }\ninv @ g(0.5) q[0], q[1];\ninv @ u3(0.1, 0.2, 0.3) q[0];\ninv @ inv @ t q[1];",
    );
    assert_eq!(
        ops(&c),
        vec![
            g(Gate::Cx, &[0, 1]),
            g(Gate::Rz(-0.5), &[1]),
            g(Gate::Sdg, &[0]),
            g(Gate::U(-0.1, -0.3, -0.2), &[0]),
            g(Gate::T, &[1]),
        ]
    );
}

#[test]
fn ctrl_modifier_maps_to_standard_controlled_gates() {
    let c = qasm(
        "qubit[3] q;\nctrl @ x q[0], q[1];\nctrl(2) @ x q[0], q[1], q[2];\nctrl @ ctrl @ x q[2], q[1], q[0];\nctrl @ cx q[1], q[0], q[2];\nctrl @ rz(0.5) q[1], q[2];\ninv @ ctrl @ p(0.5) q[1], q[2];\nctrl @ U(0.1, 0.2, 0.3) q[0], q[1];\nctrl @ gphase(0.7) q[2];\nctrl @ swap q[0], q[1], q[2];\ngate c2 a, b { ctrl @ h a, b; }\nc2 q[2], q[0];",
    );
    assert_eq!(
        ops(&c),
        vec![
            g(Gate::Cx, &[0, 1]),
            g(Gate::Ccx, &[0, 1, 2]),
            g(Gate::Ccx, &[2, 1, 0]),
            g(Gate::Ccx, &[1, 0, 2]),
            g(Gate::Crz(0.5), &[1, 2]),
            g(Gate::Cp(-0.5), &[1, 2]),
            g(Gate::Cu(0.1, 0.2, 0.3, 0.0), &[0, 1]),
            g(Gate::P(0.7), &[2]),
            g(Gate::Cswap, &[0, 1, 2]),
            g(Gate::Ch, &[2, 0]),
        ]
    );
}

#[test]
fn parameter_expressions() {
    let c = qasm(
        "qubit q;\nrz(pi/2) q;\nrz(-π) q;\nrz(2*(1+0.5)^2) q;\nrz(2**3) q;\nrz(sin(pi/2) + cos(0) + tan(0) + exp(0) + ln(1) + sqrt(4)) q;\nrz(arcsin(1) - arccos(1) + arctan(0)) q;\nrz(1.e-05) q;\nrz(.5) q;\nrz(1.4900000000000002) q;\nrz(-(-1)) q;",
    );
    let got: Vec<f64> = ops(&c)
        .into_iter()
        .map(|op| match op {
            Operation::Gate {
                gate: Gate::Rz(a), ..
            } => a,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        got,
        vec![
            PI / 2.0,
            -PI,
            4.5,
            8.0,
            5.0,
            PI / 2.0,
            1e-5,
            0.5,
            1.4900000000000002,
            1.0
        ]
    );
}

/// What Qiskit 2.x's `qasm3.dumps` writes: definitions first, then `bit`
/// before `qubit`, built-in `U`, 17-digit numbers, `_gate_p_0` parameters.
const QISKIT_EXPORT: &str = r#"OPENQASM 3.0;
include "stdgates.inc";
gate sxdg _gate_q_0 {
  s _gate_q_0;
  h _gate_q_0;
  s _gate_q_0;
}
gate rzz(p0) _gate_q_0, _gate_q_1 {
  cx _gate_q_0, _gate_q_1;
  rz(p0) _gate_q_1;
  cx _gate_q_0, _gate_q_1;
}
gate r(p0, p1) _gate_q_0 {
  U(p0, -pi/2 + p1, pi/2 - p1) _gate_q_0;
}
gate cu1(_gate_p_0) _gate_q_0, _gate_q_1 {
  p((0.5)*_gate_p_0) _gate_q_0;
  cx _gate_q_0, _gate_q_1;
  p((-0.5)*_gate_p_0) _gate_q_1;
  cx _gate_q_0, _gate_q_1;
  p((0.5)*_gate_p_0) _gate_q_1;
}
gate xx_plus_yy(p0, p1) _gate_q_0, _gate_q_1 {
  rz(p1) _gate_q_0;
  sdg _gate_q_1;
  sx _gate_q_1;
  s _gate_q_1;
  s _gate_q_0;
  cx _gate_q_1, _gate_q_0;
  ry((-0.5)*p0) _gate_q_1;
  ry((-0.5)*p0) _gate_q_0;
  cx _gate_q_1, _gate_q_0;
  sdg _gate_q_0;
  sdg _gate_q_1;
  sxdg _gate_q_1;
  s _gate_q_1;
  rz(-p1) _gate_q_0;
}
gate ecr _gate_q_0, _gate_q_1 {
  s _gate_q_0;
  sx _gate_q_1;
  cx _gate_q_0, _gate_q_1;
  x _gate_q_0;
}
bit[2] c;
qubit[3] q;
h q[0];
sxdg q[1];
rzz(1.4900000000000002) q[0], q[1];
r(pi/7, 3*pi/4) q[2];
cu1(-3*pi/4) q[2], q[0];
xx_plus_yy(268.082573106329, 1.e-05) q[1], q[2];
ecr q[0], q[1];
U(2*pi, 0, pi) q[2];
cu(0.1, 0.2, 0.3, 0.4) q[0], q[1];
barrier q[0], q[1], q[2];
c[0] = measure q[0];
reset q[0];
sx q[0];
c[1] = measure q[1];
"#;

#[test]
fn qiskit_exporter_program() {
    let c = qasm(QISKIT_EXPORT);
    assert_eq!((c.num_qubits(), c.num_clbits()), (3, 2));
    assert_eq!(c.cregs()[0].name, "c");
    let o = ops(&c);
    assert_eq!(o[0], g(Gate::H, &[0]));
    assert_eq!(
        &o[1..4],
        &[g(Gate::S, &[1]), g(Gate::H, &[1]), g(Gate::S, &[1])]
    );
    assert_eq!(o[5], g(Gate::Rz(1.4900000000000002), &[1]));
    assert_eq!(
        o[7],
        g(
            Gate::U(
                PI / 7.0,
                -PI / 2.0 + 3.0 * PI / 4.0,
                PI / 2.0 - 3.0 * PI / 4.0
            ),
            &[2]
        )
    );
    assert_eq!(o[8], g(Gate::P(0.5 * (-3.0 * PI / 4.0)), &[2]));
    assert_eq!(o[10], g(Gate::P(-0.5 * (-3.0 * PI / 4.0)), &[0]));
    // xx_plus_yy: 14 gates, its sxdg expands to 3
    assert_eq!(o[13], g(Gate::Rz(1e-5), &[1]));
    assert_eq!(o[19], g(Gate::Ry(-0.5 * 268.082573106329), &[2]));
    let tail = &o[o.len() - 7..];
    assert_eq!(
        tail,
        &[
            g(Gate::U(2.0 * PI, 0.0, PI), &[2]),
            g(Gate::Cu(0.1, 0.2, 0.3, 0.4), &[0, 1]),
            Operation::Barrier {
                qubits: vec![0, 1, 2]
            },
            m(0, 0),
            Operation::Reset { qubit: 0 },
            g(Gate::Sx, &[0]),
            m(1, 1),
        ]
    );
    assert_eq!(c.gate_count(), 1 + 3 + 3 + 1 + 5 + 16 + 4 + 1 + 1 + 1);
}
