//! OpenQASM 2.0 with qelib1.inc, Qiskit's extra names, and programs that must
//! give the same circuit as their OpenQASM 3 twin.

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

const HEAD: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[5];\ncreg c[5];\n";

#[test]
fn the_whole_of_qelib1_is_known() {
    let calls = "u3(0.1,0.2,0.3) q[0]; u2(0.1,0.2) q[0]; u1(0.1) q[0]; cx q[0],q[1]; id q[0]; u0(1) q[0];
        u(0.1,0.2,0.3) q[0]; p(0.1) q[0]; x q[0]; y q[0]; z q[0]; h q[0]; s q[0]; sdg q[0]; t q[0]; tdg q[0];
        rx(0.1) q[0]; ry(0.1) q[0]; rz(0.1) q[0]; sx q[0]; sxdg q[0]; cz q[0],q[1]; cy q[0],q[1];
        swap q[0],q[1]; ch q[0],q[1]; ccx q[0],q[1],q[2]; cswap q[0],q[1],q[2]; crx(0.1) q[0],q[1];
        cry(0.1) q[0],q[1]; crz(0.1) q[0],q[1]; cu1(0.1) q[0],q[1]; cp(0.1) q[0],q[1];
        cu3(0.1,0.2,0.3) q[0],q[1]; csx q[0],q[1]; cu(0.1,0.2,0.3,0.4) q[0],q[1]; rxx(0.1) q[0],q[1];
        rzz(0.1) q[0],q[1]; rccx q[0],q[1],q[2]; rc3x q[0],q[1],q[2],q[3]; c3x q[0],q[1],q[2],q[3];
        c3sqrtx q[0],q[1],q[2],q[3]; c4x q[0],q[1],q[2],q[3],q[4]; CX q[0],q[1]; U(0.1,0.2,0.3) q[0];";
    let c = qasm(&format!("{HEAD}{calls}"));
    assert!(c.gate_count() > 100, "{}", c.gate_count());
    let o = ops(&c);
    assert_eq!(o[0], g(Gate::U(0.1, 0.2, 0.3), &[0]));
    assert_eq!(o[1], g(Gate::U(PI / 2.0, 0.1, 0.2), &[0]));
    assert_eq!(o[2], g(Gate::P(0.1), &[0]));
    assert_eq!(o[5], g(Gate::U(0.0, 0.0, 0.0), &[0]), "u0 is an identity");
    assert!(
        o.contains(&g(Gate::Cu(0.1, 0.2, 0.3, 0.0), &[0, 1])),
        "cu3 is cu with γ = 0"
    );
    assert!(o.contains(&g(Gate::Cu(0.1, 0.2, 0.3, 0.4), &[0, 1])));
}

#[test]
fn qelib1_extras_are_inlined_into_standard_gates() {
    let c = qasm(&format!("{HEAD}rzz(0.7) q[1],q[2];\ncsx q[0],q[3];"));
    assert_eq!(
        ops(&c),
        vec![
            g(Gate::Cx, &[1, 2]),
            g(Gate::P(0.7), &[2]),
            g(Gate::Cx, &[1, 2]),
            g(Gate::H, &[3]),
            g(Gate::Cp(PI / 2.0), &[0, 3]),
            g(Gate::H, &[3]),
        ]
    );
}

#[test]
fn a_program_may_redefine_a_qelib1_gate() {
    let c = qasm(&format!(
        "{HEAD}gate rzz(theta) a,b {{ cx a,b; rz(theta) b; cx a,b; }}\nrzz(0.7) q[1],q[2];"
    ));
    assert_eq!(ops(&c)[1], g(Gate::Rz(0.7), &[2]));
}

#[test]
fn conditions_and_arrow_measurement() {
    let c = qasm(&format!(
        "{HEAD}measure q[0] -> c[0];\nif(c==1) x q[1];\nmeasure q -> c;"
    ));
    assert_eq!(c.instructions().len(), 7);
    assert_eq!(
        c.instructions()[1].condition,
        Some(Condition::RegisterEquals {
            first: 0,
            width: 5,
            value: 1
        })
    );
    assert_eq!(
        c.instructions()[6].operation,
        Operation::Measure { qubit: 4, clbit: 4 }
    );
}

