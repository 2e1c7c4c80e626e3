//! Every kind of mistake in an OpenQASM program is INVALID_ARGUMENT and says
//! what is wrong and where, as "line L, column C: ...".

use arvak_grpc::adapters::circuit::StandardFrontend;
use arvak_grpc::domain::{CircuitFormat, CircuitSource, ErrorKind};
use arvak_grpc::ports::CircuitFrontend;

/// The error message for `text`, which must fail with INVALID_ARGUMENT.
fn err(text: &str) -> String {
    let source = CircuitSource {
        format: CircuitFormat::OpenQasm,
        text: text.into(),
    };
    let e = StandardFrontend.parse(&source).expect_err(text);
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    e.message().to_owned()
}

const HEAD: &str = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[2] q;\nbit[2] c;\n";

#[test]
fn unknown_gate() {
    assert_eq!(
        err(&format!("{HEAD}h q[0];\n  foo q[1];")),
        "line 6, column 3: unknown gate 'foo'"
    );
    assert_eq!(
        err("gate g a { bar a; }"),
        "line 1, column 12: unknown gate 'bar'"
    );
}

#[test]
fn wrong_number_of_parameters_or_qubits() {
    assert_eq!(
        err(&format!("{HEAD}rz q[0];")),
        "line 5, column 1: gate 'rz' takes 1 parameter(s), got 0"
    );
    assert_eq!(
        err(&format!("{HEAD}h(0.5) q[0];")),
        "line 5, column 1: gate 'h' takes 0 parameter(s), got 1"
    );
    assert_eq!(
        err(&format!("{HEAD}cx q[0];")),
        "line 5, column 1: gate 'cx' acts on 2 qubit(s), got 1"
    );
    assert_eq!(
        err(&format!("{HEAD}gate g(a) x {{ rz(a) x; }}\ng q[0];")),
        "line 6, column 1: gate 'g' takes 1 parameter(s), got 0"
    );
}

#[test]
fn index_out_of_range() {
    assert_eq!(
        err(&format!("{HEAD}x q[2];")),
        "line 5, column 5: index 2 is out of range for register 'q' of size 2"
    );
    assert_eq!(
        err(&format!("{HEAD}c[7] = measure q[0];")),
        "line 5, column 3: index 7 is out of range for register 'c' of size 2"
    );
    assert_eq!(
        err("qubit q;\nx q[4294967296];"),
        "line 2, column 5: index 4294967296 is too large"
    );
    assert_eq!(
        err("qubit[99999999999] q;"),
        "line 1, column 7: size 99999999999 is too large"
    );
}

#[test]
fn same_qubit_twice() {
    assert_eq!(
        err(&format!("{HEAD}cx q[1], q[1];")),
        "line 5, column 10: qubit q[1] is used twice in one call of 'cx'"
    );
    assert_eq!(
        err(&format!("{HEAD}cx q[0], q;")),
        "line 5, column 10: qubit q[0] is used twice in one call of 'cx'"
    );
    assert_eq!(
        err("gate g a, b { cx a, a; }"),
        "line 1, column 21: qubit 'a' is used twice in one call of 'cx'"
    );
}

#[test]
fn undeclared_register() {
    assert_eq!(
        err(&format!("{HEAD}h r[0];")),
        "line 5, column 3: undeclared qubit register 'r'"
    );
    assert_eq!(
        err(&format!("{HEAD}d[0] = measure q[0];")),
        "line 5, column 1: undeclared classical register 'd'"
    );
    assert_eq!(
        err(&format!("{HEAD}if (d == 1) x q[0];")),
        "line 5, column 5: undeclared classical register 'd'"
    );
    assert_eq!(
        err(&format!("{HEAD}h c[0];")),
        "line 5, column 3: 'c' is a classical register where qubits are expected"
    );
}

