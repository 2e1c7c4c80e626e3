//! The standard gate set that every front-end lowers programs to. User-defined
//! gates are inlined by the front-ends, so backends only ever see these.

/// A gate with its parameters (angles in radians).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Gate {
    Id,
    X,
    Y,
    Z,
    H,
    S,
    Sdg,
    T,
    Tdg,
    Sx,
    Sxdg,
    Rx(f64),
    Ry(f64),
    Rz(f64),
    /// Phase gate diag(1, e^{iλ}); also OpenQASM's `phase` and `u1`.
    P(f64),
    /// OpenQASM 3's built-in `U(θ, φ, λ)`; also `u3`, and `u2(φ, λ)` = U(π/2, φ, λ).
    U(f64, f64, f64),
    /// A global phase e^{iγ}; acts on no qubit.
    GPhase(f64),
    Cx,
    Cy,
    Cz,
    Ch,
    Swap,
    Cp(f64),
    Crx(f64),
    Cry(f64),
    Crz(f64),
    /// Controlled U(θ, φ, λ) with an extra phase γ on the control's |1⟩.
    Cu(f64, f64, f64, f64),
    Ccx,
    Cswap,
    /// IQM's native phased-X rotation: RZ(φ)·RX(θ)·RZ(−φ), that is
    /// exp(−iθ/2·(cos φ·X + sin φ·Y)); parameters (θ, φ).
    Prx(f64, f64),
    /// IBM Eagle's native echoed cross-resonance gate, 1/√2·(I⊗X − X⊗Y)
    /// with the left factor on the second qubit (Qiskit's `ecr`).
    Ecr,
}

impl Gate {
    /// Every gate name a backend that runs the whole set supports, in the
    /// spelling of OpenQASM 3's stdgates.inc (plus `U`, `gphase`, `sxdg`).
    pub const NAMES: [&'static str; 31] = [
        "id", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "sxdg", "rx", "ry", "rz", "p", "U",
        "gphase", "cx", "cy", "cz", "ch", "swap", "cp", "crx", "cry", "crz", "cu", "ccx", "cswap",
        "prx", "ecr",
    ];

    pub fn name(&self) -> &'static str {
        match self {
            Gate::Id => "id",
            Gate::X => "x",
            Gate::Y => "y",
            Gate::Z => "z",
            Gate::H => "h",
            Gate::S => "s",
            Gate::Sdg => "sdg",
            Gate::T => "t",
            Gate::Tdg => "tdg",
            Gate::Sx => "sx",
            Gate::Sxdg => "sxdg",
            Gate::Rx(_) => "rx",
            Gate::Ry(_) => "ry",
            Gate::Rz(_) => "rz",
            Gate::P(_) => "p",
            Gate::U(..) => "U",
            Gate::GPhase(_) => "gphase",
            Gate::Cx => "cx",
            Gate::Cy => "cy",
            Gate::Cz => "cz",
            Gate::Ch => "ch",
            Gate::Swap => "swap",
            Gate::Cp(_) => "cp",
            Gate::Crx(_) => "crx",
            Gate::Cry(_) => "cry",
            Gate::Crz(_) => "crz",
            Gate::Cu(..) => "cu",
            Gate::Ccx => "ccx",
            Gate::Cswap => "cswap",
            Gate::Prx(..) => "prx",
            Gate::Ecr => "ecr",
        }
    }

    /// How many qubits the gate acts on (controls first, then targets).
    pub fn num_qubits(&self) -> usize {
        match self {
            Gate::GPhase(_) => 0,
            Gate::Cx
            | Gate::Cy
            | Gate::Cz
            | Gate::Ch
            | Gate::Swap
            | Gate::Cp(_)
            | Gate::Crx(_)
            | Gate::Cry(_)
            | Gate::Crz(_)
            | Gate::Cu(..)
            | Gate::Ecr => 2,
            Gate::Ccx | Gate::Cswap => 3,
            _ => 1,
        }
    }

    /// The gate's parameters in OpenQASM order.
    pub fn params(&self) -> Vec<f64> {
        match *self {
            Gate::Rx(a)
            | Gate::Ry(a)
            | Gate::Rz(a)
            | Gate::P(a)
            | Gate::GPhase(a)
            | Gate::Cp(a)
            | Gate::Crx(a)
            | Gate::Cry(a)
            | Gate::Crz(a) => vec![a],
            Gate::U(a, b, c) => vec![a, b, c],
            Gate::Prx(a, b) => vec![a, b],
            Gate::Cu(a, b, c, d) => vec![a, b, c, d],
            _ => Vec::new(),
        }
    }

    /// Builds a gate from its standard name and parameters; `None` when the
    /// name is not a standard gate or the parameter count is wrong. Accepts the
    /// compatibility spellings of stdgates.inc and qelib1.inc.
    pub fn from_name(name: &str, params: &[f64]) -> Option<Gate> {
        use std::f64::consts::FRAC_PI_2;
        let gate = match (name, params) {
            ("id" | "i", []) => Gate::Id,
            ("x", []) => Gate::X,
            ("y", []) => Gate::Y,
            ("z", []) => Gate::Z,
            ("h", []) => Gate::H,
            ("s", []) => Gate::S,
            ("sdg", []) => Gate::Sdg,
            ("t", []) => Gate::T,
            ("tdg", []) => Gate::Tdg,
            ("sx", []) => Gate::Sx,
            ("sxdg", []) => Gate::Sxdg,
            ("rx", [a]) => Gate::Rx(*a),
            ("ry", [a]) => Gate::Ry(*a),
            ("rz", [a]) => Gate::Rz(*a),
            ("p" | "phase" | "u1", [a]) => Gate::P(*a),
            ("U" | "u" | "u3", [a, b, c]) => Gate::U(*a, *b, *c),
            ("u2", [b, c]) => Gate::U(FRAC_PI_2, *b, *c),
            ("gphase", [a]) => Gate::GPhase(*a),
            ("cx" | "CX" | "cnot", []) => Gate::Cx,
            ("cy", []) => Gate::Cy,
            ("cz", []) => Gate::Cz,
            ("ch", []) => Gate::Ch,
            ("swap", []) => Gate::Swap,
            ("cp" | "cphase" | "cu1", [a]) => Gate::Cp(*a),
            ("crx", [a]) => Gate::Crx(*a),
            ("cry", [a]) => Gate::Cry(*a),
            ("crz", [a]) => Gate::Crz(*a),
            ("cu", [a, b, c, d]) => Gate::Cu(*a, *b, *c, *d),
            ("cu3", [a, b, c]) => Gate::Cu(*a, *b, *c, 0.0),
            ("ccx" | "toffoli", []) => Gate::Ccx,
            ("cswap" | "fredkin", []) => Gate::Cswap,
            ("prx", [a, b]) => Gate::Prx(*a, *b),
            ("ecr", []) => Gate::Ecr,
            _ => return None,
        };
        Some(gate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_from_name() {
        for name in Gate::NAMES {
            let arity = [0usize, 1, 2, 3, 4]
                .into_iter()
                .find(|n| Gate::from_name(name, &vec![0.5; *n]).is_some())
                .unwrap_or_else(|| panic!("{name} has no arity"));
            let gate = Gate::from_name(name, &vec![0.5; arity]).unwrap();
            assert_eq!(gate.name(), name);
            assert_eq!(gate.params().len(), arity);
        }
        assert!(Gate::from_name("rx", &[]).is_none());
        assert!(Gate::from_name("frobnicate", &[]).is_none());
    }
}
