//! No input may panic the front-ends: random bytes, and valid programs with
//! tokens deleted, inserted, duplicated or swapped, in both formats. The
//! cargo-fuzz target in `fuzz/` does the same for longer runs.

use arvak_grpc::adapters::circuit::StandardFrontend;
use arvak_grpc::domain::{CircuitFormat, CircuitSource, ErrorKind};
use arvak_grpc::ports::CircuitFrontend;
use proptest::prelude::*;

const FORMATS: [CircuitFormat; 2] = [CircuitFormat::OpenQasm, CircuitFormat::ArvakIrJson];

/// Parses in both formats; only INVALID_ARGUMENT may come back.
fn must_not_panic(text: &str) {
    for format in FORMATS {
        let source = CircuitSource {
            format,
            text: text.into(),
        };
        if let Err(e) = StandardFrontend.parse(&source) {
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
        }
    }
}

const SEEDS: &[&str] = &[
    "OPENQASM 3.0;\ninclude \"stdgates.inc\";\ngate r(p0, p1) a { U(p0, -pi/2 + p1, pi/2 - p1) a; }\ngate g(t) a, b { r(t, 2*t) a; cx a, b; p((-0.5)*t) b; }\nbit[2] c;\nqubit[3] q;\nh q;\ng(1.e-05) q[0], q[1];\ncx q[0], q;\nc[0] = measure q[0];\nif (c == 1) { x q[1]; inv @ g(pi/7) q[2], q[0]; }\nif (!c[1]) reset q[2]; else { ctrl @ x q[0], q[1]; }\nbarrier;\nmeasure q[1:2] -> c;\ngphase(π);\n",
    "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[4];\ncreg c[4];\nc4x q[0],q[1],q[2],q[3],q[0];\nrxx(0.5^2) q[0],q[1];\nif(c==15) u3(sin(1),cos(2),sqrt(3)) q[3];\nmeasure q -> c;\nopaque o q;\n",
    "gate a0 x { h x; h x; }\ngate a1 x { a0 x; a0 x; }\ngate a2 x { a1 x; a1 x; }\nqubit q;\nbit b;\na2 q;\nb = measure q;\nif (b == 1) a2 q;\n",
    r#"{"version":1,"num_qubits":2,"num_clbits":2,"qregs":[{"name":"q","size":2}],"cregs":[{"name":"c","size":2}],"instructions":[{"gate":"h","qubits":[0]},{"gate":"cu","qubits":[0,1],"params":[0.1,0.2,0.3,0.4]},{"gate":"measure","qubits":[0],"clbits":[0]},{"gate":"x","qubits":[1],"condition":{"clbits":[0,1],"value":3}},{"gate":"reset","qubits":[1],"condition":{"clbit":1,"value":false}},{"gate":"barrier","qubits":[]}]}"#,
];

/// Tokens worth inserting: keywords, punctuation and awkward numbers.
const VOCABULARY: &[&str] = &[
    ";",
    ",",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "=",
    "==",
    "->",
    "-",
    "*",
    "/",
    "**",
    "^",
    "!",
    "@",
    "q",
    "c",
    "q[0]",
    "q[7]",
    "c[1]",
    "measure",
    "reset",
    "barrier",
    "if",
    "else",
    "gate",
    "inv",
    "ctrl",
    "qubit",
    "bit",
    "qreg",
    "creg",
    "include",
    "\"stdgates.inc\"",
    "OPENQASM",
    "2.0",
    "3",
    "pi",
    "0",
    "1",
    "4294967295",
    "4294967296",
    "18446744073709551616",
    "1e308",
    "1e309",
    "-1",
    "0.5",
    ".5",
    "1.e-05",
    "/*",
    "*/",
    "//",
    "\n",
    "$0",
    "π",
    "sin",
    "h",
    "cx",
    "U",
    "gphase",
    "\"",
    "{\"",
    "\":",
    "[]",
    "null",
    "true",
    "-0",
    "65536",
    "99999999999",
];