#[test]
fn missing_include() {
    assert_eq!(
        err("OPENQASM 3;\n  include \"mygates.inc\";"),
        "line 2, column 11: missing include \"mygates.inc\": only \"stdgates.inc\" is available"
    );
    assert_eq!(
        err("OPENQASM 2.0;\ninclude \"stdgates.inc\";"),
        "line 2, column 9: missing include \"stdgates.inc\": only \"qelib1.inc\" is available"
    );
}

#[test]
fn register_size_mismatch() {
    let text = "qubit[2] q;\nqubit[3] r;\nbit[2] c;\ncx q, r;";
    assert_eq!(
        err(text),
        "line 4, column 7: register size mismatch: 'r' has 3 qubit(s) but 'q' has 2"
    );
    let text = "qubit[3] r;\nbit[2] c;\nc = measure r;";
    assert_eq!(
        err(text),
        "line 3, column 1: register size mismatch: measuring 3 qubit(s) into 2 classical bit(s)"
    );
}

#[test]
fn bad_syntax_says_what_was_expected_and_found() {
    assert_eq!(
        err(&format!("{HEAD}h q[0]\nx q[1];")),
        "line 6, column 1: expected ';', found 'x'"
    );
    assert_eq!(
        err(&format!("{HEAD}rz(0.5 q[0];")),
        "line 5, column 8: expected ',' or ')', found 'q'"
    );
    assert_eq!(
        err("qubit[2] q;\nrz(*) q[0];"),
        "line 2, column 4: expected an expression, found '*'"
    );
    assert_eq!(
        err("qubit q;\nrz(theta) q;"),
        "line 2, column 4: unknown name 'theta' in an expression"
    );
    assert_eq!(
        err("OPENQASM 4;"),
        "line 1, column 10: unsupported OpenQASM version 4; 2 and 3 are known"
    );
    assert_eq!(
        err("qubit q;\nx q;\n/* never closed"),
        "line 3, column 1: unterminated comment: '/*' without '*/'"
    );
    assert_eq!(
        err("qubit q; x q; #"),
        "line 1, column 15: unexpected character '#'"
    );
    assert_eq!(
        err("qubit q;\ngate g a { x a;"),
        "line 2, column 16: expected '}', found end of input"
    );
    assert_eq!(
        err("for int i in [0:3] { }"),
        "line 1, column 1: 'for' statements are not supported by this service"
    );
}

#[test]
fn measure_without_target_and_bad_conditions() {
    assert_eq!(
        err(&format!("{HEAD}measure q[0];")),
        "line 5, column 1: measure needs a target: write 'c[0] = measure q[0];' or 'measure q[0] -> c[0];'"
    );
    assert_eq!(
        err(&format!("{HEAD}if (c == 4) x q[0];")),
        "line 5, column 10: value 4 does not fit in register 'c' of 2 bit(s)"
    );
    assert_eq!(
        err(&format!("{HEAD}if (c[0] == 2) x q[0];")),
        "line 5, column 13: a single bit equals 0 or 1, not 2"
    );
    assert_eq!(
        err(&format!("{HEAD}if (c) x q[0];")),
        "line 5, column 5: 'c' has 2 bits: compare the whole register with '==', as in 'c == 3'"
    );
    assert_eq!(
        err(&format!("{HEAD}if (c == 1) {{ if (c == 2) x q[0]; }}")),
        "line 5, column 15: an 'if' inside an 'if' is not supported"
    );
    assert_eq!(
        err(&format!("{HEAD}if (c == 1) x q[0]; else x q[1];")),
        "line 5, column 21: 'else' is supported only when the 'if' tests a single bit; write a second 'if'"
    );
    assert_eq!(
        err(&format!("{HEAD}if (c[0]) x q[0]; else if (c[1]) x q[1];")),
        "line 5, column 24: an 'if' inside an 'if' is not supported"
    );
    assert_eq!(
        err(&format!("{HEAD}x q[0];\nelse x q[1];")),
        "line 6, column 1: 'else' without a matching 'if'"
    );
}

