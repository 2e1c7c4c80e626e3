//! Gate matrices, for fusion: every standard gate as a 2×2 or 4×4 matrix,
//! and the products and embeddings that fusing needs.

use std::f64::consts::{FRAC_1_SQRT_2, FRAC_PI_4};

use super::complex::C64;
use crate::domain::circuit::Gate;

fn re(x: f64) -> C64 {
    C64::new(x, 0.0)
}

/// The 2×2 matrix (row-major) of a one-qubit gate; `None` for the others.
pub fn matrix_1q(gate: &Gate) -> Option<[C64; 4]> {
    let (o, z, i) = (C64::ONE, C64::ZERO, C64::I);
    let h = FRAC_1_SQRT_2;
    let half = |a: f64| (a / 2.0).sin_cos();
    Some(match *gate {
        Gate::Id => [o, z, z, o],
        Gate::X => [z, o, o, z],
        Gate::Y => [z, -i, i, z],
        Gate::Z => [o, z, z, -o],
        Gate::H => [re(h), re(h), re(h), re(-h)],
        Gate::S => [o, z, z, i],
        Gate::Sdg => [o, z, z, -i],
        Gate::T => [o, z, z, C64::cis(FRAC_PI_4)],
        Gate::Tdg => [o, z, z, C64::cis(-FRAC_PI_4)],
        Gate::Sx => [
            C64::new(0.5, 0.5),
            C64::new(0.5, -0.5),
            C64::new(0.5, -0.5),
            C64::new(0.5, 0.5),
        ],
        Gate::Sxdg => [
            C64::new(0.5, -0.5),
            C64::new(0.5, 0.5),
            C64::new(0.5, 0.5),
            C64::new(0.5, -0.5),
        ],
        Gate::Rx(a) => {
            let (s, c) = half(a);
            [re(c), C64::new(0.0, -s), C64::new(0.0, -s), re(c)]
        }
        Gate::Ry(a) => {
            let (s, c) = half(a);
            [re(c), re(-s), re(s), re(c)]
        }
        Gate::Rz(a) => [C64::cis(-a / 2.0), z, z, C64::cis(a / 2.0)],
        Gate::P(l) => [o, z, z, C64::cis(l)],
        Gate::U(t, p, l) => u_matrix(t, p, l),
        Gate::Prx(t, p) => {
            let (s, c) = half(t);
            [
                re(c),
                C64::cis(-p) * C64::new(0.0, -s),
                C64::cis(p) * C64::new(0.0, -s),
                re(c),
            ]
        }
        _ => return None,
    })
}

fn u_matrix(theta: f64, phi: f64, lambda: f64) -> [C64; 4] {
    let (s, c) = (theta / 2.0).sin_cos();
    [
        re(c),
        -C64::cis(lambda).scale(s),
        C64::cis(phi).scale(s),
        C64::cis(phi + lambda).scale(c),
    ]
}

/// For a controlled two-qubit gate (control first), the 2×2 matrix applied
/// to the target when the control is 1.
pub fn controlled_target(gate: &Gate) -> Option<[C64; 4]> {
    Some(match *gate {
        Gate::Cx => matrix_1q(&Gate::X)?,
        Gate::Cy => matrix_1q(&Gate::Y)?,
        Gate::Cz => matrix_1q(&Gate::Z)?,
        Gate::Ch => matrix_1q(&Gate::H)?,
        Gate::Cp(l) => matrix_1q(&Gate::P(l))?,
        Gate::Crx(a) => matrix_1q(&Gate::Rx(a))?,
        Gate::Cry(a) => matrix_1q(&Gate::Ry(a))?,
        Gate::Crz(a) => matrix_1q(&Gate::Rz(a))?,
        Gate::Cu(t, p, l, g) => u_matrix(t, p, l).map(|x| x * C64::cis(g)),
        _ => return None,
    })
}

/// The 4×4 matrix of a two-qubit gate on `[q0, q1]`, row-major, with index
/// `bit(q0) + 2·bit(q1)`; `None` for the others.
pub fn matrix_2q(gate: &Gate) -> Option<[C64; 16]> {
    let mut m = [C64::ZERO; 16];
    if *gate == Gate::Swap {
        for (r, c) in [(0, 0), (1, 2), (2, 1), (3, 3)] {
            m[r * 4 + c] = C64::ONE;
        }
        return Some(m);
    }
    if *gate == Gate::Ecr {
        // Qiskit's matrix, in the same index order.
        let (h, ih) = (re(FRAC_1_SQRT_2), C64::new(0.0, FRAC_1_SQRT_2));
        let z = C64::ZERO;
        return Some([z, h, z, ih, h, z, -ih, z, z, ih, z, h, -ih, z, h, z]);
    }
    let u = controlled_target(gate)?;
    // Control is bit 0: rows/columns 0 and 2 (control 0) are untouched.
    m[0] = C64::ONE;
    m[2 * 4 + 2] = C64::ONE;
    for (r, tr) in [(1, 0), (3, 1)] {
        for (c, tc) in [(1, 0), (3, 1)] {
            m[r * 4 + c] = u[tr * 2 + tc];
        }
    }
    Some(m)
}

/// Product `a·b` of 2×2 matrices.
pub fn mul2(a: &[C64; 4], b: &[C64; 4]) -> [C64; 4] {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
    ]
}

/// Product `a·b` of 4×4 matrices.
pub fn mul4(a: &[C64; 16], b: &[C64; 16]) -> [C64; 16] {
    let mut out = [C64::ZERO; 16];
    for r in 0..4 {
        for c in 0..4 {
            out[r * 4 + c] = (0..4).fold(C64::ZERO, |s, k| s + a[r * 4 + k] * b[k * 4 + c]);
        }
    }
    out
}

/// A 2×2 matrix on local bit `pos` (0 or 1) of a two-qubit block, as 4×4.
pub fn expand_1q(m: &[C64; 4], pos: usize) -> [C64; 16] {
    let mut out = [C64::ZERO; 16];
    for r in 0..4 {
        for c in 0..4 {
            let other = 1 - pos;
            if (r >> other) & 1 == (c >> other) & 1 {
                out[r * 4 + c] = m[((r >> pos) & 1) * 2 + ((c >> pos) & 1)];
            }
        }
    }
    out
}

/// The same 4×4 matrix with its two qubits listed the other way round.
pub fn swap_qubit_order(m: &[C64; 16]) -> [C64; 16] {
    let s = |i: usize| ((i & 1) << 1) | (i >> 1);
    let mut out = [C64::ZERO; 16];
    for r in 0..4 {
        for c in 0..4 {
            out[r * 4 + c] = m[s(r) * 4 + s(c)];
        }
    }
    out
}