/// Splits on whitespace and around punctuation, keeping every piece.
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for ch in text.chars() {
        if ch.is_alphanumeric() || ch == '_' || ch == '.' {
            word.push(ch);
        } else {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            out.push(ch.to_string());
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize),
    Insert(usize, usize),
    Duplicate(usize),
    Swap(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), 0..VOCABULARY.len()).prop_map(|(i, w)| Mutation::Insert(i, w)),
        any::<usize>().prop_map(Mutation::Duplicate),
        (any::<usize>(), any::<usize>()).prop_map(|(i, j)| Mutation::Swap(i, j)),
    ]
}

fn apply(mut toks: Vec<String>, mutations: &[Mutation]) -> String {
    for m in mutations {
        let len = toks.len().max(1);
        match *m {
            Mutation::Delete(i) if !toks.is_empty() => {
                toks.remove(i % len);
            }
            Mutation::Insert(i, w) => toks.insert(i % (toks.len() + 1), VOCABULARY[w].to_owned()),
            Mutation::Duplicate(i) if !toks.is_empty() => {
                let t = toks[i % len].clone();
                toks.insert(i % len, t);
            }
            Mutation::Swap(i, j) if !toks.is_empty() => toks.swap(i % len, j % len),
            _ => {}
        }
    }
    toks.concat()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        must_not_panic(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn random_vocabulary_never_panics(words in proptest::collection::vec(0..VOCABULARY.len(), 0..60)) {
        let text: Vec<&str> = words.iter().map(|w| VOCABULARY[*w]).collect();
        must_not_panic(&text.join(" "));
    }

    #[test]
    fn mutated_programs_never_panic(seed in 0..SEEDS.len(), mutations in proptest::collection::vec(mutation(), 1..8)) {
        must_not_panic(&apply(tokens(SEEDS[seed]), &mutations));
    }
}

#[test]
fn seeds_are_valid_where_they_should_be() {
    // The first and third OpenQASM seeds parse; the others carry mistakes
    // (a range, an opaque gate) that mutations may or may not remove.
    for (i, seed) in SEEDS.iter().enumerate() {
        let format = if seed.starts_with('{') {
            CircuitFormat::ArvakIrJson
        } else {
            CircuitFormat::OpenQasm
        };
        let result = StandardFrontend.parse(&CircuitSource {
            format,
            text: (*seed).into(),
        });
        assert_eq!(result.is_ok(), i == 2 || i == 3, "seed {i}: {result:?}");
    }
}

/// Numbers at the edges of u32/u64 in every numeric field of IR JSON.
fn edge_number() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_owned()),
        Just("1".to_owned()),
        Just("-1".to_owned()),
        Just("65535".to_owned()),
        Just("65536".to_owned()),
        Just("4294967295".to_owned()),
        Just("4294967296".to_owned()),
        Just("18446744073709551615".to_owned()),
        Just("1e400".to_owned()),
        Just("0.5".to_owned()),
        any::<u32>().prop_map(|n| n.to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn ir_json_edge_numbers_never_panic(n in proptest::collection::vec(edge_number(), 8), gate in 0..4usize) {
        let gate = ["x", "measure", "reset", "barrier"][gate];
        let text = format!(
            r#"{{"version":1,"num_qubits":{},"num_clbits":{},"instructions":[{{"gate":"{gate}","qubits":[{}],"clbits":[{}],"condition":{{"clbits":[{},{}],"value":{}}}}},{{"gate":"x","qubits":[0],"condition":{{"clbit":{},"value":1}}}}]}}"#,
            n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7]
        );
        must_not_panic(&text);
    }
}

#[test]
fn a_condition_on_the_last_possible_bit_index_is_an_error() {
    let text = r#"{"version":1,"num_qubits":1,"num_clbits":1,"instructions":[{"gate":"x","qubits":[0],"condition":{"clbits":[4294967295],"value":0}}]}"#;
    must_not_panic(text);
    let e = StandardFrontend
        .parse(&CircuitSource {
            format: CircuitFormat::ArvakIrJson,
            text: text.into(),
        })
        .unwrap_err();
    assert_eq!(
        e.message(),
        "Arvak IR JSON, instructions[0].condition: classical bit 4294967295 is out of range; the circuit has 1 classical bit(s)"
    );
}