#[test]
fn declarations_and_definitions_are_checked() {
    assert_eq!(
        err("qubit q;\nbit q;"),
        "line 2, column 5: register 'q' is declared twice"
    );
    assert_eq!(
        err("qreg q[0];"),
        "line 1, column 6: register 'q' has size 0"
    );
    assert_eq!(
        err("gate g a { x a; }\ngate g a { y a; }"),
        "line 2, column 6: gate 'g' is already defined"
    );
    assert_eq!(
        err("gate g a { x b; }"),
        "line 1, column 14: 'b' is not a qubit of gate 'g'"
    );
    assert_eq!(
        err("gate g a { x a[0]; }"),
        "line 1, column 14: inside a gate definition, qubits are named without an index"
    );
    assert_eq!(
        err("gate g a { measure a; }"),
        "line 1, column 12: only gate calls and barriers may stand inside a gate definition"
    );
    assert_eq!(
        err("gate g(a, a) q { }"),
        "line 1, column 11: parameter 'a' is named twice"
    );
    assert_eq!(
        err("OPENQASM 2.0;\nqreg q[1];\nopaque magic q;"),
        "line 3, column 1: opaque gates are not supported: their effect is unknown here; define the gate with 'gate' instead"
    );
    assert_eq!(
        err("qubit[3] q;\nctrl(2) @ h q[0], q[1], q[2];"),
        "line 2, column 11: 'ctrl @' is supported only where a standard controlled gate exists (such as ctrl @ x = cx), not for 2 control(s) on 'h'"
    );
    assert_eq!(
        err("qubit[3] q;\nnegctrl @ x q[0], q[1];"),
        "line 2, column 1: the 'negctrl @' modifier is not supported"
    );
    assert_eq!(
        err("qubit[2] q;\nctrl @ x q[0];"),
        "line 2, column 8: gate 'ctrl @ x' acts on 2 qubit(s), got 1"
    );
    assert_eq!(
        err("x $70000;"),
        "line 1, column 3: a circuit may have at most 65536 qubits"
    );
    assert_eq!(
        err("x $4294967295;"),
        "line 1, column 3: physical qubit $4294967295 is out of range"
    );
    assert_eq!(
        err("x $4294967296;"),
        "line 1, column 3: physical qubit $4294967296 is out of range"
    );
    assert_eq!(
        err("qubit q;\nrz(1/0) q;"),
        "line 2, column 1: gate 'rz' has a parameter that is not a finite number (inf)"
    );
    assert_eq!(
        err("qubit q;\nx $0;"),
        "line 2, column 3: physical qubits ($n) cannot be mixed with declared qubit registers"
    );
}

#[test]
fn limits_on_nesting_and_expansion() {
    let deep = format!("qubit q;\nrz({}1{}) q;", "(".repeat(100), ")".repeat(100));
    assert!(
        err(&deep).starts_with("line 2, column 68: nesting is deeper than 64 levels"),
        "{}",
        err(&deep)
    );
    let ifs = format!("bit c; qubit q;\n{}x q;", "if (c) ".repeat(100));
    assert!(err(&ifs).contains("nesting is deeper than 64 levels"));

    // Each level doubles: 2^30 instructions from a few lines of text.
    let mut text = String::from("qubit[2] q;\ngate g0 a, b { cx a, b; cx b, a; }\n");
    for i in 1..30 {
        text.push_str(&format!(
            "gate g{i} a, b {{ g{} a, b; g{} b, a; }}\n",
            i - 1,
            i - 1
        ));
    }
    text.push_str("g29 q[0], q[1];");
    assert_eq!(
        err(&text),
        "line 32, column 1: the program expands to more than 1000000 instructions"
    );

    // Definitions calling definitions 100 deep.
    let mut text = String::from("qubit q;\ngate d0 a { x a; }\n");
    for i in 1..100 {
        text.push_str(&format!("gate d{i} a {{ d{} a; }}\n", i - 1));
    }
    assert_eq!(
        err(&text),
        "line 66, column 6: gate definitions nest more than 64 deep"
    );
}
