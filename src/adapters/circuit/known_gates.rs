//! The gates a program may call without defining them: the domain's standard
//! set (stdgates.inc, `U`, `gphase` and the compatibility names that
//! [`Gate::from_name`] knows), and for OpenQASM 2 the rest of qelib1.inc,
//! written as definitions over standard gates.

use crate::domain::circuit::Gate;

/// Parameter and qubit counts of a standard gate, `None` for other names.
pub fn standard(name: &str) -> Option<(usize, usize)> {
    const ZEROS: [f64; 4] = [0.0; 4];
    (0..=ZEROS.len()).find_map(|n| {
        let gate = Gate::from_name(name, ZEROS.get(..n)?)?;
        Some((n, gate.num_qubits()))
    })
}

/// The standard gate that is `ctrl(controls) @ name`, if there is one.
pub fn controlled(name: &str, controls: u32) -> Option<&'static str> {
    Some(match (name, controls) {
        ("x", 1) => "cx",
        ("x", 2) | ("cx" | "CX", 1) => "ccx",
        ("y", 1) => "cy",
        ("z", 1) => "cz",
        ("h", 1) => "ch",
        ("p" | "phase" | "u1", 1) => "cp",
        ("rx", 1) => "crx",
        ("ry", 1) => "cry",
        ("rz", 1) => "crz",
        // Not u3: stdgates.inc gives it a global phase that a control exposes.
        ("U", 1) => "cu3",
        ("swap", 1) => "cswap",
        // A controlled global phase is a phase on the control.
        ("gphase", 1) => "p",
        _ => return None,
    })
}

/// The inverse of a standard gate, exactly (no global phase is lost).
pub fn inverse(gate: Gate) -> Gate {
    use Gate::*;
    match gate {
        S => Sdg,
        Sdg => S,
        T => Tdg,
        Tdg => T,
        Sx => Sxdg,
        Sxdg => Sx,
        Rx(a) => Rx(-a),
        Ry(a) => Ry(-a),
        Rz(a) => Rz(-a),
        P(a) => P(-a),
        GPhase(a) => GPhase(-a),
        Cp(a) => Cp(-a),
        Crx(a) => Crx(-a),
        Cry(a) => Cry(-a),
        Crz(a) => Crz(-a),
        U(t, p, l) => U(-t, -l, -p),
        Cu(t, p, l, g) => Cu(-t, -l, -p, -g),
        Prx(t, p) => Prx(-t, p),
        Id | X | Y | Z | H | Cx | Cy | Cz | Ch | Swap | Ccx | Cswap | Ecr => gate,
    }
}

/// The gates of qelib1.inc that are not standard gates, as Qiskit's
/// qelib1.inc defines them, except that c4x undoes its first rc3x with the
/// inverse (as Qiskit's C4XGate does): rc3x twice leaves relative phases, so
/// the library text is not a 4-controlled X. Checked against the matrices in
/// `tests/frontend_qelib1_unitaries.rs`. Parsed ahead of an OpenQASM 2
/// program; a program may define any of these names itself.
pub const QELIB1_EXTRAS: &str = r#"
gate u0(gamma) q { U(0,0,0) q; }
gate rxx(theta) a,b { u3(pi/2, theta, 0) a; h b; cx a,b; u1(-theta) b; cx a,b; h b; u2(-pi, pi-theta) a; }
gate rzz(theta) a,b { cx a,b; u1(theta) b; cx a,b; }
gate csx a,b { h b; cu1(pi/2) a,b; h b; }
gate rccx a,b,c { u2(0,pi) c; u1(pi/4) c; cx b, c; u1(-pi/4) c; cx a, c; u1(pi/4) c; cx b, c; u1(-pi/4) c; u2(0,pi) c; }
gate rc3x a,b,c,d {
  u2(0,pi) d; u1(pi/4) d; cx c,d; u1(-pi/4) d; u2(0,pi) d; cx a,d; u1(pi/4) d; cx b,d;
  u1(-pi/4) d; cx a,d; u1(pi/4) d; cx b,d; u1(-pi/4) d; u2(0,pi) d; u1(pi/4) d; cx c,d;
  u1(-pi/4) d; u2(0,pi) d;
}
gate c3x a,b,c,d {
  h d; p(pi/8) a; p(pi/8) b; p(pi/8) c; p(pi/8) d; cx a, b; p(-pi/8) b; cx a, b; cx b, c;
  p(-pi/8) c; cx a, c; p(pi/8) c; cx b, c; p(-pi/8) c; cx a, c; cx c, d; p(-pi/8) d;
  cx b, d; p(pi/8) d; cx c, d; p(-pi/8) d; cx a, d; p(pi/8) d; cx c, d; p(-pi/8) d;
  cx b, d; p(pi/8) d; cx c, d; p(-pi/8) d; cx a, d; h d;
}
gate c3sqrtx a,b,c,d {
  h d; cu1(pi/8) a,d; h d; cx a,b; h d; cu1(-pi/8) b,d; h d; cx a,b; h d; cu1(pi/8) b,d;
  h d; cx b,c; h d; cu1(-pi/8) c,d; h d; cx a,c; h d; cu1(pi/8) c,d; h d; cx b,c; h d;
  cu1(-pi/8) c,d; h d; cx a,c; h d; cu1(pi/8) c,d; h d;
}
gate c4x a,b,c,d,e {
  h e; cu1(pi/2) d,e; h e; rc3x a,b,c,d; h e; cu1(-pi/2) d,e; h e; inv @ rc3x a,b,c,d;
  c3sqrtx a,b,c,e;
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_counts() {
        assert_eq!(standard("cu"), Some((4, 2)));
        assert_eq!(standard("U"), Some((3, 1)));
        assert_eq!(standard("gphase"), Some((1, 0)));
        assert_eq!(standard("ccx"), Some((0, 3)));
        assert_eq!(standard("rzz"), None);
    }

    #[test]
    fn inverse_is_an_involution() {
        for name in Gate::NAMES {
            let (n, _) = standard(name).unwrap();
            let gate = Gate::from_name(name, &[0.1, 0.2, 0.3, 0.4][..n]).unwrap();
            assert_eq!(inverse(inverse(gate)), gate);
        }
    }
}