/// The classic ripple-carry adder from the OpenQASM 2 paper.
#[test]
fn the_adder_example() {
    let text = r#"OPENQASM 2.0;
include "qelib1.inc";
gate majority a,b,c
{
  cx c,b;
  cx c,a;
  ccx a,b,c;
}
gate unmaj a,b,c
{
  ccx a,b,c;
  cx c,a;
  cx a,b;
}
qreg cin[1];
qreg a[4];
qreg b[4];
qreg cout[1];
creg ans[5];
// set input states
x a[0]; // a = 0001
x b;    // b = 1111
// add a to b, storing result in b
majority cin[0],b[0],a[0];
majority a[0],b[1],a[1];
majority a[1],b[2],a[2];
majority a[2],b[3],a[3];
cx a[3],cout[0];
unmaj a[2],b[3],a[3];
unmaj a[1],b[2],a[2];
unmaj a[0],b[1],a[1];
unmaj cin[0],b[0],a[0];
measure b[0] -> ans[0];
measure b[1] -> ans[1];
measure b[2] -> ans[2];
measure b[3] -> ans[3];
measure cout[0] -> ans[4];
"#;
    let c = qasm(text);
    assert_eq!((c.num_qubits(), c.num_clbits()), (10, 5));
    assert_eq!(c.gate_count(), 1 + 4 + 12 + 1 + 12);
    assert_eq!(
        ops(&c)[5],
        g(Gate::Cx, &[1, 5]),
        "majority cin[0],b[0],a[0] starts with cx a[0],b[0]"
    );
}

/// Qiskit's own OpenQASM 2 writer uses names outside the original qelib1.inc.
#[test]
fn qiskit_qasm2_extras() {
    let text = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\ngate ecr q0,q1 { rzx(pi/4) q0,q1; x q0; rzx(-pi/4) q0,q1; }\n\
        gate rzx(param0) q0,q1 { h q1; cx q0,q1; rz(param0) q1; cx q0,q1; h q1; }\n\
        qreg q[2];\ncreg meas[2];\nsx q[0];\np(0.25) q[1];\nu(0.1,0.2,0.3) q[0];\ncp(0.5) q[0],q[1];\n\
        cu(0.1,0.2,0.3,0.4) q[0],q[1];\nswap q[0],q[1];\nbarrier q[0],q[1];\nmeasure q[0] -> meas[0];\nmeasure q[1] -> meas[1];\n";
    // ecr's body names rzx before it is defined: a mistake Qiskit does not make.
    let e = StandardFrontend
        .parse(&CircuitSource {
            format: CircuitFormat::OpenQasm,
            text: text.into(),
        })
        .unwrap_err();
    assert_eq!(e.message(), "line 3, column 18: unknown gate 'rzx'");
    let fixed = text.replace(
        "gate ecr q0,q1 { rzx(pi/4) q0,q1; x q0; rzx(-pi/4) q0,q1; }\n",
        "",
    );
    let c = qasm(&fixed);
    assert_eq!(
        ops(&c)[..6],
        [
            g(Gate::Sx, &[0]),
            g(Gate::P(0.25), &[1]),
            g(Gate::U(0.1, 0.2, 0.3), &[0]),
            g(Gate::Cp(0.5), &[0, 1]),
            g(Gate::Cu(0.1, 0.2, 0.3, 0.4), &[0, 1]),
            g(Gate::Swap, &[0, 1]),
        ]
    );
}

#[test]
fn openqasm_2_and_3_twins_give_equal_circuits() {
    let pairs = [
        (
            "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nu1(0.3) q[0];\nu3(0.1,0.2,0.3) q[1];\nU(0.1,0.2,0.3) q[0];\nCX q[1],q[0];\ncu1(0.5) q[0],q[1];\nh q;\nbarrier q;\nif(c==1) x q[0];\nmeasure q -> c;\nreset q[1];",
            "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[2] q;\nbit[2] c;\np(0.3) q[0];\nU(0.1,0.2,0.3) q[1];\nU(0.1,0.2,0.3) q[0];\ncx q[1],q[0];\ncp(0.5) q[0],q[1];\nh q[0];\nh q[1];\nbarrier q[0], q[1];\nif (c == 1) x q[0];\nc[0] = measure q[0];\nc[1] = measure q[1];\nreset q[1];",
        ),
        (
            "OPENQASM 2.0;\ninclude \"qelib1.inc\";\ngate my(theta) a,b { rz(theta/2) a; cx a,b; u2(0,pi) b; }\nqreg a[1];\nqreg b[1];\ncreg m[2];\nmy(-pi^2) a[0],b[0];\nmeasure a[0] -> m[1];",
            "OPENQASM 3;\ngate my(θ) x, y { rz(θ/2) x; cx x, y; u2(0, π) y; }\nqubit[1] a;\nqubit[1] b;\nbit[2] m;\nmy(-pi**2) a[0], b[0];\nm[1] = measure a[0];",
        ),
    ];
    for (v2, v3) in pairs {
        assert_eq!(qasm(v2), qasm(v3), "\n{v2}\n---\n{v3}");
    }
}
